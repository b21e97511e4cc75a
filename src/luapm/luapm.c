/*
** luapm.c: a protocol-manager library whose custom actions are a Lua
** script. GetProtocolManager starts a Lua state on a thread of its own,
** runs the script named by CUSTOMACTION_LUAPM_SCRIPT (or else the .lua
** file of the library's own base name beside it), and takes the provider
** the script returns (ca.provider) as the protocol manager. Native calls
** reach the provider from the caller's threads and are queued for the
** script's thread, which waits for them and delivers them; the script may
** also return a step function, run on that thread after every delivery
** round and at least every 50 ms (timers for streams). Shutdown ends the
** provider's registrations there, stops the thread, closes the state and
** releases the framework, and returns once the thread has done so: the
** worker process may let go of everything when Shutdown returns, so
** nothing of the library's (a report, a framework call) may come after.
** Every wait for the script is bounded (CUSTOMACTION_LUAPM_LOAD_MS,
** CUSTOMACTION_LUAPM_SHUTDOWN_MS); a script that overstays is interrupted
** by a count hook. The object lives until both the host has released it
** and its thread has finished, whichever comes last and on whatever
** thread. This library links liblua itself and carries the module's
** code, so a host that has no Lua at all can load it.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <errno.h>
#include "atomics.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lcompat.h"   /* the 5.4 API on every Lua the module supports */
#include "lualib.h"
#define CUSTOMACTION_BUILD   /* this library exports the C API */
#include "customaction.h"
#include "hresult.h"
#include "lcommon.h"
#include "platform.h"
#include "wpf.h"

#define SCRIPT_ENV "CUSTOMACTION_LUAPM_SCRIPT"
#define LOAD_ENV "CUSTOMACTION_LUAPM_LOAD_MS"
#define SHUTDOWN_ENV "CUSTOMACTION_LUAPM_SHUTDOWN_MS"
/* VM instructions between two looks at the interrupt flag */
#define HOOK_COUNT 1000

/* Why the hook interrupts the script (the value of luapm.interrupt). */
enum { RUN_ON, CUT_LOAD, CUT_IMMEDIATE, CUT_SHUTDOWN };
static const char *const cut_reasons[] = {
  NULL,
  "it did not finish loading within " LOAD_ENV,
  "the host called Shutdown(TRUE)",
  "it did not stop within " SHUTDOWN_ENV,
};

typedef struct luapm {
  const IProtocolManagerVtbl *lpVtbl;
  ca_atomic_uint refs;           /* the host's COM references */
  ca_atomic_int stop;            /* the delivery loop ends */
  ca_atomic_int interrupt;       /* RUN_ON, or why the hook raises */
  ca_atomic_int shut;
  /* one reference, or NULL; the script's thread releases it when it
     ends (free_luapm when no thread ran) */
  IWorkerProcessFramework *fw;
  IProtocolManager *inner;       /* the provider's; one reference */
  int64_t load_ms, shutdown_ms;
  int step_ref;                  /* the script's step function, or none */
  char *script;
  ca_mutex m;
  ca_cond c;
  /* under m: the object is freed by whoever clears the last of
     hosted/running, after which nobody touches it */
  ca_thread thread;
  ca_thread_id thread_id;
  int has_thread, has_id;
  int running;                   /* the script's thread has not finished */
  int hosted;                    /* the host (or GetProtocolManager) holds it */
  int ready;
  HRESULT init_hr;
} luapm;

static void free_luapm(luapm *pm, int on_thread) {
  if (pm->has_thread) {
    /* the thread has finished with the object; join what is left */
    if (on_thread) ca_thread_detach(pm->thread);
    else ca_thread_join(pm->thread);
  }
  if (pm->inner != NULL) pm->inner->lpVtbl->Release(pm->inner);
  if (pm->fw != NULL) pm->fw->lpVtbl->Release(pm->fw);
  ca_cond_destroy(&pm->c);
  ca_mutex_destroy(&pm->m);
  free(pm->script);
  free(pm);
}

