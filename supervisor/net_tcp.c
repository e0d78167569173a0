/*
** net_tcp.c: TCP and SMTP connections for a plugin (reglet's tcp_connect
** and smtp_connect). Like reglet, they only find out whether a server is
** reachable and how it presents itself: resolve the host, ask the owner
** about each address, connect, optionally TLS; for SMTP read the greeting
** (and go through STARTTLS), then say QUIT. Then the connection is closed.
**
** Phases, each a non-blocking step: resolve (c-ares, net_ares.h; an
** address literal needs none) → connect (each allowed address in turn
** until one answers) → TLS handshake → SMTP greeting → EHLO → STARTTLS →
** TLS handshake. TCP stops after the first handshake or the connect; SMTPS
** (tls) does its handshake before the greeting.
**
** TLS is OpenSSL's, verified as Go's crypto/tls verifies for reglet: the
** system's trust store (SSL_CTX_set_default_verify_paths, so
** SSL_CERT_FILE and SSL_CERT_DIR apply), the host name (or the address
** literal) checked against the certificate, TLS 1.2 at least. The socket
** I/O under OpenSSL is ours (a BIO that sends with MSG_NOSIGNAL), so a
** peer that closes early cannot raise SIGPIPE.
**
** Where this differs from reglet:
** - reglet dials the one address it resolved and validated; here every
**   address is offered to the owner's check in turn and the allowed ones
**   are dialled in order, as Go's dialer does for a name.
** - SMTP fills remote_addr, local_addr and the certificate fields, which
**   reglet leaves empty for SMTP.
** - STARTTLS must be listed in EHLO's reply (Go's net/smtp sends it
**   blindly), and whatever arrived with the 220 to STARTTLS is dropped, as
**   it was sent before TLS protected anything.
** - net_result has no response_time_ms: duration_ms (start to end,
**   lookup included) stands for it.
*/
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "net_ares.h"
#include "net_parse.h"

/* The most addresses of one host that are tried. */
#define TCP_ADDRS_MAX 16u

/* Go's net/smtp says EHLO localhost; it says nothing about this host. */
#define SMTP_EHLO "EHLO localhost\r\n"

/* The phases in order, each with what it waits for (a timeout's message):
** c-ares looks the host up; connect() is under way; TLS; SMTP's greeting
** is read; EHLO is sent and its reply read; STARTTLS likewise. */
#define TCP_PHASE_LIST(X)                           \
  X(PH_RESOLVE, "resolving the host")               \
  X(PH_CONNECT, "connecting")                       \
  X(PH_HANDSHAKE, "in the TLS handshake")           \
  X(PH_GREETING, "waiting for the SMTP greeting")   \
  X(PH_EHLO, "waiting for the EHLO reply")          \
  X(PH_STARTTLS, "waiting for the STARTTLS reply")

typedef enum tcp_phase {
#define TCP_PHASE_X_(ph, doing) ph,
  TCP_PHASE_LIST(TCP_PHASE_X_)
#undef TCP_PHASE_X_
} tcp_phase;

static const char *const phase_doing[] = {
#define TCP_PHASE_X_(ph, doing) doing,
    TCP_PHASE_LIST(TCP_PHASE_X_)
#undef TCP_PHASE_X_
};

typedef enum io { IO_DONE, IO_WAIT, IO_FAIL } io;

typedef struct tcp_op {
  net_op op;
  char *host;
  uint16_t port;
  bool smtp, tls, starttls, literal;
  net_check check;
  tcp_phase phase;

  ares_channel ch; /* while resolving */
  bool resolved;
  int resolve_status;

  struct sockaddr_storage addrs[TCP_ADDRS_MAX];
  size_t naddrs, next; /* next: the next one to offer */
  bool allowed;        /* the owner allowed one */
  char why[sizeof ((net_error *)0)->message]; /* its first refusal */
  net_error dial_error;                       /* the first failed dial */

  int fd;
  short want; /* poll events the phase waits for */
  int io_err; /* errno of a failed read or write; 0: OpenSSL's queue */
  SSL *ssl;
  bool secure;  /* handshake done, no fatal error since: TLS may write */
  bool greeted; /* SMTP: the greeting was 220 */
  char out[32]; /* an SMTP command being sent */
  size_t out_len, out_at;
  char in[NET_BANNER_MAX]; /* what the server sent, not yet taken */
  size_t in_len;
} tcp_op;

static void tcp_run(tcp_op *t);
static void dial_next(tcp_op *t);

