/*
** lpmopts.c: the options of ca.load (lpm.c) checked and turned into C
** data for our framework before the library runs, so that its threads
** never touch Lua: settings, applications, version, actions2_id,
** log_limit and the init name. Errors blame argument 2, the options.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <string.h>

#include "framework.h"
#include "lcommon.h"
#include "utf16.h"

static WCHAR *wide_of(lua_State *L, int idx, size_t *n, const char *what) {
  size_t len, where;
  const char *s = lua_tolstring(L, idx, &len);
  WCHAR *w;
  int e = ca_utf8_measure(s, len, 0, n, &where);
  if (e != CA_UTF_OK)
    luaL_argerror(L, 2, lua_pushfstring(L, "%s: %s at byte %d", what,
                                        ca_utf_error(e), (int)where + 1));
  w = lua_newuserdatauv(L, (*n + 1) * sizeof *w, 0);
  ca_utf8_fill16(s, len, w);
  return w;
}

static void oom(lua_State *L, int r) {
  if (r != 0) luaL_error(L, "not enough memory");
}

/* The integer at idx in 0..max by the core's rule (intrange.h); errors
   blame the options, argument 2, after prefix. */
static int64_t int_opt(lua_State *L, int idx, const char *prefix,
                       const char *name, int64_t max) {
  ca_intrange r;
  r.name = name;
  r.min = 0;
  r.max = max;
  return ca_lcheckint(L, idx, 2, prefix, &r);
}

/* opts.settings: the value on top, for setting name. */
static void one_setting(lua_State *L, ca_framework *fw, const char *name) {
  int kind, id;
  int64_t v;
  size_t n;
  if (ca_setting_lookup(name, &kind, &id) != 0)
    luaL_argerror(L, 2, lua_pushfstring(L, "settings: unknown setting '%s' "
                  "(expected a WPF_SETTINGS_*_ENUM name such as "
                  "APP_POOL_NAME)", name));
  if (kind == CA_SET_STRING) {
    WCHAR *w;
    if (lua_type(L, -1) != LUA_TSTRING)
      luaL_argerror(L, 2, lua_pushfstring(L, "settings: %s must be a "
                    "string", name));
    w = wide_of(L, -1, &n, name);
    oom(L, ca_framework_set_string(fw, id, w, n));
    lua_pop(L, 1);
  } else if (kind == CA_SET_BOOL) {
    if (lua_type(L, -1) != LUA_TBOOLEAN)
      luaL_argerror(L, 2, lua_pushfstring(L, "settings: %s must be a "
                    "boolean", name));
    ca_framework_set_number(fw, kind, id, (uint64_t)lua_toboolean(L, -1));
  } else if (kind == CA_SET_HANDLE && lua_islightuserdata(L, -1)) {
    ca_framework_set_handle(fw, id, lua_touserdata(L, -1));
  } else {
    /* a HANDLE given as an integer must fit a pointer (32 bits on x86) */
    v = int_opt(L, -1, "settings: ", name,
                kind == CA_SET_DWORD ? 0xFFFFFFFF
                : kind == CA_SET_HANDLE && (uint64_t)UINTPTR_MAX < (uint64_t)INT64_MAX
                  ? (int64_t)UINTPTR_MAX : INT64_MAX);
    if (kind == CA_SET_HANDLE)
      ca_framework_set_handle(fw, id, (HANDLE)(uintptr_t)v);
    else
      ca_framework_set_number(fw, kind, id, (uint64_t)v);
  }
}

