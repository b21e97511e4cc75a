-- The script luapm runs for the model-based test (spec/model_targets.lua,
-- luapm): the model's actions on the model's scheduler, on this script's
-- thread, plus three control actions the test runs through
-- IPmCustomActions: __define "<name> <every> <count> <status> <delay>",
-- __advance "<ms>" (-1: to the next due time; answers how many events
-- ran) and __close (ends every stream as the issuer's close does).
local ca = require "customaction"
local targets = require "model_targets"

local sched = targets.script_scheduler(ca, targets.luapm.diff)
local action = targets.script_action(function() return sched end)
local pm
pm = ca.provider{ name = "model", idle = function() return true end,
                  idle_wait_ms = 60000, actions = {
  __define = function(args, reply)
    local name, every, count, status, delay =
      args:match("^(%w+) (%-?%d+) (%-?%d+) ([%w_]+) (%-?%d+)$")
    sched.defs[name] = { every = tonumber(every), count = tonumber(count),
                         status = ca[status], delay = tonumber(delay) }
    pm:define(name, action)
    reply:finish(ca.S_OK, "defined " .. name)
  end,
  __advance = function(args, reply)
    local ms = tonumber(args)
    reply:finish(ca.S_OK, tostring(sched:advance(ms >= 0 and ms or nil)))
  end,
  __close = function(_, reply)
    sched:close()
    reply:finish(ca.S_OK, "")
  end,
} }
return pm
