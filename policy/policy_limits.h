/*
** policy_limits.h: the resource limits of one plugin run, with their defaults.
** Pure data and decisions: enforcing them is the supervisor's and the
** worker's job.
*/
#ifndef PLUGSUP_POLICY_LIMITS_H
#define PLUGSUP_POLICY_LIMITS_H

#include <stdint.h>

typedef struct policy_limits {
  uint64_t memory_bytes;   /* linear memory, summed over memories */
  uint64_t fuel;           /* instructions; 0 = unlimited */
  uint64_t wall_ms;        /* wall-clock deadline */
  uint64_t output_bytes;   /* stdout + stderr kept per run */
  uint64_t host_calls;     /* host calls per run; 0 = unlimited */
  uint64_t bytes_read;     /* from files and stdin streams; 0 = unlimited */
  uint64_t bytes_written;  /* to files; 0 = unlimited */
  uint64_t file_size;      /* largest size a written file may reach;
                              0 = unlimited */
  uint64_t open_files;     /* descriptors open at once, preopens included;
                              0 = the broker's own bound */
  uint64_t connections;    /* network connections open at once;
                              0 = the broker's own bound */
} policy_limits;

#define POLICY_DEFAULT_MEMORY_BYTES (256ull << 20)
#define POLICY_MAX_MEMORY_BYTES (4ull << 30)   /* wasm32's whole space */
#define POLICY_DEFAULT_WALL_MS 10000ull
#define POLICY_DEFAULT_OUTPUT_BYTES (1ull << 20)

/* The defaults a run gets when its caller says nothing. */
policy_limits policy_limits_default(void);

/* NULL when l is usable; otherwise a static sentence naming the bad field. */
const char *policy_limits_check(const policy_limits *l);

#endif
