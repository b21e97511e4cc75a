/*
** hresult_table.h: every HRESULT the project names, as data. Included with
** CA_HR(name, value, message) and CA_HR_ALIAS(name, value) defined by the
** includer. Messages are short descriptions in this project's own words.
** The first name listed for a value is its primary name; aliases parse to
** the same value. spec/hresult_table_spec.lua checks every row.
*/

/* Success codes */
CA_HR(S_OK, 0x00000000, "success")
CA_HR(S_FALSE, 0x00000001, "success, with a negative or partial answer")

/* Generic COM failures (FACILITY_NULL) */
CA_HR(E_NOTIMPL, 0x80004001, "not implemented")
CA_HR(E_NOINTERFACE, 0x80004002, "interface not supported")
CA_HR(E_POINTER, 0x80004003, "invalid pointer")
CA_HR(E_ABORT, 0x80004004, "operation aborted")
CA_HR(E_FAIL, 0x80004005, "unspecified failure")
CA_HR(E_UNEXPECTED, 0x8000FFFF, "unexpected failure")
CA_HR(E_ILLEGAL_METHOD_CALL, 0x8000000E, "method called at an unexpected time")
CA_HR(E_PENDING, 0x8000000A, "data not yet available")
CA_HR(E_BOUNDS, 0x8000000B, "operation out of bounds")

/* Win32 errors with COM names */
CA_HR(E_ACCESSDENIED, 0x80070005, "access denied")
CA_HR_ALIAS(HRESULT_FROM_WIN32_ERROR_ACCESS_DENIED, 0x80070005)
CA_HR(E_HANDLE, 0x80070006, "invalid handle")
CA_HR_ALIAS(HRESULT_FROM_WIN32_ERROR_INVALID_HANDLE, 0x80070006)
CA_HR(E_OUTOFMEMORY, 0x8007000E, "out of memory")
CA_HR_ALIAS(HRESULT_FROM_WIN32_ERROR_OUTOFMEMORY, 0x8007000E)
CA_HR(E_INVALIDARG, 0x80070057, "invalid argument")
CA_HR_ALIAS(HRESULT_FROM_WIN32_ERROR_INVALID_PARAMETER, 0x80070057)

/* Win32 errors wrapped by HRESULT_FROM_WIN32 */
CA_HR(HRESULT_FROM_WIN32_ERROR_NOT_FOUND, 0x80070490, "element not found")
CA_HR(HRESULT_FROM_WIN32_ERROR_ALREADY_EXISTS, 0x800700B7, "already exists")
CA_HR(HRESULT_FROM_WIN32_ERROR_INSUFFICIENT_BUFFER, 0x8007007A, "buffer too small")
CA_HR(HRESULT_FROM_WIN32_ERROR_MESSAGE_EXCEEDS_MAX_SIZE, 0x800710F0, "message larger than the allowed maximum")
CA_HR(HRESULT_FROM_WIN32_ERROR_NOT_ENOUGH_QUOTA, 0x80070718, "not enough quota")
CA_HR(HRESULT_FROM_WIN32_ERROR_TIMEOUT, 0x800705B4, "operation timed out")
CA_HR(HRESULT_FROM_WIN32_ERROR_CANCELLED, 0x800704C7, "operation cancelled")

/* RPC */
CA_HR(RPC_E_DISCONNECTED, 0x80010108, "object disconnected from its clients")
CA_HR(RPC_E_SERVERCALL_RETRYLATER, 0x8001010A, "callee busy: retry later")
CA_HR(RPC_E_WRONG_THREAD, 0x8001010E, "called on the wrong thread")

/* Dispatch */
CA_HR(DISP_E_EXCEPTION, 0x80020009, "exception raised by the callee")
