/*
** test_net_ops.c: the DNS, TCP and SMTP operations of supervisor/net.h,
** driven to their end by a poll loop as the supervisor's loop drives them,
** against servers the tests start on 127.0.0.1: a small DNS responder, TCP
** listeners, scripted SMTP servers, TLS with a certificate made here.
**
** Criterion runs each test in its own process, so a test may point
** SSL_CERT_FILE at its certificate before the first TLS connection reads
** the trust store.
*/
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "net.h"

/* ---- driving an operation ---- */

static uint64_t in_ms(unsigned ms) {
  return net_now_ns() + (uint64_t)ms * 1000000u;
}

/* Polls what the operation asks for until it is done, never more than
** NET_POLL_MAX descriptors, never past its wake time. */
static void drive(net_op *op) {
  cr_assert_not_null(op);
  while (!net_op_done(op)) {
    struct pollfd fds[NET_POLL_MAX];
    size_t n = net_op_pollfds(op, fds, NET_POLL_MAX);
    uint64_t wake = net_op_wake_ns(op), now = net_now_ns();
    cr_assert_leq(n, NET_POLL_MAX);
    cr_assert(n > 0 || wake != UINT64_MAX, "an operation waiting for nothing");
    int ms = wake == UINT64_MAX ? -1
             : wake <= now      ? 0
                                : (int)((wake - now + 999999) / 1000000);
    cr_assert_geq(poll(fds, n, ms), 0);
    net_op_step(op, fds, n, net_now_ns());
  }
  cr_assert_eq(net_op_pollfds(op, NULL, 0), 0);
}

static int fd_count(void) {
  DIR *d = opendir("/proc/self/fd");
  int n = 0;
  cr_assert_not_null(d);
  while (readdir(d))
    n++;
  closedir(d);
  return n;
}

static bool has_record(const net_result *r, const char *text) {
  for (size_t i = 0; i < r->nrecords; i++)
    if (strcmp(r->records[i], text) == 0)
      return true;
  return false;
}

/* ---- the owner's check ---- */

typedef struct checker {
  int calls;
  bool allow;
  char host[64];
} checker;

static bool check_connect(void *ud, const char *host,
                          const struct sockaddr *addr, socklen_t len,
                          char *why, size_t whylen) {
  checker *c = ud;
  c->calls++;
  snprintf(c->host, sizeof c->host, "%s", host);
  if (!c->allow)
    snprintf(why, whylen, "network:outbound:%s is not granted", host);
  return c->allow;
}

/* ---- TCP listeners ---- */

static int listener(uint16_t *port) {
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  cr_assert_geq(fd, 0);
  cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  cr_assert_eq(listen(fd, 4), 0);
  cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  *port = ntohs(a.sin_port);
  return fd;
}

/* A port nothing listens on. */
static uint16_t closed_port(void) {
  uint16_t port;
  close(listener(&port));
  return port;
}

/* Whether a connection waits in fd's backlog (without blocking). */
static bool was_connected(int fd) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  return poll(&p, 1, 0) == 1;
}

/* ---- a certificate made for the test ---- */

static EVP_PKEY *cert_key;
static X509 *cert;
static char cert_path[64];

#define CERT_SUBJECT                                                    \
  "CN=localhost,OU=a+OU=b,O=Plugsup\\, Inc.,C=US,"                      \
  "1.2.840.113549.1.9.1=#0c087440782e74657374"
#define CERT_NOT_AFTER 1893456000 /* 2030-01-01T00:00:00Z */

/* Self-signed, for localhost (no IP address), written to cert_path. */
static void make_cert(void) {
  X509V3_CTX ctx;
  cert_key = EVP_EC_gen("P-256");
  cert = X509_new();
  cr_assert(cert_key && cert);
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  ASN1_TIME_set_string(X509_getm_notAfter(cert), "20300101000000Z");
  X509_NAME *n = X509_get_subject_name(cert);
  const char *fields[][2] = {{"C", "US"},       {"O", "Plugsup, Inc."},
                             {"OU", "a"},       {"OU", "b"},
                             {"CN", "localhost"}, {"emailAddress", "t@x.test"}};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    cr_assert(X509_NAME_add_entry_by_txt(n, fields[i][0], MBSTRING_ASC,
                                         (const unsigned char *)fields[i][1],
                                         -1, -1, 0));
  X509_set_issuer_name(cert, n);
  X509_set_pubkey(cert, cert_key);
  X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
  X509_EXTENSION *san =
      X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, "DNS:localhost");
  cr_assert_not_null(san);
  X509_add_ext(cert, san, -1);
  X509_EXTENSION_free(san);
  cr_assert(X509_sign(cert, cert_key, EVP_sha256()));
  snprintf(cert_path, sizeof cert_path, "/tmp/plugsup-net-XXXXXX");
  int fd = mkstemp(cert_path);
  cr_assert_geq(fd, 0);
  FILE *f = fdopen(fd, "w");
  cr_assert(PEM_write_X509(f, cert));
  fclose(f);
}

