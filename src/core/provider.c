/*
** provider.c: the vtables of a protocol manager implemented by a binding
** (see provider.h), the checks every native call passes on the caller's
** thread, the FIFO of requests waiting for the owning thread, and the
** reports made through native callbacks on the binding's behalf. Every
** callback a request AddRefs is released exactly once: after its final
** report, or when the request is dropped because the provider closed.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "alloc.h"
#include "provider_impl.h"

#include <stdlib.h>
#include <string.h>

#include "hresult.h"
#include "hub.h"
#include "utf16.h"

const char *const ca_prefusal_names[CA_NPREFUSALS] = {
  "closed", "null_pointer", "invalid", "unknown", "duplicate", "not_found",
  "queue", "timeout", "no_memory",
};

static const HRESULT prefusal_hresults[CA_NPREFUSALS] = {
  CA_RPC_E_DISCONNECTED, CA_E_POINTER, CA_E_INVALIDARG, CA_E_NOTIMPL,
  CA_E_ALREADY_EXISTS, CA_E_NOT_FOUND, CA_E_RETRYLATER, CA_E_TIMEOUT,
  CA_E_OUTOFMEMORY,
};

#define FROM(p, member) \
  ((ca_provider *)(void *)((char *)(p) - offsetof(ca_provider, member)))

static HRESULT refuse(ca_provider *p, enum ca_prefusal why) {
  ca_atomic_fetch_add_u64(&p->stats.refused[why], 1, CA_RELAXED);
  return prefusal_hresults[why];
}

static void count(ca_atomic_u64 *c) { ca_atomic_fetch_add_u64(c, 1, CA_RELAXED); }

/* The entry of every method but AddRef and Release: counts the call and,
   once the binding closed or Shutdown ran, answers RPC_E_DISCONNECTED
   before anything else is looked at or any hook can run. */
static HRESULT enter(ca_provider *p) {
  count(&p->stats.calls);
  if (!ca_atomic_load_int(&p->connected, CA_SEQ_CST) || ca_atomic_load_int(&p->shut, CA_SEQ_CST))
    return refuse(p, CA_PREFUSED_CLOSED);
  return CA_S_OK;
}

static void release_native(void *obj) {
  IWpfReferencedObject *o = obj;
  if (o != NULL) o->lpVtbl->Release(o);
}

/* ---- requests ----------------------------------------------------------- */

/* extra: bytes after the request for its name and arguments, which live
   in the request's own allocation (one malloc per native call). */
static ca_preq *preq_new(int kind, size_t extra) {
  ca_preq *r = ca_malloc(sizeof *r + extra);   /* the extra is filled */
  if (r == NULL) return NULL;
  memset(r, 0, sizeof *r);
  ca_atomic_init_int(&r->refs, 1);
  ca_atomic_init_int(&r->cancelled, 0);
  r->kind = kind;
  return r;
}

void ca_preq_retain(ca_preq *r) { ca_atomic_fetch_add_int(&r->refs, 1, CA_SEQ_CST); }

void ca_preq_release(ca_preq *r) {
  int i;
  if (r == NULL || ca_atomic_fetch_sub_int(&r->refs, 1, CA_SEQ_CST) != 1) return;
  for (i = 0; i < r->ntargets; i++) ca_preq_release(r->targets[i]);
  if (!r->done) release_native(r->cb);   /* never ran: nothing to report */
  free(r->targets);
  free(r);   /* name and args live in the same allocation */
}

static char *to_utf8(PCWSTR s, size_t *len, int *nomem) {
  char *out = NULL;
  size_t where, n;
  int rc = ca_utf16_to_utf8(s, ca_wcslen(s), &out, len ? len : &n, &where);
  *nomem = rc == CA_UTF_NOMEM;
  return rc == CA_UTF_OK ? out : NULL;
}

/* The UTF-8 length of a PCWSTR (units in *n); 0 when it is not UTF-16.
   Plain ASCII, what names and arguments mostly are, takes one pass. */
