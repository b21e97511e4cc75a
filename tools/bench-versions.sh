#!/bin/sh
# Same-thread cb:report cost on each Lua in $LUAS (the first is the base),
# as a Markdown table of ratios to the base. The builds must exist.
set -e
run() {
  b=build; [ "$1" = lua5.4 ] || b=build/$1
  LUA_CPATH="$b/?.so;;" LUA_PATH='lua/?.lua;lua/?/init.lua;;' "$1" bench/versions.lua
}
set -- $LUAS
base=$(NS_ONLY=1 run "$1")
echo "| Lua | cb:report, 16 B | vs 5.4 | Lua pcall of the handler |"
echo "|---|---|---|---|"
for v in "$@"; do BASE_NS=$base run "$v"; done
