/*
** test_policy_decisions.c: what a policy grants, at the edges of its
** globs, patterns, preopens and settings; and that describe's lines give
** a policy that decides the same.
*/
#include <stdlib.h>

#include "policy_helpers.h"

Test(policy_decisions, star_stays_within_one_component) {
  policy *p = POLICY("fs:read:/a/*");
  cr_assert(may(p, "/a/b", POLICY_READ));
  cr_assert_not(may(p, "/a/b/c", POLICY_READ));
  cr_assert_not(may(p, "/ab", POLICY_READ));
  cr_assert_not(may(p, "/a", POLICY_READ));
  policy_free(p);
}

Test(policy_decisions, double_star_is_the_dir_and_all_beneath) {
  policy *p = POLICY("fs:read:/a/**");
  cr_assert(may(p, "/a", POLICY_READ));
  cr_assert(may(p, "/a/b", POLICY_READ));
  cr_assert(may(p, "/a/b/c", POLICY_READ));
  cr_assert_not(may(p, "/ab", POLICY_READ));
  cr_assert_not(may(p, "/", POLICY_READ));
  policy_free(p);
}

Test(policy_decisions, double_star_in_the_middle_takes_any_depth) {
  policy *p = POLICY("fs:read:/src/**/*.c");
  cr_assert(may(p, "/src/a.c", POLICY_READ));
  cr_assert(may(p, "/src/x/y/a.c", POLICY_READ));
  cr_assert_not(may(p, "/src/x/a.h", POLICY_READ));
  cr_assert_not(may(p, "/srcx/a.c", POLICY_READ));
  policy_free(p);
}

Test(policy_decisions, question_mark_is_one_character) {
  policy *p = POLICY("fs:read:/d/?.txt");
  cr_assert(may(p, "/d/a.txt", POLICY_READ));
  cr_assert(may(p, "/d/\xc3\xa9.txt", POLICY_READ), "one UTF-8 character");
  cr_assert_not(may(p, "/d/ab.txt", POLICY_READ));
  cr_assert_not(may(p, "/d/.txt", POLICY_READ));
  policy_free(p);
}

Test(policy_decisions, plain_path_is_that_path_only) {
  policy *p = POLICY("fs:read:/etc/passwd");
  cr_assert(may(p, "/etc/passwd", POLICY_READ));
  cr_assert_not(may(p, "/etc/passwd/x", POLICY_READ));
  cr_assert_not(may(p, "/etc/passwdx", POLICY_READ));
  policy_free(p);
}

Test(policy_decisions, star_does_not_cross_slashes_with_many_stars) {
  policy *p = POLICY("fs:read:/a/*b*c*");
  cr_assert(may(p, "/a/xbyc", POLICY_READ));
  cr_assert(may(p, "/a/bc", POLICY_READ));
  cr_assert_not(may(p, "/a/xb/c", POLICY_READ));
  cr_assert_not(may(p, "/a/cb", POLICY_READ));
  policy_free(p);
}

Test(policy_decisions, write_implies_read_but_not_the_reverse) {
  policy *p = POLICY("fs:write:/out/**", "fs:read:/in/**");
  cr_assert(may(p, "/out/x", POLICY_READ));
  cr_assert(may(p, "/out/x", POLICY_WRITE));
  cr_assert(may(p, "/out/x", POLICY_READ | POLICY_WRITE));
  cr_assert(may(p, "/in/x", POLICY_READ));
  cr_assert_not(may(p, "/in/x", POLICY_WRITE));
  cr_assert_not(may(p, "/in/x", POLICY_READ | POLICY_WRITE));
  policy_free(p);
}

Test(policy_decisions, cap_names_the_grant_or_the_missing_one) {
  policy *p = POLICY("fs:read:/srv/**");
  char cap[256];
  cr_assert(policy_may_access(p, "/srv/a.txt", POLICY_READ, cap, sizeof cap));
  cr_assert_str_eq(cap, "fs:read:/srv/**");
  cr_assert_not(policy_may_access(p, "/srv/out/a.txt", POLICY_WRITE, cap,
                                  sizeof cap));
  cr_assert_str_eq(cap, "fs:write:/srv/out/a.txt");
  cr_assert_not(policy_may_access(p, "/etc/x", POLICY_READ, cap, sizeof cap));
  cr_assert_str_eq(cap, "fs:read:/etc/x");
  policy_free(p);
}

