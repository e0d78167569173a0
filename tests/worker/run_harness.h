/*
** run_harness.h: one Run of a real module through the real worker, the
** test playing the supervisor (and, through a broker, its host calls).
*/
#ifndef PLUGSUP_TESTS_RUN_HARNESS_H
#define PLUGSUP_TESTS_RUN_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include "worker_harness.h"

/* What a test asks for: one Run, built from these. */
typedef struct request {
  const char *wasm;          /* a fixture in WORKER_WASM_DIR */
  Plugsup__Run__Mode mode;
  const char *export_name;
  const Plugsup__Value *args;
  size_t n_args;
  const char *const *argv;   /* NULL-terminated */
  const char *const *env;    /* NULL-terminated "NAME=VALUE" */
  const char *seed;
  const char *input;
  bool stdin_stream, clock;
  uint64_t memory_bytes, fuel, output_bytes;
  const char *const *worker_args;
  worker_broker_fn broker;   /* answers host calls; NULL: none expected */
  void *broker_ud;
  int exit_code;             /* the worker's, after a Result */
  Plugsup__Abi abi;          /* ABI runs */
  Plugsup__Run__AbiStep step;
  const char *tool;
  const uint8_t *module;     /* instead of the fixture 'wasm' */
  size_t module_len;
  bool module_on_fd;         /* the module goes in a sealed memfd on fd 6,
                                as the supervisor sends it, not in the Run */
  uint64_t module_fd_len;    /* what the Run says fd 6 holds, if not 0;
                                else the module's length when on fd 6 */
  bool module_fd_writable;   /* fd 6 without the write seal */
} request;

/* Run it and collect everything up to the last frame; the worker must
** then exit with rq->exit_code (or die by SIGSYS after a violation). */
void run(const request *rq, worker_outcome *o);
/* A fixture's bytes (malloc'd). */
uint8_t *slurp(const char *name, size_t *len);
const Plugsup__Result *result_of(const worker_outcome *o);
Plugsup__Value val(Plugsup__ValType t, uint64_t bits);
bool bytes_are(ProtobufCBinaryData d, const char *s);

#define I32 PLUGSUP__VAL_TYPE__I32
#define I64 PLUGSUP__VAL_TYPE__I64
#define F64 PLUGSUP__VAL_TYPE__F64
#define OUTCOME(x) PLUGSUP__OUTCOME__##x
#define VALIDATE PLUGSUP__RUN__MODE__VALIDATE
#define START PLUGSUP__RUN__MODE__START
#define INVOKE PLUGSUP__RUN__MODE__INVOKE
#define INSPECT PLUGSUP__RUN__MODE__INSPECT
#define ABI PLUGSUP__RUN__MODE__ABI
#define METADATA PLUGSUP__RUN__ABI_STEP__METADATA
#define CALL PLUGSUP__RUN__ABI_STEP__CALL
#define PROCESS PLUGSUP__ABI__ABI_PROCESS
#define TOOL PLUGSUP__ABI__ABI_TOOL
#define OBSERVE PLUGSUP__ABI__ABI_OBSERVE

#endif
