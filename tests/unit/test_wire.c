/*
** test_wire.c: reglet_host's JSON (supervisor/wire.c). Requests are the
** text reglet's Go SDK marshals; responses are compared byte for byte
** with what reglet's host marshals with Go's encoding/json for the same
** values (struct order, omitempty, <>& as \u003c.., invalid UTF-8 as
** \ufffd, \b and \f as since Go 1.22).
*/
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

/* 2026-11-26T12:00:00Z */
#define NOW_MS 1795694400000LL

static wire_request req;
static net_error err;

static void parse_ok(int kind, const char *json) {
  int rc = wire_parse(kind, (const uint8_t *)json, strlen(json), NOW_MS, &req,
                      &err);
  cr_assert_eq(rc, 0, "%s: %s", json, err.message);
  cr_assert_str_empty(err.type);
}

static void refused(int kind, const char *json, const char *type,
                    const char *message) {
  int rc = wire_parse(kind, (const uint8_t *)json, strlen(json), NOW_MS, &req,
                      &err);
  cr_assert_eq(rc, -1, "%s was accepted", json);
  cr_assert_str_eq(err.type, type, "%s", json);
  cr_assert_str_eq(err.message, message, "%s", json);
  cr_assert_str_empty(err.code);
  cr_assert_null(req.doc_);
}

static void fini(void) { wire_request_free(&req); }

TestSuite(wire, .fini = fini);

Test(wire, the_function_table) {
  cr_assert_eq(wire_kind_of("dns_lookup"), NET_DNS);
  cr_assert_eq(wire_kind_of("tcp_connect"), NET_TCP);
  cr_assert_eq(wire_kind_of("smtp_connect"), NET_SMTP);
  cr_assert_eq(wire_kind_of("exec_command"), NET_EXEC);
  cr_assert_eq(wire_kind_of("log_message"), WIRE_LOG);
  cr_assert_eq(wire_kind_of("http_request"), NET_HTTP);
  cr_assert_eq(wire_kind_of("fd_write"), -1);
  cr_assert_str_eq(wire_function_name(WIRE_LOG), "log_message");
  cr_assert_null(wire_function_name(WIRE_KIND_COUNT));
  cr_assert_null(wire_function_name(-1));
}

/* ---- requests as the SDK sends them ---- */

Test(wire, dns_request_of_the_sdk) {
  parse_ok(NET_DNS, "{\"context\":{\"deadline\":\"2026-11-26T12:00:05.5Z\","
                    "\"timeout_ms\":5499,\"request_id\":\"req-1\"},"
                    "\"hostname\":\"example.com\",\"type\":\"MX\","
                    "\"nameserver\":\"8.8.8.8:53\"}");
  cr_assert_eq(req.kind, NET_DNS);
  cr_assert_str_eq(req.dns.hostname, "example.com");
  cr_assert_str_eq(req.dns.type, "MX");
  cr_assert_str_eq(req.dns.nameserver, "8.8.8.8:53");
  cr_assert_str_eq(req.request_id, "req-1");
  cr_assert_eq(req.timeout_ms, 5499, "timeout_ms counts first: %lld",
               (long long)req.timeout_ms);
  cr_assert(!req.expired && !req.canceled);
}

Test(wire, dns_request_without_context_or_nameserver) {
  parse_ok(NET_DNS, "{\"context\":{},\"hostname\":\"example.com\","
                    "\"type\":\"AAAA\"}");
  cr_assert_null(req.dns.nameserver);
  cr_assert_eq(req.timeout_ms, 0);
  cr_assert_str_eq(req.request_id, "");
  wire_request_free(&req);
  parse_ok(NET_DNS, "{\"hostname\":\"h\",\"type\":\"NS\","
                    "\"nameserver\":\"[2001:4860:4860::8888]:53\"}");
  cr_assert_str_eq(req.dns.nameserver, "[2001:4860:4860::8888]:53");
}

Test(wire, tcp_request_of_the_sdk) {
  parse_ok(NET_TCP, "{\"context\":{\"timeout_ms\":3000},\"host\":"
                    "\"mail.example.com\",\"port\":\"443\",\"timeout_ms\":1000,"
                    "\"tls\":true}");
  cr_assert_eq(req.kind, NET_TCP);
  cr_assert_str_eq(req.tcp.host, "mail.example.com");
  cr_assert_eq(req.tcp.port, 443);
  cr_assert(req.tcp.tls && !req.tcp.starttls);
  cr_assert_eq(req.timeout_ms, 1000, "the shorter bound counts");
}

Test(wire, tcp_request_ignores_starttls) {
  parse_ok(NET_TCP, "{\"context\":{},\"host\":\"h\",\"port\":\"00080\","
                    "\"tls\":false,\"starttls\":true}");
  cr_assert_eq(req.tcp.port, 80);
  cr_assert(!req.tcp.starttls, "TCPRequestWire has no starttls");
}

