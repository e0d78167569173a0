/*
** network.c: the decisions on network:outbound: grants (docs/policy.md,
** "Network and commands"), and the special address ranges that a name
** grant never reaches.
**
** Addresses are kept in one 16-byte form, IPv4 as IPv4-mapped IPv6
** (::ffff:a.b.c.d), so that one prefix comparison serves both families
** and a mapped address is the IPv4 address it holds. Nothing is resolved
** here: the supervisor resolves, and asks again for each address.
*/
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy_internal.h"

/* An address with the number of leading bits that count: 128 for one
** address; an IPv4 CIDR /n is 96 + n. */
typedef struct prefix {
  unsigned char a[16];
  unsigned len;
} prefix;

static const unsigned char mapped_head[12] = {0, 0, 0, 0, 0,    0,
                                              0, 0, 0, 0, 0xff, 0xff};
static const unsigned char nat64_head[12] = {0, 0x64, 0xff, 0x9b};

/* Whether the first n bits of a and b agree. */
static bool same_bits(const unsigned char *a, const unsigned char *b,
                      unsigned n) {
  unsigned bytes = n / 8, rest = n % 8;
  if (memcmp(a, b, bytes) != 0)
    return false;
  return !rest || ((a[bytes] ^ b[bytes]) >> (8 - rest)) == 0;
}

/* Whether every address of y is in x. */
static bool holds(const prefix *x, const prefix *y) {
  return x->len <= y->len && same_bits(x->a, y->a, x->len);
}

/* Whether x and y share an address: the shorter holds the longer. */
static bool overlaps(const prefix *x, const prefix *y) {
  return same_bits(x->a, y->a, x->len < y->len ? x->len : y->len);
}

static bool is_v4(const prefix *x) {
  return x->len >= 96 && memcmp(x->a, mapped_head, 12) == 0;
}

/* A NAT64 address (64:ff9b::/96) is judged as the IPv4 address inside,
** which is where the translator sends it. */
static prefix as_judged(const prefix *x) {
  prefix y = *x;
  if (x->len >= 96 && memcmp(x->a, nat64_head, 12) == 0)
    memcpy(y.a, mapped_head, 12);
  return y;
}

/* An address literal of n bytes, IPv4 or IPv6 (brackets already off),
** with "/LEN" when cidr. */
static bool parse_prefix(const char *s, size_t n, bool cidr, prefix *out) {
  char buf[64];
  const char *slash = memchr(s, '/', n);
  size_t alen = slash ? (size_t)(slash - s) : n;
  unsigned char v4[4];
  if (alen >= sizeof buf || (slash && !cidr))
    return false;
  memcpy(buf, s, alen);
  buf[alen] = '\0';
  unsigned max = 128, base = 0;
  if (inet_pton(AF_INET, buf, v4) == 1) {
    memcpy(out->a, mapped_head, 12);
    memcpy(out->a + 12, v4, 4);
    max = 32;
    base = 96;
  } else if (inet_pton(AF_INET6, buf, out->a) != 1) {
    return false;
  }
  out->len = base + max;
  if (!slash)
    return true;
  /* The grammar checked the digits; a request has no '/'. */
  unsigned long bits = strtoul(slash + 1, NULL, 10);
  out->len = base + (unsigned)(bits < max ? bits : max);
  return true;
}

/* A grant's host (an bytes: "*", a name, "*.SUFFIX", an IPv4 address or
** CIDR, or either IPv6 form in brackets); false for all but addresses. */
static bool grant_prefix(const char *h, size_t n, prefix *out) {
  if (n >= 2 && h[0] == '[')
    return parse_prefix(h + 1, n - 2, true, out);
  return parse_prefix(h, n, true, out);
}

/* ---- the special ranges ---- */

