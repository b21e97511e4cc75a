/*
** lcallback.c: the Lua proxy of a callback object, customaction.callback.
** The proxy holds references to the C object; the object never points
** back at Lua memory. While native code may hold the object (its pointer
** left Lua through interface() or an issuer), the proxy sits in the
** anchors table so its handler stays reachable; each GC cycle drops the
** anchors no native holder needs, so a handler that closes over its own
** callback is collected once native code lets go. A proxy that is
** collected while native references remain (a pointer that left some
** other way) is resurrected and anchored by its __gc as a last resort.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "alloc.h"
#include <stdlib.h>
#include <string.h>

#include "hresult.h"
#include "lcommon.h"

static ca_lcallback *checkopen(lua_State *L, int arg) {
  ca_lcallback *p = luaL_checkudata(L, arg, CA_CALLBACK_MT);
  if (p->obj == NULL)
    luaL_argerror(L, arg, "callback is closed");
  return p;
}

ca_lcallback *ca_lcallback_check(lua_State *L, int arg) {
  return checkopen(L, arg);
}

ca_lcallback *ca_lcallback_checkorwrap(lua_State *L, int arg) {
  arg = lua_absindex(L, arg);
  if (lua_isfunction(L, arg)) {
    lua_pushcfunction(L, ca_lcallback_new);
    lua_pushvalue(L, arg);
    lua_call(L, 1, 1);
    lua_replace(L, arg);
  } else if (!luaL_testudata(L, arg, CA_CALLBACK_MT)) {
    luaL_typeerror(L, arg, "customaction.callback or function");
  }
  return checkopen(L, arg);
}

static int callable(lua_State *L, int idx) {
  if (lua_isfunction(L, idx)) return 1;
  if (luaL_getmetafield(L, idx, "__call") == LUA_TNIL) return 0;
  lua_pop(L, 1);
  return 1;
}

/* Expects the proxy at idx; sets t[key] = value in the registry table. */
static void settable_ref(lua_State *L, int ref, int proxy, const void *key,
                         int set) {
  proxy = lua_absindex(L, proxy);
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
  if (key != NULL) {
    if (set) lua_pushvalue(L, proxy); else lua_pushnil(L);
    lua_rawsetp(L, -2, key);
  } else {
    lua_pushvalue(L, proxy);
    if (set) lua_pushboolean(L, 1); else lua_pushnil(L);
    lua_rawset(L, -3);
  }
  lua_pop(L, 1);
}

/* Handler keys: small integers, so the hot path looks handlers up in an
   array part. A key returns to the free list when its proxy closes. */
static int alloc_key(ca_lstate *s) {
  if (s->nfree > 0) return s->free_keys[--s->nfree];
  return s->next_key++;
}

static void free_key(ca_lstate *s, int key) {
  if (s->hub == NULL) return;  /* lua_close: the record is already gone */
  if (s->nfree == s->capfree) {
    int cap = s->capfree ? s->capfree * 2 : 16;
    int *k = ca_realloc(s->free_keys, (size_t)cap * sizeof *k);
    if (k == NULL) return;  /* the key is simply not reused */
    s->free_keys = k;
    s->capfree = cap;
  }
  s->free_keys[s->nfree++] = key;
}

/* The handler's key, kept in the object's user word. */
static int key_of(const ca_callback *obj) {
  return (int)ca_callback_user(obj);
}

static void set_handler(lua_State *L, ca_lstate *s, int key, int handler) {
  handler = lua_absindex(L, handler);
  lua_rawgeti(L, LUA_REGISTRYINDEX, s->handlers_ref);
  lua_pushvalue(L, handler);
  lua_rawseti(L, -2, key);
  lua_pop(L, 1);
}

static void drop_kept(ca_lcallback *p) {
  if (p->kept != NULL) ca_callback_unkeep(p->kept);
  p->kept = NULL;
}

/* Lets go of the object: no more deliveries, every held reference released. */
static ULONG close_proxy(lua_State *L, ca_lstate *s, int idx,
                         ca_lcallback *p) {
  ca_callback *obj = p->obj;
  ULONG left = 0;
  int n = p->held;
  idx = lua_absindex(L, idx);
  ca_callback_disconnect(obj);
  /* nil stores never allocate; a proxy whose handler runs now stays in
     the live table until that delivery ends (ldeliver.c) */
  if (!ca_ldeliver_defer_close(s, obj))
    settable_ref(L, s->live_ref, idx, obj, 0);
  settable_ref(L, s->anchors_ref, idx, NULL, 0);
  lua_pushnil(L);
  set_handler(L, s, key_of(obj), -1);
  lua_pop(L, 1);
  free_key(s, key_of(obj));
  p->obj = NULL;
  p->held = 0;
  if (p->kept == NULL) {   /* stats and the name stay readable */
    ca_callback_keep(obj);
    p->kept = obj;
  }
  while (n-- > 0) left = ca_callback_release(obj);
  return left;
}