/* The script's thread is done with the object: its last touch of it. */
static void thread_finished(luapm *pm) {
  int last;
  ca_mutex_lock(&pm->m);
  pm->running = 0;
  last = !pm->hosted;
  ca_cond_broadcast(&pm->c);
  ca_mutex_unlock(&pm->m);
  if (last) free_luapm(pm, 1);
}

/* The host's side lets go (its last Release, or a failed load). */
static void unhost(luapm *pm) {
  int last;
  ca_mutex_lock(&pm->m);
  pm->hosted = 0;
  last = !pm->running;
  ca_mutex_unlock(&pm->m);
  if (last) free_luapm(pm, 0);
}

/* Waits up to ms for the thread to finish; 1 when it has. Never called
   on the script's thread (which cannot wait for itself). */
static int wait_thread(luapm *pm, int64_t ms) {
  int64_t deadline = ca_now_ns() + ms * 1000000;
  int done;
  ca_mutex_lock(&pm->m);
  while (pm->running) {
    int64_t left = (deadline - ca_now_ns()) / 1000000;
    if (left <= 0) break;
    ca_cond_timedwait(&pm->c, &pm->m, left);
  }
  done = !pm->running;
  ca_mutex_unlock(&pm->m);
  return done;
}

static int on_script_thread(luapm *pm) {
  int on;
  ca_mutex_lock(&pm->m);
  on = pm->has_id && ca_thread_is(pm->thread_id);
  ca_mutex_unlock(&pm->m);
  return on;
}

/* Ends the delivery loop; the reason, if any, interrupts running Lua. */
static void stop_script(luapm *pm, int reason) {
  if (reason != RUN_ON) ca_atomic_store_int(&pm->interrupt, reason, CA_SEQ_CST);
  ca_atomic_store_int(&pm->stop, 1, CA_SEQ_CST);
}

/* ---- the script's state, on its thread ------------------------------- */

static const char hook_key = 'h';

/* Every HOOK_COUNT instructions: raises in the script when asked to. */
static void interrupt_hook(lua_State *L, lua_Debug *ar) {
  luapm *pm;
  int why;
  (void)ar;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &hook_key);
  pm = lua_touserdata(L, -1);
  lua_pop(L, 1);
  why = pm != NULL ? ca_atomic_load_int(&pm->interrupt, CA_SEQ_CST) : RUN_ON;
  if (why != RUN_ON)
    luaL_error(L, "luapm interrupted the script: %s", cut_reasons[why]);
}

static int no_exit(lua_State *L) {
  return luaL_error(L, "os.exit is not allowed in a hosted protocol manager "
                    "(luapm): it would end the host's process; raise an "
                    "error or return instead");
}

/*
** This library's path as the C runtime's fopen and Lua's loaders take it:
** in the ANSI code page on Windows (ca_module_path gives UTF-8), as it is
** elsewhere; malloc'd, or NULL (said on stderr when the code page has no
** form for it: CUSTOMACTION_LUAPM_SCRIPT can name the script then).
*/
static char *library_path(void) {
  char *utf8 = ca_module_path((const void *)(uintptr_t)library_path);
  char err[160], *s = NULL;
  size_t len;
  long n;
  if (utf8 == NULL) return NULL;
  len = strlen(utf8);
  n = ca_acp_convert(0, utf8, len, NULL, 0, err, sizeof err);
  if (n < 0)
    fprintf(stderr, "luapm: the path of this library, %s, cannot be opened "
            "by the C runtime: %s\n", utf8, err);
  else if ((s = malloc((size_t)n + 1)) != NULL &&
           ca_acp_convert(0, utf8, len, s, (size_t)n, err, sizeof err) == n)
    s[n] = '\0';
  else {
    free(s);
    s = NULL;
  }
  free(utf8);
  return s;
}

/* 1 when root holds the module's Lua files under sub. */
static int has_module(lua_State *L, const char *root, const char *sub) {
  FILE *f = fopen(lua_pushfstring(L, "%s/%s/customaction/init.lua", root,
                                  sub), "r");
  lua_pop(L, 1);
  if (f == NULL) return 0;
  fclose(f);
  return 1;
}

