/*
** broker.h: the host-call broker of one run. It owns the run's file
** descriptor table (stdio, preopened directories, files and directories
** the plugin opened), asks policy/ about every operation that touches the
** world, does the I/O itself in bounded pieces, keeps the run's counts and
** writes its audit lines. The worker only ever sees WASI numbers.
**
** Files: broker.c (table, dispatch, stdio and streams, poll, limits,
** audit), broker_fs.c (paths beneath a directory, file and directory
** operations).
*/
#ifndef PLUGSUP_SUPERVISOR_BROKER_H
#define PLUGSUP_SUPERVISOR_BROKER_H

#include <stdbool.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "internal.h"
#include "net.h"
#include "policy.h"

/* Descriptors a run may hold open at once when its policy sets no bound:
** each is a descriptor of the supervisor's own. */
#define BROKER_DEFAULT_OPEN_FILES 128u
/* Guest descriptor numbers stay below this (EMFILE beyond). */
#define BROKER_MAX_FD 65536u

typedef enum broker_kind {
  BFD_FREE,
  BFD_STDIN,      /* in memory (the worker answers reads) or a stream */
  BFD_STDOUT,
  BFD_STDERR,
  BFD_FILE,
  BFD_DIR
} broker_kind;

typedef struct broker_fd {
  broker_kind kind;
  int host;            /* FILE, DIR: the supervisor's descriptor */
  char *path;          /* FILE, DIR: clean absolute host path, for the
                          policy and the audit */
  char *preopen;       /* a preopened directory's guest name, else NULL */
  uint64_t rights, inheriting;
  uint16_t fdflags;    /* WASI fdflags as the plugin set them */
  bool readable, writable; /* how the host descriptor was opened */
  bool may_write;      /* the policy grants writing its path: set times
                          and sizes, allocate */
  void *dir;           /* DIR: a DIR* for fd_readdir, made on first use */
  uint64_t dir_pos;    /* DIR: the cookie the DIR* stands at */
} broker_fd;

/* A call that cannot be answered yet (a read of a stdin stream with no
** data, a poll that waits): kept until the fd is ready or time passes. */
typedef struct broker_pending {
  Plugsup__HostCall *call; /* owned */
  uint64_t wake_ns;        /* UINT64_MAX: none */
  uint64_t first_ns;       /* poll_oneoff: when the call first came */
  bool on_stream;          /* it waits for the stdin stream */
  struct net_op *op;       /* it waits for this operation (net.h) */
  atomic_uint *counted;    /* the plugin's count op holds a place in */
} broker_pending;

/* What a connection's address check needs (broker_net.c): it outlives
** the call that started the operation. */
typedef struct broker_judge {
  plugsup_job *job;
  const char *call;
  unsigned port;
} broker_judge;

typedef struct sup_broker {
  broker_fd *fds;
  uint32_t nfds;           /* entries in fds */
  uint32_t open_files;     /* FILE and DIR entries */
  const policy *rules;     /* NULL: nothing granted */
  char *tmpdir;            /* the run's temporary directory, removed at end */
  int stream_fd;           /* stdin stream, or -1 */
  bool stream_eof;
  broker_pending pending;
  broker_judge judge;
  policy_limits limits;    /* the I/O limits in force (0 = none) */
  uint64_t host_calls, denials, bytes_read, bytes_written;
  uint64_t net_calls, commands;  /* started for the plugin (broker_net.c) */
} sup_broker;

/* Sets up the run's broker: stdio, the policy's preopens (opened now) and
** temporary directory. False, with the reason in job->why, when a
** preopened directory cannot be opened. */
bool sup_broker_open(plugsup_job *job);
/* Closes everything and removes the temporary directory. */
void sup_broker_close(plugsup_job *job);

/* Answers call (sending a HostReply) or keeps it pending. */
void sup_broker_call(plugsup_job *job, Plugsup__HostCall *call);
/* For the loop: the descriptors a pending call waits on (at most
** BROKER_POLL_MAX), and when it times out (UINT64_MAX: never). */
#define BROKER_POLL_MAX NET_POLL_MAX
size_t sup_broker_pollfds(const plugsup_job *job, struct pollfd *out);
bool sup_broker_pending(const plugsup_job *job);
uint64_t sup_broker_wake_ns(const plugsup_job *job);
/* One of those descriptors is ready: poll said pfd. */
void sup_broker_ready(plugsup_job *job, const struct pollfd *pfd);
/* Tries the pending call again: its time came. */
void sup_broker_resume(plugsup_job *job);