static int utf8_size(PCWSTR s, size_t *n, size_t *bytes) {
  size_t i, where;
  unsigned all = 0;
  for (i = 0; s[i] != 0; i++) all |= s[i];
  *n = i;
  if (all < 0x80) {
    *bytes = i;
    return 1;
  }
  return ca_utf16_measure(s, i, bytes, &where) == CA_UTF_OK;
}

static char *fill_utf8(PCWSTR s, size_t n, size_t bytes, char *out) {
  size_t i;
  if (bytes == n)   /* ASCII: one byte a unit */
    for (i = 0; i < n; i++) out[i] = (char)s[i];
  else
    ca_utf16_fill8(s, n, out);
  out[bytes] = '\0';
  return out;
}

static int known(ca_provider *p, const char *name) {
  int i;
  for (i = 0; i < p->nnames; i++)
    if (strcmp(p->names[i], name) == 0) return 1;
  return 0;
}

/* Makes a RUN or REGISTER request for a known name, or refuses. */
static HRESULT make_action(ca_provider *p, int kind, PCWSTR name16,
                           PCWSTR args16, void *cb, ca_preq **out) {
  ca_preq *r;
  size_t nn, nb, an = 0, ab = 0;
  int ok;
  HRESULT hr = enter(p);
  if (hr != CA_S_OK) return hr;
  if (name16 == NULL || cb == NULL) return refuse(p, CA_PREFUSED_POINTER);
  if (!utf8_size(name16, &nn, &nb) ||
      (args16 != NULL && !utf8_size(args16, &an, &ab)))
    return refuse(p, CA_PREFUSED_INVALID);
  r = preq_new(kind, nb + 1 + (args16 != NULL ? ab + 1 : 0));
  if (r == NULL) return refuse(p, CA_PREFUSED_NO_MEMORY);
  r->name = fill_utf8(name16, nn, nb, (char *)(r + 1));
  if (args16 != NULL) {
    r->args = fill_utf8(args16, an, ab, r->name + nb + 1);
    r->args_len = ab;
  }
  ca_mutex_lock(&p->lock);
  ok = known(p, r->name);
  ca_mutex_unlock(&p->lock);
  if (!ok) {
    ca_preq_release(r);
    return refuse(p, CA_PREFUSED_UNKNOWN);
  }
  *out = r;
  return CA_S_OK;
}

/* ---- the FIFO and the doorbell ------------------------------------------ */

/* Takes r off the FIFO if it is still there (lock held); 1 if it was. */
static int unlink_locked(ca_provider *p, ca_preq *r) {
  ca_preq **pp, *prev = NULL;
  for (pp = &p->head; *pp != NULL; prev = *pp, pp = &(*pp)->next)
    if (*pp == r) {
      *pp = r->next;
      if (p->tail == r) p->tail = prev;
      r->next = NULL;
      return 1;
    }
  return 0;
}

static void untable_locked(ca_provider *p, ca_preq *r) {
  ca_preq **pp;
  for (pp = &p->regs; *pp != NULL; pp = &(*pp)->tnext)
    if (*pp == r) {
      *pp = r->tnext;
      r->tnext = NULL;
      r->in_table = 0;
      return;
    }
}

static const HRESULT post_hresults[] = {
  CA_S_OK, CA_RPC_E_DISCONNECTED, CA_E_RETRYLATER, CA_E_OUTOFMEMORY,
};

/* Posts the doorbell task; the posted item holds a provider reference. */
static HRESULT ring_bell(ca_provider *p) {
  int q;
  ca_provider_addref(p);
  q = ca_hub_post(p->hub, &p->bell);
  if (q != CA_Q_OK) ca_provider_release(p);
  return post_hresults[q];
}

/* Lock held, r in the FIFO: rings once unlocked. A refused doorbell takes r
   back unless it left our hands (run, ended by a disconnect, or taken by an
   Unregister or Shutdown that sends its final): then it was accepted. */
