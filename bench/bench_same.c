/*
** bench_same.c: same-thread cost of one report. For payloads of 16 B,
** 4 KiB and 1 MiB, the median ns per report over several runs of:
**   floor   a bare lua_pcall of the handler, pushing the same values
**           (the interned status, the response string, the final flag)
**   safe    the safe floor: a lua_pcall of a minimal C function that
**           pushes the handler, an integer status, the response string
**           and a boolean, then calls the handler. A memory error while
**           making the string is caught by that pcall, which is what a
**           native caller needs; the bare floor pushes the string
**           outside any protected call and so is not safe
**   vtable  ICustomAction2ResultCallback::ReportResult through the v2
**           vtable into the same Lua handler, as native code calls it
** All three run in one process, alternating, so each ratio is measured
** in one run on one machine state.
*/
#include <string.h>

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"
#include "wpf.h"
#include "bench.h"

int luaopen_customaction_core(lua_State *L);

static const char *setup =
  "local ca = require 'customaction.core'\n"
  "local n = 0\n"
  "handler = function(status, response, final) n = n + 1 end\n"
  "cb = ca.callback(handler, { reuse = true, max_response = 1 << 21 })\n"
  "ptr = cb:interface('v2')\n"
  "S_OK = ca.S_OK\n";

static void report(const char *what, const char *size, double *v, int runs) {
  char name[64];
  snprintf(name, sizeof name, "%s_%s", what, size);
  bench_report("same", name, bench_summarise(v, runs),
               strstr(what, "_over_") ? "ratio" : "ns/report");
}

/* What the safe floor's C function needs, on the C stack. */
typedef struct safe_ctx {
  int handler;
  const unsigned char *buf;
  size_t len;
} safe_ctx;

static int safe_floor(lua_State *L) {
  const safe_ctx *c = lua_touserdata(L, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, c->handler);
  lua_pushinteger(L, 0);
  lua_pushlstring(L, (const char *)c->buf, c->len);
  lua_pushboolean(L, 0);
  lua_call(L, 3, 1);
  return 1;
}

/* One loop per contender, each its own function so that callgrind can
   count exactly its instructions (--toggle-collect=run_*). */
typedef struct loop {
  lua_State *L;
  ICustomAction2ResultCallback *v2;
  int handler, status;
  unsigned char *buf;
  size_t len;
} loop;

__attribute__((noinline)) static void run_floor(const loop *c, long n) {
  lua_State *L = c->L;
  long i;
  for (i = 0; i < n; i++) {
    /* a varying byte, so short strings are not one interned string */
    c->buf[0] = (unsigned char)i;
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->handler);
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->status);
    lua_pushlstring(L, (const char *)c->buf, c->len);
    lua_pushboolean(L, 0);
    lua_pcall(L, 3, 1, 0);
    lua_pop(L, 1);
  }
}

__attribute__((noinline)) static void run_safe(const loop *c, long n) {
  lua_State *L = c->L;
  safe_ctx sc;
  long i;
  sc.handler = c->handler;
  sc.buf = c->buf;
  sc.len = c->len;
  for (i = 0; i < n; i++) {
    c->buf[0] = (unsigned char)i;
    lua_pushcfunction(L, safe_floor);
    lua_pushlightuserdata(L, &sc);
    lua_pcall(L, 1, 1, 0);
    lua_pop(L, 1);
  }
}

__attribute__((noinline)) static void run_vtable(const loop *c, long n) {
  long i;
  for (i = 0; i < n; i++) {
    c->buf[0] = (unsigned char)i;
    c->v2->lpVtbl->ReportResult(c->v2, 0, 0, c->buf, (DWORD)c->len);
  }
}

static double time_ns(void (*run)(const loop *, long), const loop *c, long n) {
  double t0 = bench_now();
  run(c, n);
  return (bench_now() - t0) * 1e9 / (double)n;
}

static lua_State *setup_state(loop *c) {
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  luaL_requiref(L, "customaction.core", luaopen_customaction_core, 0);
  lua_pop(L, 1);
  if (luaL_dostring(L, setup) != LUA_OK) {
    fprintf(stderr, "%s\n", lua_tostring(L, -1));
    exit(1);
  }
  c->L = L;
  lua_getglobal(L, "ptr");
  c->v2 = lua_touserdata(L, -1);
  lua_getglobal(L, "handler");
  c->handler = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_getglobal(L, "S_OK");
  c->status = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_settop(L, 0);
  return L;
}

/* bench_same count floor|safe|vtable SIZE N: runs one loop N times, for
   callgrind's instruction counts (bench/run.sh). */
static int count_only(char **argv) {
  loop c;
  lua_State *L = setup_state(&c);
  long n = atol(argv[4]);
  c.len = (size_t)atol(argv[3]);
  c.buf = calloc(1, c.len);
  /* warm up outside the counted function: the status cache, the string
     table, the stack */
  run_vtable(&c, 100);
  run_safe(&c, 100);
  run_floor(&c, 100);
  if (strcmp(argv[2], "floor") == 0) run_floor(&c, n);
  else if (strcmp(argv[2], "safe") == 0) run_safe(&c, n);
  else run_vtable(&c, n);
  free(c.buf);
  lua_close(L);
  return 0;
}

int main(int argc, char **argv) {
  static const size_t sizes[] = {16, 4096, 1 << 20};
  static const char *names[] = {"16B", "4KiB", "1MiB"};
  loop c;
  lua_State *L;
  int runs = bench_runs(), si, r;
  if (argc == 5 && strcmp(argv[1], "count") == 0) return count_only(argv);
  L = setup_state(&c);
  for (si = 0; si < 3; si++) {
    long n = sizes[si] >= (1 << 20) ? 2000 : 2000000, i;
    double floor_ns[9], safe_ns[9], ours_ns[9];
    double safe_ratio[9], floor_ratio[9];
    c.len = sizes[si];
    c.buf = malloc(c.len);
    if (bench_quick()) n /= 4;
    for (i = 0; i < (long)c.len; i++) c.buf[i] = (unsigned char)(i * 31);
    for (r = 0; r < runs; r++) {
      floor_ns[r] = time_ns(run_floor, &c, n);
      safe_ns[r] = time_ns(run_safe, &c, n);
      ours_ns[r] = time_ns(run_vtable, &c, n);
    }
    /* ratios within each run (before the summaries sort the figures);
       their medians are the figures to judge */
    for (r = 0; r < runs; r++) {
      safe_ratio[r] = ours_ns[r] / safe_ns[r];
      floor_ratio[r] = ours_ns[r] / floor_ns[r];
    }
    report("floor", names[si], floor_ns, runs);
    report("safe", names[si], safe_ns, runs);
    report("vtable", names[si], ours_ns, runs);
    report("vtable_over_safe", names[si], safe_ratio, runs);
    report("vtable_over_floor", names[si], floor_ratio, runs);
    free(c.buf);
  }
  lua_close(L);
  return 0;
}
