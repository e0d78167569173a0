/*
** validate.c: the validation chapter of the spec, over a decoded module.
**
** Function bodies are checked in one pass with the algorithm of the spec's
** appendix: a stack of operand types (ANY standing for the unknown type of
** unreachable code) and a stack of control frames, both on the heap, so
** nesting costs memory in proportion to the body and never C stack. Plain
** instructions are checked by one generic path driven by the 'sig' column
** of opcodes.h; only those marked SPECIAL have rules of their own.
**
** Work per instruction is bounded by the arity limit on function types, so
** validation is linear in the size of the module.
*/
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "module.h"
#include "reader.h"

/* Implementation limits: parameters or results of one function type
** (INTERP_MAX_PARAMS, INTERP_MAX_RESULTS, as the major engines), and
** operand stack height within one function. */
_Static_assert(INTERP_MAX_PARAMS == INTERP_MAX_RESULTS, "one arity limit");
#define MAX_ARITY INTERP_MAX_PARAMS
#define MAX_STACK_HEIGHT (1u << 20)

#define MAX_MEMORY_PAGES 65536u

/* The unknown operand type of unreachable code. */
#define ANY 0

typedef struct vtypes {
  const uint8_t *t;
  uint32_t n;
} vtypes;

typedef struct frame {
  uint8_t op;          /* OP_BLOCK (also the function), OP_LOOP, OP_IF, OP_ELSE */
  bool unreachable;
  uint32_t height;     /* operand stack height at entry, params excluded */
  vtypes params, results;
} frame;

typedef struct vctx {
  const interp_module *m;
  interp_error *err;
  reader r;
  size_t at;           /* offset of what is being checked, for messages */
  const mod_func *f;
  const mod_functype *type;
  uint8_t *vals;
  uint32_t nvals, vals_cap;
  frame *ctrl;
  uint32_t nctrl, ctrl_cap;
} vctx;

static bool invalid(vctx *v, const char *fmt, ...) IP_PRINTF(2, 3);

