/*
** lprovider.c: customaction.provider, a protocol manager whose actions are
** Lua functions, and customaction.reply, the handle an action answers
** through. The native object (src/core/provider.c) decides everything a
** native caller must hear at once; what runs Lua happens here, on the
** state's main thread, inside one protected call per request, and every
** user function (action, hook, on_cancel) runs in a nested protected call
** with a traceback whose error goes to on_error. The proxy's user value is
** a table: actions, health, idle, shutdown, on_error, and replies (weak
** values: request pointer -> reply), through which unregistering finds
** the reply to cancel.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdio.h>
#include <string.h>

#include "hresult.h"
#include "lcommon.h"
#include "provider.h"


/* A request on its way through the protected call. */
/* The registry's weak table: provider object -> its proxy. */
static const char providers_key = 'P';

typedef struct run_ctx {
  ca_provider *p;
  ca_preq *r;
  HRESULT hr;
} run_ctx;

static ca_lprovider *checkprovider(lua_State *L, int arg) {
  ca_lprovider *lp = luaL_checkudata(L, arg, CA_PROVIDER_MT);
  if (lp->obj == NULL) luaL_argerror(L, arg, "provider is closed");
  return lp;
}

#define getopt ca_lprovider_field

int ca_lprovider_field(lua_State *L, int proxy, const char *k) {
  lua_getiuservalue(L, proxy, 1);
  lua_getfield(L, -1, k);
  lua_remove(L, -2);
  return lua_type(L, -1);
}

/*
** Protected: 1 message, 2 proxy. on_error(message, provider), itself
** protected, or stderr.
*/
static int route_error(lua_State *L) {
  ca_lprovider *lp = lua_touserdata(L, 2);
  const char *name = lp->obj != NULL ? lp->obj->name : "(closed)";
  if (getopt(L, 2, "on_error") != LUA_TNIL) {
    lua_pushcfunction(L, ca_lmsgh);
    lua_insert(L, -2);
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    if (lua_pcall(L, 2, 0, -4) == LUA_OK) return 0;
    fprintf(stderr, "customaction: on_error of provider '%s' raised: %s\n"
            "  while handling: %s\n", name, lua_tostring(L, -1),
            lua_tostring(L, 1));
  } else {
    fprintf(stderr, "customaction: provider '%s': %s\n", name,
            lua_tostring(L, 1));
  }
  fflush(stderr);
  return 0;
}

/*
** Calls the function below its nargs arguments with a traceback; an error
** goes to on_error. Returns 1 with nres results pushed, or 0 with none.
*/
static int pcall_user(lua_State *L, int proxy, int nargs, int nres,
                      ca_provider *p) {
  int fn = lua_gettop(L) - nargs;
  lua_pushcfunction(L, ca_lmsgh);
  lua_insert(L, fn);
  if (lua_pcall(L, nargs, nres, fn) == LUA_OK) {
    lua_remove(L, fn);
    return 1;
  }
  atomic_fetch_add(&p->stats.errors, 1);
  if (lua_type(L, -1) != LUA_TSTRING) {
    lua_pushliteral(L, "(error object is not a string)");
    lua_replace(L, -2);
  }
  lua_pushcfunction(L, route_error);
  lua_insert(L, -2);
  lua_pushvalue(L, proxy);
  if (lua_pcall(L, 2, 0, 0) != LUA_OK) lua_pop(L, 1);
  lua_settop(L, fn - 1);
  return 0;
}

/* ---- requests, on the owning thread ------------------------------------- */

/* RUN and REGISTER: fn(args, reply) for the action of that name. */
static void run_action(lua_State *L, int proxy, run_ctx *c) {
  ca_preq *r = c->r;
  if (r->done) return;
  if (atomic_load(&r->cancelled)) {   /* unregistered before it ran */
    ca_preq_report(c->p, r, CA_E_ABORT, 1, (const BYTE *)"", 0);
    return;
  }
  getopt(L, proxy, "actions");
  lua_getfield(L, -1, r->name);
  lua_remove(L, -2);
  if (lua_isnil(L, -1)) {   /* undefined after the call was accepted */
    lua_pop(L, 1);
    ca_preq_report(c->p, r, CA_E_NOTIMPL, 1, NULL, 0);
    return;
  }
  if (r->args != NULL) lua_pushlstring(L, r->args, r->args_len);
  else lua_pushnil(L);
  ca_lreply_push(L, proxy, c->p, r);
  if (!pcall_user(L, proxy, 2, 0, c->p) && !r->done)
    ca_preq_report(c->p, r, CA_DISP_E_EXCEPTION, 1, NULL, 0);
}

