/*
** lprovider.c: customaction.provider, a protocol manager whose actions are
** Lua functions, and customaction.reply, the handle an action answers
** through. The native object (src/core/provider.c) decides everything a
** native caller must hear at once; what runs Lua happens here, on the
** state's main thread, inside one protected call per request with a
** traceback handler; an action runs directly in it, every other user
** function (hook, on_cancel) in a nested protected call, and each one's
** error goes to on_error. The proxy's first user value is a table:
** actions, health, idle, shutdown, on_error, and replies (weak values:
** request pointer -> reply), through which unregistering finds the reply
** to cancel; its second is the actions table again, for a request.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdio.h>
#include <string.h>

#include "hresult.h"
#include "lcommon.h"
#include "provider.h"
#include "utf16.h"


/* A request on its way through the protected call. */
/* The registry's weak table: provider object -> its proxy. */
static const char providers_key = 'P';

typedef struct run_ctx {
  ca_provider *p;
  ca_preq *r;
  HRESULT hr;
  int in_action;   /* an error now is the action's own */
  int light;       /* its action got a light reply (lreply.c) */
} run_ctx;

/* The trampoline's upvalues (ca_lprovider_open). */
enum { UP_PROVIDERS = 1, UP_REPLY_MT, UP_LIGHT_MT, NUP = UP_LIGHT_MT };

static ca_lprovider *checkprovider(lua_State *L, int arg) {
  ca_lprovider *lp = luaL_checkudata(L, arg, CA_PROVIDER_MT);
  if (lp->obj == NULL) luaL_argerror(L, arg, "provider is closed");
  return lp;
}


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
  const char *name = lp->obj != NULL ? ca_provider_name(lp->obj) : "(closed)";
  int on_error = ca_lprovider_field(L, 2, "on_error") != LUA_TNIL ? lua_gettop(L) : 0;
  ca_lroute_error(L, 1, on_error, 2, "provider", name);
  return 0;
}

/*
** Calls the function below its nargs arguments with a traceback; an error
** goes to on_error. Returns 1 with nres results pushed, or 0 with none.
*/
static int pcall_user(lua_State *L, int proxy, int nargs, int nres,
                      ca_provider *p) {
  int fn = lua_gettop(L) - nargs;
  if (ca_lpcall(L, nargs, nres) == LUA_OK) return 1;
  ca_provider_count_error(p);
  lua_pushcfunction(L, route_error);
  lua_insert(L, -2);
  lua_pushvalue(L, proxy);
  if (lua_pcall(L, 2, 0, 0) != LUA_OK) lua_pop(L, 1);
  lua_settop(L, fn - 1);
  return 0;
}

/* ---- requests, on the owning thread ------------------------------------- */

/*
** A RUN request's reply still open when its action returns: listed for
** closing to find, or, when the action closed its provider, ended now
** as closing ends every open reply.
*/
static void keep_open(lua_State *L, int proxy, int reply, run_ctx *c) {
  if (((ca_lprovider *)lua_touserdata(L, proxy))->obj == NULL)
    ca_preq_report(c->p, c->r, CA_RPC_E_DISCONNECTED, 1, NULL, 0);
  else
    ca_lreply_list(L, proxy, reply, c->r);
}

