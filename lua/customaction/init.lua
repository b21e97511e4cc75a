--- Lua functions as ReportResult handlers of IIS custom-action callbacks.
--
-- The C part (`customaction.core`) holds the native objects; this facade
-- re-exports it and adds what is easier to write in Lua.
--
-- @module customaction
-- @usage
-- local ca = require "customaction"
-- local cb = ca.callback(function(status, response, final)
--   print(status, response, final)
-- end, { name = "counters" })
-- cb:report(ca.S_OK, "bytes", true)   --> S_OK (0x00000000): success  bytes  true

local core = require "customaction.core"

local M = {}
for k, v in pairs(core) do M[k] = v end

--- Converts a value to an interned HRESULT value.
-- Accepts an integer (signed or unsigned 32-bit form), a name such as
-- `"E_ACCESSDENIED"`, a hex string such as `"0x80070005"`, or an HRESULT
-- value (returned as is). The same code always gives the same userdata,
-- so HRESULTs compare with `==`.
-- @function hresult
-- @param x the value
-- @treturn hresult
-- @usage ca.hresult(0x80070005) == ca.E_ACCESSDENIED  --> true
M.hresult = setmetatable({
  --- HRESULT_FROM_WIN32: wraps a Win32 error code (0 gives S_OK; values
  -- that already are HRESULTs come back unchanged).
  -- @function hresult.from_win32
  -- @int code Win32 error code
  -- @treturn hresult
  from_win32 = core.hresult_from_win32,
  --- Every named HRESULT, as a list of rows
  -- `{ name, value, message, win32 = code or nil, alias = boolean }`,
  -- in the order of the project's table (src/hresult_table.h).
  -- @function hresult.table
  -- @treturn table
  table = core.hresult_table,
}, {
  __call = core.hresult_call,
})
M.hresult_from_win32, M.hresult_table, M.hresult_call = nil, nil, nil

local issuer = require "customaction.issuer"
M.issuer = issuer.new
M.issuer_methods = nil

return M
