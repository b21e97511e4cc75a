-- customaction.busted: the assertions specs get, failing where they should.
local ca = require "customaction"
local busted_ca = require "customaction.busted"
local support = require "support"

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
      "assert.balanced: expected a log %(pm:log%(%), lib:log%(%) or a recorder's%), got the issuer itself")
    local prov = ca.provider({ actions = {} })
    assert.error_matches(function() assert.protocol({}, prov) end, "got the provider itself")
    prov:close()
    assert.error_matches(function() assert.balanced({}) end,
      "without the log's 'dropped' count")
    assert.error_matches(function() assert.balanced(nil) end, "got a nil")
    assert.error_matches(function() assert.protocol({}, { dropped = 0, 5 }) end,
      "entry 1 is not a log entry")
    assert.balanced(pm:log())   -- an empty log is a log
    pm:close()
  end)
end)

describe("assert.balanced and assert.protocol on a recorder", function()
  it("read the reports a provider made to the recording callback", function()
    local prov = ca.provider({ actions = {
      Echo = function(args, reply) return reply:finish(ca.S_OK, args) end,
      Twice = function(_, reply) reply:send(ca.S_OK, "1"); reply:send(ca.E_FAIL, "2", true) end,
    } })
    local cb, log = busted_ca.recorder("Echo")
    assert.hresult(ca.S_OK, prov:run("Echo", "hi", cb))
    ca.dispatch()
    assert.protocol({ "report Echo S_OK final" }, log)
    assert.equal("hi", log[1].response)
    assert.balanced(log)
    local cb2, log2 = busted_ca.recorder("Twice")
    prov:register("Twice", "", cb2)
    ca.dispatch()
    assert.protocol({ "report Twice S_OK", "report Twice E_FAIL final" }, log2)
    local ok, err = pcall(assert.protocol, { "report Twice S_OK final" }, log2)
    assert.is_false(ok)
    assert.matches("report Twice E_FAIL final", tostring(err))
    prov:close()
  end)

  it("is unbalanced while native code holds the callback", function()
    local cb, log = busted_ca.recorder("Held")
    cb:addref()
    local ok, err = pcall(assert.balanced, log)
    assert.is_false(ok)
    assert.matches("Held: %+1", tostring(err))
    cb:release()
    assert.balanced(log)
  end)

  it("names the action it records", function()
    assert.error_matches(function() busted_ca.recorder() end,
      "recorder: bad argument #1 %(action name expected, got nil%)")
  end)
end)

describe("assert.balanced and assert.protocol on a loaded library's log", function()
  local lib_path = support.pm_library("samplepm", "CA_SAMPLEPM")

  it("read the framework calls, one string each", function()
    local lib = ca.load(lib_path)
    lib:shutdown()
    local log = lib:log()
    local got = busted_ca.protocol(log)
    assert.equal("GetInterfaceVersion S_OK", got[1])
    assert.equal("AddRef IWorkerProcessFramework", got[2])
    assert.protocol(got, log)
    assert.balanced(log)
    lib:close()
  end)

  it("count AddRef against Release per interface", function()
    local log = { dropped = 0,
      { op = "AddRef", interface = "IWpfSettings", refs = 2, thread = 1 },
      { op = "GetDwordProperty", what = "IDLE_TIMEOUT", result = ca.S_OK, thread = 1 },
      { op = "FailWorkerProcess", text = "bad", hr = ca.E_FAIL, thread = 1 } }
    assert.same({ "AddRef IWpfSettings", "GetDwordProperty IDLE_TIMEOUT S_OK",
                  "FailWorkerProcess bad E_FAIL" }, busted_ca.protocol(log))
    local ok, err = pcall(assert.balanced, log)
    assert.is_false(ok)
    assert.matches("IWpfSettings: %+1", tostring(err))
    log[4] = { op = "Release", interface = "IWpfSettings", refs = 1, thread = 1 }
    assert.balanced(log)
  end)

  it("refuse a log that mixes kinds", function()
    assert.error_matches(function()
      assert.protocol({}, { dropped = 0, { op = "AddRef", interface = "X", thread = 1 },
                                         { op = "addref", action = "A" } })
    end, "entry 2 is not a log entry")
  end)
end)
