--- Wrapped native providers: `ca.actions` and their `stream`.
--
-- `ca.actions(ptr [, shape [, opts]])` wraps a native IPmCustomActions or
-- IPmCustomActions2 pointer (see `customaction.actions` in the main
-- module); this file adds `stream`.
--
-- @module customaction.actions

local core = require "customaction.core"
local stream = require "customaction.stream"

local M = {}

--- Makes a `customaction.actions` object: `ca.actions` in the main module,
-- which documents its arguments and options. The C function itself, with
-- no Lua frame in between, so that an error in its arguments names the
-- caller's line.
-- @function new
-- @tparam lightuserdata|table ptr the interface pointer, or `{ v1 = ptr, v2 = ptr }`
-- @tparam[opt="v2"] string shape `"v1"` or `"v2"` (single pointer only)
-- @tparam[opt] table opts `wait`
-- @treturn actions
M.new = core.actions

--- `acts:stream(name, args)`: registers a private callback and iterates
-- over its responses, as the simulated issuer's `stream` does; it ends
-- after the final response or once the provider released the callback
-- with nothing queued. Leaving the loop early unregisters the action
-- (to-be-closed on Lua 5.4; elsewhere close the fourth value).
-- @function stream
-- @tparam actions acts the wrapped provider (call it as `acts:stream(name, args)`)
-- @string name action name
-- @string[opt] args action argument
-- @return iterator, nil, nil, and the stream (a closing value with `close`)
function core.actions_methods.stream(acts, name, args)
  local wait = core.actions_wait(acts)
  local iter, a, b, st = stream.open(acts, name, args, {
    wait = wait and function() return wait(acts) end,
    -- a closed wrapper can unregister nothing
    active = function(s)
      return pcall(acts.interface, acts) and s.cb:stats().refs > 1
    end,
  })
  return iter, a, b, st   -- not a tail call: errors name our caller
end

return M
