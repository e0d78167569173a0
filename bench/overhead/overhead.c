/*
** overhead.c: what a sandboxed plugin run costs beyond starting a process,
** with a worker exec'd per run and with one forked from a zygote.
**
** One run prints, all measured by this process in one sitting:
**  1-2. per run, median and p99 in microseconds and each median against
**     bare's; the series take turns run by run, so that whatever else the
**     machine does at a moment weighs on all of them alike:
**       bare          fork + execve + waitpid of a static program;
**       fork          fork + _exit + waitpid: bare without the exec;
**       fork+seccomp  fork + a child that sets no_new_privs, installs a
**                     small BPF filter and _exits: the least a zygote's
**                     child does;
**     (these three forked by a single-threaded helper: see "the floors'
**     helper"), bare again forked by this process, which has the
**     supervisors' threads, then plugsup_run of trivial.wasm with spawn
**     EXEC and ZYGOTE, each with and without namespaces; then the
**     zygote's median beside the goal of issue 11 (at most 250 us and
**     0.6x bare);
**  3. runs per second with 1, 2 and 8 runs in flight, in each mode, the
**     modes taking turns in batches;
**  4. the cost of a run by module size: trivial.wasm, and modules the size
**     of Lua (0.55 MB) and QuickJS (1.04 MB) compiled to wasm, made by
**     bench/gen_module.py at build time and run as INVOKE run(10, 0)
**     (ten of their functions run): the first run after
**     plugsup_supervisor_release (in zygote mode it starts the zygote,
**     which decodes, validates and compiles every body) and later runs,
**     medians, in each spawn mode, with namespaces;
**  5. whole-process time (fork + exec + wait) of `plugsup run
**     trivial.wasm` in each spawn mode, of `plugsup run --invoke run` of
**     the Lua- and QuickJS-sized modules (one run: an exec'd worker that
**     loads the module, a first run), and of wasm3 and iwasm running the
**     same three when their paths are given, with the two CLI goals of
**     issue 11 (trivial at most 1.3x wasm3's, the 1 MB module's first run
**     at most 2x) as ratios.
** Zygote mode falls back to exec silently when a zygote cannot start, so
** a first zygote run that leaves no zygote behind is reported. The load
** average is printed at the start and the end: other load inflates
** everything, fork most of all.
**
** usage: bench_overhead [RUNS] [--wasm3 PATH] [--iwasm PATH]
**   RUNS: runs per series in parts 1, 2, 3 and 5 (default 300, at least
**   10); part 4 takes 10 first runs and 100 later ones per cell.
** Exit status: 1 if a run failed or a program could not be run, 2 for a
** bad command line, else 0: a timing never fails it.
*/
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "plugsup.h"

#define GOAL_US 250.0
#define GOAL_RATIO 0.6
#define WARM_RUNS 10
#define FIRST_RUNS 10     /* part 4: first runs per cell */
#define LATER_PER_FIRST 10
#define RATE_ROUNDS 5     /* part 3: turns the modes take */

/* ---- timing ---- */

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

typedef struct stats {
  double median, p99;
} stats;

static stats summarize(double *t, int n) {
  qsort(t, (size_t)n, sizeof *t, cmp_double);
  int i99 = (int)((double)n * 0.99);
  return (stats){t[n / 2], t[i99 < n ? i99 : n - 1]};
}

/* One timed run: the microseconds it took, or -1 when it failed. */
typedef double once_fn(void *ctx);

static double since(double t0, bool ok) { return ok ? now_us() - t0 : -1; }

/* One thing timed n times; t holds the samples, st what they sum up to. */
typedef struct series {
  const char *name;
  once_fn *once;
  void *ctx;
  double *t;
  stats st;
} series;

/* Turn by turn, so that load at any moment falls on every series alike. */
static bool interleave(series *s, size_t k, int n) {
  for (int i = 0; i < n; i++)
    for (size_t j = 0; j < k; j++)
      if ((s[j].t[i] = s[j].once(s[j].ctx)) < 0)
        return false;
  return true;
}

