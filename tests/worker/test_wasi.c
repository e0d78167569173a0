/*
** test_wasi.c: WASI preview 1 through the real, sandboxed worker, the test
** playing the supervisor's broker: each forwarded call's HostCall frame
** (op, arguments, data, data2, exactly), what the plugin sees of a canned
** HostReply, what is refused before anything is sent, replies that break
** the contract, the stdio map, the environment, clocks and poll_oneoff.
*/
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hostcall.h"
#include "run_harness.h"

/* ---- the broker: canned answers, in order ---- */

typedef struct canned {
  int32_t error;
  const char *types;        /* of the values: 'i' I32, 'I' I64 */
  uint64_t bits[16];
  const char *data;
  uint64_t id_delta;        /* answer another id than the call's */
  uint32_t shared_len;      /* bytes claimed in the shared buffer */
} canned;

typedef struct script {
  const canned *answers;
  size_t n, next;
} script;

static void scripted(void *ud, const Plugsup__HostCall *call,
                     Plugsup__HostReply *reply) {
  static Plugsup__Value vals[16];
  static Plugsup__Value *ptrs[16];
  script *s = ud;
  const canned *a;

  cr_assert_lt(s->next, s->n, "unexpected host call, op %u", call->op);
  a = &s->answers[s->next++];
  reply->id += a->id_delta;
  reply->error = a->error;
  for (size_t i = 0; a->types && a->types[i]; i++) {
    vals[i] = val(a->types[i] == 'I' ? I64 : I32, a->bits[i]);
    ptrs[i] = &vals[i];
    reply->n_values = i + 1;
  }
  reply->values = ptrs;
  reply->shared_len = a->shared_len;
  if (a->data) {
    reply->data.data = (uint8_t *)a->data;
    reply->data.len = strlen(a->data);
  }
}

/* Invoke export 'name' of wasi_fs.wasm with args; the broker answers
** from 'answers' (n of them). */
static void invoke(const char *name, const Plugsup__Value *args, size_t n_args,
                   const canned *answers, size_t n, worker_outcome *o) {
  script s = {answers, n, 0};
  request rq = {.wasm = "wasi_fs.wasm", .mode = INVOKE, .export_name = name,
                .args = args, .n_args = n_args, .broker = n ? scripted : NULL,
                .broker_ud = &s};
  run(&rq, o);
  cr_assert_eq(s.next, n, "%s: %zu of %zu answers used", name, s.next, n);
}

#define ARGS(...) ((const Plugsup__Value[]){__VA_ARGS__})
#define NARGS(...) (sizeof ARGS(__VA_ARGS__) / sizeof(Plugsup__Value))
#define BITS(...) ((const uint64_t[]){__VA_ARGS__})
#define ANSWER(...) ((const canned[]){__VA_ARGS__})
#define NANSWER(...) (sizeof ANSWER(__VA_ARGS__) / sizeof(canned))

static bool data_is(ProtobufCBinaryData d, const char *s) {
  return s == NULL ? d.len == 0 : bytes_are(d, s);
}

/* Call i of the run is op with these arguments (types 'i'/'I', bits)
** and these byte strings (NULL: empty). */
static void expect_call(const worker_outcome *o, size_t i, unsigned op,
                        const char *types, const uint64_t *bits,
                        const char *data, const char *data2) {
  const Plugsup__HostCall *c = worker_call(o, i);
  cr_assert_eq(c->op, op, "call %zu: op %u, wanted %u", i, c->op, op);
  cr_assert_eq(c->n_args, strlen(types), "op %u: %zu args", op, c->n_args);
  for (size_t k = 0; k < c->n_args; k++) {
    cr_assert_eq(c->args[k]->type, types[k] == 'I' ? I64 : I32, "op %u arg %zu", op, k);
    cr_assert_eq(c->args[k]->bits, bits[k], "op %u arg %zu: %llu", op, k,
                 (unsigned long long)c->args[k]->bits);
  }
  cr_assert(data_is(c->data, data), "op %u: data (%zu bytes)", op, c->data.len);
  cr_assert(data_is(c->data2, data2), "op %u: data2 (%zu bytes)", op, c->data2.len);
}

static uint64_t value(const worker_outcome *o, size_t i) {
  const Plugsup__Result *r = result_of(o);
  cr_assert_eq(r->outcome, OUTCOME(OK), "%s", r->message);
  cr_assert_lt(i, r->n_values);
  return r->values[i]->bits;
}

