/*
** fuzz_wire.c: reglet_host's JSON (supervisor/wire.c). The input is read
** as the request of every function, then its bytes fill a result of each
** net kind whose response is checked:
**   - a request is refused with a type and a message, and nothing kept;
**     or accepted with every string valid UTF-8 and as long as strlen says,
**     a port in range, NULL after argv and env, no negative bound;
**   - an accepted request's strings come back unchanged through a
**     response that carries them (DNS records, the error message);
**   - every response is one JSON object for Jansson, has no raw control
**     byte, '<', '>' or '&' (Go's escapes), and its strings decode to the
**     bytes given with each invalid byte read as U+FFFD, by a decoder of
**     UTF-8 written here apart from wire.c's.
** Contract violations abort.
*/
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "fuzz_wire: contract broken: %s\n", what);
    abort();
  }
}

/* The code point at s and its length, or length 0 when invalid:
** decoded by value, then judged (overlong, surrogate, too large). */
static size_t decode(const uint8_t *s, size_t n, uint32_t *cp) {
  static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
  size_t len = s[0] < 0x80 ? 1 : (s[0] >> 5) == 6 ? 2 : (s[0] >> 4) == 14 ? 3
             : (s[0] >> 3) == 30 ? 4 : 0;
  if (len == 0 || len > n)
    return 0;
  *cp = len == 1 ? s[0] : s[0] & (0x7F >> len);
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    *cp = *cp << 6 | (s[i] & 0x3F);
  }
  if (*cp < min[len] || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
    return 0;
  return len;
}

/* s as Go keeps it in a string it marshals: invalid bytes as U+FFFD. */
static char *as_go(const uint8_t *s, size_t n, size_t *outlen) {
  char *o = malloc(3 * n + 1), *p = o;
  uint32_t cp;
  check(o != NULL, "out of memory");
  for (size_t i = 0, k; i < n; i += k) {
    if ((k = decode(s + i, n - i, &cp)) == 0) {
      memcpy(p, "\xEF\xBF\xBD", 3);
      p += 3;
      k = 1;
    } else {
      memcpy(p, s + i, k);
      p += k;
    }
  }
  *outlen = (size_t)(p - o);
  return o;
}

static bool valid_utf8(const char *s) {
  uint32_t cp;
  size_t n = strlen(s);
  for (size_t i = 0, k; i < n; i += k)
    if ((k = decode((const uint8_t *)s + i, n - i, &cp)) == 0)
      return false;
  return true;
}

static void check_text(const char *s, const char *what) {
  check(s != NULL && valid_utf8(s), what);
}

static void check_request(const wire_request *r) {
  check_text(r->request_id, "request_id");
  check(r->timeout_ms >= 0, "a negative bound");
  if (r->kind == NET_DNS) {
    check_text(r->dns.hostname, "hostname");
    check(*r->dns.hostname && *r->dns.type, "empty hostname or type");
    check(!r->dns.nameserver || valid_utf8(r->dns.nameserver), "nameserver");
  } else if (r->kind == NET_TCP || r->kind == NET_SMTP) {
    check_text(r->tcp.host, "host");
    check(*r->tcp.host && r->tcp.port > 0, "host or port");
    check(!(r->tcp.tls && r->tcp.starttls), "tls and starttls");
  } else if (r->kind == NET_EXEC) {
    check(r->exec.argc >= 1 && r->exec.argv[0] == r->command && *r->command,
          "argv[0]");
    for (size_t i = 0; i < r->exec.argc; i++)
      check_text(r->exec.argv[i], "argv");
    check(r->exec.argv[r->exec.argc] == NULL, "no NULL after argv");
    for (size_t i = 0; i < r->exec.nenv; i++)
      check(*r->exec.env[i] && valid_utf8(r->exec.env[i]), "env");
    check(r->exec.env[r->exec.nenv] == NULL, "no NULL after env");
  } else if (r->kind == NET_HTTP) {
    check_text(r->http.method, "method");
    check(*r->http.method && *r->http.url && valid_utf8(r->http.url), "url");
    check(r->http.nheaders <= NET_HTTP_HEADERS_MAX, "headers");
    for (size_t i = 0; i < r->http.nheaders; i++)
      check(!strpbrk(r->http.headers[i].value, "\r\n") &&
                !strpbrk(r->http.headers[i].name, "\r\n:"),
            "a line break in a header");
    check(r->http.body_len == 0 || r->http.body != NULL, "body");
  } else if (r->kind == WIRE_LOG) {
    check_text(r->log.level, "level");
    check_text(r->log.message, "message");
    for (size_t i = 0; i < r->log.nattrs; i++)
      check_text(r->log.attrs[i].value, "attr");
  }
}

