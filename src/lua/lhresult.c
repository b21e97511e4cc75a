/*
** lhresult.c: HRESULTs as Lua values. Each distinct value is one userdata
** per state (interned through a weak table), so equality is identity and
** handlers can compare statuses with ==. Named values are fields of the
** module table, which keeps them alive.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdio.h>
#include <string.h>

#include "hresult.h"
#include "lcommon.h"

typedef struct ca_lhr { uint32_t value; } ca_lhr;

void ca_lhr_push_interned(lua_State *L, int intern_idx, uint32_t value) {
  intern_idx = lua_absindex(L, intern_idx);
  if (lua_rawgeti(L, intern_idx, (lua_Integer)value) != LUA_TNIL) return;
  lua_pop(L, 1);
  ((ca_lhr *)lua_newuserdatauv(L, sizeof(ca_lhr), 0))->value = value;
  luaL_setmetatable(L, CA_HRESULT_MT);
  lua_pushvalue(L, -1);
  lua_rawseti(L, intern_idx, (lua_Integer)value);
}

void ca_lhr_push(lua_State *L, uint32_t value) {
  ca_lhr_push_s(L, ca_lstate_get(L), value);
}

void ca_lhr_push_s(lua_State *L, ca_lstate *s, uint32_t value) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, s->intern_ref);
  ca_lhr_push_interned(L, -1, value);
  lua_remove(L, -2);
}

/* A number as an HRESULT, by the core's integer rule: signed or unsigned
   32-bit, integral (NaN, infinities and fractions are refused). */
static int int_to_hr(lua_State *L, int idx, uint32_t *out) {
  int64_t v;
  if (ca_intrange_check(&ca_range_hresult, ca_lnumber(L, idx), &v, NULL))
    return 0;
  *out = (uint32_t)v;
  return 1;
}

int ca_lhr_to(lua_State *L, int idx, uint32_t *out) {
  switch (lua_type(L, idx)) {
    case LUA_TUSERDATA: {
      ca_lhr *h = luaL_testudata(L, idx, CA_HRESULT_MT);
      if (h == NULL) return 0;
      *out = h->value;
      return 1;
    }
    case LUA_TNUMBER:
      return int_to_hr(L, idx, out);
    case LUA_TSTRING: {
      size_t len;
      const char *str = lua_tolstring(L, idx, &len);
      return ca_hr_parse(str, len, out) == 0;
    }
    default:
      return 0;
  }
}

/* Pushes what ca.hresult accepts and what the value at idx was instead. */
static const char *push_bad(lua_State *L, int idx) {
  const char *got;
  if (lua_type(L, idx) == LUA_TSTRING)
    got = lua_pushfstring(L, "string \"%s\"", lua_tostring(L, idx));
  else if (lua_type(L, idx) == LUA_TNUMBER)
    got = lua_pushfstring(L, "number %s", luaL_tolstring(L, idx, NULL));
  else
    got = luaL_typename(L, idx);
  return lua_pushfstring(L, "expected an HRESULT: an integer in "
      "-0x80000000..0xFFFFFFFF, a name such as \"E_FAIL\", a hex string "
      "such as \"0x80004005\", the macro spelling "
      "\"HRESULT_FROM_WIN32(ERROR_NOT_FOUND)\" or an HRESULT value; got %s", got);
}

uint32_t ca_lhr_check(lua_State *L, int arg) {
  uint32_t v;
  if (!ca_lhr_to(L, arg, &v)) luaL_argerror(L, arg, push_bad(L, arg));
  return v;
}

uint32_t ca_lhr_check_s(lua_State *L, ca_lstate *s, int arg) {
  if (lua_type(L, arg) == LUA_TUSERDATA && lua_getmetatable(L, arg)) {
    int ours = lua_topointer(L, -1) == s->hr_mt;
    lua_pop(L, 1);
    if (ours) return ((ca_lhr *)lua_touserdata(L, arg))->value;
  }
  return ca_lhr_check(L, arg);
}

/*
** __call of the ca.hresult table: (table, x). Errors name x as argument
** #1 of 'hresult' and point at the caller's line, as for a plain function.
*/
static int l_hresult_call(lua_State *L) {
  uint32_t v;
  if (luaL_testudata(L, 2, CA_HRESULT_MT)) {
    lua_settop(L, 2);
    return 1;
  }
  if (!ca_lhr_to(L, 2, &v))
    return luaL_error(L, "bad argument #1 to 'hresult' (%s)",
                      lua_isnone(L, 2) ? "value expected" : push_bad(L, 2));
  ca_lhr_push(L, v);
  return 1;
}

int ca_lhr_new(lua_State *L) {
  luaL_checkany(L, 1);
  if (luaL_testudata(L, 1, CA_HRESULT_MT)) {
    lua_settop(L, 1);
    return 1;
  }
  ca_lhr_push(L, ca_lhr_check(L, 1));
  return 1;
}

