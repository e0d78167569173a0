/*
** net_http.c: an HTTP request as a net_op, made by a fresh plugsup-http
** process (http/plugsup_http.h) so that libcurl, and every byte a server
** sends, stays out of the supervisor.
**
** Starting: a stream socket pair, the helper's end on its fd 3; posix_spawn
** (a vfork-style clone, no copy of the embedding program) with stdin and
** stdout on /dev/null, stderr inherited, an empty environment, every other
** descriptor closed, in a process group of its own; a pidfd to learn of its
** end without SIGCHLD.
**
** Running: the HttpCall frame goes out as the socket takes it, the
** HttpResult frame comes in as it arrives, and the op is done once the
** helper is reaped; nothing here waits. The helper is given a little
** less time than the op has, so that it reports its own timeout, with the
** decisions it made, before the deadline kills it.
**
** net_http_start keeps nothing of its arguments: the HttpCall frame holds
** copies of the request and the grants.
**
** The result is checked as untrusted: counts and sizes against net.h's
** bounds, every string made safe (sup_guest_text). A bad frame ends the
** op with an "internal" error and the helper killed.
*/
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "frame.h"
#include "internal.h"
#include "net.h"
#include "net_parse.h"
#include "process.h"
#include "plugsup_http.h"

/* The helper's budget is the op's less a quarter, at most this much:
** room for its start-up and its answer, with the decisions it made for
** the audit, on a loaded machine too (250 ms was not always enough with
** the test suite running beside it). */
#define HTTP_MARGIN_NS (1000u * 1000000u)

typedef struct http_op {
  net_op op;       /* first: net.c sees only this */
  pid_t pid;       /* 0 once reaped */
  int sock, pidfd; /* -1 once closed */
  uint8_t *call;   /* the HttpCall frame, until all of it is sent */
  size_t call_len, call_sent;
  frame_reader in;
  bool answered; /* the HttpResult has been taken */
} http_op;

