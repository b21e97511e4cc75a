/*
** broken.c: a protocol manager that breaks one rule of the contract on
** request, for the specs of `customaction check` (spec/check_spec.lua).
** The framework setting APP_POOL_NAME, read once in GetProtocolManager,
** names the misbehaviour (the list is `modes` below); any other value
** gives a protocol manager that keeps every rule, so each spec can show
** that the one check named for a misbehaviour catches it and no other
** check does. What it offers: IPmCustomActions (Echo, answered inside the
** call as IIS's core protocol manager does), IPmCustomActions2 through
** GetCustomInterface(2) (Counters "count=N", N reports 10 ms apart from a
** thread of its own, the last final; count=0 runs until unregistered),
** and IPmHealthAndIdleMonitor (healthy, idle when nothing is registered).
** It builds as broken.so with POSIX threads and as broken.dll with the
** Windows API's, through the few lines of shim below.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "wpf.h"

/* ---- threads and locks: POSIX, or kernel32 -------------------------------- */

typedef struct start {
  void (*fn)(void *);
  void *arg;
} start;

#ifdef _WIN32
/* kernel32's own declarations: windows.h's HRESULT is not wpf.h's */
typedef struct lock_t { void *srw; } lock_t;   /* an SRWLOCK */
typedef void *thread_t;
__declspec(dllimport) void __stdcall InitializeSRWLock(lock_t *l);
__declspec(dllimport) void __stdcall AcquireSRWLockExclusive(lock_t *l);
__declspec(dllimport) void __stdcall ReleaseSRWLockExclusive(lock_t *l);
__declspec(dllimport) void *__stdcall CreateThread(void *attrs, size_t stack,
    unsigned long (__stdcall *fn)(void *), void *arg, unsigned long flags,
    unsigned long *id);
__declspec(dllimport) unsigned long __stdcall WaitForSingleObject(void *h,
    unsigned long ms);
__declspec(dllimport) int __stdcall CloseHandle(void *h);
__declspec(dllimport) void __stdcall Sleep(unsigned long ms);
#define EXPORT __declspec(dllexport)

static void lock_init(lock_t *l) { InitializeSRWLock(l); }
static void lock_destroy(lock_t *l) { (void)l; }
static void lock(lock_t *l) { AcquireSRWLockExclusive(l); }
static void unlock(lock_t *l) { ReleaseSRWLockExclusive(l); }
static void pause_ms(long ms) { Sleep((unsigned long)ms); }

static unsigned long __stdcall trampoline(void *p) {
  start s = *(start *)p;
  free(p);
  s.fn(s.arg);
  return 0;
}

static int spawn(thread_t *t, start *s) {
  *t = CreateThread(NULL, 0, trampoline, s, 0, NULL);
  return *t != NULL ? 0 : -1;
}

static void join(thread_t t) {
  WaitForSingleObject(t, 0xFFFFFFFFul);   /* INFINITE */
  CloseHandle(t);
}

static void detach(thread_t t) { CloseHandle(t); }
#else
#include <pthread.h>
#include <time.h>
typedef pthread_mutex_t lock_t;
typedef pthread_t thread_t;
#define EXPORT __attribute__((visibility("default")))

static void lock_init(lock_t *l) { pthread_mutex_init(l, NULL); }
static void lock_destroy(lock_t *l) { pthread_mutex_destroy(l); }
static void lock(lock_t *l) { pthread_mutex_lock(l); }
static void unlock(lock_t *l) { pthread_mutex_unlock(l); }

static void pause_ms(long ms) {
  struct timespec t;
  t.tv_sec = ms / 1000;
  t.tv_nsec = (ms % 1000) * 1000000L;
  nanosleep(&t, NULL);
}

static void *trampoline(void *p) {
  start s = *(start *)p;
  free(p);
  s.fn(s.arg);
  return NULL;
}

static int spawn(thread_t *t, start *s) {
  return pthread_create(t, NULL, trampoline, s) == 0 ? 0 : -1;
}

static void join(thread_t t) { pthread_join(t, NULL); }
static void detach(thread_t t) { pthread_detach(t); }
#endif

