-- cqueues.lua: customaction inside a cqueues controller. A coroutine
-- waits on ca.fd() with cqueues.poll and dispatches; a threaded
-- simulated issuer streams counters.
local cqueues = require "cqueues"
local ca = require "customaction"

local pm = ca.issuer({ threads = 2 })
pm:define("Counters", { every = 2, count = 200, format = "requests=%d" })

local got, last, done = 0, nil, false
local cb = ca.callback(function(_, response, final)
  got, last = got + 1, response
  if final then done = true end
end, { name = "cqueues" })

-- anything with pollfd and events fields can be polled
local readable = { pollfd = ca.fd(), events = "r" }

local cq = cqueues.new()
cq:wrap(function()
  local deadline = cqueues.monotime() + 10
  while not done and cqueues.monotime() < deadline do
    cqueues.poll(readable, 0.5)
    ca.dispatch()
  end
end)

assert(pm:register("Counters", "site=1", cb) == ca.S_OK)
assert(cq:loop())
pm:close()
print(("cqueues: %d reports, last %s"):format(got, last))
os.exit(got == 200 and last == "requests=200" and 0 or 1)
