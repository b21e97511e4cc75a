/*
** queue.h: the completion queue between the threads that call ReportResult
** and the thread that owns a Lua state. Many producers, one consumer.
** Producers append to a locked list; the consumer takes the whole list at
** once into a private list and works through it without the lock, so the
** lock is held for a pointer swap, not per delivery. A wake-up descriptor
** is readable while anything is pending, signalled only on the transition
** from empty, so a busy consumer costs producers no system calls.
*/
#ifndef CA_QUEUE_H
#define CA_QUEUE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "platform.h"
#include "wpf.h"

struct ca_callback;

typedef struct ca_qnode {
  struct ca_qnode *next;
  struct ca_callback *cb;     /* holds one reference */
  HRESULT status;
  DWORD len;
  unsigned char final;
  unsigned char null_buf;
  unsigned long thread;       /* producer's ca_thread_number */
  BYTE data[];
} ca_qnode;

typedef struct ca_queue_limits {
  size_t max_count;           /* reports queued and not yet delivered */
  size_t max_bytes;           /* their payload bytes */
  int64_t block_ms;           /* how long a producer waits for room */
} ca_queue_limits;

typedef struct ca_queue {
  ca_mutex lock;
  ca_cond space;
  ca_qnode *head, *tail;      /* producers' list, under lock */
  ca_qnode *local;            /* consumer's private list */
  atomic_size_t count, bytes; /* queued or taken, not yet done */
  ca_queue_limits limits;     /* under lock */
  atomic_int waiters;         /* producers blocked for room */
  int signaled;               /* wake descriptor readable, under lock */
  int closed;                 /* under lock */
  ca_wake wake;
} ca_queue;

enum { CA_Q_OK = 0, CA_Q_CLOSED = 1, CA_Q_FULL = 2 };

#define CA_QUEUE_DEFAULT_MAX_COUNT ((size_t)1 << 20)
#define CA_QUEUE_DEFAULT_MAX_BYTES ((size_t)64 << 20)

int ca_queue_init(ca_queue *q);
void ca_queue_destroy(ca_queue *q);
void ca_queue_set_limits(ca_queue *q, const ca_queue_limits *l);
void ca_queue_get_limits(ca_queue *q, ca_queue_limits *l);

/* Appends n, or returns CA_Q_CLOSED / CA_Q_FULL and leaves n to the caller. */
int ca_queue_push(ca_queue *q, ca_qnode *n);
/* Consumer: next node in order, or NULL. */
ca_qnode *ca_queue_pop(ca_queue *q);
/* Consumer: n was delivered or discarded; its room is free again. */
void ca_queue_done(ca_queue *q, ca_qnode *n);
/* Consumer: clears the wake descriptor if nothing is pending. */
void ca_queue_settle(ca_queue *q);
size_t ca_queue_pending(ca_queue *q);
/* Refuses further pushes and returns every node not yet popped. */
ca_qnode *ca_queue_close(ca_queue *q);

#endif
