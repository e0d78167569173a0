/*
** test_net_http.c: the http_request operation (supervisor/net_http.c and
** the plugsup-http helper), driven the way the supervisor's loop drives
** it: poll over what net_op_pollfds asks for, until net_op_wake_ns, then
** net_op_step. The server is a thread of the test answering canned
** responses by path on 127.0.0.1. Every test ends with the descriptor
** count where it began and no child left, reaped or not.
*/
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net.h"

#define WORKER PLUGSUP_BUILD_DIR "/bin/plugsup-worker"

static int count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  int n = 0;
  cr_assert_not_null(d);
  while (readdir(d))
    n++;
  closedir(d);
  return n;
}

static int fds_at_start;

static void note_fds(void) { fds_at_start = count_fds(); }

TestSuite(http, .init = note_fds, .timeout = 60);

/* ---- the server ---- */

typedef struct server {
  int fd;
  unsigned port;
  pthread_t thread;
  int requests; /* requests read, written by the thread */
  char content_type[64];
} server;

static server srv;

static void send_all(int fd, const void *p, size_t len) {
  const char *c = p;
  while (len > 0) {
    ssize_t n = send(fd, c, len, MSG_NOSIGNAL);
    if (n <= 0)
      return; /* the client stopped reading: a truncated body */
    c += n;
    len -= (size_t)n;
  }
}

static void respond(int fd, const char *status, const char *extra,
                    const char *body, size_t len) {
  char head[8192];
  int n = snprintf(head, sizeof head,
                   "HTTP/1.1 %s\r\nContent-Length: %zu\r\n%sConnection: "
                   "close\r\n\r\n",
                   status, len, extra);
  send_all(fd, head, (size_t)n);
  send_all(fd, body, len);
}

/* Reads a request's head and body into buf; its length, or 0 at EOF. */
static size_t read_request(int fd, char *buf, size_t size, char **body) {
  size_t have = 0, want = 0;
  char *end = NULL;
  while (!end || have < want) {
    ssize_t n = read(fd, buf + have, size - 1 - have);
    if (n <= 0)
      return 0;
    have += (size_t)n;
    buf[have] = '\0';
    if (!end && (end = strstr(buf, "\r\n\r\n"))) {
      char *cl = strcasestr(buf, "\r\nContent-Length:");
      want = (size_t)(end + 4 - buf) + (cl ? strtoul(cl + 17, NULL, 10) : 0);
    }
  }
  *body = end + 4;
  return have;
}

static void note_content_type(const char *req) {
  const char *ct = strcasestr(req, "\r\nContent-Type:");
  srv.content_type[0] = '\0';
  if (ct)
    sscanf(ct + 15, " %63[^\r]", srv.content_type);
}

static void answer(int fd, char *req, const char *body, size_t blen) {
  char path[128] = "", method[16] = "", extra[160];
  sscanf(req, "%15s %127s", method, path);
  note_content_type(req);
  if (strcmp(path, "/hello") == 0) {
    respond(fd, "200 OK", "X-Test: yes\r\n", "hello world", 11);
  } else if (strcmp(path, "/echo") == 0) {
    snprintf(extra, sizeof extra, "X-Method: %s\r\n", method);
    respond(fd, "200 OK", extra, body, blen);
  } else if (strcmp(path, "/big") == 0) {
    size_t n = NET_HTTP_BODY_MAX + 100000;
    char *big = malloc(n);
    memset(big, 'b', n);
    respond(fd, "200 OK", "", big, n);
    free(big);
  } else if (strcmp(path, "/redir") == 0) {
    respond(fd, "302 Found", "Location: /hello\r\n", "", 0);
  } else if (strcmp(path, "/see-other") == 0) {
    respond(fd, "303 See Other", "Location: echo\r\n", "", 0);
  } else if (strcmp(path, "/loop") == 0) {
    respond(fd, "302 Found", "Location: /loop\r\n", "", 0);
  } else if (strcmp(path, "/away") == 0) {
    respond(fd, "302 Found", "Location: http://example.com/x\r\n", "", 0);
  } else if (strcmp(path, "/many-headers") == 0) {
    static char lots[NET_HTTP_HEADERS_MAX * 2 * 16];
    size_t n = 0;
    for (unsigned i = 0; i < NET_HTTP_HEADERS_MAX * 2; i++)
      n += (size_t)snprintf(lots + n, sizeof lots - n, "X-H%u: %u\r\n", i, i);
    respond(fd, "200 OK", lots, "", 0);
  } else if (strcmp(path, "/auth") == 0) {
    const char *a = strcasestr(req, "\r\nAuthorization:");
    respond(fd, "200 OK", a ? "X-Auth: seen\r\n" : "", "", 0);
  } else if (strcmp(path, "/to-auth") == 0) {
    respond(fd, "302 Found", "Location: /auth\r\n", "", 0);
  } else if (strcmp(path, "/to-other-origin") == 0) {
    snprintf(extra, sizeof extra, "Location: http://localhost:%u/auth\r\n",
             srv.port);
    respond(fd, "302 Found", extra, "", 0);
  } else if (strcmp(path, "/hang") == 0) {
    char c;
    while (read(fd, &c, 1) > 0) /* until the client gives up */
      ;
  } else {
    respond(fd, "404 Not Found", "", "", 0);
  }
}