/*
** RUN and REGISTER: fn(args, reply) for the action of that name, called
** inside the request's own protected call (run) rather than a nested one:
** its error unwinds to run, which routes it. A registration's reply is
** listed first (unregistering may cancel it while the action runs). A
** RUN reply is light (lreply.c) unless a request made from inside
** another's action has one already; one its action leaves open is
** promoted and listed.
*/
static void run_action(lua_State *L, int proxy, run_ctx *c) {
  ca_preq *r = c->r;
  ca_lstate *s = ca_provider_binding(c->p);
  size_t len;
  const char *args;
  int fn;
  if (ca_preq_done(r)) return;
  if (ca_preq_cancelled(r)) {   /* unregistered before it ran */
    ca_preq_report(c->p, r, CA_E_ABORT, 1, (const BYTE *)"", 0);
    return;
  }
  lua_getiuservalue(L, proxy, 2);   /* the actions table */
  if (lua_getfield(L, -1, ca_preq_name(r)) == LUA_TNIL) {
    lua_pop(L, 2);   /* undefined since the call was accepted */
    ca_preq_report(c->p, r, CA_E_NOTIMPL, 1, NULL, 0);
    return;
  }
  fn = lua_gettop(L);   /* fn - 1 the actions */
  args = ca_preq_args(r, &len);
  if (args != NULL) lua_pushlstring(L, args, len);   /* fn + 1 */
  else lua_pushnil(L);
  if (ca_preq_kind(r) == CA_PREQ_RUN && !s->light_busy) {   /* fn + 2 */
    ca_lreply_push_light(L, proxy, lua_upvalueindex(UP_LIGHT_MT), fn + 1,
                         c->p, r);
    s->light_busy = c->light = 1;   /* until run ends (ca_lreply_end_run) */
  } else {
    ca_lreply_push(L, proxy, lua_upvalueindex(UP_REPLY_MT), c->p, r);
    if (ca_preq_kind(r) == CA_PREQ_REGISTER)
      ca_lreply_list(L, proxy, fn + 2, r);
  }
  lua_pushvalue(L, fn);
  lua_pushvalue(L, fn + 1);
  lua_pushvalue(L, fn + 2);
  c->in_action = 1;
  lua_call(L, 2, 0);
  c->in_action = 0;
  if (c->light)
    ca_lreply_action_returned(L, fn + 2, lua_upvalueindex(UP_REPLY_MT));
  if (ca_preq_kind(r) == CA_PREQ_RUN && !ca_preq_done(r))
    keep_open(L, proxy, fn + 2, c);
  lua_settop(L, fn - 2);
}

/* One registration ends: its reply's on_cancel, then a final E_ABORT. */
static void cancel_one(lua_State *L, int proxy, ca_provider *p, ca_preq *t) {
  if (ca_preq_done(t)) return;
  ca_lprovider_field(L, proxy, "replies");
  if (lua_rawgetp(L, -1, t) == LUA_TUSERDATA) {
    if (ca_lreply_on_cancel(L, -1) != LUA_TNIL) {
      lua_pushvalue(L, -2);
      pcall_user(L, proxy, 1, 0, p);
    } else {
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 2);
  ca_preq_report(p, t, CA_E_ABORT, 1, (const BYTE *)"", 0);
}

static void run_hooks(lua_State *L, int proxy, run_ctx *c) {
  ca_preq *r = c->r;
  int i, ok, v;
  switch (ca_preq_kind(r)) {
    case CA_PREQ_HEALTH:
      v = 1;
      if (ca_lprovider_field(L, proxy, "health") == LUA_TNIL) lua_pop(L, 1);
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
      if (ca_lprovider_field(L, proxy, "idle") == LUA_TNIL) lua_pop(L, 1);
      else if ((ok = pcall_user(L, proxy, 0, 1, c->p)) != 0)
        v = lua_toboolean(L, -1);
      lua_settop(L, proxy);
      ca_preq_answer_idle(c->p, r, ok ? CA_S_OK : CA_DISP_E_EXCEPTION, v);
      break;
    default:   /* CANCEL, SHUTDOWN */
      for (i = 0; i < ca_preq_ntargets(r); i++)
        cancel_one(L, proxy, c->p, ca_preq_target(r, i));
      if (ca_preq_kind(r) == CA_PREQ_SHUTDOWN &&
          ca_lprovider_field(L, proxy, "shutdown") != LUA_TNIL) {
        lua_pushboolean(L, ca_preq_flag(r));
        pcall_user(L, proxy, 1, 0, c->p);
      }
      lua_settop(L, proxy);
  }
}

/*
** The protected part of a request: 1 the context. A closure made once per
** state (ca_lprovider_open), whose upvalues hold the providers table and
** the two reply metatables, so a request looks none up in the registry.
*/
static int trampoline(lua_State *L) {
  run_ctx *c = lua_touserdata(L, 1);
  lua_settop(L, 1);
  if (lua_rawgetp(L, lua_upvalueindex(UP_PROVIDERS), c->p) != LUA_TUSERDATA) {
    ca_preq_end(c->p, c->r, CA_RPC_E_DISCONNECTED);
    return 0;
  }
  int kind = ca_preq_kind(c->r);
  HRESULT last;
  if (kind == CA_PREQ_RUN || kind == CA_PREQ_REGISTER) {
    run_action(L, 2, c);
    if (kind == CA_PREQ_RUN && ca_preq_answered(c->r, &last)) c->hr = last;
  } else {
    run_hooks(L, 2, c);
  }
  return 0;
}

/* Protected: 1 the action's error, 2 the provider object. Counts it and
   sends it to on_error (or stderr) like any user function's. */
static int action_error(lua_State *L) {
  ca_provider *p = lua_touserdata(L, 2);
  ca_provider_count_error(p);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &providers_key);
  if (lua_rawgetp(L, -1, p) != LUA_TUSERDATA) {   /* closed meanwhile */
    ca_lroute_error(L, 1, 0, 0, "provider", ca_provider_name(p));
    return 0;
  }
  lua_replace(L, 2);
  lua_settop(L, 2);
  return route_error(L);
}

