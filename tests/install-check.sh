#!/bin/sh
# TAP: `luarocks make` of our rockspec installs offline into a fresh tree,
# and a plain interpreter ($LUA, default lua5.4) finds the module there.
# LuaJIT takes the 5.1 tree, as LuaRocks arranges it.
LUA=${LUA:-lua5.4}
ver=$($LUA -e 'io.write((_VERSION:match("%d+%.%d+")))')
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
echo "1..2"
if luarocks --lua-version="$ver" --tree="$tree" make rockspec/customaction-scm-1.rockspec \
     >"$tree/log" 2>&1; then
  echo "ok 1 - luarocks make installs into a fresh $ver tree"
else
  sed 's/^/# /' "$tree/log"
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