static uint64_t le(const char *s) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = v << 8 | (uint8_t)s[i];
  return v;
}

/* ---- calls of scalars only: the arguments travel as they are ---- */

typedef struct passthrough {
  const char *name;
  unsigned op;
  const char *types;
  uint64_t bits[4];
} passthrough;

static const passthrough scalars[] = {
    {"fd_advise", HC_FD_ADVISE, "iIIi", {5, 100, 200, 3}},
    {"fd_allocate", HC_FD_ALLOCATE, "iII", {5, 7, 9}},
    {"fd_close", HC_FD_CLOSE, "i", {5}},
    {"fd_datasync", HC_FD_DATASYNC, "i", {5}},
    {"fd_fdstat_set_flags", HC_FD_FDSTAT_SET_FLAGS, "ii", {5, 4}},
    {"fd_fdstat_set_rights", HC_FD_FDSTAT_SET_RIGHTS, "iII", {5, 0x42, 0x43}},
    {"fd_filestat_set_size", HC_FD_FILESTAT_SET_SIZE, "iI", {5, 1ull << 40}},
    {"fd_filestat_set_times", HC_FD_FILESTAT_SET_TIMES, "iIIi", {5, 11, 12, 15}},
    {"fd_renumber", HC_FD_RENUMBER, "ii", {5, 6}},
    {"fd_sync", HC_FD_SYNC, "i", {5}},
    {"sock_shutdown", HC_SOCK_SHUTDOWN, "ii", {5, 2}},
};

Test(wasi_forward, scalar_calls_travel_as_they_are) {
  for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++) {
    const passthrough *p = &scalars[i];
    Plugsup__Value args[4];
    worker_outcome o;
    size_t n = strlen(p->types);
    for (size_t k = 0; k < n; k++)
      args[k] = val(p->types[k] == 'I' ? I64 : I32, p->bits[k]);
    /* Even rows succeed, odd ones get ENOSPC back. */
    invoke(p->name, args, n, ANSWER({.error = i % 2 ? 51 : 0}), 1, &o);
    expect_call(&o, 0, p->op, p->types, p->bits, NULL, NULL);
    cr_assert_eq(value(&o, 0), i % 2 ? 51u : 0u, "%s", p->name);
    worker_outcome_free(&o);
  }
}

/* ---- values written into memory ---- */

Test(wasi_forward, fd_fdstat_get_fills_the_struct_and_zeroes_its_padding) {
  worker_outcome o;
  invoke("fd_fdstat_get", ARGS(val(I32, 5)), 1,
         ANSWER({.types = "iiII", .bits = {4, 0x11, 0xab, 0xcd}}), 1, &o);
  expect_call(&o, 0, HC_FD_FDSTAT_GET, "i", BITS(5), NULL, NULL);
  cr_assert_eq(value(&o, 0), 0);
  cr_assert_eq(value(&o, 1), 4, "filetype");
  cr_assert_eq(value(&o, 2), 0x11, "flags");
  cr_assert_eq(value(&o, 3), 0xab, "rights");
  cr_assert_eq(value(&o, 4), 0xcd, "inheriting");
  cr_assert_eq(value(&o, 5), 0, "padding");
  cr_assert_eq(value(&o, 6), 0xaa, "the byte after the struct");
  worker_outcome_free(&o);
}

Test(wasi_forward, an_errno_writes_nothing) {
  worker_outcome o;
  invoke("fd_fdstat_get", ARGS(val(I32, 5)), 1, ANSWER({.error = 8}), 1, &o);
  cr_assert_eq(value(&o, 0), 8);
  cr_assert_eq(value(&o, 1), 0xaa);
  cr_assert_eq(value(&o, 3), 0xaaaaaaaaaaaaaaaaull);
  worker_outcome_free(&o);
}

