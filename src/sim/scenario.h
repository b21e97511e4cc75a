/*
** scenario.h: what a simulated action reports, as data the issuer's
** threads can read. The scenario owns its defaults, limits and validation:
** a caller (the Lua binding, a C test, a fuzzer) sets fields one by one,
** each setter refusing a bad value with a message that names the field
** and what it accepts, and ca_scenario_finish checks the fields against
** each other and fills in what was left unset. A scenario made with
** ca_scenario_new and nothing set is a one-shot action that answers at
** once with S_OK and an empty payload.
*/
#ifndef CA_SCENARIO_H
#define CA_SCENARIO_H

#include <stddef.h>
#include <stdint.h>
#include "intrange.h"
#include "wpf.h"
#include "visibility.h"
CA_HIDDEN_BEGIN

typedef struct ca_scenario ca_scenario;

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

/* The integer fields of a scenario and of a fault. */
enum ca_scenario_int { CA_SC_EVERY, CA_SC_COUNT, CA_SC_DELAY, CA_SC_NINTS };
enum ca_fault_param { CA_FP_AT, CA_FP_SIZE, CA_FP_MS, CA_FP_SEED,
                      CA_NFPARAMS };

/* Names as callers spell them; the field list is NULL-terminated. */
extern const char *const ca_scenario_fields[];
extern const char *const ca_scenario_int_names[CA_SC_NINTS];
extern const char *const ca_fault_names[CA_NFAULTS];
extern const char *const ca_fault_params[CA_NFPARAMS];

/* Responses a scenario may count, and bytes of a format. */
#define CA_MAX_COUNT 10000000
#define CA_MAX_FORMAT ((size_t)1 << 20)

/* NULL when out of memory. */
ca_scenario *ca_scenario_new(void);
void ca_scenario_free(ca_scenario *sc);

/* Each setter returns 0, or -1 with e saying what is wrong. */
int ca_scenario_set_int(ca_scenario *sc, enum ca_scenario_int which,
                        ca_number v, ca_err *e);
void ca_scenario_set_status(ca_scenario *sc, HRESULT status);
/* "utf8" (the default) or "utf16": how format, echo and payload go out. */
int ca_scenario_set_encoding(ca_scenario *sc, const char *name, size_t len,
                             ca_err *e);
/* Appends one payload (bytes, any content); several are used in turn. */
int ca_scenario_add_payload(ca_scenario *sc, const char *s, size_t len,
                            ca_err *e);
/* "%d" becomes the response number, "%%" a percent sign. */
int ca_scenario_set_format(ca_scenario *sc, const char *f, size_t len,
                           ca_err *e);
void ca_scenario_set_echo(ca_scenario *sc, int on);
/* Appends a fault by name; returns its index, or -1. */
int ca_scenario_add_fault(ca_scenario *sc, const char *name, size_t len,
                          ca_err *e);
int ca_scenario_set_fault(ca_scenario *sc, int index,
                          enum ca_fault_param which, ca_number v, ca_err *e);

/* Checks the fields together and fills in the defaults; a scenario must
   be finished before an issuer takes it (ca_issuer_define finishes it). */
int ca_scenario_finish(ca_scenario *sc, ca_err *e);

CA_HIDDEN_END
#endif
