-- One API on every surface (docs/manual.md "One API on every surface"):
-- every method that takes a callback takes a plain function on each
-- implementation, interface() means the same everywhere, and every
-- surface's argument errors name the caller's line (this file's).
local ca = require "customaction"
local support = require "support"

local SAMPLE = support.pm_library("samplepm", "CA_SAMPLEPM")
-- the chunk name says spec\one_api_spec.lua on Windows
local THIS_PAT = "spec[/\\]one_api_spec%.lua"

-- Each case { f, pattern }: f raises an error that starts with this
-- file's name and a line, then the pattern.
local function errors_name_this_line(cases)
  for _, c in ipairs(cases) do
    local ok, err = pcall(c[1])
    assert.is_false(ok)
    assert.matches("^" .. THIS_PAT .. ":%d+: " .. c[2], err)
  end
end

-- Waits (with a deadline) until done() holds.
local function wait_for(done, seconds)
  local deadline = ca.clock() + (seconds or 5)
  while not done() and ca.clock() < deadline do ca.wait(0.01) end
  return done()
end

-- Each implementation: its object (with run, register, unregister), a
-- name that answers once at once, a name that keeps a registration open,
-- a way to drive it, and the way to close it.
local impls = {
  issuer = function()
    local pm = ca.issuer{ clock = "virtual" }
    pm:define("Long", { every = 1000, count = 100 })
    return { obj = pm, once = "Echo", long = "Long", close = function() pm:close() end }
  end,
  ["ca.actions over an issuer"] = function()
    local pm = ca.issuer{ clock = "virtual" }
    pm:define("Long", { every = 1000, count = 100 })
    local acts = ca.actions({ v1 = pm:interface("v1"), v2 = pm:interface("v2") })
    return { obj = acts, once = "Echo", long = "Long",
             close = function() acts:close() pm:close() end }
  end,
  ["ca.load of the sample protocol manager"] = function()
    local lib = ca.load(SAMPLE)
    local acts = ca.actions({ v1 = lib:interface("v1"), v2 = lib:interface("v2") })
    return { obj = acts, once = "Echo", long = "Ticker", long_args = "every=1000",
             close = function() acts:close() lib:close() end }
  end,
  provider = function()
    local p = ca.provider{ actions = {
      Echo = function(args, reply) reply:finish(ca.S_OK, args) end,
      Long = function() end,
    } }
    return { obj = p, once = "Echo", long = "Long", close = function() p:close() end }
  end,
  ["ca.actions over a provider"] = function()
    local p = ca.provider{ actions = {
      Echo = function(args, reply) reply:finish(ca.S_OK, args) end,
      Long = function() end,
    } }
    local acts = ca.actions({ v1 = p:interface("v1"), v2 = p:interface("v2") })
    return { obj = acts, once = "Echo", long = "Long",
             close = function() acts:close() p:close() end }
  end,
}

for label, make in pairs(impls) do
  describe(label, function()
    local it_ = make()
    teardown(function() it_.close() end)

    it("run takes a plain function", function()
      local got
      local hr = it_.obj:run(it_.once, "x", function(status) got = status end)
      assert.is_true(hr:succeeded())
      assert.is_true(wait_for(function() return got ~= nil end))
      assert.is_true(got:succeeded())
    end)

    it("register and unregister take a plain function", function()
      local final
      local hr = it_.obj:register(it_.long, it_.long_args,
        function(status, _, fin) if fin then final = status end end)
      assert.equal(ca.S_OK, hr)
      assert.equal(ca.S_OK, it_.obj:unregister(it_.long))
      assert.is_true(wait_for(function() return final ~= nil end))
      assert.equal(ca.E_ABORT, final)
    end)

    it("refuses a name or argument with a NUL or invalid UTF-8, naming this line", function()
      local cases = {
        { function() it_.obj:run("a\0b", nil, print) end, "bad argument #1 to 'run' %(embedded NUL" },
        { function() it_.obj:register("a", "\255", print) end,
          "bad argument #2 to 'register' %(invalid UTF%-8" },
        { function() it_.obj:unregister("\0") end, "bad argument #1 to 'unregister' %(embedded NUL" },
        { function() it_.obj:run("a", nil, 42) end,
          "bad argument #3 to 'run' %(customaction.callback or function expected" },
      }
      errors_name_this_line(cases)
    end)

    it("stream refuses a name it cannot send, naming this line", function()
      local cases = {
        { function() local it = it_.obj:stream("a\0b") return it end,
          "bad argument #1 to 'stream' %(embedded NUL at byte 2%)" },
        { function() local it = it_.obj:stream("a", "\255") return it end,
          "bad argument #2 to 'stream' %(invalid UTF%-8" },
        { function() local it = it_.obj:stream(5) return it end,
          "bad argument #1 to 'stream' %(string expected, got number%)" },
      }
      errors_name_this_line(cases)
    end)

    it("interface() takes the one table's names, the same error for others", function()
      assert.equal("userdata", type(it_.obj:interface()))
      assert.equal(it_.obj:interface("v2"), it_.obj:interface())
      assert.equal("userdata", type(it_.obj:interface("v1")))
      local ok, err = pcall(function() it_.obj:interface("v3") end)
      assert.is_false(ok)
      assert.matches("^" .. THIS_PAT ..
        ":%d+: bad argument #1 to 'interface' %(invalid option 'v3'%)", err)
    end)
  end)
end

describe("interface() on every object", function()
  it("gives nil and E_NOINTERFACE for a name the object does not have", function()
    local cb = ca.callback(function() end)
    local pm = ca.issuer{ clock = "virtual" }
    for _, obj in ipairs { cb, pm, ca.actions(pm:interface("v1"), "v1") } do
      for _, name in ipairs { "pm", "monitor" } do
        local ptr, hr = obj:interface(name)
        assert.is_nil(ptr)
        assert.equal(ca.E_NOINTERFACE, hr)
      end
    end
    local ptr, hr = ca.actions(pm:interface("v1"), "v1"):interface("v2")
    assert.is_nil(ptr)
    assert.equal(ca.E_NOINTERFACE, hr)
    pm:close()
    cb:close()
  end)

  it("gives a provider's and a library's four interfaces", function()
    local p = ca.provider{ actions = {} }
    local lib = ca.load(SAMPLE)
    for _, obj in ipairs { p, lib } do
      local seen = {}
      for _, name in ipairs { "v1", "v2", "pm", "monitor" } do
        local ptr = obj:interface(name)
        assert.equal("userdata", type(ptr))
        assert.is_nil(seen[ptr])
        seen[ptr] = true
      end
      assert.equal(obj:interface("v2"), obj:interface())
    end
    assert.equal(lib:interface("v1"), lib:interface("PM_CUSTOM_ACTIONS_ID"))
    lib:close()
    p:close()
  end)
end)

describe("a loaded library's check_health", function()
  it("refuses a timeout that is not a number of seconds >= 0 (NaN too)", function()
    local lib = ca.load(SAMPLE)
    for _, t in ipairs { -1, 0 / 0, "1" } do
      local ok, err = pcall(function() local h = lib:check_health(t) return h end)
      assert.is_false(ok)
      assert.matches("^" .. THIS_PAT ..
        ":%d+: bad argument #1 to 'check_health' %('timeout' must be a number of seconds", err)
    end
    lib:close()
  end)
end)

describe("a loaded library's check_health_async", function()
  it("takes a plain function", function()
    local lib = ca.load(SAMPLE)
    local got
    assert.equal(ca.S_OK, lib:check_health_async(function(status) got = status end))
    assert.is_true(wait_for(function() return got ~= nil end))
    assert.equal(ca.S_OK, got)
    lib:close()
  end)
end)

describe("argument errors of every constructor", function()
  local pm = ca.issuer{ clock = "virtual" }
  teardown(function() pm:close() end)
  local cases = {
    { "ca.load, unknown option", function() ca.load(SAMPLE, { x = 1 }) end,
      "bad argument #2 to 'load' %(unknown option 'x' %(expected init, settings" },
    { "ca.load, option not a function", function() ca.load(SAMPLE, { on_fail = 1 }) end,
      "bad argument #2 to 'load' %(option 'on_fail' must be a function%)" },
    { "ca.load, options not a table", function() ca.load(SAMPLE, 5) end,
      "bad argument #2 to 'load' %(table expected, got number%)" },
    { "ca.load, a path with a NUL", function() ca.load(SAMPLE .. "\0x") end,
      "bad argument #1 to 'load' %(path must not hold a NUL byte%)" },
    { "ca.load, an empty path", function() ca.load("") end,
      "bad argument #1 to 'load' %(path must not be empty%)" },
    { "ca.load, an init name with a NUL", function() ca.load(SAMPLE, { init = "GetProtocolManager\0x" }) end,
      "bad argument #2 to 'load' %(option 'init' must not hold a NUL byte%)" },
    { "ca.load, a library that is not there", function() ca.load("./no/such/library.so") end,
      "cannot load protocol manager './no/such/library.so'" },
    { "ca.actions, no pointer", function() ca.actions(nil) end,
      "bad argument #1 to 'actions' %(pointer must be a non%-NULL light userdata" },
    { "ca.actions, unknown option", function() ca.actions(pm:interface("v2"), { when = 1 }) end,
      "bad argument #2 to 'actions' %(unknown option 'when' %(expected wait%)%)" },
    { "ca.actions, wait not a function", function() ca.actions(pm:interface("v1"), "v1", { wait = 1 }) end,
      "bad argument #3 to 'actions' %(option 'wait' must be a function%)" },
    { "ca.issuer, unknown option", function() ca.issuer{ thread = 1 } end,
      "bad argument #1 to 'issuer' %(unknown option 'thread' %(expected threads" },
    { "ca.provider, unknown option", function() ca.provider{ action = {} } end,
      "bad argument #1 to 'provider' %(unknown option 'action' %(expected actions" },
    { "ca.callback, unknown option", function() ca.callback(print, { nmae = "x" }) end,
      "bad argument #2 to 'callback' %(unknown option 'nmae' %(expected name" },
    { "ca.configure, unknown option", function() ca.configure{ max_qeued = 1 } end,
      "bad argument #1 to 'configure' %(unknown option 'max_qeued' %(expected max_queued" },
    { "issuer:define, unknown field", function() pm:define("X", { evry = 1 }) end,
      "bad argument #2 to 'define' %(unknown scenario field 'evry' %(expected every" },
  }
  for _, c in ipairs(cases) do
    it(c[1] .. " names the caller's line", function()
      local ok, err = pcall(c[2])
      assert.is_false(ok)
      assert.matches("^" .. THIS_PAT .. ":%d+: " .. c[3], err)
    end)
  end
end)

describe("one call policy for user code", function()
  it("gives on_error the same text for the same error object on every owner", function()
    local got = {}
    local obj = {}
    local cb = ca.callback(function() error(obj) end,
      { on_error = function(msg) got.callback = msg end })
    cb:report(ca.S_OK, "x", true)
    local p = ca.provider{ actions = { Boom = function() error(obj) end },
      on_error = function(msg) got.provider = msg end }
    local status
    p:run("Boom", nil, function(st) status = st end)
    assert.equal(ca.DISP_E_EXCEPTION, status)
    assert.matches("^%(error object is a table value%)\nstack traceback:", got.callback)
    assert.matches("^%(error object is a table value%)\nstack traceback:", got.provider)
    p:close()
  end)

  it("passes the owner to on_error", function()
    local owner
    local p = ca.provider{ actions = { Boom = function() error("boom") end },
      on_error = function(_, who) owner = who end }
    p:run("Boom", nil, function() end)
    assert.equal(p, owner)
    p:close()
  end)
end)

describe("names a native caller cannot send", function()
  it("are refused by every surface that defines actions, naming the caller's line", function()
    local pm = ca.issuer{ clock = "virtual" }
    local p = ca.provider{ actions = {} }
    local cases = {
      { function() ca.provider{ actions = { ["a\0b"] = print } } end,
        "bad argument #1 to 'provider' %(action name: embedded NUL at byte 2%)" },
      { function() ca.provider{ actions = { ["\255"] = print } } end,
        "bad argument #1 to 'provider' %(action name: invalid UTF%-8" },
      { function() ca.provider{ name = "a\0b" } end,
        "bad argument #1 to 'provider' %(option 'name': embedded NUL at byte 2%)" },
      { function() p:define("a\0b", print) end, "bad argument #1 to 'define' %(embedded NUL at byte 2%)" },
      { function() p:define("\255", print) end, "bad argument #1 to 'define' %(invalid UTF%-8" },
      { function() pm:define("a\0b", {}) end, "bad argument #1 to 'define' %(.*NUL" },
    }
    errors_name_this_line(cases)
    assert.is_false(p:active("a\0b"))
    p:close()
    pm:close()
  end)
end)
