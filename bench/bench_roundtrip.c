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
**   provider_stream  a native caller's RegisterCustomActionCallback on a
**                 Lua provider whose action sends 100 reports of 16 B and a
**                 final one at once, per report
**   stream_bare   a stream from a thread that does nothing but call
**                 ReportResult (16 B) on a callback's v2 pointer, into a
**                 Lua handler, per report: a library with no work of its
**                 own (both threads counted, as for stream)
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
**          provider_stream, stream, stream_bare)
**          one warm-up, then N operations inside measure(), for callgrind
**          (tools/bench-check.sh): --toggle-collect=measure counts the Lua
**          thread's part; a stream's library thread is counted by taking
**          the difference of two whole-program runs
*/
#include <pthread.h>
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
  "  local report = string.rep('x', 16)\n"
  "  M.provider = ca.provider { actions = {\n"
  "    Echo = function(args, reply) return reply:finish(ca.S_OK, args) end,\n"
  "    Count = function(args, reply)\n"
  "      for _ = 1, tonumber(args) do reply:send(ca.S_OK, report) end\n"
  "      return reply:finish(ca.S_OK, report)\n"
  "    end,\n"
  "  } }\n"
  "  M.provider_v1 = M.provider:interface('v1')\n"
  "  M.provider_v2 = M.provider:interface('v2')\n"
  "end\n"
  "local bare_got, bare_done = 0, false\n"
  "M.bare_cb = ca.callback(function(_, _, final)\n"
  "  bare_got = bare_got + 1\n"
  "  bare_done = final\n"
  "end, { reuse = true })\n"
  "M.bare_ptr = M.bare_cb:interface('v2')\n"
  "function M.bare_wait(count)\n"
  "  while not bare_done do ca.wait(1) end\n"
  "  assert(bare_got == count, 'stream_bare: ' .. bare_got .. ' of ' .. count)\n"
  "  bare_got, bare_done = 0, false\n"
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

/* provider_stream: n registrations of "Count", each PSTREAM reports and a
   final one, into a native v2 callback; ns per report. */
#define PSTREAM 100
static long native_reports2;
static ULONG n2_addref(ICustomAction2ResultCallback *self) { (void)self; return 2; }
static ULONG n2_release(ICustomAction2ResultCallback *self) { (void)self; return 1; }
static HRESULT n2_report(ICustomAction2ResultCallback *self, HRESULT hr,
                         BOOL final, BYTE *buf, DWORD len) {
  (void)self; (void)hr; (void)final; (void)buf; (void)len;
  native_reports2++;
  return 0;
}
static const ICustomAction2ResultCallbackVtbl n2_vtbl = {n2_addref,
  n2_release, n2_report};
static ICustomAction2ResultCallback native_cb2 = {&n2_vtbl};

static double provider_stream_ns(long n) {
  static const WCHAR name[] = {'C', 'o', 'u', 'n', 't', 0};
  static const WCHAR args[] = {'1', '0', '0', 0};
  IPmCustomActions2 *pm;
  double t0;
  long i;
  lua_rawgeti(L, LUA_REGISTRYINDEX, M);
  lua_getfield(L, -1, "provider_v2");
  pm = lua_touserdata(L, -1);
  lua_pop(L, 2);
  native_reports2 = 0;
  t0 = bench_now();
  for (i = 0; i < n; i++)
    pm->lpVtbl->RegisterCustomActionCallback(pm, name, args, &native_cb2);
  t0 = bench_now() - t0;
  if (native_reports2 != n * (PSTREAM + 1)) {
    fprintf(stderr, "provider_stream: %ld reports of %ld\n", native_reports2,
            n * (PSTREAM + 1));
    return -1;
  }
  return t0 * 1e9 / (double)(n * (PSTREAM + 1));
}

/* stream_bare: a thread that does nothing but ReportResult (16 B, the last
   final) on a callback's v2 pointer, the Lua thread in ca.wait: a stream
   from a library whose own work is nil. ns per report. */
typedef struct bare_job {
  ICustomAction2ResultCallback *v2;
  long n;
} bare_job;

static void *bare_produce(void *arg) {
  bare_job *j = arg;
  unsigned char buf[16] = {0};
  long i;
  for (i = 0; i < j->n; i++) {
    buf[0] = (unsigned char)i;
    j->v2->lpVtbl->ReportResult(j->v2, 0, i == j->n - 1, buf, 16);
  }
  return NULL;
}

static double stream_bare_ns(long n) {
  bare_job j;
  pthread_t t;
  double t0;
  int ok;
  lua_rawgeti(L, LUA_REGISTRYINDEX, M);
  lua_getfield(L, -1, "bare_ptr");
  j.v2 = lua_touserdata(L, -1);
  j.n = n;
  lua_getfield(L, -2, "bare_wait");
  lua_pushinteger(L, n);
  t0 = bench_now();
  pthread_create(&t, NULL, bare_produce, &j);
  ok = lua_pcall(L, 1, 0, 0) == LUA_OK;
  pthread_join(t, NULL);
  t0 = bench_now() - t0;
  if (!ok) {
    fprintf(stderr, "stream_bare: %s\n", lua_tostring(L, -1));
    lua_pop(L, 1);
  }
  lua_pop(L, 2);
  return ok ? t0 * 1e9 / (double)n : -1;
}

/* The reason a part is skipped (M.no_load, M.no_mini, M.no_provider), or
   NULL (also for field NULL: a part that needs nothing). */
static const char *missing(const char *field) {
  const char *why;
  if (field == NULL) return NULL;
  lua_rawgeti(L, LUA_REGISTRYINDEX, M);
  lua_getfield(L, -1, field);
  why = lua_tostring(L, -1);
  lua_pop(L, 2);   /* the string stays reachable from M */
  return why;
}

/* Which part an operation needs, by its skip field; NULL for none. */
static const char *needs(const char *op) {
  if (strcmp(op, "report") == 0) return NULL;
  if (strcmp(op, "stream_bare") == 0) return NULL;
  if (strncmp(op, "provider_", 9) == 0) return "no_provider";
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
  if (strcmp(op, "provider_stream") == 0) return provider_stream_ns(n);
  if (strcmp(op, "stream_bare") == 0) return stream_bare_ns(n);
  return lua_ns(op, n);
}

__attribute__((noinline)) static double measure(const char *op, long n) {
  return run_op(op, n);
}

static int count_only(const char *op, long n) {
  const char *why = missing(needs(op));
  if (why != NULL) {
    fprintf(stderr, "bench_roundtrip: %s: %s\n", op, why);
    return 2;
  }
  if (run_op(op, 100) < 0 || measure(op, n) < 0) return 1;
  return 0;
}

/* How many of op a run makes, for n same-thread reports' worth: a
   provider_stream registration is PSTREAM + 1 reports. */
static long op_count(const char *op, long n) {
  if (strcmp(op, "stream") == 0) return n / 4;
  if (strcmp(op, "provider_stream") == 0) return n / (PSTREAM + 1);
  return n;
}

static const char *const ops[] = {"actions_run", "actions_run_fn",
  "actions_run_sample", "provider_run", "provider_stream", "stream",
  "stream_bare"};
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
      v[k][r] = why[k] ? -1 : run_op(ops[k], op_count(ops[k], n));
  }
  for (k = 0; k < NOPS; k++) result(ops[k], v[k], rep, runs);
  bench_report("roundtrip", "report", bench_summarise(rep, runs), "ns/op");
  for (k = 0; k < NOPS; k++)
    if (why[k]) printf("SKIP roundtrip %s %s\n", ops[k], why[k]);
  lua_close(L);
  return 0;
}
