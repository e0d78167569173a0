/*
** grants.c: the run's policy, rebuilt from policy_describe's text. Every
** line reads back through policy_allow; a line "request:" ends one policy
** and starts the next, which narrows what came before (policy_intersect),
** as the supervisor's own intersected policy does.
*/
#include <stdlib.h>
#include <string.h>

#include "http.h"

/* Adds one line to *cur, or on "request:" folds *cur into *acc and starts
** a new one. False with o's error set. */
static bool take_line(const char *line, policy **acc, policy **cur,
                      http_out *o) {
  char err[256];
  if (strcmp(line, "request:") != 0) {
    if (policy_allow(*cur, line, err, sizeof err) == 0)
      return true;
    http_fail(o, "internal", "", "the run's grants do not read back: %s", err);
    return false;
  }
  policy *joined = *acc ? policy_intersect(*acc, *cur) : *cur;
  if (!joined)
    goto nomem;
  if (*acc) {
    policy_free(*acc);
    policy_free(*cur);
  }
  *acc = joined;
  if (!(*cur = policy_new()))
    goto nomem;
  return true;
nomem:
  http_fail(o, "internal", "", "out of memory");
  return false;
}

policy *http_grants_policy(const char *grants, http_out *o) {
  policy *acc = NULL, *cur = policy_new();
  char *text = strdup(grants), *line, *save = NULL;
  if (!cur || !text) {
    http_fail(o, "internal", "", "out of memory");
    goto fail;
  }
  for (line = strtok_r(text, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save))
    if (!take_line(line, &acc, &cur, o))
      goto fail;
  /* The last policy is folded in as a "request:" line would. */
  if (!take_line("request:", &acc, &cur, o))
    goto fail;
  policy_free(cur);
  free(text);
  return acc;
fail:
  policy_free(acc);
  policy_free(cur);
  free(text);
  return NULL;
}
