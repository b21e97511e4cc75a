--- The `customaction` command: custom actions from a shell.
--
-- `bin/customaction` calls `main` with the command line. Every subcommand
-- takes `--help` and `--json` (one JSON object per line: one per
-- response, then one report); the exit status is 0 on success, 1 when a
-- call or a response carries a failure HRESULT (or no response came),
-- 2 on a usage error (the message on stderr) and 130 after Ctrl-C.
-- docs/cli.md is the manual page.
--
-- @module customaction.cli
-- @usage
-- os.exit(require("customaction.cli").main(arg))

local ca = require "customaction"
local json = require "customaction.json"
local show = require "customaction.cli.show"

local M = {}

local EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

-- A usage error travels as a table, so that main tells it from a bug.
local Usage = { __tostring = function(e) return e.message end }
local function usage_error(fmt, ...)
  error(setmetatable({ message = fmt:format(...) }, Usage), 0)
end

-- lua.c turns Ctrl-C into the error "interrupted!" raised from a hook in
-- whatever Lua code runs next: a handler (whose errors go to on_error) or
-- our own loop.
local function is_interrupt(err)
  return type(err) == "string" and err:find("interrupted!", 1, true) ~= nil
end

-- Options

local function number_option(what, min)
  return function(value, name)
    local n = tonumber(value)
    if not n or n ~= n or n < min or n == math.huge then
      usage_error("option --%s expects %s, got '%s'", name, what, value)
    end
    return n
  end
end

-- The whole number `text` spells, if it is one >= min.
local function whole_number(text, min)
  local n = tonumber(text)
  if n and n >= min and math.floor(n) == n and n < 2 ^ 53 then return n end
end

local function count_option(value, name)
  return whole_number(value, 1) or
    usage_error("option --%s expects a whole number >= 1, got '%s'", name, value)
end

local function choice_option(...)
  local choices = { ... }
  return function(value, name)
    for _, c in ipairs(choices) do if c == value then return value end end
    usage_error("option --%s expects one of %s, got '%s'", name, table.concat(choices, ", "), value)
  end
end

local function setting_option(value, name)
  local k, v = value:match("^([%w_]+)=(.*)$")
  if not k then usage_error("option --%s expects NAME=VALUE, got '%s'", name, value) end
  return { k, v }
end

local common_options = {
  json = { help = "one JSON object per line instead of text" },
  help = { help = "this text" },
}

local stream_options = {
  count = { arg = "N", check = count_option, help = "stop after N responses" },
  timeout = { arg = "S", check = number_option("seconds >= 0", 0),
              help = "stop after S seconds (fractions allowed)" },
  decode = { arg = "MODE", check = choice_option("auto", "raw", "utf16", "hex", "records"),
             help = "how responses print: auto (default), raw, utf16, hex, records" },
  progress = { help = "a live progress line instead of one line per response" },
  ["no-progress"] = { help = "one line per response even on a terminal" },
}

