/*
** lbinary.c: ca.reader and ca.writer, little-endian binary responses the
** way Windows components lay them out (DWORD counts, UTF-16LE strings,
** padding to 4 bytes). Written in C rather than with string.pack so that
** they behave the same on Lua 5.1-5.4 and LuaJIT. A reader never reads
** past its buffer: a short buffer is an error naming what was wanted, at
** which offset, and how much was left.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "alloc.h"
#include <stdio.h>
#include <string.h>

#include "lcommon.h"
#include "utf16.h"

typedef struct ca_reader {
  const unsigned char *s;   /* the string in user value 1 */
  size_t len, pos;
} ca_reader;

typedef struct ca_writer {
  unsigned char *buf;       /* malloc'd; freed by __gc */
  size_t len, cap;
} ca_writer;

static ca_reader *checkreader(lua_State *L) {
  return luaL_checkudata(L, 1, CA_READER_MT);
}

/*
** Where n items of unit bytes start, if that many remain, or an error
** saying what was wanted where. n is compared with what remains before
** any product (a count is at most 2^53, so the size in the message is the
** true one, whatever size_t's width). The offset does not move: a read
** moves it only once it has succeeded.
*/
static const unsigned char *peek(lua_State *L, ca_reader *r, uint64_t n,
                                 unsigned unit, const char *what) {
  uint64_t left = (uint64_t)(r->len - r->pos);
  char msg[160];
  if (n <= left / unit) return r->s + r->pos;
  snprintf(msg, sizeof msg, "reader: %s wants %llu bytes at offset %llu, "
           "but only %llu remain (of %llu)", what,
           (unsigned long long)(n * unit), (unsigned long long)r->pos,
           (unsigned long long)left, (unsigned long long)r->len);
  luaL_error(L, "%s", msg);
  return NULL;
}

/* The next n bytes, and the offset moves past them. */
static const unsigned char *take(lua_State *L, ca_reader *r, uint64_t n,
                                 const char *what) {
  const unsigned char *p = peek(L, r, n, 1, what);
  r->pos += (size_t)n;
  return p;
}

static uint64_t le(const unsigned char *p, int n) {
  uint64_t v = 0;
  while (n-- > 0) v = (v << 8) | p[n];
  return v;
}

/***
Binary responses.
@module customaction
*/

/***
Binary responses.
@section binary
*/

/***
Reads a binary response: little-endian integers, byte strings and
UTF-16LE text, with padding. Each read moves the offset on; reading past
the end is an error that names the read, the offset and what remained.
@function reader
@string bytes the response
@treturn reader
@usage local r = ca.reader(response)
local n = r:u32()   -- a DWORD count
*/
static int l_reader(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  ca_reader *r = lua_newuserdatauv(L, sizeof *r, 1);
  r->s = (const unsigned char *)s;
  r->len = len;
  r->pos = 0;
  luaL_setmetatable(L, CA_READER_MT);
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, -2, 1);
  return 1;
}

/***
A binary reader (`customaction.reader`).
@type reader
*/

/***
An unsigned byte.
@function reader:u8
@treturn int
*/
static int r_u8(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)le(take(L, checkreader(L), 1, "u8"), 1));
  return 1;
}

/***
An unsigned 16-bit integer.
@function reader:u16
@treturn int
*/
static int r_u16(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)le(take(L, checkreader(L), 2, "u16"), 2));
  return 1;
}

/***
An unsigned 32-bit integer (a DWORD).
@function reader:u32
@treturn int
*/
static int r_u32(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)le(take(L, checkreader(L), 4, "u32"), 4));
  return 1;
}

/***
A signed 32-bit integer (an HRESULT's or a LONG's bits).
@function reader:i32
@treturn int
*/
static int r_i32(lua_State *L) {
  uint32_t v = (uint32_t)le(take(L, checkreader(L), 4, "i32"), 4);
  lua_pushinteger(L, v > 0x7FFFFFFFu ? (lua_Integer)v - 0x100000000LL
                                     : (lua_Integer)v);
  return 1;
}

