/*
** provider.h: the native side of a protocol manager whose actions are
** written in Lua. One allocation outside any Lua heap exposes
** IProtocolManager, IPmCustomActions, IPmCustomActions2 and
** IPmHealthAndIdleMonitor (four vptrs, one atomic reference count). A call
** made on the hub's owning thread runs at once through the binding's run
** function; a call from any other thread becomes a request: it is checked
** and answered S_OK (or a refusal) at once, kept in the provider's FIFO,
** and a "doorbell" task is posted to the hub, which runs it on the owning
** thread, where it runs every request waiting. Registrations
** live in a table here, under a lock, so that duplicates and unregistering
** are decided on the caller's thread. Nothing here depends on Lua.
*/
#ifndef CA_PROVIDER_H
#define CA_PROVIDER_H

#include <stddef.h>
#include <stdint.h>
#include "callback.h"
#include "constants.h"
#include "wpf.h"
#include "visibility.h"
CA_HIDDEN_BEGIN

struct ca_hub;

enum ca_preq_kind {
  CA_PREQ_RUN,        /* RunCustomAction: a v1 callback */
  CA_PREQ_REGISTER,   /* RegisterCustomActionCallback: a v2 callback */
  CA_PREQ_CANCEL,     /* UnregisterCustomActionCallback: targets[0] */
  CA_PREQ_HEALTH,     /* CheckHealth: an IHealthStatusCallback */
  CA_PREQ_IDLE,       /* CheckIdle: a caller waits for the answer */
  CA_PREQ_SHUTDOWN    /* Shutdown: targets are the registrations ended */
};

/* Why a native call was refused before it ran; counted per provider. */
enum ca_prefusal {
  CA_PREFUSED_CLOSED,     /* RPC_E_DISCONNECTED: closed or shut down */
  CA_PREFUSED_POINTER,    /* E_POINTER: a NULL name, callback or out pointer */
  CA_PREFUSED_INVALID,    /* E_INVALIDARG: a name or argument not UTF-16 */
  CA_PREFUSED_UNKNOWN,    /* E_NOTIMPL: no action of that name */
  CA_PREFUSED_DUPLICATE,  /* HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS) */
  CA_PREFUSED_NOT_FOUND,  /* unregister: HRESULT_FROM_WIN32(ERROR_NOT_FOUND) */
  CA_PREFUSED_QUEUE,      /* the doorbell's refusal (queue full, memory) */
  CA_PREFUSED_TIMEOUT,    /* CheckIdle: HRESULT_FROM_WIN32(ERROR_TIMEOUT) */
  CA_PREFUSED_NO_MEMORY,  /* E_OUTOFMEMORY */
  CA_NPREFUSALS
};

extern const char *const ca_prefusal_names[CA_NPREFUSALS];

typedef struct ca_preq ca_preq;
typedef struct ca_provider ca_provider;

/* Runs a request on the owning thread; returns what the call returns. */
typedef HRESULT (*ca_provider_run_fn)(ca_provider *p, ca_preq *r);

/*
** A provider's counters, listed once: the snapshot below and the live
** atomic set in provider_impl.h are both made from this list, so that a
** counter cannot be added to one and not the other. Besides these, each
** refusal reason has a counter (refused[]).
**   calls      native calls, any thread
**   queued     of which queued for the owning thread
**   reports    ReportResult calls made through replies
**   cancelled  registrations ended by unregister/shutdown
**   errors     actions or hooks that raised
*/
#define CA_PCOUNTERS(X) X(calls) X(queued) X(reports) X(cancelled) X(errors)

/* A provider's counters at one moment (ca_provider_counts). */
#define CA_PCOUNT_FIELD(name) uint64_t name;
typedef struct ca_pcounts {
  CA_PCOUNTERS(CA_PCOUNT_FIELD)
  uint64_t refused[CA_NPREFUSALS];
} ca_pcounts;
#undef CA_PCOUNT_FIELD

/* refs = 1; NULL when out of memory. names are copied. */
ca_provider *ca_provider_new(struct ca_hub *hub, const char *name,
                             const char *const *names, int nnames,
                             ca_provider_run_fn run, void *binding);
ULONG ca_provider_addref(ca_provider *p);
ULONG ca_provider_release(ca_provider *p);

/* Adds (add != 0) or removes an action name; -1 when out of memory. */
int ca_provider_define(ca_provider *p, const char *name, int add);

/*
** Owning thread: refuses every later call, ends the requests still
** waiting (RUN/REGISTER get a final RPC_E_DISCONNECTED, HEALTH
** ReportHealth(FALSE), CANCEL/SHUTDOWN targets a final E_ABORT, IDLE
** waiters RPC_E_DISCONNECTED) and empties the registration table.
*/
void ca_provider_disconnect(ca_provider *p);

/* Owning thread: a report through r's callback; a final one (every v1
   report) releases it. After that, E_ILLEGAL_METHOD_CALL. */
HRESULT ca_preq_report(ca_provider *p, ca_preq *r, HRESULT status, int final,
                       const BYTE *buf, DWORD len);
/* Owning thread: ends r with hr (RUN/REGISTER: a final report; HEALTH:
   unhealthy; IDLE: hr to the waiter; CANCEL/SHUTDOWN: a final E_ABORT to
   each target not yet ended). */
void ca_preq_end(ca_provider *p, ca_preq *r, HRESULT hr);
/* Owning thread: ReportHealth on a HEALTH request, then Release. */
HRESULT ca_preq_health(ca_preq *r, int healthy);
/* Owning thread: answers an IDLE request's waiter. */
void ca_preq_answer_idle(ca_provider *p, ca_preq *r, HRESULT hr, int idle);
void ca_preq_retain(ca_preq *r);
void ca_preq_release(ca_preq *r);

/*
** The provider is opaque outside src/core (its layout is in
** provider_impl.h): the binding reads it through these, and never takes
** its lock.
*/
IProtocolManager *ca_provider_pm(ca_provider *p);
IPmCustomActions *ca_provider_v1(ca_provider *p);
IPmCustomActions2 *ca_provider_v2(ca_provider *p);
IPmHealthAndIdleMonitor *ca_provider_monitor(ca_provider *p);
const char *ca_provider_name(const ca_provider *p);
unsigned ca_provider_refs(ca_provider *p);
void *ca_provider_binding(const ca_provider *p);
/* How long CheckIdle from another thread waits for the owning thread. */
void ca_provider_set_idle_wait(ca_provider *p, int64_t ms);
/* An action or hook raised (counted in errors). */
void ca_provider_count_error(ca_provider *p);
void ca_provider_counts(ca_provider *p, ca_pcounts *out);
/* Is name registered by a native caller and not yet ended? */
int ca_provider_active(ca_provider *p, const char *name);

/* A request, as the owning thread reads it. */
int ca_preq_kind(const ca_preq *r);                  /* CA_PREQ_* */
const char *ca_preq_name(const ca_preq *r);          /* UTF-8 */
const char *ca_preq_args(const ca_preq *r, size_t *len);  /* NULL: none */
int ca_preq_done(const ca_preq *r);       /* final report made */
int ca_preq_cancelled(ca_preq *r);        /* unregistered or shut down */
int ca_preq_flag(const ca_preq *r);       /* SHUTDOWN: fImmediate */
int ca_preq_ntargets(const ca_preq *r);   /* CANCEL, SHUTDOWN */
ca_preq *ca_preq_target(const ca_preq *r, int i);
/* RUN: did it report during the native call? *last: what that returned. */
int ca_preq_answered(const ca_preq *r, HRESULT *last);

CA_HIDDEN_END
#endif
