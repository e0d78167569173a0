/*
** policy_internal.h: what the files of policy/ share. Names start with pol_.
*/
#ifndef PLUGSUP_POLICY_INTERNAL_H
#define PLUGSUP_POLICY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"

/* Longest path or capability accepted: PATH_MAX, so a grant can name any
** path the kernel can, and no input makes matching slow. */
#define POL_MAX_TEXT 4096

/* One capability, as policy_allow took it. */
typedef struct pol_grant {
  policy_cap_kind kind;
  char *text;      /* canonical: the glob normalised, the short network
                      form spelled out; what describe prints */
  const char *arg; /* inside text: what follows the kind and its ':' */
} pol_grant;

/* A preopen from policy_add_dir (the first member, so that a pointer to
** one is a policy_preopen pointer for policy_preopen_at). */
typedef struct pol_dir {
  policy_preopen po; /* host and guest malloc'd */
  bool writable;
} pol_dir;

#define POL_VEC(type) \
  struct {            \
    type *at;         \
    size_t n, cap;    \
  }

struct policy {
  POL_VEC(pol_grant) grants;
  POL_VEC(pol_dir) dirs;
  POL_VEC(policy_preopen) roots; /* of fs: grants; guest == host */
  POL_VEC(policy_env_var) env;
  policy_limits limits;          /* 0: not set */
  char *tmp_guest;               /* NULL: no temporary directory */
  bool no_mkdir;                 /* fs:no-mkdir: writes, but no mkdir */
  bool https_only;               /* network:https-only: TLS from the start */
  policy *request;               /* policy_intersect: what the plugin asked;
                                    every decision needs its yes too */
};

/* Makes room for one more element in a POL_VEC; false when out of memory. */
#define POL_GROW(vec) pol_grow((void **)&(vec).at, &(vec).cap, (vec).n, \
                               sizeof *(vec).at)
bool pol_grow(void **at, size_t *cap, size_t n, size_t elem);

/* snprintf into err, if there is one; returns -1 for "return pol_err(...)". */
int pol_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- paths and patterns (glob.c) ---- */

/* A malloc'd copy of an absolute path with "//", "." parts and a trailing
** '/' removed; NULL with *why set for a relative path, a ".." part or a
** path too long ("out of memory" when so). */
char *pol_path_clean(const char *path, const char **why);
/* Whether path is absolute and clean as pol_path_clean makes it. */
bool pol_path_is_clean(const char *path);
/* A static phrase saying what is wrong with glob (clean, absolute), or
** NULL: '**' must be a whole component. */
const char *pol_glob_check(const char *glob);
/* Whether the clean absolute path matches glob: '*' and '?' within one
** component, '**' any number of components, zero included. */
bool pol_glob_match(const char *glob, const char *path);
/* The length of glob's root: its longest leading run of components
** without a wildcard ("/srv/data/x*" -> 9, "/srv/data"; "/x*" -> 1). */
size_t pol_glob_root(const char *glob);
/* Whether path is dir or beneath it (both clean). */
bool pol_path_within(const char *path, const char *dir);
/* Whether name matches pattern, '*' matching any run of characters. */
bool pol_env_match(const char *pattern, const char *name);
/* Whether glob a matches every path glob b can match: b's '*' and '?'
** only under a's '*' (or '?' for '?') in that place, or a's '**'; b's
** '**' only under a's '**'. Both clean and checked by pol_glob_check. */
bool pol_glob_covers(const char *a, const char *b);
/* Whether env pattern a matches every name pattern b can match. */
bool pol_env_covers(const char *a, const char *b);

/* ---- policy lines (capability.c) ---- */

/* Adds one policy line (a capability, or a setting: dir:, ro-dir:, tmp:,
** limit:, fs:no-mkdir) to p; -1 with the bare reason in why, e.g.
** "unknown kind 'fs:rea'" (policy_allow puts the line in front). */
int pol_apply_line(policy *p, const char *line, char *why, size_t whylen);
/* Whether s (len bytes) is a DNS name as a grant or a request may spell
** it: labels of letters, digits and '-' (not at either end), at most 253
** bytes, one trailing '.' allowed; the last label starts with a letter,
** so that no numeric form an address parser takes (127.1, 0x7f000001,
** 2130706433) passes for a name. */
bool pol_host_name_ok(const char *s, size_t len);
/* Checks a PORTS text ("*", "443", "80,443", "8000-8100"); -1 with the
** reason, e.g. "port 99999 out of range". */
int pol_check_ports(const char *ports, char *why, size_t whylen);
/* Adds a grant of kind whose argument is arg, or -1 with the bare reason. */
int pol_add_grant(policy *p, policy_cap_kind kind, const char *arg,
                  char *why, size_t whylen);
/* Sets a limit by its name ("memory", "wall_time", ...) from its text; -1
** with the reason; an unknown name says so. */
int pol_set_limit(policy *p, const char *name, const char *value, char *why,
                  size_t whylen);
/* Whether name is a limit's name. */
bool pol_is_limit(const char *name);
/* Sets the temporary directory's guest path (absolute). */
int pol_set_tmp(policy *p, const char *guest, char *why, size_t whylen);
/* Appends the describe lines of the settings and limits to a buffer. */
typedef struct pol_text {
  char *s;
  size_t len, cap;
  bool failed; /* out of memory */
} pol_text;
void pol_text_add(pol_text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void pol_describe_limits(const policy *p, pol_text *t);
/* The limits by index, in the order of the limit table (capability.c):
** count, name ("memory"), value, and the line "limit:memory:64M". */
size_t pol_limit_count(void);
const char *pol_limit_name(size_t i);
uint64_t pol_limit_get(const policy_limits *l, size_t i);
void pol_limit_put(policy_limits *l, size_t i, uint64_t v);
void pol_limit_line(size_t i, uint64_t v, char *buf, size_t size);
/* "dir:HOST", "dir:HOST::GUEST" or "ro-dir:..." of a preopen (policy.c). */
void pol_dir_line(const pol_dir *d, char *buf, size_t size);

/* ---- network grants (network.c) ---- */

/* The length of HOST in a canonical network grant "HOST:PORTS" (HOST may
** be "[v6]" or "[v6/len]"). */
size_t pol_net_host_len(const char *arg);
/* The port range at *s in a PORTS text other than "*" ("80" or
** "8000-8100"), moving *s past it and its ','. */
void pol_port_next(const char **s, unsigned long *lo, unsigned long *hi);
/* Whether grant host a (an bytes) reaches every destination that grant
** host b (bn bytes) can (policy_excess): "*" every name, and addresses
** only when all are public, since a name grant reaches no special
** address; "*.SUFFIX" every name under SUFFIX; a name itself, in any
** case; an address or CIDR every address it holds. */
bool pol_net_host_covers(const char *a, size_t an, const char *b, size_t bn);

/* ---- decisions (policy.c) ---- */

/* Writes text into cap, if there is one. */
void pol_put(char *cap, size_t caplen, const char *text);
/* The verdict of an intersection's request, whose cap rcap replaces cap
** only when it refuses (so cap names the own grant when both allow). */
bool pol_request_says(bool yes, const char *rcap, char *cap, size_t caplen);
/* The room a decision's cap may need. */
#define POL_CAP_MAX (2 * POL_MAX_TEXT + 16)

/* ---- the object (policy.c) ---- */

/* A deep copy of p, NULL when out of memory: policy_parse_json works on
** one and swaps it in only when the whole text is good. */
policy *pol_clone(const policy *p);
/* Exchanges what a and b hold. */
void pol_swap(policy *a, policy *b);

#endif
