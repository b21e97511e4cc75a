/*
** lhub.c: the per-state record and the module functions that act on the
** hub: dispatching queued reports, waiting for them, the wake-up
** descriptor, queue limits and state-wide statistics. The record is a
** registry userdata created by the first require; its __gc, which
** lua_close runs after every proxy's, closes the hub. A small "tick"
** userdata that recreates itself in its own __gc gives one call per GC
** cycle, in which anchors no native holder needs are dropped.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lcommon.h"

static const char state_key = 'S';

ca_lstate *ca_lstate_get(lua_State *L) {
  ca_lstate *s;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &state_key);
  s = lua_touserdata(L, -1);
  lua_pop(L, 1);
  return s;
}

static void new_tick(lua_State *L);

static int tick_gc(lua_State *L) {
  ca_lstate *s = ca_lstate_get(L);
  if (s == NULL || s->hub == NULL || ca_hub_is_closed(s->hub)) return 0;
  ca_lcallback_sweep(L, s);
  new_tick(L);
  return 0;
}

static void new_tick(lua_State *L) {
  lua_newuserdatauv(L, 1, 0);
  luaL_setmetatable(L, CA_TICK_MT);
  lua_pop(L, 1);
}

/*
** The close marker. lua_close runs finalizers newest first, and the state
** record is older than anything made with the module, so its __gc comes
** too late to stop producers before an issuer's __gc waits for them. A
** marker, remade after each object that may wait so that it is always the
** newest, begins the close first. Only the marker the registry names acts:
** a superseded one is collected by an ordinary cycle, not by lua_close.
*/
static const char marker_key = 'M';

static int marker_gc(lua_State *L) {
  ca_lstate *s = ca_lstate_get(L);
  int current;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &marker_key);
  current = lua_rawequal(L, 1, -1);
  lua_pop(L, 1);
  if (current && s != NULL) s->closing = 1;
  if (current && s != NULL && s->hub != NULL) ca_hub_closing(s->hub);
  return 0;
}

