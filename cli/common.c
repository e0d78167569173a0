/*
** common.c: what every plugsup subcommand shares: option parsing, finding
** the worker, loading the plugin, and reporting how a run ended.
*/
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
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

/* Every option: its enum name, spelling, whether it takes a value, and
** the commands that take it. */
#define R CLI_CMD_RUN
#define V CLI_CMD_VALIDATE
#define P CLI_CMD_POLICY
#define PR CLI_CMD_PROCESS
#define T CLI_CMD_TOOL
#define O CLI_CMD_OBSERVE
#define I CLI_CMD_INSPECT
#define N CLI_CMD_NEW
#define A (PR | T | O) /* the commands that run a plugin by its ABI */
#define CLI_OPTION_LIST(X)                                          \
  X(OPT_INVOKE, "invoke", required_argument, R)                     \
  X(OPT_TIMEOUT, "timeout", required_argument, R | V | A | I)       \
  X(OPT_MEMORY, "memory", required_argument, R | V | A | I)         \
  X(OPT_FUEL, "fuel", required_argument, R | A | I)                 \
  X(OPT_OUTPUT, "max-output", required_argument, R | A | I)         \
  X(OPT_STATS, "stats", no_argument, R | A | I)                     \
  X(OPT_JSON, "json", no_argument, R | V | A | I)                   \
  X(OPT_NO_NAMESPACES, "no-namespaces", no_argument, R | V | A | I) \
  X(OPT_INPUT, "input", required_argument, R | PR | T)              \
  X(OPT_INPUT_FILE, "input-file", required_argument, T)             \
  X(OPT_CONFIG, "config", required_argument, O)                     \
  X(OPT_MANIFEST, "manifest", required_argument, A)                 \
  X(OPT_ABI, "abi", required_argument, N)                           \
  X(OPT_DIR, "dir", required_argument, R | P | A)                   \
  X(OPT_RO_DIR, "ro-dir", required_argument, R | P | A)             \
  X(OPT_ENV, "env", required_argument, R | P | A)                   \
  X(OPT_ALLOW, "allow", required_argument, R | P | A)               \
  X(OPT_POLICY, "policy", required_argument, R | P | A)             \
  X(OPT_AUDIT, "audit", required_argument, R | A)                   \
  X(OPT_HELP, "help", no_argument, R | V | P | A | I | N)

enum {
  OPT_FIRST_ = 255,
#define X(name, text, arg, cmds) name,
  CLI_OPTION_LIST(X)
#undef X
};

static const struct option long_opts[] = {
#define X(name, text, arg, cmds) {text, arg, NULL, name},
    CLI_OPTION_LIST(X)
#undef X
    {NULL, 0, NULL, 0}};

static const unsigned option_cmds[] = {
#define X(name, text, arg, cmds) cmds,
    CLI_OPTION_LIST(X)
#undef X
};
#undef R
#undef V
#undef P
#undef PR
#undef T
#undef O
#undef I
#undef N
#undef A

/* By bit of cli_cmd. */
static const char *const cmd_names[] = {"run",     "validate", "policy",
                                        "process", "tool",     "observe",
                                        "inspect", "new"};
#define CLI_NCMDS (sizeof cmd_names / sizeof cmd_names[0])

/* Parses one option's value into its field; 0 or a usage exit status. */
static int take_value(const char *cmd, int opt, const char *arg, cli_opts *o) {
  const char *bad = NULL, *name = NULL;
  switch (opt) {
  case OPT_TIMEOUT:
    name = "--timeout";
    bad = policy_parse_duration(arg, &o->limits.wall_ms);
    break;
  case OPT_MEMORY:
    name = "--memory";
    bad = policy_parse_memory(arg, &o->limits.memory_bytes);
    break;
  case OPT_FUEL:
    name = "--fuel";
    bad = policy_parse_count(arg, &o->limits.fuel);
    break;
  case OPT_OUTPUT:
    name = "--max-output";
    bad = policy_parse_size(arg, &o->limits.output_bytes);
    break;
  }
  if (bad)
    return cli_usage_error(cmd, "bad %s value '%s': %s", name, arg, bad);
  return 0;
}

