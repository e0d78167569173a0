/*
** fuzz_policy.c: policy text as a user (or a generator of policies) may
** write it, through the pure parsers of policy/ and the decisions.
**
** Input: byte 0 even: the rest is a JSON policy for policy_parse_json;
** odd: the rest is policy lines, one per '\n', for policy_allow. Then:
**   - a refusal has a message, and a refused JSON text changed nothing;
**   - describe's lines are all accepted by policy_allow, and the policy
**     they make describes the same and decides the same, for paths and
**     names taken from the policy and from the input;
**   - the policy lies within itself as a ceiling (policy_excess reports
**     nothing), and its intersection with itself decides the same;
**   - network and command decisions (hosts, addresses and commands from a
**     fixed list and from the input's lines) agree between those
**     policies, a refusal's capability is "" or a line policy_allow
**     takes, and a special address is only ever allowed by a grant that
**     names an address.
** Contract violations abort, so libFuzzer (or replay_main.c) reports the
** input.
*/
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "fuzz_policy: contract broken: %s\n", what);
    abort();
  }
}

/* Applies each '\n'-separated line of text to p. */
static void apply_lines(policy *p, const char *text, size_t len) {
  char err[512];
  for (size_t i = 0; i < len;) {
    size_t n = 0;
    while (i + n < len && text[i + n] != '\n')
      n++;
    char *line = strndup(text + i, n);
    check(line != NULL, "out of memory");
    err[0] = '\0';
    if (policy_allow(p, line, err, sizeof err) < 0)
      check(strncmp(err, "capability '", 12) == 0, "refusal without a message");
    free(line);
    i += n + 1;
  }
}

static void same_access(const policy *p, const policy *q, const char *path) {
  static const policy_access access[] = {POLICY_READ, POLICY_WRITE,
                                         POLICY_MKDIR,
                                         POLICY_READ | POLICY_WRITE};
  for (size_t a = 0; a < 4; a++) {
    char c1[8400], c2[8400];
    check(policy_may_access(p, path, access[a], c1, sizeof c1) ==
              policy_may_access(q, path, access[a], c2, sizeof c2),
          "the described policy decides a path otherwise");
    check(strcmp(c1, c2) == 0, "the described policy names another grant");
  }
  char e1[8400], e2[8400];
  check(policy_may_env(p, path + 1, e1, sizeof e1) ==
            policy_may_env(q, path + 1, e2, sizeof e2),
        "the described policy decides a variable otherwise");
  check(strcmp(e1, e2) == 0, "the described policy names another variable");
}

/* A refusal names a line that would allow it, or nothing. */
static void cap_reads_back(const char *cap) {
  char err[512];
  policy *q = policy_new();
  check(q != NULL, "out of memory");
  check(!*cap || policy_allow(q, cap, err, sizeof err) == 0,
        "a refusal names a line policy_allow refuses");
  policy_free(q);
}

static const char *const addrs[] = {"127.0.0.1", "8.8.8.8", "10.1.2.3",
                                    "::1", "fe80::1", "2606:4700::1111",
                                    "::ffff:127.0.0.1", "64:ff9b::a00:1"};

static struct sockaddr_storage sa_of(const char *text) {
  struct sockaddr_storage ss = {0};
  struct sockaddr_in *in = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, text, &in->sin_addr) == 1)
    in->sin_family = AF_INET;
  else if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1)
    in6->sin6_family = AF_INET6;
  return ss;
}

static void same_addr(const policy *p, const policy *q, const char *host,
                      const struct sockaddr *sa, unsigned port) {
  char c1[8400], c2[8400];
  bool yes = policy_may_connect_addr(p, host, sa, port, c1, sizeof c1);
  check(yes == policy_may_connect_addr(q, host, sa, port, c2, sizeof c2),
        "the other policy decides an address otherwise");
  check(strcmp(c1, c2) == 0, "the other policy names another address grant");
  const char *h = c1 + strlen("network:outbound:");
  check(!yes || !policy_addr_class(sa) || *h == '[' || (*h >= '0' && *h <= '9'),
        "a special address allowed by a name");
  if (!yes)
    cap_reads_back(c1);
}

/* host as written at two ports, then at the first naddrs addresses of
** the list and its own, if it is a literal (at one port: an address
** refusal's capability depends on nothing else). */
static void same_connect(const policy *p, const policy *q, const char *host,
                         size_t naddrs) {
  static const unsigned ports[] = {443, 8080};
  struct sockaddr_storage own = sa_of(host);
  for (size_t i = 0; i < 2; i++) {
    char c1[8400], c2[8400];
    bool yes = policy_may_connect_name(p, host, ports[i], c1, sizeof c1);
    check(yes == policy_may_connect_name(q, host, ports[i], c2, sizeof c2),
          "the other policy decides a host otherwise");
    check(strcmp(c1, c2) == 0, "the other policy names another host grant");
    if (!yes)
      cap_reads_back(c1);
  }
  for (size_t a = 0; a < naddrs; a++) {
    struct sockaddr_storage ss = sa_of(addrs[a]);
    same_addr(p, q, host, (struct sockaddr *)&ss, ports[0]);
  }
  if (own.ss_family)
    same_addr(p, q, host, (struct sockaddr *)&own, ports[0]);
}

