--- The simulated issuer's Lua side: built-in demo actions and `stream`.
--
-- `ca.issuer(opts)` makes a simulated protocol manager (see docs/manual.md,
-- "The simulated issuer"); this file adds what is easier in Lua.
--
-- @module customaction.issuer

local core = require "customaction.core"

local M = {}

--- The actions every new issuer knows, unless made with `builtins = false`.
-- @table builtins
-- @field Counters a stream of counters, one every 100 ms, 50 in all
-- @field GetRequests a one-shot request listing, as UTF-16 text the way
-- Windows components send it
-- @field Echo the action's argument sent back, as UTF-16
-- @field Fail a one-shot action that fails
M.builtins = core.issuer_builtins   -- the table ca.issuer reads
for name, scenario in pairs {
  Counters = { every = 100, count = 50, format = "requests=%d" },
  GetRequests = {
    encoding = "utf16",
    payload = "GET /index.htm 200 12ms\nGET /api/items 200 3ms\n" ..
              "POST /login 302 25ms\nGET /missing 404 1ms\n",
  },
  Echo = { echo = true, encoding = "utf16" },
  Fail = { status = "HRESULT_FROM_WIN32_ERROR_SERVICE_NOT_ACTIVE",
           payload = "the service is not running" },
} do M.builtins[name] = scenario end

--- Makes a simulated issuer: `customaction.issuer` in the main module,
-- which also documents the issuer's methods and options (`builtins`,
-- default true, defines `M.builtins`). The C function itself, with no
-- Lua frame in between, so that an error in `opts` names the caller's
-- line.
-- @function new
-- @tparam[opt] table opts
-- @treturn issuer
M.new = core.issuer

local methods = core.issuer_methods
local stream = require "customaction.stream"

-- Is the issuer still open? Every method of a closed issuer raises "issuer
-- is closed" and is_virtual raises for nothing else, so this asks without
-- a method of its own.
local function is_open(pm)
  return (pcall(methods.is_virtual, pm))
end

--- `pm:stream(name, args)`: registers a private callback and iterates over
-- its responses.
-- `for status, response, final in pm:stream(name, args) do ... end`
-- ends after the final response, and the stream closes itself. Leaving the
-- loop early (break, error, return) unregisters the action on Lua 5.4,
-- where the fourth value is to-be-closed; on 5.1-5.3 keep the fourth
-- value and call its `close` method.
-- On a virtual clock the iterator advances time by itself; in real time
-- it waits for reports with `ca.wait`. `customaction.stream` has the details.
-- @string name action name
-- @string[opt] args action argument
-- @function stream
-- @tparam issuer pm the issuer (call it as `pm:stream(name, args)`)
-- @return iterator, nil, nil, and the stream (a closing value with `close`)
function methods.stream(pm, name, args)
  local hooks = {
    -- a closed issuer has already ended the operation and released the
    -- callback (its E_ABORT final may still be queued, on a real clock)
    active = function() return is_open(pm) and pm:active(name) end,
  }
  if pm:is_virtual() then
    hooks.wait = function() return is_open(pm) and pm:advance() > 0 end
  end
  local iter, a, b, st = stream.open(pm, name, args, hooks)   -- no tail call:
  return iter, a, b, st                                         -- errors name our caller
end

return M
