/*
** opcodes.h: the WebAssembly 2.0 instruction set, SIMD included, defined once.
**
** Every consumer (decoder, validator, compiler, executor, disassembly in
** messages) expands these tables; there is no other list of opcodes.
**
**   X(name, code, text, imm, sig, width)
**
**   name   suffix of the OP_ / OPFC_ / OPFD_ enum constant
**   code   the byte (OPCODE_LIST) or the u32 after the 0xFC prefix (FC_LIST)
**          or after the 0xFD prefix (FD_LIST)
**   text   the text-format mnemonic, for messages
**   imm    the shape of the immediates that follow (enum op_imm, IMM_ prefix)
**   sig    the operand signature for instructions that are plain functions
**          of their operands: params '_' results, with i=i32 l=i64 f=f32
**          d=f64 V=v128 (so "ll_i" pops i64 i64 and pushes i32; "ii_v"
**          pops two i32 and pushes nothing). SPECIAL: the validator has a
**          rule of its own
**          (control, variables, references, tables, parametric).
**   width  bytes accessed, for loads and stores (natural alignment = log2);
**          the lane size for lane instructions; 0 elsewhere.
*/
#ifndef PLUGSUP_INTERP_OPCODES_H
#define PLUGSUP_INTERP_OPCODES_H

#define OPCODE_LIST(X) \
  X(UNREACHABLE,           0x00, "unreachable",           NONE,          SPECIAL, 0) \
  X(NOP,                   0x01, "nop",                   NONE,          SPECIAL, 0) \
  X(BLOCK,                 0x02, "block",                 BLOCKTYPE,     SPECIAL, 0) \
  X(LOOP,                  0x03, "loop",                  BLOCKTYPE,     SPECIAL, 0) \
  X(IF,                    0x04, "if",                    BLOCKTYPE,     SPECIAL, 0) \
  X(ELSE,                  0x05, "else",                  NONE,          SPECIAL, 0) \
  X(END,                   0x0B, "end",                   NONE,          SPECIAL, 0) \
  X(BR,                    0x0C, "br",                    LABEL,         SPECIAL, 0) \
  X(BR_IF,                 0x0D, "br_if",                 LABEL,         SPECIAL, 0) \
  X(BR_TABLE,              0x0E, "br_table",              BR_TABLE,      SPECIAL, 0) \
  X(RETURN,                0x0F, "return",                NONE,          SPECIAL, 0) \
  X(CALL,                  0x10, "call",                  FUNC,          SPECIAL, 0) \
  X(CALL_INDIRECT,         0x11, "call_indirect",         CALL_INDIRECT, SPECIAL, 0) \
  X(DROP,                  0x1A, "drop",                  NONE,          SPECIAL, 0) \
  X(SELECT,                0x1B, "select",                NONE,          SPECIAL, 0) \
  X(SELECT_T,              0x1C, "select",                SELECT_T,      SPECIAL, 0) \
  X(LOCAL_GET,             0x20, "local.get",             LOCAL,         SPECIAL, 0) \
  X(LOCAL_SET,             0x21, "local.set",             LOCAL,         SPECIAL, 0) \
  X(LOCAL_TEE,             0x22, "local.tee",             LOCAL,         SPECIAL, 0) \
  X(GLOBAL_GET,            0x23, "global.get",            GLOBAL,        SPECIAL, 0) \
  X(GLOBAL_SET,            0x24, "global.set",            GLOBAL,        SPECIAL, 0) \
  X(TABLE_GET,             0x25, "table.get",             TABLE,         SPECIAL, 0) \
  X(TABLE_SET,             0x26, "table.set",             TABLE,         SPECIAL, 0) \
  X(I32_LOAD,              0x28, "i32.load",              MEMARG,        i_i,     4) \
  X(I64_LOAD,              0x29, "i64.load",              MEMARG,        i_l,     8) \
  X(F32_LOAD,              0x2A, "f32.load",              MEMARG,        i_f,     4) \
  X(F64_LOAD,              0x2B, "f64.load",              MEMARG,        i_d,     8) \
  X(I32_LOAD8_S,           0x2C, "i32.load8_s",           MEMARG,        i_i,     1) \
  X(I32_LOAD8_U,           0x2D, "i32.load8_u",           MEMARG,        i_i,     1) \
  X(I32_LOAD16_S,          0x2E, "i32.load16_s",          MEMARG,        i_i,     2) \
  X(I32_LOAD16_U,          0x2F, "i32.load16_u",          MEMARG,        i_i,     2) \
  X(I64_LOAD8_S,           0x30, "i64.load8_s",           MEMARG,        i_l,     1) \
  X(I64_LOAD8_U,           0x31, "i64.load8_u",           MEMARG,        i_l,     1) \
  X(I64_LOAD16_S,          0x32, "i64.load16_s",          MEMARG,        i_l,     2) \
  X(I64_LOAD16_U,          0x33, "i64.load16_u",          MEMARG,        i_l,     2) \
  X(I64_LOAD32_S,          0x34, "i64.load32_s",          MEMARG,        i_l,     4) \
  X(I64_LOAD32_U,          0x35, "i64.load32_u",          MEMARG,        i_l,     4) \
  X(I32_STORE,             0x36, "i32.store",             MEMARG,        ii_v,    4) \
  X(I64_STORE,             0x37, "i64.store",             MEMARG,        il_v,    8) \
  X(F32_STORE,             0x38, "f32.store",             MEMARG,        if_v,    4) \
  X(F64_STORE,             0x39, "f64.store",             MEMARG,        id_v,    8) \
  X(I32_STORE8,            0x3A, "i32.store8",            MEMARG,        ii_v,    1) \
  X(I32_STORE16,           0x3B, "i32.store16",           MEMARG,        ii_v,    2) \
  X(I64_STORE8,            0x3C, "i64.store8",            MEMARG,        il_v,    1) \
  X(I64_STORE16,           0x3D, "i64.store16",           MEMARG,        il_v,    2) \
  X(I64_STORE32,           0x3E, "i64.store32",           MEMARG,        il_v,    4) \
  X(MEMORY_SIZE,           0x3F, "memory.size",           MEMIDX,        v_i,     0) \
  X(MEMORY_GROW,           0x40, "memory.grow",           MEMIDX,        i_i,     0) \
  X(I32_CONST,             0x41, "i32.const",             I32,           v_i,     0) \
  X(I64_CONST,             0x42, "i64.const",             I64,           v_l,     0) \
  X(F32_CONST,             0x43, "f32.const",             F32,           v_f,     0) \
  X(F64_CONST,             0x44, "f64.const",             F64,           v_d,     0) \
  X(I32_EQZ,               0x45, "i32.eqz",               NONE,          i_i,     0) \
  X(I32_EQ,                0x46, "i32.eq",                NONE,          ii_i,    0) \
  X(I32_NE,                0x47, "i32.ne",                NONE,          ii_i,    0) \
  X(I32_LT_S,              0x48, "i32.lt_s",              NONE,          ii_i,    0) \
  X(I32_LT_U,              0x49, "i32.lt_u",              NONE,          ii_i,    0) \
  X(I32_GT_S,              0x4A, "i32.gt_s",              NONE,          ii_i,    0) \
  X(I32_GT_U,              0x4B, "i32.gt_u",              NONE,          ii_i,    0) \
  X(I32_LE_S,              0x4C, "i32.le_s",              NONE,          ii_i,    0) \
  X(I32_LE_U,              0x4D, "i32.le_u",              NONE,          ii_i,    0) \
  X(I32_GE_S,              0x4E, "i32.ge_s",              NONE,          ii_i,    0) \
  X(I32_GE_U,              0x4F, "i32.ge_u",              NONE,          ii_i,    0) \
  X(I64_EQZ,               0x50, "i64.eqz",               NONE,          l_i,     0) \
  X(I64_EQ,                0x51, "i64.eq",                NONE,          ll_i,    0) \
  X(I64_NE,                0x52, "i64.ne",                NONE,          ll_i,    0) \
  X(I64_LT_S,              0x53, "i64.lt_s",              NONE,          ll_i,    0) \
  X(I64_LT_U,              0x54, "i64.lt_u",              NONE,          ll_i,    0) \
  X(I64_GT_S,              0x55, "i64.gt_s",              NONE,          ll_i,    0) \
  X(I64_GT_U,              0x56, "i64.gt_u",              NONE,          ll_i,    0) \
  X(I64_LE_S,              0x57, "i64.le_s",              NONE,          ll_i,    0) \
  X(I64_LE_U,              0x58, "i64.le_u",              NONE,          ll_i,    0) \
  X(I64_GE_S,              0x59, "i64.ge_s",              NONE,          ll_i,    0) \
  X(I64_GE_U,              0x5A, "i64.ge_u",              NONE,          ll_i,    0) \
  X(F32_EQ,                0x5B, "f32.eq",                NONE,          ff_i,    0) \
  X(F32_NE,                0x5C, "f32.ne",                NONE,          ff_i,    0) \
  X(F32_LT,                0x5D, "f32.lt",                NONE,          ff_i,    0) \
  X(F32_GT,                0x5E, "f32.gt",                NONE,          ff_i,    0) \
  X(F32_LE,                0x5F, "f32.le",                NONE,          ff_i,    0) \
  X(F32_GE,                0x60, "f32.ge",                NONE,          ff_i,    0) \
  X(F64_EQ,                0x61, "f64.eq",                NONE,          dd_i,    0) \
  X(F64_NE,                0x62, "f64.ne",                NONE,          dd_i,    0) \
  X(F64_LT,                0x63, "f64.lt",                NONE,          dd_i,    0) \
  X(F64_GT,                0x64, "f64.gt",                NONE,          dd_i,    0) \
  X(F64_LE,                0x65, "f64.le",                NONE,          dd_i,    0) \
  X(F64_GE,                0x66, "f64.ge",                NONE,          dd_i,    0) \
  X(I32_CLZ,               0x67, "i32.clz",               NONE,          i_i,     0) \
  X(I32_CTZ,               0x68, "i32.ctz",               NONE,          i_i,     0) \
  X(I32_POPCNT,            0x69, "i32.popcnt",            NONE,          i_i,     0) \
  X(I32_ADD,               0x6A, "i32.add",               NONE,          ii_i,    0) \
  X(I32_SUB,               0x6B, "i32.sub",               NONE,          ii_i,    0) \
  X(I32_MUL,               0x6C, "i32.mul",               NONE,          ii_i,    0) \
  X(I32_DIV_S,             0x6D, "i32.div_s",             NONE,          ii_i,    0) \
  X(I32_DIV_U,             0x6E, "i32.div_u",             NONE,          ii_i,    0) \
  X(I32_REM_S,             0x6F, "i32.rem_s",             NONE,          ii_i,    0) \
  X(I32_REM_U,             0x70, "i32.rem_u",             NONE,          ii_i,    0) \
  X(I32_AND,               0x71, "i32.and",               NONE,          ii_i,    0) \
  X(I32_OR,                0x72, "i32.or",                NONE,          ii_i,    0) \
  X(I32_XOR,               0x73, "i32.xor",               NONE,          ii_i,    0) \
  X(I32_SHL,               0x74, "i32.shl",               NONE,          ii_i,    0) \
  X(I32_SHR_S,             0x75, "i32.shr_s",             NONE,          ii_i,    0) \
  X(I32_SHR_U,             0x76, "i32.shr_u",             NONE,          ii_i,    0) \
  X(I32_ROTL,              0x77, "i32.rotl",              NONE,          ii_i,    0) \
  X(I32_ROTR,              0x78, "i32.rotr",              NONE,          ii_i,    0) \
  X(I64_CLZ,               0x79, "i64.clz",               NONE,          l_l,     0) \
  X(I64_CTZ,               0x7A, "i64.ctz",               NONE,          l_l,     0) \
  X(I64_POPCNT,            0x7B, "i64.popcnt",            NONE,          l_l,     0) \
  X(I64_ADD,               0x7C, "i64.add",               NONE,          ll_l,    0) \
  X(I64_SUB,               0x7D, "i64.sub",               NONE,          ll_l,    0) \
  X(I64_MUL,               0x7E, "i64.mul",               NONE,          ll_l,    0) \
  X(I64_DIV_S,             0x7F, "i64.div_s",             NONE,          ll_l,    0) \
  X(I64_DIV_U,             0x80, "i64.div_u",             NONE,          ll_l,    0) \
  X(I64_REM_S,             0x81, "i64.rem_s",             NONE,          ll_l,    0) \
  X(I64_REM_U,             0x82, "i64.rem_u",             NONE,          ll_l,    0) \
  X(I64_AND,               0x83, "i64.and",               NONE,          ll_l,    0) \
  X(I64_OR,                0x84, "i64.or",                NONE,          ll_l,    0) \
  X(I64_XOR,               0x85, "i64.xor",               NONE,          ll_l,    0) \
  X(I64_SHL,               0x86, "i64.shl",               NONE,          ll_l,    0) \
  X(I64_SHR_S,             0x87, "i64.shr_s",             NONE,          ll_l,    0) \
  X(I64_SHR_U,             0x88, "i64.shr_u",             NONE,          ll_l,    0) \
  X(I64_ROTL,              0x89, "i64.rotl",              NONE,          ll_l,    0) \
  X(I64_ROTR,              0x8A, "i64.rotr",              NONE,          ll_l,    0) \
  X(F32_ABS,               0x8B, "f32.abs",               NONE,          f_f,     0) \
  X(F32_NEG,               0x8C, "f32.neg",               NONE,          f_f,     0) \
  X(F32_CEIL,              0x8D, "f32.ceil",              NONE,          f_f,     0) \
  X(F32_FLOOR,             0x8E, "f32.floor",             NONE,          f_f,     0) \
  X(F32_TRUNC,             0x8F, "f32.trunc",             NONE,          f_f,     0) \
  X(F32_NEAREST,           0x90, "f32.nearest",           NONE,          f_f,     0) \
  X(F32_SQRT,              0x91, "f32.sqrt",              NONE,          f_f,     0) \
  X(F32_ADD,               0x92, "f32.add",               NONE,          ff_f,    0) \
  X(F32_SUB,               0x93, "f32.sub",               NONE,          ff_f,    0) \
  X(F32_MUL,               0x94, "f32.mul",               NONE,          ff_f,    0) \
  X(F32_DIV,               0x95, "f32.div",               NONE,          ff_f,    0) \
  X(F32_MIN,               0x96, "f32.min",               NONE,          ff_f,    0) \
  X(F32_MAX,               0x97, "f32.max",               NONE,          ff_f,    0) \
  X(F32_COPYSIGN,          0x98, "f32.copysign",          NONE,          ff_f,    0) \
  X(F64_ABS,               0x99, "f64.abs",               NONE,          d_d,     0) \
  X(F64_NEG,               0x9A, "f64.neg",               NONE,          d_d,     0) \
  X(F64_CEIL,              0x9B, "f64.ceil",              NONE,          d_d,     0) \
  X(F64_FLOOR,             0x9C, "f64.floor",             NONE,          d_d,     0) \
  X(F64_TRUNC,             0x9D, "f64.trunc",             NONE,          d_d,     0) \
  X(F64_NEAREST,           0x9E, "f64.nearest",           NONE,          d_d,     0) \
  X(F64_SQRT,              0x9F, "f64.sqrt",              NONE,          d_d,     0) \
  X(F64_ADD,               0xA0, "f64.add",               NONE,          dd_d,    0) \
  X(F64_SUB,               0xA1, "f64.sub",               NONE,          dd_d,    0) \
  X(F64_MUL,               0xA2, "f64.mul",               NONE,          dd_d,    0) \
  X(F64_DIV,               0xA3, "f64.div",               NONE,          dd_d,    0) \
  X(F64_MIN,               0xA4, "f64.min",               NONE,          dd_d,    0) \
  X(F64_MAX,               0xA5, "f64.max",               NONE,          dd_d,    0) \
  X(F64_COPYSIGN,          0xA6, "f64.copysign",          NONE,          dd_d,    0) \
  X(I32_WRAP_I64,          0xA7, "i32.wrap_i64",          NONE,          l_i,     0) \
  X(I32_TRUNC_F32_S,       0xA8, "i32.trunc_f32_s",       NONE,          f_i,     0) \
  X(I32_TRUNC_F32_U,       0xA9, "i32.trunc_f32_u",       NONE,          f_i,     0) \
  X(I32_TRUNC_F64_S,       0xAA, "i32.trunc_f64_s",       NONE,          d_i,     0) \
  X(I32_TRUNC_F64_U,       0xAB, "i32.trunc_f64_u",       NONE,          d_i,     0) \
  X(I64_EXTEND_I32_S,      0xAC, "i64.extend_i32_s",      NONE,          i_l,     0) \
  X(I64_EXTEND_I32_U,      0xAD, "i64.extend_i32_u",      NONE,          i_l,     0) \
  X(I64_TRUNC_F32_S,       0xAE, "i64.trunc_f32_s",       NONE,          f_l,     0) \
  X(I64_TRUNC_F32_U,       0xAF, "i64.trunc_f32_u",       NONE,          f_l,     0) \
  X(I64_TRUNC_F64_S,       0xB0, "i64.trunc_f64_s",       NONE,          d_l,     0) \
  X(I64_TRUNC_F64_U,       0xB1, "i64.trunc_f64_u",       NONE,          d_l,     0) \
  X(F32_CONVERT_I32_S,     0xB2, "f32.convert_i32_s",     NONE,          i_f,     0) \
  X(F32_CONVERT_I32_U,     0xB3, "f32.convert_i32_u",     NONE,          i_f,     0) \
  X(F32_CONVERT_I64_S,     0xB4, "f32.convert_i64_s",     NONE,          l_f,     0) \
  X(F32_CONVERT_I64_U,     0xB5, "f32.convert_i64_u",     NONE,          l_f,     0) \
  X(F32_DEMOTE_F64,        0xB6, "f32.demote_f64",        NONE,          d_f,     0) \
  X(F64_CONVERT_I32_S,     0xB7, "f64.convert_i32_s",     NONE,          i_d,     0) \
  X(F64_CONVERT_I32_U,     0xB8, "f64.convert_i32_u",     NONE,          i_d,     0) \
  X(F64_CONVERT_I64_S,     0xB9, "f64.convert_i64_s",     NONE,          l_d,     0) \
  X(F64_CONVERT_I64_U,     0xBA, "f64.convert_i64_u",     NONE,          l_d,     0) \
  X(F64_PROMOTE_F32,       0xBB, "f64.promote_f32",       NONE,          f_d,     0) \
  X(I32_REINTERPRET_F32,   0xBC, "i32.reinterpret_f32",   NONE,          f_i,     0) \
  X(I64_REINTERPRET_F64,   0xBD, "i64.reinterpret_f64",   NONE,          d_l,     0) \
  X(F32_REINTERPRET_I32,   0xBE, "f32.reinterpret_i32",   NONE,          i_f,     0) \
  X(F64_REINTERPRET_I64,   0xBF, "f64.reinterpret_i64",   NONE,          l_d,     0) \
  X(I32_EXTEND8_S,         0xC0, "i32.extend8_s",         NONE,          i_i,     0) \
  X(I32_EXTEND16_S,        0xC1, "i32.extend16_s",        NONE,          i_i,     0) \
  X(I64_EXTEND8_S,         0xC2, "i64.extend8_s",         NONE,          l_l,     0) \
  X(I64_EXTEND16_S,        0xC3, "i64.extend16_s",        NONE,          l_l,     0) \
  X(I64_EXTEND32_S,        0xC4, "i64.extend32_s",        NONE,          l_l,     0) \
  X(REF_NULL,              0xD0, "ref.null",              REFTYPE,       SPECIAL, 0) \
  X(REF_IS_NULL,           0xD1, "ref.is_null",           NONE,          SPECIAL, 0) \
  X(REF_FUNC,              0xD2, "ref.func",              FUNC,          SPECIAL, 0)

