-- luv.lua: customaction inside a libuv loop. A poll handle watches
-- ca.fd(), which is readable while reports are pending, and dispatches
-- them inside uv.run; a threaded simulated issuer streams counters.
local uv = require "luv"
local ca = require "customaction"

local pm = ca.issuer({ threads = 2 })
pm:define("Counters", { every = 2, count = 200, format = "requests=%d" })

local got, last, final_status = 0, nil, nil
local poll = uv.new_poll(ca.fd())
local guard = uv.new_timer()

local cb = ca.callback(function(status, response, final)
  got, last = got + 1, response
  if final then
    final_status = status
    poll:stop()
    guard:stop()
  end
end, { name = "luv" })

poll:start("r", function(err)
  assert(not err, err)
  ca.dispatch()
end)
guard:start(10000, 0, function()   -- never wait for ever
  poll:stop()
  io.stderr:write("luv example: timed out\n")
end)

assert(pm:register("Counters", "site=1", cb) == ca.S_OK)
uv.run()
poll:close()
guard:close()
uv.run()
pm:close()
print(("luv: %d reports, last %s, final %s"):format(got, last, tostring(final_status and final_status.name)))
os.exit(got == 200 and last == "requests=200" and 0 or 1)