static void sb_put(sbuf *b, const char *s, size_t n) {
  size_t room = b->cap - 1 - b->len;
  n = n < room ? n : room;
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

/* ---- ending ---- */

/* Best effort and without waiting: QUIT to an SMTP server we spoke to,
** TLS's close_notify, then the socket is closed. */
static void conn_close(tcp_op *t) {
  if (t->fd < 0)
    return;
  bool speaking = !t->ssl || t->secure;
  if (t->greeted && speaking) {
    size_t put;
    if (t->ssl)
      SSL_write_ex(t->ssl, "QUIT\r\n", 6, &put);
    else
      send(t->fd, "QUIT\r\n", 6, MSG_NOSIGNAL);
  }
  if (t->secure)
    SSL_shutdown(t->ssl);
  SSL_free(t->ssl);
  ERR_clear_error();
  t->ssl = NULL;
  close(t->fd);
  t->fd = -1;
}

/* Closes the connection and the resolver. Never runs inside c-ares
** (on_addrinfo only takes notes), where the channel may not be destroyed. */
static void tcp_release(tcp_op *t) {
  conn_close(t);
  if (t->ch)
    ares_destroy(t->ch);
  t->ch = NULL;
}

/* Ends the operation with the error already set, or with success. */
static void tcp_end(tcp_op *t) {
  tcp_release(t);
  net_op_finish(&t->op);
}

static net_error *tcp_err(tcp_op *t) { return &t->op.result.error; }

static void out_of_memory(tcp_op *t) {
  net_error_set(tcp_err(t), "internal", NULL, "out of memory");
  tcp_end(t);
}

/* A failed read or write, from t->io_err or OpenSSL's queue. */
static void fail_io(tcp_op *t, const char *what) {
  char reason[160] = "connection closed by the server";
  unsigned long e = ERR_get_error();
  if (t->io_err)
    snprintf(reason, sizeof reason, "%s", strerror(t->io_err));
  else if (e)
    ERR_error_string_n(e, reason, sizeof reason);
  net_error_set(tcp_err(t), "network",
                t->io_err ? strerrorname_np(t->io_err) : NULL, "%s: %s",
                what, reason);
  tcp_end(t);
}

static void time_out(tcp_op *t) {
  net_error_set(tcp_err(t), "timeout", "ETIMEDOUT", "%s: timed out %s",
                t->op.result.address, phase_doing[t->phase]);
  tcp_err(t)->is_timeout = true;
  tcp_end(t);
}

/* ---- addresses ---- */

static socklen_t addr_len(const struct sockaddr_storage *a) {
  return a->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                  : sizeof(struct sockaddr_in);
}

static void addr_set_port(struct sockaddr_storage *a, uint16_t port) {
  if (a->ss_family == AF_INET6)
    ((struct sockaddr_in6 *)a)->sin6_port = htons(port);
  else
    ((struct sockaddr_in *)a)->sin_port = htons(port);
}

/* "1.2.3.4:25" or "[::1]:25", as Go prints an address. */
static void addr_text(const struct sockaddr_storage *a, char *out,
                      size_t cap) {
  char host[INET6_ADDRSTRLEN] = "?";
  if (a->ss_family == AF_INET6) {
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)a;
    inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
    snprintf(out, cap, "[%s]:%u", host, ntohs(s6->sin6_port));
  } else {
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)a;
    inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
    snprintf(out, cap, "%s:%u", host, ntohs(s4->sin_port));
  }
}

/* An address literal is its own single address: no lookup. */
static bool take_literal(tcp_op *t) {
  struct sockaddr_in *s4 = (struct sockaddr_in *)&t->addrs[0];
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&t->addrs[0];
  if (inet_pton(AF_INET, t->host, &s4->sin_addr) == 1)
    s4->sin_family = AF_INET;
  else if (inet_pton(AF_INET6, t->host, &s6->sin6_addr) == 1)
    s6->sin6_family = AF_INET6;
  else
    return false;
  addr_set_port(&t->addrs[0], t->port);
  t->naddrs = 1;
  return true;
}

/* Runs inside c-ares: keeps the addresses only. The channel cannot be
** destroyed from its own callback, so resolved() goes on afterwards. */
static void on_addrinfo(void *arg, int status, int timeouts,
                        struct ares_addrinfo *ai) {
  tcp_op *t = arg;
  if (status == ARES_EDESTRUCTION) /* the operation is being freed */
    return;
  t->resolved = true;
  t->resolve_status = status;
  for (struct ares_addrinfo_node *n = ai ? ai->nodes : NULL;
       n && t->naddrs < TCP_ADDRS_MAX; n = n->ai_next) {
    if (n->ai_addrlen > sizeof t->addrs[0])
      continue;
    memcpy(&t->addrs[t->naddrs], n->ai_addr, n->ai_addrlen);
    addr_set_port(&t->addrs[t->naddrs++], t->port);
  }
  ares_freeaddrinfo(ai);
}

