/*
** broker_fs.c: files and directories, done by the supervisor for a plugin.
**
** Every path a plugin names is relative to one of its directory
** descriptors and is resolved by the kernel beneath that directory
** (openat2 with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS): "..", an
** absolute path or a symlink that leads out fails inside the kernel, in
** the same walk that opens the file, so nothing can be swapped in between
** a check and a use. Operations on a name (unlink, mkdir, rename, link,
** symlink, readlink) first open the name's parent that way and then act on
** the last component relative to that descriptor; a last component of "."
** or ".." is never handed to such a call. Policy is asked about the
** lexically clean host path before anything changes.
*/
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <jansson.h>

#include "broker.h"
#include "hostcall.h"
#include "wasi_abi.h"

/* ---- errno ---- */

#define ERRNO_MAP(X)                                                       \
  X(E2BIG, 2BIG) X(EACCES, ACCES) X(EAGAIN, AGAIN) X(EBADF, BADF)          \
  X(EBUSY, BUSY) X(EDQUOT, DQUOT) X(EEXIST, EXIST) X(EFAULT, FAULT)        \
  X(EFBIG, FBIG) X(EILSEQ, ILSEQ) X(EINTR, INTR) X(EINVAL, INVAL)          \
  X(EIO, IO) X(EISDIR, ISDIR) X(ELOOP, LOOP) X(EMFILE, MFILE)              \
  X(EMLINK, MLINK) X(ENAMETOOLONG, NAMETOOLONG) X(ENFILE, NFILE)           \
  X(ENODEV, NODEV) X(ENOENT, NOENT) X(ENOMEM, NOMEM) X(ENOSPC, NOSPC)      \
  X(ENOSYS, NOSYS) X(ENOTDIR, NOTDIR) X(ENOTEMPTY, NOTEMPTY)               \
  X(ENOTSUP, NOTSUP) X(ENOTTY, NOTTY) X(ENXIO, NXIO)                       \
  X(EOVERFLOW, OVERFLOW) X(EPERM, PERM) X(EPIPE, PIPE) X(EROFS, ROFS)      \
  X(ESPIPE, SPIPE) X(ETIMEDOUT, TIMEDOUT) X(ETXTBSY, TXTBSY)               \
  X(EXDEV, NOTCAPABLE) /* RESOLVE_BENEATH: the path leads out */

uint32_t broker_errno(int err) {
  switch (err) {
#define ERRNO_X_(host, wasi) \
  case host:                 \
    return WASI_E##wasi;
    ERRNO_MAP(ERRNO_X_)
#undef ERRNO_X_
  default:
    return WASI_EIO;
  }
}

static uint8_t broker_filetype(mode_t mode) {
  switch (mode & S_IFMT) {
  case S_IFREG:
    return WASI_FILETYPE_REGULAR_FILE;
  case S_IFDIR:
    return WASI_FILETYPE_DIRECTORY;
  case S_IFCHR:
    return WASI_FILETYPE_CHARACTER_DEVICE;
  case S_IFBLK:
    return WASI_FILETYPE_BLOCK_DEVICE;
  case S_IFLNK:
    return WASI_FILETYPE_SYMBOLIC_LINK;
  case S_IFSOCK:
    return WASI_FILETYPE_SOCKET_STREAM;
  default:
    return WASI_FILETYPE_UNKNOWN;
  }
}

/* ---- paths ---- */

static int sys_openat2(int dir, const char *path, int flags, mode_t mode,
                       uint64_t resolve) {
  struct open_how how = {.flags = (uint64_t)flags | O_CLOEXEC,
                         .mode = flags & O_CREAT ? mode : 0,
                         .resolve = resolve};
  for (int tries = 0;; tries++) {
    long fd = syscall(SYS_openat2, dir, path, &how, sizeof how);
    /* EAGAIN: a rename raced the walk; the kernel asks for a retry. */
    if (fd >= 0 || errno != EAGAIN || tries == 8)
      return (int)fd;
  }
}

