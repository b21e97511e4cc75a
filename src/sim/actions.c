/*
** actions.c: the simulated protocol manager's native face: the
** IPmCustomActions and IPmCustomActions2 vtables, and what their calls
** do: start an operation (queued for the scheduler, or, for a synchronous
** run, driven to its end inside the call as IIS's core protocol manager
** does), or cancel one. The lock is never held while a callback is
** called, so handlers may call back into the issuer (unregister,
** register, close) from any report.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "alloc.h"
#include "sim.h"

#include "hresult.h"
#include "utf16.h"

/* ---- operations ------------------------------------------------------- */

static ca_def *find_def(ca_issuer *is, const char *name) {
  ca_def *d;
  for (d = is->defs; d; d = d->next)
    if (strcmp(d->name, name) == 0) return d;
  return NULL;
}

static ca_op *find_bound(ca_issuer *is, const char *name) {
  ca_op *op;
  for (op = is->ops; op; op = op->next)
    if (op->named && strcmp(op->name, name) == 0) return op;
  return NULL;
}

static char *to_utf8(PCWSTR s, size_t *len) {
  char *out;
  size_t where;
  if (ca_utf16_to_utf8(s, ca_wcslen(s), &out, len, &where) != CA_UTF_OK)
    return NULL;
  return out;
}

static void free_unstarted(ca_op *op) {
  free(op->args);
  free(op->args16);
  free(op->name);
  free(op);
}

/* A new operation with its name and argument converted; NULL and *hr. */
static ca_op *new_op(PCWSTR name16, PCWSTR args16, HRESULT *hr) {
  ca_op *op = ca_calloc(1, sizeof *op);
  size_t nlen, n;
  *hr = CA_E_INVALIDARG;   /* not UTF-16 a name or argument can be */
  if (op == NULL) {
    *hr = CA_E_OUTOFMEMORY;
    return NULL;
  }
  op->worker = -1;   /* no worker: a synchronous run, or virtual */
  op->name = to_utf8(name16, &nlen);
  if (op->name != NULL && args16 == NULL) return op;
  if (op->name != NULL) {
    n = ca_wcslen(args16);
    op->args = to_utf8(args16, &op->args_len);
    op->args16 = ca_malloc(n * 2 + 1);
    if (op->args != NULL && op->args16 != NULL) {
      ca_utf16_to_le(args16, n, op->args16);
      op->args16_len = n * 2;
      return op;
    }
    if (op->args != NULL) *hr = CA_E_OUTOFMEMORY;
  }
  free_unstarted(op);
  return NULL;
}

/* Lock held: may op start? The refusal is logged. */
static HRESULT admit(ca_issuer *is, ca_op *op, int shape, ca_def **d) {
  HRESULT hr = CA_S_OK;
  int iis = shape == CA_SHAPE_V1 && is->sync_run;
  *d = is->closed ? NULL : find_def(is, op->name);
  if (is->closed) hr = CA_RPC_E_DISCONNECTED;
  else if (*d == NULL) hr = iis ? CA_E_NOTIMPL : CA_E_NOT_FOUND;
  else if (shape == CA_SHAPE_V2 && find_bound(is, op->name) != NULL)
    hr = CA_E_ALREADY_EXISTS;
  if (hr != CA_S_OK)
    ca_sim_log_call_locked(is, shape == CA_SHAPE_V1 ? CA_LOG_RUN : CA_LOG_REGISTER,
                           op->name, shape, hr);
  return hr;
}

/* Lock held: binds op to its scenario and callback, AddRefs, links it. */
static void launch(ca_issuer *is, ca_op *op, ca_def *d, int shape, void *cb) {
  const ca_fault *j = ca_sc_fault(d->sc, CA_FAULT_JITTER);
  op->shape = shape;
  op->cb = cb;
  op->sc = d->sc;
  d->sc->refs++;
  op->state = ST_ACTIVE;
  op->named = shape == CA_SHAPE_V2;
  op->sync = shape == CA_SHAPE_V1 && is->sync_run;
  op->never_release = ca_sc_fault(d->sc, CA_FAULT_NEVER_RELEASE) != NULL;
  op->rng = j && j->seed ? j->seed : 0x9E3779B97F4A7C15ull;
  op->due = ca_time_add(ca_sim_now(is), op->sync ? 0 : d->sc->delay);
  ca_sim_log_refs_locked(is, CA_LOG_ADDREF, op->name, shape,
                         ca_sim_addref(cb, shape));
  if (ca_sc_fault(d->sc, CA_FAULT_EARLY_RELEASE)) {
    /* keeps the simulation itself from using a freed callback; only the
       early Release is logged, as that is the protocol under test */
    op->guard = 1;
    ca_sim_addref(cb, shape);
  }
  op->next = is->ops;
  is->ops = op;
}

/* Lock held: runs op to its end on this thread, inside RunCustomAction,
   and returns what its response's ReportResult returned. */
