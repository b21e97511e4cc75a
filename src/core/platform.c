/*
** platform.c: POSIX implementation of platform.h. The wake-up descriptor
** is an eventfd on Linux (one descriptor, one 8-byte counter) and a
** non-blocking pipe elsewhere; both collapse repeated signals. Its end
** holds what is written on top of the interface, the same on every system
** (thread numbers, the watchdog, the allocation hook), so that it exists
** once.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#ifndef _WIN32
#define _GNU_SOURCE
#include "platform.h"
#include "alloc.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif
#include <sys/resource.h>

ca_thread_id ca_thread_self(void) { return pthread_self(); }

int ca_thread_start(ca_thread *t, void *(*fn)(void *), void *arg) {
  return pthread_create(t, NULL, fn, arg) == 0 ? 0 : -1;
}

void ca_thread_join(ca_thread t) { pthread_join(t, NULL); }

void ca_thread_detach(ca_thread t) { pthread_detach(t); }

int ca_mutex_init(ca_mutex *m) { return pthread_mutex_init(m, NULL) == 0 ? 0 : -1; }
void ca_mutex_destroy(ca_mutex *m) { pthread_mutex_destroy(m); }
void ca_mutex_lock(ca_mutex *m) { pthread_mutex_lock(m); }
void ca_mutex_unlock(ca_mutex *m) { pthread_mutex_unlock(m); }

int ca_cond_init(ca_cond *c) {
  pthread_condattr_t a;
  int ok;
  if (pthread_condattr_init(&a) != 0) return -1;
  pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
  ok = pthread_cond_init(c, &a) == 0;
  pthread_condattr_destroy(&a);
  return ok ? 0 : -1;
}
void ca_cond_destroy(ca_cond *c) { pthread_cond_destroy(c); }
void ca_cond_broadcast(ca_cond *c) { pthread_cond_broadcast(c); }
void ca_cond_wait(ca_cond *c, ca_mutex *m) { pthread_cond_wait(c, m); }

int ca_cond_timedwait(ca_cond *c, ca_mutex *m, int64_t ms) {
  struct timespec ts;
  int64_t ns;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ns = (int64_t)ts.tv_nsec + (ms % 1000) * 1000000;
  ts.tv_sec += (time_t)(ms / 1000 + ns / 1000000000);
  ts.tv_nsec = (long)(ns % 1000000000);
  return pthread_cond_timedwait(c, m, &ts) == ETIMEDOUT;
}

void ca_call_once(ca_once *once, void (*fn)(void)) { pthread_once(once, fn); }

int ca_tls_create(ca_tls_key *key, void (*destructor)(void *)) {
  return pthread_key_create(key, destructor) == 0 ? 0 : -1;
}

int ca_tls_set(ca_tls_key key, void *value) {
  return pthread_setspecific(key, value) == 0 ? 0 : -1;
}

void *ca_tls_get(ca_tls_key key) { return pthread_getspecific(key); }

void ca_yield(void) { sched_yield(); }

int64_t ca_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void ca_sleep_ms(int64_t ms) {
  struct timespec ts;
  ts.tv_sec = (time_t)(ms / 1000);
  ts.tv_nsec = (long)((ms % 1000) * 1000000);
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

void ca_pin_module(const void *addr) {
  Dl_info info;
  /* RTLD_NOLOAD: only ever a second reference to what is already loaded
     (a host executable that links the core statically gets nothing) */
  if (dladdr(addr, &info) && info.dli_fname != NULL)
    (void)dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
}

char *ca_module_path(const void *addr) {
  Dl_info info;
  char *abs;
  if (!dladdr(addr, &info) || info.dli_fname == NULL) return NULL;
  /* dladdr gives the name dlopen was given: the host may change its
     directory after loading a library by a relative path */
  abs = realpath(info.dli_fname, NULL);
  return abs != NULL ? abs : ca_strdup(info.dli_fname);
}

static void dl_message(char *err, size_t errlen) {
  const char *m = dlerror();
  snprintf(err, errlen, "%s", m != NULL ? m : "unknown loader error");
}

void *ca_lib_open(const char *path, char *err, size_t errlen) {
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (h == NULL) dl_message(err, errlen);
  return h;
}

void *ca_lib_symbol(void *lib, const char *name, char *err, size_t errlen) {
  void *p;
  (void)dlerror();
  p = dlsym(lib, name);
  if (p == NULL) dl_message(err, errlen);
  return p;
}

int ca_wake_init(ca_wake *w) {
#ifdef __linux__
  int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) return -1;
  w->rfd = w->wfd = fd;
  return 0;
