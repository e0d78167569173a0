/*
** semver.c: semantic versions 2.0.0 (semver.org), strictly: no "v"
** prefix, no leading zeros, no missing parts; and the version ranges that
** manifests' dependencies use, in npm's common spelling.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "policy_internal.h"

#define ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"

static bool all_digits(const char *s, size_t n) {
  return n > 0 && strspn(s, "0123456789") >= n;
}

/* A numeric part: digits, no leading zero, within uint64_t. */
static const char *number(const char **s, uint64_t *out) {
  size_t n = strspn(*s, "0123456789");
  if (n == 0)
    return "expected MAJOR.MINOR.PATCH, each a number";
  if (n > 1 && **s == '0')
    return "a number has a leading zero";
  if (n > 19)
    return "a number is too large";
  *out = strtoull(*s, NULL, 10);
  *s += n;
  return NULL;
}

/* Dot-separated identifiers of [0-9A-Za-z-], ending at s+n; numeric ones
** without leading zeros when numeric_strict (pre-release). */
static const char *identifiers(const char *s, size_t n, bool numeric_strict) {
  for (const char *end = s + n; s <= end;) {
    size_t len = strcspn(s, ".");
    len = s + len > end ? (size_t)(end - s) : len;
    if (len == 0)
      return "an identifier is empty";
    if (strspn(s, ALNUM) < len)
      return "an identifier has a character other than [0-9A-Za-z-]";
    if (numeric_strict && len > 1 && s[0] == '0' && all_digits(s, len))
      return "a number has a leading zero";
    s += len + 1;
  }
  return NULL;
}

int semver_parse(const char *text, semver *out, const char **why) {
  const char *s = text, *bad = NULL;
  memset(out, 0, sizeof *out);
  if (strlen(text) >= SEMVER_MAX_TEXT)
    bad = "longer than 255 bytes";
  else if (!(bad = number(&s, &out->major)) && *s++ != '.')
    bad = "expected MAJOR.MINOR.PATCH, each a number";
  else if (!bad && !(bad = number(&s, &out->minor)) && *s++ != '.')
    bad = "expected MAJOR.MINOR.PATCH, each a number";
  else if (!bad)
    bad = number(&s, &out->patch);
  if (!bad && *s == '-') {
    size_t n = strcspn(s + 1, "+");
    if (!(bad = identifiers(s + 1, n, true)))
      snprintf(out->pre, sizeof out->pre, "%.*s", (int)n, s + 1);
    s += 1 + n;
  }
  if (!bad && *s == '+') {
    bad = identifiers(s + 1, strlen(s + 1), false);
    s += strlen(s);
  }
  if (!bad && *s)
    bad = "unexpected text after the version";
  *why = bad;
  return bad ? -1 : 0;
}

static int cmp_u64(uint64_t a, uint64_t b) { return (a > b) - (a < b); }

/* One pre-release identifier against another: numbers by value and below
** words, words in ASCII order. */
static int cmp_ident(const char *a, size_t an, const char *b, size_t bn) {
  bool na = all_digits(a, an), nb = all_digits(b, bn);
  if (na != nb)
    return na ? -1 : 1;
  if (na && an != bn)
    return an < bn ? -1 : 1; /* no leading zeros: longer is larger */
  int c = memcmp(a, b, an < bn ? an : bn);
  return c ? c : cmp_u64(an, bn);
}

static int cmp_pre(const char *a, const char *b) {
  if (!*a || !*b)
    return !*a - !*b; /* a release is above its pre-releases */
  for (;;) {
    size_t an = strcspn(a, "."), bn = strcspn(b, ".");
    int c = cmp_ident(a, an, b, bn);
    if (c)
      return c;
    a += an;
    b += bn;
    if (!*a || !*b)
      return !*b - !*a; /* more identifiers: higher */
    a++;
    b++;
  }
}

int semver_cmp(const semver *a, const semver *b) {
  int c = cmp_u64(a->major, b->major);
  if (!c)
    c = cmp_u64(a->minor, b->minor);
  if (!c)
    c = cmp_u64(a->patch, b->patch);
  return c ? c : cmp_pre(a->pre, b->pre);
}

/* ---- ranges ---- */

/* One bound: v OP ver. */
typedef enum { OP_EQ, OP_GT, OP_GE, OP_LT, OP_LE } range_op;

static bool holds(const semver *v, range_op op, const semver *ver) {
  int c = semver_cmp(v, ver);
  switch (op) {
  case OP_EQ:
    return c == 0;
  case OP_GT:
    return c > 0;
  case OP_GE:
    return c >= 0;
  case OP_LT:
    return c < 0;
  case OP_LE:
    return c <= 0;
  }
  return false;
}

static semver version_of(uint64_t major, uint64_t minor, uint64_t patch) {
  semver s = {major, minor, patch, ""};
  return s;
}

