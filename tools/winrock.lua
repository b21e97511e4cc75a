-- make dist: the binary rock for 64-bit Windows,
-- customaction-<version>-1.win32-x86_64.rock, from the published rockspec,
-- the source tree of the release tarball and the mingw-w64 build's DLLs,
-- laid out as `luarocks pack` packs an installed rock: the rockspec and a
-- rock_manifest (every file's MD5) at the top, then lib/, lua/, bin/ and
-- doc/ as LuaRocks' build step fills them on Windows. That step reads the
-- rockspec with the Windows platform overrides applied: the builtin
-- backend's modules (C ones as DLLs under lib/), install.lua, install.lib
-- and install.bin by the same rules as LuaRocks' install_to, and, with no
-- copy_directories and no doc/, the top-level README, LICENSE, COPYING and
-- *.md as doc/. A rock built by LuaRocks on Windows holds core.dll only
-- (the builtin backend cannot build luapm, which links the Lua library);
-- this one also carries luapm.dll and its sample script beside it (the
-- script luapm runs when no other is named), as two more lib entries.
-- The rock_manifest is written by LuaRocks' own persist module (Debian's
-- luarocks package), the archive by zip.
-- Usage: lua5.4 tools/winrock.lua ROCKSPEC SRCDIR BUILDDIR OUT
--   SRCDIR: the release's source tree; BUILDDIR: the mingw-w64 build, where
--   the DLLs are (BUILDDIR/customaction/core.dll, luapm.dll)
local rockspec_file, srcdir, builddir, out = arg[1], arg[2], arg[3], arg[4]
if not out then
  io.stderr:write("usage: winrock.lua ROCKSPEC SRCDIR BUILDDIR OUT\n")
  os.exit(2)
end
local persist = require "luarocks.persist"

local function fail(msg) io.stderr:write("winrock: ", msg, "\n"); os.exit(1) end
local function q(s) return "'" .. s:gsub("'", "'\\''") .. "'" end
local function run(cmd) if not os.execute(cmd) then fail("failed: " .. cmd) end end
local function lines(cmd)
  local t, p = {}, io.popen(cmd)
  for l in p:lines() do t[#t + 1] = l end
  p:close()
  return t
end

-- the rockspec, as LuaRocks reads it: a chunk that sets globals
local spec = {}
local chunk, err = loadfile(rockspec_file, "t", spec)
if not chunk then fail(err) end
chunk()
local name, version = spec.package, spec.version

-- LuaRocks' platform overrides, least specific first, for what its
-- detection calls a Windows system without MSYS (mingw)
local function merge(dst, src)
  for k, v in pairs(src) do
    if type(v) == "table" and type(dst[k]) == "table" then merge(dst[k], v) else dst[k] = v end
  end
end
local build = spec.build
for _, p in ipairs({ "windows", "win32", "mingw32", "mingw" }) do
  if build.platforms and build.platforms[p] then merge(build, build.platforms[p]) end
end
if build.type ~= "builtin" then fail("the Windows build type is " .. tostring(build.type) .. ", not builtin") end

-- { dest = path inside the rock, src = the file to copy }; names from the
-- rockspec are relative to the source tree
local files = {}
local function add(dest, src) files[#files + 1] = { dest = dest, src = src } end
local function from_src(f) return srcdir .. "/" .. f end

-- luarocks.path.module_to_path: the directories of a dotted name
local function module_dir(modname) return (modname:gsub("[^.]*$", ""):gsub("%.", "/")) end

-- luarocks.build's install_to, for one table of the install section
local function install_to(entries, location, is_module_path, where)
  for k, file in pairs(entries or {}) do
    local filename = file:match("[^/]*$")
    local dest = location
    if type(k) == "string" then
      if is_module_path then
        dest = location .. "/" .. module_dir(k)
        if filename:match("%.lua$") then filename = k:match("([^.]+)$") .. ".lua" end
      else
        local d = k:match("^(.*)/[^/]*$")
        dest = d and location .. "/" .. d or location
        filename = k:match("[^/]*$")
      end
    end
    add((dest .. "/" .. filename):gsub("//+", "/"), where(file))
  end
end

-- the builtin backend: C modules built as DLLs, Lua modules copied
for modname, m in pairs(build.modules or {}) do
  local path = modname:gsub("%.", "/")
  if type(m) == "string" and m:match("%.lua$") then
    add("lua/" .. path .. ".lua", from_src(m))
  else
    add("lib/" .. path .. ".dll", builddir .. "/" .. path .. ".dll")
  end
end
local install = build.install or {}
install_to(install.lua, "lua", true, from_src)
install_to(install.lib, "lib", true, from_src)
install_to(install.bin, "bin", false, from_src)
install_to(install.conf, "conf", false, from_src)
-- luapm.dll beside core.dll, as the Unix build installs luapm.so, and
-- the sample script luapm.lua beside it (install_to names it by the module)
install_to({ ["customaction.luapm"] = builddir .. "/customaction/luapm.dll" }, "lib", true, function(f) return f end)
install_to({ ["customaction.luapm"] = "examples/luapm.lua" }, "lib", true, from_src)

-- documentation: copy_directories, else doc/, else the default docs
local docs = build.copy_directories
if not docs and os.execute("test -d " .. q(srcdir .. "/doc")) then docs = { "doc" } end
if docs then
  for _, d in ipairs(docs) do
    for _, f in ipairs(lines("cd " .. q(srcdir) .. " && find " .. q(d) .. " -type f | sort")) do add(f, from_src(f)) end
  end
else
  for _, f in ipairs(lines("ls -A " .. q(srcdir))) do
    local l = f:lower()
    if l:match("^readme") or l:match("^license") or l:match("^copying") or l:match("%.md$") then
      add("doc/" .. f, from_src(f))
    end
  end
end

-- the rock's tree, staged, then its manifest and the archive
local stage = lines("mktemp -d")[1]
local manifest = {}
local function enter(tree, dest, sum)
  local dir, rest = dest:match("^([^/]+)/(.+)$")
  if not dir then tree[dest] = sum; return end
  tree[dir] = tree[dir] or {}
  enter(tree[dir], rest, sum)
end
local rockspec_name = name .. "-" .. version .. ".rockspec"
add(rockspec_name, rockspec_file)
for _, f in ipairs(files) do
  local dest = stage .. "/" .. f.dest
  run("mkdir -p " .. q(dest:match("^(.*)/")) .. " && cp " .. q(f.src) .. " " .. q(dest))
  enter(manifest, f.dest, lines("md5sum " .. q(dest))[1]:match("^(%x+)"))
end
assert(persist.save_from_table(stage .. "/rock_manifest", { rock_manifest = manifest }))
local abs_out = out:sub(1, 1) == "/" and out or lines("pwd")[1] .. "/" .. out
run("rm -f " .. q(abs_out) .. " && cd " .. q(stage) .. " && zip -q -r -X " .. q(abs_out) .. " .")
run("rm -rf " .. q(stage))