static void trust_cert(void) { setenv("SSL_CERT_FILE", cert_path, 1); }

static void drop_cert(void) {
  if (cert_path[0])
    unlink(cert_path);
  X509_free(cert);
  EVP_PKEY_free(cert_key);
}

static SSL_CTX *server_ctx(void) {
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  cr_assert(ctx && SSL_CTX_use_certificate(ctx, cert) &&
            SSL_CTX_use_PrivateKey(ctx, cert_key));
  return ctx;
}

/* ---- scripted servers ---- */

/* A script's steps: "S<text>" sends text, "R" reads a line into the log,
** "T" accepts TLS. After the script the server logs lines until the
** client closes. */
typedef struct server {
  int lfd;
  uint16_t port;
  const char *const *script;
  char log[1024];
  pthread_t thread;
} server;

static void log_line(server *s, const char *line, size_t n) {
  size_t at = strlen(s->log);
  snprintf(s->log + at, sizeof s->log - at, "%.*s|", (int)n, line);
}

/* One line, without its CRLF; false at the end of the stream. */
static bool read_line(int fd, SSL *ssl, char *line, size_t cap, size_t *n) {
  *n = 0;
  for (;;) {
    char c;
    int got = ssl ? SSL_read(ssl, &c, 1) : (int)recv(fd, &c, 1, 0);
    if (got <= 0)
      return false;
    if (c == '\n')
      break;
    if (c != '\r' && *n < cap)
      line[(*n)++] = c;
  }
  return true;
}

static void *serve(void *arg) {
  server *s = arg;
  char line[512];
  size_t n;
  SSL_CTX *ctx = NULL;
  SSL *ssl = NULL;
  struct timeval tv = {.tv_sec = 5};
  sigset_t pipe_set;
  /* The server writes to clients that may be gone (a TLS 1.3 session
  ** ticket after the handshake): its SIGPIPE stays pending on this thread,
  ** while one raised by the operations would still end the test. */
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, NULL);
  int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
  if (fd < 0)
    return NULL;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  for (const char *const *step = s->script; *step; step++) {
    if ((*step)[0] == 'S') {
      size_t len = strlen(*step + 1);
      if (ssl)
        SSL_write(ssl, *step + 1, (int)len);
      else
        send(fd, *step + 1, len, MSG_NOSIGNAL);
    } else if ((*step)[0] == 'R') {
      if (!read_line(fd, ssl, line, sizeof line, &n))
        goto done;
      log_line(s, line, n);
    } else {
      ctx = server_ctx();
      ssl = SSL_new(ctx);
      SSL_set_fd(ssl, fd);
      if (SSL_accept(ssl) != 1)
        goto done;
    }
  }
  while (read_line(fd, ssl, line, sizeof line, &n))
    log_line(s, line, n);
done:
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  close(fd);
  return NULL;
}

