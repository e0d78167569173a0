/*
** test_policy_network.c: the network and command decisions: the host as
** written, each address it resolved to (special ranges reached only by
** address), exec by name or path, https-only and the connections limit,
** and how intersections and ceilings treat them.
*/
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/un.h>

#include "policy_helpers.h"

/* ---- helpers ---- */

static char cap[512];

static bool name_ok(const policy *p, const char *host, unsigned port) {
  return policy_may_connect_name(p, host, port, cap, sizeof cap);
}

/* A sockaddr of an address literal, IPv4 or IPv6. */
static struct sockaddr_storage sa_of(const char *text) {
  struct sockaddr_storage ss = {0};
  struct sockaddr_in *in = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, text, &in->sin_addr) == 1)
    in->sin_family = AF_INET;
  else if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1)
    in6->sin6_family = AF_INET6;
  else
    cr_assert_fail("not an address: %s", text);
  return ss;
}

static bool addr_ok(const policy *p, const char *host, const char *addr,
                    unsigned port) {
  struct sockaddr_storage ss = sa_of(addr);
  return policy_may_connect_addr(p, host, (struct sockaddr *)&ss, port, cap,
                                 sizeof cap);
}

static const char *class_of(const char *addr) {
  struct sockaddr_storage ss = sa_of(addr);
  return policy_addr_class((struct sockaddr *)&ss);
}

static bool exec_ok(const policy *p, const char *as_written,
                    const char *resolved) {
  return policy_may_exec(p, as_written, resolved, cap, sizeof cap);
}

/* A refusal's cap is a line policy_allow takes, so that the message can
** say what to grant. */
static void cap_reads_back(void) {
  policy *q = policy_new();
  char err[512];
  cr_assert_eq(policy_allow(q, cap, err, sizeof err), 0, "%s", err);
  policy_free(q);
}

/* ---- the host as written ---- */

Test(policy_network, a_name_grant_matches_that_name_and_its_ports) {
  policy *p = POLICY("network:outbound:api.example.com:443");
  cr_assert(name_ok(p, "api.example.com", 443));
  cr_assert_str_eq(cap, "network:outbound:api.example.com:443");
  cr_assert_not(name_ok(p, "api.example.com", 80));
  cr_assert_str_eq(cap, "network:outbound:api.example.com:80");
  cr_assert_not(name_ok(p, "www.example.com", 443));
  cr_assert_str_eq(cap, "network:outbound:www.example.com:443");
  cr_assert_not(name_ok(p, "sub.api.example.com", 443));
  policy_free(p);
}

Test(policy_network, names_match_in_any_case_and_one_trailing_dot) {
  policy *p = POLICY("network:outbound:API.Example.com.:443");
  char *text = policy_describe(p);
  cr_assert_str_eq(text, "network:outbound:api.example.com:443\n",
                   "one spelling of a name");
  free(text);
  cr_assert(name_ok(p, "api.example.com", 443));
  cr_assert(name_ok(p, "API.EXAMPLE.COM", 443));
  cr_assert(name_ok(p, "api.example.com.", 443));
  cr_assert_not(name_ok(p, "api.example.com..", 443));
  cr_assert_str_eq(cap, "", "two dots: not a name");
  cr_assert_not(name_ok(p, "Other.Example.COM.", 443));
  cr_assert_str_eq(cap, "network:outbound:other.example.com:443");
  policy_free(p);
}

Test(policy_network, a_wildcard_matches_names_strictly_under_its_suffix) {
  policy *p = POLICY("network:outbound:*.example.com:443");
  cr_assert(name_ok(p, "a.example.com", 443));
  cr_assert_str_eq(cap, "network:outbound:*.example.com:443");
  cr_assert(name_ok(p, "x.y.Example.com", 443));
  cr_assert_not(name_ok(p, "example.com", 443), "not the suffix itself");
  cr_assert_not(name_ok(p, "badexample.com", 443));
  cr_assert_not(name_ok(p, "example.com.evil.net", 443));
  policy_free(p);
}

Test(policy_network, star_matches_every_name_and_literal) {
  policy *p = POLICY("network:outbound:*:443");
  cr_assert(name_ok(p, "example.com", 443));
  cr_assert(name_ok(p, "localhost", 443));
  cr_assert(name_ok(p, "127.0.0.1", 443));
  cr_assert(name_ok(p, "::1", 443));
  cr_assert_str_eq(cap, "network:outbound:*:443");
  cr_assert_not(name_ok(p, "example.com", 80));
  policy_free(p);
}