#define FC_LIST(X) \
  X(I32_TRUNC_SAT_F32_S,   0x00, "i32.trunc_sat_f32_s",   NONE,          f_i,     0) \
  X(I32_TRUNC_SAT_F32_U,   0x01, "i32.trunc_sat_f32_u",   NONE,          f_i,     0) \
  X(I32_TRUNC_SAT_F64_S,   0x02, "i32.trunc_sat_f64_s",   NONE,          d_i,     0) \
  X(I32_TRUNC_SAT_F64_U,   0x03, "i32.trunc_sat_f64_u",   NONE,          d_i,     0) \
  X(I64_TRUNC_SAT_F32_S,   0x04, "i64.trunc_sat_f32_s",   NONE,          f_l,     0) \
  X(I64_TRUNC_SAT_F32_U,   0x05, "i64.trunc_sat_f32_u",   NONE,          f_l,     0) \
  X(I64_TRUNC_SAT_F64_S,   0x06, "i64.trunc_sat_f64_s",   NONE,          d_l,     0) \
  X(I64_TRUNC_SAT_F64_U,   0x07, "i64.trunc_sat_f64_u",   NONE,          d_l,     0) \
  X(MEMORY_INIT,           0x08, "memory.init",           MEMORY_INIT,   iii_v,   0) \
  X(DATA_DROP,             0x09, "data.drop",             DATA,          v_v,     0) \
  X(MEMORY_COPY,           0x0A, "memory.copy",           MEMORY_COPY,   iii_v,   0) \
  X(MEMORY_FILL,           0x0B, "memory.fill",           MEMIDX,        iii_v,   0) \
  X(TABLE_INIT,            0x0C, "table.init",            TABLE_INIT,    SPECIAL, 0) \
  X(ELEM_DROP,             0x0D, "elem.drop",             ELEM,          v_v,     0) \
  X(TABLE_COPY,            0x0E, "table.copy",            TABLE_COPY,    SPECIAL, 0) \
  X(TABLE_GROW,            0x0F, "table.grow",            TABLE,         SPECIAL, 0) \
  X(TABLE_SIZE,            0x10, "table.size",            TABLE,         v_i,     0) \
  X(TABLE_FILL,            0x11, "table.fill",            TABLE,         SPECIAL, 0)

