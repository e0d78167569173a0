/*
** test_frame.c: the frame codec over real pipes: round trips, byte-at-a-time
** delivery, short writes into a full non-blocking pipe, EINTR, and every
** error with its exact status.
*/
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "frame.h"

static void make_pipe(int fds[2], int nonblock) {
  cr_assert_eq(pipe2(fds, O_CLOEXEC | (nonblock ? O_NONBLOCK : 0)), 0);
}

static void write_all(int fd, const void *p, size_t n) {
  const uint8_t *b = p;
  while (n > 0) {
    ssize_t k = write(fd, b, n);
    cr_assert_gt(k, 0, "write: %s", strerror(errno));
    b += k;
    n -= (size_t)k;
  }
}

static void put_header(uint8_t h[4], uint32_t n) {
  h[0] = (uint8_t)n;
  h[1] = (uint8_t)(n >> 8);
  h[2] = (uint8_t)(n >> 16);
  h[3] = (uint8_t)(n >> 24);
}

/* A Hello envelope; the caller's struct storage stays valid while used. */
static void make_hello(Plugsup__Envelope *env, Plugsup__Hello *hello,
                       uint32_t ns) {
  plugsup__envelope__init(env);
  plugsup__hello__init(hello);
  hello->protocol_version = FRAME_PROTOCOL_VERSION;
  hello->namespaces = ns;
  env->msg_case = PLUGSUP__ENVELOPE__MSG_HELLO;
  env->hello = hello;
}

/* A Run carrying 'n' bytes of module (a pattern, so corruption shows). */
static uint8_t *make_run(Plugsup__Envelope *env, Plugsup__Run *run, size_t n) {
  uint8_t *bytes = malloc(n ? n : 1);
  cr_assert_not_null(bytes);
  for (size_t i = 0; i < n; i++)
    bytes[i] = (uint8_t)(i * 31 + 7);
  plugsup__envelope__init(env);
  plugsup__run__init(run);
  run->mode = PLUGSUP__RUN__MODE__INVOKE;
  run->module.data = bytes;
  run->module.len = n;
  run->export_name = "add";
  env->msg_case = PLUGSUP__ENVELOPE__MSG_RUN;
  env->run = run;
  return bytes;
}

static void assert_run_module(const Plugsup__Envelope *got, size_t n) {
  cr_assert_eq(got->msg_case, PLUGSUP__ENVELOPE__MSG_RUN);
  cr_assert_eq(got->run->module.len, n);
  for (size_t i = 0; i < n; i++)
    cr_assert_eq(got->run->module.data[i], (uint8_t)(i * 31 + 7));
  cr_assert_str_eq(got->run->export_name, "add");
}

Test(frame, status_messages_are_distinct_and_total) {
  cr_assert_str_eq(frame_status_message(FRAME_OK), "ok");
  cr_assert_str_eq(frame_status_message(FRAME_TOO_BIG),
                   "frame exceeds the size limit");
  cr_assert_str_neq(frame_status_message(FRAME_EMPTY),
                    frame_status_message(FRAME_UNDECODABLE));
  cr_assert_str_eq(frame_status_message((frame_status)999),
                   "unknown frame status");
}

Test(frame, blocking_round_trip) {
  int p[2];
  Plugsup__Envelope env, *got = NULL;
  Plugsup__Hello hello;

  make_pipe(p, 0);
  make_hello(&env, &hello, PLUGSUP__NAMESPACE__NS_NET);
  cr_assert_eq(frame_write(p[1], &env, 0), FRAME_OK);
  cr_assert_eq(frame_read(p[0], 0, &got), FRAME_OK);
  cr_assert_eq(got->msg_case, PLUGSUP__ENVELOPE__MSG_HELLO);
  cr_assert_eq(got->hello->protocol_version, FRAME_PROTOCOL_VERSION);
  cr_assert_eq(got->hello->namespaces, PLUGSUP__NAMESPACE__NS_NET);
  frame_free(got);
  close(p[1]);
  cr_assert_eq(frame_read(p[0], 0, &got), FRAME_EOF);
  cr_assert_null(got);
  close(p[0]);
}

