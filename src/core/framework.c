/*
** framework.c: the worker-process framework a loaded protocol manager
** receives (see framework.h). Four interfaces share one object: each
** vptr sits in its own field, and the methods find the object again from
** the field's offset. Settings never change once the protocol manager has
** the object, so its threads read them without a lock; only the log and
** the events callback are shared writable state, under one mutex.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "alloc.h"
#include "framework.h"

#include "atomics.h"
#include <string.h>

#include "hresult.h"
#include "platform.h"
#include "utf16.h"


#define NSTRINGS 6
#define NDWORDS 7     /* ids 1..6 */
#define NULLS 2
#define NBOOLS 2
#define NHANDLES 1

static const char *const string_names[] = {"CLR_VERSION", "APP_POOL_NAME",
  "APP_HOST_FILE_NAME", "ROOT_WEB_CONFIG_FILE_NAME", "CLR_CONFIG_FILE_NAME",
  "CLR_VERSION_PATH", NULL};
static const char *const dword_names[] = {"", "PERIODIC_RESTART_REQUESTS",
  "PERIODIC_RESTART_TIME", "IDLE_TIMEOUT", "MANAGED_PIPELINE_MODE",
  "THREAD_AFFINITY_POLICY", "IDLE_TIMEOUT_ACTION", NULL};
static const char *const ulonglong_names[] = {
  "PERIODIC_RESTART_VIRTUAL_MEMORY", "PERIODIC_RESTART_PRIVATE_MEMORY", NULL};
static const char *const bool_names[] = {"ENABLED_CENTRAL_BINARY_LOGGING",
  "ENABLED_HOSTABLE_WEB_CORE", NULL};
static const char *const handle_names[] = {"ANONYMOUS_USER_TOKEN", NULL};
static const char *const *const names_of[CA_SET_NKINDS] = {
  string_names, dword_names, ulonglong_names, bool_names, handle_names};
static const int count_of[CA_SET_NKINDS] = {NSTRINGS, NDWORDS, NULLS, NBOOLS,
                                            NHANDLES};

int ca_setting_lookup(const char *name, int *kind, int *id) {
  int k, i;
  for (k = 0; k < CA_SET_NKINDS; k++)
    for (i = 0; names_of[k][i] != NULL; i++)
      if (names_of[k][i][0] != '\0' && strcmp(names_of[k][i], name) == 0) {
        *kind = k;
        *id = i;
        return 0;
      }
  return -1;
}

const char *ca_setting_name(int kind, int id) {
  if (kind < 0 || kind >= CA_SET_NKINDS || id < 0 || id >= count_of[kind])
    return NULL;
  return names_of[kind][id][0] != '\0' ? names_of[kind][id] : NULL;
}

typedef struct fw_string { WCHAR *s; DWORD n; } fw_string;
typedef struct fw_app { WCHAR *id; size_t idn; fw_string vpath; DWORD site; }
  fw_app;

struct ca_framework {
  const IWorkerProcessFrameworkVtbl *wpf;   /* the four vptrs */
  const IWpfSettingsVtbl *settings;
  const IWpfActionsVtbl *actions;
  const IWpfApplicationInfoUtilVtbl *appinfo;
  ca_atomic_uint refs;
  ca_atomic_uint holds;  /* of refs, the host's holds across its calls */
  DWORD major, minor;
  unsigned char set[CA_SET_NKINDS][NDWORDS];
  uint64_t numbers[CA_SET_NKINDS][NDWORDS];   /* dword, ulonglong, bool */
  HANDLE handles[NHANDLES];
  fw_string strings[NSTRINGS];
  fw_app *apps;
  size_t napps;
  ca_mutex lock;      /* the log and events */
  ca_callback *events;
  ca_log log;
};

const char *const ca_fw_op_names[CA_NFWOPS] = {
  "AddRef", "Release", "GetWpfInterface", "GetCustomInterface",
  "GetInterfaceVersion", "GetStringProperty", "GetDwordProperty",
  "GetUlonglongProperty", "GetBoolProperty", "GetHandleProperty",
  "RecycleWorkerProcess", "FailWorkerProcess",
  "GetApplicationPropertiesFromAppId",
};

#define FW(p, field) \
  ((ca_framework *)(void *)((char *)(p) - offsetof(ca_framework, field)))

/* ---- the log ------------------------------------------------------------- */

/* A reason or an id as UTF-8, each unpaired surrogate as U+FFFD (counted
   in *replaced when asked); NULL for NULL and when out of memory. */
