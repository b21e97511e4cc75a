/*
** issuer.c: the simulated protocol manager's options and lifetime: making
** it, definitions, the questions callers may ask (clock, activity), and
** close, which cancels every operation and stops the workers. The native
** calls are in actions.c, the scheduler in sched.c.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "alloc.h"
#include "sim.h"

#include "utf16.h"

static const ca_intrange threads_range = {"threads", 1,
                                          CA_MAX_ISSUER_THREADS};
static const ca_intrange log_limit_range = {"log_limit", 0, CA_COUNT_MAX};

void ca_issuer_opts_init(ca_issuer_opts *o) {
  o->threads = CA_DEFAULT_ISSUER_THREADS;
  o->threads_set = 0;
  o->log = 1;
  o->log_limit = CA_DEFAULT_ISSUER_LOG_LIMIT;
  o->run = CA_RUN_SYNC;
}

int ca_issuer_opts_threads(ca_issuer_opts *o, ca_number v, ca_err *e) {
  int64_t n;
  if (ca_intrange_check(&threads_range, v, &n, e) != 0) return -1;
  if (o->threads == 0)
    return ca_fail(e, "'threads' must be left out with a virtual clock, "
                   "which runs on the caller's thread");
  o->threads = (int)n;
  o->threads_set = 1;
  return 0;
}

int ca_issuer_opts_log_limit(ca_issuer_opts *o, ca_number v, ca_err *e) {
  return ca_intrange_check(&log_limit_range, v, &o->log_limit, e);
}

static int is_word(const char *s, size_t len, const char *word) {
  return strlen(word) == len && memcmp(s, word, len) == 0;
}

int ca_issuer_opts_clock(ca_issuer_opts *o, const char *s, size_t len,
                         ca_err *e) {
  if (is_word(s, len, "real")) return 0;
  if (!is_word(s, len, "virtual"))
    return ca_fail(e, "'clock' must be \"virtual\" or \"real\"");
  if (o->threads_set)
    return ca_fail(e, "'threads' must be left out with a virtual clock, "
                   "which runs on the caller's thread");
  o->threads = 0;
  return 0;
}

int ca_issuer_opts_run(ca_issuer_opts *o, const char *s, size_t len,
                       ca_err *e) {
  if (is_word(s, len, "sync")) o->run = CA_RUN_SYNC;
  else if (is_word(s, len, "queued")) o->run = CA_RUN_QUEUED;
  else return ca_fail(e, "'run' must be \"sync\" or \"queued\"");
  return 0;
}

/* ---- lifetime ------------------------------------------------------------- */

ca_issuer *ca_issuer_new(const ca_issuer_opts *o) {
  ca_issuer *is = ca_calloc(1, sizeof *is);
  int i;
  if (is == NULL) return NULL;
  if (ca_mutex_init(&is->lock) != 0) { free(is); return NULL; }
  if (ca_cond_init(&is->work) != 0) goto fail_lock;
  if (ca_cond_init(&is->idle) != 0) goto fail_work;
  ca_sim_set_vtables(is);
  ca_atomic_init_uint(&is->refs, 1);
  is->start_ns = ca_now_ns();
  ca_log_init(&is->log, o->log, (size_t)o->log_limit);
  is->is_virtual = o->threads <= 0;
  is->sync_run = o->run == CA_RUN_SYNC;
  if (o->threads > 0) {
    is->workers = ca_calloc((size_t)o->threads, sizeof *is->workers);
    if (is->workers == NULL) goto fail_idle;
    is->nworkers = o->threads;
    for (i = 0; i < o->threads; i++) {
      is->workers[i].is = is;
      is->workers[i].index = i;
    }
  }
  return is;
fail_idle:
  ca_cond_destroy(&is->idle);
fail_work:
  ca_cond_destroy(&is->work);
fail_lock:
  ca_mutex_destroy(&is->lock);
  free(is);
  return NULL;
}

ULONG ca_issuer_addref(ca_issuer *is) {
  return ca_atomic_fetch_add_uint(&is->refs, 1, CA_SEQ_CST) + 1;
}

