#!/bin/sh
# Runs a Windows test program under Wine; without Wine, one TAP line that
# says the run was skipped and why (the cross-compile itself still counts).
exe=${1:?usage: wine-run.sh program.exe}
if ! command -v wine >/dev/null 2>&1; then
  echo "1..1"
  echo "ok 1 - $exe built # SKIP wine is not installed, so it was not run"
  exit 0
fi
# the first run creates the Wine prefix and says so on stderr
wine "$exe"
