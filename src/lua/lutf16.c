/*
** lutf16.c: ca.utf16.encode / ca.utf16.decode, for the UTF-16LE payloads
** and names Windows components exchange, and ca.ansi, for the paths and
** arguments Windows hands Lua in the ANSI code page (platform.h converts;
** this file only checks and pushes). Malformed input is an error that
** says where and what, never a silent replacement.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <string.h>

#include "lcommon.h"
#include "platform.h"
#include "utf16.h"

/*
** Pushes the UTF-16LE bytes of UTF-8 s; on error raises for argument arg.
** All scratch memory is Lua's, so a memory error here leaks nothing.
*/
void ca_lutf16_push_encoded(lua_State *L, const char *s, size_t len, int arg,
                            int nul_ok) {
  size_t units, where;
  WCHAR *w;
  char *out;
  luaL_Buffer b;
  int e = ca_utf8_measure(s, len, nul_ok, &units, &where);
  if (e != CA_UTF_OK)
    luaL_argerror(L, arg, lua_pushfstring(L, "%s at byte %d", ca_utf_error(e),
                                          (int)where + 1));
  w = lua_newuserdatauv(L, (units ? units : 1) * sizeof *w, 0);
  ca_utf8_fill16(s, len, w);
  out = luaL_buffinitsize(L, &b, units * 2);
  ca_utf16_to_le(w, units, out);
  luaL_pushresultsize(&b, units * 2);
  lua_remove(L, -2);  /* the scratch units */
}

/*
** The one check of a string bound for native code (a name or argument):
** the string at idx, refused as "[what: ]<problem> at byte N" in
** argument arg when it holds a NUL or is not UTF-8; *n its UTF-16 units.
*/
const char *ca_lutf8_check(lua_State *L, int idx, int arg, const char *what,
                           size_t *len, size_t *n) {
  size_t where, units;
  const char *s = lua_tolstring(L, idx, len);
  int e = ca_utf8_measure(s, *len, 0, &units, &where);
  if (e != CA_UTF_OK)
    luaL_argerror(L, arg, lua_pushfstring(L, "%s%s%s at byte %d",
                  what ? what : "", what ? ": " : "", ca_utf_error(e),
                  (int)where + 1));
  if (n != NULL) *n = units;
  return s;
}

/* Plain ASCII without a NUL, widened into w (n + 1 units); 0 when the
   string holds anything else, for the full check to look at. */
static int ascii_into(const char *s, size_t len, WCHAR *w) {
  size_t i;
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == 0 || c >= 0x80) return 0;
    w[i] = c;
  }
  w[len] = 0;
  return 1;
}

/*
** A NUL-terminated UTF-16 copy of the string at arg for a native call's
** PCWSTR: in buf (cap units, the caller's stack) when it fits, else in
** userdata the GC owns, pushed; NULL for an absent optional argument.
** Malformed UTF-8 and embedded NULs raise for argument arg. Short ASCII
** (names and arguments mostly are) takes one pass and no allocation.
*/
WCHAR *ca_lutf16_check_wide(lua_State *L, int arg, int optional, WCHAR *buf,
                            size_t cap) {
  size_t len, n;
  const char *s;
  WCHAR *w;
  if (optional && lua_isnoneornil(L, arg)) return NULL;
  s = luaL_checklstring(L, arg, &len);
  if (len < cap && ascii_into(s, len, buf)) return buf;
  s = ca_lutf8_check(L, arg, arg, NULL, &len, &n);
  w = n < cap ? buf : lua_newuserdatauv(L, (n + 1) * sizeof *w, 0);
  ca_utf8_fill16(s, len, w);
  w[n] = 0;
  return w;
}

/* Pushes UTF-16 units (a NUL-free PCWSTR or bytes) as a validated copy. */
static WCHAR *units_of(lua_State *L, const unsigned char *s, size_t n) {
  WCHAR *w = lua_newuserdatauv(L, (n ? n : 1) * sizeof *w, 0);
  size_t i;
  for (i = 0; i < n; i++) w[i] = (WCHAR)(s[2 * i] | (s[2 * i + 1] << 8));
  return w;
}

