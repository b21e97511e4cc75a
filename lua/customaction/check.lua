--- A conformance checker for protocol-manager libraries: `ca.check`.
--
-- `ca.check(path, opts)` runs each check on the library in a child
-- interpreter of its own (customaction.check.child), so that a crash, an
-- abort or a hang is that check's failure, and returns the results.
-- `customaction check` (customaction.cli.check) prints them;
-- docs/conformance.md lists every check, its rule and the rule's source.
--
-- @module customaction.check
-- @usage
-- local r = ca.check("build/pm/samplepm.so", { actions = { "Echo=hi" },
--   streams = { "Counters=every=10;count=3" } })
-- print(r.passed, r.failed, r.skipped)

local M = {}

local windows = package.config:sub(1, 1) == "\\"

--- The checks, in the order they run: `{ name, rule, source }`.
M.checks = {
  { name = "loading",
    rule = "GetProtocolManager returns S_OK and an object (or a failure and NULL); every interface it "
      .. "hands out comes with S_OK and a pointer, or a failure, and counts AddRef and Release consistently",
    source = "wpframework.h: PFN_PROTOCOL_MANAGER_INIT, IProtocolManager::GetPmInterface" },
  { name = "references",
    rule = "every AddRef on a callback, the health callback, the framework and the interfaces it gave "
      .. "is matched by a Release by the end of Shutdown, and nothing is released below its start",
    source = "wpframework.h: IWpfReferencedObject (AddRef/Release)" },
  { name = "run",
    rule = "RunCustomAction of each --action that returns S_OK reports exactly once (inside the call, as "
      .. "IIS's own protocol managers do, or within the timeout after it), and nothing after that; "
      .. "one that fails does not report; the name and argument strings are read only during the call",
    source = "IIS's core protocol manager: synchronous RunCustomAction; wpframework.h: "
      .. "ICustomActionResultCallback::ReportResult, RunCustomAction's PCWSTR in-parameters "
      .. "(the caller's, valid only for the call)" },
  { name = "run-unknown",
    rule = "an unknown action name gets E_NOTIMPL and no report",
    source = "IIS's core and hosting protocol managers: E_NOTIMPL when nothing answers the name" },
  { name = "run-null",
    rule = "NULL and empty names and arguments, and a NULL callback, do not crash",
    source = "wpframework.h: PCWSTR parameters (no annotation promises non-NULL)" },
  { name = "stream",
    rule = "each registration of a --stream gets exactly one final report and none after it; "
      .. "registering again after the final works or fails without reporting; the name and argument "
      .. "strings are read only during the call",
    source = "wpframework.h: ICustomAction2ResultCallback::ReportResult fFinalResponse, "
      .. "RegisterCustomActionCallback's PCWSTR in-parameters (the caller's, valid only for the call)" },
  { name = "stream-unregister",
    rule = "UnregisterCustomActionCallback ends an open registration with exactly one final report; "
      .. "unregistering an unknown name fails without reporting",
    source = "wpframework.h: IPmCustomActions2::UnregisterCustomActionCallback" },
  { name = "health",
    rule = "CheckHealth makes exactly one ReportHealth per call, within the timeout",
    source = "wpframework.h: IPmHealthAndIdleMonitor::CheckHealth, IHealthStatusCallback" },
  { name = "idle",
    rule = "CheckIdle answers with S_OK and a value",
    source = "wpframework.h: IPmHealthAndIdleMonitor::CheckIdle" },
  { name = "shutdown",
    rule = "Shutdown returns within the timeout for fImmediate TRUE and FALSE, having ended and "
      .. "released every open registration; no report and no framework call after it returns",
    source = "wpframework.h: IProtocolManager::Shutdown; IIS's protocol managers end their work in it" },
  { name = "threads",
    rule = "actions, registrations and health checks called from several threads at once keep the rules above",
    source = "the worker process calls protocol managers from its own threads" },
  { name = "fuzz",
    rule = "random sequences of run/register/unregister/health/idle with random names and arguments "
      .. "(long, non-ASCII, unpaired surrogates, NULL) keep the rules above",
    source = "all of the above" },
}