/*
** Puts the module's Lua files in front of package.path when they lie near
** this library: a checkout's lua/ (build/customaction/luapm.so, or a
** checker's build/asan/customaction/luapm.so) or an installed tree's
** share/lua/5.x/ (<tree>/lib/lua/5.x/customaction/luapm.so). They match
** the module's C code this library carries, whatever LUA_PATH says.
*/
static void find_module_files(lua_State *L) {
  char *lib = library_path();
  char *sep, *bs;
  const char *ver, *sub;
  int up;
  if (lib == NULL) return;
  sep = strrchr(lib, '/');
  bs = strrchr(lib, '\\');   /* Windows separates with either */
  if (bs != NULL && (sep == NULL || bs > sep)) sep = bs;
  if (sep != NULL) *sep = '\0';
  lua_pushstring(L, sep != NULL ? lib : ".");
  free(lib);
  lua_getglobal(L, "_VERSION");   /* "Lua 5.4" */
  ver = lua_tostring(L, -1);
  ver = ver != NULL && strncmp(ver, "Lua ", 4) == 0 ? ver + 4 : "5.1";
  sub = lua_pushfstring(L, "share/lua/%s", ver);
  for (up = 0; up < 4; up++) {
    const char *root = lua_pushfstring(L, "%s/..", lua_tostring(L, -3));
    const char *found = has_module(L, root, "lua") ? "lua"
                        : has_module(L, root, sub) ? sub : NULL;
    lua_replace(L, -4);
    if (found == NULL) continue;
    lua_getglobal(L, "package");
    lua_pushfstring(L, "%s/%s/?.lua;%s/%s/?/init.lua;", lua_tostring(L, -4),
                    found, lua_tostring(L, -4), found);
    lua_getfield(L, -2, "path");
    lua_concat(L, 2);
    lua_setfield(L, -2, "path");
    break;
  }
  lua_settop(L, 0);
}

/* Protected: the standard libraries, the module, what a host forbids. */
static int setup(lua_State *L) {
  luapm *pm = lua_touserdata(L, 1);
  luaL_openlibs(L);
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "preload");
  lua_pushcfunction(L, luaopen_customaction_core);
  lua_setfield(L, -2, "customaction.core");
  lua_getglobal(L, "os");
  lua_pushcfunction(L, no_exit);
  lua_setfield(L, -2, "exit");
  lua_pushlightuserdata(L, pm);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &hook_key);
  /* LuaJIT's compiled code calls no hooks: interpret, so it can be cut */
  lua_getglobal(L, "jit");
  if (lua_istable(L, -1) && lua_getfield(L, -1, "off") == LUA_TFUNCTION)
    lua_call(L, 0, 0);
  lua_settop(L, 0);
  find_module_files(L);
  pm->step_ref = LUA_NOREF;
  return 0;
}

static int provider_pointer(lua_State *L) {
  lua_pushlightuserdata(L, customaction_checkprovider(L, 1, "pm"));
  return 1;
}

/* Protected: runs the script; keeps its provider's IProtocolManager. */
static int start(lua_State *L) {
  luapm *pm = lua_touserdata(L, 1);
  IProtocolManager *inner;
  if (luaL_loadfile(L, pm->script) != LUA_OK) return lua_error(L);
  lua_pushstring(L, pm->script);
  if (pm->fw != NULL) lua_pushlightuserdata(L, pm->fw); else lua_pushnil(L);
  lua_call(L, 2, 2);
  if (luaL_testudata(L, -2, "customaction.provider") == NULL)
    return luaL_error(L, "the script returned a %s, not a provider "
                      "(ca.provider{...})", luaL_typename(L, -2));
  lua_pushcfunction(L, provider_pointer);
  lua_pushvalue(L, -3);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK)
    return luaL_error(L, "the script returned a closed provider: return it "
                      "open (luapm closes it when the host shuts down)");
  inner = lua_touserdata(L, -1);
  lua_pop(L, 1);
  if (!lua_isnil(L, -1)) {
    if (!lua_isfunction(L, -1))
      return luaL_error(L, "the script's second result is a %s, not a step "
                        "function", luaL_typename(L, -1));
    pm->step_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  } else {
    lua_pop(L, 1);
  }
  /* the provider stays in the registry until the state closes */
  lua_rawsetp(L, LUA_REGISTRYINDEX, pm);
  inner->lpVtbl->AddRef(inner);
  pm->inner = inner;
  return 0;
}

