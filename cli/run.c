/*
** run.c: `plugsup run` and `plugsup validate`.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cli.h"
#include "options.h"

static void run_help(void) {
  printf(
      "usage: plugsup run [OPTIONS] PLUGIN.wasm [ARGS...]\n"
      "       plugsup run --invoke NAME [OPTIONS] PLUGIN.wasm [VALUES...]\n"
      "\n"
      "Run a WASI command (its _start) with ARGS, or call the export NAME with\n"
      "VALUES, in a sandboxed worker process. Options come before PLUGIN.wasm\n"
      "(or end at '--'); everything after it belongs to the plugin.\n"
      "\n"
      "  --invoke NAME     call export NAME; each VALUE is parsed by the type of\n"
      "                    its parameter (5, -1, 0x10, 2.5, nan, inf, null, a\n"
      "                    v128 as i32x4:1,2,3,4), or typed as TYPE:VALUE\n"
      "                    (i32:5; all typed, or none, saves a worker start);\n"
      "                    results print one per line\n"
      "  --timeout T       wall-clock limit: seconds, or with ms, s or m\n"
      "                    (default 10s); the worker is then killed\n"
      "  --memory N        all the plugin's memory (linear memory, tables,\n"
      "                    stacks, code), with K, M or G (default 256M, at\n"
      "                    least 64K)\n"
      "  --fuel N          instruction budget (default: unlimited)\n"
      "  --max-output N    stdout plus stderr passed on, with K, M or G; the\n"
      "                    rest is cut, and stderr says so (default: all of\n"
      "                    it; with --json, 1M)\n"
      "  --input FILE      what the plugin reads from stdin ('-': plugsup's own\n"
      "                    stdin, read to its end first); default: plugsup's\n"
      "                    stdin, as a stream\n"
      "  --stats           print outcome, fuel, peak memory, CPU and wall time,\n"
      "                    host calls and file bytes to stderr\n"
      "  --json            print one JSON object for the run on stdout instead\n"
      "                    of the plugin's output\n"
      "  --no-namespaces   do not put the worker in new namespaces (faster;\n"
      "                    the seccomp filter still applies)\n"
      "\n"
      "What the plugin may touch (nothing by default; docs/policy.md):\n"
      "  --dir HOST[::GUEST]     preopen directory HOST, read-write, as GUEST\n"
      "                          (default: HOST as written)\n"
      "  --ro-dir HOST[::GUEST]  the same, read-only\n"
      "  --env NAME=VALUE        the plugin sees NAME=VALUE\n"
      "  --env NAME              the plugin sees NAME with its value here\n"
      "  --allow CAPABILITY      grant a capability: fs:read:GLOB,\n"
      "                          fs:write:GLOB, env:PATTERN, clock, random, ...\n"
      "  --policy FILE           a JSON policy (once)\n"
      "  --audit FILE            append every host-call decision to FILE as a\n"
      "                          line of JSON ('-': stderr)\n"
      "  -h, --help        this text\n"
      "\n"
      "The exit status is the plugin's own exit code (0-124); see 'plugsup\n"
      "--help' for the statuses of the other outcomes.\n");
}

static void validate_help(void) {
  printf(
      "usage: plugsup validate [OPTIONS] PLUGIN.wasm\n"
      "\n"
      "Decode and validate PLUGIN.wasm inside a sandboxed worker and print its\n"
      "exports (name, kind, type) and imports. Exit status 0 if it is valid,\n"
      "166 if not.\n"
      "\n"
      "  --timeout T       wall-clock limit (default 10s)\n"
      "  --memory N        memory cap for the module, with K, M or G\n"
      "  --json            print one JSON object on stdout\n"
      "  --no-namespaces   do not put the worker in new namespaces\n"
      "  -h, --help        this text\n");
}

/* The input goes only to runs that execute: a VALIDATE run would copy and
** ship it for nothing. */
static void options_for(const cli_opts *o, plugsup_mode mode,
                        plugsup_run_options *ro) {
  memset(ro, 0, sizeof *ro);
  ro->size = sizeof *ro;
  ro->mode = mode;
  ro->limits = o->limits;
  ro->limits.output_bytes = cli_output_limit(o);
  if (mode != PLUGSUP_MODE_VALIDATE) {
    ro->input = o->input;
    ro->input_len = o->input_len;
    /* Without --input the plugin reads plugsup's own stdin as a stream,
    ** as it would run natively: read when it asks, never before. */
    ro->input_from_fd = o->input_path == NULL;
    ro->input_fd = STDIN_FILENO;
  }
  static cli_sinks sinks;
  sinks.audit_fd = o->audit_fd;
  ro->userdata = &sinks;
  ro->policy = o->policy;
  if (o->audit_fd >= 0)
    ro->on_audit = cli_write_audit;
  if (!o->json) {
    ro->on_output = cli_pass_output;
    ro->output_stream_only = true; /* shown as it comes, never kept */
  }
}

