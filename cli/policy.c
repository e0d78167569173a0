/*
** policy.c: `plugsup policy`: parse a policy as `plugsup run` would and
** print what it grants, one line each, in the grammar --allow takes.
*/
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static void policy_help(void) {
  printf(
      "usage: plugsup policy [OPTIONS] [FILE]\n"
      "\n"
      "Check a policy and print what it grants, one line per preopened\n"
      "directory, capability, setting and limit (docs/policy.md). FILE is a\n"
      "JSON policy, as for --policy. A policy that does not parse is a usage\n"
      "error (170) with the message 'plugsup run' would give.\n"
      "\n"
      "  --dir HOST[::GUEST]     preopen directory HOST, read-write\n"
      "  --ro-dir HOST[::GUEST]  the same, read-only\n"
      "  --env NAME[=VALUE]      an environment variable (shown by name only)\n"
      "  --allow CAPABILITY      grant a capability\n"
      "  --policy FILE           a JSON policy\n"
      "  -h, --help              this text\n");
}

int cli_policy(int argc, char **argv) {
  cli_opts o;
  int rc = cli_parse_common("policy", CLI_CMD_POLICY, argc, argv, &o,
                            policy_help);
  if (rc < 0 && o.nrest > 0)
    rc = cli_usage_error("policy", "unexpected argument '%s' after the "
                         "policy file", o.rest[0]);
  if (rc < 0 && o.plugin && o.policy_file)
    rc = cli_usage_error("policy", "give the policy file once: FILE or "
                         "--policy");
  if (rc < 0 && o.plugin && (o.policy || plugsup_policy_new(&o.policy) ==
                             PLUGSUP_OK) &&
      plugsup_policy_load_file(o.policy, o.plugin) != PLUGSUP_OK)
    rc = cli_usage_error("policy", "%s", plugsup_errmsg());
  if (rc < 0 && !o.policy)
    rc = cli_usage_error("policy", "missing the policy: FILE, --policy, "
                         "--allow, --dir, --ro-dir or --env");
  if (rc < 0) {
    char *text = plugsup_policy_describe(o.policy);
    if (text)
      fputs(text, stdout);
    else
      fprintf(stderr, "plugsup: out of memory\n");
    rc = text ? 0 : CLI_EXIT_SYSTEM;
    free(text);
  }
  cli_opts_free(&o);
  return rc;
}
