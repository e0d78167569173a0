/*
** compile.c: validated function bodies -> internal code (code.h).
**
** One pass over the body with a compile-time model of the operand stack.
** Each stack entry records WHERE its value is:
**
**   TEMP   in its home slot, fp[L+K+depth]
**   LOCAL  in a local's slot (pushed by local.get: no code emitted)
**   FIXED  in a constant or if-parameter save slot (pushed by t.const)
**
** Consumers read operands from wherever they are, and write results to the
** home of the new top, so 'local.get a; local.get b; i32.add' is one
** instruction. The rules that keep this sound:
**   - before writing local x, entries still reading x are copied home;
**   - at block/loop/if entry, LOCAL entries are copied home, so code inside
**     (which may run many times, or not at all) never changes where an
**     outer entry lives;
**   - at a branch or block end the values a label carries are moved to the
**     label's homes; return moves them to fp[0..n).
** 'local.set' after an instruction that wrote the top temp retargets that
** instruction's destination to the local instead of emitting a MOV.
**
** Peephole fusions look at the instruction just emitted (last_op) and,
** when it produced the value being consumed, take it back out of the code
** and emit one combined instruction: a comparison into br_if/if
** (BR_I32_*), into select (SEL_I32_*), an i32.add into the address of a
** load or store (_RR/_RI). Nothing may fuse across a label: every place
** that makes the next instruction a branch target clears last_op.
**
** Fuel: each branch, call and return carries the count of Wasm
** instructions since the previous one (block_cost).
**
** The number K of fixed slots is only known at the end, and temps live
** above them, so a body with constants is compiled twice: the first pass
** counts them (K is deterministic), the second uses the right K.
*/
#include <stdio.h>
#include <string.h>

#include "code.h"
#include "reader.h"

enum { K_TEMP, K_LOCAL, K_FIXED };

typedef struct ent {
  uint32_t slot;        /* where the value is now */
  uint32_t home;        /* its home: the slots of the entries below it,
                           plus L + K */
  uint8_t kind;
  uint8_t w;            /* slots it takes: 2 for v128, else 1 */
} ent;

enum { CT_BLOCK, CT_LOOP, CT_IF, CT_FUNC };

typedef struct ctl {
  uint8_t kind;
  bool has_else;
  bool unreachable;
  uint32_t nparams, nresults;
  const uint8_t *rtypes;/* result types (NULL: one, 'rtype') */
  uint8_t rtype;
  uint32_t height;      /* stack depth below the block's parameters */
  uint32_t loop_pc;     /* LOOP: code index of the loop head */
  uint32_t fixups;      /* forward branches to patch: index+1, 0 = none */
  uint32_t else_fixup;  /* IF: the BR_UNLESS offset word, index+1 */
  uint32_t saved;       /* IF: index of its parameters in cc.saved */
} ctl;

typedef struct cc {
  const interp_module *m;
  ialloc *a;
  uint32_t *code;
  uint32_t ncode, capcode;
  ent *stk;
  uint32_t nstk, capstk, maxstk;
  ctl *ctls;
  uint32_t nctl, capctl;
  ent *saved;
  uint32_t nsaved, capsaved;
  uint64_t *fixed;      /* values of the fixed slots */
  uint8_t *is_save;     /* per fixed slot: an if-parameter save slot */
  uint32_t nfixed, capfixed, capsave;
  const uint8_t *code_end;
  uint32_t *ops;        /* code index of every opcode word */
  uint32_t nops, capops;
  uint32_t L, K;        /* local slots; fixed slots assumed by this pass */
  const uint32_t *lslot;/* per local index: its first slot */
  const uint8_t *lw;    /* per local index: its slots */
  uint32_t icount;      /* instructions so far (fuel accounting) */
  uint32_t bb_start;    /* icount at the last block-ending instruction */
  uint32_t skip;        /* nesting inside unreachable code */
  int64_t last_op;      /* code index of the last value instruction, or -1 */
  bool oom;
} cc;

/* ---- growable arrays ---- */

static bool reserve(cc *c, void **p, uint32_t *cap, uint32_t need,
                    size_t size) {
  if (need <= *cap)
    return true;
  if (c->oom)
    return false;
  uint32_t ncap = *cap ? *cap : 16;
  while (ncap < need) {
    if (ncap > UINT32_MAX / 2) {
      c->oom = true;
      return false;
    }
    ncap *= 2;
  }
  void *q = ialloc_grow(c->a, *p, *cap, ncap, size);
  if (q == NULL) {
    c->oom = true;
    return false;
  }
  *p = q;
  *cap = ncap;
  return true;
}

static void emit(cc *c, uint32_t w) {
  if (!reserve(c, (void **)&c->code, &c->capcode, c->ncode + 1, sizeof w))
    return;
  c->code[c->ncode++] = w;
}

/* Emit an opcode word, remembering where it is: finish() rewrites each
** into the executor's threaded form (exec.c, code_thread_table). */
static void emit_op(cc *c, uint32_t op) {
  if (!reserve(c, (void **)&c->ops, &c->capops, c->nops + 1, sizeof op))
    return;
  c->ops[c->nops++] = c->ncode;
  emit(c, op);
}

/* The home of an entry at 'depth', from the entries below it (which a
** block never changes, so this also gives a label's homes). */
static uint32_t home(const cc *c, uint32_t depth) {
  if (depth == 0 || c->oom)
    return c->L + c->K;
  return c->stk[depth - 1].home + c->stk[depth - 1].w;
}

/* ---- the operand stack model ---- */

static void push(cc *c, uint32_t slot, uint8_t kind, uint8_t w) {
  if (!reserve(c, (void **)&c->stk, &c->capstk, c->nstk + 1, sizeof(ent)))
    return;
  ent *e = &c->stk[c->nstk];
  e->home = home(c, c->nstk);
  e->slot = slot;
  e->kind = kind;
  e->w = w;
  c->nstk++;
  if (e->home + w - (c->L + c->K) > c->maxstk)
    c->maxstk = e->home + w - (c->L + c->K);
}

static uint32_t push_temp(cc *c, uint8_t w) {
  uint32_t s = home(c, c->nstk);
  push(c, s, K_TEMP, w);
  return s;
}

static ent pop(cc *c) {
  ent e = {0, 0, K_TEMP, 1};
  if (c->nstk > 0 && !c->oom)
    e = c->stk[--c->nstk];
  return e;
}

