-- issuer.lua: reports per second sustained by the simulated issuer with
-- two worker threads through a Lua handler. Two registrations of an action
-- that reports as fast as it can keep both workers busy; the Lua thread
-- dispatches with ca.wait. Prints one RESULT line (median of runs).
local ca = require "customaction"
local quick = os.getenv("QUICK") and os.getenv("QUICK") ~= "0"
local runs, count = quick and 5 or 7, quick and 100000 or 400000
local rates = {}
for r = 1, runs do
  local pm = ca.issuer({ threads = 2, builtins = false, log = false })
  pm:define("Flood", { count = count, payload = "0123456789abcdef" })
  local got, finals = 0, 0
  local cb1 = ca.callback(function(_, _, final) got = got + 1 if final then finals = finals + 1 end end)
  local cb2 = ca.callback(function(_, _, final) got = got + 1 if final then finals = finals + 1 end end)
  local t0 = pm:now()
  pm:register("Flood", "", cb1)
  pm:define("Flood2", { count = count, payload = "0123456789abcdef" })
  pm:register("Flood2", "", cb2)
  while finals < 2 do ca.wait(0.01) end
  local ms = pm:now() - t0
  rates[r] = got / math.max(ms, 1) / 1000   -- M reports/s
  assert(got == 2 * count, "lost reports")
  pm:close()
end
table.sort(rates)
local med = #rates % 2 == 1 and rates[(#rates + 1) / 2] or (rates[#rates / 2] + rates[#rates / 2 + 1]) / 2
print(("RESULT issuer ours_2threads_16B %.4g %.4g %.4g M_reports/s"):format(med, rates[1], rates[#rates]))
