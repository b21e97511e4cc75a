/*
** pm_close_test.c: lua_close with a loaded protocol manager still
** streaming, as TAP. The sample protocol manager (examples/pm) runs
** registrations on its own thread that report every millisecond into the
** state's queue; lua_close must shut it down (its __gc calls Shutdown,
** which joins that thread), release every reference on both sides and
** free everything, which ASan, TSan and valgrind check when this runs
** under them. CA_SAMPLEPM names the library (else CA_BUILD/pm/samplepm.so).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua.h"
#include "lualib.h"
#include "lcompat.h"

int luaopen_customaction_core(lua_State *L);

static int test_no = 0, failed = 0;

static void ok(int cond, const char *what) {
  ++test_no;
  if (!cond) ++failed;
  printf("%s %d - %s\n", cond ? "ok" : "not ok", test_no, what);
  fflush(stdout);
}

static lua_State *new_state(const char *sample) {
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "preload");
  lua_pushcfunction(L, luaopen_customaction_core);
  lua_setfield(L, -2, "customaction.core");
  lua_pop(L, 2);
  (void)luaL_dostring(L, "package.path = 'lua/?.lua;lua/?/init.lua;' .. package.path");
  lua_pushstring(L, sample);
  lua_setglobal(L, "SAMPLE");
  return L;
}

static int run(lua_State *L, const char *code) {
  if (luaL_dostring(L, code) != LUA_OK) {
    printf("# lua error: %s\n", lua_tostring(L, -1));
    lua_pop(L, 1);
    return 0;
  }
  return 1;
}

/* Registrations streaming, reports queued, a stream left half-read. */
static const char *const streaming =
  "ca = require 'customaction'\n"
  "pm = ca.load(SAMPLE, { settings = { APP_POOL_NAME = 'pool' },\n"
  "  on_fail = function() end })\n"
  "a2 = pm:custom_actions2()\n"
  "n = 0\n"
  "assert(a2:register('Ticker', 'every=1;fail=3', function() n = n + 1 end) == ca.S_OK)\n"
  "assert(a2:register('Counters', 'every=1;count=100000', ca.callback(function() end)) == ca.S_OK)\n"
  "acts = pm:custom_actions()\n"
  "acts:run('AppPool', '', function() end)\n"
  "while n < 5 do ca.wait(1) end\n"
  "ca.wait(0.02, 0)\n";   /* let reports pile up undelivered */

int main(void) {
  const char *env = getenv("CA_SAMPLEPM"), *build = getenv("CA_BUILD");
  char path[1024];
  lua_State *L;
  if (env != NULL) snprintf(path, sizeof path, "%s", env);
  else snprintf(path, sizeof path, "%s/pm/samplepm.so", build ? build : "build");
  setvbuf(stdout, NULL, _IOLBF, 0);

  L = new_state(path);
  ok(run(L, streaming), "a loaded protocol manager streams on its own thread");
  lua_close(L);   /* __gc: Shutdown(TRUE) joins the thread; then Releases */
  ok(1, "lua_close with it still streaming returns");

  L = new_state(path);
  ok(run(L, streaming), "streaming again, in a new state");
  ok(run(L, "acts:close()\n"
            "assert(pm:shutdown() == ca.S_OK, 'the sample counted unbalanced references')\n"),
     "Shutdown while streaming: the sample finds its AddRefs and Releases balanced");
  lua_close(L);
  ok(1, "lua_close after Shutdown, with reports still queued, returns");

  printf("1..%d\n", test_no);
  return failed ? 1 : 0;
}
