/*
** wire.c: reglet_host's JSON (wire.h). Reading: the plugin's bytes are
** made valid UTF-8 the way Go reads them, bounded, parsed by Jansson, and
** each field is then taken as Go's decoder would set it. Writing: a small
** emitter of our own, because Go's escapes (<, >, & as \u003c..., invalid
** bytes as \ufffd, \b and \f) are not Jansson's.
*/
#include "wire.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Both fill err and make the caller's result -1. */
#define INVALID(err, ...) \
  (net_error_set((err), "validation", "", __VA_ARGS__), -1)
#define REFUSE(err, ...) (net_error_set((err), "config", "", __VA_ARGS__), -1)

/* ---- the functions of reglet_host ---- */

static const char *const function_names[] = {
#define WIRE_X_(k, name) [k] = name,
    WIRE_FUNCTION_LIST(WIRE_X_)
#undef WIRE_X_
};

int wire_kind_of(const char *name) {
  for (int k = 0; k < WIRE_KIND_COUNT; k++)
    if (strcmp(function_names[k], name) == 0)
      return k;
  return -1;
}

const char *wire_function_name(int kind) {
  return kind >= 0 && kind < WIRE_KIND_COUNT ? function_names[kind] : NULL;
}

/* ---- UTF-8 as Go sees it ---- */

/* The length of the valid UTF-8 sequence at s (n bytes left), or 0 where
** Go's utf8.DecodeRune finds an invalid byte: a stray continuation, a
** sequence cut short, an overlong form, a surrogate, past U+10FFFF. */
static size_t utf8_seq(const uint8_t *s, size_t n) {
  uint8_t c = s[0], lo = 0x80, hi = 0xBF;
  size_t len;
  if (c < 0x80)
    return 1;
  if (c < 0xC2 || c > 0xF4)
    return 0;
  len = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  if (c == 0xE0)
    lo = 0xA0;
  else if (c == 0xED)
    hi = 0x9F;
  else if (c == 0xF0)
    lo = 0x90;
  else if (c == 0xF4)
    hi = 0x8F;
  if (n < len || s[1] < lo || s[1] > hi)
    return 0;
  for (size_t i = 2; i < len; i++)
    if ((s[i] & 0xC0) != 0x80)
      return 0;
  return len;
}

/* The request as Go's decoder reads it: each invalid byte becomes U+FFFD
** (Jansson would refuse the text; outside a string the byte is a syntax
** error either way). *copy is NULL when the bytes were valid already.
** NULL when out of memory. */
static const char *as_go_reads(const uint8_t *s, size_t n, char **copy,
                               size_t *outlen) {
  size_t i = 0, k;
  while (i < n && (k = utf8_seq(s + i, n - i)) != 0)
    i += k;
  *copy = NULL;
  *outlen = n;
  if (i == n)
    return n ? (const char *)s : ""; /* s may be NULL when empty */
  char *o = malloc(3 * n), *p = o;
  if (!o)
    return NULL;
  for (i = 0; i < n; i += k) {
    if ((k = utf8_seq(s + i, n - i)) == 0) {
      memcpy(p, "\xEF\xBF\xBD", 3);
      p += 3;
      k = 1;
    } else {
      memcpy(p, s + i, k);
      p += k;
    }
  }
  *copy = o;
  *outlen = (size_t)(p - o);
  return o;
}

/* Whether arrays and objects nest at most WIRE_DEPTH_MAX deep. Checked
** before Jansson, whose own bound (2048) is deep recursion. */
static bool depth_ok(const char *s, size_t n) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < n; i++) {
    if (in_string) {
      if (s[i] == '\\')
        i++;
      else if (s[i] == '"')
        in_string = false;
    } else if (s[i] == '"') {
      in_string = true;
    } else if (s[i] == '[' || s[i] == '{') {
      if (++depth > WIRE_DEPTH_MAX)
        return false;
    } else if (s[i] == ']' || s[i] == '}') {
      depth--;
    }
  }
  return true;
}

/* ---- fields as Go's decoder sets them ---- */

/* Whether a member name selects the field tagged tag (lower-case ASCII)
** as Go matches names: case aside, U+212A (Kelvin) folding to k and U+017F
** (long s) to s, the only non-ASCII letters that fold onto ASCII ones. */
static bool go_name_eq(const char *name, const char *tag) {
  const unsigned char *k = (const unsigned char *)name;
  for (; *tag; tag++) {
    int c;
    if (k[0] == 0xE2 && k[1] == 0x84 && k[2] == 0xAA) {
      c = 'k';
      k += 3;
    } else if (k[0] == 0xC5 && k[1] == 0xBF) {
      c = 's';
      k += 2;
    } else {
      c = *k >= 'A' && *k <= 'Z' ? *k + ('a' - 'A') : *k;
      if (*k++ == '\0')
        return false;
    }
    if (c != *tag)
      return false;
  }
  return *k == '\0';
}

/* The value Go would decode into obj's field tag: of the members whose
** names match, the last that is not null (null leaves a Go field as it
** was). NULL when none. */
static json_t *member(json_t *obj, const char *tag) {
  const char *name;
  json_t *v, *found = NULL;
  json_object_foreach(obj, name, v) {
    if (!json_is_null(v) && go_name_eq(name, tag))
      found = v;
  }
  return found;
}

