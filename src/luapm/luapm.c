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
** provider's registrations there, stops the thread and closes the state.
** This library links liblua itself and carries the module's code, so a
** host that has no Lua at all can load it.
*/
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lcompat.h"   /* the 5.4 API on every Lua the module supports */
#include "lualib.h"
#include "customaction.h"
#include "platform.h"
#include "wpf.h"

#define SCRIPT_ENV "CUSTOMACTION_LUAPM_SCRIPT"
#define E_FAIL_ ((HRESULT)0x80004005)
#define E_POINTER_ ((HRESULT)0x80004003)
#define E_OUTOFMEMORY_ ((HRESULT)0x8007000E)
#define DISP_E_EXCEPTION_ ((HRESULT)0x80020009)
#define E_FILE_NOT_FOUND_ ((HRESULT)0x80070002)

typedef struct luapm {
  const IProtocolManagerVtbl *lpVtbl;
  atomic_uint refs;
  atomic_int stop;
  atomic_int shut;
  IWorkerProcessFramework *fw;   /* one reference, or NULL */
  IProtocolManager *inner;       /* the provider's; one reference */
  ca_thread thread;
  ca_thread_id thread_id;        /* the script's thread, once ready */
  ca_mutex m;
  ca_cond c;
  int ready;
  HRESULT init_hr;
  int step_ref;                  /* the script's step function, or none */
  char *script;
} luapm;

static void set_ready(luapm *pm, HRESULT hr) {
  ca_mutex_lock(&pm->m);
  pm->init_hr = hr;
  pm->ready = 1;
  ca_cond_broadcast(&pm->c);
  ca_mutex_unlock(&pm->m);
}

static int msgh(lua_State *L) {
  luaL_traceback(L, L, lua_tostring(L, 1), 1);
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
  inner = customaction_checkprovider(L, -2, "pm");
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

static int protected(lua_State *L, lua_CFunction f, luapm *pm) {
  int rc;
  lua_pushcfunction(L, msgh);
  lua_pushcfunction(L, f);
  lua_pushlightuserdata(L, pm);
  rc = lua_pcall(L, 1, 0, -3);
  if (rc != LUA_OK)
    fprintf(stderr, "luapm: %s: %s\n", pm->script, lua_tostring(L, -1));
  lua_settop(L, 0);
  return rc;
}

static void *script_thread(void *arg) {
  luapm *pm = arg;
  lua_State *L = luaL_newstate();
  int rc;
  pm->thread_id = ca_thread_self();
  if (L == NULL) {
    set_ready(pm, E_OUTOFMEMORY_);
    return NULL;
  }
  luaL_openlibs(L);
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "preload");
  lua_pushcfunction(L, luaopen_customaction_core);
  lua_setfield(L, -2, "customaction.core");
  lua_settop(L, 0);
  pm->step_ref = LUA_NOREF;
  rc = protected(L, start, pm);
  set_ready(pm, rc == LUA_OK ? 0 : rc == LUA_ERRMEM ? E_OUTOFMEMORY_
                                                    : DISP_E_EXCEPTION_);
  while (rc == LUA_OK && !atomic_load(&pm->stop))
    protected(L, round_once, pm);   /* a step that raises is reported */
  /* what came in while stopping (Shutdown's own request among it) */
  if (rc == LUA_OK) customaction_dispatch(L, -1);
  lua_close(L);
  return NULL;
}

/* Stops the script's thread (joins it unless called on it). */
static void stop_thread(luapm *pm) {
  if (atomic_exchange(&pm->stop, 1)) return;
  if (ca_thread_is(pm->thread_id)) ca_thread_detach(pm->thread);
  else ca_thread_join(pm->thread);
}

#define SELF(p) ((luapm *)(void *)(p))

static ULONG pm_addref(IProtocolManager *self) {
  return atomic_fetch_add(&SELF(self)->refs, 1) + 1;
}

static void destroy(luapm *pm) {
  stop_thread(pm);
  if (pm->inner != NULL) pm->inner->lpVtbl->Release(pm->inner);
  if (pm->fw != NULL) pm->fw->lpVtbl->Release(pm->fw);
  ca_cond_destroy(&pm->c);
  ca_mutex_destroy(&pm->m);
  free(pm->script);
  free(pm);
}

