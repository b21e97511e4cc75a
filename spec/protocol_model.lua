-- A reference model of the protocol between the simulated issuer, the
-- callback objects and their Lua handlers, for model_spec.lua.
--
-- `M.virtual(ca, peer, seed)` runs one random sequence of operations
-- against the real module on a virtual clock and, step by step, against
-- this model, and returns nil or a description of the first difference:
-- every handler call (callback, status, response, final), every HRESULT a
-- call returns, and the issuer's log (op, action, status, final, result,
-- time) must be what the model predicts.
--
-- `M.virtual(ca, peer, seed, nops, target)` runs the same sequence against
-- another implementation: target (spec/model_targets.lua) makes it and
-- states, in one descriptor, where its documented semantics differ from
-- the issuer's; the model follows the descriptor.
--
-- `M.threaded(ca, peer, seed)` runs native producer threads and a
-- threaded issuer against the queue and checks what cannot be predicted
-- exactly: each thread's reports arrive in order, and every report ends
-- exactly once (delivered, refused with a counted reason, or discarded at
-- close).
local M = {}

-- Park-Miller: exact in doubles, so a seed replays on every Lua.
local function rng(seed)
  local x = seed % 2147483646 + 1
  return function(n)
    x = x * 16807 % 2147483647
    return x % n + 1
  end
end

local function pick(r, t) return t[r(#t)] end

---------------------------------------------------------------------------
-- The issuer's semantics, in one place: run answers inside the call, as
-- IIS's core protocol manager does (a synchronous report, E_NOTIMPL for an
-- unknown name); `run_semantics` and `unknown_name` say so.

local HR = {}
local ca_hresult
local function hrs(ca)
  ca_hresult = ca.hresult
  HR.S_OK = ca.S_OK
  HR.E_FAIL = ca.E_FAIL
  HR.E_ABORT = ca.E_ABORT
  HR.NOT_FOUND = ca.E_NOT_SET
  HR.NOTIMPL = ca.E_NOTIMPL
  HR.EXISTS = ca.hresult("HRESULT_FROM_WIN32_ERROR_ALREADY_EXISTS")
  HR.DISCONNECTED = ca.RPC_E_DISCONNECTED
  HR.AFTER_FINAL = ca.E_ILLEGAL_METHOD_CALL
  HR.DISP = ca.DISP_E_EXCEPTION
end

-- The issuer's semantics where implementations differ (the descriptor's
-- fields; spec/model_targets.lua gives the others'): what run and
-- register answer for a name nobody defined, what unregister answers for
-- a name not registered, whether a stream whose report failed ends with a
-- final E_ABORT (the issuer just stops), whether an unregister from
-- inside the stream's own handler sends its E_ABORT at once (the issuer
-- sends it at its next step), and whether the implementation keeps a log.
M.ISSUER = { name = "issuer", unknown_run = "E_NOTIMPL", unknown_register = "E_NOT_SET",
             not_found = "E_NOT_SET", stop_final = false, cancel_nested = false,
             log = true }

local function unknown_name(pm, shape)
  return ca_hresult(shape == 1 and pm.diff.unknown_run or pm.diff.unknown_register)
end

-- run: its one response inside the call, then the Release; the call
-- returns what the report returned, and is logged when it returns.
local function run_semantics(pm, op)
  pm:start_op(op)
  local hr = HR.S_OK
  while pm:alive(op) do
    local kind, result = pm:step(op)
    if kind == "response" then hr = result end
  end
  pm:emit("run", op.name, { result = hr })
  return hr
end

