-- The custom-actions API every provider answers the same way: register,
-- unregister, run and stream, with the same arguments, HRESULTs and
-- protocol. One body, run against each implementation by a spec that
-- passes its factory (spec/issuer_spec.lua: the simulated issuer itself;
-- spec/actions_spec.lua: the issuer's interface pointers wrapped by
-- ca.actions as foreign objects). A factory is a table:
--   name         what the describe blocks are called after ("pm", ...)
--   new()        returns pm, acts: pm drives the provider behind the API
--                (define, advance, now, active, pending, log: the
--                simulated issuer's methods, on a virtual clock) and acts
--                is the object under test (run, register, unregister,
--                stream); for the issuer itself both are the issuer
--   close(pm, acts)  ends both
--   v1           true when acts can run (wraps an IPmCustomActions)
--   unknown      what registering an unknown name gets (default: the
--                simulated issuer's HRESULT_FROM_WIN32(ERROR_NOT_FOUND))
-- Further providers (a Lua provider, a loaded library) join by supplying
-- such a table with a pm that can define actions.
local ca = require "customaction"
local support = require "support"

return function(impl, env)
local describe, it, pending = env.describe, env.it, env.pending
local before_each, after_each, assert = env.before_each, env.after_each, env.assert
local it_close = support.when_close(it, pending)
local UNKNOWN = impl.unknown or ca.hresult.from_win32("ERROR_NOT_FOUND")
-- Without an IPmCustomActions (v1) there is nothing to run with: run is
-- refused with an error that says so.
local function run_refused(name)
  describe(name, function()
    local pm, acts
    before_each(function() pm, acts = impl.new() end)
    after_each(function() impl.close(pm, acts) end)

    it("is refused: this implementation wraps no IPmCustomActions (v1)", function()
      assert.error_matches(function() acts:run("Get", "", support.recorder(ca)) end,
        "IPmCustomActions")
    end)
  end)
end

describe(impl.name .. ":register", function()
  local pm, acts
  before_each(function() pm, acts = impl.new() end)
  after_each(function() impl.close(pm, acts) end)

  it("reports at delay, then every ms, with final on the count-th", function()
    pm:define("Counters", { every = 10, count = 3, format = "n=%d" })
    local cb, got = support.recorder(ca)
    assert.equal(ca.S_OK, acts:register("Counters", "site=1", cb))
    assert.equal(0, pm:advance(9))
    assert.equal(0, #got)
    assert.equal(1, pm:advance(1))
    assert.same({ status = ca.S_OK, response = "n=1", final = false }, got[1])
    pm:advance(20)
    assert.equal(3, #got)
    assert.same({ status = ca.S_OK, response = "n=3", final = true }, got[3])
    local times = {}
    for _, e in ipairs(pm:log()) do
      if e.op == "report" then times[#times + 1] = e.time end
    end
    assert.same({ 10, 20, 30 }, times)
  end)

  it("honours delay and status, and uses payloads in turn", function()
    pm:define("A", { every = 5, count = 3, delay = 1, status = "S_FALSE",
                     payload = { "a", "b" } })
    local cb, got = support.recorder(ca)
    acts:register("A", nil, cb)
    pm:advance(1)
    assert.equal(1, #got)
    pm:advance(10)
    assert.same({ "a", "b", "a" }, { got[1].response, got[2].response, got[3].response })
    assert.equal(ca.S_FALSE, got[3].status)
  end)

  it("without every sends count responses at once, one by default", function()
    pm:define("Once", { payload = "x" })
    pm:define("Three", { count = 3 })
    local cb1, got1 = support.recorder(ca)
    local cb2, got2 = support.recorder(ca)
    acts:register("Once", "", cb1)
    acts:register("Three", "", cb2)
    pm:advance(0)
    assert.equal(1, #got1)
    assert.is_true(got1[1].final)
    assert.equal(3, #got2)
    assert.equal("", got2[1].response)
  end)

  it("pm:advance() with no argument goes to the next due event", function()
    pm:define("A", { every = 7, count = 2 })
    local cb, got = support.recorder(ca)
    acts:register("A", "", cb)
    pm:advance()
    assert.equal(7, pm:now())
    assert.equal(1, #got)
    pm:advance()
    assert.equal(14, pm:now())
    assert.equal(0, pm:advance())
  end)

  it("fails for an undefined name (the issuer: ERROR_NOT_FOUND)", function()
    local cb = support.recorder(ca)
    assert.equal(UNKNOWN, acts:register("Nope", "", cb))
  end)

  it("fails for a name already registered with ERROR_ALREADY_EXISTS", function()
    pm:define("A", { every = 10 })
    local cb = support.recorder(ca)
    assert.equal(ca.S_OK, acts:register("A", "", cb))
    assert.equal(ca.HRESULT_FROM_WIN32_ERROR_ALREADY_EXISTS, acts:register("A", "", cb))
  end)

  it("may register an action again once it finished on its own", function()
    pm:define("A", { every = 10, count = 1 })
    local cb1, cb2 = support.recorder(ca), support.recorder(ca)
    acts:register("A", "", cb1)
    pm:advance(10)
    assert.is_false(pm:active("A"))
    assert.equal(ca.S_OK, acts:register("A", "", cb2))
  end)

  it("AddRefs the callback and releases it when done: the log balances", function()
    pm:define("A", { every = 10, count = 2 })
    local cb = support.recorder(ca)
    acts:register("A", "", cb)
    assert.equal(2, cb:stats().refs)
    pm:advance(20)
    assert.equal(1, cb:stats().refs)
    assert.same({ "addref A", "register A", "report A S_OK", "report A S_OK final", "release A" },
      support.sequence(pm:log()))
    assert.is_true(support.balanced(pm:log()))
  end)

  it("logs bytes, the returned HRESULT and the thread of each report", function()
    pm:define("A", { payload = "12345" })
    local cb = ca.callback(function() return ca.S_FALSE end)
    acts:register("A", "", cb)
    pm:advance(0)
    local r = pm:log()[3]
    assert.equal("report", r.op)
    assert.equal(5, r.bytes)
    assert.equal(ca.S_FALSE, r.result)
    assert.equal("v2", r.shape)
    assert.equal(pm:log()[1].thread, r.thread)
  end)

  it("stops a registration whose handler returns a failure HRESULT", function()
    pm:define("A", { every = 10, count = 5 })
    local n = 0
    local cb = ca.callback(function() n = n + 1 if n == 2 then return ca.E_ACCESSDENIED end end)
    acts:register("A", "", cb)
    pm:advance(100)
    assert.equal(2, n)
    assert.is_false(pm:active("A"))
    assert.same({ "addref A", "register A", "report A S_OK", "report A S_OK", "stop A", "release A" },
      support.sequence(pm:log()))
    assert.equal(ca.E_ACCESSDENIED, pm:log()[5].result)
  end)

  it("converts names and arguments to UTF-16 and back", function()
    pm:define("Zähler", { echo = true, encoding = "utf16" })
    local cb, got = support.recorder(ca)
    assert.equal(ca.S_OK, acts:register("Zähler", "größe=✓", cb))
    pm:advance(0)
    assert.equal("größe=✓", ca.utf16.decode(got[1].response))
    assert.equal("Zähler", pm:log()[1].action)
  end)

  it("raises for Lua misuse only", function()
    pm:define("A", { count = 1 })
    assert.error_matches(function() acts:register(1, "", {}) end,
      "bad argument #3 to 'register' %(customaction.callback or function expected")
    assert.error_matches(function() acts:register("A\255", "", support.recorder(ca)) end,
      "bad argument #1 to 'register' %(invalid UTF%-8 byte at byte 2%)")
    assert.error_matches(function() acts:register("A\0B", "", support.recorder(ca)) end,
      "embedded NUL")
  end)
end)

describe(impl.name .. ":unregister", function()
  local pm, acts
  before_each(function() pm, acts = impl.new() end)
  after_each(function() impl.close(pm, acts) end)

  it("stops a running action with one final E_ABORT, then releases", function()
    pm:define("A", { every = 10 })
    local cb, got = support.recorder(ca)
    acts:register("A", "", cb)
    pm:advance(25)
    assert.equal(ca.S_OK, acts:unregister("A"))
    assert.equal(3, #got)
    assert.same({ status = ca.E_ABORT, response = "", final = true }, got[3])
    pm:advance(100)
    assert.equal(3, #got)
    assert.same({ "addref A", "register A", "report A S_OK", "report A S_OK", "unregister A",
                  "report A E_ABORT final", "release A" }, support.sequence(pm:log()))
    assert.equal(1, cb:stats().refs)
  end)

  it("of an unknown or finished name returns ERROR_NOT_FOUND", function()
    pm:define("A", { count = 1 })
    assert.equal(ca.E_NOT_SET, acts:unregister("A"))
    acts:register("A", "", support.recorder(ca))
    pm:advance(0)
    assert.equal(ca.HRESULT_FROM_WIN32_ERROR_NOT_FOUND, acts:unregister("A"))
  end)

  it("may be called from inside the action's own handler", function()
    pm:define("A", { every = 10 })
    local got, unregistered = {}, nil
    local cb = ca.callback(function(s, _, f)
      got[#got + 1] = s.name .. (f and " final" or "")
      if #got == 2 then unregistered = acts:unregister("A") end
    end)
    acts:register("A", "", cb)
    pm:advance(100)
    -- checked here: an assert inside the handler would only reach on_error
    assert.equal(ca.S_OK, unregistered)
    assert.same({ "S_OK", "S_OK", "E_ABORT final" }, got)
    assert.is_true(support.balanced(pm:log()))
  end)

  it("lets the name be registered again at once", function()
    pm:define("A", { every = 10 })
    acts:register("A", "", support.recorder(ca))
    acts:unregister("A")
    assert.equal(ca.S_OK, acts:register("A", "", support.recorder(ca)))
  end)
end)

local describe_run = impl.v1 and describe or run_refused
describe_run(impl.name .. ":run", function()
  local pm, acts
  before_each(function() pm, acts = impl.new() end)
  after_each(function() impl.close(pm, acts) end)

  it("reports exactly once through the v1 shape, inside the call", function()
    pm:define("Get", { delay = 5, payload = "result", status = "S_FALSE", every = 1, count = 9 })
    local cb, got = support.recorder(ca)
    assert.equal(ca.S_OK, acts:run("Get", "q", cb))
    assert.same({ { status = ca.S_FALSE, response = "result", final = true } }, got)
    assert.same({ "addref Get", "report Get S_FALSE final", "release Get", "run Get" },
      support.sequence(pm:log()))
    for _, e in ipairs(pm:log()) do assert.equal("v1", e.shape) end
    assert.equal(0, pm:now())   -- delay and every do not apply to a run
  end)

  it("returns what the handler returned, as IIS's core protocol manager does", function()
    pm:define("Get", { payload = "result" })
    local thread
    local cb = ca.callback(function() thread = coroutine.running(); return ca.E_ACCESSDENIED end)
    assert.equal(ca.E_ACCESSDENIED, acts:run("Get", "", cb))
    assert.equal(coroutine.running(), thread)   -- on the caller's thread
  end)

  it("fails with E_NOTIMPL for a name nothing answers", function()
    assert.equal(ca.E_NOTIMPL, acts:run("Nope", "", support.recorder(ca)))
  end)

  it("may run the same action several times at once", function()
    pm:define("Get", { payload = "r" })
    local cb1, got1 = support.recorder(ca)
    local cb2, got2 = support.recorder(ca)
    acts:run("Get", "", cb1)
    acts:run("Get", "", cb2)
    pm:advance(0)
    assert.equal(1, #got1)
    assert.equal(1, #got2)
  end)
end)

describe(impl.name .. ":stream", function()
  local pm, acts
  before_each(function() pm, acts = impl.new() end)
  after_each(function() impl.close(pm, acts) end)

  it("yields each response and ends after the final one, advancing time itself", function()
    pm:define("A", { every = 10, count = 3, format = "%d" })
    local seen = {}
    for status, response, final in acts:stream("A", "") do
      seen[#seen + 1] = { status, response, final }
    end
    assert.same({ { ca.S_OK, "1", false }, { ca.S_OK, "2", false }, { ca.S_OK, "3", true } }, seen)
    assert.equal(30, pm:now())
    assert.is_true(support.balanced(pm:log()))
  end)

  it_close("unregisters when the loop is left early", function()
    pm:define("A", { every = 10, format = "%d" })
    for _, response in acts:stream("A", "") do
      if response == "2" then break end
    end
    assert.is_false(pm:active("A"))
    assert.equal(0, pm:pending())
    assert.is_true(support.balanced(pm:log()))
  end)

  it_close("unregisters when the loop body raises", function()
    pm:define("A", { every = 10 })
    assert.error_matches(function()
      for _ in acts:stream("A", "") do error("body failed") end
    end, "body failed")
    assert.is_false(pm:active("A"))
  end)

  it("unregisters when its fourth value is closed, on any Lua", function()
    pm:define("A", { every = 10, format = "%d" })
    local next_response, _, _, stream = acts:stream("A", "")
    for _, response in next_response do
      if response == "2" then break end
    end
    assert.is_true(pm:active("A"))
    stream:close()
    stream:close()  -- twice is harmless
    assert.is_false(pm:active("A"))
    assert.equal(0, pm:pending())
    assert.is_true(support.balanced(pm:log()))
    assert.matches("^customaction.stream 'A' %(closed%)", tostring(stream))
  end)

  it("releases its callback by itself when the responses end", function()
    pm:define("A", { every = 10, count = 2, format = "%d" })
    local next_response, _, _, stream = acts:stream("A", "")
    assert.matches("^customaction.stream 'A' %(open%)", tostring(stream))
    for _ in next_response do end
    assert.matches("^customaction.stream 'A' %(closed%)", tostring(stream))
    assert.is_true(support.balanced(pm:log()))
  end)

  it("raises when the registration fails", function()
    assert.error_matches(function() for _ in acts:stream("Nope") do end end,
      'stream: registering "Nope" failed: ' .. UNKNOWN.name)
  end)
end)
end