Test(frame, large_round_trip_through_a_child) {
  int p[2];
  Plugsup__Envelope env, *got = NULL;
  Plugsup__Run run;
  size_t n = 3u << 20; /* far more than a pipe holds */
  uint8_t *bytes;
  pid_t pid;
  int status;

  make_pipe(p, 0);
  bytes = make_run(&env, &run, n);
  pid = fork();
  cr_assert_neq(pid, -1);
  if (pid == 0) {
    close(p[0]);
    _exit(frame_write(p[1], &env, 0) == FRAME_OK ? 0 : 1);
  }
  close(p[1]);
  cr_assert_eq(frame_read(p[0], 0, &got), FRAME_OK);
  assert_run_module(got, n);
  frame_free(got);
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  close(p[0]);
  free(bytes);
}

Test(frame, encode_decode_round_trip) {
  Plugsup__Envelope env, *got = NULL;
  Plugsup__Run run;
  uint8_t *buf;
  size_t len;
  uint8_t *bytes = make_run(&env, &run, 1000);

  cr_assert_eq(frame_encode(&env, 0, &buf, &len), FRAME_OK);
  cr_assert_gt(len, 1000 + FRAME_HEADER_BYTES);
  cr_assert_eq(buf[0] | buf[1] << 8 | buf[2] << 16 | (uint32_t)buf[3] << 24,
               len - FRAME_HEADER_BYTES);
  cr_assert_eq(frame_decode(buf + FRAME_HEADER_BYTES, len - FRAME_HEADER_BYTES,
                            &got),
               FRAME_OK);
  assert_run_module(got, 1000);
  frame_free(got);
  free(buf);
  free(bytes);
}

Test(frame, byte_at_a_time) {
  int p[2];
  Plugsup__Envelope env, *got = NULL;
  Plugsup__Run run;
  frame_reader r;
  uint8_t *buf;
  size_t len;
  uint8_t *bytes = make_run(&env, &run, 300);

  make_pipe(p, 1);
  cr_assert_eq(frame_encode(&env, 0, &buf, &len), FRAME_OK);
  frame_reader_init(&r, 0);
  cr_assert_eq(frame_reader_feed(&r, p[0], &got), FRAME_AGAIN);
  for (size_t i = 0; i + 1 < len; i++) {
    write_all(p[1], buf + i, 1);
    cr_assert_eq(frame_reader_feed(&r, p[0], &got), FRAME_AGAIN, "byte %zu", i);
    cr_assert_null(got);
  }
  write_all(p[1], buf + len - 1, 1);
  cr_assert_eq(frame_reader_feed(&r, p[0], &got), FRAME_OK);
  assert_run_module(got, 300);
  frame_free(got);
  /* Ready for the next frame: nothing more yet. */
  cr_assert_eq(frame_reader_feed(&r, p[0], &got), FRAME_AGAIN);
  close(p[1]);
  cr_assert_eq(frame_reader_feed(&r, p[0], &got), FRAME_EOF);
  frame_reader_free(&r);
  close(p[0]);
  free(buf);
  free(bytes);
}

Test(frame, two_frames_in_one_burst_come_out_one_by_one) {
  int p[2];
  Plugsup__Envelope env, *got = NULL;
  Plugsup__Hello hello;
  frame_reader r;

  make_pipe(p, 1);
  make_hello(&env, &hello, 1);
  cr_assert_eq(frame_write(p[1], &env, 0), FRAME_OK);
  hello.namespaces = 2;
  cr_assert_eq(frame_write(p[1], &env, 0), FRAME_OK);
  frame_reader_init(&r, 0);
  cr_assert_eq(frame_reader_feed(&r, p[0], &got), FRAME_OK);
  cr_assert_eq(got->hello->namespaces, 1);
  frame_free(got);
  cr_assert_eq(frame_reader_feed(&r, p[0], &got), FRAME_OK);
  cr_assert_eq(got->hello->namespaces, 2);
  frame_free(got);
  cr_assert_eq(frame_reader_feed(&r, p[0], &got), FRAME_AGAIN);
  frame_reader_free(&r);
  close(p[0]);
  close(p[1]);
}

