/*
** error.h: filling an interp_error. Internal to interp/.
*/
#ifndef PLUGSUP_INTERP_ERROR_H
#define PLUGSUP_INTERP_ERROR_H

#include "interp.h"

#if defined(__GNUC__)
#define IP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define IP_PRINTF(f, a)
#endif

/* Record status s with a printf-style message; returns s. err may be NULL. */
interp_status ip_fail(interp_error *err, interp_status s, const char *fmt, ...)
    IP_PRINTF(3, 4);

/* Record a trap of the given kind with the kind's standard message. */
interp_status ip_trap(interp_error *err, interp_trap t);

/* Reset err to success. err may be NULL. */
void ip_clear(interp_error *err);

#endif
