-- foreign.lua: what the second half of `make demo` runs. A protocol-manager
-- library (the sample in examples/pm, or any other given as the first
-- argument) is loaded with the module's worker-process framework, then
-- driven end to end: a synchronous run, a setting read through the
-- framework, a binary application-domain listing decoded with ca.reader,
-- a stream from the library's own thread, a failure request, a health
-- check, and shutdown.
--   lua examples/foreign.lua build/pm/samplepm.so
local ca = require "customaction"

local ext = package.config:sub(1, 1) == "\\" and "dll" or "so"   -- Windows: samplepm.dll
local path = arg[1] or ((os.getenv("CA_BUILD") or "build") .. "/pm/samplepm." .. ext)

print(("customaction %s: the protocol manager %s, loaded with our framework"):format(ca._VERSION, path))
print()

local pm = ca.load(path, {
  settings = { APP_POOL_NAME = "DefaultAppPool", IDLE_TIMEOUT = 20 },
  applications = {
    { id = "1/ROOT", vpath = "/", site = 1 },
    { id = "2/ROOT/shop", vpath = "/shop", site = 2 },
  },
  on_fail = function(reason, hr, next_ping)
    print(("   on_fail: %q, %s%s"):format(reason, hr.name, next_ping and ", on next ping" or ""))
  end,
  on_recycle = function(reason) print(("   on_recycle: %q"):format(reason)) end,
})

local acts = pm:custom_actions()     -- IPmCustomActions: synchronous
local function run(name, args)
  local status, response
  local hr = acts:run(name, args, function(s, r) status, response = s, r end)
  return hr, status, response
end

print("1. RunCustomAction answers inside the call")
local hr, status, response = run("Echo", "hello from Lua")
print(("   Echo: %s, report %s %q"):format(hr.name, status.name, ca.utf16.decode(response)))
print(("   Nope: %s (no report)"):format((run("Nope", "")).name))

print("2. a setting read through IWpfSettings")
response = select(3, run("AppPool", ""))
print(("   APP_POOL_NAME = %q"):format(ca.utf16.decode(response)))

print("3. an application-domain listing, decoded with ca.reader")
response = select(3, run("Listing", "1/ROOT;2/ROOT/shop"))
local r = ca.reader(response)
for _ = 1, r:u32() do
  local site, idle = r:u32(), r:u32() == 1
  local id = r:utf16(r:u32()) r:align(4)
  local vpath = r:utf16(r:u32()) r:align(4)
  local phys = r:utf16(r:u32()) r:align(4)
  print(("   site %d %-5s %-24s %-6s %s"):format(site, idle and "idle" or "busy", id, vpath, phys))
end

print("4. IPmCustomActions2 streams from the library's own thread")
local a2 = pm:custom_actions2()
for s, resp, final in a2:stream("Counters", "every=20;count=5") do
  print(("   %s %s%s"):format(s.name, resp or "", final and "  (final)" or ""))
end

print("5. health before and after a FailWorkerProcess request")
print(("   healthy: %s"):format(tostring(pm:check_health(2))))
run("Fail", "too many errors")
print(("   healthy: %s, idle: %s"):format(tostring(pm:check_health(2)), tostring(pm:check_idle())))

print("6. shutdown")
acts:close()
a2:close()
print(("   Shutdown: %s (the sample's AddRef/Release counts balance)"):format(pm:shutdown().name))
local calls = {}
for _, e in ipairs(pm:log()) do calls[e.op] = (calls[e.op] or 0) + 1 end
local ops = {}
for op, n in pairs(calls) do ops[#ops + 1] = ("%s x%d"):format(op, n) end
table.sort(ops)
print("   framework calls: " .. table.concat(ops, ", "))
pm:close()
