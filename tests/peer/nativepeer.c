/*
** nativepeer.c: a stand-in for native code in the specs. It knows nothing
** of customaction but wpf.h: it receives interface pointers as light
** userdata and calls their vtables as a protocol manager would, from the
** calling thread or from threads of its own, started through the core's
** platform layer so that the same file builds for Windows. Test-only;
** not installed.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "lua.h"
#include "lcompat.h"
#include "platform.h"
#include "wpf.h"

static void *checkptr(lua_State *L, int arg) {
  luaL_checktype(L, arg, LUA_TLIGHTUSERDATA);
  return lua_touserdata(L, arg);
}

static int shape(lua_State *L, int arg) {
  static const char *const kinds[] = {"v1", "v2", NULL};
  return luaL_checkoption(L, arg, "v2", kinds) + 1;
}

/* addref(ptr [, "v1"|"v2"]) -> new count */
static int p_addref(lua_State *L) {
  void *p = checkptr(L, 1);
  ULONG n = shape(L, 2) == 1
    ? ((ICustomActionResultCallback *)p)->lpVtbl->AddRef(p)
    : ((ICustomAction2ResultCallback *)p)->lpVtbl->AddRef(p);
  lua_pushinteger(L, (lua_Integer)n);
  return 1;
}

static int p_release(lua_State *L) {
  void *p = checkptr(L, 1);
  ULONG n = shape(L, 2) == 1
    ? ((ICustomActionResultCallback *)p)->lpVtbl->Release(p)
    : ((ICustomAction2ResultCallback *)p)->lpVtbl->Release(p);
  lua_pushinteger(L, (lua_Integer)n);
  return 1;
}

static BYTE *optbuf(lua_State *L, int arg, int sizearg, DWORD *len) {
  size_t n = 0;
  const char *s = luaL_optlstring(L, arg, NULL, &n);
  if (!lua_isnoneornil(L, sizearg)) n = (size_t)luaL_checkinteger(L, sizearg);
  *len = (DWORD)n;
  return (BYTE *)s;
}

/* report(ptr_v2, status, response|nil, final [, size]) -> HRESULT integer */
static int p_report(lua_State *L) {
  ICustomAction2ResultCallback *p = checkptr(L, 1);
  HRESULT st = (HRESULT)(uint32_t)luaL_checkinteger(L, 2);
  DWORD len;
  BYTE *buf = optbuf(L, 3, 5, &len);
  HRESULT hr = p->lpVtbl->ReportResult(p, st, lua_toboolean(L, 4), buf, len);
  lua_pushinteger(L, (lua_Integer)(uint32_t)hr);
  return 1;
}

/* report_v1(ptr_v1, status, response|nil [, size]) -> HRESULT integer */
static int p_report_v1(lua_State *L) {
  ICustomActionResultCallback *p = checkptr(L, 1);
  HRESULT st = (HRESULT)(uint32_t)luaL_checkinteger(L, 2);
  DWORD len;
  BYTE *buf = optbuf(L, 3, 4, &len);
  HRESULT hr = p->lpVtbl->ReportResult(p, st, buf, len);
  lua_pushinteger(L, (lua_Integer)(uint32_t)hr);
  return 1;
}

typedef struct job {
  ICustomAction2ResultCallback *p;
  int count;
  int final_last;
  int delay_ms;
  char prefix[64];
  HRESULT *results;
  ca_thread thread;
  int started, joined;
  volatile int done;   /* written by the job thread, read by polls */
} job;

#define JOB_MT "nativepeer.job"

static void *run_job(void *arg) {
  job *j = arg;
  int i;
  ca_sleep_ms(j->delay_ms);
  for (i = 0; i < j->count; i++) {
    char buf[96];
    int n = snprintf(buf, sizeof buf, "%s%d", j->prefix, i + 1);
    int final = j->final_last && i == j->count - 1;
    j->results[i] = j->p->lpVtbl->ReportResult(j->p, 0, final, (BYTE *)buf,
                                               (DWORD)n);
  }
  /* the job held its own reference, as a native holder must */
  j->p->lpVtbl->Release(j->p);
  __atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
  return NULL;
}

