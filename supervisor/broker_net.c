/*
** broker_net.c: the reglet_host calls (worker/hostfn.h): a plugin's JSON
** request is parsed (wire.h), decided (policy/), audited, and then done
** by an operation of net.h that the loop drives while the plugin waits.
** Whatever goes wrong, the plugin gets a response with an error object:
** a refused grant, a bad request, a server that does not answer.
*/
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "broker.h"
#include "hostcall.h"
#include "net.h"
#include "wasi_abi.h"
#include "wire.h"

/* Where a bare command name is looked for: the supervisor's own PATH is
** the embedder's, which a plugin's grant should not depend on. */
#define BROKER_EXEC_PATH "/usr/local/bin:/usr/bin:/bin"

/* The wire kind (a net_kind, or WIRE_LOG) of a host call's op: its row
** in hostcall.h has the function's name. */
static int kind_of(unsigned op) {
  return wire_kind_of(hostcall_describe(op)->name);
}

static int64_t wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The response JSON into the reply (no larger than one reply carries). */
static uint32_t respond(broker_reply *r, char *json, size_t len) {
  if (!json)
    return WASI_ENOMEM;
  memcpy(r->data, json, len);
  r->len = len;
  free(json);
  return 0;
}

static uint32_t respond_error(broker_reply *r, int kind,
                              const net_error *e) {
  size_t len = 0;
  char *json = wire_error_response(kind, e, &len);
  return respond(r, json, len);
}

/* A result as JSON no larger than a reply: a command's output or an HTTP
** body is cut (and marked so) until it fits; what cannot be cut (many
** long DNS records) is an error. */
static uint32_t respond_result(broker_reply *r, net_result *res) {
  size_t len = 0;
  char *json = wire_response(res, &len);
  while (json && len > HOSTCALL_IO_MAX &&
         (res->out_len > 0 || res->err_len > 0 || res->body_len > 0)) {
    free(json);
    res->out_truncated |= res->out_len > 0;
    res->err_truncated |= res->err_len > 0;
    res->body_truncated |= res->body_len > 0;
    res->out_len /= 2;
    res->err_len /= 2;
    res->body_len /= 2;
    json = wire_response(res, &len);
  }
  if (json && len > HOSTCALL_IO_MAX) {
    net_error e = {0};
    free(json);
    net_error_set(&e, "internal", "", "the response would be larger than "
                  "%u bytes", HOSTCALL_IO_MAX);
    return respond_error(r, res->kind, &e);
  }
  return respond(r, json, len);
}

/* ---- audit ---- */

static void audit_net(plugsup_job *job, const char *call, bool granted,
                      json_t *fields) {
  if (!granted)
    job->broker->denials++;
  if (!job->req.on_audit) {
    json_decref(fields);
    return;
  }
  json_t *o = json_object();
  if (o) {
    json_object_set_new(o, "call", json_string(call));
    json_object_set_new(o, "decision",
                        json_string(granted ? "granted" : "denied"));
    json_object_update(o, fields);
  }
  json_decref(fields);
  sup_audit(job, o);
}

static json_t *guest_string(const char *s) {
  char *text = sup_guest_text(s, strlen(s), SUP_TEXT_NAME);
  json_t *j = text ? json_string(text) : json_null();
  free(text);
  return j;
}

/* ---- commands ---- */

static bool executable(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
         access(path, X_OK) == 0;
}

/* The absolute, symlink-free path of command (malloc'd), or NULL. */
static char *resolve_command(const char *command) {
  char buf[PATH_MAX];
  if (command[0] == '/')
    return executable(command) ? realpath(command, NULL) : NULL;
  if (!command[0] || strchr(command, '/'))
    return NULL;
  for (const char *dir = BROKER_EXEC_PATH; *dir;) {
    size_t n = strcspn(dir, ":");
    if (snprintf(buf, sizeof buf, "%.*s/%s", (int)n, dir, command) <
            (int)sizeof buf &&
        executable(buf))
      return realpath(buf, NULL);
    dir += n + (dir[n] == ':');
  }
  return NULL;
}

/* Every variable the request sets must be granted by name: a plugin's
** LD_PRELOAD would otherwise run its own code in a granted program. */
static const char *ungranted_variable(const policy *rules,
                                      const net_exec_req *x, char *name,
                                      size_t namelen, char *cap,
                                      size_t caplen) {
  for (size_t i = 0; i < x->nenv; i++) {
    size_t n = strcspn(x->env[i], "=");
    snprintf(name, namelen, "%.*s", (int)n, x->env[i]);
    if (!rules || !policy_may_env(rules, name, cap, caplen))
      return name;
  }
  return NULL;
}