Test(wire, smtp_request_of_the_sdk) {
  parse_ok(NET_SMTP, "{\"context\":{\"deadline\":\"2026-11-26T12:00:30Z\","
                     "\"timeout_ms\":29999},\"host\":\"mx.example.com\","
                     "\"port\":\"25\",\"timeout_ms\":60000,\"tls\":false,"
                     "\"starttls\":true}");
  cr_assert_eq(req.tcp.port, 25);
  cr_assert(!req.tcp.tls && req.tcp.starttls);
  cr_assert_eq(req.timeout_ms, 29999);
  wire_request_free(&req);
  parse_ok(NET_SMTP, "{\"context\":{},\"host\":\"h\",\"port\":\"465\","
                     "\"tls\":true,\"starttls\":true}");
  cr_assert(req.tcp.tls && !req.tcp.starttls, "TLS from the start wins");
}

Test(wire, exec_request_of_the_sdk) {
  parse_ok(NET_EXEC,
           "{\"context\":{\"Canceled\":true},\"command\":\"git\","
           "\"args\":[\"status\",\"--short\"],\"dir\":\"/srv/repo\","
           "\"env\":[\"A=1\",\"PATH=/bin\",\"\",\"A=2\",\"NOEQ\",\"NOEQ\"]}");
  cr_assert(req.canceled);
  cr_assert_str_eq(req.command, "git");
  cr_assert_null(req.exec.path, "the broker resolves the command");
  cr_assert_eq(req.exec.argc, 3);
  cr_assert_str_eq(req.exec.argv[0], "git");
  cr_assert_str_eq(req.exec.argv[1], "status");
  cr_assert_str_eq(req.exec.argv[2], "--short");
  cr_assert_null(req.exec.argv[3]);
  cr_assert_str_eq(req.exec.dir, "/srv/repo");
  /* As Go's os/exec: the last A, no empty entry, entries without '='
  ** kept as they are. */
  cr_assert_eq(req.exec.nenv, 4);
  cr_assert_str_eq(req.exec.env[0], "PATH=/bin");
  cr_assert_str_eq(req.exec.env[1], "A=2");
  cr_assert_str_eq(req.exec.env[2], "NOEQ");
  cr_assert_str_eq(req.exec.env[3], "NOEQ");
  cr_assert_null(req.exec.env[4]);
}

Test(wire, exec_request_with_nil_slices) {
  parse_ok(NET_EXEC, "{\"context\":{},\"command\":\"/bin/true\","
                     "\"args\":null}");
  cr_assert_eq(req.exec.argc, 1);
  cr_assert_null(req.exec.argv[1]);
  cr_assert_eq(req.exec.nenv, 0);
  cr_assert_null(req.exec.env[0]);
  cr_assert_null(req.exec.dir);
}

Test(wire, exec_env_names_as_go_reads_them) {
  parse_ok(NET_EXEC, "{\"command\":\"c\",\"env\":[\"=C:=x\",\"=C:=y\","
                     "\"=\",\"=z\",\"B=1=2\",\"B=3\"]}");
  cr_assert_eq(req.exec.nenv, 3);
  cr_assert_str_eq(req.exec.env[0], "=C:=y");
  cr_assert_str_eq(req.exec.env[1], "=z", "'=' and '=z' both name ''");
  cr_assert_str_eq(req.exec.env[2], "B=3");
}

Test(wire, http_request_of_the_sdk) {
  parse_ok(NET_HTTP, "{\"context\":{\"timeout_ms\":5000},\"method\":\"POST\","
                     "\"url\":\"https://api.example.com/v1\",\"headers\":"
                     "{\"Accept\":[\"a/b\",\"c/d\"],\"X-K\":[\"v\"]},"
                     "\"body\":\"aGk=\"}");
  cr_assert_str_eq(req.http.method, "POST");
  cr_assert_str_eq(req.http.url, "https://api.example.com/v1");
  cr_assert_eq(req.http.nheaders, 3);
  cr_assert_str_eq(req.http.headers[1].name, "Accept");
  cr_assert_str_eq(req.http.headers[1].value, "c/d");
  cr_assert_eq(req.http.body_len, 2);
  cr_assert_eq(memcmp(req.http.body, "hi", 2), 0);
  cr_assert_eq(req.timeout_ms, 5000);
  wire_request_free(&req);
  parse_ok(NET_HTTP, "{\"url\":\"http://x/\"}");
  cr_assert_str_eq(req.http.method, "GET", "Go's default method");
  cr_assert_null(req.http.body);
}

