/*
** lpm.c: customaction.protocol_manager, a protocol-manager library loaded
** with a worker-process framework of ours (src/core/framework.c) and
** driven through its interfaces (src/core/pmhost.c). Options become C data
** before the library runs, so its threads never touch Lua; its recycle
** and fail requests arrive as reports of an events callback the facade
** makes. References: one on the IProtocolManager from the init function,
** one per interface asked for with interface(), one on our framework; all
** released once by close (or __close, __gc).
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "alloc.h"
#include <string.h>

#include "framework.h"
#include "lcommon.h"
#include "pmhost.h"
#include "utf16.h"

#define NCACHE 16
#define DEFAULT_ACTIONS2_ID 2
#define DEFAULT_LOG_LIMIT 100000

typedef struct cached { void *ptr; DWORD id; int custom; } cached;

typedef struct ca_lpm {
  IProtocolManager *pm;   /* NULL once closed */
  ca_framework *fw;       /* NULL once closed */
  DWORD actions2_id;
  int shut;               /* Shutdown was called */
  int ncache;
  cached cache[NCACHE];   /* interface() results, released by close */
} ca_lpm;

static ca_lpm *checkopen(lua_State *L) {
  ca_lpm *p = luaL_checkudata(L, 1, CA_PM_MT);
  if (p->pm == NULL) luaL_argerror(L, 1, "protocol manager is closed");
  return p;
}

/* ---- options ------------------------------------------------------------ */

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

static void check_options(lua_State *L) {
  lua_pushnil(L);
  while (lua_next(L, 2)) {
    int i, ok = 0;
    if (lua_type(L, -2) == LUA_TSTRING)
      for (i = 0; option_names[i]; i++)
        if (strcmp(lua_tostring(L, -2), option_names[i]) == 0) ok = 1;
    if (!ok)
      luaL_argerror(L, 2, lua_pushfstring(L, "unknown option '%s' (expected "
                    "init, settings, applications, version, actions2_id, "
                    "log_limit, on_recycle, on_fail, on_error)",
                    luaL_tolstring(L, -2, NULL)));
    lua_pop(L, 1);
  }
}

static void read_options(lua_State *L, ca_lpm *p) {
  DWORD major = 1, minor = 0;
  if (lua_isnoneornil(L, 2)) return;
  luaL_checktype(L, 2, LUA_TTABLE);
  check_options(L);
  read_settings(L, p->fw);
  read_apps(L, p->fw);
  if (lua_getfield(L, 2, "version") != LUA_TNIL) {
    if (!lua_istable(L, -1))
      luaL_argerror(L, 2, "option 'version' must be { major, minor }");
    major = dword_field(L, lua_gettop(L), NULL, 1, 1, "version[1]");
    minor = dword_field(L, lua_gettop(L), NULL, 2, 0, "version[2]");
  }
  lua_pop(L, 1);
  ca_framework_set_version(p->fw, major, minor);
  p->actions2_id = dword_field(L, 2, "actions2_id", 0, DEFAULT_ACTIONS2_ID,
                               "actions2_id");
}

/* ---- loading ------------------------------------------------------------ */

static void release_all(ca_lpm *p) {
  int i;
  for (i = 0; i < p->ncache; i++)
    ((IWpfReferencedObject *)p->cache[i].ptr)->lpVtbl->Release(
        p->cache[i].ptr);
  p->ncache = 0;
}

/* Releases the framework: the events callback first, so that requests
   made by a protocol manager that keeps the framework are only logged. */
static void drop_framework(ca_lpm *p) {
  ca_framework *fw = p->fw;
  p->fw = NULL;
  if (fw != NULL) {
    ca_framework_detach(fw);
    ca_framework_release(fw);
  }
}

static int load_error(lua_State *L, int r, const char *path, const char *init,
                      HRESULT hr, const char *err) {
  if (r == CA_PM_NO_LIBRARY)
    return luaL_error(L, "cannot load protocol manager '%s': %s", path, err);
  if (r == CA_PM_NO_SYMBOL)
    return luaL_error(L, "protocol manager '%s' has no init function '%s': "
                      "%s", path, init, err);
  ca_lhr_push(L, (uint32_t)hr);
  if (r == CA_PM_INIT_FAILED)
    return luaL_error(L, "protocol manager '%s': %s failed: %s", path, init,
                      luaL_tolstring(L, -1, NULL));
  return luaL_error(L, "protocol manager '%s': %s returned %s but no "
                    "IProtocolManager", path, init,
                    luaL_tolstring(L, -1, NULL));
}

