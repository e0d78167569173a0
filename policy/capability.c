/*
** capability.c: the policy-line grammar (docs/policy.md): capabilities,
** which grant, and settings (dir:, ro-dir:, tmp:, limit:, fs:no-mkdir),
** which preopen, limit or restrict. policy_describe prints the same lines.
*/
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_internal.h"
#include "policy_units.h"

static const char *const cap_names[] = {
#define X(kind, text) [kind] = text,
    POLICY_CAP_LIST(X)
#undef X
};

const char *policy_cap_name(policy_cap_kind kind) {
  return (unsigned)kind < POLICY_CAP_COUNT ? cap_names[kind] : NULL;
}

/* ---- network:outbound:HOST:PORTS ---- */

static bool all_of(const char *s, size_t n, const char *set) {
  return n > 0 && strspn(s, set) >= n;
}

static bool is_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool pol_host_name_ok(const char *s, size_t len) {
  const char *last = s;
  if (len && s[len - 1] == '.')
    len--;
  if (len == 0 || len > 253)
    return false;
  for (size_t i = 0;; i++) {
    size_t n = 0;
    while (i + n < len && s[i + n] != '.')
      n++;
    if (n == 0 || n > 63 || s[i] == '-' || s[i + n - 1] == '-' ||
        !all_of(s + i, n, "abcdefghijklmnopqrstuvwxyz"
                          "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"))
      return false;
    last = s + i;
    i += n;
    if (i == len)
      return is_letter(*last);
  }
}

/* An address of family af, with an optional "/prefix" of at most max. */
static bool address_ok(int af, const char *s, unsigned max) {
  char buf[64];
  unsigned char bin[16];
  const char *slash = strchr(s, '/');
  size_t n = slash ? (size_t)(slash - s) : strlen(s);
  if (n >= sizeof buf)
    return false;
  memcpy(buf, s, n);
  buf[n] = '\0';
  if (inet_pton(af, buf, bin) != 1)
    return false;
  if (!slash)
    return true;
  size_t digits = strlen(slash + 1);
  return digits >= 1 && digits <= 3 && all_of(slash + 1, digits, "0123456789") &&
         (unsigned)atoi(slash + 1) <= max;
}

static int check_host(const char *h, char *why, size_t whylen) {
  if (strcmp(h, "*") == 0)
    return 0;
  if (h[0] == '*' && h[1] == '.' && pol_host_name_ok(h + 2, strlen(h + 2)))
    return 0;
  if (all_of(h, strlen(h), "0123456789./")) {
    if (address_ok(AF_INET, h, 32))
      return 0;
    return pol_err(why, whylen, "bad IPv4 address '%s'", h);
  }
  if (strchr(h, ':'))
    return pol_err(why, whylen, "an IPv6 address must be in brackets, as [::1]");
  if (!pol_host_name_ok(h, strlen(h)))
    return pol_err(why, whylen, "bad host name '%s'", h);
  return 0;
}

/* One port number; 0 and above 65535 are out of range. */
static int port_value(const char *s, size_t n, unsigned long *out, char *why,
                      size_t whylen) {
  if (!all_of(s, n, "0123456789"))
    return pol_err(why, whylen, "bad port '%.*s'", (int)n, s);
  if (n > 5 || (*out = strtoul(s, NULL, 10)) == 0 || *out > 65535)
    return pol_err(why, whylen, "port %.*s out of range", (int)n, s);
  return 0;
}

int pol_check_ports(const char *ports, char *why, size_t whylen) {
  if (strcmp(ports, "*") == 0)
    return 0;
  if (!*ports)
    return pol_err(why, whylen, "missing the ports");
  for (const char *s = ports;; s++) {
    size_t n = strcspn(s, ",");
    const char *dash = memchr(s, '-', n);
    unsigned long lo = 0, hi = 0;
    size_t lo_len = dash ? (size_t)(dash - s) : n;
    if (port_value(s, lo_len, &lo, why, whylen) < 0)
      return -1;
    if (dash && port_value(dash + 1, n - lo_len - 1, &hi, why, whylen) < 0)
      return -1;
    if (dash && lo > hi)
      return pol_err(why, whylen, "port range '%.*s' is reversed", (int)n, s);
    s += n;
    if (!*s)
      return 0;
  }
}

