/*
** manifest.h: the plugin manifest (docs/manifest.md) and the semantic
** versions it speaks. Pure: the text comes from a file NAME.manifest.json
** beside NAME.wasm or from the module's custom section "plugsup.manifest"
** (which the worker extracts); both hold the same JSON, parsed here.
**
** Lifecycle: manifest_parse -> read the fields -> manifest_free.
*/
#ifndef PLUGSUP_MANIFEST_H
#define PLUGSUP_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* A manifest larger than this is refused unread: a custom section may be
** anything a plugin's author chose. */
#define MANIFEST_MAX_BYTES (64u << 10)

/* ---- semantic versions (semver.org 2.0.0, strictly) ---- */

#define SEMVER_MAX_TEXT 256

typedef struct semver {
  uint64_t major, minor, patch;
  char pre[SEMVER_MAX_TEXT]; /* pre-release identifiers, without '-';
                                "" for a release. Build metadata is
                                checked, then dropped: it has no order */
} semver;

/* 0, or -1 with a static phrase in *why ("a number has a leading zero"). */
int semver_parse(const char *text, semver *out, const char **why);
/* <0, 0, >0 by semver precedence (pre-release below its release). */
int semver_cmp(const semver *a, const semver *b);

/* Whether v satisfies range: terms separated by spaces all hold; "||"
** separates alternatives. A term is "*" (or x, X), a partial version
** ("1", "1.x", "1.2", "1.2.x"), "^V", "~V", or =, >, >=, <, <= and a
** version V, or V alone (exactly V). v NULL checks the range only.
** 0 with *match set, or -1 with the reason in why, e.g.
** "'^1.x' is not a version range term". */
int semver_range_match(const char *range, const semver *v, bool *match,
                       char *why, size_t whylen);

/* ---- the manifest ---- */

typedef struct manifest_dep {
  char *id;
  char *range; /* checked by semver_range_match */
} manifest_dep;

typedef struct manifest {
  char *id;           /* [a-z0-9._-]{1,64} */
  char *version;      /* as written; semver parses it */
  semver semver;
  char *name, *description, *author; /* NULL when absent */
  char *abi;          /* "process", "tool", "observe"; NULL when absent */
  policy *permissions; /* never NULL; empty when absent */
  bool has_permissions;
  char **entry_points; /* exports the plugin promises */
  size_t entry_point_count;
  manifest_dep *deps;
  size_t dep_count;
  policy_limits resources; /* memory_bytes, fuel, wall_ms; 0: not asked */
  char *metadata_json;     /* the metadata object, compact; NULL */
  size_t ep_cap, dep_cap;  /* the parser's room in the arrays */
} manifest;

/* The manifest in text (len bytes; source names it in messages). NULL
** with a message in err: "SOURCE:LINE:COL: field.path: what is wrong",
** or "out of memory". Unknown fields and duplicate keys are errors. */
manifest *manifest_parse(const char *source, const char *text, size_t len,
                         char *err, size_t errlen);
void manifest_free(manifest *m);

#endif
