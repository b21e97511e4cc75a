/*
** platform_win32.c: Windows implementation of platform.h, for builds with
** mingw-w64 or MSVC. Slim reader/writer locks and condition variables
** stand in for pthread mutexes and conditions, InitOnceExecuteOnce for
** pthread_once, a fiber-local slot (whose callback runs at thread exit)
** for the pthread key destructor, and a manual-reset event for the
** wake-up descriptor: it stays signalled until cleared, as the eventfd
** stays readable, so repeated signals collapse the same way. This file
** includes windows.h but not wpf.h; the two disagree on HRESULT's type.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>

#include "platform.h"
#include "alloc.h"

/* platform.h keeps windows.h out by declaring storage of the same size */
_Static_assert(sizeof(ca_mutex) == sizeof(SRWLOCK), "ca_mutex is an SRWLOCK");
_Static_assert(sizeof(ca_cond) == sizeof(CONDITION_VARIABLE),
               "ca_cond is a CONDITION_VARIABLE");
_Static_assert(sizeof(ca_once) == sizeof(INIT_ONCE), "ca_once is an INIT_ONCE");
_Static_assert(sizeof(ca_tls_key) == sizeof(DWORD), "ca_tls_key is a DWORD");

ca_thread_id ca_thread_self(void) { return GetCurrentThreadId(); }

int ca_thread_is(ca_thread_id id) { return id == GetCurrentThreadId(); }

typedef struct start_rec {
  void *(*fn)(void *);
  void *arg;
} start_rec;

static DWORD WINAPI thread_main(LPVOID p) {
  start_rec r = *(start_rec *)p;
  free(p);
  r.fn(r.arg);
  return 0;
}

int ca_thread_start(ca_thread *t, void *(*fn)(void *), void *arg) {
  start_rec *r = ca_malloc(sizeof *r);
  HANDLE h;
  if (r == NULL) return -1;
  r->fn = fn;
  r->arg = arg;
  h = CreateThread(NULL, 0, thread_main, r, 0, NULL);
  if (h == NULL) {
    free(r);
    return -1;
  }
  *t = h;
  return 0;
}

void ca_thread_join(ca_thread t) {
  WaitForSingleObject((HANDLE)t, INFINITE);
  CloseHandle((HANDLE)t);
}

void ca_thread_detach(ca_thread t) { CloseHandle((HANDLE)t); }

int ca_mutex_init(ca_mutex *m) {
  InitializeSRWLock((PSRWLOCK)m);
  return 0;
}

void ca_mutex_destroy(ca_mutex *m) { (void)m; }  /* SRW locks own nothing */
void ca_mutex_lock(ca_mutex *m) { AcquireSRWLockExclusive((PSRWLOCK)m); }
void ca_mutex_unlock(ca_mutex *m) { ReleaseSRWLockExclusive((PSRWLOCK)m); }

int ca_cond_init(ca_cond *c) {
  InitializeConditionVariable((PCONDITION_VARIABLE)c);
  return 0;
}

void ca_cond_destroy(ca_cond *c) { (void)c; }
void ca_cond_broadcast(ca_cond *c) {
  WakeAllConditionVariable((PCONDITION_VARIABLE)c);
}

void ca_cond_wait(ca_cond *c, ca_mutex *m) {
  SleepConditionVariableSRW((PCONDITION_VARIABLE)c, (PSRWLOCK)m, INFINITE, 0);
}

int ca_cond_timedwait(ca_cond *c, ca_mutex *m, int64_t ms) {
  DWORD w = ms <= 0 ? 0 : ms >= (int64_t)INFINITE ? INFINITE - 1 : (DWORD)ms;
  if (SleepConditionVariableSRW((PCONDITION_VARIABLE)c, (PSRWLOCK)m, w, 0))
    return 0;
  return GetLastError() == ERROR_TIMEOUT;
}

static BOOL CALLBACK once_main(PINIT_ONCE once, PVOID param, PVOID *ctx) {
  void (**fn)(void) = param;
  (void)once;
  (void)ctx;
  (*fn)();
  return TRUE;
}

void ca_call_once(ca_once *once, void (*fn)(void)) {
  InitOnceExecuteOnce((PINIT_ONCE)once, once_main, (PVOID)&fn, NULL);
}

/* Fiber-local callbacks are WINAPI; the one destructor sits behind this. */
static void (*tls_destructor)(void *);

static VOID WINAPI tls_main(PVOID value) {
  if (value != NULL && tls_destructor != NULL) tls_destructor(value);
}