static HRESULT ring_unlock(ca_provider *p, ca_preq *r) {
  HRESULT hr;
  ca_mutex_unlock(&p->lock);
  hr = ring_bell(p);
  if (hr == CA_S_OK) {
    count(&p->stats.queued);
    return CA_S_OK;
  }
  ca_mutex_lock(&p->lock);
  if ((r->kind == CA_PREQ_REGISTER && !r->in_table) || !unlink_locked(p, r)) {
    ca_mutex_unlock(&p->lock);
    count(&p->stats.queued);
    return CA_S_OK;
  }
  if (r->in_table) {
    untable_locked(p, r);
    ca_preq_release(r);
  }
  ca_mutex_unlock(&p->lock);
  ca_preq_release(r);
  refuse(p, CA_PREFUSED_QUEUE);
  return hr;   /* the queue's own refusal passes through */
}

/* Lock held: the FIFO takes the caller's reference to r. */
static void append_locked(ca_provider *p, ca_preq *r) {
  if (p->tail != NULL) p->tail->next = r; else p->head = r;
  p->tail = r;
}

/* Another thread: the FIFO takes the caller's reference to r. */
static HRESULT enqueue(ca_provider *p, ca_preq *r) {
  ca_mutex_lock(&p->lock);
  if (!ca_atomic_load_int(&p->connected, CA_SEQ_CST)) {
    ca_mutex_unlock(&p->lock);
    ca_preq_release(r);
    return refuse(p, CA_PREFUSED_CLOSED);
  }
  append_locked(p, r);
  return ring_unlock(p, r);
}

/* The doorbell, on the owning thread: runs what is waiting. */
static void ring(ca_provider *p) {
  for (;;) {
    ca_preq *r;
    ca_mutex_lock(&p->lock);
    r = p->head;
    if (r != NULL) {
      p->head = r->next;
      if (p->head == NULL) p->tail = NULL;
      r->next = NULL;
    }
    ca_mutex_unlock(&p->lock);
    if (r == NULL) return;
    if (ca_atomic_load_int(&p->connected, CA_SEQ_CST)) p->run(p, r);
    else ca_preq_end(p, r, CA_RPC_E_DISCONNECTED);
    ca_preq_release(r);
  }
}

static ca_take bell_take(ca_target *t, int final, int closed) {
  ca_provider *p = FROM(t, bell);
  (void)final;
  if (closed || !ca_atomic_load_int(&p->connected, CA_SEQ_CST)) return CA_TAKE_DISCARD;
  ring(p);
  return CA_TAKE_RAN;
}

static void bell_release(ca_target *t, unsigned n) {
  while (n-- > 0) ca_provider_release(FROM(t, bell));
}

static const ca_target_ops bell_ops = {bell_take, bell_release};

/* Runs r now on the owning thread, or queues it; consumes one reference. */
static HRESULT submit(ca_provider *p, ca_preq *r) {
  HRESULT hr;
  if (!ca_hub_owned(p->hub)) return enqueue(p, r);
  r->in_call = 1;
  hr = p->run(p, r);
  r->in_call = 0;
  ca_preq_release(r);
  return hr;
}

/* ---- reports ------------------------------------------------------------ */

HRESULT ca_preq_report(ca_provider *p, ca_preq *r, HRESULT status, int final,
                       const BYTE *buf, DWORD len) {
  void *cb = r->cb;
  HRESULT hr;
  int tabled = 0;
  if (r->done || cb == NULL) return CA_E_ILLEGAL_METHOD_CALL;
  if (r->kind == CA_PREQ_RUN) final = 1;
  if (final) {   /* before the call, which may re-enter us */
    r->done = 1;
    /* the name is free before the final's handler runs, as the issuer's */
    ca_mutex_lock(&p->lock);
    tabled = r->in_table;
    if (tabled) untable_locked(p, r);
    ca_mutex_unlock(&p->lock);
  }
  count(&p->stats.reports);
  if (r->kind == CA_PREQ_RUN) {
    ICustomActionResultCallback *c = cb;
    hr = c->lpVtbl->ReportResult(c, status, (BYTE *)buf, len);
  } else {
    ICustomAction2ResultCallback *c = cb;
    hr = c->lpVtbl->ReportResult(c, status, final, (BYTE *)buf, len);
  }
  r->last = hr;
  if (r->in_call) r->answered = 1;
  if (final) {
    r->cb = NULL;
    if (tabled) ca_preq_release(r);   /* the table's reference; ours remains */
    release_native(cb);
  }
  return hr;
}

