/*
** ldeliver.c: running a report's handler on the owning thread. The only
** Lua calls made outside a protected call are ones that cannot raise
** (pushing light values into stack space reserved first); everything that
** may allocate, the handler itself, and the conversion of its return value
** happen inside one lua_pcall of a C trampoline, with a message handler
** that adds a traceback. Errors go to the callback's on_error, itself
** called in protected mode, or to stderr; they never reach the native
** caller, which gets DISP_E_EXCEPTION (E_OUTOFMEMORY for memory errors).
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdio.h>

#include "hresult.h"
#include "lcommon.h"

/*
** The C functions a delivery pushes. 5.2 and later push the message
** handler and the error router as light C functions, which never
** allocate; on 5.1 and LuaJIT pushing one makes a closure, so
** ca_ldeliver_open makes each once and delivery fetches it from the
** registry. The trampoline is a closure on every version, made once: its
** upvalues hold the handlers table and the last status delivered, which
** it reaches more cheaply than through the registry.
*/
enum { FN_MSGH, FN_ROUTE };
enum { UP_HANDLERS = 1, UP_STATUS };

#if LUA_VERSION_NUM < 502
#define push_fn(L, s, i, f) lua_rawgeti(L, LUA_REGISTRYINDEX, (s)->deliver_refs[i])
#else
#define push_fn(L, s, i, f) ((void)(s), lua_pushcfunction(L, f))
#endif

static int msgh(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
      msg = lua_tostring(L, -1);
    else
      msg = lua_pushfstring(L, "(error object is a %s value)",
                            luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

int ca_lmsgh(lua_State *L) { return msgh(L); }

/*
** The one call policy for user code: every Lua handler, action, hook and
** on_error runs in a protected call with msgh (so any error object
** becomes the same text, with a traceback), and its error is routed by
** ca_lroute_error. Deliveries make the same protected call through their
** trampoline, which saves a closure per report.
*/
int ca_lpcall(lua_State *L, int nargs, int nres) {
  int fn = lua_gettop(L) - nargs, rc;
  lua_pushcfunction(L, ca_lmsgh);
  lua_insert(L, fn);
  rc = lua_pcall(L, nargs, nres, fn);
  lua_remove(L, fn);
  return rc;
}

/*
** Where a user function's error goes, the same for every owner: its
** on_error(message, owner) (the function at on_error, 0 for none), under
** the same policy, or stderr; an on_error that raises is reported there
** with the message it was handling. Allocates: call it protected.
*/
void ca_lroute_error(lua_State *L, int msg, int on_error, int owner,
                     const char *what, const char *name) {
  msg = lua_absindex(L, msg);
  if (on_error != 0) {
    lua_pushvalue(L, on_error);
    lua_pushvalue(L, msg);
    if (owner != 0) lua_pushvalue(L, owner); else lua_pushnil(L);
    if (ca_lpcall(L, 2, 0) == LUA_OK) return;
    fprintf(stderr, "customaction: on_error of %s '%s' raised: %s\n"
            "  while handling: %s\n", what, name, lua_tostring(L, -1),
            lua_tostring(L, msg));
  } else {
    fprintf(stderr, "customaction: %s '%s': %s\n", what, name,
            lua_tostring(L, msg));
  }
  fflush(stderr);
}

/* One report on its way to a handler; lives on the C stack. */
typedef struct report_ctx {
  int batch;          /* the first field of a batch_ctx */
  ca_lstate *s;
  ca_callback *obj;
  uint32_t status;
  const BYTE *buf;
  DWORD len;
  int final;
  int found;          /* the object still has a handler */
  uint32_t result;
} report_ctx;

/* Pushes the interned status, through a one-value cache in UP_STATUS. */
static void push_status(lua_State *L, ca_lstate *s, uint32_t v) {
  if (s->status_cached && s->status_value == v) {
    lua_pushvalue(L, lua_upvalueindex(UP_STATUS));
    return;
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, s->intern_ref);
  ca_lhr_push_interned(L, -1, v);
  lua_remove(L, -2);
  lua_pushvalue(L, -1);
  lua_replace(L, lua_upvalueindex(UP_STATUS));
  s->status_value = v;
  s->status_cached = 1;
}

/* obj's handler is about to run; returns its depth for running_pop. */
static inline int running_push(ca_lstate *s, ca_callback *obj) {
  int d = s->nrunning++;
  if (d < CA_LRUNNING) {
    s->running[d] = obj;
    s->closed_running[d] = 0;
  }
  return d;
}

/* Ends the delivery at depth d: a proxy closed meanwhile leaves the live
   table now (a nil store, which never allocates). */
static void unlive(lua_State *L, ca_lstate *s, ca_callback *obj) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, s->live_ref);
  lua_pushnil(L);
  lua_rawsetp(L, -2, obj);
  lua_pop(L, 1);
}

