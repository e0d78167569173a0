/*
** conversation.c: the supervisor's side of the frame protocol with one
** worker. Everything a worker sends is a claim from a process that may be
** hostile: each frame is checked against the state of the conversation,
** and any surprise ends the worker with a protocol error.
*/
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "hostcall.h"
#include "internal.h"

void sup_job_kill(plugsup_job *job, sup_kill_reason why, const char *fmt,
                  ...) {
  if (job->killed != KILL_NONE)
    return;
  job->killed = why;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(job->why, sizeof job->why, fmt, ap);
  va_end(ap);
  sup_signal_worker(job);
  /* Nothing more is read or written: the pidfd reports the death. */
  frame_writer_free(&job->writer);
  job->writing = false;
}

/* ---- output ---- */

/* Appends len bytes to b, NUL-terminated; false when out of memory. */
static bool keep(sup_buf *b, const uint8_t *data, size_t len) {
  if (b->len + len + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + len + 1)
      cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
      return false;
    b->data = p;
    b->cap = cap;
  }
  memcpy(b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
  return true;
}

/* Passes at most the job's output limit, over both streams together, and
** keeps what it passes unless the run streams only. Says how many of the
** len bytes pass (0 and *nomem when it could not grow the buffer). */
static size_t capture(plugsup_job *job, sup_buf *b, const uint8_t *data,
                      size_t len, bool *nomem) {
  uint64_t limit = job->req.limits.output_bytes;
  uint64_t passed = job->output_passed;
  size_t take = passed >= limit ? 0 : (size_t)(limit - passed < len
                                                   ? limit - passed
                                                   : len);
  *nomem = false;
  if (take < len)
    b->truncated = true;
  if (take == 0)
    return 0;
  if (!job->output_stream_only && !keep(b, data, take)) {
    *nomem = true;
    return 0;
  }
  job->output_passed += take;
  return take;
}

void sup_job_note(plugsup_job *job, int fd, const char *text, size_t len) {
  bool nomem;
  size_t kept = capture(job, fd == 1 ? &job->out : &job->err,
                        (const uint8_t *)text, len, &nomem);
  if (job->req.on_output && kept)
    job->req.on_output(job->req.userdata, fd, (const uint8_t *)text, kept);
}

/* The limit is the supervisor's to keep, whatever the worker says: only
** what fits reaches the callback, and a worker that goes on sending after
** the limit (an honest one stops at it) is killed one frame later. */
static void on_output(plugsup_job *job, const Plugsup__Output *o) {
  if (o->fd != 1 && o->fd != 2) {
    sup_job_kill(job, KILL_PROTOCOL, "worker sent output for fd %u", o->fd);
    return;
  }
  sup_buf *b = o->fd == 1 ? &job->out : &job->err;
  if (o->truncated)
    b->truncated = true;
  if (o->data.len == 0) {
    if (!o->truncated)
      sup_job_kill(job, KILL_PROTOCOL, "worker sent an empty Output frame");
    return;
  }
  job->output_received += o->data.len;
  bool nomem;
  size_t kept = capture(job, b, o->data.data, o->data.len, &nomem);
  if (job->req.on_output && kept)
    job->req.on_output(job->req.userdata, (int)o->fd, o->data.data, kept);
  if (nomem)
    sup_job_kill(job, KILL_PROTOCOL, "out of memory capturing output");
  else if (job->output_received > job->req.limits.output_bytes &&
           job->output_received - job->req.limits.output_bytes >
               FRAME_REPLY_MAX)
    sup_job_kill(job, KILL_PROTOCOL,
                 "worker sent more than the output limit of %llu bytes",
                 (unsigned long long)job->req.limits.output_bytes);
}

/* ---- host calls ---- */

void sup_job_reply(plugsup_job *job, const Plugsup__HostReply *reply) {
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT;
  env.msg_case = PLUGSUP__ENVELOPE__MSG_HOST_REPLY;
  env.host_reply = (Plugsup__HostReply *)reply;
  if (frame_writer_start(&job->writer, &env, FRAME_DEFAULT_MAX) != FRAME_OK) {
    sup_job_kill(job, KILL_PROTOCOL, "cannot answer a host call");
    return;
  }
  job->writing = true;
  sup_job_writable(job);
}

