/*
** frame.c: length-prefixed protobuf frames over a pipe.
**
** Without read-ahead, every read takes only the bytes of the current
** frame (header, then body), so no bytes of a later frame are ever held
** here: the blocking and incremental readers can share one fd in turn.
** A header is judged (zero, too big) before a byte of the body is
** allocated, and unpacking is bounded by FRAME_DECODE_RATIO.
*/
#include "frame.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const frame_messages[] = {
#define X(name, text) text,
    FRAME_STATUS_LIST(X)
#undef X
};

const char *frame_status_message(frame_status s) {
  if ((unsigned)s >= sizeof frame_messages / sizeof frame_messages[0])
    return "unknown frame status";
  return frame_messages[s];
}

/* Clamp a caller's bound to what a 4-byte length can say. */
static size_t frame_max(size_t max) {
  if (max == 0)
    return FRAME_DEFAULT_MAX;
  if ((uint64_t)max > UINT32_MAX)
    return UINT32_MAX;
  return max;
}

/* ---- memory ---- */

/* Frames' memory comes from malloc, or first from a region: bump-
** allocated, and reused from its start once every block in it is given
** back. A region's first bytes count what is used and how many blocks
** are live. Named once, by a process without threads, so reading the
** names needs no lock.
**
** Two regions, for a zygote and its children (frame.h): the children's,
** which the zygote names but never writes (frame_region_set), and each
** child opens (frame_region_open): it then writes one page for the counts
** and its first frames; and the zygote's own (frame_region_own), used
** while the children's is not open. A child never touches the zygote's:
** its own is not mapped in the child, whose mappings may even take its
** place, so in a child the zygote's region is not even compared with. */
typedef struct region {
  uint8_t *base;
  size_t size;
} region;

typedef struct region_head {
  size_t used, live; /* used 0: not open */
} region_head;

static region children, own;

/* Blocks keep malloc's alignment; the counts take the first block. */
#define REGION_ALIGN 16u
_Static_assert(sizeof(region_head) <= REGION_ALIGN, "counts fit one block");

static region named(void *base, size_t size) {
  return size >= REGION_ALIGN ? (region){base, size} : (region){NULL, 0};
}

static void region_open(const region *r) {
  if (r->base != NULL)
    *(region_head *)r->base = (region_head){REGION_ALIGN, 0};
}

void frame_region_set(void *base, size_t size) { children = named(base, size); }

void frame_region_open(void) { region_open(&children); }

void frame_region_own(void *base, size_t size) {
  own = named(base, size);
  region_open(&own);
}

static bool is_open(const region *r) {
  return r->base != NULL && ((const region_head *)r->base)->used != 0;
}

/* Where frames come from now: the children's region once open, else
** the zygote's own, if named. */
static const region *current(void) {
  return is_open(&children) ? &children : own.base != NULL ? &own : NULL;
}

static void *frame_alloc(size_t size) {
  size_t need = (size + REGION_ALIGN - 1) & ~(size_t)(REGION_ALIGN - 1);
  const region *r = current();
  if (r != NULL && need >= size) {
    region_head *h = (region_head *)r->base;
    if (need <= r->size - h->used) {
      void *p = r->base + h->used;
      h->used += need;
      h->live++;
      return p;
    }
  }
  return malloc(size);
}

static void frame_release(void *p) {
  const region *r = current();
  if (r == NULL || (const uint8_t *)p < r->base ||
      (const uint8_t *)p >= r->base + r->size) {
    free(p);
    return;
  }
  region_head *h = (region_head *)r->base;
  if (--h->live == 0)
    h->used = REGION_ALIGN;
}

static void *pb_alloc(void *ud, size_t size) {
  (void)ud;
  return frame_alloc(size);
}

static void pb_free(void *ud, void *p) {
  (void)ud;
  frame_release(p);
}

/* What frame_free gives every block of a decoded envelope back to. */
static ProtobufCAllocator frame_allocator = {pb_alloc, pb_free, NULL};

/* ---- decoding ---- */

/* protobuf-c returns NULL both for bad bytes and for a failed malloc;
** this allocator remembers which it was, and refuses to go past the
** frame's budget. */
typedef struct decode_alloc {
  uint64_t budget;
  int failed, too_dense;
} decode_alloc;

static void *decode_malloc(void *ud, size_t size) {
  decode_alloc *a = ud;
  uint64_t cost = (uint64_t)size + FRAME_DECODE_ALLOC_COST;
  void *p;

  if (cost > a->budget) {
    a->too_dense = 1;
    return NULL;
  }
  a->budget -= cost;
  p = frame_alloc(size);
  if (p == NULL)
    a->failed = 1;
  return p;
}

static void decode_free(void *ud, void *p) {
  (void)ud;
  frame_release(p);
}

