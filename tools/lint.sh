#!/bin/sh
# TAP: luacheck over the Lua code (.luacheckrc) and cppcheck over the C
# sources, with the warnings we keep at zero.
echo "1..2"
if out=$(luacheck --no-color -q lua examples bench spec tools bin/customaction 2>&1); then
  echo "ok 1 - luacheck: no warnings"
else
  echo "$out" | sed 's/^/# /'
  echo "not ok 1 - luacheck"
fi
if out=$(cppcheck --quiet --enable=warning,portability --inline-suppr \
           --error-exitcode=1 -I include -I src/core -I src/sim -I src/lua src tests/peer 2>&1); then
  echo "ok 2 - cppcheck: no warnings"
else
  echo "$out" | sed 's/^/# /'
  echo "not ok 2 - cppcheck"
fi
