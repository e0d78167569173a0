/*
** fetch.c: one HTTP request with libcurl's easy interface, decided by
** the run's grants at every step.
**
** curl follows no redirect by itself: each hop is a transfer of its own,
** whose scheme (https_only), host and port (policy_may_connect_name) are
** decided before anything is resolved, and whose every address is
** decided again just before curl dials it (policy_may_connect_addr, in
** the open-socket callback): a name granted cannot be made to reach an
** address that is not, by DNS or by curl's "localhost". Connections are
** never reused, so every hop dials, and every dial is in the decisions.
**
** Nothing of the environment or the disk steers curl: no proxy, no
** .netrc, no cookies, only http and https. TLS is verified against the
** system's store, whose path is compiled into libcurl.
*/
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>

#include "http.h"

/* A capability line: "network:outbound:", a host name (253 bytes at
** most) and a port. */
#define CAP_MAX 320

/* The request as it stands at one hop. */
typedef struct hop {
  CURLU *url;
  char *host; /* as DNS has it (an IDN in punycode), IPv6 without brackets */
  char *scheme;
  unsigned port;
  const char *method;
  bool with_body;   /* sends the call's body (none after a 303) */
  bool same_origin; /* as the first hop: credentials may go along */
} hop;

typedef struct fetch {
  const Plugsup__HttpCall *call;
  const policy *pol;
  http_out *out;
  bool https_only;
  uint64_t end_ms; /* all hops together end by then */
  unsigned index;  /* of the hop, 0 for the request itself */
  hop h;
  char *first_origin; /* "scheme://host:port" of hop 0 */
  char *location;     /* of the latest response, or NULL */
  bool refused;       /* an address of this hop was refused */
  char refusal[PLUGSUP_HTTP_TEXT_MAX];
  bool nomem;
  char errbuf[CURL_ERROR_SIZE];
} fetch;

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- checking the call ---- */