static void mov(cc *c, uint32_t dst, uint32_t src, uint8_t w) {
  if (dst == src)
    return;
  emit_op(c, w == 2 ? C_MOV_V128 : C_MOV);
  emit(c, dst);
  emit(c, src);
  c->last_op = -1;
}

/* Copy entry i to its home. */
static void materialize(cc *c, uint32_t i) {
  if (c->oom || c->stk[i].kind == K_TEMP)
    return;
  mov(c, c->stk[i].home, c->stk[i].slot, c->stk[i].w);
  c->stk[i].slot = c->stk[i].home;
  c->stk[i].kind = K_TEMP;
}

static void materialize_locals(cc *c, uint32_t from) {
  for (uint32_t i = from; i < c->nstk && !c->oom; i++)
    if (c->stk[i].kind == K_LOCAL)
      materialize(c, i);
}

static void materialize_top(cc *c, uint32_t n) {
  for (uint32_t i = c->nstk - n; i < c->nstk && !c->oom; i++)
    materialize(c, i);
}

/* A fixed slot holding 'bits'; constants are shared within a body. Two
** calls in a row give consecutive slots unless the first was shared. */
static uint32_t fixed_slot(cc *c, uint64_t bits, bool share) {
  uint32_t lo = c->nfixed > 64 ? c->nfixed - 64 : 0;
  for (uint32_t i = lo; share && i < c->nfixed; i++)
    if (c->fixed[i] == bits && !c->is_save[i])
      return c->L + i;
  if (!reserve(c, (void **)&c->fixed, &c->capfixed, c->nfixed + 1,
               sizeof(uint64_t)) ||
      !reserve(c, (void **)&c->is_save, &c->capsave, c->nfixed + 1, 1))
    return 0;
  c->fixed[c->nfixed] = share ? bits : 0;
  c->is_save[c->nfixed] = !share;
  return c->L + c->nfixed++;
}

/* Two consecutive fixed slots holding a v128, shared like the others. */
static uint32_t fixed_v128(cc *c, uint64_t lo, uint64_t hi) {
  uint32_t from = c->nfixed > 64 ? c->nfixed - 64 : 0;
  for (uint32_t i = from; i + 1 < c->nfixed; i++)
    if (c->fixed[i] == lo && c->fixed[i + 1] == hi && !c->is_save[i] &&
        !c->is_save[i + 1])
      return c->L + i;
  uint32_t s = fixed_slot(c, lo, false);
  fixed_slot(c, hi, false);
  if (!c->oom) {
    c->fixed[s - c->L] = lo;
    c->fixed[s - c->L + 1] = hi;
    c->is_save[s - c->L] = c->is_save[s - c->L + 1] = 0;
  }
  return s;
}

/* ---- branches ---- */

/* Patch the offset words on list 'head' to jump to 'target'. */
static void resolve(cc *c, uint32_t head, uint32_t target) {
  while (head != 0 && !c->oom) {
    uint32_t pos = head - 1;
    head = c->code[pos];
    c->code[pos] = (uint32_t)((int32_t)target - (int32_t)pos);
  }
}

static void emit_fixup(cc *c, uint32_t *list) {
  uint32_t pos = c->ncode;
  emit(c, *list);
  if (!c->oom)
    *list = pos + 1;
}

/* Fuel: the Wasm instructions since the previous branch, call or return
** (a basic block, give or take the labels it falls through). Every
** instruction that ends a block charges this when it runs, taken or not,
** so each loop iteration and each call costs at least 1. */
static uint32_t block_cost(cc *c) {
  uint32_t n = c->icount - c->bb_start;
  c->bb_start = c->icount;
  return n ? n : 1;
}

/* A branch target word: forward onto 'list', or back to code index 'back'
** when list is NULL. */
static void emit_target(cc *c, uint32_t *list, uint32_t back) {
  if (list)
    emit_fixup(c, list);
  else
    emit(c, (uint32_t)((int32_t)back - (int32_t)c->ncode));
}

static uint32_t label_arity(const ctl *t) {
  return t->kind == CT_LOOP ? t->nparams : t->nresults;
}

/* Would a branch to t move any value? The label's homes start where an
** entry at its height would live, and follow the carried values' widths. */
static bool needs_moves(const cc *c, const ctl *t) {
  uint32_t n = label_arity(t), dst = home(c, t->height);
  for (uint32_t i = 0; i < n; i++) {
    const ent *e = &c->stk[c->nstk - n + i];
    if (e->slot != dst)
      return true;
    dst += e->w;
  }
  return false;
}

/* Move the top n entries to the homes of entries from depth 'base' on.
** Ascending order is safe: a temp source is never below its destination
** (and a v128 move reads both slots before writing), and other sources
** are locals or fixed slots, outside the temp area. */
static void emit_moves(cc *c, uint32_t base, uint32_t n) {
  uint32_t dst = home(c, base);
  for (uint32_t i = 0; i < n && !c->oom; i++) {
    const ent *e = &c->stk[c->nstk - n + i];
    mov(c, dst, e->slot, e->w);
    dst += e->w;
  }
}

/* The values of a return into fp[0..), then RETURN. */
static void emit_return(cc *c, uint32_t n, uint32_t cost) {
  if (n == 1 && c->stk[c->nstk - 1].w == 1) {
    emit_op(c, C_RETURN1);
    emit(c, c->stk[c->nstk - 1].slot);
    emit(c, cost);
    c->last_op = -1;
    return;
  }
  /* Copy down in ascending order: safe for temps (never below their
  ** destination) and for sources at or above n. A local or fixed source
  ** inside fp[0..n) could be overwritten first: those go home first. This
  ** must not change the stack model: br_if and br_table emit returns on
  ** one path only. */
  uint32_t first = c->nstk - n, nslots = 0;
  bool hazard = false;
  for (uint32_t i = 0; i < n; i++)
    nslots += c->stk[first + i].w;
  for (uint32_t i = 0; i < n; i++)
    if (c->stk[first + i].kind != K_TEMP && c->stk[first + i].slot < nslots)
      hazard = true;
  for (uint32_t i = 0; hazard && i < n && !c->oom; i++)
    if (c->stk[first + i].kind != K_TEMP)
      mov(c, c->stk[first + i].home, c->stk[first + i].slot,
          c->stk[first + i].w);
  for (uint32_t i = 0, dst = 0; i < n && !c->oom; i++) {
    const ent *e = &c->stk[first + i];
    mov(c, dst, hazard ? e->home : e->slot, e->w);
    dst += e->w;
  }
  emit_op(c, C_RETURN);
  emit(c, cost);
  c->last_op = -1;
}

