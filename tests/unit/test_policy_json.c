/*
** test_policy_json.c: the JSON policy format, both models, and its errors
** with their line, column and field path.
*/
#include <stdio.h>
#include <stdlib.h>

#include "policy_helpers.h"

static int parse(policy *p, const char *json, char *err, size_t errlen) {
  return policy_parse_json(p, "p.json", json, strlen(json), err, errlen);
}

/* The message parsing json gives (it must fail); p stays unchanged. */
static const char *json_error(const char *json) {
  static char err[1024];
  policy *p = POLICY("clock");
  char *before = policy_describe(p);
  cr_assert_eq(parse(p, json, err, sizeof err), -1, "accepted: %s", json);
  char *after = policy_describe(p);
  cr_assert_str_eq(before, after, "a failed parse changed the policy");
  free(before);
  free(after);
  policy_free(p);
  return err;
}

static char *describe_json(const char *json) {
  policy *p = policy_new();
  char err[1024];
  cr_assert_eq(parse(p, json, err, sizeof err), 0, "%s", err);
  char *text = policy_describe(p);
  policy_free(p);
  return text;
}

Test(policy_json, capability_strings_model) {
  char *text = describe_json(
      "{\"capabilities\": [\"fs:read:/etc/**\", \"network:outbound:80,443\",\n"
      "                   \"exec:systemctl\", \"env:AWS_*\"]}");
  cr_assert_str_eq(text, "fs:read:/etc/**\nenv:AWS_*\n"
                         "network:outbound:*:80,443\nexec:systemctl\n");
  free(text);
}

Test(policy_json, structured_model) {
  char *text = describe_json(
      "{\n"
      "  \"filesystem\": {\"read\": [\"/data/**\"], \"write\": [\"/out/**\"],\n"
      "                 \"tmp\": true, \"max_file_size\": \"10M\",\n"
      "                 \"create_directories\": false},\n"
      "  \"env\": [\"HOME\", \"APP_*\"], \"clock\": true, \"random\": false,\n"
      "  \"network\": {\"outbound\": [\"api.example.com:443\"]},\n"
      "  \"exec\": [\"git\"],\n"
      "  \"dirs\": [{\"host\": \"/srv/x\", \"guest\": \"/x\", \"read_only\": true},\n"
      "           {\"host\": \"/srv/y\"}],\n"
      "  \"limits\": {\"memory\": \"64M\", \"fuel\": 1000000, \"wall_time\": \"5s\",\n"
      "             \"output\": \"1M\", \"host_calls\": 10000,\n"
      "             \"bytes_read\": \"100M\", \"bytes_written\": 10485760,\n"
      "             \"open_files\": 64}\n"
      "}\n");
  cr_assert_str_eq(text,
                   "ro-dir:/srv/x::/x\n"
                   "dir:/srv/y\n"
                   "fs:read:/data/**\n"
                   "fs:write:/out/**\n"
                   "env:HOME\n"
                   "env:APP_*\n"
                   "network:outbound:api.example.com:443\n"
                   "exec:git\n"
                   "clock\n"
                   "tmp:/tmp\n"
                   "fs:no-mkdir\n"
                   "limit:memory:64M\n"
                   "limit:fuel:1000000\n"
                   "limit:wall_time:5s\n"
                   "limit:output:1M\n"
                   "limit:host_calls:10000\n"
                   "limit:bytes_read:100M\n"
                   "limit:bytes_written:10M\n"
                   "limit:file_size:10M\n"
                   "limit:open_files:64\n");
  free(text);
}

Test(policy_json, structured_decisions) {
  policy *p = policy_new();
  char err[512];
  cr_assert_eq(parse(p, "{\"filesystem\": {\"read\": [\"/data/**\"], "
                        "\"write\": [\"/out/**\"], \"create_directories\": "
                        "false}}", err, sizeof err), 0, "%s", err);
  cr_assert(may(p, "/data/a", POLICY_READ));
  cr_assert_not(may(p, "/data/a", POLICY_WRITE));
  cr_assert(may(p, "/out/a", POLICY_WRITE));
  cr_assert_not(may(p, "/out/d", POLICY_MKDIR), "create_directories false");
  policy_free(p);
}

Test(policy_json, integer_wall_time_is_seconds_like_the_cli) {
  char *text = describe_json("{\"limits\": {\"wall_time\": 5}}");
  cr_assert_str_eq(text, "limit:wall_time:5s\n");
  free(text);
}

