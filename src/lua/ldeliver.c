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
** The three C functions a delivery pushes. 5.2 and later push light C
** functions, which never allocate; on 5.1 and LuaJIT pushing one makes a
** closure, so ca_ldeliver_open makes each once and delivery fetches it
** from the registry.
*/
enum { FN_MSGH, FN_TRAMPOLINE, FN_ROUTE };

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

/* One report on its way to a handler; lives on the C stack. */
typedef struct report_ctx {
  ca_lstate *s;
  ca_callback *obj;
  uint32_t status;
  const BYTE *buf;
  DWORD len;
  int final;
  int found;          /* the object still has a handler */
  uint32_t result;
} report_ctx;

/* Pushes the interned status, through a one-value cache in the registry. */
static void push_status(lua_State *L, ca_lstate *s, uint32_t v) {
  if (s->status_cached && s->status_value == v) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->status_ref);
    return;
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, s->intern_ref);
  ca_lhr_push_interned(L, -1, v);
  lua_remove(L, -2);
  lua_pushvalue(L, -1);
  lua_rawseti(L, LUA_REGISTRYINDEX, s->status_ref);  /* an existing slot */
  s->status_value = v;
  s->status_cached = 1;
}

/*
** The protected part of a delivery, a light C function: 1 the report.
** Everything that may allocate or raise happens here: the status value,
** the response string, the handler, and the check of its return value.
*/
static int trampoline(lua_State *L) {
  report_ctx *c = lua_touserdata(L, 1);
  ca_lstate *s = c->s;
  uint32_t hr = 0;
  lua_rawgeti(L, LUA_REGISTRYINDEX, s->handlers_ref);
  if (lua_rawgeti(L, 2, (lua_Integer)ca_callback_user(c->obj)) == LUA_TNIL) return 0;
  c->found = 1;
  push_status(L, s, c->status);
  if (c->buf == NULL)
    lua_pushnil(L);
  else
    lua_pushlstring(L, (const char *)c->buf, c->len);
  lua_pushboolean(L, c->final);
  ca_callback_count(c->obj, CA_COUNT_DELIVERED);
  lua_call(L, 3, 1);
  switch (lua_type(L, -1)) {
    case LUA_TNIL:
      break;
    case LUA_TBOOLEAN:
      if (!lua_toboolean(L, -1)) hr = (uint32_t)CA_E_FAIL;
      break;
    case LUA_TNUMBER:
    case LUA_TUSERDATA:
      if (ca_lhr_to(L, -1, &hr)) break;
      /* FALLTHROUGH */
    default:
      return luaL_error(L, "handler returned a %s value; expected nothing, "
                        "a boolean, an integer HRESULT or an HRESULT value",
                        luaL_typename(L, -1));
  }
  c->result = hr;
  return 0;
}

/*
** Protected: 1 object, 2 message, 3 the proxy as it was when the report
** began (nil if there was none), so that a handler which closed its own
** callback before raising still reaches its on_error. Calls
** on_error(message, proxy) with a traceback handler, or writes the
** message to stderr.
*/
static int route_error(lua_State *L) {
  ca_callback *obj = lua_touserdata(L, 1);
  ca_lstate *s = ca_lstate_get(L);
  if (lua_type(L, 3) == LUA_TUSERDATA && lua_getiuservalue(L, 3, 2) != LUA_TNIL) {
    push_fn(L, s, FN_MSGH, msgh);
    lua_insert(L, -2);
    lua_pushvalue(L, 2);
    lua_pushvalue(L, 3);
    if (lua_pcall(L, 2, 0, -4) != LUA_OK) {
      fprintf(stderr, "customaction: on_error of callback '%s' raised: %s\n"
              "  while handling: %s\n", ca_callback_name(obj), lua_tostring(L, -1),
              lua_tostring(L, 2));
      fflush(stderr);
    }
    return 0;
  }
  fprintf(stderr, "customaction: callback '%s': %s\n", ca_callback_name(obj),
          lua_tostring(L, 2));
  fflush(stderr);
  return 0;
}

void ca_ldeliver_open(lua_State *L, ca_lstate *s) {
#if LUA_VERSION_NUM < 502
  static const lua_CFunction fns[] = {msgh, trampoline, route_error};
  int i;
  for (i = 0; i < 3; i++) {
    lua_pushcfunction(L, fns[i]);
    s->deliver_refs[i] = luaL_ref(L, LUA_REGISTRYINDEX);
  }
#else
  (void)L;
  (void)s;
#endif
}

static void handle_error(lua_State *L, ca_lstate *s, ca_callback *obj,
                         int proxy, int msg) {
  ca_callback_count(obj, CA_COUNT_ERRORS);
  if (lua_type(L, msg) != LUA_TSTRING) {  /* only a memory error does this */
    lua_pushliteral(L, "not enough memory");
    lua_replace(L, msg);
  }
  push_fn(L, s, FN_ROUTE, route_error);
  lua_pushlightuserdata(L, obj);
  lua_pushvalue(L, msg);
  lua_pushvalue(L, proxy);
  if (lua_pcall(L, 3, 0, 0) != LUA_OK) {
    fprintf(stderr, "customaction: callback '%s': %s\n", ca_callback_name(obj),
            lua_tostring(L, msg));
    fflush(stderr);
  }
}

HRESULT ca_ldeliver(ca_hub *hub, ca_callback *cb, HRESULT status, int final,
                    const BYTE *buf, DWORD len) {
  report_ctx c;
  lua_State *L;
  HRESULT hr;
  int base, r;
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
  base = lua_gettop(L);
  /* the proxy, held for on_error: the handler may close it (no allocation) */
  lua_rawgeti(L, LUA_REGISTRYINDEX, c.s->live_ref);
  lua_rawgetp(L, -1, cb);
  lua_remove(L, -2);
  push_fn(L, c.s, FN_MSGH, msgh);
  push_fn(L, c.s, FN_TRAMPOLINE, trampoline);
  lua_pushlightuserdata(L, &c);
  r = lua_pcall(L, 1, 0, base + 2);
  if (r == LUA_OK) {
    if (!c.found) {
      hr = ca_callback_refuse(cb, CA_REFUSED_CLOSED);
    } else {
      hr = (HRESULT)c.result;
      if (WPF_FAILED(hr)) ca_callback_count(cb, CA_COUNT_FAILURES);
    }
  } else {
    handle_error(L, c.s, cb, base + 1, base + 3);
    hr = r == LUA_ERRMEM ? CA_E_OUTOFMEMORY : CA_DISP_E_EXCEPTION;
  }
  lua_settop(L, base);
  return hr;
}
