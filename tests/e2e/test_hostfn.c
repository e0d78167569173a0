/*
** test_hostfn.c: reglet_host's functions against a real worker, a real
** plugin (fixtures/hostfn_call.c) and servers this test starts on
** 127.0.0.1: each function's success, each refusal as the error object the
** plugin gets and the audit line the operator gets, and a plugin waiting
** on a slow server while another run finishes.
*/
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers.h"

#define HOSTFN E2E_DIR "/fixtures/hostfn_call.wasm"

static plugsup_supervisor *sup;
static plugsup_plugin *plg;
static char audit[1 << 16];
static int listener = -1;    /* accepts nothing: connect still completes */
static unsigned port;

static char last_out[1 << 16]; /* the last call_with's response, as sent */

static void on_audit(void *ud, const char *line) {
  (void)ud;
  size_t n = strlen(audit);
  snprintf(audit + n, sizeof audit - n, "%s\n", line);
}

static int listen_local(unsigned *p) {
  struct sockaddr_in a = {.sin_family = AF_INET};
  socklen_t len = sizeof a;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert(fd >= 0);
  cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  cr_assert_eq(listen(fd, 16), 0);
  cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  *p = ntohs(a.sin_port);
  return fd;
}

static void setup(void) {
  sup = sup_on(REAL_WORKER, 4, 20000);
  cr_assert_eq(plugsup_plugin_load_file(HOSTFN, &plg), PLUGSUP_OK, "%s",
               plugsup_errmsg());
  listener = listen_local(&port);
  audit[0] = '\0';
}

static void teardown(void) {
  close(listener);
  plugsup_plugin_free(plg);
  plugsup_supervisor_free(sup);
}

TestSuite(hostfn, .init = setup, .fini = teardown);

static plugsup_policy *grants(const char *const *caps, size_t n) {
  plugsup_policy *p = NULL;
  cr_assert_eq(plugsup_policy_new(&p), PLUGSUP_OK);
  for (size_t i = 0; i < n; i++)
    cr_assert_eq(plugsup_policy_allow(p, caps[i]), PLUGSUP_OK, "%s: %s",
                 caps[i], plugsup_errmsg());
  return p;
}

static plugsup_run_options call_opts(const char *fn, const char *req,
                                     char *in, size_t cap) {
  plugsup_run_options o = run_opts(PLUGSUP_MODE_START);
  int n = snprintf(in, cap, "%s\n%s", fn, req);
  o.input = in;
  o.input_len = (size_t)n;
  o.on_audit = on_audit;
  return o;
}

/* Runs fn with request req under the capabilities; returns the response
** as JSON (the caller decrefs) and the run's stderr in err (if given). */
static json_t *call_with(const char *const *caps, size_t ncaps,
                         const char *fn, const char *req, char *err,
                         size_t errlen) {
  char in[4096];
  plugsup_run_options o = call_opts(fn, req, in, sizeof in);
  plugsup_result *r = NULL;
  json_error_t je;
  o.policy = grants(caps, ncaps);
  cr_assert_eq(plugsup_run(sup, plg, &o, &r), PLUGSUP_OK);
  plugsup_policy_free((plugsup_policy *)o.policy);
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OK, "%s: %s",
               plugsup_outcome_name(r->outcome), r->message);
  if (err)
    snprintf(err, errlen, "%s", r->err.data ? r->err.data : "");
  if (strcmp(fn, "log_message") == 0) {
    cr_assert_str_eq(r->out.data, "logged");
    plugsup_result_free(r);
    return NULL;
  }
  snprintf(last_out, sizeof last_out, "%s", r->out.data);
  json_t *j = json_loadb(r->out.data, r->out.len, JSON_ALLOW_NUL, &je);
  cr_assert_not_null(j, "not JSON (%s): %s", je.text, r->out.data);
  plugsup_result_free(r);
  return j;
}

#define CALL(caps, fn, req)                                                \
  call_with(caps, sizeof(caps) / sizeof(caps[0]), fn, req, NULL, 0)

