/*
** queue.c: per-producer rings for the completion queue (see queue.h).
**
** A producer finds its ring through a thread-local cache keyed by the
** queue's never-reused id, so the hot path is: reserve a credit, copy the
** report into the next slot, publish it with one release store. The
** consumer reads a ring's published count with one acquire load. Segments
** the consumer leaves go back to their producer through a one-slot spare,
** so a steady stream allocates nothing.
**
** Two protocols keep this correct:
** - wake-up: a producer publishes, fences, then arms the descriptor if
**   the consumer had disarmed it; the consumer clears the descriptor,
**   disarms, fences, then looks again for pending reports. Either the
**   producer sees "disarmed" and signals, or the consumer sees the report.
** - close: a producer marks itself busy (a full barrier) before it checks
**   "closed"; close sets "closed" and then waits until no producer is
**   busy, so nothing is published into a ring after close drained it.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "alloc.h"
#include "queue.h"
#include "constants.h"
#include "bufpool.h"

#include <stdlib.h>
#include <string.h>

#define SEG_SLOTS 256
#define CHUNK_N 64            /* reports of credit taken at once */
#define CHUNK_B 65536         /* bytes of credit taken at once */
#define BURST 64              /* reports taken from one ring in a row */
#define YIELD_AT 4096        /* queued reports beyond which producers yield */
typedef struct ca_slot {
  ca_target *to;
  HRESULT status;
  DWORD len;
  unsigned char final, null_buf;
  union {
    BYTE data[CA_INLINE];
    BYTE *heap;
  } u;
} ca_slot;

typedef struct ca_segment {
  struct ca_segment *next;
  ca_slot slots[SEG_SLOTS];
} ca_segment;

typedef struct ca_producer {
  uint64_t qid;
  struct ca_producer *next;   /* in the queue's list; written under lock */
  ca_atomic_int refs;         /* the thread's and the queue's */
  ca_atomic_int orphaned;     /* the thread has exited */
  ca_atomic_int queue_gone;   /* the queue was destroyed: the thread drops it */
  /* producer side */
  CA_ALIGNAS(64) ca_segment *ptail;
  unsigned pidx;
  size_t credit_n, credit_b;
  int unpaced;                /* a pacing wait timed out (wait_ahead) */
  ca_atomic_int busy;
  /* pacing (wait_ahead): heap payload bytes pushed and not yet done
     (both sides write), whether the producer waits, and the bytes it
     resumes at */
  CA_ALIGNAS(64) ca_atomic_size inflight;
  ca_atomic_int waiting;
  ca_atomic_size resume_b;
  /* published count: written by the producer, read by the consumer */
  CA_ALIGNAS(64) ca_atomic_u64 pushed;
  /* consumer side */
  CA_ALIGNAS(64) ca_segment *chead;
  unsigned cidx;
  uint64_t popped;
  uint64_t seen;              /* last published count the consumer read */
  uint64_t trim_seen;         /* published count at the last dispatch's end */
  ca_atomic_u64 taken;        /* reports done: popped, published for pacing */
  ca_atomic_ptr spare;
  ca_bufpool pool;            /* payload buffers handed back for reuse */
} ca_producer;

static ca_atomic_u64 next_qid = CA_ATOMIC_VAR(1);

/* ---- producers and their threads --------------------------------------- */

/*
** A thread's rings, one per queue it reported to, kept in the platform
** layer's thread-local slot (not C11 _Thread_local: mingw-w64 emulates that
** through libgcc's DLL, and the slot's destructor is needed anyway).
*/
typedef struct tl_list {
  int n, cap;
  ca_producer **ps;
  ca_producer *last;   /* the ring used last: most threads report to one queue */
} tl_list;

static ca_tls_key tl_key;
static ca_once tl_once = CA_ONCE_INIT;
static int tl_key_made;

static void free_segments(ca_producer *p) {
  ca_segment *s = p->chead, *spare;
  while (s != NULL) {
    ca_segment *n = s->next;
    free(s);
    s = n;
  }
  spare = ca_atomic_exchange_ptr(&p->spare, NULL);
  free(spare);
  ca_bufpool_trim(&p->pool, 0);
  p->chead = p->ptail = NULL;
}

