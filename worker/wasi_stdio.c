/*
** wasi_stdio.c: the worker's own streams. Output to stdout and stderr
** goes out as Output frames and an in-memory stdin is read here; every
** other fd, and these three once they are gone, is the supervisor's.
**
** The supervisor owns the fd table, stdio entries included: fd_close and
** fd_renumber are always forwarded, and only once it says yes does the
** worker move its streams the same way.
*/
#include "wasi_impl.h"

#include <string.h>

int wasi_stream_at(const wasi_env *env, uint32_t fd) {
  for (int s = 0; s < WASI_STREAMS; s++)
    if (env->stream_live[s] && env->stream_fd[s] == fd)
      return s;
  return -1;
}

/* ---- output ---- */

/* Small buffers of one fd_write are gathered into few Output frames:
** a million one-byte iovecs must not cost a million frames. */
typedef struct gather {
  uint8_t buf[64u << 10];
  size_t len;
} gather;

static int gather_flush(worker_ctx *w, uint32_t fd, gather *g) {
  int rc = g->len ? worker_output(w, fd, g->buf, g->len) : 0;
  g->len = 0;
  return rc;
}

static int gather_add(worker_ctx *w, uint32_t fd, gather *g,
                      const uint8_t *data, size_t len) {
  if (g->len + len > sizeof g->buf && gather_flush(w, fd, g) != 0)
    return -1;
  if (len >= sizeof g->buf)
    return worker_output(w, fd, data, len);
  memcpy(g->buf + g->len, data, len);
  g->len += len;
  return 0;
}

/* Stream s (stdout 1, stderr 2) is the Output frame's fd, whatever guest
** fd it now has. */
static interp_status write_stream(interp_caller *c, wasi_env *env, int s,
                                  const interp_value *args,
                                  interp_value *results) {
  static gather g; /* the worker runs one plugin on one thread */
  uint32_t n = ARG_I32(2), total = 0, e;
  uint64_t bytes;
  const uint8_t *v;
  interp_status st;

  if ((st = wasi_charge_items(c, n)) != INTERP_OK)
    return st;
  if ((v = wasi_iovs(c, ARG_I32(1), n, &bytes, &e)) == NULL)
    return wasi_return(c, results, e);
  if (wasi_mem(c, ARG_I32(3), 4) == NULL)
    return wasi_return(c, results, WASI_EFAULT);
  if ((st = wasi_charge_bytes(c, bytes)) != INTERP_OK)
    return st;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t len = (uint32_t)wasi_get(v + 8 * i + 4, 4);
    const uint8_t *p = wasi_mem(c, (uint32_t)wasi_get(v + 8 * i, 4), len);
    if (gather_add(env->w, (uint32_t)s, &g, p, len) != 0)
      return interp_caller_trap(c, "the reply pipe to the supervisor failed");
    total += len;
  }
  if (gather_flush(env->w, (uint32_t)s, &g) != 0)
    return interp_caller_trap(c, "the reply pipe to the supervisor failed");
  wasi_put(wasi_mem(c, ARG_I32(3), 4), total, 4);
  return wasi_return(c, results, WASI_ESUCCESS);
}

/* stdin cannot be written (EBADF, as wasmtime). */
HOST_FN(wasi_fd_write) {
  int s = wasi_stream_at(call->env, ARG_I32(0));
  if (s == WASI_STDIN)
    return wasi_return(c, results, WASI_EBADF);
  if (s < 0)
    return wasi_forward(c, call, args, results);
  return write_stream(c, call->env, s, args, results);
}

/* ---- input ---- */

/* stdin is the Run's input, all of it in memory: each read takes what the
** iovecs hold, and a read after the last byte is end of file. */
static interp_status read_input(interp_caller *c, wasi_env *env,
                                const interp_value *args,
                                interp_value *results) {
  const ProtobufCBinaryData *in = &env->run->input;
  uint32_t n = ARG_I32(2), got = 0, e;
  uint64_t room, unread = in->len - env->input_pos;
  const uint8_t *v;
  interp_status st;

  if ((st = wasi_charge_items(c, n)) != INTERP_OK)
    return st;
  if ((v = wasi_iovs(c, ARG_I32(1), n, &room, &e)) == NULL)
    return wasi_return(c, results, e);
  if (wasi_mem(c, ARG_I32(3), 4) == NULL)
    return wasi_return(c, results, WASI_EFAULT);
  if ((st = wasi_charge_bytes(c, room < unread ? room : unread)) != INTERP_OK)
    return st;
  for (uint32_t i = 0; i < n && env->input_pos < in->len; i++) {
    size_t left = in->len - env->input_pos;
    uint32_t len = (uint32_t)wasi_get(v + 8 * i + 4, 4);
    size_t take = len < left ? len : left;
    if (take)
      memcpy(wasi_mem(c, (uint32_t)wasi_get(v + 8 * i, 4), take),
             in->data + env->input_pos, take);
    env->input_pos += take;
    got += (uint32_t)take;
  }
  wasi_put(wasi_mem(c, ARG_I32(3), 4), got, 4);
  return wasi_return(c, results, WASI_ESUCCESS);
}

/* stdout and stderr cannot be read (EBADF, as wasmtime). */
HOST_FN(wasi_fd_read) {
  int s = wasi_stream_at(call->env, ARG_I32(0));
  if (s == WASI_STDOUT || s == WASI_STDERR)
    return wasi_return(c, results, WASI_EBADF);
  if (s < 0)
    return wasi_forward(c, call, args, results);
  return read_input(c, call->env, args, results);
}

/* ---- following the supervisor's table ---- */

static bool succeeded(interp_status st, const interp_value *results) {
  return st == INTERP_OK && results[0].of.i32 == WASI_ESUCCESS;
}

HOST_FN(wasi_fd_close) {
  interp_status st = wasi_forward(c, call, args, results);
  int s = wasi_stream_at(call->env, ARG_I32(0));
  if (succeeded(st, results) && s >= 0)
    call->env->stream_live[s] = false;
  return st;
}

/* from's stream moves to 'to'; a stream that was at 'to' is gone, as
** its fd was closed. Renumbering an fd onto itself changes nothing. */
HOST_FN(wasi_fd_renumber) {
  wasi_env *env = call->env;
  uint32_t from = ARG_I32(0), to = ARG_I32(1);
  interp_status st = wasi_forward(c, call, args, results);
  int s_from = wasi_stream_at(env, from), s_to = wasi_stream_at(env, to);
  if (!succeeded(st, results) || from == to)
    return st;
  if (s_to >= 0)
    env->stream_live[s_to] = false;
  if (s_from >= 0)
    env->stream_fd[s_from] = to;
  return st;
}
