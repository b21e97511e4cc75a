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
#include "oplog.h"
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
  int provider_ref;   /* a provider request's protected part (lprovider.c),
                         a closure over the providers and the reply
                         metatable, made once */
  const void *hr_mt;  /* the HRESULT metatable, for a check without a
                         registry lookup (ca_lhr_check_s) */
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
  /* the callback object a call given a plain function uses when the
     library keeps no reference past the call (lcallback.c): kept for
     the next such call, never seen by Lua, not counted by stats() */
  ca_callback *spare;
  /* light replies (lreply.c): the run of the one request that may have
     one now, and whether it has (lprovider.c) */
  uint64_t light_gen;
  int light_busy;
  int next_key;       /* handler keys: small integers, reused */
  int *free_keys;
  int nfree, capfree;
  int closing;        /* lua_close has begun: the close marker ran (lhub.c) */
} ca_lstate;

/* The Lua proxy of a callback object. User values: 1 handler, 2 on_error. */
typedef struct ca_lcallback {
  ca_callback *obj;   /* NULL once closed */
  int held;           /* references this proxy holds: its own + addref()s */
  int anchored;       /* in the anchors table (so expose costs one look) */
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
/* The one option checker (lcore.c): every key of the table at t is in
   names (NULL-terminated), else "unknown <what> 'k' (expected a, b, ...)"
   in argument arg; ca_lcheckoptions says "option". */
void ca_lcheckkeys(lua_State *L, int t, int arg, const char *what,
                   const char *const names[]);
void ca_lcheckoptions(lua_State *L, int t, int arg,
                      const char *const names[]);
/* Option k of the table at t is nil or a function, else
   "option 'k' must be a function" in argument arg. */
void ca_lcheckfunction(lua_State *L, int t, int arg, const char *k);
/* A type of the module (lcore.c), with the module table on top: its
   metatable mt, with methods as __index, also at module[methods_field]
   when that is not NULL. */
/* A type check without luaL_testudata's registry lookup by name, for the
   hot paths: ca_lmark marks the metatable named mt with key (a static of
   the type's file); ca_ltest gives the userdata at idx when its
   metatable carries that mark, else NULL. */
void ca_lmark(lua_State *L, const char *mt, const void *key);
void *ca_ltest(lua_State *L, int idx, const void *key);
void ca_ltype(lua_State *L, const char *mt, const luaL_Reg *metamethods,
              const luaL_Reg *methods, const char *methods_field);
/* interface([name]) on every object (lcore.c): the name at arg as
   CA_LIFACE_*, and the answer pushed (the pointer, or nil and
   E_NOINTERFACE for NULL). */
enum { CA_LIFACE_V1, CA_LIFACE_V2, CA_LIFACE_PM, CA_LIFACE_MONITOR };
int ca_linterface_name(lua_State *L, int arg);
int ca_linterface_push(lua_State *L, void *ptr);

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
/* Native code is about to receive the object: keep the proxy reachable. */
void ca_lcallback_expose(lua_State *L, int idx);
/*
** The callback for one native call (the one caller path, lcall.c): the
** callback at arg, exposed, or for a plain function an object made for
** the call (reused from call to call) that becomes a callback proxy only
** when the library keeps a reference past the call. ca_lcallback_use
** raises only before it takes anything; every use is ended by
** ca_lcallback_unuse once the call returns, which raises nothing.
*/
typedef struct ca_lcbuse {
  ca_lstate *s;
  ca_callback *obj;
  int fn;             /* the plain function's stack index, or 0 */
} ca_lcbuse;
void ca_lcallback_use(lua_State *L, int arg, ca_lcbuse *u);
void ca_lcallback_unuse(lua_State *L, ca_lcbuse *u);
/* Each GC cycle: drop anchors that no native holder needs any more. */
void ca_lcallback_sweep(lua_State *L, ca_lstate *s);
/* lua_close: disconnect and release every proxy still open. */
void ca_lcallback_close_all(lua_State *L, ca_lstate *s);

/* ldeliver.c */
HRESULT ca_ldeliver(ca_hub *hub, ca_target *to, HRESULT status, int final,
                    const BYTE *buf, DWORD len);

/* The one message handler (also luapm's): any error object as text (a
   non-string one as "(error object is a <type> value)", or its
   __tostring), with a traceback. */
int ca_lmsgh(lua_State *L);
/* The one call policy for user code: lua_pcall of the function below its
   nargs arguments with ca_lmsgh; the message on top on error. */
int ca_lpcall(lua_State *L, int nargs, int nres);
/* A user function's error (at msg) to on_error(msg, owner) (stack index,
   0 for none) under the same policy, else to stderr as
   "customaction: <what> '<name>': msg". Protected callers only. */
void ca_lroute_error(lua_State *L, int msg, int on_error, int owner,
                     const char *what, const char *name);
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
/* The string at arg as PCWSTR: in buf (cap units) when it fits, else in
   GC memory pushed on the stack; NULL for an absent optional one. */
WCHAR *ca_lutf16_check_wide(lua_State *L, int arg, int optional, WCHAR *buf,
                            size_t cap);
/* The one check of a string bound for native code: no NUL, valid UTF-8,
   else "[what: ]<problem> at byte N" in argument arg; *n (if not NULL)
   its length in UTF-16 units. */
const char *ca_lutf8_check(lua_State *L, int idx, int arg, const char *what,
                           size_t *len, size_t *n);

/* lprovider.c, lreply.c */
struct ca_provider;
struct ca_preq;
typedef struct ca_lprovider {
  struct ca_provider *obj;   /* NULL once closed */
} ca_lprovider;
typedef struct ca_lreply {
  struct ca_preq *r;         /* one request reference (borrowed if light) */
  struct ca_provider *p;     /* one provider reference (borrowed if light) */
  struct ca_lstate *s;       /* a light reply's state */
  uint64_t gen;              /* a light reply's run: valid while it equals
                                s->light_gen */
  unsigned char light;       /* made without __gc for the request running */
  unsigned char ended;       /* a light reply after its run: r and p NULL */
  unsigned char cancelled;   /* the request's, when its action returned */
  char name[];               /* a light reply's copy of the request's name */
} ca_lreply;
void ca_lprovider_open(lua_State *L);
void ca_lreply_open(lua_State *L);
/* Pushes field k of the provider proxy's table; returns its type. */
int ca_lprovider_field(lua_State *L, int proxy, const char *k);
void ca_lreply_push(lua_State *L, int proxy, int mt, struct ca_provider *p,
                    struct ca_preq *r);
void ca_lreply_push_light(lua_State *L, int proxy, int mt, int args,
                          struct ca_provider *p, struct ca_preq *r);
void ca_lreply_action_returned(lua_State *L, int idx, int mt);
void ca_lreply_end_run(struct ca_lstate *s);
void ca_lreply_light_mt(lua_State *L);
void ca_lreply_list(lua_State *L, int proxy, int idx, struct ca_preq *r);
int ca_lreply_on_cancel(lua_State *L, int idx);

/* lcall.c: the one caller path into native code (see its opening). */
#define CA_LHOLD_MAX 4
typedef struct ca_lhold {
  int n;
  struct { void *obj; void (*drop)(void *); } held[CA_LHOLD_MAX];
} ca_lhold;
void ca_lhold_init(ca_lhold *h);
/* take(obj) now, drop(obj) at ca_lhold_drop; NULL obj: nothing. */
void ca_lhold_add(ca_lhold *h, void *obj, void (*take)(void *),
                  void (*drop)(void *));
/* AddRef of any IWpfReferencedObject-derived pointer, Released at drop. */
void ca_lhold_iface(ca_lhold *h, void *iface);
void ca_lhold_drop(ca_lhold *h);
/* A name (or an optional argument) as UTF-16, refused with an argument
   error when it holds a NUL or is not UTF-8: in buf (CA_LWIDE units, the
   caller's stack) when it fits, else in GC memory pushed on the stack. */
#define CA_LWIDE 128
WCHAR *ca_lcall_name(lua_State *L, int arg, WCHAR *buf);
WCHAR *ca_lcall_args(lua_State *L, int arg, WCHAR *buf);
/* Pushes an HRESULT value through s's intern table (no registry lookup
   for the state record). */
void ca_lhr_push_s(lua_State *L, ca_lstate *s, uint32_t value);
/* A name to look up: NULL when it holds a NUL (never registered). */
const char *ca_lcall_lookup(lua_State *L, int arg);
/* ca_lhr_check, with an HRESULT value recognised by s's metatable. */
uint32_t ca_lhr_check_s(lua_State *L, ca_lstate *s, int arg);
/* run (shape 1) or register (shape 2) with arguments 2..4, and
   unregister with argument 2, holding the interface across the call;
   push the HRESULT. */
int ca_lcall_start(lua_State *L, IPmCustomActions *v1, IPmCustomActions2 *v2,
                   int shape);
int ca_lcall_unregister(lua_State *L, IPmCustomActions2 *v2);

/* lissuer.c */
void ca_lissuer_open(lua_State *L);

/* lrecord.c: gives the table at idx the record metatable `name`
   (__name and a __tostring listing its fields). */
void ca_lprintable(lua_State *L, int idx, const char *name);

/*
** lrecord.c: the one Lua view of a log (oplog.h). ca_llog_box pushes a
** box that owns a copy of the log while it becomes Lua tables (its __gc
** frees it if a memory error strikes first); the caller stores the copy
** in it. ca_llog_push replaces the box with the list of entries, each
** built by push (which leaves one table), and its `dropped` count; the
** list prints as the type name (ca_lprintable).
*/
typedef struct ca_llog { ca_log_entry *e; size_t n; } ca_llog;
ca_llog *ca_llog_box(lua_State *L);
void ca_llog_push(lua_State *L, ca_llog *box, size_t dropped,
                  void (*push)(lua_State *L, const ca_log_entry *e),
                  const char *name);
/* t.k = v, and t.k = { names[i] = v[i] }, on the table on top: the
   counters every stats() shows. */
void ca_lsetcount(lua_State *L, const char *k, uint64_t v);
void ca_lsetcounts(lua_State *L, const char *k, const char *const *names,
                   const uint64_t *v, int n);
/* lactions.c */
void ca_lactions_open(lua_State *L);
/* Pushes a new customaction.actions over v1 and/or v2 (AddRefs each). */
void ca_lactions_push(lua_State *L, IPmCustomActions *v1,
                      IPmCustomActions2 *v2);

/* lbinary.c */
void ca_lbinary_open(lua_State *L);

/* lpm.c */
void ca_lpm_open(lua_State *L);
/* lpmopts.c: ca.load's options (argument 2). check: every key known, the
   hooks functions, *limit the log limit; pushes and returns the init
   name. read: the framework's data, *actions2_id when given. cstring:
   the string at idx for a C API, refused with a NUL or empty. */
struct ca_framework;
const char *ca_lpm_check_options(lua_State *L, lua_Integer *limit);
void ca_lpm_read_options(lua_State *L, struct ca_framework *fw,
                         DWORD *actions2_id);
const char *ca_lpm_cstring(lua_State *L, int idx, int arg, const char *what);

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