/* The action raised (the request's protected call has ended): its error
   routed, then the final DISP_E_EXCEPTION unless it reported one. */
static void action_failed(lua_State *L, run_ctx *c, int msg) {
  HRESULT last;
  msg = lua_absindex(L, msg);
  lua_pushcfunction(L, action_error);
  lua_pushvalue(L, msg);
  lua_pushlightuserdata(L, c->p);
  if (lua_pcall(L, 2, 0, 0) != LUA_OK) lua_pop(L, 1);
  if (!ca_preq_done(c->r))
    ca_preq_report(c->p, c->r, CA_DISP_E_EXCEPTION, 1, NULL, 0);
  if (ca_preq_kind(c->r) == CA_PREQ_RUN && ca_preq_answered(c->r, &last))
    c->hr = last;
}

/*
** The provider's run function: what the native call returns. One
** protected call with the one message handler (ca_lmsgh) per request; an
** error inside the action is the action's (action_failed), any other is
** a memory error.
*/
static HRESULT run(ca_provider *p, ca_preq *r) {
  ca_lstate *s = ca_provider_binding(p);
  lua_State *L = s->L;
  run_ctx c;
  int base;
  c.p = p;
  c.r = r;
  c.hr = CA_S_OK;
  c.in_action = 0;
  c.light = 0;
  if (!lua_checkstack(L, 4)) {
    ca_preq_end(p, r, CA_E_OUTOFMEMORY);
    return CA_E_OUTOFMEMORY;
  }
  base = lua_gettop(L);
  lua_pushcfunction(L, ca_lmsgh);
  lua_rawgeti(L, LUA_REGISTRYINDEX, s->provider_ref);
  lua_pushlightuserdata(L, &c);
  if (lua_pcall(L, 1, 0, base + 1) != LUA_OK) {
    if (c.in_action) {
      action_failed(L, &c, -1);
    } else {   /* only memory errors reach here */
      c.hr = CA_E_OUTOFMEMORY;
      if (!ca_preq_done(r)) ca_preq_end(p, r, c.hr);
    }
  }
  if (c.light) ca_lreply_end_run(s);   /* after on_error, which may use it */
  lua_settop(L, base);
  return c.hr;
}

/* ---- the provider ------------------------------------------------------- */

static const char *const option_names[] = {
  "actions", "health", "idle", "shutdown", "name", "on_error",
  "idle_wait_ms", NULL
};

