/*
** replay_main.c: a main for the harnesses without libFuzzer. Every
** argument is a file or a folder of files; each file is handed once to
** LLVMFuzzerTestOneInput. A crash ends the process, so ctest reports the
** input that caused it (the name is printed before each run).
*/
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"

static int run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  uint8_t *buf = NULL;
  size_t n = 0, cap = 0;
  if (f == NULL) {
    fprintf(stderr, "replay: cannot open %s\n", path);
    return -1;
  }
  for (;;) {
    if (n == cap) {
      uint8_t *nb = realloc(buf, cap ? cap * 2 : 4096);
      if (nb == NULL)
        goto fail;
      buf = nb;
      cap = cap ? cap * 2 : 4096;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    if (got == 0)
      break;
    n += got;
  }
  fclose(f);
  fprintf(stderr, "replay: %s\n", path);
  LLVMFuzzerTestOneInput(buf, n);
  free(buf);
  return 0;
fail:
  fclose(f);
  free(buf);
  return -1;
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files of a folder in name order, so runs are reproducible. */
static int run_dir(const char *dir, long *count) {
  DIR *d = opendir(dir);
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *e;
  int rc = 0;
  if (d == NULL)
    return 0;  /* a missing regressions folder is just empty */
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    if (n == cap) {
      char **nn = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof *names);
      if (nn == NULL) { rc = -1; break; }
      names = nn;
    }
    names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2);
    if (names[n] == NULL) { rc = -1; break; }
    sprintf(names[n], "%s/%s", dir, e->d_name);
    n++;
  }
  closedir(d);
  if (n > 1)  /* an empty folder leaves names NULL, which qsort may not get */
    qsort(names, n, sizeof *names, cmp_names);
  for (size_t i = 0; i < n; i++) {
    struct stat st;
    if (rc == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
      rc = run_file(names[i]);
      (*count)++;
    }
    free(names[i]);
  }
  free(names);
  return rc;
}

int main(int argc, char **argv) {
  long count = 0;
  for (int i = 1; i < argc; i++) {
    struct stat st;
    int rc;
    if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
      rc = run_dir(argv[i], &count);
    } else {
      rc = run_file(argv[i]);
      count++;
    }
    if (rc != 0)
      return 2;
  }
  printf("replayed %ld inputs without a crash\n", count);
  return 0;
}
