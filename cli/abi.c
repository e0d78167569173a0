/*
** abi.c: the commands that run a plugin by its ABI, `plugsup process`,
** `plugsup tool list|run` and `plugsup observe`, through the plugin
** manager (the path an embedding program takes: validation report,
** manifest, schema checks, policy intersection); and `plugsup inspect`,
** one INSPECT run.
*/
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define GRANT_HELP                                                          \
  "What the plugin may touch (nothing by default; docs/policy.md); a\n"     \
  "manifest's permissions must lie within these:\n"                         \
  "  --dir HOST[::GUEST], --ro-dir HOST[::GUEST], --env NAME[=VALUE],\n"    \
  "  --allow CAPABILITY, --policy FILE, --audit FILE   as for 'plugsup run'\n"

#define LIMIT_HELP                                                          \
  "  --manifest FILE   the plugin's manifest (default: NAME.manifest.json\n" \
  "                    beside NAME.wasm, else its plugsup.manifest section)\n" \
  "  --timeout T, --memory N, --fuel N, --max-output N   limits, as for\n"  \
  "                    'plugsup run' (the output limit bounds the ABI's\n"  \
  "                    output too; default 1M)\n"                           \
  "  --json            one JSON object on stdout: the run, its \"output\"\n"  \
  "  --stats           the run's statistics and every finding on stderr\n"  \
  "  --no-namespaces   do not put the worker in new namespaces\n"           \
  "  -h, --help        this text\n"

static void process_help(void) {
  printf("usage: plugsup process [OPTIONS] PLUGIN.wasm --input FILE|-\n"
         "\n"
         "Run a plugin of the process ABI (exports memory, alloc, process; no\n"
         "imports; docs/abi-process.md): its input is the bytes of FILE ('-':\n"
         "stdin), its output bytes go to stdout unchanged.\n"
         "\n" LIMIT_HELP "\n" GRANT_HELP);
}

static void tool_help(void) {
  printf("usage: plugsup tool list [OPTIONS] PLUGIN.wasm\n"
         "       plugsup tool run [OPTIONS] PLUGIN.wasm TOOL --input TEXT\n"
         "       plugsup tool run [OPTIONS] PLUGIN.wasm TOOL --input-file FILE\n"
         "\n"
         "A plugin of the tool ABI (plugin_name ... plugin_tool_execute;\n"
         "docs/abi-tool.md): list its name, version and tools, or run one\n"
         "tool with TEXT (or FILE's text, '-': stdin) as its input; the\n"
         "tool's output goes to stdout.\n"
         "\n" LIMIT_HELP "\n" GRANT_HELP);
}

static void observe_help(void) {
  printf("usage: plugsup observe [OPTIONS] PLUGIN.wasm --config JSON|FILE\n"
         "\n"
         "Run a check of the observe ABI (describe, schema, observe;\n"
         "docs/abi-observe.md). The configuration (JSON text, or a file of\n"
         "it) is checked against the plugin's schema, its defaults filled\n"
         "in, then observe runs under the grants below intersected with what\n"
         "its describe() requests; its JSON response goes to stdout. A\n"
         "response with \"status\": false ends with status 172.\n"
         "\n" LIMIT_HELP "\n" GRANT_HELP);
}

static void inspect_help(void) {
  printf("usage: plugsup inspect [OPTIONS] PLUGIN.wasm\n"
         "\n"
         "Inspect a module in a sandboxed worker: which plugin ABIs it\n"
         "satisfies (process, tool, observe) and what keeps it from the\n"
         "others, the metadata of each it satisfies (names, versions, tools,\n"
         "describe and schema JSON), its plugsup.manifest section, exports\n"
         "and imports. Exit status 0, or 166 for a module that is not valid.\n"
         "\n"
         "  --timeout T, --memory N, --fuel N, --max-output N   limits\n"
         "  --json            one JSON object on stdout\n"
         "  --stats           the run's statistics on stderr\n"
         "  --no-namespaces   do not put the worker in new namespaces\n"
         "  -h, --help        this text\n");
}

/* ---- the manager ---- */

