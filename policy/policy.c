/*
** policy.c: the policy object, what it holds, its description, and the
** decisions over it.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_internal.h"

bool pol_grow(void **at, size_t *cap, size_t n, size_t elem) {
  if (n < *cap)
    return true;
  size_t next = *cap ? *cap * 2 : 4;
  void *grown = next < SIZE_MAX / elem ? realloc(*at, next * elem) : NULL;
  if (!grown)
    return false;
  *at = grown;
  *cap = next;
  return true;
}

int pol_err(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  if (err && errlen) {
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return -1;
}

policy *policy_new(void) { return calloc(1, sizeof(policy)); }

void policy_free(policy *p) {
  if (!p)
    return;
  for (size_t i = 0; i < p->grants.n; i++)
    free(p->grants.at[i].text);
  for (size_t i = 0; i < p->dirs.n; i++) {
    free((char *)p->dirs.at[i].po.host);
    free((char *)p->dirs.at[i].po.guest);
  }
  for (size_t i = 0; i < p->roots.n; i++)
    free((char *)p->roots.at[i].host); /* guest is the same string */
  for (size_t i = 0; i < p->env.n; i++) {
    free((char *)p->env.at[i].name);
    free((char *)p->env.at[i].value);
  }
  free(p->grants.at);
  free(p->dirs.at);
  free(p->roots.at);
  free(p->env.at);
  free(p->tmp_guest);
  policy_free(p->request);
  free(p);
}

/* strdup that keeps NULL, setting *failed when out of memory. */
static char *dup_or_null(const char *s, bool *failed) {
  char *d = s ? strdup(s) : NULL;
  if (s && !d)
    *failed = true;
  return d;
}

/* Copies the vectors' memory; the strings are copied one by one after. */
#define POL_COPY_VEC(dst, src, failed)                                   \
  do {                                                                   \
    (dst).at = (src).n ? malloc((src).n * sizeof *(src).at) : NULL;      \
    (dst).n = (dst).cap = (dst).at ? (src).n : 0;                        \
    if ((src).n && !(dst).at)                                            \
      failed = true;                                                     \
  } while (0)

policy *pol_clone(const policy *p) {
  policy *q = policy_new();
  bool failed = false;
  if (!q)
    return NULL;
  q->limits = p->limits;
  q->no_mkdir = p->no_mkdir;
  q->https_only = p->https_only;
  q->tmp_guest = dup_or_null(p->tmp_guest, &failed);
  if (p->request && !(q->request = pol_clone(p->request)))
    failed = true;
  POL_COPY_VEC(q->grants, p->grants, failed);
  for (size_t i = 0; i < q->grants.n; i++) {
    const pol_grant *g = &p->grants.at[i];
    char *text = dup_or_null(g->text, &failed);
    q->grants.at[i] = (pol_grant){g->kind, text,
                                  text ? text + (g->arg - g->text) : NULL};
  }
  POL_COPY_VEC(q->dirs, p->dirs, failed);
  for (size_t i = 0; i < q->dirs.n; i++)
    q->dirs.at[i] = (pol_dir){
        {dup_or_null(p->dirs.at[i].po.host, &failed),
         dup_or_null(p->dirs.at[i].po.guest, &failed)},
        p->dirs.at[i].writable};
  POL_COPY_VEC(q->roots, p->roots, failed);
  for (size_t i = 0; i < q->roots.n; i++) {
    char *root = dup_or_null(p->roots.at[i].host, &failed);
    q->roots.at[i] = (policy_preopen){root, root};
  }
  POL_COPY_VEC(q->env, p->env, failed);
  for (size_t i = 0; i < q->env.n; i++)
    q->env.at[i] = (policy_env_var){dup_or_null(p->env.at[i].name, &failed),
                                    dup_or_null(p->env.at[i].value, &failed)};
  if (failed) {
    policy_free(q);
    return NULL;
  }
  return q;
}

void pol_swap(policy *a, policy *b) {
  policy t = *a;
  *a = *b;
  *b = t;
}

/* ---- adding ---- */

int policy_allow(policy *p, const char *cap, char *err, size_t errlen) {
  char why[512];
  if (pol_apply_line(p, cap, why, sizeof why) == 0)
    return 0;
  /* A long line is cut in the message, so that the reason still fits. */
  bool cut = strlen(cap) > 200;
  return pol_err(err, errlen, "capability '%.200s%s': %s", cap,
                 cut ? "..." : "", why);
}

