/*
** seccomp.c: the worker's system-call filters and the SIGSYS reporter.
**
** Two filters are stacked (the kernel runs both; the harsher verdict wins):
**
** 1. A hand-written guard: any system call made through a foreign ABI
**    (another audit arch: e.g. int 0x80 on x86_64) or, on x86_64, with the
**    x32 bit set kills the process outright. This does not depend on how
**    libseccomp lays out its own architecture checks.
**
** 2. The allow-list, built with libseccomp for the native arch only:
**      read         fd == 3 (request pipe)
**      write        fd == 4 (reply pipe)   [+ fd == 2 in sanitizer builds]
**      mmap         (prot & PROT_EXEC) == 0
**      mprotect     (prot & PROT_EXEC) == 0
**      munmap, mremap, brk, madvise         (malloc and linear memory)
**      clock_gettime, clock_getres   clock id (low 32 bits) is one of
**                   REALTIME, MONOTONIC, PROCESS_CPUTIME_ID, THREAD_CPUTIME_ID
**      gettimeofday (the vDSO falls back to these on some clock sources,
**                    e.g. in VMs; the CPU clocks are always system calls)
**      clock_nanosleep  clock id (low 32 bits) is MONOTONIC: poll_oneoff
**                   sleeps here when it waits only for clocks
**      exit, exit_group
**    Anything else hits the default action, SCMP_ACT_TRAP: the kernel
**    raises SIGSYS with the call's number in si_syscall.
**
** A zygote's filter is the allow-list plus what forking needs; each child
** it forks stacks a third, short one that traps exactly those extra calls
** (allow_zygote, build_run_denials), so a run keeps the allow-list above.
**
** The SIGSYS handler packs a SandboxViolation frame (number and name) into
** a static buffer and writes it to the reply fd with the raw write system
** call, then makes a call that is never allowed (kill(0, 0): harmless if
** it ever were). SIGSYS is blocked inside its own handler, so the kernel
** resets it to the default action and the worker dies by SIGSYS: the
** supervisor sees the same death whether or not the frame got out.
**
** Names: libseccomp's resolver allocates, so it cannot run in a signal
** handler. The build resolves every native syscall name into a constant
** table (gen_syscall_names.c); the handler only indexes it.
*/
#define _GNU_SOURCE
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"

#include "syscall_names.inc"

static int violation_fd = -1;
static uint8_t violation_frame[FRAME_HEADER_BYTES + 128];

/* ---- the SIGSYS handler: async-signal-safe code only ---- */

/* protobuf-c packing into a caller's buffer neither allocates nor locks. */
static size_t pack_violation(int nr) {
  Plugsup__SandboxViolation v = PLUGSUP__SANDBOX_VIOLATION__INIT;
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT;
  size_t n;

  v.syscall_nr = nr;
  v.syscall_name = "";
  if (nr >= 0 && nr < SYSCALL_NAME_SLOTS && syscall_names[nr] != NULL)
    v.syscall_name = (char *)syscall_names[nr];
  env.msg_case = PLUGSUP__ENVELOPE__MSG_SANDBOX_VIOLATION;
  env.sandbox_violation = &v;
  n = plugsup__envelope__get_packed_size(&env);
  if (n > sizeof violation_frame - FRAME_HEADER_BYTES)
    return 0;
  violation_frame[0] = (uint8_t)n;
  violation_frame[1] = (uint8_t)(n >> 8);
  violation_frame[2] = 0;
  violation_frame[3] = 0;
  plugsup__envelope__pack(&env, violation_frame + FRAME_HEADER_BYTES);
  return FRAME_HEADER_BYTES + n;
}

static void on_sigsys(int sig, siginfo_t *si, void *uctx) {
  size_t len = pack_violation(si->si_syscall);
  size_t off = 0;

  (void)sig;
  (void)uctx;
  while (off < len) {
    long n = syscall(SYS_write, violation_fd, violation_frame + off, len - off);
    if (n <= 0 && errno != EINTR)
      break;
    if (n > 0)
      off += (size_t)n;
  }
  syscall(SYS_kill, 0, 0);                  /* traps: death by SIGSYS */
  syscall(SYS_exit_group, 128 + SIGSYS);    /* not reached */
}

