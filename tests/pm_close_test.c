/*
** pm_close_test.c: lua_close with a loaded protocol manager still
** streaming, as TAP. The sample protocol manager (examples/pm) runs
** registrations on its own thread that report every millisecond into the
** state's queue; lua_close must shut it down (its __gc calls Shutdown,
** which joins that thread), release every reference on both sides and
** free everything, which ASan, TSan and valgrind check when this runs
** under them. CA_SAMPLEPM names the library (else CA_BUILD/pm/samplepm.so).
** tests/pm/edgepm.c (CA_EDGEPM) adds the hostile cases: requests from four
** threads of the library while lib:close() and lua_close run, and a
** FailWorkerProcess made inside the Shutdown that lua_close runs, whose
** on_fail must not run there (what it made would never be freed).
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

#include "luahost.h"
#include "tap.h"

static int hooks_run = 0;

/* hook(): counts a run of an on_fail or on_recycle the test set. */
static int l_hook(lua_State *L) {
  (void)L;
  hooks_run++;
  return 0;
}

static lua_State *new_state(const char *sample) {
  lua_State *L = luahost_new();
  lua_pushstring(L, sample);
  lua_setglobal(L, "SAMPLE");
  lua_pushcfunction(L, l_hook);
  lua_setglobal(L, "hook");
  return L;
}

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CA_TEST_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define CA_TEST_TSAN 1
#endif

/* Threads of this process (-1 where /proc cannot tell). */
static int threads(void) {
#if defined(_WIN32) || defined(CA_TEST_TSAN)
  return -1;   /* Wine's /proc is the Linux process's; TSan has a thread of its own */
#else
  DIR *d = opendir("/proc/self/task");
  struct dirent *e;
  int n = 0;
  if (d == NULL) return -1;
  while ((e = readdir(d)) != NULL) n += e->d_name[0] != '.';
  closedir(d);
  return n;
#endif
}

/* The process has more threads than before (more), or as many. */
static void threads_check(int before, int more, const char *what) {
  int now = threads();
  char line[300];
  if (before < 0 || now < 0) {
    snprintf(line, sizeof line, "%s # SKIP this process's threads cannot be "
             "counted here (no /proc/self/task, Wine, or ThreadSanitizer's own "
             "thread)", what);
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

#if !defined(_WIN32)
/* The library's threads report all along: from before close to after. */
static const char *const reporting =
  "ca = require 'customaction'\n"
  "n = 0\n"
  "lib = ca.load(SAMPLE, { on_fail = function() n = n + 1 end,\n"
  "  on_recycle = function() n = n + 1 end })\n"
  "acts = lib:custom_actions()\n"
  "assert(acts:run('Threads', '', function() end) == ca.S_OK)\n"
  "local t = ca.clock() + 10\n"
  "while n < 100 and ca.clock() < t do ca.wait(0.01) end\n"
  "assert(n >= 100, 'no requests from the threads')\n";

/* on_fail looks at the log and makes a callback: what leaked in lua_close */
static const char *const fail_on_shutdown =
  "ca = require 'customaction'\n"
  "lib = ca.load(SAMPLE, { init = 'GetProtocolManagerFailOnShutdown',\n"
  "  on_fail = function(reason)\n"
  "    hook()\n"
  "    assert(#lib:log() > 0)\n"
  "    kept = ca.callback(function() end)\n"
  "    local dropped = ca.callback(function() end)\n"
  "  end })\n";

static void edge_cases(const char *edge) {
  lua_State *L = new_state(edge);
  ok(luahost_run(L, reporting) && luahost_run(L, "acts:close() lib:close()"),
     "lib:close() while the library's threads report");
  lua_close(L);   /* returning (no crash, no hang) is the check */

  L = new_state(edge);
  ok(luahost_run(L, reporting), "the library's threads report again, in a new state");
  lua_close(L);   /* __gc: Shutdown, Release; the last Release joins */

  hooks_run = 0;
  L = new_state(edge);
  ok(luahost_run(L, fail_on_shutdown) && luahost_run(L, "lib:close()") && hooks_run == 1,
     "FailWorkerProcess inside lib:close()'s Shutdown runs on_fail");
  lua_close(L);
  hooks_run = 0;
  L = new_state(edge);
  ok(luahost_run(L, fail_on_shutdown), "a library that fails inside Shutdown");
  lua_close(L);
  ok(hooks_run == 0, "inside lua_close's Shutdown on_fail does not run "
     "(the request is only logged; nothing made there leaks)");
}
#endif

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

  env = getenv("CA_EDGEPM");
  if (env != NULL) snprintf(path, sizeof path, "%s", env);
  else snprintf(path, sizeof path, "%s/pm/edgepm.so", build ? build : "build");
#if defined(_WIN32)
  ok(1, "# SKIP tests/pm/edgepm.c uses POSIX threads");
#else
  edge_cases(path);
#endif
  return tap_done();
}
