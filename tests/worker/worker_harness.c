/*
** worker_harness.c: see worker_harness.h.
*/
#define _GNU_SOURCE
#include "worker_harness.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* In the child: give the worker a hostile start, then exec it. */
static void exec_worker(const char *bin, const char *const *args, int req_read,
                        int rep_write, int module_fd) {
  char *argv[16];
  char *envp[] = {NULL};
  int n = 0;
  sigset_t sys;

  /* Move the ends out of the way first: one of them may sit on 3, 4 or 6. */
  int r = fcntl(req_read, F_DUPFD, 10), wr = fcntl(rep_write, F_DUPFD, 10);
  int m = module_fd >= 0 ? fcntl(module_fd, F_DUPFD, 10) : -1;
  if (r < 0 || wr < 0 || dup2(r, PLUGSUP_WORKER_REQUEST_FD) < 0 ||
      dup2(wr, PLUGSUP_WORKER_REPLY_FD) < 0)
    _exit(97);
  /* fd 6 is the module's or nothing: not whatever the test runner left. */
  if (m >= 0 ? dup2(m, PLUGSUP_WORKER_MODULE_FD) < 0
             : close(PLUGSUP_WORKER_MODULE_FD) < 0 && errno != EBADF)
    _exit(97);
  /* Leaks the worker must close: fds 5 and 9 without CLOEXEC. */
  dup2(PLUGSUP_WORKER_REQUEST_FD, 5);
  dup2(PLUGSUP_WORKER_REPLY_FD, 9);
  /* A blocked, ignored SIGSYS would hide violations if kept. */
  signal(SIGSYS, SIG_IGN);
  sigemptyset(&sys);
  sigaddset(&sys, SIGSYS);
  sigprocmask(SIG_BLOCK, &sys, NULL);
  argv[n++] = (char *)bin;
  for (; args != NULL && *args != NULL && n < 15; args++)
    argv[n++] = (char *)*args;
  argv[n] = NULL;
  execve(bin, argv, envp);
  _exit(98);
}

static pid_t spawn(const char *bin, const char *const *args, int req_read,
                   int rep_write, int module_fd) {
  pid_t pid = fork();
  cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
  if (pid == 0)
    exec_worker(bin, args, req_read, rep_write, module_fd);
  return pid;
}

pid_t worker_spawn_fds(const char *bin, const char *const *args, int req_read,
                       int rep_write) {
  return spawn(bin, args, req_read, rep_write, -1);
}

void worker_spawn(worker_proc *w, const char *bin, const char *const *args) {
  worker_spawn_module(w, bin, args, -1);
}

void worker_spawn_module(worker_proc *w, const char *bin,
                         const char *const *args, int module_fd) {
  int req[2], rep[2];
  cr_assert_eq(pipe2(req, O_CLOEXEC), 0);
  cr_assert_eq(pipe2(rep, O_CLOEXEC), 0);
  w->pid = spawn(bin, args, req[0], rep[1], module_fd);
  close(req[0]);
  close(rep[1]);
  w->request = req[1];
  w->reply = rep[0];
}

Plugsup__Envelope *worker_expect(worker_proc *w, Plugsup__Envelope__MsgCase c) {
  Plugsup__Envelope *env = NULL;
  frame_status s = frame_read(w->reply, 0, &env);
  cr_assert_eq(s, FRAME_OK, "reading a frame: %s", frame_status_message(s));
  cr_assert_eq(env->msg_case, c, "got envelope case %d, wanted %d",
               (int)env->msg_case, (int)c);
  return env;
}

void worker_expect_eof(worker_proc *w) {
  Plugsup__Envelope *env = NULL;
  frame_status s = frame_read(w->reply, 0, &env);
  cr_assert_eq(s, FRAME_EOF, "wanted EOF, got %s (case %d)",
               frame_status_message(s), env ? (int)env->msg_case : -1);
}

void worker_send_raw(worker_proc *w, const void *bytes, size_t n) {
  cr_assert_eq(write(w->request, bytes, n), (ssize_t)n);
}

void worker_send_envelope(worker_proc *w, const Plugsup__Envelope *env) {
  frame_status s = frame_write(w->request, env, 0);
  cr_assert_eq(s, FRAME_OK, "sending: %s", frame_status_message(s));
}

void worker_send_run(worker_proc *w, Plugsup__Run__Mode mode, const char *export_name) {
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT;
  Plugsup__Run run = PLUGSUP__RUN__INIT;
  run.mode = mode;
  run.export_name = (char *)export_name;
  env.msg_case = PLUGSUP__ENVELOPE__MSG_RUN;
  env.run = &run;
  worker_send_envelope(w, &env);
}

void worker_close_request(worker_proc *w) {
  if (w->request >= 0)
    close(w->request);
  w->request = -1;
}

int worker_wait(worker_proc *w) {
  int status;
  worker_close_request(w);
  cr_assert_eq(waitpid(w->pid, &status, 0), w->pid);
  close(w->reply);
  w->reply = -1;
  return status;
}

