/*
** test_policy_intersect.c: policy_intersect (decisions need both yeses,
** and name the refusing side) and policy_excess (which request lines lie
** beyond a ceiling, glob coverage at its edges).
*/
#include <stdio.h>
#include <stdlib.h>

#include "policy_helpers.h"

/* ---- intersect ---- */

Test(policy_intersect, a_path_needs_both_and_names_the_refusing_side) {
  policy *g = POLICY("fs:write:/srv/**");
  policy *r = POLICY("fs:read:/srv/data/**");
  policy *both = policy_intersect(g, r);
  char cap[256];
  cr_assert(policy_may_access(both, "/srv/data/a", POLICY_READ, cap,
                              sizeof cap));
  cr_assert_str_eq(cap, "fs:write:/srv/**", "the grant's line when allowed");
  cr_assert_not(policy_may_access(both, "/srv/data/a", POLICY_WRITE, cap,
                                  sizeof cap));
  cr_assert_str_eq(cap, "fs:write:/srv/data/a", "the request's refusal");
  cr_assert_not(policy_may_access(both, "/srv/other", POLICY_READ, cap,
                                  sizeof cap));
  cr_assert_str_eq(cap, "fs:read:/srv/other");
  cr_assert_not(policy_may_access(both, "/etc/passwd", POLICY_READ, cap,
                                  sizeof cap));
  cr_assert_str_eq(cap, "fs:read:/etc/passwd", "the grant's refusal");
  policy_free(g);
  policy_free(r);
  policy_free(both);
}

Test(policy_intersect, clock_random_and_env_need_both) {
  policy *g = POLICY("clock", "random", "env:APP_*");
  policy *r = POLICY("clock", "env:APP_HOME");
  policy *both = policy_intersect(g, r);
  cr_assert(policy_has(both, POLICY_CAP_CLOCK));
  cr_assert_not(policy_has(both, POLICY_CAP_RANDOM));
  cr_assert(policy_may_env(both, "APP_HOME", NULL, 0));
  cr_assert_not(policy_may_env(both, "APP_KEY", NULL, 0));
  policy_free(g);
  policy_free(r);
  policy_free(both);
}

Test(policy_intersect, explicit_variables_are_filtered_by_the_request) {
  policy *g = POLICY("clock");
  policy *r = POLICY("env:KEEP");
  char err[256];
  cr_assert_eq(policy_set_env(g, "KEEP", "1", err, sizeof err), 0);
  cr_assert_eq(policy_set_env(g, "DROP", "2", err, sizeof err), 0);
  policy *both = policy_intersect(g, r);
  cr_assert_eq(policy_env_count(both), 1);
  cr_assert_str_eq(policy_env_at(both, 0)->name, "KEEP");
  cr_assert(policy_may_env(both, "KEEP", NULL, 0));
  cr_assert_not(policy_may_env(both, "DROP", NULL, 0));
  policy_free(g);
  policy_free(r);
  policy_free(both);
}

Test(policy_intersect, preopens_and_tmp_are_the_grants_but_tmp_needs_both) {
  policy *g = POLICY("dir:/srv", "tmp:/tmp");
  policy *r = POLICY("fs:read:/srv/a/**");
  policy *both = policy_intersect(g, r);
  char cap[256];
  cr_assert_eq(policy_preopen_count(both), 1);
  cr_assert_str_eq(policy_preopen_at(both, 0)->host, "/srv");
  cr_assert_str_eq(policy_tmpdir(both), "/tmp");
  cr_assert(policy_may_access(both, "/srv/a/x", POLICY_READ, cap,
                              sizeof cap));
  cr_assert_str_eq(cap, "dir:/srv");
  cr_assert_not(policy_may_tmp(both, POLICY_WRITE, cap, sizeof cap));
  cr_assert_str_eq(cap, "tmp:/tmp");
  policy_free(g);
  policy_free(r);
  policy_free(both);
}

Test(policy_intersect, limits_are_the_lower_of_the_two) {
  policy *g = POLICY("limit:memory:64M", "limit:fuel:1000");
  policy *r = POLICY("limit:memory:32M", "limit:fuel:5000",
                     "limit:wall_time:2s");
  policy *both = policy_intersect(g, r);
  const policy_limits *l = policy_get_limits(both);
  cr_assert_eq(l->memory_bytes, 32u << 20);
  cr_assert_eq(l->fuel, 1000);
  cr_assert_eq(l->wall_ms, 2000, "a limit the grant does not set");
  policy_free(g);
  policy_free(r);
  policy_free(both);
}

