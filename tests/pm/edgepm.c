/*
** edgepm.c: a protocol manager that uses the framework the way ordinary
** ones do not, for the tests of ca.load's edges. Its one action
** interface (IPmCustomActions) runs, inside the call:
**   FailOdd      FailWorkerProcess("a" U+D800 "b", E_FAIL, FALSE): an
**                unpaired surrogate in the reason
**   FailNull     FailWorkerProcess(NULL, E_FAIL, TRUE)
**   RecycleOdd   RecycleWorkerProcess(U+DC00 "z")
**   RecycleNull  RecycleWorkerProcess(NULL)
**   Threads      starts 4 threads that call RecycleWorkerProcess and
**                FailWorkerProcess without pause, each through its own
**                IWpfActions reference, until the last Release of the
**                protocol manager (not Shutdown: they go on while the
**                binding closes and while lua_close runs)
** and reports S_OK. GetProtocolManagerFailOnShutdown makes one whose
** Shutdown first calls FailWorkerProcess("shutting down", E_FAIL, FALSE).
** POSIX threads: the tests that load it are POSIX-only.
*/
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>

#include "wpf.h"

#define EXPORT __attribute__((visibility("default")))
#define S_OK_ ((HRESULT)0)
#define E_FAIL_ ((HRESULT)0x80004005)
#define E_NOTIMPL_ ((HRESULT)0x80004001)
#define E_POINTER_ ((HRESULT)0x80004003)
#define NTHREADS 4

typedef struct edge {
  const IProtocolManagerVtbl *pm;
  const IPmCustomActionsVtbl *v1;
  atomic_uint refs;
  IWorkerProcessFramework *fw;
  int fail_on_shutdown;
  atomic_int stop;
  int nthreads;
  pthread_t threads[NTHREADS];
} edge;

#define FROM_V1(p) ((edge *)(void *)((char *)(p) - offsetof(edge, v1)))

static IWpfActions *actions_of(edge *e) {
  PVOID p = NULL;
  if (e->fw == NULL ||
      e->fw->lpVtbl->GetWpfInterface(e->fw, WPF_ACTIONS_ID, &p) != S_OK_)
    return NULL;
  return p;   /* with a reference */
}

static const WCHAR shutting_down[] = {'s', 'h', 'u', 't', 't', 'i', 'n', 'g',
                                      ' ', 'd', 'o', 'w', 'n', 0};
static const WCHAR odd_fail[] = {'a', 0xD800, 'b', 0};
static const WCHAR odd_recycle[] = {0xDC00, 'z', 0};
static const WCHAR from_thread[] = {'t', 0};

static void *reporter(void *arg) {
  edge *e = arg;
  IWpfActions *a = actions_of(e);
  unsigned i;
  if (a == NULL) return NULL;
  for (i = 0; !atomic_load(&e->stop); i++) {
    if (i % 2) a->lpVtbl->RecycleWorkerProcess(a, from_thread);
    else a->lpVtbl->FailWorkerProcess(a, from_thread, E_FAIL_, 0);
  }
  a->lpVtbl->Release(a);
  return NULL;
}

static ULONG edge_addref(edge *e) { return atomic_fetch_add(&e->refs, 1) + 1; }

static ULONG edge_release(edge *e) {
  ULONG left = atomic_fetch_sub(&e->refs, 1) - 1;
  int i;
  if (left != 0) return left;
  atomic_store(&e->stop, 1);
  for (i = 0; i < e->nthreads; i++) pthread_join(e->threads[i], NULL);
  if (e->fw != NULL) e->fw->lpVtbl->Release(e->fw);
  free(e);
  return 0;
}

static ULONG WPF_METHOD pm_addref(IProtocolManager *self) {
  return edge_addref((edge *)(void *)self);
}
static ULONG WPF_METHOD pm_release(IProtocolManager *self) {
  return edge_release((edge *)(void *)self);
}

static HRESULT WPF_METHOD pm_get(IProtocolManager *self, PM_INTERFACE_ID_ENUM id,
                      PVOID *out) {
  edge *e = (edge *)(void *)self;
  if (out == NULL) return E_POINTER_;
  *out = NULL;
  if (id != PM_CUSTOM_ACTIONS_ID) return E_NOTIMPL_;
  edge_addref(e);
  *out = &e->v1;
  return S_OK_;
}

