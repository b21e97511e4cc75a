#!/bin/sh
# TAP: the binary rock for 64-bit Windows that make dist writes installs
# with LuaRocks and runs. Its rock_manifest names every file it holds with
# that file's MD5. LuaRocks itself (the Lua sources of Debian's luarocks
# package and its `luarocks` script) runs under Wine on the cross-built
# lua.exe and installs the rock into an empty tree with no rocks server;
# a fresh lua.exe with only that tree's paths loads the module from it and
# it delivers; the customaction.bat wrapper LuaRocks wrote runs the
# installed command under cmd.exe; and that command runs an action of the
# installed luapm.dll, which serves the sample script installed beside it.
#
# What the official Windows LuaRocks ships and LuaRocks needs here is
# supplied by the test tooling alone, never installed: a `zlib` Lua module
# to unpack the rock (tests/windows/zlib_standin.c; luarocks.exe carries
# lua-zlib, and lfs, which build/mingw-lua has), and a platform module for
# two Wine quirks (tests/windows/luarocks/fs/mingw32.lua). No MD5 tool: an
# install takes the rock_manifest as it is; only building or packing a
# rock computes MD5s, which make dist does on Linux.
# Usage: winrock-check.sh [LUA_DIR BUILD_DIR ROCK]   (make windows runs it
#   with none: build/mingw-lua, CA_BUILD or build/mingw, and make dist's
#   rock; WINEPREFIX from make)
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
lua=${1:-build/mingw-lua}
build=${2:-${CA_BUILD:-build/mingw}}
v=$(cat "$root/VERSION")
rock=${3:-build/dist/customaction-$v-1.win32-x86_64.rock}
abs() { case $1 in /*) echo "$1" ;; *) echo "$root/$1" ;; esac; }
lua=$(abs "$lua") build=$(abs "$build") rock=$(abs "$rock")
n=0 status=0
result() {  # result STATUS DESCRIPTION [LOG]
  n=$((n + 1))
  if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else
    [ -n "$3" ] && sed 's/^/# /' "$3"
    echo "not ok $n - $2"; status=1
  fi
}
echo "1..5"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# every file of the rock against its rock_manifest entry
mkdir "$work/rock"
if unzip -q "$rock" -d "$work/rock" 2>"$work/manifest.txt"; then
  (cd "$work/rock" && lua5.4 -e '
    local t = {}
    assert(loadfile("rock_manifest", "t", t))()
    local function walk(tree, prefix)
      for k, v in pairs(tree) do
        if type(v) == "table" then walk(v, prefix .. k .. "/") else print(v .. "  " .. prefix .. k) end
      end
    end
    walk(t.rock_manifest, "")' > "$work/sums" &&
    md5sum -c --quiet "$work/sums" &&
    [ "$(find . -type f ! -name rock_manifest | wc -l)" -eq "$(wc -l < "$work/sums")" ]
  ) >> "$work/manifest.txt" 2>&1
  r=$?
else r=1; fi
result $r "$(basename "$rock"): its rock_manifest names every file with its MD5" "$work/manifest.txt"

if ! command -v wine >/dev/null 2>&1; then
  for d in "LuaRocks installs the rock" "the module runs from the tree" \
           "customaction.bat runs" "the installed luapm.dll serves its script"; do
    n=$((n + 1)); echo "ok $n - $d # SKIP wine is not installed, so it was not run"
  done
  exit $status
fi
w() { winepath -w "$1" 2>/dev/null; }
# forward slashes: LuaRocks walks up a tree's path by them to find where
# it may create the tree
wf() { w "$1" | sed 's,\\,/,g'; }
tree=$(wf "$work/tree")
exe=$(w "$lua/lua.exe")
mkdir "$work/no-server"
cat > "$work/config.lua" <<EOF
rocks_trees = { { name = "test", root = [[$tree]] } }
rocks_servers = { [[$(wf "$work/no-server")]] }
lua_interpreter = "lua.exe"
variables = { LUA_BINDIR = [[$(wf "$lua")]], LUA_INCDIR = [[$(wf "$lua/include")]],
  LUA_LIBDIR = [[$(wf "$lua")]] }
EOF
# nothing of the checkout or of make's environment on the paths: LuaRocks
# from Debian's package, the stand-ins first, lfs beside lua.exe
LUAROCKS_CONFIG=$(w "$work/config.lua") \
  LUA_PATH="$(w "$root/tests/windows")\\?.lua;$(w /usr/share/lua/5.4)\\?.lua" \
  LUA_CPATH="$(w "$build/luarocks")\\?.dll;!\\?.dll" \
  wine "$exe" "$(w /usr/bin/luarocks)" install "$(w "$rock")" 2>&1 | tr -d '\r' > "$work/install.txt"
grep -q "^customaction $v-1 is now installed in $tree" "$work/install.txt" &&
  [ -f "$work/tree/lib/lua/5.4/customaction/core.dll" ] && [ -f "$work/tree/bin/customaction.bat" ]
result $? "LuaRocks under Wine installs the rock into an empty tree, offline" "$work/install.txt"
sed 's/^/# /' "$work/install.txt"

# a fresh interpreter: only the tree's paths
(cd "$work" && env -u LUA_PATH -u LUA_CPATH -u LUA_INIT wine "$exe" -e "
    package.path = '$tree/share/lua/5.4/?.lua;$tree/share/lua/5.4/?/init.lua'
    package.cpath = '$tree/lib/lua/5.4/?.dll'" "$(w "$root/tests/install_smoke.lua")") 2>&1 |
  tr -d '\r' > "$work/smoke.txt"
[ "$(cat "$work/smoke.txt")" = "$v $tree/share/lua/5.4/customaction/init.lua" ]
result $? "a fresh lua.exe loads the installed module $v from the tree, and it delivers" "$work/smoke.txt"

bat=$(w "$work/tree/bin/customaction.bat")
{ env -u LUA_PATH -u LUA_CPATH wine cmd /c "$bat" --version &&
  env -u LUA_PATH -u LUA_CPATH wine cmd /c "$bat" hresult 0x80070005; } 2>&1 | tr -d '\r' > "$work/cli.txt"
[ "$(head -1 "$work/cli.txt")" = "customaction $v" ] && grep -q '^E_ACCESSDENIED$' "$work/cli.txt"
result $? "the customaction.bat LuaRocks wrote runs the installed command under cmd.exe" "$work/cli.txt"

luapm=$(w "$work/tree/lib/lua/5.4/customaction/luapm.dll")
env -u LUA_PATH -u LUA_CPATH -u CUSTOMACTION_LUAPM_SCRIPT wine cmd /c "$bat" run "$luapm" Echo hi 2>&1 |
  tr -d '\r' > "$work/luapm.txt"
[ "$(tail -1 "$work/luapm.txt")" = "hi" ] && grep -q '^Echo: S_OK' "$work/luapm.txt"
result $? "the installed command runs Echo on the installed luapm.dll, which serves the luapm.lua beside it" "$work/luapm.txt"
exit $status
