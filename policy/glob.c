/*
** glob.c: clean paths, path globs and variable-name patterns.
**
** Matching is the classic two-pointer wildcard walk (one backtrack point
** per level), so it takes time proportional to the product of the two
** lengths at worst, never exponential, whatever the pattern.
*/
#include <stdlib.h>
#include <string.h>

#include "policy_internal.h"

/* A path component: the text from s up to the next '/' or the end. */
static size_t comp_len(const char *s) { return strcspn(s, "/"); }

/* Past one component and the '/' after it. */
static const char *comp_next(const char *s) {
  s += comp_len(s);
  return *s == '/' ? s + 1 : s;
}

static bool comp_is(const char *s, size_t len, const char *what) {
  return len == strlen(what) && memcmp(s, what, len) == 0;
}

char *pol_path_clean(const char *path, const char **why) {
  size_t len = strlen(path);
  if (path[0] != '/') {
    *why = "the path must be absolute";
    return NULL;
  }
  if (len > POL_MAX_TEXT) {
    *why = "the path is longer than 4096 bytes";
    return NULL;
  }
  char *out = malloc(len + 2), *o = out;
  if (!out) {
    *why = "out of memory";
    return NULL;
  }
  for (const char *s = path + 1; *s; s = comp_next(s)) {
    size_t n = comp_len(s);
    if (n == 0 || comp_is(s, n, "."))
      continue;
    if (comp_is(s, n, "..")) {
      /* Resolving '..' by text would be wrong beneath a symlink. */
      free(out);
      *why = "'..' is not allowed in a path";
      return NULL;
    }
    *o++ = '/';
    memcpy(o, s, n);
    o += n;
  }
  if (o == out)
    *o++ = '/';
  *o = '\0';
  return out;
}

bool pol_path_is_clean(const char *path) {
  if (path[0] != '/')
    return false;
  if (path[1] == '\0')
    return true;
  for (const char *s = path + 1;; s = comp_next(s)) {
    size_t n = comp_len(s);
    if (n == 0 || comp_is(s, n, ".") || comp_is(s, n, ".."))
      return false;
    if (s[n] == '\0')
      return true;
  }
}

const char *pol_glob_check(const char *glob) {
  for (const char *s = glob + 1; *s; s = comp_next(s)) {
    size_t n = comp_len(s);
    const char *dd = strstr(s, "**");
    if (dd && dd < s + n && !comp_is(s, n, "**"))
      return "'**' must be a whole path component";
  }
  return NULL;
}

/* Bytes of the UTF-8 character at s (at most n): '?' matches a character,
** not a byte, so "?.txt" matches "é.txt". */
static size_t char_len(const char *s, size_t n) {
  size_t i = 1;
  while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
    i++;
  return i;
}

/* One glob component against one path component: '*' any run of
** characters, '?' one character, anything else itself. */
static bool comp_match(const char *g, size_t glen, const char *p,
                       size_t plen) {
  size_t gi = 0, pi = 0, star = SIZE_MAX, mark = 0;
  while (pi < plen) {
    if (gi < glen && g[gi] == '*') {
      star = gi++;
      mark = pi;
    } else if (gi < glen && g[gi] == '?') {
      gi++;
      pi += char_len(p + pi, plen - pi);
    } else if (gi < glen && g[gi] == p[pi]) {
      gi++;
      pi++;
    } else if (star != SIZE_MAX) {
      gi = star + 1;
      mark += char_len(p + mark, plen - mark);
      pi = mark;
    } else {
      return false;
    }
  }
  while (gi < glen && g[gi] == '*')
    gi++;
  return gi == glen;
}

bool pol_glob_match(const char *glob, const char *path) {
  const char *g = glob + 1, *p = path + 1;
  const char *g_star = NULL, *p_star = NULL; /* after the last '**' */
  for (;;) {
    size_t gl = comp_len(g), pl = comp_len(p);
    if (*g && comp_is(g, gl, "**")) {
      g = g_star = comp_next(g);
      p_star = p;
    } else if (*g && *p && comp_match(g, gl, p, pl)) {
      g = comp_next(g);
      p = comp_next(p);
    } else if (!*g && !*p) {
      return true;
    } else if (g_star && *p_star) {
      /* Let the last '**' take one more component, and retry. */
      p = p_star = comp_next(p_star);
      g = g_star;
    } else {
      return false;
    }
  }
}

