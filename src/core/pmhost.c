/*
** pmhost.c: loading a protocol-manager library and calling through its
** interfaces (see pmhost.h). The library is trusted for its exported
** function's type and its objects' layout only; what it returns is passed
** back unchanged.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "alloc.h"
#include "pmhost.h"

#include "atomics.h"
#include <stdlib.h>

#include "foreign.h"
#include "hresult.h"
#include "platform.h"

int ca_pm_load(const char *path, const char *init, IWorkerProcessFramework *fw,
               IProtocolManager **out, HRESULT *hr, char *err, size_t errlen) {
  void *lib, *sym;
  PFN_PROTOCOL_MANAGER_INIT fn;
  *out = NULL;
  *hr = CA_S_OK;
  lib = ca_lib_open(path, err, errlen);
  if (lib == NULL) return CA_PM_NO_LIBRARY;
  sym = ca_lib_symbol(lib, init, err, errlen);
  if (sym == NULL) return CA_PM_NO_SYMBOL;
  /* the loader hands out data pointers; the export is a function */
  *(void **)(void *)&fn = sym;
  *hr = fn(fw, out);
  if (WPF_FAILED(*hr)) {
    if (*out != NULL) ca_ref_release(*out);   /* a reference it should not
                                                 have handed out */
    *out = NULL;
    return CA_PM_INIT_FAILED;
  }
  return *out == NULL ? CA_PM_NO_OBJECT : CA_PM_OK;
}

HRESULT ca_pm_interface(IProtocolManager *pm, int custom, DWORD id,
                        void **out) {
  HRESULT hr;
  *out = NULL;
  if (custom)
    hr = pm->lpVtbl->GetCustomInterface(pm, id, out);
  else
    hr = pm->lpVtbl->GetPmInterface(pm, (PM_INTERFACE_ID_ENUM)id, out);
  if (WPF_FAILED(hr)) *out = NULL;
  else if (*out == NULL) hr = CA_E_POINTER;   /* success with nothing */
  return hr;
}

HRESULT ca_pm_shutdown(IProtocolManager *pm, int immediate) {
  return pm->lpVtbl->Shutdown(pm, immediate ? 1 : 0);
}

HRESULT ca_pm_check_idle(IPmHealthAndIdleMonitor *m, int *idle) {
  BOOL b = 0;
  HRESULT hr = m->lpVtbl->CheckIdle(m, &b);
  *idle = b != 0;
  return hr;
}

/* ---- our IHealthStatusCallback ------------------------------------------ */

typedef struct health {
  const IHealthStatusCallbackVtbl *vtbl;
  ca_atomic_uint refs;
  ca_callback *cb;      /* one reference */
} health;

static ULONG WPF_METHOD h_addref(IHealthStatusCallback *self) {
  health *h = (health *)(void *)self;
  return ca_atomic_fetch_add_uint(&h->refs, 1, CA_SEQ_CST) + 1;
}

static ULONG WPF_METHOD h_release(IHealthStatusCallback *self) {
  health *h = (health *)(void *)self;
  ULONG r = ca_atomic_fetch_sub_uint(&h->refs, 1, CA_SEQ_CST) - 1;
  if (r == 0) {
    ca_callback_release(h->cb);
    free(h);
  }
  return r;
}

static HRESULT WPF_METHOD h_report(IHealthStatusCallback *self, BOOL healthy) {
  health *h = (health *)(void *)self;
  return ca_callback_report(h->cb, healthy ? CA_S_OK : CA_S_FALSE, 1, NULL,
                            0);
}

static const IHealthStatusCallbackVtbl health_vtbl = {
  h_addref, h_release, h_report};

HRESULT ca_pm_check_health(IPmHealthAndIdleMonitor *m, ca_callback *cb) {
  health *h = ca_malloc(sizeof *h);
  HRESULT hr;
  if (h == NULL) return CA_E_OUTOFMEMORY;
  h->vtbl = &health_vtbl;
  ca_atomic_init_uint(&h->refs, 1);
  h->cb = cb;
  ca_callback_addref(cb);
  hr = m->lpVtbl->CheckHealth(m, (IHealthStatusCallback *)(void *)h);
  h_release((IHealthStatusCallback *)(void *)h);
  return hr;
}
