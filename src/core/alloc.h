/*
** alloc.h: the core's allocation calls. Normal builds call the C library
** directly. A build with CA_ALLOC_HOOK defined routes every allocation
** through ca_alloc_hook first, so the allocation-failure sweep
** (tests/oom_sweep.c) can make any chosen allocation fail.
*/
#ifndef CA_ALLOC_H
#define CA_ALLOC_H

#include <stdlib.h>
#include <string.h>

#include "visibility.h"

#ifdef CA_ALLOC_HOOK
/* Returns nonzero to make the allocation about to happen fail. */
CA_HIDDEN_BEGIN
extern int (*ca_alloc_hook)(void);
CA_HIDDEN_END
#define CA_ALLOC_FAILS() (ca_alloc_hook != NULL && ca_alloc_hook())
#else
#define CA_ALLOC_FAILS() 0
#endif

#define ca_malloc(n) (CA_ALLOC_FAILS() ? NULL : malloc(n))
#define ca_calloc(n, m) (CA_ALLOC_FAILS() ? NULL : calloc(n, m))
#define ca_realloc(p, n) (CA_ALLOC_FAILS() ? NULL : realloc(p, n))
#ifdef _WIN32  /* no aligned_alloc; its blocks need their own free */
#include <malloc.h>
#define ca_aligned_alloc(a, n) (CA_ALLOC_FAILS() ? NULL : _aligned_malloc(n, a))
#define ca_aligned_free(p) _aligned_free(p)
#else
#define ca_aligned_alloc(a, n) (CA_ALLOC_FAILS() ? NULL : aligned_alloc(a, n))
#define ca_aligned_free(p) free(p)
#endif
#define ca_strdup(s) (CA_ALLOC_FAILS() ? NULL : strdup(s))

#endif