/* Checks HOST:PORTS or PORTS; *host_len receives the host's length, 0 for
** the short form (any host). */
static int check_network(const char *arg, size_t *host_len, char *why,
                         size_t whylen) {
  const char *end;
  char host[POL_MAX_TEXT + 1];
  if (arg[0] == '[') {
    const char *close = strchr(arg, ']');
    if (!close)
      return pol_err(why, whylen, "an IPv6 address must end with ']'");
    snprintf(host, sizeof host, "%.*s", (int)(close - arg - 1), arg + 1);
    if (!address_ok(AF_INET6, host, 128))
      return pol_err(why, whylen, "bad IPv6 address '%s'", host);
    if (close[1] != ':')
      return pol_err(why, whylen, "missing the ports (HOST:PORTS)");
    *host_len = (size_t)(close - arg) + 1;
    return pol_check_ports(close + 2, why, whylen);
  }
  end = strrchr(arg, ':');
  if (!end) {
    if (!all_of(arg, strlen(arg), "0123456789,-*"))
      return pol_err(why, whylen, "missing the ports (HOST:PORTS)");
    *host_len = 0;
    return pol_check_ports(arg, why, whylen);
  }
  snprintf(host, sizeof host, "%.*s", (int)(end - arg), arg);
  if (check_host(host, why, whylen) < 0)
    return -1;
  *host_len = (size_t)(end - arg);
  return pol_check_ports(end + 1, why, whylen);
}

/* HOST:PORTS with the host in lower case and without a trailing '.', so
** that a name has one spelling (grants are compared as text); the short
** form spelled out. NULL when out of memory. */
static char *network_canonical(const char *arg, size_t host_len) {
  char *out;
  if (host_len == 0)
    return asprintf(&out, "*:%s", arg) < 0 ? NULL : out;
  size_t keep = host_len - (arg[host_len - 1] == '.');
  if (asprintf(&out, "%.*s%s", (int)keep, arg, arg + host_len) < 0)
    return NULL;
  for (size_t i = 0; i < keep; i++)
    if (out[i] >= 'A' && out[i] <= 'Z')
      out[i] = (char)(out[i] - 'A' + 'a');
  return out;
}

/* ---- grants ---- */

/* The canonical argument of a grant of kind, malloc'd; NULL with why. */
static char *canonical_arg(policy_cap_kind kind, const char *arg, char *why,
                           size_t whylen) {
  const char *bad = NULL;
  size_t host_len;
  char *out = NULL;
  switch (kind) {
  case POLICY_CAP_FS_READ:
  case POLICY_CAP_FS_WRITE:
    if (!*arg) {
      pol_err(why, whylen, "missing the path");
      return NULL;
    }
    if ((out = pol_path_clean(arg, &bad)) && (bad = pol_glob_check(out))) {
      free(out);
      out = NULL;
    }
    break;
  case POLICY_CAP_ENV:
    bad = !*arg             ? "missing the variable name"
          : strchr(arg, '=') ? "a variable name cannot contain '='"
                             : NULL;
    break;
  case POLICY_CAP_NETWORK:
    if (check_network(arg, &host_len, why, whylen) < 0)
      return NULL;
    if (!(out = network_canonical(arg, host_len)))
      bad = "out of memory";
    break;
  case POLICY_CAP_EXEC:
    if (!*arg)
      bad = "missing the command";
    else if (arg[0] == '/')
      out = pol_path_clean(arg, &bad);
    else if (strchr(arg, '/'))
      bad = "the command must be a program name or an absolute path";
    break;
  case POLICY_CAP_CLOCK:
  case POLICY_CAP_RANDOM:
  case POLICY_CAP_COUNT:
    break;
  }
  if (bad) {
    pol_err(why, whylen, "%s", bad);
    return NULL;
  }
  if (!out && !(out = strdup(arg)))
    pol_err(why, whylen, "out of memory");
  return out;
}

/* The preopen of an fs: grant's root, unless one with that host and
** guest exists. */
static int add_root(policy *p, const char *glob, char *why, size_t whylen) {
  size_t n = pol_glob_root(glob);
  for (size_t i = 0; i < p->roots.n; i++)
    if (strlen(p->roots.at[i].host) == n &&
        memcmp(p->roots.at[i].host, glob, n) == 0)
      return 0;
  for (size_t i = 0; i < p->dirs.n; i++) {
    const policy_preopen *d = &p->dirs.at[i].po;
    if (strlen(d->host) == n && memcmp(d->host, glob, n) == 0 &&
        strcmp(d->host, d->guest) == 0)
      return 0;
  }
  char *root = strndup(glob, n);
  if (!root || !POL_GROW(p->roots)) {
    free(root);
    return pol_err(why, whylen, "out of memory");
  }
  p->roots.at[p->roots.n++] = (policy_preopen){.host = root, .guest = root};
  return 0;
}

/* A grant is one line of policy_describe: a control character (a newline
** above all) would split it, and the line would not read back. */
static int control_char(const char *s, char *why, size_t whylen) {
  for (const unsigned char *c = (const unsigned char *)s; s && *c; c++)
    if (*c < 0x20 || *c == 0x7f)
      return pol_err(why, whylen, "holds a control character (byte 0x%02x)",
                     *c);
  return 0;
}