static void *serve(void *unused) {
  static char buf[1 << 16];
  int c;
  char *body;
  (void)unused;
  while ((c = accept4(srv.fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
    size_t n = read_request(c, buf, sizeof buf, &body);
    if (n) {
      __atomic_add_fetch(&srv.requests, 1, __ATOMIC_SEQ_CST);
      answer(c, buf, body, n - (size_t)(body - buf));
    }
    close(c);
  }
  return NULL;
}

/* A socket bound to a free port of 127.0.0.1, listening or not. */
static int bound_socket(unsigned *port) {
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  cr_assert(fd >= 0);
  cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  *port = ntohs(a.sin_port);
  return fd;
}

static void server_start(void) {
  srv.fd = bound_socket(&srv.port);
  srv.requests = 0;
  cr_assert_eq(listen(srv.fd, 8), 0);
  cr_assert_eq(pthread_create(&srv.thread, NULL, serve, NULL), 0);
}

/* shutdown() wakes the thread's accept(). */
static void server_stop(void) {
  shutdown(srv.fd, SHUT_RDWR);
  pthread_join(srv.thread, NULL);
  close(srv.fd);
}

/* ---- driving an operation ---- */

static uint64_t ms_from_now(uint64_t ms) {
  return net_now_ns() + ms * 1000000u;
}

static void turn(net_op *op) {
  struct pollfd fds[NET_POLL_MAX];
  size_t n = net_op_pollfds(op, fds, NET_POLL_MAX);
  uint64_t wake = net_op_wake_ns(op), now = net_now_ns();
  int timeout = wake == UINT64_MAX ? -1
                : wake <= now      ? 0
                                   : (int)((wake - now + 999999u) / 1000000u);
  int rc = poll(fds, n, timeout);
  cr_assert(rc >= 0 || errno == EINTR);
  net_op_step(op, fds, rc < 0 ? 0 : n, net_now_ns());
}

typedef struct call {
  const char *method, *path, *url, *grants, *worker;
  const char *body;
  const net_header *headers;
  size_t nheaders;
  bool https_only;
  uint64_t ms;
} call;

static char url_buf[256], grants_buf[256];

/* The op of c, run until done. Defaults: GET of the server's path, the
** server's address and port granted, the real helper, 10 s. */
static net_op *run(call c) {
  if (!c.url) {
    snprintf(url_buf, sizeof url_buf, "http://127.0.0.1:%u%s", srv.port,
             c.path);
    c.url = url_buf;
  }
  if (!c.grants) {
    snprintf(grants_buf, sizeof grants_buf, "network:outbound:127.0.0.1:%u\n",
             srv.port);
    c.grants = grants_buf;
  }
  net_http_req r = {c.method ? c.method : "GET",
                    c.url,
                    c.headers,
                    c.nheaders,
                    (const uint8_t *)c.body,
                    c.body ? strlen(c.body) : 0};
  net_op *op = net_http_start(&r, c.worker ? c.worker : WORKER, c.grants,
                              c.https_only, ms_from_now(c.ms ? c.ms : 10000));
  cr_assert_not_null(op);
  while (!net_op_done(op))
    turn(op);
  return op;
}

static const char *header(const net_result *r, const char *name) {
  for (size_t i = 0; i < r->nheaders; i++)
    if (strcasecmp(r->headers[i].name, name) == 0)
      return r->headers[i].value;
  return NULL;
}

/* The op freed, then nothing left behind: no descriptor, no child. */
static void finish(net_op *op) {
  net_op_free(op);
  server_stop();
  cr_assert_eq(count_fds(), fds_at_start, "descriptors: %d, were %d",
               count_fds(), fds_at_start);
  errno = 0;
  cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1);
  cr_assert_eq(errno, ECHILD);
}

static void expect_no_error(const net_result *r) {
  cr_assert_str_empty(r->error.type, "error %s %s: %s", r->error.type,
                      r->error.code, r->error.message);
}

static void expect_error(const net_result *r, const char *type,
                         const char *code, const char *in_message) {
  cr_assert_str_eq(r->error.type, type, "error %s %s: %s", r->error.type,
                   r->error.code, r->error.message);
  cr_assert_str_eq(r->error.code, code, "code %s: %s", r->error.code,
                   r->error.message);
  cr_assert_not_null(strstr(r->error.message, in_message), "message: %s",
                     r->error.message);
}

/* ---- requests that succeed ---- */

Test(http, get_gives_status_headers_body_and_the_decision) {
  server_start();
  net_op *op = run((call){.path = "/hello"});
  const net_result *r = net_op_result(op);
  char cap[64];
  expect_no_error(r);
  cr_assert_eq(r->kind, NET_HTTP);
  cr_assert_eq(r->status_code, 200);
  cr_assert_eq(r->body_len, 11);
  cr_assert_eq(memcmp(r->body, "hello world", 11), 0);
  cr_assert_not(r->body_truncated);
  cr_assert_str_eq(header(r, "x-test"), "yes");
  cr_assert_eq(r->ndecisions, 1);
  cr_assert(r->decisions[0].granted);
  cr_assert_str_eq(r->decisions[0].host, "127.0.0.1");
  cr_assert_str_eq(r->decisions[0].address, "127.0.0.1");
  cr_assert_eq(r->decisions[0].port, srv.port);
  snprintf(cap, sizeof cap, "network:outbound:127.0.0.1:%u", srv.port);
  cr_assert_str_eq(r->decisions[0].capability, cap);
  cr_assert_null(r->decisions[0].reason);
  finish(op);
}

Test(http, post_sends_its_body_and_headers) {
  server_start();
  const net_header h[] = {{"Content-Type", "text/plain"}};
  net_op *op = run((call){.method = "POST",
                          .path = "/echo",
                          .body = "ping",
                          .headers = h,
                          .nheaders = 1});
  const net_result *r = net_op_result(op);
  expect_no_error(r);
  cr_assert_eq(r->status_code, 200);
  cr_assert_eq(r->body_len, 4);
  cr_assert_eq(memcmp(r->body, "ping", 4), 0);
  cr_assert_str_eq(header(r, "X-Method"), "POST");
  cr_assert_str_eq(srv.content_type, "text/plain");
  finish(op);
}

Test(http, a_body_past_the_bound_is_truncated_not_failed) {
  server_start();
  net_op *op = run((call){.path = "/big"});
  const net_result *r = net_op_result(op);
  expect_no_error(r);
  cr_assert_eq(r->status_code, 200);
  cr_assert_eq(r->body_len, NET_HTTP_BODY_MAX);
  cr_assert(r->body_truncated);
  cr_assert_eq(r->body[NET_HTTP_BODY_MAX - 1], 'b');
  finish(op);
}

Test(http, a_redirect_to_a_granted_path_is_followed) {
  server_start();
  net_op *op = run((call){.path = "/redir"});
  const net_result *r = net_op_result(op);
  expect_no_error(r);
  cr_assert_eq(r->status_code, 200);
  cr_assert_eq(r->body_len, 11);
  cr_assert_eq(r->ndecisions, 2, "every hop dials and is decided");
  cr_assert(r->decisions[0].granted && r->decisions[1].granted);
  cr_assert_eq(srv.requests, 2);
  finish(op);
}

Test(http, see_other_after_post_is_a_get_without_body) {
  server_start();
  net_op *op =
      run((call){.method = "POST", .path = "/see-other", .body = "ping"});
  const net_result *r = net_op_result(op);
  expect_no_error(r);
  cr_assert_eq(r->status_code, 200);
  cr_assert_str_eq(header(r, "X-Method"), "GET");
  cr_assert_eq(r->body_len, 0);
  finish(op);
}

/* ---- refusals by the grants ---- */

Test(http, a_redirect_to_a_host_not_granted_is_refused) {
  server_start();
  net_op *op = run((call){.path = "/away"});
  const net_result *r = net_op_result(op);
  expect_error(r, "capability", "",
               "redirect to example.com:80 is not granted "
               "(network:outbound:example.com:80)");
  cr_assert_eq(r->ndecisions, 2);
  const net_decision *d = &r->decisions[1];
  cr_assert_not(d->granted);
  cr_assert_str_eq(d->host, "example.com");
  cr_assert_str_eq(d->address, "");
  cr_assert_eq(d->port, 80);
  cr_assert_str_eq(d->capability, "network:outbound:example.com:80");
  cr_assert_not_null(d->reason);
  cr_assert_eq(srv.requests, 1);
  finish(op);
}

Test(http, plain_http_is_refused_under_https_only) {
  server_start();
  net_op *op = run((call){.path = "/hello", .https_only = true});
  const net_result *r = net_op_result(op);
  expect_error(r, "capability", "", "only https is allowed");
  cr_assert_eq(r->ndecisions, 1);
  cr_assert_str_eq(r->decisions[0].capability, "network:https-only");
  cr_assert_eq(srv.requests, 0);
  finish(op);
}

Test(http, a_name_grant_does_not_reach_loopback) {
  server_start();
  char url[128], grants[128];
  snprintf(url, sizeof url, "http://localhost:%u/hello", srv.port);
  snprintf(grants, sizeof grants, "network:outbound:localhost:%u\n", srv.port);
  net_op *op = run((call){.url = url, .grants = grants});
  const net_result *r = net_op_result(op);
  expect_error(r, "capability", "", "a loopback address: grant it by address");
  cr_assert_geq(r->ndecisions, 1);
  for (size_t i = 0; i < r->ndecisions; i++) {
    cr_assert_not(r->decisions[i].granted);
    cr_assert_str_eq(r->decisions[i].host, "localhost");
  }
  cr_assert_eq(srv.requests, 0);
  finish(op);
}

/* A name is decided as DNS will see it: an IDN in punycode. */
Test(http, an_international_name_is_decided_in_punycode) {
  server_start();
  char url[128];
  snprintf(url, sizeof url,
           "http://b\xc3\xbc"
           "cher.example:%u/",
           srv.port);
  net_op *op = run((call){.url = url});
  char why[128];
  snprintf(why, sizeof why, "xn--bcher-kva.example:%u is not granted",
           srv.port);
  expect_error(net_op_result(op), "capability", "", why);
  finish(op);
}

Test(http, an_intersected_grant_text_narrows) {
  server_start();
  char grants[160];
  snprintf(grants, sizeof grants,
           "network:outbound:127.0.0.1:%u\nrequest:\n"
           "network:outbound:127.0.0.1:1\n",
           srv.port);
  net_op *op = run((call){.path = "/hello", .grants = grants});
  expect_error(net_op_result(op), "capability", "", "is not granted");
  cr_assert_eq(srv.requests, 0);
  finish(op);
}

Test(http, response_headers_past_the_bound_are_dropped) {
  server_start();
  net_op *op = run((call){.path = "/many-headers"});
  const net_result *r = net_op_result(op);
  expect_no_error(r);
  cr_assert_eq(r->nheaders, NET_HTTP_HEADERS_MAX);
  cr_assert_str_eq(r->headers[0].name, "Content-Length");
  finish(op);
}

/* Authorization goes along a redirect within the origin, not to another
** (localhost here: granted by name, reached through the address grant). */
Test(http, credentials_stay_with_their_origin) {
  server_start();
  const net_header h[] = {{"Authorization", "Bearer x"}};
  char grants[160];
  snprintf(grants, sizeof grants,
           "network:outbound:127.0.0.1:%u\nnetwork:outbound:localhost:%u\n",
           srv.port, srv.port);
  net_op *op = run((call){
      .path = "/to-auth", .headers = h, .nheaders = 1, .grants = grants});
  expect_no_error(net_op_result(op));
  cr_assert_str_eq(header(net_op_result(op), "X-Auth"), "seen");
  net_op_free(op);
  op = run((call){.path = "/to-other-origin",
                  .headers = h,
                  .nheaders = 1,
                  .grants = grants});
  const net_result *r = net_op_result(op);
  expect_no_error(r);
  cr_assert_eq(r->status_code, 200);
  cr_assert_null(header(r, "X-Auth"));
  cr_assert_str_eq(r->decisions[r->ndecisions - 1].host, "localhost");
  finish(op);
}

/* ---- TLS: openssl s_server with a certificate of its own making ---- */

static char tls_dir[64];

static void tls_files(char *cert, char *key, size_t size) {
  char cmd[512];
  snprintf(tls_dir, sizeof tls_dir, "/tmp/plugsup-tls-XXXXXX");
  cr_assert_not_null(mkdtemp(tls_dir));
  snprintf(cert, size, "%s/c.pem", tls_dir);
  snprintf(key, size, "%s/k.pem", tls_dir);
  snprintf(cmd, sizeof cmd,
           "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
           " -nodes -subj /CN=127.0.0.1 -days 1 -keyout %s -out %s"
           " >/dev/null 2>&1",
           key, cert);
  cr_assert_eq(system(cmd), 0);
}

static pid_t tls_server(unsigned port, const char *cert, const char *key) {
  char accept_at[32];
  snprintf(accept_at, sizeof accept_at, "127.0.0.1:%u", port);
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    execl("/usr/bin/openssl", "openssl", "s_server", "-quiet", "-www",
          "-accept", accept_at, "-cert", cert, "-key", key, (char *)NULL);
    _exit(127);
  }
  return pid;
}