static plugsup_result *execute(plugsup_supervisor *sup, plugsup_plugin *plg,
                               const plugsup_run_options *ro) {
  plugsup_result *r;
  if (plugsup_run(sup, plg, ro, &r) != PLUGSUP_OK) {
    fprintf(stderr, "plugsup: %s\n", plugsup_errmsg());
    return NULL;
  }
  return r;
}

static void print_values(const plugsup_result *r) {
  char buf[CLI_VALUE_TEXT_MAX];
  for (size_t i = 0; i < r->value_count; i++) {
    cli_format_value(&r->values[i], buf, sizeof buf);
    printf("%s\n", buf);
  }
}

void cli_print_module(const plugsup_result *r) {
  printf("exports:\n");
  for (size_t i = 0; i < r->export_count; i++)
    printf("  %s %s%s%s\n", r->exports[i].kind, r->exports[i].name,
           *r->exports[i].type ? " " : "", r->exports[i].type);
  printf("imports:\n");
  for (size_t i = 0; i < r->import_count; i++)
    printf("  %s\n", r->imports[i]);
}

/* Prints r as the options ask, frees it, returns the exit status. */
static int report(plugsup_result *r, const cli_opts *o, plugsup_mode mode) {
  int rc = cli_outcome_exit(r);
  cli_report_cut(r, cli_output_limit(o)); /* the cut came before the end */
  if (o->json && !cli_print_json(r, mode == PLUGSUP_MODE_VALIDATE)) {
    fprintf(stderr, "plugsup: out of memory writing JSON\n");
    rc = CLI_EXIT_SYSTEM;
  }
  if (!o->json) {
    /* A plugin that fails on a refusal often says only "errno 76": say
    ** where to look. */
    if (r->host_denials && o->audit_fd < 0)
      fprintf(stderr, "plugsup: the policy refused %llu host call%s; "
              "--audit - lists them\n", (unsigned long long)r->host_denials,
              r->host_denials == 1 ? "" : "s");
    cli_report_outcome(r);
    if (r->outcome == PLUGSUP_OUTCOME_OK && mode == PLUGSUP_MODE_INVOKE)
      print_values(r);
    if (r->outcome == PLUGSUP_OUTCOME_OK && mode == PLUGSUP_MODE_VALIDATE)
      cli_print_module(r);
  }
  if (o->stats)
    cli_print_stats(r);
  plugsup_result_free(r);
  return rc;
}

/* ---- --invoke ---- */

static const plugsup_export *find_func(const plugsup_result *v,
                                       const char *name) {
  for (size_t i = 0; i < v->export_count; i++)
    if (strcmp(v->exports[i].name, name) == 0 &&
        strcmp(v->exports[i].kind, "func") == 0)
      return &v->exports[i];
  return NULL;
}

static void type_list(const plugsup_valtype *t, size_t n, char *buf,
                      size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < n && used < size; i++)
    used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? " " : "",
                             cli_valtype_name(t[i]));
}