static const char *str(const json_t *o, const char *path) {
  const char *dot = strchr(path, '.');
  if (dot) {
    char head[64];
    snprintf(head, sizeof head, "%.*s", (int)(dot - path), path);
    return str(json_object_get(o, head), dot + 1);
  }
  const json_t *v = json_object_get(o, path);
  cr_assert(json_is_string(v), "no string %s", path);
  return json_string_value(v);
}

static void expect_audit(const char *needle) {
  cr_assert(strstr(audit, needle), "audit has no\n  %s\nbut:\n%s", needle,
            audit);
}

static void expect_error(json_t *j, const char *type, const char *message) {
  cr_assert_str_eq(str(j, "error.type"), type);
  cr_assert_str_eq(str(j, "error.message"), message);
}

/* ---- exec_command ---- */

Test(hostfn, a_granted_command_runs_and_its_output_comes_back) {
  static const char *const caps[] = {"exec:echo"};
  json_t *j = CALL(caps, "exec_command",
                   "{\"command\":\"echo\",\"args\":[\"hi\",\"there\"]}");
  cr_assert_str_eq(str(j, "stdout"), "hi there\n");
  cr_assert_str_eq(str(j, "stderr"), "");
  cr_assert_eq(json_integer_value(json_object_get(j, "exit_code")), 0);
  cr_assert_null(json_object_get(j, "error"));
  json_decref(j);
  expect_audit("\"call\":\"exec_command\",\"decision\":\"granted\","
               "\"command\":\"echo\",\"args\":[\"hi\",\"there\"],"
               "\"program\":\"/usr/bin/echo\",\"capability\":\"exec:echo\"");
}

Test(hostfn, a_command_not_granted_is_an_error_object_and_an_audit_line) {
  static const char *const caps[] = {"exec:true"};
  json_t *j = CALL(caps, "exec_command", "{\"command\":\"echo\"}");
  json_decref(j);
  cr_assert_str_eq(last_out, "{\"stdout\":\"\",\"stderr\":\"\",\"exit_code\":0,"
                             "\"error\":{\"message\":\"echo is not granted "
                             "(exec:echo)\",\"type\":\"capability\","
                             "\"code\":\"\"}}");
  expect_audit("{\"call\":\"exec_command\",\"decision\":\"denied\","
               "\"command\":\"echo\",\"args\":[],\"missing\":\"exec:echo\","
               "\"reason\":\"echo is not granted (exec:echo)\"}\n");
}

Test(hostfn, a_name_grant_does_not_cover_a_path_elsewhere) {
  static const char *const caps[] = {"exec:echo"};
  json_t *j = CALL(caps, "exec_command", "{\"command\":\"/bin/true\"}");
  cr_assert_str_eq(str(j, "error.type"), "capability");
  json_decref(j);
}

Test(hostfn, a_program_that_does_not_exist_is_a_config_error) {
  static const char *const caps[] = {"exec:no-such-program-here"};
  json_t *j = CALL(caps, "exec_command",
                   "{\"command\":\"no-such-program-here\"}");
  expect_error(j, "config", "no-such-program-here: no such program");
  json_decref(j);
}

Test(hostfn, the_environment_holds_only_granted_variables) {
  static const char *const caps[] = {"exec:env", "env:GREETING"};
  json_t *j = CALL(caps, "exec_command",
                   "{\"command\":\"env\",\"env\":[\"GREETING=hello\"]}");
  cr_assert_str_eq(str(j, "stdout"), "GREETING=hello\n");
  json_decref(j);
  j = CALL(caps, "exec_command",
           "{\"command\":\"env\",\"env\":[\"LD_PRELOAD=/tmp/x.so\"]}");
  expect_error(j, "capability",
               "variable LD_PRELOAD is not granted (env:LD_PRELOAD)");
  json_decref(j);
}

Test(hostfn, a_flooding_program_is_cut_and_the_response_still_fits) {
  static const char *const caps[] = {"exec:head"};
  json_t *j = CALL(caps, "exec_command",
                   "{\"command\":\"head\",\"args\":[\"-c\",\"50000000\","
                   "\"/dev/zero\"]}");
  str(j, "stdout");
  size_t n = json_string_length(json_object_get(j, "stdout"));
  cr_assert(n > 0 && n < (512u << 10), "stdout of %zu bytes", n);
  json_decref(j);
}

