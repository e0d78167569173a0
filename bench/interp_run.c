/*
** interp_run: run a wasm32-wasi program's _start on plugsup's interpreter
** alone, for bench/run.sh.
**
** No worker, no sandbox, no policy: the point is to time the interpreter and
** nothing else, so this links plugsup_interp directly and answers the few
** WASI calls a printf-only C program makes. It is a benchmark harness, not a
** WASI implementation (the real one lives in worker/): writes to fds 1 and 2,
** proc_exit, empty argv and environ, clocks, and enough fd_* for wasi-libc's
** stdio to start; every other WASI function returns ENOSYS.
**
** Usage: interp_run [-v] program.wasm
**   -v  print load/instantiate/run times and interpreter stats to stderr.
** Exit status: the program's own, or 2 (cannot load) or 3 (trapped).
*/
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "interp.h"

/* WASI errno values used here. */
enum {
  WASI_ESUCCESS = 0,
  WASI_EBADF = 8,
  WASI_EFAULT = 21,
  WASI_EINVAL = 28,
  WASI_ENOSYS = 52,
  WASI_ESPIPE = 70
};

/* ---- guest memory access, bounds-checked, little-endian ---- */

/* The len bytes at guest address ptr, or NULL if any fall outside memory. */
static uint8_t *guest(interp_caller *c, uint64_t ptr, uint64_t len) {
  interp_memory *mem = interp_caller_memory(c);
  if (!mem)
    return NULL;
  uint64_t size = interp_memory_size(mem);
  if (ptr > size || len > size - ptr)
    return NULL;
  return interp_memory_data(mem) + ptr;
}

static uint32_t get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

static void put_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

/* Every WASI function but proc_exit returns one i32 errno. */
static interp_status ret_errno(interp_value *results, uint32_t e) {
  results[0].type = INTERP_I32;
  results[0].of.i32 = e;
  return INTERP_OK;
}

/* Stores a u32 at a guest address; EFAULT if it does not fit. */
static uint32_t store_u32(interp_caller *c, uint32_t ptr, uint32_t v) {
  uint8_t *p = guest(c, ptr, 4);
  if (!p)
    return WASI_EFAULT;
  put_u32(p, v);
  return WASI_ESUCCESS;
}

/* ---- the WASI functions ---- */

/* fd_write(fd, iovs, iovs_len, nwritten) -> errno */
static interp_status wasi_fd_write(interp_caller *c, void *ud,
                                   const interp_value *a, interp_value *r) {
  uint32_t fd = a[0].of.i32, iovs = a[1].of.i32, n = a[2].of.i32;
  FILE *out = fd == 1 ? stdout : fd == 2 ? stderr : NULL;
  if (!out)
    return ret_errno(r, WASI_EBADF);
  uint8_t *iov = guest(c, iovs, (uint64_t)n * 8);
  if (!iov)
    return ret_errno(r, WASI_EFAULT);
  uint32_t total = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t base = get_u32(iov + 8 * i), len = get_u32(iov + 8 * i + 4);
    uint8_t *bytes = guest(c, base, len);
    if (!bytes)
      return ret_errno(r, WASI_EFAULT);
    fwrite(bytes, 1, len, out);
    total += len;
  }
  return ret_errno(r, store_u32(c, a[3].of.i32, total));
}

/* fd_fdstat_get(fd, buf): stdio fds are character devices, all rights. */
static interp_status wasi_fd_fdstat_get(interp_caller *c, void *ud,
                                        const interp_value *a,
                                        interp_value *r) {
  if (a[0].of.i32 > 2)
    return ret_errno(r, WASI_EBADF);
  uint8_t *st = guest(c, a[1].of.i32, 24);
  if (!st)
    return ret_errno(r, WASI_EFAULT);
  memset(st, 0, 24);
  st[0] = 2; /* __WASI_FILETYPE_CHARACTER_DEVICE */
  put_u64(st + 8, ~(uint64_t)0);
  put_u64(st + 16, ~(uint64_t)0);
  return ret_errno(r, WASI_ESUCCESS);
}

/* fd_seek(fd, offset, whence, newoffset): stdio cannot seek. */
static interp_status wasi_fd_seek(interp_caller *c, void *ud,
                                  const interp_value *a, interp_value *r) {
  return ret_errno(r, a[0].of.i32 <= 2 ? WASI_ESPIPE : WASI_EBADF);
}

