#!/bin/sh
# Runs each fuzz target for FUZZ_SECONDS (default 10) from its seed corpus
# and prints TAP: one line per target with the number of executions.
# Usage: run.sh BUILD_DIR target...
dir=$1; shift
secs=${FUZZ_SECONDS:-10}
echo "1..$#"
i=0 status=0
for t in "$@"; do
  i=$((i + 1))
  work="$dir/corpus-$t"
  mkdir -p "$work"
  log="$dir/$t.log"
  if "$dir/fuzz_$t" -max_total_time="$secs" -timeout=20 -print_final_stats=1 \
       "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "ok $i - fuzz $t: ${runs:-?} executions in ${secs}s, no crash"
  else
    tail -30 "$log" | sed 's/^/# /'
    echo "not ok $i - fuzz $t crashed (see $log)"
    status=1
  fi
done
exit $status