/***
An unsigned 64-bit integer (a ULONGLONG). Lua 5.3 and later give the
64 bits as an integer (negative above 2^63 - 1); Lua 5.1, 5.2 and LuaJIT
give a number, and raise for values above 2^53, which a number cannot
hold exactly.
@function reader:u64
@treturn int
*/
static int r_u64(lua_State *L) {
  ca_reader *r = checkreader(L);
  size_t at = r->pos;
  uint64_t v = le(take(L, r, 8, "u64"), 8);
#if LUA_VERSION_NUM < 503
  if (v > ((uint64_t)1 << 53))
    return luaL_error(L, "reader: u64 at offset %d is above 2^53, which "
                      "this Lua's numbers cannot hold exactly", (int)at);
#else
  (void)at;
#endif
  lua_pushinteger(L, (lua_Integer)v);
  return 1;
}

/* Counts and values go through the core's integer rule (intrange.h). */
static int64_t checkint(lua_State *L, int arg, const char *what,
                        int64_t lo, int64_t hi) {
  ca_intrange r;
  r.name = what;
  r.min = lo;
  r.max = hi;
  return ca_lcheckint(L, arg, arg, "", &r);
}

/* 0..2^53, kept 64 bits wide until peek has compared it with the rest. */
static uint64_t checkcount(lua_State *L, int arg, const char *what) {
  return (uint64_t)checkint(L, arg, what, 0, CA_COUNT_MAX);
}

/***
`n` bytes, as a string.
@function reader:bytes
@int n how many
@treturn string
*/
static int r_bytes(lua_State *L) {
  ca_reader *r = checkreader(L);
  uint64_t n = checkcount(L, 2, "count");
  const unsigned char *p = take(L, r, n, "bytes");
  lua_pushlstring(L, (const char *)p, (size_t)n);
  return 1;
}

/* Pushes n UTF-16LE units at p as UTF-8; raises at a bad unit. */
static void push_utf16(lua_State *L, const unsigned char *p, size_t n,
                       size_t at) {
  WCHAR *w = lua_newuserdatauv(L, (n ? n : 1) * sizeof *w, 0);
  size_t i, bytes, where;
  luaL_Buffer b;
  char *out;
  for (i = 0; i < n; i++) w[i] = (WCHAR)(p[2 * i] | (p[2 * i + 1] << 8));
  if (ca_utf16_measure(w, n, &bytes, &where) != CA_UTF_OK)
    luaL_error(L, "reader: %s at offset %d", ca_utf_error(CA_UTF_UNPAIRED),
               (int)(at + 2 * where));
  out = luaL_buffinitsize(L, &b, bytes);
  ca_utf16_fill8(w, n, out);
  luaL_pushresultsize(&b, bytes);
  lua_remove(L, -2);
}

/***
`nchars` UTF-16LE characters (code units), converted to UTF-8.
@function reader:utf16
@int nchars how many 16-bit units
@treturn string UTF-8 text
*/
static int r_utf16(lua_State *L) {
  ca_reader *r = checkreader(L);
  uint64_t n = checkcount(L, 2, "character count");
  const unsigned char *p = peek(L, r, n, 2, "utf16");
  push_utf16(L, p, (size_t)n, r->pos);   /* raises at a bad unit */
  r->pos += 2 * (size_t)n;
  return 1;
}

/***
A NUL-terminated UTF-16LE string, converted to UTF-8; the NUL is read
too.
@function reader:utf16z
@treturn string UTF-8 text
*/
static int r_utf16z(lua_State *L) {
  ca_reader *r = checkreader(L);
  size_t i, at = r->pos;
  for (i = r->pos; i + 1 < r->len; i += 2)
    if (r->s[i] == 0 && r->s[i + 1] == 0) {
      push_utf16(L, r->s + at, (i - at) / 2, at);   /* raises at a bad unit */
      r->pos = i + 2;
      return 1;
    }
  return luaL_error(L, "reader: utf16z wants a NUL-terminated UTF-16 "
                    "string at offset %d, but no NUL follows (%d bytes "
                    "remain)", (int)at, (int)(r->len - at));
}

static size_t checkalign(lua_State *L) {
  return (size_t)checkint(L, 2, "alignment", 1, 65536);
}

/***
Skips padding up to the next multiple of `n` bytes from the start.
@function reader:align
@int n the alignment (4 for DWORD padding)
@treturn reader the reader
*/
static int r_align(lua_State *L) {
  ca_reader *r = checkreader(L);
  size_t n = checkalign(L), pad = (n - r->pos % n) % n;
  take(L, r, pad, "align");
  lua_settop(L, 1);
  return 1;
}

