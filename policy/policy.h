/*
** policy.h: what one plugin run may touch, and the decisions over it.
**
** A policy is a list of grants (capabilities in one grammar, shared by the
** command line and the JSON format: docs/policy.md), preopened
** directories, explicit environment variables, and limits. Everything
** here is pure: no file is read, no path is looked up, no variable is
** read from the process. The supervisor does the I/O and asks here.
**
** Paths handed to the decision functions are host paths, absolute and
** lexically clean ("/srv/data/a.txt": no "." or ".." parts, no "//", no
** trailing '/'), as the supervisor computes them beneath a preopened
** directory.
*/
#ifndef PLUGSUP_POLICY_H
#define PLUGSUP_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "policy_limits.h"

/* The capability kinds, in the grammar's spelling. */
#define POLICY_CAP_LIST(X)                                                \
  X(POLICY_CAP_FS_READ, "fs:read")            /* fs:read:GLOB */          \
  X(POLICY_CAP_FS_WRITE, "fs:write")          /* fs:write:GLOB */         \
  X(POLICY_CAP_ENV, "env")                    /* env:PATTERN */           \
  X(POLICY_CAP_NETWORK, "network:outbound")   /* network:outbound:H:P */  \
  X(POLICY_CAP_EXEC, "exec")                  /* exec:COMMAND */          \
  X(POLICY_CAP_CLOCK, "clock")                                            \
  X(POLICY_CAP_RANDOM, "random")

typedef enum policy_cap_kind {
#define POLICY_X_(kind, text) kind,
  POLICY_CAP_LIST(POLICY_X_)
#undef POLICY_X_
  POLICY_CAP_COUNT
} policy_cap_kind;

/* What an operation needs from the grants on its path. */
typedef enum policy_access {
  POLICY_READ = 1,   /* open for reading, list, stat, readlink */
  POLICY_WRITE = 2,  /* open for writing, O_CREAT, O_TRUNC, unlink, rename
                        and link destinations, set times and sizes */
  POLICY_MKDIR = 4   /* create a directory: write, unless the policy
                        forbids directory creation */
} policy_access;

/* A directory the plugin sees at start (fd 3 onwards, in this order). */
typedef struct policy_preopen {
  const char *host;  /* absolute, clean; a directory when the run starts,
                        or a file whose parent is preopened instead */
  const char *guest; /* what fd_prestat_dir_name says, e.g. "/data" */
} policy_preopen;

typedef struct policy_env_var {
  const char *name;
  const char *value; /* NULL: take the host's value when the run starts */
} policy_env_var;

typedef struct policy policy;

/* NULL when out of memory. */
policy *policy_new(void);
void policy_free(policy *p);

/* The functions that add to a policy return 0, or -1 with a sentence in
** err (at most errlen bytes, NUL-terminated) saying what is wrong, e.g.
** "capability 'fs:rea:/x': unknown kind 'fs:rea'", or "out of memory". */

/* One capability string, e.g. "env:AWS_*", "clock", or fs:read: and a
** glob (docs/policy.md). Also takes the settings lines that share the
** grammar (dir:HOST[::GUEST], ro-dir:, tmp:GUEST, fs:no-mkdir,
** network:https-only, limit:NAME:VALUE), so that every line of
** policy_describe reads back. */
int policy_allow(policy *p, const char *cap, char *err, size_t errlen);
/* A preopened directory: host must be absolute and clean (the supervisor
** makes it so); guest absolute, or "." as wasmtime allows. Grants read
** (and, when writable, write) on HOST and everything beneath it. */
int policy_add_dir(policy *p, const char *host, const char *guest,
                   bool writable, char *err, size_t errlen);
/* An environment variable the plugin sees (value NULL: the host's). */
int policy_set_env(policy *p, const char *name, const char *value, char *err,
                   size_t errlen);
/* Everything a JSON policy says, added to p. source names the text in
** messages: "SOURCE:LINE:COLUMN: FIELD.PATH: what is wrong". On failure p
** is unchanged. */
int policy_parse_json(policy *p, const char *source, const char *text,
                      size_t len, char *err, size_t errlen);

/* ---- what the policy holds ---- */