/* Until something listens on port, or 5 s. */
static void await_listener(unsigned port) {
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  for (int i = 0; i < 250; i++) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int rc = connect(fd, (struct sockaddr *)&a, sizeof a);
    close(fd);
    if (rc == 0)
      return;
    usleep(20000);
  }
  cr_assert_fail("nothing listens on %u", port);
}

/* https passes https_only, and a certificate no authority of the system's
** store signed is refused: verification is on. */
Test(http, https_is_verified_against_the_system_store) {
  char cert[96], key[96], url[64], grants[64], cmd[128];
  unsigned port;
  if (access("/usr/bin/openssl", X_OK) != 0)
    cr_skip_test("no /usr/bin/openssl to serve TLS");
  server_start();
  tls_files(cert, key, sizeof cert);
  close(bound_socket(&port));
  pid_t pid = tls_server(port, cert, key);
  await_listener(port);
  snprintf(url, sizeof url, "https://127.0.0.1:%u/", port);
  snprintf(grants, sizeof grants, "network:outbound:127.0.0.1:%u\n", port);
  net_op *op = run((call){.url = url, .grants = grants, .https_only = true});
  const net_result *r = net_op_result(op);
  expect_error(r, "network", "CURLE_PEER_FAILED_VERIFICATION", "");
  cr_assert_eq(r->ndecisions, 1);
  cr_assert(r->decisions[0].granted);
  kill(pid, SIGKILL);
  cr_assert_eq(waitpid(pid, NULL, 0), pid);
  snprintf(cmd, sizeof cmd, "rm -rf %s", tls_dir);
  cr_assert_eq(system(cmd), 0);
  finish(op);
}

