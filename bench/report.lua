-- report.lua: turns bench/run.sh's raw lines into bench/results.md.
local raw = assert(io.open(assert(arg[1]), "r")):read("a")
local R, luv, skipped = {}, { integer = {}, string = {} }, {}
for line in raw:gmatch("[^\n]+") do
  local g, n, med, lo, hi, unit = line:match("^RESULT (%S+) (%S+) (%S+) (%S+) (%S+) (%S+)")
  if g then R[g .. "." .. n] = { med = tonumber(med), lo = tonumber(lo), hi = tonumber(hi), unit = unit } end
  local sg, sn, why = line:match("^SKIP (%S+) (%S+) (.*)")
  if sg then skipped[sg .. "." .. sn] = why end
  local mode, rc, sent, got, secs = line:match("^LUV (%S+) (%d+)%s+(%S+)%s+(%S+)%s+(%S+)")
  if mode then
    table.insert(luv[mode], { rc = tonumber(rc), sent = tonumber(sent), got = tonumber(got), secs = tonumber(secs) })
  end
end

local function sh(cmd)
  local f = io.popen(cmd .. " 2>/dev/null")
  local s = f and f:read("a") or ""
  if f then f:close() end
  return (s:gsub("%s+$", ""))
end

local out = {}
local function p(fmt, ...) out[#out + 1] = select("#", ...) > 0 and fmt:format(...) or fmt end
local function fmtv(v) return v >= 100 and ("%.0f"):format(v) or ("%.3g"):format(v) end
local function cell(k)
  local r = R[k]
  if not r then return "n/a" end
  return ("%s (%s–%s)"):format(fmtv(r.med), fmtv(r.lo), fmtv(r.hi))
end
local function ratio(a, b)
  if not (R[a] and R[b]) then return nil end
  return R[a].med / R[b].med
end
local function verdict(ok) return ok and "met" or "**not met**" end
-- A ratio measured within each run (a RESULT line of unit "ratio"), else
-- the ratio of the two medians.
local function within(rk, a, b)
  if R[rk] then return R[rk].med end
  return ratio(a, b)
end
local function x(v) return v and ("%.2fx"):format(v) or "n/a" end
-- Same-thread cost at 4 KiB and 1 MiB before this round (bench_same at
-- commit b0a7634, median of 7 runs of ours / safe floor, same run):
-- the "no worse than today" targets compare against these.
local BEFORE = { ["4KiB"] = 1.07, ["1MiB"] = 1.01 }

p("# Benchmark results")
p("")
p("Written by `make bench` (bench/run.sh, then bench/report.lua). Medians of")
local quick = os.getenv("QUICK")
p("%s runs with min–max; every ratio compares two figures measured in the",
  (quick and quick ~= "" and quick ~= "0") and "5" or "7")
p("same run. Machine: %s, %s cores, %s; Lua %s; %s; %s.",
  sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'"), sh("nproc"),
  sh("uname -sr"), sh("lua5.4 -v | cut -d' ' -f2"), sh("luajit -v | cut -d' ' -f1-2"),
  os.date("!%Y-%m-%d"))
p("")
p("## Same thread: one report into a Lua handler")
p("")
p("`build/bench/bench_same` and `luajit bench/ffi_same.lua`: ns per report. The bare floor")
p("is a lua_pcall of the handler with its arguments pushed outside it; the safe floor")
p("is a lua_pcall of a minimal C function that pushes the handler, an integer status,")
p("the response string and a boolean, then calls the handler (a memory error making")
p("the string cannot unwind through the native caller). Ours / floor ratios are the")
p("median of the ratios taken within each run; the LuaJIT figures come from a")
p("separate process, so FFI / ours is a ratio of medians.")
p("")
p("| payload | bare floor | safe floor | ours: v2 vtable | LuaJIT FFI callback | ours / safe floor"
  .. " | ours / bare floor | FFI / ours |")
p("|---|---|---|---|---|---|---|---|")
for _, s in ipairs({ "16B", "4KiB", "1MiB" }) do
  p("| %s | %s | %s | %s | %s | %s | %s | %s |", s, cell("same.floor_" .. s), cell("same.safe_" .. s),
    cell("same.vtable_" .. s), cell("same.luajit_ffi_" .. s),
    x(within("same.vtable_over_safe_" .. s, "same.vtable_" .. s, "same.safe_" .. s)),
    x(within("same.vtable_over_floor_" .. s, "same.vtable_" .. s, "same.floor_" .. s)),
    x(ratio("same.luajit_ffi_" .. s, "same.vtable_" .. s)))
end
p("")
local ir = {}
for _, k in ipairs({ "floor", "safe", "vtable" }) do ir[k] = R["callgrind." .. k .. "_16B"] end
if ir.safe and ir.vtable then
  p("Instructions per 16 B report (`valgrind --tool=callgrind`, one loop counted with")
  p("`--toggle-collect`; repeatable on a loaded machine, unlike the times above): bare")
  p("floor %s, safe floor %s, ours %s; ours / safe floor %.2fx.",
    ir.floor and fmtv(ir.floor.med) or "n/a", fmtv(ir.safe.med), fmtv(ir.vtable.med), ir.vtable.med / ir.safe.med)
  p("")
end
p("## Cross thread: reports delivered per second (16 B)")
p("")
p("`build/bench/bench_cross cross`: producers call ReportResult as fast as they can, the Lua")
p("thread dispatches; every report must arrive. The naive peer is a mutex + condition variable")
p("queue with one malloc and one lua_pcall per record, written for the benchmark.")
p("")
p("| producers | ours (M/s) | naive queue (M/s) | ours / naive |")
p("|---|---|---|---|")
for _, n in ipairs({ 1, 4 }) do
  local r = within(("cross.ours_over_naive_%dp_16B"):format(n), ("cross.ours_%dp_16B"):format(n),
    ("cross.naive_%dp_16B"):format(n))
  p("| %d | %s | %s | %s |", n, cell(("cross.ours_%dp_16B"):format(n)), cell(("cross.naive_%dp_16B"):format(n)), x(r))
end
p("")
for _, mode in ipairs({ "integer", "string" }) do
  local runs = luv[mode]
  if #runs > 0 then
    local crashes, fr, rates = 0, {}, {}
    for _, r in ipairs(runs) do
      if r.rc ~= 0 then crashes = crashes + 1
      else
        fr[#fr + 1] = r.got / r.sent
        rates[#rates + 1] = r.got / r.secs / 1e6
      end
    end
    table.sort(fr)
    table.sort(rates)
    p("luv (`uv.new_thread` + `uv.new_async`, %s payload, one producer, in a child process): %d of %d runs crashed%s.",
      mode, crashes, #runs,
      #fr > 0 and (("; in the others %.2f%% of the sends arrived (median), %.3g M callbacks/s"):format(
        fr[(#fr + 1) // 2] * 100, rates[(#rates + 1) // 2])) or "")
    p("")
  end
end
p("## Large payloads, end to end")
p("")
p("`build/bench/bench_cross large`: one producer thread, the Lua handler gets each payload as")
p("a string; the same reports made on the Lua thread itself, and memcpy of the same bytes, in")
p("the same run. Cross / same is the median of the ratios taken within each run. The Lua")
p("thread waits in `ca.wait(0.001)`, in `ca.wait(0.05)`, or calls `ca.dispatch()` in a busy loop.")
p("")
p("| consumer | payload | cross thread (GB/s) | same thread (GB/s) | memcpy (GB/s) | cross / same | cross / memcpy |")
p("|---|---|---|---|---|---|---|")
local CONSUMERS = { { "", "ca.wait(0.001)" }, { "wait50ms_", "ca.wait(0.05)" }, { "dispatch_", "ca.dispatch() loop" } }
for _, c in ipairs(CONSUMERS) do
  for _, s in ipairs({ "64KiB", "1MiB" }) do
    local k = "large." .. c[1]
    local r = within(k .. "cross_over_same_" .. s, k .. "ours_" .. s, k .. "same_" .. s)
    local m = ratio(k .. "ours_" .. s, k .. "memcpy_" .. s)
    p("| %s | %s | %s | %s | %s | %s | %s |", c[2], s, cell(k .. "ours_" .. s), cell(k .. "same_" .. s),
      cell(k .. "memcpy_" .. s), r and ("%.2f"):format(r) or "n/a", m and ("%.3f"):format(m) or "n/a")
  end
end
p("")
p("## Memory")
p("")
local bq = R["memory.bytes_per_queued_16B"]
p("- bytes per queued report (16 B payload, a million queued): %s, so %s bytes of overhead beyond the payload",
  bq and fmtv(bq.med) or "n/a", bq and fmtv(bq.med - 16) or "n/a")
local pk = R["memory.peak_rss_growth_default_limits"]
p("- peak RSS growth of a producer that outruns a consumer that never dispatches, default limits: %s MiB",
  pk and fmtv(pk.med) or "n/a")
p("")
p("## The simulated issuer")
p("")
p("`lua5.4 bench/issuer.lua`: two worker threads, two registrations, a Lua handler: %s M reports/s.",
  cell("issuer.ours_2threads_16B"))
p("")
p("## Round trips")
p("")
p("`build/bench/bench_roundtrip`: one operation from start to answer, and as a ratio to a")
p("same-thread 16 B report (ReportResult through the v2 vtable into a Lua handler) measured")
p("in the same run (median of the within-run ratios).")
p("")
p("Instructions: `make bench-check`'s count of each (callgrind), over its count of a 16 B")
p("same-thread report (`report_16B`).")
p("")
p("| round trip | ns per operation | / same-thread report | instructions | / report |")
p("|---|---|---|---|---|")
local RT = {
  { "actions_run", "`actions:run` on a library that does no work of its own (minipm), with a callback" },
  { "actions_run_fn", "the same with a plain function as the handler" },
  { "actions_run_sample", "`actions:run` on the sample protocol manager (its own work included)" },
  { "provider_run", "native `RunCustomAction` on a Lua provider, from the Lua thread" },
  { "provider_stream", "native `RegisterCustomActionCallback` on a Lua provider whose action sends 100 reports"
    .. " and a final one, per report" },
  { "stream", "a registration streaming from the sample library's own thread into a Lua handler, per report" },
  { "stream_bare", "a stream from a thread that only calls `ReportResult` (a library with no work of its own),"
    .. " per report" },
}
local function irx(name)
  local a, b = R["ops." .. name], R["ops.report_16B"]
  return a and b and a.med / b.med
end
for _, t in ipairs(RT) do
  local k = "roundtrip." .. t[1]
  local ins = R["ops." .. t[1]]
  local icell = ins and fmtv(ins.med) or "n/a"
  if R[k] then
    p("| %s | %s | %s | %s | %s |", t[2], cell(k), x(within(k .. "_over_report", k, "roundtrip.report")),
      icell, x(irx(t[1])))
  else
    p("| %s | not measured: %s | | %s | %s |", t[2], skipped[k] or "no result line", icell, x(irx(t[1])))
  end
end
p("")
p("## Targets")
p("")
p("| target (issues 18 and 26) | measured | |")
p("|---|---|---|")
local function target(text, v, shown, ok)
  if v then p("| %s | %s | %s |", text, shown, verdict(ok)) else p("| %s | not measured | **not met** |", text) end
end
local r16 = within("same.vtable_over_safe_16B", "same.vtable_16B", "same.safe_16B")
target("same thread 16 B: at most 1.10x the safe floor", r16, x(r16), r16 and r16 <= 1.10)
for _, s in ipairs({ "4KiB", "1MiB" }) do
  local r = within("same.vtable_over_safe_" .. s, "same.vtable_" .. s, "same.safe_" .. s)
  target(("same thread %s: no worse than before this round (%.2fx the safe floor)"):format(s, BEFORE[s]),
    r, x(r), r and r <= BEFORE[s])
end
for _, s in ipairs({ "16B", "4KiB" }) do
  local r = ratio("same.luajit_ffi_" .. s, "same.vtable_" .. s)
  target(("same thread %s: at least 1.5x faster than the LuaJIT FFI callback"):format(s), r, x(r), r and r >= 1.5)
end
for _, c in ipairs(CONSUMERS) do
  for _, s in ipairs({ "64KiB", "1MiB" }) do
    local k = "large." .. c[1]
    local want = s == "64KiB" and 0.6 or 0.5
    local r = within(k .. "cross_over_same_" .. s, k .. "ours_" .. s, k .. "same_" .. s)
    target(("cross thread %s end to end, %s: at least %.1fx the same-thread rate"):format(s, c[2], want), r,
      r and ("%.2f"):format(r), r and r >= want)
  end
end
local c1 = R["cross.ours_1p_16B"]
target("cross thread 16 B, one producer: at least 12 M reports/s, all delivered", c1,
  c1 and ("%.3g M/s"):format(c1.med), c1 and c1.med >= 12)
local cn = within("cross.ours_over_naive_1p_16B", "cross.ours_1p_16B", "cross.naive_1p_16B")
target("cross thread 16 B, one producer: at least 2.5x the naive queue", cn, x(cn), cn and cn >= 2.5)
local function rt(name)
  local k = "roundtrip." .. name
  return R[k] and within(k .. "_over_report", k, "roundtrip.report")
end
for _, t in ipairs({
  { "actions_run", "`actions:run` through a synchronous library that does no work", 3 },
  { "actions_run_fn", "the same with a plain function (callback made for the call)", 3 },
  { "provider_run", "native `RunCustomAction` on a Lua provider, on the Lua thread", 3 },
  { "provider_stream", "`RegisterCustomActionCallback` on a Lua provider + a stream of reports + final,"
    .. " per report", 1.5 },
  { "stream", "a stream from the sample library's own thread, per report", 1.5 },
  { "stream_bare", "a stream from a library's own thread that does no work of its own, per report", 1.5 },
}) do
  local r, ri = rt(t[1]), irx(t[1])
  target(("%s: at most %gx a same-thread report in time"):format(t[2], t[3]), r, x(r), r and r <= t[3])
  target(("%s: at most %gx in instructions"):format(t[2], t[3]), ri, x(ri), ri and ri <= t[3])
end
local ri16 = ir.safe and ir.vtable and ir.vtable.med / ir.safe.med
target("same thread 16 B: at most 1.15x the safe floor in instructions", ri16, x(ri16), ri16 and ri16 <= 1.15)
-- before this round: 64.4 B (rounded); a measurement from RSS, so within 1 %
target("memory per queued 16 B report no worse than before (64.4 B)", bq,
  bq and fmtv(bq.med) .. " B", bq and bq.med <= 64.4 * 1.01)
p("")
p("Why the unmet targets are not met, with the experiment that shows it: "
  .. "[docs/performance.md](../docs/performance.md).")
io.write(table.concat(out, "\n"), "\n")
