/*
** net_dns.c: DNS lookups for a plugin (reglet's dns_lookup), and the
** c-ares channel that net_tcp.c shares (net_ares.h).
**
** What a lookup returns follows reglet, whose answers come from Go's
** resolver:
** - A and AAAA: the addresses as text, through ares_getaddrinfo, so that
**   without a nameserver /etc/hosts answers first and "localhost" is the
**   loopback address (RFC 6761) even when /etc/hosts lacks it.
** - CNAME: the canonical name the address lookup ends at, as Go's
**   LookupCNAME gives it; a name that is no alias is its own canonical name.
** - MX (sorted by preference, ties in answer order), NS, CNAME: names end
**   with a dot, as Go writes them.
** - TXT: one string per record, its character-strings joined with
**   nothing between them, as Go's LookupTXT does.
** A name that does not exist, or that has no record of the type asked, is a
** "network" error with is_not_found set, as Go's "no such host"; code
** "NXDOMAIN" or "NODATA" says which (reglet leaves code empty; the
** broker's callers can tell the two apart this way).
*/
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net_ares.h"

/* ---- the channel (net_ares.h) ---- */

/* c-ares's own sockets would write with writev (SIGPIPE on a closed TCP
** connection) and set close-on-exec only after creating them; these do
** both at once. */
static ares_socket_t sock_open(int af, int type, int proto, void *ud) {
  return socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
}

static int sock_close(ares_socket_t s, void *ud) { return close(s); }

static int sock_connect(ares_socket_t s, const struct sockaddr *sa,
                        ares_socklen_t len, void *ud) {
  return connect(s, sa, len);
}

static ares_ssize_t sock_recvfrom(ares_socket_t s, void *buf, size_t len,
                                  int flags, struct sockaddr *from,
                                  ares_socklen_t *fromlen, void *ud) {
  return recvfrom(s, buf, len, flags, from, fromlen);
}

static ares_ssize_t sock_sendv(ares_socket_t s, const struct iovec *iov,
                               int n, void *ud) {
  struct msghdr m = {.msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)n};
  return sendmsg(s, &m, MSG_NOSIGNAL);
}

static const struct ares_socket_functions sock_funcs = {
    sock_open, sock_close, sock_connect, sock_recvfrom, sock_sendv};

static pthread_once_t ares_once = PTHREAD_ONCE_INIT;
static int ares_lib_status = ARES_ENOTINITIALIZED;

static void ares_lib_init(void) {
  ares_lib_status = ares_library_init(ARES_LIB_INIT_ALL);
}

/* "1.2.3.4:53" or "[::1]:53" into n; false when it is not that. */
static bool parse_nameserver(const char *s, struct ares_addr_port_node *n) {
  char host[INET6_ADDRSTRLEN];
  const char *end, *port;
  bool v6 = s[0] == '[';
  if (v6) {
    end = strchr(s, ']');
    port = end && end[1] == ':' ? end + 2 : NULL;
    s++;
  } else {
    end = strrchr(s, ':');
    port = end ? end + 1 : NULL;
  }
  if (!port || (size_t)(end - s) >= sizeof host)
    return false;
  memcpy(host, s, (size_t)(end - s));
  host[end - s] = '\0';
  char *stop;
  unsigned long p = strtoul(port, &stop, 10);
  if (port[0] < '0' || port[0] > '9' || *stop || p == 0 || p > 65535)
    return false;
  memset(n, 0, sizeof *n);
  n->family = v6 ? AF_INET6 : AF_INET;
  n->udp_port = n->tcp_port = (int)p;
  return inet_pton(n->family, host, v6 ? (void *)&n->addr.addr6
                                       : (void *)&n->addr.addr4) == 1;
}

bool net_ares_open(ares_channel *ch, const char *nameserver, net_error *e) {
  struct ares_addr_port_node server;
  struct ares_options opts = {.lookups = (char *)"b"};
  int status;
  *ch = NULL;
  if (nameserver && !parse_nameserver(nameserver, &server)) {
    net_error_set(e, "config", NULL,
                  "invalid nameserver \"%s\": want an address and a port, "
                  "as 192.0.2.1:53 or [2001:db8::1]:53", nameserver);
    return false;
  }
  pthread_once(&ares_once, ares_lib_init);
  status = ares_lib_status;
  if (status == ARES_SUCCESS)
    status = ares_init_options(ch, &opts, nameserver ? ARES_OPT_LOOKUPS : 0);
  if (status == ARES_SUCCESS && nameserver)
    status = ares_set_servers_ports(*ch, &server);
  if (status != ARES_SUCCESS)
    goto fail;
  ares_set_socket_functions(*ch, &sock_funcs, NULL);
  return true;
fail:
  if (*ch)
    ares_destroy(*ch);
  *ch = NULL;
  net_error_set(e, "internal", NULL, "DNS resolver: %s", ares_strerror(status));
  return false;
}

