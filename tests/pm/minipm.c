/*
** minipm.c: a protocol manager written in plain C from the framework
** header's published facts alone (slot order, parameter types, enum
** values), with declarations of its own: of this project it takes only
** wpfcall.h's two calling-convention macros (WPF_METHOD on every slot and
** method, thiscall on 32-bit x86 Windows; WPF_INIT on the export). It
** proves that ca.load depends only on the interfaces' layout and calling
** rules, not on our declarations or our C++ mirror. It answers
** RunCustomAction synchronously, as IIS's core protocol manager does, and
** Shutdown reports whether every AddRef it made was released. Its second
** init function, GetProtocolManagerFailing, makes one that calls
** FailWorkerProcess synchronously inside GetPmInterface and
** GetCustomInterface and then goes on using itself, as a library may: a
** host that lets go of it from inside that call frees it under its feet.
*/
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wpfcall.h"  /* WPF_METHOD and WPF_INIT, nothing else */

#if defined(_WIN32)
#define MINIPM_EXPORT __declspec(dllexport)
#else
#define MINIPM_EXPORT __attribute__((visibility("default")))
#endif

typedef int32_t hr_t;
typedef uint16_t wchar16;

#define HR_S_OK ((hr_t)0)
#define HR_E_NOTIMPL ((hr_t)0x80004001)
#define HR_E_POINTER ((hr_t)0x80004003)
#define HR_E_UNEXPECTED ((hr_t)0x8000FFFF)
#define HR_E_OUTOFMEMORY ((hr_t)0x8007000E)
#define HR_INSUFFICIENT_BUFFER ((hr_t)0x8007007A)

/* every interface: slot 0 AddRef, slot 1 Release, then its methods */
struct result_cb;
struct result_cb_vt {
  uint32_t (WPF_METHOD *add_ref)(struct result_cb *);
  uint32_t (WPF_METHOD *release)(struct result_cb *);
  hr_t (WPF_METHOD *report_result)(struct result_cb *, hr_t, unsigned char *, uint32_t);
};
struct result_cb { const struct result_cb_vt *vt; };

struct settings;
struct settings_vt {
  uint32_t (WPF_METHOD *add_ref)(struct settings *);
  uint32_t (WPF_METHOD *release)(struct settings *);
  hr_t (WPF_METHOD *get_dword)(struct settings *, int, uint32_t *);
  hr_t (WPF_METHOD *get_ulonglong)(struct settings *, int, uint64_t *);
  hr_t (WPF_METHOD *get_string)(struct settings *, int, wchar16 *, uint32_t *);
};
struct settings { const struct settings_vt *vt; };

struct framework;
struct framework_vt {
  uint32_t (WPF_METHOD *add_ref)(struct framework *);
  uint32_t (WPF_METHOD *release)(struct framework *);
  hr_t (WPF_METHOD *get_wpf_interface)(struct framework *, int, void **);
};
struct framework { const struct framework_vt *vt; };

struct wpf_actions;
struct wpf_actions_vt {
  uint32_t (WPF_METHOD *add_ref)(struct wpf_actions *);
  uint32_t (WPF_METHOD *release)(struct wpf_actions *);
  void (WPF_METHOD *recycle)(struct wpf_actions *, const wchar16 *);
  void (WPF_METHOD *fail)(struct wpf_actions *, const wchar16 *, hr_t, int);
};
struct wpf_actions { const struct wpf_actions_vt *vt; };

enum { SETTINGS_ID = 3, ACTIONS_ID = 4, APP_POOL_NAME = 1, CUSTOM_ACTIONS_ID = 3 };

typedef struct mini {
  const void *pm_vt;        /* IProtocolManager */
  const void *actions_vt;   /* IPmCustomActions */
  atomic_uint refs;
  struct framework *fw;
  atomic_int addrefs, releases;  /* on objects we were given */
  int fail_in_call;         /* GetProtocolManagerFailing */
  atomic_int calls;         /* interface requests answered */
} mini;

#define FROM_ACTIONS(p) ((mini *)((char *)(p) - offsetof(mini, actions_vt)))

static void hold(mini *m, void *obj) {
  ((struct result_cb *)obj)->vt->add_ref(obj);
  atomic_fetch_add(&m->addrefs, 1);
}

static void drop(mini *m, void *obj) {
  ((struct result_cb *)obj)->vt->release(obj);
  atomic_fetch_add(&m->releases, 1);
}