/* Unconditional branch to label depth 'l', values in place or moved. */
static void emit_br(cc *c, uint32_t l, uint32_t cost) {
  ctl *t = &c->ctls[c->nctl - 1 - l];
  if (t->kind == CT_FUNC) {
    emit_return(c, t->nresults, cost);
    return;
  }
  emit_moves(c, t->height, label_arity(t));
  c->last_op = -1;
  emit_op(c, C_BR);
  emit_target(c, t->kind == CT_LOOP ? NULL : &t->fixups, t->loop_pc);
  emit(c, cost);
}

/* ---- fused compare-and-branch ---- */

static int fused_branch(uint32_t op, bool negate) {
  static const struct { uint32_t op; int br, neg; } tab[] = {
      {C_I32_EQ, C_BR_I32_EQ, C_BR_I32_NE},
      {C_I32_NE, C_BR_I32_NE, C_BR_I32_EQ},
      {C_I32_LT_S, C_BR_I32_LT_S, C_BR_I32_GE_S},
      {C_I32_LT_U, C_BR_I32_LT_U, C_BR_I32_GE_U},
      {C_I32_GT_S, C_BR_I32_GT_S, C_BR_I32_LE_S},
      {C_I32_GT_U, C_BR_I32_GT_U, C_BR_I32_LE_U},
      {C_I32_LE_S, C_BR_I32_LE_S, C_BR_I32_GT_S},
      {C_I32_LE_U, C_BR_I32_LE_U, C_BR_I32_GT_U},
      {C_I32_GE_S, C_BR_I32_GE_S, C_BR_I32_LT_S},
      {C_I32_GE_U, C_BR_I32_GE_U, C_BR_I32_LT_U},
      {C_I32_EQZ, C_BR_I32_EQZ, C_BR_I32_NEZ},
      {C_I64_EQ, C_BR_I64_EQ, C_BR_I64_NE},
      {C_I64_NE, C_BR_I64_NE, C_BR_I64_EQ},
      {C_I64_LT_S, C_BR_I64_LT_S, C_BR_I64_GE_S},
      {C_I64_LT_U, C_BR_I64_LT_U, C_BR_I64_GE_U},
      {C_I64_GT_S, C_BR_I64_GT_S, C_BR_I64_LE_S},
      {C_I64_GT_U, C_BR_I64_GT_U, C_BR_I64_LE_U},
      {C_I64_LE_S, C_BR_I64_LE_S, C_BR_I64_GT_S},
      {C_I64_LE_U, C_BR_I64_LE_U, C_BR_I64_GT_U},
      {C_I64_GE_S, C_BR_I64_GE_S, C_BR_I64_LT_S},
      {C_I64_GE_U, C_BR_I64_GE_U, C_BR_I64_LT_U},
      {C_I64_EQZ, C_BR_I64_EQZ, C_BR_I64_NEZ},
  };
  for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
    if (tab[i].op == op)
      return negate ? tab[i].neg : tab[i].br;
  return -1;
}

/* The one-operand forms (eqz and its negation). */
static bool is_test(int fused) {
  return fused == C_BR_I32_EQZ || fused == C_BR_I32_NEZ ||
         fused == C_BR_I64_EQZ || fused == C_BR_I64_NEZ;
}

/* A pending conditional: either a plain slot, or a comparison taken back
** out of the code so that it can be fused with the branch. */
typedef struct cond {
  int fused;            /* -1: plain, else the C_BR_I32_* of the test */
  uint32_t a, b;        /* operands (b unused for eqz) */
  uint32_t slot;        /* plain: the i32 condition */
} cond;

static cond take_cond(cc *c, bool negate) {
  ent e = pop(c);
  cond k = {-1, 0, 0, e.slot};
  if (c->oom || c->last_op < 0 || e.kind != K_TEMP)
    return k;
  uint32_t at = (uint32_t)c->last_op;
  int f = fused_branch(c->code[at], negate);
  if (f < 0 || c->code[at + 1] != e.slot)
    return k;
  k.fused = f;
  k.a = c->code[at + 2];
  k.b = is_test(f) ? 0 : c->code[at + 3];
  c->ncode = at; /* the comparison becomes part of the branch */
  if (c->nops > 0 && c->ops[c->nops - 1] == at)
    c->nops--;
  c->last_op = -1;
  return k;
}

/* Emit "branch if k holds" ('unless': if it does not; k must have been
** taken with negate == unless), target as in emit_target. */
static void emit_cond_to(cc *c, const cond *k, bool unless, uint32_t *list,
                         uint32_t back, uint32_t cost) {
  if (k->fused >= 0) {
    emit_op(c, (uint32_t)k->fused);
    emit(c, k->a);
    if (!is_test(k->fused))
      emit(c, k->b);
  } else {
    emit_op(c, unless ? C_BR_UNLESS : C_BR_IF);
    emit(c, k->slot);
  }
  emit_target(c, list, back);
  emit(c, cost);
  c->last_op = -1;
}

/* ---- control instructions ---- */

/* A block's type: its arities, and its result types for their widths. */
typedef struct btype {
  uint32_t np, nr;
  const uint8_t *rtypes; /* NULL: the one result is 'rtype' */
  uint8_t rtype;
} btype;

static ctl *push_ctl(cc *c, uint8_t kind, const btype *b) {
  if (!reserve(c, (void **)&c->ctls, &c->capctl, c->nctl + 1, sizeof(ctl)))
    return NULL;
  ctl *t = &c->ctls[c->nctl++];
  memset(t, 0, sizeof *t);
  t->kind = kind;
  t->nparams = b->np;
  t->nresults = b->nr;
  t->rtypes = b->rtypes;
  t->rtype = b->rtype;
  t->height = c->nstk - b->np;
  return t;
}

static uint8_t result_width(const ctl *t, uint32_t i) {
  return mod_slots(t->rtypes ? t->rtypes[i] : t->rtype);
}

static btype block_type(const cc *c, const rd_insn *in) {
  btype b = {0, 0, NULL, 0};
  if (in->block == RD_BLOCK_VALTYPE) {
    b.nr = 1;
    b.rtype = (uint8_t)in->x;
  } else if (in->block == RD_BLOCK_TYPEIDX && in->x < c->m->ntypes) {
    const mod_functype *ft = &c->m->types[in->x];
    b.np = ft->nparams;
    b.nr = ft->nresults;
    b.rtypes = ft->types ? ft->types + ft->nparams : NULL;
  }
  return b;
}