/* Decided on the command as the plugin wrote it before it is looked up,
** so that a plugin learns nothing of programs it may not run. */
static net_op *start_exec(plugsup_job *job, wire_request *q, uint64_t until,
                          net_error *e) {
  const policy *rules = job->broker->rules;
  const char *cmd = q->exec.argv[0], *var = NULL;
  char cap[512] = "", name[256], *resolved = resolve_command(cmd);
  net_op *op = NULL;
  json_t *f = json_object();
  bool ok = rules && policy_may_exec(rules, cmd, resolved, cap, sizeof cap);

  json_object_set_new(f, "command", guest_string(cmd));
  json_t *args = json_array();
  for (size_t i = 1; i < q->exec.argc; i++)
    json_array_append_new(args, guest_string(q->exec.argv[i]));
  json_object_set_new(f, "args", args);
  if (!ok && !cap[0])
    snprintf(cap, sizeof cap, "exec:%s", cmd);
  if (!ok)
    net_error_set(e, "capability", "", "%s is not granted (%s)", cmd, cap);
  else if (!resolved)
    net_error_set(e, "config", "ENOENT", "%s: no such program", cmd);
  else if ((var = ungranted_variable(rules, &q->exec, name, sizeof name,
                                      cap, sizeof cap)))
    net_error_set(e, "capability", "", "variable %s is not granted (%s)",
                  var, cap);
  if (ok && resolved)
    json_object_set_new(f, "program", guest_string(resolved));
  json_object_set_new(f, ok && !var ? "capability" : "missing",
                      guest_string(cap));
  if (e->type[0])
    json_object_set_new(f, "reason", guest_string(e->message));
  ok = ok && resolved && !var;
  audit_net(job, "exec_command", ok, f);
  if (ok) {
    q->exec.path = resolved;
    job->broker->commands++;
    op = net_exec_start(&q->exec, until);
    q->exec.path = NULL;
  }
  free(resolved);
  return op;
}

/* ---- connections ---- */

static bool may_connect(void *ud, const char *host, const struct sockaddr *sa,
                        socklen_t len, char *why, size_t whylen) {
  broker_judge *j = ud;
  char cap[512] = "", addr[64];
  (void)len;
  bool ok = policy_may_connect_addr(j->job->broker->rules, host, sa, j->port,
                                    cap, sizeof cap);
  policy_addr_text(sa, addr, sizeof addr);
  json_t *f = json_object();
  json_object_set_new(f, "host", guest_string(host));
  json_object_set_new(f, "address", json_string(addr));
  json_object_set_new(f, "port", json_integer(j->port));
  json_object_set_new(f, ok ? "capability" : "missing", guest_string(cap));
  if (!ok) {
    policy_addr_refusal(host, sa, cap, why, whylen);
    json_object_set_new(f, "reason", guest_string(why));
  }
  audit_net(j->job, j->call, ok, f);
  j->job->broker->net_calls += ok;
  return ok;
}

/* The first check, on the name as the plugin wrote it. */
static bool may_name(plugsup_job *job, const char *call, const char *host,
                     unsigned port, net_error *e) {
  const policy *rules = job->broker->rules;
  char cap[512] = "";
  bool ok = rules && policy_may_connect_name(rules, host, port, cap,
                                             sizeof cap);
  if (!ok && !cap[0])
    snprintf(cap, sizeof cap, "network:outbound:%s:%u", host, port);
  if (!ok) {
    net_error_set(e, "capability", "", "%s:%u is not granted (%s)", host,
                  port, cap);
    json_t *f = json_object();
    json_object_set_new(f, "host", guest_string(host));
    json_object_set_new(f, "port", json_integer(port));
    json_object_set_new(f, "missing", guest_string(cap));
    audit_net(job, call, false, f);
  }
  return ok;
}

static net_op *start_connect(plugsup_job *job, int kind,
                             wire_request *q, uint64_t until, net_error *e) {
  const char *call = kind == NET_TCP ? "tcp_connect" : "smtp_connect";
  broker_judge *j = &job->broker->judge;
  if (!may_name(job, call, q->tcp.host, q->tcp.port, e))
    return NULL;
  *j = (broker_judge){job, call, q->tcp.port};
  net_check check = {may_connect, j};
  return kind == NET_TCP ? net_tcp_start(&q->tcp, &check, until)
                         : net_smtp_start(&q->tcp, &check, until);
}