static void server_start(server *s, const char *const *script) {
  memset(s, 0, sizeof *s);
  s->lfd = listener(&s->port);
  s->script = script;
  cr_assert_eq(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(server *s) {
  pthread_join(s->thread, NULL);
  close(s->lfd);
}

/* ---- a DNS responder ---- */

/* The zone it answers for; TXT strings are split at '|'. A name it does
** not know is NXDOMAIN; a known name without the type asked has no data. */
static const struct zrec {
  const char *owner;
  uint16_t type;
  const char *data;
} zone[] = {
    {"www.test", 1, "192.0.2.1"},    {"www.test", 1, "192.0.2.2"},
    {"www.test", 28, "2001:db8::1"}, {"alias.test", 5, "www.test"},
    {"mail.test", 15, "20 mx2.test"}, {"mail.test", 15, "10 mx1.test"},
    {"mail.test", 15, "20 mx3.test"}, {"txt.test", 16, "v=spf1 |-all"},
    {"txt.test", 16, "hello"},        {"zone.test", 2, "ns1.test"},
    {"zone.test", 2, "ns2.test"},
};

typedef struct dns_server {
  int fd;
  uint16_t port;
  char nameserver[32];
  atomic_bool stop;
  atomic_int queries;
  bool silent; /* reads queries and never answers */
  pthread_t thread;
} dns_server;

static size_t put_name(uint8_t *p, const char *name) {
  size_t at = 0;
  while (*name) {
    const char *dot = strchr(name, '.');
    size_t len = dot ? (size_t)(dot - name) : strlen(name);
    p[at++] = (uint8_t)len;
    memcpy(p + at, name, len);
    at += len;
    name += len + (dot != NULL);
  }
  p[at++] = 0;
  return at;
}

static size_t put_rdata(uint8_t *p, const struct zrec *r) {
  char copy[128];
  unsigned pref;
  switch (r->type) {
  case 1:
    inet_pton(AF_INET, r->data, p);
    return 4;
  case 28:
    inet_pton(AF_INET6, r->data, p);
    return 16;
  case 15:
    sscanf(r->data, "%u %127s", &pref, copy);
    p[0] = (uint8_t)(pref >> 8);
    p[1] = (uint8_t)pref;
    return 2 + put_name(p + 2, copy);
  case 16: {
    size_t at = 0;
    snprintf(copy, sizeof copy, "%s", r->data);
    for (char *save, *s = strtok_r(copy, "|", &save); s;
         s = strtok_r(NULL, "|", &save)) {
      p[at++] = (uint8_t)strlen(s);
      memcpy(p + at, s, strlen(s));
      at += strlen(s);
    }
    return at;
  }
  default:
    return put_name(p, r->data);
  }
}

static size_t put_rr(uint8_t *p, const struct zrec *r) {
  size_t at = put_name(p, r->owner);
  uint8_t fixed[8] = {(uint8_t)(r->type >> 8), (uint8_t)r->type, 0, 1,
                      0, 0, 0, 60};
  memcpy(p + at, fixed, 8);
  size_t len = put_rdata(p + at + 10, r);
  p[at + 8] = (uint8_t)(len >> 8);
  p[at + 9] = (uint8_t)len;
  return at + 10 + len;
}

/* The answer to q (a query of qlen bytes) in out; its length. */
static size_t dns_answer(const uint8_t *q, size_t qlen, uint8_t *out) {
  char name[256] = "";
  size_t at = 12, nlen = 0;
  while (at < qlen && q[at] && nlen + q[at] + 1 < sizeof name) {
    memcpy(name + nlen, q + at + 1, q[at]);
    nlen += q[at];
    name[nlen++] = '.';
    at += q[at] + 1;
  }
  if (at + 5 > qlen)
    return 0;
  name[nlen ? nlen - 1 : 0] = '\0';
  uint16_t qtype = (uint16_t)(q[at + 1] << 8 | q[at + 2]);
  size_t end = at + 5, len = end, count = 0;
  bool known = false;
  memcpy(out, q, end);
  for (size_t i = 0; i < sizeof zone / sizeof zone[0]; i++) {
    if (strcasecmp(zone[i].owner, name) != 0)
      continue;
    known = true;
    if (zone[i].type == 5 && qtype != 5) { /* follow the alias */
      len += put_rr(out + len, &zone[i]);
      count++;
      snprintf(name, sizeof name, "%s", zone[i].data);
      i = (size_t)-1;
    } else if (zone[i].type == qtype) {
      len += put_rr(out + len, &zone[i]);
      count++;
    }
  }
  out[2] = 0x85; /* QR, AA, RD */
  out[3] = known ? 0x80 : 0x83; /* RA, and NXDOMAIN when unknown */
  memset(out + 6, 0, 6);
  out[7] = (uint8_t)count;
  return len;
}

static void *dns_serve(void *arg) {
  dns_server *s = arg;
  while (!atomic_load(&s->stop)) {
    struct pollfd p = {.fd = s->fd, .events = POLLIN};
    uint8_t q[512], a[2048];
    struct sockaddr_storage from;
    socklen_t fromlen = sizeof from;
    if (poll(&p, 1, 50) <= 0)
      continue;
    ssize_t n = recvfrom(s->fd, q, sizeof q, 0, (struct sockaddr *)&from,
                         &fromlen);
    if (n <= 0)
      continue;
    atomic_fetch_add(&s->queries, 1);
    size_t len = s->silent ? 0 : dns_answer(q, (size_t)n, a);
    if (len)
      sendto(s->fd, a, len, 0, (struct sockaddr *)&from, fromlen);
  }
  return NULL;
}

static void dns_start(dns_server *s, bool silent) {
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  memset(s, 0, sizeof *s);
  s->silent = silent;
  s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  cr_assert_geq(s->fd, 0);
  cr_assert_eq(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
  cr_assert_eq(getsockname(s->fd, (struct sockaddr *)&a, &len), 0);
  s->port = ntohs(a.sin_port);
  snprintf(s->nameserver, sizeof s->nameserver, "127.0.0.1:%u", s->port);
  cr_assert_eq(pthread_create(&s->thread, NULL, dns_serve, s), 0);
}

static void dns_stop(dns_server *s) {
  atomic_store(&s->stop, true);
  pthread_join(s->thread, NULL);
  close(s->fd);
}

/* A lookup through the test's responder, driven to its end. */
static net_op *lookup(dns_server *s, const char *name, const char *type) {
  net_dns_req req = {.hostname = name, .type = type,
                     .nameserver = s->nameserver};
  net_op *op = net_dns_start(&req, in_ms(5000));
  drive(op);
  return op;
}

/* ---- DNS ---- */

Test(net_dns, a_and_aaaa_through_the_nameserver) {
  dns_server s;
  dns_start(&s, false);
  int fds = fd_count();
  net_op *op = lookup(&s, "www.test", "A");
  const net_result *r = net_op_result(op);
  cr_assert_str_empty(r->error.type, "%s", r->error.message);
  cr_assert_eq(r->kind, NET_DNS);
  cr_assert_eq(r->nrecords, 2);
  cr_assert(has_record(r, "192.0.2.1") && has_record(r, "192.0.2.2"));
  net_op_free(op);
  op = lookup(&s, "www.test", "AAAA");
  r = net_op_result(op);
  cr_assert_eq(r->nrecords, 1);
  cr_assert_str_eq(r->records[0], "2001:db8::1");
  net_op_free(op);
  cr_assert_eq(fd_count(), fds, "a descriptor outlived its operation");
  dns_stop(&s);
}

Test(net_dns, cname_is_the_canonical_name_with_its_dot) {
  dns_server s;
  dns_start(&s, false);
  net_op *op = lookup(&s, "alias.test", "CNAME");
  const net_result *r = net_op_result(op);
  cr_assert_str_empty(r->error.type, "%s", r->error.message);
  cr_assert_eq(r->nrecords, 1);
  cr_assert_str_eq(r->records[0], "www.test.");
  net_op_free(op);
  dns_stop(&s);
}

Test(net_dns, mx_sorted_by_preference) {
  dns_server s;
  dns_start(&s, false);
  net_op *op = lookup(&s, "mail.test", "MX");
  const net_result *r = net_op_result(op);
  cr_assert_str_empty(r->error.type, "%s", r->error.message);
  cr_assert_eq(r->nmx, 3);
  cr_assert_eq(r->nrecords, 0);
  cr_assert_str_eq(r->mx[0].host, "mx1.test.");
  cr_assert_eq(r->mx[0].pref, 10);
  cr_assert_str_eq(r->mx[1].host, "mx2.test.");
  cr_assert_str_eq(r->mx[2].host, "mx3.test.");
  cr_assert_eq(r->mx[2].pref, 20);
  net_op_free(op);
  dns_stop(&s);
}

Test(net_dns, txt_strings_of_a_record_are_joined) {
  dns_server s;
  dns_start(&s, false);
  net_op *op = lookup(&s, "txt.test", "TXT");
  const net_result *r = net_op_result(op);
  cr_assert_str_empty(r->error.type, "%s", r->error.message);
  cr_assert_eq(r->nrecords, 2);
  cr_assert_str_eq(r->records[0], "v=spf1 -all");
  cr_assert_str_eq(r->records[1], "hello");
  net_op_free(op);
  dns_stop(&s);
}

Test(net_dns, ns_names) {
  dns_server s;
  dns_start(&s, false);
  net_op *op = lookup(&s, "zone.test", "NS");
  const net_result *r = net_op_result(op);
  cr_assert_eq(r->nrecords, 2);
  cr_assert(has_record(r, "ns1.test.") && has_record(r, "ns2.test."));
  net_op_free(op);
  dns_stop(&s);
}

Test(net_dns, nxdomain_and_nodata_are_not_found) {
  dns_server s;
  dns_start(&s, false);
  net_op *op = lookup(&s, "nx.test", "A");
  const net_result *r = net_op_result(op);
  cr_assert_str_eq(r->error.type, "network");
  cr_assert_str_eq(r->error.code, "NXDOMAIN");
  cr_assert_str_eq(r->error.message, "lookup nx.test: no such host");
  cr_assert(r->error.is_not_found && !r->error.is_timeout);
  cr_assert_eq(r->nrecords, 0);
  net_op_free(op);
  op = lookup(&s, "www.test", "MX");
  r = net_op_result(op);
  cr_assert_str_eq(r->error.type, "network");
  cr_assert_str_eq(r->error.code, "NODATA");
  cr_assert(r->error.is_not_found);
  net_op_free(op);
  dns_stop(&s);
}

Test(net_dns, a_silent_nameserver_times_out_at_the_deadline) {
  dns_server s;
  dns_start(&s, true);
  net_dns_req req = {.hostname = "www.test", .type = "A",
                     .nameserver = s.nameserver};
  uint64_t t0 = net_now_ns();
  net_op *op = net_dns_start(&req, in_ms(300));
  drive(op);
  const net_result *r = net_op_result(op);
  cr_assert_str_eq(r->error.type, "timeout");
  cr_assert_str_eq(r->error.code, "ETIMEDOUT");
  cr_assert(r->error.is_timeout);
  cr_assert_geq(net_now_ns() - t0, 300000000u);
  cr_assert_geq(atomic_load(&s.queries), 1);
  net_op_free(op);
  dns_stop(&s);
}

Test(net_dns, localhost_from_the_system_without_a_nameserver) {
  net_dns_req req = {.hostname = "localhost", .type = "A"};
  net_op *op = net_dns_start(&req, in_ms(5000));
  drive(op);
  const net_result *r = net_op_result(op);
  cr_assert_str_empty(r->error.type, "%s", r->error.message);
  cr_assert(has_record(r, "127.0.0.1"));
  net_op_free(op);
}

Test(net_dns, refusals_before_any_lookup) {
  static const struct {
    net_dns_req req;
    const char *type, *message;
  } cases[] = {
      {{"www.test", "SRV", NULL}, "validation", "unsupported record type: SRV"},
      {{"www.test", NULL, NULL}, "validation", "unsupported record type: "},
      {{"", "A", NULL}, "config", "hostname cannot be empty"},
      {{"www.test", "A", "ns.example:53"}, "config",
       "invalid nameserver \"ns.example:53\": want an address and a port, "
       "as 192.0.2.1:53 or [2001:db8::1]:53"},
  };
  const char *bad_servers[] = {"[::1]", "::1:53", "127.0.0.1", "127.0.0.1:0",
                               "127.0.0.1:65536", "[::1]:5x"};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    net_op *op = net_dns_start(&cases[i].req, in_ms(1000));
    cr_assert(net_op_done(op), "case %zu is not done at once", i);
    cr_assert_str_eq(net_op_result(op)->error.type, cases[i].type);
    cr_assert_str_eq(net_op_result(op)->error.message, cases[i].message);
    net_op_free(op);
  }
  for (size_t i = 0; i < sizeof bad_servers / sizeof bad_servers[0]; i++) {
    net_dns_req req = {"www.test", "A", bad_servers[i]};
    net_op *op = net_dns_start(&req, in_ms(1000));
    cr_assert(net_op_done(op));
    cr_assert_str_eq(net_op_result(op)->error.type, "config", "%s",
                     bad_servers[i]);
    net_op_free(op);
  }
}

/* ---- TCP ---- */

static net_op *tcp(const char *host, uint16_t port, bool tls, checker *c,
                   unsigned ms) {
  net_tcp_req req = {.host = host, .port = port, .tls = tls};
  net_check check = {check_connect, c};
  net_op *op = net_tcp_start(&req, &check, in_ms(ms));
  drive(op);
  return op;
}

Test(net_tcp, connects_and_says_where) {
  uint16_t port;
  int lfd = listener(&port);
  checker c = {.allow = true};
  char want[32];
  int fds = fd_count();
  net_op *op = tcp("127.0.0.1", port, false, &c, 5000);
  const net_result *r = net_op_result(op);
  cr_assert_str_empty(r->error.type, "%s", r->error.message);
  cr_assert_eq(r->kind, NET_TCP);
  cr_assert(r->connected && !r->tls);
  snprintf(want, sizeof want, "127.0.0.1:%u", port);
  cr_assert_str_eq(r->address, want);
  cr_assert_str_eq(r->remote_addr, want);
  cr_assert_eq(strncmp(r->local_addr, "127.0.0.1:", 10), 0, "%s",
               r->local_addr);
  cr_assert_eq(r->tls_cert_not_after, INT64_MIN);
  cr_assert_eq(c.calls, 1);
  cr_assert_str_eq(c.host, "127.0.0.1");
  net_op_free(op);
  cr_assert_eq(fd_count(), fds, "a descriptor outlived its operation");
  cr_assert(was_connected(lfd));
  close(lfd);
}

Test(net_tcp, a_name_from_the_hosts_file) {
  uint16_t port;
  int lfd = listener(&port);
  checker c = {.allow = true};
  net_op *op = tcp("localhost", port, false, &c, 5000);
  const net_result *r = net_op_result(op);
  cr_assert_str_empty(r->error.type, "%s", r->error.message);
  cr_assert(r->connected);
  cr_assert_str_eq(c.host, "localhost");
  net_op_free(op);
  close(lfd);
}

Test(net_tcp, a_closed_port_is_refused) {
  checker c = {.allow = true};
  net_op *op = tcp("127.0.0.1", closed_port(), false, &c, 5000);
  const net_result *r = net_op_result(op);
  cr_assert_str_eq(r->error.type, "network");
  cr_assert_str_eq(r->error.code, "ECONNREFUSED");
  cr_assert(strstr(r->error.message, "Connection refused"), "%s",
            r->error.message);
  cr_assert(!r->connected);
  net_op_free(op);
}

Test(net_tcp, a_refused_address_is_never_dialled) {
  uint16_t port;
  int lfd = listener(&port);
  checker c = {.allow = false};
  net_op *op = tcp("127.0.0.1", port, false, &c, 5000);
  const net_result *r = net_op_result(op);
  cr_assert_str_eq(r->error.type, "capability");
  cr_assert_str_eq(r->error.message,
                   "network:outbound:127.0.0.1 is not granted");
  cr_assert(!r->connected);
  cr_assert_eq(c.calls, 1);
  cr_assert(!was_connected(lfd), "the listener saw a connection");
  net_op_free(op);
  close(lfd);
}

Test(net_tcp, a_handshake_never_answered_times_out) {
  uint16_t port;
  int lfd = listener(&port); /* never accepts: the kernel's backlog */
  checker c = {.allow = true};
  uint64_t t0 = net_now_ns();
  net_op *op = tcp("127.0.0.1", port, true, &c, 300);
  const net_result *r = net_op_result(op);
  cr_assert_str_eq(r->error.type, "timeout");
  cr_assert_str_eq(r->error.code, "ETIMEDOUT");
  cr_assert(r->error.is_timeout);
  cr_assert(strstr(r->error.message, "TLS handshake"), "%s", r->error.message);
  cr_assert_geq(net_now_ns() - t0, 300000000u);
  net_op_free(op);
  close(lfd);
}

Test(net_tcp, requests_without_host_or_port) {
  checker c = {.allow = true};
  net_check check = {check_connect, &c};
  net_tcp_req no_host = {.host = "", .port = 80};
  net_tcp_req no_port = {.host = "127.0.0.1"};
  net_op *op = net_tcp_start(&no_host, &check, in_ms(1000));
  cr_assert(net_op_done(op));
  cr_assert_str_eq(net_op_result(op)->error.message, "host cannot be empty");
  net_op_free(op);
  op = net_tcp_start(&no_port, &check, in_ms(1000));
  cr_assert_str_eq(net_op_result(op)->error.message, "port cannot be empty");
  net_op_free(op);
  cr_assert_eq(c.calls, 0);
}

/* ---- TLS ---- */

static const char *const tls_only[] = {"T", NULL};

Test(net_tls, an_untrusted_certificate_fails_verification,
     .init = make_cert, .fini = drop_cert) {
  server s;
  unsetenv("SSL_CERT_FILE");
  server_start(&s, tls_only);
  checker c = {.allow = true};
  net_op *op = tcp("localhost", s.port, true, &c, 5000);
  const net_result *r = net_op_result(op);
  cr_assert_str_eq(r->error.type, "network");
  cr_assert_str_eq(r->error.message,
                   "TLS handshake failed: certificate verification failed: "
                   "self-signed certificate");
  net_op_free(op);
  server_stop(&s);
}

Test(net_tls, a_trusted_certificate_is_described_as_go_does,
     .init = make_cert, .fini = drop_cert) {
  server s;
  trust_cert();
  server_start(&s, tls_only);
  checker c = {.allow = true};
  net_op *op = tcp("localhost", s.port, true, &c, 5000);
  const net_result *r = net_op_result(op);
  cr_assert_str_empty(r->error.type, "%s", r->error.message);
  cr_assert(r->connected && r->tls);
  cr_assert_str_eq(r->tls_version, "TLS 1.3");
  cr_assert_eq(strncmp(r->tls_cipher_suite, "TLS_AES_", 8), 0, "%s",
               r->tls_cipher_suite);
  cr_assert_str_eq(r->tls_server_name, "localhost");
  cr_assert_str_eq(r->tls_cert_subject, CERT_SUBJECT);
  cr_assert_str_eq(r->tls_cert_issuer, CERT_SUBJECT);
  cr_assert_eq(r->tls_cert_not_after, CERT_NOT_AFTER);
  net_op_free(op);
  server_stop(&s);
}

Test(net_tls, an_address_the_certificate_does_not_name_fails,
     .init = make_cert, .fini = drop_cert) {
  server s;
  trust_cert();
  server_start(&s, tls_only);
  checker c = {.allow = true};
  net_op *op = tcp("127.0.0.1", s.port, true, &c, 5000);
  const net_result *r = net_op_result(op);
  cr_assert_str_eq(r->error.type, "network");
  cr_assert_str_eq(r->error.message,
                   "TLS handshake failed: certificate verification failed: "
                   "IP address mismatch");
  cr_assert_str_empty(r->tls_server_name);
  net_op_free(op);
  server_stop(&s);
}

/* ---- SMTP ---- */

static net_op *smtp(server *s, const char *host, bool tls, bool starttls,
                    unsigned ms) {
  checker c = {.allow = true};
  net_tcp_req req = {.host = host, .port = s->port, .tls = tls,
                     .starttls = starttls};
  net_check check = {check_connect, &c};
  net_op *op = net_smtp_start(&req, &check, in_ms(ms));
  drive(op);
  server_stop(s);
  return op;
}

Test(net_smtp, the_greeting_is_the_banner) {
  static const char *const script[] = {"S220 test ESMTP\r\n", NULL};
  server s;
  server_start(&s, script);
  net_op *op = smtp(&s, "127.0.0.1", false, false, 5000);
  const net_result *r = net_op_result(op);
  cr_assert_str_empty(r->error.type, "%s", r->error.message);
  cr_assert_eq(r->kind, NET_SMTP);
  cr_assert(r->connected && !r->tls);
  cr_assert_str_eq(r->banner, "220 test ESMTP");
  cr_assert_str_eq(s.log, "QUIT|");
  net_op_free(op);
}

Test(net_smtp, a_greeting_of_several_lines) {
  static const char *const script[] = {
      "S220-mx.test ESMTP\r\n220-no spam\r\n220 ready  \r\n", NULL};
  server s;
  server_start(&s, script);
  net_op *op = smtp(&s, "127.0.0.1", false, false, 5000);
  const net_result *r = net_op_result(op);
  cr_assert_str_empty(r->error.type, "%s", r->error.message);
  cr_assert_str_eq(r->banner, "220 mx.test ESMTP\nno spam\nready");
  net_op_free(op);
}

Test(net_smtp, a_greeting_that_is_not_220) {
  static const char *const script[] = {"S554 go away\r\n", NULL};
  server s;
  server_start(&s, script);
  net_op *op = smtp(&s, "127.0.0.1", false, false, 5000);
  const net_result *r = net_op_result(op);
  cr_assert_str_eq(r->error.type, "network");
  cr_assert_str_eq(r->error.message, "failed to read SMTP banner: 554 go away");
  cr_assert_null(r->banner);
  cr_assert_str_empty(s.log, "QUIT to a server that did not greet");
  net_op_free(op);
}

Test(net_smtp, garbage_is_no_greeting) {
  static const char *const script[] = {"SHTTP/1.1 400 Bad Request\r\n", NULL};
  server s;
  server_start(&s, script);
  net_op *op = smtp(&s, "127.0.0.1", false, false, 5000);
  const net_result *r = net_op_result(op);
  cr_assert_str_eq(r->error.type, "network");
  cr_assert_str_eq(r->error.message,
                   "failed to read SMTP banner: not an SMTP reply");
  net_op_free(op);
}

Test(net_smtp, a_greeting_past_the_banner_bound) {
  static char endless[NET_BANNER_MAX + 64];
  const char *script[] = {endless, NULL};
  server s;
  snprintf(endless, sizeof endless, "S220-");
  memset(endless + 5, 'x', sizeof endless - 6);
  server_start(&s, script);
  net_op *op = smtp(&s, "127.0.0.1", false, false, 5000);
  const net_result *r = net_op_result(op);
  cr_assert_str_eq(r->error.type, "network");
  cr_assert_str_eq(r->error.message,
                   "failed to read SMTP banner: reply longer than 4096 bytes");
  net_op_free(op);
}

Test(net_smtp, a_server_that_never_greets_times_out) {
  uint16_t port;
  int lfd = listener(&port);
  checker c = {.allow = true};
  net_tcp_req req = {.host = "127.0.0.1", .port = port};
  net_check check = {check_connect, &c};
  net_op *op = net_smtp_start(&req, &check, in_ms(300));
  drive(op);
  const net_result *r = net_op_result(op);
  cr_assert_str_eq(r->error.type, "timeout");
  cr_assert(r->error.is_timeout);
  cr_assert(strstr(r->error.message, "SMTP greeting"), "%s", r->error.message);
  net_op_free(op);
  close(lfd);
}

Test(net_smtp, starttls_not_offered) {
  static const char *const script[] = {
      "S220 test ESMTP\r\n", "R", "S250-test\r\n250 SIZE 1000\r\n", NULL};
  server s;
  server_start(&s, script);
  net_op *op = smtp(&s, "127.0.0.1", false, true, 5000);
  const net_result *r = net_op_result(op);
  cr_assert_str_eq(r->error.type, "network");
  cr_assert_str_eq(r->error.message,
                   "STARTTLS failed: the server does not offer STARTTLS");
  cr_assert_str_eq(s.log, "EHLO localhost|QUIT|");
  net_op_free(op);
}

Test(net_smtp, starttls_then_tls, .init = make_cert, .fini = drop_cert) {
  static const char *const script[] = {
      "S220 test ESMTP\r\n",
      "R",
      "S250-test\r\n250-STARTTLS\r\n250 8BITMIME\r\n",
      "R",
      "S220 go ahead\r\n",
      "T",
      NULL};
  server s;
  trust_cert();
  server_start(&s, script);
  net_op *op = smtp(&s, "localhost", false, true, 5000);
  const net_result *r = net_op_result(op);
  cr_assert_str_empty(r->error.type, "%s", r->error.message);
  cr_assert(r->connected && r->tls);
  cr_assert_str_eq(r->banner, "220 test ESMTP");
  cr_assert_str_eq(r->tls_version, "TLS 1.3");
  cr_assert_str_eq(r->tls_cert_subject, CERT_SUBJECT);
  cr_assert_str_eq(s.log, "EHLO localhost|STARTTLS|QUIT|");
  net_op_free(op);
}

Test(net_smtp, smtps_greets_after_the_handshake, .init = make_cert,
     .fini = drop_cert) {
  static const char *const script[] = {"T", "S220 secure ESMTP\r\n", NULL};
  server s;
  trust_cert();
  server_start(&s, script);
  net_op *op = smtp(&s, "localhost", true, false, 5000);
  const net_result *r = net_op_result(op);
  cr_assert_str_empty(r->error.type, "%s", r->error.message);
  cr_assert(r->tls);
  cr_assert_str_eq(r->banner, "220 secure ESMTP");
  cr_assert_str_eq(s.log, "QUIT|");
  net_op_free(op);
}