/*
** HRESULT_FROM_WIN32 of a Win32 code: an integer, a Win32 error name the
** table knows ("ERROR_NOT_FOUND"), or an HRESULT value, which comes back
** unchanged as the macro leaves it. Errors speak of Win32 codes and name
** the function as the caller wrote it (ca.hresult.from_win32).
*/
static int l_from_win32(lua_State *L) {
  uint32_t code;
  int ok = 0;
  switch (lua_type(L, 1)) {
    case LUA_TSTRING: {
      size_t len;
      const char *str = lua_tolstring(L, 1, &len);
      ok = ca_hr_win32_parse(str, len, &code) == 0;
      break;
    }
    case LUA_TNUMBER:
    case LUA_TUSERDATA:
      ok = ca_lhr_to(L, 1, &code);
      break;
  }
  if (!ok) {
    const char *got = lua_isnone(L, 1) ? "no value"
        : lua_type(L, 1) == LUA_TSTRING ? lua_pushfstring(L, "\"%s\"", lua_tostring(L, 1))
        : lua_type(L, 1) == LUA_TNUMBER ? luaL_tolstring(L, 1, NULL) : luaL_typename(L, 1);
    return luaL_error(L, "bad argument #1 to 'from_win32' (expected a Win32 error "
        "code: an integer in -0x80000000..0xFFFFFFFF, a name such as \"ERROR_NOT_FOUND\" or "
        "\"ERROR_SUCCESS\", or an HRESULT value; got %s)", got);
  }
  ca_lhr_push(L, (uint32_t)WPF_HRESULT_FROM_WIN32((HRESULT)code));
  return 1;
}

/* The value's names other than its primary one, in table order. */
static void push_aliases(lua_State *L, uint32_t v) {
  const ca_hr_entry *names[8];
  const ca_hr_entry *primary = ca_hr_by_value(v);
  size_t n = ca_hr_names(v, names, sizeof names / sizeof names[0]), i;
  int k = 0;
  lua_createtable(L, (int)n, 0);
  for (i = 0; i < n; i++) {
    if (names[i] == primary) continue;
    lua_pushstring(L, names[i]->name);
    lua_rawseti(L, -2, ++k);
  }
}