static int install_reporter(int reply_fd) {
  struct sigaction sa;

  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sigsys;
  sa.sa_flags = SA_SIGINFO;
  sigfillset(&sa.sa_mask);
  violation_fd = reply_fd;
  return sigaction(SIGSYS, &sa, NULL);
}

/* ---- filter 1: the ABI guard ---- */

static int install_abi_guard(void) {
  struct sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, seccomp_arch_native(), 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
#ifdef __x86_64__
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x40000000u /* x32 bit */, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
#endif
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {(unsigned short)(sizeof code / sizeof code[0]), code};
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

/* ---- filter 2: the allow-list ---- */

static int allow(scmp_filter_ctx ctx, int nr) {
  return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
}

static int allow_memory(scmp_filter_ctx ctx) {
  static const int plain[] = {SCMP_SYS(munmap), SCMP_SYS(mremap),
                              SCMP_SYS(brk), SCMP_SYS(madvise)};
  for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
    if (allow(ctx, plain[i]) != 0)
      return -1;
  /* W^X for the whole process: no new executable mapping, ever. */
  if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
                       SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)) != 0)
    return -1;
  return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
                          SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
}

/* SCMP_A0(op, a, b): b (datum_b) is unused by SCMP_CMP_EQ but spelled out,
** so every field of the comparison is initialised. */
static int allow_pipes(scmp_filter_ctx ctx, int reply_fd) {
  if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(read), 1,
                       SCMP_A0(SCMP_CMP_EQ, PLUGSUP_WORKER_REQUEST_FD, 0)) != 0)
    return -1;
  if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1,
                       SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)reply_fd, 0)) != 0)
    return -1;
  if (WORKER_SANITIZED &&
      seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1,
                       SCMP_A0(SCMP_CMP_EQ, STDERR_FILENO, 0)) != 0)
    return -1;
  return 0;
}

/* Sanitizer runtimes ask for a few more. sigaltstack: ASan's _exit path
** (seen with strace); getpid, gettid, sched_yield, futex: its report path
** (the pid in the header, its internal spin locks), so a report gets out
** instead of a SIGSYS. Never in release builds. */
static int allow_sanitizer(scmp_filter_ctx ctx) {
  static const int extra[] = {SCMP_SYS(getpid), SCMP_SYS(gettid),
                              SCMP_SYS(sched_yield), SCMP_SYS(futex),
                              SCMP_SYS(sigaltstack)};
  if (!WORKER_SANITIZED)
    return 0;
  for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++)
    if (allow(ctx, extra[i]) != 0)
      return -1;
  return 0;
}

/* Only the clocks WASI names (wasi.c): nothing else in the worker reads a
** clock (no time(), no timed waits; ASan's runtime reads MONOTONIC and
** REALTIME). A negative clockid_t names another process's CPU clock
** (its pid is encoded in the id), so any clock would let a worker probe
** which pids exist on the host. clockid_t is an int: the kernel reads the
** low 32 bits of the register, whatever the caller left above them, so
** the comparison masks to exactly those bits. */
static int allow_clocks(scmp_filter_ctx ctx) {
  static const int calls[] = {SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres)};
  static const clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC,
                                  CLOCK_PROCESS_CPUTIME_ID,
                                  CLOCK_THREAD_CPUTIME_ID};
  for (size_t c = 0; c < sizeof calls / sizeof calls[0]; c++)
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
      if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, calls[c], 1,
                           SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu,
                                   (scmp_datum_t)ids[i])) != 0)
        return -1;
  return 0;
}