/* "option '--allow' is only for 'plugsup run', 'plugsup policy' and ...". */
static int not_for(const char *cmd, int opt) {
  char list[256];
  size_t used = 0, n = 0, total = 0;
  unsigned cmds = option_cmds[opt - OPT_FIRST_ - 1];
  for (size_t i = 0; i < CLI_NCMDS; i++)
    total += (cmds >> i) & 1u;
  for (size_t i = 0; i < CLI_NCMDS && used < sizeof list; i++)
    if (cmds & (1u << i)) {
      n++;
      used += (size_t)snprintf(list + used, sizeof list - used,
                               "%s'plugsup %s'",
                               n == 1 ? "" : n == total ? " and " : ", ",
                               cmd_names[i]);
    }
  return cli_usage_error(cmd, "option '--%s' is only for %s",
                         long_opts[opt - OPT_FIRST_ - 1].name, list);
}

/* --dir HOST[::GUEST], split as wasmtime does, at the first "::". */
static plugsup_status grant_dir(plugsup_policy *p, const char *arg,
                                bool writable) {
  const char *sep = strstr(arg, "::");
  char *host = sep ? strndup(arg, (size_t)(sep - arg)) : strdup(arg);
  if (!host)
    return PLUGSUP_ENOMEM;
  plugsup_status s = plugsup_policy_add_dir(p, host, sep ? sep + 2 : NULL,
                                            writable);
  free(host);
  return s;
}

/* --env NAME=VALUE, or --env NAME for the value NAME has here. */
static plugsup_status grant_env(plugsup_policy *p, const char *arg) {
  const char *eq = strchr(arg, '=');
  char *name = eq ? strndup(arg, (size_t)(eq - arg)) : strdup(arg);
  if (!name)
    return PLUGSUP_ENOMEM;
  plugsup_status s = plugsup_policy_set_env(p, name, eq ? eq + 1 : NULL);
  free(name);
  return s;
}

/* --audit FILE: appended to, created private; '-' is stderr. */
static int open_audit(const char *cmd, const char *path, cli_opts *o) {
  if (o->audit_fd >= 0)
    return cli_usage_error(cmd, "option '--audit' can be given only once");
  o->audit_fd = strcmp(path, "-") == 0
                    ? STDERR_FILENO
                    : open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                           0600);
  if (o->audit_fd < 0)
    return cli_usage_error(cmd, "cannot open audit file '%s': %s", path,
                           strerror(errno));
  return 0;
}

/* A grant option, into the one policy of the run (made at the first). */
static int take_grant(const char *cmd, int opt, const char *arg, cli_opts *o) {
  plugsup_status s = PLUGSUP_OK;
  if (opt == OPT_POLICY && o->policy_file)
    return cli_usage_error(cmd, "option '--policy' can be given only once");
  if (!o->policy && plugsup_policy_new(&o->policy) != PLUGSUP_OK) {
    fprintf(stderr, "plugsup: out of memory\n");
    return CLI_EXIT_SYSTEM;
  }
  if (opt == OPT_DIR || opt == OPT_RO_DIR)
    s = grant_dir(o->policy, arg, opt == OPT_DIR);
  else if (opt == OPT_ENV)
    s = grant_env(o->policy, arg);
  else if (opt == OPT_ALLOW)
    s = plugsup_policy_allow(o->policy, arg);
  else if ((o->policy_file = arg))
    s = plugsup_policy_load_file(o->policy, arg);
  if (s == PLUGSUP_ENOMEM) {
    fprintf(stderr, "plugsup: out of memory\n");
    return CLI_EXIT_SYSTEM;
  }
  return s == PLUGSUP_OK ? 0 : cli_usage_error(cmd, "%s", plugsup_errmsg());
}