static size_t wlen(const wchar16 *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

static int wequals(const wchar16 *s, const char *ascii) {
  size_t i;
  for (i = 0; ascii[i]; i++)
    if (s[i] != (wchar16)(unsigned char)ascii[i]) return 0;
  return s[i] == 0;
}

static uint32_t mini_release_obj(mini *m) {
  uint32_t left = atomic_fetch_sub(&m->refs, 1) - 1;
  if (left == 0) {
    if (m->fw != NULL) drop(m, m->fw);
    free(m);
  }
  return left;
}

static uint32_t WPF_METHOD pm_add_ref(void *self) { return atomic_fetch_add(&((mini *)self)->refs, 1) + 1; }
static uint32_t WPF_METHOD pm_release(void *self) { return mini_release_obj(self); }

/* FailWorkerProcess through the framework's IWpfActions, at once. */
static void fail_now(mini *m) {
  static const wchar16 reason[] = {'i', 'n', ' ', 'c', 'a', 'l', 'l', 0};
  struct wpf_actions *a = NULL;
  if (!m->fail_in_call || m->fw == NULL) return;
  if (m->fw->vt->get_wpf_interface(m->fw, ACTIONS_ID, (void **)&a) < 0 || a == NULL) return;
  a->vt->fail(a, reason, HR_E_UNEXPECTED, 0);
  a->vt->release(a);
}

static hr_t WPF_METHOD pm_get_pm_interface(void *self, int id, void **out) {
  mini *m = self;
  if (out == NULL) return HR_E_POINTER;
  fail_now(m);
  atomic_fetch_add(&m->calls, 1);
  *out = NULL;
  if (id != CUSTOM_ACTIONS_ID) return HR_E_NOTIMPL;
  atomic_fetch_add(&m->refs, 1);
  *out = &m->actions_vt;
  return HR_S_OK;
}

static hr_t WPF_METHOD pm_get_custom_interface(void *self, uint32_t id, void **out) {
  mini *m = self;
  if (out != NULL) *out = NULL;
  fail_now(m);
  atomic_fetch_add(&m->calls, 1);
  return HR_E_NOTIMPL;
}

/* Lets go of the framework; S_OK only when every AddRef was released. */
static hr_t WPF_METHOD pm_shutdown(void *self, int immediate) {
  mini *m = self;
  if (m->fw != NULL) {
    drop(m, m->fw);
    m->fw = NULL;
  }
  return atomic_load(&m->addrefs) == atomic_load(&m->releases) ? HR_S_OK : HR_E_UNEXPECTED;
}

static const struct {
  uint32_t (WPF_METHOD *add_ref)(void *);
  uint32_t (WPF_METHOD *release)(void *);
  hr_t (WPF_METHOD *get_pm_interface)(void *, int, void **);
  hr_t (WPF_METHOD *get_custom_interface)(void *, uint32_t, void **);
  hr_t (WPF_METHOD *shutdown)(void *, int);
} pm_vt = { pm_add_ref, pm_release, pm_get_pm_interface, pm_get_custom_interface, pm_shutdown };

static uint32_t WPF_METHOD act_add_ref(void *self) { return pm_add_ref(FROM_ACTIONS(self)); }
static uint32_t WPF_METHOD act_release(void *self) { return mini_release_obj(FROM_ACTIONS(self)); }

/* The pool name through IWpfSettings, with the size query first. */
static hr_t report_pool(mini *m, struct result_cb *cb) {
  struct settings *st = NULL;
  wchar16 *buf;
  uint32_t cch = 0;
  hr_t hr = m->fw->vt->get_wpf_interface(m->fw, SETTINGS_ID, (void **)&st);
  if (hr < 0) return cb->vt->report_result(cb, hr, NULL, 0);
  atomic_fetch_add(&m->addrefs, 1);  /* the interface came with a reference */
  hr = st->vt->get_string(st, APP_POOL_NAME, NULL, &cch);
  if (hr == HR_INSUFFICIENT_BUFFER && (buf = malloc(cch * sizeof *buf)) != NULL) {
    hr = st->vt->get_string(st, APP_POOL_NAME, buf, &cch);
    hr = cb->vt->report_result(cb, hr, (unsigned char *)buf, hr < 0 ? 0 : (uint32_t)(wlen(buf) * 2));
    free(buf);
  } else {
    hr = cb->vt->report_result(cb, hr < 0 ? hr : HR_E_OUTOFMEMORY, NULL, 0);
  }
  drop(m, st);
  return hr;
}

/* Echo and Pool answer inside the call; other names are not implemented. */
static hr_t WPF_METHOD act_run(void *self, const wchar16 *name, const wchar16 *args, struct result_cb *cb) {
  mini *m = FROM_ACTIONS(self);
  hr_t hr;
  if (name == NULL || cb == NULL) return HR_E_POINTER;
  if (!wequals(name, "Echo") && !wequals(name, "Pool")) return HR_E_NOTIMPL;
  hold(m, cb);
  if (wequals(name, "Echo")) {
    size_t n = args ? wlen(args) : 0;
    unsigned char *copy = malloc(n * 2 + 1);  /* freed once ReportResult returns */
    if (copy == NULL) {
      hr = cb->vt->report_result(cb, HR_E_OUTOFMEMORY, NULL, 0);
    } else {
      if (n > 0) memcpy(copy, args, n * 2);
      hr = cb->vt->report_result(cb, HR_S_OK, copy, (uint32_t)(n * 2));
      free(copy);
    }
  } else {
    hr = report_pool(m, cb);
  }
  drop(m, cb);
  return hr;
}

static const struct {
  uint32_t (WPF_METHOD *add_ref)(void *);
  uint32_t (WPF_METHOD *release)(void *);
  hr_t (WPF_METHOD *run)(void *, const wchar16 *, const wchar16 *, struct result_cb *);
} actions_vt = { act_add_ref, act_release, act_run };

MINIPM_EXPORT hr_t WPF_INIT GetProtocolManager(struct framework *fw, void **out);
MINIPM_EXPORT hr_t WPF_INIT GetProtocolManagerFailing(struct framework *fw, void **out);

static hr_t make(struct framework *fw, void **out, int fail_in_call) {
  mini *m;
  if (fw == NULL || out == NULL) return HR_E_POINTER;
  m = calloc(1, sizeof *m);
  if (m == NULL) return HR_E_OUTOFMEMORY;
  m->pm_vt = &pm_vt;
  m->actions_vt = &actions_vt;
  atomic_init(&m->refs, 1);
  m->fw = fw;
  m->fail_in_call = fail_in_call;
  hold(m, fw);
  *out = &m->pm_vt;
  return HR_S_OK;
}

MINIPM_EXPORT hr_t WPF_INIT GetProtocolManager(struct framework *fw, void **out) {
  return make(fw, out, 0);
}

MINIPM_EXPORT hr_t WPF_INIT GetProtocolManagerFailing(struct framework *fw, void **out) {
  return make(fw, out, 1);
}