static char *utf8_of(PCWSTR s, size_t *replaced) {
  char *out = NULL;
  size_t len, n;
  if (s == NULL) return NULL;
  if (ca_utf16_to_utf8_lossy(s, ca_wcslen(s), &out, &len,
                             replaced ? replaced : &n) != CA_UTF_OK)
    return NULL;
  return out;
}

/* Appends an entry; the lock is held. */
static ca_log_entry *note_locked(ca_framework *fw, enum ca_fw_op op,
                                 const char *what, int64_t id,
                                 int64_t result, const char *text) {
  ca_log_entry *e = ca_log_add(&fw->log, (int)op, text);
  if (e != NULL) {
    e->what = what;
    e->id = id;
    e->result = result;
  }
  return e;
}

/* The same with the lock taken; final is FailWorkerProcess's flag. */
static void note_final(ca_framework *fw, enum ca_fw_op op, const char *what,
                       int64_t id, int64_t result, PCWSTR text, int final) {
  char *t = utf8_of(text, NULL);
  ca_log_entry *e;
  ca_mutex_lock(&fw->lock);
  e = note_locked(fw, op, what, id, result, t);
  if (e != NULL) e->final = final;
  ca_mutex_unlock(&fw->lock);
  free(t);
}

static void note(ca_framework *fw, enum ca_fw_op op, const char *what,
                 int64_t id, int64_t result, PCWSTR text) {
  note_final(fw, op, what, id, result, text, 0);
}

ca_log_entry *ca_framework_log(ca_framework *fw, size_t *n, size_t *dropped,
                               int clear) {
  ca_log_entry *copy;
  ca_mutex_lock(&fw->lock);
  copy = ca_log_copy(&fw->log, n, dropped, clear);
  ca_mutex_unlock(&fw->lock);
  return copy;
}

/* ---- reference counting, shared by the four interfaces ------------------ */

static ULONG fw_addref(ca_framework *fw, const char *iface) {
  ULONG r = ca_atomic_fetch_add_uint(&fw->refs, 1, CA_SEQ_CST) + 1;
  note(fw, CA_FW_ADDREF, iface, -1,
       (int64_t)(r - ca_atomic_load_uint(&fw->holds, CA_SEQ_CST)), NULL);
  return r;
}

static void fw_free(ca_framework *fw) {
  size_t i;
  for (i = 0; i < NSTRINGS; i++) free(fw->strings[i].s);
  for (i = 0; i < fw->napps; i++) {
    free(fw->apps[i].id);
    free(fw->apps[i].vpath.s);
  }
  free(fw->apps);
  if (fw->events != NULL) ca_callback_release(fw->events);
  ca_log_destroy(&fw->log);
  ca_mutex_destroy(&fw->lock);
  free(fw);
}

/* Counts down under the lock, so that no thread still logging its own
   Release can find the object freed by another's. */
static ULONG fw_release_as(ca_framework *fw, const char *iface, int logged) {
  ULONG r;
  ca_mutex_lock(&fw->lock);
  r = ca_atomic_fetch_sub_uint(&fw->refs, 1, CA_SEQ_CST) - 1;
  if (r != 0 && logged)
    note_locked(fw, CA_FW_RELEASE, iface, -1,
                (int64_t)(r - ca_atomic_load_uint(&fw->holds, CA_SEQ_CST)), NULL);
  ca_mutex_unlock(&fw->lock);
  if (r == 0) fw_free(fw);
  return r;
}

static ULONG fw_release(ca_framework *fw, const char *iface) {
  return fw_release_as(fw, iface, 1);
}

ULONG ca_framework_release(ca_framework *fw) {
  return fw_release(fw, NULL);
}

/* The host's hold across its own call into the library: the library
   made no call, so the log shows none, and the counts it shows leave
   the hold out. */
void ca_framework_hold(void *obj) {
  ca_framework *fw = obj;
  ca_atomic_fetch_add_uint(&fw->refs, 1, CA_SEQ_CST);
  ca_atomic_fetch_add_uint(&fw->holds, 1, CA_SEQ_CST);
}

void ca_framework_unhold(void *obj) {
  ca_framework *fw = obj;
  ca_atomic_fetch_sub_uint(&fw->holds, 1, CA_SEQ_CST);
  fw_release_as(fw, NULL, 0);
}

#define REFS(T, field, label) \
  static ULONG WPF_METHOD field##_addref(T *self) { \
    return fw_addref(FW(self, field), label); } \
  static ULONG WPF_METHOD field##_release(T *self) { \
    return fw_release(FW(self, field), label); }
