/*
** oom_sweep.c: the allocation-failure sweep, as TAP. For each scenario,
** for N = 1, 2, ... the Nth allocation fails, counting the Lua allocator's
** and the C core's (built with CA_ALLOC_HOOK) together, until a run
** completes without reaching N. Every run must end in a Lua error or a
** normal return (refusals show up as HRESULTs inside the scenario), never
** a crash; leaks are LeakSanitizer's to find, as this host is built with
** AddressSanitizer. Two passes: only the Nth allocation fails (Lua's
** emergency collection absorbs many of these, and recovery paths run),
** then every allocation from the Nth on fails (errors surface and must
** unwind cleanly).
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "luahost.h"

int luaopen_nativepeer(lua_State *L);
extern int (*ca_alloc_hook)(void);

static atomic_long counted, fail_at;
static atomic_int fail_onward;   /* mode 2: every allocation from N on */

static int should_fail(void) {
  long n = atomic_fetch_add(&counted, 1) + 1;
  long at = atomic_load(&fail_at);
  if (at == 0) return 0;
  return atomic_load(&fail_onward) ? n >= at : n == at;
}

static void *l_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  (void)ud;
  if (nsize == 0) {
    free(ptr);
    return NULL;
  }
  /* Lua may assume shrinking never fails: only growth is counted */
  if ((ptr == NULL || nsize > osize) && should_fail()) return NULL;
  return realloc(ptr, nsize);
}

static const struct { const char *name; const char *code; } scenarios[] = {
  {"callback creation and direct reports",
   "local ca = require 'customaction'\n"
   "local cb = ca.callback(function(s, r, f) return s end, { name = 'x' })\n"
   "for i = 1, 3 do cb:report(ca.S_OK, ('x'):rep(i * 30), i == 3) end\n"
   "cb:report_v1(ca.E_FAIL, 'late')\n"
   "local st = cb:stats(); local t = tostring(cb)\n"
   "cb:addref(); cb:release(); cb:close()\n"},
  {"handler errors and on_error",
   "local ca = require 'customaction'\n"
   "local seen = 0\n"
   "local cb = ca.callback(function() error({}) end,\n"
   "  { on_error = function(m) seen = seen + #m end })\n"
   "cb:report(0, 'x'); cb:report(0, 'y')\n"
   "local cb2 = ca.callback(function() return 'bad' end, { on_error = function() error('again') end })\n"
   "cb2:report(0, 'z')\n"},
  {"queued reports and dispatch",
   "local ca = require 'customaction'\n"
   "local peer = require 'nativepeer'\n"
   "local n = 0\n"
   "local cb = ca.callback(function(s, r) n = n + #r end)\n"
   "peer.from_thread(cb:interface(), 20, ('p'):rep(50))\n"
   "ca.dispatch(5); ca.wait(0); ca.dispatch()\n"
   "ca.configure({ max_queued = 3 })\n"
   "peer.from_thread(cb:interface(), 5, 'q')\n"
   "ca.dispatch()\n"},
  {"native holders and collection",
   "local ca = require 'customaction'\n"
   "local peer = require 'nativepeer'\n"
   "local ptr\n"
   "do local cb = ca.callback(function() end); ptr = cb:interface(); peer.addref(ptr) end\n"
   "collectgarbage(); collectgarbage()\n"
   "peer.report(ptr, 0, 'x', false)\n"
   "peer.release(ptr)\n"
   "collectgarbage(); collectgarbage()\n"},
  {"issuer on a virtual clock",
   "local ca = require 'customaction'\n"
   "local pm = ca.issuer({ clock = 'virtual' })\n"
   "pm:define('A', { every = 10, count = 3, format = 'n=%d',\n"
   "  faults = { 'duplicate_final', { 'foreign_thread', at = 2 } } })\n"
   "local cb = ca.callback(function() end)\n"
   "pm:register('A', 'args', cb)\n"
   "pm:advance(100); ca.dispatch()\n"
   "pm:define('B', { every = 5, encoding = 'utf16', echo = true })\n"
   "pm:register('B', 'größe', ca.callback(function() end))\n"
   "pm:advance(12); pm:unregister('B')\n"
   "pm:run('GetRequests', '', ca.callback(function() end)); pm:advance()\n"
   "for _ in pm:stream('A', '') do end\n"
   "local log = pm:log(); pm:close()\n"},
  {"issuer on worker threads",
   "local ca = require 'customaction'\n"
   "local pm = ca.issuer({ threads = 1 })\n"
   "pm:define('A', { count = 20, payload = { 'a', ('b'):rep(100) } })\n"
   "local n = 0\n"
   "local cb = ca.callback(function(s, r, f) n = n + 1 end)\n"
   "pm:register('A', '', cb)\n"
   "for _ = 1, 50 do if n >= 20 then break end ca.wait(0.01) end\n"
   "pm:close(); ca.dispatch()\n"},
  {"HRESULT values and UTF-16",
   "local ca = require 'customaction'\n"
   "local h = ca.hresult('E_ACCESSDENIED'); local s = tostring(h) .. h.message\n"
   "local t = ca.hresult.table()\n"
   "local x = ca.hresult(0x12345678); s = tostring(x)\n"
   "pcall(ca.hresult, 'nope')\n"
   "local u = ca.utf16.decode(ca.utf16.encode(('Zähler ✓'):rep(10)))\n"
   "pcall(ca.utf16.decode, 'abc')\n"},
  {"a provider answering from the Lua thread and from another",
   "local ca = require 'customaction'\n"
   "local peer = require 'nativepeer'\n"
   "local kept\n"
   "local pm = ca.provider{ name = 'p', actions = {\n"
   "  Echo = function(a, r) r:finish(0, a) end,\n"
   "  Hold = function(a, r) kept = r; r.on_cancel = function() end end,\n"
   "  Boom = function() error('boom') end },\n"
   "  on_error = function() end, health = function() return true end }\n"
   "local cb = ca.callback(function() end, { reuse = true })\n"
   "pm:run('Echo', ('x'):rep(50), cb); pm:run('Boom', '', cb)\n"
   "pm:register('Hold', '', cb); pm:unregister('Hold')\n"
   "peer.call('run', pm:interface('v1'), 'Echo', 'y', cb:interface('v1'),\n"
   "          'thread'):join()\n"
   "peer.call('register', pm:interface('v2'), 'Hold', '', cb:interface('v2'),\n"
   "          'thread'):join()\n"
   "ca.dispatch()\n"
   "for _ in pm:stream('Echo', 's') do end\n"
   "local st = pm:stats(); local t = tostring(pm); pm:close()\n"},
  {"plain functions as handlers, kept or not past the call",
   "local ca = require 'customaction'\n"
   "local n = 0\n"
   "local function h() n = n + 1 end\n"
   "local pm = ca.issuer({ clock = 'virtual', builtins = false })\n"
   "pm:define('G', { payload = 'now' }); pm:define(('L'):rep(200), { payload = 'x' })\n"
   "pm:run('G', '', h); pm:run('G', '', function() pm:run('G', '', h) end)\n"
   "pm:run(('L'):rep(200), ('ü'):rep(200), h)\n"
   "local q = ca.issuer({ clock = 'virtual', builtins = false, run = 'queued' })\n"
   "q:define('G', { delay = 1, payload = 'later' })\n"
   "q:run('G', '', h); q:advance(10); ca.dispatch()\n"
   "local kept\n"
   "local pv = ca.provider{ actions = { Later = function(_, r) kept = r end } }\n"
   "pv:run('Later', '', h); pv:close(); pm:close(); q:close()\n"},
};

