/*
** luahost.c: the test programs' Lua set-up (see luahost.h), written once
** for every Lua version lcompat.h supports.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdio.h>

#include "luahost.h"
#include "lcompat.h"

void luahost_preload(lua_State *L, const luaL_Reg *extra) {
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "preload");
  lua_pushcfunction(L, luaopen_customaction_core);
  lua_setfield(L, -2, "customaction.core");
  for (; extra != NULL && extra->name != NULL; extra++) {
    lua_pushcfunction(L, extra->func);
    lua_setfield(L, -2, extra->name);
  }
  lua_pop(L, 2);
}

void luahost_facade(lua_State *L) {
  (void)luaL_dostring(L, "package.path = 'lua/?.lua;lua/?/init.lua;' .. "
                         "package.path");
}

lua_State *luahost_new(void) {
  lua_State *L = luaL_newstate();
  if (L == NULL) return NULL;
  luaL_openlibs(L);
  luahost_preload(L, NULL);
  luahost_facade(L);
  return L;
}

int luahost_run(lua_State *L, const char *code) {
  if (luaL_dostring(L, code) == LUA_OK) return 1;
  printf("# lua error: %s\n", lua_tostring(L, -1));
  fflush(stdout);
  lua_pop(L, 1);
  return 0;
}
