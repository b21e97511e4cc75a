/*
** intrange.c: the integer rule of intrange.h. A float is accepted only
** when it is integral and inside the range, compared as a double before
** any conversion (converting an out-of-range double to int64 is
** undefined). Ranges print in decimal, the bounds a user would type.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "intrange.h"

#include <stdarg.h>
#include <stdio.h>

const ca_intrange ca_range_max_response = {"max_response", 0, 0xFFFFFFFF};
const ca_intrange ca_range_max_queued = {"max_queued", 1, CA_COUNT_MAX};
const ca_intrange ca_range_max_queued_bytes = {"max_queued_bytes", 1,
                                               CA_COUNT_MAX};
const ca_intrange ca_range_block_ms = {"block_ms", 0, CA_MS_MAX};
const ca_intrange ca_range_dispatch_max = {"max", 0, CA_COUNT_MAX};
const ca_intrange ca_range_report_size = {"size", 0, 0xFFFFFFFF};
const ca_intrange ca_range_dword_id = {"id", 0, 0xFFFFFFFF};
const ca_intrange ca_range_hresult = {"HRESULT", -INT64_C(0x80000000),
                                      0xFFFFFFFF};

int ca_fail(ca_err *e, const char *fmt, ...) {
  va_list ap;
  if (e == NULL) return -1;
  va_start(ap, fmt);
  vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  va_end(ap);
  return -1;
}

static void show(ca_number v, char *buf, size_t cap) {
  if (v.other) snprintf(buf, cap, "a %s", v.other);
  else if (v.is_int) snprintf(buf, cap, "%lld", (long long)v.i);
  else if (v.d != v.d) snprintf(buf, cap, "nan");
  else if (v.d > 1e308 || v.d < -1e308)
    snprintf(buf, cap, v.d > 0 ? "inf" : "-inf");
  else snprintf(buf, cap, "%.17g", v.d);
}

int ca_intrange_check(const ca_intrange *r, ca_number v, int64_t *out,
                      ca_err *e) {
  int ok;
  char got[40];
  if (v.other) {
    ok = 0;
  } else if (v.is_int) {
    ok = v.i >= r->min && v.i <= r->max;
  } else {
    /* NaN fails every comparison; the bounds as doubles may round
       outward, so the exact check follows the conversion, which the
       first test keeps defined */
    ok = v.d >= -9223372036854775808.0 && v.d < 9223372036854775808.0 &&
         v.d >= (double)r->min && v.d <= (double)r->max;
    if (ok) {
      v.i = (int64_t)v.d;
      ok = (double)v.i == v.d && v.i >= r->min && v.i <= r->max;
    }
  }
  if (ok) {
    *out = v.i;
    return 0;
  }
  show(v, got, sizeof got);
  return ca_fail(e, "'%s' must be an integer in %lld..%lld (got %s)", r->name,
                 (long long)r->min, (long long)r->max, got);
}

int ca_seconds_check(const char *name, ca_number v, int64_t *ms, ca_err *e) {
  double s = v.is_int ? (double)v.i : v.d;
  char got[40];
  if (v.other == NULL && s >= 0 && s <= (double)(CA_MS_MAX / 1000)) {
    double t = s * 1000.0;
    *ms = (int64_t)t;
    if ((double)*ms < t) ++*ms;   /* rounded up: a wait never ends early */
    return 0;
  }
  show(v, got, sizeof got);
  return ca_fail(e, "'%s' must be a number of seconds in 0..%lld (got %s)",
                 name, (long long)(CA_MS_MAX / 1000), got);
}