/* RFC 9110's token: what a method and a header name may be. */
static bool is_tchar(uint8_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_token(const uint8_t *s, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (!is_tchar(s[i]))
      return false;
  return len > 0;
}

/* A value may not end its line early: no CR, LF or NUL. */
static bool is_field_value(const uint8_t *s, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
      return false;
  return true;
}

static bool call_valid(const Plugsup__HttpCall *call, http_out *o) {
  if (!is_token((const uint8_t *)call->method, strlen(call->method))) {
    http_fail(o, "validation", "", "bad method '%.64s'", call->method);
    return false;
  }
  for (size_t i = 0; i < call->n_headers; i++) {
    const Plugsup__HttpHeader *h = call->headers[i];
    if (!is_token(h->name.data, h->name.len) ||
        !is_field_value(h->value.data, h->value.len)) {
      http_fail(o, "validation", "", "bad request header %zu", i);
      return false;
    }
  }
  return true;
}

/* ---- one hop: where it goes, and whether it may ---- */

static void hop_clear(hop *h) {
  curl_url_cleanup(h->url);
  curl_free(h->host);
  curl_free(h->scheme);
  h->url = NULL;
  h->host = h->scheme = NULL;
}

/* Host, scheme and port of the hop's URL. False with the error set. */
static bool hop_parse(fetch *f) {
  hop *h = &f->h;
  char *port = NULL;
  const char *what = f->index ? "redirect" : "url";
  if (curl_url_get(h->url, CURLUPART_SCHEME, &h->scheme, 0) ||
      curl_url_get(h->url, CURLUPART_HOST, &h->host, CURLU_PUNYCODE) ||
      curl_url_get(h->url, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT)) {
    http_fail(f->out, f->index ? "network" : "validation",
              "CURLE_URL_MALFORMAT", "%s without a usable host", what);
    goto fail;
  }
  h->port = (unsigned)strtoul(port, NULL, 10);
  if (strcmp(h->scheme, "http") != 0 && strcmp(h->scheme, "https") != 0) {
    http_fail(f->out, f->index ? "network" : "validation",
              "CURLE_UNSUPPORTED_PROTOCOL",
              "%s scheme '%.32s': only http and https", what, h->scheme);
    goto fail;
  }
  /* The policy takes an IPv6 literal without its brackets. */
  size_t n = strlen(h->host);
  if (n >= 2 && h->host[0] == '[' && h->host[n - 1] == ']') {
    memmove(h->host, h->host + 1, n - 2);
    h->host[n - 2] = '\0';
  }
  curl_free(port);
  return true;
fail:
  curl_free(port);
  return false;
}

/* The first two decisions of a hop: its scheme, and its host and port by
** name. Only a refusal is recorded here: what is granted is recorded
** with each address dialled. */
static bool hop_allowed(fetch *f) {
  hop *h = &f->h;
  char cap[CAP_MAX], why[PLUGSUP_HTTP_TEXT_MAX];
  const char *to = f->index ? "redirect to " : "";
  if (f->https_only && strcmp(h->scheme, "https") != 0) {
    snprintf(cap, sizeof cap, "network:https-only");
    snprintf(why, sizeof why, "%s%s://%s:%u is refused: only https is allowed",
             to, h->scheme, h->host, h->port);
  } else if (!policy_may_connect_name(f->pol, h->host, h->port, cap,
                                      sizeof cap)) {
    snprintf(why, sizeof why, "%s%s:%u is not granted (%s)", to, h->host,
             h->port, cap[0] ? cap : "not a host name or address");
  } else {
    return true;
  }
  if (!http_decide(f->out, h->host, "", h->port, false, cap, why))
    f->nomem = true;
  http_fail(f->out, "capability", "", "%s", why);
  return false;
}

/* ---- callbacks ---- */

/* curl is about to dial a; the last decision is taken here. A refused
** address gets no socket, and curl goes on to the next one. */
static curl_socket_t on_open_socket(void *ud, curlsocktype purpose,
                                    struct curl_sockaddr *a) {
  fetch *f = ud;
  struct sockaddr_storage ss;
  char addr[64], cap[CAP_MAX], why[PLUGSUP_HTTP_TEXT_MAX];
  if (purpose != CURLSOCKTYPE_IPCXN || a->addrlen > sizeof ss)
    return CURL_SOCKET_BAD;
  memset(&ss, 0, sizeof ss);
  memcpy(&ss, &a->addr, a->addrlen);
  const struct sockaddr *sa = (const struct sockaddr *)&ss;
  policy_addr_text(sa, addr, sizeof addr);
  bool ok = policy_may_connect_addr(f->pol, f->h.host, sa, f->h.port, cap,
                                    sizeof cap);
  if (!ok)
    policy_addr_refusal(f->h.host, sa, cap, why, sizeof why);
  if (!http_decide(f->out, f->h.host, addr, f->h.port, ok, cap,
                   ok ? NULL : why))
    f->nomem = true;
  if (ok)
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
  if (!f->refused)
    snprintf(f->refusal, sizeof f->refusal, "%s", why);
  f->refused = true;
  return CURL_SOCKET_BAD;
}

static char *dup_n(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

/* One "Name: value" line of a response, CRLF already cut. Kept when there
** is room; the Location of a redirect is kept apart in any case. */
static bool take_header(fetch *f, const char *line, size_t len) {
  const char *colon = memchr(line, ':', len);
  if (!colon || colon == line || len > PLUGSUP_HTTP_HEADER_BYTES)
    return true; /* a folded line, or one no honest server sends */
  size_t nlen = (size_t)(colon - line);
  const char *v = colon + 1, *end = line + len;
  while (v < end && (*v == ' ' || *v == '\t'))
    v++;
  while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
    end--;
  if (nlen == 8 && strncasecmp(line, "location", 8) == 0) {
    free(f->location);
    if (!(f->location = dup_n(v, (size_t)(end - v))))
      return false;
  }
  http_out *o = f->out;
  if (o->nheaders == f->call->headers_max)
    return true;
  http_header *h = &o->headers[o->nheaders];
  h->name = dup_n(line, nlen);
  h->value = dup_n(v, (size_t)(end - v));
  o->nheaders++; /* counted even half made: http_out frees both */
  return h->name && h->value;
}

/* Each response begins with its status line; an interim one (100
** Continue, 103 Early Hints) is forgotten when the next begins. */
static size_t on_header(char *buf, size_t size, size_t n, void *ud) {
  fetch *f = ud;
  size_t len = size * n, cut = len;
  if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
    http_out_reset_response(f->out);
    free(f->location);
    f->location = NULL;
    return len;
  }
  while (cut > 0 && (buf[cut - 1] == '\n' || buf[cut - 1] == '\r'))
    cut--;
  if (cut > 0 && !take_header(f, buf, cut)) {
    f->nomem = true;
    return 0;
  }
  return len;
}

/* The body is kept up to body_max; past it the transfer stops, and the
** write error that curl then reports is no failure. */
static size_t on_body(char *buf, size_t size, size_t n, void *ud) {
  fetch *f = ud;
  http_out *o = f->out;
  size_t len = size * n, room = f->call->body_max - o->body_len;
  size_t take = len < room ? len : room;
  if (take && !o->body && !(o->body = malloc(f->call->body_max))) {
    f->nomem = true;
    return 0;
  }
  memcpy(o->body + o->body_len, buf, take);
  o->body_len += take;
  if (take < len)
    o->body_truncated = true;
  return take;
}

/* ---- making the transfer ---- */

static bool header_is(const Plugsup__HttpHeader *h, const char *name) {
  return h->name.len == strlen(name) &&
         strncasecmp((const char *)h->name.data, name, h->name.len) == 0;
}

/* Credentials go only where the plugin sent them, as browsers and curl
** do: a redirect to another origin loses them. */
static bool is_credential(const Plugsup__HttpHeader *h) {
  return header_is(h, "authorization") || header_is(h, "cookie") ||
         header_is(h, "proxy-authorization");
}

static struct curl_slist *add_line(struct curl_slist *l, const char *line,
                                   bool *ok) {
  struct curl_slist *more = line ? curl_slist_append(l, line) : NULL;
  *ok = *ok && more;
  return more ? more : l;
}

/* "Name: value", or "Name;" for an empty value (curl's way to send one). */
static struct curl_slist *add_header(struct curl_slist *l,
                                     const Plugsup__HttpHeader *h, bool *ok) {
  size_t n = h->name.len + h->value.len + 3;
  char *line = malloc(n);
  if (line && h->value.len)
    snprintf(line, n, "%.*s: %.*s", (int)h->name.len,
             (const char *)h->name.data, (int)h->value.len,
             (const char *)h->value.data);
  else if (line)
    snprintf(line, n, "%.*s;", (int)h->name.len, (const char *)h->name.data);
  l = add_line(l, line, ok);
  free(line);
  return l;
}

/* The plugin's headers, and no others of curl's making: no "Expect:
** 100-continue", no made-up Content-Type for a body. */
static struct curl_slist *hop_headers(const fetch *f, bool *ok) {
  struct curl_slist *l = NULL;
  bool typed = false;
  *ok = true;
  for (size_t i = 0; i < f->call->n_headers; i++) {
    const Plugsup__HttpHeader *h = f->call->headers[i];
    if (!f->h.same_origin && is_credential(h))
      continue;
    typed |= header_is(h, "content-type");
    l = add_header(l, h, ok);
  }
  l = add_line(l, "Expect:", ok); /* "Name:" with no value: not sent */
  if (f->h.with_body && !typed)
    l = add_line(l, "Content-Type:", ok);
  return l;
}

static void hop_method(const fetch *f, CURL *c) {
  const char *m = f->h.method;
  const Plugsup__HttpCall *call = f->call;
  if (f->h.with_body) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                     (curl_off_t)call->body.len);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS,
                     call->body.len ? (const char *)call->body.data : "");
  }
  if (strcmp(m, "HEAD") == 0)
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  else if (strcmp(m, f->h.with_body ? "POST" : "GET") != 0)
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m);
}

