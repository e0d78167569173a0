/*
** wasi_impl.h: what the WASI files share: the list of every function,
** guest-memory access, fuel, the errnos the worker itself returns.
**
** wasi.c       the list's table, the resolver, what is answered locally
** wasi_stdio.c the worker's own streams: fd_write, fd_read, and following
**              fd_close and fd_renumber
** wasi_fs.c    the forwarder: one plan per function turns its parameters
**              into a HostCall and the HostReply into guest memory
** wasi_poll.c  poll_oneoff: clocks slept here, anything else forwarded
**
** Pointers from the plugin are checked against its memory before use
** (EFAULT inside, a trap for the plugin: wasi_return), all of them before
** a call is forwarded; nothing
** trusts a length. Values in linear memory are little-endian, whatever
** the host is.
**
** A call whose work grows with a size (iovecs, bytes, arguments) pays
** fuel for it before doing it: one unit per item, as an interpreted load
** and check would cost, and the interpreter's bulk rate per byte copied.
** Out of fuel, the call returns the interpreter's trap untouched.
*/
#ifndef PLUGSUP_WORKER_WASI_IMPL_H
#define PLUGSUP_WORKER_WASI_IMPL_H

#include <stdint.h>

#include "hostcall.h"
#include "wasi.h"
#include "wasi_abi.h"

/* Where a reply's values go: value i is stored 'width' bytes wide at
** 'offset' in the region of the plan's out-th 'o' pointer. A 'count'
** is a byte count that may not exceed the bytes the call moved. */
typedef struct wasi_field {
  uint8_t out, offset, width, count;
} wasi_field;

typedef struct wasi_layout {
  uint8_t n;
  wasi_field f[8];
} wasi_layout;

extern const wasi_layout wasi_out_u32, wasi_out_u64, wasi_out_sent,
    wasi_out_recv, wasi_out_fdstat, wasi_out_filestat, wasi_out_prestat;

typedef interp_status wasi_handler(interp_caller *c, const wasi_call *call,
                                   const interp_value *args,
                                   interp_value *results);

/* One row of the list. */
struct wasi_fn {
  const char *name;
  const char *params;   /* the wasm signature: 'i' i32, 'I' i64 */
  const char *results;
  wasi_handler *handler;
  hostcall_op op;       /* the HostCall it becomes when forwarded */
  const char *plan;     /* how its parameters travel (wasi_fs.c) */
  const wasi_layout *out;
};

