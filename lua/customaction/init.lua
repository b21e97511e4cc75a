--- Lua functions as ReportResult handlers of IIS custom-action callbacks.
--
-- The C part (`customaction.core`) holds the native objects; this facade
-- re-exports it and adds what is easier to write in Lua.
--
-- @module customaction
-- @usage
-- local ca = require "customaction"
-- local cb = ca.callback(function(status, response, final)
--   print(status, response, final)
-- end, { name = "counters" })
-- cb:report(ca.S_OK, "bytes", true)   --> S_OK (0x00000000): success  bytes  true

local core = require "customaction.core"

local M = {}
for k, v in pairs(core) do M[k] = v end

--- Converts a value to an interned HRESULT value.
-- Accepts an integer (signed or unsigned 32-bit form), a name such as
-- `"E_ACCESSDENIED"`, a hex string such as `"0x80070005"`, or an HRESULT
-- value (returned as is). The same code always gives the same userdata,
-- so HRESULTs compare with `==`.
-- @function hresult
-- @param x the value
-- @treturn hresult
-- @usage ca.hresult(0x80070005) == ca.E_ACCESSDENIED  --> true
M.hresult = setmetatable({
  --- HRESULT_FROM_WIN32: wraps a Win32 error code (0 gives S_OK; values
  -- that already are HRESULTs come back unchanged).
  -- @function hresult.from_win32
  -- @int code Win32 error code
  -- @treturn hresult
  from_win32 = core.hresult_from_win32,
  --- Every named HRESULT, as a list of rows
  -- `{ name, value, message, win32 = code or nil, alias = boolean }`,
  -- in the order of the project's table (src/core/hresult_table.h).
  -- @function hresult.table
  -- @treturn table
  table = core.hresult_table,
}, {
  __call = core.hresult_call,
  __name = "customaction.hresult",
  __tostring = function()
    return "customaction.hresult: ca.hresult(x), .from_win32(code), .table()"
  end,
})
M.hresult_from_win32, M.hresult_table, M.hresult_call = nil, nil, nil
if getmetatable(M.utf16) == nil then   -- a plain table from the core
  setmetatable(M.utf16, {
    __name = "customaction.utf16",
    __tostring = function() return "customaction.utf16: .encode(s), .decode(bytes)" end,
  })
end
M.check_text = nil   -- the facade's

-- ca.ansi: the ANSI code page (Windows), with the script's arguments read
-- from the wide command line.
local command_line = core.ansi_command_line
M.ansi_command_line = nil
if getmetatable(M.ansi) == nil then   -- a plain table from the core
  setmetatable(M.ansi, {
    __name = "customaction.ansi",
    __tostring = function()
      return "customaction.ansi: .encode(s), .decode(b), .codepage(), .arg(arg)"
    end,
  })
end

--- The standalone interpreter's `arg` in UTF-8. On Windows `lua.exe`
-- gets its arguments in the ANSI code page, where a character the code
-- page lacks is already a '?'; this reads the script's name (`arg[0]`)
-- and arguments (`arg[1]` on) again from the wide command line, matched
-- by their count from its end, and checks each against the ANSI form
-- the C runtime made of it, so that a command line split otherwise is an
-- error, not arguments taken from the wrong places. The interpreter and
-- its options (`arg[-1]` and below) stay as they are. Elsewhere a copy
-- of `t`: the arguments are the bytes given.
-- @function ansi.arg
-- @tparam table t the `arg` table of the standalone interpreter
-- @treturn table a copy of `t`, its script name and arguments UTF-8
-- @usage local args = ca.ansi.arg(arg)   -- in a script run by lua.exe
function M.ansi.arg(t)
  if type(t) ~= "table" then
    error(("bad argument #1 to 'arg' (table expected, got %s)"):format(type(t)), 2)
  end
  local copy = {}
  for k, v in pairs(t) do copy[k] = v end
  local wide, narrow = command_line()
  if not wide then return copy end
  local base = #wide - #t   -- where arg[0] is in the command line
  for i = 0, #t do
    if type(t[i]) ~= "string" then
      error(("bad argument #1 to 'arg' (arg[%d] is a %s, not a string)"):format(i, type(t[i])), 2)
    end
    if base + i < 1 or narrow[base + i] ~= t[i] then
      error(("the command line does not match arg: arg[%d] is %q, the command line's argument %d %q")
            :format(i, t[i], base + i - 1, tostring(narrow[base + i])), 2)
    end
    copy[i] = wide[base + i]
  end
  return copy
