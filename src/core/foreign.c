/*
** foreign.c: the calls through foreign custom-actions vtables (see
** foreign.h). Every interface derives from IWpfReferencedObject, so
** AddRef and Release are slots 0 and 1 whatever the pointer's type.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "foreign.h"

#include <stddef.h>

ULONG ca_ref_addref(void *obj) {
  IWpfReferencedObject *o = obj;
  return o->lpVtbl->AddRef(o);
}

ULONG ca_ref_release(void *obj) {
  IWpfReferencedObject *o = obj;
  return o->lpVtbl->Release(o);
}

void ca_foreign_wrap(ca_foreign *f, IPmCustomActions *v1,
                     IPmCustomActions2 *v2) {
  f->v1 = v1;
  f->v2 = v2;
  if (v1 != NULL) ca_ref_addref(v1);
  if (v2 != NULL) ca_ref_addref(v2);
}

void ca_foreign_release(ca_foreign *f) {
  IPmCustomActions *v1 = f->v1;
  IPmCustomActions2 *v2 = f->v2;
  /* detach first: a Release may run code that reaches this wrapper */
  f->v1 = NULL;
  f->v2 = NULL;
  if (v1 != NULL) ca_ref_release(v1);
  if (v2 != NULL) ca_ref_release(v2);
}
