/*
** hresult.h: HRESULTs as data. Decodes the bit layout, names the values
** the project knows (hresult_table.h is the single list) and parses the
** textual forms people type. Pure C, no Lua, safe from any thread.
*/
#ifndef CA_HRESULT_H
#define CA_HRESULT_H

#include <stddef.h>
#include <stdint.h>
#include "wpf.h"
#include "visibility.h"
CA_HIDDEN_BEGIN

/* Values the core itself returns; each is documented in docs/manual.md. */
#define CA_S_OK               ((HRESULT)0x00000000)
#define CA_S_FALSE            ((HRESULT)0x00000001)
#define CA_E_FAIL             ((HRESULT)0x80004005)
#define CA_E_POINTER          ((HRESULT)0x80004003)
#define CA_E_NOINTERFACE      ((HRESULT)0x80004002)
#define CA_E_INVALIDARG       ((HRESULT)0x80070057)
#define CA_E_OUTOFMEMORY      ((HRESULT)0x8007000E)
#define CA_E_ABORT            ((HRESULT)0x80004004)
#define CA_E_ILLEGAL_METHOD_CALL ((HRESULT)0x8000000E)
#define CA_DISP_E_EXCEPTION   ((HRESULT)0x80020009)
#define CA_RPC_E_DISCONNECTED ((HRESULT)0x80010108)
/* HRESULT_FROM_WIN32(ERROR_MESSAGE_EXCEEDS_MAX_SIZE), 4336 */
#define CA_E_MESSAGE_TOO_BIG  ((HRESULT)0x800710F0)
/* RPC_E_SERVERCALL_RETRYLATER: the consumer is busy; try again */
#define CA_E_RETRYLATER       ((HRESULT)0x8001010A)

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
