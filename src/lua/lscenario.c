/*
** lscenario.c: scenario tables to scenarios. This file only converts:
** it walks the table, hands each value to the scenario's setter in the
** core (scenario.h), and raises the core's message when a setter refuses.
** What is accepted, the defaults and the limits are the core's. Unknown
** keys, a faults map where a list is wanted and keys a fault table does
** not know are refused here, as they never reach the core.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "lcommon.h"

#include <string.h>

#include "scenario.h"

#define BOX_MT "customaction.scenario_box"

/* Raises "bad argument #arg (scenario: MSG)". */
static int scenario_error(lua_State *L, int arg, const char *msg) {
  return luaL_argerror(L, arg, lua_pushfstring(L, "scenario field %s", msg));
}

static void check(lua_State *L, int arg, int r, const ca_err *e) {
  if (r < 0) scenario_error(L, arg, e->msg);
}

/* Is the value at idx the integer i (any Lua version)? */
static int is_int(lua_State *L, int idx, lua_Integer *i) {
  int isint = 0;
  if (lua_type(L, idx) == LUA_TNUMBER) *i = lua_tointegerx(L, idx, &isint);
  return isint;
}

static int known(const char *const *names, const char *k) {
  int i;
  for (i = 0; names[i]; i++)
    if (strcmp(k, names[i]) == 0) return 1;
  return 0;
}

/* The table at t is a list 1..n (n distinct keys, none above n). */
static int list_length(lua_State *L, int t, int arg, const char *field) {
  lua_Integer n = 0, i = 0, max = 0;
  lua_pushnil(L);
  while (lua_next(L, t)) {
    lua_pop(L, 1);
    if (!is_int(L, -1, &i) || i < 1)
      scenario_error(L, arg, lua_pushfstring(L, "'%s' must be a list (it has "
                     "the key '%s')", field, luaL_tolstring(L, -1, NULL)));
    n++;
    if (i > max) max = i;
  }
  if (max > n)
    scenario_error(L, arg, lua_pushfstring(L, "'%s' must be a list without "
                   "holes", field));
  return (int)n;
}

static void read_payloads(lua_State *L, ca_scenario *sc, int t, int arg) {
  ca_err e;
  size_t len;
  const char *s;
  int i, n;
  if (lua_type(L, t) == LUA_TSTRING) {
    s = lua_tolstring(L, t, &len);
    check(L, arg, ca_scenario_add_payload(sc, s, len, &e), &e);
    return;
  }
  if (lua_type(L, t) != LUA_TTABLE)
    scenario_error(L, arg, "'payload' must be a string or a list of strings");
  n = list_length(L, t, arg, "payload");
  if (n < 1) scenario_error(L, arg, "'payload' must not be an empty list");
  for (i = 1; i <= n; i++) {
    if (lua_rawgeti(L, t, i) != LUA_TSTRING)
      scenario_error(L, arg, lua_pushfstring(L, "'payload' item %d is a %s, "
                     "not a string", i, luaL_typename(L, -1)));
    s = lua_tolstring(L, -1, &len);
    check(L, arg, ca_scenario_add_payload(sc, s, len, &e), &e);
    lua_pop(L, 1);
  }
}

/* One fault: a name, or a table { name, at = , size = , ms = , seed = }. */
static void read_fault(lua_State *L, ca_scenario *sc, int f, int i, int arg) {
  static const char *const params[] = {"at", "size", "ms", "seed", NULL};
  ca_err e;
  size_t len;
  const char *name;
  int idx, p;
  int t = lua_type(L, f);
  if (t == LUA_TTABLE) lua_rawgeti(L, f, 1); else lua_pushvalue(L, f);
  if (lua_type(L, -1) != LUA_TSTRING)
    scenario_error(L, arg, lua_pushfstring(L, "'faults' item %d must be a "
                   "fault name or a table starting with one (got %s)", i,
                   luaL_typename(L, -1)));
  name = lua_tolstring(L, -1, &len);
  idx = ca_scenario_add_fault(sc, name, len, &e);
  check(L, arg, idx, &e);
  lua_pop(L, 1);
  if (t != LUA_TTABLE) return;
  lua_pushnil(L);
  while (lua_next(L, f)) {
    lua_Integer one = 0;
    lua_pop(L, 1);
    if (is_int(L, -1, &one) && one == 1) continue;
    if (lua_type(L, -1) != LUA_TSTRING || !known(params, lua_tostring(L, -1)))
      scenario_error(L, arg, lua_pushfstring(L, "'faults' item %d has an "
                     "unknown key '%s' (expected at, size, ms, seed)", i,
                     luaL_tolstring(L, -1, NULL)));
  }
  for (p = 0; p < CA_NFPARAMS; p++) {
    if (lua_getfield(L, f, ca_fault_params[p]) != LUA_TNIL) {
      int r = ca_scenario_set_fault(sc, idx, (enum ca_fault_param)p,
                                    ca_lnumber(L, -1), &e);
      if (r < 0)
        scenario_error(L, arg, lua_pushfstring(L, "'faults' item %d: %s", i,
                                               e.msg));
    }
    lua_pop(L, 1);
  }
}