/* One registration ends: its reply's on_cancel, then a final E_ABORT. */
static void cancel_one(lua_State *L, int proxy, ca_provider *p, ca_preq *t) {
  if (t->done) return;
  getopt(L, proxy, "replies");
  if (lua_rawgetp(L, -1, t) == LUA_TUSERDATA) {
    lua_getiuservalue(L, -1, 1);
    if (lua_getfield(L, -1, "on_cancel") != LUA_TNIL) {
      lua_pushvalue(L, -3);
      pcall_user(L, proxy, 1, 0, p);
    } else {
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 2);
  ca_preq_report(p, t, CA_E_ABORT, 1, (const BYTE *)"", 0);
}

static void run_hooks(lua_State *L, int proxy, run_ctx *c) {
  ca_preq *r = c->r;
  int i, ok, v;
  switch (r->kind) {
    case CA_PREQ_HEALTH:
      v = 1;
      if (getopt(L, proxy, "health") == LUA_TNIL) lua_pop(L, 1);
      else if ((ok = pcall_user(L, proxy, 0, 1, c->p)) != 0)
        v = lua_isnil(L, -1) || lua_toboolean(L, -1);
      else
        v = 0;
      lua_settop(L, proxy);
      ca_preq_health(r, v);
      break;
    case CA_PREQ_IDLE:
      v = 0;
      ok = 1;
      if (getopt(L, proxy, "idle") == LUA_TNIL) lua_pop(L, 1);
      else if ((ok = pcall_user(L, proxy, 0, 1, c->p)) != 0)
        v = lua_toboolean(L, -1);
      lua_settop(L, proxy);
      ca_preq_answer_idle(c->p, r, ok ? CA_S_OK : CA_DISP_E_EXCEPTION, v);
      break;
    default:   /* CANCEL, SHUTDOWN */
      for (i = 0; i < r->ntargets; i++)
        cancel_one(L, proxy, c->p, r->targets[i]);
      if (r->kind == CA_PREQ_SHUTDOWN &&
          getopt(L, proxy, "shutdown") != LUA_TNIL) {
        lua_pushboolean(L, r->flag);
        pcall_user(L, proxy, 1, 0, c->p);
      }
      lua_settop(L, proxy);
  }
}

/* The protected part of a request: 1 the context. */
static int trampoline(lua_State *L) {
  run_ctx *c = lua_touserdata(L, 1);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &providers_key);
  if (lua_rawgetp(L, -1, c->p) != LUA_TUSERDATA) {
    ca_preq_end(c->p, c->r, CA_RPC_E_DISCONNECTED);
    return 0;
  }
  if (c->r->kind == CA_PREQ_RUN || c->r->kind == CA_PREQ_REGISTER) {
    run_action(L, 3, c);
    if (c->r->kind == CA_PREQ_RUN && c->r->answered) c->hr = c->r->last;
  } else {
    run_hooks(L, 3, c);
  }
  return 0;
}

/* The provider's run function: what the native call returns. */
static HRESULT run(ca_provider *p, ca_preq *r) {
  ca_lstate *s = p->binding;
  lua_State *L = s->L;
  run_ctx c;
  int base, rc;
  c.p = p;
  c.r = r;
  c.hr = CA_S_OK;
  if (!lua_checkstack(L, 3)) {
    ca_preq_end(p, r, CA_E_OUTOFMEMORY);
    return CA_E_OUTOFMEMORY;
  }
  base = lua_gettop(L);
  lua_pushcfunction(L, trampoline);
  lua_pushlightuserdata(L, &c);
  rc = lua_pcall(L, 1, 0, 0);
  lua_settop(L, base);
  if (rc != LUA_OK) {   /* only memory errors reach here */
    c.hr = CA_E_OUTOFMEMORY;
    if (!r->done) ca_preq_end(p, r, c.hr);
  }
  return c.hr;
}

/* ---- the provider ------------------------------------------------------- */

