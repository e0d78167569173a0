/*
** frame.h: length-prefixed protobuf frames over pipes.
**
** Wire format: a 4-byte little-endian length n (1 <= n <= max), then n
** bytes of one Plugsup__Envelope. Both blocking helpers (the worker) and
** incremental reader/writer state machines for non-blocking fds (the
** supervisor's event loop) are here. A frame larger than 'max', a stream
** that ends inside a frame, and bytes that protobuf-c cannot unpack are
** distinct clean errors; nothing here allocates more than 'max' + a little.
*/
#ifndef PLUGSUP_PROTO_FRAME_H
#define PLUGSUP_PROTO_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "plugsup.pb-c.h"

#define FRAME_PROTOCOL_VERSION 1
#define FRAME_HEADER_BYTES 4
/* Default bound for a frame: a Run carries the whole module. */
#define FRAME_DEFAULT_MAX (64u << 20)

#define FRAME_STATUS_LIST(X)                                              \
  X(FRAME_OK, "ok")                                                       \
  X(FRAME_AGAIN, "would block")         /* non-blocking: call again */    \
  X(FRAME_EOF, "end of stream")         /* clean EOF between frames */    \
  X(FRAME_TRUNCATED, "stream ended inside a frame")                       \
  X(FRAME_TOO_BIG, "frame exceeds the size limit")                        \
  X(FRAME_EMPTY, "frame of length zero")                                  \
  X(FRAME_UNDECODABLE, "frame is not a valid message")                    \
  X(FRAME_IO, "i/o error")              /* errno says which */            \
  X(FRAME_NOMEM, "out of memory")

typedef enum frame_status {
#define X(name, text) name,
  FRAME_STATUS_LIST(X)
#undef X
} frame_status;

const char *frame_status_message(frame_status s);

/* Unpack one envelope from exactly len bytes (no header). */
frame_status frame_decode(const uint8_t *buf, size_t len,
                          Plugsup__Envelope **out);
void frame_free(Plugsup__Envelope *msg);

/* Blocking: write/read one whole frame, retrying on EINTR and short I/O. */
frame_status frame_write(int fd, const Plugsup__Envelope *msg, size_t max);
frame_status frame_read(int fd, size_t max, Plugsup__Envelope **out);

/* Incremental reader for a non-blocking fd. feed() reads what is
** available; it returns FRAME_OK with *out set when a whole frame has
** arrived (call again: more may be buffered), FRAME_AGAIN when the fd has
** nothing more now, or an error. */
typedef struct frame_reader {
  size_t max;
  uint8_t header[FRAME_HEADER_BYTES];
  size_t header_have;
  uint8_t *body;
  size_t body_len, body_have;
} frame_reader;

void frame_reader_init(frame_reader *r, size_t max);
frame_status frame_reader_feed(frame_reader *r, int fd,
                               Plugsup__Envelope **out);
void frame_reader_free(frame_reader *r);

/* Incremental writer: start() packs a frame, flush() sends what the fd
** takes; FRAME_OK once all of it is sent, FRAME_AGAIN before. */
typedef struct frame_writer {
  uint8_t *buf;
  size_t len, sent;
} frame_writer;

frame_status frame_writer_start(frame_writer *w, const Plugsup__Envelope *msg,
                                size_t max);
frame_status frame_writer_flush(frame_writer *w, int fd);
void frame_writer_free(frame_writer *w);

#endif