frame_status frame_decode(const uint8_t *buf, size_t len,
                          Plugsup__Envelope **out) {
  decode_alloc state = {0};
  ProtobufCAllocator alloc = {decode_malloc, decode_free, &state};
  Plugsup__Envelope *msg;

  *out = NULL;
  if (len == 0)
    return FRAME_EMPTY;
  state.budget = (uint64_t)len * FRAME_DECODE_RATIO + FRAME_DECODE_SLACK;
  msg = plugsup__envelope__unpack(&alloc, len, buf);
  if (msg == NULL)
    return state.too_dense ? FRAME_TOO_DENSE
           : state.failed  ? FRAME_NOMEM
                           : FRAME_UNDECODABLE;
  if (msg->msg_case == PLUGSUP__ENVELOPE__MSG__NOT_SET) {
    frame_free(msg);
    return FRAME_UNDECODABLE;
  }
  *out = msg;
  return FRAME_OK;
}

void frame_free(Plugsup__Envelope *msg) {
  if (msg != NULL)
    plugsup__envelope__free_unpacked(msg, &frame_allocator);
}

/* ---- encoding ---- */

static void put_le32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

/* With alloc's memory: malloc's for frame_encode's callers, who free it. */
static frame_status encode(const Plugsup__Envelope *msg, size_t max,
                           void *(*alloc)(size_t), uint8_t **out,
                           size_t *out_len) {
  size_t n = plugsup__envelope__get_packed_size(msg);
  uint8_t *buf;

  *out = NULL;
  *out_len = 0;
  if (n == 0)
    return FRAME_EMPTY;
  if (n > frame_max(max))
    return FRAME_TOO_BIG;
  buf = alloc(FRAME_HEADER_BYTES + n);
  if (buf == NULL)
    return FRAME_NOMEM;
  put_le32(buf, (uint32_t)n);
  plugsup__envelope__pack(msg, buf + FRAME_HEADER_BYTES);
  *out = buf;
  *out_len = FRAME_HEADER_BYTES + n;
  return FRAME_OK;
}

frame_status frame_encode(const Plugsup__Envelope *msg, size_t max,
                          uint8_t **out, size_t *out_len) {
  return encode(msg, max, malloc, out, out_len);
}

/* ---- raw I/O: one read or write, EINTR retried, EAGAIN reported ---- */

typedef enum io_result { IO_DONE, IO_AGAIN, IO_ERROR } io_result;

static io_result read_some(int fd, uint8_t *p, size_t want, size_t *got) {
  for (;;) {
    ssize_t n = read(fd, p, want);
    if (n >= 0) {
      *got = (size_t)n;
      return IO_DONE;
    }
    if (errno == EINTR)
      continue;
    return (errno == EAGAIN || errno == EWOULDBLOCK) ? IO_AGAIN : IO_ERROR;
  }
}

static io_result write_some(int fd, const uint8_t *p, size_t want,
                            size_t *put) {
  for (;;) {
    ssize_t n = write(fd, p, want);
    if (n > 0) {
      *put = (size_t)n;
      return IO_DONE;
    }
    if (n == 0) {
      /* Not expected from a pipe with want > 0; never spin on it. */
      errno = EIO;
      return IO_ERROR;
    }
    if (errno == EINTR)
      continue;
    return (errno == EAGAIN || errno == EWOULDBLOCK) ? IO_AGAIN : IO_ERROR;
  }
}

/* ---- incremental reader ---- */

void frame_reader_init(frame_reader *r, size_t max) {
  memset(r, 0, sizeof *r);
  r->max = frame_max(max);
}

frame_status frame_reader_readahead(frame_reader *r) {
  if (r->ahead == NULL && (r->ahead = frame_alloc(FRAME_READAHEAD)) == NULL)
    return FRAME_NOMEM;
  return FRAME_OK;
}

size_t frame_reader_buffered(const frame_reader *r) {
  return r->ahead_len - r->ahead_off;
}

/* Ready for the next frame; read-ahead bytes are kept. */
static void reader_next_frame(frame_reader *r) {
  frame_release(r->body);
  r->body = NULL;
  r->header_have = r->body_len = r->body_have = 0;
}

void frame_reader_free(frame_reader *r) {
  reader_next_frame(r);
  frame_release(r->ahead);
  r->ahead = NULL;
  r->ahead_len = r->ahead_off = 0;
}

