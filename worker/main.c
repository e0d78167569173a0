/*
** main.c: plugsup-worker, started by the supervisor for one plugin run.
** The same file builds plugsup-worker-subverted (tests only, never
** installed) with PLUGSUP_WORKER_SUBVERT, which adds the hook in subvert.c.
*/
#include <malloc.h>
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
  /* Host calls move up to 512 KiB a time: freed buffers stay in the heap
  ** for the next call instead of going back to the kernel and faulting in
  ** again (it was most of the time a large read took). The worker lives
  ** for one run, so nothing is kept that matters. */
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  /* _exit: nothing is left to flush, and exit()'s handlers (stdio, the
  ** sanitizers' leak check) may make calls the sandbox forbids. */
  _exit(worker_main(argc, argv, WORKER_HOOK));
}
