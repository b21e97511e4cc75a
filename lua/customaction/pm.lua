--- Loaded protocol managers: `ca.load` and `check_health`.
--
-- `ca.load(path, opts)` loads a protocol-manager library with a
-- worker-process framework of the module's (see `customaction.load` in the
-- main module, and docs/foreign.md); this file makes the callback through
-- which the library's recycle and fail requests reach Lua, and waits for
-- health reports.
--
-- @module customaction.pm

local core = require "customaction.core"

local M = {}

-- Requests arrive as reports (src/core/framework.c, request): the status
-- is the HRESULT, the response a kind byte (R recycle, F fail, N fail on
-- next ping), a form byte (0 a NULL reason, T text, ? text in which
-- unpaired surrogates became U+FFFD, then a NUL and the reason's own
-- UTF-16LE units) and the reason.
local function reason_of(response)
  local form = response:sub(2, 2)
  if form == "0" then return nil end
  if form ~= "?" then return response:sub(3) end
  local nul = response:find("\0", 3, true)
  return response:sub(3, nul - 1), response:sub(nul + 1)
end

-- ca.load (C, which has checked the options) calls this to make the
-- callback the requests reach Lua through.
function core.pm_hooks.events(opts)
  local on_recycle, on_fail = opts.on_recycle, opts.on_fail
  if not on_recycle and not on_fail then return nil end
  return core.callback(function(status, response)
    local kind = response:sub(1, 1)
    local reason, raw = reason_of(response)
    if kind == "R" then
      if on_recycle then on_recycle(reason, raw) end
    elseif on_fail then
      on_fail(reason, status, kind == "N", raw)
    end
  end, { name = "framework requests", reuse = true, on_error = opts.on_error })
end

--- Loads a protocol-manager library: `customaction.load` in the main
-- module, which documents the options. The C function itself, with no
-- Lua frame in between, so that an error in its arguments names the
-- caller's line.
-- @function load
-- @string path the library
-- @tparam[opt] table opts
-- @treturn protocol_manager
M.load = core.load

local methods = core.pm_methods

--- `pm:check_health([timeout])`: `CheckHealth` with an IHealthStatusCallback
-- of the module's, then waits (dispatching queued reports) until
-- `ReportHealth` arrives, from any thread.
-- @function check_health
-- @tparam protocol_manager pm the protocol manager (call it as `pm:check_health(timeout)`)
-- @number[opt=5] timeout seconds to wait for the report
-- @treturn[1] boolean fHealthy
-- @treturn[2] nil
-- @treturn[2] hresult what CheckHealth returned, or
-- HRESULT_FROM_WIN32(ERROR_TIMEOUT) when no report came in time
local MAX_SECONDS = 1000000000   -- ca.wait's bound (src/core/intrange.c)

function methods.check_health(pm, timeout)
  -- checked before anything is made or called: NaN fails every comparison
  if timeout ~= nil and not (type(timeout) == "number" and timeout >= 0
                             and timeout <= MAX_SECONDS) then
    local got = type(timeout) == "number" and tostring(timeout) or "a " .. type(timeout)
    error(("bad argument #1 to 'check_health' ('timeout' must be a number of "
           .. "seconds in 0..%d (got %s))"):format(MAX_SECONDS, got), 2)
  end
  local healthy
  local cb = core.callback(function(status) healthy = status == core.S_OK end,
    { name = "health" })
  local hr = pm:check_health_async(cb)
  if hr:failed() then
    cb:close()
    return nil, hr
  end
  local deadline = core.clock() + (timeout or 5)
  while healthy == nil do
    local left = deadline - core.clock()
    if left <= 0 then break end
    core.wait(math.min(left, 0.05))
  end
  cb:close()
  if healthy == nil then return nil, core.hresult_from_win32(1460) end
  return healthy
end

return M
