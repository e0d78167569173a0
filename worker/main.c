/*
** main.c: plugsup-worker, started by the supervisor for one plugin run.
*/
#include "worker.h"

int main(void) { return worker_main(0, 1); }
