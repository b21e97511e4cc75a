-- Helpers shared by the specs. Reading an issuer's log is what
-- customaction.busted offers users too, so the specs use that code.
local busted_helpers = require "customaction.busted"

local M = {}

--- Does this Lua have to-be-closed variables (`local x <close>`, 5.4)?
M.has_close = (loadstring or load)("local x <close> = nil") ~= nil

--- Why a spec that needs them is pending elsewhere.
M.NEEDS_CLOSE = "needs Lua 5.4's to-be-closed variables"

--- busted's `it` where to-be-closed variables exist; elsewhere a spec
-- marked pending with the reason.
function M.when_close(it, pending)
  if M.has_close then return it end
  return function(name) pending(name .. ": " .. M.NEEDS_CLOSE) end
end

--- Is this Lua running on Windows (a backslash directory separator)?
M.windows = package.config:sub(1, 1) == "\\"

--- The emulator every interpreter of the run is under (CA_EMULATOR: make
-- x86 sets "qemu-i386"), else nil. Under one, a library thread's timing
-- stretches against the caller's, and /proc counts the emulator's own
-- threads.
M.emulator = os.getenv("CA_EMULATOR")

--- The file extension of shared libraries here.
M.libext = M.windows and "dll" or "so"

--- A protocol-manager library of the build tree (CA_BUILD/pm/NAME.so,
-- .dll on Windows), unless the environment variable `env` (if given)
-- names one: checkers name their instrumented builds there, which only
-- their own interpreter can load.
function M.pm_library(name, env)
  return env and os.getenv(env) or ("%s/pm/%s.%s"):format(os.getenv("CA_BUILD") or "build", name,
    M.libext)
end

--- Why a spec that needs a POSIX-only peer is pending on Windows.
function M.posix_only(reason)
  return "POSIX only: " .. reason
end

--- One argument quoted for the child's command line. POSIX: single
-- quotes. Windows: the C runtime's rules (quotes escaped, backslashes
-- before them doubled), then every cmd.exe metacharacter escaped with ^,
-- the quotes included, so that cmd.exe passes the argument on verbatim
-- (a % too: Windows' cmd.exe finds no variable named "NAME^"; Wine's
-- cmd.exe still expands a %NAME% that names one).
function M.quote(arg)
  -- cmd.exe ends a command at a newline, whatever precedes it
  assert(not (M.windows and arg:find("\n")), "no newline can pass through cmd.exe")
  if not M.windows then return "'" .. arg:gsub("'", "'\\''") .. "'" end
  arg = arg:gsub('(\\*)"', function(bs) return bs .. bs .. '\\"' end)
  arg = '"' .. arg:gsub("(\\+)$", "%1%1") .. '"'
  return (arg:gsub('[%(%)%%!%^"<>&|]', "^%0"))
end

