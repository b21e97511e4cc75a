-- Ownership rules: native holders keep handlers alive, cycles through a
-- handler are collected once native code lets go, and nothing is freed
-- while a report is in progress.
local ca = require "customaction"
local peer = require "nativepeer"

local function full_gc(n)
  for _ = 1, n or 6 do collectgarbage("collect") end
end

describe("a proxy collected while native code holds a reference", function()
  it("keeps delivering to its handler", function()
    local got = {}
    local ptr
    do
      local cb = ca.callback(function(_, r) got[#got + 1] = r end)
      ptr = cb:interface()
      peer.addref(ptr)
    end
    full_gc()
    assert.equal(ca.S_OK.value, peer.report(ptr, 0, "still here", false))
    assert.same({ "still here" }, got)
    assert.equal(1, peer.release(ptr))  -- the proxy still holds its own
  end)

  it("is kept even when native code took its reference late", function()
    -- the pointer left Lua through interface(), but native code took its
    -- reference only after the anchor had been dropped as unneeded: the
    -- proxy's __gc sees the native reference and resurrects it
    local got = 0
    full_gc()
    local anchored = ca.stats().anchored  -- other specs' callbacks
    local cb = ca.callback(function() got = got + 1 end)
    local ptr = cb:interface()
    full_gc()
    assert.equal(anchored, ca.stats().anchored)
    peer.addref(ptr)
    cb = nil  -- luacheck: ignore 311
    full_gc()
    assert.equal(ca.S_OK.value, peer.report(ptr, 0, "x", false))
    assert.equal(1, got)
    assert.equal(anchored + 1, ca.stats().anchored)
    assert.equal(1, peer.release(ptr))
  end)
end)

describe("a handler that closes over its own callback", function()
  it("is collected once native code releases, and the object is freed", function()
    full_gc()  -- earlier examples' garbage must not be counted here
    local before = ca.stats().callbacks
    local anchored = ca.stats().anchored
    local weak = setmetatable({}, { __mode = "k" })
    local ptr
    do
      local box = {}
      box.cb = ca.callback(function() return box.cb:stats().refs > 0 end)
      weak[box.cb] = true
      ptr = box.cb:interface()
      peer.addref(ptr)
    end
    full_gc()
    assert.is_not_nil(next(weak), "collected while native code held it")
    assert.equal(ca.S_OK.value, peer.report(ptr, 0, "x", false))
    assert.equal(1, peer.release(ptr))
    full_gc()
    assert.is_nil(next(weak), "proxy and handler leaked")
    assert.equal(before, ca.stats().callbacks)
    assert.equal(anchored, ca.stats().anchored)
  end)
end)

describe("a report in progress", function()
  it("survives the handler releasing the proxy's only reference", function()
    full_gc()
    local before = ca.stats().callbacks
    local cb
    cb = ca.callback(function() cb:release() return ca.S_FALSE end)
    assert.equal(ca.S_FALSE, cb:report(0, "x"))
    assert.equal(before, ca.stats().callbacks)
  end)

  it("survives the handler closing the proxy during a native call", function()
    local cb
    cb = ca.callback(function() cb:close() end)
    local ptr = cb:interface()
    peer.addref(ptr)
    assert.equal(ca.S_OK.value, peer.report(ptr, 0, "x", false))
    assert.equal(ca.RPC_E_DISCONNECTED.value, peer.report(ptr, 0, "y", false))
    assert.equal(0, peer.release(ptr))
  end)
end)

describe("v1 and v2 pointers", function()
  it("share one reference count", function()
    local cb = ca.callback(function() end)
    local v1, v2 = cb:interface("v1"), cb:interface("v2")
    assert.equal(2, peer.addref(v1, "v1"))
    assert.equal(3, peer.addref(v2, "v2"))
    assert.equal(3, cb:stats().refs)
    assert.equal(2, peer.release(v2, "v2"))
    assert.equal(1, peer.release(v1, "v1"))
  end)
end)
