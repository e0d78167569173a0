/*
** internal.h: what the supervisor's files share. Names start with sup_.
*/
#ifndef PLUGSUP_SUPERVISOR_INTERNAL_H
#define PLUGSUP_SUPERVISOR_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

#include "frame.h"
#include "sha256.h"
#include "plugsup.h"

/* How much of one worker's reply stream one turn of the loop handles
** before it moves on to the others and to the deadlines: a worker that
** floods its pipe gets a bounded slice of the supervisor, never all. */
#define SUP_TURN_FRAMES 64u
#define SUP_TURN_BYTES (256u << 10)
/* Each frame a worker sends costs it this much of its reading clock, which
** may lag now by at most SUP_READ_BURST_NS: over time, at most 500,000
** frames a second are read from one worker. Reading a frame costs the
** supervisor 0.2 to 0.3 us, so a worker made of nothing but tiny frames
** gets about a sixth of a core (measured: a third at a million frames a
** second), while a plugin that prints 500,000 lines a second is not
** slowed. Bytes are not paced: a frame carries up to 256 KiB, and the
** output limit caps them. */
#define SUP_FRAME_COST_NS 2000u
#define SUP_READ_BURST_NS 10000000u
/* What is still read from the reply pipe of a worker that has exited:
** its last frames, but not an endless stream from a process it left
** behind holding the pipe. */
#define SUP_EXIT_DRAIN_BYTES (4u << 20)
/* Largest plugin file; with the rest of a Run it must fit one frame. */
#define SUP_PLUGIN_MAX (FRAME_DEFAULT_MAX - (1u << 20))
/* The size asked for each pipe to a worker: a whole host-call reply. */
#define SUP_PIPE_BYTES (1 << 20)
/* How long a worker may linger after its Result before it is killed. */
#define SUP_EXIT_GRACE_MS 500
#define SUP_DEFAULT_IN_FLIGHT 8
/* Every PLUGSUP_NS_* bit: a worker's hello may claim no others. */
#define SUP_NS_ALL (PLUGSUP_NS_USER | PLUGSUP_NS_NET | PLUGSUP_NS_IPC | \
                    PLUGSUP_NS_MOUNT | PLUGSUP_NS_PID)

/* One row of a public X-macro list in a switch that names its values:
** switch (v) { PLUGSUP_..._LIST(SUP_NAME_CASE) } return "unknown"; */
#define SUP_NAME_CASE(name, text) \
  case name:                      \
    return text;

/* ---- errors (status.c) ---- */

