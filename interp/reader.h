/*
** reader.h: bounds-checked reading of the WebAssembly binary format.
** Internal to interp/; shared by the decoder, the validator and the compiler.
**
** A reader walks [pos, end) of a module's bytes. Every rd_* call returns
** true on success; on failure it leaves a MALFORMED status in r->err (when
** not NULL), with the spec suite's wording first, and returns false. The
** position after a failure is unspecified: stop reading.
**
** LEB128 is strict, as the spec's decoder: an encoding longer than
** ceil(N/7) bytes is "integer representation too long", and unused bits of
** the last byte that are not a zero or sign extension are "integer too
** large".
**
** Re-reading code that has already been validated cannot fail, so the
** compiler may use a reader with err == NULL and ignore the results. A
** body's instructions end with its final 'end', so:
**
**   reader r;
**   rd_insn in;
**   rd_init(&r, f->code, f->code_len, NULL);   (offsets from f->code)
**   while (rd_insn_next(&r, &in)) { ... in.op, in.x, in.y ... }
**
** br_table labels and select types are left in place (in.vec, in.nvec):
** re-read the labels with a second reader over in.vec and rd_u32.
*/
#ifndef PLUGSUP_INTERP_READER_H
#define PLUGSUP_INTERP_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "opcodes.h"

/* For the few readers on the path of every instruction, which compilers
** would otherwise leave out of line in the validator's loop. */
#if defined(__GNUC__)
#define RD_HOT static inline __attribute__((always_inline))
#else
#define RD_HOT static inline
#endif

typedef struct reader {
  const uint8_t *base;  /* start of the module: offsets count from here */
  const uint8_t *pos;
  const uint8_t *end;
  interp_error *err;    /* may be NULL */
} reader;

static inline void rd_init(reader *r, const uint8_t *base, size_t len,
                           interp_error *err) {
  r->base = base;
  r->pos = base;
  r->end = base + len;
  r->err = err;
}

static inline size_t rd_offset(const reader *r) {
  return (size_t)(r->pos - r->base);
}

static inline size_t rd_left(const reader *r) {
  return (size_t)(r->end - r->pos);
}

static inline bool rd_at_end(const reader *r) { return r->pos == r->end; }

/* Move to 'offset' from the start of the module (clamped to the end). */
static inline void rd_seek(reader *r, size_t offset) {
  size_t len = (size_t)(r->end - r->base);
  r->pos = r->base + (offset < len ? offset : len);
}

/* Report 'msg' at 'offset'. Always returns false. */
static inline bool rd_fail_at(reader *r, size_t offset, const char *msg) {
  if (r->err) {
    ip_fail(r->err, INTERP_MALFORMED, "%s at offset 0x%zx", msg, offset);
    r->err->offset = offset;
  }
  return false;
}

static inline bool rd_fail(reader *r, const char *msg) {
  return rd_fail_at(r, rd_offset(r), msg);
}

#define RD_EOF_MESSAGE "unexpected end of section or function"

RD_HOT bool rd_u8(reader *r, uint8_t *out) {
  if (r->pos == r->end)
    return rd_fail(r, RD_EOF_MESSAGE);
  *out = *r->pos++;
  return true;
}

/* n raw bytes; *out points into the module. */
static inline bool rd_bytes(reader *r, size_t n, const uint8_t **out) {
  if (n > rd_left(r))
    return rd_fail(r, RD_EOF_MESSAGE);
  *out = r->pos;
  r->pos += n;
  return true;
}

/* Unsigned LEB128 of at most 'bits' significant bits (1..64). */
static inline bool rd_uleb(reader *r, int bits, uint64_t *out) {
  uint64_t v = 0;
  unsigned shift = 0;
  for (int n = bits;; n -= 7, shift += 7) {
    uint8_t b;
    if (n <= 0)
      return rd_fail(r, "integer representation too long");
    if (!rd_u8(r, &b))
      return false;
    if (n < 7 && (b & 0x7f) >= (1u << n))
      return rd_fail_at(r, rd_offset(r) - 1, "integer too large");
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80))
      break;
  }
  *out = v;
  return true;
}