/* Opens path beneath dir; follow: the last component may be a symlink. */
static int broker_open_beneath(int dir, const char *path, int flags,
                               mode_t mode, bool follow) {
  if (!follow)
    flags |= O_NOFOLLOW;
  return sys_openat2(dir, *path ? path : ".", flags, mode,
                     RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
}

/* The lexically clean host path of guest path p beneath base; NULL with
** *err = NOTCAPABLE when it climbs above base or is absolute, NAMETOOLONG
** or NOMEM when it cannot be built. */
static char *broker_host_path(const char *base, const char *p, size_t len,
                              uint32_t *err) {
  size_t blen = strlen(base);
  char *out = malloc(blen + len + 2);
  if (!out) {
    *err = WASI_ENOMEM;
    return NULL;
  }
  memcpy(out, base, blen + 1);
  size_t at = blen, i = 0;
  if (len && p[0] == '/')
    goto escape;
  while (i < len) {
    size_t j = i;
    while (j < len && p[j] != '/')
      j++;
    size_t n = j - i;
    if (n == 2 && p[i] == '.' && p[i + 1] == '.') {
      if (at <= blen)
        goto escape;
      while (at > blen && out[at - 1] != '/')
        at--;
      at = at > blen ? at - 1 : blen;
      out[at] = '\0';
    } else if (n && !(n == 1 && p[i] == '.')) {
      if (at == 0 || out[at - 1] != '/')
        out[at++] = '/';
      memcpy(out + at, p + i, n);
      at += n;
      out[at] = '\0';
    }
    i = j + 1;
  }
  if (at == 0)
    out[at++] = '/', out[at] = '\0';
  return out;
escape:
  free(out);
  *err = WASI_ENOTCAPABLE;
  return NULL;
}

/* Splits guest path p into the part that names the parent directory and
** its last component, trailing slashes kept (the kernel gives them their
** meaning): "a/b" -> "a", "b"; "b//" -> ".", "b//"; "a//.." -> "a", "..". */
static void split_last(char *p, const char **parent, const char **last) {
  size_t e = strlen(p), s;
  while (e > 0 && p[e - 1] == '/')
    e--;
  for (s = e; s > 0 && p[s - 1] != '/'; s--)
    ;
  *last = p + s;
  *parent = ".";
  if (s == 0)
    return;
  size_t k = s;
  while (k > 0 && p[k - 1] == '/')
    k--;
  p[k] = '\0';
  *parent = p;
}

static bool is_dot_or_dotdot(const char *last) {
  size_t n = strcspn(last, "/");
  return (n == 1 && last[0] == '.') || (n == 2 && last[0] == '.' &&
                                        last[1] == '.');
}

/* Opens the parent directory of path beneath dir: the descriptor, and the
** last component in *last (pointing into *copy, freed by the caller). */
static int broker_open_parent(int dir, const char *path, size_t len,
                              char **copy, const char **last, uint32_t *err) {
  const char *parent;
  *copy = strndup(path, len);
  if (!*copy) {
    *err = WASI_ENOMEM;
    return -1;
  }
  if (len == 0) {
    *err = WASI_ENOENT;
    return -1;
  }
  split_last(*copy, &parent, last);
  int fd = broker_open_beneath(dir, parent, O_PATH | O_DIRECTORY, 0, true);
  if (fd < 0)
    *err = broker_errno(errno);
  return fd;
}


/* ---- decisions ---- */

/* A path's bytes: protobuf-c gives NULL for an empty one, which no libc
** function may be handed. */
static const char *bytes_of(const ProtobufCBinaryData *d) {
  return d->data ? (const char *)d->data : "";
}

#define PATH_ARG(c) bytes_of(&(c)->data), ((c)->data.len)

static const char *access_name(policy_access a) {
  return a == POLICY_READ ? "read" : a == POLICY_MKDIR ? "mkdir" : "write";
}

/* May the plugin do 'access' on path p beneath its directory fd? On yes,
** *dir is the directory and *host the clean host path (malloc'd). Every
** answer is audited. */
static uint32_t decide(plugsup_job *job, const Plugsup__HostCall *c,
                       uint64_t fd, const char *p, size_t len,
                       policy_access access, broker_fd **dir, char **host) {
  sup_broker *b = job->broker;
  char cap[512] = "";
  uint32_t err = 0;
  *host = NULL;
  *dir = broker_fd_at(b, fd);
  if (!*dir)
    return WASI_EBADF;
  if ((*dir)->kind != BFD_DIR)
    return WASI_ENOTDIR;
  if (memchr(p, '\0', len))
    return WASI_EINVAL;
  *host = broker_host_path((*dir)->path, p, len, &err);
  if (!*host) {
    if (err == WASI_ENOTCAPABLE)
      broker_audit_path(job, c, fd, p, len, NULL, access_name(access), false,
                        NULL, "escapes its directory", err);
    return err;
  }
  bool ok = broker_may_access(b, *host, access, cap, sizeof cap);
  /* fs:no-mkdir is a refusal no grant could lift: a reason, not a
  ** missing capability. */
  bool rule = !ok && strcmp(cap, "fs:no-mkdir") == 0;
  broker_audit_path(job, c, fd, p, len, *host, access_name(access), ok,
                    rule ? NULL : cap, rule ? cap : NULL,
                    ok ? 0 : WASI_ENOTCAPABLE);
  if (ok)
    return 0;
  free(*host);
  *host = NULL;
  return WASI_ENOTCAPABLE;
}

/* The kernel refused a walk that left its directory (EXDEV from
** RESOLVE_BENEATH): a symlink or a ".." the lexical check could not see. */
static uint32_t escaped(plugsup_job *job, const Plugsup__HostCall *c,
                        uint64_t fd, const ProtobufCBinaryData *path,
                        policy_access access, uint32_t err) {
  if (err == WASI_ENOTCAPABLE)
    broker_audit_path(job, c, fd, bytes_of(path), path->len, NULL,
                      access_name(access), false, NULL,
                      "a symlink or .. leads out of its directory", err);
  return err;
}

/* ---- stat ---- */

static uint64_t ts_ns(const struct timespec *t) {
  return (uint64_t)t->tv_sec * 1000000000u + (uint64_t)t->tv_nsec;
}

/* dev, ino, filetype, nlink, size, atim, mtim, ctim */
static void put_filestat(broker_reply *r, const struct stat *st) {
  uint64_t *v = r->values;
  v[0] = st->st_dev;
  v[1] = st->st_ino;
  v[2] = broker_filetype(st->st_mode);
  v[3] = st->st_nlink;
  v[4] = (uint64_t)st->st_size;
  v[5] = ts_ns(&st->st_atim);
  v[6] = ts_ns(&st->st_mtim);
  v[7] = ts_ns(&st->st_ctim);
  r->nvalues = 8;
}

static void put_stdio_filestat(broker_reply *r) {
  memset(r->values, 0, 8 * sizeof *r->values);
  r->values[2] = WASI_FILETYPE_CHARACTER_DEVICE;
  r->nvalues = 8;
}

static bool is_stdio(const broker_fd *e) {
  return e->kind == BFD_STDIN || e->kind == BFD_STDOUT ||
         e->kind == BFD_STDERR;
}

/* The entry of an open fd that names a file or a directory, with *err
** EBADF when it is not open. */
static broker_fd *host_entry(plugsup_job *job, uint64_t fd, uint32_t *err) {
  broker_fd *e = broker_fd_at(job->broker, fd);
  *err = e ? 0 : WASI_EBADF;
  return e;
}

/* ---- rights ---- */

#define R(name) WASI_RIGHT(WASI_RIGHT_##name##_BIT)
#define FILE_RIGHTS                                                        \
  (R(FD_DATASYNC) | R(FD_READ) | R(FD_SEEK) | R(FD_FDSTAT_SET_FLAGS) |     \
   R(FD_SYNC) | R(FD_TELL) | R(FD_WRITE) | R(FD_ADVISE) | R(FD_ALLOCATE) | \
   R(FD_FILESTAT_GET) | R(FD_FILESTAT_SET_SIZE) |                          \
   R(FD_FILESTAT_SET_TIMES) | R(POLL_FD_READWRITE))
#define DIR_RIGHTS (WASI_RIGHTS_ALL & ~(R(FD_READ) | R(FD_WRITE) |          \
                    R(FD_SEEK) | R(FD_TELL) | R(FD_ALLOCATE) |              \
                    R(FD_FILESTAT_SET_SIZE) | R(SOCK_SHUTDOWN) |            \
                    R(SOCK_ACCEPT)))
