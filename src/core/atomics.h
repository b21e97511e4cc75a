/*
** atomics.h: the atomic variables the sources share between threads, and
** the operations on them, with the memory orders each call site needs.
** Two implementations of one typed interface: C11's <stdatomic.h> where
** the compiler has it (the orders passed through unchanged, so the code is
** what the same call written in C11 would give), and the Interlocked
** intrinsics of <intrin.h> with MSVC, whose C compiler has <stdatomic.h>
** only under /std:c11 /experimental:c11atomics. -DCA_ATOMICS_INTERLOCKED
** forces the second on mingw-w64, which has the same intrinsics: that is
** how the build tests it. Every Interlocked operation is a full barrier,
** at least as strong as any order asked for; only relaxed loads and stores
** are plain volatile accesses, where those are one access.
** The types are structs on that path, so that a plain read or write of an
** atomic variable does not compile there. windows.h stays out, as in
** platform.h.
*/
#ifndef CA_ATOMICS_H
#define CA_ATOMICS_H

#include <stddef.h>
#include <stdint.h>
#include "visibility.h"

#if defined(_MSC_VER) && !defined(__clang__) && !defined(CA_ATOMICS_INTERLOCKED)
#define CA_ATOMICS_INTERLOCKED
#endif

#ifndef CA_ATOMICS_INTERLOCKED  /* ---- C11 ------------------------------ */
#include <stdatomic.h>

typedef memory_order ca_memory_order;
#define CA_RELAXED memory_order_relaxed
#define CA_ACQUIRE memory_order_acquire
#define CA_RELEASE memory_order_release
#define CA_ACQ_REL memory_order_acq_rel
#define CA_SEQ_CST memory_order_seq_cst

typedef atomic_int ca_atomic_int;
typedef atomic_uint ca_atomic_uint;
typedef _Atomic(int64_t) ca_atomic_i64;
typedef _Atomic(uint64_t) ca_atomic_u64;
typedef atomic_size_t ca_atomic_size;
typedef _Atomic(void *) ca_atomic_ptr;
/* The initialiser of a static atomic variable. */
#define CA_ATOMIC_VAR(v) (v)

/* The functions are forced inline so that the order is a constant where
   the C11 operation expands, at -O1 too (a variable order is seq_cst). */
#define CA_ATOMIC_COMMON(NAME, V)                                              \
  static CA_ALWAYS_INLINE void ca_atomic_init_##NAME(ca_atomic_##NAME *a,      \
                                                     V v) {                    \
    atomic_init(a, v);                                                         \
  }                                                                            \
  static CA_ALWAYS_INLINE V ca_atomic_load_##NAME(const ca_atomic_##NAME *a,   \
                                                  ca_memory_order mo) {        \
    return atomic_load_explicit((ca_atomic_##NAME *)a, mo);                    \
  }                                                                            \
  static CA_ALWAYS_INLINE void ca_atomic_store_##NAME(ca_atomic_##NAME *a,     \
                                                      V v,                     \
                                                      ca_memory_order mo) {    \
    atomic_store_explicit(a, v, mo);                                           \
  }                                                                            \
  static CA_ALWAYS_INLINE V ca_atomic_exchange_##NAME(ca_atomic_##NAME *a,     \
                                                      V v) {                   \
    return atomic_exchange(a, v);                                              \
  }                                                                            \
  /* strong, seq_cst; on failure *expected is the value found */              \
  static CA_ALWAYS_INLINE int ca_atomic_cas_##NAME(ca_atomic_##NAME *a,        \
                                                   V *expected, V desired) {   \
    return atomic_compare_exchange_strong(a, expected, desired);               \
  }
#define CA_ATOMIC_ARITH(NAME, V)                                               \
  CA_ATOMIC_COMMON(NAME, V)                                                    \
  static CA_ALWAYS_INLINE V ca_atomic_fetch_add_##NAME(ca_atomic_##NAME *a,    \
                                                       V v,                    \
                                                       ca_memory_order mo) {   \
    return atomic_fetch_add_explicit(a, v, mo);                                \
  }                                                                            \
  static CA_ALWAYS_INLINE V ca_atomic_fetch_sub_##NAME(ca_atomic_##NAME *a,    \
                                                       V v,                    \
                                                       ca_memory_order mo) {   \
    return atomic_fetch_sub_explicit(a, v, mo);                                \
  }

static CA_ALWAYS_INLINE void ca_atomic_fence(void) {
  atomic_thread_fence(memory_order_seq_cst);
}