Test(wasi_forward, filestats_fill_every_field) {
  worker_outcome o;
  const canned st = {.types = "IIiIIIII", .bits = {1, 2, 4, 3, 1000, 10, 20, 30}};
  invoke("fd_filestat_get", ARGS(val(I32, 5)), 1, &st, 1, &o);
  expect_call(&o, 0, HC_FD_FILESTAT_GET, "i", BITS(5), NULL, NULL);
  for (size_t i = 0; i < 8; i++)
    cr_assert_eq(value(&o, i + 1), st.bits[i], "field %zu", i);
  worker_outcome_free(&o);
  invoke("path_filestat_get", ARGS(val(I32, 3), val(I32, 1)), 2, &st, 1, &o);
  expect_call(&o, 0, HC_PATH_FILESTAT_GET, "ii", BITS(3, 1), "dir/file.txt", NULL);
  cr_assert_eq(value(&o, 1), 1000, "size");
  cr_assert_eq(value(&o, 2), 4, "filetype");
  worker_outcome_free(&o);
}

Test(wasi_forward, fd_prestat_get_and_dir_name) {
  worker_outcome o;
  invoke("fd_prestat_get", ARGS(val(I32, 3)), 1,
         ANSWER({.types = "ii", .bits = {0, 4}}), 1, &o);
  expect_call(&o, 0, HC_FD_PRESTAT_GET, "i", BITS(3), NULL, NULL);
  cr_assert_eq(value(&o, 1), 0, "tag");
  cr_assert_eq(value(&o, 2), 4, "name length");
  cr_assert_eq(value(&o, 3), 0, "padding");
  worker_outcome_free(&o);
  invoke("fd_prestat_dir_name", ARGS(val(I32, 3), val(I32, 4)), 2,
         ANSWER({.data = "/tmp"}), 1, &o);
  expect_call(&o, 0, HC_FD_PRESTAT_DIR_NAME, "ii", BITS(3, 4), NULL, NULL);
  cr_assert_eq(value(&o, 1), le("/tmp\0\0\0\0"));
  worker_outcome_free(&o);
}

Test(wasi_forward, offsets_and_new_fds_come_back) {
  worker_outcome o;
  invoke("fd_seek", ARGS(val(I32, 5), val(I64, (uint64_t)-3), val(I32, 1)), 3,
         ANSWER({.types = "I", .bits = {97}}), 1, &o);
  expect_call(&o, 0, HC_FD_SEEK, "iIi", BITS(5, (uint64_t)-3, 1), NULL, NULL);
  cr_assert_eq(value(&o, 1), 97);
  worker_outcome_free(&o);
  invoke("fd_tell", ARGS(val(I32, 5)), 1, ANSWER({.types = "I", .bits = {42}}), 1, &o);
  expect_call(&o, 0, HC_FD_TELL, "i", BITS(5), NULL, NULL);
  cr_assert_eq(value(&o, 1), 42);
  worker_outcome_free(&o);
  invoke("path_open", ARGS(val(I32, 3), val(I32, 1), val(I32, 9), val(I64, 0xff),
                           val(I64, 0xee), val(I32, 1)), 6,
         ANSWER({.types = "i", .bits = {7}}), 1, &o);
  expect_call(&o, 0, HC_PATH_OPEN, "iiiIIi", BITS(3, 1, 9, 0xff, 0xee, 1),
              "dir/file.txt", NULL);
  cr_assert_eq(value(&o, 0), 0);
  cr_assert_eq(value(&o, 1), 7);
  worker_outcome_free(&o);
  invoke("sock_accept", ARGS(val(I32, 3), val(I32, 4)), 2,
         ANSWER({.types = "i", .bits = {9}}), 1, &o);
  expect_call(&o, 0, HC_SOCK_ACCEPT, "ii", BITS(3, 4), NULL, NULL);
  cr_assert_eq(value(&o, 1), 9);
  worker_outcome_free(&o);
}

/* ---- bytes: at most what was asked, scattered; gathered ---- */

Test(wasi_forward, reads_ask_for_the_iovecs_room_and_scatter_the_reply) {
  worker_outcome o;
  invoke("fd_read", ARGS(val(I32, 5)), 1, ANSWER({.data = "abcdefgh"}), 1, &o);
  expect_call(&o, 0, HC_FD_READ, "ii", BITS(5, 8), NULL, NULL);
  cr_assert_eq(value(&o, 1), 8);
  cr_assert_eq(value(&o, 2), le("abcdefgh"));
  worker_outcome_free(&o);
  invoke("fd_pread", ARGS(val(I32, 5), val(I64, 77)), 2, ANSWER({.data = "xy"}), 1, &o);
  expect_call(&o, 0, HC_FD_PREAD, "iiI", BITS(5, 8, 77), NULL, NULL);
  cr_assert_eq(value(&o, 1), 2, "a short read");
  cr_assert_eq(value(&o, 2), le("xy\0\0\0\0\0\0"));
  worker_outcome_free(&o);
}

