// sdk.hpp: the interfaces as the SDK header wpframework.h declares them
// (pure virtual classes, methods in slot order, no QueryInterface),
// written from its layout for the C++ tests that play a native client;
// independent of include/wpf.h and of our C++ mirror on purpose.
#ifndef CA_TEST_SDK_HPP
#define CA_TEST_SDK_HPP

#include <cstdint>

// The SDK's virtuals carry no convention macro, so on 32-bit x86 Windows
// each is thiscall (the compiler's default for a member there) and the
// init function cdecl. The i386 Linux build that tests that convention
// under qemu-i386 (WPF_X86_THISCALL) asks for the same in words; an
// override must repeat SDK_METHOD (GCC refuses a mismatch).
#if defined(__i386__) && (defined(_WIN32) || defined(WPF_X86_THISCALL))
#define SDK_METHOD __attribute__((thiscall))
#define SDK_INIT __attribute__((cdecl))
#elif defined(_M_IX86)
#define SDK_METHOD __thiscall
#define SDK_INIT __cdecl
#else
#define SDK_METHOD
#define SDK_INIT
#endif

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
  virtual ULONG SDK_METHOD AddRef() = 0;
  virtual ULONG SDK_METHOD Release() = 0;
};
class ICustomActionResultCallback : public IWpfReferencedObject {
 public:
  virtual HRESULT SDK_METHOD ReportResult(HRESULT hrStatus, BYTE *pbResponse,
                               DWORD cbResponse) = 0;
};
class ICustomAction2ResultCallback : public IWpfReferencedObject {
 public:
  virtual HRESULT SDK_METHOD ReportResult(HRESULT hrStatus, BOOL fFinalResponse,
                               BYTE *pbResponse, DWORD cbResponse) = 0;
};
class IPmCustomActions : public IWpfReferencedObject {
 public:
  virtual HRESULT SDK_METHOD RunCustomAction(PCWSTR pszActionName,
                                  PCWSTR pszActionArgument,
                                  ICustomActionResultCallback *pCb) = 0;
};
class IPmCustomActions2 : public IWpfReferencedObject {
 public:
  virtual HRESULT SDK_METHOD RegisterCustomActionCallback(
      PCWSTR pszActionName, PCWSTR pszActionArgument,
      ICustomAction2ResultCallback *pCb) = 0;
  virtual HRESULT SDK_METHOD UnregisterCustomActionCallback(PCWSTR pszActionName) = 0;
};
class IHealthStatusCallback : public IWpfReferencedObject {
 public:
  virtual HRESULT SDK_METHOD ReportHealth(BOOL fHealthy) = 0;
};
class IPmHealthAndIdleMonitor : public IWpfReferencedObject {
 public:
  virtual HRESULT SDK_METHOD CheckIdle(BOOL *pfIdle) = 0;
  virtual HRESULT SDK_METHOD CheckHealth(IHealthStatusCallback *pCallback) = 0;
};
enum PM_INTERFACE_ID_ENUM { PM_HEALTH_AND_IDLE_MONITOR_ID = 2,
                            PM_CUSTOM_ACTIONS_ID = 3 };
class IWorkerProcessFramework : public IWpfReferencedObject {
 public:
  virtual HRESULT SDK_METHOD GetWpfInterface(int id, PVOID *ppv) = 0;
  virtual HRESULT SDK_METHOD GetCustomInterface(DWORD id, PVOID *ppv) = 0;
  virtual HRESULT SDK_METHOD GetInterfaceVersion(DWORD *major, DWORD *minor) = 0;
};
class IProtocolManager : public IWpfReferencedObject {
 public:
  virtual HRESULT SDK_METHOD GetPmInterface(PM_INTERFACE_ID_ENUM id, PVOID *ppv) = 0;
  virtual HRESULT SDK_METHOD GetCustomInterface(DWORD id, PVOID *ppv) = 0;
  virtual HRESULT SDK_METHOD Shutdown(BOOL fImmediate) = 0;
};
typedef HRESULT (SDK_INIT *PFN_PROTOCOL_MANAGER_INIT)(
    IWorkerProcessFramework *, IProtocolManager **);
}  // namespace sdk

#endif