/* v as a C string: null is "", a NUL inside is refused (it would cut the
** string short where the plugin did not). */
static int string_value(json_t *v, const char *name, const char **out,
                        net_error *err) {
  *out = "";
  if (!v || json_is_null(v))
    return 0;
  if (!json_is_string(v))
    return INVALID(err, "'%s' must be a string", name);
  if (strlen(json_string_value(v)) != json_string_length(v))
    return INVALID(err, "'%s' holds a NUL byte", name);
  *out = json_string_value(v);
  return 0;
}

static int get_string(json_t *obj, const char *tag, const char *name,
                      const char **out, net_error *err) {
  return string_value(member(obj, tag), name, out, err);
}

/* Go's int64 takes integer literals only: 5.0 and 5e0 are refused. */
static int get_int(json_t *obj, const char *tag, const char *name,
                   int64_t *out, net_error *err) {
  json_t *v = member(obj, tag);
  *out = 0;
  if (!v)
    return 0;
  if (!json_is_integer(v))
    return INVALID(err, "'%s' must be an integer", name);
  *out = json_integer_value(v);
  return 0;
}

static int get_bool(json_t *obj, const char *tag, const char *name,
                    bool *out, net_error *err) {
  json_t *v = member(obj, tag);
  *out = false;
  if (!v)
    return 0;
  if (!json_is_boolean(v))
    return INVALID(err, "'%s' must be true or false", name);
  *out = json_is_true(v);
  return 0;
}

/* An array of at most WIRE_ARRAY_MAX entries into *out (NULL when
** absent: Go's nil slice). */
static int get_array(json_t *obj, const char *tag, const char *name,
                     json_t **out, net_error *err) {
  json_t *v = member(obj, tag);
  *out = NULL;
  if (!v)
    return 0;
  if (!json_is_array(v))
    return INVALID(err, "'%s' must be an array", name);
  if (json_array_size(v) > WIRE_ARRAY_MAX)
    return INVALID(err, "'%s' has more than %u entries", name,
                   WIRE_ARRAY_MAX);
  *out = v;
  return 0;
}

/* ---- time.Time ---- */

typedef struct go_time {
  int64_t sec; /* since the epoch */
  int32_t nsec;
} go_time;

/* Go's zero time, 0001-01-01T00:00:00Z: what the SDK sends for "none". */
#define GO_ZERO_TIME_SEC (-62135596800LL)

static bool leap(int64_t y) {
  return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int days_in(int m, int64_t y) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* n decimal digits at s within lo..hi, else -1. */
static int digits(const char *s, int n, int lo, int hi) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v >= lo && v <= hi ? v : -1;
}

/* The nanoseconds of a fraction's digits: the first nine count, as Go. */
static const char *fraction(const char *p, int32_t *nsec) {
  int32_t scale = 100000000;
  for (*nsec = 0; *p >= '0' && *p <= '9'; p++, scale /= 10)
    *nsec += (int32_t)(*p - '0') * scale;
  return p;
}

/* RFC 3339 as Go's time.Time.UnmarshalJSON reads it: YYYY-MM-DDTHH:MM:SS,
** an optional fraction, then Z or +HH:MM / -HH:MM; every part in range
** (no leap second, no 24:00, a day that exists). */
static bool parse_rfc3339(const char *s, go_time *t) {
  if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
      s[13] != ':' || s[16] != ':')
    return false;
  int y = digits(s, 4, 0, 9999), mo = digits(s + 5, 2, 1, 12);
  int d = mo < 0 ? -1 : digits(s + 8, 2, 1, days_in(mo, y));
  int h = digits(s + 11, 2, 0, 23), mi = digits(s + 14, 2, 0, 59);
  int se = digits(s + 17, 2, 0, 59), off = 0;
  const char *p = s + 19;
  if (y < 0 || d < 0 || h < 0 || mi < 0 || se < 0)
    return false;
  t->nsec = 0;
  if (p[0] == '.' && p[1] >= '0' && p[1] <= '9')
    p = fraction(p + 1, &t->nsec);
  if (strcmp(p, "Z") != 0) {
    if (strlen(p) != 6 || (p[0] != '+' && p[0] != '-') || p[3] != ':')
      return false;
    int oh = digits(p + 1, 2, 0, 23), om = digits(p + 4, 2, 0, 59);
    if (oh < 0 || om < 0)
      return false;
    off = (p[0] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
  }
  t->sec = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
  return true;
}

/* A time field: *present false when absent, null, or Go's zero time. */
static int get_time(json_t *obj, const char *tag, const char *name,
                    bool *present, go_time *t, net_error *err) {
  json_t *v = member(obj, tag);
  const char *s;
  *present = false;
  if (!v)
    return 0;
  if (string_value(v, name, &s, err) < 0)
    return -1;
  if (!parse_rfc3339(s, t))
    return INVALID(err, "'%s' is not an RFC 3339 time: '%.64s'", name, s);
  *present = t->sec != GO_ZERO_TIME_SEC || t->nsec != 0;
  return 0;
}

