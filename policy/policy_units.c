/*
** policy_units.c: strict parsing of sizes, durations and counts.
*/
#include "policy_units.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define MEMORY_MIN (64u << 10) /* one wasm page */
#define MEMORY_MAX (4ull << 30)

/* Digits only, no sign, no overflow; *end is what follows them. */
static bool parse_digits(const char *s, uint64_t *out, const char **end) {
  uint64_t v = 0;
  const char *p = s;
  for (; *p >= '0' && *p <= '9'; p++) {
    uint64_t d = (uint64_t)(*p - '0');
    if (v > (UINT64_MAX - d) / 10)
      return false;
    v = v * 10 + d;
  }
  *out = v;
  *end = p;
  return p != s;
}

static bool scale(uint64_t *v, uint64_t by) {
  if (*v > UINT64_MAX / by)
    return false;
  *v *= by;
  return true;
}

const char *policy_parse_size(const char *s, uint64_t *out) {
  static const char want[] = "expected bytes, with an optional K, M or G suffix";
  static const struct {
    const char *suffix;
    uint64_t by;
  } units[] = {{"", 1},         {"K", 1u << 10}, {"k", 1u << 10},
               {"M", 1u << 20}, {"G", 1u << 30}, {"KiB", 1u << 10},
               {"MiB", 1u << 20}, {"GiB", 1u << 30}};
  const char *end;
  if (!parse_digits(s, out, &end))
    return want;
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (strcmp(end, units[i].suffix) == 0) {
      if (!scale(out, units[i].by))
        return "too large";
      return *out ? NULL : "must be more than zero";
    }
  return want;
}

const char *policy_parse_memory(const char *s, uint64_t *out) {
  const char *bad = policy_parse_size(s, out);
  if (!bad && *out > MEMORY_MAX)
    bad = "at most 4G, all a 32-bit memory can address";
  if (!bad && *out < MEMORY_MIN)
    bad = "at least 64K, one wasm page";
  return bad;
}

/* A bare number is seconds, as for timeout(1), curl and nsjail. */
const char *policy_parse_duration(const char *s, uint64_t *out) {
  static const char want[] = "expected seconds, or a number with ms, s or m";
  const char *end;
  if (!parse_digits(s, out, &end))
    return want;
  uint64_t by = strcmp(end, "ms") == 0                         ? 1
                : strcmp(end, "") == 0 || strcmp(end, "s") == 0 ? 1000
                : strcmp(end, "m") == 0                         ? 60000
                                                                : 0;
  if (!by)
    return want;
  if (!scale(out, by))
    return "too large";
  return *out ? NULL : "must be more than zero";
}

const char *policy_parse_count(const char *s, uint64_t *out) {
  const char *end;
  if (!parse_digits(s, out, &end) || *end)
    return "expected a positive whole number";
  return *out ? NULL : "must be more than zero";
}

void policy_format_size(uint64_t bytes, char *buf, size_t size) {
  static const char suffix[] = "GMK";
  for (int i = 0; i < 3; i++) {
    uint64_t unit = 1ull << (10 * (3 - i));
    if (bytes && bytes % unit == 0) {
      snprintf(buf, size, "%" PRIu64 "%c", bytes / unit, suffix[i]);
      return;
    }
  }
  snprintf(buf, size, "%" PRIu64, bytes);
}

void policy_format_duration(uint64_t ms, char *buf, size_t size) {
  if (ms && ms % 60000 == 0)
    snprintf(buf, size, "%" PRIu64 "m", ms / 60000);
  else if (ms && ms % 1000 == 0)
    snprintf(buf, size, "%" PRIu64 "s", ms / 1000);
  else
    snprintf(buf, size, "%" PRIu64 "ms", ms);
}
