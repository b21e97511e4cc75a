#!/bin/sh
# TAP: the release files of `make dist` hold everything. The tarball holds
# the tree under customaction-<version>/; the .src.rock holds the published
# rockspec and the tarball; LuaRocks installs the rock into an empty tree
# with no rocks server (offline), and a fresh interpreter, with nothing of
# the checkout on its paths, loads the module from there and runs the
# installed customaction command. Then a native host with no Lua, built
# against the installed headers that `customaction --paths` names, loads
# the installed luapm and has it serve a script of its own.
# Usage: tools/dist-check.sh [DIR]   (DIR: where make dist wrote, build/dist)
LUA=${LUA:-lua5.4}
case $LUA in *luajit*) ver=5.1 ;; *) ver=$($LUA -e 'io.write((_VERSION:match("%d+%.%d+")))') ;; esac
v=$(git show HEAD:VERSION)
dir=${1:-build/dist}
tarball=$dir/customaction-$v.tar.gz rock=$dir/customaction-$v-1.src.rock
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
result() {  # result STATUS DESCRIPTION [LOG]
  n=$((n + 1))
  if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else
    [ -n "$3" ] && sed 's/^/# /' "$3"
    echo "not ok $n - $2"
  fi
}
# a fresh interpreter: no LUA_PATH, LUA_CPATH or anything else from make
fresh() { env -i PATH="$PATH" HOME="$work" "$@"; }
echo "1..6"

missing=""
listing=$(tar -tzf "$tarball" 2>/dev/null)
for f in VERSION LICENSE CHANGELOG.md README.md "rockspec/customaction-$v-1.rockspec" \
         bin/customaction lua/customaction/init.lua src/lua/lcore.c; do
  echo "$listing" | grep -qx "customaction-$v/$f" || missing="$missing $f"
done
[ -n "$listing" ] && [ -z "$missing" ]
result $? "the tarball holds the tree under customaction-$v/${missing:+ (missing:$missing)}"

unzip -l "$rock" > "$work/rock.txt" 2>&1
unzip -p "$rock" "customaction-$v-1.rockspec" 2>/dev/null | cmp -s - "rockspec/customaction-$v-1.rockspec" &&
  grep -q " customaction-$v.tar.gz\$" "$work/rock.txt"
result $? "the .src.rock holds the published rockspec and the tarball" "$work/rock.txt"

mkdir -p "$work/no-server"
fresh luarocks --lua-version="$ver" --tree="$work/tree" --only-server="$work/no-server" \
  install "$rock" > "$work/install.txt" 2>&1
result $? "luarocks installs the .src.rock into an empty tree offline" "$work/install.txt"

tree=$work/tree
smoke=$(pwd)/tests/install_smoke.lua
(cd "$work" && fresh $LUA -e "package.path='$tree/share/lua/$ver/?.lua;$tree/share/lua/$ver/?/init.lua'
    package.cpath='$tree/lib/lua/$ver/?.so'" "$smoke") > "$work/smoke.txt" 2>&1
[ "$(cat "$work/smoke.txt")" = "$v $tree/share/lua/$ver/customaction/init.lua" ]
result $? "a fresh $LUA loads the installed module $v, and it delivers" "$work/smoke.txt"

{ fresh "$tree/bin/customaction" --version &&
  fresh "$tree/bin/customaction" hresult 0x80070005 &&
  fresh "$tree/bin/customaction" --json-lines sim Counters --count 2; } > "$work/cli.txt" 2>&1
[ "$(head -1 "$work/cli.txt")" = "customaction $v" ] &&
  grep -q '^E_ACCESSDENIED$' "$work/cli.txt" &&
  [ "$(grep -c '^{"action":"Counters"' "$work/cli.txt")" -eq 3 ]
result $? "the installed customaction command runs" "$work/cli.txt"

# the paths as the command prints them; the host sets no LUA_PATH: luapm
# finds the module's Lua files in its own tree
paths=$(fresh "$tree/bin/customaction" --paths 2>&1)
include=$(echo "$paths" | sed -n 's/^include *//p') luapm=$(echo "$paths" | sed -n 's/^luapm *//p')
cat > "$work/echo.lua" <<'LUA'
local ca = require "customaction"
return ca.provider{ actions = {
  Echo = function(args, reply) return reply:finish(ca.S_OK, "echo " .. args) end,
} }
LUA
{ echo "$paths"
  ${CC:-cc} -std=c11 -Wall -Wextra -Werror -pthread -I"$include" -o "$work/host" tests/luapm_host.c -ldl &&
  (cd "$work" && fresh CUSTOMACTION_LUAPM_SCRIPT="$work/echo.lua" \
     timeout 20 ./host "$luapm" Echo hi); } > "$work/host.txt" 2>&1
[ "$(tail -1 "$work/host.txt")" = "Echo hi: 0x00000000 echo hi" ]
result $? "a native host built against the installed headers runs a script on the installed luapm" "$work/host.txt"
