/*
** core_test.c: the C core without Lua, as a Windows build runs it (under
** Wine in CI) and as every build runs it in `make test`: HRESULT lookups,
** UTF-16, callback objects driven through their vtables with a C deliver
** function, refusals, reports from several threads through the queue,
** the simulated issuer on a virtual clock and on a worker thread, and
** closing a hub. Output is TAP. Only platform.h services are used, so the
** same source tests the POSIX and the Windows platform layers.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callback.h"
#include "hresult.h"
#include "hub.h"
#include "issuer.h"
#include "platform.h"
#include "utf16.h"
#include "tap.h"

/* ---- a deliver function that records, per callback ------------------- */

#define MAXREC 4096

typedef struct record {
  int n, finals;
  HRESULT last_status;
  char last[64];
  int misordered;          /* cross-thread: per-producer order broken */
  unsigned next_seq[8];    /* expected sequence per producer */
  int delivered_off_owner; /* delivered on a thread that is not the owner */
} record;

static record recs[4];
static ca_callback *cbs[4];
static ca_thread_id owner;

static int index_of(ca_callback *cb) {
  int i;
  for (i = 0; i < 4; i++)
    if (cbs[i] == cb) return i;
  return -1;
}

static HRESULT deliver(ca_hub *hub, ca_target *to, HRESULT status,
                       int final, const BYTE *buf, DWORD len) {
  int i = index_of(ca_callback_of(to));
  record *r;
  (void)hub;
  if (i < 0) return CA_E_FAIL;
  r = &recs[i];
  if (!ca_thread_is(owner)) r->delivered_off_owner++;
  r->n++;
  r->finals += final != 0;
  r->last_status = status;
  if (len == 8 && buf != NULL) {  /* cross-thread: producer, sequence */
    unsigned t = buf[0], seq = (unsigned)buf[4] | (unsigned)buf[5] << 8 |
                 (unsigned)buf[6] << 16 | (unsigned)buf[7] << 24;
    if (t < 8) {
      if (seq != r->next_seq[t]) r->misordered++;
      r->next_seq[t] = seq + 1;
    }
  }
  if (buf != NULL && len < sizeof r->last) {
    memcpy(r->last, buf, len);
    r->last[len] = '\0';
  }
  return CA_S_OK;
}

static void reset(void) {
  memset(recs, 0, sizeof recs);
  memset(cbs, 0, sizeof cbs);
}

static HRESULT report2(ca_callback *cb, HRESULT st, int final, const char *s,
                       DWORD len) {
  ICustomAction2ResultCallback *i = ca_callback_v2(cb);
  return i->lpVtbl->ReportResult(i, st, final, (BYTE *)s, len);
}

/* ---- HRESULTs and UTF-16 ----------------------------------------------- */

static void test_hresult(void) {
  const ca_hr_entry *e = ca_hr_by_name("E_ACCESSDENIED", 14);
  uint32_t v = 0;
  char msg[160];
  ok(e != NULL && e->value == 0x80070005u, "hresult: E_ACCESSDENIED by name");
  e = ca_hr_by_value(0x80004005u);
  ok(e != NULL && strcmp(e->name, "E_FAIL") == 0, "hresult: E_FAIL by value");
  ok(ca_hr_parse("0x8001010A", 10, &v) == 0 && v == 0x8001010Au,
     "hresult: parses hex");
  ca_hr_describe(0x80070002u, msg, sizeof msg);
  ok(strstr(msg, "not found") != NULL, "hresult: describes a Win32 code");
}

static void test_utf16(void) {
  const char *text = "Z\xC3\xA4hler \xE2\x9C\x93 \xF0\x9F\x98\x80";
  WCHAR *w = NULL;
  char *back = NULL;
  size_t n = 0, len = 0, where = 0;
  int e = ca_utf8_to_utf16(text, strlen(text), 0, &w, &n, &where);
  ok(e == CA_UTF_OK && n == 11 && w[9] == 0xD83D && w[10] == 0xDE00,
     "utf16: encodes a surrogate pair");
  e = ca_utf16_to_utf8(w, n, &back, &len, &where);
  ok(e == CA_UTF_OK && len == strlen(text) && memcmp(back, text, len) == 0,
     "utf16: round-trips");
  free(w);
  free(back);
  w = NULL;
  e = ca_utf8_to_utf16("ab\xFF", 3, 0, &w, &n, &where);
  ok(e != CA_UTF_OK && where == 2, "utf16: refuses a bad byte, saying where");
  free(w);
}

/* ---- callbacks on the owning thread ----------------------------------- */

