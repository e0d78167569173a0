/*
** fuzz_frame.c: arbitrary bytes as the stream a worker or supervisor reads.
**
** Input: byte 0 picks the frame bound and how many bytes reach the pipe at
** a time; the rest is the stream. It goes through a non-blocking pipe in
** small chunks into frame_reader_feed (the supervisor's path: partial
** headers and bodies, FRAME_AGAIN everywhere), whole into frame_decode, and
** as one datagram with descriptors through the zygote's control path.
** Every decoded envelope must re-encode and decode again. Contract
** violations abort, so libFuzzer (or replay_main.c) reports the input.
*/
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl.h"
#include "frame.h"
#include "fuzz_common.h"

static void check(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "fuzz_frame: contract broken: %s\n", what);
    abort();
  }
}

/* Does m, or any message inside it, carry unknown fields? protobuf-c keeps
** them and packs them back as they came, including ones it should not
** have accepted (field number 0, spelled as an overlong varint): those may
** not decode a second time. Neither side of plugsup ever re-sends a
** decoded message, so that quirk is harmless; the round trip is checked
** only for messages without unknown fields. */
static int has_unknown(const ProtobufCMessage *m) {
  const ProtobufCMessageDescriptor *d = m->descriptor;
  if (m->n_unknown_fields != 0)
    return 1;
  for (unsigned i = 0; i < d->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &d->fields[i];
    const char *base = (const char *)m;
    if (f->type != PROTOBUF_C_TYPE_MESSAGE)
      continue;
    if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
        *(const uint32_t *)(base + f->quantifier_offset) != f->id)
      continue;
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
      size_t n = *(const size_t *)(base + f->quantifier_offset);
      ProtobufCMessage *const *v = *(ProtobufCMessage *const *const *)(base + f->offset);
      for (size_t k = 0; k < n; k++)
        if (has_unknown(v[k]))
          return 1;
    } else {
      const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)(base + f->offset);
      if (sub != NULL && has_unknown(sub))
        return 1;
    }
  }
  return 0;
}

/* A decoded envelope must survive a round trip through the encoder. */
static void round_trip(const Plugsup__Envelope *msg) {
  uint8_t *buf;
  size_t len;
  Plugsup__Envelope *again = NULL;
  frame_status s = frame_encode(msg, UINT32_MAX, &buf, &len);

  if (s == FRAME_NOMEM)
    return;
  check(s == FRAME_OK, "a decoded envelope encodes");
  s = frame_decode(buf + FRAME_HEADER_BYTES, len - FRAME_HEADER_BYTES, &again);
  check(s == FRAME_OK || s == FRAME_NOMEM || has_unknown(&msg->base),
        "a re-encoded envelope decodes");
  check(again == NULL || again->msg_case == msg->msg_case, "same message case");
  frame_free(again);
  free(buf);
}

/* Feed until the reader wants more; 1 when the stream is over for us. */
static int drain(frame_reader *r, int fd) {
  for (;;) {
    Plugsup__Envelope *msg = NULL;
    frame_status s = frame_reader_feed(r, fd, &msg);
    check((s == FRAME_OK) == (msg != NULL), "*out set exactly on FRAME_OK");
    if (s == FRAME_OK) {
      round_trip(msg);
      frame_free(msg);
      continue;
    }
    if (s == FRAME_AGAIN)
      return 0;
    if (s == FRAME_UNDECODABLE)
      continue; /* the stream is still in step */
    check(s != FRAME_IO, "no i/o error on a healthy pipe");
    return 1;
  }
}

static void through_pipe(const uint8_t *data, size_t size, size_t max,
                         size_t chunk) {
  int p[2];
  frame_reader r;
  size_t off = 0;
  int over = 0;

  if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0)
    return;
  frame_reader_init(&r, max);
  while (off < size && !over) {
    size_t n = size - off < chunk ? size - off : chunk;
    ssize_t put = write(p[1], data + off, n);
    if (put > 0)
      off += (size_t)put;
    over = drain(&r, p[0]);
  }
  close(p[1]);
  if (!over) {
    Plugsup__Envelope *msg = NULL;
    frame_status s;
    while ((s = frame_reader_feed(&r, p[0], &msg)) == FRAME_OK ||
           s == FRAME_UNDECODABLE)
      frame_free(msg);
    check(s != FRAME_AGAIN, "a closed pipe never says 'again'");
  }
  frame_reader_free(&r);
  close(p[0]);
}

/* Which of fds 0 to 63 are open: received descriptors take the lowest
** free numbers, so one left open shows here. */
static uint64_t open_fds(void) {
  uint64_t bits = 0;
  for (int fd = 0; fd < 64; fd++)
    if (fcntl(fd, F_GETFD) != -1)
      bits |= 1ull << fd;
  return bits;
}

/* The zygote's control socket (proto/ctl.h): the bytes as one datagram,
** with 0 to 5 descriptors beside it (more than a receiver takes), read
** back by the supervisor's path and checked as each message. Every
** descriptor must be accounted for: closed by ctl_recv when it refuses
** the datagram or has no room, else handed over (and closed here). */
static void through_socket(const uint8_t *data, size_t size, unsigned nfds) {
  int sv[2], fds[CTL_FDS_MAX + 2];
  int got[CTL_FDS_MAX];
  size_t n = 0;
  Plugsup__Envelope *msg = NULL;

  uint64_t before = open_fds();
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    return;
  for (unsigned i = 0; i < nfds; i++)
    fds[i] = sv[1];
  if (size > 0 && size <= CTL_DATAGRAM_MAX) {
    char control[CMSG_SPACE(sizeof fds)];
    struct iovec iov = {(void *)data, size};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (nfds > 0) {
      memset(control, 0, sizeof control);
      mh.msg_control = control;
      mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
      struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
      memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
    }
    if (sendmsg(sv[1], &mh, 0) == (ssize_t)size) {
      frame_status st = ctl_recv(sv[0], &msg, got, CTL_FDS_MAX, &n);
      check((st == FRAME_OK) == (msg != NULL), "ctl: *out set exactly on OK");
      check(st == FRAME_OK || n == 0, "ctl: no descriptor kept on failure");
      check(st != FRAME_OK || nfds <= CTL_FDS_MAX, "ctl: too many descriptors refused");
      if (msg != NULL) {
        (void)ctl_check_hello(msg, n);
        (void)ctl_check_ready(msg, n);
        (void)ctl_check_forked(msg, n, 1);
        round_trip(msg);
        frame_free(msg);
      }
      for (size_t i = 0; i < n; i++)
        close(got[i]);
    }
  }
  close(sv[0]);
  close(sv[1]);
  check(open_fds() == before, "ctl: every descriptor that came is closed");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const size_t maxes[] = {0, 1, 16, 300, 4096};
  static const size_t chunks[] = {1, 3, 7, 64, 4096, 65536};
  Plugsup__Envelope *msg = NULL;

  if (size < 1)
    return 0;
  through_pipe(data + 1, size - 1, maxes[data[0] % 5], chunks[(data[0] / 5) % 6]);
  through_socket(data + 1, size - 1, (data[0] >> 5) % 6);
  if (frame_decode(data + 1, size - 1, &msg) == FRAME_OK) {
    round_trip(msg);
    frame_free(msg);
  }
  return 0;
}