/* Runs fn(arg) on a new thread; -1 when none could start. */
static int thread_start(thread_t *t, void (*fn)(void *), void *arg) {
  start *s = malloc(sizeof *s);
  if (s == NULL) return -1;
  s->fn = fn;
  s->arg = arg;
  if (spawn(t, s) != 0) {
    free(s);
    return -1;
  }
  return 0;
}
#define S_OK_ ((HRESULT)0)
#define E_NOTIMPL_ ((HRESULT)0x80004001)
#define E_POINTER_ ((HRESULT)0x80004003)
#define E_ABORT_ ((HRESULT)0x80004004)
#define E_OUTOFMEMORY_ ((HRESULT)0x8007000E)
#define NOT_FOUND_ ((HRESULT)0x80070490)       /* ERROR_NOT_FOUND */
#define ALREADY_EXISTS_ ((HRESULT)0x800700B7)  /* ERROR_ALREADY_EXISTS */
#define MAX_STREAMS 16

enum mode { GOOD, LEAK_CB, DOUBLE_FINAL, AFTER_UNREGISTER, UNKNOWN_OK,
            KNOWN_SILENT, HEALTH_TWICE, AFTER_SHUTDOWN, NULL_ARGS, LEAK_FW,
            SLOW_SHUTDOWN, OVER_RELEASE, FLAT_REFS, KEEP_ARGS, NMODES };

static const char *const modes[NMODES] = {"good", "leak-callback",
  "double-final", "report-after-unregister", "unknown-ok", "known-silent",
  "health-twice", "report-after-shutdown", "null-args", "leak-framework",
  "slow-shutdown", "over-release", "flat-refs", "keep-args"};

#define MAX_KEPT 16

typedef struct stream {
  ICustomAction2ResultCallback *cb;  /* NULL: slot free */
  WCHAR name[32];
  unsigned left, sent;               /* left 0: until unregistered */
} stream;

/* An Echo that keep-args answers later, from the pointer it was given. */
typedef struct kept {
  ICustomActionResultCallback *cb;   /* NULL: slot free */
  PCWSTR args;
} kept;

typedef struct broken {
  IProtocolManager pm;
  IPmCustomActions actions;
  IPmCustomActions2 actions2;
  IPmHealthAndIdleMonitor monitor;
  lock_t lock;
  thread_t worker;
  int running;
  unsigned refs;
  enum mode mode;
  IWorkerProcessFramework *fw;
  stream streams[MAX_STREAMS];
  kept kept[MAX_KEPT];
} broken;

#define FROM(p, field) ((broken *)(void *)((char *)(p) - offsetof(broken, field)))

static int wequal(PCWSTR s, const char *ascii) {
  size_t i;
  for (i = 0; ascii[i]; i++)
    if (s[i] != (WCHAR)(unsigned char)ascii[i]) return 0;
  return s[i] == 0;
}

