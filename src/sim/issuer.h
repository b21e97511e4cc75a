/*
** issuer.h: a simulated protocol manager. It implements IPmCustomActions
** and IPmCustomActions2 through the wpf.h vtables, takes UTF-16 names and
** arguments, AddRefs the callbacks it keeps and releases them when done,
** and reports through them the way a native protocol manager does:
** RunCustomAction answers inside the call on the caller's thread (like
** IIS's core protocol manager) unless the issuer was made with queued
** runs; registrations report from its own worker threads in real time,
** or, on a virtual clock, from the thread that advances the clock. What
** it reports is data (a scenario per action name, scenario.h), so it can
** run on any thread. Every AddRef, Release and ReportResult it makes is
** logged. Nothing here depends on Lua.
*/
#ifndef CA_ISSUER_H
#define CA_ISSUER_H

#include <stddef.h>
#include <stdint.h>
#include "intrange.h"
#include "oplog.h"
#include "scenario.h"
#include "wpf.h"
#include "visibility.h"
CA_HIDDEN_BEGIN

typedef struct ca_issuer ca_issuer;

/* What the log records; ca_log_op_names spells each as the log shows it. */
enum ca_log_op {
  CA_LOG_REGISTER, CA_LOG_UNREGISTER, CA_LOG_RUN, CA_LOG_ADDREF,
  CA_LOG_RELEASE, CA_LOG_REPORT, CA_LOG_STOP, CA_NLOGOPS
};
extern const char *const ca_log_op_names[CA_NLOGOPS];

/* Its entries are the project's one log (oplog.h): text is the action's
   name, time the issuer's clock. */

/* How RunCustomAction answers. */
enum ca_run_mode {
  CA_RUN_SYNC,       /* inside the call, returning ReportResult's HRESULT;
                        E_NOTIMPL for a name nothing answers (IIS) */
  CA_RUN_QUEUED      /* later, like a registration; S_OK at once,
                        E_NOT_SET for an unknown name */
};

typedef struct ca_issuer_opts {
  int threads;       /* 1..64 workers in real time; 0: virtual clock */
  int threads_set;
  int log;
  int64_t log_limit;
  enum ca_run_mode run;
} ca_issuer_opts;

/* threads 1, log on, log_limit 1 000 000, synchronous runs */
void ca_issuer_opts_init(ca_issuer_opts *o);
/* Setters with the integer rule of intrange.h; 0, or -1 and e. */
int ca_issuer_opts_threads(ca_issuer_opts *o, ca_number v, ca_err *e);
int ca_issuer_opts_log_limit(ca_issuer_opts *o, ca_number v, ca_err *e);
int ca_issuer_opts_clock(ca_issuer_opts *o, const char *s, size_t len,
                         ca_err *e);
int ca_issuer_opts_run(ca_issuer_opts *o, const char *s, size_t len,
                       ca_err *e);

/* NULL when out of memory; workers start when first needed. */
ca_issuer *ca_issuer_new(const ca_issuer_opts *o);

IPmCustomActions *ca_issuer_v1(ca_issuer *is);
IPmCustomActions2 *ca_issuer_v2(ca_issuer *is);
ULONG ca_issuer_addref(ca_issuer *is);
ULONG ca_issuer_release(ca_issuer *is);

/*
** Finishes sc (ca_scenario_finish) and binds it to name (UTF-8 of len
** bytes, no NUL: a name native callers can send). Takes ownership of sc,
** also on failure. 0, or -1 with e.
*/
int ca_issuer_define(ca_issuer *is, const char *name, size_t len,
                     ca_scenario *sc, ca_err *e);

/*
** Virtual clock: performs every event due up to now + ms (ms >= 0) or up
** to the next due event (ms < 0), on the calling thread. ms is checked
** against ca_advance_range. Returns the number performed, or -1 with e
** (not virtual, called from inside a report it is making, ms out of range).
*/
extern const ca_intrange ca_advance_range;
int64_t ca_issuer_advance(ca_issuer *is, int64_t ms, ca_err *e);
int64_t ca_issuer_now(ca_issuer *is);
int ca_issuer_is_virtual(ca_issuer *is);
/* Is name registered (bound and not finished)? */
int ca_issuer_active(ca_issuer *is, const char *name);
/* Operations not yet ended (registrations and runs). */
int ca_issuer_pending(ca_issuer *is);

/* Cancels everything (E_ABORT finals), releases, stops the workers. */
void ca_issuer_close(ca_issuer *is);

/* Copies the log (caller frees with ca_log_free); clears it when asked;
   NULL when out of memory. */
ca_log_entry *ca_issuer_log(ca_issuer *is, size_t *n, size_t *dropped,
                            int clear);

CA_HIDDEN_END
#endif
