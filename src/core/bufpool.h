/*
** bufpool.h: large payload buffers a producing thread's ring hands out and
** its consumer hands back for reuse. Freed instead, the allocator trims
** them and the producer faults fresh pages in for every payload (perf
** stat -e page-faults on bench_cross one cross 1048576 N). A pool keeps up
** to CA_BUFPOOL_SLOTS buffers and CA_BUFPOOL_BYTES; its owner trims it to
** CA_BUFPOOL_IDLE once the thread goes quiet. One thread takes, another
** gives back: each slot is one atomic pointer, so either side may trim.
*/
#ifndef CA_BUFPOOL_H
#define CA_BUFPOOL_H

#include "atomics.h"
#include <stddef.h>
#include "wpf.h"
#include "visibility.h"
CA_HIDDEN_BEGIN

#define CA_BUFPOOL_SLOTS 64
#define CA_BUFPOOL_IDLE 4

typedef struct ca_bufpool {
  ca_atomic_size cached;      /* bytes in the slots */
  ca_atomic_ptr slot[CA_BUFPOOL_SLOTS];
} ca_bufpool;

void ca_bufpool_init(ca_bufpool *b);
/* A buffer of at least len bytes, reused when one fits; NULL when out of
   memory. */
BYTE *ca_bufpool_alloc(ca_bufpool *b, size_t len);
/* Back to the pool when there is room, else freed. */
void ca_bufpool_recycle(ca_bufpool *b, BYTE *data);
/* Frees a buffer that never went through the pool's consumer (NULL ok). */
void ca_bufpool_free(BYTE *data);
/* Frees what the slots from `from` on hold. */
void ca_bufpool_trim(ca_bufpool *b, int from);

CA_HIDDEN_END
#endif