REFS(IWorkerProcessFramework, wpf, "IWorkerProcessFramework")
REFS(IWpfSettings, settings, "IWpfSettings")
REFS(IWpfActions, actions, "IWpfActions")
REFS(IWpfApplicationInfoUtil, appinfo, "IWpfApplicationInfoUtil")

/* ---- IWorkerProcessFramework --------------------------------------------- */

static const char *const wpf_ids[] = {"", "WPF_CONFIG_API_ID",
  "WPF_APPLICATION_INFO_UTIL_ID", "WPF_SETTINGS_ID", "WPF_ACTIONS_ID",
  "WPF_EXPOSE_PROTOCOL_MANAGER_CUSTOM_INTERFACE_ID",
  "WPF_APPLICATION_PRELOAD_INFO_UTIL_ID"};

static HRESULT WPF_METHOD wpf_get(IWorkerProcessFramework *self, WPF_INTERFACE_ID_ENUM id,
                       PVOID *ppv) {
  ca_framework *fw = FW(self, wpf);
  const char *name = id >= 1 && id <= 6 ? wpf_ids[id] : NULL;
  void *p = NULL;
  const char *iface = NULL;
  HRESULT hr = CA_S_OK;
  if (id == WPF_SETTINGS_ID) { p = &fw->settings; iface = "IWpfSettings"; }
  else if (id == WPF_ACTIONS_ID) { p = &fw->actions; iface = "IWpfActions"; }
  else if (id == WPF_APPLICATION_INFO_UTIL_ID) {
    p = &fw->appinfo;
    iface = "IWpfApplicationInfoUtil";
  }
  if (ppv == NULL) hr = CA_E_POINTER;
  else if (p == NULL) { *ppv = NULL; hr = CA_E_NOTIMPL; }
  note(fw, CA_FW_GET_WPF_INTERFACE, name, (int64_t)id, hr, NULL);
  if (ppv != NULL && p != NULL) {
    fw_addref(fw, iface);   /* an out-parameter carries a reference */
    *ppv = p;
  }
  return hr;
}

static HRESULT WPF_METHOD wpf_custom(IWorkerProcessFramework *self, DWORD id,
                          PVOID *ppv) {
  HRESULT hr = ppv == NULL ? CA_E_POINTER : CA_E_NOTIMPL;
  if (ppv != NULL) *ppv = NULL;
  note(FW(self, wpf), CA_FW_GET_CUSTOM_INTERFACE, NULL, (int64_t)id, hr,
       NULL);
  return hr;
}

static HRESULT WPF_METHOD wpf_version(IWorkerProcessFramework *self, PDWORD major,
                           PDWORD minor) {
  ca_framework *fw = FW(self, wpf);
  HRESULT hr = major == NULL || minor == NULL ? CA_E_POINTER : CA_S_OK;
  if (hr == CA_S_OK) {
    *major = fw->major;
    *minor = fw->minor;
  }
  note(fw, CA_FW_GET_INTERFACE_VERSION, NULL, -1, hr, NULL);
  return hr;
}

/* ---- IWpfSettings -------------------------------------------------------- */

/* The header's buffer protocol: *pcch in is the buffer's size, out the
   length needed with the NUL; a NULL or short buffer is refused. */
static HRESULT copy_out(const fw_string *v, PWSTR buf, DWORD *pcch) {
  DWORD need;
  if (pcch == NULL) return CA_E_POINTER;
  need = v->n + 1;
  if (buf == NULL || *pcch < need) {
    *pcch = need;
    return CA_E_INSUFFICIENT_BUFFER;
  }
  memcpy(buf, v->s, v->n * sizeof *buf);
  buf[v->n] = 0;
  *pcch = need;
  return CA_S_OK;
}

static HRESULT number(ca_framework *fw, int kind, int id, uint64_t *out,
                      int present) {
  const char *name = ca_setting_name(kind, id);
  HRESULT hr;
  if (!present) hr = CA_E_POINTER;
  else if (name == NULL) hr = CA_E_INVALIDARG;
  else if (!fw->set[kind][id]) hr = CA_E_NOT_FOUND;
  else { *out = fw->numbers[kind][id]; hr = CA_S_OK; }
  note(fw, (enum ca_fw_op)(CA_FW_GET_STRING + kind), name, id, hr, NULL);
  return hr;
}

static HRESULT WPF_METHOD get_dword(IWpfSettings *self, WPF_SETTINGS_DWORD_ENUM id,
                         DWORD *p) {
  uint64_t v = 0;
  HRESULT hr = number(FW(self, settings), CA_SET_DWORD, (int)id, &v, p != NULL);
  if (hr == CA_S_OK) *p = (DWORD)v;
  return hr;
}