Test(wasi_forward, writes_gather_the_iovecs) {
  worker_outcome o;
  invoke("fd_write", ARGS(val(I32, 5)), 1, ANSWER({.types = "i", .bits = {11}}), 1, &o);
  expect_call(&o, 0, HC_FD_WRITE, "i", BITS(5), "hello world", NULL);
  cr_assert_eq(value(&o, 1), 11);
  worker_outcome_free(&o);
  invoke("fd_pwrite", ARGS(val(I32, 5), val(I64, 9)), 2,
         ANSWER({.types = "i", .bits = {4}}), 1, &o);
  expect_call(&o, 0, HC_FD_PWRITE, "iI", BITS(5, 9), "hello world", NULL);
  cr_assert_eq(value(&o, 1), 4, "a short write");
  worker_outcome_free(&o);
}

Test(wasi_forward, readdir_and_readlink_copy_the_bytes_and_say_how_many) {
  worker_outcome o;
  invoke("fd_readdir", ARGS(val(I32, 5), val(I32, 24), val(I64, 3)), 3,
         ANSWER({.data = "0123456789abcdefghijklmn"}), 1, &o);
  expect_call(&o, 0, HC_FD_READDIR, "iiI", BITS(5, 24, 3), NULL, NULL);
  cr_assert_eq(value(&o, 1), 24);
  cr_assert_eq(value(&o, 2), le("01234567"));
  worker_outcome_free(&o);
  invoke("path_readlink", ARGS(val(I32, 5), val(I32, 16)), 2,
         ANSWER({.data = "target"}), 1, &o);
  expect_call(&o, 0, HC_PATH_READLINK, "ii", BITS(5, 16), "dir/file.txt", NULL);
  cr_assert_eq(value(&o, 1), 6);
  cr_assert_eq(value(&o, 2), le("target\0\0"));
  worker_outcome_free(&o);
}

/* ---- paths ---- */

typedef struct pathcall {
  const char *name;
  unsigned op;
  const char *types;
  uint64_t bits[5];
  const char *data2;
} pathcall;

static const pathcall paths[] = {
    {"path_create_directory", HC_PATH_CREATE_DIRECTORY, "i", {3}, NULL},
    {"path_remove_directory", HC_PATH_REMOVE_DIRECTORY, "i", {3}, NULL},
    {"path_unlink_file", HC_PATH_UNLINK_FILE, "i", {3}, NULL},
    {"path_link", HC_PATH_LINK, "iii", {3, 1, 4}, "new/name"},
    {"path_rename", HC_PATH_RENAME, "ii", {3, 4}, "new/name"},
    {"path_symlink", HC_PATH_SYMLINK, "i", {4}, "new/name"},
    {"path_filestat_set_times", HC_PATH_FILESTAT_SET_TIMES, "iiIIi",
     {3, 1, 5, 6, 10}, NULL},
};

Test(wasi_forward, paths_travel_as_data_and_data2) {
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    const pathcall *p = &paths[i];
    Plugsup__Value args[5];
    worker_outcome o;
    size_t n = strlen(p->types);
    for (size_t k = 0; k < n; k++)
      args[k] = val(p->types[k] == 'I' ? I64 : I32, p->bits[k]);
    invoke(p->name, args, n, ANSWER({.error = 44}), 1, &o);
    expect_call(&o, 0, p->op, p->types, p->bits, "dir/file.txt", p->data2);
    cr_assert_eq(value(&o, 0), 44, "%s", p->name);
    worker_outcome_free(&o);
  }
}

/* ---- sockets: the row carries no bytes ---- */

Test(wasi_forward, sockets_send_fd_and_flags_only) {
  worker_outcome o;
  invoke("sock_recv", ARGS(val(I32, 5), val(I32, 2)), 2,
         ANSWER({.types = "ii", .bits = {0, 1}}), 1, &o);
  expect_call(&o, 0, HC_SOCK_RECV, "ii", BITS(5, 2), NULL, NULL);
  cr_assert_eq(value(&o, 1), 0);
  cr_assert_eq(value(&o, 2), 1, "ro_flags");
  worker_outcome_free(&o);
  invoke("sock_send", ARGS(val(I32, 5), val(I32, 0)), 2, ANSWER({.error = 57}), 1, &o);
  expect_call(&o, 0, HC_SOCK_SEND, "ii", BITS(5, 0), NULL, NULL);
  cr_assert_eq(value(&o, 0), 57);
  worker_outcome_free(&o);
}

