/*
** fuzz_hresult.c: libFuzzer target over the HRESULT text parser and the
** describer. Any input must parse or be refused without touching memory
** outside it; what parses must describe itself, and a value printed as
** hex must parse back to itself; a name must give back its own entry.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hresult.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint32_t v, back;
  char text[200], hex[16];
  /* a private copy with no terminator, so any over-read is caught */
  char *s = malloc(size ? size : 1);
  if (s == NULL) return 0;
  memcpy(s, data, size);
  if (ca_hr_parse(s, size, &v) == 0) {
    const ca_hr_entry *e = ca_hr_by_name(s, size);
    ca_hr_describe(v, text, sizeof text);
    if (strlen(text) == 0) abort();
    snprintf(hex, sizeof hex, "0x%08X", (unsigned)v);
    if (ca_hr_parse(hex, strlen(hex), &back) != 0 || back != v) abort();
    if (e != NULL && (e->value != v || strlen(e->name) != size)) abort();
  }
  if (size >= 4) {
    memcpy(&v, data, 4);
    ca_hr_describe(v, text, sizeof text);
    if (ca_hr_facility_name((v >> 16) & 0x7FF) == NULL &&
        strstr(text, "facility") == NULL) abort();
  }
  free(s);
  return 0;
}
