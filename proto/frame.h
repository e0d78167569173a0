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

#define FRAME_PROTOCOL_VERSION 5
#define FRAME_HEADER_BYTES 4
/* Default bound for a frame: a Run may carry the whole module. */
#define FRAME_DEFAULT_MAX (64u << 20)
/* Bound for every frame a worker sends. Both sides use it: the worker
** never packs a larger one (a big VALIDATE report goes in Report pieces)
** and the supervisor refuses one. With FRAME_DECODE_RATIO it bounds what
** one reply can cost the supervisor. */
#define FRAME_REPLY_MAX (1u << 20)
/* An envelope may unpack to at most this many times its size on the wire
** (plus FRAME_DECODE_SLACK), counting every allocation protobuf-c makes
** with FRAME_DECODE_ALLOC_COST bytes of bookkeeping each. An honest frame
** stays under 15 (a one-byte value: 4 bytes on the wire, 56 unpacked); a
** frame of empty sub-messages, 2 bytes on the wire and 64 unpacked, is
** refused. */
#define FRAME_DECODE_RATIO 16u
#define FRAME_DECODE_SLACK (64u << 10)
#define FRAME_DECODE_ALLOC_COST 8u
/* The most exports and imports a VALIDATE report may list, in all its
** pieces: the interpreter's own limits (the worker checks they agree). */
#define FRAME_REPORT_MAX_EXPORTS 100000u
#define FRAME_REPORT_MAX_IMPORTS 100000u
/* The most values a Result may carry: a function's results. */
#define FRAME_RESULT_MAX_VALUES 1000u
/* ABI runs (worker/abi.h). Data of one call travels in AbiData pieces of
** at most FRAME_ABI_PIECE bytes; a tool plugin may list at most
** FRAME_ABI_MAX_TOOLS tools, so a run sends at most FRAME_ABI_MAX_ITEMS
** items (name and description of each tool, plus the plugin's own
** metadata of every ABI); the plugsup.manifest section is at most
** FRAME_MANIFEST_MAX bytes. */
#define FRAME_ABI_PIECE (512u << 10)
#define FRAME_ABI_MAX_TOOLS 1024u
#define FRAME_ABI_MAX_ITEMS (2u * FRAME_ABI_MAX_TOOLS + 16u)
#define FRAME_MANIFEST_MAX (256u << 10)

#define FRAME_STATUS_LIST(X)                                              \
  X(FRAME_OK, "ok")                                                       \
  X(FRAME_AGAIN, "would block")         /* non-blocking: call again */    \
  X(FRAME_EOF, "end of stream")         /* clean EOF between frames */    \
  X(FRAME_TRUNCATED, "stream ended inside a frame")                       \
  X(FRAME_TOO_BIG, "frame exceeds the size limit")                        \
  X(FRAME_EMPTY, "frame of length zero")                                  \
  X(FRAME_UNDECODABLE, "frame is not a valid message")                    \
  X(FRAME_TOO_DENSE, "frame unpacks to too much memory")                  \
  X(FRAME_IO, "i/o error")              /* errno says which */            \
  X(FRAME_NOMEM, "out of memory")

typedef enum frame_status {
#define X(name, text) name,
  FRAME_STATUS_LIST(X)
#undef X
} frame_status;

const char *frame_status_message(frame_status s);

/* A region for frames: once opened, frames made (decoded envelopes, the
** reader's and writer's buffers; not frame_encode's, which its callers
** free) take their memory from [base, base + size) first, then from
** malloc; a region's memory is used again from its start once every
** block in it has been freed. For a process with few frames whose heap
** pages are not its own to write cheaply (a zygote's child: its heap is
** its zygote's, copied on write page by page). A zygote names the region
** (it is never written until opened) and each child opens it.
**
** frame_region_own names the zygote's own region, open at once, which
** serves while the one above is not open: one mapped with MADV_DONTFORK,
** so that the frames the zygote makes and frees between forks write no
** page it shares with its children (each such page would be copied on
** its write, after every fork). Its children never use it. base aligned
** to 16 bytes; neither is for a process with threads. */
void frame_region_set(void *base, size_t size);
void frame_region_open(void);
void frame_region_own(void *base, size_t size);

