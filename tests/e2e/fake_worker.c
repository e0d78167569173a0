/*
** fake_worker.c: a stand-in for plugsup-worker that misbehaves on purpose,
** so the supervisor's handling of every bad ending can be tested without
** a real interpreter. The behaviour is named by the program's own name
** (the build makes one symlink per behaviour: fake-worker-<mode>), since
** the supervisor passes no environment and a fixed argv.
*/
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/syscall.h>
#include <linux/sched.h>
#include <unistd.h>

#include "ctl.h"
#include "frame.h"
#include "hostcall.h"

#define REQ PLUGSUP_WORKER_REQUEST_FD
#define REP PLUGSUP_WORKER_REPLY_FD

static void sleep_forever(void) {
  for (;;)
    pause();
}

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

static void report(Plugsup__ExportInfo **e, size_t n_e,
                   Plugsup__ImportInfo **im, size_t n_im) {
  Plugsup__Report rep = PLUGSUP__REPORT__INIT;
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT;
  rep.exports = e;
  rep.n_exports = n_e;
  rep.imports = im;
  rep.n_imports = n_im;
  env.msg_case = PLUGSUP__ENVELOPE__MSG_REPORT;
  env.report = &rep;
  send_env(&env);
}

static ProtobufCBinaryData bytes_of(const char *s, size_t len) {
  return (ProtobufCBinaryData){len, (uint8_t *)s};
}

static void raw(const void *data, size_t len) {
  if (write(REP, data, len) != (ssize_t)len)
    exit(52);
}

/* The honest path: INVOKE returns the sum of its i32 args; START prints
** its argv and exits with argc; VALIDATE reports one export in a Report
** frame and one import in the Result (both are allowed). */
static void honest(void) {
  hello(FRAME_PROTOCOL_VERSION);
  Plugsup__Envelope *env = read_run();
  Plugsup__Run *run = env->run;
  Plugsup__Result r = PLUGSUP__RESULT__INIT;
  Plugsup__Value v = PLUGSUP__VALUE__INIT, *vp = &v;
  Plugsup__ExportInfo e = PLUGSUP__EXPORT_INFO__INIT, *ep = &e;
  Plugsup__ImportInfo im = PLUGSUP__IMPORT_INFO__INIT, *imp = &im;
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
    e.name = bytes_of("add", 3);
    e.kind = "func";
    e.type = "(i32 i32) -> (i32)";
    report(&ep, 1, NULL, 0);
    im.module = bytes_of("env", 3);
    im.name = bytes_of("f", 1);
    im.kind = "func";
    r.outcome = PLUGSUP__OUTCOME__OK;
    r.n_imports = 1;
    r.imports = &imp;
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

static void sleep_ms(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&t, &t) != 0)
    ;
}

/* Thousands of one-byte Output frames in every write, for ever: the
** pipe never runs dry. */
static void tiny_flood(void) {
  static uint8_t buf[60000];
  Plugsup__Output o = PLUGSUP__OUTPUT__INIT;
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT;
  size_t n = 0;
  o.fd = 1;
  o.data = (ProtobufCBinaryData){1, (uint8_t *)"x"};
  env.msg_case = PLUGSUP__ENVELOPE__MSG_OUTPUT;
  env.output = &o;
  size_t len = plugsup__envelope__get_packed_size(&env);
  while (n + 4 + len <= sizeof buf) {
    buf[n] = (uint8_t)len;
    buf[n + 1] = buf[n + 2] = buf[n + 3] = 0;
    plugsup__envelope__pack(&env, buf + n + 4);
    n += 4 + len;
  }
  for (;;)
    raw(buf, n);
}

/* A run of export "flood" floods; any other is honest but takes 200 ms. */
static void slow_or_flood(void) {
  hello(FRAME_PROTOCOL_VERSION);
  Plugsup__Envelope *env = read_run();
  if (!strcmp(env->run->export_name, "flood"))
    tiny_flood();
  frame_free(env);
  sleep_ms(200);
  Plugsup__Result r = PLUGSUP__RESULT__INIT;
  r.outcome = PLUGSUP__OUTCOME__OK;
  result(&r);
}

