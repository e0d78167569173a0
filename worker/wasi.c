/*
** wasi.c: WASI preview 1 functions answered inside the worker.
**
** Pointers from the plugin are checked against its memory before use
** (EFAULT otherwise); nothing here trusts a length. All values in linear
** memory are little-endian, whatever the host is.
**
** A call whose work grows with a size (iovecs, bytes, arguments) pays
** fuel for it before doing it (charge_items, charge_bytes): one unit per
** item, as an interpreted load and check would cost, and the
** interpreter's bulk rate per byte copied. Out of fuel, the call returns
** the interpreter's trap untouched and does nothing.
*/
#define _GNU_SOURCE
#include "wasi.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* WASI errno values used here. */
enum {
  WASI_ESUCCESS = 0,
  WASI_EBADF = 8,
  WASI_EFAULT = 21,
  WASI_EINVAL = 28,
  WASI_EIO = 29,
  WASI_ENOSYS = 52,
  WASI_EOVERFLOW = 61,
  WASI_ESPIPE = 70
};

#define WASI_FILETYPE_CHARACTER_DEVICE 2
#define WASI_RIGHT_FD_READ (1u << 1)
#define WASI_RIGHT_FD_WRITE (1u << 6)

/* ---- memory access ---- */

static uint8_t empty_range[1];

/* The bytes [ptr, ptr+len) of the caller's memory, or NULL if any of them
** is outside it. */
static uint8_t *mem_at(interp_caller *c, uint32_t ptr, uint64_t len) {
  interp_memory *m = interp_caller_memory(c);
  if (m == NULL || (uint64_t)ptr + len > interp_memory_size(m))
    return NULL;
  if (len == 0)
    return empty_range;
  return interp_memory_data(m) + ptr;
}

static void put_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

/* Store a u32/u64 result at ptr; the WASI errno for the attempt. */
static uint32_t store_u32(interp_caller *c, uint32_t ptr, uint32_t v) {
  uint8_t *p = mem_at(c, ptr, 4);
  if (p == NULL)
    return WASI_EFAULT;
  put_u32(p, v);
  return WASI_ESUCCESS;
}

static uint32_t store_u64(interp_caller *c, uint32_t ptr, uint64_t v) {
  uint8_t *p = mem_at(c, ptr, 8);
  if (p == NULL)
    return WASI_EFAULT;
  put_u64(p, v);
  return WASI_ESUCCESS;
}

static interp_status ret_errno(interp_value *results, uint32_t e) {
  results[0].type = INTERP_I32;
  results[0].of.i32 = e;
  return INTERP_OK;
}

/* Fuel for 'items' iovecs or arguments walked, and for 'bytes' copied. */
static interp_status charge_items(interp_caller *c, uint64_t items) {
  return interp_caller_charge(c, items);
}

static interp_status charge_bytes(interp_caller *c, uint64_t bytes) {
  return interp_caller_charge(c, bytes / INTERP_FUEL_BULK_BYTES);
}

/* random_get: one unit per 8 bytes, one xoshiro256** step each. */
#define RANDOM_BYTES_PER_FUEL 8

#define ARG_I32(i) (args[i].of.i32)
#define ARG_I64(i) (args[i].of.i64)
#define HOST_FN(name)                                                      \
  static interp_status name(interp_caller *c, void *ud,                    \
                            const interp_value *args, interp_value *results)

/* ---- arguments and environment ---- */

/* Sizes of argv as WASI lays it out: the strings NUL-terminated. */
static int argv_sizes(const Plugsup__Run *run, uint32_t *count, uint32_t *bytes) {
  uint64_t total = 0;
  for (size_t i = 0; i < run->n_argv; i++)
    total += run->argv[i].len + 1;
  if (run->n_argv > UINT32_MAX || total > UINT32_MAX)
    return -1;
  *count = (uint32_t)run->n_argv;
  *bytes = (uint32_t)total;
  return 0;
}

HOST_FN(wasi_args_sizes_get) {
  wasi_env *env = ud;
  uint32_t n, bytes, e;
  interp_status st = charge_items(c, env->run->n_argv);
  if (st != INTERP_OK)
    return st;
  if (argv_sizes(env->run, &n, &bytes) != 0)
    return ret_errno(results, WASI_EOVERFLOW);
  e = store_u32(c, ARG_I32(0), n);
  if (e == 0)
    e = store_u32(c, ARG_I32(1), bytes);
  return ret_errno(results, e);
}