/* poll_oneoff on clocks alone sleeps in the worker (wasi_poll.c), on the
** monotonic clock only. Harmless: waiting touches nothing outside the
** process and tells no more than the clocks the worker may already read;
** the supervisor's wall-clock deadline still ends a worker that sleeps
** too long. The clock id is checked as allow_clocks does, so no other
** process's CPU clock can be probed through it. */
static int allow_sleep(scmp_filter_ctx ctx) {
  return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clock_nanosleep), 1,
                          SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu,
                                  (scmp_datum_t)CLOCK_MONOTONIC));
}

static int allow_rest(scmp_filter_ctx ctx) {
  static const int plain[] = {SCMP_SYS(gettimeofday), SCMP_SYS(exit),
                              SCMP_SYS(exit_group)};
  for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
    if (allow(ctx, plain[i]) != 0)
      return -1;
  return 0;
}

/* The run's allow-list; NULL on failure. */
static scmp_filter_ctx run_allow_list(int reply_fd) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);

  if (ctx == NULL)
    return NULL;
  /* seccomp_init's arch list is the native arch alone: keep it so. */
  if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) != 0 ||
      allow_pipes(ctx, reply_fd) != 0 || allow_memory(ctx) != 0 ||
      allow_clocks(ctx) != 0 || allow_sleep(ctx) != 0 || allow_rest(ctx) != 0 ||
      allow_sanitizer(ctx) != 0) {
    seccomp_release(ctx);
    return NULL;
  }
  return ctx;
}

static int load_and_release(scmp_filter_ctx ctx) {
  int rc = ctx != NULL && seccomp_load(ctx) == 0 ? 0 : -1;
  seccomp_release(ctx);
  return rc;
}

int seccomp_install(int reply_fd) {
  if (install_reporter(reply_fd) != 0)
    return -1;
  if (install_abi_guard() != 0)
    return -1;
  return load_and_release(run_allow_list(reply_fd));
}

/* ---- the zygote ---- */

/* What a zygote needs beyond a run, and nothing a run's child keeps:
**   recvmsg, sendmsg  fd == ctl_fd: ZygoteFork in with the run's
**                     descriptors, ZygoteForked out with the child's pidfd
**   clone             flags == SANDBOX_CLONE_FLAGS exactly (no thread, no
**                     namespace, no shared memory: a fork whose child is
**                     the supervisor's); clone3 hides its flags from the
**                     filter, so it stays forbidden
**   close, close_range, dup2, dup3, fcntl(F_DUPFD_CLOEXEC | F_GETFD):
**                     the child moving its descriptors to fds 3 and 4
**   prlimit64         pid 0 (itself): the child's limits
**   prctl             PR_SET_PDEATHSIG, PR_SET_SECCOMP: the child dies
**                     with the supervisor and installs its filter
**   getppid           the child checks it was not orphaned
** One row per rule; ARG_ANY: any arguments. The run's filter traps every
** system call named here, whatever its arguments (seccomp_enter_run). */
#define ARG_ANY (-1)
#define CTL_FD_VALUE ((scmp_datum_t)-1) /* stands for ctl_fd */

typedef struct zygote_rule {
  int nr;
  int arg;                 /* the argument compared, or ARG_ANY */
  scmp_datum_t value;      /* what it must equal */
} zygote_rule;

static const zygote_rule zygote_rules[] = {
    {SCMP_SYS(close), ARG_ANY, 0},
    {SCMP_SYS(close_range), ARG_ANY, 0},
    {SCMP_SYS(dup2), ARG_ANY, 0},
    {SCMP_SYS(dup3), ARG_ANY, 0},
    {SCMP_SYS(getppid), ARG_ANY, 0},
    {SCMP_SYS(recvmsg), 0, CTL_FD_VALUE},
    {SCMP_SYS(sendmsg), 0, CTL_FD_VALUE},
    {SCMP_SYS(clone), 0, (scmp_datum_t)SANDBOX_CLONE_FLAGS},
    {SCMP_SYS(fcntl), 1, F_DUPFD_CLOEXEC},
    {SCMP_SYS(fcntl), 1, F_GETFD},
    {SCMP_SYS(prlimit64), 0, 0},
    {SCMP_SYS(prctl), 0, PR_SET_PDEATHSIG},
    {SCMP_SYS(prctl), 0, PR_SET_SECCOMP},
};
#define ZYGOTE_RULES (sizeof zygote_rules / sizeof zygote_rules[0])

