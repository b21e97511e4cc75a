/*
** issuer.c: the simulated protocol manager. Each registration or run is an
** operation with a due time and a small state machine (responses, then
** the extra reports faults ask for, then the release). One scheduler
** serves both clocks: worker threads pick due operations in real time;
** on the virtual clock ca_issuer_advance picks them on the calling thread.
** The lock is never held while a callback is called, so handlers may call
** back into the issuer (unregister, register, close) from any report.
*/
#include "alloc.h"
#include "issuer.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hresult.h"
#include "platform.h"
#include "utf16.h"

const char *const ca_fault_names[CA_NFAULTS] = {
  "null_buffer", "oversized", "duplicate_final", "after_final",
  "foreign_thread", "early_release", "never_release", "jitter",
};

#define E_NOT_FOUND_HR ((HRESULT)0x80070490)       /* ERROR_NOT_FOUND */
#define E_ALREADY_EXISTS_HR ((HRESULT)0x800700B7)  /* ERROR_ALREADY_EXISTS */

enum { ST_ACTIVE, ST_EXTRAS, ST_CANCEL, ST_ENDING };
enum { EV_RESPONSE, EV_DUP_FINAL, EV_AFTER_FINAL, EV_ABORT, EV_END };

typedef struct ca_shared_scenario {
  ca_scenario sc;
  int refs;                    /* under the issuer's lock */
} ca_shared_scenario;

typedef struct ca_def {
  struct ca_def *next;
  char *name;
  ca_shared_scenario *sc;
} ca_def;

typedef struct ca_op {
  struct ca_op *next;
  char *name;
  char *args;                  /* UTF-8 */
  size_t args_len;
  char *args16;                /* UTF-16LE bytes, for echo */
  size_t args16_len;
  int shape;                   /* 1: run through v1, 2: registration, v2 */
  void *cb;
  ca_shared_scenario *sc;
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
  uint64_t rng;
} ca_op;

typedef struct ca_event {
  int kind;
  int64_t k;
  HRESULT result;
} ca_event;

struct ca_issuer {
  const IPmCustomActionsVtbl *v1;
  const IPmCustomActions2Vtbl *v2;
  atomic_uint refs;
  ca_mutex lock;
  ca_cond work;                /* workers: something to do */
  ca_cond idle;                /* an operation ended */
  int closed, stopping;
  int is_virtual;               /* fixed at creation */
  int nthreads;
  ca_thread *threads;
  struct ca_worker *workers;
  int next_worker;              /* round-robin assignment */
  int64_t start_ns;
  int64_t vnow;                /* virtual clock, ms */
  int advancing;
  ca_def *defs;
  ca_op *ops;
  int log_on;
  size_t log_limit, nlog, caplog, dropped;
  ca_log_entry *log;
  void **leaked;               /* never_release: freed with the issuer */
  int *leaked_shape;
  size_t nleaked;
};

/* ---- scenarios ---------------------------------------------------------- */

ca_scenario *ca_scenario_new(void) {
  ca_shared_scenario *s = ca_calloc(1, sizeof *s);
  if (s == NULL) return NULL;
  s->sc.every = -1;
  s->sc.count = -1;
  s->sc.delay = -1;
  s->refs = 1;
  return &s->sc;
}

void ca_scenario_free(ca_scenario *sc) {
  int i;
  if (sc == NULL) return;
  for (i = 0; i < sc->npayloads; i++) free(sc->payloads[i]);
  free(sc->payloads);
  free(sc->lens);
  free(sc->format);
  free(sc->faults);
  free(sc);  /* sc is the first member of its ca_shared_scenario */
}

/* A small number naming the calling thread in the log. */
static unsigned long thread_number(void) {
  static atomic_ulong next = 1;
  static _Thread_local unsigned long mine;
  if (mine == 0) mine = atomic_fetch_add(&next, 1);
  return mine;
}

static void scenario_unref(ca_shared_scenario *s) {
  if (--s->refs == 0) ca_scenario_free(&s->sc);
}

static const ca_fault *fault(const ca_scenario *sc, int kind) {
  int i;
  for (i = 0; i < sc->nfaults; i++)
    if (sc->faults[i].kind == kind) return &sc->faults[i];
  return NULL;
}