static void producer_unref(ca_producer *p) {
  if (ca_atomic_fetch_sub_int(&p->refs, 1, CA_SEQ_CST) == 1) ca_aligned_free(p);
}

/* At thread exit: the rings stay for the consumer to drain and free. */
static void tl_destroy(void *v) {
  tl_list *l = v;
  int i;
  for (i = 0; i < l->n; i++) {
    ca_atomic_store_int(&l->ps[i]->orphaned, 1, CA_RELEASE);
    producer_unref(l->ps[i]);
  }
  free(l->ps);
  free(l);
  ca_tls_set(tl_key, NULL);   /* a report made later in this exit starts afresh */
}

static void make_key(void) { tl_key_made = ca_tls_create(&tl_key, tl_destroy) == 0; }

static ca_producer *new_producer(ca_queue *q) {
  size_t size = (sizeof(ca_producer) + 63) & ~(size_t)63;
  ca_producer *p = ca_aligned_alloc(64, size);
  ca_segment *seg = ca_malloc(sizeof *seg);
  if (p == NULL || seg == NULL) {
    ca_aligned_free(p);
    free(seg);
    return NULL;
  }
  memset(p, 0, sizeof *p);
  seg->next = NULL;
  p->qid = q->id;
  ca_atomic_init_int(&p->refs, 2);
  ca_atomic_init_int(&p->orphaned, 0);
  ca_atomic_init_int(&p->queue_gone, 0);
  ca_atomic_init_int(&p->busy, 0);
  ca_atomic_init_u64(&p->pushed, 0);
  ca_atomic_init_ptr(&p->spare, NULL);
  ca_atomic_init_size(&p->inflight, 0);
  ca_atomic_init_int(&p->waiting, 0);
  ca_atomic_init_size(&p->resume_b, 0);
  ca_atomic_init_u64(&p->taken, 0);
  ca_bufpool_init(&p->pool);
  p->ptail = p->chead = seg;
  return p;
}

/*
** This thread's ring for q, made on first use; NULL with *err set. A
** miss also drops the rings of destroyed queues, so a long-lived thread
** that reports into many short-lived states keeps only the live ones and
** the scan stays as short as the number of states it reports into now.
*/
static ca_producer *producer_for(ca_queue *q, int *err) {
  tl_list *tl = ca_tls_get(tl_key);   /* made by ca_queue_init */
  ca_producer *p;
  int i;
  if (tl != NULL) {
    if (tl->last != NULL && tl->last->qid == q->id) return tl->last;
    for (i = 0; i < tl->n; i++) {
      p = tl->ps[i];
      if (ca_atomic_load_int(&p->queue_gone, CA_ACQUIRE)) {
        tl->ps[i--] = tl->ps[--tl->n];
        if (tl->last == p) tl->last = NULL;
        producer_unref(p);
      } else if (p->qid == q->id) {
        return tl->last = p;
      }
    }
  } else {
    tl = ca_calloc(1, sizeof *tl);
    if (tl == NULL || ca_tls_set(tl_key, tl) != 0) {
      free(tl);
      *err = CA_Q_NOMEM;
      return NULL;
    }
  }
  if (tl->n == tl->cap) {
    int cap = tl->cap ? tl->cap * 2 : 4;
    ca_producer **ps = ca_realloc(tl->ps, (size_t)cap * sizeof *ps);
    if (ps == NULL) { *err = CA_Q_NOMEM; return NULL; }
    tl->ps = ps;
    tl->cap = cap;
  }
  p = new_producer(q);
  if (p == NULL) { *err = CA_Q_NOMEM; return NULL; }
  ca_mutex_lock(&q->lock);
  if (ca_atomic_load_int(&q->closed, CA_SEQ_CST)) {
    ca_mutex_unlock(&q->lock);
    free_segments(p);
    ca_aligned_free(p);
    *err = CA_Q_CLOSED;
    return NULL;
  }
  p->next = ca_atomic_load_ptr(&q->producers, CA_RELAXED);
  ca_atomic_store_ptr(&q->producers, p, CA_RELEASE);
  ca_mutex_unlock(&q->lock);
  tl->ps[tl->n++] = p;
  return tl->last = p;
}

/* ---- limits --------------------------------------------------------------- */