static const char *const option_names[] = {
  "name", "on_error", "max_response", "reuse", NULL
};

static void check_options(lua_State *L, int opts) {
  lua_pushnil(L);
  while (lua_next(L, opts)) {
    int i, known = 0;
    if (lua_type(L, -2) == LUA_TSTRING)
      for (i = 0; option_names[i]; i++)
        if (strcmp(lua_tostring(L, -2), option_names[i]) == 0) known = 1;
    if (!known)
      luaL_argerror(L, opts, lua_pushfstring(L, "unknown option '%s' "
                    "(expected name, on_error, max_response, reuse)",
                    luaL_tolstring(L, -2, NULL)));
    lua_pop(L, 1);
  }
}

/***
Callback objects: a Lua function behind ICustomActionResultCallback and
ICustomAction2ResultCallback.
@module customaction
*/

/***
Callbacks.
@section callbacks
*/

/***
Makes a callback object whose reports run `handler`.
`handler(status, response, final)` gets the report's HRESULT value, the
response bytes as a string (nil for a NULL buffer) and `fFinalResponse`
(true for every v1 report). Its return value becomes ReportResult's:
nothing, nil or true give S_OK, false E_FAIL, an HRESULT value or an
integer that HRESULT; anything else, and any error, DISP_E_EXCEPTION (the
error goes to `on_error`, or to stderr). A report made on another thread
is queued and delivered by `dispatch` or `wait`.
@function callback
@tparam function handler a function or callable object
@tparam[opt] table opts `name` (string, shown by tostring and in errors),
`on_error` (`function(message, cb)`, called with a traceback), `max_response`
(largest response in bytes, default 16 MiB), `reuse` (accept reports after
a final one, default false). Unknown keys are an error.
@treturn callback
@usage local cb = ca.callback(function(status, response, final)
  print(status.name, response, final)
end, { name = "counters" })
*/
int ca_lcallback_new(lua_State *L) {
  ca_lstate *s = ca_lstate_get(L);
  const char *name = "callback";
  lua_Integer max = CA_DEFAULT_MAX_RESPONSE;
  int reuse = 0;
  size_t len;
  ca_lcallback *p;
  if (!callable(L, 1))
    luaL_typeerror(L, 1, "function or callable object");
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    check_options(L, 2);
    lua_getfield(L, 2, "name");
    if (!lua_isnil(L, -1)) {
      if (lua_type(L, -1) != LUA_TSTRING)
        luaL_argerror(L, 2, "option 'name' must be a string");
      name = lua_tolstring(L, -1, &len);
      if (strlen(name) != len)   /* C keeps the name: it would be cut */
        luaL_argerror(L, 2, "option 'name' must not hold a NUL byte");
    }
    lua_getfield(L, 2, "on_error");
    if (!lua_isnil(L, -1) && !callable(L, -1))
      luaL_argerror(L, 2, "option 'on_error' must be a function");
    lua_getfield(L, 2, "max_response");
    if (!lua_isnil(L, -1))
      max = (lua_Integer)ca_lcheckint(L, -1, 2, "option ", &ca_range_max_response);
    lua_getfield(L, 2, "reuse");
    reuse = lua_toboolean(L, -1);
    lua_pop(L, 2);   /* keep name and on_error on the stack */
  } else {
    lua_settop(L, 1);
    lua_pushnil(L);  /* stand-ins for name and on_error */
    lua_pushnil(L);
  }
  p = lua_newuserdatauv(L, sizeof *p, 2);
  p->obj = NULL;
  p->held = 0;
  p->kept = NULL;
  luaL_setmetatable(L, CA_CALLBACK_MT);
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, -2, 1);
  lua_pushvalue(L, -2);          /* on_error, or nil */
  lua_setiuservalue(L, -2, 2);
  p->obj = ca_callback_new(s->hub, name, (DWORD)max, reuse);
  if (p->obj == NULL) return luaL_error(L, "not enough memory");
  p->held = 1;
  ca_callback_set_user(p->obj, alloc_key(s));
  settable_ref(L, s->live_ref, -1, p->obj, 1);
  set_handler(L, s, key_of(p->obj), 1);
  return 1;
}

