/*
** lcheck.c: the raw calls of the conformance checker (customaction.check).
** A checker has to send what every other entry of the module refuses on
** purpose: a NULL name or argument, unpaired UTF-16 surrogates, a NULL
** callback, and calls from several native threads at once. check_raw and
** check_threads do that through a raw interface pointer (from
** protocol_manager:interface) with strings given as UTF-16LE bytes, taken
** as they are. They are not part of the facade (init.lua drops them);
** they take no reference on the pointer, so the caller keeps the
** protocol manager open until they return.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <string.h>

#include "lcommon.h"
#include "platform.h"
#include "pmhost.h"

#define MAX_JOBS 64

enum { RUN, REGISTER, UNREGISTER, HEALTH, REFS, CYCLE };

typedef struct job {
  int kind;
  void *ptr;
  WCHAR *name, *args;   /* NULL-able; NUL-terminated; the stack owns them */
  ca_callback *cb;      /* NULL-able except for HEALTH */
  long times;
  unsigned long ok, failed;
  HRESULT first_failure;
  ca_thread thread;
} job;

/* The bytes at idx as NUL-terminated UTF-16 units (kept on the stack);
   NULL for nil. */
static WCHAR *raw_wide(lua_State *L, int idx, const char *what) {
  size_t n, i;
  const char *s;
  WCHAR *w;
  if (lua_isnoneornil(L, idx)) return NULL;
  s = lua_tolstring(L, idx, &n);
  if (s == NULL || n % 2 != 0)
    luaL_error(L, "%s must be UTF-16LE bytes (a string of even length) or "
               "nil", what);
  w = lua_newuserdatauv(L, (n / 2 + 1) * sizeof *w, 0);
  for (i = 0; i < n / 2; i++)
    w[i] = (WCHAR)((unsigned char)s[2 * i] |
                   ((unsigned char)s[2 * i + 1] << 8));
  w[n / 2] = 0;
  return w;
}

static HRESULT call(const job *j) {
  switch (j->kind) {
  case RUN: {
    IPmCustomActions *a = j->ptr;
    return a->lpVtbl->RunCustomAction(a, j->name, j->args,
                                      j->cb ? ca_callback_v1(j->cb) : NULL);
  }
  case REGISTER: {
    IPmCustomActions2 *a = j->ptr;
    return a->lpVtbl->RegisterCustomActionCallback(a, j->name, j->args,
        j->cb ? ca_callback_v2(j->cb) : NULL);
  }
  case UNREGISTER: {
    IPmCustomActions2 *a = j->ptr;
    return a->lpVtbl->UnregisterCustomActionCallback(a, j->name);
  }
  case HEALTH:
    return ca_pm_check_health(j->ptr, j->cb);
  case CYCLE: {   /* register, then unregister what it registered */
    IPmCustomActions2 *a = j->ptr;
    HRESULT hr = a->lpVtbl->RegisterCustomActionCallback(a, j->name, j->args,
        j->cb ? ca_callback_v2(j->cb) : NULL);
    if (WPF_SUCCEEDED(hr)) a->lpVtbl->UnregisterCustomActionCallback(a, j->name);
    return hr;
  }
  default:
    return 0;
  }
}

/* Reads the job description at idx (a table); leaves its strings on the
   stack, which keeps them alive until the calls are done. */
static void read_job(lua_State *L, int idx, job *j) {
  static const char *const kinds[] = {"run", "register", "unregister",
                                      "health", "refs", "cycle", NULL};
  memset(j, 0, sizeof *j);
  lua_getfield(L, idx, "kind");
  j->kind = luaL_checkoption(L, -1, NULL, kinds);
  lua_getfield(L, idx, "ptr");
  j->ptr = lua_touserdata(L, -1);
  if (lua_type(L, -1) != LUA_TLIGHTUSERDATA || j->ptr == NULL)
    luaL_error(L, "job field 'ptr' must be an interface pointer");
  lua_getfield(L, idx, "cb");
  if (!lua_isnil(L, -1)) {
    j->cb = ca_lcallback_check(L, lua_gettop(L))->obj;
    if (j->cb == NULL) luaL_error(L, "job field 'cb' is a closed callback");
    ca_lcallback_expose(L, lua_gettop(L));
  } else if (j->kind == HEALTH) {
    luaL_error(L, "a health job needs a callback");
  }
  lua_getfield(L, idx, "times");
  j->times = (long)luaL_optinteger(L, -1, 1);
  lua_pop(L, 4);
  lua_getfield(L, idx, "name");
  j->name = raw_wide(L, lua_gettop(L), "job field 'name'");
  lua_getfield(L, idx, "args");
  j->args = raw_wide(L, lua_gettop(L), "job field 'args'");
}

