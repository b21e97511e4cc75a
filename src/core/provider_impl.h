/*
** provider_impl.h: the layout of a provider and its requests, private to
** src/core/provider*.c (the binding sees them through provider.h's
** accessors and takes no core lock; tools/sources-check.sh checks it).
*/
#ifndef CA_PROVIDER_IMPL_H
#define CA_PROVIDER_IMPL_H

#include "atomics.h"
#include "platform.h"
#include "provider.h"
#include "queue.h"
CA_HIDDEN_BEGIN

struct ca_preq {
  ca_preq *next;          /* FIFO link (provider lock) */
  ca_preq *tnext;         /* registration table link (provider lock) */
  ca_atomic_int refs;
  int kind;
  char *name;             /* UTF-8, NUL-terminated */
  char *args;             /* UTF-8; NULL for a NULL argument */
  size_t args_len;
  void *cb;               /* the native callback; one reference */
  ca_preq **targets;      /* CANCEL, SHUTDOWN: one reference each */
  int ntargets;
  ca_atomic_int cancelled;  /* unregistered or shut down */
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

/* the live counters, any thread (CA_PCOUNTERS in provider.h) */
#define CA_PSTAT_FIELD(name) ca_atomic_u64 name;
typedef struct ca_pstats {
  CA_PCOUNTERS(CA_PSTAT_FIELD)
  ca_atomic_u64 refused[CA_NPREFUSALS];
} ca_pstats;
#undef CA_PSTAT_FIELD

struct ca_provider {
  /* native code holds one of these four addresses */
  const IProtocolManagerVtbl *pm;
  const IPmCustomActionsVtbl *v1;
  const IPmCustomActions2Vtbl *v2;
  const IPmHealthAndIdleMonitorVtbl *monitor;
  ca_atomic_uint refs;
  ca_atomic_int connected;  /* cleared when Lua lets go or the state closes */
  ca_atomic_int shut;       /* Shutdown was called */
  struct ca_hub *hub;       /* one hub reference */
  ca_target bell;           /* the doorbell the hub runs; each posted one
                               holds a provider reference */
  ca_mutex lock;
  ca_cond answered;         /* CheckIdle answers */
  char **names;             /* action names, in no order; provider lock */
  int nnames;
  ca_preq *head, *tail;     /* waiting requests */
  ca_preq *regs;            /* active registrations */
  int64_t idle_wait_ms;     /* how long CheckIdle waits for Lua */
  ca_provider_run_fn run;
  void *binding;
  char *name;
  ca_pstats stats;
};

CA_HIDDEN_END
#endif
