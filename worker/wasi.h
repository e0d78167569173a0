/*
** wasi.h: the WASI preview 1 host functions the worker provides itself,
** without asking the supervisor: arguments, an empty environment, stdio
** (output as Output frames, stdin at EOF), clocks, a seeded PRNG.
** Every other wasi_snapshot_preview1 function links but returns ENOSYS;
** imports from any other module do not link.
*/
#ifndef PLUGSUP_WORKER_WASI_H
#define PLUGSUP_WORKER_WASI_H

#include "interp.h"
#include "worker.h"

#define WASI_MODULE "wasi_snapshot_preview1"

typedef struct wasi_env {
  worker_ctx *w;
  interp_store *store;
  const Plugsup__Run *run;      /* argv, input */
  size_t input_pos;             /* bytes of run->input already read */
  uint64_t prng[4];             /* xoshiro256** state, from random_seed */
  uint32_t closed;              /* bit fd: stdio fd closed by fd_close */
  char unlinked[640];           /* why resolution refused, for the Result */
} wasi_env;

void wasi_env_init(wasi_env *env, worker_ctx *w, interp_store *store,
                   const Plugsup__Run *run);

/* interp_resolve_fn: ud is a wasi_env. */
interp_status wasi_resolve(void *ud, const interp_import_desc *imp,
                           interp_extern *out);

#endif
