/*
** intersect.c: combining policies. policy_intersect builds the policy of
** an observe plugin's run (what the embedder grants, narrowed to what the
** plugin asks); policy_excess says which lines of a plugin's permissions
** lie beyond a ceiling.
**
** Coverage is judged one grant against one grant: a request line is
** within the ceiling when a single ceiling line matches all it can match.
** A request covered only by the union of two ceiling lines (one star
** and one star then two, beneath /a, for two stars beneath /a) is
** reported as excess: a false alarm the user can fix by writing the
** ceiling plainly, never a silent grant.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_internal.h"

/* ---- intersect ---- */

/* Drops the explicit variables of p that request would not show. */
static void filter_env(policy *p, const policy *request) {
  size_t kept = 0;
  for (size_t i = 0; i < p->env.n; i++) {
    policy_env_var *v = &p->env.at[i];
    if (policy_may_env(request, v->name, NULL, 0)) {
      p->env.at[kept++] = *v;
      continue;
    }
    free((char *)v->name);
    free((char *)v->value);
  }
  p->env.n = kept;
}

/* Each limit the request sets lower (or where p sets none) becomes p's:
** an unset limit is no bound at all here, so any value is lower. */
static void lower_limits(policy_limits *l, const policy_limits *request) {
  for (size_t i = 0; i < pol_limit_count(); i++) {
    uint64_t mine = pol_limit_get(l, i), theirs = pol_limit_get(request, i);
    if (theirs && (!mine || theirs < mine))
      pol_limit_put(l, i, theirs);
  }
}

policy *policy_intersect(const policy *grant, const policy *request) {
  policy *q = pol_clone(grant), **tail;
  if (!q)
    return NULL;
  /* grant may be an intersection already: the request joins the chain,
  ** and every link must say yes. */
  for (tail = &q->request; *tail; tail = &(*tail)->request)
    ;
  if (!(*tail = pol_clone(request))) {
    policy_free(q);
    return NULL;
  }
  filter_env(q, request);
  lower_limits(&q->limits, &request->limits);
  return q;
}

/* ---- excess: coverage of one line by the ceiling ---- */

static bool fs_kind(policy_cap_kind k) {
  return k == POLICY_CAP_FS_READ || k == POLICY_CAP_FS_WRITE;
}

/* HOST, a slash and two stars: the tree a directory grants, as a glob. */
static void dir_glob(const char *host, char *buf, size_t size) {
  snprintf(buf, size, "%s/**", strcmp(host, "/") == 0 ? "" : host);
}

/* Whether the ceiling grants write (or only read, !write) on all glob
** can match, by one grant or one directory. */
static bool fs_covered(const policy *c, const char *glob, bool write) {
  char tree[POL_MAX_TEXT + 8];
  for (size_t i = 0; i < c->grants.n; i++) {
    const pol_grant *g = &c->grants.at[i];
    if (fs_kind(g->kind) && (g->kind == POLICY_CAP_FS_WRITE || !write) &&
        pol_glob_covers(g->arg, glob))
      return true;
  }
  for (size_t i = 0; i < c->dirs.n; i++) {
    const pol_dir *d = &c->dirs.at[i];
    dir_glob(d->po.host, tree, sizeof tree);
    if ((d->writable || !write) && pol_glob_covers(tree, glob))
      return true;
  }
  return false;
}

/* An env: pattern of request: by a pattern of the ceiling that covers
** it, or, when it has no '*', by an explicit variable of that name. */
static bool env_covered(const policy *c, const char *pattern) {
  for (size_t i = 0; i < c->grants.n; i++)
    if (c->grants.at[i].kind == POLICY_CAP_ENV &&
        pol_env_covers(c->grants.at[i].arg, pattern))
      return true;
  for (size_t i = 0; i < c->env.n && !strchr(pattern, '*'); i++)
    if (strcmp(c->env.at[i].name, pattern) == 0)
      return true;
  return false;
}

/* An explicit variable of request is a name, '*' in it a character: the
** ceiling's decision on that name says. */
static bool name_covered(const policy *c, const char *name) {
  return policy_may_env(c, name, NULL, 0);
}

static bool range_within(const char *ports, unsigned long lo,
                         unsigned long hi) {
  for (const char *s = ports; *s;) {
    unsigned long a, b;
    pol_port_next(&s, &a, &b);
    if (a <= lo && hi <= b)
      return true;
  }
  return false;
}

/* Every range of b within one range of a; "*" all ports. */
static bool ports_cover(const char *a, const char *b) {
  if (strcmp(a, "*") == 0)
    return true;
  if (strcmp(b, "*") == 0)
    return false;
  for (const char *s = b; *s;) {
    unsigned long lo, hi;
    pol_port_next(&s, &lo, &hi);
    if (!range_within(a, lo, hi))
      return false;
  }
  return true;
}