/* ---- refused before anything is sent (no broker: a call fails) ---- */

/* As wasmtime: a pointer outside memory traps the call (no EFAULT). */
static void expect_pointer_trap(const worker_outcome *o, const char *what) {
  const Plugsup__Result *r = result_of(o);
  cr_assert_eq(r->outcome, OUTCOME(TRAP), "%s: %s", what, r->message);
  cr_assert(strstr(r->trap_kind, "pointer outside memory") ||
                strstr(r->message, "pointer outside memory"),
            "%s: %s / %s", what, r->trap_kind, r->message);
}

Test(wasi_refused, bad_pointers_trap_and_send_nothing) {
  static const struct {
    const char *name;
    uint32_t a, b;
    size_t n;
  } cases[] = {{"open_path_at", 65530, 100, 2}, {"open_bad_result", 0, 0, 0},
               {"write_bad_iovec", 5, 0, 1}, {"read_bad_count", 5, 0, 1}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    worker_outcome o;
    invoke(cases[i].name, ARGS(val(I32, cases[i].a), val(I32, cases[i].b)),
           cases[i].n, NULL, 0, &o);
    expect_pointer_trap(&o, cases[i].name);
    cr_assert_eq(o.n_calls, 0);
    worker_outcome_free(&o);
  }
}

Test(wasi_refused, a_path_longer_than_hostcall_path_max_is_enametoolong) {
  worker_outcome o;
  invoke("open_path_at", ARGS(val(I32, 0), val(I32, HOSTCALL_PATH_MAX + 1)), 2,
         NULL, 0, &o);
  cr_assert_eq(value(&o, 0), 37, "ENAMETOOLONG");
  worker_outcome_free(&o);
  /* HOSTCALL_PATH_MAX itself goes out. */
  invoke("open_path_at", ARGS(val(I32, 0), val(I32, HOSTCALL_PATH_MAX)), 2,
         ANSWER({.error = 44}), 1, &o);
  cr_assert_eq(worker_call(&o, 0)->data.len, HOSTCALL_PATH_MAX);
  cr_assert_eq(value(&o, 0), 44);
  worker_outcome_free(&o);
}

/* ---- replies that break the contract ---- */

static void expect_broken(const char *name, const Plugsup__Value *args,
                          size_t n_args, canned answer, const char *message) {
  script s = {&answer, 1, 0};
  request rq = {.wasm = "wasi_fs.wasm", .mode = INVOKE, .export_name = name,
                .args = args, .n_args = n_args, .broker = scripted,
                .broker_ud = &s, .exit_code = PLUGSUP_WORKER_EXIT_PROTOCOL};
  worker_outcome o;
  run(&rq, &o);
  cr_assert_eq(result_of(&o)->outcome, OUTCOME(TRAP), "%s", name);
  cr_assert_str_eq(result_of(&o)->message, message);
  worker_outcome_free(&o);
}

Test(wasi_contract, a_broken_reply_ends_the_run_with_a_clear_message) {
  const Plugsup__Value fd = val(I32, 5);
  expect_broken("fd_sync", &fd, 1, (canned){.id_delta = 1},
                "host call fd_sync: the reply has id 2, the call 1");
  expect_broken("fd_tell", &fd, 1, (canned){.types = "II", .bits = {1, 2}},
                "host call fd_tell: the reply has 2 values, not I");
  expect_broken("fd_tell", &fd, 1, (canned){.types = "i", .bits = {1}},
                "host call fd_tell: value 0 is not an I64");
  expect_broken("fd_read", &fd, 1, (canned){.data = "123456789"},
                "host call fd_read: 9 bytes of data, 8 asked");
  expect_broken("fd_sync", &fd, 1, (canned){.error = 8, .types = "i"},
                "host call fd_sync: an errno with 1 values");
  expect_broken("fd_sync", &fd, 1, (canned){.error = 1000},
                "host call fd_sync: errno 1000 is not a WASI errno");
  expect_broken("fd_write", &fd, 1, (canned){.types = "i", .bits = {12}},
                "host call fd_write: a count above the 11 bytes moved");
  /* This harness gives the worker no shared buffer (fd 5). */
  expect_broken("fd_read", &fd, 1, (canned){.shared_len = 4},
                "host call fd_read: 4 shared bytes with 0 in the frame and "
                "a buffer of 0");
}