static void append(char *buf, size_t *len, size_t cap, const ProtobufCBinaryData *d) {
  size_t n = d->len < cap - 1 - *len ? d->len : cap - 1 - *len;
  if (n == 0)
    return; /* a frame that only says the stream was cut has no data */
  memcpy(buf + *len, d->data, n);
  *len += n;
  buf[*len] = 0;
}

static void keep(Plugsup__Envelope ***list, size_t *n, Plugsup__Envelope *env) {
  Plugsup__Envelope **grown = realloc(*list, (*n + 1) * sizeof **list);
  cr_assert_not_null(grown);
  *list = grown;
  grown[(*n)++] = env;
}

static void keep_report(worker_outcome *o, Plugsup__Envelope *env) {
  keep(&o->reports, &o->n_reports, env);
  o->n_exports += env->report->n_exports;
  o->n_imports += env->report->n_imports;
}

/* The broker's reply goes out at once: the worker waits for it. */
static void answer(worker_proc *w, worker_outcome *o, Plugsup__Envelope *call,
                   worker_broker_fn broker, void *ud) {
  Plugsup__HostReply reply = PLUGSUP__HOST_REPLY__INIT;
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT;

  cr_assert_not_null(broker, "unexpected host call, op %u",
                     call->host_call->op);
  keep(&o->calls, &o->n_calls, call);
  reply.id = call->host_call->id;
  broker(ud, call->host_call, &reply);
  env.msg_case = PLUGSUP__ENVELOPE__MSG_HOST_REPLY;
  env.host_reply = &reply;
  worker_send_envelope(w, &env);
}

void worker_collect(worker_proc *w, worker_outcome *o) {
  worker_collect_brokered(w, o, NULL, NULL);
}

void worker_collect_brokered(worker_proc *w, worker_outcome *o,
                             worker_broker_fn broker, void *ud) {
  memset(o, 0, sizeof *o);
  for (;;) {
    Plugsup__Envelope *env = NULL;
    /* The worker promises never to send more than FRAME_REPLY_MAX. */
    frame_status s = frame_read(w->reply, FRAME_REPLY_MAX, &env);
    cr_assert_eq(s, FRAME_OK, "reading a frame: %s", frame_status_message(s));
    if (env->msg_case == PLUGSUP__ENVELOPE__MSG_REPORT) {
      keep_report(o, env);
      continue;
    }
    if (env->msg_case == PLUGSUP__ENVELOPE__MSG_HOST_CALL) {
      answer(w, o, env, broker, ud);
      continue;
    }
    if (env->msg_case == PLUGSUP__ENVELOPE__MSG_ABI_DATA) {
      keep(&o->abi_data, &o->n_abi_data, env);
      continue;
    }
    if (env->msg_case != PLUGSUP__ENVELOPE__MSG_OUTPUT) {
      cr_assert(env->msg_case == PLUGSUP__ENVELOPE__MSG_RESULT ||
                    env->msg_case == PLUGSUP__ENVELOPE__MSG_SANDBOX_VIOLATION,
                "unexpected envelope case %d", (int)env->msg_case);
      o->end = env;
      return;
    }
    o->output_frames++;
    if (env->output->truncated)
      o->truncated_fds |= 1u << env->output->fd;
    if (env->output->fd == 1)
      append(o->out, &o->out_len, sizeof o->out, &env->output->data);
    else
      append(o->err, &o->err_len, sizeof o->err, &env->output->data);
    frame_free(env);
  }
}

const Plugsup__ExportInfo *worker_export(const worker_outcome *o, size_t i) {
  for (size_t r = 0; r < o->n_reports; r++) {
    if (i < o->reports[r]->report->n_exports)
      return o->reports[r]->report->exports[i];
    i -= o->reports[r]->report->n_exports;
  }
  cr_assert_fail("no export %zu", i);
  return NULL;
}

const Plugsup__ImportInfo *worker_import(const worker_outcome *o, size_t i) {
  for (size_t r = 0; r < o->n_reports; r++) {
    if (i < o->reports[r]->report->n_imports)
      return o->reports[r]->report->imports[i];
    i -= o->reports[r]->report->n_imports;
  }
  cr_assert_fail("no import %zu", i);
  return NULL;
}

const Plugsup__HostCall *worker_call(const worker_outcome *o, size_t i) {
  cr_assert_lt(i, o->n_calls, "host call %zu of %zu", i, o->n_calls);
  return o->calls[i]->host_call;
}

void worker_outcome_free(worker_outcome *o) {
  for (size_t r = 0; r < o->n_reports; r++)
    frame_free(o->reports[r]);
  free(o->reports);
  for (size_t c = 0; c < o->n_calls; c++)
    frame_free(o->calls[c]);
  free(o->calls);
  for (size_t a = 0; a < o->n_abi_data; a++)
    frame_free(o->abi_data[a]);
  free(o->abi_data);
  frame_free(o->end);
  memset(o, 0, sizeof *o);
}