/* Records the particulars for plugsup_errmsg() and returns s. */
plugsup_status sup_fail(plugsup_status s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- guest text (text.c) ---- */

typedef enum sup_text_mode {
  SUP_TEXT_PROSE, /* messages: a backslash stays as it is */
  SUP_TEXT_NAME   /* names: a backslash is written \\, so escapes cannot
                     be forged and distinct names stay distinct */
} sup_text_mode;

/* A malloc'd, NUL-terminated, valid UTF-8 copy of len bytes of guest
** text, controls and bidirectional characters written as escapes; at
** most 4 * len + 1 bytes. NULL when out of memory. */
char *sup_guest_text(const void *data, size_t len, sup_text_mode mode);

/* ---- small files (policies.c) ---- */

/* Reads all of path, a pipe too (the size is what reading finds, not
** fstat's), when it holds at most max bytes: 0 with *out (malloc'd) and
** *len. SUP_READ_OPEN when it cannot be opened, SUP_READ_FAILED when it
** cannot be read, is larger (errno EFBIG) or memory ran out (ENOMEM);
** errno says why. */
#define SUP_READ_OPEN (-1)
#define SUP_READ_FAILED (-2)
int sup_read_file(const char *path, size_t max, char **out, size_t *len);

/* ---- plugins (plugin.c) ---- */

/* The bytes live in a memfd made at load and sealed against every change
** (F_SEAL_SHRINK, _GROW, _WRITE, _SEAL), mapped read-only at 'bytes':
** zygotes and exec'd workers get the fd itself, so no run copies the
** module, and no one who holds the fd can change what any run sees. Where
** the kernel refuses a memfd or its seals, 'bytes' is a malloc'd copy and
** fd is -1: runs then carry the bytes in their Run frame. */
struct plugsup_plugin {
  atomic_uint refs;
  atomic_uint connections; /* network operations open for its runs, in
                              every supervisor (limit:connections) */
  size_t len;
  const uint8_t *bytes;
  int fd;
};

void sup_plugin_ref(plugsup_plugin *p);

/* ---- policies (policies.c) ---- */

struct plugsup_policy {
  atomic_uint refs;
  struct policy *rules; /* policy/policy.h */
};

/* Jobs hold a reference from submit to free; the last unref frees. */
void sup_policy_ref(const plugsup_policy *p);
void sup_policy_unref(const plugsup_policy *p);

/* ---- jobs ---- */

typedef enum sup_job_state { JOB_QUEUED, JOB_RUNNING, JOB_DONE } sup_job_state;

/* Why the supervisor ended a worker itself, if it did. */
typedef enum sup_kill_reason {
  KILL_NONE,
  KILL_TIMEOUT,
  KILL_PROTOCOL, /* 'why' holds the message */
  KILL_LINGER    /* sent its Result but did not exit */
} sup_kill_reason;

/* Captured output of one stream. */
typedef struct sup_buf {
  char *data;
  size_t len, cap;
  bool truncated;
} sup_buf;

/* The copy of plugsup_run_options a job keeps. */
typedef struct sup_request {
  plugsup_mode mode;
  char *export_name;
  plugsup_value *args;
  size_t nargs;
  char **argv;
  size_t argc;
  plugsup_limits limits; /* resolved: no 0 fields but fuel */
  plugsup_output_fn *on_output;
  void *userdata;
  uint8_t *input;
  size_t input_len;
  const plugsup_policy *policy; /* a reference, or NULL: nothing granted */
  plugsup_audit_fn *on_audit;
  int input_fd;                 /* a stdin stream, or -1 */
  char **env;                   /* "NAME=VALUE", as the plugin sees them */
  size_t nenv;
  char **env_denied;            /* host variables the policy kept back,
                                   for the audit (only with on_audit) */
  size_t nenv_denied;
  plugsup_abi abi;              /* METADATA, CALL */
  char *tool;                   /* CALL of a tool plugin */
} sup_request;

/* INSPECT, METADATA and CALL: runs that speak a plugin ABI. */
static inline bool sup_mode_is_abi(plugsup_mode m) {
  return m == PLUGSUP_MODE_INSPECT || m == PLUGSUP_MODE_METADATA ||
         m == PLUGSUP_MODE_CALL;
}

typedef struct sup_list {
  plugsup_job *head, *tail;
  size_t count;
} sup_list;

struct plugsup_job {
  plugsup_supervisor *sup;
  plugsup_job *prev, *next; /* in exactly one of sup's lists, or none */
  sup_list *list;
  sup_job_state state;
  plugsup_plugin *plugin;
  sup_request req;

  /* While running. -1 for a closed fd. */
  pid_t pid;
  int pidfd, req_fd, rep_fd;
  uint8_t *shared;       /* the buffer shared with the worker, mapped */
  size_t shared_bytes;   /* its size; 0 until the worker's hello says it
                            mapped it too */
  frame_reader reader;
  frame_writer writer;
  bool writing;          /* writer holds a frame not yet sent */
  bool hello_seen, result_seen;
  bool run_sent;         /* the Run is written or being written */
  unsigned namespaces;   /* from the hello */
  unsigned uid, gid;     /* from the hello */
  uint64_t capabilities; /* from the hello: every set but the bounding */
  uint64_t start_ns, deadline_ns;
  uint64_t read_clock_ns; /* pacing: reading waits while it is ahead */
  uint64_t read_turn;     /* the loop's turn it was last read in */
  uint64_t output_received; /* stdout + stderr bytes the worker sent,
                               kept or not */
  uint64_t output_passed;   /* of which within the limit: kept (unless
                               stream-only) and given to on_output */
  bool output_stream_only;  /* plugsup_run_options.output_stream_only */
  bool forked;           /* by a zygote: signalled and waited for through
                            pidfd alone (pid is the zygote's claim) */
  bool module_on_fd;     /* exec'd with the plugin's memfd on fd 6: the
                            Run says so instead of carrying the bytes */
  struct sup_pidns *pidns; /* the zygote's pid namespace it lives in */
  sup_kill_reason killed;
  bool status_lost;      /* wait4 found no child: SIGCHLD was ignored */
  char why[256];

  /* What the run produced so far; becomes the result. */
  Plugsup__Result *result;   /* the worker's Result frame, if any */
  plugsup_export *exports;   /* VALIDATE report, from Report frames */
  size_t n_exports, cap_exports;
  const char **imports;
  size_t n_imports, cap_imports;
  uint64_t report_bytes;     /* name bytes reported so far */
  char *violation_syscall;   /* from a SandboxViolation frame */
  long violation_number;
  sup_buf out, err;
  plugsup_abi_item *items;   /* ABI runs: from AbiData frames (abi.c) */
  size_t n_items, cap_items;
  bool item_open;            /* the last item's piece said 'more' */
  uint64_t item_bytes;       /* data bytes of every item so far */
  plugsup_result *res;       /* set once state is JOB_DONE */
  struct sup_broker *broker; /* while running: host calls (broker.h) */
};

/* Workers are started by one thread that lives as long as the
** supervisor: a worker's parent-death signal fires when the *thread* that
** forked it ends, so spawning from the embedder's threads (a pool that
** submits from one and waits from another) would kill workers. */
typedef struct sup_spawner {
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t wake, done;
  plugsup_job *request; /* the job to start, or NULL */
  bool finished;        /* request has been carried out */
  bool quit;
  bool running;         /* the thread was started */
} sup_spawner;

/* The most zygotes a supervisor keeps (zygote.c). */
#define SUP_ZYGOTES_MAX 16

struct plugsup_supervisor {
  char *worker_path;
  plugsup_spawn spawn;  /* ZYGOTE or EXEC */
  struct sup_zygote *zygotes[SUP_ZYGOTES_MAX]; /* touched on the spawner
                                  thread while the caller waits for it, or
                                  by the caller: never by both at once */
  size_t n_zygotes;
  uint64_t zygote_clock;        /* for least recently used */
  plugsup_limits limits;
  unsigned max_in_flight;
  bool no_namespaces;
  bool drop_ids;        /* running as root: workers get worker_uid/gid */
  unsigned worker_uid, worker_gid;
  pid_t owner;          /* the process that made it: no use after fork() */
  sup_spawner spawner;
  sup_list queued, running, done; /* done: finished, not yet reported */
  uint64_t turn;                  /* passes of the loop so far */
  struct pollfd *pfds;            /* SUP_PFDS_PER_JOB per running job */
  plugsup_job **pfd_jobs;
  uint8_t *broker_data;           /* the broker's scratch, made on first */
  uint64_t *broker_values;        /* use: one host call at a time */
};

/* pidfd, reply pipe, request pipe, and what a pending host call waits on */
/* A job's pidfd, reply and request pipes, and what its pending host call
** waits on (BROKER_POLL_MAX). */
#define SUP_PFDS_PER_JOB 11


/* ---- finding the worker (locate.c) ---- */

/* The installed plugsup-worker beside this library, into out: in
** ../libexec/plugsup/ (as installed) from the shared library's directory,
** or, when the library was linked into the program, from the program's.
** False when there is none, or out is too small. */
bool sup_installed_worker(char *out, size_t size);

/* ---- requests (request.c) ---- */

plugsup_status sup_request_copy(sup_request *dst, const plugsup_run_options *o,
                                const plugsup_limits *defaults);
void sup_request_free(sup_request *r);
/* Packs the Run envelope for job into its writer. */
plugsup_status sup_request_start_writer(plugsup_job *job);
/* The size of the Run frame the job will send, to refuse it early. */
size_t sup_request_frame_size(const plugsup_job *job);

/* ---- workers (spawn.c) ---- */

/* The spawner thread: started by supervisor_new, stopped by _free. */
plugsup_status sup_spawner_start(plugsup_supervisor *s);
void sup_spawner_stop(plugsup_supervisor *s);
/* Starts job's worker: on success pid, pidfd, req_fd, rep_fd are set. On
** failure the message is in 'why'. */
bool sup_spawn(plugsup_job *job);
/* Why workers cannot be supervised in this process now, or NULL: with
** SIGCHLD ignored the kernel reaps them before we learn how they ended. */
const char *sup_sigchld_problem(void);
/* Writes what the job's writer holds with SIGPIPE kept from the process. */
frame_status sup_flush(plugsup_job *job);
/* SIGKILL to the worker and to the process group it leads, if it made
** one (setsid): what it left behind dies with it. */
void sup_signal_worker(plugsup_job *job);
/* SIGKILL, blocking reap, close every fd: used when no result is wanted. */
void sup_kill_and_reap(plugsup_job *job);
/* Reaps an exited worker and closes its fds, filling the resource fields
** of res; the wait status goes to *status. False when the status was lost
** (something else reaped the worker). */
bool sup_reap(plugsup_job *job, int *status, plugsup_result *res);
void sup_close_fds(plugsup_job *job);
/* Unmaps the buffer shared with the job's worker. */
void sup_unmap_shared(plugsup_job *job);

/* The arguments a worker and a zygote both take from the supervisor's
** config (--no-namespaces, --uid, --gid), appended to argv at n, their
** texts in ids; returns the new n. */
typedef struct sup_id_args {
  char uid[16], gid[16];
} sup_id_args;
size_t sup_config_args(const plugsup_supervisor *s, sup_id_args *ids,
                       char **argv, size_t n);
/* RLIMIT_CPU of a run: a backstop a second beyond the wall-clock
** deadline, which normally fires first. */
uint64_t sup_cpu_seconds(uint64_t wall_ms);

/* posix_spawn of path with fds[i] dup'd to targets[i] (the sources must
** lie above every target), an empty environment, an empty signal mask and
** default dispositions; 0 or an errno value. */
int sup_spawn_process(pid_t *pid, const char *path, const int *fds,
                      const int *targets, size_t n, char **argv);

/* ---- zygotes (zygote.c) ---- */

/* Has the zygote of the job's plugin fork the job's worker with the run's
** ends. True with job->pid, pidfd, forked and pidns set. With may_start
** (on the spawner thread, which starts zygotes and execs workers), a
** zygote is started or restarted as needed, and false means this run must
** be exec'd (not a failure: the zygote cannot serve). Without (on any
** thread), only a zygote already up is asked, and false leaves the run to
** the spawner thread. */
bool sup_zygote_fork(plugsup_job *job, const int *run_fds, size_t n_run_fds,
                     bool may_start);
/* The plugin has a zygote that is up (sup_zygote_fork may ask it without
** starting one). */
bool sup_zygote_up(plugsup_supervisor *s, const plugsup_plugin *p);
/* A forked run was reaped: it lets go of its pid namespace. */
void sup_zygote_run_ended(plugsup_job *job);
/* Ends every zygote of s (plugsup_supervisor_free). */
void sup_zygotes_free(plugsup_supervisor *s);

/* ---- frames from a worker (conversation.c) ---- */

/* Reads and handles what the reply pipe holds, until about max_bytes of
** the stream or max_frames frames have been taken; a protocol error kills
** the worker (sup_job_kill) and EOF closes the pipe. Returns the frames
** handled; more may wait in the reader's buffer, where poll() cannot see
** them (frame_reader_buffered). */
unsigned sup_job_readable(plugsup_job *job, uint64_t max_bytes,
                          unsigned max_frames);
void sup_job_writable(plugsup_job *job);
/* Starts writing the Run: after the worker's hello, or, for a zygote's
** child (which has no module bytes to wait for), at once, so the child
** finds it when it has said hello. */
void sup_job_send_run(plugsup_job *job);
void sup_job_kill(plugsup_job *job, sup_kill_reason why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- results (result.c) ---- */

/* Fills job->res from the job's state and the worker's wait status. */
void sup_job_finish(plugsup_job *job, int wait_status);
/* Sends a HostReply to the job's worker. */
void sup_job_reply(plugsup_job *job, const Plugsup__HostReply *reply);

/* Fills job->res for a worker that could not be started ('why'). */
void sup_job_spawn_failed(plugsup_job *job);
plugsup_result *sup_result_alloc(void);
/* Replaces r's message with a formatted one (cut at 256 bytes). */
void sup_result_set_message(plugsup_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Adds a Report's (or a Result's) exports and imports to the job's; a
** static sentence saying what is wrong with them, or NULL. */
const char *sup_job_add_report(plugsup_job *job,
                               Plugsup__ExportInfo *const *exports,
                               size_t n_exports,
                               Plugsup__ImportInfo *const *imports,
                               size_t n_imports);

void sup_job_free_report(plugsup_job *job);

/* ---- ABI runs (abi.c) ---- */

/* Adds one AbiData piece to the job's items; a static sentence saying
** what is wrong with it, or NULL. */
const char *sup_job_add_abi_data(plugsup_job *job, const Plugsup__AbiData *d);
/* Checks the ABI parts of the worker's Result against the run; a static
** sentence, or NULL. */
const char *sup_abi_result_problem(const plugsup_job *job,
                                   const Plugsup__Result *w);
/* Moves the ABI parts (abis, items, output, manifest) into r, and turns
** an observe response that says it failed into PLUGIN_ERROR. */
void sup_abi_finish(plugsup_job *job, plugsup_result *r);
void sup_job_free_items(plugsup_job *job);
void sup_abi_result_free(plugsup_result *r);

/* ---- reports (report.c) ---- */

/* A new empty report; NULL when out of memory. */
plugsup_report *sup_report_new(void);

/* Output the supervisor writes for the plugin (a log line), on fd 1 or 2:
** under the run's output limit, kept and passed on as the worker's is.
** text must already be safe to print. */
void sup_job_note(plugsup_job *job, int fd, const char *text, size_t len);

/* ---- time ---- */
uint64_t sup_now_ns(void);

#endif
