-- Ownership rules: native holders keep handlers alive, cycles through a
-- handler are collected once native code lets go, and nothing is freed
-- while a report is in progress.
local ca = require "customaction"
local peer = require "nativepeer"
local support = require "support"

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

describe("a plain function given to a call", function()
  local function sync_issuer()
    local pm = ca.issuer({ clock = "virtual", builtins = false })
    pm:define("Get", { payload = "now" })
    return pm
  end

  it("makes no callback object per call when the library keeps none", function()
    -- minipm answers inside the call and logs nothing, so Lua memory
    -- that grows with the calls would be ours
    local pm = ca.load(support.pm_library("minipm", "CA_MINIPM"))
    local acts = pm:custom_actions()
    local got, want = 0, ca.utf16.encode("abc")
    local function handler(_, r, final)   -- no allocation of its own
      if r == want and final then got = got + 1 end
    end
    local function calls(n)
      local ok = 0
      for _ = 1, n do
        if acts:run("Echo", "abc", handler) == ca.S_OK then ok = ok + 1 end
      end
      return ok
    end
    calls(2000)   -- the first makes the object; LuaJIT compiles the loop
    full_gc()
    local before, anchored = ca.stats().callbacks, ca.stats().anchored
    collectgarbage("stop")
    local kb = collectgarbage("count")
    local ok = calls(2000)
    local grown = collectgarbage("count") - kb
    collectgarbage("restart")
    -- each call's final report is its own: none refused as after_final
    assert.equal(2000, ok)
    assert.equal(4000, got)
    assert.equal(before, ca.stats().callbacks)
    assert.equal(anchored, ca.stats().anchored)
    assert.is_true(grown < 1, ("Lua memory grew by %.1f KiB"):format(grown))
    acts:close()
    pm:close()
  end)

  it("becomes a callback the library holds when it keeps a reference past the call", function()
    local pm = ca.issuer({ clock = "virtual", builtins = false, run = "queued" })
    pm:define("Get", { delay = 5, payload = "later" })
    full_gc()
    local before = ca.stats().callbacks
    local got = {}
    assert.equal(ca.S_OK, pm:run("Get", "", function(_, r) got[#got + 1] = r end))
    full_gc()   -- the handler is reachable only through the library's reference
    assert.equal(before + 1, ca.stats().callbacks)
    pm:advance(100)
    assert.same({ "later" }, got)
    full_gc()
    assert.equal(before, ca.stats().callbacks)
    pm:close()
  end)

  it("works when a handler makes such a call inside one", function()
    local pm = sync_issuer()
    local order = {}
    full_gc()
    local before = ca.stats().callbacks
    assert.equal(ca.S_OK, pm:run("Get", "", function()
      order[#order + 1] = "outer"
      assert.equal(ca.S_OK, pm:run("Get", "", function()
        order[#order + 1] = "inner"
      end))
    end))
    assert.same({ "outer", "inner" }, order)
    assert.equal(ca.S_OK, pm:run("Get", "", function() order[#order + 1] = "again" end))
    assert.same({ "outer", "inner", "again" }, order)
    full_gc()
    assert.equal(before, ca.stats().callbacks)
    pm:close()
  end)

  it("routes the handler's error to stderr and the next call runs normally", function()
    local pm = sync_issuer()
    assert.equal(ca.DISP_E_EXCEPTION, pm:run("Get", "", function() error("boom") end))
    local seen
    assert.equal(ca.S_OK, pm:run("Get", "", function(_, r) seen = r end))
    assert.equal("now", seen)
    pm:close()
  end)
end)

describe("names and arguments bound for native code", function()
  it("are passed whole however long, and in any script", function()
    local pm = ca.issuer({ clock = "virtual", builtins = false })
    local long = ("n"):rep(5000)
    for _, name in ipairs({ "Get", long, "Grüße", ("ü"):rep(300) }) do
      pm:define(name, { payload = "ok" })
      local r
      assert.equal(ca.S_OK, pm:run(name, name, function(_, x) r = x end))
      assert.equal("ok", r)
    end
    assert.error_matches(function() pm:run("G\0et", "", function() end) end,
      "bad argument #1")
    pm:close()
  end)
end)
