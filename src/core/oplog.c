/*
** oplog.c: the bounded, typed log (see oplog.h): one append, one copy,
** one way to free, for every log the project keeps.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "alloc.h"
#include "oplog.h"

#include <stdlib.h>
#include <string.h>

#include "platform.h"

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
  for (i = 0; i < n; i++) free(e[i].text);
  free(e);
}

ca_log_entry *ca_log_add(ca_log *log, int op, const char *text) {
  ca_log_entry *e;
  char *copy = NULL;
  if (!log->on) return NULL;
  if (log->n >= log->limit) goto dropped;
  if (log->n == log->cap) {
    size_t cap = log->cap ? log->cap * 2 : 64;
    ca_log_entry *grown = ca_realloc(log->e, cap * sizeof *grown);
    if (grown == NULL) goto dropped;
    log->e = grown;
    log->cap = cap;
  }
  if (text != NULL && (copy = ca_strdup(text)) == NULL) goto dropped;
  e = &log->e[log->n++];
  memset(e, 0, sizeof *e);
  e->op = op;
  e->text = copy;
  e->id = -1;
  e->thread = ca_thread_number();
  return e;
dropped:
  log->dropped++;
  return NULL;
}

ca_log_entry *ca_log_copy(ca_log *log, size_t *n, size_t *dropped,
                          int clear) {
  ca_log_entry *copy = ca_calloc(log->n ? log->n : 1, sizeof *copy);
  size_t i;
  if (copy == NULL) return NULL;
  for (i = 0; i < log->n; i++) {
    copy[i] = log->e[i];
    if (log->e[i].text == NULL) continue;
    copy[i].text = ca_strdup(log->e[i].text);
    if (copy[i].text == NULL) {
      ca_log_free(copy, i);
      return NULL;
    }
  }
  *n = log->n;
  *dropped = log->dropped;
  if (clear) {
    ca_log_destroy(log);
    log->dropped = 0;
  }
  return copy;
}