/* A frame bigger than the pipe: the writer must stop with FRAME_AGAIN on
** a full pipe and resume exactly where it left off. */
Test(frame, short_writes_into_a_full_nonblocking_pipe) {
  int p[2];
  Plugsup__Envelope env, *got = NULL;
  Plugsup__Run run;
  frame_writer w;
  frame_reader r;
  size_t n = 1u << 20;
  int agains = 0;
  frame_status ws = FRAME_AGAIN, rs = FRAME_AGAIN;
  uint8_t *bytes = make_run(&env, &run, n);

  make_pipe(p, 1);
  (void)fcntl(p[1], F_SETPIPE_SZ, 4096); /* smaller still, where allowed */
  cr_assert_eq(frame_writer_start(&w, &env, 0), FRAME_OK);
  frame_reader_init(&r, 0);
  while (ws != FRAME_OK || rs != FRAME_OK) {
    if (ws != FRAME_OK) {
      ws = frame_writer_flush(&w, p[1]);
      cr_assert(ws == FRAME_OK || ws == FRAME_AGAIN, "flush: %d", ws);
      agains += ws == FRAME_AGAIN;
    }
    if (rs != FRAME_OK) {
      rs = frame_reader_feed(&r, p[0], &got);
      cr_assert(rs == FRAME_OK || rs == FRAME_AGAIN, "feed: %d", rs);
    }
  }
  cr_assert_gt(agains, 0, "the pipe never filled");
  assert_run_module(got, n);
  cr_assert_null(w.buf, "a finished writer holds no buffer");
  cr_assert_eq(frame_writer_flush(&w, p[1]), FRAME_OK, "flush is idempotent");
  frame_free(got);
  frame_writer_free(&w);
  frame_reader_free(&r);
  close(p[0]);
  close(p[1]);
  free(bytes);
}

static void on_alarm(int sig) { (void)sig; }

/* Signals without SA_RESTART land in the middle of a blocking read. */
Test(frame, blocking_read_survives_eintr) {
  int p[2];
  Plugsup__Envelope env, *got = NULL;
  Plugsup__Hello hello;
  struct sigaction sa;
  struct itimerval it = {{0, 2000}, {0, 2000}};
  pid_t pid;

  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm; /* no SA_RESTART */
  cr_assert_eq(sigaction(SIGALRM, &sa, NULL), 0);
  make_pipe(p, 0);
  make_hello(&env, &hello, 0);
  pid = fork();
  cr_assert_neq(pid, -1);
  if (pid == 0) {
    uint8_t *buf;
    size_t len;
    close(p[0]);
    if (frame_encode(&env, 0, &buf, &len) != FRAME_OK)
      _exit(1);
    /* Dribble the frame so the reader blocks (and is interrupted) often. */
    for (size_t i = 0; i < len; i++) {
      usleep(20000);
      if (write(p[1], buf + i, 1) != 1)
        _exit(1);
    }
    _exit(0);
  }
  close(p[1]);
  cr_assert_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
  cr_assert_eq(frame_read(p[0], 0, &got), FRAME_OK);
  memset(&it, 0, sizeof it);
  setitimer(ITIMER_REAL, &it, NULL);
  cr_assert_eq(got->msg_case, PLUGSUP__ENVELOPE__MSG_HELLO);
  frame_free(got);
  waitpid(pid, NULL, 0);
  close(p[0]);
}

/* Feed raw bytes, close the write end, and return what the reader says. */
static frame_status read_raw(const void *bytes, size_t n, size_t max,
                             Plugsup__Envelope **got) {
  int p[2];
  frame_status s;
  make_pipe(p, 0);
  write_all(p[1], bytes, n);
  close(p[1]);
  s = frame_read(p[0], max, got);
  close(p[0]);
  return s;
}

Test(frame, eof_between_frames_is_clean) {
  Plugsup__Envelope *got = NULL;
  cr_assert_eq(read_raw("", 0, 0, &got), FRAME_EOF);
  cr_assert_null(got);
}

