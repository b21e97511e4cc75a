/*
** tap.h: the TAP output every C and C++ test program writes: ok() prints
** one numbered line per check, tap_done() the plan and the exit status.
** One test program per process, so the counters live here. C++ callers
** may also pass a std::string.
*/
#ifndef CA_TEST_TAP_H
#define CA_TEST_TAP_H

#include <stdio.h>

static int tap_count = 0, tap_failures = 0;

static inline int tap_ok(int cond, const char *what) {
  ++tap_count;
  if (!cond) ++tap_failures;
  printf("%s %d - %s\n", cond ? "ok" : "not ok", tap_count, what);
  fflush(stdout);
  return cond;
}

#ifdef __cplusplus
#include <string>
static inline bool ok(bool cond, const char *what) {
  return tap_ok(cond, what) != 0;
}
static inline bool ok(bool cond, const std::string &what) {
  return tap_ok(cond, what.c_str()) != 0;
}
#else
static inline int ok(int cond, const char *what) {
  return tap_ok(cond, what);
}
#endif

/* Prints the plan; the program's exit status (1 when a check failed). */
static inline int tap_done(void) {
  printf("1..%d\n", tap_count);
  return tap_failures != 0;
}

#endif