Test(wire, log_message_of_the_sdk) {
  parse_ok(WIRE_LOG,
           "{\"context\":{\"request_id\":\"r\"},\"level\":\"WARN+2\","
           "\"message\":\"disk <90%>\",\"timestamp\":"
           "\"2026-11-26T12:00:00.123456789+01:00\",\"attrs\":[{\"key\":"
           "\"n\",\"type\":\"int64\",\"value\":\"42\"},null]}");
  cr_assert_str_eq(req.log.level, "WARN+2");
  cr_assert_str_eq(req.log.message, "disk <90%>");
  cr_assert_eq(req.log.timestamp_ms, 1795690800123LL);
  cr_assert_eq(req.log.nattrs, 2);
  cr_assert_str_eq(req.log.attrs[0].key, "n");
  cr_assert_str_eq(req.log.attrs[0].type, "int64");
  cr_assert_str_eq(req.log.attrs[0].value, "42");
  cr_assert_str_eq(req.log.attrs[1].key, "", "null is Go's zero value");
  cr_assert_str_eq(req.request_id, "r");
}

Test(wire, log_timestamps) {
  parse_ok(WIRE_LOG, "{\"timestamp\":\"0001-01-01T00:00:00Z\"}");
  cr_assert_eq(req.log.timestamp_ms, INT64_MIN, "Go's zero time");
  wire_request_free(&req);
  parse_ok(WIRE_LOG, "{\"timestamp\":\"1969-12-31T23:59:59.9991Z\"}");
  cr_assert_eq(req.log.timestamp_ms, -1, "floored: %lld",
               (long long)req.log.timestamp_ms);
  wire_request_free(&req);
  parse_ok(WIRE_LOG, "{\"timestamp\":\"2024-02-29T00:00:00.1234567891234Z\"}");
  cr_assert_eq(req.log.timestamp_ms, 1709164800123LL);
}

/* ---- what Go's decoder lets through ---- */

Test(wire, field_names_in_any_case) {
  parse_ok(NET_DNS, "{\"HOSTNAME\":\"a.example\",\"Type\":\"A\","
                    "\"CONTEXT\":{\"Request_ID\":\"x\",\"canceled\":true}}");
  cr_assert_str_eq(req.dns.hostname, "a.example");
  cr_assert_str_eq(req.request_id, "x");
  cr_assert(req.canceled);
  wire_request_free(&req);
  /* U+212A KELVIN SIGN folds to k, U+017F LONG S to s. */
  parse_ok(WIRE_LOG, "{\"attrs\":[{\"\xe2\x84\xaa" "ey\":\"k\"}],"
                     "\"me\xc5\xbf\xc5\xbf" "age\":\"m\"}");
  cr_assert_str_eq(req.log.attrs[0].key, "k");
  cr_assert_str_eq(req.log.message, "m");
}

Test(wire, the_last_of_names_that_differ_in_case_wins) {
  parse_ok(NET_TCP, "{\"host\":\"a\",\"HOST\":\"b\",\"Host\":null,"
                    "\"port\":\"1\"}");
  cr_assert_str_eq(req.tcp.host, "b", "null leaves a Go field as it was");
}

Test(wire, unknown_fields_and_nulls_are_ignored) {
  parse_ok(NET_DNS, "{\"hostname\":\"x\",\"type\":\"TXT\",\"nameserver\":null,"
                    "\"context\":null,\"extra\":{\"deep\":[1,2.5,\"\"]}}");
  cr_assert_null(req.dns.nameserver);
}

Test(wire, invalid_utf8_reads_as_u_fffd) {
  parse_ok(NET_DNS, "{\"hostname\":\"a\xff" "b\xe2\x82\",\"type\":\"A\"}");
  cr_assert_str_eq(req.dns.hostname,
                   "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd");
}

Test(wire, a_top_level_null_sets_no_field) {
  refused(NET_DNS, "null", "config", "hostname cannot be empty");
}

Test(wire, timeouts_and_deadlines) {
  /* The plugin's clock may not be the host's: its timeout_ms counts. */
  parse_ok(NET_EXEC, "{\"context\":{\"deadline\":\"2026-11-26T11:59:59Z\","
                     "\"timeout_ms\":900},\"command\":\"c\"}");
  cr_assert(!req.expired);
  cr_assert_eq(req.timeout_ms, 900);
  wire_request_free(&req);
  parse_ok(NET_EXEC, "{\"context\":{\"deadline\":\"2026-11-26T11:59:59Z\"},"
                     "\"command\":\"c\"}");
  cr_assert(req.expired, "a deadline alone is read on the host's clock");
  cr_assert_eq(req.timeout_ms, 0);
  wire_request_free(&req);
  parse_ok(NET_EXEC, "{\"context\":{\"deadline\":\"0001-01-01T00:00:00Z\","
                     "\"timeout_ms\":700},\"command\":\"c\"}");
  cr_assert(!req.expired);
  cr_assert_eq(req.timeout_ms, 700, "the zero time is no deadline");
  wire_request_free(&req);
  parse_ok(NET_TCP, "{\"context\":{\"timeout_ms\":-5},\"host\":\"h\","
                    "\"port\":\"1\",\"timeout_ms\":-1}");
  cr_assert_eq(req.timeout_ms, 0);
  wire_request_free(&req);
  /* 12:00:00.0001 is still ahead: rounded up, never read as passed. */
  parse_ok(NET_EXEC, "{\"context\":{\"deadline\":"
                     "\"2026-11-26T12:30:00.0001+00:30\"},\"command\":\"c\"}");
  cr_assert(!req.expired);
  cr_assert_eq(req.timeout_ms, 1);
}