void ca_lcallback_expose(lua_State *L, int idx) {
  ca_lstate *s = ca_lstate_get(L);
  settable_ref(L, s->anchors_ref, lua_absindex(L, idx), NULL, 1);
}

static int push_report(lua_State *L, ca_lcallback *p, int v1) {
  ca_callback *obj = p->obj;
  HRESULT status = (HRESULT)ca_lhr_check(L, 2);
  size_t len = 0;
  const char *buf = NULL;
  int final = v1 ? 1 : lua_toboolean(L, 4);
  int size_arg = v1 ? 4 : 5;
  HRESULT hr;
  if (!lua_isnoneornil(L, 3)) buf = luaL_checklstring(L, 3, &len);
  if (!lua_isnoneornil(L, size_arg)) {
    /* a stated size lets specs send what a careless native caller would:
       a NULL buffer with a size, or fewer bytes than the string holds */
    int64_t n = ca_lcheckint(L, size_arg, size_arg, "", &ca_range_report_size);
    luaL_argcheck(L, buf == NULL || (size_t)n <= len, size_arg,
                  "size exceeds the response string's length");
    len = (size_t)n;
  }
  luaL_argcheck(L, len <= 0xFFFFFFFFu, 3, "response longer than 4 GiB");
  /* our own reference: the handler may close this proxy mid-call */
  ca_callback_addref(obj);
  if (v1) {
    ICustomActionResultCallback *i = ca_callback_v1(obj);
    hr = i->lpVtbl->ReportResult(i, status, (BYTE *)buf, (DWORD)len);
  } else {
    ICustomAction2ResultCallback *i = ca_callback_v2(obj);
    hr = i->lpVtbl->ReportResult(i, status, final, (BYTE *)buf, (DWORD)len);
  }
  ca_callback_release(obj);
  ca_lhr_push(L, (uint32_t)hr);
  return 1;
}

/***
A callback object (`customaction.callback`). It carries a v1 and a v2
interface pointer with one reference count; the proxy holds one reference
until it is closed or collected. Printing one shows its name, reference
count and report counters.
@type callback
*/

/***
Calls ReportResult through the v2 vtable, exactly as native code would.
@function callback:report
@param status anything `hresult` accepts
@tparam[opt] string response the bytes; nil sends a NULL buffer
@tparam[opt] boolean final fFinalResponse
@tparam[opt] int size send only the first `size` bytes, or with a nil
response a NULL buffer of that size (what a careless caller sends)
@treturn hresult what ReportResult returned: the handler's result, S_OK for
a queued report, or a refusal (E_POINTER, E_ILLEGAL_METHOD_CALL,
RPC_E_DISCONNECTED, RPC_E_SERVERCALL_RETRYLATER, E_OUTOFMEMORY, or
HRESULT_FROM_WIN32(ERROR_MESSAGE_EXCEEDS_MAX_SIZE))
*/
static int cb_report(lua_State *L) {
  return push_report(L, checkopen(L, 1), 0);
}

/***
Calls ReportResult through the v1 vtable; a v1 report is always final.
@function callback:report_v1
@param status anything `hresult` accepts
@tparam[opt] string response the bytes; nil sends a NULL buffer
@tparam[opt] int size as for `callback:report`
@treturn hresult what ReportResult returned
*/
static int cb_report_v1(lua_State *L) {
  return push_report(L, checkopen(L, 1), 1);
}

/***
The interface pointer to hand to native code. The pointer is borrowed:
native code that keeps it must AddRef it before Lua's next collection
cycle, or the script keeps `cb` until it has; otherwise a collection may
free the object. Once native code holds a reference the proxy stays
reachable and the handler keeps running (docs/reliability.md).
@function callback:interface
@tparam[opt="v2"] string shape `"v1"` (ICustomActionResultCallback) or
`"v2"` (ICustomAction2ResultCallback)
@treturn lightuserdata
*/
static int cb_interface(lua_State *L) {
  static const char *const kinds[] = {"v1", "v2", NULL};
  ca_lcallback *p = checkopen(L, 1);
  int k = luaL_checkoption(L, 2, "v2", kinds);
  ca_lcallback_expose(L, 1);
  if (k == 0) lua_pushlightuserdata(L, ca_callback_v1(p->obj));
  else lua_pushlightuserdata(L, ca_callback_v2(p->obj));
  return 1;
}

