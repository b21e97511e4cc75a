/*
** lpm.c: customaction.protocol_manager, a protocol-manager library loaded
** with a worker-process framework of ours (src/core/framework.c) and
** driven through its interfaces (src/core/pmhost.c). Options become C data
** before the library runs (lpmopts.c), so its threads never touch Lua;
** every call into it holds it and our framework (lcall.c's hold); its recycle
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

#include "foreign.h"
#include "framework.h"
#include "hresult.h"
#include "lcommon.h"
#include "platform.h"
#include "pmhost.h"
#include "utf16.h"

#define NCACHE 16

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
** The callback the library's recycle and fail requests reach Lua
** through, made by the facade's hook (pm.lua) from the checked options;
** pushed, or nil when there is nothing to call.
*/
static void push_events(lua_State *L) {
  if (lua_isnil(L, 2) ||
      lua_getfield(L, lua_upvalueindex(1), "events") != LUA_TFUNCTION) {
    if (!lua_isnil(L, 2)) lua_pop(L, 1);
    lua_pushnil(L);
    return;
  }
  lua_pushvalue(L, 2);
  lua_call(L, 1, 1);
}

/*
** Windows opens the path as UTF-16, made from UTF-8: a path that is not
** UTF-8 there is most often one in the ANSI code page, as Lua's own
** functions give it, so the error says what converts it. Elsewhere a
** path is the bytes the system takes.
*/
static void check_utf8_path(lua_State *L, const char *path) {
  size_t units, where;
  int e;
  if (ca_acp() == 0) return;
  e = ca_utf8_measure(path, strlen(path), 0, &units, &where);
  if (e != CA_UTF_OK)
    luaL_argerror(L, 1, lua_pushfstring(L, "path: %s at byte %d (a path "
                  "is UTF-8; ca.ansi.decode converts one in the ANSI code "
                  "page)", ca_utf_error(e), (int)where + 1));
}

/* ca.load(path, opts): documented in the manual, and with `load` below. */
static int l_load(lua_State *L) {
  const char *path, *init;
  char err[512];
  HRESULT hr;
  lua_Integer limit = CA_DEFAULT_PM_LOG_LIMIT;
  int r;
  ca_lpm *p;
  luaL_checkstring(L, 1);
  path = ca_lpm_cstring(L, 1, 1, "path");
  check_utf8_path(L, path);
  lua_settop(L, 2);
  init = ca_lpm_check_options(L, &limit);  /* 3 */
  push_events(L);                          /* 4 */
  p = lua_newuserdatauv(L, sizeof *p, 2);
  memset(p, 0, sizeof *p);
  luaL_setmetatable(L, CA_PM_MT);
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, -2, 1);
  p->actions2_id = CA_DEFAULT_ACTIONS2_ID;
  p->fw = ca_framework_new((size_t)limit);
  if (p->fw == NULL) return luaL_error(L, "not enough memory");
  ca_lpm_read_options(L, p->fw, &p->actions2_id);
  if (!lua_isnil(L, 4)) {
    ca_lcallback *cb = ca_lcallback_check(L, 4);
    ca_lcallback_expose(L, 4);
    ca_framework_set_events(p->fw, cb->obj);
    lua_pushvalue(L, 4);
    lua_setiuservalue(L, -2, 2);
  }
  r = ca_pm_load(path, init, ca_framework_iface(p->fw), &p->pm, &hr, err,
                 sizeof err);
  if (r != CA_PM_OK) {
    drop_framework(p);
    return load_error(L, r, path, init, hr, err);
  }
  ca_lhub_mark_close(L);   /* newer than us: lua_close tells us it began */
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

/*
** Every call into the library goes through enter/leave (lcall.c's hold):
** the library and our framework, which it may call back, live until the
** call returns, however the Lua code it runs (on_fail) closes us. leave
** answers whether the object is still open: when it is not, the caller
** uses and caches nothing the call gave.
*/
static ca_lpm *enter(lua_State *L, ca_lhold *h) {
  ca_lpm *p = checkopen(L);
  ca_lhold_init(h);
  ca_lhold_iface(h, p->pm);
  ca_lhold_add(h, p->fw, ca_framework_hold, ca_framework_unhold);
  return p;
}

static int leave(ca_lpm *p, ca_lhold *h) {
  ca_lhold_drop(h);
  return p->pm != NULL;
}

/* GetPmInterface or GetCustomInterface under the hold; a pointer got by
   an object closed meanwhile is released, and the call answers
   RPC_E_DISCONNECTED. */
static HRESULT get_interface(lua_State *L, ca_lpm **pp, int custom, DWORD id,
                             void **out) {
  ca_lhold h;
  ca_lpm *p = enter(L, &h);
  HRESULT hr = ca_pm_interface(p->pm, custom, id, out);
  if (!leave(p, &h)) {
    if (*out != NULL) ca_ref_release(*out);
    *out = NULL;
    hr = CA_RPC_E_DISCONNECTED;
  }
  *pp = p;
  return hr;
}

