/*
** platform.h: the few operating-system services the core needs (thread
** identity, threads, mutexes, condition variables, one-time set-up,
** thread-exit cleanup, a monotonic clock and a wake-up handle that event
** loops can wait on), kept behind one interface so that everything else
** in src/ is plain C11. platform.c implements it with POSIX threads,
** platform_win32.c with the Windows API; each compiles to nothing on the
** other system. windows.h stays out of this header: its HRESULT, DWORD
** and BYTE would clash with wpf.h's fixed-width ones, so the Windows
** types appear here as storage of the same size.
*/
#ifndef CA_PLATFORM_H
#define CA_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#ifdef _WIN32
typedef unsigned long ca_thread_id;           /* a thread id (DWORD) */
typedef struct ca_mutex { void *opaque; } ca_mutex;   /* an SRWLOCK */
typedef struct ca_cond { void *opaque; } ca_cond;  /* a CONDITION_VARIABLE */
typedef void *ca_thread;                      /* a thread HANDLE */
typedef struct ca_once { void *opaque; } ca_once;     /* an INIT_ONCE */
#define CA_ONCE_INIT {0}
typedef unsigned long ca_tls_key;             /* a fiber-local slot */
#else
#include <pthread.h>
typedef pthread_t ca_thread_id;
typedef pthread_mutex_t ca_mutex;
typedef pthread_cond_t ca_cond;
typedef pthread_t ca_thread;
typedef pthread_once_t ca_once;
#define CA_ONCE_INIT PTHREAD_ONCE_INIT
typedef pthread_key_t ca_tls_key;
#endif
#include "visibility.h"
CA_HIDDEN_BEGIN

ca_thread_id ca_thread_self(void);
#ifdef _WIN32
int ca_thread_is(ca_thread_id id);
#else
/* inline: every report asks it, on the owning thread's short path */
static inline int ca_thread_is(ca_thread_id id) {
  return pthread_equal(id, pthread_self());
}
#endif
int ca_thread_start(ca_thread *t, void *(*fn)(void *), void *arg);
void ca_thread_join(ca_thread t);
/* Lets a thread end on its own: what a thread that cannot join itself does. */
void ca_thread_detach(ca_thread t);

int ca_mutex_init(ca_mutex *m);
void ca_mutex_destroy(ca_mutex *m);
void ca_mutex_lock(ca_mutex *m);
void ca_mutex_unlock(ca_mutex *m);

int ca_cond_init(ca_cond *c);
void ca_cond_destroy(ca_cond *c);
void ca_cond_broadcast(ca_cond *c);
void ca_cond_wait(ca_cond *c, ca_mutex *m);
/* Returns 0 when signalled (or spuriously woken), 1 on timeout. */
int ca_cond_timedwait(ca_cond *c, ca_mutex *m, int64_t ms);

/* Runs fn exactly once per *once, whichever threads ask at the same time. */
void ca_call_once(ca_once *once, void (*fn)(void));

/*
** A per-thread pointer (NULL until set) whose destructor, if any, runs
** when a thread that set it exits. Windows allows one destructor in this
** implementation, which is what the core uses (queue.c's producer list);
** keys without one are not limited. The core uses these rather than C11
** _Thread_local, which mingw-w64 implements through libgcc's DLL.
*/
int ca_tls_create(ca_tls_key *key, void (*destructor)(void *));
int ca_tls_set(ca_tls_key key, void *value);
void *ca_tls_get(ca_tls_key key);

/*
** A small number naming the calling thread in logs: 1, 2, ... in the order
** threads first ask, the same in every log (0 if no slot could be made).
*/
unsigned long ca_thread_number(void);

/* Gives the processor to another ready thread, if any. */
void ca_yield(void);

/* Monotonic time in nanoseconds. */
int64_t ca_now_ns(void);
/* Sleeps ms milliseconds (the test peer and the stress test use it). */
void ca_sleep_ms(int64_t ms);

/*
** Keeps the shared object that holds addr mapped until the process ends.
** Worker threads and native holders may call into the module after the
** Lua state that loaded it is gone, and LuaJIT's lua_close unloads C
** modules before it runs the finalizers of their userdata.
*/
void ca_pin_module(const void *addr);

