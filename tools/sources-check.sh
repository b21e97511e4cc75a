#!/bin/sh
# TAP: mk/sources.mk is the one list of sources. The rockspec must build
# the same C files and install the same Lua modules, config.ld must
# document every Lua module and every binding file that registers
# functions (one with a luaL_Reg array), and the layers must hold: no file
# of the core or the simulator includes a Lua header; the hub, a transport,
# neither includes callback.h nor calls a callback function; the binding
# includes no core private header and takes no lock. Also the size rules: no C function
# over 60 lines, no C file over 700 (the HRESULT table aside), and every
# C file defines _POSIX_C_SOURCE before its first #include. And what MSVC
# lacks or spells otherwise stays behind a macro of one header: atomics in
# src/core/atomics.h, attributes and alignment in src/core/visibility.h
# (include/wpfcall.h and include/customaction.h spell their own).
# Make passes SRC, CORE (the Lua-free sources) and MODULES.
: "${SRC:?run through make lint}"
rock=rockspec/customaction-scm-1.rockspec
n=0 status=0
check() {  # check DESCRIPTION EXPECTED ACTUAL
  n=$((n + 1))
  if [ "$2" = "$3" ]; then echo "ok $n - $1"; else
    echo "not ok $n - $1"; echo "#   expected: $2"; echo "#   found:    $3"; status=1
  fi
}
words() { tr ' ' '\n' | sed '/^$/d' | sort -u | tr '\n' ' '; }
echo "1..11"
check "the rockspec compiles the sources of mk/sources.mk" \
  "$(echo "$SRC" | words)" "$(grep -o '"src/[^"]*\.c"' $rock | tr -d '"' | words)"
check "the rockspec installs the Lua modules of mk/sources.mk" \
  "$(echo "$MODULES" | words)" "$(grep -o '"lua/[^"]*\.lua"' $rock | tr -d '"' | words)"
documented=$(for f in $MODULES $SRC; do
  case $f in *.lua) echo "$f" ;; src/lua/*) grep -q 'const luaL_Reg [a-z_]*\[\]' "$f" && echo "$f" ;; esac; done | words)
check "config.ld documents every module and registering binding file" \
  "$documented" "$(grep -o '"[^"]*\.\(lua\|c\)"' config.ld | tr -d '"' | words)"
lua_in_core=$(grep -l '#include *"\(lua\|lauxlib\|lualib\|lcompat\|lcommon\)\.h"' $CORE include/*.h \
  $(echo "$CORE" | tr ' ' '\n' | sed -n 's/\.c$/.h/p' | while read -r h; do [ -f "$h" ] && echo "$h"; done) \
  2>/dev/null | words)
check "no file of the core or the simulator includes a Lua header" "" "$lua_in_core"
hub_calls=$(grep -n 'ca_callback_[a-z_0-9]* *(\|#include *"callback\.h"' src/core/hub.c src/core/hub.h |
  cut -d: -f1,2 | words)
check "the hub calls no callback function" "" "$hub_calls"
private_in_binding=$(grep -l '#include *"[A-Za-z0-9_]*_impl\.h"' src/lua/*.c src/lua/*.h 2>/dev/null | words)
check "the binding includes no core private header (*_impl.h)" "" "$private_in_binding"
lock_in_binding=$(grep -l '\(ca_mutex_\|ca_cond_\|pthread_\)[a-z_]*(' src/lua/*.c src/lua/*.h 2>/dev/null | words)
check "the binding takes no lock (ca_mutex_*, ca_cond_*, pthread_*)" "" "$lock_in_binding"
long_fn=$(ctags --fields=+ne --c-kinds=f -o - src/*/*.c 2>/dev/null |
  awk -F'\t' '{ for (i = 4; i <= NF; i++) { if ($i ~ /^line:/) l = substr($i, 6); if ($i ~ /^end:/) e = substr($i, 5) }
               if (e - l + 1 > 60) printf "%s:%s(%d) ", $2, $1, e - l + 1 }')
check "no C function is over 60 lines" "" "$long_fn"
long_file=$(wc -l src/*/*.c src/*/*.h include/*.h | awk '$2 != "total" && $2 !~ /hresult_table/ && $1 > 700 { printf "%s(%d) ", $2, $1 }')
check "no C file is over 700 lines" "" "$long_file"
posix_late=$(for f in $SRC; do
  first=$(grep -m1 -n '^#include\|^#define _POSIX_C_SOURCE' "$f" | cut -d: -f2-)
  case $first in "#define _POSIX_C_SOURCE"*) ;; *) printf '%s ' "$f" ;; esac
done)
check "every C file defines _POSIX_C_SOURCE before any header" "" "$posix_late"
compiler_specific=$(grep -nE '<stdatomic\.h>|\b_Atomic\b|\b_Alignas\b|__attribute__|__declspec|__builtin_|__atomic_|__sync_|\btypeof\b|__extension__' \
    src/*/*.c src/*/*.h include/*.h |
  grep -vE '^(src/core/atomics\.h|src/core/visibility\.h|include/wpfcall\.h|include/customaction\.h):' |
  cut -d: -f1,2 | words)
check "atomics, alignment and attributes only through their headers' macros" "" "$compiler_specific"
exit $status