static void op_block(cc *c, const rd_insn *in, uint8_t kind) {
  btype b = block_type(c, in);
  materialize_locals(c, 0);
  if (kind == CT_LOOP)
    materialize_top(c, b.np); /* the back-edge delivers them at home */
  c->last_op = -1;
  ctl *t = push_ctl(c, kind, &b);
  if (t && kind == CT_LOOP) {
    t->loop_pc = c->ncode;
  }
}

static void op_if(cc *c, const rd_insn *in) {
  btype b = block_type(c, in);
  uint32_t np = b.np;
  cond k = take_cond(c, true);
  materialize_locals(c, 0);
  /* The else arm needs the parameters too, but the then arm may overwrite
  ** their homes: keep them in save slots (constants stay where they are). */
  uint32_t saved = c->nsaved;
  if (np > 0 &&
      reserve(c, (void **)&c->saved, &c->capsaved, c->nsaved + np,
              sizeof(ent))) {
    for (uint32_t i = c->nstk - np; i < c->nstk; i++) {
      ent *e = &c->stk[i];
      if (e->kind != K_FIXED) {
        uint32_t s = fixed_slot(c, 0, false);
        if (e->w == 2)
          fixed_slot(c, 0, false);
        mov(c, s, e->slot, e->w);
        e->slot = s;
        e->kind = K_FIXED;
      }
      c->saved[c->nsaved++] = *e;
    }
  }
  ctl *t = push_ctl(c, CT_IF, &b);
  if (t == NULL)
    return;
  t->saved = saved;
  emit_cond_to(c, &k, true, &t->else_fixup, 0, block_cost(c));
}

static void reset_stack(cc *c, const ctl *t) {
  c->nstk = t->height;
}

static void op_else(cc *c) {
  ctl *t = &c->ctls[c->nctl - 1];
  if (!t->unreachable) {
    emit_moves(c, t->height, t->nresults);
    emit_op(c, C_BR);
    emit_fixup(c, &t->fixups);
    emit(c, block_cost(c));
  }
  resolve(c, t->else_fixup, c->ncode);
  t->else_fixup = 0;
  t->has_else = true;
  t->unreachable = false;
  c->last_op = -1;
  reset_stack(c, t);
  for (uint32_t i = 0; i < t->nparams && !c->oom; i++)
    push(c, c->saved[t->saved + i].slot, c->saved[t->saved + i].kind,
         c->saved[t->saved + i].w);
}

static void op_end(cc *c) {
  ctl *t = &c->ctls[c->nctl - 1];
  if (t->kind == CT_IF && !t->has_else && t->nresults > 0)
    op_else(c), t = &c->ctls[c->nctl - 1];
  if (t->kind == CT_FUNC) {
    if (!t->unreachable)
      emit_return(c, t->nresults, block_cost(c));
    c->nctl--;
    return;
  }
  if (!t->unreachable)
    emit_moves(c, t->height, t->nresults);
  resolve(c, t->fixups, c->ncode);
  resolve(c, t->else_fixup, c->ncode);
  if (t->kind == CT_IF)
    c->nsaved = t->saved;
  reset_stack(c, t);
  c->nctl--; /* t stays readable: nothing is pushed on ctls below */
  for (uint32_t i = 0; i < t->nresults; i++)
    push_temp(c, result_width(t, i));
  c->last_op = -1;
}

static void set_unreachable(cc *c) {
  ctl *t = &c->ctls[c->nctl - 1];
  t->unreachable = true;
  reset_stack(c, t);
  c->last_op = -1;
}

static void op_br_if(cc *c, uint32_t l) {
  ctl *t = &c->ctls[c->nctl - 1 - l];
  c->nstk--; /* look past the condition */
  bool direct = t->kind != CT_FUNC && !needs_moves(c, t);
  c->nstk++;
  if (direct) {
    cond k = take_cond(c, false);
    emit_cond_to(c, &k, false, t->kind == CT_LOOP ? NULL : &t->fixups,
                 t->loop_pc, block_cost(c));
    return;
  }
  /* Branch around the moves and an unconditional branch (which charges
  ** nothing: the skip branch already did, on both paths). */
  cond k = take_cond(c, true);
  uint32_t skip = 0;
  emit_cond_to(c, &k, true, &skip, 0, block_cost(c));
  emit_br(c, l, 0);
  resolve(c, skip, c->ncode);
  c->last_op = -1;
}

static void op_br_table(cc *c, const rd_insn *in) {
  ent idx = pop(c);
  uint32_t n = in->nvec;
  emit_op(c, C_BR_TABLE);
  emit(c, idx.slot);
  emit(c, n);
  emit(c, block_cost(c));
  uint32_t table = c->ncode;
  reader r;
  rd_init(&r, in->vec, (size_t)(c->code_end - in->vec), NULL);
  /* First the table, with direct targets where no move is needed. */
  for (uint32_t i = 0; i <= n && !c->oom; i++) {
    uint32_t l = in->x;
    if (i < n)
      rd_u32(&r, &l);
    ctl *t = &c->ctls[c->nctl - 1 - l];
    if (t->kind == CT_LOOP && !needs_moves(c, t))
      emit_target(c, NULL, t->loop_pc);
    else if (t->kind != CT_FUNC && !needs_moves(c, t))
      emit_fixup(c, &t->fixups);
    else
      emit(c, UINT32_MAX); /* stub below */
  }
  /* Then one stub per entry that moves values or returns. */
  rd_init(&r, in->vec, (size_t)(c->code_end - in->vec), NULL);
  for (uint32_t i = 0; i <= n && !c->oom; i++) {
    uint32_t l = in->x;
    if (i < n)
      rd_u32(&r, &l);
    if (c->code[table + i] != UINT32_MAX)
      continue;
    c->code[table + i] = c->ncode - (table + i);
    emit_br(c, l, 0);
  }
  set_unreachable(c);
}

/* ---- variables ---- */

static bool stack_reads_local(const cc *c, uint32_t x) {
  for (uint32_t i = 0; i < c->nstk; i++)
    if (c->stk[i].kind == K_LOCAL && c->stk[i].slot == x)
      return true;
  return false;
}

/* 'x' below is local idx's slot. */
static void op_local_set(cc *c, uint32_t idx, bool tee) {
  uint32_t x = c->lslot[idx];
  ent e = pop(c);
  if (!(e.kind == K_LOCAL && e.slot == x)) {
    bool refs = stack_reads_local(c, x);
    if (!refs && e.kind == K_TEMP && c->last_op >= 0 &&
        c->code[c->last_op + 1] == e.slot) {
      c->code[c->last_op + 1] = x; /* retarget the producer */
    } else {
      for (uint32_t i = 0; i < c->nstk && !c->oom; i++)
        if (c->stk[i].kind == K_LOCAL && c->stk[i].slot == x)
          materialize(c, i);
      mov(c, x, e.slot, c->lw[idx]);
    }
  }
  c->last_op = -1;
  if (tee)
    push(c, x, K_LOCAL, c->lw[idx]);
}

