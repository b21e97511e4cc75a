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
**
** The strings a call is given are the checker's only for the call, as the
** SDK's LPCWSTR in-parameters are the caller's: once it returns, every
** unit of them is overwritten with POISON and the buffer kept (the last
** GRAVES of them), so that a library that kept a pointer and reads it
** later reads the poison, which the checker then finds in its reports,
** rather than memory freed and perhaps reused for the next call's
** arguments. check_child arms the checker's child process: its time
** limit and plain crashes (platform.h's ca_watchdog, ca_crash_plainly).
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdio.h>
#include <string.h>

#include "lcommon.h"
#include "platform.h"
#include "pmhost.h"

#define MAX_JOBS 64
/* a lone low surrogate, which no text holds; bytes AD DE */
#define POISON 0xDEAD
#define GRAVES 256
#define GRAVES_KEY "customaction.check.graves"
/* the exit status of a child whose time ran out: coreutils' timeout's */
#define CHILD_TIMEOUT 124

enum { RUN, REGISTER, UNREGISTER, HEALTH, REFS, CYCLE };

typedef struct job {
  int kind;
  void *ptr;
  WCHAR *name, *args;   /* NULL-able; NUL-terminated; the stack owns them */
  size_t name_len, args_len;   /* in units, the terminator left out */
  int name_idx, args_idx;      /* their userdata's stack index, or 0 */
  ca_callback *cb;      /* NULL-able except for HEALTH */
  long times;
  unsigned long ok, failed;
  HRESULT first_failure;
  ca_thread thread;
} job;

/* The bytes at idx as NUL-terminated UTF-16 units (a userdata pushed on
   the stack; *len units, *at its index); NULL for nil. */
static WCHAR *raw_wide(lua_State *L, int idx, const char *what, size_t *len,
                       int *at) {
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
  *len = n / 2;
  *at = lua_gettop(L);
  return w;
}

/* Keeps the buffer at idx alive: a late reader reads its poison. */
static void bury(lua_State *L, int idx) {
  lua_Integer n;
  luaL_checkstack(L, 3, "too many buffers");
  lua_getfield(L, LUA_REGISTRYINDEX, GRAVES_KEY);
  if (!lua_istable(L, -1)) {
    lua_pop(L, 1);
    lua_createtable(L, GRAVES, 1);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, GRAVES_KEY);
  }
  lua_getfield(L, -1, "n");
  n = lua_tointeger(L, -1);
  lua_pop(L, 1);
  lua_pushvalue(L, idx);
  lua_rawseti(L, -2, (int)(n % GRAVES) + 1);
  lua_pushinteger(L, n + 1);
  lua_setfield(L, -2, "n");
  lua_pop(L, 1);
}

/* The job's calls are over: its strings are no longer the library's. */
static void poison(lua_State *L, const job *j) {
  size_t i;
  for (i = 0; j->name != NULL && i < j->name_len; i++) j->name[i] = POISON;
  for (i = 0; j->args != NULL && i < j->args_len; i++) j->args[i] = POISON;
  if (j->name_idx) bury(L, j->name_idx);
  if (j->args_idx) bury(L, j->args_idx);
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
  j->name = raw_wide(L, lua_gettop(L), "job field 'name'", &j->name_len,
                     &j->name_idx);
  lua_getfield(L, idx, "args");
  j->args = raw_wide(L, lua_gettop(L), "job field 'args'", &j->args_len,
                     &j->args_idx);
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
** describe it (times is ignored); returns the HRESULT and the reports
** the callback had had when the call returned (taken before anything
** else: a library's thread may report a moment later). Kind "refs" calls
** AddRef then Release on the pointer and returns the two counts.
*/
static int l_check_raw(lua_State *L) {
  job j;
  HRESULT hr;
  ca_callback_stats st;
  luaL_checktype(L, 1, LUA_TTABLE);
  read_job(L, 1, &j);
  if (j.kind == REFS) {
    IWpfReferencedObject *o = j.ptr;
    lua_Integer up = (lua_Integer)o->lpVtbl->AddRef(o);
    lua_pushinteger(L, up);
    lua_pushinteger(L, (lua_Integer)o->lpVtbl->Release(o));
    return 2;
  }
  hr = call(&j);
  if (j.cb != NULL) ca_callback_stats_get(j.cb, &st);
  poison(L, &j);
  ca_lhr_push(L, (uint32_t)hr);
  if (j.cb == NULL) return 1;
  lua_pushinteger(L, (lua_Integer)st.reports);
  return 2;
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
  for (i = 0; i < n; i++) poison(L, &jobs[i]);
  if (started < n) return luaL_error(L, "cannot start a thread");
  lua_createtable(L, n, 0);
  for (i = 0; i < n; i++) {
    push_result(L, &jobs[i]);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

/*
** core.check_child(seconds): makes this process a checker's child. A
** crash ends it plainly (no core file; on Windows no dialog, and the
** exception's code as its status), and after `seconds` it ends with
** status 124, whatever it is doing; the parent reads that as a hang.
*/
static int l_check_child(lua_State *L) {
  lua_Number s = luaL_checknumber(L, 1);
  char msg[160];
  luaL_argcheck(L, s > 0 && s < 1e7, 1, "seconds between 0 and 1e7 expected");
  snprintf(msg, sizeof msg,
           "customaction check: the child's time limit of %gs ran out\n",
           (double)s);
  ca_crash_plainly();
  if (ca_watchdog((int64_t)(s * 1000), CHILD_TIMEOUT, msg) != 0)
    return luaL_error(L, "cannot start the watchdog's thread");
  return 0;
}

/* Expects the module table on top. */
void ca_lcheck_open(lua_State *L) {
  lua_pushcfunction(L, l_check_raw);
  lua_setfield(L, -2, "check_raw");
  lua_pushcfunction(L, l_check_threads);
  lua_setfield(L, -2, "check_threads");
  lua_pushcfunction(L, l_check_child);
  lua_setfield(L, -2, "check_child");
}