Test(policy_intersect, describe_lists_grant_then_request) {
  policy *g = POLICY("clock", "fs:read:/a/**");
  policy *r = POLICY("env:X");
  policy *both = policy_intersect(g, r);
  char *text = policy_describe(both);
  cr_assert_str_eq(text, "fs:read:/a/**\nclock\nrequest:\nenv:X\n");
  free(text);
  policy_free(g);
  policy_free(r);
  policy_free(both);
}

Test(policy_intersect, an_intersection_of_an_intersection_needs_all_three) {
  policy *a = POLICY("fs:read:/**");
  policy *b = POLICY("fs:read:/x/**");
  policy *c = POLICY("fs:read:/x/y/**");
  policy *ab = policy_intersect(a, b);
  policy *abc = policy_intersect(ab, c);
  cr_assert(may(abc, "/x/y/z", POLICY_READ));
  cr_assert_not(may(abc, "/x/z", POLICY_READ));
  cr_assert(may(ab, "/x/z", POLICY_READ), "ab is unchanged");
  policy_free(a);
  policy_free(b);
  policy_free(c);
  policy_free(ab);
  policy_free(abc);
}

Test(policy_intersect, inputs_are_unchanged) {
  policy *g = POLICY("fs:read:/**");
  policy *r = POLICY("fs:read:/x/**");
  policy *both = policy_intersect(g, r);
  cr_assert(may(g, "/y", POLICY_READ));
  cr_assert_not(may(r, "/y", POLICY_READ));
  policy_free(both);
  policy_free(g);
  policy_free(r);
}

/* ---- excess ---- */

typedef struct {
  char text[2048];
} lines;

static void collect(void *ud, const char *line, const char *why) {
  lines *l = ud;
  size_t n = strlen(l->text);
  snprintf(l->text + n, sizeof l->text - n, "%s (%s)\n", line, why);
}

/* The excess lines of request (one line) over ceiling (one line), as
** "LINE (WHY)\n" each. */
static const char *excess_of(const char *ceiling, const char *request) {
  static lines l;
  policy *c = POLICY(ceiling), *r = POLICY(request);
  l.text[0] = '\0';
  size_t n = policy_excess(c, r, collect, &l);
  cr_assert_eq(n, *l.text ? 1u : 0u);
  policy_free(c);
  policy_free(r);
  return l.text;
}

static bool covered(const char *ceiling, const char *request) {
  return *excess_of(ceiling, request) == '\0';
}

Test(policy_excess, globs_cover_by_wildcards_in_the_same_place) {
  cr_assert(covered("fs:read:/**", "fs:read:/srv/**"));
  cr_assert(covered("fs:read:/srv/**", "fs:read:/srv/**"));
  cr_assert(covered("fs:read:/srv/**", "fs:read:/srv"));
  cr_assert(covered("fs:read:/srv/*", "fs:read:/srv/a*"));
  cr_assert(covered("fs:read:/srv/**", "fs:read:/srv/*/x"));
  cr_assert(covered("fs:read:/srv/*.c", "fs:read:/srv/a*.c"));
  cr_assert(covered("fs:read:/srv/?", "fs:read:/srv/a"));
  cr_assert(covered("fs:read:/srv/*/x", "fs:read:/srv/?/x"));
  cr_assert_not(covered("fs:read:/srv/*", "fs:read:/srv/**"));
  cr_assert_not(covered("fs:read:/srv/a", "fs:read:/srv/?"));
  cr_assert_not(covered("fs:read:/srv/a*", "fs:read:/srv/*"));
  cr_assert_not(covered("fs:read:/srv/**", "fs:read:/**"));
  cr_assert_not(covered("fs:read:/srv/*/x", "fs:read:/srv/**/x"));
  cr_assert_not(covered("fs:read:/srv/x", "fs:read:/srv/xy"));
}

Test(policy_excess, write_covers_read_not_the_reverse) {
  cr_assert(covered("fs:write:/srv/**", "fs:read:/srv/a"));
  cr_assert_str_eq(excess_of("fs:read:/**", "fs:write:/srv/a"),
                   "fs:write:/srv/a (no line of the ceiling covers it)\n");
}

