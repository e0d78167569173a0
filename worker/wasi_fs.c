/*
** wasi_fs.c: the forwarder. One engine serves every forwarded function:
** its plan (wasi_impl.h) says how the wasm parameters become the
** HostCall's arguments and byte strings, its layout where the reply's
** values go. Files, directories, paths and sockets are all the
** supervisor's; the worker only checks, copies and counts.
**
** Order of a call: every pointer is checked and every path measured
** (EFAULT, which traps, or ENAMETOOLONG: nothing is sent), then the
** bytes to write are gathered, then the call goes out. So a bad result
** pointer never lets a file be created, written or removed before the
** trap.
*/
#include "wasi_impl.h"

#include <stdlib.h>
#include <string.h>

/* ---- where reply values go ---- */

const wasi_layout wasi_out_u32 = {1, {{0, 0, 4, 0}}};
const wasi_layout wasi_out_u64 = {1, {{0, 0, 8, 0}}};
/* nwritten: never more than was sent. */
const wasi_layout wasi_out_sent = {1, {{0, 0, 4, 1}}};
/* sock_recv: ro_datalen (never more than came) and ro_flags (u16), each
** at its own pointer. */
const wasi_layout wasi_out_recv = {2, {{0, 0, 4, 1}, {1, 0, 2, 0}}};
/* fdstat (24 bytes): filetype u8, flags u16, rights base, inheriting. */
const wasi_layout wasi_out_fdstat = {
    4, {{0, 0, 1, 0}, {0, 2, 2, 0}, {0, 8, 8, 0}, {0, 16, 8, 0}}};
/* filestat (64 bytes): dev, ino, filetype u8, nlink, size, atim, mtim,
** ctim. */
const wasi_layout wasi_out_filestat = {
    8,
    {{0, 0, 8, 0}, {0, 8, 8, 0}, {0, 16, 1, 0}, {0, 24, 8, 0},
     {0, 32, 8, 0}, {0, 40, 8, 0}, {0, 48, 8, 0}, {0, 56, 8, 0}}};
/* prestat (8 bytes): tag u8, then the directory name's length u32. */
const wasi_layout wasi_out_prestat = {2, {{0, 0, 1, 0}, {0, 4, 4, 0}}};

/* ---- a call being built ---- */

#define FWD_ARGS_MAX 8   /* more than any row has (path_open: 6) */
#define FWD_OUTS_MAX 2
/* Not an errno: the call ends with f->st (out of fuel, or a trap). */
#define FWD_TRAPPED UINT32_MAX

typedef struct fwd {
  Plugsup__Value vals[FWD_ARGS_MAX];
  Plugsup__Value *ptrs[FWD_ARGS_MAX];
  size_t n_args;
  ProtobufCBinaryData data[2]; /* paths point into guest memory */
  int n_data;
  uint32_t iovs, n_iovs;       /* 'w' to gather, 'r' to scatter into */
  char sink;                   /* 'r', 'b', or 0: no bytes come back */
  uint32_t buf;                /* 'b' */
  uint32_t room;               /* the most bytes the reply may carry */
  uint32_t outs[FWD_OUTS_MAX];
  int n_outs;
  uint32_t count_ptr;          /* 'n' */
  int has_count;
  uint8_t *gathered;           /* 'w': malloc'd, or NULL */
  worker_ctx *w;
  uint32_t shared_len;         /* 'w': gathered into w->shared instead */
  uint64_t moved;              /* bytes sent, or received */
  interp_status st;
} fwd;

static void push(fwd *f, char type, uint64_t bits) {
  Plugsup__Value *v = &f->vals[f->n_args];
  plugsup__value__init(v);
  v->type = type == 'I' ? PLUGSUP__VAL_TYPE__I64 : PLUGSUP__VAL_TYPE__I32;
  v->bits = bits;
  f->ptrs[f->n_args++] = v;
}

/* Reads and writes move at most HOSTCALL_IO_MAX bytes a call. */
static uint32_t io_cap(uint64_t n) {
  return n < HOSTCALL_IO_MAX ? (uint32_t)n : HOSTCALL_IO_MAX;
}

static uint32_t take_iovs(interp_caller *c, fwd *f, uint32_t iovs, uint32_t n,
                          uint64_t *total) {
  uint32_t e;
  if ((f->st = wasi_charge_items(c, n)) != INTERP_OK)
    return FWD_TRAPPED;
  f->iovs = iovs;
  f->n_iovs = n;
  return wasi_iovs(c, iovs, n, total, &e) != NULL ? WASI_ESUCCESS : e;
}

