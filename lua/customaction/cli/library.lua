--- The `customaction run`, `stream` and `health` commands: a
-- protocol-manager library loaded with `ca.load`, one command run against
-- it, then its Shutdown.
--
-- @module customaction.cli.library

local ca = require "customaction"
local args = require "customaction.cli.args"
local errors = require "customaction.cli.errors"
local session = require "customaction.cli.session"
local show = require "customaction.cli.show"

local EXIT = errors.EXIT
local usage = errors.usage

-- The kind of value each framework setting takes, from the module.
local KINDS = ca.load_settings()
local BOOLS = { ["true"] = true, ["1"] = true, ["false"] = false, ["0"] = false }
local MAX = { dword = 0xFFFFFFFF, ulonglong = 2 ^ 53 - 1, handle = 2 ^ 53 - 1 }

-- --setting NAME=VALUE: the value converted to the setting's kind.
local function setting_option(value, name)
  local k, v = value:match("^([%w_]+)=(.*)$")
  if not k then usage("option --%s expects NAME=VALUE, got %s", name, args.quote(value)) end
  local kind = KINDS[k]
  if not kind then
    usage("unknown setting '%s' (expected a WPF_SETTINGS_*_ENUM name such as APP_POOL_NAME)", k)
  elseif kind == "string" then
    return { k, args.text(v, "setting " .. k) }
  elseif kind == "boolean" then
    if BOOLS[v] == nil then usage("setting %s expects true or false, got %s", k, args.quote(v)) end
    return { k, BOOLS[v] }
  end
  return { k, args.whole_number(v, 0, MAX[kind]) or
    usage("setting %s expects a whole number from 0 to %d, got %s", k, MAX[kind], args.quote(v)) }
end

-- --application APPID=SITE:VPATH
local function application_option(value, name)
  local id, site, vpath = value:match("^([^=]+)=(%d+):(/.*)$")
  if not id then usage("option --%s expects APPID=SITE:VPATH, got %s", name, args.quote(value)) end
  local n = args.whole_number(site, 0, 0xFFFFFFFF) or
    usage("option --%s: SITE expects a whole number from 0 to 4294967295, got %s", name, args.quote(site))
  return { id = args.text(id, "APPID"), site = n, vpath = args.text(vpath, "VPATH") }
end

local library_options = {
  setting = { arg = "NAME=VALUE", check = setting_option, repeated = "settings",
              help = "a framework setting (IWpfSettings) the library reads (repeatable)" },
  application = { arg = "APPID=SITE:VPATH", check = application_option, repeated = "applications",
                  help = "an application IWpfApplicationInfoUtil knows (repeatable)" },
}