/* Every option, set afresh for each hop. */
static void hop_options(fetch *f, CURL *c, struct curl_slist *headers,
                        long left_ms) {
  curl_easy_reset(c);
  curl_easy_setopt(c, CURLOPT_CURLU, f->h.url);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROXY, "");
  curl_easy_setopt(c, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, left_ms);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, left_ms);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, f);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, f);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, f->errbuf);
  hop_method(f, c);
}

/* ---- errors ---- */

#define CURL_NAME_(rc)                                                         \
  { rc, #rc }
static const struct {
  CURLcode rc;
  const char *name;
} curl_names[] = {
    CURL_NAME_(CURLE_UNSUPPORTED_PROTOCOL),
    CURL_NAME_(CURLE_URL_MALFORMAT),
    CURL_NAME_(CURLE_COULDNT_RESOLVE_HOST),
    CURL_NAME_(CURLE_COULDNT_CONNECT),
    CURL_NAME_(CURLE_WEIRD_SERVER_REPLY),
    CURL_NAME_(CURLE_HTTP2),
    CURL_NAME_(CURLE_PARTIAL_FILE),
    CURL_NAME_(CURLE_WRITE_ERROR),
    CURL_NAME_(CURLE_OUT_OF_MEMORY),
    CURL_NAME_(CURLE_OPERATION_TIMEDOUT),
    CURL_NAME_(CURLE_SSL_CONNECT_ERROR),
    CURL_NAME_(CURLE_TOO_MANY_REDIRECTS),
    CURL_NAME_(CURLE_GOT_NOTHING),
    CURL_NAME_(CURLE_SEND_ERROR),
    CURL_NAME_(CURLE_RECV_ERROR),
    CURL_NAME_(CURLE_SSL_CERTPROBLEM),
    CURL_NAME_(CURLE_SSL_CIPHER),
    CURL_NAME_(CURLE_PEER_FAILED_VERIFICATION),
    CURL_NAME_(CURLE_BAD_CONTENT_ENCODING),
    CURL_NAME_(CURLE_SSL_CACERT_BADFILE),
    CURL_NAME_(CURLE_HTTP2_STREAM),
};
#undef CURL_NAME_

/* The code of a failed transfer: the system's error name when a system
** call failed (ECONNREFUSED), else curl's. */
static void error_code(CURL *c, CURLcode rc, char *buf, size_t len) {
  long os = 0;
  const char *name = NULL;
  curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os);
  if (os > 0 && (rc == CURLE_COULDNT_CONNECT || rc == CURLE_SEND_ERROR ||
                 rc == CURLE_RECV_ERROR))
    name = strerrorname_np((int)os);
  for (size_t i = 0; !name && i < sizeof curl_names / sizeof *curl_names; i++)
    if (curl_names[i].rc == rc)
      name = curl_names[i].name;
  if (name)
    snprintf(buf, len, "%s", name);
  else
    snprintf(buf, len, "CURLE_%d", (int)rc);
}