static void join_job(job *j) {
  if (j->started && !j->joined) {
    ca_thread_join(j->thread);
    j->joined = 1;
  }
}

static int job_gc(lua_State *L) {
  job *j = luaL_checkudata(L, 1, JOB_MT);
  join_job(j);
  free(j->results);
  j->results = NULL;
  return 0;
}

static int job_done(lua_State *L) {
  job *j = luaL_checkudata(L, 1, JOB_MT);
  lua_pushboolean(L, __atomic_load_n(&j->done, __ATOMIC_ACQUIRE));
  return 1;
}

/* job:join() -> list of the HRESULT integers ReportResult returned */
static int job_join(lua_State *L) {
  job *j = luaL_checkudata(L, 1, JOB_MT);
  int i;
  join_job(j);
  lua_createtable(L, j->count, 0);
  for (i = 0; i < j->count && j->results; i++) {
    lua_pushinteger(L, (lua_Integer)(uint32_t)j->results[i]);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

/*
** start(ptr_v2, count, prefix [, final_last [, delay_ms]]) -> job. A new
** thread takes a reference, waits delay_ms, reports "<prefix>1" ...
** "<prefix>count", and releases it.
*/
static int p_start(lua_State *L) {
  job *j;
  ICustomAction2ResultCallback *p = checkptr(L, 1);
  lua_Integer count = luaL_checkinteger(L, 2);
  const char *prefix = luaL_optstring(L, 3, "");
  int final_last = lua_toboolean(L, 4);
  lua_Integer delay = luaL_optinteger(L, 5, 0);
  luaL_argcheck(L, count >= 0 && count <= 10000000, 2, "bad count");
  luaL_argcheck(L, delay >= 0 && delay <= 60000, 5, "bad delay");
  lua_settop(L, 4);
  j = lua_newuserdatauv(L, sizeof *j, 0);
  memset(j, 0, sizeof *j);
  luaL_setmetatable(L, JOB_MT);
  j->p = p;
  j->count = (int)count;
  strncpy(j->prefix, prefix, sizeof j->prefix - 1);
  j->final_last = final_last;
  j->delay_ms = (int)delay;
  j->results = calloc((size_t)(count ? count : 1), sizeof(HRESULT));
  if (j->results == NULL) return luaL_error(L, "out of memory");
  p->lpVtbl->AddRef(p);
  if (ca_thread_start(&j->thread, run_job, j) != 0) {
    p->lpVtbl->Release(p);
    return luaL_error(L, "cannot start a thread");
  }
  j->started = 1;
  return 1;
}

/* from_thread(ptr_v2, count, prefix [, final_last]) -> list of HRESULTs */
static int p_from_thread(lua_State *L) {
  p_start(L);          /* leaves the job at index 5 */
  lua_replace(L, 1);
  lua_settop(L, 1);
  return job_join(L);
}

/* ---- calling a protocol manager, as a native client would ------------- */

/* ASCII to a NUL-terminated UTF-16 copy (test names are ASCII). */
static WCHAR *widen(const char *s) {
  size_t i, n = strlen(s);
  WCHAR *w = malloc((n + 1) * sizeof *w);
  if (w == NULL) return NULL;
  for (i = 0; i <= n; i++) w[i] = (WCHAR)(unsigned char)s[i];
  return w;
}

typedef struct pmcall {
  int method;          /* 0 run 1 register 2 unregister 3 health 4 idle 5 shutdown */
  void *pm, *cb;
  WCHAR *name, *args;
  HRESULT hr;
  BOOL idle;
  ca_thread thread;
  int started, joined;
} pmcall;

#define PMCALL_MT "nativepeer.pmcall"

static void pmcall_do(pmcall *c) {
  IWpfReferencedObject *o = c->pm;
  o->lpVtbl->AddRef(o);   /* a caller holds its reference across the call */
  switch (c->method) {
    case 0: {
      IPmCustomActions *pm = c->pm;
      c->hr = pm->lpVtbl->RunCustomAction(pm, c->name, c->args, c->cb);
      break;
    }
    case 1: {
      IPmCustomActions2 *pm = c->pm;
      c->hr = pm->lpVtbl->RegisterCustomActionCallback(pm, c->name, c->args,
                                                       c->cb);
      break;
    }
    case 2: {
      IPmCustomActions2 *pm = c->pm;
      c->hr = pm->lpVtbl->UnregisterCustomActionCallback(pm, c->name);
      break;
    }
    case 3: {
      IPmHealthAndIdleMonitor *pm = c->pm;
      c->hr = pm->lpVtbl->CheckHealth(pm, c->cb);
      break;
    }
    case 4: {
      IPmHealthAndIdleMonitor *pm = c->pm;
      c->hr = pm->lpVtbl->CheckIdle(pm, c->cb ? &c->idle : NULL);
      break;
    }
    default: {
      IProtocolManager *pm = c->pm;
      c->hr = pm->lpVtbl->Shutdown(pm, c->args != NULL);
    }
  }
  o->lpVtbl->Release(o);
}

static void *pmcall_thread(void *arg) {
  pmcall_do(arg);
  return NULL;
}

static void pmcall_join(pmcall *c) {
  if (c->started && !c->joined) {
    ca_thread_join(c->thread);
    c->joined = 1;
  }
}

static int pmcall_gc(lua_State *L) {
  pmcall *c = luaL_checkudata(L, 1, PMCALL_MT);
  pmcall_join(c);
  free(c->name);
  free(c->args);
  c->name = c->args = NULL;
  return 0;
}

/* job:join() -> HRESULT integer [, idle boolean] */
static int pmcall_result(lua_State *L) {
  pmcall *c = luaL_checkudata(L, 1, PMCALL_MT);
  pmcall_join(c);
  lua_pushinteger(L, (lua_Integer)(uint32_t)c->hr);
  if (c->method != 4) return 1;
  lua_pushboolean(L, c->idle);
  return 2;
}

/*
** call(method, pm, name|nil, args|nil, cb|nil [, "thread"]) -> HRESULT [, idle]
** (or, with "thread", a job whose join() returns them). method: "run"
** (IPmCustomActions*, v1 cb), "register" (IPmCustomActions2*, v2 cb),
** "unregister", "health" (IPmHealthAndIdleMonitor*, IHealthStatusCallback*),
** "idle" (cb: any non-nil for a BOOL out pointer), "shutdown" (args
** non-nil: fImmediate). Names and arguments are ASCII.
*/
static int p_call(lua_State *L) {
  static const char *const methods[] = {"run", "register", "unregister",
                                        "health", "idle", "shutdown", NULL};
  int m = luaL_checkoption(L, 1, NULL, methods);
  int threaded = lua_toboolean(L, 6);
  pmcall *c;
  lua_settop(L, 6);
  c = lua_newuserdatauv(L, sizeof *c, 0);
  memset(c, 0, sizeof *c);
  luaL_setmetatable(L, PMCALL_MT);
  c->method = m;
  c->pm = checkptr(L, 2);
  if (!lua_isnil(L, 3)) c->name = widen(luaL_checkstring(L, 3));
  if (!lua_isnil(L, 4)) c->args = widen(luaL_checkstring(L, 4));
  if (lua_islightuserdata(L, 5)) c->cb = lua_touserdata(L, 5);
  else if (!lua_isnil(L, 5)) c->cb = &c->idle;
  if (!threaded) {
    pmcall_do(c);
    lua_replace(L, 1);
    lua_settop(L, 1);
    return pmcall_result(L);
  }
  if (ca_thread_start(&c->thread, pmcall_thread, c) != 0)
    return luaL_error(L, "cannot start a thread");
  c->started = 1;
  return 1;
}

/* A native IHealthStatusCallback that counts what it is told. */
typedef struct health {
  const IHealthStatusCallbackVtbl *lpVtbl;
  int refs, reports, healthy;   /* atomics through the builtins */
} health;

static ULONG WPF_METHOD h_addref(IHealthStatusCallback *self) {
  return (ULONG)__atomic_add_fetch(&((health *)(void *)self)->refs, 1,
                                   __ATOMIC_SEQ_CST);
}
static ULONG WPF_METHOD h_release(IHealthStatusCallback *self) {
  health *h = (health *)(void *)self;
  int n = __atomic_sub_fetch(&h->refs, 1, __ATOMIC_SEQ_CST);
  if (n == 0) free(h);
  return (ULONG)n;
}
static HRESULT WPF_METHOD h_report(IHealthStatusCallback *self, BOOL healthy) {
  health *h = (health *)(void *)self;
  __atomic_store_n(&h->healthy, healthy, __ATOMIC_SEQ_CST);
  __atomic_add_fetch(&h->reports, 1, __ATOMIC_SEQ_CST);
  return 0;
}
static const IHealthStatusCallbackVtbl health_vtbl = {
  h_addref, h_release, h_report
};

/* health_callback() -> ptr (one reference, the caller's) */
static int p_health_callback(lua_State *L) {
  health *h = calloc(1, sizeof *h);
  if (h == NULL) return luaL_error(L, "out of memory");
  h->lpVtbl = &health_vtbl;
  h->refs = 1;
  lua_pushlightuserdata(L, h);
  return 1;
}

/* health_state(ptr) -> reports, healthy, refs */
static int p_health_state(lua_State *L) {
  health *h = checkptr(L, 1);
  lua_pushinteger(L, __atomic_load_n(&h->reports, __ATOMIC_SEQ_CST));
  lua_pushboolean(L, __atomic_load_n(&h->healthy, __ATOMIC_SEQ_CST));
  lua_pushinteger(L, __atomic_load_n(&h->refs, __ATOMIC_SEQ_CST));
  return 3;
}

/* get(pm, "pm"|"custom", id) -> HRESULT, ptr|nil (through IProtocolManager) */
static int p_get(lua_State *L) {
  IProtocolManager *pm = checkptr(L, 1);
  int custom = strcmp(luaL_checkstring(L, 2), "custom") == 0;
  lua_Integer id = luaL_checkinteger(L, 3);
  PVOID out = NULL;
  HRESULT hr = custom
    ? pm->lpVtbl->GetCustomInterface(pm, (DWORD)id, &out)
    : pm->lpVtbl->GetPmInterface(pm, (PM_INTERFACE_ID_ENUM)id, &out);
  lua_pushinteger(L, (lua_Integer)(uint32_t)hr);
  if (out != NULL) lua_pushlightuserdata(L, out); else lua_pushnil(L);
  return 2;
}

static const luaL_Reg funcs[] = {
  {"addref", p_addref},
  {"release", p_release},
  {"report", p_report},
  {"report_v1", p_report_v1},
  {"from_thread", p_from_thread},
  {"start", p_start},
  {"call", p_call},
  {"get", p_get},
  {"health_callback", p_health_callback},
  {"health_state", p_health_state},
  {NULL, NULL}
};

CA_EXPORT int luaopen_nativepeer(lua_State *L);

int luaopen_nativepeer(lua_State *L) {
  if (luaL_newmetatable(L, JOB_MT)) {
    lua_pushcfunction(L, job_gc);
    lua_setfield(L, -2, "__gc");
    lua_createtable(L, 0, 2);
    lua_pushcfunction(L, job_join);
    lua_setfield(L, -2, "join");
    lua_pushcfunction(L, job_done);
    lua_setfield(L, -2, "done");
    lua_setfield(L, -2, "__index");
  }
  lua_pop(L, 1);
  if (luaL_newmetatable(L, PMCALL_MT)) {
    lua_pushcfunction(L, pmcall_gc);
    lua_setfield(L, -2, "__gc");
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, pmcall_result);
    lua_setfield(L, -2, "join");
    lua_setfield(L, -2, "__index");
  }
  lua_pop(L, 1);
  luaL_newlib(L, funcs);
  return 1;
}
