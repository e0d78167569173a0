/*
** net_parse.h: the two readers of bytes from outside in the network
** operations, declared here for their callers (net_http.c, net_tcp.c) and
** for fuzz/fuzz_netreply.c, which feeds them arbitrary input. Nothing
** else should call them.
*/
#ifndef PLUGSUP_SUPERVISOR_NET_PARSE_H
#define PLUGSUP_SUPERVISOR_NET_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "net.h"
#include "plugsup.pb-c.h"

/* Checks the helper's HttpResult in env (any envelope: another kind is
** refused) against net.h's bounds and copies it into res, its strings
** made safe. False: a field out of bounds, or out of memory; res may then
** hold part of it, which net_result_free frees. (net_http.c) */
bool net_http_take_result(net_result *res, const Plugsup__Envelope *env);

/* Appends to a fixed buffer, cutting what does not fit (net_tcp.c). */
typedef struct sbuf {
  char *p;
  size_t cap, len;
} sbuf;

/* Finds the SMTP reply in[0..n) starts with. 1: found, *len its bytes,
** and, with out, its text as "ddd line\nline...". 0: not whole yet. -1:
** not a reply. It reads no byte past in[n - 1]. (net_tcp.c) */
int net_smtp_reply_scan(const char *in, size_t n, size_t *len, sbuf *out);

#endif