static int take_count(ca_queue *q, size_t n) {
  size_t max = ca_atomic_load_size(&q->max_count, CA_RELAXED);
  size_t c = ca_atomic_fetch_add_size(&q->count, n, CA_SEQ_CST);
  if (c + n <= max) return 1;
  ca_atomic_fetch_sub_size(&q->count, n, CA_SEQ_CST);
  return 0;
}

static int take_bytes(ca_queue *q, size_t n, int alone_ok) {
  size_t max = ca_atomic_load_size(&q->max_bytes, CA_RELAXED);
  size_t b = ca_atomic_fetch_add_size(&q->bytes, n, CA_SEQ_CST);
  /* one report larger than the whole budget may pass alone */
  if (b + n <= max || (alone_ok && b == 0)) return 1;
  ca_atomic_fetch_sub_size(&q->bytes, n, CA_SEQ_CST);
  return 0;
}

static int reserve(ca_queue *q, ca_producer *p, size_t len) {
  if (p->credit_n == 0) {
    /* far ahead of the consumer: give it the CPU (once per 64 reports;
       on a machine with fewer cores than threads this is what keeps the
       consumer, the bottleneck, running) */
    if (ca_atomic_load_size(&q->count, CA_RELAXED) > YIELD_AT &&
        ca_atomic_load_i64(&q->block_ms, CA_RELAXED) <= 0)
      ca_yield();   /* producers that wait for room are paced instead */
    if (take_count(q, CHUNK_N)) p->credit_n = CHUNK_N;
    else if (take_count(q, 1)) p->credit_n = 1;
    else return 0;
  }
  if (p->credit_b < len) {
    size_t need = len - p->credit_b;
    if (take_bytes(q, need > CHUNK_B ? need : CHUNK_B, 0))
      p->credit_b += need > CHUNK_B ? need : CHUNK_B;
    else if (take_bytes(q, need, 1))
      p->credit_b += need;
    else
      return 0;   /* the count credit stays for the next attempt */
  }
  p->credit_n--;
  p->credit_b -= len;
  return 1;
}

/*
** Waits for room up to block_ms; CA_Q_OK when reserved, else CA_Q_FULL,
** or CA_Q_CLOSED when close woke it. busy is clear here.
*/
static int reserve_blocking(ca_queue *q, ca_producer *p, size_t len) {
  int64_t block = ca_atomic_load_i64(&q->block_ms, CA_RELAXED);
  int64_t deadline;
  int ok = 0;
  if (block <= 0 || ca_atomic_load_int(&q->holds, CA_SEQ_CST) > 0) return CA_Q_FULL;
  deadline = ca_now_ns() + block * 1000000;
  ca_mutex_lock(&q->lock);
  ca_atomic_fetch_add_int(&q->waiters, 1, CA_SEQ_CST);
  while (!ca_atomic_load_int(&q->closed, CA_SEQ_CST) &&
         ca_atomic_load_int(&q->holds, CA_SEQ_CST) == 0) {
    int64_t left;
    if (reserve(q, p, len)) { ok = 1; break; }
    left = (deadline - ca_now_ns()) / 1000000;
    if (left <= 0) break;
    ca_cond_timedwait(&q->space, &q->lock, left);
  }
  ca_atomic_fetch_sub_int(&q->waiters, 1, CA_SEQ_CST);
  ca_mutex_unlock(&q->lock);
  return ok ? CA_Q_OK : ca_atomic_load_int(&q->closed, CA_SEQ_CST) ? CA_Q_CLOSED : CA_Q_FULL;
}

/*
** Pacing. A producer that waits for room anyway (block_ms > 0) also waits
** once its ring holds more than AHEAD_N reports or AHEAD_B bytes (at least
** AHEAD_PAYLOADS payloads), until the consumer has taken half. The bound
** in payloads keeps large payloads overlapping: at two, a 1 MiB producer
** waited whenever one payload was queued, so producer and consumer took
** turns (0.17 of the same-thread rate against 0.4-0.6 unpaced). A consumer slower than
** its producer fills any bound; filling the queue's (a million reports,
** 64 MiB) made both sides work from memory, faulted pages in for large
** payloads and woke the threads once per 64 reports (bench_cross one:
** CPU time per MiB, perf stat). A wait lasts at most PACE_MS (or block_ms);
** one that ends still ahead (a consumer busy elsewhere) stops pacing the
** ring until it drains to half. Without blocking nothing changes. The
** consumer wakes paced producers from hand_back.
*/
#define AHEAD_N 4096UL
#define AHEAD_B ((size_t)2 << 20)
#define AHEAD_PAYLOADS 8
#define PACE_MS 100

