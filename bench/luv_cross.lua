-- luv_cross.lua: the luv peer for the cross-thread benchmark. Producer
-- threads (uv.new_thread) call async:send as fast as they can; the main
-- loop counts how many callbacks arrive. libuv coalesces sends, so fewer
-- arrive than were sent. Prints one line: sent delivered seconds.
-- Usage: lua5.4 bench/luv_cross.lua PER_THREAD THREADS [string]
local uv = require "luv"
local per, nthreads = tonumber(arg[1]), tonumber(arg[2])
local payload = arg[3] == "string" and "0123456789abcdef" or nil
local got, finished = 0, 0
local async = uv.new_async(function() got = got + 1 end)
local done
done = uv.new_async(function()
  finished = finished + 1
  if finished == nthreads then
    -- let sends still in flight arrive, then stop
    local t = uv.new_timer()
    t:start(50, 0, function() t:close() async:close() done:close() end)
  end
end)
local t0 = uv.hrtime()
for _ = 1, nthreads do
  uv.new_thread(function(a, d, n, p)
    for i = 1, n do
      if p then a:send(p) else a:send(i) end
    end
    d:send()
  end, async, done, per, payload)
end
uv.run()
print(per * nthreads, got, (uv.hrtime() - t0) / 1e9)