/*
** core.load(path, opts, events): the facade's ca.load makes the events
** callback (on_recycle, on_fail) and documents the whole.
*/
static int l_load(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  const char *init = WPF_DEFAULT_PM_INIT_FUNCTION;
  char err[512];
  HRESULT hr;
  lua_Integer limit = DEFAULT_LOG_LIMIT;
  int r;
  ca_lpm *p;
  lua_settop(L, 3);
  if (!lua_isnil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    if (lua_getfield(L, 2, "init") != LUA_TNIL) {
      if (lua_type(L, -1) != LUA_TSTRING)
        luaL_argerror(L, 2, "option 'init' must be a string");
      init = lua_tostring(L, -1);   /* stays on the stack */
    }
    if (lua_getfield(L, 2, "log_limit") != LUA_TNIL)
      limit = int_opt(L, -1, "option ", "log_limit", CA_COUNT_MAX);
    lua_pop(L, 1);
  }
  p = lua_newuserdatauv(L, sizeof *p, 2);
  memset(p, 0, sizeof *p);
  luaL_setmetatable(L, CA_PM_MT);
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, -2, 1);
  p->actions2_id = DEFAULT_ACTIONS2_ID;
  p->fw = ca_framework_new((size_t)limit);
  if (p->fw == NULL) return luaL_error(L, "not enough memory");
  read_options(L, p);
  if (!lua_isnil(L, 3)) {
    ca_lcallback *cb = ca_lcallback_check(L, 3);
    ca_lcallback_expose(L, 3);
    ca_framework_set_events(p->fw, cb->obj);
    lua_pushvalue(L, 3);
    lua_setiuservalue(L, -2, 2);
  }
  r = ca_pm_load(path, init, ca_framework_iface(p->fw), &p->pm, &hr, err,
                 sizeof err);
  if (r != CA_PM_OK) {
    drop_framework(p);
    return load_error(L, r, path, init, hr, err);
  }
  return 1;
}

/***
A loaded protocol manager (`customaction.protocol_manager`), made by
`customaction.load`.
@module customaction
*/

/***
Loaded protocol managers.
@section protocol_manager
*/

/***
A protocol-manager library loaded by `load`.
@type protocol_manager
*/

static int push_failure(lua_State *L, HRESULT hr) {
  lua_pushnil(L);
  ca_lhr_push(L, (uint32_t)hr);
  return 2;
}

static int wrap_actions(lua_State *L, int custom, DWORD id, int v2) {
  ca_lpm *p = checkopen(L);
  void *ptr;
  HRESULT hr = ca_pm_interface(p->pm, custom, id, &ptr);
  if (WPF_FAILED(hr) || ptr == NULL) return push_failure(L, hr);
  ca_lactions_push(L, v2 ? NULL : ptr, v2 ? ptr : NULL);
  /* the wrapper holds its own reference; this one came with the call */
  ((IWpfReferencedObject *)ptr)->lpVtbl->Release(ptr);
  return 1;
}

/***
The protocol manager's IPmCustomActions, from
`GetPmInterface(PM_CUSTOM_ACTIONS_ID)`, wrapped by `actions` (shape v1:
`run`).
@function protocol_manager:custom_actions
@treturn[1] actions
@treturn[2] nil
@treturn[2] hresult what GetPmInterface returned
*/
static int m_custom_actions(lua_State *L) {
  return wrap_actions(L, 0, PM_CUSTOM_ACTIONS_ID, 0);
}

