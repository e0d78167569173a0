/*
** worker.c: the worker's conversation: Hello, one Run, Output and host
** calls while it runs, one Result.
*/
#define _GNU_SOURCE /* F_GET_SEALS */
#include "worker.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abi.h"
#include "hostcall.h"
#include "wasi_abi.h"

/* Output frames stay far below the frame bound and the pipe's patience. */
#define OUTPUT_CHUNK (256u << 10)

int worker_send(worker_ctx *w, const Plugsup__Envelope *env) {
  if (w->reply_failed)
    return -1;
  if (frame_write(w->reply_fd, env, FRAME_REPLY_MAX) != FRAME_OK) {
    w->reply_failed = 1;
    return -1;
  }
  return 0;
}

static int send_output_chunk(worker_ctx *w, uint32_t fd, const uint8_t *data,
                             size_t len, int truncated) {
  Plugsup__Output out = PLUGSUP__OUTPUT__INIT;
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT;

  out.fd = fd;
  out.data.data = (uint8_t *)data;
  out.data.len = len;
  out.truncated = truncated != 0;
  env.msg_case = PLUGSUP__ENVELOPE__MSG_OUTPUT;
  env.output = &out;
  return worker_send(w, &env);
}

int worker_output(worker_ctx *w, uint32_t fd, const uint8_t *data, size_t len) {
  size_t room = len;
  int cut = 0;

  if (w->output_limit != 0) {
    uint64_t left = w->output_limit - w->output_sent;
    if ((uint64_t)len > left) {
      room = (size_t)left;
      cut = 1;
    }
  }
  w->output_sent += room;
  while (room > 0) {
    size_t n = room < OUTPUT_CHUNK ? room : OUTPUT_CHUNK;
    if (send_output_chunk(w, fd, data, n, 0) != 0)
      return -1;
    data += n;
    room -= n;
  }
  /* Said at once, not only in the Result: a run that is then killed
  ** (timeout) must still report the cut. */
  if (cut && !(w->output_truncated & (1u << fd))) {
    w->output_truncated |= 1u << fd;
    if (send_output_chunk(w, fd, NULL, 0, 1) != 0)
      return -1;
  }
  return w->reply_failed ? -1 : 0;
}

/* ---- host calls ---- */


static int vbroken(worker_ctx *w, unsigned op, const char *fmt, va_list ap) {
  const hostcall_desc *d = hostcall_describe(op);
  int n = snprintf(w->call_error, sizeof w->call_error, "host call %s: ",
                   d != NULL ? d->name : "?");
  if (n > 0 && (size_t)n < sizeof w->call_error)
    vsnprintf(w->call_error + n, sizeof w->call_error - (size_t)n, fmt, ap);
  w->request_failed = 1;
  return -1;
}

int worker_call_broken(worker_ctx *w, unsigned op, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vbroken(w, op, fmt, ap);
  va_end(ap);
  return -1;
}

/* The values of a successful reply: 'types' repeated, at most max_reps
** times (exactly, when exact). */
static int check_values(worker_ctx *w, unsigned op, const Plugsup__HostReply *r,
                        const char *types, size_t max_reps, int exact) {
  size_t per = strlen(types), reps = per ? r->n_values / per : 0;
  if (per == 0 ? r->n_values != 0
               : r->n_values % per != 0 || reps > max_reps ||
                     (exact && reps != max_reps))
    return worker_call_broken(w, op, "the reply has %zu values, not %s",
                              r->n_values, !exact ? "5 per event" : per ? types : "none");
  for (size_t i = 0; i < r->n_values; i++) {
    char want = types[i % per];
    Plugsup__ValType t = want == 'I' ? PLUGSUP__VAL_TYPE__I64 : PLUGSUP__VAL_TYPE__I32;
    if (r->values[i]->type != t)
      return worker_call_broken(w, op, "value %zu is not an %s", i,
                                want == 'I' ? "I64" : "I32");
    if (want == 'i' && r->values[i]->bits > UINT32_MAX)
      return worker_call_broken(w, op, "value %zu (I32) has bits above 32", i);
  }
  return 0;
}

