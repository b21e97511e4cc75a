/*
** callback.h: the callback object native code holds. One allocation, made
** outside any Lua heap, exposing two interface pointers (v1 and v2 vptrs)
** over one atomic reference count, so that native holders may outlive the
** Lua proxy and even the Lua state. ReportResult validates its arguments,
** then either hands the report to the hub's deliver function at once (on
** the hub's owning thread) or copies it into the hub's queue.
*/
#ifndef CA_CALLBACK_H
#define CA_CALLBACK_H

#include <stdatomic.h>
#include <stddef.h>
#include "wpf.h"
#include "visibility.h"
CA_HIDDEN_BEGIN

struct ca_hub;

/* Why a report was refused; each has one documented HRESULT. */
enum ca_refusal {
  CA_REFUSED_CLOSED,        /* RPC_E_DISCONNECTED */
  CA_REFUSED_NULL_BUFFER,   /* E_POINTER */
  CA_REFUSED_OVERSIZED,     /* HRESULT_FROM_WIN32(ERROR_MESSAGE_EXCEEDS_MAX_SIZE) */
  CA_REFUSED_AFTER_FINAL,   /* E_ILLEGAL_METHOD_CALL */
  CA_REFUSED_QUEUE_FULL,    /* RPC_E_SERVERCALL_RETRYLATER */
  CA_REFUSED_NO_MEMORY,     /* E_OUTOFMEMORY */
  CA_NREFUSALS
};

extern const char *const ca_refusal_names[CA_NREFUSALS];
extern const HRESULT ca_refusal_hresults[CA_NREFUSALS];

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
  _Alignas(64) atomic_ulong queued;   /* accepted from another thread */
  atomic_ulong foreign_refused;       /* refused on another thread */
  atomic_ulong refused[CA_NREFUSALS];
  _Alignas(64) atomic_ulong owner_reports; /* on the owning thread */
  atomic_ulong delivered;     /* handler called (owning thread) */
  atomic_ulong errors;        /* handler raised (owning thread) */
  atomic_ulong failures;      /* handler returned a failure (owning thread) */
} ca_stats;

static inline void ca_owner_inc(atomic_ulong *c) {
  atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
                        memory_order_relaxed);
}

static inline unsigned long ca_stats_reports(ca_stats *s) {
  return atomic_load_explicit(&s->queued, memory_order_relaxed) +
         atomic_load_explicit(&s->foreign_refused, memory_order_relaxed) +
         atomic_load_explicit(&s->owner_reports, memory_order_relaxed);
}

#define CA_DEFAULT_MAX_RESPONSE ((DWORD)16 << 20)

typedef struct ca_callback {
  /* the two vptrs come first: native code holds &cb->v1 or &cb->v2;
     this line is read on every report and written almost never */
  const ICustomActionResultCallbackVtbl *v1;
  const ICustomAction2ResultCallbackVtbl *v2;
  atomic_int connected;     /* cleared when Lua lets go or the state closes */
  atomic_int finished;      /* a final report was accepted */
  int final_delivered;      /* owning thread only: a final reached the
                               handler, so nothing more may (unless reuse) */
  int reuse;                /* accept new sequences after a final report */
  DWORD max_response;
  struct ca_hub *hub;       /* holds one hub reference */
  int key;                  /* the Lua binding's handler slot */
  char *name;
  _Alignas(64) atomic_uint refs;
  /* keeps the memory (name, stats) readable: 1 for all of refs together,
     plus one per ca_callback_keep; the object is freed when it reaches 0 */
  atomic_uint keeps;
  ca_stats stats;
} ca_callback;

/* refs = 1; NULL when out of memory. name is copied. */
ca_callback *ca_callback_new(struct ca_hub *hub, const char *name,
                             DWORD max_response, int reuse);

ULONG ca_callback_addref(ca_callback *cb);
ULONG ca_callback_release(ca_callback *cb);
/* n Releases at once (the consumer's batch of delivered reports). */
ULONG ca_callback_release_n(ca_callback *cb, unsigned n);
/*
** Keeps the object's memory (its name and counters) readable after the
** last Release, for a Lua proxy that reports stats after close. A kept
** object is no longer alive: it only reads.
*/
void ca_callback_keep(ca_callback *cb);
void ca_callback_unkeep(ca_callback *cb);
HRESULT ca_callback_report(ca_callback *cb, HRESULT status, int final,
                           const BYTE *buf, DWORD len);

static inline ICustomActionResultCallback *ca_callback_v1(ca_callback *cb) {
  return (ICustomActionResultCallback *)&cb->v1;
}
static inline ICustomAction2ResultCallback *ca_callback_v2(ca_callback *cb) {
  return (ICustomAction2ResultCallback *)&cb->v2;
}

/*
** Owning thread: hands a report to the hub's deliver function, unless a
** final report was already delivered: a report accepted before the final
** one was made, but queued on another thread, can arrive after it; it is
** refused as after_final (counted), so the handler never sees a report
** after the final one, whatever order the issuer's threads keep.
*/
HRESULT ca_callback_deliver(ca_callback *cb, HRESULT status, int final,
                            const BYTE *buf, DWORD len);

/* Owning thread: would a report now be refused as after_final? */
static inline int ca_callback_after_final(const ca_callback *cb) {
  return !cb->reuse && cb->final_delivered;
}

/* Counts and returns a refusal. */
HRESULT ca_callback_refuse(ca_callback *cb, enum ca_refusal why);

CA_HIDDEN_END
#endif