/* Warm every path (page cache, dynamic loader, zygotes) first; the warm
** runs' samples are overwritten. */
static bool time_all(series *s, size_t k, int n) {
  bool ok = true;
  for (size_t j = 0; j < k && ok; j++)
    ok = (s[j].t = calloc((size_t)n, sizeof *s[j].t)) != NULL;
  ok = ok && interleave(s, k, WARM_RUNS) && interleave(s, k, n);
  for (size_t j = 0; j < k && ok; j++)
    s[j].st = summarize(s[j].t, n);
  return ok;
}

static void free_samples(series *s, size_t k) {
  for (size_t j = 0; j < k; j++)
    free(s[j].t);
}

/* s[0] is the baseline every row is measured against. */
static void print_rows(const series *s, size_t k) {
  for (size_t j = 0; j < k; j++)
    printf("  %-38s %9.1f %9.1f %7.2fx\n", s[j].name, s[j].st.median,
           s[j].st.p99, s[j].st.median / s[0].st.median);
}

/* ---- processes ---- */

typedef struct proc {
  const char *name;
  const char *path; /* NULL: not timed */
  char *const *argv;
  char *const *envp;
} proc;

static bool reap_ok(pid_t pid) {
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* fork + execve + waitpid; it fails unless the program exits 0. */
static double proc_once(void *ctx) {
  const proc *p = ctx;
  double t0 = now_us();
  pid_t pid = fork();
  if (pid == 0) {
    /* what the engines print of a result (wasm3: "Result: N" on stderr)
    ** is not the bench's output; a failure shows as the exit status */
    int null = open("/dev/null", O_WRONLY);
    if (null < 0 || dup2(null, STDOUT_FILENO) < 0 ||
        dup2(null, STDERR_FILENO) < 0)
      _exit(126);
    execve(p->path, p->argv, p->envp);
    _exit(127);
  }
  if (pid > 0 && reap_ok(pid))
    return since(t0, true);
  fprintf(stderr, "bench_overhead: %s did not exit 0\n", p->name);
  return -1;
}

static double fork_once(void *ctx) {
  (void)ctx;
  double t0 = now_us();
  pid_t pid = fork();
  if (pid == 0)
    _exit(0);
  return since(t0, pid > 0 && reap_ok(pid));
}

/* What a zygote's child cannot skip: a filter of its own. This one lets
** the native ABI read, write and exit; anything else kills. */
static void seccomp_child(void) {
  struct sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, seccomp_arch_native(), 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_read, 4, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_write, 3, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit, 2, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit_group, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {sizeof code / sizeof code[0], code};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0)
    _exit(1);
  _exit(0);
}

static double seccomp_once(void *ctx) {
  (void)ctx;
  double t0 = now_us();
  pid_t pid = fork();
  if (pid == 0)
    seccomp_child();
  return since(t0, pid > 0 && reap_ok(pid));
}

static char *bare_argv[] = {BARE_TRUE, NULL}, *no_env[] = {NULL};
static const proc bare = {"bare fork+exec+wait (static)", BARE_TRUE,
                          bare_argv, no_env};

/* ---- the floors' helper ---- */

/* The floors are timed in a helper process forked before any supervisor
** exists. Each supervisor owns a thread (its spawner), and one idle
** thread more makes every fork of its process slower (on the VM of
** bench/README.md by a third or more), which the floors would then be
** charged for. The helper runs floors[i] when it reads byte i, and
** answers with the microseconds it took. */
static const series floors[] = {
    {bare.name, proc_once, (void *)&bare, NULL, {0, 0}},
    {"fork+_exit+wait", fork_once, NULL, NULL, {0, 0}},
    {"fork + seccomp filter + _exit", seccomp_once, NULL, NULL, {0, 0}},
};
#define N_FLOORS (sizeof floors / sizeof floors[0])

typedef struct helper {
  pid_t pid;
  int to, from;
} helper;

typedef struct helper_call {
  const helper *h;
  unsigned char floor;
} helper_call;

static _Noreturn void helper_main(int in, int out) {
  unsigned char i;
  while (read(in, &i, 1) == 1) {
    double us = i < N_FLOORS ? floors[i].once(floors[i].ctx) : -1;
    if (write(out, &us, sizeof us) != sizeof us)
      break;
  }
  _exit(0);
}