/***
UTF-16LE conversions.
@module customaction
*/

/***
UTF-16.
@section utf16
*/

/***
UTF-8 to UTF-16LE bytes. Malformed input is an error that says what and
at which byte.
@function utf16.encode
@string s UTF-8 text
@treturn string UTF-16LE bytes
*/
static int l_encode(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  ca_lutf16_push_encoded(L, s, len, 1, 1);
  return 1;
}

/***
UTF-16LE bytes to UTF-8. Odd lengths and unpaired surrogates are errors.
@function utf16.decode
@string b UTF-16LE bytes
@treturn string UTF-8 text
*/
static int l_decode(lua_State *L) {
  size_t len, n, where, bytes;
  const unsigned char *s = (const unsigned char *)luaL_checklstring(L, 1, &len);
  WCHAR *w;
  luaL_Buffer b;
  char *out;
  if (len % 2 != 0)
    return luaL_argerror(L, 1, lua_pushfstring(L, "odd number of bytes for "
                         "UTF-16 (%d)", (int)len));
  n = len / 2;
  w = units_of(L, s, n);
  if (ca_utf16_measure(w, n, &bytes, &where) != CA_UTF_OK)
    return luaL_argerror(L, 1, lua_pushfstring(L, "%s at byte %d",
                         ca_utf_error(CA_UTF_UNPAIRED), (int)(where * 2) + 1));
  out = luaL_buffinitsize(L, &b, bytes);
  ca_utf16_fill8(w, n, out);
  luaL_pushresultsize(&b, bytes);
  return 1;
}

static const luaL_Reg funcs[] = {
  {"encode", l_encode},
  {"decode", l_decode},
  {NULL, NULL}
};


/* ---- ca.ansi: the ANSI code page ---------------------------------------- */

/***
The ANSI code page.
@section ansi
*/

/* Argument 1 converted one way (platform.h's ca_acp_convert); errors name
   argument 1. The output is Lua's buffer, so an error leaks nothing. */
static int acp_convert(lua_State *L, int to_utf8) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  char err[160];
  long n;
  luaL_Buffer b;
  char *out;
  if (!to_utf8 && ca_acp() != 0) {   /* say which byte, as utf16 does */
    size_t units, where;
    int e = ca_utf8_measure(s, len, 1, &units, &where);
    if (e != CA_UTF_OK)
      return luaL_argerror(L, 1, lua_pushfstring(L, "%s at byte %d",
                           ca_utf_error(e), (int)where + 1));
  }
  n = ca_acp_convert(to_utf8, s, len, NULL, 0, err, sizeof err);
  if (n < 0) return luaL_argerror(L, 1, err);
  out = luaL_buffinitsize(L, &b, (size_t)n);
  if (n > 0 &&
      ca_acp_convert(to_utf8, s, len, out, (size_t)n, err, sizeof err) != n)
    return luaL_argerror(L, 1, err);
  luaL_pushresultsize(&b, (size_t)n);
  return 1;
}

/***
UTF-8 to the ANSI code page, for a path handed to Lua's own functions
(io.open, package.loadlib, os.execute) on Windows. Malformed UTF-8, and
a character the code page has no form for, are errors that name the byte
and the character: never a silent '?'. Elsewhere s as it is.
@function ansi.encode
@string s UTF-8 text
@treturn string the same text in the ANSI code page
*/
static int l_ansi_encode(lua_State *L) { return acp_convert(L, 0); }

/***
The ANSI code page to UTF-8, for a path or argument that came from Lua's
own functions (arg, os.getenv, package.path, debug.getinfo) on Windows,
to hand to `ca.load` and the other functions that take UTF-8. Bytes that
are not text in the code page are an error. Elsewhere b as it is.
@function ansi.decode
@string b text in the ANSI code page
@treturn string UTF-8 text
*/
static int l_ansi_decode(lua_State *L) { return acp_convert(L, 1); }