Test(policy_decisions, mkdir_needs_write_and_is_refused_under_no_mkdir) {
  policy *p = POLICY("fs:write:/out/**", "fs:read:/in/**");
  char cap[256];
  cr_assert(may(p, "/out/new", POLICY_MKDIR));
  cr_assert_not(policy_may_access(p, "/in/new", POLICY_MKDIR, cap, sizeof cap));
  cr_assert_str_eq(cap, "fs:write:/in/new");
  cr_assert_eq(policy_allow(p, "fs:no-mkdir", NULL, 0), 0);
  cr_assert_not(policy_may_access(p, "/out/new", POLICY_MKDIR, cap, sizeof cap));
  cr_assert_str_eq(cap, "fs:no-mkdir");
  cr_assert(may(p, "/out/new", POLICY_WRITE), "writing files is still granted");
  policy_free(p);
}

Test(policy_decisions, unclean_paths_and_bad_access_are_refused) {
  policy *p = POLICY("fs:write:/**");
  char cap[64] = "x";
  static const char *const bad[] = {"a", "", "/a/", "/a//b", "/a/./b",
                                    "/a/../b", "/..", "/."};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cr_assert_not(policy_may_access(p, bad[i], POLICY_READ, cap, sizeof cap),
                  "'%s'", bad[i]);
    cr_assert_str_eq(cap, "");
  }
  cr_assert(may(p, "/", POLICY_READ));
  cr_assert_not(may(p, "/a", (policy_access)0));
  cr_assert_not(may(p, "/a", (policy_access)8));
  policy_free(p);
}

Test(policy_decisions, a_dir_covers_itself_and_beneath) {
  policy *p = policy_new();
  char cap[256];
  cr_assert_eq(policy_add_dir(p, "/srv/x", "/x", false, NULL, 0), 0);
  cr_assert_eq(policy_add_dir(p, "/data", "/data", true, NULL, 0), 0);
  cr_assert(policy_may_access(p, "/srv/x", POLICY_READ, cap, sizeof cap));
  cr_assert_str_eq(cap, "ro-dir:/srv/x::/x");
  cr_assert(may(p, "/srv/x/a/b", POLICY_READ));
  cr_assert_not(may(p, "/srv/xy", POLICY_READ));
  cr_assert_not(may(p, "/srv/x/a", POLICY_WRITE), "read-only");
  cr_assert(policy_may_access(p, "/data/new", POLICY_MKDIR, cap, sizeof cap));
  cr_assert_str_eq(cap, "dir:/data");
  policy_free(p);
}

Test(policy_decisions, a_dir_of_the_root_covers_everything) {
  policy *p = policy_new();
  cr_assert_eq(policy_add_dir(p, "/", "/", false, NULL, 0), 0);
  cr_assert(may(p, "/", POLICY_READ));
  cr_assert(may(p, "/etc/passwd", POLICY_READ));
  policy_free(p);
}

Test(policy_decisions, dirs_then_one_preopen_per_grant_root) {
  policy *p = POLICY("fs:read:/etc/**", "fs:write:/etc/app/*.conf",
                     "fs:read:/srv/data/x*", "fs:write:/etc/**",
                     "fs:read:/*.txt", "fs:read:/etc/passwd");
  char err[256];
  cr_assert_eq(policy_add_dir(p, "/opt/app", "/app", true, err, sizeof err), 0);
  static const char *const want[][2] = {
      {"/opt/app", "/app"}, {"/etc", "/etc"}, {"/etc/app", "/etc/app"},
      {"/srv/data", "/srv/data"}, {"/", "/"}, {"/etc/passwd", "/etc/passwd"}};
  cr_assert_eq(policy_preopen_count(p), 6);
  for (size_t i = 0; i < 6; i++) {
    cr_assert_str_eq(policy_preopen_at(p, i)->host, want[i][0]);
    cr_assert_str_eq(policy_preopen_at(p, i)->guest, want[i][1]);
  }
  cr_assert_null(policy_preopen_at(p, 6));
  policy_free(p);
}

Test(policy_decisions, a_dir_at_a_grant_root_replaces_its_preopen) {
  policy *p = POLICY("fs:read:/srv/**");
  cr_assert_eq(policy_add_dir(p, "/srv", "/srv", true, NULL, 0), 0);
  cr_assert_eq(policy_preopen_count(p), 1);
  cr_assert_eq(policy_allow(p, "fs:read:/srv/a/**", NULL, 0), 0);
  cr_assert_eq(policy_preopen_count(p), 2);
  cr_assert_eq(policy_allow(p, "fs:read:/srv/*.txt", NULL, 0), 0);
  cr_assert_eq(policy_preopen_count(p), 2, "the dir stands for that root");
  policy_free(p);
}

