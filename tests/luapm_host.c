/*
** luapm_host.c: the smallest native host of an installed luapm, built
** against the headers the rock installs (customaction --paths shows where)
** and nothing else of the project: it loads the library, gets its
** protocol manager with no worker-process framework, runs one custom
** action through IPmCustomActions with a callback object of its own, waits
** (at most 5 s) for the result the script's thread reports, shuts the
** protocol manager down and prints what came back. No Lua here.
** Usage: luapm_host LIBRARY ACTION [ARGUMENT]   (ASCII names)
** Exit status: 0 when the action reported S_OK, 1 otherwise.
*/
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "customaction.h"

typedef struct result {
  ICustomActionResultCallback cb;
  pthread_mutex_t m;
  pthread_cond_t c;
  int done;
  HRESULT status;
  char response[256];
} result;

static ULONG cb_addref(ICustomActionResultCallback *self) { (void)self; return 2; }
static ULONG cb_release(ICustomActionResultCallback *self) { (void)self; return 1; }

/* Runs on the script's thread: copy the bytes, wake main. */
static HRESULT cb_report(ICustomActionResultCallback *self, HRESULT status,
                         BYTE *response, DWORD size) {
  result *r = (result *)(void *)self;
  pthread_mutex_lock(&r->m);
  r->status = status;
  if (response != NULL) {
    if (size >= sizeof r->response) size = sizeof r->response - 1;
    memcpy(r->response, response, size);
    r->response[size] = '\0';
  }
  r->done = 1;
  pthread_cond_signal(&r->c);
  pthread_mutex_unlock(&r->m);
  return 0;
}

static const ICustomActionResultCallbackVtbl cb_vtbl = {
  cb_addref, cb_release, cb_report,
};

/* ASCII to NUL-terminated UTF-16 */
static void wide(WCHAR *out, size_t n, const char *s) {
  size_t i;
  for (i = 0; i + 1 < n && s[i] != '\0'; i++) out[i] = (WCHAR)(unsigned char)s[i];
  out[i] = 0;
}

static int wait_result(result *r) {
  struct timespec until;
  int ok = 1;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += 5;
  pthread_mutex_lock(&r->m);
  while (!r->done && ok) ok = pthread_cond_timedwait(&r->c, &r->m, &until) == 0;
  pthread_mutex_unlock(&r->m);
  return r->done;
}

int main(int argc, char **argv) {
  static result r = { { &cb_vtbl }, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, "" };
  WCHAR name[128], arg[128];
  IProtocolManager *pm = NULL;
  IPmCustomActions *acts = NULL;
  PFN_PROTOCOL_MANAGER_INIT get;
  HRESULT hr;
  void *lib;
  if (argc < 3) {
    fprintf(stderr, "usage: luapm_host LIBRARY ACTION [ARGUMENT]\n");
    return 2;
  }
  lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) { fprintf(stderr, "luapm_host: %s\n", dlerror()); return 1; }
  *(void **)&get = dlsym(lib, WPF_DEFAULT_PM_INIT_FUNCTION);
  if (get == NULL) { fprintf(stderr, "luapm_host: no GetProtocolManager\n"); return 1; }
  hr = get(NULL, &pm);
  if (hr < 0) { fprintf(stderr, "luapm_host: GetProtocolManager 0x%08X\n", (unsigned)hr); return 1; }
  hr = pm->lpVtbl->GetPmInterface(pm, PM_CUSTOM_ACTIONS_ID, (PVOID *)&acts);
  if (hr >= 0) {
    wide(name, 128, argv[2]);
    wide(arg, 128, argc > 3 ? argv[3] : "");
    hr = acts->lpVtbl->RunCustomAction(acts, name, arg, &r.cb);
    if (hr >= 0 && !wait_result(&r)) hr = (HRESULT)0x800705B4;   /* ERROR_TIMEOUT */
    else if (hr >= 0) hr = r.status;
    acts->lpVtbl->Release(acts);
  }
  pm->lpVtbl->Shutdown(pm, 1);
  pm->lpVtbl->Release(pm);
  printf("%s %s: 0x%08X %s\n", argv[2], argc > 3 ? argv[3] : "", (unsigned)hr, r.response);
  return hr == 0 ? 0 : 1;
}
