/*
** broker.c: one run's host calls: its descriptor table, the dispatch of
** each forwarded call to its handler, stdin streams and poll_oneoff (the
** only calls that may wait), limits, counts and the audit log.
**
** A call's arguments are checked against its hostcall.h row before any
** handler sees them; a worker that breaks the contract is killed. A call
** that must wait (no stdin data yet, a poll with a timeout) is kept, and
** the loop polls its descriptor and its time: the supervisor never blocks
** on one run.
*/
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "broker.h"
#include "hostcall.h"
#include "net.h"
#include "wasi_abi.h"

/* ---- the table ---- */

broker_fd *broker_fd_at(sup_broker *b, uint64_t fd) {
  if (fd >= b->nfds || b->fds[fd].kind == BFD_FREE)
    return NULL;
  return &b->fds[fd];
}

static void entry_clear(broker_fd *e) {
  memset(e, 0, sizeof *e);
  e->kind = BFD_FREE;
  e->host = -1;
}

void broker_fd_release(broker_fd *e) {
  if (e->dir)
    closedir(e->dir);
  else if (e->host >= 0)
    close(e->host);
  free(e->path);
  free(e->preopen);
  entry_clear(e);
}

int64_t broker_fd_alloc(plugsup_job *job) {
  sup_broker *b = job->broker;
  for (uint32_t i = 0; i < b->nfds; i++)
    if (b->fds[i].kind == BFD_FREE)
      return i;
  if (b->nfds >= BROKER_MAX_FD)
    return -1;
  uint32_t cap = b->nfds ? b->nfds * 2 : 8;
  broker_fd *fds = realloc(b->fds, cap * sizeof *fds);
  if (!fds)
    return -1;
  for (uint32_t i = b->nfds; i < cap; i++)
    entry_clear(&fds[i]);
  b->fds = fds;
  b->nfds = cap;
  return broker_fd_alloc(job);
}

/* ---- limits ---- */

bool broker_may_access(sup_broker *b, const char *host_path,
                       policy_access access, char *cap, size_t caplen) {
  char scratch[8];
  size_t n = b->tmpdir ? strlen(b->tmpdir) : 0;
  if (!cap) {
    cap = scratch;
    caplen = sizeof scratch;
  }
  if (!b->rules) {
    snprintf(cap, caplen, "fs:%s:%s", access == POLICY_READ ? "read" : "write",
             host_path);
    return false;
  }
  /* The run's own directory: no grant names its host path. */
  if (n && strncmp(host_path, b->tmpdir, n) == 0 &&
      (host_path[n] == '\0' || host_path[n] == '/'))
    return policy_may_tmp(b->rules, access, cap, caplen);
  return policy_may_access(b->rules, host_path, access, cap, caplen);
}

static void audit_limit(plugsup_job *job, const char *call, const char *which,
                        uint64_t value, uint32_t err);

uint32_t broker_check_open_files(plugsup_job *job) {
  sup_broker *b = job->broker;
  uint64_t max = b->limits.open_files ? b->limits.open_files
                                      : BROKER_DEFAULT_OPEN_FILES;
  if (b->open_files < max)
    return 0;
  audit_limit(job, "path_open", "open_files", max, WASI_EMFILE);
  return WASI_EMFILE;
}

uint32_t broker_check_file_size(plugsup_job *job, uint64_t size) {
  uint64_t max = job->broker->limits.file_size;
  if (!max || size <= max)
    return 0;
  audit_limit(job, "fd_filestat_set_size", "file_size", max, WASI_EFBIG);
  return WASI_EFBIG;
}

uint32_t broker_charge_read(plugsup_job *job, size_t *n) {
  sup_broker *b = job->broker;
  uint64_t max = b->limits.bytes_read;
  if (!max || *n == 0)
    return 0;
  if (b->bytes_read >= max) {
    audit_limit(job, "fd_read", "bytes_read", max, WASI_ENOTCAPABLE);
    return WASI_ENOTCAPABLE;
  }
  if (*n > max - b->bytes_read)
    *n = (size_t)(max - b->bytes_read);
  return 0;
}

