-- ca.load: the sample protocol manager (examples/pm/samplepm.cpp, built
-- from the C++ mirror of the SDK classes only) loaded with the module's
-- worker-process framework and driven through every method, on its real
-- clock and on its virtual one (its Clock action).
local ca = require "customaction"

local support = require "support"

local SAMPLE = support.pm_library("samplepm", "CA_SAMPLEPM")
-- the loader's own words for a missing file and a missing symbol
local NO_FILE = support.windows and "/nonexistent/pm.so': .*[Mm]odule"
  or "/nonexistent/pm.so': /nonexistent/pm.so: cannot open shared object file"
local NO_SYMBOL = support.windows and "[Pp]rocedure" or "undefined symbol: NoSuchInit"

local OPTS = {
  settings = { APP_POOL_NAME = "DefaultAppPool", IDLE_TIMEOUT = 20,
               ENABLED_HOSTABLE_WEB_CORE = false },
  applications = { { id = "1/ROOT", vpath = "/", site = 1 },
                   { id = "2/ROOT/shop", vpath = "/shop", site = 2 } },
  version = { 7, 5 },
}

local function load(extra)
  local opts = {}
  for k, v in pairs(OPTS) do opts[k] = v end
  for k, v in pairs(extra or {}) do opts[k] = v end
  return ca.load(SAMPLE, opts)
end

local function text(r) return ca.utf16.decode(r) end