Test(wire, rfc3339_as_go_reads_it) {
  static const char *const good[] = {
      "2024-02-29T00:00:00Z", "0000-01-01T00:00:00Z",
      "9999-12-31T23:59:59.999999999-23:59", "2026-11-26T12:00:00.5+00:00"};
  static const char *const bad[] = {
      "2026-02-29T00:00:00Z", "2026-11-26T24:00:00Z",
      "2026-11-26T12:00:60Z", "2026-11-26 12:00:00Z",
      "2026-11-26T12:00:00+24:00", "2026-11-26T12:00:00+01:60",
      "2026-11-26T12:00:00,5Z", "2026-11-26T12:00:00",
      "2026-11-26T12:00:00z", "2026-11-26t12:00:00Z",
      "2026-11-26T12:00:00.Z", "2026-11-26T2:00:00Z",
      "2026-13-01T00:00:00Z", "2026-11-26T12:00:00+0100",
      "+2026-11-26T12:00:00Z", "2026-11-26T12:00:00Z ", ""};
  char json[128], msg[256];
  for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
    snprintf(json, sizeof json, "{\"timestamp\":\"%s\"}", good[i]);
    parse_ok(WIRE_LOG, json);
    wire_request_free(&req);
  }
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    snprintf(json, sizeof json, "{\"timestamp\":\"%s\"}", bad[i]);
    snprintf(msg, sizeof msg, "'timestamp' is not an RFC 3339 time: '%s'",
             bad[i]);
    refused(WIRE_LOG, json, "validation", msg);
  }
}

/* ---- refusals ---- */

Test(wire, refused_texts) {
  refused(NET_DNS, "[1]", "validation", "request is not a JSON object");
  refused(NET_DNS, "\"x\"", "validation", "request is not a JSON object");
  refused(NET_DNS, "{\"hostname\":5,\"type\":\"A\"}", "validation",
          "'hostname' must be a string");
  refused(NET_TCP, "{\"host\":\"h\",\"port\":25}", "validation",
          "'port' must be a string");
  refused(NET_TCP, "{\"host\":\"h\",\"port\":\"1\",\"tls\":1}", "validation",
          "'tls' must be true or false");
  refused(NET_TCP, "{\"host\":\"h\",\"port\":\"1\",\"timeout_ms\":\"5\"}",
          "validation", "'timeout_ms' must be an integer");
  refused(NET_DNS, "{\"context\":{\"timeout_ms\":1.5}}", "validation",
          "'context.timeout_ms' must be an integer");
  refused(NET_DNS, "{\"context\":{\"timeout_ms\":1e3}}", "validation",
          "'context.timeout_ms' must be an integer");
  refused(NET_DNS, "{\"context\":{\"Canceled\":\"yes\"}}", "validation",
          "'context.Canceled' must be true or false");
  refused(NET_DNS, "{\"context\":[]}", "validation",
          "'context' must be an object");
  refused(NET_DNS, "{\"context\":{\"deadline\":\"tomorrow\"}}", "validation",
          "'context.deadline' is not an RFC 3339 time: 'tomorrow'");
  refused(NET_DNS, "{\"context\":{\"deadline\":5}}", "validation",
          "'context.deadline' must be a string");
  refused(NET_DNS, "{\"hostname\":\"a\\u0000b\",\"type\":\"A\"}",
          "validation", "'hostname' holds a NUL byte");
  refused(NET_EXEC, "{\"command\":\"c\",\"args\":\"-x\"}", "validation",
          "'args' must be an array");
  refused(NET_EXEC, "{\"command\":\"c\",\"args\":[\"a\",\"b\\u0000\"]}",
          "validation", "'args[1]' holds a NUL byte");
  refused(NET_EXEC, "{\"command\":\"c\",\"env\":[7]}", "validation",
          "'env[0]' must be a string");
  refused(WIRE_LOG, "{\"attrs\":[{},1]}", "validation",
          "'attrs[1]' must be an object");
  refused(WIRE_LOG, "{\"attrs\":[{\"value\":false}]}", "validation",
          "'attrs[0].value' must be a string");
}