Test(policy_network, an_ipv4_literal_matches_its_address_or_a_cidr) {
  policy *p = POLICY("network:outbound:10.0.0.0/8:5432",
                     "network:outbound:192.168.1.10:80");
  cr_assert(name_ok(p, "10.1.2.3", 5432));
  cr_assert_str_eq(cap, "network:outbound:10.0.0.0/8:5432");
  cr_assert(name_ok(p, "192.168.1.10", 80));
  cr_assert_str_eq(cap, "network:outbound:192.168.1.10:80");
  cr_assert_not(name_ok(p, "192.168.1.11", 80));
  cr_assert_str_eq(cap, "network:outbound:192.168.1.11:80");
  cr_assert_not(name_ok(p, "11.0.0.1", 5432));
  policy_free(p);
}

Test(policy_network, an_ipv6_literal_matches_a_bracketed_address_or_cidr) {
  policy *p = POLICY("network:outbound:[::1]:8080",
                     "network:outbound:[2001:db8::/32]:443");
  cr_assert(name_ok(p, "::1", 8080));
  cr_assert_str_eq(cap, "network:outbound:[::1]:8080");
  cr_assert(name_ok(p, "0:0::1", 8080), "the address, not its spelling");
  cr_assert(name_ok(p, "2001:db8:1::5", 443));
  cr_assert_str_eq(cap, "network:outbound:[2001:db8::/32]:443");
  cr_assert_not(name_ok(p, "2001:db9::5", 443));
  cr_assert_str_eq(cap, "network:outbound:[2001:db9::5]:443");
  cap_reads_back();
  cr_assert_not(name_ok(p, "[::1]", 8080));
  cr_assert_str_eq(cap, "", "written without brackets");
  policy_free(p);
}

Test(policy_network, a_v4_mapped_literal_is_its_ipv4_address) {
  policy *p = POLICY("network:outbound:10.0.0.0/8:80");
  cr_assert(name_ok(p, "::ffff:10.1.1.1", 80));
  cr_assert_not(name_ok(p, "::ffff:127.0.0.1", 80));
  cr_assert_str_eq(cap, "network:outbound:127.0.0.1:80");
  policy_free(p);
}

Test(policy_network, a_name_grant_never_matches_an_address_literal) {
  policy *p = POLICY("network:outbound:localhost:8080");
  cr_assert(name_ok(p, "localhost", 8080));
  cr_assert_not(name_ok(p, "127.0.0.1", 8080));
  cr_assert_str_eq(cap, "network:outbound:127.0.0.1:8080");
  policy_free(p);
}

Test(policy_network, ports_are_one_a_list_a_range_or_all) {
  policy *p = POLICY("network:outbound:a.example:80,443",
                     "network:outbound:b.example:8000-8100,9000",
                     "network:outbound:c.example:*");
  cr_assert(name_ok(p, "a.example", 80));
  cr_assert(name_ok(p, "a.example", 443));
  cr_assert_not(name_ok(p, "a.example", 81));
  cr_assert(name_ok(p, "b.example", 8000));
  cr_assert(name_ok(p, "b.example", 8100));
  cr_assert(name_ok(p, "b.example", 9000));
  cr_assert_not(name_ok(p, "b.example", 7999));
  cr_assert_not(name_ok(p, "b.example", 8101));
  cr_assert(name_ok(p, "c.example", 1));
  cr_assert(name_ok(p, "c.example", 65535));
  policy_free(p);
}

Test(policy_network, malformed_requests_are_refused_without_a_capability) {
  policy *p = POLICY("network:outbound:*:*");
  static const char *const bad[] = {
      "",          "[::1]",        "exa mple.com", "*.example.com",
      "127.1",     "0x7f000001",   "2130706433",   "a..b",
      "-a.com",    "10.0.0.0/8",   "a\nb",         "example.com:80",
      "foo.123",   "fe80::1%eth0",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cr_assert_not(name_ok(p, bad[i], 80), "'%s'", bad[i]);
    cr_assert_str_eq(cap, "", "'%s'", bad[i]);
  }
  cr_assert_not(name_ok(p, "example.com", 0));
  cr_assert_str_eq(cap, "");
  cr_assert_not(name_ok(p, "example.com", 65536));
  cr_assert_str_eq(cap, "");
  policy_free(p);
}

