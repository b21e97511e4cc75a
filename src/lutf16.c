/*
** lutf16.c: ca.utf16.encode / ca.utf16.decode, for the UTF-16LE payloads
** and names Windows components exchange. Malformed input is an error that
** says where and what, never a silent replacement.
*/
#include <stdlib.h>

#include "lcommon.h"
#include "utf16.h"

/* Pushes the UTF-16LE bytes of UTF-8 s; on error raises for argument arg. */
void ca_lutf16_push_encoded(lua_State *L, const char *s, size_t len, int arg,
                            int nul_ok) {
  WCHAR *w;
  size_t n, where, i;
  luaL_Buffer b;
  int e = ca_utf8_to_utf16(s, len, nul_ok, &w, &n, &where);
  if (e == CA_UTF_NOMEM) luaL_error(L, "not enough memory");
  if (e != CA_UTF_OK)
    luaL_argerror(L, arg, lua_pushfstring(L, "%s at byte %d", ca_utf_error(e),
                                          (int)where + 1));
  luaL_buffinit(L, &b);
  for (i = 0; i < n; i++) {
    luaL_addchar(&b, (char)(w[i] & 0xFF));
    luaL_addchar(&b, (char)(w[i] >> 8));
  }
  free(w);
  luaL_pushresult(&b);
}

static int l_encode(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  ca_lutf16_push_encoded(L, s, len, 1, 1);
  return 1;
}

static int l_decode(lua_State *L) {
  size_t len, n, i, where, outlen;
  const unsigned char *s = (const unsigned char *)luaL_checklstring(L, 1, &len);
  WCHAR *w;
  char *out;
  int e;
  if (len % 2 != 0)
    return luaL_argerror(L, 1, lua_pushfstring(L, "odd number of bytes for "
                         "UTF-16 (%d)", (int)len));
  n = len / 2;
  w = malloc((n ? n : 1) * sizeof *w);
  if (w == NULL) return luaL_error(L, "not enough memory");
  for (i = 0; i < n; i++) w[i] = (WCHAR)(s[2 * i] | (s[2 * i + 1] << 8));
  e = ca_utf16_to_utf8(w, n, &out, &outlen, &where);
  free(w);
  if (e == CA_UTF_NOMEM) return luaL_error(L, "not enough memory");
  if (e != CA_UTF_OK)
    return luaL_argerror(L, 1, lua_pushfstring(L, "%s at byte %d",
                         ca_utf_error(e), (int)(where * 2) + 1));
  lua_pushlstring(L, out, outlen);
  free(out);
  return 1;
}

static const luaL_Reg funcs[] = {
  {"encode", l_encode},
  {"decode", l_decode},
  {NULL, NULL}
};

/* Expects the module table on top; adds ca.utf16. */
void ca_lutf16_open(lua_State *L) {
  luaL_newlib(L, funcs);
  lua_setfield(L, -2, "utf16");
}
