/*
** http.h: the parts of plugsup-http. main.c starts up, reads the call
** and sends the result; grants.c rebuilds the run's policy from its text;
** fetch.c makes the request with libcurl, deciding every hop and every
** address by that policy.
*/
#ifndef PLUGSUP_HTTP_INTERNAL_H
#define PLUGSUP_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "plugsup_http.h"
#include "policy.h"

typedef struct http_header {
  char *name, *value;
} http_header;

typedef struct http_decision {
  char *host;
  char address[64];
  unsigned port;
  bool granted;
  char *capability, *reason;
} http_decision;

/* What the request produced: HttpResult's fields, owned here. */
typedef struct http_out {
  int status;
  http_header *headers;  /* call's headers_max of them, allocated */
  size_t nheaders;
  uint8_t *body;         /* call's body_max bytes, allocated when needed */
  size_t body_len;
  bool body_truncated;
  http_decision decisions[PLUGSUP_HTTP_DECISIONS_MAX];
  size_t ndecisions;
  char err_type[16], err_code[32], err_message[PLUGSUP_HTTP_TEXT_MAX];
  bool is_timeout, is_not_found;
} http_out;

/* o empty, with room for headers_max headers; false when out of memory. */
bool http_out_init(http_out *o, size_t headers_max);
void http_out_free(http_out *o);
/* o as one HttpResult frame of at most max bytes, written to fd. */
frame_status http_send_result(int fd, const http_out *o, size_t max);

/* Sets the error unless one is set already: the first says what went
** wrong, what follows is its consequence. */
void http_fail(http_out *o, const char *type, const char *code,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Drops the final response's headers and body (a new hop, or a new
** response on the same one). */
void http_out_reset_response(http_out *o);

/* Records a decision (up to PLUGSUP_HTTP_DECISIONS_MAX; later ones are
** not kept). reason NULL when granted. False when out of memory. */
bool http_decide(http_out *o, const char *host, const char *address,
                 unsigned port, bool granted, const char *capability,
                 const char *reason);

/* The policy whose lines grants holds (policy_describe's text, each
** "request:" line starting a policy intersected with the ones before),
** or NULL with o's error set. */
policy *http_grants_policy(const char *grants, http_out *o);

/* The request of call, every hop decided by p; everything it learns goes
** into o (allocated for call's headers_max). Needs curl_global_init. */
void http_fetch(const Plugsup__HttpCall *call, const policy *p, http_out *o);

#endif
