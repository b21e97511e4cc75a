/*
** bench_roundtrip.c: round trips through protocol managers, each per
** operation and as a ratio to a same-thread 16 B report measured in the
** same run (ReportResult through the v2 vtable into a Lua handler, as
** bench_same measures it):
**   actions_run   actions:run("Echo", 8 characters, cb) from Lua on a
**                 library that does no work of its own (tests/pm/minipm.c,
**                 loaded with ca.load): it answers inside the call with
**                 the 16 B of UTF-16 it was given; cb a callback object
**   actions_run_fn the same with a plain function as the handler (the
**                 callback made for the call)
**   actions_run_sample  the same as actions_run on the sample protocol
**                 manager (examples/pm), whose own work is about a third
**   provider_run  a native caller's RunCustomAction("Echo") on a Lua
**                 provider (ca.provider), on the Lua thread, into a
**                 native callback
**   stream        a registration on the sample protocol manager streaming
**                 from its own thread into a Lua handler, per report: on
**                 its virtual clock, "Clock advance=N" makes the library's
**                 thread send all N while the Lua thread waits in that
**                 call, then the Lua thread delivers them (the two halves
**                 one after the other, not overlapped)
** A part whose API or library is missing prints a SKIP line saying why.
** Usage: bench_roundtrip [path/to/samplepm.so [path/to/minipm.so]]
**        bench_roundtrip SAMPLEPM MINIPM count OP N  (OP: report,
**          actions_run, actions_run_fn, actions_run_sample, provider_run,
**          stream)
**          one warm-up, then N operations inside measure(), for callgrind
**          (tools/bench-check.sh): --toggle-collect=measure counts the Lua
**          thread's part; a stream's library thread is counted by taking
**          the difference of two whole-program runs
*/
#include <string.h>

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"
#include "wpf.h"
#include "bench.h"

int luaopen_customaction_core(lua_State *L);

static const char *setup =
  "local pmpath, minipath = ...\n"
  "local ca = require 'customaction'\n"
  "local ok, system = pcall(require, 'system')\n"
  "local now = ok and system.monotime or os.clock\n"
  "local n = 0\n"
  "local function handler() n = n + 1 end\n"
  "local M = {}\n"
  "M.cb = ca.callback(handler, { reuse = true })\n"
  "M.ptr = M.cb:interface('v2')\n"
  "if not ca.load then M.no_load = 'ca.load is not in this build'\n"
  "elseif not io.open(pmpath or '') then\n"
  "  M.no_load = 'no sample protocol manager at ' .. tostring(pmpath)\n"
  "else\n"
  "  local pm = ca.load(pmpath)\n"
  "  M.pm = pm   -- collected, it would shut the library down\n"
  "  local acts, acts2 = pm:custom_actions(), pm:custom_actions2()\n"
  "  local rcb = ca.callback(handler, { reuse = true })\n"
  "  -- on its virtual clock the library makes every report due at once\n"
  "  acts:run('Clock', 'virtual', rcb)\n"
  "  function M.actions_run_sample(iters)\n"
  "    local t0 = now()\n"
  "    for _ = 1, iters do acts:run('Echo', 'abcdefgh', rcb) end\n"
  "    return now() - t0\n"
  "  end\n"
  "  function M.stream(count)\n"
  "    local got, done = 0, false\n"
  "    local scb = ca.callback(function(_, _, final)\n"
  "      got = got + 1\n"
  "      done = final\n"
  "    end)\n"
  "    local t0 = now()\n"
  "    local hr = acts2:register('Counters', 'every=1;count=' .. count, scb)\n"
  "    assert(not hr:failed(), tostring(hr))\n"
  "    acts:run('Clock', 'advance=' .. count, rcb)\n"
  "    while not done do ca.wait(1) end\n"
  "    local t = now() - t0\n"
  "    scb:close()\n"
  "    assert(got == count, 'stream: ' .. got .. ' of ' .. count)\n"
  "    return t\n"
  "  end\n"
  "end\n"
  "if not ca.load then M.no_mini = 'ca.load is not in this build'\n"
  "elseif not io.open(minipath or '') then\n"
  "  M.no_mini = 'no minimal protocol manager at ' .. tostring(minipath)\n"
  "else\n"
  "  local mini = ca.load(minipath)\n"
  "  M.mini = mini\n"
  "  local acts = mini:custom_actions()\n"
  "  local rcb = ca.callback(handler, { reuse = true })\n"
  "  function M.actions_run(iters)\n"
  "    local t0 = now()\n"
  "    for _ = 1, iters do acts:run('Echo', 'abcdefgh', rcb) end\n"
  "    return now() - t0\n"
  "  end\n"
  "  function M.actions_run_fn(iters)\n"
  "    local t0 = now()\n"
  "    for _ = 1, iters do acts:run('Echo', 'abcdefgh', handler) end\n"
  "    return now() - t0\n"
  "  end\n"
  "end\n"
  "if not ca.provider then M.no_provider = 'ca.provider is not in this build'\n"
  "else\n"
  "  M.provider = ca.provider { actions = {\n"
  "    Echo = function(args, reply) return reply:finish(ca.S_OK, args) end,\n"
  "  } }\n"
  "  M.provider_v1 = M.provider:interface('v1')\n"
  "end\n"
  "return M\n";