static void transfer_failed(fetch *f, CURL *c, CURLcode rc) {
  char code[32];
  const char *what = f->errbuf[0] ? f->errbuf : curl_easy_strerror(rc);
  if (f->nomem) {
    http_fail(f->out, "internal", "", "out of memory");
  } else if (f->refused && rc == CURLE_COULDNT_CONNECT) {
    http_fail(f->out, "capability", "", "%s", f->refusal);
  } else if (rc == CURLE_OPERATION_TIMEDOUT) {
    http_fail(f->out, "timeout", "ETIMEDOUT", "%s", what);
    f->out->is_timeout = true;
  } else {
    error_code(c, rc, code, sizeof code);
    http_fail(f->out, "network", code, "%s", what);
    f->out->is_not_found = rc == CURLE_COULDNT_RESOLVE_HOST;
  }
}

/* ---- redirects ---- */

static bool is_redirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 ||
         status == 308;
}

static char *origin_of(const hop *h) {
  size_t n = strlen(h->scheme) + strlen(h->host) + 16;
  char *s = malloc(n);
  if (s)
    snprintf(s, n, "%s://%s:%u", h->scheme, h->host, h->port);
  return s;
}

/* What the next hop asks: 303, and 301 or 302 after a POST, become a GET
** without body, as browsers do; 307 and 308 ask the same again. */
static void redirect_method(hop *h, long status) {
  bool to_get =
      (status == 303 && strcmp(h->method, "HEAD") != 0) ||
      ((status == 301 || status == 302) && strcmp(h->method, "POST") == 0);
  if (to_get) {
    h->method = "GET";
    h->with_body = false;
  }
}

