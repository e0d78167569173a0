/*
** policy_json.c: the JSON policy format (docs/policy.md), through Jansson.
** Messages find their value in the text through json_walk.c.
*/
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_walk.h"
#include "policy_internal.h"

/* What the handlers keep while an object is read: the element of dirs,
** and the network fields that become grants once all of network is read
** (allowed_ports and require_https may follow allowed_domains). */
typedef struct fields_seen {
  struct {
    const char *host, *guest;
    bool read_only;
  } dir;
  struct {
    json_t *domains, *ports; /* checked arrays, or NULL when absent */
    bool https;
  } net;
} fields_seen;

#define DIR(c) (&((fields_seen *)(c)->ud)->dir)
#define NET(c) (&((fields_seen *)(c)->ud)->net)
#define POL(c) ((policy *)(c)->target)

/* Each string of an array as a grant of kind. */
static int grant_each(pol_jctx *c, json_t *v, policy_cap_kind kind) {
  size_t i;
  json_t *s;
  char why[512];
  if (!json_is_array(v))
    return pol_jfail(c, false, "expected an array of strings");
  json_array_foreach(v, i, s) {
    pol_jpush_index(c, i);
    if (!json_is_string(s))
      return pol_jfail(c, false, "expected a string");
    if (pol_add_grant(POL(c), kind, json_string_value(s), why, sizeof why) < 0)
      return pol_jfail(c, false, "%s", why);
    c->depth--;
  }
  return 0;
}

static int bool_of(pol_jctx *c, json_t *v, bool *out) {
  if (!json_is_boolean(v))
    return pol_jfail(c, false, "expected true or false");
  *out = json_is_true(v);
  return 0;
}

/* A limit's value: a JSON integer (bytes, seconds or a count, as digits
** alone are on the command line) or a string with a unit. */
static int limit_of(pol_jctx *c, json_t *v, const char *name) {
  char buf[32], why[512];
  const char *text = buf;
  if (json_is_integer(v))
    snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
  else if (json_is_string(v))
    text = json_string_value(v);
  else
    return pol_jfail(c, false, "expected a number or a string");
  if (pol_set_limit(POL(c), name, text, why, sizeof why) < 0)
    return pol_jfail(c, false, "%s", why);
  return 0;
}

static int f_capabilities(pol_jctx *c, json_t *v) {
  size_t i;
  json_t *s;
  char why[512];
  if (!json_is_array(v))
    return pol_jfail(c, false, "expected an array of strings");
  json_array_foreach(v, i, s) {
    pol_jpush_index(c, i);
    if (!json_is_string(s))
      return pol_jfail(c, false, "expected a string");
    if (pol_apply_line(POL(c), json_string_value(s), why, sizeof why) < 0)
      return pol_jfail(c, false, "%s", why);
    c->depth--;
  }
  return 0;
}

static int f_read(pol_jctx *c, json_t *v) {
  return grant_each(c, v, POLICY_CAP_FS_READ);
}

static int f_write(pol_jctx *c, json_t *v) {
  return grant_each(c, v, POLICY_CAP_FS_WRITE);
}

/* true: "/tmp"; a string: that guest path; false: none. */
static int f_tmp(pol_jctx *c, json_t *v) {
  char why[512];
  if (json_is_false(v))
    return 0;
  if (!json_is_true(v) && !json_is_string(v))
    return pol_jfail(c, false, "expected true, false or a guest path");
  const char *guest = json_is_true(v) ? "/tmp" : json_string_value(v);
  if (pol_set_tmp(POL(c), guest, why, sizeof why) < 0)
    return pol_jfail(c, false, "%s", why);
  return 0;
}

static int f_max_file_size(pol_jctx *c, json_t *v) {
  return limit_of(c, v, "file_size");
}

/* Only false changes anything: adding to a policy never loosens it. */
static int f_create_directories(pol_jctx *c, json_t *v) {
  bool yes = false;
  if (bool_of(c, v, &yes) < 0)
    return -1;
  POL(c)->no_mkdir |= !yes;
  return 0;
}

static const pol_jfield filesystem_fields[] = {
    {"read", f_read},
    {"write", f_write},
    {"tmp", f_tmp},
    {"max_file_size", f_max_file_size},
    {"create_directories", f_create_directories},
};

static int f_filesystem(pol_jctx *c, json_t *v) {
  return pol_jwalk_object(c, v, filesystem_fields,
                     sizeof filesystem_fields / sizeof filesystem_fields[0]);
}

static int f_env(pol_jctx *c, json_t *v) {
  return grant_each(c, v, POLICY_CAP_ENV);
}

static int flag(pol_jctx *c, json_t *v, policy_cap_kind kind) {
  bool yes = false;
  char why[512];
  if (bool_of(c, v, &yes) < 0)
    return -1;
  if (yes && pol_add_grant(POL(c), kind, NULL, why, sizeof why) < 0)
    return pol_jfail(c, false, "%s", why);
  return 0;
}

