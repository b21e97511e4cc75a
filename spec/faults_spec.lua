-- Misbehaviours a real protocol manager might commit, injected by the
-- simulated issuer, and what the callback does with each.
local ca = require "customaction"
local support = require "support"
require "customaction.busted"

local pm
before_each(function() pm = ca.issuer({ clock = "virtual", builtins = false }) end)
after_each(function() pm:close() ca.dispatch() end)

-- Runs scenario "A" to its end; every fault but never_release must still
-- leave the log's AddRefs and Releases balanced.
local function run_scenario(scenario, opts)
  pm:define("A", scenario)
  local cb, got = support.recorder(ca, opts)
  assert.equal(ca.S_OK, pm:register("A", "", cb))
  pm:advance(1000)
  local log = pm:log()
  local leaks = false
  for _, f in ipairs(scenario.faults or {}) do
    if f == "never_release" then leaks = true end
  end
  if leaks then assert.is_not.balanced(log) else assert.balanced(log) end
  assert.equal(0, pm:pending())
  return cb, got, log
end

describe("fault null_buffer", function()
  it("is refused with E_POINTER, never reaches the handler, ends the registration", function()
    local cb, got, log = run_scenario({ every = 10, count = 4, payload = "data",
                                        faults = { { "null_buffer", at = 2 } } })
    assert.equal(1, #got)
    assert.equal(1, cb:stats().refused.null_buffer)
    assert.protocol({ "addref A", "register A", "report A S_OK", "report A S_OK", "stop A", "release A" }, log)
    assert.is_true(log[4].null)
    assert.equal(4, log[4].bytes)
    assert.hresult(ca.E_POINTER, log[4].result)
  end)
end)

describe("fault oversized", function()
  it("is refused with ERROR_MESSAGE_EXCEEDS_MAX_SIZE", function()
    local cb, got, log = run_scenario({ every = 10, count = 2,
      faults = { { "oversized", size = 65 } } }, { max_response = 64 })
    assert.equal(0, #got)
    assert.equal(1, cb:stats().refused.oversized)
    assert.equal(ca.HRESULT_FROM_WIN32_ERROR_MESSAGE_EXCEEDS_MAX_SIZE, log[3].result)
    assert.equal(65, log[3].bytes)
  end)

  it("by default sends one byte more than the default max_response", function()
    local _, got, log = run_scenario({ count = 1, faults = { "oversized" } })
    assert.equal(0, #got)
    assert.equal(16 * 1024 * 1024 + 1, log[3].bytes)
  end)
end)

describe("fault duplicate_final", function()
  it("delivers one final; the repeat gets E_ILLEGAL_METHOD_CALL", function()
    local cb, got, log = run_scenario({ every = 10, count = 2, faults = { "duplicate_final" } })
    assert.equal(2, #got)
    assert.is_true(got[2].final)
    assert.equal(1, cb:stats().refused.after_final)
    assert.same({ "addref A", "register A", "report A S_OK", "report A S_OK final",
                  "report A S_OK final", "release A" }, support.sequence(log))
    assert.equal(ca.E_ILLEGAL_METHOD_CALL, log[5].result)
  end)
end)

describe("fault after_final", function()
  it("gets E_ILLEGAL_METHOD_CALL for the report after the final one", function()
    local cb, got, log = run_scenario({ every = 10, count = 1, faults = { "after_final" } })
    assert.equal(1, #got)
    assert.equal(1, cb:stats().refused.after_final)
    assert.same({ "addref A", "register A", "report A S_OK final", "report A S_OK", "release A" },
      support.sequence(log))
  end)
end)

describe("fault foreign_thread", function()
  it("makes the callback queue that report for the Lua thread", function()
    local cb, got, log = run_scenario({ every = 10, count = 3, format = "%d",
                                        faults = { { "foreign_thread", at = 3 } } })
    assert.equal(2, #got)               -- reports 1 and 2 arrived at once
    assert.equal(1, cb:stats().queued)
    assert.equal(1, ca.dispatch())
    assert.same({ "1", "2", "3" }, { got[1].response, got[2].response, got[3].response })
    local threads = {}
    for _, e in ipairs(log) do if e.op == "report" then threads[#threads + 1] = e.thread end end
    assert.equal(threads[1], threads[2])
    assert.not_equal(threads[1], threads[3])
    assert.equal(ca.S_OK, log[5].result) -- queued: the caller hears S_OK at once
  end)

  it("cannot deliver a report after the final one: what arrives late is refused and counted", function()
    -- response 1 is queued from another thread while 2, 3 and 4 (final)
    -- are delivered at once; delivering 1 now would follow the final
    local cb, got = run_scenario({ every = 10, count = 4, format = "%d",
                                   faults = { { "foreign_thread", at = 1 } } })
    assert.same({ "2", "3", "4" }, { got[1].response, got[2].response, got[3].response })
    assert.equal(0, ca.dispatch())
    assert.equal(3, #got)
    local s = cb:stats()
    assert.equal(1, s.queued)
    assert.equal(1, s.refused.after_final)
    assert.equal(3, s.delivered)
  end)
end)

describe("fault early_release", function()
  it("releases before the last report; the callback lives on through its proxy", function()
    local cb, got, log = run_scenario({ every = 10, count = 3, faults = { "early_release" } })
    assert.equal(3, #got)
    assert.same({ "addref A", "register A", "report A S_OK", "report A S_OK", "release A",
                  "report A S_OK final" }, support.sequence(log))
    assert.is_true(support.balanced(log))
    assert.equal(1, cb:stats().refs)
  end)
end)

describe("fault never_release", function()
  it("leaves the callback held: the log never balances while the issuer lives", function()
    local cb, got, log = run_scenario({ count = 1, faults = { "never_release" } })
    assert.equal(1, #got)
    assert.same({ "addref A", "register A", "report A S_OK final" }, support.sequence(log))
    assert.is_false(support.balanced(log))
    assert.equal(2, cb:stats().refs)
    pm:close()
    for _ = 1, 4 do collectgarbage() end
    assert.equal(1, cb:stats().refs)   -- freed with the issuer itself
  end)
end)

describe("fault jitter", function()
  local function times(seed)
    local p = ca.issuer({ clock = "virtual", builtins = false })
    p:define("A", { every = 10, count = 6, faults = { { "jitter", ms = 4, seed = seed } } })
    p:register("A", "", support.recorder(ca))
    p:advance(1000)
    local t = {}
    for _, e in ipairs(p:log()) do if e.op == "report" then t[#t + 1] = e.time end end
    p:close()
    return t
  end

  it("is reproducible from its seed and stays within every..every+ms", function()
    local a, b, c = times(42), times(42), times(7)
    assert.same(a, b)
    assert.not_same(a, c)
    for i = 2, #a do
      local gap = a[i] - a[i - 1]
      assert.is_true(gap >= 10 and gap <= 14, "gap " .. gap)
    end
  end)
end)