---------------------------------------------------------------------------
-- The model of the issuer (a transcription of the scheduler's rules).

local Issuer = {}
Issuer.__index = Issuer

local function new_issuer(world, diff)
  return setmetatable({ world = world, diff = diff or M.ISSUER, vnow = 0, defs = {},
                        ops = {}, closed = false, advancing = false, log = {} }, Issuer)
end

-- The scheduler itself, for a target whose script runs the same actions
-- (world:issuer_report(op.cb, status, final, response) makes each report).
function M.scheduler(ca, world, diff)
  hrs(ca)
  return new_issuer(world, diff)
end

function Issuer:emit(op, action, t)
  t = t or {}
  t.op, t.action, t.time = op, action, self.vnow
  self.log[#self.log + 1] = t
end

function Issuer:find_bound(name)
  for _, op in ipairs(self.ops) do
    if op.named and op.name == name then return op end
  end
end

local function last_response(op) return op.shape == 1 and 1 or op.sc.count end

local function interval(op) return op.sc.every > 0 and op.sc.every or 0 end

function Issuer:start(shape, name, cb)
  local what = shape == 1 and "run" or "register"
  local def = self.defs[name]
  local hr
  if self.closed then hr = HR.DISCONNECTED
  elseif def == nil then hr = unknown_name(self, shape)
  elseif shape == 2 and self:find_bound(name) then hr = HR.EXISTS end
  if hr then
    self:emit(what, name, { result = hr })
    return hr
  end
  local op = { name = name, shape = shape, cb = cb, sc = def, state = "active",
               named = shape == 2, sent = 0, due = self.vnow + def.delay,
               busy = false }
  self:emit("addref", name)
  if shape == 1 then return run_semantics(self, op) end
  self:emit(what, name, { result = HR.S_OK })
  self:start_op(op)
  return HR.S_OK
end

function Issuer:start_op(op) table.insert(self.ops, 1, op) end

function Issuer:earliest()
  local best
  for _, op in ipairs(self.ops) do
    if not op.busy and (best == nil or op.due < best.due) then best = op end
  end
  return best
end

function Issuer:report(op, status, final, response)
  if final then op.final_sent = true end   -- a reply's `done`
  local hr = self.world:issuer_report(op.cb, status, final, response)
  self:emit("report", op.name, { status = status, final = final, result = hr })
  return hr
end

-- One event of op: plan, perform (handlers may re-enter), finish.
function Issuer:step(op)
  op.busy = true
  local kind, k, result
  if op.state == "cancel" then kind = "abort"
  elseif op.state == "ending" or op.state == "extras" then kind = "end"
  else kind, k = "response", op.sent + 1 end
  local last = last_response(op)
  if kind == "response" then
    -- the final frees the name before its handler runs
    if last >= 0 and k >= last then op.named = false end
    result = self:report(op, op.sc.status, last >= 0 and k >= last, tostring(k))
  elseif kind == "abort" then
    self:report(op, HR.E_ABORT, true, "")
  else
    self:emit("release", op.name)
  end
  op.busy = false
  if kind == "response" then
    op.sent = k
    if last >= 0 and k >= last then
      op.state, op.named, op.due = "extras", false, self.vnow
    elseif op.state == "cancel" or op.state == "ending" then
      op.due = self.vnow   -- ending: cancelled from inside its own handler
    elseif result:failed() then
      op.named = false
      if self.diff.stop_final then self:report(op, HR.E_ABORT, true, "") end
      self:emit("stop", op.name, { result = result })
      op.state, op.named, op.due = "ending", false, self.vnow
    else
      op.due = op.due + interval(op)
      if op.due < self.vnow then op.due = self.vnow end
    end
  elseif kind == "abort" then
    op.state, op.due = "ending", self.vnow
  else
    for i, o in ipairs(self.ops) do
      if o == op then table.remove(self.ops, i) break end
    end
  end
  return kind, result
end

function Issuer:alive(op)
  for _, o in ipairs(self.ops) do if o == op then return true end end
  return false
end

function Issuer:finish_now(op)
  while self:alive(op) and not op.busy do self:step(op) end
end

function Issuer:advance(ms)
  local target
  if ms then
    target = self.vnow + ms
  else
    local op = self:earliest()
    if op == nil then return 0 end
    target = math.max(op.due, self.vnow)
  end
  self.advancing = true
  local n = 0
  while true do
    local op = self:earliest()
    if op == nil or op.due > target then break end
    if op.due > self.vnow then self.vnow = op.due end
    self:step(op)
    n = n + 1
  end
  if target > self.vnow then self.vnow = target end
  self.advancing = false
  return n
end

function Issuer:unregister(name)
  local op = self:find_bound(name)
  if op == nil then
    local hr = ca_hresult(self.diff.not_found)
    self:emit("unregister", name, { result = hr })
    return hr
  end
  op.named, op.state, op.due = false, "cancel", self.vnow
  if self.diff.cancel_nested then self:cancelled(op, true) end
  self:emit("unregister", name, { result = HR.S_OK })
  self:finish_now(op)
  return HR.S_OK
end

-- A cancel that ends op at once (report: with its final E_ABORT, which
-- a target's own layer may send instead); its next step only releases.
function Issuer:cancelled(op, report)
  op.named, op.state, op.due = false, "ending", self.vnow
  if report then self:report(op, HR.E_ABORT, true, "") end
end

function Issuer:close()
  if self.closed then return end
  self.closed = true
  for _, op in ipairs(self.ops) do
    op.named = false
    if op.state == "active" then op.state = "cancel" end
    op.due = self.vnow
  end
  while true do
    local found
    for _, op in ipairs(self.ops) do
      if not op.busy then found = op break end
    end
    if found == nil then break end
    self:finish_now(found)
  end
end

---------------------------------------------------------------------------
-- The model of the callbacks and the queue.

local World = {}
World.__index = World

-- The checks every report passes where it is made; nil when accepted.
local function refusal(cb, final)
  if not cb.open then
    cb.refused.closed = cb.refused.closed + 1
    return HR.DISCONNECTED
  end
  if cb.finished then
    cb.refused.after_final = cb.refused.after_final + 1
    return HR.AFTER_FINAL
  end
  if final then cb.finished = true end
end

-- A callback report on the owning thread: the checks, then the handler.
function World:issuer_report(cb, status, final, response)
  return refusal(cb, final) or self:deliver(cb, status, final, response)
end

function World:deliver(cb, status, final, response)
  if cb.final_delivered then
    cb.refused.after_final = cb.refused.after_final + 1
    return HR.AFTER_FINAL
  end
  if final then cb.final_delivered = true end
  return self:handler(cb, status, final, response)
end

-- What the planned handler does on its n-th call, in the model.
function World:handler(cb, status, final, response)
  cb.calls = cb.calls + 1
  cb.delivered = cb.delivered + 1
  self.trace[#self.trace + 1] = ("%s %s %q %s"):format(cb.id, status.name,
    response, tostring(final))
  local act = cb.plan[cb.calls]
  if act == "fail" then return HR.E_FAIL end
  if act == "close_self" then
    cb.open = false
    return HR.S_OK
  end
  if act == "raise" then
    cb.errors = cb.errors + 1
    return HR.DISP
  end
  if act == "close_issuer" then
    self.pm:close()             -- closing twice does nothing
  elseif act == "unregister" then
    if self.pm.closed then      -- the real method raises on a closed issuer
      cb.errors = cb.errors + 1
      return HR.DISP
    else
      local hr = self.pm:unregister(cb.action or "A")
      self.trace[#self.trace + 1] = cb.id .. " unregister -> " .. hr.name
    end
  end
  return HR.S_OK
end

-- A report from a native thread: checked there, delivered at dispatch.
function World.foreign_report(_, cb, ring, response, final)
  local hr = refusal(cb, final)
  if hr then return hr end
  ring[#ring + 1] = { cb = cb, response = response, final = final }
  return HR.S_OK
end

-- A report from the thread of a queued target (luapm): checked where it
-- is made, delivered at the next dispatch, with its status.
function World:queued_report(cb, status, final, response)
  local hr = refusal(cb, final)
  if hr then return hr end
  if self.lring == nil then
    self.lring = {}
    self.rings[#self.rings + 1] = self.lring
  end
  self.lring[#self.lring + 1] = { cb = cb, status = status, response = response, final = final }
  return HR.S_OK
end

function World:has_pending()
  for _, ring in ipairs(self.rings) do if #ring > 0 then return true end end
  return false
end

-- Each native thread has a ring; a dispatch starts with the newest ring
-- (the rings of exited threads were freed by the previous dispatch).
function World:dispatch()
  local n = 0
  local rings = self.rings
  self.rings, self.lring = {}, nil
  for i = #rings, 1, -1 do
    for _, r in ipairs(rings[i]) do
      local cb = r.cb
      if not cb.open then
        cb.refused.closed = cb.refused.closed + 1
      elseif cb.final_delivered then
        cb.refused.after_final = cb.refused.after_final + 1
      else
        self:deliver(cb, r.status or HR.S_OK, r.final, r.response)
        n = n + 1
      end
    end
  end
  return n
end

---------------------------------------------------------------------------
-- A queued target (diff.queued: luapm): its script runs the scheduler on
-- a thread of its own. A call is decided on the caller's thread at once
-- (names known and registered) and answered S_OK; what the script then
-- does comes back through the report queue. The sequence waits, after
-- every step, until the script is idle and every report is delivered
-- (`settle`); an unregister or close made by a handler meanwhile takes
-- effect in the script before the next round of deliveries.

local Queued = {}
Queued.__index = Queued

local function new_queued(w, diff)
  local inner = new_issuer(setmetatable({}, { __index = {
    issuer_report = function(_, cb, status, final, response)
      return w:queued_report(cb, status, final, response)
    end } }), diff)
  return setmetatable({ inner = inner, w = w, diff = diff, defs = inner.defs,
                        closed = false, log = {}, pending = {} }, Queued)
end

function Queued:start(shape, name, cb)
  if self.defs[name] == nil then return unknown_name(self, shape) end
  if shape == 2 and self.inner:find_bound(name) then return HR.EXISTS end
  self.inner:start(shape, name, cb)
  return HR.S_OK
end

function Queued:unregister(name)
  local op = self.inner:find_bound(name)
  if op == nil then return ca_hresult(self.diff.not_found) end
  op.named = false
  self.pending[#self.pending + 1] = { op = op }
  return HR.S_OK
end

function Queued:advance(ms) return self.inner:advance(ms) end

function Queued:close()
  if self.closed then return end
  self.closed = true
  self.pending[#self.pending + 1] = { close = true }
end

function Queued:settle()
  while true do
    while #self.pending > 0 do
      local p = table.remove(self.pending, 1)
      if p.close then
        self.inner:close()
      elseif self.inner:alive(p.op) and not p.op.final_sent then
        self.inner:cancelled(p.op, true)   -- on_cancel, then the E_ABORT
        self.inner:finish_now(p.op)
      end
    end
    if not self.w:has_pending() then return end
    self.w:dispatch()
  end
end

---------------------------------------------------------------------------
-- The real side: callbacks whose handlers follow the same plan.

local function real_callback(ca, w, m)
  local calls = 0
  local cb
  cb = ca.callback(function(status, response, final)
    calls = calls + 1
    w.real_trace[#w.real_trace + 1] = ("%s %s %q %s"):format(m.id, status.name,
      tostring(response), tostring(final))
    local act = m.plan[calls]
    if act == "fail" then return ca.E_FAIL end
    if act == "close_self" then cb:close() return end
    if act == "raise" then error("planned error") end
    if act == "close_issuer" then w.pm:close() end
    if act == "unregister" then
      local hr = w.pm:unregister(m.action or "A")
      w.real_trace[#w.real_trace + 1] = m.id .. " unregister -> " .. hr.name
    end
  end, { name = m.id, on_error = function() end })
  return cb
end

local ACTIONS = { "A", "B", "C" }
local PLAN = { false, false, false, false, "fail", "close_self", "raise",
               "unregister", "close_issuer" }

local function entry_text(e)
  local s = e.op .. " " .. e.action .. " @" .. tostring(e.time)
  if e.status then s = s .. " " .. e.status.name end
  if e.final ~= nil and e.op == "report" then s = s .. (e.final and " final" or "") end
  if e.result and e.op ~= "addref" and e.op ~= "release" then
    s = s .. " -> " .. e.result.name
  end
  return s
end

local function compare_lists(what, want, got)
  for i = 1, math.max(#want, #got) do
    if want[i] ~= got[i] then
      return ("%s differs at entry %d: model %s, real %s"):format(what, i,
        tostring(want[i]), tostring(got[i]))
    end
  end
end

-- Runs seed's sequence; nil when the module did what the model predicts.
function M.virtual(ca, peer, seed, nops, target)
  hrs(ca)
  local r = rng(seed)
  local w = setmetatable({ trace = {}, rings = {} }, World)
  local real = { real_trace = {} }
  local diff = target and target.diff or M.ISSUER
  w.pm = diff.queued and new_queued(w, diff) or new_issuer(w, diff)
  real.pm = target and target.new(ca, peer) or ca.issuer({ clock = "virtual", builtins = false })
  local cbs, reals = {}, {}
  local steps = {}
  local function fail(msg)
    return ("seed %d, step %d (%s): %s\n  steps: %s"):format(seed, #steps,
      steps[#steps] or "start", msg, table.concat(steps, "; "))
  end
  local function new_cb()
    local m = { id = "c" .. (#cbs + 1), open = true, finished = false,
                final_delivered = false, calls = 0, delivered = 0, errors = 0,
                refused = { closed = 0, after_final = 0 }, plan = {},
                action = pick(r, ACTIONS) }
    for i = 1, 6 do m.plan[i] = pick(r, PLAN) end
    cbs[#cbs + 1] = m
    reals[#cbs] = real_callback(ca, real, m)
  end
  -- Calls f on the real object: its result, or "error: <message>".
  local function try(f, ...)
    local ok, v = pcall(f, ...)
    if ok then return v end
    return "error"
  end
  new_cb()
  local seq = 0
  for _ = 1, nops or 40 do
    local k = r(15)
    local i = r(#cbs)
    local m, cb = cbs[i], reals[i]
    local name = pick(r, ACTIONS)
    local want, got
    seq = seq + 1
    if k == 1 then
      local every = pick(r, { 0, 1, 5, 10 })
      local count = pick(r, { 1, 2, 3, 4, -1 })
      if count == -1 and every == 0 then every = 3 end
      local delay = pick(r, { false, 0, 2 })
      local status = pick(r, { "S_OK", "S_OK", "E_FAIL" })
      steps[#steps + 1] = ("define %s every=%d count=%d delay=%s %s"):format(name,
        every, count, tostring(delay), status)
      local sc = { format = "%d", status = status }
      if every > 0 then sc.every = every end   -- none: all at once
      if count > 0 then sc.count = count end   -- none: until unregistered
      if delay then sc.delay = delay end
      want = w.pm.closed and "error" or "ok"
      if not w.pm.closed then
        w.pm.defs[name] = { every = every, count = count, status = ca[status],
                            delay = delay or (every > 0 and every or 0) }
      end
      got = try(function() real.pm:define(name, sc) return "ok" end)
    elseif k == 2 or k == 3 then
      local shape = k == 2 and 2 or 1
      steps[#steps + 1] = ("%s %s %s"):format(shape == 2 and "register" or "run",
        name, m.id)
      if w.pm.closed or not m.open or m.dropped then
        want = "error"
      else
        want = w.pm:start(shape, name, m)
        if want == HR.S_OK and shape == 2 then m.action = name end
      end
      if m.dropped then got = "error"
      else
        got = try(shape == 2 and real.pm.register or real.pm.run, real.pm, name, "", cb)
      end
    elseif k == 4 then
      steps[#steps + 1] = "unregister " .. name
      want = w.pm.closed and "error" or w.pm:unregister(name)
      got = try(real.pm.unregister, real.pm, name)
    elseif k == 5 or k == 6 or k == 7 then
      local ms = pick(r, { false, 0, 1, 3, 10, 50 })
      steps[#steps + 1] = "advance " .. tostring(ms)
      want = w.pm.closed and "error" or w.pm:advance(ms or nil)
      got = try(real.pm.advance, real.pm, ms or nil)
    elseif k == 8 then
      local final = r(3) == 1
      local resp = "L" .. seq
      steps[#steps + 1] = ("report %s %s%s"):format(m.id, resp, final and " final" or "")
      if m.dropped then
        want, got = "skip", "skip"
      else
        want = m.open and w:issuer_report(m, HR.S_OK, final, resp) or "error"
        got = try(cb.report, cb, 0, resp, final)
      end
    elseif k == 9 then
      local n, final_last = r(3), r(3) == 1
      steps[#steps + 1] = ("from_thread %s x%d%s"):format(m.id, n,
        final_last and " final" or "")
      if m.dropped or not m.open then
        want, got = "skip", "skip"
      else
        local ring, hrs_ = {}, {}
        for j = 1, n do
          hrs_[j] = w:foreign_report(m, ring, "T" .. seq .. "_" .. j,
                                     final_last and j == n).value
        end
        w.rings[#w.rings + 1] = ring
        want = table.concat(hrs_, ",")
        got = table.concat(peer.from_thread(cb:interface(), n, "T" .. seq .. "_",
                                            final_last), ",")
      end
    elseif k == 10 then
      steps[#steps + 1] = "dispatch"
      want = w:dispatch()
      got = ca.dispatch()
    elseif k == 11 then
      steps[#steps + 1] = "collectgarbage"
      collectgarbage("collect")
      want, got = "ok", "ok"
    elseif k == 12 then
      steps[#steps + 1] = "close " .. m.id
      if not m.dropped then
        m.open = false
        cb:close()
      end
      want, got = "ok", "ok"
    elseif k == 13 then
      steps[#steps + 1] = "drop " .. m.id
      m.dropped = true
      reals[i] = nil
      want, got = "ok", "ok"
    elseif k == 14 then
      steps[#steps + 1] = "new callback"
      if #cbs < 5 then new_cb() end
      want, got = "ok", "ok"
    else
      steps[#steps + 1] = "close issuer"
      if not w.pm.closed and diff.log then
        -- the log of a closed issuer cannot be read: compare it first
        local err = compare_lists("log", (function()
          local t = {} for j, e in ipairs(w.pm.log) do t[j] = entry_text(e) end return t
        end)(), (function()
          local t = {} for j, e in ipairs(real.pm:log(true)) do t[j] = entry_text(e) end return t
        end)())
        if err then return fail(err) end
        w.pm.log = {}
      end
      w.pm:close()
      real.pm:close()
      want, got = "ok", "ok"
    end
    if tostring(want) ~= tostring(got) then
      return fail(("returned %s, the model predicts %s"):format(tostring(got),
        tostring(want)))
    end
    if diff.queued then
      w.pm:settle()
      local ok, err = pcall(real.pm.settle, real.pm)
      if not ok then return fail("settling: " .. tostring(err)) end
    end
    local err = compare_lists("handler calls", w.trace, real.real_trace)
    if err then return fail(err) end
    if not w.pm.closed and diff.log then
      local mine, theirs = {}, {}
      for j, e in ipairs(w.pm.log) do mine[j] = entry_text(e) end
      for j, e in ipairs(real.pm:log(true)) do theirs[j] = entry_text(e) end
      w.pm.log = {}
      err = compare_lists("log", mine, theirs)
      if err then return fail(err) end
    else
      w.pm.log = {}
    end
  end
  real.pm:close()
  w.pm:close()
  if diff.queued then
    w.pm:settle()
    local ok, err = pcall(real.pm.settle, real.pm)
    if not ok then return fail("settling: " .. tostring(err)) end
  end
  w:dispatch()
  ca.dispatch()
  local err = compare_lists("handler calls at the end", w.trace, real.real_trace)
  if err then return fail(err) end
  for j, m in ipairs(cbs) do
    if reals[j] then
      local s = reals[j]:stats()
      local mine = ("delivered %d errors %d closed %d after_final %d"):format(
        m.delivered, m.errors, m.refused.closed, m.refused.after_final)
      local theirs = ("delivered %d errors %d closed %d after_final %d"):format(
        s.delivered, s.errors, s.refused.closed, s.refused.after_final)
      if mine ~= theirs then
        return fail(("%s's counters: model %s, real %s"):format(m.id, mine, theirs))
      end
      reals[j]:close()
    end
  end
  return nil
end

---------------------------------------------------------------------------
-- The threaded variant.

-- Runs seed's threaded sequence; nil when every report ended exactly once
-- and each thread's reports arrived in order.
function M.threaded(ca, peer, seed)
  hrs(ca)
  local r = rng(seed)
  local saved = ca.configure()
  local discarded0 = ca.stats().discarded
  ca.configure({ max_queued = pick(r, { 4, 64, 100000 }),
                 block_ms = pick(r, { 0, 0, 5 }) })
  local seen, order_error = {}, nil
  local ncb = r(3)
  local cbs, ptrs = {}, {}
  for c = 1, ncb do
    local last = {}
    cbs[c] = ca.callback(function(_, response)
      local t, i = response:match("^(%w+)_(%d+)$")
      i = tonumber(i)
      if t and (last[t] or 0) >= i and not order_error then
        order_error = ("callback %d: %s_%d after %s_%d"):format(c, t, i, t, last[t])
      end
      if t then last[t] = i end
      seen[#seen + 1] = response
      if r(50) == 1 then return ca.E_FAIL end
    end, { name = "t" .. c, reuse = r(2) == 1 })
    ptrs[c] = cbs[c]:interface()
  end
  local pm = ca.issuer({ threads = r(2), builtins = false })
  pm:define("S", { every = 1, format = "S_%d" })
  local jobs = {}
  for j = 1, r(4) do
    local c = r(ncb)
    jobs[j] = { cb = c, job = peer.start(ptrs[c], r(200), "J" .. j .. "_", r(4) == 1) }
  end
  if r(2) == 1 then pm:register("S", "", cbs[r(ncb)]) end
  for _ = 1, r(6) do
    local k = r(4)
    if k == 1 then ca.dispatch(r(20))
    elseif k == 2 then ca.wait(0.001)
    elseif k == 3 then collectgarbage("collect")
    else cbs[r(ncb)]:close() end
  end
  pm:close()
  local made = 0
  for _, j in ipairs(jobs) do made = made + #j.job:join() end
  ca.dispatch()
  ca.configure(saved)
  if order_error then return ("seed %d: %s"):format(seed, order_error) end
  -- Every report ends once: delivered, or refused with a counted reason
  -- (at once, or at delivery: after its final, or to a closed callback,
  -- which also counts as discarded). Nothing is left queued.
  local reports, delivered, refused, closed = 0, 0, 0, 0
  for _, cb in ipairs(cbs) do
    local s = cb:stats()
    reports = reports + s.reports
    delivered = delivered + s.delivered
    for _, v in pairs(s.refused) do refused = refused + v end
    closed = closed + s.refused.closed
    cb:close()
  end
  local discarded = ca.stats().discarded - discarded0
  if delivered + refused ~= reports then
    return ("seed %d: %d reports, but %d delivered + %d refused = %d"):format(
      seed, reports, delivered, refused, delivered + refused)
  end
  if #seen ~= delivered then
    return ("seed %d: handlers ran %d times for %d deliveries"):format(seed,
      #seen, delivered)
  end
  if discarded > closed then
    return ("seed %d: %d discarded, only %d refused as closed"):format(seed,
      discarded, closed)
  end
  if reports < made then
    return ("seed %d: the jobs made %d reports, the callbacks counted %d"):format(
      seed, made, reports)
  end
  if ca.pending() ~= 0 then return ("seed %d: reports left queued"):format(seed) end
  return nil
end

return M