Test(frame, eof_inside_the_header_is_truncated) {
  Plugsup__Envelope *got = NULL;
  cr_assert_eq(read_raw("\x05\x00", 2, 0, &got), FRAME_TRUNCATED);
  cr_assert_null(got);
}

Test(frame, eof_inside_the_body_is_truncated) {
  Plugsup__Envelope *got = NULL;
  cr_assert_eq(read_raw("\x0a\x00\x00\x00\x0a\x02\x08\x01", 8, 0, &got),
               FRAME_TRUNCATED);
  cr_assert_null(got);
}

Test(frame, zero_length_frame_is_empty) {
  Plugsup__Envelope *got = NULL;
  cr_assert_eq(read_raw("\x00\x00\x00\x00", 4, 0, &got), FRAME_EMPTY);
  cr_assert_null(got);
}

Test(frame, oversized_header_is_refused_before_the_body) {
  Plugsup__Envelope *got = NULL;
  /* 4 GiB - 1 announced, nothing sent: judged from the header alone (an
  ** allocation attempt of that size would be FRAME_NOMEM or block). */
  cr_assert_eq(read_raw("\xff\xff\xff\xff", 4, 0, &got), FRAME_TOO_BIG);
  cr_assert_eq(read_raw("\x01\x00\x00\x04", 4, 0, &got), FRAME_TOO_BIG,
               "64 MiB + 1 is over the default bound");
  cr_assert_eq(read_raw("\x11\x00\x00\x00", 4, 16, &got), FRAME_TOO_BIG);
  cr_assert_null(got);
}

Test(frame, a_frame_of_exactly_max_is_accepted) {
  Plugsup__Envelope env, *got = NULL;
  Plugsup__Hello hello;
  uint8_t *buf;
  size_t len;

  make_hello(&env, &hello, 3);
  cr_assert_eq(frame_encode(&env, 0, &buf, &len), FRAME_OK);
  cr_assert_eq(read_raw(buf, len, len - FRAME_HEADER_BYTES, &got), FRAME_OK);
  frame_free(got);
  cr_assert_eq(read_raw(buf, len, len - FRAME_HEADER_BYTES - 1, &got),
               FRAME_TOO_BIG);
  free(buf);
}

Test(frame, garbage_body_is_undecodable_and_the_stream_stays_in_step) {
  int p[2];
  uint8_t h[4];
  static const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  Plugsup__Envelope env, *got = NULL;
  Plugsup__Hello hello;

  make_pipe(p, 0);
  put_header(h, sizeof junk);
  write_all(p[1], h, 4);
  write_all(p[1], junk, sizeof junk);
  make_hello(&env, &hello, 4);
  cr_assert_eq(frame_write(p[1], &env, 0), FRAME_OK);
  cr_assert_eq(frame_read(p[0], 0, &got), FRAME_UNDECODABLE);
  cr_assert_null(got);
  cr_assert_eq(frame_read(p[0], 0, &got), FRAME_OK);
  cr_assert_eq(got->hello->namespaces, 4);
  frame_free(got);
  close(p[0]);
  close(p[1]);
}

Test(frame, envelope_without_a_message_is_undecodable) {
  Plugsup__Envelope *got = NULL;
  /* Field 15, varint 1: well-formed protobuf, unknown to Envelope. */
  static const uint8_t unknown[] = {0x78, 0x01};
  cr_assert_eq(frame_decode(unknown, sizeof unknown, &got), FRAME_UNDECODABLE);
  cr_assert_null(got);
  cr_assert_eq(frame_decode(unknown, 0, &got), FRAME_EMPTY);
  /* A oneof member that is cut short. */
  cr_assert_eq(frame_decode((const uint8_t *)"\x0a\x05\x08", 3, &got),
               FRAME_UNDECODABLE);
}

