/*
** main.c: plugsup-worker, started by the supervisor for one plugin run.
** The same file builds plugsup-worker-subverted (tests only, never
** installed) with PLUGSUP_WORKER_SUBVERT, which adds the hook in subvert.c.
*/
#include <unistd.h>

#include "worker.h"

#if PLUGSUP_WORKER_SUBVERT
int worker_subvert(const Plugsup__Run *run, const sandbox_state *sb,
                   Plugsup__Result *res);
#define WORKER_HOOK worker_subvert
#else
#define WORKER_HOOK NULL
#endif

int main(int argc, char **argv) {
  /* _exit: nothing is left to flush, and exit()'s handlers (stdio, the
  ** sanitizers' leak check) may make calls the sandbox forbids. */
  _exit(worker_main(argc, argv, WORKER_HOOK));
}
