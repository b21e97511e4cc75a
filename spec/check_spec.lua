-- customaction check / ca.check: the conformance checker. The known-good
-- protocol managers pass; tests/pm/broken.c, one library whose
-- APP_POOL_NAME setting selects one misbehaviour, is caught by the check
-- named for each misbehaviour and by no other single-rule check (threads
-- and fuzz re-check every rule, so they are left out of that matrix and
-- shown catching a misbehaviour of their own below). Every child runs
-- under a time limit the checker sets from the timeout (a watchdog of the
-- child's own, on Linux and on Windows alike); the timeouts here are short
-- to keep the file cheap. Under make windows the same runs on the DLLs.
local ca = require "customaction"
local check = require "customaction.check"
local support = require "support"

local SAMPLE = support.pm_library("samplepm", "CA_SAMPLEPM")
local MINI = support.pm_library("minipm", "CA_MINIPM")
local BROKEN = support.pm_library("broken", "CA_BROKENPM")
local LUAPM = os.getenv("CA_LUAPM") or ((os.getenv("CA_BUILD") or "build") .. "/customaction/luapm." .. support.libext)

-- Every check but the two that re-check all rules.
local SINGLE = "loading,references,run,run-unknown,run-null,stream,stream-unregister,health,idle,shutdown"

local function statuses(res)
  local t = {}
  for _, c in ipairs(res.checks) do t[c.name] = c.status end
  return t
end

local function failing(res)
  local t = {}
  for _, c in ipairs(res.checks) do if c.status == "fail" then t[#t + 1] = c.name end end
  table.sort(t)
  return t
end

local function detail(res, name)
  for _, c in ipairs(res.checks) do if c.name == name then return c.detail end end
end

local function broken(mode, only)
  return check.run(BROKEN, { actions = { "Echo=hi" }, streams = { "Counters=count=3" }, timeout = 1,
                             settings = { APP_POOL_NAME = mode }, only = only or SINGLE })
end

describe("ca.check on known-good protocol managers", function()
  it("passes the sample protocol manager on every check, fuzzing included", function()
    local res = ca.check(SAMPLE, { actions = { "Echo=hi", "AppPool", "Version" },
                                   streams = { "Counters=every=10;count=3" }, timeout = 1, fuzz = 5, seed = 1 })
    assert.same({}, failing(res))
    assert.equal(12, res.passed)
    assert.equal(0, res.skipped)
    assert.equal(SAMPLE, res.library)
  end)

  it("passes the plain-C protocol manager and skips, with the reason, what it does not offer", function()
    local res = ca.check(MINI, { actions = { "Echo=hi", "Pool" }, timeout = 1 })
    local s = statuses(res)
    assert.same({}, failing(res))
    assert.equal("pass", s.references)
    assert.equal("skip", s.stream)
    assert.equal("no --stream given", detail(res, "stream"))
    assert.matches("no IPmHealthAndIdleMonitor %(GetPmInterface%(PM_HEALTH_AND_IDLE_MONITOR_ID%) returned E_NOTIMPL%)",
      detail(res, "health"))
    assert.is_nil(s.fuzz)   -- only with fuzz = N
  end)

  it("passes luapm hosting its sample script on every check, fuzzing included", function()
    -- three reports 20 ms apart: still open when the shutdown check's Shutdown(TRUE) and Shutdown(FALSE) come
    local res = ca.check(LUAPM, { actions = { "Echo=hi", "Listing" }, streams = { "Counters=count=3" },
      timeout = 1, fuzz = 3, seed = 5 })
    assert.same({}, failing(res))
    assert.equal(12, res.passed)
    assert.equal(0, res.skipped)
    -- its thread answers, as a rule after the call returned (inside it only when the caller is slow to look)
    assert.matches("^Echo: S_OK %(answered [%a ]+%), Listing: S_OK %(answered [%a ]+%)$", detail(res, "run"))
    assert.matches("and the framework balanced", detail(res, "references"))
    assert.matches("^Shutdown%(TRUE%): S_OK in [%d.]+s, Shutdown%(FALSE%): S_OK", detail(res, "shutdown"))
  end)

  it("passes the broken library when it is asked to break nothing", function()
    assert.same({}, failing(broken("good", SINGLE .. ",threads")))
  end)
end)

describe("ca.check on a broken protocol manager", function()
  -- misbehaviour -> the one check that must catch it
  local cases = {
    { "flat-refs", "loading", "IPmCustomActions: AddRef returned 1 and Release 2 while we held a reference" },
    { "leak-callback", "references", "AddRef%(s%) not released by the end of Shutdown" },
    { "over-release", "references", "released 1 time%(s%) more than it was AddRef'd" },
    { "leak-framework", "references", "framework: 1 AddRef" },
    { "known-silent", "run", "returned S_OK but no report came" },
    { "unknown-ok", "run-unknown", "returned S_OK with 0 report%(s%) %(expected E_NOTIMPL and none%)" },
    -- the exception named on Windows; a sanitizer's report instead of the
    -- signal under make sanitize
    { "null-args", "run-null", support.windows
      and "crashed: exception 0xC0000005 %(access violation%) in RunCustomAction%(\"Echo\"%)"
      or "crashed: .* in RunCustomAction%(\"Echo\"%)" },
    { "double-final", "stream", "report%(s%) after the final one" },
    { "report-after-unregister", "stream-unregister", "report%(s%) after the final one" },
    { "health-twice", "health", "ReportHealth came 2 times" },
    { "report-after-shutdown", "shutdown", "after Shutdown%(TRUE%) returned" },
    { "slow-shutdown", "shutdown", "hung: no answer within %d+s in Shutdown%(TRUE%)" },
    -- it answers Echo from its thread, reading the argument pointer it kept:
    -- the checker overwrote the string once the call returned
    { "keep-args", "run", "RunCustomAction%(\"Echo\", \"hi\"%): a report carries the argument string as the "
      .. "checker overwrote it once the call returned %(units 0xDEAD%)" },
  }
  for _, case in ipairs(cases) do
    local mode, name, why = case[1], case[2], case[3]
    it(("catches %s with the %s check and no other"):format(mode, name), function()
      local res = broken(mode)
      assert.same({ name }, failing(res))
      assert.matches(why, detail(res, name))
    end)
  end

  it("shows the framework calls the library made with a failing check", function()
    local res = broken("leak-framework", "references")
    local calls = res.checks[1].calls
    assert.truthy(#calls > 0)
    assert.matches("AddRef IWorkerProcessFramework %-> 3", table.concat(calls, "\n"))
  end)

  it("catches a misbehaviour with the threads check", function()
    local res = broken("health-twice", "threads")
    assert.same({ "threads" }, failing(res))
    assert.matches("ReportHealth for %d+ successful CheckHealth calls", detail(res, "threads"))
  end)

  it("fuzzing prints the failing sequence's seed and the command that replays it", function()
    local res = check.run(BROKEN, { actions = { "Echo=hi" }, streams = { "Counters=count=3" }, timeout = 0.5,
      settings = { APP_POOL_NAME = "double-final" }, only = "fuzz", fuzz = 20, seed = 100 })
    local c = res.checks[1]
    assert.equal("fail", c.status)
    assert.is_number(c.seed)
    local replay = c.detail:match("replay: (.*)%]$")
    local q = support.windows and '"' or "'"   -- the command line's quotes, cmd.exe's on Windows
    assert.matches(("^customaction check Q.-broken%.%a+Q %-%-action QEcho=hiQ %-%-stream QCounters=count=3Q "
      .. "%-%-setting QAPP_POOL_NAME=double%-finalQ %-%-timeout 0%.5 %-%-only fuzz %-%-fuzz 1 "
      .. "%-%-seed "):gsub("Q", q) .. c.seed .. "$",
      replay)
    -- the replay fails the same way, from the command line and from Lua
    local out, code = support.child((replay:gsub("^customaction check", "bin/customaction check")), 60)
    assert.equal(1, code)
    assert.matches("fail  fuzz", out)
    assert.matches("%[seed " .. c.seed .. ";", out)
    local again = check.run(BROKEN, { actions = { "Echo=hi" }, streams = { "Counters=count=3" }, timeout = 0.5,
      settings = { APP_POOL_NAME = "double-final" }, only = "fuzz", fuzz = 1, seed = c.seed })
    assert.equal("fail", again.checks[1].status)
    assert.equal(c.seed, again.checks[1].seed)
  end)

  it("reports a library that does not load as unloadable and skips the rest", function()
    local res = check.run("no/such/library.so", { only = "loading,run" })
    assert.is_true(res.unloadable)
    assert.same({ "fail", "skip" }, { res.checks[1].status, res.checks[2].status })
    assert.matches("cannot load protocol manager 'no/such/library.so'", res.checks[1].detail)
  end)
end)

describe("ca.check arguments", function()
  it("names the argument and what was expected", function()
    assert.error_matches(function() ca.check(1) end, "bad argument #1 to 'check' %(string expected, got number%)")
    assert.error_matches(function() ca.check(SAMPLE, { bogus = 1 }) end, "unknown option 'bogus'")
    assert.error_matches(function() ca.check(SAMPLE, { only = "nope" }) end, "no check 'nope' %(expected loading,")
    assert.error_matches(function() ca.check(SAMPLE, { timeout = -1 }) end, "option 'timeout' must be a number >= 0.1")
    assert.error_matches(function() ca.check(SAMPLE, { actions = { "" } }) end,
      "actions: NAME%[=ARGS%] strings expected")
  end)
end)

describe("customaction check", function()
  local function cli(args)
    return support.child("bin/customaction check " .. args, 120)
  end

  it("prints one line per check and a summary, and exits 0 when all pass", function()
    local out, code = cli(("%s --action Echo=hi --only run,run-unknown --timeout 1"):format(SAMPLE))
    assert.equal(0, code)
    assert.matches("pass  run                Echo: S_OK", out)
    assert.matches("pass  run%-unknown        E_NOTIMPL, no report", out)
    assert.matches(": 2 passed, 0 failed, 0 skipped\n", out)
  end)

  it("--progress shows the check that runs on a line it then overwrites", function()
    local out, code = cli(("%s --action Echo=hi --only run,idle --timeout 1 --progress"):format(SAMPLE))
    assert.equal(0, code)
    assert.matches("^\r\27%[K%[1/2%] run %.%.%.\r\27%[Kpass  run ", out)
    assert.matches("\n\r\27%[K%[2/2%] idle %.%.%.\r\27%[Kpass  idle ", out)
  end)

  it("exits 1 on a failure, with the rule, its source and the framework calls", function()
    local out, code = cli(("%s --setting APP_POOL_NAME=health-twice --only health --timeout 0.5"):format(BROKEN))
    assert.equal(1, code)
    assert.matches("fail  health", out)
    assert.matches("rule:   CheckHealth makes exactly one ReportHealth per call", out)
    assert.matches("source: wpframework.h: IPmHealthAndIdleMonitor::CheckHealth", out)
    assert.matches("GetStringProperty APP_POOL_NAME", out)
  end)

  it("--json prints one document and --junit writes one testcase per check", function()
    local junit = os.tmpname()
    local out, code = cli(("%s --json --junit %s --setting APP_POOL_NAME=unknown-ok --only run,run-unknown "
      .. "--timeout 0.5"):format(BROKEN, junit))
    assert.equal(1, code)
    local doc = out:match("^(%b{})\n$")
    assert.truthy(doc)
    assert.matches('"passed":0', doc)
    assert.matches('"failed":1', doc)
    assert.matches('"skipped":1', doc)
    assert.matches('"name":"run%-unknown","rule":"an unknown action name gets E_NOTIMPL and no report"', doc)
    assert.matches('"status":"fail"', doc)
    local f = assert(io.open(junit))
    local xml = f:read("*a")
    f:close()
    os.remove(junit)
    assert.matches('<testsuite name="customaction check [^"]*" tests="2" failures="1" skipped="1">', xml)
    assert.matches('<testcase classname="customaction.check" name="run%-unknown">\n    <failure message="', xml)
    assert.matches('<skipped message="no %-%-action given"/>', xml)
  end)

  it("exits 2 on a usage error or a library that does not load", function()
    local out, code = cli("")
    assert.equal(2, code)
    assert.matches("customaction check: missing LIBRARY", out)
    out, code = cli(SAMPLE .. " --only nope")
    assert.equal(2, code)
    assert.matches("no check 'nope'", out)
    out, code = cli("no/such/library.so --only loading")
    assert.equal(2, code)
    assert.matches("the library did not load", out)
  end)
end)

describe("the busted helper", function()
  it("turns each check into an it, and a skipped one into a pending with its reason", function()
    local its, pendings = {}, {}
    local res = check.busted(function(name, fn) its[#its + 1] = { name, fn } end,
      function(name) pendings[#pendings + 1] = name end,
      BROKEN, { settings = { APP_POOL_NAME = "health-twice" }, only = "health,run", timeout = 0.5 })
    assert.equal(2, #res.checks)
    assert.equal(1, #its)
    assert.matches("^health: CheckHealth makes exactly one ReportHealth", its[1][1])
    assert.error_matches(its[1][2], "health failed: CheckHealth call 1: ReportHealth came 2 times")
    assert.same({ "run: " .. check.checks[3].rule .. " (skipped: no --action given)" }, pendings)
  end)
end)
