/*
** callback.h: the callback object native code holds. One allocation, made
** outside any Lua heap, exposing two interface pointers (v1 and v2 vptrs)
** over one atomic reference count, so that native holders may outlive the
** Lua proxy and even the Lua state. ReportResult validates its arguments,
** then either hands the report to the hub's deliver function at once (on
** the hub's owning thread) or copies it into the hub's queue. The object
** is opaque outside callback.c.
*/
#ifndef CA_CALLBACK_H
#define CA_CALLBACK_H

#include <stddef.h>
#include <stdint.h>
#include "constants.h"
#include "wpf.h"
#include "visibility.h"
CA_HIDDEN_BEGIN

struct ca_hub;
struct ca_target;

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

/* The object is opaque: callers use the functions below. */
typedef struct ca_callback ca_callback;

/* A snapshot of the counters (each read once, relaxed). */
typedef struct ca_callback_stats {
  uint64_t reports;     /* ReportResult calls, from any thread */
  uint64_t queued;      /* accepted from another thread */
  uint64_t delivered;   /* handler called */
  uint64_t errors;      /* handler raised */
  uint64_t failures;    /* handler returned a failure */
  uint64_t refused[CA_NREFUSALS];
} ca_callback_stats;

/* What the deliver function counts, on the owning thread. */
enum ca_count { CA_COUNT_DELIVERED, CA_COUNT_ERRORS, CA_COUNT_FAILURES };

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

/* The two interface pointers native code holds. */
ICustomActionResultCallback *ca_callback_v1(ca_callback *cb);
ICustomAction2ResultCallback *ca_callback_v2(ca_callback *cb);

/*
** The callback as the hub's target (queued reports point at it), and the
** way back for a deliver function the hub hands a target. Queued reports
** of a closed or disconnected callback are refused as closed, and a
** report accepted before the final one, but queued on another thread, is
** refused as after_final when it arrives after it (counted): the handler
** never sees a report after the final one, whatever order the issuer's
** threads keep.
*/
struct ca_target *ca_callback_target(ca_callback *cb);
/* The target sits right after the two vptrs (callback.c checks), so the
   way back costs no call on the per-report path. */
#define CA_CALLBACK_TARGET_AT (2 * sizeof(void *))
static inline ca_callback *ca_callback_of(struct ca_target *t) {
  return (ca_callback *)(void *)((char *)t - CA_CALLBACK_TARGET_AT);
}

/* Counts and returns a refusal. */
HRESULT ca_callback_refuse(ca_callback *cb, enum ca_refusal why);

/* What a binding reads and says; names and counters stay readable while
   the object is kept (ca_callback_keep), also after the last Release. */
const char *ca_callback_name(const ca_callback *cb);
ULONG ca_callback_refs(const ca_callback *cb);
int ca_callback_finished(const ca_callback *cb);   /* a final was accepted */
int ca_callback_connected(const ca_callback *cb);
/* From now on every report is refused as closed (Lua let go). */
void ca_callback_disconnect(ca_callback *cb);
void ca_callback_stats_get(const ca_callback *cb, ca_callback_stats *s);
/* Owning thread: counts a delivery, a handler error or a failure. */
void ca_callback_count(ca_callback *cb, enum ca_count which);
/* The hub the object reports to (NULL once the last reference went). */
struct ca_hub *ca_callback_hub(const ca_callback *cb);
/*
** For a binding that reuses an object from call to call: when only its
** creator holds it (refs 1) and it is still connected, forgets that a
** final report was made, so the next use may make one; returns 1. Else 0
** and nothing changes. Counters are not reset.
*/
int ca_callback_rearm(ca_callback *cb);
/* A word the binding keeps with the object (its handler's key); the core
   never reads it. */
void ca_callback_set_user(ca_callback *cb, intptr_t user);
intptr_t ca_callback_user(const ca_callback *cb);

CA_HIDDEN_END
#endif
