/*
** worker_harness.h: start a worker binary the way the supervisor does
** (fork + exec, empty environment, request pipe on fd 3, reply pipe on fd 4)
** and speak frames to it. Every helper asserts, so tests read as the
** conversation they expect.
*/
#ifndef PLUGSUP_TESTS_WORKER_HARNESS_H
#define PLUGSUP_TESTS_WORKER_HARNESS_H

#include <stddef.h>
#include <sys/types.h>

#include "frame.h"

#define WORKER_BIN PLUGSUP_BUILD_DIR "/bin/plugsup-worker"
#define SUBVERTED_BIN PLUGSUP_BUILD_DIR "/bin/plugsup-worker-subverted"

/* Wait statuses, spelled as waitpid returns them. */
#define WORKER_EXITED(code) ((code) << 8)
#define WORKER_KILLED(sig) (sig)

#if defined(__SANITIZE_ADDRESS__)
#define WORKER_SANITIZED_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WORKER_SANITIZED_BUILD 1
#endif
#endif
#ifndef WORKER_SANITIZED_BUILD
#define WORKER_SANITIZED_BUILD 0
#endif

typedef struct worker_proc {
  pid_t pid;
  int request;   /* our write end of the worker's fd 3 */
  int reply;     /* our read end of the worker's fd 4 */
} worker_proc;

/* args: NULL-terminated extra argv, or NULL. The child also gets fds 5 and
** 9 open and SIGSYS blocked and ignored, which the worker must undo. */
void worker_spawn(worker_proc *w, const char *bin, const char *const *args);
/* Same, with module_fd on the worker's fd 6 (-1: no fd 6). */
void worker_spawn_module(worker_proc *w, const char *bin,
                         const char *const *args, int module_fd);
/* Same, on pipe ends the caller made: req_read becomes fd 3, rep_write 4. */
pid_t worker_spawn_fds(const char *bin, const char *const *args, int req_read,
                       int rep_write);

/* Next frame, which must be of this case; the caller frees it. */
Plugsup__Envelope *worker_expect(worker_proc *w, Plugsup__Envelope__MsgCase c);
void worker_expect_eof(worker_proc *w);
void worker_send_raw(worker_proc *w, const void *bytes, size_t n);
/* A Run with this mode and export name, no module. */
void worker_send_run(worker_proc *w, Plugsup__Run__Mode mode, const char *export_name);
void worker_send_envelope(worker_proc *w, const Plugsup__Envelope *env);
void worker_close_request(worker_proc *w);
/* The test as the supervisor's broker: called for each HostCall with a
** reply whose id is the call's and whose error is 0; it fills in the
** rest (or breaks the contract on purpose). NULL: a HostCall fails the
** test. */
typedef void (*worker_broker_fn)(void *ud, const Plugsup__HostCall *call,
                                 Plugsup__HostReply *reply);
/* Everything a run sends after Hello: Output gathered per fd, Report
** frames kept in order, HostCall frames kept in order (each answered by
** the broker), AbiData frames kept in order, then the Result (or the SandboxViolation that ended
** it). */
typedef struct worker_outcome {
  char out[8192], err[8192];
  size_t out_len, err_len;
  int output_frames;
  unsigned truncated_fds;   /* bit 1 << fd: an Output said fd was cut */
  Plugsup__Envelope **reports;
  size_t n_reports;
  size_t n_exports, n_imports; /* over every Report */
  Plugsup__Envelope **calls; /* HostCall frames */
  size_t n_calls;
  Plugsup__Envelope **abi_data; /* AbiData frames, in order */
  size_t n_abi_data;
  Plugsup__Envelope *end;   /* Result or SandboxViolation */
} worker_outcome;
void worker_collect(worker_proc *w, worker_outcome *o);
void worker_collect_brokered(worker_proc *w, worker_outcome *o,
                             worker_broker_fn broker, void *ud);
/* The i-th HostCall of the run. */
const Plugsup__HostCall *worker_call(const worker_outcome *o, size_t i);
/* The i-th export or import over all Report frames. */
const Plugsup__ExportInfo *worker_export(const worker_outcome *o, size_t i);
const Plugsup__ImportInfo *worker_import(const worker_outcome *o, size_t i);
void worker_outcome_free(worker_outcome *o);

/* Reap; closes our pipe ends; returns the raw wait status. */
int worker_wait(worker_proc *w);

#endif