HOST_FN(wasi_args_get) {
  wasi_env *env = ud;
  uint32_t n, bytes, at = ARG_I32(1);
  uint8_t *ptrs, *buf;
  interp_status st = charge_items(c, env->run->n_argv);
  if (st != INTERP_OK)
    return st;
  if (argv_sizes(env->run, &n, &bytes) != 0)
    return ret_errno(results, WASI_EOVERFLOW);
  ptrs = mem_at(c, ARG_I32(0), (uint64_t)n * 4);
  buf = mem_at(c, at, bytes);
  if (ptrs == NULL || buf == NULL)
    return ret_errno(results, WASI_EFAULT);
  if ((st = charge_bytes(c, bytes)) != INTERP_OK)
    return st;
  for (uint32_t i = 0; i < n; i++) {
    const ProtobufCBinaryData *a = &env->run->argv[i];
    put_u32(ptrs + 4 * i, at);
    if (a->len)
      memcpy(buf, a->data, a->len);
    buf[a->len] = 0;
    buf += a->len + 1;
    at += (uint32_t)a->len + 1;
  }
  return ret_errno(results, WASI_ESUCCESS);
}

/* The environment is empty (policy-granted variables come later, from the
** supervisor): zero variables, zero bytes. */
HOST_FN(wasi_environ_sizes_get) {
  uint32_t e = store_u32(c, ARG_I32(0), 0);
  if (e == 0)
    e = store_u32(c, ARG_I32(1), 0);
  return ret_errno(results, e);
}

HOST_FN(wasi_environ_get) { return ret_errno(results, WASI_ESUCCESS); }

/* ---- stdio ---- */

static int is_stdio(const wasi_env *env, uint32_t fd) {
  return fd <= 2 && !(env->closed & (1u << fd));
}

/* Check every iovec first, so a bad one writes nothing. */
static uint32_t check_iovs(interp_caller *c, uint32_t iovs, uint32_t n,
                           uint64_t *total) {
  const uint8_t *v = mem_at(c, iovs, (uint64_t)n * 8);
  *total = 0;
  if (v == NULL)
    return WASI_EFAULT;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t len = get_u32(v + 8 * i + 4);
    if (mem_at(c, get_u32(v + 8 * i), len) == NULL)
      return WASI_EFAULT;
    *total += len;
  }
  return *total > UINT32_MAX ? WASI_EINVAL : WASI_ESUCCESS;
}

/* The iovec array of an fd_write or fd_read (fd, iovs, n, result pointer)
** once every buffer and the result pointer lie inside memory, with the
** bytes they hold in *total; else NULL and the errno in *e. */
static const uint8_t *checked_iovs(interp_caller *c, const interp_value *args,
                                   uint64_t *total, uint32_t *e) {
  if ((*e = check_iovs(c, ARG_I32(1), ARG_I32(2), total)) != 0)
    return NULL;
  if (mem_at(c, ARG_I32(3), 4) == NULL) {
    *e = WASI_EFAULT;
    return NULL;
  }
  return mem_at(c, ARG_I32(1), (uint64_t)ARG_I32(2) * 8);
}

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

HOST_FN(wasi_fd_write) {
  static gather g; /* the worker runs one plugin on one thread */
  wasi_env *env = ud;
  uint32_t fd = ARG_I32(0), n = ARG_I32(2), total = 0, e;
  uint64_t bytes;
  const uint8_t *v;
  interp_status st;

  if (!is_stdio(env, fd) || fd == 0)
    return ret_errno(results, WASI_EBADF);
  if ((st = charge_items(c, n)) != INTERP_OK)
    return st;
  if ((v = checked_iovs(c, args, &bytes, &e)) == NULL)
    return ret_errno(results, e);
  if ((st = charge_bytes(c, bytes)) != INTERP_OK)
    return st;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t len = get_u32(v + 8 * i + 4);
    if (gather_add(env->w, fd, &g, mem_at(c, get_u32(v + 8 * i), len), len) != 0)
      return interp_caller_trap(c, "the reply pipe to the supervisor failed");
    total += len;
  }
  if (gather_flush(env->w, fd, &g) != 0)
    return interp_caller_trap(c, "the reply pipe to the supervisor failed");
  return ret_errno(results, store_u32(c, ARG_I32(3), total));
}

/* stdin is the Run's input, all of it in memory: each read takes what the
** iovecs hold, and a read after the last byte is end of file. */
HOST_FN(wasi_fd_read) {
  wasi_env *env = ud;
  const ProtobufCBinaryData *in = &env->run->input;
  uint32_t n = ARG_I32(2), got = 0, e;
  uint64_t room, unread = in->len - env->input_pos;
  const uint8_t *v;
  interp_status st;

  if (ARG_I32(0) != 0 || !is_stdio(env, 0))
    return ret_errno(results, WASI_EBADF);
  if ((st = charge_items(c, n)) != INTERP_OK)
    return st;
  if ((v = checked_iovs(c, args, &room, &e)) == NULL)
    return ret_errno(results, e);
  if ((st = charge_bytes(c, room < unread ? room : unread)) != INTERP_OK)
    return st;
  for (uint32_t i = 0; i < n && env->input_pos < in->len; i++) {
    size_t left = in->len - env->input_pos;
    uint32_t len = get_u32(v + 8 * i + 4);
    size_t take = len < left ? len : left;
    if (take)
      memcpy(mem_at(c, get_u32(v + 8 * i), take), in->data + env->input_pos,
             take);
    env->input_pos += take;
    got += (uint32_t)take;
  }
  return ret_errno(results, store_u32(c, ARG_I32(3), got));
}

