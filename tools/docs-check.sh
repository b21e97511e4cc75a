#!/bin/sh
# TAP: `ldoc` builds the reference without a complaint, and every function
# the C binding registers has an entry in it (the method tables of every
# binding file, by type, and module functions by name; the facade's own
# renames and metamethods aside).
LDOC=${LDOC:-lua5.1 /usr/bin/ldoc}
echo "1..4"
out=$($LDOC . 2>&1)
status=$?
noise=$(echo "$out" | grep -v -e '^reading configuration' -e '^output written' \
                             -e '^found master module' -e 'closing section from master')
if [ $status -ne 0 ] || [ -n "$noise" ] || [ ! -s build/docs/modules/customaction.html ]; then
  echo "$out" | sed 's/^/# /'
  echo "not ok 1 - ldoc builds build/docs without warnings"
else
  echo "ok 1 - ldoc builds build/docs without warnings"
fi
# "file prefix table": the luaL_Reg table in that file, and how its names
# appear in the reference
missing=""
for spec in "lcallback.c callback: methods" "lissuer.c issuer: methods" \
            "lhresult.c hresult: hr_methods" "lhresult.c '' module_funcs" \
            "lhub.c '' funcs" "lutf16.c utf16. funcs" "lutf16.c ansi. ansi_funcs" "lactions.c actions: methods" \
            "lpm.c protocol_manager: methods" "lprovider.c provider: methods" \
            "lreply.c reply: reply_methods" "lbinary.c reader: reader_methods" \
            "lbinary.c writer: writer_methods"; do
  set -- $spec
  file=$1 prefix=$(echo "$2" | tr -d "'") table=$3
  names=$(sed -n "/^static const luaL_Reg $table\[\]/,/^};/p" "src/lua/$file" |
          grep -o '{"[a-z_0-9]*",' | sed 's/{"\(.*\)",/\1/' | grep -v '^hresult_')
  for n in $names; do
    grep -q "name = \"$prefix$n\"" build/docs/modules/customaction.html ||
      missing="$missing $prefix$n"
  done
done
if [ -n "$missing" ]; then
  echo "# undocumented:$missing"
  echo "not ok 2 - every registered C function is in the reference"
else
  echo "ok 2 - every registered C function is in the reference"
fi
# ca.help() names every function the reference documents (by its last
# part: "issuer:now" as "now"), so the REPL summary cannot fall behind.
helptext=$(LUA_CPATH="${CA_BUILD:-build}/?.so;;" LUA_PATH='lua/?.lua;lua/?/init.lua;;' \
           lua5.4 -e 'require("customaction").help()' 2>&1)
missing=""
for n in $(grep -o 'name = "[^"]*"' build/docs/modules/customaction.html | sed 's/name = "\(.*\)"/\1/'); do
  short=${n##*[:.]}
  echo "$helptext" | grep -q "[.:]$short\>\|\<$short(" || missing="$missing $n"
done
if [ -n "$missing" ]; then
  echo "# not in ca.help():$missing"
  echo "not ok 3 - ca.help() names every documented function"
else
  echo "ok 3 - ca.help() names every documented function"
fi
# The manual's table of limits and defaults is the core's one list
# (ca.defaults), row for row.
manual=$(sed -n 's/^| `\([a-z_]*\.[a-z_0-9]*\)` | \([0-9]*\) |.*/\1=\2/p' docs/manual.md | sort | tr '\n' ' ')
module=$(LUA_CPATH="${CA_BUILD:-build}/?.so;;" LUA_PATH='lua/?.lua;lua/?/init.lua;;' lua5.4 -e '
  local rows = {}
  for where, opts in pairs(require("customaction").defaults) do
    for k, v in pairs(opts) do rows[#rows + 1] = where .. "." .. k .. "=" .. v end
  end
  table.sort(rows)
  print(table.concat(rows, " "))' 2>&1)
if [ "$manual" = "$module " ]; then
  echo "ok 4 - the manual lists the limits and defaults of ca.defaults"
else
  echo "# manual:    $manual"
  echo "# ca.defaults: $module"
  echo "not ok 4 - the manual lists the limits and defaults of ca.defaults"
fi