/* Unpack one envelope from exactly len bytes (no header). An envelope
** that unpacks but carries no message (an unknown oneof case, or only
** unknown fields) is FRAME_UNDECODABLE too: neither side can act on it.
** One that would take more memory than FRAME_DECODE_RATIO allows is
** FRAME_TOO_DENSE. */
frame_status frame_decode(const uint8_t *buf, size_t len,
                          Plugsup__Envelope **out);
void frame_free(Plugsup__Envelope *msg);

/* Pack msg as one whole frame (header included) into a new malloc'd
** buffer that the caller frees. FRAME_EMPTY if msg packs to zero bytes
** (no oneof case set), FRAME_TOO_BIG if it packs to more than max. */
frame_status frame_encode(const Plugsup__Envelope *msg, size_t max,
                          uint8_t **out, size_t *out_len);

/* 'max' everywhere: the largest body accepted or produced; 0 means
** FRAME_DEFAULT_MAX, and anything above UINT32_MAX is UINT32_MAX.
**
** After FRAME_TOO_BIG, FRAME_EMPTY, FRAME_TRUNCATED, FRAME_IO or
** FRAME_NOMEM from a read, the stream is out of step: stop reading it.
** After FRAME_UNDECODABLE the next frame starts where it should.
**
** Writing to a pipe whose reader has gone raises SIGPIPE: callers that
** want FRAME_IO (errno EPIPE) instead ignore or block SIGPIPE. */

/* Blocking: write/read one whole frame, retrying on EINTR and short I/O.
** On a non-blocking fd, EAGAIN is FRAME_IO (errno EAGAIN): use the
** incremental reader and writer there. */
frame_status frame_write(int fd, const Plugsup__Envelope *msg, size_t max);
frame_status frame_read(int fd, size_t max, Plugsup__Envelope **out);

/* Incremental reader for a non-blocking fd. feed() reads what is
** available; it returns FRAME_OK with *out set when a whole frame has
** arrived (call again: more may be buffered), FRAME_AGAIN when the fd has
** nothing more now, or an error.
**
** By default it reads only the bytes of the current frame, so a blocking
** reader may take the fd over between frames. With read-ahead it reads up
** to FRAME_READAHEAD bytes at once, so a stream of small frames costs one
** read per many frames; bytes of later frames then wait in the reader
** (frame_reader_buffered), where poll() cannot see them. */
#define FRAME_READAHEAD (64u << 10)

typedef struct frame_reader {
  size_t max;
  uint8_t header[FRAME_HEADER_BYTES];
  size_t header_have;
  uint8_t *body;
  size_t body_len, body_have;
  uint8_t *ahead;          /* NULL: no read-ahead */
  size_t ahead_len, ahead_off;
  uint64_t bytes_in;       /* every byte taken from the fd so far */
} frame_reader;

void frame_reader_init(frame_reader *r, size_t max);
/* Turns read-ahead on; FRAME_NOMEM if its buffer cannot be had. */
frame_status frame_reader_readahead(frame_reader *r);
/* Bytes read from the fd that no frame has consumed yet. */
size_t frame_reader_buffered(const frame_reader *r);
frame_status frame_reader_feed(frame_reader *r, int fd,
                               Plugsup__Envelope **out);
void frame_reader_free(frame_reader *r);

/* Incremental writer: start() packs a frame, flush() sends what the fd
** takes; FRAME_OK once all of it is sent (the buffer is then released),
** FRAME_AGAIN before. start() overwrites *w: free an unfinished one first. */
typedef struct frame_writer {
  uint8_t *buf;
  size_t len, sent;
} frame_writer;

frame_status frame_writer_start(frame_writer *w, const Plugsup__Envelope *msg,
                                size_t max);
frame_status frame_writer_flush(frame_writer *w, int fd);
void frame_writer_free(frame_writer *w);

