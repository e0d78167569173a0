/*
** json_walk.h: JSON objects read field by field against a table, with
** messages that point into the text (json_walk.c). Shared by the policy
** format (policy_json.c) and the plugin manifest (manifest.c).
*/
#ifndef PLUGSUP_JSON_WALK_H
#define PLUGSUP_JSON_WALK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define POL_JSON_MAX_DEPTH 8 /* the deepest field path a format has */

typedef struct pol_jctx {
  void *target; /* what the handlers fill: a policy, a manifest */
  void *ud;     /* the handlers' scratch state */
  const char *source, *text;
  size_t len;
  char *err;
  size_t errlen;
  struct {
    const char *key; /* NULL: an array index */
    size_t index;
  } path[POL_JSON_MAX_DEPTH];
  int depth;
} pol_jctx;

typedef int pol_jfield_fn(pol_jctx *c, json_t *v);
typedef struct pol_jfield {
  const char *name;
  pol_jfield_fn *fn;
} pol_jfield;

/* "SOURCE:LINE:COLUMN: PATH: message" into c->err, pointing at the value
** at c's path (or its key, at_key); returns -1. */
int pol_jfail(const pol_jctx *c, bool at_key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Enter a field or an element (at most POL_JSON_MAX_DEPTH deep); leave
** with c->depth--. */
void pol_jpush_key(pol_jctx *c, const char *key);
void pol_jpush_index(pol_jctx *c, size_t index);
/* Each field of obj through its handler; an unknown one is an error that
** lists the known ones, so a typo never grants or drops anything. */
int pol_jwalk_object(pol_jctx *c, json_t *obj, const pol_jfield *fields,
                     size_t n);

#endif
