/*
** policies.c: the public plugsup_policy_* calls, on top of policy/. Here
** is the I/O that policy/ may not do: looking directories up, reading the
** environment and policy files.
*/
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "policy.h"

/* A policy file larger than this is refused unread: policies are short,
** and the file may be anything a user points at. */
#define SUP_POLICY_FILE_MAX (1u << 20)

/* policy/ says "out of memory" in words; every other refusal is EINVAL. */
static plugsup_status refused(const char *why) {
  return sup_fail(strcmp(why, "out of memory") == 0 ? PLUGSUP_ENOMEM
                                                     : PLUGSUP_EINVAL,
                  "%s", why);
}

static plugsup_status status_of_errno(int e) {
  return e == ENOENT || e == ENOTDIR ? PLUGSUP_ENOENT
         : e == EACCES || e == EPERM ? PLUGSUP_EACCES
         : e == ENOMEM               ? PLUGSUP_ENOMEM
                                     : PLUGSUP_EIO;
}

plugsup_status plugsup_policy_new(plugsup_policy **out) {
  plugsup_policy *p = calloc(1, sizeof *p);
  *out = NULL;
  if (!p || !(p->rules = policy_new())) {
    free(p);
    return sup_fail(PLUGSUP_ENOMEM, "out of memory");
  }
  atomic_init(&p->refs, 1);
  *out = p;
  return PLUGSUP_OK;
}

/* The count is the one field of a shared policy that changes: jobs take
** and drop references from any thread. */
void sup_policy_ref(const plugsup_policy *p) {
  atomic_fetch_add(&((plugsup_policy *)p)->refs, 1);
}

void sup_policy_unref(const plugsup_policy *p) {
  plugsup_policy *mp = (plugsup_policy *)p;
  if (!mp || atomic_fetch_sub(&mp->refs, 1) != 1)
    return;
  policy_free(mp->rules);
  free(mp);
}

void plugsup_policy_free(plugsup_policy *pol) { sup_policy_unref(pol); }

plugsup_status plugsup_policy_allow(plugsup_policy *pol,
                                    const char *capability) {
  char err[512];
  if (!pol || !capability)
    return sup_fail(PLUGSUP_EINVAL, "no policy or no capability");
  if (policy_allow(pol->rules, capability, err, sizeof err) < 0)
    return refused(err);
  return PLUGSUP_OK;
}

/* The guest path of a dir given without one: as written when absolute or
** ".", as wasmtime's --dir; a relative host path has no meaning inside
** the plugin, so it gets the absolute one. */
static const char *default_guest(const char *host_dir, const char *real) {
  return host_dir[0] == '/' || strcmp(host_dir, ".") == 0 ? host_dir : real;
}

plugsup_status plugsup_policy_add_dir(plugsup_policy *pol,
                                      const char *host_dir,
                                      const char *guest_path, bool writable) {
  char real[PATH_MAX], err[512];
  struct stat st;
  if (!pol || !host_dir)
    return sup_fail(PLUGSUP_EINVAL, "no policy or no directory");
  if (guest_path && guest_path[0] != '/' && strcmp(guest_path, ".") != 0)
    return sup_fail(PLUGSUP_EINVAL, "guest path '%s' must be absolute",
                    guest_path);
  /* realpath resolves symlinks and "..", so the grant names the directory
  ** itself, as the broker will find it. */
  if (!realpath(host_dir, real) || stat(real, &st) < 0)
    return sup_fail(status_of_errno(errno), "cannot grant '%s': %s", host_dir,
                    strerror(errno));
  if (!S_ISDIR(st.st_mode))
    return sup_fail(PLUGSUP_ENOENT, "cannot grant '%s': not a directory",
                    host_dir);
  if (!guest_path)
    guest_path = default_guest(host_dir, real);
  if (policy_add_dir(pol->rules, real, guest_path, writable, err,
                     sizeof err) < 0)
    return refused(err);
  return PLUGSUP_OK;
}

