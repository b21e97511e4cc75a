--- The `customaction` command's help texts, made from the command table.
--
-- @module customaction.cli.help

local args = require "customaction.cli.args"

local M = {}

local WIDTH = 22   -- the option column; an option as wide or wider puts its help below it

local function option_lines(options)
  local names, lines = {}, {}
  for name in pairs(options) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs({ "json", "json-lines", "help" }) do names[#names + 1] = name end
  for _, name in ipairs(names) do
    local spec = options[name] or args.common[name]
    local left = "--" .. name .. (spec.arg and " " .. spec.arg or "")
    if #left >= WIDTH then
      lines[#lines + 1] = "  " .. left
      lines[#lines + 1] = ("  %-" .. WIDTH .. "s %s"):format("", spec.help)
    else
      lines[#lines + 1] = ("  %-" .. WIDTH .. "s %s"):format(left, spec.help)
    end
  end
  return table.concat(lines, "\n")
end

--- A command's help: usage, what it does, its options.
-- @tparam table cmd
-- @treturn string
function M.command(cmd)
  return ("usage: customaction %s\n\n%s\n\noptions:\n%s\n"):format(cmd.synopsis, cmd.help,
    option_lines(cmd.options))
end

--- The command's own help: every command in `order`.
-- @tparam {table,...} order the commands
-- @treturn string
function M.main(order)
  local lines = {}
  for _, cmd in ipairs(order) do
    lines[#lines + 1] = ("  %-34s %s"):format(cmd.synopsis:gsub(" %[options%]", ""), cmd.summary)
  end
  return ([[
usage: customaction [--json | --json-lines] COMMAND [ARGS...]

Runs IIS custom actions from a shell, through the customaction Lua module.

commands:
%s

Every command takes --help, --json (one JSON document for the command)
and --json-lines (one JSON object per line, as things happen).
Exit status: 0 success, 1 a failure HRESULT, 2 a usage error, 3 the
library asked to fail or recycle the worker process, 130 Ctrl-C.
customaction --version prints the version; --paths where the module,
luapm and the C headers are.
]]):format(table.concat(lines, "\n"))
end

return M
