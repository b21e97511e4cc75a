-- The simulator's own rules (docs/simulator.md): what it refuses instead
-- of cutting or ignoring, where its errors point, the threads it holds,
-- and a final report's handler that registers the action again.
local ca = require "customaction"
local support = require "support"

local function virtual() return ca.issuer({ clock = "virtual", builtins = false }) end

describe("silent truncation and acceptance", function()
  local pm
  before_each(function() pm = virtual() end)
  after_each(function() pm:close() end)

  it("refuses action names native callers could never send", function()
    assert.error_matches(function() pm:define("\255", {}) end,
      "bad argument #1 to 'define' %(invalid UTF%-8 byte at byte 1")
    assert.error_matches(function() pm:define("a\0b", {}) end,
      "bad argument #1 to 'define' %(embedded NUL at byte 2")
  end)

  it("refuses a faults map, and keys a fault table does not know", function()
    assert.error_matches(function() pm:define("A", { faults = { x = "jitter" } }) end,
      "scenario field 'faults' must be a list %(it has the key 'x'%)")
    assert.error_matches(function() pm:define("A", { faults = { "null_buffer", [3] = "jitter" } }) end,
      "scenario field 'faults' must be a list without holes")
    assert.error_matches(function() pm:define("A", { faults = { { "null_buffer", 5 } } }) end,
      "scenario field 'faults' item 1 has an unknown key '2'")
  end)

  it("refuses options of the wrong type instead of reading them as booleans", function()
    assert.error_matches(function() ca.issuer({ log = "yes" }) end,
      "option 'log' must be a boolean %(got string%)")
    assert.error_matches(function() ca.issuer({ builtins = 0 }) end,
      "option 'builtins' must be a boolean %(got number%)")
    assert.error_matches(function() pm:define("A", { echo = "yes" }) end,
      "scenario field 'echo' must be a boolean")
    assert.error_matches(function() ca.callback(function() end, { name = "a\0b" }) end,
      "option 'name' must not hold a NUL byte")
  end)

  it("sends a long formatted payload in full", function()
    local long = ("%d,"):rep(300) .. ("x"):rep(1000)
    pm:define("Long", { format = long })
    local cb, got = support.recorder(ca)
    pm:run("Long", "", cb)
    pm:advance()
    assert.equal(("1,"):rep(300) .. ("x"):rep(1000), got[1].response)
  end)

  it("keeps a NUL inside a format", function()
    pm:define("Nul", { format = "a\0%d" })
    local cb, got = support.recorder(ca)
    pm:run("Nul", "", cb)
    pm:advance()
    assert.equal("a\0" .. "1", got[1].response)
  end)
end)

describe("errors in ca.issuer's options", function()
  it("name the caller's line, not the library's", function()
    local ok, err = pcall(function() local pm = ca.issuer({ threads = 0 }); return pm end)
    assert.is_false(ok)
    assert.matches("simulator_spec%.lua:%d+: bad argument #1 to 'issuer'", err)
  end)
end)

describe("worker threads", function()
  local function threads_after(script)
    return support.child("-e " .. ("%q"):format([[
      local ca = require "customaction"
      local function threads()
        for l in io.lines("/proc/self/status") do
          local n = l:match("^Threads:%s*(%d+)") if n then return tonumber(n) end
        end
      end
      ]] .. script))
  end

  it("start when an operation needs them, so dropped idle issuers hold none", function()
    if support.windows or support.emulator or not io.open("/proc/self/status") then
      pending("needs Linux's /proc/self/status (under Wine or qemu it would count the emulator's threads)")
      return
    end
    local out = threads_after([[
      collectgarbage("stop")
      for i = 1, 50 do local pm = ca.issuer({ threads = 64 }) end
      print("threads=" .. threads())]])
    assert.equal(1, tonumber(out:match("threads=(%d+)")), out)
  end)

  it("of dropped busy issuers are reclaimed as the collector runs", function()
    if support.windows or support.emulator or not io.open("/proc/self/status") then
      pending("needs Linux's /proc/self/status (under Wine or qemu it would count the emulator's threads)")
      return
    end
    local out = threads_after([[
      local max, cb = 0, ca.callback(function() end)
      for i = 1, 40 do
        local pm = ca.issuer({ threads = 64, builtins = false })
        for j = 1, 64 do
          pm:define("A" .. j, { every = 100000 })
          pm:register("A" .. j, "", cb)
        end
        max = math.max(max, threads())
      end
      print("max=" .. max)]])
    assert.is_true(tonumber(out:match("max=(%d+)")) < 40 * 64 / 2, out)
  end)
end)

describe("a final report's handler", function()
  it("may register the action again at once (virtual clock)", function()
    local pm = virtual()
    pm:define("Once", { count = 1 })
    local again, finals = nil, 0
    local cb
    cb = ca.callback(function(_, _, final)
      if final then finals = finals + 1 end
      if final and again == nil then again = pm:register("Once", "", cb) end
    end, { reuse = true })
    assert.equal(ca.S_OK, pm:register("Once", "", cb))
    pm:advance(0)
    assert.equal(ca.S_OK, again)
    assert.equal(2, finals)
    pm:close()
  end)

  it("may register the action again at once (real clock)", function()
    local pm = ca.issuer({ builtins = false })
    pm:define("Once", { count = 1 })
    local again
    local cb
    cb = ca.callback(function(_, _, final)
      if final and again == nil then again = pm:register("Once", "", cb) end
    end, { reuse = true })
    assert.equal(ca.S_OK, pm:register("Once", "", cb))
    for _ = 1, 100 do if again ~= nil then break end ca.wait(0.05) end
    assert.equal(ca.S_OK, again)
    pm:close()
    ca.dispatch()
  end)
end)
