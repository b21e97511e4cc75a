/*
** visibility.h: keeps the module's internal functions out of its dynamic
** symbol table whatever builds it. The Makefile passes -fvisibility=hidden,
** but LuaRocks' builtin backend cannot pass flags, so each internal header
** wraps its declarations in CA_HIDDEN_BEGIN/END (after its own includes,
** so that system and Lua declarations keep their visibility). What is
** exported is marked CA_EXPORT: luaopen_customaction_core, the C API of
** include/customaction.h (customaction_*) and, in luapm,
** GetProtocolManager. It also spells, once, the other compiler-specific
** attributes the sources use (forced inlining, member alignment, printf
** formats); atomics.h has the atomic operations.
*/
#ifndef CA_VISIBILITY_H
#define CA_VISIBILITY_H

#if defined(_WIN32)
#define CA_EXPORT __declspec(dllexport)
#define CA_HIDDEN_BEGIN
#define CA_HIDDEN_END
#elif defined(__GNUC__)
#define CA_EXPORT __attribute__((visibility("default")))
#define CA_HIDDEN_BEGIN _Pragma("GCC visibility push(hidden)")
#define CA_HIDDEN_END _Pragma("GCC visibility pop")
#else
#define CA_EXPORT
#define CA_HIDDEN_BEGIN
#define CA_HIDDEN_END
#endif

/* Aligns a struct member (a cache line apart from its neighbours): C11's
   _Alignas, or MSVC's own spelling, which its C compiler has without
   /std:c11. */
#if defined(_MSC_VER) && !defined(__clang__)
#define CA_ALIGNAS(n) __declspec(align(n))
#else
#define CA_ALIGNAS(n) _Alignas(n)
#endif

/* For the few functions on the per-report path that the compiler would
   otherwise call rather than inline (measured with callgrind). */
#if defined(__GNUC__)
#define CA_ALWAYS_INLINE inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#define CA_ALWAYS_INLINE __forceinline
#else
#define CA_ALWAYS_INLINE inline
#endif

/* A function taking a printf format at argument FMT, the values after it. */
#if defined(__GNUC__)
#define CA_PRINTF_LIKE(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define CA_PRINTF_LIKE(fmt, args)
#endif

#endif
