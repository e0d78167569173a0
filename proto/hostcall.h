/*
** hostcall.h: the host calls a worker forwards to the supervisor, listed
** once for both sides.
**
** A HostCall frame carries an op (HOSTCALL_LIST), its integer arguments
** as Values in the order the row gives them (I32 'i', I64 'I'), and up to
** two byte strings: 'data' and 'data2'. The HostReply carries the WASI
** errno (0 = success), the result Values in the order given, and 'data'.
** A reply with an errno carries no values. Everything else about the call
** (checking guest pointers, reading iovecs, writing results into linear
** memory) is the worker's; every decision and every byte of I/O is the
** supervisor's.
**
** File descriptors are the guest's numbers. The supervisor owns the
** table, stdio included; the worker answers fd_write to stdout/stderr and
** fd_read from an in-memory stdin itself, and follows fd_close and
** fd_renumber on those three to know where they went.
*/
#ifndef PLUGSUP_PROTO_HOSTCALL_H
#define PLUGSUP_PROTO_HOSTCALL_H

/* The most bytes one fd_read/fd_pread/fd_readdir reply or one
** fd_write/fd_pwrite call carries: larger requests are served short, as
** POSIX allows. Far below FRAME_REPLY_MAX, so a call always fits. */
#define HOSTCALL_IO_MAX (512u << 10)
/* The longest path the worker forwards; longer is ENAMETOOLONG at once. */
#define HOSTCALL_PATH_MAX 4096u
/* The most subscriptions one forwarded poll_oneoff carries (EINVAL). */
#define HOSTCALL_POLL_MAX 4096u
/* poll_oneoff's Values, HOSTCALL_POLL_VALUES per subscription (userdata,
** tag, clock id or fd, timeout, clock flags) and per event (userdata,
** errno, type, nbytes, flags), typed as these strings say. */
#define HOSTCALL_POLL_VALUES 5
#define HOSTCALL_POLL_SUB "IiiIi"
#define HOSTCALL_POLL_EVENT "IiiIi"