Test(policy_network, an_empty_policy_refuses_and_names_the_grant) {
  policy *p = policy_new();
  cr_assert_not(name_ok(p, "Example.COM.", 443));
  cr_assert_str_eq(cap, "network:outbound:example.com:443");
  cap_reads_back();
  cr_assert_not(addr_ok(p, "example.com", "93.184.216.34", 443));
  cr_assert_str_eq(cap, "network:outbound:93.184.216.34:443");
  cap_reads_back();
  cr_assert_not(addr_ok(p, "example.com", "2606:2800:220:1::1", 443));
  cr_assert_str_eq(cap, "network:outbound:[2606:2800:220:1::1]:443");
  cap_reads_back();
  policy_free(p);
}

/* ---- each address it resolved to ---- */

Test(policy_network, the_localhost_name_does_not_reach_loopback) {
  policy *p = POLICY("network:outbound:localhost:8080");
  cr_assert(name_ok(p, "localhost", 8080), "the first check passes");
  cr_assert_not(addr_ok(p, "localhost", "127.0.0.1", 8080));
  cr_assert_str_eq(cap, "network:outbound:127.0.0.1:8080");
  cr_assert_str_eq(class_of("127.0.0.1"), "loopback");
  cr_assert_not(addr_ok(p, "localhost", "::1", 8080));
  cr_assert_str_eq(cap, "network:outbound:[::1]:8080");
  policy_free(p);
}

Test(policy_network, localhost_needs_its_name_and_its_address_granted) {
  policy *p = POLICY("network:outbound:localhost:8080",
                     "network:outbound:127.0.0.1:8080");
  cr_assert(name_ok(p, "localhost", 8080));
  cr_assert_str_eq(cap, "network:outbound:localhost:8080");
  cr_assert(addr_ok(p, "localhost", "127.0.0.1", 8080));
  cr_assert_str_eq(cap, "network:outbound:127.0.0.1:8080");
  cr_assert(addr_ok(p, "localhost", "::ffff:127.0.0.1", 8080),
            "the same address through a dual-stack socket");
  cr_assert_not(addr_ok(p, "localhost", "127.0.0.2", 8080));
  cr_assert_str_eq(cap, "network:outbound:127.0.0.2:8080");
  cr_assert_not(addr_ok(p, "localhost", "::1", 8080));
  cr_assert_not(name_ok(p, "localhost", 8081));
  policy_free(p);
}

Test(policy_network, an_address_grant_alone_lets_no_name_be_looked_up) {
  policy *p = POLICY("network:outbound:127.0.0.1:8080");
  cr_assert_not(name_ok(p, "localhost", 8080), "never resolved");
  cr_assert_str_eq(cap, "network:outbound:localhost:8080");
  cr_assert(name_ok(p, "127.0.0.1", 8080));
  cr_assert(addr_ok(p, "127.0.0.1", "127.0.0.1", 8080));
  cr_assert_str_eq(cap, "network:outbound:127.0.0.1:8080");
  cr_assert(addr_ok(p, "localhost", "127.0.0.1", 8080),
            "the address step looks at the address alone");
  cr_assert_not(addr_ok(p, "127.0.0.1", "127.0.0.1", 8081));
  cr_assert_str_eq(cap, "network:outbound:127.0.0.1:8081");
  policy_free(p);
}

Test(policy_network, a_name_grant_reaches_the_public_addresses_of_that_name) {
  policy *p = POLICY("network:outbound:example.com:443");
  cr_assert(addr_ok(p, "example.com", "93.184.216.34", 443));
  cr_assert_str_eq(cap, "network:outbound:example.com:443");
  cr_assert(addr_ok(p, "EXAMPLE.com.", "2606:2800:220:1::1", 443));
  cr_assert_not(addr_ok(p, "other.com", "93.184.216.34", 443),
                "the name decides, not the address");
  cr_assert_str_eq(cap, "network:outbound:93.184.216.34:443");
  cr_assert_not(addr_ok(p, "example.com", "93.184.216.34", 80));
  cr_assert_not(addr_ok(p, "example.com", "10.0.0.5", 443),
                "rebinding to a private address");
  cr_assert_str_eq(cap, "network:outbound:10.0.0.5:443");
  policy_free(p);
}