static int f_clock(pol_jctx *c, json_t *v) {
  return flag(c, v, POLICY_CAP_CLOCK);
}

static int f_random(pol_jctx *c, json_t *v) {
  return flag(c, v, POLICY_CAP_RANDOM);
}

static int f_outbound(pol_jctx *c, json_t *v) {
  return grant_each(c, v, POLICY_CAP_NETWORK);
}

/* "*", a name, or "*." and a name: an address is no domain. */
static int f_allowed_domains(pol_jctx *c, json_t *v) {
  size_t i;
  json_t *s;
  if (!json_is_array(v))
    return pol_jfail(c, false, "expected an array of strings");
  json_array_foreach(v, i, s) {
    pol_jpush_index(c, i);
    if (!json_is_string(s))
      return pol_jfail(c, false, "expected a string");
    const char *d = json_string_value(s);
    size_t n = json_string_length(s);
    bool wild = n > 2 && d[0] == '*' && d[1] == '.';
    if (strcmp(d, "*") != 0 &&
        (strlen(d) != n || !pol_host_name_ok(d + 2 * wild, n - 2 * wild)))
      return pol_jfail(c, false, "expected a domain name (example.com, "
                       "*.example.com or *); addresses go in "
                       "network.outbound");
    c->depth--;
  }
  NET(c)->domains = v;
  return 0;
}

/* A port number, or a string of one port or range ("8000-8100"). */
static int port_element(pol_jctx *c, json_t *v) {
  char why[512];
  if (json_is_integer(v)) {
    json_int_t n = json_integer_value(v);
    if (n < 1 || n > 65535)
      return pol_jfail(c, false, "port %" JSON_INTEGER_FORMAT " out of range",
                       n);
    return 0;
  }
  const char *s = json_is_string(v) ? json_string_value(v) : "";
  if (!*s || strspn(s, "0123456789-") != json_string_length(v))
    return pol_jfail(c, false, "expected a port, or a range as \"8000-8100\"");
  if (pol_check_ports(s, why, sizeof why) < 0)
    return pol_jfail(c, false, "%s", why);
  return 0;
}

static int f_allowed_ports(pol_jctx *c, json_t *v) {
  size_t i;
  json_t *e;
  if (!json_is_array(v) || json_array_size(v) == 0)
    return pol_jfail(c, false, "expected an array of ports, not empty");
  json_array_foreach(v, i, e) {
    pol_jpush_index(c, i);
    if (port_element(c, e) < 0)
      return -1;
    c->depth--;
  }
  NET(c)->ports = v;
  return 0;
}

static int f_max_connections(pol_jctx *c, json_t *v) {
  return limit_of(c, v, "connections");
}

/* Only true changes anything: adding to a policy never loosens it. */
static int f_require_https(pol_jctx *c, json_t *v) {
  if (bool_of(c, v, &NET(c)->https) < 0)
    return -1;
  POL(c)->https_only |= NET(c)->https;
  return 0;
}

static int f_allow_listen(pol_jctx *c, json_t *v) {
  bool yes = false;
  if (bool_of(c, v, &yes) < 0)
    return -1;
  if (yes)
    return pol_jfail(c, false, "plugsup never listens for a plugin: only "
                     "outbound connections can be granted");
  return 0;
}

static const pol_jfield network_fields[] = {
    {"outbound", f_outbound},
    {"allowed_domains", f_allowed_domains},
    {"allowed_ports", f_allowed_ports},
    {"max_connections", f_max_connections},
    {"require_https", f_require_https},
    {"allow_listen", f_allow_listen},
};

/* allowed_ports as one PORTS text ("80,8000-8100"); without it, the
** web's ports: 443, and 80 too unless https is required. NULL when out of
** memory. */
static char *ports_text(json_t *ports, bool https) {
  pol_text t = {0};
  size_t i;
  json_t *e;
  if (!ports)
    return strdup(https ? "443" : "80,443");
  pol_text_add(&t, "%s", "");
  json_array_foreach(ports, i, e) {
    if (json_is_integer(e))
      pol_text_add(&t, "%s%" JSON_INTEGER_FORMAT, i ? "," : "",
                   json_integer_value(e));
    else
      pol_text_add(&t, "%s%s", i ? "," : "", json_string_value(e));
  }
  if (t.failed) {
    free(t.s);
    return NULL;
  }
  return t.s;
}

/* Each of allowed_domains on the ports, as a network:outbound: grant. */
static int domain_grants(pol_jctx *c) {
  char why[512];
  size_t i;
  json_t *d;
  int rc = 0;
  char *ports = ports_text(NET(c)->ports, NET(c)->https);
  if (!ports)
    return pol_jfail(c, false, "out of memory");
  pol_jpush_key(c, "allowed_domains");
  json_array_foreach(NET(c)->domains, i, d) {
    char *arg;
    pol_jpush_index(c, i);
    if (asprintf(&arg, "%s:%s", json_string_value(d), ports) < 0) {
      arg = NULL;
      rc = pol_jfail(c, false, "out of memory");
    } else if (pol_add_grant(POL(c), POLICY_CAP_NETWORK, arg, why,
                             sizeof why) < 0) {
      rc = pol_jfail(c, false, "%s", why);
    }
    free(arg);
    if (rc < 0)
      goto fail;
    c->depth--;
  }
  c->depth--;
fail:
  free(ports);
  return rc;
}

