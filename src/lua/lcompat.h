/*
** lcompat.h: the Lua 5.4 C API this binding is written against, supplied
** on Lua 5.1, 5.2, 5.3 and LuaJIT 2.1. The binding's files use 5.4 names
** only; where an older version lacks a function, or has one that returns
** nothing or converts numbers more loosely, a macro points the name at a
** static function here. Semantics follow 5.4 where the binding relies on
** them: integers are exact (1.5 is not an integer), lookups return the
** type they found, and user values live in a table on versions that have
** one slot (5.2, 5.3) or an environment (5.1).
*/
#ifndef CA_LCOMPAT_H
#define CA_LCOMPAT_H

#include <math.h>
#include <stddef.h>

#include "lua.h"
#include "lauxlib.h"

/* lua_absindex, which 5.1 lacks, and which the helpers below share */
static inline int ca_compat_absindex(lua_State *L, int i) {
  return i > 0 || i <= LUA_REGISTRYINDEX ? i : lua_gettop(L) + i + 1;
}

#if LUA_VERSION_NUM < 504

/* ---- user values: a table in the single slot (5.2, 5.3) or env (5.1) */

#if LUA_VERSION_NUM < 502
#define ca_compat_getslot(L, i) lua_getfenv(L, (i))
#define ca_compat_setslot(L, i) lua_setfenv(L, (i))
#else
#define ca_compat_getslot(L, i) lua_getuservalue(L, (i))
#define ca_compat_setslot(L, i) lua_setuservalue(L, (i))
#endif

static inline void *ca_compat_newuserdatauv(lua_State *L, size_t sz, int nuv) {
  void *p = lua_newuserdata(L, sz);
  if (nuv > 0) {
    lua_createtable(L, nuv, 0);
    ca_compat_setslot(L, -2);
  }
  return p;
}

static inline int ca_compat_getiuservalue(lua_State *L, int idx, int n) {
  ca_compat_getslot(L, idx);
  if (lua_type(L, -1) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_pushnil(L);
    return LUA_TNONE;
  }
  lua_rawgeti(L, -1, n);
  lua_remove(L, -2);
  return lua_type(L, -1);
}

/* Pops the value; 0 when the userdata has no such slot. */
static inline int ca_compat_setiuservalue(lua_State *L, int idx, int n) {
  int ud = ca_compat_absindex(L, idx);
  ca_compat_getslot(L, ud);
  if (lua_type(L, -1) != LUA_TTABLE) {
    lua_pop(L, 2);
    return 0;
  }
  lua_pushvalue(L, -2);
  lua_rawseti(L, -2, n);
  lua_pop(L, 2);
  return 1;
}

#define lua_newuserdatauv ca_compat_newuserdatauv
#define lua_getiuservalue ca_compat_getiuservalue
#define lua_setiuservalue ca_compat_setiuservalue

/* ---- luaL_typeerror is new in 5.4 */

static inline int ca_compat_typeerror(lua_State *L, int arg, const char *tname) {
  const char *got;
  if (luaL_getmetafield(L, arg, "__name") && lua_type(L, -1) == LUA_TSTRING)
    got = lua_tostring(L, -1);
  else if (lua_type(L, arg) == LUA_TLIGHTUSERDATA)
    got = "light userdata";
  else
    got = luaL_typename(L, arg);
  return luaL_argerror(L, arg, lua_pushfstring(L, "%s expected, got %s",
                                               tname, got));
}
#define luaL_typeerror ca_compat_typeerror

#endif /* < 5.4 */

#if LUA_VERSION_NUM < 503

/* ---- exact integers: 5.1 and 5.2 truncate 1.5 to 1 */