static bool helper_start(helper *h) {
  int to[2] = {-1, -1}, from[2] = {-1, -1};
  h->pid = -1;
  if (pipe2(to, O_CLOEXEC) == 0 && pipe2(from, O_CLOEXEC) == 0 &&
      (h->pid = fork()) == 0) {
    close(to[1]); /* else it would never read the end of its requests */
    close(from[0]);
    helper_main(to[0], from[1]);
  }
  close(to[0]);
  close(from[1]);
  h->to = to[1];
  h->from = from[0];
  return h->pid > 0;
}

/* The helper ends when its requests do. */
static void helper_stop(helper *h) {
  close(h->to);
  close(h->from);
  if (h->pid > 0)
    reap_ok(h->pid);
}

static double helper_once(void *ctx) {
  const helper_call *c = ctx;
  double us;
  if (write(c->h->to, &c->floor, 1) != 1 ||
      read(c->h->from, &us, sizeof us) != sizeof us)
    return -1;
  return us;
}

/* ---- zygotes ---- */

/* Up to size-1 bytes of a small /proc file, NUL-terminated; -1 if none. */
static ssize_t read_small(const char *path, char *buf, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n;
  if (fd < 0)
    return -1;
  n = read(fd, buf, size - 1);
  close(fd);
  if (n >= 0)
    buf[n] = '\0';
  return n;
}

/* A child of ours whose argv[1] is --zygote: a zygote, or the holder of
** its pid namespace (a fork of it). */
static bool is_zygote_child(const char *pid) {
  char path[64], buf[512];
  const char *paren;
  int ppid;
  snprintf(path, sizeof path, "/proc/%s/stat", pid);
  if (read_small(path, buf, sizeof buf) <= 0 ||
      (paren = strrchr(buf, ')')) == NULL ||
      sscanf(paren + 1, " %*c %d", &ppid) != 1 || ppid != getpid())
    return false;
  snprintf(path, sizeof path, "/proc/%s/cmdline", pid);
  ssize_t n = read_small(path, buf, sizeof buf);
  size_t argv0 = n > 0 ? strlen(buf) + 1 : 0;
  return n > 0 && argv0 < (size_t)n && strcmp(buf + argv0, "--zygote") == 0;
}

static int zygote_children(void) {
  DIR *d = opendir("/proc");
  struct dirent *e;
  int n = 0;
  if (d == NULL)
    return 0;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] >= '1' && e->d_name[0] <= '9' &&
        is_zygote_child(e->d_name))
      n++;
  closedir(d);
  return n;
}

static void check_zygote_started(const char *what, int before) {
  if (zygote_children() <= before)
    printf("  warning: %s: no zygote started; these runs were exec'd\n", what);
}

/* ---- plugsup runs ---- */

typedef struct mode {
  const char *name;
  plugsup_spawn spawn;
  bool no_namespaces;
} mode;

enum { EXEC, EXEC_NO_NS, ZYGOTE, ZYGOTE_NO_NS, N_MODES };

static const mode modes[N_MODES] = {
    [EXEC] = {"exec", PLUGSUP_SPAWN_EXEC, false},
    [EXEC_NO_NS] = {"exec, no namespaces", PLUGSUP_SPAWN_EXEC, true},
    [ZYGOTE] = {"zygote", PLUGSUP_SPAWN_ZYGOTE, false},
    [ZYGOTE_NO_NS] = {"zygote, no namespaces", PLUGSUP_SPAWN_ZYGOTE, true},
};

static plugsup_supervisor *supervisor(const mode *m, unsigned inflight) {
  plugsup_config cfg;
  plugsup_supervisor *s;
  plugsup_config_init(&cfg);
  cfg.worker_path = WORKER;
  cfg.max_in_flight = inflight;
  cfg.no_namespaces = m->no_namespaces;
  cfg.spawn = m->spawn;
  if (plugsup_supervisor_new(&cfg, &s) != PLUGSUP_OK) {
    fprintf(stderr, "bench_overhead: %s\n", plugsup_errmsg());
    return NULL;
  }
  return s;
}

