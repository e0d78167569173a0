/*
** floor.c: what a fresh process per run costs on this machine before
** plugsup does anything: the floor under a zygote's run.
**
**   bench_floor [ROUNDS]
**
** A zygote's child is a fork that touches some of the pages it shares
** with the zygote, writes a few, waits on a pipe and exits. Each row
** times one of those primitives alone, in a process holding 4 MiB of
** populated memory (about a small zygote's), as medians of ROUNDS
** children (default 101). CPU times are the child's own, from wait4's
** rusage, so they include what the kernel does for it: the first access
** to each page in a new address space, copy-on-write, the exit.
*/
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HELD_PAGES 1024 /* 4 MiB, populated before any fork */
#define TOUCHED 256     /* pages a child reads or writes */
#define PAGE 4096L

typedef enum work { NOTHING, READ, WRITE } work;

typedef struct child_plan {
  work first, second;  /* before and after the pipe */
  long wait_us;        /* how long the parent waits before writing it;
                          < 0: it is written before the fork */
} child_plan;

static char *held;

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, by_value);
  return v[n / 2];
}

/* Each half of the held pages belongs to one half of the child's work,
** so neither finds a page the other already touched. */
static void do_work(work w, long from) {
  volatile char sink = 0;
  for (long k = from; k < from + TOUCHED / 2; k++)
    if (w == READ)
      sink += held[k * PAGE];
    else if (w == WRITE)
      held[k * PAGE] = 2;
  (void)sink;
}

static double usec(struct timeval tv) {
  return tv.tv_sec * 1e6 + tv.tv_usec;
}

/* One child: its CPU time in *cpu, the wall time from fork to reaped.
** 0, or -1 with errno. */
static int one_child(const child_plan *p, double *cpu, double *wall) {
  int go[2], rc = -1;
  struct rusage ru;
  pid_t pid;
  if (pipe(go) != 0)
    return -1;
  if (p->wait_us < 0 && write(go[1], "", 1) != 1)
    goto done;
  double t0 = now_us();
  if ((pid = fork()) == 0) {
    char c;
    do_work(p->first, 0);
    if (read(go[0], &c, 1) != 1)
      _exit(1);
    do_work(p->second, TOUCHED / 2);
    _exit(0);
  }
  if (pid < 0)
    goto done;
  if (p->wait_us >= 0) {
    usleep((useconds_t)p->wait_us);
    if (write(go[1], "", 1) != 1) {
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
      goto done;
    }
  }
  if (wait4(pid, NULL, 0, &ru) != pid)
    goto done;
  *wall = now_us() - t0;
  *cpu = usec(ru.ru_utime) + usec(ru.ru_stime);
  rc = 0;
done:
  close(go[0]);
  close(go[1]);
  return rc;
}

typedef struct row {
  double cpu, wall;
} row;

static int measure(const child_plan *p, int rounds, row *out) {
  double *cpu = malloc(sizeof *cpu * (size_t)rounds);
  double *wall = malloc(sizeof *wall * (size_t)rounds);
  int rc = cpu && wall ? 0 : -1;
  for (int i = 0; i < rounds && rc == 0; i++)
    rc = one_child(p, &cpu[i], &wall[i]);
  if (rc == 0)
    *out = (row){median(cpu, rounds), median(wall, rounds)};
  free(cpu);
  free(wall);
  return rc;
}

static double syscall_ns(void) {
  enum { CALLS = 200000 };
  double t0 = now_us();
  for (int i = 0; i < CALLS; i++)
    syscall(SYS_getppid);
  return (now_us() - t0) * 1e3 / CALLS;
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 101;
  static const child_plan plans[] = {
      {NOTHING, NOTHING, -1}, {READ, READ, -1},    {WRITE, WRITE, -1},
      {READ, READ, 2000},     {READ, READ, 20000},
  };
  row r[sizeof plans / sizeof plans[0]];

  if (rounds < 11) {
    fprintf(stderr, "usage: bench_floor [ROUNDS >= 11]\n");
    return 2;
  }
  held = mmap(NULL, HELD_PAGES * PAGE, PROT_READ | PROT_WRITE,
              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (held == MAP_FAILED)
    return 1;
  memset(held, 1, HELD_PAGES * PAGE);
  for (size_t i = 0; i < sizeof plans / sizeof plans[0]; i++)
    if (measure(&plans[i], rounds, &r[i]) != 0) {
      perror("bench_floor");
      return 1;
    }
  printf("floor of a fresh process per run, medians of %d children of a "
         "process holding %d populated pages\n", rounds, HELD_PAGES);
  printf("  system call (getppid)                          %8.2f us\n",
         syscall_ns() / 1e3);
  printf("  fork + _exit + wait: wall                      %8.1f us\n",
         r[0].wall);
  printf("  the same: the child's CPU                      %8.1f us\n",
         r[0].cpu);
  printf("  first read of a page, in the child, per page   %8.2f us\n",
         (r[1].cpu - r[0].cpu) / TOUCHED);
  printf("  first write (copy-on-write), per page          %8.2f us\n",
         (r[2].cpu - r[0].cpu) / TOUCHED);
  printf("  child CPU when it waits 2 ms on a pipe midway  %+8.1f us\n",
         r[3].cpu - r[1].cpu);
  printf("  child CPU when it waits 20 ms on a pipe midway %+8.1f us\n",
         r[4].cpu - r[1].cpu);
  return 0;
}