end

local issuer = require "customaction.issuer"
M.issuer = issuer.new
M.issuer_methods, M.issuer_builtins = nil, nil
M.actions = require("customaction.actions").new
M.actions_methods, M.actions_wait = nil, nil
M.load = require("customaction.pm").load
--- Checks a protocol-manager library against the contract: see
-- `customaction.check.run` (docs/conformance.md).
-- @function check
-- @string path the library
-- @tparam[opt] table opts
-- @treturn table the results
function M.check(path, opts) return require("customaction.check").run(path, opts) end
-- the checker's own raw calls and the set-up of its child processes
M.check_raw, M.check_threads, M.check_child = nil, nil, nil
M.pm_methods, M.pm_hooks = nil, nil
-- a Lua provider streams like every other provider
local stream = require "customaction.stream"
function core.provider_methods.stream(p, name, args)
  local iter, a, b, st = stream.open(p, name, args)   -- no tail call: errors
  return iter, a, b, st                               -- name our caller
end
M.provider_methods = nil

-- The file this chunk was loaded from, made absolute with $PWD (a Lua
-- script cannot change directory, so the start directory still holds).
local function absolute(file)
  if file == nil or file:match("^/") or file:match("^%a:[/\\]") or file:match("^\\") then
    return file
  end
  local pwd = os.getenv("PWD")
  return pwd and pwd .. "/" .. file:gsub("^%./", "") or file
end

local function exists(file)
  local f = file and io.open(file, "rb")
  if f then f:close() end
  return f ~= nil
end

-- package.searchpath, which Lua 5.1 lacks
local function searchpath(name, path)
  local file = name:gsub("%.", package.config:sub(1, 1))
  for template in path:gmatch("[^;]+") do
    local candidate = template:gsub("%?", file)
    if exists(candidate) then return candidate end
  end
end

local here = debug.getinfo(1, "S").source:match("^@(.*)$")