/* ---- requests refused before anything is sent ---- */

Test(http, a_header_that_would_end_its_line_is_refused) {
  server_start();
  const net_header h[] = {{"X-A", "1\r\nX-Injected: 2"}};
  net_op *op = run((call){.path = "/hello", .headers = h, .nheaders = 1});
  expect_error(net_op_result(op), "validation", "", "bad request header 0");
  cr_assert_eq(srv.requests, 0);
  finish(op);
}

Test(http, a_method_that_is_no_token_is_refused) {
  server_start();
  net_op *op = run((call){.method = "GET /x HTTP/1.1\r\n", .path = "/"});
  expect_error(net_op_result(op), "validation", "", "bad method");
  finish(op);
}

Test(http, grants_that_do_not_read_back_are_an_internal_error) {
  server_start();
  net_op *op = run((call){.path = "/hello", .grants = "network:outbound:x\n"});
  expect_error(net_op_result(op), "internal", "", "do not read back");
  cr_assert_eq(srv.requests, 0);
  finish(op);
}

/* ---- failures ---- */

Test(http, a_refused_connection_is_a_network_error) {
  server_start();
  unsigned port;
  int closed = bound_socket(&port); /* bound, not listening: refused */
  char url[128], grants[128];
  snprintf(url, sizeof url, "http://127.0.0.1:%u/", port);
  snprintf(grants, sizeof grants, "network:outbound:127.0.0.1:%u\n", port);
  net_op *op = run((call){.url = url, .grants = grants});
  expect_error(net_op_result(op), "network", "ECONNREFUSED", "");
  close(closed);
  finish(op);
}

