/*
** widefs.c: TEST-ONLY module `widefs` for the specs under Wine (make
** windows): files and command lines with names in UTF-8, through the
** system's wide (UTF-16) functions. Lua's own io.open, os.remove and
** io.popen take the ANSI code page, which has no form for most of the
** world's characters, so a spec could not otherwise make a directory
** named "pm-ü-日本", or start the command with such a path on its command
** line as a Windows console does. Never installed.
**   widefs.mkdir(path)  widefs.copy(from, to)  widefs.remove(path)
**   widefs.rmdir(path)  widefs.system(line) -> exit status (cmd /c line)
** Each returns true (or the status), or nil and the system's message.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <process.h>
#include <stdio.h>
#include <stdlib.h>

#include "lua.h"
#include "lauxlib.h"

/* Argument arg as UTF-16, in memory the GC owns; raises for bad UTF-8. */
static wchar_t *wide(lua_State *L, int arg) {
  size_t len;
  const char *s = luaL_checklstring(L, arg, &len);
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, (int)len + 1,
                              NULL, 0);
  wchar_t *w;
  if (n <= 0) luaL_argerror(L, arg, "not UTF-8 text");
  w = lua_newuserdatauv(L, (size_t)n * sizeof *w, 0);
  MultiByteToWideChar(CP_UTF8, 0, s, (int)len + 1, w, n);
  return w;
}

/* true, or nil and the message of GetLastError() */
static int result(lua_State *L, BOOL ok) {
  char msg[256];
  DWORD n;
  if (ok) {
    lua_pushboolean(L, 1);
    return 1;
  }
  n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                     NULL, GetLastError(), 0, msg, sizeof msg, NULL);
  while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) msg[--n] = 0;
  lua_pushnil(L);
  lua_pushstring(L, n > 0 ? msg : "failed");
  return 2;
}

static int w_mkdir(lua_State *L) {
  return result(L, CreateDirectoryW(wide(L, 1), NULL));
}

static int w_copy(lua_State *L) {
  return result(L, CopyFileW(wide(L, 1), wide(L, 2), FALSE));
}

static int w_remove(lua_State *L) { return result(L, DeleteFileW(wide(L, 1))); }

static int w_rmdir(lua_State *L) {
  return result(L, RemoveDirectoryW(wide(L, 1)));
}

/* cmd.exe /c line, the line in UTF-16: what a console passes on */
static int w_system(lua_State *L) {
  wchar_t *w = wide(L, 1);
  int rc;
  fflush(NULL);
  rc = _wsystem(w);
  if (rc == -1) return luaL_error(L, "_wsystem failed");
  lua_pushinteger(L, rc);
  return 1;
}

static const luaL_Reg funcs[] = {
  {"mkdir", w_mkdir},
  {"copy", w_copy},
  {"remove", w_remove},
  {"rmdir", w_rmdir},
  {"system", w_system},
  {NULL, NULL}
};

__declspec(dllexport) int luaopen_widefs(lua_State *L);
int luaopen_widefs(lua_State *L) {
  luaL_newlib(L, funcs);
  return 1;
}