/* Every range a name grant does not reach, with its class: the first
** that holds an address names it. IPv4 ranges (V4: class, a.b.c.d/len)
** judge IPv4 addresses (mapped and NAT64 ones included), IPv6 ranges (V6:
** class, the first two groups, the last byte, /len) the others. Used by
** the decisions and by policy_excess (a CIDR that overlaps none is
** public). Written as numbers, not parsed: every decision reads it. */
#define POL_SPECIAL_RANGES(V4, V6)                   \
  V4("unspecified", 0, 0, 0, 0, 8)                   \
  V4("loopback", 127, 0, 0, 0, 8)                    \
  V4("private", 10, 0, 0, 0, 8)                      \
  V4("private", 172, 16, 0, 0, 12)                   \
  V4("private", 192, 168, 0, 0, 16)                  \
  V4("link-local", 169, 254, 0, 0, 16)               \
  V4("shared", 100, 64, 0, 0, 10)                    \
  V4("protocol", 192, 0, 0, 0, 24)                   \
  V4("documentation", 192, 0, 2, 0, 24)              \
  V4("documentation", 198, 51, 100, 0, 24)           \
  V4("documentation", 203, 0, 113, 0, 24)            \
  V4("benchmarking", 198, 18, 0, 0, 15)              \
  V4("multicast", 224, 0, 0, 0, 4)                   \
  V4("broadcast", 255, 255, 255, 255, 32)            \
  V4("reserved", 240, 0, 0, 0, 4)                    \
  V6("unspecified", 0, 0, 0, 128)      /* ::     */  \
  V6("loopback", 0, 0, 1, 128)         /* ::1    */  \
  V6("private", 0xfc00, 0, 0, 7)                     \
  V6("link-local", 0xfe80, 0, 0, 10)                 \
  V6("multicast", 0xff00, 0, 0, 8)                   \
  V6("documentation", 0x2001, 0x0db8, 0, 32)         \
  V6("documentation", 0x3fff, 0, 0, 20)              \
  /* all that is not global unicast, 2000::/3 */     \
  V6("reserved", 0, 0, 0, 3)                         \
  V6("reserved", 0x4000, 0, 0, 2)                    \
  V6("reserved", 0x8000, 0, 0, 1)

static const struct {
  const char *name;
  prefix range;
} special[] = {
#define V4(name, a, b, c, d, len) \
  {name, {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d}, 96 + len}},
#define V6(name, g0, g1, last, len)                                          \
  {name,                                                                     \
   {{(g0) >> 8, (g0)&0xff, (g1) >> 8, (g1)&0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, \
     0, 0, last},                                                            \
    len}},
    POL_SPECIAL_RANGES(V4, V6)
#undef V4
#undef V6
};

/* The class of the first special range x overlaps, or NULL when every
** address of x is ordinary public unicast. */
static const char *prefix_class(const prefix *given) {
  prefix x = as_judged(given);
  for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
    if (is_v4(&special[i].range) == is_v4(&x) &&
        overlaps(&special[i].range, &x))
      return special[i].name;
  return NULL;
}

/* The address of a sockaddr of family AF_INET or AF_INET6. */
static bool sockaddr_prefix(const struct sockaddr *sa, prefix *out) {
  out->len = 128;
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
    memcpy(out->a, mapped_head, 12);
    memcpy(out->a + 12, &in->sin_addr, 4);
    return true;
  }
  if (sa->sa_family == AF_INET6) {
    memcpy(out->a, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
    return true;
  }
  return false;
}

const char *policy_addr_class(const struct sockaddr *addr) {
  prefix x;
  return sockaddr_prefix(addr, &x) ? prefix_class(&x) : "non-ip";
}

void policy_addr_text(const struct sockaddr *addr, char *buf, size_t len) {
  const void *a = NULL;
  if (addr->sa_family == AF_INET)
    a = &((const struct sockaddr_in *)addr)->sin_addr;
  else if (addr->sa_family == AF_INET6)
    a = &((const struct sockaddr_in6 *)addr)->sin6_addr;
  if (!a || !inet_ntop(addr->sa_family, a, buf, (socklen_t)len))
    snprintf(buf, len, "?");
}

