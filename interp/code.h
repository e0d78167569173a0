/*
** code.h: the internal instruction set that compile.c emits and exec.c runs.
**
** Code is an array of 32-bit words. An instruction is its opcode word
** followed by operand words:
**
**   +--------+--------+--------+--------+
**   | opcode |  op 1  |  op 2  |  ...   |   each a uint32_t
**   +--------+--------+--------+--------+
**
** Operands are mostly SLOTS: indices into the current frame, fp[slot]. A
** frame is laid out as
**
**   fp[0 .. L)        params then declared locals (L = nparams + nlocals)
**   fp[L .. L+K)      the function's constants and if-parameter save slots
**                     (copied in from compiled_func.consts at entry)
**   fp[L+K .. )       the operand stack: entry at depth d lives in
**                     fp[L+K+d] (its "home")
**
** so that 'local.get' and 'i32.const' emit no code at all: the compiler
** pushes a reference to the local's or the constant's slot and the next
** instruction reads it from there (see compile.c). Branch OFFSETS are
** signed, in words, relative to the offset word itself. Every instruction
** that ends a basic block (branches, calls, returns) carries a COST: the
** fuel it charges when it runs, taken or not (compile.c, block_cost).
**
** The opcode numbering comes from two sources, generated as one list by
** CODE_ALL():
**   1. every plain Wasm instruction of opcodes.h (sig not SPECIAL), with
**      a layout that follows from its sig and immediate shape:
**        unary      x_y    [op dst a]
**        binary     xy_z   [op dst a b]
**        load       i_x    [op dst addr offset]
**        store      ix_v   [op addr value offset]
**        const      v_x    [op dst lo hi]
**        memory.size       [op dst]          memory.grow [op dst n]
**        memory.init       [op seg d s n]    data.drop   [op seg]
**        memory.copy       [op d s n]        memory.fill [op d v n]
**        table.size        [op dst table]    elem.drop   [op seg]
**      and the SIMD ones of FD_LIST, whose v128 operands are the first of
**      their two slots (see compile.c, op_simd_imm, for lane, shuffle and
**      memory immediates);
**   2. CODE_OWN_LIST below: control, calls, variables, references and
**      fused forms, each with its layout;
**   3. the two-register-address forms of loads and stores (CODE_MEM_X).
*/
#ifndef PLUGSUP_INTERP_CODE_H
#define PLUGSUP_INTERP_CODE_H

#include <stdint.h>

#include "alloc.h"
#include "module.h"
#include "opcodes.h"