/* One audit line for job: fields are added by the caller to a Jansson
** object (stolen). Nothing happens when the run has no audit sink. */
struct json_t;
void sup_audit(plugsup_job *job, struct json_t *line);

/* ---- handlers (broker.c, broker_fs.c) ---- */

/* What a handler answers besides its errno: result values (in the order
** of its hostcall.h row) and data, both in the supervisor's scratch. */
typedef struct broker_reply {
  uint64_t *values;        /* room for 5 * HOSTCALL_POLL_MAX */
  unsigned nvalues;
  uint8_t *data;           /* room for HOSTCALL_IO_MAX */
  size_t len;
  bool shared;             /* the len bytes are in the job's shared buffer */
} broker_reply;

/* A handler: the WASI errno of the call. Its arguments have been checked
** against the row (count and types) before it runs. */
typedef uint32_t broker_fn(plugsup_job *job, const Plugsup__HostCall *c,
                           broker_reply *r);

#define BROKER_ARG(c, i) ((c)->args[i]->bits)

/* The open entry for a guest fd, or NULL. */
broker_fd *broker_fd_at(sup_broker *b, uint64_t fd);
/* A free guest fd number for a new entry (the lowest), or -1 (EMFILE). */
int64_t broker_fd_alloc(plugsup_job *job);
void broker_fd_release(broker_fd *e);

/* An audit line for a decision on a path (host_path may be NULL). */
void broker_audit_path(plugsup_job *job, const Plugsup__HostCall *c,
                       uint64_t fd, const char *guest, size_t guest_len,
                       const char *host_path, const char *access,
                       bool granted, const char *cap, const char *reason,
                       uint32_t err);

uint32_t broker_errno(int err);

/* The answer of a handler that must wait: the call stays pending. */
#define BROKER_WAIT UINT32_MAX

/* policy_may_access, plus the run's own temporary directory; cap may be
** NULL. */
bool broker_may_access(sup_broker *b, const char *host_path,
                       policy_access access, char *cap, size_t caplen);
/* Limits: 0, or the errno of a call that would pass one. The charge
** functions may shorten *n to what is left. */
uint32_t broker_check_open_files(plugsup_job *job);
uint32_t broker_check_file_size(plugsup_job *job, uint64_t size);
uint32_t broker_charge_read(plugsup_job *job, size_t *n);
uint32_t broker_charge_write(plugsup_job *job, int host, int64_t at,
                             size_t *n);
/* fd_read of a stdin stream: data, end of file, or BROKER_WAIT. */
uint32_t broker_stdin_read(plugsup_job *job, const Plugsup__HostCall *c,
                           broker_reply *r);

/* broker_fs.c: the rights of a preopened directory, and of all it may
** open beneath it. */
uint64_t broker_dir_rights(void);
uint64_t broker_all_rights(void);

broker_fn broker_fd_advise, broker_fd_allocate, broker_fd_close,
    broker_fd_datasync, broker_fd_fdstat_get, broker_fd_fdstat_set_flags,
    broker_fd_fdstat_set_rights, broker_fd_filestat_get,
    broker_fd_filestat_set_size, broker_fd_filestat_set_times,
    broker_fd_pread, broker_fd_pwrite, broker_fd_read, broker_fd_readdir,
    broker_fd_renumber, broker_fd_seek, broker_fd_sync, broker_fd_tell,
    broker_fd_write, broker_fd_prestat_get, broker_fd_prestat_dir_name,
    broker_path_create_directory, broker_path_filestat_get,
    broker_path_filestat_set_times, broker_path_link, broker_path_open,
    broker_path_readlink, broker_path_remove_directory, broker_path_rename,
    broker_path_symlink, broker_path_unlink_file;

/* broker_net.c: every reglet_host call (proto/hostcall.h). */
broker_fn broker_hostfn;
/* The answer to such a call past limit:host_calls: a response holding
** the refusal (0), as every refusal of these calls is. */
uint32_t broker_hostfn_limited(const Plugsup__HostCall *c, uint64_t limit,
                               broker_reply *r);
/* Ends the pending call's operation, giving back its place in the
** plugin's count of connections. */
void broker_op_end(broker_pending *p);

#endif
