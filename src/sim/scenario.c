/*
** scenario.c: scenarios as data, with their defaults, limits and checks.
** Every integer goes through the rule of intrange.h with the ranges
** below; strings are taken with their length, so an embedded NUL is
** either kept (payloads, formats) or refused by name, never a silent cut.
** Payloads are re-encoded to UTF-16LE once, when the scenario is finished,
** so the order in which a caller sets encoding and payload is free.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "alloc.h"
#include "sim.h"

#include <stdio.h>

#include "callback.h"
#include "utf16.h"

const char *const ca_scenario_fields[] = {
  "every", "count", "delay", "status", "payload", "format", "echo",
  "encoding", "faults", NULL
};
const char *const ca_scenario_int_names[CA_SC_NINTS] = {
  "every", "count", "delay"
};
const char *const ca_fault_names[CA_NFAULTS] = {
  "null_buffer", "oversized", "duplicate_final", "after_final",
  "foreign_thread", "early_release", "never_release", "jitter",
};
const char *const ca_fault_params[CA_NFPARAMS] = {"at", "size", "ms", "seed"};

static const ca_intrange int_ranges[CA_SC_NINTS] = {
  {"every", 1, CA_MS_MAX},
  {"count", 1, CA_MAX_COUNT},
  {"delay", 0, CA_MS_MAX},
};
static const ca_intrange fault_ranges[CA_NFPARAMS] = {
  {"at", 1, CA_MAX_COUNT},
  {"size", 1, 0x7FFFFFFF},
  {"ms", 0, CA_MS_MAX},
  {"seed", INT64_MIN, INT64_MAX},
};

ca_scenario *ca_scenario_new(void) {
  ca_scenario *sc = ca_calloc(1, sizeof *sc);
  if (sc == NULL) return NULL;
  sc->every = -1;
  sc->count = 0;
  sc->delay = -1;
  sc->refs = 1;
  return sc;
}

void ca_scenario_free(ca_scenario *sc) {
  int i;
  if (sc == NULL) return;
  for (i = 0; i < sc->npayloads; i++) free(sc->payloads[i]);
  free(sc->payloads);
  free(sc->lens);
  free(sc->format);
  free(sc->faults);
  free(sc);
}

void ca_sc_unref(ca_scenario *sc) {
  if (--sc->refs == 0) ca_scenario_free(sc);
}

const ca_fault *ca_sc_fault(const ca_scenario *sc, enum ca_fault_kind kind) {
  int i;
  for (i = 0; i < sc->nfaults; i++)
    if (sc->faults[i].kind == kind) return &sc->faults[i];
  return NULL;
}

int ca_sc_fault_at(const ca_scenario *sc, enum ca_fault_kind kind,
                   int64_t k, int64_t default_k) {
  const ca_fault *f = ca_sc_fault(sc, kind);
  return f != NULL && k == (f->at > 0 ? f->at : default_k);
}

int ca_scenario_set_int(ca_scenario *sc, enum ca_scenario_int which,
                        ca_number v, ca_err *e) {
  int64_t x;
  if (ca_intrange_check(&int_ranges[which], v, &x, e) != 0) return -1;
  if (which == CA_SC_EVERY) sc->every = x;
  else if (which == CA_SC_COUNT) sc->count = x;
  else sc->delay = x;
  return 0;
}

void ca_scenario_set_status(ca_scenario *sc, HRESULT status) {
  sc->status = status;
}

int ca_scenario_set_encoding(ca_scenario *sc, const char *name, size_t len,
                             ca_err *e) {
  if (len == 4 && memcmp(name, "utf8", 4) == 0) sc->utf16 = 0;
  else if (len == 5 && memcmp(name, "utf16", 5) == 0) sc->utf16 = 1;
  else return ca_fail(e, "'encoding' must be \"utf8\" or \"utf16\"");
  return 0;
}

static char *copy_bytes(const char *s, size_t len) {
  char *c = ca_malloc(len + 1);
  if (c == NULL) return NULL;
  if (len > 0) memcpy(c, s, len);
  c[len] = '\0';
  return c;
}

int ca_scenario_add_payload(ca_scenario *sc, const char *s, size_t len,
                            ca_err *e) {
  size_t n = (size_t)sc->npayloads + 1;
  char **p;
  size_t *l;
  char *c;
  if (len > CA_DEFAULT_MAX_RESPONSE)
    return ca_fail(e, "'payload' item %d must be at most %lu bytes", (int)n,
                   (unsigned long)CA_DEFAULT_MAX_RESPONSE);
  p = ca_realloc(sc->payloads, n * sizeof *p);
  if (p == NULL) return ca_fail(e, "not enough memory");
  sc->payloads = p;
  l = ca_realloc(sc->lens, n * sizeof *l);
  if (l == NULL) return ca_fail(e, "not enough memory");
  sc->lens = l;
  c = copy_bytes(s, len);
  if (c == NULL) return ca_fail(e, "not enough memory");
  p[n - 1] = c;
  l[n - 1] = len;
  sc->npayloads = (int)n;
  return 0;
}

int ca_scenario_set_format(ca_scenario *sc, const char *f, size_t len,
                           ca_err *e) {
  size_t i;
  char *c;
  if (len > CA_MAX_FORMAT)
    return ca_fail(e, "'format' must be at most %lu bytes",
                   (unsigned long)CA_MAX_FORMAT);
  for (i = 0; i < len; i++)
    if (f[i] == '%') {
      if (i + 1 == len || (f[i + 1] != 'd' && f[i + 1] != '%'))
        return ca_fail(e, "'format' may hold only %%d (the response number) "
                       "and %%%% (at byte %lu)", (unsigned long)i + 1);
      i++;
    }
  c = copy_bytes(f, len);
  if (c == NULL) return ca_fail(e, "not enough memory");
  free(sc->format);
  sc->format = c;
  sc->format_len = len;
  return 0;
}

void ca_scenario_set_echo(ca_scenario *sc, int on) { sc->echo = on != 0; }

int ca_scenario_add_fault(ca_scenario *sc, const char *name, size_t len,
                          ca_err *e) {
  int k;
  ca_fault *f;
  for (k = 0; k < CA_NFAULTS; k++)
    if (strlen(ca_fault_names[k]) == len &&
        memcmp(name, ca_fault_names[k], len) == 0) break;
  if (k == CA_NFAULTS)
    return ca_fail(e, "'faults' item %d names an unknown fault '%.*s' "
                   "(expected null_buffer, oversized, duplicate_final, "
                   "after_final, foreign_thread, early_release, "
                   "never_release, jitter)", sc->nfaults + 1,
                   (int)(len > 40 ? 40 : len), name);
  f = ca_realloc(sc->faults, ((size_t)sc->nfaults + 1) * sizeof *f);
  if (f == NULL) return ca_fail(e, "not enough memory");
  sc->faults = f;
  f = &sc->faults[sc->nfaults];
  memset(f, 0, sizeof *f);
  f->kind = (enum ca_fault_kind)k;
  f->size = CA_DEFAULT_MAX_RESPONSE + 1;
  if (k == CA_FAULT_JITTER) f->ms = 5;
  return sc->nfaults++;
}

int ca_scenario_set_fault(ca_scenario *sc, int index,
                          enum ca_fault_param which, ca_number v, ca_err *e) {
  ca_fault *f = &sc->faults[index];
  int64_t x;
  if (ca_intrange_check(&fault_ranges[which], v, &x, e) != 0) return -1;
  switch (which) {
    case CA_FP_AT: f->at = x; break;
    case CA_FP_SIZE: f->size = (uint32_t)x; break;
    case CA_FP_MS: f->ms = x; break;
    default: f->seed = (uint64_t)x; break;
  }
  return 0;
}

static int encode_payloads(ca_scenario *sc, ca_err *e) {
  int i;
  for (i = 0; i < sc->npayloads; i++) {
    WCHAR *w;
    size_t n, where;
    char *le;
    int r = ca_utf8_to_utf16(sc->payloads[i], sc->lens[i], 1, &w, &n, &where);
    if (r == CA_UTF_NOMEM) return ca_fail(e, "not enough memory");
    if (r != CA_UTF_OK)
      return ca_fail(e, "'payload' item %d: %s at byte %lu", i + 1,
                     ca_utf_error(r), (unsigned long)where + 1);
    le = ca_malloc(n * 2 + 1);
    if (le == NULL) { free(w); return ca_fail(e, "not enough memory"); }
    ca_utf16_to_le(w, n, le);
    free(w);
    free(sc->payloads[i]);
    sc->payloads[i] = le;
    sc->lens[i] = n * 2;
  }
  return 0;
}

int ca_scenario_finish(ca_scenario *sc, ca_err *e) {
  if (sc->finished) return 0;
  if ((sc->format != NULL) + sc->echo + (sc->npayloads > 0) > 1)
    return ca_fail(e, "'payload', 'format' and 'echo' exclude each other");
  if (sc->every < 0 && ca_sc_fault(sc, CA_FAULT_JITTER) != NULL)
    return ca_fail(e, "'faults': jitter needs 'every'");
  if (sc->utf16 && encode_payloads(sc, e) != 0) return -1;
  if (sc->utf16 && sc->format != NULL) {
    /* '%' is ASCII, so a valid format stays valid with numbers in it */
    size_t units, where;
    int r = ca_utf8_measure(sc->format, sc->format_len, 1, &units, &where);
    if (r != CA_UTF_OK)
      return ca_fail(e, "'format': %s at byte %lu", ca_utf_error(r),
                     (unsigned long)where + 1);
  }
  /* a stream (every set) runs until unregistered; otherwise one answer */
  if (sc->count == 0) sc->count = sc->every > 0 ? -1 : 1;
  if (sc->delay < 0) sc->delay = sc->every > 0 ? sc->every : 0;
  sc->finished = 1;
  return 0;
}
