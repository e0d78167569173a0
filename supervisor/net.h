/*
** net.h: the operations the broker starts on a plugin's behalf once the
** policy said yes: DNS lookups, TCP and SMTP connections, commands. Each
** is a small state machine that the supervisor's loop drives without ever
** blocking on it: the loop asks an operation which descriptors to poll and
** until when, and steps it when one is ready or its time comes. An
** operation never decides a grant: before every connection it asks its
** owner (net_check), which asks policy/.
**
** Files: net.c (the common part), net_dns.c (c-ares), net_tcp.c (TCP and
** SMTP, TLS through OpenSSL), command.c (programs). wire.h turns requests
** and results into the JSON plugins speak.
*/
#ifndef PLUGSUP_SUPERVISOR_NET_H
#define PLUGSUP_SUPERVISOR_NET_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* The most descriptors one operation asks to be polled at once. */
#define NET_POLL_MAX 8
/* A command's stdout and stderr are each kept up to this many bytes. */
#define NET_EXEC_OUTPUT_MAX (1u << 20)
/* The most records a DNS answer keeps; the rest are dropped. */
#define NET_DNS_RECORDS_MAX 256u
/* An SMTP banner is kept up to this many bytes. */
#define NET_BANNER_MAX 4096u
/* HTTP: a response body is kept up to this many bytes (body_truncated
** beyond), at most this many headers each way, and redirects. */
#define NET_HTTP_BODY_MAX (256u << 10)
#define NET_HTTP_HEADERS_MAX 128u
#define NET_HTTP_REDIRECTS_MAX 10u

#define NET_KIND_LIST(X)      \
  X(NET_DNS, "dns_lookup")     \
  X(NET_TCP, "tcp_connect")    \
  X(NET_SMTP, "smtp_connect")  \
  X(NET_EXEC, "exec_command")  \
  X(NET_HTTP, "http_request")

typedef enum net_kind {
#define NET_X_(k, name) k,
  NET_KIND_LIST(NET_X_)
#undef NET_X_
  NET_KIND_COUNT
} net_kind;

/* The error object of a response (reglet's ErrorDetail). type "" means
** no error. */
typedef struct net_error {
  char type[16];      /* "network", "timeout", "config", "capability",
                         "validation", "execution" (a program that
                         could not start), "internal" */
  char code[32];      /* "ECONNREFUSED", "ETIMEDOUT", "NXDOMAIN", or "" */
  char message[256];
  bool is_timeout, is_not_found;
} net_error;