/* Does a fault of this kind hit response k? (at 0 means the default k.) */
static int fault_at(const ca_scenario *sc, int kind, int64_t k,
                    int64_t default_k) {
  const ca_fault *f = fault(sc, kind);
  return f != NULL && k == (f->at > 0 ? f->at : default_k);
}

/* ---- clock and log ------------------------------------------------------ */

static int64_t now_locked(ca_issuer *is) {
  if (is->is_virtual) return is->vnow;
  return (ca_now_ns() - is->start_ns) / 1000000;
}

static void log_locked(ca_issuer *is, const char *op, const char *action,
                       HRESULT status, int final, int64_t bytes, int null_buf,
                       int64_t result, int shape, unsigned long thread) {
  ca_log_entry *e;
  if (!is->log_on) return;
  if (is->nlog >= is->log_limit) {
    is->dropped++;
    return;
  }
  if (is->nlog == is->caplog) {
    size_t cap = is->caplog ? is->caplog * 2 : 64;
    ca_log_entry *n = ca_realloc(is->log, cap * sizeof *n);
    if (n == NULL) {
      is->dropped++;
      return;
    }
    is->log = n;
    is->caplog = cap;
  }
  e = &is->log[is->nlog];
  e->action = action ? ca_strdup(action) : NULL;
  if (action && e->action == NULL) {
    is->dropped++;
    return;
  }
  is->nlog++;
  e->op = op;
  e->status = status;
  e->final = final;
  e->bytes = bytes;
  e->null_buf = null_buf;
  e->result = result;
  e->thread = thread ? thread : thread_number();
  e->time = now_locked(is);
  e->shape = shape;
}

/* thread 0: the calling thread */
static void log_event(ca_issuer *is, const char *op, const char *action,
                      HRESULT status, int final, int64_t bytes, int null_buf,
                      int64_t result, int shape, unsigned long thread) {
  if (!is->log_on) return;   /* fixed at creation: no lock needed */
  ca_mutex_lock(&is->lock);
  log_locked(is, op, action, status, final, bytes, null_buf, result, shape,
             thread);
  ca_mutex_unlock(&is->lock);
}

/* ---- calling callbacks -------------------------------------------------- */

static ULONG cb_addref(void *cb, int shape) {
  return shape == 1
    ? ((ICustomActionResultCallback *)cb)->lpVtbl->AddRef(cb)
    : ((ICustomAction2ResultCallback *)cb)->lpVtbl->AddRef(cb);
}

static ULONG cb_release(void *cb, int shape) {
  return shape == 1
    ? ((ICustomActionResultCallback *)cb)->lpVtbl->Release(cb)
    : ((ICustomAction2ResultCallback *)cb)->lpVtbl->Release(cb);
}

static HRESULT cb_report(void *cb, int shape, HRESULT st, int final,
                         BYTE *buf, DWORD len) {
  if (shape == 1)
    return ((ICustomActionResultCallback *)cb)->lpVtbl->ReportResult(
        cb, st, buf, len);
  return ((ICustomAction2ResultCallback *)cb)->lpVtbl->ReportResult(
      cb, st, final, buf, len);
}

typedef struct foreign_call {
  unsigned long thread;
  void *cb;
  int shape;
  HRESULT st;
  int final;
  BYTE *buf;
  DWORD len;
  HRESULT result;
} foreign_call;

static void *foreign_main(void *arg) {
  foreign_call *c = arg;
  c->thread = thread_number();
  c->result = cb_report(c->cb, c->shape, c->st, c->final, c->buf, c->len);
  return NULL;
}

/* The same report, made from a thread that exists only for it. */
static HRESULT report_from_new_thread(void *cb, int shape, HRESULT st,
                                      int final, BYTE *buf, DWORD len,
                                      unsigned long *thread) {
  foreign_call c;
  ca_thread t;
  c.cb = cb; c.shape = shape; c.st = st; c.final = final;
  c.buf = buf; c.len = len; c.result = CA_E_FAIL; c.thread = 0;
  if (ca_thread_start(&t, foreign_main, &c) != 0)
    return cb_report(cb, shape, st, final, buf, len);
  ca_thread_join(t);
  *thread = c.thread;
  return c.result;
}