/* ---- plain instructions ---- */

/* The immediate form of an i32 or i64 binary op, C_COUNT if none; 'swap' says
** whether the op commutes (so a constant left operand may move right). */
static uint32_t imm_form(uint32_t op, bool *commutes) {
  static const struct { uint32_t op, imm; bool comm; } tab[] = {
      {C_I32_ADD, C_I32_ADD_I, true},    {C_I32_SUB, C_I32_SUB_I, false},
      {C_I32_MUL, C_I32_MUL_I, true},    {C_I32_AND, C_I32_AND_I, true},
      {C_I32_OR, C_I32_OR_I, true},      {C_I32_XOR, C_I32_XOR_I, true},
      {C_I32_SHL, C_I32_SHL_I, false},   {C_I32_SHR_S, C_I32_SHR_S_I, false},
      {C_I32_SHR_U, C_I32_SHR_U_I, false},
      {C_I64_ADD, C_I64_ADD_I, true},    {C_I64_SUB, C_I64_SUB_I, false},
      {C_I64_MUL, C_I64_MUL_I, true},    {C_I64_AND, C_I64_AND_I, true},
      {C_I64_OR, C_I64_OR_I, true},      {C_I64_XOR, C_I64_XOR_I, true},
      {C_I64_SHL, C_I64_SHL_I, false},   {C_I64_SHR_S, C_I64_SHR_S_I, false},
      {C_I64_SHR_U, C_I64_SHR_U_I, false},
  };
  for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
    if (tab[i].op == op) {
      *commutes = tab[i].comm;
      return tab[i].imm;
    }
  return C_COUNT;
}

/* A constant, as opposed to a FIXED if-parameter save slot, whose value
** is only known at run time. */
static bool is_const(const cc *c, const ent *e) {
  return e->kind == K_FIXED && !c->is_save[e->slot - c->L];
}

/* 'x op const' with the constant as an immediate: one load fewer. */
static bool value_op_imm(cc *c, uint32_t op, const ent args[2]) {
  bool commutes = false;
  uint32_t imm = imm_form(op, &commutes);
  int k = is_const(c, &args[1]) ? 1
          : (commutes && is_const(c, &args[0])) ? 0 : -1;
  if (imm == C_COUNT || k < 0 || c->oom)
    return false;
  uint32_t at = c->ncode;
  uint32_t d = push_temp(c, 1);
  emit_op(c, imm);
  emit(c, d);
  emit(c, args[1 - k].slot);
  uint64_t v = c->fixed[args[k].slot - c->L];
  emit(c, (uint32_t)v);
  if (imm >= C_I64_ADD_I) /* i64 forms: the high half follows */
    emit(c, (uint32_t)(v >> 32));
  c->last_op = c->oom ? -1 : (int64_t)at;
  return true;
}

/* [op dst args... extra...]: pops nargs, pushes a result of w slots. */
static void value_op_w(cc *c, uint32_t op, uint32_t nargs, uint8_t w,
                       const uint32_t *extra, uint32_t nextra) {
  ent args[3];
  for (uint32_t i = nargs; i-- > 0;)
    args[i] = pop(c);
  if (nargs == 2 && nextra == 0 && w == 1 && value_op_imm(c, op, args))
    return;
  uint32_t at = c->ncode;
  uint32_t d = push_temp(c, w);
  emit_op(c, op);
  emit(c, d);
  for (uint32_t i = 0; i < nargs; i++)
    emit(c, args[i].slot);
  for (uint32_t i = 0; i < nextra; i++)
    emit(c, extra[i]);
  c->last_op = c->oom ? -1 : (int64_t)at;
}

static void value_op(cc *c, uint32_t op, uint32_t nargs, uint32_t extra,
                     bool has_extra) {
  value_op_w(c, op, nargs, 1, &extra, has_extra ? 1 : 0);
}

/* An instruction with no result: pops nargs, emits op, pre, args, post. */
static void effect_op_x(cc *c, uint32_t op, uint32_t nargs, int npre,
                        uint32_t pre1, uint32_t pre2, const uint32_t *post,
                        uint32_t npost) {
  ent args[3];
  for (uint32_t i = nargs; i-- > 0;)
    args[i] = pop(c);
  emit_op(c, op);
  if (npre > 0)
    emit(c, pre1);
  if (npre > 1)
    emit(c, pre2);
  for (uint32_t i = 0; i < nargs; i++)
    emit(c, args[i].slot);
  for (uint32_t i = 0; i < npost; i++)
    emit(c, post[i]);
  c->last_op = -1;
}

static void effect_op(cc *c, uint32_t op, uint32_t nargs, int npre,
                      uint32_t pre1, uint32_t pre2, bool has_post,
                      uint32_t post) {
  effect_op_x(c, op, nargs, npre, pre1, pre2, &post, has_post ? 1 : 0);
}

static uint32_t sig_params(enum op_sig s) {
  static const char *const p[] = {
#define X(name, params, results) params,
      OP_SIG_LIST(X)
#undef X
  };
  return (uint32_t)strlen(p[s]);
}

static bool sig_has_result(enum op_sig s) {
  static const char *const r[] = {
#define X(name, params, results) results,
      OP_SIG_LIST(X)
#undef X
  };
  return r[s][0] != '\0';
}

/* Slots of the result of a plain instruction of sig s. */
static uint8_t sig_result_width(enum op_sig s) {
  static const char *const r[] = {
#define X(name, params, results) results,
      OP_SIG_LIST(X)
#undef X
  };
  return r[s][0] == 'V' ? 2 : 1;
}

/* Internal opcode of a plain Wasm instruction. */
static uint32_t plain_code(const rd_insn *in) {
  if (in->op == OP_PREFIX_FC) {
    switch (in->fc) {
#define CODE_EACH(name) return C_##name;
#define X(name, code, text, imm, sig, width)                                   \
  case code:                                                                   \
    CODE_SIG_##sig(name) break;
      FC_LIST(X)
    default:
      break;
    }
    return C_COUNT;
  }
  if (in->op == OP_PREFIX_FD) {
    switch (in->fc) {
      FD_LIST(X)
    default:
      break;
    }
    return C_COUNT;
  }
  switch (in->op) {
    OPCODE_LIST(X)
#undef X
#undef CODE_EACH
  default:
    break;
  }
  return C_COUNT;
}