/* A Result of empty exports: 2 bytes each on the wire, far more each in
** memory once unpacked. */
static void dense(void) {
  enum { N = 400000 };
  Plugsup__ExportInfo *e = calloc(1, sizeof *e);
  Plugsup__ExportInfo **ep = calloc(N, sizeof *ep);
  Plugsup__Result r = PLUGSUP__RESULT__INIT;
  if (!e || !ep)
    exit(54);
  plugsup__export_info__init(e);
  for (int i = 0; i < N; i++)
    ep[i] = e;
  hello(FRAME_PROTOCOL_VERSION);
  frame_free(read_run());
  r.outcome = PLUGSUP__OUTCOME__OK;
  r.n_exports = N;
  r.exports = ep;
  result(&r);
}

/* Names no terminal should see raw: a C1 control (CSI), a right-to-left
** override, a NUL with more after it, a backslash, invalid UTF-8, and a
** name that looks like an escape. */
static void hostile_names(void) {
#define NAME(s) {s, sizeof s - 1}
  static const struct {
    const char *bytes;
    size_t len;
  } names[] = {
      NAME("a\xc2\x9b" "31mred"), NAME("x\xe2\x80\xaey"), NAME("a\0b"),
      NAME("a\0c"), NAME("back\\slash"), NAME("bad\xff\xc3"),
      NAME("a\\x00b"),
  };
#undef NAME
  enum { N = sizeof names / sizeof names[0] };
  Plugsup__ExportInfo e[N], *ep[N];
  Plugsup__ImportInfo im = PLUGSUP__IMPORT_INFO__INIT, *imp = &im;
  Plugsup__Result r = PLUGSUP__RESULT__INIT;
  for (int i = 0; i < N; i++) {
    plugsup__export_info__init(&e[i]);
    e[i].name = bytes_of(names[i].bytes, names[i].len);
    e[i].kind = "func";
    e[i].type = "() -> ()\x1b[2J";
    ep[i] = &e[i];
  }
  im.module = bytes_of("m\xe2\x81\xa6", 4);
  im.name = bytes_of("n\n", 2);
  im.kind = "func";
  hello(FRAME_PROTOCOL_VERSION);
  frame_free(read_run());
  report(ep, N, &imp, 1);
  r.outcome = PLUGSUP__OUTCOME__OK;
  r.message = "trap in \xe2\x80\xae\x07";
  result(&r);
}

/* More exports than a module of the plugin's size can hold. */
static void too_many_exports(void) {
  enum { N = 1000 };
  static Plugsup__ExportInfo e[N], *ep[N];
  for (int i = 0; i < N; i++) {
    plugsup__export_info__init(&e[i]);
    e[i].name = bytes_of("f", 1);
    e[i].kind = "func";
    ep[i] = &e[i];
  }
  hello(FRAME_PROTOCOL_VERSION);
  frame_free(read_run());
  report(ep, N, NULL, 0);
  sleep_forever();
}

/* Says its stderr was cut, then hangs: the cut must survive the timeout. */
static void cut_then_hang(void) {
  Plugsup__Output o = PLUGSUP__OUTPUT__INIT;
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT;
  hello(FRAME_PROTOCOL_VERSION);
  frame_free(read_run());
  output(2, "err", 3);
  o.fd = 2;
  o.truncated = 1;
  env.msg_case = PLUGSUP__ENVELOPE__MSG_OUTPUT;
  env.output = &o;
  send_env(&env);
  sleep_forever();
}

/* Leaves a child behind that holds the reply pipe and writes output for
** ever, and exits without a result while the child is at it. */
static void orphan(void) {
  setsid();
  hello(FRAME_PROTOCOL_VERSION);
  frame_free(read_run());
  if (fork() == 0) {
    static char chunk[4096];
    memset(chunk, 'y', sizeof chunk);
    for (;;)
      output(1, chunk, sizeof chunk);
  }
  sleep_ms(50);
}

/* A protocol the honest worker never breaks, picked by 'how'. */
static void misbehave(const char *how) {
  Plugsup__Output o = PLUGSUP__OUTPUT__INIT;
  Plugsup__SandboxViolation v = PLUGSUP__SANDBOX_VIOLATION__INIT;
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT;
  hello(FRAME_PROTOCOL_VERSION);
  frame_free(read_run());
  if (!strcmp(how, "emptyoutput")) {
    o.fd = 1;
    env.msg_case = PLUGSUP__ENVELOPE__MSG_OUTPUT;
    env.output = &o;
    send_env(&env);
  } else if (!strcmp(how, "twoviolations")) {
    v.syscall_name = "openat";
    env.msg_case = PLUGSUP__ENVELOPE__MSG_SANDBOX_VIOLATION;
    env.sandbox_violation = &v;
    send_env(&env);
    send_env(&env);
  } else if (!strcmp(how, "longnames")) {
    static char name[4000];
    Plugsup__ExportInfo e = PLUGSUP__EXPORT_INFO__INIT, *ep = &e;
    memset(name, 'n', sizeof name);
    e.name = bytes_of(name, sizeof name);
    e.kind = "func";
    report(&ep, 1, NULL, 0);
  }
  sleep_forever();
}

