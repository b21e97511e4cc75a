/*
** callback.c: the callback object's vtables, reference count and the
** checks every report passes before it reaches Lua. Refusals never call
** the handler; each returns its documented HRESULT and is counted.
*/
#include "alloc.h"
#include "callback.h"

#include <stdlib.h>
#include <string.h>

#include "hresult.h"
#include "hub.h"

const char *const ca_refusal_names[CA_NREFUSALS] = {
  "closed", "null_buffer", "oversized", "after_final", "queue_full",
  "no_memory",
};

const HRESULT ca_refusal_hresults[CA_NREFUSALS] = {
  CA_RPC_E_DISCONNECTED, CA_E_POINTER, CA_E_MESSAGE_TOO_BIG,
  CA_E_ILLEGAL_METHOD_CALL, CA_E_RETRYLATER, CA_E_OUTOFMEMORY,
};

#define FROM_V1(p) ((ca_callback *)(void *)(p))
#define FROM_V2(p) \
  ((ca_callback *)(void *)((char *)(p) - offsetof(ca_callback, v2)))

HRESULT ca_callback_refuse(ca_callback *cb, enum ca_refusal why) {
  atomic_fetch_add_explicit(&cb->stats.refused[why], 1, memory_order_relaxed);
  return ca_refusal_hresults[why];
}

/* A refusal of a call made on another thread (which counts as a report). */
static HRESULT refuse_foreign(ca_callback *cb, enum ca_refusal why) {
  atomic_fetch_add_explicit(&cb->stats.foreign_refused, 1,
                            memory_order_relaxed);
  return ca_callback_refuse(cb, why);
}

static HRESULT enqueue(ca_callback *cb, HRESULT status, int final,
                       const BYTE *buf, DWORD len) {
  int r;
  ca_callback_addref(cb);   /* the queued report's own reference */
  r = ca_queue_push(&cb->hub->queue, cb, status, final, buf, len);
  if (r == CA_Q_OK) {
    atomic_fetch_add_explicit(&cb->stats.queued, 1, memory_order_relaxed);
    return CA_S_OK;
  }
  ca_callback_release(cb);
  return refuse_foreign(cb, r == CA_Q_CLOSED ? CA_REFUSED_CLOSED
                          : r == CA_Q_FULL ? CA_REFUSED_QUEUE_FULL
                          : CA_REFUSED_NO_MEMORY);
}

HRESULT ca_callback_report(ca_callback *cb, HRESULT status, int final,
                           const BYTE *buf, DWORD len) {
  ca_hub *h = cb->hub;
  HRESULT (*refuse)(ca_callback *, enum ca_refusal);
  HRESULT hr;
  int claimed = 0;
  int owner = ca_thread_is(h->owner);
  if (owner) {
    ca_owner_inc(&cb->stats.owner_reports);
    refuse = ca_callback_refuse;
  } else {
    refuse = refuse_foreign;   /* queued or refused: each counts once */
  }
  if (ca_hub_is_closed(h) || !atomic_load_explicit(&cb->connected,
                                                   memory_order_acquire))
    return refuse(cb, CA_REFUSED_CLOSED);
  if (buf == NULL && len != 0)
    return refuse(cb, CA_REFUSED_NULL_BUFFER);
  if (len > cb->max_response)
    return refuse(cb, CA_REFUSED_OVERSIZED);
  if (!cb->reuse) {
    if (final) {
      int expected = 0;
      if (!atomic_compare_exchange_strong(&cb->finished, &expected, 1))
        return refuse(cb, CA_REFUSED_AFTER_FINAL);
      claimed = 1;
    } else if (atomic_load_explicit(&cb->finished, memory_order_acquire)) {
      return refuse(cb, CA_REFUSED_AFTER_FINAL);
    }
  }
  if (owner) return ca_callback_deliver(cb, status, final, buf, len);
  hr = enqueue(cb, status, final, buf, len);
  if (claimed && hr != CA_S_OK)  /* the final report did not get through */
    atomic_store(&cb->finished, 0);
  return hr;
}