static int wrap_actions(lua_State *L, int custom, DWORD id, int shape) {
  ca_lpm *p;
  void *ptr;
  HRESULT hr = get_interface(L, &p, custom, id, &ptr);
  if (WPF_FAILED(hr) || ptr == NULL) return push_failure(L, hr);
  /* the wrapper takes its own reference; this one came with the call (a
     wrapper's allocation that fails must not leak it: released first,
     the wrapper below still holds one) */
  ca_lactions_push(L, shape == 1 ? ptr : NULL, shape == 2 ? ptr : NULL);
  ca_ref_release(ptr);
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
  return wrap_actions(L, 0, PM_CUSTOM_ACTIONS_ID, CA_SHAPE_V1);
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
  return wrap_actions(L, 1, id, CA_SHAPE_V2);
}

static const char *const pm_ids[] = {"PM_LISTENER_CHANNEL_MANAGER_ID",
  "PM_HEALTH_AND_IDLE_MONITOR_ID", "PM_CUSTOM_ACTIONS_ID",
  "PM_APPLICATION_PRELOAD_ID", "PM_IDLE_TIMEOUT_ID", NULL};

/*
** interface()'s argument as an id and a custom flag: a name of the one
** table (lcore.c), a PM_INTERFACE_ID_ENUM name or value, or a custom id
** with custom true. 0 when the answer needs no call (pushed: "pm").
*/
static int interface_id(lua_State *L, ca_lpm *p, DWORD *id, int *custom) {
  const char *s = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : NULL;
  *custom = lua_toboolean(L, 3);
  if (lua_type(L, 2) == LUA_TNUMBER || *custom) {
    *id = (DWORD)ca_lcheckint(L, 2, 2, "", &ca_range_dword_id);
  } else if (s != NULL && strncmp(s, "PM_", 3) == 0) {
    *id = (DWORD)luaL_checkoption(L, 2, NULL, pm_ids) + 1;
  } else {
    switch (ca_linterface_name(L, 2)) {
      case CA_LIFACE_PM: ca_linterface_push(L, p->pm); return 0;
      case CA_LIFACE_V1: *id = PM_CUSTOM_ACTIONS_ID; break;
      case CA_LIFACE_V2: *id = p->actions2_id; *custom = 1; break;
      default: *id = PM_HEALTH_AND_IDLE_MONITOR_ID;
    }
  }
  return 1;
}

/***
An interface pointer of the protocol manager, for native code: the one
meaning of `interface` (`"v1"`, `"v2"` (default), `"pm"`, `"monitor"`;
docs/manual.md), or, beyond it, `GetPmInterface(id)` for a
PM_INTERFACE_ID_ENUM value or name, or `GetCustomInterface(id)` when
`custom` is true. The reference that comes with it is kept until `close`,
so the pointer stays valid until then; asking again gives the same
pointer. A library that closes this object from inside the call (an
`on_fail` that calls `close`) gets nothing cached: nil and
RPC_E_DISCONNECTED.
@function protocol_manager:interface
@tparam[opt="v2"] int|string id `"v1"`, `"v2"`, `"pm"`, `"monitor"`, a
PM_INTERFACE_ID_ENUM value or name (`"PM_CUSTOM_ACTIONS_ID"`), or a
custom id
@tparam[opt] boolean custom ask GetCustomInterface
@treturn[1] lightuserdata
@treturn[2] nil
@treturn[2] hresult what the call returned
*/
static int m_interface(lua_State *L) {
  ca_lpm *p = checkopen(L);
  int custom, i;
  DWORD id;
  void *ptr;
  HRESULT hr;
  if (!interface_id(L, p, &id, &custom)) return 1;
  for (i = 0; i < p->ncache; i++)
    if (p->cache[i].id == id && p->cache[i].custom == custom) {
      lua_pushlightuserdata(L, p->cache[i].ptr);
      return 1;
    }
  if (p->ncache == NCACHE)
    return luaL_error(L, "interface: at most %d interfaces are kept",
                      NCACHE);
  hr = get_interface(L, &p, custom, id, &ptr);
  if (WPF_FAILED(hr) || ptr == NULL) return push_failure(L, hr);
  p->cache[p->ncache].ptr = ptr;
  p->cache[p->ncache].id = id;
  p->cache[p->ncache++].custom = custom;
  lua_pushlightuserdata(L, ptr);
  return 1;
}

/* The monitor, with a reference the caller releases; NULL and *hr. */
static IPmHealthAndIdleMonitor *monitor(lua_State *L, ca_lpm **pp,
                                        HRESULT *hr) {
  void *m;
  *hr = get_interface(L, pp, 0, PM_HEALTH_AND_IDLE_MONITOR_ID, &m);
  return WPF_FAILED(*hr) ? NULL : m;
}