Test(wire, refused_values) {
  refused(NET_DNS, "{\"context\":{},\"hostname\":\"\",\"type\":\"A\"}",
          "config", "hostname cannot be empty");
  refused(NET_DNS, "{\"hostname\":\"h\",\"type\":\"SRV\"}", "config",
          "unsupported record type: SRV");
  refused(NET_DNS, "{\"hostname\":\"h\",\"type\":\"mx\"}", "config",
          "unsupported record type: mx");
  static const char *const nameservers[] = {
      "dns.google:53", "8.8.8.8", "8.8.8.8:0", "[::1]", "::1:53",
      "[::1:53", "8.8.8.8:53x", "[fe80::1%eth0]:53"};
  char json[128], msg[256];
  for (size_t i = 0; i < sizeof nameservers / sizeof *nameservers; i++) {
    snprintf(json, sizeof json,
             "{\"hostname\":\"h\",\"type\":\"A\",\"nameserver\":\"%s\"}",
             nameservers[i]);
    snprintf(msg, sizeof msg,
             "nameserver must be an IP address and a port (1.2.3.4:53, "
             "[::1]:53): '%s'",
             nameservers[i]);
    refused(NET_DNS, json, "config", msg);
  }
  refused(NET_TCP, "{\"port\":\"80\"}", "config", "host cannot be empty");
  refused(NET_SMTP, "{\"host\":\"h\",\"port\":\"\"}", "config",
          "port cannot be empty");
  static const char *const ports[] = {"0", "65536", "+25", "-1", "smtp",
                                      " 25", "25 ", "99999999999999999999"};
  for (size_t i = 0; i < sizeof ports / sizeof *ports; i++) {
    snprintf(json, sizeof json, "{\"host\":\"h\",\"port\":\"%s\"}", ports[i]);
    snprintf(msg, sizeof msg, "port must be a number from 1 to 65535: '%s'",
             ports[i]);
    refused(NET_SMTP, json, "config", msg);
  }
  refused(NET_EXEC, "{\"args\":[\"x\"]}", "config", "command cannot be empty");
  refused(NET_HTTP, "{\"method\":\"GET\"}", "config",
          "url cannot be empty");
  refused(NET_HTTP, "{\"url\":\"http://x/\",\"body\":\"aGk\"}", "config",
          "failed to decode request body: it is not base64");
  refused(NET_HTTP, "{\"url\":\"http://x/\",\"headers\":{\"A\":\"b\"}}",
          "validation", "'headers.A' must be an array");
  refused(NET_HTTP, "{\"url\":\"http://x/\",\"headers\":{\"A\":[\"b\\r\\nX: y\"]}}",
          "validation", "header 'A' holds a line break");
}

Test(wire, bounds) {
  size_t n = WIRE_REQUEST_MAX + 1;
  char *big = malloc(n);
  cr_assert_not_null(big);
  memset(big, ' ', n);
  big[0] = '{';
  big[n - 1] = '}';
  cr_assert_eq(wire_parse(NET_DNS, (uint8_t *)big, n, NOW_MS, &req, &err), -1);
  cr_assert_str_eq(err.message, "request is larger than 1048576 bytes");
  cr_assert_str_eq(err.type, "validation");
  /* 4097 args: one too many, in 1 MiB. */
  size_t len = (size_t)snprintf(big, n, "{\"command\":\"c\",\"args\":[\"\"");
  for (int i = 1; i < 4097; i++)
    len += (size_t)snprintf(big + len, n - len, ",\"\"");
  len += (size_t)snprintf(big + len, n - len, "]}");
  refused(NET_EXEC, big, "validation", "'args' has more than 4096 entries");
  /* 4096 env entries of one name: the last is kept. */
  len = (size_t)snprintf(big, n, "{\"command\":\"c\",\"env\":[\"A=0\"");
  for (int i = 1; i < 4096; i++)
    len += (size_t)snprintf(big + len, n - len, ",\"A=%d\"", i);
  snprintf(big + len, n - len, "]}");
  parse_ok(NET_EXEC, big);
  cr_assert_eq(req.exec.nenv, 1);
  cr_assert_str_eq(req.exec.env[0], "A=4095");
  wire_request_free(&req);
  /* 64 levels are fine, 65 are not, brackets in strings do not count. */
  len = (size_t)snprintf(big, n,
                         "{\"command\":\"c\",\"x\":\"[[[[\\\"{{\",\"y\":");
  for (int i = 1; i < 64; i++)
    big[len++] = '[';
  for (int i = 1; i < 64; i++)
    big[len++] = ']';
  big[len++] = '}';
  big[len] = '\0';
  parse_ok(NET_EXEC, big);
  wire_request_free(&req);
  memmove(big + 1, big, len + 1);
  big[0] = '[';
  refused(NET_EXEC, big, "validation",
          "request is nested deeper than 64 levels");
  free(big);
}

