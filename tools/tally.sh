#!/bin/sh
# Sums the "P F S" lines run-all.sh appended to a tally file and prints
# the closing line; exits 1 when anything failed or no suite ran.
f=${1:?usage: tally.sh FILE}
[ -s "$f" ] || { echo "0 passed, 1 failed"; exit 1; }
awk '{ p += $1; f += $2; s += $3 }
     END { if (s > 0) printf "%d skipped (each says why)\n", s;
           printf "%d passed, %d failed\n", p, f;
           exit (f > 0) }' "$f"
