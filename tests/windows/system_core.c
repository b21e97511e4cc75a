/*
** system_core.c: TEST-ONLY STAND-IN for lua-system's `system.core`, used
** only to run busted under Wine (make windows) and under qemu-i386 (make
** x86), where Debian's lua-system is not installed for the target; never
** installed, never a replacement for lua-system. busted needs three
** functions of it: gettime (wall clock, seconds), monotime (monotonic,
** seconds) and sleep (seconds); the Debian source of lua-system cannot be
** fetched here, so these three are written against the Windows API and
** POSIX instead.
*/
#if defined(_WIN32)
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#define SYSTEM_CORE_EXPORT __declspec(dllexport)
#else
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <time.h>
#define SYSTEM_CORE_EXPORT __attribute__((visibility("default")))
#endif

#include "lua.h"
#include "lauxlib.h"

#if defined(_WIN32)
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

#else
static lua_Number clock_seconds(clockid_t id) {
  struct timespec t;
  clock_gettime(id, &t);
  return (lua_Number)t.tv_sec + (lua_Number)t.tv_nsec / 1e9;
}

static int s_gettime(lua_State *L) {
  lua_pushnumber(L, clock_seconds(CLOCK_REALTIME));
  return 1;
}

static int s_monotime(lua_State *L) {
  lua_pushnumber(L, clock_seconds(CLOCK_MONOTONIC));
  return 1;
}

static int s_sleep(lua_State *L) {
  lua_Number s = luaL_checknumber(L, 1);
  struct timespec t;
  luaL_argcheck(L, s >= 0, 1, "expected seconds >= 0");
  if (s > 4e6) s = 4e6;
  t.tv_sec = (time_t)s;
  t.tv_nsec = (long)((s - (lua_Number)t.tv_sec) * 1e9);
  while (nanosleep(&t, &t) != 0 && errno == EINTR) {}  /* a signal: sleep the rest */
  return 0;
}

#endif

static const luaL_Reg funcs[] = {
  {"gettime", s_gettime},
  {"monotime", s_monotime},
  {"sleep", s_sleep},
  {NULL, NULL}
};

SYSTEM_CORE_EXPORT int luaopen_system_core(lua_State *L);

int luaopen_system_core(lua_State *L) {
  luaL_newlib(L, funcs);
  lua_pushliteral(L, "test-only stand-in (customaction tests/windows)");
  lua_setfield(L, -2, "_NOTE");
  return 1;
}
