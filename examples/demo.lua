-- demo.lua: what `make demo` runs. A simulated protocol manager with two
-- worker threads streams counters to a Lua handler (with a live progress
-- line), a ticking action is unregistered early, a one-shot request
-- listing arrives as UTF-16 text, a failing action reports its HRESULT,
-- and a summary closes the run.
local ca = require "customaction"

local pm = ca.issuer({ threads = 2 })
pm:define("Counters", { every = 25, count = 40, format = "requests=%d" })
pm:define("Ticker", { every = 10, format = "tick %d" })

local summary = {}
local function note(action, status, response)
  local s = summary[action]
  if not s then
    s = { reports = 0, bytes = 0, statuses = {}, first = pm:now() }
    summary[action] = s
    summary[#summary + 1] = action
  end
  s.reports = s.reports + 1
  s.bytes = s.bytes + (response and #response or 0)
  s.statuses[status.name or tostring(status.value)] =
    (s.statuses[status.name or tostring(status.value)] or 0) + 1
  s.last = pm:now()
end

print(("customaction %s: a simulated protocol manager on 2 worker threads")
  :format(ca._VERSION))
print()

-- 1. a registration that streams, with a live progress line
print("1. RegisterCustomActionCallback(\"Counters\", \"site=1\"): 40 responses, 25 ms apart")
for status, response, final in pm:stream("Counters", "site=1") do
  note("Counters", status, response)
  local n = summary.Counters.reports
  io.write(("\r   [%-40s] %2d/40  %-14s %s"):format(string.rep("#", n), n, response,
    final and "final" or "     "))
  io.flush()
end
print()

-- 2. an action that would run for ever, unregistered early
print("2. Ticker every 10 ms, unregistered after about 100 ms")
local ticker_done = false
local ticker = ca.callback(function(status, response, final)
  note("Ticker", status, response)
  if final then
    print(("   final report: %s, %d bytes"):format(tostring(status), #response))
    ticker_done = true
  end
end, { name = "ticker" })
pm:register("Ticker", "", ticker)
local stop_at = pm:now() + 100
while pm:now() < stop_at do ca.wait(0.02) end
print("   UnregisterCustomActionCallback(\"Ticker\") -> " .. tostring(pm:unregister("Ticker")))
-- the E_ABORT final comes from a worker thread: wait until it is delivered
while not ticker_done do ca.wait(0.02) end

-- 3. a one-shot request, answered in UTF-16 inside the call (RunCustomAction
-- reports on the caller's thread, as IIS's core protocol manager does)
print("3. RunCustomAction(\"GetRequests\"): a one-shot listing in UTF-16")
local listing
local request = ca.callback(function(status, response)
  note("GetRequests", status, response)
  listing = ca.utf16.decode(response)
end, { name = "requests" })
pm:run("GetRequests", "", request)
for line in listing:gmatch("[^\n]+") do print("   " .. line) end

-- 4. a one-shot action that fails
print("4. RunCustomAction(\"Fail\")")
local failed
local fail = ca.callback(function(status, response)
  note("Fail", status, response)
  failed = status
end, { name = "fail" })
pm:run("Fail", "", fail)
print("   " .. tostring(failed))

-- summary
while pm:pending() > 0 do ca.wait(0.01) end
local log = pm:log()
local refs = 0
for _, e in ipairs(log) do
  if e.op == "addref" then refs = refs + 1 elseif e.op == "release" then refs = refs - 1 end
end
pm:close()
print()
print(("%-12s %8s %8s %10s  %s"):format("action", "reports", "bytes", "ms", "statuses"))
for _, action in ipairs(summary) do
  local s = summary[action]
  local st = {}
  for name, n in pairs(s.statuses) do st[#st + 1] = ("%s x%d"):format(name, n) end
  table.sort(st)
  print(("%-12s %8d %8d %10d  %s"):format(action, s.reports, s.bytes,
    s.last - s.first, table.concat(st, ", ")))
end
print(("\n%d protocol events logged; AddRef/Release balance: %d"):format(#log, refs))
