/*
** run_nointerp.c: worker_run while interp/ is still placeholder sources
** (chosen by worker/CMakeLists.txt): the sandbox and the conversation work,
** every Run is answered BAD_REQUEST. Goes away once the interpreter links.
*/
#include "worker.h"

void worker_run(worker_ctx *w, const Plugsup__Run *run, Plugsup__Result *res) {
  (void)w;
  (void)run;
  res->outcome = PLUGSUP__OUTCOME__BAD_REQUEST;
  res->message = worker_strdupf("this worker was built without the interpreter");
}
