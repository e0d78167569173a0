/*
** test_broker.c: the file broker against a real worker and a real plugin
** (fixtures/fsprobe.c): what a grant allows, and every escape it must
** refuse, each with the exact WASI errno the plugin sees and the audit
** line the operator gets.
*/
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

#define FSPROBE E2E_DIR "/fixtures/fsprobe.wasm"

static plugsup_supervisor *sup;
static plugsup_plugin *probe;
static char root[64];     /* holds grant/ (granted) and outside/ (not) */
static char grant[128], outside[160];
static char audit[1 << 16];

static void on_audit(void *ud, const char *line) {
  (void)ud;
  size_t n = strlen(audit);
  snprintf(audit + n, sizeof audit - n, "%s\n", line);
}

static void put_file(const char *dir, const char *name, const char *text) {
  char path[256];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs(text, f);
  fclose(f);
}

static char *file_text(const char *dir, const char *name) {
  static char buf[256];
  char path[256];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "r");
  if (!f)
    return NULL;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

static void setup(void) {
  snprintf(root, sizeof root, "/tmp/plugsup-broker-XXXXXX");
  cr_assert_not_null(mkdtemp(root));
  snprintf(grant, sizeof grant, "%s/grant", root);
  snprintf(outside, sizeof outside, "%s/outside", root);
  cr_assert_eq(mkdir(grant, 0700), 0);
  cr_assert_eq(mkdir(outside, 0700), 0);
  put_file(grant, "inside.txt", "inside");
  put_file(outside, "secret.txt", "SECRET");
  char sub[200];
  snprintf(sub, sizeof sub, "%s/sub", grant);
  cr_assert_eq(mkdir(sub, 0700), 0);
  sup = sup_on(REAL_WORKER, 4, 20000);
  cr_assert_eq(plugsup_plugin_load_file(FSPROBE, &probe), PLUGSUP_OK, "%s",
               plugsup_errmsg());
  audit[0] = '\0';
}

static void teardown(void) {
  plugsup_plugin_free(probe);
  plugsup_supervisor_free(sup);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  cr_assert_eq(system(cmd), 0);
}

TestSuite(broker, .init = setup, .fini = teardown);

/* Runs fsprobe with argv under a policy; returns its stdout (static). */
static const char *probe_with(plugsup_policy *pol, const char *const *argv,
                              size_t argc) {
  static char out[4096];
  plugsup_run_options o = run_opts(PLUGSUP_MODE_START);
  plugsup_result *r = NULL;
  o.argv = argv;
  o.argc = argc;
  o.policy = pol;
  o.on_audit = on_audit;
  cr_assert_eq(plugsup_run(sup, probe, &o, &r), PLUGSUP_OK);
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OK, "%s: %s",
               plugsup_outcome_name(r->outcome), r->message);
  snprintf(out, sizeof out, "%s", r->out.data);
  plugsup_result_free(r);
  return out;
}

static plugsup_policy *dir_policy(bool writable) {
  plugsup_policy *p = NULL;
  cr_assert_eq(plugsup_policy_new(&p), PLUGSUP_OK);
  cr_assert_eq(plugsup_policy_add_dir(p, grant, "/data", writable),
               PLUGSUP_OK, "%s", plugsup_errmsg());
  return p;
}

#define PROBE(pol, ...)                                                    \
  probe_with(pol, (const char *const[]){"fsprobe", __VA_ARGS__},           \
             sizeof((const char *const[]){"fsprobe", __VA_ARGS__}) /       \
                 sizeof(const char *))

static void expect_audit(const char *needle) {
  cr_assert(strstr(audit, needle), "audit has no\n  %s\nbut:\n%s", needle,
            audit);
}

/* ---- what a grant allows ---- */

Test(broker, granted_directory_is_read_and_written) {
  plugsup_policy *p = dir_policy(true);
  cr_assert_str_eq(PROBE(p, "open", "inside.txt", "r"),
                   "open inside.txt: 0\ndata: inside\n");
  cr_assert_str_eq(PROBE(p, "write", "new.txt", "hello"), "write new.txt: 0\n");
  cr_assert_str_eq(file_text(grant, "new.txt"), "hello");
  char line[512];
  snprintf(line, sizeof line, "{\"call\":\"path_open\",\"decision\":"
           "\"granted\",\"fd\":3,\"path\":\"new.txt\",\"host_path\":"
           "\"%s/new.txt\",\"access\":\"write\"", grant);
  expect_audit(line);
  plugsup_policy_free(p);
}

