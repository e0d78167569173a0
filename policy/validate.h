/*
** validate.h: the checks of a plugin's validation report, as one pure
** function over what the manager has gathered: the manifest, the worker's
** INSPECT answer (each ABI's problems, imports, exports), the plugin's
** policy, the ceiling and the host's limits. Every finding is reported,
** not only the first. The manager turns them into a plugsup_report.
*/
#ifndef PLUGSUP_VALIDATE_H
#define PLUGSUP_VALIDATE_H

#include <stddef.h>

#include "manifest.h"
#include "policy.h"

/* In the order of the public plugsup_severity, so that one converts to
** the other by value. */
typedef enum validate_severity {
  VALIDATE_INFO = 0,
  VALIDATE_WARNING = 1,
  VALIDATE_ERROR = 2
} validate_severity;

/* Every finding's code, defined once: name, the stable dotted code, its
** severity, and what it means (docs/manifest.md prints this table). */
#define VALIDATE_CODE_LIST(X)                                                \
  X(VALIDATE_MANIFEST_NONE, "manifest.none", VALIDATE_INFO,                  \
    "no manifest: runs get the load options' policy")                        \
  X(VALIDATE_ABI_DETECTED, "abi.detected", VALIDATE_INFO,                    \
    "no ABI was named; the one the module satisfies is used")                \
  X(VALIDATE_ABI_NONE, "abi.none", VALIDATE_ERROR,                           \
    "no ABI was named and the module satisfies none; lists each ABI's "      \
    "problems")                                                              \
  X(VALIDATE_ABI_AMBIGUOUS, "abi.ambiguous", VALIDATE_ERROR,                 \
    "no ABI was named and the module satisfies more than one")               \
  X(VALIDATE_ABI_MISMATCH, "abi.mismatch", VALIDATE_ERROR,                   \
    "the module does not satisfy the ABI it is run with (or the "            \
    "manifest's); lists the problems")                                       \
  X(VALIDATE_ABI_CONFLICT, "abi.conflict", VALIDATE_ERROR,                   \
    "the manifest names one ABI and the load options another")              \
  X(VALIDATE_ABI_METADATA, "abi.metadata", VALIDATE_ERROR,                   \
    "the module satisfies its ABI but its metadata calls failed")            \
  X(VALIDATE_ENTRY_POINT, "manifest.entry_point", VALIDATE_ERROR,            \
    "an entry point the manifest promises is not exported")                 \
  X(VALIDATE_IMPORT_UNGRANTED, "import.ungranted", VALIDATE_WARNING,         \
    "the module imports a WASI call its policy grants nothing for: the "     \
    "call will be refused (random_get: numbers from a fixed seed)")      \
  X(VALIDATE_PERMISSION_CEILING, "permission.ceiling", VALIDATE_ERROR,       \
    "a permission lies beyond the host's ceiling (one finding per line)")    \
  X(VALIDATE_RESOURCE_LIMIT, "resource.limit", VALIDATE_ERROR,               \
    "a resource the manifest asks for is above the host's limit")

typedef enum validate_code {
#define VALIDATE_X_(id, code, severity, meaning) id,
  VALIDATE_CODE_LIST(VALIDATE_X_)
#undef VALIDATE_X_
  VALIDATE_CODE_COUNT
} validate_code;

/* "abi.none", ...; NULL for an unknown code. */
const char *validate_code_name(validate_code code);

/* INSPECT's answer for one ABI. */
typedef struct validate_abi {
  const char *name;             /* "process", "tool", "observe" */
  const char *const *problems;  /* none: the module satisfies it */
  size_t problem_count;
  const char *error;            /* satisfied, but its metadata could not
                                   be read: why; NULL or "" else */
} validate_abi;

typedef struct validate_import {
  const char *name; /* "module::name", e.g. "wasi_snapshot_preview1::
                       path_open" */
  const char *kind; /* "func", "table", "memory", "global" */
} validate_import;

typedef struct validate_input {
  const manifest *manifest;     /* NULL: none */
  const char *abi;              /* the ABI of the load options; NULL or
                                   "": none named */
  const validate_abi *abis;
  size_t abi_count;
  const validate_import *imports;
  size_t import_count;
  const char *const *exports;   /* export names */
  size_t export_count;
  const policy *policy;         /* what runs are granted; NULL: nothing */
  const policy *ceiling;        /* the most any plugin may be; NULL:
                                   nothing */
  const policy_limits *host;    /* the host's limits; NULL or 0 fields:
                                   no bound */
} validate_input;

typedef void validate_fn(void *ud, validate_severity severity,
                         const char *code, const char *message);

/* Calls found for every finding, in the order of the checks (ABI,
** manifest, imports, permissions, resources); returns how many findings
** of severity ERROR there were. Messages quote plugin-given text as it
** is: the caller escapes it for printing. */
size_t validate_plugin(const validate_input *in, validate_fn *found,
                       void *ud);

#endif
