/*
** status.c: status and outcome names, the per-thread error message.
*/
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "internal.h"

/* One message per thread, like dlerror(): a supervisor is used by one
** thread at a time, but distinct threads may fail at once. */
static _Thread_local char errmsg[512];

const char *plugsup_strerror(plugsup_status s) {
  switch (s) {
    PLUGSUP_STATUS_LIST(SUP_NAME_CASE)
  }
  return "unknown status";
}

const char *plugsup_outcome_name(plugsup_outcome o) {
  switch (o) {
    PLUGSUP_OUTCOME_LIST(SUP_NAME_CASE)
  case PLUGSUP_OUTCOME_COUNT_:
    break;
  }
  return "unknown";
}

const char *plugsup_errmsg(void) { return errmsg; }

plugsup_status sup_fail(plugsup_status s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(errmsg, sizeof errmsg, fmt, ap);
  va_end(ap);
  return s;
}

uint64_t sup_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
