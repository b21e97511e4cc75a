/*
** payload.c: the bytes of response k. Static payloads and echoed
** arguments are sent from where they live; a format is expanded into a
** buffer sized for it (measured first, so nothing is ever cut), then
** re-encoded when the scenario sends UTF-16LE.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "alloc.h"
#include "sim.h"

#include <stdio.h>

#include "utf16.h"

/* Writes the expansion of f into out (when not NULL); returns its size. */
static size_t expand(const char *f, size_t len, int64_t k, char *out) {
  char num[24];
  int nlen = snprintf(num, sizeof num, "%lld", (long long)k);
  size_t i, o = 0;
  for (i = 0; i < len; i++) {
    if (f[i] == '%' && i + 1 < len && f[i + 1] == 'd') {
      if (out) memcpy(out + o, num, (size_t)nlen);
      o += (size_t)nlen;
      i++;
    } else {
      if (f[i] == '%' && i + 1 < len && f[i + 1] == '%') i++;
      if (out) out[o] = f[i];
      o++;
    }
  }
  return o;
}

static int formatted(const ca_scenario *sc, int64_t k, const BYTE **buf,
                     DWORD *len, char **owned) {
  size_t n = expand(sc->format, sc->format_len, k, NULL);
  char *text = ca_malloc(n + 1);
  if (text == NULL) return -1;
  expand(sc->format, sc->format_len, k, text);
  if (sc->utf16) {
    WCHAR *w;
    size_t units, where;
    int r = ca_utf8_to_utf16(text, n, 1, &w, &units, &where);
    free(text);
    if (r != CA_UTF_OK) return -1;
    text = ca_malloc(units * 2 + 1);
    if (text == NULL) { free(w); return -1; }
    ca_utf16_to_le(w, units, text);
    free(w);
    n = units * 2;
  }
  *owned = text;
  *buf = (const BYTE *)text;
  *len = (DWORD)n;
  return 0;
}

int ca_sim_payload(const ca_op *op, int64_t k, const BYTE **buf, DWORD *len,
                   char **owned) {
  const ca_scenario *sc = op->sc;
  *owned = NULL;
  if (sc->format != NULL) return formatted(sc, k, buf, len, owned);
  if (sc->echo) {
    *buf = (const BYTE *)(sc->utf16 ? op->args16 : op->args);
    *len = (DWORD)(sc->utf16 ? op->args16_len : op->args_len);
    if (*buf == NULL) *buf = (const BYTE *)"";
  } else if (sc->npayloads > 0) {
    int i = (int)((k - 1) % sc->npayloads);
    *buf = (const BYTE *)sc->payloads[i];
    *len = (DWORD)sc->lens[i];
  } else {
    *buf = (const BYTE *)"";
    *len = 0;
  }
  return 0;
}
