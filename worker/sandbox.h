/*
** sandbox.h: how the worker gives up its rights before it reads a single
** untrusted byte.
**
** sandbox_enter() runs, in this order (each step's reason is in sandbox.c):
**   check fds 3 and 4, reset signal mask and dispositions, close every
**   other fd, clear the environment, new session; as root: namespaces,
**   then securebits, bounding set, groups, gid, uid (--uid/--gid); a user
**   namespace and the others not yet entered; drop every capability;
**   no-new-privs, not dumpable, die with the parent (and re-check the
**   parent), rlimits, read back the credentials, SIGSYS reporter, seccomp
**   filters.
** It returns 0, or a PLUGSUP_WORKER_EXIT_* status for main() to exit with.
**
** Sanitizer builds (WORKER_SANITIZED, keyed on AddressSanitizer): keep fd
** 2 open and writable for reports, set no RLIMIT_AS (the shadow memory
** needs terabytes of address space), and allow the few extra system calls
** the sanitizer runtime makes. Release builds never get any of this.
*/
#ifndef PLUGSUP_WORKER_SANDBOX_H
#define PLUGSUP_WORKER_SANDBOX_H

#include <stdint.h>
#include <sched.h>
#include <signal.h>
#include <sys/types.h>

#if defined(__SANITIZE_ADDRESS__)
#define WORKER_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WORKER_SANITIZED 1
#endif
#endif
#ifndef WORKER_SANITIZED
#define WORKER_SANITIZED 0
#endif

/* What the trusted supervisor said on the command line. */
typedef struct worker_options {
  uint64_t memory_bytes;   /* linear memory cap; RLIMIT_AS adds overhead */
  uint64_t cpu_seconds;    /* RLIMIT_CPU; 0 = none */
  uint32_t uid, gid;       /* what a worker started as root becomes */
  int namespaces;          /* try unshare() */
  int record;              /* fill sandbox_state's test-only records */
  int zygote;              /* --zygote: a fork server (zygote.c) */
  uint64_t procs;          /* --zygote's bound on its processes */
} worker_options;

/* Fill *out from argv; NULL on success, else a sentence saying what is wrong. */
const char *worker_parse_args(int argc, char **argv, worker_options *out);

/* The namespaces a test compares with its own: user, net, ipc, mnt, pid. */
#define SANDBOX_NS_LINKS 5

/* The credentials read back just before the filter: facts for Hello. */
typedef struct sandbox_creds {
  uid_t uid;               /* effective ids, as seen inside the worker's */
  gid_t gid;               /* user namespace when it entered one */
  int all_ids_equal;       /* real and saved ids are the effective ones */
  uint32_t groups;         /* how many supplementary groups */
  uint64_t cap_effective, cap_permitted, cap_inheritable; /* bit n: cap n */
  uint64_t cap_bounding, cap_ambient;
  uint32_t securebits;     /* PR_GET_SECUREBITS */
} sandbox_creds;

/* What the sandbox set-up found out, for Hello and for tests. */
typedef struct sandbox_state {
  pid_t parent;            /* getppid() before the filter forbids it */
  uint32_t namespaces;     /* PLUGSUP__NAMESPACE__* bits entered */
  sandbox_creds creds;
  /* Open fds just before the filter went on, when record asked:
  ** 1024 fcntl calls are a tenth of a worker's start-up, so only the
  ** subverted test worker pays for them. */
  int open_fds[16];
  int n_open_fds;
  /* With record too: readlink of /proc/self/ns/<sandbox_ns_names[i]>
  ** just before the filter, e.g. "net:[4026531840]". */
  char ns_links[SANDBOX_NS_LINKS][48];
  /* A zygote with a pid namespace: a pidfd of the namespace's init, which
  ** holds it open for the runs forked into it; else -1. */
  int holder_pidfd;
  int holder_release;      /* the holder's pipe: a byte keeps it, the end
                              of the pipe ends it */
} sandbox_state;

extern const char *const sandbox_ns_names[SANDBOX_NS_LINKS];

/* A zygote (opt->zygote) gets everything but its filter, which it
** installs itself (seccomp_install_zygote) once it has said hello. */
int sandbox_enter(const worker_options *opt, sandbox_state *st);
/* A run's rlimits (address space for memory_bytes, CPU seconds, no new
** process, fds up to the reply pipe): 0 or -1. */
int sandbox_run_limits(uint64_t memory_bytes, uint64_t cpu_seconds);

/* creds.c: ids, groups, capabilities, the user namespace. 0 or -1 each. */
/* 1 when the worker has root's rights (a uid 0, or CAP_SETUID/SETGID),
** 0 when not, -1 when it cannot tell. */
int creds_is_root(void);
/* Lock securebits, empty the bounding set, then become uid:gid with no
** supplementary group, which clears every capability. */
int creds_leave_root(uint32_t uid, uint32_t gid);
/* 1: in a new user namespace as its unprivileged USERNS_ID, mapped to our
** ids outside; 0: the kernel refused one (best effort); -1: entered but
** could not be set up, which is fatal. */
int creds_enter_user_ns(void);
/* Lock securebits and empty the bounding set where CAP_SETPCAP allows it,
** then clear the ambient, effective, permitted and inheritable sets. */
int creds_drop_caps(void);
int creds_read(sandbox_creds *c);

/* Record the open fds into st (the record option). */
void sandbox_record_fds(sandbox_state *st);

/* The flags of every clone a zygote makes, and the only ones its filter
** lets through: the child is the supervisor's (CLONE_PARENT), so the
** kernel tells the supervisor how it ended, and its pidfd comes back
** to the zygote to pass on. */
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000 /* Linux 5.2; older libc headers lack it */
#endif
#define SANDBOX_CLONE_FLAGS (CLONE_PARENT | CLONE_PIDFD | SIGCHLD)

/* A child as fork() makes one, but with SANDBOX_CLONE_FLAGS: 0 in the
** child, its pid (and *pidfd) in the zygote, -1 with errno. */
pid_t sandbox_clone(int *pidfd);

/* seccomp.c: the filters and the SIGSYS reporter. Returns 0 or -1. */
int seccomp_install(int reply_fd);

/* A run's filter, made once by a zygote, installed by each child it forks
** on top of the zygote's own (seccomp.c says why it is a short one). */
typedef struct seccomp_program {
  void *insns;             /* struct sock_filter[] */
  unsigned short len;
} seccomp_program;

/* The zygote's filters: the ABI guard and the run's allow-list plus what
** forking and receiving a run's descriptors need on ctl_fd; *run gets the
** filter that takes those away again, for seccomp_enter_run. 0 or -1. */
int seccomp_install_zygote(int ctl_fd, seccomp_program *run);
/* In a child of the zygote: stack the run's filter. 0 or -1. */
int seccomp_enter_run(const seccomp_program *run);

#endif