int pol_add_grant(policy *p, policy_cap_kind kind, const char *arg,
                  char *why, size_t whylen) {
  const char *name = cap_names[kind];
  bool bare = kind == POLICY_CAP_CLOCK || kind == POLICY_CAP_RANDOM;
  if (control_char(arg, why, whylen) != 0)
    return -1;
  if (bare && arg)
    return pol_err(why, whylen, "'%s' takes no argument", name);
  if (!bare && !arg)
    return pol_err(why, whylen, "'%s' needs an argument after ':'", name);
  char *canon = bare ? strdup("") : canonical_arg(kind, arg, why, whylen);
  char *text = NULL;
  if (!canon)
    return bare ? pol_err(why, whylen, "out of memory") : -1;
  if (asprintf(&text, "%s%s%s", name, bare ? "" : ":", canon) < 0)
    text = NULL;
  free(canon);
  if (!text)
    return pol_err(why, whylen, "out of memory");
  for (size_t i = 0; i < p->grants.n; i++)
    if (strcmp(p->grants.at[i].text, text) == 0) {
      free(text);
      return 0;
    }
  const char *argp = text + strlen(name) + !bare;
  bool fs = kind == POLICY_CAP_FS_READ || kind == POLICY_CAP_FS_WRITE;
  if ((fs && add_root(p, argp, why, whylen) < 0) || !POL_GROW(p->grants)) {
    free(text);
    return pol_err(why, whylen, "out of memory");
  }
  p->grants.at[p->grants.n++] = (pol_grant){kind, text, argp};
  return 0;
}

/* ---- limits ---- */

typedef enum { UNIT_SIZE, UNIT_DURATION, UNIT_COUNT } unit_kind;

/* The limits a policy can set: name, field, parser, how to print it. */
#define POL_LIMIT_LIST(X)                                             \
  X("memory", memory_bytes, policy_parse_memory, UNIT_SIZE)           \
  X("fuel", fuel, policy_parse_count, UNIT_COUNT)                     \
  X("wall_time", wall_ms, policy_parse_duration, UNIT_DURATION)       \
  X("output", output_bytes, policy_parse_size, UNIT_SIZE)             \
  X("host_calls", host_calls, policy_parse_count, UNIT_COUNT)         \
  X("bytes_read", bytes_read, policy_parse_size, UNIT_SIZE)           \
  X("bytes_written", bytes_written, policy_parse_size, UNIT_SIZE)     \
  X("file_size", file_size, policy_parse_size, UNIT_SIZE)             \
  X("open_files", open_files, policy_parse_count, UNIT_COUNT)         \
  X("connections", connections, policy_parse_count, UNIT_COUNT)

static const struct {
  const char *name;
  size_t offset;
  const char *(*parse)(const char *, uint64_t *);
  unit_kind unit;
} limits[] = {
#define X(name, field, parse, unit) \
  {name, offsetof(policy_limits, field), parse, unit},
    POL_LIMIT_LIST(X)
#undef X
};
#define N_LIMITS (sizeof limits / sizeof limits[0])

static size_t limit_index(const char *name) {
  for (size_t i = 0; i < N_LIMITS; i++)
    if (strcmp(limits[i].name, name) == 0)
      return i;
  return N_LIMITS;
}

bool pol_is_limit(const char *name) { return limit_index(name) < N_LIMITS; }

static uint64_t *limit_field(policy_limits *l, size_t i) {
  return (uint64_t *)((char *)l + limits[i].offset);
}

/* A limit set twice keeps the tighter value: adding to a policy never
** loosens it. */
int pol_set_limit(policy *p, const char *name, const char *value, char *why,
                  size_t whylen) {
  size_t i = limit_index(name);
  uint64_t v;
  if (i == N_LIMITS)
    return pol_err(why, whylen, "unknown limit '%s'", name);
  const char *bad = limits[i].parse(value, &v);
  if (bad)
    return pol_err(why, whylen, "bad %s '%s': %s", name, value, bad);
  uint64_t *f = limit_field(&p->limits, i);
  if (*f == 0 || v < *f)
    *f = v;
  return 0;
}

size_t pol_limit_count(void) { return N_LIMITS; }

const char *pol_limit_name(size_t i) {
  return i < N_LIMITS ? limits[i].name : NULL;
}

uint64_t pol_limit_get(const policy_limits *l, size_t i) {
  return *limit_field((policy_limits *)l, i);
}

void pol_limit_put(policy_limits *l, size_t i, uint64_t v) {
  *limit_field(l, i) = v;
}

void pol_limit_line(size_t i, uint64_t v, char *buf, size_t size) {
  char val[32];
  if (limits[i].unit == UNIT_SIZE)
    policy_format_size(v, val, sizeof val);
  else if (limits[i].unit == UNIT_DURATION)
    policy_format_duration(v, val, sizeof val);
  else
    snprintf(val, sizeof val, "%llu", (unsigned long long)v);
  snprintf(buf, size, "limit:%s:%s", limits[i].name, val);
}