/* The broker answers at once, or keeps the call (taken out of env) until
** it can. A worker waits for each answer: a second call before it is a
** protocol error. */
static void on_host_call(plugsup_job *job, Plugsup__Envelope *env) {
  if (job->writing || sup_broker_pending(job)) {
    sup_job_kill(job, KILL_PROTOCOL,
                 "worker sent a host call before its last one was answered");
    return;
  }
  Plugsup__HostCall *call = env->host_call;
  sup_broker_call(job, call);
  if (sup_broker_pending(job)) {
    env->host_call = NULL;
    env->msg_case = PLUGSUP__ENVELOPE__MSG__NOT_SET;
  }
}

/* ---- frames ---- */

_Static_assert(PLUGSUP_NS_USER == PLUGSUP__NAMESPACE__NS_USER &&
                   PLUGSUP_NS_NET == PLUGSUP__NAMESPACE__NS_NET &&
                   PLUGSUP_NS_IPC == PLUGSUP__NAMESPACE__NS_IPC &&
                   PLUGSUP_NS_MOUNT == PLUGSUP__NAMESPACE__NS_MOUNT &&
                   PLUGSUP_NS_PID == PLUGSUP__NAMESPACE__NS_PID,
               "the public namespace bits are the wire's");

static void on_hello(plugsup_job *job, const Plugsup__Hello *h) {
  if (job->hello_seen) {
    sup_job_kill(job, KILL_PROTOCOL, "worker said hello twice");
    return;
  }
  job->hello_seen = true;
  job->namespaces = h->namespaces & SUP_NS_ALL;
  job->uid = h->uid;
  job->gid = h->gid;
  job->capabilities = h->cap_effective | h->cap_permitted |
                      h->cap_inheritable | h->cap_ambient;
  /* The shared buffer is used once the worker says it mapped all of it. */
  if (job->shared && h->shared_bytes == HOSTCALL_IO_MAX)
    job->shared_bytes = HOSTCALL_IO_MAX;
  if (h->protocol_version != FRAME_PROTOCOL_VERSION) {
    sup_job_kill(job, KILL_PROTOCOL, "worker speaks protocol %u, not %u",
                 h->protocol_version, FRAME_PROTOCOL_VERSION);
    return;
  }
  if (!job->run_sent)
    sup_job_send_run(job);
}

void sup_job_send_run(plugsup_job *job) {
  plugsup_status st = sup_request_start_writer(job);
  job->run_sent = true;
  if (st != PLUGSUP_OK) {
    sup_job_kill(job, KILL_PROTOCOL, "cannot send the run: %s",
                 plugsup_strerror(st));
    return;
  }
  sup_job_writable(job);
}

/* A worker reports one violation and dies of it: a second is a lie. */
static void on_violation(plugsup_job *job,
                         const Plugsup__SandboxViolation *v) {
  if (job->violation_syscall) {
    sup_job_kill(job, KILL_PROTOCOL, "worker reported a second violation");
    return;
  }
  const char *name = v->syscall_name ? v->syscall_name : "";
  job->violation_syscall = sup_guest_text(name, strlen(name), SUP_TEXT_NAME);
  job->violation_number = v->syscall_nr;
  if (!job->violation_syscall)
    sup_job_kill(job, KILL_PROTOCOL, "out of memory reading a violation");
}

static void on_report(plugsup_job *job, const Plugsup__Report *r) {
  const char *bad = sup_job_add_report(job, r->exports, r->n_exports,
                                       r->imports, r->n_imports);
  if (bad)
    sup_job_kill(job, KILL_PROTOCOL, "%s", bad);
}

static void on_abi_data(plugsup_job *job, const Plugsup__AbiData *d) {
  const char *bad = sup_job_add_abi_data(job, d);
  if (bad)
    sup_job_kill(job, KILL_PROTOCOL, "%s", bad);
}

