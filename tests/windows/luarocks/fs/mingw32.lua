-- TEST-ONLY: two Wine workarounds for LuaRocks, used only by make windows
-- (tools/winrock-check.sh), which puts this directory first on LUA_PATH
-- when it runs LuaRocks under Wine; never installed, never in a rock.
--
-- is_dir, is_file: LuaRocks' fs/win32.lua tells a directory from a file by opening it:
-- fopen("dir") fails with EACCES (13), and fopen("dir\\") then fails with
-- ENOENT (2) on Windows but with EACCES again under Wine, so every
-- directory reads as missing and LuaRocks refuses to create its tree.
-- LuaRocks loads luarocks.fs.<platform> most specific first, so this
-- module (platform "mingw32", the most specific of those its detection
-- gives a Windows system without MSYS) answers before fs/win32.lua, with
-- lfs's attributes, as LuaRocks' own fs/lua.lua does wherever no platform
-- module answers.
--
-- set_permissions: LuaRocks sets every installed file's and directory's
-- ACL with two icacls.exe runs, but Wine's icacls is a stub ("This is
-- dummy icacls, not performing ACL manipulations": Wine maps access to
-- Unix permissions), so the runs change nothing and only cost a process
-- start each, some 160 for this rock, minutes on a loaded machine. Here
-- they are skipped; on Windows LuaRocks runs them.
local lfs = require "lfs"
local dir = require "luarocks.dir"

local mingw32 = {}

local function mode(file)
  return lfs.attributes(dir.normalize(file), "mode")
end

function mingw32.is_dir(file) return mode(file) == "directory" end
function mingw32.is_file(file) return mode(file) == "file" end

function mingw32.set_permissions() return true end

return mingw32