#else
  int fds[2];
  if (pipe(fds) != 0) return -1;
  fcntl(fds[0], F_SETFL, O_NONBLOCK); fcntl(fds[1], F_SETFL, O_NONBLOCK);
  fcntl(fds[0], F_SETFD, FD_CLOEXEC); fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  w->rfd = fds[0]; w->wfd = fds[1];
  return 0;
#endif
}

void ca_wake_close(ca_wake *w) {
  if (w->rfd >= 0) close(w->rfd);
  if (w->wfd >= 0 && w->wfd != w->rfd) close(w->wfd);
  w->rfd = w->wfd = -1;
}

void ca_wake_signal(ca_wake *w) {
#ifdef __linux__
  uint64_t one = 1;
  ssize_t r;
  do r = write(w->wfd, &one, sizeof one); while (r < 0 && errno == EINTR);
#else
  char c = 1;
  ssize_t r;
  do r = write(w->wfd, &c, 1); while (r < 0 && errno == EINTR);
#endif
  (void)r;  /* EAGAIN: already readable, which is all a signal means */
}

void ca_wake_clear(ca_wake *w) {
  char buf[64];
  while (read(w->rfd, buf, sizeof buf) > 0) {}
}

int ca_wake_wait(ca_wake *w, int64_t ms) {
  struct pollfd p;
  int r;
  p.fd = w->rfd;
  p.events = POLLIN;
  p.revents = 0;
  do r = poll(&p, 1, ms < 0 ? -1 : (ms > 0x7fffffff ? 0x7fffffff : (int)ms));
  while (r < 0 && errno == EINTR);
  return r > 0;
}

intptr_t ca_wake_handle(const ca_wake *w) { return w->rfd; }

/* ---- text the system hands over: the ANSI code page, the command line -- */
/* No ANSI code page here: paths and arguments are the bytes given. */
unsigned ca_acp(void) { return 0; }

long ca_acp_convert(int to_utf8, const char *s, size_t len, char *out,
                    size_t cap, char *err, size_t errlen) {
  (void)to_utf8;
  if (len > 0x7fffffff) {
    snprintf(err, errlen, "the text is too long (%lu bytes)",
             (unsigned long)len);
    return -1;
  }
  if (out != NULL && len <= cap && len > 0) memcpy(out, s, len);
  return (long)len;
}

size_t ca_command_line(char *buf, size_t cap, int *n) {
  (void)buf;
  (void)cap;
  *n = 0;
  return 0;
}
/* ---- end of the text the system hands over ------------------------------ */

/* write and _exit: nothing that takes a lock another thread may hold */
void ca_end_process(const char *msg, int code) {
  if (write(2, msg, strlen(msg)) < 0) { /* nowhere left to say it */ }
  _exit(code);
}

void ca_crash_plainly(void) {
  struct rlimit none = {0, 0};
  setrlimit(RLIMIT_CORE, &none);
}

#endif /* !_WIN32 */

/* ---- the same on every system, so here once ----------------------------- */

#ifdef _WIN32
#include "platform.h"   /* the POSIX part above has it already */
#include "alloc.h"
#include <stdio.h>
#include <stdlib.h>
#endif
#include "atomics.h"

static ca_tls_key number_key;
static ca_once number_once = CA_ONCE_INIT;
static int number_key_made;
static void make_number_key(void) { number_key_made = ca_tls_create(&number_key, NULL) == 0; }

unsigned long ca_thread_number(void) {
  static ca_atomic_u64 next = CA_ATOMIC_VAR(1);
  uintptr_t mine;
  ca_call_once(&number_once, make_number_key);
  if (!number_key_made) return 0;
  mine = (uintptr_t)ca_tls_get(number_key);
  if (mine == 0) {
    mine = ca_atomic_fetch_add_u64(&next, 1, CA_SEQ_CST);
    ca_tls_set(number_key, (void *)mine);
  }
  return (unsigned long)mine;
}

typedef struct watchdog {
  int64_t ms;
  int code;
  char msg[160];
} watchdog;

static void *watchdog_main(void *p) {
  watchdog w = *(watchdog *)p;
  free(p);
  ca_sleep_ms(w.ms);
  ca_end_process(w.msg, w.code);
  return NULL;
}

int ca_watchdog(int64_t ms, int code, const char *msg) {
  watchdog *w = ca_malloc(sizeof *w);
  ca_thread t;
  if (w == NULL) return -1;
  w->ms = ms;
  w->code = code;
  snprintf(w->msg, sizeof w->msg, "%s", msg);
  if (ca_thread_start(&t, watchdog_main, w) != 0) {
    free(w);
    return -1;
  }
  ca_thread_detach(t);
  return 0;
}

/* alloc.h's hook */
#ifdef CA_ALLOC_HOOK
int (*ca_alloc_hook)(void);
#endif