local function parse(cmd, argv, first)
  local opts, args, i = { settings = {}, applications = {} }, {}, first
  while i <= #argv do
    local a = argv[i]
    if a == "--" then
      for j = i + 1, #argv do args[#args + 1] = argv[j] end
      break
    elseif a:match("^%-%-.") then
      local name, value = a:match("^%-%-([^=]+)=(.*)$")
      name = name or a:sub(3)
      local spec = cmd.options[name] or common_options[name]
      if not spec then usage_error("unknown option --%s", name) end
      local key = name:gsub("%-", "_")
      if spec.arg then
        if value == nil then i = i + 1; value = argv[i] end
        if value == nil then usage_error("option --%s needs a value (%s)", name, spec.arg) end
        value = spec.check(value, name)
        if spec.repeated then
          local list = opts[spec.repeated]
          list[#list + 1] = value
        else
          opts[key] = value
        end
      elseif value ~= nil then
        usage_error("option --%s takes no value", name)
      else
        opts[key] = true
      end
    elseif a:match("^%-%a") then
      usage_error("unknown option %s", a)
    else
      args[#args + 1] = a
    end
    i = i + 1
  end
  return opts, args
end

local function check_args(cmd, args, min, max)
  if #args < min then usage_error("missing %s", cmd.operands[#args + 1]) end
  if #args > max then usage_error("unexpected argument '%s'", args[max + 1]) end
end

-- Output

local Context = {}
Context.__index = Context

local function stdout_is_terminal()
  if package.config:sub(1, 1) == "\\" then return false end
  local r = os.execute("test -t 1")   -- 5.1 returns the status, later ones true
  return r == true or r == 0
end

local function new_context(opts)
  local ctx = setmetatable({ json = opts.json, out = io.stdout }, Context)
  if opts.progress then ctx.progress = true
  elseif opts.no_progress or opts.json then ctx.progress = false
  else ctx.progress = stdout_is_terminal() end
  return ctx
end

function Context:line(s)
  self.out:write(s, "\n")
  self.out:flush()
end

function Context:emit(obj)
  self:line(json.encode(obj))
end

-- Calls: a registration watched until its end, and a one-shot run. Both
-- take any object with the issuer's methods (register, unregister, run),
-- so the simulated issuer and a loaded library's custom actions share them.

-- Seconds between two readings of a milliseconds clock, to the millisecond.
local function seconds_since(start, now)
  return math.floor(now - start + 0.5) / 1000
end

-- Milliseconds on the module's monotonic clock.
local function clock()
  return ca.clock() * 1000
end

local function ended_text(st, opts)
  if st.stop == "count" then return ("stopped after --count %d"):format(opts.count)
  elseif st.stop == "timeout" then return ("stopped after --timeout %g s"):format(opts.timeout)
  elseif st.stop == "interrupt" then return "stopped by Ctrl-C"
  elseif st.final then return "ended by its final response" end
  return "ended without a final response"
end

local function watch_report(ctx, action, st, opts)
  local elapsed = st.elapsed
  if ctx.json then
    ctx:emit({ type = "report", action = action, call = "register",
               result = show.hresult(st.result), responses = st.n, bytes = st.bytes,
               elapsed = elapsed, ended = st.stop or (st.final and "final") or "none",
               unregister = st.unregister and show.hresult(st.unregister) or json.null,
               final = st.final and show.hresult(st.final) or json.null,
               late = st.late, lost = st.lost })
    return
  end
  if ctx.progress and st.n > 0 then ctx.out:write("\n") end
  if st.result:failed() then
    ctx:line(("%s: RegisterCustomActionCallback returned %s"):format(action, tostring(st.result)))
    return
  end
  ctx:line(("%s: %d response%s (%d bytes) in %.3f s, %s"):format(action, st.n,
    st.n == 1 and "" or "s", st.bytes, elapsed, ended_text(st, opts)))
  if st.unregister then ctx:line("  unregister  " .. tostring(st.unregister)) end
  if st.final then ctx:line("  final       " .. tostring(st.final)) end
  if st.late > 0 then ctx:line(("  %d more response(s) arrived after the stop"):format(st.late)) end
  if st.lost > 0 then ctx:line(("  %d response(s) lost to Ctrl-C"):format(st.lost)) end
end

-- Waits up to `seconds`, then delivers what came. The wait delivers
-- nothing itself, so that a Ctrl-C during it interrupts this code rather
-- than the handler of the report that ended it.
local function pump(seconds)
  ca.wait(seconds, 0)
  ca.dispatch()
end

local function watch_loop(st, opts)
  while not st.final and not st.stop do
    local wait_s = 0.05
    if opts.timeout then
      local left = opts.timeout - (clock() - st.started) / 1000
      if left <= 0 then st.stop = "timeout"; break end
      wait_s = math.min(wait_s, left)
    end
    pump(wait_s)
  end
end

-- Registers for `action`, prints every response until the final one,
-- --count, --timeout or Ctrl-C, then unregisters and prints the report.
local function watch(ctx, p, action, arg, opts)
  local st = { n = 0, bytes = 0, late = 0, lost = 0, started = clock() }
  local printer = show.printer(ctx, action, opts.decode or "auto")
  local cb = ca.callback(function(status, response, final)
    if st.stop then
      if final then st.final = status else st.late = st.late + 1 end
      return
    end
    st.n, st.bytes = st.n + 1, st.bytes + (response and #response or 0)
    printer(st.n, seconds_since(st.started, clock()), status, response, final)
    if final then st.final = status
    elseif opts.count and st.n >= opts.count then st.stop = "count" end
  end, { name = action, on_error = function(message)
    if not is_interrupt(message) then error(message, 0) end
    st.stop, st.lost = "interrupt", st.lost + 1
  end })
  st.result = p:register(action, arg or "", cb)
  if st.result:succeeded() then
    local ok, err = pcall(watch_loop, st, opts)
    if not ok then
      if not is_interrupt(err) then error(err, 0) end
      st.stop = "interrupt"
    end
    if not st.final then
      st.unregister = p:unregister(action)
      local deadline = clock() + 2000
      while not st.final and st.unregister:succeeded() and clock() < deadline do ca.wait(0.05) end
    end
  end
  ca.dispatch()
  cb:close()
  st.elapsed = seconds_since(st.started, clock())
  watch_report(ctx, action, st, opts)
  if st.stop == "interrupt" then return EXIT_INTERRUPTED end
  local failed = st.result:failed() or (st.unregister and st.unregister:failed())
    or (st.final and not st.stop and st.final:failed()) or (not st.final and not st.stop)
  return failed and EXIT_FAILED or EXIT_OK
end

-- One RunCustomAction: waits for its one response (up to --timeout, 30 s
-- by default) and prints it.
local function run_once(ctx, p, action, arg, opts)
  local got
  local started = clock()
  local cb = ca.callback(function(status, response) got = { status, response, at = clock() } end,
                         { name = action })
  local result = p:run(action, arg or "", cb)
  local timeout = opts.timeout or 30
  local interrupted = false
  if result:succeeded() then
    local ok, err = pcall(function()
      while not got and (clock() - started) / 1000 < timeout do pump(0.05) end
    end)
    if not ok then
      if not is_interrupt(err) then error(err, 0) end
      interrupted = true
    end
  end
  cb:close()
  local elapsed = seconds_since(started, got and got.at or clock())
  show.one_shot(ctx, action, result, got, elapsed, opts.decode or "auto")
  if interrupted then return EXIT_INTERRUPTED end
  if result:failed() or not got or got[1]:failed() then return EXIT_FAILED end
  return EXIT_OK
end

-- Commands

local commands, order = {}, {}
local function command(def)
  def.options = def.options or {}
  commands[def.name] = def
  order[#order + 1] = def.name
end

local function parse_value(text, win32)
  local n = tonumber(text)
  if win32 then
    local ok, hr = pcall(ca.hresult.from_win32, n or text)
    if not ok then
      usage_error("'%s' is not a Win32 error code (%s)", text,
                  (tostring(hr):match("%((expected.*)%)$") or tostring(hr)))
    end
    return hr
  end
  local ok, hr = pcall(ca.hresult, n or text)
  if not ok then
    if text:match("^ERROR_") and pcall(ca.hresult.from_win32, text) then
      usage_error("'%s' is a Win32 error code: decode it with --win32", text)
    end
    usage_error("'%s' is not an HRESULT (%s)", text, (tostring(hr):match("%((expected.*)%)$") or tostring(hr)))
  end
  return hr
end

command {
  name = "hresult",
  synopsis = "hresult [--win32] VALUE...",
  summary = "decode HRESULTs (or Win32 error codes with --win32)",
  operands = { "VALUE" },
  options = { win32 = { help = "each VALUE is a Win32 error code, shown as HRESULT_FROM_WIN32 of it" } },
  help = [[
Prints the name, value, severity, facility, code and message of each
VALUE: an integer (decimal, or hexadecimal with 0x; the signed or the
unsigned 32-bit form) or a name such as E_ACCESSDENIED. With --win32 each
VALUE is a Win32 error code (a number or a name such as ERROR_NOT_FOUND).
Exits 0 when every VALUE decodes (failure codes included), 2 when one
does not.]],
  run = function(ctx, opts, args)
    check_args(commands.hresult, args, 1, math.huge)
    local values = {}
    for i, text in ipairs(args) do values[i] = parse_value(text, opts.win32) end
    for i, hr in ipairs(values) do
      if ctx.json then
        local obj = show.hresult(hr)
        obj.type, obj.input = "hresult", args[i]
        if opts.win32 then obj.win32 = tonumber(args[i]) or args[i] end
        ctx:emit(obj)
      else
        if i > 1 then ctx:line("") end
        show.hresult_text(ctx, hr, opts.win32 and args[i])
      end
    end
    return EXIT_OK
  end,
}

local sim_options = { once = { help = "one RunCustomAction instead of a registration" } }
for k, v in pairs(stream_options) do sim_options[k] = v end

command {
  name = "sim",
  synopsis = "sim [options] ACTION [ARG]",
  summary = "run an action of the simulated protocol manager",
  operands = { "ACTION", "ARG" },
  options = sim_options,
  help = [[
Registers for ACTION with the simulated protocol manager
(RegisterCustomActionCallback) and prints each response with the seconds
since the registration, until the final response, --count responses,
--timeout seconds or Ctrl-C; then unregisters and prints a report. On a
terminal the responses update one progress line. With --once, runs ACTION
once (RunCustomAction) and prints its response.

Actions: Counters (50 counters, 100 ms apart), GetRequests (a request
listing, UTF-16), Echo (ARG back, UTF-16), Fail (fails with
HRESULT_FROM_WIN32(ERROR_SERVICE_NOT_ACTIVE)).]],
  run = function(ctx, opts, args)
    check_args(commands.sim, args, 1, 2)
    local pm = ca.issuer({ threads = 1, log = false })
    local code
    if opts.once then
      code = run_once(ctx, pm, args[1], args[2], opts)
    else
      code = watch(ctx, pm, args[1], args[2], opts)
    end
    pm:close()
    return code
  end,
}

-- Settings come from the command line as text; IWpfSettings has strings,
-- booleans and integers (DWORD, ULONGLONG, the token handle), by name.
local STRING_SETTINGS = { CLR_VERSION = true, APP_POOL_NAME = true, APP_HOST_FILE_NAME = true,
  ROOT_WEB_CONFIG_FILE_NAME = true, CLR_CONFIG_FILE_NAME = true, CLR_VERSION_PATH = true }
local BOOL_SETTINGS = { ENABLED_CENTRAL_BINARY_LOGGING = true, ENABLED_HOSTABLE_WEB_CORE = true }
local BOOLS = { ["true"] = true, ["1"] = true, ["false"] = false, ["0"] = false }

local function setting_value(name, text)
  if STRING_SETTINGS[name] then return text end
  if BOOL_SETTINGS[name] then
    if BOOLS[text] == nil then usage_error("setting %s expects true or false, got '%s'", name, text) end
    return BOOLS[text]
  end
  return whole_number(text, 0) or
    usage_error("setting %s expects a whole number >= 0, got '%s'", name, text)
end

local function application_option(value, name)
  local id, site, vpath = value:match("^([^=]+)=(%d+):(/.*)$")
  if not id then usage_error("option --%s expects APPID=SITE:VPATH, got '%s'", name, value) end
  return { id = id, site = tonumber(site), vpath = vpath }
end

-- Loads a protocol-manager library with ca.load, with the framework the
-- --setting and --application options describe.
local function load_library(path, opts)
  local settings = {}
  for _, kv in ipairs(opts.settings) do settings[kv[1]] = setting_value(kv[1], kv[2]) end
  local ok, pm = pcall(ca.load, path, { settings = settings, applications = opts.applications })
  if ok then return pm end
  local message = tostring(pm):gsub("^[^\n]-:%d+: ", "")
  -- ca.load's complaints about its options are about our options
  local bad_option = message:match("^bad argument #2 to '[^']*' %((.*)%)$")
  if bad_option then usage_error("%s", bad_option) end
  error(message, 0)
end

-- Runs `fn(pm)` with the library loaded, then shuts it down and closes
-- it, whatever happens. A failed Shutdown (the sample protocol manager's
-- sign of unbalanced references) is reported and fails the command.
local function with_library(ctx, args, opts, fn)
  local pm = load_library(args[1], opts)
  local ok, code = pcall(fn, pm)
  local shutdown = pm:shutdown()
  pm:close()
  if not ok then error(code, 0) end
  if shutdown:failed() then
    show.library_failure(ctx, args[1], "Shutdown", shutdown)
    return EXIT_FAILED
  end
  return code
end

-- The interface a command needs, or the HRESULT that refused it.
local function interface(ctx, lib, what, provider, hr)
  if provider then return provider end
  show.library_failure(ctx, lib, what, hr)
end

local library_options = {
  setting = { arg = "NAME=VALUE", check = setting_option, repeated = "settings",
              help = "a framework setting (IWpfSettings) the library reads (repeatable)" },
  application = { arg = "APPID=SITE:VPATH", check = application_option, repeated = "applications",
                  help = "an application IWpfApplicationInfoUtil knows (repeatable)" },
}

local function with_options(...)
  local all = {}
  for _, set in ipairs({ ... }) do for k, v in pairs(set) do all[k] = v end end
  return all
end

command {
  name = "run",
  synopsis = "run [options] LIB ACTION [ARG]",
  summary = "run a one-shot action of a protocol-manager library",
  operands = { "LIB", "ACTION", "ARG" },
  options = with_options(library_options,
    { decode = stream_options.decode, timeout = stream_options.timeout }),
  help = [[
Loads the protocol-manager library LIB (its GetProtocolManager, given a
framework with the --setting and --application values), runs ACTION
through IPmCustomActions::RunCustomAction, waits for the response (up to
--timeout seconds, 30 by default), prints its status and its bytes as
--decode says, then shuts the library down.]],
  run = function(ctx, opts, args)
    check_args(commands.run, args, 2, 3)
    return with_library(ctx, args, opts, function(pm)
      local acts = interface(ctx, args[1], "GetPmInterface(PM_CUSTOM_ACTIONS_ID)", pm:custom_actions())
      if not acts then return EXIT_FAILED end
      return run_once(ctx, acts, args[2], args[3], opts)
    end)
  end,
}

command {
  name = "stream",
  synopsis = "stream [options] LIB ACTION [ARG]",
  summary = "register for an action of a protocol-manager library",
  operands = { "LIB", "ACTION", "ARG" },
  options = with_options(library_options, stream_options),
  help = [[
Loads the protocol-manager library LIB, registers for ACTION through
IPmCustomActions2::RegisterCustomActionCallback (GetCustomInterface(2))
and prints each response with the seconds since the registration, until
the final response, --count responses, --timeout seconds or Ctrl-C; then
unregisters, prints a report and shuts the library down.]],
  run = function(ctx, opts, args)
    check_args(commands.stream, args, 2, 3)
    return with_library(ctx, args, opts, function(pm)
      local acts = interface(ctx, args[1], "GetCustomInterface(2)", pm:custom_actions2())
      if not acts then return EXIT_FAILED end
      return watch(ctx, acts, args[2], args[3], opts)
    end)
  end,
}

command {
  name = "health",
  synopsis = "health [options] LIB",
  summary = "report a protocol-manager library's health and idle state",
  operands = { "LIB" },
  options = with_options(library_options, { timeout = {
    arg = "S", check = number_option("seconds >= 0", 0),
    help = "wait S seconds for the health report (default 5)" } }),
  help = [[
Loads the protocol-manager library LIB and asks its IPmHealthAndIdleMonitor
for its health (CheckHealth, then waits for ReportHealth) and its idle
state (CheckIdle). Exits 1 when a call fails, no report comes, or the
library reports itself unhealthy.]],
  run = function(ctx, opts, args)
    check_args(commands.health, args, 1, 1)
    return with_library(ctx, args, opts, function(pm)
      local healthy, health_hr = pm:check_health(opts.timeout)
      local idle, idle_hr = pm:check_idle()
      show.health(ctx, args[1], healthy, health_hr, idle, idle_hr)
      return (healthy and idle ~= nil) and EXIT_OK or EXIT_FAILED
    end)
  end,
}

-- Help and main

local function option_lines(options)
  local names, lines = {}, {}
  for name in pairs(options) do names[#names + 1] = name end
  table.sort(names)
  names[#names + 1], names[#names + 2] = "json", "help"
  for _, name in ipairs(names) do
    local spec = options[name] or common_options[name]
    local left = "--" .. name .. (spec.arg and " " .. spec.arg or "")
    lines[#lines + 1] = ("  %-20s %s"):format(left, spec.help)
  end
  return table.concat(lines, "\n")
end

local function command_help(cmd)
  return ("usage: customaction %s\n\n%s\n\noptions:\n%s\n"):format(cmd.synopsis, cmd.help,
    option_lines(cmd.options))
end

local function main_help()
  local lines = {}
  for _, name in ipairs(order) do
    local cmd = commands[name]
    lines[#lines + 1] = ("  %-34s %s"):format(cmd.synopsis:gsub(" %[options%]", ""), cmd.summary)
  end
  return ([[
usage: customaction [--json] COMMAND [ARGS...]

Runs IIS custom actions from a shell, through the customaction Lua module.

commands:
%s

Every command takes --help and --json (one JSON object per line).
Exit status: 0 success, 1 a failure HRESULT, 2 a usage error, 130 Ctrl-C.
customaction --version prints the version.
]]):format(table.concat(lines, "\n"))
end

local function dispatch(argv)
  local i, global = 1, {}
  while argv[i] and argv[i]:match("^%-%-") do
    local a = argv[i]
    if a == "--json" then global.json = true
    elseif a == "--help" then io.stdout:write(main_help()); return EXIT_OK
    elseif a == "--version" then
      if global.json then io.stdout:write(json.encode({ version = ca._VERSION }), "\n")
      else io.stdout:write("customaction ", ca._VERSION, "\n") end
      return EXIT_OK
    else usage_error("unknown option %s", a) end
    i = i + 1
  end
  local name = argv[i]
  if name == nil then usage_error("missing COMMAND") end
  if name == "help" then
    local cmd = argv[i + 1] and commands[argv[i + 1]]
    if argv[i + 1] and not cmd then usage_error("no command '%s'", argv[i + 1]) end
    io.stdout:write(cmd and command_help(cmd) or main_help())
    return EXIT_OK
  end
  local cmd = commands[name]
  if not cmd then usage_error("no command '%s'", name) end
  local ok, opts, args = pcall(parse, cmd, argv, i + 1)
  if not ok then
    if getmetatable(opts) == Usage then opts.command = name end
    error(opts, 0)
  end
  if opts.help then io.stdout:write(command_help(cmd)); return EXIT_OK end
  opts.json = opts.json or global.json
  local ran, code = pcall(cmd.run, new_context(opts), opts, args)
  if not ran then
    if getmetatable(code) == Usage then code.command = name end
    error(code, 0)
  end
  return code
end

--- Runs the command line `argv` (a list of strings, as the standalone
-- interpreter's `arg`) and returns the exit status.
-- @tparam {string,...} argv the arguments after the program name
-- @treturn int 0 success, 1 a failure HRESULT, 2 a usage error, 130 Ctrl-C
function M.main(argv)
  local ok, result = pcall(dispatch, argv or {})
  if ok then return result end
  io.stdout:flush()
  if getmetatable(result) == Usage then
    local prefix = "customaction" .. (result.command and " " .. result.command or "")
    io.stderr:write(prefix, ": ", result.message, "\n",
      "Try '", prefix, " --help'.\n")
    return EXIT_USAGE
  elseif is_interrupt(result) then
    io.stderr:write("customaction: interrupted\n")
    return EXIT_INTERRUPTED
  end
  io.stderr:write("customaction: ", tostring(result), "\n")
  return EXIT_FAILED
end

return M