/* Host and guest of a preopen, cleaned; -1 with the reason. */
static int dir_paths(const char *host, const char *guest, char **h, char **g,
                     char *err, size_t errlen) {
  const char *bad;
  if (host[0] != '/')
    return pol_err(err, errlen, "host path '%s' must be absolute", host);
  if (!(*h = pol_path_clean(host, &bad)))
    return pol_err(err, errlen, "host path '%s': %s", host, bad);
  /* "::" separates host from guest in dir: lines and --dir, at its first
  ** occurrence: a host ending in ':' would move it. */
  if (strstr(*h, "::") || (*h)[strlen(*h) - 1] == ':')
    return pol_err(err, errlen, "host path '%s' cannot contain '::' or end "
                   "with ':'", host);
  if (strcmp(guest, ".") == 0)
    *g = strdup(".");
  else if (guest[0] != '/')
    return pol_err(err, errlen, "guest path '%s' must be absolute", guest);
  else if (!(*g = pol_path_clean(guest, &bad)))
    return pol_err(err, errlen, "guest path '%s': %s", guest, bad);
  return *g ? 0 : pol_err(err, errlen, "out of memory");
}

/* Drops the root preopen that the dir host::guest now stands for. */
static void drop_root(policy *p, const char *host, const char *guest) {
  if (strcmp(host, guest) != 0)
    return;
  for (size_t i = 0; i < p->roots.n; i++)
    if (strcmp(p->roots.at[i].host, host) == 0) {
      free((char *)p->roots.at[i].host);
      memmove(&p->roots.at[i], &p->roots.at[i + 1],
              (p->roots.n - i - 1) * sizeof *p->roots.at);
      p->roots.n--;
      return;
    }
}

int policy_add_dir(policy *p, const char *host, const char *guest,
                   bool writable, char *err, size_t errlen) {
  char *h = NULL, *g = NULL;
  if (dir_paths(host, guest, &h, &g, err, errlen) < 0)
    goto fail;
  for (size_t i = 0; i < p->dirs.n; i++) {
    pol_dir *d = &p->dirs.at[i];
    if (strcmp(d->po.host, h) == 0 && strcmp(d->po.guest, g) == 0) {
      d->writable |= writable;
      free(h);
      free(g);
      return 0;
    }
  }
  if (!POL_GROW(p->dirs)) {
    pol_err(err, errlen, "out of memory");
    goto fail;
  }
  drop_root(p, h, g);
  p->dirs.at[p->dirs.n++] = (pol_dir){{h, g}, writable};
  return 0;
fail:
  free(h);
  free(g);
  return -1;
}

int policy_set_env(policy *p, const char *name, const char *value, char *err,
                   size_t errlen) {
  if (!*name || strchr(name, '='))
    return pol_err(err, errlen, "bad variable name '%s': it must be "
                   "non-empty, without '='", name);
  char *v = value ? strdup(value) : NULL;
  if (value && !v)
    return pol_err(err, errlen, "out of memory");
  for (size_t i = 0; i < p->env.n; i++)
    if (strcmp(p->env.at[i].name, name) == 0) {
      free((char *)p->env.at[i].value);
      p->env.at[i].value = v;
      return 0;
    }
  char *n = strdup(name);
  if (!n || !POL_GROW(p->env)) {
    free(n);
    free(v);
    return pol_err(err, errlen, "out of memory");
  }
  p->env.at[p->env.n++] = (policy_env_var){n, v};
  return 0;
}

/* ---- what it holds ---- */

size_t policy_preopen_count(const policy *p) {
  return p->dirs.n + p->roots.n;
}

const policy_preopen *policy_preopen_at(const policy *p, size_t i) {
  if (i < p->dirs.n)
    return &p->dirs.at[i].po;
  i -= p->dirs.n;
  return i < p->roots.n ? &p->roots.at[i] : NULL;
}

size_t policy_env_count(const policy *p) { return p->env.n; }

const policy_env_var *policy_env_at(const policy *p, size_t i) {
  return i < p->env.n ? &p->env.at[i] : NULL;
}

const policy_limits *policy_get_limits(const policy *p) { return &p->limits; }

const char *policy_tmpdir(const policy *p) { return p->tmp_guest; }

static bool has_own(const policy *p, policy_cap_kind kind) {
  for (size_t i = 0; i < p->grants.n; i++)
    if (p->grants.at[i].kind == kind)
      return true;
  return false;
}

bool policy_has(const policy *p, policy_cap_kind kind) {
  return has_own(p, kind) && (!p->request || policy_has(p->request, kind));
}

/* Either side's https-only holds: it only narrows. */
bool policy_https_only(const policy *p) {
  return p->https_only || (p->request && policy_https_only(p->request));
}

/* ---- description ---- */

void pol_text_add(pol_text *t, const char *fmt, ...) {
  va_list ap;
  for (int tries = 0; !t->failed && tries < 2; tries++) {
    va_start(ap, fmt);
    int n = vsnprintf(t->s ? t->s + t->len : NULL, t->cap - t->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
      t->failed = true;
    } else if ((size_t)n < t->cap - t->len) {
      t->len += (size_t)n;
      return;
    } else {
      size_t cap = (t->cap + (size_t)n + 1) * 2;
      char *s = realloc(t->s, cap);
      if (!s)
        t->failed = true;
      t->s = s ? s : t->s;
      t->cap = s ? cap : t->cap;
    }
  }
}