/*
** Every wasi_snapshot_preview1 function of the preview 1 witx:
** X(name, params, results, handler, op, plan, out). Signatures are
** wasi-libc's (wasi/api.h; proc_raise, which it dropped, from the witx).
**
** Plans, one letter per use of the wasm parameters, left to right:
**   i I  a scalar, forwarded as the next I32 / I64 argument
**   p    (ptr, len): a path, sent as data (the second one as data2)
**   w    (iovs, n): the bytes to write, gathered into data
**   v    (iovs, n): checked, but no bytes travel (the row has none)
**   r    (iovs, n): where the reply's bytes are scattered; their room
**        is sent as the next I32 argument
**   b    (ptr, len): a buffer for the reply's bytes; room sent as I32
**   o    a pointer where reply values go, as 'out' lays them out
**   n    a pointer where the number of reply bytes goes (u32)
*/
#define WASI_LIST(X)                                                        \
  X(args_get, "ii", "i", wasi_args_get, HC_NONE, "", NULL)                  \
  X(args_sizes_get, "ii", "i", wasi_args_sizes_get, HC_NONE, "", NULL)      \
  X(environ_get, "ii", "i", wasi_environ_get, HC_NONE, "", NULL)            \
  X(environ_sizes_get, "ii", "i", wasi_environ_sizes_get, HC_NONE, "",      \
    NULL)                                                                   \
  X(clock_res_get, "ii", "i", wasi_clock_res_get, HC_NONE, "", NULL)        \
  X(clock_time_get, "iIi", "i", wasi_clock_time_get, HC_CLOCK_TIME_GET,     \
    "iIo", &wasi_out_u64)                                                   \
  X(fd_advise, "iIIi", "i", wasi_forward, HC_FD_ADVISE, "iIIi", NULL)       \
  X(fd_allocate, "iII", "i", wasi_forward, HC_FD_ALLOCATE, "iII", NULL)     \
  X(fd_close, "i", "i", wasi_fd_close, HC_FD_CLOSE, "i", NULL)              \
  X(fd_datasync, "i", "i", wasi_forward, HC_FD_DATASYNC, "i", NULL)         \
  X(fd_fdstat_get, "ii", "i", wasi_forward, HC_FD_FDSTAT_GET, "io",         \
    &wasi_out_fdstat)                                                       \
  X(fd_fdstat_set_flags, "ii", "i", wasi_forward, HC_FD_FDSTAT_SET_FLAGS,   \
    "ii", NULL)                                                             \
  X(fd_fdstat_set_rights, "iII", "i", wasi_forward,                         \
    HC_FD_FDSTAT_SET_RIGHTS, "iII", NULL)                                   \
  X(fd_filestat_get, "ii", "i", wasi_forward, HC_FD_FILESTAT_GET, "io",     \
    &wasi_out_filestat)                                                     \
  X(fd_filestat_set_size, "iI", "i", wasi_forward, HC_FD_FILESTAT_SET_SIZE, \
    "iI", NULL)                                                             \
  X(fd_filestat_set_times, "iIIi", "i", wasi_forward,                       \
    HC_FD_FILESTAT_SET_TIMES, "iIIi", NULL)                                 \
  X(fd_pread, "iiiIi", "i", wasi_forward, HC_FD_PREAD, "irIn", NULL)        \
  X(fd_prestat_get, "ii", "i", wasi_forward, HC_FD_PRESTAT_GET, "io",       \
    &wasi_out_prestat)                                                      \
  X(fd_prestat_dir_name, "iii", "i", wasi_forward, HC_FD_PRESTAT_DIR_NAME,  \
    "ib", NULL)                                                             \
  X(fd_pwrite, "iiiIi", "i", wasi_forward, HC_FD_PWRITE, "iwIo",            \
    &wasi_out_sent)                                                         \
  X(fd_read, "iiii", "i", wasi_fd_read, HC_FD_READ, "irn", NULL)            \
  X(fd_readdir, "iiiIi", "i", wasi_forward, HC_FD_READDIR, "ibIn", NULL)    \
  X(fd_renumber, "ii", "i", wasi_fd_renumber, HC_FD_RENUMBER, "ii", NULL)   \
  X(fd_seek, "iIii", "i", wasi_forward, HC_FD_SEEK, "iIio", &wasi_out_u64)  \
  X(fd_sync, "i", "i", wasi_forward, HC_FD_SYNC, "i", NULL)                 \
  X(fd_tell, "ii", "i", wasi_forward, HC_FD_TELL, "io", &wasi_out_u64)      \
  X(fd_write, "iiii", "i", wasi_fd_write, HC_FD_WRITE, "iwo",               \
    &wasi_out_sent)                                                         \
  X(path_create_directory, "iii", "i", wasi_forward,                        \
    HC_PATH_CREATE_DIRECTORY, "ip", NULL)                                   \
  X(path_filestat_get, "iiiii", "i", wasi_forward, HC_PATH_FILESTAT_GET,    \
    "iipo", &wasi_out_filestat)                                             \
  X(path_filestat_set_times, "iiiiIIi", "i", wasi_forward,                  \
    HC_PATH_FILESTAT_SET_TIMES, "iipIIi", NULL)                             \
  X(path_link, "iiiiiii", "i", wasi_forward, HC_PATH_LINK, "iipip", NULL)   \
  X(path_open, "iiiiiIIii", "i", wasi_forward, HC_PATH_OPEN, "iipiIIio",    \
    &wasi_out_u32)                                                          \
  X(path_readlink, "iiiiii", "i", wasi_forward, HC_PATH_READLINK, "ipbn",   \
    NULL)                                                                   \
  X(path_remove_directory, "iii", "i", wasi_forward,                        \
    HC_PATH_REMOVE_DIRECTORY, "ip", NULL)                                   \
  X(path_rename, "iiiiii", "i", wasi_forward, HC_PATH_RENAME, "ipip", NULL) \
  X(path_symlink, "iiiii", "i", wasi_forward, HC_PATH_SYMLINK, "pip", NULL) \
  X(path_unlink_file, "iii", "i", wasi_forward, HC_PATH_UNLINK_FILE, "ip",  \
    NULL)                                                                   \
  X(poll_oneoff, "iiii", "i", wasi_poll_oneoff, HC_POLL_ONEOFF, "", NULL)   \
  X(proc_exit, "i", "", wasi_proc_exit, HC_NONE, "", NULL)                  \
  X(proc_raise, "i", "i", wasi_proc_raise, HC_NONE, "", NULL)               \
  X(sched_yield, "", "i", wasi_sched_yield, HC_NONE, "", NULL)              \
  X(random_get, "ii", "i", wasi_random_get, HC_NONE, "", NULL)              \
  X(sock_accept, "iii", "i", wasi_forward, HC_SOCK_ACCEPT, "iio",           \
    &wasi_out_u32)                                                          \
  X(sock_recv, "iiiiii", "i", wasi_forward, HC_SOCK_RECV, "ivioo",          \
    &wasi_out_recv)                                                         \
  X(sock_send, "iiiii", "i", wasi_forward, HC_SOCK_SEND, "ivio",            \
    &wasi_out_sent)                                                         \
  X(sock_shutdown, "ii", "i", wasi_forward, HC_SOCK_SHUTDOWN, "ii", NULL)

