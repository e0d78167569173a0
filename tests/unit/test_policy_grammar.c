/*
** test_policy_grammar.c: policy lines accepted, refused with their exact
** message, and written back in canonical form.
*/
#include <stdio.h>
#include <stdlib.h>

#include "policy_helpers.h"

/* The text describe gives for a policy of one line. */
static char *described(const char *line) {
  policy *p = POLICY(line);
  char *text = policy_describe(p);
  policy_free(p);
  return text;
}

Test(policy_grammar, every_kind_parses_and_shows_as_written) {
  static const char *const lines[] = {
      "fs:read:/etc/**",          "fs:write:/srv/out/*.json",
      "env:AWS_*",                "network:outbound:api.example.com:443",
      "exec:systemctl",           "clock",
      "random",
  };
  for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
    char *text = described(lines[i]);
    char want[128];
    snprintf(want, sizeof want, "%s\n", lines[i]);
    cr_assert_str_eq(text, want);
    free(text);
  }
}

Test(policy_grammar, paths_are_normalised) {
  char *text = described("fs:read:/srv//data/./x/");
  cr_assert_str_eq(text, "fs:read:/srv/data/x\n");
  free(text);
}

Test(policy_grammar, short_network_form_means_any_host) {
  char *text = described("network:outbound:80,443");
  cr_assert_str_eq(text, "network:outbound:*:80,443\n");
  free(text);
}