static plugsup_manager *open_manager(const cli_opts *o, unsigned runs) {
  char worker[CLI_WORKER_PATH_MAX];
  plugsup_manager_config mc;
  plugsup_manager *m;
  plugsup_manager_config_init(&mc);
  if (!cli_config(o, runs, &mc.supervisor, worker))
    return NULL;
  mc.ceiling = o->policy;
  mc.max_concurrent = 1;
  if (plugsup_manager_new(&mc, &m) != PLUGSUP_OK) {
    fprintf(stderr, "plugsup: %s\n", plugsup_errmsg());
    return NULL;
  }
  return m;
}

/* Warnings and errors always; everything with --stats. */
static void print_findings(const plugsup_report *rep, bool all) {
  for (size_t i = 0; rep && i < rep->count; i++) {
    const plugsup_finding *f = &rep->findings[i];
    if (f->severity != PLUGSUP_SEVERITY_INFO || all)
      fprintf(stderr, "plugsup: %s: %s [%s]\n",
              plugsup_severity_name(f->severity), f->message, f->code);
  }
}

static int load_failed(plugsup_status st, const cli_opts *o,
                       const plugsup_report *rep) {
  if (st == PLUGSUP_EREJECTED) {
    size_t n = rep ? rep->errors : 0;
    fprintf(stderr, "plugsup: '%s' failed validation (%zu error%s)\n",
            o->plugin, n, n == 1 ? "" : "s");
    return CLI_EXIT_REJECTED;
  }
  fprintf(stderr, "plugsup: %s\n", plugsup_errmsg());
  return st == PLUGSUP_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_SYSTEM;
}

/* Loads o->plugin to be run by abi; its id in *id. -1, or the exit
** status to end with. */
static int load(plugsup_manager *m, const cli_opts *o, plugsup_abi abi,
                char **id) {
  plugsup_load_options lo;
  plugsup_report *rep = NULL;
  memset(&lo, 0, sizeof lo);
  lo.size = sizeof lo;
  lo.manifest_path = o->manifest;
  lo.policy = o->policy;
  lo.abi = abi;
  plugsup_status st = plugsup_manager_load_file(m, o->plugin, &lo, id, &rep);
  print_findings(rep, o->stats);
  int rc = st == PLUGSUP_OK ? -1 : load_failed(st, o, rep);
  plugsup_report_free(rep);
  return rc;
}

/* The ABI's output on stdout as it came; a text ABI's ends with a
** newline. */
static void print_output(const plugsup_result *r, bool text) {
  const plugsup_output *out = &r->abi_output;
  fwrite(out->data, 1, out->len, stdout);
  if (text && out->len && out->data[out->len - 1] != '\n')
    putchar('\n');
}

static int print_run(plugsup_result *r, const cli_opts *o, const char *id,
                     bool text) {
  int rc = cli_outcome_exit(r);
  if (o->json) {
    json_t *obj = cli_result_json(r);
    if (obj) {
      json_object_set_new(obj, "plugin", json_string(id));
      json_object_set_new(obj, "output", cli_bytes_json(r->abi_output.data,
                                                        r->abi_output.len));
    }
    if (!cli_print_object(obj)) {
      fprintf(stderr, "plugsup: out of memory writing JSON\n");
      rc = CLI_EXIT_SYSTEM;
    }
  } else {
    /* A failure the plugin reports is still its response (evidence). */
    if (r->outcome == PLUGSUP_OUTCOME_OK ||
        r->outcome == PLUGSUP_OUTCOME_PLUGIN_ERROR)
      print_output(r, text);
    if (r->host_denials && o->audit_fd < 0)
      fprintf(stderr, "plugsup: the policy refused %llu host call%s; "
              "--audit - lists them\n", (unsigned long long)r->host_denials,
              r->host_denials == 1 ? "" : "s");
    cli_report_outcome(r);
  }
  if (o->stats)
    cli_print_stats(r);
  plugsup_result_free(r);
  return rc;
}

/* Runs the loaded plugin id with input; prints as the options ask. */
static int execute(plugsup_manager *m, const char *id, const cli_opts *o,
                   const char *tool, const void *input, size_t len,
                   bool text) {
  static cli_sinks sinks;
  plugsup_execute_options eo;
  plugsup_result *r;
  memset(&eo, 0, sizeof eo);
  eo.size = sizeof eo;
  eo.tool = tool;
  eo.limits = o->limits;
  sinks.audit_fd = o->audit_fd;
  sinks.stdout_to_stderr = true;
  eo.userdata = &sinks;
  if (!o->json)
    eo.on_output = cli_pass_output;
  if (o->audit_fd >= 0)
    eo.on_audit = cli_write_audit;
  plugsup_status st = plugsup_manager_execute(m, id, input, len, &eo, &r);
  if (st != PLUGSUP_OK) {
    fprintf(stderr, "plugsup: %s\n", plugsup_errmsg());
    return st == PLUGSUP_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_SYSTEM;
  }
  return print_run(r, o, id, text);
}

