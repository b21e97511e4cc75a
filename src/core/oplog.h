/*
** oplog.h: the one log mechanism of the project: a bounded list of typed
** entries, each an operation (an index into the log owner's enum of
** operations and its table of names) and the fields that kind of entry
** carries. The simulated issuer's protocol log and the framework's call
** log are both this log; they differ only in their enum of operations and
** in which fields each operation fills in. A full log (its limit) or a
** failed allocation counts the entry as dropped instead of losing track
** silently. The owner serializes access (its own lock).
*/
#ifndef CA_OPLOG_H
#define CA_OPLOG_H

#include <stddef.h>
#include <stdint.h>
#include "wpf.h"
#include "visibility.h"
CA_HIDDEN_BEGIN

typedef struct ca_log_entry {
  int op;            /* the owner's enum of operations */
  char *text;        /* owned: an action's name, a reason or an application
                        id (UTF-8), or NULL */
  const char *what;  /* static: an enum or interface name, or NULL */
  int64_t id;        /* an id argument, or -1 */
  HRESULT status;    /* report: hrStatus */
  int final;         /* report: fFinalResponse; FailWorkerProcess:
                        fFailOnNextPing */
  int64_t bytes;     /* report: cbResponse */
  int null_buf;      /* report: pbResponse was NULL */
  int64_t result;    /* what the call returned (HRESULT, or refs) */
  unsigned long thread;
  int64_t time;      /* ms on the owner's clock, or 0 */
  int shape;         /* the callback's: CA_SHAPE_V1 or CA_SHAPE_V2 */
} ca_log_entry;

typedef struct ca_log {
  int on;                      /* fixed at creation */
  size_t limit, n, cap, dropped;
  ca_log_entry *e;
} ca_log;

void ca_log_init(ca_log *log, int on, size_t limit);
void ca_log_destroy(ca_log *log);

/*
** Appends an entry for op, zeroed but for op, a copy of text (or NULL),
** id -1 and the calling thread's number; NULL when the log is off, or
** when it is full or out of memory (then counted as dropped).
*/
ca_log_entry *ca_log_add(ca_log *log, int op, const char *text);

/* A copy of the entries (free with ca_log_free), or NULL when out of
   memory; *n and *dropped say how many. Empties the log when asked. */
ca_log_entry *ca_log_copy(ca_log *log, size_t *n, size_t *dropped,
                          int clear);
void ca_log_free(ca_log_entry *e, size_t n);

CA_HIDDEN_END
#endif
