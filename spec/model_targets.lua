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

function M.provider.new(ca)
  local t = { closed = false, depth = 0 }
  local sched
  local pm = ca.provider{ name = "model" }
  local acts = ca.actions{ v1 = pm:interface("v1"), v2 = pm:interface("v2") }
  -- the script: each action starts one operation of the model's scheduler
  local function action(_, reply)
    local shape = reply.shape == "v1" and 1 or 2
    local op
    if shape == 2 then
      reply.on_cancel = function()
        for _, o in ipairs(sched.ops) do if o.cb == reply then op = o end end
        if op then
          sched:cancelled(op, false)   -- the provider sends the E_ABORT
          sched:finish_now(op)
        end
      end
    end
    sched:start(shape, reply.name, reply)   -- run: the provider returns
  end                                       -- what the report returned
  sched = model.scheduler(ca, {
    issuer_report = function(_, reply, status, final, response)
      return reply:send(status, response, final)
    end }, M.provider.diff)
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

return M