/* Signed LEB128 of at most 'bits' significant bits (1..64). */
static inline bool rd_sleb(reader *r, int bits, int64_t *out) {
  uint64_t v = 0;
  unsigned shift = 0;
  for (int n = bits;; n -= 7, shift += 7) {
    uint8_t b;
    if (n <= 0)
      return rd_fail(r, "integer representation too long");
    if (!rd_u8(r, &b))
      return false;
    if (n < 7) {
      uint8_t mask = (uint8_t)((0x7fu << (n - 1)) & 0x7f);
      if ((b & mask) != 0 && (b & mask) != mask)
        return rd_fail_at(r, rd_offset(r) - 1, "integer too large");
    }
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      if ((b & 0x40) && shift + 7 < 64)
        v |= ~(uint64_t)0 << (shift + 7);
      break;
    }
  }
  *out = (int64_t)v;
  return true;
}

RD_HOT bool rd_u32(reader *r, uint32_t *out) {
  uint64_t v;
  if (r->pos < r->end && *r->pos < 0x80) { /* most indices: one byte */
    *out = *r->pos++;
    return true;
  }
  if (!rd_uleb(r, 32, &v))
    return false;
  *out = (uint32_t)v;
  return true;
}

/* A length or count that must fit in what is left of the module. */
static inline bool rd_len(reader *r, uint32_t *out) {
  size_t at = rd_offset(r);
  if (!rd_u32(r, out))
    return false;
  if (*out > rd_left(r))
    return rd_fail_at(r, at, "length out of bounds");
  return true;
}

/* 'n' bytes little endian (constants of f32.const and f64.const). */
static inline bool rd_fixed(reader *r, unsigned n, uint64_t *out) {
  const uint8_t *p;
  if (!rd_bytes(r, n, &p))
    return false;
  uint64_t v = 0;
  for (unsigned i = n; i-- > 0;)
    v = v << 8 | p[i];
  *out = v;
  return true;
}

static inline bool rd_is_numtype(uint8_t t) {
  return t == INTERP_I32 || t == INTERP_I64 || t == INTERP_F32 ||
         t == INTERP_F64;
}

static inline bool rd_is_vectype(uint8_t t) { return t == INTERP_V128; }

static inline bool rd_is_reftype(uint8_t t) {
  return t == INTERP_FUNCREF || t == INTERP_EXTERNREF;
}

static inline bool rd_valtype(reader *r, uint8_t *out) {
  if (!rd_u8(r, out))
    return false;
  if (rd_is_numtype(*out) || rd_is_vectype(*out) || rd_is_reftype(*out))
    return true;
  /* The spec reads a type as a one-byte signed LEB128. */
  if (*out & 0x80)
    return rd_fail(r, "integer representation too long");
  return rd_fail_at(r, rd_offset(r) - 1, "malformed value type");
}

static inline bool rd_reftype(reader *r, uint8_t *out) {
  if (!rd_u8(r, out))
    return false;
  if (rd_is_reftype(*out))
    return true;
  return rd_fail_at(r, rd_offset(r) - 1, "malformed reference type");
}

/* A reserved byte that must be 0x00 (not merely a LEB128 zero). */
static inline bool rd_zero(reader *r) {
  uint8_t b;
  if (!rd_u8(r, &b))
    return false;
  return b == 0 || rd_fail_at(r, rd_offset(r) - 1, "zero byte expected");
}

/* ---- instructions ---- */

typedef enum rd_blockkind {
  RD_BLOCK_EMPTY,      /* [] -> [] */
  RD_BLOCK_VALTYPE,    /* [] -> [x], x a valtype */
  RD_BLOCK_TYPEIDX     /* the function type x */
} rd_blockkind;