/* ---- the worker's own streams ---- */

static void renumber_and_write(uint32_t from, uint32_t to, uint32_t out,
                               const canned *answers, size_t n,
                               worker_outcome *o) {
  invoke("renumber_and_write", ARGS(val(I32, from), val(I32, to), val(I32, out)),
         3, answers, n, o);
}

Test(wasi_stdio, a_file_renumbered_onto_stdout_takes_its_writes) {
  worker_outcome o;
  renumber_and_write(5, 1, 1, ANSWER({0}, {.types = "i", .bits = {5}}), 2, &o);
  expect_call(&o, 0, HC_FD_RENUMBER, "ii", BITS(5, 1), NULL, NULL);
  expect_call(&o, 1, HC_FD_WRITE, "i", BITS(1), "hello", NULL);
  cr_assert_eq(o.output_frames, 0);
  cr_assert_eq(value(&o, 1), 0);
  worker_outcome_free(&o);
}

Test(wasi_stdio, stdout_renumbered_onto_7_is_still_output) {
  worker_outcome o;
  renumber_and_write(1, 7, 7, ANSWER({0}), 1, &o);
  cr_assert_eq(o.n_calls, 1);
  cr_assert_str_eq(o.out, "hello");
  worker_outcome_free(&o);
  /* ... and fd 1 is no longer it. */
  renumber_and_write(1, 7, 1, ANSWER({0}, {.error = 8}), 2, &o);
  expect_call(&o, 1, HC_FD_WRITE, "i", BITS(1), "hello", NULL);
  cr_assert_eq(value(&o, 1), 8);
  worker_outcome_free(&o);
  /* A renumbering the supervisor refused moved nothing. */
  renumber_and_write(1, 7, 1, ANSWER({.error = 8}), 1, &o);
  cr_assert_str_eq(o.out, "hello");
  worker_outcome_free(&o);
}

Test(wasi_stdio, stderr_renumbered_onto_1_writes_as_stderr) {
  worker_outcome o;
  renumber_and_write(2, 1, 1, ANSWER({0}), 1, &o);
  cr_assert_str_eq(o.err, "hello");
  cr_assert_eq(o.out_len, 0);
  worker_outcome_free(&o);
}

Test(wasi_stdio, closed_stdout_is_the_supervisors) {
  worker_outcome o;
  invoke("close_and_write", ARGS(val(I32, 1), val(I32, 1)), 2,
         ANSWER({0}, {.error = 8}), 2, &o);
  expect_call(&o, 0, HC_FD_CLOSE, "i", BITS(1), NULL, NULL);
  expect_call(&o, 1, HC_FD_WRITE, "i", BITS(1), "hello", NULL);
  cr_assert_eq(value(&o, 1), 8);
  worker_outcome_free(&o);
  invoke("close_and_write", ARGS(val(I32, 2), val(I32, 1)), 2, ANSWER({0}), 1, &o);
  cr_assert_str_eq(o.out, "hello");
  worker_outcome_free(&o);
}

Test(wasi_stdio, stdio_misuse_is_ebadf_here) {
  worker_outcome o;
  invoke("read_stdout", NULL, 0, NULL, 0, &o);
  cr_assert_eq(value(&o, 0), 8);
  worker_outcome_free(&o);
  invoke("fd_write", ARGS(val(I32, 0)), 1, NULL, 0, &o);
  cr_assert_eq(value(&o, 0), 8);
  worker_outcome_free(&o);
}

Test(wasi_stdio, a_streamed_stdin_is_read_through_the_supervisor) {
  script s = {ANSWER({.data = "abc"}), 1, 0};
  request rq = {.wasm = "wasi_fs.wasm", .mode = INVOKE, .export_name = "fd_read",
                .args = ARGS(val(I32, 0)), .n_args = 1, .input = "unused",
                .stdin_stream = true, .broker = scripted, .broker_ud = &s};
  worker_outcome o;
  run(&rq, &o);
  expect_call(&o, 0, HC_FD_READ, "ii", BITS(0, 8), NULL, NULL);
  cr_assert_eq(value(&o, 1), 3);
  worker_outcome_free(&o);
}