/***
The protocol manager's IPmCustomActions2, wrapped by `actions` (shape v2:
`register`, `unregister`, `stream`). The SDK's PM_INTERFACE_ID_ENUM has
no value for it, so it is asked for with `GetCustomInterface(id)`: `id`,
else the `actions2_id` option of `load`, else 2.
@function protocol_manager:custom_actions2
@int[opt] id the custom interface id
@treturn[1] actions
@treturn[2] nil
@treturn[2] hresult what GetCustomInterface returned
*/
static int m_custom_actions2(lua_State *L) {
  ca_lpm *p = checkopen(L);
  DWORD id = p->actions2_id;
  if (!lua_isnoneornil(L, 2)) {
    id = (DWORD)ca_lcheckint(L, 2, 2, "", &ca_range_dword_id);
  }
  return wrap_actions(L, 1, id, 1);
}

static const char *const pm_ids[] = {"PM_LISTENER_CHANNEL_MANAGER_ID",
  "PM_HEALTH_AND_IDLE_MONITOR_ID", "PM_CUSTOM_ACTIONS_ID",
  "PM_APPLICATION_PRELOAD_ID", "PM_IDLE_TIMEOUT_ID", NULL};

/***
A raw interface pointer of the protocol manager, for native code:
`GetPmInterface(id)`, or `GetCustomInterface(id)` when `custom` is true.
The reference that comes with it is kept until `close`, so the pointer
stays valid until then; asking again gives the same pointer.
@function protocol_manager:interface
@tparam int|string id a PM_INTERFACE_ID_ENUM value or name
(`"PM_CUSTOM_ACTIONS_ID"`), or a custom id
@tparam[opt] boolean custom ask GetCustomInterface
@treturn[1] lightuserdata
@treturn[2] nil
@treturn[2] hresult what the call returned
*/
static int m_interface(lua_State *L) {
  ca_lpm *p = checkopen(L);
  int custom = lua_toboolean(L, 3), i;
  DWORD id;
  void *ptr;
  HRESULT hr;
  if (lua_type(L, 2) == LUA_TSTRING && !custom) {
    id = (DWORD)luaL_checkoption(L, 2, NULL, pm_ids) + 1;
  } else {
    id = (DWORD)ca_lcheckint(L, 2, 2, "", &ca_range_dword_id);
  }
  for (i = 0; i < p->ncache; i++)
    if (p->cache[i].id == id && p->cache[i].custom == custom) {
      lua_pushlightuserdata(L, p->cache[i].ptr);
      return 1;
    }
  if (p->ncache == NCACHE)
    return luaL_error(L, "interface: at most %d interfaces are kept",
                      NCACHE);
  hr = ca_pm_interface(p->pm, custom, id, &ptr);
  if (WPF_FAILED(hr) || ptr == NULL) return push_failure(L, hr);
  p->cache[p->ncache].ptr = ptr;
  p->cache[p->ncache].id = id;
  p->cache[p->ncache++].custom = custom;
  lua_pushlightuserdata(L, ptr);
  return 1;
}

/* The monitor, with a reference the caller releases; NULL and *hr. */
static IPmHealthAndIdleMonitor *monitor(ca_lpm *p, HRESULT *hr) {
  void *m;
  *hr = ca_pm_interface(p->pm, 0, PM_HEALTH_AND_IDLE_MONITOR_ID, &m);
  return WPF_FAILED(*hr) ? NULL : m;
}

/***
`CheckHealth` with an IHealthStatusCallback of the module's whose
`ReportHealth(fHealthy)` reaches `cb` as one final report: S_OK for
healthy, S_FALSE for unhealthy (queued when it comes from another
thread). `check_health` waits for it for you.
@function protocol_manager:check_health_async
@tparam callback cb the callback
@treturn hresult what CheckHealth (or GetPmInterface) returned
*/
static int m_check_health_async(lua_State *L) {
  ca_lpm *p = checkopen(L);
  ca_lcallback *cb = ca_lcallback_check(L, 2);
  HRESULT hr;
  IPmHealthAndIdleMonitor *m = monitor(p, &hr);
  if (m != NULL) {
    ca_lcallback_expose(L, 2);
    hr = ca_pm_check_health(m, cb->obj);
    m->lpVtbl->Release(m);
  }
  ca_lhr_push(L, (uint32_t)hr);
  return 1;
}