Test(broker, rename_mkdir_link_symlink_within_the_grant) {
  plugsup_policy *p = dir_policy(true);
  cr_assert_str_eq(PROBE(p, "mkdir", "d"), "mkdir d: 0\n");
  cr_assert_str_eq(PROBE(p, "rename", "inside.txt", "d/moved.txt"),
                   "rename inside.txt: 0\n");
  cr_assert_str_eq(file_text(grant, "d/moved.txt"), "inside");
  cr_assert_str_eq(PROBE(p, "link", "d/moved.txt", "hard.txt"),
                   "link d/moved.txt: 0\n");
  cr_assert_str_eq(PROBE(p, "symlink", "d/moved.txt", "soft"),
                   "symlink d/moved.txt: 0\n");
  cr_assert_str_eq(PROBE(p, "readlink", "soft"),
                   "readlink soft: 0\ntarget: d/moved.txt\n");
  cr_assert_str_eq(PROBE(p, "open", "soft", "r"),
                   "open soft: 0\ndata: inside\n");
  cr_assert_str_eq(PROBE(p, "unlink", "hard.txt"), "unlink hard.txt: 0\n");
  plugsup_policy_free(p);
}

/* ---- the escape corpus ---- */

Test(broker, dotdot_escape_is_not_capable) {
  plugsup_policy *p = dir_policy(true);
  cr_assert_str_eq(PROBE(p, "open", "../outside/secret.txt", "r"),
                   "open ../outside/secret.txt: 76\n");
  expect_audit("{\"call\":\"path_open\",\"decision\":\"denied\",\"fd\":3,"
               "\"path\":\"../outside/secret.txt\",\"access\":\"read\","
               "\"reason\":\"escapes its directory\",\"errno\":"
               "\"notcapable\"}");
  plugsup_policy_free(p);
}

Test(broker, absolute_path_is_not_capable) {
  plugsup_policy *p = dir_policy(true);
  cr_assert_str_eq(PROBE(p, "open", "/etc/passwd", "r"),
                   "open /etc/passwd: 76\n");
  expect_audit("\"path\":\"/etc/passwd\",\"access\":\"read\",\"reason\":"
               "\"escapes its directory\",\"errno\":\"notcapable\"}");
  plugsup_policy_free(p);
}

Test(broker, symlink_out_of_the_grant_is_not_followed) {
  char target[256], link[256];
  snprintf(target, sizeof target, "%s/secret.txt", outside);
  snprintf(link, sizeof link, "%s/abs", grant);
  cr_assert_eq(symlink(target, link), 0);
  snprintf(link, sizeof link, "%s/rel", grant);
  cr_assert_eq(symlink("../outside/secret.txt", link), 0);
  plugsup_policy *p = dir_policy(true);
  cr_assert_str_eq(PROBE(p, "open", "abs", "r"), "open abs: 76\n");
  cr_assert_str_eq(PROBE(p, "open", "rel", "r"), "open rel: 76\n");
  cr_assert_str_eq(PROBE(p, "stat", "rel"), "stat rel: 76\n");
  expect_audit("\"path\":\"rel\",\"access\":\"read\",\"reason\":\"a symlink "
               "or .. leads out of its directory\",\"errno\":\"notcapable\"}");
  plugsup_policy_free(p);
}

/* Another thread swaps "a" between a directory inside the grant and a
** symlink to the outside while the plugin opens a/secret.txt again and
** again: the walk and the check are one step in the kernel, so the
** secret is never read. */
static volatile int racing;

static void *swapper(void *arg) {
  (void)arg;
  char a[256], tmp[256], inner[256], evil[256];
  snprintf(a, sizeof a, "%s/a", grant);
  snprintf(tmp, sizeof tmp, "%s/a.tmp", grant);
  snprintf(inner, sizeof inner, "%s/inner", grant);
  snprintf(evil, sizeof evil, "%s/evil", grant);
  while (racing) {
    rename(inner, a);
    rename(a, inner);
    rename(evil, a);
    rename(a, evil);
  }
  return NULL;
}

