/*
** queue.h: the completion queue between the threads that call ReportResult
** and the thread that owns a Lua state. Each producing thread gets a ring
** of its own (a chain of fixed-size segments of 64-byte slots, payloads up
** to CA_INLINE bytes stored in the slot), so producers never share a lock
** or a written cache line with each other, and order per thread is kept
** by construction. The single consumer visits every ring. Limits on queued
** reports and bytes are global; producers take them in credits of up to
** 64 reports at a time, so the counters are touched once per 64 reports.
** A wake-up descriptor is readable while anything is pending; producers
** write it only on the transition from "consumer idle", never per report.
*/
#ifndef CA_QUEUE_H
#define CA_QUEUE_H

#include "atomics.h"
#include <stddef.h>
#include <stdint.h>
#include "platform.h"
#include "wpf.h"
#include "visibility.h"
CA_HIDDEN_BEGIN

struct ca_producer;

/*
** What a queued item is for. The queue and the hub carry items and never
** look inside their target: they ask its operations what an item means.
** A target embeds this struct; each queued item holds one reference on it.
*/
typedef struct ca_target ca_target;

/* What the consumer does with an item the target has looked at. */
typedef enum ca_take {
  CA_TAKE_DELIVER,    /* hand the report to the consumer */
  CA_TAKE_DROP,       /* refused (the target counted it) */
  CA_TAKE_DISCARD,    /* refused as closed: the hub counts it discarded */
  CA_TAKE_RAN         /* a posted task: it ran on the consumer's thread */
} ca_take;

typedef struct ca_target_ops {
  /* Consumer thread: what this item is; closed says the hub is closed. */
  ca_take (*take)(ca_target *t, int final, int closed);
  /* Any thread: n items let go of their references. */
  void (*release)(ca_target *t, unsigned n);
} ca_target_ops;

struct ca_target {
  const ca_target_ops *ops;
};

#define CA_INLINE 40

/* A report taken off the queue, owned by the consumer until done. */
typedef struct ca_report {
  ca_target *to;              /* holds one reference */
  HRESULT status;
  DWORD len;
  int final;
  int null_buf;
  const BYTE *data;           /* inline copy below, or heap */
  BYTE *heap;                 /* recycled or freed by ca_queue_done */
  struct ca_producer *from;   /* the ring it came from */
  BYTE inline_copy[CA_INLINE];
} ca_report;

typedef struct ca_queue_limits {
  size_t max_count;           /* reports queued and not yet delivered */
  size_t max_bytes;           /* their payload bytes */
  int64_t block_ms;           /* how long a producer waits for room */
} ca_queue_limits;

typedef struct ca_queue {
  uint64_t id;                /* never reused: keys producers' caches */
  CA_ALIGNAS(64) ca_atomic_size count;  /* reserved: queued + credits held */
  CA_ALIGNAS(64) ca_atomic_size bytes;
  CA_ALIGNAS(64) ca_atomic_int signaled;  /* wake descriptor armed */
  ca_atomic_int closed;
  ca_atomic_int waiters;      /* producers blocked for room */
  ca_atomic_int holds;        /* > 0: the consumer cannot make room now, so
                                 producers do not wait for it */
  ca_atomic_int paced;        /* producers waiting to fall less far ahead */
  ca_atomic_ptr producers;                 /* list, prepended under lock */
  ca_mutex lock;              /* producer list changes, blocking */
  ca_cond space;
  ca_cond ahead;              /* paced producers wait here */
  ca_atomic_size max_count, max_bytes;  /* the limits, read lock-free */
  ca_atomic_i64 block_ms;
  /* consumer-only */
  size_t ret_count, ret_bytes;        /* credit to hand back */
  int depth;                  /* nested dispatches */
  struct ca_producer *cur;    /* round-robin position */
  int burst;                  /* reports taken from cur in a row */
  ca_wake wake;
} ca_queue;

enum { CA_Q_OK = 0, CA_Q_CLOSED = 1, CA_Q_FULL = 2, CA_Q_NOMEM = 3 };

int ca_queue_init(ca_queue *q);
/* Frees every ring; the queue must be closed and drained. */
void ca_queue_destroy(ca_queue *q);
void ca_queue_set_limits(ca_queue *q, const ca_queue_limits *l);
void ca_queue_get_limits(ca_queue *q, ca_queue_limits *l);

/* Producer: copies the report in. The caller has taken the item's
   reference on to. */
int ca_queue_push(ca_queue *q, ca_target *to, HRESULT status,
                  int final, const BYTE *buf, DWORD len);

/* Consumer: the next report, in order per producing thread; 0 when none. */
int ca_queue_pop(ca_queue *q, ca_report *r);
/* Consumer: r was delivered or discarded (frees its payload copy). */
void ca_queue_done(ca_queue *q, ca_report *r);
/* Consumer: ends a dispatch; disarms the wake descriptor when empty. */
void ca_queue_settle(ca_queue *q);
/* Consumer: reports pushed and not yet popped. */
size_t ca_queue_pending(ca_queue *q);
/* Consumer: nesting of dispatches (rings are freed only at depth 0). */
void ca_queue_enter(ca_queue *q);
void ca_queue_leave(ca_queue *q);

/*
** The consumer's thread is about to wait for producers (an issuer's close
** joining workers that may be blocked for room only it could free): while
** held, a full queue refuses at once and every blocked producer wakes.
** Holds nest; ca_queue_hold(q, 0) ends one.
*/
void ca_queue_hold(ca_queue *q, int on);

/*
** Refuses further pushes, waits for pushes in flight, and hands every
** report still queued to discard (which must release its callback).
*/
void ca_queue_close(ca_queue *q, void (*discard)(void *ud, ca_report *r),
                    void *ud);

CA_HIDDEN_END
#endif