Test(frame, encoding_refuses_empty_and_oversized_envelopes) {
  Plugsup__Envelope env, *unused = NULL;
  Plugsup__Run run;
  uint8_t *buf = (uint8_t *)&unused;
  size_t len = 99;
  uint8_t *bytes;

  plugsup__envelope__init(&env);
  cr_assert_eq(frame_encode(&env, 0, &buf, &len), FRAME_EMPTY);
  cr_assert_null(buf);
  cr_assert_eq(len, 0);
  bytes = make_run(&env, &run, 100);
  cr_assert_eq(frame_encode(&env, 50, &buf, &len), FRAME_TOO_BIG);
  cr_assert_eq(frame_write(STDOUT_FILENO, &env, 50), FRAME_TOO_BIG,
               "nothing is written when the frame is refused");
  free(bytes);
}

Test(frame, reader_bound_is_respected_incrementally) {
  int p[2];
  frame_reader r;
  Plugsup__Envelope *got = NULL;

  make_pipe(p, 1);
  frame_reader_init(&r, 8);
  write_all(p[1], "\x09\x00", 2);
  cr_assert_eq(frame_reader_feed(&r, p[0], &got), FRAME_AGAIN);
  write_all(p[1], "\x00\x00", 2);
  cr_assert_eq(frame_reader_feed(&r, p[0], &got), FRAME_TOO_BIG);
  cr_assert_null(r.body, "nothing allocated for a refused frame");
  frame_reader_free(&r);
  close(p[0]);
  close(p[1]);
}

Test(frame, blocking_read_on_an_empty_nonblocking_fd_is_io_eagain) {
  int p[2];
  Plugsup__Envelope *got = NULL;
  make_pipe(p, 1);
  cr_assert_eq(frame_read(p[0], 0, &got), FRAME_IO);
  cr_assert_eq(errno, EAGAIN);
  close(p[0]);
  close(p[1]);
}

Test(frame, write_to_a_pipe_without_reader_is_io_epipe) {
  int p[2];
  Plugsup__Envelope env;
  Plugsup__Hello hello;

  signal(SIGPIPE, SIG_IGN);
  make_pipe(p, 0);
  close(p[0]);
  make_hello(&env, &hello, 0);
  cr_assert_eq(frame_write(p[1], &env, 0), FRAME_IO);
  cr_assert_eq(errno, EPIPE);
  close(p[1]);
}

Test(frame, read_from_a_bad_fd_is_io) {
  Plugsup__Envelope *got = NULL;
  frame_reader r;
  cr_assert_eq(frame_read(-1, 0, &got), FRAME_IO);
  cr_assert_eq(errno, EBADF);
  frame_reader_init(&r, 0);
  cr_assert_eq(frame_reader_feed(&r, -1, &got), FRAME_IO);
  frame_reader_free(&r);
}

/* ---- a region for frames (a zygote's child) ---- */

static _Alignas(16) uint8_t region_bytes[4096];

static bool in_region_bytes(const void *p) {
  return (const uint8_t *)p >= region_bytes &&
         (const uint8_t *)p < region_bytes + sizeof region_bytes;
}

/* Named, the region is not used, nor written, until it is opened; then
** decoded frames come from it, and a frame too big for what is left of
** it from malloc, both freed by frame_free without complaint. */
Test(frame, a_region_serves_frames_only_once_opened) {
  int p[2];
  Plugsup__Envelope env, *got = NULL, *big = NULL;
  Plugsup__Run run;
  uint8_t *bytes = make_run(&env, &run, 64);
  uint8_t *more = NULL;
  uint8_t zero[sizeof region_bytes];

  memset(zero, 0, sizeof zero);
  make_pipe(p, 0);
  frame_region_set(region_bytes, sizeof region_bytes);
  cr_assert_eq(frame_write(p[1], &env, 0), FRAME_OK);
  cr_assert_eq(frame_read(p[0], 0, &got), FRAME_OK);
  cr_assert_not(in_region_bytes(got), "used before it was opened");
  cr_assert_eq(memcmp(region_bytes, zero, sizeof zero), 0,
               "written before it was opened");
  frame_free(got);

  frame_region_open();
  cr_assert_eq(frame_write(p[1], &env, 0), FRAME_OK);
  cr_assert_eq(frame_read(p[0], 0, &got), FRAME_OK);
  cr_assert(in_region_bytes(got) && in_region_bytes(got->run));
  assert_run_module(got, 64);

  more = make_run(&env, &run, 2 * sizeof region_bytes);
  cr_assert_eq(frame_write(p[1], &env, 0), FRAME_OK);
  cr_assert_eq(frame_read(p[0], 0, &big), FRAME_OK);
  cr_assert_not(in_region_bytes(big->run->module.data));
  assert_run_module(big, 2 * sizeof region_bytes);
  assert_run_module(got, 64);
  frame_free(big);
  frame_free(got);
  frame_region_set(NULL, 0);
  free(more);
  free(bytes);
  close(p[0]);
  close(p[1]);
}