static const char *const option_names[] = {
  "actions", "health", "idle", "shutdown", "name", "on_error",
  "idle_wait_ms", NULL
};

static void check_function(lua_State *L, int opts, const char *k) {
  int t = lua_getfield(L, opts, k);
  if (t != LUA_TNIL && t != LUA_TFUNCTION)
    luaL_argerror(L, opts, lua_pushfstring(L, "option '%s' must be a "
                  "function", k));
  lua_pop(L, 1);
}

static void check_options(lua_State *L, int opts) {
  lua_pushnil(L);
  while (lua_next(L, opts)) {
    int i, known = 0;
    if (lua_type(L, -2) == LUA_TSTRING)
      for (i = 0; option_names[i]; i++)
        if (strcmp(lua_tostring(L, -2), option_names[i]) == 0) known = 1;
    if (!known)
      luaL_argerror(L, opts, lua_pushfstring(L, "unknown option '%s' "
                    "(expected actions, health, idle, shutdown, name, "
                    "on_error, idle_wait_ms)", luaL_tolstring(L, -2, NULL)));
    lua_pop(L, 1);
  }
  check_function(L, opts, "health");
  check_function(L, opts, "idle");
  check_function(L, opts, "shutdown");
  check_function(L, opts, "on_error");
}

/* Pushes a copy of opts.actions and a block of their names (*names). */
static int copy_actions(lua_State *L, int opts, const char ***names) {
  int n = 0, t = lua_getfield(L, opts, "actions");
  const char **v;
  lua_newtable(L);
  if (t != LUA_TNIL && t != LUA_TTABLE)
    luaL_argerror(L, opts, "option 'actions' must be a table of functions");
  if (t == LUA_TTABLE) lua_pushnil(L);   /* no table: nothing to copy */
  while (t == LUA_TTABLE && lua_next(L, -3)) {
    if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TFUNCTION)
      luaL_argerror(L, opts, lua_pushfstring(L, "action '%s' must be a "
                    "function named by a string (got a %s)",
                    luaL_tolstring(L, -2, NULL), luaL_typename(L, -2)));
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -4);
    n++;
  }
  lua_remove(L, -2);
  v = lua_newuserdatauv(L, sizeof *v * (size_t)(n ? n : 1), 0);
  n = 0;
  lua_pushnil(L);
  while (lua_next(L, -3)) {
    v[n++] = lua_tostring(L, -2);
    lua_pop(L, 1);
  }
  *names = v;   /* valid while the copy, just below, holds the strings */
  return n;
}

static int64_t idle_wait(lua_State *L, int opts) {
  static const ca_intrange range = {"idle_wait_ms", 0, 86400000};
  int64_t ms = 1000;
  if (lua_getfield(L, opts, "idle_wait_ms") != LUA_TNIL)
    ms = ca_lcheckint(L, -1, opts, "option ", &range);
  lua_pop(L, 1);
  return ms;
}

/* Builds the proxy's table on top: actions, hooks, replies. */
static void make_table(lua_State *L, int opts, int actions) {
  static const char *const hooks[] = {"health", "idle", "shutdown",
                                      "on_error"};
  int i;
  lua_createtable(L, 0, 6);
  lua_pushvalue(L, actions);
  lua_setfield(L, -2, "actions");
  for (i = 0; i < 4; i++) {
    lua_getfield(L, opts, hooks[i]);
    lua_setfield(L, -2, hooks[i]);
  }
  lua_newtable(L);
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "v");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_setfield(L, -2, "replies");
}

/***
Protocol managers written in Lua.
@module customaction
*/

/***
Providers.
@section providers
*/

