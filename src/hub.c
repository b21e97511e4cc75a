/*
** hub.c: lifetime of a hub and the consumer side of its queue.
*/
#include "hub.h"

#include <stdlib.h>

ca_hub *ca_hub_new(ca_deliver_fn deliver, void *binding) {
  ca_hub *h = malloc(sizeof *h);
  if (h == NULL) return NULL;
  if (ca_queue_init(&h->queue) != 0) {
    free(h);
    return NULL;
  }
  atomic_init(&h->refs, 1);
  atomic_init(&h->closed, 0);
  atomic_init(&h->discarded, 0);
  atomic_init(&h->callbacks, 0);
  h->owner = ca_thread_self();
  h->deliver = deliver;
  h->binding = binding;
  return h;
}

void ca_hub_retain(ca_hub *h) {
  atomic_fetch_add_explicit(&h->refs, 1, memory_order_relaxed);
}

void ca_hub_release(ca_hub *h) {
  if (atomic_fetch_sub_explicit(&h->refs, 1, memory_order_acq_rel) != 1)
    return;
  ca_queue_destroy(&h->queue);
  free(h);
}

static void discard(ca_hub *h, ca_qnode *n) {
  atomic_fetch_add_explicit(&h->discarded, 1, memory_order_relaxed);
  ca_queue_done(&h->queue, n);
  ca_callback_release(n->cb);
  free(n);
}

void ca_hub_close(ca_hub *h) {
  ca_qnode *n;
  atomic_store_explicit(&h->closed, 1, memory_order_release);
  n = ca_queue_close(&h->queue);
  while (n != NULL) {
    ca_qnode *next = n->next;
    discard(h, n);
    n = next;
  }
}

int ca_hub_dispatch(ca_hub *h, int max) {
  int done = 0;
  while (max < 0 || done < max) {
    ca_qnode *n = ca_queue_pop(&h->queue);
    if (n == NULL) break;
    if (ca_hub_is_closed(h) || !atomic_load(&n->cb->connected)) {
      ca_callback_refuse(n->cb, CA_REFUSED_CLOSED);
      discard(h, n);
      continue;
    }
    h->deliver(h, n->cb, n->status, n->final,
               n->null_buf ? NULL : n->data, n->len, 1);
    ca_queue_done(&h->queue, n);
    ca_callback_release(n->cb);
    free(n);
    done++;
  }
  ca_queue_settle(&h->queue);
  return done;
}
