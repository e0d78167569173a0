/*
** spec.h: the spec-suite runner's internals, shared by its three files.
**
**   spec_runner.c  main: lists the .wast files, converts each with
**                  wast2json, runs each file's commands in a forked child
**                  and adds up what the children report.
**   spec_cmd.c     one file's commands against one interp_store.
**   spec_host.c    the 'spectest' host module, the import resolver, and
**                  the value conversions between JSON and interp_value.
**
** A child reports each command as one byte on a pipe (see SPEC_*), so the
** parent still knows how far a child got when the interpreter crashes it.
*/
#ifndef PLUGSUP_SPEC_H
#define PLUGSUP_SPEC_H

#include <jansson.h>
#include <stddef.h>

#include "interp.h"

/* Outcome bytes written by the child, one per counted command. */
#define SPEC_PASS 'P'
#define SPEC_FAIL 'F'
#define SPEC_SKIP 'S'
/* Passed, but our message differs from the suite's (malformed/invalid...). */
#define SPEC_PASS_MISMATCH 'M'

/* A name bound to an instance: named modules ($M) and registered ones. */
typedef struct spec_binding {
  char *name;
  interp_instance *inst;
} spec_binding;

typedef struct spec_host spec_host;

/* Everything one .wast file needs while its commands run. */
typedef struct spec_file {
  const char *wast;          /* "address.wast", for messages */
  const char *json_dir;      /* where wast2json put the .wasm files */
  int verbose;
  interp_store *store;
  spec_host *host;           /* the spectest module, in 'store' */
  interp_instance *current;  /* the last module defined, NULL if it failed */
  spec_binding *named;       /* $name -> instance */
  size_t nnamed;
  spec_binding *registered;  /* register "as" -> instance */
  size_t nregistered;
} spec_file;

/* True for commands that count in the totals ('register' does not). */
int spec_cmd_counted(const json_t *cmd);

/* Run every command of 'commands', writing one outcome byte per counted
** command to fd 'out'. Returns 0, or -1 if the store could not be set up. */
int spec_run_commands(spec_file *sf, const json_t *commands, int out);

/* ---- spec_host.c ---- */

/* Build the spectest module's objects in 'store'. */
interp_status spec_host_new(interp_store *store, spec_host **out);
void spec_host_free(spec_host *h);

/* interp_resolve_fn: 'ud' is the spec_file. */
interp_status spec_resolve(void *ud, const interp_import_desc *imp,
                           interp_extern *out);

/* JSON {"type":..,"value":..} -> interp_value. Returns 0 or -1 if the type
** is not one we run (v128). */
int spec_value_from_json(const json_t *j, interp_value *out);
/* Does 'got' match the expected JSON value (NaN classes included)? */
int spec_value_matches(const json_t *expected, const interp_value *got);
/* Human-readable forms for -v output. */
void spec_value_format(const interp_value *v, char *buf, size_t len);
void spec_json_value_format(const json_t *j, char *buf, size_t len);

#endif
