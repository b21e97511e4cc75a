--- The `customaction` command: custom actions from a shell.
--
-- `bin/customaction` calls `main` with the command line. The commands
-- live in modules under `customaction.cli`, one per group; `GROUPS` lists
-- them, so a new group is one line there. A group module returns a list
-- of commands, each a table:
--
-- * `name`, `synopsis`, `summary` and `help`: what the help texts show;
-- * `operands` (placeholders), `min` (how many are needed; all by
--   default), `variadic` (the last repeats), `any_bytes` (operands that
--   need not be UTF-8 text, such as paths);
-- * `options`: name -> spec, as `customaction.cli.args` describes;
-- * `json`: the lists the command's `--json` document always has;
-- * `run(ctx, opts, operands)`: does the work, printing through `ctx`
--   (`customaction.cli.output`), and returns the exit status.
--
-- Every command takes `--help`, `--json` (one JSON document) and
-- `--json-lines` (one JSON object per line). The exit status is 0 on
-- success, 1 when a call or a response carries a failure HRESULT (or no
-- response came, or the output cannot be written), 2 on a usage error
-- (the message on stderr), 3 when a loaded library asked to fail or
-- recycle the worker process, and 130 after Ctrl-C; main decides it from
-- the kind of error (`customaction.cli.errors`), never from a message.
-- docs/cli.md is the manual page.
--
-- @module customaction.cli
-- @usage
-- os.exit(require("customaction.cli").main(arg))

local ca = require "customaction"
local json = require "customaction.json"
local args = require "customaction.cli.args"
local errors = require "customaction.cli.errors"
local help = require "customaction.cli.help"
local output = require "customaction.cli.output"

local EXIT = errors.EXIT
local M = {}

--- The command groups, in the order the help lists them.
M.GROUPS = {
  "customaction.cli.hresult",
  "customaction.cli.sim",
  "customaction.cli.library",
  "customaction.cli.check",
}

local commands, order = {}, {}
for _, group in ipairs(M.GROUPS) do
  for _, cmd in ipairs(require(group)) do
    assert(not commands[cmd.name], "two commands named " .. cmd.name)
    cmd.options = cmd.options or {}
    commands[cmd.name] = cmd
    order[#order + 1] = cmd
  end
end

local function write(...)
  io.stdout:write(...)
  return EXIT.ok
end

-- The options before the command: --json, --json-lines, --help, --version,
-- --paths (in any order; --version, --paths and --help act once all are read).
local function global_options(argv)
  local i, g = 1, {}
  while argv[i] and argv[i]:match("^%-%-") do
    local name = argv[i]:sub(3)
    if name == "json" or name == "help" or name == "version" or name == "paths" then g[name] = true
    elseif name == "json-lines" then g.json_lines = true
    else errors.usage("unknown option --%s", name) end
    i = i + 1
  end
  return g, i
end

-- Runs the command; its --json document is written when it returns or
-- stops on a usage error (hresult prints the values that decode).
local function run(cmd, ctx, opts, operands)
  local ok, code = pcall(cmd.run, ctx, opts, operands)
  if ok or errors.is(code, "usage") then ctx:finish() end
  if not ok then error(code, 0) end
  return code
end

local function dispatch(argv)
  local g, i = global_options(argv)
  if g.version then
    if g.json or g.json_lines then return write(json.encode({ version = ca._VERSION }), "\n") end
    return write("customaction ", ca._VERSION, "\n")
  end
  if g.paths then   -- ca.paths(), for a native host's build
    local p = ca.paths()
    if g.json or g.json_lines then return write(json.encode(p), "\n") end
    for _, k in ipairs({ "module", "core", "luapm", "include" }) do write(("%-8s%s\n"):format(k, p[k] or "(none)")) end
    return EXIT.ok
  end
  if g.help then return write(help.main(order)) end
  local name = argv[i]
  if name == nil then errors.usage("missing COMMAND") end
  if name == "help" then
    local cmd = argv[i + 1] and commands[argv[i + 1]]
    if argv[i + 1] and not cmd then errors.usage("no command %s", args.quote(argv[i + 1])) end
    return write(cmd and help.command(cmd) or help.main(order))
  end
  local cmd = commands[name]
  if not cmd then errors.usage("no command %s", args.quote(name)) end
  local ok, code = pcall(function()
    local opts, operands = args.parse(cmd, argv, i + 1)
    if opts.help then return write(help.command(cmd)) end
    opts.json, opts.json_lines = opts.json or g.json, opts.json_lines or g.json_lines
    return run(cmd, output.new(opts, cmd), opts, operands)
  end)
  if ok then return code end
  local e = errors.classify(code)
  e.command = name
  error(e, 0)
end

--- Runs the command line `argv` (a list of strings, as the standalone
-- interpreter's `arg`) and returns the exit status.
-- @tparam {string,...} argv the arguments after the program name
-- @treturn int 0 success, 1 a failure, 2 a usage error, 3 a Fail or
-- Recycle request, 130 Ctrl-C
function M.main(argv)
  local ok, result = pcall(dispatch, argv or {})
  if ok then return result end
  io.stdout:flush()
  local e = errors.classify(result)
  local prefix = "customaction" .. (e.command and " " .. e.command or "")
  if e.kind == "usage" then
    for line in (e.message .. "\n"):gmatch("([^\n]*)\n") do
      io.stderr:write(prefix, ": ", line, "\n")
    end
    io.stderr:write("Try '", prefix, " --help'.\n")
    return EXIT.usage
  end
  io.stderr:write("customaction: ", e.message, "\n")
  return e.kind == "interrupted" and EXIT.interrupted or EXIT.failed
end

return M
