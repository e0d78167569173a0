/*
** cli.h: what the plugsup command's files share.
*/
#ifndef PLUGSUP_CLI_H
#define PLUGSUP_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "plugsup.h"

/* Exit statuses of plugsup. A plugin's own exit code 0-124 passes through
** unchanged and 125 stands for any larger one; plugsup's own statuses lie
** above 159, so they collide neither with those nor with the shell's 126,
** 127 and 128+signal. Each status means one thing only. */
#define CLI_EXIT_LIST(X)                                                    \
  X(CLI_EXIT_BIG_CODE, 125, "the plugin exited with code 125 or more")      \
  X(CLI_EXIT_TRAP, 160, "the plugin trapped")                               \
  X(CLI_EXIT_TIMEOUT, 161, "the wall-clock (or CPU) time limit was reached") \
  X(CLI_EXIT_FUEL, 162, "the plugin ran out of fuel")                       \
  X(CLI_EXIT_MEMORY, 163, "the plugin ran out of memory")                   \
  X(CLI_EXIT_VIOLATION, 164, "sandbox violation: a forbidden system call")  \
  X(CLI_EXIT_CRASH, 165, "the worker process crashed with a signal")        \
  X(CLI_EXIT_INVALID, 166, "the module is malformed, invalid or unlinkable") \
  X(CLI_EXIT_BAD_REQUEST, 167, "no such export, or wrong arguments for it") \
  X(CLI_EXIT_PROTOCOL, 168, "the worker broke the protocol")                \
  X(CLI_EXIT_SYSTEM, 169, "plugsup itself failed: unreadable plugin, "      \
                          "missing worker, system error")                   \
  X(CLI_EXIT_USAGE, 170, "usage error: bad option, value or argument")     \
  X(CLI_EXIT_ABI, 171, "the plugin broke its ABI (bad pointer, length, "    \
                       "string or export)")                                 \
  X(CLI_EXIT_PLUGIN, 172, "the plugin reported a failure of its own")       \
  X(CLI_EXIT_REJECTED, 173, "the plugin failed validation (see its "        \
                            "findings)")

enum {
#define X(name, code, text) name = code,
  CLI_EXIT_LIST(X)
#undef X
};

/* The commands, as bits: each option says which take it. */
typedef enum cli_cmd {
  CLI_CMD_RUN = 1,
  CLI_CMD_VALIDATE = 2,
  CLI_CMD_POLICY = 4,
  CLI_CMD_PROCESS = 8,
  CLI_CMD_TOOL = 16,     /* tool list, tool run */
  CLI_CMD_OBSERVE = 32,
  CLI_CMD_INSPECT = 64,
  CLI_CMD_NEW = 128
} cli_cmd;

typedef struct cli_opts {
  const char *invoke;   /* --invoke NAME, or NULL for _start */
  plugsup_limits limits;
  bool stats, json;
  bool no_namespaces;   /* --no-namespaces */
  const char *input_path; /* --input FILE, "-" for stdin */
  char *input;          /* its bytes, read by cli_read_input */
  size_t input_len;
  plugsup_policy *policy; /* from --dir, --ro-dir, --env, --allow and
                             --policy, in their order; NULL if none */
  const char *policy_file; /* --policy FILE */
  int audit_fd;         /* --audit: where decisions go; -1 for none */
  const char *input_file; /* tool run --input-file FILE */
  const char *config;   /* observe --config JSON|FILE */
  const char *manifest; /* --manifest FILE */
  const char *abi;      /* new --abi NAME */
  const char *plugin;   /* path (plugsup policy: the FILE, or NULL; plugsup
                           new: the NAME) */
  char **rest;          /* plugin arguments or values */
  int nrest;
} cli_opts;

/* Subcommands: each returns plugsup's exit status. */
int cli_run(int argc, char **argv);
int cli_validate(int argc, char **argv);
int cli_policy(int argc, char **argv);
int cli_process(int argc, char **argv);
int cli_tool(int argc, char **argv);
int cli_observe(int argc, char **argv);
int cli_inspect(int argc, char **argv);
int cli_new(int argc, char **argv);

/* Shared by the subcommands (common.c). */
int cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Parses the options 'which' takes into o, then the plugin path (optional
** for 'plugsup policy'). -1 to go on, or the exit status to end with;
** either way the caller ends with cli_opts_free. */
int cli_parse_common(const char *cmd, cli_cmd which, int argc, char **argv,
                     cli_opts *o, void (*help)(void));
void cli_opts_free(cli_opts *o);
/* A supervisor with the worker found beside the plugsup binary, in the
** installed libexec dir, or at $PLUGSUP_WORKER, for a command that makes
** 'runs' runs of one plugin: one run starts its worker by exec, more take
** the library's default (a zygote); NULL after a message. */
plugsup_supervisor *cli_supervisor(const cli_opts *o, unsigned runs);
/* The configuration cli_supervisor uses, its worker path in worker;
** false after a message. */
#define CLI_WORKER_PATH_MAX 4200
bool cli_config(const cli_opts *o, unsigned runs, plugsup_config *cfg,
                char worker[CLI_WORKER_PATH_MAX]);
plugsup_plugin *cli_load(const char *path);
/* Reads o->input_path, if set, into o->input; false after a message. */
bool cli_read_input(cli_opts *o);
/* The run's output limit: --max-output, else all of it for a plain run
** (streamed, never kept), 1 MiB for --json (kept for its object). */
#define CLI_JSON_OUTPUT_DEFAULT (1u << 20)
uint64_t cli_output_limit(const cli_opts *o);
/* Where a run's callbacks write: the plugin's output to plugsup's own
** (stdout to stderr when stdout holds something else), decisions to the
** --audit file. */
typedef struct cli_sinks {
  bool gone[3];          /* a stream whose reader has gone: no more */
  int audit_fd;          /* -1: no --audit */
  bool stdout_to_stderr; /* stdout carries the ABI's output instead */
} cli_sinks;
/* plugsup_output_fn and plugsup_audit_fn, userdata a cli_sinks. */
void cli_pass_output(void *userdata, int fd, const void *data, size_t len);
void cli_write_audit(void *userdata, const char *json_line);
/* One stderr line per stream that the limit cut. */
void cli_report_cut(const plugsup_result *r, uint64_t limit);
/* Exit status and one-line stderr message for a result. */
int cli_outcome_exit(const plugsup_result *r);
void cli_report_outcome(const plugsup_result *r);
void cli_print_stats(const plugsup_result *r);
/* The names of the namespaces bits set in ns, comma-separated, into buf
** ("none" for 0). */
void cli_namespace_names(unsigned ns, char *buf, size_t size);
/* One JSON object for r on stdout (json.c); false if out of memory. */
bool cli_print_json(const plugsup_result *r, bool validate);
/* The object cli_print_json prints, to add to (json.c); NULL when out of
** memory. A json_t, declared here without jansson.h. */
struct json_t *cli_result_json(const plugsup_result *r);
/* Prints obj compactly on a line of stdout and drops it; false if out of
** memory. */
bool cli_print_object(struct json_t *obj);
/* Plugin bytes as a JSON string, invalid UTF-8 as '?' (json.c). */
struct json_t *cli_bytes_json(const char *data, size_t len);
/* {"valid", "exports", "imports"} of a VALIDATE or INSPECT result. */
struct json_t *cli_module_json(const plugsup_result *r);
/* Writes plugin text made safe for a terminal (plugsup_text_escape). */
void cli_put_text(FILE *f, const char *data, size_t len);
/* The exports and imports of a VALIDATE or INSPECT result (run.c). */
void cli_print_module(const plugsup_result *r);

#endif