static inline lua_Integer ca_compat_tointegerx(lua_State *L, int idx, int *isint) {
  int ok = 0;
  lua_Integer i = 0;
  if (lua_type(L, idx) == LUA_TNUMBER || lua_isnumber(L, idx)) {
    lua_Number n = lua_tonumber(L, idx);
    /* the range check keeps the conversion defined */
    if (n >= -9007199254740992.0 && n <= 9007199254740992.0 &&
        floor(n) == n) {
      i = (lua_Integer)n;
      ok = 1;
    }
  }
  if (isint != NULL) *isint = ok;
  return i;
}

static inline lua_Integer ca_compat_checkinteger(lua_State *L, int arg) {
  int ok;
  lua_Integer i = ca_compat_tointegerx(L, arg, &ok);
  if (!ok) {
    if (lua_isnumber(L, arg))
      luaL_argerror(L, arg, "number has no integer representation");
    else
      ca_compat_typeerror(L, arg, "number");
  }
  return i;
}

static inline lua_Integer ca_compat_optinteger(lua_State *L, int arg,
                                        lua_Integer def) {
  return lua_isnoneornil(L, arg) ? def : ca_compat_checkinteger(L, arg);
}

#define lua_tointegerx ca_compat_tointegerx
#define luaL_checkinteger ca_compat_checkinteger
#define luaL_optinteger ca_compat_optinteger

/* ---- lookups that return the type they found */

static inline int ca_compat_rawgeti(lua_State *L, int idx, lua_Integer n) {
  (lua_rawgeti)(L, idx, (int)n);
  return lua_type(L, -1);
}

static inline int ca_compat_getfield(lua_State *L, int idx, const char *k) {
  (lua_getfield)(L, idx, k);
  return lua_type(L, -1);
}

static inline int ca_compat_rawget(lua_State *L, int idx) {
  (lua_rawget)(L, idx);
  return lua_type(L, -1);
}

static inline int ca_compat_rawgetp(lua_State *L, int idx, const void *p) {
#if LUA_VERSION_NUM < 502
  idx = ca_compat_absindex(L, idx);
  lua_pushlightuserdata(L, (void *)p);
  (lua_rawget)(L, idx);
#else
  (lua_rawgetp)(L, idx, p);
#endif
  return lua_type(L, -1);
}

#define lua_rawgetp ca_compat_rawgetp
#define lua_rawgeti ca_compat_rawgeti
#define lua_getfield ca_compat_getfield
#define lua_rawget ca_compat_rawget

/* ---- __name, which 5.3 sets and luaL_tolstring and errors show */

static inline int ca_compat_newmetatable(lua_State *L, const char *tname) {
  if (!(luaL_newmetatable)(L, tname)) return 0;
  lua_pushstring(L, tname);
  lua_setfield(L, -2, "__name");
  return 1;
}
#define luaL_newmetatable ca_compat_newmetatable

#endif /* < 5.3 */

#if LUA_VERSION_NUM < 502

#ifndef LUA_OK
#define LUA_OK 0
#endif

static inline void ca_compat_rawsetp(lua_State *L, int idx, const void *p) {
  idx = ca_compat_absindex(L, idx);
  lua_pushlightuserdata(L, (void *)p);
  lua_insert(L, -2);
  lua_rawset(L, idx);
}

/* As 5.2's: each function a closure over the nup values on top, which
   are popped. */
static inline void ca_compat_setfuncs(lua_State *L, const luaL_Reg *l, int nup) {
  for (; l->name != NULL; l++) {
    int i;
    for (i = 0; i < nup; i++) lua_pushvalue(L, -nup);
    lua_pushcclosure(L, l->func, nup);
    lua_setfield(L, -(nup + 2), l->name);
  }
  lua_pop(L, nup);
}

static inline void *ca_compat_testudata(lua_State *L, int ud, const char *tname) {
  void *p = lua_touserdata(L, ud);
  int same;
  if (p == NULL || !lua_getmetatable(L, ud)) return NULL;
  lua_getfield(L, LUA_REGISTRYINDEX, tname);
  same = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return same ? p : NULL;
}