/* One value more than any function can return. */
static void many_values(void) {
  enum { N = 1001 };
  static Plugsup__Value v[N], *vp[N];
  Plugsup__Result r = PLUGSUP__RESULT__INIT;
  for (int i = 0; i < N; i++) {
    plugsup__value__init(&v[i]);
    v[i].type = PLUGSUP__VAL_TYPE__I32;
    vp[i] = &v[i];
  }
  hello(FRAME_PROTOCOL_VERSION);
  frame_free(read_run());
  r.outcome = PLUGSUP__OUTCOME__OK;
  r.n_values = N;
  r.values = vp;
  result(&r);
}

/* One malformed v128 result: 15 bytes, or 16 bytes on an i32. */
static void bad_v128(Plugsup__ValType type, size_t len) {
  static uint8_t bytes[16];
  Plugsup__Value v = PLUGSUP__VALUE__INIT, *vp = &v;
  Plugsup__Result r = PLUGSUP__RESULT__INIT;
  v.type = type;
  v.v128 = (ProtobufCBinaryData){len, bytes};
  hello(FRAME_PROTOCOL_VERSION);
  frame_free(read_run());
  r.outcome = PLUGSUP__OUTCOME__OK;
  r.n_values = 1;
  r.values = &vp;
  result(&r);
}