Test(policy_json, tmp_may_name_its_guest_path) {
  char *text = describe_json("{\"filesystem\": {\"tmp\": \"/scratch\"}}");
  cr_assert_str_eq(text, "tmp:/scratch\n");
  free(text);
  text = describe_json("{\"filesystem\": {\"tmp\": false}}");
  cr_assert_str_eq(text, "");
  free(text);
}

Test(policy_json, syntax_errors_have_jansson_positions) {
  cr_assert_str_eq(json_error("{\n  \"clock\": tru\n}"),
                   "p.json:2:14: invalid token near 'tru'");
  cr_assert_str_eq(json_error("{\"clock\": true, \"clock\": false}"),
                   "p.json:1:23: duplicate object key near '\"clock\"'");
  cr_assert_str_eq(json_error(""),
                   "p.json:1:0: '[' or '{' expected near end of file");
}

Test(policy_json, unknown_fields_are_errors_at_their_key) {
  cr_assert_str_eq(json_error("{\n  \"clock\": true,\n  \"clocks\": true\n}"),
                   "p.json:3:3: clocks: unknown field (known: capabilities, "
                   "filesystem, env, clock, random, network, exec, dirs, "
                   "limits)");
  cr_assert_str_eq(json_error("{\"filesystem\": {\"read\": [], \"reed\": []}}"),
                   "p.json:1:29: filesystem.reed: unknown field (known: read, "
                   "write, tmp, max_file_size, create_directories)");
  cr_assert_str_eq(json_error("{\"limits\": {\"memry\": 5}}"),
                   "p.json:1:13: limits.memry: unknown limit (known: memory, "
                   "fuel, wall_time, output, host_calls, bytes_read, "
                   "bytes_written, file_size, open_files, connections)");
  cr_assert_str_eq(json_error("{\"dirs\": [{\"host\": \"/a\", \"ro\": true}]}"),
                   "p.json:1:26: dirs[0].ro: unknown field (known: host, "
                   "guest, read_only)");
}

Test(policy_json, bad_values_are_errors_at_the_value) {
  cr_assert_str_eq(json_error("{\"filesystem\": {\"read\": [\"/a\",\n"
                              "  \"etc\"]}}"),
                   "p.json:2:3: filesystem.read[1]: the path must be absolute");
  cr_assert_str_eq(json_error("{\"capabilities\": [\"clock\", \"fs:rea:/x\"]}"),
                   "p.json:1:28: capabilities[1]: unknown kind 'fs:rea'");
  cr_assert_str_eq(json_error("{\"limits\": {\"memory\": \"12x\"}}"),
                   "p.json:1:23: limits.memory: bad memory '12x': expected "
                   "bytes, with an optional K, M or G suffix");
  cr_assert_str_eq(json_error("{\"limits\": {\"fuel\": -1}}"),
                   "p.json:1:21: limits.fuel: bad fuel '-1': expected a "
                   "positive whole number");
  cr_assert_str_eq(json_error("{\"limits\": {\"fuel\": 1.5}}"),
                   "p.json:1:21: limits.fuel: expected a number or a string");
  cr_assert_str_eq(json_error("{\"clock\": \"yes\"}"),
                   "p.json:1:11: clock: expected true or false");
  cr_assert_str_eq(json_error("{\"env\": \"HOME\"}"),
                   "p.json:1:9: env: expected an array of strings");
  cr_assert_str_eq(json_error("{\"env\": [1]}"),
                   "p.json:1:10: env[0]: expected a string");
  cr_assert_str_eq(json_error("{\"filesystem\": []}"),
                   "p.json:1:16: filesystem: expected an object");
  cr_assert_str_eq(json_error("{\"filesystem\": {\"tmp\": 1}}"),
                   "p.json:1:24: filesystem.tmp: expected true, false or a "
                   "guest path");
  cr_assert_str_eq(json_error("{\"network\": {\"outbound\": [\"h:99999\"]}}"),
                   "p.json:1:27: network.outbound[0]: port 99999 out of range");
}

