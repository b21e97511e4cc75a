-- ca.callback and the callback object's methods.
local ca = require "customaction"
local support = require "support"

local it_close = support.when_close(it, pending)

local function full_gc()
  for _ = 1, 6 do collectgarbage("collect") end
end

local function recorder(ret)
  local calls = {}
  local function handler(status, response, final)
    calls[#calls + 1] = { status = status, response = response, final = final }
    return ret
  end
  return handler, calls
end

describe("ca.callback", function()
  it("wraps a function in a customaction.callback object", function()
    local cb = ca.callback(function() end)
    assert.equal("userdata", type(cb))
    assert.equal("customaction.callback", getmetatable(cb).__name)
  end)

  it("accepts any callable object as the handler", function()
    local seen
    local obj = setmetatable({}, { __call = function(_, s) seen = s end })
    ca.callback(obj):report(ca.E_FAIL, "x")
    assert.equal(ca.E_FAIL, seen)
  end)

  it("rejects a handler that cannot be called, naming the argument", function()
    assert.error_matches(function() ca.callback(42) end,
      "bad argument #1 to 'callback' %(function or callable object expected, got number%)")
    assert.error_matches(function() ca.callback() end, "bad argument #1")
  end)

  it("rejects unknown and ill-typed options", function()
    local f = function() end
    assert.error_matches(function() ca.callback(f, { nmae = "x" }) end,
      "unknown option 'nmae'")
    assert.error_matches(function() ca.callback(f, { name = 1 }) end,
      "option 'name' must be a string")
    assert.error_matches(function() ca.callback(f, { on_error = "x" }) end,
      "option 'on_error' must be a function")
    assert.error_matches(function() ca.callback(f, { max_response = -1 }) end,
      "option 'max_response' must be an integer")
    assert.error_matches(function() ca.callback(f, { max_response = 1.5 }) end,
      "option 'max_response' must be an integer")
    assert.error_matches(function() ca.callback(f, "opts") end,
      "bad argument #2 to 'callback' %(table expected, got string%)")
  end)
end)

describe("cb:report", function()
  it("calls the handler with status, response and final", function()
    local h, calls = recorder()
    local cb = ca.callback(h)
    assert.equal(ca.S_OK, cb:report(ca.S_FALSE, "bytes", false))
    assert.equal(ca.S_OK, cb:report(ca.E_ABORT, "last", true))
    assert.same({
      { status = ca.S_FALSE, response = "bytes", final = false },
      { status = ca.E_ABORT, response = "last", final = true },
    }, calls)
  end)

  it("passes status as an interned HRESULT value", function()
    local h, calls = recorder()
    ca.callback(h):report(0x80070005, "")
    assert.equal(ca.E_ACCESSDENIED, calls[1].status)
    assert.is_true(rawequal(ca.E_ACCESSDENIED, calls[1].status))
  end)

  it("is binary-safe: embedded NULs and high bytes arrive intact", function()
    local h, calls = recorder()
    local bytes = "a\0b\255\0" .. string.rep("\0", 100)
    ca.callback(h):report(0, bytes)
    assert.equal(bytes, calls[1].response)
    assert.equal(105, #calls[1].response)
  end)

  it("passes nil for a NULL buffer and an empty string for an empty one", function()
    local h, calls = recorder()
    local cb = ca.callback(h, { reuse = true })
    cb:report(0, nil)
    cb:report(0, "")
    assert.is_nil(calls[1].response)
    assert.equal("", calls[2].response)
  end)

  it("sends only the first size bytes when a size is given", function()
    local h, calls = recorder()
    ca.callback(h):report(0, "abcdef", false, 3)
    assert.equal("abc", calls[1].response)
  end)

  it("refuses a size beyond the string instead of reading past it", function()
    local cb = ca.callback(function() end)
    assert.error_matches(function() cb:report(0, "abc", false, 4) end,
      "bad argument #4 to 'report' %(size exceeds")
  end)

  it("checks its arguments, numbered as for any method call", function()
    local cb = ca.callback(function() end)
    assert.error_matches(function() cb:report({}, "x") end,
      "bad argument #1 to 'report' %(expected an HRESULT.*got table%)")
    assert.error_matches(function() cb:report(1099511627776, "x") end,
      "bad argument #1 to 'report' %(expected an HRESULT.*got number 1099511627776%)")
    assert.error_matches(function() cb:report(0, {}) end,
      "bad argument #2 to 'report' %(string expected, got table%)")
  end)

  it("is a method: calling it on something else is an error", function()
    local cb = ca.callback(function() end)
    assert.error_matches(function() cb.report({}, 0) end,
      "bad argument #1 to 'report' %(customaction.callback expected")
  end)
end)

describe("handler return values", function()
  local function returned(...)
    local ret = { n = select("#", ...), ... }
    local unpack = table.unpack or unpack  -- 5.1 has only the global
    return ca.callback(function() return unpack(ret, 1, ret.n) end)
      :report(0, "x")
  end

  it("maps nothing, nil and true to S_OK", function()
    assert.equal(ca.S_OK, returned())
    assert.equal(ca.S_OK, returned(nil))
    assert.equal(ca.S_OK, returned(true))
  end)

  it("maps false to E_FAIL", function()
    assert.equal(ca.E_FAIL, returned(false))
  end)

  it("returns an HRESULT value or integer as given", function()
    assert.equal(ca.E_ACCESSDENIED, returned(ca.E_ACCESSDENIED))
    assert.equal(ca.E_ACCESSDENIED, returned(0x80070005))
    assert.equal(ca.E_ACCESSDENIED, returned(-2147024891))
    assert.equal(ca.S_FALSE, returned(1))
  end)

  it("treats any other return value as a handler error", function()
    local errs = {}
    local cb = ca.callback(function() return "E_FAIL" end,
      { on_error = function(e) errs[#errs + 1] = e end })
    assert.equal(ca.DISP_E_EXCEPTION, cb:report(0, "x"))
    assert.matches("handler returned a string value", errs[1])
    assert.equal(1, cb:stats().errors)
  end)

  it("counts failure HRESULTs returned by the handler", function()
    local cb = ca.callback(function() return ca.E_FAIL end, { reuse = true })
    cb:report(0, "a")
    cb:report(0, "b")
    assert.equal(2, cb:stats().failures)
  end)
end)

describe("cb:report_v1", function()
  it("calls through the v1 shape: every report is final", function()
    local h, calls = recorder(ca.S_FALSE)
    local cb = ca.callback(h)
    assert.equal(ca.S_FALSE, cb:report_v1(ca.E_FAIL, "one-shot"))
    assert.same({ { status = ca.E_FAIL, response = "one-shot", final = true } }, calls)
  end)
end)

describe("cb:interface", function()
  it("returns distinct v1 and v2 pointers as light userdata", function()
    local cb = ca.callback(function() end)
    local v1, v2 = cb:interface("v1"), cb:interface("v2")
    assert.equal("userdata", type(v1))
    assert.is_nil(getmetatable(v1))
    assert.not_equal(v1, v2)
    assert.equal(v2, cb:interface())
  end)

  it("rejects other shapes", function()
    local cb = ca.callback(function() end)
    assert.error_matches(function() cb:interface("v3") end,
      "bad argument #1 to 'interface' %(invalid option 'v3'%)")
  end)
end)

describe("cb:addref and cb:release", function()
  it("drive the shared count and return the new value", function()
    local cb = ca.callback(function() end)
    assert.equal(1, cb:stats().refs)
    assert.equal(2, cb:addref())
    assert.equal(3, cb:addref())
    assert.equal(2, cb:release())
    assert.equal(1, cb:release())
    assert.equal(1, cb:stats().refs)
  end)

  it("releasing the proxy's own reference closes it", function()
    local cb = ca.callback(function() end)
    assert.equal(0, cb:release())
    assert.is_true(cb:stats().closed)
    assert.error_matches(function() cb:report(0, "x") end, "callback is closed")
  end)

  it("releasing the proxy's own reference twice is an error, not a crash", function()
    local cb = ca.callback(function() end)
    cb:release()
    assert.error_matches(function() cb:release() end, "callback already released")
  end)

  it("never releases references that native code holds", function()
    local peer = require "nativepeer"
    local cb = ca.callback(function() end)
    local ptr = cb:interface()
    assert.equal(2, peer.addref(ptr))
    assert.equal(1, cb:release())  -- the proxy's own; the native one stays
    assert.error_matches(function() cb:release() end, "already released")
    assert.equal(0, peer.release(ptr))
  end)
end)

describe("cb:close", function()
  it("releases every reference the proxy holds and may be repeated", function()
    full_gc()
    local before = ca.stats().callbacks
    local cb = ca.callback(function() end)
    cb:addref()
    assert.equal(before + 1, ca.stats().callbacks)
    cb:close()
    cb:close()
    assert.equal(before, ca.stats().callbacks)
    assert.matches("^customaction.callback 'callback' %(closed, refs 0,", tostring(cb))
  end)

  it_close("is the to-be-closed metamethod", function()
    full_gc()
    local before = ca.stats().callbacks
    local f = support.compile([[
      local ca = ...
      local cb <close> = ca.callback(function() end)
      return cb
    ]])
    local cb = f(ca)
    assert.matches("^customaction.callback 'callback' %(closed,", tostring(cb))
    assert.equal(before, ca.stats().callbacks)
  end)

  it("disconnects the object: native holders get RPC_E_DISCONNECTED", function()
    local peer = require "nativepeer"
    local called = false
    local cb = ca.callback(function() called = true end)
    local ptr = cb:interface()
    peer.addref(ptr)
    cb:close()
    assert.equal(ca.RPC_E_DISCONNECTED.value, peer.report(ptr, 0, "x", false))
    assert.is_false(called)
    assert.equal(0, peer.release(ptr))
  end)
end)

describe("cb:stats", function()
  it("counts reports, deliveries, errors and refusals by reason", function()
    local cb = ca.callback(function(_, r) if r == "bad" then error("no") end end,
      { name = "counted", on_error = function() end, max_response = 4 })
    cb:report(0, "ok")
    cb:report(0, "bad")
    cb:report(0, "too long")
    cb:report(0, nil, false, 3)
    cb:report(0, "end", true)
    cb:report(0, "late")
    local s = cb:stats()
    assert.equal("counted", s.name)
    assert.equal(1, s.refs)
    assert.equal(6, s.reports)
    assert.equal(3, s.delivered)
    assert.equal(1, s.errors)
    assert.is_true(s.finished)
    assert.same({ closed = 0, null_buffer = 1, oversized = 1, after_final = 1,
                  queue_full = 0, no_memory = 0 }, s.refused)
  end)

  it("prints its fields, not an address", function()
    local cb = ca.callback(function() end, { name = "shown" })
    local text = tostring(cb:stats())
    assert.matches("^callback_stats{ closed = false, delivered = 0, ", text)
    assert.matches('name = "shown"', text, 1, true)
    assert.matches("refused = { after_final = 0, closed = 0,", text, 1, true)
  end)
end)

describe("cb:stats after close", function()
  it("stays readable: refused.closed counts what native holders sent since", function()
    local peer = require "nativepeer"
    local cb = ca.callback(function() end, { name = "gone" })
    cb:report(0, "x")
    local ptr = cb:interface()
    peer.addref(ptr)
    cb:close()
    peer.report(ptr, 0, "late", false)
    peer.report(ptr, 0, "later", true)
    local s = cb:stats()
    assert.equal("gone", s.name)
    assert.is_true(s.closed)
    assert.equal(1, s.refs)          -- the native holder's
    assert.equal(1, s.delivered)
    assert.equal(2, s.refused.closed)
    assert.equal(0, peer.release(ptr))
    assert.equal(2, cb:stats().refused.closed)
    assert.equal(0, cb:stats().refs)
  end)

  it("keeps the name in tostring", function()
    local cb = ca.callback(function() end, { name = "named" })
    cb:close()
    assert.matches("^customaction.callback 'named' %(closed, refs 0, reports 0", tostring(cb))
  end)
end)

describe("tostring(cb)", function()
  it("shows name, references and counts", function()
    local cb = ca.callback(function() end, { name = "counters" })
    cb:report(0, "x")
    cb:addref()
    assert.matches("^customaction.callback 'counters' %(refs 2, reports 1, " ..
      "delivered 1, errors 0, refused 0%)", tostring(cb))
  end)
end)
