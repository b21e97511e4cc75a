/*
** callback.c: the callback object's vtables, reference count and the
** checks every report passes before it reaches Lua. Refusals never call
** the handler; each returns its documented HRESULT and is counted.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "alloc.h"
#include "callback.h"

#include "atomics.h"
#include <stdlib.h>
#include <string.h>

#include "hresult.h"
#include "hub.h"

/*
** Counters, grouped by writer onto separate cache lines: those any thread
** bumps use atomic read-modify-write; those only the owning thread writes
** are bumped with a relaxed load and store (no locked instruction on the
** hot path). Keeping the groups apart stops a producer thread and the
** owning thread from stealing one cache line from each other per report.
*/
typedef struct ca_stats {
  /* ReportResult calls from other threads are queued + foreign_refused,
     so the hot path bumps one counter, not two */
  CA_ALIGNAS(64) ca_atomic_u64 queued;           /* accepted from another thread */
  ca_atomic_u64 foreign_refused;               /* refused on another thread */
  ca_atomic_u64 refused[CA_NREFUSALS];
  CA_ALIGNAS(64) ca_atomic_u64 owner_reports;         /* on the owning thread */
  ca_atomic_u64 delivered;             /* handler called (owning thread) */
  ca_atomic_u64 errors;                /* handler raised (owning thread) */
  ca_atomic_u64 failures;              /* handler returned a failure (owning thread) */
} ca_stats;

struct ca_callback {
  /* the two vptrs come first: native code holds &cb->v1 or &cb->v2;
     this line is read on every report and written almost never */
  const ICustomActionResultCallbackVtbl *v1;
  const ICustomAction2ResultCallbackVtbl *v2;
  ca_target target;         /* what the hub's queued reports point at */
  ca_atomic_int connected;  /* cleared when Lua lets go or the state closes */
  ca_atomic_int finished;   /* a final report was accepted */
  int final_delivered;      /* owning thread only: a final reached the
                               handler, so nothing more may (unless reuse) */
  int reuse;                /* accept new sequences after a final report */
  DWORD max_response;
  ca_hub *hub;              /* holds one hub reference */
  intptr_t user;            /* the binding's word */
  char *name;
  CA_ALIGNAS(64) ca_atomic_uint refs;
  /* keeps the memory (name, stats) readable: 1 for all of refs together,
     plus one per ca_callback_keep; the object is freed when it reaches 0 */
  ca_atomic_uint keeps;
  ca_stats stats;
};

static inline void owner_inc(ca_atomic_u64 *c) {
  ca_atomic_store_u64(c, ca_atomic_load_u64(c, CA_RELAXED) + 1, CA_RELAXED);
}

static uint64_t load(const ca_atomic_u64 *c) {
  return ca_atomic_load_u64(c, CA_RELAXED);
}

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
  ca_atomic_fetch_add_u64(&cb->stats.refused[why], 1, CA_RELAXED);
  return ca_refusal_hresults[why];
}

/* A refusal of a call made on another thread (which counts as a report). */
static HRESULT refuse_foreign(ca_callback *cb, enum ca_refusal why) {
  ca_atomic_fetch_add_u64(&cb->stats.foreign_refused, 1, CA_RELAXED);
  return ca_callback_refuse(cb, why);
}

static HRESULT enqueue(ca_callback *cb, HRESULT status, int final,
                       const BYTE *buf, DWORD len) {
  int r;
  ca_callback_addref(cb);   /* the queued report's own reference */
  r = ca_hub_push(cb->hub, &cb->target, status, final, buf, len);
  if (r == CA_Q_OK) {
    ca_atomic_fetch_add_u64(&cb->stats.queued, 1, CA_RELAXED);
    return CA_S_OK;
  }
  ca_callback_release(cb);
  return refuse_foreign(cb, r == CA_Q_CLOSED ? CA_REFUSED_CLOSED
                          : r == CA_Q_FULL ? CA_REFUSED_QUEUE_FULL
                          : CA_REFUSED_NO_MEMORY);
}

/*
** The refusal a report gets before it reaches Lua or the queue, or
** CA_NREFUSALS when it passes; *claimed is set when this final report
** took the callback's one final. Inlined into both paths below.
*/
static inline int check(ca_callback *cb, int final, const BYTE *buf,
                        DWORD len, int *claimed) {
  if (ca_hub_is_closed(cb->hub) ||
      !ca_atomic_load_int(&cb->connected, CA_ACQUIRE))
    return CA_REFUSED_CLOSED;
  if (buf == NULL && len != 0) return CA_REFUSED_NULL_BUFFER;
  if (len > cb->max_response) return CA_REFUSED_OVERSIZED;
  if (!cb->reuse) {
    if (final) {
      int expected = 0;
      if (!ca_atomic_cas_int(&cb->finished, &expected, 1))
        return CA_REFUSED_AFTER_FINAL;
      *claimed = 1;
    } else if (ca_atomic_load_int(&cb->finished, CA_ACQUIRE)) {
      return CA_REFUSED_AFTER_FINAL;
    }
  }
  return CA_NREFUSALS;
}