Test(http, too_many_redirects) {
  server_start();
  net_op *op = run((call){.path = "/loop"});
  const net_result *r = net_op_result(op);
  expect_error(r, "network", "CURLE_TOO_MANY_REDIRECTS", "redirects");
  cr_assert_eq(srv.requests, NET_HTTP_REDIRECTS_MAX + 1);
  finish(op);
}

Test(http, a_silent_server_times_out) {
  server_start();
  net_op *op = run((call){.path = "/hang", .ms = 4000});
  const net_result *r = net_op_result(op);
  /* The helper had less time than the op (3 s of 4), and said so itself:
  ** the decision it made came back with its timeout. */
  expect_error(r, "timeout", "ETIMEDOUT", "");
  cr_assert(r->error.is_timeout);
  cr_assert_eq(r->ndecisions, 1);
  cr_assert(r->decisions[0].granted);
  cr_assert_leq(r->duration_ms, 4100);
  finish(op);
}

Test(http, a_missing_helper_is_named) {
  server_start();
  net_op *op = run(
      (call){.path = "/hello", .worker = "/nonexistent/dir/plugsup-worker"});
  expect_error(net_op_result(op), "internal", "",
               "cannot start /nonexistent/dir/plugsup-http");
  cr_assert_eq(srv.requests, 0);
  finish(op);
}