static void test_same_thread(ca_hub *hub) {
  ca_callback *cb = ca_callback_new(hub, "same", 8, 0);
  HRESULT hr;
  reset();
  cbs[0] = cb;
  hr = report2(cb, CA_S_OK, 0, "one", 3);
  ok(hr == CA_S_OK && recs[0].n == 1 && strcmp(recs[0].last, "one") == 0,
     "same thread: delivered at once, through the v2 vtable");
  ok(report2(cb, CA_S_OK, 0, NULL, 4) == CA_E_POINTER && recs[0].n == 1,
     "same thread: NULL buffer with a size is E_POINTER, not delivered");
  ok(report2(cb, CA_S_OK, 0, "123456789", 9) == CA_E_MESSAGE_TOO_BIG,
     "same thread: over max_response is ERROR_MESSAGE_EXCEEDS_MAX_SIZE");
  ok(report2(cb, CA_E_ABORT, 1, "", 0) == CA_S_OK && recs[0].finals == 1,
     "same thread: a final report");
  ok(report2(cb, CA_S_OK, 0, "x", 1) == CA_E_ILLEGAL_METHOD_CALL,
     "same thread: after the final report, E_ILLEGAL_METHOD_CALL");
  {
    ICustomActionResultCallback *v1 = ca_callback_v1(cb);
    ok(v1->lpVtbl->AddRef(v1) == 2 && v1->lpVtbl->Release(v1) == 1,
       "same thread: AddRef and Release through the v1 vtable");
  }
  ca_callback_release(cb);
}

/* ---- reports from other threads --------------------------------------- */

#define NPROD 4
#define NREP 20000

typedef struct producer {
  int index;
  long accepted;
} producer;

static void *produce(void *arg) {
  producer *p = arg;
  unsigned seq[2] = {0, 0};
  long i;
  for (i = 0; i < NREP; i++) {
    int c = (int)(i % 2);
    BYTE buf[8];
    buf[0] = (BYTE)p->index;
    buf[1] = buf[2] = buf[3] = 0;
    buf[4] = (BYTE)seq[c];
    buf[5] = (BYTE)(seq[c] >> 8);
    buf[6] = (BYTE)(seq[c] >> 16);
    buf[7] = (BYTE)(seq[c] >> 24);
    seq[c]++;
    if (report2(cbs[c], CA_S_OK, 0, (const char *)buf, 8) == CA_S_OK)
      p->accepted++;
  }
  ca_callback_release(cbs[0]);
  ca_callback_release(cbs[1]);
  return NULL;
}

static void test_cross_thread(ca_hub *hub) {
  ca_thread t[NPROD];
  producer p[NPROD];
  long accepted = 0;
  int i, started = 0, rounds = 0;
  int64_t deadline = ca_now_ns() + (int64_t)60 * 1000000000;
  reset();
  cbs[0] = ca_callback_new(hub, "x0", 64, 1);
  cbs[1] = ca_callback_new(hub, "x1", 64, 1);
  for (i = 0; i < NPROD; i++) {
    p[i].index = i;
    p[i].accepted = 0;
    ca_callback_addref(cbs[0]);  /* each producer's own references */
    ca_callback_addref(cbs[1]);
    if (ca_thread_start(&t[i], produce, &p[i]) == 0) started++;
  }
  ok(started == NPROD, "threads: producers started");
  while (recs[0].n + recs[1].n < (long)NPROD * NREP && ca_now_ns() < deadline) {
    ca_hub_wait(hub, 100);
    ca_hub_dispatch(hub, -1);
    rounds++;
  }
  for (i = 0; i < started; i++) {
    ca_thread_join(t[i]);
    accepted += p[i].accepted;
  }
  ca_hub_dispatch(hub, -1);
  printf("# %d dispatch rounds\n", rounds);
  ok(accepted == (long)NPROD * NREP, "threads: every report accepted");
  ok(recs[0].n + recs[1].n == (long)NPROD * NREP,
     "threads: every report delivered once");
  ok(recs[0].misordered == 0 && recs[1].misordered == 0,
     "threads: each producer's order kept per callback");
  ok(recs[0].delivered_off_owner == 0 && recs[1].delivered_off_owner == 0,
     "threads: delivered on the owning thread only");
  ok(ca_callback_refs(cbs[0]) == 1 && ca_callback_refs(cbs[1]) == 1,
     "threads: the queue released what it held");
  ca_callback_release(cbs[0]);
  ca_callback_release(cbs[1]);
}

/* ---- pacing: how far a producer that waits for room runs ahead --------- */

#define BIG ((size_t)1 << 20)
#define BIG_LAST 11

