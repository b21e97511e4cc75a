#!/bin/sh
# Builds Lua 5.4 for i386 Linux from Debian's lua5.4 source package (as
# tools/debian-lua.sh unpacks it) into OUT, for make x86:
#   OUT/lua          exports the Lua API (Lua's `make linux` links it
#                    -Wl,-E), so the module loads into it as into any host
#   OUT/liblua.a     for the C/C++ test programs and luapm.so (position-
#                    independent, as a library that carries Lua needs)
#   OUT/include/     the headers (Debian's installed luaconf.h includes a
#                    multiarch header of the system's own architecture only;
#                    this one comes with an i386 one, as Debian's rules write it)
#   OUT/lfs.so, OUT/term/core.so   busted's C modules, built from the
#                    upstream tarballs of lua-filesystem and lua-term
# busted's pure-Lua stack is Debian's installed one, on this Lua's default
# path (/usr/share/lua/5.4); system.core is the test-only stand-in of
# tests/windows/system_core.c. Everything runs under qemu-i386.
# Usage: x86-lua.sh OUT SRCDIR      (SRCDIR keeps the downloads; CC: gcc)
set -e
out=${1:?usage: x86-lua.sh OUT SRCDIR}
src=${2:?usage: x86-lua.sh OUT SRCDIR}
here=$(dirname "$0")
cc="${CC:-gcc} -m32"
work=$src/work-${out##*/}
if ! ls "$src"/lua-filesystem_*.orig.tar.* "$src"/lua-term_*.orig.tar.* >/dev/null 2>&1; then
  sh "$here/debian-source.sh" "$src" --tar-only lua-filesystem lua-term
fi
rm -rf "$out" "$work"
mkdir -p "$out/include" "$out/term" "$work"
echo "x86-lua: $(sh "$here/debian-lua.sh" "$src" "$work/lua")"
# the header Debian's rules write for its luaconf.h patch (module paths)
printf '#ifndef _LUA_DEB_MULTIARCH_\n#define _LUA_DEB_MULTIARCH_\n#define DEB_HOST_MULTIARCH "i386-linux-gnu"\n#endif\n' \
  > "$work/lua/src/lua5.4-deb-multiarch.h"
make -s -C "$work/lua/src" linux CC="$cc -std=gnu99" MYCFLAGS=-fPIC AR="ar rc" >/dev/null
cp "$work/lua/src/lua" "$work/lua/src/liblua.a" "$out/"
for h in lua.h luaconf.h lualib.h lauxlib.h lua.hpp lua5.4-deb-multiarch.h; do
  cp "$work/lua/src/$h" "$out/include/"
done
tar -xzf "$src"/lua-filesystem_*.orig.tar.gz -C "$work"
$cc -O2 -shared -fPIC -I"$out/include" -o "$out/lfs.so" "$work"/lua-filesystem-*/src/lfs.c
tar -xzf "$src"/lua-term_*.orig.tar.gz -C "$work"
$cc -O2 -shared -fPIC -I"$out/include" -o "$out/term/core.so" "$work"/lua-term-*/core.c
rm -rf "$work"
echo "x86-lua: $out ready"
