/*
** lcommon.h: what the Lua-facing files (l*.c) share: metatable names, the
** per-state binding record, and the entry points each file offers the
** others. Only these files include lua.h.
*/
#ifndef CA_LCOMMON_H
#define CA_LCOMMON_H

#include <stdint.h>

#include "lcompat.h"

#include "callback.h"
#include "hub.h"
#include "intrange.h"
#include "visibility.h"
CA_HIDDEN_BEGIN

#define CA_HRESULT_MT "customaction.hresult"
#define CA_CALLBACK_MT "customaction.callback"
#define CA_STATE_MT "customaction.state"
#define CA_TICK_MT "customaction.tick"
#define CA_ISSUER_MT "customaction.issuer"
#define CA_MARKER_MT "customaction.close_marker"
#define CA_ACTIONS_MT "customaction.actions"
#define CA_PM_MT "customaction.protocol_manager"
#define CA_READER_MT "customaction.reader"
#define CA_WRITER_MT "customaction.writer"
#define CA_PROVIDER_MT "customaction.provider"
#define CA_REPLY_MT "customaction.reply"

#define CA_LRUNNING 8

/*
** One per Lua state, kept as a full userdata in the registry; its __gc
** (which lua_close runs after every callback proxy's) closes the hub.
** The tables it names live in the registry too.
*/
typedef struct ca_lstate {
  ca_hub *hub;
  lua_State *L;       /* the main thread: handlers run on it */
  int live_ref;       /* weak values: object lightuserdata -> proxy */
  int anchors_ref;    /* proxy -> true while native code may hold it */
  int intern_ref;     /* weak values: HRESULT value -> HRESULT userdata */
  int handlers_ref;   /* weak values: callback key -> handler */
  int trampoline_ref; /* the delivery closure (ldeliver.c), which keeps the
                         last status delivered as an upvalue */
  uint32_t status_value;
  int status_cached;
#if LUA_VERSION_NUM < 502
  int deliver_refs[2];  /* 5.1 allocates for lua_pushcfunction: made once */
#endif
  /* callback objects whose handler runs now, innermost last (ldeliver.c):
     closing one keeps its live entry until its delivery ends, so an error
     it raises after closing still reaches its on_error */
  ca_callback *running[CA_LRUNNING];
  unsigned char closed_running[CA_LRUNNING];
  int nrunning;
  int next_key;       /* handler keys: small integers, reused */
  int *free_keys;
  int nfree, capfree;
} ca_lstate;

/* The Lua proxy of a callback object. User values: 1 handler, 2 on_error. */
typedef struct ca_lcallback {
  ca_callback *obj;   /* NULL once closed */
  int held;           /* references this proxy holds: its own + addref()s */
  ca_callback *kept;  /* once closed: the object, kept readable for stats
                         and tostring until the proxy is collected */
} ca_lcallback;

ca_lstate *ca_lstate_get(lua_State *L);

/* The value at idx as the core's integer rule (intrange.h) takes it:
   numbers only (lua_tointegerx alone would take the string "0x80070005"
   too), integers as integers where Lua has them. */
static inline ca_number ca_lnumber(lua_State *L, int idx) {
  if (lua_type(L, idx) != LUA_TNUMBER) return ca_other(luaL_typename(L, idx));
#if LUA_VERSION_NUM >= 503
  if (lua_isinteger(L, idx)) return ca_int((int64_t)lua_tointeger(L, idx));
#endif
  return ca_float((double)lua_tonumber(L, idx));
}

/* lcore.c: the value at idx checked against r by the core's rule; raises
   "bad argument #arg (...)" with the core's message otherwise. */
int64_t ca_lcheckint(lua_State *L, int idx, int arg, const char *prefix,
                     const ca_intrange *r);
/* Raises the core's message, after prefix, as an error in argument arg. */
int ca_lerror(lua_State *L, int arg, const char *prefix, const ca_err *e);

/* lhresult.c */
void ca_lhr_open(lua_State *L, ca_lstate *s);
void ca_lhr_push(lua_State *L, uint32_t value);
void ca_lhr_push_interned(lua_State *L, int intern_idx, uint32_t value);
/* 1 and *out set when the value at idx names an HRESULT, else 0. */
int ca_lhr_to(lua_State *L, int idx, uint32_t *out);
uint32_t ca_lhr_check(lua_State *L, int arg);
int ca_lhr_new(lua_State *L);