/* ---- one operation's events --------------------------------------------- */

static uint64_t next_random(ca_op *op) {
  uint64_t x = op->rng;   /* xorshift64 */
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  op->rng = x;
  return x;
}

static int64_t interval(ca_op *op) {
  const ca_scenario *sc = &op->sc->sc;
  const ca_fault *j = fault(sc, CA_FAULT_JITTER);
  int64_t every = sc->every > 0 ? sc->every : 0;
  if (j != NULL && j->ms > 0)
    every += (int64_t)(next_random(op) % (uint64_t)(j->ms + 1));
  return every;
}

static void plan(ca_op *op, ca_event *ev) {
  ev->result = CA_S_OK;
  ev->k = 0;
  switch (op->state) {
    case ST_CANCEL: ev->kind = EV_ABORT; break;
    case ST_ENDING: ev->kind = EV_END; break;
    case ST_ACTIVE: ev->kind = EV_RESPONSE; ev->k = op->sent + 1; break;
    default:
      ev->kind = op->dup_pending ? EV_DUP_FINAL
               : op->after_pending ? EV_AFTER_FINAL : EV_END;
  }
}

static int64_t last_response(const ca_op *op) {
  return op->shape == 1 ? 1 : op->sc->sc.count;
}

/* The payload of response k: static bytes, or malloc'd into *owned. */
static int payload(const ca_op *op, int64_t k, BYTE **buf, DWORD *len,
                   char **owned) {
  const ca_scenario *sc = &op->sc->sc;
  const char *text = NULL;
  size_t tlen = 0;
  char formatted[256];
  *owned = NULL;
  if (sc->format != NULL) {
    const char *f = sc->format;
    size_t o = 0;
    while (*f && o < sizeof formatted - 24) {
      if (f[0] == '%' && f[1] == 'd') {
        o += (size_t)snprintf(formatted + o, sizeof formatted - o, "%lld",
                              (long long)k);
        f += 2;
      } else if (f[0] == '%' && f[1] == '%') {
        formatted[o++] = '%';
        f += 2;
      } else {
        formatted[o++] = *f++;
      }
    }
    text = formatted;
    tlen = o;
  } else if (sc->echo) {
    if (sc->utf16) {
      *buf = (BYTE *)op->args16;
      *len = (DWORD)op->args16_len;
      return 0;
    }
    text = op->args;
    tlen = op->args_len;
  } else if (sc->npayloads > 0) {
    int i = (int)((k - 1) % sc->npayloads);
    *buf = (BYTE *)sc->payloads[i];
    *len = (DWORD)sc->lens[i];
    return 0;
  } else {
    *buf = (BYTE *)"";
    *len = 0;
    return 0;
  }
  if (sc->utf16 && sc->format != NULL) {
    WCHAR *w;
    size_t n, where;
    if (ca_utf8_to_utf16(text, tlen, 1, &w, &n, &where) != CA_UTF_OK)
      return -1;
    *owned = ca_malloc(n * 2 + 1);
    if (*owned == NULL) { free(w); return -1; }
    ca_utf16_to_le(w, n, *owned);
    free(w);
    *buf = (BYTE *)*owned;
    *len = (DWORD)(n * 2);
    return 0;
  }
  *owned = ca_malloc(tlen + 1);
  if (*owned == NULL) return -1;
  memcpy(*owned, text, tlen);
  *buf = (BYTE *)*owned;
  *len = (DWORD)tlen;
  return 0;
}