/* ---- log_message ---- */

Test(hostfn, a_log_message_becomes_an_escaped_line_on_stderr) {
  static const char *const caps[] = {"clock"};
  char err[512];
  cr_assert_null(call_with(caps, 1, "log_message",
                           "{\"level\":\"warn\",\"message\":\"disk "
                           "\\u001b[31mfull\"}",
                           err, sizeof err));
  cr_assert_str_eq(err, "[warn] disk \\x1b[31mfull\n");
}

/* ---- servers: HTTP and an SMTP greeting, one thread each ---- */

typedef struct server {
  int fd;
  unsigned port;
  const char *smtp; /* the greeting, or NULL: HTTP */
  pthread_t thread;
} server;

/* HTTP: "/" answers hello, "/away" redirects to a name not granted. */
static void answer_http(int c, unsigned self) {
  char req[2048], resp[512];
  ssize_t n = read(c, req, sizeof req - 1);
  req[n > 0 ? n : 0] = '\0';
  if (strncmp(req, "GET /away ", 10) == 0)
    snprintf(resp, sizeof resp,
             "HTTP/1.1 302 Found\r\nLocation: http://localhost:%u/\r\n"
             "Content-Length: 0\r\nConnection: close\r\n\r\n", self);
  else
    snprintf(resp, sizeof resp,
             "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
             "Content-Length: 5\r\nConnection: close\r\n\r\nhello");
  if (write(c, resp, strlen(resp)) < 0)
    return;
}

static void *serve(void *ud) {
  server *s = ud;
  int c;
  while ((c = accept(s->fd, NULL, NULL)) >= 0) {
    if (s->smtp) {
      if (write(c, s->smtp, strlen(s->smtp)) < 0)
        break;
      char buf[256];
      while (read(c, buf, sizeof buf) > 0)
        ;
    } else {
      answer_http(c, s->port);
    }
    close(c);
  }
  return NULL;
}

