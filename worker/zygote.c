/*
** zygote.c: a fork server for one plugin.
**
** Started by exec like any worker (frame.h says how), it enters the
** sandbox once, with a filter wider than a run's by what forking and
** receiving a run's descriptors need (seccomp.c), decodes and validates
** the module once, says ZygoteReady, and then forks one child per
** ZygoteFork on its control socket, compiling the module's bodies while
** it waits for them. Each child:
**   moves the run's two pipe ends to fds 3 and 4 and closes every other
**   descriptor (the control socket included), maps the shared buffer if
**   one came, takes the run's rlimits, dies with the supervisor, stacks
**   the run's own filter (no fork, no descriptor passing, no control
**   socket), and is from then on a worker like an exec'd one, except
**   that a Run without module bytes runs the module loaded here.
** Children are the supervisor's (CLONE_PARENT): the kernel tells it how
** each ended; the zygote never waits for one and never learns how it
** ended. Nothing of one run reaches the next: each is a fresh copy of
** the zygote, which itself never runs plugin code.
*/
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ctl.h"
#include "hostcall.h"
#include "wasi.h"
#include "worker.h"

typedef struct zygote {
  const uint8_t *bytes;    /* the module, mapped from fd 4 */
  size_t len;
  interp_store *store;     /* holds the loaded module and nothing else */
  interp_module *module;
  interp_instance *instance; /* made once compiled, if that runs no code */
  wasi_env *env;             /* what its imports are bound to */
  uint64_t instance_bytes;   /* what making it allocated */
  uint64_t memory_bytes;     /* the most any run may have (--memory) */
  sandbox_state sb;
  seccomp_program run_filter;
  pid_t parent;            /* what a child's getppid() must say */
  worker_hook hook;
  uint32_t uncompiled;     /* bodies compile_some has still to look at */
} zygote;

/* A slice of the compiling: small enough that a fork asked meanwhile
** waits a millisecond or so (a body is about 600 bytes of code, compiled
** in a few microseconds). */
#define COMPILE_SLICE 64u

/* What a child writes on every run, on as few pages as can be, since
** each page a child writes costs it a fault, copied or fresh: the WASI
** state the instance made ahead is bound to, which each run fills anew,
** then the child's frames (its Hello, its Run unpacked, its Result, host
** calls). Those are made here rather than by malloc, which would take
** blocks the zygote freed, scattered over its heap, and write them and
** its own bookkeeping: a fault for each page (six in a trivial run). A
** trivial run writes only the first page of this. Frames that do not fit
** come from malloc; the zygote's own frames never come from here
** (frame.h). */
static _Alignas(4096) struct {
  wasi_env env;
  _Alignas(16) uint8_t frames[64u << 10];
} per_run;

/* Once every body is compiled, the instance each run would make, unless
** making it runs code of the plugin (a start function: the zygote never
** runs any). Its functions then point at compiled code, its data is in
** place, and a run copies only the pages it writes, where instantiating
** anew would allocate and write them all. It is made within the largest
** memory limit a run may have: one that no run could take is not made.
** If it is not made, each run instantiates and fails as an exec'd one
** would. */
static void instantiate_ahead(zygote *z) {
  static const Plugsup__Run no_run = PLUGSUP__RUN__INIT;
  uint64_t pages = z->memory_bytes / WORKER_WASM_PAGE;
  if (pages > WORKER_MAX_PAGES)
    pages = WORKER_MAX_PAGES;
  interp_config cfg = {.max_memory_pages = (uint32_t)pages,
                       .max_bytes = pages * WORKER_WASM_PAGE};
  interp_stats before, after;
  interp_error err;
  if (interp_module_has_start(z->module) || pages == 0 ||
      interp_store_relimit(z->store, &cfg) != INTERP_OK)
    return;
  z->env = &per_run.env;
  wasi_env_init(z->env, NULL, z->store, &no_run);
  interp_store_stats(z->store, &before);
  if (interp_instantiate(z->store, z->module, wasi_resolve, z->env,
                         &z->instance, &err) != INTERP_OK) {
    z->instance = NULL;
    return;
  }
  interp_store_stats(z->store, &after);
  z->instance_bytes = after.bytes_allocated - before.bytes_allocated;
}

/* Compiling frees thousands of blocks, which glibc's malloc keeps in an
** unsorted list until a request it cannot serve from its bins sorts them
** all, writing a header in each: done by a child, that is a copy-on-write
** fault for every page they lie on, on every run. One request larger than
** any of them (and under the mmap threshold) sorts them here, once. */
static void sort_free_blocks(void) {
  free(malloc(64u * 1024u));
}

