/*
** wasi.c: the table of every WASI function, the resolver, and what the
** worker answers without the world: arguments, environment, clocks, a
** seeded PRNG, yielding, exiting. wasi_impl.h says how the files share
** the work.
*/
#define _GNU_SOURCE
#include "wasi_impl.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* random_get: one unit per 8 bytes, one xoshiro256** step each. */
#define RANDOM_BYTES_PER_FUEL 8

/* ---- memory access ---- */

static uint8_t empty_range[1];

uint8_t *wasi_mem(interp_caller *c, uint32_t ptr, uint64_t len) {
  interp_memory *m = interp_caller_memory(c);
  if (m == NULL || (uint64_t)ptr + len > interp_memory_size(m))
    return NULL;
  if (len == 0)
    return empty_range;
  return interp_memory_data(m) + ptr;
}

/* Store a u32/u64 result at ptr; the WASI errno for the attempt. */
static uint32_t store(interp_caller *c, uint32_t ptr, uint64_t v, unsigned width) {
  uint8_t *p = wasi_mem(c, ptr, width);
  if (p == NULL)
    return WASI_EFAULT;
  wasi_put(p, v, width);
  return WASI_ESUCCESS;
}

const uint8_t *wasi_iovs(interp_caller *c, uint32_t iovs, uint32_t n,
                         uint64_t *total, uint32_t *e) {
  const uint8_t *v = wasi_mem(c, iovs, (uint64_t)n * 8);
  *total = 0;
  *e = WASI_EFAULT;
  if (v == NULL)
    return NULL;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t len = (uint32_t)wasi_get(v + 8 * i + 4, 4);
    if (wasi_mem(c, (uint32_t)wasi_get(v + 8 * i, 4), len) == NULL)
      return NULL;
    *total += len;
  }
  *e = *total > UINT32_MAX ? WASI_EINVAL : WASI_ESUCCESS;
  return *e == WASI_ESUCCESS ? v : NULL;
}

/* ---- arguments and environment: the same layout ---- */

/* Sizes of a string list as WASI lays it out: the strings NUL-terminated. */
static int list_sizes(const ProtobufCBinaryData *list, size_t n,
                      uint32_t *count, uint32_t *bytes) {
  uint64_t total = 0;
  for (size_t i = 0; i < n; i++)
    total += list[i].len + 1;
  if (n > UINT32_MAX || total > UINT32_MAX)
    return -1;
  *count = (uint32_t)n;
  *bytes = (uint32_t)total;
  return 0;
}

static interp_status sizes_get(interp_caller *c, const ProtobufCBinaryData *list,
                               size_t n, const interp_value *args,
                               interp_value *results) {
  uint32_t count, bytes, e;
  interp_status st = wasi_charge_items(c, n);
  if (st != INTERP_OK)
    return st;
  if (list_sizes(list, n, &count, &bytes) != 0)
    return wasi_return(c, results, WASI_EOVERFLOW);
  e = store(c, ARG_I32(0), count, 4);
  if (e == 0)
    e = store(c, ARG_I32(1), bytes, 4);
  return wasi_return(c, results, e);
}

/* (pointer array, buffer): each pointer at the string's first byte. */
static interp_status list_get(interp_caller *c, const ProtobufCBinaryData *list,
                              size_t n, const interp_value *args,
                              interp_value *results) {
  uint32_t count, bytes, at = ARG_I32(1);
  uint8_t *ptrs, *buf;
  interp_status st = wasi_charge_items(c, n);
  if (st != INTERP_OK)
    return st;
  if (list_sizes(list, n, &count, &bytes) != 0)
    return wasi_return(c, results, WASI_EOVERFLOW);
  ptrs = wasi_mem(c, ARG_I32(0), (uint64_t)count * 4);
  buf = wasi_mem(c, at, bytes);
  if (ptrs == NULL || buf == NULL)
    return wasi_return(c, results, WASI_EFAULT);
  if ((st = wasi_charge_bytes(c, bytes)) != INTERP_OK)
    return st;
  for (uint32_t i = 0; i < count; i++) {
    wasi_put(ptrs + 4 * i, at, 4);
    if (list[i].len)
      memcpy(buf, list[i].data, list[i].len);
    buf[list[i].len] = 0;
    buf += list[i].len + 1;
    at += (uint32_t)list[i].len + 1;
  }
  return wasi_return(c, results, WASI_ESUCCESS);
}

HOST_FN(wasi_args_sizes_get) {
  const Plugsup__Run *run = call->env->run;
  return sizes_get(c, run->argv, run->n_argv, args, results);
}

HOST_FN(wasi_args_get) {
  const Plugsup__Run *run = call->env->run;
  return list_get(c, run->argv, run->n_argv, args, results);
}

/* Run.env is the whole environment, "NAME=VALUE" each: the supervisor
** chose it from the policy's env: grants. */
HOST_FN(wasi_environ_sizes_get) {
  const Plugsup__Run *run = call->env->run;
  return sizes_get(c, run->env, run->n_env, args, results);
}

HOST_FN(wasi_environ_get) {
  const Plugsup__Run *run = call->env->run;
  return list_get(c, run->env, run->n_env, args, results);
}

/* ---- clocks ---- */