--- Shell words: a string split at spaces, where '...' and "..." quote
-- (nothing is expanded) and a backslash outside quotes takes the next
-- character as it is. What a spec written as POSIX shell words means,
-- for a system whose shell is not POSIX (Windows' cmd.exe).
function M.words(s)
  local words, word, i, quote = {}, nil, 1, nil
  while i <= #s do
    local c = s:sub(i, i)
    if quote then
      if c == quote then quote = nil else word = word .. c end
    elseif c == "'" or c == '"' then
      quote, word = c, word or ""
    elseif c == "\\" then
      word, i = (word or "") .. s:sub(i + 1, i + 1), i + 1
    elseif c == " " then
      if word then words[#words + 1] = word end
      word = nil
    else
      assert(not (c == "$" and s:sub(i + 1, i + 1) == "("), "no $(...) outside a POSIX shell: " .. s)
      word = (word or "") .. c
    end
    i = i + 1
  end
  assert(not quote, "unclosed quote: " .. s)
  if word then words[#words + 1] = word end
  return words
end

--- Runs a POSIX shell line; returns its stdout, its stderr and its exit
-- status.
function M.shell(line)
  local errfile = os.tmpname()
  local p = M.popen(("{ %s; } 2>%s; echo \"exit:$?\""):format(line, errfile))
  local out = p:read("*a")
  p:close()
  local f = assert(io.open(errfile))
  local err = f:read("*a")
  f:close()
  os.remove(errfile)
  return (out:gsub("exit:%d+%s*$", "")), err, tonumber(out:match("exit:(%d+)%s*$"))
end

local run_count = 0

--- Runs a program with its arguments (a list of strings: the program,
-- then its arguments, each quoted here) and returns what it wrote to
-- stdout and to stderr, and its exit status. POSIX: through sh. Windows:
-- through cmd.exe with the line in UTF-16, as a console starts a program
-- (the test-only widefs module: Lua's io.popen would pass the line in the
-- ANSI code page), the output read back in text mode (CRLF as LF).
function M.run(argv)
  local q = {}
  for i, a in ipairs(argv) do
    q[i] = (i == 1 and M.windows and not a:find('[%s%(%)%%!%^"<>&|]')) and a:gsub("/", "\\") or M.quote(a)
  end
  local line = table.concat(q, " ")
  if not M.windows then return M.shell(line) end
  run_count = run_count + 1
  local base = ("%s\\run-%d"):format(((os.getenv("CA_BUILD") or "build"):gsub("/", "\\")), run_count)
  local system, ok, code = require("widefs").system, nil, nil
  for _ = 1, 3 do   -- as M.popen, for the same refusals
    ok, code = pcall(system, ("%s >%s.out 2>%s.err"):format(line, base, base))
    if ok then break end
  end
  if not ok then error(code, 2) end
  local got = {}
  for i, ext in ipairs({ ".out", ".err" }) do
    local f = assert(io.open(base .. ext))
    got[i] = f:read("*a")
    f:close()
    os.remove(base .. ext)
  end
  return got[1], got[2], code
end

--- Runs a child interpreter (CHILD_LUA, else lua5.4) on the build tree
-- named by CA_BUILD, with arguments `args` (a list of strings, quoted
-- here, or one string of shell words used as it is), and returns what it
-- printed to stdout and stderr, and its exit status (124 when it ran out
-- of its time limit, `seconds`, 60 by default). On Windows (5.4 only) the
-- status comes from close, and there is no time limit.
function M.child(args, seconds)
  local lua = os.getenv("CHILD_LUA") or "lua5.4"
  local build = os.getenv("CA_BUILD") or "build"
  if type(args) == "table" then
    local q = {}
    for i, a in ipairs(args) do q[i] = M.quote(a) end
    args = table.concat(q, " ")
  end
  if M.windows then
    local cmd = ('set "LUA_CPATH=%s\\?.dll;;" && set "LUA_PATH=lua\\?.lua;lua\\?\\init.lua;spec\\?.lua;;" && '
      .. '"%s" %s 2>&1'):format(build:gsub("/", "\\"), lua:gsub("/", "\\"), args)
    local f = M.popen(cmd)
    local out = f:read("a")
    local _, _, code = f:close()
    return out, code
  end
  local cmd = ("LUA_CPATH='%s/?.so;;' LUA_PATH='lua/?.lua;lua/?/init.lua;spec/?.lua;;' "
    .. "timeout %d %s %s 2>&1; echo \"exit:$?\""):format(build, seconds or 60, lua, args)
  local f = M.popen(cmd)
  local out = f:read("*a")   -- "*a": 5.1 and 5.2 know no "a"
  f:close()
  local code = tonumber(out:match("exit:(%d+)%s*$"))
  return out:gsub("exit:%d+%s*$", ""), code
end

--- io.popen(cmd), tried three times: Wine's C runtime has refused to
-- start a process now and then (EINVAL) on a loaded machine.
function M.popen(cmd)
  local f, err
  for _ = 1, 3 do
    f, err = io.popen(cmd)
    if f then return f end
  end
  error(("%s: %s"):format(cmd, tostring(err)), 2)
end

--- Runs Lua source in a child interpreter (as M.child does) through a
-- file in the build tree, so that it may span lines on Windows too.
function M.child_code(code)
  local path = (os.getenv("CA_BUILD") or "build") .. "/child_code.lua"
  local f = assert(io.open(path, "w"))
  f:write(code)
  f:close()
  local out, status = M.child({ path })
  os.remove(path)
  return out, status
end

--- Compiles Lua source the running parser may not know (load of a string
-- on 5.2+, loadstring on 5.1).
M.compile = function(src) return assert((loadstring or load)(src)) end

--- The log as "op action[ STATUS[ final]]" strings.
M.sequence = busted_helpers.protocol

--- AddRefs minus Releases per action.
M.balance = busted_helpers.balance

--- Is every action's count balanced?
function M.balanced(log)
  for _, v in pairs(M.balance(log)) do if v ~= 0 then return false end end
  return true
end

--- A callback that records what it gets.
function M.recorder(ca, opts)
  local got = {}
  local cb = ca.callback(function(status, response, final)
    got[#got + 1] = { status = status, response = response, final = final }
  end, opts)
  return cb, got
end

return M
