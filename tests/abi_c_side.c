/*
** abi_c_side.c: the C half of the ABI test. These functions call an
** interface pointer through wpf.h exactly as C code would, so that an
** object implemented in C++ against the SDK's class layout can be driven
** from C (and compiled by the C compiler, with its own view of the ABI).
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "abi_c_side.h"

ULONG abi_c_addref_v2(ICustomAction2ResultCallback *p) {
  return p->lpVtbl->AddRef(p);
}

ULONG abi_c_release_v2(ICustomAction2ResultCallback *p) {
  return p->lpVtbl->Release(p);
}

HRESULT abi_c_report_v2(ICustomAction2ResultCallback *p, HRESULT st,
                        BOOL final, BYTE *buf, DWORD len) {
  return p->lpVtbl->ReportResult(p, st, final, buf, len);
}

HRESULT abi_c_report_v1(ICustomActionResultCallback *p, HRESULT st, BYTE *buf,
                        DWORD len) {
  return p->lpVtbl->ReportResult(p, st, buf, len);
}

HRESULT abi_c_register(IPmCustomActions2 *pm, PCWSTR name, PCWSTR args,
                       ICustomAction2ResultCallback *cb) {
  return pm->lpVtbl->RegisterCustomActionCallback(pm, name, args, cb);
}

HRESULT abi_c_unregister(IPmCustomActions2 *pm, PCWSTR name) {
  return pm->lpVtbl->UnregisterCustomActionCallback(pm, name);
}

HRESULT abi_c_run(IPmCustomActions *pm, PCWSTR name, PCWSTR args,
                  ICustomActionResultCallback *cb) {
  return pm->lpVtbl->RunCustomAction(pm, name, args, cb);
}

/*
** The core alone, behind a recording deliver function, for the C++ side
** to drive: it sees only interface pointers and these plain accessors.
*/
#include <stdlib.h>
#include <string.h>
#include "callback.h"
#include "hresult.h"
#include "hub.h"

typedef struct abi_record {
  HRESULT status;
  int final;
  int null_buf;
  DWORD len;
  BYTE bytes[64];
} abi_record;

static abi_record records[64];
static int nrecords;
static HRESULT next_return;
static ca_hub *hub;

static HRESULT record_deliver(ca_hub *h, ca_target *to, HRESULT st,
                              int final, const BYTE *buf, DWORD len) {
  abi_record *r;
  (void)h; (void)to;
  if (nrecords == 64) return CA_E_OUTOFMEMORY;
  r = &records[nrecords++];
  r->status = st;
  r->final = final;
  r->null_buf = buf == NULL;
  r->len = len > sizeof r->bytes ? (DWORD)sizeof r->bytes : len;
  if (buf) memcpy(r->bytes, buf, r->len);
  return next_return;
}

void *abi_core_new(int reuse) {
  if (hub == NULL) hub = ca_hub_new(record_deliver, NULL);
  return ca_callback_new(hub, "abi", CA_DEFAULT_MAX_RESPONSE, reuse);
}

void *abi_core_v1(void *cb) { return ca_callback_v1(cb); }
void *abi_core_v2(void *cb) { return ca_callback_v2(cb); }
void abi_core_set_return(HRESULT hr) { next_return = hr; }
int abi_core_count(void) { return nrecords; }

int abi_core_record(int i, HRESULT *status, int *final, int *null_buf,
                    const BYTE **bytes, DWORD *len) {
  if (i < 0 || i >= nrecords) return 0;
  *status = records[i].status;
  *final = records[i].final;
  *null_buf = records[i].null_buf;
  *bytes = records[i].bytes;
  *len = records[i].len;
  return 1;
}

unsigned long abi_core_refused_null(void *cb) {
  ca_callback_stats st;
  ca_callback_stats_get(cb, &st);
  return st.refused[CA_REFUSED_NULL_BUFFER];
}

void abi_core_shutdown(void) {
  ca_hub_close(hub);
  ca_hub_release(hub);
  hub = NULL;
}

/* The issuer on a virtual clock, with one action: "Count", every 10 ms,
   three responses "n=1".."n=3". */
#include "issuer.h"

void *abi_issuer_new(void) {
  ca_issuer_opts o;
  ca_issuer *is;
  ca_scenario *sc = ca_scenario_new();
  ca_issuer_opts_init(&o);
  o.threads = 0;
  o.log_limit = 1000;
  is = ca_issuer_new(&o);
  ca_scenario_set_int(sc, CA_SC_EVERY, ca_int(10), NULL);
  ca_scenario_set_int(sc, CA_SC_COUNT, ca_int(3), NULL);
  ca_scenario_set_format(sc, "n=%d", 4, NULL);
  ca_issuer_define(is, "Count", 5, sc, NULL);
  return is;
}

void *abi_issuer_v1(void *is) { return ca_issuer_v1(is); }
void *abi_issuer_v2(void *is) { return ca_issuer_v2(is); }
int abi_issuer_advance(void *is, long ms) {
  return (int)ca_issuer_advance(is, ms, NULL);
}
void abi_issuer_release(void *is) { ca_issuer_release(is); }
