--- The checks of `customaction check`, each run in a child interpreter.
--
-- `customaction.check` starts one interpreter per check on a script that
-- calls `main(opts)`; the child loads the library, drives it, and writes
-- lines to stdout: `phase TEXT` before each call into the library (so
-- that a crash or a hang is reported with the call it happened in),
-- `call TEXT` for the framework calls the library made (shown for a
-- failing check), and one `result STATUS DETAIL` at the end. A crash,
-- an abort or a hang ends the child before its result line; the parent
-- reports that instead.
--
-- @module customaction.check.child

local ca = require "customaction"
local core = require "customaction.core"

local M = {}

local UNKNOWN = "customaction.check.NoSuchAction"

-- A failure or a skip travels as a table, so that a bug is told apart.
local Verdict = {}
local function verdict(status, fmt, ...)
  error(setmetatable({ status = status, detail = fmt:format(...) }, Verdict), 0)
end

local Ctx = {}
Ctx.__index = Ctx

function Ctx.phase(_, text)
  io.stdout:write("phase ", text, "\n")
  io.stdout:flush()
end

function Ctx.fail(_, fmt, ...) verdict("fail", fmt, ...) end
function Ctx.skip(_, fmt, ...) verdict("skip", fmt, ...) end

-- Waits `seconds`, delivering what other threads report meanwhile.
function Ctx.settle(_, seconds)
  local deadline = ca.clock() + seconds
  repeat
    ca.wait(math.min(0.02, math.max(0, deadline - ca.clock())))
  until ca.clock() >= deadline
  ca.dispatch()
end

-- Waits until pred() or the timeout; returns pred()'s last value.
function Ctx:wait_for(pred, seconds)
  local deadline = ca.clock() + (seconds or self.timeout)
  while not pred() do
    if ca.clock() >= deadline then return pred() end
    ca.wait(0.01)
  end
  return true
end