/* Protected: one round of the loop. */
static int round_once(lua_State *L) {
  luapm *pm = lua_touserdata(L, 1);
  customaction_wait(L, 0.05, -1);
  if (pm->step_ref != LUA_NOREF) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, pm->step_ref);
    lua_call(L, 0, 0);
  }
  return 0;
}

/* Protected: what came in while stopping (Shutdown's own request). */
static int drain(lua_State *L) {
  customaction_dispatch(L, -1);
  return 0;
}

static int protected(lua_State *L, lua_CFunction f, luapm *pm) {
  int rc;
  lua_pushcfunction(L, ca_lmsgh);   /* the binding's one message handler */
  lua_pushcfunction(L, f);
  lua_pushlightuserdata(L, pm);
  rc = lua_pcall(L, 1, 0, -3);
  if (rc != LUA_OK)
    fprintf(stderr, "luapm: %s: %s\n", pm->script, lua_tostring(L, -1));
  lua_settop(L, 0);
  return rc;
}

static void set_ready(luapm *pm, int rc) {
  ca_mutex_lock(&pm->m);
  pm->init_hr = rc == LUA_OK ? CA_S_OK : rc == LUA_ERRMEM ? CA_E_OUTOFMEMORY
                                                          : CA_DISP_E_EXCEPTION;
  pm->ready = 1;
  ca_cond_broadcast(&pm->c);
  ca_mutex_unlock(&pm->m);
}

static void *script_thread(void *arg) {
  luapm *pm = arg;
  lua_State *L = luaL_newstate();
  int rc = LUA_ERRMEM;
  ca_mutex_lock(&pm->m);
  pm->thread_id = ca_thread_self();
  pm->has_id = 1;
  ca_mutex_unlock(&pm->m);
  if (L != NULL && (rc = protected(L, setup, pm)) == LUA_OK) {
    lua_sethook(L, interrupt_hook, LUA_MASKCOUNT, HOOK_COUNT);
    rc = protected(L, start, pm);
  }
  set_ready(pm, rc);
  while (rc == LUA_OK && !ca_atomic_load_int(&pm->stop, CA_SEQ_CST))
    protected(L, round_once, pm);   /* a step that raises is reported */
  /* closing: what interrupted the loop has done its work; only a waiter
     that runs out of time from here on interrupts the shutdown hook */
  ca_atomic_store_int(&pm->interrupt, RUN_ON, CA_SEQ_CST);
  if (rc == LUA_OK) protected(L, drain, pm);
  if (L != NULL) {
    lua_sethook(L, NULL, 0, 0);   /* finalizers must not raise */
    lua_close(L);
  }
  /* the script (its finalizers included) was the framework's only user:
     released here, before Shutdown or the last Release stops waiting for
     this thread, not when the host's last reference goes */
  if (pm->fw != NULL) {
    pm->fw->lpVtbl->Release(pm->fw);
    pm->fw = NULL;
  }
  thread_finished(pm);
  return NULL;
}

/* ---- the host's interface -------------------------------------------- */

#define SELF(p) ((luapm *)(void *)(p))

static ULONG WPF_METHOD pm_addref(IProtocolManager *self) {
  return ca_atomic_fetch_add_uint(&SELF(self)->refs, 1, CA_SEQ_CST) + 1;
}

/* The last Release stops the script as Shutdown(FALSE) would, waiting
   (bounded) unless it runs on the script's thread, which then frees the
   object when it finishes. */