/*
** X(op, value, "wasi name", "args", "results", data in, data out)
**   args/results: one letter per Value, 'i' I32, 'I' I64.
**   data in:  what HostCall.data / data2 hold ("path", "old,new", ...).
**   data out: what HostReply.data holds.
** poll_oneoff: args are 5 per subscription (userdata I, tag i, clock id or
**   fd i, timeout I, flags i); results 5 per event (userdata I, errno i,
**   type i, nbytes I, flags i). Tags and flags are WASI's.
** fd_readdir: data out is the dirent records in WASI layout, cut at len
**   bytes exactly as the guest's buffer would be (bufused = data length).
** clock_time_get: forwarded only when the run has no clock grant, so the
**   supervisor can refuse and audit it.
** dns_lookup ... http_request: the functions of the reglet_host import
**   module, and plugsup's own http_request (worker/hostfn.c,
**   docs/host-functions.md). data is the JSON
**   request as the plugin wrote it, data out the JSON response; the one
**   argument is 1 when the request lay outside the plugin's memory (data
**   is then empty and the response says so). Errors travel inside the
**   response: the errno is 0 but for a broken call.
*/
#define HOSTCALL_LIST(X)                                                   \
  X(HC_FD_ADVISE, 1, "fd_advise", "iIIi", "", "", "")                      \
  X(HC_FD_ALLOCATE, 2, "fd_allocate", "iII", "", "", "")                   \
  X(HC_FD_CLOSE, 3, "fd_close", "i", "", "", "")                           \
  X(HC_FD_DATASYNC, 4, "fd_datasync", "i", "", "", "")                     \
  X(HC_FD_FDSTAT_GET, 5, "fd_fdstat_get", "i", "iiII", "", "")             \
  X(HC_FD_FDSTAT_SET_FLAGS, 6, "fd_fdstat_set_flags", "ii", "", "", "")    \
  X(HC_FD_FDSTAT_SET_RIGHTS, 7, "fd_fdstat_set_rights", "iII", "", "", "") \
  X(HC_FD_FILESTAT_GET, 8, "fd_filestat_get", "i", "IIiIIIII", "", "")     \
  X(HC_FD_FILESTAT_SET_SIZE, 9, "fd_filestat_set_size", "iI", "", "", "")  \
  X(HC_FD_FILESTAT_SET_TIMES, 10, "fd_filestat_set_times", "iIIi", "", "", \
    "")                                                                    \
  X(HC_FD_PREAD, 11, "fd_pread", "iiI", "", "", "bytes")                   \
  X(HC_FD_PWRITE, 12, "fd_pwrite", "iI", "i", "bytes", "")                 \
  X(HC_FD_READ, 13, "fd_read", "ii", "", "", "bytes")                      \
  X(HC_FD_READDIR, 14, "fd_readdir", "iiI", "", "", "dirents")             \
  X(HC_FD_RENUMBER, 15, "fd_renumber", "ii", "", "", "")                   \
  X(HC_FD_SEEK, 16, "fd_seek", "iIi", "I", "", "")                         \
  X(HC_FD_SYNC, 17, "fd_sync", "i", "", "", "")                            \
  X(HC_FD_TELL, 18, "fd_tell", "i", "I", "", "")                           \
  X(HC_FD_WRITE, 19, "fd_write", "i", "i", "bytes", "")                    \
  X(HC_FD_PRESTAT_GET, 20, "fd_prestat_get", "i", "ii", "", "")            \
  X(HC_FD_PRESTAT_DIR_NAME, 21, "fd_prestat_dir_name", "ii", "", "",       \
    "name")                                                                \
  X(HC_PATH_CREATE_DIRECTORY, 22, "path_create_directory", "i", "",        \
    "path", "")                                                            \
  X(HC_PATH_FILESTAT_GET, 23, "path_filestat_get", "ii", "IIiIIIII",       \
    "path", "")                                                            \
  X(HC_PATH_FILESTAT_SET_TIMES, 24, "path_filestat_set_times", "iiIIi", "",\
    "path", "")                                                            \
  X(HC_PATH_LINK, 25, "path_link", "iii", "", "old,new", "")               \
  X(HC_PATH_OPEN, 26, "path_open", "iiiIIi", "i", "path", "")              \
  X(HC_PATH_READLINK, 27, "path_readlink", "ii", "", "path", "target")     \
  X(HC_PATH_REMOVE_DIRECTORY, 28, "path_remove_directory", "i", "",        \
    "path", "")                                                            \
  X(HC_PATH_RENAME, 29, "path_rename", "ii", "", "old,new", "")            \
  X(HC_PATH_SYMLINK, 30, "path_symlink", "i", "", "target,new", "")        \
  X(HC_PATH_UNLINK_FILE, 31, "path_unlink_file", "i", "", "path", "")      \
  X(HC_POLL_ONEOFF, 32, "poll_oneoff", "*", "*", "", "")                   \
  X(HC_SOCK_ACCEPT, 33, "sock_accept", "ii", "i", "", "")                  \
  X(HC_SOCK_RECV, 34, "sock_recv", "ii", "ii", "", "")                     \
  X(HC_SOCK_SEND, 35, "sock_send", "ii", "i", "", "")                      \
  X(HC_SOCK_SHUTDOWN, 36, "sock_shutdown", "ii", "", "", "")               \
  X(HC_CLOCK_TIME_GET, 37, "clock_time_get", "iI", "I", "", "")          \
  X(HC_DNS_LOOKUP, 38, "dns_lookup", "i", "", "json", "json")              \
  X(HC_TCP_CONNECT, 39, "tcp_connect", "i", "", "json", "json")            \
  X(HC_SMTP_CONNECT, 40, "smtp_connect", "i", "", "json", "json")          \
  X(HC_EXEC_COMMAND, 41, "exec_command", "i", "", "json", "json")          \
  X(HC_LOG_MESSAGE, 42, "log_message", "i", "", "json", "")               \
  X(HC_HTTP_REQUEST, 43, "http_request", "i", "", "json", "json")

typedef enum hostcall_op {
  HC_NONE = 0,
#define HOSTCALL_X_(op, value, name, args, results, in, out) op = value,
  HOSTCALL_LIST(HOSTCALL_X_)
#undef HOSTCALL_X_
  HC_COUNT
} hostcall_op;

/* The row of op, or NULL for a value no row has. */
typedef struct hostcall_desc {
  hostcall_op op;
  const char *name;    /* the WASI function */
  const char *args;    /* "*": variable (poll_oneoff) */
  const char *results;
} hostcall_desc;

const hostcall_desc *hostcall_describe(unsigned op);

#endif