/* fd_close(fd): nothing to close; pretend stdio closes fine. */
static interp_status wasi_fd_close(interp_caller *c, void *ud,
                                   const interp_value *a, interp_value *r) {
  return ret_errno(r, a[0].of.i32 <= 2 ? WASI_ESUCCESS : WASI_EBADF);
}

/* fd_prestat_get: EBADF ends wasi-libc's scan for preopened directories
** (any other error would make it abort). */
static interp_status wasi_fd_prestat_get(interp_caller *c, void *ud,
                                         const interp_value *a,
                                         interp_value *r) {
  return ret_errno(r, WASI_EBADF);
}

/* args_sizes_get / environ_sizes_get(count_ptr, bufsize_ptr): both empty. */
static interp_status wasi_sizes_empty(interp_caller *c, void *ud,
                                      const interp_value *a, interp_value *r) {
  uint32_t e = store_u32(c, a[0].of.i32, 0);
  if (e == WASI_ESUCCESS)
    e = store_u32(c, a[1].of.i32, 0);
  return ret_errno(r, e);
}

/* args_get / environ_get: nothing to copy. */
static interp_status wasi_get_empty(interp_caller *c, void *ud,
                                    const interp_value *a, interp_value *r) {
  return ret_errno(r, WASI_ESUCCESS);
}