typedef struct run_ctx {
  plugsup_supervisor *sup;
  plugsup_plugin *plugin;
  const plugsup_run_options *opts; /* NULL: START */
} run_ctx;

static bool result_ok(plugsup_result *r) {
  plugsup_outcome o = r->outcome;
  if (o != PLUGSUP_OUTCOME_OK)
    fprintf(stderr, "bench_overhead: a run ended with %s: %s\n",
            plugsup_outcome_name(o), r->message);
  plugsup_result_free(r);
  return o == PLUGSUP_OUTCOME_OK;
}

static double run_once(void *ctx) {
  const run_ctx *c = ctx;
  plugsup_result *r;
  double t0 = now_us();
  if (plugsup_run(c->sup, c->plugin, c->opts, &r) != PLUGSUP_OK) {
    fprintf(stderr, "bench_overhead: %s\n", plugsup_errmsg());
    return -1;
  }
  double us = since(t0, true);
  return result_ok(r) ? us : -1;
}

/* A first run, untimed, which in zygote mode starts the zygote. */
static bool first_run(const mode *m, run_ctx *c) {
  int before = zygote_children();
  if (run_once(c) < 0)
    return false;
  if (m->spawn == PLUGSUP_SPAWN_ZYGOTE)
    check_zygote_started(m->name, before);
  return true;
}

/* ---- parts 1 and 2: per run ---- */

static void print_goal(const series *base, const series *zyg,
                       const series *zyg_nons) {
  double m = zyg->st.median, r = m / base->st.median;
  printf("  zygote median %.1f us (goal <= %.0f us), %.2fx bare (goal <= "
         "%.1fx); without namespaces %.1f us, %.2fx\n", m, GOAL_US, r,
         GOAL_RATIO, zyg_nons->st.median, zyg_nons->st.median / base->st.median);
}

/* Series: the floors through the helper, bare again from this process
** (with the supervisors' threads), then one per mode. */
enum { HERE = N_FLOORS, FIRST_MODE, N_PER_RUN = FIRST_MODE + N_MODES };

static bool per_run(plugsup_plugin *trivial, int n) {
  helper h;
  helper_call calls[N_FLOORS];
  run_ctx runs[N_MODES] = {{0}};
  series s[N_PER_RUN] = {{0}};
  bool ok = helper_start(&h);
  for (size_t i = 0; i < N_FLOORS; i++) {
    calls[i] = (helper_call){&h, (unsigned char)i};
    s[i] = (series){floors[i].name, helper_once, &calls[i], NULL, {0, 0}};
  }
  s[HERE] = (series){"bare, forked by this process", proc_once,
                     (void *)&bare, NULL, {0, 0}};
  for (size_t i = 0; i < N_MODES && ok; i++) {
    runs[i] = (run_ctx){supervisor(&modes[i], 1), trivial, NULL};
    s[FIRST_MODE + i] = (series){modes[i].name, run_once, &runs[i], NULL, {0, 0}};
    ok = runs[i].sup != NULL && first_run(&modes[i], &runs[i]);
  }
  ok = ok && time_all(s, N_PER_RUN, n);
  if (ok) {
    printf("1-2. one run, %d runs each, interleaved   median us   p99 us  "
           "x bare\n", n);
    print_rows(s, N_PER_RUN);
    print_goal(&s[0], &s[FIRST_MODE + ZYGOTE], &s[FIRST_MODE + ZYGOTE_NO_NS]);
  }
  free_samples(s, N_PER_RUN);
  for (size_t i = 0; i < N_MODES; i++)
    plugsup_supervisor_free(runs[i].sup);
  helper_stop(&h);
  return ok;
}

/* ---- part 3: throughput ---- */

static bool drain(plugsup_supervisor *s) {
  plugsup_job *job;
  bool ok = true;
  while (plugsup_wait_any(s, -1, &job) == PLUGSUP_OK) {
    plugsup_result *r;
    ok = plugsup_job_take(job, &r) == PLUGSUP_OK && result_ok(r) && ok;
  }
  return ok;
}