static void huge_fuel(void) {
  hello(FRAME_PROTOCOL_VERSION);
  frame_free(read_run());
  Plugsup__Result r = PLUGSUP__RESULT__INIT;
  r.outcome = PLUGSUP__OUTCOME__OK;
  r.fuel_used = UINT64_MAX;
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

static Plugsup__Value *int_value(Plugsup__Value *v, int type, uint64_t bits) {
  plugsup__value__init(v);
  v->type = type;
  v->bits = bits;
  return v;
}

/* Asks the host to open a path beneath fd 3 (how: "ok", or a way to break
** the contract), and exits with the errno it got back. */
static void host_call(const char *how) {
  Plugsup__HostCall c = PLUGSUP__HOST_CALL__INIT;
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT, *reply = NULL;
  Plugsup__Value v[6], *args[6];
  static const char types[] = "iiiIIi";
  for (int i = 0; i < 6; i++)
    args[i] = int_value(&v[i], types[i] == 'I' ? PLUGSUP__VAL_TYPE__I64
                                                : PLUGSUP__VAL_TYPE__I32,
                        i == 0 ? 3 : 0);
  hello(FRAME_PROTOCOL_VERSION);
  frame_free(read_run());
  c.id = 9;
  c.op = !strcmp(how, "badop") ? 999 : HC_PATH_OPEN;
  c.n_args = !strcmp(how, "fewargs") ? 2 : 6;
  c.args = args;
  if (!strcmp(how, "widearg"))
    v[0].bits = 1ull << 40; /* an i32 that is not one */
  if (!strcmp(how, "sharedpath"))
    c.shared_len = 5; /* only writes take their bytes from the buffer */
  if (!strcmp(how, "twocalls")) { /* fd_read(0, 16): waits for stdin */
    c.op = HC_FD_READ;
    c.n_args = 2;
    v[0].bits = 0;
    v[1].bits = 16;
  }
  c.data = (ProtobufCBinaryData){1, (uint8_t *)"x"};
  env.msg_case = PLUGSUP__ENVELOPE__MSG_HOST_CALL;
  env.host_call = &c;
  send_env(&env);
  if (!strcmp(how, "twocalls"))
    send_env(&env), sleep_forever();
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

/* One call; exits 60 if no reply of that id came, else returns it. */
static Plugsup__HostReply *ask(Plugsup__HostCall *c, Plugsup__Envelope **keep) {
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT;
  env.msg_case = PLUGSUP__ENVELOPE__MSG_HOST_CALL;
  env.host_call = c;
  send_env(&env);
  if (frame_read(REQ, 0, keep) != FRAME_OK ||
      (*keep)->msg_case != PLUGSUP__ENVELOPE__MSG_HOST_REPLY ||
      (*keep)->host_reply->id != c->id)
    exit(60);
  return (*keep)->host_reply;
}

/* Holds the plugin's memfd on fd 6 with every right an unsandboxed
** process has, and tries each way to change or resize it. Exit status 0
** when each was refused and fd 6 still holds what it held; else the OR
** of the bits of those that worked: 1 write, 2 ftruncate, 4 fallocate,
** 8 a shared writable mapping, 16 mprotect of a shared one to writable,
** 32 a write through the fd reopened by its /proc path, 64 bytes or size
** changed all the same; 128: the Run and fd 6 are not as the contract
** says, so nothing was tried. */
static void attack_module(void) {
  const int fd = PLUGSUP_WORKER_MODULE_FD;
  Plugsup__Result r = PLUGSUP__RESULT__INIT;
  struct stat st;
  char path[32];
  int bits = 0;
  hello(FRAME_PROTOCOL_VERSION);
  Plugsup__Envelope *env = read_run();
  if (fstat(fd, &st) != 0 || env->run->module.len != 0 ||
      env->run->module_fd_len != (uint64_t)st.st_size) {
    r.exit_code = 128;
    goto done;
  }
  size_t len = (size_t)st.st_size;
  uint8_t *before = malloc(len), *after = malloc(len);
  if (!before || !after || pread(fd, before, len, 0) != (ssize_t)len)
    exit(63);
  if (pwrite(fd, "X", 1, 0) == 1 || write(fd, "X", 1) == 1)
    bits |= 1;
  if (ftruncate(fd, 0) == 0 || ftruncate(fd, (off_t)len + 4096) == 0)
    bits |= 2;
  if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
                (off_t)len) == 0 ||
      fallocate(fd, 0, 0, (off_t)len + 4096) == 0)
    bits |= 4;
  volatile uint8_t *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
                             fd, 0);
  if (m != MAP_FAILED) {
    bits |= 8;
    m[0] ^= 0xff;
  }
  m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
  if (m != MAP_FAILED &&
      mprotect((void *)m, len, PROT_READ | PROT_WRITE) == 0) {
    bits |= 16;
    m[0] ^= 0xff;
  }
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  int again = open(path, O_RDWR);
  if (again >= 0 && write(again, "X", 1) == 1)
    bits |= 32;
  /* Allowed: a private copy, written here, which fd 6 must not show. */
  m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
  if (m == MAP_FAILED || mprotect((void *)m, len, PROT_READ | PROT_WRITE) != 0)
    exit(64);
  m[0] ^= 0xff;
  if (fstat(fd, &st) != 0 || (size_t)st.st_size != len ||
      pread(fd, after, len, 0) != (ssize_t)len || memcmp(before, after, len))
    bits |= 64;
  free(before);
  free(after);
  r.exit_code = bits;
done:
  r.outcome = PLUGSUP__OUTCOME__EXIT;
  result(&r);
  frame_free(env);
}

