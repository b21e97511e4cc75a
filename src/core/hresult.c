/*
** hresult.c: lookups over hresult_table.h. Two sorted indexes (by value,
** primary names only; by name, every name) are built once on first use,
** so lookups are binary searches whatever thread asks.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "hresult.h"
#include "platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const ca_hr_entry table[] = {
#define CA_HR(n, v, m) { #n, (uint32_t)(v), m, 0, 0 },
#define CA_HR_WIN32(n, c, m) \
  { "HRESULT_FROM_WIN32_" #n, (uint32_t)WPF_HRESULT_FROM_WIN32(c), m, c, 1 },
#define CA_HR_COM_WIN32(com, n, c, m) \
  { #com, (uint32_t)WPF_HRESULT_FROM_WIN32(c), m, c, 1 }, \
  { "HRESULT_FROM_WIN32_" #n, (uint32_t)WPF_HRESULT_FROM_WIN32(c), NULL, c, 1 },
#include "hresult_table.h"
#undef CA_HR
#undef CA_HR_WIN32
#undef CA_HR_COM_WIN32
};

static const struct { unsigned code; const char *name; } facilities[] = {
#define CA_FACILITY(c, n) { c, #n },
#include "hresult_table.h"
#undef CA_FACILITY
};

#define NTABLE (sizeof table / sizeof table[0])

static const ca_hr_entry *by_value[NTABLE];
static size_t nby_value;
static const ca_hr_entry *by_name[NTABLE];
static ca_once index_once = CA_ONCE_INIT;

static int cmp_value(const void *a, const void *b) {
  uint32_t x = (*(const ca_hr_entry *const *)a)->value;
  uint32_t y = (*(const ca_hr_entry *const *)b)->value;
  return (x > y) - (x < y);
}

static int cmp_name(const void *a, const void *b) {
  return strcmp((*(const ca_hr_entry *const *)a)->name,
                (*(const ca_hr_entry *const *)b)->name);
}

static void build_index(void) {
  size_t i;
  for (i = 0; i < NTABLE; i++) {
    by_name[i] = &table[i];
    if (table[i].message != NULL) by_value[nby_value++] = &table[i];
  }
  qsort(by_value, nby_value, sizeof by_value[0], cmp_value);
  qsort(by_name, NTABLE, sizeof by_name[0], cmp_name);
}

const ca_hr_entry *ca_hr_table(size_t *n) {
  *n = NTABLE;
  return table;
}

const ca_hr_entry *ca_hr_by_value(uint32_t value) {
  size_t lo = 0, hi;
  ca_call_once(&index_once, build_index);
  hi = nby_value;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    uint32_t v = by_value[mid]->value;
    if (v == value) return by_value[mid];
    if (v < value) lo = mid + 1; else hi = mid;
  }
  return NULL;
}

const ca_hr_entry *ca_hr_by_name(const char *name, size_t len) {
  size_t lo = 0, hi = NTABLE;
  ca_call_once(&index_once, build_index);
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const char *n = by_name[mid]->name;
    size_t nlen = strlen(n);
    /* memcmp, not strncmp: name is counted and may hold NUL bytes */
    int c = memcmp(n, name, nlen < len ? nlen : len);
    if (c == 0) c = (nlen > len) - (nlen < len);
    if (c == 0) return by_name[mid];
    if (c < 0) lo = mid + 1; else hi = mid;
  }
  return NULL;
}

const char *ca_hr_facility_name(unsigned facility) {
  size_t i;
  for (i = 0; i < sizeof facilities / sizeof facilities[0]; i++)
    if (facilities[i].code == facility) return facilities[i].name;
  return NULL;
}

void ca_hr_describe(uint32_t value, char *buf, size_t size) {
  const ca_hr_entry *e = ca_hr_by_value(value);
  unsigned facility = (value >> 16) & 0x7FF;
  const char *fname;
  if (e != NULL) {
    snprintf(buf, size, "%s", e->message);
    return;
  }
  fname = ca_hr_facility_name(facility);
  if (fname != NULL)
    snprintf(buf, size, "%s%s, facility %s, code %u",
             (value & 0x80000000u) ? "failure" : "success",
             (value & 0x20000000u) ? " (customer-defined)" : "",
             fname, (unsigned)(value & 0xFFFF));
  else
    snprintf(buf, size, "%s%s, facility %u, code %u",
             (value & 0x80000000u) ? "failure" : "success",
             (value & 0x20000000u) ? " (customer-defined)" : "",
             facility, (unsigned)(value & 0xFFFF));
}

/* Hex ("0x" and at most eight digits) or decimal, whole text, in 32 bits. */
static int parse_number(const char *s, size_t len, uint32_t *out) {
  uint64_t v = 0;
  size_t i = 0;
  unsigned base = 10;
  if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    if (len > 10) return -1;
    base = 16;
    i = 2;
  }
  if (i == len) return -1;
  for (; i < len; i++) {
    char c = s[i];
    int d = (c >= '0' && c <= '9') ? c - '0'
          : (base == 16 && c >= 'a' && c <= 'f') ? c - 'a' + 10
          : (base == 16 && c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
    if (d < 0) return -1;
    v = v * base + (uint64_t)d;
    if (v > 0xFFFFFFFFu) return -1;
  }
  *out = (uint32_t)v;
  return 0;
}

int ca_hr_win32_parse(const char *s, size_t len, uint32_t *code) {
  static const char prefix[] = "HRESULT_FROM_WIN32_";
  char name[96];
  const ca_hr_entry *e;
  if ((len == 13 && memcmp(s, "ERROR_SUCCESS", 13) == 0) ||
      (len == 8 && memcmp(s, "NO_ERROR", 8) == 0)) {
    *code = 0;
    return 0;
  }
  if (parse_number(s, len, code) == 0) return 0;
  if (len + sizeof prefix > sizeof name || memchr(s, '\0', len) != NULL) return -1;
  memcpy(name, prefix, sizeof prefix - 1);
  memcpy(name + sizeof prefix - 1, s, len);
  e = ca_hr_by_name(name, sizeof prefix - 1 + len);
  if (e == NULL || !e->is_win32) return -1;
  *code = e->win32;
  return 0;
}

/* "HRESULT_FROM_WIN32(ERROR_NOT_FOUND)" or "HRESULT_FROM_WIN32(1168)". */
static int parse_macro(const char *s, size_t len, uint32_t *out) {
  static const char open[] = "HRESULT_FROM_WIN32(";
  size_t n = sizeof open - 1;
  uint32_t code;
  if (len <= n + 1 || memcmp(s, open, n) != 0 || s[len - 1] != ')') return -1;
  s += n;
  len -= n + 1;
  while (len > 0 && s[0] == ' ') s++, len--;
  while (len > 0 && s[len - 1] == ' ') len--;
  if (ca_hr_win32_parse(s, len, &code) != 0) return -1;
  *out = (uint32_t)WPF_HRESULT_FROM_WIN32(code);
  return 0;
}

int ca_hr_parse(const char *s, size_t len, uint32_t *out) {
  const ca_hr_entry *e = ca_hr_by_name(s, len);
  if (e != NULL) {
    *out = e->value;
    return 0;
  }
  if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
    return parse_number(s, len, out);
  return parse_macro(s, len, out);
}

size_t ca_hr_names(uint32_t value, const ca_hr_entry **out, size_t max) {
  size_t n, i, k = 0;
  const ca_hr_entry *t = ca_hr_table(&n);
  for (i = 0; i < n && k < max; i++)
    if (t[i].value == value) out[k++] = &t[i];
  return k;
}