static void resolved(tcp_op *t) {
  ares_destroy(t->ch);
  t->ch = NULL;
  int status = t->resolve_status;
  if (status == ARES_SUCCESS && t->naddrs == 0)
    status = ARES_ENODATA;
  if (status == ARES_SUCCESS) {
    dial_next(t);
    return;
  }
  net_ares_error(tcp_err(t), status, t->host);
  tcp_end(t);
}

/* ---- connecting ---- */

static void dial_failed(tcp_op *t, const struct sockaddr_storage *a,
                        int err) {
  char text[64];
  if (!t->dial_error.type[0]) {
    addr_text(a, text, sizeof text);
    net_error_set(&t->dial_error, "network", strerrorname_np(err),
                  "dial tcp %s: connect: %s", text, strerror(err));
  }
  if (t->fd >= 0)
    close(t->fd);
  t->fd = -1;
}

/* No address left: refused ones make a "capability" error only when the
** owner allowed none; otherwise the first failed dial is the error. */
static void no_address_left(tcp_op *t) {
  if (t->allowed)
    *tcp_err(t) = t->dial_error;
  else
    net_error_set(tcp_err(t), "capability", NULL, "%s", t->why);
  tcp_end(t);
}

/* Offers the next addresses to the owner, and dials the first allowed. */
static void dial_next(tcp_op *t) {
  while (t->next < t->naddrs) {
    const struct sockaddr_storage *a = &t->addrs[t->next++];
    const struct sockaddr *sa = (const struct sockaddr *)a;
    char why[sizeof t->why] = "";
    if (!t->check.connect(t->check.ud, t->host, sa, addr_len(a), why,
                          sizeof why)) {
      if (!t->why[0])
        snprintf(t->why, sizeof t->why, "%s", why[0] ? why : "refused");
      continue;
    }
    t->allowed = true;
    t->fd = socket(a->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                   0);
    /* Even a connect that is done at once is reported through POLLOUT. */
    if (t->fd >= 0 && (connect(t->fd, sa, addr_len(a)) == 0 ||
                       errno == EINPROGRESS)) {
      t->phase = PH_CONNECT;
      t->want = POLLOUT;
      return;
    }
    dial_failed(t, a, errno);
  }
  no_address_left(t);
}

static bool tls_begin(tcp_op *t);

static void connected(tcp_op *t) {
  net_result *r = &t->op.result;
  struct sockaddr_storage local;
  socklen_t len = sizeof local;
  r->connected = true;
  addr_text(&t->addrs[t->next - 1], r->remote_addr, sizeof r->remote_addr);
  if (getsockname(t->fd, (struct sockaddr *)&local, &len) == 0)
    addr_text(&local, r->local_addr, sizeof r->local_addr);
  if (t->tls) {
    if (tls_begin(t))
      tcp_run(t);
  } else if (t->smtp) {
    t->phase = PH_GREETING;
    tcp_run(t);
  } else {
    tcp_end(t);
  }
}

static void connect_step(tcp_op *t, const struct pollfd *fds, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (fds[i].fd != t->fd || !fds[i].revents)
      continue;
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
      err = errno;
    if (!err && !(fds[i].revents & POLLOUT))
      err = ECONNRESET; /* hung up without saying why */
    if (!err) {
      connected(t);
      return;
    }
    dial_failed(t, &t->addrs[t->next - 1], err);
    dial_next(t);
    return;
  }
}

/* ---- TLS ---- */

static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
/* One context for the process: the trust store is read once, not on
** every connection. NULL when OpenSSL could not make one. */
static SSL_CTX *tls_ctx;
static BIO_METHOD *tls_bio;

static int bio_write(BIO *b, const char *buf, int len) {
  tcp_op *t = BIO_get_data(b);
  ssize_t n = send(t->fd, buf, (size_t)len, MSG_NOSIGNAL);
  BIO_clear_retry_flags(b);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    BIO_set_retry_write(b);
  return (int)n;
}

