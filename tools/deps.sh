#!/bin/sh
# Installs the Debian packages the build, the tests and the sanitizer runs
# need, when any is missing. Needs root (or sudo) and Debian's archive.
set -e
pkgs="make gcc g++ pkg-config universal-ctags lua5.4 liblua5.4-dev lua-busted luarocks valgrind clang libclang-rt-14-dev lua-luv lua-cqueues lua-check cppcheck luajit lua5.1 liblua5.1-0-dev lua5.2 liblua5.2-dev lua5.3 liblua5.3-dev libluajit-5.1-dev lua-ldoc lua-markdown gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64-win32 g++-mingw-w64-x86-64-posix patch wine wine64 qemu-user gcc-multilib g++-multilib gcc-mingw-w64-i686 g++-mingw-w64-i686-posix libz-mingw-w64-dev"
missing=""
for p in $pkgs; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && { echo "deps: all present"; exit 0; }
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: done"
