/*
** hresult.h: HRESULTs as data. Decodes the bit layout, names the values
** the project knows (hresult_table.h is the single list) and parses the
** textual forms people type. Pure C, no Lua, safe from any thread.
*/
#ifndef CA_HRESULT_H
#define CA_HRESULT_H

#include <stddef.h>
#include <stdint.h>
#include "constants.h"
#include "wpf.h"
#include "visibility.h"
CA_HIDDEN_BEGIN

typedef struct ca_hr_entry {
  const char *name;
  uint32_t value;
  const char *message;   /* NULL for an alias: the primary name's applies */
  uint32_t win32;        /* the Win32 code it wraps, when is_win32 */
  unsigned char is_win32;
} ca_hr_entry;

/* The whole table, in source order; *n receives its length. */
const ca_hr_entry *ca_hr_table(size_t *n);

/* Primary entry for a value, or NULL when the value has no name. */
const ca_hr_entry *ca_hr_by_value(uint32_t value);
/* Entry (primary or alias) for a name, case-sensitive, or NULL. */
const ca_hr_entry *ca_hr_by_name(const char *name, size_t len);

/* Facility name ("WIN32", "RPC", ...) or NULL when the SDK defines none. */
const char *ca_hr_facility_name(unsigned facility);

/*
** Writes the message for a value into buf (always NUL-terminated): the
** table's text when named, otherwise a description of the fields.
*/
void ca_hr_describe(uint32_t value, char *buf, size_t size);

/*
** Parses a name (primary or alias), "0x"-prefixed hex of at most eight
** digits, or the macro spelling "HRESULT_FROM_WIN32(ERROR_NOT_FOUND)" (a
** Win32 name or number inside). Returns 0 and stores the value, or -1.
*/
int ca_hr_parse(const char *s, size_t len, uint32_t *out);

/*
** Parses a Win32 error code: a name the table wraps ("ERROR_NOT_FOUND"),
** ERROR_SUCCESS or NO_ERROR, or a decimal or "0x" number in 32 bits.
*/
int ca_hr_win32_parse(const char *s, size_t len, uint32_t *code);

/* The entries named value (table order: a COM name before its alias); at most max. */
size_t ca_hr_names(uint32_t value, const ca_hr_entry **out, size_t max);

CA_HIDDEN_END
#endif
