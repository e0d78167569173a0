/*
** plugin.c: a plugin is its bytes, shared by reference count. The
** supervisor never looks inside them: only a sandboxed worker does. They
** live in a sealed memfd where the kernel allows (internal.h says why).
*/
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* Buffer of the last way of copying a file in, when the kernel copies it
** no other way. */
#define COPY_BUFFER_BYTES (64u << 10)

static plugsup_status plugin_alloc(size_t len, plugsup_plugin **out) {
  plugsup_plugin *p = malloc(sizeof *p);
  if (!p)
    return sup_fail(PLUGSUP_ENOMEM, "cannot allocate a plugin");
  atomic_init(&p->refs, 1);
  atomic_init(&p->connections, 0);
  p->len = len;
  p->bytes = NULL;
  p->fd = -1;
  *out = p;
  return PLUGSUP_OK;
}

static void plugin_release(plugsup_plugin *p) {
  if (p->fd >= 0) {
    if (p->bytes)
      munmap((void *)p->bytes, p->len);
    close(p->fd);
  } else {
    free((void *)p->bytes);
  }
  free(p);
}

/* The plugin's memfd, at its final size and sealed against changing it,
** for the bytes to be written in; false (fd stays -1) where the kernel
** refuses a memfd or its seals (an old kernel, an embedder's seccomp
** filter): the plugin is then a malloc'd copy. Sealing before a byte is
** read means the file is read once either way. */
static bool open_memfd(plugsup_plugin *p) {
  int fd = memfd_create("plugsup-plugin", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    return false;
  if (ftruncate(fd, (off_t)p->len) != 0 ||
      fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) != 0) {
    close(fd);
    return false;
  }
  p->fd = fd;
  return true;
}

/* Once written: sealed against writes too (and further sealing), then
** mapped. Workers and zygotes get the fd itself; the seals are what keep
** one of them that is hostile from changing the bytes others see. Not
** MAP_POPULATE: the supervisor reads the bytes only when the manager
** hashes them, and populating cost 0.2 to 0.3 ms per MB of every load
** that never reads them (measured; hashing was no faster with it). */
static plugsup_status seal_and_map(plugsup_plugin *p) {
  void *m;
  if (fcntl(p->fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SEAL) != 0)
    return sup_fail(PLUGSUP_ESYSTEM, "cannot seal a plugin's memfd: %s",
                    strerror(errno));
  m = mmap(NULL, p->len, PROT_READ, MAP_PRIVATE, p->fd, 0);
  if (m == MAP_FAILED)
    return sup_fail(PLUGSUP_ENOMEM, "cannot map %zu bytes for a plugin: %s",
                    p->len, strerror(errno));
  p->bytes = m;
  return PLUGSUP_OK;
}

static plugsup_status alloc_copy(plugsup_plugin *p) {
  if (!(p->bytes = malloc(p->len)))
    return sup_fail(PLUGSUP_ENOMEM, "cannot allocate %zu bytes for a plugin",
                    p->len);
  return PLUGSUP_OK;
}

/* Writes all of buf[0..len) to fd; -1 with errno. */
static int write_all(int fd, const uint8_t *buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = write(fd, buf + done, len - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -1;
    done += (size_t)n;
  }
  return 0;
}

plugsup_status plugsup_plugin_from_bytes(const void *bytes, size_t len,
                                         plugsup_plugin **out) {
  plugsup_plugin *p = NULL;
  plugsup_status st;
  if (!out)
    return sup_fail(PLUGSUP_EINVAL, "plugsup_plugin_from_bytes: out is NULL");
  *out = NULL;
  if (!bytes || len == 0)
    return sup_fail(PLUGSUP_EINVAL, "a plugin needs at least one byte");
  if (len > SUP_PLUGIN_MAX)
    return sup_fail(PLUGSUP_ETOOBIG, "plugin of %zu bytes exceeds %u bytes",
                    len, (unsigned)SUP_PLUGIN_MAX);
  if ((st = plugin_alloc(len, &p)) != PLUGSUP_OK)
    return st;
  if (!open_memfd(p)) {
    if ((st = alloc_copy(p)) != PLUGSUP_OK)
      goto fail;
    memcpy((void *)p->bytes, bytes, len);
  } else if (write_all(p->fd, bytes, len) != 0) {
    st = sup_fail(PLUGSUP_ESYSTEM, "cannot write a plugin's memfd: %s",
                  strerror(errno));
    goto fail;
  } else if ((st = seal_and_map(p)) != PLUGSUP_OK) {
    goto fail;
  }
  *out = p;
  return PLUGSUP_OK;
fail:
  plugin_release(p);
  return st;
}

static plugsup_status open_error(const char *path, int err) {
  plugsup_status st = err == ENOENT || err == ENOTDIR ? PLUGSUP_ENOENT
                      : err == EACCES || err == EPERM ? PLUGSUP_EACCES
                                                      : PLUGSUP_EIO;
  return sup_fail(st, "cannot open '%s': %s", path, strerror(err));
}