static inline void running_pop(lua_State *L, ca_lstate *s, int d) {
  s->nrunning = d;
  if (d < CA_LRUNNING && s->closed_running[d]) unlive(L, s, s->running[d]);
}

int ca_ldeliver_defer_close(ca_lstate *s, ca_callback *obj) {
  int i, n = s->nrunning < CA_LRUNNING ? s->nrunning : CA_LRUNNING;
  for (i = 0; i < n; i++)   /* the outermost delivery removes it */
    if (s->running[i] == obj) {
      s->closed_running[i] = 1;
      return 1;
    }
  return 0;
}

/*
** The handler is on the stack at base + 1: calls it with the report and
** returns its result as an HRESULT, leaving the stack at base. The
** handler's results are kept whole (LUA_MULTRET), so the common "returned
** nothing" is one look at the stack top.
*/
static CA_ALWAYS_INLINE uint32_t call_handler(lua_State *L, report_ctx *c,
                                               int base) {
  uint32_t hr = 0;
  push_status(L, c->s, c->status);
  if (c->buf == NULL)
    lua_pushnil(L);
  else
    lua_pushlstring(L, (const char *)c->buf, c->len);
  lua_pushboolean(L, c->final);
  ca_callback_count(c->obj, CA_COUNT_DELIVERED);
  lua_call(L, 3, LUA_MULTRET);
  if (lua_gettop(L) == base) return 0;   /* returned nothing: S_OK */
  switch (lua_type(L, base + 1)) {
    case LUA_TNIL:
      break;
    case LUA_TBOOLEAN:
      if (!lua_toboolean(L, base + 1)) hr = (uint32_t)CA_E_FAIL;
      break;
    case LUA_TNUMBER:
    case LUA_TUSERDATA:
      if (ca_lhr_to(L, base + 1, &hr)) break;
      /* FALLTHROUGH */
    default:
      return (uint32_t)luaL_error(L, "handler returned a %s value; expected "
                                  "nothing, a boolean, an integer HRESULT or "
                                  "an HRESULT value",
                                  luaL_typename(L, base + 1));
  }
  lua_settop(L, base);
  return hr;
}

/* Queued reports delivered in one protected call; on the C stack. */
typedef struct batch_ctx {
  report_ctx c;       /* first, so the trampoline tells the two apart */
  ca_hub *hub;
  ca_hub_run run;
  ca_report r;        /* the report being delivered, if have */
  int have, max, done;
  int depth;          /* running_push's, while have */
} batch_ctx;