uint32_t broker_charge_write(plugsup_job *job, int host, int64_t at,
                             size_t *n) {
  sup_broker *b = job->broker;
  uint64_t total = b->limits.bytes_written, size = b->limits.file_size;
  if (*n == 0)
    return 0;
  if (total && b->bytes_written >= total) {
    audit_limit(job, "fd_write", "bytes_written", total, WASI_ENOSPC);
    return WASI_ENOSPC;
  }
  if (total && *n > total - b->bytes_written)
    *n = (size_t)(total - b->bytes_written);
  if (size) {
    struct stat st;
    off_t pos = at >= 0 ? (off_t)at : lseek(host, 0, SEEK_CUR);
    if ((fcntl(host, F_GETFL) & O_APPEND) && fstat(host, &st) == 0)
      pos = st.st_size;
    if (pos < 0 || (uint64_t)pos >= size) {
      audit_limit(job, "fd_write", "file_size", size, WASI_EFBIG);
      return WASI_EFBIG;
    }
    if (*n > size - (uint64_t)pos)
      *n = (size_t)(size - (uint64_t)pos);
  }
  return 0;
}

/* ---- audit ---- */

void sup_audit(plugsup_job *job, json_t *line) {
  if (!line)
    return;
  if (job->req.on_audit) {
    char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (text)
      job->req.on_audit(job->req.userdata, text);
    free(text);
  }
  json_decref(line);
}

static const char *const errno_names[] = {
#define WASI_X_(name, value) [value] = #name,
    WASI_ERRNO_LIST(WASI_X_)
#undef WASI_X_
};

/* "notcapable", as wasi-libc spells it without its E. */
static json_t *errno_json(uint32_t err) {
  char buf[32];
  const char *n = err < sizeof errno_names / sizeof errno_names[0]
                      ? errno_names[err]
                      : "unknown";
  size_t i = 0;
  for (; n[i] && i + 1 < sizeof buf; i++)
    buf[i] = (char)(n[i] >= 'A' && n[i] <= 'Z' ? n[i] - 'A' + 'a' : n[i]);
  buf[i] = '\0';
  return json_string(buf);
}

/* Guest bytes as a JSON string: escaped to valid UTF-8 first. */
static json_t *guest_json(const char *p, size_t len) {
  char *text = sup_guest_text(p, len, SUP_TEXT_NAME);
  json_t *s = text ? json_string(text) : NULL;
  free(text);
  return s;
}

static json_t *audit_start(const char *call, bool granted) {
  json_t *o = json_object();
  if (o) {
    json_object_set_new(o, "call", json_string(call));
    json_object_set_new(o, "decision",
                        json_string(granted ? "granted" : "denied"));
  }
  return o;
}

static void count_denial(plugsup_job *job, bool granted) {
  if (!granted)
    job->broker->denials++;
}

void broker_audit_path(plugsup_job *job, const Plugsup__HostCall *c,
                       uint64_t fd, const char *guest, size_t guest_len,
                       const char *host_path, const char *access,
                       bool granted, const char *cap, const char *reason,
                       uint32_t err) {
  const hostcall_desc *d = hostcall_describe(c->op);
  count_denial(job, granted);
  if (!job->req.on_audit)
    return;
  json_t *o = audit_start(d ? d->name : "?", granted);
  if (!o)
    return;
  json_object_set_new(o, "fd", json_integer((json_int_t)fd));
  json_object_set_new(o, "path", guest_json(guest, guest_len));
  if (host_path)
    json_object_set_new(o, "host_path", json_string(host_path));
  json_object_set_new(o, "access", json_string(access));
  if (cap && *cap)
    json_object_set_new(o, granted ? "capability" : "missing",
                        json_string(cap));
  if (reason)
    json_object_set_new(o, "reason", json_string(reason));
  if (!granted)
    json_object_set_new(o, "errno", errno_json(err));
  sup_audit(job, o);
}

static void audit_limit(plugsup_job *job, const char *call, const char *which,
                        uint64_t value, uint32_t err) {
  char reason[96];
  count_denial(job, false);
  if (!job->req.on_audit)
    return;
  json_t *o = audit_start(call, false);
  snprintf(reason, sizeof reason, "limit %s %llu", which,
           (unsigned long long)value);
  json_object_set_new(o, "reason", json_string(reason));
  json_object_set_new(o, "errno", errno_json(err));
  sup_audit(job, o);
}

