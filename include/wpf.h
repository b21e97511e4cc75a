/*
** wpf.h: the C view of the IIS worker-process-framework interfaces used by
** Run-Time Status and Control custom actions. Each interface is a struct
** whose first member points at a table of function pointers in the order
** the SDK's C++ classes declare their virtual methods, which is what a C++
** caller compiled against wpframework.h reaches through an object's vptr
** (Itanium ABI on Linux and macOS; on Windows x64 there is one calling
** convention; on 32-bit x86 Windows every slot is __thiscall: WPF_METHOD).
** Nothing here depends on Lua. wpframework.hpp beside this file is the
** C++ mirror of the same classes, for C++ callers and samples.
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
typedef WCHAR *PWSTR;
typedef uint64_t ULONGLONG;
typedef void *HANDLE;
typedef void *PVOID;
typedef DWORD *PDWORD;

#include "wpfcall.h"  /* WPF_METHOD, WPF_INIT: the calling conventions */

typedef struct ICustomActionResultCallback ICustomActionResultCallback;
typedef struct ICustomAction2ResultCallback ICustomAction2ResultCallback;
typedef struct IPmCustomActions IPmCustomActions;
typedef struct IPmCustomActions2 IPmCustomActions2;

/*
** IWpfReferencedObject is not IUnknown: there is no QueryInterface, so
** AddRef is slot 0 and Release slot 1 in every vtable below.
*/
#define WPF_REFERENCED_OBJECT_SLOTS(T) \
  ULONG (WPF_METHOD *AddRef)(T *self); \
  ULONG (WPF_METHOD *Release)(T *self);

typedef struct IWpfReferencedObject IWpfReferencedObject;
typedef struct IWpfReferencedObjectVtbl {
  WPF_REFERENCED_OBJECT_SLOTS(IWpfReferencedObject)
} IWpfReferencedObjectVtbl;
struct IWpfReferencedObject { const IWpfReferencedObjectVtbl *lpVtbl; };

