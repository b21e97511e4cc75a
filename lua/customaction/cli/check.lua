--- The `customaction check` command: the conformance checker
-- (customaction.check) from a shell. docs/conformance.md is its manual.
--
-- @module customaction.cli.check

local ca = require "customaction"
local check = require "customaction.check"
local report = require "customaction.check.report"
local args = require "customaction.cli.args"
local errors = require "customaction.cli.errors"
local library = require "customaction.cli.library"

local EXIT = errors.EXIT
local usage = errors.usage

local HELP = [[
Checks the protocol-manager library LIBRARY against the contract the IIS
worker process relies on: loading, references, RunCustomAction (each
--action), streaming (each --stream), health and idle, Shutdown, calls
from several threads, and with --fuzz N random call sequences. Each check
runs the library in a child process of its own, so a crash or a hang is
that check's failure. Prints one line per check and a summary (--json:
one document); exits 0 when every check passes, 1 when one fails, 2 on a
usage error or a library that does not load. docs/conformance.md lists
the rules.]]

local function action(value, name)
  if value == "" or value:sub(1, 1) == "=" then
    usage("option --%s expects NAME[=ARGS], got %s", name, args.quote(value))
  end
  return args.text(value, "--" .. name)
end

local function whole(min)
  return function(value, name)
    return args.whole_number(value, min) or
      usage("option --%s expects a whole number >= %d, got %s", name, min, args.quote(value))
  end
end

local function only(value, name)
  for c in value:gmatch("[^,]+") do
    local known = false
    for _, k in ipairs(check.checks) do known = known or k.name == c end
    if not known then usage("option --%s: no check %s", name, args.quote(c)) end
  end
  return value
end

local options = args.merge(library.library_options, {
  action = { arg = "NAME[=ARGS]", check = action, repeated = "actions",
             help = "a one-shot action the library knows, with its argument (repeatable)" },
  stream = { arg = "NAME[=ARGS]", check = action, repeated = "streams",
             help = "a streaming action (IPmCustomActions2), with its argument (repeatable)" },
  init = { arg = "FUNCTION", check = function(v) return args.text(v, "--init") end,
           help = "the init function (default GetProtocolManager)" },
  only = { arg = "CHECK,...", check = only, help = "run only these checks" },
  timeout = { arg = "S", check = args.number("seconds >= 0.1", 0.1),
              help = "bound of every wait, and of each call (default 5)" },
  fuzz = { arg = "N", check = args.count, help = "also run N random call sequences" },
  seed = { arg = "N", check = whole(0), help = "the first fuzz sequence's seed (default: the time)" },
  junit = { arg = "FILE", check = function(v) return v end, help = "also write JUnit XML to FILE" },
  ["actions2-id"] = { arg = "ID", check = whole(0), help = "GetCustomInterface id of IPmCustomActions2 (default 2)" },
  progress = { help = "a progress line even when stdout is not a terminal" },
  ["no-progress"] = { help = "no progress line" },
})

-- Prints each check as it ends, with a progress line before it on a terminal.
local function printer(ctx)
  return function(i, n, name, r)
    if ctx.json then return end
    if r == nil then
      if ctx.progress then ctx:write(("\r\27[K[%d/%d] %s ..."):format(i, n, name)) end
      return
    end
    if ctx.progress then ctx:write("\r\27[K") end
    ctx:write(report.check_text(r))
  end
end

local function run(ctx, opts, argv)
  local settings = {}
  for _, kv in ipairs(opts.settings) do settings[kv[1]] = kv[2] end
  local res = check.run(argv[1], {
    actions = opts.actions, streams = opts.streams, settings = settings,
    applications = opts.applications, init = opts.init, actions2_id = opts.actions2_id,
    only = opts.only, timeout = opts.timeout, fuzz = opts.fuzz, seed = opts.seed,
    command = "customaction check", on_check = printer(ctx),
  })
  if ctx.json then
    ctx.doc = nil   -- the checker's own document, as docs/conformance.md gives it
    ctx:line(report.json(res))
  else
    ctx:line(report.summary(res))
  end
  if opts.junit then
    -- the name came as UTF-8; io.open takes the ANSI code page on Windows
    local ok, name = pcall(ca.ansi.encode, opts.junit)
    if not ok then errors.usage("cannot write the --junit file: %s", tostring(name):match("%((.*)%)$") or name) end
    local f, err = io.open(name, "w")
    if not f then errors.usage("cannot write the --junit file: %s", err) end
    f:write(report.junit(res))
    f:close()
  end
  if res.unloadable then return EXIT.usage end
  return res.failed > 0 and EXIT.failed or EXIT.ok
end

return {
  {
    name = "check",
    synopsis = "check [options] LIBRARY",
    summary = "check a protocol-manager library against the contract",
    operands = { "LIBRARY" },
    any_bytes = { LIBRARY = true },
    options = options,
    help = HELP,
    run = run,
  },
}
