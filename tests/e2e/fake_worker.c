/*
** fake_worker.c: a stand-in for plugsup-worker that misbehaves on purpose,
** so the supervisor's handling of every bad ending can be tested without
** a real interpreter. The behaviour is named by the program's own name
** (the build makes one symlink per behaviour: fake-worker-<mode>), since
** the supervisor passes no environment and a fixed argv.
*/
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frame.h"

#define REQ PLUGSUP_WORKER_REQUEST_FD
#define REP PLUGSUP_WORKER_REPLY_FD

static void send_env(Plugsup__Envelope *env) {
  if (frame_write(REP, env, 0) != FRAME_OK)
    exit(50);
}

/* Claims every namespace bit, known or not: the supervisor keeps only the
** bits it can name. */
static void hello(uint32_t version) {
  Plugsup__Hello h = PLUGSUP__HELLO__INIT;
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT;
  h.protocol_version = version;
  h.namespaces = UINT32_MAX;
  env.msg_case = PLUGSUP__ENVELOPE__MSG_HELLO;
  env.hello = &h;
  send_env(&env);
}

static Plugsup__Envelope *read_run(void) {
  Plugsup__Envelope *env = NULL;
  if (frame_read(REQ, 0, &env) != FRAME_OK ||
      env->msg_case != PLUGSUP__ENVELOPE__MSG_RUN)
    exit(51);
  return env;
}

static void output(uint32_t fd, const void *data, size_t len) {
  Plugsup__Output o = PLUGSUP__OUTPUT__INIT;
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT;
  o.fd = fd;
  o.data = (ProtobufCBinaryData){len, (uint8_t *)data};
  env.msg_case = PLUGSUP__ENVELOPE__MSG_OUTPUT;
  env.output = &o;
  send_env(&env);
}

static void result(Plugsup__Result *r) {
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT;
  env.msg_case = PLUGSUP__ENVELOPE__MSG_RESULT;
  env.result = r;
  send_env(&env);
}

static void raw(const void *data, size_t len) {
  if (write(REP, data, len) != (ssize_t)len)
    exit(52);
}

/* The honest path: INVOKE returns the sum of its i32 args; START prints
** its argv and exits with argc; VALIDATE reports one export. */
static void honest(void) {
  hello(FRAME_PROTOCOL_VERSION);
  Plugsup__Envelope *env = read_run();
  Plugsup__Run *run = env->run;
  Plugsup__Result r = PLUGSUP__RESULT__INIT;
  Plugsup__Value v = PLUGSUP__VALUE__INIT, *vp = &v;
  Plugsup__ExportInfo e = PLUGSUP__EXPORT_INFO__INIT, *ep = &e;
  char *imports[] = {"env.f func"};
  if (run->mode == PLUGSUP__RUN__MODE__START) {
    for (size_t i = 0; i < run->n_argv; i++) {
      output(1, run->argv[i].data, run->argv[i].len);
      output(1, "\n", 1);
    }
    output(2, "err\n", 4);
    r.outcome = PLUGSUP__OUTCOME__EXIT;
    r.exit_code = (int32_t)run->n_argv;
  } else if (run->mode == PLUGSUP__RUN__MODE__INVOKE) {
    uint32_t sum = 0;
    for (size_t i = 0; i < run->n_args; i++)
      sum += (uint32_t)run->args[i]->bits;
    v.type = PLUGSUP__VAL_TYPE__I32;
    v.bits = sum;
    r.outcome = PLUGSUP__OUTCOME__OK;
    r.n_values = 1;
    r.values = &vp;
  } else {
    e.name = "add";
    e.kind = "func";
    e.type = "(i32 i32) -> (i32)";
    r.outcome = PLUGSUP__OUTCOME__OK;
    r.n_exports = 1;
    r.exports = &ep;
    r.n_imports = 1;
    r.imports = imports;
  }
  r.fuel_used = 42;
  r.peak_memory_bytes = 65536;
  result(&r);
  frame_free(env);
}

