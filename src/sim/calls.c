/*
** calls.c: how the simulator calls a callback it holds, through the v1 or
** v2 vtable as a native protocol manager would, and, for the
** foreign_thread fault, from a thread that exists only for one report.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "sim.h"

#include "hresult.h"

ULONG ca_sim_addref(void *cb, int shape) {
  return shape == CA_SHAPE_V1
    ? ((ICustomActionResultCallback *)cb)->lpVtbl->AddRef(cb)
    : ((ICustomAction2ResultCallback *)cb)->lpVtbl->AddRef(cb);
}

ULONG ca_sim_release(void *cb, int shape) {
  return shape == CA_SHAPE_V1
    ? ((ICustomActionResultCallback *)cb)->lpVtbl->Release(cb)
    : ((ICustomAction2ResultCallback *)cb)->lpVtbl->Release(cb);
}

HRESULT ca_sim_report(void *cb, int shape, HRESULT st, int final,
                      const BYTE *buf, DWORD len) {
  /* the interfaces take a non-const buffer; callbacks only read it */
  BYTE *b = (BYTE *)(uintptr_t)buf;
  if (shape == CA_SHAPE_V1)
    return ((ICustomActionResultCallback *)cb)->lpVtbl->ReportResult(
        cb, st, b, len);
  return ((ICustomAction2ResultCallback *)cb)->lpVtbl->ReportResult(
      cb, st, final, b, len);
}

typedef struct foreign_call {
  unsigned long thread;
  void *cb;
  int shape;
  HRESULT st;
  int final;
  const BYTE *buf;
  DWORD len;
  HRESULT result;
} foreign_call;

static void *foreign_main(void *arg) {
  foreign_call *c = arg;
  c->thread = ca_thread_number();
  c->result = ca_sim_report(c->cb, c->shape, c->st, c->final, c->buf, c->len);
  return NULL;
}

HRESULT ca_sim_report_foreign(void *cb, int shape, HRESULT st, int final,
                              const BYTE *buf, DWORD len,
                              unsigned long *thread) {
  foreign_call c;
  ca_thread t;
  c.cb = cb; c.shape = shape; c.st = st; c.final = final;
  c.buf = buf; c.len = len; c.result = CA_E_FAIL; c.thread = 0;
  if (ca_thread_start(&t, foreign_main, &c) != 0)
    return ca_sim_report(cb, shape, st, final, buf, len);
  ca_thread_join(t);
  *thread = c.thread;
  return c.result;
}
