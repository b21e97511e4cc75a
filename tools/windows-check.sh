#!/bin/sh
# TAP: the Windows build is what docs/windows.md says. Lua from Debian's
# source runs under Wine and says 5.4; core.dll exports nothing but
# luaopen_* and the customaction_* functions of include/customaction.h;
# no DLL or program we built needs a DLL beyond the system's own
# (KERNEL32, msvcrt) and lua54.dll: no libgcc, libstdc++ or winpthreads
# DLL to ship; and the protocol-manager DLLs export GetProtocolManager.
# Usage: windows-check.sh LUA_DIR BUILD_DIR   (make windows passes them,
# and WINEPREFIX)
lua=${1:?usage: windows-check.sh LUA_DIR BUILD_DIR}
build=${2:?usage: windows-check.sh LUA_DIR BUILD_DIR}
OBJDUMP=${MINGW_OBJDUMP:-x86_64-w64-mingw32-objdump}
n=0 status=0
check() {  # check OK? DESCRIPTION [DETAIL]
  n=$((n + 1))
  if [ "$1" = 0 ]; then echo "ok $n - $2"; else
    echo "not ok $n - $2"; [ -n "$3" ] && echo "# $3"; status=1
  fi
}
echo "1..4"
if command -v wine >/dev/null 2>&1; then
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
for f in $(find "$build/customaction" "$build/test" "$build/busted" "$build/pm" -name '*.dll' -o -name '*.exe' | sort); do
  case $f in */lua54.dll) continue ;; esac
  for d in $($OBJDUMP -p "$f" | awk '/DLL Name:/ { print $3 }'); do
    case $d in KERNEL32.dll|msvcrt.dll|lua54.dll) ;; *) extra="$extra $f:$d" ;; esac
  done
done
[ -z "$extra" ]; check $? "the module, the peer, the protocol managers and the test programs need only KERNEL32, msvcrt and lua54.dll" "also:$extra"
missing=
for f in "$build"/pm/*.dll; do
  $OBJDUMP -p "$f" | grep -q '\] GetProtocolManager$' || missing="$missing $f"
done
[ -z "$missing" ]; check $? "each protocol-manager DLL exports GetProtocolManager" "not in:$missing"
exit $status
