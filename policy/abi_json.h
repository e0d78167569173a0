/*
** abi_json.h: the JSON that plugins of the OBSERVE and TOOL ABIs speak
** (docs/manifest.md, "ABI data"). Every text here comes from a plugin:
** untrusted, any bytes, parsed without trust and fuzzed (fuzz_abi_json).
*/
#ifndef PLUGSUP_ABI_JSON_H
#define PLUGSUP_ABI_JSON_H

#include <stddef.h>

#include "policy.h"

/* Longest describe() or observe() text parsed; more is refused. */
#define ABI_JSON_MAX_BYTES (1u << 20)

/* What an observe plugin's describe() says of itself. */
typedef struct abi_describe {
  char *name, *version, *description; /* "" when absent */
  policy *capabilities; /* what it asks for; never NULL after a parse */
  char *json;           /* the whole object, compact and with sorted keys:
                           the same text for the same meaning */
} abi_describe;

/* 0, or -1 with why in err: "describe: ..." (not JSON, not an object, a
** field of the wrong type, "describe: capabilities[2] 'fs:rea:/x':
** unknown kind 'fs:rea'"). On failure out holds nothing to free. */
int abi_describe_parse(const char *text, size_t len, abi_describe *out,
                       char *err, size_t errlen);
void abi_describe_free(abi_describe *d);

/* A capability {"kind": KIND, "pattern": PATTERN} as a policy line,
** "KIND:PATTERN", into line. An fs pattern's glob that is not absolute
** is taken from the root: a '/' goes in front of it, so Reglet's "read:"
** and two stars (everything) is fs:read of '/' and two stars. An exec
** pattern of exactly two stars stands for every command, "exec:*".
** Examples: docs/manifest.md, "Describe". -1 when line is too small. */
int abi_capability_line(const char *kind, const char *pattern, char *line,
                        size_t size);

/* The verdict of an observe() response. */
typedef enum abi_verdict {
  ABI_VERDICT_SUCCESS = 0, /* "status": true */
  ABI_VERDICT_FAILURE = 1, /* "status": false: msg is its error */
  ABI_VERDICT_INVALID = -1 /* not a response: msg says why */
} abi_verdict;

/* Reads "status" and "error" (a string, or an object with "message"),
** keys matched as Go's encoding/json does, case aside, since Reglet's SDK
** writes "Status" and "Error". msg (msglen bytes) gets the plugin's
** message, its bytes unchanged (cut to fit). */
abi_verdict abi_verdict_parse(const char *text, size_t len, char *msg,
                              size_t msglen);

/* The TOOL metadata object {"name","version","description","tools":
** [{"name","description"}]} from the plugin's strings, n tools. Strings
** may hold any bytes: invalid UTF-8 and backslashes are written as the
** public header's escapes (\xNN, \\) inside the JSON string, so that the
** text is always valid JSON and distinct inputs stay distinct. malloc'd;
** NULL when out of memory. */
char *abi_tool_metadata(const char *name, const char *version,
                        const char *description,
                        const char *const *tool_names,
                        const char *const *tool_descriptions, size_t n);

#endif
