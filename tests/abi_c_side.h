/*
** abi_c_side.h: what the C half of the ABI test (abi_c_side.c) offers the
** C++ half (abi_test.cpp): calls through wpf.h as C code makes them, the
** core's callback objects with a recording deliver function, and a
** simulated issuer on a virtual clock.
*/
#ifndef CA_TEST_ABI_C_SIDE_H
#define CA_TEST_ABI_C_SIDE_H

#include "wpf.h"

#ifdef __cplusplus
extern "C" {
#endif

ULONG abi_c_addref_v2(ICustomAction2ResultCallback *p);
ULONG abi_c_release_v2(ICustomAction2ResultCallback *p);
HRESULT abi_c_report_v2(ICustomAction2ResultCallback *p, HRESULT st,
                        BOOL final, BYTE *buf, DWORD len);
HRESULT abi_c_report_v1(ICustomActionResultCallback *p, HRESULT st, BYTE *buf,
                        DWORD len);
HRESULT abi_c_register(IPmCustomActions2 *pm, PCWSTR name, PCWSTR args,
                       ICustomAction2ResultCallback *cb);
HRESULT abi_c_unregister(IPmCustomActions2 *pm, PCWSTR name);
HRESULT abi_c_run(IPmCustomActions *pm, PCWSTR name, PCWSTR args,
                  ICustomActionResultCallback *cb);

void *abi_core_new(int reuse);
void *abi_core_v1(void *cb);
void *abi_core_v2(void *cb);
void abi_core_set_return(HRESULT hr);
int abi_core_count(void);
int abi_core_record(int i, HRESULT *status, int *final, int *null_buf,
                    const BYTE **bytes, DWORD *len);
unsigned long abi_core_refused_null(void *cb);
void abi_core_shutdown(void);

void *abi_issuer_new(void);
void *abi_issuer_v1(void *is);
void *abi_issuer_v2(void *is);
int abi_issuer_advance(void *is, long ms);
void abi_issuer_release(void *is);

#ifdef __cplusplus
}
#endif
#endif
