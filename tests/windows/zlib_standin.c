/*
** zlib_standin.c: TEST-ONLY STAND-IN for a `zlib` Lua module, used only
** by make windows to let LuaRocks, running under Wine with the cross-built
** lua.exe, unpack the binary rock; never installed, never part of a rock.
** The official Windows LuaRocks ships a zlib binding inside luarocks.exe;
** without one (or 7z.exe) LuaRocks cannot open a .rock at all. Debian's
** lua-zlib source cannot be fetched here, so this is the lzlib interface
** that LuaRocks' luarocks/tools/zip.lua calls (its _VERSION starts with
** "lzlib" for that reason), over the zlib of Debian's libz-mingw-w64-dev,
** linked in statically:
**   compress(data [, level [, method [, windowbits]]]) -> string
**   decompress(data [, windowbits]) -> string
**   crc32([crc, data]) -> number   (no argument: the initial value)
** A negative windowbits is raw deflate (zip entries), 31 gzip.
*/
#include <limits.h>
#include <string.h>
#include <zlib.h>

#include "lua.h"
#include "lauxlib.h"

#define ZLIB_STANDIN_EXPORT __declspec(dllexport)

/* The stream's failure, raised with the function's name. */
static int z_fail(lua_State *L, const char *what, z_stream *z, int rc) {
  return luaL_error(L, "zlib.%s: %s (%d)", what, z->msg ? z->msg : "zlib error", rc);
}

static int z_compress(lua_State *L) {
  size_t n;
  const char *data = luaL_checklstring(L, 1, &n);
  int level = (int)luaL_optinteger(L, 2, Z_DEFAULT_COMPRESSION);
  int bits = (int)luaL_optinteger(L, 4, MAX_WBITS);
  z_stream z;
  luaL_Buffer b;
  uLong bound;
  char *out;
  int rc;
  luaL_argcheck(L, n <= UINT_MAX / 2, 1, "data over 2 GiB");
  /* the output space first, so that no error leaves a stream open: zlib's
     bound for any settings, plus a gzip header's worst case */
  bound = deflateBound(Z_NULL, (uLong)n) + 32;
  out = luaL_buffinitsize(L, &b, bound);
  memset(&z, 0, sizeof z);
  if ((rc = deflateInit2(&z, level, Z_DEFLATED, bits, 8, Z_DEFAULT_STRATEGY)) != Z_OK)
    return z_fail(L, "compress", &z, rc);
  z.next_in = (Bytef *)data;
  z.avail_in = (uInt)n;
  z.next_out = (Bytef *)out;
  z.avail_out = (uInt)bound;
  rc = deflate(&z, Z_FINISH);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return z_fail(L, "compress", &z, rc);
  luaL_pushresultsize(&b, bound - z.avail_out);
  return 1;
}

static int z_decompress(lua_State *L) {
  size_t n;
  const char *data = luaL_checklstring(L, 1, &n);
  int bits = (int)luaL_optinteger(L, 2, MAX_WBITS);
  z_stream z;
  luaL_Buffer b;
  int rc;
  luaL_argcheck(L, n <= UINT_MAX, 1, "data over 4 GiB");
  memset(&z, 0, sizeof z);
  if ((rc = inflateInit2(&z, bits)) != Z_OK) return z_fail(L, "decompress", &z, rc);
  z.next_in = (Bytef *)data;
  z.avail_in = (uInt)n;
  luaL_buffinit(L, &b);
  do {
    char *out = luaL_prepbuffer(&b);
    z.next_out = (Bytef *)out;
    z.avail_out = LUAL_BUFFERSIZE;
    rc = inflate(&z, Z_NO_FLUSH);
    luaL_addsize(&b, LUAL_BUFFERSIZE - z.avail_out);
  } while (rc == Z_OK);
  inflateEnd(&z);
  if (rc != Z_STREAM_END) return z_fail(L, "decompress", &z, rc);
  luaL_pushresult(&b);
  return 1;
}

static int z_crc32(lua_State *L) {
  size_t n;
  uLong crc;
  const char *data;
  if (lua_isnoneornil(L, 1)) {
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
  {"compress", z_compress},
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
