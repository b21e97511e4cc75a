/*
** foreign.h: interface pointers the module did not make
** (IPmCustomActions, IPmCustomActions2 and the protocol manager's own
** interfaces), trusted for their layout only: wrapping them, and AddRef
** and Release of any of them. Every reference taken here is one AddRef
** balanced by exactly one Release. The calls through them go by the
** binding's one caller path (src/lua/lcall.c). Nothing here depends on
** Lua.
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

/* AddRef/Release of any IWpfReferencedObject-derived pointer. */
ULONG ca_ref_addref(void *obj);
ULONG ca_ref_release(void *obj);

CA_HIDDEN_END
#endif