static void close_fd(int *fd) {
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

static void drop_call(http_op *h) {
  free(h->call);
  h->call = NULL;
  h->call_len = h->call_sent = 0;
}

/* ---- the helper's process ---- */

static int wait_helper(const http_op *h, siginfo_t *si, int options) {
  int rc;
  memset(si, 0, sizeof *si);
  while ((rc = waitid(P_PIDFD, (id_t)h->pidfd, si, WEXITED | options)) < 0 &&
         errno == EINTR)
    ;
  return rc;
}

/* Reaps the helper if it has ended (or, with kill, after SIGKILL, which
** no process ignores: waitid then waits only for the kernel). *status is
** waitpid's form, or -1 when the embedder reaped it first (waitpid(-1)).
** False while it runs. Until the helper is reaped its number names its
** group, so whatever a subverted helper started there is killed first. */
static bool reap(http_op *h, bool kill_it, int *status) {
  siginfo_t si;
  if (kill_it)
    pidfd_send_signal(h->pidfd, SIGKILL, NULL, 0);
  else if (wait_helper(h, &si, WNOHANG | WNOWAIT) == 0 && si.si_pid == 0)
    return false;
  kill(-h->pid, SIGKILL);
  int rc = wait_helper(h, &si, 0);
  *status = rc < 0                     ? -1
            : si.si_code == CLD_EXITED ? (si.si_status & 0xff) << 8
                                       : (si.si_status & 0x7f);
  h->pid = 0;
  close_fd(&h->pidfd);
  return true;
}

static const char *exit_meaning(int code) {
  switch (code) {
  case PLUGSUP_HTTP_EXIT_OK:
    return "yet its result was cut short";
  case PLUGSUP_HTTP_EXIT_SETUP:
    return "its start-up failed";
  case PLUGSUP_HTTP_EXIT_USAGE:
    return "it was started wrongly";
  case PLUGSUP_HTTP_EXIT_PROTOCOL:
    return "it got no request";
  case PLUGSUP_HTTP_EXIT_REPLY_IO:
    return "it could not send its result";
  case PLUGSUP_HTTP_EXIT_NOMEM:
    return "it ran out of memory";
  default:
    return "not one of its statuses";
  }
}

/* The helper ended without a result: its status says why. */
static void ended_silent(http_op *h, int status) {
  net_error *e = &h->op.result.error;
  if (status < 0)
    net_error_set(e, "internal", "",
                  "plugsup-http was reaped by someone else without a result");
  else if (WIFEXITED(status))
    net_error_set(e, "internal", "",
                  "plugsup-http exited with status %d (%s)"
                  " without a result",
                  WEXITSTATUS(status), exit_meaning(WEXITSTATUS(status)));
  else
    net_error_set(e, "internal", "",
                  "plugsup-http was killed by signal %d without a result",
                  WTERMSIG(status));
}

/* Ends the op now: the helper killed and reaped, the socket closed. */
static void end_now(http_op *h) {
  int status;
  if (h->pid > 0)
    reap(h, true, &status);
  close_fd(&h->sock);
  drop_call(h);
  net_op_finish(&h->op);
}

static int spawn_helper(const char *path, int child_end, pid_t *pid) {
  char *argv[] = {(char *)PLUGSUP_HTTP_NAME, NULL};
  const int target = PLUGSUP_HTTP_FD;
  sup_process p = {.path = path, .argv = argv, .fds = &child_end,
                   .targets = &target, .nfds = 1, .stdin_null = true,
                   .stdout_null = true, .close_from = PLUGSUP_HTTP_FD + 1,
                   .group = SUP_PROCESS_GROUP};
  return sup_process_spawn(pid, &p);
}

/* plugsup-http beside the worker. False when the path does not fit. */
static bool helper_path(const char *worker_path, char *out, size_t size) {
  const char *slash = worker_path ? strrchr(worker_path, '/') : NULL;
  int dir_len = slash ? (int)(slash - worker_path) : 1;
  int n = snprintf(out, size, "%.*s/%s", dir_len, slash ? worker_path : ".",
                   PLUGSUP_HTTP_NAME);
  return n > 0 && (size_t)n < size;
}

/* The socket pair and the helper; false with the op's error set. The
** child's end is moved above fd 3 first, so that dup2 onto fd 3 is never
** a no-op that would leave it close-on-exec. */
static bool start_helper(http_op *h, const char *path) {
  int sv[2], child = -1, rc;
  net_error *e = &h->op.result.error;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    net_error_set(e, "internal", "", "socketpair: %s", strerror(errno));
    return false;
  }
  h->sock = sv[0];
  child = fcntl(sv[1], F_DUPFD_CLOEXEC, PLUGSUP_HTTP_FD + 1);
  rc = child < 0 ? errno : 0;
  close(sv[1]);
  if (!rc && fcntl(h->sock, F_SETFL, O_NONBLOCK) != 0)
    rc = errno;
  if (!rc)
    rc = spawn_helper(path, child, &h->pid);
  if (child >= 0)
    close(child);
  if (rc) {
    h->pid = 0;
    net_error_set(e, "internal", "", "cannot start %s: %s", path, strerror(rc));
    return false;
  }
  if ((h->pidfd = pidfd_open(h->pid, 0)) < 0) {
    net_error_set(e, "internal", "", "pidfd_open: %s", strerror(errno));
    kill(h->pid, SIGKILL);
    while (waitpid(h->pid, NULL, 0) < 0 && errno == EINTR)
      ;
    h->pid = 0;
    return false;
  }
  return true;
}

/* ---- the call ---- */

static ProtobufCBinaryData text_bytes(const char *s) {
  return (ProtobufCBinaryData){s ? strlen(s) : 0, (uint8_t *)s};
}