/* ---- the worker process's fixed interface (see worker/) ----
**
** The supervisor starts plugsup-worker by fork+exec with an empty
** environment, the request pipe's read end on fd 3, the reply pipe's
** write end on fd 4 and, when it has them, fds 5 and 6 below; every other
** fd the worker finds is closed unused. argv, trusted because the
** supervisor wrote it:
**   plugsup-worker [--memory BYTES] [--cpu SECONDS] [--uid UID] [--gid GID]
**                  [--no-namespaces]
** --memory   the run's linear-memory cap: the interpreter's cap is the lower
**            of this and Run.limits.memory_bytes, and RLIMIT_AS is this plus
**            PLUGSUP_WORKER_AS_OVERHEAD (default PLUGSUP_WORKER_DEFAULT_MEMORY)
** --cpu      RLIMIT_CPU in seconds (soft; hard is one more); 0 or absent:
**            none, the supervisor's wall-clock deadline rules
** --uid, --gid  what a worker started with root's rights (a uid 0, or
**            CAP_SETUID/CAP_SETGID) becomes before anything else: ids other
**            than 0 (0 is a usage error); default PLUGSUP_WORKER_DEFAULT_UID
**            and _GID, nobody and nogroup on Debian. A worker started
**            without root's rights keeps its ids: it could not change them.
**            Inside a user namespace the worker is 65534 either way, mapped
**            to these (or its own) ids outside.
** --no-namespaces  skip the best-effort unshare() of namespaces */
#define PLUGSUP_WORKER_REQUEST_FD 3
#define PLUGSUP_WORKER_REPLY_FD 4
/* A sealed memfd of HOSTCALL_IO_MAX bytes, when the run may have files (a
** preopened or temporary directory) and the supervisor could make one:
** the worker maps it before its sandbox goes on, then closes it.
** File bytes a host call reads are put there, not in the frame
** (HostReply.shared_len): two copies fewer per read. */
#define PLUGSUP_WORKER_SHARED_FD 5
/* The plugin's memfd, sealed against every change, when the supervisor
** has one (Run.module_fd_len then says so and the Run carries no module):
** the worker maps it read-only before its sandbox goes on, then closes it.
** Without it the module comes in the Run. */
#define PLUGSUP_WORKER_MODULE_FD 6
#define PLUGSUP_WORKER_ARG_MEMORY "--memory"
#define PLUGSUP_WORKER_ARG_CPU "--cpu"
#define PLUGSUP_WORKER_ARG_UID "--uid"
#define PLUGSUP_WORKER_ARG_GID "--gid"
#define PLUGSUP_WORKER_ARG_NO_NAMESPACES "--no-namespaces"
/* The zygote (worker/zygote.c): the same binary, started once per loaded
** plugin with
**   plugsup-worker --zygote PROCS [--memory BYTES] [--uid UID] [--gid GID]
**                  [--no-namespaces]
** PROCS bounds the processes of the zygote's user namespace (RLIMIT_NPROC
** counts them there): the zygote, its pid namespace's holder and its runs
** in flight; without a user namespace the count would take in other
** processes of the same user, and no bound is set.
** the control socket (SOCK_SEQPACKET, proto/ctl.h) on fd 3 and the module
** in a sealed memfd on fd 4. It enters the sandbox, loads the module, says
** ZygoteReady, then forks one child per ZygoteFork; each child is then a
** worker as above, with the fork's --memory and --cpu. */
#define PLUGSUP_WORKER_ARG_ZYGOTE "--zygote"
#define PLUGSUP_ZYGOTE_CONTROL_FD 3
#define PLUGSUP_ZYGOTE_MODULE_FD 4
#define PLUGSUP_WORKER_DEFAULT_UID 65534u
#define PLUGSUP_WORKER_DEFAULT_GID 65534u
#define PLUGSUP_WORKER_DEFAULT_MEMORY (256ull << 20)
/* Address space for code, libc, the module (mapped, or in the Run frame
** and its unpacked copy), the decoded and compiled module: RLIMIT_AS =
** memory + this. */
#define PLUGSUP_WORKER_AS_OVERHEAD (1ull << 30)

/* How a worker ends. 0 once it has sent its Result (whatever the outcome).
** A refused system call ends it by SIGSYS, after a SandboxViolation frame
** when its handler could send one. Other statuses: */
#define PLUGSUP_WORKER_EXIT_OK 0
#define PLUGSUP_WORKER_EXIT_SANDBOX_SETUP 120 /* a sandbox step failed */
#define PLUGSUP_WORKER_EXIT_USAGE 121         /* bad argv or fds 3/4 missing */
#define PLUGSUP_WORKER_EXIT_ORPHANED 122      /* parent died during start-up */
#define PLUGSUP_WORKER_EXIT_PROTOCOL 123      /* request stream: EOF or bad
                                                 frame; or not a Run (then
                                                 after a BAD_REQUEST Result) */
#define PLUGSUP_WORKER_EXIT_REPLY_IO 124      /* a reply could not be written */
#define PLUGSUP_WORKER_EXIT_NOMEM 125         /* worker out of memory outside
                                                 the interpreter */

#endif
