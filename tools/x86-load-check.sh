#!/bin/sh
# TAP: the i386 build is what make x86 says. The i386 Lua runs under
# qemu-i386 and says 5.4; core.so is a 32-bit i386 library that needs no
# liblua (the host exports the Lua API) and exports only luaopen_* and
# the customaction_* C API; and thiscall is in effect: the interface
# methods of callback.c return with `ret $N` (the callee pops its stack
# arguments) while the protocol-manager libraries' GetProtocolManager
# returns with a plain `ret` (cdecl).
# Usage: x86-load-check.sh LUA BUILD_DIR
lua=${1:?usage: x86-load-check.sh LUA BUILD_DIR}
build=${2:?usage: x86-load-check.sh LUA BUILD_DIR}
n=0 status=0
check() {  # check OK? DESCRIPTION [DETAIL]
  n=$((n + 1))
  if [ "$1" = 0 ]; then echo "ok $n - $2"; else
    echo "not ok $n - $2"; [ -n "$3" ] && echo "# $3"; status=1
  fi
}
# the instructions of one function of an object or library
body() {  # body FILE FUNCTION
  objdump -d --no-show-raw-insn "$1" | sed -n "/<$2>:/,/^\$/p"
}
echo "1..5"
v=$(timeout 60 qemu-i386 "$lua" -v 2>&1)
case $v in "Lua 5.4."*) r=0 ;; *) r=1 ;; esac
check $r "the i386 lua under qemu-i386: ${v%%  *}" "$v"
so=$build/customaction/core.so
h=$(readelf -h "$so" 2>&1)
needed=$(readelf -d "$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
case "$h" in *ELF32*"Intel 80386"*) r=0 ;; *) r=1 ;; esac
case $needed in *liblua*) r=1 ;; esac
check $r "core.so is an i386 ELF32 library that needs no liblua" "needs: $needed"
exports=$(nm -D --defined-only "$so" | awk '$2 == "T" { print $3 }' | tr '\n' ' ')
case $exports in *luaopen_customaction_core*) r=0 ;; *) r=1 ;; esac
for e in $exports; do case $e in luaopen_*|customaction_*|_init|_fini) ;; *) r=1 ;; esac; done
check $r "core.so exports only luaopen_* and the customaction_* C API" "exports: $exports"
obj=$build/obj/src/core/callback.o
bad=
for f in v1_addref v1_release v1_report v2_addref v2_release v2_report; do
  # shellcheck disable=SC2016  # grep patterns: $ is the regex's
  case $f in *addref|*release) want='ret *$' ;; *) want='ret *\$0x' ;; esac
  # AddRef/Release take nothing on the stack (self is in ECX): plain ret
  b=$(body "$obj" "$f")
  echo "$b" | grep -q "$want" && echo "$b" | grep -q '%ecx' || bad="$bad $f"
done
[ -z "$bad" ]; check $? "callback.c's methods take self in ECX and pop their stack arguments (thiscall)" "not so:$bad"
bad=
for pm in "$build"/pm/*.so; do
  b=$(body "$pm" GetProtocolManager)
  # shellcheck disable=SC2016  # grep patterns: $ is the regex's
  # a plain ret, or a tail jump to a helper that ends in one
  echo "$b" | grep -Eq 'ret *$|jmp ' && ! echo "$b" | grep -q 'ret *\$0x' || bad="$bad $pm"
done
[ -z "$bad" ]; check $? "each protocol-manager library's GetProtocolManager leaves its arguments to the caller (cdecl)" "not so:$bad"
exit $status
