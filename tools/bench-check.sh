#!/bin/sh
# tools/bench-check.sh: instruction budgets, enforced. Each operation in
# bench/budgets is counted under callgrind (instructions do not move with
# the machine's load, times do) and compared with its budget; one over by
# more than 5 % fails, printing the figure and the budget. A change that
# costs more on purpose raises the budget in the same commit and says why.
# TAP lines; TALLY (from make ci) gets "passed failed skipped".
set -u
B=${BENCH_DIR:-build/bench-check}
PM=${SAMPLEPM:-build/pm/samplepm.so}
MINI=${MINIPM:-build/pm/minipm.so}
BUDGETS=${BUDGETS:-bench/budgets}
N=${BENCH_CHECK_N:-20000}
export LUA_PATH="lua/?.lua;lua/?/init.lua;;"
sh bench/build.sh "$B" || exit 1

cg() {   # cg TOGGLE PROGRAM ARGS...: instructions collected
  t=$1; shift
  if [ "$t" = all ]; then set -- --collect-atstart=yes "$@"
  else set -- --collect-atstart=no --toggle-collect="$t" "$@"; fi
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 |
    sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
}

# per-operation instructions of one budget line's measurement
measure() {
  case $1 in
    report_16B) ir=$(cg run_vtable "$B/bench_same" count vtable 16 "$N"); d=$((N + 100)) ;;
    queued_16B) ir=$(cg measure_dispatch "$B/bench_cross" count queued "$N"); d=$N ;;
    actions_run*|provider_run)
      ir=$(cg measure "$B/bench_roundtrip" "$PM" "$MINI" count "$1" "$N"); d=$N ;;
    provider_stream)   # N / 100 registrations of 100 reports and a final
      ir=$(cg measure "$B/bench_roundtrip" "$PM" "$MINI" count "$1" $((N / 100)))
      d=$((N / 100 * 101)) ;;
    stream|stream_bare)   # both threads: the difference of two whole runs
      a=$(cg all "$B/bench_roundtrip" "$PM" "$MINI" count "$1" "$N")
      b=$(cg all "$B/bench_roundtrip" "$PM" "$MINI" count "$1" $((N * 2)))
      [ -n "$a" ] && [ -n "$b" ] && ir=$((b - a)); d=$N ;;
    *) ir= ;;
  esac
  [ -n "${ir:-}" ] && awk -v ir="$ir" -v d="$d" 'BEGIN { printf "%.0f", ir / d }'
}

i=0; pass=0; fail=0
while read -r op budget why; do
  case $op in ''|'#'*) continue ;; esac
  i=$((i + 1))
  got=$(measure "$op")
  if [ -z "$got" ]; then
    fail=$((fail + 1)); echo "not ok $i - $op: could not be measured"; continue
  fi
  limit=$(awk -v b="$budget" 'BEGIN { printf "%.0f", b * 1.05 }')
  if [ "$got" -le "$limit" ]; then
    pass=$((pass + 1)); echo "ok $i - $op: $got instructions per operation (budget $budget)"
  else
    fail=$((fail + 1))
    echo "not ok $i - $op: $got instructions per operation, over its budget $budget by more than 5 % ($why)"
  fi
done < "$BUDGETS"
echo "1..$i"
[ -n "${TALLY:-}" ] && echo "$pass $fail 0" >> "$TALLY"
[ "$fail" -eq 0 ]
