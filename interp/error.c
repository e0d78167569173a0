/*
** error.c: names of statuses, traps and types, and filling interp_error.
*/
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const status_names[] = {
#define X(name, text) text,
    INTERP_STATUS_LIST(X)
#undef X
};

static const char *const trap_messages[] = {
#define X(name, text) text,
    INTERP_TRAP_LIST(X)
#undef X
};

const char *interp_status_name(interp_status s) {
  if ((unsigned)s >= sizeof status_names / sizeof status_names[0])
    return "unknown status";
  return status_names[s];
}

const char *interp_trap_message(interp_trap t) {
  if ((unsigned)t >= sizeof trap_messages / sizeof trap_messages[0])
    return "unknown trap";
  return trap_messages[t];
}

const char *interp_valtype_name(interp_valtype t) {
  switch (t) {
  case INTERP_I32: return "i32";
  case INTERP_I64: return "i64";
  case INTERP_F32: return "f32";
  case INTERP_F64: return "f64";
  case INTERP_V128: return "v128";
  case INTERP_FUNCREF: return "funcref";
  case INTERP_EXTERNREF: return "externref";
  }
  return "unknown type";
}

interp_status ip_fail(interp_error *err, interp_status s, const char *fmt, ...) {
  if (err == NULL)
    return s;
  err->status = s;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  return s;
}

interp_status ip_trap(interp_error *err, interp_trap t) {
  if (err == NULL)
    return INTERP_TRAP;
  err->trap = t;
  return ip_fail(err, INTERP_TRAP, "%s", interp_trap_message(t));
}

void ip_clear(interp_error *err) {
  if (err == NULL)
    return;
  memset(err, 0, sizeof *err);
}