local by_name = {}
for _, c in ipairs(M.checks) do by_name[c.name] = c end

local SIGNALS = { [4] = "SIGILL", [6] = "SIGABRT", [7] = "SIGBUS", [8] = "SIGFPE", [9] = "SIGKILL",
                  [11] = "SIGSEGV", [15] = "SIGTERM" }

-- The exceptions (NTSTATUS codes) a crashed Windows child ends with.
local EXCEPTIONS = { [0xC0000005] = "access violation", [0xC0000006] = "in-page error",
  [0xC0000008] = "invalid handle", [0xC000001D] = "illegal instruction",
  [0xC000008C] = "array bounds exceeded", [0xC000008E] = "floating-point division by zero",
  [0xC0000094] = "integer division by zero", [0xC0000095] = "integer overflow",
  [0xC0000096] = "privileged instruction", [0xC00000FD] = "stack overflow", [0xC0000374] = "heap corruption",
  [0xC0000409] = "stack buffer overrun or fail-fast", [0xC0000602] = "fail-fast exception",
  [0x80000002] = "datatype misalignment", [0x80000003] = "breakpoint", [0xE06D7363] = "C++ exception" }

-- The exit status of a child whose time limit ran out (its own watchdog,
-- core.check_child, ends it so: coreutils' timeout's status).
local TIMED_OUT = 124

-- Options -----------------------------------------------------------------

local function argerror(fmt, ...)
  error(("bad argument #2 to 'check' (%s)"):format(fmt:format(...)), 4)
end

-- "NAME[=ARGS]" or { name =, args = }: the args are nil (NULL) without "=".
local function action_of(v, what)
  if type(v) == "table" and type(v.name) == "string" then return { name = v.name, args = v.args } end
  if type(v) ~= "string" or v == "" then argerror("%s: NAME[=ARGS] strings expected", what) end
  local name, args = v:match("^([^=]+)=(.*)$")
  return { name = name or v, args = args }
end

local function list_of(opts, key)
  local out = {}
  if opts[key] == nil then return out end
  if type(opts[key]) ~= "table" then argerror("option '%s' must be a list", key) end
  for i, v in ipairs(opts[key]) do out[i] = action_of(v, key) end
  return out
end

