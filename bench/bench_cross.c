/*
** bench_cross.c: reports delivered per second when P producer threads
** call ReportResult as fast as they can and the Lua thread dispatches.
**   ours    ICustomAction2ResultCallback::ReportResult from P threads;
**           the Lua thread runs ca.wait/ca.dispatch
**   naive   the same producers and handler through a mutex + condition
**           variable queue written here: one malloc'd record per report,
**           one lua_pcall per record
** Also: large payloads end to end (64 KiB, 1 MiB) against the same
** reports made on the owning thread and against memcpy of the same bytes,
** and bytes per queued report with a million queued.
** Usage: bench_cross [cross|large|memory|peak]
**        bench_cross one cross|same SIZE N   (one run, for profilers)
**        bench_cross count queued N          (for callgrind: N 16 B reports
**          queued by a thread, then delivered by one ca.dispatch inside
**          measure_dispatch, so --toggle-collect counts the consumer alone)
*/
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"
#include "wpf.h"
#include "bench.h"

int luaopen_customaction_core(lua_State *L);

static lua_State *L;
static ICustomAction2ResultCallback *v2;
static int handler_ref;

typedef struct prod {
  pthread_t t;
  long n;
  size_t len;
  long refused;
} prod;

static void *produce_ours(void *arg) {
  prod *p = arg;
  unsigned char *buf = calloc(1, p->len);
  long i;
  for (i = 0; i < p->n; i++) {
    buf[0] = (unsigned char)i;
    if (v2->lpVtbl->ReportResult(v2, 0, 0, buf, (DWORD)p->len) != 0)
      p->refused++;
  }
  free(buf);
  return NULL;
}

static long delivered(void) {
  long n;
  lua_getglobal(L, "count");
  n = (long)lua_tointeger(L, -1);
  lua_pop(L, 1);
  return n;
}

/* How the Lua thread waits in run_ours: ca.wait(consumer_wait), or
   ca.dispatch() in a busy loop when it is negative. */
static double consumer_wait = 0.001;

/* ours: returns reports/s; every report must arrive */
static double run_ours(int nprod, long per, size_t len) {
  prod ps[8];
  int i;
  long want = per * nprod, got, refused = 0;
  double t0;
  luaL_dostring(L, "count = 0");
  t0 = bench_now();
  for (i = 0; i < nprod; i++) {
    ps[i].n = per;
    ps[i].len = len;
    ps[i].refused = 0;
    pthread_create(&ps[i].t, NULL, produce_ours, &ps[i]);
  }
  lua_getglobal(L, "ca");
  lua_getfield(L, -1, consumer_wait < 0 ? "dispatch" : "wait");
  lua_remove(L, -2);
  int wait_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  while ((got = delivered()) < want - refused) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, wait_ref);
    if (consumer_wait < 0) lua_call(L, 0, 0);
    else {
      lua_pushnumber(L, consumer_wait);
      lua_call(L, 1, 0);
    }
    refused = 0;
    for (i = 0; i < nprod; i++) refused += __atomic_load_n(&ps[i].refused, __ATOMIC_RELAXED);
  }
  for (i = 0; i < nprod; i++) pthread_join(ps[i].t, NULL);
  luaL_unref(L, LUA_REGISTRYINDEX, wait_ref);
  if (refused || delivered() != want) {
    fprintf(stderr, "lost reports: %ld delivered of %ld (%ld refused)\n",
            delivered(), want, refused);
    exit(1);
  }
  return (double)want / (bench_now() - t0);
}

/* ---- the naive peer ---------------------------------------------------- */

typedef struct rec { struct rec *next; size_t len; unsigned char data[]; } rec;
static pthread_mutex_t nlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ncond = PTHREAD_COND_INITIALIZER;
static rec *nhead, *ntail;

static void *produce_naive(void *arg) {
  prod *p = arg;
  long i;
  for (i = 0; i < p->n; i++) {
    rec *r = malloc(sizeof *r + p->len);
    r->next = NULL;
    r->len = p->len;
    memset(r->data, 0, p->len);
    r->data[0] = (unsigned char)i;
    pthread_mutex_lock(&nlock);
    if (ntail) ntail->next = r; else nhead = r;
    ntail = r;
    pthread_cond_signal(&ncond);
    pthread_mutex_unlock(&nlock);
  }
  return NULL;
}