/***
Bytes not yet read.
@function reader:remaining
@treturn int
*/
static int r_remaining(lua_State *L) {
  ca_reader *r = checkreader(L);
  lua_pushinteger(L, (lua_Integer)(r->len - r->pos));
  return 1;
}

/***
The offset of the next read, from the start (0-based).
@function reader:offset
@treturn int
*/
static int r_offset(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)checkreader(L)->pos);
  return 1;
}

static int r_tostring(lua_State *L) {
  ca_reader *r = checkreader(L);
  lua_pushfstring(L, "customaction.reader (offset %d of %d)", (int)r->pos,
                  (int)r->len);
  return 1;
}

/* ---- writer ------------------------------------------------------------- */

static ca_writer *checkwriter(lua_State *L) {
  return luaL_checkudata(L, 1, CA_WRITER_MT);
}

static unsigned char *room(lua_State *L, ca_writer *w, size_t n) {
  if (n > w->cap - w->len) {
    size_t cap = w->cap ? w->cap : 64;
    unsigned char *b;
    while (cap - w->len < n) {
      if (cap > ((size_t)-1) / 2) luaL_error(L, "writer: too large");
      cap *= 2;
    }
    b = ca_realloc(w->buf, cap);
    if (b == NULL) luaL_error(L, "not enough memory");
    w->buf = b;
    w->cap = cap;
  }
  w->len += n;
  return w->buf + w->len - n;
}

/***
Binary writers.
@section writers
*/

/***
Builds a binary response: the inverse of `reader`. Every method but
`tostring` returns the writer, for chaining.
@function writer
@treturn writer
@usage local w = ca.writer():u32(1):u32(0x80070005)
local bytes = w:tostring()
*/
static int l_writer(lua_State *L) {
  ca_writer *w = lua_newuserdatauv(L, sizeof *w, 0);
  w->buf = NULL;
  w->len = w->cap = 0;
  luaL_setmetatable(L, CA_WRITER_MT);
  return 1;
}

/***
A binary writer (`customaction.writer`).
@type writer
*/

/* lo == hi: any 64-bit integer (two's complement). */
static int put(lua_State *L, int n, int64_t lo, int64_t hi,
               const char *what) {
  ca_writer *w = checkwriter(L);
  int64_t v = lo < hi ? checkint(L, 2, what, lo, hi)
                      : checkint(L, 2, what, INT64_MIN, INT64_MAX);
  uint64_t u = (uint64_t)v;
  unsigned char *p;
  int i;
  p = room(L, w, (size_t)n);
  for (i = 0; i < n; i++, u >>= 8) p[i] = (unsigned char)(u & 0xFF);
  lua_settop(L, 1);
  return 1;
}

/***
Appends an unsigned byte (0..255).
@function writer:u8
@int v the value
@treturn writer
*/
static int w_u8(lua_State *L) { return put(L, 1, 0, 0xFF, "u8"); }
/***
Appends an unsigned 16-bit integer (0..65535).
@function writer:u16
@int v the value
@treturn writer
*/
static int w_u16(lua_State *L) { return put(L, 2, 0, 0xFFFF, "u16"); }
/***
Appends an unsigned 32-bit integer (0..2^32-1).
@function writer:u32
@int v the value
@treturn writer
*/
static int w_u32(lua_State *L) { return put(L, 4, 0, 0xFFFFFFFFLL, "u32"); }
/***
Appends a signed 32-bit integer (-2^31..2^31-1).
@function writer:i32
@int v the value
@treturn writer
*/
static int w_i32(lua_State *L) {
  return put(L, 4, -0x80000000LL, 0x7FFFFFFFLL, "i32");
}
/***
Appends 64 bits: a non-negative integer, or on Lua 5.3 and later any
integer, taken as two's complement.
@function writer:u64
@int v the value
@treturn writer
*/
static int w_u64(lua_State *L) {
#if LUA_VERSION_NUM < 503
  return put(L, 8, 0, (lua_Integer)1 << 53, "u64");
#else
  return put(L, 8, 0, 0, "u64");
#endif
}

