/*
** worker.c: the worker's conversation: Hello, one Run, Output while it
** runs, one Result.
*/
#include "worker.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
  res->values = NULL;
  res->n_values = 0;
  res->message = (char *)protobuf_c_empty_string;
}

static int send_hello(worker_ctx *w, const sandbox_state *sb) {
  Plugsup__Hello hello = PLUGSUP__HELLO__INIT;
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT;

  hello.protocol_version = FRAME_PROTOCOL_VERSION;
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
static int read_run(Plugsup__Envelope **out) {
  frame_status s = frame_read(PLUGSUP_WORKER_REQUEST_FD, FRAME_DEFAULT_MAX, out);
  if (s == FRAME_OK)
    return 0;
  return s == FRAME_NOMEM ? PLUGSUP_WORKER_EXIT_NOMEM : PLUGSUP_WORKER_EXIT_PROTOCOL;
}

static int serve(worker_ctx *w, const sandbox_state *sb, worker_hook hook) {
  Plugsup__Envelope *req = NULL;
  Plugsup__Result res = PLUGSUP__RESULT__INIT;
  int status = PLUGSUP_WORKER_EXIT_OK;

  if (send_hello(w, sb) != 0)
    return PLUGSUP_WORKER_EXIT_REPLY_IO;
  if ((status = read_run(&req)) != 0)
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
  worker_result_free(&res);
  frame_free(req);
  return status;
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
  if ((status = sandbox_enter(&opt, &sb)) != 0)
    return status;
  memset(&w, 0, sizeof w);
  w.reply_fd = PLUGSUP_WORKER_REPLY_FD;
  w.memory_cap = opt.memory_bytes;
  return serve(&w, &sb, hook);
}