/* Output far beyond any cap, then a normal result. */
static void flood(void) {
  static char chunk[60000];
  memset(chunk, 'x', sizeof chunk);
  hello(FRAME_PROTOCOL_VERSION);
  frame_free(read_run());
  for (int i = 0; i < 100; i++)
    output(1, chunk, sizeof chunk);
  Plugsup__Result r = PLUGSUP__RESULT__INIT;
  r.outcome = PLUGSUP__OUTCOME__OK;
  result(&r);
}

static void violation(void) {
  Plugsup__SandboxViolation v = PLUGSUP__SANDBOX_VIOLATION__INIT;
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT;
  hello(FRAME_PROTOCOL_VERSION);
  frame_free(read_run());
  v.syscall_nr = 257;
  v.syscall_name = "openat";
  env.msg_case = PLUGSUP__ENVELOPE__MSG_SANDBOX_VIOLATION;
  env.sandbox_violation = &v;
  send_env(&env);
  raise(SIGSYS);
}

/* Asks the host for something, and exits with the errno it got back. */
static void host_call(void) {
  Plugsup__HostCall c = PLUGSUP__HOST_CALL__INIT;
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT, *reply = NULL;
  hello(FRAME_PROTOCOL_VERSION);
  frame_free(read_run());
  c.id = 9;
  c.name = "wasi:path_open";
  env.msg_case = PLUGSUP__ENVELOPE__MSG_HOST_CALL;
  env.host_call = &c;
  send_env(&env);
  if (frame_read(REQ, 0, &reply) != FRAME_OK ||
      reply->msg_case != PLUGSUP__ENVELOPE__MSG_HOST_REPLY ||
      reply->host_reply->id != 9)
    exit(53);
  Plugsup__Result r = PLUGSUP__RESULT__INIT;
  r.outcome = PLUGSUP__OUTCOME__EXIT;
  r.exit_code = reply->host_reply->error;
  result(&r);
  frame_free(reply);
}

/* Dies by SIGSEGV even in a sanitized build, whose handler would turn the
** signal into exit status 1. */
static void crash(void) {
  signal(SIGSEGV, SIG_DFL);
  raise(SIGSEGV);
}

static void sleep_forever(void) {
  for (;;)
    pause();
}

int main(int argc, char **argv) {
  const char *slash = strrchr(argv[0], '/');
  const char *mode = (slash ? slash + 1 : argv[0]) + strlen("fake-worker-");
  static const uint8_t garbage[] = {5, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff};
  static const uint8_t huge[] = {0, 0, 0, 0x7f};        /* ~2 GiB claimed */
  static const uint8_t short_frame[] = {100, 0, 0, 0, 8, 1}; /* 2 of 100 */
  if (!strcmp(mode, "ok"))
    honest();
  else if (!strcmp(mode, "garbage"))
    raw(garbage, sizeof garbage), sleep_forever();
  else if (!strcmp(mode, "oversized"))
    raw(huge, sizeof huge), sleep_forever();
  else if (!strcmp(mode, "truncated"))
    raw(short_frame, sizeof short_frame);
  else if (!strcmp(mode, "silent"))
    sleep_forever();
  else if (!strcmp(mode, "noresult"))
    hello(FRAME_PROTOCOL_VERSION), frame_free(read_run());
  else if (!strcmp(mode, "segv"))
    crash();
  else if (!strcmp(mode, "sigsys"))
    violation();
  else if (!strcmp(mode, "flood"))
    flood();
  else if (!strcmp(mode, "linger"))
    honest(), sleep_forever();
  else if (!strcmp(mode, "hostcall"))
    host_call();
  else if (!strcmp(mode, "badversion"))
    hello(99), sleep_forever();
  else if (!strcmp(mode, "closepipe"))
    close(REQ), hello(FRAME_PROTOCOL_VERSION), sleep(1);
  else if (!strcmp(mode, "exitsetup"))
    return PLUGSUP_WORKER_EXIT_SANDBOX_SETUP;
  else
    return 99;
  (void)argc;
  return 0;
}
