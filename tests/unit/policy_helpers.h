/*
** policy_helpers.h: short ways to build a policy and ask it, for the
** policy tests.
*/
#ifndef PLUGSUP_TEST_POLICY_HELPERS_H
#define PLUGSUP_TEST_POLICY_HELPERS_H

#include <criterion/criterion.h>
#include <string.h>

#include "policy.h"

/* A policy granted each line, which must all be accepted. */
static inline policy *policy_of(const char *const *lines, size_t n) {
  policy *p = policy_new();
  char err[512];
  cr_assert_not_null(p);
  for (size_t i = 0; i < n; i++)
    cr_assert_eq(policy_allow(p, lines[i], err, sizeof err), 0,
                 "'%s' refused: %s", lines[i], err);
  return p;
}
#define POLICY(...)                                                     \
  policy_of((const char *const[]){__VA_ARGS__},                         \
            sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *))

/* The message policy_allow gives for line (which must be refused). */
static inline const char *refusal(const char *line) {
  static char err[512];
  policy *p = policy_new();
  int rc = policy_allow(p, line, err, sizeof err);
  policy_free(p);
  cr_assert_eq(rc, -1, "'%s' was accepted", line);
  return err;
}

static inline bool may(const policy *p, const char *path, policy_access a) {
  return policy_may_access(p, path, a, NULL, 0);
}

#endif