/* ---- a native ICustomActionResultCallback that counts ------------------ */

static long native_reports;
static ULONG n_addref(ICustomActionResultCallback *self) { (void)self; return 2; }
static ULONG n_release(ICustomActionResultCallback *self) { (void)self; return 1; }
static HRESULT n_report(ICustomActionResultCallback *self, HRESULT hr,
                        BYTE *buf, DWORD len) {
  (void)self; (void)hr; (void)buf; (void)len;
  native_reports++;
  return 0;
}
static const ICustomActionResultCallbackVtbl n_vtbl = {n_addref, n_release,
                                                       n_report};
static ICustomActionResultCallback native_cb = {&n_vtbl};

/* ---- the measurements -------------------------------------------------- */

static lua_State *L;
static int M;   /* the setup's table, in the registry */

static double report_ns(long n) {
  ICustomAction2ResultCallback *v2;
  unsigned char buf[16] = {0};
  double t0;
  long i;
  lua_rawgeti(L, LUA_REGISTRYINDEX, M);
  lua_getfield(L, -1, "ptr");
  v2 = lua_touserdata(L, -1);
  lua_pop(L, 2);
  t0 = bench_now();
  for (i = 0; i < n; i++) {
    buf[0] = (unsigned char)i;
    v2->lpVtbl->ReportResult(v2, 0, 0, buf, 16);
  }
  return (bench_now() - t0) * 1e9 / (double)n;
}

/* M[name](n) returns seconds; ns per operation, or -1 when it failed */
static double lua_ns(const char *name, long n) {
  double s;
  lua_rawgeti(L, LUA_REGISTRYINDEX, M);
  lua_getfield(L, -1, name);
  lua_pushinteger(L, n);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
    fprintf(stderr, "%s: %s\n", name, lua_tostring(L, -1));
    lua_pop(L, 2);
    return -1;
  }
  s = lua_tonumber(L, -1);
  lua_pop(L, 2);
  return s * 1e9 / (double)n;
}