/* ---- the context ---- */

/* A bound on the time the call may take: the shortest one counts. */
static void bound(wire_request *r, int64_t ms) {
  if (ms > 0 && (r->timeout_ms == 0 || ms < r->timeout_ms))
    r->timeout_ms = ms;
}

/* A positive timeout_ms counts first: the SDK computes it beside the
** deadline from the plugin's own wall clock, which, without the clock
** grant, is not the host's, so only the difference means the same on
** both sides. A deadline alone (reglet's host prefers it) is read on the
** host's clock, rounded up to the millisecond so that one still ahead is
** never read as passed. */
static int parse_context(json_t *root, int64_t now_ms, wire_request *r,
                         net_error *err) {
  json_t *c = member(root, "context");
  go_time dl;
  bool has_deadline = false;
  int64_t timeout = 0;
  r->request_id = "";
  if (!c)
    return 0;
  if (!json_is_object(c))
    return INVALID(err, "'context' must be an object");
  if (get_time(c, "deadline", "context.deadline", &has_deadline, &dl,
               err) < 0 ||
      get_int(c, "timeout_ms", "context.timeout_ms", &timeout, err) < 0 ||
      get_string(c, "request_id", "context.request_id", &r->request_id,
                 err) < 0 ||
      get_bool(c, "canceled", "context.Canceled", &r->canceled, err) < 0)
    return -1;
  if (!has_deadline || timeout > 0) {
    bound(r, timeout);
    return 0;
  }
  int64_t left = dl.sec * 1000 + (dl.nsec + 999999) / 1000000 - now_ms;
  if (left <= 0)
    r->expired = true;
  else
    bound(r, left);
  return 0;
}

/* ---- the requests ---- */

/* Decimal digits only (no sign, no service name), 1..65535. */
static bool parse_port(const char *s, uint16_t *port) {
  unsigned long v = 0;
  if (!*s)
    return false;
  for (; *s; s++) {
    if (*s < '0' || *s > '9' || (v = v * 10 + (unsigned)(*s - '0')) > 65535)
      return false;
  }
  *port = (uint16_t)v;
  return v > 0;
}

/* "1.2.3.4:53" or "[::1]:53": an address literal and a port. */
static bool nameserver_ok(const char *s) {
  const char *colon = strrchr(s, ':');
  char host[64];
  uint16_t port;
  unsigned char addr[16];
  if (!colon || !parse_port(colon + 1, &port) ||
      (size_t)(colon - s) >= sizeof host)
    return false;
  memcpy(host, s, (size_t)(colon - s));
  host[colon - s] = '\0';
  if (host[0] != '[')
    return inet_pton(AF_INET, host, addr) == 1;
  size_t n = strlen(host);
  if (n < 3 || host[n - 1] != ']')
    return false;
  host[n - 1] = '\0';
  return inet_pton(AF_INET6, host + 1, addr) == 1;
}

static int parse_dns(json_t *root, wire_request *r, net_error *err) {
  static const char *const types[] = {"A", "AAAA", "CNAME", "MX", "TXT", "NS"};
  const char *ns;
  size_t i = 0;
  if (get_string(root, "hostname", "hostname", &r->dns.hostname, err) < 0 ||
      get_string(root, "type", "type", &r->dns.type, err) < 0 ||
      get_string(root, "nameserver", "nameserver", &ns, err) < 0)
    return -1;
  if (!*r->dns.hostname)
    return REFUSE(err, "hostname cannot be empty");
  while (i < sizeof types / sizeof *types && strcmp(types[i], r->dns.type))
    i++;
  if (i == sizeof types / sizeof *types)
    return REFUSE(err, "unsupported record type: %.32s", r->dns.type);
  if (*ns && !nameserver_ok(ns))
    return REFUSE(err,
                  "nameserver must be an IP address and a port (1.2.3.4:53, "
                  "[::1]:53): '%.64s'",
                  ns);
  r->dns.nameserver = *ns ? ns : NULL;
  return 0;
}

/* TCP and SMTP. timeout_ms narrows the context's time; with tls, reglet
** speaks TLS from the start and never STARTTLS. */
static int parse_tcp(json_t *root, wire_request *r, net_error *err) {
  const char *port;
  int64_t timeout;
  if (get_string(root, "host", "host", &r->tcp.host, err) < 0 ||
      get_string(root, "port", "port", &port, err) < 0 ||
      get_int(root, "timeout_ms", "timeout_ms", &timeout, err) < 0 ||
      get_bool(root, "tls", "tls", &r->tcp.tls, err) < 0 ||
      (r->kind == NET_SMTP &&
       get_bool(root, "starttls", "starttls", &r->tcp.starttls, err) < 0))
    return -1;
  bound(r, timeout);
  if (!*r->tcp.host)
    return REFUSE(err, "host cannot be empty");
  if (!*port)
    return REFUSE(err, "port cannot be empty");
  if (!parse_port(port, &r->tcp.port))
    return REFUSE(err, "port must be a number from 1 to 65535: '%.64s'", port);
  if (r->tcp.tls)
    r->tcp.starttls = false;
  return 0;
}