void policy_addr_refusal(const char *host, const struct sockaddr *addr,
                         const char *cap, char *why, size_t len) {
  char text[INET6_ADDRSTRLEN];
  const char *cls = policy_addr_class(addr);
  const char *a = cls && strchr("aeiou", cls[0]) ? "an" : "a";
  policy_addr_text(addr, text, sizeof text);
  if (cls && strcmp(host, text) == 0)
    snprintf(why, len, "%s is %s %s address: grant it by address (%s)", text,
             a, cls, cap);
  else if (cls)
    snprintf(why, len, "%s resolves to %s, %s %s address: grant it by "
             "address (%s)", host, text, a, cls, cap);
  else
    snprintf(why, len, "%s resolves to %s, which is not granted (%s)", host,
             text, cap);
}

/* An address as a grant's HOST spells it: "10.0.0.1", "[::1]". */
static void host_text(const prefix *x, char *buf, size_t size) {
  char text[INET6_ADDRSTRLEN];
  if (is_v4(x))
    inet_ntop(AF_INET, x->a + 12, text, sizeof text);
  else
    inet_ntop(AF_INET6, x->a, text, sizeof text);
  snprintf(buf, size, is_v4(x) ? "%s" : "[%s]", text);
}

/* ---- grant text ---- */

size_t pol_net_host_len(const char *arg) {
  const char *close = arg[0] == '[' ? strchr(arg, ']') : NULL;
  const char *colon = strrchr(close ? close : arg, ':');
  return colon ? (size_t)(colon - arg) : strlen(arg);
}

void pol_port_next(const char **s, unsigned long *lo, unsigned long *hi) {
  char *end;
  *lo = *hi = strtoul(*s, &end, 10);
  if (*end == '-')
    *hi = strtoul(end + 1, &end, 10);
  *s = *end == ',' ? end + 1 : end;
}

static bool ports_hold(const char *ports, unsigned port) {
  if (strcmp(ports, "*") == 0)
    return true;
  for (const char *s = ports; *s;) {
    unsigned long lo, hi;
    pol_port_next(&s, &lo, &hi);
    if (lo <= port && port <= hi)
      return true;
  }
  return false;
}

/* Whether b (bn bytes, a name) is strictly under the suffix of the
** wildcard a ("*.example.com": "a.example.com", not "example.com"). */
static bool name_under(const char *a, size_t an, const char *b, size_t bn) {
  return an > 2 && a[0] == '*' && a[1] == '.' && bn > an - 1 &&
         strncasecmp(b + bn - (an - 1), a + 1, an - 1) == 0;
}

bool pol_net_host_covers(const char *a, size_t an, const char *b, size_t bn) {
  prefix pa, pb;
  bool b_addr = grant_prefix(b, bn, &pb);
  if (grant_prefix(a, an, &pa))
    return b_addr && holds(&pa, &pb);
  if (b_addr)
    return an == 1 && a[0] == '*' && !prefix_class(&pb);
  if (an == 1 && a[0] == '*')
    return true;
  return (an == bn && strncasecmp(a, b, an) == 0) || name_under(a, an, b, bn);
}

/* ---- requests ---- */

/* A host as the plugin wrote it: a name (name, len: no trailing '.') or
** an address literal (lit). text is how a grant would spell it. */
typedef struct request {
  const char *name;
  size_t len;
  bool literal;
  prefix lit;
  char text[256];
} request;

static bool parse_request(const char *host, request *r) {
  size_t n = strlen(host);
  r->literal = !strchr(host, '/') && parse_prefix(host, n, false, &r->lit);
  if (r->literal) {
    host_text(&r->lit, r->text, sizeof r->text);
    return true;
  }
  if (!pol_host_name_ok(host, n))
    return false;
  r->name = host;
  r->len = n - (host[n - 1] == '.');
  snprintf(r->text, sizeof r->text, "%.*s", (int)r->len, host);
  for (char *c = r->text; *c; c++)
    if (*c >= 'A' && *c <= 'Z')
      *c = (char)(*c - 'A' + 'a');
  return true;
}

