/*
** abi.h: byte calls, the plugin ABIs of real plugin systems (the
** "plugin ABIs" block of include/plugsup.h), inside the worker.
**
** One engine drives every ABI; what differs between them is data, one
** row per ABI in abi_table.h: the exports it needs and their types,
** whether imports are allowed, how the input gets into the plugin (its
** allocator, or memory the host grows), the entry point, and the
** metadata calls. A run uses one instance for all its calls:
**   abi_check     does the module satisfy the ABI? (no plugin code runs)
**   abi_open      find the exports on an instance, run _initialize
**   abi_metadata  call the metadata exports, each answer an AbiData
**   abi_call      write Run.input, call the entry point, send its output
**
** Every message the engine writes (outcome ABI_ERROR unless said):
**
**   abi_check problems (AbiMatch.problems; a CALL's first one follows
**   "the module does not satisfy the NAME ABI: "):
**     missing export 'E'
**     export 'E' is a K, expected a function     K: table, memory, global
**     export 'memory' is a K, expected a memory  K: function, table, global
**     export 'E' has type T, expected T2         T2 may be "A or B"
**     plugin has forbidden import: M::N          pure ABIs (process)
**     ... and N more problems                    after ABI_MAX_PROBLEMS
**   reading plugin memory (abi_read.c), E the export that answered:
**     E: output at P of L bytes runs past the end of memory (M bytes)
**     E: string at P is outside memory (M bytes)
**     E: string at P has no terminator before the end of memory (M bytes)
**     E: output of N bytes is over the output limit (L bytes)
**     E: output of N bytes is over the output limit (L bytes, S already sent)
**     A: buffer at P of N bytes runs past the end of memory (M bytes)
**                                                A: the allocator
**   the tool ABI:
**     plugin_version: empty version: not compatible with ABI v1
**     plugin_tools_count: returned C, expected 0 to 1024
**     no tool named 'X'                          BAD_REQUEST
**   the host's side:
**     E: no room for an input of N bytes: memory cannot grow by K KiB
**                                                OUT_OF_MEMORY
** A trap, running out of fuel, or an exit inside an export ends as it
** would in an INVOKE run (set_failure); abi_failure_text gives it as
** "E: <the interpreter's message>" (an exit: "E: exited with code N")
** where one line must say it all (AbiMatch.error).
**
** run.c adds, around the engine:
**     Run names no valid ABI                     BAD_REQUEST
**     Run names no valid ABI step                BAD_REQUEST
**     the module does not satisfy the NAME ABI: P    ABI run, P its first
**                                                problem; no code runs
**     the plugsup.manifest section of N bytes is over 262144 bytes: left out
**                                                INSPECT: an OK Result's
**                                                message; manifest empty
**     out of fuel                                AbiMatch.error when the
**                                                Run's fuel was spent
**                                                before that ABI's turn
** A METADATA or CALL failure in INSPECT is its AbiMatch's error, never
** the run's outcome. stdin is empty in ABI and INSPECT runs: the input is
** written into the plugin. The output limit counts AbiData only (Output
** frames of WASI writes keep their own count, as in other runs).
*/
#ifndef PLUGSUP_WORKER_ABI_H
#define PLUGSUP_WORKER_ABI_H

#include <stddef.h>
#include <stdint.h>

#include "interp.h"
#include "worker.h"

/* At most this many problems are listed per ABI; one line counts the rest. */
#define ABI_MAX_PROBLEMS 16u
#define ABI_MESSAGE_MAX 640u

typedef struct abi_def abi_def;

/* The row of the table for abi, or NULL for ABI_NONE or an unknown one. */
const abi_def *abi_find(Plugsup__Abi abi);
const char *abi_name(const abi_def *def);
/* Has the ABI a METADATA step that calls anything? (process: no) */
int abi_has_metadata(const abi_def *def);

/* Fill match with the ABI and what keeps m from satisfying it (malloc'd
** strings; free with abi_match_free). 0, or -1 when memory ran out. */
int abi_check(const interp_module *m, const abi_def *def,
              Plugsup__AbiMatch *match);
void abi_match_free(Plugsup__AbiMatch *match);

/* One run's calls on one instance (INSPECT: one after another on fresh
** instances, the output count going on). */
typedef struct abi_ctx {
  worker_ctx *w;
  interp_store *store;
  interp_instance *instance;
  const abi_def *def;
  interp_memory *memory;
  interp_func *funcs[16];    /* the def's exports, in table order */
  uint64_t limit;            /* Run.limits.output_bytes; 0 = none */
  uint64_t sent;             /* AbiData bytes sent in this run */
  /* Why the last call failed: an interpreter failure (err, in the
  ** export 'where'), or outcome and message. */
  int interp_failed;
  interp_error err;
  const char *where;
  Plugsup__Outcome outcome;
  char message[ABI_MESSAGE_MAX];
} abi_ctx;

/* Ready ctx (w, store, instance, def, limit and sent set) for calls: the
** exports (which abi_check has passed) and _initialize. 0 or -1. */
int abi_open(abi_ctx *ctx);
int abi_metadata(abi_ctx *ctx);
int abi_call(abi_ctx *ctx, const Plugsup__Run *run);
/* After a -1: the failure as one line ("" for an exit). */
void abi_failure_text(const abi_ctx *ctx, char *buf, size_t size);

/* ---- abi_read.c: reading what a plugin points at ----
** Pure functions over a memory image, so the fuzzer can drive them. Each
** returns 0 with *out inside mem[0..size), or -1 with msg (of
** ABI_MESSAGE_MAX bytes) set to one of the texts above, naming 'where'. */
typedef struct abi_span {
  uint64_t at, len;
} abi_span;

/* i64 result ptr << 32 | len. */
int abi_read_packed(uint64_t size, uint64_t packed, const char *where,
                    abi_span *out, char *msg);
/* i32 result: a pointer to a NUL-terminated string (NUL not included). */
int abi_read_string(const uint8_t *mem, uint64_t size, uint32_t ptr,
                    const char *where, abi_span *out, char *msg);
/* The buffer an allocator returned for len bytes. */
int abi_read_buffer(uint64_t size, uint32_t ptr, uint64_t len,
                    const char *where, abi_span *out, char *msg);
/* len more bytes of output, sent already, under limit (0 = none). */
int abi_check_limit(uint64_t len, uint64_t sent, uint64_t limit,
                    const char *where, char *msg);

#endif