Test(broker, symlink_swapped_in_during_open_never_escapes) {
  char inner[256], evil[256];
  snprintf(inner, sizeof inner, "%s/inner", grant);
  snprintf(evil, sizeof evil, "%s/evil", grant);
  cr_assert_eq(mkdir(inner, 0700), 0);
  put_file(inner, "secret.txt", "inside");
  cr_assert_eq(symlink(outside, evil), 0);
  plugsup_policy *p = dir_policy(false);
  pthread_t t;
  racing = 1;
  cr_assert_eq(pthread_create(&t, NULL, swapper, NULL), 0);
  const char *out = PROBE(p, "race", "a/secret.txt", "3000");
  racing = 0;
  pthread_join(t, NULL);
  cr_assert(strstr(out, "secret=0 "), "%s", out);
  plugsup_policy_free(p);
}

Test(broker, hard_link_out_of_the_tree_is_not_capable) {
  plugsup_policy *p = dir_policy(true);
  cr_assert_str_eq(PROBE(p, "link", "inside.txt", "../outside/l"),
                   "link inside.txt: 76\n");
  cr_assert_str_eq(PROBE(p, "link", "../outside/secret.txt", "l"),
                   "link ../outside/secret.txt: 76\n");
  char evil[256];
  snprintf(evil, sizeof evil, "%s/evil", grant);
  cr_assert_eq(symlink("../outside/secret.txt", evil), 0);
  cr_assert_str_eq(PROBE(p, "linkf", "evil", "l"), "linkf evil: 76\n");
  cr_assert_null(file_text(grant, "l"));
  expect_audit("\"path\":\"../outside/l\",\"access\":\"write\",\"reason\":"
               "\"escapes its directory\",\"errno\":\"notcapable\"}");
  plugsup_policy_free(p);
}

Test(broker, rename_out_of_the_tree_is_not_capable) {
  plugsup_policy *p = dir_policy(true);
  cr_assert_str_eq(PROBE(p, "rename", "inside.txt", "../outside/x"),
                   "rename inside.txt: 76\n");
  cr_assert_str_eq(file_text(grant, "inside.txt"), "inside");
  plugsup_policy_free(p);
}

Test(broker, directory_opened_for_writing_is_isdir) {
  plugsup_policy *p = dir_policy(true);
  cr_assert_str_eq(PROBE(p, "open", "sub", "dirw"), "open sub: 31\n");
  plugsup_policy_free(p);
}

Test(broker, writing_under_a_read_only_grant_is_not_capable) {
  plugsup_policy *p = dir_policy(false);
  cr_assert_str_eq(PROBE(p, "open", "inside.txt", "w"),
                   "open inside.txt: 76\n");
  cr_assert_str_eq(PROBE(p, "write", "new.txt", "x"), "write new.txt: 76\n");
  cr_assert_str_eq(PROBE(p, "mkdir", "d"), "mkdir d: 76\n");
  cr_assert_str_eq(PROBE(p, "unlink", "inside.txt"), "unlink inside.txt: 76\n");
  cr_assert_null(file_text(grant, "new.txt"));
  char line[512];
  snprintf(line, sizeof line, "\"path\":\"inside.txt\",\"host_path\":"
           "\"%s/inside.txt\",\"access\":\"write\",\"missing\":"
           "\"fs:write:%s/inside.txt\",\"errno\":\"notcapable\"}", grant,
           grant);
  expect_audit(line);
  plugsup_policy_free(p);
}

Test(broker, truncate_under_a_read_only_grant_is_not_capable) {
  plugsup_policy *p = dir_policy(false);
  cr_assert_str_eq(PROBE(p, "open", "inside.txt", "trunc"),
                   "open inside.txt: 76\n");
  cr_assert_str_eq(file_text(grant, "inside.txt"), "inside");
  plugsup_policy_free(p);
}

Test(broker, variable_not_granted_is_not_seen) {
  setenv("PLUGSUP_TEST_SECRET", "s3cret", 1);
  setenv("PLUGSUP_TEST_SHOWN", "yes", 1);
  plugsup_policy *p = NULL;
  cr_assert_eq(plugsup_policy_new(&p), PLUGSUP_OK);
  cr_assert_eq(plugsup_policy_allow(p, "env:PLUGSUP_TEST_SH*"), PLUGSUP_OK);
  cr_assert_str_eq(PROBE(p, "getenv", "PLUGSUP_TEST_SECRET"),
                   "getenv PLUGSUP_TEST_SECRET: (unset)\n");
  cr_assert_str_eq(PROBE(p, "getenv", "PLUGSUP_TEST_SHOWN"),
                   "getenv PLUGSUP_TEST_SHOWN: yes\n");
  expect_audit("{\"call\":\"environ\",\"decision\":\"denied\",\"name\":"
               "\"PLUGSUP_TEST_SECRET\",\"missing\":\"env:PLUGSUP_TEST_SECRET\","
               "\"errno\":\"notcapable\"}");
  expect_audit("{\"call\":\"environ\",\"decision\":\"granted\",\"name\":"
               "\"PLUGSUP_TEST_SHOWN\",\"capability\":\"env:PLUGSUP_TEST_SH*\"}");
  plugsup_policy_free(p);
}