/* Preopens: those of policy_add_dir and JSON dirs, then one per distinct
** root of the fs: grants (the longest leading part of the glob without a
** wildcard, guest path = host path), in the order they were added. */
size_t policy_preopen_count(const policy *p);
const policy_preopen *policy_preopen_at(const policy *p, size_t i);

size_t policy_env_count(const policy *p);
const policy_env_var *policy_env_at(const policy *p, size_t i);

/* The limits the policy sets; 0 fields are "not set here". */
const policy_limits *policy_get_limits(const policy *p);

/* A fresh empty directory, made for each run and removed after it, is
** preopened as this guest path ("/tmp"); NULL when not granted. */
const char *policy_tmpdir(const policy *p);

/* The policy as text, one grant or limit per line, in the capability
** grammar: malloc'd, NULL when out of memory. */
char *policy_describe(const policy *p);

/* ---- decisions ---- */

/* Whether access to host_path is granted. Either way, cap (capacity
** caplen) receives a capability string: the grant that allows it, or the
** one that would have ("fs:write:/srv/out/a.txt"). access may combine
** bits (READ | WRITE for O_RDWR): all are needed, and write covers read.
** Details of the answer (docs/policy.md, "Decisions"):
**   - a preopen from policy_add_dir answers with its line,
**     "dir:/srv/x::/x" or "ro-dir:/srv/x";
**   - MKDIR under fs:no-mkdir is refused with cap "fs:no-mkdir": no grant
**     would allow it;
**   - a path that is not absolute and clean, or an access of 0 or of
**     unknown bits, is refused with cap "" (a bug of the caller). */
bool policy_may_access(const policy *p, const char *host_path,
                       policy_access access, char *cap, size_t caplen);

/* Whether the plugin may see the host's variable name, by an env:
** pattern or an explicit variable; cap as above. */
bool policy_may_env(const policy *p, const char *name, char *cap,
                    size_t caplen);

/* Whether access beneath the run's temporary directory (policy_tmpdir) is
** granted: everything there is, when the policy has one, but MKDIR not
** under fs:no-mkdir. cap receives "tmp:/tmp" (the guest path), or
** "fs:no-mkdir" for a refused MKDIR. The broker asks this, not
** policy_may_access, for paths beneath that directory: its host path is
** made per run and no grant names it. */
bool policy_may_tmp(const policy *p, policy_access access, char *cap,
                    size_t caplen);

bool policy_has(const policy *p, policy_cap_kind kind); /* clock, random */

/* ---- network and commands (network.c, policy.c) ----
** A connection is decided twice (docs/policy.md, "Network and commands"):
** once on the host as the plugin wrote it, before anything is resolved,
** and again on each address it resolved to, before dialling it, so that
** a name granted cannot be used to reach an address that was not (DNS
** rebinding, a name that resolves to 127.0.0.1). Both leave in cap a
** capability line that policy_allow accepts: the grant that allows it,
** or the one that would have; "" for a malformed request (a bug of the
** caller, or a host that is neither a name nor an address literal). */

/* The first check: host is a DNS name (any case; one trailing '.'
** ignored) or an address literal (IPv6 without brackets), port 1-65535.
** True when a network:outbound: grant's HOST matches it as written: "*";
** the same name; "*.SUFFIX" for a name strictly under SUFFIX (not SUFFIX
** itself); for a literal, the same address or a CIDR that holds it; and
** the grant's PORTS hold port. Refused: cap "network:outbound:HOST:PORT",
** HOST as a grant spells it ("example.com", "10.0.0.1", "[::1]"). */
bool policy_may_connect_name(const policy *p, const char *host, unsigned port,
                             char *cap, size_t caplen);

/* The second check, on one address host resolved to: addr is a whole
** sockaddr_in or sockaddr_in6 as its family says (its port is not read:
** port is), host what the first check was asked. Granted when a grant
** whose HOST is an address or CIDR holds addr, with port in its PORTS;
** else only when addr is ordinary public unicast (policy_addr_class NULL)
** and a grant of a name or "*" allows host and port as above. So a special
** address is reached only through a grant that names it by address:
** network:outbound:localhost:8080 does not reach 127.0.0.1,
** network:outbound:127.0.0.1:8080 does (and an address grant never lets
** a name through the first check). Refused: cap
** "network:outbound:ADDR:PORT", the grant that would allow it. */
bool policy_may_connect_addr(const policy *p, const char *host,
                             const struct sockaddr *addr, unsigned port,
                             char *cap, size_t caplen);

