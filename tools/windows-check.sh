#!/bin/sh
# TAP: the Windows build is what docs/windows.md says. Lua from Debian's
# source runs under Wine and says 5.4; core.dll exports nothing but
# luaopen_* and the customaction_* functions of include/customaction.h;
# no DLL or program we built needs a DLL beyond the system's own
# (KERNEL32, msvcrt) and lua54.dll: no libgcc, libstdc++ or winpthreads
# DLL to ship; the protocol-manager DLLs (samplepm, minipm, the checker's
# broken one, luapm) are there and export GetProtocolManager under
# that name (a cdecl export: a stdcall one would be GetProtocolManager@8
# on i686); every file is of the target's format; and a program that
# includes customaction.h imports the C API (dllimport) and links against
# core.dll.
# Usage: windows-check.sh LUA_DIR BUILD_DIR [ARCH]   (make windows passes
# them, and WINEPREFIX; ARCH x86_64, the default, or i686, which this
# machine cannot run: make windows32 passes it and MINGW_OBJDUMP)
lua=${1:?usage: windows-check.sh LUA_DIR BUILD_DIR [ARCH]}
build=${2:?usage: windows-check.sh LUA_DIR BUILD_DIR [ARCH]}
arch=${3:-x86_64}
OBJDUMP=${MINGW_OBJDUMP:-x86_64-w64-mingw32-objdump}
case $arch in x86_64) format=pei-x86-64 ;; i686) format=pei-i386 ;;
  *) echo "windows-check.sh: ARCH is x86_64 or i686, not $arch" >&2; exit 2 ;; esac
n=0 status=0
check() {  # check OK? DESCRIPTION [DETAIL]
  n=$((n + 1))
  if [ "$1" = 0 ]; then echo "ok $n - $2"; else
    echo "not ok $n - $2"; [ -n "$3" ] && echo "# $3"; status=1
  fi
}
echo "1..6"
if [ "$arch" = i686 ]; then
  echo "ok 1 - lua.exe built # SKIP 32-bit Windows programs cannot run here (the kernel runs no 32-bit code, so Wine's 32-bit loader fails); make x86 runs the convention under qemu-i386"
  n=1
elif command -v wine >/dev/null 2>&1; then
  v=$(sh "$(dirname "$0")/wine-run.sh" "$lua/lua.exe" -v 2>/dev/null)
  case $v in "Lua 5.4."*) r=0 ;; *) r=1 ;; esac
  check $r "lua.exe -v under Wine: ${v%%  *}" "$v"
else
  echo "ok 1 - lua.exe built # SKIP wine is not installed, so it was not run"
  n=1
fi
exports=$($OBJDUMP -p "$build/customaction/core.dll" |
  sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' | awk '/\]/ { print $NF }' | sed '1d' | tr '\n' ' ')
case $exports in *luaopen_*) r=0 ;; *) r=1 ;; esac
for e in $exports; do case $e in luaopen_*|customaction_*) ;; *) r=1 ;; esac; done
check $r "core.dll exports only luaopen_* and the customaction_* C API" "exports: $exports"
extra=
files=$(find "$build/customaction" "$build/test" "$build/busted" "$build/pm" \( -name '*.dll' -o -name '*.exe' \) 2>/dev/null | sort)
for f in $files; do
  case $f in */lua54.dll) continue ;; esac
  for d in $($OBJDUMP -p "$f" | awk '/DLL Name:/ { print $3 }'); do
    case $d in KERNEL32.dll|msvcrt.dll|lua54.dll) ;; *) extra="$extra $f:$d" ;; esac
  done
done
[ -z "$extra" ]; check $? "the module, the peer, the protocol managers and the test programs need only KERNEL32, msvcrt and lua54.dll" "also:$extra"
missing=
# the ones the specs load by name are there, whatever else pm/ holds (the
# checker's broken one only where its specs run: not in the 32-bit build)
named="$build/pm/samplepm.dll $build/pm/minipm.dll"
[ "$arch" = x86_64 ] && named="$named $build/pm/broken.dll"
for f in $named "$build"/pm/*.dll "$build/customaction/luapm.dll"; do
  [ -f "$f" ] && $OBJDUMP -p "$f" | grep -q '\] GetProtocolManager$' || missing="$missing $f"
done
[ -z "$missing" ]; check $? "each protocol-manager DLL (samplepm, minipm, broken on x86_64, luapm) exports GetProtocolManager" \
  "not in:$missing"
wrong=
for f in "$lua/lua54.dll" $files; do
  $OBJDUMP -f "$f" | grep -q "file format $format\$" || wrong="$wrong $f"
done
[ -z "$wrong" ]; check $? "lua54.dll and every DLL and program built are $format" "not:$wrong"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#include "customaction.h"\nint main(void) { return customaction_dispatch(0, 0); }\n' > "$tmp/consumer.c"
CC=${OBJDUMP%objdump}gcc
r=1
if $CC -E -Iinclude "$tmp/consumer.c" | grep -q 'dllimport.*customaction_dispatch'; then
  $CC -Iinclude -Werror -o "$tmp/consumer.exe" "$tmp/consumer.c" "$build/customaction/core.dll" > "$tmp/log" 2>&1 &&
    $OBJDUMP -p "$tmp/consumer.exe" | grep -q 'DLL Name: core.dll' && r=0
fi
check $r "a consumer of customaction.h imports the C API (dllimport) and links against core.dll" "$(cat "$tmp/log" 2>/dev/null)"
exit $status