/* Loads the plugin into a manager of its own, then runs body. The load
** is one run (INSPECT); runs counts it and those of body. */
typedef int abi_body(plugsup_manager *m, const char *id, const cli_opts *o);

static int with_manager(const cli_opts *o, plugsup_abi abi, unsigned runs,
                        abi_body *body) {
  char *id = NULL;
  plugsup_manager *m = open_manager(o, runs);
  if (!m)
    return CLI_EXIT_SYSTEM;
  int rc = load(m, o, abi, &id);
  if (rc < 0)
    rc = body(m, id, o);
  free(id);
  plugsup_manager_free(m);
  return rc;
}

static int extra_argument(const char *cmd, const cli_opts *o, int allowed) {
  if (o->nrest > allowed)
    return cli_usage_error(cmd, "unexpected argument '%s'", o->rest[allowed]);
  return -1;
}

/* ---- plugsup process ---- */

static int process_body(plugsup_manager *m, const char *id,
                        const cli_opts *o) {
  return execute(m, id, o, NULL, o->input, o->input_len, false);
}

int cli_process(int argc, char **argv) {
  cli_opts o;
  int rc = cli_parse_common("process", CLI_CMD_PROCESS, argc, argv, &o,
                            process_help);
  if (rc < 0)
    rc = extra_argument("process", &o, 0);
  if (rc < 0 && !o.input_path)
    rc = cli_usage_error("process", "missing --input FILE (or '-' for "
                         "stdin)");
  if (rc < 0 && !cli_read_input(&o))
    rc = CLI_EXIT_SYSTEM;
  if (rc < 0)
    rc = with_manager(&o, PLUGSUP_ABI_PROCESS, 2, process_body);
  cli_opts_free(&o);
  return rc;
}

/* ---- plugsup tool ---- */

static void put_field(const char *label, json_t *v) {
  const char *s = json_string_value(v);
  printf("%s%s\n", label, s ? s : "");
}

/* The manager's metadata JSON holds escaped text: safe to print. */
static int list_body(plugsup_manager *m, const char *id, const cli_opts *o) {
  plugsup_plugin_info *info;
  if (plugsup_manager_info(m, id, &info) != PLUGSUP_OK) {
    fprintf(stderr, "plugsup: %s\n", plugsup_errmsg());
    return CLI_EXIT_SYSTEM;
  }
  json_t *meta = json_loads(info->metadata_json, 0, NULL);
  int rc = 0;
  if (!meta) {
    fprintf(stderr, "plugsup: cannot read the plugin's metadata\n");
    rc = CLI_EXIT_SYSTEM;
  } else if (o->json) {
    rc = cli_print_object(json_incref(meta)) ? 0 : CLI_EXIT_SYSTEM;
  } else {
    size_t i;
    json_t *t;
    put_field("name         ", json_object_get(meta, "name"));
    put_field("version      ", json_object_get(meta, "version"));
    put_field("description  ", json_object_get(meta, "description"));
    printf("tools:\n");
    json_array_foreach(json_object_get(meta, "tools"), i, t) {
      const char *n = json_string_value(json_object_get(t, "name"));
      const char *d = json_string_value(json_object_get(t, "description"));
      printf("  %-20s %s\n", n ? n : "", d ? d : "");
    }
  }
  if (o->stats)
    fprintf(stderr, "plugsup stats:\n  plugin       %s (%s)\n  load time    "
            "%.3f ms (validation in a worker included)\n", info->id,
            info->hash, (double)info->load_usec / 1000.0);
  json_decref(meta);
  plugsup_plugin_info_free(info);
  return rc;
}

static int run_body(plugsup_manager *m, const char *id, const cli_opts *o) {
  return execute(m, id, o, o->rest[0], o->input, o->input_len, true);
}