/* The strings of an array (NULL: none) into out[0..], counted in *n. */
static int strings(json_t *arr, const char *name, const char **out,
                   size_t *n, net_error *err) {
  json_t *v;
  size_t i;
  char elem[48];
  json_array_foreach(arr, i, v) {
    snprintf(elem, sizeof elem, "%s[%zu]", name, i);
    if (string_value(v, elem, &out[i], err) < 0)
      return -1;
  }
  *n = arr ? json_array_size(arr) : 0;
  return 0;
}

/* The name of an environment entry as Go's os/exec reads it: up to the
** first '=' that is not the first byte (up to none when that is the only
** one); -1 for an entry without '=', which Go passes as it is. */
static ptrdiff_t env_key_len(const char *kv) {
  const char *eq = strchr(kv, '=');
  if (eq == kv)
    eq = strchr(kv + 1, '=');
  if (!eq)
    return kv[0] == '=' ? 0 : -1;
  return eq - kv;
}

typedef struct env_entry {
  const char *kv;
  ptrdiff_t klen;
  size_t pos;
} env_entry;

/* By name, then by position: the last of each name ends its run. */
static int env_cmp(const void *pa, const void *pb) {
  const env_entry *a = pa, *b = pb;
  size_t n = (size_t)(a->klen < b->klen ? a->klen : b->klen);
  int c = memcmp(a->kv, b->kv, n);
  if (c == 0)
    c = (a->klen > b->klen) - (a->klen < b->klen);
  return c ? c : (a->pos > b->pos) - (a->pos < b->pos);
}

/* Go's os/exec passes the environment as given but drops empty entries
** and all but the last entry of each name; the order of those kept
** stays. Sorted, not compared pairwise: 4096 entries must stay cheap. */
static int env_dedup(const char **env, size_t *n) {
  env_entry *e = calloc(*n ? *n : 1, sizeof *e);
  size_t keyed = 0, kept = 0;
  bool *drop = calloc(*n ? *n : 1, sizeof *drop);
  int rc = -1;
  if (!e || !drop)
    goto done;
  for (size_t i = 0; i < *n; i++) {
    ptrdiff_t k = env_key_len(env[i]);
    drop[i] = !*env[i];
    if (k >= 0)
      e[keyed++] = (env_entry){env[i], k, i};
  }
  qsort(e, keyed, sizeof *e, env_cmp);
  for (size_t i = 0; i + 1 < keyed; i++)
    drop[e[i].pos] = e[i].klen == e[i + 1].klen &&
                     memcmp(e[i].kv, e[i + 1].kv, (size_t)e[i].klen) == 0;
  for (size_t i = 0; i < *n; i++)
    if (!drop[i])
      env[kept++] = env[i];
  env[kept] = NULL;
  *n = kept;
  rc = 0;
done:
  free(e);
  free(drop);
  return rc;
}

static int parse_exec(json_t *root, wire_request *r, net_error *err) {
  json_t *args, *env;
  const char *dir;
  const char **argv = NULL, **envp = NULL;
  if (get_string(root, "command", "command", &r->command, err) < 0 ||
      get_array(root, "args", "args", &args, err) < 0 ||
      get_string(root, "dir", "dir", &dir, err) < 0 ||
      get_array(root, "env", "env", &env, err) < 0)
    return -1;
  if (!*r->command)
    return REFUSE(err, "command cannot be empty");
  /* One more for argv[0], one more each for the NULL that execve wants. */
  r->exec.argv = argv = calloc(json_array_size(args) + 2, sizeof *argv);
  r->exec.env = envp = calloc(json_array_size(env) + 1, sizeof *envp);
  if (!argv || !envp) {
    net_error_set(err, "internal", "", "out of memory");
    return -1;
  }
  argv[0] = r->command;
  if (strings(args, "args", argv + 1, &r->exec.argc, err) < 0 ||
      strings(env, "env", envp, &r->exec.nenv, err) < 0)
    return -1;
  r->exec.argc++;
  if (env_dedup(envp, &r->exec.nenv) < 0) {
    net_error_set(err, "internal", "", "out of memory");
    return -1;
  }
  r->exec.dir = *dir ? dir : NULL;
  return 0;
}

static int parse_attr(json_t *v, size_t i, wire_attr *a, net_error *err) {
  char name[48];
  *a = (wire_attr){"", "", ""};
  if (json_is_null(v))
    return 0;
  if (!json_is_object(v))
    return INVALID(err, "'attrs[%zu]' must be an object", i);
  snprintf(name, sizeof name, "attrs[%zu].key", i);
  if (get_string(v, "key", name, &a->key, err) < 0)
    return -1;
  snprintf(name, sizeof name, "attrs[%zu].type", i);
  if (get_string(v, "type", name, &a->type, err) < 0)
    return -1;
  snprintf(name, sizeof name, "attrs[%zu].value", i);
  return get_string(v, "value", name, &a->value, err);
}

