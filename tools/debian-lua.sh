#!/bin/sh
# Unpacks Lua 5.4 from Debian's lua5.4 source package into DEST, ready for
# Lua's own makefile: the upstream tarball plus Debian's patches except
# those to the build system (Debian's makes src/Makefile a libtool
# makefile that cannot cross-compile). The source package is downloaded
# into SRCDIR once (tools/debian-source.sh). mingw-lua.sh and x86-lua.sh
# build from it, so every Lua we build for a test is the same source.
# Usage: debian-lua.sh SRCDIR DEST      (DEST is emptied first)
set -e
src=${1:?usage: debian-lua.sh SRCDIR DEST}
dest=${2:?usage: debian-lua.sh SRCDIR DEST}
here=$(dirname "$0")
if ! ls "$src"/lua5.4_*.debian.tar.* >/dev/null 2>&1; then
  sh "$here/debian-source.sh" "$src" lua5.4
fi
rm -rf "$dest" "$dest.debian"
mkdir -p "$dest" "$dest.debian"
tar -xzf "$src"/lua5.4_*.orig.tar.gz -C "$dest" --strip-components=1
tar -xJf "$src"/lua5.4_*.debian.tar.xz -C "$dest.debian"
applied=
while read -r p; do
  case $p in ''|'#'*) continue ;; esac
  patch=$dest.debian/debian/patches/$p
  # a patch that touches a makefile belongs to Debian's build system
  if grep -q '^+++ .*Makefile' "$patch"; then continue; fi
  patch -s -p1 -d "$dest" < "$patch"
  applied="$applied $p"
done < "$dest.debian/debian/patches/series"
rm -rf "$dest.debian"
for dsc in "$src"/lua5.4_*.dsc; do version=${dsc##*/lua5.4_}; done
echo "Lua ${version%.dsc}, Debian patches:$applied"
