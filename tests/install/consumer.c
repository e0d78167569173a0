/* A program built only from the installed header and library. Given a
** plugin, it also runs it with the worker the library finds by itself (no
** worker_path, no $PLUGSUP_WORKER) and prints the outcome and stdout. */
#include <plugsup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int run(const char *path) {
  plugsup_config cfg;
  plugsup_supervisor *sup = NULL;
  plugsup_plugin *plugin = NULL;
  plugsup_result *r = NULL;
  int rc = 1;
  unsetenv("PLUGSUP_WORKER");
  plugsup_config_init(&cfg);
  if (plugsup_supervisor_new(&cfg, &sup) != PLUGSUP_OK ||
      plugsup_plugin_load_file(path, &plugin) != PLUGSUP_OK ||
      plugsup_run(sup, plugin, NULL, &r) != PLUGSUP_OK) {
    fprintf(stderr, "consumer: %s\n", plugsup_errmsg());
    goto done;
  }
  printf("outcome %s\n%s", plugsup_outcome_name(r->outcome), r->out.data);
  rc = r->outcome == PLUGSUP_OUTCOME_WORKER_FAILED;
done:
  plugsup_result_free(r);
  plugsup_plugin_free(plugin);
  plugsup_supervisor_free(sup);
  return rc;
}

int main(int argc, char **argv) {
  const char *v = plugsup_version();
  printf("consumer linked against plugsup %s\n", v);
  if (strcmp(v, "") == 0)
    return 1;
  return argc > 1 ? run(argv[1]) : 0;
}