/* Keeps the shared buffer's descriptor and tries to shrink it under the
** supervisor's mapping, then has a file read into it: exit 0 when the
** shrink was refused and the bytes of fd 3's "f.txt" came in the buffer;
** 61 if the shrink worked, 62 if the bytes did not come shared. */
static void shrink_shared(void) {
  Plugsup__Hello h = PLUGSUP__HELLO__INIT;
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT, *r1 = NULL, *r2 = NULL;
  Plugsup__HostCall c = PLUGSUP__HOST_CALL__INIT;
  Plugsup__Value v[6], *args[6];
  static const char types[] = "iiiIIi";
  h.protocol_version = FRAME_PROTOCOL_VERSION;
  h.shared_bytes = HOSTCALL_IO_MAX;
  env.msg_case = PLUGSUP__ENVELOPE__MSG_HELLO;
  env.hello = &h;
  send_env(&env);
  frame_free(read_run());
  int shrunk = ftruncate(PLUGSUP_WORKER_SHARED_FD, 0) == 0;
  const char *m = mmap(NULL, HOSTCALL_IO_MAX, PROT_READ, MAP_SHARED,
                       PLUGSUP_WORKER_SHARED_FD, 0);
  for (int i = 0; i < 6; i++)
    args[i] = int_value(&v[i], types[i] == 'I' ? PLUGSUP__VAL_TYPE__I64
                                                : PLUGSUP__VAL_TYPE__I32,
                        i == 0 ? 3 : i == 3 ? 2 /* fd_read right */ : 0);
  c.id = 1;
  c.op = HC_PATH_OPEN;
  c.n_args = 6;
  c.args = args;
  c.data = (ProtobufCBinaryData){5, (uint8_t *)"f.txt"};
  Plugsup__HostReply *opened = ask(&c, &r1);
  v[0].bits = opened->n_values ? opened->values[0]->bits : 99;
  v[1].bits = 64;
  c.id = 2;
  c.op = HC_FD_READ;
  c.n_args = 2;
  c.data = (ProtobufCBinaryData){0, NULL};
  Plugsup__HostReply *read = ask(&c, &r2);
  int shared = m != MAP_FAILED && read->shared_len == 6 &&
               memcmp(m, "inside", 6) == 0;
  Plugsup__Result r = PLUGSUP__RESULT__INIT;
  r.outcome = PLUGSUP__OUTCOME__EXIT;
  r.exit_code = shrunk ? 61 : shared ? 0 : 62;
  result(&r);
  frame_free(r1);
  frame_free(r2);
}

/* Exits with 1 when it was given the shared buffer (fd 5), else 0. */
static void has_shared(void) {
  hello(FRAME_PROTOCOL_VERSION);
  frame_free(read_run());
  Plugsup__Result r = PLUGSUP__RESULT__INIT;
  r.outcome = PLUGSUP__OUTCOME__EXIT;
  r.exit_code = fcntl(PLUGSUP_WORKER_SHARED_FD, F_GETFD) >= 0;
  result(&r);
}

/* ---- ABI runs ---- */

static void abi_data(const char *call, uint32_t index, const void *data,
                     size_t len, bool more) {
  Plugsup__AbiData d = PLUGSUP__ABI_DATA__INIT;
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT;
  d.call = (char *)call;
  d.index = index;
  d.data = (ProtobufCBinaryData){len, (uint8_t *)data};
  d.more = more;
  env.msg_case = PLUGSUP__ENVELOPE__MSG_ABI_DATA;
  env.abi_data = &d;
  send_env(&env);
}

/* The honest answers: INSPECT says the module is a tool plugin, with one
** tool, not a process plugin (a hostile problem text), and carries a
** manifest; CALL echoes its input in two pieces, reversed. */
static void abi_honest(Plugsup__Run *run) {
  Plugsup__Result r = PLUGSUP__RESULT__INIT;
  Plugsup__AbiMatch m[3], *mp[3] = {&m[0], &m[1], &m[2]};
  char *problems[] = {"missing export 'alloc'\x1b[31m"};
  r.outcome = PLUGSUP__OUTCOME__OK;
  if (run->mode == PLUGSUP__RUN__MODE__INSPECT) {
    for (int i = 0; i < 3; i++) {
      plugsup__abi_match__init(&m[i]);
      m[i].abi = (Plugsup__Abi)(i + 1);
    }
    m[0].n_problems = 1;
    m[0].problems = problems;
    m[2].error = "describe: string at 70000 is outside memory";
    abi_data("plugin_name", 0, "tk", 2, false);
    abi_data("plugin_tool_name", 0, "a\nb", 3, false);
    r.n_abis = 3;
    r.abis = mp;
    r.manifest = bytes_of("{\"id\":\"tk\"}", 11);
  } else if (run->step == PLUGSUP__RUN__ABI_STEP__METADATA) {
    abi_data("describe", 0, "{}", 2, false);
  } else {
    size_t half = run->input.len / 2;
    abi_data(run->abi == PLUGSUP__ABI__ABI_OBSERVE ? "observe" : "process",
             0, run->input.data, half, true);
    abi_data(run->abi == PLUGSUP__ABI__ABI_OBSERVE ? "observe" : "process",
             0, run->input.data + half, run->input.len - half, false);
  }
  result(&r);
}

