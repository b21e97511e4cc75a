-- luv.lua: customaction inside a libuv loop; a threaded simulated issuer
-- streams counters. On POSIX systems a poll handle watches ca.fd(), which
-- is readable while reports are pending, and dispatches them inside
-- uv.run. On Windows luv polls only sockets and ca.fd() is an event
-- handle, so a repeating timer dispatches instead (`lua luv.lua timer`
-- picks the timer anywhere).
local uv = require "luv"
local ca = require "customaction"

local use_timer = arg[1] == "timer" or package.config:sub(1, 1) == "\\"

local pm = ca.issuer({ threads = 2 })
pm:define("Counters", { every = 2, count = 200, format = "requests=%d" })

local got, last, final_status = 0, nil, nil
local watcher = use_timer and uv.new_timer() or uv.new_poll(ca.fd())
local guard = uv.new_timer()

local cb = ca.callback(function(status, response, final)
  got, last = got + 1, response
  if final then
    final_status = status
    watcher:stop()
    guard:stop()
  end
end, { name = "luv" })

if use_timer then
  watcher:start(1, 1, function() ca.dispatch() end)   -- every millisecond
else
  watcher:start("r", function(err)
    assert(not err, err)
    ca.dispatch()
  end)
end
guard:start(10000, 0, function()   -- never wait for ever
  watcher:stop()
  io.stderr:write("luv example: timed out\n")
end)

assert(pm:register("Counters", "site=1", cb) == ca.S_OK)
uv.run()
watcher:close()
guard:close()
uv.run()
pm:close()
print(("luv (%s): %d reports, last %s, final %s"):format(use_timer and "timer" or "poll",
  got, last, tostring(final_status and final_status.name)))
os.exit(got == 200 and last == "requests=200" and 0 or 1)
