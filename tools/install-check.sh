#!/bin/sh
# TAP: `luarocks make` of our rockspec installs offline into a fresh tree
# from a copy of the sources (so nothing is written into the checkout),
# a plain interpreter ($LUA, default lua5.4) finds the module there, and
# the installed module exports nothing but luaopen_* and the
# customaction_* functions of include/customaction.h, and the installed
# customaction command runs. On Unix the rock also installs luapm and the
# C headers beside the module (customaction --paths names them), and
# leaves no ./customaction/core.so in the sources, where Lua's ./?.so
# would find it before a fresh build.
# LuaJIT takes the 5.1 tree, as LuaRocks arranges it.
LUA=${LUA:-lua5.4}
ver=$($LUA -e 'io.write((_VERSION:match("%d+%.%d+")))')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tree=$work/tree src=$work/src
mkdir -p "$src"
# the tracked files and the new ones git does not ignore, as they are now
git ls-files -co --exclude-standard | tar -cf - -T - | tar -xf - -C "$src"
echo "1..6"
if (cd "$src" && luarocks --lua-version="$ver" --tree="$tree" make rockspec/customaction-scm-1.rockspec) \
     >"$work/log" 2>&1; then
  echo "ok 1 - luarocks make installs into a fresh $ver tree"
else
  sed 's/^/# /' "$work/log"
  echo "not ok 1 - luarocks make installs into a fresh $ver tree"
fi
out=$(LUA_PATH="$tree/share/lua/$ver/?.lua;$tree/share/lua/$ver/?/init.lua" \
      LUA_CPATH="$tree/lib/lua/$ver/?.so" \
      $LUA -e 'local ca = require "customaction"
               local n = 0
               local cb = ca.callback(function() n = n + 1 end)
               cb:report(ca.S_OK, "x", true)
               io.write(tostring(ca.E_ACCESSDENIED == ca.hresult(0x80070005)), " ", n)' 2>&1)
if [ "$out" = "true 1" ]; then
  echo "ok 2 - $LUA loads the installed module and it delivers"
else
  echo "# $out"
  echo "not ok 2 - $LUA loads the installed module and it delivers"
fi
exported=$(nm -D --defined-only "$tree/lib/lua/$ver/customaction/core.so" 2>&1 | awk '{print $NF}' | grep -v '^luaopen_\|^customaction_' | tr '\n' ' ')
if [ -z "$exported" ]; then
  echo "ok 3 - the installed module exports only luaopen_* and customaction_*"
else
  echo "# also exported: $exported"
  echo "not ok 3 - the installed module exports only luaopen_* and customaction_*"
fi
out=$(env -i PATH="$PATH" "$tree/bin/customaction" hresult --json 0x80070005 2>&1)
case $out in
  *'"name":"E_ACCESSDENIED"'*) echo "ok 4 - the tree's customaction command runs" ;;
  *) echo "# $out"; echo "not ok 4 - the tree's customaction command runs" ;;
esac
out=$(env -i PATH="$PATH" "$tree/bin/customaction" --paths 2>&1)
lib=$tree/lib/lua/$ver/customaction
expected="module  $tree/share/lua/$ver/customaction/init.lua
core    $lib/core.so
luapm   $lib/luapm.so
include $lib/include"
if [ "$out" = "$expected" ] && [ -f "$lib/include/customaction.h" ] && [ -f "$lib/include/wpf.h" ]; then
  echo "ok 5 - the tree holds luapm and the C headers, and customaction --paths names them"
else
  echo "$out" | sed 's/^/# /'
  echo "not ok 5 - the tree holds luapm and the C headers, and customaction --paths names them"
fi
left=$(cd "$src" && ls -d customaction customaction.so 2>/dev/null)
if [ -z "$left" ]; then
  echo "ok 6 - luarocks make leaves no module where ./?.so finds it"
else
  echo "# left in the sources: $left"
  echo "not ok 6 - luarocks make leaves no module where ./?.so finds it"
fi
