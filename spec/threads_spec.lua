-- Reports from other threads: queued at once, delivered on the Lua thread
-- by ca.dispatch / ca.wait, in order, with nothing lost.
local ca = require "customaction"
local peer = require "nativepeer"
local support = require "support"

local function collector(opts) return support.recorder(ca, opts) end

-- every example leaves the queue empty for the next
after_each(function() ca.dispatch() end)

describe("a report from another thread", function()
  it("returns S_OK at once and waits in the queue", function()
    local cb, got = collector()
    local results = peer.from_thread(cb:interface(), 3, "r")
    assert.same({ 0, 0, 0 }, results)
    assert.equal(0, #got)
    assert.equal(3, ca.pending())
    assert.equal(3, cb:stats().queued)
  end)

  it("is delivered by ca.dispatch, in the order sent", function()
    local cb, got = collector()
    peer.from_thread(cb:interface(), 5, "r", true)
    assert.equal(5, ca.dispatch())
    assert.equal(0, ca.pending())
    local responses = {}
    for i, r in ipairs(got) do responses[i] = r.response end
    assert.same({ "r1", "r2", "r3", "r4", "r5" }, responses)
    assert.is_false(got[4].final)
    assert.is_true(got[5].final)
    assert.equal(ca.S_OK, got[1].status)
  end)

  it("ca.dispatch(max) delivers at most max", function()
    local cb, got = collector()
    peer.from_thread(cb:interface(), 4, "r")
    assert.equal(3, ca.dispatch(3))
    assert.equal(1, ca.pending())
    assert.equal(1, ca.dispatch())
    assert.equal(4, #got)
  end)

  it("reaches its own callback's handler when callbacks' reports interleave", function()
    local a, got_a = collector()
    local b, got_b = collector()
    peer.from_thread(a:interface(), 2, "a")
    peer.from_thread(b:interface(), 2, "b")
    peer.from_thread(a:interface(), 1, "A")
    assert.equal(5, ca.dispatch())
    -- each thread has a ring of its own: order holds per thread only
    local function responses(got)
      local t = {}
      for i, r in ipairs(got) do t[i] = r.response end
      table.sort(t)
      return t
    end
    assert.same({ "A1", "a1", "a2" }, responses(got_a))
    assert.same({ "b1", "b2" }, responses(got_b))
  end)

  it("still delivers the rest of a dispatch after a handler raises", function()
    local seen, errors = {}, {}
    local cb = ca.callback(function(_, response)
      seen[#seen + 1] = response
      if response == "e2" then error("boom") end
    end, { reuse = true, on_error = function(msg) errors[#errors + 1] = msg end })
    peer.from_thread(cb:interface(), 4, "e")
    assert.equal(4, ca.dispatch())
    assert.same({ "e1", "e2", "e3", "e4" }, seen)
    assert.equal(1, #errors)
    assert.matches("boom", errors[1])
    assert.equal(1, cb:stats().errors)
    assert.equal(4, cb:stats().delivered)
  end)

  it("ca.wait returns at once when reports are pending", function()
    local cb, got = collector()
    peer.from_thread(cb:interface(), 2, "w")
    assert.equal(2, ca.wait(5))
    assert.equal(2, #got)
  end)

  it("ca.wait sleeps until a report from another thread wakes it", function()
    -- on POSIX the wait is a poll of ca.fd(); on Windows, of an event
    local cb, got = collector()
    local job = peer.start(cb:interface(), 1, "late", false, 50)
    local t0 = os.time()
    assert.equal(1, ca.wait(10))
    assert.is_true(os.time() - t0 <= 2, "woken by the report, not by the timeout")
    job:join()
    assert.equal("late1", got[1].response)
  end)

  it("ca.wait gives up after its timeout when nothing comes", function()
    assert.equal(0, ca.wait(0.01))
  end)

  it("is refused once the final report was accepted", function()
    local cb = collector()
    local r = peer.from_thread(cb:interface(), 3, "x", true)
    assert.same({ 0, 0, 0 }, r)
    r = peer.from_thread(cb:interface(), 1, "late")
    assert.same({ ca.E_ILLEGAL_METHOD_CALL.value }, r)
    ca.dispatch()
  end)

  it("to a callback closed before dispatch is dropped and counted", function()
    local cb, got = collector()
    local ptr = cb:interface()
    peer.addref(ptr)
    peer.from_thread(ptr, 2, "x")
    cb:close()
    local before = ca.stats().discarded
    assert.equal(0, ca.dispatch())
    assert.equal(0, #got)
    assert.equal(before + 2, ca.stats().discarded)
    peer.release(ptr)
  end)

  it("from a thread that then releases the last native reference", function()
    local cb, got = collector()
    local job = peer.start(cb:interface(), 2, "x")
    cb = nil  -- luacheck: ignore 311
    job:join()
    collectgarbage()
    collectgarbage()
    assert.equal(2, ca.dispatch())
    assert.equal(2, #got)
  end)

  it("keeps each thread's order while the Lua thread dispatches concurrently", function()
    local cb, got = collector()
    local jobs = {}
    for t = 1, 4 do jobs[t] = peer.start(cb:interface(), 2000, "t" .. t .. ":") end
    local function all_done()
      for _, j in ipairs(jobs) do if not j:done() then return false end end
      return true
    end
    while not all_done() do ca.wait(0.01, 500) end
    ca.dispatch()
    local last, n = {}, 0
    for _, r in ipairs(got) do
      local t, i = r.response:match("^t(%d):(%d+)$")
      t, i = tonumber(t), tonumber(i)
      assert.equal((last[t] or 0) + 1, i)
      last[t] = i
      n = n + 1
    end
    assert.equal(8000, n)
    for _, j in ipairs(jobs) do
      for _, hr in ipairs(j:join()) do assert.equal(0, hr) end
    end
  end)
end)

describe("a full queue", function()
  local saved
  before_each(function() saved = ca.configure() end)
  after_each(function() ca.configure(saved) ca.dispatch() end)

  it("refuses at once with RPC_E_SERVERCALL_RETRYLATER by default, counted", function()
    ca.configure({ max_queued = 2 })
    local cb, got = collector()
    local r = peer.from_thread(cb:interface(), 4, "q")
    local retry = ca.RPC_E_SERVERCALL_RETRYLATER.value
    assert.same({ 0, 0, retry, retry }, r)
    assert.equal(2, cb:stats().refused.queue_full)
    assert.equal(2, ca.dispatch())
    assert.equal(2, #got)
  end)

  it("bounds queued bytes too", function()
    ca.configure({ max_queued_bytes = 10 })
    local cb = collector()
    local r = peer.from_thread(cb:interface(), 3, "0123")  -- 5 bytes each
    local retry = ca.RPC_E_SERVERCALL_RETRYLATER.value
    assert.same({ 0, 0, retry }, r)
  end)

  it("lets a blocked producer through as the Lua thread makes room (block_ms)", function()
    ca.configure({ max_queued = 2, block_ms = 10000 })
    local cb, got = collector()
    local job = peer.start(cb:interface(), 50, "b")
    while not job:done() do ca.wait(0.01) end
    ca.dispatch()
    assert.equal(50, #got)
    assert.equal("b50", got[50].response)
    for _, hr in ipairs(job:join()) do assert.equal(0, hr) end
    assert.equal(0, cb:stats().refused.queue_full)
  end)

  it("refuses after block_ms when nobody makes room", function()
    ca.configure({ max_queued = 1, block_ms = 20 })
    local cb = collector()
    local r = peer.from_thread(cb:interface(), 3, "z")
    local retry = ca.RPC_E_SERVERCALL_RETRYLATER.value
    assert.same({ 0, retry, retry }, r)
    assert.equal(2, cb:stats().refused.queue_full)
  end)
end)

describe("closing an issuer under backpressure", function()
  local saved
  before_each(function() saved = ca.configure() end)
  after_each(function() ca.configure(saved) ca.dispatch() end)

  it("wakes its blocked workers at once instead of waiting block_ms for each", function()
    ca.configure({ max_queued = 1, block_ms = 5000 })
    local pm = ca.issuer({ threads = 2, builtins = false })
    pm:define("A", { every = 1 })
    pm:define("B", { every = 1 })
    local cb_a, cb_b = collector(), collector()
    pm:register("A", "", cb_a)
    pm:register("B", "", cb_b)
    -- nobody dispatches: the queue fills and both workers block for room
    local spin = os.time() + 1
    while os.time() < spin do end
    local t0 = os.time()
    pm:close()
    assert.is_true(os.time() - t0 <= 2, "close waited for block_ms")
    local refused = cb_a:stats().refused.queue_full + cb_b:stats().refused.queue_full
    assert.is_true(refused >= 1)
  end)
end)

describe("handler errors on queued reports", function()
  it("go to on_error and are counted", function()
    local errs = {}
    local cb = ca.callback(function() error("queued boom") end,
      { on_error = function(e) errs[#errs + 1] = e end })
    peer.from_thread(cb:interface(), 2, "x")
    ca.dispatch()
    assert.equal(2, #errs)
    assert.matches("queued boom", errs[1])
    assert.equal(2, cb:stats().errors)
  end)
end)

describe("ca.fd", function()
  it("is a descriptor number that stays the same", function()
    assert.is_true(ca.fd() % 1 == 0 and ca.fd() >= 0)
    assert.equal(ca.fd(), ca.fd())
  end)
end)

describe("ca.configure", function()
  it("starts from the documented limits, which ca.defaults lists", function()
    -- docs/manual.md, "Limits and defaults"
    local documented = { max_queued = 1048576, max_queued_bytes = 64 * 1024 * 1024, block_ms = 0 }
    local c = ca.configure()
    assert.same(documented, { max_queued = c.max_queued,
                              max_queued_bytes = c.max_queued_bytes, block_ms = c.block_ms })
    assert.same(documented, ca.defaults.configure)
  end)

  it("returns the limits and refuses unknown options", function()
    local c = ca.configure({ max_queued = 7 })
    assert.equal(7, c.max_queued)
    assert.equal(7, ca.configure().max_queued)
    ca.configure({ max_queued = ca.defaults.configure.max_queued })
    assert.error_matches(function() ca.configure({ max_qeued = 1 }) end,
      "unknown option 'max_qeued'")
  end)
end)

describe("ca.wait and ca.dispatch", function()
  it("refuse bad arguments, naming them", function()
    assert.error_matches(function() ca.wait(-1) end,
      "bad argument #1 to 'wait' %('timeout' must be a number of seconds in 0..1000000000 %(got %-1%)%)")
    assert.error_matches(function() ca.wait(0 / 0) end,
      "bad argument #1 to 'wait' %('timeout' must be a number of seconds in 0..1000000000 %(got nan%)%)")
    assert.error_matches(function() ca.dispatch(-1) end,
      "bad argument #1 to 'dispatch' %('max' must be an integer in 0..9007199254740992 %(got %-1%)%)")
    assert.error_matches(function() ca.dispatch("x") end,
      "bad argument #1 to 'dispatch' %('max' must be an integer in 0..9007199254740992 %(got a string%)%)")
  end)
end)
