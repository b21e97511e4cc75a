/*
** lrecord.c: record tables that print readably. Statistics, queue limits
** and log entries are plain Lua tables (so that specs compare them with
** assert.same and scripts index them freely); a shared metatable per kind
** gives them a __name and a __tostring that shows their fields, sorted,
** nested records inline, so that the REPL prints `callback_stats{ ... }`
** instead of an address. Logs (the issuer's, a loaded library's
** framework calls) reach Lua through one view here, and the counters
** every stats() shows are set here.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <string.h>

#include "lcommon.h"

#define MAX_DEPTH 4

/* The text is built as a list of parts in a table (at index `out`), then
   joined: a luaL_Buffer cannot share the stack with the walk. */
static void put(lua_State *L, int out, const char *s) {
  lua_pushstring(L, s);
  lua_rawseti(L, out, (lua_Integer)lua_rawlen(L, out) + 1);
}

static void put_value(lua_State *L, int out, int idx, int depth);

/* Pushes a sequence of idx's keys, sorted (strings first, by bytes). */
static void sorted_keys(lua_State *L, int idx) {
  int n = 0, i, j;
  lua_newtable(L);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_rawseti(L, -3, ++n);
  }
  for (i = 2; i <= n; i++) {   /* insertion sort: records are small */
    for (j = i; j > 1; j--) {
      int less;
      lua_rawgeti(L, -1, j);
      lua_rawgeti(L, -2, j - 1);
      if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING)
        less = strcmp(lua_tostring(L, -2), lua_tostring(L, -1)) < 0;
      else
        less = lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) != LUA_TSTRING;
      if (!less) {
        lua_pop(L, 2);
        break;
      }
      lua_rawseti(L, -3, j);
      lua_rawseti(L, -2, j - 1);
    }
  }
}

static void put_record(lua_State *L, int out, int idx, int depth) {
  int keys, i, n;
  if (depth > MAX_DEPTH) {
    put(L, out, "{...}");
    return;
  }
  sorted_keys(L, idx);
  keys = lua_gettop(L);
  n = (int)lua_rawlen(L, keys);
  put(L, out, n > 0 ? "{ " : "{");
  for (i = 1; i <= n; i++) {
    lua_rawgeti(L, keys, i);
    if (i > 1) put(L, out, ", ");
    if (lua_type(L, -1) == LUA_TSTRING) {
      put(L, out, lua_tostring(L, -1));
    } else {
      put(L, out, "[");
      put_value(L, out, lua_gettop(L), depth + 1);
      put(L, out, "]");
    }
    put(L, out, " = ");
    lua_rawget(L, idx);
    put_value(L, out, lua_gettop(L), depth + 1);
    lua_pop(L, 1);
  }
  put(L, out, n > 0 ? " }" : "}");
  lua_pop(L, 1);
}

static void put_value(lua_State *L, int out, int idx, int depth) {
  if (lua_type(L, idx) == LUA_TSTRING) {
    lua_pushfstring(L, "\"%s\"", lua_tostring(L, idx));
    lua_rawseti(L, out, (lua_Integer)lua_rawlen(L, out) + 1);
  } else if (lua_type(L, idx) == LUA_TTABLE &&
             luaL_getmetafield(L, idx, "__tostring") == LUA_TNIL) {
    put_record(L, out, idx, depth);   /* a plain table inside a record */
  } else {
    if (lua_type(L, idx) == LUA_TTABLE) lua_pop(L, 1);  /* the metafield */
    luaL_tolstring(L, idx, NULL);
    lua_rawseti(L, out, (lua_Integer)lua_rawlen(L, out) + 1);
  }
}

/* __tostring of every record: its kind, then its fields. */
static int record_tostring(lua_State *L) {
  luaL_Buffer b;
  int out, i, n;
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  lua_newtable(L);
  out = 2;
  if (luaL_getmetafield(L, 1, "__name") != LUA_TNIL) {
    const char *name = lua_tostring(L, -1);
    const char *dot = name != NULL ? strrchr(name, '.') : NULL;
    put(L, out, dot != NULL ? dot + 1 : name != NULL ? name : "");
    lua_pop(L, 1);
  }
  put_record(L, out, 1, 0);
  n = (int)lua_rawlen(L, out);
  luaL_buffinit(L, &b);
  for (i = 1; i <= n; i++) {
    lua_rawgeti(L, out, i);
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  return 1;
}

void ca_lprintable(lua_State *L, int idx, const char *name) {
  idx = lua_absindex(L, idx);
  if (luaL_newmetatable(L, name)) {
    lua_pushcfunction(L, record_tostring);
    lua_setfield(L, -2, "__tostring");
  }
  lua_setmetatable(L, idx);
}

#define LOGBOX_MT "customaction.log_box"

static int logbox_gc(lua_State *L) {
  ca_llog *b = lua_touserdata(L, 1);
  ca_log_free(b->e, b->n);
  b->e = NULL;
  return 0;
}

ca_llog *ca_llog_box(lua_State *L) {
  ca_llog *box = lua_newuserdatauv(L, sizeof *box, 0);
  box->e = NULL;
  box->n = 0;
  if (luaL_newmetatable(L, LOGBOX_MT)) {
    lua_pushcfunction(L, logbox_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  return box;
}

void ca_llog_push(lua_State *L, ca_llog *box, size_t dropped,
                  void (*push)(lua_State *L, const ca_log_entry *e),
                  const char *name) {
  size_t i;
  lua_createtable(L, (int)box->n, 1);
  for (i = 0; i < box->n; i++) {
    push(L, &box->e[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_pushinteger(L, (lua_Integer)dropped);
  lua_setfield(L, -2, "dropped");
  ca_lprintable(L, -1, name);
  ca_log_free(box->e, box->n);
  box->e = NULL;
  lua_replace(L, -2);   /* the box */
}

void ca_lsetcount(lua_State *L, const char *k, uint64_t v) {
  lua_pushinteger(L, (lua_Integer)v);
  lua_setfield(L, -2, k);
}

void ca_lsetcounts(lua_State *L, const char *k, const char *const *names,
                   const uint64_t *v, int n) {
  int i;
  lua_createtable(L, 0, n);
  for (i = 0; i < n; i++) ca_lsetcount(L, names[i], v[i]);
  lua_setfield(L, -2, k);
}
