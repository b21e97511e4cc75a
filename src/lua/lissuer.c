/*
** lissuer.c: customaction.issuer, the Lua face of the simulated protocol
** manager. Methods that mirror a native call (register, unregister, run)
** convert their strings to UTF-16 and go through the IPmCustomActions
** vtables exactly as a native caller would, returning the HRESULT the call
** returns; they raise only for Lua misuse. Scenario tables are checked
** field by field and turned into C data the worker threads can read.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "alloc.h"
#include <stdlib.h>
#include <string.h>

#include "hresult.h"
#include "issuer.h"
#include "lcommon.h"
#include "utf16.h"

typedef struct ca_lissuer {
  ca_issuer *is;    /* NULL once closed */
} ca_lissuer;

static ca_lissuer *checkissuer(lua_State *L, int arg) {
  ca_lissuer *p = luaL_checkudata(L, arg, CA_ISSUER_MT);
  if (p->is == NULL) luaL_argerror(L, arg, "issuer is closed");
  return p;
}

/* ---- ca.issuer(opts) ---------------------------------------------------- */

/***
The simulated issuer: a protocol manager implementing IPmCustomActions
and IPmCustomActions2.
@module customaction
*/

/***
The simulated issuer.
@section issuer
*/

/***
Makes a simulated protocol manager. It calls callbacks through their
vtables, from worker threads in real time or, on a virtual clock, from
the thread that calls `issuer:advance`, and logs every call.
@function issuer
@tparam[opt] table opts `threads` (1..64 worker threads, real time, started
when first needed; default 1), `clock = "virtual"`, `log` (boolean, default
true), `log_limit` (entries kept, 0..2^53, default 1 000 000), `run`
(`"sync"`, the default: `issuer:run` reports inside the call like IIS's core
protocol manager; `"queued"`: later, like a registration), `builtins`
(boolean: define the demo actions Counters, GetRequests, Echo and Fail;
default true). Integers follow docs/simulator.md's rule.
@treturn issuer
@usage local pm = ca.issuer{ clock = "virtual" }
pm:define("Counters", { every = 10, count = 3, format = "requests=%d" })
*/
static const char *const option_names[] = {"threads", "clock", "log",
  "log_limit", "run", "builtins", NULL};

/* A string option through its core setter. */
static void string_opt(lua_State *L, const char *k, ca_issuer_opts *o,
                       int (*set)(ca_issuer_opts *, const char *, size_t,
                                  ca_err *)) {
  ca_err e;
  size_t len;
  if (lua_getfield(L, 1, k) != LUA_TNIL) {
    const char *s;
    if (lua_type(L, -1) != LUA_TSTRING)
      luaL_argerror(L, 1, lua_pushfstring(L, "option '%s' must be a string (got %s)",
                    k, luaL_typename(L, -1)));
    s = lua_tolstring(L, -1, &len);
    if (set(o, s, len, &e) != 0) ca_lerror(L, 1, "option ", &e);
  }
  lua_pop(L, 1);
}

static int bool_opt(lua_State *L, const char *k, int dflt) {
  int v = dflt;
  if (lua_getfield(L, 1, k) != LUA_TNIL) {
    if (!lua_isboolean(L, -1))
      luaL_argerror(L, 1, lua_pushfstring(L, "option '%s' must be a boolean (got %s)",
                    k, luaL_typename(L, -1)));
    v = lua_toboolean(L, -1);
  }
  lua_pop(L, 1);
  return v;
}

static void read_options(lua_State *L, ca_issuer_opts *o, int *builtins) {
  ca_err e;
  ca_lcheckoptions(L, 1, 1, option_names);
  string_opt(L, "clock", o, ca_issuer_opts_clock);
  if (lua_getfield(L, 1, "threads") != LUA_TNIL &&
      ca_issuer_opts_threads(o, ca_lnumber(L, -1), &e) != 0)
    ca_lerror(L, 1, "option ", &e);
  if (lua_getfield(L, 1, "log_limit") != LUA_TNIL &&
      ca_issuer_opts_log_limit(o, ca_lnumber(L, -1), &e) != 0)
    ca_lerror(L, 1, "option ", &e);
  lua_pop(L, 2);
  string_opt(L, "run", o, ca_issuer_opts_run);
  o->log = bool_opt(L, "log", 1);
  *builtins = bool_opt(L, "builtins", 1);
}

static void define_all(lua_State *L, ca_lissuer *p, int t);

