/*
** constants.c: the table of user-facing defaults, built from the macros
** of constants.h so that a value written there is the value listed here
** (ca.defaults and ca.help() read this table; the manual is checked
** against it).
*/
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "constants.h"

static const ca_default table[] = {
  {"callback", "max_response", (double)CA_DEFAULT_MAX_RESPONSE, "bytes"},
  {"configure", "max_queued", (double)CA_DEFAULT_MAX_QUEUED, "reports"},
  {"configure", "max_queued_bytes", (double)CA_DEFAULT_MAX_QUEUED_BYTES,
   "bytes"},
  {"configure", "block_ms", CA_DEFAULT_BLOCK_MS, "ms"},
  {"issuer", "threads", CA_DEFAULT_ISSUER_THREADS, "threads"},
  {"issuer", "log_limit", CA_DEFAULT_ISSUER_LOG_LIMIT, "entries"},
  {"load", "actions2_id", CA_DEFAULT_ACTIONS2_ID, "id"},
  {"load", "log_limit", CA_DEFAULT_PM_LOG_LIMIT, "entries"},
  {"provider", "idle_wait_ms", CA_DEFAULT_IDLE_WAIT_MS, "ms"},
  {"luapm", "load_ms", CA_DEFAULT_LUAPM_LOAD_MS, "ms"},
  {"luapm", "shutdown_ms", CA_DEFAULT_LUAPM_SHUTDOWN_MS, "ms"},
};

const ca_default *ca_defaults(size_t *n) {
  *n = sizeof table / sizeof table[0];
  return table;
}
