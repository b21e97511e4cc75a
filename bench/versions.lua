-- Same-thread cb:report cost on the running Lua: Lua -> C -> the v2
-- vtable -> a protected call of the handler -> back, median of 7 runs.
-- `make bench-versions` runs it on every Lua the project builds for and
-- gives each as a ratio to Lua 5.4 in the same run (BASE_NS). A Lua pcall
-- of the same handler is shown for scale; LuaJIT compiles that loop away.
local ca = require "customaction"

local N = tonumber(os.getenv("BENCH_N")) or 1000000
local RUNS = 7
local payload = "0123456789abcdef"

local function median(t)
  table.sort(t)
  return t[math.floor((#t + 1) / 2)]
end

local function time(f)
  local runs = {}
  for r = 1, RUNS do
    local t = os.clock()
    f()
    runs[r] = (os.clock() - t) / N * 1e9
  end
  return median(runs)
end

local n = 0
local function handler() n = n + 1 end
local cb = ca.callback(handler)
local status = ca.S_OK

local report = time(function()
  for _ = 1, N do cb:report(status, payload) end
end)
local floor = time(function()
  for _ = 1, N do pcall(handler, status, payload, false) end
end)

local base = tonumber(os.getenv("BASE_NS"))
if os.getenv("NS_ONLY") then
  io.write(string.format("%.1f\n", report))
else
  io.write(string.format("| %s | %.0f ns | %s | %.0f ns |\n",
    jit and jit.version or _VERSION, report,
    base and string.format("%.2fx", report / base) or "-", floor))
end