/* Whether p is still too far ahead: by half the bounds when resuming. */
static int ahead(ca_producer *p, size_t bytes_bound, int resuming) {
  uint64_t n = ca_atomic_load_u64(&p->pushed, CA_SEQ_CST) -
               ca_atomic_load_u64(&p->taken, CA_SEQ_CST);
  size_t b = ca_atomic_load_size(&p->inflight, CA_SEQ_CST);
  if (resuming) return n > AHEAD_N / 2 || b > bytes_bound / 2;
  return n > AHEAD_N || b > bytes_bound;
}

static void wait_ahead(ca_queue *q, ca_producer *p, size_t len) {
  size_t bound = len > AHEAD_B / AHEAD_PAYLOADS ? len * AHEAD_PAYLOADS : AHEAD_B;
  int64_t block = ca_atomic_load_i64(&q->block_ms, CA_RELAXED);
  int64_t deadline, left;
  if (block <= 0 || ca_atomic_load_int(&q->holds, CA_SEQ_CST) > 0) return;
  if (p->unpaced) {
    if (ahead(p, bound, 1)) return;
    p->unpaced = 0;
  }
  if (!ahead(p, bound - len, 0)) return;
  deadline = ca_now_ns() + (block < PACE_MS ? block : PACE_MS) * 1000000;
  ca_mutex_lock(&q->lock);
  /* waiting and resume_b, then paced, then the look at the ring: the
     consumer publishes what it took, fences, then reads paced */
  ca_atomic_store_size(&p->resume_b, bound, CA_SEQ_CST);
  ca_atomic_store_int(&p->waiting, 1, CA_SEQ_CST);
  ca_atomic_fetch_add_int(&q->paced, 1, CA_SEQ_CST);
  while (!ca_atomic_load_int(&q->closed, CA_SEQ_CST) &&
         ca_atomic_load_int(&q->holds, CA_SEQ_CST) == 0 &&
         ahead(p, bound, 1) &&
         (left = (deadline - ca_now_ns()) / 1000000) > 0)
    ca_cond_timedwait(&q->ahead, &q->lock, left);
  p->unpaced = ahead(p, bound, 1);
  ca_atomic_fetch_sub_int(&q->paced, 1, CA_SEQ_CST);
  ca_atomic_store_int(&p->waiting, 0, CA_SEQ_CST);
  ca_mutex_unlock(&q->lock);
}

/* ---- producer ------------------------------------------------------------- */

/* The producer's next free slot, opening a segment when one is full;
   NULL when out of memory. Only the producing thread writes its tail. */
static ca_slot *next_slot(ca_producer *p) {
  if (p->pidx == SEG_SLOTS) {
    ca_segment *seg = ca_atomic_exchange_ptr(&p->spare, NULL);
    if (seg == NULL) seg = ca_malloc(sizeof *seg);
    if (seg == NULL) return NULL;
    seg->next = NULL;
    p->ptail->next = seg;   /* published with the first slot in it */
    p->ptail = seg;
    p->pidx = 0;
  }
  return &p->ptail->slots[p->pidx++];
}

