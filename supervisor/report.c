/*
** report.c: validation reports, every finding of one validation.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

const char *plugsup_severity_name(plugsup_severity s) {
  switch (s) {
    PLUGSUP_SEVERITY_LIST(SUP_NAME_CASE)
  }
  return "unknown";
}

plugsup_report *sup_report_new(void) {
  return calloc(1, sizeof(plugsup_report));
}

/* The array has no capacity field of its own (the struct is public and
** only grows at the end): it holds 4, then the next power of two, so it
** is reallocated exactly when count is 0, or 4 or more and a power of
** two. */
static bool reserve(plugsup_report *r) {
  size_t n = r->count;
  if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
    return true;
  size_t cap = n ? n * 2 : 4;
  plugsup_finding *f = realloc((void *)r->findings, cap * sizeof *f);
  if (!f)
    return false;
  r->findings = f;
  return true;
}

plugsup_status plugsup_report_add(plugsup_report *report,
                                  plugsup_severity severity, const char *code,
                                  const char *fmt, ...) {
  if (!report || !code || !fmt)
    return sup_fail(PLUGSUP_EINVAL, "plugsup_report_add: NULL argument");
  if ((unsigned)severity > PLUGSUP_SEVERITY_ERROR)
    return sup_fail(PLUGSUP_EINVAL, "plugsup_report_add: unknown severity %d",
                    (int)severity);
  char *message = NULL, *c = strdup(code);
  va_list ap;
  va_start(ap, fmt);
  int n = vasprintf(&message, fmt, ap);
  va_end(ap);
  if (n < 0)
    message = NULL;
  if (!c || !message || !reserve(report))
    goto fail;
  plugsup_finding *f = (plugsup_finding *)&report->findings[report->count++];
  f->severity = severity;
  f->code = c;
  f->message = message;
  report->errors += severity == PLUGSUP_SEVERITY_ERROR;
  report->warnings += severity == PLUGSUP_SEVERITY_WARNING;
  return PLUGSUP_OK;
fail:
  free(c);
  free(message);
  return sup_fail(PLUGSUP_ENOMEM, "out of memory adding a finding");
}

void plugsup_report_free(plugsup_report *report) {
  if (!report)
    return;
  for (size_t i = 0; i < report->count; i++) {
    free((void *)report->findings[i].code);
    free((void *)report->findings[i].message);
  }
  free((void *)report->findings);
  free(report);
}