/***
Makes a protocol manager whose custom actions are Lua functions. It exposes
IProtocolManager, IPmCustomActions, IPmCustomActions2 and
IPmHealthAndIdleMonitor to native callers. An action `fn(args, reply)`
runs on this state's main thread with the argument as a UTF-8 string (nil
for a NULL argument) and answers through `reply`, at once or later. A call
made on this thread runs the action inside the call (RunCustomAction then
returns what the action's ReportResult returned, as IIS's own protocol
manager does); a call from another thread is queued, answered S_OK, and
runs at `dispatch`, `wait` or when `fd` is readable. Unknown names get
E_NOTIMPL, a second registration of a name
HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS), unregistering a name not
registered HRESULT_FROM_WIN32(ERROR_NOT_FOUND), any call after `close`,
collection or Shutdown RPC_E_DISCONNECTED. An action that raises ends its
operation with a final DISP_E_EXCEPTION report; the error goes to
`on_error` (default: stderr).
@function provider
@tparam table opts `actions` (name -> `function(args, reply)`), `health`
(`function()` returning false when unhealthy), `idle` (`function()`
returning true when idle), `shutdown` (`function(immediate)`), `name`
(string), `on_error` (`function(message, provider)`), `idle_wait_ms`
(how long CheckIdle from another thread waits for this thread, default
1000, then HRESULT_FROM_WIN32(ERROR_TIMEOUT)). Unknown keys are an error.
@treturn provider
@usage local pm = ca.provider{ actions = {
  Echo = function(args, reply) reply:finish(ca.S_OK, args) end,
} }
*/
static int l_provider(lua_State *L) {
  ca_lstate *s = ca_lstate_get(L);
  const char *name = "provider";
  const char **names;
  ca_lprovider *lp;
  int n;
  int64_t wait_ms;
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  check_options(L, 1);
  if (lua_getfield(L, 1, "name") != LUA_TNIL) {
    if (lua_type(L, -1) != LUA_TSTRING)
      luaL_argerror(L, 1, "option 'name' must be a string");
    name = lua_tostring(L, -1);
  }
  wait_ms = idle_wait(L, 1);
  n = copy_actions(L, 1, &names);          /* 3 actions, 4 names */
  make_table(L, 1, 3);                     /* 5 */
  lp = lua_newuserdatauv(L, sizeof *lp, 1);
  lp->obj = NULL;
  luaL_setmetatable(L, CA_PROVIDER_MT);
  lua_insert(L, -2);
  lua_setiuservalue(L, -2, 1);
  lp->obj = ca_provider_new(s->hub, name, names, n, run, s);
  if (lp->obj == NULL) return luaL_error(L, "not enough memory");
  lp->obj->idle_wait_ms = wait_ms;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &providers_key);
  lua_pushvalue(L, -2);
  lua_rawsetp(L, -2, lp->obj);
  lua_pop(L, 1);
  return 1;
}

/***
A protocol manager implemented in Lua (`customaction.provider`). All its
interface pointers share one reference count; the proxy holds one
reference until it is closed or collected. Keep the proxy reachable while
native code uses it: once it is collected, native calls get
RPC_E_DISCONNECTED.
@type provider
*/

/***
An interface pointer to hand to native code (borrowed: AddRef it to keep it).
@function provider:interface
@tparam[opt="pm"] string kind `"pm"` (IProtocolManager), `"v1"`
(IPmCustomActions), `"v2"` (IPmCustomActions2) or `"monitor"`
(IPmHealthAndIdleMonitor)
@treturn lightuserdata
*/
static int pv_interface(lua_State *L) {
  static const char *const kinds[] = {"pm", "v1", "v2", "monitor", NULL};
  ca_lprovider *lp = checkprovider(L, 1);
  void *ptr;
  switch (luaL_checkoption(L, 2, "pm", kinds)) {
    case 0: ptr = ca_provider_pm(lp->obj); break;
    case 1: ptr = ca_provider_v1(lp->obj); break;
    case 2: ptr = ca_provider_v2(lp->obj); break;
    default: ptr = ca_provider_monitor(lp->obj);
  }
  lua_pushlightuserdata(L, ptr);
  return 1;
}

/***
Adds, replaces or (with nil) removes an action.
@function provider:define
@string name the action name
@tparam ?function fn `function(args, reply)`, or nil to remove
*/
static int pv_define(lua_State *L) {
  ca_lprovider *lp = checkprovider(L, 1);
  const char *name = luaL_checkstring(L, 2);
  if (!lua_isnil(L, 3)) luaL_checktype(L, 3, LUA_TFUNCTION);
  lua_settop(L, 3);
  getopt(L, 1, "actions");
  lua_pushvalue(L, 2);
  lua_pushvalue(L, 3);
  lua_rawset(L, -3);
  if (ca_provider_define(lp->obj, name, !lua_isnil(L, 3)) != 0)
    return luaL_error(L, "not enough memory");
  return 0;
}