/* Ways to copy the file into the memfd, tried in this order: in the
** kernel while it agrees, else through a buffer. */
typedef enum copy_way { COPY_RANGE, COPY_SENDFILE, COPY_BUFFER } copy_way;

/* The kernel will not copy this way between these files (an old kernel,
** two file systems, a file system without splice): the next way may. */
static bool refused(int err) {
  return err == EXDEV || err == EINVAL || err == ENOSYS || err == EOPNOTSUPP;
}

/* Moves up to n bytes from in to out, at both files' offsets: how many,
** 0 at the end of in, or -1 with errno. */
static ssize_t copy_some(copy_way way, int in, int out, size_t n,
                         uint8_t **buf) {
  ssize_t got;
  if (way == COPY_RANGE)
    return copy_file_range(in, NULL, out, NULL, n, 0);
  if (way == COPY_SENDFILE)
    return sendfile(out, in, NULL, n);
  if (!*buf && !(*buf = malloc(COPY_BUFFER_BYTES)))
    return -1;
  got = read(in, *buf, n < COPY_BUFFER_BYTES ? n : COPY_BUFFER_BYTES);
  if (got > 0 && write_all(out, *buf, (size_t)got) != 0)
    return -1;
  return got;
}

/* Copies exactly len bytes of the file into the memfd; a file that
** shrinks underneath is EIO, and bytes it grew by are not read. */
static plugsup_status copy_file(int in, const char *path, int out,
                                size_t len) {
  copy_way way = COPY_RANGE;
  uint8_t *buf = NULL;
  size_t done = 0;
  plugsup_status st = PLUGSUP_OK;
  while (done < len) {
    ssize_t n = copy_some(way, in, out, len - done, &buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && way != COPY_BUFFER && refused(errno)) {
      way++;
      continue;
    }
    if (n < 0) {
      st = sup_fail(PLUGSUP_EIO, "cannot read '%s': %s", path,
                    strerror(errno));
      break;
    }
    if (n == 0) {
      st = sup_fail(PLUGSUP_EIO, "'%s' shrank while being read", path);
      break;
    }
    done += (size_t)n;
  }
  free(buf);
  return st;
}

/* Reads exactly len bytes; a file that changes size underneath is EIO. */
static plugsup_status read_all(int fd, const char *path, uint8_t *buf,
                               size_t len) {
  size_t have = 0;
  while (have < len) {
    ssize_t n = read(fd, buf + have, len - have);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return sup_fail(PLUGSUP_EIO, "cannot read '%s': %s", path,
                      strerror(errno));
    if (n == 0)
      return sup_fail(PLUGSUP_EIO, "'%s' shrank while being read", path);
    have += (size_t)n;
  }
  return PLUGSUP_OK;
}

static plugsup_status check_size(const char *path, const struct stat *st) {
  if (S_ISDIR(st->st_mode))
    return sup_fail(PLUGSUP_EIO, "'%s' is a directory, not a plugin", path);
  if (!S_ISREG(st->st_mode))
    return sup_fail(PLUGSUP_EIO, "'%s' is not a regular file", path);
  if (st->st_size == 0)
    return sup_fail(PLUGSUP_EIO, "'%s' is empty", path);
  if ((uint64_t)st->st_size > SUP_PLUGIN_MAX)
    return sup_fail(PLUGSUP_ETOOBIG, "'%s' is %lld bytes; the most is %u",
                    path, (long long)st->st_size, (unsigned)SUP_PLUGIN_MAX);
  return PLUGSUP_OK;
}

/* The size is the open file's, and exactly that many bytes are read from
** it, once: the plugin is what the file held when it was opened, or an
** error, never a mix of two sizes. */
plugsup_status plugsup_plugin_load_file(const char *path,
                                        plugsup_plugin **out) {
  plugsup_plugin *p = NULL;
  struct stat sb;
  plugsup_status st;
  if (!out || !path)
    return sup_fail(PLUGSUP_EINVAL, "plugsup_plugin_load_file: NULL argument");
  *out = NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return open_error(path, errno);
  if (fstat(fd, &sb) != 0) {
    st = sup_fail(PLUGSUP_EIO, "cannot stat '%s': %s", path, strerror(errno));
    goto done;
  }
  if ((st = check_size(path, &sb)) != PLUGSUP_OK ||
      (st = plugin_alloc((size_t)sb.st_size, &p)) != PLUGSUP_OK)
    goto done;
  if (open_memfd(p)) {
    if ((st = copy_file(fd, path, p->fd, p->len)) == PLUGSUP_OK)
      st = seal_and_map(p);
  } else if ((st = alloc_copy(p)) == PLUGSUP_OK) {
    st = read_all(fd, path, (uint8_t *)p->bytes, p->len);
  }
  if (st == PLUGSUP_OK) {
    *out = p;
    p = NULL;
  }
done:
  if (p)
    plugin_release(p);
  close(fd);
  return st;
}

void sup_plugin_ref(plugsup_plugin *p) {
  atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
}

void plugsup_plugin_free(plugsup_plugin *p) {
  if (p && atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) == 1)
    plugin_release(p);
}
