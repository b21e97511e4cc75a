/*
** customaction.h: the C API for programs that embed Lua and customaction
** (a host, a protocol-manager library that runs Lua, a test harness). It
** bridges Lua values and the native interfaces of wpf.h: make a callback
** object from a Lua function and get the pointers native code calls, get
** the interface pointers of a protocol manager written in Lua, wrap a
** native IPmCustomActions(2) pointer for Lua, and deliver what other
** threads queued. Every function takes the lua_State that loaded the
** module (each loads it on first use, as require would) and must be
** called on that state's thread. Errors are Lua errors (call from a
** protected context, like any luaL_check* function).
**
** Pointers returned here are borrowed: they stay valid while the Lua
** object lives; AddRef one to keep it longer (the object then outlives
** its proxy and even the state, answering RPC_E_DISCONNECTED).
*/
#ifndef CUSTOMACTION_H
#define CUSTOMACTION_H

#include "wpf.h"

/* lua.h's own declaration, so that this header needs no Lua headers */
typedef struct lua_State lua_State;

/*
** Windows: the sources of a library that contains this API (core.dll,
** luapm.dll) define CUSTOMACTION_BUILD and export it; a consumer imports
** it from that DLL, or defines CUSTOMACTION_STATIC when it links the
** module's code into itself.
*/
#if defined(_WIN32)
#if defined(CUSTOMACTION_BUILD)
#define CUSTOMACTION_API __declspec(dllexport)
#elif defined(CUSTOMACTION_STATIC)
#define CUSTOMACTION_API
#else
#define CUSTOMACTION_API __declspec(dllimport)
#endif
#elif defined(__GNUC__)
#define CUSTOMACTION_API __attribute__((visibility("default")))
#else
#define CUSTOMACTION_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The module's entry point (require "customaction.core"). */
CUSTOMACTION_API int luaopen_customaction_core(lua_State *L);

/*
** Pushes a new callback object (ca.callback) whose handler is the function
** at index fn, named name (NULL: "callback").
*/
CUSTOMACTION_API void customaction_pushcallback(lua_State *L, int fn,
                                                const char *name);

/* 1 when the value at idx is an open callback object, else 0. */
CUSTOMACTION_API int customaction_iscallback(lua_State *L, int idx);

/*
** The interface pointer of the callback object at idx: shape "v1" gives
** an ICustomActionResultCallback*, "v2" (or NULL) an
** ICustomAction2ResultCallback*. Raises an argument error for anything
** but an open callback. Like cb:interface(), it keeps the handler
** reachable while native code holds references.
*/
CUSTOMACTION_API void *customaction_checkcallback(lua_State *L, int idx,
                                                  const char *shape);

/*
** The interface pointer of the provider (ca.provider) at idx: kind "pm"
** (or NULL) gives an IProtocolManager*, "v1" an IPmCustomActions*, "v2"
** an IPmCustomActions2*, "monitor" an IPmHealthAndIdleMonitor*. Raises
** an argument error for anything but an open provider.
*/
CUSTOMACTION_API void *customaction_checkprovider(lua_State *L, int idx,
                                                  const char *kind);

/*
** Pushes ca.actions(ptr, shape): a native IPmCustomActions* ("v1") or
** IPmCustomActions2* ("v2" or NULL) wrapped for Lua. Raises when the
** module has no ca.actions.
*/
CUSTOMACTION_API void customaction_pushactions(lua_State *L, void *ptr,
                                               const char *shape);

/* ca.dispatch(max): delivers queued reports and calls (max < 0: all). */
CUSTOMACTION_API int customaction_dispatch(lua_State *L, int max);

/* ca.wait(seconds, max): seconds < 0 waits for ever. */
CUSTOMACTION_API int customaction_wait(lua_State *L, double seconds, int max);

#ifdef __cplusplus
}
#endif

#endif
