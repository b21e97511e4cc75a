/*
** utf16.h: UTF-8 <-> UTF-16LE, validating both ways. Windows components
** exchange PCWSTR names and often UTF-16 payloads; Lua strings are bytes,
** conventionally UTF-8. Malformed input is refused with the offset of the
** first bad unit, never passed on.
*/
#ifndef CA_UTF16_H
#define CA_UTF16_H

#include <stddef.h>
#include "wpf.h"
#include "visibility.h"
CA_HIDDEN_BEGIN

enum {
  CA_UTF_OK = 0,
  CA_UTF_NOMEM,
  CA_UTF_BAD_BYTE,        /* not a UTF-8 lead or continuation byte */
  CA_UTF_TRUNCATED,       /* sequence cut short */
  CA_UTF_OVERLONG,        /* encoded with more bytes than needed */
  CA_UTF_SURROGATE,       /* U+D800..U+DFFF encoded in UTF-8 */
  CA_UTF_RANGE,           /* above U+10FFFF */
  CA_UTF_UNPAIRED,        /* UTF-16 surrogate without its partner */
  CA_UTF_ODD_LENGTH,      /* UTF-16LE bytes of odd count */
  CA_UTF_NUL              /* embedded NUL where a PCWSTR is wanted */
};

const char *ca_utf_error(int code);

/*
** UTF-8 -> UTF-16 units, NUL-terminated (*n excludes the NUL). *out is
** malloc'd; on error *where gets the byte offset. With nul_ok == 0 an
** embedded NUL is an error (the result is meant as a PCWSTR).
*/
int ca_utf8_to_utf16(const char *s, size_t len, int nul_ok, WCHAR **out,
                     size_t *n, size_t *where);

/* UTF-16 units -> UTF-8, NUL-terminated; *where gets the unit offset. */
int ca_utf16_to_utf8(const WCHAR *s, size_t n, char **out, size_t *len,
                     size_t *where);

/*
** UTF-16 units -> UTF-8 for text that must get through whatever it holds
** (a reason a library gives): each unpaired surrogate becomes U+FFFD and
** *replaced counts them. CA_UTF_OK or CA_UTF_NOMEM.
*/
int ca_utf16_to_utf8_lossy(const WCHAR *s, size_t n, char **out, size_t *len,
                           size_t *replaced);

/*
** The same conversions in two steps, for callers that allocate the output
** themselves (the Lua binding, so that an error raised while it works
** leaves no malloc'd memory behind): measure validates and counts, fill
** writes what measure counted and assumes valid input.
*/
int ca_utf8_measure(const char *s, size_t len, int nul_ok, size_t *units,
                    size_t *where);
void ca_utf8_fill16(const char *s, size_t len, WCHAR *out);
int ca_utf16_measure(const WCHAR *s, size_t n, size_t *bytes, size_t *where);
void ca_utf16_fill8(const WCHAR *s, size_t n, char *out);

/* Writes n units as 2n bytes of UTF-16LE, whatever the host's order. */
void ca_utf16_to_le(const WCHAR *w, size_t n, char *out);

/*
** A name native callers can send as a PCWSTR (an action or provider name):
** UTF-8 without NUL. 0, or -1 with the reason, naming the byte, written to
** msg. Every surface that takes a name refuses through this one check.
*/
int ca_name_check(const char *s, size_t len, char *msg, size_t size);

/* Units of a NUL-terminated UTF-16 string. */
size_t ca_wcslen(PCWSTR s);

CA_HIDDEN_END
#endif