static void *run_job(void *arg) {
  job *j = arg;
  long i;
  for (i = 0; i < j->times; i++) {
    HRESULT hr = call(j);
    if (WPF_FAILED(hr)) {
      if (j->failed++ == 0) j->first_failure = hr;
    } else {
      j->ok++;
    }
  }
  return NULL;
}

static void push_result(lua_State *L, const job *j) {
  lua_createtable(L, 0, 3);
  lua_pushinteger(L, (lua_Integer)j->ok);
  lua_setfield(L, -2, "ok");
  lua_pushinteger(L, (lua_Integer)j->failed);
  lua_setfield(L, -2, "failed");
  if (j->failed > 0) {
    ca_lhr_push(L, (uint32_t)j->first_failure);
    lua_setfield(L, -2, "first_failure");
  }
}

/*
** core.check_raw(job): one call on this thread, as check_threads' jobs
** describe it (times is ignored); returns the HRESULT. Kind "refs" calls
** AddRef then Release on the pointer and returns the two counts.
*/
static int l_check_raw(lua_State *L) {
  job j;
  luaL_checktype(L, 1, LUA_TTABLE);
  read_job(L, 1, &j);
  if (j.kind == REFS) {
    IWpfReferencedObject *o = j.ptr;
    lua_Integer up = (lua_Integer)o->lpVtbl->AddRef(o);
    lua_pushinteger(L, up);
    lua_pushinteger(L, (lua_Integer)o->lpVtbl->Release(o));
    return 2;
  }
  ca_lhr_push(L, (uint32_t)call(&j));
  return 1;
}

/*
** core.check_threads({ job, ... }): each job
** { kind = "run"|"register"|"unregister"|"health"|"refs"|"cycle", ptr = pointer,
**   name = bytes|nil, args = bytes|nil, cb = callback|nil, times = n }
** runs its calls on a native thread of its own, all at once; returns
** { ok = n, failed = n, first_failure = hresult|nil } per job. Reports
** made meanwhile wait in the queue for dispatch.
*/
static int l_check_threads(lua_State *L) {
  job jobs[MAX_JOBS];
  int n, i, started;
  luaL_checktype(L, 1, LUA_TTABLE);
  n = (int)luaL_len(L, 1);
  luaL_argcheck(L, n >= 1 && n <= MAX_JOBS, 1, "1 to 64 jobs expected");
  for (i = 0; i < n; i++) {
    /* each job leaves its table and its two strings on the stack */
    luaL_checkstack(L, 8, "too many jobs");
    lua_rawgeti(L, 1, i + 1);
    luaL_checktype(L, -1, LUA_TTABLE);
    read_job(L, lua_gettop(L), &jobs[i]);
  }
  for (started = 0; started < n; started++)
    if (ca_thread_start(&jobs[started].thread, run_job, &jobs[started]) != 0)
      break;
  for (i = 0; i < started; i++) ca_thread_join(jobs[i].thread);
  if (started < n) return luaL_error(L, "cannot start a thread");
  lua_createtable(L, n, 0);
  for (i = 0; i < n; i++) {
    push_result(L, &jobs[i]);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

/* Expects the module table on top. */
void ca_lcheck_open(lua_State *L) {
  lua_pushcfunction(L, l_check_raw);
  lua_setfield(L, -2, "check_raw");
  lua_pushcfunction(L, l_check_threads);
  lua_setfield(L, -2, "check_threads");
}
