/*
** sim.h: private to src/sim. The records the simulator's files share
** (scenario, operation, issuer) and the functions each file offers the
** others: scenario.c (the data), log.c (the protocol log), calls.c
** (calling callbacks, also from a thread made for one report), payload.c
** (what a response carries), op.c (one operation's state machine),
** clock.c (both clocks), sched.c (the scheduler), issuer.c (the native
** interface and the issuer's lifetime). Callers outside src/sim include
** issuer.h and scenario.h only.
*/
#ifndef CA_SIM_H
#define CA_SIM_H

#include "atomics.h"
#include <stddef.h>
#include <stdint.h>
#include "constants.h"
#include "issuer.h"
#include "platform.h"
#include "scenario.h"
#include "visibility.h"
CA_HIDDEN_BEGIN

/* A time no event is ever due at: saturated clock arithmetic ends here. */
#define CA_TIME_NEVER INT64_MAX

typedef struct ca_fault {
  enum ca_fault_kind kind;
  int64_t at;        /* which response (1-based); 0: the kind's default */
  uint32_t size;     /* oversized: bytes sent */
  int64_t ms;        /* jitter: at most this much extra per interval */
  uint64_t seed;     /* jitter */
} ca_fault;

struct ca_scenario {
  int64_t every;     /* ms between responses; -1 when absent */
  int64_t count;     /* responses; -1: until unregistered; 0: unset */
  int64_t delay;     /* ms to the first response; -1: unset */
  HRESULT status;
  int npayloads;
  char **payloads;   /* as given; UTF-16LE once finished when utf16 */
  size_t *lens;
  char *format;      /* "%d" -> response number; NULL when unused */
  size_t format_len;
  int echo;          /* payload = the action's argument */
  int utf16;         /* payloads sent as UTF-16LE */
  int nfaults;
  ca_fault *faults;
  int finished;      /* ca_scenario_finish passed */
  int refs;          /* issuer and operations; under the issuer's lock */
};

const ca_fault *ca_sc_fault(const ca_scenario *sc, enum ca_fault_kind kind);
/* Does a fault of this kind hit response k? (at 0 means default_k.) */
int ca_sc_fault_at(const ca_scenario *sc, enum ca_fault_kind kind,
                   int64_t k, int64_t default_k);
void ca_sc_unref(ca_scenario *sc);

/* Operation states and the events they produce. */
enum { ST_ACTIVE, ST_EXTRAS, ST_CANCEL, ST_ENDING };
enum { EV_RESPONSE, EV_DUP_FINAL, EV_AFTER_FINAL, EV_ABORT, EV_END };

typedef struct ca_op {
  struct ca_op *next;
  char *name;
  char *args;                  /* UTF-8 */
  size_t args_len;
  char *args16;                /* UTF-16LE bytes, for echo */
  size_t args16_len;
  int shape;                   /* CA_SHAPE_V1 run, CA_SHAPE_V2 register */
  void *cb;
  ca_scenario *sc;
  int64_t due;
  int64_t sent;                /* responses accepted so far */
  int state;
  int busy;                    /* a report for it is being made */
  int named;                   /* still bound to its name */
  int released;                /* early_release happened */
  int guard;                   /* a hidden reference for early_release */
  int never_release;
  int dup_pending, after_pending;
  int worker;                  /* the worker thread that makes its reports */
  int sync;                    /* a run made inside RunCustomAction */
  uint64_t rng;
} ca_op;

typedef struct ca_event {
  int kind;
  int64_t k;
  HRESULT result;
} ca_event;

typedef struct ca_def {
  struct ca_def *next;
  char *name;
  ca_scenario *sc;
} ca_def;

typedef struct ca_worker {
  struct ca_issuer *is;
  int index;
  int started;
  ca_thread thread;
} ca_worker;

struct ca_issuer {
  const IPmCustomActionsVtbl *v1;
  const IPmCustomActions2Vtbl *v2;
  ca_atomic_uint refs;
  ca_mutex lock;
  ca_cond work;                /* workers: something to do */
  ca_cond idle;                /* an operation ended */
  int closed, stopping;
  int is_virtual;              /* fixed at creation */
  int sync_run;                /* RunCustomAction reports inside the call */
  int nworkers;                /* workers allowed; started on first use */
  ca_worker *workers;
  int next_worker;             /* round-robin assignment */
  int64_t start_ns;
  int64_t vnow;                /* virtual clock, ms */
  int advancing;
  ca_def *defs;
  ca_op *ops;
  ca_log log;
  void **leaked;               /* never_release: freed with the issuer */
  int *leaked_shape;
  size_t nleaked;
};

/* clock.c */
int64_t ca_sim_now(ca_issuer *is);                  /* lock held */
int64_t ca_time_add(int64_t t, int64_t ms);         /* saturates */

/* log.c; the *_locked ones expect the issuer's lock held */
void ca_sim_log_call_locked(ca_issuer *is, enum ca_log_op op,
                            const char *name, int shape, HRESULT result);
void ca_sim_log_stop_locked(ca_issuer *is, const ca_op *op, HRESULT result);
void ca_sim_log_refs(ca_issuer *is, enum ca_log_op op, const ca_op *o,
                     ULONG refs);
void ca_sim_log_refs_locked(ca_issuer *is, enum ca_log_op op,
                            const char *name, int shape, ULONG refs);
void ca_sim_log_report(ca_issuer *is, const ca_op *op, HRESULT status,
                       int final, DWORD len, int null_buf, HRESULT result,
                       unsigned long thread);

/* calls.c */
ULONG ca_sim_addref(void *cb, int shape);
ULONG ca_sim_release(void *cb, int shape);
HRESULT ca_sim_report(void *cb, int shape, HRESULT st, int final,
                      const BYTE *buf, DWORD len);
/* The same report from a thread made for it; *thread names that thread. */
HRESULT ca_sim_report_foreign(void *cb, int shape, HRESULT st, int final,
                              const BYTE *buf, DWORD len,
                              unsigned long *thread);

/* payload.c: response k's bytes, static or malloc'd into *owned */
int ca_sim_payload(const ca_op *op, int64_t k, const BYTE **buf, DWORD *len,
                   char **owned);

/* op.c */
void ca_op_plan(ca_op *op, ca_event *ev);                  /* lock held */
void ca_op_perform(ca_issuer *is, ca_op *op, ca_event *ev);  /* unlocked */
/* Lock held; returns 1 when the operation ended (op is freed). */
int ca_op_finish(ca_issuer *is, ca_op *op, ca_event *ev);
int64_t ca_op_last(const ca_op *op);
void ca_op_free(ca_op *op);

/* actions.c */
void ca_sim_set_vtables(ca_issuer *is);

/* sched.c */
/* Lock held; one event of op, described in *ev when ev is not NULL.
   Returns 1 when op ended (and is freed). */
int ca_sched_step(ca_issuer *is, ca_op *op, ca_event *ev);
ca_op *ca_sched_earliest(ca_issuer *is, int worker);
/* Assigns op a worker, starting it on first use; -1 if none can start. */
int ca_sched_assign(ca_issuer *is, ca_op *op);
void ca_sched_finish_now(ca_issuer *is, ca_op *op);
void ca_sched_join(ca_issuer *is);

CA_HIDDEN_END
#endif