-- Loads the library with the framework the options describe; the
-- library's FailWorkerProcess and RecycleWorkerProcess calls are appended
-- to `requests`. The options were checked, so any error is the loader's.
local function load_library(path, opts, requests)
  local settings = {}
  for _, kv in ipairs(opts.settings) do settings[kv[1]] = kv[2] end
  local ok, pm = pcall(ca.load, path, {
    settings = settings, applications = opts.applications,
    on_fail = function(reason, status, next_ping)
      requests[#requests + 1] = { call = "FailWorkerProcess", reason = reason, status = status,
                                  next_ping = next_ping }
    end,
    on_recycle = function(reason)
      requests[#requests + 1] = { call = "RecycleWorkerProcess", reason = reason }
    end,
  })
  if ok then return pm end
  error(errors.new("failed", (tostring(pm):gsub("^[^\n]-:%d+: ", ""))), 0)
end

-- Runs `fn(pm)` with the library loaded, then shuts it down and closes
-- it, whatever happens; then shows what the library asked of the
-- framework. A failed Shutdown (the sample protocol manager's sign of
-- unbalanced references) is reported and fails the command; a Fail or
-- Recycle request gives exit status 3 (Ctrl-C aside).
local function with_library(ctx, lib, opts, fn)
  local requests = {}
  local pm = load_library(lib, opts, requests)
  local ok, code = pcall(fn, pm)
  local shutdown = pm:shutdown()
  ca.dispatch()            -- requests the library sent from its threads
  pm:close()
  if not ok then error(code, 0) end
  for _, req in ipairs(requests) do show.request(ctx, lib, req) end
  if shutdown:failed() then show.library_failure(ctx, lib, "Shutdown", shutdown) end
  if code == EXIT.interrupted then return code end
  if #requests > 0 then return EXIT.worker end
  return shutdown:failed() and EXIT.failed or code
end

-- The interface a command needs, or nil once the refusal is shown.
local function interface(ctx, lib, what, provider, hr)
  if provider then return provider end
  show.library_failure(ctx, lib, what, hr)
end

local function command(def)
  def.any_bytes = { LIB = true }       -- a path: any bytes the system takes
  def.json = def.json or { "responses", "requests", "errors" }
  return def
end

-- A command that drives ACTION through the interface `get(pm)` returns
-- (`what` names the call that gives it).
local function actions_command(def, what, get, drive)
  def.run = function(ctx, opts, argv)
    return with_library(ctx, argv[1], opts, function(pm)
      local acts = interface(ctx, argv[1], what, get(pm))
      if not acts then return EXIT.failed end
      return drive(ctx, acts, argv[2], argv[3], opts)
    end)
  end
  return command(def)
end

local commands = {
  actions_command({
    name = "run",
    synopsis = "run [options] LIB ACTION [ARG]",
    summary = "run a one-shot action of a protocol-manager library",
    operands = { "LIB", "ACTION", "ARG" },
    min = 2,
    options = args.merge(library_options, session.run_options),
    help = [[
Loads the protocol-manager library LIB (its GetProtocolManager, given a
framework with the --setting and --application values), runs ACTION
through IPmCustomActions::RunCustomAction, waits for the response (up to
--timeout seconds, 30 by default), prints its status and its bytes as
--decode says, then shuts the library down. Exits 3 when the library
called FailWorkerProcess or RecycleWorkerProcess.]],
  }, "GetPmInterface(PM_CUSTOM_ACTIONS_ID)", function(pm) return pm:custom_actions() end, session.run),
  actions_command({
    name = "stream",
    synopsis = "stream [options] LIB ACTION [ARG]",
    summary = "register for an action of a protocol-manager library",
    operands = { "LIB", "ACTION", "ARG" },
    min = 2,
    options = args.merge(library_options, session.stream_options),
    help = [[
Loads the protocol-manager library LIB, registers for ACTION through
IPmCustomActions2::RegisterCustomActionCallback (GetCustomInterface(2))
and prints each response with the seconds since the registration, until
the final response, --count responses, --timeout seconds or Ctrl-C; then
unregisters, prints a report and shuts the library down. Exits 3 when
the library called FailWorkerProcess or RecycleWorkerProcess.]],
  }, "GetCustomInterface(2)", function(pm) return pm:custom_actions2() end, session.stream),
  command {
    name = "health",
    synopsis = "health [options] LIB",
    summary = "report a protocol-manager library's health and idle state",
    operands = { "LIB" },
    json = { "requests", "errors" },
    options = args.merge(library_options, { timeout = {
      arg = "S", check = args.number("seconds >= 0", 0),
      help = "wait S seconds for the health report (default 5)" } }),
    help = [[
Loads the protocol-manager library LIB and asks its IPmHealthAndIdleMonitor
for its health (CheckHealth, then waits for ReportHealth) and its idle
state (CheckIdle). Exits 1 when a call fails, no report comes, or the
library reports itself unhealthy; 3 when it called FailWorkerProcess or
RecycleWorkerProcess.]],
    run = function(ctx, opts, argv)
      return with_library(ctx, argv[1], opts, function(pm)
        local healthy, health_hr = pm:check_health(opts.timeout)
        local idle, idle_hr = pm:check_idle()
        show.health(ctx, argv[1], healthy, health_hr, idle, idle_hr)
        return (healthy and idle ~= nil) and EXIT.ok or EXIT.failed
      end)
    end,
  },
}

-- customaction check (customaction.cli.check) takes the same framework options
commands.library_options = library_options
return commands