/* How a preopen is written as a line: dir:HOST, dir:HOST::GUEST, ro-dir:. */
void pol_dir_line(const pol_dir *d, char *buf, size_t size) {
  bool same = strcmp(d->po.host, d->po.guest) == 0;
  snprintf(buf, size, "%s:%s%s%s", d->writable ? "dir" : "ro-dir", d->po.host,
           same ? "" : "::", same ? "" : d->po.guest);
}

static bool env_granted_as(const policy *p, const char *name) {
  for (size_t i = 0; i < p->grants.n; i++)
    if (p->grants.at[i].kind == POLICY_CAP_ENV &&
        strcmp(p->grants.at[i].arg, name) == 0)
      return true;
  return false;
}

/* Preopens, then grants kind by kind in the order of POLICY_CAP_LIST
** (explicit variables with env:, by name only: a value may be a secret),
** then the settings and limits. */
char *policy_describe(const policy *p) {
  pol_text t = {0};
  char line[2 * POL_MAX_TEXT + 16];
  pol_text_add(&t, "%s", "");
  for (size_t i = 0; i < p->dirs.n; i++) {
    pol_dir_line(&p->dirs.at[i], line, sizeof line);
    pol_text_add(&t, "%s\n", line);
  }
  for (int k = 0; k < POLICY_CAP_COUNT; k++) {
    for (size_t i = 0; i < p->grants.n; i++)
      if (p->grants.at[i].kind == (policy_cap_kind)k)
        pol_text_add(&t, "%s\n", p->grants.at[i].text);
    for (size_t i = 0; k == POLICY_CAP_ENV && i < p->env.n; i++)
      if (!env_granted_as(p, p->env.at[i].name))
        pol_text_add(&t, "env:%s\n", p->env.at[i].name);
  }
  if (p->tmp_guest)
    pol_text_add(&t, "tmp:%s\n", p->tmp_guest);
  if (p->no_mkdir)
    pol_text_add(&t, "fs:no-mkdir\n");
  if (p->https_only)
    pol_text_add(&t, "network:https-only\n");
  pol_describe_limits(p, &t);
  if (p->request) {
    char *req = policy_describe(p->request);
    pol_text_add(&t, "request:\n%s", req ? req : "");
    t.failed |= !req;
    free(req);
  }
  if (t.failed) {
    free(t.s);
    return NULL;
  }
  return t.s;
}

/* ---- decisions ---- */

void pol_put(char *cap, size_t caplen, const char *text) {
  if (cap && caplen)
    snprintf(cap, caplen, "%s", text);
}

/* The grant that allows path for reading or (write) for writing, into
** cap; false if none does. */
static bool find_fs_grant(const policy *p, const char *path, bool write,
                          char *cap, size_t caplen) {
  char line[2 * POL_MAX_TEXT + 16];
  for (size_t i = 0; i < p->dirs.n; i++) {
    const pol_dir *d = &p->dirs.at[i];
    if ((d->writable || !write) && pol_path_within(path, d->po.host)) {
      pol_dir_line(d, line, sizeof line);
      pol_put(cap, caplen, line);
      return true;
    }
  }
  /* fs:write implies fs:read of the same paths. Grants are tried in
  ** describe's order (fs:read, then fs:write), so that a policy rebuilt
  ** from its description names the same grant. */
  for (int k = write ? POLICY_CAP_FS_WRITE : POLICY_CAP_FS_READ;
       k <= POLICY_CAP_FS_WRITE; k++)
    for (size_t i = 0; i < p->grants.n; i++) {
      const pol_grant *g = &p->grants.at[i];
      if (g->kind == (policy_cap_kind)k && pol_glob_match(g->arg, path)) {
        pol_put(cap, caplen, g->text);
        return true;
      }
    }
  return false;
}

static bool may_access_own(const policy *p, const char *host_path,
                           policy_access access, char *cap, size_t caplen) {
  pol_put(cap, caplen, "");
  unsigned a = (unsigned)access;
  if (a == 0 || (a & ~(unsigned)(POLICY_READ | POLICY_WRITE | POLICY_MKDIR)) ||
      !pol_path_is_clean(host_path))
    return false;
  if ((a & POLICY_MKDIR) && p->no_mkdir) {
    pol_put(cap, caplen, "fs:no-mkdir");
    return false;
  }
  /* Write covers read, so the strongest access asked decides. */
  bool write = a & (POLICY_WRITE | POLICY_MKDIR);
  if (find_fs_grant(p, host_path, write, cap, caplen))
    return true;
  if (cap && caplen)
    snprintf(cap, caplen, "fs:%s:%s", write ? "write" : "read", host_path);
  return false;
}