/***
AddRef on the proxy's behalf.
@function callback:addref
@treturn int the new reference count
*/
static int cb_addref(lua_State *L) {
  ca_lcallback *p = checkopen(L, 1);
  ICustomAction2ResultCallback *i = ca_callback_v2(p->obj);
  luaL_argcheck(L, p->held < 0x7FFFFFFF, 1, "too many references");
  p->held++;
  lua_pushinteger(L, (lua_Integer)i->lpVtbl->AddRef(i));
  return 1;
}

/***
Releases one reference the proxy took with `addref`, or finally its own,
which closes the proxy. Never releases a reference native code holds;
releasing the proxy's own reference twice is an error.
@function callback:release
@treturn int the new reference count
*/
static int cb_release(lua_State *L) {
  ca_lcallback *p = luaL_checkudata(L, 1, CA_CALLBACK_MT);
  if (p->obj == NULL)
    return luaL_error(L, "callback already released: the Lua proxy holds "
                      "no reference to release");
  if (p->held > 1) {
    ICustomAction2ResultCallback *i = ca_callback_v2(p->obj);
    p->held--;
    lua_pushinteger(L, (lua_Integer)i->lpVtbl->Release(i));
  } else {
    lua_pushinteger(L, (lua_Integer)close_proxy(L, ca_lstate_get(L), 1, p));
  }
  return 1;
}

/***
Releases every reference the proxy holds and disconnects the object:
native holders get RPC_E_DISCONNECTED from then on. Closing twice does
nothing. Also the `__close` and `__gc` metamethod.
@function callback:close
*/
static int cb_close(lua_State *L) {
  ca_lcallback *p = luaL_checkudata(L, 1, CA_CALLBACK_MT);
  if (p->obj != NULL) close_proxy(L, ca_lstate_get(L), 1, p);
  return 0;
}

static void setcount(lua_State *L, const char *k, uint64_t v) {
  lua_pushinteger(L, (lua_Integer)v);
  lua_setfield(L, -2, k);
}

/* The object, open or closed (kept readable): stats and tostring. */
static ca_callback *readable(ca_lcallback *p) {
  return p->obj != NULL ? p->obj : p->kept;
}

/***
The callback's counters; readable after close too, so that reports
refused because the callback was closed can be counted.
@function callback:stats
@treturn table `{ name, closed, refs, finished, reports, delivered, queued,
errors, failures, refused = { closed, null_buffer, oversized, after_final,
queue_full, no_memory } }` (`refs`: references still held, by native code
once closed); prints as a one-line summary
*/
static int cb_stats(lua_State *L) {
  ca_lcallback *p = luaL_checkudata(L, 1, CA_CALLBACK_MT);
  ca_callback *obj = readable(p);
  ca_callback_stats st;
  int i;
  if (obj == NULL)   /* only a resurrected proxy's old self has none */
    return luaL_argerror(L, 1, "callback has no object");
  ca_callback_stats_get(obj, &st);
  lua_createtable(L, 0, 11);
  lua_pushstring(L, ca_callback_name(obj));
  lua_setfield(L, -2, "name");
  lua_pushboolean(L, p->obj == NULL);
  lua_setfield(L, -2, "closed");
  setcount(L, "refs", ca_callback_refs(obj));
  lua_pushboolean(L, ca_callback_finished(obj));
  lua_setfield(L, -2, "finished");
  setcount(L, "reports", st.reports);
  setcount(L, "delivered", st.delivered);
  setcount(L, "queued", st.queued);
  setcount(L, "errors", st.errors);
  setcount(L, "failures", st.failures);
  lua_createtable(L, 0, CA_NREFUSALS);
  for (i = 0; i < CA_NREFUSALS; i++)
    setcount(L, ca_refusal_names[i], st.refused[i]);
  lua_setfield(L, -2, "refused");
  ca_lprintable(L, -1, "customaction.callback_stats");
  return 1;
}

static int cb_tostring(lua_State *L) {
  ca_lcallback *p = luaL_checkudata(L, 1, CA_CALLBACK_MT);
  ca_callback *obj = readable(p);
  ca_callback_stats st;
  unsigned long refused = 0;
  int i;
  if (obj == NULL) {
    lua_pushliteral(L, "customaction.callback (closed)");
    return 1;
  }
  ca_callback_stats_get(obj, &st);
  for (i = 0; i < CA_NREFUSALS; i++) refused += st.refused[i];
  lua_pushfstring(L, "customaction.callback '%s' (%srefs %d, reports %d, "
                  "delivered %d, errors %d, refused %d): %p",
                  ca_callback_name(obj), p->obj == NULL ? "closed, " : "",
                  (int)ca_callback_refs(obj), (int)st.reports,
                  (int)st.delivered, (int)st.errors, (int)refused,
                  (void *)obj);
  return 1;
}

