/*
** utf16.c: the two validating conversions. Both make one pass to size
** the output and one to fill it, so no allocation is ever grown.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "alloc.h"
#include "utf16.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ca_utf_error(int code) {
  switch (code) {
    case CA_UTF_OK: return "no error";
    case CA_UTF_NOMEM: return "not enough memory";
    case CA_UTF_BAD_BYTE: return "invalid UTF-8 byte";
    case CA_UTF_TRUNCATED: return "truncated UTF-8 sequence";
    case CA_UTF_OVERLONG: return "overlong UTF-8 sequence";
    case CA_UTF_SURROGATE: return "UTF-16 surrogate encoded in UTF-8";
    case CA_UTF_RANGE: return "code point above U+10FFFF";
    case CA_UTF_UNPAIRED: return "unpaired UTF-16 surrogate";
    case CA_UTF_ODD_LENGTH: return "odd number of bytes for UTF-16";
    case CA_UTF_NUL: return "embedded NUL";
    default: return "unknown error";
  }
}

/* Decodes one code point at s[*i]; advances *i. Returns an error code. */
static int next_cp(const unsigned char *s, size_t len, size_t *i,
                   uint32_t *cp) {
  unsigned char c = s[*i];
  size_t need, k;
  uint32_t v, min;
  if (c < 0x80) { *cp = c; (*i)++; return CA_UTF_OK; }
  if (c >= 0xC2 && c <= 0xDF) { need = 1; v = c & 0x1F; min = 0x80; }
  else if (c >= 0xE0 && c <= 0xEF) { need = 2; v = c & 0x0F; min = 0x800; }
  else if (c >= 0xF0 && c <= 0xF4) { need = 3; v = c & 0x07; min = 0x10000; }
  else if (c == 0xC0 || c == 0xC1) return CA_UTF_OVERLONG;
  else return CA_UTF_BAD_BYTE;
  if (len - *i - 1 < need) return CA_UTF_TRUNCATED;
  for (k = 1; k <= need; k++) {
    unsigned char d = s[*i + k];
    if ((d & 0xC0) != 0x80) return CA_UTF_TRUNCATED;
    v = (v << 6) | (d & 0x3F);
  }
  if (v < min) return CA_UTF_OVERLONG;
  if (v >= 0xD800 && v <= 0xDFFF) return CA_UTF_SURROGATE;
  if (v > 0x10FFFF) return CA_UTF_RANGE;
  *cp = v;
  *i += need + 1;
  return CA_UTF_OK;
}

int ca_utf8_measure(const char *str, size_t len, int nul_ok, size_t *units,
                    size_t *where) {
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0, n = 0;
  uint32_t cp;
  while (i < len) {
    size_t at = i;
    int e = next_cp(s, len, &i, &cp);
    if (e == CA_UTF_OK && cp == 0 && !nul_ok) e = CA_UTF_NUL;
    if (e != CA_UTF_OK) { *where = at; return e; }
    n += cp >= 0x10000 ? 2 : 1;
  }
  *units = n;
  return CA_UTF_OK;
}

void ca_utf8_fill16(const char *str, size_t len, WCHAR *w) {
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0, j = 0;
  uint32_t cp = 0;
  while (i < len) {
    next_cp(s, len, &i, &cp);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      w[j++] = (WCHAR)(0xD800 | (cp >> 10));
      w[j++] = (WCHAR)(0xDC00 | (cp & 0x3FF));
    } else {
      w[j++] = (WCHAR)cp;
    }
  }
}

int ca_utf8_to_utf16(const char *str, size_t len, int nul_ok, WCHAR **out,
                     size_t *n, size_t *where) {
  size_t units;
  WCHAR *w;
  int e = ca_utf8_measure(str, len, nul_ok, &units, where);
  if (e != CA_UTF_OK) return e;
  w = ca_malloc((units + 1) * sizeof *w);
  if (w == NULL) return CA_UTF_NOMEM;
  ca_utf8_fill16(str, len, w);
  w[units] = 0;
  *out = w;
  *n = units;
  return CA_UTF_OK;
}