static int bio_read(BIO *b, char *buf, int len) {
  tcp_op *t = BIO_get_data(b);
  ssize_t n = recv(t->fd, buf, (size_t)len, 0);
  BIO_clear_retry_flags(b);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    BIO_set_retry_read(b);
  return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr) {
  return cmd == BIO_CTRL_FLUSH; /* nothing is buffered here */
}

static void tls_init(void) {
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  BIO_METHOD *m =
      BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "plugsup");
  if (!ctx || !m || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
      !SSL_CTX_set_default_verify_paths(ctx) ||
      !BIO_meth_set_write(m, bio_write) || !BIO_meth_set_read(m, bio_read) ||
      !BIO_meth_set_ctrl(m, bio_ctrl))
    goto fail;
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
  tls_ctx = ctx;
  tls_bio = m;
  return;
fail:
  SSL_CTX_free(ctx);
  BIO_meth_free(m);
  ERR_clear_error();
}

/* Sets up TLS on the connected socket: SNI and the name check for a host
** name, the address check for a literal. */
static bool tls_begin(tcp_op *t) {
  pthread_once(&tls_once, tls_init);
  BIO *bio = tls_ctx ? BIO_new(tls_bio) : NULL;
  t->ssl = bio ? SSL_new(tls_ctx) : NULL;
  if (!t->ssl) {
    BIO_free(bio);
    goto fail;
  }
  BIO_set_data(bio, t);
  BIO_set_init(bio, 1);
  SSL_set_bio(t->ssl, bio, bio);
  SSL_set_hostflags(t->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  bool ok = t->literal
      ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), t->host)
      : SSL_set_tlsext_host_name(t->ssl, t->host) &&
            SSL_set1_host(t->ssl, t->host);
  if (!ok)
    goto fail;
  if (!t->literal)
    snprintf(t->op.result.tls_server_name,
             sizeof t->op.result.tls_server_name, "%s", t->host);
  t->phase = PH_HANDSHAKE;
  return true;
fail:
  ERR_clear_error();
  net_error_set(tcp_err(t), "internal", NULL, "TLS could not be set up");
  tcp_end(t);
  return false;
}

/* After a fatal error OpenSSL must not write on the connection again
** (no QUIT, no close_notify); errno says why, when the socket failed. */
static void tls_fatal(tcp_op *t, int err) {
  t->io_err = err == SSL_ERROR_SYSCALL ? errno : 0;
  t->secure = false;
}

/* Whether OpenSSL's err only means "wait": sets what to wait for. */
static bool tls_would_block(tcp_op *t, int err) {
  if (err == SSL_ERROR_WANT_READ)
    t->want = POLLIN;
  else if (err == SSL_ERROR_WANT_WRITE)
    t->want = POLLOUT;
  return err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE;
}

static void tls_version_name(int v, char *out, size_t cap) {
  switch (v) {
  case TLS1_VERSION:
    snprintf(out, cap, "TLS 1.0");
    break;
  case TLS1_1_VERSION:
    snprintf(out, cap, "TLS 1.1");
    break;
  case TLS1_2_VERSION:
    snprintf(out, cap, "TLS 1.2");
    break;
  case TLS1_3_VERSION:
    snprintf(out, cap, "TLS 1.3");
    break;
  default:
    snprintf(out, cap, "Unknown (0x%04X)", (unsigned)v);
  }
}

/* ---- certificate names, as Go's pkix.Name.String() prints them ---- */

/* The attributes pkix.Name keeps in its fields, in the order String()
** prints them: all values of one attribute in one RDN ("OU=a+OU=b"), and
** of CN and SERIALNUMBER only the last. Any other attribute follows, the
** last one first, as OID=#DER. */
static const struct go_attr {
  int nid;
  const char *label;
  bool last_only;
} go_attrs[] = {
    {NID_serialNumber, "SERIALNUMBER", true},
    {NID_commonName, "CN", true},
    {NID_organizationalUnitName, "OU", false},
    {NID_organizationName, "O", false},
    {NID_postalCode, "POSTALCODE", false},
    {NID_streetAddress, "STREET", false},
    {NID_localityName, "L", false},
    {NID_stateOrProvinceName, "ST", false},
    {NID_countryName, "C", false},
};

static bool go_known(int nid) {
  for (size_t i = 0; i < sizeof go_attrs / sizeof go_attrs[0]; i++)
    if (go_attrs[i].nid == nid)
      return true;
  return false;
}