/* A report on another thread: queued, or refused (each counts once). */
static HRESULT report_foreign(ca_callback *cb, HRESULT status, int final,
                              const BYTE *buf, DWORD len) {
  int claimed = 0, why = check(cb, final, buf, len, &claimed);
  HRESULT hr;
  if (why != CA_NREFUSALS) return refuse_foreign(cb, (enum ca_refusal)why);
  hr = enqueue(cb, status, final, buf, len);
  if (claimed && hr != CA_S_OK)  /* the final report did not get through */
    ca_atomic_store_int(&cb->finished, 0, CA_SEQ_CST);
  return hr;
}

static inline int admit(ca_callback *cb, int final) {
  if (!cb->reuse && cb->final_delivered) {
    ca_callback_refuse(cb, CA_REFUSED_AFTER_FINAL);
    return 0;
  }
  if (final) cb->final_delivered = 1;
  return 1;
}

_Static_assert(offsetof(ca_callback, target) == CA_CALLBACK_TARGET_AT,
               "callback.h's CA_CALLBACK_TARGET_AT is the target's offset");
#define FROM_TARGET(t) ca_callback_of(t)

/* A queued report reaches the owning thread: the hub asks what it is. */
static ca_take take(ca_target *t, int final, int closed) {
  ca_callback *cb = FROM_TARGET(t);
  if (closed || !ca_atomic_load_int(&cb->connected, CA_ACQUIRE)) {
    ca_callback_refuse(cb, CA_REFUSED_CLOSED);
    return CA_TAKE_DISCARD;
  }
  return admit(cb, final) ? CA_TAKE_DELIVER : CA_TAKE_DROP;
}

static void target_release(ca_target *t, unsigned n) {
  ca_callback_release_n(FROM_TARGET(t), n);
}

static const ca_target_ops target_ops = {take, target_release};

ca_target *ca_callback_target(ca_callback *cb) { return &cb->target; }

/* The owning thread's path, kept short: it runs the handler at once. */
static CA_ALWAYS_INLINE HRESULT report(ca_callback *cb, HRESULT status,
                                       int final, const BYTE *buf, DWORD len) {
  int claimed = 0, why;
  if (!ca_hub_owned(cb->hub))
    return report_foreign(cb, status, final, buf, len);
  owner_inc(&cb->stats.owner_reports);
  why = check(cb, final, buf, len, &claimed);
  if (why != CA_NREFUSALS) return ca_callback_refuse(cb, (enum ca_refusal)why);
  if (!admit(cb, final)) return ca_refusal_hresults[CA_REFUSED_AFTER_FINAL];
  return ca_hub_deliver(cb->hub, &cb->target, status, final, buf, len);
}

HRESULT ca_callback_report(ca_callback *cb, HRESULT status, int final,
                           const BYTE *buf, DWORD len) {
  return report(cb, status, final, buf, len);
}

ULONG ca_callback_addref(ca_callback *cb) {
  return ca_atomic_fetch_add_uint(&cb->refs, 1, CA_RELAXED) + 1;
}

ULONG ca_callback_release(ca_callback *cb) {
  return ca_callback_release_n(cb, 1);
}

ULONG ca_callback_release_n(ca_callback *cb, unsigned n) {
  unsigned r = ca_atomic_fetch_sub_uint(&cb->refs, n, CA_ACQ_REL);
  if (r != n) return r - n;
  ca_hub_count_callbacks(cb->hub, -1);
  ca_hub_release(cb->hub);
  cb->hub = NULL;
  ca_callback_unkeep(cb);
  return 0;
}

void ca_callback_keep(ca_callback *cb) {
  ca_atomic_fetch_add_uint(&cb->keeps, 1, CA_RELAXED);
}

void ca_callback_unkeep(ca_callback *cb) {
  if (ca_atomic_fetch_sub_uint(&cb->keeps, 1, CA_ACQ_REL) != 1)
    return;
  free(cb->name);
  ca_aligned_free(cb);
}

