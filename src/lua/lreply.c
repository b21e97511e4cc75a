/*
** lreply.c: customaction.reply, the handle a provider's action answers
** through. It holds one reference to its request (and so to the native
** callback until the final report) and one to the provider; its user
** values are the provider's proxy and the on_cancel hook (no table per
** reply: one is made for every call). A reply collected before its final
** report ends the operation with RPC_E_DISCONNECTED, so a native caller
** never waits for ever.
**
** A RunCustomAction's reply is made light: without a finaliser, its
** request and provider borrowed from the request running now. Most
** actions answer inside the call, and a finaliser per reply (its
** registration, the collector's finaliser pass, the call) was about 600
** of a round trip's 5000 instructions. A light reply carries the run it
** belongs to (the state's light_gen, which lprovider.c moves on when that
** request's run ends, however it ends, error included), and every use
** checks it first: a reply the script kept past its run never touches
** the borrowed pointers again and reads as ended (its name copied, its
** args in a user value, done). If the action returns with the request
** still open, the reply is promoted instead: it takes its references and
** the finalising metatable, as any reply.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <string.h>

#include "hresult.h"
#include "lcommon.h"
#include "provider.h"

/* The light metatable: the reply's without __gc, under its own name in
   the registry (its __name is the reply's). */
#define LIGHT_MT CA_REPLY_MT " (light)"

/* A light reply whose run has ended (lprovider.c moved s->light_gen on)
   reads as ended from then on: its borrowed pointers are never used
   again. */
static ca_lreply *settle(ca_lreply *rp) {
  if (rp->light && rp->gen != rp->s->light_gen) {
    rp->light = 0;
    rp->ended = 1;
    rp->r = NULL;
    rp->p = NULL;
  }
  return rp;
}

static ca_lreply *checkreply(lua_State *L, int arg) {
  ca_lreply *rp = luaL_testudata(L, arg, LIGHT_MT);
  return settle(rp != NULL ? rp : luaL_checkudata(L, arg, CA_REPLY_MT));
}

/* checkreply for the methods, whose upvalues 3 and 1 are the light and the
   finalising metatable, and __gc (upvalue 1): no registry lookup on the
   path every action takes. */
static ca_lreply *method_self(lua_State *L) {
  if (lua_getmetatable(L, 1)) {
    int ours = lua_rawequal(L, -1, lua_upvalueindex(3)) ||
               lua_rawequal(L, -1, lua_upvalueindex(1));
    lua_pop(L, 1);
    if (ours) return settle(lua_touserdata(L, 1));
  }
  return checkreply(L, 1);
}

/* args: a light reply's, read once its run has ended */
enum { UV_PROVIDER = 1, UV_ON_CANCEL, UV_ARGS, NUV = UV_ARGS };

/* extra: bytes after the reply, a light reply's name */
static ca_lreply *new_reply(lua_State *L, int proxy, int mt, size_t extra) {
  ca_lreply *rp;
  proxy = lua_absindex(L, proxy);
  mt = lua_absindex(L, mt);
  rp = lua_newuserdatauv(L, sizeof *rp + extra, NUV);
  memset(rp, 0, sizeof *rp);
  lua_pushvalue(L, mt);
  lua_setmetatable(L, -2);
  lua_pushvalue(L, proxy);
  lua_setiuservalue(L, -2, UV_PROVIDER);
  return rp;
}

/* Pushes a new reply for r (ca_lreply_list lists it for cancelling); mt
   the reply metatable's index. */
void ca_lreply_push(lua_State *L, int proxy, int mt, ca_provider *p,
                    ca_preq *r) {
  ca_lreply *rp = new_reply(L, proxy, mt, 0);
  ca_preq_retain(r);
  ca_provider_addref(p);
  rp->r = r;
  rp->p = p;
}

/* Pushes a light reply for r, whose run is the state's light_gen now; mt
   the light metatable's index, args that of the action's argument. */
void ca_lreply_push_light(lua_State *L, int proxy, int mt, int args,
                          ca_provider *p, ca_preq *r) {
  const char *name = ca_preq_name(r);
  size_t len = strlen(name);
  ca_lreply *rp;
  args = lua_absindex(L, args);
  rp = new_reply(L, proxy, mt, len + 1);
  memcpy(rp->name, name, len + 1);
  lua_pushvalue(L, args);
  lua_setiuservalue(L, -2, UV_ARGS);
  rp->r = r;
  rp->p = p;
  rp->s = ca_provider_binding(p);
  rp->gen = rp->s->light_gen;
  rp->light = 1;
}