/***
The ANSI code page's number on Windows (1252, 932, 65001 for UTF-8 ...),
nil elsewhere.
@function ansi.codepage
@treturn ?int the code page
*/
static int l_ansi_codepage(lua_State *L) {
  unsigned cp = ca_acp();
  if (cp == 0) lua_pushnil(L);
  else lua_pushinteger(L, (lua_Integer)cp);
  return 1;
}

/*
** core.ansi_command_line(): the facade's (ca.ansi.arg). On Windows two
** lists, the process's arguments in UTF-8 and in the ANSI form the C
** runtime's argv holds; nothing elsewhere.
*/
static int l_command_line(lua_State *L) {
  int n, m, i;
  size_t need = ca_command_line(NULL, 0, &n), got;
  const char *p;
  char *buf;
  if (need == 0) return 0;
  buf = lua_newuserdatauv(L, need, 0);
  got = ca_command_line(buf, need, &m);
  if (got != need || m != n)
    return luaL_error(L, "the command line changed while it was read");
  lua_createtable(L, n, 0);
  lua_createtable(L, n, 0);
  for (p = buf, i = 1; i <= n; i++) {
    lua_pushstring(L, p);
    lua_rawseti(L, -3, i);
    p += strlen(p) + 1;
    lua_pushstring(L, p);
    lua_rawseti(L, -2, i);
    p += strlen(p) + 1;
  }
  return 2;
}

static const luaL_Reg ansi_funcs[] = {
  {"encode", l_ansi_encode},
  {"decode", l_ansi_decode},
  {"codepage", l_ansi_codepage},
  {NULL, NULL}
};
/* ---- end of ca.ansi ----------------------------------------------------- */

/* Expects the module table on top; adds ca.utf16 and ca.ansi. */
/*
** core.check_text(v, arg, fname, level [, optional]): the facade's way to
** the one string check (ca_lutf8_check) for a string it passes on to
** native code: v unless it is not a string, holds a NUL or is not UTF-8;
** then "bad argument #arg to 'fname' (...)" raised at level, counted as
** error() counts it from the facade function that calls this.
*/
static int l_check_text(lua_State *L) {
  int arg = (int)luaL_checkinteger(L, 2);
  const char *fname = luaL_checkstring(L, 3);
  int level = (int)luaL_checkinteger(L, 4);
  const char *problem = NULL;
  size_t len, units, where;
  lua_settop(L, 5);
  if (lua_isnil(L, 1) && lua_toboolean(L, 5)) return 1;
  if (lua_type(L, 1) != LUA_TSTRING) {
    problem = lua_pushfstring(L, "string expected, got %s",
                              luaL_typename(L, 1));
  } else {
    const char *s = lua_tolstring(L, 1, &len);
    int e = ca_utf8_measure(s, len, 0, &units, &where);
    if (e == CA_UTF_OK) {
      lua_settop(L, 1);
      return 1;
    }
    problem = lua_pushfstring(L, "%s at byte %d", ca_utf_error(e),
                              (int)where + 1);
  }
  luaL_where(L, level);
  lua_pushfstring(L, "bad argument #%d to '%s' (%s)", arg, fname, problem);
  lua_concat(L, 2);
  return lua_error(L);
}

void ca_lutf16_open(lua_State *L) {
  luaL_newlib(L, funcs);
  lua_setfield(L, -2, "utf16");
  lua_pushcfunction(L, l_check_text);
  lua_setfield(L, -2, "check_text");   /* the facade's; not in ca */
  luaL_newlib(L, ansi_funcs);
  lua_setfield(L, -2, "ansi");
  lua_pushcfunction(L, l_command_line);
  lua_setfield(L, -2, "ansi_command_line");   /* the facade's; not in ca */
}