Test(policy_grammar, network_hosts_of_every_shape_parse) {
  static const char *const ok[] = {
      "network:outbound:*.example.com:443", "network:outbound:10.0.0.1:80",
      "network:outbound:10.0.0.0/8:*",      "network:outbound:[::1]:8080",
      "network:outbound:[2001:db8::/32]:1-65535",
      "network:outbound:h:8000-8100",       "network:outbound:*:*",
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
    policy_free(POLICY(ok[i]));
}

Test(policy_grammar, exec_takes_a_name_or_an_absolute_path) {
  policy_free(POLICY("exec:git", "exec:/usr/bin/git"));
  cr_assert_str_eq(refusal("exec:bin/git"),
                   "capability 'exec:bin/git': the command must be a program "
                   "name or an absolute path");
  cr_assert_str_eq(refusal("exec:"), "capability 'exec:': missing the command");
}

Test(policy_grammar, unknown_kinds_are_named) {
  cr_assert_str_eq(refusal("fs:rea:/x"),
                   "capability 'fs:rea:/x': unknown kind 'fs:rea'");
  cr_assert_str_eq(refusal("files:/x"),
                   "capability 'files:/x': unknown kind 'files'");
  cr_assert_str_eq(refusal("network:inbound:80"),
                   "capability 'network:inbound:80': unknown kind "
                   "'network:inbound'");
  cr_assert_str_eq(refusal("network:https-only:80"),
                   "capability 'network:https-only:80': 'network:https-only' "
                   "takes no argument");
  cr_assert_str_eq(refusal(""), "capability '': unknown kind ''");
  cr_assert_str_eq(refusal("clocks"), "capability 'clocks': unknown kind 'clocks'");
}

Test(policy_grammar, fs_paths_must_be_absolute_and_plain) {
  cr_assert_str_eq(refusal("fs:read:etc"),
                   "capability 'fs:read:etc': the path must be absolute");
  cr_assert_str_eq(refusal("fs:read:"),
                   "capability 'fs:read:': missing the path");
  cr_assert_str_eq(refusal("fs:read"),
                   "capability 'fs:read': 'fs:read' needs an argument after ':'");
  cr_assert_str_eq(refusal("fs:write:/srv/../etc"),
                   "capability 'fs:write:/srv/../etc': '..' is not allowed "
                   "in a path");
  cr_assert_str_eq(refusal("fs:read:/srv/a**"),
                   "capability 'fs:read:/srv/a**': '**' must be a whole path "
                   "component");
}

Test(policy_grammar, overlong_paths_are_refused) {
  char line[5000] = "fs:read:/";
  memset(line + 9, 'a', 4100);
  line[4109] = '\0';
  cr_assert(strstr(refusal(line), ": the path is longer than 4096 bytes"));
}

Test(policy_grammar, env_patterns_need_a_name_without_equals) {
  cr_assert_str_eq(refusal("env:"),
                   "capability 'env:': missing the variable name");
  cr_assert_str_eq(refusal("env:A=B"),
                   "capability 'env:A=B': a variable name cannot contain '='");
}

Test(policy_grammar, bare_kinds_take_no_argument) {
  cr_assert_str_eq(refusal("clock:wall"),
                   "capability 'clock:wall': 'clock' takes no argument");
  cr_assert_str_eq(refusal("fs:no-mkdir:yes"),
                   "capability 'fs:no-mkdir:yes': 'fs:no-mkdir' takes no "
                   "argument");
}

Test(policy_grammar, bad_ports_are_named) {
  cr_assert_str_eq(refusal("network:outbound:h:99999"),
                   "capability 'network:outbound:h:99999': port 99999 out of "
                   "range");
  cr_assert_str_eq(refusal("network:outbound:h:0"),
                   "capability 'network:outbound:h:0': port 0 out of range");
  cr_assert_str_eq(refusal("network:outbound:h:8100-8000"),
                   "capability 'network:outbound:h:8100-8000': port range "
                   "'8100-8000' is reversed");
  cr_assert_str_eq(refusal("network:outbound:h:80,,443"),
                   "capability 'network:outbound:h:80,,443': bad port ''");
  cr_assert_str_eq(refusal("network:outbound:h:http"),
                   "capability 'network:outbound:h:http': bad port 'http'");
  cr_assert_str_eq(refusal("network:outbound:h:"),
                   "capability 'network:outbound:h:': missing the ports");
}

Test(policy_grammar, bad_hosts_are_named) {
  cr_assert_str_eq(refusal("network:outbound:example.com"),
                   "capability 'network:outbound:example.com': missing the "
                   "ports (HOST:PORTS)");
  cr_assert_str_eq(refusal("network:outbound:300.1.1.1:80"),
                   "capability 'network:outbound:300.1.1.1:80': bad IPv4 "
                   "address '300.1.1.1'");
  cr_assert_str_eq(refusal("network:outbound:10.0.0.0/33:80"),
                   "capability 'network:outbound:10.0.0.0/33:80': bad IPv4 "
                   "address '10.0.0.0/33'");
  cr_assert_str_eq(refusal("network:outbound:::1:80"),
                   "capability 'network:outbound:::1:80': an IPv6 address "
                   "must be in brackets, as [::1]");
  cr_assert_str_eq(refusal("network:outbound:[::g]:80"),
                   "capability 'network:outbound:[::g]:80': bad IPv6 address "
                   "'::g'");
  cr_assert_str_eq(refusal("network:outbound:[::1:80"),
                   "capability 'network:outbound:[::1:80': an IPv6 address "
                   "must end with ']'");
  cr_assert_str_eq(refusal("network:outbound:-bad-.com:80"),
                   "capability 'network:outbound:-bad-.com:80': bad host name "
                   "'-bad-.com'");
  cr_assert_str_eq(refusal("network:outbound:a.*.com:80"),
                   "capability 'network:outbound:a.*.com:80': bad host name "
                   "'a.*.com'");
}

Test(policy_grammar, a_name_whose_last_label_is_numeric_is_no_name) {
  /* An address parser takes 0x7f.1 (and 127.1) for 127.0.0.1. */
  cr_assert_str_eq(refusal("network:outbound:0x7f.1:80"),
                   "capability 'network:outbound:0x7f.1:80': bad host name "
                   "'0x7f.1'");
  cr_assert_str_eq(refusal("network:outbound:host.123:80"),
                   "capability 'network:outbound:host.123:80': bad host name "
                   "'host.123'");
  cr_assert_str_eq(refusal("network:outbound:*.7:80"),
                   "capability 'network:outbound:*.7:80': bad host name "
                   "'*.7'");
  cr_assert_str_eq(refusal("network:outbound:127.1:80"),
                   "capability 'network:outbound:127.1:80': bad IPv4 address "
                   "'127.1'");
  policy_free(POLICY("network:outbound:1password.com:443",
                     "network:outbound:a-1.b2:443"));
}

Test(policy_grammar, network_names_are_written_in_lower_case_without_the_dot) {
  char *text = described("network:outbound:*.Example.COM.:443");
  cr_assert_str_eq(text, "network:outbound:*.example.com:443\n");
  free(text);
  text = described("network:outbound:[2001:DB8::1]:443");
  cr_assert_str_eq(text, "network:outbound:[2001:db8::1]:443\n");
  free(text);
}

Test(policy_grammar, settings_lines_parse) {
  policy *p = POLICY("dir:/srv/x::/x", "ro-dir:/etc", "tmp:/scratch",
                     "limit:memory:64M", "limit:wall_time:1500ms",
                     "fs:no-mkdir");
  cr_assert_eq(policy_get_limits(p)->memory_bytes, 64u << 20);
  cr_assert_eq(policy_get_limits(p)->wall_ms, 1500);
  cr_assert_str_eq(policy_tmpdir(p), "/scratch");
  policy_free(p);
  cr_assert_str_eq(refusal("limit:speed:3"),
                   "capability 'limit:speed:3': unknown limit 'speed'");
  cr_assert_str_eq(refusal("limit:memory:12x"),
                   "capability 'limit:memory:12x': bad memory '12x': expected "
                   "bytes, with an optional K, M or G suffix");
  cr_assert_str_eq(refusal("limit:memory"),
                   "capability 'limit:memory': expected limit:NAME:VALUE");
  cr_assert_str_eq(refusal("tmp:scratch"),
                   "capability 'tmp:scratch': temporary directory 'scratch': "
                   "the path must be absolute");
  cr_assert_str_eq(refusal("dir:srv"),
                   "capability 'dir:srv': host path 'srv' must be absolute");
  cr_assert_str_eq(refusal("dir:/srv::x"),
                   "capability 'dir:/srv::x': guest path 'x' must be absolute");
}

Test(policy_grammar, limits_keep_the_tighter_value) {
  policy *p = POLICY("limit:fuel:500", "limit:fuel:900", "limit:fuel:100");
  cr_assert_eq(policy_get_limits(p)->fuel, 100);
  policy_free(p);
}

Test(policy_grammar, the_same_grant_twice_is_kept_once) {
  policy *p = POLICY("fs:read:/a/**", "fs:read:/a//**", "clock", "clock");
  char *text = policy_describe(p);
  cr_assert_str_eq(text, "fs:read:/a/**\nclock\n");
  free(text);
  policy_free(p);
}

Test(policy_grammar, kind_names_come_from_the_list) {
  cr_assert_str_eq(policy_cap_name(POLICY_CAP_FS_WRITE), "fs:write");
  cr_assert_str_eq(policy_cap_name(POLICY_CAP_NETWORK), "network:outbound");
  cr_assert_null(policy_cap_name(POLICY_CAP_COUNT));
}

/* Each grant is one line of policy_describe, which must read back: found
** by fuzz_abi_json, a describe() pattern holding a newline. */
Test(policy_grammar, a_control_character_is_refused) {
  cr_assert_str_eq(refusal("exec:ls\nfs:read:/**"),
                   "capability 'exec:ls\nfs:read:/**': holds a control "
                   "character (byte 0x0a)");
  cr_assert_str_eq(refusal("fs:read:/srv/a\tb"),
                   "capability 'fs:read:/srv/a\tb': holds a control "
                   "character (byte 0x09)");
  cr_assert_str_eq(refusal("env:A\x7f"),
                   "capability 'env:A\x7f': holds a control character "
                   "(byte 0x7f)");
}