static void same_exec(const policy *p, const policy *q, const char *cmd) {
  static const char *const resolved[] = {NULL, "/usr/bin/git", "/tmp/x/git"};
  for (size_t i = 0; i < 3; i++) {
    char c1[8400], c2[8400];
    bool yes = policy_may_exec(p, cmd, resolved[i], c1, sizeof c1);
    check(yes == policy_may_exec(q, cmd, resolved[i], c2, sizeof c2),
          "the other policy decides a command otherwise");
    check(strcmp(c1, c2) == 0, "the other policy names another exec grant");
    if (!yes)
      cap_reads_back(c1);
  }
}

/* Hosts and commands to ask about: a few of every kind (a name at every
** address of the list), then the first words of the input (split at
** '\n', '"' and ':', so that the hosts of grants come out). */
static void same_network(const policy *p, const policy *q, const char *text,
                         size_t len) {
  static const char *const hosts[] = {"example.com", "localhost",
                                      "a.example.com", "127.0.0.1", "::1"};
  static const char *const cmds[] = {"git", "/usr/bin/git", "/tmp/x/git"};
  char word[300];
  for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++)
    same_connect(p, q, hosts[i], i < 2 ? sizeof addrs / sizeof addrs[0] : 2);
  for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
    same_exec(p, q, cmds[i]);
  for (size_t i = 0, asked = 0; i < len && asked < 8;) {
    size_t n = 0;
    while (i + n < len && !strchr("\n\":", text[i + n]))
      n++;
    if (n && n < sizeof word) {
      memcpy(word, text + i, n);
      word[n] = '\0';
      same_connect(p, q, word, 2);
      same_exec(p, q, word);
      asked++;
    }
    i += n + 1;
  }
  check(policy_https_only(p) == policy_https_only(q), "https-only differs");
}

/* Paths to ask about: each preopen, beneath it, and every line of the
** input that starts with '/'. */
static void same_decisions(const policy *p, const policy *q, const char *text,
                           size_t len) {
  char path[8200];
  same_access(p, q, "/");
  for (size_t i = 0; i < policy_preopen_count(p); i++) {
    const policy_preopen *po = policy_preopen_at(p, i);
    same_access(p, q, po->host);
    snprintf(path, sizeof path, "%s/a.txt", strcmp(po->host, "/") ? po->host : "");
    same_access(p, q, path);
  }
  for (size_t i = 0; i < len;) {
    size_t n = 0;
    while (i + n < len && text[i + n] != '\n' && text[i + n] != '"')
      n++;
    if (text[i] == '/' && n < sizeof path) {
      memcpy(path, text + i, n);
      path[n] = '\0';
      same_access(p, q, path);
    }
    i += n + 1;
  }
  check(policy_has(p, POLICY_CAP_CLOCK) == policy_has(q, POLICY_CAP_CLOCK),
        "clock differs");
  check(memcmp(policy_get_limits(p), policy_get_limits(q),
               sizeof(policy_limits)) == 0, "limits differ");
  same_network(p, q, text, len);
}

static void round_trip(const policy *p, const char *text, size_t len) {
  char *described = policy_describe(p), *save = NULL;
  check(described != NULL, "describe failed");
  char *copy = strdup(described), err[512];
  policy *q = policy_new();
  check(copy && q, "out of memory");
  for (char *line = strtok_r(copy, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save))
    check(policy_allow(q, line, err, sizeof err) == 0,
          "a line of describe is refused");
  char *again = policy_describe(q);
  check(again && strcmp(again, described) == 0, "describe does not round-trip");
  same_decisions(p, q, text, len);
  free(again);
  free(copy);
  free(described);
  policy_free(q);
}

static void no_excess(void *ud, const char *line, const char *why) {
  (void)ud;
  fprintf(stderr, "fuzz_policy: '%s' exceeds its own policy: %s\n", line,
          why);
  check(0, "a policy is beyond itself");
}

static void with_itself(const policy *p, const char *text, size_t len) {
  policy *pp = policy_intersect(p, p);
  check(pp != NULL, "out of memory");
  check(policy_excess(p, p, no_excess, NULL) == 0, "excess without a call");
  same_decisions(p, pp, text, len);
  policy_free(pp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size > (64u << 10))
    return 0;
  const char *text = (const char *)data + 1;
  size_t len = size - 1;
  policy *p = policy_new();
  char err[1024];
  check(p && policy_allow(p, "clock", err, sizeof err) == 0, "setup");
  if (data[0] & 1) {
    apply_lines(p, text, len);
  } else if (policy_parse_json(p, "fuzz", text, len, err, sizeof err) < 0) {
    char *d = policy_describe(p);
    check(strncmp(err, "fuzz:", 5) == 0 || strcmp(err, "out of memory") == 0,
          "JSON refusal without its position");
    check(d && strcmp(d, "clock\n") == 0, "a refused policy changed");
    free(d);
  }
  round_trip(p, text, len);
  with_itself(p, text, len);
  policy_free(p);
  return 0;
}
