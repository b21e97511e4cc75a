// wpframework.hpp: a C++ mirror of the worker-process-framework classes,
// written from the interface facts (slot order, parameter types) so that
// C++ tests and sample protocol managers can be compiled without the
// Windows SDK. It declares the same classes the SDK header does, with the
// same virtual methods in the same order, so objects made from these
// classes and the C structs of wpf.h are interchangeable through their
// vptrs. The plain types and enums come from wpf.h, and so do the
// conventions: WPF_METHOD on every virtual (on 32-bit x86 Windows thiscall,
// which is already the default there; the i386 Linux test build asks for
// it), and an override must repeat it (GCC refuses a mismatch).
#ifndef WPFRAMEWORK_HPP
#define WPFRAMEWORK_HPP

extern "C" {
#include "wpf.h"
}

namespace wpf {

class IWpfReferencedObject {
 public:
  virtual ULONG WPF_METHOD AddRef() = 0;
  virtual ULONG WPF_METHOD Release() = 0;
};

class ICustomActionResultCallback : public IWpfReferencedObject {
 public:
  virtual HRESULT WPF_METHOD ReportResult(HRESULT hrStatus, BYTE *pbResponse, DWORD cbResponse) = 0;
};

// The SDK header's layout: fFinalResponse second, derived straight from
// IWpfReferencedObject (not from ICustomActionResultCallback).
class ICustomAction2ResultCallback : public IWpfReferencedObject {
 public:
  virtual HRESULT WPF_METHOD ReportResult(HRESULT hrStatus, BOOL fFinalResponse, BYTE *pbResponse,
                               DWORD cbResponse) = 0;
};

class IPmCustomActions : public IWpfReferencedObject {
 public:
  virtual HRESULT WPF_METHOD RunCustomAction(PCWSTR pszActionName, PCWSTR pszActionArgument,
                                  ICustomActionResultCallback *pCallback) = 0;
};

class IPmCustomActions2 : public IWpfReferencedObject {
 public:
  virtual HRESULT WPF_METHOD RegisterCustomActionCallback(PCWSTR pszActionName, PCWSTR pszActionArgument,
                                               ICustomAction2ResultCallback *pCallback) = 0;
  virtual HRESULT WPF_METHOD UnregisterCustomActionCallback(PCWSTR pszActionName) = 0;
};

class IWorkerProcessFramework : public IWpfReferencedObject {
 public:
  virtual HRESULT WPF_METHOD GetWpfInterface(WPF_INTERFACE_ID_ENUM id, PVOID *ppInterface) = 0;
  virtual HRESULT WPF_METHOD GetCustomInterface(DWORD id, PVOID *ppInterface) = 0;
  virtual HRESULT WPF_METHOD GetInterfaceVersion(PDWORD pdwMajor, PDWORD pdwMinor) = 0;
};

class IWpfSettings : public IWpfReferencedObject {
 public:
  virtual HRESULT WPF_METHOD GetDwordProperty(WPF_SETTINGS_DWORD_ENUM id, DWORD *pdw) = 0;
  virtual HRESULT WPF_METHOD GetUlonglongProperty(WPF_SETTINGS_ULONGLONG_ENUM id, ULONGLONG *pull) = 0;
  virtual HRESULT WPF_METHOD GetStringProperty(WPF_SETTINGS_STRING_ENUM id, PWSTR pwsz, DWORD *pcch) = 0;
  virtual HRESULT WPF_METHOD GetBoolProperty(WPF_SETTINGS_BOOL_ENUM id, BOOL *pf) = 0;
  virtual HRESULT WPF_METHOD GetHandleProperty(WPF_SETTINGS_HANDLE_ENUM id, HANDLE *ph) = 0;
};

class IWpfActions : public IWpfReferencedObject {
 public:
  virtual void WPF_METHOD RecycleWorkerProcess(PCWSTR pszReason) = 0;
  virtual void WPF_METHOD FailWorkerProcess(PCWSTR pszReason, HRESULT hrFailure, BOOL fFailOnNextPing) = 0;
};

class IWpfApplicationInfoUtil : public IWpfReferencedObject {
 public:
  virtual HRESULT WPF_METHOD GetApplicationPropertiesFromAppId(PCWSTR pszAppId, PWSTR pszVirtualPath,
                                                    DWORD *pcchVirtualPath, DWORD *pdwSiteId) = 0;
};

class IHealthStatusCallback : public IWpfReferencedObject {
 public:
  virtual HRESULT WPF_METHOD ReportHealth(BOOL fHealthy) = 0;
};

class IPmHealthAndIdleMonitor : public IWpfReferencedObject {
 public:
  virtual HRESULT WPF_METHOD CheckIdle(BOOL *pfIdle) = 0;
  virtual HRESULT WPF_METHOD CheckHealth(IHealthStatusCallback *pCallback) = 0;
};

class IProtocolManager : public IWpfReferencedObject {
 public:
  virtual HRESULT WPF_METHOD GetPmInterface(PM_INTERFACE_ID_ENUM id, PVOID *ppInterface) = 0;
  virtual HRESULT WPF_METHOD GetCustomInterface(DWORD id, PVOID *ppInterface) = 0;
  virtual HRESULT WPF_METHOD Shutdown(BOOL fImmediate) = 0;
};

typedef HRESULT (WPF_INIT *PFN_GET_PROTOCOL_MANAGER)(IWorkerProcessFramework *pWpFramework,
                                                     IProtocolManager **ppProtocolManager);

}  // namespace wpf

#endif
