/*
** pm_close_test.c: lua_close with a loaded protocol manager still
** streaming, as TAP. The sample protocol manager (examples/pm) runs
** registrations on its own thread that report every millisecond into the
** state's queue; lua_close must shut it down (its __gc calls Shutdown,
** which joins that thread), release every reference on both sides and
** free everything, which ASan, TSan and valgrind check when this runs
** under them. CA_SAMPLEPM names the library (else CA_BUILD/pm/samplepm.so).
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

#include "luahost.h"
#include "tap.h"

static lua_State *new_state(const char *sample) {
  lua_State *L = luahost_new();
  lua_pushstring(L, sample);
  lua_setglobal(L, "SAMPLE");
  return L;
}

/* Threads of this process (-1 where /proc cannot tell). */
static int threads(void) {
  DIR *d = opendir("/proc/self/task");
  struct dirent *e;
  int n = 0;
  if (d == NULL) return -1;
  while ((e = readdir(d)) != NULL) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

/* The process has more threads than before (more), or as many. */
static void threads_check(int before, int more, const char *what) {
  int now = threads();
  char line[200];
  if (before < 0 || now < 0) {
    snprintf(line, sizeof line, "%s # SKIP no /proc/self/task to count "
             "threads in", what);
    ok(1, line);
    return;
  }
  if (more ? now <= before : now != before)
    printf("# %d threads before, %d now\n", before, now);
  ok(more ? now > before : now == before, what);
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
  "local deadline = ca.clock() + 10\n"
  "while n < 5 do\n"
  "  assert(ca.clock() < deadline, 'fewer than 5 ticks in 10 s: ' .. n)\n"
  "  ca.wait(0.1)\n"
  "end\n"
  "ca.wait(0.02, 0)\n";   /* let reports pile up undelivered */

int main(void) {
  const char *env = getenv("CA_SAMPLEPM"), *build = getenv("CA_BUILD");
  char path[1024];
  lua_State *L;
  int before = threads();
  if (env != NULL) snprintf(path, sizeof path, "%s", env);
  else snprintf(path, sizeof path, "%s/pm/samplepm.so", build ? build : "build");
  setvbuf(stdout, NULL, _IOLBF, 0);

  L = new_state(path);
  ok(luahost_run(L, streaming),
     "a loaded protocol manager streams on its own thread");
  threads_check(before, 1, "the protocol manager's thread runs");
  lua_close(L);   /* __gc: Shutdown(TRUE) joins the thread; then Releases */
  threads_check(before, 0, "lua_close with it still streaming shuts it "
                "down: its thread is gone");

  L = new_state(path);
  ok(luahost_run(L, streaming), "streaming again, in a new state");
  ok(luahost_run(L, "acts:close()\n"
                    "assert(pm:shutdown() == ca.S_OK, 'the sample counted "
                    "unbalanced references')\n"),
     "Shutdown while streaming: the sample finds its AddRefs and Releases balanced");
  lua_close(L);
  threads_check(before, 0, "lua_close after Shutdown, with reports still "
                "queued: no thread is left");
  return tap_done();
}