/* An observe plugin's run: the embedder's grant intersected with what its
** describe() requests. The broker preopens grant's directory, and each
** path and variable needs both yeses. */
Test(broker, an_intersected_policy_allows_only_what_both_allow) {
  setenv("PLUGSUP_TEST_SHOWN", "yes", 1);
  plugsup_policy *g = dir_policy(true), *r = NULL, *both = NULL;
  char line[512];
  cr_assert_eq(plugsup_policy_set_env(g, "PLUGSUP_TEST_SHOWN", NULL),
               PLUGSUP_OK);
  cr_assert_eq(plugsup_policy_set_env(g, "PLUGSUP_TEST_DROPPED", "x"),
               PLUGSUP_OK);
  cr_assert_eq(plugsup_policy_new(&r), PLUGSUP_OK);
  snprintf(line, sizeof line, "fs:read:%s/inside.txt", grant);
  cr_assert_eq(plugsup_policy_allow(r, line), PLUGSUP_OK);
  cr_assert_eq(plugsup_policy_allow(r, "env:PLUGSUP_TEST_SHOWN"), PLUGSUP_OK);
  cr_assert_eq(plugsup_policy_intersect(g, r, &both), PLUGSUP_OK);
  cr_assert_str_eq(PROBE(both, "open", "inside.txt", "r"),
                   "open inside.txt: 0\ndata: inside\n");
  cr_assert_str_eq(PROBE(both, "write", "new.txt", "x"), "write new.txt: 76\n");
  cr_assert_null(file_text(grant, "new.txt"));
  snprintf(line, sizeof line, "\"missing\":\"fs:write:%s/new.txt\"", grant);
  expect_audit(line);
  cr_assert_str_eq(PROBE(both, "getenv", "PLUGSUP_TEST_SHOWN"),
                   "getenv PLUGSUP_TEST_SHOWN: yes\n");
  cr_assert_str_eq(PROBE(both, "getenv", "PLUGSUP_TEST_DROPPED"),
                   "getenv PLUGSUP_TEST_DROPPED: (unset)\n");
  plugsup_policy_free(both);
  plugsup_policy_free(r);
  plugsup_policy_free(g);
}

Test(broker, nothing_is_granted_without_a_policy) {
  cr_assert_str_eq(PROBE(NULL, "open", "inside.txt", "r"),
                   "open inside.txt: 8\n");
}

/* ---- every file call once, through the real broker ---- */

