/*
** lcore.c: luaopen_customaction_core, which assembles the module table
** from the per-type files. Requiring it again in the same state reuses
** the state's record, so HRESULT values stay interned and callbacks keep
** one hub. It also holds the helpers every file shares: the integer
** rule's argument check and the one option checker.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <string.h>

#include "hresult.h"
#include "lcommon.h"
#include "platform.h"
#include "version.h"

CA_EXPORT int luaopen_customaction_core(lua_State *L) {
  ca_lstate *s;
  ca_pin_module((const void *)(uintptr_t)luaopen_customaction_core);
  s = ca_lhub_state(L);
  lua_newtable(L);
  ca_lhr_open(L, s);
  ca_lcallback_open(L);
  ca_lhub_open(L);
  ca_lutf16_open(L);
  ca_lissuer_open(L);
  ca_lactions_open(L);
  ca_lbinary_open(L);
  ca_lpm_open(L);
  ca_lprovider_open(L);
  ca_lcheck_open(L);
  lua_pushliteral(L, CA_VERSION);
  lua_setfield(L, -2, "_VERSION");
  return 1;
}

int64_t ca_lcheckint(lua_State *L, int idx, int arg, const char *prefix,
                     const ca_intrange *r) {
  ca_err e;
  int64_t v = 0;
  if (ca_intrange_check(r, ca_lnumber(L, idx), &v, &e) != 0)
    ca_lerror(L, arg, prefix, &e);
  return v;
}

int ca_lerror(lua_State *L, int arg, const char *prefix, const ca_err *e) {
  return luaL_argerror(L, arg, lua_pushfstring(L, "%s%s", prefix, e->msg));
}

/*
** The one option checker: every key of the table at t is a string in
** names (NULL-terminated, each name written once, where the caller
** lists what it reads); otherwise "unknown <what> 'k' (expected a, b)"
** as an error in argument arg. A key holding a NUL matches nothing.
*/
void ca_lcheckkeys(lua_State *L, int t, int arg, const char *what,
                   const char *const names[]) {
  t = lua_absindex(L, t);
  lua_pushnil(L);
  while (lua_next(L, t)) {
    int i, found = 0;
    size_t len = 0;
    if (lua_type(L, -2) == LUA_TSTRING) {
      const char *k = lua_tolstring(L, -2, &len);
      for (i = 0; names[i] && !found; i++)
        found = strlen(names[i]) == len && memcmp(k, names[i], len) == 0;
    }
    if (!found) {
      luaL_Buffer b;
      const char *k = luaL_tolstring(L, -2, NULL);
      luaL_buffinit(L, &b);
      for (i = 0; names[i]; i++) {
        if (i) luaL_addstring(&b, ", ");
        luaL_addstring(&b, names[i]);
      }
      luaL_pushresult(&b);
      luaL_argerror(L, arg, lua_pushfstring(L, "unknown %s '%s' (expected %s)",
                    what, k, lua_tostring(L, -1)));
    }
    lua_pop(L, 1);
  }
}

void ca_lcheckoptions(lua_State *L, int t, int arg,
                      const char *const names[]) {
  ca_lcheckkeys(L, t, arg, "option", names);
}

/* Option k of the table at t is nil or a function. */
void ca_lcheckfunction(lua_State *L, int t, int arg, const char *k) {
  int ty = lua_getfield(L, t, k);
  if (ty != LUA_TNIL && ty != LUA_TFUNCTION)
    luaL_argerror(L, arg, lua_pushfstring(L, "option '%s' must be a function",
                                          k));
  lua_pop(L, 1);
}

/*
** interface([name]): one meaning on every object (the table in
** docs/manual.md). The names, once: "v1" and "v2" (the custom-actions
** interfaces of the object's side: IPmCustomActions(2) of a provider,
** ICustomAction(2)ResultCallback of a callback), "pm" (IProtocolManager),
** "monitor" (IPmHealthAndIdleMonitor); "v2" when left out. An unknown
** name is the same argument error everywhere.
*/
int ca_linterface_name(lua_State *L, int arg) {
  static const char *const names[] = {"v1", "v2", "pm", "monitor", NULL};
  return luaL_checkoption(L, arg, "v2", names);
}

/* The answer of interface(): the borrowed pointer, or nil and
   E_NOINTERFACE when the object has none of that name. */
int ca_linterface_push(lua_State *L, void *ptr) {
  if (ptr != NULL) {
    lua_pushlightuserdata(L, ptr);
    return 1;
  }
  lua_pushnil(L);
  ca_lhr_push(L, (uint32_t)CA_E_NOINTERFACE);
  return 2;
}

/*
** A Lua type of the module: its metatable mt with metamethods, and its
** methods as __index. With the module table on top; methods_field, when
** given, also names the methods table there (for the facade to extend;
** init.lua takes it out of ca).
*/
/* The mark is the metatable's array slot 1 (no metamethod reads integer
   keys), which a check reads without hashing. */
void ca_lmark(lua_State *L, const char *mt, const void *key) {
  luaL_getmetatable(L, mt);
  lua_pushlightuserdata(L, (void *)(uintptr_t)key);
  lua_rawseti(L, -2, 1);
  lua_pop(L, 1);
}

void *ca_ltest(lua_State *L, int idx, const void *key) {
  void *p = NULL;
  if (lua_type(L, idx) == LUA_TUSERDATA && lua_getmetatable(L, idx)) {
    lua_rawgeti(L, -1, 1);
    if (lua_touserdata(L, -1) == key) p = lua_touserdata(L, idx);
    lua_pop(L, 2);
  }
  return p;
}

void ca_ltype(lua_State *L, const char *mt, const luaL_Reg *metamethods,
              const luaL_Reg *methods, const char *methods_field) {
  luaL_newmetatable(L, mt);
  luaL_setfuncs(L, metamethods, 0);
  lua_newtable(L);
  luaL_setfuncs(L, methods, 0);
  if (methods_field != NULL) {
    lua_pushvalue(L, -1);
    lua_setfield(L, -4, methods_field);
  }
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
}
