-- The simulated issuer on a virtual clock: every operation, deterministic,
-- no sleeps. spec/issuer_threads_spec.lua runs the main paths on threads.
local ca = require "customaction"
local support = require "support"

local it_close = support.when_close(it, pending)

local function virtual() return ca.issuer({ clock = "virtual", builtins = false }) end

describe("ca.issuer", function()
  it("makes a customaction.issuer object", function()
    local pm = virtual()
    assert.equal("customaction.issuer", getmetatable(pm).__name)
    assert.matches("^customaction.issuer %(virtual clock, now 0 ms, 0 operations%)", tostring(pm))
    assert.is_true(pm:is_virtual())
  end)

  it("defines the built-in demo actions unless told not to", function()
    local pm = ca.issuer({ clock = "virtual" })
    local cb = support.recorder(ca)
    assert.equal(ca.S_OK, pm:run("GetRequests", "", cb))
    assert.equal(ca.E_NOT_SET, virtual():run("GetRequests", "", cb))
  end)

  it("rejects bad options, naming them", function()
    assert.error_matches(function() ca.issuer({ threads = 0 }) end,
      "option 'threads' must be an integer in 1..64")
    assert.error_matches(function() ca.issuer({ clock = "fast" }) end,
      "option 'clock' must be \"virtual\" or \"real\"")
    assert.error_matches(function() ca.issuer({ clock = "virtual", threads = 2 }) end,
      "leave out 'threads'")
    assert.error_matches(function() ca.issuer({ thread = 2 }) end,
      "unknown option 'thread' %(expected threads, clock, log, log_limit%)")
  end)
end)

describe("pm:define", function()
  local pm
  before_each(function() pm = virtual() end)
  after_each(function() pm:close() end)

  it("returns the issuer, for chaining", function()
    assert.equal(pm, pm:define("A", { count = 1 }))
  end)

  it("checks every scenario field, naming it", function()
    local cases = {
      { { every = 0 }, "scenario field 'every' must be an integer >= 1" },
      { { count = 0 }, "scenario field 'count' must be an integer >= 1" },
      { { delay = -1 }, "scenario field 'delay' must be an integer >= 0" },
      { { status = "E_NOPE" }, "scenario field 'status' must be an HRESULT" },
      { { payload = 5 }, "scenario field 'payload' must be a string or a list of strings" },
      { { payload = {} }, "scenario field 'payload' must not be an empty list" },
      { { payload = { "a", 1 } }, "scenario field 'payload' item 2 is a number" },
      { { format = "%s" }, "scenario field 'format' may hold only %%d" },
      { { encoding = "latin1" }, "scenario field 'encoding' must be \"utf8\" or \"utf16\"" },
      { { payload = "x", echo = true }, "'payload', 'format' and 'echo' exclude each other" },
      { { faults = { "melt" } }, "names an unknown fault 'melt'" },
      { { faults = { { "jitter", ms = 2 } } }, "jitter needs 'every'" },
      { { faults = { { "null_buffer", at = 0 } } }, "'at' must be a response number >= 1" },
      { { faults = { { "null_buffer", when = 1 } } }, "unknown key 'when'" },
      { { encoding = "utf16", payload = "\255" }, "invalid UTF%-8 byte at byte 1" },
      { { colour = "red" }, "unknown scenario field 'colour'" },
    }
    for _, c in ipairs(cases) do
      assert.error_matches(function() pm:define("X", c[1]) end,
        "bad argument #2 to 'define' %(.*" .. c[2])
    end
  end)

  it("replaces a definition for later registrations only", function()
    local cb1, got1 = support.recorder(ca)
    pm:define("A", { every = 10, count = 2, payload = "old" })
    pm:register("A", "", cb1)
    pm:define("A", { every = 10, count = 2, payload = "new" })
    pm:advance(100)
    assert.equal("old", got1[2].response)
    local cb2, got2 = support.recorder(ca)
    pm:register("A", "", cb2)
    pm:advance(100)
    assert.equal("new", got2[1].response)
  end)
end)