static ULONG WPF_METHOD pm_release(IProtocolManager *self) {
  luapm *pm = SELF(self);
  unsigned n = ca_atomic_fetch_sub_uint(&pm->refs, 1, CA_SEQ_CST) - 1;
  if (n != 0) return n;
  stop_script(pm, RUN_ON);
  if (!on_script_thread(pm) && !wait_thread(pm, pm->shutdown_ms))
    stop_script(pm, CUT_SHUTDOWN);
  unhost(pm);
  return 0;
}

static HRESULT WPF_METHOD pm_get(IProtocolManager *self, PM_INTERFACE_ID_ENUM id,
                      PVOID *ppv) {
  IProtocolManager *in = SELF(self)->inner;
  return in->lpVtbl->GetPmInterface(in, id, ppv);
}

static HRESULT WPF_METHOD pm_custom(IProtocolManager *self, DWORD id, PVOID *ppv) {
  IProtocolManager *in = SELF(self)->inner;
  return in->lpVtbl->GetCustomInterface(in, id, ppv);
}

/* The provider ends its registrations on its thread (one final report
   each), then the thread stops, closes the state and releases the
   framework; later calls get RPC_E_DISCONNECTED. Both forms wait for that,
   up to the shutdown time, so that nothing comes after they return:
   Shutdown(TRUE) interrupts the running script at once, Shutdown(FALSE)
   lets it finish. A wait that runs out interrupts it and answers
   E_TIMEOUT. On the script's thread (inside ReportResult) neither waits:
   the thread cannot wait for itself. */
static HRESULT WPF_METHOD pm_shutdown(IProtocolManager *self, BOOL immediate) {
  luapm *pm = SELF(self);
  HRESULT hr;
  if (ca_atomic_exchange_int(&pm->shut, 1)) return CA_RPC_E_DISCONNECTED;
  hr = pm->inner->lpVtbl->Shutdown(pm->inner, immediate);
  stop_script(pm, immediate ? CUT_IMMEDIATE : RUN_ON);
  if (on_script_thread(pm) || wait_thread(pm, pm->shutdown_ms)) return hr;
  stop_script(pm, CUT_SHUTDOWN);
  return CA_E_TIMEOUT;
}

static const IProtocolManagerVtbl luapm_vtbl = {
  pm_addref, pm_release, pm_get, pm_custom, pm_shutdown,
};

/* ---- GetProtocolManager ---------------------------------------------- */

/* CUSTOMACTION_LUAPM_SCRIPT, or this library's path with ".lua". */
static char *script_path(void) {
  const char *env = getenv(SCRIPT_ENV);
  char *lib, *s, *dot, *sep, *bs;
  if (env != NULL && *env != '\0') return strdup(env);
  lib = library_path();
  if (lib == NULL) return NULL;
  s = malloc(strlen(lib) + 5);
  if (s != NULL) {
    strcpy(s, lib);
    dot = strrchr(s, '.');
    sep = strrchr(s, '/');
    bs = strrchr(s, '\\');   /* Windows separates with either */
    if (bs != NULL && (sep == NULL || bs > sep)) sep = bs;
    if (dot != NULL && (sep == NULL || dot > sep)) *dot = '\0';
    strcat(s, ".lua");
  }
  free(lib);
  return s;
}

/* A time limit from the environment: 0 and the value, or -1 if bad. */
static int env_ms(const char *name, int64_t min, int64_t def, int64_t *ms) {
  const char *s = getenv(name);
  char *end;
  long long v;
  *ms = def;
  if (s == NULL || *s == '\0') return 0;
  errno = 0;
  v = strtoll(s, &end, 10);
  if (errno == 0 && end != s && *end == '\0' && v >= min &&
      v <= CA_MAX_WAIT_MS) {
    *ms = v;
    return 0;
  }
  fprintf(stderr, "luapm: %s must be a whole number of milliseconds from "
          "%lld to %d (got \"%s\")\n", name, (long long)min,
          CA_MAX_WAIT_MS, s);
  return -1;
}

