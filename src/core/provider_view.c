/*
** provider_view.c: what the binding may read of a provider and its
** requests (provider.h), so that their layout stays private to the core
** (provider_impl.h) and the binding never takes the provider's lock.
** Request fields the owning thread alone writes are read without a lock
** on that thread; the registration table is read under the lock here.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "provider_impl.h"

#include <string.h>

IProtocolManager *ca_provider_pm(ca_provider *p) {
  return (IProtocolManager *)&p->pm;
}
IPmCustomActions *ca_provider_v1(ca_provider *p) {
  return (IPmCustomActions *)&p->v1;
}
IPmCustomActions2 *ca_provider_v2(ca_provider *p) {
  return (IPmCustomActions2 *)&p->v2;
}
IPmHealthAndIdleMonitor *ca_provider_monitor(ca_provider *p) {
  return (IPmHealthAndIdleMonitor *)&p->monitor;
}

const char *ca_provider_name(const ca_provider *p) { return p->name; }
unsigned ca_provider_refs(ca_provider *p) { return ca_atomic_load_uint(&p->refs, CA_SEQ_CST); }
void *ca_provider_binding(const ca_provider *p) { return p->binding; }

void ca_provider_set_idle_wait(ca_provider *p, int64_t ms) {
  p->idle_wait_ms = ms;
}

void ca_provider_count_error(ca_provider *p) {
  ca_atomic_fetch_add_u64(&p->stats.errors, 1, CA_SEQ_CST);
}

void ca_provider_counts(ca_provider *p, ca_pcounts *out) {
  int i;
#define CA_PCOUNT_LOAD(name) out->name = ca_atomic_load_u64(&p->stats.name, CA_SEQ_CST);
  CA_PCOUNTERS(CA_PCOUNT_LOAD)
#undef CA_PCOUNT_LOAD
  for (i = 0; i < CA_NPREFUSALS; i++)
    out->refused[i] = ca_atomic_load_u64(&p->stats.refused[i], CA_SEQ_CST);
}

int ca_provider_active(ca_provider *p, const char *name) {
  ca_preq *r;
  int found = 0;
  ca_mutex_lock(&p->lock);
  for (r = p->regs; r != NULL && !found; r = r->tnext)
    found = strcmp(r->name, name) == 0;
  ca_mutex_unlock(&p->lock);
  return found;
}

int ca_preq_kind(const ca_preq *r) { return r->kind; }
const char *ca_preq_name(const ca_preq *r) { return r->name; }

const char *ca_preq_args(const ca_preq *r, size_t *len) {
  *len = r->args_len;
  return r->args;
}

int ca_preq_done(const ca_preq *r) { return r->done; }
int ca_preq_cancelled(ca_preq *r) { return ca_atomic_load_int(&r->cancelled, CA_SEQ_CST); }
int ca_preq_flag(const ca_preq *r) { return r->flag; }
int ca_preq_ntargets(const ca_preq *r) { return r->ntargets; }
ca_preq *ca_preq_target(const ca_preq *r, int i) { return r->targets[i]; }

int ca_preq_answered(const ca_preq *r, HRESULT *last) {
  *last = r->last;
  return r->answered;
}