static void server_start(server *s, const char *smtp) {
  s->smtp = smtp;
  s->fd = listen_local(&s->port);
  cr_assert_eq(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(server *s) {
  shutdown(s->fd, SHUT_RDWR);
  pthread_join(s->thread, NULL);
  close(s->fd);
}

/* ---- tcp_connect, dns_lookup ---- */

static char *req_tcp(const char *host, unsigned p, const char *extra) {
  static char buf[256];
  snprintf(buf, sizeof buf, "{\"host\":\"%s\",\"port\":\"%u\"%s}", host, p,
           extra);
  return buf;
}

Test(hostfn, a_granted_address_is_connected) {
  char cap[64];
  snprintf(cap, sizeof cap, "network:outbound:127.0.0.1:%u", port);
  const char *caps[] = {cap};
  json_t *j = CALL(caps, "tcp_connect", req_tcp("127.0.0.1", port, ""));
  cr_assert(json_is_true(json_object_get(j, "connected")), "%s",
            json_dumps(j, 0));
  json_decref(j);
  expect_audit("\"call\":\"tcp_connect\",\"decision\":\"granted\"");
}

Test(hostfn, a_port_outside_the_grant_is_refused_before_any_lookup) {
  char cap[64], want[160];
  snprintf(cap, sizeof cap, "network:outbound:127.0.0.1:%u", port + 1);
  const char *caps[] = {cap};
  json_t *j = CALL(caps, "tcp_connect", req_tcp("127.0.0.1", port, ""));
  json_decref(j);
  snprintf(want, sizeof want, "{\"connected\":false,\"error\":{\"message\":"
           "\"127.0.0.1:%u is not granted (network:outbound:127.0.0.1:%u)\","
           "\"type\":\"capability\",\"code\":\"\"}}", port, port);
  cr_assert_str_eq(last_out, want);
  snprintf(want, sizeof want, "{\"call\":\"tcp_connect\",\"decision\":"
           "\"denied\",\"host\":\"127.0.0.1\",\"port\":%u,\"missing\":"
           "\"network:outbound:127.0.0.1:%u\"}\n", port, port);
  expect_audit(want);
}

Test(hostfn, a_name_that_resolves_to_loopback_needs_an_address_grant) {
  char cap[64], why[160], want[400];
  snprintf(cap, sizeof cap, "network:outbound:localhost:%u", port);
  const char *caps[] = {cap};
  json_t *j = CALL(caps, "tcp_connect", req_tcp("localhost", port, ""));
  json_decref(j);
  snprintf(why, sizeof why, "localhost resolves to 127.0.0.1, a loopback "
           "address: grant it by address (network:outbound:127.0.0.1:%u)",
           port);
  snprintf(want, sizeof want, "{\"connected\":false,\"error\":{\"message\":"
           "\"%s\",\"type\":\"capability\",\"code\":\"\"}}", why);
  cr_assert_str_eq(last_out, want);
  snprintf(want, sizeof want, "{\"call\":\"tcp_connect\",\"decision\":"
           "\"denied\",\"host\":\"localhost\",\"address\":\"127.0.0.1\","
           "\"port\":%u,\"missing\":\"network:outbound:127.0.0.1:%u\","
           "\"reason\":\"%s\"}\n", port, port, why);
  expect_audit(want);
}

Test(hostfn, a_lookup_of_a_name_in_etc_hosts_needs_port_53) {
  static const char *const caps[] = {"network:outbound:53"};
  json_t *j = CALL(caps, "dns_lookup",
                   "{\"hostname\":\"localhost\",\"type\":\"A\"}");
  const json_t *recs = json_object_get(j, "records");
  cr_assert(json_is_array(recs) && json_array_size(recs) >= 1, "%s",
            json_dumps(j, 0));
  cr_assert_str_eq(json_string_value(json_array_get(recs, 0)), "127.0.0.1");
  json_decref(j);
  static const char *const none[] = {"clock"};
  j = CALL(none, "dns_lookup", "{\"hostname\":\"localhost\",\"type\":\"A\"}");
  cr_assert_str_eq(str(j, "error.type"), "capability");
  json_decref(j);
}

/* A TLS handshake with a server that never answers waits for the call's
** timeout; meanwhile another run starts and ends. */
Test(hostfn, a_run_waiting_on_a_slow_server_holds_up_no_other) {
  char cap[64], in1[512], in2[512];
  snprintf(cap, sizeof cap, "network:outbound:127.0.0.1:%u", port);
  const char *const caps[] = {cap, "exec:true"};
  plugsup_policy *p = grants(caps, 2);
  plugsup_run_options slow =
      call_opts("tcp_connect",
                req_tcp("127.0.0.1", port, ",\"tls\":true,\"timeout_ms\":3000"),
                in1, sizeof in1);
  plugsup_run_options quick =
      call_opts("exec_command", "{\"command\":\"true\"}", in2, sizeof in2);
  plugsup_job *a, *b, *first = NULL;
  plugsup_result *r;
  slow.policy = quick.policy = p;
  cr_assert_eq(plugsup_submit(sup, plg, &slow, &a), PLUGSUP_OK);
  cr_assert_eq(plugsup_submit(sup, plg, &quick, &b), PLUGSUP_OK);
  cr_assert_eq(plugsup_wait_any(sup, -1, &first), PLUGSUP_OK);
  cr_assert_eq(first, b, "the quick run must end first");
  cr_assert_eq(plugsup_wait(sup, b, &r), PLUGSUP_OK);
  plugsup_result_free(r);
  cr_assert_eq(plugsup_wait(sup, a, &r), PLUGSUP_OK);
  cr_assert(strstr(r->out.data, "\"is_timeout\":true"), "%s", r->out.data);
  plugsup_result_free(r);
  plugsup_policy_free(p);
}

/* How many children of this process run the program comm. */
static int children_named(const char *comm) {
  DIR *d = opendir("/proc");
  struct dirent *de;
  int n = 0;
  cr_assert_not_null(d);
  while ((de = readdir(d))) {
    char path[300], name[64];
    int ppid;
    snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
    FILE *f = fopen(path, "r");
    if (!f)
      continue;
    if (fscanf(f, "%*d (%63[^)]) %*c %d", name, &ppid) == 2 &&
        ppid == getpid() && strcmp(name, comm) == 0)
      n++;
    fclose(f);
  }
  closedir(d);
  return n;
}

/* The run's deadline ends a command that would outlive it. */
Test(hostfn, a_command_that_outlives_its_run_is_killed) {
  static const char *const caps[] = {"exec:sleep"};
  char in[256];
  plugsup_run_options o =
      call_opts("exec_command", "{\"command\":\"sleep\",\"args\":[\"30\"]}",
                in, sizeof in);
  plugsup_result *r = NULL;
  o.policy = grants(caps, 1);
  o.limits.wall_ms = 500;
  cr_assert_eq(plugsup_run(sup, plg, &o, &r), PLUGSUP_OK);
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_TIMEOUT, "%s",
               plugsup_outcome_name(r->outcome));
  plugsup_result_free(r);
  plugsup_policy_free((plugsup_policy *)o.policy);
  cr_assert_eq(children_named("sleep"), 0);
}

/* ---- smtp_connect, http_request ---- */

Test(hostfn, an_smtp_greeting_comes_back_as_the_banner) {
  server smtp;
  char cap[64], req[128];
  server_start(&smtp, "220 mail.test ESMTP ready\r\n");
  snprintf(cap, sizeof cap, "network:outbound:127.0.0.1:%u", smtp.port);
  snprintf(req, sizeof req, "{\"host\":\"127.0.0.1\",\"port\":\"%u\"}",
           smtp.port);
  const char *caps[] = {cap};
  json_t *j = CALL(caps, "smtp_connect", req);
  cr_assert(json_is_true(json_object_get(j, "connected")), "%s",
            json_dumps(j, 0));
  cr_assert(strstr(str(j, "banner"), "mail.test ESMTP ready"), "%s",
            str(j, "banner"));
  json_decref(j);
  server_stop(&smtp);
}

Test(hostfn, an_http_request_is_made_by_the_helper_and_audited) {
  server web;
  char cap[64], req[160], want[160];
  server_start(&web, NULL);
  snprintf(cap, sizeof cap, "network:outbound:127.0.0.1:%u", web.port);
  snprintf(req, sizeof req, "{\"method\":\"GET\",\"url\":"
           "\"http://127.0.0.1:%u/\"}", web.port);
  const char *caps[] = {cap};
  json_t *j = CALL(caps, "http_request", req);
  cr_assert_eq(json_integer_value(json_object_get(j, "status_code")), 200,
               "%s", json_dumps(j, 0));
  cr_assert_str_eq(str(j, "body"), "aGVsbG8=");
  cr_assert_str_eq(json_string_value(json_array_get(
                       json_object_get(json_object_get(j, "headers"),
                                       "Content-Type"), 0)),
                   "text/plain");
  json_decref(j);
  snprintf(want, sizeof want, "\"call\":\"http_request\",\"decision\":"
           "\"granted\",\"host\":\"127.0.0.1\",\"address\":\"127.0.0.1\","
           "\"port\":%u", web.port);
  expect_audit(want);
  server_stop(&web);
}

Test(hostfn, an_http_redirect_to_a_name_not_granted_is_refused) {
  server web;
  char cap[64], req[160];
  server_start(&web, NULL);
  snprintf(cap, sizeof cap, "network:outbound:127.0.0.1:%u", web.port);
  snprintf(req, sizeof req, "{\"url\":\"http://127.0.0.1:%u/away\"}",
           web.port);
  const char *caps[] = {cap};
  json_t *j = CALL(caps, "http_request", req);
  cr_assert_str_eq(str(j, "error.type"), "capability", "%s",
                   json_dumps(j, 0));
  json_decref(j);
  expect_audit("\"call\":\"http_request\",\"decision\":\"denied\","
               "\"host\":\"localhost\"");
  server_stop(&web);
}

Test(hostfn, https_only_refuses_plain_http) {
  server web;
  char cap[64], req[160];
  server_start(&web, NULL);
  snprintf(cap, sizeof cap, "network:outbound:127.0.0.1:%u", web.port);
  snprintf(req, sizeof req, "{\"url\":\"http://127.0.0.1:%u/\"}", web.port);
  const char *caps[] = {cap, "network:https-only"};
  json_t *j = CALL(caps, "http_request", req);
  cr_assert_str_eq(str(j, "error.type"), "capability", "%s",
                   json_dumps(j, 0));
  json_decref(j);
  server_stop(&web);
}

Test(hostfn, plugsups_own_http_request_fills_a_buffer_and_rereads) {
  server web;
  char cap[64], req[160];
  server_start(&web, NULL);
  snprintf(cap, sizeof cap, "network:outbound:127.0.0.1:%u", web.port);
  snprintf(req, sizeof req, "{\"url\":\"http://127.0.0.1:%u/\"}", web.port);
  const char *caps[] = {cap};
  json_t *j = CALL(caps, "plugsup_http", req);
  cr_assert_eq(json_integer_value(json_object_get(j, "status_code")), 200,
               "%s", json_dumps(j, 0));
  cr_assert_str_eq(str(j, "body"), "aGVsbG8=");
  json_decref(j);
  server_stop(&web);
}

/* limit:connections counts a plugin's open connections over all its
** runs: the second run waits on nothing, it is refused. */
Test(hostfn, a_connection_over_the_plugins_limit_is_refused) {
  char cap[64], in1[512], in2[512];
  snprintf(cap, sizeof cap, "network:outbound:127.0.0.1:%u", port);
  const char *const caps[] = {cap, "limit:connections:1"};
  plugsup_policy *p = grants(caps, 2);
  const char *slow = req_tcp("127.0.0.1", port,
                             ",\"tls\":true,\"timeout_ms\":3000");
  plugsup_run_options a_opts = call_opts("tcp_connect", slow, in1, sizeof in1);
  plugsup_run_options b_opts = call_opts("tcp_connect", slow, in2, sizeof in2);
  plugsup_job *a, *b, *first = NULL;
  plugsup_result *r;
  a_opts.policy = b_opts.policy = p;
  cr_assert_eq(plugsup_submit(sup, plg, &a_opts, &a), PLUGSUP_OK);
  cr_assert_eq(plugsup_submit(sup, plg, &b_opts, &b), PLUGSUP_OK);
  cr_assert_eq(plugsup_wait_any(sup, -1, &first), PLUGSUP_OK);
  plugsup_job *other = first == a ? b : a;
  cr_assert_eq(plugsup_wait(sup, first, &r), PLUGSUP_OK);
  cr_assert(strstr(r->out.data, "\"code\":\"ECONNLIMIT\""), "%s",
            r->out.data);
  cr_assert(strstr(r->out.data, "limit:connections:1 reached: every "
                                "connection the plugin may hold is open"),
            "%s", r->out.data);
  plugsup_result_free(r);
  cr_assert_eq(plugsup_wait(sup, other, &r), PLUGSUP_OK);
  cr_assert(strstr(r->out.data, "\"is_timeout\":true"), "%s", r->out.data);
  plugsup_result_free(r);
  plugsup_policy_free(p);
}

Test(hostfn, a_host_outside_the_grant_is_refused) {
  char cap[64], want[200];
  snprintf(cap, sizeof cap, "network:outbound:10.0.0.1:%u", port);
  const char *caps[] = {cap};
  json_t *j = CALL(caps, "tcp_connect", req_tcp("127.0.0.1", port, ""));
  snprintf(want, sizeof want, "127.0.0.1:%u is not granted "
           "(network:outbound:127.0.0.1:%u)", port, port);
  expect_error(j, "capability", want);
  json_decref(j);
  snprintf(want, sizeof want, "\"call\":\"tcp_connect\",\"decision\":"
           "\"denied\",\"host\":\"127.0.0.1\",\"port\":%u,\"missing\":"
           "\"network:outbound:127.0.0.1:%u\"", port, port);
  expect_audit(want);
}

/* Without a timeout of its own, a call waits at most for the run's
** deadline, which ends the run as any deadline does. */
Test(hostfn, a_slow_server_meets_the_runs_deadline) {
  char cap[64], in[512];
  snprintf(cap, sizeof cap, "network:outbound:127.0.0.1:%u", port);
  const char *caps[] = {cap};
  plugsup_run_options o = call_opts(
      "tcp_connect", req_tcp("127.0.0.1", port, ",\"tls\":true"), in,
      sizeof in);
  plugsup_result *r = NULL;
  o.policy = grants(caps, 1);
  o.limits.wall_ms = 400;
  cr_assert_eq(plugsup_run(sup, plg, &o, &r), PLUGSUP_OK);
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_TIMEOUT, "%s",
               plugsup_outcome_name(r->outcome));
  plugsup_result_free(r);
  plugsup_policy_free((plugsup_policy *)o.policy);
}

