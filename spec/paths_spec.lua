-- Non-ASCII paths through each route: ca.load of a protocol manager in a
-- directory named "pm-ü" and "pm-ü-日本", the command given such a path
-- on its command line, and ca.ansi between UTF-8 and the ANSI code page
-- that Lua's own functions (io.open, arg, os.getenv) use on Windows. On
-- Windows the directories are made and the command started through the
-- wide (UTF-16) functions (the test-only widefs module, as Explorer and a
-- console do); elsewhere a path is bytes and ca.ansi changes nothing.
local ca = require "customaction"
local support = require "support"

local LUA = os.getenv("CHILD_LUA") or "lua5.4"
local BUILD = os.getenv("CA_BUILD") or "build"
-- in this process, a checker's build (CA_SAMPLEPM, CA_LUAPM) where it
-- names one; in a child interpreter, the plain build
local SAMPLE = support.pm_library("samplepm", "CA_SAMPLEPM")
local CHILD_SAMPLE = support.pm_library("samplepm")
local LUAPM = os.getenv("CA_LUAPM") or BUILD .. "/customaction/luapm." .. support.libext
local CP = ca.ansi.codepage()
-- "ü" is in the Western code pages (1252, Wine's for an English or C
-- locale); "日本" in Japanese and Chinese ones and in UTF-8 (65001) alone
local NAMES = { "pm-\195\188", "pm-\195\188-\230\151\165\230\156\172" }

-- Whether Lua's own functions can name s here: its ANSI form, or nil.
local function ansi_form(s)
  local ok, a = pcall(ca.ansi.encode, s)
  return ok and a or nil
end

local fs = {}
if support.windows then
  local widefs = require "widefs"
  function fs.mkdir(d) return widefs.mkdir(d) end
  function fs.copy(a, b) assert(widefs.copy(a, b)) end
  function fs.remove(f) widefs.remove(f) end
  function fs.rmdir(d) widefs.rmdir(d) end
else
  local function sh(line) assert(os.execute(line)) end
  local q = support.quote
  function fs.mkdir(d) sh("mkdir -p " .. q(d)) end
  function fs.copy(a, b) sh("cp " .. q(a) .. " " .. q(b)) end
  function fs.remove(f) os.remove(f) end
  function fs.rmdir(d) os.remove(d) end
end

-- BUILD/NAME/samplepm.<ext>, and luapm with its script, for each name,
-- made once for the file. On Windows a loaded DLL cannot be deleted while
-- its process lives (ca.load never unloads one): those files stay, and
-- the next run copies over them.
local dirs, copies, child_copies, luapms = {}, {}, {}, {}
setup(function()
  for i, name in ipairs(NAMES) do
    dirs[i] = BUILD .. "/" .. name
    copies[i] = dirs[i] .. "/samplepm." .. support.libext
    child_copies[i] = dirs[i] .. "/child-samplepm." .. support.libext
    luapms[i] = dirs[i] .. "/luapm." .. support.libext
    fs.mkdir(dirs[i])
    fs.copy(SAMPLE, copies[i])
    fs.copy(CHILD_SAMPLE, child_copies[i])
    fs.copy(LUAPM, luapms[i])
    fs.copy("examples/luapm.lua", dirs[i] .. "/luapm.lua")
  end
end)
teardown(function()
  for i in ipairs(NAMES) do
    for _, f in ipairs({ copies[i], child_copies[i], luapms[i], dirs[i] .. "/luapm.lua" }) do fs.remove(f) end
    fs.rmdir(dirs[i])
  end
end)

