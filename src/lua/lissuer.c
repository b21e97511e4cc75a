/*
** lissuer.c: customaction.issuer, the Lua face of the simulated protocol
** manager. Methods that mirror a native call (register, unregister, run)
** convert their strings to UTF-16 and go through the IPmCustomActions
** vtables exactly as a native caller would, returning the HRESULT the call
** returns; they raise only for Lua misuse. Scenario tables are checked
** field by field and turned into C data the worker threads can read.
*/
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

static int bad_option(lua_State *L, int arg, const char *const *known,
                      const char *what) {
  lua_pushnil(L);
  while (lua_next(L, arg)) {
    int i, ok = 0;
    if (lua_type(L, -2) == LUA_TSTRING)
      for (i = 0; known[i]; i++)
        if (strcmp(lua_tostring(L, -2), known[i]) == 0) ok = 1;
    if (!ok) {
      const char *key = luaL_tolstring(L, -2, NULL);
      luaL_Buffer b;
      luaL_buffinit(L, &b);
      for (i = 0; known[i]; i++) {
        if (i) luaL_addstring(&b, ", ");
        luaL_addstring(&b, known[i]);
      }
      luaL_pushresult(&b);
      return luaL_argerror(L, arg, lua_pushfstring(L, "unknown %s '%s' "
                           "(expected %s)", what, key, lua_tostring(L, -1)));
    }
    lua_pop(L, 1);
  }
  return 0;
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
@tparam[opt] table opts `threads` (1..64 worker threads, real time; default
1), `clock = "virtual"`, `log` (default true), `log_limit` (entries kept,
default 1 000 000), `builtins` (define the demo actions Counters,
GetRequests, Echo and Fail; default true)
@treturn issuer
@usage local pm = ca.issuer{ clock = "virtual" }
pm:define("Counters", { every = 10, count = 3, format = "requests=%d" })
*/
static int l_issuer(lua_State *L) {
  static const char *const known[] = {"threads", "clock", "log", "log_limit",
                                      NULL};
  lua_Integer threads = 1, limit = 1000000;
  int log = 1;
  ca_lissuer *p;
  if (!lua_isnoneornil(L, 1)) {
    luaL_checktype(L, 1, LUA_TTABLE);
    bad_option(L, 1, known, "option");
    if (lua_getfield(L, 1, "clock") != LUA_TNIL) {
      const char *c = lua_tostring(L, -1);
      if (c == NULL || (strcmp(c, "virtual") && strcmp(c, "real")))
        luaL_argerror(L, 1, "option 'clock' must be \"virtual\" or \"real\"");
      if (strcmp(c, "virtual") == 0) threads = 0;
    }
    if (lua_getfield(L, 1, "threads") != LUA_TNIL) {
      int isint;
      lua_Integer n = ca_optinteger(L, -1, &isint);
      if (!isint || n < 1 || n > 64)
        luaL_argerror(L, 1, "option 'threads' must be an integer in 1..64");
      if (threads == 0)
        luaL_argerror(L, 1, "a virtual clock runs on the caller's thread; "
                      "leave out 'threads'");
      threads = n;
    }
    if (lua_getfield(L, 1, "log") != LUA_TNIL) log = lua_toboolean(L, -1);
    if (lua_getfield(L, 1, "log_limit") != LUA_TNIL) {
      int isint;
      limit = ca_optinteger(L, -1, &isint);
      if (!isint || limit < 0)
        luaL_argerror(L, 1, "option 'log_limit' must be an integer >= 0");
    }
    lua_pop(L, 4);
  }
  p = lua_newuserdatauv(L, sizeof *p, 0);
  p->is = NULL;
  luaL_setmetatable(L, CA_ISSUER_MT);
  p->is = ca_issuer_new((int)threads, log, (size_t)limit);
  if (p->is == NULL)
    return luaL_error(L, "cannot create the issuer (out of memory or "
                      "threads)");
  if (threads > 0) ca_lhub_mark_close(L);  /* its close waits for workers */
  return 1;
}

/* ---- scenarios ---------------------------------------------------------- */

/* pm:define(name, scenario): the scenario's stack index */
#define SCN 3
#define CA_MAX_COUNT 10000000
#define BOX_MT "customaction.scenario_box"

/* Raises "bad argument #2 to 'define' (scenario field 'k' ...)": Lua
   numbers a method's arguments without self. */
static int field_error(lua_State *L, const char *k, const char *msg) {
  return luaL_argerror(L, SCN, lua_pushfstring(L, "scenario field '%s' %s", k,
                                             msg));
}

static int64_t int_field(lua_State *L, const char *k, int64_t dflt,
                         int64_t min) {
  int64_t v = dflt;
  if (lua_getfield(L, SCN, k) != LUA_TNIL) {
    int isint;
    lua_Integer n = ca_optinteger(L, -1, &isint);
    if (!isint || n < min)
      field_error(L, k, lua_pushfstring(L, "must be an integer >= %d",
                                        (int)min));
    v = n;
  }
  lua_pop(L, 1);
  return v;
}

/* A payload string as sent: UTF-16LE when the scenario says so. */
static void store_payload(lua_State *L, ca_scenario *sc, int i, int utf16) {
  size_t len;
  const char *s;
  if (utf16) {
    s = lua_tolstring(L, -1, &len);
    ca_lutf16_push_encoded(L, s, len, SCN, 1);
    lua_replace(L, -2);
  }
  s = lua_tolstring(L, -1, &len);
  sc->payloads[i] = ca_malloc(len + 1);
  if (sc->payloads[i] == NULL) luaL_error(L, "not enough memory");
  memcpy(sc->payloads[i], s, len);
  sc->payloads[i][len] = '\0';
  sc->lens[i] = len;
  sc->npayloads = i + 1;
}

static void read_payloads(lua_State *L, ca_scenario *sc, int utf16) {
  int n, i;
  if (lua_getfield(L, SCN, "payload") == LUA_TNIL) {
    lua_pop(L, 1);
    return;
  }
  if (lua_type(L, -1) == LUA_TSTRING) n = 1;
  else if (lua_type(L, -1) == LUA_TTABLE) n = (int)luaL_len(L, -1);
  else { field_error(L, "payload", "must be a string or a list of strings");
         return; }
  if (n < 1) field_error(L, "payload", "must not be an empty list");
  sc->payloads = ca_calloc((size_t)n, sizeof *sc->payloads);
  sc->lens = ca_calloc((size_t)n, sizeof *sc->lens);
  if (sc->payloads == NULL || sc->lens == NULL)
    luaL_error(L, "not enough memory");
  if (lua_type(L, -1) == LUA_TSTRING) {
    lua_pushvalue(L, -1);
    store_payload(L, sc, 0, utf16);
    lua_pop(L, 1);
  } else {
    for (i = 0; i < n; i++) {
      if (lua_rawgeti(L, -1, i + 1) != LUA_TSTRING)
        field_error(L, "payload", lua_pushfstring(L, "item %d is a %s, not "
                    "a string", i + 1, luaL_typename(L, -1)));
      store_payload(L, sc, i, utf16);
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
}

static int fault_kind(lua_State *L, int idx) {
  const char *name = lua_tostring(L, idx);
  int k;
  for (k = 0; name && k < CA_NFAULTS; k++)
    if (strcmp(name, ca_fault_names[k]) == 0) return k;
  field_error(L, "faults", lua_pushfstring(L, "names an unknown fault '%s' "
              "(expected null_buffer, oversized, duplicate_final, "
              "after_final, foreign_thread, early_release, never_release, "
              "jitter)", luaL_tolstring(L, idx, NULL)));
  return -1;
}

static void read_faults(lua_State *L, ca_scenario *sc) {
  int n, i;
  if (lua_getfield(L, SCN, "faults") == LUA_TNIL) {
    lua_pop(L, 1);
    return;
  }
  if (lua_type(L, -1) != LUA_TTABLE)
    field_error(L, "faults", "must be a list of fault names or tables");
  n = (int)luaL_len(L, -1);
  sc->faults = ca_calloc((size_t)(n ? n : 1), sizeof *sc->faults);
  if (sc->faults == NULL) luaL_error(L, "not enough memory");
  for (i = 0; i < n; i++) {
    ca_fault *f = &sc->faults[i];
    int t = lua_rawgeti(L, -1, i + 1);
    f->size = CA_DEFAULT_MAX_RESPONSE + 1;
    if (t == LUA_TSTRING) {
      f->kind = fault_kind(L, -1);
    } else if (t == LUA_TTABLE) {
      static const char *const known[] = {"at", "size", "ms", "seed", NULL};
      int isint;
      lua_rawgeti(L, -1, 1);
      f->kind = fault_kind(L, -1);
      lua_pop(L, 1);
      lua_pushnil(L);
      while (lua_next(L, -2)) {
        int j, ok = lua_type(L, -2) == LUA_TNUMBER;
        for (j = 0; !ok && known[j]; j++)
          ok = lua_type(L, -2) == LUA_TSTRING &&
               strcmp(lua_tostring(L, -2), known[j]) == 0;
        if (!ok)
          field_error(L, "faults", lua_pushfstring(L, "item %d has an "
                      "unknown key '%s' (expected at, size, ms, seed)", i + 1,
                      luaL_tolstring(L, -2, NULL)));
        lua_pop(L, 1);
      }
      if (lua_getfield(L, -1, "at") != LUA_TNIL) {
        f->at = ca_optinteger(L, -1, &isint);
        if (!isint || f->at < 1)
          field_error(L, "faults", "'at' must be a response number >= 1");
      }
      if (lua_getfield(L, -2, "size") != LUA_TNIL) {
        lua_Integer sz = ca_optinteger(L, -1, &isint);
        if (!isint || sz < 1 || sz > 0x7FFFFFFF)
          field_error(L, "faults", "'size' must be an integer in 1..2^31-1");
        f->size = (uint32_t)sz;
      }
      if (lua_getfield(L, -3, "ms") != LUA_TNIL) {
        f->ms = ca_optinteger(L, -1, &isint);
        if (!isint || f->ms < 0)
          field_error(L, "faults", "'ms' must be an integer >= 0");
      }
      if (lua_getfield(L, -4, "seed") != LUA_TNIL) {
        f->seed = (uint64_t)ca_optinteger(L, -1, &isint);
        if (!isint) field_error(L, "faults", "'seed' must be an integer");
      }
      lua_pop(L, 4);
    } else {
      field_error(L, "faults", lua_pushfstring(L, "item %d is a %s, not a "
                  "fault name or table", i + 1, luaL_typename(L, -1)));
    }
    if (f->kind == CA_FAULT_JITTER && f->ms == 0) f->ms = 5;
    sc->nfaults = i + 1;
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

static void check_format(lua_State *L, const char *f) {
  size_t n = strlen(f);
  if (n > 200) field_error(L, "format", "must be at most 200 bytes");
  for (; *f; f++)
    if (f[0] == '%') {
      if (f[1] != 'd' && f[1] != '%')
        field_error(L, "format", "may hold only %d (the response number) "
                    "and %%");
      f++;
    }
}

static void read_scenario(lua_State *L, ca_scenario *sc) {
  static const char *const known[] = {"every", "count", "delay", "status",
      "payload", "format", "echo", "encoding", "faults", NULL};
  int utf16 = 0, sources = 0;
  bad_option(L, SCN, known, "scenario field");
  sc->every = int_field(L, "every", -1, 1);
  sc->count = int_field(L, "count", sc->every > 0 ? -1 : 1, 1);
  if (sc->count > CA_MAX_COUNT)
    field_error(L, "count", "must be at most 10000000");
  sc->delay = int_field(L, "delay", -1, 0);
  if (lua_getfield(L, SCN, "status") != LUA_TNIL) {
    uint32_t v;
    if (!ca_lhr_to(L, -1, &v))
      field_error(L, "status", "must be an HRESULT (anything ca.hresult "
                  "accepts)");
    sc->status = (HRESULT)v;
  }
  lua_pop(L, 1);
  if (lua_getfield(L, SCN, "encoding") != LUA_TNIL) {
    const char *e = lua_tostring(L, -1);
    int utf8 = e != NULL && strcmp(e, "utf8") == 0;
    utf16 = e != NULL && strcmp(e, "utf16") == 0;
    if (!utf8 && !utf16)
      field_error(L, "encoding", "must be \"utf8\" or \"utf16\"");
  }
  lua_pop(L, 1);
  sc->utf16 = utf16;
  if (lua_getfield(L, SCN, "format") != LUA_TNIL) {
    if (lua_type(L, -1) != LUA_TSTRING)
      field_error(L, "format", "must be a string");
    check_format(L, lua_tostring(L, -1));
    sc->format = ca_strdup(lua_tostring(L, -1));
    if (sc->format == NULL) luaL_error(L, "not enough memory");
    sources++;
  }
  lua_pop(L, 1);
  lua_getfield(L, SCN, "echo");
  sc->echo = lua_toboolean(L, -1);
  sources += sc->echo;
  lua_pop(L, 1);
  lua_getfield(L, SCN, "payload");
  sources += !lua_isnil(L, -1);
  lua_pop(L, 1);
  if (sources > 1)
    luaL_argerror(L, SCN, "scenario fields 'payload', 'format' and 'echo' "
                  "exclude each other");
  read_payloads(L, sc, utf16);
  read_faults(L, sc);
  if (sc->every < 0) {
    int i;
    for (i = 0; i < sc->nfaults; i++)
      if (sc->faults[i].kind == CA_FAULT_JITTER)
        field_error(L, "faults", "jitter needs 'every'");
  }
}

/* Owns a scenario being read, so that an error frees it. */
static int box_gc(lua_State *L) {
  ca_scenario **box = lua_touserdata(L, 1);
  ca_scenario_free(*box);
  *box = NULL;
  return 0;
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
  const char *name = luaL_checkstring(L, 2);
  ca_scenario **box, *sc;
  int r;
  luaL_checktype(L, SCN, LUA_TTABLE);
  lua_settop(L, SCN);
  box = lua_newuserdatauv(L, sizeof *box, 0);
  *box = NULL;
  if (luaL_newmetatable(L, BOX_MT)) {
    lua_pushcfunction(L, box_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  *box = ca_scenario_new();
  if (*box == NULL) return luaL_error(L, "not enough memory");
  read_scenario(L, *box);
  sc = *box;
  *box = NULL;   /* the issuer owns it now, also if define fails */
  r = ca_issuer_define(p->is, name, sc);
  if (r != 0) return luaL_error(L, r == -1 ? "issuer is closed"
                                           : "not enough memory");
  lua_settop(L, 1);
  return 1;
}

/* ---- calls through the native interface --------------------------------- */

/* register and run: the same native call but for the interface shape. */
static int call_start(lua_State *L, int shape) {
  ca_lissuer *p = checkissuer(L, 1);
  WCHAR *name = ca_lutf16_check_wide(L, 2, 0);
  WCHAR *args = ca_lutf16_check_wide(L, 3, 1);
  ca_lcallback *cb = ca_lcallback_checkorwrap(L, 4);
  HRESULT hr;
  ca_lcallback_expose(L, 4);
  /* a caller holds its reference across the call, as COM callers do */
  if (shape == 1) {
    IPmCustomActions *pm = ca_issuer_v1(p->is);
    pm->lpVtbl->AddRef(pm);
    hr = pm->lpVtbl->RunCustomAction(pm, name, args, ca_callback_v1(cb->obj));
    pm->lpVtbl->Release(pm);
  } else {
    IPmCustomActions2 *pm = ca_issuer_v2(p->is);
    pm->lpVtbl->AddRef(pm);
    hr = pm->lpVtbl->RegisterCustomActionCallback(pm, name, args,
                                                  ca_callback_v2(cb->obj));
    pm->lpVtbl->Release(pm);
  }
  ca_lhr_push(L, (uint32_t)hr);
  return 1;
}

/***
RegisterCustomActionCallback with the callback's v2 pointer.
@function issuer:register
@string name the action name
@tparam ?string args the action argument
@tparam callback|function cb the callback (a function is wrapped in a new
callback)
@treturn hresult S_OK, E_NOT_SET for an undefined name, ERROR_ALREADY_EXISTS
(wrapped) for a registered one, RPC_E_DISCONNECTED after close
*/
static int pm_register(lua_State *L) { return call_start(L, 2); }
/***
RunCustomAction with the callback's v1 pointer: one report.
@function issuer:run
@string name the action name
@tparam ?string args the action argument
@tparam callback|function cb the callback (a function is wrapped in a new
callback)
@treturn hresult
*/
static int pm_run(lua_State *L) { return call_start(L, 1); }

/***
UnregisterCustomActionCallback: the action stops with one E_ABORT final
report, then the callback is released.
@function issuer:unregister
@string name the action name
@treturn hresult S_OK, or E_NOT_SET for an unknown or finished name
*/
static int pm_unregister(lua_State *L) {
  ca_lissuer *p = checkissuer(L, 1);
  WCHAR *name = ca_lutf16_check_wide(L, 2, 0);
  IPmCustomActions2 *pm = ca_issuer_v2(p->is);
  HRESULT hr;
  /* on a virtual clock the E_ABORT final runs a handler in here */
  pm->lpVtbl->AddRef(pm);
  hr = pm->lpVtbl->UnregisterCustomActionCallback(pm, name);
  pm->lpVtbl->Release(pm);
  ca_lhr_push(L, (uint32_t)hr);
  return 1;
}

/***
Virtual clock: performs every event due within `ms`, or up to the next due
event, on this thread.
@function issuer:advance
@tparam[opt] int ms how far to move the clock
@treturn int how many events were performed
*/
static int pm_advance(lua_State *L) {
  ca_lissuer *p = checkissuer(L, 1);
  ca_issuer *is;
  int64_t ms = 0;
  int n;
  if (!lua_isnoneornil(L, 2)) {
    lua_Integer v = luaL_checkinteger(L, 2);
    luaL_argcheck(L, v >= 0, 2, "expected milliseconds >= 0");
    ms = v;
  }
  /* handlers run inside advance and may close the issuer: hold it */
  ca_issuer_addref(p->is);
  is = p->is;
  n = ca_issuer_advance(is, ms, !lua_isnoneornil(L, 2));
  ca_issuer_release(is);
  if (n == -1)
    return luaL_error(L, "advance needs an issuer on a virtual clock "
                      "(ca.issuer{ clock = \"virtual\" })");
  if (n == -2)
    return luaL_error(L, "advance called from inside a report it is making");
  lua_pushinteger(L, n);
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
  lua_pushboolean(L, ca_issuer_active(p->is, luaL_checkstring(L, 2)));
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

/* Owns a copy of the log while it is turned into Lua tables. */
typedef struct log_box {
  ca_log_entry *e;
  size_t n;
} log_box;

#define LOGBOX_MT "customaction.log_box"

static int logbox_gc(lua_State *L) {
  log_box *b = lua_touserdata(L, 1);
  ca_log_free(b->e, b->n);
  b->e = NULL;
  return 0;
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
  size_t n, dropped, i;
  ca_log_entry *e;
  log_box *box;
  int clear = lua_toboolean(L, 2);
  lua_settop(L, 1);
  box = lua_newuserdatauv(L, sizeof *box, 0);
  box->e = NULL;
  box->n = 0;
  if (luaL_newmetatable(L, LOGBOX_MT)) {
    lua_pushcfunction(L, logbox_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  e = ca_issuer_log(p->is, &n, &dropped, clear);
  if (e == NULL) return luaL_error(L, "not enough memory");
  box->e = e;
  box->n = n;
  lua_createtable(L, (int)n, 1);
  for (i = 0; i < n; i++) {
    const char *op = e[i].op;
    lua_createtable(L, 0, 9);
    lua_pushstring(L, op);
    lua_setfield(L, -2, "op");
    lua_pushstring(L, e[i].action ? e[i].action : "");
    lua_setfield(L, -2, "action");
    lua_pushstring(L, e[i].shape == 1 ? "v1" : "v2");
    lua_setfield(L, -2, "shape");
    lua_pushinteger(L, (lua_Integer)e[i].thread);
    lua_setfield(L, -2, "thread");
    lua_pushinteger(L, (lua_Integer)e[i].time);
    lua_setfield(L, -2, "time");
    if (strcmp(op, "addref") == 0 || strcmp(op, "release") == 0) {
      lua_pushinteger(L, (lua_Integer)e[i].result);
      lua_setfield(L, -2, "refs");
    } else {
      set_hr(L, "result", e[i].result);
    }
    if (strcmp(op, "report") == 0) {
      set_hr(L, "status", (uint32_t)e[i].status);
      lua_pushboolean(L, e[i].final);
      lua_setfield(L, -2, "final");
      lua_pushinteger(L, (lua_Integer)e[i].bytes);
      lua_setfield(L, -2, "bytes");
      lua_pushboolean(L, e[i].null_buf);
      lua_setfield(L, -2, "null");
    }
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_pushinteger(L, (lua_Integer)dropped);
  lua_setfield(L, -2, "dropped");
  ca_log_free(e, n);
  box->e = NULL;
  return 1;
}

/***
The issuer's interface pointer, for native code.
@function issuer:interface
@tparam[opt="v2"] string shape `"v1"` (IPmCustomActions) or `"v2"`
(IPmCustomActions2)
@treturn lightuserdata
*/
static int pm_interface(lua_State *L) {
  static const char *const kinds[] = {"v1", "v2", NULL};
  ca_lissuer *p = checkissuer(L, 1);
  if (luaL_checkoption(L, 2, "v2", kinds) == 0)
    lua_pushlightuserdata(L, ca_issuer_v1(p->is));
  else
    lua_pushlightuserdata(L, ca_issuer_v2(p->is));
  return 1;
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
  luaL_newmetatable(L, CA_ISSUER_MT);
  luaL_setfuncs(L, metamethods, 0);
  luaL_newlib(L, methods);
  lua_pushvalue(L, -1);
  lua_setfield(L, -4, "issuer_methods");  /* the facade adds stream() */
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  lua_pushcfunction(L, l_issuer);
  lua_setfield(L, -2, "issuer");
}