/* Worker threads are a cost the collector cannot see: tell it, so that
   dropped issuers are collected before their threads pile up. */
#define THREAD_COST_KB 256

static int l_issuer(lua_State *L) {
  ca_issuer_opts o;
  ca_lissuer *p;
  int builtins = 1;
  ca_issuer_opts_init(&o);
  if (!lua_isnoneornil(L, 1)) {
    luaL_checktype(L, 1, LUA_TTABLE);
    read_options(L, &o, &builtins);
  }
  lua_settop(L, 1);
  lua_pushvalue(L, lua_upvalueindex(1));   /* the facade's built-ins */
  p = lua_newuserdatauv(L, sizeof *p, 0);
  p->is = NULL;
  luaL_setmetatable(L, CA_ISSUER_MT);
  p->is = ca_issuer_new(&o);
  if (p->is == NULL)
    return luaL_error(L, "cannot create the issuer (out of memory)");
  if (o.threads > 0) {
    ca_lhub_mark_close(L);  /* its close waits for workers */
    lua_gc(L, LUA_GCSTEP, o.threads * THREAD_COST_KB);
  }
  if (builtins && lua_istable(L, 2)) define_all(L, p, 2);
  lua_settop(L, 3);
  return 1;
}

/***
A simulated issuer (`customaction.issuer`). The methods that mirror a
native call (`register`, `unregister`, `run`) return that call's HRESULT
and raise only for Lua misuse. `issuer:stream` is described with the
facade, in `customaction.issuer`.
@type issuer
*/

/***
Says what the action `name` reports. Scenarios are data, so worker
threads can run them.
@function issuer:define
@string name the action name
@tparam table scenario `every` (ms between responses), `count` (responses;
the last is final), `delay` (ms to the first), `status` (each response's
HRESULT), `payload` (a string or a list used in turn), `format` (`"%d"`
becomes the response number), `echo` (the argument back), `encoding`
(`"utf16"` sends UTF-16LE), `faults` (a list of misbehaviours:
null_buffer, oversized, duplicate_final, after_final, foreign_thread,
early_release, never_release, jitter)
@treturn issuer the issuer, for chaining
*/
static int pm_define(lua_State *L) {
  ca_lissuer *p = checkissuer(L, 1);
  size_t len;
  const char *name = luaL_checklstring(L, 2, &len);
  ca_err e;
  luaL_checktype(L, 3, LUA_TTABLE);
  lua_settop(L, 3);
  ca_lscenario_read(L, 3, 3);
  /* the issuer owns the scenario now, also if define fails */
  if (ca_issuer_define(p->is, name, len, ca_lscenario_take(L, 4), &e) != 0)
    return ca_lerror(L, 2, "", &e);
  lua_settop(L, 1);
  return 1;
}

/* The facade's built-in actions: name -> scenario table at t. */
static void define_all(lua_State *L, ca_lissuer *p, int t) {
  lua_pushnil(L);
  while (lua_next(L, t)) {
    ca_err e;
    size_t len;
    const char *name = lua_tolstring(L, -2, &len);
    int top = lua_gettop(L);
    ca_lscenario_read(L, top, 2);
    if (ca_issuer_define(p->is, name, len, ca_lscenario_take(L, top + 1),
                         &e) != 0)
      ca_lerror(L, 2, "", &e);
    lua_settop(L, top - 1);
  }
}

/* ---- calls through the native interface --------------------------------- */

/* register and run: the one caller path (lcall.c) through our vtables. */
static int call_start(lua_State *L, int shape) {
  ca_lissuer *p = checkissuer(L, 1);
  return ca_lcall_start(L, ca_issuer_v1(p->is), ca_issuer_v2(p->is), shape);
}

/***
RegisterCustomActionCallback with the callback's v2 pointer.
@function issuer:register
@string name the action name
@tparam ?string args the action argument
@tparam callback|function cb the callback (a function is
wrapped)
@treturn hresult S_OK, E_NOT_SET for an undefined name, ERROR_ALREADY_EXISTS
(wrapped) for a registered one, RPC_E_DISCONNECTED after close
*/
static int pm_register(lua_State *L) {
  return call_start(L, CA_SHAPE_V2);
}
/***
RunCustomAction with the callback's v1 pointer: one report. By default
(`run = "sync"`) the report is made inside the call, on the caller's
thread, and the call returns what ReportResult returned (the handler's
HRESULT); E_NOTIMPL for a name nothing answers. With `run = "queued"` the
report comes later like a registration's, and the call returns S_OK (or
E_NOT_SET for an undefined name).
@function issuer:run
@string name the action name
@tparam ?string args the action argument
@tparam callback|function cb the callback (a function is
wrapped)
@treturn hresult
*/
static int pm_run(lua_State *L) { return call_start(L, CA_SHAPE_V1); }