static HRESULT WPF_METHOD get_ull(IWpfSettings *self, WPF_SETTINGS_ULONGLONG_ENUM id,
                       ULONGLONG *p) {
  uint64_t v = 0;
  HRESULT hr = number(FW(self, settings), CA_SET_ULONGLONG, (int)id, &v,
                      p != NULL);
  if (hr == CA_S_OK) *p = v;
  return hr;
}

static HRESULT WPF_METHOD get_bool(IWpfSettings *self, WPF_SETTINGS_BOOL_ENUM id,
                        BOOL *p) {
  uint64_t v = 0;
  HRESULT hr = number(FW(self, settings), CA_SET_BOOL, (int)id, &v, p != NULL);
  if (hr == CA_S_OK) *p = v != 0;
  return hr;
}

static HRESULT WPF_METHOD get_handle(IWpfSettings *self, WPF_SETTINGS_HANDLE_ENUM id,
                          HANDLE *p) {
  ca_framework *fw = FW(self, settings);
  uint64_t v = 0;
  HRESULT hr = number(fw, CA_SET_HANDLE, (int)id, &v, p != NULL);
  if (hr == CA_S_OK) *p = fw->handles[id];
  return hr;
}

static HRESULT WPF_METHOD get_string(IWpfSettings *self, WPF_SETTINGS_STRING_ENUM id,
                          PWSTR buf, DWORD *pcch) {
  ca_framework *fw = FW(self, settings);
  const char *name = ca_setting_name(CA_SET_STRING, (int)id);
  HRESULT hr;
  if (pcch == NULL) hr = CA_E_POINTER;
  else if (name == NULL) hr = CA_E_INVALIDARG;
  else if (!fw->set[CA_SET_STRING][id]) hr = CA_E_NOT_FOUND;
  else hr = copy_out(&fw->strings[id], buf, pcch);
  note(fw, CA_FW_GET_STRING, name, (int64_t)id, hr, NULL);
  return hr;
}

/* ---- IWpfActions --------------------------------------------------------- */

/*
** A request as a report of the events callback: the kind byte, a form
** byte (CA_REASON_NULL, _TEXT, or _REPLACED when unpaired surrogates
** became U+FFFD), the reason in UTF-8, and after _REPLACED a NUL and the
** reason's own UTF-16LE units. Queued when it comes from another thread.
*/
static void request(ca_framework *fw, char kind, HRESULT hr, PCWSTR reason) {
  ca_callback *cb;
  size_t replaced = 0, units = reason ? ca_wcslen(reason) : 0;
  char *t = utf8_of(reason, &replaced);
  size_t n = t ? strlen(t) : 0, raw = replaced ? 1 + 2 * units : 0;
  BYTE *buf = ca_malloc(2 + n + raw);
  ca_mutex_lock(&fw->lock);
  cb = fw->events;
  if (cb != NULL) ca_callback_addref(cb);
  ca_mutex_unlock(&fw->lock);
  if (cb != NULL && buf != NULL) {
    buf[0] = (BYTE)kind;
    buf[1] = reason == NULL ? CA_REASON_NULL
           : replaced ? CA_REASON_REPLACED : CA_REASON_TEXT;
    if (n) memcpy(buf + 2, t, n);
    if (raw) {
      buf[2 + n] = 0;
      ca_utf16_to_le(reason, units, (char *)buf + 3 + n);
    }
    ca_callback_report(cb, hr, 0, buf, (DWORD)(2 + n + raw));
  }
  if (cb != NULL) ca_callback_release(cb);
  free(buf);
  free(t);
}

static void WPF_METHOD act_recycle(IWpfActions *self, PCWSTR reason) {
  ca_framework *fw = FW(self, actions);
  note(fw, CA_FW_RECYCLE, NULL, -1, 0, reason);
  request(fw, CA_EVENT_RECYCLE, CA_S_OK, reason);
}

static void WPF_METHOD act_fail(IWpfActions *self, PCWSTR reason, HRESULT hr,
                     BOOL next_ping) {
  ca_framework *fw = FW(self, actions);
  note_final(fw, CA_FW_FAIL, NULL, -1, hr, reason, next_ping != 0);
  request(fw, next_ping ? CA_EVENT_FAIL_NEXT : CA_EVENT_FAIL, hr, reason);
}

/* ---- IWpfApplicationInfoUtil --------------------------------------------- */

