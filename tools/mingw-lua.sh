#!/bin/sh
# Builds a Windows Lua 5.4 and the busted stack for it, from Debian's own
# packages, into OUT (make windows runs it once; the result is cached):
#   OUT/lua.exe, OUT/lua54.dll, OUT/include/   Lua, from the lua5.4 source
#       package as tools/debian-lua.sh unpacks it, then Lua's own
#       `make mingw`
#   OUT/lfs.dll, OUT/term/core.dll             cross-built from the upstream
#       tarballs of lua-filesystem and lua-term
#   OUT/lua/, OUT/busted                        Debian's installed pure-Lua
#       busted stack, copied with links resolved, and its runner script
# Lua's default paths on Windows look beside lua.exe and in its lua\
# folder, so this tree needs no LUA_PATH of its own. system.core, which
# busted needs too, is a stand-in of ours (tests/windows/system_core.c):
# its Debian source package is not served.
# Usage: mingw-lua.sh [--lua-only] OUT SRCDIR   (SRCDIR keeps the downloads;
#   --lua-only: Lua alone, for a build nothing runs, as make windows32's;
#   MINGW_CC picks the compiler, so the target)
set -e
lua_only=
[ "$1" = --lua-only ] && { lua_only=1; shift; }
out=${1:?usage: mingw-lua.sh [--lua-only] OUT SRCDIR}
src=${2:?usage: mingw-lua.sh [--lua-only] OUT SRCDIR}
here=$(dirname "$0")
CC=${MINGW_CC:-x86_64-w64-mingw32-gcc}
work=$src/work-${out##*/}   # one per OUT: two targets may build at once

# ---- sources (downloaded once) ----------------------------------------------
# upstream tarballs only: lua-filesystem's Debian part patches nothing, and
# lua-term's (whose C is one function) is not served by every mirror
if [ -z "$lua_only" ] &&
   ! ls "$src"/lua-filesystem_*.orig.tar.* "$src"/lua-term_*.orig.tar.* >/dev/null 2>&1; then
  sh "$here/debian-source.sh" "$src" --tar-only lua-filesystem lua-term
fi

rm -rf "$out" "$work"
mkdir -p "$out/include" "$out/term" "$out/lua" "$work"

# ---- Lua ----------------------------------------------------------------
echo "mingw-lua: $(sh "$here/debian-lua.sh" "$src" "$work/lua")"
make -s -C "$work/lua/src" mingw CC="$CC" >/dev/null
cp "$work/lua/src/lua.exe" "$work/lua/src/lua54.dll" "$out/"
for h in lua.h luaconf.h lualib.h lauxlib.h lua.hpp; do
  cp "$work/lua/src/$h" "$out/include/"
done
if [ -n "$lua_only" ]; then
  rm -rf "$work" "$out/term" "$out/lua"
  echo "mingw-lua: $out ready (Lua only)"
  exit 0
fi

# ---- lfs and term.core ---------------------------------------------------
mod() {  # mod OUT.dll SOURCE.c
  "$CC" -O2 -shared -s -I"$out/include" -o "$1" "$2" "$out/lua54.dll"
}
tar -xzf "$src"/lua-filesystem_*.orig.tar.gz -C "$work"
mod "$out/lfs.dll" "$work"/lua-filesystem-*/src/lfs.c
tar -xzf "$src"/lua-term_*.orig.tar.gz -C "$work"
mod "$out/term/core.dll" "$work"/lua-term-*/core.c

# ---- Debian's pure-Lua busted stack --------------------------------------
share=/usr/share/lua/5.4
for m in busted busted.lua cliargs cliargs.lua dkjson.lua luassert mediator.lua \
         pl say system term; do
  cp -RL "$share/$m" "$out/lua/"
done
cp -L /usr/bin/busted "$out/busted"
rm -rf "$work"
echo "mingw-lua: $out ready"