/*
** Delivers queued reports until none is left (or max), one after the
** other inside this protected call; stack: 1 the batch, 2 the handler of
** the callback delivered last. Consecutive reports of one callback keep
** it held (ca_hub_next), so its handler is looked up once per run. An
** error ends the call with b->have set; ca_ldispatch routes it and calls
** again for the rest.
*/
static int deliver_batch(lua_State *L, batch_ctx *b) {
  ca_callback *last = NULL;
  report_ctx *c = &b->c;
  unsigned long ran = b->run.ran;
  lua_settop(L, 2);
  while ((b->max < 0 || b->done < b->max) &&
         ca_hub_next(b->hub, &b->run, &b->r)) {
    if (b->run.ran != ran) {  /* a posted task ran Lua code of its own */
      b->done += (int)(b->run.ran - ran);
      ran = b->run.ran;
      last = NULL;
    }
    b->have = 1;
    b->depth = -1;
    c->obj = ca_callback_of(b->r.to);
    if (c->obj != last) {
      last = NULL;
      if (lua_rawgeti(L, lua_upvalueindex(UP_HANDLERS), (lua_Integer)ca_callback_user(c->obj)) ==
          LUA_TNIL) {
        lua_pop(L, 1);
        ca_callback_refuse(c->obj, CA_REFUSED_CLOSED);
      } else {
        lua_replace(L, 2);
        last = c->obj;
      }
    }
    if (last != NULL) {
      c->status = (uint32_t)b->r.status;
      c->buf = b->r.data;
      c->len = b->r.len;
      c->final = b->r.final;
      lua_pushvalue(L, 2);
      b->depth = running_push(c->s, c->obj);
      if (WPF_FAILED((HRESULT)call_handler(L, c, 2)))
        ca_callback_count(c->obj, CA_COUNT_FAILURES);
      running_pop(L, c->s, b->depth);
    }
    b->have = 0;
    ca_hub_done(b->hub, &b->r);
    b->done++;
  }
  b->done += (int)(b->run.ran - ran);
  return 0;
}

/*
** The protected part of a delivery: 1 the report (or a batch of queued
** ones). Everything that may allocate or raise happens here: the status
** value, the response string, the handler, and the check of its result.
*/
static int trampoline(lua_State *L) {
  report_ctx *c = lua_touserdata(L, 1);
  if (c->batch) return deliver_batch(L, (batch_ctx *)(void *)c);
  if (lua_rawgeti(L, lua_upvalueindex(UP_HANDLERS), (lua_Integer)ca_callback_user(c->obj)) == LUA_TNIL)
    return 0;
  c->found = 1;
  c->result = call_handler(L, c, 1);
  return 0;
}

/*
** Protected: 1 object, 2 message. Calls on_error(message, proxy) with a
** traceback handler, or writes the message to stderr. A proxy closed by
** its own handler is still in the live table here (running_pop).
*/
static int route_error(lua_State *L) {
  ca_callback *obj = lua_touserdata(L, 1);
  ca_lstate *s = ca_lstate_get(L);
  int proxy = 0, on_error = 0;
  lua_rawgeti(L, LUA_REGISTRYINDEX, s->live_ref);
  if (lua_rawgetp(L, -1, obj) == LUA_TUSERDATA) {
    proxy = lua_gettop(L);
    if (lua_getiuservalue(L, proxy, 2) != LUA_TNIL) on_error = proxy + 1;
  }
  ca_lroute_error(L, 2, on_error, proxy, "callback", ca_callback_name(obj));
  return 0;
}


void ca_ldeliver_open(lua_State *L, ca_lstate *s) {
#if LUA_VERSION_NUM < 502
  static const lua_CFunction fns[] = {msgh, route_error};
  int i;
  for (i = 0; i < 2; i++) {
    lua_pushcfunction(L, fns[i]);
    s->deliver_refs[i] = luaL_ref(L, LUA_REGISTRYINDEX);
  }
#endif
  lua_rawgeti(L, LUA_REGISTRYINDEX, s->handlers_ref);
  lua_pushboolean(L, 0);  /* no status delivered yet (status_cached is 0) */
  lua_pushcclosure(L, trampoline, 2);
  s->trampoline_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

static void handle_error(lua_State *L, ca_lstate *s, ca_callback *obj,
                         int msg) {
  ca_callback_count(obj, CA_COUNT_ERRORS);
  if (lua_type(L, msg) != LUA_TSTRING) {  /* only a memory error does this */
    lua_pushliteral(L, "not enough memory");
    lua_replace(L, msg);
  }
  push_fn(L, s, FN_ROUTE, route_error);
  lua_pushlightuserdata(L, obj);
  lua_pushvalue(L, msg);
  if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
    fprintf(stderr, "customaction: callback '%s': %s\n", ca_callback_name(obj),
            lua_tostring(L, msg));
    fflush(stderr);
  }
}

