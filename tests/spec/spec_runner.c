/*
** spec_runner.c: runs the WebAssembly spec suite against plugsup's
** interpreter.
**
**   spec_runner [-v] [-d SPECDIR] [-o OUTDIR] [-t SECONDS] [-w WAST2JSON]
**               [FILE.wast ...]
**
** For each .wast in SPECDIR (or only the ones named), wast2json converts it
** into OUTDIR/FILE.json plus its .wasm modules, then a forked child runs
** the JSON commands against a fresh interp_store. A child that crashes or
** runs past its time limit costs its file the commands it had not reported;
** the runner itself goes on.
**
** Output: one line per file, then "N passed, N failed, N skipped" over all
** commands ('register' is not a command that can pass or fail). Exit status
** 0 only if nothing failed.
*/
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spec.h"

#ifndef SPEC_DIR
#define SPEC_DIR "../shared/wasm-spec-testsuite"
#endif
#ifndef SPEC_OUT
#define SPEC_OUT "spec"
#endif
#ifndef SPEC_WAST2JSON
#define SPEC_WAST2JSON "wast2json"
#endif

extern char **environ;

typedef struct options {
  const char *dir, *out, *wast2json;
  unsigned timeout;   /* seconds per file */
  int verbose;
  char **only;        /* file filter; NULL = all */
  int nonly;
} options;

typedef struct counts {
  unsigned long passed, failed, skipped, mismatched;
} counts;

static void usage(void) {
  fprintf(stderr,
          "usage: spec_runner [-v] [-d SPECDIR] [-o OUTDIR] [-t SECONDS] "
          "[-w WAST2JSON] [FILE.wast ...]\n");
}

static int parse_options(int argc, char **argv, options *o) {
  int c;
  *o = (options){SPEC_DIR, SPEC_OUT, SPEC_WAST2JSON, 300, 0, NULL, 0};
  while ((c = getopt(argc, argv, "vd:o:t:w:h")) != -1) {
    switch (c) {
    case 'v': o->verbose = 1; break;
    case 'd': o->dir = optarg; break;
    case 'o': o->out = optarg; break;
    case 't': o->timeout = (unsigned)strtoul(optarg, NULL, 10); break;
    case 'w': o->wast2json = optarg; break;
    default: usage(); return -1;
    }
  }
  o->only = argv + optind;
  o->nonly = argc - optind;
  return 0;
}

/* "address" and "address.wast" and ".../address.wast" all select it. */
static int selected(const options *o, const char *name) {
  if (o->nonly == 0)
    return 1;
  size_t stem = strlen(name) - strlen(".wast");
  for (int i = 0; i < o->nonly; i++) {
    const char *f = strrchr(o->only[i], '/');
    f = f ? f + 1 : o->only[i];
    if (strcmp(f, name) == 0 || (strlen(f) == stem && !strncmp(f, name, stem)))
      return 1;
  }
  return 0;
}

static int is_wast(const struct dirent *d) {
  size_t n = strlen(d->d_name);
  return n > 5 && strcmp(d->d_name + n - 5, ".wast") == 0;
}

/* wast2json SPECDIR/NAME.wast -o OUTDIR/NAME.json, as a child process. */
static int convert(const options *o, const char *name, char *json,
                   size_t jsonlen) {
  char wast[4096];
  int status;
  pid_t pid;
  snprintf(wast, sizeof wast, "%s/%s", o->dir, name);
  snprintf(json, jsonlen, "%s/%.*s.json", o->out,
           (int)(strlen(name) - strlen(".wast")), name);
  char *argv[] = {(char *)o->wast2json, wast, "-o", json, NULL};
  int rc = posix_spawnp(&pid, o->wast2json, NULL, NULL, argv, environ);
  if (rc != 0) {
    fprintf(stderr, "spec_runner: cannot run %s: %s\n", o->wast2json,
            strerror(rc));
    return -1;
  }
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static size_t counted_commands(const json_t *commands) {
  size_t n = 0;
  for (size_t i = 0; i < json_array_size(commands); i++)
    n += spec_cmd_counted(json_array_get(commands, i)) != 0;
  return n;
}

/* The line of the idx-th counted command: where a crashed child stopped. */
static int counted_line(const json_t *commands, size_t idx) {
  for (size_t i = 0; i < json_array_size(commands); i++) {
    const json_t *cmd = json_array_get(commands, i);
    if (spec_cmd_counted(cmd) && idx-- == 0)
      return (int)json_integer_value(json_object_get(cmd, "line"));
  }
  return 0;
}

static void child_main(const options *o, const char *name, const json_t *cmds,
                       int out) {
  spec_file sf = {.wast = name, .json_dir = o->out, .verbose = o->verbose};
  alarm(o->timeout);  /* SIGALRM ends a hung interpreter */
  int rc = spec_run_commands(&sf, cmds, out);
  fflush(stdout);
  _exit(rc == 0 ? 0 : 3);
}

static void tally(counts *c, char outcome) {
  switch (outcome) {
  case SPEC_PASS: c->passed++; break;
  case SPEC_PASS_MISMATCH: c->passed++; c->mismatched++; break;
  case SPEC_SKIP: c->skipped++; break;
  default: c->failed++; break;
  }
}

/* Read the child's outcome bytes until it closes the pipe. */
static size_t collect(int fd, counts *c) {
  char buf[512];
  size_t total = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return total;
    for (ssize_t i = 0; i < n; i++)
      tally(c, buf[i]);
    total += (size_t)n;
  }
}