/* ---- answered here ---- */

Test(wasi_local, environ_is_the_runs_env) {
  const char *env[] = {"A=1", "BB=22", NULL};
  request rq = {.wasm = "wasi_fs.wasm", .mode = INVOKE, .export_name = "environ",
                .env = env};
  worker_outcome o;
  run(&rq, &o);
  cr_assert_eq(value(&o, 0), 0);
  cr_assert_eq(value(&o, 1), 2);
  cr_assert_eq(value(&o, 2), 10, "A=1 and BB=22, each NUL-terminated");
  cr_assert_eq(value(&o, 3), 'B');
  cr_assert_eq(value(&o, 4), 0);
  worker_outcome_free(&o);
}

Test(wasi_local, proc_raise_is_enotsup_and_sched_yield_succeeds) {
  worker_outcome o;
  invoke("proc_raise", NULL, 0, NULL, 0, &o);
  cr_assert_eq(value(&o, 0), 58);
  worker_outcome_free(&o);
  invoke("sched_yield", NULL, 0, NULL, 0, &o);
  cr_assert_eq(value(&o, 0), 0);
  worker_outcome_free(&o);
}

Test(wasi_local, the_wall_clock_without_the_grant_is_a_host_call) {
  worker_outcome o;
  invoke("clock_time_get", ARGS(val(I32, 0), val(I64, 1000)), 2,
         ANSWER({.types = "I", .bits = {1700000000000000000ull}}), 1, &o);
  expect_call(&o, 0, HC_CLOCK_TIME_GET, "iI", BITS(0, 1000), NULL, NULL);
  cr_assert_eq(value(&o, 1), 1700000000000000000ull);
  worker_outcome_free(&o);
  invoke("clock_time_get", ARGS(val(I32, 0), val(I64, 1000)), 2,
         ANSWER({.error = 76}), 1, &o);
  cr_assert_eq(value(&o, 0), 76);
  worker_outcome_free(&o);
}

Test(wasi_local, the_wall_clock_with_the_grant_and_other_clocks_are_local) {
  request rq = {.wasm = "wasi_fs.wasm", .mode = INVOKE,
                .export_name = "clock_time_get",
                .args = ARGS(val(I32, 0), val(I64, 0)), .n_args = 2, .clock = true};
  worker_outcome o;
  run(&rq, &o);
  cr_assert_eq(value(&o, 0), 0);
  cr_assert_gt(value(&o, 1), 1600000000000000000ull);
  worker_outcome_free(&o);
  for (uint32_t id = 1; id < 4; id++) {
    invoke("clock_time_get", ARGS(val(I32, id), val(I64, 0)), 2, NULL, 0, &o);
    cr_assert_eq(value(&o, 0), 0, "clock %u", id);
    worker_outcome_free(&o);
  }
  invoke("clock_time_get", ARGS(val(I32, 4), val(I64, 0)), 2, NULL, 0, &o);
  cr_assert_eq(value(&o, 0), 28, "EINVAL");
  worker_outcome_free(&o);
}

/* ---- poll_oneoff ---- */

static uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#define MS 1000000ull

/* Sleeps at least the timeout; never asserted to be short. */
Test(wasi_poll, clocks_alone_sleep_here) {
  worker_outcome o;
  uint64_t start = mono_ns();
  invoke("poll_clock", ARGS(val(I32, 1), val(I64, 50 * MS), val(I32, 0)), 3,
         NULL, 0, &o);
  cr_assert_geq(mono_ns() - start, 50 * MS);
  cr_assert_eq(value(&o, 0), 0);
  cr_assert_eq(value(&o, 1), 1, "one event");
  cr_assert_eq(value(&o, 2), 0x1111, "its userdata");
  cr_assert_eq(value(&o, 3), 0, "its errno");
  cr_assert_eq(value(&o, 4), 0, "a clock event");
  worker_outcome_free(&o);
}

Test(wasi_poll, an_absolute_monotonic_deadline_is_waited_for) {
  worker_outcome o;
  uint64_t deadline = mono_ns() + 60 * MS;
  invoke("poll_clock", ARGS(val(I32, 1), val(I64, deadline), val(I32, 1)), 3,
         NULL, 0, &o);
  cr_assert_geq(mono_ns(), deadline);
  cr_assert_eq(value(&o, 1), 1);
  worker_outcome_free(&o);
}