/* The prefix byte that introduces FC_LIST instructions. */
#define OP_PREFIX_FC 0xFC

/* Fixed-width SIMD (Wasm 2.0), numbered by the u32 after the 0xFD prefix.
** Lane instructions (LANE, MEMARG_LANE) give the lane size in bytes as
** their width, so the lane count is 16 / width. */
#define FD_LIST(X) \
  X(V128_LOAD,                    0x00, "v128.load",                       MEMARG,      i_V,   16) \
  X(V128_LOAD8X8_S,               0x01, "v128.load8x8_s",                  MEMARG,      i_V,    8) \
  X(V128_LOAD8X8_U,               0x02, "v128.load8x8_u",                  MEMARG,      i_V,    8) \
  X(V128_LOAD16X4_S,              0x03, "v128.load16x4_s",                 MEMARG,      i_V,    8) \
  X(V128_LOAD16X4_U,              0x04, "v128.load16x4_u",                 MEMARG,      i_V,    8) \
  X(V128_LOAD32X2_S,              0x05, "v128.load32x2_s",                 MEMARG,      i_V,    8) \
  X(V128_LOAD32X2_U,              0x06, "v128.load32x2_u",                 MEMARG,      i_V,    8) \
  X(V128_LOAD8_SPLAT,             0x07, "v128.load8_splat",                MEMARG,      i_V,    1) \
  X(V128_LOAD16_SPLAT,            0x08, "v128.load16_splat",               MEMARG,      i_V,    2) \
  X(V128_LOAD32_SPLAT,            0x09, "v128.load32_splat",               MEMARG,      i_V,    4) \
  X(V128_LOAD64_SPLAT,            0x0A, "v128.load64_splat",               MEMARG,      i_V,    8) \
  X(V128_STORE,                   0x0B, "v128.store",                      MEMARG,      iV_v,  16) \
  X(V128_CONST,                   0x0C, "v128.const",                      V128,        v_V,    0) \
  X(I8X16_SHUFFLE,                0x0D, "i8x16.shuffle",                   SHUFFLE,     VV_V,   0) \
  X(I8X16_SWIZZLE,                0x0E, "i8x16.swizzle",                   NONE,        VV_V,   0) \
  X(I8X16_SPLAT,                  0x0F, "i8x16.splat",                     NONE,        i_V,    0) \
  X(I16X8_SPLAT,                  0x10, "i16x8.splat",                     NONE,        i_V,    0) \
  X(I32X4_SPLAT,                  0x11, "i32x4.splat",                     NONE,        i_V,    0) \
  X(I64X2_SPLAT,                  0x12, "i64x2.splat",                     NONE,        l_V,    0) \
  X(F32X4_SPLAT,                  0x13, "f32x4.splat",                     NONE,        f_V,    0) \
  X(F64X2_SPLAT,                  0x14, "f64x2.splat",                     NONE,        d_V,    0) \
  X(I8X16_EXTRACT_LANE_S,         0x15, "i8x16.extract_lane_s",            LANE,        V_i,    1) \
  X(I8X16_EXTRACT_LANE_U,         0x16, "i8x16.extract_lane_u",            LANE,        V_i,    1) \
  X(I8X16_REPLACE_LANE,           0x17, "i8x16.replace_lane",              LANE,        Vi_V,   1) \
  X(I16X8_EXTRACT_LANE_S,         0x18, "i16x8.extract_lane_s",            LANE,        V_i,    2) \
  X(I16X8_EXTRACT_LANE_U,         0x19, "i16x8.extract_lane_u",            LANE,        V_i,    2) \
  X(I16X8_REPLACE_LANE,           0x1A, "i16x8.replace_lane",              LANE,        Vi_V,   2) \
  X(I32X4_EXTRACT_LANE,           0x1B, "i32x4.extract_lane",              LANE,        V_i,    4) \
  X(I32X4_REPLACE_LANE,           0x1C, "i32x4.replace_lane",              LANE,        Vi_V,   4) \
  X(I64X2_EXTRACT_LANE,           0x1D, "i64x2.extract_lane",              LANE,        V_l,    8) \
  X(I64X2_REPLACE_LANE,           0x1E, "i64x2.replace_lane",              LANE,        Vl_V,   8) \
  X(F32X4_EXTRACT_LANE,           0x1F, "f32x4.extract_lane",              LANE,        V_f,    4) \
  X(F32X4_REPLACE_LANE,           0x20, "f32x4.replace_lane",              LANE,        Vf_V,   4) \
  X(F64X2_EXTRACT_LANE,           0x21, "f64x2.extract_lane",              LANE,        V_d,    8) \
  X(F64X2_REPLACE_LANE,           0x22, "f64x2.replace_lane",              LANE,        Vd_V,   8) \
  X(I8X16_EQ,                     0x23, "i8x16.eq",                        NONE,        VV_V,   0) \
  X(I8X16_NE,                     0x24, "i8x16.ne",                        NONE,        VV_V,   0) \
  X(I8X16_LT_S,                   0x25, "i8x16.lt_s",                      NONE,        VV_V,   0) \
  X(I8X16_LT_U,                   0x26, "i8x16.lt_u",                      NONE,        VV_V,   0) \
  X(I8X16_GT_S,                   0x27, "i8x16.gt_s",                      NONE,        VV_V,   0) \
  X(I8X16_GT_U,                   0x28, "i8x16.gt_u",                      NONE,        VV_V,   0) \
  X(I8X16_LE_S,                   0x29, "i8x16.le_s",                      NONE,        VV_V,   0) \
  X(I8X16_LE_U,                   0x2A, "i8x16.le_u",                      NONE,        VV_V,   0) \
  X(I8X16_GE_S,                   0x2B, "i8x16.ge_s",                      NONE,        VV_V,   0) \
  X(I8X16_GE_U,                   0x2C, "i8x16.ge_u",                      NONE,        VV_V,   0) \
  X(I16X8_EQ,                     0x2D, "i16x8.eq",                        NONE,        VV_V,   0) \
  X(I16X8_NE,                     0x2E, "i16x8.ne",                        NONE,        VV_V,   0) \
  X(I16X8_LT_S,                   0x2F, "i16x8.lt_s",                      NONE,        VV_V,   0) \
  X(I16X8_LT_U,                   0x30, "i16x8.lt_u",                      NONE,        VV_V,   0) \
  X(I16X8_GT_S,                   0x31, "i16x8.gt_s",                      NONE,        VV_V,   0) \
  X(I16X8_GT_U,                   0x32, "i16x8.gt_u",                      NONE,        VV_V,   0) \
  X(I16X8_LE_S,                   0x33, "i16x8.le_s",                      NONE,        VV_V,   0) \
  X(I16X8_LE_U,                   0x34, "i16x8.le_u",                      NONE,        VV_V,   0) \
  X(I16X8_GE_S,                   0x35, "i16x8.ge_s",                      NONE,        VV_V,   0) \
  X(I16X8_GE_U,                   0x36, "i16x8.ge_u",                      NONE,        VV_V,   0) \
  X(I32X4_EQ,                     0x37, "i32x4.eq",                        NONE,        VV_V,   0) \
  X(I32X4_NE,                     0x38, "i32x4.ne",                        NONE,        VV_V,   0) \
  X(I32X4_LT_S,                   0x39, "i32x4.lt_s",                      NONE,        VV_V,   0) \
  X(I32X4_LT_U,                   0x3A, "i32x4.lt_u",                      NONE,        VV_V,   0) \
  X(I32X4_GT_S,                   0x3B, "i32x4.gt_s",                      NONE,        VV_V,   0) \
  X(I32X4_GT_U,                   0x3C, "i32x4.gt_u",                      NONE,        VV_V,   0) \
  X(I32X4_LE_S,                   0x3D, "i32x4.le_s",                      NONE,        VV_V,   0) \
  X(I32X4_LE_U,                   0x3E, "i32x4.le_u",                      NONE,        VV_V,   0) \
  X(I32X4_GE_S,                   0x3F, "i32x4.ge_s",                      NONE,        VV_V,   0) \
  X(I32X4_GE_U,                   0x40, "i32x4.ge_u",                      NONE,        VV_V,   0) \
  X(F32X4_EQ,                     0x41, "f32x4.eq",                        NONE,        VV_V,   0) \
  X(F32X4_NE,                     0x42, "f32x4.ne",                        NONE,        VV_V,   0) \
  X(F32X4_LT,                     0x43, "f32x4.lt",                        NONE,        VV_V,   0) \
  X(F32X4_GT,                     0x44, "f32x4.gt",                        NONE,        VV_V,   0) \
  X(F32X4_LE,                     0x45, "f32x4.le",                        NONE,        VV_V,   0) \
  X(F32X4_GE,                     0x46, "f32x4.ge",                        NONE,        VV_V,   0) \
  X(F64X2_EQ,                     0x47, "f64x2.eq",                        NONE,        VV_V,   0) \
  X(F64X2_NE,                     0x48, "f64x2.ne",                        NONE,        VV_V,   0) \
  X(F64X2_LT,                     0x49, "f64x2.lt",                        NONE,        VV_V,   0) \
  X(F64X2_GT,                     0x4A, "f64x2.gt",                        NONE,        VV_V,   0) \
  X(F64X2_LE,                     0x4B, "f64x2.le",                        NONE,        VV_V,   0) \
  X(F64X2_GE,                     0x4C, "f64x2.ge",                        NONE,        VV_V,   0) \
  X(V128_NOT,                     0x4D, "v128.not",                        NONE,        V_V,    0) \
  X(V128_AND,                     0x4E, "v128.and",                        NONE,        VV_V,   0) \
  X(V128_ANDNOT,                  0x4F, "v128.andnot",                     NONE,        VV_V,   0) \
  X(V128_OR,                      0x50, "v128.or",                         NONE,        VV_V,   0) \
  X(V128_XOR,                     0x51, "v128.xor",                        NONE,        VV_V,   0) \
  X(V128_BITSELECT,               0x52, "v128.bitselect",                  NONE,        VVV_V,  0) \
  X(V128_ANY_TRUE,                0x53, "v128.any_true",                   NONE,        V_i,    0) \
  X(V128_LOAD8_LANE,              0x54, "v128.load8_lane",                 MEMARG_LANE, iV_V,   1) \
  X(V128_LOAD16_LANE,             0x55, "v128.load16_lane",                MEMARG_LANE, iV_V,   2) \
  X(V128_LOAD32_LANE,             0x56, "v128.load32_lane",                MEMARG_LANE, iV_V,   4) \
  X(V128_LOAD64_LANE,             0x57, "v128.load64_lane",                MEMARG_LANE, iV_V,   8) \
  X(V128_STORE8_LANE,             0x58, "v128.store8_lane",                MEMARG_LANE, iV_v,   1) \
  X(V128_STORE16_LANE,            0x59, "v128.store16_lane",               MEMARG_LANE, iV_v,   2) \
  X(V128_STORE32_LANE,            0x5A, "v128.store32_lane",               MEMARG_LANE, iV_v,   4) \
  X(V128_STORE64_LANE,            0x5B, "v128.store64_lane",               MEMARG_LANE, iV_v,   8) \
  X(V128_LOAD32_ZERO,             0x5C, "v128.load32_zero",                MEMARG,      i_V,    4) \
  X(V128_LOAD64_ZERO,             0x5D, "v128.load64_zero",                MEMARG,      i_V,    8) \
  X(F32X4_DEMOTE_F64X2_ZERO,      0x5E, "f32x4.demote_f64x2_zero",         NONE,        V_V,    0) \
  X(F64X2_PROMOTE_LOW_F32X4,      0x5F, "f64x2.promote_low_f32x4",         NONE,        V_V,    0) \
  X(I8X16_ABS,                    0x60, "i8x16.abs",                       NONE,        V_V,    0) \
  X(I8X16_NEG,                    0x61, "i8x16.neg",                       NONE,        V_V,    0) \
  X(I8X16_POPCNT,                 0x62, "i8x16.popcnt",                    NONE,        V_V,    0) \
  X(I8X16_ALL_TRUE,               0x63, "i8x16.all_true",                  NONE,        V_i,    0) \
  X(I8X16_BITMASK,                0x64, "i8x16.bitmask",                   NONE,        V_i,    0) \
  X(I8X16_NARROW_I16X8_S,         0x65, "i8x16.narrow_i16x8_s",            NONE,        VV_V,   0) \
  X(I8X16_NARROW_I16X8_U,         0x66, "i8x16.narrow_i16x8_u",            NONE,        VV_V,   0) \
  X(F32X4_CEIL,                   0x67, "f32x4.ceil",                      NONE,        V_V,    0) \
  X(F32X4_FLOOR,                  0x68, "f32x4.floor",                     NONE,        V_V,    0) \
  X(F32X4_TRUNC,                  0x69, "f32x4.trunc",                     NONE,        V_V,    0) \
  X(F32X4_NEAREST,                0x6A, "f32x4.nearest",                   NONE,        V_V,    0) \
  X(I8X16_SHL,                    0x6B, "i8x16.shl",                       NONE,        Vi_V,   0) \
  X(I8X16_SHR_S,                  0x6C, "i8x16.shr_s",                     NONE,        Vi_V,   0) \
  X(I8X16_SHR_U,                  0x6D, "i8x16.shr_u",                     NONE,        Vi_V,   0) \
  X(I8X16_ADD,                    0x6E, "i8x16.add",                       NONE,        VV_V,   0) \
  X(I8X16_ADD_SAT_S,              0x6F, "i8x16.add_sat_s",                 NONE,        VV_V,   0) \
  X(I8X16_ADD_SAT_U,              0x70, "i8x16.add_sat_u",                 NONE,        VV_V,   0) \
  X(I8X16_SUB,                    0x71, "i8x16.sub",                       NONE,        VV_V,   0) \
  X(I8X16_SUB_SAT_S,              0x72, "i8x16.sub_sat_s",                 NONE,        VV_V,   0) \
  X(I8X16_SUB_SAT_U,              0x73, "i8x16.sub_sat_u",                 NONE,        VV_V,   0) \
  X(F64X2_CEIL,                   0x74, "f64x2.ceil",                      NONE,        V_V,    0) \
  X(F64X2_FLOOR,                  0x75, "f64x2.floor",                     NONE,        V_V,    0) \
  X(I8X16_MIN_S,                  0x76, "i8x16.min_s",                     NONE,        VV_V,   0) \
  X(I8X16_MIN_U,                  0x77, "i8x16.min_u",                     NONE,        VV_V,   0) \
  X(I8X16_MAX_S,                  0x78, "i8x16.max_s",                     NONE,        VV_V,   0) \
  X(I8X16_MAX_U,                  0x79, "i8x16.max_u",                     NONE,        VV_V,   0) \
  X(F64X2_TRUNC,                  0x7A, "f64x2.trunc",                     NONE,        V_V,    0) \
  X(I8X16_AVGR_U,                 0x7B, "i8x16.avgr_u",                    NONE,        VV_V,   0) \
  X(I16X8_EXTADD_PAIRWISE_I8X16_S, 0x7C, "i16x8.extadd_pairwise_i8x16_s",   NONE,        V_V,    0) \
  X(I16X8_EXTADD_PAIRWISE_I8X16_U, 0x7D, "i16x8.extadd_pairwise_i8x16_u",   NONE,        V_V,    0) \
  X(I32X4_EXTADD_PAIRWISE_I16X8_S, 0x7E, "i32x4.extadd_pairwise_i16x8_s",   NONE,        V_V,    0) \
  X(I32X4_EXTADD_PAIRWISE_I16X8_U, 0x7F, "i32x4.extadd_pairwise_i16x8_u",   NONE,        V_V,    0) \
  X(I16X8_ABS,                    0x80, "i16x8.abs",                       NONE,        V_V,    0) \
  X(I16X8_NEG,                    0x81, "i16x8.neg",                       NONE,        V_V,    0) \
  X(I16X8_Q15MULR_SAT_S,          0x82, "i16x8.q15mulr_sat_s",             NONE,        VV_V,   0) \
  X(I16X8_ALL_TRUE,               0x83, "i16x8.all_true",                  NONE,        V_i,    0) \
  X(I16X8_BITMASK,                0x84, "i16x8.bitmask",                   NONE,        V_i,    0) \
  X(I16X8_NARROW_I32X4_S,         0x85, "i16x8.narrow_i32x4_s",            NONE,        VV_V,   0) \
  X(I16X8_NARROW_I32X4_U,         0x86, "i16x8.narrow_i32x4_u",            NONE,        VV_V,   0) \
  X(I16X8_EXTEND_LOW_I8X16_S,     0x87, "i16x8.extend_low_i8x16_s",        NONE,        V_V,    0) \
  X(I16X8_EXTEND_HIGH_I8X16_S,    0x88, "i16x8.extend_high_i8x16_s",       NONE,        V_V,    0) \
  X(I16X8_EXTEND_LOW_I8X16_U,     0x89, "i16x8.extend_low_i8x16_u",        NONE,        V_V,    0) \
  X(I16X8_EXTEND_HIGH_I8X16_U,    0x8A, "i16x8.extend_high_i8x16_u",       NONE,        V_V,    0) \
  X(I16X8_SHL,                    0x8B, "i16x8.shl",                       NONE,        Vi_V,   0) \
  X(I16X8_SHR_S,                  0x8C, "i16x8.shr_s",                     NONE,        Vi_V,   0) \
  X(I16X8_SHR_U,                  0x8D, "i16x8.shr_u",                     NONE,        Vi_V,   0) \
  X(I16X8_ADD,                    0x8E, "i16x8.add",                       NONE,        VV_V,   0) \
  X(I16X8_ADD_SAT_S,              0x8F, "i16x8.add_sat_s",                 NONE,        VV_V,   0) \
  X(I16X8_ADD_SAT_U,              0x90, "i16x8.add_sat_u",                 NONE,        VV_V,   0) \
  X(I16X8_SUB,                    0x91, "i16x8.sub",                       NONE,        VV_V,   0) \
  X(I16X8_SUB_SAT_S,              0x92, "i16x8.sub_sat_s",                 NONE,        VV_V,   0) \
  X(I16X8_SUB_SAT_U,              0x93, "i16x8.sub_sat_u",                 NONE,        VV_V,   0) \
  X(F64X2_NEAREST,                0x94, "f64x2.nearest",                   NONE,        V_V,    0) \
  X(I16X8_MUL,                    0x95, "i16x8.mul",                       NONE,        VV_V,   0) \
  X(I16X8_MIN_S,                  0x96, "i16x8.min_s",                     NONE,        VV_V,   0) \
  X(I16X8_MIN_U,                  0x97, "i16x8.min_u",                     NONE,        VV_V,   0) \
  X(I16X8_MAX_S,                  0x98, "i16x8.max_s",                     NONE,        VV_V,   0) \
  X(I16X8_MAX_U,                  0x99, "i16x8.max_u",                     NONE,        VV_V,   0) \
  X(I16X8_AVGR_U,                 0x9B, "i16x8.avgr_u",                    NONE,        VV_V,   0) \
  X(I16X8_EXTMUL_LOW_I8X16_S,     0x9C, "i16x8.extmul_low_i8x16_s",        NONE,        VV_V,   0) \
  X(I16X8_EXTMUL_HIGH_I8X16_S,    0x9D, "i16x8.extmul_high_i8x16_s",       NONE,        VV_V,   0) \
  X(I16X8_EXTMUL_LOW_I8X16_U,     0x9E, "i16x8.extmul_low_i8x16_u",        NONE,        VV_V,   0) \
  X(I16X8_EXTMUL_HIGH_I8X16_U,    0x9F, "i16x8.extmul_high_i8x16_u",       NONE,        VV_V,   0) \
  X(I32X4_ABS,                    0xA0, "i32x4.abs",                       NONE,        V_V,    0) \
  X(I32X4_NEG,                    0xA1, "i32x4.neg",                       NONE,        V_V,    0) \
  X(I32X4_ALL_TRUE,               0xA3, "i32x4.all_true",                  NONE,        V_i,    0) \
  X(I32X4_BITMASK,                0xA4, "i32x4.bitmask",                   NONE,        V_i,    0) \
  X(I32X4_EXTEND_LOW_I16X8_S,     0xA7, "i32x4.extend_low_i16x8_s",        NONE,        V_V,    0) \
  X(I32X4_EXTEND_HIGH_I16X8_S,    0xA8, "i32x4.extend_high_i16x8_s",       NONE,        V_V,    0) \
  X(I32X4_EXTEND_LOW_I16X8_U,     0xA9, "i32x4.extend_low_i16x8_u",        NONE,        V_V,    0) \
  X(I32X4_EXTEND_HIGH_I16X8_U,    0xAA, "i32x4.extend_high_i16x8_u",       NONE,        V_V,    0) \
  X(I32X4_SHL,                    0xAB, "i32x4.shl",                       NONE,        Vi_V,   0) \
  X(I32X4_SHR_S,                  0xAC, "i32x4.shr_s",                     NONE,        Vi_V,   0) \
  X(I32X4_SHR_U,                  0xAD, "i32x4.shr_u",                     NONE,        Vi_V,   0) \
  X(I32X4_ADD,                    0xAE, "i32x4.add",                       NONE,        VV_V,   0) \
  X(I32X4_SUB,                    0xB1, "i32x4.sub",                       NONE,        VV_V,   0) \
  X(I32X4_MUL,                    0xB5, "i32x4.mul",                       NONE,        VV_V,   0) \
  X(I32X4_MIN_S,                  0xB6, "i32x4.min_s",                     NONE,        VV_V,   0) \
  X(I32X4_MIN_U,                  0xB7, "i32x4.min_u",                     NONE,        VV_V,   0) \
  X(I32X4_MAX_S,                  0xB8, "i32x4.max_s",                     NONE,        VV_V,   0) \
  X(I32X4_MAX_U,                  0xB9, "i32x4.max_u",                     NONE,        VV_V,   0) \
  X(I32X4_DOT_I16X8_S,            0xBA, "i32x4.dot_i16x8_s",               NONE,        VV_V,   0) \
  X(I32X4_EXTMUL_LOW_I16X8_S,     0xBC, "i32x4.extmul_low_i16x8_s",        NONE,        VV_V,   0) \
  X(I32X4_EXTMUL_HIGH_I16X8_S,    0xBD, "i32x4.extmul_high_i16x8_s",       NONE,        VV_V,   0) \
  X(I32X4_EXTMUL_LOW_I16X8_U,     0xBE, "i32x4.extmul_low_i16x8_u",        NONE,        VV_V,   0) \
  X(I32X4_EXTMUL_HIGH_I16X8_U,    0xBF, "i32x4.extmul_high_i16x8_u",       NONE,        VV_V,   0) \
  X(I64X2_ABS,                    0xC0, "i64x2.abs",                       NONE,        V_V,    0) \
  X(I64X2_NEG,                    0xC1, "i64x2.neg",                       NONE,        V_V,    0) \
  X(I64X2_ALL_TRUE,               0xC3, "i64x2.all_true",                  NONE,        V_i,    0) \
  X(I64X2_BITMASK,                0xC4, "i64x2.bitmask",                   NONE,        V_i,    0) \
  X(I64X2_EXTEND_LOW_I32X4_S,     0xC7, "i64x2.extend_low_i32x4_s",        NONE,        V_V,    0) \
  X(I64X2_EXTEND_HIGH_I32X4_S,    0xC8, "i64x2.extend_high_i32x4_s",       NONE,        V_V,    0) \
  X(I64X2_EXTEND_LOW_I32X4_U,     0xC9, "i64x2.extend_low_i32x4_u",        NONE,        V_V,    0) \
  X(I64X2_EXTEND_HIGH_I32X4_U,    0xCA, "i64x2.extend_high_i32x4_u",       NONE,        V_V,    0) \
  X(I64X2_SHL,                    0xCB, "i64x2.shl",                       NONE,        Vi_V,   0) \
  X(I64X2_SHR_S,                  0xCC, "i64x2.shr_s",                     NONE,        Vi_V,   0) \
  X(I64X2_SHR_U,                  0xCD, "i64x2.shr_u",                     NONE,        Vi_V,   0) \
  X(I64X2_ADD,                    0xCE, "i64x2.add",                       NONE,        VV_V,   0) \
  X(I64X2_SUB,                    0xD1, "i64x2.sub",                       NONE,        VV_V,   0) \
  X(I64X2_MUL,                    0xD5, "i64x2.mul",                       NONE,        VV_V,   0) \
  X(I64X2_EQ,                     0xD6, "i64x2.eq",                        NONE,        VV_V,   0) \
  X(I64X2_NE,                     0xD7, "i64x2.ne",                        NONE,        VV_V,   0) \
  X(I64X2_LT_S,                   0xD8, "i64x2.lt_s",                      NONE,        VV_V,   0) \
  X(I64X2_GT_S,                   0xD9, "i64x2.gt_s",                      NONE,        VV_V,   0) \
  X(I64X2_LE_S,                   0xDA, "i64x2.le_s",                      NONE,        VV_V,   0) \
  X(I64X2_GE_S,                   0xDB, "i64x2.ge_s",                      NONE,        VV_V,   0) \
  X(I64X2_EXTMUL_LOW_I32X4_S,     0xDC, "i64x2.extmul_low_i32x4_s",        NONE,        VV_V,   0) \
  X(I64X2_EXTMUL_HIGH_I32X4_S,    0xDD, "i64x2.extmul_high_i32x4_s",       NONE,        VV_V,   0) \
  X(I64X2_EXTMUL_LOW_I32X4_U,     0xDE, "i64x2.extmul_low_i32x4_u",        NONE,        VV_V,   0) \
  X(I64X2_EXTMUL_HIGH_I32X4_U,    0xDF, "i64x2.extmul_high_i32x4_u",       NONE,        VV_V,   0) \
  X(F32X4_ABS,                    0xE0, "f32x4.abs",                       NONE,        V_V,    0) \
  X(F32X4_NEG,                    0xE1, "f32x4.neg",                       NONE,        V_V,    0) \
  X(F32X4_SQRT,                   0xE3, "f32x4.sqrt",                      NONE,        V_V,    0) \
  X(F32X4_ADD,                    0xE4, "f32x4.add",                       NONE,        VV_V,   0) \
  X(F32X4_SUB,                    0xE5, "f32x4.sub",                       NONE,        VV_V,   0) \
  X(F32X4_MUL,                    0xE6, "f32x4.mul",                       NONE,        VV_V,   0) \
  X(F32X4_DIV,                    0xE7, "f32x4.div",                       NONE,        VV_V,   0) \
  X(F32X4_MIN,                    0xE8, "f32x4.min",                       NONE,        VV_V,   0) \
  X(F32X4_MAX,                    0xE9, "f32x4.max",                       NONE,        VV_V,   0) \
  X(F32X4_PMIN,                   0xEA, "f32x4.pmin",                      NONE,        VV_V,   0) \
  X(F32X4_PMAX,                   0xEB, "f32x4.pmax",                      NONE,        VV_V,   0) \
  X(F64X2_ABS,                    0xEC, "f64x2.abs",                       NONE,        V_V,    0) \
  X(F64X2_NEG,                    0xED, "f64x2.neg",                       NONE,        V_V,    0) \
  X(F64X2_SQRT,                   0xEF, "f64x2.sqrt",                      NONE,        V_V,    0) \
  X(F64X2_ADD,                    0xF0, "f64x2.add",                       NONE,        VV_V,   0) \
  X(F64X2_SUB,                    0xF1, "f64x2.sub",                       NONE,        VV_V,   0) \
  X(F64X2_MUL,                    0xF2, "f64x2.mul",                       NONE,        VV_V,   0) \
  X(F64X2_DIV,                    0xF3, "f64x2.div",                       NONE,        VV_V,   0) \
  X(F64X2_MIN,                    0xF4, "f64x2.min",                       NONE,        VV_V,   0) \
  X(F64X2_MAX,                    0xF5, "f64x2.max",                       NONE,        VV_V,   0) \
  X(F64X2_PMIN,                   0xF6, "f64x2.pmin",                      NONE,        VV_V,   0) \
  X(F64X2_PMAX,                   0xF7, "f64x2.pmax",                      NONE,        VV_V,   0) \
  X(I32X4_TRUNC_SAT_F32X4_S,      0xF8, "i32x4.trunc_sat_f32x4_s",         NONE,        V_V,    0) \
  X(I32X4_TRUNC_SAT_F32X4_U,      0xF9, "i32x4.trunc_sat_f32x4_u",         NONE,        V_V,    0) \
  X(F32X4_CONVERT_I32X4_S,        0xFA, "f32x4.convert_i32x4_s",           NONE,        V_V,    0) \
  X(F32X4_CONVERT_I32X4_U,        0xFB, "f32x4.convert_i32x4_u",           NONE,        V_V,    0) \
  X(I32X4_TRUNC_SAT_F64X2_S_ZERO, 0xFC, "i32x4.trunc_sat_f64x2_s_zero",    NONE,        V_V,    0) \
  X(I32X4_TRUNC_SAT_F64X2_U_ZERO, 0xFD, "i32x4.trunc_sat_f64x2_u_zero",    NONE,        V_V,    0) \
  X(F64X2_CONVERT_LOW_I32X4_S,    0xFE, "f64x2.convert_low_i32x4_s",       NONE,        V_V,    0) \
  X(F64X2_CONVERT_LOW_I32X4_U,    0xFF, "f64x2.convert_low_i32x4_u",       NONE,        V_V,    0)