#define NSCEN (sizeof scenarios / sizeof scenarios[0])

/* One run; returns 1 when it completed without reaching fail_at. */
static int run_once(const char *code, long n, int *errored) {
  static const luaL_Reg peer[] = {{"nativepeer", luaopen_nativepeer},
                                  {NULL, NULL}};
  lua_State *L;
  int status;
  atomic_store(&fail_at, 0);     /* setting up the state never fails */
  L = lua_newstate(l_alloc, NULL);
  if (L == NULL) return 0;
  luaL_openlibs(L);
  luahost_preload(L, peer);
  luahost_facade(L);
  atomic_store(&counted, 0);
  atomic_store(&fail_at, n);
  status = luaL_loadstring(L, code);
  if (status == LUA_OK) status = lua_pcall(L, 0, 0, 0);
  *errored = status != LUA_OK;
  {
    int done = atomic_load(&counted) < n;
    atomic_store(&fail_at, 0);   /* closing must not fail */
    lua_close(L);
    return done;
  }
}

int main(int argc, char **argv) {
  size_t i;
  long total = 0;
  int mode, t = 0;
  int only = argc > 1 ? atoi(argv[1]) : 0;
  setvbuf(stdout, NULL, _IOLBF, 0);
  ca_alloc_hook = should_fail;
  for (mode = 0; mode < 2; mode++) {
    atomic_store(&fail_onward, mode);
    for (i = 0; i < NSCEN; i++) {
      long n;
      int errors = 0, errored, ok;
      if (only && (int)i + 1 != only) continue;
      for (n = 1; n < 200000; n++) {
        if (run_once(scenarios[i].code, n, &errored)) break;
        errors += errored;
      }
      ok = n < 200000;
      run_once(scenarios[i].code, 1L << 40, &errored);
      ok = ok && !errored;  /* with no failure the scenario must succeed */
      total += n - 1;
      printf("%s %d - %s, %s: %ld failure points, %d ended in a Lua "
             "error\n", ok ? "ok" : "not ok", ++t, scenarios[i].name,
             mode ? "failing from the Nth on" : "failing the Nth only",
             n - 1, errors);
    }
  }
  printf("# %ld allocation failure points exercised in all\n", total);
  printf("1..%d\n", t);
  return 0;
}