/* X(name, layout): the instructions that are not plain Wasm ones. */
#define CODE_OWN_LIST(X)                                                      \
  X(MOV,            "dst src              fp[dst] = fp[src]")                 \
  X(MOV_V128,       "dst src              the same for both slots of a v128") \
  X(SELECT_V128,    "dst a b cond         select of two v128")                \
  X(GLOBAL_GET_V128, "dst global")                                            \
  X(GLOBAL_SET_V128, "global src")                                            \
  X(BR,             "off cost             ip += off")                         \
  X(BR_IF,          "cond off cost        branch if i32 cond != 0")           \
  X(BR_UNLESS,      "cond off cost        branch if i32 cond == 0")           \
  X(BR_TABLE,       "idx n cost off*(n+1) off[min(idx, n)]")                  \
  X(CALL,           "func base cost       callee frame at fp + base")         \
  X(CALL_INDIRECT,  "type table idx base cost  checked call through a table") \
  X(RETURN,         "cost                 results already in fp[0..n)")       \
  X(RETURN1,        "src cost             fp[0] = fp[src]; return")           \
  X(UNREACHABLE,    "                     trap")                              \
  X(SELECT,         "dst a b cond         fp[dst] = cond ? a : b")            \
  X(GLOBAL_GET,     "dst global")                                             \
  X(GLOBAL_SET,     "global src")                                             \
  X(TABLE_GET,      "dst table idx")                                          \
  X(TABLE_SET,      "table idx ref")                                          \
  X(TABLE_INIT,     "table seg d s n")                                        \
  X(TABLE_COPY,     "dtable stable d s n")                                    \
  X(TABLE_GROW,     "dst table ref n")                                        \
  X(TABLE_FILL,     "table i ref n")                                          \
  X(REF_FUNC,       "dst func")                                               \
  X(REF_IS_NULL,    "dst src")                                                \
  /* select on an i32 comparison: fp[dst] = (x OP y) ? a : b */             \
  X(SEL_I32_EQ,     "dst a b x y")                                            \
  X(SEL_I32_NE,     "dst a b x y")                                            \
  X(SEL_I32_LT_S,   "dst a b x y")                                            \
  X(SEL_I32_LT_U,   "dst a b x y")                                            \
  X(SEL_I32_GT_S,   "dst a b x y")                                            \
  X(SEL_I32_GT_U,   "dst a b x y")                                            \
  X(SEL_I32_LE_S,   "dst a b x y")                                            \
  X(SEL_I32_LE_U,   "dst a b x y")                                            \
  X(SEL_I32_GE_S,   "dst a b x y")                                            \
  X(SEL_I32_GE_U,   "dst a b x y")                                            \
  /* i32 binary ops with a constant right operand [op dst a imm] */          \
  X(I32_ADD_I,      "dst a imm")                                              \
  X(I32_SUB_I,      "dst a imm")                                              \
  X(I32_MUL_I,      "dst a imm")                                              \
  X(I32_AND_I,      "dst a imm")                                              \
  X(I32_OR_I,       "dst a imm")                                              \
  X(I32_XOR_I,      "dst a imm")                                              \
  X(I32_SHL_I,      "dst a imm")                                              \
  X(I32_SHR_S_I,    "dst a imm")                                              \
  X(I32_SHR_U_I,    "dst a imm")                                              \
  /* the same for i64, the constant in two words [op dst a lo hi]; keep   \
  ** these after the i32 forms (compile.c tests op >= I64_ADD_I) */        \
  X(I64_ADD_I,      "dst a lo hi")                                            \
  X(I64_SUB_I,      "dst a lo hi")                                            \
  X(I64_MUL_I,      "dst a lo hi")                                            \
  X(I64_AND_I,      "dst a lo hi")                                            \
  X(I64_OR_I,       "dst a lo hi")                                            \
  X(I64_XOR_I,      "dst a lo hi")                                            \
  X(I64_SHL_I,      "dst a lo hi")                                            \
  X(I64_SHR_S_I,    "dst a lo hi")                                            \
  X(I64_SHR_U_I,    "dst a lo hi")                                            \
  /* fused compare-and-branch [op a b off cost] ([op a off cost] for    \
  ** EQZ/NEZ): branch if (a OP b) holds */              \
  X(BR_I32_EQ,      "a b off")                                                \
  X(BR_I32_NE,      "a b off")                                                \
  X(BR_I32_LT_S,    "a b off")                                                \
  X(BR_I32_LT_U,    "a b off")                                                \
  X(BR_I32_GT_S,    "a b off")                                                \
  X(BR_I32_GT_U,    "a b off")                                                \
  X(BR_I32_LE_S,    "a b off")                                                \
  X(BR_I32_LE_U,    "a b off")                                                \
  X(BR_I32_GE_S,    "a b off")                                                \
  X(BR_I32_GE_U,    "a b off")                                                \
  X(BR_I32_EQZ,     "a off                branch if a == 0")                  \
  X(BR_I32_NEZ,     "a off                branch if a != 0 (= BR_IF)")        \
  /* the same for i64 operands */                                             \
  X(BR_I64_EQ,      "a b off")                                                \
  X(BR_I64_NE,      "a b off")                                                \
  X(BR_I64_LT_S,    "a b off")                                                \
  X(BR_I64_LT_U,    "a b off")                                                \
  X(BR_I64_GT_S,    "a b off")                                                \
  X(BR_I64_GT_U,    "a b off")                                                \
  X(BR_I64_LE_S,    "a b off")                                                \
  X(BR_I64_LE_U,    "a b off")                                                \
  X(BR_I64_GE_S,    "a b off")                                                \
  X(BR_I64_GE_U,    "a b off")                                                \
  X(BR_I64_EQZ,     "a off")                                                  \
  X(BR_I64_NEZ,     "a off")

