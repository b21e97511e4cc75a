#!/bin/sh
# bench/run.sh: builds and runs every benchmark, then writes
# bench/results.md from the raw lines (kept in build/bench/raw.txt).
# QUICK=1 runs fewer iterations (under a minute in all). The Makefile
# passes SRC and INCFLAGS from mk/sources.mk.
set -e
B=build/bench
sh bench/build.sh "$B"
raw="$B/raw.txt"
: > "$raw"
step() { echo "bench: $*" >&2; }
step same-thread; "$B/bench_same" | tee -a "$raw"
if command -v valgrind >/dev/null 2>&1; then
  # instruction counts: repeatable on a loaded machine, where times are not
  # (bench_same runs 100 warm-up reports through each loop, counted too)
  n=100000
  for k in floor safe vtable; do
    step "callgrind $k"
    ir=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null \
      --collect-atstart=no --toggle-collect="run_$k" "$B/bench_same" count $k 16 $n 2>&1 |
      sed -n 's/.*Collected : *\([0-9]*\).*/\1/p')
    [ -n "$ir" ] && awk -v ir="$ir" -v n=$((n + 100)) -v k=$k \
      'BEGIN { v = ir / n; printf "RESULT callgrind %s_16B %.1f %.1f %.1f instructions\n", k, v, v, v }' |
      tee -a "$raw"
  done
fi
if command -v luajit >/dev/null 2>&1; then
  step luajit-ffi; luajit bench/ffi_same.lua "$B/libffiloop.so" | tee -a "$raw"
fi
step cross-thread; "$B/bench_cross" cross | tee -a "$raw"
step large; "$B/bench_cross" large | tee -a "$raw"
step memory; "$B/bench_cross" memory | tee -a "$raw"
step peak; "$B/bench_cross" peak | tee -a "$raw"
if lua5.4 -e 'require "luv"' 2>/dev/null; then
  per=500000; [ -n "$QUICK" ] && [ "$QUICK" != 0 ] && per=100000
  for mode in integer string; do
    for r in 1 2 3 4 5; do
      step "luv $mode run $r"
      set +e
      line=$(timeout 120 lua5.4 bench/luv_cross.lua $per 1 $mode 2>/dev/null)
      rc=$?
      set -e
      echo "LUV $mode $rc ${line:-$per 0 0}" | tee -a "$raw"
    done
  done
fi
step roundtrip
LUA_PATH="lua/?.lua;lua/?/init.lua;;" "$B/bench_roundtrip" "${SAMPLEPM:-build/pm/samplepm.so}" "${MINIPM:-build/pm/minipm.so}" | tee -a "$raw"
if command -v valgrind >/dev/null 2>&1; then
  # instructions per operation of each budget line (tools/bench-check.sh)
  step "callgrind round trips"
  BENCH_DIR="$B" BUDGETS=bench/budgets sh tools/bench-check.sh 2>/dev/null |
    sed -n 's/^n*o*t* *ok [0-9]* - \([a-z_0-9A-Z]*\): \([0-9]*\) instructions.*/RESULT ops \1 \2 \2 \2 instructions/p' |
    tee -a "$raw" || true
fi
step issuer
LUA_CPATH="build/?.so;;" LUA_PATH="lua/?.lua;lua/?/init.lua;;" lua5.4 bench/issuer.lua | tee -a "$raw"
lua5.4 bench/report.lua "$raw" > bench/results.md
step "wrote bench/results.md"