static double run_naive(int nprod, long per, size_t len) {
  prod ps[8];
  int i;
  long want = per * nprod, got = 0;
  double t0 = bench_now();
  for (i = 0; i < nprod; i++) {
    ps[i].n = per;
    ps[i].len = len;
    pthread_create(&ps[i].t, NULL, produce_naive, &ps[i]);
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, handler_ref);
  lua_pop(L, 1);
  while (got < want) {
    rec *r;
    pthread_mutex_lock(&nlock);
    while (nhead == NULL) pthread_cond_wait(&ncond, &nlock);
    r = nhead;
    nhead = r->next;
    if (nhead == NULL) ntail = NULL;
    pthread_mutex_unlock(&nlock);
    lua_rawgeti(L, LUA_REGISTRYINDEX, handler_ref);
    lua_pushinteger(L, 0);
    lua_pushlstring(L, (const char *)r->data, r->len);
    lua_pushboolean(L, 0);
    lua_pcall(L, 3, 0, 0);
    free(r);
    got++;
  }
  for (i = 0; i < nprod; i++) pthread_join(ps[i].t, NULL);
  return (double)want / (bench_now() - t0);
}

static void setup(void) {
  L = luaL_newstate();
  luaL_openlibs(L);
  luaL_requiref(L, "customaction.core", luaopen_customaction_core, 0);
  lua_setglobal(L, "ca");
  if (luaL_dostring(L,
      "count = 0\n"
      "handler = function(status, response, final) count = count + 1 end\n"
      "cb = ca.callback(handler, { reuse = true, max_response = 1 << 21 })\n"
      "ptr = cb:interface('v2')\n"
      "ca.configure({ block_ms = 60000 })\n") != LUA_OK) {
    fprintf(stderr, "%s\n", lua_tostring(L, -1));
    exit(1);
  }
  lua_getglobal(L, "ptr");
  v2 = lua_touserdata(L, -1);
  lua_getglobal(L, "handler");
  handler_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_settop(L, 0);
}

static void bench_rates(void) {
  int runs = bench_runs(), r, k;
  long per = bench_quick() ? 500000 : 2000000;
  static const int nprods[] = {1, 4};
  for (k = 0; k < 2; k++) {
    double ours[9], naive[9], ratio[9];
    char name[64];
    for (r = 0; r < runs; r++) {
      ours[r] = run_ours(nprods[k], per / nprods[k], 16) / 1e6;
      naive[r] = run_naive(nprods[k], per / nprods[k], 16) / 1e6;
      ratio[r] = ours[r] / naive[r];
    }
    snprintf(name, sizeof name, "ours_over_naive_%dp_16B", nprods[k]);
    bench_report("cross", name, bench_summarise(ratio, runs), "ratio");
    snprintf(name, sizeof name, "ours_%dp_16B", nprods[k]);
    bench_report("cross", name, bench_summarise(ours, runs), "M_reports/s");
    snprintf(name, sizeof name, "naive_%dp_16B", nprods[k]);
    bench_report("cross", name, bench_summarise(naive, runs), "M_reports/s");
  }
}

/* The same reports made on the owning thread: each runs the handler at
   once. Returns reports/s. */
static double run_same(long n, size_t len) {
  unsigned char *buf = calloc(1, len);
  double t0;
  long i;
  luaL_dostring(L, "count = 0");
  t0 = bench_now();
  for (i = 0; i < n; i++) {
    buf[0] = (unsigned char)i;
    v2->lpVtbl->ReportResult(v2, 0, 0, buf, (DWORD)len);
  }
  t0 = bench_now() - t0;
  free(buf);
  if (delivered() != n) {
    fprintf(stderr, "same thread: %ld delivered of %ld\n", delivered(), n);
    exit(1);
  }
  return (double)n / t0;
}

static void bench_large_with(const char *how);

/* Large payloads with the Lua thread in ca.wait(0.001), ca.wait(0.05)
   and ca.dispatch() in a busy loop. */
static void bench_large(void) {
  consumer_wait = 0.001;
  bench_large_with("");
  consumer_wait = 0.05;
  bench_large_with("wait50ms_");
  consumer_wait = -1;
  bench_large_with("dispatch_");
  consumer_wait = 0.001;
}

static void bench_large_with(const char *how) {
  static const size_t sizes[] = {65536, 1 << 20};
  static const char *names[] = {"64KiB", "1MiB"};
  int runs = bench_runs(), r, k;
  for (k = 0; k < 2; k++) {
    size_t len = sizes[k];
    long per = (long)((bench_quick() ? 256 : 1024) * (1048576 / len)) / 4;
    double ours[9], mc[9], same[9], ratio[9];
    char name[64];
    unsigned char *a = malloc(len), *b = malloc(len);
    memset(a, 1, len);
    memset(b, 2, len);
    for (r = 0; r < runs; r++) {
      double t0;
      long i;
      ours[r] = run_ours(1, per, len) * (double)len / 1e9;
      same[r] = run_same(per, len) * (double)len / 1e9;
      ratio[r] = ours[r] / same[r];
      t0 = bench_now();
      for (i = 0; i < per; i++) {
        a[0] = (unsigned char)i;
        memcpy(b, a, len);
        __asm__ volatile("" : : "r"(b) : "memory");
      }
      mc[r] = (double)per * (double)len / (bench_now() - t0) / 1e9;
    }
    snprintf(name, sizeof name, "%sours_%s", how, names[k]);
    bench_report("large", name, bench_summarise(ours, runs), "GB/s");
    snprintf(name, sizeof name, "%smemcpy_%s", how, names[k]);
    bench_report("large", name, bench_summarise(mc, runs), "GB/s");
    snprintf(name, sizeof name, "%ssame_%s", how, names[k]);
    bench_report("large", name, bench_summarise(same, runs), "GB/s");
    snprintf(name, sizeof name, "%scross_over_same_%s", how, names[k]);
    bench_report("large", name, bench_summarise(ratio, runs), "ratio");
    free(a);
    free(b);
  }
}