typedef struct big_producer {
  ca_callback *cb;
  int n;
  size_t len;
  HRESULT hr[BIG_LAST + 1];
  int64_t ms[BIG_LAST + 1];   /* each report's time up to BIG_LAST, then the rest's */
} big_producer;

static void *produce_big(void *arg) {
  big_producer *b = arg;
  BYTE *buf = calloc(1, b->len);
  int i;
  for (i = 0; i <= BIG_LAST; i++) b->ms[i] = 0;
  for (i = 0; i < b->n; i++) {
    int64_t t0 = ca_now_ns();
    HRESULT hr = buf == NULL ? CA_E_OUTOFMEMORY
                 : report2(b->cb, CA_S_OK, 0, (char *)buf, (DWORD)b->len);
    b->hr[i < BIG_LAST ? i : BIG_LAST] = hr;
    b->ms[i < BIG_LAST ? i : BIG_LAST] += (ca_now_ns() - t0) / 1000000;
  }
  free(buf);
  return NULL;
}

/* n reports of 1 MiB from another thread, with the consumer dispatching
   (or not); returns when the producer is done. */
static void run_big(ca_hub *hub, big_producer *b, int n, size_t len,
                    int64_t block_ms, int dispatch) {
  ca_queue_limits lim = {CA_DEFAULT_MAX_QUEUED,
                         CA_DEFAULT_MAX_QUEUED_BYTES, block_ms};
  ca_thread t;
  int i;
  ca_hub_set_limits(hub, &lim);
  b->n = n;
  b->len = len;
  for (i = 0; i < 8; i++) b->hr[i] = CA_E_FAIL;
  if (ca_thread_start(&t, produce_big, b) != 0) return;
  while (dispatch && recs[0].n < n) {
    ca_hub_wait(hub, 100);
    ca_hub_dispatch(hub, -1);
  }
  ca_thread_join(t);
  ca_hub_dispatch(hub, -1);
  lim.block_ms = 0;
  ca_hub_set_limits(hub, &lim);
}

static void test_runahead(ca_hub *hub) {
  big_producer b;
  reset();
  cbs[0] = b.cb = ca_callback_new(hub, "big", (DWORD)BIG, 1);
  run_big(hub, &b, 4, BIG, 0, 0);
  ok(b.hr[3] == CA_S_OK && b.ms[2] < 300 && b.ms[3] < 300 && recs[0].n == 4,
     "large payloads: without blocking a producer never waits for a queue "
     "with room");
  recs[0].n = 0;
  run_big(hub, &b, 10, BIG, 400, 0);
  ok(b.hr[7] == CA_S_OK && b.hr[8] == CA_S_OK && b.hr[9] == CA_S_OK &&
     b.ms[6] < 90 && b.ms[7] < 90 && b.ms[8] >= 90 && b.ms[9] < 90 &&
     recs[0].n == 10,
     "large payloads: a blocking producer runs 8 payloads ahead of a stalled "
     "consumer before it waits once (100 ms), then its reports are queued");
  recs[0].n = 0;
  run_big(hub, &b, 16, BIG, 60000, 1);
  ok(b.hr[BIG_LAST] == CA_S_OK && recs[0].n == 16 && b.ms[BIG_LAST] < 10000,
     "large payloads: a blocking producer resumes as the consumer catches up");
  recs[0].n = 0;
  run_big(hub, &b, 6000, 4, 0, 0);
  ok(b.hr[BIG_LAST] == CA_S_OK && b.ms[BIG_LAST] < 300 && recs[0].n == 6000,
     "pacing: without blocking, 6000 small reports never wait");
  recs[0].n = 0;
  run_big(hub, &b, 6000, 4, 400, 0);
  ok(b.hr[BIG_LAST] == CA_S_OK && b.ms[BIG_LAST] >= 90 && b.ms[BIG_LAST] < 300 &&
     recs[0].n == 6000,
     "pacing: a blocking producer 4096 reports ahead of a stalled consumer "
     "waits once (100 ms), then its reports are queued");
  recs[0].n = 0;
  run_big(hub, &b, 100000, 4, 60000, 1);
  ok(b.hr[BIG_LAST] == CA_S_OK && recs[0].n == 100000 && b.ms[BIG_LAST] < 10000,
     "pacing: a blocking producer resumes as the consumer catches up");
  ok(ca_callback_refs(b.cb) == 1, "large payloads: every reference let go");
  ca_callback_release(b.cb);
}

/* ---- the simulated issuer --------------------------------------------- */

static WCHAR *wide(const char *s) {
  WCHAR *w = NULL;
  size_t n, where;
  if (ca_utf8_to_utf16(s, strlen(s), 0, &w, &n, &where) != CA_UTF_OK)
    return NULL;
  return w;
}