/***
`CheckHealth` with an IHealthStatusCallback of the module's whose
`ReportHealth(fHealthy)` reaches `cb` as one final report: S_OK for
healthy, S_FALSE for unhealthy (queued when it comes from another
thread). `check_health` waits for it for you.
@function protocol_manager:check_health_async
@tparam callback|function cb the callback (a function is
wrapped)
@treturn hresult what CheckHealth (or GetPmInterface) returned
*/
static int m_check_health_async(lua_State *L) {
  ca_lpm *p;
  ca_lcbuse cb;
  HRESULT hr;
  IPmHealthAndIdleMonitor *m;
  checkopen(L);
  ca_lcallback_use(L, 2, &cb);   /* nothing below raises before unuse */
  m = monitor(L, &p, &hr);
  if (m != NULL) {
    ca_lhold h;
    enter(L, &h);
    ca_lhold_iface(&h, m);
    hr = ca_pm_check_health(m, cb.obj);
    ca_lhold_drop(&h);
    ca_ref_release(m);
  }
  ca_lcallback_unuse(L, &cb);
  ca_lhr_push_s(L, cb.s, (uint32_t)hr);
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
  ca_lpm *p;
  HRESULT hr;
  int idle = 0;
  IPmHealthAndIdleMonitor *m = monitor(L, &p, &hr);
  if (m == NULL) return push_failure(L, hr);
  {
    ca_lhold h;
    enter(L, &h);
    ca_lhold_iface(&h, m);
    hr = ca_pm_check_idle(m, &idle);
    ca_lhold_drop(&h);
  }
  ca_ref_release(m);
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
  ca_lhold h;
  ca_lpm *p = enter(L, &h);   /* handlers run inside may close us */
  HRESULT hr;
  p->shut = 1;
  hr = ca_pm_shutdown(p->pm, lua_toboolean(L, 2));
  leave(p, &h);
  ca_lhr_push(L, (uint32_t)hr);
  return 1;
}

static void log_entry(lua_State *L, const ca_log_entry *e) {
  int fail = e->op == CA_FW_FAIL;
  int refs = e->op == CA_FW_ADDREF || e->op == CA_FW_RELEASE;
  lua_createtable(L, 0, 6);
  lua_pushstring(L, ca_fw_op_names[e->op]);
  lua_setfield(L, -2, "op");
  if (e->what != NULL) {
    lua_pushstring(L, e->what);
    lua_setfield(L, -2, refs ? "interface" : "what");
  }
  if (e->id >= 0) {
    lua_pushinteger(L, (lua_Integer)e->id);
    lua_setfield(L, -2, "id");
  }
  if (refs) {
    lua_pushinteger(L, (lua_Integer)e->result);
    lua_setfield(L, -2, "refs");
  } else if (e->op != CA_FW_RECYCLE) {
    ca_lhr_push(L, (uint32_t)e->result);
    lua_setfield(L, -2, fail ? "hr" : "result");
  }
  if (fail) {
    lua_pushboolean(L, e->final);
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
  size_t n, dropped;
  ca_llog *box;
  int clear = lua_toboolean(L, 2);
  luaL_argcheck(L, p->fw != NULL, 1, "protocol manager is closed");
  lua_settop(L, 1);
  box = ca_llog_box(L);
  box->e = ca_framework_log(p->fw, &n, &dropped, clear);
  if (box->e == NULL) return luaL_error(L, "not enough memory");
  box->n = n;
  ca_llog_push(L, box, dropped, log_entry, "customaction.framework_log");
  return 1;
}

/*
** Inside lua_close no Lua may run for the library: what a handler made
** there would never be finalized. So once the close marker has run, the
** requests the library makes (even inside Shutdown) are only logged.
*/
static int do_close(lua_State *L, int immediate) {
  ca_lpm *p = luaL_checkudata(L, 1, CA_PM_MT);
  IProtocolManager *pm = p->pm;
  ca_lstate *s = ca_lstate_get(L);
  if (p->fw != NULL && (s == NULL || s->closing)) ca_framework_detach(p->fw);
  if (pm != NULL) {
    ca_lhold h;
    /* detach first: handlers run inside Shutdown may close us again; the
       reference kept in pm, and the hold on our framework, last until the
       call returns */
    p->pm = NULL;
    ca_lhold_init(&h);
    ca_lhold_add(&h, p->fw, ca_framework_hold, ca_framework_unhold);
    if (!p->shut) ca_pm_shutdown(pm, immediate);
    ca_lhold_drop(&h);
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
  /* the facade adds check_health() to pm_methods */
  ca_ltype(L, CA_PM_MT, metamethods, methods, "pm_methods");
  /* the facade's hooks (pm.lua: events), an upvalue of load so that it
     needs no Lua wrapper, whose line an error would name */
  lua_newtable(L);
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, "pm_hooks");
  lua_pushcclosure(L, l_load, 1);
  lua_setfield(L, -2, "load");
  lua_pushcfunction(L, l_load_settings);
  lua_setfield(L, -2, "load_settings");
}