Test(wire, not_json) {
  const char *text = "{\"hostname\":";
  cr_assert_eq(wire_parse(NET_DNS, (const uint8_t *)text, strlen(text), NOW_MS,
                          &req, &err),
               -1);
  cr_assert_str_eq(err.type, "validation");
  cr_assert_eq(strncmp(err.message, "request is not JSON: ", 21), 0, "%s",
               err.message);
  cr_assert_null(req.doc_);
}

Test(wire, nothing_at_all) {
  cr_assert_eq(wire_parse(NET_TCP, NULL, 0, NOW_MS, &req, &err), -1);
  cr_assert_str_eq(err.type, "validation");
  cr_assert_eq(strncmp(err.message, "request is not JSON: ", 21), 0, "%s",
               err.message);
}

Test(wire, a_kind_out_of_range) {
  cr_assert_eq(wire_parse(WIRE_KIND_COUNT, (const uint8_t *)"{}", 2, NOW_MS,
                          &req, &err),
               -1);
  cr_assert_str_eq(err.type, "internal");
}

/* ---- responses, byte for byte ---- */

/* len is read once got is made (argument order is unspecified). */
static void expect(char *got, const size_t *len, const char *want) {
  cr_assert_not_null(got);
  cr_assert_eq(*len, strlen(want), "length of %s", got);
  cr_assert_str_eq(got, want);
  free(got);
}

static net_result result(net_kind kind) {
  net_result r;
  memset(&r, 0, sizeof r);
  r.kind = kind;
  r.exit_code = -1;
  r.tls_cert_not_after = INT64_MIN;
  return r;
}

Test(wire, dns_records) {
  char *recs[] = {"93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"};
  net_result r = result(NET_DNS);
  size_t len;
  r.records = recs;
  r.nrecords = 2;
  expect(wire_response(&r, &len), &len,
         "{\"records\":[\"93.184.216.34\","
         "\"2606:2800:220:1:248:1893:25c8:1946\"]}");
  r.nrecords = 0;
  expect(wire_response(&r, &len), &len, "{}");
}

Test(wire, dns_mx_records) {
  net_mx mx[] = {{"mx1.example.com.", 10}, {"mx2.example.com.", 65535}};
  net_result r = result(NET_DNS);
  size_t len;
  r.mx = mx;
  r.nmx = 2;
  expect(wire_response(&r, &len), &len,
         "{\"mx_records\":[{\"host\":\"mx1.example.com.\",\"pref\":10},"
         "{\"host\":\"mx2.example.com.\",\"pref\":65535}]}");
}

Test(wire, go_string_escapes) {
  char *recs[] = {"v=spf1 <a> & \"q\" \\ \t\n\r\b\f\x01\x1f\x7f \xc3\xa9 "
                  "\xff \xe2\x80\xa8\xe2\x80\xa9 \xed\xa0\x80 \xf0\x9f\x98\x80 "
                  "\xc0\xaf /"};
  net_result r = result(NET_DNS);
  size_t len;
  r.records = recs;
  r.nrecords = 1;
  expect(wire_response(&r, &len), &len,
         "{\"records\":[\"v=spf1 \\u003ca\\u003e \\u0026 \\\"q\\\" \\\\ "
         "\\t\\n\\r\\b\\f\\u0001\\u001f\x7f \xc3\xa9 \\ufffd \\u2028\\u2029 "
         "\\ufffd\\ufffd\\ufffd \xf0\x9f\x98\x80 \\ufffd\\ufffd /\"]}");
}

Test(wire, dns_error) {
  net_result r = result(NET_DNS);
  size_t len;
  char *recs[] = {"dropped"};
  r.records = recs;
  r.nrecords = 1;
  net_error_set(&r.error, "network", "NXDOMAIN",
                "lookup nx.example.com: no such host");
  r.error.is_not_found = true;
  expect(wire_response(&r, &len), &len,
         "{\"error\":{\"message\":\"lookup nx.example.com: no such host\","
         "\"type\":\"network\",\"code\":\"NXDOMAIN\",\"is_not_found\":true}}");
}

Test(wire, tcp_plain) {
  net_result r = result(NET_TCP);
  size_t len;
  r.connected = true;
  strcpy(r.address, "example.com:80");
  strcpy(r.remote_addr, "93.184.216.34:80");
  strcpy(r.local_addr, "10.0.0.2:51234");
  r.duration_ms = 12;
  expect(wire_response(&r, &len), &len,
         "{\"connected\":true,\"address\":\"example.com:80\","
         "\"remote_addr\":\"93.184.216.34:80\",\"local_addr\":"
         "\"10.0.0.2:51234\",\"response_time_ms\":12}");
  r = result(NET_TCP);
  expect(wire_response(&r, &len), &len, "{\"connected\":false}");
}

