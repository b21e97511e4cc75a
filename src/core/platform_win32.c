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
#include <string.h>

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

/* ---- text the system hands over: the ANSI code page, the command line -- */

unsigned ca_acp(void) { return GetACP(); }

/* s (len bytes in code page cp) as malloc'd UTF-16 units; NULL with the
   reason in err. An empty string gives one unit, unused. */
static wchar_t *widen(UINT cp, const char *s, size_t len, int *n, char *err,
                      size_t errlen) {
  wchar_t *w;
  *n = 0;
  if (len > 0x7fffffff) {
    snprintf(err, errlen, "the text is too long (%lu bytes)",
             (unsigned long)len);
    return NULL;
  }
  if (len > 0 && (*n = MultiByteToWideChar(cp, MB_ERR_INVALID_CHARS, s,
                                           (int)len, NULL, 0)) <= 0) {
    if (cp == CP_UTF8) snprintf(err, errlen, "not UTF-8 text");
    else snprintf(err, errlen, "not text in the ANSI code page (%u)", cp);
    return NULL;
  }
  if ((w = ca_malloc(((size_t)*n + 1) * sizeof *w)) == NULL)
    snprintf(err, errlen, "not enough memory");
  else if (*n > 0)
    MultiByteToWideChar(cp, 0, s, (int)len, w, *n);
  return w;
}

/* The first of n units that the code page cp has no form for, named with
   its UTF-8 byte offset in err; -1 always (the caller's failure). */