/* Whether grant g's HOST matches the request as written: "*", the same
** name, a wildcard above it, or (unless names_only) an address or CIDR
** holding the literal. */
static bool host_matches(const pol_grant *g, size_t hn, const request *r,
                         bool names_only) {
  prefix gp;
  if (hn == 1 && g->arg[0] == '*')
    return true;
  if (grant_prefix(g->arg, hn, &gp))
    return !names_only && r->literal && holds(&gp, &r->lit);
  if (r->literal)
    return false;
  return (hn == r->len && strncasecmp(g->arg, r->name, hn) == 0) ||
         name_under(g->arg, hn, r->name, r->len);
}

/* The first network grant of p whose HOST matches r and PORTS hold port. */
static const pol_grant *find_for_host(const policy *p, const request *r,
                                      unsigned port, bool names_only) {
  for (size_t i = 0; i < p->grants.n; i++) {
    const pol_grant *g = &p->grants.at[i];
    if (g->kind != POLICY_CAP_NETWORK)
      continue;
    size_t hn = pol_net_host_len(g->arg);
    if (host_matches(g, hn, r, names_only) && ports_hold(g->arg + hn + 1, port))
      return g;
  }
  return NULL;
}

/* The first grant whose HOST is an address or CIDR holding x, with port. */
static const pol_grant *find_for_addr(const policy *p, const prefix *x,
                                      unsigned port) {
  prefix gp;
  for (size_t i = 0; i < p->grants.n; i++) {
    const pol_grant *g = &p->grants.at[i];
    if (g->kind != POLICY_CAP_NETWORK)
      continue;
    size_t hn = pol_net_host_len(g->arg);
    if (grant_prefix(g->arg, hn, &gp) && holds(&gp, x) &&
        ports_hold(g->arg + hn + 1, port))
      return g;
  }
  return NULL;
}

/* The line of a grant, or the one that would have allowed HOST:PORT. */
static bool answer(const pol_grant *g, const char *host, unsigned port,
                   char *cap, size_t caplen) {
  if (g)
    pol_put(cap, caplen, g->text);
  else if (cap && caplen)
    snprintf(cap, caplen, "network:outbound:%s:%u", host, port);
  return g != NULL;
}

static bool may_connect_name_own(const policy *p, const char *host,
                                 unsigned port, char *cap, size_t caplen) {
  request r;
  pol_put(cap, caplen, "");
  if (port < 1 || port > 65535 || !parse_request(host, &r))
    return false;
  return answer(find_for_host(p, &r, port, false), r.text, port, cap, caplen);
}

/* An address grant decides alone; a name grant only for a public
** address, so that a name never leads where no grant points. */
static bool may_connect_addr_own(const policy *p, const char *host,
                                 const struct sockaddr *addr, unsigned port,
                                 char *cap, size_t caplen) {
  prefix x;
  request r;
  char text[64] = "";
  pol_put(cap, caplen, "");
  if (port < 1 || port > 65535 || !sockaddr_prefix(addr, &x))
    return false;
  const pol_grant *g = find_for_addr(p, &x, port);
  if (!g && !prefix_class(&x) && parse_request(host, &r))
    g = find_for_host(p, &r, port, true);
  if (!g)
    host_text(&x, text, sizeof text);
  return answer(g, text, port, cap, caplen);
}

bool policy_may_connect_name(const policy *p, const char *host, unsigned port,
                             char *cap, size_t caplen) {
  char rcap[POL_CAP_MAX];
  if (!may_connect_name_own(p, host, port, cap, caplen))
    return false;
  return !p->request ||
         pol_request_says(policy_may_connect_name(p->request, host, port,
                                                  rcap, sizeof rcap),
                          rcap, cap, caplen);
}

bool policy_may_connect_addr(const policy *p, const char *host,
                             const struct sockaddr *addr, unsigned port,
                             char *cap, size_t caplen) {
  char rcap[POL_CAP_MAX];
  if (!may_connect_addr_own(p, host, addr, port, cap, caplen))
    return false;
  return !p->request ||
         pol_request_says(policy_may_connect_addr(p->request, host, addr, port,
                                                  rcap, sizeof rcap),
                          rcap, cap, caplen);
}