static uint32_t helper_timeout_ms(uint64_t deadline_ns) {
  uint64_t now = net_now_ns();
  uint64_t left = deadline_ns > now ? deadline_ns - now : 0;
  uint64_t margin = left / 4 < HTTP_MARGIN_NS ? left / 4 : HTTP_MARGIN_NS;
  uint64_t ms = (left - margin) / 1000000u;
  return ms == 0 ? 1 : ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

/* r as one HttpCall frame in h->call. False with the op's error set. */
static bool encode_call(http_op *h, const net_http_req *r, const char *grants,
                        bool https_only) {
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT;
  Plugsup__HttpCall c = PLUGSUP__HTTP_CALL__INIT;
  Plugsup__HttpHeader hs[NET_HTTP_HEADERS_MAX], *ptrs[NET_HTTP_HEADERS_MAX];
  net_error *e = &h->op.result.error;
  if (!r->method || !r->url || r->nheaders > NET_HTTP_HEADERS_MAX) {
    net_error_set(e, "validation", "", "%s",
                  r->nheaders > NET_HTTP_HEADERS_MAX
                      ? "too many request headers"
                      : "no method or no url");
    return false;
  }
  for (size_t i = 0; i < r->nheaders; i++) {
    plugsup__http_header__init(&hs[i]);
    hs[i].name = text_bytes(r->headers[i].name);
    hs[i].value = text_bytes(r->headers[i].value);
    ptrs[i] = &hs[i];
  }
  c.method = (char *)r->method;
  c.url = (char *)r->url;
  c.n_headers = r->nheaders;
  c.headers = ptrs;
  c.body = (ProtobufCBinaryData){r->body_len, (uint8_t *)r->body};
  c.grants = (char *)(grants ? grants : "");
  c.https_only = https_only;
  c.timeout_ms = helper_timeout_ms(h->op.deadline_ns);
  c.body_max = NET_HTTP_BODY_MAX;
  c.headers_max = NET_HTTP_HEADERS_MAX;
  c.redirects_max = NET_HTTP_REDIRECTS_MAX;
  env.msg_case = PLUGSUP__ENVELOPE__MSG_HTTP_CALL;
  env.http_call = &c;
  frame_status st =
      frame_encode(&env, PLUGSUP_HTTP_CALL_MAX, &h->call, &h->call_len);
  if (st == FRAME_OK)
    return true;
  net_error_set(e, st == FRAME_TOO_BIG ? "validation" : "internal", "",
                "the request: %s", frame_status_message(st));
  return false;
}

/* Sends what the socket takes. A helper gone stops the sending; its
** ending tells the rest. MSG_NOSIGNAL: no SIGPIPE in the embedder. */
static void send_some(http_op *h) {
  while (h->call_sent < h->call_len) {
    ssize_t n = send(h->sock, h->call + h->call_sent,
                     h->call_len - h->call_sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return;
    if (n < 0)
      break;
    h->call_sent += (size_t)n;
  }
  drop_call(h);
}

/* ---- the result, checked ---- */

static const char *const error_types[] = {
    "network", "timeout", "config", "capability", "validation", "internal"};

static bool known_type(const char *t) {
  for (size_t i = 0; i < sizeof error_types / sizeof *error_types; i++)
    if (strcmp(t, error_types[i]) == 0)
      return true;
  return false;
}

/* Only what the helper's codes are made of: "ECONNREFUSED", "CURLE_…". */
static bool code_ok(const ProtobufCBinaryData *b) {
  if (b->len >= sizeof((net_error *)0)->code)
    return false;
  for (size_t i = 0; i < b->len; i++)
    if (!(b->data[i] == '_' || (b->data[i] >= 'A' && b->data[i] <= 'Z') ||
          (b->data[i] >= '0' && b->data[i] <= '9')))
      return false;
  return true;
}

/* An address as inet_ntop writes one, "?", or "" for none. */
static bool address_ok(const char *a) {
  size_t n = strlen(a);
  return n < sizeof((net_decision *)0)->address &&
         strspn(a, "0123456789abcdefABCDEF.:?") == n;
}

static char *safe_text(const ProtobufCBinaryData *b, size_t max, bool *ok) {
  char *s = NULL;
  if (b->len > max)
    *ok = false;
  else if (*ok && !(s = sup_guest_text(b->data, b->len, SUP_TEXT_PROSE)))
    *ok = false;
  return s;
}

static bool take_headers(net_result *res, const Plugsup__HttpResult *m) {
  bool ok = m->n_headers <= NET_HTTP_HEADERS_MAX;
  if (!ok || m->n_headers == 0)
    return ok;
  if (!(res->headers = calloc(m->n_headers, sizeof *res->headers)))
    return false;
  for (size_t i = 0; ok && i < m->n_headers; i++) {
    const Plugsup__HttpHeader *h = m->headers[i];
    res->headers[i].name = safe_text(&h->name, PLUGSUP_HTTP_HEADER_BYTES, &ok);
    res->headers[i].value =
        safe_text(&h->value, PLUGSUP_HTTP_HEADER_BYTES, &ok);
    res->nheaders = i + 1;
  }
  return ok;
}

static bool take_decisions(net_result *res, const Plugsup__HttpResult *m) {
  bool ok = m->n_decisions <= PLUGSUP_HTTP_DECISIONS_MAX;
  if (!ok || m->n_decisions == 0)
    return ok;
  if (!(res->decisions = calloc(m->n_decisions, sizeof *res->decisions)))
    return false;
  for (size_t i = 0; ok && i < m->n_decisions; i++) {
    const Plugsup__HttpDecision *d = m->decisions[i];
    net_decision *out = &res->decisions[i];
    res->ndecisions = i + 1;
    ok = address_ok(d->address) && d->port <= 65535;
    out->host = safe_text(&d->host, PLUGSUP_HTTP_TEXT_MAX, &ok);
    out->capability = safe_text(&d->capability, PLUGSUP_HTTP_TEXT_MAX, &ok);
    if (ok && d->reason.len)
      out->reason = safe_text(&d->reason, PLUGSUP_HTTP_TEXT_MAX, &ok);
    if (ok)
      snprintf(out->address, sizeof out->address, "%s", d->address);
    out->port = d->port;
    out->granted = d->granted;
  }
  return ok;
}

/* How many bytes of s fit in size with the NUL: all of it, or what ends
** before the character that would be cut, so that UTF-8 stays UTF-8. */
static int utf8_fit(const char *s, size_t size) {
  size_t n = strlen(s);
  if (n >= size) {
    n = size - 1;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
      n--;
  }
  return (int)n;
}

static bool take_error(net_result *res, const Plugsup__HttpResult *m) {
  bool ok = true;
  if (!m->error_type[0])
    return m->error_code.len == 0 && m->error_message.len == 0;
  if (!known_type(m->error_type) || !code_ok(&m->error_code))
    return false;
  char *msg = safe_text(&m->error_message, PLUGSUP_HTTP_TEXT_MAX, &ok);
  if (ok) /* code_ok: the code is short and plain */
    net_error_set(&res->error, m->error_type, "", "%.*s",
                  utf8_fit(msg, sizeof res->error.message), msg);
  snprintf(res->error.code, sizeof res->error.code, "%.*s",
           (int)m->error_code.len,
           m->error_code.len ? (const char *)m->error_code.data : "");
  res->error.is_timeout = m->is_timeout;
  res->error.is_not_found = m->is_not_found;
  free(msg);
  return ok;
}

/* Undoes what net_http_take_result filled when the frame turned out bad. */
static void clear_http_fields(net_result *res) {
  for (size_t i = 0; i < res->nheaders; i++) {
    free(res->headers[i].name);
    free(res->headers[i].value);
  }
  for (size_t i = 0; i < res->ndecisions; i++) {
    free(res->decisions[i].host);
    free(res->decisions[i].capability);
    free(res->decisions[i].reason);
  }
  free(res->headers);
  free(res->decisions);
  free(res->body);
  res->headers = NULL;
  res->decisions = NULL;
  res->body = NULL;
  res->nheaders = res->ndecisions = res->body_len = 0;
  res->status_code = 0;
  res->body_truncated = res->is_timeout = false;
  memset(&res->error, 0, sizeof res->error);
}

/* Not static: fuzz/fuzz_netreply.c drives it (net_parse.h). */
bool net_http_take_result(net_result *res, const Plugsup__Envelope *env) {
  const Plugsup__HttpResult *m = env->http_result;
  if (env->msg_case != PLUGSUP__ENVELOPE__MSG_HTTP_RESULT ||
      m->body.len > NET_HTTP_BODY_MAX ||
      (m->status_code != 0 && (m->status_code < 100 || m->status_code > 999)))
    return false;
  if (m->body.len && !(res->body = malloc(m->body.len)))
    return false;
  if (m->body.len)
    memcpy(res->body, m->body.data, m->body.len);
  res->body_len = m->body.len;
  res->body_truncated = m->body_truncated;
  res->status_code = m->status_code;
  res->is_timeout = m->is_timeout;
  return take_headers(res, m) && take_decisions(res, m) && take_error(res, m);
}

/* Reads what has come. The op ends on a bad frame; a whole result is
** taken and the socket closed, and the helper's exit is awaited. */
static void read_some(http_op *h) {
  Plugsup__Envelope *env = NULL;
  frame_status st = frame_reader_feed(&h->in, h->sock, &env);
  if (st == FRAME_AGAIN)
    return;
  close_fd(&h->sock);
  drop_call(h);
  /* The stream ended, whole or not, or was reset by the helper's exit:
  ** its exit status tells more than the stream can. */
  if (st == FRAME_EOF || st == FRAME_TRUNCATED || st == FRAME_IO)
    return;
  if (st == FRAME_OK && net_http_take_result(&h->op.result, env)) {
    h->answered = true;
  } else {
    clear_http_fields(&h->op.result);
    net_error_set(&h->op.result.error, "internal", "",
                  "plugsup-http sent a bad result: %s",
                  st == FRAME_OK ? "a field out of bounds"
                                 : frame_status_message(st));
    end_now(h);
  }
  frame_free(env);
}

/* ---- the op ---- */

static size_t http_pollfds(net_op *op, struct pollfd *out, size_t max) {
  http_op *h = (http_op *)op;
  size_t n = 0;
  if (h->sock >= 0 && n < max)
    out[n++] =
        (struct pollfd){h->sock, (short)(POLLIN | (h->call ? POLLOUT : 0)), 0};
  if (h->pidfd >= 0 && n < max)
    out[n++] = (struct pollfd){h->pidfd, POLLIN, 0};
  return n;
}

static uint64_t http_wake_ns(const net_op *op) {
  (void)op;
  return UINT64_MAX; /* only the deadline, which net.c adds */
}

static void http_step(net_op *op, const struct pollfd *fds, size_t n,
                      uint64_t now_ns) {
  http_op *h = (http_op *)op;
  int status;
  (void)fds;
  (void)n;
  if (now_ns >= op->deadline_ns) {
    if (!h->answered) {
      net_error_set(&op->result.error, "timeout", "ETIMEDOUT",
                    "no answer from plugsup-http by the deadline");
      op->result.error.is_timeout = op->result.is_timeout = true;
    }
    end_now(h);
    return;
  }
  if (h->sock >= 0 && h->call)
    send_some(h);
  if (h->sock >= 0)
    read_some(h);
  if (op->done || h->pid == 0 || !reap(h, false, &status))
    return;
  if (!h->answered)
    ended_silent(h, status);
  end_now(h);
}

static void http_free(net_op *op) {
  http_op *h = (http_op *)op;
  int status;
  if (h->pid > 0)
    reap(h, true, &status);
  close_fd(&h->sock);
  close_fd(&h->pidfd);
  drop_call(h);
  frame_reader_free(&h->in);
  free(h);
}

static const net_op_vt http_vt = {http_pollfds, http_wake_ns, http_step,
                                  http_free};

net_op *net_http_start(const net_http_req *r, const char *worker_path,
                       const char *grants, bool https_only,
                       uint64_t deadline_ns) {
  http_op *h = calloc(1, sizeof *h);
  char path[PATH_MAX];
  if (!h)
    return NULL;
  net_op_init(&h->op, &http_vt, NET_HTTP, deadline_ns);
  h->sock = h->pidfd = -1;
  frame_reader_init(
      &h->in, PLUGSUP_HTTP_RESULT_MAX(NET_HTTP_BODY_MAX, NET_HTTP_HEADERS_MAX));
  if (!helper_path(worker_path, path, sizeof path))
    net_error_set(&h->op.result.error, "internal", "",
                  "no room for the path of plugsup-http beside %.100s",
                  worker_path);
  else if (encode_call(h, r, grants, https_only) && start_helper(h, path))
    return &h->op;
  end_now(h);
  return &h->op;
}
