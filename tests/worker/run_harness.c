/*
** run_harness.c: see run_harness.h.
*/
#define _GNU_SOURCE
#include "run_harness.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

uint8_t *slurp(const char *name, size_t *len) {
  char path[512];
  FILE *f;
  uint8_t *buf;
  long n;

  snprintf(path, sizeof path, "%s/%s", WORKER_WASM_DIR, name);
  f = fopen(path, "rb");
  cr_assert_not_null(f, "fixture %s", path);
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  rewind(f);
  buf = malloc((size_t)n + 1);
  cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  *len = (size_t)n;
  return buf;
}

/* A NULL-terminated list of strings as protobuf bytes; *n of them. */
static size_t strings(const char *const *list, ProtobufCBinaryData *out,
                      size_t cap) {
  size_t n = 0;
  for (; list != NULL && list[n] != NULL; n++) {
    cr_assert_lt(n, cap);
    out[n].data = (uint8_t *)list[n];
    out[n].len = strlen(list[n]);
  }
  return n;
}

/* A memfd holding the bytes, sealed as the supervisor seals a plugin's
** (but for the write seal, when 'writable'). */
static int sealed_memfd(const uint8_t *bytes, size_t len, bool writable) {
  int fd = memfd_create("test-module", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  cr_assert_geq(fd, 0);
  cr_assert_eq(write(fd, bytes, len), (ssize_t)len);
  cr_assert_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
                                          (writable ? 0 : F_SEAL_WRITE) |
                                          F_SEAL_SEAL), 0);
  return fd;
}

void run(const request *rq, worker_outcome *o) {
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT;
  Plugsup__Run r = PLUGSUP__RUN__INIT;
  Plugsup__Limits lim = PLUGSUP__LIMITS__INIT;
  Plugsup__Value *args[8];
  ProtobufCBinaryData argv[8], envs[8];
  worker_proc w;
  size_t len;
  uint8_t *module = NULL;
  int module_fd = -1;

  if (rq->module != NULL)
    len = rq->module_len;
  else
    module = slurp(rq->wasm, &len);

  r.mode = rq->mode;
  r.module.data = rq->module != NULL ? (uint8_t *)rq->module : module;
  r.module.len = len;
  r.module_fd_len = rq->module_fd_len;
  if (rq->module_on_fd) {
    module_fd = sealed_memfd(r.module.data, len, rq->module_fd_writable);
    r.module.len = 0;
    if (r.module_fd_len == 0)
      r.module_fd_len = len;
  }
  r.export_name = (char *)(rq->export_name ? rq->export_name : "");
  cr_assert_leq(rq->n_args, 8);
  for (size_t i = 0; i < rq->n_args; i++)
    args[i] = (Plugsup__Value *)&rq->args[i];
  r.args = args;
  r.n_args = rq->n_args;
  r.n_argv = strings(rq->argv, argv, 8);
  r.argv = argv;
  r.n_env = strings(rq->env, envs, 8);
  r.env = envs;
  if (rq->seed) {
    r.random_seed.data = (uint8_t *)rq->seed;
    r.random_seed.len = strlen(rq->seed);
  }
  if (rq->input) {
    r.input.data = (uint8_t *)rq->input;
    r.input.len = strlen(rq->input);
  }
  r.stdin_stream = rq->stdin_stream;
  r.clock = rq->clock;
  r.abi = rq->abi;
  r.step = rq->step;
  if (rq->tool) {
    r.tool.data = (uint8_t *)rq->tool;
    r.tool.len = strlen(rq->tool);
  }
  lim.memory_bytes = rq->memory_bytes ? rq->memory_bytes : 64u << 20;
  lim.fuel = rq->fuel;
  lim.output_bytes = rq->output_bytes;
  r.limits = &lim;
  env.msg_case = PLUGSUP__ENVELOPE__MSG_RUN;
  env.run = &r;

  worker_spawn_module(&w, WORKER_BIN, rq->worker_args, module_fd);
  if (module_fd >= 0)
    close(module_fd);
  frame_free(worker_expect(&w, PLUGSUP__ENVELOPE__MSG_HELLO));
  worker_send_envelope(&w, &env);
  worker_collect_brokered(&w, o, rq->broker, rq->broker_ud);
  if (o->end->msg_case == PLUGSUP__ENVELOPE__MSG_RESULT)
    cr_assert_eq(worker_wait(&w), WORKER_EXITED(rq->exit_code), "after: %s",
                 o->end->result->message);
  else
    cr_assert_eq(worker_wait(&w), WORKER_KILLED(SIGSYS));
  free(module);
}

const Plugsup__Result *result_of(const worker_outcome *o) {
  cr_assert_eq(o->end->msg_case, PLUGSUP__ENVELOPE__MSG_RESULT,
               "ended by envelope case %d, syscall %s", (int)o->end->msg_case,
               o->end->msg_case == PLUGSUP__ENVELOPE__MSG_SANDBOX_VIOLATION
                   ? o->end->sandbox_violation->syscall_name : "-");
  return o->end->result;
}

Plugsup__Value val(Plugsup__ValType t, uint64_t bits) {
  Plugsup__Value v = PLUGSUP__VALUE__INIT;
  v.type = t;
  v.bits = bits;
  return v;
}

bool bytes_are(ProtobufCBinaryData d, const char *s) {
  return d.len == strlen(s) && (d.len == 0 || memcmp(d.data, s, d.len) == 0);
}