/* A nameserver of the plugin's choice is where the query goes: it is what
** must be granted, by address, whatever names the policy allows. */
Test(hostfn, a_lookup_through_a_nameserver_not_granted_is_refused) {
  static const char *const caps[] = {"network:outbound:53"};
  json_t *j = CALL(caps, "dns_lookup",
                   "{\"hostname\":\"example.com\",\"type\":\"A\","
                   "\"nameserver\":\"127.0.0.1:6379\"}");
  expect_error(j, "capability", "127.0.0.1:6379 is not granted "
                                "(network:outbound:127.0.0.1:6379)");
  json_decref(j);
}

/* ---- the calling convention, broken by the plugin ---- */

static plugsup_result *invoke_fixture(const char *file) {
  static const char *const caps[] = {"exec:true"};
  plugsup_plugin *p = NULL;
  plugsup_result *r = NULL;
  plugsup_run_options o = run_opts(PLUGSUP_MODE_INVOKE);
  cr_assert_eq(plugsup_plugin_load_file(file, &p), PLUGSUP_OK, "%s",
               plugsup_errmsg());
  o.export_name = "call";
  o.policy = grants(caps, 1);
  cr_assert_eq(plugsup_run(sup, p, &o, &r), PLUGSUP_OK);
  plugsup_policy_free((plugsup_policy *)o.policy);
  plugsup_plugin_free(p);
  return r;
}

