/*
** wpfcall.h: the calling conventions of the worker-process-framework
** interfaces, on their own so that a library with declarations of its own
** (tests/pm/minipm.c) can take them without wpf.h's names. wpf.h and
** wpframework.hpp include it.
*/
#ifndef WPFCALL_H
#define WPFCALL_H

/*
** WPF_METHOD: the calling convention of every interface method, on each
** slot type of wpf.h and on every function stored in a slot. The SDK declares
** plain C++ virtuals, so on 32-bit x86 Windows a method is __thiscall
** (self in ECX, the callee pops its stack arguments) with MSVC and mingw
** g++ alike, and a plain C function there is cdecl: without the attribute
** the first call across the boundary corrupts the stack. Elsewhere a
** virtual is an ordinary function taking self first. WPF_X86_THISCALL
** asks for the Windows x86 convention on i386 outside Windows (the i386
** Linux build that tests it under qemu-i386). An x86 target these lines
** do not cover (MSVC's C compiler cannot declare thiscall) fails here
** rather than building something silently wrong.
** WPF_INIT: the convention of PFN_PROTOCOL_MANAGER_INIT, an exported plain
** function, which the SDK declares without a convention: cdecl.
*/
#if defined(__i386__) || defined(_M_IX86)
#if defined(_WIN32) || defined(WPF_X86_THISCALL)
#if defined(__GNUC__) || defined(__clang__)   /* clang-cl too */
#define WPF_METHOD __attribute__((thiscall))
#define WPF_INIT __attribute__((cdecl))
#else
#error "wpfcall.h: 32-bit x86 Windows needs a compiler that declares thiscall C functions (GCC or Clang)"
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define WPF_METHOD
#define WPF_INIT __attribute__((cdecl))
#else
#error "wpfcall.h: unknown compiler for 32-bit x86: its interface-method convention is not known"
#endif
#elif defined(WPF_X86_THISCALL)
#error "wpfcall.h: WPF_X86_THISCALL is for 32-bit x86 targets only"
#else
#define WPF_METHOD
#define WPF_INIT
#endif

#endif
