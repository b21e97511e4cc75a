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
#include "oplog.h"
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

/*
** What the framework's log records (the project's one log, oplog.h);
** ca_fw_op_names spells each as the method's name. An entry has what (the
** id's enum name, or for AddRef and Release the interface), id, result
** (the HRESULT returned, 0 for void methods; AddRef and Release: the new
** count), text (a reason or an application id) and, for
** FailWorkerProcess, final (fFailOnNextPing). The getters follow the
** setting kinds' order: CA_FW_GET_STRING + kind.
*/
enum ca_fw_op {
  CA_FW_ADDREF, CA_FW_RELEASE, CA_FW_GET_WPF_INTERFACE,
  CA_FW_GET_CUSTOM_INTERFACE, CA_FW_GET_INTERFACE_VERSION,
  CA_FW_GET_STRING, CA_FW_GET_DWORD, CA_FW_GET_ULONGLONG, CA_FW_GET_BOOL,
  CA_FW_GET_HANDLE, CA_FW_RECYCLE, CA_FW_FAIL, CA_FW_GET_APP_PROPERTIES,
  CA_NFWOPS
};
extern const char *const ca_fw_op_names[CA_NFWOPS];

typedef struct ca_framework ca_framework;

/* refs = 1; NULL when out of memory. */
ca_framework *ca_framework_new(size_t log_limit);
IWorkerProcessFramework *ca_framework_iface(ca_framework *fw);
ULONG ca_framework_release(ca_framework *fw);
/* A reference the log does not show: the host's own, held across its
   calls into the library (void *: usable as a ca_lhold pair). */
void ca_framework_hold(void *fw);
void ca_framework_unhold(void *fw);

/* Set-up, before the protocol manager sees the object. set_string and
   add_app return 0, or -1 when out of memory; the others cannot fail.
   Strings are copied (n units, no NUL needed). */
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

/* Copies the log (free with ca_log_free); clears it when asked; NULL
   when out of memory. */
ca_log_entry *ca_framework_log(ca_framework *fw, size_t *n, size_t *dropped,
                               int clear);

CA_HIDDEN_END
#endif
