/*
** result.c: what plugsup-http found out, kept as it goes and sent as
** one HttpResult frame at the end.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "http.h"

void http_fail(http_out *o, const char *type, const char *code, const char *fmt,
               ...) {
  va_list ap;
  if (o->err_type[0])
    return;
  snprintf(o->err_type, sizeof o->err_type, "%s", type);
  snprintf(o->err_code, sizeof o->err_code, "%s", code);
  va_start(ap, fmt);
  vsnprintf(o->err_message, sizeof o->err_message, fmt, ap);
  va_end(ap);
}

void http_out_reset_response(http_out *o) {
  for (size_t i = 0; i < o->nheaders; i++) {
    free(o->headers[i].name);
    free(o->headers[i].value);
  }
  o->nheaders = 0;
  o->body_len = 0;
  o->body_truncated = false;
}

/* A copy cut to PLUGSUP_HTTP_TEXT_MAX - 1 bytes. */
static char *text_dup(const char *s) {
  return strndup(s, PLUGSUP_HTTP_TEXT_MAX - 1);
}

bool http_decide(http_out *o, const char *host, const char *address,
                 unsigned port, bool granted, const char *capability,
                 const char *reason) {
  if (o->ndecisions == PLUGSUP_HTTP_DECISIONS_MAX)
    return true;
  http_decision *d = &o->decisions[o->ndecisions++];
  snprintf(d->address, sizeof d->address, "%s", address);
  d->port = port;
  d->granted = granted;
  d->host = text_dup(host);
  d->capability = text_dup(capability);
  d->reason = reason ? text_dup(reason) : NULL;
  return d->host && d->capability && (!reason || d->reason);
}

bool http_out_init(http_out *o, size_t headers_max) {
  memset(o, 0, sizeof *o);
  o->headers = calloc(headers_max ? headers_max : 1, sizeof *o->headers);
  return o->headers != NULL;
}

void http_out_free(http_out *o) {
  http_out_reset_response(o);
  free(o->headers);
  free(o->body);
  for (size_t i = 0; i < o->ndecisions; i++) {
    free(o->decisions[i].host);
    free(o->decisions[i].capability);
    free(o->decisions[i].reason);
  }
}

static ProtobufCBinaryData bytes_of(const char *s) {
  return (ProtobufCBinaryData){s ? strlen(s) : 0, (uint8_t *)s};
}

/* The frame's parts point into o; nothing is copied. */
typedef struct result_parts {
  Plugsup__HttpDecision decisions[PLUGSUP_HTTP_DECISIONS_MAX];
  Plugsup__HttpDecision *decision_ptrs[PLUGSUP_HTTP_DECISIONS_MAX];
} result_parts;

static void fill_decisions(const http_out *o, Plugsup__HttpResult *r,
                           result_parts *p) {
  for (size_t i = 0; i < o->ndecisions; i++) {
    const http_decision *d = &o->decisions[i];
    Plugsup__HttpDecision *m = &p->decisions[i];
    plugsup__http_decision__init(m);
    m->host = bytes_of(d->host);
    m->address = (char *)d->address;
    m->port = d->port;
    m->granted = d->granted;
    m->capability = bytes_of(d->capability);
    m->reason = bytes_of(d->reason);
    p->decision_ptrs[i] = m;
  }
  r->n_decisions = o->ndecisions;
  r->decisions = p->decision_ptrs;
}

frame_status http_send_result(int fd, const http_out *o, size_t max) {
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT;
  Plugsup__HttpResult r = PLUGSUP__HTTP_RESULT__INIT;
  result_parts parts;
  Plugsup__HttpHeader *hs = calloc(o->nheaders + 1, sizeof *hs);
  Plugsup__HttpHeader **ptrs = calloc(o->nheaders + 1, sizeof *ptrs);
  frame_status st = FRAME_NOMEM;
  if (!hs || !ptrs)
    goto done;
  for (size_t i = 0; i < o->nheaders; i++) {
    plugsup__http_header__init(&hs[i]);
    hs[i].name = bytes_of(o->headers[i].name);
    hs[i].value = bytes_of(o->headers[i].value);
    ptrs[i] = &hs[i];
  }
  r.status_code = o->status;
  r.n_headers = o->nheaders;
  r.headers = ptrs;
  r.body = (ProtobufCBinaryData){o->body_len, o->body};
  r.body_truncated = o->body_truncated;
  r.error_type = (char *)o->err_type;
  r.error_code = bytes_of(o->err_code);
  r.error_message = bytes_of(o->err_message);
  r.is_timeout = o->is_timeout;
  r.is_not_found = o->is_not_found;
  fill_decisions(o, &r, &parts);
  env.msg_case = PLUGSUP__ENVELOPE__MSG_HTTP_RESULT;
  env.http_result = &r;
  st = frame_write(fd, &env, max);
done:
  free(hs);
  free(ptrs);
  return st;
}