static ULONG pm_release(IProtocolManager *self) {
  unsigned n = atomic_fetch_sub(&SELF(self)->refs, 1) - 1;
  if (n == 0) destroy(SELF(self));
  return n;
}

static HRESULT pm_get(IProtocolManager *self, PM_INTERFACE_ID_ENUM id,
                      PVOID *ppv) {
  IProtocolManager *in = SELF(self)->inner;
  return in->lpVtbl->GetPmInterface(in, id, ppv);
}

static HRESULT pm_custom(IProtocolManager *self, DWORD id, PVOID *ppv) {
  IProtocolManager *in = SELF(self)->inner;
  return in->lpVtbl->GetCustomInterface(in, id, ppv);
}

/* The provider ends its registrations on its thread, then the thread
   stops and the state closes; later calls get RPC_E_DISCONNECTED. */
static HRESULT pm_shutdown(IProtocolManager *self, BOOL immediate) {
  luapm *pm = SELF(self);
  HRESULT hr;
  if (atomic_exchange(&pm->shut, 1)) return 0;
  hr = pm->inner->lpVtbl->Shutdown(pm->inner, immediate);
  stop_thread(pm);
  return hr;
}

static const IProtocolManagerVtbl luapm_vtbl = {
  pm_addref, pm_release, pm_get, pm_custom, pm_shutdown,
};

/* CUSTOMACTION_LUAPM_SCRIPT, or this library's path with ".lua". */
static char *script_path(void) {
  const char *env = getenv(SCRIPT_ENV);
  char *lib, *s, *dot, *sep, *bs;
  if (env != NULL && *env != '\0') return strdup(env);
  lib = ca_module_path((const void *)(uintptr_t)script_path);
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

static luapm *new_luapm(IWorkerProcessFramework *fw) {
  luapm *pm = calloc(1, sizeof *pm);
  if (pm == NULL) return NULL;
  pm->script = script_path();
  if (pm->script == NULL) {
    free(pm);
    return NULL;
  }
  pm->lpVtbl = &luapm_vtbl;
  atomic_init(&pm->refs, 1);
  atomic_init(&pm->stop, 0);
  atomic_init(&pm->shut, 0);
  ca_mutex_init(&pm->m);
  ca_cond_init(&pm->c);
  pm->fw = fw;
  if (fw != NULL) fw->lpVtbl->AddRef(fw);
  return pm;
}

CA_EXPORT HRESULT GetProtocolManager(
    IWorkerProcessFramework *pWpFramework,
    IProtocolManager **ppProtocolManager);

HRESULT GetProtocolManager(IWorkerProcessFramework *pWpFramework,
                           IProtocolManager **ppProtocolManager) {
  luapm *pm;
  FILE *f;
  if (ppProtocolManager == NULL) return E_POINTER_;
  *ppProtocolManager = NULL;
  pm = new_luapm(pWpFramework);
  if (pm == NULL) return E_OUTOFMEMORY_;
  f = fopen(pm->script, "r");
  if (f == NULL) {
    fprintf(stderr, "luapm: cannot open the script %s (named by %s, or "
            "else the .lua file beside the library)\n", pm->script,
            SCRIPT_ENV);
    atomic_store(&pm->stop, 1);   /* no thread to stop */
    destroy(pm);
    return E_FILE_NOT_FOUND_;
  }
  fclose(f);
  if (ca_thread_start(&pm->thread, script_thread, pm) != 0) {
    atomic_store(&pm->stop, 1);
    destroy(pm);
    return E_FAIL_;
  }
  ca_mutex_lock(&pm->m);
  while (!pm->ready) ca_cond_wait(&pm->c, &pm->m);
  ca_mutex_unlock(&pm->m);
  if (pm->init_hr != 0) {
    HRESULT hr = pm->init_hr;
    destroy(pm);
    return hr;
  }
  *ppProtocolManager = (IProtocolManager *)pm;
  return 0;
}
