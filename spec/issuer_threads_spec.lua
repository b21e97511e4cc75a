-- The issuer's main paths again on real worker threads: reports arrive from
-- the workers through the queue and are delivered by ca.wait.
local ca = require "customaction"
local support = require "support"
local it_close = support.when_close(it, pending)

local pm
before_each(function() pm = ca.issuer({ threads = 2, builtins = false }) end)
after_each(function() pm:close() ca.dispatch() end)

local function wait_until(pred, seconds)
  local deadline = os.time() + (seconds or 10)
  while not pred() do
    ca.wait(0.02)
    assert(os.time() <= deadline, "timed out")
  end
end

describe("a threaded issuer", function()
  it("streams a registration from its worker threads, in order", function()
    pm:define("A", { every = 2, count = 20, format = "%d" })
    local cb, got = support.recorder(ca)
    assert.equal(ca.S_OK, pm:register("A", "", cb))
    wait_until(function() return #got == 20 end)
    for i, r in ipairs(got) do assert.equal(tostring(i), r.response) end
    assert.is_true(got[20].final)
    wait_until(function() return pm:pending() == 0 end)
    local log = pm:log()
    assert.is_true(support.balanced(log))
    local me
    for _, e in ipairs(log) do
      if e.op == "register" then me = e.thread end
      if e.op == "report" then assert.not_equal(me, e.thread) end
    end
    assert.equal(20, cb:stats().queued)
  end)

  it("unregister ends a running action with one E_ABORT final", function()
    pm:define("A", { every = 5 })
    local cb, got = support.recorder(ca)
    pm:register("A", "", cb)
    wait_until(function() return #got >= 2 end)
    assert.equal(ca.S_OK, pm:unregister("A"))
    wait_until(function() return #got > 0 and got[#got].final end)
    assert.equal(ca.E_ABORT, got[#got].status)
    local finals = 0
    for _, r in ipairs(got) do if r.final then finals = finals + 1 end end
    assert.equal(1, finals)
    wait_until(function() return pm:pending() == 0 end)
    assert.is_true(support.balanced(pm:log()))
  end)

  it("runs a one-shot action through v1", function()
    pm:define("Get", { payload = "r", delay = 3 })
    local cb, got = support.recorder(ca)
    assert.equal(ca.S_OK, pm:run("Get", "", cb))
    wait_until(function() return #got == 1 end)
    assert.same({ status = ca.S_OK, response = "r", final = true }, got[1])
  end)

  it_close("streams with pm:stream, and breaking out unregisters", function()
    pm:define("A", { every = 3, format = "%d" })
    local n = 0
    for _, response in pm:stream("A") do
      n = n + 1
      assert.equal(tostring(n), response)
      if n == 4 then break end
    end
    assert.is_false(pm:active("A"))
    wait_until(function() return pm:pending() == 0 end)
    assert.is_true(support.balanced(pm:log()))
  end)

  it("ends a stream quietly when the issuer was closed inside the loop", function()
    pm:define("A", { every = 3, format = "%d" })
    local next_response, _, _, stream = pm:stream("A")
    assert.equal("1", select(2, next_response()))
    pm:close()
    -- what was queued, then the E_ABORT final close sent, then the end
    local last
    for status in next_response do last = status end
    assert.equal(ca.E_ABORT, last)
    stream:close()
    assert.matches("%(closed%)", tostring(stream))
  end)

  it("lets a stream left early be closed after its issuer was", function()
    pm:define("A", { every = 3, format = "%d" })
    local next_response, _, _, stream = pm:stream("A")
    next_response()
    pm:close()
    stream:close()     -- the break of a 5.4 for loop does this
    assert.matches("%(closed%)", tostring(stream))
  end)

  it("close cancels and releases everything it holds", function()
    pm:define("A", { every = 5 })
    local cb = support.recorder(ca)
    pm:register("A", "", cb)
    pm:close()
    -- the E_ABORT final is queued and holds a reference until delivered
    ca.dispatch()
    assert.equal(1, cb:stats().refs)
  end)
end)