/* One decoded instruction. Which fields mean something depends on 'imm':
**   BLOCKTYPE      block, x
**   LABEL FUNC LOCAL GLOBAL TABLE DATA ELEM           x = the index
**   BR_TABLE       nvec labels at 'vec' (re-read with rd_u32), x = default
**   CALL_INDIRECT  x = type index, y = table index
**   SELECT_T       nvec valtypes at 'vec', one byte each
**   MEMARG         x = alignment exponent, y = offset
**   I32 I64        bits = the value sign-extended to 64 bits
**   F32 F64        bits = the IEEE bit pattern
**   REFTYPE        x = INTERP_FUNCREF or INTERP_EXTERNREF
**   MEMORY_INIT    x = data index
**   TABLE_INIT     x = elem index, y = table index
**   TABLE_COPY     x = destination table, y = source table
**   V128 SHUFFLE   the 16 immediate bytes at 'vec'
**   LANE           lane
**   MEMARG_LANE    x = alignment exponent, y = offset, lane
*/
typedef struct rd_insn {
  size_t offset;       /* of the opcode byte */
  uint8_t op;          /* OP_*, or OP_PREFIX_FC / OP_PREFIX_FD */
  uint32_t fc;         /* OPFC_* or OPFD_*: the u32 after the prefix */
  uint8_t lane;        /* the lane index of LANE and MEMARG_LANE */
  enum op_imm imm;
  enum op_sig sig;
  uint8_t width;       /* bytes accessed by loads and stores */
  const char *text;
  rd_blockkind block;
  uint32_t x, y;
  uint64_t bits;
  uint32_t nvec;
  const uint8_t *vec;
} rd_insn;

/* What opcodes.h says of one opcode; text is NULL where none is
** assigned. Indexed by the byte, or by the u32 after a prefix. */
typedef struct rd_opdesc {
  const char *text;
  uint8_t imm;         /* enum op_imm */
  uint8_t sig;         /* enum op_sig */
  uint8_t width;
} rd_opdesc;

enum { RD_FC_CODES = OPFC_COUNT, RD_FD_CODES = 256 };
extern const rd_opdesc rd_ops[256];
extern const rd_opdesc rd_fc_ops[RD_FC_CODES];
extern const rd_opdesc rd_fd_ops[RD_FD_CODES];

/* Fill the table-driven part of 'in' from d; false if d is unassigned. */
RD_HOT bool rd_describe(const rd_opdesc *d, rd_insn *in) {
  in->text = d->text;
  in->imm = (enum op_imm)d->imm;
  in->sig = (enum op_sig)d->sig;
  in->width = d->width;
  return d->text != NULL;
}

static inline const rd_opdesc *rd_prefixed(uint8_t prefix, uint32_t code) {
  static const rd_opdesc none;
  if (prefix == OP_PREFIX_FC)
    return code < RD_FC_CODES ? &rd_fc_ops[code] : &none;
  return code < RD_FD_CODES ? &rd_fd_ops[code] : &none;
}

static inline bool rd_blocktype(reader *r, rd_insn *in) {
  if (r->pos < r->end && *r->pos == 0x40) {
    r->pos++;
    in->block = RD_BLOCK_EMPTY;
    return true;
  }
  if (r->pos < r->end && (*r->pos & 0xc0) == 0x40) {
    uint8_t t;
    in->block = RD_BLOCK_VALTYPE;
    if (!rd_valtype(r, &t))
      return false;
    in->x = t;
    return true;
  }
  int64_t idx;
  size_t at = rd_offset(r);
  if (!rd_sleb(r, 33, &idx))
    return false;
  if (idx < 0)
    return rd_fail_at(r, at, "malformed block type");
  in->block = RD_BLOCK_TYPEIDX;
  in->x = (uint32_t)idx;
  return true;
}

