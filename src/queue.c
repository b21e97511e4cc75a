/*
** queue.c: the completion queue. See queue.h for the shape; the subtle
** part is the wake descriptor, which must be readable whenever a node is
** pending and must not be written once per node.
*/
#include "queue.h"

#include <stdlib.h>

int ca_queue_init(ca_queue *q) {
  q->head = q->tail = q->local = NULL;
  atomic_init(&q->count, 0);
  atomic_init(&q->bytes, 0);
  q->limits.max_count = CA_QUEUE_DEFAULT_MAX_COUNT;
  q->limits.max_bytes = CA_QUEUE_DEFAULT_MAX_BYTES;
  q->limits.block_ms = 0;
  atomic_init(&q->waiters, 0);
  q->signaled = q->closed = 0;
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
  return 0;
}

void ca_queue_destroy(ca_queue *q) {
  ca_cond_destroy(&q->space);
  ca_mutex_destroy(&q->lock);
  ca_wake_close(&q->wake);
}

void ca_queue_set_limits(ca_queue *q, const ca_queue_limits *l) {
  ca_mutex_lock(&q->lock);
  q->limits = *l;
  ca_cond_broadcast(&q->space);  /* waiters re-check against new bounds */
  ca_mutex_unlock(&q->lock);
}

void ca_queue_get_limits(ca_queue *q, ca_queue_limits *l) {
  ca_mutex_lock(&q->lock);
  *l = q->limits;
  ca_mutex_unlock(&q->lock);
}

static int has_room(ca_queue *q, size_t len) {
  size_t c = atomic_load_explicit(&q->count, memory_order_relaxed);
  size_t b = atomic_load_explicit(&q->bytes, memory_order_relaxed);
  if (c >= q->limits.max_count) return 0;
  /* one report larger than the whole byte budget may pass alone */
  return b == 0 || len <= q->limits.max_bytes - (b < q->limits.max_bytes ? b : q->limits.max_bytes);
}

int ca_queue_push(ca_queue *q, ca_qnode *n) {
  int64_t deadline = 0;
  n->next = NULL;
  ca_mutex_lock(&q->lock);
  while (!q->closed && !has_room(q, n->len)) {
    int64_t left;
    if (q->limits.block_ms <= 0) break;
    if (deadline == 0) deadline = ca_now_ns() + q->limits.block_ms * 1000000;
    left = (deadline - ca_now_ns()) / 1000000;
    if (left <= 0) break;
    /* announce, then look again: ca_queue_done frees room before it
       reads waiters, so one of the two sides sees the other */
    atomic_fetch_add(&q->waiters, 1);
    if (!has_room(q, n->len))
      ca_cond_timedwait(&q->space, &q->lock, left);
    atomic_fetch_sub(&q->waiters, 1);
  }
  if (q->closed || !has_room(q, n->len)) {
    int r = q->closed ? CA_Q_CLOSED : CA_Q_FULL;
    ca_mutex_unlock(&q->lock);
    return r;
  }
  atomic_fetch_add_explicit(&q->count, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&q->bytes, n->len, memory_order_relaxed);
  if (q->tail) q->tail->next = n; else q->head = n;
  q->tail = n;
  if (!q->signaled) {
    q->signaled = 1;
    ca_wake_signal(&q->wake);
  }
  ca_mutex_unlock(&q->lock);
  return CA_Q_OK;
}

ca_qnode *ca_queue_pop(ca_queue *q) {
  ca_qnode *n = q->local;
  if (n == NULL) {
    ca_mutex_lock(&q->lock);
    n = q->head;
    q->head = q->tail = NULL;
    ca_mutex_unlock(&q->lock);
    if (n == NULL) return NULL;
  }
  q->local = n->next;
  n->next = NULL;
  return n;
}

void ca_queue_done(ca_queue *q, ca_qnode *n) {
  atomic_fetch_sub(&q->count, 1);
  atomic_fetch_sub(&q->bytes, n->len);
  if (atomic_load(&q->waiters) > 0) {
    ca_mutex_lock(&q->lock);
    ca_cond_broadcast(&q->space);
    ca_mutex_unlock(&q->lock);
  }
}

void ca_queue_settle(ca_queue *q) {
  if (q->local != NULL) return;
  ca_mutex_lock(&q->lock);
  if (q->head == NULL && q->signaled) {
    q->signaled = 0;
    ca_wake_clear(&q->wake);
  }
  ca_mutex_unlock(&q->lock);
}

size_t ca_queue_pending(ca_queue *q) {
  /* queued or taken by the consumer and not yet done: one atomic load */
  return atomic_load_explicit(&q->count, memory_order_relaxed);
}

ca_qnode *ca_queue_close(ca_queue *q) {
  ca_qnode *all, *last;
  ca_mutex_lock(&q->lock);
  q->closed = 1;
  all = q->head;
  q->head = q->tail = NULL;
  ca_cond_broadcast(&q->space);
  ca_mutex_unlock(&q->lock);
  /* local first, then what producers added after it, keeping order */
  if (q->local == NULL) return all;
  for (last = q->local; last->next; last = last->next) {}
  last->next = all;
  all = q->local;
  q->local = NULL;
  return all;
}