/***
Appends the bytes of a string as they are.
@function writer:bytes
@string s the bytes
@treturn writer
*/
static int w_bytes(lua_State *L) {
  ca_writer *w = checkwriter(L);
  size_t n;
  const char *s = luaL_checklstring(L, 2, &n);
  memcpy(room(L, w, n), s, n);
  lua_settop(L, 1);
  return 1;
}

static int put_utf16(lua_State *L, int nul) {
  ca_writer *w = checkwriter(L);
  size_t n;
  const char *s = luaL_checklstring(L, 2, &n);
  ca_lutf16_push_encoded(L, s, n, 2, !nul);
  s = lua_tolstring(L, -1, &n);
  memcpy(room(L, w, n), s, n);
  if (nul) memset(room(L, w, 2), 0, 2);
  lua_settop(L, 1);
  return 1;
}

/***
Appends UTF-8 text as UTF-16LE, without a NUL (`#ca.utf16.encode(s) / 2`
characters).
@function writer:utf16
@string s UTF-8 text
@treturn writer
*/
static int w_utf16(lua_State *L) { return put_utf16(L, 0); }
/***
Appends UTF-8 text as UTF-16LE followed by a NUL character.
@function writer:utf16z
@string s UTF-8 text (no embedded NUL)
@treturn writer
*/
static int w_utf16z(lua_State *L) { return put_utf16(L, 1); }

/***
Appends zero bytes up to the next multiple of `n` bytes from the start.
@function writer:align
@int n the alignment
@treturn writer
*/
static int w_align(lua_State *L) {
  ca_writer *w = checkwriter(L);
  size_t n = checkalign(L), pad = (n - w->len % n) % n;
  memset(room(L, w, pad), 0, pad);
  lua_settop(L, 1);
  return 1;
}

/***
The bytes written so far. `#w` gives their count.
@function writer:tostring
@treturn string
*/
static int w_tostring(lua_State *L) {
  ca_writer *w = checkwriter(L);
  lua_pushlstring(L, w->buf ? (const char *)w->buf : "", w->len);
  return 1;
}

static int w_len(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)checkwriter(L)->len);
  return 1;
}

static int w_name(lua_State *L) {
  lua_pushfstring(L, "customaction.writer (%d bytes)",
                  (int)checkwriter(L)->len);
  return 1;
}

static int w_gc(lua_State *L) {
  ca_writer *w = checkwriter(L);
  free(w->buf);
  w->buf = NULL;
  w->len = w->cap = 0;
  return 0;
}

static const luaL_Reg reader_methods[] = {
  {"u8", r_u8}, {"u16", r_u16}, {"u32", r_u32}, {"i32", r_i32},
  {"u64", r_u64}, {"bytes", r_bytes}, {"utf16", r_utf16},
  {"utf16z", r_utf16z}, {"align", r_align}, {"remaining", r_remaining},
  {"offset", r_offset}, {NULL, NULL}
};

static const luaL_Reg writer_methods[] = {
  {"u8", w_u8}, {"u16", w_u16}, {"u32", w_u32}, {"i32", w_i32},
  {"u64", w_u64}, {"bytes", w_bytes}, {"utf16", w_utf16},
  {"utf16z", w_utf16z}, {"align", w_align}, {"tostring", w_tostring},
  {NULL, NULL}
};

static void new_type(lua_State *L, const char *mt, const luaL_Reg *methods,
                     lua_CFunction tostr) {
  luaL_newmetatable(L, mt);
  lua_pushcfunction(L, tostr);
  lua_setfield(L, -2, "__tostring");
  lua_newtable(L);
  luaL_setfuncs(L, methods, 0);
  lua_setfield(L, -2, "__index");
}

/* Expects the module table on top: adds reader and writer. */
void ca_lbinary_open(lua_State *L) {
  new_type(L, CA_READER_MT, reader_methods, r_tostring);
  lua_pop(L, 1);
  new_type(L, CA_WRITER_MT, writer_methods, w_name);
  lua_pushcfunction(L, w_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, w_gc);
  lua_setfield(L, -2, "__close");
  lua_pushcfunction(L, w_len);
  lua_setfield(L, -2, "__len");
  lua_pop(L, 1);
  lua_pushcfunction(L, l_reader);
  lua_setfield(L, -2, "reader");
  lua_pushcfunction(L, l_writer);
  lua_setfield(L, -2, "writer");
}