static HRESULT WPF_METHOD pm_custom(IProtocolManager *self, DWORD id, PVOID *out) {
  (void)self;
  (void)id;
  if (out != NULL) *out = NULL;
  return E_NOTIMPL_;
}

static HRESULT WPF_METHOD pm_shutdown(IProtocolManager *self, BOOL immediate) {
  edge *e = (edge *)(void *)self;
  IWpfActions *a;
  (void)immediate;
  if (e->fail_on_shutdown && (a = actions_of(e)) != NULL) {
    a->lpVtbl->FailWorkerProcess(a, shutting_down, E_FAIL_, 0);
    a->lpVtbl->Release(a);
  }
  return S_OK_;
}

static ULONG WPF_METHOD v1_addref(IPmCustomActions *self) {
  return edge_addref(FROM_V1(self));
}
static ULONG WPF_METHOD v1_release(IPmCustomActions *self) {
  return edge_release(FROM_V1(self));
}

static int is(PCWSTR s, const char *ascii) {
  size_t i;
  for (i = 0; ascii[i]; i++)
    if (s[i] != (WCHAR)(unsigned char)ascii[i]) return 0;
  return s[i] == 0;
}

static HRESULT WPF_METHOD v1_run(IPmCustomActions *self, PCWSTR name, PCWSTR args,
                      ICustomActionResultCallback *cb) {
  edge *e = FROM_V1(self);
  IWpfActions *a;
  (void)args;
  if (name == NULL || cb == NULL) return E_POINTER_;
  if (is(name, "Threads")) {
    while (e->nthreads < NTHREADS &&
           pthread_create(&e->threads[e->nthreads], NULL, reporter, e) == 0)
      e->nthreads++;
    return cb->lpVtbl->ReportResult(cb, S_OK_, NULL, 0);
  }
  if ((a = actions_of(e)) == NULL) return E_FAIL_;
  if (is(name, "FailOdd"))
    a->lpVtbl->FailWorkerProcess(a, odd_fail, E_FAIL_, 0);
  else if (is(name, "FailNull"))
    a->lpVtbl->FailWorkerProcess(a, NULL, E_FAIL_, 1);
  else if (is(name, "RecycleOdd"))
    a->lpVtbl->RecycleWorkerProcess(a, odd_recycle);
  else if (is(name, "RecycleNull"))
    a->lpVtbl->RecycleWorkerProcess(a, NULL);
  a->lpVtbl->Release(a);
  return cb->lpVtbl->ReportResult(cb, S_OK_, NULL, 0);
}

static const IProtocolManagerVtbl pm_vtbl = {
  pm_addref, pm_release, pm_get, pm_custom, pm_shutdown};
static const IPmCustomActionsVtbl v1_vtbl = {v1_addref, v1_release, v1_run};

static HRESULT make(IWorkerProcessFramework *fw, IProtocolManager **out,
                    int fail_on_shutdown) {
  edge *e;
  if (fw == NULL || out == NULL) return E_POINTER_;
  e = calloc(1, sizeof *e);
  if (e == NULL) return (HRESULT)0x8007000E;
  e->pm = &pm_vtbl;
  e->v1 = &v1_vtbl;
  atomic_init(&e->refs, 1);
  atomic_init(&e->stop, 0);
  e->fail_on_shutdown = fail_on_shutdown;
  fw->lpVtbl->AddRef(fw);
  e->fw = fw;
  *out = (IProtocolManager *)(void *)e;
  return S_OK_;
}

EXPORT HRESULT WPF_INIT GetProtocolManager(IWorkerProcessFramework *fw,
                                  IProtocolManager **out);
EXPORT HRESULT WPF_INIT GetProtocolManagerFailOnShutdown(IWorkerProcessFramework *fw,
                                                IProtocolManager **out);

EXPORT HRESULT WPF_INIT GetProtocolManager(IWorkerProcessFramework *fw,
                                  IProtocolManager **out) {
  return make(fw, out, 0);
}

EXPORT HRESULT WPF_INIT GetProtocolManagerFailOnShutdown(IWorkerProcessFramework *fw,
                                                IProtocolManager **out) {
  return make(fw, out, 1);
}
