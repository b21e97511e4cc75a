/*
** op.c: one operation's state machine. An operation is ACTIVE while it
** sends responses, then EXTRAS (the reports that faults add after the
** final one), or CANCEL (an E_ABORT final is owed), then ENDING (the
** Release). Each step is planned under the issuer's lock, performed
** without it (handlers may call back into the issuer), and its outcome
** applied under the lock again.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "alloc.h"
#include "sim.h"

#include "hresult.h"

int64_t ca_op_last(const ca_op *op) {
  return op->shape == CA_SHAPE_V1 ? 1 : op->sc->count;
}

void ca_op_free(ca_op *op) {
  ca_sc_unref(op->sc);
  free(op->name);
  free(op->args);
  free(op->args16);
  free(op);
}

static uint64_t next_random(ca_op *op) {
  uint64_t x = op->rng;   /* xorshift64 */
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  op->rng = x;
  return x;
}

/* The time to the next response: every, plus jitter when asked. */
static int64_t interval(ca_op *op) {
  const ca_fault *j = ca_sc_fault(op->sc, CA_FAULT_JITTER);
  int64_t every = op->sc->every > 0 ? op->sc->every : 0;
  /* both at most CA_MS_MAX: the sum cannot overflow */
  if (j != NULL && j->ms > 0)
    every += (int64_t)(next_random(op) % (uint64_t)(j->ms + 1));
  return every;
}

void ca_op_plan(ca_op *op, ca_event *ev) {
  int64_t last = ca_op_last(op);
  ev->result = CA_S_OK;
  ev->k = 0;
  switch (op->state) {
    case ST_CANCEL: ev->kind = EV_ABORT; break;
    case ST_ENDING: ev->kind = EV_END; break;
    case ST_ACTIVE:
      ev->kind = EV_RESPONSE;
      ev->k = op->sent + 1;
      /* the final frees the name before its handler runs, so the handler
         may register the action again at once */
      if (last >= 0 && ev->k >= last) op->named = 0;
      break;
    default:
      ev->kind = op->dup_pending ? EV_DUP_FINAL
               : op->after_pending ? EV_AFTER_FINAL : EV_END;
  }
}

/* Buffer faults on response k: a NULL buffer, or an oversized one. */
static void buffer_faults(const ca_scenario *sc, int64_t k, const BYTE **buf,
                          DWORD *len, int *null_buf, char **big) {
  const ca_fault *f;
  if (ca_sc_fault_at(sc, CA_FAULT_NULL_BUFFER, k, 1)) {
    *buf = NULL;
    *null_buf = 1;
    if (*len == 0) *len = 1;
  }
  f = ca_sc_fault(sc, CA_FAULT_OVERSIZED);
  if (f != NULL && k == (f->at > 0 ? f->at : 1)) {
    *big = ca_calloc(f->size, 1);
    if (*big != NULL) {
      *buf = (const BYTE *)*big;
      *len = f->size;
    }
  }
}

/* Makes response k (or a repeat of it) with the faults that hit it. */
static HRESULT respond(ca_issuer *is, ca_op *op, int64_t k, int final,
                       int apply_faults) {
  const ca_scenario *sc = op->sc;
  int64_t last = ca_op_last(op);
  const BYTE *buf;
  DWORD len;
  char *owned = NULL, *big = NULL;
  int null_buf = 0;
  unsigned long thread = 0;
  HRESULT hr;
  if (apply_faults && !op->released &&
      ca_sc_fault_at(sc, CA_FAULT_EARLY_RELEASE, k, last > 0 ? last : 1)) {
    op->released = 1;
    ca_sim_log_refs(is, CA_LOG_RELEASE, op, ca_sim_release(op->cb, op->shape));
  }
  if (ca_sim_payload(op, k, &buf, &len, &owned) != 0) {
    buf = (const BYTE *)"";
    len = 0;
  }
  if (apply_faults) buffer_faults(sc, k, &buf, &len, &null_buf, &big);
  if (apply_faults && ca_sc_fault_at(sc, CA_FAULT_FOREIGN_THREAD, k, 1))
    hr = ca_sim_report_foreign(op->cb, op->shape, sc->status, final, buf, len,
                               &thread);
  else
    hr = ca_sim_report(op->cb, op->shape, sc->status, final, buf, len);
  ca_sim_log_report(is, op, sc->status, final, len, null_buf, hr, thread);
  free(owned);
  free(big);
  return hr;
}