/* A nameserver "1.2.3.4:53" or "[::1]:53" (wire.c let only these
** through) as an address and a port. */
static bool nameserver_addr(const char *ns, char *host, size_t hostlen,
                            struct sockaddr_storage *sa, unsigned *port) {
  const char *colon = strrchr(ns, ':');
  bool v6 = ns[0] == '[';
  size_t n = colon ? (size_t)(colon - ns) - 2 * v6 : 0;
  if (!colon || n + 1 > hostlen)
    return false;
  snprintf(host, hostlen, "%.*s", (int)n, ns + v6);
  *port = (unsigned)strtoul(colon + 1, NULL, 10);
  memset(sa, 0, sizeof *sa);
  if (v6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)sa;
    a->sin6_family = AF_INET6;
    return inet_pton(AF_INET6, host, &a->sin6_addr) == 1;
  }
  struct sockaddr_in *a = (struct sockaddr_in *)sa;
  a->sin_family = AF_INET;
  return inet_pton(AF_INET, host, &a->sin_addr) == 1;
}

/* A lookup asks the system's resolver for hostname (port 53 of it), or
** the nameserver the plugin named: then that server, by its address, is
** what must be granted, since the query goes there and nowhere else. */
static net_op *start_dns(plugsup_job *job, wire_request *q, uint64_t until,
                         net_error *e) {
  const char *ns = q->dns.nameserver;
  char host[64], why[512];
  struct sockaddr_storage sa;
  unsigned port = 53;
  broker_judge *j = &job->broker->judge;

  if (!ns) {
    if (!may_name(job, "dns_lookup", q->dns.hostname, port, e))
      return NULL;
    json_t *f = json_object();
    json_object_set_new(f, "host", guest_string(q->dns.hostname));
    json_object_set_new(f, "port", json_integer(port));
    audit_net(job, "dns_lookup", true, f);
    job->broker->net_calls++;
  } else {
    if (!nameserver_addr(ns, host, sizeof host, &sa, &port)) {
      net_error_set(e, "config", "", "bad nameserver '%s'", ns);
      return NULL;
    }
    if (!may_name(job, "dns_lookup", host, port, e))
      return NULL;
    *j = (broker_judge){job, "dns_lookup", port};
    if (!may_connect(j, host, (struct sockaddr *)&sa, sizeof sa, why,
                     sizeof why)) {
      net_error_set(e, "capability", "", "%s", why);
      return NULL;
    }
  }
  return net_dns_start(&q->dns, until);
}

/* The helper decides every hop by the grants; its decisions come back
** with the result (audit_decisions). */
static net_op *start_http(plugsup_job *job, wire_request *q,
                          uint64_t until) {
  const policy *rules = job->broker->rules;
  char *grants = rules ? policy_describe(rules) : strdup("");
  net_op *op = NULL;
  if (!grants)
    return NULL;
  op = net_http_start(&q->http, job->sup->worker_path, grants,
                      rules && policy_https_only(rules), until);
  free(grants);
  return op;
}

static void audit_decisions(plugsup_job *job, const net_result *res) {
  for (size_t i = 0; i < res->ndecisions; i++) {
    const net_decision *d = &res->decisions[i];
    json_t *f = json_object();
    json_object_set_new(f, "host", guest_string(d->host ? d->host : ""));
    if (d->address[0])
      json_object_set_new(f, "address", json_string(d->address));
    json_object_set_new(f, "port", json_integer(d->port));
    if (d->capability)
      json_object_set_new(f, d->granted ? "capability" : "missing",
                          guest_string(d->capability));
    if (d->reason)
      json_object_set_new(f, "reason", guest_string(d->reason));
    audit_net(job, "http_request", d->granted, f);
    job->broker->net_calls += d->granted && d->address[0];
  }
}

static void audit_limit_connections(plugsup_job *job, int kind,
                                    const net_error *e) {
  json_t *f = json_object();
  json_object_set_new(f, "reason", json_string(e->message));
  audit_net(job, wire_function_name(kind), false, f);
}

/* ---- the calls ---- */

static uint64_t call_deadline(const plugsup_job *job, const wire_request *q) {
  uint64_t until = job->deadline_ns;
  if (q->timeout_ms > 0) {
    uint64_t t = sup_now_ns() + (uint64_t)q->timeout_ms * 1000000u;
    if (t < until)
      until = t;
  }
  return until;
}