#define WASI_DECLARE_(name, params, results, handler, op, plan, out) \
  wasi_handler handler;
WASI_LIST(WASI_DECLARE_)
#undef WASI_DECLARE_

#define HOST_FN(name)                                                      \
  interp_status name(interp_caller *c, const wasi_call *call,              \
                     const interp_value *args, interp_value *results)
#define ARG_I32(i) (args[i].of.i32)
#define ARG_I64(i) (args[i].of.i64)

/* The table the resolver uses, in the list's order (WASI_FN_COUNT). */
extern const wasi_fn wasi_fns[WASI_FN_COUNT];

/* ---- guest memory ---- */

/* The bytes [ptr, ptr+len) of the caller's memory, or NULL if any of
** them is outside it (never NULL for len 0 inside it). */
uint8_t *wasi_mem(interp_caller *c, uint32_t ptr, uint64_t len);

static inline void wasi_put(uint8_t *p, uint64_t v, unsigned width) {
  for (unsigned i = 0; i < width; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t wasi_get(const uint8_t *p, unsigned width) {
  uint64_t v = 0;
  for (unsigned i = 0; i < width; i++)
    v |= (uint64_t)p[i] << (8 * i);
  return v;
}

/* The iovec array (iovs, n) once every buffer lies inside memory, with
** the bytes they hold in *total; else NULL and the errno in *e
** (EFAULT, or EINVAL when they hold more than a u32 can count). */
const uint8_t *wasi_iovs(interp_caller *c, uint32_t iovs, uint32_t n,
                         uint64_t *total, uint32_t *e);

/* The trap for a pointer outside memory: wasmtime traps there (since
** #6776, as the witx says: "the function shall trap"), so plugsup does
** too rather than answer EFAULT. */
#define WASI_POINTER_TRAP "WASI call given a pointer outside memory"

/* A call's answer: its errno, or the trap for an EFAULT. */
static inline interp_status wasi_return(interp_caller *c, interp_value *results,
                                        uint32_t e) {
  if (e == WASI_EFAULT)
    return interp_caller_trap(c, WASI_POINTER_TRAP);
  results[0].type = INTERP_I32;
  results[0].of.i32 = e;
  return INTERP_OK;
}

/* Fuel for 'items' iovecs or arguments walked, and for 'bytes' copied. */
static inline interp_status wasi_charge_items(interp_caller *c, uint64_t items) {
  return interp_caller_charge(c, items);
}

static inline interp_status wasi_charge_bytes(interp_caller *c, uint64_t bytes) {
  return interp_caller_charge(c, bytes / INTERP_FUEL_BULK_BYTES);
}

/* Whether the n types are those of want ('i' i32, 'I' i64, one each). */
int wasi_types_match(uint32_t n, const interp_valtype *types,
                     const char *want);
/* Whether name (len bytes, not NUL-terminated) is want. */
int wasi_name_is(const char *name, size_t len, const char *want);

/* The worker's stream at guest fd, or -1 if fd is none of them. */
int wasi_stream_at(const wasi_env *env, uint32_t fd);

#endif
