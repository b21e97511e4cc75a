/*
** fuzz_report.c: libFuzzer target over ReportResult's arguments, through
** both vtables, into a Lua handler. The input chooses the shape, status,
** final flag, whether the buffer is NULL, the size, and the bytes. Every
** call must return the handler's HRESULT or a documented refusal, and the
** handler must see exactly the bytes, status and flag sent.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "luahost.h"
#include "wpf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static lua_State *L;
static ICustomActionResultCallback *v1;
static ICustomAction2ResultCallback *v2;

static void setup(void) {
  L = luahost_new();
  if (L == NULL || !luahost_run(L,
      "ca = require 'customaction.core'\n"
      "got = nil\n"
      "cb = ca.callback(function(s, r, f)\n"
      "  got = { s.value, r, f }\n"
      "  if r and #r % 7 == 3 then error('odd length') end\n"
      "  return r and #r or 0\n"
      "end, { reuse = true, max_response = 256, on_error = function() end })\n"
      "p1, p2 = cb:interface('v1'), cb:interface('v2')\n"))
    abort();
  lua_getglobal(L, "p1");
  v1 = lua_touserdata(L, -1);
  lua_getglobal(L, "p2");
  v2 = lua_touserdata(L, -1);
  lua_settop(L, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint32_t status;
  int shape, final, null_buf;
  DWORD len;
  const BYTE *buf;
  HRESULT hr;
  if (L == NULL) setup();
  if (size < 8) return 0;
  shape = data[0] & 1;
  final = (data[0] >> 1) & 1;
  null_buf = (data[0] >> 2) & 1;
  memcpy(&status, data + 1, 4);
  len = (DWORD)((data[5] | (data[6] << 8)) % 512);
  buf = data + 7;
  if (len > size - 7) len = (DWORD)(size - 7);
  if (null_buf) {
    buf = NULL;
    len = data[7];
  }
  lua_pushnil(L);
  lua_setglobal(L, "got");
  hr = shape ? v1->lpVtbl->ReportResult(v1, (HRESULT)status, (BYTE *)buf, len)
             : v2->lpVtbl->ReportResult(v2, (HRESULT)status, final,
                                        (BYTE *)buf, len);
  lua_getglobal(L, "got");
  if (buf == NULL && len > 0) {
    if (hr != (HRESULT)0x80004003u || !lua_isnil(L, -1)) abort();
  } else if (len > 256) {
    if (hr != (HRESULT)0x800710F0u || !lua_isnil(L, -1)) abort();
  } else {
    size_t n = 0;
    const char *r;
    if (!lua_istable(L, -1)) abort();
    lua_rawgeti(L, -1, 1);
    if ((uint32_t)lua_tointeger(L, -1) != status) abort();
    lua_rawgeti(L, -2, 2);
    r = lua_tolstring(L, -1, &n);
    if (buf == NULL ? r != NULL : (n != len || memcmp(r, buf, n) != 0))
      abort();
    lua_rawgeti(L, -3, 3);
    if (lua_toboolean(L, -1) != (shape ? 1 : final)) abort();
    lua_pop(L, 3);
    if (len % 7 == 3 && buf != NULL ? hr != (HRESULT)0x80020009u
                                    : hr != (HRESULT)len) abort();
  }
  lua_settop(L, 0);
  return 0;
}
