-- ffi_same.lua (LuaJIT): the peer for the same-thread benchmark. A C loop
-- (bench/ffiloop.c) calls an ffi.cast Lua function that builds the response
-- with ffi.string and calls the same handler as bench_same.c.
-- Usage: luajit bench/ffi_same.lua path/to/libffiloop.so
local ffi = require "ffi"
ffi.cdef [[
typedef int32_t (*report_fn)(int32_t, int32_t, const uint8_t *, uint32_t);
int64_t ffiloop_run(report_fn fn, int64_t n, uint8_t *buf, uint32_t len);
typedef struct { long tv_sec; long tv_nsec; } timespec_t;
int clock_gettime(int clk, timespec_t *ts);
]]
local lib = ffi.load(assert(arg[1], "path of libffiloop.so"))
local quick = os.getenv("QUICK") and os.getenv("QUICK") ~= "0"
local runs = quick and 5 or 7

local ts = ffi.new("timespec_t")
local function now()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

local n = 0
local function handler(_, _, _) n = n + 1 end
local cb = ffi.cast("report_fn", function(status, final, buf, len)
  handler(status, ffi.string(buf, len), final ~= 0)
  return 0
end)

local sizes = { { 16, "16B" }, { 4096, "4KiB" }, { 1048576, "1MiB" } }
for _, s in ipairs(sizes) do
  local len, name = s[1], s[2]
  local iters = len >= 1048576 and 2000 or 2000000
  if quick then iters = math.floor(iters / 4) end
  local buf = ffi.new("uint8_t[?]", len)
  for i = 0, len - 1 do buf[i] = (i * 31) % 256 end
  local t = {}
  for r = 1, runs do
    local t0 = now()
    lib.ffiloop_run(cb, iters, buf, len)
    t[r] = (now() - t0) * 1e9 / iters
  end
  table.sort(t)
  local med = #t % 2 == 1 and t[(#t + 1) / 2] or (t[#t / 2] + t[#t / 2 + 1]) / 2
  print(("RESULT same luajit_ffi_%s %.4g %.4g %.4g ns/report"):format(name, med, t[1], t[#t]))
end