static bool is_x(const char *s, size_t n) {
  return n == 1 && (s[0] == 'x' || s[0] == 'X' || s[0] == '*');
}

/* "1", "1.x", "1.x.x", "1.2", "1.2.x": [lo, hi). false if not one. */
static bool partial(const char *t, size_t n, semver *lo, semver *hi) {
  uint64_t part[2];
  int have = 0;
  const char *s = t, *end = t + n;
  while (s < end && have < 2) {
    size_t len = strcspn(s, ".");
    len = s + len > end ? (size_t)(end - s) : len;
    if (is_x(s, len))
      break;
    const char *p = s;
    if (len > 1 && s[0] == '0')
      return false;
    if (number(&p, &part[have]) || p != s + len)
      return false;
    have++;
    s += len + (s + len < end);
  }
  while (s < end) { /* what follows must be x's */
    size_t len = strcspn(s, ".");
    len = s + len > end ? (size_t)(end - s) : len;
    if (!is_x(s, len))
      return false;
    s += len + (s + len < end);
  }
  if (have == 0)
    return false;
  *lo = version_of(part[0], have > 1 ? part[1] : 0, 0);
  *hi = have == 1 ? version_of(part[0] + 1, 0, 0)
                  : version_of(part[0], part[1] + 1, 0);
  return true;
}

/* The whole version in t[0..n) into out. */
static bool full(const char *t, size_t n, semver *out) {
  char buf[SEMVER_MAX_TEXT];
  const char *why;
  if (n >= sizeof buf)
    return false;
  memcpy(buf, t, n);
  buf[n] = '\0';
  return semver_parse(buf, out, &why) == 0;
}

/* ^V: up to the next change of its first non-zero part; ~V: of minor. */
static semver caret_top(const semver *v) {
  if (v->major)
    return version_of(v->major + 1, 0, 0);
  if (v->minor)
    return version_of(0, v->minor + 1, 0);
  return version_of(0, 0, v->patch + 1);
}

/* One term of t[0..n): whether v satisfies it (v NULL: whether it is a
** term at all). */
static bool term(const char *t, size_t n, const semver *v, bool *ok) {
  semver lo, hi;
  static const struct {
    const char *text;
    range_op op;
  } ops[] = {
      {">=", OP_GE}, {"<=", OP_LE}, {">", OP_GT}, {"<", OP_LT}, {"=", OP_EQ}};
  if (is_x(t, n)) {
    *ok = true;
    return true;
  }
  if (partial(t, n, &lo, &hi)) {
    *ok = !v || (holds(v, OP_GE, &lo) && holds(v, OP_LT, &hi));
    return true;
  }
  if ((t[0] == '^' || t[0] == '~') && full(t + 1, n - 1, &lo)) {
    hi = t[0] == '^' ? caret_top(&lo) : version_of(lo.major, lo.minor + 1, 0);
    *ok = !v || (holds(v, OP_GE, &lo) && holds(v, OP_LT, &hi));
    return true;
  }
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    size_t k = strlen(ops[i].text);
    if (n > k && memcmp(t, ops[i].text, k) == 0) {
      if (!full(t + k, n - k, &lo))
        return false;
      *ok = !v || holds(v, ops[i].op, &lo);
      return true;
    }
  }
  if (!full(t, n, &lo))
    return false;
  *ok = !v || holds(v, OP_EQ, &lo);
  return true;
}

/* The terms of one alternative, s[0..n): all must hold. */
static int alternative(const char *s, size_t n, const semver *v, bool *match,
                       char *why, size_t whylen) {
  const char *end = s + n;
  size_t terms = 0;
  *match = true;
  while (s < end) {
    s += strspn(s, " ");
    if (s >= end)
      break;
    size_t len = strcspn(s, " ");
    len = s + len > end ? (size_t)(end - s) : len;
    bool ok;
    if (!term(s, len, v, &ok))
      return pol_err(why, whylen, "'%.*s' is not a version range term",
                     (int)(len > 64 ? 64 : len), s);
    *match &= ok;
    terms++;
    s += len;
  }
  return terms ? 0 : pol_err(why, whylen, "an alternative is empty");
}

int semver_range_match(const char *range, const semver *v, bool *match,
                       char *why, size_t whylen) {
  bool any = false;
  if (strlen(range) > POL_MAX_TEXT)
    return pol_err(why, whylen, "longer than %d bytes", POL_MAX_TEXT);
  for (const char *s = range;;) {
    const char *bar = strstr(s, "||");
    size_t n = bar ? (size_t)(bar - s) : strlen(s);
    bool m;
    if (alternative(s, n, v, &m, why, whylen) < 0)
      return -1;
    any |= m;
    if (!bar)
      break;
    s = bar + 2;
  }
  *match = any;
  return 0;
}