static bool invalid(vctx *v, const char *fmt, ...) {
  char msg[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  ip_fail(v->err, INTERP_INVALID, "%s at offset 0x%zx", msg, v->at);
  v->err->offset = v->at;
  return false;
}

static bool nomem(vctx *v) {
  ialloc_fail(v->m->alloc, v->err, "while validating the module");
  return false;
}

/* ANY on the operand side means the stack had nothing to give. */
static const char *type_name(uint8_t t) {
  return t == ANY ? "nothing" : interp_valtype_name((interp_valtype)t);
}

static bool mismatch(vctx *v, uint8_t want, uint8_t got) {
  return invalid(v, "type mismatch: expected %s, found %s",
                 want == ANY ? "a value" : type_name(want), type_name(got));
}

/* A one-element type sequence for t, in static storage. */
static vtypes one_type(uint8_t t) {
  static const uint8_t all[] = {INTERP_I32,  INTERP_I64,     INTERP_F32,
                                INTERP_F64,  INTERP_V128,    INTERP_FUNCREF,
                                INTERP_EXTERNREF};
  for (size_t i = 0; i < sizeof all; i++)
    if (all[i] == t)
      return (vtypes){&all[i], 1};
  return (vtypes){NULL, 0};
}

static vtypes params_of(const mod_functype *ft) {
  return (vtypes){ft->types, ft->nparams};
}

/* 'types' is NULL for [] -> []. */
static vtypes results_of(const mod_functype *ft) {
  return (vtypes){ft->types ? ft->types + ft->nparams : NULL, ft->nresults};
}

/* ---- index spaces ---- */

static uint32_t data_segments(const interp_module *m) {
  return m->has_datacount ? m->datacount : m->ndatas;
}

static bool need_type(vctx *v, uint32_t x) {
  return x < v->m->ntypes || invalid(v, "unknown type %u", x);
}

static bool need_func(vctx *v, uint32_t x) {
  return x < v->m->nfuncs || invalid(v, "unknown function %u", x);
}

static bool need_table(vctx *v, uint32_t x) {
  return x < v->m->ntables || invalid(v, "unknown table %u", x);
}

static bool need_memory(vctx *v, uint32_t x) {
  return x < v->m->nmemories || invalid(v, "unknown memory %u", x);
}

static bool need_global(vctx *v, uint32_t x) {
  return x < v->m->nglobals || invalid(v, "unknown global %u", x);
}

static bool need_elem(vctx *v, uint32_t x) {
  return x < v->m->nelems || invalid(v, "unknown elem segment %u", x);
}

/* Without a data count section, a data index in a body is malformed when
** there is a data section (the decoder's MOD_SCAN says so) and unknown
** when there is none. */
static bool need_data(vctx *v, uint32_t x) {
  if (!v->m->has_datacount && v->m->ndatas > 0)
    return rd_fail_at(&v->r, v->at, "data count section required");
  return x < data_segments(v->m) || invalid(v, "unknown data segment %u", x);
}

static const mod_functype *func_type(const interp_module *m, uint32_t f) {
  return &m->types[m->func_types[f]];
}

/* ---- operand stack ---- */

static bool push_grown(vctx *v, uint8_t t) {
  if (v->vals_cap >= MAX_STACK_HEIGHT)
    return invalid(v, "operand stack deeper than %u (implementation limit)",
                   MAX_STACK_HEIGHT);
  uint32_t cap = v->vals_cap ? v->vals_cap * 2 : 256;
  uint8_t *p = ialloc_grow(v->m->alloc, v->vals, v->vals_cap, cap, 1);
  if (p == NULL)
    return nomem(v);
  v->vals = p;
  v->vals_cap = cap;
  v->vals[v->nvals++] = t;
  return true;
}

RD_HOT bool push(vctx *v, uint8_t t) {
  if (v->nvals == v->vals_cap)
    return push_grown(v, t);
  v->vals[v->nvals++] = t;
  return true;
}

static bool push_types(vctx *v, vtypes ts) {
  for (uint32_t i = 0; i < ts.n; i++)
    if (!push(v, ts.t[i]))
      return false;
  return true;
}

/* Pop an operand of type 'want' (ANY: any type); *got is what was there. */
RD_HOT bool pop_as(vctx *v, uint8_t want, uint8_t *got) {
  const frame *top = &v->ctrl[v->nctrl - 1];
  if (v->nvals == top->height) {
    *got = ANY;
    return top->unreachable || mismatch(v, want, ANY);
  }
  *got = v->vals[--v->nvals];
  return *got == want || *got == ANY || want == ANY ||
         mismatch(v, want, *got);
}

RD_HOT bool pop(vctx *v, uint8_t want) {
  uint8_t got;
  return pop_as(v, want, &got);
}

static bool pop_types(vctx *v, vtypes ts) {
  for (uint32_t i = ts.n; i-- > 0;)
    if (!pop(v, ts.t[i]))
      return false;
  return true;
}

/* Check that the operands on top match ts without consuming them (what
** popping and pushing back the same operands would prove). */
static bool peek_types(vctx *v, vtypes ts) {
  const frame *top = &v->ctrl[v->nctrl - 1];
  uint32_t avail = v->nvals - top->height;
  for (uint32_t k = 0; k < ts.n; k++) {
    uint8_t want = ts.t[ts.n - 1 - k];
    if (k >= avail) {
      if (!top->unreachable)
        return mismatch(v, want, ANY);
      continue;
    }
    uint8_t got = v->vals[v->nvals - 1 - k];
    if (got != want && got != ANY)
      return mismatch(v, want, got);
  }
  return true;
}

/* ---- control stack ---- */

static bool push_frame(vctx *v, uint8_t op, vtypes params, vtypes results) {
  if (v->nctrl == v->ctrl_cap) {
    uint32_t cap = v->ctrl_cap ? v->ctrl_cap * 2 : 32;
    frame *p = ialloc_grow(v->m->alloc, v->ctrl, v->ctrl_cap, cap, sizeof *p);
    if (p == NULL)
      return nomem(v);
    v->ctrl = p;
    v->ctrl_cap = cap;
  }
  v->ctrl[v->nctrl++] = (frame){.op = op, .height = v->nvals,
                                .params = params, .results = results};
  return push_types(v, params);
}

/* End the innermost frame's instruction sequence: exactly its results must
** be left on the stack. */
static bool close_frame(vctx *v) {
  frame *top = &v->ctrl[v->nctrl - 1];
  if (!pop_types(v, top->results))
    return false;
  if (v->nvals != top->height)
    return invalid(v, "type mismatch: %u extra values at end of block",
                   v->nvals - top->height);
  return true;
}

static void set_unreachable(vctx *v) {
  frame *top = &v->ctrl[v->nctrl - 1];
  v->nvals = top->height;
  top->unreachable = true;
}

static bool need_label(vctx *v, uint32_t l, vtypes *types) {
  if (l >= v->nctrl)
    return invalid(v, "unknown label %u", l);
  const frame *fr = &v->ctrl[v->nctrl - 1 - l];
  *types = fr->op == OP_LOOP ? fr->params : fr->results;
  return true;
}

static bool same_types(vtypes a, vtypes b) {
  return a.n == b.n && (a.n == 0 || memcmp(a.t, b.t, a.n) == 0);
}

/* ---- control instructions ---- */

static bool block_types(vctx *v, const rd_insn *in, vtypes *params,
                        vtypes *results) {
  *params = (vtypes){NULL, 0};
  *results = (vtypes){NULL, 0};
  if (in->block == RD_BLOCK_VALTYPE)
    *results = one_type((uint8_t)in->x);
  if (in->block != RD_BLOCK_TYPEIDX)
    return true;
  if (!need_type(v, in->x))
    return false;
  *params = params_of(&v->m->types[in->x]);
  *results = results_of(&v->m->types[in->x]);
  return true;
}

static bool check_block(vctx *v, const rd_insn *in) {
  vtypes params, results;
  if (in->op == OP_IF && !pop(v, INTERP_I32))
    return false;
  return block_types(v, in, &params, &results) && pop_types(v, params) &&
         push_frame(v, in->op, params, results);
}

static bool check_else(vctx *v) {
  frame *top = &v->ctrl[v->nctrl - 1];
  if (top->op != OP_IF)
    return invalid(v, "else without if");
  if (!close_frame(v))
    return false;
  top->op = OP_ELSE;
  top->unreachable = false;
  return push_types(v, top->params);
}

static bool check_end(vctx *v) {
  frame top = v->ctrl[v->nctrl - 1];
  if (!close_frame(v))
    return false;
  /* An 'if' without 'else' has an empty else branch, which passes its
  ** parameters through as its results. */
  if (top.op == OP_IF && !same_types(top.params, top.results))
    return invalid(v, "type mismatch: if without else must leave its "
                      "parameters as its results");
  v->nctrl--;
  return push_types(v, top.results);
}

static bool check_br_if(vctx *v, uint32_t l) {
  vtypes ts = {NULL, 0};
  return pop(v, INTERP_I32) && need_label(v, l, &ts) && pop_types(v, ts) &&
         push_types(v, ts);
}

static bool check_br_table(vctx *v, const rd_insn *in) {
  vtypes def = {NULL, 0}, ts = {NULL, 0};
  reader r = v->r;
  uint32_t l = 0;
  if (!pop(v, INTERP_I32) || !need_label(v, in->x, &def))
    return false;
  r.pos = in->vec;
  for (uint32_t i = 0; i < in->nvec; i++) {
    rd_u32(&r, &l);
    if (!need_label(v, l, &ts))
      return false;
    if (ts.n != def.n)
      return invalid(v, "type mismatch: br_table targets of arities %u and %u",
                     ts.n, def.n);
    if (!peek_types(v, ts))
      return false;
  }
  if (!pop_types(v, def))
    return false;
  set_unreachable(v);
  return true;
}

static bool check_call(vctx *v, const mod_functype *ft) {
  return pop_types(v, params_of(ft)) && push_types(v, results_of(ft));
}

static bool check_call_indirect(vctx *v, const rd_insn *in) {
  if (!need_table(v, in->y) || !need_type(v, in->x))
    return false;
  if (v->m->tables[in->y].elem != INTERP_FUNCREF)
    return mismatch(v, INTERP_FUNCREF, v->m->tables[in->y].elem);
  return pop(v, INTERP_I32) && check_call(v, &v->m->types[in->x]);
}

static bool check_control(vctx *v, const rd_insn *in) {
  vtypes ts = {NULL, 0};
  switch (in->op) {
  case OP_UNREACHABLE:
    set_unreachable(v);
    return true;
  case OP_NOP:
    return true;
  case OP_BLOCK: case OP_LOOP: case OP_IF:
    return check_block(v, in);
  case OP_ELSE:
    return check_else(v);
  case OP_END:
    return check_end(v);
  case OP_BR:
    if (!need_label(v, in->x, &ts) || !pop_types(v, ts))
      return false;
    set_unreachable(v);
    return true;
  case OP_BR_IF:
    return check_br_if(v, in->x);
  case OP_BR_TABLE:
    return check_br_table(v, in);
  case OP_RETURN:
    if (!pop_types(v, results_of(v->type)))
      return false;
    set_unreachable(v);
    return true;
  case OP_CALL:
    return need_func(v, in->x) && check_call(v, func_type(v->m, in->x));
  default:
    return check_call_indirect(v, in);
  }
}

/* ---- parametric, variable, reference and table instructions ---- */

/* What select without a type accepts: numbers and vectors. */
static bool is_num(uint8_t t) {
  return t == ANY || rd_is_numtype(t) || rd_is_vectype(t);
}

static bool check_select(vctx *v) {
  uint8_t t1, t2;
  if (!pop(v, INTERP_I32) || !pop_as(v, ANY, &t1) || !pop_as(v, ANY, &t2))
    return false;
  if (!is_num(t1) || !is_num(t2))
    return invalid(v, "type mismatch: select without a type needs numbers");
  if (t1 != t2 && t1 != ANY && t2 != ANY)
    return mismatch(v, t1, t2);
  return push(v, t1 == ANY ? t2 : t1);
}

static bool check_select_t(vctx *v, const rd_insn *in) {
  if (in->nvec != 1)
    return invalid(v, "invalid result arity %u for select", in->nvec);
  uint8_t t = in->vec[0];
  return pop(v, INTERP_I32) && pop(v, t) && pop(v, t) && push(v, t);
}

static bool local_type(vctx *v, uint32_t x, uint8_t *t) {
  uint32_t np = v->type->nparams;
  if (x < np)
    *t = v->type->types[x];
  else if (x - np < v->f->nlocals)
    *t = v->f->local_types[x - np];
  else {
    *t = ANY;
    return invalid(v, "unknown local %u", x);
  }
  return true;
}

static bool check_variable(vctx *v, const rd_insn *in) {
  uint8_t t;
  switch (in->op) {
  case OP_LOCAL_GET:
    return local_type(v, in->x, &t) && push(v, t);
  case OP_LOCAL_SET:
    return local_type(v, in->x, &t) && pop(v, t);
  case OP_LOCAL_TEE:
    return local_type(v, in->x, &t) && pop(v, t) && push(v, t);
  case OP_GLOBAL_GET:
    return need_global(v, in->x) && push(v, v->m->global_types[in->x].type);
  default:
    if (!need_global(v, in->x))
      return false;
    if (!v->m->global_types[in->x].mutable_)
      return invalid(v, "global is immutable: global %u", in->x);
    return pop(v, v->m->global_types[in->x].type);
  }
}

static bool declared(const interp_module *m, uint32_t f) {
  return m->declared_funcs[f / 8] & (1u << (f % 8));
}

static bool check_reference(vctx *v, const rd_insn *in) {
  uint8_t t;
  switch (in->op) {
  case OP_REF_NULL:
    return push(v, (uint8_t)in->x);
  case OP_REF_IS_NULL:
    if (!pop_as(v, ANY, &t))
      return false;
    if (t != ANY && !rd_is_reftype(t))
      return invalid(v, "type mismatch: ref.is_null needs a reference, "
                        "found %s", type_name(t));
    return push(v, INTERP_I32);
  default:
    if (!need_func(v, in->x))
      return false;
    if (!declared(v->m, in->x))
      return invalid(v, "undeclared function reference %u", in->x);
    return push(v, INTERP_FUNCREF);
  }
}

static uint8_t elem_type(const interp_module *m, uint32_t table) {
  return m->tables[table].elem;
}

static bool check_table_op(vctx *v, const rd_insn *in) {
  uint32_t x = in->op == OP_PREFIX_FC && in->fc == OPFC_TABLE_INIT ? in->y
                                                                   : in->x;
  if (!need_table(v, x))
    return false;
  uint8_t t = elem_type(v->m, x);
  switch (in->op == OP_PREFIX_FC ? in->fc : in->op) {
  case OP_TABLE_GET:
    return pop(v, INTERP_I32) && push(v, t);
  case OP_TABLE_SET:
    return pop(v, t) && pop(v, INTERP_I32);
  case OPFC_TABLE_GROW:
    return pop(v, INTERP_I32) && pop(v, t) && push(v, INTERP_I32);
  default: /* OPFC_TABLE_FILL */
    return pop(v, INTERP_I32) && pop(v, t) && pop(v, INTERP_I32);
  }
}

static bool check_table_init(vctx *v, const rd_insn *in) {
  if (!need_table(v, in->y) || !need_elem(v, in->x))
    return false;
  if (v->m->elems[in->x].type != elem_type(v->m, in->y))
    return mismatch(v, elem_type(v->m, in->y), v->m->elems[in->x].type);
  return pop(v, INTERP_I32) && pop(v, INTERP_I32) && pop(v, INTERP_I32);
}

static bool check_table_copy(vctx *v, const rd_insn *in) {
  if (!need_table(v, in->x) || !need_table(v, in->y))
    return false;
  if (elem_type(v->m, in->x) != elem_type(v->m, in->y))
    return mismatch(v, elem_type(v->m, in->x), elem_type(v->m, in->y));
  return pop(v, INTERP_I32) && pop(v, INTERP_I32) && pop(v, INTERP_I32);
}

static bool check_special(vctx *v, const rd_insn *in) {
  if (in->op == OP_PREFIX_FC) {
    if (in->fc == OPFC_TABLE_INIT)
      return check_table_init(v, in);
    if (in->fc == OPFC_TABLE_COPY)
      return check_table_copy(v, in);
    return check_table_op(v, in);
  }
  switch (in->op) {
  case OP_DROP:
    return pop(v, ANY);
  case OP_SELECT:
    return check_select(v);
  case OP_SELECT_T:
    return check_select_t(v, in);
  case OP_LOCAL_GET: case OP_LOCAL_SET: case OP_LOCAL_TEE:
  case OP_GLOBAL_GET: case OP_GLOBAL_SET:
    return check_variable(v, in);
  case OP_TABLE_GET: case OP_TABLE_SET:
    return check_table_op(v, in);
  case OP_REF_NULL: case OP_REF_IS_NULL: case OP_REF_FUNC:
    return check_reference(v, in);
  default:
    return check_control(v, in);
  }
}

/* ---- plain instructions ---- */

static const char *const sig_params[] = {
#define X(name, params, results) params,
    OP_SIG_LIST(X)
#undef X
};

static const char *const sig_results[] = {
#define X(name, params, results) results,
    OP_SIG_LIST(X)
#undef X
};

static const uint8_t sig_nparams[] = {
#define X(name, params, results) sizeof params - 1,
    OP_SIG_LIST(X)
#undef X
};

static const uint8_t sig_nresults[] = {
#define X(name, params, results) sizeof results - 1,
    OP_SIG_LIST(X)
#undef X
};

/* The letters of a sig, as types. */
static const uint8_t sig_letter_type[128] = {
    ['i'] = INTERP_I32, ['l'] = INTERP_I64, ['f'] = INTERP_F32,
    ['d'] = INTERP_F64, ['V'] = INTERP_V128};

static uint8_t sig_type(char c) { return sig_letter_type[c & 0x7f]; }

static bool apply_sig(vctx *v, enum op_sig sig) {
  const char *params = sig_params[sig], *results = sig_results[sig];
  for (size_t i = sig_nparams[sig]; i-- > 0;)
    if (!pop(v, sig_type(params[i])))
      return false;
  for (size_t i = 0; i < sig_nresults[sig]; i++)
    if (!push(v, sig_type(results[i])))
      return false;
  return true;
}

static bool check_memarg(vctx *v, const rd_insn *in) {
  if (!need_memory(v, 0))
    return false;
  if (in->x >= 32 || (1u << in->x) > in->width)
    return invalid(v, "alignment must not be larger than natural (2^%u > %u "
                      "for %s)", in->x, in->width, in->text);
  return true;
}

/* A lane index must name one of the 16 / width lanes of its shape. */
static bool check_lane(vctx *v, const rd_insn *in) {
  return in->lane < 16 / in->width ||
         invalid(v, "invalid lane index %u for %s", in->lane, in->text);
}

/* i8x16.shuffle picks each result byte from the 32 bytes of its operands. */
static bool check_shuffle(vctx *v, const rd_insn *in) {
  for (int i = 0; i < 16; i++)
    if (in->vec[i] >= 32)
      return invalid(v, "invalid lane index %u for %s", in->vec[i], in->text);
  return true;
}

/* The index rules of plain instructions; their operands follow the sig. */
static bool check_plain_indices(vctx *v, const rd_insn *in) {
  switch (in->imm) {
  case IMM_MEMARG:
    return check_memarg(v, in);
  case IMM_MEMARG_LANE:
    return check_memarg(v, in) && check_lane(v, in);
  case IMM_LANE:
    return check_lane(v, in);
  case IMM_SHUFFLE:
    return check_shuffle(v, in);
  case IMM_MEMIDX: case IMM_MEMORY_COPY:
    return need_memory(v, 0);
  case IMM_MEMORY_INIT:
    return need_memory(v, 0) && need_data(v, in->x);
  case IMM_DATA:
    return need_data(v, in->x);
  case IMM_TABLE:
    return need_table(v, in->x);
  case IMM_ELEM:
    return need_elem(v, in->x);
  default:
    return true;
  }
}

static bool check_insn(vctx *v, const rd_insn *in) {
  if (in->sig == SIG_SPECIAL)
    return check_special(v, in);
  return check_plain_indices(v, in) && apply_sig(v, in->sig);
}

/* ---- function bodies ---- */

static bool check_body(vctx *v, const mod_func *f) {
  rd_insn in;
  v->f = f;
  v->type = &v->m->types[f->type];
  v->nvals = v->nctrl = 0;
  rd_seek(&v->r, f->code_offset);
  v->r.end = v->r.base + f->code_offset + f->code_len;
  if (!push_frame(v, OP_BLOCK, (vtypes){NULL, 0}, results_of(v->type)))
    return false;
  while (v->nctrl > 0) {
    v->at = rd_offset(&v->r);
    if (!rd_insn_next(&v->r, &in))
      return false;
    if (!check_insn(v, &in))
      return false;
  }
  /* A skimmed body (mod_decode) may hold more after its final 'end'. */
  if (!rd_at_end(&v->r))
    return rd_fail_at(&v->r, f->code_offset, "section size mismatch");
  v->r.end = v->r.base + v->m->len;
  return true;
}

static bool check_bodies(vctx *v) {
  const interp_module *m = v->m;
  for (uint32_t i = 0; i < m->nfuncs - m->nimported_funcs; i++)
    if (!check_body(v, &m->funcs[i]))
      return false;
  return true;
}

/* ---- constant expressions ---- */

static bool is_const_op(const rd_insn *in) {
  uint8_t op = in->op;
  return op == OP_I32_CONST || op == OP_I64_CONST || op == OP_F32_CONST ||
         op == OP_F64_CONST || op == OP_REF_NULL || op == OP_REF_FUNC ||
         op == OP_GLOBAL_GET ||
         (op == OP_PREFIX_FD && in->fc == OPFD_V128_CONST);
}

/* In constant expressions only imported globals are visible (Wasm 2.0),
** and only immutable ones are constant. */
static bool const_global(vctx *v, uint32_t x) {
  if (x >= v->m->nimported_globals)
    return invalid(v, "unknown global %u", x);
  if (v->m->global_types[x].mutable_)
    return invalid(v, "constant expression required: global %u is mutable",
                   x);
  return true;
}

/* First pass, as the spec: every instruction must be constant. */
static bool check_constness(vctx *v, size_t at) {
  rd_insn in;
  rd_seek(&v->r, at);
  for (;;) {
    v->at = rd_offset(&v->r);
    if (!rd_insn_next(&v->r, &in))
      return false;
    if (in.op == OP_END)
      return true;
    if (!is_const_op(&in))
      return invalid(v, "constant expression required, found %s", in.text);
    if (in.op == OP_GLOBAL_GET && !const_global(v, in.x))
      return false;
  }
}

/* Second pass: the expression must leave exactly one value of type t. */
static bool check_const_type(vctx *v, size_t at, uint8_t t) {
  rd_insn in;
  uint32_t n = 0;
  uint8_t got = ANY;
  rd_seek(&v->r, at);
  for (;;) {
    v->at = rd_offset(&v->r);
    if (!rd_insn_next(&v->r, &in))
      return false;
    if (in.op == OP_END)
      break;
    if (in.op == OP_REF_FUNC && !need_func(v, in.x))
      return false;
    n++;
    got = in.op == OP_GLOBAL_GET ? v->m->global_types[in.x].type
          : in.op == OP_REF_NULL ? (uint8_t)in.x
          : in.op == OP_REF_FUNC ? INTERP_FUNCREF
                                 : sig_type(sig_results[in.sig][0]);
  }
  if (n != 1)
    return invalid(v, "type mismatch: constant expression leaves %u values",
                   n);
  return got == t || mismatch(v, t, got);
}

static bool check_const(vctx *v, const mod_constexpr *c, uint8_t t) {
  if (c->expr == 0) {
    v->at = 0;
    return need_func(v, (uint32_t)c->value) &&
           (t == INTERP_FUNCREF || mismatch(v, t, INTERP_FUNCREF));
  }
  return check_constness(v, c->expr) && check_const_type(v, c->expr, t);
}

/* ---- module ---- */

static bool check_types(vctx *v) {
  for (uint32_t i = 0; i < v->m->ntypes; i++)
    if (v->m->types[i].nparams > MAX_ARITY ||
        v->m->types[i].nresults > MAX_ARITY)
      return invalid(v, "type %u has more than %u parameters or results "
                        "(implementation limit)", i, MAX_ARITY);
  return true;
}

static bool check_limits(vctx *v, const mod_limits *l, uint64_t range,
                         const char *msg) {
  if (l->min > range || (l->has_max && l->max > range))
    return invalid(v, "%s", msg);
  if (l->has_max && l->min > l->max)
    return invalid(v, "size minimum must not be greater than maximum");
  return true;
}

static bool check_memtype(vctx *v, const mod_limits *l) {
  return check_limits(v, l, MAX_MEMORY_PAGES,
                      "memory size must be at most 65536 pages (4GiB)");
}

static bool check_tabletype(vctx *v, const mod_tabletype *t) {
  return check_limits(v, &t->limits, UINT32_MAX,
                      "table size must be at most 2^32-1");
}

static bool check_imports(vctx *v) {
  for (uint32_t i = 0; i < v->m->nimports; i++) {
    const mod_import *imp = &v->m->imports[i];
    bool ok = imp->kind == INTERP_EXTERN_FUNC ? need_type(v, imp->of.func)
            : imp->kind == INTERP_EXTERN_TABLE ? check_tabletype(v, &imp->of.table)
            : imp->kind == INTERP_EXTERN_MEMORY ? check_memtype(v, &imp->of.memory)
            : true;
    if (!ok)
      return false;
  }
  return true;
}

static bool check_func_types(vctx *v) {
  for (uint32_t i = v->m->nimported_funcs; i < v->m->nfuncs; i++)
    if (!need_type(v, v->m->func_types[i]))
      return false;
  return true;
}

static bool check_globals(vctx *v) {
  const interp_module *m = v->m;
  for (uint32_t i = 0; i < m->nglobals - m->nimported_globals; i++)
    if (!check_const(v, &m->globals[i].init, m->globals[i].type.type))
      return false;
  return true;
}

static bool check_tables_memories(vctx *v) {
  const interp_module *m = v->m;
  for (uint32_t i = m->nimported_tables; i < m->ntables; i++)
    if (!check_tabletype(v, &m->tables[i]))
      return false;
  for (uint32_t i = m->nimported_memories; i < m->nmemories; i++)
    if (!check_memtype(v, &m->memories[i]))
      return false;
  return true;
}

static bool check_elem(vctx *v, const mod_elem *e) {
  if (e->mode == MOD_SEG_ACTIVE) {
    if (!need_table(v, e->table))
      return false;
    if (elem_type(v->m, e->table) != e->type)
      return mismatch(v, elem_type(v->m, e->table), e->type);
    if (!check_const(v, &e->offset, INTERP_I32))
      return false;
  }
  for (uint32_t i = 0; i < e->count; i++)
    if (!check_const(v, &e->items[i], e->type))
      return false;
  return true;
}

static bool check_segments(vctx *v) {
  const interp_module *m = v->m;
  for (uint32_t i = 0; i < m->nelems; i++)
    if (!check_elem(v, &m->elems[i]))
      return false;
  for (uint32_t i = 0; i < m->ndatas; i++) {
    const mod_data *d = &m->datas[i];
    if (d->mode == MOD_SEG_ACTIVE &&
        (!need_memory(v, d->memory) ||
         !check_const(v, &d->offset, INTERP_I32)))
      return false;
  }
  return true;
}

static bool check_start(vctx *v) {
  const interp_module *m = v->m;
  if (!m->has_start)
    return true;
  v->at = 0;
  if (!need_func(v, m->start))
    return false;
  const mod_functype *ft = func_type(m, m->start);
  if (ft->nparams != 0 || ft->nresults != 0)
    return invalid(v, "start function must take and return nothing");
  return true;
}

static bool check_export_index(vctx *v, const mod_export *e) {
  switch (e->kind) {
  case INTERP_EXTERN_FUNC: return need_func(v, e->index);
  case INTERP_EXTERN_TABLE: return need_table(v, e->index);
  case INTERP_EXTERN_MEMORY: return need_memory(v, e->index);
  default: return need_global(v, e->index);
  }
}

static uint64_t name_hash(const mod_name *n) {
  uint64_t h = 0xcbf29ce484222325u;
  for (uint32_t i = 0; i < n->len; i++)
    h = (h ^ (uint8_t)n->bytes[i]) * 0x100000001b3u;
  return h;
}

static bool same_name(const mod_name *a, const mod_name *b) {
  return a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
}

/* Insert export i into an open-addressing set of export numbers + 1. */
static bool insert_export(vctx *v, uint32_t *slots, size_t mask, uint32_t i) {
  const mod_export *e = &v->m->exports[i];
  for (size_t s = name_hash(&e->name) & mask;; s = (s + 1) & mask) {
    if (slots[s] == 0) {
      slots[s] = i + 1;
      return true;
    }
    if (same_name(&v->m->exports[slots[s] - 1].name, &e->name))
      return invalid(v, "duplicate export name \"%.*s\"",
                     (int)(e->name.len > 64 ? 64 : e->name.len),
                     e->name.bytes);
  }
}

static bool check_export_names(vctx *v) {
  const interp_module *m = v->m;
  size_t nslots = 16;
  while (nslots < (size_t)m->nexports * 2)
    nslots *= 2;
  uint32_t *slots = ialloc_array(m->alloc, nslots, sizeof *slots);
  if (slots == NULL)
    return nomem(v);
  bool ok = true;
  for (uint32_t i = 0; ok && i < m->nexports; i++)
    ok = insert_export(v, slots, nslots - 1, i);
  ialloc_free_array(m->alloc, slots, nslots, sizeof *slots);
  return ok;
}

static bool check_exports(vctx *v) {
  v->at = 0;
  for (uint32_t i = 0; i < v->m->nexports; i++)
    if (!check_export_index(v, &v->m->exports[i]))
      return false;
  return v->m->nexports == 0 || check_export_names(v);
}

static bool check_module(vctx *v) {
  if (!check_types(v) || !check_imports(v) || !check_func_types(v) ||
      !check_globals(v) || !check_tables_memories(v) || !check_segments(v) ||
      !check_bodies(v) || !check_start(v) || !check_exports(v))
    return false;
  v->at = 0;
  if (v->m->nmemories > 1)
    return invalid(v, "multiple memories");
  return true;
}

interp_status mod_validate(const interp_module *m, interp_error *err) {
  interp_error local;
  vctx v = {.m = m, .err = err ? err : &local};
  ip_clear(v.err);
  rd_init(&v.r, m->bytes, m->len, v.err);
  bool ok = check_module(&v);
  ialloc_free(m->alloc, v.vals, v.vals_cap);
  ialloc_free_array(m->alloc, v.ctrl, v.ctrl_cap, sizeof *v.ctrl);
  return ok ? INTERP_OK : v.err->status;
}