/* clock_time_get(id, precision, time_ptr): realtime or monotonic, in ns. */
static interp_status wasi_clock_time_get(interp_caller *c, void *ud,
                                         const interp_value *a,
                                         interp_value *r) {
  uint32_t id = a[0].of.i32;
  if (id > 3)
    return ret_errno(r, WASI_EINVAL);
  struct timespec ts;
  clock_gettime(id == 0 ? CLOCK_REALTIME : CLOCK_MONOTONIC, &ts);
  uint8_t *p = guest(c, a[2].of.i32, 8);
  if (!p)
    return ret_errno(r, WASI_EFAULT);
  put_u64(p, (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
  return ret_errno(r, WASI_ESUCCESS);
}

static interp_status wasi_proc_exit(interp_caller *c, void *ud,
                                    const interp_value *a, interp_value *r) {
  return interp_caller_exit(c, (int32_t)a[0].of.i32);
}

/* Any other WASI function: ENOSYS if it returns an errno, else a trap. */
static interp_status wasi_unsupported(interp_caller *c, void *ud,
                                      const interp_value *a, interp_value *r) {
  if (ud)
    return ret_errno(r, WASI_ENOSYS);
  return interp_caller_trap(c, "interp_run: unsupported WASI function");
}

static const struct {
  const char *name;
  interp_host_fn fn;
} wasi_table[] = {
    {"fd_write", wasi_fd_write},
    {"fd_fdstat_get", wasi_fd_fdstat_get},
    {"fd_seek", wasi_fd_seek},
    {"fd_close", wasi_fd_close},
    {"fd_prestat_get", wasi_fd_prestat_get},
    {"args_sizes_get", wasi_sizes_empty},
    {"environ_sizes_get", wasi_sizes_empty},
    {"args_get", wasi_get_empty},
    {"environ_get", wasi_get_empty},
    {"clock_time_get", wasi_clock_time_get},
    {"proc_exit", wasi_proc_exit},
};

/* ---- linking ---- */

static int name_is(const char *s, size_t len, const char *want) {
  return strlen(want) == len && memcmp(s, want, len) == 0;
}

static interp_host_fn lookup_wasi(const interp_import_desc *imp) {
  for (size_t i = 0; i < sizeof wasi_table / sizeof wasi_table[0]; i++)
    if (name_is(imp->name, imp->name_len, wasi_table[i].name))
      return wasi_table[i].fn;
  return wasi_unsupported;
}

/* Resolver: every import must be a wasi_snapshot_preview1 function. The
** host function takes the import's own type; the interpreter checks it. */
static interp_status resolve(void *ud, const interp_import_desc *imp,
                             interp_extern *out) {
  interp_store *store = ud;
  if (imp->type.kind != INTERP_EXTERN_FUNC ||
      !name_is(imp->module, imp->module_len, "wasi_snapshot_preview1")) {
    fprintf(stderr, "interp_run: cannot provide import %.*s.%.*s\n",
            (int)imp->module_len, imp->module, (int)imp->name_len, imp->name);
    return INTERP_UNLINKABLE;
  }
  interp_host_fn fn = lookup_wasi(imp);
  /* ud tells wasi_unsupported whether it has an errno result to fill. */
  void *fn_ud = imp->type.func.nresults == 1 ? (void *)store : NULL;
  out->kind = INTERP_EXTERN_FUNC;
  return interp_host_func_new(store, &imp->type.func, fn, fn_ud, &out->of.func);
}

/* ---- driver ---- */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Reads a whole file into a malloc'd buffer. */
static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  uint8_t *buf = NULL;
  size_t cap = 0, n = 0;
  int bad = 0;
  for (;;) {
    if (n == cap) {
      cap = cap ? cap * 2 : 1 << 16;
      uint8_t *grown = realloc(buf, cap);
      if (!grown) {
        bad = 1;
        break;
      }
      buf = grown;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0)
      break;
  }
  bad = bad || ferror(f);
  fclose(f);
  if (bad) {
    free(buf);
    return NULL;
  }
  *len = n;
  return buf;
}

/* Loads and instantiates; prints why not and returns NULL on failure. */
static interp_instance *load(interp_store *store, const char *path,
                             double *t_load, double *t_inst) {
  size_t len = 0;
  uint8_t *bytes = read_file(path, &len);
  if (!bytes) {
    fprintf(stderr, "interp_run: cannot read %s\n", path);
    return NULL;
  }
  interp_error err;
  interp_module *mod = NULL;
  interp_instance *inst = NULL;
  double t0 = now_s();
  interp_status s = interp_module_load(store, bytes, len, &mod, &err);
  free(bytes);
  double t1 = now_s();
  if (s == INTERP_OK)
    s = interp_instantiate(store, mod, resolve, store, &inst, &err);
  *t_load = t1 - t0;
  *t_inst = now_s() - t1;
  if (s != INTERP_OK) {
    fprintf(stderr, "interp_run: %s: %s: %s\n", path, interp_status_name(s),
            err.message);
    return NULL;
  }
  return inst;
}

/* Calls _start; returns the process exit status it stands for. */
static int run_start(interp_store *store, interp_instance *inst) {
  interp_extern start;
  if (interp_instance_export(inst, "_start", 6, &start) != INTERP_OK ||
      start.kind != INTERP_EXTERN_FUNC) {
    fprintf(stderr, "interp_run: no _start function\n");
    return 2;
  }
  interp_error err;
  interp_status s = interp_call(store, start.of.func, NULL, 0, NULL, 0, &err);
  fflush(stdout);
  if (s == INTERP_OK)
    return 0;
  if (s == INTERP_EXIT)
    return err.exit_code & 0xff;
  fprintf(stderr, "interp_run: %s: %s (%s)\n", interp_status_name(s),
          err.message, interp_trap_message(err.trap));
  return 3;
}

static void print_stats(const interp_store *store, double t_load,
                        double t_inst, double t_run) {
  interp_stats st;
  interp_store_stats(store, &st);
  fprintf(stderr,
          "interp_run: load %.6f s, instantiate %.6f s, run %.6f s\n"
          "interp_run: fuel used %llu, peak bytes %llu, memory bytes %llu\n",
          t_load, t_inst, t_run, (unsigned long long)st.fuel_used,
          (unsigned long long)st.peak_bytes,
          (unsigned long long)st.memory_bytes);
}

int main(int argc, char **argv) {
  int verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
  if (argc != 2 + verbose) {
    fprintf(stderr, "usage: interp_run [-v] program.wasm\n");
    return 2;
  }
  interp_store *store = NULL;
  if (interp_store_new(NULL, &store) != INTERP_OK) {
    fprintf(stderr, "interp_run: cannot create a store\n");
    return 2;
  }
  double t_load = 0, t_inst = 0;
  interp_instance *inst = load(store, argv[1 + verbose], &t_load, &t_inst);
  int status = 2;
  if (inst) {
    double t0 = now_s();
    status = run_start(store, inst);
    if (verbose)
      print_stats(store, t_load, t_inst, now_s() - t0);
  }
  interp_store_free(store);
  return status;
}
