/*
** common.c: what every plugsup subcommand shares: option parsing, finding
** the worker, loading the plugin, and reporting how a run ended.
*/
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "options.h"

int cli_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "plugsup %s: ", cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry 'plugsup %s --help'.\n", cmd);
  return CLI_EXIT_USAGE;
}

#define CLI_MAX_MEMORY (4ull << 30)
#define CLI_MIN_MEMORY (64u << 10) /* one wasm page */

enum { OPT_INVOKE = 256, OPT_TIMEOUT, OPT_MEMORY, OPT_FUEL, OPT_OUTPUT,
       OPT_STATS, OPT_JSON, OPT_NO_NAMESPACES, OPT_INPUT, OPT_HELP };

static const struct option long_opts[] = {
    {"invoke", required_argument, NULL, OPT_INVOKE},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"memory", required_argument, NULL, OPT_MEMORY},
    {"fuel", required_argument, NULL, OPT_FUEL},
    {"max-output", required_argument, NULL, OPT_OUTPUT},
    {"stats", no_argument, NULL, OPT_STATS},
    {"json", no_argument, NULL, OPT_JSON},
    {"no-namespaces", no_argument, NULL, OPT_NO_NAMESPACES},
    {"input", required_argument, NULL, OPT_INPUT},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0}};

/* Parses one option's value into its field; 0 or a usage exit status. */
static int take_value(const char *cmd, int opt, const char *arg, cli_opts *o) {
  const char *bad = NULL, *name = NULL;
  switch (opt) {
  case OPT_TIMEOUT:
    name = "--timeout";
    bad = cli_parse_duration(arg, &o->limits.wall_ms);
    break;
  case OPT_MEMORY:
    name = "--memory";
    bad = cli_parse_size(arg, &o->limits.memory_bytes);
    if (!bad && o->limits.memory_bytes > CLI_MAX_MEMORY)
      bad = "at most 4G, all a 32-bit memory can address";
    if (!bad && o->limits.memory_bytes < CLI_MIN_MEMORY)
      bad = "at least 64K, one wasm page";
    break;
  case OPT_FUEL:
    name = "--fuel";
    bad = cli_parse_count(arg, &o->limits.fuel);
    break;
  case OPT_OUTPUT:
    name = "--max-output";
    bad = cli_parse_size(arg, &o->limits.output_bytes);
    break;
  }
  if (bad)
    return cli_usage_error(cmd, "bad %s value '%s': %s", name, arg, bad);
  return 0;
}

static const char *option_name(int opt) {
  for (const struct option *lo = long_opts; lo->name; lo++)
    if (lo->val == opt)
      return lo->name;
  return "?";
}

static bool run_only(int opt) {
  return opt == OPT_INVOKE || opt == OPT_FUEL || opt == OPT_OUTPUT ||
         opt == OPT_STATS || opt == OPT_INPUT;
}

/* True when the option just read took a separate "--" as its value:
** "--" only ever ends the options (write --opt=-- to mean the text). */
static bool took_end_of_options(char **argv, int next) {
  return optarg && next >= 2 && optarg == argv[next - 1] &&
         strcmp(optarg, "--") == 0;
}

/* Returns -1 to go on, or the exit status to end with (help: 0). */
int cli_parse_common(const char *cmd, int argc, char **argv, cli_opts *o,
                     bool allow_run_options, void (*help)(void)) {
  memset(o, 0, sizeof *o);
  opterr = 0;
  optind = 1;
  int opt, rc;
  /* '+': options end at the plugin path, or at "--"; what follows is the
  ** plugin and its arguments. */
  while ((opt = getopt_long(argc, argv, "+:h", long_opts, NULL)) != -1) {
    if (opt == '?')
      return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
    if (opt == ':')
      return cli_usage_error(cmd, "option '%s' needs a value",
                             argv[optind - 1]);
    if (took_end_of_options(argv, optind))
      return cli_usage_error(cmd, "option '%s' needs a value ('--' ends the "
                             "options)", argv[optind - 2]);
    if (opt == 'h' || opt == OPT_HELP) {
      help();
      return 0;
    }
    if (!allow_run_options && run_only(opt))
      return cli_usage_error(cmd, "option '--%s' is only for 'plugsup run'",
                             option_name(opt));
    if (opt == OPT_INVOKE)
      o->invoke = optarg;
    else if (opt == OPT_STATS)
      o->stats = true;
    else if (opt == OPT_JSON)
      o->json = true;
    else if (opt == OPT_NO_NAMESPACES)
      o->no_namespaces = true;
    else if (opt == OPT_INPUT)
      o->input_path = optarg;
    else if ((rc = take_value(cmd, opt, optarg, o)))
      return rc;
  }
  if (optind >= argc)
    return cli_usage_error(cmd, "missing the plugin file (PLUGIN.wasm)");
  o->plugin = argv[optind];
  o->rest = argv + optind + 1;
  o->nrest = argc - optind - 1;
  return -1;
}

