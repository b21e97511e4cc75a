/*
** nativepeer.c: a stand-in for native code in the specs. It knows nothing
** of customaction but wpf.h: it receives interface pointers as light
** userdata and calls their vtables as a protocol manager would, from the
** calling thread or from threads of its own. Test-only; not installed.
*/
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "lua.h"
#include "lauxlib.h"
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
  int release_after;
  char prefix[64];
  HRESULT *results;
} job;

static void *run_job(void *arg) {
  job *j = arg;
  int i;
  for (i = 0; i < j->count; i++) {
    char buf[96];
    int n = snprintf(buf, sizeof buf, "%s%d", j->prefix, i + 1);
    int final = j->final_last && i == j->count - 1;
    j->results[i] = j->p->lpVtbl->ReportResult(j->p, 0, final, (BYTE *)buf,
                                               (DWORD)n);
  }
  if (j->release_after) j->p->lpVtbl->Release(j->p);
  return NULL;
}

/*
** from_thread(ptr_v2, count, prefix [, final_last [, release_after]])
** -> list of HRESULT integers. One new thread reports "<prefix>1" ...
** "<prefix>count" and is joined before this returns; release_after makes
** that thread drop a reference taken here on its behalf.
*/
static int p_from_thread(lua_State *L) {
  job j;
  pthread_t t;
  int i;
  j.p = checkptr(L, 1);
  j.count = (int)luaL_checkinteger(L, 2);
  luaL_argcheck(L, j.count >= 0 && j.count <= 10000000, 2, "bad count");
  strncpy(j.prefix, luaL_optstring(L, 3, ""), sizeof j.prefix - 1);
  j.prefix[sizeof j.prefix - 1] = '\0';
  j.final_last = lua_toboolean(L, 4);
  j.release_after = lua_toboolean(L, 5);
  j.results = malloc(sizeof(HRESULT) * (size_t)(j.count ? j.count : 1));
  if (j.results == NULL) return luaL_error(L, "out of memory");
  if (j.release_after) j.p->lpVtbl->AddRef(j.p);
  if (pthread_create(&t, NULL, run_job, &j) != 0) {
    free(j.results);
    return luaL_error(L, "cannot start a thread");
  }
  pthread_join(t, NULL);
  lua_createtable(L, j.count, 0);
  for (i = 0; i < j.count; i++) {
    lua_pushinteger(L, (lua_Integer)(uint32_t)j.results[i]);
    lua_rawseti(L, -2, i + 1);
  }
  free(j.results);
  return 1;
}

static const luaL_Reg funcs[] = {
  {"addref", p_addref},
  {"release", p_release},
  {"report", p_report},
  {"report_v1", p_report_v1},
  {"from_thread", p_from_thread},
  {NULL, NULL}
};

__attribute__((visibility("default"))) int luaopen_nativepeer(lua_State *L);

int luaopen_nativepeer(lua_State *L) {
  luaL_newlib(L, funcs);
  return 1;
}
