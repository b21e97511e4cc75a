/*
** issuer.h: a simulated protocol manager. It implements IPmCustomActions
** and IPmCustomActions2 through the wpf.h vtables, takes UTF-16 names and
** arguments, AddRefs the callbacks it keeps and releases them when done,
** and reports through them the way a native protocol manager does: from
** its own worker threads in real time, or, on a virtual clock, from the
** thread that advances the clock. What it reports is data (a scenario per
** action name), so it can run on any thread. Every AddRef, Release and
** ReportResult it makes is logged. Nothing here depends on Lua.
*/
#ifndef CA_ISSUER_H
#define CA_ISSUER_H

#include <stddef.h>
#include <stdint.h>
#include "wpf.h"
#include "visibility.h"
CA_HIDDEN_BEGIN

enum ca_fault_kind {
  CA_FAULT_NULL_BUFFER,      /* NULL buffer with a non-zero size */
  CA_FAULT_OVERSIZED,        /* a buffer larger than callbacks accept */
  CA_FAULT_DUPLICATE_FINAL,  /* the final response sent twice */
  CA_FAULT_AFTER_FINAL,      /* one more response after the final one */
  CA_FAULT_FOREIGN_THREAD,   /* a response from a thread of its own */
  CA_FAULT_EARLY_RELEASE,    /* Release before the last response */
  CA_FAULT_NEVER_RELEASE,    /* the callback is never released */
  CA_FAULT_JITTER,           /* random extra delay, from a seed */
  CA_NFAULTS
};

extern const char *const ca_fault_names[CA_NFAULTS];

typedef struct ca_fault {
  int kind;
  int64_t at;        /* which response (1-based); 0: the kind's default */
  uint32_t size;     /* oversized: bytes sent */
  int64_t ms;        /* jitter: at most this much extra per interval */
  uint64_t seed;     /* jitter */
} ca_fault;

typedef struct ca_scenario {
  int64_t every;     /* ms between responses; -1 when absent */
  int64_t count;     /* responses; -1: until unregistered */
  int64_t delay;     /* ms to the first response */
  HRESULT status;
  int npayloads;
  char **payloads;   /* as sent (already UTF-16LE when utf16) */
  size_t *lens;
  char *format;      /* "%d" -> response number; NULL when unused */
  int echo;          /* payload = the action's argument */
  int utf16;         /* format/echo payloads sent as UTF-16LE */
  int nfaults;
  ca_fault *faults;
} ca_scenario;

/* An empty scenario to fill in (malloc'd members, freed by the issuer). */
ca_scenario *ca_scenario_new(void);
void ca_scenario_free(ca_scenario *sc);

typedef struct ca_issuer ca_issuer;

typedef struct ca_log_entry {
  const char *op;    /* register unregister run addref release report stop */
  char *action;
  HRESULT status;    /* report: hrStatus */
  int final;         /* report: fFinalResponse */
  int64_t bytes;     /* report: cbResponse */
  int null_buf;      /* report: pbResponse was NULL */
  int64_t result;    /* what the call returned (HRESULT or count) */
  unsigned long thread;
  int64_t time;      /* ms on the issuer's clock */
  int shape;         /* 1: v1 callback, 2: v2 */
} ca_log_entry;

/* threads > 0: real time on that many workers; 0: virtual clock. */
ca_issuer *ca_issuer_new(int threads, int log, size_t log_limit);

IPmCustomActions *ca_issuer_v1(ca_issuer *is);
IPmCustomActions2 *ca_issuer_v2(ca_issuer *is);
ULONG ca_issuer_addref(ca_issuer *is);
ULONG ca_issuer_release(ca_issuer *is);

/* Takes ownership of sc (also on failure). 0, or -1 when closed. */
int ca_issuer_define(ca_issuer *is, const char *name, ca_scenario *sc);

/*
** Virtual clock: performs every event due up to now + ms (has_ms) or the
** next due event, on the calling thread. Returns the number performed,
** -1 when not virtual, -2 when called from inside a report it is making.
*/
int ca_issuer_advance(ca_issuer *is, int64_t ms, int has_ms);
int64_t ca_issuer_now(ca_issuer *is);
int ca_issuer_is_virtual(ca_issuer *is);
/* Is name registered (bound and not finished)? */
int ca_issuer_active(ca_issuer *is, const char *name);
/* Operations not yet ended (registrations and runs). */
int ca_issuer_pending(ca_issuer *is);

/* Cancels everything (E_ABORT finals), releases, stops the workers. */
void ca_issuer_close(ca_issuer *is);
int ca_issuer_closed(ca_issuer *is);

/* Copies the log (caller frees with ca_log_free); clears it when asked. */
ca_log_entry *ca_issuer_log(ca_issuer *is, size_t *n, size_t *dropped,
                            int clear);
void ca_log_free(ca_log_entry *e, size_t n);

CA_HIDDEN_END
#endif