local function only_of(v)
  if v == nil then return nil end
  if type(v) == "string" then
    local t = {}
    for name in v:gmatch("[^,%s]+") do t[#t + 1] = name end
    v = t
  end
  if type(v) ~= "table" then argerror("option 'only' must be a list of check names") end
  local set = {}
  for _, name in ipairs(v) do
    if not by_name[name] then
      local names = {}
      for i, c in ipairs(M.checks) do names[i] = c.name end
      argerror("option 'only': no check '%s' (expected %s)", tostring(name), table.concat(names, ", "))
    end
    set[name] = true
  end
  return set
end

local known = { actions = true, streams = true, settings = true, applications = true, init = true,
                actions2_id = true, only = true, timeout = true, fuzz = true, seed = true, lua = true,
                on_check = true, command = true }

local function check_opts(path, opts)
  if type(path) ~= "string" then
    error(("bad argument #1 to 'check' (string expected, got %s)"):format(type(path)), 3)
  end
  if opts ~= nil and type(opts) ~= "table" then
    error(("bad argument #2 to 'check' (table expected, got %s)"):format(type(opts)), 3)
  end
  opts = opts or {}
  for k in pairs(opts) do if not known[k] then argerror("unknown option '%s'", tostring(k)) end end
  local function num(k, min)
    local v = opts[k]
    if v ~= nil and (type(v) ~= "number" or v ~= v or v < min or v == math.huge) then
      argerror("option '%s' must be a number >= %s", k, min)
    end
    return v
  end
  return {
    library = path, actions = list_of(opts, "actions"), streams = list_of(opts, "streams"),
    settings = opts.settings, applications = opts.applications, init = opts.init,
    actions2_id = num("actions2_id", 0), timeout = num("timeout", 0.1) or 5,
    fuzz = num("fuzz", 0) and math.floor(opts.fuzz), seed = num("seed", 0) and math.floor(opts.seed),
    only = only_of(opts.only), lua = opts.lua, on_check = opts.on_check, command = opts.command,
  }
end

-- The child ----------------------------------------------------------------

-- A Lua value as Lua source (strings, numbers, booleans, tables).
local function serialize(v)
  local t = type(v)
  if t == "string" then return ("%q"):format(v):gsub("\\\n", "\\n") end
  if t == "number" then return ("%.17g"):format(v) end
  if t ~= "table" then return tostring(v) end
  local parts = {}
  for k, x in pairs(v) do
    if type(x) ~= "function" then parts[#parts + 1] = ("[%s]=%s"):format(serialize(k), serialize(x)) end
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

-- The interpreter running us: the lowest index of the standalone
-- interpreter's arg (there is none without a script), else the usual name
-- of this Lua, unless opts.lua or CUSTOMACTION_LUA names one.
local function interpreter(o)
  if o.lua then return o.lua end
  local env = os.getenv("CUSTOMACTION_LUA")
  if env and env ~= "" then return env end
  local a = rawget(_G, "arg")
  if type(a) == "table" then
    local i = 0
    while a[i - 1] ~= nil do i = i - 1 end
    if i < 0 then return a[i] end
  end
  if windows then return "lua.exe" end
  return rawget(_G, "jit") and "luajit" or "lua" .. _VERSION:match("%d+%.%d+")
end

local function sh_quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

-- One argument of a command line a person runs: POSIX shell words, or
-- the C runtime's rules on Windows (quotes escaped, backslashes before
-- them doubled).
local function arg_quote(s)
  if not windows then return sh_quote(s) end
  s = s:gsub('(\\*)"', '%1%1\\"'):gsub("(\\+)$", "%1%1")
  return '"' .. s .. '"'
end

-- How long a child may run: every wait it makes has the timeout as bound.
local function limit(o, name)
  local base = o.timeout * 3 + 2
  if name == "fuzz" then return base + (o.fuzz or 0) * (0.2 + o.timeout / 10) end
  if name == "threads" then return base * 2 end
  return base
end

-- A temporary file's name: os.tmpname's, in TEMP on Windows (whose C
-- runtime names a file in the root of the drive, often not writable).
local function tmpname()
  local name = os.tmpname()
  if windows and name:match("^\\[^\\]*$") then return (os.getenv("TEMP") or ".") .. name end
  return name
end

local function spawn(o, name)
  local optsfile, errfile = tmpname(), tmpname()
  local f = assert(io.open(optsfile, "w"))
  local child = {}
  for k, v in pairs(o) do child[k] = v end
  child.check, child.only, child.on_check = name, nil, nil
  child.limit = math.ceil(limit(o, name))   -- its watchdog's, so no timeout command is needed
  -- the child runs this file as its script: any interpreter that runs a
  -- script will do (a sanitizer's host takes no -e)
  f:write("os.exit(require('customaction.check.child').main(", serialize(child), "))\n")
  f:close()
  local lua = interpreter(o)
  local cmd
  -- the versioned variables win over LUA_PATH where they are set
  local env = {}
  if windows then
    for _, v in ipairs({ "", "_5_4" }) do
      env[#env + 1] = ('set "LUA_PATH%s=%s" && set "LUA_CPATH%s=%s" && '):format(v, package.path, v, package.cpath)
    end
    -- cmd.exe gives the child's exit status back, the exception's code
    -- after a crash; Lua's close returns it
    cmd = ('%s"%s" "%s" 2>"%s"'):format(table.concat(env), (lua:gsub("/", "\\")), optsfile, errfile)
  else
    for _, v in ipairs({ "", "_5_2", "_5_3", "_5_4" }) do
      env[#env + 1] = ("LUA_PATH%s=%s LUA_CPATH%s=%s"):format(v, sh_quote(package.path), v, sh_quote(package.cpath))
    end
    cmd = ("%s %s %s 2>%s; echo \"exit:$?\""):format(table.concat(env, " "), sh_quote(lua), sh_quote(optsfile),
      sh_quote(errfile))
  end
  -- a process the system would not start is tried again (Wine's popen
  -- has failed now and then with EINVAL on a loaded machine), and one that
  -- never starts is that check's failure, not the checker's end
  local p, perr
  for _ = 1, 3 do
    p, perr = io.popen(cmd)
    if p then break end
  end
  if not p then
    os.remove(optsfile)
    os.remove(errfile)
    return "result error could not start the child interpreter: " .. tostring(perr) .. "\n", "", nil
  end
  local out = p:read("*a"):gsub("\r\n", "\n")
  local _, _, status = p:close()
  local e = io.open(errfile)
  local err = e and e:read("*a") or ""
  if e then e:close() end
  os.remove(optsfile)
  os.remove(errfile)
  local exit = tonumber(out:match("exit:(%d+)%s*$")) or status
  return out, err, exit
end

-- The command line that replays one fuzz sequence.
local function replay(o, seed)
  local parts = { o.command or "customaction check", arg_quote(o.library) }
  local function spelled(a) return arg_quote(a.name .. (a.args and "=" .. a.args or "")) end
  for _, a in ipairs(o.actions) do parts[#parts + 1] = "--action " .. spelled(a) end
  for _, s in ipairs(o.streams) do parts[#parts + 1] = "--stream " .. spelled(s) end
  for k, v in pairs(o.settings or {}) do parts[#parts + 1] = "--setting " .. arg_quote(k .. "=" .. tostring(v)) end
  for _, a in ipairs(o.applications or {}) do
    parts[#parts + 1] = "--application " .. arg_quote(("%s=%d:%s"):format(a.id, a.site, a.vpath))
  end
  if o.init then parts[#parts + 1] = "--init " .. arg_quote(o.init) end
  if o.actions2_id then parts[#parts + 1] = "--actions2-id " .. o.actions2_id end
  parts[#parts + 1] = ("--timeout %g --only fuzz --fuzz 1 --seed %d"):format(o.timeout, seed)
  return table.concat(parts, " ")
end

-- Reads what the child wrote into one result.
local function result_of(o, c, out, err, exit)
  local r = { name = c.name, rule = c.rule, source = c.source, calls = {} }
  local phase, seed
  for line in out:gmatch("[^\n]+") do
    local kind, rest = line:match("^(%a+) (.*)$")
    if kind == "phase" then phase = rest
    elseif kind == "call" then r.calls[#r.calls + 1] = rest
    elseif kind == "seed" then seed = tonumber(rest)
    elseif kind == "result" then r.status, r.detail = rest:match("^(%S+) ?(.*)$") end
  end
  r.phase = phase
  if r.status == "unloadable" then
    r.status, r.unloadable = "fail", true
  elseif r.status == "error" then
    r.status, r.detail = "fail", "checker error: " .. (r.detail or "")
  elseif r.status == nil then
    r.status = "fail"
    local where = phase and (" in " .. phase) or ""
    local sanitizer = err:match("ERROR: (%w+Sanitizer: [%w%-]+)")
      or err:match("runtime error: ([^\n]+)")
    if sanitizer then
      r.detail = ("crashed: %s%s"):format(sanitizer, where)
    elseif exit == TIMED_OUT then
      r.detail = ("hung: no answer within %ds%s"):format(math.ceil(limit(o, c.name)), where)
    elseif windows and exit and (exit < 0 or exit >= 0x80000000) then   -- an NTSTATUS
      local code = exit % 0x100000000
      r.detail = ("crashed: exception 0x%08X (%s)%s"):format(code, EXCEPTIONS[code] or "?", where)
    elseif windows and exit == 3 then   -- what the C runtime's abort() exits with
      r.detail = ("crashed: abort() (exit status 3)%s"):format(where)
    elseif not windows and exit and exit > 128 then
      r.detail = ("crashed: signal %d (%s)%s"):format(exit - 128, SIGNALS[exit - 128] or "?", where)
    else
      r.detail = ("the child ended with status %s%s"):format(tostring(exit), where)
    end
    -- what the child's watchdog and crash handler wrote says nothing more,
    -- nor does the shell's line for a signal ("Segmentation fault")
    err = err:gsub("customaction check: the child's time limit[^\n]*", ""):gsub("unhandled exception 0x%x+", "")
    if not windows and exit and exit > 128 then err = err:gsub("%f[^\n%z]%u[%l ]*%s*$", "") end
    local last = err:match("(%S[^\n]*)")
    if last then r.detail = r.detail .. " (stderr: " .. last .. ")" end
  end
  if c.name == "fuzz" and r.status == "fail" and seed then
    r.seed = seed
    r.detail = ("%s [seed %d; replay: %s]"):format(r.detail, seed, replay(o, seed))
  end
  return r
end

--- Checks a protocol-manager library against the contract the worker
-- process relies on; each check runs in a child interpreter of its own.
-- @string path the library
-- @tparam[opt] table opts `actions` and `streams` (lists of "NAME[=ARGS]"
-- or `{ name =, args = }`), `settings` and `applications` (as `ca.load`
-- takes them), `init`, `actions2_id`, `only` (a list of check names, or a
-- comma-separated string), `timeout` (seconds, default 5), `fuzz` (N
-- sequences), `seed`, `lua` (the child interpreter; default: this one, or
-- CUSTOMACTION_LUA), `on_check` (`function(i, n, name, result)`, called
-- before each check with result nil and after it with its result)
-- @treturn table `{ library, checks = { { name, status, rule, source,
-- detail, calls, phase } ... }, passed, failed, skipped, unloadable }`;
-- `status` is "pass", "fail" or "skip"
function M.run(path, opts)
  local o = check_opts(path, opts)
  local list = {}
  for _, c in ipairs(M.checks) do
    if (not o.only and (c.name ~= "fuzz" or o.fuzz)) or (o.only and o.only[c.name]) then list[#list + 1] = c end
  end
  local res = { library = path, checks = {}, passed = 0, failed = 0, skipped = 0 }
  for i, c in ipairs(list) do
    if o.on_check then o.on_check(i, #list, c.name) end
    local r
    if res.unloadable then
      r = { name = c.name, rule = c.rule, source = c.source, status = "skip", detail = "the library did not load",
            calls = {} }
    else
      r = result_of(o, c, spawn(o, c.name))
    end
    if r.unloadable then res.unloadable = true end
    res.checks[#res.checks + 1] = r
    local k = r.status == "pass" and "passed" or r.status == "skip" and "skipped" or "failed"
    res[k] = res[k] + 1
    if o.on_check then o.on_check(i, #list, c.name, r) end
  end
  return res
end

--- A busted helper: runs the checks once (when the spec file is loaded)
-- and turns each into an `it` that fails with the check's reason, or a
-- `pending` that gives the reason it was skipped.
-- @func it busted's `it`
-- @func pending busted's `pending`
-- @string path the library
-- @tparam[opt] table opts as `run` takes them
-- @treturn table what `run` returned
-- @usage describe("my protocol manager", function()
--   require("customaction.check").busted(it, pending, "build/mypm.so",
--     { actions = { "Echo=hi" }, fuzz = 10 })
-- end)
function M.busted(it, pending, path, opts)
  local res = M.run(path, opts)
  for _, c in ipairs(res.checks) do
    local title = ("%s: %s"):format(c.name, c.rule)
    if c.status == "skip" then
      pending(title .. " (skipped: " .. c.detail .. ")")
    else
      it(title, function()
        if c.status ~= "pass" then
          error(("%s failed: %s\n  source: %s\n  framework calls:\n    %s"):format(c.name, c.detail, c.source,
            table.concat(c.calls or {}, "\n    ")), 0)
        end
      end)
    end
  end
  return res
end

return M