HRESULT ca_callback_deliver(ca_callback *cb, HRESULT status, int final,
                            const BYTE *buf, DWORD len) {
  if (ca_callback_after_final(cb))
    return ca_callback_refuse(cb, CA_REFUSED_AFTER_FINAL);
  if (final) cb->final_delivered = 1;
  return cb->hub->deliver(cb->hub, cb, status, final, buf, len);
}

ULONG ca_callback_addref(ca_callback *cb) {
  return atomic_fetch_add_explicit(&cb->refs, 1, memory_order_relaxed) + 1;
}

ULONG ca_callback_release(ca_callback *cb) {
  return ca_callback_release_n(cb, 1);
}

ULONG ca_callback_release_n(ca_callback *cb, unsigned n) {
  unsigned r = atomic_fetch_sub_explicit(&cb->refs, n, memory_order_acq_rel);
  if (r != n) return r - n;
  atomic_fetch_sub(&cb->hub->callbacks, 1);
  ca_hub_release(cb->hub);
  cb->hub = NULL;
  ca_callback_unkeep(cb);
  return 0;
}

void ca_callback_keep(ca_callback *cb) {
  atomic_fetch_add_explicit(&cb->keeps, 1, memory_order_relaxed);
}

void ca_callback_unkeep(ca_callback *cb) {
  if (atomic_fetch_sub_explicit(&cb->keeps, 1, memory_order_acq_rel) != 1)
    return;
  free(cb->name);
  ca_aligned_free(cb);
}

static ULONG v1_addref(ICustomActionResultCallback *self) {
  return ca_callback_addref(FROM_V1(self));
}
static ULONG v1_release(ICustomActionResultCallback *self) {
  return ca_callback_release(FROM_V1(self));
}
static HRESULT v1_report(ICustomActionResultCallback *self, HRESULT hrStatus,
                         BYTE *pbResponse, DWORD cbResponse) {
  return ca_callback_report(FROM_V1(self), hrStatus, 1, pbResponse,
                            cbResponse);
}

static ULONG v2_addref(ICustomAction2ResultCallback *self) {
  return ca_callback_addref(FROM_V2(self));
}
static ULONG v2_release(ICustomAction2ResultCallback *self) {
  return ca_callback_release(FROM_V2(self));
}
static HRESULT v2_report(ICustomAction2ResultCallback *self, HRESULT hrStatus,
                         BOOL fFinalResponse, BYTE *pbResponse,
                         DWORD cbResponse) {
  return ca_callback_report(FROM_V2(self), hrStatus, fFinalResponse != 0,
                            pbResponse, cbResponse);
}

static const ICustomActionResultCallbackVtbl v1_vtbl = {
  v1_addref, v1_release, v1_report,
};
static const ICustomAction2ResultCallbackVtbl v2_vtbl = {
  v2_addref, v2_release, v2_report,
};

ca_callback *ca_callback_new(ca_hub *hub, const char *name,
                             DWORD max_response, int reuse) {
  ca_callback *cb = ca_aligned_alloc(64, (sizeof *cb + 63) & ~(size_t)63);
  size_t i;
  if (cb == NULL) return NULL;
  memset(cb, 0, sizeof *cb);
  cb->name = ca_malloc(strlen(name) + 1);
  if (cb->name == NULL) {
    ca_aligned_free(cb);
    return NULL;
  }
  strcpy(cb->name, name);
  cb->v1 = &v1_vtbl;
  cb->v2 = &v2_vtbl;
  atomic_init(&cb->refs, 1);
  atomic_init(&cb->keeps, 1);
  atomic_init(&cb->connected, 1);
  atomic_init(&cb->finished, 0);
  cb->reuse = reuse;
  cb->max_response = max_response;
  atomic_init(&cb->stats.foreign_refused, 0);
  atomic_init(&cb->stats.owner_reports, 0);
  atomic_init(&cb->stats.delivered, 0);
  atomic_init(&cb->stats.queued, 0);
  atomic_init(&cb->stats.errors, 0);
  atomic_init(&cb->stats.failures, 0);
  for (i = 0; i < CA_NREFUSALS; i++) atomic_init(&cb->stats.refused[i], 0);
  cb->hub = hub;
  ca_hub_retain(hub);
  atomic_fetch_add(&hub->callbacks, 1);
  return cb;
}
