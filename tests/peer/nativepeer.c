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

static const luaL_Reg funcs[] = {
  {"addref", p_addref},
  {"release", p_release},
  {"report", p_report},
  {"report_v1", p_report_v1},
  {"from_thread", p_from_thread},
  {"start", p_start},
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
  luaL_newlib(L, funcs);
  return 1;
}