static void check_options(lua_State *L, int opts) {
  ca_lcheckoptions(L, opts, opts, option_names);
  ca_lcheckfunction(L, opts, opts, "health");
  ca_lcheckfunction(L, opts, opts, "idle");
  ca_lcheckfunction(L, opts, opts, "shutdown");
  ca_lcheckfunction(L, opts, opts, "on_error");
}

/* Pushes a copy of opts.actions and a block of their names (*names). */
static int copy_actions(lua_State *L, int opts, const char ***names) {
  size_t len;
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
    ca_lutf8_check(L, -2, opts, "action name", &len, NULL);
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
  static const ca_intrange range = {"idle_wait_ms", 0,
                                    CA_MAX_WAIT_MS};
  int64_t ms = CA_DEFAULT_IDLE_WAIT_MS;
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
    size_t len;
    if (lua_type(L, -1) != LUA_TSTRING)
      luaL_argerror(L, 1, "option 'name' must be a string");
    /* C keeps the name: a NUL would cut it */
    name = ca_lutf8_check(L, -1, 1, "option 'name'", &len, NULL);
  }
  wait_ms = idle_wait(L, 1);
  n = copy_actions(L, 1, &names);          /* 3 actions, 4 names */
  make_table(L, 1, 3);                     /* 5 */
  lp = lua_newuserdatauv(L, sizeof *lp, 2);
  lp->obj = NULL;
  luaL_setmetatable(L, CA_PROVIDER_MT);
  lua_insert(L, -2);
  lua_setiuservalue(L, -2, 1);
  lua_pushvalue(L, 3);   /* the actions again: a request's one lookup */
  lua_setiuservalue(L, -2, 2);
  lp->obj = ca_provider_new(s->hub, name, names, n, run, s);
  if (lp->obj == NULL) return luaL_error(L, "not enough memory");
  ca_provider_set_idle_wait(lp->obj, wait_ms);
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
@tparam[opt="v2"] string name `"pm"` (IProtocolManager), `"v1"`
(IPmCustomActions), `"v2"` (IPmCustomActions2) or `"monitor"`
(IPmHealthAndIdleMonitor): the one table of docs/manual.md
@treturn lightuserdata
*/
static int pv_interface(lua_State *L) {
  ca_lprovider *lp = checkprovider(L, 1);
  void *ptr;
  switch (ca_linterface_name(L, 2)) {
    case CA_LIFACE_PM: ptr = ca_provider_pm(lp->obj); break;
    case CA_LIFACE_V1: ptr = ca_provider_v1(lp->obj); break;
    case CA_LIFACE_V2: ptr = ca_provider_v2(lp->obj); break;
    default: ptr = ca_provider_monitor(lp->obj);
  }
  return ca_linterface_push(L, ptr);
}

/***
Adds, replaces or (with nil) removes an action.
@function provider:define
@string name the action name
@tparam ?function fn `function(args, reply)`, or nil to remove
*/
static int pv_define(lua_State *L) {
  ca_lprovider *lp = checkprovider(L, 1);
  size_t len;
  const char *name = (luaL_checkstring(L, 2),
                      ca_lutf8_check(L, 2, 2, NULL, &len, NULL));
  if (!lua_isnil(L, 3)) luaL_checktype(L, 3, LUA_TFUNCTION);
  lua_settop(L, 3);
  ca_lprovider_field(L, 1, "actions");
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
  const char *name = ca_lcall_lookup(L, 2);
  lua_pushboolean(L, name != NULL && ca_provider_active(lp->obj, name));
  return 1;
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
  ca_pcounts c;
  ca_provider_counts(p, &c);
  lua_createtable(L, 0, 8);
  lua_pushstring(L, ca_provider_name(p));
  lua_setfield(L, -2, "name");
  ca_lsetcount(L, "refs", ca_provider_refs(p));
  ca_lsetcount(L, "calls", c.calls);
  ca_lsetcount(L, "queued", c.queued);
  ca_lsetcount(L, "reports", c.reports);
  ca_lsetcount(L, "cancelled", c.cancelled);
  ca_lsetcount(L, "errors", c.errors);
  ca_lsetcounts(L, "refused", ca_prefusal_names, c.refused, CA_NPREFUSALS);
  ca_lprintable(L, -1, "customaction.provider_stats");
  return 1;
}

