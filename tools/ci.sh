#!/bin/sh
# Runs `make ci`'s steps in two lanes at once, each step's output kept in
# build/ci/STEP.log and printed whole when the step ends, so the log reads
# as if the steps had run one after another. Most steps are one busted or
# one test program at a time, or wait on child interpreters, so two lanes
# use a two-core machine that one lane would leave half idle. Everything
# the lanes share (the module, the protocol-manager libraries, the C tests)
# is built first, by one make; after that each step writes only its own
# tree (build/asan, build/lua5.1, build/mingw, ...).
# Usage: ci.sh "LANE-A STEPS" "LANE-B STEPS"   (TALLY: the tally file)
# CI_LANES=1 runs both lists in one lane, in order.
set -u
a=$1 b=$2
tally=${TALLY:?ci.sh: TALLY must name the tally file}
dir=build/ci
rm -rf "$dir"; mkdir -p "$dir"

# step NAME: runs make NAME into its log, then prints the log under a lock
step() {
  t0=$(date +%s)
  if ${MAKE:-make} -s "$1" FUZZ_SECONDS=5 TALLY="$tally" >"$dir/$1.log" 2>&1; then rc=0; else
    rc=1
    { echo "not ok - make $1 failed"; } >>"$dir/$1.log"
    echo "0 1 0" >>"$tally"
  fi
  echo "# ci: make $1 took $(( $(date +%s) - t0 )) s" >>"$dir/$1.log"
  flock "$dir/print.lock" cat "$dir/$1.log"
  return $rc
}

lane() {
  st=0
  for s in $1; do step "$s" || st=1; done
  return $st
}

echo "# ci: building what the steps share"
${MAKE:-make} -s shared-build || { echo "not ok - the shared build failed"; echo "0 1 0" >>"$tally"; exit 1; }
status=0
if [ "${CI_LANES:-2}" = 1 ]; then
  lane "$a $b" || status=1
else
  lane "$a" & pa=$!
  lane "$b" & pb=$!
  wait $pa || status=1
  wait $pb || status=1
fi
exit $status