HRESULT ca_preq_health(ca_preq *r, int healthy) {
  IHealthStatusCallback *c = r->cb;
  HRESULT hr;
  if (r->done || c == NULL) return CA_E_ILLEGAL_METHOD_CALL;
  r->done = 1;
  r->cb = NULL;
  hr = c->lpVtbl->ReportHealth(c, healthy != 0);
  c->lpVtbl->Release(c);
  return hr;
}

void ca_preq_answer_idle(ca_provider *p, ca_preq *r, HRESULT hr, int idle) {
  ca_mutex_lock(&p->lock);
  r->last = hr;
  r->flag = idle;
  r->replied = 1;
  ca_cond_broadcast(&p->answered);
  ca_mutex_unlock(&p->lock);
}

void ca_preq_end(ca_provider *p, ca_preq *r, HRESULT hr) {
  int i;
  switch (r->kind) {
    case CA_PREQ_RUN:
    case CA_PREQ_REGISTER:
      ca_preq_report(p, r, hr, 1, NULL, 0);
      break;
    case CA_PREQ_HEALTH:
      ca_preq_health(r, 0);
      break;
    case CA_PREQ_IDLE:
      ca_preq_answer_idle(p, r, hr, 0);
      break;
    default:
      for (i = 0; i < r->ntargets; i++)
        ca_preq_report(p, r->targets[i], CA_E_ABORT, 1, (const BYTE *)"", 0);
  }
}

void ca_provider_disconnect(ca_provider *p) {
  ca_preq *fifo, *regs;
  ca_mutex_lock(&p->lock);
  ca_atomic_store_int(&p->connected, 0, CA_SEQ_CST);
  fifo = p->head;
  regs = p->regs;
  p->head = p->tail = NULL;
  p->regs = NULL;
  ca_mutex_unlock(&p->lock);
  while (regs != NULL) {
    ca_preq *n = regs->tnext;
    regs->tnext = NULL;
    regs->in_table = 0;
    ca_preq_release(regs);
    regs = n;
  }
  while (fifo != NULL) {
    ca_preq *n = fifo->next;
    ca_preq_end(p, fifo, CA_RPC_E_DISCONNECTED);
    ca_preq_release(fifo);
    fifo = n;
  }
}

/* ---- IPmCustomActions, IPmCustomActions2 -------------------------------- */

static HRESULT WPF_METHOD run_action(IPmCustomActions *self, PCWSTR name, PCWSTR args,
                          ICustomActionResultCallback *cb) {
  ca_provider *p = FROM(self, v1);
  ca_preq *r = NULL;
  HRESULT hr = make_action(p, CA_PREQ_RUN, name, args, cb, &r);
  if (hr != CA_S_OK) return hr;
  cb->lpVtbl->AddRef(cb);
  r->cb = cb;
  return submit(p, r);
}

static int registered_locked(ca_provider *p, const char *name) {
  ca_preq *r;
  for (r = p->regs; r != NULL; r = r->tnext)
    if (strcmp(r->name, name) == 0) return 1;
  return 0;
}

static HRESULT WPF_METHOD register_action(IPmCustomActions2 *self, PCWSTR name,
                               PCWSTR args, ICustomAction2ResultCallback *cb) {
  ca_provider *p = FROM(self, v2);
  ca_preq *r = NULL;
  HRESULT hr = make_action(p, CA_PREQ_REGISTER, name, args, cb, &r);
  int closed;
  if (hr != CA_S_OK) return hr;
  cb->lpVtbl->AddRef(cb);
  r->cb = cb;   /* before the table: whoever ends r releases it */
  ca_mutex_lock(&p->lock);
  /* re-checked under the lock that Shutdown and disconnect take the table
     under: a registration never enters a table already emptied */
  closed = !ca_atomic_load_int(&p->connected, CA_SEQ_CST) ||
           ca_atomic_load_int(&p->shut, CA_SEQ_CST);
  if (closed || registered_locked(p, r->name)) {
    ca_mutex_unlock(&p->lock);
    ca_preq_release(r);
    return refuse(p, closed ? CA_PREFUSED_CLOSED : CA_PREFUSED_DUPLICATE);
  }
  r->tnext = p->regs;
  p->regs = r;
  r->in_table = 1;
  ca_preq_retain(r);   /* the table's reference */
  if (!ca_hub_owned(p->hub)) {   /* an Unregister finds it queued */
    append_locked(p, r);
    return ring_unlock(p, r);
  }
  ca_mutex_unlock(&p->lock);
  return submit(p, r);
}

