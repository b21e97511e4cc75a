-- Protocol managers written in Lua: ca.provider answers native callers
-- (here the native peer, which knows only wpf.h) on the Lua thread, at
-- once for calls made on it and through the completion queue for calls
-- made from other threads.
local ca = require "customaction"
local peer = require "nativepeer"
local support = require "support"

local E_NOTIMPL = ca.hresult(0x80004001)
local ALREADY_EXISTS = ca.hresult.from_win32(183)
local NOT_FOUND = ca.hresult.from_win32(1168)
local TIMEOUT = ca.hresult.from_win32(1460)
local unpack = table.unpack or unpack   -- 5.1 has only the global

local function responses(got)
  local out = {}
  for i, r in ipairs(got) do
    out[i] = tostring(r.response) .. (r.final and "!" or "")
  end
  return out
end

-- A provider with a one-shot Echo and a Count stream of `args` reports.
local function sample(extra)
  local opts = { name = "sample", actions = {
    Echo = function(args, reply) return reply:finish(ca.S_OK, args) end,
    Count = function(args, reply)
      for i = 1, tonumber(args) do reply:send(ca.S_OK, "n=" .. i) end
      reply:finish(ca.S_OK, "end")
    end,
    Later = function(_, reply) _G.kept_reply = reply end,
    Boom = function() error("boom") end,
  } }
  for k, v in pairs(extra or {}) do opts[k] = v end
  return ca.provider(opts)
end

after_each(function()
  _G.kept_reply = nil
  ca.dispatch()
  collectgarbage()
end)

describe("ca.provider", function()
  it("refuses options it does not know and actions that are not functions",
     function()
    assert.error_matches(function() ca.provider{ action = {} } end,
                         "unknown option 'action'")
    assert.error_matches(function() ca.provider{ actions = { A = 1 } } end,
                         "action 'A' must be a function")
    assert.error_matches(function() ca.provider{ health = true } end,
                         "option 'health' must be a function")
    assert.error_matches(function() ca.provider("x") end, "table expected")
  end)

  it("refuses names native callers cannot send, as the issuer does",
     function()
    local fn = function() end
    -- decimal escapes: Lua 5.1 has no \x
    for _, bad in ipairs{ "a\0b", "\255", "caf\195", "\237\160\128" } do
      assert.error_matches(function() ca.provider{ actions = { [bad] = fn } } end,
        "bad argument #1 to 'provider' %(action name: .- at byte %d+")
      assert.error_matches(function() ca.provider{ name = bad } end,
        "bad argument #1 to 'provider' %(option 'name'")
      local pm = ca.provider{}
      assert.error_matches(function() pm:define(bad, fn) end,
        "bad argument #1 to 'define' %(.- at byte")
      assert.error_matches(function() pm:define(bad, nil) end,
        "bad argument #1 to 'define' %(.- at byte")
      local issuer = ca.issuer()
      assert.error_matches(function() issuer:define(bad, {}) end,
        "a name must be text a native caller can send as UTF%-16")
      issuer:close()
    end
    local pm = ca.provider{ actions = { ["a\0b"] = nil, ["é"] = fn } }
    pm:define("ü", fn)
  end)

  it("may start without actions and get them later", function()
    local pm = ca.provider{}
    local cb, got = support.recorder(ca)
    assert.equal(E_NOTIMPL, pm:run("Echo", "x", cb))
    pm:define("Echo", function(args, reply) reply:finish(ca.S_OK, args) end)
    assert.equal(ca.S_OK, pm:run("Echo", "x", cb))
    pm:define("Echo", nil)
    assert.equal(E_NOTIMPL, pm:run("Echo", "x", cb))
    assert.same({ "x!" }, responses(got))
  end)

  it("prints its name and counts", function()
    local pm = sample()
    assert.matches("customaction.provider 'sample' %(refs 1", tostring(pm))
    pm:close()
    assert.equal("customaction.provider (closed)", tostring(pm))
  end)
end)