/* In memory first (a bad pointer is EFAULT however long), then short
** enough. The bytes are packed straight from guest memory. */
static uint32_t take_path(interp_caller *c, fwd *f, uint32_t ptr, uint32_t len) {
  uint8_t *p = wasi_mem(c, ptr, len);
  if (p == NULL)
    return WASI_EFAULT;
  if (len > HOSTCALL_PATH_MAX)
    return WASI_ENAMETOOLONG;
  if ((f->st = wasi_charge_bytes(c, len)) != INTERP_OK)
    return FWD_TRAPPED;
  f->data[f->n_data].data = p;
  f->data[f->n_data++].len = len;
  return WASI_ESUCCESS;
}

/* A letter of the plan that takes a (pointer, length) pair. */
static uint32_t take_pair(interp_caller *c, fwd *f, char letter, uint32_t x,
                          uint32_t y) {
  uint64_t total = 0;
  uint32_t e;
  switch (letter) {
  case 'p':
    return take_path(c, f, x, y);
  case 'w':
  case 'v':
    return take_iovs(c, f, x, y, &total);
  case 'r':
    if ((e = take_iovs(c, f, x, y, &total)) != WASI_ESUCCESS)
      return e;
    break;
  default: /* 'b' */
    if (wasi_mem(c, x, y) == NULL)
      return WASI_EFAULT;
    f->buf = x;
    total = y;
  }
  f->sink = letter;
  f->room = io_cap(total);
  push(f, 'i', f->room);
  return WASI_ESUCCESS;
}

/* One letter of the plan; *a is the next wasm parameter. */
static uint32_t take(interp_caller *c, fwd *f, char letter,
                     const interp_value *args, size_t *a) {
  size_t i = (*a)++;
  switch (letter) {
  case 'i':
    push(f, 'i', args[i].of.i32);
    return WASI_ESUCCESS;
  case 'I':
    push(f, 'I', args[i].of.i64);
    return WASI_ESUCCESS;
  case 'o':
    f->outs[f->n_outs++] = args[i].of.i32;
    return WASI_ESUCCESS;
  case 'n':
    f->count_ptr = args[i].of.i32;
    f->has_count = 1;
    return wasi_mem(c, f->count_ptr, 4) != NULL ? WASI_ESUCCESS : WASI_EFAULT;
  }
  (*a)++;
  return take_pair(c, f, letter, args[i].of.i32, args[i + 1].of.i32);
}

/* The bytes of out-th 'o' region: up to its last field. */
static uint32_t extent(const wasi_layout *l, int out) {
  uint32_t n = 0;
  for (int i = 0; i < l->n; i++)
    if (l->f[i].out == out && (uint32_t)l->f[i].offset + l->f[i].width > n)
      n = (uint32_t)l->f[i].offset + l->f[i].width;
  return n;
}

static uint32_t check_outs(interp_caller *c, const wasi_layout *l, const fwd *f) {
  for (int k = 0; l != NULL && k < f->n_outs; k++)
    if (wasi_mem(c, f->outs[k], extent(l, k)) == NULL)
      return WASI_EFAULT;
  return WASI_ESUCCESS;
}

/* 'w': the iovecs' bytes, in order, up to HOSTCALL_IO_MAX (a short
** write, as POSIX allows). */
static uint32_t gather(interp_caller *c, fwd *f) {
  uint64_t total;
  uint32_t e, want, got = 0;
  const uint8_t *v = wasi_iovs(c, f->iovs, f->n_iovs, &total, &e);

  want = io_cap(total);
  if ((f->st = wasi_charge_bytes(c, want)) != INTERP_OK)
    return FWD_TRAPPED;
  /* Into the buffer the supervisor maps, when there is one: no frame
  ** carries the bytes. */
  uint8_t *into = f->w->shared_bytes ? f->w->shared : NULL;
  if (!into && want > 0 && (into = f->gathered = malloc(want)) == NULL)
    return WASI_ENOMEM;
  for (uint32_t i = 0; i < f->n_iovs && got < want; i++) {
    uint32_t len = (uint32_t)wasi_get(v + 8 * i + 4, 4);
    if (len > want - got)
      len = want - got;
    if (len > 0)
      memcpy(into + got, wasi_mem(c, (uint32_t)wasi_get(v + 8 * i, 4), len), len);
    got += len;
  }
  if (into == f->w->shared && into)
    f->shared_len = got;
  f->data[f->n_data].data = f->gathered;
  f->data[f->n_data++].len = f->gathered ? got : 0;
  f->moved = got;
  return WASI_ESUCCESS;
}

