/*
** wire.h: the JSON of reglet's host module, `reglet_host`, as its Go SDK
** writes requests and reads responses (docs/host-functions.md). A
** request is the plugin's text: untrusted, parsed within bounds, and
** accepted where Go's encoding/json would accept it (field names in any
** case, unknown fields ignored, null as absent, invalid UTF-8 read as
** U+FFFD). A response is the text reglet's host would marshal for the
** same values, byte for byte (Go's field order, omitempty, HTML-safe
** escapes), so a plugin cannot tell plugsup from reglet.
**
** Lifecycle: wire_kind_of(name) -> wire_parse -> (the broker runs it) ->
** wire_response or wire_error_response -> free; wire_request_free.
*/
#ifndef PLUGSUP_SUPERVISOR_WIRE_H
#define PLUGSUP_SUPERVISOR_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net.h"

/* The longest request parsed; more is refused. */
#define WIRE_REQUEST_MAX (1u << 20)
/* The deepest nesting of arrays and objects in a request: the format
** needs 3, unknown fields get the rest. */
#define WIRE_DEPTH_MAX 64
/* The most entries of one array (args, env, attrs). */
#define WIRE_ARRAY_MAX 4096u

/* The function of reglet_host that is not an operation of net.h: a log
** line the broker writes itself. */
#define WIRE_EXTRA_LIST(X) X(WIRE_LOG, "log_message")

/* Every function of reglet_host: (kind, import name). */
#define WIRE_FUNCTION_LIST(X) NET_KIND_LIST(X) WIRE_EXTRA_LIST(X)

/* The kinds after net.h's: a request's kind is a net_kind or these. */
typedef enum wire_kind {
  WIRE_KIND_BEFORE_ = NET_KIND_COUNT - 1,
#define WIRE_X_(k, name) k,
  WIRE_EXTRA_LIST(WIRE_X_)
#undef WIRE_X_
  WIRE_KIND_COUNT
} wire_kind;

/* The kind of the reglet_host import called name, or -1. */
int wire_kind_of(const char *name);
/* The import name of a kind ("dns_lookup"), or NULL out of range. */
const char *wire_function_name(int kind);

/* One attribute of a log line, strings as the plugin wrote them. */
typedef struct wire_attr {
  const char *key, *type, *value;
} wire_attr;

typedef struct wire_log {
  const char *level;    /* slog's text: "INFO", "DEBUG-4", ... */
  const char *message;
  int64_t timestamp_ms; /* Unix ms; INT64_MIN: absent, or Go's zero time */
  wire_attr *attrs;
  size_t nattrs;
} wire_log;

/* A parsed request. Every string is NUL-terminated, holds no NUL, is
** valid UTF-8, and lives as long as the request; "" where the plugin
** sent none. Only the part of its kind is filled in. */
typedef struct wire_request {
  int kind;             /* a net_kind or a wire_kind */
  /* The time it may take, in ms, from context.deadline (relative to the
  ** now_ms given), context.timeout_ms and, for TCP and SMTP, timeout_ms:
  ** the shortest of them; 0 when none bounds it. */
  int64_t timeout_ms;
  bool expired;         /* context.deadline had passed: a timeout at once */
  bool canceled;        /* context.Canceled */
  const char *request_id;

  net_dns_req dns;      /* nameserver NULL when absent */
  net_tcp_req tcp;      /* TCP and SMTP; tls wins over starttls */
  /* exec.path is NULL: the broker resolves command. argv[0] is command,
  ** then args, then NULL. env is what the plugin sent as Go's os/exec
  ** passes it: no empty entry, the last "NAME=VALUE" of each name where
  ** it stood, an entry without '=' as it is; then NULL. dir NULL when
  ** absent. */
  net_exec_req exec;
  const char *command;
  /* http: method ("GET" when empty), url, one header per value in the
  ** order sent, and the body decoded from its base64. */
  net_http_req http;
  net_header *http_headers_;  /* owned (names and values are the doc's) */
  uint8_t *http_body_;        /* owned */
  wire_log log;

  struct json_t *doc_;  /* owns the strings */
} wire_request;

/* Parses a request to the function of kind. 0, or -1 with err set (type
** "validation" when the text is not a request: too large or deep, not
** JSON, a field of the wrong type, a NUL byte, too many entries; "config"
** when a value cannot be served: an empty host, a bad port; "internal"
** when out of memory). On failure out holds nothing to free; on success
** wire_request_free frees it. */
int wire_parse(int kind, const uint8_t *json, size_t len, int64_t now_ms,
               wire_request *out, net_error *err);
void wire_request_free(wire_request *r);

/* The response reglet's host would write for r (its kind's *ResponseWire):
** malloc'd JSON of *len bytes (and a NUL), or NULL when out of memory.
** A DNS, TCP or SMTP result with an error is answered with the error
** alone, as reglet does. */
char *wire_response(const net_result *r, size_t *len);
/* A response of kind's shape that holds only the error e (a refused
** grant, a bad request). log_message has no response: NULL. */
char *wire_error_response(int kind, const net_error *e, size_t *len);

#endif