#else  /* ---- Interlocked ----------------------------------------------- */
#include <intrin.h>

typedef enum ca_memory_order {
  CA_RELAXED, CA_ACQUIRE, CA_RELEASE, CA_ACQ_REL, CA_SEQ_CST
} ca_memory_order;

/* long is 32 bits on Windows; the 64-bit ones are 8-aligned on x86 too. */
typedef struct ca_atomic_int { volatile long v; } ca_atomic_int;
typedef struct ca_atomic_uint { volatile long v; } ca_atomic_uint;
typedef struct ca_atomic_i64 { CA_ALIGNAS(8) volatile __int64 v; } ca_atomic_i64;
typedef struct ca_atomic_u64 { CA_ALIGNAS(8) volatile __int64 v; } ca_atomic_u64;
/* what the intrinsics take, as names (a macro's text "volatile S *"
   would misplace the qualifier of a pointer type) */
typedef void *ca_il_ptr;
#ifdef _WIN64
typedef __int64 ca_il_size;
#define CA_SIZE_OP(op) op##64
#define ca_ilp_exchange _InterlockedExchangePointer
#define ca_ilp_cas _InterlockedCompareExchangePointer
#else  /* a pointer is a long: the long intrinsics, which every target has */
typedef long ca_il_size;
#define CA_SIZE_OP(op) op
static CA_ALWAYS_INLINE void *ca_ilp_exchange(volatile ca_il_ptr *p, void *v) {
  return (void *)_InterlockedExchange((volatile long *)p, (long)v);
}
static CA_ALWAYS_INLINE void *ca_ilp_cas(volatile ca_il_ptr *p, void *v,
                                         void *old) {
  return (void *)_InterlockedCompareExchange((volatile long *)p, (long)v,
                                             (long)old);
}
#endif
typedef struct ca_atomic_size { volatile ca_il_size v; } ca_atomic_size;
typedef struct ca_atomic_ptr { volatile ca_il_ptr v; } ca_atomic_ptr;
#define CA_ATOMIC_VAR(v) {(v)}

/* 64-bit operations on 32-bit x86 have only the compare-exchange
   (cmpxchg8b): the others are built on it, and so are 64-bit loads and
   stores, which a volatile access would split in two. */
#ifdef _WIN64
#define ca_il64_exchange _InterlockedExchange64
#define ca_il64_add _InterlockedExchangeAdd64
static CA_ALWAYS_INLINE __int64 ca_il64_load(volatile __int64 *p) { return *p; }
static CA_ALWAYS_INLINE void ca_il64_store(volatile __int64 *p, __int64 v) {
  *p = v;
}
#else
static CA_ALWAYS_INLINE __int64 ca_il64_load(volatile __int64 *p) {
  return _InterlockedCompareExchange64(p, 0, 0);
}
static CA_ALWAYS_INLINE __int64 ca_il64_exchange(volatile __int64 *p,
                                                 __int64 v) {
  __int64 old = *p, seen;
  while ((seen = _InterlockedCompareExchange64(p, v, old)) != old) old = seen;
  return old;
}
static CA_ALWAYS_INLINE __int64 ca_il64_add(volatile __int64 *p, __int64 v) {
  __int64 old = *p, seen;
  while ((seen = _InterlockedCompareExchange64(p, old + v, old)) != old)
    old = seen;
  return old;
}
static CA_ALWAYS_INLINE void ca_il64_store(volatile __int64 *p, __int64 v) {
  ca_il64_exchange(p, v);
}
#endif

/* NAME, value type V, storage type S, and the intrinsics: exchange,
   compare-exchange, add, and the relaxed load and store (volatile accesses
   where those are one access). */