Test(policy_json, network_domains_on_ports_become_outbound_grants) {
  char *text = describe_json(
      "{\"network\": {\"outbound\": [\"10.0.0.0/8:5432\"],\n"
      "  \"allowed_domains\": [\"api.example.com\", \"*.CDN.example\", \"*\"],\n"
      "  \"allowed_ports\": [443, \"8000-8100\", \"8443\"],\n"
      "  \"max_connections\": 4, \"require_https\": true,\n"
      "  \"allow_listen\": false}}");
  cr_assert_str_eq(text, "network:outbound:10.0.0.0/8:5432\n"
                         "network:outbound:api.example.com:443,8000-8100,8443\n"
                         "network:outbound:*.cdn.example:443,8000-8100,8443\n"
                         "network:outbound:*:443,8000-8100,8443\n"
                         "network:https-only\n"
                         "limit:connections:4\n");
  free(text);
}

Test(policy_json, network_domains_without_ports_get_the_web_ports) {
  char *text = describe_json(
      "{\"network\": {\"allowed_domains\": [\"example.com\"]}}");
  cr_assert_str_eq(text, "network:outbound:example.com:80,443\n");
  free(text);
  /* require_https after the domains still decides their ports. */
  text = describe_json("{\"network\": {\"allowed_domains\": [\"example.com\"], "
                       "\"require_https\": true}}");
  cr_assert_str_eq(text, "network:outbound:example.com:443\n"
                         "network:https-only\n");
  free(text);
  text = describe_json("{\"network\": {\"allowed_domains\": [], "
                       "\"require_https\": false}}");
  cr_assert_str_eq(text, "");
  free(text);
}

Test(policy_json, network_decisions_from_the_structured_form) {
  policy *p = policy_new();
  char err[512];
  cr_assert_eq(parse(p, "{\"network\": {\"allowed_domains\": "
                        "[\"*.example.com\"], \"allowed_ports\": [443]}, "
                        "\"exec\": [\"git\"]}", err, sizeof err), 0, "%s", err);
  cr_assert(policy_may_connect_name(p, "api.example.com", 443, NULL, 0));
  cr_assert_not(policy_may_connect_name(p, "example.com", 443, NULL, 0));
  cr_assert_not(policy_may_connect_name(p, "api.example.com", 80, NULL, 0));
  cr_assert(policy_may_exec(p, "git", "/usr/bin/git", NULL, 0));
  cr_assert_not(policy_https_only(p));
  policy_free(p);
}

Test(policy_json, connections_is_a_limit) {
  char *text = describe_json("{\"limits\": {\"connections\": 16}}");
  cr_assert_str_eq(text, "limit:connections:16\n");
  free(text);
  text = describe_json("{\"network\": {\"max_connections\": \"8\"}, "
                       "\"limits\": {\"connections\": 16}}");
  cr_assert_str_eq(text, "limit:connections:8\n", "the tighter one");
  free(text);
}

Test(policy_json, network_field_errors) {
  cr_assert_str_eq(json_error("{\"network\": {\"allow_listen\": true}}"),
                   "p.json:1:30: network.allow_listen: plugsup never listens "
                   "for a plugin: only outbound connections can be granted");
  cr_assert_str_eq(json_error("{\"network\": {\"allow_listen\": 0}}"),
                   "p.json:1:30: network.allow_listen: expected true or false");
  cr_assert_str_eq(json_error("{\"network\": {\"allowed_ports\": [443]}}"),
                   "p.json:1:14: network.allowed_ports: allowed_ports grants "
                   "nothing without allowed_domains (\"*\" for any host)");
  cr_assert_str_eq(json_error("{\"network\": {\"allowed_domains\": "
                              "[\"a.example\", \"10.0.0.1\"]}}"),
                   "p.json:1:47: network.allowed_domains[1]: expected a domain "
                   "name (example.com, *.example.com or *); addresses go in "
                   "network.outbound");
  cr_assert_str_eq(json_error("{\"network\": {\"allowed_domains\": "
                              "[\"-x.example\"]}}"),
                   "p.json:1:34: network.allowed_domains[0]: expected a domain "
                   "name (example.com, *.example.com or *); addresses go in "
                   "network.outbound");
  cr_assert_str_eq(json_error("{\"network\": {\"allowed_domains\": \"a\"}}"),
                   "p.json:1:33: network.allowed_domains: expected an array of "
                   "strings");
  cr_assert_str_eq(json_error("{\"network\": {\"allowed_domains\": [1]}}"),
                   "p.json:1:34: network.allowed_domains[0]: expected a "
                   "string");
  cr_assert_str_eq(json_error("{\"network\": {\"allowed_domains\": [\"a\"], "
                              "\"allowed_ports\": []}}"),
                   "p.json:1:57: network.allowed_ports: expected an array of "
                   "ports, not empty");
}

