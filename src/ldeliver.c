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
#include <stdio.h>

#include "hresult.h"
#include "lcommon.h"

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

/*
** Upvalues: 1 live table, 2 intern table.
** Arguments: 1 object, 2 status, 3 buffer or nil, 4 length, 5 final.
** Returns the HRESULT for the caller, or nothing when the object has no
** proxy any more (it was disconnected while the report was on its way).
*/
static int trampoline(lua_State *L) {
  ca_callback *obj = lua_touserdata(L, 1);
  uint32_t hr = 0;
  if (lua_rawgetp(L, lua_upvalueindex(1), obj) != LUA_TUSERDATA) return 0;
  lua_getiuservalue(L, 6, 1);
  ca_lhr_push_interned(L, lua_upvalueindex(2),
                       (uint32_t)lua_tointeger(L, 2));
  if (lua_isnil(L, 3))
    lua_pushnil(L);
  else
    lua_pushlstring(L, lua_touserdata(L, 3), (size_t)lua_tointeger(L, 4));
  lua_pushvalue(L, 5);
  atomic_fetch_add_explicit(&obj->stats.delivered, 1, memory_order_relaxed);
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
  lua_pushinteger(L, (lua_Integer)hr);
  return 1;
}

/*
** Protected: 1 object, 2 message. Calls on_error(message, proxy) with a
** traceback handler, or writes the message to stderr.
*/
static int route_error(lua_State *L) {
  ca_callback *obj = lua_touserdata(L, 1);
  ca_lstate *s = ca_lstate_get(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, s->live_ref);
  if (lua_rawgetp(L, -1, obj) == LUA_TUSERDATA &&
      lua_getiuservalue(L, -1, 2) != LUA_TNIL) {
    int proxy = lua_gettop(L) - 1;
    lua_pushcfunction(L, msgh);
    lua_insert(L, -2);
    lua_pushvalue(L, 2);
    lua_pushvalue(L, proxy);
    if (lua_pcall(L, 2, 0, -4) != LUA_OK) {
      fprintf(stderr, "customaction: on_error of callback '%s' raised: %s\n"
              "  while handling: %s\n", obj->name, lua_tostring(L, -1),
              lua_tostring(L, 2));
      fflush(stderr);
    }
    return 0;
  }
  fprintf(stderr, "customaction: callback '%s': %s\n", obj->name,
          lua_tostring(L, 2));
  fflush(stderr);
  return 0;
}

static void handle_error(lua_State *L, ca_callback *obj, int msg) {
  atomic_fetch_add_explicit(&obj->stats.errors, 1, memory_order_relaxed);
  if (lua_type(L, msg) != LUA_TSTRING) {  /* only a memory error does this */
    lua_pushliteral(L, "not enough memory");
    lua_replace(L, msg);
  }
  lua_pushcfunction(L, route_error);
  lua_pushlightuserdata(L, obj);
  lua_pushvalue(L, msg);
  if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
    fprintf(stderr, "customaction: callback '%s': %s\n", obj->name,
            lua_tostring(L, msg));
    fflush(stderr);
  }
}

HRESULT ca_ldeliver(ca_hub *hub, ca_callback *cb, HRESULT status, int final,
                    const BYTE *buf, DWORD len, int queued) {
  ca_lstate *s = hub->binding;
  lua_State *L = s->L;
  HRESULT hr;
  int base, r;
  (void)queued;
  if (!lua_checkstack(L, 12))
    return ca_callback_refuse(cb, CA_REFUSED_NO_MEMORY);
  base = lua_gettop(L);
  lua_pushcfunction(L, msgh);
  lua_rawgeti(L, LUA_REGISTRYINDEX, s->trampoline_ref);
  lua_pushlightuserdata(L, cb);
  lua_pushinteger(L, (lua_Integer)(uint32_t)status);
  if (buf != NULL) lua_pushlightuserdata(L, (void *)buf); else lua_pushnil(L);
  lua_pushinteger(L, (lua_Integer)len);
  lua_pushboolean(L, final);
  r = lua_pcall(L, 5, 1, base + 1);
  if (r == LUA_OK) {
    if (lua_isnil(L, -1)) {
      hr = ca_callback_refuse(cb, CA_REFUSED_CLOSED);
    } else {
      hr = (HRESULT)(uint32_t)lua_tointeger(L, -1);
      if (WPF_FAILED(hr))
        atomic_fetch_add_explicit(&cb->stats.failures, 1,
                                  memory_order_relaxed);
    }
  } else {
    handle_error(L, cb, base + 2);
    hr = r == LUA_ERRMEM ? CA_E_OUTOFMEMORY : CA_DISP_E_EXCEPTION;
  }
  lua_settop(L, base);
  return hr;
}

void ca_ldeliver_open(lua_State *L, ca_lstate *s) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, s->live_ref);
  lua_rawgeti(L, LUA_REGISTRYINDEX, s->intern_ref);
  lua_pushcclosure(L, trampoline, 2);
  s->trampoline_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}