void pol_describe_limits(const policy *p, pol_text *t) {
  char line[96];
  for (size_t i = 0; i < N_LIMITS; i++) {
    uint64_t v = pol_limit_get(&p->limits, i);
    if (!v)
      continue;
    pol_limit_line(i, v, line, sizeof line);
    pol_text_add(t, "%s\n", line);
  }
}

/* ---- settings ---- */

int pol_set_tmp(policy *p, const char *guest, char *why, size_t whylen) {
  const char *bad;
  char *clean = pol_path_clean(guest, &bad);
  if (!clean)
    return pol_err(why, whylen, "temporary directory '%s': %s", guest, bad);
  free(p->tmp_guest);
  p->tmp_guest = clean;
  return 0;
}

static int set_dir(policy *p, const char *arg, bool writable, char *why,
                   size_t whylen) {
  const char *sep = strstr(arg, "::");
  char *host = sep ? strndup(arg, (size_t)(sep - arg)) : strdup(arg);
  if (!host)
    return pol_err(why, whylen, "out of memory");
  int rc = policy_add_dir(p, host, sep ? sep + 2 : host, writable, why, whylen);
  free(host);
  return rc;
}

static int set_rw_dir(policy *p, const char *arg, char *why, size_t whylen) {
  return set_dir(p, arg, true, why, whylen);
}

static int set_ro_dir(policy *p, const char *arg, char *why, size_t whylen) {
  return set_dir(p, arg, false, why, whylen);
}

static int set_limit_line(policy *p, const char *arg, char *why,
                          size_t whylen) {
  const char *colon = strchr(arg, ':');
  char name[32];
  if (!colon || (size_t)(colon - arg) >= sizeof name)
    return pol_err(why, whylen, "expected limit:NAME:VALUE");
  snprintf(name, sizeof name, "%.*s", (int)(colon - arg), arg);
  return pol_set_limit(p, name, colon + 1, why, whylen);
}

static int set_no_mkdir(policy *p, const char *arg, char *why, size_t whylen) {
  p->no_mkdir = true;
  return 0;
}

static int set_https_only(policy *p, const char *arg, char *why,
                          size_t whylen) {
  p->https_only = true;
  return 0;
}

/* Settings: lines that are not capabilities. arg is NULL for a line
** without ':' after the name (fs:no-mkdir and network:https-only take
** none). */
static const struct {
  const char *name;
  bool takes_arg;
  int (*apply)(policy *, const char *, char *, size_t);
} settings[] = {
    {"dir", true, set_rw_dir},       {"ro-dir", true, set_ro_dir},
    {"tmp", true, pol_set_tmp},      {"limit", true, set_limit_line},
    {"fs:no-mkdir", false, set_no_mkdir},
    {"network:https-only", false, set_https_only},
};

/* Whether line starts with name followed by its end or ':'; *arg gets
** what follows the ':' (NULL at the end). */
static bool kind_is(const char *line, const char *name, const char **arg) {
  size_t n = strlen(name);
  if (strncmp(line, name, n) != 0 || (line[n] && line[n] != ':'))
    return false;
  *arg = line[n] ? line + n + 1 : NULL;
  return true;
}

/* The kind a line tried to name, for the message: its first word, or two
** when the first is that of a two-word kind ("fs:rea" of "fs:rea:/x"). */
static int unknown_kind(const char *line, char *why, size_t whylen) {
  size_t n = strcspn(line, ":");
  for (size_t k = 0; line[n] && k < POLICY_CAP_COUNT; k++)
    if (strncmp(cap_names[k], line, n + 1) == 0) {
      n += 1 + strcspn(line + n + 1, ":");
      break;
    }
  return pol_err(why, whylen, "unknown kind '%.*s'", (int)n, line);
}

int pol_apply_line(policy *p, const char *line, char *why, size_t whylen) {
  const char *arg;
  if (strlen(line) > 2 * POL_MAX_TEXT)
    return pol_err(why, whylen, "longer than %d bytes", 2 * POL_MAX_TEXT);
  for (size_t k = 0; k < POLICY_CAP_COUNT; k++)
    if (kind_is(line, cap_names[k], &arg))
      return pol_add_grant(p, (policy_cap_kind)k, arg, why, whylen);
  for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
    if (kind_is(line, settings[i].name, &arg)) {
      if (!arg != !settings[i].takes_arg)
        return pol_err(why, whylen, settings[i].takes_arg
                                        ? "'%s' needs an argument after ':'"
                                        : "'%s' takes no argument",
                       settings[i].name);
      return settings[i].apply(p, arg, why, whylen);
    }
  return unknown_kind(line, why, whylen);
}
