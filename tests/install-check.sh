#!/bin/sh
# TAP: `luarocks make` of our rockspec installs offline into a fresh tree,
# and a plain lua5.4 finds the module there.
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
echo "1..2"
if luarocks --lua-version=5.4 --tree="$tree" make rockspec/customaction-scm-1.rockspec \
     >"$tree/log" 2>&1; then
  echo "ok 1 - luarocks make installs into a fresh tree"
else
  sed 's/^/# /' "$tree/log"
  echo "not ok 1 - luarocks make installs into a fresh tree"
fi
out=$(LUA_PATH="$tree/share/lua/5.4/?.lua;$tree/share/lua/5.4/?/init.lua" \
      LUA_CPATH="$tree/lib/lua/5.4/?.so" \
      lua5.4 -e 'local ca = require "customaction"
                 local n = 0
                 local cb = ca.callback(function() n = n + 1 end)
                 cb:report(ca.S_OK, "x", true)
                 io.write(tostring(ca.E_ACCESSDENIED == ca.hresult(0x80070005)), " ", n)' 2>&1)
if [ "$out" = "true 1" ]; then
  echo "ok 2 - the installed module loads and delivers"
else
  echo "# $out"
  echo "not ok 2 - the installed module loads and delivers"
fi
