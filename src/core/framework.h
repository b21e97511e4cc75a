/*
** framework.h: the worker-process framework the module hands to a
** protocol manager it loads: IWorkerProcessFramework with IWpfSettings,
** IWpfActions and IWpfApplicationInfoUtil behind it, one object with one
** atomic reference count. Everything it answers is C data copied in
** before the protocol manager sees it, so that the protocol manager's
** threads never reach Lua; recycle and fail requests travel as reports
** of an events callback through the hub's queue, like any report. Every
** call the protocol manager makes is logged. Nothing here depends on Lua.
*/
#ifndef CA_FRAMEWORK_H
#define CA_FRAMEWORK_H

#include <stddef.h>
#include <stdint.h>
#include "callback.h"
#include "wpf.h"
#include "visibility.h"
CA_HIDDEN_BEGIN

/* Setting kinds, by the getter that answers them. */
enum { CA_SET_STRING, CA_SET_DWORD, CA_SET_ULONGLONG, CA_SET_BOOL,
       CA_SET_HANDLE, CA_SET_NKINDS };

/* The header's enum name of a setting: its kind and value; -1 if unknown. */
int ca_setting_lookup(const char *name, int *kind, int *id);
/* The name of setting id of a kind, or NULL. */
const char *ca_setting_name(int kind, int id);

/* Events payloads: the first byte says which IWpfActions call it was. */
#define CA_EVENT_RECYCLE 'R'
#define CA_EVENT_FAIL 'F'         /* fFailOnNextPing FALSE */
#define CA_EVENT_FAIL_NEXT 'N'    /* fFailOnNextPing TRUE */
/* The second byte: what the reason was. */
#define CA_REASON_NULL '0'        /* a NULL pointer: no text follows */
#define CA_REASON_TEXT 'T'        /* valid UTF-16: its UTF-8 follows */
#define CA_REASON_REPLACED '?'    /* UTF-8 with U+FFFD, NUL, UTF-16LE units */

typedef struct ca_fw_entry {
  const char *op;     /* the method, e.g. "GetStringProperty" */
  const char *what;   /* the id's enum name, or NULL */
  int64_t id;         /* the id argument, or -1 */
  HRESULT result;     /* what the call returned (0 for void methods) */
  int64_t value;      /* AddRef/Release: the new count; else 0 */
  char *text;         /* a reason or an application id (UTF-8), or NULL */
  unsigned long thread;
} ca_fw_entry;

typedef struct ca_framework ca_framework;

/* refs = 1; NULL when out of memory. */
ca_framework *ca_framework_new(size_t log_limit);
IWorkerProcessFramework *ca_framework_iface(ca_framework *fw);
ULONG ca_framework_release(ca_framework *fw);

/* Set-up, before the protocol manager sees the object: 0, or -1 when out
   of memory. Strings are copied (n units, no NUL needed). */
void ca_framework_set_number(ca_framework *fw, int kind, int id, uint64_t v);
void ca_framework_set_handle(ca_framework *fw, int id, HANDLE h);
int ca_framework_set_string(ca_framework *fw, int id, const WCHAR *s,
                            size_t n);
int ca_framework_add_app(ca_framework *fw, const WCHAR *id, size_t idn,
                         const WCHAR *vpath, size_t vn, DWORD site);
void ca_framework_set_version(ca_framework *fw, DWORD major, DWORD minor);
/* The callback recycle and fail requests are reported through (AddRefs). */
void ca_framework_set_events(ca_framework *fw, ca_callback *cb);
/* Lets go of the events callback; later requests are only logged. */
void ca_framework_detach(ca_framework *fw);

/* Copies the log (free with ca_fw_log_free); clears it when asked. */
ca_fw_entry *ca_framework_log(ca_framework *fw, size_t *n, size_t *dropped,
                              int clear);
void ca_fw_log_free(ca_fw_entry *e, size_t n);

CA_HIDDEN_END
#endif
