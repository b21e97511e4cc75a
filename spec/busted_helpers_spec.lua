-- customaction.busted: the assertions specs get, failing where they should.
local ca = require "customaction"
require "customaction.busted"

describe("assert.hresult", function()
  it("compares HRESULTs given in any accepted form", function()
    assert.hresult(ca.E_ACCESSDENIED, 0x80070005)
    assert.hresult("E_ACCESSDENIED", ca.hresult(-2147024891))
    assert.is_not.hresult(ca.E_FAIL, ca.S_OK)
  end)

  it("fails with both values in the message", function()
    local ok, err = pcall(assert.hresult, ca.E_FAIL, ca.S_OK)
    assert.is_false(ok)
    assert.matches("Expected HRESULT .*E_FAIL %(0x80004005%)", tostring(err))
    assert.matches("S_OK", tostring(err))
  end)
end)

describe("assert.succeeded and assert.failed", function()
  it("test the severity bit", function()
    assert.succeeded(ca.S_FALSE)
    assert.failed(0x80004005)
    assert.is_false(pcall(assert.succeeded, ca.E_FAIL))
    assert.is_false(pcall(assert.failed, "S_OK"))
  end)
end)

describe("assert.balanced and assert.protocol", function()
  it("read an issuer's log", function()
    local pm = ca.issuer({ clock = "virtual", builtins = false })
    pm:define("A", { count = 1, faults = { "never_release" } })
    pm:define("B", { count = 1 })
    pm:register("B", "", ca.callback(function() end))
    pm:advance(0)
    assert.balanced(pm:log())
    assert.protocol({ "addref B", "register B", "report B S_OK final", "release B" }, pm:log())
    pm:register("A", "", ca.callback(function() end))
    pm:advance(0)
    local ok, err = pcall(assert.balanced, pm:log())
    assert.is_false(ok)
    assert.matches("A: %+1", tostring(err))
    pm:close()
  end)

  it("reject what is not a log, instead of passing vacuously", function()
    local pm = ca.issuer({ clock = "virtual", builtins = false })
    assert.error_matches(function() assert.balanced(pm) end,
      "assert.balanced: expected an issuer's log %(pm:log%(%)%), got an issuer")
    assert.error_matches(function() assert.balanced({}) end,
      "without the log's 'dropped' count")
    assert.error_matches(function() assert.balanced(nil) end, "got a nil")
    assert.error_matches(function() assert.protocol({}, { dropped = 0, 5 }) end,
      "entry 1 is not a log entry")
    assert.balanced(pm:log())   -- an empty log is a log
    pm:close()
  end)
end)