/***
UnregisterCustomActionCallback: the action stops with one E_ABORT final
report, then the callback is released.
@function issuer:unregister
@string name the action name
@treturn hresult S_OK, or E_NOT_SET for an unknown or finished name
*/
static int pm_unregister(lua_State *L) {
  /* on a virtual clock the E_ABORT final runs a handler in here */
  return ca_lcall_unregister(L, ca_issuer_v2(checkissuer(L, 1)->is));
}

/***
Virtual clock: performs every event due within `ms`, or up to the next due
event, on this thread.
@function issuer:advance
@tparam[opt] int ms how far to move the clock (0..10^12)
@treturn int how many events were performed
*/
static int pm_advance(lua_State *L) {
  ca_lissuer *p = checkissuer(L, 1);
  ca_issuer *is = p->is;
  int64_t ms = -1, n;
  ca_err e;
  if (!lua_isnoneornil(L, 2)) ms = ca_lcheckint(L, 2, 2, "", &ca_advance_range);
  /* handlers run inside advance and may close the issuer: hold it */
  ca_issuer_addref(is);
  n = ca_issuer_advance(is, ms, &e);
  ca_issuer_release(is);
  if (n < 0) return luaL_error(L, "%s", e.msg);
  lua_pushinteger(L, (lua_Integer)n);
  return 1;
}

/***
Milliseconds on the issuer's clock.
@function issuer:now
@treturn int
*/
static int pm_now(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)ca_issuer_now(checkissuer(L, 1)->is));
  return 1;
}

/***
Is `name` registered and not finished?
@function issuer:active
@string name the action name
@treturn boolean
*/
static int pm_active(lua_State *L) {
  ca_lissuer *p = checkissuer(L, 1);
  const char *name = ca_lcall_lookup(L, 2);
  lua_pushboolean(L, name != NULL && ca_issuer_active(p->is, name));
  return 1;
}

/***
Operations not yet ended (registrations and runs).
@function issuer:pending
@treturn int
*/
static int pm_pending(lua_State *L) {
  lua_pushinteger(L, ca_issuer_pending(checkissuer(L, 1)->is));
  return 1;
}

/***
Does the issuer run on a virtual clock?
@function issuer:is_virtual
@treturn boolean
*/
static int pm_is_virtual(lua_State *L) {
  lua_pushboolean(L, ca_issuer_is_virtual(checkissuer(L, 1)->is));
  return 1;
}

static void set_hr(lua_State *L, const char *k, int64_t v) {
  ca_lhr_push(L, (uint32_t)v);
  lua_setfield(L, -2, k);
}

static void set_int(lua_State *L, const char *k, int64_t v) {
  lua_pushinteger(L, (lua_Integer)v);
  lua_setfield(L, -2, k);
}

/* One log entry as a table: common fields, then those of its kind. */
static void push_entry(lua_State *L, const ca_log_entry *e) {
  lua_createtable(L, 0, 10);
  lua_pushstring(L, ca_log_op_names[e->op]);
  lua_setfield(L, -2, "op");
  lua_pushstring(L, e->text);
  lua_setfield(L, -2, "action");
  lua_pushstring(L, e->shape == CA_SHAPE_V1 ? "v1" : "v2");
  lua_setfield(L, -2, "shape");
  set_int(L, "thread", (int64_t)e->thread);
  set_int(L, "time", e->time);
  if (e->op == CA_LOG_ADDREF || e->op == CA_LOG_RELEASE)
    set_int(L, "refs", e->result);
  else
    set_hr(L, "result", e->result);
  if (e->op == CA_LOG_REPORT) {
    set_hr(L, "status", (uint32_t)e->status);
    lua_pushboolean(L, e->final);
    lua_setfield(L, -2, "final");
    set_int(L, "bytes", e->bytes);
    lua_pushboolean(L, e->null_buf);
    lua_setfield(L, -2, "null");
  }
  ca_lprintable(L, -1, "log_entry");
}