/* ---- helpers that misbehave: shell scripts in a directory of their own ----
 */

static char fake_dir[64], fake_worker[96];

static const char *fake_helper(const char *script) {
  char path[128];
  snprintf(fake_dir, sizeof fake_dir, "/tmp/plugsup-http-XXXXXX");
  cr_assert_not_null(mkdtemp(fake_dir));
  snprintf(path, sizeof path, "%s/plugsup-http", fake_dir);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fprintf(f, "#!/bin/sh\n%s\n", script);
  fclose(f);
  cr_assert_eq(chmod(path, 0755), 0);
  snprintf(fake_worker, sizeof fake_worker, "%s/plugsup-worker", fake_dir);
  return fake_worker;
}

static void remove_fake(void) {
  char path[128];
  snprintf(path, sizeof path, "%s/plugsup-http", fake_dir);
  unlink(path);
  rmdir(fake_dir);
}

Test(http, a_helper_past_the_deadline_is_killed_and_reaped) {
  server_start();
  uint64_t t0 = net_now_ns();
  net_op *op = run((call){.path = "/hello",
                          .ms = 300,
                          .worker = fake_helper("exec /bin/sleep 30")});
  const net_result *r = net_op_result(op);
  expect_error(r, "timeout", "ETIMEDOUT", "deadline");
  cr_assert(r->error.is_timeout);
  cr_assert_lt(net_now_ns() - t0, 2000000000u);
  remove_fake();
  finish(op);
}