static ca_scenario *counting(int64_t every, int64_t count) {
  ca_scenario *sc = ca_scenario_new();
  ca_scenario_set_int(sc, CA_SC_EVERY, ca_int(every), NULL);
  ca_scenario_set_int(sc, CA_SC_COUNT, ca_int(count), NULL);
  ca_scenario_set_format(sc, "%d", 2, NULL);
  return sc;
}

static ca_issuer *new_issuer(int threads) {
  ca_issuer_opts o;
  ca_issuer_opts_init(&o);
  o.threads = threads;
  o.log_limit = 1000;
  return ca_issuer_new(&o);
}

static int balanced(ca_issuer *is) {
  size_t n, dropped, i;
  long bal = 0;
  ca_log_entry *log = ca_issuer_log(is, &n, &dropped, 0);
  for (i = 0; i < n; i++) {
    if (log[i].op == CA_LOG_ADDREF) bal++;
    if (log[i].op == CA_LOG_RELEASE) bal--;
  }
  ca_log_free(log, n);
  return n > 0 && bal == 0;
}

/* Defines a counting action, makes cbs[0] and registers it through
   IPmCustomActions2 with UTF-16 name and argument. */
static HRESULT register_counting(ca_hub *hub, ca_issuer *is, const char *action,
                                 int64_t every, int64_t count) {
  IPmCustomActions2 *pm = ca_issuer_v2(is);
  WCHAR *name = wide(action), *arg = wide("");
  HRESULT hr;
  reset();
  cbs[0] = ca_callback_new(hub, action, CA_DEFAULT_MAX_RESPONSE, 0);
  ca_issuer_define(is, action, strlen(action), counting(every, count), NULL);
  hr = pm->lpVtbl->RegisterCustomActionCallback(pm, name, arg,
                                                ca_callback_v2(cbs[0]));
  free(name);
  free(arg);
  return hr;
}

static void test_issuer_virtual(ca_hub *hub) {
  ca_issuer *is = new_issuer(0);
  HRESULT hr = register_counting(hub, is, "Counters", 10, 3);
  ok(hr == CA_S_OK && ca_callback_refs(cbs[0]) == 2,
     "issuer, virtual clock: registers through IPmCustomActions2, AddRefs");
  while (ca_issuer_advance(is, -1, NULL) > 0) {}
  ok(recs[0].n == 3 && recs[0].finals == 1 && strcmp(recs[0].last, "3") == 0,
     "issuer, virtual clock: three responses, the last one final");
  ok(ca_issuer_now(is) == 30, "issuer, virtual clock: time advanced to 30 ms");
  ok(ca_callback_refs(cbs[0]) == 1 && balanced(is),
     "issuer, virtual clock: released, AddRef/Release balanced");
  ca_issuer_close(is);
  ca_issuer_release(is);
  ca_callback_release(cbs[0]);
}

static void test_issuer_threads(ca_hub *hub) {
  ca_issuer *is = new_issuer(1);
  int64_t deadline = ca_now_ns() + (int64_t)30 * 1000000000;
  ok(register_counting(hub, is, "A", 1, 5) == CA_S_OK,
     "issuer, worker thread: registers");
  while (recs[0].finals == 0 && ca_now_ns() < deadline) {
    ca_hub_wait(hub, 50);
    ca_hub_dispatch(hub, -1);
  }
  ok(recs[0].n == 5 && strcmp(recs[0].last, "5") == 0 &&
     recs[0].delivered_off_owner == 0,
     "issuer, worker thread: five responses, in order, on the owning thread");
  ca_issuer_close(is);
  ca_hub_dispatch(hub, -1);
  ok(ca_callback_refs(cbs[0]) == 1 && balanced(is),
     "issuer, worker thread: closed, released, balanced");
  ca_issuer_release(is);
  ca_callback_release(cbs[0]);
}

/* A scenario made in C with nothing set: one answer, at once, and done
   (every/count unset once made ca_issuer_advance loop forever). */
static void test_scenario_defaults(ca_hub *hub) {
  ca_issuer *is = new_issuer(0);
  IPmCustomActions2 *pm = ca_issuer_v2(is);
  WCHAR *name = wide("Plain");
  int steps = 0;
  reset();
  cbs[0] = ca_callback_new(hub, "plain", CA_DEFAULT_MAX_RESPONSE, 0);
  ok(ca_issuer_define(is, "Plain", 5, ca_scenario_new(), NULL) == 0,
     "scenario defaults: an empty scenario is accepted");
  pm->lpVtbl->RegisterCustomActionCallback(pm, name, NULL,
                                           ca_callback_v2(cbs[0]));
  while (steps < 100 && ca_issuer_advance(is, -1, NULL) > 0) steps++;
  ok(steps < 100 && recs[0].n == 1 && recs[0].finals == 1 &&
     recs[0].last[0] == '\0' && ca_issuer_now(is) == 0,
     "scenario defaults: one empty final response at time 0, then done");
  ca_issuer_close(is);
  ca_issuer_release(is);
  ca_callback_release(cbs[0]);
  free(name);
}