Test(policy_json, network_port_errors) {
  static const struct {
    const char *port, *message;
  } cases[] = {
      {"0", "port 0 out of range"},
      {"70000", "port 70000 out of range"},
      {"\"70000\"", "port 70000 out of range"},
      {"\"9-1\"", "port range '9-1' is reversed"},
      {"\"http\"", "expected a port, or a range as \"8000-8100\""},
      {"\"*\"", "expected a port, or a range as \"8000-8100\""},
      {"\"80,443\"", "expected a port, or a range as \"8000-8100\""},
      {"\"\"", "expected a port, or a range as \"8000-8100\""},
      {"\"8-\"", "bad port ''"},
      {"1.5", "expected a port, or a range as \"8000-8100\""},
      {"true", "expected a port, or a range as \"8000-8100\""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char json[256], want[256];
    snprintf(json, sizeof json, "{\"network\": {\"allowed_domains\": [\"a\"], "
             "\"allowed_ports\": [%s]}}", cases[i].port);
    snprintf(want, sizeof want, "p.json:1:58: network.allowed_ports[0]: %s",
             cases[i].message);
    cr_assert_str_eq(json_error(json), want, "%s", cases[i].port);
  }
}

Test(policy_json, network_settings_errors) {
  cr_assert_str_eq(json_error("{\"network\": {\"max_connections\": 0}}"),
                   "p.json:1:33: network.max_connections: bad connections "
                   "'0': must be more than zero");
  cr_assert_str_eq(json_error("{\"network\": {\"require_https\": \"yes\"}}"),
                   "p.json:1:31: network.require_https: expected true or "
                   "false");
  cr_assert_str_eq(json_error("{\"network\": {\"allowed_hosts\": []}}"),
                   "p.json:1:14: network.allowed_hosts: unknown field (known: "
                   "outbound, allowed_domains, allowed_ports, max_connections, "
                   "require_https, allow_listen)");
}

Test(policy_json, dirs_errors) {
  cr_assert_str_eq(json_error("{\"dirs\": [{\"guest\": \"/x\"}]}"),
                   "p.json:1:11: dirs[0]: missing the field 'host'");
  cr_assert_str_eq(json_error("{\"dirs\": [{\"host\": \"/a\"},\n"
                              "  {\"host\": \"/b\", \"guest\": \"b\"}]}"),
                   "p.json:2:3: dirs[1]: guest path 'b' must be absolute");
  cr_assert_str_eq(json_error("{\"dirs\": {}}"),
                   "p.json:1:10: dirs: expected an array of objects");
}

Test(policy_json, top_level_must_be_an_object) {
  cr_assert_str_eq(json_error("[\"clock\"]"),
                   "p.json:1:1: a policy is a JSON object");
}

Test(policy_json, positions_count_characters_and_skip_nested_values) {
  cr_assert_str_eq(json_error("{\"env\": [\"\xc3\xa9\", \"A\", \"\\\"\", 5]}"),
                   "p.json:1:26: env[3]: expected a string");
  cr_assert_str_eq(json_error("{\"dirs\": [{\"host\": \"/a\", \"guest\": \"/]}\"}],\n"
                              " \"clock\": 3}"),
                   "p.json:2:11: clock: expected true or false");
}

Test(policy_json, escaped_keys_are_found) {
  cr_assert_str_eq(json_error("{\"\\u0063lock\": 1}"),
                   "p.json:1:16: clock: expected true or false");
}

Test(policy_json, a_failed_parse_leaves_the_policy_unchanged) {
  /* json_error checks it for every message above; here the first half of
  ** the text was good and would have granted. */
  cr_assert_str_eq(json_error("{\"capabilities\": [\"fs:read:/etc/**\"], "
                              "\"dirs\": [{\"host\": \"/srv\"}], "
                              "\"limits\": {\"fuel\": 0}}"),
                   "p.json:1:86: limits.fuel: bad fuel '0': must be more "
                   "than zero");
}

Test(policy_json, adds_to_what_the_policy_had) {
  policy *p = POLICY("clock", "limit:fuel:100");
  char err[256];
  cr_assert_eq(parse(p, "{\"random\": true, \"limits\": {\"fuel\": 500}}", err,
                     sizeof err), 0);
  char *text = policy_describe(p);
  cr_assert_str_eq(text, "clock\nrandom\nlimit:fuel:100\n");
  free(text);
  policy_free(p);
}