/* Protected (it allocates): 1 proxy, 2 the object. Ends open replies. */
static int end_replies(lua_State *L) {
  ca_provider *p = lua_touserdata(L, 2);
  int i, n = 0;
  lua_settop(L, 2);
  ca_lprovider_field(L, 1, "replies");              /* 3 */
  lua_newtable(L);                      /* 4: a copy; ending may re-enter */
  lua_pushnil(L);
  while (lua_next(L, 3)) lua_rawseti(L, 4, ++n);
  for (i = 1; i <= n; i++) {
    ca_lreply *rp;
    lua_rawgeti(L, 4, i);
    rp = lua_touserdata(L, -1);
    if (rp->r != NULL && !ca_preq_done(rp->r))
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
  {
    ca_pcounts c;
    ca_provider_counts(lp->obj, &c);
    lua_pushfstring(L, "customaction.provider '%s' (refs %d, calls %d): %p",
                    ca_provider_name(lp->obj), (int)ca_provider_refs(lp->obj),
                    (int)c.calls, (void *)lp->obj);
  }
  return 1;
}


/***
The caller's side, through the provider's own vtables exactly as native
code calls them, so that a provider answers the methods the simulated
issuer answers (and `stream` works on it). Made on this thread, each call
runs the action at once.
@section provider_calls
*/

/* run and register: the one caller path (lcall.c). */
static int call_start(lua_State *L, int shape) {
  ca_provider *p = checkprovider(L, 1)->obj;
  return ca_lcall_start(L, ca_provider_v1(p), ca_provider_v2(p), shape);
}

/***
RunCustomAction with the callback's v1 pointer.
@function provider:run
@string name the action name
@tparam ?string args the action argument
@tparam callback|function cb the callback (a function is
wrapped)
@treturn hresult what the action's ReportResult returned when it answered
inside the call, else S_OK; E_NOTIMPL for an unknown name
*/
static int pv_run(lua_State *L) { return call_start(L, CA_SHAPE_V1); }

/***
RegisterCustomActionCallback with the callback's v2 pointer.
@function provider:register
@string name the action name
@tparam ?string args the action argument
@tparam callback|function cb the callback (a function is wrapped)
@treturn hresult S_OK, E_NOTIMPL for an unknown name,
HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS) for a registered one
*/
static int pv_register(lua_State *L) {
  return call_start(L, CA_SHAPE_V2);
}

/***
UnregisterCustomActionCallback: the reply is cancelled (its on_cancel
runs) and one final E_ABORT goes to the callback.
@function provider:unregister
@string name the action name
@treturn hresult S_OK, or HRESULT_FROM_WIN32(ERROR_NOT_FOUND)
*/
static int pv_unregister(lua_State *L) {
  return ca_lcall_unregister(L, ca_provider_v2(checkprovider(L, 1)->obj));
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
  ca_lstate *s;
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &providers_key) != LUA_TTABLE) {
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "v");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &providers_key);
  }
  lua_pop(L, 1);
  /* the facade adds stream() to provider_methods */
  ca_ltype(L, CA_PROVIDER_MT, metamethods, methods, "provider_methods");
  ca_lreply_open(L);
  s = ca_lstate_get(L);
  if (s->provider_ref == LUA_NOREF) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &providers_key);
    luaL_getmetatable(L, CA_REPLY_MT);
    ca_lreply_light_mt(L);
    lua_pushcclosure(L, trampoline, NUP);
    s->provider_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  lua_pushcfunction(L, l_provider);
  lua_setfield(L, -2, "provider");
}