static inline void ca_compat_setmetatable(lua_State *L, const char *tname) {
  lua_getfield(L, LUA_REGISTRYINDEX, tname);
  lua_setmetatable(L, -2);
}

static inline const char *ca_compat_tolstring(lua_State *L, int idx, size_t *len) {
  idx = ca_compat_absindex(L, idx);
  if (luaL_callmeta(L, idx, "__tostring")) {
    if (!lua_isstring(L, -1)) luaL_error(L, "'__tostring' must return a string");
  } else {
    switch (lua_type(L, idx)) {
      case LUA_TNUMBER:
      case LUA_TSTRING:
        lua_pushvalue(L, idx);
        break;
      case LUA_TBOOLEAN:
        lua_pushstring(L, lua_toboolean(L, idx) ? "true" : "false");
        break;
      case LUA_TNIL:
        lua_pushliteral(L, "nil");
        break;
      default:
        lua_pushfstring(L, "%s: %p", luaL_typename(L, idx),
                        lua_topointer(L, idx));
    }
  }
  return lua_tolstring(L, -1, len);
}

static inline lua_Integer ca_compat_len(lua_State *L, int idx) {
  return (lua_Integer)lua_objlen(L, idx);
}

#if !defined(luaL_newlib)  /* LuaJIT 2.1 has it, and luaL_traceback */
static inline void ca_compat_traceback(lua_State *L, lua_State *L1, const char *msg,
                                int level) {
  lua_Debug ar;
  int top = lua_gettop(L), n = 0;
  if (msg != NULL) lua_pushfstring(L, "%s\n", msg);
  lua_pushliteral(L, "stack traceback:");
  while (n < 40 && lua_getstack(L1, level++, &ar)) {
    lua_getinfo(L1, "Sln", &ar);
    lua_pushfstring(L, "\n\t%s:", ar.short_src);
    if (ar.currentline > 0) lua_pushfstring(L, "%d:", ar.currentline);
    if (ar.name != NULL)
      lua_pushfstring(L, " in function '%s'", ar.name);
    else if (*ar.what == 'm')
      lua_pushliteral(L, " in main chunk");
    else if (*ar.what == 'C')
      lua_pushliteral(L, " in ?");
    else
      lua_pushfstring(L, " in function <%s:%d>", ar.short_src,
                      ar.linedefined);
    lua_concat(L, lua_gettop(L) - top);
    n++;
  }
  lua_concat(L, lua_gettop(L) - top);
}
#define luaL_traceback ca_compat_traceback
#endif

#undef luaL_newlib
#undef luaL_setfuncs
#undef luaL_testudata
#undef luaL_setmetatable
#define lua_absindex ca_compat_absindex
#define lua_rawsetp ca_compat_rawsetp
#define luaL_setfuncs ca_compat_setfuncs
#define luaL_testudata ca_compat_testudata
#define luaL_setmetatable ca_compat_setmetatable
#define luaL_tolstring ca_compat_tolstring
#define luaL_len ca_compat_len
#define lua_rawlen(L, i) lua_objlen(L, (i))
#define luaL_newlib(L, l) (lua_newtable(L), ca_compat_setfuncs(L, l, 0))

/* 5.1 has no sized buffers: a userdata holds the bytes until they are
   made a string. The luaL_Buffer only carries the state. */
static inline char *ca_compat_buffinitsize(lua_State *L, luaL_Buffer *b, size_t sz) {
  b->L = L;
  return lua_newuserdata(L, sz ? sz : 1);
}

static inline void ca_compat_pushresultsize(luaL_Buffer *b, size_t sz) {
  lua_State *L = b->L;
  lua_pushlstring(L, lua_touserdata(L, -1), sz);
  lua_remove(L, -2);
}
#define luaL_buffinitsize ca_compat_buffinitsize
#define luaL_pushresultsize ca_compat_pushresultsize

#endif /* < 5.2 */

#endif
