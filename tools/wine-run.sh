#!/bin/sh
# Runs a Windows program under Wine with its arguments, its output with
# Unix line ends and its exit status kept; without Wine, one TAP line that
# says the run was skipped and why (the cross-compile itself still counts).
# Anything but a .exe (a script that checks the build) runs as it is, so
# that make windows can give every suite this one wrapper.
exe=${1:?usage: wine-run.sh program.exe [argument...]}
case $exe in *.exe) ;; *) exec sh "$@" ;; esac
if ! command -v wine >/dev/null 2>&1; then
  echo "1..1"
  echo "ok 1 - $exe built # SKIP wine is not installed, so it was not run"
  exit 0
fi
rc=$(mktemp)
trap 'rm -f "$rc"' EXIT
# the first run creates the Wine prefix and says so on stderr
{ wine "$@"; echo $? > "$rc"; } | tr -d '\r'
exit "$(cat "$rc")"