HOST_FN(wasi_fd_fdstat_get) {
  wasi_env *env = ud;
  uint32_t fd = ARG_I32(0);
  uint8_t *p;
  if (!is_stdio(env, fd))
    return ret_errno(results, WASI_EBADF);
  if ((p = mem_at(c, ARG_I32(1), 24)) == NULL)
    return ret_errno(results, WASI_EFAULT);
  memset(p, 0, 24);
  p[0] = WASI_FILETYPE_CHARACTER_DEVICE;
  put_u64(p + 8, fd == 0 ? WASI_RIGHT_FD_READ : WASI_RIGHT_FD_WRITE);
  return ret_errno(results, WASI_ESUCCESS);
}

HOST_FN(wasi_fd_seek) {
  wasi_env *env = ud;
  return ret_errno(results, is_stdio(env, ARG_I32(0)) ? WASI_ESPIPE : WASI_EBADF);
}

HOST_FN(wasi_fd_close) {
  wasi_env *env = ud;
  uint32_t fd = ARG_I32(0);
  if (!is_stdio(env, fd))
    return ret_errno(results, WASI_EBADF);
  env->closed |= 1u << fd;
  return ret_errno(results, WASI_ESUCCESS);
}

/* No preopened directories: EBADF ends wasi-libc's scan for them. */
HOST_FN(wasi_fd_prestat) { return ret_errno(results, WASI_EBADF); }

HOST_FN(wasi_proc_exit) { return interp_caller_exit(c, (int32_t)ARG_I32(0)); }

/* ---- clocks, randomness, scheduling ---- */

static int wasi_clock(uint32_t id, clockid_t *out) {
  static const clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC,
                                  CLOCK_PROCESS_CPUTIME_ID,
                                  CLOCK_THREAD_CPUTIME_ID};
  if (id >= sizeof ids / sizeof ids[0])
    return -1;
  *out = ids[id];
  return 0;
}