/*
** The action of the light reply at idx has returned. Its request ended:
** the reply notes whether it was cancelled, and reads as ended once the
** run moves light_gen on. Still open: the reply takes its own references
** and the finalising metatable (at mt), as any reply's. Allocates nothing.
*/
void ca_lreply_action_returned(lua_State *L, int idx, int mt) {
  ca_lreply *rp = lua_touserdata(L, idx);
  if (!rp->light) return;
  if (ca_preq_done(rp->r)) {
    rp->cancelled = (unsigned char)ca_preq_cancelled(rp->r);
    return;
  }
  idx = lua_absindex(L, idx);
  ca_preq_retain(rp->r);
  ca_provider_addref(rp->p);
  rp->light = 0;
  lua_pushvalue(L, mt);
  lua_setmetatable(L, idx);
}

/* The run of the request with a light reply ends, however it ends: that
   reply, wherever the script kept it, reads as ended from now on, and the
   next request may have one. */
void ca_lreply_end_run(ca_lstate *s) {
  s->light_busy = 0;
  s->light_gen++;
}

/* Lists the reply at idx in the provider's replies table (weak values:
   request -> reply), where cancelling and closing find it. */
void ca_lreply_list(lua_State *L, int proxy, int idx, ca_preq *r) {
  idx = lua_absindex(L, idx);
  ca_lprovider_field(L, proxy, "replies");
  lua_pushvalue(L, idx);
  lua_rawsetp(L, -2, r);
  lua_pop(L, 1);
}

/* Pushes the reply's on_cancel hook, or nil. */
int ca_lreply_on_cancel(lua_State *L, int idx) {
  return lua_getiuservalue(L, idx, UV_ON_CANCEL);
}

/* The HRESULT a method returns, through the intern table in its second
   upvalue. */
static void push_hr(lua_State *L, HRESULT hr) {
  ca_lhr_push_interned(L, lua_upvalueindex(2), (uint32_t)hr);
}

/***
Replies of protocol managers written in Lua.
@module customaction
*/

/***
The handle an action answers through (`customaction.reply`). Fields:
`name`, `args`, `shape` (`"v1"` for RunCustomAction, `"v2"` for a
registration), `cancelled` (true once unregistered or shut down), `done`
(the final report was made). Setting `reply.on_cancel = function(reply)`
installs a hook that runs when a native caller unregisters, before the
final E_ABORT report. A reply collected before its final report sends a
final RPC_E_DISCONNECTED.
@type reply
*/

static HRESULT reply_report(lua_State *L, ca_lreply *rp, int final) {
  HRESULT status = rp->p != NULL
    ? (HRESULT)ca_lhr_check_s(L, ca_provider_binding(rp->p), 2)
    : (HRESULT)ca_lhr_check(L, 2);
  size_t len = 0;
  const char *buf = luaL_optlstring(L, 3, NULL, &len);
  luaL_argcheck(L, len <= 0xFFFFFFFFu, 3, "response longer than 4 GiB");
  if (rp->r == NULL || ca_preq_done(rp->r)) return CA_E_ILLEGAL_METHOD_CALL;
  return ca_preq_report(rp->p, rp->r, status, final, (const BYTE *)buf,
                        (DWORD)len);
}

/***
Calls the native callback's ReportResult. A v1 reply's report is always
the final one; after the final report the native callback is released.
@function reply:send
@param status anything `hresult` accepts
@tparam[opt] string response the bytes (nil sends a NULL buffer)
@tparam[opt] boolean final fFinalResponse
@treturn hresult what ReportResult returned, or E_ILLEGAL_METHOD_CALL
after the final report (the callback is not called)
*/
static int rp_send(lua_State *L) {
  ca_lreply *rp = method_self(L);
  push_hr(L, reply_report(L, rp, lua_toboolean(L, 4)));
  return 1;
}

/***
Sends the final report: `reply:send(status, response, true)`.
@function reply:finish
@param status anything `hresult` accepts
@tparam[opt] string response the bytes
@treturn hresult what ReportResult returned
*/
static int rp_finish(lua_State *L) {
  ca_lreply *rp = method_self(L);
  push_hr(L, reply_report(L, rp, 1));
  return 1;
}

static const luaL_Reg reply_methods[] = {
  {"send", rp_send},
  {"finish", rp_finish},
  {NULL, NULL}
};

/* The methods are looked up first, before the reply is even checked:
   reply:finish(...) is what every action does. */
