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
    assert.equal(ca.E_NOTIMPL, virtual():run("GetRequests", "", cb))
  end)

  it("rejects bad options, naming them", function()
    assert.error_matches(function() ca.issuer({ threads = 0 }) end,
      "option 'threads' must be an integer in 1..64 %(got 0%)")
    assert.error_matches(function() ca.issuer({ clock = "fast" }) end,
      "option 'clock' must be \"virtual\" or \"real\"")
    assert.error_matches(function() ca.issuer({ clock = "virtual", threads = 2 }) end,
      "option 'threads' must be left out with a virtual clock")
    assert.error_matches(function() ca.issuer({ thread = 2 }) end,
      "unknown option 'thread' %(expected threads, clock, log, log_limit, run, builtins%)")
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
      { { every = 0 }, "scenario field 'every' must be an integer in 1..1000000000000 %(got 0%)" },
      { { count = 0 }, "scenario field 'count' must be an integer in 1..10000000 %(got 0%)" },
      { { delay = -1 }, "scenario field 'delay' must be an integer in 0..1000000000000 %(got %-1%)" },
      { { status = "E_NOPE" }, "scenario field 'status' must be an HRESULT" },
      { { payload = 5 }, "scenario field 'payload' must be a string or a list of strings" },
      { { payload = {} }, "scenario field 'payload' must not be an empty list" },
      { { payload = { "a", 1 } }, "scenario field 'payload' item 2 is a number" },
      { { format = "%s" }, "scenario field 'format' may hold only %%d" },
      { { encoding = "latin1" }, "scenario field 'encoding' must be \"utf8\" or \"utf16\"" },
      { { payload = "x", echo = true }, "'payload', 'format' and 'echo' exclude each other" },
      { { faults = { "melt" } }, "names an unknown fault 'melt'" },
      { { faults = { { "jitter", ms = 2 } } }, "jitter needs 'every'" },
      { { faults = { { "null_buffer", at = 0 } } },
        "'faults' item 1: 'at' must be an integer in 1..10000000 %(got 0%)" },
      { { faults = { { "null_buffer", when = 1 } } }, "unknown key 'when'" },
      { { encoding = "utf16", payload = "\255" }, "'payload' item 1: invalid UTF%-8 byte at byte 1" },
      { { colour = "red" }, "unknown scenario field 'colour' %(expected every, count" },
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

describe("pm:run with run = \"queued\"", function()
  it("keeps the old behaviour: the report comes later, S_OK, E_NOT_SET", function()
    local q = ca.issuer({ clock = "virtual", builtins = false, run = "queued" })
    q:define("Get", { delay = 5, payload = "result", status = "S_FALSE" })
    local cb, got = support.recorder(ca)
    assert.equal(ca.S_OK, q:run("Get", "q", cb))
    assert.same({}, got)
    q:advance(100)
    assert.same({ { status = ca.S_FALSE, response = "result", final = true } }, got)
    assert.same({ "addref Get", "run Get", "report Get S_FALSE final", "release Get" },
      support.sequence(q:log()))
    assert.equal(ca.E_NOT_SET, q:run("Nope", "", cb))
    assert.error_matches(function() ca.issuer({ run = "later" }) end,
      "option 'run' must be \"sync\" or \"queued\"")
    q:close()
  end)
end)

require("shared.actions_api")({
  name = "pm",
  new = function()
    local pm = virtual()
    return pm, pm
  end,
  close = function(pm) pm:close() end,
  v1 = true,
}, { describe = describe, it = it, pending = pending,
     before_each = before_each, after_each = after_each, assert = assert })

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

  it("gives entries that print their fields at the REPL", function()
    local pm = virtual()
    pm:define("A", { count = 1 })
    pm:register("A", "site=1", support.recorder(ca))
    local entry = pm:log()[2]
    assert.equal("register", entry.op)
    assert.matches('^log_entry{ action = "A", op = "register", ', tostring(entry))
  end)
end)

describe("pm:close", function()
  it("cancels everything with E_ABORT finals and releases every callback", function()
    local pm = ca.issuer({ clock = "virtual", builtins = false, run = "queued" })
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
      "scenario field 'count' must be an integer in 1..10000000 %(got a string%)")
    assert.error_matches(function() pm:define("A", { every = "0x10" }) end,
      "scenario field 'every' must be an integer in 1..1000000000000 %(got a string%)")
    assert.error_matches(function() pm:define("A", { count = 10000001 }) end,
      "scenario field 'count' must be an integer in 1..10000000 %(got 10000001%)")
    pm:close()
  end)
end)