--- Where this installation's files are, for a native host's build.
-- `module`: this file (customaction/init.lua); `core`: the C module
-- `require` finds on `package.cpath`; `luapm`: the library that hosts a Lua
-- protocol manager (docs/provider.md), beside the C module; `include`: the
-- directory holding `customaction.h` and `wpf.h` (installed beside the C
-- modules as `customaction/include/`, or a checkout's `include/`). A field
-- is nil when its file is not there (luapm on Windows, or not yet built).
-- The paths are UTF-8 (what `ca.load` takes) on every system.
-- `customaction --paths` prints the same.
-- @function paths
-- @treturn table `{ module =, core =, luapm =, include = }`
-- @usage print(ca.paths().include)   -- e.g. /usr/local/lib/lua/5.4/customaction/include
function M.paths()
  local core_file = absolute(searchpath("customaction.core", package.cpath))
  local dir = core_file and core_file:match("^(.*)[/\\]core%.[^/\\]*$")
  local ext = core_file and core_file:match("(%.[^./\\]*)$") or ".so"
  local luapm = dir and dir .. "/luapm" .. ext
  local root = here and absolute(here):match("^(.*)/lua/customaction/init%.lua$")
  local include
  for _, d in ipairs({ dir and dir .. "/include" or false, root and root .. "/include" or false }) do
    if d and exists(d .. "/customaction.h") then include = d; break end
  end
  -- found with Lua's own functions, so in the ANSI code page on Windows
  local function utf8(p) return p and M.ansi.decode(p) end
  return {
    module = utf8(absolute(here)),
    core = utf8(core_file),
    luapm = exists(luapm) and utf8(luapm) or nil,
    include = utf8(include),
  }
end

local help = [==[
customaction %s: Lua functions as ReportResult handlers

  cb = ca.callback(function(status, response, final) ... end [, opts])
      opts: name, on_error(msg, cb), max_response, reuse
  cb:report(status, response [, final [, size]])   through the v2 vtable
  cb:report_v1(status, response [, size])           through the v1 vtable
  cb:interface("v1"|"v2")  cb:addref()  cb:release()  cb:close()  cb:stats()

  ca.hresult(x)  ca.hresult.from_win32(code)  ca.hresult.table()
  ca.succeeded(x)  ca.failed(x)    hr:succeeded() hr:failed() hr:is(x)
  hr.name hr.aliases hr.message hr.facility_name ...
  ca.E_FAIL, ca.S_OK, ... (%d named values; pairs(ca) lists them)

  ca.dispatch([max])  ca.wait([seconds [, max]])  ca.pending()  ca.fd()
  ca.configure{ max_queued, max_queued_bytes, block_ms }  ca.stats()  ca.clock()

  pm = ca.issuer{ threads = N } or ca.issuer{ clock = "virtual" }
  pm:define(name, scenario)  pm:register(name, args, cb)  pm:unregister(name)
  pm:run(name, args, cb)     pm:advance([ms])  pm:now()  pm:is_virtual()
  pm:active(name)  pm:pending()  pm:log([clear])  pm:interface("v1"|"v2")  pm:close()
  for status, response, final in pm:stream(name, args) do ... end
      (before Lua 5.4, close an early-left stream: its 4th value has :close())

  acts = ca.actions(ptr [, "v1"|"v2"])   a native IPmCustomActions(2) pointer
  acts:run  acts:register  acts:unregister  acts:stream  (as pm's)
  acts:interface([name])  acts:close()   interface: "v1", "v2" (default), "pm", "monitor"

  lib = ca.load(path [, { settings, applications, version, on_recycle, on_fail }])
  lib:custom_actions()  lib:custom_actions2([id])  lib:interface([name or id [, custom]])
  lib:check_health([timeout])  lib:check_health_async(cb)  lib:check_idle()
  lib:shutdown([immediate])  lib:log([clear])  lib:close()
  ca.load_settings()   the settings ca.load takes: name -> "string", "dword", ...
  ca.check(path [, { actions, streams, only, timeout, fuzz, ... }])   docs/conformance.md

  r = ca.reader(bytes)  r:u8() r:u16() r:u32() r:i32() r:u64() r:bytes(n)
      r:utf16(nchars) r:utf16z() r:align(n) r:remaining() r:offset()
  w = ca.writer()  w:u8(x) ... w:utf16(s) w:utf16z(s) w:align(n) w:tostring()

  p = ca.provider{ actions = { Name = function(args, reply) ... end },
                   health, idle, shutdown, name, on_error, idle_wait_ms }
  p:interface([name])  p:define(name, fn)  p:active(name)
  p:run  p:register  p:unregister  p:stream  p:is_virtual()  p:stats()  p:close()
  reply:send(status, response [, final])  reply:finish(status [, response])
  reply.cancelled  reply.done  reply.on_cancel = fn   (docs/provider.md)

  ca.utf16.encode(s)  ca.utf16.decode(b)
  ca.ansi.encode(s)  ca.ansi.decode(b)  ca.ansi.codepage()  ca.ansi.arg(arg)
      UTF-8 <-> the ANSI code page Lua's own functions use on Windows
  ca.paths()   where the module, luapm and the C headers are
  ca.help() prints this; docs/manual.md has the details, docs/bad-inputs.md every error.
]==]

--- Prints a summary of the API (for the REPL), with the defaults of
-- `ca.defaults`.
-- @function help
function M.help()
  local rows = {}
  for where, opts in pairs(M.defaults) do
    for k, v in pairs(opts) do rows[#rows + 1] = ("%s.%s = %d"):format(where, k, v) end
  end
  table.sort(rows)
  io.write(help:format(M._VERSION, #M.hresult.table()),
           "  defaults (ca.defaults):\n")
  for i = 1, #rows, 3 do
    io.write("    ", table.concat(rows, "   ", i, math.min(i + 2, #rows)), "\n")
  end
end

setmetatable(M, {
  __tostring = function() return "customaction " .. M._VERSION .. " (ca.help() lists the API)" end,
})

return M