static bool is_grant(int opt) {
  return opt == OPT_DIR || opt == OPT_RO_DIR || opt == OPT_ENV ||
         opt == OPT_ALLOW || opt == OPT_POLICY;
}

/* One option of getopt_long; 0, or the exit status to end with. */
static int take_option(const char *cmd, int opt, cli_opts *o) {
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
  else if (opt == OPT_INPUT_FILE)
    o->input_file = optarg;
  else if (opt == OPT_CONFIG)
    o->config = optarg;
  else if (opt == OPT_MANIFEST)
    o->manifest = optarg;
  else if (opt == OPT_ABI)
    o->abi = optarg;
  else if (opt == OPT_AUDIT)
    return open_audit(cmd, optarg, o);
  else if (is_grant(opt))
    return take_grant(cmd, opt, optarg, o);
  else
    return take_value(cmd, opt, optarg, o);
  return 0;
}

/* True when the option just read took a separate "--" as its value:
** "--" only ever ends the options (write --opt=-- to mean the text). */
static bool took_end_of_options(char **argv, int next) {
  return optarg && next >= 2 && optarg == argv[next - 1] &&
         strcmp(optarg, "--") == 0;
}

/* Returns -1 to go on, or the exit status to end with (help: 0). */
int cli_parse_common(const char *cmd, cli_cmd which, int argc, char **argv,
                     cli_opts *o, void (*help)(void)) {
  memset(o, 0, sizeof *o);
  o->audit_fd = -1;
  opterr = 0;
  optind = 1;
  int opt, rc;
  /* 'run': options end at the plugin path, or at "--"; what follows is
  ** the plugin and its arguments. The other commands take options
  ** anywhere ("plugsup tool run P TOOL --input T"). */
  const char *optstring = which == CLI_CMD_RUN ? "+:h" : ":h";
  while ((opt = getopt_long(argc, argv, optstring, long_opts, NULL)) != -1) {
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
    if (!(option_cmds[opt - OPT_FIRST_ - 1] & which))
      return not_for(cmd, opt);
    if ((rc = take_option(cmd, opt, o)))
      return rc;
  }
  if (optind >= argc && which == CLI_CMD_NEW)
    return cli_usage_error(cmd, "missing the new plugin's NAME");
  if (optind >= argc && which != CLI_CMD_POLICY)
    return cli_usage_error(cmd, "missing the plugin file (PLUGIN.wasm)");
  o->plugin = optind < argc ? argv[optind] : NULL;
  o->rest = argv + optind + (optind < argc);
  o->nrest = argc - optind - (optind < argc);
  return -1;
}