void ca_lhub_mark_close(lua_State *L) {
  lua_newuserdatauv(L, 1, 0);
  if (luaL_newmetatable(L, CA_MARKER_MT)) {
    lua_pushcfunction(L, marker_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &marker_key);
}

static int state_gc(lua_State *L) {
  ca_lstate *s = lua_touserdata(L, 1);
  if (s->hub == NULL) return 0;
  ca_lcallback_close_all(L, s);
  ca_hub_close(s->hub);
  ca_hub_release(s->hub);
  s->hub = NULL;
  free(s->free_keys);
  s->free_keys = NULL;
  return 0;
}

static int newref(lua_State *L, const char *mode) {
  lua_newtable(L);
  if (mode != NULL) {
    lua_createtable(L, 0, 1);
    lua_pushstring(L, mode);
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
  }
  return luaL_ref(L, LUA_REGISTRYINDEX);
}

/*
** The thread handlers run on. 5.1 cannot name the main thread, so when
** the module is loaded from a coroutine a thread of our own, anchored in
** the registry, stands in for it.
*/
static lua_State *main_thread(lua_State *L) {
  lua_State *T;
#if LUA_VERSION_NUM >= 502
  lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
  T = lua_tothread(L, -1);
  lua_pop(L, 1);
#else
  if (lua_pushthread(L)) {
    T = L;
  } else {
    T = lua_newthread(L);
    luaL_ref(L, LUA_REGISTRYINDEX);
  }
  lua_pop(L, 1);
#endif
  return T;
}

/* Finds or makes this state's record. */
ca_lstate *ca_lhub_state(lua_State *L) {
  ca_lstate *s = ca_lstate_get(L);
  if (s != NULL) return s;
  s = lua_newuserdatauv(L, sizeof *s, 0);
  memset(s, 0, sizeof *s);
  s->live_ref = s->anchors_ref = s->intern_ref = LUA_NOREF;
  s->provider_ref = LUA_NOREF;
  s->L = main_thread(L);
  if (luaL_newmetatable(L, CA_STATE_MT)) {
    lua_pushcfunction(L, state_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  s->live_ref = newref(L, "v");
  s->anchors_ref = newref(L, NULL);
  s->handlers_ref = newref(L, "v");
  s->next_key = 1;
  s->hub = ca_hub_new(ca_ldeliver, s);
  if (s->hub == NULL) luaL_error(L, "customaction: cannot create the "
                                 "completion queue (out of memory or file "
                                 "descriptors)");
  lua_rawsetp(L, LUA_REGISTRYINDEX, &state_key);
  ca_ldeliver_open(L, s);
  if (luaL_newmetatable(L, CA_TICK_MT)) {
    lua_pushcfunction(L, tick_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
  new_tick(L);
  return s;
}

/* A dispatch count; one call delivers at most 2^31-1 (documented). */
static int opt_max(lua_State *L, int arg) {
  int64_t n;
  if (lua_isnoneornil(L, arg)) return -1;
  n = ca_lcheckint(L, arg, arg, "", &ca_range_dispatch_max);
  return n > 0x7FFFFFFF ? 0x7FFFFFFF : (int)n;
}

/***
Delivering reports made on other threads.
@module customaction
*/

/***
Reports from other threads.
@section queue
*/

/***
Delivers queued reports to their handlers, on this thread.
@function dispatch
@tparam[opt] int max at most this many (all by default)
@treturn int how many were delivered
*/
static int l_dispatch(lua_State *L) {
  ca_lstate *s = ca_lstate_get(L);
  lua_pushinteger(L, ca_ldispatch(L, s, opt_max(L, 1)));
  return 1;
}

/***
Waits until a report is queued (or the timeout passes), then dispatches.
The same call on every system: on Windows, where `fd` is no descriptor,
this is the way to wait for reports (see also `fd`).
@function wait
@tparam[opt] number timeout seconds (forever by default)
@tparam[opt] int max at most this many
@treturn int how many were delivered
*/
static int l_wait(lua_State *L) {
  ca_lstate *s = ca_lstate_get(L);
  int64_t ms = -1;
  if (!lua_isnoneornil(L, 1)) {
    ca_err e;
    if (ca_seconds_check("timeout", ca_lnumber(L, 1), &ms, &e) != 0)
      ca_lerror(L, 1, "", &e);
  }
  ca_hub_wait(s->hub, ms);
  lua_pushinteger(L, ca_ldispatch(L, s, opt_max(L, 2)));
  return 1;
}

/***
How many reports are queued.
@function pending
@treturn int
*/
static int l_pending(lua_State *L) {
  ca_lstate *s = ca_lstate_get(L);
  lua_pushinteger(L, (lua_Integer)ca_hub_pending(s->hub));
  return 1;
}

/***
A descriptor that is readable while reports are queued, for event loops
(luv's poll handles, cqueues). On Windows builds it is the HANDLE of a
manual-reset event, signalled while reports are queued, for native code
to wait on (WaitForMultipleObjects); Lua code there waits with `wait`, or
calls `dispatch` from its event loop's timer (examples/luv.lua does).
@function fd
@treturn int
*/
static int l_fd(lua_State *L) {
  ca_lstate *s = ca_lstate_get(L);
  lua_pushinteger(L, (lua_Integer)ca_hub_fd(s->hub));
  return 1;
}

static int64_t field_limit(lua_State *L, const ca_intrange *r, int64_t cur) {
  int64_t v = cur;
  if (lua_getfield(L, 1, r->name) != LUA_TNIL)
    v = ca_lcheckint(L, -1, 1, "option ", r);
  lua_pop(L, 1);
  return v;
}

/***
Sets and returns the queue's limits. A report from another thread that
finds the queue full waits up to `block_ms`, then is refused with
RPC_E_SERVERCALL_RETRYLATER and counted.
@function configure
@tparam[opt] table limits `max_queued` (reports), `max_queued_bytes`
(payload), `block_ms` (defaults in `ca.defaults.configure`)
@treturn table the limits now in force
*/
static const char *const option_names[] = {"max_queued", "max_queued_bytes",
  "block_ms", NULL};

static int l_configure(lua_State *L) {
  ca_lstate *s = ca_lstate_get(L);
  ca_queue_limits lim;
  ca_hub_get_limits(s->hub, &lim);
  if (!lua_isnoneornil(L, 1)) {
    luaL_checktype(L, 1, LUA_TTABLE);
    ca_lcheckoptions(L, 1, 1, option_names);
    lim.max_count = (size_t)field_limit(L, &ca_range_max_queued,
                                        (int64_t)lim.max_count);
    lim.max_bytes = (size_t)field_limit(L, &ca_range_max_queued_bytes,
                                        (int64_t)lim.max_bytes);
    lim.block_ms = field_limit(L, &ca_range_block_ms, lim.block_ms);
    ca_hub_set_limits(s->hub, &lim);
  }
  lua_createtable(L, 0, 3);
  lua_pushinteger(L, (lua_Integer)lim.max_count);
  lua_setfield(L, -2, "max_queued");
  lua_pushinteger(L, (lua_Integer)lim.max_bytes);
  lua_setfield(L, -2, "max_queued_bytes");
  lua_pushinteger(L, (lua_Integer)lim.block_ms);
  lua_setfield(L, -2, "block_ms");
  ca_lprintable(L, -1, "customaction.limits");
  return 1;
}

/***
State-wide counters.
@function stats
@treturn table `{ callbacks, pending, discarded, anchored }` (`callbacks`:
callback objects alive, leaving out the one the state keeps for calls
given a plain function)
*/
static int l_stats(lua_State *L) {
  ca_lstate *s = ca_lstate_get(L);
  int n = 0;
  lua_createtable(L, 0, 4);
  lua_pushinteger(L, (lua_Integer)ca_hub_callbacks(s->hub));
  lua_setfield(L, -2, "callbacks");
  lua_pushinteger(L, (lua_Integer)ca_hub_pending(s->hub));
  lua_setfield(L, -2, "pending");
  lua_pushinteger(L, (lua_Integer)ca_hub_discarded(s->hub));
  lua_setfield(L, -2, "discarded");
  lua_rawgeti(L, LUA_REGISTRYINDEX, s->anchors_ref);
  lua_pushnil(L);
  while (lua_next(L, -2)) { n++; lua_pop(L, 1); }
  lua_pop(L, 1);
  lua_pushinteger(L, n);
  lua_setfield(L, -2, "anchored");
  ca_lprintable(L, -1, "customaction.stats");
  return 1;
}

/***
Seconds on a monotonic clock (for timeouts around `wait`).
@function clock
@treturn number
*/
static int l_clock(lua_State *L) {
  lua_pushnumber(L, (lua_Number)ca_now_ns() / 1e9);
  return 1;
}

static const luaL_Reg funcs[] = {
  {"clock", l_clock},
  {"dispatch", l_dispatch},
  {"wait", l_wait},
  {"pending", l_pending},
  {"fd", l_fd},
  {"configure", l_configure},
  {"stats", l_stats},
  {NULL, NULL}
};

/***
The defaults of every option users set, from the core's one list: a
table per function, such as `ca.defaults.configure.max_queued` or
`ca.defaults.provider.idle_wait_ms` (units: bytes, reports, ms, entries).
@table defaults
*/
static void push_defaults(lua_State *L) {
  size_t i, n;
  const ca_default *d = ca_defaults(&n);
  lua_newtable(L);
  for (i = 0; i < n; i++) {
    if (lua_getfield(L, -1, d[i].where) == LUA_TNIL) {
      lua_pop(L, 1);
      lua_newtable(L);
      lua_pushvalue(L, -1);
      lua_setfield(L, -3, d[i].where);
    }
    lua_pushinteger(L, (lua_Integer)d[i].value);
    lua_setfield(L, -2, d[i].option);
    lua_pop(L, 1);
  }
}

/* Expects the module table on top. */
void ca_lhub_open(lua_State *L) {
  luaL_setfuncs(L, funcs, 0);
  push_defaults(L);
  lua_setfield(L, -2, "defaults");
}