Test(policy_excess, directories_are_grants_of_their_tree) {
  cr_assert(covered("dir:/srv", "fs:write:/srv/a/**"));
  cr_assert(covered("ro-dir:/srv", "fs:read:/srv"));
  cr_assert_not(covered("ro-dir:/srv", "fs:write:/srv/a"));
  cr_assert(covered("fs:read:/srv/**", "ro-dir:/srv/x"));
  cr_assert_str_eq(excess_of("fs:read:/srv/**", "dir:/srv/x"),
                   "dir:/srv/x (no line of the ceiling covers it)\n");
}

Test(policy_excess, env_patterns_cover_like_globs) {
  cr_assert(covered("env:*", "env:HOME"));
  cr_assert(covered("env:APP_*", "env:APP_X*"));
  cr_assert_not(covered("env:APP_X*", "env:APP_*"));
  cr_assert_not(covered("env:HOME", "env:HOME*"));
}

Test(policy_excess, network_by_host_and_ports) {
  cr_assert(covered("network:outbound:*:*", "network:outbound:80,443"));
  cr_assert(covered("network:outbound:*:1-1024", "network:outbound:80,443"));
  cr_assert(covered("network:outbound:*.example.com:443",
                    "network:outbound:api.Example.com:443"));
  cr_assert(covered("network:outbound:[::1]:80",
                    "network:outbound:[::1]:80"));
  cr_assert_not(covered("network:outbound:*:80", "network:outbound:80,443"));
  cr_assert_not(covered("network:outbound:*.example.com:443",
                        "network:outbound:example.com:443"));
  cr_assert_not(covered("network:outbound:example.com:*",
                        "network:outbound:*:80"));
  cr_assert_str_eq(excess_of("clock", "network:outbound:80"),
                   "network:outbound:*:80 (no line of the ceiling covers "
                   "it)\n");
}

Test(policy_excess, exec_clock_random_by_name) {
  cr_assert(covered("exec:*", "exec:/usr/bin/ls"));
  cr_assert(covered("exec:git", "exec:git"));
  cr_assert_not(covered("exec:git", "exec:/usr/bin/git"));
  cr_assert(covered("clock", "clock"));
  cr_assert_not(covered("clock", "random"));
}

Test(policy_excess, limits_above_the_ceiling_and_tmp_without_one) {
  cr_assert_str_eq(excess_of("limit:memory:64M", "limit:memory:128M"),
                   "limit:memory:128M (above the ceiling's "
                   "limit:memory:64M)\n");
  cr_assert(covered("limit:memory:64M", "limit:memory:32M"));
  cr_assert(covered("clock", "limit:fuel:10"), "no ceiling limit: no bound");
  cr_assert_str_eq(excess_of("clock", "tmp:/tmp"),
                   "tmp:/tmp (the ceiling grants no temporary directory)\n");
}

Test(policy_excess, every_excess_line_is_reported) {
  policy *c = POLICY("fs:read:/**");
  policy *r = POLICY("fs:read:/a", "fs:write:/b", "clock", "env:X");
  lines l = {{0}};
  cr_assert_eq(policy_excess(c, r, collect, &l), 3);
  cr_assert_str_eq(l.text,
                   "fs:write:/b (no line of the ceiling covers it)\n"
                   "clock (no line of the ceiling covers it)\n"
                   "env:X (no line of the ceiling covers it)\n");
  policy_free(c);
  policy_free(r);
}

Test(policy_excess, explicit_variables_are_names_not_patterns) {
  policy *c = POLICY("env:HOME"), *r = POLICY("clock");
  char err[256];
  lines l = {{0}};
  cr_assert_eq(policy_allow(c, "clock", err, sizeof err), 0);
  cr_assert_eq(policy_set_env(c, "ODD*NAME", "1", err, sizeof err), 0);
  cr_assert_eq(policy_set_env(r, "HOME", NULL, err, sizeof err), 0);
  cr_assert_eq(policy_set_env(r, "ODD*NAME", "2", err, sizeof err), 0);
  cr_assert_eq(policy_set_env(r, "OTHER", "3", err, sizeof err), 0);
  cr_assert_eq(policy_excess(c, r, collect, &l), 1);
  cr_assert_str_eq(l.text, "env:OTHER (no line of the ceiling covers it)\n");
  policy_free(c);
  policy_free(r);
}