/* Makes response k (or a repeat of it) with the faults that hit it. */
static HRESULT respond(ca_issuer *is, ca_op *op, int64_t k, int final,
                       int apply_faults) {
  const ca_scenario *sc = &op->sc->sc;
  int64_t last = last_response(op);
  BYTE *buf;
  DWORD len;
  char *owned = NULL, *big = NULL;
  int foreign = 0, null_buf = 0;
  unsigned long thread = 0;
  HRESULT hr;
  if (apply_faults && !op->released &&
      fault_at(sc, CA_FAULT_EARLY_RELEASE, k, last > 0 ? last : 1)) {
    ULONG n = cb_release(op->cb, op->shape);
    op->released = 1;
    log_event(is, "release", op->name, 0, 0, 0, 0, (int64_t)n, op->shape,
              0);
  }
  if (payload(op, k, &buf, &len, &owned) != 0) {
    buf = (BYTE *)"";
    len = 0;
  }
  if (apply_faults) {
    const ca_fault *f;
    if (fault_at(sc, CA_FAULT_NULL_BUFFER, k, 1)) {
      buf = NULL;
      null_buf = 1;
      if (len == 0) len = 1;
    }
    f = fault(sc, CA_FAULT_OVERSIZED);
    if (f != NULL && k == (f->at > 0 ? f->at : 1)) {
      big = ca_calloc(f->size ? f->size : 1, 1);
      if (big != NULL) {
        buf = (BYTE *)big;
        len = f->size;
      }
    }
    foreign = fault_at(sc, CA_FAULT_FOREIGN_THREAD, k, 1);
  }
  hr = foreign ? report_from_new_thread(op->cb, op->shape, sc->status, final,
                                        buf, len, &thread)
               : cb_report(op->cb, op->shape, sc->status, final, buf, len);
  log_event(is, "report", op->name, sc->status, final, len, null_buf, hr,
            op->shape, thread);
  free(owned);
  free(big);
  return hr;
}

static void perform(ca_issuer *is, ca_op *op, ca_event *ev) {
  int64_t last = last_response(op);
  switch (ev->kind) {
    case EV_RESPONSE:
      ev->result = respond(is, op, ev->k, last >= 0 && ev->k >= last, 1);
      break;
    case EV_DUP_FINAL:
      ev->result = respond(is, op, op->sent, 1, 0);
      break;
    case EV_AFTER_FINAL:
      ev->result = respond(is, op, op->sent + 1, op->shape == 1, 0);
      break;
    case EV_ABORT:
      ev->result = cb_report(op->cb, op->shape, CA_E_ABORT, 1, (BYTE *)"", 0);
      log_event(is, "report", op->name, CA_E_ABORT, 1, 0, 0, ev->result,
                op->shape, 0);
      break;
    case EV_END:
      if (!op->never_release && !op->released) {
        ULONG n = cb_release(op->cb, op->shape);
        log_event(is, "release", op->name, 0, 0, 0, 0, (int64_t)n,
                  op->shape, 0);
      }
      break;
  }
}

static void free_op(ca_op *op) {
  scenario_unref(op->sc);
  free(op->name);
  free(op->args);
  free(op->args16);
  free(op);
}

/* Under the lock: what the event's outcome means for the operation. */
static void finish(ca_issuer *is, ca_op *op, ca_event *ev) {
  int64_t now = now_locked(is);
  int64_t last = last_response(op);
  op->busy = 0;
  switch (ev->kind) {
    case EV_RESPONSE:
      if (ev->result == CA_E_RETRYLATER && op->state == ST_ACTIVE) {
        /* backpressure: the same response again, one interval later */
        int64_t e = interval(op);
        op->due = now + (e > 0 ? e : 1);
        break;
      }
      op->sent = ev->k;
      if (last >= 0 && ev->k >= last) {
        op->state = ST_EXTRAS;   /* the final went out, even if cancelled */
        op->named = 0;
        op->dup_pending = fault(&op->sc->sc, CA_FAULT_DUPLICATE_FINAL) != 0;
        op->after_pending = fault(&op->sc->sc, CA_FAULT_AFTER_FINAL) != 0;
        op->due = now;
      } else if (op->state == ST_CANCEL) {
        op->due = now;
      } else if (WPF_FAILED(ev->result)) {
        /* the callback refused or its handler failed: this ends it */
        log_locked(is, "stop", op->name, 0, 0, 0, 0, ev->result, op->shape,
                   0);
        op->state = ST_ENDING;
        op->named = 0;
        op->due = now;
      } else {
        op->due += interval(op);
        if (op->due < now && is->is_virtual) op->due = now;
      }
      break;
    case EV_DUP_FINAL: op->dup_pending = 0; op->due = now; break;
    case EV_AFTER_FINAL: op->after_pending = 0; op->due = now; break;
    case EV_ABORT: op->state = ST_ENDING; op->due = now; break;
    case EV_END: {
      ca_op **pp = &is->ops;
      while (*pp != op) pp = &(*pp)->next;
      *pp = op->next;
      if (op->never_release) {
        void **l = ca_realloc(is->leaked, (is->nleaked + 1) * sizeof *l);
        int *s = ca_realloc(is->leaked_shape, (is->nleaked + 1) * sizeof *s);
        if (l) is->leaked = l;
        if (s) is->leaked_shape = s;
        if (l && s) {
          is->leaked[is->nleaked] = op->cb;
          is->leaked_shape[is->nleaked++] = op->shape;
        }
        /* without room to remember it the reference is truly lost */
      }
      if (op->guard) {
        void *cb = op->cb;
        int shape = op->shape;
        free_op(op);
        ca_mutex_unlock(&is->lock);
        cb_release(cb, shape);   /* the hidden guard, never logged */
        ca_mutex_lock(&is->lock);
      } else {
        free_op(op);
      }
      ca_cond_broadcast(&is->idle);
      return;
    }
  }
  ca_cond_broadcast(&is->work);
}

