/*
** load_time: what loading a module costs, and its first calls, on the
** interpreter alone (for modules made by bench/gen_module.py).
**
** Usage: load_time [-r REPS] [-n N | -l] module.wasm
**   Each of REPS rounds (default 7) makes a fresh store and times
**   interp_module_load, interp_instantiate, then run(N, 0) twice: the
**   first call pays for whatever is still to be done before the N
**   functions it reaches can run, the second is the steady state. The
**   line printed holds the medians, in milliseconds:
**
**     bytes load_ms ms_per_MB inst_ms first_ms second_ms total_ms peak_bytes
**
**   total_ms is load + instantiate + first call: a run that touches N
**   functions. N = 0 (the default) calls no function of the table.
**   -l times the load alone (any module, imports or not): the other
**   columns are then 0.
** Exit status 0, or 2 if the module cannot be read, loaded or run.
*/
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "interp.h"

enum { MAX_REPS = 101 };

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  uint8_t *buf = NULL;
  long n;
  if (f == NULL)
    return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
      fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n)) != NULL &&
      fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  if (buf)
    *len = (size_t)n;
  fclose(f);
  return buf;
}

typedef struct round {
  double load, inst, first, second;
  uint64_t peak;
} round;

static int call_run(interp_store *s, interp_instance *in, uint32_t n,
                    interp_error *err) {
  interp_extern run;
  interp_value args[2] = {{.type = INTERP_I32}, {.type = INTERP_I32}}, res;
  args[0].of.i32 = n;
  if (interp_instance_export(in, "run", 3, &run) != INTERP_OK) {
    snprintf(err->message, sizeof err->message, "no export 'run'");
    return -1;
  }
  return interp_call(s, run.of.func, args, 2, &res, 1, err) == INTERP_OK
             ? 0
             : -1;
}

/* One round on a fresh store; -1 with err set on failure. */
static int one_round(const uint8_t *bytes, size_t len, long n, round *r,
                     interp_error *err) {
  interp_store *s = NULL;
  interp_module *m = NULL;
  interp_instance *in = NULL;
  int rc = -1;
  if (interp_store_new(NULL, &s) != INTERP_OK)
    return -1;
  double t0 = now_ms();
  if (interp_module_load(s, bytes, len, &m, err) != INTERP_OK)
    goto done;
  double t1 = now_ms();
  *r = (round){t1 - t0, 0, 0, 0, 0};
  if (n < 0) { /* -l */
    rc = 0;
    goto done;
  }
  if (interp_instantiate(s, m, NULL, NULL, &in, err) != INTERP_OK)
    goto done;
  double t2 = now_ms();
  if (call_run(s, in, (uint32_t)n, err) != 0)
    goto done;
  double t3 = now_ms();
  if (call_run(s, in, (uint32_t)n, err) != 0)
    goto done;
  double t4 = now_ms();
  interp_stats st;
  interp_store_stats(s, &st);
  *r = (round){t1 - t0, t2 - t1, t3 - t2, t4 - t3, st.peak_bytes};
  rc = 0;
done:
  interp_store_free(s);
  return rc;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, by_value);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv) {
  int reps = 7, i = 1;
  long n = 0;
  for (; i + 1 < argc && argv[i][0] == '-'; i++) {
    if (strcmp(argv[i], "-l") == 0)
      n = -1;
    else if (strcmp(argv[i], "-r") == 0)
      reps = atoi(argv[++i]);
    else if (strcmp(argv[i], "-n") == 0)
      n = strtol(argv[++i], NULL, 10) & 0xffffffffL;
    else
      break;
  }
  if (i + 1 != argc || reps < 1 || reps > MAX_REPS) {
    fprintf(stderr, "usage: load_time [-r REPS] [-n N | -l] module.wasm\n");
    return 2;
  }
  size_t len = 0;
  uint8_t *bytes = read_file(argv[i], &len);
  if (bytes == NULL) {
    fprintf(stderr, "load_time: cannot read %s\n", argv[i]);
    return 2;
  }
  double load[MAX_REPS], inst[MAX_REPS], first[MAX_REPS], second[MAX_REPS],
      total[MAX_REPS];
  round r = {0};
  interp_error err = {0};
  for (int k = 0; k < reps; k++) {
    if (one_round(bytes, len, n, &r, &err) != 0) {
      fprintf(stderr, "load_time: %s: %s\n", argv[i], err.message);
      free(bytes);
      return 2;
    }
    load[k] = r.load;
    inst[k] = r.inst;
    first[k] = r.first;
    second[k] = r.second;
    total[k] = r.load + r.inst + r.first;
  }
  double ml = median(load, reps);
  printf("%zu %.2f %.2f %.3f %.3f %.3f %.2f %llu\n", len, ml,
         ml / ((double)len / 1e6), median(inst, reps), median(first, reps),
         median(second, reps), median(total, reps),
         (unsigned long long)r.peak);
  free(bytes);
  return 0;
}