/* The input is text itself when text is set, else the bytes of file
** ('-': stdin). -1, or the exit status to end with. */
static int input_from(cli_opts *o, const char *text, const char *file) {
  if (text) {
    if (!(o->input = strdup(text))) {
      fprintf(stderr, "plugsup: out of memory\n");
      return CLI_EXIT_SYSTEM;
    }
    o->input_len = strlen(o->input);
    return -1;
  }
  o->input_path = file;
  return cli_read_input(o) ? -1 : CLI_EXIT_SYSTEM;
}

/* tool run: --input TEXT is the input itself; --input-file FILE names it. */
static int tool_input(cli_opts *o) {
  if (!!o->input_path == !!o->input_file)
    return cli_usage_error("tool run", "give the tool's input as --input "
                           "TEXT or --input-file FILE");
  return input_from(o, o->input_path, o->input_file);
}

int cli_tool(int argc, char **argv) {
  cli_opts o;
  const char *sub = argc >= 2 ? argv[1] : "";
  bool list = strcmp(sub, "list") == 0, run = strcmp(sub, "run") == 0;
  if (argc == 2 && (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0)) {
    tool_help();
    return 0;
  }
  if (!list && !run)
    return cli_usage_error("tool", *sub ? "unknown subcommand '%s' (list or "
                           "run)" : "missing the subcommand%s (list or run)",
                           sub);
  const char *cmd = list ? "tool list" : "tool run";
  int rc = cli_parse_common(cmd, CLI_CMD_TOOL, argc - 1, argv + 1, &o,
                            tool_help);
  if (rc < 0 && run && o.nrest < 1)
    rc = cli_usage_error(cmd, "missing the TOOL to run");
  if (rc < 0)
    rc = extra_argument(cmd, &o, run ? 1 : 0);
  if (rc < 0 && list && (o.input_path || o.input_file))
    rc = cli_usage_error(cmd, "'tool list' takes no input");
  if (rc < 0 && run)
    rc = tool_input(&o);
  if (rc < 0)
    rc = with_manager(&o, PLUGSUP_ABI_TOOL, list ? 1 : 2,
                      list ? list_body : run_body);
  cli_opts_free(&o);
  return rc;
}

/* ---- plugsup observe ---- */

static int observe_body(plugsup_manager *m, const char *id,
                        const cli_opts *o) {
  return execute(m, id, o, NULL, o->input, o->input_len, true);
}

/* --config is JSON text when it starts like a JSON value, else a file. */
static int observe_config(cli_opts *o) {
  const char *c = o->config + strspn(o->config, " \t\r\n");
  bool json = *c == '{' || *c == '[';
  return input_from(o, json ? o->config : NULL, json ? NULL : o->config);
}

int cli_observe(int argc, char **argv) {
  cli_opts o;
  int rc = cli_parse_common("observe", CLI_CMD_OBSERVE, argc, argv, &o,
                            observe_help);
  if (rc < 0)
    rc = extra_argument("observe", &o, 0);
  if (rc < 0 && !o.config)
    rc = cli_usage_error("observe", "missing --config JSON|FILE");
  if (rc < 0)
    rc = observe_config(&o);
  if (rc < 0)
    rc = with_manager(&o, PLUGSUP_ABI_OBSERVE, 2, observe_body);
  cli_opts_free(&o);
  return rc;
}

/* ---- plugsup inspect ---- */

/* Whether every problem is a missing export: the module has nothing of
** the ABI (or only some of it), and one line says which are missing. */
static bool only_missing(const plugsup_abi_match *m) {
  for (size_t j = 0; j < m->problem_count; j++)
    if (strncmp(m->problems[j], "missing export '", 16) != 0)
      return false;
  return true;
}

static void print_abis(const plugsup_result *r) {
  printf("ABIs:\n");
  for (size_t i = 0; i < r->abi_count; i++) {
    const plugsup_abi_match *m = &r->abis[i];
    const char *name = plugsup_abi_name(m->abi);
    if (m->problem_count == 0 && !*m->error)
      printf("  %-8s yes\n", name);
    else if (m->problem_count == 0)
      printf("  %-8s yes, but its metadata cannot be read: %s\n", name,
             m->error);
    else if (only_missing(m)) {
      printf("  %-8s no: missing", name);
      for (size_t j = 0; j < m->problem_count; j++)
        printf("%s %s", j ? "," : "", m->problems[j] + 15);
      putchar('\n');
    } else {
      printf("  %-8s no\n", name);
      for (size_t j = 0; j < m->problem_count; j++)
        printf("           %s\n", m->problems[j]);
    }
  }
}