/* RFC 4514 escapes, where Go puts them. */
static void put_escaped(sbuf *b, const unsigned char *v, size_t n) {
  for (size_t k = 0; k < n; k++) {
    char c = (char)v[k];
    if ((c && strchr(",+\"\\<>;", c)) || (c == ' ' && (k == 0 || k == n - 1)) ||
        (c == '#' && k == 0))
      sb_put(b, "\\", 1);
    sb_put(b, &c, 1);
  }
}

/* Whether Go's asn1.Marshal makes v a PrintableString (else UTF8String). */
static bool go_printable(const unsigned char *v, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = v[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || (c >= '\'' && c <= ')') ||
          (c >= '+' && c <= '/') || c == ' ' || c == ':' || c == '=' ||
          c == '?'))
      return false;
  }
  return true;
}

static void put_byte(sbuf *b, size_t x) {
  static const char digits[] = "0123456789abcdef";
  char two[2] = {digits[(x >> 4) & 15], digits[x & 15]};
  sb_put(b, two, 2);
}

/* OID=#DER, the value encoded again as Go encodes a string (a name's
** values are far shorter than the 64 KiB a two-byte length holds). */
static void put_other(sbuf *b, const X509_NAME_ENTRY *e,
                      const unsigned char *v, size_t n) {
  char oid[96];
  OBJ_obj2txt(oid, sizeof oid, X509_NAME_ENTRY_get_object(e), 1);
  sb_put(b, oid, strlen(oid));
  sb_put(b, "=#", 2);
  put_byte(b, go_printable(v, n) ? 0x13 : 0x0c);
  if (n >= 0x100) {
    put_byte(b, 0x82);
    put_byte(b, n >> 8);
  } else if (n >= 0x80) {
    put_byte(b, 0x81);
  }
  put_byte(b, n);
  for (size_t i = 0; i < n; i++)
    put_byte(b, v[i]);
}

/* label NULL: an attribute Go has no name for. */
static void put_entry(sbuf *b, const X509_NAME_ENTRY *e, const char *label,
                      const char *sep) {
  unsigned char *v = NULL;
  int n = ASN1_STRING_to_UTF8(&v, X509_NAME_ENTRY_get_data(e));
  size_t len = n > 0 ? (size_t)n : 0;
  sb_put(b, sep, b->len ? strlen(sep) : 0);
  if (label) {
    sb_put(b, label, strlen(label));
    sb_put(b, "=", 1);
    put_escaped(b, v, len);
  } else {
    put_other(b, e, v, len);
  }
  OPENSSL_free(v);
}

static void go_name(const X509_NAME *name, char *out, size_t cap) {
  sbuf b = {out, cap, 0};
  out[0] = '\0';
  for (size_t i = 0; i < sizeof go_attrs / sizeof go_attrs[0]; i++) {
    const struct go_attr *a = &go_attrs[i];
    const char *sep = ",";
    int at = -1, last = -1;
    while ((at = X509_NAME_get_index_by_NID(name, a->nid, at)) >= 0) {
      last = at;
      if (!a->last_only) {
        put_entry(&b, X509_NAME_get_entry(name, at), a->label, sep);
        sep = "+";
      }
    }
    if (a->last_only && last >= 0)
      put_entry(&b, X509_NAME_get_entry(name, last), a->label, sep);
  }
  for (int at = X509_NAME_entry_count(name) - 1; at >= 0; at--) {
    const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, at);
    if (!go_known(OBJ_obj2nid(X509_NAME_ENTRY_get_object(e))))
      put_entry(&b, e, NULL, ",");
  }
}

static void tls_describe(tcp_op *t) {
  net_result *r = &t->op.result;
  const SSL_CIPHER *c = SSL_get_current_cipher(t->ssl);
  const char *suite = c ? SSL_CIPHER_standard_name(c) : NULL;
  r->tls = true;
  tls_version_name(SSL_version(t->ssl), r->tls_version,
                   sizeof r->tls_version);
  snprintf(r->tls_cipher_suite, sizeof r->tls_cipher_suite, "%s",
           suite ? suite : c ? SSL_CIPHER_get_name(c) : "");
  X509 *cert = SSL_get1_peer_certificate(t->ssl);
  if (!cert)
    return;
  struct tm tm;
  go_name(X509_get_subject_name(cert), r->tls_cert_subject,
                   sizeof r->tls_cert_subject);
  go_name(X509_get_issuer_name(cert), r->tls_cert_issuer,
                   sizeof r->tls_cert_issuer);
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm))
    r->tls_cert_not_after = (int64_t)timegm(&tm);
  X509_free(cert);
}