static int parse_log(json_t *root, wire_request *r, net_error *err) {
  wire_log *l = &r->log;
  json_t *attrs, *v;
  go_time ts;
  bool has_ts;
  size_t i;
  if (get_string(root, "level", "level", &l->level, err) < 0 ||
      get_string(root, "message", "message", &l->message, err) < 0 ||
      get_time(root, "timestamp", "timestamp", &has_ts, &ts, err) < 0 ||
      get_array(root, "attrs", "attrs", &attrs, err) < 0)
    return -1;
  /* Floor to the millisecond, also before 1970. */
  l->timestamp_ms = has_ts ? ts.sec * 1000 + ts.nsec / 1000000 : INT64_MIN;
  if (attrs && !(l->attrs = calloc(json_array_size(attrs), sizeof *l->attrs))) {
    net_error_set(err, "internal", "", "out of memory");
    return -1;
  }
  json_array_foreach(attrs, i, v) {
    if (parse_attr(v, i, &l->attrs[i], err) < 0)
      return -1;
  }
  l->nattrs = attrs ? json_array_size(attrs) : 0;
  return 0;
}

/* ---- base64, as Go's StdEncoding (padded; \r and \n ignored) ---- */

static int b64_value(uint8_t c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

/* Decodes s into out (room for 3/4 of its length); the decoded length,
** or -1 when s is not padded base64. */
static long b64_decode(const char *s, uint8_t *out) {
  uint32_t acc = 0;
  int have = 0, pad = 0;
  long n = 0;
  for (; *s; s++) {
    int v = *s == '=' ? 0 : b64_value((uint8_t)*s);
    if (*s == '\r' || *s == '\n')
      continue;
    if (v < 0 || (pad && *s != '='))
      return -1;
    pad += *s == '=';
    acc = acc << 6 | (uint32_t)v;
    if (++have < 4)
      continue;
    if (pad > 2)
      return -1;
    out[n++] = (uint8_t)(acc >> 16);
    if (pad < 2)
      out[n++] = (uint8_t)(acc >> 8);
    if (pad < 1)
      out[n++] = (uint8_t)acc;
    acc = 0;
    have = 0;
  }
  return have ? -1 : n;
}

/* headers: {"Name": ["value", ...]}, one net_header per value. */
static int parse_headers(json_t *root, wire_request *r, net_error *err) {
  json_t *h = member(root, "headers"), *vals, *v;
  const char *name;
  size_t n = 0, i;
  if (!h)
    return 0;
  if (!json_is_object(h))
    return INVALID(err, "'headers' must be an object");
  json_object_foreach(h, name, vals) {
    if (!json_is_null(vals) && !json_is_array(vals))
      return INVALID(err, "'headers.%s' must be an array", name);
    n += json_is_array(vals) ? json_array_size(vals) : 0;
  }
  if (n > NET_HTTP_HEADERS_MAX)
    return INVALID(err, "'headers' has more than %u values",
                   NET_HTTP_HEADERS_MAX);
  if (n && !(r->http_headers_ = calloc(n, sizeof *r->http_headers_))) {
    net_error_set(err, "internal", "", "out of memory");
    return -1;
  }
  json_object_foreach(h, name, vals) {
    if (!*name || strlen(name) != strcspn(name, "\r\n:"))
      return INVALID(err, "header name '%s' is not a token", name);
    json_array_foreach(vals, i, v) {
      const char *text;
      if (string_value(v, "headers", &text, err) < 0)
        return -1;
      if (strcspn(text, "\r\n") != strlen(text))
        return INVALID(err, "header '%s' holds a line break", name);
      r->http_headers_[r->http.nheaders++] =
          (net_header){(char *)name, (char *)text};
    }
  }
  r->http.headers = r->http_headers_;
  return 0;
}

static int parse_http(json_t *root, wire_request *r, net_error *err) {
  const char *body;
  long n;
  if (get_string(root, "method", "method", &r->http.method, err) < 0 ||
      get_string(root, "url", "url", &r->http.url, err) < 0 ||
      get_string(root, "body", "body", &body, err) < 0 ||
      parse_headers(root, r, err) < 0)
    return -1;
  if (!*r->http.method)
    r->http.method = "GET";
  if (!*r->http.url)
    return REFUSE(err, "url cannot be empty");
  if (!*body)
    return 0;
  if (!(r->http_body_ = malloc(strlen(body) / 4 * 3 + 3))) {
    net_error_set(err, "internal", "", "out of memory");
    return -1;
  }
  if ((n = b64_decode(body, r->http_body_)) < 0)
    return REFUSE(err, "failed to decode request body: it is not base64");
  r->http.body = r->http_body_;
  r->http.body_len = (size_t)n;
  return 0;
}

static int (*const parsers[WIRE_KIND_COUNT])(json_t *, wire_request *,
                                             net_error *) = {
    [NET_DNS] = parse_dns,   [NET_TCP] = parse_tcp, [NET_SMTP] = parse_tcp,
    [NET_EXEC] = parse_exec, [NET_HTTP] = parse_http, [WIRE_LOG] = parse_log,
};

/* The text as a JSON object (Go takes a top-level null as no field set). */
static json_t *load(const uint8_t *json, size_t len, net_error *err) {
  char *copy;
  size_t n;
  json_error_t e;
  json_t *root = NULL;
  const char *text = as_go_reads(json, len, &copy, &n);
  if (!text)
    net_error_set(err, "internal", "", "out of memory");
  else if (!depth_ok(text, n))
    (void)INVALID(err, "request is nested deeper than %d levels",
                  WIRE_DEPTH_MAX);
  else if (!(root = json_loadb(text, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e)))
    (void)INVALID(err, "request is not JSON: %s at line %d column %d", e.text,
            e.line, e.column);
  else if (json_is_null(root)) {
    json_decref(root);
    if (!(root = json_object()))
      net_error_set(err, "internal", "", "out of memory");
  } else if (!json_is_object(root)) {
    (void)INVALID(err, "request is not a JSON object");
    json_decref(root);
    root = NULL;
  }
  free(copy);
  return root;
}

int wire_parse(int kind, const uint8_t *json, size_t len, int64_t now_ms,
               wire_request *out, net_error *err) {
  memset(out, 0, sizeof *out);
  memset(err, 0, sizeof *err);
  out->kind = kind;
  if (kind < 0 || kind >= WIRE_KIND_COUNT) {
    net_error_set(err, "internal", "", "no host function of kind %d", kind);
    goto fail;
  }
  if (len > WIRE_REQUEST_MAX) {
    (void)INVALID(err, "request is larger than %u bytes", WIRE_REQUEST_MAX);
    goto fail;
  }
  if (!(out->doc_ = load(json, len, err)) ||
      parse_context(out->doc_, now_ms, out, err) < 0 ||
      parsers[kind](out->doc_, out, err) < 0)
    goto fail;
  return 0;
fail:
  wire_request_free(out);
  out->kind = kind;
  return -1;
}

void wire_request_free(wire_request *r) {
  free((void *)r->exec.argv);
  free((void *)r->exec.env);
  free(r->log.attrs);
  free(r->http_headers_);
  free(r->http_body_);
  json_decref(r->doc_);
  memset(r, 0, sizeof *r);
}

/* ---- writing, as Go's json.Marshal ---- */

typedef struct buf {
  char *p;
  size_t n, cap;
  bool oom;
  bool first; /* nothing written yet in the open object or array */
} buf;

/* n bytes of s (NULL when n is 0: an empty output). */
static void put(buf *b, const void *s, size_t n) {
  if (b->oom || n == 0)
    return;
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + n + 1)
      cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
      b->oom = true;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = '\0';
}