/* A CANCEL or SHUTDOWN request taking over n table references. */
static ca_preq *ender(int kind, ca_preq **targets, int n) {
  ca_preq *r = preq_new(kind, 0);
  if (r == NULL) return NULL;
  r->targets = targets;
  r->ntargets = n;
  return r;
}

static HRESULT WPF_METHOD unregister_action(IPmCustomActions2 *self, PCWSTR name16) {
  ca_provider *p = FROM(self, v2);
  ca_preq *r, **t, **pp;
  char *name;
  int nomem;
  HRESULT hr = enter(p);
  if (hr != CA_S_OK) return hr;
  if (name16 == NULL) return refuse(p, CA_PREFUSED_POINTER);
  name = to_utf8(name16, NULL, &nomem);
  if (name == NULL)
    return refuse(p, nomem ? CA_PREFUSED_NO_MEMORY : CA_PREFUSED_INVALID);
  t = ca_malloc(sizeof *t);
  r = t != NULL ? ender(CA_PREQ_CANCEL, t, 0) : NULL;
  if (r == NULL) {
    free(t);
    free(name);
    return refuse(p, CA_PREFUSED_NO_MEMORY);
  }
  ca_mutex_lock(&p->lock);
  for (pp = &p->regs; *pp != NULL; pp = &(*pp)->tnext)
    if (strcmp((*pp)->name, name) == 0) break;
  if (*pp != NULL) {
    t[0] = *pp;
    *pp = t[0]->tnext;
    t[0]->tnext = NULL;
    t[0]->in_table = 0;
    ca_atomic_store_int(&t[0]->cancelled, 1, CA_SEQ_CST);
    r->ntargets = 1;
  }
  ca_mutex_unlock(&p->lock);
  free(name);
  if (r->ntargets == 0) {
    ca_preq_release(r);
    return refuse(p, CA_PREFUSED_NOT_FOUND);
  }
  count(&p->stats.cancelled);
  return submit(p, r);
}

/* ---- IPmHealthAndIdleMonitor -------------------------------------------- */

static HRESULT WPF_METHOD check_health(IPmHealthAndIdleMonitor *self,
                            IHealthStatusCallback *cb) {
  ca_provider *p = FROM(self, monitor);
  ca_preq *r;
  HRESULT hr = enter(p);
  if (hr != CA_S_OK) return hr;
  if (cb == NULL) return refuse(p, CA_PREFUSED_POINTER);
  r = preq_new(CA_PREQ_HEALTH, 0);
  if (r == NULL) return refuse(p, CA_PREFUSED_NO_MEMORY);
  cb->lpVtbl->AddRef(cb);
  r->cb = cb;
  return submit(p, r);
}

/* Another thread waits up to idle_wait_ms for the owning thread's answer. */
static HRESULT wait_idle(ca_provider *p, ca_preq *r, BOOL *pf) {
  int64_t deadline = ca_now_ns() + p->idle_wait_ms * 1000000;
  HRESULT hr;
  ca_preq_retain(r);   /* the FIFO takes one */
  hr = enqueue(p, r);
  if (hr != CA_S_OK) {
    ca_preq_release(r);
    return hr;
  }
  ca_mutex_lock(&p->lock);
  while (!r->replied) {
    int64_t left = (deadline - ca_now_ns()) / 1000000;
    if (left <= 0) break;
    ca_cond_timedwait(&p->answered, &p->lock, left);
  }
  hr = r->replied ? r->last : refuse(p, CA_PREFUSED_TIMEOUT);
  if (r->replied) *pf = r->flag != 0;
  ca_mutex_unlock(&p->lock);
  ca_preq_release(r);
  return hr;
}