/* lcallback.c */
void ca_lcallback_open(lua_State *L);
ca_lcallback *ca_lcallback_check(lua_State *L, int arg);
/* ca.callback(handler [, opts]) as a C function. */
int ca_lcallback_new(lua_State *L);
/* The callback at arg, or a new one made from the function there (which
   then replaces it on the stack). */
ca_lcallback *ca_lcallback_checkorwrap(lua_State *L, int arg);
/* Native code is about to receive the object: keep the proxy reachable. */
void ca_lcallback_expose(lua_State *L, int idx);
/* Each GC cycle: drop anchors that no native holder needs any more. */
void ca_lcallback_sweep(lua_State *L, ca_lstate *s);
/* lua_close: disconnect and release every proxy still open. */
void ca_lcallback_close_all(lua_State *L, ca_lstate *s);

/* ldeliver.c */
HRESULT ca_ldeliver(ca_hub *hub, ca_callback *cb, HRESULT status, int final,
                    const BYTE *buf, DWORD len);

/* The message handler deliveries use: adds a traceback. */
int ca_lmsgh(lua_State *L);
/* 1 when obj's handler runs now: its live entry then goes when that
   delivery ends, not at once (lcallback.c's close). */
int ca_ldeliver_defer_close(ca_lstate *s, ca_callback *obj);
/* Delivers up to max queued reports (max < 0: all) in as few protected
   calls as handlers' errors allow; returns how many. An error that is no
   handler's (a debug hook's) is raised in caller. */
int ca_ldispatch(lua_State *caller, ca_lstate *s, int max);

/* Makes what delivery needs ready before the first report (lhub.c). */
void ca_ldeliver_open(lua_State *L, ca_lstate *s);

/* lutf16.c */
void ca_lutf16_open(lua_State *L);
void ca_lutf16_push_encoded(lua_State *L, const char *s, size_t len, int arg,
                            int nul_ok);
WCHAR *ca_lutf16_check_wide(lua_State *L, int arg, int optional);

/* lprovider.c, lreply.c */
struct ca_provider;
struct ca_preq;
typedef struct ca_lprovider {
  struct ca_provider *obj;   /* NULL once closed */
} ca_lprovider;
typedef struct ca_lreply {
  struct ca_preq *r;         /* one request reference */
  struct ca_provider *p;     /* one provider reference */
} ca_lreply;
void ca_lprovider_open(lua_State *L);
void ca_lreply_open(lua_State *L);
/* Pushes field k of the provider proxy's table; returns its type. */
int ca_lprovider_field(lua_State *L, int proxy, const char *k);
void ca_lreply_push(lua_State *L, int proxy, struct ca_provider *p,
                    struct ca_preq *r);

/* lissuer.c */
void ca_lissuer_open(lua_State *L);

/* lrecord.c: gives the table at idx the record metatable `name`
   (__name and a __tostring listing its fields). */
void ca_lprintable(lua_State *L, int idx, const char *name);
/* lactions.c */
void ca_lactions_open(lua_State *L);
/* Pushes a new customaction.actions over v1 and/or v2 (AddRefs each). */
void ca_lactions_push(lua_State *L, IPmCustomActions *v1,
                      IPmCustomActions2 *v2);

/* lbinary.c */
void ca_lbinary_open(lua_State *L);

/* lpm.c */
void ca_lpm_open(lua_State *L);

/* lcheck.c: the conformance checker's raw calls */
void ca_lcheck_open(lua_State *L);

/* lscenario.c: the scenario table at idx as a scenario, owned by a box
   pushed on the stack (its __gc frees what an error leaves behind);
   errors blame argument arg. Take it with ca_lscenario_take. */
struct ca_scenario;
struct ca_scenario *ca_lscenario_read(lua_State *L, int idx, int arg);
struct ca_scenario *ca_lscenario_take(lua_State *L, int box);

/* lhub.c */
ca_lstate *ca_lhub_state(lua_State *L);  /* finds or creates */
/*
** An object whose finalizer may wait for threads that report into this
** state was just made: lua_close must refuse those threads' reports (and
** wake the blocked ones) before that finalizer runs.
*/
void ca_lhub_mark_close(lua_State *L);
void ca_lhub_open(lua_State *L);

CA_HIDDEN_END

CA_EXPORT int luaopen_customaction_core(lua_State *L);
#endif
