/*
** fuzz_scenario.c: libFuzzer target over scenario tables given to
** pm:define. The input is read as a small program that builds a table from
** known and unknown field names and values of every Lua type; define must
** accept it or raise a clear error, and an accepted scenario must run on a
** virtual clock (register, advance, unregister, close) without a crash.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "luahost.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static lua_State *L;
static const char *const fields[] = {
  "every", "count", "delay", "status", "payload", "format", "echo",
  "encoding", "faults", "bogus",
};
static const char *const words[] = {
  "utf8", "utf16", "E_FAIL", "0x80070005", "n=%d", "%%", "%s", "null_buffer",
  "oversized", "duplicate_final", "after_final", "foreign_thread",
  "early_release", "never_release", "jitter", "\xff", "", "x",
};
#define NWORDS (sizeof words / sizeof words[0])

static size_t pos;

static int next(const uint8_t *d, size_t n) { return pos < n ? d[pos++] : 0; }

static void push_value(const uint8_t *d, size_t n, int depth) {
  int t = next(d, n) % 7;
  switch (t) {
    case 0: lua_pushinteger(L, (int8_t)next(d, n) * 3); break;
    case 1: lua_pushinteger(L, next(d, n) | (next(d, n) << 8)); break;
    case 2: lua_pushstring(L, words[next(d, n) % NWORDS]); break;
    case 3: lua_pushboolean(L, next(d, n) & 1); break;
    case 4: lua_pushnumber(L, next(d, n) / 3.0); break;
    default: {
      int i, k = depth > 2 ? 0 : next(d, n) % 4;
      lua_createtable(L, k, 0);
      for (i = 1; i <= k; i++) {
        push_value(d, n, depth + 1);
        lua_rawseti(L, -2, i);
      }
      if (k > 0 && (next(d, n) & 1)) {   /* a fault option or two */
        push_value(d, n, depth + 1);
        lua_setfield(L, -2, (next(d, n) & 1) ? "at" : "ms");
      }
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int i, nf;
  if (L == NULL) {
    L = luahost_new();
    if (L == NULL || !luahost_run(L,
        "ca = require 'customaction.core'\n"
        "function try(t)\n"
        "  local pm = ca.issuer({ clock = 'virtual' })\n"
        "  local ok = pcall(pm.define, pm, 'A', t)\n"
        "  if ok then\n"
        "    local cb = ca.callback(function() end, { max_response = 64 })\n"
        "    pm:register('A', 'arg', cb)\n"
        "    pm:advance(60)\n"
        "    pm:unregister('A')\n"
        "    pm:run('A', '', ca.callback(function() end))\n"
        "    pm:advance(60)\n"
        "    ca.dispatch()\n"
        "  end\n"
        "  pm:close()\n"
        "end\n"))
      abort();
  }
  pos = 0;
  lua_getglobal(L, "try");
  lua_newtable(L);
  nf = next(data, size) % 8;
  for (i = 0; i < nf; i++) {
    const char *k = fields[next(data, size) % (sizeof fields / sizeof fields[0])];
    push_value(data, size, 0);
    lua_setfield(L, -2, k);
  }
  if (lua_pcall(L, 1, 0, 0) != LUA_OK) abort();  /* only define may fail */
  lua_gc(L, LUA_GCCOLLECT, 0);
  return 0;
}
