/*
** wpf.h: the C view of the IIS worker-process-framework interfaces used by
** Run-Time Status and Control custom actions. Each interface is a struct
** whose first member points at a table of function pointers in the order
** the SDK's C++ classes declare their virtual methods, which is what a C++
** caller compiled against wpframework.h reaches through an object's vptr
** (Itanium ABI on Linux and macOS; on Windows x64 there is one calling
** convention; 32-bit Windows would need WPF_STDMETHOD to be __thiscall).
** Nothing here depends on Lua.
*/
#ifndef WPF_H
#define WPF_H

#include <stdint.h>

/* Fixed-width Windows types: HRESULT is signed, DWORD/ULONG unsigned. */
typedef int32_t HRESULT;
typedef uint32_t DWORD;
typedef uint32_t ULONG;
typedef int BOOL;
typedef unsigned char BYTE;
typedef uint16_t WCHAR;      /* UTF-16LE code unit, never wchar_t */
typedef const WCHAR *PCWSTR;

#ifndef WPF_STDMETHOD
#define WPF_STDMETHOD
#endif

typedef struct ICustomActionResultCallback ICustomActionResultCallback;
typedef struct ICustomAction2ResultCallback ICustomAction2ResultCallback;
typedef struct IPmCustomActions IPmCustomActions;
typedef struct IPmCustomActions2 IPmCustomActions2;

/*
** IWpfReferencedObject is not IUnknown: there is no QueryInterface, so
** AddRef is slot 0 and Release slot 1 in every vtable below.
*/
#define WPF_REFERENCED_OBJECT_SLOTS(T) \
  ULONG (WPF_STDMETHOD *AddRef)(T *self); \
  ULONG (WPF_STDMETHOD *Release)(T *self);

typedef struct IWpfReferencedObject IWpfReferencedObject;
typedef struct IWpfReferencedObjectVtbl {
  WPF_REFERENCED_OBJECT_SLOTS(IWpfReferencedObject)
} IWpfReferencedObjectVtbl;
struct IWpfReferencedObject { const IWpfReferencedObjectVtbl *lpVtbl; };

/* "v1": one-shot results of IPmCustomActions::RunCustomAction. */
typedef struct ICustomActionResultCallbackVtbl {
  WPF_REFERENCED_OBJECT_SLOTS(ICustomActionResultCallback)
  HRESULT (WPF_STDMETHOD *ReportResult)(ICustomActionResultCallback *self,
                                        HRESULT hrStatus, BYTE *pbResponse,
                                        DWORD cbResponse);
} ICustomActionResultCallbackVtbl;
struct ICustomActionResultCallback {
  const ICustomActionResultCallbackVtbl *lpVtbl;
};

/*
** "v2": repeated results of IPmCustomActions2 registrations. This is the
** SDK header's layout (fFinalResponse second, deriving straight from
** IWpfReferencedObject); the published reference page shows v1's
** three-parameter shape instead, which callers reach through the v1 vptr.
*/
typedef struct ICustomAction2ResultCallbackVtbl {
  WPF_REFERENCED_OBJECT_SLOTS(ICustomAction2ResultCallback)
  HRESULT (WPF_STDMETHOD *ReportResult)(ICustomAction2ResultCallback *self,
                                        HRESULT hrStatus, BOOL fFinalResponse,
                                        BYTE *pbResponse, DWORD cbResponse);
} ICustomAction2ResultCallbackVtbl;
struct ICustomAction2ResultCallback {
  const ICustomAction2ResultCallbackVtbl *lpVtbl;
};

typedef struct IPmCustomActionsVtbl {
  WPF_REFERENCED_OBJECT_SLOTS(IPmCustomActions)
  HRESULT (WPF_STDMETHOD *RunCustomAction)(IPmCustomActions *self,
                                           PCWSTR pszActionName,
                                           PCWSTR pszActionArgument,
                                           ICustomActionResultCallback *pCb);
} IPmCustomActionsVtbl;
struct IPmCustomActions { const IPmCustomActionsVtbl *lpVtbl; };

typedef struct IPmCustomActions2Vtbl {
  WPF_REFERENCED_OBJECT_SLOTS(IPmCustomActions2)
  HRESULT (WPF_STDMETHOD *RegisterCustomActionCallback)(
      IPmCustomActions2 *self, PCWSTR pszActionName,
      PCWSTR pszActionArgument, ICustomAction2ResultCallback *pCb);
  HRESULT (WPF_STDMETHOD *UnregisterCustomActionCallback)(
      IPmCustomActions2 *self, PCWSTR pszActionName);
} IPmCustomActions2Vtbl;
struct IPmCustomActions2 { const IPmCustomActions2Vtbl *lpVtbl; };

/* HRESULT layout: bit 31 severity, bit 29 customer, 16..26 facility. */
#define WPF_SUCCEEDED(hr) ((HRESULT)(hr) >= 0)
#define WPF_FAILED(hr) ((HRESULT)(hr) < 0)
#define WPF_FACILITY_WIN32 7
#define WPF_HRESULT_FROM_WIN32(x) \
  ((HRESULT)(x) <= 0 ? (HRESULT)(x) \
   : (HRESULT)(((uint32_t)(x) & 0x0000FFFFu) | (WPF_FACILITY_WIN32 << 16) \
               | 0x80000000u))

#endif