/* The _RR form of a load or store (code.h, CODE_MEM_X); _RI is next. */
static uint32_t rr_code(uint8_t op) {
  switch (op) {
#define CODE_EACH(name) return C_##name; /* the first, _RR, returns */
#define X(name, code, text, imm, sig, width)                                   \
  case code:                                                                   \
    CODE_MEM_##imm(name) break;
    OPCODE_LIST(X)
#undef X
#undef CODE_EACH
  default:
    break;
  }
  return C_COUNT;
}

/* A load or store whose address was computed by the instruction just
** emitted, an 'i32.add' of two slots or of a slot and a constant: take the
** add back out and emit the access with both addends. */
static bool mem_op_rr(cc *c, const rd_insn *in, bool load) {
  uint32_t depth = load ? 1 : 2;
  if (c->oom || c->last_op < 0 || c->nstk < depth)
    return false;
  ent addr = c->stk[c->nstk - depth];
  uint32_t at = (uint32_t)c->last_op;
  uint32_t add = c->code[at];
  if (addr.kind != K_TEMP || (add != C_I32_ADD && add != C_I32_ADD_I) ||
      c->code[at + 1] != addr.slot)
    return false;
  uint32_t a = c->code[at + 2], b = c->code[at + 3];
  c->ncode = at;
  if (c->nops > 0 && c->ops[c->nops - 1] == at)
    c->nops--;
  ent v = pop(c);
  if (!load)
    pop(c);
  uint32_t d = load ? push_temp(c, 1) : 0;
  emit_op(c, rr_code(in->op) + (add == C_I32_ADD_I));
  if (load)
    emit(c, d);
  emit(c, a);
  emit(c, b);
  if (!load)
    emit(c, v.slot);
  emit(c, in->y);
  c->last_op = load && !c->oom ? (int64_t)at : -1;
  return true;
}

/* The SIMD immediates: v128.const becomes two fixed slots; lanes, the
** shuffle pattern (four words) and memory offsets follow the operands:
**   load [op dst addr offset]       store [op addr value offset]
**   load lane [op dst addr v offset lane]  store lane [op addr v offset lane]
**   extract [op dst v lane]         replace [op dst v x lane]
**   shuffle [op dst a b p0 p1 p2 p3]  (pattern bytes, little endian) */
static void op_simd_imm(cc *c, const rd_insn *in, uint32_t op, uint32_t np,
                        bool res) {
  uint32_t extra[4];
  switch (in->imm) {
  case IMM_V128: {
    uint64_t lo, hi;
    memcpy(&lo, in->vec, 8);
    memcpy(&hi, in->vec + 8, 8);
    push(c, fixed_v128(c, lo, hi), K_FIXED, 2);
    return;
  }
  case IMM_SHUFFLE:
    memcpy(extra, in->vec, 16);
    value_op_w(c, op, 2, 2, extra, 4);
    return;
  case IMM_LANE:
    extra[0] = in->lane;
    value_op_w(c, op, np, sig_result_width(in->sig), extra, 1);
    return;
  default: /* IMM_MEMARG, IMM_MEMARG_LANE */
    extra[0] = in->y;
    extra[1] = in->lane;
    if (res)
      value_op_w(c, op, np, 2, extra, in->imm == IMM_MEMARG_LANE ? 2 : 1);
    else
      effect_op_x(c, op, 2, 0, 0, 0, extra,
                  in->imm == IMM_MEMARG_LANE ? 2 : 1);
    return;
  }
}

static void op_plain(cc *c, const rd_insn *in) {
  uint32_t op = plain_code(in);
  uint32_t np = sig_params(in->sig);
  bool res = sig_has_result(in->sig);
  if (in->op == OP_PREFIX_FD && in->imm != IMM_NONE) {
    op_simd_imm(c, in, op, np, res);
    return;
  }
  switch (in->imm) {
  case IMM_I32: case IMM_I64: case IMM_F32: case IMM_F64: {
    uint64_t bits = in->bits;
    if (in->imm == IMM_I32)
      bits = (uint32_t)bits;
    push(c, fixed_slot(c, bits, true), K_FIXED, 1);
    return;
  }
  case IMM_MEMARG:
    if (mem_op_rr(c, in, res))
      return;
    if (res)
      value_op(c, op, 1, in->y, true);
    else
      effect_op(c, op, 2, 0, 0, 0, true, in->y);
    return;
  case IMM_TABLE: /* table.size */
    value_op(c, op, 0, in->x, true);
    return;
  case IMM_MEMORY_INIT: case IMM_DATA: case IMM_ELEM:
    effect_op(c, op, np, 1, in->x, 0, false, 0);
    return;
  default:
    if (res)
      value_op_w(c, op, np, sig_result_width(in->sig), NULL, 0);
    else
      effect_op(c, op, np, 0, 0, 0, false, 0);
    return;
  }
}

static const mod_functype *func_type(const cc *c, uint32_t fidx) {
  return &c->m->types[c->m->func_types[fidx]];
}

static void op_call(cc *c, uint32_t op, const mod_functype *ft, uint32_t a,
                    uint32_t b) {
  ent idx = {0, 0, K_TEMP, 1};
  if (op == C_CALL_INDIRECT)
    idx = pop(c);
  uint32_t np = ft->nparams;
  materialize_top(c, np);
  uint32_t base = home(c, c->nstk - np);
  emit_op(c, op);
  emit(c, a);
  if (op == C_CALL_INDIRECT) {
    emit(c, b);
    emit(c, idx.slot);
  }
  emit(c, base);
  emit(c, block_cost(c));
  c->nstk -= np;
  for (uint32_t i = 0; i < ft->nresults; i++)
    push_temp(c, mod_slots(ft->types[ft->nparams + i]));
  c->last_op = -1;
}