Test(wire, tcp_tls_and_certificate) {
  net_result r = result(NET_TCP);
  size_t len;
  r.connected = true;
  strcpy(r.address, "[::1]:443");
  strcpy(r.remote_addr, "[::1]:443");
  strcpy(r.local_addr, "[::1]:40000");
  r.duration_ms = 7;
  r.tls = true;
  strcpy(r.tls_version, "TLS 1.3");
  strcpy(r.tls_cipher_suite, "TLS_AES_128_GCM_SHA256");
  strcpy(r.tls_server_name, "example.com");
  strcpy(r.tls_cert_subject, "CN=example.com,O=Example Inc.,C=US");
  strcpy(r.tls_cert_issuer, "CN=R&D <CA>,O=DigiCert Inc,C=US");
  r.tls_cert_not_after = 1798859045; /* 2027-01-02T03:04:05Z */
  expect(wire_response(&r, &len), &len,
         "{\"connected\":true,\"address\":\"[::1]:443\",\"remote_addr\":"
         "\"[::1]:443\",\"local_addr\":\"[::1]:40000\",\"response_time_ms\":7,"
         "\"tls\":true,\"tls_version\":\"TLS 1.3\",\"tls_cipher_suite\":"
         "\"TLS_AES_128_GCM_SHA256\",\"tls_server_name\":\"example.com\","
         "\"tls_cert_subject\":\"CN=example.com,O=Example Inc.,C=US\","
         "\"tls_cert_issuer\":\"CN=R\\u0026D \\u003cCA\\u003e,O=DigiCert "
         "Inc,C=US\",\"tls_cert_not_after\":\"2027-01-02T03:04:05Z\"}");
}

Test(wire, certificate_dates_at_the_edges) {
  static const struct {
    int64_t sec;
    const char *text;
  } dates[] = {{0, "1970-01-01T00:00:00Z"},
               {-1, "1969-12-31T23:59:59Z"},
               {951782400, "2000-02-29T00:00:00Z"},
               {253402300799LL, "9999-12-31T23:59:59Z"},
               {-62167219200LL, "0000-01-01T00:00:00Z"}};
  char want[128];
  size_t len;
  for (size_t i = 0; i < sizeof dates / sizeof *dates; i++) {
    net_result r = result(NET_TCP);
    r.tls_cert_not_after = dates[i].sec;
    snprintf(want, sizeof want,
             "{\"connected\":false,\"tls_cert_not_after\":\"%s\"}",
             dates[i].text);
    expect(wire_response(&r, &len), &len, want);
  }
  /* Go's MarshalJSON refuses the year 10000: reglet's fallback. */
  net_result r = result(NET_TCP);
  r.tls_cert_not_after = 253402300800LL;
  expect(wire_response(&r, &len), &len,
         "{\"error\":{\"message\":\"hostfuncs: failed to marshal response: "
         "json: error calling MarshalJSON for type *time.Time: "
         "Time.MarshalJSON: year outside of range [0,9999]\",\"type\":"
         "\"internal\",\"code\":\"\"}}");
}

Test(wire, tcp_error) {
  net_result r = result(NET_TCP);
  size_t len;
  strcpy(r.address, "127.0.0.1:9");
  r.duration_ms = 1;
  net_error_set(&r.error, "network", "ECONNREFUSED",
                "connection failed: dial tcp 127.0.0.1:9: connect: "
                "connection refused");
  expect(wire_response(&r, &len), &len,
         "{\"connected\":false,\"error\":{\"message\":\"connection failed: "
         "dial tcp 127.0.0.1:9: connect: connection refused\",\"type\":"
         "\"network\",\"code\":\"ECONNREFUSED\"}}");
}