static ULONG WPF_METHOD v1_addref(ICustomActionResultCallback *self) {
  return ca_callback_addref(FROM_V1(self));
}
static ULONG WPF_METHOD v1_release(ICustomActionResultCallback *self) {
  return ca_callback_release(FROM_V1(self));
}
static HRESULT WPF_METHOD v1_report(ICustomActionResultCallback *self, HRESULT hrStatus,
                         BYTE *pbResponse, DWORD cbResponse) {
  return report(FROM_V1(self), hrStatus, 1, pbResponse, cbResponse);
}

static ULONG WPF_METHOD v2_addref(ICustomAction2ResultCallback *self) {
  return ca_callback_addref(FROM_V2(self));
}
static ULONG WPF_METHOD v2_release(ICustomAction2ResultCallback *self) {
  return ca_callback_release(FROM_V2(self));
}
static HRESULT WPF_METHOD v2_report(ICustomAction2ResultCallback *self, HRESULT hrStatus,
                         BOOL fFinalResponse, BYTE *pbResponse,
                         DWORD cbResponse) {
  return report(FROM_V2(self), hrStatus, fFinalResponse != 0, pbResponse,
                cbResponse);
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
  cb->target.ops = &target_ops;
  ca_atomic_init_uint(&cb->refs, 1);
  ca_atomic_init_uint(&cb->keeps, 1);
  ca_atomic_init_int(&cb->connected, 1);
  ca_atomic_init_int(&cb->finished, 0);
  cb->reuse = reuse;
  cb->max_response = max_response;
  ca_atomic_init_u64(&cb->stats.foreign_refused, 0);
  ca_atomic_init_u64(&cb->stats.owner_reports, 0);
  ca_atomic_init_u64(&cb->stats.delivered, 0);
  ca_atomic_init_u64(&cb->stats.queued, 0);
  ca_atomic_init_u64(&cb->stats.errors, 0);
  ca_atomic_init_u64(&cb->stats.failures, 0);
  for (i = 0; i < CA_NREFUSALS; i++) ca_atomic_init_u64(&cb->stats.refused[i], 0);
  cb->hub = hub;
  ca_hub_retain(hub);
  ca_hub_count_callbacks(hub, 1);
  return cb;
}

ICustomActionResultCallback *ca_callback_v1(ca_callback *cb) {
  return (ICustomActionResultCallback *)&cb->v1;
}

ICustomAction2ResultCallback *ca_callback_v2(ca_callback *cb) {
  return (ICustomAction2ResultCallback *)&cb->v2;
}

/* ---- what a binding reads ------------------------------------------------ */

const char *ca_callback_name(const ca_callback *cb) { return cb->name; }

ULONG ca_callback_refs(const ca_callback *cb) {
  return ca_atomic_load_uint(&cb->refs, CA_SEQ_CST);
}

int ca_callback_finished(const ca_callback *cb) {
  return ca_atomic_load_int(&cb->finished, CA_SEQ_CST);
}

int ca_callback_connected(const ca_callback *cb) {
  return ca_atomic_load_int(&cb->connected, CA_ACQUIRE);
}

void ca_callback_disconnect(ca_callback *cb) {
  ca_atomic_store_int(&cb->connected, 0, CA_RELEASE);
}

void ca_callback_stats_get(const ca_callback *cb, ca_callback_stats *s) {
  const ca_stats *st = &cb->stats;
  size_t i;
  s->queued = load(&st->queued);
  s->reports = s->queued + load(&st->foreign_refused) +
               load(&st->owner_reports);
  s->delivered = load(&st->delivered);
  s->errors = load(&st->errors);
  s->failures = load(&st->failures);
  for (i = 0; i < CA_NREFUSALS; i++) s->refused[i] = load(&st->refused[i]);
}

void ca_callback_count(ca_callback *cb, enum ca_count which) {
  owner_inc(which == CA_COUNT_DELIVERED ? &cb->stats.delivered
            : which == CA_COUNT_ERRORS ? &cb->stats.errors
            : &cb->stats.failures);
}

struct ca_hub *ca_callback_hub(const ca_callback *cb) { return cb->hub; }

int ca_callback_rearm(ca_callback *cb) {
  if (ca_atomic_load_uint(&cb->refs, CA_SEQ_CST) != 1 || !ca_callback_connected(cb)) return 0;
  ca_atomic_store_int(&cb->finished, 0, CA_SEQ_CST);
  cb->final_delivered = 0;
  return 1;
}

void ca_callback_set_user(ca_callback *cb, intptr_t user) { cb->user = user; }

intptr_t ca_callback_user(const ca_callback *cb) { return cb->user; }