static void compile_some(zygote *z) {
  interp_error err;
  /* A body that cannot be compiled now is tried again at its first call,
  ** in the child, which says why if it fails there too. */
  (void)interp_module_compile_some(z->module, COMPILE_SLICE, &z->uncompiled,
                                   &err);
  if (z->uncompiled == 0) {
    instantiate_ahead(z);
    sort_free_blocks();
  }
}

/* What the zygote makes and frees between forks (the ZygoteFork it
** reads, mostly) would write, after every fork, heap pages it shares with
** the child just forked, and each such write copies a page and flushes
** the other core's TLB: three a fork here. Its own frames go to pages its
** children do not map instead (frame.h). Best effort: without them,
** malloc. */
#define OWN_FRAMES (16u << 10)

static void own_frames(void) {
  void *own = mmap(NULL, OWN_FRAMES, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (own == MAP_FAILED)
    return;
  if (madvise(own, OWN_FRAMES, MADV_DONTFORK) != 0) {
    munmap(own, OWN_FRAMES);
    return;
  }
  frame_region_own(own, OWN_FRAMES);
}

/* Before the sandbox, while mmap of a descriptor is still everyday. */
static int map_module(zygote *z) {
  return worker_map_module(PLUGSUP_ZYGOTE_MODULE_FD, &z->bytes, &z->len);
}

/* fork() copies the page tables of a private file mapping only once it
** holds an anonymous page. The binary's read-only segments (code and
** constants) hold none, so each child would fault in every page of code
** it runs, one fault per 64 KiB, 15-20 us each on a paravirtualised
** guest: half the faults of a trivial run. Rewriting one byte of each
** segment with itself through /proc/self/mem (which may write a read-only
** private mapping: the page is copied, its protection stays) gives it an
** anonymous page; MADV_POPULATE_READ maps the rest, and every child then
** starts with them mapped. Best effort: nothing depends on it. */
static int share_segment_pages(struct dl_phdr_info *info, size_t size,
                               void *mem_fd) {
  uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  (void)size;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W) || ph->p_memsz == 0)
      continue;
    uintptr_t start = (info->dlpi_addr + ph->p_vaddr) & ~(page - 1);
    uintptr_t end = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
    uint8_t byte = *(const volatile uint8_t *)start;
    if (pwrite(*(int *)mem_fd, &byte, 1, (off_t)start) == 1)
      (void)madvise((void *)start, end - start, MADV_POPULATE_READ);
  }
  return 1; /* the binary only: it is static */
}

static void share_binary_pages(void) {
  int fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return;
  dl_iterate_phdr(share_segment_pages, &fd);
  close(fd);
}

/* glibc registers an rseq area for the thread, in its TLS, which a static
** binary keeps on the heap; the kernel writes it on the way back to user
** space of every new process: a copy-on-write fault in every child before
** it has run a line. Nothing here uses rseq (glibc's sched_getcpu does):
** the zygote gives it up, once, and its children inherit that. Best
** effort, before the filter, which forbids it. */
static void drop_rseq(void) {
  void *area = (char *)__builtin_thread_pointer() + __rseq_offset;
  /* The kernel wants the length registered: glibc up to 2.39 registers
  ** the 32-byte struct and says 20 in __rseq_size, later ones say it. */
  if (__rseq_size == 0 ||
      syscall(SYS_rseq, area, (unsigned)sizeof(struct rseq),
              RSEQ_FLAG_UNREGISTER, RSEQ_SIG) == 0)
    return;
  (void)syscall(SYS_rseq, area, __rseq_size, RSEQ_FLAG_UNREGISTER, RSEQ_SIG);
}

/* Decoded and validated now; bodies are compiled between forks
** (compile_some), so the first run waits for no more than an exec'd
** worker's load, and later runs find the code compiled. The store has no
** budget of its own: the zygote's RLIMIT_AS bounds it. */
static const char *load_module(zygote *z, interp_error *err) {
  interp_config cfg;
  memset(&cfg, 0, sizeof cfg);
  if (interp_store_new(&cfg, &z->store) != INTERP_OK)
    return "out of memory";
  if (interp_module_load_static(z->store, z->bytes, z->len, &z->module,
                                err) != INTERP_OK)
    return err->message[0] != '\0' ? err->message : "the module does not load";
  return NULL;
}