static void on_result(plugsup_job *job, Plugsup__Envelope *env) {
  const char *bad = sup_job_add_report(job, env->result->exports,
                                       env->result->n_exports,
                                       env->result->imports,
                                       env->result->n_imports);
  if (!bad)
    bad = sup_abi_result_problem(job, env->result);
  if (bad) {
    sup_job_kill(job, KILL_PROTOCOL, "%s", bad);
    return;
  }
  job->result_seen = true;
  job->result = env->result;
  env->result = NULL; /* kept apart: freed with its own descriptor */
  env->msg_case = PLUGSUP__ENVELOPE__MSG__NOT_SET;
  uint64_t grace = sup_now_ns() + SUP_EXIT_GRACE_MS * 1000000ull;
  if (grace < job->deadline_ns)
    job->deadline_ns = grace;
}

static const char *const frame_names[] = {
    [PLUGSUP__ENVELOPE__MSG_RUN] = "Run",
    [PLUGSUP__ENVELOPE__MSG_HOST_REPLY] = "HostReply",
};

/* Takes ownership of env. True when the worker now waits for an answer
** and so has sent nothing more: no need to read again. */
static bool on_frame(plugsup_job *job, Plugsup__Envelope *env) {
  Plugsup__Envelope__MsgCase c = env->msg_case;
  size_t nnames = sizeof frame_names / sizeof frame_names[0];
  /* A violation may come at any time, even from sandbox set-up. */
  if (c == PLUGSUP__ENVELOPE__MSG_SANDBOX_VIOLATION)
    on_violation(job, env->sandbox_violation);
  else if (c != PLUGSUP__ENVELOPE__MSG_HELLO && !job->hello_seen)
    sup_job_kill(job, KILL_PROTOCOL, "worker spoke before its hello");
  else if (job->result_seen)
    sup_job_kill(job, KILL_PROTOCOL, "worker sent a frame after its result");
  else if (c == PLUGSUP__ENVELOPE__MSG_HELLO)
    on_hello(job, env->hello);
  else if (c == PLUGSUP__ENVELOPE__MSG_OUTPUT)
    on_output(job, env->output);
  else if (c == PLUGSUP__ENVELOPE__MSG_HOST_CALL)
    on_host_call(job, env);
  else if (c == PLUGSUP__ENVELOPE__MSG_REPORT)
    on_report(job, env->report);
  else if (c == PLUGSUP__ENVELOPE__MSG_ABI_DATA)
    on_abi_data(job, env->abi_data);
  else if (c == PLUGSUP__ENVELOPE__MSG_RESULT)
    on_result(job, env);
  else
    sup_job_kill(job, KILL_PROTOCOL, "worker sent a %s frame",
                 (size_t)c < nnames && frame_names[c] ? frame_names[c]
                                                        : "unknown");
  frame_free(env);
  return c == PLUGSUP__ENVELOPE__MSG_HOST_CALL;
}

unsigned sup_job_readable(plugsup_job *job, uint64_t max_bytes,
                          unsigned max_frames) {
  uint64_t stop = job->reader.bytes_in + max_bytes;
  unsigned frames = 0;
  while (job->rep_fd >= 0 && job->killed == KILL_NONE &&
         job->reader.bytes_in < stop && frames < max_frames) {
    Plugsup__Envelope *env = NULL;
    frame_status st = frame_reader_feed(&job->reader, job->rep_fd, &env);
    if (st == FRAME_OK) {
      frames++;
      if (on_frame(job, env) && !frame_reader_buffered(&job->reader))
        break;
      continue;
    }
    if (st == FRAME_AGAIN)
      break;
    if (st == FRAME_EOF) {
      /* The worker closed its end: nothing more to read; the pidfd will
      ** say when it is gone. */
      close(job->rep_fd);
      job->rep_fd = -1;
      break;
    }
    sup_job_kill(job, KILL_PROTOCOL, "bad frame from worker: %s",
                 frame_status_message(st));
  }
  return frames;
}

void sup_job_writable(plugsup_job *job) {
  if (!job->writing || job->killed != KILL_NONE)
    return;
  frame_status st = sup_flush(job);
  if (st == FRAME_AGAIN)
    return;
  job->writing = false;
  frame_writer_free(&job->writer);
  if (st == FRAME_OK)
    return;
  /* A worker that stops reading (EPIPE) has died or closed its request
  ** pipe; its exit status tells the rest, so this is not yet an error. */
  if (!(st == FRAME_IO && errno == EPIPE))
    sup_job_kill(job, KILL_PROTOCOL, "cannot write to worker: %s",
                 strerror(errno));
}
