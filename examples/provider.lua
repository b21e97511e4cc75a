-- provider.lua: the second half of `make demo`. A protocol manager written
-- in Lua (the very script the luapm library serves, examples/luapm.lua)
-- answers calls made through its native interfaces: a one-shot answered
-- inside the call, a stream its step function feeds, a binary listing
-- decoded here, an unregistration, an action that raises, and the counts
-- that show every reference was given back.
local ca = require "customaction"

local pm, step = dofile("examples/luapm.lua")
pm:define("Broken", function() error("this action is broken") end)

print(("customaction %s: a protocol manager written in Lua"):format(ca._VERSION))
print()

-- 1. RunCustomAction on this thread: the action answers inside the call
local answer
local echo = ca.callback(function(_, response) answer = response end)
local hr = pm:run("Echo", "hello from a native caller", echo)
print(("1. RunCustomAction(\"Echo\") returned %s; the answer: %q")
  :format(hr.name, answer))

-- 2. RegisterCustomActionCallback: the script's step function streams
print("2. RegisterCustomActionCallback(\"Counters\", \"count=5\"), fed by step()")
local done = false
local counters = ca.callback(function(status, response, final)
  print(("   %-12s %s%s"):format(response, status.name, final and "  (final)" or ""))
  done = final
end, { name = "counters" })
pm:register("Counters", "count=5", counters)
while not done do step() end

-- 3. a binary answer, decoded with ca.reader: DWORD count, then records
--    of DWORDs and counted, padded UTF-16LE strings
local listing
pm:run("Listing", nil, ca.callback(function(_, response) listing = response end))
local r = ca.reader(listing)
local count = r:u32()
print(("3. Listing: %d bytes, %d application domains"):format(#listing, count))
local function text() local s = r:utf16(r:u32()) r:align(4) return s end
for _ = 1, count do
  local site, idle = r:u32(), r:u32()
  local id, vpath, ppath = text(), text(), text()
  print(("   site %d %-5s %-22s %-5s %s"):format(site, idle == 1 and "idle" or "busy",
    id, vpath, ppath))
end

-- 4. unregistering an open stream: one final E_ABORT
local last
local endless = ca.callback(function(status, _, final)
  if final then last = status end
end, { name = "endless" })
pm:register("Counters", "count=1000000", endless)
step()
step()
pm:unregister("Counters")
step()   -- lets go of the ended stream
print(("4. UnregisterCustomActionCallback(\"Counters\"): final report %s"):format(last.name))

-- 5. an action that raises: the error goes to on_error, the caller gets
--    a final DISP_E_EXCEPTION
io.stderr:write("   (on_error prints the next lines)\n")
local status
pm:run("Broken", "", ca.callback(function(s) status = s end))
print(("5. an action that raises: the caller gets %s"):format(status.name))

-- 6. references: every callback is back to the one its proxy holds
collectgarbage()
collectgarbage()
local s = pm:stats()
print(("6. %d native calls; callbacks' references: echo %d, counters %d, endless %d; "
  .. "provider %d"):format(s.calls, echo:stats().refs, counters:stats().refs,
  endless:stats().refs, s.refs))
pm:close()
