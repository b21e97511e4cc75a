/*
** intrange.h: the one rule for every integer that crosses into the core
** from a caller (Lua options, scenario fields, clock arguments, limits,
** sizes). The caller hands over the number as it got it, integer or
** float; the core accepts it only when it is an integer (a float with an
** integral value counts) inside the field's documented range, and
** otherwise fills in one message that names the field and the range.
** Nothing is wrapped or silently clamped: the ranges are chosen so that
** the arithmetic the core does with an accepted value cannot overflow.
*/
#ifndef CA_INTRANGE_H
#define CA_INTRANGE_H

#include <stddef.h>
#include <stdint.h>
#include "visibility.h"
CA_HIDDEN_BEGIN

/* A number as the caller had it. */
typedef struct ca_number {
  int is_int;       /* 1: i holds it; 0: d does */
  int64_t i;
  double d;
  const char *other;  /* not a number at all: its type's name */
} ca_number;

/* A field's name (as the caller spells it) and its inclusive range. */
typedef struct ca_intrange {
  const char *name;
  int64_t min, max;
} ca_intrange;

/* An error message, filled in by the checks of the core. */
typedef struct ca_err {
  char msg[200];
} ca_err;

/* Milliseconds: any duration, delay or timeout (10^12 ms, about 31
   years; time arithmetic on them cannot overflow an int64 of ns). */
#define CA_MS_MAX INT64_C(1000000000000)
/* Counts and sizes: exactly representable in a double. */
#define CA_COUNT_MAX (INT64_C(1) << 53)

static inline ca_number ca_int(int64_t i) {
  ca_number n = {1, i, 0.0, NULL};
  return n;
}
static inline ca_number ca_float(double d) {
  ca_number n = {0, 0, d, NULL};
  return n;
}
static inline ca_number ca_other(const char *type) {
  ca_number n = {0, 0, 0.0, type};
  return n;
}

/* The core's Lua-facing limits outside the simulator (which keeps its
   own next to its fields): callback and queue options, dispatch counts,
   report sizes. */
extern const ca_intrange ca_range_max_response;     /* 0..0xFFFFFFFF */
extern const ca_intrange ca_range_max_queued;       /* 1..2^53 */
extern const ca_intrange ca_range_max_queued_bytes; /* 1..2^53 */
extern const ca_intrange ca_range_block_ms;         /* 0..CA_MS_MAX */
extern const ca_intrange ca_range_dispatch_max;     /* 0..2^53 */
extern const ca_intrange ca_range_report_size;      /* 0..0xFFFFFFFF */
/* an interface id (a DWORD) */
extern const ca_intrange ca_range_dword_id;  /* 0..0xFFFFFFFF */
/* an HRESULT given as a number: signed or unsigned 32-bit */
extern const ca_intrange ca_range_hresult;  /* -0x80000000..0xFFFFFFFF */

/* 0 and *out set, or -1 and e filled: "NAME must be an integer in
   MIN..MAX (got VALUE)", the name quoted. e may be NULL. */
int ca_intrange_check(const ca_intrange *r, ca_number v, int64_t *out,
                      ca_err *e);

/* A timeout in seconds (fractions allowed) as whole milliseconds,
   rounded up: 0..CA_MS_MAX/1000 s; NaN and infinities are refused. */
int ca_seconds_check(const char *name, ca_number v, int64_t *ms, ca_err *e);

/* Fills e with a formatted message; returns -1 (for "return ca_fail(...)"). */
int ca_fail(ca_err *e, const char *fmt, ...) CA_PRINTF_LIKE(2, 3);

CA_HIDDEN_END
#endif