/*
** Protected part of a resurrection: 1 the collected proxy. May allocate.
** A fresh proxy takes the object over rather than the old one asking for
** __gc again, because 5.1 and 5.2 run a finalizer once per object. Until
** the last step the old proxy still owns everything, so a memory error
** anywhere leaves cb_gc free to disconnect instead.
*/
static int resurrect(lua_State *L) {
  ca_lstate *s = ca_lstate_get(L);
  ca_lcallback *old = lua_touserdata(L, 1);
  ca_lcallback *p = lua_newuserdatauv(L, sizeof *p, 2);
  p->obj = NULL;
  p->held = 0;
  p->kept = NULL;
  luaL_setmetatable(L, CA_CALLBACK_MT);
  lua_getiuservalue(L, 1, 1);   /* weak entries went before __gc */
  lua_setiuservalue(L, 2, 1);
  lua_getiuservalue(L, 1, 2);
  lua_setiuservalue(L, 2, 2);
  settable_ref(L, s->anchors_ref, 2, NULL, 1);
  settable_ref(L, s->live_ref, 2, old->obj, 1);
  lua_getiuservalue(L, 2, 1);
  set_handler(L, s, key_of(old->obj), -1);
  p->obj = old->obj;
  p->held = old->held;
  old->obj = NULL;
  old->held = 0;
  return 0;
}

static int cb_gc(lua_State *L) {
  ca_lcallback *p = luaL_checkudata(L, 1, CA_CALLBACK_MT);
  ca_lstate *s;
  if (p->obj == NULL) {
    drop_kept(p);
    return 0;
  }
  s = ca_lstate_get(L);
  /* s->hub is NULL when lua_close finalized the state record first */
  if (s->hub != NULL && !ca_hub_is_closed(s->hub) &&
      ca_callback_connected(p->obj) &&
      ca_callback_refs(p->obj) > (unsigned)p->held) {
    lua_pushcfunction(L, resurrect);
    lua_pushvalue(L, 1);
    if (lua_pcall(L, 1, 0, 0) == LUA_OK) return 0;
    lua_pop(L, 1);  /* no memory to anchor it: disconnect instead */
  }
  close_proxy(L, s, 1, p);
  drop_kept(p);
  return 0;
}

void ca_lcallback_sweep(lua_State *L, ca_lstate *s) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, s->anchors_ref);
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    ca_lcallback *p = lua_touserdata(L, -2);
    lua_pop(L, 1);
    if (p->obj == NULL || ca_callback_refs(p->obj) <= (unsigned)p->held) {
      lua_pushvalue(L, -1);
      lua_pushnil(L);
      lua_rawset(L, -4);  /* clearing a field during lua_next is allowed */
    }
  }
  lua_pop(L, 1);
}

void ca_lcallback_close_all(lua_State *L, ca_lstate *s) {
  /* every open proxy is in the live table, which lua_close does not clear:
     also one resurrected during lua_close, which has no finalizer and
     whose anchor a last sweep may have dropped */
  lua_rawgeti(L, LUA_REGISTRYINDEX, s->live_ref);
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    ca_lcallback *p = lua_touserdata(L, -1);
    if (p != NULL && p->obj != NULL) close_proxy(L, s, -1, p);  /* clears it */
    if (p != NULL) drop_kept(p);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

static const luaL_Reg methods[] = {
  {"report", cb_report},
  {"report_v1", cb_report_v1},
  {"interface", cb_interface},
  {"addref", cb_addref},
  {"release", cb_release},
  {"close", cb_close},
  {"stats", cb_stats},
  {NULL, NULL}
};

static const luaL_Reg metamethods[] = {
  {"__gc", cb_gc},
  {"__close", cb_close},
  {"__tostring", cb_tostring},
  {NULL, NULL}
};

void ca_lcallback_open(lua_State *L) {
  luaL_newmetatable(L, CA_CALLBACK_MT);
  luaL_setfuncs(L, metamethods, 0);
  luaL_newlib(L, methods);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  lua_pushcfunction(L, ca_lcallback_new);
  lua_setfield(L, -2, "callback");
}