Test(wire, smtp_starttls) {
  net_result r = result(NET_SMTP);
  size_t len;
  r.connected = true;
  strcpy(r.address, "mx.example.com:25");
  strcpy(r.remote_addr, "192.0.2.1:25"); /* not SMTP's */
  r.banner = "220 mx.example.com ESMTP Postfix";
  r.duration_ms = 40;
  r.tls = true;
  strcpy(r.tls_version, "TLS 1.2");
  strcpy(r.tls_cipher_suite, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
  strcpy(r.tls_server_name, "mx.example.com");
  strcpy(r.tls_cert_subject, "CN=mx.example.com"); /* not SMTP's */
  r.tls_cert_not_after = 1798859045;               /* not SMTP's */
  expect(wire_response(&r, &len), &len,
         "{\"connected\":true,\"address\":\"mx.example.com:25\",\"banner\":"
         "\"220 mx.example.com ESMTP Postfix\",\"response_time_ms\":40,"
         "\"tls\":true,\"tls_version\":\"TLS 1.2\",\"tls_cipher_suite\":"
         "\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\",\"tls_server_name\":"
         "\"mx.example.com\"}");
}

Test(wire, exec_output) {
  net_result r = result(NET_EXEC);
  size_t len;
  r.out = (uint8_t *)"hello\n";
  r.out_len = 6;
  r.exit_code = 0;
  r.duration_ms = 3;
  r.out_truncated = true; /* not in the wire format */
  expect(wire_response(&r, &len), &len,
         "{\"stdout\":\"hello\\n\",\"stderr\":\"\",\"exit_code\":0,"
         "\"duration_ms\":3}");
  r.out = (uint8_t *)"a\0b\xff<";
  r.out_len = 5;
  r.err = (uint8_t *)"warn: \xe2\x82";
  r.err_len = 8;
  r.exit_code = 2;
  r.duration_ms = 0;
  expect(wire_response(&r, &len), &len,
         "{\"stdout\":\"a\\u0000b\\ufffd\\u003c\",\"stderr\":\"warn: "
         "\\ufffd\\ufffd\",\"exit_code\":2}");
}

Test(wire, exec_timeout_keeps_the_output) {
  net_result r = result(NET_EXEC);
  size_t len;
  r.out = (uint8_t *)"partial";
  r.out_len = 7;
  r.duration_ms = 1000;
  r.is_timeout = true;
  net_error_set(&r.error, "timeout", "ETIMEDOUT", "context deadline exceeded");
  r.error.is_timeout = true;
  expect(wire_response(&r, &len), &len,
         "{\"stdout\":\"partial\",\"stderr\":\"\",\"exit_code\":-1,"
         "\"duration_ms\":1000,\"is_timeout\":true,\"error\":{\"message\":"
         "\"context deadline exceeded\",\"type\":\"timeout\",\"code\":"
         "\"ETIMEDOUT\",\"is_timeout\":true}}");
}

Test(wire, http_response_as_go_marshals_it) {
  net_result r = result(NET_HTTP);
  net_header h[] = {{"x-b", "2"}, {"content-type", "text/plain"},
                    {"X-B", "3"}};
  r.status_code = 200;
  r.headers = h;
  r.nheaders = 3;
  r.body = (uint8_t *)"hello";
  r.body_len = 5;
  size_t len;
  expect(wire_response(&r, &len), &len,
         "{\"status_code\":200,\"headers\":{\"Content-Type\":"
         "[\"text/plain\"],\"X-B\":[\"2\",\"3\"]},\"body\":\"aGVsbG8=\"}");
  r.nheaders = 0;
  r.body_len = 4;
  r.body_truncated = true;
  expect(wire_response(&r, &len), &len,
         "{\"status_code\":200,\"body\":\"aGVsbA==\",\"body_truncated\":true}");
  r.body_len = 0;
  r.body_truncated = false;
  r.status_code = 204;
  expect(wire_response(&r, &len), &len, "{\"status_code\":204}");
}

Test(wire, error_responses_of_every_shape) {
  net_error e = {0};
  size_t len;
  net_error_set(&e, "capability", "", "permission denied: %s",
                "network:outbound:25");
  const char *detail = "\"error\":{\"message\":\"permission denied: "
                       "network:outbound:25\",\"type\":\"capability\","
                       "\"code\":\"\"}}";
  static const struct {
    int kind;
    const char *head;
  } shapes[] = {{NET_DNS, "{"},
                {NET_TCP, "{\"connected\":false,"},
                {NET_SMTP, "{\"connected\":false,"},
                {NET_EXEC, "{\"stdout\":\"\",\"stderr\":\"\",\"exit_code\":0,"},
                {NET_HTTP, "{\"status_code\":0,"}};
  char want[512];
  for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
    snprintf(want, sizeof want, "%s%s", shapes[i].head, detail);
    expect(wire_error_response(shapes[i].kind, &e, &len), &len, want);
  }
  cr_assert_null(wire_error_response(WIRE_LOG, &e, &len));
}

Test(wire, a_refusal_answered_in_its_shape) {
  const char *text = "{\"host\":\"h\",\"port\":\"http\"}";
  size_t len;
  cr_assert_eq(wire_parse(NET_TCP, (const uint8_t *)text, strlen(text), NOW_MS,
                          &req, &err),
               -1);
  expect(wire_error_response(NET_TCP, &err, &len), &len,
         "{\"connected\":false,\"error\":{\"message\":\"port must be a "
         "number from 1 to 65535: 'http'\",\"type\":\"config\",\"code\":"
         "\"\"}}");
}
