/*
** hub.c: lifetime of a hub, the consumer side of its queue, and what the
** binding and the targets may ask of it. It carries items and asks their
** targets what they mean; it knows nothing of callback objects.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "alloc.h"
#include "hub.h"

#include "atomics.h"
#include <stdlib.h>

#include "platform.h"

struct ca_hub {
  ca_atomic_uint refs;
  ca_atomic_int closed;
  ca_thread_id owner;
  ca_queue queue;
  ca_deliver_fn deliver;
  void *binding;            /* the deliver function's own data */
  ca_atomic_u64 discarded;           /* queued reports dropped by close/disconnect */
  ca_atomic_i64 callbacks;  /* callback objects alive on this hub */
};

ca_hub *ca_hub_new(ca_deliver_fn deliver, void *binding) {
  ca_hub *h = ca_malloc(sizeof *h);
  if (h == NULL) return NULL;
  if (ca_queue_init(&h->queue) != 0) {
    free(h);
    return NULL;
  }
  ca_atomic_init_uint(&h->refs, 1);
  ca_atomic_init_int(&h->closed, 0);
  ca_atomic_init_u64(&h->discarded, 0);
  ca_atomic_init_i64(&h->callbacks, 0);
  h->owner = ca_thread_self();
  h->deliver = deliver;
  h->binding = binding;
  return h;
}

void ca_hub_retain(ca_hub *h) {
  ca_atomic_fetch_add_uint(&h->refs, 1, CA_RELAXED);
}

void ca_hub_release(ca_hub *h) {
  if (ca_atomic_fetch_sub_uint(&h->refs, 1, CA_ACQ_REL) != 1)
    return;
  ca_queue_destroy(&h->queue);
  free(h);
}

static void discard(void *ud, ca_report *r) {
  ca_hub *h = ud;
  ca_atomic_fetch_add_u64(&h->discarded, 1, CA_RELAXED);
  r->to->ops->release(r->to, 1);
}

void ca_hub_hold(ca_hub *h) { ca_queue_hold(&h->queue, 1); }

void ca_hub_unhold(ca_hub *h) { ca_queue_hold(&h->queue, 0); }

void ca_hub_closing(ca_hub *h) { ca_queue_close(&h->queue, discard, h); }

void ca_hub_close(ca_hub *h) {
  ca_atomic_store_int(&h->closed, 1, CA_RELEASE);
  ca_queue_close(&h->queue, discard, h);
}

void ca_hub_begin(ca_hub *h, ca_hub_run *run) {
  run->held = NULL;
  run->nheld = 0;
  run->ran = 0;
  ca_queue_enter(&h->queue);
}

int ca_hub_next(ca_hub *h, ca_hub_run *run, ca_report *r) {
  while (ca_queue_pop(&h->queue, r)) {
    if (r->to != run->held) {
      if (run->held != NULL) run->held->ops->release(run->held, run->nheld);
      run->held = r->to;
      run->nheld = 0;
    }
    run->nheld++;
    switch (r->to->ops->take(r->to, r->final, ca_hub_is_closed(h))) {
      case CA_TAKE_DELIVER:
        return 1;
      case CA_TAKE_DISCARD:
        ca_atomic_fetch_add_u64(&h->discarded, 1, CA_RELAXED);
        break;
      case CA_TAKE_RAN:
        run->ran++;
        break;
      case CA_TAKE_DROP:
        break;
    }
    ca_queue_done(&h->queue, r);
  }
  return 0;
}

void ca_hub_done(ca_hub *h, ca_report *r) { ca_queue_done(&h->queue, r); }

void ca_hub_end(ca_hub *h, ca_hub_run *run) {
  if (run->held != NULL) run->held->ops->release(run->held, run->nheld);
  run->held = NULL;
  ca_queue_leave(&h->queue);
  ca_queue_settle(&h->queue);
}

int ca_hub_dispatch(ca_hub *h, int max) {
  int done = 0;
  ca_hub_run run;
  ca_report r;
  ca_hub_begin(h, &run);
  while ((max < 0 || done < max) && ca_hub_next(h, &run, &r)) {
    h->deliver(h, r.to, r.status, r.final, r.data, r.len);
    ca_hub_done(h, &r);
    done++;
  }
  done += (int)run.ran;
  ca_hub_end(h, &run);
  return done;
}

int ca_hub_is_closed(ca_hub *h) {
  return ca_atomic_load_int(&h->closed, CA_ACQUIRE);
}

int ca_hub_wait(ca_hub *h, int64_t ms) {
  if (ca_queue_pending(&h->queue) > 0) return 1;
  return ca_wake_wait(&h->queue.wake, ms);
}

intptr_t ca_hub_fd(ca_hub *h) { return ca_wake_handle(&h->queue.wake); }

size_t ca_hub_pending(ca_hub *h) { return ca_queue_pending(&h->queue); }

void ca_hub_get_limits(ca_hub *h, ca_queue_limits *l) {
  ca_queue_get_limits(&h->queue, l);
}

void ca_hub_set_limits(ca_hub *h, const ca_queue_limits *l) {
  ca_queue_set_limits(&h->queue, l);
}

void *ca_hub_binding(ca_hub *h) { return h->binding; }

long ca_hub_callbacks(ca_hub *h) { return ca_atomic_load_i64(&h->callbacks, CA_SEQ_CST); }

uint64_t ca_hub_discarded(ca_hub *h) {
  return ca_atomic_load_u64(&h->discarded, CA_SEQ_CST);
}

int ca_hub_owned(ca_hub *h) { return ca_thread_is(h->owner); }

int ca_hub_push(ca_hub *h, ca_target *to, HRESULT status, int final,
                const BYTE *buf, DWORD len) {
  return ca_queue_push(&h->queue, to, status, final, buf, len);
}

int ca_hub_post(ca_hub *h, ca_target *to) {
  return ca_queue_push(&h->queue, to, 0, 0, NULL, 0);
}

HRESULT ca_hub_deliver(ca_hub *h, ca_target *to, HRESULT status, int final,
                       const BYTE *buf, DWORD len) {
  return h->deliver(h, to, status, final, buf, len);
}

void ca_hub_count_callbacks(ca_hub *h, int delta) {
  ca_atomic_fetch_add_i64(&h->callbacks, delta, CA_SEQ_CST);
}