-- one synchronous run: the reports made inside the call, and its HRESULT
local function run(acts, name, args, ret)
  local got = {}
  local hr = acts:run(name, args, function(status, response, final)
    got[#got + 1] = { status = status, response = response, final = final }
    return ret
  end)
  return hr, got
end

-- the sample's counts of AddRef and Release on what it received
local function refs(acts)
  local _, got = run(acts, "Refs", "")
  local a, r = text(got[1].response):match("addrefs=(%d+) releases=(%d+)")
  return tonumber(a), tonumber(r)
end

local function decode_listing(bytes)
  local r, out = ca.reader(bytes), {}
  for i = 1, r:u32() do
    local rec = { site = r:u32(), idle = r:u32() == 1 }
    rec.id = r:utf16(r:u32()) r:align(4)
    rec.vpath = r:utf16(r:u32()) r:align(4)
    rec.path = r:utf16(r:u32()) r:align(4)
    out[i] = rec
  end
  assert(r:remaining() == 0, "bytes left over")
  return out
end

describe("ca.load", function()
  it("loads a library, calls GetProtocolManager with our framework", function()
    local pm = load()
    assert.equal("customaction.protocol_manager", getmetatable(pm).__name)
    assert.matches("^customaction.protocol_manager '.*samplepm%.%a+' %(running%)$", tostring(pm))
    local log = pm:log()
    assert.equal("GetInterfaceVersion", log[1].op)
    assert.equal(ca.S_OK, log[1].result)
    assert.equal(ca.S_OK, pm:shutdown())
    pm:close()
    assert.matches("%(closed%)$", tostring(pm))
  end)

  it("gives GetInterfaceVersion opts.version", function()
    local pm = load()
    local _, got = run(pm:custom_actions(), "Version", "")
    assert.equal("7.5", text(got[1].response))
    pm:close()
  end)

  it("names the path and the loader's reason when loading fails", function()
    assert.error_matches(function() ca.load("/nonexistent/pm.so") end,
      "cannot load protocol manager '" .. NO_FILE)
    assert.error_matches(function() ca.load(SAMPLE, { init = "NoSuchInit" }) end,
      "protocol manager '.*samplepm%.%a+' has no init function 'NoSuchInit': .*" .. NO_SYMBOL)
    assert.error_matches(function() ca.load(SAMPLE, { init = "GetProtocolManagerDenied" }) end,
      "protocol manager '.*samplepm%.%a+': GetProtocolManagerDenied failed: E_ACCESSDENIED %(0x80070005%)")
  end)

  it("refuses a path it would have to cut or that names no file", function()
    assert.error_matches(function() ca.load(SAMPLE .. "\0.extra") end,
      "bad argument #1 to 'load' %(path must not hold a NUL byte%)")
    assert.error_matches(function() ca.load("") end,
      "bad argument #1 to 'load' %(path must not be empty%)")
    assert.error_matches(function() ca.load(nil) end,
      "bad argument #1 to 'load' %(string expected, got nil%)")
  end)

  it("checks its options, naming them", function()
    local cases = {
      { { colour = 1 }, "unknown option 'colour'" },
      { { settings = { APP_POOL = "x" } }, "settings: unknown setting 'APP_POOL'" },
      { { settings = { APP_POOL_NAME = 1 } }, "settings: APP_POOL_NAME must be a string" },
      { { settings = { IDLE_TIMEOUT = -1 } },
        "settings: 'IDLE_TIMEOUT' must be an integer in 0..4294967295 %(got %-1%)" },
      { { settings = { ENABLED_HOSTABLE_WEB_CORE = 1 } }, "must be a boolean" },
      { { applications = { { id = "a" } } }, "applications: item 1 must be" },
      { { version = { "7" } }, "option 'version%[1%]' must be an integer in 0..4294967295 %(got a string%)" },
      { { on_fail = 5 }, "option 'on_fail' must be a function" },
      { { init = 5 }, "option 'init' must be a string" },
      { { init = "GetProtocolManager\0x" },
        "option 'init' must not hold a NUL byte" },
      { { init = "" }, "option 'init' must not be empty" },
    }
    for _, c in ipairs(cases) do
      assert.error_matches(function() ca.load(SAMPLE, c[1]) end, "bad argument #2 to 'load' %(.*" .. c[2])
    end
  end)
end)

describe("pm:custom_actions (IPmCustomActions, synchronous)", function()
  local pm, acts
  before_each(function() pm = load() acts = pm:custom_actions() end)
  after_each(function() acts:close() pm:close() end)

  it("reports inside the call and returns what ReportResult returned", function()
    local hr, got = run(acts, "Echo", "größe=✓")
    assert.equal(ca.S_OK, hr)
    assert.equal(1, #got)
    assert.equal("größe=✓", text(got[1].response))
    assert.is_true(got[1].final)
    hr = run(acts, "Echo", "x", ca.E_ACCESSDENIED)
    assert.equal(ca.E_ACCESSDENIED, hr)
  end)

  it("returns E_NOTIMPL for an unknown name, without a report", function()
    local hr, got = run(acts, "Nope", "")
    assert.equal(ca.E_NOTIMPL, hr)
    assert.equal(0, #got)
  end)

  it("echoes APP_POOL_NAME, read through IWpfSettings with the size query first", function()
    local _, got = run(acts, "AppPool", "")
    assert.equal("DefaultAppPool", text(got[1].response))
    local ops = {}
    for _, e in ipairs(pm:log()) do
      if e.op == "GetStringProperty" then ops[#ops + 1] = e.what .. " " .. e.result.name end
    end
    assert.same({ "APP_POOL_NAME E_NOT_SUFFICIENT_BUFFER", "APP_POOL_NAME S_OK" }, ops)
  end)

  it("passes the framework's refusal of an unset setting on as the status", function()
    local bare = ca.load(SAMPLE)
    local a = bare:custom_actions()
    local _, got = run(a, "AppPool", "")
    assert.equal(ca.hresult.from_win32("ERROR_NOT_FOUND"), got[1].status)
    assert.is_nil(got[1].response)
    a:close()
    bare:close()
  end)

  it("answers an application-domain listing that ca.reader decodes", function()
    local _, got = run(acts, "Listing", "1/ROOT;2/ROOT/shop")
    assert.same({
      { site = 1, idle = false, id = "/LM/W3SVC/1/ROOT", vpath = "/", path = "C:\\inetpub\\site1" },
      { site = 2, idle = true, id = "/LM/W3SVC/2/ROOT/shop", vpath = "/shop", path = "C:\\inetpub\\site2\\shop" },
    }, decode_listing(got[1].response))
  end)

  it("fails a listing of an unknown application with the framework's HRESULT", function()
    local _, got = run(acts, "Listing", "9/ROOT")
    assert.equal(ca.hresult.from_win32("ERROR_NOT_FOUND"), got[1].status)
  end)
end)

describe("framework requests (IWpfActions)", function()
  it("reach on_fail and on_recycle on the Lua thread", function()
    local seen = {}
    local pm = load({
      on_fail = function(reason, hr, next_ping) seen[#seen + 1] = { "fail", reason, hr, next_ping } end,
      on_recycle = function(reason) seen[#seen + 1] = { "recycle", reason } end,
    })
    local acts = pm:custom_actions()
    run(acts, "Recycle", "config changed")
    run(acts, "Fail", "too slow")
    assert.same({ { "recycle", "config changed" }, { "fail", "too slow", ca.E_FAIL, false } }, seen)
    local log = pm:log()
    local fail
    for _, e in ipairs(log) do if e.op == "FailWorkerProcess" then fail = e end end
    assert.same({ "too slow", ca.E_FAIL, false }, { fail.text, fail.hr, fail.fail_on_next_ping })
    acts:close()
    pm:close()
  end)

  it("from the protocol manager's own thread are queued and dispatched", function()
    local reasons = {}
    local pm = load({ on_fail = function(reason) reasons[#reasons + 1] = reason end })
    local a2 = pm:custom_actions2()
    for _, response in a2:stream("Counters", "every=5;count=3;fail=2") do
      assert.is_string(response)
    end
    ca.dispatch()
    assert.same({ "stream failed" }, reasons)
    local threads = {}
    for _, e in ipairs(pm:log()) do if e.op == "FailWorkerProcess" then threads[#threads + 1] = e.thread end end
    assert.equal(1, #threads)
    a2:close()
    pm:close()
  end)
end)

describe("framework requests with reasons that are not text", function()
  -- tests/pm/edgepm.c sends them (POSIX threads: not built for Windows)
  local it_posix = support.windows and function(name)
    pending(name .. ": " .. support.posix_only("tests/pm/edgepm.c uses POSIX threads"))
  end or it
  it_posix("give U+FFFD for an unpaired surrogate with the raw units, and nil for NULL",
           function()
    local seen = {}
    local pm = ca.load(support.pm_library("edgepm", "CA_EDGEPM"), {
      on_fail = function(...) seen[#seen + 1] = { "fail", ... } end,
      on_recycle = function(...) seen[#seen + 1] = { "recycle", ... } end,
    })
    local acts = pm:custom_actions()
    for _, name in ipairs{ "FailOdd", "FailNull", "RecycleOdd", "RecycleNull" } do
      run(acts, name, "")
    end
    assert.same({
      { "fail", "a\239\191\189b", ca.E_FAIL, false, "a\0\0\216b\0" },
      { "fail", nil, ca.E_FAIL, true },
      { "recycle", "\239\191\189z", "\0\220z\0" },
      { "recycle" },
    }, seen)
    local texts = {}
    for _, e in ipairs(pm:log()) do
      if e.op:find("WorkerProcess") then texts[#texts + 1] = e.text or "(nil)" end
    end
    assert.same({ "a\239\191\189b", "(nil)", "\239\191\189z", "(nil)" }, texts)
    acts:close()
    pm:close()
  end)
end)

describe("pm:custom_actions2 (IPmCustomActions2, from the protocol manager's thread)", function()
  local pm, a2
  before_each(function() pm = load() a2 = pm:custom_actions2() end)
  after_each(function() a2:close() pm:close() end)

  it("streams responses until the final one, in real time", function()
    local seen = {}
    for status, response, final in a2:stream("Counters", "every=5;count=3") do
      seen[#seen + 1] = { status, response, final }
    end
    assert.same({ { ca.S_OK, "n=1", false }, { ca.S_OK, "n=2", false }, { ca.S_OK, "n=3", true } }, seen)
  end)

  it("stops a stream on unregister with one final E_ABORT", function()
    local got = {}
    local cb = ca.callback(function(s, _, f) got[#got + 1] = s.name .. (f and " final" or "") end)
    assert.equal(ca.S_OK, a2:register("Ticker", "every=5", cb))
    while #got < 2 do ca.wait(1) end
    assert.equal(ca.S_OK, a2:unregister("Ticker"))
    while got[#got] ~= "E_ABORT final" do ca.wait(1) end
    while cb:stats().refs > 1 do ca.wait(0.01) end   -- released after the final
    assert.equal(ca.hresult.from_win32("ERROR_NOT_FOUND"), a2:unregister("Ticker"))
  end)

  it("passes the protocol manager's refusals through", function()
    local cb = ca.callback(function() end)
    assert.equal(ca.E_NOTIMPL, a2:register("Nope", "", cb))
    assert.equal(ca.S_OK, a2:register("Ticker", "every=1000", cb))
    assert.equal(ca.HRESULT_FROM_WIN32_ERROR_ALREADY_EXISTS, a2:register("Ticker", "", cb))
    a2:unregister("Ticker")
  end)

  it("is asked for with GetCustomInterface(actions2_id, default 2)", function()
    local other = load({ actions2_id = 7 })
    local none, hr = other:custom_actions2()
    assert.is_nil(none)
    assert.equal(ca.E_NOTIMPL, hr)
    local a = other:custom_actions2(2)
    assert.matches("^customaction.actions %(v2%)", tostring(a))
    a:close()
    other:close()
  end)
end)

describe("the sample's virtual clock", function()
  it("makes streams deterministic: reports come when the clock is advanced", function()
    local pm = load()
    local acts, a2 = pm:custom_actions(), pm:custom_actions2()
    local function clock(args) local _, got = run(acts, "Clock", args) return got[1].response end
    clock("virtual")
    local got = {}
    a2:register("Counters", "every=10;count=3", function(s, r, f) got[#got + 1] = { s, r, f } end)
    clock("advance=9")
    ca.dispatch()
    assert.equal(0, #got)
    clock("advance=1")
    ca.dispatch()
    assert.same({ { ca.S_OK, "n=1", false } }, got)
    clock("advance=20")
    ca.dispatch()
    assert.same({ ca.S_OK, "n=3", true }, got[3])
    assert.equal(3, #got)
    assert.is_true(pm:check_idle())
    a2:register("Ticker", "every=10", function(s, r, f) got[#got + 1] = { s, r, f } end)
    assert.is_false(pm:check_idle())
    clock("advance=25")
    a2:unregister("Ticker")
    clock("advance=0")
    ca.dispatch()
    assert.same({ { ca.S_OK, "tick 1", false }, { ca.S_OK, "tick 2", false }, { ca.E_ABORT, nil, true } },
      { got[4], got[5], got[6] })
    acts:close() a2:close()
    assert.equal(ca.S_OK, pm:shutdown())
    pm:close()
  end)
end)

describe("pm:check_health and pm:check_idle (IPmHealthAndIdleMonitor)", function()
  it("waits for ReportHealth from the protocol manager's thread", function()
    local pm = load()
    assert.is_true(pm:check_health(5))
    local acts = pm:custom_actions()
    run(acts, "Fail", "broken")
    assert.is_false(pm:check_health(5))
    acts:close()
    pm:close()
  end)

  it("says whether anything is registered", function()
    local pm = load()
    local a2 = pm:custom_actions2()
    assert.is_true(pm:check_idle())
    a2:register("Ticker", "every=1000", function() end)
    assert.is_false(pm:check_idle())
    a2:unregister("Ticker")
    a2:close()
    pm:close()
  end)

  it("refuses a bad timeout before it calls anything", function()
    local pm = load()
    local callbacks = ca.stats().callbacks
    for _, t in ipairs{ 0/0, -1, math.huge, 1e10, "5", true } do
      assert.error_matches(function() pm:check_health(t) end,
        "bad argument #1 to 'check_health' %('timeout' must be a number of seconds "
        .. "in 0..1000000000 %(got .-%)%)")
      assert.equal(callbacks, ca.stats().callbacks)   -- no callback made
    end
    assert.is_true(pm:check_health(5))
    pm:close()
  end)

  it("returns CheckHealth's refusal after shutdown", function()
    local pm = load()
    pm:shutdown()
    local healthy, hr = pm:check_health(1)
    assert.is_nil(healthy)
    assert.equal(ca.E_ILLEGAL_METHOD_CALL, hr)
    pm:close()
  end)
end)

describe("pm:shutdown", function()
  it("ends running streams with E_ABORT, and the sample finds its references balanced", function()
    local pm = load()
    local acts, a2 = pm:custom_actions(), pm:custom_actions2()
    local got = {}
    a2:register("Ticker", "every=5", function(s, _, f) got[#got + 1] = { s, f } end)
    run(acts, "AppPool", "")
    run(acts, "Listing", "1/ROOT")
    assert.is_true(pm:check_health(5))
    local a, r = refs(acts)
    assert.is_true(a > r)            -- the framework and the Ticker's callback are held
    assert.equal(ca.S_OK, pm:shutdown())   -- E_UNEXPECTED if AddRefs and Releases differ
    ca.dispatch()
    assert.same({ ca.E_ABORT, true }, got[#got])
    assert.equal(ca.E_ILLEGAL_METHOD_CALL, a2:register("Ticker", "", function() end))
    assert.equal(ca.S_FALSE, pm:shutdown())
    acts:close() a2:close()
    pm:close()
  end)

  it("leaves the framework's own count where it started: every AddRef released", function()
    local pm = load()
    local acts = pm:custom_actions()
    run(acts, "AppPool", "") run(acts, "Fail", "x") run(acts, "Listing", "1/ROOT")
    acts:close()
    pm:shutdown()
    local last
    for _, e in ipairs(pm:log()) do if e.op == "AddRef" or e.op == "Release" then last = e end end
    assert.equal("Release", last.op)
    assert.equal(1, last.refs)   -- ours, released by close
    pm:close()
  end)
end)

describe("pm:interface, pm:log and pm:close", function()
  it("logs framework calls as entries that print their fields", function()
    local pm = load()
    local entry = pm:log()[1]
    assert.matches("^framework_call{ .*op = \"" .. entry.op .. "\"", tostring(entry))
    pm:close()
  end)

  it("hands out raw pointers that ca.actions can wrap, kept until close", function()
    local pm = load()
    local p = pm:interface("PM_CUSTOM_ACTIONS_ID")
    assert.equal("userdata", type(p))
    assert.equal(p, pm:interface(3))
    local acts = ca.actions(p, "v1")
    assert.equal(ca.S_OK, (run(acts, "Echo", "x")))
    acts:close()
    local none, hr = pm:interface(1)
    assert.is_nil(none)
    assert.equal(ca.E_NOTIMPL, hr)
    assert.equal("userdata", type(pm:interface(2, true)))
    pm:close()
  end)

  it("logs and clears on request", function()
    local pm = load()
    local function ops(log)
      local t = {}
      for i, e in ipairs(log) do t[i] = e.op .. (e.interface and " " .. e.interface or "") end
      return t
    end
    -- GetProtocolManager asks for the version, then keeps the framework
    local expected = { "GetInterfaceVersion", "AddRef IWorkerProcessFramework" }
    assert.same(expected, ops(pm:log()))
    local cleared = pm:log(true)
    assert.same(expected, ops(cleared))
    assert.equal(0, cleared.dropped)
    assert.equal(0, #pm:log())
    run(pm:custom_actions(), "Version", "")
    assert.same({ "GetInterfaceVersion" }, ops(pm:log()))   -- logged afresh
    pm:close()
  end)

  it("closes once; a closed object refuses its methods", function()
    local pm = load()
    pm:close()
    pm:close()
    assert.error_matches(function() pm:custom_actions() end, "protocol manager is closed")
    assert.error_matches(function() pm:log() end, "protocol manager is closed")
  end)

  it("is closed by __gc, which shuts the protocol manager down", function()
    local stopped = {}
    do
      local pm = load()
      local a2 = pm:custom_actions2()
      a2:register("Ticker", "every=5", function(s, _, f) if f then stopped[#stopped + 1] = s end end)
      a2:close()
    end
    for _ = 1, 4 do collectgarbage() end
    ca.dispatch()
    assert.same({ ca.E_ABORT }, stopped)
  end)
end)
