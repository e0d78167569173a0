/*
** soak.c: many runs of one plugin on one supervisor, watching for growth.
**
** usage: bench_soak [RUNS] [exec|zygote] [PLUGIN.wasm] [WORKER]
**
** Every tenth of the runs it lets the runs in flight finish, then prints
** the supervisor's open descriptors, its children (zygotes, a pid
** namespace's holder: no worker is left then) and its resident memory,
** and the largest child's: after the first tenth, descriptors and
** children may not grow by one. The runs are 8 in flight in between.
** Exit status 1 when a run does not end OK or a count grew; a number, not
** a timing.
*/
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugsup.h"

typedef struct sample {
  int fds, children;
  long rss_kb, zygote_rss_kb;
} sample;

static int count_dir(const char *path) {
  DIR *d = opendir(path);
  int n = 0;
  if (!d)
    return -1;
  while (readdir(d))
    n++;
  closedir(d);
  return n;
}

/* VmRSS of pid, in kB; -1 when it cannot be read. */
static long rss_of(int pid) {
  char path[64], line[256];
  long kb = -1;
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  FILE *f = fopen(path, "r");
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %ld", &kb) == 1)
      break;
  if (f)
    fclose(f);
  return kb;
}

static int parent_of(int pid) {
  char path[64], text[512];
  int ppid = -1;
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return -1;
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = '\0';
  const char *end = strrchr(text, ')');
  if (end && sscanf(end + 1, " %*c %d", &ppid) != 1)
    ppid = -1;
  return ppid;
}

static sample take_sample(void) {
  sample s = {count_dir("/proc/self/fd"), 0, rss_of(getpid()), 0};
  DIR *d = opendir("/proc");
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    int pid = atoi(e->d_name);
    if (pid <= 0 || parent_of(pid) != getpid())
      continue;
    s.children++;
    long kb = rss_of(pid);
    if (kb > s.zygote_rss_kb)
      s.zygote_rss_kb = kb;
  }
  if (d)
    closedir(d);
  return s;
}

static void print_sample(int done, sample s) {
  printf("%8d runs: %3d fds  %2d children  supervisor %6ld kB  largest child "
         "%6ld kB\n", done, s.fds, s.children, s.rss_kb, s.zygote_rss_kb);
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 10000;
  const char *mode = argc > 2 ? argv[2] : "zygote";
  const char *wasm = argc > 3 ? argv[3] : TRIVIAL_WASM;
  plugsup_config cfg;
  plugsup_supervisor *sup;
  plugsup_plugin *p;
  plugsup_config_init(&cfg);
  cfg.worker_path = argc > 4 ? argv[4] : WORKER;
  cfg.max_in_flight = 8;
  cfg.spawn = strcmp(mode, "exec") == 0 ? PLUGSUP_SPAWN_EXEC : PLUGSUP_SPAWN_ZYGOTE;
  if (n < 10 || plugsup_supervisor_new(&cfg, &sup) != PLUGSUP_OK ||
      plugsup_plugin_load_file(wasm, &p) != PLUGSUP_OK) {
    fprintf(stderr, "usage: bench_soak [RUNS>=10] [exec|zygote] [PLUGIN.wasm] "
                    "[WORKER]: %s\n", plugsup_errmsg());
    return 2;
  }
  int submitted = 0, done = 0, bad = 0, grew = 0;
  sample first = {0};
  plugsup_job *job;
  printf("bench_soak: %d runs of %s, %s mode, 8 in flight\n", n, wasm, mode);
  while (done < n) {
    /* Up to the next tenth only, so that none is in flight when it is
    ** sampled and the counts are exact. */
    int tenth = (done / (n / 10) + 1) * (n / 10);
    while (submitted < (tenth < n ? tenth : n) && submitted - done < 16 &&
           plugsup_submit(sup, p, NULL, &job) == PLUGSUP_OK)
      submitted++;
    plugsup_result *r;
    if (plugsup_wait_any(sup, -1, &job) != PLUGSUP_OK ||
        plugsup_job_take(job, &r) != PLUGSUP_OK)
      break;
    bad += r->outcome != PLUGSUP_OUTCOME_OK;
    plugsup_result_free(r);
    if (++done % (n / 10) != 0)
      continue;
    sample s = take_sample();
    print_sample(done, s);
    if (done == n / 10)
      first = s;
    else
      grew += s.fds > first.fds || s.children > first.children;
  }
  plugsup_plugin_free(p);
  plugsup_supervisor_free(sup);
  printf("%d of %d runs not OK; %s\n", bad, n,
         grew ? "descriptors or children grew" : "nothing grew");
  return bad || grew || done < n;
}