/* The host clock of a WASI clock id; -1 for an id WASI does not have
** (EINVAL, as wasmtime's decoding of the clockid enum). */
static int host_clock(uint32_t id, clockid_t *out) {
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

/* The wall clock is the supervisor's to give: without the run's clock
** grant, reading it is a host call it can refuse and audit. */
HOST_FN(wasi_clock_time_get) {
  clockid_t id;
  struct timespec ts;
  if (host_clock(ARG_I32(0), &id) != 0)
    return wasi_return(c, results, WASI_EINVAL);
  if (ARG_I32(0) == WASI_CLOCK_REALTIME && !call->env->run->clock)
    return wasi_forward(c, call, args, results);
  if (clock_gettime(id, &ts) != 0)
    return wasi_return(c, results, WASI_EIO);
  return wasi_return(c, results, store(c, ARG_I32(2), ts_ns(&ts), 8));
}

/* A resolution tells nothing about the time: always local. */
HOST_FN(wasi_clock_res_get) {
  clockid_t id;
  struct timespec ts;
  (void)call;
  if (host_clock(ARG_I32(0), &id) != 0)
    return wasi_return(c, results, WASI_EINVAL);
  if (clock_getres(id, &ts) != 0)
    return wasi_return(c, results, WASI_EIO);
  return wasi_return(c, results, store(c, ARG_I32(1), ts_ns(&ts), 8));
}

/* ---- randomness, scheduling, the process ---- */

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
  uint32_t len = ARG_I32(1);
  uint8_t *p = wasi_mem(c, ARG_I32(0), len);
  interp_status st;
  if (p == NULL)
    return wasi_return(c, results, WASI_EFAULT);
  if ((st = interp_caller_charge(c, len / RANDOM_BYTES_PER_FUEL)) != INTERP_OK)
    return st;
  for (uint32_t i = 0; i < len; i += 8) {
    uint8_t word[8];
    wasi_put(word, prng_next(call->env->prng), 8);
    memcpy(p + i, word, len - i < 8 ? len - i : 8);
  }
  return wasi_return(c, results, WASI_ESUCCESS);
}

/* One process, one thread: there is nobody to yield to. */
HOST_FN(wasi_sched_yield) {
  (void)c, (void)call, (void)args;
  return wasi_return(c, results, WASI_ESUCCESS);
}

HOST_FN(wasi_proc_exit) {
  (void)call, (void)results;
  return interp_caller_exit(c, (int32_t)ARG_I32(0));
}

/* Signals are not delivered to a plugin: ENOTSUP, as wasmtime answers. */
HOST_FN(wasi_proc_raise) {
  (void)c, (void)call, (void)args;
  return wasi_return(c, results, WASI_ENOTSUP);
}

/* ---- the table and the resolver ---- */

const wasi_fn wasi_fns[WASI_FN_COUNT] = {
#define WASI_ROW_(name, params, results, handler, op, plan, out) \
  {#name, params, results, handler, op, plan, out},
    WASI_LIST(WASI_ROW_)
#undef WASI_ROW_
};

#define WASI_ONE_(name, params, results, handler, op, plan, out) +1
_Static_assert(0 WASI_LIST(WASI_ONE_) == WASI_FN_COUNT,
               "WASI_FN_COUNT is the length of WASI_LIST");
#undef WASI_ONE_

/* Every host function is this one, given its row: the interpreter's
** user data is all it passes, and a row needs both run and row. */
static interp_status dispatch(interp_caller *c, void *ud,
                              const interp_value *args, interp_value *results) {
  const wasi_call *call = ud;
  return call->fn->handler(c, call, args, results);
}

int wasi_types_match(uint32_t n, const interp_valtype *types, const char *want) {
  if (strlen(want) != n)
    return 0;
  for (uint32_t i = 0; i < n; i++)
    if (types[i] != (want[i] == 'I' ? INTERP_I64 : INTERP_I32))
      return 0;
  return 1;
}

int wasi_name_is(const char *name, size_t len, const char *want) {
  return len == strlen(want) && memcmp(name, want, len) == 0;
}

static int find_wasi_fn(const interp_import_desc *imp) {
  for (int i = 0; i < WASI_FN_COUNT; i++)
    if (wasi_name_is(imp->name, imp->name_len, wasi_fns[i].name))
      return i;
  return -1;
}

/* Remember the first refusal, in words, for the Result's message. */
interp_status wasi_refuse(wasi_env *env, const interp_import_desc *imp,
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

interp_status wasi_resolve(void *ud, const interp_import_desc *imp,
                           interp_extern *out) {
  wasi_env *env = ud;
  const interp_functype *t = &imp->type.func;
  interp_func *f;
  interp_status s;
  int i;

  if (hostfn_is_module(imp->module, imp->module_len))
    return hostfn_resolve(env, imp, out);
  if (!wasi_name_is(imp->module, imp->module_len, WASI_MODULE))
    return wasi_refuse(env, imp, "unknown import");
  if (imp->type.kind != INTERP_EXTERN_FUNC)
    return wasi_refuse(env, imp, "unknown import (not a function)");
  /* Every function of preview 1 is in the table: any other name is not
  ** WASI, whatever module it claims. */
  if ((i = find_wasi_fn(imp)) < 0)
    return wasi_refuse(env, imp, "unknown import");
  if (!wasi_types_match(t->nparams, t->params, wasi_fns[i].params) ||
      !wasi_types_match(t->nresults, t->results, wasi_fns[i].results))
    return wasi_refuse(env, imp, "wrong type for WASI import");
  s = interp_host_func_new(env->store, t, dispatch, &env->calls[i], &f);
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
  for (uint32_t s = 0; s < WASI_STREAMS; s++) {
    env->stream_fd[s] = s;
    env->stream_live[s] = true;
  }
  /* A streamed stdin is the supervisor's: fd_read(0) is forwarded. */
  env->stream_live[WASI_STDIN] = !run->stdin_stream;
  for (int i = 0; i < WASI_FN_COUNT; i++) {
    env->calls[i].env = env;
    env->calls[i].fn = &wasi_fns[i];
  }
  for (unsigned i = 0; i < HOSTFN_COUNT; i++)
    env->hostfn_calls[i] = (hostfn_call){env, i};
}
