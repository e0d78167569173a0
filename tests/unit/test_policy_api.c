/*
** test_policy_api.c: the public plugsup_policy_* calls: what they look up
** on the host, and every refusal with its status and exact message.
*/
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugsup.h"

static plugsup_policy *fresh(void) {
  plugsup_policy *p;
  cr_assert_eq(plugsup_policy_new(&p), PLUGSUP_OK);
  return p;
}

static char *describe(const plugsup_policy *p) {
  char *text = plugsup_policy_describe(p);
  cr_assert_not_null(text);
  return text;
}

/* A fresh directory under /tmp holding a file 'f.txt' and a link to '.'. */
static char dir[64];
static void make_dir(void) {
  snprintf(dir, sizeof dir, "/tmp/plugsup-policy-XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
  char path[128];
  snprintf(path, sizeof path, "%s/f.txt", dir);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fclose(f);
  snprintf(path, sizeof path, "%s/self", dir);
  cr_assert_eq(symlink(dir, path), 0);
}
static void remove_dir(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  cr_assert_eq(system(cmd), 0);
}
TestSuite(policy_api, .init = make_dir, .fini = remove_dir);

Test(policy_api, add_dir_resolves_links_and_dots) {
  plugsup_policy *p = fresh();
  char host[128], want[256];
  snprintf(host, sizeof host, "%s/self/./", dir);
  cr_assert_eq(plugsup_policy_add_dir(p, host, "/data", false), PLUGSUP_OK);
  char *text = describe(p);
  snprintf(want, sizeof want, "ro-dir:%s::/data\n", dir);
  cr_assert_str_eq(text, want);
  free(text);
  plugsup_policy_free(p);
}

Test(policy_api, add_dir_without_guest_keeps_the_path_as_written) {
  plugsup_policy *p = fresh();
  char host[128], want[600], cwd[PATH_MAX];
  snprintf(host, sizeof host, "%s/self", dir);
  cr_assert_eq(plugsup_policy_add_dir(p, host, NULL, true), PLUGSUP_OK);
  cr_assert_not_null(getcwd(cwd, sizeof cwd));
  cr_assert_eq(chdir(dir), 0);
  cr_assert_eq(plugsup_policy_add_dir(p, ".", NULL, false), PLUGSUP_OK);
  cr_assert_eq(chdir("/tmp"), 0);
  char rel[80];
  snprintf(rel, sizeof rel, "%s", dir + strlen("/tmp/"));
  cr_assert_eq(plugsup_policy_add_dir(p, rel, NULL, false), PLUGSUP_OK);
  cr_assert_eq(chdir(cwd), 0);
  char *text = describe(p);
  snprintf(want, sizeof want, "dir:%s::%s\nro-dir:%s::.\nro-dir:%s\n", dir,
           host, dir, dir);
  cr_assert_str_eq(text, want, "a relative host path gets its absolute one");
  free(text);
  plugsup_policy_free(p);
}

Test(policy_api, add_dir_refuses_what_is_not_a_directory) {
  plugsup_policy *p = fresh();
  char path[128], want[256];
  cr_assert_eq(plugsup_policy_add_dir(p, "/nope", NULL, false), PLUGSUP_ENOENT);
  cr_assert_str_eq(plugsup_errmsg(),
                   "cannot grant '/nope': No such file or directory");
  snprintf(path, sizeof path, "%s/f.txt", dir);
  cr_assert_eq(plugsup_policy_add_dir(p, path, NULL, false), PLUGSUP_ENOENT);
  snprintf(want, sizeof want, "cannot grant '%s': not a directory", path);
  cr_assert_str_eq(plugsup_errmsg(), want);
  cr_assert_eq(plugsup_policy_add_dir(p, dir, "x", false), PLUGSUP_EINVAL);
  cr_assert_str_eq(plugsup_errmsg(), "guest path 'x' must be absolute");
  plugsup_policy_free(p);
}

Test(policy_api, allow_refuses_with_the_grammar_message) {
  plugsup_policy *p = fresh();
  cr_assert_eq(plugsup_policy_allow(p, "fs:rea:/x"), PLUGSUP_EINVAL);
  cr_assert_str_eq(plugsup_errmsg(),
                   "capability 'fs:rea:/x': unknown kind 'fs:rea'");
  cr_assert_eq(plugsup_policy_allow(p, "clock"), PLUGSUP_OK);
  plugsup_policy_free(p);
}

Test(policy_api, set_env_without_value_takes_the_host_value_now) {
  plugsup_policy *p = fresh();
  setenv("PLUGSUP_TEST_VAR", "v1", 1);
  unsetenv("PLUGSUP_TEST_UNSET");
  cr_assert_eq(plugsup_policy_set_env(p, "PLUGSUP_TEST_VAR", NULL), PLUGSUP_OK);
  cr_assert_eq(plugsup_policy_set_env(p, "PLUGSUP_TEST_UNSET", NULL),
               PLUGSUP_OK, "unset: nothing to see, not an error");
  char *text = describe(p);
  cr_assert_str_eq(text, "env:PLUGSUP_TEST_VAR\n");
  free(text);
  cr_assert_eq(plugsup_policy_set_env(p, "A=B", "x"), PLUGSUP_EINVAL);
  cr_assert_str_eq(plugsup_errmsg(),
                   "bad variable name 'A=B': it must be non-empty, without '='");
  cr_assert_eq(plugsup_policy_set_env(p, "", NULL), PLUGSUP_EINVAL);
  plugsup_policy_free(p);
}

static void write_file(const char *path, const char *text, size_t len) {
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  cr_assert_eq(fwrite(text, 1, len, f), len);
  fclose(f);
}

Test(policy_api, load_file_reads_and_names_the_file_in_errors) {
  plugsup_policy *p = fresh();
  char path[128], want[256];
  snprintf(path, sizeof path, "%s/p.json", dir);
  write_file(path, "{\"clock\": true}", 15);
  cr_assert_eq(plugsup_policy_load_file(p, path), PLUGSUP_OK);
  write_file(path, "{\n\"clock\": 1}", 13);
  cr_assert_eq(plugsup_policy_load_file(p, path), PLUGSUP_EINVAL);
  snprintf(want, sizeof want, "%s:2:10: clock: expected true or false", path);
  cr_assert_str_eq(plugsup_errmsg(), want);
  char *text = describe(p);
  cr_assert_str_eq(text, "clock\n");
  free(text);
  plugsup_policy_free(p);
}

Test(policy_api, load_file_refuses_missing_big_and_directory) {
  plugsup_policy *p = fresh();
  char path[128], want[256];
  snprintf(path, sizeof path, "%s/none.json", dir);
  cr_assert_eq(plugsup_policy_load_file(p, path), PLUGSUP_ENOENT);
  snprintf(want, sizeof want,
           "cannot open policy '%s': No such file or directory", path);
  cr_assert_str_eq(plugsup_errmsg(), want);
  cr_assert_eq(plugsup_policy_load_file(p, dir), PLUGSUP_EIO);
  snprintf(want, sizeof want, "cannot read policy '%s': Is a directory", dir);
  cr_assert_str_eq(plugsup_errmsg(), want);
  size_t big = (1u << 20) + 1;
  char *text = malloc(big);
  memset(text, ' ', big);
  snprintf(path, sizeof path, "%s/big.json", dir);
  write_file(path, text, big);
  free(text);
  cr_assert_eq(plugsup_policy_load_file(p, path), PLUGSUP_EINVAL);
  snprintf(want, sizeof want, "policy '%s' is larger than 1 MiB", path);
  cr_assert_str_eq(plugsup_errmsg(), want);
  plugsup_policy_free(p);
}

Test(policy_api, load_json_names_its_source) {
  plugsup_policy *p = fresh();
  cr_assert_eq(plugsup_policy_load_json(p, "inline", "{\"x\": 1}", 8),
               PLUGSUP_EINVAL);
  cr_assert(strncmp(plugsup_errmsg(), "inline:1:2: x: unknown field", 28) == 0,
            "%s", plugsup_errmsg());
  plugsup_policy_free(p);
}

Test(policy_api, free_of_null_is_a_no_op) { plugsup_policy_free(NULL); }

Test(policy_api, intersect_allows_what_both_allow) {
  plugsup_policy *g = fresh(), *r = fresh(), *both = NULL;
  cr_assert_eq(plugsup_policy_allow(g, "fs:read:/**"), PLUGSUP_OK);
  cr_assert_eq(plugsup_policy_allow(g, "clock"), PLUGSUP_OK);
  cr_assert_eq(plugsup_policy_allow(r, "fs:read:/etc/**"), PLUGSUP_OK);
  cr_assert_eq(plugsup_policy_intersect(g, r, &both), PLUGSUP_OK);
  char *text = describe(both);
  cr_assert_str_eq(text, "fs:read:/**\nclock\nrequest:\nfs:read:/etc/**\n");
  free(text);
  plugsup_policy_free(both);
  plugsup_policy_free(g);
  plugsup_policy_free(r);
}

Test(policy_api, intersect_refuses_null_arguments) {
  plugsup_policy *g = fresh(), *both = (plugsup_policy *)1;
  cr_assert_eq(plugsup_policy_intersect(g, NULL, &both), PLUGSUP_EINVAL);
  cr_assert_null(both);
  cr_assert_str_eq(plugsup_errmsg(), "no grant, no request or no out");
  cr_assert_eq(plugsup_policy_intersect(g, g, NULL), PLUGSUP_EINVAL);
  plugsup_policy_free(g);
}