/* Each breaks one rule of AbiData or the Result's ABI parts. */
static void abi_misbehave(const char *how, Plugsup__Run *run) {
  static char big[FRAME_ABI_PIECE + 1];
  Plugsup__Result r = PLUGSUP__RESULT__INIT;
  Plugsup__AbiMatch m = PLUGSUP__ABI_MATCH__INIT, *mp[2] = {&m, &m};
  r.outcome = PLUGSUP__OUTCOME__OK;
  m.abi = PLUGSUP__ABI__ABI_TOOL;
  if (!strcmp(how, "interleave")) {
    abi_data("a", 0, "x", 1, true);
    abi_data("b", 0, "y", 1, false);
  } else if (!strcmp(how, "overlimit")) {
    for (int i = 0; i < 4; i++)
      abi_data("process", 0, big, 1000, i < 3);
  } else if (!strcmp(how, "bigpiece")) {
    abi_data("process", 0, big, sizeof big, false);
  } else if (!strcmp(how, "manyitems")) {
    for (unsigned i = 0; i <= FRAME_ABI_MAX_ITEMS; i++)
      abi_data("plugin_tool_name", i, "t", 1, false);
  } else if (!strcmp(how, "openend")) {
    abi_data("process", 0, "x", 1, true);
  } else if (!strcmp(how, "twice")) {
    r.n_abis = 2;
    r.abis = mp;
  } else if (!strcmp(how, "nooutput")) {
    (void)run;
  }
  result(&r);
}

static void abi_mode(const char *how) {
  hello(FRAME_PROTOCOL_VERSION);
  Plugsup__Envelope *env = read_run();
  if (!strcmp(how, "ok"))
    abi_honest(env->run);
  else
    abi_misbehave(how, env->run);
  frame_free(env);
}

/* Dies by SIGSEGV even in a sanitized build, whose handler would turn the
** signal into exit status 1. */
static void crash(void) {
  signal(SIGSEGV, SIG_DFL);
  raise(SIGSEGV);
}


/* ---- fake zygotes: started with --zygote, they break the control
** protocol (proto/ctl.h) in one way each; exec'd for a run (the
** supervisor's fallback), they are honest workers. ---- */

#define CTL PLUGSUP_ZYGOTE_CONTROL_FD

static void ctl_send_or_die(Plugsup__Envelope *env, const int *fds, size_t n) {
  if (ctl_send(CTL, env, fds, n) != FRAME_OK)
    exit(52);
}

static void zygote_hello(const int *fds, size_t n) {
  Plugsup__ZygoteHello h = PLUGSUP__ZYGOTE_HELLO__INIT;
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT;
  env.msg_case = PLUGSUP__ENVELOPE__MSG_ZYGOTE_HELLO;
  env.zygote_hello = &h;
  ctl_send_or_die(&env, fds, n);
}

static void zygote_ready(void) {
  Plugsup__ZygoteReady r = PLUGSUP__ZYGOTE_READY__INIT;
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT;
  env.msg_case = PLUGSUP__ENVELOPE__MSG_ZYGOTE_READY;
  env.zygote_ready = &r;
  ctl_send_or_die(&env, NULL, 0);
}

/* The next ZygoteFork's id; its descriptors are closed. */
static uint64_t zygote_next_fork(void) {
  Plugsup__Envelope *env;
  int fds[CTL_FDS_MAX];
  size_t n;
  if (ctl_recv(CTL, &env, fds, CTL_FDS_MAX, &n) != FRAME_OK)
    exit(0);
  for (size_t i = 0; i < n; i++)
    close(fds[i]);
  uint64_t id = env->zygote_fork != NULL ? env->zygote_fork->id : 0;
  frame_free(env);
  return id;
}

static void zygote_forked(uint64_t id, int pidfd) {
  Plugsup__ZygoteForked f = PLUGSUP__ZYGOTE_FORKED__INIT;
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT;
  f.id = id;
  f.pid = 1;
  env.msg_case = PLUGSUP__ENVELOPE__MSG_ZYGOTE_FORKED;
  env.zygote_forked = &f;
  ctl_send_or_die(&env, &pidfd, 1);
}