/* n runs submitted at once; their wall time is added to *secs. */
static bool batch(const run_ctx *c, int n, double *secs) {
  plugsup_job *job;
  bool ok = true;
  double t0 = now_us();
  for (int i = 0; i < n && ok; i++)
    ok = plugsup_submit(c->sup, c->plugin, NULL, &job) == PLUGSUP_OK;
  if (!ok)
    fprintf(stderr, "bench_overhead: %s\n", plugsup_errmsg());
  ok = drain(c->sup) && ok;
  *secs += (now_us() - t0) / 1e6;
  return ok;
}

/* Runs per second of every mode with 'inflight' runs at most in flight,
** after one untimed run each (which starts the zygote). The modes take
** turns in RATE_ROUNDS batches, so that a change of load in between falls
** on all of them. */
static bool rate_row(plugsup_plugin *p, unsigned inflight, int n,
                     double rate[N_MODES]) {
  run_ctx c[N_MODES] = {{0}};
  double secs[N_MODES] = {0};
  int per = n / RATE_ROUNDS;
  bool ok = true;
  for (size_t j = 0; j < N_MODES && ok; j++) {
    c[j] = (run_ctx){supervisor(&modes[j], inflight), p, NULL};
    ok = c[j].sup != NULL && first_run(&modes[j], &c[j]);
  }
  for (int r = 0; r < RATE_ROUNDS && ok; r++)
    for (size_t j = 0; j < N_MODES && ok; j++)
      ok = batch(&c[j], per, &secs[j]);
  for (size_t j = 0; j < N_MODES; j++) {
    rate[j] = per * RATE_ROUNDS / secs[j];
    plugsup_supervisor_free(c[j].sup);
  }
  return ok;
}

static bool rates(plugsup_plugin *trivial, int n) {
  static const unsigned inflight[] = {1, 2, 8};
  printf("3. runs per second, %d runs each in %d turns", n - n % RATE_ROUNDS,
         RATE_ROUNDS);
  for (size_t j = 0; j < N_MODES; j++)
    printf(" | %s", modes[j].name);
  printf("\n");
  for (size_t i = 0; i < 3; i++) {
    double rate[N_MODES];
    if (!rate_row(trivial, inflight[i], n, rate))
      return false;
    printf("  %u in flight:", inflight[i]);
    for (size_t j = 0; j < N_MODES; j++)
      printf(" %9.0f", rate[j]);
    printf("\n");
  }
  return true;
}

/* ---- part 4: by module size ---- */

typedef struct cell {
  run_ctx c;
  double first[FIRST_RUNS], later[FIRST_RUNS * LATER_PER_FIRST];
} cell;

/* Round r of one cell: release the zygote, time a first run (which starts
** a new one in zygote mode), then LATER_PER_FIRST more. */
static bool size_round(const mode *m, cell *x, int r) {
  plugsup_supervisor_release(x->c.sup, x->c.plugin);
  int before = zygote_children();
  if ((x->first[r] = run_once(&x->c)) < 0)
    return false;
  if (m->spawn == PLUGSUP_SPAWN_ZYGOTE)
    check_zygote_started(m->name, before);
  for (int i = 0; i < LATER_PER_FIRST; i++)
    if ((x->later[r * LATER_PER_FIRST + i] = run_once(&x->c)) < 0)
      return false;
  return true;
}

static const mode *const size_modes[2] = {&modes[EXEC], &modes[ZYGOTE]};

/* Both modes, round by round. */
static bool size_cells(cell x[2]) {
  bool ok = true;
  for (int r = 0; r < FIRST_RUNS && ok; r++)
    for (int j = 0; j < 2 && ok; j++)
      ok = size_round(size_modes[j], &x[j], r);
  return ok;
}

