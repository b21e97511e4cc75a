/*
** log.c: the protocol log of an issuer. Entries are typed by operation
** (enum ca_log_op); the helpers below fill in only what each kind of
** entry carries. A full log (log_limit) or a failed allocation counts the
** entry as dropped instead of losing track silently.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "alloc.h"
#include "sim.h"

const char *const ca_log_op_names[CA_NLOGOPS] = {
  "register", "unregister", "run", "addref", "release", "report", "stop",
};

void ca_log_init(ca_log *log, int on, size_t limit) {
  memset(log, 0, sizeof *log);
  log->on = on;
  log->limit = limit;
}

void ca_log_destroy(ca_log *log) {
  ca_log_free(log->e, log->n);
  log->e = NULL;
  log->n = log->cap = 0;
}

void ca_log_free(ca_log_entry *e, size_t n) {
  size_t i;
  if (e == NULL) return;
  for (i = 0; i < n; i++) free(e[i].action);
  free(e);
}

/* A new entry with its common fields, or NULL (off, full, out of memory). */
static ca_log_entry *add(ca_issuer *is, enum ca_log_op op, const char *name,
                         int shape) {
  ca_log *log = &is->log;
  ca_log_entry *e;
  if (!log->on) return NULL;
  if (log->n >= log->limit) { log->dropped++; return NULL; }
  if (log->n == log->cap) {
    size_t cap = log->cap ? log->cap * 2 : 64;
    ca_log_entry *grown = ca_realloc(log->e, cap * sizeof *grown);
    if (grown == NULL) { log->dropped++; return NULL; }
    log->e = grown;
    log->cap = cap;
  }
  e = &log->e[log->n];
  memset(e, 0, sizeof *e);
  e->action = ca_strdup(name);
  if (e->action == NULL) { log->dropped++; return NULL; }
  log->n++;
  e->op = op;
  e->shape = shape;
  e->thread = ca_thread_number();
  e->time = ca_sim_now(is);
  return e;
}

void ca_sim_log_call_locked(ca_issuer *is, enum ca_log_op op,
                            const char *name, int shape, HRESULT result) {
  ca_log_entry *e = add(is, op, name, shape);
  if (e != NULL) e->result = result;
}

void ca_sim_log_stop_locked(ca_issuer *is, const ca_op *op, HRESULT result) {
  ca_sim_log_call_locked(is, CA_LOG_STOP, op->name, op->shape, result);
}

void ca_sim_log_refs_locked(ca_issuer *is, enum ca_log_op op,
                            const char *name, int shape, ULONG refs) {
  ca_log_entry *e = add(is, op, name, shape);
  if (e != NULL) e->result = (int64_t)refs;
}

void ca_sim_log_refs(ca_issuer *is, enum ca_log_op op, const ca_op *o,
                     ULONG refs) {
  if (!is->log.on) return;   /* fixed at creation: no lock needed */
  ca_mutex_lock(&is->lock);
  ca_sim_log_refs_locked(is, op, o->name, o->shape, refs);
  ca_mutex_unlock(&is->lock);
}

void ca_sim_log_report(ca_issuer *is, const ca_op *op, HRESULT status,
                       int final, DWORD len, int null_buf, HRESULT result,
                       unsigned long thread) {
  ca_log_entry *e;
  if (!is->log.on) return;
  ca_mutex_lock(&is->lock);
  e = add(is, CA_LOG_REPORT, op->name, op->shape);
  if (e != NULL) {
    e->status = status;
    e->final = final;
    e->bytes = len;
    e->null_buf = null_buf;
    e->result = result;
    if (thread != 0) e->thread = thread;
  }
  ca_mutex_unlock(&is->lock);
}

ca_log_entry *ca_issuer_log(ca_issuer *is, size_t *n, size_t *dropped,
                            int clear) {
  ca_log *log = &is->log;
  ca_log_entry *copy;
  size_t i;
  ca_mutex_lock(&is->lock);
  *n = log->n;
  *dropped = log->dropped;
  copy = ca_calloc(log->n ? log->n : 1, sizeof *copy);
  for (i = 0; copy != NULL && i < log->n; i++) {
    copy[i] = log->e[i];
    copy[i].action = ca_strdup(log->e[i].action);
    if (copy[i].action == NULL) {
      ca_log_free(copy, i);
      copy = NULL;
    }
  }
  if (copy != NULL && clear) {
    ca_log_destroy(log);
    log->dropped = 0;
  }
  ca_mutex_unlock(&is->lock);
  return copy;
}
