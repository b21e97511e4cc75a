/*
** log.c: the protocol log of an issuer, on the project's one log
** (oplog.h). Entries are typed by operation (enum ca_log_op); the helpers
** below fill in only what each kind of entry carries.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "sim.h"

const char *const ca_log_op_names[CA_NLOGOPS] = {
  "register", "unregister", "run", "addref", "release", "report", "stop",
};

/* A new entry with its common fields, or NULL (off, full, out of memory). */
static ca_log_entry *add(ca_issuer *is, enum ca_log_op op, const char *name,
                         int shape) {
  ca_log_entry *e = ca_log_add(&is->log, op, name);
  if (e == NULL) return NULL;
  e->shape = shape;
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
  ca_log_entry *copy;
  ca_mutex_lock(&is->lock);
  copy = ca_log_copy(&is->log, n, dropped, clear);
  ca_mutex_unlock(&is->lock);
  return copy;
}