/* The same text; or a host that covers request's (pol_net_host_covers)
** with ports that hold all of request's. */
static bool network_covered(const policy *c, const char *arg) {
  size_t bn = pol_net_host_len(arg);
  for (size_t i = 0; i < c->grants.n; i++) {
    const pol_grant *g = &c->grants.at[i];
    if (g->kind != POLICY_CAP_NETWORK)
      continue;
    size_t an = pol_net_host_len(g->arg);
    if (strcmp(g->arg, arg) == 0 ||
        (pol_net_host_covers(g->arg, an, arg, bn) &&
         ports_cover(g->arg + an + 1, arg + bn + 1)))
      return true;
  }
  return false;
}

/* exec: the same command, or a ceiling of "exec:*". */
static bool exec_covered(const policy *c, const char *arg) {
  for (size_t i = 0; i < c->grants.n; i++) {
    const pol_grant *g = &c->grants.at[i];
    if (g->kind == POLICY_CAP_EXEC &&
        (strcmp(g->arg, "*") == 0 || strcmp(g->arg, arg) == 0))
      return true;
  }
  return false;
}

static bool grant_covered(const policy *c, const pol_grant *g) {
  switch (g->kind) {
  case POLICY_CAP_FS_READ:
  case POLICY_CAP_FS_WRITE:
    return fs_covered(c, g->arg, g->kind == POLICY_CAP_FS_WRITE);
  case POLICY_CAP_ENV:
    return env_covered(c, g->arg);
  case POLICY_CAP_NETWORK:
    return network_covered(c, g->arg);
  case POLICY_CAP_EXEC:
    return exec_covered(c, g->arg);
  case POLICY_CAP_CLOCK:
  case POLICY_CAP_RANDOM:
    return policy_has(c, g->kind);
  case POLICY_CAP_COUNT:
    break;
  }
  return false;
}

/* ---- excess ---- */

#define NOT_COVERED POLICY_EXCESS_NOT_COVERED

static size_t excess_grants(const policy *c, const policy *r,
                            policy_excess_fn *excess, void *ud) {
  size_t n = 0;
  for (size_t i = 0; i < r->grants.n; i++)
    if (!grant_covered(c, &r->grants.at[i])) {
      excess(ud, r->grants.at[i].text, NOT_COVERED);
      n++;
    }
  return n;
}

/* Directories as the fs: grants of their tree; explicit variables as
** env: grants of their name; the temporary directory by the ceiling's. */
static size_t excess_settings(const policy *c, const policy *r,
                              policy_excess_fn *excess, void *ud) {
  char line[2 * POL_MAX_TEXT + 16], tree[POL_MAX_TEXT + 8];
  size_t n = 0;
  for (size_t i = 0; i < r->dirs.n; i++) {
    dir_glob(r->dirs.at[i].po.host, tree, sizeof tree);
    if (fs_covered(c, tree, r->dirs.at[i].writable))
      continue;
    pol_dir_line(&r->dirs.at[i], line, sizeof line);
    excess(ud, line, NOT_COVERED);
    n++;
  }
  for (size_t i = 0; i < r->env.n; i++)
    if (!name_covered(c, r->env.at[i].name)) {
      snprintf(line, sizeof line, "env:%s", r->env.at[i].name);
      excess(ud, line, NOT_COVERED);
      n++;
    }
  if (r->tmp_guest && !c->tmp_guest) {
    snprintf(line, sizeof line, "tmp:%s", r->tmp_guest);
    excess(ud, line, "the ceiling grants no temporary directory");
    n++;
  }
  return n;
}

/* A limit is excess when both set it and request's is higher. */
static size_t excess_limits(const policy *c, const policy *r,
                            policy_excess_fn *excess, void *ud) {
  char line[96], most_line[96], why[128];
  size_t n = 0;
  for (size_t i = 0; i < pol_limit_count(); i++) {
    uint64_t mine = pol_limit_get(&r->limits, i);
    uint64_t most = pol_limit_get(&c->limits, i);
    if (!mine || !most || mine <= most)
      continue;
    pol_limit_line(i, mine, line, sizeof line);
    pol_limit_line(i, most, most_line, sizeof most_line);
    snprintf(why, sizeof why, "above the ceiling's %s", most_line);
    excess(ud, line, why);
    n++;
  }
  return n;
}

/* The request's own lines only: when it is an intersection itself, what
** it would allow is at most that, so the answer errs on the safe side. */
size_t policy_excess(const policy *ceiling, const policy *request,
                     policy_excess_fn *excess, void *ud) {
  return excess_grants(ceiling, request, excess, ud) +
         excess_settings(ceiling, request, excess, ud) +
         excess_limits(ceiling, request, excess, ud);
}