int ca_queue_push(ca_queue *q, ca_target *to, HRESULT status,
                  int final, const BYTE *buf, DWORD len) {
  int err = CA_Q_OK;
  ca_producer *p = producer_for(q, &err);
  ca_slot *s;
  BYTE *heap = NULL;
  unsigned long n;
  if (p == NULL) return err;
  if (p->credit_n == 0 || (buf != NULL && len > CA_INLINE))
    wait_ahead(q, p, buf != NULL && len > CA_INLINE ? len : 0);
  ca_atomic_exchange_int(&p->busy, 1);  /* a full barrier before reading closed */
  if (ca_atomic_load_int(&q->closed, CA_SEQ_CST)) {
    ca_atomic_store_int(&p->busy, 0, CA_RELEASE);
    return CA_Q_CLOSED;
  }
  if (!reserve(q, p, len)) {
    ca_atomic_store_int(&p->busy, 0, CA_RELEASE);
    if ((err = reserve_blocking(q, p, len)) != CA_Q_OK) return err;
    ca_atomic_exchange_int(&p->busy, 1);
    if (ca_atomic_load_int(&q->closed, CA_SEQ_CST)) {
      p->credit_n++;            /* unused; handed back when the ring goes */
      p->credit_b += len;
      ca_atomic_store_int(&p->busy, 0, CA_RELEASE);
      return CA_Q_CLOSED;
    }
  }
  if (buf != NULL && len > CA_INLINE) {
    heap = ca_bufpool_alloc(&p->pool, len);
    if (heap == NULL) goto nomem;
    memcpy(heap, buf, len);
  }
  if ((s = next_slot(p)) == NULL) goto nomem;
  s->to = to;
  s->status = status;
  s->len = len;
  s->final = (unsigned char)(final != 0);
  s->null_buf = buf == NULL;
  if (heap != NULL) {
    s->u.heap = heap;
    ca_atomic_fetch_add_size(&p->inflight, len, CA_SEQ_CST);
  } else if (buf != NULL && len > 0) memcpy(s->u.data, buf, len);
  n = ca_atomic_load_u64(&p->pushed, CA_RELAXED);
  ca_atomic_store_u64(&p->pushed, n + 1, CA_RELEASE);
  ca_atomic_store_int(&p->busy, 0, CA_RELEASE);
  ca_atomic_fence();
  if (!ca_atomic_load_int(&q->signaled, CA_RELAXED) &&
      !ca_atomic_exchange_int(&q->signaled, 1))
    ca_wake_signal(&q->wake);
  return CA_Q_OK;
nomem:
  ca_bufpool_free(heap);
  p->credit_n++;
  p->credit_b += len;
  ca_atomic_store_int(&p->busy, 0, CA_RELEASE);
  return CA_Q_NOMEM;
}

/* ---- consumer ------------------------------------------------------------- */

static ca_producer *head(ca_queue *q) {
  return ca_atomic_load_ptr(&q->producers, CA_ACQUIRE);
}

static int take_from(ca_producer *p, ca_report *r) {
  ca_slot *s;
  /* read the producer's line only when what was seen is used up */
  if (p->seen == p->popped) {
    p->seen = ca_atomic_load_u64(&p->pushed, CA_ACQUIRE);
    if (p->seen == p->popped) return 0;
  }
  if (p->cidx == SEG_SLOTS) {
    ca_segment *old = p->chead;
    void *expected = NULL;
    p->chead = old->next;
    p->cidx = 0;
    if (!ca_atomic_cas_ptr(&p->spare, &expected, old)) free(old);
  }
  s = &p->chead->slots[p->cidx++];
  p->popped++;
  r->to = s->to;
  r->status = s->status;
  r->len = s->len;
  r->final = s->final;
  r->null_buf = s->null_buf;
  r->from = p;
  if (s->null_buf) {
    r->heap = NULL;
    r->data = NULL;
  } else if (s->len > CA_INLINE) {
    r->heap = s->u.heap;
    r->data = r->heap;
  } else {
    r->heap = NULL;
    memcpy(r->inline_copy, s->u.data, s->len);
    r->data = r->inline_copy;
  }
  return 1;
}

static ca_producer *after(ca_queue *q, ca_producer *p) {
  return p != NULL && p->next != NULL ? p->next : head(q);
}

int ca_queue_pop(ca_queue *q, ca_report *r) {
  ca_producer *start, *p = q->cur != NULL ? q->cur : head(q);
  if (p == NULL) return 0;
  if (q->burst >= BURST) {   /* let the other rings have a turn */
    p = after(q, p);
    q->burst = 0;
  }
  start = p;
  do {
    if (take_from(p, r)) {
      q->cur = p;
      q->burst++;
      return 1;
    }
    p = after(q, p);
    q->burst = 0;
  } while (p != start);
  return 0;
}