describe("ca.load", function()
  it("loads a library from a directory named with non-ASCII characters (UTF-8)", function()
    for i in ipairs(NAMES) do
      local pm = ca.load(copies[i])
      local got = {}
      local hr = pm:custom_actions():run("Echo", "hi", function(_, response) got[#got + 1] = response end)
      assert.equal(ca.S_OK, hr, copies[i])
      assert.same({ ca.utf16.encode("hi") }, got)
      assert.equal(ca.S_OK, pm:shutdown())
      pm:close()
      assert.matches((NAMES[i]:gsub("%p", "%%%0")), tostring(pm))
    end
  end)

  -- luapm opens the script beside it with the C runtime's fopen and Lua's
  -- loader, which take the ANSI code page on Windows
  for i, name in ipairs(NAMES) do
    local runs = ansi_form(name) and it or function(what)
      pending(what .. ": the ANSI code page " .. tostring(CP) .. " has no form for " .. name ..
              ", where luapm opens its script with the C runtime's fopen")
    end
    runs("loads luapm from " .. name .. ", which runs the script beside it", function()
      local pm = ca.load(luapms[i])
      local acts = pm:custom_actions()
      local got
      assert.equal(ca.S_OK, acts:run("Echo", "hello", function(_, response) got = response end))
      for _ = 1, 200 do
        if got then break end
        ca.wait(0.05)
      end
      assert.equal("hello", got)
      acts:close()
      pm:close()
    end)
  end

  if support.windows then
    it("refuses a path in the ANSI code page, naming the byte and the cure", function()
      local ansi = assert(ansi_form(copies[1]), "the ANSI code page has ü")
      local at = #BUILD + 5   -- "/pm-" then ü, one byte in the code page
      assert.error_matches(function() ca.load(ansi) end,
        "bad argument #1 to 'load' %(path: [%w%- ]+ at byte " .. at .. " %(a path is UTF%-8; ca%.ansi%.decode")
      local pm = ca.load(ca.ansi.decode(ansi))
      pm:close()
    end)
  end
end)

describe("customaction (the command)", function()
  -- through cmd.exe in UTF-16 on Windows: the arguments reach lua.exe in
  -- the ANSI code page, and the command reads them again (ca.ansi.arg)
  it("takes a non-ASCII library path on its command line", function()
    for i in ipairs(NAMES) do
      -- CHILD_LUA may be an emulator and its interpreter (make x86)
      local argv = support.words(LUA)
      for _, a in ipairs({ "bin/customaction", "health", child_copies[i] }) do argv[#argv + 1] = a end
      local out, err, code = support.run(argv)
      assert.equal(0, code, err)
      assert.equal(child_copies[i] .. ": healthy, idle\n", out)
    end
  end)
end)

describe("ca.ansi", function()
  describe("encode and decode", function()
    it("round-trip a path Lua's own io.open then opens", function()
      local a = assert(ansi_form(copies[1]), "every ANSI code page of a Western locale has ü")
      assert.equal(copies[1], ca.ansi.decode(a))
      if CP == nil or CP == 65001 then assert.equal(copies[1], a) end
      if CP == 1252 then assert.matches("/pm%-\252/samplepm%.dll$", a) end
      local f = assert(io.open(a, "rb"))
      local magic = f:read(4)
      f:close()
      assert.is_truthy(magic == "MZ\144\0" or magic == "\127ELF", magic)
    end)

    -- io.open with a name the code page lacks: possible only where it has one
    local far = NAMES[2]
    local runs = ansi_form(far) and it or function(name)
      pending(name .. ": the ANSI code page " .. tostring(CP) .. " has no form for " .. far ..
              ", so Lua's io.open cannot name it (ca.ansi.encode refuses it: see below)")
    end
    runs("round-trip a path with characters of a far script, which io.open opens", function()
      local i = 2
      local a = ansi_form(copies[i])
      assert.equal(copies[i], ca.ansi.decode(a))
      local f = assert(io.open(a, "rb"))
      f:close()
    end)

    it("refuse a character the ANSI code page has no form for, naming it: never a '?'", function()
      if ansi_form(far) then
        assert.equal(far, ca.ansi.decode(ca.ansi.encode(far)))
      else
        assert.error_matches(function() ca.ansi.encode(far) end,
          "bad argument #1 to 'encode' %(U%+65E5 at byte 7 has no form in the ANSI code page %(" .. CP .. "%)%)")
      end
    end)

    it("take a string and name the argument otherwise", function()
      assert.error_matches(function() ca.ansi.encode({}) end,
        "bad argument #1 to 'encode' %(string expected, got table%)")
      assert.error_matches(function() ca.ansi.decode(nil) end,
        "bad argument #1 to 'decode' %(string expected, got nil%)")
      assert.equal("", ca.ansi.encode(""))
      assert.equal("", ca.ansi.decode(""))
    end)

    it("refuse to encode text that is not UTF-8 on Windows, and change nothing elsewhere", function()
      if CP then
        assert.error_matches(function() ca.ansi.encode("a\255") end,
          "bad argument #1 to 'encode' %(.*UTF%-8.* at byte 2%)")
      else
        assert.equal("a\255", ca.ansi.encode("a\255"))
        assert.equal("a\255", ca.ansi.decode("a\255"))
      end
    end)
  end)

  describe("codepage", function()
    it("is the ANSI code page's number on Windows, nil elsewhere", function()
      if support.windows then
        assert.is_true(math.type(CP) == "integer" and CP > 0, tostring(CP))
      else
        assert.is_nil(CP)
      end
    end)
  end)

  describe("arg", function()
    it("gives the interpreter's arg with the script's arguments as the command line has them", function()
      local got = ca.ansi.arg(arg)
      assert.is_not.equal(arg, got)
      for i = 0, #arg do
        if not arg[i]:find("[\128-\255?]") then assert.equal(arg[i], got[i]) end
      end
      assert.equal(arg[-1], got[-1])
    end)

    it("refuses a table the command line does not end with (Windows), copies it elsewhere", function()
      local t = { [0] = "no-such-script.lua", "no", "such", "arguments" }
      if support.windows then
        assert.error_matches(function() ca.ansi.arg(t) end, "the command line does not match arg: arg%[%d%] is")
      else
        assert.same(t, ca.ansi.arg(t))
      end
      assert.error_matches(function() ca.ansi.arg("x") end, "bad argument #1 to 'arg' %(table expected, got string%)")
    end)
  end)
end)