static HRESULT run_inside(ca_issuer *is, ca_op *op) {
  HRESULT hr = CA_S_OK;
  char *name = ca_strdup(op->name);
  int ended = 0;
  while (!ended) {
    ca_event ev;
    ended = ca_sched_step(is, op, &ev);
    if (ev.kind == EV_RESPONSE || ev.kind == EV_ABORT) hr = ev.result;
  }
  ca_sim_log_call_locked(is, CA_LOG_RUN, name ? name : "", 1, hr);
  free(name);
  return hr;
}

/* Starts an operation; returns the HRESULT of the native call. */
static HRESULT start(ca_issuer *is, int shape, PCWSTR name16, PCWSTR args16,
                     void *cb) {
  ca_op *op;
  ca_def *d;
  HRESULT hr;
  if (name16 == NULL || cb == NULL) return CA_E_POINTER;
  op = new_op(name16, args16, &hr);
  if (op == NULL) return hr;
  ca_mutex_lock(&is->lock);
  hr = admit(is, op, shape, &d);
  if (hr == CA_S_OK && !(shape == CA_SHAPE_V1 && is->sync_run) &&
      ca_sched_assign(is, op) != 0)
    hr = CA_E_OUTOFMEMORY;   /* no worker thread could start */
  if (hr != CA_S_OK) {
    ca_mutex_unlock(&is->lock);
    free_unstarted(op);
    return hr;
  }
  launch(is, op, d, shape, cb);
  if (op->sync) {
    hr = run_inside(is, op);
  } else {
    ca_sim_log_call_locked(is, shape == CA_SHAPE_V1 ? CA_LOG_RUN : CA_LOG_REGISTER,
                           op->name, shape, CA_S_OK);
    ca_cond_broadcast(&is->work);
  }
  ca_mutex_unlock(&is->lock);
  return hr;
}

static HRESULT unregister(ca_issuer *is, PCWSTR name16) {
  ca_op *op;
  char *name;
  size_t nlen;
  HRESULT hr = CA_S_OK;
  if (name16 == NULL) return CA_E_POINTER;
  name = to_utf8(name16, &nlen);
  if (name == NULL) return CA_E_INVALIDARG;
  ca_mutex_lock(&is->lock);
  op = is->closed ? NULL : find_bound(is, name);
  if (op == NULL) hr = is->closed ? CA_RPC_E_DISCONNECTED : CA_E_NOT_FOUND;
  ca_sim_log_call_locked(is, CA_LOG_UNREGISTER, name, 2, hr);
  if (op != NULL) {
    op->named = 0;
    op->state = ST_CANCEL;
    op->due = ca_sim_now(is);
    if (is->is_virtual) ca_sched_finish_now(is, op);  /* busy: advance ends it */
    ca_cond_broadcast(&is->work);
  }
  ca_mutex_unlock(&is->lock);
  free(name);
  return hr;
}

/* ---- the vtables -------------------------------------------------------- */

#define IS_FROM(p, member) \
  ((ca_issuer *)(void *)((char *)(p) - offsetof(ca_issuer, member)))

static ULONG WPF_METHOD pm1_addref(IPmCustomActions *self) {
  return ca_issuer_addref(IS_FROM(self, v1));
}
static ULONG WPF_METHOD pm1_release(IPmCustomActions *self) {
  return ca_issuer_release(IS_FROM(self, v1));
}
static HRESULT WPF_METHOD pm1_run(IPmCustomActions *self, PCWSTR name, PCWSTR args,
                       ICustomActionResultCallback *cb) {
  return start(IS_FROM(self, v1), CA_SHAPE_V1, name, args, cb);
}
static ULONG WPF_METHOD pm2_addref(IPmCustomActions2 *self) {
  return ca_issuer_addref(IS_FROM(self, v2));
}
static ULONG WPF_METHOD pm2_release(IPmCustomActions2 *self) {
  return ca_issuer_release(IS_FROM(self, v2));
}
static HRESULT WPF_METHOD pm2_register(IPmCustomActions2 *self, PCWSTR name,
                            PCWSTR args, ICustomAction2ResultCallback *cb) {
  return start(IS_FROM(self, v2), CA_SHAPE_V2, name, args, cb);
}
static HRESULT WPF_METHOD pm2_unregister(IPmCustomActions2 *self, PCWSTR name) {
  return unregister(IS_FROM(self, v2), name);
}

static const IPmCustomActionsVtbl pm1_vtbl = {
  pm1_addref, pm1_release, pm1_run,
};
static const IPmCustomActions2Vtbl pm2_vtbl = {
  pm2_addref, pm2_release, pm2_register, pm2_unregister,
};

void ca_sim_set_vtables(ca_issuer *is) {
  is->v1 = &pm1_vtbl;
  is->v2 = &pm2_vtbl;
}

IPmCustomActions *ca_issuer_v1(ca_issuer *is) {
  return (IPmCustomActions *)&is->v1;
}
IPmCustomActions2 *ca_issuer_v2(ca_issuer *is) {
  return (IPmCustomActions2 *)&is->v2;
}
