/*
** platform.h: the few operating-system services the core needs (thread
** identity, threads, mutexes, condition variables, a monotonic clock and a
** wake-up descriptor that event loops can poll), kept behind one interface
** so that everything else in src/ is plain C11 and a port to another
** system replaces platform.c alone.
*/
#ifndef CA_PLATFORM_H
#define CA_PLATFORM_H

#include <stdint.h>
#include <pthread.h>

typedef pthread_t ca_thread_id;
typedef pthread_mutex_t ca_mutex;
typedef pthread_cond_t ca_cond;
typedef pthread_t ca_thread;

ca_thread_id ca_thread_self(void);
int ca_thread_is(ca_thread_id id);
int ca_thread_start(ca_thread *t, void *(*fn)(void *), void *arg);
void ca_thread_join(ca_thread t);

int ca_mutex_init(ca_mutex *m);
void ca_mutex_destroy(ca_mutex *m);
void ca_mutex_lock(ca_mutex *m);
void ca_mutex_unlock(ca_mutex *m);

int ca_cond_init(ca_cond *c);
void ca_cond_destroy(ca_cond *c);
void ca_cond_signal(ca_cond *c);
void ca_cond_broadcast(ca_cond *c);
void ca_cond_wait(ca_cond *c, ca_mutex *m);
/* Returns 0 when signalled (or spuriously woken), 1 on timeout. */
int ca_cond_timedwait(ca_cond *c, ca_mutex *m, int64_t ms);

/* Monotonic time in nanoseconds. */
int64_t ca_now_ns(void);
void ca_sleep_ms(int64_t ms);

/*
** Keeps the shared object that holds addr mapped until the process ends.
** Worker threads and native holders may call into the module after the
** Lua state that loaded it is gone, and LuaJIT's lua_close unloads C
** modules before it runs the finalizers of their userdata.
*/
void ca_pin_module(const void *addr);

/* A small opaque number naming the calling thread, for logs. */
unsigned long ca_thread_number(void);

/*
** Wake-up descriptor: readable after ca_wake_signal, until ca_wake_clear.
** Signals may repeat; they collapse into one readable state.
*/
typedef struct ca_wake {
  int rfd, wfd;   /* equal when an eventfd is used */
} ca_wake;

int ca_wake_init(ca_wake *w);
void ca_wake_close(ca_wake *w);
void ca_wake_signal(ca_wake *w);
void ca_wake_clear(ca_wake *w);
/* Wait until readable or timeout (ms < 0: forever). 1 readable, 0 timeout. */
int ca_wake_wait(ca_wake *w, int64_t ms);

#endif