/* Commands the child never reported are failures; say why. */
static void account_death(const char *name, const json_t *cmds, int status,
                          size_t reported, counts *c) {
  size_t total = counted_commands(cmds);
  if (reported >= total && WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return;
  c->failed += total - (reported < total ? reported : total);
  if (WIFSIGNALED(status))
    printf("%s: CRASH: %s (signal %d)%s at line %d; %zu commands not run\n",
           name, strsignal(WTERMSIG(status)), WTERMSIG(status),
           WTERMSIG(status) == SIGALRM ? " [time limit]" : "",
           counted_line(cmds, reported), total - reported);
  else
    printf("%s: runner child exited with status %d after %zu of %zu commands\n",
           name, WIFEXITED(status) ? WEXITSTATUS(status) : -1, reported, total);
}

static int run_in_child(const options *o, const char *name, const json_t *cmds,
                        counts *c) {
  int fds[2], status;
  if (pipe(fds) != 0)
    return -1;
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return -1;
  }
  if (pid == 0) {
    close(fds[0]);
    child_main(o, name, cmds, fds[1]);
  }
  close(fds[1]);
  size_t reported = collect(fds[0], c);
  close(fds[0]);
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  account_death(name, cmds, status, reported, c);
  return 0;
}

/* Convert, load and run one .wast; adds its counts to 'all'. */
static void run_file(const options *o, const char *name, counts *all) {
  char json[4096];
  json_error_t jerr;
  counts c = {0};
  json_t *root = NULL;
  if (convert(o, name, json, sizeof json) != 0) {
    printf("%s: wast2json failed; counted as 1 failure\n", name);
    c.failed = 1;
    goto out;
  }
  root = json_load_file(json, JSON_ALLOW_NUL, &jerr);
  const json_t *cmds = json_object_get(root, "commands");
  if (!json_is_array(cmds)) {
    printf("%s: cannot read %s: %s\n", name, json, jerr.text);
    c.failed = 1;
    goto out;
  }
  if (run_in_child(o, name, cmds, &c) != 0)
    c.failed += counted_commands(cmds);
out:
  printf("%s: %lu passed, %lu failed, %lu skipped", name, c.passed, c.failed,
         c.skipped);
  if (c.mismatched)
    printf(" (%lu passed with a different message)", c.mismatched);
  putchar('\n');
  json_decref(root);
  all->passed += c.passed;
  all->failed += c.failed;
  all->skipped += c.skipped;
  all->mismatched += c.mismatched;
}

int main(int argc, char **argv) {
  options o;
  struct dirent **list = NULL;
  counts all = {0};
  if (parse_options(argc, argv, &o) != 0)
    return 2;
  int n = scandir(o.dir, &list, is_wast, alphasort);
  if (n < 0) {
    fprintf(stderr, "spec_runner: cannot list %s: %s\n", o.dir, strerror(errno));
    return 2;
  }
  if (mkdir(o.out, 0777) != 0 && errno != EEXIST) {
    fprintf(stderr, "spec_runner: cannot create %s: %s\n", o.out, strerror(errno));
    return 2;
  }
  int ran = 0;
  for (int i = 0; i < n; i++) {
    if (selected(&o, list[i]->d_name)) {
      run_file(&o, list[i]->d_name, &all);
      ran++;
    }
    free(list[i]);
  }
  free(list);
  if (ran == 0 && o.nonly > 0) {
    fprintf(stderr, "spec_runner: no .wast file in %s matches\n", o.dir);
    return 2;
  }
  printf("%lu passed, %lu failed, %lu skipped\n", all.passed, all.failed,
         all.skipped);
  return all.failed == 0 ? 0 : 1;
}
