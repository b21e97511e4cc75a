/*
** lactions.c: customaction.actions, a Lua object over a native
** IPmCustomActions and/or IPmCustomActions2 the module did not make (a
** light userdata from native code, or an interface of a loaded protocol
** manager). It answers the simulated issuer's methods with the same
** arguments and return values: the calls go through the foreign vtables
** (src/core/foreign.c) and their HRESULTs come back unchanged. The object
** holds one AddRef per wrapped pointer, released exactly once by close,
** __close or __gc. The facade adds stream().
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "foreign.h"
#include "lcommon.h"

typedef struct ca_lactions {
  ca_foreign f;     /* both NULL once closed */
} ca_lactions;

static const char type_key = 'A';   /* ca_lmark's mark on the metatable */

static ca_lactions *checkopen(lua_State *L, int arg) {
  ca_lactions *p = ca_ltest(L, arg, &type_key);
  if (p == NULL) p = luaL_checkudata(L, arg, CA_ACTIONS_MT);
  if (p->f.v1 == NULL && p->f.v2 == NULL)
    luaL_argerror(L, arg, "actions object is closed");
  return p;
}

void ca_lactions_push(lua_State *L, IPmCustomActions *v1,
                      IPmCustomActions2 *v2) {
  ca_lactions *p = lua_newuserdatauv(L, sizeof *p, 1);
  p->f.v1 = NULL;
  p->f.v2 = NULL;
  luaL_setmetatable(L, CA_ACTIONS_MT);
  ca_foreign_wrap(&p->f, v1, v2);   /* cannot fail: only AddRefs */
}

static void *checkptr(lua_State *L, int idx, int arg, const char *what) {
  if (lua_type(L, idx) != LUA_TLIGHTUSERDATA || lua_touserdata(L, idx) == NULL)
    luaL_argerror(L, arg, lua_pushfstring(L, "%s must be a non-NULL light "
                  "userdata (an interface pointer), got %s", what,
                  luaL_typename(L, idx)));
  return lua_touserdata(L, idx);
}

static void *table_ptr(lua_State *L, const char *k) {
  void *p = NULL;
  int top = lua_gettop(L);
  if (lua_getfield(L, 1, k) != LUA_TNIL) {
    int idx = lua_gettop(L);
    p = checkptr(L, idx, 1, lua_pushfstring(L, "field '%s'", k));
  }
  lua_settop(L, top);
  return p;
}

/***
Foreign custom-actions providers.
@module customaction
*/

/***
Wrapped native providers.
@section actions
*/

/***
Wraps a native `IPmCustomActions*` or `IPmCustomActions2*` (made by code
other than this module) in an object with the simulated issuer's
methods: `run`, `register`, `unregister` and `stream` take the same
arguments and return the HRESULT the native call returned. The pointer
is AddRef'd here and Released once by `close` (or `__close`, `__gc`).
The object trusts the pointer's layout and nothing else.
@function actions
@tparam lightuserdata|table ptr the interface pointer, or a table
`{ v1 = ptr, v2 = ptr }` wrapping both interfaces of one provider
@tparam[opt="v2"] string shape `"v1"` (IPmCustomActions) or `"v2"`
(IPmCustomActions2), for a single pointer
@tparam[opt] table opts `wait`: `function(actions)` that a stream calls
when no response is at hand, returning false once nothing more can come
(for providers that need driving, such as a simulator on a virtual
clock, or for an event loop); by default streams wait with `ca.wait`.
Unknown keys are an error.
@treturn actions
@usage local acts = ca.actions(native_pointer, "v2")
acts:register("Counters", "site=1", function(status, response, final) end)
*/
static int l_actions(lua_State *L) {
  static const char *const kinds[] = {"v1", "v2", NULL};
  static const char *const option_names[] = {"wait", NULL};
  void *v1 = NULL, *v2 = NULL;
  int opts = lua_istable(L, 2) && lua_isnoneornil(L, 3) ? 2 : 3;
  if (!lua_isnoneornil(L, opts)) {
    luaL_checktype(L, opts, LUA_TTABLE);
    ca_lcheckoptions(L, opts, opts, option_names);
    ca_lcheckfunction(L, opts, opts, "wait");
  }
  if (lua_type(L, 1) == LUA_TTABLE) {
    luaL_argcheck(L, opts == 2 || lua_isnoneornil(L, 2), 2, "no shape with "
                  "a table of pointers: its keys 'v1' and 'v2' say the shapes");
    v1 = table_ptr(L, "v1");
    v2 = table_ptr(L, "v2");
    if (v1 == NULL && v2 == NULL)
      return luaL_argerror(L, 1, "table has neither 'v1' nor 'v2'");
  } else {
    void *p = checkptr(L, 1, 1, "pointer");
    if (opts == 3 && luaL_checkoption(L, 2, "v2", kinds) == 0) v1 = p;
    else v2 = p;
  }
  lua_settop(L, 3);
  if (lua_istable(L, opts)) lua_getfield(L, opts, "wait"); else lua_pushnil(L);
  ca_lactions_push(L, v1, v2);
  lua_insert(L, -2);
  lua_setiuservalue(L, -2, 1);   /* the stream's wait, for the facade */
  return 1;
}