describe("RunCustomAction on the Lua thread", function()
  it("runs the action inside the call and returns ReportResult's HRESULT",
     function()
    local pm = sample()
    local cb, got = support.recorder(ca)
    assert.equal(0, peer.call("run", pm:interface("v1"), "Echo", "hi",
                              cb:interface("v1")))
    assert.same({ "hi!" }, responses(got))
    local fails = ca.callback(function() return ca.E_ACCESSDENIED end)
    assert.equal(0x80070005, peer.call("run", pm:interface("v1"), "Echo", "x",
                                       fails:interface("v1")))
  end)

  it("gives the action its name and argument as UTF-8, in any script", function()
    local seen = {}
    local pm = ca.provider{ actions = { ["Grüße"] = function(args, reply)
      seen[#seen + 1] = reply.name .. "|" .. args
      reply:finish(ca.S_OK)
    end } }
    -- through pm:run: UTF-8 to UTF-16 (the caller path), then back for
    -- the action (the provider's request)
    for _, args in ipairs({ "plain", "héllo 𝄞", "" }) do
      assert.equal(ca.S_OK, pm:run("Grüße", args, function() end))
    end
    assert.same({ "Grüße|plain", "Grüße|héllo 𝄞", "Grüße|" }, seen)
  end)

  it("gives the action nil for a NULL argument", function()
    local seen = "unset"
    local pm = ca.provider{ actions = { A = function(args, reply)
      seen = args
      reply:finish(ca.S_OK)
    end } }
    local cb = support.recorder(ca)
    peer.call("run", pm:interface("v1"), "A", nil, cb:interface("v1"))
    assert.is_nil(seen)
  end)

  it("answers E_NOTIMPL for a name it does not know, and counts it", function()
    local pm = sample()
    local cb, got = support.recorder(ca)
    assert.equal(E_NOTIMPL.value, peer.call("run", pm:interface("v1"), "Nope",
                                              "", cb:interface("v1")))
    assert.equal(0, #got)
    assert.equal(1, pm:stats().refused.unknown)
    assert.equal(1, cb:stats().refs)   -- nothing kept
  end)

  it("lets an action answer later, releasing the callback once", function()
    local pm = sample()
    local cb, got = support.recorder(ca)
    assert.equal(0, peer.call("run", pm:interface("v1"), "Later", "",
                              cb:interface("v1")))
    assert.equal(0, #got)
    assert.equal(2, cb:stats().refs)   -- the reply's reference
    local reply = _G.kept_reply
    assert.equal("v1", reply.shape)
    assert.equal(ca.S_OK, reply:send(ca.S_OK, "late"))
    assert.is_true(reply.done)
    assert.equal(1, cb:stats().refs)
    assert.equal(ca.E_ILLEGAL_METHOD_CALL, reply:send(ca.S_OK, "again"))
    assert.same({ "late!" }, responses(got))
  end)

  it("routes an action's error to on_error and ends with DISP_E_EXCEPTION",
     function()
    local errors = {}
    local pm = sample{ on_error = function(msg, p) errors[#errors + 1] = msg
      assert.equal("customaction.provider", getmetatable(p).__name) end }
    local cb, got = support.recorder(ca)
    assert.equal(0, peer.call("run", pm:interface("v1"), "Boom", "",
                              cb:interface("v1")))
    assert.equal(ca.DISP_E_EXCEPTION, got[1].status)
    assert.is_true(got[1].final)
    assert.matches("boom", errors[1])
    assert.matches("traceback", errors[1])
    assert.equal(1, pm:stats().errors)
  end)

  it("leaves a reply kept past its action reading as it did, never reused",
     function()
    local kept = {}
    local pm = ca.provider{ actions = { Keep = function(args, reply)
      kept[#kept + 1] = reply
      return reply:finish(ca.S_OK, args)
    end } }
    local cb, got = support.recorder(ca)
    local cb2, got2 = support.recorder(ca)
    peer.call("run", pm:interface("v1"), "Keep", "first", cb:interface("v1"))
    peer.call("run", pm:interface("v1"), "Keep", "second", cb2:interface("v1"))
    assert.same({ "first!" }, responses(got))
    assert.same({ "second!" }, responses(got2))
    assert.is_false(rawequal(kept[1], kept[2]))
    for i, args in ipairs{ "first", "second" } do
      local reply = kept[i]
      assert.equal("Keep", reply.name)
      assert.equal(args, reply.args)
      assert.equal("v1", reply.shape)
      assert.is_true(reply.done)
      assert.is_false(reply.cancelled)
      assert.equal(pm, reply.provider)
      assert.equal(ca.E_ILLEGAL_METHOD_CALL, reply:finish(ca.S_OK, "again"))
      assert.matches("^customaction.reply 'Keep' %(v1, done%)", tostring(reply))
    end
    assert.equal(1, #got)
    assert.equal(1, #got2)
    assert.equal(1, cb:stats().refs)
  end)

  it("lets on_error answer through the reply of an action that raised",
     function()
    local pm = ca.provider{
      actions = { Raise = function(_, reply) _G.kept_reply = reply; error("late") end },
      on_error = function() _G.kept_reply:finish(ca.S_OK, "from on_error") end,
    }
    local cb, got = support.recorder(ca)
    assert.equal(0, peer.call("run", pm:interface("v1"), "Raise", "a",
                              cb:interface("v1")))
    assert.same({ "from on_error!" }, responses(got))
    assert.equal(ca.S_OK, got[1].status)
    local reply = _G.kept_reply
    assert.is_true(reply.done)
    assert.equal("a", reply.args)
    assert.equal(ca.E_ILLEGAL_METHOD_CALL, reply:send(ca.S_OK, "again"))
    assert.equal(1, cb:stats().refs)
  end)

  it("ends a reply of an action that raised, kept but not answered", function()
    local pm = ca.provider{
      actions = { Raise = function(_, reply) _G.kept_reply = reply; error("x") end },
      on_error = function() end,
    }
    local cb, got = support.recorder(ca)
    peer.call("run", pm:interface("v1"), "Raise", "", cb:interface("v1"))
    assert.equal(ca.DISP_E_EXCEPTION, got[1].status)
    assert.is_true(_G.kept_reply.done)
    assert.equal("Raise", _G.kept_reply.name)
    assert.equal(ca.E_ILLEGAL_METHOD_CALL, _G.kept_reply:finish(ca.S_OK))
    assert.equal(1, #got)
  end)

  it("gives a call made inside an action a reply of its own", function()
    local pm
    local inner_cb, inner = support.recorder(ca)
    local replies = {}
    pm = ca.provider{ actions = {
      Outer = function(_, reply)
        replies.outer = reply
        peer.call("run", pm:interface("v1"), "Inner", "in",
                  inner_cb:interface("v1"))
        return reply:finish(ca.S_OK, "out")
      end,
      Inner = function(args, reply)
        replies.inner = reply
        return reply:finish(ca.S_OK, args)
      end,
    } }
    local cb, got = support.recorder(ca)
    peer.call("run", pm:interface("v1"), "Outer", "", cb:interface("v1"))
    assert.same({ "out!" }, responses(got))
    assert.same({ "in!" }, responses(inner))
    assert.is_true(replies.outer.done)
    assert.is_true(replies.inner.done)
    assert.equal("Inner", replies.inner.name)
    assert.equal(1, cb:stats().refs)
    assert.equal(1, inner_cb:stats().refs)
  end)

  it("a reply left open and dropped ends with RPC_E_DISCONNECTED when collected",
     function()
    local pm = ca.provider{ actions = { Drop = function() end } }
    local cb, got = support.recorder(ca)
    assert.equal(0, peer.call("run", pm:interface("v1"), "Drop", "",
                              cb:interface("v1")))
    assert.same({}, got)
    collectgarbage()
    collectgarbage()
    assert.equal(ca.RPC_E_DISCONNECTED, got[1].status)
    assert.equal(1, cb:stats().refs)
    assert.equal(1, pm:stats().refs)
  end)

  it("checks its pointers and names", function()
    local pm = sample()
    assert.equal(ca.E_POINTER.value, peer.call("run", pm:interface("v1"),
                                                 "Echo", "", nil))
    assert.equal(ca.E_POINTER.value, peer.call("run", pm:interface("v1"),
                                                 nil, "", nil))
    assert.equal(2, pm:stats().refused.null_pointer)
  end)
end)

describe("RegisterCustomActionCallback", function()
  it("streams what the action sends, the last report final", function()
    local pm = sample()
    local cb, got = support.recorder(ca)
    assert.equal(0, peer.call("register", pm:interface("v2"), "Count", "3",
                              cb:interface("v2")))
    assert.same({ "n=1", "n=2", "n=3", "end!" }, responses(got))
    assert.equal(1, cb:stats().refs)
    assert.is_false(pm:active("Count"))
  end)

  it("refuses a second registration of a name still active", function()
    local pm = sample()
    local a, b = support.recorder(ca), support.recorder(ca)
    assert.equal(0, peer.call("register", pm:interface("v2"), "Later", "",
                              a:interface("v2")))
    assert.is_true(pm:active("Later"))
    assert.equal(ALREADY_EXISTS.value, peer.call("register",
      pm:interface("v2"), "Later", "", b:interface("v2")))
    assert.equal(1, b:stats().refs)
    assert.equal(1, pm:stats().refused.duplicate)
  end)

  it("unregister cancels: reply.cancelled, on_cancel, one final E_ABORT",
     function()
    local pm = sample()
    local cb, got = support.recorder(ca)
    peer.call("register", pm:interface("v2"), "Later", "", cb:interface("v2"))
    local reply, hooked = _G.kept_reply, 0
    reply.on_cancel = function(r)
      hooked = hooked + 1
      assert.is_true(r.cancelled)
    end
    reply:send(ca.S_OK, "first")
    assert.equal(0, peer.call("unregister", pm:interface("v2"), "Later"))
    assert.equal(1, hooked)
    assert.is_true(reply.cancelled)
    assert.same({ "first", "!" }, responses(got))
    assert.equal(ca.E_ABORT, got[2].status)
    assert.equal(ca.E_ILLEGAL_METHOD_CALL, reply:finish(ca.S_OK))
    assert.equal(1, cb:stats().refs)
    assert.equal(NOT_FOUND.value, peer.call("unregister", pm:interface("v2"),
                                              "Later"))
  end)

  it("accepts the name again once the last registration ended", function()
    local pm = sample()
    local cb = ca.callback(function() end, { reuse = true })
    for _ = 1, 2 do
      assert.equal(0, peer.call("register", pm:interface("v2"), "Count", "1",
                                cb:interface("v2")))
    end
  end)
end)

describe("native calls from other threads", function()
  it("are answered S_OK at once and run at ca.dispatch", function()
    local pm = sample()
    local cb, got = support.recorder(ca)
    local job = peer.call("register", pm:interface("v2"), "Count", "2",
                          cb:interface("v2"), "thread")
    assert.equal(0, job:join())
    assert.equal(0, #got)
    assert.equal(1, ca.pending())
    assert.equal(1, ca.dispatch())
    assert.same({ "n=1", "n=2", "end!" }, responses(got))
    assert.equal(1, pm:stats().queued)
    assert.equal(1, cb:stats().refs)
  end)

  it("keep each thread's order", function()
    local pm = sample()
    local cb, got = support.recorder(ca, { reuse = true })
    local jobs = {}
    for i = 1, 5 do
      jobs[i] = peer.call("run", pm:interface("v1"), "Echo", "m" .. i,
                          cb:interface("v1"), "thread")
      jobs[i]:join()
    end
    ca.dispatch()
    assert.same({ "m1!", "m2!", "m3!", "m4!", "m5!" }, responses(got))
  end)

  it("still refuse unknown names on the caller's thread", function()
    local pm = sample()
    local cb = support.recorder(ca)
    local job = peer.call("run", pm:interface("v1"), "Nope", "",
                          cb:interface("v1"), "thread")
    assert.equal(E_NOTIMPL.value, job:join())
    assert.equal(0, ca.pending())
  end)

  it("unregister from another thread cancels at the next dispatch", function()
    local pm = sample()
    local cb, got = support.recorder(ca)
    peer.call("register", pm:interface("v2"), "Later", "", cb:interface("v2"))
    local reply, hooked = _G.kept_reply, false
    reply.on_cancel = function() hooked = true end
    local job = peer.call("unregister", pm:interface("v2"), "Later", nil, nil,
                          "thread")
    assert.equal(0, job:join())
    assert.is_true(reply.cancelled)   -- decided on the caller's thread
    assert.is_false(hooked)
    ca.dispatch()
    assert.is_true(hooked)
    assert.same({ "!" }, responses(got))
    assert.equal(ca.E_ABORT, got[1].status)
  end)

  it("a registration cancelled before it ran gets only the E_ABORT",
     function()
    local ran = false
    local pm = ca.provider{ actions = { A = function() ran = true end } }
    local cb, got = support.recorder(ca)
    peer.call("register", pm:interface("v2"), "A", "", cb:interface("v2"),
              "thread"):join()
    peer.call("unregister", pm:interface("v2"), "A", nil, nil, "thread"):join()
    ca.dispatch()
    assert.is_false(ran)
    assert.same({ "!" }, responses(got))
    assert.equal(ca.E_ABORT, got[1].status)
    assert.equal(1, cb:stats().refs)
  end)
end)

describe("health and idle", function()
  it("CheckHealth reports what health() returns", function()
    local healthy = true
    local pm = sample{ health = function() return healthy end }
    local mon = pm:interface("monitor")
    local h = peer.health_callback()
    assert.equal(0, peer.call("health", mon, nil, nil, h))
    local n, ok, refs = peer.health_state(h)
    assert.same({ 1, true, 1 }, { n, ok, refs })
    healthy = false
    peer.call("health", mon, nil, nil, h, "thread"):join()
    ca.dispatch()
    n, ok, refs = peer.health_state(h)
    assert.same({ 2, false, 1 }, { n, ok, refs })
    peer.release(h)
  end)

  it("CheckIdle answers idle(), waiting for the Lua thread from another",
     function()
    local pm = sample{ idle = function() return true end, idle_wait_ms = 5000 }
    local mon = pm:interface("monitor")
    local code, idle = peer.call("idle", mon, nil, nil, true)
    assert.same({ 0, true }, { code, idle })
    local job = peer.call("idle", mon, nil, nil, true, "thread")
    while ca.wait(1) == 0 do end
    code, idle = job:join()
    assert.same({ 0, true }, { code, idle })
  end)

  it("CheckIdle from another thread times out when nobody dispatches",
     function()
    local pm = sample{ idle_wait_ms = 10 }
    local job = peer.call("idle", pm:interface("monitor"), nil, nil, true,
                          "thread")
    assert.equal(TIMEOUT.value, job:join())
    assert.equal(1, pm:stats().refused.timeout)
    ca.dispatch()   -- the late request finds nobody waiting
  end)
end)

describe("IProtocolManager", function()
  it("hands out its interfaces, each with a reference", function()
    local pm = sample()
    local ip = pm:interface("pm")
    local code, v1 = peer.get(ip, "pm", 3)
    assert.equal(0, code)
    assert.equal(pm:interface("v1"), v1)
    local _, mon = peer.get(ip, "pm", 2)
    assert.equal(pm:interface("monitor"), mon)
    local _, v2 = peer.get(ip, "custom", 2)
    assert.equal(pm:interface("v2"), v2)
    assert.equal(E_NOTIMPL.value, (peer.get(ip, "pm", 1)))
    assert.equal(4, pm:stats().refs)
    for _, p in ipairs{ v1, mon, v2 } do peer.release(p) end
    assert.equal(1, pm:stats().refs)
  end)

  it("Shutdown ends every registration and refuses new calls", function()
    local said
    local pm = sample{ shutdown = function(immediate) said = immediate end }
    local cb, got = support.recorder(ca)
    peer.call("register", pm:interface("v2"), "Later", "", cb:interface("v2"))
    assert.equal(0, peer.call("shutdown", pm:interface("pm"), nil, "now"))
    assert.is_true(said)
    assert.equal(ca.E_ABORT, got[1].status)
    assert.equal(ca.RPC_E_DISCONNECTED.value, peer.call("register",
      pm:interface("v2"), "Count", "1", cb:interface("v2")))
  end)

  it("after Shutdown every method answers RPC_E_DISCONNECTED and runs no hook",
     function()
    local hooks = {}
    local function hook(name, value)
      return function() hooks[name] = (hooks[name] or 0) + 1; return value end
    end
    local pm = sample{ health = hook("health", true), idle = hook("idle", true),
                       shutdown = hook("shutdown") }
    local cb = support.recorder(ca)
    local mon, v2 = pm:interface("monitor"), pm:interface("v2")
    assert.equal(0, peer.call("register", v2, "Later", "", cb:interface("v2")))
    assert.equal(0, peer.call("shutdown", pm:interface("pm"), nil, nil))
    assert.equal(1, hooks.shutdown)
    local closed = ca.RPC_E_DISCONNECTED.value
    local h = peer.health_callback()
    for _, call in ipairs{
      { "unregister", v2, "Later" }, { "health", mon, nil, nil, h },
      { "idle", mon, nil, nil, true }, { "shutdown", pm:interface("pm") },
      { "run", pm:interface("v1"), "Echo", "x", cb:interface("v1") },
      { "register", v2, "Count", "1", cb:interface("v2") },
    } do
      assert.equal(closed, (peer.call(unpack(call, 1, 5))), call[1])
    end
    local jobs = {
      health = peer.call("health", mon, nil, nil, h, "thread"),
      idle = peer.call("idle", mon, nil, nil, true, "thread"),
      shutdown = peer.call("shutdown", pm:interface("pm"), nil, nil, nil,
                           "thread") }
    for name, job in pairs(jobs) do
      assert.equal(closed, (job:join()), name .. " from another thread")
    end
    ca.dispatch()
    assert.same({ shutdown = 1 }, hooks)
    assert.same({ 0, false, 1 }, { peer.health_state(h) })
    assert.equal(9, pm:stats().refused.closed)
    peer.release(h)
  end)
end)

describe("lifetime", function()
  it("a closed provider answers RPC_E_DISCONNECTED and ends open replies",
     function()
    local pm = sample()
    local ptr = pm:interface("v2")
    peer.addref(ptr)
    local cb, got = support.recorder(ca)
    peer.call("register", ptr, "Later", "", cb:interface("v2"))
    pm:close()
    assert.equal(ca.RPC_E_DISCONNECTED, got[1].status)
    assert.equal(ca.RPC_E_DISCONNECTED.value, peer.call("register", ptr,
      "Count", "1", cb:interface("v2")))
    _G.kept_reply = nil   -- a reply holds a provider reference too
    collectgarbage()
    collectgarbage()
    assert.equal(1, cb:stats().refs)
    assert.equal(0, peer.release(ptr))
    pm:close()   -- twice is nothing
  end)

  it("closing ends a RunCustomAction answered later, also from inside its action",
     function()
    local pm = sample()
    local cb, got = support.recorder(ca)
    assert.equal(ca.S_OK.value, peer.call("run", pm:interface("v1"), "Later", "",
      cb:interface("v1")))
    assert.same({}, got)
    pm:close()
    assert.equal(ca.RPC_E_DISCONNECTED, got[1].status)
    local self_closing
    self_closing = ca.provider { actions = {
      Quit = function(_, reply) _G.kept_reply = reply; self_closing:close() end,
    } }
    local cb2, got2 = support.recorder(ca)
    peer.call("run", self_closing:interface("v1"), "Quit", "", cb2:interface("v1"))
    assert.equal(1, #got2)
    assert.equal(ca.RPC_E_DISCONNECTED, got2[1].status)
    assert.is_true(_G.kept_reply.done)
    _G.kept_reply = nil
    collectgarbage()
    collectgarbage()
    assert.equal(1, cb:stats().refs)
    assert.equal(1, cb2:stats().refs)
  end)

  it("a request queued when the provider closes gets a final report",
     function()
    local pm = sample()
    local cb, got = support.recorder(ca)
    peer.call("run", pm:interface("v1"), "Echo", "x", cb:interface("v1"),
              "thread"):join()
    pm:close()
    assert.equal(ca.RPC_E_DISCONNECTED, got[1].status)
    assert.equal(1, cb:stats().refs)
    ca.dispatch()
    assert.equal(1, #got)
  end)

  it("a reply collected unanswered sends a final RPC_E_DISCONNECTED",
     function()
    local pm = ca.provider{ actions = { Drop = function() end } }
    local cb, got = support.recorder(ca)
    peer.call("register", pm:interface("v2"), "Drop", "", cb:interface("v2"))
    collectgarbage()
    collectgarbage()
    assert.equal(ca.RPC_E_DISCONNECTED, got[1].status)
    assert.equal(1, cb:stats().refs)
  end)
end)

describe("the caller's methods", function()
  it("run, register and unregister go through the provider's own vtables",
     function()
    local pm = sample()
    local cb, got = support.recorder(ca, { reuse = true })
    assert.equal(ca.S_OK, pm:run("Echo", "one", cb))
    assert.equal(ca.S_OK, pm:register("Later", nil, cb))
    assert.is_true(pm:active("Later"))
    assert.equal(ca.S_OK, pm:unregister("Later"))
    assert.equal(NOT_FOUND, pm:unregister("Later"))
    assert.equal(E_NOTIMPL, pm:run("Nope", "", cb))
    assert.same({ "one!", "!" }, responses(got))
    assert.equal(ca.E_ABORT, got[2].status)
    local plain
    assert.equal(ca.S_OK, pm:run("Echo", "x", function(_, response) plain = response end))
    assert.equal("x", plain)
    assert.error_matches(function() pm:run("Echo", "x", 42) end,
                         "customaction.callback or function expected")
    assert.error_matches(function() pm:run("Ech" .. string.char(255), "x", cb) end,
                         "bad argument #1 to 'run' %(invalid UTF%-8")
  end)

  it("stream iterates over a registration's reports", function()
    local pm = sample()
    local seen = {}
    for status, response, final in pm:stream("Count", "2") do
      seen[#seen + 1] = response .. (final and "!" or "")
      assert.equal(ca.S_OK, status)
    end
    assert.same({ "n=1", "n=2", "end!" }, seen)
  end)

  support.when_close(it, pending)("leaving a stream early unregisters",
                                  function()
    local pm = sample()
    local cancelled = false
    pm:define("Ticks", function(_, reply)
      reply.on_cancel = function() cancelled = true end
      reply:send(ca.S_OK, "t1")
      _G.kept_reply = reply
    end)
    support.compile([[
      local pm = ...
      for _, response in pm:stream("Ticks", "") do
        assert(response == "t1")
        break
      end
    ]])(pm)
    assert.is_true(cancelled)
    assert.is_false(pm:active("Ticks"))
  end)
end)