size_t net_ares_pollfds(ares_channel ch, struct pollfd *out, size_t max) {
  ares_socket_t socks[ARES_GETSOCK_MAXNUM];
  /* Bits as unsigned: ARES_GETSOCK_WRITABLE shifts an int into its sign
  ** bit for the last socket. */
  unsigned bits = (unsigned)ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
  size_t n = 0;
  /* More sockets than max (several servers, UDP and TCP) wait for the
  ** retry timer, which ares_process_fd runs on every step. */
  for (unsigned i = 0; i < ARES_GETSOCK_MAXNUM && n < max; i++) {
    short ev = (short)((bits & 1u << i ? POLLIN : 0) |
                       (bits & 1u << (i + ARES_GETSOCK_MAXNUM) ? POLLOUT : 0));
    if (ev)
      out[n++] = (struct pollfd){.fd = socks[i], .events = ev};
  }
  return n;
}

uint64_t net_ares_wake_ns(ares_channel ch) {
  struct timeval tv;
  if (!ares_timeout(ch, NULL, &tv))
    return UINT64_MAX;
  return net_now_ns() + (uint64_t)tv.tv_sec * 1000000000u +
         (uint64_t)tv.tv_usec * 1000u;
}

void net_ares_step(ares_channel ch, const struct pollfd *fds, size_t n) {
  for (size_t i = 0; i < n; i++) {
    short r = fds[i].revents;
    if (!(r & (POLLIN | POLLOUT | POLLERR | POLLHUP)))
      continue;
    ares_process_fd(ch, r & (POLLIN | POLLERR | POLLHUP) ? fds[i].fd
                                                        : ARES_SOCKET_BAD,
                    r & (POLLOUT | POLLERR) ? fds[i].fd : ARES_SOCKET_BAD);
  }
  ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

/* How c-ares's failures read to a plugin: Go's words where reglet's
** answers have them. */
#define ARES_ERROR_LIST(X)                                                  \
  X(ARES_ENOTFOUND, "network", "NXDOMAIN", "no such host")                  \
  X(ARES_ENODATA, "network", "NODATA", "no such host")                      \
  X(ARES_ETIMEOUT, "timeout", "ETIMEDOUT", "i/o timeout")                   \
  X(ARES_ESERVFAIL, "network", "SERVFAIL", "server misbehaving")            \
  X(ARES_EREFUSED, "network", "REFUSED", "server refused the query")        \
  X(ARES_ECONNREFUSED, "network", "ECONNREFUSED", "connection refused")     \
  X(ARES_ENOMEM, "internal", "", "out of memory")

void net_ares_error(net_error *e, int status, const char *name) {
  switch (status) {
#define ARES_ERROR_X_(st, type, code, text)                   \
  case st:                                                    \
    net_error_set(e, type, code, "lookup %s: %s", name, text); \
    break;
    ARES_ERROR_LIST(ARES_ERROR_X_)
#undef ARES_ERROR_X_
  default:
    net_error_set(e, "network", NULL, "lookup %s: %s", name,
                  ares_strerror(status));
  }
  e->is_not_found = status == ARES_ENOTFOUND || status == ARES_ENODATA;
  e->is_timeout = status == ARES_ETIMEOUT;
}

/* ---- the lookup ---- */

typedef enum dns_how {
  DNS_ADDRS, /* ares_getaddrinfo, addresses as text */
  DNS_CANON, /* ares_getaddrinfo, the canonical name */
  DNS_QUERY, /* ares_search, the answer parsed by type */
} dns_how;

typedef struct dns_type {
  const char *name;
  dns_how how;
  int family_or_type; /* AF_* for the first two, ns_t_* for queries */
} dns_type;

static const dns_type dns_types[] = {
    {"A", DNS_ADDRS, AF_INET},   {"AAAA", DNS_ADDRS, AF_INET6},
    {"CNAME", DNS_CANON, AF_UNSPEC}, {"MX", DNS_QUERY, ns_t_mx},
    {"TXT", DNS_QUERY, ns_t_txt}, {"NS", DNS_QUERY, ns_t_ns},
};

typedef struct dns_op {
  net_op op;
  ares_channel ch;
  const dns_type *type;
  char *name;
} dns_op;

static const dns_type *dns_type_find(const char *name) {
  for (size_t i = 0; i < sizeof dns_types / sizeof dns_types[0]; i++)
    if (name && strcmp(name, dns_types[i].name) == 0)
      return &dns_types[i];
  return NULL;
}

/* Takes s (malloc'd; NULL: out of memory) into the records; past
** NET_DNS_RECORDS_MAX it is dropped. False when out of memory. */
static bool keep(net_result *r, char *s) {
  if (!s)
    return false;
  if (r->nrecords == NET_DNS_RECORDS_MAX) {
    free(s);
    return true;
  }
  char **grown = realloc(r->records, (r->nrecords + 1) * sizeof *grown);
  if (!grown) {
    free(s);
    return false;
  }
  r->records = grown;
  r->records[r->nrecords++] = s;
  return true;
}

/* name with its final dot, as Go writes names (malloc'd). */
static char *dotted(const char *name) {
  size_t len = strlen(name);
  bool has_dot = len > 0 && name[len - 1] == '.';
  char *s = malloc(len + 2);
  if (s) {
    memcpy(s, name, len);
    memcpy(s + len, ".", has_dot ? 1 : 2);
  }
  return s;
}

static bool keep_addrs(net_result *r, const struct ares_addrinfo *ai) {
  for (const struct ares_addrinfo_node *n = ai->nodes; n; n = n->ai_next) {
    char text[INET6_ADDRSTRLEN];
    const void *a = n->ai_family == AF_INET
        ? (const void *)&((const struct sockaddr_in *)n->ai_addr)->sin_addr
        : (const void *)&((const struct sockaddr_in6 *)n->ai_addr)->sin6_addr;
    if (!inet_ntop(n->ai_family, a, text, sizeof text) ||
        !keep(r, strdup(text)))
      return false;
  }
  return true;
}

/* The end of the alias chain, else the name the answer is for. */
static bool keep_canon(net_result *r, const struct ares_addrinfo *ai,
                       const char *asked) {
  const char *canon = ai->name ? ai->name : asked;
  for (const struct ares_addrinfo_cname *c = ai->cnames; c; c = c->next)
    if (c->name)
      canon = c->name;
  return keep(r, dotted(canon));
}

static void on_addrinfo(void *arg, int status, int timeouts,
                        struct ares_addrinfo *ai) {
  dns_op *d = arg;
  if (status == ARES_EDESTRUCTION) /* the operation is being freed */
    return;
  net_result *r = &d->op.result;
  if (status == ARES_SUCCESS &&
      !(d->type->how == DNS_ADDRS ? keep_addrs(r, ai)
                                  : keep_canon(r, ai, d->name)))
    status = ARES_ENOMEM;
  if (status != ARES_SUCCESS)
    net_ares_error(&r->error, status, d->name);
  ares_freeaddrinfo(ai);
  net_op_finish(&d->op);
}

/* MX records in order of preference; equal ones keep the answer's order. */
static int parse_mx(net_result *r, const unsigned char *abuf, int alen) {
  struct ares_mx_reply *mx = NULL;
  int status = ares_parse_mx_reply(abuf, alen, &mx);
  for (struct ares_mx_reply *m = mx; status == ARES_SUCCESS && m;
       m = m->next) {
    if (r->nmx == NET_DNS_RECORDS_MAX)
      break;
    net_mx *grown = realloc(r->mx, (r->nmx + 1) * sizeof *grown);
    char *host = grown ? dotted(m->host) : NULL;
    if (grown)
      r->mx = grown;
    if (!host) {
      status = ARES_ENOMEM;
      break;
    }
    size_t at = r->nmx++;
    for (; at > 0 && r->mx[at - 1].pref > m->priority; at--)
      r->mx[at] = r->mx[at - 1];
    r->mx[at] = (net_mx){.host = host, .pref = m->priority};
  }
  ares_free_data(mx);
  return status;
}

static int parse_ns(net_result *r, const unsigned char *abuf, int alen) {
  struct hostent *h = NULL;
  int status = ares_parse_ns_reply(abuf, alen, &h);
  for (char **a = status == ARES_SUCCESS ? h->h_aliases : NULL; a && *a; a++)
    if (!keep(r, dotted(*a))) {
      status = ARES_ENOMEM;
      break;
    }
  if (h)
    ares_free_hostent(h);
  return status;
}

/* A record's character-strings joined, one record per string. */
static int parse_txt(net_result *r, const unsigned char *abuf, int alen) {
  struct ares_txt_ext *txt = NULL;
  int status = ares_parse_txt_reply_ext(abuf, alen, &txt);
  for (struct ares_txt_ext *p = txt, *q; status == ARES_SUCCESS && p; p = q) {
    size_t len = 0, at = 0;
    for (q = p; q && (q == p || !q->record_start); q = q->next)
      len += q->length;
    char *s = malloc(len + 1);
    for (const struct ares_txt_ext *c = p; s && c != q; c = c->next) {
      memcpy(s + at, c->txt, c->length);
      at += c->length;
    }
    if (s)
      s[len] = '\0';
    if (!keep(r, s))
      status = ARES_ENOMEM;
  }
  ares_free_data(txt);
  return status;
}

static void on_answer(void *arg, int status, int timeouts,
                      unsigned char *abuf, int alen) {
  dns_op *d = arg;
  if (status == ARES_EDESTRUCTION) /* the operation is being freed */
    return;
  net_result *r = &d->op.result;
  if (status == ARES_SUCCESS) {
    switch (d->type->family_or_type) {
    case ns_t_mx:
      status = parse_mx(r, abuf, alen);
      break;
    case ns_t_ns:
      status = parse_ns(r, abuf, alen);
      break;
    default:
      status = parse_txt(r, abuf, alen);
    }
  }
  if (status != ARES_SUCCESS)
    net_ares_error(&r->error, status, d->name);
  net_op_finish(&d->op);
}

static size_t dns_pollfds(net_op *op, struct pollfd *out, size_t max) {
  return net_ares_pollfds(((dns_op *)op)->ch, out, max);
}

static uint64_t dns_wake_ns(const net_op *op) {
  return net_ares_wake_ns(((const dns_op *)op)->ch);
}

static void dns_step(net_op *op, const struct pollfd *fds, size_t n,
                     uint64_t now_ns) {
  dns_op *d = (dns_op *)op;
  if (now_ns >= op->deadline_ns) { /* its sockets are closed at once */
    ares_destroy(d->ch);
    d->ch = NULL;
    net_ares_error(&op->result.error, ARES_ETIMEOUT, d->name);
    net_op_finish(op);
    return;
  }
  net_ares_step(d->ch, fds, n);
}

static void dns_free(net_op *op) {
  dns_op *d = (dns_op *)op;
  if (d->ch)
    ares_destroy(d->ch);
  free(d->name);
  free(d);
}

static const net_op_vt dns_vt = {dns_pollfds, dns_wake_ns, dns_step,
                                 dns_free};

/* Starts the query; its callback may run at once (an address literal,
** /etc/hosts, "localhost"), which finishes the operation here. */
static void dns_ask(dns_op *d) {
  if (d->type->how == DNS_QUERY) {
    ares_search(d->ch, d->name, ns_c_in, d->type->family_or_type, on_answer,
                d);
    return;
  }
  struct ares_addrinfo_hints hints = {
      .ai_family = d->type->family_or_type,
      .ai_flags = d->type->how == DNS_CANON ? ARES_AI_CANONNAME : 0};
  ares_getaddrinfo(d->ch, d->name, NULL, &hints, on_addrinfo, d);
}

net_op *net_dns_start(const net_dns_req *r, uint64_t deadline_ns) {
  dns_op *d = calloc(1, sizeof *d);
  if (!d)
    return NULL;
  net_op_init(&d->op, &dns_vt, NET_DNS, deadline_ns);
  net_error *e = &d->op.result.error;
  /* reglet's checks, in its order. */
  if (!r->hostname || !r->hostname[0]) {
    net_error_set(e, "config", NULL, "hostname cannot be empty");
    goto done;
  }
  d->type = dns_type_find(r->type);
  if (!d->type) {
    net_error_set(e, "validation", NULL, "unsupported record type: %s",
                  r->type ? r->type : "");
    goto done;
  }
  d->name = strdup(r->hostname);
  if (!d->name) {
    free(d);
    return NULL;
  }
  if (!net_ares_open(&d->ch, r->nameserver, e))
    goto done;
  dns_ask(d);
  return &d->op;
done:
  net_op_finish(&d->op);
  return &d->op;
}