void cli_put_text(FILE *f, const char *data, size_t len) {
  char *safe = plugsup_text_escape(data, len);
  fputs(safe ? safe : "?", f);
  free(safe);
}

static void print_items(const plugsup_result *r) {
  if (r->abi_item_count == 0)
    return;
  printf("metadata:\n");
  for (size_t i = 0; i < r->abi_item_count; i++) {
    const plugsup_abi_item *it = &r->abi_items[i];
    if (strncmp(it->call, "plugin_tool_", 12) == 0)
      printf("  %s(%u): ", it->call, it->index);
    else
      printf("  %s: ", it->call);
    cli_put_text(stdout, it->data, it->len);
    putchar('\n');
  }
}

static json_t *inspect_json(const plugsup_result *r) {
  json_t *o = cli_result_json(r), *abis = json_array(), *items = json_array();
  for (size_t i = 0; abis && i < r->abi_count; i++) {
    const plugsup_abi_match *m = &r->abis[i];
    json_t *problems = json_array();
    for (size_t j = 0; problems && j < m->problem_count; j++)
      json_array_append_new(problems, json_string(m->problems[j]));
    json_array_append_new(abis, json_pack("{s:s, s:b, s:o, s:s}", "abi",
                                          plugsup_abi_name(m->abi),
                                          "satisfied", m->problem_count == 0,
                                          "problems", problems, "error",
                                          m->error));
  }
  for (size_t i = 0; items && i < r->abi_item_count; i++)
    json_array_append_new(items, json_pack("{s:s, s:i, s:o}", "call",
                                           r->abi_items[i].call, "index",
                                           (json_int_t)r->abi_items[i].index,
                                           "data",
                                           cli_bytes_json(r->abi_items[i].data,
                                                          r->abi_items[i].len)));
  if (o) {
    json_object_update_new(o, cli_module_json(r));
    json_object_set_new(o, "abis", abis);
    json_object_set_new(o, "metadata", items);
    json_object_set_new(o, "manifest", cli_bytes_json(r->manifest,
                                                      r->manifest_len));
  } else {
    json_decref(abis);
    json_decref(items);
  }
  return o;
}

static int inspect(plugsup_supervisor *sup, plugsup_plugin *plg,
                   const cli_opts *o) {
  plugsup_run_options ro;
  plugsup_result *r;
  memset(&ro, 0, sizeof ro);
  ro.size = sizeof ro;
  ro.mode = PLUGSUP_MODE_INSPECT;
  ro.limits = o->limits;
  if (plugsup_run(sup, plg, &ro, &r) != PLUGSUP_OK) {
    fprintf(stderr, "plugsup: %s\n", plugsup_errmsg());
    return CLI_EXIT_SYSTEM;
  }
  int rc = cli_outcome_exit(r);
  if (o->json) {
    if (!cli_print_object(inspect_json(r))) {
      fprintf(stderr, "plugsup: out of memory writing JSON\n");
      rc = CLI_EXIT_SYSTEM;
    }
  } else {
    cli_report_outcome(r);
    /* A module whose imports do not link is still measured against each
    ** ABI: a process plugin's forbidden import is why. */
    if (r->outcome == PLUGSUP_OUTCOME_OK || r->abi_count > 0) {
      print_abis(r);
      print_items(r);
      if (r->manifest_len) {
        printf("manifest: ");
        cli_put_text(stdout, r->manifest, r->manifest_len);
        putchar('\n');
      }
      cli_print_module(r);
    }
  }
  if (o->stats)
    cli_print_stats(r);
  plugsup_result_free(r);
  return rc;
}

int cli_inspect(int argc, char **argv) {
  cli_opts o;
  int rc = cli_parse_common("inspect", CLI_CMD_INSPECT, argc, argv, &o,
                            inspect_help);
  if (rc < 0)
    rc = extra_argument("inspect", &o, 0);
  if (rc < 0) {
    plugsup_plugin *plg = cli_load(o.plugin);
    plugsup_supervisor *sup = plg ? cli_supervisor(&o, 1) : NULL;
    rc = sup ? inspect(sup, plg, &o) : CLI_EXIT_SYSTEM;
    plugsup_supervisor_free(sup);
    plugsup_plugin_free(plg);
  }
  cli_opts_free(&o);
  return rc;
}