static long rss_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kib = -1;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "VmRSS:", 6) == 0) kib = atol(line + 6);
  if (f) fclose(f);
  return kib;
}

static void *produce_once(void *arg) { return produce_ours(arg); }
static void bench_peak(void);

static void bench_memory(void) {
  long n = bench_quick() ? 200000 : 1000000;
  prod p = {0, n, 16, 0};
  long before, after;
  double per[1];
  luaL_dostring(L, "ca.configure({ max_queued = 2000000, max_queued_bytes = 1 << 30 })");
  luaL_dostring(L, "collectgarbage(); collectgarbage('stop')");
  before = rss_kib();
  pthread_create(&p.t, NULL, produce_once, &p);
  pthread_join(p.t, NULL);
  after = rss_kib();
  per[0] = (double)(after - before) * 1024.0 / (double)n;
  bench_report("memory", "bytes_per_queued_16B", bench_summarise(per, 1), "bytes");
  luaL_dostring(L, "ca.dispatch(); collectgarbage('restart')");
}

static long hwm_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kib = -1;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "VmHWM:", 6) == 0) kib = atol(line + 6);
  if (f) fclose(f);
  return kib;
}

/* A producer that outruns a consumer that never dispatches, under the
   default limits: how far the process grows before refusals start. */
static void bench_peak(void) {
  prod p = {0, 3000000, 16, 0};
  long before;
  luaL_dostring(L, "ca.configure({ block_ms = 0 })");
  before = hwm_kib();
  double mib[1];
  pthread_create(&p.t, NULL, produce_once, &p);
  pthread_join(p.t, NULL);
  mib[0] = (double)(hwm_kib() - before) / 1024.0;
  bench_report("memory", "peak_rss_growth_default_limits", bench_summarise(mib, 1), "MiB");
  printf("# %ld of %ld refused once the default limits were reached\n", p.refused, p.n);
  luaL_dostring(L, "ca.dispatch()");
}

static double cpu_s(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One experiment, for profilers: one cross|same SIZE N. Prints the rate
   and the CPU time the process used per MiB delivered (both threads). */
static void bench_one(char **argv) {
  long n = atol(argv[4]);
  size_t len = (size_t)atol(argv[3]);
  double c0 = cpu_s(CLOCK_PROCESS_CPUTIME_ID), rate, cpu;
  rate = strcmp(argv[2], "same") == 0 ? run_same(n, len) : run_ours(1, n, len);
  cpu = cpu_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
  printf("%s %zu B: %.3g GB/s, %.1f us of CPU per MiB\n", argv[2], len,
         rate * (double)len / 1e9, cpu * 1e6 / ((double)n * (double)len / 1048576.0));
}

__attribute__((noinline)) static void measure_dispatch(void) {
  luaL_dostring(L, "ca.dispatch()");
}

/* The consumer's cost per queued report: the queue filled first (the
   producer joined), then drained in one counted call. */
static void count_queued(long n) {
  prod p = {0, n, 16, 0};
  luaL_dostring(L, "ca.configure({ max_queued = 4000000, block_ms = 0 })");
  p.n = 1000;   /* warm-up: segments, the status cache, the stack */
  pthread_create(&p.t, NULL, produce_once, &p);
  pthread_join(p.t, NULL);
  luaL_dostring(L, "ca.dispatch()");
  p.n = n;
  pthread_create(&p.t, NULL, produce_once, &p);
  pthread_join(p.t, NULL);
  measure_dispatch();
  if (p.refused != 0 || delivered() != n + 1000) {
    fprintf(stderr, "count queued: %ld delivered of %ld\n", delivered(), n + 1000);
    exit(1);
  }
}

int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "cross";
  setup();
  if (strcmp(what, "cross") == 0) bench_rates();
  else if (strcmp(what, "large") == 0) bench_large();
  else if (strcmp(what, "memory") == 0) bench_memory();
  else if (strcmp(what, "peak") == 0) bench_peak();
  else if (strcmp(what, "one") == 0 && argc == 5) bench_one(argv);
  else if (strcmp(what, "count") == 0 && argc == 4) count_queued(atol(argv[3]));
  lua_close(L);
  return 0;
}
