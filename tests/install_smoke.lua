-- The installed module, run by a fresh interpreter whose paths name only
-- the tree it was installed into (tools/dist-check.sh on Linux,
-- tools/winrock-check.sh under Wine): a callback delivers a report, the
-- simulated issuer streams, and the last line names the version and the
-- file `require` found, which the caller compares with the tree's.
local ca = require "customaction"
local got
local cb = ca.callback(function(status, response, final) got = { status, response, final } end)
assert(cb:report(ca.S_OK, "bytes", true) == ca.S_OK)
assert(got[1] == ca.S_OK and got[2] == "bytes" and got[3] == true, "the handler got the report")
local pm = ca.issuer({ clock = "virtual" })
local n = 0
for _ in pm:stream("Counters") do n = n + 1; if n == 3 then break end end
assert(n == 3)
io.write(ca._VERSION, " ", package.searchpath("customaction", package.path), "\n")