static void expect_trap(plugsup_result *r, const char *message) {
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_TRAP, "%s: %s",
               plugsup_outcome_name(r->outcome), r->message);
  cr_assert(strstr(r->message, message), "%s", r->message);
  plugsup_result_free(r);
}

Test(hostfn, a_plugin_without_allocate_traps_with_the_reason) {
  expect_trap(invoke_fixture(E2E_DIR "/fixtures/hostfn_allocate.wasm"),
              "reglet_host.exec_command: the plugin exports no allocate "
              "for the response");
}

Test(hostfn, an_allocate_outside_memory_traps) {
  expect_trap(invoke_fixture(E2E_DIR
                             "/fixtures/hostfn_allocate_outside.wasm"),
              "reglet_host.exec_command: the response's place is outside "
              "memory");
}

Test(hostfn, a_request_outside_memory_gets_an_error_object) {
  static const char *const caps[] = {"exec:true"};
  json_t *j = CALL(caps, "outside", "");
  expect_error(j, "validation", "the request lies outside the plugin's "
                                "memory");
  json_decref(j);
}

Test(hostfn, a_process_plugin_may_import_plugsups_http) {
  plugsup_plugin *p = NULL;
  plugsup_result *r = NULL;
  plugsup_run_options o = run_opts(PLUGSUP_MODE_CALL);
  o.abi = PLUGSUP_ABI_PROCESS;
  o.input = "abc";
  o.input_len = 3;
  cr_assert_eq(plugsup_plugin_load_file(E2E_DIR "/fixtures/hostfn_process.wasm",
                                        &p), PLUGSUP_OK);
  cr_assert_eq(plugsup_run(sup, p, &o, &r), PLUGSUP_OK);
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OK, "%s: %s",
               plugsup_outcome_name(r->outcome), r->message);
  cr_assert_eq(r->abi_output.len, 3);
  cr_assert_eq(memcmp(r->abi_output.data, "abc", 3), 0);
  plugsup_result_free(r);
  plugsup_plugin_free(p);
}