describe("pm:register", function()
  local pm
  before_each(function() pm = virtual() end)
  after_each(function() pm:close() end)

  it("reports at delay, then every ms, with final on the count-th", function()
    pm:define("Counters", { every = 10, count = 3, format = "n=%d" })
    local cb, got = support.recorder(ca)
    assert.equal(ca.S_OK, pm:register("Counters", "site=1", cb))
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
    pm:register("A", nil, cb)
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
    pm:register("Once", "", cb1)
    pm:register("Three", "", cb2)
    pm:advance(0)
    assert.equal(1, #got1)
    assert.is_true(got1[1].final)
    assert.equal(3, #got2)
    assert.equal("", got2[1].response)
  end)

  it("pm:advance() with no argument goes to the next due event", function()
    pm:define("A", { every = 7, count = 2 })
    local cb, got = support.recorder(ca)
    pm:register("A", "", cb)
    pm:advance()
    assert.equal(7, pm:now())
    assert.equal(1, #got)
    pm:advance()
    assert.equal(14, pm:now())
    assert.equal(0, pm:advance())
  end)

  it("fails for an undefined name with HRESULT_FROM_WIN32(ERROR_NOT_FOUND)", function()
    local cb = support.recorder(ca)
    assert.equal(ca.hresult.from_win32("ERROR_NOT_FOUND"), pm:register("Nope", "", cb))
  end)

  it("fails for a name already registered with ERROR_ALREADY_EXISTS", function()
    pm:define("A", { every = 10 })
    local cb = support.recorder(ca)
    assert.equal(ca.S_OK, pm:register("A", "", cb))
    assert.equal(ca.HRESULT_FROM_WIN32_ERROR_ALREADY_EXISTS, pm:register("A", "", cb))
  end)

  it("may register an action again once it finished on its own", function()
    pm:define("A", { every = 10, count = 1 })
    local cb1, cb2 = support.recorder(ca), support.recorder(ca)
    pm:register("A", "", cb1)
    pm:advance(10)
    assert.is_false(pm:active("A"))
    assert.equal(ca.S_OK, pm:register("A", "", cb2))
  end)

  it("AddRefs the callback and releases it when done: the log balances", function()
    pm:define("A", { every = 10, count = 2 })
    local cb = support.recorder(ca)
    pm:register("A", "", cb)
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
    pm:register("A", "", cb)
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
    pm:register("A", "", cb)
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
    assert.equal(ca.S_OK, pm:register("Zähler", "größe=✓", cb))
    pm:advance(0)
    assert.equal("größe=✓", ca.utf16.decode(got[1].response))
    assert.equal("Zähler", pm:log()[1].action)
  end)

  it("raises for Lua misuse only", function()
    pm:define("A", { count = 1 })
    assert.error_matches(function() pm:register(1, "", {}) end,
      "bad argument #3 to 'register' %(customaction.callback expected")
    assert.error_matches(function() pm:register("A\255", "", support.recorder(ca)) end,
      "bad argument #1 to 'register' %(invalid UTF%-8 byte at byte 2%)")
    assert.error_matches(function() pm:register("A\0B", "", support.recorder(ca)) end,
      "embedded NUL")
  end)
end)

describe("pm:unregister", function()
  local pm
  before_each(function() pm = virtual() end)
  after_each(function() pm:close() end)

  it("stops a running action with one final E_ABORT, then releases", function()
    pm:define("A", { every = 10 })
    local cb, got = support.recorder(ca)
    pm:register("A", "", cb)
    pm:advance(25)
    assert.equal(ca.S_OK, pm:unregister("A"))
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
    assert.equal(ca.E_NOT_SET, pm:unregister("A"))
    pm:register("A", "", support.recorder(ca))
    pm:advance(0)
    assert.equal(ca.HRESULT_FROM_WIN32_ERROR_NOT_FOUND, pm:unregister("A"))
  end)

  it("may be called from inside the action's own handler", function()
    pm:define("A", { every = 10 })
    local got = {}
    local cb = ca.callback(function(s, _, f)
      got[#got + 1] = s.name .. (f and " final" or "")
      if #got == 2 then assert(pm:unregister("A") == ca.S_OK) end
    end)
    pm:register("A", "", cb)
    pm:advance(100)
    assert.same({ "S_OK", "S_OK", "E_ABORT final" }, got)
    assert.is_true(support.balanced(pm:log()))
  end)

  it("lets the name be registered again at once", function()
    pm:define("A", { every = 10 })
    pm:register("A", "", support.recorder(ca))
    pm:unregister("A")
    assert.equal(ca.S_OK, pm:register("A", "", support.recorder(ca)))
  end)
end)

describe("pm:run", function()
  local pm
  before_each(function() pm = virtual() end)
  after_each(function() pm:close() end)

  it("reports exactly once through the v1 shape", function()
    pm:define("Get", { delay = 5, payload = "result", status = "S_FALSE", every = 1, count = 9 })
    local cb, got = support.recorder(ca)
    assert.equal(ca.S_OK, pm:run("Get", "q", cb))
    pm:advance(100)
    assert.same({ { status = ca.S_FALSE, response = "result", final = true } }, got)
    assert.same({ "addref Get", "run Get", "report Get S_FALSE final", "release Get" },
      support.sequence(pm:log()))
    for _, e in ipairs(pm:log()) do assert.equal("v1", e.shape) end
  end)

  it("fails for an undefined name", function()
    assert.equal(ca.E_NOT_SET, pm:run("Nope", "", support.recorder(ca)))
  end)

  it("may run the same action several times at once", function()
    pm:define("Get", { payload = "r" })
    local cb1, got1 = support.recorder(ca)
    local cb2, got2 = support.recorder(ca)
    pm:run("Get", "", cb1)
    pm:run("Get", "", cb2)
    pm:advance(0)
    assert.equal(1, #got1)
    assert.equal(1, #got2)
  end)
end)

describe("pm:stream", function()
  local pm
  before_each(function() pm = virtual() end)
  after_each(function() pm:close() end)

  it("yields each response and ends after the final one, advancing time itself", function()
    pm:define("A", { every = 10, count = 3, format = "%d" })
    local seen = {}
    for status, response, final in pm:stream("A", "") do
      seen[#seen + 1] = { status, response, final }
    end
    assert.same({ { ca.S_OK, "1", false }, { ca.S_OK, "2", false }, { ca.S_OK, "3", true } }, seen)
    assert.equal(30, pm:now())
    assert.is_true(support.balanced(pm:log()))
  end)

  it_close("unregisters when the loop is left early", function()
    pm:define("A", { every = 10, format = "%d" })
    for _, response in pm:stream("A", "") do
      if response == "2" then break end
    end
    assert.is_false(pm:active("A"))
    assert.equal(0, pm:pending())
    assert.is_true(support.balanced(pm:log()))
  end)

  it_close("unregisters when the loop body raises", function()
    pm:define("A", { every = 10 })
    assert.error_matches(function()
      for _ in pm:stream("A", "") do error("body failed") end
    end, "body failed")
    assert.is_false(pm:active("A"))
  end)

  it("unregisters when its fourth value is closed, on any Lua", function()
    pm:define("A", { every = 10, format = "%d" })
    local next_response, _, _, stream = pm:stream("A", "")
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
    local next_response, _, _, stream = pm:stream("A", "")
    assert.matches("^customaction.stream 'A' %(open%)", tostring(stream))
    for _ in next_response do end
    assert.matches("^customaction.stream 'A' %(closed%)", tostring(stream))
    assert.is_true(support.balanced(pm:log()))
  end)

  it("raises when the registration fails", function()
    assert.error_matches(function() for _ in pm:stream("Nope") do end end,
      'stream: registering "Nope" failed: E_NOT_SET')
  end)
end)

describe("pm:log", function()
  it("clears when asked and can be switched off", function()
    local pm = virtual()
    pm:define("A", { count = 1 })
    pm:register("A", "", support.recorder(ca))
    assert.equal(2, #pm:log(true))
    assert.equal(0, #pm:log())
    local quiet = ca.issuer({ clock = "virtual", log = false })
    quiet:define("A", { count = 1 })
    quiet:register("A", "", support.recorder(ca))
    assert.equal(0, #quiet:log())
  end)

  it("stops at log_limit and counts what it dropped", function()
    local pm = ca.issuer({ clock = "virtual", log_limit = 3, builtins = false })
    pm:define("A", { count = 2 })
    pm:register("A", "", support.recorder(ca))
    pm:advance(0)
    local log = pm:log()
    assert.equal(3, #log)
    assert.equal(2, log.dropped)
  end)
end)

describe("pm:close", function()
  it("cancels everything with E_ABORT finals and releases every callback", function()
    local pm = virtual()
    pm:define("A", { every = 10 })
    pm:define("B", { delay = 50, payload = "late" })
    local cba, gota = support.recorder(ca)
    local cbb, gotb = support.recorder(ca)
    pm:register("A", "", cba)
    pm:run("B", "", cbb)
    pm:advance(15)
    local log_before = pm:log()
    pm:close()
    assert.same({ status = ca.E_ABORT, response = "", final = true }, gota[#gota])
    assert.same({ { status = ca.E_ABORT, response = "", final = true } }, gotb)
    assert.equal(1, cba:stats().refs)
    assert.equal(1, cbb:stats().refs)
    assert.equal("customaction.issuer (closed)", tostring(pm))
    assert.error_matches(function() pm:log() end, "issuer is closed")
    assert.is_true(#log_before > 0)
  end)

  it_close("is the to-be-closed metamethod", function()
    local cb = support.recorder(ca)
    support.compile([[
      local virtual, cb = ...
      local pm <close> = virtual()
      pm:define("A", { every = 10 })
      pm:register("A", "", cb)
      assert(cb:stats().refs == 2)
    ]])(virtual, cb)
    assert.equal(1, cb:stats().refs)
  end)

  it("is the __gc metamethod", function()
    local cb2 = support.recorder(ca)
    do
      local pm = virtual()
      pm:define("A", { every = 10 })
      pm:register("A", "", cb2)
    end
    for _ = 1, 4 do collectgarbage() end
    assert.equal(1, cb2:stats().refs)
  end)

  it("leaves native holders of its interface an answer: RPC_E_DISCONNECTED", function()
    local pm = virtual()
    local ptr = pm:interface("v2")
    assert.equal("userdata", type(ptr))
    assert.not_equal(ptr, pm:interface("v1"))
    pm:close()
  end)
end)

describe("pm:advance", function()
  it("needs a virtual clock", function()
    local pm = ca.issuer({ threads = 1, builtins = false })
    assert.error_matches(function() pm:advance(1) end, "needs an issuer on a virtual clock")
    pm:close()
  end)

  it("refuses to run inside a report it is making", function()
    local pm = virtual()
    pm:define("A", { count = 1 })
    local err
    pm:register("A", "", ca.callback(function() err = select(2, pcall(pm.advance, pm, 1)) end))
    pm:advance(0)
    assert.matches("advance called from inside a report", err)
  end)
end)

describe("scenario numbers", function()
  it("must be numbers, not numeric strings, and count has a ceiling", function()
    local pm = ca.issuer({ clock = "virtual", builtins = false })
    assert.error_matches(function() pm:define("A", { count = "5" }) end,
      "scenario field 'count' must be an integer >= 1")
    assert.error_matches(function() pm:define("A", { every = "0x10" }) end,
      "scenario field 'every' must be an integer >= 1")
    assert.error_matches(function() pm:define("A", { count = 10000001 }) end,
      "scenario field 'count' must be at most 10000000")
    pm:close()
  end)
end)