Test(policy_network, star_reaches_public_addresses_only) {
  policy *p = POLICY("network:outbound:*:*");
  cr_assert(addr_ok(p, "dns.google", "8.8.8.8", 53));
  cr_assert_str_eq(cap, "network:outbound:*:*");
  cr_assert(addr_ok(p, "8.8.8.8", "8.8.8.8", 53));
  cr_assert(addr_ok(p, "one.one", "2606:4700:4700::1111", 443));
  cr_assert_not(addr_ok(p, "10.0.0.1", "10.0.0.1", 80));
  cr_assert_str_eq(cap, "network:outbound:10.0.0.1:80");
  cr_assert_not(addr_ok(p, "metadata", "169.254.169.254", 80));
  cr_assert_not(addr_ok(p, "x", "::1", 80));
  policy_free(p);
}

Test(policy_network, an_address_grant_decides_whatever_the_name) {
  policy *p = POLICY("network:outbound:10.0.0.0/8:5432");
  cr_assert(addr_ok(p, "db.internal", "10.1.2.3", 5432));
  cr_assert_str_eq(cap, "network:outbound:10.0.0.0/8:5432");
  cr_assert_not(addr_ok(p, "db.internal", "10.1.2.3", 5433));
  cr_assert_not(addr_ok(p, "db.internal", "8.8.8.8", 5432),
                "a public address needs its name granted");
  policy_free(p);
}

Test(policy_network, mapped_and_nat64_addresses_are_judged_as_the_ipv4) {
  policy *p = POLICY("network:outbound:*:80");
  cr_assert_str_eq(class_of("::ffff:127.0.0.1"), "loopback");
  cr_assert_not(addr_ok(p, "x.example", "::ffff:127.0.0.1", 80));
  cr_assert_str_eq(cap, "network:outbound:127.0.0.1:80");
  cr_assert_str_eq(class_of("64:ff9b::10.0.0.1"), "private");
  cr_assert_not(addr_ok(p, "x.example", "64:ff9b::10.0.0.1", 80));
  cr_assert_str_eq(cap, "network:outbound:[64:ff9b::a00:1]:80");
  cr_assert_null(class_of("64:ff9b::8.8.8.8"));
  cr_assert(addr_ok(p, "x.example", "64:ff9b::8.8.8.8", 80));
  cr_assert(addr_ok(p, "x.example", "::ffff:8.8.8.8", 80));
  policy_free(p);
}

static const struct {
  const char *addr, *class;
} classes[] = {
    {"0.0.0.0", "unspecified"},        {"0.1.2.3", "unspecified"},
    {"::", "unspecified"},             {"127.0.0.1", "loopback"},
    {"127.255.0.9", "loopback"},       {"::1", "loopback"},
    {"10.0.0.1", "private"},           {"172.16.0.1", "private"},
    {"172.31.255.255", "private"},     {"192.168.1.1", "private"},
    {"fc00::1", "private"},            {"fd12:3456::1", "private"},
    {"169.254.169.254", "link-local"}, {"fe80::1", "link-local"},
    {"febf::1", "link-local"},         {"100.64.0.1", "shared"},
    {"100.127.255.255", "shared"},     {"224.0.0.1", "multicast"},
    {"239.255.255.250", "multicast"},  {"ff02::1", "multicast"},
    {"255.255.255.255", "broadcast"},  {"192.0.0.8", "protocol"},
    {"192.0.2.1", "documentation"},    {"198.51.100.7", "documentation"},
    {"203.0.113.9", "documentation"},  {"2001:db8::1", "documentation"},
    {"198.18.0.1", "benchmarking"},    {"198.19.255.255", "benchmarking"},
    {"240.0.0.1", "reserved"},         {"254.1.1.1", "reserved"},
    {"100::1", "reserved"},            {"::7f00:1", "reserved"},
    {"4000::1", "reserved"},           {"3fff:fff::1", "documentation"},
};

static const char *const public_addrs[] = {
    "8.8.8.8",      "1.1.1.1",    "172.32.0.1",  "172.15.255.255",
    "100.128.0.1",  "100.63.0.1", "198.20.0.1",  "192.0.1.1",
    "223.255.255.1", "11.0.0.1",  "2606:4700:4700::1111",
    "2a00:1450::1", "3ffe::1",
};