Test(policy_decisions, dir_paths_are_checked) {
  policy *p = policy_new();
  char err[256];
  cr_assert_eq(policy_add_dir(p, "srv", "/x", false, err, sizeof err), -1);
  cr_assert_str_eq(err, "host path 'srv' must be absolute");
  cr_assert_eq(policy_add_dir(p, "/srv", "x", false, err, sizeof err), -1);
  cr_assert_str_eq(err, "guest path 'x' must be absolute");
  cr_assert_eq(policy_add_dir(p, "/a::b", "/x", false, err, sizeof err), -1);
  cr_assert_str_eq(err, "host path '/a::b' cannot contain '::' or end with ':'");
  cr_assert_eq(policy_add_dir(p, "/tmp:", "/x", false, err, sizeof err), -1,
               "dir:/tmp:::/x would read back as host /tmp: found by fuzz_policy");
  cr_assert_eq(policy_add_dir(p, "/a/../b", "/x", false, err, sizeof err), -1);
  cr_assert_str_eq(err, "host path '/a/../b': '..' is not allowed in a path");
  cr_assert_eq(policy_add_dir(p, "/srv/", ".", false, err, sizeof err), 0);
  cr_assert_str_eq(policy_preopen_at(p, 0)->host, "/srv");
  cr_assert_str_eq(policy_preopen_at(p, 0)->guest, ".");
  cr_assert_eq(policy_preopen_count(p), 1);
  policy_free(p);
}

Test(policy_decisions, env_patterns_and_explicit_variables) {
  policy *p = POLICY("env:AWS_*", "env:HOME");
  char cap[64];
  cr_assert_eq(policy_set_env(p, "MODE", "test", NULL, 0), 0);
  cr_assert(policy_may_env(p, "AWS_REGION", cap, sizeof cap));
  cr_assert_str_eq(cap, "env:AWS_*");
  cr_assert(policy_may_env(p, "AWS_", cap, sizeof cap), "'*' matches nothing too");
  cr_assert_not(policy_may_env(p, "XAWS_REGION", cap, sizeof cap));
  cr_assert_str_eq(cap, "env:XAWS_REGION");
  cr_assert(policy_may_env(p, "HOME", cap, sizeof cap));
  cr_assert_not(policy_may_env(p, "HOMEX", cap, sizeof cap));
  cr_assert(policy_may_env(p, "MODE", cap, sizeof cap));
  cr_assert_str_eq(cap, "env:MODE");
  cr_assert_not(policy_may_env(p, "A=B", cap, sizeof cap));
  cr_assert_str_eq(cap, "");
  policy_free(p);
}

Test(policy_decisions, env_pattern_with_inner_star) {
  policy *p = POLICY("env:APP_*_URL");
  cr_assert(policy_may_env(p, "APP_DB_URL", NULL, 0));
  cr_assert(policy_may_env(p, "APP__URL", NULL, 0));
  cr_assert_not(policy_may_env(p, "APP_DB_URLS", NULL, 0));
  policy_free(p);
}

Test(policy_decisions, explicit_variables_keep_the_last_value) {
  policy *p = policy_new();
  char err[128];
  cr_assert_eq(policy_set_env(p, "A", "1", NULL, 0), 0);
  cr_assert_eq(policy_set_env(p, "A", NULL, NULL, 0), 0);
  cr_assert_eq(policy_env_count(p), 1);
  cr_assert_null(policy_env_at(p, 0)->value, "NULL: the host's value");
  cr_assert_eq(policy_set_env(p, "", "1", err, sizeof err), -1);
  cr_assert_str_eq(err, "bad variable name '': it must be non-empty, without '='");
  cr_assert_eq(policy_set_env(p, "A=B", "1", err, sizeof err), -1);
  cr_assert_str_eq(err, "bad variable name 'A=B': it must be non-empty, without '='");
  policy_free(p);
}

Test(policy_decisions, clock_and_random_are_granted_alone) {
  policy *p = POLICY("clock");
  cr_assert(policy_has(p, POLICY_CAP_CLOCK));
  cr_assert_not(policy_has(p, POLICY_CAP_RANDOM));
  policy_free(p);
}

Test(policy_decisions, network_and_exec_grants_open_no_files) {
  policy *p = POLICY("network:outbound:*:*", "exec:git");
  cr_assert_not(may(p, "/usr/bin/git", POLICY_READ));
  cr_assert_eq(policy_preopen_count(p), 0);
  policy_free(p);
}

Test(policy_decisions, tmp_grants_all_but_mkdir_under_no_mkdir) {
  policy *p = policy_new();
  char cap[64];
  cr_assert_not(policy_may_tmp(p, POLICY_WRITE, cap, sizeof cap));
  cr_assert_str_eq(cap, "tmp:/tmp");
  cr_assert_null(policy_tmpdir(p));
  cr_assert_eq(policy_allow(p, "tmp:/tmp", NULL, 0), 0);
  cr_assert(policy_may_tmp(p, POLICY_MKDIR, cap, sizeof cap));
  cr_assert_str_eq(cap, "tmp:/tmp");
  cr_assert_eq(policy_allow(p, "fs:no-mkdir", NULL, 0), 0);
  cr_assert(policy_may_tmp(p, POLICY_WRITE, NULL, 0));
  cr_assert_not(policy_may_tmp(p, POLICY_MKDIR, cap, sizeof cap));
  cr_assert_str_eq(cap, "fs:no-mkdir");
  policy_free(p);
}

