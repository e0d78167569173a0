/*
** main.c: the plugsup command line.
*/
#include <stdio.h>
#include <string.h>

#include "plugsup.h"

static void usage(FILE *out) {
  fprintf(out,
          "usage: plugsup [--version] [--help] <command> [<args>]\n"
          "\n"
          "Run untrusted WebAssembly plugins in sandboxed worker processes.\n");
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--version") == 0) {
    printf("plugsup %s\n", plugsup_version());
    return 0;
  }
  if (argc == 2 && strcmp(argv[1], "--help") == 0) {
    usage(stdout);
    return 0;
  }
  usage(stderr);
  return 2;
}
