-- The implementations model_spec.lua runs its random sequences against,
-- besides the simulated issuer: each is a descriptor with `diff`, where
-- its documented semantics differ from the issuer's (the fields of
-- protocol_model.ISSUER), and `new(ca, peer)`, which makes an object
-- with the issuer's methods (define, run, register, unregister, advance,
-- close) that the sequence drives.
--
-- provider: ca.provider, driven through ca.actions over its own
-- IPmCustomActions and IPmCustomActions2, every call made on the Lua
-- thread. Its actions are a script that runs the model's actions: the
-- model's own scheduler (protocol_model.scheduler), on a virtual clock
-- that `advance` moves, reporting through each reply. What is under test
-- is everything between: the native calls, the provider's checks and
-- name table, replies, ReportResult into the callback objects, their
-- refusals, and handlers that re-enter or close any of it.
local model = require "protocol_model"

local M = {}

-- The scenario as the model keeps it (protocol_model.virtual's define).
local function def_of(ca, sc)
  local every = sc.every or 0
  return { every = every, count = sc.count or -1, status = ca[sc.status],
           delay = sc.delay or (every > 0 and every or 0) }
end

M.provider = {
  name = "ca.provider behind ca.actions",
  diff = {
    name = "provider",
    -- docs/provider.md: an unknown name is E_NOTIMPL for run and register
    unknown_run = "E_NOTIMPL", unknown_register = "E_NOTIMPL",
    -- unregistering a name not registered: HRESULT_FROM_WIN32(ERROR_NOT_FOUND)
    not_found = "HRESULT_FROM_WIN32_ERROR_NOT_FOUND",
    -- a reply is ended by a final report (or by collection, with
    -- RPC_E_DISCONNECTED): the script ends a failed stream with E_ABORT
    stop_final = true,
    -- Unregister from inside the stream's handler runs on_cancel and the
    -- final E_ABORT at once, inside the call
    cancel_nested = true,
    log = false,   -- a provider keeps no log of what it did
  },
}

-- The script's action: each one starts one operation of the model's
-- scheduler (sched() gives it), reporting through the reply.
function M.script_action(sched)
  return function(_, reply)
    local shape = reply.shape == "v1" and 1 or 2
    if shape == 2 then
      reply.on_cancel = function()
        local op
        for _, o in ipairs(sched().ops) do if o.cb == reply then op = o end end
        if op then
          sched():cancelled(op, false)   -- the provider sends the E_ABORT
          sched():finish_now(op)
        end
      end
    end
    sched():start(shape, reply.name, reply)   -- run: the provider returns
  end                                         -- what the report returned
end

-- The scheduler of a script, reporting through each reply.
function M.script_scheduler(ca, diff)
  return model.scheduler(ca, {
    issuer_report = function(_, reply, status, final, response)
      return reply:send(status, response, final)
    end }, diff)
end

function M.provider.new(ca)
  local t = { closed = false, depth = 0 }
  local sched
  local pm = ca.provider{ name = "model" }
  local acts = ca.actions{ v1 = pm:interface("v1"), v2 = pm:interface("v2") }
  local action = M.script_action(function() return sched end)
  sched = M.script_scheduler(ca, M.provider.diff)
  -- Closing ends the streams as the issuer does (E_ABORT each), then the
  -- provider, once no call into it is running (a handler may close it).
  local function finish_close()
    if t.closed and t.depth == 0 and pm then
      acts:close()
      pm:close()
      pm = nil
    end
  end
  local function enter(f, ...)
    if t.closed then error("closed", 0) end
    t.depth = t.depth + 1
    local ok, v = pcall(f, ...)
    t.depth = t.depth - 1
    finish_close()
    if not ok then error(v, 0) end
    return v
  end
  function t.define(_, name, sc)
    return enter(function()
      sched.defs[name] = def_of(ca, sc)
      pm:define(name, action)
    end)
  end
  function t.run(_, name, args, cb)
    return enter(function() return acts:run(name, args, cb) end)
  end
  function t.register(_, name, args, cb)
    return enter(function() return acts:register(name, args, cb) end)
  end
  function t.unregister(_, name)
    return enter(function() return acts:unregister(name) end)
  end
  function t.advance(_, ms)
    return enter(function() return sched:advance(ms) end)
  end
  function t.close()
    if t.closed then return end
    t.closed = true
    sched:close()
    finish_close()
  end
  return t
end

-- luapm: the library loaded with ca.load, running spec/model_luapm.lua
-- (a copy of the library with the script beside it, as luapm finds its
-- script) on a thread of its own.
M.luapm = {
  name = "luapm loaded with ca.load",
  diff = {
    name = "luapm",
    -- its provider is a ca.provider: the same answers as the provider's
    unknown_run = "E_NOTIMPL", unknown_register = "E_NOTIMPL",
    not_found = "HRESULT_FROM_WIN32_ERROR_NOT_FOUND", stop_final = true,
    cancel_nested = false, log = false,
    -- calls from this thread are queued for the script's: answered S_OK
    -- at once, the reports delivered from the report queue
    queued = true,
  },
}

local function copy(from, to)
  local f = assert(io.open(from, "rb"))
  local data = f:read("*a")
  f:close()
  f = assert(io.open(to, "wb"))
  f:write(data)
  f:close()
end

local library
-- The copy of luapm (once per process) with the script beside it.
local function luapm_library()
  if library then return library end
  local ext = package.config:sub(1, 1) == "\\" and "dll" or "so"
  local plain = (os.getenv("CA_BUILD") or "build") .. "/customaction/luapm." .. ext
  local from = os.getenv("CA_LUAPM") or plain
  library = from:gsub("luapm%.(%w+)$", "luapm_model.%1")
  copy(from, library)
  copy("spec/model_luapm.lua", (library:gsub("%.%w+$", ".lua")))
  return library
end

function M.luapm.new(ca)
  local t = { closed = false, shut = false, calls = 0 }
  local lib = ca.load(luapm_library())
  local a1, a2 = lib:custom_actions(), lib:custom_actions2()
  -- what the script tells the control actions (not part of the sequence)
  local quiet = ca.callback(function() end, { name = "control", reuse = true })
  local function settle()
    if t.shut then   -- nothing left in the script: only what others queued
      while ca.dispatch() > 0 do end
      return
    end
    repeat
      local before = t.calls
      -- CheckIdle waits (bounded: the script's idle_wait_ms) until the
      -- script has run every call queued before it, whose reports are
      -- then all in this state's queue
      local idle, hr = lib:check_idle()
      if idle == nil then error("luapm did not answer CheckIdle: " .. tostring(hr), 0) end
      ca.dispatch()
    until t.calls == before
    if t.closed then
      t.shut = true
      a1:close()
      a2:close()
      lib:close()
      quiet:close()
    end
  end
  t.settle = settle
  local function control(name, args)
    if t.closed then error("closed", 0) end
    local answer
    local cb = ca.callback(function(_, response) answer = response end, { name = name })
    local hr = a1:run(name, args, cb)
    if hr ~= ca.S_OK then error(name .. ": " .. tostring(hr), 0) end
    settle()
    cb:close()
    if answer == nil then error(name .. ": no answer from the script", 0) end
    return answer
  end
  function t.define(_, name, sc)
    local d = def_of(ca, sc)
    control("__define", ("%s %d %d %s %d"):format(name, d.every, d.count, sc.status, d.delay))
  end
  function t.run(_, name, args, cb)
    if t.closed then error("closed", 0) end
    return a1:run(name, args, cb)
  end
  function t.register(_, name, args, cb)
    if t.closed then error("closed", 0) end
    return a2:register(name, args, cb)
  end
  function t.unregister(_, name)
    if t.closed then error("closed", 0) end
    t.calls = t.calls + 1
    return a2:unregister(name)
  end
  function t.advance(_, ms)
    return tonumber(control("__advance", tostring(ms or -1)))
  end
  function t.close()
    if t.closed then return end
    t.closed = true
    t.calls = t.calls + 1
    local hr = a1:run("__close", "", quiet)
    if hr ~= ca.S_OK then error("__close: " .. tostring(hr), 0) end
  end
  return t
end

return M