/* Consumer: wakes paced producers whose rings came down to half. */
static void wake_paced(ca_queue *q) {
  ca_producer *p;
  ca_atomic_fence();
  if (ca_atomic_load_int(&q->paced, CA_RELAXED) == 0) return;
  for (p = head(q); p != NULL; p = p->next)
    if (ca_atomic_load_int(&p->waiting, CA_SEQ_CST) &&
        !ahead(p, ca_atomic_load_size(&p->resume_b, CA_SEQ_CST), 1)) {
      ca_mutex_lock(&q->lock);
      ca_cond_broadcast(&q->ahead);
      ca_mutex_unlock(&q->lock);
      return;
    }
}

static void hand_back(ca_queue *q) {
  wake_paced(q);
  if (q->ret_count == 0 && q->ret_bytes == 0) return;
  ca_atomic_fetch_sub_size(&q->count, q->ret_count, CA_SEQ_CST);
  ca_atomic_fetch_sub_size(&q->bytes, q->ret_bytes, CA_SEQ_CST);
  q->ret_count = q->ret_bytes = 0;
  if (ca_atomic_load_int(&q->waiters, CA_SEQ_CST) > 0) {
    ca_mutex_lock(&q->lock);
    ca_cond_broadcast(&q->space);
    ca_mutex_unlock(&q->lock);
  }
}

void ca_queue_done(ca_queue *q, ca_report *r) {
  ca_producer *p = r->from;
  ca_atomic_store_u64(&p->taken,
                        ca_atomic_load_u64(&p->taken, CA_RELAXED) + 1, CA_RELAXED);
  if (r->heap != NULL) {
    ca_bufpool_recycle(&p->pool, r->heap);
    ca_atomic_fetch_sub_size(&p->inflight, r->len, CA_SEQ_CST);
  }
  r->heap = NULL;
  q->ret_count++;
  q->ret_bytes += r->len;
  if (q->ret_count >= CHUNK_N || q->ret_bytes >= CHUNK_B) hand_back(q);
}

size_t ca_queue_pending(ca_queue *q) {
  size_t n = 0;
  ca_producer *p;
  for (p = head(q); p != NULL; p = p->next)
    n += ca_atomic_load_u64(&p->pushed, CA_ACQUIRE) - p->popped;
  return n;
}

/* Frees the rings of exited threads once drained (not while nested). */
static void reap(ca_queue *q) {
  ca_producer *prev = NULL, *p, *next;
  ca_mutex_lock(&q->lock);
  for (p = head(q); p != NULL; p = next) {
    next = p->next;
    if (ca_atomic_load_int(&p->orphaned, CA_ACQUIRE) &&
        ca_atomic_load_u64(&p->pushed, CA_ACQUIRE) == p->popped) {
      if (prev != NULL) prev->next = next;
      else ca_atomic_store_ptr(&q->producers, next, CA_RELEASE);
      if (q->cur == p) { q->cur = NULL; q->burst = 0; }
      q->ret_count += p->credit_n;   /* credit the thread never used */
      q->ret_bytes += p->credit_b;
      free_segments(p);
      producer_unref(p);
    } else {
      prev = p;
    }
  }
  ca_mutex_unlock(&q->lock);
}

void ca_queue_enter(ca_queue *q) { q->depth++; }

void ca_queue_leave(ca_queue *q) { q->depth--; }

void ca_queue_settle(ca_queue *q) {
  ca_producer *p;
  if (q->depth == 0) reap(q);
  hand_back(q);
  /* a ring that pushed nothing since the last dispatch keeps few buffers */
  for (p = head(q); p != NULL; p = p->next) {
    unsigned long n = ca_atomic_load_u64(&p->pushed, CA_RELAXED);
    if (n == p->trim_seen) ca_bufpool_trim(&p->pool, CA_BUFPOOL_IDLE);
    p->trim_seen = n;
  }
  if (ca_queue_pending(q) > 0) return;
  /* clear, disarm, fence, look again: see the wake-up protocol above */
  ca_wake_clear(&q->wake);
  ca_atomic_store_int(&q->signaled, 0, CA_SEQ_CST);
  ca_atomic_fence();
  if (ca_queue_pending(q) > 0 && !ca_atomic_exchange_int(&q->signaled, 1))
    ca_wake_signal(&q->wake);
}