/* The integer rule: out of range refused with field and range named. */
static void test_scenario_limits(void) {
  ca_scenario *sc = ca_scenario_new();
  ca_err e;
  ok(ca_scenario_set_int(sc, CA_SC_EVERY, ca_int(0), &e) == -1 &&
     strstr(e.msg, "every") && strstr(e.msg, "1..1000000000000"),
     "scenario limits: every 0 is refused, naming the field and range");
  ok(ca_scenario_set_int(sc, CA_SC_DELAY, ca_int(INT64_MAX), &e) == -1 &&
     strstr(e.msg, "delay"), "scenario limits: delay maxinteger is refused");
  ok(ca_scenario_set_int(sc, CA_SC_COUNT, ca_float(0.5), &e) == -1 &&
     ca_scenario_set_int(sc, CA_SC_COUNT, ca_float(0.0 / 0.0), &e) == -1 &&
     strstr(e.msg, "nan"), "scenario limits: 0.5 and NaN are refused");
  ok(ca_scenario_set_int(sc, CA_SC_EVERY, ca_float(2147483648.0), &e) == 0,
     "scenario limits: an integral float in range is taken");
  ok(ca_scenario_set_format(sc, "%s", 2, &e) == -1 &&
     ca_scenario_set_format(sc, "a%", 2, &e) == -1,
     "scenario limits: a format with other conversions is refused");
  ca_scenario_free(sc);
}

/* A long format is expanded in full (it was cut at 256 bytes). */
static void test_scenario_format(ca_hub *hub) {
  ca_issuer *is = new_issuer(0);
  IPmCustomActions *pm = ca_issuer_v1(is);
  ca_scenario *sc = ca_scenario_new();
  WCHAR *name = wide("Long");
  char *f = malloc(3001);
  size_t n, dropped, i;
  int64_t bytes = -1;
  ca_log_entry *log;
  for (i = 0; i < 1000; i++) memcpy(f + 3 * i, "%d,", 3);
  ca_scenario_set_format(sc, f, 3000, NULL);
  ca_issuer_define(is, "Long", 4, sc, NULL);
  reset();
  cbs[0] = ca_callback_new(hub, "long", CA_DEFAULT_MAX_RESPONSE, 0);
  pm->lpVtbl->RunCustomAction(pm, name, NULL, ca_callback_v1(cbs[0]));
  while (ca_issuer_advance(is, -1, NULL) > 0) {}
  log = ca_issuer_log(is, &n, &dropped, 0);
  for (i = 0; i < n; i++)
    if (log[i].op == CA_LOG_REPORT) bytes = log[i].bytes;
  ok(bytes == 2000, "scenario format: 1000 \"%d,\" become 2000 bytes");
  ca_log_free(log, n);
  ca_issuer_close(is);
  ca_issuer_release(is);
  ca_callback_release(cbs[0]);
  free(name);
  free(f);
}

/* ---- closing the hub --------------------------------------------------- */

static void test_close(ca_hub *hub) {
  ca_callback *cb = ca_callback_new(hub, "late", 64, 0);
  reset();
  cbs[0] = cb;
  ca_hub_close(hub);
  ok(report2(cb, CA_S_OK, 0, "x", 1) == CA_RPC_E_DISCONNECTED && recs[0].n == 0,
     "close: later reports get RPC_E_DISCONNECTED");
  ok(ca_hub_callbacks(hub) == 1, "close: one callback still alive");
  ca_callback_release(cb);
  ok(ca_hub_callbacks(hub) == 0, "close: the last Release frees it");
}

int main(void) {
  ca_hub *hub;
  owner = ca_thread_self();
  hub = ca_hub_new(deliver, NULL);
  if (hub == NULL) {
    printf("1..1\nnot ok 1 - hub created\n");
    return 1;
  }
  test_hresult();
  test_utf16();
  test_same_thread(hub);
  test_cross_thread(hub);
  test_runahead(hub);
  test_issuer_virtual(hub);
  test_issuer_threads(hub);
  test_scenario_defaults(hub);
  test_scenario_limits();
  test_scenario_format(hub);
  test_close(hub);
  ca_hub_release(hub);
  return tap_done();
}