/***
Is an action registered (by a native caller, and not yet ended)?
@function provider:active
@string name the action name
@treturn boolean
*/
static int pv_active(lua_State *L) {
  ca_lprovider *lp = checkprovider(L, 1);
  const char *name = luaL_checkstring(L, 2);
  ca_preq *r;
  int found = 0;
  ca_mutex_lock(&lp->obj->lock);
  for (r = lp->obj->regs; r != NULL; r = r->tnext)
    if (strcmp(r->name, name) == 0) found = 1;
  ca_mutex_unlock(&lp->obj->lock);
  lua_pushboolean(L, found);
  return 1;
}

static void setcount(lua_State *L, const char *k, atomic_uint_least64_t *v) {
  lua_pushinteger(L, (lua_Integer)atomic_load(v));
  lua_setfield(L, -2, k);
}

/***
The provider's counters.
@function provider:stats
@treturn table `{ name, refs, calls, queued, reports, cancelled, errors,
refused = { closed, null_pointer, invalid, unknown, duplicate, not_found,
queue, timeout, no_memory } }`
*/
static int pv_stats(lua_State *L) {
  ca_provider *p = checkprovider(L, 1)->obj;
  int i;
  lua_createtable(L, 0, 8);
  lua_pushstring(L, p->name);
  lua_setfield(L, -2, "name");
  lua_pushinteger(L, (lua_Integer)atomic_load(&p->refs));
  lua_setfield(L, -2, "refs");
  setcount(L, "calls", &p->stats.calls);
  setcount(L, "queued", &p->stats.queued);
  setcount(L, "reports", &p->stats.reports);
  setcount(L, "cancelled", &p->stats.cancelled);
  setcount(L, "errors", &p->stats.errors);
  lua_createtable(L, 0, CA_NPREFUSALS);
  for (i = 0; i < CA_NPREFUSALS; i++)
    setcount(L, ca_prefusal_names[i], &p->stats.refused[i]);
  lua_setfield(L, -2, "refused");
  return 1;
}

/* Protected (it allocates): 1 proxy, 2 the object. Ends open replies. */
static int end_replies(lua_State *L) {
  ca_provider *p = lua_touserdata(L, 2);
  int i, n = 0;
  lua_settop(L, 2);
  getopt(L, 1, "replies");              /* 3 */
  lua_newtable(L);                      /* 4: a copy; ending may re-enter */
  lua_pushnil(L);
  while (lua_next(L, 3)) lua_rawseti(L, 4, ++n);
  for (i = 1; i <= n; i++) {
    ca_lreply *rp;
    lua_rawgeti(L, 4, i);
    rp = lua_touserdata(L, -1);
    if (rp->r != NULL && !rp->r->done)
      ca_preq_report(p, rp->r, CA_RPC_E_DISCONNECTED, 1, NULL, 0);
    lua_pop(L, 1);
  }
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &providers_key) == LUA_TTABLE) {
    lua_pushnil(L);
    lua_rawsetp(L, -2, p);
  }
  return 0;
}

/***
Closes the provider: native calls get RPC_E_DISCONNECTED from then on, and
every operation still open (queued, or a reply not yet finished) gets one
final RPC_E_DISCONNECTED report. Closing twice does nothing. Also
`__close` and `__gc`.
@function provider:close
*/
static int pv_close(lua_State *L) {
  ca_lprovider *lp = luaL_checkudata(L, 1, CA_PROVIDER_MT);
  ca_provider *p = lp->obj;
  if (p == NULL) return 0;
  lp->obj = NULL;
  ca_provider_disconnect(p);
  /* out of memory, the replies end when they are collected instead */
  lua_pushcfunction(L, end_replies);
  lua_pushvalue(L, 1);
  lua_pushlightuserdata(L, p);
  if (lua_pcall(L, 2, 0, 0) != LUA_OK) lua_pop(L, 1);
  ca_provider_release(p);
  return 0;
}

static int pv_tostring(lua_State *L) {
  ca_lprovider *lp = luaL_checkudata(L, 1, CA_PROVIDER_MT);
  if (lp->obj == NULL)
    lua_pushliteral(L, "customaction.provider (closed)");
  else
    lua_pushfstring(L, "customaction.provider '%s' (refs %d, calls %d): %p",
                    lp->obj->name, (int)atomic_load(&lp->obj->refs),
                    (int)atomic_load(&lp->obj->stats.calls),
                    (void *)lp->obj);
  return 1;
}