plugsup_status plugsup_policy_set_env(plugsup_policy *pol,
                                      const char *name, const char *value) {
  char err[512];
  if (!pol || !name)
    return sup_fail(PLUGSUP_EINVAL, "no policy or no variable name");
  if (!value && *name && !strchr(name, '=') && !(value = getenv(name)))
    return PLUGSUP_OK; /* not set here: the plugin sees nothing */
  if (policy_set_env(pol->rules, name, value, err, sizeof err) < 0)
    return refused(err);
  return PLUGSUP_OK;
}

plugsup_status plugsup_policy_load_json(plugsup_policy *pol,
                                        const char *source_name,
                                        const char *json, size_t len) {
  char err[1024];
  if (!pol || !json)
    return sup_fail(PLUGSUP_EINVAL, "no policy or no JSON");
  if (policy_parse_json(pol->rules, source_name ? source_name : "(json)",
                        json, len, err, sizeof err) < 0)
    return refused(err);
  return PLUGSUP_OK;
}

int sup_read_file(const char *path, size_t max, char **out, size_t *len) {
  char *buf = NULL;
  size_t n = 0, cap = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC), e = 0;
  if (fd < 0)
    return SUP_READ_OPEN;
  for (;;) {
    if (n == cap) {
      /* One byte past the bound shows that the file is too large. */
      size_t next = cap ? cap * 2 : 4096;
      next = next > max ? max + 1 : next;
      char *grown = n > max ? NULL : realloc(buf, next);
      if (!grown) {
        e = n > max ? EFBIG : ENOMEM;
        goto fail;
      }
      buf = grown;
      cap = next;
    }
    ssize_t got = read(fd, buf + n, cap - n);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0) {
      e = errno;
      goto fail;
    }
    if (got == 0)
      break;
    n += (size_t)got;
  }
  close(fd);
  *out = buf;
  *len = n;
  return 0;
fail:
  free(buf);
  close(fd);
  errno = e;
  return SUP_READ_FAILED;
}

static plugsup_status read_policy_file(const char *path, char **out,
                                       size_t *len) {
  int rc = sup_read_file(path, SUP_POLICY_FILE_MAX, out, len);
  if (rc == 0)
    return PLUGSUP_OK;
  if (errno == EFBIG)
    return sup_fail(PLUGSUP_EINVAL, "policy '%s' is larger than 1 MiB", path);
  if (errno == ENOMEM)
    return sup_fail(PLUGSUP_ENOMEM, "out of memory");
  if (rc == SUP_READ_OPEN)
    return sup_fail(status_of_errno(errno), "cannot open policy '%s': %s",
                    path, strerror(errno));
  return sup_fail(PLUGSUP_EIO, "cannot read policy '%s': %s", path,
                  strerror(errno));
}

plugsup_status plugsup_policy_load_file(plugsup_policy *pol,
                                        const char *path) {
  char *text = NULL;
  size_t len = 0;
  if (!pol || !path)
    return sup_fail(PLUGSUP_EINVAL, "no policy or no path");
  plugsup_status s = read_policy_file(path, &text, &len);
  if (s != PLUGSUP_OK)
    return s;
  s = plugsup_policy_load_json(pol, path, text, len);
  free(text);
  return s;
}

plugsup_status plugsup_policy_intersect(const plugsup_policy *grant,
                                        const plugsup_policy *request,
                                        plugsup_policy **out) {
  plugsup_policy *p = NULL;
  if (out)
    *out = NULL;
  if (!grant || !request || !out)
    return sup_fail(PLUGSUP_EINVAL, "no grant, no request or no out");
  plugsup_status s = plugsup_policy_new(&p);
  if (s != PLUGSUP_OK)
    return s;
  policy *both = policy_intersect(grant->rules, request->rules);
  if (!both) {
    plugsup_policy_free(p);
    return sup_fail(PLUGSUP_ENOMEM, "out of memory");
  }
  policy_free(p->rules);
  p->rules = both;
  *out = p;
  return PLUGSUP_OK;
}

char *plugsup_policy_describe(const plugsup_policy *pol) {
  return pol ? policy_describe(pol->rules) : NULL;
}