#define WRITE_RIGHTS                                                       \
  (R(FD_DATASYNC) | R(FD_WRITE) | R(FD_ALLOCATE) | R(FD_FILESTAT_SET_SIZE))
#define READ_RIGHTS (R(FD_READ) | R(FD_READDIR))

uint64_t broker_dir_rights(void) { return DIR_RIGHTS; }
uint64_t broker_all_rights(void) { return DIR_RIGHTS | FILE_RIGHTS; }

/* ---- fd operations ---- */

uint32_t broker_fd_close(plugsup_job *job, const Plugsup__HostCall *c,
                         broker_reply *r) {
  uint32_t err;
  broker_fd *e = host_entry(job, BROKER_ARG(c, 0), &err);
  (void)r;
  if (!e)
    return err;
  if (e->kind == BFD_FILE || e->kind == BFD_DIR)
    job->broker->open_files--;
  broker_fd_release(e);
  return 0;
}

uint32_t broker_fd_renumber(plugsup_job *job, const Plugsup__HostCall *c,
                            broker_reply *r) {
  sup_broker *b = job->broker;
  uint64_t from = BROKER_ARG(c, 0), to = BROKER_ARG(c, 1);
  broker_fd *f = broker_fd_at(b, from), *t = broker_fd_at(b, to);
  (void)r;
  if (!f || !t)
    return WASI_EBADF;
  if (f == t)
    return 0;
  if (t->kind == BFD_FILE || t->kind == BFD_DIR)
    b->open_files--;
  broker_fd_release(t);
  *t = *f;
  memset(f, 0, sizeof *f);
  f->kind = BFD_FREE;
  f->host = -1;
  return 0;
}

uint32_t broker_fd_fdstat_get(plugsup_job *job, const Plugsup__HostCall *c,
                              broker_reply *r) {
  uint32_t err;
  broker_fd *e = host_entry(job, BROKER_ARG(c, 0), &err);
  struct stat st;
  if (!e)
    return err;
  uint64_t *v = r->values;
  if (is_stdio(e))
    v[0] = WASI_FILETYPE_CHARACTER_DEVICE;
  else if (fstat(e->host, &st) == 0)
    v[0] = broker_filetype(st.st_mode);
  else
    return broker_errno(errno);
  v[1] = e->fdflags;
  v[2] = e->rights;
  v[3] = e->inheriting;
  r->nvalues = 4;
  return 0;
}

uint32_t broker_fd_fdstat_set_flags(plugsup_job *job,
                                    const Plugsup__HostCall *c,
                                    broker_reply *r) {
  uint32_t err;
  broker_fd *e = host_entry(job, BROKER_ARG(c, 0), &err);
  uint64_t flags = BROKER_ARG(c, 1);
  (void)r;
  if (!e)
    return err;
  if (flags & ~(uint64_t)(WASI_FDFLAG_APPEND | WASI_FDFLAG_DSYNC |
                          WASI_FDFLAG_NONBLOCK | WASI_FDFLAG_RSYNC |
                          WASI_FDFLAG_SYNC))
    return WASI_EINVAL;
  /* Like wasmtime: the sync flags cannot be changed after opening. */
  if ((flags ^ e->fdflags) & (WASI_FDFLAG_DSYNC | WASI_FDFLAG_RSYNC |
                              WASI_FDFLAG_SYNC))
    return WASI_ENOTSUP;
  if (e->kind == BFD_FILE) {
    if ((flags & WASI_FDFLAG_APPEND) && !e->may_write)
      return WASI_ENOTCAPABLE;
    int fl = fcntl(e->host, F_GETFL);
    fl = (flags & WASI_FDFLAG_APPEND) ? fl | O_APPEND : fl & ~O_APPEND;
    if (fcntl(e->host, F_SETFL, fl) != 0)
      return broker_errno(errno);
  }
  /* NONBLOCK is kept as a flag: the broker never blocks on a file. */
  e->fdflags = (uint16_t)flags;
  return 0;
}

uint32_t broker_fd_fdstat_set_rights(plugsup_job *job,
                                     const Plugsup__HostCall *c,
                                     broker_reply *r) {
  uint32_t err;
  broker_fd *e = host_entry(job, BROKER_ARG(c, 0), &err);
  uint64_t base = BROKER_ARG(c, 1), inh = BROKER_ARG(c, 2);
  (void)r;
  if (!e)
    return err;
  if ((base & ~e->rights) || (inh & ~e->inheriting))
    return WASI_ENOTCAPABLE;
  e->rights = base;
  e->inheriting = inh;
  return 0;
}

uint32_t broker_fd_filestat_get(plugsup_job *job, const Plugsup__HostCall *c,
                                broker_reply *r) {
  uint32_t err;
  broker_fd *e = host_entry(job, BROKER_ARG(c, 0), &err);
  struct stat st;
  if (!e)
    return err;
  if (is_stdio(e)) {
    put_stdio_filestat(r);
    return 0;
  }
  if (fstat(e->host, &st) != 0)
    return broker_errno(errno);
  put_filestat(r, &st);
  return 0;
}

/* A file entry the plugin may write through, or the errno why not. */
static broker_fd *writable_file(plugsup_job *job, uint64_t fd, uint32_t *err) {
  broker_fd *e = host_entry(job, fd, err);
  if (!e)
    return NULL;
  if (e->kind == BFD_DIR)
    *err = WASI_EISDIR;
  else if (e->kind != BFD_FILE || !e->writable ||
           !(e->rights & R(FD_WRITE)))
    *err = WASI_EBADF;
  return *err ? NULL : e;
}