/***
`CheckIdle` of the protocol manager's IPmHealthAndIdleMonitor.
@function protocol_manager:check_idle
@treturn[1] boolean idle
@treturn[2] nil
@treturn[2] hresult what CheckIdle (or GetPmInterface) returned
*/
static int m_check_idle(lua_State *L) {
  ca_lpm *p = checkopen(L);
  HRESULT hr;
  int idle = 0;
  IPmHealthAndIdleMonitor *m = monitor(p, &hr);
  if (m == NULL) return push_failure(L, hr);
  hr = ca_pm_check_idle(m, &idle);
  m->lpVtbl->Release(m);
  if (WPF_FAILED(hr)) return push_failure(L, hr);
  lua_pushboolean(L, idle);
  return 1;
}

/***
`IProtocolManager::Shutdown`. The object stays open (its log, its
interfaces) until `close`.
@function protocol_manager:shutdown
@tparam[opt=false] boolean immediate fImmediate
@treturn hresult what Shutdown returned
*/
static int m_shutdown(lua_State *L) {
  ca_lpm *p = checkopen(L);
  IProtocolManager *pm = p->pm;
  HRESULT hr;
  p->shut = 1;
  pm->lpVtbl->AddRef(pm);   /* handlers run inside may close us */
  hr = ca_pm_shutdown(pm, lua_toboolean(L, 2));
  pm->lpVtbl->Release(pm);
  ca_lhr_push(L, (uint32_t)hr);
  return 1;
}

static void log_entry(lua_State *L, const ca_fw_entry *e) {
  int fail = strcmp(e->op, "FailWorkerProcess") == 0;
  int refs = strcmp(e->op, "AddRef") == 0 || strcmp(e->op, "Release") == 0;
  lua_createtable(L, 0, 6);
  lua_pushstring(L, e->op);
  lua_setfield(L, -2, "op");
  if (e->what != NULL && !fail) {
    lua_pushstring(L, e->what);
    lua_setfield(L, -2, refs ? "interface" : "what");
  }
  if (e->id >= 0) {
    lua_pushinteger(L, (lua_Integer)e->id);
    lua_setfield(L, -2, "id");
  }
  if (refs) {
    lua_pushinteger(L, (lua_Integer)e->value);
    lua_setfield(L, -2, "refs");
  } else if (strcmp(e->op, "RecycleWorkerProcess") != 0) {
    ca_lhr_push(L, (uint32_t)e->result);
    lua_setfield(L, -2, fail ? "hr" : "result");
  }
  if (fail) {
    lua_pushboolean(L, e->what != NULL);
    lua_setfield(L, -2, "fail_on_next_ping");
  }
  if (e->text != NULL) {
    lua_pushstring(L, e->text);
    lua_setfield(L, -2, "text");
  }
  lua_pushinteger(L, (lua_Integer)e->thread);
  lua_setfield(L, -2, "thread");
  ca_lprintable(L, -1, "framework_call");
}

#define LOGBOX_MT "customaction.fw_log_box"

typedef struct fw_box { ca_fw_entry *e; size_t n; } fw_box;

static int box_gc(lua_State *L) {
  fw_box *b = lua_touserdata(L, 1);
  ca_fw_log_free(b->e, b->n);
  b->e = NULL;
  return 0;
}