Test(policy_network, every_special_class_has_its_name) {
  for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++) {
    const char *got = class_of(classes[i].addr);
    cr_assert(got && strcmp(got, classes[i].class) == 0, "%s: %s, not %s",
              classes[i].addr, got ? got : "public", classes[i].class);
  }
  for (size_t i = 0; i < sizeof public_addrs / sizeof public_addrs[0]; i++)
    cr_assert_null(class_of(public_addrs[i]), "%s", public_addrs[i]);
  struct sockaddr_un un = {.sun_family = AF_UNIX};
  cr_assert_str_eq(policy_addr_class((struct sockaddr *)&un), "non-ip");
}

Test(policy_network, each_special_address_is_reached_only_by_address) {
  policy *star = POLICY("network:outbound:*:*");
  for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++) {
    const char *a = classes[i].addr;
    char line[128];
    cr_assert_not(addr_ok(star, "h.example", a, 80), "%s", a);
    cap_reads_back();
    snprintf(line, sizeof line, strchr(a, ':') ? "network:outbound:[%s]:80"
                                               : "network:outbound:%s:80",
             a);
    policy *by_addr = POLICY(line);
    cr_assert(addr_ok(by_addr, "h.example", a, 80), "%s", a);
    cr_assert_str_eq(cap, line);
    policy_free(by_addr);
  }
  for (size_t i = 0; i < sizeof public_addrs / sizeof public_addrs[0]; i++)
    cr_assert(addr_ok(star, "h.example", public_addrs[i], 80), "%s",
              public_addrs[i]);
  policy_free(star);
}

Test(policy_network, a_wide_cidr_grant_reaches_special_addresses_in_it) {
  policy *p = POLICY("network:outbound:0.0.0.0/0:80",
                     "network:outbound:[::/0]:80");
  cr_assert(addr_ok(p, "h", "127.0.0.1", 80));
  cr_assert(addr_ok(p, "h", "8.8.8.8", 80));
  cr_assert(addr_ok(p, "h", "fe80::1", 80));
  cr_assert_str_eq(cap, "network:outbound:[::/0]:80");
  policy_free(p);
}

Test(policy_network, a_bad_port_or_family_is_refused_without_a_capability) {
  policy *p = POLICY("network:outbound:*:*");
  cr_assert_not(addr_ok(p, "h.example", "8.8.8.8", 0));
  cr_assert_str_eq(cap, "");
  struct sockaddr_un un = {.sun_family = AF_UNIX};
  cr_assert_not(policy_may_connect_addr(p, "h.example", (struct sockaddr *)&un,
                                        80, cap, sizeof cap));
  cr_assert_str_eq(cap, "");
  policy_free(p);
}

/* ---- commands ---- */

Test(policy_network, an_exec_name_grant_matches_the_bare_name_only) {
  policy *p = POLICY("exec:git");
  cr_assert(exec_ok(p, "git", "/usr/bin/git"));
  cr_assert_str_eq(cap, "exec:git");
  cr_assert(exec_ok(p, "git", NULL));
  cr_assert_not(exec_ok(p, "/tmp/x/git", "/tmp/x/git"));
  cr_assert_str_eq(cap, "exec:/tmp/x/git");
  cr_assert_not(exec_ok(p, "/usr/bin/git", "/usr/bin/git"));
  cr_assert_str_eq(cap, "exec:/usr/bin/git");
  cr_assert_not(exec_ok(p, "gitk", "/usr/bin/gitk"));
  cr_assert_str_eq(cap, "exec:gitk");
  policy_free(p);
}

Test(policy_network, an_exec_path_grant_matches_the_resolved_or_written_path) {
  policy *p = POLICY("exec:/usr/bin/git");
  cr_assert(exec_ok(p, "git", "/usr/bin/git"));
  cr_assert_str_eq(cap, "exec:/usr/bin/git");
  cr_assert(exec_ok(p, "/usr/bin/git", "/usr/bin/git"));
  cr_assert(exec_ok(p, "/usr/bin/git", "/usr/lib/git-core/git"),
            "as written, though a symlink");
  cr_assert(exec_ok(p, "/bin/git", "/usr/bin/git"), "where /bin -> /usr/bin");
  cr_assert_not(exec_ok(p, "git", "/usr/local/bin/git"));
  cr_assert_str_eq(cap, "exec:git");
  cr_assert_not(exec_ok(p, "git", NULL), "not found");
  cr_assert_not(exec_ok(p, "/tmp/git", "/tmp/git"));
  cr_assert_str_eq(cap, "exec:/tmp/git");
  policy_free(p);
}