HRESULT ca_ldeliver(ca_hub *hub, ca_target *to, HRESULT status, int final,
                    const BYTE *buf, DWORD len) {
  report_ctx c;
  lua_State *L;
  HRESULT hr;
  int base, depth;
  ca_callback *cb = ca_callback_of(to);
  c.batch = 0;
  c.s = ca_hub_binding(hub);
  c.obj = cb;
  c.status = (uint32_t)status;
  c.buf = buf;
  c.len = len;
  c.final = final;
  c.found = 0;
  c.result = 0;
  L = c.s->L;
  if (!lua_checkstack(L, 6))
    return ca_callback_refuse(cb, CA_REFUSED_NO_MEMORY);
  depth = running_push(c.s, cb);
  push_fn(L, c.s, FN_MSGH, msgh);
  lua_rawgeti(L, LUA_REGISTRYINDEX, c.s->trampoline_ref);
  lua_pushlightuserdata(L, &c);
  switch (lua_pcall(L, 1, 0, -3)) {
    case LUA_OK:
      lua_pop(L, 1);  /* the message handler */
      running_pop(L, c.s, depth);
      if (!c.found) return ca_callback_refuse(cb, CA_REFUSED_CLOSED);
      if (WPF_FAILED((HRESULT)c.result)) ca_callback_count(cb, CA_COUNT_FAILURES);
      return (HRESULT)c.result;
    case LUA_ERRMEM:
      hr = CA_E_OUTOFMEMORY;
      break;
    default:
      hr = CA_DISP_E_EXCEPTION;
  }
  base = lua_gettop(L) - 2;   /* below the message handler and the error */
  handle_error(L, c.s, cb, base + 2);
  lua_settop(L, base);
  running_pop(L, c.s, depth);
  return hr;
}

int ca_ldispatch(lua_State *caller, ca_lstate *s, int max) {
  lua_State *L = s->L;
  batch_ctx b;
  b.c.batch = 1;
  b.c.s = s;
  b.hub = s->hub;
  b.have = 0;
  b.max = max;
  b.done = 0;
  ca_hub_begin(b.hub, &b.run);
  /* nothing to deliver: no protected call (a hook's error, such as the
     interpreter's Ctrl-C, then reaches the caller, not a swallowing pcall);
     no stack space: the reports stay queued for a later dispatch */
  while (max != 0 && ca_hub_pending(b.hub) > 0 && lua_checkstack(L, 6)) {
    int base;
    push_fn(L, s, FN_MSGH, msgh);
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->trampoline_ref);
    lua_pushlightuserdata(L, &b);
    if (lua_pcall(L, 1, 0, -3) == LUA_OK) {
      lua_pop(L, 1);
      break;
    }
    base = lua_gettop(L) - 2;   /* below the message handler and the error */
    if (!b.have) {   /* not a handler's error: the caller's to see */
      lua_replace(L, base + 1);
      ca_hub_end(b.hub, &b.run);
      if (caller != L) lua_xmove(L, caller, 1);
      return lua_error(caller);
    }
    handle_error(L, s, b.c.obj, base + 2);
    lua_settop(L, base);
    if (b.depth >= 0) running_pop(L, s, b.depth);
    b.have = 0;
    ca_hub_done(b.hub, &b.r);
    b.done++;
  }
  ca_hub_end(b.hub, &b.run);
  return b.done;
}