/* A decision on a capability that names no path (clock, env); not
** counted here: a withheld variable was never asked for. */
static void audit_cap(plugsup_job *job, const char *call, const char *key,
                      const char *value, bool granted, const char *cap) {
  if (!job->req.on_audit)
    return;
  json_t *o = audit_start(call, granted);
  if (!o)
    return;
  json_object_set_new(o, key, guest_json(value, strlen(value)));
  json_object_set_new(o, granted ? "capability" : "missing",
                      json_string(cap));
  if (!granted)
    json_object_set_new(o, "errno", errno_json(WASI_ENOTCAPABLE));
  sup_audit(job, o);
}

/* ---- stdin streams ---- */

static bool stream_ready(int fd) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  return poll(&p, 1, 0) > 0;
}

uint32_t broker_stdin_read(plugsup_job *job, const Plugsup__HostCall *c,
                           broker_reply *r) {
  sup_broker *b = job->broker;
  if (b->stream_fd < 0 || b->stream_eof)
    return 0; /* in memory (answered by the worker) or ended: EOF */
  if (!stream_ready(b->stream_fd)) {
    b->pending.on_stream = true;
    return BROKER_WAIT;
  }
  size_t n = BROKER_ARG(c, 1) < HOSTCALL_IO_MAX ? (size_t)BROKER_ARG(c, 1)
                                                : HOSTCALL_IO_MAX;
  uint32_t err = broker_charge_read(job, &n);
  if (err || n == 0)
    return err;
  ssize_t got = read(b->stream_fd, r->data, n);
  if (got < 0 && (errno == EAGAIN || errno == EINTR)) {
    b->pending.on_stream = true;
    return BROKER_WAIT;
  }
  if (got < 0)
    return broker_errno(errno);
  if (got == 0)
    b->stream_eof = true;
  r->len = (size_t)got;
  b->bytes_read += (uint64_t)got;
  return 0;
}

/* ---- calls that need no file ---- */

static uint32_t sock_call(plugsup_job *job, const Plugsup__HostCall *c,
                          broker_reply *r) {
  (void)r;
  /* No socket can be granted yet: every open descriptor is not one. */
  return broker_fd_at(job->broker, BROKER_ARG(c, 0)) ? WASI_ENOTSOCK
                                                     : WASI_EBADF;
}

static uint32_t clock_time_get(plugsup_job *job, const Plugsup__HostCall *c,
                               broker_reply *r) {
  static const clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC,
                                  CLOCK_PROCESS_CPUTIME_ID,
                                  CLOCK_THREAD_CPUTIME_ID};
  uint64_t id = BROKER_ARG(c, 0);
  struct timespec ts;
  if (id >= sizeof ids / sizeof ids[0])
    return WASI_EINVAL;
  bool ok = id != WASI_CLOCK_REALTIME ||
            (job->broker->rules &&
             policy_has(job->broker->rules, POLICY_CAP_CLOCK));
  if (id == WASI_CLOCK_REALTIME) {
    count_denial(job, ok);
    audit_cap(job, "clock_time_get", "clock", "realtime", ok, "clock");
  }
  if (!ok)
    return WASI_ENOTCAPABLE;
  if (clock_gettime(ids[id], &ts) != 0)
    return WASI_EIO;
  r->values[0] = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
  r->nvalues = 1;
  return 0;
}

/* ---- poll_oneoff ---- */