void ca_queue_hold(ca_queue *q, int on) {
  ca_mutex_lock(&q->lock);
  ca_atomic_fetch_add_int(&q->holds, on ? 1 : -1, CA_SEQ_CST);
  ca_cond_broadcast(&q->space);
  ca_cond_broadcast(&q->ahead);
  ca_mutex_unlock(&q->lock);
}

void ca_queue_close(ca_queue *q, void (*discard)(void *ud, ca_report *r),
                    void *ud) {
  ca_producer *p;
  ca_report r;
  ca_mutex_lock(&q->lock);
  ca_atomic_store_int(&q->closed, 1, CA_SEQ_CST);
  ca_cond_broadcast(&q->space);
  ca_cond_broadcast(&q->ahead);
  ca_mutex_unlock(&q->lock);
  for (p = head(q); p != NULL; p = p->next)
    while (ca_atomic_load_int(&p->busy, CA_SEQ_CST)) ca_yield();
  while (ca_queue_pop(q, &r)) {
    discard(ud, &r);
    ca_queue_done(q, &r);
  }
  hand_back(q);
}

/* ---- setup ---------------------------------------------------------------- */

int ca_queue_init(ca_queue *q) {
  memset(q, 0, sizeof *q);
  q->id = ca_atomic_fetch_add_u64(&next_qid, 1, CA_SEQ_CST);
  ca_atomic_init_size(&q->count, 0);
  ca_atomic_init_size(&q->bytes, 0);
  ca_atomic_init_int(&q->signaled, 0);
  ca_atomic_init_int(&q->closed, 0);
  ca_atomic_init_int(&q->waiters, 0);
  ca_atomic_init_int(&q->holds, 0);
  ca_atomic_init_int(&q->paced, 0);
  ca_atomic_init_ptr(&q->producers, NULL);
  ca_atomic_init_size(&q->max_count, CA_DEFAULT_MAX_QUEUED);
  ca_atomic_init_size(&q->max_bytes, CA_DEFAULT_MAX_QUEUED_BYTES);
  ca_atomic_init_i64(&q->block_ms, CA_DEFAULT_BLOCK_MS);
  ca_call_once(&tl_once, make_key);
  if (!tl_key_made) return -1;
  if (ca_wake_init(&q->wake) != 0) return -1;
  if (ca_mutex_init(&q->lock) != 0) {
    ca_wake_close(&q->wake);
    return -1;
  }
  if (ca_cond_init(&q->space) != 0) {
    ca_mutex_destroy(&q->lock);
    ca_wake_close(&q->wake);
    return -1;
  }
  if (ca_cond_init(&q->ahead) != 0) {
    ca_cond_destroy(&q->space);
    ca_mutex_destroy(&q->lock);
    ca_wake_close(&q->wake);
    return -1;
  }
  return 0;
}

void ca_queue_destroy(ca_queue *q) {
  ca_producer *p = head(q);
  while (p != NULL) {
    ca_producer *n = p->next;
    free_segments(p);
    /* the thread's reference may remain: its next lookup lets go */
    ca_atomic_store_int(&p->queue_gone, 1, CA_RELEASE);
    producer_unref(p);
    p = n;
  }
  ca_cond_destroy(&q->ahead);
  ca_cond_destroy(&q->space);
  ca_mutex_destroy(&q->lock);
  ca_wake_close(&q->wake);
}

void ca_queue_set_limits(ca_queue *q, const ca_queue_limits *l) {
  ca_mutex_lock(&q->lock);
  ca_atomic_store_size(&q->max_count, l->max_count, CA_SEQ_CST);
  ca_atomic_store_size(&q->max_bytes, l->max_bytes, CA_SEQ_CST);
  ca_atomic_store_i64(&q->block_ms, l->block_ms, CA_SEQ_CST);
  ca_cond_broadcast(&q->space);  /* waiters re-check against new bounds */
  ca_cond_broadcast(&q->ahead);
  ca_mutex_unlock(&q->lock);
}

void ca_queue_get_limits(ca_queue *q, ca_queue_limits *l) {
  l->max_count = ca_atomic_load_size(&q->max_count, CA_SEQ_CST);
  l->max_bytes = ca_atomic_load_size(&q->max_bytes, CA_SEQ_CST);
  l->block_ms = ca_atomic_load_i64(&q->block_ms, CA_SEQ_CST);
}