Test(policy_network, exec_star_grants_every_command) {
  policy *p = POLICY("exec:*");
  cr_assert(exec_ok(p, "git", "/usr/bin/git"));
  cr_assert_str_eq(cap, "exec:*");
  cr_assert(exec_ok(p, "/tmp/x/git", "/tmp/x/git"));
  policy_free(p);
}

Test(policy_network, malformed_commands_are_refused_without_a_capability) {
  policy *p = POLICY("exec:*");
  static const char *const bad[] = {"",       "bin/git",          "./git",
                                    "git/",   "/usr/../bin/git",  "/usr//git",
                                    "git\n",  "/usr/bin/git\x7f"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cr_assert_not(exec_ok(p, bad[i], "/usr/bin/git"), "'%s'", bad[i]);
    cr_assert_str_eq(cap, "", "'%s'", bad[i]);
  }
  cr_assert_not(exec_ok(p, "git", "usr/bin/git"));
  cr_assert_str_eq(cap, "", "resolved must be absolute");
  cr_assert_not(exec_ok(p, "git", "/usr/bin/../git"));
  cr_assert_str_eq(cap, "", "and clean");
  policy_free(p);
}

Test(policy_network, no_command_without_a_grant) {
  policy *p = POLICY("network:outbound:*:*", "fs:read:/usr/**");
  cr_assert_not(exec_ok(p, "ls", "/usr/bin/ls"));
  cr_assert_str_eq(cap, "exec:ls");
  cap_reads_back();
  policy_free(p);
}

/* ---- https-only and the connections limit ---- */

Test(policy_network, https_only_is_a_setting_line) {
  policy *p = policy_new();
  cr_assert_not(policy_https_only(p));
  policy_free(p);
  p = POLICY("network:outbound:*:443", "network:https-only",
             "limit:connections:8");
  cr_assert(policy_https_only(p));
  cr_assert_eq(policy_get_limits(p)->connections, 8);
  char *text = policy_describe(p);
  cr_assert_str_eq(text, "network:outbound:*:443\nnetwork:https-only\n"
                         "limit:connections:8\n");
  free(text);
  policy_free(p);
  cr_assert_str_eq(refusal("network:https-only:yes"),
                   "capability 'network:https-only:yes': "
                   "'network:https-only' takes no argument");
  cr_assert_str_eq(refusal("network:http-only"),
                   "capability 'network:http-only': unknown kind "
                   "'network:http-only'");
  cr_assert_str_eq(refusal("limit:connections:0"),
                   "capability 'limit:connections:0': bad connections '0': "
                   "must be more than zero");
  cr_assert_str_eq(refusal("limit:connections:many"),
                   "capability 'limit:connections:many': bad connections "
                   "'many': expected a positive whole number");
}

Test(policy_network, connections_keep_the_tighter_value) {
  policy *p = POLICY("limit:connections:8", "limit:connections:16");
  cr_assert_eq(policy_get_limits(p)->connections, 8);
  policy_free(p);
}

/* ---- describe, intersections, ceilings ---- */