/* The holder's pidfd goes to the supervisor before anything else can
** fail; then the holder is told it may stay. */
static int say_hello(zygote *z) {
  Plugsup__ZygoteHello h = PLUGSUP__ZYGOTE_HELLO__INIT;
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT;
  int fds[1] = {z->sb.holder_pidfd};
  int rc;

  h.namespaces = z->sb.namespaces;
  if (z->sb.holder_pidfd < 0)
    h.namespaces &= ~(uint32_t)PLUGSUP__NAMESPACE__NS_PID;
  env.msg_case = PLUGSUP__ENVELOPE__MSG_ZYGOTE_HELLO;
  env.zygote_hello = &h;
  rc = ctl_send(PLUGSUP_ZYGOTE_CONTROL_FD, &env, fds,
                z->sb.holder_pidfd >= 0 ? 1 : 0) == FRAME_OK ? 0 : -1;
  if (z->sb.holder_pidfd >= 0) {
    if (rc == 0 && write(z->sb.holder_release, "", 1) != 1)
      rc = -1;
    close(z->sb.holder_release);
    close(z->sb.holder_pidfd);
    z->sb.holder_release = z->sb.holder_pidfd = -1;
  }
  return rc;
}

static int say_ready(const char *problem) {
  Plugsup__ZygoteReady r = PLUGSUP__ZYGOTE_READY__INIT;
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT;

  r.problem = (char *)(problem != NULL ? problem : "");
  env.msg_case = PLUGSUP__ENVELOPE__MSG_ZYGOTE_READY;
  env.zygote_ready = &r;
  return ctl_send(PLUGSUP_ZYGOTE_CONTROL_FD, &env, NULL, 0) == FRAME_OK ? 0 : -1;
}

/* ---- a child ---- */

/* The shared buffer is mapped from wherever it came; the run's ends go
** to 3 and 4 (the reply end first moved out of the way when it came on 3,
** the only order in which one dup2 would clobber the other); then
** everything else is closed (fd 2 kept in sanitizer builds, as sandbox.c
** does). A system call saved here is saved on every run: they come on 0,
** 1 and 2, and take two dup2. */
static int take_run_fds(worker_ctx *w, const int *fds, size_t nfds) {
  int req = fds[0], rep = fds[1];
  /* Mapped without fstat's size check: the zygote's filter has no fstat
  ** (newfstatat would stat paths), and the supervisor made it sealed at
  ** HOSTCALL_IO_MAX. */
  if (nfds == 3) {
    void *m = mmap(NULL, HOSTCALL_IO_MAX, PROT_READ | PROT_WRITE, MAP_SHARED,
                   fds[2], 0);
    if (m != MAP_FAILED) {
      w->shared = m;
      w->shared_bytes = HOSTCALL_IO_MAX;
    }
  }
  if (rep == PLUGSUP_WORKER_REQUEST_FD &&
      (rep = fcntl(rep, F_DUPFD_CLOEXEC, PLUGSUP_WORKER_REPLY_FD + 1)) < 0)
    return -1;
  if ((req != PLUGSUP_WORKER_REQUEST_FD &&
       dup2(req, PLUGSUP_WORKER_REQUEST_FD) < 0) ||
      (rep != PLUGSUP_WORKER_REPLY_FD && dup2(rep, PLUGSUP_WORKER_REPLY_FD) < 0))
    return -1;
  if (syscall(SYS_close_range, (unsigned)PLUGSUP_WORKER_REPLY_FD + 1, UINT_MAX,
              0u) != 0)
    return -1;
  return syscall(SYS_close_range, 0u, WORKER_SANITIZED ? 1u : 2u, 0u) == 0
             ? 0
             : -1;
}

