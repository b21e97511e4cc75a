--- Wrapped native providers: `ca.actions` and their `stream`.
--
-- `ca.actions(ptr [, shape [, opts]])` wraps a native IPmCustomActions or
-- IPmCustomActions2 pointer (see `customaction.actions` in the main
-- module); this file adds the options and `stream`.
--
-- @module customaction.actions

local core = require "customaction.core"
local stream = require "customaction.stream"

local M = {}

local waits = setmetatable({}, { __mode = "k" })

--- Makes a `customaction.actions` object: `ca.actions` in the main module.
-- @tparam lightuserdata|table ptr the interface pointer, or `{ v1 = ptr, v2 = ptr }`
-- @tparam[opt="v2"] string shape `"v1"` or `"v2"` (single pointer only)
-- @tparam[opt] table opts `wait`: `function(actions)` that a stream calls
-- when no response is at hand, returning false once nothing more can come
-- (for providers that need driving, such as a simulator on a virtual
-- clock, or for an event loop); by default streams wait with `ca.wait`.
-- @treturn actions
function M.new(ptr, shape, opts)
  if type(shape) == "table" and opts == nil then shape, opts = nil, shape end
  local wait
  if opts ~= nil then
    if type(opts) ~= "table" then
      error(("bad argument #3 to 'actions' (table expected, got %s)"):format(type(opts)), 2)
    end
    for k in pairs(opts) do
      if k ~= "wait" then
        error(("bad argument #3 to 'actions' (unknown option '%s' (expected wait))"):format(tostring(k)), 2)
      end
    end
    wait = opts.wait
    if wait ~= nil and type(wait) ~= "function" then
      error("bad argument #3 to 'actions' (option 'wait' must be a function)", 2)
    end
  end
  local obj
  if type(ptr) == "table" then obj = core.actions(ptr) else obj = core.actions(ptr, shape) end
  waits[obj] = wait
  return obj
end

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
  local wait = waits[acts]
  return stream.open(acts, name, args, {
    wait = wait and function() return wait(acts) end,
    -- a closed wrapper can unregister nothing
    active = function(s)
      return pcall(acts.interface, acts) and s.cb:stats().refs > 1
    end,
  })
end

return M
