/*
** foreign.h: calls through interface pointers the module did not make
** (IPmCustomActions, IPmCustomActions2 and the protocol manager's own
** interfaces), trusted for their layout only. Every reference taken here
** is one AddRef balanced by exactly one Release, and every HRESULT the
** foreign object returns is passed back unchanged. Nothing here depends
** on Lua.
*/
#ifndef CA_FOREIGN_H
#define CA_FOREIGN_H

#include "callback.h"
#include "wpf.h"
#include "visibility.h"
CA_HIDDEN_BEGIN

/* A wrapped custom-actions provider: either pointer may be NULL. */
typedef struct ca_foreign {
  IPmCustomActions *v1;     /* holds one reference when set */
  IPmCustomActions2 *v2;    /* holds one reference when set */
} ca_foreign;

/* AddRefs each non-NULL pointer and keeps it. */
void ca_foreign_wrap(ca_foreign *f, IPmCustomActions *v1,
                     IPmCustomActions2 *v2);
/* Releases what wrap took, exactly once; later calls do nothing. */
void ca_foreign_release(ca_foreign *f);

/*
** The three native calls. Each holds an extra reference across the call,
** as COM callers do, so that a handler run inside it may release the
** wrapper without freeing the object under its own feet.
*/
HRESULT ca_foreign_run(ca_foreign *f, PCWSTR name, PCWSTR args,
                       ca_callback *cb);
HRESULT ca_foreign_register(ca_foreign *f, PCWSTR name, PCWSTR args,
                            ca_callback *cb);
HRESULT ca_foreign_unregister(ca_foreign *f, PCWSTR name);

/* AddRef/Release of any IWpfReferencedObject-derived pointer. */
ULONG ca_ref_addref(void *obj);
ULONG ca_ref_release(void *obj);

CA_HIDDEN_END
#endif
