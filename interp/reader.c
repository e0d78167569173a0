/*
** reader.c: the table-driven part of every instruction, one row per
** opcode of each opcode space, made from opcodes.h.
*/
#include "reader.h"

#define ROW(name, code, text_, imm_, sig_, width_)                             \
  [code] = {text_, IMM_##imm_, SIG_##sig_, width_},

const rd_opdesc rd_ops[256] = {OPCODE_LIST(ROW)};
const rd_opdesc rd_fc_ops[RD_FC_CODES] = {FC_LIST(ROW)};
const rd_opdesc rd_fd_ops[RD_FD_CODES] = {FD_LIST(ROW)};

#undef ROW
