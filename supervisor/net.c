/*
** net.c: what every operation of net.h shares: dispatch through its
** table, the clock, errors, and freeing the result.
*/
#include "net.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t net_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void net_error_set(net_error *e, const char *type, const char *code,
                   const char *fmt, ...) {
  va_list ap;
  snprintf(e->type, sizeof e->type, "%s", type);
  snprintf(e->code, sizeof e->code, "%s", code ? code : "");
  va_start(ap, fmt);
  vsnprintf(e->message, sizeof e->message, fmt, ap);
  va_end(ap);
}

void net_op_init(net_op *op, const net_op_vt *vt, net_kind kind,
                 uint64_t deadline_ns) {
  op->vt = vt;
  memset(&op->result, 0, sizeof op->result);
  op->result.kind = kind;
  op->result.exit_code = -1;
  op->result.tls_cert_not_after = INT64_MIN;
  op->start_ns = net_now_ns();
  op->deadline_ns = deadline_ns;
  op->done = false;
}

void net_op_finish(net_op *op) {
  if (op->done)
    return;
  op->done = true;
  op->result.duration_ms = (net_now_ns() - op->start_ns) / 1000000u;
}

size_t net_op_pollfds(net_op *op, struct pollfd *out, size_t max) {
  return op->done ? 0 : op->vt->pollfds(op, out, max);
}

uint64_t net_op_wake_ns(const net_op *op) {
  if (op->done)
    return UINT64_MAX;
  uint64_t wake = op->vt->wake_ns(op);
  return wake < op->deadline_ns ? wake : op->deadline_ns;
}

bool net_op_step(net_op *op, const struct pollfd *fds, size_t n,
                 uint64_t now_ns) {
  if (!op->done)
    op->vt->step(op, fds, n, now_ns);
  return op->done;
}

bool net_op_done(const net_op *op) { return op->done; }

const net_result *net_op_result(const net_op *op) { return &op->result; }

void net_result_free(net_result *r) {
  for (size_t i = 0; i < r->nrecords; i++)
    free(r->records[i]);
  free(r->records);
  for (size_t i = 0; i < r->nmx; i++)
    free(r->mx[i].host);
  free(r->mx);
  free(r->banner);
  for (size_t i = 0; i < r->nheaders; i++) {
    free(r->headers[i].name);
    free(r->headers[i].value);
  }
  free(r->headers);
  free(r->body);
  for (size_t i = 0; i < r->ndecisions; i++) {
    free(r->decisions[i].host);
    free(r->decisions[i].capability);
    free(r->decisions[i].reason);
  }
  free(r->decisions);
  free(r->out);
  free(r->err);
}

void net_op_free(net_op *op) {
  if (!op)
    return;
  net_result_free(&op->result);
  op->vt->free(op);
}