/* The next operation due; worker < 0 takes any (the virtual clock). */
static ca_op *earliest(ca_issuer *is, int worker) {
  ca_op *op, *best = NULL;
  for (op = is->ops; op; op = op->next)
    if (!op->busy && (worker < 0 || op->worker == worker) &&
        (best == NULL || op->due < best->due))
      best = op;
  return best;
}

/* Under the lock, returns under the lock: one event of op, done. */
static void step(ca_issuer *is, ca_op *op) {
  ca_event ev;
  op->busy = 1;
  plan(op, &ev);
  ca_mutex_unlock(&is->lock);
  perform(is, op, &ev);
  ca_mutex_lock(&is->lock);
  finish(is, op, &ev);
}

/*
** Each operation belongs to one worker, so all its reports come from one
** thread and reach the callback in the order made, as with a real
** protocol manager's per-registration worker.
*/
typedef struct ca_worker {
  ca_issuer *is;
  int index;
} ca_worker;

static void *worker(void *arg) {
  ca_worker *w = arg;
  ca_issuer *is = w->is;
  ca_mutex_lock(&is->lock);
  while (!is->stopping) {
    ca_op *op = earliest(is, w->index);
    int64_t now = now_locked(is);
    if (op != NULL && op->due <= now) {
      step(is, op);
      continue;
    }
    if (op == NULL) ca_cond_wait(&is->work, &is->lock);
    else ca_cond_timedwait(&is->work, &is->lock, op->due - now);
  }
  ca_mutex_unlock(&is->lock);
  return NULL;
}

/* ---- the native interface ------------------------------------------------ */

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

/* Starts an operation; returns the HRESULT of the native call. */
static HRESULT start(ca_issuer *is, int shape, PCWSTR name16, PCWSTR args16,
                     void *cb) {
  ca_op *op;
  ca_def *d;
  char *name;
  size_t nlen;
  HRESULT hr = CA_S_OK;
  const char *what = shape == 1 ? "run" : "register";
  if (name16 == NULL || cb == NULL) return CA_E_POINTER;
  name = to_utf8(name16, &nlen);
  if (name == NULL) return CA_E_INVALIDARG;
  op = ca_calloc(1, sizeof *op);
  if (op == NULL) { free(name); return CA_E_OUTOFMEMORY; }
  op->name = name;
  if (args16 != NULL) {
    size_t n = ca_wcslen(args16);
    op->args = to_utf8(args16, &op->args_len);
    op->args16 = ca_malloc(n * 2 + 1);
    if (op->args == NULL || op->args16 == NULL) {
      HRESULT bad = op->args == NULL ? CA_E_INVALIDARG : CA_E_OUTOFMEMORY;
      free(op->args); free(op->args16); free(name); free(op);
      return bad;
    }
    ca_utf16_to_le(args16, n, op->args16);
    op->args16_len = n * 2;
  }
  ca_mutex_lock(&is->lock);
  d = is->closed ? NULL : find_def(is, name);
  if (is->closed) hr = CA_RPC_E_DISCONNECTED;
  else if (d == NULL) hr = E_NOT_FOUND_HR;
  else if (shape == 2 && find_bound(is, name) != NULL) hr = E_ALREADY_EXISTS_HR;
  if (hr != CA_S_OK) {
    log_locked(is, what, name, 0, 0, 0, 0, hr, shape, 0);
    ca_mutex_unlock(&is->lock);
    free(op->args); free(op->args16); free(name); free(op);
    return hr;
  }
  op->shape = shape;
  op->cb = cb;
  op->sc = d->sc;
  d->sc->refs++;
  op->state = ST_ACTIVE;
  op->named = shape == 2;
  op->never_release = fault(&d->sc->sc, CA_FAULT_NEVER_RELEASE) != NULL;
  {
    const ca_fault *j = fault(&d->sc->sc, CA_FAULT_JITTER);
    op->rng = j && j->seed ? j->seed : 0x9E3779B97F4A7C15ull;
  }
  op->due = now_locked(is) + d->sc->sc.delay;
  if (is->nthreads > 0) op->worker = is->next_worker++ % is->nthreads;
  log_locked(is, "addref", name, 0, 0, 0, 0, (int64_t)cb_addref(cb, shape),
             shape, 0);
  if (fault(&d->sc->sc, CA_FAULT_EARLY_RELEASE)) {
    /* keeps the simulation itself from using a freed callback; only the
       early Release is logged, as that is the protocol under test */
    op->guard = 1;
    cb_addref(cb, shape);
  }
  log_locked(is, what, name, 0, 0, 0, 0, CA_S_OK, shape, 0);
  op->next = is->ops;
  is->ops = op;
  ca_cond_broadcast(&is->work);
  ca_mutex_unlock(&is->lock);
  return CA_S_OK;
}