/* ---- the worker and the plugin ---- */

static bool executable(const char *path) { return access(path, X_OK) == 0; }

/* The directory holding this binary, into dir. */
static bool self_dir(char *dir, size_t size) {
  ssize_t n = readlink("/proc/self/exe", dir, size - 1);
  if (n <= 0)
    return false;
  dir[n] = '\0';
  char *slash = strrchr(dir, '/');
  if (!slash)
    return false;
  *slash = '\0';
  return true;
}

/* $PLUGSUP_WORKER when set; else beside this binary (a build tree); else
** in the installed libexec dir, found relative to this binary so that an
** installed tree can be moved. */
plugsup_supervisor *cli_supervisor(const cli_opts *o) {
  char dir[PATH_MAX], worker[PATH_MAX + 64];
  const char *env = getenv("PLUGSUP_WORKER");
  if (env && *env)
    snprintf(worker, sizeof worker, "%s", env);
  else if (!self_dir(dir, sizeof dir)) {
    fprintf(stderr, "plugsup: cannot locate itself through /proc/self/exe; "
            "set PLUGSUP_WORKER to the plugsup-worker path\n");
    return NULL;
  } else {
    snprintf(worker, sizeof worker, "%s/plugsup-worker", dir);
    if (!executable(worker))
      snprintf(worker, sizeof worker, "%s/%s/plugsup-worker", dir,
               PLUGSUP_BIN_TO_LIBEXEC);
    if (!executable(worker)) {
      fprintf(stderr, "plugsup: cannot find plugsup-worker in %s or in "
              "%s/%s; set PLUGSUP_WORKER to its path\n", dir, dir,
              PLUGSUP_BIN_TO_LIBEXEC);
      return NULL;
    }
  }
  plugsup_config cfg;
  plugsup_config_init(&cfg);
  cfg.worker_path = worker;
  cfg.limits = o->limits;
  cfg.max_in_flight = 1;
  cfg.no_namespaces = o->no_namespaces;
  plugsup_supervisor *sup;
  if (plugsup_supervisor_new(&cfg, &sup) != PLUGSUP_OK) {
    fprintf(stderr, "plugsup: %s\n", plugsup_errmsg());
    return NULL;
  }
  return sup;
}

plugsup_plugin *cli_load(const char *path) {
  plugsup_plugin *p;
  if (plugsup_plugin_load_file(path, &p) != PLUGSUP_OK) {
    fprintf(stderr, "plugsup: %s\n", plugsup_errmsg());
    return NULL;
  }
  return p;
}

/* Input of this size or more cannot fit the one Run frame a worker takes
** (64 MiB with the module), so reading stops there. */
#define CLI_MAX_INPUT (64u << 20)

bool cli_read_input(cli_opts *o) {
  bool from_stdin = strcmp(o->input_path, "-") == 0;
  FILE *f = from_stdin ? stdin : fopen(o->input_path, "rb");
  size_t cap = 0;
  if (!f) {
    fprintf(stderr, "plugsup: cannot open input '%s': %s\n", o->input_path,
            strerror(errno));
    return false;
  }
  o->input_len = 0;
  for (;;) {
    if (o->input_len == cap) {
      size_t next = cap ? cap * 2 : 4096;
      char *grown = next > CLI_MAX_INPUT ? NULL : realloc(o->input, next);
      if (!grown) {
        fprintf(stderr, "plugsup: input '%s': %s\n", o->input_path,
                next > CLI_MAX_INPUT ? "64 MiB or more, too much for a worker"
                                     : "out of memory");
        goto fail;
      }
      o->input = grown;
      cap = next;
    }
    size_t n = fread(o->input + o->input_len, 1, cap - o->input_len, f);
    o->input_len += n;
    if (n == 0)
      break;
  }
  if (ferror(f)) {
    fprintf(stderr, "plugsup: cannot read input '%s': %s\n", o->input_path,
            strerror(errno));
    goto fail;
  }
  if (!from_stdin)
    fclose(f);
  return true;
fail:
  if (!from_stdin)
    fclose(f);
  free(o->input);
  o->input = NULL;
  return false;
}

/* ---- output limits ---- */

uint64_t cli_output_limit(const cli_opts *o) {
  if (o->limits.output_bytes)
    return o->limits.output_bytes;
  return o->json ? CLI_JSON_OUTPUT_DEFAULT : UINT64_MAX;
}

void cli_report_cut(const plugsup_result *r, uint64_t limit) {
  const plugsup_output *streams[] = {&r->out, &r->err};
  const char *names[] = {"stdout", "stderr"};
  for (size_t i = 0; i < 2; i++)
    if (streams[i]->truncated)
      fprintf(stderr, "plugsup: %s was cut: the plugin's output reached the "
              "--max-output limit of %" PRIu64 " bytes\n", names[i], limit);
}

