/*
** constants.h: the one home of every HRESULT the project returns and of
** every limit and default an option has, shared by the core, the
** simulator, the binding and luapm. Each value is defined here once; the
** table ca_defaults lists the defaults of options users set, so that
** ca.defaults, ca.help() and the manual's check all read this one source.
*/
#ifndef CA_CONSTANTS_H
#define CA_CONSTANTS_H

#include <stddef.h>
#include "wpf.h"
#include "visibility.h"
CA_HIDDEN_BEGIN

/* HRESULTs the project returns; each is documented in docs/manual.md. */
#define CA_S_OK               ((HRESULT)0x00000000)
#define CA_S_FALSE            ((HRESULT)0x00000001)
#define CA_E_FAIL             ((HRESULT)0x80004005)
#define CA_E_POINTER          ((HRESULT)0x80004003)
#define CA_E_NOINTERFACE      ((HRESULT)0x80004002)
#define CA_E_NOTIMPL          ((HRESULT)0x80004001)
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
/* HRESULT_FROM_WIN32 of ERROR_NOT_FOUND, ERROR_ALREADY_EXISTS,
   ERROR_TIMEOUT, ERROR_FILE_NOT_FOUND and ERROR_INSUFFICIENT_BUFFER */
#define CA_E_NOT_FOUND        ((HRESULT)0x80070490)
#define CA_E_ALREADY_EXISTS   ((HRESULT)0x800700B7)
#define CA_E_TIMEOUT          ((HRESULT)0x800705B4)
#define CA_E_FILE_NOT_FOUND   ((HRESULT)0x80070002)
#define CA_E_INSUFFICIENT_BUFFER ((HRESULT)0x8007007A)

/* The two shapes of a callback (and of the interfaces that take one):
   ICustomActionResultCallback and ICustomAction2ResultCallback. */
enum ca_shape { CA_SHAPE_V1 = 1, CA_SHAPE_V2 = 2 };

/* ---- limits and defaults (ca_defaults below lists the user-facing ones) */

/* The largest response a callback accepts (callback max_response), and
   the largest payload a scenario may carry. */
#define CA_DEFAULT_MAX_RESPONSE ((DWORD)16 << 20)
/* ca.configure: reports and payload bytes queued, and how long (ms) a
   producer waits for room before it is refused. */
#define CA_DEFAULT_MAX_QUEUED ((size_t)1 << 20)
#define CA_DEFAULT_MAX_QUEUED_BYTES ((size_t)64 << 20)
#define CA_DEFAULT_BLOCK_MS 0
/* The longest wait a time limit may ask for (ms): a day. */
#define CA_MAX_WAIT_MS 86400000
/* ca.provider: how long CheckIdle from another thread waits (ms). */
#define CA_DEFAULT_IDLE_WAIT_MS 1000
/* luapm: how long GetProtocolManager waits for the script to load, and
   Shutdown for the script's thread (ms; CUSTOMACTION_LUAPM_LOAD_MS,
   CUSTOMACTION_LUAPM_SHUTDOWN_MS). */
#define CA_DEFAULT_LUAPM_LOAD_MS 30000
#define CA_DEFAULT_LUAPM_SHUTDOWN_MS 10000
/* IProtocolManager::GetCustomInterface id that gives IPmCustomActions2
   (PM_INTERFACE_ID_ENUM has none): what a provider answers to and what
   ca.load asks for unless told otherwise. */
#define CA_DEFAULT_ACTIONS2_ID 2u
/* Log entries kept: ca.load's framework log, an issuer's protocol log. */
#define CA_DEFAULT_PM_LOG_LIMIT 100000
#define CA_DEFAULT_ISSUER_LOG_LIMIT 1000000
/* An issuer's worker threads, and the most it may have. */
#define CA_DEFAULT_ISSUER_THREADS 1
#define CA_MAX_ISSUER_THREADS 64

/* One user-facing default: the function that takes it, the option's
   name, its value and unit. */
typedef struct ca_default {
  const char *where;    /* "callback", "configure", "issuer", "load", ... */
  const char *option;
  double value;
  const char *unit;     /* "bytes", "ms", "reports", "entries", ... */
} ca_default;

/* The table, in manual order; *n receives its length. */
const ca_default *ca_defaults(size_t *n);

CA_HIDDEN_END
#endif