void cli_opts_free(cli_opts *o) {
  plugsup_policy_free(o->policy);
  if (o->audit_fd > STDERR_FILENO)
    close(o->audit_fd);
  free(o->input);
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

/* A zygote (the library's default) is an exec and then a fork per run,
** and is ended with the supervisor: for a command that makes one run it
** only adds the fork and that ending, over a quarter of 'plugsup run'
** (docs/cli.md, "What a run costs"). $PLUGSUP_SPAWN, when set, still
** decides, as for every program that uses the library. */
static plugsup_spawn spawn_for(unsigned runs) {
  const char *env = getenv("PLUGSUP_SPAWN");
  if (runs == 1 && (env == NULL || *env == '\0'))
    return PLUGSUP_SPAWN_EXEC;
  return PLUGSUP_SPAWN_DEFAULT;
}

/* $PLUGSUP_WORKER when set; else beside this binary (a build tree); else
** in the installed libexec dir, found relative to this binary so that an
** installed tree can be moved. */
bool cli_config(const cli_opts *o, unsigned runs, plugsup_config *cfg,
                char worker[CLI_WORKER_PATH_MAX]) {
  char dir[PATH_MAX];
  const char *env = getenv("PLUGSUP_WORKER");
  if (env && *env)
    snprintf(worker, CLI_WORKER_PATH_MAX, "%s", env);
  else if (!self_dir(dir, sizeof dir)) {
    fprintf(stderr, "plugsup: cannot locate itself through /proc/self/exe; "
            "set PLUGSUP_WORKER to the plugsup-worker path\n");
    return false;
  } else {
    snprintf(worker, CLI_WORKER_PATH_MAX, "%s/plugsup-worker", dir);
    if (!executable(worker)) {
      snprintf(worker, CLI_WORKER_PATH_MAX, "%s/%s/plugsup-worker", dir,
               PLUGSUP_BIN_TO_LIBEXEC);
      if (!executable(worker)) {
        fprintf(stderr, "plugsup: cannot find plugsup-worker in %s or in "
                "%s/%s; set PLUGSUP_WORKER to its path\n", dir, dir,
                PLUGSUP_BIN_TO_LIBEXEC);
        return false;
      }
    }
  }
  plugsup_config_init(cfg);
  cfg->worker_path = worker;
  cfg->limits = o->limits;
  cfg->max_in_flight = 1;
  cfg->no_namespaces = o->no_namespaces;
  cfg->spawn = spawn_for(runs);
  return true;
}

plugsup_supervisor *cli_supervisor(const cli_opts *o, unsigned runs) {
  char worker[CLI_WORKER_PATH_MAX];
  plugsup_config cfg;
  plugsup_supervisor *sup;
  if (!cli_config(o, runs, &cfg, worker))
    return NULL;
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

/* ---- where a run's callbacks write ---- */

/* Streams the plugin's output as it arrives. Once a stream fails (its
** reader has gone: EPIPE, SIGPIPE being ignored) nothing more is written
** to it; the run goes on regardless. */
void cli_pass_output(void *userdata, int fd, const void *data, size_t len) {
  cli_sinks *sinks = userdata;
  bool *gone = sinks->gone;
  if (sinks->stdout_to_stderr)
    fd = STDERR_FILENO;
  const char *p = data;
  while (len > 0 && !gone[fd]) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      gone[fd] = true;
      return;
    }
    p += n;
    len -= (size_t)n;
  }
}

/* One decision per line. The line and its newline go out in one writev,
** so that lines of runs appending to the same file never interleave. A
** log that cannot be written is said once; the run goes on. */
void cli_write_audit(void *userdata, const char *json_line) {
  cli_sinks *sinks = userdata;
  struct iovec iov[2] = {{(void *)json_line, strlen(json_line)},
                         {(void *)"\n", 1}};
  ssize_t n;
  if (sinks->audit_fd < 0)
    return;
  while ((n = writev(sinks->audit_fd, iov, 2)) < 0 && errno == EINTR)
    ;
  if (n < (ssize_t)(iov[0].iov_len + 1)) {
    fprintf(stderr, "plugsup: cannot write the audit log: %s\n",
            n < 0 ? strerror(errno) : "short write");
    sinks->audit_fd = -1;
  }
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
    [PLUGSUP_OUTCOME_ABI_ERROR] = {CLI_EXIT_ABI, "ABI error"},
    [PLUGSUP_OUTCOME_PLUGIN_ERROR] = {CLI_EXIT_PLUGIN, "plugin error"},
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
          "  worker       uid %u, gid %u, capabilities %#" PRIx64 "\n"
          "  host calls   %" PRIu64 ", of which %" PRIu64 " denied\n"
          "  file bytes   %" PRIu64 " read, %" PRIu64 " written\n"
          "  net calls    %" PRIu64 "\n"
          "  commands     %" PRIu64 "\n",
          plugsup_outcome_name(r->outcome), r->fuel_used,
          r->peak_memory_bytes, r->max_rss_bytes, ms(r->cpu_usec),
          ms(r->wall_usec), ns, r->worker_uid, r->worker_gid,
          r->worker_capabilities, r->host_calls, r->host_denials,
          r->bytes_read, r->bytes_written, r->net_calls, r->commands);
}