static broker_fd *readable_file(plugsup_job *job, uint64_t fd, uint32_t *err) {
  broker_fd *e = host_entry(job, fd, err);
  if (!e)
    return NULL;
  if (e->kind == BFD_DIR)
    *err = WASI_EISDIR;
  else if (e->kind != BFD_FILE || !e->readable || !(e->rights & R(FD_READ)))
    *err = WASI_EBADF;
  return *err ? NULL : e;
}

uint32_t broker_fd_filestat_set_size(plugsup_job *job,
                                     const Plugsup__HostCall *c,
                                     broker_reply *r) {
  uint32_t err;
  broker_fd *e = host_entry(job, BROKER_ARG(c, 0), &err);
  uint64_t size = BROKER_ARG(c, 1);
  (void)r;
  if (!e)
    return err;
  if (e->kind != BFD_FILE)
    return e->kind == BFD_DIR ? WASI_EISDIR : WASI_EBADF;
  if (!e->writable)
    return WASI_EINVAL;
  if (size > INT64_MAX)
    return WASI_EINVAL;
  err = broker_check_file_size(job, size);
  if (err)
    return err;
  return ftruncate(e->host, (off_t)size) == 0 ? 0 : broker_errno(errno);
}

/* The two timespecs utimensat wants for WASI times and flags. */
static uint32_t fst_times(uint64_t atim, uint64_t mtim, uint64_t fst,
                          struct timespec ts[2]) {
  if (fst & ~(uint64_t)(WASI_FST_ATIM | WASI_FST_ATIM_NOW | WASI_FST_MTIM |
                        WASI_FST_MTIM_NOW))
    return WASI_EINVAL;
  if (((fst & WASI_FST_ATIM) && (fst & WASI_FST_ATIM_NOW)) ||
      ((fst & WASI_FST_MTIM) && (fst & WASI_FST_MTIM_NOW)))
    return WASI_EINVAL;
  uint64_t t[2] = {atim, mtim};
  unsigned set[2] = {WASI_FST_ATIM, WASI_FST_MTIM};
  unsigned now[2] = {WASI_FST_ATIM_NOW, WASI_FST_MTIM_NOW};
  for (int i = 0; i < 2; i++) {
    ts[i].tv_sec = (time_t)(t[i] / 1000000000u);
    ts[i].tv_nsec = (long)(t[i] % 1000000000u);
    if (fst & now[i])
      ts[i].tv_nsec = UTIME_NOW;
    else if (!(fst & set[i]))
      ts[i].tv_nsec = UTIME_OMIT;
  }
  return 0;
}

/* Sets times on what fd refers to (an O_PATH descriptor too). */
static uint32_t set_times_fd(int fd, const struct timespec ts[2]) {
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  if (utimensat(AT_FDCWD, proc, ts, 0) == 0)
    return 0;
  return broker_errno(errno);
}

uint32_t broker_fd_filestat_set_times(plugsup_job *job,
                                      const Plugsup__HostCall *c,
                                      broker_reply *r) {
  uint32_t err;
  broker_fd *e = host_entry(job, BROKER_ARG(c, 0), &err);
  struct timespec ts[2];
  (void)r;
  if (!e)
    return err;
  if ((err = fst_times(BROKER_ARG(c, 1), BROKER_ARG(c, 2), BROKER_ARG(c, 3),
                       ts)) != 0)
    return err;
  if (is_stdio(e))
    return WASI_EBADF;
  if (!e->may_write)
    return WASI_ENOTCAPABLE;
  return futimens(e->host, ts) == 0 ? 0 : broker_errno(errno);
}

uint32_t broker_fd_advise(plugsup_job *job, const Plugsup__HostCall *c,
                          broker_reply *r) {
  uint32_t err;
  broker_fd *e = host_entry(job, BROKER_ARG(c, 0), &err);
  (void)r;
  if (!e)
    return err;
  if (BROKER_ARG(c, 3) > 5)
    return WASI_EINVAL;
  if (e->kind == BFD_DIR)
    return WASI_EBADF;
  if (e->kind != BFD_FILE)
    return WASI_ESPIPE;
  /* Advice is only advice: accepted and not passed on. */
  return 0;
}

uint32_t broker_fd_allocate(plugsup_job *job, const Plugsup__HostCall *c,
                            broker_reply *r) {
  uint32_t err;
  broker_fd *e = host_entry(job, BROKER_ARG(c, 0), &err);
  (void)r;
  if (!e)
    return err;
  if (e->kind == BFD_DIR)
    return WASI_EBADF;
  /* As wasmtime: preview 1's fd_allocate is not supported. */
  return WASI_ENOTSUP;
}

static uint32_t sync_fd(plugsup_job *job, const Plugsup__HostCall *c,
                        int (*fn)(int)) {
  uint32_t err;
  broker_fd *e = host_entry(job, BROKER_ARG(c, 0), &err);
  if (!e)
    return err;
  if (is_stdio(e))
    return WASI_EINVAL;
  return fn(e->host) == 0 ? 0 : broker_errno(errno);
}

uint32_t broker_fd_sync(plugsup_job *job, const Plugsup__HostCall *c,
                        broker_reply *r) {
  (void)r;
  return sync_fd(job, c, fsync);
}

uint32_t broker_fd_datasync(plugsup_job *job, const Plugsup__HostCall *c,
                            broker_reply *r) {
  (void)r;
  return sync_fd(job, c, fdatasync);
}

/* fd_seek, and fd_tell as a seek by 0 from where it is. */
static uint32_t seek(plugsup_job *job, uint64_t fd, int64_t off,
                     uint64_t whence, broker_reply *r) {
  static const int whences[] = {SEEK_SET, SEEK_CUR, SEEK_END};
  uint32_t err;
  broker_fd *e = host_entry(job, fd, &err);
  if (!e)
    return err;
  if (whence > WASI_WHENCE_END)
    return WASI_EINVAL;
  if (e->kind == BFD_DIR)
    return WASI_EISDIR;
  if (e->kind != BFD_FILE)
    return WASI_ESPIPE;
  off_t at = lseek(e->host, (off_t)off, whences[whence]);
  if (at < 0)
    return broker_errno(errno);
  r->values[0] = (uint64_t)at;
  r->nvalues = 1;
  return 0;
}

