--- luassert assertions for specs that use customaction.
--
-- `require "customaction.busted"` registers:
--
-- * `assert.hresult(expected, actual)`: the same HRESULT, each given in any
--   form `ca.hresult` accepts (`assert.is_not.hresult` for the opposite);
-- * `assert.succeeded(x)` and `assert.failed(x)`: the severity bit;
-- * `assert.balanced(log)`: every action's AddRefs and Releases in an
--   issuer's `pm:log()` balance;
-- * `assert.protocol(expected, log)`: the log, as `"op action[ STATUS[ final]]"`
--   strings (see `protocol`), equals the expected list.
--
-- It needs luassert (which busted brings); the module itself does not.
-- @module customaction.busted

local assert = require "luassert"
local say = require "say"
local ca = require "customaction"

local M = {}

local function hr(x)
  local ok, v = pcall(ca.hresult, x)
  return ok and v or nil
end

-- What pm:log() returns: a list of entries with an op and an action, and
-- a `dropped` count. Anything else is a mistake in the spec (passing the
-- issuer, or a table of something else), never a vacuous success.
local function check_log(log, who)
  local why
  local mt = getmetatable(log)
  if type(mt) == "table" and mt.__name == "customaction.issuer" then
    why = "got an issuer"
  elseif type(log) ~= "table" then
    why = "got a " .. type(log)
  elseif type(log.dropped) ~= "number" then
    why = "got a table without the log's 'dropped' count"
  else
    for i, e in ipairs(log) do
      if type(e) ~= "table" or type(e.op) ~= "string" or type(e.action) ~= "string" then
        why = ("entry %d is not a log entry"):format(i)
        break
      end
    end
  end
  if why then
    error(("%s: expected an issuer's log (pm:log()), %s"):format(who, why), 3)
  end
end

--- The log as `"op action[ STATUS[ final]]"` strings, for comparisons.
-- @tab log a `pm:log()` result (anything else is an error)
-- @treturn {string,...}
function M.protocol(log)
  check_log(log, "protocol")
  local out = {}
  for _, e in ipairs(log) do
    local s = e.op .. " " .. e.action
    if e.op == "report" then
      s = s .. " " .. (e.status.name or ("0x%08X"):format(e.status.value))
        .. (e.final and " final" or "")
    end
    out[#out + 1] = s
  end
  return out
end

--- AddRefs minus Releases per action.
-- @tab log a `pm:log()` result (anything else is an error)
-- @treturn table action -> difference
function M.balance(log)
  check_log(log, "balance")
  local b = {}
  for _, e in ipairs(log) do
    if e.op == "addref" then b[e.action] = (b[e.action] or 0) + 1 end
    if e.op == "release" then b[e.action] = (b[e.action] or 0) - 1 end
  end
  return b
end

local function hresult(_, args)
  local a, b = hr(args[1]), hr(args[2])
  if a ~= nil then args[1] = a end
  if b ~= nil then args[2] = b end
  return a ~= nil and a == b
end

local function succeeded(_, args)
  local v = hr(args[1])
  return v ~= nil and v:succeeded()
end

local function failed(_, args)
  local v = hr(args[1])
  return v ~= nil and v:failed()
end

local function balanced(_, args)
  check_log(args[1], "assert.balanced")
  for action, d in pairs(M.balance(args[1])) do
    if d ~= 0 then
      args[1] = ("%s: %+d"):format(action, d)
      return false
    end
  end
  return true
end

local function protocol(_, args)
  check_log(args[2], "assert.protocol")
  local got = M.protocol(args[2])
  args[2] = got
  if #got ~= #args[1] then return false end
  for i = 1, #got do if got[i] ~= args[1][i] then return false end end
  return true
end

say:set("assertion.ca_hresult.positive", "Expected HRESULT %s\nPassed in: %s")
say:set("assertion.ca_hresult.negative", "Expected any HRESULT but %s\nPassed in: %s")
say:set("assertion.ca_succeeded.positive", "Expected a success HRESULT, got %s")
say:set("assertion.ca_succeeded.negative", "Expected a failure HRESULT, got %s")
say:set("assertion.ca_failed.positive", "Expected a failure HRESULT, got %s")
say:set("assertion.ca_failed.negative", "Expected a success HRESULT, got %s")
say:set("assertion.ca_balanced.positive", "Expected balanced AddRef/Release, unbalanced: %s")
say:set("assertion.ca_balanced.negative", "Expected unbalanced AddRef/Release")
say:set("assertion.ca_protocol.positive", "Expected protocol:\n%s\nPassed in:\n%s")
say:set("assertion.ca_protocol.negative", "Expected another protocol than:\n%s")

assert:register("assertion", "hresult", hresult,
  "assertion.ca_hresult.positive", "assertion.ca_hresult.negative")
assert:register("assertion", "succeeded", succeeded,
  "assertion.ca_succeeded.positive", "assertion.ca_succeeded.negative")
assert:register("assertion", "failed", failed,
  "assertion.ca_failed.positive", "assertion.ca_failed.negative")
assert:register("assertion", "balanced", balanced,
  "assertion.ca_balanced.positive", "assertion.ca_balanced.negative")
assert:register("assertion", "protocol", protocol,
  "assertion.ca_protocol.positive", "assertion.ca_protocol.negative")

return M
