/*
** clock.c: the simulator's two clocks, in a file of their own so that
** the log, the operations and the scheduler each read the time without
** depending on one another. A real-time issuer counts milliseconds since
** it was made; a virtual one reads the time ca_issuer_advance has moved
** it to. Clock arithmetic saturates at CA_TIME_NEVER, a time no event is
** ever due at.
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "sim.h"

int64_t ca_time_add(int64_t t, int64_t ms) {
  if (ms > 0 && t > CA_TIME_NEVER - ms) return CA_TIME_NEVER;
  return t + ms;
}

int64_t ca_sim_now(ca_issuer *is) {
  if (is->is_virtual) return is->vnow;
  return (ca_now_ns() - is->start_ns) / 1000000;
}