function Ctx:load(immediate)
  self:phase("GetProtocolManager")
  local ok, pm = pcall(ca.load, self.library, self.load_opts)
  if not ok then
    local msg = tostring(pm):gsub("^[^\n]-%.lua:%d+: ", "")
    if msg:find("but no IProtocolManager", 1, true) then self:fail("%s", msg) end
    verdict("unloadable", "%s", msg)
  end
  self.pms[#self.pms + 1] = { pm = pm, immediate = immediate }
  self.pm = pm
  return pm
end

--- A callback that records its reports, with a guard reference of ours
-- so that a library that releases too often cannot free it: it starts
-- at `base` references, and a count below that is a Release too many.
--
-- A final report made on this thread inside one of our calls (Unregister's,
-- typically) is delivered at once, ahead of reports the library's threads
-- made before it and that still wait in the queue; those reach the module
-- after the final and are refused as after_final, but were not made after
-- it. `excused` counts them: the reports made but not yet delivered when
-- such a final arrived.
function Ctx:callback(label, reuse)
  local t = { label = label, got = {}, finals = 0, excused = 0 }
  local ctx = self
  t.cb = ca.callback(function(status, response, final)
    t.got[#t.got + 1] = { status = status, response = response, final = final }
    if final then
      t.finals = t.finals + 1
      if ctx.in_call and t.finals == 1 then t.excused = t.cb:stats().reports - #t.got end
    end
  end, { name = label, reuse = reuse })
  t.base = t.cb:addref()
  self.cbs[#self.cbs + 1] = t
  return t
end

local function reports(t) return t.cb:stats().reports end
-- Reports made after the final one (see Ctx:callback for the excused ones).
local function after_final(t) return t.cb:stats().refused.after_final - t.excused end

-- The phrase for a library's HRESULT.
local function hrs(hr) return hr.name or ("0x%08X"):format(hr.value) end

local function utf16(s) return ca.utf16.encode(s) end

-- Raw UTF-16 bytes shown: the text when they decode, else hex (both cut).
local function shown(raw)
  if raw == nil then return "NULL" end
  local ok, text = pcall(ca.utf16.decode, raw)
  if ok and #text > 40 then return ("%q..(%d chars)"):format(text:sub(1, 40), math.floor(#raw / 2)) end
  if ok then return ("%q"):format(text) end
  return "<UTF-16 " .. raw:sub(1, 16):gsub(".", function(c) return ("%02X"):format(c:byte()) end) .. ">"
end

-- The raw interface pointers the checks need, or nil and the HRESULT.
function Ctx:actions()
  self:phase("GetPmInterface(PM_CUSTOM_ACTIONS_ID)")
  local p, hr = self.pm:interface("PM_CUSTOM_ACTIONS_ID")
  return p, hr
end

function Ctx:actions2()
  self:phase(("GetCustomInterface(%d)"):format(self.actions2_id))
  return self.pm:interface(self.actions2_id, true)
end

function Ctx:monitor()
  self:phase("GetPmInterface(PM_HEALTH_AND_IDLE_MONITOR_ID)")
  return self.pm:interface("PM_HEALTH_AND_IDLE_MONITOR_ID")
end

function Ctx:need_actions()
  local p, hr = self:actions()
  if not p then self:skip("no IPmCustomActions (GetPmInterface(PM_CUSTOM_ACTIONS_ID) returned %s)", hrs(hr)) end
  return p
end

function Ctx:need_actions2()
  if #self.streams == 0 then self:skip("no --stream given") end
  local p, hr = self:actions2()
  if not p then
    self:skip("no IPmCustomActions2 (GetCustomInterface(%d) returned %s)", self.actions2_id, hrs(hr))
  end
  return p
end

function Ctx:need_monitor()
  local p, hr = self:monitor()
  if not p then
    self:skip("no IPmHealthAndIdleMonitor (GetPmInterface(PM_HEALTH_AND_IDLE_MONITOR_ID) returned %s)", hrs(hr))
  end
  return p
end

-- What a string the checker passed reads as once the call returned
-- (lcheck.c overwrites each unit with 0xDEAD, bytes AD DE), up to 4 units;
-- nil for NULL or empty.
local function poisoned(raw)
  if raw == nil or #raw < 2 then return nil end
  return ("\173\222"):rep(math.min(4, math.floor(#raw / 2)))
end

-- One raw call; name and args are Lua strings (UTF-8) or raw UTF-16 when
-- `raw` is set, nil for NULL.
function Ctx:call(kind, ptr, name, args, t, raw)
  local enc = raw and function(s) return s end or function(s) return s and utf16(s) end
  self:phase(("%s(%s)"):format(({ run = "RunCustomAction", register = "RegisterCustomActionCallback",
    unregister = "UnregisterCustomActionCallback", health = "CheckHealth" })[kind],
    raw and shown(name) or name == nil and "NULL" or ("%q"):format(name)))
  if t then t.poison = { name = poisoned(enc(name)), args = poisoned(enc(args)) } end
  self.in_call = true
  local ok, hr, at_return = pcall(core.check_raw, { kind = kind, ptr = ptr, name = enc(name), args = enc(args),
                                                     cb = t and t.cb })
  self.in_call = false
  if not ok then error(hr, 0) end
  if t then t.at_call = at_return end
  return hr
end

-- The rule of one one-shot call: a success comes with exactly one report,
-- made before it returned (IIS's own protocol managers answer inside the
-- call) or, queued, within the timeout after; a failure with none (or, as
-- IIS's core protocol manager does, with the one report whose
-- ReportResult result it passes on); nothing comes after.
function Ctx:run_once(ptr, name, args, raw, quick)
  local t = self:callback(raw and "fuzz run" or "run " .. tostring(name))
  local hr = self:call("run", ptr, name, args, t, raw)
  local n = t.at_call   -- as the call returned: a thread of the library's may report a moment later
  local what = ("RunCustomAction(%s, %s)"):format(raw and shown(name) or name == nil and "NULL" or ("%q"):format(name),
    raw and shown(args) or args == nil and "NULL" or ("%q"):format(args:sub(1, 40)))
  t.what, t.sync = what, n > 0
  if hr:succeeded() and n == 0 then
    t.at_return, t.async = 0, true
    if quick then return hr, t end   -- the caller waits for it
    self:answered(t)
    return hr, t
  end
  if hr:succeeded() and n ~= 1 then
    self:fail("%s returned %s after %d report(s) (expected exactly 1)", what, hrs(hr), n)
  elseif hr:failed() and n > 1 then
    self:fail("%s returned %s after %d reports (expected none, or 1)", what, hrs(hr), n)
  end
  t.at_return = n
  if quick then return hr, t end   -- the caller looks for late reports
  self:settle(self.grace)
  self:no_late_reports(t)
  return hr, t
end

-- An answer that comes after the call returned: exactly one, in time.
function Ctx:answered(t)
  if not self:wait_for(function() return reports(t) > 0 end) then
    self:fail("%s returned S_OK but no report came, before it returned or within %gs", t.what, self.timeout)
  end
  self:settle(self.grace)
  if reports(t) ~= 1 then self:fail("%s: %d reports (expected exactly 1)", t.what, reports(t)) end
  self:no_kept_pointers(t, t.what)
  t.at_return = 1
end

function Ctx:no_late_reports(t)
  local later = reports(t) - t.at_return
  if later > 0 then self:fail("%s: %d report(s) after it returned", t.what, later) end
  self:no_kept_pointers(t, t.what)
end

-- The strings a call is given are the library's only for the call: one
-- that kept a pointer and read it later read the poison the checker put
-- there once the call returned, and a report that carries it shows that.
function Ctx:no_kept_pointers(t, what)
  if not t.poison then return end
  for _, r in ipairs(t.got) do
    for _, which in ipairs({ "args", "name" }) do
      local mark = t.poison[which]
      if mark and r.response and r.response:find(mark, 1, true) then
        self:fail("%s: a report carries the %s as the checker overwrote it once the call returned "
          .. "(units 0xDEAD): the library kept the pointer and read it later, but an in-parameter "
          .. "is valid only for the call", what, which == "args" and "argument string" or "name")
      end
    end
  end
end

-- Ends the libraries the check loaded: Shutdown(FALSE) unless the check
-- shut them down itself, then close.
function Ctx:teardown()
  for _, e in ipairs(self.pms) do
    if not e.shut then
      self:phase("Shutdown(FALSE)")
      e.pm:shutdown(false)
    end
    self:phase("Release")
    e.pm:close()
  end
  self.pms = {}
  ca.dispatch()
end

-- Shows the framework calls of the protocol manager loaded last.
function Ctx:show_calls()
  local ok, log = pcall(function() return self.pm and self.pm:log() end)
  if not ok or not log then return end
  local first = math.max(1, #log - 15)
  for i = first, #log do
    local e = log[i]
    io.stdout:write("call ", e.op, e.what and (" " .. e.what) or "", e.interface and (" " .. e.interface) or "",
      e.refs and (" -> " .. e.refs) or "", e.text and (" " .. e.text) or "", "\n")
  end
end

M.checks = {}
local checks = M.checks

-- loading -------------------------------------------------------------------

function checks.loading(ctx)
  local pm = ctx:load()
  local found = {}
  for _, q in ipairs({ { "IPmCustomActions", ctx.actions }, { "IPmCustomActions2", ctx.actions2 },
                       { "IPmHealthAndIdleMonitor", ctx.monitor } }) do
    local p, hr = q[2](ctx)
    if p then
      found[#found + 1] = q[1]
      -- we hold a reference: AddRef counts up from at least 2, Release back by one
      ctx:phase(q[1] .. " AddRef, Release")
      local up, down = core.check_raw({ kind = "refs", ptr = p })
      if up < 2 or down ~= up - 1 then
        ctx:fail("%s: AddRef returned %d and Release %d while we held a reference (expected >= 2, then one less)",
          q[1], up, down)
      end
    elseif hr:succeeded() then ctx:fail("%s: %s with a NULL pointer", q[1], hrs(hr)) end
  end
  ctx:phase("Shutdown(FALSE)")
  local hr = pm:shutdown(false)
  ctx.pms[1].shut = true
  return ("GetProtocolManager: S_OK; offers %s; Shutdown: %s"):format(
    #found > 0 and table.concat(found, ", ") or "no interface", hrs(hr))
end

-- references ----------------------------------------------------------------

-- Framework references the library holds: AddRefs minus Releases in the
-- log (an interface handed out counts as its AddRef).
local function framework_balance(log)
  local n = 0
  for _, e in ipairs(log) do
    if e.op == "AddRef" then n = n + 1 elseif e.op == "Release" then n = n - 1 end
  end
  return n
end

function Ctx:end_stream(ptr, s, t)
  if not self:wait_for(function() return t.finals > 0 end) then
    self:call("unregister", ptr, s.name)
    self:wait_for(function() return t.finals > 0 end)
  end
end

function checks.references(ctx)
  ctx:load()
  local acts = ctx:actions()
  if acts then
    for _, a in ipairs(ctx.actions_list) do ctx:call("run", acts, a.name, a.args, ctx:callback("run " .. a.name)) end
  end
  local acts2 = #ctx.streams > 0 and ctx:actions2()
  if acts2 then
    for _, s in ipairs(ctx.streams) do
      local t = ctx:callback("stream " .. s.name)
      if ctx:call("register", acts2, s.name, s.args, t):succeeded() then ctx:end_stream(acts2, s, t) end
    end
  end
  local mon = ctx:monitor()
  if mon then
    local t = ctx:callback("health")
    ctx:call("health", mon, nil, nil, t)
    ctx:wait_for(function() return reports(t) > 0 end)
  end
  ctx:settle(ctx.grace)
  ctx:phase("Shutdown(FALSE)")
  ctx.pm:shutdown(false)
  ctx.pms[#ctx.pms].shut = true
  ctx:settle(ctx.grace)
  local problems = {}
  for _, t in ipairs(ctx.cbs) do
    local refs = t.cb:stats().refs
    if refs > t.base then
      problems[#problems + 1] = ("callback of %s: %d AddRef(s) not released by the end of Shutdown"):format(
        t.label, refs - t.base)
    elseif refs < t.base then
      problems[#problems + 1] = ("callback of %s: released %d time(s) more than it was AddRef'd"):format(
        t.label, t.base - refs)
    end
  end
  local held = framework_balance(ctx.pm:log())
  if held > 0 then
    problems[#problems + 1] = ("framework: %d AddRef(s) (or interfaces from GetWpfInterface) not released "
      .. "by the end of Shutdown"):format(held)
  elseif held < 0 then
    problems[#problems + 1] = ("framework: released %d time(s) more than it was AddRef'd"):format(-held)
  end
  if #problems > 0 then ctx:fail("%s", table.concat(problems, "; ")) end
  return ("%d callback(s) and the framework balanced"):format(#ctx.cbs)
end

-- RunCustomAction -------------------------------------------------------------

function checks.run(ctx)
  if #ctx.actions_list == 0 then ctx:skip("no --action given") end
  ctx:load()
  local acts = ctx:need_actions()
  local parts = {}
  for _, a in ipairs(ctx.actions_list) do
    local hr, t = ctx:run_once(acts, a.name, a.args)
    parts[#parts + 1] = ("%s: %s%s"):format(a.name, hrs(hr),
      hr:succeeded() and (t.sync and " (answered inside the call)" or " (answered after it returned)") or "")
  end
  return table.concat(parts, ", ")
end

checks["run-unknown"] = function(ctx)
  ctx:load()
  local acts = ctx:need_actions()
  local t = ctx:callback("run " .. UNKNOWN)
  local hr = ctx:call("run", acts, UNKNOWN, "", t)
  ctx:settle(ctx.grace)
  if hr ~= ca.E_NOTIMPL then
    ctx:fail("RunCustomAction(%q) returned %s with %d report(s) (expected E_NOTIMPL and none)",
      UNKNOWN, hrs(hr), reports(t))
  end
  if reports(t) > 0 then ctx:fail("an unknown name got %d report(s)", reports(t)) end
  return "E_NOTIMPL, no report"
end

checks["run-null"] = function(ctx)
  ctx:load()
  local acts = ctx:need_actions()
  local cases = { { nil, nil }, { nil, "" }, { "", nil }, { "", "" } }
  for _, a in ipairs(ctx.actions_list) do cases[#cases + 1] = { a.name, nil }; cases[#cases + 1] = { a.name, "" } end
  -- only survival is checked here: what an empty name gets is run-unknown's rule
  for _, c in ipairs(cases) do ctx:call("run", acts, c[1], c[2], ctx:callback("run-null")) end
  ctx:call("run", acts, UNKNOWN, nil, nil)   -- a NULL callback with a name it does not know
  local n, acts2 = #cases + 1, ctx:actions2()
  if acts2 then   -- the same for IPmCustomActions2
    n = n + 4 + #ctx.streams
    ctx:call("register", acts2, nil, nil, ctx:callback("run-null register"))
    ctx:call("register", acts2, UNKNOWN, nil, nil)
    ctx:call("unregister", acts2, nil)
    ctx:call("unregister", acts2, "")
    for _, s in ipairs(ctx.streams) do ctx:call("register", acts2, s.name, nil, nil) end
  end
  ctx:settle(ctx.grace)
  return ("%d calls with NULL or empty names and arguments, or a NULL callback"):format(n)
end

-- Streaming ------------------------------------------------------------------

-- One registration watched to its end: exactly one final report and
-- nothing after it.
function Ctx:one_final(t, what)
  self:settle(self.grace)
  self:no_kept_pointers(t, what)
  if after_final(t) > 0 then
    self:fail("%s: %d report(s) after the final one (expected exactly one final, then nothing)", what,
      after_final(t))
  end
end

function checks.stream(ctx)
  ctx:load()
  local acts2 = ctx:need_actions2()
  local parts = {}
  for _, s in ipairs(ctx.streams) do
    local t = ctx:callback("stream " .. s.name)
    local hr = ctx:call("register", acts2, s.name, s.args, t)
    if hr:failed() then
      if reports(t) > 0 then ctx:fail("RegisterCustomActionCallback(%q) failed (%s) but reported", s.name, hrs(hr)) end
      ctx:fail("RegisterCustomActionCallback(%q) returned %s", s.name, hrs(hr))
    end
    local ended = ctx:wait_for(function() return t.finals > 0 end)
    if not ended then ctx:call("unregister", acts2, s.name) ; ctx:wait_for(function() return t.finals > 0 end) end
    ctx:one_final(t, ("registration of %q"):format(s.name))
    -- again, after its final
    local t2 = ctx:callback("stream " .. s.name .. " again")
    local hr2 = ctx:call("register", acts2, s.name, s.args, t2)
    if hr2:succeeded() then
      ctx:end_stream(acts2, s, t2)
      if t2.finals == 0 then ctx:fail("second registration of %q: no final report within %gs", s.name, ctx.timeout) end
      ctx:one_final(t2, ("second registration of %q"):format(s.name))
    elseif reports(t2) > 0 then
      ctx:fail("registering %q again after its final failed (%s) but reported", s.name, hrs(hr2))
    end
    parts[#parts + 1] = ("%s: %d report(s), 1 final; again: %s"):format(s.name, #t.got, hrs(hr2))
  end
  return table.concat(parts, ", ")
end

checks["stream-unregister"] = function(ctx)
  ctx:load()
  local acts2 = ctx:need_actions2()
  for _, s in ipairs(ctx.streams) do
    local t = ctx:callback("stream " .. s.name)
    local hr = ctx:call("register", acts2, s.name, s.args, t)
    if hr:succeeded() then
      local open = t.finals == 0
      local uhr = ctx:call("unregister", acts2, s.name)
      if open and uhr:succeeded() then
        if not ctx:wait_for(function() return t.finals > 0 end) then
          ctx:fail("UnregisterCustomActionCallback(%q) returned %s but no final report came within %gs",
            s.name, hrs(uhr), ctx.timeout)
        end
      end
      ctx:one_final(t, ("unregistered %q"):format(s.name))
    end
  end
  local t = ctx:callback("unknown")
  local hr = ctx:call("unregister", acts2, UNKNOWN)
  ctx:settle(ctx.grace)
  if hr:succeeded() then
    ctx:fail("UnregisterCustomActionCallback(%q) returned %s (expected a failure)", UNKNOWN, hrs(hr))
  end
  for _, c in ipairs(ctx.cbs) do
    if c ~= t and (c.finals + after_final(c)) > 1 then ctx:fail("a report after unregistering an unknown name") end
  end
  return ("unknown name: %s"):format(hrs(hr))
end

-- Health and idle --------------------------------------------------------------

function checks.health(ctx)
  ctx:load()
  local mon = ctx:need_monitor()
  for i = 1, 3 do
    local t = ctx:callback("health " .. i)
    local hr = ctx:call("health", mon, nil, nil, t)
    if hr:failed() then ctx:fail("CheckHealth returned %s", hrs(hr)) end
    if not ctx:wait_for(function() return reports(t) > 0 end) then
      ctx:fail("CheckHealth call %d: no ReportHealth within %gs", i, ctx.timeout)
    end
    ctx:settle(ctx.grace)
    if reports(t) ~= 1 then
      ctx:fail("CheckHealth call %d: ReportHealth came %d times (expected once)", i, reports(t))
    end
  end
  return "3 calls, one ReportHealth each"
end

function checks.idle(ctx)
  local pm = ctx:load()
  ctx:need_monitor()
  ctx:phase("CheckIdle")
  local idle, hr = pm:check_idle()
  if idle == nil then ctx:fail("CheckIdle returned %s", hrs(hr)) end
  return ("CheckIdle: %s"):format(tostring(idle))
end

-- Shutdown -------------------------------------------------------------------

-- One load with every stream open, shut down with fImmediate.
function Ctx:shutdown_round(immediate)
  local pm = self:load()
  local open = {}
  local acts2 = #self.streams > 0 and self:actions2()
  if acts2 then
    for _, s in ipairs(self.streams) do
      local t = self:callback("stream " .. s.name)
      if self:call("register", acts2, s.name, s.args, t):succeeded() then open[#open + 1] = t end
    end
  end
  pm:log(true)
  local label = immediate and "Shutdown(TRUE)" or "Shutdown(FALSE)"
  self:phase(label)
  local t0 = ca.clock()
  local hr = pm:shutdown(immediate)
  local took = ca.clock() - t0
  self.pms[#self.pms].shut = true
  local at = {}
  for i, t in ipairs(open) do at[i] = reports(t) end
  local calls_at = #pm:log()
  ca.dispatch()
  local held = {}
  for _, t in ipairs(open) do if t.cb:stats().refs > t.base then held[#held + 1] = t.label end end
  self:settle(self.grace * 2)
  if took > self.timeout then self:fail("%s took %.2fs (timeout %gs)", label, took, self.timeout) end
  for i, t in ipairs(open) do
    if reports(t) > at[i] then self:fail("%s: %d report(s) after %s returned", t.label, reports(t) - at[i], label) end
  end
  local log = pm:log()
  if #log > calls_at then
    self:fail("%d framework call(s) after %s returned (first: %s)", #log - calls_at, label, log[calls_at + 1].op)
  end
  if #held > 0 then self:fail("%s returned while still holding the callback of %s", label, table.concat(held, ", ")) end
  return ("%s: %s in %.3fs"):format(label, hrs(hr), took)
end

function checks.shutdown(ctx)
  local a = ctx:shutdown_round(true)
  local b = ctx:shutdown_round(false)
  return a .. ", " .. b
end

-- Threads --------------------------------------------------------------------

local THREADS, PER_THREAD = 4, 25

-- The streams' jobs: each thread registers and unregisters again and
-- again, with a callback of its own that takes a report after a final one
-- (so every registration's final is counted).
local function stream_jobs(ctx, acts2, jobs, tracked)
  for _, s in ipairs(ctx.streams) do
    for i = 1, THREADS do
      local t = ctx:callback(("stream %s thread %d"):format(s.name, i), true)
      for _ = 1, PER_THREAD do t.base = t.cb:addref() end
      jobs[#jobs + 1] = { kind = "cycle", ptr = acts2, name = utf16(s.name), args = s.args and utf16(s.args),
                          cb = t.cb, times = PER_THREAD }
      tracked[#jobs] = t
    end
  end
end

-- What one job's callback got, against what its calls returned.
local function judge_job(ctx, job, r, t)
  local n = reports(t)
  if job.kind == "health" and n ~= r.ok then
    ctx:fail("%s: %d ReportHealth for %d successful CheckHealth calls", t.label, n, r.ok)
  elseif job.kind == "run" and (n < r.ok or n > r.ok + r.failed) then
    ctx:fail("%s: %d reports for %d successful and %d failed calls", t.label, n, r.ok, r.failed)
  elseif job.kind == "cycle" and t.finals ~= r.ok then
    ctx:fail("%s: %d final reports for %d successful registrations", t.label, t.finals, r.ok)
  end
end

function checks.threads(ctx)
  ctx:load()
  local acts, mon = ctx:actions(), ctx:monitor()
  local acts2 = #ctx.streams > 0 and ctx:actions2()
  local jobs, tracked = {}, {}
  for _, a in ipairs(acts and ctx.actions_list or {}) do
    for i = 1, THREADS do
      local t = ctx:callback(("run %s thread %d"):format(a.name, i))
      -- guard references, so that a Release too many cannot free it meanwhile
      for _ = 1, PER_THREAD do t.base = t.cb:addref() end
      jobs[#jobs + 1] = { kind = "run", ptr = acts, name = utf16(a.name), args = a.args and utf16(a.args),
                          cb = t.cb, times = PER_THREAD }
      tracked[#jobs] = t
    end
  end
  if mon then
    for i = 1, THREADS do
      local t = ctx:callback(("health thread %d"):format(i))
      jobs[#jobs + 1] = { kind = "health", ptr = mon, cb = t.cb, times = PER_THREAD }
      tracked[#jobs] = t
    end
  end
  if acts2 then stream_jobs(ctx, acts2, jobs, tracked) end
  if #jobs == 0 then ctx:skip("nothing to call: no --action, --stream or IPmHealthAndIdleMonitor") end
  ctx:phase(("%d threads at once"):format(#jobs))
  local results = core.check_threads(jobs)
  ctx:wait_for(function()
    for i, r in ipairs(results) do
      local t = tracked[i]
      if (jobs[i].kind == "cycle" and t.finals or reports(t)) < r.ok then return false end
    end
    return true
  end)
  ctx:settle(ctx.grace)
  for i, r in ipairs(results) do judge_job(ctx, jobs[i], r, tracked[i]) end
  for _, t in ipairs(tracked) do
    local refs = t.cb:stats().refs
    if refs ~= t.base then
      ctx:fail("%s: %d reference(s) %s", t.label, math.abs(refs - t.base),
        refs > t.base and "still held" or "released too many")
    end
  end
  return ("%d threads x %d calls"):format(#jobs, PER_THREAD)
end

-- Fuzzing --------------------------------------------------------------------

local function random_string(rng)
  local kind = rng(6)
  if kind == 1 then return nil end
  if kind == 2 then return "" end
  if kind == 3 then return utf16(string.rep("x", rng(5000))) end
  if kind == 4 then return utf16("d\195\169j\195\160 \228\184\173\230\150\135 \240\159\152\128") end
  if kind == 5 then   -- unpaired surrogates
    return string.char(0x00, 0xD8, 0x41, 0x00) .. string.char(0x00, 0xDC, 0x42, 0x00)
  end
  return utf16(("n%d"):format(rng(100)))
end

-- One random sequence of run/register/unregister/health/idle from seed.
function Ctx:sequence(seed, acts, acts2, mon)
  math.randomseed(seed)
  local rng = math.random
  -- mostly the names the library knows, with their arguments or others
  local function pick(list)
    if rng(4) == 1 or #list == 0 then return random_string(rng), random_string(rng) end
    local a = list[rng(#list)]
    if rng(2) == 1 then return utf16(a.name), a.args and utf16(a.args) end
    return utf16(a.name), random_string(rng)
  end
  for _ = 1, 8 + rng(8) do
    local op = rng(6)
    local name, args = pick(op == 1 and self.actions_list or self.streams)
    if op == 1 and acts then
      self:run_once(acts, name, args, true, true)
    elseif op == 2 and acts2 then
      local t = self:callback("fuzz stream")
      local hr = self:call("register", acts2, name, args, t, true)
      t.open = hr:succeeded()
      if hr:failed() and reports(t) > 0 then
        self:fail("RegisterCustomActionCallback failed (%s) but reported", hrs(hr))
      end
    elseif op == 3 and acts2 then
      self:call("unregister", acts2, name, nil, nil, true)
    elseif op == 4 and mon then
      local t = self:callback("fuzz health")
      self:call("health", mon, nil, nil, t)
      self:wait_for(function() return reports(t) > 0 end)
    elseif op == 5 and mon then
      self:phase("CheckIdle")
      self.pm:check_idle()
    elseif op == 6 then   -- time for the library's threads: streams end, late reports come
      self:settle(rng(30) / 1000)
    end
  end
  -- every registration ends: a short while on its own, then unregistered
  self:wait_for(function()
    for _, t in ipairs(self.cbs) do if t.open and t.finals == 0 then return false end end
    return true
  end, math.min(0.05, self.timeout))
  if acts2 then
    for _, s in ipairs(self.streams) do self:call("unregister", acts2, utf16(s.name), nil, nil, true) end
  end
  self:settle(0.02)
  for _, t in ipairs(self.cbs) do
    if t.async and t.at_return == 0 then self:answered(t) end
    if t.at_return then self:no_late_reports(t) end
    if after_final(t) > 0 then self:fail("%s: %d report(s) after the final one", t.label, after_final(t)) end
    if t.label == "fuzz health" and reports(t) ~= 1 then self:fail("ReportHealth came %d times", reports(t)) end
  end
end

function checks.fuzz(ctx)
  local n, seed = ctx.fuzz or 0, ctx.seed or os.time()
  if n < 1 then ctx:skip("--fuzz N not given") end
  for k = 0, n - 1 do
    ctx:phase(("fuzz sequence %d seed %d"):format(k + 1, seed + k))
    io.stdout:write("seed ", seed + k, "\n")
    ctx:load()
    ctx:sequence(seed + k, ctx:actions(), #ctx.streams > 0 and ctx:actions2(), ctx:monitor())
    ctx:phase("Shutdown(FALSE)")
    ctx.pm:shutdown(false)
    ctx.pms[#ctx.pms].shut = true
    ctx:settle(0.02)
    for _, t in ipairs(ctx.cbs) do
      local refs = t.cb:stats().refs
      if refs ~= t.base then
        ctx:fail("%s: %d reference(s) %s after Shutdown", t.label, math.abs(refs - t.base),
          refs > t.base and "still held" or "released too many")
      end
    end
    ctx:teardown()
    ctx.cbs = {}
  end
  return ("%d sequences from seed %d"):format(n, seed)
end

-- Main -----------------------------------------------------------------------

local function new_ctx(o)
  return setmetatable({
    library = o.library, timeout = o.timeout or 5, grace = math.min(0.1, (o.timeout or 5) / 10),
    actions_list = o.actions or {}, streams = o.streams or {}, fuzz = o.fuzz, seed = o.seed,
    actions2_id = o.actions2_id or 2, pms = {}, cbs = {},
    load_opts = { settings = o.settings, applications = o.applications, init = o.init,
                  actions2_id = o.actions2_id },
  }, Ctx)
end

--- Runs one check and writes the result line.
-- @tparam table o library, check, actions, streams, settings,
-- applications, init, actions2_id, timeout, fuzz, seed, limit (the
-- seconds after which the process ends itself with status 124)
-- @treturn int the exit status (0 when a result line was written)
function M.main(o)
  -- the time limit and plain crashes, before anything of the library runs
  if o.limit then core.check_child(o.limit) end
  local ctx = new_ctx(o)
  local check = checks[o.check]
  local ok, res = pcall(check, ctx)
  local status, detail
  if ok then status, detail = "pass", res or ""
  elseif getmetatable(res) == Verdict then status, detail = res.status, res.detail
  else status, detail = "error", tostring(res) end
  if status == "fail" then ctx:show_calls() end
  local ok2, err = pcall(ctx.teardown, ctx)
  if not ok2 and status == "pass" then status, detail = "fail", "at teardown: " .. tostring(err) end
  io.stdout:write("result ", status, " ", (detail:gsub("\n", " ")), "\n")
  io.stdout:flush()
  return 0
end

return M