/***
The protocol as the issuer saw it, in order: entries `{ op, action, shape,
thread, time, ... }`, `op` one of register, unregister, run (with
`result`), addref and release (with `refs`), report (with `status`,
`final`, `bytes`, `null`, `result`) and stop; `dropped` counts entries
beyond `log_limit`.
@function issuer:log
@tparam[opt] boolean clear empty the log afterwards
@treturn table
*/
static int pm_log(lua_State *L) {
  ca_lissuer *p = checkissuer(L, 1);
  size_t n, dropped;
  ca_llog *box;
  int clear = lua_toboolean(L, 2);
  lua_settop(L, 1);
  box = ca_llog_box(L);
  box->e = ca_issuer_log(p->is, &n, &dropped, clear);
  if (box->e == NULL) return luaL_error(L, "not enough memory");
  box->n = n;
  ca_llog_push(L, box, dropped, push_entry, "customaction.issuer_log");
  return 1;
}

/***
The issuer's interface pointer, for native code.
@function issuer:interface
@tparam[opt="v2"] string name `"v1"` (IPmCustomActions), `"v2"`
(IPmCustomActions2), `"pm"` or `"monitor"` (none): the one table of
docs/manual.md
@treturn[1] lightuserdata
@treturn[2] nil
@treturn[2] hresult E_NOINTERFACE: the object has no interface of that name
*/
static int pm_interface(lua_State *L) {
  ca_lissuer *p = checkissuer(L, 1);
  int k = ca_linterface_name(L, 2);
  return ca_linterface_push(L, k == CA_LIFACE_V1 ? (void *)ca_issuer_v1(p->is)
                            : k == CA_LIFACE_V2 ? (void *)ca_issuer_v2(p->is)
                            : NULL);
}

/***
Cancels everything (an E_ABORT final to each running operation), releases
every callback and stops the workers. Also `__close` and `__gc`.
@function issuer:close
*/
static int pm_close(lua_State *L) {
  ca_lissuer *p = luaL_checkudata(L, 1, CA_ISSUER_MT);
  ca_issuer *is = p->is;
  ca_lstate *s = ca_lstate_get(L);
  if (is == NULL) return 0;
  /* detach first: handlers run inside close, and one that calls
     pm:close again must find nothing to do */
  p->is = NULL;
  /* the workers may be blocked for room in the queue, which this thread
     will not drain while it waits for them: they must not wait */
  if (s != NULL && s->hub != NULL) ca_hub_hold(s->hub);
  ca_issuer_close(is);
  if (s != NULL && s->hub != NULL) ca_hub_unhold(s->hub);
  ca_issuer_release(is);
  return 0;
}

static int pm_tostring(lua_State *L) {
  ca_lissuer *p = luaL_checkudata(L, 1, CA_ISSUER_MT);
  if (p->is == NULL) {
    lua_pushliteral(L, "customaction.issuer (closed)");
    return 1;
  }
  lua_pushfstring(L, "customaction.issuer (%s clock, now %d ms, %d "
                  "operations): %p",
                  ca_issuer_is_virtual(p->is) ? "virtual" : "real",
                  (int)ca_issuer_now(p->is), ca_issuer_pending(p->is),
                  (void *)p->is);
  return 1;
}

static const luaL_Reg methods[] = {
  {"define", pm_define},
  {"register", pm_register},
  {"unregister", pm_unregister},
  {"run", pm_run},
  {"advance", pm_advance},
  {"now", pm_now},
  {"active", pm_active},
  {"pending", pm_pending},
  {"is_virtual", pm_is_virtual},
  {"log", pm_log},
  {"interface", pm_interface},
  {"close", pm_close},
  {NULL, NULL}
};

static const luaL_Reg metamethods[] = {
  {"__gc", pm_close},
  {"__close", pm_close},
  {"__tostring", pm_tostring},
  {NULL, NULL}
};

/* Expects the module table on top: adds issuer and issuer_methods. */
void ca_lissuer_open(lua_State *L) {
  /* the facade adds stream() to issuer_methods */
  ca_ltype(L, CA_ISSUER_MT, metamethods, methods, "issuer_methods");
  /* the built-in actions: a table the facade fills, an upvalue of
     ca.issuer so that it needs no Lua wrapper (whose line an error in
     the options would name) */
  lua_newtable(L);
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, "issuer_builtins");
  lua_pushcclosure(L, l_issuer, 1);
  lua_setfield(L, -2, "issuer");
}