/* Code point at s[*i] (surrogates paired), or an error. */
static int next_unit(const WCHAR *s, size_t n, size_t *i, uint32_t *cp) {
  WCHAR u = s[*i];
  if (u < 0xD800 || u > 0xDFFF) { *cp = u; (*i)++; return CA_UTF_OK; }
  if (u >= 0xDC00 || *i + 1 >= n || s[*i + 1] < 0xDC00 || s[*i + 1] > 0xDFFF)
    return CA_UTF_UNPAIRED;
  *cp = 0x10000 + (((uint32_t)u - 0xD800) << 10) + (s[*i + 1] - 0xDC00);
  *i += 2;
  return CA_UTF_OK;
}

int ca_utf16_measure(const WCHAR *s, size_t n, size_t *bytes,
                     size_t *where) {
  size_t i = 0, b = 0;
  uint32_t cp;
  while (i < n) {
    size_t at = i;
    if (next_unit(s, n, &i, &cp) != CA_UTF_OK) {
      *where = at;
      return CA_UTF_UNPAIRED;
    }
    b += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  *bytes = b;
  return CA_UTF_OK;
}

void ca_utf16_fill8(const WCHAR *s, size_t n, char *p) {
  size_t i = 0;
  uint32_t cp = 0;
  while (i < n) {
    next_unit(s, n, &i, &cp);
    if (cp < 0x80) {
      *p++ = (char)cp;
    } else if (cp < 0x800) {
      *p++ = (char)(0xC0 | (cp >> 6));
      *p++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      *p++ = (char)(0xE0 | (cp >> 12));
      *p++ = (char)(0x80 | ((cp >> 6) & 0x3F));
      *p++ = (char)(0x80 | (cp & 0x3F));
    } else {
      *p++ = (char)(0xF0 | (cp >> 18));
      *p++ = (char)(0x80 | ((cp >> 12) & 0x3F));
      *p++ = (char)(0x80 | ((cp >> 6) & 0x3F));
      *p++ = (char)(0x80 | (cp & 0x3F));
    }
  }
}

int ca_utf16_to_utf8(const WCHAR *s, size_t n, char **out, size_t *len,
                     size_t *where) {
  size_t bytes;
  char *o;
  int e = ca_utf16_measure(s, n, &bytes, where);
  if (e != CA_UTF_OK) return e;
  o = ca_malloc(bytes + 1);
  if (o == NULL) return CA_UTF_NOMEM;
  ca_utf16_fill8(s, n, o);
  o[bytes] = '\0';
  *out = o;
  *len = bytes;
  return CA_UTF_OK;
}

int ca_utf16_to_utf8_lossy(const WCHAR *s, size_t n, char **out, size_t *len,
                           size_t *replaced) {
  WCHAR *w = ca_malloc((n ? n : 1) * sizeof *w);
  size_t i = 0, where;
  uint32_t cp;
  int e;
  *replaced = 0;
  if (w == NULL) return CA_UTF_NOMEM;
  memcpy(w, s, n * sizeof *w);
  while (i < n)
    if (next_unit(w, n, &i, &cp) != CA_UTF_OK) {   /* i stays on the unit */
      w[i++] = 0xFFFD;
      ++*replaced;
    }
  e = ca_utf16_to_utf8(w, n, out, len, &where);
  free(w);
  return e;
}

void ca_utf16_to_le(const WCHAR *w, size_t n, char *out) {
  size_t i;
  for (i = 0; i < n; i++) {
    out[2 * i] = (char)(w[i] & 0xFF);
    out[2 * i + 1] = (char)(w[i] >> 8);
  }
}

size_t ca_wcslen(PCWSTR s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

int ca_name_check(const char *s, size_t len, char *msg, size_t size) {
  size_t units, where;
  int r = ca_utf8_measure(s, len, 0, &units, &where);
  if (r == CA_UTF_OK) return 0;
  snprintf(msg, size, "%s at byte %lu (a name must be text a native caller "
           "can send as UTF-16)", ca_utf_error(r), (unsigned long)where + 1);
  return -1;
}
