--- Where the `customaction` command's output goes: lines of text, one
-- JSON document for the whole command (`--json`), or one JSON object per
-- line as each thing happens (`--json-lines`).
--
-- Commands call `ctx:line` for text and `ctx:emit(obj)` for an object
-- with a `type`; with `--json-lines` each object is a line, with `--json`
-- it is placed in the command's document (`lists` and `fields` say where)
-- and `finish` writes the document. A write that fails (a closed pipe,
-- a full disk) raises an `output` error, and every later write raises it
-- again without writing.
--
-- @module customaction.cli.output

local json = require "customaction.json"
local errors = require "customaction.cli.errors"

local M = {}

--- Where an object of each type goes in the `--json` document: appended
-- to a list (`lists`) or set as a field (`fields`). A command with objects
-- of a new type adds its type here.
M.lists = { response = "responses", hresult = "values", error = "errors", request = "requests" }
M.fields = { report = "report", health = "health" }

local Output = {}
Output.__index = Output

local function stdout_is_terminal()
  if package.config:sub(1, 1) == "\\" then return false end
  local r = os.execute("test -t 1")   -- 5.1 returns the status, later ones true
  return r == true or r == 0
end

--- The output of one command.
-- @tparam table opts the parsed options (`json`, `json_lines`, `progress`, `no_progress`)
-- @tparam table cmd the command (`name`; `json`, the lists its document always has)
-- @treturn table the context
function M.new(opts, cmd)
  if opts.json and opts.json_lines then
    errors.usage("--json and --json-lines cannot be used together")
  end
  local ctx = setmetatable({ out = io.stdout, json = opts.json or opts.json_lines or false }, Output)
  if opts.json and not opts.json_lines then
    ctx.doc = { command = cmd.name }
    for _, list in ipairs(cmd.json or {}) do ctx.doc[list] = json.array({}) end
  end
  if opts.progress then ctx.progress = true
  elseif opts.no_progress or ctx.json then ctx.progress = false
  else ctx.progress = stdout_is_terminal() end
  return ctx
end

--- Writes the strings and flushes them; raises an `output` error when
-- that fails.
function Output:write(...)
  if self.broken then error(self.broken, 0) end
  local ok, err = self.out:write(...)
  if ok then ok, err = self.out:flush() end
  if not ok then
    self.broken = errors.new("output", "cannot write the output: " .. tostring(err))
    error(self.broken, 0)
  end
end

--- Writes a line of text.
-- @string s
function Output:line(s)
  self:write(s, "\n")
end

--- Writes an object as a JSON line, or places it in the document.
-- @tparam table obj with a `type`
function Output:emit(obj)
  if not self.doc then return self:write(json.encode(obj), "\n") end
  local list, field = M.lists[obj.type], M.fields[obj.type]
  if list then
    self.doc[list] = self.doc[list] or json.array({})
    table.insert(self.doc[list], obj)
  elseif field then
    self.doc[field] = obj
  else
    error(("no place for a '%s' object in the --json document"):format(tostring(obj.type)), 2)
  end
end

--- Writes the `--json` document (when there is one and the output still
-- works); called once the command is done, however it ended.
function Output:finish()
  if self.doc and not self.broken then
    local doc = self.doc
    self.doc = nil
    self:write(json.encode(doc), "\n")
  end
end

return M