/* The prefix byte that introduces FD_LIST instructions (SIMD). */
#define OP_PREFIX_FD 0xFD

enum op_code {
#define X(name, code, text, imm, sig, width) OP_##name = code,
  OPCODE_LIST(X)
#undef X
};

enum op_fc_code {
#define X(name, code, text, imm, sig, width) OPFC_##name = code,
  FC_LIST(X)
#undef X
  OPFC_COUNT
};

enum op_fd_code {
#define X(name, code, text, imm, sig, width) OPFD_##name = code,
  FD_LIST(X)
#undef X
};

/* Immediate shapes. */
enum op_imm {
  IMM_NONE,          /* nothing */
  IMM_BLOCKTYPE,     /* 0x40 | valtype | s33 type index */
  IMM_LABEL,         /* u32 label depth */
  IMM_BR_TABLE,      /* vec(u32 label) u32 default label */
  IMM_FUNC,          /* u32 function index */
  IMM_CALL_INDIRECT, /* u32 type index, u32 table index */
  IMM_SELECT_T,      /* vec(valtype), length must be 1 */
  IMM_LOCAL,         /* u32 local index */
  IMM_GLOBAL,        /* u32 global index */
  IMM_TABLE,         /* u32 table index */
  IMM_MEMARG,        /* u32 align exponent, u32 offset */
  IMM_MEMIDX,        /* one byte, must be 0x00 */
  IMM_I32,           /* s32 LEB128 */
  IMM_I64,           /* s64 LEB128 */
  IMM_F32,           /* 4 bytes little endian */
  IMM_F64,           /* 8 bytes little endian */
  IMM_REFTYPE,       /* one byte: 0x70 funcref | 0x6F externref */
  IMM_MEMORY_INIT,   /* u32 data index, then a 0x00 byte */
  IMM_DATA,          /* u32 data index */
  IMM_MEMORY_COPY,   /* two 0x00 bytes */
  IMM_TABLE_INIT,    /* u32 elem index, u32 table index */
  IMM_ELEM,          /* u32 elem index */
  IMM_TABLE_COPY,    /* u32 destination table, u32 source table */
  IMM_V128,          /* 16 bytes, lane 0 first */
  IMM_SHUFFLE,       /* 16 lane indices, one byte each, each below 32 */
  IMM_LANE,          /* one byte: a lane index below 16 / width */
  IMM_MEMARG_LANE    /* memarg, then a lane index byte */
};

