--- How the `customaction` command's errors travel, and the exit status
-- each kind gives.
--
-- The command's own errors are tables with a `kind`, raised with
-- `error(e, 0)`: `usage` (a bad command line: exit 2), `interrupted`
-- (Ctrl-C: exit 130), `output` (stdout cannot be written: exit 1) and
-- `failed` (anything else, such as a library that does not load: exit 1).
-- `classify` turns anything caught into one of these, so that `main`
-- decides the exit status from the kind, never from a message.
--
-- @module customaction.cli.errors

local M = {}

--- Exit statuses: `ok` 0, `failed` 1 (a failure HRESULT, no response, a
-- library that does not load, output that cannot be written), `usage` 2,
-- `worker` 3 (the library asked IIS to fail or recycle the worker
-- process), `interrupted` 130 (Ctrl-C).
M.EXIT = { ok = 0, failed = 1, usage = 2, worker = 3, interrupted = 130 }

local Error = { __name = "customaction.cli.error" }
Error.__tostring = function(e) return e.message end

--- A new error object.
-- @string kind `usage`, `interrupted`, `output` or `failed`
-- @string message what went wrong, for stderr
-- @treturn table
function M.new(kind, message)
  return setmetatable({ kind = kind, message = message }, Error)
end

--- Raises a usage error: `fmt` formatted with the rest.
-- @string fmt a format for `string.format`
function M.usage(fmt, ...)
  error(M.new("usage", fmt:format(...)), 0)
end

--- Is `e` one of these error objects (of `kind`, if given)?
-- @param e anything caught
-- @string[opt] kind
-- @treturn boolean
function M.is(e, kind)
  return getmetatable(e) == Error and (kind == nil or e.kind == kind)
end

-- The standalone interpreters (lua.c, luajit) turn Ctrl-C into an error
-- raised from a hook in whatever Lua code runs next; its only mark is
-- this text (`luaL_error(L, "interrupted!")`), so it is read here, once.
local function interpreter_interrupt(e)
  return type(e) == "string" and e:find("interrupted!", 1, true) ~= nil
end

--- The error object for anything caught: ours as they are, the
-- interpreter's Ctrl-C as an `interrupted` error, anything else as a
-- `failed` error carrying its message.
-- @param e anything caught
-- @treturn table an error object
function M.classify(e)
  if M.is(e) then return e end
  if interpreter_interrupt(e) then return M.new("interrupted", "interrupted") end
  return M.new("failed", tostring(e))
end

return M
