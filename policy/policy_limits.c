/*
** policy_limits.c: default and checked resource limits.
*/
#include "policy_limits.h"

#include <stddef.h>

policy_limits policy_limits_default(void) {
  policy_limits l = {
      .memory_bytes = POLICY_DEFAULT_MEMORY_BYTES,
      .fuel = 0,
      .wall_ms = POLICY_DEFAULT_WALL_MS,
      .output_bytes = POLICY_DEFAULT_OUTPUT_BYTES,
      .host_calls = 0,
  };
  return l;
}

const char *policy_limits_check(const policy_limits *l) {
  if (l->memory_bytes == 0)
    return "memory limit must be at least one byte";
  if (l->memory_bytes > POLICY_MAX_MEMORY_BYTES)
    return "memory limit exceeds 4 GiB, the most a 32-bit memory can use";
  if (l->wall_ms == 0)
    return "wall-clock limit must be at least one millisecond";
  return NULL;
}