/* Plain Wasm instructions, picked out of opcodes.h by their sig: each sig
** maps to CODE_EACH(name) except SPECIAL, which maps to nothing. */
#define CODE_SIG_v_v(n) CODE_EACH(n)
#define CODE_SIG_v_d(n) CODE_EACH(n)
#define CODE_SIG_v_f(n) CODE_EACH(n)
#define CODE_SIG_v_i(n) CODE_EACH(n)
#define CODE_SIG_v_l(n) CODE_EACH(n)
#define CODE_SIG_d_d(n) CODE_EACH(n)
#define CODE_SIG_d_f(n) CODE_EACH(n)
#define CODE_SIG_d_i(n) CODE_EACH(n)
#define CODE_SIG_d_l(n) CODE_EACH(n)
#define CODE_SIG_dd_d(n) CODE_EACH(n)
#define CODE_SIG_dd_i(n) CODE_EACH(n)
#define CODE_SIG_f_d(n) CODE_EACH(n)
#define CODE_SIG_f_f(n) CODE_EACH(n)
#define CODE_SIG_f_i(n) CODE_EACH(n)
#define CODE_SIG_f_l(n) CODE_EACH(n)
#define CODE_SIG_ff_f(n) CODE_EACH(n)
#define CODE_SIG_ff_i(n) CODE_EACH(n)
#define CODE_SIG_i_d(n) CODE_EACH(n)
#define CODE_SIG_i_f(n) CODE_EACH(n)
#define CODE_SIG_i_i(n) CODE_EACH(n)
#define CODE_SIG_i_l(n) CODE_EACH(n)
#define CODE_SIG_id_v(n) CODE_EACH(n)
#define CODE_SIG_if_v(n) CODE_EACH(n)
#define CODE_SIG_ii_v(n) CODE_EACH(n)
#define CODE_SIG_ii_i(n) CODE_EACH(n)
#define CODE_SIG_iii_v(n) CODE_EACH(n)
#define CODE_SIG_il_v(n) CODE_EACH(n)
#define CODE_SIG_l_d(n) CODE_EACH(n)
#define CODE_SIG_l_f(n) CODE_EACH(n)
#define CODE_SIG_l_i(n) CODE_EACH(n)
#define CODE_SIG_l_l(n) CODE_EACH(n)
#define CODE_SIG_ll_i(n) CODE_EACH(n)
#define CODE_SIG_ll_l(n) CODE_EACH(n)
#define CODE_SIG_V_V(n) CODE_EACH(n)
#define CODE_SIG_V_d(n) CODE_EACH(n)
#define CODE_SIG_V_f(n) CODE_EACH(n)
#define CODE_SIG_V_i(n) CODE_EACH(n)
#define CODE_SIG_V_l(n) CODE_EACH(n)
#define CODE_SIG_VV_V(n) CODE_EACH(n)
#define CODE_SIG_VVV_V(n) CODE_EACH(n)
#define CODE_SIG_Vd_V(n) CODE_EACH(n)
#define CODE_SIG_Vf_V(n) CODE_EACH(n)
#define CODE_SIG_Vi_V(n) CODE_EACH(n)
#define CODE_SIG_Vl_V(n) CODE_EACH(n)
#define CODE_SIG_d_V(n) CODE_EACH(n)
#define CODE_SIG_f_V(n) CODE_EACH(n)
#define CODE_SIG_i_V(n) CODE_EACH(n)
#define CODE_SIG_iV_V(n) CODE_EACH(n)
#define CODE_SIG_iV_v(n) CODE_EACH(n)
#define CODE_SIG_l_V(n) CODE_EACH(n)
#define CODE_SIG_v_V(n) CODE_EACH(n)
#define CODE_SIG_SPECIAL(n)
#define CODE_WASM_X(name, code, text, imm, sig, width) CODE_SIG_##sig(name)
#define CODE_OWN_X(name, layout) CODE_EACH(name)