static inline bool rd_br_table(reader *r, rd_insn *in) {
  if (!rd_u32(r, &in->nvec))
    return false;
  in->vec = r->pos;
  uint32_t label;
  for (uint32_t i = 0; i < in->nvec; i++)
    if (!rd_u32(r, &label))
      return false;
  return rd_u32(r, &in->x);
}

static inline bool rd_select_types(reader *r, rd_insn *in) {
  if (!rd_u32(r, &in->nvec))
    return false;
  in->vec = r->pos;
  uint8_t t;
  for (uint32_t i = 0; i < in->nvec; i++)
    if (!rd_valtype(r, &t))
      return false;
  return true;
}

RD_HOT bool rd_memarg(reader *r, rd_insn *in) {
  return rd_u32(r, &in->x) && rd_u32(r, &in->y);
}

static inline bool rd_const(reader *r, rd_insn *in) {
  int64_t v;
  switch (in->imm) {
  case IMM_I32:
    if (!rd_sleb(r, 32, &v))
      return false;
    in->bits = (uint64_t)v;
    return true;
  case IMM_I64:
    if (!rd_sleb(r, 64, &v))
      return false;
    in->bits = (uint64_t)v;
    return true;
  case IMM_F32:
    return rd_fixed(r, 4, &in->bits);
  default:
    return rd_fixed(r, 8, &in->bits);
  }
}

static inline bool rd_refimm(reader *r, rd_insn *in) {
  uint8_t t;
  if (!rd_reftype(r, &t))
    return false;
  in->x = t;
  return true;
}

RD_HOT bool rd_immediates(reader *r, rd_insn *in) {
  switch (in->imm) {
  case IMM_NONE: return true;
  case IMM_BLOCKTYPE: return rd_blocktype(r, in);
  case IMM_BR_TABLE: return rd_br_table(r, in);
  case IMM_SELECT_T: return rd_select_types(r, in);
  case IMM_MEMARG: return rd_memarg(r, in);
  case IMM_MEMIDX: return rd_zero(r);
  case IMM_I32: case IMM_I64: case IMM_F32: case IMM_F64:
    return rd_const(r, in);
  case IMM_REFTYPE: return rd_refimm(r, in);
  case IMM_V128: case IMM_SHUFFLE: return rd_bytes(r, 16, &in->vec);
  case IMM_LANE: return rd_u8(r, &in->lane);
  case IMM_MEMARG_LANE: return rd_memarg(r, in) && rd_u8(r, &in->lane);
  case IMM_MEMORY_INIT: return rd_u32(r, &in->x) && rd_zero(r);
  case IMM_MEMORY_COPY: return rd_zero(r) && rd_zero(r);
  case IMM_CALL_INDIRECT: case IMM_TABLE_INIT: case IMM_TABLE_COPY:
    return rd_u32(r, &in->x) && rd_u32(r, &in->y);
  default: /* one index */
    return rd_u32(r, &in->x);
  }
}

/* Read one instruction with its immediates. Every unassigned opcode,
** prefixed or not, is "illegal opcode". */
RD_HOT bool rd_insn_next(reader *r, rd_insn *in) {
  in->offset = rd_offset(r);
  in->x = in->y = in->nvec = 0;
  in->bits = 0;
  in->vec = NULL;
  in->block = RD_BLOCK_EMPTY;
  in->fc = 0;
  in->lane = 0;
  if (!rd_u8(r, &in->op))
    return false;
  if (in->op == OP_PREFIX_FC || in->op == OP_PREFIX_FD) {
    if (!rd_u32(r, &in->fc))
      return false;
    if (!rd_describe(rd_prefixed(in->op, in->fc), in))
      return rd_fail_at(r, in->offset, "illegal opcode");
  } else if (!rd_describe(&rd_ops[in->op], in)) {
    return rd_fail_at(r, in->offset, "illegal opcode");
  }
  return rd_immediates(r, in);
}

#endif
