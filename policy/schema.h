/*
** schema.h: an observe plugin's configuration checked against the JSON
** Schema its schema() export returns (the subset in docs/manifest.md,
** "JSON Schema"). Both texts are untrusted: the plugin wrote the schema,
** a user the configuration. Work and depth are bounded whatever they say.
*/
#ifndef PLUGSUP_SCHEMA_H
#define PLUGSUP_SCHEMA_H

#include <stddef.h>

/* Longest schema or configuration text checked. */
#define SCHEMA_MAX_BYTES (1u << 20)
/* Most steps (a keyword applied, an enum member compared, a default's
** node copied) one check may take: a hostile schema stops here. */
#define SCHEMA_MAX_STEPS 1000000ul
/* Deepest configuration a schema may descend into, and most $ref hops
** taken without descending (more is a reference cycle). */
#define SCHEMA_MAX_DEPTH 64
#define SCHEMA_MAX_HOPS 32

/* The outcome of schema_check. */
#define SCHEMA_OK 0
#define SCHEMA_MISMATCH -1 /* the configuration does not match: err is
                              "config.port: 70000 is above the maximum
                              65535" */
#define SCHEMA_UNUSABLE -2 /* the schema cannot be used: err is
                              "schema: ..." */

/* Checks config (clen bytes; empty means {}) against schema. On
** SCHEMA_OK, *config_out (when config_out is not NULL) is the
** configuration with the defaults of absent properties filled in, as
** compact JSON, malloc'd. Otherwise err (errlen bytes) says why; "out of
** memory" is SCHEMA_UNUSABLE too. */
int schema_check(const char *schema, size_t slen, const char *config,
                 size_t clen, char **config_out, char *err, size_t errlen);

#endif