/* Every load and store of OPCODE_LIST (not the SIMD ones) also has two
** forms for an 'i32.add' feeding the access (base + index and pointer +
** constant, the commonest address shapes in compiled C):
**   _RR  load [op dst a b offset], store [op a b value offset]
**   _RI  load [op dst a imm offset], store [op a imm value offset]
** effective address (uint32)(a + b) + offset: the add still wraps at 32
** bits, as the separate i32.add would. _RI follows _RR in the numbering
** (compile.c relies on it). Picked out of opcodes.h by the MEMARG
** immediate. */
#define CODE_MEM_MEMARG(n) CODE_EACH(n##_RR) CODE_EACH(n##_RI)
#define CODE_MEM_NONE(n)
#define CODE_MEM_BLOCKTYPE(n)
#define CODE_MEM_LABEL(n)
#define CODE_MEM_BR_TABLE(n)
#define CODE_MEM_FUNC(n)
#define CODE_MEM_CALL_INDIRECT(n)
#define CODE_MEM_SELECT_T(n)
#define CODE_MEM_LOCAL(n)
#define CODE_MEM_GLOBAL(n)
#define CODE_MEM_TABLE(n)
#define CODE_MEM_MEMIDX(n)
#define CODE_MEM_I32(n)
#define CODE_MEM_I64(n)
#define CODE_MEM_F32(n)
#define CODE_MEM_F64(n)
#define CODE_MEM_REFTYPE(n)
#define CODE_MEM_MEMORY_INIT(n)
#define CODE_MEM_DATA(n)
#define CODE_MEM_MEMORY_COPY(n)
#define CODE_MEM_TABLE_INIT(n)
#define CODE_MEM_ELEM(n)
#define CODE_MEM_TABLE_COPY(n)
#define CODE_MEM_V128(n)
#define CODE_MEM_SHUFFLE(n)
#define CODE_MEM_LANE(n)
#define CODE_MEM_MEMARG_LANE(n)
#define CODE_MEM_X(name, code, text, imm, sig, width) CODE_MEM_##imm(name)

/* Expands CODE_EACH(name) once per internal opcode, in numbering order.
** Define CODE_EACH before use and undefine it after. */
#define CODE_ALL()                                                            \
  OPCODE_LIST(CODE_WASM_X) FC_LIST(CODE_WASM_X) FD_LIST(CODE_WASM_X)         \
  CODE_OWN_LIST(CODE_OWN_X) OPCODE_LIST(CODE_MEM_X)

enum code_op {
#define CODE_EACH(name) C_##name,
  CODE_ALL()
#undef CODE_EACH
  C_COUNT
};

/* A compiled function body. */
typedef struct compiled_func {
  uint32_t *code;
  uint32_t ncode;
  uint32_t nparams;          /* slots of the params */
  uint32_t nlocals;          /* L: slots of params + declared locals */
  uint32_t nresults;
  uint32_t nconsts;          /* K: constant and save slots */
  uint64_t *consts;          /* K initial values (save slots are 0) */
  uint32_t frame_size;       /* L + K + max operand depth */
} compiled_func;

/* With computed goto, opcode words hold the handler's offset from a base
** label in the dispatch loop instead of the opcode (direct threading: no
** table load per instruction). This is that map, or NULL with
** INTERP_SWITCH_DISPATCH, where opcodes stay as they are. (exec.c) */
const int32_t *code_thread_table(void);

/* Compile body 'idx' (index among defined functions) of a validated
** module into m->funcs[idx].compiled: at load with compile_eagerly, else
** on the body's first call (rt_func_compile). INTERP_NOMEM is the only
** failure; nothing is kept then, and a later call may try again. */
interp_status compile_func(interp_module *m, uint32_t idx, interp_error *err);
void compile_free(ialloc *a, compiled_func *cf);

#endif
