-- Handlers that call back into the module, coroutines around reports, and
-- objects collected while native code (the issuer) holds them.
local ca = require "customaction"
local peer = require "nativepeer"
local support = require "support"

local function virtual() return ca.issuer({ clock = "virtual", builtins = false }) end

describe("a handler that calls back into the module", function()
  it("may report into its own callback (nested, same thread)", function()
    local depth, seen = 0, {}
    local cb
    cb = ca.callback(function(_, r)
      seen[#seen + 1] = r
      depth = depth + 1
      if depth < 3 then cb:report(0, r .. "+") end
    end, { reuse = true })
    assert.equal(ca.S_OK, cb:report(0, "a"))
    assert.same({ "a", "a+", "a++" }, seen)
  end)

  it("may register another action from inside a report", function()
    local pm = virtual()
    pm:define("A", { count = 1 })
    pm:define("B", { delay = 5, payload = "b" })
    local got_b, reg
    local cb_b = ca.callback(function(_, r) got_b = r end)
    pm:register("A", "", ca.callback(function() reg = pm:register("B", "", cb_b) end))
    pm:advance(0)
    assert.equal(ca.S_OK, reg)
    pm:advance(10)
    assert.equal("b", got_b)
    assert.is_true(support.balanced(pm:log()))
    pm:close()
  end)

  it("may close the issuer that is reporting to it", function()
    local pm = virtual()
    pm:define("A", { every = 10 })
    pm:define("B", { every = 10 })
    local other = support.recorder(ca)
    pm:register("B", "", other)
    local n = 0
    pm:register("A", "", ca.callback(function() n = n + 1 if n == 2 then pm:close() end end))
    pm:advance(100)
    assert.equal(3, n)      -- two reports, then the E_ABORT final from close
    assert.equal(1, other:stats().refs)
    assert.equal("customaction.issuer (closed)", tostring(pm))
  end)

  it("may close the issuer again while close delivers its E_ABORT finals", function()
    local pm = virtual()
    pm:define("A", { every = 10 })
    local finals = 0
    pm:register("A", "", ca.callback(function(_, _, f)
      if f then finals = finals + 1 pm:close() end
    end))
    pm:advance(15)
    pm:close()
    assert.equal(1, finals)
    assert.equal("customaction.issuer (closed)", tostring(pm))
  end)

  it("may unregister inside a handler that unregister itself is running", function()
    local pm = virtual()
    pm:define("A", { every = 10 })
    local results = {}
    pm:register("A", "", ca.callback(function(_, _, f)
      if f then results[#results + 1] = pm:unregister("A") end
    end))
    pm:advance(15)
    assert.equal(ca.S_OK, pm:unregister("A"))
    assert.same({ ca.E_NOT_SET }, results)   -- already unbound: not found
    assert.is_true(support.balanced(pm:log()))
    pm:close()
  end)

  it("may call ca.dispatch and ca.wait recursively", function()
    local got = {}
    local inner = ca.callback(function(_, r) got[#got + 1] = "inner " .. r end)
    local outer
    outer = ca.callback(function(_, r)
      got[#got + 1] = "outer " .. r
      if r == "o1" then
        peer.from_thread(inner:interface(), 2, "i")
        ca.dispatch()          -- nested: delivers what is queued now
        ca.wait(0)
      end
    end, { reuse = true })
    peer.from_thread(outer:interface(), 2, "o")
    -- the nested dispatch delivers everything queued, o2 included, so the
    -- outer one counts only its own delivery
    assert.equal(1, ca.dispatch())
    table.sort(got)
    assert.same({ "inner i1", "inner i2", "outer o1", "outer o2" }, got)
    assert.equal(0, ca.pending())
  end)
end)

describe("coroutines and reports", function()
  it("pm:advance may run inside a coroutine; handlers run all the same", function()
    local pm = virtual()
    pm:define("A", { every = 10, count = 2 })
    local cb, got = support.recorder(ca)
    pm:register("A", "", cb)
    local co = coroutine.wrap(function()
      pm:advance(10)
      coroutine.yield("between")
      pm:advance(10)
      return "done"
    end)
    assert.equal("between", co())
    assert.equal(1, #got)
    assert.equal("done", co())
    assert.equal(2, #got)
    pm:close()
  end)

  it("a handler may resume a coroutine that reports again", function()
    local seen = {}
    local cb
    cb = ca.callback(function(_, r) seen[#seen + 1] = r end, { reuse = true })
    local co = coroutine.create(function()
      cb:report(0, "from coroutine")
      coroutine.yield()
      cb:report(0, "after yield")
    end)
    -- what the handler saw is checked here: an assert inside it would
    -- only reach on_error
    local resumed = {}
    local driver = ca.callback(function()
      resumed[#resumed + 1] = { coroutine.resume(co) }
    end, { reuse = true })
    driver:report(0, "go")
    driver:report(0, "go again")
    assert.same({ { true }, { true } }, resumed)
    assert.same({ "from coroutine", "after yield" }, seen)
  end)
end)

describe("a callback held only by the issuer", function()
  it("is not collected: its handler keeps receiving", function()
    local pm = virtual()
    pm:define("A", { every = 10, count = 3 })
    local n = 0
    pm:register("A", "", ca.callback(function() n = n + 1 end))
    for _ = 1, 4 do collectgarbage() end
    pm:advance(30)
    assert.equal(3, n)
    assert.is_true(support.balanced(pm:log()))
    pm:close()
  end)
end)