static HRESULT new_luapm(IWorkerProcessFramework *fw, luapm **out) {
  luapm *pm = calloc(1, sizeof *pm);
  *out = NULL;
  if (pm == NULL) return CA_E_OUTOFMEMORY;
  if (env_ms(LOAD_ENV, 1, CA_DEFAULT_LUAPM_LOAD_MS, &pm->load_ms) != 0 ||
      env_ms(SHUTDOWN_ENV, 0, CA_DEFAULT_LUAPM_SHUTDOWN_MS, &pm->shutdown_ms) != 0) {
    free(pm);
    return CA_E_INVALIDARG;
  }
  pm->script = script_path();
  if (pm->script == NULL) {
    free(pm);
    return CA_E_OUTOFMEMORY;
  }
  pm->lpVtbl = &luapm_vtbl;
  ca_atomic_init_uint(&pm->refs, 1);
  ca_atomic_init_int(&pm->stop, 0);
  ca_atomic_init_int(&pm->interrupt, RUN_ON);
  ca_atomic_init_int(&pm->shut, 0);
  ca_mutex_init(&pm->m);
  ca_cond_init(&pm->c);
  pm->hosted = 1;
  pm->fw = fw;
  if (fw != NULL) fw->lpVtbl->AddRef(fw);
  *out = pm;
  return CA_S_OK;
}

static int script_exists(luapm *pm) {
  FILE *f = fopen(pm->script, "r");
  if (f == NULL) {
    fprintf(stderr, "luapm: cannot open the script %s (named by %s, or "
            "else the .lua file beside the library)\n", pm->script,
            SCRIPT_ENV);
    return 0;
  }
  fclose(f);
  return 1;
}

static int start_thread(luapm *pm) {
  ca_thread t;
  int rc;
  ca_mutex_lock(&pm->m);
  pm->running = 1;
  rc = ca_thread_start(&t, script_thread, pm);
  if (rc == 0) {
    pm->thread = t;
    pm->has_thread = 1;
  } else {
    pm->running = 0;
  }
  ca_mutex_unlock(&pm->m);
  return rc;
}

/* Waits up to load_ms for the script: its result, or E_TIMEOUT. */
static HRESULT wait_ready(luapm *pm) {
  int64_t deadline = ca_now_ns() + pm->load_ms * 1000000;
  HRESULT hr;
  ca_mutex_lock(&pm->m);
  while (!pm->ready) {
    int64_t left = (deadline - ca_now_ns()) / 1000000;
    if (left <= 0) break;
    ca_cond_timedwait(&pm->c, &pm->m, left);
  }
  hr = pm->ready ? pm->init_hr : CA_E_TIMEOUT;
  ca_mutex_unlock(&pm->m);
  return hr;
}

CA_EXPORT HRESULT WPF_INIT GetProtocolManager(
    IWorkerProcessFramework *pWpFramework,
    IProtocolManager **ppProtocolManager);

HRESULT WPF_INIT GetProtocolManager(IWorkerProcessFramework *pWpFramework,
                           IProtocolManager **ppProtocolManager) {
  luapm *pm;
  HRESULT hr;
  if (ppProtocolManager == NULL) return CA_E_POINTER;
  *ppProtocolManager = NULL;
  hr = new_luapm(pWpFramework, &pm);
  if (hr != CA_S_OK) return hr;
  /* its thread may outlive the host's use of it: never unmapped */
  ca_pin_module((const void *)(uintptr_t)GetProtocolManager);
  if (!script_exists(pm)) hr = CA_E_FILE_NOT_FOUND;
  else if (start_thread(pm) != 0) hr = CA_E_FAIL;
  else hr = wait_ready(pm);
  if (hr == CA_S_OK) {
    *ppProtocolManager = (IProtocolManager *)pm;
    return hr;
  }
  if (hr == CA_E_TIMEOUT) {
    fprintf(stderr, "luapm: %s did not finish loading within %lld ms (%s); "
            "it is interrupted\n", pm->script, (long long)pm->load_ms,
            LOAD_ENV);
    stop_script(pm, CUT_LOAD);
  } else {
    stop_script(pm, RUN_ON);
    wait_thread(pm, pm->shutdown_ms);   /* it ends: what it held goes now */
  }
  unhost(pm);
  return hr;
}
