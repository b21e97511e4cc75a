/*
** lcore.c: luaopen_customaction_core, which assembles the module table
** from the per-type files. Requiring it again in the same state reuses
** the state's record, so HRESULT values stay interned and callbacks keep
** one hub.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "lcommon.h"
#include "platform.h"
#include "version.h"

CA_EXPORT int luaopen_customaction_core(lua_State *L) {
  ca_lstate *s;
  ca_pin_module((const void *)(uintptr_t)luaopen_customaction_core);
  s = ca_lhub_state(L);
  lua_newtable(L);
  ca_lhr_open(L, s);
  ca_lcallback_open(L);
  ca_lhub_open(L);
  ca_lutf16_open(L);
  ca_lissuer_open(L);
  ca_lactions_open(L);
  ca_lbinary_open(L);
  ca_lpm_open(L);
  ca_lprovider_open(L);
  ca_lcheck_open(L);
  lua_pushliteral(L, CA_VERSION);
  lua_setfield(L, -2, "_VERSION");
  return 1;
}

int64_t ca_lcheckint(lua_State *L, int idx, int arg, const char *prefix,
                     const ca_intrange *r) {
  ca_err e;
  int64_t v = 0;
  if (ca_intrange_check(r, ca_lnumber(L, idx), &v, &e) != 0)
    ca_lerror(L, arg, prefix, &e);
  return v;
}

int ca_lerror(lua_State *L, int arg, const char *prefix, const ca_err *e) {
  return luaL_argerror(L, arg, lua_pushfstring(L, "%s%s", prefix, e->msg));
}
