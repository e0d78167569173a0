/*
** wasi.h: every wasi_snapshot_preview1 function, for the interpreter's
** resolver. The worker answers what needs no world itself (arguments,
** environment, clocks, a seeded PRNG, stdio, sleeping) and forwards the
** rest to the supervisor as host calls (proto/hostcall.h). Imports from
** any other module but hostfn.h's, and unknown WASI names, do not link. docs/wasi.md
** lists each function and what it needs.
*/
#ifndef PLUGSUP_WORKER_WASI_H
#define PLUGSUP_WORKER_WASI_H

#include <stdbool.h>

#include "hostfn.h"
#include "interp.h"
#include "worker.h"

#define WASI_MODULE "wasi_snapshot_preview1"
/* The functions of the preview 1 witx (wasi_impl.h lists them). */
#define WASI_FN_COUNT 46

/* The worker's own streams. */
enum { WASI_STDIN, WASI_STDOUT, WASI_STDERR, WASI_STREAMS };

typedef struct wasi_env wasi_env;
typedef struct wasi_fn wasi_fn;

/* What a host function is called with: its run and its row. */
typedef struct wasi_call {
  wasi_env *env;
  const wasi_fn *fn;
} wasi_call;

struct wasi_env {
  worker_ctx *w;
  interp_store *store;
  const Plugsup__Run *run;      /* argv, env, input, the clock grant */
  size_t input_pos;             /* bytes of run->input already read */
  uint64_t prng[4];             /* xoshiro256** state, from random_seed */
  /* The supervisor owns the fd table; the worker follows fd_close and
  ** fd_renumber to know which guest fd, if any, is each of its own
  ** streams: stream s is guest fd stream_fd[s] while stream_live[s]. */
  uint32_t stream_fd[WASI_STREAMS];
  bool stream_live[WASI_STREAMS];
  wasi_call calls[WASI_FN_COUNT]; /* what each host function is given */
  hostfn_call hostfn_calls[HOSTFN_COUNT]; /* hostfn.h's */
  hostfn_last hostfn_last;      /* plugsup.http_request's last response */
  char unlinked[640];           /* why resolution refused, for the Result */
};

void wasi_env_init(wasi_env *env, worker_ctx *w, interp_store *store,
                   const Plugsup__Run *run);

/* interp_resolve_fn: ud is a wasi_env. */
interp_status wasi_resolve(void *ud, const interp_import_desc *imp,
                           interp_extern *out);
/* Refuses imp, keeping the first refusal's words ("why module.name") in
** env->unlinked for the Result. */
interp_status wasi_refuse(wasi_env *env, const interp_import_desc *imp,
                          const char *why);

#endif