Test(broker, every_file_call_answers_as_wasmtime_would) {
  static const char want[] =
      "fd_prestat_get: 0\nfd_prestat_dir_name: 0\npreopen /w\n"
      "path_open creat: 0\nfd_write: 0\nwritten 10\nfd_seek: 0\n"
      "fd_read: 0\nread 2345\nfd_tell: 0\nat 6\nfd_pwrite: 0\n"
      "fd_pread: 0\npread 789\nfd_filestat_set_size: 0\n"
      "fd_filestat_set_times: 0\nfd_filestat_get: 0\n"
      "size 5 type 4 mtime 86400000000000\nfd_fdstat_get: 0\n"
      "filetype 4 write right 1\nfd_fdstat_set_flags: 0\nfd_advise: 0\n"
      "fd_allocate: 58\nfd_sync: 0\nfd_datasync: 0\n"
      "fd_fdstat_set_rights: 0\nfd_write without the right: 8\n"
      "sock_shutdown on a file: 57\nfd_renumber onto a closed fd: 8\n"
      "path_open another: 0\nfd_renumber onto it: 0\n"
      "fd_close the old number: 8\nfd_close the new one: 0\n"
      "fd_close it again: 8\npath_create_directory: 0\npath_open dir: 0\n"
      "fd_readdir: 0\nfd_readdir: 0\nfd_readdir: 0\nfd_readdir: 0\n"
      "fd_readdir: 0\nfd_readdir: 0\nfd_readdir: 0\nentries 7\n"
      "fd_close dir: 0\npath_filestat_get: 0\nsize 5\n"
      "path_filestat_set_times: 0\npath_symlink: 0\npath_readlink: 0\n"
      "link f.t\npath_link: 0\npath_rename: 0\npath_unlink_file: 0\n"
      "path_remove_directory non-empty: 55\n"
      "path_unlink_file missing: 44\npoll_oneoff: 0\n"
      "events 1 first userdata 1\nfd_read stdin: 0\nstdin ping\n"
      "fd_read stdin at end: 0\nstdin bytes 0\n";
  plugsup_plugin *calls = NULL;
  plugsup_policy *p = NULL;
  plugsup_result *r = NULL;
  int in[2];
  cr_assert_eq(plugsup_plugin_load_file(E2E_DIR "/fixtures/wasi_calls.wasm",
                                        &calls), PLUGSUP_OK);
  cr_assert_eq(plugsup_policy_new(&p), PLUGSUP_OK);
  cr_assert_eq(plugsup_policy_add_dir(p, grant, "/w", true), PLUGSUP_OK);
  cr_assert_eq(pipe(in), 0);
  cr_assert_eq(write(in[1], "ping", 4), 4);
  close(in[1]);
  plugsup_run_options o = run_opts(PLUGSUP_MODE_START);
  o.policy = p;
  o.input_from_fd = true;
  o.input_fd = in[0];
  cr_assert_eq(plugsup_run(sup, calls, &o, &r), PLUGSUP_OK);
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OK, "%s", r->message);
  cr_assert_str_eq(r->out.data, want);
  cr_assert_eq(r->bytes_read, 4 + 4 + 4); /* read, pread, stdin */
  plugsup_result_free(r);
  close(in[0]);
  plugsup_policy_free(p);
  plugsup_plugin_free(calls);
}

/* ---- what a caller can get wrong ---- */

/* A dir: line is taken as written; the directory is opened when the run
** starts, and a missing one ends the run before any worker. */
Test(broker, granted_directory_missing_at_start_fails_the_run) {
  plugsup_policy *p = NULL;
  plugsup_result *r = NULL;
  cr_assert_eq(plugsup_policy_new(&p), PLUGSUP_OK);
  cr_assert_eq(plugsup_policy_allow(p, "dir:/nonexistent-plugsup-dir::/x"),
               PLUGSUP_OK, "%s", plugsup_errmsg());
  plugsup_run_options o = run_opts(PLUGSUP_MODE_START);
  o.policy = p;
  cr_assert_eq(plugsup_run(sup, probe, &o, &r), PLUGSUP_OK);
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_WORKER_FAILED);
  cr_assert_str_eq(r->message, "cannot open the granted directory "
                   "'/nonexistent-plugsup-dir': No such file or directory");
  plugsup_result_free(r);
  plugsup_policy_free(p);
}

Test(broker, stream_input_needs_a_descriptor) {
  plugsup_run_options o = run_opts(PLUGSUP_MODE_START);
  plugsup_result *r = NULL;
  o.input_from_fd = true;
  o.input_fd = -1;
  cr_assert_eq(plugsup_run(sup, probe, &o, &r), PLUGSUP_EINVAL);
  cr_assert_null(r);
  cr_assert_str_eq(plugsup_errmsg(), "input_from_fd is set but input_fd is -1");
}

/* ---- accounting ---- */

Test(broker, result_counts_calls_denials_and_bytes) {
  plugsup_policy *p = dir_policy(false);
  const char *argv[] = {"fsprobe", "open", "inside.txt", "r"};
  plugsup_run_options o = run_opts(PLUGSUP_MODE_START);
  plugsup_result *r = NULL;
  o.argv = argv;
  o.argc = 4;
  o.policy = p;
  cr_assert_eq(plugsup_run(sup, probe, &o, &r), PLUGSUP_OK);
  cr_assert_eq(r->bytes_read, 6);
  cr_assert_eq(r->bytes_written, 0);
  cr_assert_geq(r->host_calls, 3); /* prestat scan, open, read */
  cr_assert_eq(r->host_denials, 0);
  plugsup_result_free(r);
  argv[3] = "w";
  cr_assert_eq(plugsup_run(sup, probe, &o, &r), PLUGSUP_OK);
  cr_assert_eq(r->host_denials, 1);
  plugsup_result_free(r);
  plugsup_policy_free(p);
}
