/*
** lcall.c: the one caller path from Lua into native code. Every surface
** that offers run, register, unregister, health or idle (the simulated
** issuer, wrapped pointers, loaded libraries, providers) calls through
** here, so that each rule is written once: names and arguments become
** UTF-16 by one conversion that refuses an embedded NUL or invalid UTF-8
** (never truncating; short ones on the C stack, longer ones in GC
** memory), a plain function becomes a callback in one place (an object
** reused from call to call, made a callback proxy only when the library
** keeps it past the call: lcallback.c),
** and one hold keeps a reference on the object called, and on the
** module's own objects the call may reach, for the call's duration (the
** reference rule of docs/reliability.md: Lua code run inside the call may
** close anything). Callers re-check their object's state after
** ca_lhold_drop before they use or cache what the call gave. The hold is
** dropped before anything is pushed, so that no Lua error (out of memory)
** can leave a reference behind.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <string.h>

#include "foreign.h"
#include "lcommon.h"

static void iface_take(void *obj) { ca_ref_addref(obj); }
static void iface_drop(void *obj) { ca_ref_release(obj); }

void ca_lhold_init(ca_lhold *h) { h->n = 0; }

void ca_lhold_add(ca_lhold *h, void *obj, void (*take)(void *),
                  void (*drop)(void *)) {
  if (obj == NULL || h->n == CA_LHOLD_MAX) return;
  take(obj);
  h->held[h->n].obj = obj;
  h->held[h->n++].drop = drop;
}

void ca_lhold_iface(ca_lhold *h, void *iface) {
  ca_lhold_add(h, iface, iface_take, iface_drop);
}

/* In reverse order: the object called goes last. */
void ca_lhold_drop(ca_lhold *h) {
  while (h->n > 0) {
    h->n--;
    h->held[h->n].drop(h->held[h->n].obj);
  }
}

WCHAR *ca_lcall_name(lua_State *L, int arg, WCHAR *buf) {
  return ca_lutf16_check_wide(L, arg, 0, buf, CA_LWIDE);
}

WCHAR *ca_lcall_args(lua_State *L, int arg, WCHAR *buf) {
  return ca_lutf16_check_wide(L, arg, 1, buf, CA_LWIDE);
}

/* A name to look up (active): NULL when it holds a NUL, since no native
   caller can have registered such a name. */
const char *ca_lcall_lookup(lua_State *L, int arg) {
  size_t len;
  const char *s = luaL_checklstring(L, arg, &len);
  return strlen(s) == len ? s : NULL;
}

static void need(lua_State *L, const void *p, const char *method,
                 const char *iface, const char *shape) {
  if (p == NULL)
    luaL_error(L, "%s needs an %s: this object wraps none (wrap one with "
               "shape \"%s\")", method, iface, shape);
}

/*
** obj:run(name, args, cb) (shape 1, through v1) or obj:register(...)
** (shape 2, through v2): arguments 2, 3 and 4; pushes the HRESULT.
*/
int ca_lcall_start(lua_State *L, IPmCustomActions *v1, IPmCustomActions2 *v2,
                   int shape) {
  WCHAR nbuf[CA_LWIDE], abuf[CA_LWIDE], *name, *args;
  ca_lcbuse cb;
  ca_lhold h;
  HRESULT hr;
  if (shape == CA_SHAPE_V1) need(L, v1, "run", "IPmCustomActions", "v1");
  else need(L, v2, "register", "IPmCustomActions2", "v2");
  name = ca_lcall_name(L, 2, nbuf);
  args = ca_lcall_args(L, 3, abuf);
  ca_lcallback_use(L, 4, &cb);   /* the last thing that may raise */
  ca_lhold_init(&h);
  ca_lhold_iface(&h, shape == CA_SHAPE_V1 ? (void *)v1 : (void *)v2);
  if (shape == CA_SHAPE_V1)
    hr = v1->lpVtbl->RunCustomAction(v1, name, args, ca_callback_v1(cb.obj));
  else
    hr = v2->lpVtbl->RegisterCustomActionCallback(v2, name, args,
                                                  ca_callback_v2(cb.obj));
  ca_lhold_drop(&h);
  ca_lcallback_unuse(L, &cb);
  ca_lhr_push_s(L, cb.s, (uint32_t)hr);
  return 1;
}

/* obj:unregister(name): argument 2; pushes the HRESULT. */
int ca_lcall_unregister(lua_State *L, IPmCustomActions2 *v2) {
  WCHAR buf[CA_LWIDE], *name;
  ca_lhold h;
  HRESULT hr;
  need(L, v2, "unregister", "IPmCustomActions2", "v2");
  name = ca_lcall_name(L, 2, buf);
  ca_lhold_init(&h);
  ca_lhold_iface(&h, v2);
  hr = v2->lpVtbl->UnregisterCustomActionCallback(v2, name);
  ca_lhold_drop(&h);
  ca_lhr_push(L, (uint32_t)hr);
  return 1;
}