ULONG ca_issuer_release(ca_issuer *is) {
  unsigned r = ca_atomic_fetch_sub_uint(&is->refs, 1, CA_SEQ_CST);
  size_t i;
  if (r != 1) return r - 1;
  ca_issuer_close(is);
  while (is->defs) {
    ca_def *d = is->defs;
    is->defs = d->next;
    ca_sc_unref(d->sc);
    free(d->name);
    free(d);
  }
  for (i = 0; i < is->nleaked; i++)
    ca_sim_release(is->leaked[i], is->leaked_shape[i]);
  free(is->leaked);
  free(is->leaked_shape);
  ca_log_destroy(&is->log);
  free(is->workers);
  ca_cond_destroy(&is->idle);
  ca_cond_destroy(&is->work);
  ca_mutex_destroy(&is->lock);
  free(is);
  return 0;
}

/* A name native callers can send: UTF-8 without NUL, as UTF-16 goes. */
static int check_name(const char *name, size_t len, ca_err *e) {
  char why[160];
  if (ca_name_check(name, len, why, sizeof why) == 0) return 0;
  return ca_fail(e, "%s", why);
}

/* Lock held: binds sc to name, replacing an earlier definition. */
static int bind_def(ca_issuer *is, const char *name, size_t len,
                    ca_scenario *sc) {
  ca_def *d;
  for (d = is->defs; d; d = d->next)
    if (strlen(d->name) == len && memcmp(d->name, name, len) == 0) break;
  if (d != NULL) {
    ca_sc_unref(d->sc);   /* running operations keep theirs */
  } else {
    d = ca_calloc(1, sizeof *d);
    if (d != NULL) d->name = ca_malloc(len + 1);
    if (d == NULL || d->name == NULL) {
      free(d);
      return -1;
    }
    memcpy(d->name, name, len);
    d->name[len] = '\0';
    d->next = is->defs;
    is->defs = d;
  }
  d->sc = sc;
  return 0;
}

int ca_issuer_define(ca_issuer *is, const char *name, size_t len,
                     ca_scenario *sc, ca_err *e) {
  int r = 0;
  if (check_name(name, len, e) != 0 || ca_scenario_finish(sc, e) != 0) {
    ca_scenario_free(sc);
    return -1;
  }
  ca_mutex_lock(&is->lock);
  if (is->closed) r = ca_fail(e, "issuer is closed");
  else if (bind_def(is, name, len, sc) != 0)
    r = ca_fail(e, "not enough memory");
  ca_mutex_unlock(&is->lock);
  if (r != 0) ca_scenario_free(sc);
  return r;
}

/* ---- questions ------------------------------------------------------------ */

int64_t ca_issuer_now(ca_issuer *is) {
  int64_t t;
  ca_mutex_lock(&is->lock);
  t = ca_sim_now(is);
  ca_mutex_unlock(&is->lock);
  return t;
}

int ca_issuer_is_virtual(ca_issuer *is) { return is->is_virtual; }

int ca_issuer_active(ca_issuer *is, const char *name) {
  int r = 0;
  ca_op *op;
  ca_mutex_lock(&is->lock);
  for (op = is->ops; op && !r; op = op->next)
    r = op->named && strcmp(op->name, name) == 0;
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

/* ---- close ---------------------------------------------------------------- */

/* Lock held: are all operations left ones this thread is making inside
   RunCustomAction further up its stack? */
static int only_sync_left(ca_issuer *is) {
  ca_op *op;
  for (op = is->ops; op; op = op->next)
    if (!op->sync) return 0;
  return 1;
}

void ca_issuer_close(ca_issuer *is) {
  ca_op *op;
  ca_mutex_lock(&is->lock);
  if (is->closed) {
    ca_mutex_unlock(&is->lock);
    return;
  }
  is->closed = 1;
  for (op = is->ops; op; op = op->next) {
    op->named = 0;
    if (op->state == ST_ACTIVE) op->state = ST_CANCEL;
    op->due = ca_sim_now(is);
  }
  if (is->is_virtual) {
    /* operations busy in a report further up this thread's stack are
       finished by the advance (or the run) that is making that report */
    for (;;) {
      for (op = is->ops; op && op->busy; op = op->next) {}
      if (op == NULL) break;
      ca_sched_finish_now(is, op);
    }
  } else {
    ca_cond_broadcast(&is->work);
    /* synchronous runs end inside their own calls */
    while (!only_sync_left(is)) ca_cond_wait(&is->idle, &is->lock);
  }
  ca_mutex_unlock(&is->lock);
  /* only the first close gets here, so the workers are joined once */
  ca_sched_join(is);
}

