/*
** fileio.c: file I/O through WASI preview 1, timed inside the program
** (monotonic clock), so that process start and module load do not count.
**
**   fileio read PATH BUF           read PATH to its end, BUF bytes a call
**   fileio write PATH BUF BYTES    write BYTES bytes to PATH (created or
**                                  truncated), BUF bytes a call
**   fileio calls PATH N            N 1-byte reads of PATH (N bytes long at
**                                  least), N fd_fdstat_get on it, and the
**                                  same loop without a call
**
** Prints one line and exits 0, or "FAIL ..." and exits 1:
**   ok read BUF BYTES SECONDS SUM      SUM: the bytes at offsets 0, 512,
**                                      1024, ... added up, mod 2^32
**   ok write BUF BYTES SECONDS
**   ok calls N READ_S FDSTAT_S LOOP_S  seconds for each N-loop
*/
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what, const char *path) {
  printf("FAIL %s %s\n", what, path);
  return 1;
}

static int do_read(const char *path, size_t buf_size) {
  unsigned char *buf = malloc(buf_size);
  int fd = open(path, O_RDONLY);
  uint64_t total = 0;
  uint32_t sum = 0;
  if (!buf || fd < 0)
    return fail("open", path);
  double t0 = now();
  for (;;) {
    ssize_t n = read(fd, buf, buf_size);
    if (n < 0)
      return fail("read", path);
    if (n == 0)
      break;
    /* Touch the data, cheaply: the bytes at file offsets that are
    ** multiples of 512, whatever lengths the reads return. */
    for (uint64_t at = (total + 511) / 512 * 512; at < total + (uint64_t)n;
         at += 512)
      sum += buf[at - total];
    total += (uint64_t)n;
  }
  double t = now() - t0;
  close(fd);
  free(buf);
  printf("ok read %zu %llu %.6f %u\n", buf_size, (unsigned long long)total, t,
         sum);
  return 0;
}

static int do_write(const char *path, size_t buf_size, uint64_t bytes) {
  unsigned char *buf = malloc(buf_size);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  uint64_t left = bytes;
  if (!buf || fd < 0)
    return fail("open", path);
  memset(buf, 'w', buf_size);
  double t0 = now();
  while (left > 0) {
    size_t len = left < buf_size ? (size_t)left : buf_size;
    ssize_t n = write(fd, buf, len);
    if (n <= 0)
      return fail("write", path);
    left -= (uint64_t)n;
  }
  if (close(fd) != 0)
    return fail("close", path);
  double t = now() - t0;
  free(buf);
  printf("ok write %zu %llu %.6f\n", buf_size, (unsigned long long)bytes, t);
  return 0;
}

static int do_calls(const char *path, unsigned n) {
  volatile uint32_t sink = 0;
  unsigned char c;
  __wasi_fdstat_t st;
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return fail("open", path);
  double t0 = now();
  for (unsigned i = 0; i < n; i++)
    if (read(fd, &c, 1) != 1)
      return fail("read", path);
    else
      sink += c;
  double t1 = now();
  for (unsigned i = 0; i < n; i++)
    if (__wasi_fd_fdstat_get((__wasi_fd_t)fd, &st) != 0)
      return fail("fd_fdstat_get", path);
    else
      sink += st.fs_filetype;
  double t2 = now();
  for (unsigned i = 0; i < n; i++)
    sink += i;
  double t3 = now();
  close(fd);
  if (sink == 1) /* never, but the loops must not be optimised away */
    puts("");
  printf("ok calls %u %.6f %.6f %.6f\n", n, t1 - t0, t2 - t1, t3 - t2);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "read") == 0)
    return do_read(argv[2], strtoul(argv[3], NULL, 10));
  if (argc == 5 && strcmp(argv[1], "write") == 0)
    return do_write(argv[2], strtoul(argv[3], NULL, 10),
                    strtoull(argv[4], NULL, 10));
  if (argc == 4 && strcmp(argv[1], "calls") == 0)
    return do_calls(argv[2], (unsigned)strtoul(argv[3], NULL, 10));
  printf("FAIL usage: fileio read PATH BUF | write PATH BUF BYTES | "
         "calls PATH N\n");
  return 1;
}