uint32_t broker_fd_seek(plugsup_job *job, const Plugsup__HostCall *c,
                        broker_reply *r) {
  return seek(job, BROKER_ARG(c, 0), (int64_t)BROKER_ARG(c, 1),
              BROKER_ARG(c, 2), r);
}

uint32_t broker_fd_tell(plugsup_job *job, const Plugsup__HostCall *c,
                        broker_reply *r) {
  return seek(job, BROKER_ARG(c, 0), 0, WASI_WHENCE_CUR, r);
}

static size_t io_len(uint64_t asked) {
  return asked < HOSTCALL_IO_MAX ? (size_t)asked : HOSTCALL_IO_MAX;
}

/* Reads into the reply, at most len bytes (pread when at >= 0). */
static uint32_t read_into(plugsup_job *job, broker_fd *e, uint64_t len,
                          int64_t at, broker_reply *r) {
  size_t n = io_len(len);
  uint32_t err = broker_charge_read(job, &n);
  if (err)
    return err;
  /* Straight into the buffer the worker maps, when there is one. */
  uint8_t *into = job->shared_bytes ? job->shared : r->data;
  ssize_t got = at < 0 ? read(e->host, into, n)
                       : pread(e->host, into, n, (off_t)at);
  if (got < 0)
    return broker_errno(errno);
  r->len = (size_t)got;
  r->shared = into != r->data;
  job->broker->bytes_read += (uint64_t)got;
  return 0;
}

uint32_t broker_fd_read(plugsup_job *job, const Plugsup__HostCall *c,
                        broker_reply *r) {
  uint32_t err;
  broker_fd *e = broker_fd_at(job->broker, BROKER_ARG(c, 0));
  if (e && e->kind == BFD_STDIN)
    return broker_stdin_read(job, c, r);
  if (!(e = readable_file(job, BROKER_ARG(c, 0), &err)))
    return err;
  return read_into(job, e, BROKER_ARG(c, 1), -1, r);
}

/* The file of a positioned call (fd_pread, fd_pwrite): ESPIPE on stdio,
** EINVAL for an offset off_t cannot hold. */
static broker_fd *positioned(plugsup_job *job, uint64_t fd, uint64_t at,
                             bool writing, uint32_t *err) {
  broker_fd *e = host_entry(job, fd, err);
  if (e && is_stdio(e))
    *err = WASI_ESPIPE;
  else if (e && at > INT64_MAX)
    *err = WASI_EINVAL;
  else if (e)
    return writing ? writable_file(job, fd, err) : readable_file(job, fd, err);
  return NULL;
}

uint32_t broker_fd_pread(plugsup_job *job, const Plugsup__HostCall *c,
                         broker_reply *r) {
  uint32_t err;
  broker_fd *e = positioned(job, BROKER_ARG(c, 0), BROKER_ARG(c, 2), false,
                            &err);
  if (!e)
    return err;
  return read_into(job, e, BROKER_ARG(c, 1), (int64_t)BROKER_ARG(c, 2), r);
}

/* Writes the call's bytes, at most what the limits leave (pwrite when
** at >= 0): from its frame, or from the shared buffer. They are the
** plugin's own bytes; that the worker could change them meanwhile
** matters to nobody. */
static uint32_t write_from(plugsup_job *job, broker_fd *e,
                           const Plugsup__HostCall *c, int64_t at,
                           broker_reply *r) {
  const uint8_t *from = c->shared_len ? job->shared
                                       : (const uint8_t *)bytes_of(&c->data);
  size_t n = io_len(c->shared_len ? c->shared_len : c->data.len);
  uint32_t err = broker_charge_write(job, e->host, at, &n);
  if (err)
    return err;
  ssize_t put = at < 0 ? write(e->host, from, n)
                       : pwrite(e->host, from, n, (off_t)at);
  if (put < 0)
    return broker_errno(errno);
  job->broker->bytes_written += (uint64_t)put;
  r->values[0] = (uint64_t)put;
  r->nvalues = 1;
  return 0;
}

uint32_t broker_fd_write(plugsup_job *job, const Plugsup__HostCall *c,
                         broker_reply *r) {
  uint32_t err;
  broker_fd *e = writable_file(job, BROKER_ARG(c, 0), &err);
  if (!e)
    return err;
  return write_from(job, e, c, -1, r);
}

uint32_t broker_fd_pwrite(plugsup_job *job, const Plugsup__HostCall *c,
                          broker_reply *r) {
  uint32_t err;
  broker_fd *e = positioned(job, BROKER_ARG(c, 0), BROKER_ARG(c, 1), true,
                            &err);
  if (!e)
    return err;
  return write_from(job, e, c, (int64_t)BROKER_ARG(c, 1), r);
}

uint32_t broker_fd_prestat_get(plugsup_job *job, const Plugsup__HostCall *c,
                               broker_reply *r) {
  broker_fd *e = broker_fd_at(job->broker, BROKER_ARG(c, 0));
  if (!e || !e->preopen)
    return WASI_EBADF;
  r->values[0] = WASI_PREOPENTYPE_DIR;
  r->values[1] = strlen(e->preopen);
  r->nvalues = 2;
  return 0;
}

uint32_t broker_fd_prestat_dir_name(plugsup_job *job,
                                    const Plugsup__HostCall *c,
                                    broker_reply *r) {
  broker_fd *e = broker_fd_at(job->broker, BROKER_ARG(c, 0));
  if (!e || !e->preopen)
    return WASI_EBADF;
  size_t n = strlen(e->preopen);
  if (BROKER_ARG(c, 1) < n)
    return WASI_ENAMETOOLONG;
  memcpy(r->data, e->preopen, n);
  r->len = n;
  return 0;
}

/* ---- fd_readdir ---- */

#define DIRENT_HEADER 24u