static double provider_ns(long n) {
  static const WCHAR name[] = {'E', 'c', 'h', 'o', 0};
  static const WCHAR args[] = {'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 0};
  IPmCustomActions *pm;
  double t0;
  long i;
  lua_rawgeti(L, LUA_REGISTRYINDEX, M);
  lua_getfield(L, -1, "provider_v1");
  pm = lua_touserdata(L, -1);
  lua_pop(L, 2);
  native_reports = 0;
  t0 = bench_now();
  for (i = 0; i < n; i++)
    pm->lpVtbl->RunCustomAction(pm, name, args, &native_cb);
  t0 = bench_now() - t0;
  if (native_reports != n) {
    fprintf(stderr, "provider: %ld reports of %ld\n", native_reports, n);
    return -1;
  }
  return t0 * 1e9 / (double)n;
}

/* The reason a part is skipped (M.no_load, M.no_mini, M.no_provider), or
   NULL. */
static const char *missing(const char *field) {
  const char *why;
  lua_rawgeti(L, LUA_REGISTRYINDEX, M);
  lua_getfield(L, -1, field);
  why = lua_tostring(L, -1);
  lua_pop(L, 2);   /* the string stays reachable from M */
  return why;
}

/* Which part an operation needs, by its skip field; NULL for none. */
static const char *needs(const char *op) {
  if (strcmp(op, "report") == 0) return NULL;
  if (strcmp(op, "provider_run") == 0) return "no_provider";
  if (strcmp(op, "actions_run") == 0 || strcmp(op, "actions_run_fn") == 0)
    return "no_mini";
  return "no_load";
}

static void result(const char *name, double *v, double *ref, int runs) {
  double ratio[9];
  char key[64];
  int r;
  for (r = 0; r < runs; r++) {
    if (v[r] < 0) return;
    ratio[r] = v[r] / ref[r];
  }
  bench_report("roundtrip", name, bench_summarise(v, runs), "ns/op");
  snprintf(key, sizeof key, "%s_over_report", name);
  bench_report("roundtrip", key, bench_summarise(ratio, runs), "ratio");
}

/* One operation n times; -1 when it failed. */
static double run_op(const char *op, long n) {
  if (strcmp(op, "report") == 0) return report_ns(n);
  if (strcmp(op, "provider_run") == 0) return provider_ns(n);
  return lua_ns(op, n);
}

__attribute__((noinline)) static double measure(const char *op, long n) {
  return run_op(op, n);
}

static int count_only(const char *op, long n) {
  const char *field = needs(op), *why = field ? missing(field) : NULL;
  if (why != NULL) {
    fprintf(stderr, "bench_roundtrip: %s: %s\n", op, why);
    return 2;
  }
  if (run_op(op, 100) < 0 || measure(op, n) < 0) return 1;
  return 0;
}

static const char *const ops[] = {"actions_run", "actions_run_fn",
  "actions_run_sample", "provider_run", "stream"};
#define NOPS (sizeof ops / sizeof ops[0])

int main(int argc, char **argv) {
  int runs = bench_runs(), r;
  long n = bench_quick() ? 50000 : 200000;
  double rep[9], v[NOPS][9];
  const char *why[NOPS];
  size_t k;
  L = luaL_newstate();
  luaL_openlibs(L);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, luaopen_customaction_core);
  lua_setfield(L, -2, "customaction.core");
  lua_pop(L, 1);
  if (luaL_loadstring(L, setup) != LUA_OK ||
      (lua_pushstring(L, argc > 1 ? argv[1] : ""),
       lua_pushstring(L, argc > 2 ? argv[2] : ""),
       lua_pcall(L, 2, 1, 0) != LUA_OK)) {
    fprintf(stderr, "%s\n", lua_tostring(L, -1));
    return 1;
  }
  M = luaL_ref(L, LUA_REGISTRYINDEX);
  if (argc == 6 && strcmp(argv[3], "count") == 0) {
    r = count_only(argv[4], atol(argv[5]));
    lua_close(L);
    return r;
  }
  for (k = 0; k < NOPS; k++) why[k] = missing(needs(ops[k]));
  for (r = 0; r < runs; r++) {
    rep[r] = report_ns(n);
    for (k = 0; k < NOPS; k++)
      v[k][r] = why[k] ? -1 : run_op(ops[k], strcmp(ops[k], "stream") == 0
                                     ? n / 4 : n);
  }
  for (k = 0; k < NOPS; k++) result(ops[k], v[k], rep, runs);
  bench_report("roundtrip", "report", bench_summarise(rep, runs), "ns/op");
  for (k = 0; k < NOPS; k++)
    if (why[k]) printf("SKIP roundtrip %s %s\n", ops[k], why[k]);
  lua_close(L);
  return 0;
}
