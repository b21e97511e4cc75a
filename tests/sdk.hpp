// sdk.hpp: the interfaces as the SDK header wpframework.h declares them
// (pure virtual classes, methods in slot order, no QueryInterface),
// written from its layout for the C++ tests that play a native client;
// independent of include/wpf.h and of our C++ mirror on purpose.
#ifndef CA_TEST_SDK_HPP
#define CA_TEST_SDK_HPP

#include <cstdint>

namespace sdk {
typedef std::int32_t HRESULT;
typedef std::uint32_t DWORD;
typedef std::uint32_t ULONG;
typedef int BOOL;
typedef unsigned char BYTE;
typedef const char16_t *PCWSTR;
typedef void *PVOID;

class IWpfReferencedObject {
 public:
  virtual ULONG AddRef() = 0;
  virtual ULONG Release() = 0;
};
class ICustomActionResultCallback : public IWpfReferencedObject {
 public:
  virtual HRESULT ReportResult(HRESULT hrStatus, BYTE *pbResponse,
                               DWORD cbResponse) = 0;
};
class ICustomAction2ResultCallback : public IWpfReferencedObject {
 public:
  virtual HRESULT ReportResult(HRESULT hrStatus, BOOL fFinalResponse,
                               BYTE *pbResponse, DWORD cbResponse) = 0;
};
class IPmCustomActions : public IWpfReferencedObject {
 public:
  virtual HRESULT RunCustomAction(PCWSTR pszActionName,
                                  PCWSTR pszActionArgument,
                                  ICustomActionResultCallback *pCb) = 0;
};
class IPmCustomActions2 : public IWpfReferencedObject {
 public:
  virtual HRESULT RegisterCustomActionCallback(
      PCWSTR pszActionName, PCWSTR pszActionArgument,
      ICustomAction2ResultCallback *pCb) = 0;
  virtual HRESULT UnregisterCustomActionCallback(PCWSTR pszActionName) = 0;
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
enum PM_INTERFACE_ID_ENUM { PM_HEALTH_AND_IDLE_MONITOR_ID = 2,
                            PM_CUSTOM_ACTIONS_ID = 3 };
class IWorkerProcessFramework : public IWpfReferencedObject {
 public:
  virtual HRESULT GetWpfInterface(int id, PVOID *ppv) = 0;
  virtual HRESULT GetCustomInterface(DWORD id, PVOID *ppv) = 0;
  virtual HRESULT GetInterfaceVersion(DWORD *major, DWORD *minor) = 0;
};
class IProtocolManager : public IWpfReferencedObject {
 public:
  virtual HRESULT GetPmInterface(PM_INTERFACE_ID_ENUM id, PVOID *ppv) = 0;
  virtual HRESULT GetCustomInterface(DWORD id, PVOID *ppv) = 0;
  virtual HRESULT Shutdown(BOOL fImmediate) = 0;
};
typedef HRESULT (*PFN_PROTOCOL_MANAGER_INIT)(IWorkerProcessFramework *,
                                            IProtocolManager **);
}  // namespace sdk

#endif
