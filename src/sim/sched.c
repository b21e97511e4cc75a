/*
** sched.c: the scheduler and the virtual clock's advance. Each operation
** belongs to one worker, so all its reports come from one thread and
** reach the callback in the order made, as with a real protocol manager's
** per-registration worker. Workers start when the first operation is
** given to them, so an issuer that reports nothing in real time holds no
** thread. On the virtual clock ca_issuer_advance runs the same steps on
** the calling thread. The clocks themselves are in clock.c.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "sim.h"

const ca_intrange ca_advance_range = {"ms", 0, CA_MS_MAX};

/* The next operation due; worker < 0 takes any (the virtual clock). */
ca_op *ca_sched_earliest(ca_issuer *is, int worker) {
  ca_op *op, *best = NULL;
  for (op = is->ops; op; op = op->next)
    if (!op->busy && (worker < 0 || op->worker == worker) &&
        (best == NULL || op->due < best->due))
      best = op;
  return best;
}

/* Under the lock, returns under the lock: one event of op, done. */
int ca_sched_step(ca_issuer *is, ca_op *op, ca_event *ev) {
  ca_event own;
  if (ev == NULL) ev = &own;
  op->busy = 1;
  ca_op_plan(op, ev);
  ca_mutex_unlock(&is->lock);
  ca_op_perform(is, op, ev);
  ca_mutex_lock(&is->lock);
  return ca_op_finish(is, op, ev);
}

static void *worker_main(void *arg) {
  ca_worker *w = arg;
  ca_issuer *is = w->is;
  ca_mutex_lock(&is->lock);
  while (!is->stopping) {
    ca_op *op = ca_sched_earliest(is, w->index);
    int64_t now = ca_sim_now(is);
    if (op != NULL && op->due <= now) {
      ca_sched_step(is, op, NULL);
      continue;
    }
    if (op == NULL || op->due == CA_TIME_NEVER)
      ca_cond_wait(&is->work, &is->lock);
    else
      ca_cond_timedwait(&is->work, &is->lock, op->due - now);
  }
  ca_mutex_unlock(&is->lock);
  return NULL;
}

int ca_sched_assign(ca_issuer *is, ca_op *op) {
  int i;
  if (is->is_virtual) return 0;
  /* round robin over the workers; one that cannot start passes its turn */
  for (i = 0; i < is->nworkers; i++) {
    ca_worker *w = &is->workers[is->next_worker++ % is->nworkers];
    if (!w->started &&
        ca_thread_start(&w->thread, worker_main, w) == 0)
      w->started = 1;
    if (w->started) {
      op->worker = w->index;
      return 0;
    }
  }
  return -1;
}

/* Virtual clock: drives op to its end on this thread (lock held). */
void ca_sched_finish_now(ca_issuer *is, ca_op *op) {
  for (;;) {
    ca_op *p;
    int alive = 0;
    for (p = is->ops; p; p = p->next) if (p == op) alive = 1;
    if (!alive || op->busy) return;
    ca_sched_step(is, op, NULL);
  }
}

/* After close: stops and joins the workers that started. */
void ca_sched_join(ca_issuer *is) {
  int i;
  ca_mutex_lock(&is->lock);
  is->stopping = 1;
  ca_cond_broadcast(&is->work);
  ca_mutex_unlock(&is->lock);
  for (i = 0; i < is->nworkers; i++)
    if (is->workers[i].started) {
      ca_thread_join(is->workers[i].thread);
      is->workers[i].started = 0;
    }
}

static int64_t advance_target(ca_issuer *is, int64_t ms, int *none) {
  ca_op *op;
  *none = 0;
  if (ms >= 0) {
    int64_t t = ca_time_add(is->vnow, ms);
    return t == CA_TIME_NEVER ? t - 1 : t;
  }
  op = ca_sched_earliest(is, -1);
  if (op == NULL || op->due == CA_TIME_NEVER) {
    *none = 1;
    return is->vnow;
  }
  return op->due > is->vnow ? op->due : is->vnow;
}

int64_t ca_issuer_advance(ca_issuer *is, int64_t ms, ca_err *e) {
  int64_t n = 0, target;
  int none;
  if (!is->is_virtual)
    return ca_fail(e, "advance needs an issuer on a virtual clock "
                   "(ca.issuer{ clock = \"virtual\" })");
  if (ms >= 0 && ca_intrange_check(&ca_advance_range, ca_int(ms), &ms, e))
    return -1;
  ca_mutex_lock(&is->lock);
  if (is->advancing) {
    ca_mutex_unlock(&is->lock);
    return ca_fail(e, "advance called from inside a report it is making");
  }
  target = advance_target(is, ms, &none);
  is->advancing = 1;
  while (!none) {
    ca_op *op = ca_sched_earliest(is, -1);
    /* an event at CA_TIME_NEVER never happens, whatever the target */
    if (op == NULL || op->due > target || op->due == CA_TIME_NEVER) break;
    if (op->due > is->vnow) is->vnow = op->due;
    ca_sched_step(is, op, NULL);
    n++;
  }
  if (target > is->vnow) is->vnow = target;
  is->advancing = 0;
  ca_mutex_unlock(&is->lock);
  return n;
}