Test(policy_network, describe_round_trips_to_the_same_network_decisions) {
  policy *p = POLICY("network:outbound:Api.Example.com:443",
                     "network:outbound:*.cdn.example:80,8000-8100",
                     "network:outbound:127.0.0.1:8080",
                     "network:outbound:[fd00::/8]:*", "network:https-only",
                     "exec:git", "exec:/usr/bin/make", "limit:connections:3");
  char *text = policy_describe(p), *save, err[256];
  policy *q = policy_new();
  for (char *line = strtok_r(text, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save))
    cr_assert_eq(policy_allow(q, line, err, sizeof err), 0, "%s", err);
  free(text);
  static const char *const hosts[] = {"api.example.com", "a.cdn.example",
                                      "cdn.example", "127.0.0.1", "fd00::5",
                                      "localhost"};
  static const char *const addrs[] = {"93.184.216.34", "127.0.0.1", "fd00::5",
                                      "10.0.0.1"};
  static const unsigned ports[] = {80, 443, 8080, 8050, 22};
  char c2[512];
  for (size_t h = 0; h < sizeof hosts / sizeof hosts[0]; h++)
    for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++) {
      bool a = name_ok(p, hosts[h], ports[i]);
      cr_assert_eq(a, policy_may_connect_name(q, hosts[h], ports[i], c2,
                                              sizeof c2));
      cr_assert_str_eq(cap, c2);
      for (size_t k = 0; k < sizeof addrs / sizeof addrs[0]; k++) {
        struct sockaddr_storage ss = sa_of(addrs[k]);
        a = addr_ok(p, hosts[h], addrs[k], ports[i]);
        cr_assert_eq(a, policy_may_connect_addr(q, hosts[h],
                                                (struct sockaddr *)&ss,
                                                ports[i], c2, sizeof c2));
        cr_assert_str_eq(cap, c2);
      }
    }
  cr_assert_eq(exec_ok(p, "git", "/usr/bin/git"),
               policy_may_exec(q, "git", "/usr/bin/git", NULL, 0));
  cr_assert_eq(exec_ok(p, "make", "/usr/bin/make"),
               policy_may_exec(q, "make", "/usr/bin/make", NULL, 0));
  cr_assert(policy_https_only(q));
  cr_assert_eq(policy_get_limits(q)->connections, 3);
  policy_free(p);
  policy_free(q);
}

Test(policy_network, an_intersection_needs_both_for_network_and_exec) {
  policy *g = POLICY("network:outbound:*.example.com:*",
                     "network:outbound:127.0.0.1:*", "exec:git", "exec:make",
                     "limit:connections:10");
  policy *r = POLICY("network:outbound:api.example.com:443",
                     "network:outbound:127.0.0.1:8080", "exec:git",
                     "network:https-only", "limit:connections:4");
  policy *both = policy_intersect(g, r);
  cr_assert(name_ok(both, "api.example.com", 443));
  cr_assert_str_eq(cap, "network:outbound:*.example.com:*", "grant's line");
  cr_assert_not(name_ok(both, "api.example.com", 80));
  cr_assert_str_eq(cap, "network:outbound:api.example.com:80");
  cr_assert_not(name_ok(both, "www.example.com", 443), "request refuses");
  cr_assert(addr_ok(both, "api.example.com", "93.184.216.34", 443));
  cr_assert_not(addr_ok(both, "api.example.com", "127.0.0.1", 443));
  cr_assert(addr_ok(both, "localhost", "127.0.0.1", 8080));
  cr_assert_not(addr_ok(both, "localhost", "127.0.0.1", 9090));
  cr_assert(exec_ok(both, "git", "/usr/bin/git"));
  cr_assert_not(exec_ok(both, "make", "/usr/bin/make"));
  cr_assert_str_eq(cap, "exec:make");
  cr_assert(policy_https_only(both), "either side's https-only holds");
  cr_assert_not(policy_https_only(g));
  cr_assert_eq(policy_get_limits(both)->connections, 4);
  policy *other = policy_intersect(r, g);
  cr_assert(policy_https_only(other));
  policy_free(other);
  policy_free(g);
  policy_free(r);
  policy_free(both);
}

static void count_excess(void *ud, const char *line, const char *why) {
  (void)line;
  (void)why;
  (*(int *)ud)++;
}

static bool covered(const char *ceiling, const char *request) {
  policy *c = POLICY(ceiling), *r = POLICY(request);
  int n = 0;
  policy_excess(c, r, count_excess, &n);
  policy_free(c);
  policy_free(r);
  return n == 0;
}

Test(policy_network, star_covers_names_and_public_addresses_only) {
  cr_assert(covered("network:outbound:*:443", "network:outbound:a.example:443"));
  cr_assert(covered("network:outbound:*:443", "network:outbound:*.a.example:443"));
  cr_assert(covered("network:outbound:*:443", "network:outbound:8.8.8.8:443"));
  cr_assert(covered("network:outbound:*:443", "network:outbound:8.8.8.0/24:443"));
  cr_assert(covered("network:outbound:*:443",
                    "network:outbound:[2606:4700::/32]:443"));
  cr_assert_not(covered("network:outbound:*:443",
                        "network:outbound:127.0.0.1:443"));
  cr_assert_not(covered("network:outbound:*:443",
                        "network:outbound:10.0.0.0/8:443"));
  cr_assert_not(covered("network:outbound:*:443",
                        "network:outbound:0.0.0.0/0:443"));
  cr_assert_not(covered("network:outbound:*:443", "network:outbound:[::1]:443"));
  cr_assert_not(covered("network:outbound:*:443",
                        "network:outbound:[2001::/16]:443"),
                "it holds 2001:db8::/32");
  cr_assert_not(covered("network:outbound:*:443",
                        "network:outbound:[::ffff:10.0.0.1]:443"));
}