static HRESULT WPF_METHOD app_props(IWpfApplicationInfoUtil *self, PCWSTR app,
                         PWSTR vpath, DWORD *pcch, DWORD *site) {
  ca_framework *fw = FW(self, appinfo);
  HRESULT hr = CA_E_NOT_FOUND;
  size_t i, n;
  if (app == NULL || pcch == NULL || site == NULL) {
    hr = CA_E_POINTER;
  } else {
    n = ca_wcslen(app);
    for (i = 0; i < fw->napps; i++)
      if (fw->apps[i].idn == n && memcmp(fw->apps[i].id, app, n * 2) == 0) {
        hr = copy_out(&fw->apps[i].vpath, vpath, pcch);
        if (hr == CA_S_OK) *site = fw->apps[i].site;
        break;
      }
  }
  note(fw, CA_FW_GET_APP_PROPERTIES, NULL, -1, hr, app);
  return hr;
}

static const IWorkerProcessFrameworkVtbl wpf_vtbl = {
  wpf_addref, wpf_release, wpf_get, wpf_custom, wpf_version};
static const IWpfSettingsVtbl settings_vtbl = {
  settings_addref, settings_release, get_dword, get_ull, get_string,
  get_bool, get_handle};
static const IWpfActionsVtbl actions_vtbl = {
  actions_addref, actions_release, act_recycle, act_fail};
static const IWpfApplicationInfoUtilVtbl appinfo_vtbl = {
  appinfo_addref, appinfo_release, app_props};

/* ---- set-up --------------------------------------------------------------- */

ca_framework *ca_framework_new(size_t log_limit) {
  ca_framework *fw = ca_calloc(1, sizeof *fw);
  if (fw == NULL) return NULL;
  if (ca_mutex_init(&fw->lock) != 0) {
    free(fw);
    return NULL;
  }
  fw->wpf = &wpf_vtbl;
  fw->settings = &settings_vtbl;
  fw->actions = &actions_vtbl;
  fw->appinfo = &appinfo_vtbl;
  ca_atomic_init_uint(&fw->refs, 1);
  ca_atomic_init_uint(&fw->holds, 0);
  fw->major = 1;
  ca_log_init(&fw->log, 1, log_limit);
  return fw;
}

IWorkerProcessFramework *ca_framework_iface(ca_framework *fw) {
  return (IWorkerProcessFramework *)&fw->wpf;
}

void ca_framework_set_number(ca_framework *fw, int kind, int id, uint64_t v) {
  fw->set[kind][id] = 1;
  fw->numbers[kind][id] = v;
}

void ca_framework_set_handle(ca_framework *fw, int id, HANDLE h) {
  fw->set[CA_SET_HANDLE][id] = 1;
  fw->handles[id] = h;
}

static int copy_units(fw_string *d, const WCHAR *s, size_t n) {
  WCHAR *c = ca_malloc((n + 1) * sizeof *c);
  if (c == NULL) return -1;
  memcpy(c, s, n * sizeof *c);
  c[n] = 0;
  free(d->s);
  d->s = c;
  d->n = (DWORD)n;
  return 0;
}

int ca_framework_set_string(ca_framework *fw, int id, const WCHAR *s,
                            size_t n) {
  if (copy_units(&fw->strings[id], s, n) != 0) return -1;
  fw->set[CA_SET_STRING][id] = 1;
  return 0;
}

int ca_framework_add_app(ca_framework *fw, const WCHAR *id, size_t idn,
                         const WCHAR *vpath, size_t vn, DWORD site) {
  fw_string key = {NULL, 0};
  fw_app *a = ca_realloc(fw->apps, (fw->napps + 1) * sizeof *a);
  if (a == NULL) return -1;
  fw->apps = a;
  a = &fw->apps[fw->napps];
  memset(a, 0, sizeof *a);
  if (copy_units(&key, id, idn) != 0) return -1;
  if (copy_units(&a->vpath, vpath, vn) != 0) {
    free(key.s);
    return -1;
  }
  a->id = key.s;
  a->idn = idn;
  a->site = site;
  fw->napps++;
  return 0;
}

void ca_framework_set_version(ca_framework *fw, DWORD major, DWORD minor) {
  fw->major = major;
  fw->minor = minor;
}

void ca_framework_set_events(ca_framework *fw, ca_callback *cb) {
  ca_callback_addref(cb);
  ca_mutex_lock(&fw->lock);
  fw->events = cb;
  ca_mutex_unlock(&fw->lock);
}

void ca_framework_detach(ca_framework *fw) {
  ca_callback *cb;
  ca_mutex_lock(&fw->lock);
  cb = fw->events;
  fw->events = NULL;
  ca_mutex_unlock(&fw->lock);
  if (cb != NULL) ca_callback_release(cb);
}