/* The observe ABI: a plugin's observe() calls reglet_host and reports. */
Test(hostfn, an_observe_plugin_runs_a_command_from_observe) {
  static const char *const caps[] = {"exec:echo"};
  const char *cfg = "{\"command\":\"echo\",\"args\":[\"hi\"]}";
  plugsup_plugin *p = NULL;
  plugsup_result *r = NULL;
  plugsup_run_options o = run_opts(PLUGSUP_MODE_CALL);
  o.abi = PLUGSUP_ABI_OBSERVE;
  o.input = cfg;
  o.input_len = strlen(cfg);
  o.policy = grants(caps, 1);
  o.on_audit = on_audit;
  cr_assert_eq(plugsup_plugin_load_file(E2E_DIR "/fixtures/hostfn_observe.wasm",
                                        &p), PLUGSUP_OK);
  cr_assert_eq(plugsup_run(sup, p, &o, &r), PLUGSUP_OK);
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OK, "%s: %s",
               plugsup_outcome_name(r->outcome), r->message);
  cr_assert(r->abi_output.len > 0);
  cr_assert(strstr((const char *)r->abi_output.data,
                   "{\"status\":true,\"data\":{\"stdout\":\"hi\\n\","
                   "\"stderr\":\"\",\"exit_code\":0"),
            "%.*s", (int)r->abi_output.len,
            (const char *)r->abi_output.data);
  expect_audit("\"call\":\"exec_command\",\"decision\":\"granted\"");
  plugsup_result_free(r);
  plugsup_policy_free((plugsup_policy *)o.policy);
  plugsup_plugin_free(p);
}