void ca_op_perform(ca_issuer *is, ca_op *op, ca_event *ev) {
  int64_t last = ca_op_last(op);
  switch (ev->kind) {
    case EV_RESPONSE:
      ev->result = respond(is, op, ev->k, last >= 0 && ev->k >= last, 1);
      break;
    case EV_DUP_FINAL:
      ev->result = respond(is, op, op->sent, 1, 0);
      break;
    case EV_AFTER_FINAL:
      ev->result = respond(is, op, op->sent + 1, op->shape == CA_SHAPE_V1, 0);
      break;
    case EV_ABORT:
      ev->result = ca_sim_report(op->cb, op->shape, CA_E_ABORT, 1,
                                 (const BYTE *)"", 0);
      ca_sim_log_report(is, op, CA_E_ABORT, 1, 0, 0, ev->result, 0);
      break;
    case EV_END:
      if (!op->never_release && !op->released)
        ca_sim_log_refs(is, CA_LOG_RELEASE, op,
                        ca_sim_release(op->cb, op->shape));
      break;
  }
}

static ca_op *find_bound(ca_issuer *is, const char *name) {
  ca_op *o;
  for (o = is->ops; o; o = o->next)
    if (o->named && strcmp(o->name, name) == 0) return o;
  return NULL;
}

/* What a response's outcome means: retry, extras, stop or the next one. */
static void after_response(ca_issuer *is, ca_op *op, ca_event *ev,
                           int64_t now) {
  int64_t last = ca_op_last(op);
  int final = last >= 0 && ev->k >= last;
  if (ev->result == CA_E_RETRYLATER && op->state == ST_ACTIVE && !op->sync) {
    /* backpressure: the same response again, one interval later */
    int64_t e = interval(op);
    op->due = ca_time_add(now, e > 0 ? e : 1);
    if (final && op->shape == CA_SHAPE_V2 && find_bound(is, op->name) == NULL)
      op->named = 1;   /* the final did not go out after all */
    return;
  }
  op->sent = ev->k;
  if (final) {
    op->state = ST_EXTRAS;   /* the final went out, even if cancelled */
    op->named = 0;
    op->dup_pending = ca_sc_fault(op->sc, CA_FAULT_DUPLICATE_FINAL) != NULL;
    op->after_pending = ca_sc_fault(op->sc, CA_FAULT_AFTER_FINAL) != NULL;
    op->due = now;
  } else if (op->state == ST_CANCEL) {
    op->due = now;
  } else if (WPF_FAILED(ev->result)) {
    /* the callback refused or its handler failed: this ends it */
    ca_sim_log_stop_locked(is, op, ev->result);
    op->state = ST_ENDING;
    op->named = 0;
    op->due = now;
  } else {
    op->due = ca_time_add(op->due, interval(op));
    if (op->due < now && is->is_virtual) op->due = now;
  }
}

/* never_release: the issuer keeps the reference until it is freed. */
static void keep_leaked(ca_issuer *is, ca_op *op) {
  void **l = ca_realloc(is->leaked, (is->nleaked + 1) * sizeof *l);
  int *s;
  if (l == NULL) return;   /* without room the reference is truly lost */
  is->leaked = l;
  s = ca_realloc(is->leaked_shape, (is->nleaked + 1) * sizeof *s);
  if (s == NULL) return;
  is->leaked_shape = s;
  is->leaked[is->nleaked] = op->cb;
  is->leaked_shape[is->nleaked++] = op->shape;
}

/* Unlinks and frees op; the lock is dropped for the hidden guard's Release. */
static void end_op(ca_issuer *is, ca_op *op) {
  ca_op **pp = &is->ops;
  while (*pp != op) pp = &(*pp)->next;
  *pp = op->next;
  if (op->never_release) keep_leaked(is, op);
  if (op->guard) {
    void *cb = op->cb;
    int shape = op->shape;
    ca_op_free(op);
    ca_mutex_unlock(&is->lock);
    ca_sim_release(cb, shape);   /* the hidden guard, never logged */
    ca_mutex_lock(&is->lock);
  } else {
    ca_op_free(op);
  }
  ca_cond_broadcast(&is->idle);
}

int ca_op_finish(ca_issuer *is, ca_op *op, ca_event *ev) {
  int64_t now = ca_sim_now(is);
  op->busy = 0;
  switch (ev->kind) {
    case EV_RESPONSE: after_response(is, op, ev, now); break;
    case EV_DUP_FINAL: op->dup_pending = 0; op->due = now; break;
    case EV_AFTER_FINAL: op->after_pending = 0; op->due = now; break;
    case EV_ABORT: op->state = ST_ENDING; op->due = now; break;
    case EV_END: end_op(is, op); return 1;
  }
  ca_cond_broadcast(&is->work);
  return 0;
}