static int check_reply(worker_ctx *w, const worker_call *call,
                       const hostcall_desc *d, const Plugsup__Envelope *env) {
  const Plugsup__HostReply *r = env->host_reply;
  if (env->msg_case != PLUGSUP__ENVELOPE__MSG_HOST_REPLY)
    return worker_call_broken(w, call->op, "envelope case %d came, not a HostReply",
                              (int)env->msg_case);
  if (r->id != w->calls)
    return worker_call_broken(w, call->op, "the reply has id %llu, the call %llu",
                              (unsigned long long)r->id,
                              (unsigned long long)w->calls);
  /* notcapable is the last WASI errno */
  if (r->error < 0 || r->error > WASI_ENOTCAPABLE)
    return worker_call_broken(w, call->op, "errno %d is not a WASI errno", (int)r->error);
  if (r->error != 0)
    return r->n_values == 0 ? 0
                            : worker_call_broken(w, call->op, "an errno with %zu values",
                                                 r->n_values);
  if (r->shared_len && (r->data.len || !w->shared_bytes ||
                        r->shared_len > w->shared_bytes))
    return worker_call_broken(w, call->op, "%u shared bytes with %zu in the "
                              "frame and a buffer of %zu", r->shared_len,
                              r->data.len, w->shared_bytes);
  if (worker_reply_data(w, r).len > call->data_max)
    return worker_call_broken(w, call->op, "%zu bytes of data, %zu asked",
                              worker_reply_data(w, r).len, call->data_max);
  if (strcmp(d->results, "*") == 0)
    return check_values(w, call->op, r, HOSTCALL_POLL_EVENT,
                        call->n_args / HOSTCALL_POLL_VALUES, 0);
  return check_values(w, call->op, r, d->results, 1, 1);
}

ProtobufCBinaryData worker_reply_data(const worker_ctx *w,
                                      const Plugsup__HostReply *r) {
  if (r->shared_len)
    return (ProtobufCBinaryData){r->shared_len, (uint8_t *)w->shared};
  return r->data;
}

int worker_host_call(worker_ctx *w, const worker_call *call,
                     Plugsup__Envelope **reply) {
  Plugsup__HostCall hc = PLUGSUP__HOST_CALL__INIT;
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT;
  const hostcall_desc *d = hostcall_describe(call->op);
  frame_status s;

  *reply = NULL;
  if (w->request_failed)
    return -1; /* call_error still says why */
  if (d == NULL)
    return worker_call_broken(w, call->op, "op %u has no row", call->op);
  hc.id = ++w->calls;
  hc.op = call->op;
  hc.n_args = call->n_args;
  hc.args = call->args;
  hc.data = call->data;
  hc.data2 = call->data2;
  hc.shared_len = call->shared_len;
  env.msg_case = PLUGSUP__ENVELOPE__MSG_HOST_CALL;
  env.host_call = &hc;
  if (worker_send(w, &env) != 0)
    return worker_call_broken(w, call->op, "the reply pipe failed");
  /* A reply is at most HOSTCALL_IO_MAX bytes and 5 values per poll
  ** subscription: well inside the bound of every worker frame. */
  s = frame_read(w->request_fd, FRAME_REPLY_MAX, reply);
  if (s != FRAME_OK)
    return worker_call_broken(w, call->op, "no reply: %s", frame_status_message(s));
  if (check_reply(w, call, d, *reply) == 0)
    return 0;
  frame_free(*reply);
  *reply = NULL;
  return -1;
}

size_t worker_utf8_cut(const char *s, size_t len, size_t max) {
  if (len <= max)
    return len;
  while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
    max--;
  return max;
}

