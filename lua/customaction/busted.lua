--- luassert assertions for specs that use customaction.
--
-- `require "customaction.busted"` registers:
--
-- * `assert.hresult(expected, actual)`: the same HRESULT, each given in any
--   form `ca.hresult` accepts (`assert.is_not.hresult` for the opposite);
-- * `assert.succeeded(x)` and `assert.failed(x)`: the severity bit;
-- * `assert.balanced(log)`: every reference taken in the log was released
--   (see `balance`);
-- * `assert.protocol(expected, log)`: the log, as strings (see `protocol`),
--   equals the expected list.
--
-- A log is an issuer's `pm:log()`, a loaded library's `lib:log()`, or the
-- log of a `recorder` callback (for a provider or `ca.actions`). The
-- manual's "Specs of your own" shows them at work.
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

-- The kinds of log the helpers read, told apart by their entries: an
-- issuer's (pm:log(): op and action), a loaded library's (lib:log(): the
-- framework calls, op and thread) and a recorder's (M.recorder: the
-- reports one callback received). Anything else is a mistake in the
-- spec (passing the issuer, or a table of something else), never a
-- vacuous success.
local function kind_of(log)
  local mt = getmetatable(log)
  local name = type(mt) == "table" and mt.__name
  if name == "customaction.issuer" or name == "customaction.provider"
     or name == "customaction.protocol_manager" then
    return nil, "got the " .. name:gsub("^customaction%.", ""):gsub("_", " ") .. " itself"
  elseif type(log) ~= "table" then
    return nil, "got a " .. type(log)
  elseif type(log.dropped) ~= "number" then
    return nil, "got a table without the log's 'dropped' count"
  end
  local kind = log.callback ~= nil and "recorder" or nil
  for i, e in ipairs(log) do
    local k = type(e) == "table" and type(e.op) == "string" and
      (type(e.action) == "string" and (kind == "recorder" and "recorder" or "issuer")
       or type(e.thread) == "number" and "framework")
    if not k or (kind and k ~= kind) then
      return nil, ("entry %d is not a log entry"):format(i)
    end
    kind = k
  end
  return kind or "issuer"   -- an empty log is a log
end

local function check_log(log, who)
  local kind, why = kind_of(log)
  if not kind then
    error(("%s: expected a log (pm:log(), lib:log() or a recorder's), %s"):format(who, why), 3)
  end
  return kind
end

local function status_name(h)
  return h.name or ("0x%08X"):format(h.value)
end

-- one framework call: "op[ what][ text][ RESULT]" (an empty text left out)
local function framework_entry(e)
  local parts = { e.op }
  parts[#parts + 1] = e.what or e.interface
  if e.text ~= nil and e.text ~= "" then parts[#parts + 1] = e.text end
  local h = e.result or e.hr
  if h ~= nil then parts[#parts + 1] = status_name(h) end
  return table.concat(parts, " ")
end

--- The log as strings, for comparisons (`assert.protocol`).
-- An issuer's log (`pm:log()`) and a recorder's give
-- `"op action[ STATUS[ final]]"`: `"addref Counters"`,
-- `"register Counters"`, `"report Counters S_OK"`,
-- `"report Counters E_FAIL final"`, `"release Counters"`. A loaded
-- library's (`lib:log()`, the calls it made on the framework) gives
-- `"op[ what][ text][ RESULT]"`: `"GetWpfInterface WPF_SETTINGS_ID S_OK"`,
-- `"AddRef IWpfSettings"`, `"RecycleWorkerProcess the reason"`,
-- `"FailWorkerProcess the reason E_FAIL"`. STATUS is the HRESULT's name,
-- or `0x%08X` for one without a name.
-- @tab log a log (anything else is an error)
-- @treturn {string,...}
function M.protocol(log)
  local kind = check_log(log, "protocol")
  local out = {}
  for _, e in ipairs(log) do
    local s
    if kind == "framework" then
      s = framework_entry(e)
    else
      s = e.op .. " " .. e.action
      if e.op == "report" then
        s = s .. " " .. status_name(e.status) .. (e.final and " final" or "")
      end
    end
    out[#out + 1] = s
  end
  return out
end

--- References taken minus released, per action (an issuer's log), per
-- interface (a library's: its AddRefs and Releases on the framework) or
-- per callback (a recorder's: the references native code still holds).
-- @tab log a log (anything else is an error)
-- @treturn table name -> difference
function M.balance(log)
  local kind = check_log(log, "balance")
  local b = {}
  if kind == "recorder" then
    b[log.action] = log.callback:stats().refs - 1   -- the proxy's own
    return b
  end
  local up, down, key = "addref", "release", "action"
  if kind == "framework" then up, down, key = "AddRef", "Release", "interface" end
  for _, e in ipairs(log) do
    if e.op == up then b[e[key]] = (b[e[key]] or 0) + 1 end
    if e.op == down then b[e[key]] = (b[e[key]] or 0) - 1 end
  end
  return b
end

--- A callback that logs what it receives, for an implementation that
-- keeps no log of its own (a provider, `ca.actions`): entries
-- `{ op = "report", action = action, status = hr, final = boolean,
-- response = string or nil }` in the issuer's form, so `assert.protocol`
-- and `assert.balanced` read it (balanced: native code released every
-- reference it took on the callback).
-- @string action the name the entries carry
-- @tparam[opt] function handler also called with each report
-- @return the callback, and its log (`log.callback`, `log.action`)
-- @usage local cb, log = busted.recorder("Echo")
-- prov:run("Echo", "hi", cb); ca.dispatch()
-- assert.protocol({ "report Echo S_OK final" }, log)
function M.recorder(action, handler)
  if type(action) ~= "string" then
    error(("recorder: bad argument #1 (action name expected, got %s)"):format(type(action)), 2)
  end
  local log = { dropped = 0, action = action }
  log.callback = ca.callback(function(status, response, final)
    log[#log + 1] = { op = "report", action = action, status = status,
                      final = final and true or false, response = response }
    if handler then return handler(status, response, final) end
  end, { name = action })
  return log.callback, log
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