static int run_child(zygote *z, const Plugsup__ZygoteFork *f, const int *fds,
                     size_t nfds) {
  worker_ctx w;
  sandbox_state sb = z->sb;

  memset(&w, 0, sizeof w);
  if (take_run_fds(&w, fds, nfds) != 0 ||
      sandbox_run_limits(f->memory_bytes, f->cpu_seconds) != 0 ||
      prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
    return PLUGSUP_WORKER_EXIT_SANDBOX_SETUP;
  if (getppid() != z->parent)
    return PLUGSUP_WORKER_EXIT_ORPHANED;
  sb.holder_pidfd = -1;
  if (z->hook != NULL)
    sandbox_record_fds(&sb);
  if (seccomp_enter_run(&z->run_filter) != 0)
    return PLUGSUP_WORKER_EXIT_SANDBOX_SETUP;
  frame_region_open();
  w.reply_fd = PLUGSUP_WORKER_REPLY_FD;
  w.request_fd = PLUGSUP_WORKER_REQUEST_FD;
  w.memory_cap = f->memory_bytes;
  w.preload_store = z->store;
  w.preload_module = z->module;
  w.preload_bytes = z->bytes;
  w.preload_len = z->len;
  w.preload_instance = z->instance;
  w.preload_env = z->env;
  w.preload_instance_bytes = z->instance_bytes;
  return worker_serve(&w, &sb, z->hook);
}

/* ---- the loop ---- */

static void say_forked(uint64_t id, pid_t pid, int err, int pidfd) {
  Plugsup__ZygoteForked r = PLUGSUP__ZYGOTE_FORKED__INIT;
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT;
  r.id = id;
  r.error = err;
  r.pid = err == 0 ? (uint32_t)pid : 0;
  env.msg_case = PLUGSUP__ENVELOPE__MSG_ZYGOTE_FORKED;
  env.zygote_forked = &r;
  /* A supervisor that is gone shows as EOF on the next receive. */
  (void)ctl_send(PLUGSUP_ZYGOTE_CONTROL_FD, &env, &pidfd, err == 0 ? 1 : 0);
}

static void close_fds(const int *fds, size_t n) {
  for (size_t i = 0; i < n; i++)
    close(fds[i]);
}

/* The next message: at once while bodies are left to compile (a slice of
** them is compiled when none is waiting), else when it comes. */
static frame_status next_message(zygote *z, Plugsup__Envelope **env, int *fds,
                                 size_t *nfds) {
  for (;;) {
    if (z->uncompiled == 0)
      return ctl_recv(PLUGSUP_ZYGOTE_CONTROL_FD, env, fds, CTL_FDS_MAX, nfds);
    frame_status st = ctl_recv_now(PLUGSUP_ZYGOTE_CONTROL_FD, env, fds,
                                   CTL_FDS_MAX, nfds);
    if (st != FRAME_AGAIN)
      return st;
    compile_some(z);
  }
}

/* One ZygoteFork: 0 to go on, or the zygote's exit status. In the child,
** never returns. */
static int fork_one(zygote *z) {
  Plugsup__Envelope *env;
  int fds[CTL_FDS_MAX], pidfd = -1;
  size_t nfds;
  pid_t pid;
  frame_status st = next_message(z, &env, fds, &nfds);

  if (st == FRAME_EOF)
    return -1;
  if (st != FRAME_OK)
    return st == FRAME_NOMEM ? PLUGSUP_WORKER_EXIT_NOMEM
                             : PLUGSUP_WORKER_EXIT_PROTOCOL;
  if (env->msg_case != PLUGSUP__ENVELOPE__MSG_ZYGOTE_FORK || nfds < 2) {
    close_fds(fds, nfds);
    frame_free(env);
    return PLUGSUP_WORKER_EXIT_PROTOCOL;
  }
  /* The envelope lies in the zygote's own frames, which the child does
  ** not have: it gets a copy of what it reads. */
  Plugsup__ZygoteFork asked = *env->zygote_fork;
  pid = sandbox_clone(&pidfd);
  if (pid == 0)
    _exit(run_child(z, &asked, fds, nfds));
  say_forked(env->zygote_fork->id, pid, pid < 0 ? errno : 0, pidfd);
  if (pidfd >= 0)
    close(pidfd);
  close_fds(fds, nfds);
  frame_free(env);
  return 0;
}

int zygote_main(const worker_options *opt, worker_hook hook) {
  zygote z;
  interp_error err;
  const char *problem;
  int status;

  memset(&z, 0, sizeof z);
  z.hook = hook;
  z.memory_bytes = opt->memory_bytes;
  if (map_module(&z) != 0)
    return PLUGSUP_WORKER_EXIT_USAGE;
  share_binary_pages();
  drop_rseq();
  if ((status = sandbox_enter(opt, &z.sb)) != 0)
    return status;
  close(PLUGSUP_ZYGOTE_MODULE_FD);
  /* Inside a pid namespace a child's parent is outside it: getppid() is 0. */
  z.parent = (z.sb.namespaces & PLUGSUP__NAMESPACE__NS_PID) ? 0 : z.sb.parent;
  if (say_hello(&z) != 0)
    return PLUGSUP_WORKER_EXIT_REPLY_IO;
  if (seccomp_install_zygote(PLUGSUP_ZYGOTE_CONTROL_FD, &z.run_filter) != 0)
    return PLUGSUP_WORKER_EXIT_SANDBOX_SETUP;
  memset(&err, 0, sizeof err);
  problem = load_module(&z, &err);
  if (say_ready(problem) != 0)
    return PLUGSUP_WORKER_EXIT_REPLY_IO;
  if (problem != NULL)
    return PLUGSUP_WORKER_EXIT_OK;
  z.uncompiled = UINT32_MAX;
  frame_region_set(per_run.frames, sizeof per_run.frames);
  own_frames();
  while ((status = fork_one(&z)) == 0)
    ;
  return status < 0 ? PLUGSUP_WORKER_EXIT_OK : status;
}