static int f_network(pol_jctx *c, json_t *v) {
  NET(c)->domains = NET(c)->ports = NULL;
  NET(c)->https = false;
  if (pol_jwalk_object(c, v, network_fields,
                       sizeof network_fields / sizeof network_fields[0]) < 0)
    return -1;
  if (NET(c)->ports && !NET(c)->domains) {
    pol_jpush_key(c, "allowed_ports");
    return pol_jfail(c, true, "allowed_ports grants nothing without "
                     "allowed_domains (\"*\" for any host)");
  }
  if (NET(c)->domains && domain_grants(c) < 0)
    return -1;
  return 0;
}

static int f_exec(pol_jctx *c, json_t *v) {
  return grant_each(c, v, POLICY_CAP_EXEC);
}

static int dir_string(pol_jctx *c, json_t *v, const char **out) {
  if (!json_is_string(v))
    return pol_jfail(c, false, "expected a string");
  *out = json_string_value(v);
  return 0;
}

static int f_host(pol_jctx *c, json_t *v) {
  return dir_string(c, v, &DIR(c)->host);
}

static int f_guest(pol_jctx *c, json_t *v) {
  return dir_string(c, v, &DIR(c)->guest);
}

static int f_read_only(pol_jctx *c, json_t *v) {
  return bool_of(c, v, &DIR(c)->read_only);
}

static const pol_jfield dir_fields[] = {
    {"host", f_host}, {"guest", f_guest}, {"read_only", f_read_only}};

static int f_dirs(pol_jctx *c, json_t *v) {
  size_t i;
  json_t *d;
  char why[512];
  if (!json_is_array(v))
    return pol_jfail(c, false, "expected an array of objects");
  json_array_foreach(v, i, d) {
    pol_jpush_index(c, i);
    DIR(c)->host = DIR(c)->guest = NULL;
    DIR(c)->read_only = false;
    if (pol_jwalk_object(c, d, dir_fields, 3) < 0)
      return -1;
    if (!DIR(c)->host)
      return pol_jfail(c, false, "missing the field 'host'");
    if (policy_add_dir(POL(c), DIR(c)->host,
                       DIR(c)->guest ? DIR(c)->guest : DIR(c)->host,
                       !DIR(c)->read_only, why, sizeof why) < 0)
      return pol_jfail(c, false, "%s", why);
    c->depth--;
  }
  return 0;
}

/* "unknown limit (known: memory, fuel, ...)", from the limit table. */
static int unknown_limit(pol_jctx *c) {
  char known[256];
  size_t used = 0;
  for (size_t i = 0; i < pol_limit_count() && used < sizeof known; i++)
    used += (size_t)snprintf(known + used, sizeof known - used, "%s%s",
                             i ? ", " : "", pol_limit_name(i));
  return pol_jfail(c, true, "unknown limit (known: %s)", known);
}

static int f_limits(pol_jctx *c, json_t *v) {
  const char *key;
  json_t *val;
  if (!json_is_object(v))
    return pol_jfail(c, false, "expected an object");
  json_object_foreach(v, key, val) {
    pol_jpush_key(c, key);
    if (!pol_is_limit(key))
      return unknown_limit(c);
    if (limit_of(c, val, key) < 0)
      return -1;
    c->depth--;
  }
  return 0;
}

static const pol_jfield top_fields[] = {
    {"capabilities", f_capabilities},
    {"filesystem", f_filesystem},
    {"env", f_env},
    {"clock", f_clock},
    {"random", f_random},
    {"network", f_network},
    {"exec", f_exec},
    {"dirs", f_dirs},
    {"limits", f_limits},
};

int policy_parse_json(policy *p, const char *source, const char *text,
                      size_t len, char *err, size_t errlen) {
  json_error_t e;
  json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
  if (!root)
    return pol_err(err, errlen, "%s:%d:%d: %s", source, e.line, e.column,
                   e.text);
  fields_seen seen = {0};
  pol_jctx c = {.source = source, .text = text, .len = len, .err = err,
            .errlen = errlen, .ud = &seen};
  policy *copy;
  int rc = -1;
  /* Everything goes into a copy, swapped in only if all of it is good. */
  if (!(c.target = copy = pol_clone(p)))
    pol_err(err, errlen, "out of memory");
  else if (!json_is_object(root))
    pol_jfail(&c, false, "a policy is a JSON object");
  else
    rc = pol_jwalk_object(&c, root, top_fields,
                     sizeof top_fields / sizeof top_fields[0]);
  if (rc == 0)
    pol_swap(p, copy);
  policy_free(copy);
  json_decref(root);
  return rc;
}
