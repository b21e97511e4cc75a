#!/bin/sh
# TAP: the 32-bit build refuses a function whose convention differs from
# its slot's. One real source of each kind is compiled twice with the
# flags of make x86 (thiscall on every interface method, -Werror): as it
# is, which must compile, and with WPF_METHOD taken off one function that
# a vtable stores (C) or off one override (C++), which must not, for the
# reason that names the mismatch. Without this, a forgotten annotation
# would build and corrupt the stack at the first call. Last, a 32-bit
# Windows compiler wpfcall.h does not cover (played by this one with
# __GNUC__ taken away) stops at its #error instead of building.
# Usage: CHECK_CC="cc flags..." CHECK_CXX="c++ flags..." x86-wrong-check.sh
cc=${CHECK_CC:?CHECK_CC: the C compiler and flags of make x86}
cxx=${CHECK_CXX:?CHECK_CXX: the C++ compiler and flags of make x86}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 status=0
check() {  # check OK? DESCRIPTION [DETAIL-FILE]
  n=$((n + 1))
  if [ "$1" = 0 ]; then echo "ok $n - $2"; else
    echo "not ok $n - $2"; [ -n "$3" ] && sed 's/^/# /' "$3" | head -20; status=1
  fi
}
# compile KIND SOURCE: 0 when it compiles (a copy finds the original's
# neighbours through -I)
compile() {
  if [ "$1" = c ]; then
    # shellcheck disable=SC2086
    $cc -Isrc/core -c "$2" -o "$tmp/out.o" > "$tmp/log" 2>&1
  else
    # shellcheck disable=SC2086
    $cxx -Itests -c "$2" -o "$tmp/out.o" > "$tmp/log" 2>&1
  fi
}
echo "1..5"

# wrong KIND SOURCE SED-SCRIPT WHAT ERROR: SOURCE compiles as it is, and
# not once SED-SCRIPT takes the convention off WHAT, failing with ERROR
wrong() {
  compile "$1" "$2"
  check $? "$2 compiles with thiscall on every interface method" "$tmp/log"
  copy=$tmp/$(basename "$2")
  sed "$3" "$2" > "$copy"
  if cmp -s "$2" "$copy"; then
    echo "# $4 is no longer written as this check expects"; r=1
  else
    compile "$1" "$copy"
    r=$?
    [ "$r" -ne 0 ] && grep -q "$5" "$tmp/log"
    r=$?
  fi
  check $r "$4 without its convention: the build fails ($5)" "$tmp/log"
}
# C: the v1 callback's ReportResult, stored in ICustomActionResultCallbackVtbl
wrong c src/core/callback.c 's/^static HRESULT WPF_METHOD v1_report(/static HRESULT v1_report(/' \
  "callback.c's v1_report" incompatible-pointer-types
# C++: an override in the SDK-layout client
wrong cxx tests/abi_test.cpp '0,/ULONG SDK_METHOD AddRef() override/s//ULONG AddRef() override/' \
  "abi_test.cpp's first AddRef override" 'conflicting type attributes'
printf '#include "wpfcall.h"\n' > "$tmp/uncovered.c"
# shellcheck disable=SC2086
$cc -D_WIN32 -U__GNUC__ -Iinclude -fsyntax-only "$tmp/uncovered.c" > "$tmp/log" 2>&1
r=$?
[ "$r" -ne 0 ] && grep -q 'error: #error "wpfcall.h: 32-bit x86 Windows' "$tmp/log"
check $? "an x86 Windows compiler without thiscall for C stops at wpfcall.h's #error" "$tmp/log"
exit $status
