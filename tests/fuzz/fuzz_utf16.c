/*
** fuzz_utf16.c: libFuzzer target over both UTF conversions. Valid UTF-8
** must survive a round trip through UTF-16 unchanged; any even-length
** input read as UTF-16LE must, when accepted, survive a round trip through
** UTF-8; whatever is refused is refused with an offset inside the input.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utf16.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = malloc(size ? size : 1), *back;
  WCHAR *w, *w2;
  size_t n, where, blen, i;
  memcpy(s, data, size);
  if (ca_utf8_to_utf16(s, size, 1, &w, &n, &where) == CA_UTF_OK) {
    if (ca_utf16_to_utf8(w, n, &back, &blen, &where) != CA_UTF_OK) abort();
    if (blen != size || memcmp(back, s, size) != 0) abort();
    free(back);
    free(w);
  } else if (where >= size) {
    abort();
  }
  n = size / 2;
  w = malloc((n ? n : 1) * sizeof *w);
  for (i = 0; i < n; i++) w[i] = (WCHAR)(data[2 * i] | (data[2 * i + 1] << 8));
  if (ca_utf16_to_utf8(w, n, &back, &blen, &where) == CA_UTF_OK) {
    size_t n2;
    if (ca_utf8_to_utf16(back, blen, 1, &w2, &n2, &where) != CA_UTF_OK) abort();
    if (n2 != n || memcmp(w2, w, n * sizeof *w) != 0) abort();
    free(w2);
    free(back);
  } else if (where >= n) {
    abort();
  }
  free(w);
  free(s);
  return 0;
}