static void tls_failed(tcp_op *t, int err) {
  long v = SSL_get_verify_result(t->ssl);
  tls_fatal(t, err);
  if (v == X509_V_OK) {
    fail_io(t, "TLS handshake failed");
    return;
  }
  net_error_set(tcp_err(t), "network", NULL,
                "TLS handshake failed: certificate verification failed: %s",
                X509_verify_cert_error_string(v));
  ERR_clear_error();
  tcp_end(t);
}

/* After the handshake: SMTPS's greeting comes next, else all is done. */
static bool handshake_step(tcp_op *t) {
  ERR_clear_error();
  int rc = SSL_connect(t->ssl);
  if (rc != 1) {
    int err = SSL_get_error(t->ssl, rc);
    if (!tls_would_block(t, err))
      tls_failed(t, err);
    return false;
  }
  t->secure = true;
  tls_describe(t);
  if (t->smtp && !t->greeted) {
    t->phase = PH_GREETING;
    return true;
  }
  tcp_end(t);
  return false;
}

/* ---- reading and writing, in the clear or through TLS ---- */

static io conn_read(tcp_op *t, char *buf, size_t len, size_t *got) {
  if (t->ssl) {
    ERR_clear_error();
    if (SSL_read_ex(t->ssl, buf, len, got))
      return IO_DONE;
    int err = SSL_get_error(t->ssl, 0);
    *got = 0;
    if (err == SSL_ERROR_ZERO_RETURN)
      return IO_DONE;
    if (tls_would_block(t, err))
      return IO_WAIT;
    tls_fatal(t, err);
    return IO_FAIL;
  }
  ssize_t n = recv(t->fd, buf, len, 0);
  *got = n > 0 ? (size_t)n : 0;
  if (n >= 0)
    return IO_DONE;
  t->want = POLLIN;
  t->io_err = errno;
  return errno == EAGAIN || errno == EINTR ? IO_WAIT : IO_FAIL;
}

static io conn_write(tcp_op *t, const char *buf, size_t len, size_t *put) {
  if (t->ssl) {
    ERR_clear_error();
    if (SSL_write_ex(t->ssl, buf, len, put))
      return IO_DONE;
    int err = SSL_get_error(t->ssl, 0);
    if (tls_would_block(t, err))
      return IO_WAIT;
    tls_fatal(t, err);
    return IO_FAIL;
  }
  ssize_t n = send(t->fd, buf, len, MSG_NOSIGNAL);
  *put = n > 0 ? (size_t)n : 0;
  if (n >= 0)
    return IO_DONE;
  t->want = POLLOUT;
  t->io_err = errno;
  return errno == EAGAIN || errno == EINTR ? IO_WAIT : IO_FAIL;
}

/* Sends what is left of the command in t->out. */
static io flush(tcp_op *t, const char *what) {
  while (t->out_at < t->out_len) {
    size_t put;
    io s = conn_write(t, t->out + t->out_at, t->out_len - t->out_at, &put);
    if (s == IO_FAIL)
      fail_io(t, what);
    if (s != IO_DONE)
      return s;
    t->out_at += put;
  }
  return IO_DONE;
}

static void command(tcp_op *t, const char *cmd, tcp_phase next) {
  t->out_len = strlen(cmd);
  t->out_at = 0;
  memcpy(t->out, cmd, t->out_len);
  t->phase = next;
}

/* ---- SMTP replies ---- */

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Finds the reply in[0..n) starts with, read as Go's textproto reads it:
** "ddd-text" lines until "ddd text" with the first line's code; a line in
** between without that code is text too. 1: found, *len its bytes, and,
** with out, its text as "ddd line\nline...". 0: not whole yet. -1: not a
** reply. Not static: fuzz/fuzz_netreply.c drives it (net_parse.h). */
int net_smtp_reply_scan(const char *in, size_t n, size_t *len, sbuf *out) {
  for (size_t at = 0;;) {
    const char *l = in + at, *nl = memchr(l, '\n', n - at);
    if (!nl)
      return 0;
    size_t ll = (size_t)(nl - l);
    ll -= ll > 0 && l[ll - 1] == '\r';
    bool coded = ll >= 4 && memcmp(l, in, 3) == 0 &&
                 (l[3] == ' ' || l[3] == '-');
    if (at == 0 && (!coded || !is_digit(l[0]) || !is_digit(l[1]) ||
                    !is_digit(l[2])))
      return -1;
    if (out && at == 0) {
      sb_put(out, l, 3);
      sb_put(out, " ", 1);
    } else if (out) {
      sb_put(out, "\n", 1);
    }
    if (out)
      sb_put(out, coded ? l + 4 : l, coded ? ll - 4 : ll);
    at = (size_t)(nl - in) + 1;
    if (coded && l[3] == ' ') {
      *len = at;
      return 1;
    }
  }
}