static uint64_t now_on(uint64_t clock) {
  struct timespec ts;
  clock_gettime(clock == WASI_CLOCK_REALTIME ? CLOCK_REALTIME
                                             : CLOCK_MONOTONIC,
                &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* When a clock subscription fires, on the supervisor's monotonic clock;
** relative timeouts count from when the call first arrived. */
static uint64_t clock_deadline(const Plugsup__HostCall *c, size_t i,
                               uint64_t first_ns) {
  uint64_t id = BROKER_ARG(c, i + 2), timeout = BROKER_ARG(c, i + 3);
  if (!(BROKER_ARG(c, i + 4) & WASI_SUBCLOCK_ABSTIME))
    return first_ns + timeout < first_ns ? UINT64_MAX : first_ns + timeout;
  uint64_t now = now_on(id), mono = sup_now_ns();
  return timeout <= now ? mono : mono + (timeout - now);
}

static void put_event(broker_reply *r, uint64_t userdata, uint32_t err,
                      uint64_t type, uint64_t nbytes) {
  uint64_t *v = r->values + r->nvalues;
  v[0] = userdata;
  v[1] = err;
  v[2] = type;
  v[3] = nbytes;
  v[4] = 0;
  r->nvalues += HOSTCALL_POLL_VALUES;
}

/* Whether an fd subscription is ready now; *err for a bad descriptor. */
static bool fd_ready(plugsup_job *job, uint64_t fd, uint64_t tag,
                     uint32_t *err, uint64_t *nbytes) {
  sup_broker *b = job->broker;
  broker_fd *e = broker_fd_at(b, fd);
  *err = 0;
  *nbytes = 0;
  if (!e) {
    *err = WASI_EBADF;
    return true;
  }
  if (e->kind == BFD_STDIN && tag == WASI_EVENT_FD_READ && b->stream_fd >= 0) {
    if (b->stream_eof || stream_ready(b->stream_fd))
      return true;
    b->pending.on_stream = true;
    return false;
  }
  if (e->kind == BFD_FILE && tag == WASI_EVENT_FD_READ) {
    struct stat st;
    off_t at = lseek(e->host, 0, SEEK_CUR);
    if (fstat(e->host, &st) == 0 && at >= 0 && st.st_size > at)
      *nbytes = (uint64_t)(st.st_size - at);
  }
  return true;
}

static uint32_t poll_oneoff(plugsup_job *job, const Plugsup__HostCall *c,
                            broker_reply *r) {
  broker_pending *p = &job->broker->pending;
  uint64_t first = p->first_ns ? p->first_ns : sup_now_ns(), now = sup_now_ns();
  uint64_t wake = UINT64_MAX;
  p->on_stream = false;
  for (size_t i = 0; i < c->n_args; i += HOSTCALL_POLL_VALUES) {
    uint64_t userdata = BROKER_ARG(c, i), tag = BROKER_ARG(c, i + 1);
    if (tag == WASI_EVENT_CLOCK) {
      uint64_t at = clock_deadline(c, i, first);
      if (BROKER_ARG(c, i + 2) > WASI_CLOCK_THREAD_CPUTIME)
        put_event(r, userdata, WASI_EINVAL, tag, 0);
      else if (at <= now)
        put_event(r, userdata, 0, tag, 0);
      else if (at < wake)
        wake = at;
      continue;
    }
    uint32_t err;
    uint64_t nbytes;
    if (tag > WASI_EVENT_FD_WRITE)
      put_event(r, userdata, WASI_EINVAL, tag, 0);
    else if (fd_ready(job, BROKER_ARG(c, i + 2), tag, &err, &nbytes))
      put_event(r, userdata, err, tag, nbytes);
  }
  if (r->nvalues)
    return 0;
  p->first_ns = first;
  p->wake_ns = wake;
  return BROKER_WAIT;
}

/* ---- dispatch ---- */

static broker_fn *const handlers[HC_COUNT] = {
    [HC_FD_ADVISE] = broker_fd_advise,
    [HC_FD_ALLOCATE] = broker_fd_allocate,
    [HC_FD_CLOSE] = broker_fd_close,
    [HC_FD_DATASYNC] = broker_fd_datasync,
    [HC_FD_FDSTAT_GET] = broker_fd_fdstat_get,
    [HC_FD_FDSTAT_SET_FLAGS] = broker_fd_fdstat_set_flags,
    [HC_FD_FDSTAT_SET_RIGHTS] = broker_fd_fdstat_set_rights,
    [HC_FD_FILESTAT_GET] = broker_fd_filestat_get,
    [HC_FD_FILESTAT_SET_SIZE] = broker_fd_filestat_set_size,
    [HC_FD_FILESTAT_SET_TIMES] = broker_fd_filestat_set_times,
    [HC_FD_PREAD] = broker_fd_pread,
    [HC_FD_PWRITE] = broker_fd_pwrite,
    [HC_FD_READ] = broker_fd_read,
    [HC_FD_READDIR] = broker_fd_readdir,
    [HC_FD_RENUMBER] = broker_fd_renumber,
    [HC_FD_SEEK] = broker_fd_seek,
    [HC_FD_SYNC] = broker_fd_sync,
    [HC_FD_TELL] = broker_fd_tell,
    [HC_FD_WRITE] = broker_fd_write,
    [HC_FD_PRESTAT_GET] = broker_fd_prestat_get,
    [HC_FD_PRESTAT_DIR_NAME] = broker_fd_prestat_dir_name,
    [HC_PATH_CREATE_DIRECTORY] = broker_path_create_directory,
    [HC_PATH_FILESTAT_GET] = broker_path_filestat_get,
    [HC_PATH_FILESTAT_SET_TIMES] = broker_path_filestat_set_times,
    [HC_PATH_LINK] = broker_path_link,
    [HC_PATH_OPEN] = broker_path_open,
    [HC_PATH_READLINK] = broker_path_readlink,
    [HC_PATH_REMOVE_DIRECTORY] = broker_path_remove_directory,
    [HC_PATH_RENAME] = broker_path_rename,
    [HC_PATH_SYMLINK] = broker_path_symlink,
    [HC_PATH_UNLINK_FILE] = broker_path_unlink_file,
    [HC_POLL_ONEOFF] = poll_oneoff,
    [HC_SOCK_ACCEPT] = sock_call,
    [HC_SOCK_RECV] = sock_call,
    [HC_SOCK_SEND] = sock_call,
    [HC_SOCK_SHUTDOWN] = sock_call,
    [HC_CLOCK_TIME_GET] = clock_time_get,
    [HC_DNS_LOOKUP] = broker_hostfn,
    [HC_TCP_CONNECT] = broker_hostfn,
    [HC_SMTP_CONNECT] = broker_hostfn,
    [HC_EXEC_COMMAND] = broker_hostfn,
    [HC_LOG_MESSAGE] = broker_hostfn,
    [HC_HTTP_REQUEST] = broker_hostfn,
};

static bool value_fits(const Plugsup__Value *v, char want) {
  if (want == 'I')
    return v->type == PLUGSUP__VAL_TYPE__I64;
  return v->type == PLUGSUP__VAL_TYPE__I32 && v->bits <= UINT32_MAX;
}

/* Whether the call's arguments are those its row lists. */
static bool args_match(const hostcall_desc *d, const Plugsup__HostCall *c) {
  bool var = strcmp(d->args, "*") == 0;
  if (var ? c->n_args == 0 || c->n_args % HOSTCALL_POLL_VALUES != 0 ||
                c->n_args > (size_t)HOSTCALL_POLL_VALUES * HOSTCALL_POLL_MAX
          : c->n_args != strlen(d->args))
    return false;
  for (size_t i = 0; i < c->n_args; i++)
    if (!value_fits(c->args[i], var ? HOSTCALL_POLL_SUB[i % HOSTCALL_POLL_VALUES]
                                        : d->args[i]))
      return false;
  return c->data.len <= HOSTCALL_IO_MAX && c->data2.len <= HOSTCALL_IO_MAX;
}

/* Bytes in the shared buffer only where a call writes them, only when the
** buffer is in use, and then instead of a frame's. */
static bool shared_fits(const plugsup_job *job, const Plugsup__HostCall *c) {
  if (!c->shared_len)
    return true;
  return (c->op == HC_FD_WRITE || c->op == HC_FD_PWRITE) &&
         c->shared_len <= job->shared_bytes && c->data.len == 0;
}

static bool scratch(plugsup_job *job, broker_reply *r) {
  plugsup_supervisor *s = job->sup;
  if (!s->broker_data)
    s->broker_data = malloc(HOSTCALL_IO_MAX);
  if (!s->broker_values)
    s->broker_values = malloc(sizeof(uint64_t) * HOSTCALL_POLL_VALUES *
                              HOSTCALL_POLL_MAX);
  *r = (broker_reply){s->broker_values, 0, s->broker_data, 0, false};
  return s->broker_data && s->broker_values;
}

static void send_reply(plugsup_job *job, const Plugsup__HostCall *c,
                       const hostcall_desc *d, uint32_t err,
                       const broker_reply *r) {
  Plugsup__HostReply reply = PLUGSUP__HOST_REPLY__INIT;
  Plugsup__Value *vals = NULL, **ptrs = NULL;
  size_t n = err ? 0 : r->nvalues;
  bool var = strcmp(d->results, "*") == 0;
  if (n && (!(vals = calloc(n, sizeof *vals)) ||
            !(ptrs = calloc(n, sizeof *ptrs)))) {
    sup_job_kill(job, KILL_PROTOCOL, "out of memory answering a host call");
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    char t = var ? HOSTCALL_POLL_EVENT[i % HOSTCALL_POLL_VALUES]
                 : d->results[i];
    plugsup__value__init(&vals[i]);
    vals[i].type = t == 'I' ? PLUGSUP__VAL_TYPE__I64 : PLUGSUP__VAL_TYPE__I32;
    vals[i].bits = t == 'I' ? r->values[i] : (uint32_t)r->values[i];
    ptrs[i] = &vals[i];
  }
  reply.id = c->id;
  reply.error = (int32_t)err;
  reply.n_values = n;
  reply.values = ptrs;
  if (!err && r->shared)
    reply.shared_len = (uint32_t)r->len;
  else if (!err)
    reply.data = (ProtobufCBinaryData){r->len, r->data};
  sup_job_reply(job, &reply);
done:
  free(vals);
  free(ptrs);
}

/* Runs the call's handler; sends its answer unless it must wait. */
static bool answer(plugsup_job *job, const Plugsup__HostCall *c) {
  const hostcall_desc *d = hostcall_describe(c->op);
  broker_reply r;
  if (!scratch(job, &r)) {
    sup_job_kill(job, KILL_PROTOCOL, "out of memory answering a host call");
    return true;
  }
  uint32_t err = handlers[d->op](job, c, &r);
  if (err == BROKER_WAIT)
    return false;
  send_reply(job, c, d, err, &r);
  return true;
}

static bool over_call_limit(plugsup_job *job) {
  sup_broker *b = job->broker;
  return b->limits.host_calls && b->host_calls > b->limits.host_calls;
}

void sup_broker_call(plugsup_job *job, Plugsup__HostCall *call) {
  sup_broker *b = job->broker;
  const hostcall_desc *d = hostcall_describe(call->op);
  if (!d || !handlers[d->op]) {
    sup_job_kill(job, KILL_PROTOCOL, "worker sent host call %u, which does "
                 "not exist", call->op);
    return;
  }
  if (!args_match(d, call) || !shared_fits(job, call)) {
    sup_job_kill(job, KILL_PROTOCOL, "worker sent a malformed %s call",
                 d->name);
    return;
  }
  b->host_calls++;
  if (over_call_limit(job)) {
    broker_reply r;
    audit_limit(job, d->name, "host_calls", b->limits.host_calls,
                WASI_ENOTCAPABLE);
    /* reglet_host's calls answer every refusal inside their response. */
    if (scratch(job, &r))
      send_reply(job, call, d,
                 handlers[d->op] == broker_hostfn
                     ? broker_hostfn_limited(call, b->limits.host_calls, &r)
                     : WASI_ENOTCAPABLE,
                 &r);
    return;
  }
  if (!answer(job, call))
    b->pending.call = call; /* kept: the caller takes it out of its frame */
}

bool sup_broker_pending(const plugsup_job *job) {
  return job->broker && job->broker->pending.call;
}

size_t sup_broker_pollfds(const plugsup_job *job, struct pollfd *out) {
  const sup_broker *b = job->broker;
  if (!b || !b->pending.call)
    return 0;
  if (b->pending.op)
    return net_op_pollfds(b->pending.op, out, BROKER_POLL_MAX);
  if (!b->pending.on_stream)
    return 0;
  out[0] = (struct pollfd){.fd = b->stream_fd, .events = POLLIN};
  return 1;
}

uint64_t sup_broker_wake_ns(const plugsup_job *job) {
  const sup_broker *b = job->broker;
  if (!b || !b->pending.call)
    return UINT64_MAX;
  uint64_t op = b->pending.op ? net_op_wake_ns(b->pending.op) : UINT64_MAX;
  return op < b->pending.wake_ns ? op : b->pending.wake_ns;
}

static void pending_clear(broker_pending *p) {
  plugsup__host_call__free_unpacked(p->call, NULL);
  broker_op_end(p);
  memset(p, 0, sizeof *p);
  p->wake_ns = UINT64_MAX;
}

void sup_broker_resume(plugsup_job *job) {
  sup_broker *b = job->broker;
  if (!b || !b->pending.call || job->killed != KILL_NONE)
    return;
  b->pending.on_stream = false;
  if (answer(job, b->pending.call))
    pending_clear(&b->pending);
}

void sup_broker_ready(plugsup_job *job, const struct pollfd *pfd) {
  sup_broker *b = job->broker;
  if (!b || !b->pending.call || job->killed != KILL_NONE)
    return;
  if (b->pending.op &&
      !net_op_step(b->pending.op, pfd, 1, sup_now_ns()))
    return;
  sup_broker_resume(job);
}

/* ---- a run's start and end ---- */

static bool add_entry(plugsup_job *job, broker_kind kind, int host,
                      const char *path, const char *guest, uint64_t rights,
                      uint64_t inheriting) {
  int64_t fd = broker_fd_alloc(job);
  if (fd < 0)
    return false;
  broker_fd *e = &job->broker->fds[fd];
  e->kind = kind;
  e->host = host;
  e->rights = rights;
  e->inheriting = inheriting;
  if (path && !(e->path = strdup(path)))
    return false;
  if (guest && !(e->preopen = strdup(guest)))
    return false;
  if (kind == BFD_DIR) {
    e->readable = true;
    e->may_write = broker_may_access(job->broker, path, POLICY_WRITE, NULL, 0);
    job->broker->open_files++;
  }
  return true;
}

static bool add_stdio(plugsup_job *job) {
  uint64_t rd = WASI_RIGHT(WASI_RIGHT_FD_READ_BIT) |
                WASI_RIGHT(WASI_RIGHT_POLL_FD_READWRITE_BIT);
  uint64_t wr = WASI_RIGHT(WASI_RIGHT_FD_WRITE_BIT) |
                WASI_RIGHT(WASI_RIGHT_POLL_FD_READWRITE_BIT);
  return add_entry(job, BFD_STDIN, -1, NULL, NULL, rd, 0) &&
         add_entry(job, BFD_STDOUT, -1, NULL, NULL, wr, 0) &&
         add_entry(job, BFD_STDERR, -1, NULL, NULL, wr, 0);
}

/* A grant of a file preopens the directory that holds it. */
static int open_preopen(const char *host, char **dir) {
  int fd = open(host, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  *dir = strdup(host);
  if (fd >= 0 || errno != ENOTDIR || !*dir)
    return fd;
  char *slash = strrchr(*dir, '/');
  if (slash == *dir)
    slash[1] = '\0';
  else if (slash)
    *slash = '\0';
  return open(*dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static bool add_preopens(plugsup_job *job) {
  const policy *rules = job->broker->rules;
  size_t n = rules ? policy_preopen_count(rules) : 0;
  for (size_t i = 0; i < n; i++) {
    const policy_preopen *p = policy_preopen_at(rules, i);
    char *dir = NULL;
    int fd = open_preopen(p->host, &dir);
    if (fd < 0 || !dir) {
      snprintf(job->why, sizeof job->why, "cannot open the granted "
               "directory '%s': %s", p->host, strerror(errno));
      free(dir);
      return false;
    }
    bool ok = add_entry(job, BFD_DIR, fd, dir, p->guest, broker_dir_rights(),
                        broker_all_rights());
    free(dir);
    if (!ok) {
      close(fd);
      snprintf(job->why, sizeof job->why, "out of memory");
      return false;
    }
  }
  return true;
}

static bool add_tmpdir(plugsup_job *job) {
  sup_broker *b = job->broker;
  const char *guest = b->rules ? policy_tmpdir(b->rules) : NULL;
  if (!guest)
    return true;
  const char *base = getenv("TMPDIR");
  char tmpl[4096];
  snprintf(tmpl, sizeof tmpl, "%s/plugsup-run-XXXXXX",
           base && *base == '/' ? base : "/tmp");
  if (!mkdtemp(tmpl) || !(b->tmpdir = realpath(tmpl, NULL))) {
    snprintf(job->why, sizeof job->why, "cannot make the run's temporary "
             "directory in '%s': %s", base ? base : "/tmp", strerror(errno));
    return false;
  }
  int fd = open(b->tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || !add_entry(job, BFD_DIR, fd, b->tmpdir, guest,
                           broker_dir_rights(), broker_all_rights())) {
    if (fd >= 0)
      close(fd);
    snprintf(job->why, sizeof job->why, "cannot open the run's temporary "
             "directory");
    return false;
  }
  return true;
}

/* The environment was settled when the run was submitted; its decisions
** are audited when it starts, on the thread that drives the loop. */
static void audit_env(plugsup_job *job) {
  const sup_request *r = &job->req;
  char name[256], cap[300];
  for (size_t i = 0; r->on_audit && i < r->nenv; i++) {
    size_t len = strcspn(r->env[i], "=");
    snprintf(name, sizeof name, "%.*s", (int)len, r->env[i]);
    if (!job->broker->rules ||
        !policy_may_env(job->broker->rules, name, cap, sizeof cap))
      snprintf(cap, sizeof cap, "env:%s", name);
    audit_cap(job, "environ", "name", name, true, cap);
  }
  for (size_t i = 0; i < r->nenv_denied; i++) {
    snprintf(cap, sizeof cap, "env:%s", r->env_denied[i]);
    audit_cap(job, "environ", "name", r->env_denied[i], false, cap);
  }
}

bool sup_broker_open(plugsup_job *job) {
  sup_broker *b = calloc(1, sizeof *b);
  if (!b) {
    snprintf(job->why, sizeof job->why, "out of memory");
    return false;
  }
  job->broker = b;
  b->rules = job->req.policy ? job->req.policy->rules : NULL;
  b->stream_fd = job->req.input_fd;
  b->pending.wake_ns = UINT64_MAX;
  if (b->rules)
    b->limits = *policy_get_limits(b->rules);
  if (!add_stdio(job)) {
    snprintf(job->why, sizeof job->why, "out of memory");
    return false;
  }
  audit_env(job);
  return add_preopens(job) && add_tmpdir(job);
}

/* Empties and removes the run's temporary directory without following a
** symlink and without recursion (a plugin may nest directories deep):
** descend into a directory that is not empty, empty it, climb. The plugin
** is gone by now, so nothing moves meanwhile. */
static void remove_tree(const char *root) {
  int cur = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  unsigned depth = 0;
  /* A bound on the walk, so an entry that cannot be removed ends it. */
  for (unsigned long steps = 0; cur >= 0; steps++) {
    if (steps == 10000000) {
      close(cur);
      break;
    }
    int sub = -1, d = dup(cur);
    DIR *dir = d >= 0 ? fdopendir(d) : NULL;
    struct dirent *de;
    while (dir && (de = readdir(dir))) {
      if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
        continue;
      if (unlinkat(cur, de->d_name, 0) == 0 ||
          unlinkat(cur, de->d_name, AT_REMOVEDIR) == 0)
        continue;
      sub = openat(cur, de->d_name,
                   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0)
        break;
    }
    if (dir)
      closedir(dir);
    else if (d >= 0)
      close(d);
    if (sub >= 0) {
      close(cur);
      cur = sub;
      depth++;
      continue;
    }
    int up = depth ? openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                   : -1;
    close(cur);
    cur = up;
    depth = depth ? depth - 1 : 0;
  }
  rmdir(root);
}

void sup_broker_close(plugsup_job *job) {
  sup_broker *b = job->broker;
  if (!b)
    return;
  for (uint32_t i = 0; i < b->nfds; i++)
    broker_fd_release(&b->fds[i]);
  free(b->fds);
  if (b->pending.call)
    pending_clear(&b->pending);
  if (b->tmpdir)
    remove_tree(b->tmpdir);
  free(b->tmpdir);
  if (job->res) {
    job->res->host_calls = b->host_calls;
    job->res->host_denials = b->denials;
    job->res->bytes_read = b->bytes_read;
    job->res->bytes_written = b->bytes_written;
    job->res->net_calls = b->net_calls;
    job->res->commands = b->commands;
  }
  free(b);
  job->broker = NULL;
}