static bool may_tmp_own(const policy *p, policy_access access, char *cap,
                        size_t caplen) {
  pol_put(cap, caplen, "");
  if ((access & POLICY_MKDIR) && p->no_mkdir) {
    pol_put(cap, caplen, "fs:no-mkdir");
    return false;
  }
  if (cap && caplen)
    snprintf(cap, caplen, "tmp:%s", p->tmp_guest ? p->tmp_guest : "/tmp");
  return p->tmp_guest != NULL;
}

static bool may_env_own(const policy *p, const char *name, char *cap,
                        size_t caplen) {
  pol_put(cap, caplen, "");
  if (!*name || strchr(name, '='))
    return false;
  /* Patterns, then explicit variables: describe's order. */
  for (size_t i = 0; i < p->grants.n; i++) {
    const pol_grant *g = &p->grants.at[i];
    if (g->kind == POLICY_CAP_ENV && pol_env_match(g->arg, name)) {
      pol_put(cap, caplen, g->text);
      return true;
    }
  }
  bool explicit = false;
  for (size_t i = 0; i < p->env.n && !explicit; i++)
    explicit = strcmp(p->env.at[i].name, name) == 0;
  if (cap && caplen)
    snprintf(cap, caplen, "env:%s", name);
  return explicit;
}

/* ---- decisions of an intersected policy ----
** Each asks the policy's own grants, then its request: both must say yes.
** cap names the own grant when both do, else the first refusal's. The
** network decisions do the same in network.c. */

bool pol_request_says(bool yes, const char *rcap, char *cap, size_t caplen) {
  if (!yes)
    pol_put(cap, caplen, rcap);
  return yes;
}

bool policy_may_access(const policy *p, const char *host_path,
                       policy_access access, char *cap, size_t caplen) {
  char rcap[POL_CAP_MAX];
  if (!may_access_own(p, host_path, access, cap, caplen))
    return false;
  return !p->request ||
         pol_request_says(policy_may_access(p->request, host_path, access,
                                            rcap, sizeof rcap),
                          rcap, cap, caplen);
}

bool policy_may_tmp(const policy *p, policy_access access, char *cap,
                    size_t caplen) {
  char rcap[POL_CAP_MAX];
  if (!may_tmp_own(p, access, cap, caplen))
    return false;
  return !p->request ||
         pol_request_says(
             policy_may_tmp(p->request, access, rcap, sizeof rcap), rcap, cap,
             caplen);
}

bool policy_may_env(const policy *p, const char *name, char *cap,
                    size_t caplen) {
  char rcap[POL_CAP_MAX];
  if (!may_env_own(p, name, cap, caplen))
    return false;
  return !p->request ||
         pol_request_says(
             policy_may_env(p->request, name, rcap, sizeof rcap), rcap, cap,
             caplen);
}

/* ---- commands ---- */

static bool has_control(const char *s) {
  for (const unsigned char *c = (const unsigned char *)s; *c; c++)
    if (*c < 0x20 || *c == 0x7f)
      return true;
  return false;
}

/* A program name (no '/') or a clean absolute path, as a grant spells
** one: then "exec:" and it is a line policy_allow takes. */
static bool command_ok(const char *cmd) {
  return *cmd && !has_control(cmd) &&
         (!strchr(cmd, '/') || pol_path_is_clean(cmd));
}

static bool may_exec_own(const policy *p, const char *as_written,
                         const char *resolved, char *cap, size_t caplen) {
  pol_put(cap, caplen, "");
  if (!command_ok(as_written) || (resolved && !pol_path_is_clean(resolved)))
    return false;
  /* A name grant has no '/', so it equals only a name as written, never
  ** a path: exec:git does not run /tmp/x/git. A path grant names the
  ** file itself, however the plugin reached it. */
  for (size_t i = 0; i < p->grants.n; i++) {
    const pol_grant *g = &p->grants.at[i];
    if (g->kind == POLICY_CAP_EXEC &&
        (strcmp(g->arg, "*") == 0 || strcmp(g->arg, as_written) == 0 ||
         (g->arg[0] == '/' && resolved && strcmp(g->arg, resolved) == 0))) {
      pol_put(cap, caplen, g->text);
      return true;
    }
  }
  if (cap && caplen)
    snprintf(cap, caplen, "exec:%s", as_written);
  return false;
}

bool policy_may_exec(const policy *p, const char *as_written,
                     const char *resolved, char *cap, size_t caplen) {
  char rcap[POL_CAP_MAX];
  if (!may_exec_own(p, as_written, resolved, cap, caplen))
    return false;
  return !p->request ||
         pol_request_says(policy_may_exec(p->request, as_written, resolved,
                                          rcap, sizeof rcap),
                          rcap, cap, caplen);
}