/* Virtual clock: drives op to its end on this thread (lock held). */
static void finish_now(ca_issuer *is, ca_op *op) {
  for (;;) {
    ca_op *p;
    int alive = 0;
    for (p = is->ops; p; p = p->next) if (p == op) alive = 1;
    if (!alive || op->busy) return;
    step(is, op);
  }
}

static HRESULT unregister(ca_issuer *is, PCWSTR name16) {
  ca_op *op;
  char *name;
  size_t nlen;
  if (name16 == NULL) return CA_E_POINTER;
  name = to_utf8(name16, &nlen);
  if (name == NULL) return CA_E_INVALIDARG;
  ca_mutex_lock(&is->lock);
  op = is->closed ? NULL : find_bound(is, name);
  if (op == NULL) {
    HRESULT hr = is->closed ? CA_RPC_E_DISCONNECTED : E_NOT_FOUND_HR;
    log_locked(is, "unregister", name, 0, 0, 0, 0, hr, 2, 0);
    ca_mutex_unlock(&is->lock);
    free(name);
    return hr;
  }
  op->named = 0;
  op->state = ST_CANCEL;
  op->due = now_locked(is);
  log_locked(is, "unregister", name, 0, 0, 0, 0, CA_S_OK, 2, 0);
  if (is->is_virtual) finish_now(is, op);  /* busy: advance finishes it */
  ca_cond_broadcast(&is->work);
  ca_mutex_unlock(&is->lock);
  free(name);
  return CA_S_OK;
}

#define IS_FROM(p, member) \
  ((ca_issuer *)(void *)((char *)(p) - offsetof(ca_issuer, member)))

static ULONG pm1_addref(IPmCustomActions *self) {
  return ca_issuer_addref(IS_FROM(self, v1));
}
static ULONG pm1_release(IPmCustomActions *self) {
  return ca_issuer_release(IS_FROM(self, v1));
}
static HRESULT pm1_run(IPmCustomActions *self, PCWSTR name, PCWSTR args,
                       ICustomActionResultCallback *cb) {
  return start(IS_FROM(self, v1), 1, name, args, cb);
}
static ULONG pm2_addref(IPmCustomActions2 *self) {
  return ca_issuer_addref(IS_FROM(self, v2));
}
static ULONG pm2_release(IPmCustomActions2 *self) {
  return ca_issuer_release(IS_FROM(self, v2));
}
static HRESULT pm2_register(IPmCustomActions2 *self, PCWSTR name,
                            PCWSTR args, ICustomAction2ResultCallback *cb) {
  return start(IS_FROM(self, v2), 2, name, args, cb);
}
static HRESULT pm2_unregister(IPmCustomActions2 *self, PCWSTR name) {
  return unregister(IS_FROM(self, v2), name);
}

