/*
** plugin.c: a plugin is its bytes, shared by reference count. The
** supervisor never looks inside them: only a sandboxed worker does.
*/
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static plugsup_status plugin_alloc(size_t len, plugsup_plugin **out) {
  plugsup_plugin *p = malloc(sizeof *p + len);
  if (!p)
    return sup_fail(PLUGSUP_ENOMEM, "cannot allocate %zu bytes for a plugin",
                    len);
  atomic_init(&p->refs, 1);
  atomic_init(&p->connections, 0);
  p->len = len;
  *out = p;
  return PLUGSUP_OK;
}

plugsup_status plugsup_plugin_from_bytes(const void *bytes, size_t len,
                                         plugsup_plugin **out) {
  if (!out)
    return sup_fail(PLUGSUP_EINVAL, "plugsup_plugin_from_bytes: out is NULL");
  *out = NULL;
  if (!bytes || len == 0)
    return sup_fail(PLUGSUP_EINVAL, "a plugin needs at least one byte");
  if (len > SUP_PLUGIN_MAX)
    return sup_fail(PLUGSUP_ETOOBIG, "plugin of %zu bytes exceeds %u bytes",
                    len, (unsigned)SUP_PLUGIN_MAX);
  plugsup_status st = plugin_alloc(len, out);
  if (st == PLUGSUP_OK)
    memcpy((*out)->bytes, bytes, len);
  return st;
}

static plugsup_status open_error(const char *path, int err) {
  plugsup_status st = err == ENOENT || err == ENOTDIR ? PLUGSUP_ENOENT
                      : err == EACCES || err == EPERM ? PLUGSUP_EACCES
                                                      : PLUGSUP_EIO;
  return sup_fail(st, "cannot open '%s': %s", path, strerror(err));
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

plugsup_status plugsup_plugin_load_file(const char *path,
                                        plugsup_plugin **out) {
  if (!out || !path)
    return sup_fail(PLUGSUP_EINVAL, "plugsup_plugin_load_file: NULL argument");
  *out = NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return open_error(path, errno);
  struct stat sb;
  plugsup_status st = PLUGSUP_OK;
  if (fstat(fd, &sb) != 0) {
    st = sup_fail(PLUGSUP_EIO, "cannot stat '%s': %s", path, strerror(errno));
    goto done;
  }
  if ((st = check_size(path, &sb)) != PLUGSUP_OK)
    goto done;
  if ((st = plugin_alloc((size_t)sb.st_size, out)) != PLUGSUP_OK)
    goto done;
  if ((st = read_all(fd, path, (*out)->bytes, (*out)->len)) != PLUGSUP_OK) {
    free(*out);
    *out = NULL;
  }
done:
  close(fd);
  return st;
}

void sup_plugin_ref(plugsup_plugin *p) {
  atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
}

void plugsup_plugin_free(plugsup_plugin *p) {
  if (p && atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) == 1)
    free(p);
}