/* select; when the condition is an i32 comparison just emitted, the
** comparison moves into the select (SEL_I32_*), and eqz swaps the arms.
** A v128 select has one form, [SELECT_V128 dst a b cond]. */
static void op_select(cc *c) {
  static const uint32_t cmp[][2] = {
      {C_I32_EQ, C_SEL_I32_EQ},     {C_I32_NE, C_SEL_I32_NE},
      {C_I32_LT_S, C_SEL_I32_LT_S}, {C_I32_LT_U, C_SEL_I32_LT_U},
      {C_I32_GT_S, C_SEL_I32_GT_S}, {C_I32_GT_U, C_SEL_I32_GT_U},
      {C_I32_LE_S, C_SEL_I32_LE_S}, {C_I32_LE_U, C_SEL_I32_LE_U},
      {C_I32_GE_S, C_SEL_I32_GE_S}, {C_I32_GE_U, C_SEL_I32_GE_U},
  };
  ent k = pop(c), b = pop(c), a = pop(c);
  uint32_t op = C_SELECT, x = k.slot, y = 0;
  uint32_t at0 = c->last_op < 0 || c->oom ? 0 : (uint32_t)c->last_op;
  if (a.w == 2)
    op = C_SELECT_V128;
  else if (c->last_op >= 0 && !c->oom && k.kind == K_TEMP &&
           c->code[at0 + 1] == k.slot) {
    uint32_t prev = c->code[at0];
    for (size_t i = 0; i < sizeof cmp / sizeof cmp[0]; i++)
      if (cmp[i][0] == prev)
        op = cmp[i][1];
    if (op != C_SELECT || prev == C_I32_EQZ) {
      x = c->code[at0 + 2];
      y = op != C_SELECT ? c->code[at0 + 3] : 0;
      if (prev == C_I32_EQZ) { /* select(a, b, x == 0) = select(b, a, x) */
        ent t = a;
        a = b;
        b = t;
      }
      c->ncode = at0;
      if (c->nops > 0 && c->ops[c->nops - 1] == at0)
        c->nops--;
    }
  }
  uint32_t at = c->ncode, d = push_temp(c, a.w);
  emit_op(c, op);
  emit(c, d);
  emit(c, a.slot);
  emit(c, b.slot);
  emit(c, x);
  if (op != C_SELECT && op != C_SELECT_V128)
    emit(c, y);
  c->last_op = c->oom ? -1 : (int64_t)at;
}

static bool is_v128_global(const cc *c, uint32_t x) {
  return c->m->global_types[x].type == INTERP_V128;
}

static void op_global_get(cc *c, uint32_t x) {
  if (is_v128_global(c, x))
    value_op_w(c, C_GLOBAL_GET_V128, 0, 2, &x, 1);
  else
    value_op(c, C_GLOBAL_GET, 0, x, true);
}

static void op_special(cc *c, const rd_insn *in) {
  switch (in->op) {
  case OP_UNREACHABLE:
    emit_op(c, C_UNREACHABLE);
    set_unreachable(c);
    return;
  case OP_NOP:
    return;
  case OP_BLOCK: op_block(c, in, CT_BLOCK); return;
  case OP_LOOP: op_block(c, in, CT_LOOP); return;
  case OP_IF: op_if(c, in); return;
  case OP_ELSE: op_else(c); return;
  case OP_END: op_end(c); return;
  case OP_BR:
    emit_br(c, in->x, block_cost(c));
    set_unreachable(c);
    return;
  case OP_BR_IF: op_br_if(c, in->x); return;
  case OP_BR_TABLE: op_br_table(c, in); return;
  case OP_RETURN:
    emit_return(c, c->ctls[0].nresults, block_cost(c));
    set_unreachable(c);
    return;
  case OP_CALL: op_call(c, C_CALL, func_type(c, in->x), in->x, 0); return;
  case OP_CALL_INDIRECT:
    op_call(c, C_CALL_INDIRECT, &c->m->types[in->x], in->x, in->y);
    return;
  case OP_DROP: pop(c); return;
  case OP_SELECT: case OP_SELECT_T: op_select(c); return;
  case OP_LOCAL_GET: push(c, c->lslot[in->x], K_LOCAL, c->lw[in->x]); return;
  case OP_LOCAL_SET: op_local_set(c, in->x, false); return;
  case OP_LOCAL_TEE: op_local_set(c, in->x, true); return;
  case OP_GLOBAL_GET: op_global_get(c, in->x); return;
  case OP_GLOBAL_SET:
    effect_op(c, is_v128_global(c, in->x) ? C_GLOBAL_SET_V128 : C_GLOBAL_SET,
              1, 1, in->x, 0, false, 0);
    return;
  case OP_TABLE_GET: { /* [op dst table idx] */
    ent i = pop(c);
    uint32_t d = push_temp(c, 1);
    emit_op(c, C_TABLE_GET); emit(c, d); emit(c, in->x); emit(c, i.slot);
    c->last_op = -1;
    return;
  }
  case OP_TABLE_SET: effect_op(c, C_TABLE_SET, 2, 1, in->x, 0, false, 0);
    return;
  case OP_REF_NULL: push(c, fixed_slot(c, 0, true), K_FIXED, 1); return;
  case OP_REF_IS_NULL: value_op(c, C_REF_IS_NULL, 1, 0, false); return;
  case OP_REF_FUNC: value_op(c, C_REF_FUNC, 0, in->x, true); return;
  default: return;
  }
}

static void op_fc_special(cc *c, const rd_insn *in) {
  switch (in->fc) {
  case OPFC_TABLE_INIT: /* [op table seg d s n] */
    effect_op(c, C_TABLE_INIT, 3, 2, in->y, in->x, false, 0);
    return;
  case OPFC_TABLE_COPY: /* [op dtable stable d s n] */
    effect_op(c, C_TABLE_COPY, 3, 2, in->x, in->y, false, 0);
    return;
  case OPFC_TABLE_GROW: { /* [op dst table ref n] */
    ent n = pop(c), ref = pop(c);
    uint32_t d = push_temp(c, 1);
    emit_op(c, C_TABLE_GROW); emit(c, d); emit(c, in->x); emit(c, ref.slot);
    emit(c, n.slot);
    c->last_op = -1;
    return;
  }
  case OPFC_TABLE_FILL: /* [op table i ref n] */
    effect_op(c, C_TABLE_FILL, 3, 1, in->x, 0, false, 0);
    return;
  default:
    return;
  }
}

/* Skip code after an unconditional transfer, up to the matching else/end
** of the current block. Returns true if 'in' was consumed. */
static bool skip_dead(cc *c, const rd_insn *in) {
  if (!c->ctls[c->nctl - 1].unreachable)
    return false;
  if (in->op == OP_BLOCK || in->op == OP_LOOP || in->op == OP_IF) {
    c->skip++;
    return true;
  }
  if (in->op == OP_END && c->skip > 0) {
    c->skip--;
    return true;
  }
  if (in->op == OP_ELSE && c->skip > 0)
    return true;
  return in->op != OP_END && in->op != OP_ELSE;
}