/* ---- outcomes ---- */

static const struct {
  int code;
  const char *label;
} outcome_exits[] = {
    [PLUGSUP_OUTCOME_OK] = {0, NULL},
    [PLUGSUP_OUTCOME_EXIT] = {0, NULL},
    [PLUGSUP_OUTCOME_TRAP] = {CLI_EXIT_TRAP, "trap"},
    [PLUGSUP_OUTCOME_TIMEOUT] = {CLI_EXIT_TIMEOUT, "timeout"},
    [PLUGSUP_OUTCOME_OUT_OF_FUEL] = {CLI_EXIT_FUEL, "out of fuel"},
    [PLUGSUP_OUTCOME_OUT_OF_MEMORY] = {CLI_EXIT_MEMORY, "out of memory"},
    [PLUGSUP_OUTCOME_SANDBOX_VIOLATION] = {CLI_EXIT_VIOLATION,
                                           "sandbox violation"},
    [PLUGSUP_OUTCOME_CRASHED] = {CLI_EXIT_CRASH, "worker crashed"},
    [PLUGSUP_OUTCOME_INVALID_MODULE] = {CLI_EXIT_INVALID, "invalid module"},
    [PLUGSUP_OUTCOME_BAD_REQUEST] = {CLI_EXIT_BAD_REQUEST, "bad request"},
    [PLUGSUP_OUTCOME_PROTOCOL_ERROR] = {CLI_EXIT_PROTOCOL, "protocol error"},
    [PLUGSUP_OUTCOME_WORKER_FAILED] = {CLI_EXIT_SYSTEM, "worker failed"},
};

int cli_outcome_exit(const plugsup_result *r) {
  if (r->outcome == PLUGSUP_OUTCOME_EXIT)
    return r->exit_code >= 0 && r->exit_code < CLI_EXIT_BIG_CODE ? r->exit_code
                                                    : CLI_EXIT_BIG_CODE;
  if ((size_t)r->outcome >= sizeof outcome_exits / sizeof outcome_exits[0])
    return CLI_EXIT_PROTOCOL;
  return outcome_exits[r->outcome].code;
}

void cli_report_outcome(const plugsup_result *r) {
  if (r->outcome == PLUGSUP_OUTCOME_EXIT &&
      cli_outcome_exit(r) == CLI_EXIT_BIG_CODE)
    fprintf(stderr, "plugsup: the plugin exited with code %d (status %d "
            "stands for %d or more)\n", r->exit_code, CLI_EXIT_BIG_CODE,
            CLI_EXIT_BIG_CODE);
  if ((size_t)r->outcome >= sizeof outcome_exits / sizeof outcome_exits[0] ||
      !outcome_exits[r->outcome].label)
    return;
  /* Say the label once when the message adds nothing to it. */
  const char *label = outcome_exits[r->outcome].label;
  if (strcmp(label, r->message) == 0)
    fprintf(stderr, "plugsup: %s\n", label);
  else
    fprintf(stderr, "plugsup: %s: %s\n", label, r->message);
}

static double ms(uint64_t usec) { return (double)usec / 1000.0; }

void cli_namespace_names(unsigned ns, char *buf, size_t size) {
  static const struct {
    unsigned bit;
    const char *name;
  } names[] = {{PLUGSUP_NS_USER, "user"},   {PLUGSUP_NS_NET, "net"},
               {PLUGSUP_NS_IPC, "ipc"},     {PLUGSUP_NS_MOUNT, "mount"},
               {PLUGSUP_NS_PID, "pid"}};
  size_t used = 0;
  snprintf(buf, size, "none");
  for (size_t i = 0; i < sizeof names / sizeof names[0] && used < size; i++)
    if (ns & names[i].bit)
      used += (size_t)snprintf(buf + used, size - used, "%s%s",
                               used ? "," : "", names[i].name);
}

void cli_print_stats(const plugsup_result *r) {
  char ns[64];
  cli_namespace_names(r->namespaces, ns, sizeof ns);
  fprintf(stderr,
          "plugsup stats:\n"
          "  outcome      %s\n"
          "  fuel used    %" PRIu64 "\n"
          "  peak memory  %" PRIu64 " bytes (interpreter)\n"
          "  max rss      %" PRIu64 " bytes (worker process)\n"
          "  cpu time     %.3f ms\n"
          "  wall time    %.3f ms\n"
          "  namespaces   %s\n"
          "  worker       uid %u, gid %u, capabilities %#" PRIx64 "\n",
          plugsup_outcome_name(r->outcome), r->fuel_used,
          r->peak_memory_bytes, r->max_rss_bytes, ms(r->cpu_usec),
          ms(r->wall_usec), ns, r->worker_uid, r->worker_gid,
          r->worker_capabilities);
}