Test(http, a_garbled_result_is_an_internal_error) {
  server_start();
  net_op *op = run((call){.path = "/hello",
                          .worker = fake_helper("printf zzzz >&3; sleep 30")});
  expect_error(net_op_result(op), "internal", "",
               "plugsup-http sent a bad result");
  remove_fake();
  finish(op);
}

/* Well-formed frames with a field out of bounds: the error type is none
** of net_error's; a status code of 5; an error code in lower case. */
Test(http, a_result_out_of_bounds_is_an_internal_error) {
  static const char *const frames[] = {
      "printf '\\011\\000\\000\\000\\172\\007\\052\\005bogus' >&3",
      "printf '\\004\\000\\000\\000\\172\\002\\010\\005' >&3",
      "printf '\\021\\000\\000\\000\\172\\017\\052\\007network"
      "\\062\\004ecxx' >&3",
  };
  for (size_t i = 0; i < sizeof frames / sizeof *frames; i++) {
    server_start();
    net_op *op =
        run((call){.path = "/hello", .worker = fake_helper(frames[i])});
    expect_error(net_op_result(op), "internal", "",
                 "plugsup-http sent a bad result: a field out of bounds");
    cr_assert_eq(net_op_result(op)->status_code, 0);
    remove_fake();
    finish(op);
  }
}

Test(http, a_helper_that_exits_silently_is_reported) {
  server_start();
  net_op *op = run((call){.path = "/hello", .worker = fake_helper("exit 3")});
  expect_error(net_op_result(op), "internal", "",
               "plugsup-http exited with status 3");
  remove_fake();
  finish(op);
}

/* Whether pid is gone or a zombie (its new parent reaps it). */
static bool dead(pid_t pid) {
  char path[64], state = 0;
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return true;
  int n = fscanf(f, "%*d (%*[^)]) %c", &state);
  fclose(f);
  return n == 1 && (state == 'Z' || state == 'X');
}

/* A helper that leaves a process behind in its group: it goes too. */
Test(http, what_a_helper_leaves_in_its_group_is_killed) {
  char script[256], path[128];
  pid_t left = 0;
  server_start();
  snprintf(script, sizeof script,
           "/bin/sleep 30 & echo $! >\"${0%%/*}/pid\"\n"
           "exit 3");
  net_op *op = run((call){.path = "/hello", .worker = fake_helper(script)});
  expect_error(net_op_result(op), "internal", "", "status 3");
  snprintf(path, sizeof path, "%s/pid", fake_dir);
  FILE *f = fopen(path, "r");
  cr_assert_not_null(f);
  cr_assert_eq(fscanf(f, "%d", &left), 1);
  fclose(f);
  unlink(path);
  for (int i = 0; i < 100 && !dead(left); i++)
    usleep(10000);
  cr_assert(dead(left), "process %d still runs", (int)left);
  remove_fake();
  finish(op);
}

Test(http, freeing_a_running_op_kills_and_reaps_its_helper) {
  server_start();
  net_http_req r = {"GET", "http://127.0.0.1:1/", NULL, 0, NULL, 0};
  net_op *op = net_http_start(&r, fake_helper("exec /bin/sleep 30"), "", false,
                              ms_from_now(10000));
  cr_assert_not_null(op);
  cr_assert_not(net_op_done(op));
  remove_fake();
  finish(op);
}
