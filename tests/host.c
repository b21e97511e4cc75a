/*
** host.c: a minimal Lua interpreter (any version lcompat.h supports) for
** sanitizer runs. The module
** and the native peer are linked in and preloaded, so the whole process,
** module included, is built with the sanitizer flags and the specs run
** unchanged: host script.lua [args...] behaves like lua script.lua.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdio.h>
#include <stdlib.h>

#include "lcompat.h"
#include "luahost.h"

int luaopen_nativepeer(lua_State *L);

static int msgh(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  luaL_traceback(L, L, msg ? msg : "(error object is not a string)", 1);
  return 1;
}

int main(int argc, char **argv) {
  static const luaL_Reg peer[] = {{"nativepeer", luaopen_nativepeer},
                                  {NULL, NULL}};
  lua_State *L;
  int i, status;
  if (argc < 2) {
    fprintf(stderr, "usage: %s script.lua [args...]\n", argv[0]);
    return 2;
  }
  L = luaL_newstate();
  if (L == NULL) return 1;
  luaL_openlibs(L);
  luahost_preload(L, peer);
  lua_createtable(L, argc, 1);
  for (i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - 1);
  }
  lua_setglobal(L, "arg");
  lua_pushcfunction(L, msgh);
  status = luaL_loadfile(L, argv[1]);
  if (status == LUA_OK) {
    for (i = 2; i < argc; i++) lua_pushstring(L, argv[i]);
    status = lua_pcall(L, argc - 2, 0, 1);
  }
  if (status != LUA_OK) fprintf(stderr, "%s\n", lua_tostring(L, -1));
  lua_close(L);
  return status == LUA_OK ? 0 : 1;
}