/* Every row of the table: { name, value, message, win32, alias }. */
static int l_table(lua_State *L) {
  size_t n, i;
  const ca_hr_entry *t = ca_hr_table(&n);
  lua_createtable(L, (int)n, 0);
  for (i = 0; i < n; i++) {
    lua_createtable(L, 0, 5);
    lua_pushstring(L, t[i].name);
    lua_setfield(L, -2, "name");
    ca_lhr_push(L, t[i].value);
    lua_setfield(L, -2, "value");
    lua_pushstring(L, t[i].message ? t[i].message
                                   : ca_hr_by_value(t[i].value)->message);
    lua_setfield(L, -2, "message");
    if (t[i].is_win32) {
      lua_pushinteger(L, t[i].win32);
      lua_setfield(L, -2, "win32");
    }
    lua_pushboolean(L, t[i].message == NULL);
    lua_setfield(L, -2, "alias");
    ca_lprintable(L, -1, "customaction.hresult_row");
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

/***
HRESULT values: interned userdata, so `==` compares them, with their
fields decoded.
@module customaction
*/

/***
HRESULTs.
@section hresults
*/

/***
Is the severity bit clear?
@function succeeded
@param x anything `hresult` accepts
@treturn boolean
*/
static int l_succeeded(lua_State *L) {
  lua_pushboolean(L, WPF_SUCCEEDED((HRESULT)ca_lhr_check(L, 1)));
  return 1;
}

/***
Is the severity bit set?
@function failed
@param x anything `hresult` accepts
@treturn boolean
*/
static int l_failed(lua_State *L) {
  lua_pushboolean(L, WPF_FAILED((HRESULT)ca_lhr_check(L, 1)));
  return 1;
}

static uint32_t checkself(lua_State *L) {
  return ((ca_lhr *)luaL_checkudata(L, 1, CA_HRESULT_MT))->value;
}

/***
An HRESULT value (`customaction.hresult`), interned per Lua state: the
same code is always the same userdata. The module table holds 503 of
them by name (`ca.E_FAIL`, `ca.S_OK`, ...). `tostring` gives
`NAME (0xXXXXXXXX): message`. Values are read-only.
@type hresult
@field value the unsigned 32-bit value
@field severity 0 or 1 (bit 31)
@field customer bit 29, as a boolean
@field facility bits 16..26
@field facility_name the SDK's name for the facility, or nil
@field code bits 0..15
@field name the primary name, or nil when the value has none
@field aliases a list of its other names (`E_NOT_SET` is also
`HRESULT_FROM_WIN32_ERROR_NOT_FOUND`), empty when it has none
@field message a short description; for unnamed values, the decoded fields
*/

/***
Is the severity bit clear? (Also `ca.succeeded(hr)`.)
@function hresult:succeeded
@treturn boolean
*/

/***
Is the severity bit set? (Also `ca.failed(hr)`.)
@function hresult:failed
@treturn boolean
*/

/***
Compares with anything `hresult` accepts.
@function hresult:is
@param x the other value
@treturn boolean
*/
static int hr_is(lua_State *L) {
  uint32_t v = checkself(L);
  lua_pushboolean(L, ca_lhr_check(L, 2) == v);
  return 1;
}

static int hr_tostring(lua_State *L) {
  uint32_t v = checkself(L);
  const ca_hr_entry *e = ca_hr_by_value(v);
  char msg[160], hex[16];
  ca_hr_describe(v, msg, sizeof msg);
  snprintf(hex, sizeof hex, "0x%08X", (unsigned)v);
  if (e != NULL)
    lua_pushfstring(L, "%s (%s): %s", e->name, hex, msg);
  else
    lua_pushfstring(L, "%s: %s", hex, msg);
  return 1;
}

static int hr_concat(lua_State *L) {
  luaL_tolstring(L, 1, NULL);
  luaL_tolstring(L, 2, NULL);
  lua_concat(L, 2);
  return 1;
}

static int hr_index(lua_State *L) {
  uint32_t v = checkself(L);
  const char *k = luaL_checkstring(L, 2);
  if (strcmp(k, "value") == 0) lua_pushinteger(L, (lua_Integer)v);
  else if (strcmp(k, "severity") == 0) lua_pushinteger(L, v >> 31);
  else if (strcmp(k, "facility") == 0) lua_pushinteger(L, (v >> 16) & 0x7FF);
  else if (strcmp(k, "code") == 0) lua_pushinteger(L, v & 0xFFFF);
  else if (strcmp(k, "customer") == 0) lua_pushboolean(L, (v >> 29) & 1);
  else if (strcmp(k, "facility_name") == 0) {
    const char *f = ca_hr_facility_name((v >> 16) & 0x7FF);
    if (f) lua_pushstring(L, f); else lua_pushnil(L);
  } else if (strcmp(k, "name") == 0) {
    const ca_hr_entry *e = ca_hr_by_value(v);
    if (e) lua_pushstring(L, e->name); else lua_pushnil(L);
  } else if (strcmp(k, "aliases") == 0) {
    push_aliases(L, v);
  } else if (strcmp(k, "message") == 0) {
    char msg[160];
    ca_hr_describe(v, msg, sizeof msg);
    lua_pushstring(L, msg);
  } else {
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));  /* methods */
  }
  return 1;
}

static int hr_newindex(lua_State *L) {
  return luaL_error(L, "HRESULT values are read-only");
}

static const luaL_Reg hr_methods[] = {
  {"succeeded", l_succeeded},
  {"failed", l_failed},
  {"is", hr_is},
  {NULL, NULL}
};

static const luaL_Reg module_funcs[] = {
  {"hresult", ca_lhr_new},
  {"hresult_from_win32", l_from_win32},
  {"hresult_table", l_table},
  {"hresult_call", l_hresult_call},
  {"succeeded", l_succeeded},
  {"failed", l_failed},
  {NULL, NULL}
};

/* Expects the module table on top; adds functions and every named value. */
void ca_lhr_open(lua_State *L, ca_lstate *s) {
  size_t n, i;
  const ca_hr_entry *t = ca_hr_table(&n);
  int module = lua_gettop(L);

  luaL_newmetatable(L, CA_HRESULT_MT);
  s->hr_mt = lua_topointer(L, -1);   /* the registry keeps it */
  luaL_newlib(L, hr_methods);
  lua_pushcclosure(L, hr_index, 1);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, hr_newindex);
  lua_setfield(L, -2, "__newindex");
  lua_pushcfunction(L, hr_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pushcfunction(L, hr_concat);
  lua_setfield(L, -2, "__concat");
  lua_pushliteral(L, "locked");
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 1);

  if (s->intern_ref == LUA_NOREF) {  /* once per state, whatever loads us */
    lua_newtable(L);  /* weak in its values: unused codes may go */
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "v");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    s->intern_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  }

  luaL_setfuncs(L, module_funcs, 0);
  lua_rawgeti(L, LUA_REGISTRYINDEX, s->intern_ref);
  for (i = 0; i < n; i++) {
    ca_lhr_push_interned(L, -1, t[i].value);
    lua_setfield(L, module, t[i].name);
  }
  lua_pop(L, 1);
}