/* "v1": one-shot results of IPmCustomActions::RunCustomAction. */
typedef struct ICustomActionResultCallbackVtbl {
  WPF_REFERENCED_OBJECT_SLOTS(ICustomActionResultCallback)
  HRESULT (WPF_METHOD *ReportResult)(ICustomActionResultCallback *self,
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
  HRESULT (WPF_METHOD *ReportResult)(ICustomAction2ResultCallback *self,
                                     HRESULT hrStatus, BOOL fFinalResponse,
                                     BYTE *pbResponse, DWORD cbResponse);
} ICustomAction2ResultCallbackVtbl;
struct ICustomAction2ResultCallback {
  const ICustomAction2ResultCallbackVtbl *lpVtbl;
};

typedef struct IPmCustomActionsVtbl {
  WPF_REFERENCED_OBJECT_SLOTS(IPmCustomActions)
  HRESULT (WPF_METHOD *RunCustomAction)(IPmCustomActions *self,
                                        PCWSTR pszActionName,
                                        PCWSTR pszActionArgument,
                                        ICustomActionResultCallback *pCb);
} IPmCustomActionsVtbl;
struct IPmCustomActions { const IPmCustomActionsVtbl *lpVtbl; };

typedef struct IPmCustomActions2Vtbl {
  WPF_REFERENCED_OBJECT_SLOTS(IPmCustomActions2)
  HRESULT (WPF_METHOD *RegisterCustomActionCallback)(
      IPmCustomActions2 *self, PCWSTR pszActionName,
      PCWSTR pszActionArgument, ICustomAction2ResultCallback *pCb);
  HRESULT (WPF_METHOD *UnregisterCustomActionCallback)(
      IPmCustomActions2 *self, PCWSTR pszActionName);
} IPmCustomActions2Vtbl;
struct IPmCustomActions2 { const IPmCustomActions2Vtbl *lpVtbl; };

/* ---- the rest of the framework (wpframework.h) ---- */

typedef enum WPF_INTERFACE_ID_ENUM {
  WPF_CONFIG_API_ID = 1,
  WPF_APPLICATION_INFO_UTIL_ID = 2,
  WPF_SETTINGS_ID = 3,
  WPF_ACTIONS_ID = 4,
  WPF_EXPOSE_PROTOCOL_MANAGER_CUSTOM_INTERFACE_ID = 5,
  WPF_APPLICATION_PRELOAD_INFO_UTIL_ID = 6
} WPF_INTERFACE_ID_ENUM;

typedef enum PM_INTERFACE_ID_ENUM {
  PM_LISTENER_CHANNEL_MANAGER_ID = 1,
  PM_HEALTH_AND_IDLE_MONITOR_ID = 2,
  PM_CUSTOM_ACTIONS_ID = 3,
  PM_APPLICATION_PRELOAD_ID = 4,
  PM_IDLE_TIMEOUT_ID = 5
} PM_INTERFACE_ID_ENUM;

typedef enum WPF_SETTINGS_STRING_ENUM {
  CLR_VERSION = 0, APP_POOL_NAME, APP_HOST_FILE_NAME, ROOT_WEB_CONFIG_FILE_NAME,
  CLR_CONFIG_FILE_NAME, CLR_VERSION_PATH
} WPF_SETTINGS_STRING_ENUM;
typedef enum WPF_SETTINGS_DWORD_ENUM {
  PERIODIC_RESTART_REQUESTS = 1, PERIODIC_RESTART_TIME, IDLE_TIMEOUT,
  MANAGED_PIPELINE_MODE, THREAD_AFFINITY_POLICY, IDLE_TIMEOUT_ACTION
} WPF_SETTINGS_DWORD_ENUM;
typedef enum WPF_SETTINGS_ULONGLONG_ENUM {
  PERIODIC_RESTART_VIRTUAL_MEMORY = 0, PERIODIC_RESTART_PRIVATE_MEMORY
} WPF_SETTINGS_ULONGLONG_ENUM;
typedef enum WPF_SETTINGS_BOOL_ENUM {
  ENABLED_CENTRAL_BINARY_LOGGING = 0, ENABLED_HOSTABLE_WEB_CORE
} WPF_SETTINGS_BOOL_ENUM;
typedef enum WPF_SETTINGS_HANDLE_ENUM {
  ANONYMOUS_USER_TOKEN = 0
} WPF_SETTINGS_HANDLE_ENUM;

typedef struct IWorkerProcessFramework IWorkerProcessFramework;
typedef struct IWpfSettings IWpfSettings;
typedef struct IWpfActions IWpfActions;
typedef struct IWpfApplicationInfoUtil IWpfApplicationInfoUtil;
typedef struct IProtocolManager IProtocolManager;
typedef struct IPmHealthAndIdleMonitor IPmHealthAndIdleMonitor;
typedef struct IHealthStatusCallback IHealthStatusCallback;

typedef struct IWorkerProcessFrameworkVtbl {
  WPF_REFERENCED_OBJECT_SLOTS(IWorkerProcessFramework)
  HRESULT (WPF_METHOD *GetWpfInterface)(IWorkerProcessFramework *self,
                                        WPF_INTERFACE_ID_ENUM id, PVOID *ppv);
  HRESULT (WPF_METHOD *GetCustomInterface)(IWorkerProcessFramework *self,
                                           DWORD id, PVOID *ppv);
  HRESULT (WPF_METHOD *GetInterfaceVersion)(IWorkerProcessFramework *self,
                                            PDWORD pdwMajor, PDWORD pdwMinor);
} IWorkerProcessFrameworkVtbl;
struct IWorkerProcessFramework { const IWorkerProcessFrameworkVtbl *lpVtbl; };

/*
** String properties: *pcch is the buffer's size in characters on the way
** in and the length needed (with the NUL) on the way out; a NULL or short
** buffer gets HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER).
*/
typedef struct IWpfSettingsVtbl {
  WPF_REFERENCED_OBJECT_SLOTS(IWpfSettings)
  HRESULT (WPF_METHOD *GetDwordProperty)(IWpfSettings *self,
                                         WPF_SETTINGS_DWORD_ENUM id, DWORD *pdw);
  HRESULT (WPF_METHOD *GetUlonglongProperty)(IWpfSettings *self,
                                             WPF_SETTINGS_ULONGLONG_ENUM id,
                                             ULONGLONG *pull);
  HRESULT (WPF_METHOD *GetStringProperty)(IWpfSettings *self,
                                          WPF_SETTINGS_STRING_ENUM id,
                                          PWSTR pwsz, DWORD *pcch);
  HRESULT (WPF_METHOD *GetBoolProperty)(IWpfSettings *self,
                                        WPF_SETTINGS_BOOL_ENUM id, BOOL *pf);
  HRESULT (WPF_METHOD *GetHandleProperty)(IWpfSettings *self,
                                          WPF_SETTINGS_HANDLE_ENUM id, HANDLE *ph);
} IWpfSettingsVtbl;
struct IWpfSettings { const IWpfSettingsVtbl *lpVtbl; };

typedef struct IWpfActionsVtbl {
  WPF_REFERENCED_OBJECT_SLOTS(IWpfActions)
  void (WPF_METHOD *RecycleWorkerProcess)(IWpfActions *self, PCWSTR pszReason);
  void (WPF_METHOD *FailWorkerProcess)(IWpfActions *self, PCWSTR pszReason,
                                       HRESULT hrFailure, BOOL fFailOnNextPing);
} IWpfActionsVtbl;
struct IWpfActions { const IWpfActionsVtbl *lpVtbl; };

typedef struct IWpfApplicationInfoUtilVtbl {
  WPF_REFERENCED_OBJECT_SLOTS(IWpfApplicationInfoUtil)
  HRESULT (WPF_METHOD *GetApplicationPropertiesFromAppId)(
      IWpfApplicationInfoUtil *self, PCWSTR pszAppId, PWSTR pszVirtualPath,
      DWORD *pcchVirtualPath, DWORD *pdwSiteId);
} IWpfApplicationInfoUtilVtbl;
struct IWpfApplicationInfoUtil { const IWpfApplicationInfoUtilVtbl *lpVtbl; };

typedef struct IProtocolManagerVtbl {
  WPF_REFERENCED_OBJECT_SLOTS(IProtocolManager)
  HRESULT (WPF_METHOD *GetPmInterface)(IProtocolManager *self,
                                       PM_INTERFACE_ID_ENUM id, PVOID *ppv);
  HRESULT (WPF_METHOD *GetCustomInterface)(IProtocolManager *self, DWORD id,
                                           PVOID *ppv);
  HRESULT (WPF_METHOD *Shutdown)(IProtocolManager *self, BOOL fImmediate);
} IProtocolManagerVtbl;
struct IProtocolManager { const IProtocolManagerVtbl *lpVtbl; };

typedef struct IHealthStatusCallbackVtbl {
  WPF_REFERENCED_OBJECT_SLOTS(IHealthStatusCallback)
  HRESULT (WPF_METHOD *ReportHealth)(IHealthStatusCallback *self, BOOL fHealthy);
} IHealthStatusCallbackVtbl;
struct IHealthStatusCallback { const IHealthStatusCallbackVtbl *lpVtbl; };

typedef struct IPmHealthAndIdleMonitorVtbl {
  WPF_REFERENCED_OBJECT_SLOTS(IPmHealthAndIdleMonitor)
  HRESULT (WPF_METHOD *CheckIdle)(IPmHealthAndIdleMonitor *self, BOOL *pfIdle);
  HRESULT (WPF_METHOD *CheckHealth)(IPmHealthAndIdleMonitor *self,
                                    IHealthStatusCallback *pCallback);
} IPmHealthAndIdleMonitorVtbl;
struct IPmHealthAndIdleMonitor { const IPmHealthAndIdleMonitorVtbl *lpVtbl; };

/* A protocol-manager library exports this (DEFAULT_PROTOCOL_MANAGER_INIT_FUNCTION). */
#define WPF_DEFAULT_PM_INIT_FUNCTION "GetProtocolManager"
typedef HRESULT (WPF_INIT *PFN_PROTOCOL_MANAGER_INIT)(
    IWorkerProcessFramework *pWpFramework, IProtocolManager **ppProtocolManager);

/* HRESULT layout: bit 31 severity, bit 29 customer, 16..26 facility. */
#define WPF_SUCCEEDED(hr) ((HRESULT)(hr) >= 0)
#define WPF_FAILED(hr) ((HRESULT)(hr) < 0)
#define WPF_FACILITY_WIN32 7
#define WPF_HRESULT_FROM_WIN32(x) \
  ((HRESULT)(x) <= 0 ? (HRESULT)(x) \
   : (HRESULT)(((uint32_t)(x) & 0x0000FFFFu) | (WPF_FACILITY_WIN32 << 16) \
               | 0x80000000u))

#endif
