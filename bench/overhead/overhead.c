/*
** overhead.c: what a sandboxed plugin run costs beyond starting a process.
**
** Measures, in one process and one sitting:
**   - bare: fork + execve + waitpid of a trivial static program;
**   - sandboxed: plugsup_run of a trivial plugin (fresh worker each run:
**     exec, sandbox set-up, Hello/Run/Result, reap), by default and with
**     no_namespaces (what the namespaces cost);
**   - throughput with 1, 2 and 8 runs in flight, both ways.
** and prints median and p99 per run, runs per second, and the ratio of
** the medians against the bar (sandboxed, by default, <= 4x bare).
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

static bool sandboxed_once(plugsup_supervisor *s, plugsup_plugin *p) {
  plugsup_result *r;
  if (plugsup_run(s, p, NULL, &r) != PLUGSUP_OK) {
    fprintf(stderr, "bench_overhead: %s\n", plugsup_errmsg());
    return false;
  }
  plugsup_outcome o = r->outcome;
  plugsup_result_free(r);
  if (o != PLUGSUP_OUTCOME_OK)
    fprintf(stderr, "bench_overhead: the trivial plugin ended with %s\n",
            plugsup_outcome_name(o));
  return o == PLUGSUP_OUTCOME_OK;
}

/* The series are interleaved run by run, so that whatever else the machine
** does at a moment weighs on all of them alike. */
typedef struct series {
  plugsup_supervisor *with_ns, *without_ns;
  double *bare, *sand, *sand_nons;
} series;

static bool time_series(const series *se, plugsup_plugin *p, int n) {
  for (int i = 0; i < n; i++) {
    double t0 = now_us();
    if (!bare_once(BARE_TRUE)) {
      fprintf(stderr, "bench_overhead: cannot run %s\n", BARE_TRUE);
      return false;
    }
    double t1 = now_us();
    if (!sandboxed_once(se->with_ns, p))
      return false;
    double t2 = now_us();
    if (!sandboxed_once(se->without_ns, p))
      return false;
    se->bare[i] = t1 - t0;
    se->sand[i] = t2 - t1;
    se->sand_nons[i] = now_us() - t2;
  }
  return true;
}

static plugsup_supervisor *supervisor(const char *worker, unsigned inflight,
                                      bool no_namespaces) {
  plugsup_config cfg;
  plugsup_supervisor *s;
  plugsup_config_init(&cfg);
  cfg.worker_path = worker;
  cfg.max_in_flight = inflight;
  cfg.no_namespaces = no_namespaces;
  if (plugsup_supervisor_new(&cfg, &s) != PLUGSUP_OK) {
    fprintf(stderr, "bench_overhead: %s\n", plugsup_errmsg());
    return NULL;
  }
  return s;
}

/* Runs n jobs with 'inflight' workers at most; returns runs per second. */
static double throughput(const char *worker, plugsup_plugin *p, unsigned inflight,
                         bool no_namespaces, int n) {
  plugsup_supervisor *s = supervisor(worker, inflight, no_namespaces);
  plugsup_job *job;
  if (!s)
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
  plugsup_plugin *p = NULL;
  series se = {0};
  int rc = 1;
  if (plugsup_plugin_load_file(wasm, &p) != PLUGSUP_OK) {
    fprintf(stderr, "bench_overhead: %s\n", plugsup_errmsg());
    return 1;
  }
  se.with_ns = supervisor(worker, 1, false);
  se.without_ns = supervisor(worker, 1, true);
  se.bare = calloc((size_t)n, sizeof *se.bare);
  se.sand = calloc((size_t)n, sizeof *se.sand);
  se.sand_nons = calloc((size_t)n, sizeof *se.sand_nons);
  if (!se.with_ns || !se.without_ns || !se.bare || !se.sand || !se.sand_nons)
    goto done;
  /* Warm every path (page cache, dynamic loader) before timing. */
  if (!time_series(&se, p, 10) || !time_series(&se, p, n))
    goto done;
  stats b = summarize(se.bare, n), w = summarize(se.sand, n),
        wn = summarize(se.sand_nons, n);
  printf("plugsup per-run overhead, %d runs each, interleaved (plugin %s)\n",
         n, wasm);
  row("bare fork+exec+wait (static)", b);
  row("sandboxed plugsup_run", w);
  row("sandboxed, --no-namespaces", wn);
  printf("  ratio of medians: %.2fx (bar: <= %.1fx) %s; without namespaces "
         "%.2fx\n", w.median / b.median, BAR,
         w.median / b.median <= BAR ? "PASS" : "FAIL", wn.median / b.median);
  printf("throughput, %d runs:     default   no namespaces\n", n);
  static const unsigned inflight[] = {1, 2, 8};
  for (size_t i = 0; i < 3; i++)
    printf("  %u in flight:      %8.0f runs/s %8.0f runs/s\n", inflight[i],
           throughput(worker, p, inflight[i], false, n),
           throughput(worker, p, inflight[i], true, n));
  rc = 0;
done:
  free(se.bare);
  free(se.sand);
  free(se.sand_nons);
  plugsup_supervisor_free(se.with_ns);
  plugsup_supervisor_free(se.without_ns);
  plugsup_plugin_free(p);
  return rc;
}