static const IPmCustomActionsVtbl pm1_vtbl = {
  pm1_addref, pm1_release, pm1_run,
};
static const IPmCustomActions2Vtbl pm2_vtbl = {
  pm2_addref, pm2_release, pm2_register, pm2_unregister,
};

IPmCustomActions *ca_issuer_v1(ca_issuer *is) {
  return (IPmCustomActions *)&is->v1;
}
IPmCustomActions2 *ca_issuer_v2(ca_issuer *is) {
  return (IPmCustomActions2 *)&is->v2;
}

/* ---- lifetime ------------------------------------------------------------- */

ca_issuer *ca_issuer_new(int threads, int log, size_t log_limit) {
  ca_issuer *is = ca_calloc(1, sizeof *is);
  int i;
  if (is == NULL) return NULL;
  if (ca_mutex_init(&is->lock) != 0) { free(is); return NULL; }
  if (ca_cond_init(&is->work) != 0) goto fail_lock;
  if (ca_cond_init(&is->idle) != 0) goto fail_work;
  is->v1 = &pm1_vtbl;
  is->v2 = &pm2_vtbl;
  atomic_init(&is->refs, 1);
  is->start_ns = ca_now_ns();
  is->log_on = log;
  is->log_limit = log_limit;
  is->is_virtual = threads <= 0;
  if (threads > 0) {
    is->threads = ca_calloc((size_t)threads, sizeof *is->threads);
    is->workers = ca_calloc((size_t)threads, sizeof *is->workers);
    if (is->threads == NULL || is->workers == NULL) goto fail_threads;
    for (i = 0; i < threads; i++) {
      is->workers[i].is = is;
      is->workers[i].index = i;
      if (ca_thread_start(&is->threads[i], worker, &is->workers[i]) != 0)
        break;
      is->nthreads++;
    }
    if (is->nthreads == 0) goto fail_threads;
  }
  return is;
fail_threads:
  free(is->threads);
  free(is->workers);
  ca_cond_destroy(&is->idle);
fail_work:
  ca_cond_destroy(&is->work);
fail_lock:
  ca_mutex_destroy(&is->lock);
  free(is);
  return NULL;
}

ULONG ca_issuer_addref(ca_issuer *is) {
  return atomic_fetch_add(&is->refs, 1) + 1;
}

ULONG ca_issuer_release(ca_issuer *is) {
  unsigned r = atomic_fetch_sub(&is->refs, 1);
  size_t i;
  if (r != 1) return r - 1;
  ca_issuer_close(is);
  while (is->defs) {
    ca_def *d = is->defs;
    is->defs = d->next;
    scenario_unref(d->sc);
    free(d->name);
    free(d);
  }
  for (i = 0; i < is->nleaked; i++)
    cb_release(is->leaked[i], is->leaked_shape[i]);
  free(is->leaked);
  free(is->leaked_shape);
  ca_log_free(is->log, is->nlog);
  ca_cond_destroy(&is->idle);
  ca_cond_destroy(&is->work);
  ca_mutex_destroy(&is->lock);
  free(is);
  return 0;
}

int ca_issuer_define(ca_issuer *is, const char *name, ca_scenario *sc) {
  ca_shared_scenario *s = (ca_shared_scenario *)(void *)sc;
  ca_def *d;
  ca_mutex_lock(&is->lock);
  if (is->closed) {
    ca_mutex_unlock(&is->lock);
    ca_scenario_free(sc);
    return -1;
  }
  if (sc->delay < 0) sc->delay = sc->every > 0 ? sc->every : 0;
  d = find_def(is, name);
  if (d != NULL) {
    scenario_unref(d->sc);   /* running operations keep theirs */
  } else {
    d = ca_calloc(1, sizeof *d);
    if (d != NULL) d->name = ca_strdup(name);
    if (d == NULL || d->name == NULL) {
      free(d);
      ca_mutex_unlock(&is->lock);
      ca_scenario_free(sc);
      return -2;
    }
    d->next = is->defs;
    is->defs = d;
  }
  d->sc = s;
  ca_mutex_unlock(&is->lock);
  return 0;
}