static uint64_t ts_ns(const struct timespec *ts) {
  return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

HOST_FN(wasi_clock_time_get) {
  clockid_t id;
  struct timespec ts;
  if (wasi_clock(ARG_I32(0), &id) != 0)
    return ret_errno(results, WASI_EINVAL);
  if (clock_gettime(id, &ts) != 0)
    return ret_errno(results, WASI_EIO);
  return ret_errno(results, store_u64(c, ARG_I32(2), ts_ns(&ts)));
}

HOST_FN(wasi_clock_res_get) {
  clockid_t id;
  struct timespec ts;
  if (wasi_clock(ARG_I32(0), &id) != 0)
    return ret_errno(results, WASI_EINVAL);
  if (clock_getres(id, &ts) != 0)
    return ret_errno(results, WASI_EIO);
  return ret_errno(results, store_u64(c, ARG_I32(1), ts_ns(&ts)));
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* xoshiro256**: fast, deterministic for a given seed, not a secret. */
static uint64_t prng_next(uint64_t s[4]) {
  uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return r;
}

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

/* The seed's bytes are folded into 64 bits (FNV-1a), then spread over the
** state with splitmix64, as xoshiro's authors advise. */
static void prng_seed(uint64_t s[4], const uint8_t *seed, size_t len) {
  uint64_t h = 0xcbf29ce484222325u;
  for (size_t i = 0; i < len; i++)
    h = (h ^ seed[i]) * 0x100000001b3u;
  for (int i = 0; i < 4; i++)
    s[i] = splitmix64(&h);
}

HOST_FN(wasi_random_get) {
  wasi_env *env = ud;
  uint32_t len = ARG_I32(1);
  uint8_t *p = mem_at(c, ARG_I32(0), len);
  interp_status st;
  if (p == NULL)
    return ret_errno(results, WASI_EFAULT);
  if ((st = interp_caller_charge(c, len / RANDOM_BYTES_PER_FUEL)) != INTERP_OK)
    return st;
  for (uint32_t i = 0; i < len; i += 8) {
    uint8_t word[8];
    put_u64(word, prng_next(env->prng));
    memcpy(p + i, word, len - i < 8 ? len - i : 8);
  }
  return ret_errno(results, WASI_ESUCCESS);
}

/* One process, one thread: there is nobody to yield to. */
HOST_FN(wasi_sched_yield) { return ret_errno(results, WASI_ESUCCESS); }

/* Any other WASI function: links, and says "not implemented". */
HOST_FN(wasi_enosys) { return ret_errno(results, WASI_ENOSYS); }

/* ...unless its type has no i32 result to carry ENOSYS in: then calling it
** (not linking it) traps. */
HOST_FN(wasi_unsupported) {
  return interp_caller_trap(c, "unsupported WASI function called");
}

/* ---- the table and the resolver ---- */

typedef struct wasi_fn {
  const char *name;
  const char *params;   /* 'i' i32, 'I' i64 */
  const char *results;
  interp_host_fn fn;
} wasi_fn;

static const wasi_fn wasi_fns[] = {
    {"args_get", "ii", "i", wasi_args_get},
    {"args_sizes_get", "ii", "i", wasi_args_sizes_get},
    {"environ_get", "ii", "i", wasi_environ_get},
    {"environ_sizes_get", "ii", "i", wasi_environ_sizes_get},
    {"fd_write", "iiii", "i", wasi_fd_write},
    {"fd_read", "iiii", "i", wasi_fd_read},
    {"fd_fdstat_get", "ii", "i", wasi_fd_fdstat_get},
    {"fd_seek", "iIii", "i", wasi_fd_seek},
    {"fd_close", "i", "i", wasi_fd_close},
    {"fd_prestat_get", "ii", "i", wasi_fd_prestat},
    {"fd_prestat_dir_name", "iii", "i", wasi_fd_prestat},
    {"proc_exit", "i", "", wasi_proc_exit},
    {"clock_time_get", "iIi", "i", wasi_clock_time_get},
    {"clock_res_get", "ii", "i", wasi_clock_res_get},
    {"random_get", "ii", "i", wasi_random_get},
    {"sched_yield", "", "i", wasi_sched_yield},
};

static int types_match(uint32_t n, const interp_valtype *types, const char *want) {
  if (strlen(want) != n)
    return 0;
  for (uint32_t i = 0; i < n; i++)
    if (types[i] != (want[i] == 'I' ? INTERP_I64 : INTERP_I32))
      return 0;
  return 1;
}

static int name_is(const char *name, size_t len, const char *want) {
  return len == strlen(want) && memcmp(name, want, len) == 0;
}

static const wasi_fn *find_wasi_fn(const interp_import_desc *imp) {
  for (size_t i = 0; i < sizeof wasi_fns / sizeof wasi_fns[0]; i++)
    if (name_is(imp->name, imp->name_len, wasi_fns[i].name))
      return &wasi_fns[i];
  return NULL;
}

/* Remember the first refusal, in words, for the Result's message. */
static interp_status refuse(wasi_env *env, const interp_import_desc *imp,
                            const char *why) {
  char module[WORKER_NAME_TEXT_SIZE], name[WORKER_NAME_TEXT_SIZE];

  if (env->unlinked[0] == '\0') {
    worker_name_text(module, imp->module, imp->module_len);
    worker_name_text(name, imp->name, imp->name_len);
    snprintf(env->unlinked, sizeof env->unlinked, "%s %s.%s", why, module,
             name);
  }
  return INTERP_NOT_FOUND;
}

/* The host function for a WASI import, or NULL if its type is wrong. */
static interp_host_fn wasi_host_fn(const interp_import_desc *imp) {
  const interp_functype *t = &imp->type.func;
  const wasi_fn *f = find_wasi_fn(imp);

  if (f != NULL)
    return types_match(t->nparams, t->params, f->params) &&
                   types_match(t->nresults, t->results, f->results)
               ? f->fn
               : NULL;
  if (t->nresults == 1 && t->results[0] == INTERP_I32)
    return wasi_enosys;
  return wasi_unsupported;
}

interp_status wasi_resolve(void *ud, const interp_import_desc *imp,
                           interp_extern *out) {
  wasi_env *env = ud;
  interp_host_fn fn;
  interp_func *f;
  interp_status s;

  if (!name_is(imp->module, imp->module_len, WASI_MODULE))
    return refuse(env, imp, "unknown import");
  if (imp->type.kind != INTERP_EXTERN_FUNC)
    return refuse(env, imp, "unknown import (not a function)");
  if ((fn = wasi_host_fn(imp)) == NULL)
    return refuse(env, imp, "wrong type for WASI import");
  s = interp_host_func_new(env->store, &imp->type.func, fn, env, &f);
  if (s != INTERP_OK)
    return s;
  out->kind = INTERP_EXTERN_FUNC;
  out->of.func = f;
  return INTERP_OK;
}

void wasi_env_init(wasi_env *env, worker_ctx *w, interp_store *store,
                   const Plugsup__Run *run) {
  memset(env, 0, sizeof *env);
  env->w = w;
  env->store = store;
  env->run = run;
  prng_seed(env->prng, run->random_seed.data, run->random_seed.len);
}