/***
Every call the protocol manager made on the framework, in order:
entries `{ op, thread, ... }` with `op` the method's name
(`GetWpfInterface`, `GetStringProperty`, `AddRef`, `FailWorkerProcess`,
...), `what` (the id's enum name), `id`, `result` (the HRESULT returned),
`refs` and `interface` (AddRef, Release), `text` (a reason or an
application id), `hr` and `fail_on_next_ping` (FailWorkerProcess);
`dropped` counts entries beyond `log_limit`.
@function protocol_manager:log
@tparam[opt] boolean clear empty the log afterwards
@treturn table
*/
static int m_log(lua_State *L) {
  ca_lpm *p = luaL_checkudata(L, 1, CA_PM_MT);
  size_t n, dropped, i;
  fw_box *box;
  int clear = lua_toboolean(L, 2);
  luaL_argcheck(L, p->fw != NULL, 1, "protocol manager is closed");
  lua_settop(L, 1);
  box = lua_newuserdatauv(L, sizeof *box, 0);
  box->e = NULL;
  box->n = 0;
  if (luaL_newmetatable(L, LOGBOX_MT)) {
    lua_pushcfunction(L, box_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  box->e = ca_framework_log(p->fw, &n, &dropped, clear);
  if (box->e == NULL) return luaL_error(L, "not enough memory");
  box->n = n;
  lua_createtable(L, (int)n, 1);
  for (i = 0; i < n; i++) {
    log_entry(L, &box->e[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_pushinteger(L, (lua_Integer)dropped);
  lua_setfield(L, -2, "dropped");
  return 1;
}

static int do_close(lua_State *L, int immediate) {
  ca_lpm *p = luaL_checkudata(L, 1, CA_PM_MT);
  IProtocolManager *pm = p->pm;
  if (pm != NULL) {
    /* detach first: handlers run inside Shutdown may close us again */
    p->pm = NULL;
    if (!p->shut) ca_pm_shutdown(pm, immediate);
    p->shut = 1;
    release_all(p);
    pm->lpVtbl->Release(pm);
  }
  drop_framework(p);
  return 0;
}

/***
Shuts the protocol manager down unless `shutdown` did (fImmediate FALSE;
TRUE when the garbage collector or lua_close closes it), releases every
interface and the protocol manager itself, and lets go of the framework.
Also `__close` and `__gc`. The library stays loaded: its threads may
outlive the object.
@function protocol_manager:close
*/
static int m_close(lua_State *L) { return do_close(L, 0); }
static int m_gc(lua_State *L) { return do_close(L, 1); }

static int m_tostring(lua_State *L) {
  ca_lpm *p = luaL_checkudata(L, 1, CA_PM_MT);
  lua_getiuservalue(L, 1, 1);
  lua_pushfstring(L, "customaction.protocol_manager '%s' (%s)",
                  lua_tostring(L, -1), p->pm == NULL ? "closed"
                  : p->shut ? "shut down" : "running");
  return 1;
}

static const luaL_Reg methods[] = {
  {"custom_actions", m_custom_actions},
  {"custom_actions2", m_custom_actions2},
  {"interface", m_interface},
  {"check_health_async", m_check_health_async},
  {"check_idle", m_check_idle},
  {"shutdown", m_shutdown},
  {"log", m_log},
  {"close", m_close},
  {NULL, NULL}
};

static const luaL_Reg metamethods[] = {
  {"__gc", m_gc},
  {"__close", m_close},
  {"__tostring", m_tostring},
  {NULL, NULL}
};

/***
The framework settings `load` takes, by name, with the kind of value each
takes: `"string"`, `"dword"`, `"ulonglong"`, `"boolean"` or `"handle"`
(`ANONYMOUS_USER_TOKEN`). A program that reads settings as text (the
`customaction` command) asks here how to convert them.
@function load_settings
@treturn table name -> kind
@usage ca.load_settings().APP_POOL_NAME  --> string
*/
static int l_load_settings(lua_State *L) {
  static const char *const kinds[CA_SET_NKINDS] = {"string", "dword",
    "ulonglong", "boolean", "handle"};
  int kind, id;
  const char *name;
  lua_newtable(L);
  for (kind = 0; kind < CA_SET_NKINDS; kind++)
    for (id = 0; id < 64; id++)   /* ids are small; unknown ones give NULL */
      if ((name = ca_setting_name(kind, id)) != NULL) {
        lua_pushstring(L, kinds[kind]);
        lua_setfield(L, -2, name);
      }
  return 1;
}

/* Expects the module table on top: adds load, load_settings and
   pm_methods. */
void ca_lpm_open(lua_State *L) {
  luaL_newmetatable(L, CA_PM_MT);
  luaL_setfuncs(L, metamethods, 0);
  luaL_newlib(L, methods);
  lua_pushvalue(L, -1);
  lua_setfield(L, -4, "pm_methods");   /* the facade adds check_health() */
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  lua_pushcfunction(L, l_load);
  lua_setfield(L, -2, "load");
  lua_pushcfunction(L, l_load_settings);
  lua_setfield(L, -2, "load_settings");
}