/* Parses the VALUES by the export's parameter types into args. */
static int parse_args(const cli_opts *o, const cli_functype *ft,
                      plugsup_value *args) {
  char types[512];
  if ((size_t)o->nrest != ft->nparams) {
    type_list(ft->params, ft->nparams, types, sizeof types);
    return cli_usage_error("run", "'%s' takes %zu argument%s (%s), got %d",
                           o->invoke, ft->nparams, ft->nparams == 1 ? "" : "s",
                           types, o->nrest);
  }
  for (size_t i = 0; i < ft->nparams; i++) {
    cli_why why;
    const char *bad = cli_parse_value(o->rest[i], ft->params[i], &args[i],
                                      &why);
    if (bad)
      return cli_usage_error("run", "argument %zu '%s' is not a valid %s: %s",
                             i + 1, o->rest[i],
                             cli_valtype_name(ft->params[i]), bad);
  }
  return 0;
}

/* Parses the VALUES by the export's type, learnt from a VALIDATE run: the
** CLI never parses wasm itself, and users can write plain numbers. -1
** with args and *nargs set, or the exit status to end with. */
static int typed_by_export(plugsup_supervisor *sup, plugsup_plugin *plg,
                           const cli_opts *o, plugsup_value *args,
                           size_t *nargs) {
  plugsup_run_options ro;
  options_for(o, PLUGSUP_MODE_VALIDATE, &ro);
  plugsup_result *v = execute(sup, plg, &ro);
  if (!v)
    return CLI_EXIT_SYSTEM;
  if (v->outcome != PLUGSUP_OUTCOME_OK)
    return report(v, o, PLUGSUP_MODE_VALIDATE);
  const plugsup_export *e = find_func(v, o->invoke);
  cli_functype ft;
  int rc;
  if (!e) {
    fprintf(stderr, "plugsup: '%s' exports no function named '%s'\n",
            o->plugin, o->invoke);
    rc = CLI_EXIT_BAD_REQUEST;
  } else if (!cli_parse_functype(e->type, &ft)) {
    fprintf(stderr, "plugsup: cannot read the type '%s' of '%s'\n", e->type,
            o->invoke);
    rc = CLI_EXIT_PROTOCOL;
  } else if (!(rc = parse_args(o, &ft, args))) {
    *nargs = ft.nparams;
    rc = -1;
  }
  plugsup_result_free(v);
  return rc;
}

/* Values that each say their type (i64:5), or none at all, need no
** VALIDATE run, whose worker start is nearly half the command. False
** for an untyped or unparsable value. */
static bool typed_by_user(const cli_opts *o, plugsup_value *args) {
  plugsup_valtype t;
  cli_why why;
  for (int i = 0; i < o->nrest; i++)
    if (!cli_value_type(o->rest[i], &t) ||
        cli_parse_value(o->rest[i], t, &args[i], &why))
      return false;
  return true;
}

static unsigned invoke_runs(const cli_opts *o) {
  plugsup_value args[CLI_MAX_TYPES];
  return typed_by_user(o, args) ? 1 : 2;
}

static plugsup_result *call(plugsup_supervisor *sup, plugsup_plugin *plg,
                            const cli_opts *o, const plugsup_value *args,
                            size_t nargs) {
  plugsup_run_options ro;
  options_for(o, PLUGSUP_MODE_INVOKE, &ro);
  ro.export_name = o->invoke;
  ro.args = args;
  ro.nargs = nargs;
  return execute(sup, plg, &ro);
}

/* A call the worker refuses before making it (no such function, other
** parameters: BAD_REQUEST; a module that does not load or link) is told
** in the worker's words; the VALIDATE run then says it as it does for
** untyped values, --json's module fields too. A call that run finds
** right is never made a second time. */
static bool refused(const plugsup_result *r) {
  return r->outcome == PLUGSUP_OUTCOME_BAD_REQUEST ||
         r->outcome == PLUGSUP_OUTCOME_INVALID_MODULE;
}