static uint8_t dirent_type(DIR *d, const struct dirent *de) {
  struct stat st;
  switch (de->d_type) {
  case DT_REG:
    return WASI_FILETYPE_REGULAR_FILE;
  case DT_DIR:
    return WASI_FILETYPE_DIRECTORY;
  case DT_LNK:
    return WASI_FILETYPE_SYMBOLIC_LINK;
  case DT_CHR:
    return WASI_FILETYPE_CHARACTER_DEVICE;
  case DT_BLK:
    return WASI_FILETYPE_BLOCK_DEVICE;
  case DT_SOCK:
    return WASI_FILETYPE_SOCKET_STREAM;
  case DT_FIFO:
    return WASI_FILETYPE_UNKNOWN;
  default:
    if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
      return WASI_FILETYPE_UNKNOWN;
    return broker_filetype(st.st_mode);
  }
}

static void put_le(uint8_t *p, uint64_t v, int n) {
  for (int i = 0; i < n; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

/* Appends as much of one record as fits in the len bytes asked for. */
static void put_dirent(broker_reply *r, size_t len, uint64_t next,
                       const struct dirent *de, uint8_t type) {
  uint8_t rec[DIRENT_HEADER + 256];
  size_t namlen = strlen(de->d_name);
  memset(rec, 0, DIRENT_HEADER);
  put_le(rec, next, 8);
  put_le(rec + 8, de->d_ino, 8);
  put_le(rec + 16, namlen, 4);
  rec[20] = type;
  memcpy(rec + DIRENT_HEADER, de->d_name, namlen);
  size_t n = DIRENT_HEADER + namlen, room = len - r->len;
  memcpy(r->data + r->len, rec, n < room ? n : room);
  r->len += n < room ? n : room;
}

/* The directory stream of e, positioned at cookie. */
static DIR *dir_at(broker_fd *e, uint64_t cookie, uint32_t *err) {
  if (!e->dir) {
    int fd = dup(e->host);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
      *err = broker_errno(errno);
      if (fd >= 0)
        close(fd);
      return NULL;
    }
    e->dir = d;
    e->dir_pos = UINT64_MAX;
  }
  DIR *d = e->dir;
  if (cookie < e->dir_pos) {
    rewinddir(d);
    e->dir_pos = 0;
  }
  while (e->dir_pos < cookie && readdir(d))
    e->dir_pos++;
  return d;
}

uint32_t broker_fd_readdir(plugsup_job *job, const Plugsup__HostCall *c,
                           broker_reply *r) {
  uint32_t err;
  broker_fd *e = host_entry(job, BROKER_ARG(c, 0), &err);
  size_t len = io_len(BROKER_ARG(c, 1));
  if (!e)
    return err;
  if (e->kind != BFD_DIR)
    return WASI_ENOTDIR;
  DIR *d = dir_at(e, BROKER_ARG(c, 2), &err);
  if (!d)
    return err;
  while (r->len < len) {
    struct dirent *de = readdir(d);
    if (!de)
      break;
    e->dir_pos++;
    put_dirent(r, len, e->dir_pos, de, dirent_type(d, de));
  }
  return 0;
}

/* ---- path operations ---- */

/* A name operation's parent directory, opened beneath dir; the clean
** host path is already decided. */
typedef struct named {
  int parent;
  char *copy;
  const char *last;
} named;

static uint32_t open_named(broker_fd *dir, const char *p, size_t len,
                           named *n) {
  uint32_t err = 0;
  n->parent = broker_open_parent(dir->host, p, len, &n->copy, &n->last, &err);
  return n->parent < 0 ? err : 0;
}

static void close_named(named *n) {
  if (n->parent >= 0)
    close(n->parent);
  free(n->copy);
}

/* Decides, then opens the parent of the path in data: the common start
** of every one-path name operation. */
static uint32_t decide_named(plugsup_job *job, const Plugsup__HostCall *c,
                             uint64_t fd, const ProtobufCBinaryData *path,
                             policy_access access, named *n) {
  broker_fd *dir;
  char *host;
  n->parent = -1;
  n->copy = NULL;
  uint32_t err = decide(job, c, fd, bytes_of(path), path->len,
                        access, &dir, &host);
  if (err)
    return err;
  free(host);
  err = open_named(dir, bytes_of(path), path->len, n);
  return escaped(job, c, fd, path, access, err);
}

uint32_t broker_path_create_directory(plugsup_job *job,
                                      const Plugsup__HostCall *c,
                                      broker_reply *r) {
  named n;
  (void)r;
  uint32_t err = decide_named(job, c, BROKER_ARG(c, 0), &c->data,
                              POLICY_MKDIR, &n);
  if (!err && mkdirat(n.parent, n.last, 0777) != 0)
    err = broker_errno(errno);
  close_named(&n);
  return err;
}

uint32_t broker_path_unlink_file(plugsup_job *job, const Plugsup__HostCall *c,
                                 broker_reply *r) {
  named n;
  (void)r;
  uint32_t err = decide_named(job, c, BROKER_ARG(c, 0), &c->data,
                              POLICY_WRITE, &n);
  if (!err && unlinkat(n.parent, n.last, 0) != 0)
    err = broker_errno(errno);
  close_named(&n);
  return err;
}

uint32_t broker_path_remove_directory(plugsup_job *job,
                                      const Plugsup__HostCall *c,
                                      broker_reply *r) {
  named n;
  (void)r;
  uint32_t err = decide_named(job, c, BROKER_ARG(c, 0), &c->data,
                              POLICY_WRITE, &n);
  if (!err && unlinkat(n.parent, n.last, AT_REMOVEDIR) != 0)
    err = broker_errno(errno);
  close_named(&n);
  return err;
}

uint32_t broker_path_readlink(plugsup_job *job, const Plugsup__HostCall *c,
                              broker_reply *r) {
  named n;
  uint32_t err = decide_named(job, c, BROKER_ARG(c, 0), &c->data,
                              POLICY_READ, &n);
  if (!err && is_dot_or_dotdot(n.last))
    err = WASI_EINVAL;
  if (!err) {
    size_t room = io_len(BROKER_ARG(c, 1));
    ssize_t got = readlinkat(n.parent, n.last, (char *)r->data,
                             HOSTCALL_IO_MAX);
    if (got < 0)
      err = broker_errno(errno);
    else
      r->len = (size_t)got < room ? (size_t)got : room;
  }
  close_named(&n);
  return err;
}

uint32_t broker_path_symlink(plugsup_job *job, const Plugsup__HostCall *c,
                             broker_reply *r) {
  named n;
  char *target = NULL;
  (void)r;
  /* The link is data, but one pointing at an absolute path is refused:
  ** within the run it could never be followed, and outside it, other
  ** programs would follow it. */
  if (memchr(bytes_of(&c->data), '\0', c->data.len))
    return WASI_EINVAL;
  if (c->data.len && c->data.data[0] == '/')
    return WASI_ENOTCAPABLE;
  uint32_t err = decide_named(job, c, BROKER_ARG(c, 0), &c->data2,
                              POLICY_WRITE, &n);
  if (!err && !(target = strndup(bytes_of(&c->data), c->data.len)))
    err = WASI_ENOMEM;
  if (!err && symlinkat(target, n.parent, n.last) != 0)
    err = broker_errno(errno);
  free(target);
  close_named(&n);
  return err;
}

/* Both ends of a two-path operation (rename, link). */
static uint32_t decide_two(plugsup_job *job, const Plugsup__HostCall *c,
                           uint64_t ofd, policy_access oacc, uint64_t nfd,
                           named *o, named *n) {
  n->parent = -1;
  n->copy = NULL;
  uint32_t err = decide_named(job, c, ofd, &c->data, oacc, o);
  if (!err)
    err = decide_named(job, c, nfd, &c->data2, POLICY_WRITE, n);
  return err;
}

uint32_t broker_path_rename(plugsup_job *job, const Plugsup__HostCall *c,
                            broker_reply *r) {
  named o, n;
  (void)r;
  uint32_t err = decide_two(job, c, BROKER_ARG(c, 0), POLICY_WRITE,
                            BROKER_ARG(c, 1), &o, &n);
  if (!err && renameat(o.parent, o.last, n.parent, n.last) != 0)
    err = broker_errno(errno);
  close_named(&o);
  close_named(&n);
  return err;
}

uint32_t broker_path_link(plugsup_job *job, const Plugsup__HostCall *c,
                          broker_reply *r) {
  named o, n;
  (void)r;
  bool follow = BROKER_ARG(c, 1) & WASI_LOOKUP_SYMLINK_FOLLOW;
  uint32_t err = decide_two(job, c, BROKER_ARG(c, 0), POLICY_READ,
                            BROKER_ARG(c, 2), &o, &n);
  if (!err && follow) {
    /* The source is opened beneath its directory first, so a symlink
    ** cannot lead the link out of the tree. */
    int fd = broker_open_beneath(o.parent, o.last, O_PATH, 0, true);
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    if (fd < 0)
      err = escaped(job, c, BROKER_ARG(c, 0), &c->data, POLICY_READ,
                    broker_errno(errno));
    else if (linkat(AT_FDCWD, proc, n.parent, n.last, AT_SYMLINK_FOLLOW) != 0)
      err = broker_errno(errno);
    if (fd >= 0)
      close(fd);
  } else if (!err && linkat(o.parent, o.last, n.parent, n.last, 0) != 0) {
    err = broker_errno(errno);
  }
  close_named(&o);
  close_named(&n);
  return err;
}

/* Opens what the path names beneath its directory, as O_PATH, following
** a final symlink when flags say so. */
static uint32_t open_path(plugsup_job *job, const Plugsup__HostCall *c,
                          uint64_t fd, uint64_t flags, policy_access access,
                          int *out) {
  broker_fd *dir;
  char *host;
  uint32_t err = decide(job, c, fd, PATH_ARG(c), access, &dir, &host);
  if (err)
    return err;
  free(host);
  char *p = strndup(bytes_of(&c->data), c->data.len);
  if (!p)
    return WASI_ENOMEM;
  *out = broker_open_beneath(dir->host, p, O_PATH, 0,
                             flags & WASI_LOOKUP_SYMLINK_FOLLOW);
  free(p);
  return *out < 0 ? escaped(job, c, fd, &c->data, access, broker_errno(errno))
                  : 0;
}

uint32_t broker_path_filestat_get(plugsup_job *job,
                                  const Plugsup__HostCall *c,
                                  broker_reply *r) {
  int fd = -1;
  struct stat st;
  uint32_t err = open_path(job, c, BROKER_ARG(c, 0), BROKER_ARG(c, 1),
                           POLICY_READ, &fd);
  if (!err && fstat(fd, &st) != 0)
    err = broker_errno(errno);
  if (!err)
    put_filestat(r, &st);
  if (fd >= 0)
    close(fd);
  return err;
}

uint32_t broker_path_filestat_set_times(plugsup_job *job,
                                        const Plugsup__HostCall *c,
                                        broker_reply *r) {
  int fd = -1;
  struct timespec ts[2];
  (void)r;
  uint32_t err = fst_times(BROKER_ARG(c, 2), BROKER_ARG(c, 3),
                           BROKER_ARG(c, 4), ts);
  if (!err)
    err = open_path(job, c, BROKER_ARG(c, 0), BROKER_ARG(c, 1), POLICY_WRITE,
                    &fd);
  if (!err)
    err = set_times_fd(fd, ts);
  if (fd >= 0)
    close(fd);
  return err;
}

/* ---- path_open ---- */

typedef struct open_req {
  uint64_t dirflags, oflags, rights, inheriting, fdflags;
  bool read, write; /* the host descriptor's mode */
} open_req;

static int open_flags(const open_req *o) {
  int fl = o->read && o->write ? O_RDWR : o->write ? O_WRONLY : O_RDONLY;
  if (o->oflags & WASI_O_CREAT)
    fl |= O_CREAT;
  if (o->oflags & WASI_O_EXCL)
    fl |= O_EXCL;
  if (o->oflags & WASI_O_DIRECTORY)
    fl |= O_DIRECTORY;
  if (o->fdflags & WASI_FDFLAG_APPEND)
    fl |= O_APPEND;
  if (o->fdflags & WASI_FDFLAG_DSYNC)
    fl |= O_DSYNC;
  if (o->fdflags & WASI_FDFLAG_SYNC)
    fl |= O_SYNC;
  if (o->fdflags & WASI_FDFLAG_RSYNC)
    fl |= O_RSYNC;
  /* Never wait in open(): a FIFO in a granted directory would hold the
  ** whole supervisor. Cleared again below. */
  return fl | O_NONBLOCK;
}

/* After opening: the policy is asked again about where the file really
** is, in case a symlink inside the tree led elsewhere in it. */
static bool real_path_granted(plugsup_job *job, int fd, const char *host,
                              policy_access access, char **real) {
  char proc[64], buf[PATH_MAX + 1], cap[512];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(proc, buf, PATH_MAX);
  *real = NULL;
  if (n <= 0)
    return true;
  buf[n] = '\0';
  if (strcmp(buf, host) == 0)
    return true;
  *real = strdup(buf);
  return broker_may_access(job->broker, buf, access, cap, sizeof cap);
}

static uint32_t new_entry(plugsup_job *job, int host, char *path,
                          const open_req *o, broker_reply *r) {
  struct stat st;
  if (fstat(host, &st) != 0)
    return broker_errno(errno);
  int64_t fd = broker_fd_alloc(job);
  if (fd < 0)
    return WASI_EMFILE;
  broker_fd *e = &job->broker->fds[fd];
  bool dir = S_ISDIR(st.st_mode);
  e->kind = dir ? BFD_DIR : BFD_FILE;
  e->host = host;
  e->path = path;
  e->readable = o->read;
  e->writable = o->write;
  e->may_write = o->write || broker_may_access(job->broker, path,
                                               POLICY_WRITE, NULL, 0);
  e->rights = o->rights & (dir ? DIR_RIGHTS : FILE_RIGHTS);
  if (!dir)
    e->rights |= (o->read ? R(FD_READ) : 0) | (o->write ? R(FD_WRITE) : 0);
  e->inheriting = o->inheriting;
  e->fdflags = (uint16_t)o->fdflags;
  job->broker->open_files++;
  r->values[0] = (uint64_t)fd;
  r->nvalues = 1;
  return 0;
}

/* O_TRUNC on what was opened, whatever its mode (as open(2) does):
** through the descriptor's path, which needs write permission on the
** file, not a write mode. */
static uint32_t truncate_opened(int fd) {
  char proc[64];
  struct stat st;
  if (fstat(fd, &st) != 0)
    return broker_errno(errno);
  if (!S_ISREG(st.st_mode))
    return 0;
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  if (ftruncate(fd, 0) == 0 || truncate(proc, 0) == 0)
    return 0;
  return broker_errno(errno);
}

uint32_t broker_path_open(plugsup_job *job, const Plugsup__HostCall *c,
                          broker_reply *r) {
  open_req o = {BROKER_ARG(c, 1), BROKER_ARG(c, 2), BROKER_ARG(c, 3),
                BROKER_ARG(c, 4), BROKER_ARG(c, 5), false, false};
  broker_fd *dir;
  char *host = NULL, *real = NULL, *p = NULL;
  int fd = -1;
  uint32_t err;

  o.read = (o.rights & READ_RIGHTS) != 0;
  o.write = (o.rights & WRITE_RIGHTS) != 0 ||
            (o.fdflags & WASI_FDFLAG_APPEND);
  /* A directory is opened for reading whatever rights it inherits (a
  ** directory's own rights list sync); only asking to write it fails. */
  if (o.oflags & WASI_O_DIRECTORY) {
    if (o.rights & R(FD_WRITE))
      return WASI_EISDIR;
    o.write = false;
  }
  if (!o.read && !o.write)
    o.read = true;
  bool trunc = o.oflags & WASI_O_TRUNC;
  policy_access access = o.write || trunc || (o.oflags & WASI_O_CREAT)
                             ? POLICY_WRITE
                             : POLICY_READ;
  if ((err = broker_check_open_files(job)) != 0)
    return err;
  if ((err = decide(job, c, BROKER_ARG(c, 0), PATH_ARG(c), access, &dir,
                    &host)) != 0)
    return err;
  /* Rights only ever narrow what the policy grants: a directory whose
  ** plugin dropped the right to set sizes cannot truncate through it. */
  if (trunc && !(dir->rights & R(PATH_FILESTAT_SET_SIZE)))
    err = WASI_ENOTCAPABLE;
  if (!err && !(p = strndup(bytes_of(&c->data), c->data.len)))
    err = WASI_ENOMEM;
  if (err)
    goto fail;
  /* O_TRUNC waits until the real path is known to be granted. */
  fd = broker_open_beneath(dir->host, p, open_flags(&o), 0666,
                           o.dirflags & WASI_LOOKUP_SYMLINK_FOLLOW);
  /* Rights a directory may hold (sync) asked a write mode of it: it is
  ** opened for reading, as wasmtime does, unless writing was asked. */
  if (fd < 0 && errno == EISDIR && !(o.rights & R(FD_WRITE)) && !trunc &&
      !(o.oflags & WASI_O_CREAT)) {
    o.write = false;
    o.read = true;
    fd = broker_open_beneath(dir->host, p, open_flags(&o), 0,
                             o.dirflags & WASI_LOOKUP_SYMLINK_FOLLOW);
  }
  if (fd < 0) {
    err = escaped(job, c, BROKER_ARG(c, 0), &c->data, access,
                  broker_errno(errno));
    goto fail;
  }
  if (!real_path_granted(job, fd, host, access, &real)) {
    err = WASI_ENOTCAPABLE;
    broker_audit_path(job, c, BROKER_ARG(c, 0), PATH_ARG(c), real,
                      access == POLICY_WRITE ? "write" : "read", false, NULL,
                      "a symlink leads outside the grant", err);
    goto fail;
  }
  if (!(o.fdflags & WASI_FDFLAG_NONBLOCK))
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  if (trunc && (err = truncate_opened(fd)) != 0)
    goto fail;
  if (real) {
    free(host);
    host = real;
    real = NULL;
  }
  if ((err = new_entry(job, fd, host, &o, r)) != 0)
    goto fail;
  free(p);
  return 0;
fail:
  if (fd >= 0)
    close(fd);
  free(host);
  free(real);
  free(p);
  return err;
}