/*
** The file of the loaded library (or program) that holds addr, as an
** absolute UTF-8 path in malloc'd memory, or NULL: what a library reads
** to find files kept beside it.
*/
char *ca_module_path(const void *addr);

/*
** Loads a shared library (dlopen; LoadLibraryW with the UTF-8 path made
** UTF-16 on Windows) for the life of the process: a protocol manager's
** threads and objects may outlive everything that used them, so nothing
** ever unloads it. NULL on failure, with the loader's own message in err.
*/
void *ca_lib_open(const char *path, char *err, size_t errlen);
/* An exported symbol, or NULL with the loader's message in err. */
void *ca_lib_symbol(void *lib, const char *name, char *err, size_t errlen);

/*
** For a process that runs code it does not trust (the conformance
** checker's child, which calls a protocol manager under test).
** ca_watchdog starts a thread that, after ms milliseconds, writes msg to
** stderr and ends the process at once with exit status code, whatever
** its other threads are doing: the time limit lives in the process, so
** whoever started it needs no command of the system's (coreutils'
** timeout) to enforce one. -1 when the thread cannot start.
** ca_crash_plainly makes a crash end the process as plainly as it can:
** no core file on POSIX (the signal still ends it); on Windows no error
** dialog and no debugger: an unhandled exception writes its code to
** stderr and ends the process with that code as its exit status.
*/
int ca_watchdog(int64_t ms, int code, const char *msg);
void ca_crash_plainly(void);
/* Writes msg to stderr and ends the process at once with status code: no
   exit handler, no library's unload code (_exit, TerminateProcess). */
void ca_end_process(const char *msg, int code);

/*
** Wake-up handle: readable (or signalled) after ca_wake_signal, until
** ca_wake_clear. Signals may repeat; they collapse into one state. On
** POSIX it is a descriptor to poll; on Windows a manual-reset event.
*/
#ifdef _WIN32
typedef struct ca_wake {
  void *event;
} ca_wake;
#else
typedef struct ca_wake {
  int rfd, wfd;   /* equal when an eventfd is used */
} ca_wake;
#endif

int ca_wake_init(ca_wake *w);
void ca_wake_close(ca_wake *w);
void ca_wake_signal(ca_wake *w);
void ca_wake_clear(ca_wake *w);
/* Wait until readable or timeout (ms < 0: forever). 1 readable, 0 timeout. */
int ca_wake_wait(ca_wake *w, int64_t ms);
/* What an event loop waits on: the descriptor, or the event HANDLE. */
intptr_t ca_wake_handle(const ca_wake *w);

/* ---- text the system hands over: the ANSI code page, the command line -- */
/*
** Windows gives paths and arguments to narrow-character functions (Lua's
** io.open, package.loadlib, os.getenv, the C runtime's argv) in the ANSI
** code page; the module's own paths are UTF-8 everywhere. These convert,
** measuring first so that the caller owns the output (the Lua binding
** allocates it where an error cannot leak it).
*/
/* The ANSI code page's number (GetACP: 1252, 932, 65001 ...); 0 elsewhere. */
unsigned ca_acp(void);
/*
** len bytes of s, from the ANSI code page to UTF-8 (to_utf8 != 0) or
** from UTF-8 to the ANSI code page: writes the result to out when it fits
** in cap bytes (out may be NULL to measure) and returns its length, or -1
** with the reason in err (text that is not of its encoding; a character
** the code page has no form for, named with its byte offset; no memory).
** Elsewhere the bytes are copied as they are.
*/
long ca_acp_convert(int to_utf8, const char *s, size_t len, char *out,
                    size_t cap, char *err, size_t errlen);
/*
** Windows: the process's command line, split as CommandLineToArgvW splits
** it, each argument packed into buf as its UTF-8 form then the ANSI form
** the C runtime's argv holds (the system's best-fit conversion), each
** NUL-terminated. Returns the bytes needed (buf is written only when they
** fit in cap) and the argument count in *n; 0 when it cannot be read.
** Elsewhere 0: the arguments are the bytes main got, and no other form.
*/
size_t ca_command_line(char *buf, size_t cap, int *n);
/* ---- end of the text the system hands over ------------------------------ */

CA_HIDDEN_END
#endif
