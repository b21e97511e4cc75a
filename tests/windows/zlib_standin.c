/*
** zlib_standin.c: TEST-ONLY STAND-IN for a `zlib` Lua module, used only
** by make windows to let LuaRocks, running under Wine with the cross-built
** lua.exe, unpack the binary rock; never installed, never part of a rock.
** The official Windows LuaRocks ships a zlib binding inside luarocks.exe;
** without one (or 7z.exe) LuaRocks cannot open a .rock at all. Debian's
** lua-zlib source cannot be fetched here, so these are the two lzlib calls
** LuaRocks' luarocks/tools/zip.lua makes to unpack a zip (its _VERSION
** starts with "lzlib" for that reason), over the zlib of Debian's
** libz-mingw-w64-dev, linked in statically:
**   decompress(data [, windowbits]) -> string   (negative: raw deflate,
**                                                 as zip entries are)
**   crc32([crc, data]) -> number   (each entry's check; no argument: the
**                                   initial value)
** compress is left out: here LuaRocks only unpacks.
*/
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "lua.h"
#include "lauxlib.h"

#define ZLIB_STANDIN_EXPORT __declspec(dllexport)

/* The output grows in plain memory while the stream is open, so that no
   Lua error (out of memory in a buffer) can leave the stream unfreed. */
static int z_decompress(lua_State *L) {
  size_t n, cap = LUAL_BUFFERSIZE, len = 0;
  const char *data = luaL_checklstring(L, 1, &n);
  int bits = (int)luaL_optinteger(L, 2, MAX_WBITS);
  char *out = NULL, *grown;
  z_stream z;
  int rc;
  luaL_argcheck(L, n <= UINT_MAX, 1, "data over 4 GiB");
  memset(&z, 0, sizeof z);
  if ((rc = inflateInit2(&z, bits)) != Z_OK)
    return luaL_error(L, "zlib.decompress: inflateInit2 failed (%d)", rc);
  z.next_in = (Bytef *)data;
  z.avail_in = (uInt)n;
  do {
    if (len == cap || out == NULL) {
      if (out != NULL) cap *= 2;
      if (cap > UINT_MAX || (grown = realloc(out, cap)) == NULL) { rc = Z_MEM_ERROR; break; }
      out = grown;
    }
    z.next_out = (Bytef *)out + len;
    z.avail_out = (uInt)(cap - len);
    rc = inflate(&z, Z_NO_FLUSH);
    len = cap - z.avail_out;
  } while (rc == Z_OK);
  inflateEnd(&z);
  if (rc == Z_STREAM_END) lua_pushlstring(L, out, len);
  free(out);
  if (rc != Z_STREAM_END)
    return luaL_error(L, "zlib.decompress: %s (%d)", rc == Z_MEM_ERROR ? "out of memory"
                      : rc == Z_BUF_ERROR ? "the data ends early" : "the data is not deflate", rc);
  return 1;
}

static int z_crc32(lua_State *L) {
  size_t n;
  const char *data;
  uLong crc;
  if (lua_isnoneornil(L, 1)) {   /* the initial value */
    lua_pushinteger(L, (lua_Integer)crc32(0L, Z_NULL, 0));
    return 1;
  }
  crc = (uLong)luaL_checkinteger(L, 1);
  data = luaL_checklstring(L, 2, &n);
  luaL_argcheck(L, n <= UINT_MAX, 2, "data over 4 GiB");
  lua_pushinteger(L, (lua_Integer)crc32(crc, (const Bytef *)data, (uInt)n));
  return 1;
}

static const luaL_Reg funcs[] = {
  {"decompress", z_decompress},
  {"crc32", z_crc32},
  {NULL, NULL}
};

ZLIB_STANDIN_EXPORT int luaopen_zlib(lua_State *L);
ZLIB_STANDIN_EXPORT int luaopen_zlib(lua_State *L) {
  luaL_newlib(L, funcs);
  lua_pushliteral(L, "lzlib-compatible test stand-in (zlib " ZLIB_VERSION ")");
  lua_setfield(L, -2, "_VERSION");
  return 1;
}
