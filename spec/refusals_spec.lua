-- Reports the callback refuses: the handler is not called, a documented
-- HRESULT comes back, and stats().refused counts the reason.
local ca = require "customaction"
local peer = require "nativepeer"

local function counting(opts)
  local n = 0
  local cb = ca.callback(function() n = n + 1 end, opts)
  return cb, function() return n end
end

describe("a NULL buffer with a non-zero size", function()
  it("gets E_POINTER", function()
    local cb, calls = counting()
    assert.equal(ca.E_POINTER, cb:report(0, nil, false, 10))
    assert.equal(ca.E_POINTER.value, peer.report(cb:interface(), 0, nil, false, 1))
    assert.equal(ca.E_POINTER.value, peer.report_v1(cb:interface("v1"), 0, nil, 1))
    assert.equal(0, calls())
    assert.equal(3, cb:stats().refused.null_buffer)
  end)

  it("a NULL buffer with size 0 is fine: the handler sees nil", function()
    local got = "unset"
    local cb = ca.callback(function(_, r) got = r end)
    assert.equal(ca.S_OK.value, peer.report(cb:interface(), 0, nil, false, 0))
    assert.is_nil(got)
  end)
end)

describe("a response over max_response", function()
  it("gets HRESULT_FROM_WIN32(ERROR_MESSAGE_EXCEEDS_MAX_SIZE)", function()
    local cb, calls = counting({ max_response = 8 })
    assert.equal(ca.S_OK, cb:report(0, string.rep("x", 8)))
    assert.equal(ca.HRESULT_FROM_WIN32_ERROR_MESSAGE_EXCEEDS_MAX_SIZE,
      cb:report(0, string.rep("x", 9)))
    assert.equal(0x800710F0, ca.HRESULT_FROM_WIN32_ERROR_MESSAGE_EXCEEDS_MAX_SIZE.value)
    assert.equal(1, calls())
    assert.equal(1, cb:stats().refused.oversized)
  end)

  it("defaults to 16 MiB", function()
    local cb, calls = counting({ reuse = true })
    local big = string.rep("x", 16 * 1024 * 1024)
    assert.equal(ca.S_OK, cb:report(0, big))
    assert.equal(ca.HRESULT_FROM_WIN32_ERROR_MESSAGE_EXCEEDS_MAX_SIZE, cb:report(0, big .. "x"))
    assert.equal(1, calls())
  end)

  it("0 allows only empty responses", function()
    local cb = counting({ max_response = 0, reuse = true })
    assert.equal(ca.S_OK, cb:report(0, ""))
    assert.equal(ca.HRESULT_FROM_WIN32_ERROR_MESSAGE_EXCEEDS_MAX_SIZE, cb:report(0, "x"))
  end)
end)

describe("a report after the final one", function()
  it("gets E_ILLEGAL_METHOD_CALL, through either shape", function()
    local cb, calls = counting()
    assert.equal(ca.S_OK, cb:report(0, "a"))
    assert.equal(ca.S_OK, cb:report(0, "b", true))
    assert.equal(ca.E_ILLEGAL_METHOD_CALL, cb:report(0, "c"))
    assert.equal(ca.E_ILLEGAL_METHOD_CALL, cb:report(0, "d", true))
    assert.equal(ca.E_ILLEGAL_METHOD_CALL, cb:report_v1(0, "e"))
    assert.equal(2, calls())
    assert.equal(3, cb:stats().refused.after_final)
  end)

  it("a v1 report is final, so a second one is refused", function()
    local cb, calls = counting()
    assert.equal(ca.S_OK, cb:report_v1(0, "once"))
    assert.equal(ca.E_ILLEGAL_METHOD_CALL, cb:report_v1(0, "twice"))
    assert.equal(1, calls())
  end)

  it("is accepted when the callback was made with reuse = true", function()
    local cb, calls = counting({ reuse = true })
    cb:report(0, "a", true)
    cb:report_v1(0, "b")
    assert.equal(ca.S_OK, cb:report(0, "c", true))
    assert.equal(3, calls())
  end)

  it("a report the handler makes into its own finished callback is refused", function()
    local inner
    local cb
    cb = ca.callback(function(_, r) if r == "final" then inner = cb:report(0, "more") end end)
    cb:report(0, "final", true)
    assert.equal(ca.E_ILLEGAL_METHOD_CALL, inner)
  end)
end)

describe("a report to a disconnected callback", function()
  it("gets RPC_E_DISCONNECTED", function()
    local cb, calls = counting()
    -- each shape through its own pointer: a v1 call into the v2 slot
    -- passes one argument fewer, which 32-bit thiscall does not survive
    local ptr, ptr1 = cb:interface(), cb:interface("v1")
    peer.addref(ptr)
    cb:close()
    assert.equal(ca.RPC_E_DISCONNECTED.value, peer.report(ptr, 0, "x", false))
    assert.equal(ca.RPC_E_DISCONNECTED.value, peer.report_v1(ptr1, 0, "x"))
    assert.equal(0, calls())
    peer.release(ptr)
  end)
end)
