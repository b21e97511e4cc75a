/*
** bufpool.c: the recycling pool of large payload buffers (see bufpool.h).
** Each buffer starts with its capacity, so a pooled buffer serves any
** payload it can hold.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "alloc.h"
#include "bufpool.h"

#include <stdlib.h>

#define HEAD 16                            /* the capacity, kept aligned */
#define KEEP_MAX ((size_t)8 << 20)         /* larger ones are never kept */
#define KEEP_BYTES ((size_t)64 << 20)      /* the default queue's limit */

static size_t capacity(const BYTE *b) { return *(const size_t *)(const void *)b; }

void ca_bufpool_init(ca_bufpool *b) {
  int i;
  atomic_init(&b->cached, 0);
  for (i = 0; i < CA_BUFPOOL_SLOTS; i++) atomic_init(&b->slot[i], NULL);
}

BYTE *ca_bufpool_alloc(ca_bufpool *b, size_t len) {
  int i;
  size_t *h;
  if (atomic_load_explicit(&b->cached, memory_order_relaxed) >= len)
    for (i = 0; i < CA_BUFPOOL_SLOTS; i++) {
      BYTE *p = atomic_load_explicit(&b->slot[i], memory_order_relaxed);
      if (p != NULL && capacity(p) >= len &&
          atomic_compare_exchange_strong(&b->slot[i], &p, NULL)) {
        atomic_fetch_sub(&b->cached, capacity(p));
        return p + HEAD;
      }
    }
  h = ca_malloc(HEAD + len);
  if (h == NULL) return NULL;
  *h = len;
  return (BYTE *)h + HEAD;
}

void ca_bufpool_free(BYTE *data) {
  if (data != NULL) free(data - HEAD);
}

void ca_bufpool_recycle(ca_bufpool *b, BYTE *data) {
  BYTE *p = data - HEAD;
  size_t size = capacity(p);
  int i;
  /* only the consumer adds, so the sum stays within KEEP_BYTES */
  if (size <= KEEP_MAX &&
      atomic_load_explicit(&b->cached, memory_order_relaxed) + size <=
          KEEP_BYTES)
    for (i = 0; i < CA_BUFPOOL_SLOTS; i++) {
      BYTE *expected = NULL;
      if (atomic_load_explicit(&b->slot[i], memory_order_relaxed) == NULL &&
          atomic_compare_exchange_strong(&b->slot[i], &expected, p)) {
        atomic_fetch_add(&b->cached, size);
        return;
      }
    }
  free(p);
}

void ca_bufpool_trim(ca_bufpool *b, int from) {
  int i;
  if (atomic_load_explicit(&b->cached, memory_order_relaxed) == 0) return;
  for (i = from; i < CA_BUFPOOL_SLOTS; i++) {
    BYTE *p = atomic_exchange(&b->slot[i], NULL);
    if (p != NULL) {
      atomic_fetch_sub(&b->cached, capacity(p));
      free(p);
    }
  }
}
