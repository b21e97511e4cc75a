// wpframework.hpp: a C++ mirror of the worker-process-framework classes,
// written from the interface facts (slot order, parameter types) so that
// C++ tests and sample protocol managers can be compiled without the
// Windows SDK. It declares the same classes the SDK header does, with the
// same virtual methods in the same order, so objects made from these
// classes and the C structs of wpf.h are interchangeable through their
// vptrs. The plain types and enums come from wpf.h.
#ifndef WPFRAMEWORK_HPP
#define WPFRAMEWORK_HPP

extern "C" {
#include "wpf.h"
}

namespace wpf {

class IWpfReferencedObject {
 public:
  virtual ULONG AddRef() = 0;
  virtual ULONG Release() = 0;
};

class ICustomActionResultCallback : public IWpfReferencedObject {
 public:
  virtual HRESULT ReportResult(HRESULT hrStatus, BYTE *pbResponse, DWORD cbResponse) = 0;
};

// The SDK header's layout: fFinalResponse second, derived straight from
// IWpfReferencedObject (not from ICustomActionResultCallback).
class ICustomAction2ResultCallback : public IWpfReferencedObject {
 public:
  virtual HRESULT ReportResult(HRESULT hrStatus, BOOL fFinalResponse, BYTE *pbResponse,
                               DWORD cbResponse) = 0;
};

class IPmCustomActions : public IWpfReferencedObject {
 public:
  virtual HRESULT RunCustomAction(PCWSTR pszActionName, PCWSTR pszActionArgument,
                                  ICustomActionResultCallback *pCallback) = 0;
};

class IPmCustomActions2 : public IWpfReferencedObject {
 public:
  virtual HRESULT RegisterCustomActionCallback(PCWSTR pszActionName, PCWSTR pszActionArgument,
                                               ICustomAction2ResultCallback *pCallback) = 0;
  virtual HRESULT UnregisterCustomActionCallback(PCWSTR pszActionName) = 0;
};

class IWorkerProcessFramework : public IWpfReferencedObject {
 public:
  virtual HRESULT GetWpfInterface(WPF_INTERFACE_ID_ENUM id, PVOID *ppInterface) = 0;
  virtual HRESULT GetCustomInterface(DWORD id, PVOID *ppInterface) = 0;
  virtual HRESULT GetInterfaceVersion(PDWORD pdwMajor, PDWORD pdwMinor) = 0;
};

class IWpfSettings : public IWpfReferencedObject {
 public:
  virtual HRESULT GetDwordProperty(WPF_SETTINGS_DWORD_ENUM id, DWORD *pdw) = 0;
  virtual HRESULT GetUlonglongProperty(WPF_SETTINGS_ULONGLONG_ENUM id, ULONGLONG *pull) = 0;
  virtual HRESULT GetStringProperty(WPF_SETTINGS_STRING_ENUM id, PWSTR pwsz, DWORD *pcch) = 0;
  virtual HRESULT GetBoolProperty(WPF_SETTINGS_BOOL_ENUM id, BOOL *pf) = 0;
  virtual HRESULT GetHandleProperty(WPF_SETTINGS_HANDLE_ENUM id, HANDLE *ph) = 0;
};

class IWpfActions : public IWpfReferencedObject {
 public:
  virtual void RecycleWorkerProcess(PCWSTR pszReason) = 0;
  virtual void FailWorkerProcess(PCWSTR pszReason, HRESULT hrFailure, BOOL fFailOnNextPing) = 0;
};

class IWpfApplicationInfoUtil : public IWpfReferencedObject {
 public:
  virtual HRESULT GetApplicationPropertiesFromAppId(PCWSTR pszAppId, PWSTR pszVirtualPath,
                                                    DWORD *pcchVirtualPath, DWORD *pdwSiteId) = 0;
};

class IHealthStatusCallback : public IWpfReferencedObject {
 public:
  virtual HRESULT ReportHealth(BOOL fHealthy) = 0;
};

class IPmHealthAndIdleMonitor : public IWpfReferencedObject {
 public:
  virtual HRESULT CheckIdle(BOOL *pfIdle) = 0;
  virtual HRESULT CheckHealth(IHealthStatusCallback *pCallback) = 0;
};

class IProtocolManager : public IWpfReferencedObject {
 public:
  virtual HRESULT GetPmInterface(PM_INTERFACE_ID_ENUM id, PVOID *ppInterface) = 0;
  virtual HRESULT GetCustomInterface(DWORD id, PVOID *ppInterface) = 0;
  virtual HRESULT Shutdown(BOOL fImmediate) = 0;
};

typedef HRESULT (*PFN_GET_PROTOCOL_MANAGER)(IWorkerProcessFramework *pWpFramework,
                                            IProtocolManager **ppProtocolManager);

}  // namespace wpf

#endif