static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

/* The escape Go writes for an ASCII byte, into u; NULL: the byte as is.
** HTML-safe: <, > and & are escaped too (json.Marshal's default). */
static const char *ascii_escape(uint8_t c, char u[7]) {
  static const char hex[] = "0123456789abcdef";
  switch (c) {
  case '"': return "\\\"";
  case '\\': return "\\\\";
  case '\b': return "\\b";
  case '\f': return "\\f";
  case '\n': return "\\n";
  case '\r': return "\\r";
  case '\t': return "\\t";
  }
  if (c >= 0x20 && c != '<' && c != '>' && c != '&')
    return NULL;
  snprintf(u, 7, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
  return u;
}

/* The escape Go writes for the sequence at s (*k bytes long, or 0 when
** invalid, then made 1); NULL: the sequence as is. U+2028 and U+2029 are
** escaped because JavaScript reads them as line ends. */
static const char *escape_at(const uint8_t *s, size_t n, size_t *k,
                             char u[7]) {
  if (s[0] < 0x80) {
    *k = 1;
    return ascii_escape(s[0], u);
  }
  if ((*k = utf8_seq(s, n)) == 0) {
    *k = 1;
    return "\\ufffd";
  }
  if (*k == 3 && s[0] == 0xE2 && s[1] == 0x80 && (s[2] == 0xA8 || s[2] == 0xA9))
    return s[2] == 0xA8 ? "\\u2028" : "\\u2029";
  return NULL;
}

/* A Go string: any bytes, written as json.Marshal writes them. */
static void put_string(buf *b, const void *str, size_t n) {
  const uint8_t *s = str;
  size_t start = 0, i = 0, k;
  char u[7];
  if (n == 0) { /* str may be NULL: no arithmetic on it */
    put(b, "\"\"", 2);
    return;
  }
  put(b, "\"", 1);
  while (i < n) {
    const char *esc = escape_at(s + i, n - i, &k, u);
    if (esc) {
      put(b, s + start, i - start);
      puts_(b, esc);
      start = i + k;
    }
    i += k;
  }
  put(b, s + start, n - start);
  put(b, "\"", 1);
}

static void open_(buf *b, const char *bracket) {
  puts_(b, bracket);
  b->first = true;
}

static void close_(buf *b, const char *bracket) {
  puts_(b, bracket);
  b->first = false;
}

/* Before a member or an element: the comma unless it is the first. */
static void sep(buf *b) {
  if (!b->first)
    put(b, ",", 1);
  b->first = false;
}

static void key(buf *b, const char *k) {
  sep(b);
  put_string(b, k, strlen(k));
  put(b, ":", 1);
}

/* Fields; omitempty ones are left out at their zero value, as Go does. */
static void field_bytes(buf *b, const char *k, const void *s, size_t n,
                        bool omitempty) {
  if (omitempty && n == 0)
    return;
  key(b, k);
  put_string(b, s, n);
}

/* A fixed array of net.h's (NUL-terminated unless full) or a string. */
static void field_text(buf *b, const char *k, const char *s, size_t cap,
                       bool omitempty) {
  field_bytes(b, k, s, s ? strnlen(s, cap) : 0, omitempty);
}

static void field_bool(buf *b, const char *k, bool v, bool omitempty) {
  if (omitempty && !v)
    return;
  key(b, k);
  puts_(b, v ? "true" : "false");
}

static void field_int(buf *b, const char *k, int64_t v, bool omitempty) {
  char num[24];
  if (omitempty && v == 0)
    return;
  key(b, k);
  snprintf(num, sizeof num, "%lld", (long long)v);
  puts_(b, num);
}

#define OMIT true
#define KEEP false

/* ErrorDetail: message, type and code always; wrapped and stack are the
** SDK's own and never set by a host. */
static void field_error(buf *b, const net_error *e) {
  if (!e->type[0])
    return;
  key(b, "error");
  open_(b, "{");
  field_text(b, "message", e->message, sizeof e->message, KEEP);
  field_text(b, "type", e->type, sizeof e->type, KEEP);
  field_text(b, "code", e->code, sizeof e->code, KEEP);
  field_bool(b, "is_timeout", e->is_timeout, OMIT);
  field_bool(b, "is_not_found", e->is_not_found, OMIT);
  close_(b, "}");
}

/* time.Time's JSON for whole seconds since the epoch (RFC 3339 in UTC,
** Go's cert.NotAfter), into out; false when the year is outside
** 0..9999, which Go's MarshalJSON refuses. */
static bool format_time(int64_t sec, char out[64]) {
  /* 0000-01-01T00:00:00Z .. 9999-12-31T23:59:59Z, checked first: the
  ** arithmetic below overflows far outside. */
  if (sec < -62167219200LL || sec > 253402300799LL)
    return false;
  int64_t days = sec / 86400 - (sec % 86400 < 0), s = sec - days * 86400;
  int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
  int64_t y = yoe + era * 400 + (m <= 2);
  snprintf(out, 64, "\"%04d-%02d-%02dT%02d:%02d:%02dZ\"", (int)y, (int)m,
           (int)d, (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
  return true;
}

static void dns_fields(buf *b, const net_result *r) {
  if (r->nrecords) {
    key(b, "records");
    open_(b, "[");
    for (size_t i = 0; i < r->nrecords; i++) {
      sep(b);
      put_string(b, r->records[i], strlen(r->records[i]));
    }
    close_(b, "]");
  }
  if (r->nmx) {
    key(b, "mx_records");
    open_(b, "[");
    for (size_t i = 0; i < r->nmx; i++) {
      sep(b);
      open_(b, "{");
      field_text(b, "host", r->mx[i].host, SIZE_MAX, KEEP);
      field_int(b, "pref", r->mx[i].pref, KEEP);
      close_(b, "}");
    }
    close_(b, "]");
  }
}

/* TCPResponseWire and SMTPResponseWire share their first fields and the
** TLS ones; the peer and certificate fields are TCP's, banner SMTP's. */
static void connect_fields(buf *b, const net_result *r, const char *not_after) {
  bool tcp = r->kind == NET_TCP;
  field_bool(b, "connected", r->connected, KEEP);
  field_text(b, "address", r->address, sizeof r->address, OMIT);
  if (tcp) {
    field_text(b, "remote_addr", r->remote_addr, sizeof r->remote_addr, OMIT);
    field_text(b, "local_addr", r->local_addr, sizeof r->local_addr, OMIT);
  } else {
    field_text(b, "banner", r->banner, SIZE_MAX, OMIT);
  }
  field_int(b, "response_time_ms", (int64_t)r->duration_ms, OMIT);
  field_bool(b, "tls", r->tls, OMIT);
  field_text(b, "tls_version", r->tls_version, sizeof r->tls_version, OMIT);
  field_text(b, "tls_cipher_suite", r->tls_cipher_suite,
             sizeof r->tls_cipher_suite, OMIT);
  field_text(b, "tls_server_name", r->tls_server_name,
             sizeof r->tls_server_name, OMIT);
  if (!tcp)
    return;
  field_text(b, "tls_cert_subject", r->tls_cert_subject,
             sizeof r->tls_cert_subject, OMIT);
  field_text(b, "tls_cert_issuer", r->tls_cert_issuer,
             sizeof r->tls_cert_issuer, OMIT);
  if (not_after) {
    key(b, "tls_cert_not_after");
    puts_(b, not_after);
  }
}

static void exec_fields(buf *b, const net_result *r) {
  field_bytes(b, "stdout", r->out, r->out_len, KEEP);
  field_bytes(b, "stderr", r->err, r->err_len, KEEP);
  field_int(b, "exit_code", r->exit_code, KEEP);
  field_int(b, "duration_ms", (int64_t)r->duration_ms, OMIT);
  field_bool(b, "is_timeout", r->is_timeout, OMIT);
  field_error(b, &r->error);
}

/* Go's http.CanonicalHeaderKey: "content-type" is "Content-Type"; a
** name with a byte outside a token is left as it is. */
static void canonical_key(const char *in, char *out, size_t cap) {
  bool upper = true;
  size_t i = 0;
  for (const char *p = in; *p; p++)
    if (*p == ' ' || (uint8_t)*p < 0x21 || (uint8_t)*p > 0x7e) {
      snprintf(out, cap, "%s", in);
      return;
    }
  for (; in[i] && i + 1 < cap; i++) {
    char c = in[i];
    if (upper && c >= 'a' && c <= 'z')
      c = (char)(c - 'a' + 'A');
    else if (!upper && c >= 'A' && c <= 'Z')
      c = (char)(c - 'A' + 'a');
    out[i] = c;
    upper = c == '-';
  }
  out[i] = '\0';
}

typedef struct keyed {
  char key[256];
  size_t index;  /* in the response's headers */
} keyed;

static int by_key(const void *a, const void *b) {
  const keyed *x = a, *y = b;
  int c = strcmp(x->key, y->key);
  return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* A map[string][]string as Go marshals it: keys sorted, each key's
** values in the order received. */
static void headers_field(buf *b, const net_result *r) {
  keyed *k;
  if (!r->nheaders)
    return;
  if (!(k = calloc(r->nheaders, sizeof *k))) {
    b->oom = true;
    return;
  }
  for (size_t i = 0; i < r->nheaders; i++) {
    canonical_key(r->headers[i].name, k[i].key, sizeof k[i].key);
    k[i].index = i;
  }
  qsort(k, r->nheaders, sizeof *k, by_key);
  key(b, "headers");
  open_(b, "{");
  for (size_t i = 0; i < r->nheaders; i++) {
    const char *v = r->headers[k[i].index].value;
    if (i == 0 || strcmp(k[i].key, k[i - 1].key) != 0) {
      if (i)
        close_(b, "]");
      key(b, k[i].key);
      open_(b, "[");
    }
    sep(b);
    put_string(b, v, strlen(v));
  }
  close_(b, "]");
  close_(b, "}");
  free(k);
}

static void b64_field(buf *b, const char *k, const uint8_t *p, size_t n) {
  static const char abc[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char q[4];
  if (n == 0)
    return;
  key(b, k);
  put(b, "\"", 1);
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
                 (i + 2 < n ? p[i + 2] : 0);
    q[0] = abc[v >> 18];
    q[1] = abc[v >> 12 & 63];
    q[2] = i + 1 < n ? abc[v >> 6 & 63] : '=';
    q[3] = i + 2 < n ? abc[v & 63] : '=';
    put(b, q, 4);
  }
  put(b, "\"", 1);
}

static void http_fields(buf *b, const net_result *r) {
  field_int(b, "status_code", r->status_code, KEEP);
  headers_field(b, r);
  b64_field(b, "body", r->body, r->body_len);
  field_bool(b, "body_truncated", r->body_truncated, OMIT);
}

static char *finish(buf *b, size_t *len) {
  if (b->oom) {
    free(b->p);
    return NULL;
  }
  *len = b->n;
  return b->p;
}

/* The members before "error" in a response that holds only an error: the
** fields without omitempty, at their zero values. */
static const char *const error_shape[WIRE_KIND_COUNT] = {
    [NET_DNS] = "{",
    [NET_TCP] = "{\"connected\":false",
    [NET_SMTP] = "{\"connected\":false",
    [NET_EXEC] = "{\"stdout\":\"\",\"stderr\":\"\",\"exit_code\":0",
    [NET_HTTP] = "{\"status_code\":0",
};

char *wire_error_response(int kind, const net_error *e, size_t *len) {
  buf b = {0};
  if (kind < 0 || kind >= WIRE_KIND_COUNT || !error_shape[kind])
    return NULL;
  open_(&b, error_shape[kind]);
  b.first = kind == NET_DNS;
  field_error(&b, e);
  close_(&b, "}");
  return finish(&b, len);
}

/* What reglet writes when Go cannot marshal a certificate's date. */
static char *year_out_of_range(size_t *len) {
  net_error e = {0};
  net_error_set(&e, "internal", "",
                "hostfuncs: failed to marshal response: json: error calling "
                "MarshalJSON for type *time.Time: Time.MarshalJSON: year "
                "outside of range [0,9999]");
  return wire_error_response(NET_DNS, &e, len);
}

char *wire_response(const net_result *r, size_t *len) {
  buf b = {0};
  char not_after[64];
  bool has_not_after = r->kind == NET_TCP && r->tls_cert_not_after != INT64_MIN;
  if (r->error.type[0] && r->kind != NET_EXEC)
    return wire_error_response(r->kind, &r->error, len);
  if (has_not_after && !format_time(r->tls_cert_not_after, not_after))
    return year_out_of_range(len);
  open_(&b, "{");
  if (r->kind == NET_DNS)
    dns_fields(&b, r);
  else if (r->kind == NET_EXEC)
    exec_fields(&b, r);
  else if (r->kind == NET_HTTP)
    http_fields(&b, r);
  else
    connect_fields(&b, r, has_not_after ? not_after : NULL);
  close_(&b, "}");
  return finish(&b, len);
}