static bool size_row(const char *label, const char *path,
                     const plugsup_run_options *opts) {
  cell x[2];
  plugsup_plugin *p;
  struct stat st;
  bool ok = true;
  if (stat(path, &st) != 0 || plugsup_plugin_load_file(path, &p) != PLUGSUP_OK) {
    printf("  %-22s skipped: cannot load %s\n", label, path);
    return true;
  }
  for (int j = 0; j < 2 && ok; j++) {
    x[j].c = (run_ctx){supervisor(size_modes[j], 1), p, opts};
    ok = x[j].c.sup != NULL;
  }
  ok = ok && size_cells(x);
  if (ok)
    printf("  %-22s %8lld %13.0f %13.0f %13.0f %13.0f\n", label,
           (long long)st.st_size, summarize(x[0].first, FIRST_RUNS).median,
           summarize(x[0].later, FIRST_RUNS * LATER_PER_FIRST).median,
           summarize(x[1].first, FIRST_RUNS).median,
           summarize(x[1].later, FIRST_RUNS * LATER_PER_FIRST).median);
  for (int j = 0; j < 2; j++)
    plugsup_supervisor_free(x[j].c.sup);
  plugsup_plugin_free(p);
  return ok;
}

static bool by_size(void) {
  static const plugsup_value args[2] = {{.type = PLUGSUP_I32, .of.i32 = 10},
                                        {.type = PLUGSUP_I32, .of.i32 = 0}};
  plugsup_run_options invoke = {.size = sizeof invoke,
                                .mode = PLUGSUP_MODE_INVOKE,
                                .export_name = "run", .args = args, .nargs = 2};
  printf("4. run cost by module size, us (medians: %d first runs, %d later)\n"
         "  %-22s %8s %13s %13s %13s %13s\n", FIRST_RUNS,
         FIRST_RUNS * LATER_PER_FIRST, "module", "bytes", "exec first",
         "exec later", "zygote first", "zygote later");
  return size_row("trivial (START)", TRIVIAL_WASM, NULL) &&
         size_row("Lua-sized (INVOKE)", LUA_SIZED_WASM, &invoke) &&
         size_row("QuickJS-sized (INVOKE)", QUICKJS_SIZED_WASM, &invoke);
}

/* ---- part 5: whole processes ---- */

typedef struct options {
  int runs;
  const char *wasm3, *iwasm; /* NULL: not timed */
} options;

/* The median of the series named name, or 0 when it was not timed. */
static double median_of(const series *s, size_t k, const char *name) {
  for (size_t j = 0; j < k; j++)
    if (strcmp(s[j].name, name) == 0)
      return s[j].st.median;
  return 0;
}

static void print_ratio_goal(const series *s, size_t k, const char *what,
                             const char *ours, const char *theirs,
                             double goal) {
  double a = median_of(s, k, ours), b = median_of(s, k, theirs);
  if (a > 0 && b > 0)
    printf("  %s: %.2fx %s (goal <= %.1fx)\n", what, a / b, theirs, goal);
}