/* Up to 'want' bytes of the stream into p: from the read-ahead buffer
** while it has any, else from the fd (through the buffer when the rest
** is small, so many small frames cost one read). */
static io_result reader_take(frame_reader *r, int fd, uint8_t *p, size_t want,
                             size_t *got) {
  io_result io;

  if (r->ahead != NULL && r->ahead_off == r->ahead_len && want < FRAME_READAHEAD) {
    r->ahead_off = r->ahead_len = 0;
    io = read_some(fd, r->ahead, FRAME_READAHEAD, &r->ahead_len);
    if (io != IO_DONE)
      return io;
    r->bytes_in += r->ahead_len;
  }
  if (r->ahead != NULL && r->ahead_off < r->ahead_len) {
    size_t n = r->ahead_len - r->ahead_off;
    *got = n < want ? n : want;
    memcpy(p, r->ahead + r->ahead_off, *got);
    r->ahead_off += *got;
    return IO_DONE;
  }
  if (r->ahead != NULL && want < FRAME_READAHEAD) {
    *got = 0; /* the refill above read end of file */
    return IO_DONE;
  }
  io = read_some(fd, p, want, got);
  if (io == IO_DONE)
    r->bytes_in += *got;
  return io;
}

/* The header is complete: judge the length, then make room for the body. */
static frame_status reader_start_body(frame_reader *r) {
  uint32_t len = get_le32(r->header);

  if (len == 0)
    return FRAME_EMPTY;
  if ((uint64_t)len > (uint64_t)r->max)
    return FRAME_TOO_BIG;
  r->body = frame_alloc(len);
  if (r->body == NULL)
    return FRAME_NOMEM;
  r->body_len = len;
  r->body_have = 0;
  return FRAME_OK;
}

/* The body is complete: decode it and make ready for the next frame. */
static frame_status reader_finish(frame_reader *r, Plugsup__Envelope **out) {
  frame_status s = frame_decode(r->body, r->body_len, out);

  reader_next_frame(r);
  return s;
}

static frame_status reader_step_header(frame_reader *r, int fd) {
  size_t got;
  io_result io = reader_take(r, fd, r->header + r->header_have,
                             FRAME_HEADER_BYTES - r->header_have, &got);
  if (io != IO_DONE)
    return io == IO_AGAIN ? FRAME_AGAIN : FRAME_IO;
  if (got == 0)
    return r->header_have == 0 ? FRAME_EOF : FRAME_TRUNCATED;
  r->header_have += got;
  if (r->header_have < FRAME_HEADER_BYTES)
    return FRAME_OK;
  return reader_start_body(r);
}

static frame_status reader_step_body(frame_reader *r, int fd) {
  size_t got;
  io_result io = reader_take(r, fd, r->body + r->body_have,
                             r->body_len - r->body_have, &got);
  if (io != IO_DONE)
    return io == IO_AGAIN ? FRAME_AGAIN : FRAME_IO;
  if (got == 0)
    return FRAME_TRUNCATED;
  r->body_have += got;
  return FRAME_OK;
}

frame_status frame_reader_feed(frame_reader *r, int fd,
                               Plugsup__Envelope **out) {
  *out = NULL;
  for (;;) {
    frame_status s;
    if (r->header_have < FRAME_HEADER_BYTES)
      s = reader_step_header(r, fd);
    else
      s = reader_step_body(r, fd);
    if (s != FRAME_OK)
      return s;
    if (r->body != NULL && r->body_have == r->body_len)
      return reader_finish(r, out);
  }
}

/* ---- blocking helpers ---- */

frame_status frame_read(int fd, size_t max, Plugsup__Envelope **out) {
  frame_reader r;
  frame_status s;

  frame_reader_init(&r, max);
  s = frame_reader_feed(&r, fd, out);
  if (s == FRAME_AGAIN) {
    errno = EAGAIN;
    s = FRAME_IO;
  }
  frame_reader_free(&r);
  return s;
}

frame_status frame_write(int fd, const Plugsup__Envelope *msg, size_t max) {
  frame_writer w;
  frame_status s = frame_writer_start(&w, msg, max);

  if (s != FRAME_OK)
    return s;
  s = frame_writer_flush(&w, fd);
  if (s == FRAME_AGAIN) {
    errno = EAGAIN;
    s = FRAME_IO;
  }
  frame_writer_free(&w);
  return s;
}

/* ---- incremental writer ---- */

frame_status frame_writer_start(frame_writer *w, const Plugsup__Envelope *msg,
                                size_t max) {
  w->sent = 0;
  return encode(msg, max, frame_alloc, &w->buf, &w->len);
}

frame_status frame_writer_flush(frame_writer *w, int fd) {
  while (w->sent < w->len) {
    size_t put;
    io_result io = write_some(fd, w->buf + w->sent, w->len - w->sent, &put);
    if (io != IO_DONE)
      return io == IO_AGAIN ? FRAME_AGAIN : FRAME_IO;
    w->sent += put;
  }
  /* Done: drop the buffer now, so a finished writer holds nothing. */
  frame_writer_free(w);
  return FRAME_OK;
}

void frame_writer_free(frame_writer *w) {
  frame_release(w->buf);
  w->buf = NULL;
  w->len = w->sent = 0;
}