static void read_settings(lua_State *L, ca_framework *fw) {
  if (lua_getfield(L, 2, "settings") == LUA_TNIL) { lua_pop(L, 1); return; }
  if (!lua_istable(L, -1)) luaL_argerror(L, 2, "option 'settings' must be "
                                         "a table");
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    if (lua_type(L, -2) != LUA_TSTRING)
      luaL_argerror(L, 2, "settings: keys must be setting names");
    one_setting(L, fw, lua_tostring(L, -2));
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

static void read_apps(lua_State *L, ca_framework *fw) {
  lua_Integer i, n;
  if (lua_getfield(L, 2, "applications") == LUA_TNIL) { lua_pop(L, 1); return; }
  if (!lua_istable(L, -1))
    luaL_argerror(L, 2, "option 'applications' must be a list of tables");
  n = (lua_Integer)luaL_len(L, -1);
  for (i = 1; i <= n; i++) {
    WCHAR *id, *vpath;
    size_t idn, vn;
    int64_t site;
    if (lua_rawgeti(L, -1, i) != LUA_TTABLE ||
        lua_getfield(L, -1, "id") != LUA_TSTRING ||
        lua_getfield(L, -2, "vpath") != LUA_TSTRING ||
        lua_getfield(L, -3, "site") != LUA_TNUMBER)
      luaL_argerror(L, 2, lua_pushfstring(L, "applications: item %d must be "
                    "{ id = string, vpath = string, site = integer }",
                    (int)i));
    /* the prefix goes on the stack: the site is then one below */
    site = int_opt(L, -2, lua_pushfstring(L, "applications: item %d: ",
                                          (int)i), "site", 0xFFFFFFFF);
    lua_pop(L, 1);
    id = wide_of(L, -3, &idn, "applications id");
    vpath = wide_of(L, -3, &vn, "applications vpath");
    oom(L, ca_framework_add_app(fw, id, idn, vpath, vn, (DWORD)site));
    lua_pop(L, 6);
  }
  lua_pop(L, 1);
}

static DWORD dword_field(lua_State *L, int t, const char *k, lua_Integer i,
                         DWORD dflt, const char *what) {
  int ty = k ? lua_getfield(L, t, k) : lua_rawgeti(L, t, i);
  int64_t v;
  if (ty == LUA_TNIL) { lua_pop(L, 1); return dflt; }
  v = int_opt(L, -1, "option ", what, 0xFFFFFFFF);
  lua_pop(L, 1);
  return (DWORD)v;
}

static const char *const option_names[] = {"init", "settings",
  "applications", "version", "actions2_id", "log_limit", "on_recycle",
  "on_fail", "on_error", NULL};

void ca_lpm_read_options(lua_State *L, ca_framework *fw, DWORD *actions2_id) {
  DWORD major = 1, minor = 0;
  if (lua_isnoneornil(L, 2)) return;
  luaL_checktype(L, 2, LUA_TTABLE);
  read_settings(L, fw);
  read_apps(L, fw);
  if (lua_getfield(L, 2, "version") != LUA_TNIL) {
    if (!lua_istable(L, -1))
      luaL_argerror(L, 2, "option 'version' must be { major, minor }");
    major = dword_field(L, lua_gettop(L), NULL, 1, 1, "version[1]");
    minor = dword_field(L, lua_gettop(L), NULL, 2, 0, "version[2]");
  }
  lua_pop(L, 1);
  ca_framework_set_version(fw, major, minor);
  *actions2_id = dword_field(L, 2, "actions2_id", 0, *actions2_id,
                             "actions2_id");
}

/* A string argument or option sent to the loader as a C string: a NUL
   would cut it, and an empty path names the host program itself. */
const char *ca_lpm_cstring(lua_State *L, int idx, int arg, const char *what) {
  size_t len;
  const char *v = lua_tolstring(L, idx, &len);
  if (strlen(v) != len)
    luaL_argerror(L, arg, lua_pushfstring(L, "%s must not hold a NUL byte",
                                          what));
  if (len == 0)
    luaL_argerror(L, arg, lua_pushfstring(L, "%s must not be empty", what));
  return v;
}

/* opts at 2 checked; its init name pushed (or nil); the log limit. */
const char *ca_lpm_check_options(lua_State *L, lua_Integer *limit) {
  const char *init = WPF_DEFAULT_PM_INIT_FUNCTION;
  if (lua_isnil(L, 2)) { lua_pushnil(L); return init; }
  luaL_checktype(L, 2, LUA_TTABLE);
  ca_lcheckoptions(L, 2, 2, option_names);
  ca_lcheckfunction(L, 2, 2, "on_recycle");
  ca_lcheckfunction(L, 2, 2, "on_fail");
  ca_lcheckfunction(L, 2, 2, "on_error");
  if (lua_getfield(L, 2, "log_limit") != LUA_TNIL)
    *limit = int_opt(L, -1, "option ", "log_limit", CA_COUNT_MAX);
  lua_pop(L, 1);
  if (lua_getfield(L, 2, "init") != LUA_TNIL) {
    if (lua_type(L, -1) != LUA_TSTRING)
      luaL_argerror(L, 2, "option 'init' must be a string");
    init = ca_lpm_cstring(L, -1, 2, "option 'init'");   /* stays on the stack */
  }
  return init;
}