/* Operand signatures of the plain instructions (see 'sig' above). */
#define OP_SIG_LIST(X) \
  X(v_v,  "", "") \
  X(v_d,  "", "d") \
  X(v_f,  "", "f") \
  X(v_i,  "", "i") \
  X(v_l,  "", "l") \
  X(d_d,  "d", "d") \
  X(d_f,  "d", "f") \
  X(d_i,  "d", "i") \
  X(d_l,  "d", "l") \
  X(dd_d, "dd", "d") \
  X(dd_i, "dd", "i") \
  X(f_d,  "f", "d") \
  X(f_f,  "f", "f") \
  X(f_i,  "f", "i") \
  X(f_l,  "f", "l") \
  X(ff_f, "ff", "f") \
  X(ff_i, "ff", "i") \
  X(i_d,  "i", "d") \
  X(i_f,  "i", "f") \
  X(i_i,  "i", "i") \
  X(i_l,  "i", "l") \
  X(id_v, "id", "") \
  X(if_v, "if", "") \
  X(ii_v, "ii", "") \
  X(ii_i, "ii", "i") \
  X(iii_v, "iii", "") \
  X(il_v, "il", "") \
  X(l_d,  "l", "d") \
  X(l_f,  "l", "f") \
  X(l_i,  "l", "i") \
  X(l_l,  "l", "l") \
  X(ll_i, "ll", "i") \
  X(ll_l, "ll", "l") \
  X(V_V,  "V", "V") \
  X(V_d,  "V", "d") \
  X(V_f,  "V", "f") \
  X(V_i,  "V", "i") \
  X(V_l,  "V", "l") \
  X(VV_V, "VV", "V") \
  X(VVV_V, "VVV", "V") \
  X(Vd_V, "Vd", "V") \
  X(Vf_V, "Vf", "V") \
  X(Vi_V, "Vi", "V") \
  X(Vl_V, "Vl", "V") \
  X(d_V,  "d", "V") \
  X(f_V,  "f", "V") \
  X(i_V,  "i", "V") \
  X(iV_V, "iV", "V") \
  X(iV_v, "iV", "") \
  X(l_V,  "l", "V") \
  X(v_V,  "", "V") \
  X(SPECIAL, "", "")

enum op_sig {
#define X(name, params, results) SIG_##name,
  OP_SIG_LIST(X)
#undef X
};

#endif
