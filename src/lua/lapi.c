/*
** lapi.c: the public C API of include/customaction.h, for programs that
** embed Lua. Each entry point first makes sure the module is loaded in
** the state, then does what the Lua function of the same name does;
** most simply call that function, so the C and Lua APIs cannot drift.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <string.h>

#define CUSTOMACTION_BUILD   /* this library exports the C API */
#include "customaction.h"
#include "lcommon.h"
#include "provider.h"

/* Pushes the module table (customaction.core), loading it if need be. */
static void push_module(lua_State *L) {
  lua_getfield(L, LUA_REGISTRYINDEX, "_LOADED");
  if (lua_getfield(L, -1, "customaction.core") != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_pushcfunction(L, luaopen_customaction_core);
    lua_pushliteral(L, "customaction.core");
    lua_call(L, 1, 1);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "customaction.core");
  }
  lua_remove(L, -2);
}

/* Calls core[fname] with the nargs values on top; leaves nres results. */
static void call_core(lua_State *L, const char *fname, int nargs, int nres) {
  push_module(L);
  if (lua_getfield(L, -1, fname) != LUA_TFUNCTION)
    luaL_error(L, "customaction: this build has no %s", fname);
  lua_remove(L, -2);
  lua_insert(L, -1 - nargs);
  lua_call(L, nargs, nres);
}

CA_EXPORT void customaction_pushcallback(lua_State *L, int fn,
                                         const char *name) {
  fn = lua_absindex(L, fn);
  lua_pushvalue(L, fn);
  lua_createtable(L, 0, 1);
  lua_pushstring(L, name != NULL ? name : "callback");
  lua_setfield(L, -2, "name");
  call_core(L, "callback", 2, 1);
}

CA_EXPORT int customaction_iscallback(lua_State *L, int idx) {
  ca_lcallback *p = luaL_testudata(L, idx, CA_CALLBACK_MT);
  return p != NULL && p->obj != NULL;
}

CA_EXPORT void *customaction_checkcallback(lua_State *L, int idx,
                                           const char *shape) {
  ca_lcallback *p;
  idx = lua_absindex(L, idx);
  push_module(L);
  lua_pop(L, 1);
  p = ca_lcallback_check(L, idx);
  ca_lcallback_expose(L, idx);
  if (shape != NULL && strcmp(shape, "v1") == 0) return ca_callback_v1(p->obj);
  if (shape != NULL && strcmp(shape, "v2") != 0)
    luaL_error(L, "customaction_checkcallback: shape must be \"v1\" or "
               "\"v2\" (got \"%s\")", shape);
  return ca_callback_v2(p->obj);
}

CA_EXPORT void *customaction_checkprovider(lua_State *L, int idx,
                                           const char *kind) {
  ca_lprovider *lp;
  push_module(L);
  lua_pop(L, 1);
  lp = luaL_checkudata(L, idx, CA_PROVIDER_MT);
  if (lp->obj == NULL) luaL_argerror(L, idx, "provider is closed");
  if (kind == NULL || strcmp(kind, "pm") == 0) return ca_provider_pm(lp->obj);
  if (strcmp(kind, "v1") == 0) return ca_provider_v1(lp->obj);
  if (strcmp(kind, "v2") == 0) return ca_provider_v2(lp->obj);
  if (strcmp(kind, "monitor") == 0) return ca_provider_monitor(lp->obj);
  luaL_error(L, "customaction_checkprovider: kind must be \"pm\", \"v1\", "
             "\"v2\" or \"monitor\" (got \"%s\")", kind);
  return NULL;
}

CA_EXPORT void customaction_pushactions(lua_State *L, void *ptr,
                                        const char *shape) {
  lua_pushlightuserdata(L, ptr);
  lua_pushstring(L, shape != NULL ? shape : "v2");
  call_core(L, "actions", 2, 1);
}

CA_EXPORT int customaction_dispatch(lua_State *L, int max) {
  ca_lstate *s;
  push_module(L);
  lua_pop(L, 1);
  s = ca_lstate_get(L);
  return ca_hub_dispatch(s->hub, max);
}

CA_EXPORT int customaction_wait(lua_State *L, double seconds, int max) {
  ca_lstate *s;
  push_module(L);
  lua_pop(L, 1);
  s = ca_lstate_get(L);
  ca_hub_wait(s->hub, seconds < 0 ? -1 : (int64_t)(seconds * 1000.0 + 0.999));
  return ca_hub_dispatch(s->hub, max);
}