/* ---- refusals that come before any grant is asked ---- */

Test(hostfn, a_canceled_context_is_answered_at_once) {
  static const char *const caps[] = {"clock"};
  json_decref(CALL(caps, "tcp_connect",
                   "{\"context\":{\"Canceled\":true},\"host\":\"h\","
                   "\"port\":\"1\"}"));
  cr_assert_str_eq(last_out, "{\"connected\":false,\"error\":{\"message\":"
                             "\"context canceled\",\"type\":\"internal\","
                             "\"code\":\"\"}}");
}

Test(hostfn, a_deadline_already_past_is_a_timeout_at_once) {
  static const char *const caps[] = {"exec:true"};
  json_decref(CALL(caps, "exec_command",
                   "{\"context\":{\"deadline\":\"2000-01-01T00:00:00Z\"},"
                   "\"command\":\"true\"}"));
  cr_assert_str_eq(last_out, "{\"stdout\":\"\",\"stderr\":\"\",\"exit_code\":0,"
                             "\"error\":{\"message\":\"context deadline "
                             "exceeded\",\"type\":\"timeout\",\"code\":"
                             "\"ETIMEDOUT\",\"is_timeout\":true}}");
}

/* Past limit:host_calls, the refusal is a response like any other. */
Test(hostfn, the_host_call_limit_is_an_error_object) {
  static const char *const caps[] = {"exec:true", "limit:host_calls:1"};
  json_decref(CALL(caps, "twice", "{\"command\":\"true\"}"));
  cr_assert_str_eq(last_out, "{\"stdout\":\"\",\"stderr\":\"\",\"exit_code\":0,"
                             "\"error\":{\"message\":\"limit:host_calls:1 "
                             "reached\",\"type\":\"capability\",\"code\":"
                             "\"\"}}");
  expect_audit("\"call\":\"exec_command\",\"decision\":\"denied\","
               "\"reason\":\"limit host_calls 1\"");
}

Test(hostfn, http_response_before_any_request_is_empty) {
  char in[64];
  plugsup_run_options o = call_opts("reread", "", in, sizeof in);
  plugsup_result *r = NULL;
  cr_assert_eq(plugsup_run(sup, plg, &o, &r), PLUGSUP_OK);
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OK, "%s", r->message);
  cr_assert_str_eq(r->out.data, "0");
  plugsup_result_free(r);
}