/***
The caller's side, through the provider's own vtables exactly as native
code calls them, so that a provider answers the methods the simulated
issuer answers (and `stream` works on it). Made on this thread, each call
runs the action at once.
@section provider_calls
*/

static int call_start(lua_State *L, int shape) {
  ca_provider *p = checkprovider(L, 1)->obj;
  WCHAR *name = ca_lutf16_check_wide(L, 2, 0);
  WCHAR *args = ca_lutf16_check_wide(L, 3, 1);
  ca_lcallback *cb = ca_lcallback_check(L, 4);
  HRESULT hr;
  ca_lcallback_expose(L, 4);
  ca_provider_addref(p);   /* the caller's reference: an action may close */
  if (shape == 1) {
    IPmCustomActions *pm = ca_provider_v1(p);
    hr = pm->lpVtbl->RunCustomAction(pm, name, args, ca_callback_v1(cb->obj));
  } else {
    IPmCustomActions2 *pm = ca_provider_v2(p);
    hr = pm->lpVtbl->RegisterCustomActionCallback(pm, name, args,
                                                  ca_callback_v2(cb->obj));
  }
  ca_provider_release(p);
  ca_lhr_push(L, (uint32_t)hr);
  return 1;
}

/***
RunCustomAction with the callback's v1 pointer.
@function provider:run
@string name the action name
@tparam ?string args the action argument
@tparam callback cb the callback
@treturn hresult what the action's ReportResult returned when it answered
inside the call, else S_OK; E_NOTIMPL for an unknown name
*/
static int pv_run(lua_State *L) { return call_start(L, 1); }

/***
RegisterCustomActionCallback with the callback's v2 pointer.
@function provider:register
@string name the action name
@tparam ?string args the action argument
@tparam callback cb the callback
@treturn hresult S_OK, E_NOTIMPL for an unknown name,
HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS) for a registered one
*/
static int pv_register(lua_State *L) { return call_start(L, 2); }

/***
UnregisterCustomActionCallback: the reply is cancelled (its on_cancel
runs) and one final E_ABORT goes to the callback.
@function provider:unregister
@string name the action name
@treturn hresult S_OK, or HRESULT_FROM_WIN32(ERROR_NOT_FOUND)
*/
static int pv_unregister(lua_State *L) {
  ca_provider *p = checkprovider(L, 1)->obj;
  WCHAR *name = ca_lutf16_check_wide(L, 2, 0);
  IPmCustomActions2 *pm = ca_provider_v2(p);
  HRESULT hr;
  ca_provider_addref(p);
  hr = pm->lpVtbl->UnregisterCustomActionCallback(pm, name);
  ca_provider_release(p);
  ca_lhr_push(L, (uint32_t)hr);
  return 1;
}

/***
Always false: a provider answers in real time (for `stream`).
@function provider:is_virtual
@treturn boolean
*/
static int pv_is_virtual(lua_State *L) {
  checkprovider(L, 1);
  lua_pushboolean(L, 0);
  return 1;
}

static const luaL_Reg methods[] = {
  {"interface", pv_interface},
  {"define", pv_define},
  {"active", pv_active},
  {"stats", pv_stats},
  {"close", pv_close},
  {"run", pv_run},
  {"register", pv_register},
  {"unregister", pv_unregister},
  {"is_virtual", pv_is_virtual},
  {NULL, NULL}
};

static const luaL_Reg metamethods[] = {
  {"__gc", pv_close},
  {"__close", pv_close},
  {"__tostring", pv_tostring},
  {NULL, NULL}
};

/* Expects the module table on top: adds provider and provider_methods. */
void ca_lprovider_open(lua_State *L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &providers_key) != LUA_TTABLE) {
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "v");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &providers_key);
  }
  lua_pop(L, 1);
  luaL_newmetatable(L, CA_PROVIDER_MT);
  luaL_setfuncs(L, metamethods, 0);
  luaL_newlib(L, methods);
  lua_pushvalue(L, -1);
  lua_setfield(L, -4, "provider_methods");  /* the facade adds stream() */
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  ca_lreply_open(L);
  lua_pushcfunction(L, l_provider);
  lua_setfield(L, -2, "provider");
}
