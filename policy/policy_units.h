/*
** policy_units.h: sizes, durations and counts as people write them, parsed
** by one set of rules for policy files and the command line alike.
**
** Pure (libc only) and self-contained: cli/ compiles policy_units.c into
** itself, since the command line may use the public API only.
*/
#ifndef PLUGSUP_POLICY_UNITS_H
#define PLUGSUP_POLICY_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* Each returns NULL on success, else a static phrase saying what was
** expected, for "bad --memory value 'x': <phrase>". Every value is checked
** whole: "10x", "", "-1", zero and overflow are errors. */

/* Bytes: digits with an optional K, M or G suffix (powers of 1024; KiB,
** MiB, GiB too). */
const char *policy_parse_size(const char *s, uint64_t *out);
/* A memory cap: a size from one wasm page (64K) to 4G. */
const char *policy_parse_memory(const char *s, uint64_t *out);
/* Milliseconds: digits alone are seconds (as for timeout(1)); or with an
** ms, s or m suffix. */
const char *policy_parse_duration(const char *s, uint64_t *out);
/* A positive count: digits only. */
const char *policy_parse_count(const char *s, uint64_t *out);

/* The shortest spelling the parsers above read back to the same value:
** "64M", "1500ms", "5s", "2m", "1000". */
void policy_format_size(uint64_t bytes, char *buf, size_t size);
void policy_format_duration(uint64_t ms, char *buf, size_t size);

#endif
