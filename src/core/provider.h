/*
** provider.h: the native side of a protocol manager whose actions are
** written in Lua. One allocation outside any Lua heap exposes
** IProtocolManager, IPmCustomActions, IPmCustomActions2 and
** IPmHealthAndIdleMonitor (four vptrs, one atomic reference count). A call
** made on the hub's owning thread runs at once through the binding's run
** function; a call from any other thread becomes a request: it is checked
** and answered S_OK (or a refusal) at once, kept in the provider's FIFO,
** and a "doorbell" report goes through the hub's completion queue, whose
** delivery on the owning thread runs every request waiting. Registrations
** live in a table here, under a lock, so that duplicates and unregistering
** are decided on the caller's thread. Nothing here depends on Lua.
*/
#ifndef CA_PROVIDER_H
#define CA_PROVIDER_H

#include <stdatomic.h>
#include <stddef.h>
#include "callback.h"
#include "platform.h"
#include "wpf.h"
#include "visibility.h"
CA_HIDDEN_BEGIN

struct ca_hub;

/* IProtocolManager::GetCustomInterface id that gives IPmCustomActions2
   (the header's PM_INTERFACE_ID_ENUM has none). */
#define CA_PM_CUSTOM_ACTIONS2_ID 2u   /* ca.load's default actions2_id too */

#define CA_E_NOTIMPL ((HRESULT)0x80004001)
#define CA_E_NOT_FOUND ((HRESULT)0x80070490)       /* ERROR_NOT_FOUND */
#define CA_E_ALREADY_EXISTS ((HRESULT)0x800700B7)  /* ERROR_ALREADY_EXISTS */
#define CA_E_TIMEOUT ((HRESULT)0x800705B4)         /* ERROR_TIMEOUT */

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
struct ca_preq {
  ca_preq *next;          /* FIFO link (provider lock) */
  ca_preq *tnext;         /* registration table link (provider lock) */
  atomic_int refs;
  int kind;
  char *name;             /* UTF-8, NUL-terminated */
  char *args;             /* UTF-8; NULL for a NULL argument */
  size_t args_len;
  void *cb;               /* the native callback; one reference */
  ca_preq **targets;      /* CANCEL, SHUTDOWN: one reference each */
  int ntargets;
  atomic_int cancelled;   /* unregistered or shut down */
  int in_table;           /* provider lock */
  int flag;               /* IDLE: the answer; SHUTDOWN: fImmediate */
  int replied;            /* IDLE: answered (provider lock) */
  /* owning thread only */
  int done;               /* final report made, callback released */
  int in_call;            /* running inside the native call */
  int answered;           /* reported during the native call */
  HRESULT last;           /* what the last report returned */
  void *lua;              /* the binding's handle for this request */
};

typedef struct ca_provider ca_provider;

/* Runs a request on the owning thread; returns what the call returns. */
typedef HRESULT (*ca_provider_run_fn)(ca_provider *p, ca_preq *r);

typedef struct ca_pstats {
  atomic_uint_least64_t calls;       /* native calls, any thread */
  atomic_uint_least64_t queued;      /* of which queued for the owning thread */
  atomic_uint_least64_t refused[CA_NPREFUSALS];
  atomic_uint_least64_t reports;     /* ReportResult calls made through replies */
  atomic_uint_least64_t cancelled;   /* registrations ended by unregister/shutdown */
  atomic_uint_least64_t errors;      /* actions or hooks that raised */
} ca_pstats;

struct ca_provider {
  /* native code holds one of these four addresses */
  const IProtocolManagerVtbl *pm;
  const IPmCustomActionsVtbl *v1;
  const IPmCustomActions2Vtbl *v2;
  const IPmHealthAndIdleMonitorVtbl *monitor;
  atomic_uint refs;
  atomic_int connected;     /* cleared when Lua lets go or the state closes */
  atomic_int shut;          /* Shutdown was called */
  struct ca_hub *hub;       /* one hub reference */
  ca_callback *mailbox;     /* the doorbell: a callback with a task */
  ca_mutex lock;
  ca_cond answered;         /* CheckIdle answers */
  char **names;             /* actions, sorted; provider lock */
  int nnames;
  ca_preq *head, *tail;     /* waiting requests */
  ca_preq *regs;            /* active registrations */
  int64_t idle_wait_ms;     /* how long CheckIdle waits for Lua */
  ca_provider_run_fn run;
  void *binding;
  char *name;
  ca_pstats stats;
};

/* refs = 1; NULL when out of memory. names are copied. */
ca_provider *ca_provider_new(struct ca_hub *hub, const char *name,
                             const char *const *names, int nnames,
                             ca_provider_run_fn run, void *binding);
ULONG ca_provider_addref(ca_provider *p);
ULONG ca_provider_release(ca_provider *p);

/* Adds (fn != 0) or removes an action name; -1 when out of memory. */
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

static inline IProtocolManager *ca_provider_pm(ca_provider *p) {
  return (IProtocolManager *)&p->pm;
}
static inline IPmCustomActions *ca_provider_v1(ca_provider *p) {
  return (IPmCustomActions *)&p->v1;
}
static inline IPmCustomActions2 *ca_provider_v2(ca_provider *p) {
  return (IPmCustomActions2 *)&p->v2;
}
static inline IPmHealthAndIdleMonitor *ca_provider_monitor(ca_provider *p) {
  return (IPmHealthAndIdleMonitor *)&p->monitor;
}

CA_HIDDEN_END
#endif