/* Each module as a whole process: plugsup's CLI (one run, so an exec'd
** worker: a first run), wasm3 and iwasm. */
static bool whole_process(const options *o) {
  static char *cli_argv[] = {PLUGSUP_CLI, "run", TRIVIAL_WASM, NULL};
  static char *lua_argv[] = {PLUGSUP_CLI, "run", "--invoke", "run",
                             LUA_SIZED_WASM, "i32:10", "i32:0", NULL};
  static char *qjs_argv[] = {PLUGSUP_CLI, "run", "--invoke", "run",
                             QUICKJS_SIZED_WASM, "i32:10", "i32:0", NULL};
  static char *zyg_env[] = {"PLUGSUP_WORKER=" WORKER, "PLUGSUP_SPAWN=zygote",
                            NULL};
  static char *exec_env[] = {"PLUGSUP_WORKER=" WORKER, "PLUGSUP_SPAWN=exec",
                             NULL};
  char *w3 = (char *)o->wasm3, *iw = (char *)o->iwasm;
  char *wasm3_argv[] = {w3, TRIVIAL_WASM, NULL};
  char *iwasm_argv[] = {iw, TRIVIAL_WASM, NULL};
  char *wasm3_lua[] = {w3, "--func", "run", LUA_SIZED_WASM, "10", "0", NULL};
  char *iwasm_lua[] = {iw, "-f", "run", LUA_SIZED_WASM, "10", "0", NULL};
  char *wasm3_qjs[] = {w3, "--func", "run", QUICKJS_SIZED_WASM, "10", "0",
                       NULL};
  char *iwasm_qjs[] = {iw, "-f", "run", QUICKJS_SIZED_WASM, "10", "0", NULL};
  proc p[] = {
      bare,
      {"plugsup run trivial.wasm (zygote)", PLUGSUP_CLI, cli_argv, zyg_env},
      {"plugsup run trivial.wasm (exec)", PLUGSUP_CLI, cli_argv, exec_env},
      {"wasm3 trivial.wasm", o->wasm3, wasm3_argv, no_env},
      {"iwasm trivial.wasm", o->iwasm, iwasm_argv, no_env},
      {"plugsup run Lua-sized", PLUGSUP_CLI, lua_argv, exec_env},
      {"wasm3 Lua-sized", o->wasm3, wasm3_lua, no_env},
      {"iwasm Lua-sized", o->iwasm, iwasm_lua, no_env},
      {"plugsup run QuickJS-sized", PLUGSUP_CLI, qjs_argv, exec_env},
      {"wasm3 QuickJS-sized", o->wasm3, wasm3_qjs, no_env},
      {"iwasm QuickJS-sized", o->iwasm, iwasm_qjs, no_env}};
  series s[sizeof p / sizeof p[0]];
  size_t k = 0;
  for (size_t i = 0; i < sizeof p / sizeof p[0]; i++)
    if (p[i].path != NULL)
      s[k++] = (series){p[i].name, proc_once, &p[i], NULL, {0, 0}};
  bool ok = time_all(s, k, o->runs);
  if (ok) {
    printf("5. whole process, fork+exec+wait, %d runs   median us   p99 us  "
           "x bare\n", o->runs);
    print_rows(s, k);
    print_ratio_goal(s, k, "plugsup run trivial.wasm",
               "plugsup run trivial.wasm (exec)", "wasm3 trivial.wasm", 1.3);
    print_ratio_goal(s, k, "first run of QuickJS-sized", "plugsup run QuickJS-sized",
               "wasm3 QuickJS-sized", 2.0);
  }
  free_samples(s, k);
  return ok;
}

/* ---- main ---- */

/* /proc/loadavg's line, newline included; a static buffer. */
static const char *load_average(void) {
  static char buf[128];
  return read_small("/proc/loadavg", buf, sizeof buf) > 0 ? buf : "?\n";
}

static bool parse_args(int argc, char **argv, options *o) {
  *o = (options){300, NULL, NULL};
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--wasm3") == 0 && i + 1 < argc)
      o->wasm3 = argv[++i];
    else if (strcmp(argv[i], "--iwasm") == 0 && i + 1 < argc)
      o->iwasm = argv[++i];
    else if ((o->runs = atoi(argv[i])) < 10)
      return false;
  }
  /* Said now rather than after minutes of the other parts. */
  return (o->wasm3 == NULL || access(o->wasm3, X_OK) == 0) &&
         (o->iwasm == NULL || access(o->iwasm, X_OK) == 0);
}

int main(int argc, char **argv) {
  options o;
  plugsup_plugin *trivial;
  if (!parse_args(argc, argv, &o)) {
    fprintf(stderr, "usage: bench_overhead [RUNS>=10] [--wasm3 PATH] "
                    "[--iwasm PATH]  (each PATH an executable)\n");
    return 2;
  }
  if (plugsup_plugin_load_file(TRIVIAL_WASM, &trivial) != PLUGSUP_OK) {
    fprintf(stderr, "bench_overhead: %s\n", plugsup_errmsg());
    return 1;
  }
  /* Each line as it comes, also into a pipe: the run takes minutes. */
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("plugsup per-run overhead (worker %s), load average %s", WORKER,
         load_average());
  bool ok = per_run(trivial, o.runs) && rates(trivial, o.runs) && by_size() &&
            whole_process(&o);
  printf("load average at the end %s", load_average());
  plugsup_plugin_free(trivial);
  return ok ? 0 : 1;
}
