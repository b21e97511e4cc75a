-- Reports from other threads: queued at once, delivered on the Lua thread
-- by ca.dispatch / ca.wait, in order, with nothing lost.
local ca = require "customaction"
local peer = require "nativepeer"

local function collector(opts)
  local got = {}
  local cb = ca.callback(function(status, response, final)
    got[#got + 1] = { status = status, response = response, final = final }
  end, opts)
  return cb, got
end

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

  it("ca.wait returns at once when reports are pending", function()
    local cb, got = collector()
    peer.from_thread(cb:interface(), 2, "w")
    assert.equal(2, ca.wait(5))
    assert.equal(2, #got)
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
    peer.from_thread(cb:interface(), 2, "x", false, true)
    cb = nil  -- luacheck: ignore 311
    collectgarbage()
    collectgarbage()
    assert.equal(2, ca.dispatch())
    assert.equal(2, #got)
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
    assert.is_true(math.type(ca.fd()) == "integer" and ca.fd() >= 0)
    assert.equal(ca.fd(), ca.fd())
  end)
end)

describe("ca.configure", function()
  it("returns the limits and refuses unknown options", function()
    local c = ca.configure()
    assert.is_true(c.max_queued > 0 and c.max_queued_bytes > 0)
    assert.error_matches(function() ca.configure({ max_qeued = 1 }) end,
      "unknown option 'max_qeued'")
  end)

  it("a full queue refuses with RPC_E_SERVERCALL_RETRYLATER, counted", function()
    local old = ca.configure()
    ca.configure({ max_queued = 2 })
    local cb, got = collector()
    local r = peer.from_thread(cb:interface(), 4, "q")
    ca.configure(old)
    local retry = ca.RPC_E_SERVERCALL_RETRYLATER.value
    assert.same({ 0, 0, retry, retry }, r)
    assert.equal(2, cb:stats().refused.queue_full)
    assert.equal(2, ca.dispatch())
    assert.equal(2, #got)
  end)
end)