static HRESULT WPF_METHOD check_idle(IPmHealthAndIdleMonitor *self, BOOL *pf) {
  ca_provider *p = FROM(self, monitor);
  ca_preq *r;
  HRESULT hr = enter(p);
  if (hr != CA_S_OK) return hr;
  if (pf == NULL) return refuse(p, CA_PREFUSED_POINTER);
  r = preq_new(CA_PREQ_IDLE, 0);
  if (r == NULL) return refuse(p, CA_PREFUSED_NO_MEMORY);
  if (!ca_hub_owned(p->hub)) return wait_idle(p, r, pf);
  p->run(p, r);
  hr = r->replied ? r->last : CA_E_FAIL;
  if (r->replied) *pf = r->flag != 0;
  ca_preq_release(r);
  return hr;
}

/* ---- IProtocolManager --------------------------------------------------- */

static HRESULT WPF_METHOD get_pm_interface(IProtocolManager *self,
                                PM_INTERFACE_ID_ENUM id, PVOID *ppv) {
  ca_provider *p = FROM(self, pm);
  HRESULT hr;
  if (ppv != NULL) *ppv = NULL;
  if ((hr = enter(p)) != CA_S_OK) return hr;
  if (ppv == NULL) return refuse(p, CA_PREFUSED_POINTER);
  if (id == PM_CUSTOM_ACTIONS_ID) *ppv = ca_provider_v1(p);
  else if (id == PM_HEALTH_AND_IDLE_MONITOR_ID) *ppv = ca_provider_monitor(p);
  else return CA_E_NOTIMPL;
  ca_provider_addref(p);
  return CA_S_OK;
}

static HRESULT WPF_METHOD get_custom_interface(IProtocolManager *self, DWORD id,
                                    PVOID *ppv) {
  ca_provider *p = FROM(self, pm);
  HRESULT hr;
  if (ppv != NULL) *ppv = NULL;
  if ((hr = enter(p)) != CA_S_OK) return hr;
  if (ppv == NULL) return refuse(p, CA_PREFUSED_POINTER);
  if (id != CA_DEFAULT_ACTIONS2_ID) return CA_E_NOTIMPL;
  *ppv = ca_provider_v2(p);
  ca_provider_addref(p);
  return CA_S_OK;
}

/* Ends every registration (one final E_ABORT each) and refuses new ones. */
static HRESULT WPF_METHOD shutdown_pm(IProtocolManager *self, BOOL immediate) {
  ca_provider *p = FROM(self, pm);
  ca_preq *r, **t, *e;
  int n = 0;
  HRESULT hr = enter(p);
  if (hr != CA_S_OK) return hr;
  ca_mutex_lock(&p->lock);
  if (ca_atomic_exchange_int(&p->shut, 1)) {  /* another thread's Shutdown won */
    ca_mutex_unlock(&p->lock);
    return refuse(p, CA_PREFUSED_CLOSED);
  }
  for (e = p->regs; e != NULL; e = e->tnext) n++;
  t = ca_malloc(sizeof *t * (size_t)(n ? n : 1));
  r = t != NULL ? ender(CA_PREQ_SHUTDOWN, t, n) : NULL;
  if (r == NULL) {
    ca_atomic_store_int(&p->shut, 0, CA_SEQ_CST);  /* nothing ended: a later call may retry */
    ca_mutex_unlock(&p->lock);
    free(t);
    return refuse(p, CA_PREFUSED_NO_MEMORY);
  }
  for (n = 0, e = p->regs; e != NULL; e = e->tnext, n++) {
    t[n] = e;
    e->in_table = 0;
    ca_atomic_store_int(&e->cancelled, 1, CA_SEQ_CST);
  }
  for (e = p->regs; e != NULL; e = p->regs) {
    p->regs = e->tnext;
    e->tnext = NULL;
  }
  ca_mutex_unlock(&p->lock);
  r->flag = immediate != 0;
  ca_atomic_fetch_add_u64(&p->stats.cancelled, (unsigned long)n, CA_SEQ_CST);
  return submit(p, r);
}

