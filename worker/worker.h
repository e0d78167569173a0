/*
** worker.h: the worker process, everything but main().
**
** Lifecycle of one worker (one plugin run):
**   worker_main    parse argv, enter the sandbox (sandbox.h), say Hello,
**                  read one Run, run it (run.c), send one Result, exit.
** While it runs, host functions send Output frames through worker_output
** and forward what needs the world through worker_host_call.
*/
#ifndef PLUGSUP_WORKER_H
#define PLUGSUP_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "interp.h"
#include "sandbox.h"

/* The state one run shares between the frame loop and the host functions. */
typedef struct worker_ctx {
  int reply_fd;
  uint8_t *shared;           /* the supervisor's buffer for file bytes */
  size_t shared_bytes;       /* its size, 0: none */
  const uint8_t *module_map; /* the plugin's memfd (fd 6), mapped */
  size_t module_map_len;     /* its size, 0: none was given */
  int request_fd;            /* HostReply frames arrive here */
  uint64_t memory_cap;       /* --memory: the interpreter never gets more */
  uint64_t output_limit;     /* Run.limits.output_bytes; 0 = no cap here */
  uint64_t output_sent;      /* bytes of Output sent so far */
  unsigned output_truncated; /* bit 1 << fd: output to fd was dropped at
                                the cap (and the supervisor told so) */
  int reply_failed;          /* a frame could not be written: stop */
  uint64_t calls;            /* HostCalls sent; the last one's id */
  int request_failed;        /* the request stream broke or a HostReply
                                broke the contract: no more host calls,
                                and the worker exits _PROTOCOL */
  char call_error[160];      /* why, for the trap that ends the run */
  /* A zygote's child: the module its zygote loaded once, in a store that
  ** holds it (and perhaps an instance of it) and nothing else, and its
  ** bytes; a Run that carries no module runs this one. */
  interp_store *preload_store;
  interp_module *preload_module;
  const uint8_t *preload_bytes;
  size_t preload_len;
  /* The instance the zygote made of it, when instantiating runs no code,
  ** and the WASI state its imports are bound to; NULL otherwise, and
  ** once a run has taken it. */
  interp_instance *preload_instance;
  struct wasi_env *preload_env;
  uint64_t preload_instance_bytes; /* charged to the run that takes it */
} worker_ctx;

/* Maps the module memfd on fd read-only and private, before the sandbox
** (which forbids mapping descriptors): 0 with *bytes and *len, or -1
** (*bytes and *len untouched) when fd is not a memfd sealed against every
** change (write, shrink, grow) of a size a module can have. The seals let
** the interpreter read the module in place (interp_module_load_static):
** nobody, not the supervisor nor a hostile worker holding the same memfd,
** can change the bytes once they are validated. */
int worker_map_module(int fd, const uint8_t **bytes, size_t *len);

/* A wasm page, and the most pages a 32-bit memory has. */
#define WORKER_WASM_PAGE 65536u
#define WORKER_MAX_PAGES 65536u

/* Longest text the worker puts in a message or a report name. */
#define WORKER_TEXT_MAX 4096u

/* Send one frame (at most FRAME_REPLY_MAX) on the reply fd; 0, or -1 (and
** reply_failed set). */
int worker_send(worker_ctx *w, const Plugsup__Envelope *env);

/* Send plugin output for fd 1 or 2, cut at the output cap. Returns 0, or
** -1 when the reply pipe failed. Bytes beyond the cap count as written. */
int worker_output(worker_ctx *w, uint32_t fd, const uint8_t *data, size_t len);

/* One forwarded host call (proto/hostcall.h): the op, its argument
** Values in the row's order, the byte strings it sends, and how many
** bytes of HostReply.data it accepts. */
typedef struct worker_call {
  unsigned op;
  Plugsup__Value **args;
  size_t n_args;
  ProtobufCBinaryData data, data2;
  size_t data_max;
  uint32_t shared_len;  /* the bytes to write are in w->shared, not data */
} worker_call;

/* Send call as a HostCall frame with the next id, then block on the
** request pipe for its HostReply. 0 with *reply set (free it with
** frame_free) once the reply keeps the contract: the same id, a WASI
** errno, no values with an errno, and on success the row's values
** (count and types; poll_oneoff: 5 per event, no more events than
** subscriptions) and at most data_max bytes of data. Else -1, with
** w->call_error saying why and w->request_failed set: nothing the
** supervisor sends after that can be trusted to be in step. */
/* The bytes a reply carries: in its frame, or in the shared buffer. */
ProtobufCBinaryData worker_reply_data(const worker_ctx *w,
                                      const Plugsup__HostReply *r);
int worker_host_call(worker_ctx *w, const worker_call *call,
                     Plugsup__Envelope **reply);
/* A reply that kept the row but broke what the call asked (e.g. more
** bytes written than sent): -1, as worker_host_call fails. */
int worker_call_broken(worker_ctx *w, unsigned op, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Test builds only (plugsup-worker-subverted): a hook that may take over a
** Run before the interpreter sees it. Returns 1 if it filled *res. */
typedef int (*worker_hook)(const Plugsup__Run *run, const sandbox_state *sb,
                           Plugsup__Result *res);

/* The whole process; returns its exit status (PLUGSUP_WORKER_EXIT_*). */
int worker_main(int argc, char **argv, worker_hook hook);

/* The conversation once the sandbox is on: Hello, one Run, one Result.
** Returns the exit status. */
int worker_serve(worker_ctx *w, const sandbox_state *sb, worker_hook hook);

/* zygote.c: a zygote's life after its arguments are read; returns its
** exit status. */
int zygote_main(const worker_options *opt, worker_hook hook);

/* run.c: carry out one Run into *res (initialised by the caller). */
void worker_run(worker_ctx *w, const Plugsup__Run *run, Plugsup__Result *res);
/* Free what worker_run (or a hook) put in *res: every string and array
** is malloc'd, except those equal to protobuf_c_empty_string. */
void worker_result_free(Plugsup__Result *res);
/* The length of s[0..len) cut to at most max bytes without splitting a
** UTF-8 character. */
size_t worker_utf8_cut(const char *s, size_t len, size_t max);
/* A guest name (len bytes, any of them NUL) for a message: cut at 64
** bytes on a character boundary, control bytes written as \xNN so that
** nothing after a NUL is lost. Writes a NUL-terminated string to buf. */
#define WORKER_NAME_TEXT_SIZE (64 * 4 + 1)
void worker_name_text(char buf[WORKER_NAME_TEXT_SIZE], const char *name,
                      size_t len);
/* A function type as the reports write it, "(i32 i64) -> (f32)":
** malloc'd, or the empty string on failure. */
char *worker_functype_text(const interp_functype *f);
/* A malloc'd copy of a formatted message, or the empty string on failure. */
char *worker_strdupf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

#endif