/* Decodes env's frame with frame_decode, as the zygote's control socket
** does. */
static Plugsup__Envelope *decoded(const Plugsup__Envelope *env) {
  uint8_t *buf = NULL;
  size_t len = 0;
  Plugsup__Envelope *got = NULL;
  cr_assert_eq(frame_encode(env, 0, &buf, &len), FRAME_OK);
  cr_assert_eq(frame_decode(buf + FRAME_HEADER_BYTES, len - FRAME_HEADER_BYTES,
                            &got), FRAME_OK);
  free(buf);
  return got;
}

static _Alignas(16) uint8_t own_bytes[4096];

static bool in_own_bytes(const void *p) {
  return (const uint8_t *)p >= own_bytes &&
         (const uint8_t *)p < own_bytes + sizeof own_bytes;
}

/* A zygote's own region serves its frames at once, and goes on serving
** them while its children's region is only named; once that one is open
** (in a child), frames come from it and the zygote's is not touched. */
Test(frame, the_zygotes_own_region_serves_until_the_childrens_is_opened) {
  Plugsup__Envelope env, *a, *b, *c;
  Plugsup__Run run;
  uint8_t *bytes = make_run(&env, &run, 64);
  uint8_t before[sizeof own_bytes];

  frame_region_own(own_bytes, sizeof own_bytes);
  frame_region_set(region_bytes, sizeof region_bytes);
  a = decoded(&env);
  cr_assert(in_own_bytes(a) && in_own_bytes(a->run));
  assert_run_module(a, 64);
  frame_region_open();
  memcpy(before, own_bytes, sizeof before);
  b = decoded(&env);
  cr_assert(in_region_bytes(b) && in_region_bytes(b->run));
  frame_free(b);
  cr_assert_eq(memcmp(before, own_bytes, sizeof before), 0,
               "the zygote's region was written after the children's opened");
  frame_region_set(NULL, 0);
  c = decoded(&env);
  cr_assert(in_own_bytes(c), "the zygote's region serves again once the "
                             "children's is gone");
  frame_free(c);
  frame_free(a);
  frame_region_own(NULL, 0);
  free(bytes);
}

/* Region memory is used again from the start once every block in it is
** freed, so a zygote that decodes one message between forks needs one
** page of it, however many forks; while a block is live, none is reused. */
Test(frame, a_region_is_used_again_once_every_block_in_it_is_freed) {
  Plugsup__Envelope env, *first, *second, *third;
  Plugsup__Run run;
  uint8_t *bytes = make_run(&env, &run, 64);

  frame_region_own(own_bytes, sizeof own_bytes);
  first = decoded(&env);
  second = decoded(&env);
  cr_assert(in_own_bytes(first) && in_own_bytes(second));
  cr_assert_neq(first, second);
  frame_free(first);
  third = decoded(&env);
  cr_assert(third != first && third != second, "a block reused while "
                                                "another was live");
  frame_free(second);
  frame_free(third);
  for (int i = 0; i < 1000; i++) {
    Plugsup__Envelope *again = decoded(&env);
    cr_assert_eq(again, first, "round %d: not at the start again", i);
    assert_run_module(again, 64);
    frame_free(again);
  }
  frame_region_own(NULL, 0);
  free(bytes);
}