/* NULL for an ordinary public unicast address, else the short name of its
** class, for a message such as "localhost resolves to 127.0.0.1, a
** loopback address: grant it by address (network:outbound:127.0.0.1:8080)":
** "unspecified", "loopback", "private", "link-local", "shared",
** "multicast", "broadcast", "protocol", "documentation", "benchmarking",
** "reserved"; "non-ip" for a family other than AF_INET and AF_INET6.
** IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::/96) addresses are
** judged as the IPv4 address inside. The ranges: docs/policy.md. */
const char *policy_addr_class(const struct sockaddr *addr);

/* addr as text ("1.2.3.4", "::1"), no port; "?" for another family. */
void policy_addr_text(const struct sockaddr *addr, char *buf, size_t len);

/* The sentence for an address policy_may_connect_addr refused, cap being
** what it left there: "localhost resolves to 127.0.0.1, a loopback
** address: grant it by address (network:outbound:127.0.0.1:8080)";
** "127.0.0.1 is a loopback address: ..." when host is that address;
** "... which is not granted (CAP)" for an ordinary one. */
void policy_addr_refusal(const char *host, const struct sockaddr *addr,
                         const char *cap, char *why, size_t len);

/* Whether connections must use TLS from the start (network:https-only,
** JSON network.require_https): the broker refuses one that does not. */
bool policy_https_only(const policy *p);

/* Whether the plugin may run a command. as_written is what it named: a
** program name ("git") or a clean absolute path; resolved is the clean
** absolute path, symlinks resolved, that the supervisor found for it
** (PATH lookup of a name, realpath of a path), or NULL when none was
** found. Granted by exec:*, by exec:NAME when as_written is NAME (a
** name grant never matches a path, so exec:git does not run /tmp/x/git),
** or by exec:/ABS when resolved or as_written is /ABS. Refused: cap
** "exec:AS_WRITTEN"; "" when as_written is empty, holds a control
** character, or is a path that is not absolute and clean, or resolved is
** not absolute and clean. */
bool policy_may_exec(const policy *p, const char *as_written,
                     const char *resolved, char *cap, size_t caplen);

/* ---- combining policies (intersect.c) ---- */

/* A new policy whose decisions grant only what both grant and request
** grant (policy_may_access, _may_env, _may_tmp, _may_connect_name,
** _may_connect_addr, _may_exec, _has: each must say yes; cap names
** grant's capability when both allow, else the one missing). Preopens,
** explicit variables (each also filtered by request's policy_may_env),
** the tmp directory and fs:no-mkdir are grant's; network:https-only holds
** when either says it; limits are grant's, each lowered to request's
** where request sets a lower one.
** policy_describe lists grant's lines, then "request:" and request's.
** NULL when out of memory. Neither input is changed or kept. */
policy *policy_intersect(const policy *grant, const policy *request);

/* Calls excess(ud, line, why) for every capability or setting of request
** that ceiling does not cover, and returns how many. A grant is covered
** when every path, variable or host it could match is matched by a grant
** of ceiling of a kind that allows as much (fs:write covers fs:read);
** e.g. fs:read of the glob /srv/ then '**' is covered by fs:read of '/'
** then '**', or fs:write of /srv/ then '**', not by fs:read of /srv/ then
** '*' (written so because a slash and a star would open a C comment).
** Directories count as fs: grants of their tree; limits of request above
** ceiling's are excess too. Details: docs/policy.md, "Ceilings". */
typedef void policy_excess_fn(void *ud, const char *line, const char *why);
/* why for a capability, directory or variable that no ceiling line
** covers; limits and tmp: say more. */
#define POLICY_EXCESS_NOT_COVERED "no line of the ceiling covers it"
size_t policy_excess(const policy *ceiling, const policy *request,
                     policy_excess_fn *excess, void *ud);

/* The grammar's name of a kind, e.g. "fs:read". */
const char *policy_cap_name(policy_cap_kind kind);

#endif
