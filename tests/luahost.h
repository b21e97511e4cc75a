/*
** luahost.h: how every C and C++ test program that embeds Lua sets up its
** state, once: the standard libraries, the module preloaded as require
** would find it (package.preload, which every Lua version has), any extra
** modules of the test's own, and the facade from the source tree (tests
** run from the repository root). The module's entry point comes from
** include/customaction.h.
*/
#ifndef CA_TEST_LUAHOST_H
#define CA_TEST_LUAHOST_H

#ifdef __cplusplus
extern "C" {
#endif
#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"
#ifdef __cplusplus
}
#endif
#include "customaction.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Preloads customaction.core and extra (a luaL_Reg list, or NULL). */
void luahost_preload(lua_State *L, const luaL_Reg *extra);
/* Puts the facade's source tree (lua/) first on package.path. */
void luahost_facade(lua_State *L);
/* A new state with the libraries, the module and the facade; NULL when
   out of memory. */
lua_State *luahost_new(void);
/* Runs a chunk; 1 when it ran, else 0 with "# lua error: ..." printed. */
int luahost_run(lua_State *L, const char *code);

#ifdef __cplusplus
}
#endif
#endif