static int allow_zygote(scmp_filter_ctx ctx, int ctl_fd) {
  for (size_t i = 0; i < ZYGOTE_RULES; i++) {
    const zygote_rule *r = &zygote_rules[i];
    scmp_datum_t v = r->value == CTL_FD_VALUE ? (scmp_datum_t)ctl_fd : r->value;
    int rc = r->arg == ARG_ANY
                 ? allow(ctx, r->nr)
                 : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, r->nr, 1,
                                    (struct scmp_arg_cmp){(unsigned)r->arg,
                                                          SCMP_CMP_EQ, v, 0});
    if (rc != 0)
      return -1;
  }
  return 0;
}

/* A run's filter, stacked on the zygote's: the kernel runs both and the
** harsher verdict wins, so trapping what the zygote's allows beyond a
** run's leaves exactly a run's allow-list, with the same verdicts (a
** foreign arch is killed, anything else forbidden traps and is reported).
** It is this short because attaching a filter costs in proportion to its
** length (the kernel compiles it and works out which calls it always
** allows): some 110 us plus 2-3 us an instruction on a paravirtualised
** guest, on every run; the run's allow-list compiled on its own was 49
** instructions. x32 calls (the native arch with the x32 bit) are not
** matched here: the ABI guard below kills them. */
static struct sock_filter run_denials[4 + ZYGOTE_RULES + 2];

static unsigned short build_run_denials(void) {
  unsigned short n = 0, jeqs = 0;
  int nrs[ZYGOTE_RULES];
  for (size_t i = 0; i < ZYGOTE_RULES; i++) {
    bool seen = false;
    for (unsigned short j = 0; j < jeqs; j++)
      seen = seen || nrs[j] == zygote_rules[i].nr;
    if (!seen)
      nrs[jeqs++] = zygote_rules[i].nr;
  }
  run_denials[n++] = (struct sock_filter)BPF_STMT(
      BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
  run_denials[n++] = (struct sock_filter)BPF_JUMP(
      BPF_JMP | BPF_JEQ | BPF_K, seccomp_arch_native(), 1, 0);
  run_denials[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
                                                  SECCOMP_RET_KILL_PROCESS);
  run_denials[n++] = (struct sock_filter)BPF_STMT(
      BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
  /* Each match jumps over the rest and the ALLOW, to the TRAP. */
  for (unsigned short j = 0; j < jeqs; j++)
    run_denials[n++] = (struct sock_filter)BPF_JUMP(
        BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nrs[j],
        (uint8_t)(jeqs - j), 0);
  run_denials[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
                                                  SECCOMP_RET_ALLOW);
  run_denials[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
                                                  SECCOMP_RET_TRAP);
  return n;
}

int seccomp_install_zygote(int ctl_fd, seccomp_program *run) {
  scmp_filter_ctx ctx = run_allow_list(PLUGSUP_WORKER_REPLY_FD);

  if (ctx == NULL || allow_zygote(ctx, ctl_fd) != 0) {
    seccomp_release(ctx);
    return -1;
  }
  run->insns = run_denials;
  run->len = build_run_denials();
  /* The reporter writes to fd 4: a run's reply pipe in each child; in the
  ** zygote itself nothing is there, and the zygote dies by SIGSYS. */
  if (install_reporter(PLUGSUP_WORKER_REPLY_FD) != 0 || install_abi_guard() != 0) {
    seccomp_release(ctx);
    return -1;
  }
  return load_and_release(ctx);
}

int seccomp_enter_run(const seccomp_program *run) {
  struct sock_fprog prog = {run->len, run->insns};
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}
