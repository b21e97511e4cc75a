-- Docs that run: every fenced Lua example and every REPL session of
-- README.md and docs/*.md runs here, and what it prints is compared with
-- what the page shows.
--
-- * A ```lua block runs as one chunk with a fresh set of globals. A line
--   with a `--> text` comment must print `text` while it runs: the prints
--   made by that line's own `print` call or by anything the top-level
--   statement on that line called, joined by spaces. Whitespace runs
--   compare as one space; `...` in the text stands for anything.
-- * A ``` block that starts with `$ make repl` or a `> ` prompt is a REPL
--   session: each input runs as `lua -i` runs it (as `return <line>` when
--   that compiles, the results printed; `>> ` lines continue an input;
--   an error shows its message), with `ca` loaded, and the whole
--   transcript must equal the page's (whitespace as above, and addresses,
--   0x with nine or more hex digits, match any address).
-- * A ```lua block whose first line is `-- NAME_spec.lua: ...` is a spec
--   file of the reader's: it runs in a child busted (BUSTED, else
--   /usr/bin/busted, under CHILD_LUA) and must pass.
-- * In a ```sh block, a line `lua5.4 -e 'CODE'  --> text` runs CODE in a
--   child interpreter (CHILD_LUA) with the build's paths and must print
--   `text` (as above).
-- * A block that cannot run says so in its first line,
--   `-- not run: <why>`, and is reported pending with that reason.
-- Paths "build/..." in the examples name the build under test (CA_BUILD).
-- The `$ customaction ...` sessions are spec/cli_spec.lua's.
local ca = require "customaction"
local support = require "support"

if support.windows then
  describe("the docs", function()
    pending("their examples name the Linux build's files (build/pm/samplepm.so) and run lua5.4")
  end)
  return
end

local BUILD = os.getenv("CA_BUILD") or "build"

local function doc_files()
  local files = { "README.md" }
  local p = io.popen("ls docs")
  for name in (p and p:read("*a") or ""):gmatch("[^\r\n]+") do
    if name:match("%.md$") then files[#files + 1] = "docs/" .. name end
  end
  if p then p:close() end
  return files
end

-- The fenced blocks of a file: { file, line (of the first content line),
-- lang, lines } with the fence's indentation taken off.
local function blocks(file)
  local out, cur, n = {}, nil, 0
  for line in io.lines(file) do
    n = n + 1
    if cur then
      if line:match("^%s*```%s*$") then
        out[#out + 1] = cur
        cur = nil
      else
        cur.lines[#cur.lines + 1] = line:sub(1, cur.indent):match("^%s*$") and line:sub(cur.indent + 1) or line
      end
    else
      local indent, lang = line:match("^(%s*)```(%S*)%s*$")
      if indent then cur = { file = file, line = n + 1, lang = lang, indent = #indent, lines = {} } end
    end
  end
  return out
end

local function kind(b)
  local first = b.lines[1] or ""
  if b.lang == "lua" and first:match("^%-%- [%w_]+_spec%.lua:") then return "spec" end
  if b.lang == "lua" then return "lua" end
  if b.lang == "" and (first == "$ make repl" or first:match("^> ")) then return "repl" end
end

local function normal(s)
  -- addresses: 9+ hex digits, or any after ": " as tostring prints them
  -- (fewer on 32-bit hosts and under valgrind; an HRESULT prints as
  -- "(0x80070005)", and both sides are normalised alike)
  s = s:gsub("0x%x%x%x%x%x%x%x%x%x+", "0x?"):gsub(": 0x%x+", ": 0x?")
  return (s:gsub("%s+", " "):gsub("^ ", ""):gsub(" $", ""))
end

local function matches(expected, got)
  expected, got = normal(expected), normal(got)
  if not expected:find("...", 1, true) then return expected == got end
  local parts = {}
  for piece in (expected .. "..."):gmatch("(.-)%.%.%.") do
    parts[#parts + 1] = piece:gsub("^ ", ""):gsub(" $", ""):gsub("%p", "%%%0")
  end
  return got:match("^" .. table.concat(parts, ".-") .. "$") ~= nil
end

local function compile(code, name, env)
  if setfenv and loadstring then   -- 5.1 and LuaJIT
    local f, err = loadstring(code, name)
    if f then setfenv(f, env) end
    return f, err
  end
  return load(code, name, "t", env)
end

local function pack(...) return { n = select("#", ...), ... } end

local function joined(t, from)
  local parts = {}
  for i = from or 1, t.n do parts[#parts + 1] = tostring(t[i]) end
  return table.concat(parts, "\t")
end

-- Globals of their own for each block; print and io.write write to `sink`.
local function environment(sink)
  local env = setmetatable({}, { __index = _G })
  env.print = function(...) sink(joined(pack(...)) .. "\n", 3) end
  env.io = setmetatable({ write = function(...)
    local parts = pack(...)
    for i = 1, parts.n do parts[i] = tostring(parts[i]) end
    sink(table.concat(parts, "", 1, parts.n), 3)
  end }, { __index = io })
  env._G = env
  return env
end

local function run_lua(b)
  local name = "@" .. b.file .. ":" .. b.line
  local printed = {}   -- line of the block -> text
  local chunk
  local function record(line, text)
    printed[line] = (printed[line] and printed[line] .. " " or "") .. text
  end
  local env = environment(function(text, level)
    text = text:gsub("\n$", "")
    local here = debug.getinfo(level, "Sl")
    if here and here.source == name then record(here.currentline, text) end
    for l = level + 1, 200 do
      local info = debug.getinfo(l, "fl")
      if not info then break end
      if info.func == chunk then
        if not (here and here.source == name and here.currentline == info.currentline) then
          record(info.currentline, text)
        end
        break
      end
    end
  end)
  local code = table.concat(b.lines, "\n"):gsub('"build/', '"' .. BUILD .. "/")
  local err
  chunk, err = compile(code, name, env)
  assert(chunk, err)
  chunk()
  local checked = 0
  for i, line in ipairs(b.lines) do
    local expected = line:match("%-%->%s*(.-)%s*$")
    if expected then
      checked = checked + 1
      local got = printed[i] or "(nothing)"
      assert(matches(expected, got), ("%s:%d printed\n  %s\nwhere the page shows\n  %s")
        :format(b.file, b.line + i - 1, got, expected))
    end
  end
  return checked
end

-- One input of a REPL session, as lua.c's doREPL runs it; `more` gives
-- the next continuation line, if any.
local function repl_input(first, more, env, out)
  local f = compile("return " .. first, "=stdin", env)
  local code = first
  local err
  if not f then
    while true do
      f, err = compile(code, "=stdin", env)
      if f or not (err or ""):match("<eof>") then break end
      local nxt = more()
      if not nxt then break end
      code = code .. "\n" .. nxt
    end
  end
  if not f then
    out(err .. "\n")
    return
  end
  local results = pack(pcall(f))
  if not results[1] then
    out(tostring(results[2]) .. "\n")
  elseif results.n > 1 then
    out(joined(results, 2) .. "\n")
  end
end

-- Closes what a session's globals hold that has a close method (an
-- issuer the reader made, with what it still runs): on 5.1 and LuaJIT a
-- stream the reader breaks out of has no to-be-closed variable to end it.
local function tidy(env)
  for _, v in pairs(env) do
    local ok, close = pcall(function() return v.close end)
    if type(v) == "userdata" and ok and type(close) == "function" then pcall(close, v) end
  end
end

local function run_repl(b)
  local transcript = {}
  local function out(text) transcript[#transcript + 1] = text end
  local env = environment(function(text) out(text) end)
  env.ca = ca
  local i = 1
  if b.lines[1] == "$ make repl" then
    out("$ make repl\n")
    out(("customaction %s loaded as ca\n"):format(ca._VERSION))
    i = 2
    if b.lines[2] and not b.lines[2]:match("^> ") then i = 3 end
  end
  local lines = b.lines
  while i <= #lines do
    local line = lines[i]
    i = i + 1
    local input = line:match("^> (.*)$")
    if input then
      out(line .. "\n")
      repl_input(input, function()
        local nxt = lines[i] and lines[i]:match("^>> (.*)$")
        if nxt then
          out(lines[i] .. "\n")
          i = i + 1
        end
        return nxt
      end, env, out)
    end
  end
  tidy(env)
  -- LuaJIT loses the position of an error raised in a tail call (its own
  -- REPL shows the same), so there a "stdin:N: " prefix may be missing
  local function line_of(l)
    l = normal(l)
    return jit and (l:gsub("^stdin:%d+: ", "")) or l
  end
  local got, want = {}, {}
  for l in table.concat(transcript):gmatch("([^\n]*)\n") do got[#got + 1] = line_of(l) end
  for _, l in ipairs(lines) do want[#want + 1] = line_of(l) end
  for n = 1, math.max(#got, #want) do
    assert(got[n] == want[n], ("%s:%d: the session printed\n  %s\nwhere the page shows\n  %s\n\nthe whole session:\n%s")
      :format(b.file, b.line + n - 1, tostring(got[n]), tostring(want[n]), table.concat(transcript)))
  end
end

local function run_spec(b)
  local name = b.lines[1]:match("^%-%- ([%w_]+_spec%.lua):")
  local path = BUILD .. "/docs_" .. name
  local f = assert(io.open(path, "w"))
  f:write(table.concat(b.lines, "\n"), "\n")
  f:close()
  local out, code = support.child({ os.getenv("BUSTED") or "/usr/bin/busted", "--ignore-lua", "-o", "TAP", path })
  os.remove(path)
  assert(code == 0 and out:match("\nok %d") and not out:match("not ok"),
    ("%s:%d: the spec %s did not pass (exit %s):\n%s"):format(b.file, b.line, name, tostring(code), out))
end

-- The `lua5.4 -e '...'  --> text` lines of a shell block.
local function shell_lines(b)
  local out = {}
  for i, line in ipairs(b.lines) do
    local code, expected = line:match("^lua5%.4 %-e '([^']*)'%s+%-%->%s*(.-)%s*$")
    if code then out[#out + 1] = { line = b.line + i - 1, code = code, expected = expected } end
  end
  return out
end

local function run_shell_line(file, l)
  local out, code = support.child({ "-e", l.code })
  assert(code == 0 and matches(l.expected, (out:gsub("\n$", ""))),
    ("%s:%d: lua -e printed (exit %s)\n  %s\nwhere the page shows\n  %s"):format(file, l.line,
      tostring(code), out, l.expected))
end

local TITLES = { lua = "Lua example", repl = "REPL session", spec = "spec file" }
local found = { lua = 0, repl = 0, spec = 0, sh = 0 }
for _, file in ipairs(doc_files()) do
  describe(file, function()
    -- What an example leaves is collected and its queued reports
    -- delivered here, so that the specs after this one start clean.
    after_each(function()
      collectgarbage()
      collectgarbage()
      while ca.dispatch() > 0 do end
    end)
    for _, b in ipairs(blocks(file)) do
      for _, l in ipairs(b.lang == "sh" and shell_lines(b) or {}) do
        found.sh = found.sh + 1
        it(("line %d (lua -e) prints what its --> comment shows"):format(l.line), function()
          run_shell_line(file, l)
        end)
      end
      local k = kind(b)
      if k then
        found[k] = found[k] + 1
        local title = ("line %d (%s)"):format(b.line, TITLES[k])
        local why = (b.lines[1] or ""):match("^%-%- not run: (.+)$")
        if why then
          pending(title .. ": not run: " .. why)
        elseif k == "spec" and support.windows then
          pending(title .. ": busted's script has another path under Wine")
        elseif k == "spec" and support.emulator then
          pending(title .. ": busted's own libraries (LuaFileSystem) are not built for the emulated Lua")
        elseif k == "spec" then
          it(title .. " passes under busted", function()
            run_spec(b)
          end)
        elseif k == "lua" then
          it(title .. " prints what its --> comments show", function()
            run_lua(b)
          end)
        else
          it(title .. " prints what the page shows", function()
            run_repl(b)
          end)
        end
      end
    end
  end)
end

describe("the docs spec", function()
  it("found the examples and sessions it checks", function()
    assert.is_true(found.lua >= 8, "Lua examples found: " .. found.lua)
    assert.is_true(found.repl >= 4, "REPL sessions found: " .. found.repl)
    assert.is_true(found.spec >= 1, "spec files found: " .. found.spec)
    assert.is_true(found.sh >= 2, "lua -e lines found: " .. found.sh)
  end)

  it("tells a matching output from a wrong one", function()
    assert.is_true(matches("S_OK requests=1 ... requests=3 true", "S_OK\trequests=1 x y requests=3 true"))
    assert.is_false(matches("S_OK requests=1 ... requests=3 true", "S_OK requests=1 requests=3 false"))
    assert.is_false(matches("true  S_OK", "true S_OK (0x00000000): success"))
    local ok, err = pcall(run_lua, { file = "x.md", line = 1, lines = { 'print("a")  --> b' } })
    assert.is_false(ok)
    assert.matches("x.md:1 printed\n  a\nwhere the page shows\n  b", tostring(err), 1, true)
    ok = pcall(run_repl, { file = "x.md", line = 1, lines = { "> 1 + 1", "3" } })
    assert.is_false(ok)
    run_repl({ file = "x.md", line = 1,
               lines = { "> 1 + 1", "2", "> t = {}", "> error('stdin:1: no', 0)", "stdin:1: no" } })
    ok, err = pcall(run_shell_line, "x.md", { line = 1, code = 'print(1, 2)', expected = "1" })
    assert.is_false(ok)
    assert.matches("x.md:1: lua -e printed", tostring(err), 1, true)
    ok, err = pcall(run_spec, { file = "x.md", line = 1, lines = {
      "-- failing_spec.lua: a spec that fails", "it('fails', function() assert.equal(1, 2) end)" } })
    assert.is_false(ok)
    assert.matches("the spec failing_spec.lua did not pass", tostring(err), 1, true)
  end)
end)