/* A response: one object, Go's escapes, nothing raw that Go escapes. */
static json_t *load_response(const char *text, size_t len) {
  check(text != NULL, "no response");
  check(strlen(text) == len, "a NUL inside a response");
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)text[i];
    check(c >= 0x20 && c != '<' && c != '>' && c != '&', "a raw byte");
  }
  json_error_t e;
  json_t *v = json_loadb(text, len, JSON_ALLOW_NUL, &e);
  check(json_is_object(v), "a response that is not a JSON object");
  return v;
}

/* v is the string of bytes s (n) as Go marshals it. */
static void check_string(json_t *v, const void *s, size_t n, const char *what) {
  size_t want_len;
  char *want = as_go(s, n, &want_len);
  check(json_is_string(v) && json_string_length(v) == want_len &&
            memcmp(json_string_value(v), want, want_len) == 0,
        what);
  free(want);
}

static void dns_round_trip(const wire_request *r) {
  char *recs[] = {(char *)r->dns.hostname, (char *)r->dns.type};
  net_result res = {.kind = NET_DNS, .records = recs, .nrecords = 2};
  size_t len;
  char *text = wire_response(&res, &len);
  json_t *v = load_response(text, len), *a = json_object_get(v, "records");
  check(json_array_size(a) == 2, "two records");
  check_string(json_array_get(a, 0), recs[0], strlen(recs[0]), "hostname back");
  check_string(json_array_get(a, 1), recs[1], strlen(recs[1]), "type back");
  json_decref(v);
  free(text);
}

static void requests(const uint8_t *data, size_t size) {
  for (int kind = 0; kind < WIRE_KIND_COUNT; kind++) {
    wire_request r;
    net_error err;
    if (wire_parse(kind, data, size, 1795694400000LL, &r, &err) < 0) {
      check(*err.type && *err.message, "a refusal without why");
      check(r.doc_ == NULL, "a refused request keeps its document");
      size_t len;
      char *text = wire_error_response(kind, &err, &len);
      if (kind != WIRE_LOG) {
        json_t *v = load_response(text, len);
        json_t *e = json_object_get(v, "error");
        check_string(json_object_get(e, "message"), err.message,
                     strlen(err.message), "the message back");
        json_decref(v);
      }
      free(text);
      continue;
    }
    check(r.kind == kind, "the kind");
    check_request(&r);
    if (kind == NET_DNS)
      dns_round_trip(&r);
    wire_request_free(&r);
  }
}

/* Each result of a net kind with the input's bytes in every text field. */
static void responses(const uint8_t *data, size_t size) {
  char *text = strndup((const char *)data, size);
  char *recs[] = {text, text};
  net_mx mx = {text, (uint16_t)size};
  net_header hdr[] = {{text, text}, {(char *)"x", text}};
  check(text != NULL, "out of memory");
  for (int kind = 0; kind < NET_KIND_COUNT; kind++) {
    net_result r = {.kind = (net_kind)kind, .records = recs, .nrecords = 2,
                    .mx = &mx, .nmx = 1, .banner = size & 16 ? NULL : text,
                    .out = (uint8_t *)data, .out_len = size,
                    /* NULL: a program that wrote nothing. */
                    .err = size & 8 ? NULL : (uint8_t *)data,
                    .err_len = size & 8 ? 0 : size / 2,
                    .exit_code = size % 3 ? -1 : 0,
                    .duration_ms = size, .connected = size & 1,
                    .tls = size & 2, .tls_cert_not_after = INT64_MIN,
                    .status_code = (int)size, .headers = hdr, .nheaders = 2,
                    .body = (uint8_t *)data, .body_len = size};
    if (size >= 8)
      memcpy(&r.tls_cert_not_after, data, 8);
    snprintf(r.address, sizeof r.address, "%s", text);
    snprintf(r.tls_cert_subject, sizeof r.tls_cert_subject, "%s", text);
    if (size & 4)
      net_error_set(&r.error, "network", "ECONNREFUSED", "%s", text);
    size_t len;
    char *out = wire_response(&r, &len);
    json_t *v = load_response(out, len);
    if (kind == NET_EXEC)
      check_string(json_object_get(v, "stdout"), data, size, "stdout back");
    if (kind == NET_HTTP && !(size & 4))
      check(json_string_length(json_object_get(v, "body")) ==
                (size + 2) / 3 * 4,
            "the body as base64");
    json_decref(v);
    free(out);
  }
  free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  requests(data, size);
  responses(data, size);
  return 0;
}
