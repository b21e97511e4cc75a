#!/bin/sh
# Builds a Windows Lua 5.4 and the busted stack for it, from Debian's own
# packages, into OUT (make windows runs it once; the result is cached):
#   OUT/lua.exe, OUT/lua54.dll, OUT/include/   Lua, from the lua5.4 source
#       package: its upstream tarball, Debian's patches except those to
#       the build system (Debian's makes src/Makefile a libtool makefile
#       that cannot target mingw), then Lua's own `make mingw`
#   OUT/lfs.dll, OUT/term/core.dll             cross-built from the upstream
#       tarballs of lua-filesystem and lua-term
#   OUT/lua/, OUT/busted                        Debian's installed pure-Lua
#       busted stack, copied with links resolved, and its runner script
# Lua's default paths on Windows look beside lua.exe and in its lua\
# folder, so this tree needs no LUA_PATH of its own. system.core, which
# busted needs too, is a stand-in of ours (tests/windows/system_core.c):
# its Debian source package is not served.
# Usage: mingw-lua.sh OUT SRCDIR     (SRCDIR keeps the downloads)
set -e
out=${1:?usage: mingw-lua.sh OUT SRCDIR}
src=${2:?usage: mingw-lua.sh OUT SRCDIR}
here=$(dirname "$0")
CC=${MINGW_CC:-x86_64-w64-mingw32-gcc}

# ---- sources (downloaded once) ----------------------------------------------
if ! ls "$src"/lua5.4_*.debian.tar.* >/dev/null 2>&1; then
  sh "$here/debian-source.sh" "$src" lua5.4
fi
# upstream tarballs only: lua-filesystem's Debian part patches nothing, and
# lua-term's (whose C is one function) is not served by every mirror
if ! ls "$src"/lua-filesystem_*.orig.tar.* "$src"/lua-term_*.orig.tar.* >/dev/null 2>&1; then
  sh "$here/debian-source.sh" "$src" --tar-only lua-filesystem lua-term
fi

rm -rf "$out" "$src/work"
mkdir -p "$out/include" "$out/term" "$out/lua" "$src/work/lua" "$src/work/debian"

# ---- Lua ----------------------------------------------------------------
tar -xzf "$src"/lua5.4_*.orig.tar.gz -C "$src/work/lua" --strip-components=1
tar -xJf "$src"/lua5.4_*.debian.tar.xz -C "$src/work/debian"
applied=
while read -r p; do
  case $p in ''|'#'*) continue ;; esac
  patch=$src/work/debian/debian/patches/$p
  # a patch that touches a makefile belongs to Debian's build system
  if grep -q '^+++ .*Makefile' "$patch"; then continue; fi
  patch -s -p1 -d "$src/work/lua" < "$patch"
  applied="$applied $p"
done < "$src/work/debian/debian/patches/series"
for dsc in "$src"/lua5.4_*.dsc; do version=${dsc##*/lua5.4_}; done
echo "mingw-lua: Lua ${version%.dsc}, Debian patches:$applied"
make -s -C "$src/work/lua/src" mingw CC="$CC" >/dev/null
cp "$src/work/lua/src/lua.exe" "$src/work/lua/src/lua54.dll" "$out/"
for h in lua.h luaconf.h lualib.h lauxlib.h lua.hpp; do
  cp "$src/work/lua/src/$h" "$out/include/"
done

# ---- lfs and term.core ---------------------------------------------------
mod() {  # mod OUT.dll SOURCE.c
  "$CC" -O2 -shared -s -I"$out/include" -o "$1" "$2" "$out/lua54.dll"
}
tar -xzf "$src"/lua-filesystem_*.orig.tar.gz -C "$src/work"
mod "$out/lfs.dll" "$src"/work/lua-filesystem-*/src/lfs.c
tar -xzf "$src"/lua-term_*.orig.tar.gz -C "$src/work"
mod "$out/term/core.dll" "$src"/work/lua-term-*/core.c

# ---- Debian's pure-Lua busted stack --------------------------------------
share=/usr/share/lua/5.4
for m in busted busted.lua cliargs cliargs.lua dkjson.lua luassert mediator.lua \
         pl say system term; do
  cp -RL "$share/$m" "$out/lua/"
done
cp -L /usr/bin/busted "$out/busted"
rm -rf "$src/work"
echo "mingw-lua: $out ready"