/* Moves f to the hop the response sends it to; false when the response
** is final or the redirect cannot be followed (error set). */
static bool next_hop(fetch *f, CURL *c) {
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (!is_redirect(status) || !f->location)
    return false;
  if (f->index == f->call->redirects_max) {
    http_fail(f->out, "network", "CURLE_TOO_MANY_REDIRECTS",
              "more than %u redirects", f->call->redirects_max);
    return false;
  }
  CURLU *next = curl_url_dup(f->h.url);
  if (!next || curl_url_set(next, CURLUPART_URL, f->location,
                            CURLU_URLENCODE | CURLU_ALLOW_SPACE) != CURLUE_OK) {
    curl_url_cleanup(next);
    http_fail(f->out, "network", "CURLE_URL_MALFORMAT",
              "redirect to a Location that is no URL: '%.200s'", f->location);
    return false;
  }
  hop_clear(&f->h);
  f->h.url = next;
  redirect_method(&f->h, status);
  f->index++;
  return true;
}

/* ---- the request ---- */

/* Makes one hop's transfer; false when it was the last. */
static bool hop_run(fetch *f, CURL *c) {
  struct curl_slist *headers = NULL;
  bool ok;
  uint64_t now = now_ms();
  if (!hop_parse(f) || !hop_allowed(f))
    return false;
  char *origin = origin_of(&f->h);
  if (!origin || (!f->first_origin && !(f->first_origin = strdup(origin))))
    goto nomem;
  f->h.same_origin = strcmp(origin, f->first_origin) == 0;
  free(origin);
  origin = NULL;
  if (now >= f->end_ms) {
    http_fail(f->out, "timeout", "ETIMEDOUT", "no time left for %s",
              f->index ? "the redirect" : "the request");
    f->out->is_timeout = true;
    return false;
  }
  if (!(headers = hop_headers(f, &ok)) || !ok)
    goto nomem;
  hop_options(f, c, headers, (long)(f->end_ms - now));
  f->refused = false;
  f->errbuf[0] = '\0';
  http_out_reset_response(f->out);
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  f->out->status = (int)status;
  if (rc != CURLE_OK &&
      !(rc == CURLE_WRITE_ERROR && f->out->body_truncated && !f->nomem)) {
    transfer_failed(f, c, rc);
    return false;
  }
  return next_hop(f, c);
nomem:
  free(origin);
  curl_slist_free_all(headers);
  http_fail(f->out, "internal", "", "out of memory");
  return false;
}

void http_fetch(const Plugsup__HttpCall *call, const policy *p, http_out *o) {
  fetch f = {.call = call, .pol = p, .out = o};
  CURL *c = NULL;
  f.https_only = call->https_only || policy_https_only(p);
  f.end_ms = now_ms() + call->timeout_ms;
  f.h.method = call->method;
  f.h.with_body = call->body.len > 0 || strcmp(call->method, "POST") == 0 ||
                  strcmp(call->method, "PUT") == 0 ||
                  strcmp(call->method, "PATCH") == 0;
  if (!call_valid(call, o))
    return;
  if (!(c = curl_easy_init()) || !(f.h.url = curl_url())) {
    http_fail(o, "internal", "", "out of memory");
    goto done;
  }
  if (curl_url_set(f.h.url, CURLUPART_URL, call->url, 0) != CURLUE_OK) {
    http_fail(o, "validation", "CURLE_URL_MALFORMAT", "bad url '%.200s'",
              call->url);
    goto done;
  }
  while (hop_run(&f, c))
    ;
done:
  hop_clear(&f.h);
  free(f.first_origin);
  free(f.location);
  curl_easy_cleanup(c);
}