/* A pidfd of a process that is not the supervisor's child: its own,
** which ends at once (and is reaped by init when the fake ends). */
static int stranger_pidfd(void) {
  pid_t pid = fork();
  if (pid == 0)
    _exit(0);
  return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* A child of the supervisor's, as a zygote forks a run (CLONE_PARENT),
** that exits at once: a zombie only the supervisor can reap. Its pidfd. */
static int supervisors_child(void) {
  int pidfd = -1;
  long pid = syscall(SYS_clone, (unsigned long)(CLONE_PARENT | CLONE_PIDFD |
                                                SIGCHLD),
                     0UL, &pidfd, 0UL, 0UL);
  if (pid == 0)
    _exit(0);
  return pid > 0 ? pidfd : -1;
}

static void fake_zygote(const char *how) {
  static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff};
  if (!strcmp(how, "garbage")) {
    if (write(CTL, garbage, sizeof garbage) < 0)
      exit(53);
    sleep_forever();
  }
  if (!strcmp(how, "fdflood")) {
    /* No pid namespace claimed, yet three descriptors. */
    int fds[3] = {CTL, CTL, CTL};
    zygote_hello(fds, 3);
    sleep_forever();
  }
  zygote_hello(NULL, 0);
  zygote_ready();
  for (;;) {
    uint64_t id = zygote_next_fork();
    if (!strcmp(how, "stranger"))
      zygote_forked(id, stranger_pidfd());
    else if (!strcmp(how, "wrongid"))
      zygote_forked(id + 1, stranger_pidfd());
    else if (!strcmp(how, "late")) {
      /* forks, then answers after the supervisor stopped waiting */
      int pidfd = supervisors_child();
      usleep(1300 * 1000);
      zygote_forked(id, pidfd);
    }
    /* "mute": never answers */
  }
}

static bool has_arg(int argc, char **argv, const char *arg) {
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], arg))
      return true;
  return false;
}

int main(int argc, char **argv) {
  const char *slash = strrchr(argv[0], '/');
  const char *mode = (slash ? slash + 1 : argv[0]) + strlen("fake-worker-");
  static const uint8_t garbage[] = {5, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff};
  static const uint8_t huge[] = {0, 0, 0, 0x7f};        /* ~2 GiB claimed */
  static const uint8_t short_frame[] = {100, 0, 0, 0, 8, 1}; /* 2 of 100 */
  if (!strncmp(mode, "zygote-", 7) && has_arg(argc, argv, PLUGSUP_WORKER_ARG_ZYGOTE))
    fake_zygote(mode + 7);
  else if (!strcmp(mode, "ok") || !strncmp(mode, "zygote-", 7))
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
  else if (!strcmp(mode, "shortv128"))
    bad_v128(PLUGSUP__VAL_TYPE__V128, 15);
  else if (!strcmp(mode, "i32withv128"))
    bad_v128(PLUGSUP__VAL_TYPE__I32, 16);
  else if (!strcmp(mode, "segv"))
    crash();
  else if (!strcmp(mode, "sigsys"))
    violation();
  else if (!strcmp(mode, "flood"))
    flood();
  else if (!strcmp(mode, "linger"))
    honest(), sleep_forever();
  else if (!strcmp(mode, "shrinkshared"))
    shrink_shared();
  else if (!strcmp(mode, "hasshared"))
    has_shared();
  else if (!strcmp(mode, "modattack"))
    attack_module();
  else if (!strncmp(mode, "hostcall-", 9))
    host_call(mode + 9);
  else if (!strncmp(mode, "abi-", 4))
    abi_mode(mode + 4);
  else if (!strcmp(mode, "badversion"))
    hello(99), sleep_forever();
  else if (!strcmp(mode, "closepipe"))
    close(REQ), hello(FRAME_PROTOCOL_VERSION), sleep(1);
  else if (!strcmp(mode, "exitsetup"))
    return PLUGSUP_WORKER_EXIT_SANDBOX_SETUP;
  else if (!strcmp(mode, "slowflood"))
    slow_or_flood();
  else if (!strcmp(mode, "dense"))
    dense();
  else if (!strcmp(mode, "names"))
    hostile_names();
  else if (!strcmp(mode, "manyexports"))
    too_many_exports();
  else if (!strcmp(mode, "cutthenhang"))
    cut_then_hang();
  else if (!strcmp(mode, "orphan"))
    orphan();
  else if (!strcmp(mode, "hugefuel"))
    huge_fuel();
  else if (!strcmp(mode, "manyvalues"))
    many_values();
  else if (!strcmp(mode, "emptyoutput") || !strcmp(mode, "twoviolations") ||
           !strcmp(mode, "longnames"))
    misbehave(mode);
  else
    return 99;
  return 0;
}