/* core.actions_wait(acts): the wait function given to actions, or nil. */
static int l_actions_wait(lua_State *L) {
  luaL_checkudata(L, 1, CA_ACTIONS_MT);
  lua_getiuservalue(L, 1, 1);
  return 1;
}

/***
A wrapped native provider (`customaction.actions`).
@type actions
*/

/* run and register: the one caller path (lcall.c), which also says
   which interface a call needs when this object wraps none. */
static int call_start(lua_State *L, int shape) {
  ca_lactions *p = checkopen(L, 1);
  return ca_lcall_start(L, p->f.v1, p->f.v2, shape);
}

/***
RunCustomAction through the wrapped IPmCustomActions, with the
callback's v1 pointer.
@function actions:run
@string name the action name
@tparam ?string args the action argument
@tparam callback|function cb the callback (a function is
wrapped)
@treturn hresult what RunCustomAction returned
*/
static int a_run(lua_State *L) { return call_start(L, CA_SHAPE_V1); }

/***
RegisterCustomActionCallback through the wrapped IPmCustomActions2,
with the callback's v2 pointer.
@function actions:register
@string name the action name
@tparam ?string args the action argument
@tparam callback|function cb the callback (a function is wrapped)
@treturn hresult what RegisterCustomActionCallback returned
*/
static int a_register(lua_State *L) {
  return call_start(L, CA_SHAPE_V2);
}

/***
UnregisterCustomActionCallback through the wrapped IPmCustomActions2.
@function actions:unregister
@string name the action name
@treturn hresult what UnregisterCustomActionCallback returned
*/
static int a_unregister(lua_State *L) {
  return ca_lcall_unregister(L, checkopen(L, 1)->f.v2);
}

/***
The wrapped pointer of one shape, or nil when not wrapped.
@function actions:interface
@tparam[opt="v2"] string name `"v1"`, `"v2"`, `"pm"` or `"monitor"`: the
one table of docs/manual.md ("One API on every surface")
@treturn[1] lightuserdata
@treturn[2] nil
@treturn[2] hresult E_NOINTERFACE: the object has no interface of that name
*/
static int a_interface(lua_State *L) {
  ca_lactions *p = checkopen(L, 1);
  int k = ca_linterface_name(L, 2);
  return ca_linterface_push(L, k == CA_LIFACE_V1 ? (void *)p->f.v1
                            : k == CA_LIFACE_V2 ? (void *)p->f.v2 : NULL);
}

/***
Releases the wrapped pointers (once; closing again does nothing). Also
`__close` and `__gc`. Registrations the provider still runs are its own
business: unregister them first.
@function actions:close
*/
static int a_close(lua_State *L) {
  ca_lactions *p = luaL_checkudata(L, 1, CA_ACTIONS_MT);
  ca_foreign_release(&p->f);
  return 0;
}

static int a_tostring(lua_State *L) {
  ca_lactions *p = luaL_checkudata(L, 1, CA_ACTIONS_MT);
  if (p->f.v1 == NULL && p->f.v2 == NULL)
    lua_pushliteral(L, "customaction.actions (closed)");
  else
    lua_pushfstring(L, "customaction.actions (%s): %p",
                    p->f.v1 && p->f.v2 ? "v1 and v2" : p->f.v1 ? "v1" : "v2",
                    p->f.v1 ? (void *)p->f.v1 : (void *)p->f.v2);
  return 1;
}

static const luaL_Reg methods[] = {
  {"run", a_run},
  {"register", a_register},
  {"unregister", a_unregister},
  {"interface", a_interface},
  {"close", a_close},
  {NULL, NULL}
};

static const luaL_Reg metamethods[] = {
  {"__gc", a_close},
  {"__close", a_close},
  {"__tostring", a_tostring},
  {NULL, NULL}
};

/* Expects the module table on top: adds actions and actions_methods. */
void ca_lactions_open(lua_State *L) {
  /* the facade adds stream() to actions_methods */
  ca_ltype(L, CA_ACTIONS_MT, metamethods, methods, "actions_methods");
  ca_lmark(L, CA_ACTIONS_MT, &type_key);
  lua_pushcfunction(L, l_actions);
  lua_setfield(L, -2, "actions");
  lua_pushcfunction(L, l_actions_wait);
  lua_setfield(L, -2, "actions_wait");
}
