#!/bin/sh
# Runs every suite and ends with one line "N passed, N failed" (preceded by
# "N skipped" when specs were pending).
# Usage: run-all.sh [c-test-binary ...]
#   LUA          interpreter (or sanitizer host) that runs busted
#   BUSTED       path of the busted script (default: /usr/bin/busted)
#   SPEC_ARGS    extra busted arguments
#   WRAP         command prefix for every suite (e.g. valgrind ...)
#   TALLY        file to which "passed failed skipped" is appended
#   SUMMARY      file to which "specs P F S" (the busted specs) and
#                "run P F S SECONDS" (every suite) are appended at the end,
#                in one write, for a doc's figures (tools/windows-doc.sh)
# A suite that exits non-zero without reporting a failure counts as one.
LUA=${LUA:-lua5.4}
BUSTED=${BUSTED:-/usr/bin/busted}
pass=0 fail=0 skip=0 status=0 specs=
t0=$(date +%s)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

suite() {
  name=$1; shift
  echo "# suite: $name"
  { $WRAP "$@" 2>&1; echo $? > "$tmp/rc"; } | tee "$tmp/out"
  rc=$(cat "$tmp/rc")
  p=$(grep -c '^ok ' "$tmp/out")
  s=$(grep -c '^ok .*# *SKIP' "$tmp/out")
  f=$(grep -c '^not ok ' "$tmp/out")
  p=$((p - s))
  if [ "$rc" -ne 0 ]; then
    status=1
    if [ "$f" -eq 0 ]; then
      echo "not ok - suite '$name' exited with status $rc"
      f=1
    fi
  fi
  pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
  [ "$name" = specs ] && specs="specs $p $f $s
"
}

if [ "$1" = "--no-specs" ]; then
  shift
else
  suite specs $LUA "$BUSTED" --ignore-lua -o TAP $SPEC_ARGS
fi
for t in "$@"; do
  # shellcheck disable=SC2086
  suite "$(basename "${t%% *}")" $t
done

[ "$fail" -gt 0 ] && status=1
[ -n "$TALLY" ] && echo "$pass $fail $skip" >> "$TALLY"
[ -n "$SUMMARY" ] && printf '%srun %d %d %d %d\n' "$specs" $pass $fail $skip $(( $(date +%s) - t0 )) >> "$SUMMARY"
[ "$skip" -gt 0 ] && echo "$skip skipped (each says why)"
echo "$pass passed, $fail failed"
exit $status