/* Sets e's fields (message printf-style, cut to fit). */
void net_error_set(net_error *e, const char *type, const char *code,
                   const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The owner's say before each connection: host as the request names it
** (a name or an address literal), addr the numeric address about to be
** dialled. False refuses it: the operation fails with a "capability"
** error whose message is why. */
typedef struct net_check {
  bool (*connect)(void *ud, const char *host, const struct sockaddr *addr,
                  socklen_t addrlen, char *why, size_t whylen);
  void *ud;
} net_check;

typedef struct net_dns_req {
  const char *hostname;
  const char *type;        /* "A", "AAAA", "CNAME", "MX", "TXT", "NS" */
  const char *nameserver;  /* "host:port" (an address literal), or NULL:
                              the system's resolver configuration */
} net_dns_req;

typedef struct net_tcp_req {  /* TCP and SMTP */
  const char *host;
  uint16_t port;
  bool tls;                /* TLS from the start (SMTPS for SMTP) */
  bool starttls;           /* SMTP only: EHLO, STARTTLS, then TLS */
} net_tcp_req;

typedef struct net_exec_req {
  const char *path;        /* absolute: the supervisor resolved it */
  const char *const *argv; /* argv[0] included; argc entries */
  size_t argc;
  const char *dir;         /* working directory, or NULL: "/" */
  const char *const *env;  /* "NAME=VALUE", nenv entries: all it gets */
  size_t nenv;
} net_exec_req;

typedef struct net_header {
  char *name, *value;
} net_header;

typedef struct net_http_req {
  const char *method;      /* "GET", "POST", ... */
  const char *url;         /* http:// or https:// */
  const net_header *headers;
  size_t nheaders;
  const uint8_t *body;
  size_t body_len;
} net_http_req;

/* One connection decision an operation made on its own (HTTP's helper
** process decides each address and redirect by the grants it was given),
** for the owner's audit. */
typedef struct net_decision {
  char *host;              /* as named (request or redirect) */
  char address[64];        /* "" when refused before any lookup */
  unsigned port;
  bool granted;
  char *capability;        /* the grant used, or the one missing */
  char *reason;            /* why refused, or NULL */
} net_decision;

typedef struct net_mx {
  char *host;
  uint16_t pref;
} net_mx;

/* What an operation produced. Fields not of its kind stay zero. Strings
** are NUL-terminated and malloc'd (or fixed arrays); net_op_free frees
** them. */
typedef struct net_result {
  net_kind kind;
  net_error error;
  uint64_t duration_ms;    /* from start to done */

  /* DNS: records as text (addresses, names, TXT strings), MX apart. */
  char **records;
  size_t nrecords;
  net_mx *mx;
  size_t nmx;

  /* TCP, SMTP */
  bool connected;
  char address[80];        /* "host:port" as requested */
  char remote_addr[64];    /* "1.2.3.4:25", "[::1]:25" */
  char local_addr[64];
  bool tls;
  char tls_version[32];    /* "TLS 1.3" */
  char tls_cipher_suite[64];
  char tls_server_name[256];
  char tls_cert_subject[256];
  char tls_cert_issuer[256];
  int64_t tls_cert_not_after; /* seconds since the epoch; INT64_MIN: none */
  char *banner;            /* SMTP: the greeting's text, or NULL */

  /* HTTP */
  int status_code;
  net_header *headers;     /* of the final response */
  size_t nheaders;
  uint8_t *body;
  size_t body_len;
  bool body_truncated;
  net_decision *decisions;
  size_t ndecisions;

  /* EXEC */
  uint8_t *out, *err;
  size_t out_len, err_len;
  bool out_truncated, err_truncated;
  int exit_code;           /* -1 when it did not exit by itself */
  int signal;              /* the signal that ended it, or 0 */
  bool is_timeout;
} net_result;

typedef struct net_op net_op;

/* Starting: each returns an operation under way (perhaps already done:
** net_op_step with no descriptors finishes it), or NULL when out of
** memory. deadline_ns (CLOCK_MONOTONIC, as sup_now_ns) bounds all of it:
** past it the operation ends with a "timeout" error (is_timeout set). */
net_op *net_dns_start(const net_dns_req *r, uint64_t deadline_ns);
net_op *net_tcp_start(const net_tcp_req *r, const net_check *check,
                      uint64_t deadline_ns);
net_op *net_smtp_start(const net_tcp_req *r, const net_check *check,
                       uint64_t deadline_ns);
/* The program runs in a new process group, stdin /dev/null, no
** descriptor of the supervisor's but its stdout and stderr pipes. Past
** the deadline, or when freed, the whole group is killed and reaped. */
net_op *net_exec_start(const net_exec_req *r, uint64_t deadline_ns);

/* The request goes to a helper process (plugsup-http beside the worker,
** found from worker_path) with the run's grants (policy lines, every one
** that policy_describe gives): it decides each address and redirect by
** them, as policy_may_connect_name and _addr say, and follows at most
** NET_HTTP_REDIRECTS_MAX redirects. https_only refuses http:// at every
** hop. */
net_op *net_http_start(const net_http_req *r, const char *worker_path,
                       const char *grants, bool https_only,
                       uint64_t deadline_ns);

/* The descriptors to poll now (at most max), and when to step it even if
** none is ready (UINT64_MAX: only when one is). */
size_t net_op_pollfds(net_op *op, struct pollfd *out, size_t max);
uint64_t net_op_wake_ns(const net_op *op);
/* Does what can be done without blocking: fds (revents set) are what
** poll reported, n may be 0. True once the operation is done. */
bool net_op_step(net_op *op, const struct pollfd *fds, size_t n,
                 uint64_t now_ns);
bool net_op_done(const net_op *op);
/* The result, complete once done. */
const net_result *net_op_result(const net_op *op);
/* Ends it wherever it is: closes its sockets, kills and reaps its
** process, frees everything. NULL is fine. */
void net_op_free(net_op *op);
/* Frees what r's pointers hold (net_op_free's part for the result; the
** fuzzer frees a result of its own with it); r itself is not freed. */
void net_result_free(net_result *r);

/* ---- for the implementations (net.c) ---- */

/* Every operation starts with this; the rest is its own. */
typedef struct net_op_vt {
  size_t (*pollfds)(net_op *op, struct pollfd *out, size_t max);
  uint64_t (*wake_ns)(const net_op *op);
  void (*step)(net_op *op, const struct pollfd *fds, size_t n,
               uint64_t now_ns);  /* sets op->done when finished */
  void (*free)(net_op *op);       /* its own parts, not the result */
} net_op_vt;

struct net_op {
  const net_op_vt *vt;
  net_result result;
  uint64_t start_ns, deadline_ns;
  bool done;
};

/* Fills the common part of an operation that has just been allocated. */
void net_op_init(net_op *op, const net_op_vt *vt, net_kind kind,
                 uint64_t deadline_ns);
/* Marks op done now (duration_ms set). */
void net_op_finish(net_op *op);
/* The monotonic clock in nanoseconds (same as sup_now_ns). */
uint64_t net_now_ns(void);

#endif