void worker_name_text(char buf[WORKER_NAME_TEXT_SIZE], const char *name,
                      size_t len) {
  size_t n = worker_utf8_cut(name, len, 64), used = 0;

  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)name[i];
    if (c < 0x20 || c == 0x7f)
      used += (size_t)snprintf(buf + used, WORKER_NAME_TEXT_SIZE - used,
                               "\\x%02x", c);
    else
      buf[used++] = (char)c;
  }
  buf[used] = '\0';
}

char *worker_strdupf(const char *fmt, ...) {
  va_list ap;
  char *s = NULL;
  int n;

  va_start(ap, fmt);
  n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
    return (char *)protobuf_c_empty_string;
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

static int is_empty(const char *s) { return s == NULL || s == protobuf_c_empty_string; }

/* Strings in a Result are malloc'd, or the shared empty string on failure. */
static void free_str(char *s) {
  if (!is_empty(s))
    free(s);
}

/* The worker never fills Result.exports or .imports: reports go out in
** Report frames (run.c). */
void worker_result_free(Plugsup__Result *res) {
  for (size_t i = 0; i < res->n_values; i++)
    free(res->values[i]);
  free(res->values);
  free_str(res->message);
  for (size_t i = 0; i < res->n_abis; i++) {
    if (res->abis[i] != NULL)
      abi_match_free(res->abis[i]);
    free(res->abis[i]);
  }
  free(res->abis);
  free(res->manifest.data);
  res->abis = NULL;
  res->n_abis = 0;
  res->manifest.data = NULL;
  res->manifest.len = 0;
  res->values = NULL;
  res->n_values = 0;
  res->message = (char *)protobuf_c_empty_string;
}

static int send_hello(worker_ctx *w, const sandbox_state *sb) {
  Plugsup__Hello hello = PLUGSUP__HELLO__INIT;
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT;

  hello.protocol_version = FRAME_PROTOCOL_VERSION;
  hello.shared_bytes = (uint32_t)w->shared_bytes;
  hello.namespaces = sb->namespaces;
  hello.uid = (uint32_t)sb->creds.uid;
  hello.gid = (uint32_t)sb->creds.gid;
  hello.groups = sb->creds.groups;
  hello.cap_effective = sb->creds.cap_effective;
  hello.cap_permitted = sb->creds.cap_permitted;
  hello.cap_inheritable = sb->creds.cap_inheritable;
  hello.cap_bounding = sb->creds.cap_bounding;
  hello.cap_ambient = sb->creds.cap_ambient;
  env.msg_case = PLUGSUP__ENVELOPE__MSG_HELLO;
  env.hello = &hello;
  return worker_send(w, &env);
}

static int send_result(worker_ctx *w, Plugsup__Result *res) {
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT;

  res->output_truncated = w->output_truncated != 0;
  /* A message may quote a long export name from the Run: keep the frame
  ** small. */
  if (!is_empty(res->message))
    res->message[worker_utf8_cut(res->message, strlen(res->message),
                                 WORKER_TEXT_MAX)] = '\0';
  env.msg_case = PLUGSUP__ENVELOPE__MSG_RESULT;
  env.result = res;
  return worker_send(w, &env);
}

/* Read the one request. A broken stream ends the worker quietly: whoever
** sent it is not listening for answers we can trust it to parse. */
static int read_run(worker_ctx *w, Plugsup__Envelope **out) {
  frame_status s = frame_read(w->request_fd, FRAME_DEFAULT_MAX, out);
  if (s == FRAME_OK)
    return 0;
  return s == FRAME_NOMEM ? PLUGSUP_WORKER_EXIT_NOMEM : PLUGSUP_WORKER_EXIT_PROTOCOL;
}

int worker_serve(worker_ctx *w, const sandbox_state *sb, worker_hook hook) {
  Plugsup__Envelope *req = NULL;
  Plugsup__Result res = PLUGSUP__RESULT__INIT;
  int status = PLUGSUP_WORKER_EXIT_OK;

  if (send_hello(w, sb) != 0)
    return PLUGSUP_WORKER_EXIT_REPLY_IO;
  if ((status = read_run(w, &req)) != 0)
    return status;
  if (req->msg_case != PLUGSUP__ENVELOPE__MSG_RUN) {
    res.outcome = PLUGSUP__OUTCOME__BAD_REQUEST;
    res.message = worker_strdupf("expected a Run frame, got envelope case %d",
                                 (int)req->msg_case);
    status = PLUGSUP_WORKER_EXIT_PROTOCOL;
  } else if (hook == NULL || !hook(req->run, sb, &res)) {
    worker_run(w, req->run, &res);
  }
  if (send_result(w, &res) != 0 && status == PLUGSUP_WORKER_EXIT_OK)
    status = PLUGSUP_WORKER_EXIT_REPLY_IO;
  /* The Result said why; the status says whose fault it was. */
  else if (w->request_failed && status == PLUGSUP_WORKER_EXIT_OK)
    status = PLUGSUP_WORKER_EXIT_PROTOCOL;
  worker_result_free(&res);
  frame_free(req);
  return status;
}

/* The supervisor's shared buffer (fd 5), mapped while the worker may
** still map descriptors: the sandbox then closes the fd and the mapping
** stays. Not there, or not the size agreed: file bytes come in frames. */
static void map_shared(worker_ctx *w) {
  struct stat st;
  void *m;
  if (fstat(PLUGSUP_WORKER_SHARED_FD, &st) != 0 || !S_ISREG(st.st_mode) ||
      st.st_size != HOSTCALL_IO_MAX)
    return;
  m = mmap(NULL, HOSTCALL_IO_MAX, PROT_READ | PROT_WRITE, MAP_SHARED,
           PLUGSUP_WORKER_SHARED_FD, 0);
  if (m == MAP_FAILED)
    return;
  w->shared = m;
  w->shared_bytes = HOSTCALL_IO_MAX;
}

/* The seals that make a module memfd's bytes final (supervisor/plugin.c
** adds them before any worker sees it). */
#define MODULE_SEALS (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW)

int worker_map_module(int fd, const uint8_t **bytes, size_t *len) {
  struct stat st;
  void *m;
  int seals = fcntl(fd, F_GET_SEALS);
  if (seals < 0 || (seals & MODULE_SEALS) != MODULE_SEALS ||
      fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
      (uint64_t)st.st_size > FRAME_DEFAULT_MAX)
    return -1;
  m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (m == MAP_FAILED)
    return -1;
  *bytes = m;
  *len = (size_t)st.st_size;
  return 0;
}

/* The plugin's memfd (fd 6), mapped like the shared buffer while mapping
** a descriptor is still allowed; the sandbox then closes the fd and the
** mapping stays. Not there: the module must come in the Run, and a Run
** that says it is here is refused (run.c). */
static void map_module(worker_ctx *w) {
  (void)worker_map_module(PLUGSUP_WORKER_MODULE_FD, &w->module_map,
                          &w->module_map_len);
}

int worker_main(int argc, char **argv, worker_hook hook) {
  worker_options opt;
  sandbox_state sb;
  worker_ctx w;
  const char *why = worker_parse_args(argc, argv, &opt);
  int status;

  if (why != NULL) {
    /* stderr is still whatever the supervisor gave us: say why once. */
    fprintf(stderr, "plugsup-worker: %s\n", why);
    return PLUGSUP_WORKER_EXIT_USAGE;
  }
  opt.record = hook != NULL;
  if (opt.zygote)
    return zygote_main(&opt, hook);
  memset(&w, 0, sizeof w);
  map_shared(&w);
  map_module(&w);
  if ((status = sandbox_enter(&opt, &sb)) != 0)
    return status;
  w.reply_fd = PLUGSUP_WORKER_REPLY_FD;
  w.request_fd = PLUGSUP_WORKER_REQUEST_FD;
  w.memory_cap = opt.memory_bytes;
  return worker_serve(&w, &sb, hook);
}
