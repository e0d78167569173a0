/*
** overhead.c: what a sandboxed plugin run costs beyond starting a process.
**
** Measures, in one process and one sitting:
**   - bare: fork + execve + waitpid of a trivial static program;
**   - sandboxed: plugsup_run of a trivial plugin (fresh worker each run:
**     exec, sandbox set-up, Hello/Run/Result, reap);
**   - throughput with 1, 2 and 8 runs in flight.
** and prints median and p99 per run, runs per second, and the ratio of
** the medians against the bar (sandboxed <= 4x bare).
**
** usage: bench_overhead [RUNS] [PLUGIN.wasm] [WORKER]
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "plugsup.h"

#define BAR 4.0

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

static bool bare_once(const char *prog) {
  char *argv[] = {(char *)prog, NULL}, *envp[] = {NULL};
  pid_t pid = fork();
  if (pid < 0)
    return false;
  if (pid == 0) {
    execve(prog, argv, envp);
    _exit(127);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static bool time_bare(const char *prog, double *t, int n) {
  for (int i = 0; i < n; i++) {
    double t0 = now_us();
    if (!bare_once(prog)) {
      fprintf(stderr, "bench_overhead: cannot run %s\n", prog);
      return false;
    }
    t[i] = now_us() - t0;
  }
  return true;
}

static plugsup_outcome last_outcome;

static bool time_sandboxed(plugsup_supervisor *s, plugsup_plugin *p,
                           double *t, int n) {
  for (int i = 0; i < n; i++) {
    plugsup_result *r;
    double t0 = now_us();
    if (plugsup_run(s, p, NULL, &r) != PLUGSUP_OK) {
      fprintf(stderr, "bench_overhead: %s\n", plugsup_errmsg());
      return false;
    }
    t[i] = now_us() - t0;
    last_outcome = r->outcome;
    plugsup_result_free(r);
  }
  return true;
}

/* Runs n jobs with 'inflight' workers at most; returns runs per second. */
static double throughput(const char *worker, plugsup_plugin *p, unsigned inflight,
                         int n) {
  plugsup_config cfg;
  plugsup_supervisor *s;
  plugsup_job *job;
  plugsup_config_init(&cfg);
  cfg.worker_path = worker;
  cfg.max_in_flight = inflight;
  if (plugsup_supervisor_new(&cfg, &s) != PLUGSUP_OK)
    return 0;
  double t0 = now_us();
  for (int i = 0; i < n; i++)
    if (plugsup_submit(s, p, NULL, &job) != PLUGSUP_OK)
      return 0;
  while (plugsup_wait_any(s, -1, &job) == PLUGSUP_OK) {
    plugsup_result *r;
    plugsup_job_take(job, &r);
    plugsup_result_free(r);
  }
  double secs = (now_us() - t0) / 1e6;
  plugsup_supervisor_free(s);
  return (double)n / secs;
}

static void row(const char *what, stats st) {
  printf("  %-34s median %8.1f us   p99 %8.1f us   %8.0f runs/s\n", what,
         st.median, st.p99, 1e6 / st.median);
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 500;
  const char *wasm = argc > 2 ? argv[2] : TRIVIAL_WASM;
  const char *worker = argc > 3 ? argv[3] : WORKER;
  if (n < 10) {
    fprintf(stderr, "usage: bench_overhead [RUNS>=10] [PLUGIN.wasm] [WORKER]\n");
    return 2;
  }
  plugsup_plugin *p;
  plugsup_config cfg;
  plugsup_supervisor *s;
  plugsup_config_init(&cfg);
  cfg.worker_path = worker;
  if (plugsup_plugin_load_file(wasm, &p) != PLUGSUP_OK ||
      plugsup_supervisor_new(&cfg, &s) != PLUGSUP_OK) {
    fprintf(stderr, "bench_overhead: %s\n", plugsup_errmsg());
    return 1;
  }
  double *bare = calloc((size_t)n, sizeof *bare);
  double *sand = calloc((size_t)n, sizeof *sand);
  int rc = 1;
  if (!bare || !sand)
    goto done;
  /* Warm both paths (page cache, dynamic loader) before timing. */
  if (!time_bare(BARE_TRUE, bare, 10) || !time_sandboxed(s, p, sand, 10))
    goto done;
  if (!time_bare(BARE_TRUE, bare, n) || !time_sandboxed(s, p, sand, n))
    goto done;
  stats b = summarize(bare, n), w = summarize(sand, n);
  printf("plugsup per-run overhead, %d runs each (plugin %s, outcome %s)\n", n,
         wasm, plugsup_outcome_name(last_outcome));
  row("bare fork+exec+wait (static)", b);
  row("sandboxed plugsup_run", w);
  printf("  ratio of medians: %.2fx (bar: <= %.1fx) %s\n", w.median / b.median,
         BAR, w.median / b.median <= BAR ? "PASS" : "FAIL");
  printf("throughput, %d runs:\n", n);
  static const unsigned inflight[] = {1, 2, 8};
  for (size_t i = 0; i < 3; i++)
    printf("  %u in flight: %8.0f runs/s\n", inflight[i],
           throughput(worker, p, inflight[i], n));
  rc = 0;
done:
  free(bare);
  free(sand);
  plugsup_supervisor_free(s);
  plugsup_plugin_free(p);
  return rc;
}
