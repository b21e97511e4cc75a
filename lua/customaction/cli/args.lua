--- The `customaction` command's command line: options and operands,
-- parsed and checked before anything runs.
--
-- A command declares its options as a table `name -> spec`, where a spec
-- has `help`, and for an option that takes a value `arg` (its
-- placeholder), `check(value, name)` (returns the value to keep, or raises
-- a usage error) and optionally `repeated` (the list in `opts` that
-- collects every value). Its operands are a list of placeholders
-- (`operands`) with how many are needed (`min`); each must be UTF-8 text
-- unless listed in `any_bytes` (file names, or values the command
-- checks itself).
--
-- @module customaction.cli.args

local ca = require "customaction"
local errors = require "customaction.cli.errors"

local usage = errors.usage
local M = {}

--- A string as a message shows it: bytes that are not printable ASCII as
-- `\xHH`, in quotes.
-- @string s
-- @treturn string
function M.quote(s)
  return "'" .. s:gsub("[^ -~]", function(c) return ("\\x%02X"):format(c:byte()) end) .. "'"
end

--- Is `s` text the module sends on (UTF-8 it can convert to UTF-16)?
-- @string s
-- @treturn boolean
function M.is_text(s)
  return (pcall(ca.utf16.encode, s))
end

--- Raises a usage error unless `s` is UTF-8 text.
-- @string s the value
-- @string what what it is, for the message (`ACTION`, `--setting APP_POOL_NAME`)
-- @treturn string `s`
function M.text(s, what)
  if not M.is_text(s) then
    usage("%s %s is not UTF-8 text (the library receives it as UTF-16)", what, M.quote(s))
  end
  return s
end

--- The whole number `text` spells, if it is one in min..max.
-- @string text
-- @number min
-- @number[opt=2^53-1] max
-- @treturn ?number
function M.whole_number(text, min, max)
  local n = tonumber(text)
  if n and n >= min and n <= (max or 2 ^ 53 - 1) and math.floor(n) == n then return n end
end

--- An option check: a number >= min (fractions allowed).
-- @string what how the message names the values (`seconds >= 0`)
-- @number min
-- @treturn function
function M.number(what, min)
  return function(value, name)
    local n = tonumber(value)
    if not n or n ~= n or n < min or n == math.huge then
      usage("option --%s expects %s, got %s", name, what, M.quote(value))
    end
    return n
  end
end

--- An option check: a whole number >= 1.
function M.count(value, name)
  return M.whole_number(value, 1) or
    usage("option --%s expects a whole number >= 1, got %s", name, M.quote(value))
end

--- An option check: one of the values given.
-- @string ... the choices
-- @treturn function
function M.choice(...)
  local choices = { ... }
  return function(value, name)
    for _, c in ipairs(choices) do if c == value then return value end end
    usage("option --%s expects one of %s, got %s", name, table.concat(choices, ", "), M.quote(value))
  end
end

--- Options every command takes (`main` handles them).
M.common = {
  json = { help = "one JSON document for the whole command instead of text" },
  ["json-lines"] = { help = "one JSON object per line, each as it happens" },
  help = { help = "this text" },
}

--- Several option tables as one.
-- @tparam table ... option tables
-- @treturn table
function M.merge(...)
  local all = {}
  for i = 1, select("#", ...) do
    for k, v in pairs((select(i, ...))) do all[k] = v end
  end
  return all
end

local function take_option(cmd, opts, argv, i)
  local a = argv[i]
  local name, value = a:match("^%-%-([^=]+)=(.*)$")
  name = name or a:sub(3)
  local spec = cmd.options[name] or M.common[name]
  if not spec then usage("unknown option --%s", name) end
  local key = name:gsub("%-", "_")
  if not spec.arg then
    if value ~= nil then usage("option --%s takes no value", name) end
    opts[key] = true
    return i
  end
  if value == nil then i = i + 1; value = argv[i] end
  if value == nil then usage("option --%s needs a value (%s)", name, spec.arg) end
  value = spec.check(value, name)
  if spec.repeated then
    local list = opts[spec.repeated]
    list[#list + 1] = value
  else
    opts[key] = value
  end
  return i
end

--- Parses `argv[first..]` for `cmd`: options anywhere, `--` ends them.
-- Checks the operands' number and text.
-- @tparam table cmd the command
-- @tparam {string,...} argv
-- @int first where the command's arguments start
-- @treturn table opts (option names with `-` as `_`; repeated options as lists)
-- @treturn {string,...} the operands
function M.parse(cmd, argv, first)
  local opts, args, i = {}, {}, first
  for _, spec in pairs(cmd.options) do
    if spec.repeated then opts[spec.repeated] = {} end
  end
  while i <= #argv do
    local a = argv[i]
    if a == "--" then
      for j = i + 1, #argv do args[#args + 1] = argv[j] end
      break
    elseif a:match("^%-%-.") then
      i = take_option(cmd, opts, argv, i)
    elseif a:match("^%-%a") then
      usage("unknown option %s", M.quote(a))
    else
      args[#args + 1] = a
    end
    i = i + 1
  end
  if opts.help then return opts, args end
  local ops = cmd.operands
  local max = cmd.variadic and math.huge or #ops
  if #args < (cmd.min or #ops) then usage("missing %s", ops[#args + 1]) end
  if #args > max then usage("unexpected argument %s", M.quote(args[max + 1])) end
  for k, v in ipairs(args) do
    local what = ops[math.min(k, #ops)]
    if not (cmd.any_bytes and cmd.any_bytes[what]) then M.text(v, what) end
  end
  return opts, args
end

return M
