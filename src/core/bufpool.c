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
  ca_atomic_init_size(&b->cached, 0);
  for (i = 0; i < CA_BUFPOOL_SLOTS; i++) ca_atomic_init_ptr(&b->slot[i], NULL);
}

BYTE *ca_bufpool_alloc(ca_bufpool *b, size_t len) {
  int i;
  size_t *h;
  if (ca_atomic_load_size(&b->cached, CA_RELAXED) >= len)
    for (i = 0; i < CA_BUFPOOL_SLOTS; i++) {
      void *p = ca_atomic_load_ptr(&b->slot[i], CA_RELAXED);
      if (p != NULL && capacity(p) >= len &&
          ca_atomic_cas_ptr(&b->slot[i], &p, NULL)) {
        ca_atomic_fetch_sub_size(&b->cached, capacity(p), CA_SEQ_CST);
        return (BYTE *)p + HEAD;
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
      ca_atomic_load_size(&b->cached, CA_RELAXED) + size <=
          KEEP_BYTES)
    for (i = 0; i < CA_BUFPOOL_SLOTS; i++) {
      void *expected = NULL;
      if (ca_atomic_load_ptr(&b->slot[i], CA_RELAXED) == NULL &&
          ca_atomic_cas_ptr(&b->slot[i], &expected, p)) {
        ca_atomic_fetch_add_size(&b->cached, size, CA_SEQ_CST);
        return;
      }
    }
  free(p);
}

void ca_bufpool_trim(ca_bufpool *b, int from) {
  int i;
  if (ca_atomic_load_size(&b->cached, CA_RELAXED) == 0) return;
  for (i = from; i < CA_BUFPOOL_SLOTS; i++) {
    BYTE *p = ca_atomic_exchange_ptr(&b->slot[i], NULL);
    if (p != NULL) {
      ca_atomic_fetch_sub_size(&b->cached, capacity(p), CA_SEQ_CST);
      free(p);
    }
  }
}