static long no_form(UINT cp, const wchar_t *w, int n, char *err,
                    size_t errlen) {
  size_t at = 0;
  int i, k;
  for (i = 0; i < n; i += k) {
    unsigned long c = w[i];
    char tmp[8];
    BOOL used = FALSE;
    k = 1;
    if (c >= 0xD800 && c < 0xDC00 && i + 1 < n && w[i + 1] >= 0xDC00 &&
        w[i + 1] < 0xE000) {
      c = 0x10000 + ((c - 0xD800) << 10) + (w[i + 1] - 0xDC00);
      k = 2;
    }
    WideCharToMultiByte(cp, WC_NO_BEST_FIT_CHARS, w + i, k, tmp, sizeof tmp,
                        NULL, &used);
    if (used) {
      snprintf(err, errlen, "U+%04lX at byte %lu has no form in the ANSI "
               "code page (%u)", c, (unsigned long)at + 1, cp);
      return -1;
    }
    at += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  snprintf(err, errlen, "the text has no form in the ANSI code page (%u)",
           cp);
  return -1;
}

long ca_acp_convert(int to_utf8, const char *s, size_t len, char *out,
                    size_t cap, char *err, size_t errlen) {
  UINT acp = GetACP(), from = to_utf8 ? acp : CP_UTF8,
       to = to_utf8 ? CP_UTF8 : acp;
  /* UTF-8 takes no best-fit flag and reports no default character */
  DWORD flags = to == CP_UTF8 ? 0 : WC_NO_BEST_FIT_CHARS;
  BOOL used = FALSE;
  int n, m = 0;
  wchar_t *w = widen(from, s, len, &n, err, errlen);
  if (w == NULL) return -1;
  if (n > 0)
    m = WideCharToMultiByte(to, flags, w, n, NULL, 0, NULL,
                            to == CP_UTF8 ? NULL : &used);
  if (n > 0 && (m <= 0 || used)) {
    long r = no_form(to, w, n, err, errlen);
    free(w);
    return r;
  }
  if (out != NULL && (size_t)m <= cap && m > 0)
    WideCharToMultiByte(to, flags, w, n, out, m, NULL, NULL);
  free(w);
  return m;
}

/*
** NUL-terminated w as UTF-8 into out (NULL: measure); returns the bytes,
** its NUL included. An unpaired surrogate keeps its 3-byte form (as WTF-8
** does), which every UTF-8 check of the module refuses naming the bytes,
** where WideCharToMultiByte would put U+FFFD in its place unannounced.
*/
static size_t utf8_of(const wchar_t *w, char *out) {
  size_t at = 0;
  for (; *w; w++) {
    unsigned long c = *w;
    int k, extra;
    if (c >= 0xD800 && c < 0xDC00 && w[1] >= 0xDC00 && w[1] < 0xE000) {
      c = 0x10000 + ((c - 0xD800) << 10) + (unsigned long)(*++w - 0xDC00);
    }
    extra = c < 0x80 ? 0 : c < 0x800 ? 1 : c < 0x10000 ? 2 : 3;
    if (out != NULL) {
      static const unsigned char lead[4] = {0x00, 0xC0, 0xE0, 0xF0};
      out[at] = (char)(lead[extra] | (c >> (6 * extra)));
      for (k = 1; k <= extra; k++)
        out[at + k] = (char)(0x80 | ((c >> (6 * (extra - k))) & 0x3F));
    }
    at += (size_t)extra + 1;
  }
  if (out != NULL) out[at] = '\0';
  return at + 1;
}

/* Appends the UTF-8 and the ANSI form of w to buf (when they fit). */
static size_t pack_arg(const wchar_t *w, char *buf, size_t cap, size_t at) {
  size_t u = utf8_of(w, NULL);
  int m = WideCharToMultiByte(CP_ACP, 0, w, -1, NULL, 0, NULL, NULL);
  if (m <= 0) m = 1;   /* nothing the C runtime could have either */
  if (buf != NULL && at + u + (size_t)m <= cap) {
    utf8_of(w, buf + at);
    if (WideCharToMultiByte(CP_ACP, 0, w, -1, buf + at + u, m, NULL,
                            NULL) <= 0)
      buf[at + u] = '\0';
  }
  return at + u + (size_t)m;
}

/*
** CommandLineToArgvW lives in shell32, which the module does not link
** against (its DLLs need only KERNEL32 and the C runtime): looked up when
** asked, as few programs ask.
*/
typedef LPWSTR *(WINAPI *argv_fn)(LPCWSTR, int *);

size_t ca_command_line(char *buf, size_t cap, int *n) {
  HMODULE shell = LoadLibraryW(L"shell32.dll");
  argv_fn split = shell != NULL
    ? (argv_fn)(uintptr_t)GetProcAddress(shell, "CommandLineToArgvW") : NULL;
  LPWSTR *v;
  size_t at = 0;
  int i;
  *n = 0;
  if (split == NULL || (v = split(GetCommandLineW(), n)) == NULL) {
    if (shell != NULL) FreeLibrary(shell);
    *n = 0;
    return 0;
  }
  for (i = 0; i < *n; i++) at = pack_arg(v[i], buf, cap, at);
  LocalFree(v);
  FreeLibrary(shell);
  return at;
}
/* ---- end of the text the system hands over ------------------------------ */

static void say(const char *msg) {
  DWORD n;
  WriteFile(GetStdHandle(STD_ERROR_HANDLE), msg, (DWORD)strlen(msg), &n,
            NULL);
}

/* TerminateProcess, not ExitProcess: no DLL detach code of a library
   that may be what hangs */
void ca_end_process(const char *msg, int code) {
  say(msg);
  TerminateProcess(GetCurrentProcess(), (UINT)code);
}

/* Runs on the thread that faulted, perhaps with little stack left: no
   allocation, no C runtime formatting. */
static LONG WINAPI on_crash(EXCEPTION_POINTERS *e) {
  static const char hex[] = "0123456789ABCDEF";
  char msg[] = "unhandled exception 0x00000000\n";
  DWORD code = e->ExceptionRecord->ExceptionCode;
  int i;
  for (i = 0; i < 8; i++) msg[22 + i] = hex[(code >> (28 - 4 * i)) & 15];
  say(msg);
  TerminateProcess(GetCurrentProcess(), code);
  return EXCEPTION_EXECUTE_HANDLER;
}

void ca_crash_plainly(void) {
  SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX |
               SEM_NOOPENFILEERRORBOX);
  SetUnhandledExceptionFilter(on_crash);
}

#else
typedef int ca_platform_win32_unused;  /* ISO C wants a declaration */
#endif