/* Reads until t->in starts with a whole reply; *text gets it as reglet
** shows a banner ("220 first line\nnext line", trailing space trimmed) and
** the reply is taken out of t->in. */
static io read_reply(tcp_op *t, const char *what, char *text, size_t cap) {
  size_t len = 0, got;
  int found;
  while ((found = net_smtp_reply_scan(t->in, t->in_len, &len, NULL)) == 0) {
    if (t->in_len == sizeof t->in) {
      net_error_set(tcp_err(t), "network", NULL,
                    "%s: reply longer than %u bytes", what, NET_BANNER_MAX);
      tcp_end(t);
      return IO_FAIL;
    }
    io s = conn_read(t, t->in + t->in_len, sizeof t->in - t->in_len, &got);
    if (s == IO_DONE && got == 0) { /* the server closed: no reply */
      t->io_err = 0;
      s = IO_FAIL;
    }
    if (s == IO_FAIL)
      fail_io(t, what);
    if (s != IO_DONE)
      return s;
    t->in_len += got;
  }
  if (found < 0) {
    net_error_set(tcp_err(t), "network", NULL, "%s: not an SMTP reply",
                  what);
    tcp_end(t);
    return IO_FAIL;
  }
  sbuf b = {text, cap, 0};
  text[0] = '\0';
  net_smtp_reply_scan(t->in, t->in_len, &len, &b);
  while (b.len > 0 && (text[b.len - 1] == ' ' || text[b.len - 1] == '\t'))
    text[--b.len] = '\0';
  t->in_len -= len;
  memmove(t->in, t->in + len, t->in_len);
  return IO_DONE;
}

/* Room for a reply's text: NET_BANNER_MAX bytes of lines, less codes. */
#define REPLY_TEXT_MAX (NET_BANNER_MAX + 8)

static bool greeting_step(tcp_op *t) {
  char text[REPLY_TEXT_MAX];
  if (read_reply(t, "failed to read SMTP banner", text, sizeof text) !=
      IO_DONE)
    return false;
  if (strncmp(text, "220", 3) != 0) {
    net_error_set(tcp_err(t), "network", NULL,
                  "failed to read SMTP banner: %s", text);
    tcp_end(t);
    return false;
  }
  t->greeted = true;
  t->op.result.banner = strdup(text);
  if (!t->op.result.banner) {
    out_of_memory(t);
    return false;
  }
  if (!t->starttls || t->secure) {
    tcp_end(t);
    return false;
  }
  command(t, SMTP_EHLO, PH_EHLO);
  return true;
}

/* Whether an EHLO reply's text lists the STARTTLS extension. */
static bool offers_starttls(const char *text) {
  for (const char *l = strchr(text, '\n'); l; l = strchr(l, '\n')) {
    l++;
    if (strncasecmp(l, "STARTTLS", 8) == 0 &&
        (l[8] == '\0' || l[8] == '\n' || l[8] == ' '))
      return true;
  }
  return false;
}

static bool ehlo_step(tcp_op *t) {
  char text[REPLY_TEXT_MAX];
  if (flush(t, "STARTTLS failed: EHLO") != IO_DONE ||
      read_reply(t, "STARTTLS failed: EHLO", text, sizeof text) != IO_DONE)
    return false;
  if (strncmp(text, "250", 3) != 0 || !offers_starttls(text)) {
    net_error_set(tcp_err(t), "network", NULL, "STARTTLS failed: %s",
                  strncmp(text, "250", 3) != 0
                      ? text
                      : "the server does not offer STARTTLS");
    tcp_end(t);
    return false;
  }
  command(t, "STARTTLS\r\n", PH_STARTTLS);
  return true;
}

static bool starttls_step(tcp_op *t) {
  char text[REPLY_TEXT_MAX];
  if (flush(t, "STARTTLS failed") != IO_DONE ||
      read_reply(t, "STARTTLS failed", text, sizeof text) != IO_DONE)
    return false;
  if (strncmp(text, "220", 3) != 0) {
    net_error_set(tcp_err(t), "network", NULL, "STARTTLS failed: %s", text);
    tcp_end(t);
    return false;
  }
  t->in_len = 0; /* sent in the clear after the 220: not to be trusted */
  return tls_begin(t);
}

/* ---- the operation ---- */

