/*
** capi_test.c: a C host of include/customaction.h. It embeds Lua, makes
** callbacks from Lua functions and providers from Lua tables through the
** public API only, calls them through wpf.h from the Lua thread and from
** a thread of its own, and delivers with customaction_dispatch/_wait.
** Output is TAP.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdio.h>
#include <string.h>

#include "luahost.h"
#include "platform.h"
#include "tap.h"

static void *report_from_thread(void *arg) {
  ICustomAction2ResultCallback *cb = arg;
  cb->lpVtbl->ReportResult(cb, 0, 1, (BYTE *)"threaded", 8);
  cb->lpVtbl->Release(cb);
  return NULL;
}

static int check_callback_v2(lua_State *L) {
  customaction_checkcallback(L, 1, "v2");
  return 0;
}

static void callbacks(lua_State *L) {
  ICustomAction2ResultCallback *v2;
  ICustomActionResultCallback *v1;
  ca_thread t;
  HRESULT hr;
  luahost_run(L, "got = {} handler = function(st, r, f) got[#got + 1] = r end");
  lua_getglobal(L, "handler");
  customaction_pushcallback(L, -1, "from C");
  ok(customaction_iscallback(L, -1) && !customaction_iscallback(L, -2),
     "customaction_pushcallback makes a callback from a function");
  lua_setglobal(L, "cb");
  lua_pop(L, 1);
  lua_getglobal(L, "cb");
  v1 = customaction_checkcallback(L, -1, "v1");
  v2 = customaction_checkcallback(L, -1, NULL);
  lua_pop(L, 1);
  hr = v2->lpVtbl->ReportResult(v2, 0, 0, (BYTE *)"direct", 6);
  ok(hr == 0 && (void *)v1 != (void *)v2 &&
     luahost_run(L, "assert(got[1] == 'direct')"),
     "its v2 pointer delivers on the Lua thread at once");
  v2->lpVtbl->AddRef(v2);
  luahost_run(L, "cb = nil collectgarbage()");  /* only native code holds it */
  ca_thread_start(&t, report_from_thread, v2);
  ca_thread_join(t);
  ok(customaction_wait(L, 1.0, -1) == 1 &&
     luahost_run(L, "assert(got[2] == 'threaded')"),
     "a report from another thread arrives at customaction_wait");
  lua_pushcfunction(L, check_callback_v2);
  lua_pushinteger(L, 1);
  ok(lua_pcall(L, 1, 0, 0) != 0 &&
     strstr(lua_tostring(L, -1), "customaction.callback expected") != NULL,
     "customaction_checkcallback raises an argument error for a non-callback");
  lua_pop(L, 1);
}

static void providers(lua_State *L) {
  IPmCustomActions *pm;
  ICustomActionResultCallback *cb;
  HRESULT hr;
  int has_actions;
  luahost_run(L, "local ca = require 'customaction.core' "
         "pm = ca.provider{ actions = { Echo = function(a, r) "
         "r:finish(0, a) end } } "
         "last = nil reply_cb = ca.callback(function(s, r) last = r end) "
         "has_actions = ca.actions ~= nil");
  lua_getglobal(L, "pm");
  pm = customaction_checkprovider(L, -1, "v1");
  lua_getglobal(L, "reply_cb");
  cb = customaction_checkcallback(L, -1, "v1");
  lua_pop(L, 2);
  hr = pm->lpVtbl->RunCustomAction(pm, (PCWSTR)u"Echo", (PCWSTR)u"hi", cb);
  ok(hr == 0 && luahost_run(L, "assert(last == 'hi')"),
     "customaction_checkprovider gives a provider's IPmCustomActions");
  ok(customaction_dispatch(L, -1) == 0, "customaction_dispatch: nothing queued");
  lua_getglobal(L, "has_actions");
  has_actions = lua_toboolean(L, -1);
  lua_pop(L, 1);
  lua_getglobal(L, "pm");
  if (ok(has_actions, "the module has ca.actions, which "
         "customaction_pushactions makes")) {
    customaction_pushactions(L, customaction_checkprovider(L, -1, "v1"),
                             "v1");
    lua_setglobal(L, "wrapped");
    ok(luahost_run(L, "local r wrapped:run('Echo', 'w', function(s, x) r = x end) "
              "assert(r == 'w', tostring(r))"),
       "customaction_pushactions wraps a provider's pointer as ca.actions");
  }
  lua_pop(L, 1);
}

int main(void) {
  lua_State *L = luaL_newstate();
  setvbuf(stdout, NULL, _IOLBF, 0);
  luaL_openlibs(L);
  luahost_preload(L, NULL);
  callbacks(L);
  providers(L);
  lua_close(L);
  return tap_done();
}
