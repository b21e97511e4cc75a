/*
** bench_same.c: same-thread cost of one report. For payloads of 16 B,
** 4 KiB and 1 MiB, the median ns per report over several runs of:
**   floor   a bare lua_pcall of the handler, pushing the same values
**           (the interned status, the response string, the final flag)
**   vtable  ICustomAction2ResultCallback::ReportResult through the v2
**           vtable into the same Lua handler, as native code calls it
** Both run in one process, alternating, so the ratio is measured in one
** run on one machine state.
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

int main(void) {
  static const size_t sizes[] = {16, 4096, 1 << 20};
  static const char *names[] = {"16B", "4KiB", "1MiB"};
  lua_State *L = luaL_newstate();
  ICustomAction2ResultCallback *v2;
  int handler, status, runs = bench_runs(), si, r;
  luaL_openlibs(L);
  luaL_requiref(L, "customaction.core", luaopen_customaction_core, 0);
  lua_pop(L, 1);
  if (luaL_dostring(L, setup) != LUA_OK) {
    fprintf(stderr, "%s\n", lua_tostring(L, -1));
    return 1;
  }
  lua_getglobal(L, "ptr");
  v2 = lua_touserdata(L, -1);
  lua_getglobal(L, "handler");
  handler = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_getglobal(L, "S_OK");
  status = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_settop(L, 0);
  for (si = 0; si < 3; si++) {
    size_t len = sizes[si];
    long n = len >= (1 << 20) ? 2000 : 2000000, i;
    unsigned char *buf = malloc(len);
    double floor_ns[9], ours_ns[9];
    bench_stat f, o;
    char name[64];
    if (bench_quick()) n /= 4;
    for (i = 0; i < (long)len; i++) buf[i] = (unsigned char)(i * 31);
    for (r = 0; r < runs; r++) {
      double t0 = bench_now();
      for (i = 0; i < n; i++) {
        /* a varying byte, so short strings are not one interned string */
        buf[0] = (unsigned char)i;
        lua_rawgeti(L, LUA_REGISTRYINDEX, handler);
        lua_rawgeti(L, LUA_REGISTRYINDEX, status);
        lua_pushlstring(L, (const char *)buf, len);
        lua_pushboolean(L, 0);
        lua_pcall(L, 3, 1, 0);
        lua_pop(L, 1);
      }
      floor_ns[r] = (bench_now() - t0) * 1e9 / (double)n;
      t0 = bench_now();
      for (i = 0; i < n; i++) {
        buf[0] = (unsigned char)i;
        v2->lpVtbl->ReportResult(v2, 0, 0, buf, (DWORD)len);
      }
      ours_ns[r] = (bench_now() - t0) * 1e9 / (double)n;
    }
    f = bench_summarise(floor_ns, runs);
    o = bench_summarise(ours_ns, runs);
    snprintf(name, sizeof name, "floor_%s", names[si]);
    bench_report("same", name, f, "ns/report");
    snprintf(name, sizeof name, "vtable_%s", names[si]);
    bench_report("same", name, o, "ns/report");
    free(buf);
  }
  lua_close(L);
  return 0;
}