/* Every line of describe, fed back to policy_allow, makes a policy that
** gives the same answers to the same questions. */
static policy *round_trip(const policy *p) {
  char *text = policy_describe(p), *save, err[256];
  policy *q = policy_new();
  for (char *line = strtok_r(text, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save))
    cr_assert_eq(policy_allow(q, line, err, sizeof err), 0, "'%s': %s", line,
                 err);
  free(text);
  return q;
}

Test(policy_decisions, describe_round_trips_to_the_same_decisions) {
  policy *p = POLICY("fs:read:/etc/**", "fs:write:/srv/out/*.json",
                     "env:AWS_*", "clock", "network:outbound:80,443",
                     "exec:systemctl", "tmp:/tmp", "fs:no-mkdir",
                     "limit:memory:64M", "limit:wall_time:1500ms",
                     "limit:fuel:1000000", "limit:file_size:10M");
  cr_assert_eq(policy_add_dir(p, "/data", "/d", false, NULL, 0), 0);
  cr_assert_eq(policy_add_dir(p, "/work", "/work", true, NULL, 0), 0);
  cr_assert_eq(policy_set_env(p, "SECRET", "hunter2", NULL, 0), 0);
  policy *q = round_trip(p);
  static const char *const paths[] = {
      "/", "/etc", "/etc/passwd", "/srv/out/a.json", "/srv/out/a.txt",
      "/srv/out/x/a.json", "/data/x", "/data", "/datax", "/work/new", "/tmp"};
  static const policy_access access[] = {POLICY_READ, POLICY_WRITE,
                                         POLICY_MKDIR};
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
    for (size_t a = 0; a < 3; a++) {
      char c1[256], c2[256];
      cr_assert_eq(policy_may_access(p, paths[i], access[a], c1, sizeof c1),
                   policy_may_access(q, paths[i], access[a], c2, sizeof c2),
                   "%s %d", paths[i], access[a]);
      cr_assert_str_eq(c1, c2);
    }
  static const char *const names[] = {"AWS_KEY", "SECRET", "HOME"};
  for (size_t i = 0; i < 3; i++)
    cr_assert_eq(policy_may_env(p, names[i], NULL, 0),
                 policy_may_env(q, names[i], NULL, 0), "%s", names[i]);
  cr_assert_eq(memcmp(policy_get_limits(p), policy_get_limits(q),
                      sizeof(policy_limits)), 0);
  cr_assert_str_eq(policy_tmpdir(q), "/tmp");
  cr_assert(policy_has(q, POLICY_CAP_CLOCK));
  char *a = policy_describe(p), *b = policy_describe(q);
  cr_assert_str_eq(a, b);
  cr_assert_null(strstr(a, "hunter2"), "values are not shown");
  free(a);
  free(b);
  policy_free(p);
  policy_free(q);
}

Test(policy_decisions, describe_order_is_stable) {
  policy *p = POLICY("random", "limit:output:1M", "env:A", "fs:write:/o",
                     "fs:read:/i");
  cr_assert_eq(policy_add_dir(p, "/d", "/d", false, NULL, 0), 0);
  char *text = policy_describe(p);
  cr_assert_str_eq(text, "ro-dir:/d\nfs:read:/i\nfs:write:/o\nenv:A\nrandom\n"
                         "limit:output:1M\n");
  free(text);
  policy_free(p);
}

Test(policy_decisions, empty_policy_describes_as_nothing_and_grants_nothing) {
  policy *p = policy_new();
  char *text = policy_describe(p);
  cr_assert_str_eq(text, "");
  free(text);
  cr_assert_not(may(p, "/", POLICY_READ));
  cr_assert_not(policy_may_env(p, "HOME", NULL, 0));
  cr_assert_not(policy_has(p, POLICY_CAP_CLOCK));
  policy_free(p);
}

Test(policy_decisions, reads_name_a_read_grant_before_a_write_grant) {
  /* Describe lists fs:read before fs:write, so a policy rebuilt from it
  ** must name the same grant: found by fuzz_policy. */
  policy *p = POLICY("fs:write:/srv/**", "fs:read:/**");
  char cap[64];
  cr_assert(policy_may_access(p, "/srv/a", POLICY_READ, cap, sizeof cap));
  cr_assert_str_eq(cap, "fs:read:/**");
  cr_assert(policy_may_access(p, "/srv/a", POLICY_WRITE, cap, sizeof cap));
  cr_assert_str_eq(cap, "fs:write:/srv/**");
  policy_free(p);
}
