/*
** hostcall.c: the table of forwarded host calls, for lookups by op.
*/
#include "hostcall.h"

#include <stddef.h>

static const hostcall_desc descs[] = {
#define HOSTCALL_X_(op, value, name, args, results, in, out) \
  [value] = {op, name, args, results},
    HOSTCALL_LIST(HOSTCALL_X_)
#undef HOSTCALL_X_
};

const hostcall_desc *hostcall_describe(unsigned op) {
  if (op >= sizeof descs / sizeof descs[0] || descs[op].name == NULL)
    return NULL;
  return &descs[op];
}