static size_t wlen(PCWSTR s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

/* ---- reference counting of the one object ------------------------------- */

static ULONG addref(broken *b) {
  ULONG r;
  lock(&b->lock);
  r = ++b->refs;
  unlock(&b->lock);
  return b->mode == FLAT_REFS ? 1 : r;   /* the misbehaviour: a count that says nothing */
}

static ULONG release(broken *b) {
  ULONG r;
  lock(&b->lock);
  r = --b->refs;
  unlock(&b->lock);
  if (r == 0) {
    if (b->fw != NULL) b->fw->lpVtbl->Release(b->fw);
    lock_destroy(&b->lock);
    free(b);
  }
  return r;
}

#define REFS(T, field) \
  static ULONG WPF_METHOD field##_addref(T *self) { return addref(FROM(self, field)); } \
  static ULONG WPF_METHOD field##_release(T *self) { return release(FROM(self, field)); }
REFS(IProtocolManager, pm)
REFS(IPmCustomActions, actions)
REFS(IPmCustomActions2, actions2)
REFS(IPmHealthAndIdleMonitor, monitor)

/* ---- IPmCustomActions ---------------------------------------------------- */

/* Echo's answer: the argument back, from a copy freed once ReportResult
   returns. */
static HRESULT echo(broken *b, ICustomActionResultCallback *cb, PCWSTR args) {
  HRESULT hr;
  /* the misbehaviour reads a NULL argument as if it were a string */
  size_t n = b->mode == NULL_ARGS ? wlen(args) : args ? wlen(args) : 0;
  BYTE *copy = malloc(n * 2 + 1);
  if (copy == NULL) return cb->lpVtbl->ReportResult(cb, E_OUTOFMEMORY_, NULL, 0);
  if (n > 0) memcpy(copy, args, n * 2);
  hr = cb->lpVtbl->ReportResult(cb, S_OK_, copy, (DWORD)(n * 2));
  free(copy);
  return hr;
}

/* The misbehaviour: the argument pointer itself kept, to be read after
   the call returned (the worker's next tick answers); 0 when full. */
static int keep(broken *b, ICustomActionResultCallback *cb, PCWSTR args) {
  int i, done = 0;
  lock(&b->lock);
  for (i = 0; i < MAX_KEPT && !done; i++)
    if (b->kept[i].cb == NULL) {
      b->kept[i].cb = cb;
      b->kept[i].args = args;
      done = 1;
    }
  unlock(&b->lock);
  return done;
}

/* Answers the kept Echos, reading pointers that are no longer theirs. */
static void answer_kept(broken *b) {
  int i;
  for (i = 0; i < MAX_KEPT; i++) {
    ICustomActionResultCallback *cb;
    PCWSTR args;
    lock(&b->lock);
    cb = b->kept[i].cb;
    args = b->kept[i].args;
    b->kept[i].cb = NULL;
    unlock(&b->lock);
    if (cb == NULL) continue;
    echo(b, cb, args);
    cb->lpVtbl->Release(cb);
  }
}

static HRESULT WPF_METHOD run(IPmCustomActions *self, PCWSTR name, PCWSTR args,
                   ICustomActionResultCallback *cb) {
  broken *b = FROM(self, actions);
  HRESULT hr;
  if (name == NULL || cb == NULL) return E_POINTER_;
  if (!wequal(name, "Echo")) return b->mode == UNKNOWN_OK ? S_OK_ : E_NOTIMPL_;
  if (b->mode == KNOWN_SILENT) return S_OK_;
  cb->lpVtbl->AddRef(cb);
  if (b->mode == LEAK_CB) cb->lpVtbl->AddRef(cb);
  /* the kept Echo takes the reference along */
  if (b->mode == KEEP_ARGS && keep(b, cb, args)) return S_OK_;
  hr = echo(b, cb, args);
  cb->lpVtbl->Release(cb);
  if (b->mode == OVER_RELEASE) cb->lpVtbl->Release(cb);
  return hr;
}

static const IPmCustomActionsVtbl actions_vtbl = {actions_addref,
  actions_release, run};

/* ---- IPmCustomActions2: the worker thread sends the streams' reports ---- */

static void report(ICustomAction2ResultCallback *cb, HRESULT hr, int final,
                   unsigned n) {
  BYTE buf[4];
  buf[0] = (BYTE)n;
  buf[1] = (BYTE)(n >> 8);
  buf[2] = 0;
  buf[3] = 0;
  cb->lpVtbl->ReportResult(cb, hr, final, buf, 4);
}

/* One tick: the next report of every stream, made under the lock (the
   checker's callbacks only queue reports from other threads). */
static void tick(broken *b) {
  int i;
  for (i = 0; i < MAX_STREAMS; i++) {
    ICustomAction2ResultCallback *cb;
    unsigned n;
    int final;
    lock(&b->lock);
    cb = b->streams[i].cb;
    if (cb == NULL) { unlock(&b->lock); continue; }
    n = ++b->streams[i].sent;
    final = b->streams[i].left != 0 && n >= b->streams[i].left;
    if (final) b->streams[i].cb = NULL;
    /* under the lock, so that Unregister's final cannot come between */
    report(cb, S_OK_, final, n);
    if (final && b->mode == DOUBLE_FINAL) report(cb, S_OK_, 1, n);
    unlock(&b->lock);
    if (final) cb->lpVtbl->Release(cb);
  }
}

static void worker(void *arg) {
  broken *b = arg;
  for (;;) {
    int running;
    lock(&b->lock);
    running = b->running;
    unlock(&b->lock);
    if (!running) return;
    tick(b);
    answer_kept(b);
    pause_ms(10);
  }
}

static unsigned count_of(PCWSTR args) {
  unsigned n = 0;
  size_t i = 0;
  if (args == NULL || !(args[0] == 'c' && args[5] == '=')) return 3;
  for (i = 6; args[i] >= '0' && args[i] <= '9' && n < 100000; i++)
    n = n * 10 + (unsigned)(args[i] - '0');
  return n;
}

static stream *find(broken *b, PCWSTR name) {
  int i;
  for (i = 0; i < MAX_STREAMS; i++)
    if (b->streams[i].cb != NULL && memcmp(b->streams[i].name, name,
        (wlen(name) + 1) * sizeof(WCHAR)) == 0)
      return &b->streams[i];
  return NULL;
}

static HRESULT WPF_METHOD reg(IPmCustomActions2 *self, PCWSTR name, PCWSTR args,
                   ICustomAction2ResultCallback *cb) {
  broken *b = FROM(self, actions2);
  HRESULT hr = E_OUTOFMEMORY_;
  int i;
  if (name == NULL || cb == NULL) return E_POINTER_;
  if (!wequal(name, "Counters")) return E_NOTIMPL_;
  lock(&b->lock);
  if (!b->running) hr = E_ABORT_;
  else if (find(b, name) != NULL) hr = ALREADY_EXISTS_;
  else
    for (i = 0; i < MAX_STREAMS; i++)
      if (b->streams[i].cb == NULL) {
        memcpy(b->streams[i].name, name, (wlen(name) + 1) * sizeof(WCHAR));
        b->streams[i].left = count_of(args);
        b->streams[i].sent = 0;
        b->streams[i].cb = cb;
        cb->lpVtbl->AddRef(cb);
        hr = S_OK_;
        break;
      }
  unlock(&b->lock);
  return hr;
}

static HRESULT WPF_METHOD unreg(IPmCustomActions2 *self, PCWSTR name) {
  broken *b = FROM(self, actions2);
  ICustomAction2ResultCallback *cb = NULL;
  stream *s;
  if (name == NULL) return E_POINTER_;
  lock(&b->lock);
  s = wlen(name) < 32 ? find(b, name) : NULL;
  if (s != NULL) {
    cb = s->cb;
    s->cb = NULL;
  }
  unlock(&b->lock);
  if (cb == NULL) return NOT_FOUND_;
  cb->lpVtbl->ReportResult(cb, E_ABORT_, 1, NULL, 0);
  if (b->mode == AFTER_UNREGISTER) report(cb, S_OK_, 0, 0);
  cb->lpVtbl->Release(cb);
  return S_OK_;
}

static const IPmCustomActions2Vtbl actions2_vtbl = {actions2_addref,
  actions2_release, reg, unreg};

/* ---- IPmHealthAndIdleMonitor --------------------------------------------- */

static HRESULT WPF_METHOD check_idle(IPmHealthAndIdleMonitor *self, BOOL *idle) {
  broken *b = FROM(self, monitor);
  int i, any = 0;
  if (idle == NULL) return E_POINTER_;
  lock(&b->lock);
  for (i = 0; i < MAX_STREAMS; i++)
    if (b->streams[i].cb != NULL) any = 1;
  unlock(&b->lock);
  *idle = !any;
  return S_OK_;
}

static HRESULT WPF_METHOD check_health(IPmHealthAndIdleMonitor *self,
                            IHealthStatusCallback *cb) {
  broken *b = FROM(self, monitor);
  if (cb == NULL) return E_POINTER_;
  cb->lpVtbl->ReportHealth(cb, 1);
  if (b->mode == HEALTH_TWICE) cb->lpVtbl->ReportHealth(cb, 1);
  return S_OK_;
}

static const IPmHealthAndIdleMonitorVtbl monitor_vtbl = {monitor_addref,
  monitor_release, check_idle, check_health};

/* ---- IProtocolManager ---------------------------------------------------- */

static HRESULT WPF_METHOD get_pm_interface(IProtocolManager *self, PM_INTERFACE_ID_ENUM id,
                                PVOID *out) {
  broken *b = FROM(self, pm);
  if (out == NULL) return E_POINTER_;
  *out = NULL;
  if (id == PM_CUSTOM_ACTIONS_ID) *out = &b->actions;
  else if (id == PM_HEALTH_AND_IDLE_MONITOR_ID) *out = &b->monitor;
  else return E_NOTIMPL_;
  addref(b);
  return S_OK_;
}

static HRESULT WPF_METHOD get_custom_interface(IProtocolManager *self, DWORD id,
                                    PVOID *out) {
  broken *b = FROM(self, pm);
  if (out == NULL) return E_POINTER_;
  *out = NULL;
  if (id != 2) return E_NOTIMPL_;
  *out = &b->actions2;
  addref(b);
  return S_OK_;
}

/* The misbehaviour's thread: one more report well after Shutdown. */
static void late(void *arg) {
  ICustomAction2ResultCallback *cb = arg;
  pause_ms(20);
  report(cb, S_OK_, 0, 0);
  cb->lpVtbl->Release(cb);
}

static void end_stream(broken *b, ICustomAction2ResultCallback *cb) {
  thread_t t;
  cb->lpVtbl->ReportResult(cb, E_ABORT_, 1, NULL, 0);
  if (b->mode == AFTER_SHUTDOWN && thread_start(&t, late, cb) == 0)
    detach(t);
  else
    cb->lpVtbl->Release(cb);
}

static HRESULT WPF_METHOD shutdown(IProtocolManager *self, BOOL immediate) {
  broken *b = FROM(self, pm);
  IWorkerProcessFramework *fw;
  int i, was;
  if (immediate && b->mode == SLOW_SHUTDOWN) pause_ms(60000);
  lock(&b->lock);
  was = b->running;
  b->running = 0;
  unlock(&b->lock);
  if (was) join(b->worker);
  answer_kept(b);   /* no Echo answered after Shutdown */
  for (i = 0; i < MAX_STREAMS; i++) {
    ICustomAction2ResultCallback *cb = b->streams[i].cb;   /* no thread left */
    b->streams[i].cb = NULL;
    if (cb != NULL) end_stream(b, cb);
  }
  fw = b->fw;
  b->fw = NULL;
  if (fw != NULL) fw->lpVtbl->Release(fw);
  return S_OK_;
}

static const IProtocolManagerVtbl pm_vtbl = {pm_addref, pm_release,
  get_pm_interface, get_custom_interface, shutdown};

/* ---- the init function ---------------------------------------------------- */

/* The misbehaviour APP_POOL_NAME names, read through IWpfSettings. */
static enum mode read_mode(IWorkerProcessFramework *fw) {
  IWpfSettings *st = NULL;
  WCHAR buf[64];
  DWORD cch = 64;
  int m = GOOD;
  if (fw->lpVtbl->GetWpfInterface(fw, WPF_SETTINGS_ID, (PVOID *)&st) < 0 ||
      st == NULL)
    return GOOD;
  if (st->lpVtbl->GetStringProperty(st, APP_POOL_NAME, buf,
                                    &cch) >= 0)
    for (m = NMODES - 1; m > GOOD; m--)
      if (wequal(buf, modes[m])) break;
  st->lpVtbl->Release(st);
  return (enum mode)m;
}

EXPORT HRESULT WPF_INIT GetProtocolManager(IWorkerProcessFramework *fw,
                                  IProtocolManager **out);

EXPORT HRESULT WPF_INIT GetProtocolManager(IWorkerProcessFramework *fw,
                                  IProtocolManager **out) {
  broken *b;
  if (out == NULL) return E_POINTER_;
  *out = NULL;
  if (fw == NULL) return E_POINTER_;
  b = calloc(1, sizeof *b);
  if (b == NULL) return E_OUTOFMEMORY_;
  b->pm.lpVtbl = &pm_vtbl;
  b->actions.lpVtbl = &actions_vtbl;
  b->actions2.lpVtbl = &actions2_vtbl;
  b->monitor.lpVtbl = &monitor_vtbl;
  b->refs = 1;
  b->mode = read_mode(fw);
  fw->lpVtbl->AddRef(fw);
  if (b->mode == LEAK_FW) fw->lpVtbl->AddRef(fw);
  b->fw = fw;
  lock_init(&b->lock);
  b->running = 1;
  if (thread_start(&b->worker, worker, b) != 0) {
    b->running = 0;
    release(b);
    return E_OUTOFMEMORY_;
  }
  *out = &b->pm;
  return S_OK_;
}
