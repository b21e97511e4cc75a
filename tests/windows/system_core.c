/*
** system_core.c: TEST-ONLY STAND-IN for lua-system's `system.core`, used
** only to run busted under Wine (make windows); never installed, never a
** replacement for lua-system. busted needs three functions of it:
** gettime (wall clock, seconds), monotime (monotonic, seconds) and sleep
** (seconds); the Debian source of lua-system cannot be fetched here, so
** these three are written against the Windows API instead.
*/
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include "lua.h"
#include "lauxlib.h"

/* 100-ns intervals between 1601-01-01 (FILETIME's epoch) and 1970-01-01 */
#define EPOCH_DIFF 116444736000000000ULL

static int s_gettime(lua_State *L) {
  FILETIME ft;
  ULARGE_INTEGER t;
  GetSystemTimeAsFileTime(&ft);
  t.LowPart = ft.dwLowDateTime;
  t.HighPart = ft.dwHighDateTime;
  lua_pushnumber(L, (lua_Number)(t.QuadPart - EPOCH_DIFF) / 1e7);
  return 1;
}

static int s_monotime(lua_State *L) {
  LARGE_INTEGER f, c;
  QueryPerformanceFrequency(&f);
  QueryPerformanceCounter(&c);
  lua_pushnumber(L, (lua_Number)c.QuadPart / (lua_Number)f.QuadPart);
  return 1;
}

static int s_sleep(lua_State *L) {
  lua_Number s = luaL_checknumber(L, 1);
  luaL_argcheck(L, s >= 0, 1, "expected seconds >= 0");
  Sleep(s * 1000 > 4e9 ? 4000000000u : (DWORD)(s * 1000));
  return 0;
}

static const luaL_Reg funcs[] = {
  {"gettime", s_gettime},
  {"monotime", s_monotime},
  {"sleep", s_sleep},
  {NULL, NULL}
};

__declspec(dllexport) int luaopen_system_core(lua_State *L);

int luaopen_system_core(lua_State *L) {
  luaL_newlib(L, funcs);
  lua_pushliteral(L, "test-only stand-in (customaction tests/windows)");
  lua_setfield(L, -2, "_NOTE");
  return 1;
}