static void compile_insn(cc *c, const rd_insn *in) {
  if (skip_dead(c, in))
    return;
  c->icount++;
  bool fc = in->op == OP_PREFIX_FC;
  if (in->sig != SIG_SPECIAL)
    op_plain(c, in);
  else if (fc)
    op_fc_special(c, in);
  else
    op_special(c, in);
}

/* ---- driver ---- */

static void cc_free(cc *c) {
  ialloc_free_array(c->a, c->code, c->capcode, sizeof(uint32_t));
  ialloc_free_array(c->a, c->stk, c->capstk, sizeof(ent));
  ialloc_free_array(c->a, c->ctls, c->capctl, sizeof(ctl));
  ialloc_free_array(c->a, c->saved, c->capsaved, sizeof(ent));
  ialloc_free_array(c->a, c->fixed, c->capfixed, sizeof(uint64_t));
  ialloc_free_array(c->a, c->is_save, c->capsave, 1);
  ialloc_free_array(c->a, c->ops, c->capops, sizeof(uint32_t));
}

/* One pass over body f with K fixed slots assumed. */
static void compile_pass(cc *c, const mod_func *f, const mod_functype *ft) {
  reader r;
  rd_init(&r, f->code, f->code_len, NULL);
  c->code_end = f->code + f->code_len;
  btype b = {0, ft->nresults, ft->types ? ft->types + ft->nparams : NULL, 0};
  push_ctl(c, CT_FUNC, &b);
  rd_insn in;
  while (c->nctl > 0 && !c->oom && rd_insn_next(&r, &in))
    compile_insn(c, &in);
}

static interp_status finish(cc *c, const mod_functype *ft,
                            uint32_t param_slots, compiled_func **out) {
  compiled_func *cf = ialloc_array(c->a, 1, sizeof *cf);
  if (cf == NULL)
    return INTERP_NOMEM;
  /* Sizes first: compile_free needs them on the failure path. */
  cf->ncode = c->ncode ? c->ncode : 1;
  cf->nconsts = c->nfixed;
  cf->code = ialloc_array(c->a, cf->ncode, sizeof(uint32_t));
  if (c->nfixed)
    cf->consts = ialloc_array(c->a, c->nfixed, sizeof(uint64_t));
  if (cf->code == NULL || (c->nfixed && cf->consts == NULL)) {
    compile_free(c->a, cf);
    return INTERP_NOMEM;
  }
  memcpy(cf->code, c->code, c->ncode * sizeof(uint32_t));
  const int32_t *threads = code_thread_table();
  for (uint32_t i = 0; threads && i < c->nops; i++)
    cf->code[c->ops[i]] = (uint32_t)threads[cf->code[c->ops[i]]];
  for (uint32_t i = 0; i < c->nfixed; i++)
    cf->consts[i] = c->fixed[i];
  cf->nparams = param_slots;
  cf->nlocals = c->L;
  cf->nresults = ft->nresults;
  cf->frame_size = c->L + c->K + c->maxstk + 1;
  *out = cf;
  return INTERP_OK;
}

/* Where each local lives: params then declared locals, a v128 in two
** slots. *L is the slots they take, *P those of the params. */
static bool local_layout(interp_module *m, const mod_func *f,
                         const mod_functype *ft, uint32_t **lslot,
                         uint8_t **lw, uint64_t *L, uint32_t *P) {
  uint32_t n = ft->nparams + f->nlocals;
  *lslot = NULL;
  *lw = NULL;
  *L = 0;
  *P = 0;
  if (n == 0)
    return true;
  *lslot = ialloc_array(m->alloc, n, sizeof **lslot);
  *lw = ialloc_array(m->alloc, n, 1);
  if (*lslot == NULL || *lw == NULL)
    return false;
  for (uint32_t i = 0; i < n; i++) {
    uint8_t t = i < ft->nparams ? ft->types[i]
                                : f->local_types[i - ft->nparams];
    (*lslot)[i] = (uint32_t)*L;
    (*lw)[i] = mod_slots(t);
    *L += (*lw)[i];
    if (i + 1 == ft->nparams)
      *P = (uint32_t)*L;
  }
  return true;
}

interp_status compile_func(interp_module *m, uint32_t idx,
                           interp_error *err) {
  mod_func *f = &m->funcs[idx];
  const mod_functype *ft = &m->types[f->type];
  interp_status st = INTERP_NOMEM;
  cc c;
  uint32_t *lslot, P, nlocal = ft->nparams + f->nlocals;
  uint8_t *lw;
  uint64_t L;
  memset(&c, 0, sizeof c);
  c.a = m->alloc;
  if (!local_layout(m, f, ft, &lslot, &lw, &L, &P))
    goto fail;
  if (L > UINT32_MAX / 4) {
    st = ip_fail(err, INTERP_NOMEM, "function %u has too many locals",
                 idx + m->nimported_funcs);
    goto done;
  }
  uint32_t K = 0;
  for (int pass = 0; pass < 2; pass++) {
    memset(&c, 0, sizeof c);
    c.m = m;
    c.a = m->alloc;
    c.L = (uint32_t)L;
    c.lslot = lslot;
    c.lw = lw;
    c.K = K;
    c.last_op = -1;
    compile_pass(&c, f, ft);
    if (c.oom)
      goto fail;
    if (c.nfixed == K)
      break;
    K = c.nfixed;
    cc_free(&c);
  }
  if (c.nfixed != K || (uint64_t)c.L + c.K + c.maxstk > UINT32_MAX / 4)
    goto fail;
  st = finish(&c, ft, P, &f->compiled);
  if (st != INTERP_OK)
    goto fail;
  goto done;
fail: {
  /* "out of memory compiling function N", plus the budget when it said no:
  ** at a first call this is the message the run ends with. */
  char doing[48];
  snprintf(doing, sizeof doing, "compiling function %u",
           idx + m->nimported_funcs);
  st = ialloc_fail(m->alloc, err, doing);
}
done:
  cc_free(&c);
  ialloc_free_array(m->alloc, lslot, nlocal, sizeof *lslot);
  ialloc_free(m->alloc, lw, nlocal);
  return st;
}

void compile_free(ialloc *a, compiled_func *cf) {
  if (cf == NULL)
    return;
  ialloc_free_array(a, cf->code, cf->ncode, sizeof(uint32_t));
  ialloc_free_array(a, cf->consts, cf->nconsts, sizeof(uint64_t));
  ialloc_free(a, cf, sizeof *cf);
}
