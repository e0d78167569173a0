/*
** main.c: the plugsup command line: subcommand dispatch and top-level help.
*/
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *out) {
  fprintf(out,
          "usage: plugsup [--version] [--help] <command> [<args>]\n"
          "\n"
          "Run untrusted WebAssembly plugins in sandboxed worker processes.\n"
          "\n"
          "commands:\n"
          "  run        run a WASI command, or call an export (--invoke)\n"
          "  validate   decode and validate a module; list exports, imports\n"
          "  policy     check a policy and print what it grants\n"
          "  process    run a process-ABI plugin: bytes in, bytes out\n"
          "  tool       list a tool plugin's tools, or run one\n"
          "  observe    run an observe-ABI check with a JSON configuration\n"
          "  inspect    which plugin ABIs a module satisfies, its metadata\n"
          "  new        write a plugin skeleton in C for an ABI\n"
          "\n"
          "'plugsup <command> --help' describes each command.\n"
          "\n"
          "exit status:\n"
          "  0-124  the plugin's own exit code (0 when an export returned)\n");
#define X(name, code, text) fprintf(out, "  %-5d  %s\n", code, text);
  CLI_EXIT_LIST(X)
#undef X
  fprintf(out,
          "\n"
          "environment:\n"
          "  PLUGSUP_WORKER  path of plugsup-worker; by default it is looked\n"
          "                  for beside plugsup, then in " PLUGSUP_BIN_TO_LIBEXEC
          "\n"
          "  PLUGSUP_SPAWN   exec or zygote: how workers start; by default by\n"
          "                  exec for a command that makes one run, else from\n"
          "                  a zygote\n");
}

int main(int argc, char **argv) {
  /* A reader that goes away (plugsup run ... | head) does not end the
  ** run: the rest of the plugin's output is dropped, the run goes on to
  ** its end under its limits, and the exit status is the run's. */
  signal(SIGPIPE, SIG_IGN);
  if (argc == 2 && strcmp(argv[1], "--version") == 0) {
    printf("plugsup %s\n", plugsup_version());
    return 0;
  }
  if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
                    strcmp(argv[1], "-h") == 0)) {
    usage(stdout);
    return 0;
  }
  static const struct {
    const char *name;
    int (*fn)(int, char **);
  } commands[] = {{"run", cli_run},         {"validate", cli_validate},
                  {"policy", cli_policy},   {"process", cli_process},
                  {"tool", cli_tool},       {"observe", cli_observe},
                  {"inspect", cli_inspect}, {"new", cli_new}};
  for (size_t i = 0; argc >= 2 && i < sizeof commands / sizeof commands[0];
       i++)
    if (strcmp(argv[1], commands[i].name) == 0)
      return commands[i].fn(argc - 1, argv + 1);
  if (argc >= 2)
    fprintf(stderr, "plugsup: unknown command '%s'\n", argv[1]);
  usage(stderr);
  return CLI_EXIT_USAGE;
}