/* ---- reference counting and the vtables --------------------------------- */

ULONG ca_provider_addref(ca_provider *p) {
  return ca_atomic_fetch_add_uint(&p->refs, 1, CA_RELAXED) + 1;
}

ULONG ca_provider_release(ca_provider *p) {
  unsigned r = ca_atomic_fetch_sub_uint(&p->refs, 1, CA_ACQ_REL);
  int i;
  if (r != 1) return r - 1;
  ca_provider_disconnect(p);   /* a no-op unless the binding never did */
  ca_hub_release(p->hub);
  for (i = 0; i < p->nnames; i++) free(p->names[i]);
  free(p->names);
  free(p->name);
  ca_cond_destroy(&p->answered);
  ca_mutex_destroy(&p->lock);
  free(p);
  return 0;
}

#define REFS(T, member) \
  static ULONG WPF_METHOD member##_addref(T *self) { \
    return ca_provider_addref(FROM(self, member)); } \
  static ULONG WPF_METHOD member##_release(T *self) { \
    return ca_provider_release(FROM(self, member)); }
REFS(IProtocolManager, pm)
REFS(IPmCustomActions, v1)
REFS(IPmCustomActions2, v2)
REFS(IPmHealthAndIdleMonitor, monitor)

static const IProtocolManagerVtbl pm_vtbl = {
  pm_addref, pm_release, get_pm_interface, get_custom_interface, shutdown_pm,
};
static const IPmCustomActionsVtbl v1_vtbl = {
  v1_addref, v1_release, run_action,
};
static const IPmCustomActions2Vtbl v2_vtbl = {
  v2_addref, v2_release, register_action, unregister_action,
};
static const IPmHealthAndIdleMonitorVtbl monitor_vtbl = {
  monitor_addref, monitor_release, check_idle, check_health,
};

int ca_provider_define(ca_provider *p, const char *name, int add) {
  int i, rc = 0;
  ca_mutex_lock(&p->lock);
  for (i = 0; i < p->nnames && strcmp(p->names[i], name) != 0; i++) {}
  if (!add && i < p->nnames) {
    free(p->names[i]);
    p->names[i] = p->names[--p->nnames];
  } else if (add && i == p->nnames) {
    char **n = ca_realloc(p->names, sizeof *n * (size_t)(p->nnames + 1));
    char *copy = n != NULL ? ca_strdup(name) : NULL;
    if (n != NULL) p->names = n;
    if (copy == NULL) rc = -1;
    else p->names[p->nnames++] = copy;
  }
  ca_mutex_unlock(&p->lock);
  return rc;
}

static int init_sync(ca_provider *p) {
  if (ca_mutex_init(&p->lock) != 0) return -1;
  if (ca_cond_init(&p->answered) != 0) {
    ca_mutex_destroy(&p->lock);
    return -1;
  }
  return 0;
}

ca_provider *ca_provider_new(ca_hub *hub, const char *name,
                             const char *const *names, int nnames,
                             ca_provider_run_fn run, void *binding) {
  ca_provider *p = ca_calloc(1, sizeof *p);
  int i;
  if (p == NULL) return NULL;
  p->name = ca_strdup(name);
  if (p->name == NULL || init_sync(p) != 0) {
    free(p->name);
    free(p);
    return NULL;
  }
  p->pm = &pm_vtbl;
  p->v1 = &v1_vtbl;
  p->v2 = &v2_vtbl;
  p->monitor = &monitor_vtbl;
  ca_atomic_init_uint(&p->refs, 1);
  ca_atomic_init_int(&p->connected, 1);
  ca_atomic_init_int(&p->shut, 0);
  p->hub = hub;
  ca_hub_retain(hub);
  p->bell.ops = &bell_ops;
  p->run = run;
  p->binding = binding;
  p->idle_wait_ms = CA_DEFAULT_IDLE_WAIT_MS;
  for (i = 0; i < nnames; i++)
    if (ca_provider_define(p, names[i], 1) != 0) {
      ca_provider_release(p);
      return NULL;
    }
  return p;
}