Test(wasi_poll, the_first_clock_due_ends_the_sleep) {
  worker_outcome o;
  invoke("poll_two", ARGS(val(I64, 3600000 * MS), val(I64, 10 * MS)), 2, NULL, 0, &o);
  cr_assert_eq(value(&o, 1), 1);
  cr_assert_eq(value(&o, 2), 2, "the 10 ms one");
  worker_outcome_free(&o);
}

Test(wasi_poll, a_relative_realtime_timeout_needs_no_grant) {
  worker_outcome o;
  invoke("poll_clock", ARGS(val(I32, 0), val(I64, 5 * MS), val(I32, 0)), 3,
         NULL, 0, &o);
  cr_assert_eq(value(&o, 1), 1);
  worker_outcome_free(&o);
}

Test(wasi_poll, an_absolute_realtime_deadline_is_forwarded_without_the_grant) {
  worker_outcome o;
  struct timespec now;
  uint64_t at;
  request rq = {.wasm = "wasi_fs.wasm", .mode = INVOKE, .export_name = "poll_clock",
                .n_args = 3, .clock = true};

  invoke("poll_clock", ARGS(val(I32, 0), val(I64, 123), val(I32, 1)), 3,
         ANSWER({.types = "IiiIi", .bits = {0x1111, 0, 0, 0, 0}}), 1, &o);
  expect_call(&o, 0, HC_POLL_ONEOFF, "IiiIi", BITS(0x1111, 0, 0, 123, 1), NULL, NULL);
  cr_assert_eq(value(&o, 1), 1);
  worker_outcome_free(&o);
  /* With the grant it is slept here. */
  clock_gettime(CLOCK_REALTIME, &now);
  at = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec + 20 * MS;
  rq.args = ARGS(val(I32, 0), val(I64, at), val(I32, 1));
  run(&rq, &o);
  cr_assert_eq(value(&o, 1), 1);
  worker_outcome_free(&o);
}

Test(wasi_poll, bad_subscriptions_are_einval) {
  worker_outcome o;
  invoke("poll_none", NULL, 0, NULL, 0, &o);
  cr_assert_eq(value(&o, 0), 28, "no subscription");
  worker_outcome_free(&o);
  invoke("poll_bad_tag", NULL, 0, NULL, 0, &o);
  cr_assert_eq(value(&o, 0), 28, "tag 3");
  worker_outcome_free(&o);
  invoke("poll_clock", ARGS(val(I32, 2), val(I64, 0), val(I32, 0)), 3, NULL, 0, &o);
  cr_assert_eq(value(&o, 0), 28, "a CPU clock");
  worker_outcome_free(&o);
  invoke("poll_clock", ARGS(val(I32, 1), val(I64, 0), val(I32, 2)), 3, NULL, 0, &o);
  cr_assert_eq(value(&o, 0), 28, "an unknown clock flag");
  worker_outcome_free(&o);
}

Test(wasi_poll, fd_subscriptions_are_forwarded_5_values_each) {
  worker_outcome o;
  invoke("poll_fd", ARGS(val(I32, 5)), 1,
         ANSWER({.types = "IiiIiIiiIi",
                 .bits = {7, 0, 0, 0, 0, 8, 0, 1, 5, 1}}), 1, &o);
  expect_call(&o, 0, HC_POLL_ONEOFF, "IiiIiIiiIi",
              BITS(7, 0, 1, 1000000000, 0, 8, 1, 5, 0, 0), NULL, NULL);
  cr_assert_eq(value(&o, 0), 0);
  cr_assert_eq(value(&o, 1), 2, "two events");
  cr_assert_eq(value(&o, 2), 8, "event 1's userdata");
  cr_assert_eq(value(&o, 3), 0, "its errno");
  cr_assert_eq(value(&o, 4), 1, "fd_read");
  cr_assert_eq(value(&o, 5), 5, "nbytes");
  cr_assert_eq(value(&o, 6), 1, "hangup");
  worker_outcome_free(&o);
}

Test(wasi_poll, more_events_than_subscriptions_break_the_contract) {
  expect_broken("poll_fd", ARGS(val(I32, 5)), 1,
                (canned){.types = "IiiIiIiiIiIiiIi", .bits = {0}},
                "host call poll_oneoff: the reply has 15 values, not 5 per event");
}