Test(policy_network, address_grants_cover_the_addresses_they_hold) {
  cr_assert(covered("network:outbound:10.0.0.0/8:*",
                    "network:outbound:10.1.0.0/16:5432"));
  cr_assert(covered("network:outbound:10.0.0.0/8:*",
                    "network:outbound:10.0.0.1:80"));
  cr_assert(covered("network:outbound:10.0.0.0/8:*",
                    "network:outbound:[::ffff:10.0.0.1]:80"));
  cr_assert(covered("network:outbound:[::/0]:*", "network:outbound:[::1]:80"));
  cr_assert_not(covered("network:outbound:10.0.0.0/8:*",
                        "network:outbound:11.0.0.0/8:80"));
  cr_assert_not(covered("network:outbound:10.1.0.0/16:*",
                        "network:outbound:10.0.0.0/8:80"));
  cr_assert_not(covered("network:outbound:10.0.0.0/8:*",
                        "network:outbound:db.internal:5432"),
                "a name may resolve anywhere public");
  cr_assert_not(covered("network:outbound:localhost:*",
                        "network:outbound:127.0.0.1:80"));
  cr_assert_not(covered("network:outbound:8.8.8.8:*",
                        "network:outbound:dns.google:53"));
}

Test(policy_network, names_cover_in_any_spelling) {
  cr_assert(covered("network:outbound:Example.com.:443",
                    "network:outbound:example.COM:443"));
  cr_assert(covered("network:outbound:*.example.com:443",
                    "network:outbound:*.a.example.com:443"));
  cr_assert_not(covered("network:outbound:*.example.com:443",
                        "network:outbound:*:443"));
}

Test(policy_network, exec_coverage_follows_the_decision) {
  cr_assert(covered("exec:*", "exec:git"));
  cr_assert(covered("exec:*", "exec:/usr/bin/git"));
  cr_assert(covered("exec:/usr/bin/git", "exec:/usr/bin/git"));
  cr_assert_not(covered("exec:git", "exec:/usr/bin/git"),
                "the request also runs /usr/bin/git named by its path");
  cr_assert_not(covered("exec:/usr/bin/git", "exec:git"),
                "the request runs whatever git resolves to");
  cr_assert_not(covered("exec:git", "exec:*"));
}

Test(policy_network, a_higher_connections_limit_is_excess) {
  cr_assert_not(covered("limit:connections:4", "limit:connections:8"));
  cr_assert(covered("limit:connections:8", "limit:connections:4"));
}

Test(policy_network, a_refused_address_is_explained_in_one_sentence) {
  char why[256];
  struct sockaddr_storage lo = sa_of("127.0.0.1"), any = sa_of("0.0.0.0"),
                          pub = sa_of("93.184.216.34");
  policy_addr_refusal("localhost", (struct sockaddr *)&lo,
                      "network:outbound:127.0.0.1:80", why, sizeof why);
  cr_assert_str_eq(why, "localhost resolves to 127.0.0.1, a loopback "
                        "address: grant it by address "
                        "(network:outbound:127.0.0.1:80)");
  policy_addr_refusal("0.0.0.0", (struct sockaddr *)&any,
                      "network:outbound:0.0.0.0:80", why, sizeof why);
  cr_assert_str_eq(why, "0.0.0.0 is an unspecified address: grant it by "
                        "address (network:outbound:0.0.0.0:80)");
  policy_addr_refusal("example.com", (struct sockaddr *)&pub,
                      "network:outbound:93.184.216.34:80", why, sizeof why);
  cr_assert_str_eq(why, "example.com resolves to 93.184.216.34, which is "
                        "not granted (network:outbound:93.184.216.34:80)");
  policy_addr_text((struct sockaddr *)&pub, why, sizeof why);
  cr_assert_str_eq(why, "93.184.216.34");
}