static int rp_index(lua_State *L) {
  ca_lreply *rp;
  const char *k;
  ca_preq *r;
  lua_settop(L, 2);
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
  lua_pop(L, 1);
  rp = checkreply(L, 1);
  k = luaL_checkstring(L, 2);
  r = rp->r;
  if (strcmp(k, "on_cancel") == 0) {
    lua_getiuservalue(L, 1, UV_ON_CANCEL);
  } else if (strcmp(k, "provider") == 0) {
    lua_getiuservalue(L, 1, UV_PROVIDER);
  } else if (rp->ended) {   /* a RunCustomAction's, ended and let go */
    if (strcmp(k, "name") == 0) lua_pushstring(L, rp->name);
    else if (strcmp(k, "args") == 0) lua_getiuservalue(L, 1, UV_ARGS);
    else if (strcmp(k, "shape") == 0) lua_pushliteral(L, "v1");
    else if (strcmp(k, "cancelled") == 0) lua_pushboolean(L, rp->cancelled);
    else if (strcmp(k, "done") == 0) lua_pushboolean(L, 1);
    else lua_pushnil(L);
  } else if (r == NULL) {
    lua_pushnil(L);
  } else if (strcmp(k, "name") == 0) {
    lua_pushstring(L, ca_preq_name(r));
  } else if (strcmp(k, "args") == 0) {
    size_t len;
    const char *args = ca_preq_args(r, &len);
    if (args != NULL) lua_pushlstring(L, args, len);
    else lua_pushnil(L);
  } else if (strcmp(k, "shape") == 0) {
    lua_pushstring(L, ca_preq_kind(r) == CA_PREQ_RUN ? "v1" : "v2");
  } else if (strcmp(k, "cancelled") == 0) {
    lua_pushboolean(L, ca_preq_cancelled(r));
  } else if (strcmp(k, "done") == 0) {
    lua_pushboolean(L, ca_preq_done(r));
  } else {
    lua_pushnil(L);
  }
  return 1;
}

static int rp_newindex(lua_State *L) {
  checkreply(L, 1);
  if (lua_type(L, 2) != LUA_TSTRING || strcmp(lua_tostring(L, 2),
                                              "on_cancel") != 0)
    return luaL_error(L, "a reply has one settable field, on_cancel "
                      "(got '%s')", luaL_tolstring(L, 2, NULL));
  if (!lua_isnil(L, 3)) luaL_checktype(L, 3, LUA_TFUNCTION);
  lua_settop(L, 3);
  lua_setiuservalue(L, 1, UV_ON_CANCEL);
  return 0;
}

static int rp_gc(lua_State *L) {
  ca_lreply *rp = method_self(L);
  ca_preq *r = rp->r;
  ca_provider *p = rp->p;
  if (r == NULL) return 0;
  rp->r = NULL;
  rp->p = NULL;
  if (!ca_preq_done(r)) ca_preq_report(p, r, CA_RPC_E_DISCONNECTED, 1, NULL, 0);
  ca_preq_release(r);
  ca_provider_release(p);
  return 0;
}

static int rp_tostring(lua_State *L) {
  ca_lreply *rp = checkreply(L, 1);
  if (rp->ended)
    lua_pushfstring(L, "customaction.reply '%s' (v1, done%s): %p", rp->name,
                    rp->cancelled ? ", cancelled" : "", lua_topointer(L, 1));
  else if (rp->r == NULL)
    lua_pushliteral(L, "customaction.reply (released)");
  else
    lua_pushfstring(L, "customaction.reply '%s' (%s%s%s): %p",
                    ca_preq_name(rp->r),
                    ca_preq_kind(rp->r) == CA_PREQ_RUN ? "v1" : "v2",
                    ca_preq_done(rp->r) ? ", done" : "",
                    ca_preq_cancelled(rp->r) ? ", cancelled" : "",
                    (void *)rp->r);
  return 1;
}

static const luaL_Reg reply_meta[] = {
  {"__newindex", rp_newindex},
  {"__gc", rp_gc},
  {"__tostring", rp_tostring},
  {NULL, NULL}
};

/* The finalising metatable (CA_REPLY_MT) and the light one (LIGHT_MT):
   the same but for __gc. */
void ca_lreply_open(lua_State *L) {
  static const char *const shared[] = {"__index", "__newindex", "__tostring",
                                       "__name"};
  size_t i;
  luaL_newmetatable(L, CA_REPLY_MT);
  lua_pushvalue(L, -1);
  luaL_setfuncs(L, reply_meta, 1);   /* upvalue: the mt (method_self) */
  luaL_newmetatable(L, LIGHT_MT);
  lua_createtable(L, 0, (int)(sizeof reply_methods / sizeof *reply_methods) - 1);
  lua_pushvalue(L, -3);
  lua_rawgeti(L, LUA_REGISTRYINDEX, ca_lstate_get(L)->intern_ref);
  lua_pushvalue(L, -4);
  /* upvalues: the mt, the intern table, the light mt */
  luaL_setfuncs(L, reply_methods, 3);
  lua_pushcclosure(L, rp_index, 1);
  lua_setfield(L, -3, "__index");
  for (i = 0; i < sizeof shared / sizeof *shared; i++) {
    lua_getfield(L, -2, shared[i]);
    lua_setfield(L, -2, shared[i]);
  }
  lua_pop(L, 2);
}

/* Pushes the light metatable. */
void ca_lreply_light_mt(lua_State *L) { luaL_getmetatable(L, LIGHT_MT); }