int ca_tls_create(ca_tls_key *key, void (*destructor)(void *)) {
  DWORD k;
  if (destructor != NULL) {
    if (tls_destructor != NULL && tls_destructor != destructor) return -1;
    tls_destructor = destructor;
  }
  k = FlsAlloc(destructor != NULL ? tls_main : NULL);
  if (k == FLS_OUT_OF_INDEXES) return -1;
  *key = k;
  return 0;
}

int ca_tls_set(ca_tls_key key, void *value) {
  return FlsSetValue(key, value) ? 0 : -1;
}

void *ca_tls_get(ca_tls_key key) { return FlsGetValue(key); }

void ca_yield(void) { SwitchToThread(); }

int64_t ca_now_ns(void) {
  static LARGE_INTEGER freq;
  LARGE_INTEGER now;
  if (freq.QuadPart == 0) QueryPerformanceFrequency(&freq);
  QueryPerformanceCounter(&now);
  /* split, so that the product cannot overflow after months of uptime */
  return (int64_t)(now.QuadPart / freq.QuadPart) * 1000000000 +
         (int64_t)(now.QuadPart % freq.QuadPart) * 1000000000 / freq.QuadPart;
}

void ca_sleep_ms(int64_t ms) {
  Sleep(ms <= 0 ? 0 : ms >= (int64_t)INFINITE ? INFINITE - 1 : (DWORD)ms);
}

void ca_pin_module(const void *addr) {
  HMODULE m;
  (void)GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                           GET_MODULE_HANDLE_EX_FLAG_PIN, (LPCWSTR)addr, &m);
}

char *ca_module_path(const void *addr) {
  enum { MAXW = 32768 };   /* the longest path Windows has */
  HMODULE m;
  wchar_t *w;
  DWORD n;
  int len = 0;
  char *s = NULL;
  if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                          GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                          (LPCWSTR)addr, &m) ||
      (w = ca_malloc(MAXW * sizeof *w)) == NULL)
    return NULL;
  n = GetModuleFileNameW(m, w, MAXW);
  if (n > 0 && n < MAXW)
    len = WideCharToMultiByte(CP_UTF8, 0, w, (int)n + 1, NULL, 0, NULL, NULL);
  if (len > 0 && (s = ca_malloc((size_t)len)) != NULL)
    WideCharToMultiByte(CP_UTF8, 0, w, (int)n + 1, s, len, NULL, NULL);
  free(w);
  return s;
}

static void win_message(char *err, size_t errlen) {
  DWORD e = GetLastError();
  DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM |
                           FORMAT_MESSAGE_IGNORE_INSERTS, NULL, e, 0, err,
                           (DWORD)errlen, NULL);
  while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == '\r')) err[--n] = 0;
  if (n == 0) snprintf(err, errlen, "error %lu", (unsigned long)e);
}

void *ca_lib_open(const char *path, char *err, size_t errlen) {
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, NULL,
                              0);
  wchar_t *w;
  HMODULE h;
  int i;
  if (n <= 0) {
    snprintf(err, errlen, "the path is not valid UTF-8");
    return NULL;
  }
  w = ca_malloc((size_t)n * sizeof *w);
  if (w == NULL) {
    snprintf(err, errlen, "not enough memory");
    return NULL;
  }
  MultiByteToWideChar(CP_UTF8, 0, path, -1, w, n);
  for (i = 0; i < n; i++)   /* LoadLibraryW wants backslashes in paths */
    if (w[i] == L'/') w[i] = L'\\';
  h = LoadLibraryW(w);
  free(w);
  if (h == NULL) win_message(err, errlen);
  return (void *)h;
}

void *ca_lib_symbol(void *lib, const char *name, char *err, size_t errlen) {
  FARPROC p = GetProcAddress((HMODULE)lib, name);
  if (p == NULL) win_message(err, errlen);
  return (void *)(uintptr_t)p;
}

int ca_wake_init(ca_wake *w) {
  w->event = CreateEventW(NULL, TRUE, FALSE, NULL);
  return w->event != NULL ? 0 : -1;
}

void ca_wake_close(ca_wake *w) {
  if (w->event != NULL) CloseHandle((HANDLE)w->event);
  w->event = NULL;
}

void ca_wake_signal(ca_wake *w) { SetEvent((HANDLE)w->event); }
void ca_wake_clear(ca_wake *w) { ResetEvent((HANDLE)w->event); }

int ca_wake_wait(ca_wake *w, int64_t ms) {
  DWORD t = ms < 0 ? INFINITE : ms >= (int64_t)INFINITE ? INFINITE - 1
                                                        : (DWORD)ms;
  return WaitForSingleObject((HANDLE)w->event, t) == WAIT_OBJECT_0;
}

intptr_t ca_wake_handle(const ca_wake *w) { return (intptr_t)w->event; }

#else
typedef int ca_platform_win32_unused;  /* ISO C wants a declaration */
#endif
