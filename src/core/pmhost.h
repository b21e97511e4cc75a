/*
** pmhost.h: hosting a protocol-manager library: loading it, calling its
** init function with our framework, and the calls through the protocol
** manager's own interfaces (IProtocolManager, IPmHealthAndIdleMonitor),
** including an IHealthStatusCallback of ours that turns ReportHealth into
** a report of a callback object, so that an answer from another thread
** reaches Lua through the hub's queue. Nothing here depends on Lua.
*/
#ifndef CA_PMHOST_H
#define CA_PMHOST_H

#include <stddef.h>
#include "callback.h"
#include "wpf.h"
#include "visibility.h"
CA_HIDDEN_BEGIN

enum { CA_PM_OK = 0, CA_PM_NO_LIBRARY, CA_PM_NO_SYMBOL, CA_PM_INIT_FAILED,
       CA_PM_NO_OBJECT };

/*
** Loads path, finds init and calls it with fw. CA_PM_OK with *out holding
** the reference the init function returned; otherwise err holds the
** loader's message (CA_PM_NO_LIBRARY, CA_PM_NO_SYMBOL) and *hr what the
** init function returned (CA_PM_INIT_FAILED, CA_PM_NO_OBJECT: success
** but no object).
*/
int ca_pm_load(const char *path, const char *init, IWorkerProcessFramework *fw,
               IProtocolManager **out, HRESULT *hr, char *err, size_t errlen);

/* GetPmInterface (custom == 0) or GetCustomInterface; *out NULL on failure. */
HRESULT ca_pm_interface(IProtocolManager *pm, int custom, DWORD id,
                        void **out);
HRESULT ca_pm_shutdown(IProtocolManager *pm, int immediate);
HRESULT ca_pm_check_idle(IPmHealthAndIdleMonitor *m, int *idle);
/*
** CheckHealth with an IHealthStatusCallback of ours whose ReportHealth
** reports S_OK (healthy) or S_FALSE (unhealthy), final, through cb. Our
** object holds a reference to cb for as long as the monitor holds it.
*/
HRESULT ca_pm_check_health(IPmHealthAndIdleMonitor *m, ca_callback *cb);

CA_HIDDEN_END
#endif