#define CA_ATOMIC_COMMON(NAME, V, S, XCHG, CAS, LOAD, STORE)                   \
  static CA_ALWAYS_INLINE void ca_atomic_init_##NAME(ca_atomic_##NAME *a,      \
                                                     V v) {                    \
    a->v = (S)v;                                                               \
  }                                                                            \
  static CA_ALWAYS_INLINE V ca_atomic_load_##NAME(const ca_atomic_##NAME *a,   \
                                                  ca_memory_order mo) {        \
    volatile S *p = (volatile S *)&a->v;                                       \
    return (V)(mo == CA_RELAXED ? LOAD(p) : CAS(p, (S)0, (S)0));               \
  }                                                                            \
  static CA_ALWAYS_INLINE void ca_atomic_store_##NAME(ca_atomic_##NAME *a,     \
                                                      V v,                     \
                                                      ca_memory_order mo) {    \
    if (mo == CA_RELAXED)                                                      \
      STORE(&a->v, (S)v);                                                      \
    else                                                                       \
      XCHG(&a->v, (S)v);                                                       \
  }                                                                            \
  static CA_ALWAYS_INLINE V ca_atomic_exchange_##NAME(ca_atomic_##NAME *a,     \
                                                      V v) {                   \
    return (V)XCHG(&a->v, (S)v);                                               \
  }                                                                            \
  static CA_ALWAYS_INLINE int ca_atomic_cas_##NAME(ca_atomic_##NAME *a,        \
                                                   V *expected, V desired) {   \
    S seen = CAS(&a->v, (S)desired, (S)*expected);                             \
    if (seen == (S)*expected) return 1;                                        \
    *expected = (V)seen;                                                       \
    return 0;                                                                  \
  }
#define CA_ATOMIC_ARITH(NAME, V, S, XCHG, CAS, LOAD, STORE, ADD)               \
  CA_ATOMIC_COMMON(NAME, V, S, XCHG, CAS, LOAD, STORE)                         \
  static CA_ALWAYS_INLINE V ca_atomic_fetch_add_##NAME(ca_atomic_##NAME *a,    \
                                                       V v,                    \
                                                       ca_memory_order mo) {   \
    (void)mo;                                                                  \
    return (V)ADD(&a->v, (S)v);                                                \
  }                                                                            \
  static CA_ALWAYS_INLINE V ca_atomic_fetch_sub_##NAME(ca_atomic_##NAME *a,    \
                                                       V v,                    \
                                                       ca_memory_order mo) {   \
    (void)mo;                                                                  \
    return (V)ADD(&a->v, (S)(0 - v));                                          \
  }
#define CA_VOLATILE_READ(p) (*(p))
#define CA_VOLATILE_WRITE(p, v) ((void)(*(p) = (v)))

/* A seq_cst fence: any Interlocked operation is one. */
static CA_ALWAYS_INLINE void ca_atomic_fence(void) {
  static volatile long fence;
  _InterlockedExchange(&fence, 0);
}
#endif

#ifndef CA_ATOMICS_INTERLOCKED
CA_ATOMIC_ARITH(int, int)
CA_ATOMIC_ARITH(uint, unsigned)
CA_ATOMIC_ARITH(i64, int64_t)
CA_ATOMIC_ARITH(u64, uint64_t)
CA_ATOMIC_ARITH(size, size_t)
CA_ATOMIC_COMMON(ptr, void *)
#else
/* cppcheck reads the functions of one expansion as one line, and so takes
   an argument of one (init's NULL) for the same-numbered one of another
   (cas's expected): the suppressions are for that. */
/* cppcheck-suppress ctunullpointer */
CA_ATOMIC_ARITH(int, int, long, _InterlockedExchange,
                _InterlockedCompareExchange, CA_VOLATILE_READ,
                CA_VOLATILE_WRITE, _InterlockedExchangeAdd)
/* cppcheck-suppress ctunullpointer */
CA_ATOMIC_ARITH(uint, unsigned, long, _InterlockedExchange,
                _InterlockedCompareExchange, CA_VOLATILE_READ,
                CA_VOLATILE_WRITE, _InterlockedExchangeAdd)
/* cppcheck-suppress ctunullpointer */
CA_ATOMIC_ARITH(i64, int64_t, __int64, ca_il64_exchange,
                _InterlockedCompareExchange64, ca_il64_load, ca_il64_store,
                ca_il64_add)
/* cppcheck-suppress ctunullpointer */
CA_ATOMIC_ARITH(u64, uint64_t, __int64, ca_il64_exchange,
                _InterlockedCompareExchange64, ca_il64_load, ca_il64_store,
                ca_il64_add)
/* cppcheck-suppress ctunullpointer */
CA_ATOMIC_ARITH(size, size_t, ca_il_size, CA_SIZE_OP(_InterlockedExchange),
                CA_SIZE_OP(_InterlockedCompareExchange), CA_VOLATILE_READ,
                CA_VOLATILE_WRITE, CA_SIZE_OP(_InterlockedExchangeAdd))
/* cppcheck-suppress ctunullpointer */
CA_ATOMIC_COMMON(ptr, void *, ca_il_ptr, ca_ilp_exchange, ca_ilp_cas,
                 CA_VOLATILE_READ, CA_VOLATILE_WRITE)
#endif

#endif