static void log_line(plugsup_job *job, const wire_request *q) {
  char *text = sup_guest_text(q->log.message, strlen(q->log.message),
                              SUP_TEXT_NAME);
  char *level = sup_guest_text(q->log.level, strlen(q->log.level),
                               SUP_TEXT_NAME);
  char line[4096];
  int n = snprintf(line, sizeof line, "[%s] %s\n", level ? level : "",
                   text ? text : "");
  if (n > 0)
    sup_job_note(job, 2, line, (size_t)n < sizeof line ? (size_t)n
                                                        : sizeof line - 1);
  free(text);
  free(level);
}

void broker_op_end(broker_pending *p) {
  net_op_free(p->op);
  p->op = NULL;
  if (p->counted)
    atomic_fetch_sub(p->counted, 1);
  p->counted = NULL;
}

/* A place in the plugin's count of open connections, or false when its
** limit is reached. */
static bool take_connection(plugsup_job *job, net_error *e) {
  uint64_t limit = job->broker->limits.connections;
  atomic_uint *n = &job->plugin->connections;
  unsigned was = atomic_fetch_add(n, 1);
  if (limit && was >= limit) {
    atomic_fetch_sub(n, 1);
    net_error_set(e, "capability", "ECONNLIMIT",
                  "limit:connections:%llu reached: every connection the "
                  "plugin may hold is open", (unsigned long long)limit);
    return false;
  }
  job->broker->pending.counted = n;
  return true;
}

static uint32_t finish(plugsup_job *job, broker_reply *r) {
  sup_broker *b = job->broker;
  net_result *res = (net_result *)net_op_result(b->pending.op);
  audit_decisions(job, res);
  uint32_t err = respond_result(r, res);
  broker_op_end(&b->pending);
  return err;
}

uint32_t broker_hostfn_limited(const Plugsup__HostCall *c, uint64_t limit,
                               broker_reply *r) {
  net_error e = {0};
  int kind = kind_of(c->op);
  if (kind == WIRE_LOG)
    return 0;
  net_error_set(&e, "capability", "", "limit:host_calls:%llu reached",
                (unsigned long long)limit);
  return respond_error(r, kind, &e);
}

uint32_t broker_hostfn(plugsup_job *job, const Plugsup__HostCall *c,
                       broker_reply *r) {
  sup_broker *b = job->broker;
  int kind = kind_of(c->op);
  net_error e = {0};
  wire_request q;
  net_op *op = NULL;

  if (b->pending.op)
    return net_op_step(b->pending.op, NULL, 0, sup_now_ns())
               ? finish(job, r)
               : BROKER_WAIT;
  if (BROKER_ARG(c, 0)) {
    net_error_set(&e, "validation", "", "the request lies outside the "
                  "plugin's memory");
    return c->op == HC_LOG_MESSAGE ? 0 : respond_error(r, kind, &e);
  }
  if (wire_parse(kind, c->data.data, c->data.len, wall_ms(), &q, &e) < 0)
    return kind == WIRE_LOG ? 0 : respond_error(r, kind, &e);
  if (kind == WIRE_LOG) {
    log_line(job, &q);
    wire_request_free(&q);
    return 0;
  }
  if (q.canceled || q.expired) {
    if (q.canceled)
      net_error_set(&e, "internal", "", "context canceled");
    else
      net_error_set(&e, "timeout", "ETIMEDOUT", "context deadline exceeded");
    e.is_timeout = q.expired;
    wire_request_free(&q);
    return respond_error(r, kind, &e);
  }
  uint64_t until = call_deadline(job, &q);
  if (kind != NET_EXEC && !take_connection(job, &e)) {
    audit_limit_connections(job, kind, &e);
    wire_request_free(&q);
    return respond_error(r, kind, &e);
  }
  switch (kind) {
  case NET_EXEC: op = start_exec(job, &q, until, &e); break;
  case NET_DNS: op = start_dns(job, &q, until, &e); break;
  case NET_HTTP: op = start_http(job, &q, until); break;
  default: op = start_connect(job, kind, &q, until, &e); break;
  }
  wire_request_free(&q);
  if (!op && !e.type[0])
    net_error_set(&e, "internal", "", "out of memory");
  if (!op) {
    broker_op_end(&b->pending);
    return respond_error(r, kind, &e);
  }
  b->pending.op = op;
  return net_op_step(op, NULL, 0, sup_now_ns()) ? finish(job, r)
                                                 : BROKER_WAIT;
}
