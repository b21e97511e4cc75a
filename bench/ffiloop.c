/*
** ffiloop.c: the native side of the LuaJIT FFI peer benchmark. A C loop
** calls a callback with the same arguments ReportResult takes, as a
** protocol manager would call a Lua function made with ffi.cast.
*/
#include <stdint.h>

typedef int32_t (*report_fn)(int32_t status, int32_t final,
                             const uint8_t *buf, uint32_t len);

__attribute__((visibility("default")))
int64_t ffiloop_run(report_fn fn, int64_t n, uint8_t *buf, uint32_t len) {
  int64_t i, sum = 0;
  for (i = 0; i < n; i++) {
    buf[0] = (uint8_t)i;
    sum += fn(0, 0, buf, len);
  }
  return sum;
}