static void read_faults(lua_State *L, ca_scenario *sc, int t, int arg) {
  int i, n;
  if (lua_type(L, t) != LUA_TTABLE)
    scenario_error(L, arg, "'faults' must be a list of fault names or tables");
  n = list_length(L, t, arg, "faults");
  for (i = 1; i <= n; i++) {
    lua_rawgeti(L, t, i);
    read_fault(L, sc, lua_gettop(L), i, arg);
    lua_pop(L, 1);
  }
}

/* One field of the scenario table, its value on top of the stack. */
static void read_field(lua_State *L, ca_scenario *sc, const char *k, int arg) {
  ca_err e;
  size_t len;
  int top = lua_gettop(L), i;
  for (i = 0; i < CA_SC_NINTS; i++)
    if (strcmp(k, ca_scenario_int_names[i]) == 0) {
      check(L, arg, ca_scenario_set_int(sc, (enum ca_scenario_int)i,
                                        ca_lnumber(L, top), &e), &e);
      return;
    }
  if (strcmp(k, "status") == 0) {
    uint32_t v;
    if (!ca_lhr_to(L, top, &v))
      scenario_error(L, arg, "'status' must be an HRESULT (anything "
                     "ca.hresult accepts)");
    ca_scenario_set_status(sc, (HRESULT)v);
  } else if (strcmp(k, "echo") == 0) {
    if (!lua_isboolean(L, top)) scenario_error(L, arg, "'echo' must be a boolean");
    ca_scenario_set_echo(sc, lua_toboolean(L, top));
  } else if (strcmp(k, "payload") == 0) {
    read_payloads(L, sc, top, arg);
  } else if (strcmp(k, "faults") == 0) {
    read_faults(L, sc, top, arg);
  } else {   /* encoding, format: strings */
    const char *s = lua_type(L, top) == LUA_TSTRING
                    ? lua_tolstring(L, top, &len) : NULL;
    if (s == NULL)
      scenario_error(L, arg, lua_pushfstring(L, "'%s' must be a string", k));
    check(L, arg, strcmp(k, "format") == 0
                  ? ca_scenario_set_format(sc, s, len, &e)
                  : ca_scenario_set_encoding(sc, s, len, &e), &e);
  }
}

static int box_gc(lua_State *L) {
  ca_scenario **box = lua_touserdata(L, 1);
  ca_scenario_free(*box);
  *box = NULL;
  return 0;
}

ca_scenario *ca_lscenario_read(lua_State *L, int idx, int arg) {
  ca_scenario **box;
  ca_err e;
  int i;
  idx = lua_absindex(L, idx);
  luaL_checktype(L, idx, LUA_TTABLE);
  ca_lcheckkeys(L, idx, arg, "scenario field", ca_scenario_fields);
  box = lua_newuserdatauv(L, sizeof *box, 0);
  *box = NULL;
  if (luaL_newmetatable(L, BOX_MT)) {
    lua_pushcfunction(L, box_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  *box = ca_scenario_new();
  if (*box == NULL) luaL_error(L, "not enough memory");
  /* a fixed order, so the same table always gives the same message */
  for (i = 0; ca_scenario_fields[i]; i++) {
    int top = lua_gettop(L);
    if (lua_getfield(L, idx, ca_scenario_fields[i]) != LUA_TNIL)
      read_field(L, *box, ca_scenario_fields[i], arg);
    lua_settop(L, top);
  }
  check(L, arg, ca_scenario_finish(*box, &e), &e);
  return *box;
}

ca_scenario *ca_lscenario_take(lua_State *L, int box) {
  ca_scenario **b = luaL_checkudata(L, box, BOX_MT);
  ca_scenario *sc = *b;
  *b = NULL;
  return sc;
}