int ca_issuer_advance(ca_issuer *is, int64_t ms, int has_ms) {
  int n = 0;
  int64_t target;
  if (!is->is_virtual) return -1;
  ca_mutex_lock(&is->lock);
  if (is->advancing) {
    ca_mutex_unlock(&is->lock);
    return -2;
  }
  if (has_ms) {
    target = is->vnow + ms;
  } else {
    ca_op *op = earliest(is, -1);
    if (op == NULL) {
      ca_mutex_unlock(&is->lock);
      return 0;
    }
    target = op->due > is->vnow ? op->due : is->vnow;
  }
  is->advancing = 1;
  for (;;) {
    ca_op *op = earliest(is, -1);
    if (op == NULL || op->due > target) break;
    if (op->due > is->vnow) is->vnow = op->due;
    step(is, op);
    n++;
  }
  if (target > is->vnow) is->vnow = target;
  is->advancing = 0;
  ca_mutex_unlock(&is->lock);
  return n;
}

int64_t ca_issuer_now(ca_issuer *is) {
  int64_t t;
  ca_mutex_lock(&is->lock);
  t = now_locked(is);
  ca_mutex_unlock(&is->lock);
  return t;
}

int ca_issuer_is_virtual(ca_issuer *is) { return is->is_virtual; }

int ca_issuer_active(ca_issuer *is, const char *name) {
  int r;
  ca_mutex_lock(&is->lock);
  r = find_bound(is, name) != NULL;
  ca_mutex_unlock(&is->lock);
  return r;
}

int ca_issuer_pending(ca_issuer *is) {
  int n = 0;
  ca_op *op;
  ca_mutex_lock(&is->lock);
  for (op = is->ops; op; op = op->next) n++;
  ca_mutex_unlock(&is->lock);
  return n;
}

void ca_issuer_close(ca_issuer *is) {
  ca_op *op;
  int i;
  ca_mutex_lock(&is->lock);
  if (is->closed) {
    ca_mutex_unlock(&is->lock);
    return;
  }
  is->closed = 1;
  for (op = is->ops; op; op = op->next) {
    op->named = 0;
    if (op->state == ST_ACTIVE) op->state = ST_CANCEL;
    op->due = now_locked(is);
  }
  if (is->is_virtual) {
    /* operations busy in a report further up this thread's stack are
       finished by the advance that is making that report */
    for (;;) {
      for (op = is->ops; op && op->busy; op = op->next) {}
      if (op == NULL) break;
      finish_now(is, op);
    }
  } else {
    ca_cond_broadcast(&is->work);
    while (is->ops != NULL) ca_cond_wait(&is->idle, &is->lock);
    is->stopping = 1;
    ca_cond_broadcast(&is->work);
  }
  ca_mutex_unlock(&is->lock);
  /* only the first close gets here, so the workers are joined once */
  for (i = 0; i < is->nthreads; i++) ca_thread_join(is->threads[i]);
  free(is->threads);
  free(is->workers);
  is->threads = NULL;
  is->workers = NULL;
}

int ca_issuer_closed(ca_issuer *is) {
  int c;
  ca_mutex_lock(&is->lock);
  c = is->closed;
  ca_mutex_unlock(&is->lock);
  return c;
}

ca_log_entry *ca_issuer_log(ca_issuer *is, size_t *n, size_t *dropped,
                            int clear) {
  ca_log_entry *copy;
  size_t i;
  ca_mutex_lock(&is->lock);
  *n = is->nlog;
  *dropped = is->dropped;
  copy = ca_malloc((is->nlog ? is->nlog : 1) * sizeof *copy);
  if (copy != NULL) {
    if (is->nlog > 0) memcpy(copy, is->log, is->nlog * sizeof *copy);
    for (i = 0; i < is->nlog; i++)
      copy[i].action = is->log[i].action ? ca_strdup(is->log[i].action) : NULL;
    if (clear) {
      for (i = 0; i < is->nlog; i++) free(is->log[i].action);
      is->nlog = 0;
      is->dropped = 0;
    }
  }
  ca_mutex_unlock(&is->lock);
  return copy;
}

void ca_log_free(ca_log_entry *e, size_t n) {
  size_t i;
  if (e == NULL) return;
  for (i = 0; i < n; i++) free(e[i].action);
  free(e);
}
