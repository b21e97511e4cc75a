#!/bin/sh
# docs/windows.md states the counts and the time of `make windows` in a
# block between two markers, generated from the summary that run writes
# (build/mingw/summary: run-all.sh's "specs P F S" and "run P F S SECONDS"
# lines), never typed by hand.
#   windows-doc.sh --write [SUMMARY]   fill the block (make windows-doc);
#                                      refused for a run that failed
#   windows-doc.sh [SUMMARY]           TAP, in make docs: the block states
#                                      the last run's counts (exactly) and
#                                      its time (within a factor of two:
#                                      times vary from run to run);
#                                      skipped with no summary or a failed run
doc=${DOC:-docs/windows.md}
write=
[ "$1" = --write ] && { write=1; shift; }
summary=${1:-build/mingw/summary}
begin='<!-- windows-counts: written by make windows-doc from the last make windows; make docs checks it -->'
end='<!-- /windows-counts -->'

# the block for a summary, and its time in seconds on the last line
block() {
  awk '$1 == "specs" { sp += $2; sf += $3; ss += $4 }
       $1 == "run" { p += $2; f += $3; s += $4; t += $5 }
       END {
         printf "The last recorded run of `make windows`: %d specs, %d passed, %d pending", sp + sf + ss, sp, ss
         if (sf) printf ", %d failed", sf
         printf "; %d checks passed in all (the specs, the build check, the C/C++ tests and the binary rock'"'"'s install), %d failed, %d skipped (each says why). ", p, f, s
         printf "Its suites took %d min %02d s under Wine, after the build (from a fresh clone, Lua and the busted stack from Debian'"'"'s sources come first).\n", t / 60, t % 60
         print t
       }' "$1"
}
seconds() { sed -n 's/.* took \([0-9]*\) min \([0-9]*\) s under Wine.*/\1 \2/p' | awk '{ print $1 * 60 + $2 }'; }
failed() { awk '$1 == "run" { f += $3 } END { exit !(f > 0) }' "$1"; }
current() { sed -n "\\|^$begin\$|,\\|^$end\$|p" "$doc" | sed '1d;$d'; }

if [ -n "$write" ]; then
  [ -s "$summary" ] || { echo "windows-doc: no $summary: run make windows first" >&2; exit 1; }
  failed "$summary" && { echo "windows-doc: the last make windows failed; its counts are no record" >&2; exit 1; }
  grep -qx "$begin" "$doc" || { echo "windows-doc: $doc has no block to fill" >&2; exit 1; }
  text=$(block "$summary" | sed '$d')
  tmp=$(mktemp)
  awk -v b="$begin" -v e="$end" -v text="$text" '
    $0 == b { print; print text; skip = 1; next }
    $0 == e { skip = 0 }
    !skip' "$doc" > "$tmp" && cat "$tmp" > "$doc"
  rm -f "$tmp"
  echo "windows-doc: $doc: $text"
  exit 0
fi

echo "1..1"
what="docs/windows.md states the counts and time of the last make windows"
if [ ! -s "$summary" ]; then
  echo "ok 1 - $what # SKIP no $summary (make windows writes it)"; exit 0
fi
if failed "$summary"; then
  echo "ok 1 - $what # SKIP the last make windows failed; its counts are no record"; exit 0
fi
want=$(block "$summary") have=$(current)
want_s=$(echo "$want" | tail -1) want=$(echo "$want" | sed '$d')
have_s=$(echo "$have" | seconds)
mask() { sed 's/ took [0-9]* min [0-9]* s / took TIME /'; }
if [ "$(echo "$have" | mask)" = "$(echo "$want" | mask)" ] && [ -n "$have_s" ] &&
   [ $((have_s * 2)) -ge "$want_s" ] && [ $((want_s * 2)) -ge "$have_s" ]; then
  echo "ok 1 - $what"
else
  echo "# $doc says:  $have"
  echo "# $summary: $want"
  echo "# make windows-doc writes the latter into $doc"
  echo "not ok 1 - $what"
  exit 1
fi
