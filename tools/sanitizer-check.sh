#!/bin/sh
# TAP: the sanitizer host really carries both runtimes, so that a flag
# lost on its way to the compiler fails CI instead of passing quietly.
host=${1:?usage: sanitizer-check.sh HOST}
echo "1..2"
syms=$(nm "$host" 2>/dev/null)
for rt in asan ubsan; do
  n=$(echo "$syms" | grep -c "__${rt}_")
  if [ "$n" -gt 0 ]; then
    echo "ok - $host links the $rt runtime ($n symbols)"
  else
    echo "not ok - $host has no $rt runtime: a sanitizer flag did not reach the compiler"
  fi
done