size_t pol_glob_root(const char *glob) {
  size_t root = 1;
  for (const char *s = glob + 1; *s; s = comp_next(s)) {
    size_t n = comp_len(s);
    if (memchr(s, '*', n) || memchr(s, '?', n))
      break;
    root = (size_t)(s - glob) + n;
  }
  return root;
}

bool pol_path_within(const char *path, const char *dir) {
  size_t n = strlen(dir);
  if (n == 1)
    return true; /* "/" */
  return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

bool pol_env_match(const char *pattern, const char *name) {
  const char *star = NULL, *mark = NULL;
  while (*name) {
    if (*pattern == '*') {
      star = pattern++;
      mark = name;
    } else if (*pattern == *name) {
      pattern++;
      name++;
    } else if (star) {
      pattern = star + 1;
      name = ++mark;
    } else {
      return false;
    }
  }
  while (*pattern == '*')
    pattern++;
  return *pattern == '\0';
}

/* ---- coverage: does one pattern match all that another can? ---- */

/* Bytes of the token at s: a wildcard, or one character. */
static size_t tok_len(const char *s, size_t n, bool q) {
  return s[0] == '*' || (q && s[0] == '?') ? 1 : char_len(s, n);
}

/* Whether token a (not '*') matches every text token b can: a '?' any
** character or '?', a character only itself. */
static bool tok_covers(const char *a, size_t an, const char *b, size_t bn,
                       bool q) {
  size_t al = tok_len(a, an, q), bl = tok_len(b, bn, q);
  if (b[0] == '*')
    return false;
  if (q && a[0] == '?')
    return true;
  return !(q && b[0] == '?') && al == bl && memcmp(a, b, al) == 0;
}

/* The wildcard walk of comp_match with b's tokens for characters: a's
** '*' takes any run of them, wildcards included; q: '?' is a wildcard. */
static bool pattern_covers(const char *a, size_t alen, const char *b,
                           size_t blen, bool q) {
  size_t ai = 0, bi = 0, star = SIZE_MAX, mark = 0;
  while (bi < blen) {
    if (ai < alen && a[ai] == '*') {
      star = ai++;
      mark = bi;
    } else if (ai < alen &&
               tok_covers(a + ai, alen - ai, b + bi, blen - bi, q)) {
      ai += tok_len(a + ai, alen - ai, q);
      bi += tok_len(b + bi, blen - bi, q);
    } else if (star != SIZE_MAX) {
      ai = star + 1;
      mark += tok_len(b + mark, blen - mark, q);
      bi = mark;
    } else {
      return false;
    }
  }
  while (ai < alen && a[ai] == '*')
    ai++;
  return ai == alen;
}

/* pol_glob_match's walk with b's components for path components: a's
** '**' takes any run of them ('**' included), any other component of a
** must cover one component of b that is not '**'. */
bool pol_glob_covers(const char *a, const char *b) {
  const char *g = a + 1, *p = b + 1;
  const char *g_star = NULL, *p_star = NULL;
  for (;;) {
    size_t gl = comp_len(g), pl = comp_len(p);
    if (*g && comp_is(g, gl, "**")) {
      g = g_star = comp_next(g);
      p_star = p;
    } else if (*g && *p && !comp_is(p, pl, "**") &&
               pattern_covers(g, gl, p, pl, true)) {
      g = comp_next(g);
      p = comp_next(p);
    } else if (!*g && !*p) {
      return true;
    } else if (g_star && *p_star) {
      p = p_star = comp_next(p_star);
      g = g_star;
    } else {
      return false;
    }
  }
}

bool pol_env_covers(const char *a, const char *b) {
  return pattern_covers(a, strlen(a), b, strlen(b), false);
}