static uint32_t prepare(interp_caller *c, const wasi_fn *fn,
                        const interp_value *args, fwd *f) {
  size_t a = 0;
  uint32_t e;
  for (const char *p = fn->plan; *p; p++)
    if ((e = take(c, f, *p, args, &a)) != WASI_ESUCCESS)
      return e;
  if ((e = check_outs(c, fn->out, f)) != WASI_ESUCCESS)
    return e;
  return strchr(fn->plan, 'w') != NULL ? gather(c, f) : WASI_ESUCCESS;
}

/* ---- the reply into memory ---- */

static void scatter(interp_caller *c, const fwd *f, const ProtobufCBinaryData *d) {
  uint64_t total;
  uint32_t e;
  size_t done = 0;
  const uint8_t *v = wasi_iovs(c, f->iovs, f->n_iovs, &total, &e);
  for (uint32_t i = 0; i < f->n_iovs && done < d->len; i++) {
    uint32_t len = (uint32_t)wasi_get(v + 8 * i + 4, 4);
    size_t n = len < d->len - done ? len : d->len - done;
    if (n > 0)
      memcpy(wasi_mem(c, (uint32_t)wasi_get(v + 8 * i, 4), n), d->data + done, n);
    done += n;
  }
}

/* Every value into its field; the regions are zeroed first, so padding
** never shows old bytes. */
static void store_values(interp_caller *c, const wasi_layout *l, const fwd *f,
                         const Plugsup__HostReply *r) {
  for (int k = 0; l != NULL && k < f->n_outs; k++)
    memset(wasi_mem(c, f->outs[k], extent(l, k)), 0, extent(l, k));
  for (size_t i = 0; l != NULL && i < r->n_values; i++) {
    const wasi_field *fd = &l->f[i];
    wasi_put(wasi_mem(c, f->outs[fd->out] + fd->offset, fd->width),
             r->values[i]->bits, fd->width);
  }
}

/* A count the supervisor claims may not exceed the bytes that moved. */
static int counts_kept(const wasi_layout *l, const fwd *f,
                       const Plugsup__HostReply *r) {
  for (size_t i = 0; l != NULL && i < r->n_values; i++)
    if (l->f[i].count && r->values[i]->bits > f->moved)
      return 0;
  return 1;
}

static uint32_t deliver(interp_caller *c, const wasi_call *call, fwd *f,
                        const Plugsup__HostReply *r) {
  const wasi_layout *l = call->fn->out;
  ProtobufCBinaryData data = worker_reply_data(call->env->w, r);
  if (f->sink != 0)
    f->moved = data.len;
  if (!counts_kept(l, f, r)) {
    worker_call_broken(call->env->w, call->fn->op,
                       "a count above the %llu bytes moved",
                       (unsigned long long)f->moved);
    f->st = interp_caller_trap(c, call->env->w->call_error);
    return FWD_TRAPPED;
  }
  if ((f->st = wasi_charge_bytes(c, data.len)) != INTERP_OK)
    return FWD_TRAPPED;
  store_values(c, l, f, r);
  if (f->sink == 'r')
    scatter(c, f, &data);
  else if (f->sink == 'b' && data.len > 0)
    memcpy(wasi_mem(c, f->buf, data.len), data.data, data.len);
  if (f->has_count)
    wasi_put(wasi_mem(c, f->count_ptr, 4), data.len, 4);
  return WASI_ESUCCESS;
}

static uint32_t exchange(interp_caller *c, const wasi_call *call, fwd *f) {
  worker_ctx *w = call->env->w;
  Plugsup__Envelope *reply = NULL;
  worker_call wc = {call->fn->op, f->ptrs, f->n_args, {0, NULL}, {0, NULL}, 0, 0};
  uint32_t e;

  wc.data = f->data[0];
  wc.data2 = f->data[1];
  wc.shared_len = f->shared_len;
  wc.data_max = f->sink == 'r' || f->sink == 'b' ? f->room : 0;
  if (worker_host_call(w, &wc, &reply) != 0) {
    f->st = interp_caller_trap(c, w->call_error);
    return FWD_TRAPPED;
  }
  e = (uint32_t)reply->host_reply->error;
  if (e == WASI_ESUCCESS)
    e = deliver(c, call, f, reply->host_reply);
  frame_free(reply);
  return e;
}

HOST_FN(wasi_forward) {
  fwd f;
  uint32_t e;

  memset(&f, 0, sizeof f);
  f.w = call->env->w;
  e = prepare(c, call->fn, args, &f);
  if (e == WASI_ESUCCESS)
    e = exchange(c, call, &f);
  free(f.gathered);
  if (e == FWD_TRAPPED)
    return f.st;
  return wasi_return(c, results, e);
}