static int invoke(plugsup_supervisor *sup, plugsup_plugin *plg,
                  const cli_opts *o) {
  plugsup_value args[CLI_MAX_TYPES];
  size_t nargs = (size_t)o->nrest;
  bool typed = typed_by_user(o, args);
  int rc;
  if (!typed && (rc = typed_by_export(sup, plg, o, args, &nargs)) >= 0)
    return rc;
  plugsup_result *r = call(sup, plg, o, args, nargs);
  if (typed && r && refused(r) &&
      (rc = typed_by_export(sup, plg, o, args, &nargs)) >= 0) {
    plugsup_result_free(r);
    return rc;
  }
  return r ? report(r, o, PLUGSUP_MODE_INVOKE) : CLI_EXIT_SYSTEM;
}

static int start(plugsup_supervisor *sup, plugsup_plugin *plg,
                 const cli_opts *o) {
  plugsup_run_options ro;
  options_for(o, PLUGSUP_MODE_START, &ro);
  /* argv[0] is the plugin's path, as a shell would give it. */
  const char **argv = calloc((size_t)o->nrest + 1, sizeof *argv);
  if (!argv) {
    fprintf(stderr, "plugsup: out of memory\n");
    return CLI_EXIT_SYSTEM;
  }
  argv[0] = o->plugin;
  for (int i = 0; i < o->nrest; i++)
    argv[i + 1] = o->rest[i];
  ro.argv = argv;
  ro.argc = (size_t)o->nrest + 1;
  plugsup_result *r = execute(sup, plg, &ro);
  free(argv);
  return r ? report(r, o, PLUGSUP_MODE_START) : CLI_EXIT_SYSTEM;
}

/* Loads the plugin and makes a supervisor for the runs 'body' makes,
** then runs 'body'. */
static int with_plugin(const cli_opts *o, unsigned runs,
                       int (*body)(plugsup_supervisor *, plugsup_plugin *,
                                   const cli_opts *)) {
  plugsup_plugin *plg = cli_load(o->plugin);
  if (!plg)
    return CLI_EXIT_SYSTEM;
  plugsup_supervisor *sup = cli_supervisor(o, runs);
  int rc = sup ? body(sup, plg, o) : CLI_EXIT_SYSTEM;
  plugsup_supervisor_free(sup);
  plugsup_plugin_free(plg);
  return rc;
}

int cli_run(int argc, char **argv) {
  cli_opts o;
  int rc = cli_parse_common("run", CLI_CMD_RUN, argc, argv, &o, run_help);
  if (rc < 0 && o.invoke && o.nrest > CLI_MAX_TYPES)
    rc = cli_usage_error("run", "at most %d values can be passed",
                         CLI_MAX_TYPES);
  if (rc < 0 && o.input_path && !cli_read_input(&o))
    rc = CLI_EXIT_SYSTEM;
  if (rc < 0)
    rc = o.invoke ? with_plugin(&o, invoke_runs(&o), invoke)
                  : with_plugin(&o, 1, start);
  cli_opts_free(&o);
  return rc;
}

static int validate(plugsup_supervisor *sup, plugsup_plugin *plg,
                    const cli_opts *o) {
  plugsup_run_options ro;
  options_for(o, PLUGSUP_MODE_VALIDATE, &ro);
  plugsup_result *r = execute(sup, plg, &ro);
  return r ? report(r, o, PLUGSUP_MODE_VALIDATE) : CLI_EXIT_SYSTEM;
}

int cli_validate(int argc, char **argv) {
  cli_opts o;
  int rc = cli_parse_common("validate", CLI_CMD_VALIDATE, argc, argv, &o,
                            validate_help);
  if (rc < 0 && o.nrest > 0)
    rc = cli_usage_error("validate", "unexpected argument '%s' after the "
                         "plugin file", o.rest[0]);
  if (rc < 0)
    rc = with_plugin(&o, 1, validate);
  cli_opts_free(&o);
  return rc;
}