/* Steps the phases after connecting until one has to wait. */
static void tcp_run(tcp_op *t) {
  bool moved = true;
  while (moved && !t->op.done) {
    switch (t->phase) {
    case PH_HANDSHAKE:
      moved = handshake_step(t);
      break;
    case PH_GREETING:
      moved = greeting_step(t);
      break;
    case PH_EHLO:
      moved = ehlo_step(t);
      break;
    case PH_STARTTLS:
      moved = starttls_step(t);
      break;
    default:
      moved = false;
    }
  }
}

static size_t tcp_pollfds(net_op *op, struct pollfd *out, size_t max) {
  tcp_op *t = (tcp_op *)op;
  if (t->phase == PH_RESOLVE)
    return net_ares_pollfds(t->ch, out, max);
  if (max == 0 || t->fd < 0)
    return 0;
  out[0] = (struct pollfd){.fd = t->fd, .events = t->want};
  return 1;
}

static uint64_t tcp_wake_ns(const net_op *op) {
  const tcp_op *t = (const tcp_op *)op;
  return t->phase == PH_RESOLVE ? net_ares_wake_ns(t->ch) : UINT64_MAX;
}

static void tcp_step(net_op *op, const struct pollfd *fds, size_t n,
                     uint64_t now_ns) {
  tcp_op *t = (tcp_op *)op;
  if (now_ns >= op->deadline_ns) {
    time_out(t);
    return;
  }
  switch (t->phase) {
  case PH_RESOLVE:
    net_ares_step(t->ch, fds, n);
    if (t->resolved)
      resolved(t);
    break;
  case PH_CONNECT:
    connect_step(t, fds, n);
    break;
  default:
    tcp_run(t);
  }
}

static void tcp_free(net_op *op) {
  tcp_op *t = (tcp_op *)op;
  tcp_release(t);
  free(t->host);
  free(t);
}

static const net_op_vt tcp_vt = {tcp_pollfds, tcp_wake_ns, tcp_step,
                                 tcp_free};

/* reglet's checks of a request, in its order; false with the error set. */
static bool tcp_valid(tcp_op *t, const net_tcp_req *r,
                      const net_check *check) {
  if (!r->host || !r->host[0])
    net_error_set(tcp_err(t), "config", NULL, "host cannot be empty");
  else if (r->port == 0)
    net_error_set(tcp_err(t), "config", NULL, "port cannot be empty");
  else if (!check || !check->connect)
    net_error_set(tcp_err(t), "internal", NULL, "no connection check");
  return !tcp_err(t)->type[0];
}

static void tcp_resolve(tcp_op *t) {
  struct ares_addrinfo_hints hints = {.ai_family = AF_UNSPEC,
                                      .ai_socktype = SOCK_STREAM};
  if (!net_ares_open(&t->ch, NULL, tcp_err(t))) {
    tcp_end(t);
    return;
  }
  ares_getaddrinfo(t->ch, t->host, NULL, &hints, on_addrinfo, t);
  if (t->resolved) /* /etc/hosts, "localhost" */
    resolved(t);
}

static net_op *tcp_start(const net_tcp_req *r, const net_check *check,
                         uint64_t deadline_ns, net_kind kind) {
  tcp_op *t = calloc(1, sizeof *t);
  if (!t)
    return NULL;
  net_op_init(&t->op, &tcp_vt, kind, deadline_ns);
  t->fd = -1;
  if (!tcp_valid(t, r, check)) {
    net_op_finish(&t->op);
    return &t->op;
  }
  t->host = strdup(r->host);
  if (!t->host) {
    free(t);
    return NULL;
  }
  t->port = r->port;
  t->smtp = kind == NET_SMTP;
  t->tls = r->tls;
  t->starttls = t->smtp && r->starttls && !r->tls; /* SMTPS needs none */
  t->check = *check;
  snprintf(t->op.result.address, sizeof t->op.result.address,
           strchr(r->host, ':') ? "[%s]:%u" : "%s:%u", r->host, r->port);
  t->literal = take_literal(t);
  if (t->literal)
    dial_next(t);
  else
    tcp_resolve(t);
  return &t->op;
}

net_op *net_tcp_start(const net_tcp_req *r, const net_check *check,
                      uint64_t deadline_ns) {
  return tcp_start(r, check, deadline_ns, NET_TCP);
}

net_op *net_smtp_start(const net_tcp_req *r, const net_check *check,
                       uint64_t deadline_ns) {
  return tcp_start(r, check, deadline_ns, NET_SMTP);
}
