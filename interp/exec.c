/*
** exec.c: runs internal code (code.h).
**
** rt_run is the one deliberately long function: the dispatch loop. It is
** written once against DISPATCH_START / CASE / NEXT / DISPATCH_END, which
** build either as direct-threaded computed goto (GCC/clang '&&label': each
** opcode word holds its handler's offset, one indirect jump per
** instruction, each handler with its own branch-prediction history) or,
** with INTERP_SWITCH_DISPATCH, as a portable 'switch'.
**
** Wasm calls never recurse in C: a call pushes an rt_frame and jumps to
** the callee's code, a return pops it. Only host functions calling back
** into interp_call nest C frames, and that nesting is capped.
**
** Registers of the loop: ip (next instruction), fp (frame base), mbase and
** msize (memory 0 of the running instance: reloaded by RELOAD_MEM after
** anything that can grow it: memory.grow, calls, host calls), fuel.
*/
#include <string.h>

#include "code.h"
#include "numeric.h"
#include "runtime.h"

/* Host calls that call back into interp_call: more than this many levels
** would risk the native stack, so the call traps as exhausted. */
#define MAX_NESTING 32

/* ---- bulk operations shared with instantiation ---- */

interp_trap rt_table_init(interp_table *t, const rt_elem *e, uint32_t d,
                          uint32_t s, uint32_t n) {
  if ((uint64_t)s + n > e->count || (uint64_t)d + n > t->size)
    return INTERP_TRAP_TABLE_OOB;
  if (n)
    memcpy(t->elems + d, e->refs + s, (size_t)n * sizeof(void *));
  return INTERP_TRAP_NONE;
}

interp_trap rt_memory_init(interp_memory *m, const uint8_t *bytes,
                           uint32_t len, uint32_t d, uint32_t s, uint32_t n) {
  if ((uint64_t)s + n > len || (uint64_t)d + n > m->size)
    return INTERP_TRAP_MEMORY_OOB;
  if (n)
    memcpy(m->data + d, bytes + s, n);
  return INTERP_TRAP_NONE;
}

static interp_trap table_copy(interp_table *dt, interp_table *st, uint32_t d,
                              uint32_t s, uint32_t n) {
  if ((uint64_t)s + n > st->size || (uint64_t)d + n > dt->size)
    return INTERP_TRAP_TABLE_OOB;
  if (n)
    memmove(dt->elems + d, st->elems + s, (size_t)n * sizeof(void *));
  return INTERP_TRAP_NONE;
}

static interp_trap table_fill(interp_table *t, uint32_t i, void *ref,
                              uint32_t n) {
  if ((uint64_t)i + n > t->size)
    return INTERP_TRAP_TABLE_OOB;
  for (uint32_t k = 0; k < n; k++)
    t->elems[i + k] = ref;
  return INTERP_TRAP_NONE;
}

/* Fuel for bulk work beyond the instruction's own unit (interp.h,
** INTERP_FUEL_BULK_BYTES): per byte, per table slot, per page grown. A
** grow past the maximum fails without work and is charged nothing. */
#define TABLE_ELEMS_PER_FUEL (INTERP_FUEL_BULK_BYTES / 8)

static uint64_t bytes_fuel(uint32_t n) { return n / INTERP_FUEL_BULK_BYTES; }

static uint64_t elems_fuel(uint32_t n) { return n / TABLE_ELEMS_PER_FUEL; }

static uint64_t memory_grow_fuel(const interp_memory *m, uint32_t delta) {
  if ((uint64_t)m->pages + delta > m->max_pages)
    return 0;
  return (uint64_t)delta * (65536 / INTERP_FUEL_BULK_BYTES);
}

static uint64_t table_grow_fuel(const interp_table *t, uint32_t delta) {
  return (uint64_t)t->size + delta > t->max ? 0 : elems_fuel(delta);
}

/* ---- stacks ---- */

/* The capacity to try when growing a stack of 'have' items to 'failed'
** was refused. Near the budget, half of the room left: the stack closes in
** on the budget in a few reallocations, not one frame per call (which
** copies the whole stack each time). If the allocator itself said no,
** just what is due. */
static size_t fallback_cap(const ialloc *a, size_t have, size_t need,
                           size_t failed, size_t size) {
  size_t room = ialloc_room(a, size) / 2;
  size_t cap = room < failed - have ? have + room : need;
  return cap > need ? cap : need;
}

/* The stacks are page blocks (alloc.h): a run touches only the part it
** reaches. */
static void *grow_pages(interp_store *s, void *p, size_t have, size_t cap,
                        size_t size) {
  if (cap > SIZE_MAX / size)
    return NULL;
  return ialloc_pages_grow(&s->alloc, p, have * size, cap * size);
}

/* Make room for 'need' value slots; a trap kind or NONE. On NOMEM sets
** *nomem. */
static interp_trap grow_stack(interp_store *s, size_t need, bool *nomem) {
  if (need <= s->stack_cap)
    return INTERP_TRAP_NONE;
  if (need > s->cfg.max_stack_slots)
    return INTERP_TRAP_VALUE_STACK_EXHAUSTED;
  size_t cap = s->stack_cap ? s->stack_cap : 4096;
  while (cap < need)
    cap *= 2;
  if (cap > s->cfg.max_stack_slots)
    cap = s->cfg.max_stack_slots;
  uint64_t *p = grow_pages(s, s->stack, s->stack_cap, cap, sizeof(uint64_t));
  if (p == NULL && cap > need) {
    cap = fallback_cap(&s->alloc, s->stack_cap, need, cap, sizeof(uint64_t));
    p = grow_pages(s, s->stack, s->stack_cap, cap, sizeof(uint64_t));
  }
  if (p == NULL) {
    *nomem = true;
    return INTERP_TRAP_VALUE_STACK_EXHAUSTED;
  }
  s->stack = p;
  s->stack_cap = cap;
  return INTERP_TRAP_NONE;
}

static interp_trap grow_frames(interp_store *s, bool *nomem) {
  if (s->depth + 1 < s->frames_cap)
    return INTERP_TRAP_NONE;
  if (s->depth + 1 >= s->cfg.max_call_depth)
    return INTERP_TRAP_CALL_STACK_EXHAUSTED;
  size_t cap = s->frames_cap ? s->frames_cap * 2 : 256;
  if (cap > s->cfg.max_call_depth)
    cap = s->cfg.max_call_depth;
  rt_frame *p = grow_pages(s, s->frames, s->frames_cap, cap, sizeof(rt_frame));
  if (p == NULL && cap > s->depth + 2) {
    cap = fallback_cap(&s->alloc, s->frames_cap, s->depth + 2, cap,
                       sizeof(rt_frame));
    p = grow_pages(s, s->frames, s->frames_cap, cap, sizeof(rt_frame));
  }
  if (p == NULL) {
    *nomem = true;
    return INTERP_TRAP_CALL_STACK_EXHAUSTED;
  }
  s->frames = p;
  s->frames_cap = cap;
  return INTERP_TRAP_NONE;
}

/* ---- host calls ---- */

static void slot_to_value(uint64_t slot, interp_valtype t, interp_value *v) {
  v->type = t;
  switch (t) {
  case INTERP_I32: case INTERP_F32: v->of.i32 = (uint32_t)slot; break;
  case INTERP_I64: case INTERP_F64: v->of.i64 = slot; break;
  default: v->of.ref = (void *)(uintptr_t)slot; break;
  }
}

static uint64_t value_to_slot(const interp_value *v, interp_valtype t) {
  switch (t) {
  case INTERP_I32: case INTERP_F32: return v->of.i32;
  case INTERP_I64: case INTERP_F64: return v->of.i64;
  default: return (uint64_t)(uintptr_t)v->of.ref;
  }
}

/* Call host function f with arguments in args[] slots, results written
** back over them. The caller has synced s->depth and s->stack_top. */
static interp_status call_host(interp_store *s, interp_func *f,
                               interp_instance *inst, size_t base,
                               interp_error *err) {
  const rt_type *t = f->type;
  interp_value small[16], *vals = small;
  size_t n = (size_t)t->nparams + t->nresults;
  interp_status st = INTERP_NOMEM;
  if (n > 16 && (vals = ialloc_array(&s->alloc, n, sizeof *vals)) == NULL)
    return ialloc_fail(&s->alloc, err, "calling a host function");
  for (uint32_t i = 0; i < t->nparams; i++)
    slot_to_value(s->stack[base + i], t->vtypes[i], &vals[i]);
  for (uint32_t i = 0; i < t->nresults; i++)
    slot_to_value(0, t->vtypes[t->nparams + i], &vals[t->nparams + i]);
  interp_caller caller = {.store = s, .inst = inst};
  st = f->host(&caller, f->ud, vals, vals + t->nparams);
  if (st == INTERP_OK) {
    for (uint32_t i = 0; i < t->nresults; i++)
      s->stack[base + i] =
          value_to_slot(&vals[t->nparams + i], t->vtypes[t->nparams + i]);
  } else if (st == INTERP_EXIT) {
    if (err) {
      err->exit_code = caller.exit_code;
      ip_fail(err, INTERP_EXIT, "exit with code %d", (int)caller.exit_code);
    }
  } else if (st == INTERP_TRAP && caller.trap == INTERP_TRAP_OUT_OF_FUEL) {
    ip_trap(err, INTERP_TRAP_OUT_OF_FUEL);
  } else if (st == INTERP_TRAP) {
    if (err == NULL || err->status != INTERP_TRAP) {
      ip_fail(err, INTERP_TRAP, "%s",
              caller.message[0] ? caller.message
                                : interp_trap_message(INTERP_TRAP_HOST));
      if (err)
        err->trap = INTERP_TRAP_HOST;
    }
  } else if (err && err->status == INTERP_OK) {
    ip_fail(err, st, "host function failed: %s", interp_status_name(st));
  }
  if (vals != small)
    ialloc_free_array(&s->alloc, vals, n, sizeof *vals);
  return st;
}

interp_memory *interp_caller_memory(interp_caller *caller) {
  if (caller == NULL || caller->inst == NULL)
    return NULL;
  return caller->inst->memories ? caller->inst->memories[0] : NULL;
}

interp_instance *interp_caller_instance(interp_caller *caller) {
  return caller ? caller->inst : NULL;
}

interp_status interp_caller_trap(interp_caller *caller, const char *message) {
  if (caller) {
    size_t n = message ? strlen(message) : 0;
    if (n >= sizeof caller->message)
      n = sizeof caller->message - 1;
    if (n)
      memcpy(caller->message, message, n);
    caller->message[n] = '\0';
  }
  return INTERP_TRAP;
}

interp_status interp_caller_exit(interp_caller *caller, int32_t code) {
  if (caller)
    caller->exit_code = code;
  return INTERP_EXIT;
}

/* The loop wrote its fuel register to the store before the host call and
** reads it back after, so charging the store is charging the run. */
interp_status interp_caller_charge(interp_caller *caller, uint64_t fuel) {
  if (caller == NULL)
    return INTERP_BAD_ARGS;
  interp_store *s = caller->store;
  if (s->fuel < fuel) {
    s->fuel = 0;
    caller->trap = INTERP_TRAP_OUT_OF_FUEL;
    return INTERP_TRAP;
  }
  s->fuel -= fuel;
  return INTERP_OK;
}

/* ---- the loop ---- */

#ifdef INTERP_SWITCH_DISPATCH
#define DISPATCH_START next: switch (*ip) {
#define CASE(name) case C_##name:
#define NEXT() goto next
#define DISPATCH_END default: TRAP(INTERP_TRAP_UNREACHABLE); }
#else
/* Direct threading: each opcode word is its handler's offset from L_base
** (code_thread_table), so dispatch is load, add, jump. */
#define DISPATCH_START L_base: NEXT();
#define CASE(name) L_##name:
#define NEXT() goto *((char *)&&L_base + (int32_t)*ip)
#define DISPATCH_END
#endif

/* Operand k of the current instruction, as a slot, and typed views. */
#define R(k) fp[ip[k]]
#define U32(k) ((uint32_t)R(k))
#define S32(k) ((int32_t)(uint32_t)R(k))
#define U64(k) (R(k))
#define S64(k) ((int64_t)R(k))
#define F32(k) f32_of((uint32_t)R(k))
#define F64(k) f64_of(R(k))

#define TRAP(k) do { trap = (k); goto trapped; } while (0)
/* Charge 'cost' instructions; running out uses up what was left, so
** fuel_used equals the budget after an out-of-fuel trap. */
#define FUEL(cost) do {                                                       \
    uint64_t c_ = (cost);                                                     \
    if (fuel < c_) { fuel = 0; TRAP(INTERP_TRAP_OUT_OF_FUEL); }              \
    fuel -= c_;                                                               \
  } while (0)
/* Memory 0 may have moved or grown: re-read its base and size. */
#define RELOAD_MEM() (mbase = inst->mem->data, msize = inst->mem->size)
/* Branch by the offset in word k (offsets are relative to their word). */
#define JUMP(k) (ip += (k) + (int32_t)ip[k])

/* Op body families. 'a' and 'b' are the operands, the expression the
** result; each ends by stepping over its words and dispatching. */
#define OP(name, len, ...) CASE(name) { __VA_ARGS__; ip += (len); NEXT(); }
#define I32_UN(name, e) OP(name, 3, { uint32_t a = U32(2); R(1) = (uint32_t)(e); })
#define I32_BIN(name, e) OP(name, 4, { uint32_t a = U32(2), b = U32(3); R(1) = (uint32_t)(e); })
#define I32_BIN_I(name, e) OP(name, 4, { uint32_t a = U32(2), b = ip[3]; R(1) = (uint32_t)(e); })
#define I64_BIN_I(name, e) OP(name, 5, { uint64_t a = U64(2),                \
    b = ip[3] | (uint64_t)ip[4] << 32; R(1) = (uint64_t)(e); })
#define I64_UN(name, e) OP(name, 3, { uint64_t a = U64(2); R(1) = (uint64_t)(e); })
#define I64_BIN(name, e) OP(name, 4, { uint64_t a = U64(2), b = U64(3); R(1) = (uint64_t)(e); })
#define I64_CMP(name, e) OP(name, 4, { uint64_t a = U64(2), b = U64(3); R(1) = (uint32_t)(e); })
#define F32_CMP(name, e) OP(name, 4, { float a = F32(2), b = F32(3); R(1) = (uint32_t)(e); })
#define F64_CMP(name, e) OP(name, 4, { double a = F64(2), b = F64(3); R(1) = (uint32_t)(e); })
#define F32_BIN(name, e) OP(name, 4, { float a = F32(2), b = F32(3); R(1) = bits_f32(e); })
#define F64_BIN(name, e) OP(name, 4, { double a = F64(2), b = F64(3); R(1) = bits_f64(e); })
#define F32_UN(name, e) OP(name, 3, { float a = F32(2); R(1) = bits_f32(e); })
#define F64_UN(name, e) OP(name, 3, { double a = F64(2); R(1) = bits_f64(e); })
/* Bit-level float ops: operands stay integers. */
#define F32_BITS_UN(name, e) OP(name, 3, { uint32_t a = U32(2); R(1) = (uint32_t)(e); })
#define F32_BITS_BIN(name, e) OP(name, 4, { uint32_t a = U32(2), b = U32(3); R(1) = (uint32_t)(e); })
#define F64_BITS_UN(name, e) OP(name, 3, { uint64_t a = U64(2); R(1) = (e); })
#define F64_BITS_BIN(name, e) OP(name, 4, { uint64_t a = U64(2), b = U64(3); R(1) = (e); })
/* Integer division: trap before dividing. */
#define I32_DIV(name, e, ovf) OP(name, 4, { uint32_t a = U32(2), b = U32(3);  \
    if (b == 0) TRAP(INTERP_TRAP_DIV_ZERO);                                   \
    if (ovf && a == 0x80000000u && b == 0xffffffffu)                          \
      TRAP(INTERP_TRAP_INT_OVERFLOW);                                         \
    R(1) = (uint32_t)(e); })
#define I64_DIV(name, e, ovf) OP(name, 4, { uint64_t a = U64(2), b = U64(3);  \
    if (b == 0) TRAP(INTERP_TRAP_DIV_ZERO);                                   \
    if (ovf && a == 0x8000000000000000ull && b == ~0ull)                      \
      TRAP(INTERP_TRAP_INT_OVERFLOW);                                         \
    R(1) = (e); })
/* Trapping float -> int: fn returns 0, 1 (NaN) or 2 (out of range). */
#define TRUNC(name, fn, T, conv) OP(name, 3, { T v_; int r_ = fn(R(2), &v_);  \
    if (r_) TRAP(r_ == 1 ? INTERP_TRAP_INVALID_CONVERSION                     \
                         : INTERP_TRAP_INT_OVERFLOW);                         \
    R(1) = conv(v_); })
#define SAT(name, fn, conv) OP(name, 3, { R(1) = conv(fn(R(2))); })
#define AS_U32(v) ((uint32_t)(v))
#define AS_U64(v) ((uint64_t)(v))
/* Loads [op dst addr offset], stores [op addr value offset]: the
** effective address is computed in 64 bits, so it cannot wrap. */
#define LOAD(name, T, conv) OP(name, 4, {                                     \
    uint64_t ea = (uint64_t)U32(2) + ip[3];                                   \
    if (ea + sizeof(T) > msize) TRAP(INTERP_TRAP_MEMORY_OOB);                 \
    T v_; memcpy(&v_, mbase + ea, sizeof(T)); R(1) = conv(v_); })
#define STORE(name, T) OP(name, 4, {                                          \
    uint64_t ea = (uint64_t)U32(1) + ip[3];                                   \
    if (ea + sizeof(T) > msize) TRAP(INTERP_TRAP_MEMORY_OOB);                 \
    T v_ = (T)R(2); memcpy(mbase + ea, &v_, sizeof(T)); })
/* The same with the address as the sum of two slots (code.h, CODE_MEM_X):
** loads [op dst a b offset], stores [op a b value offset]. */
#define LOAD_RR(name, T, conv) OP(name##_RR, 5, {                             \
    uint64_t ea = (uint64_t)(uint32_t)(U32(2) + U32(3)) + ip[4];              \
    if (ea + sizeof(T) > msize) TRAP(INTERP_TRAP_MEMORY_OOB);                 \
    T v_; memcpy(&v_, mbase + ea, sizeof(T)); R(1) = conv(v_); })
#define STORE_RR(name, T) OP(name##_RR, 5, {                                  \
    uint64_t ea = (uint64_t)(uint32_t)(U32(1) + U32(2)) + ip[4];              \
    if (ea + sizeof(T) > msize) TRAP(INTERP_TRAP_MEMORY_OOB);                 \
    T v_ = (T)R(3); memcpy(mbase + ea, &v_, sizeof(T)); })
#define LOAD_RI(name, T, conv) OP(name##_RI, 5, {                             \
    uint64_t ea = (uint64_t)(uint32_t)(U32(2) + ip[3]) + ip[4];               \
    if (ea + sizeof(T) > msize) TRAP(INTERP_TRAP_MEMORY_OOB);                 \
    T v_; memcpy(&v_, mbase + ea, sizeof(T)); R(1) = conv(v_); })
#define STORE_RI(name, T) OP(name##_RI, 5, {                                  \
    uint64_t ea = (uint64_t)(uint32_t)(U32(1) + ip[2]) + ip[4];               \
    if (ea + sizeof(T) > msize) TRAP(INTERP_TRAP_MEMORY_OOB);                 \
    T v_ = (T)R(3); memcpy(mbase + ea, &v_, sizeof(T)); })
/* Every load and store with its access type and result conversion. */
#define LOAD_OPS(X)                                                           \
  X(I32_LOAD, uint32_t, AS_U32) X(I64_LOAD, uint64_t, AS_U64)                 \
  X(F32_LOAD, uint32_t, AS_U32) X(F64_LOAD, uint64_t, AS_U64)                 \
  X(I32_LOAD8_S, int8_t, SX8) X(I32_LOAD8_U, uint8_t, AS_U32)                 \
  X(I32_LOAD16_S, int16_t, SX16) X(I32_LOAD16_U, uint16_t, AS_U32)            \
  X(I64_LOAD8_S, int8_t, SX8L) X(I64_LOAD8_U, uint8_t, AS_U64)                \
  X(I64_LOAD16_S, int16_t, SX16L) X(I64_LOAD16_U, uint16_t, AS_U64)           \
  X(I64_LOAD32_S, int32_t, SX32L) X(I64_LOAD32_U, uint32_t, AS_U64)
#define STORE_OPS(X)                                                          \
  X(I32_STORE, uint32_t) X(I64_STORE, uint64_t) X(F32_STORE, uint32_t)        \
  X(F64_STORE, uint64_t) X(I32_STORE8, uint8_t) X(I32_STORE16, uint16_t)      \
  X(I64_STORE8, uint8_t) X(I64_STORE16, uint16_t) X(I64_STORE32, uint32_t)
/* select on a comparison [op dst a b x y]. */
#define SEL_CMP(name, e) OP(name, 6, { uint32_t a = U32(4), b = U32(5);        \
    R(1) = (e) ? R(2) : R(3); })
/* Fused compare-and-branch [op a b off cost] (EQZ/NEZ: [op a off cost]). */
#define BR_CMP(name, e) CASE(name) { uint32_t a = U32(1), b = U32(2);         \
    FUEL(ip[4]); if (e) JUMP(3); else ip += 5; NEXT(); }
#define BR_TEST(name, e) CASE(name) { uint32_t a = U32(1);                    \
    FUEL(ip[3]); if (e) JUMP(2); else ip += 4; NEXT(); }
#define BR_CMP64(name, e) CASE(name) { uint64_t a = U64(1), b = U64(2);       \
    FUEL(ip[4]); if (e) JUMP(3); else ip += 5; NEXT(); }
#define BR_TEST64(name, e) CASE(name) { uint64_t a = U64(1);                  \
    FUEL(ip[3]); if (e) JUMP(2); else ip += 4; NEXT(); }

#define SX8(v) ((uint32_t)(int32_t)(int8_t)(v))
#define SX16(v) ((uint32_t)(int32_t)(int16_t)(v))
#define SX8L(v) ((uint64_t)(int64_t)(int8_t)(v))
#define SX16L(v) ((uint64_t)(int64_t)(int16_t)(v))
#define SX32L(v) ((uint64_t)(int64_t)(int32_t)(v))

/* Enter f with its frame at stack slot 'base' (arguments in place) and run
** until it returns. With 'table' set, only hand out the threading map. */
static interp_status rt_run(interp_store *s, interp_func *f, size_t base,
                            interp_error *err, const int32_t **table) {
#ifndef INTERP_SWITCH_DISPATCH
  static const int32_t offsets[] = {
#define CODE_EACH(name) (int32_t)(&&L_##name - &&L_base),
      CODE_ALL()
#undef CODE_EACH
  };
  if (table) {
    *table = offsets;
    return INTERP_OK;
  }
#else
  if (table) {
    *table = NULL;
    return INTERP_OK;
  }
#endif
  const size_t entry_depth = s->depth;
  interp_trap trap = INTERP_TRAP_NONE;
  interp_status status = INTERP_OK;
  uint64_t fuel = s->fuel;
  interp_func *cur = f;
  interp_instance *inst = f->inst;
  const compiled_func *cf = f->code;
  uint64_t *fp = s->stack + base;
  const uint32_t *ip;
  uint8_t *mbase;
  uint64_t msize;
  bool nomem = false;
  int64_t trap_index = -1; /* the element, for "uninitialized element N" */
  interp_func *callee;
  size_t cbase;

  /* The entry frame: like a call, minus the frame push. */
  if ((trap = grow_stack(s, base + cf->frame_size, &nomem)) != INTERP_TRAP_NONE)
    goto trapped;
  fp = s->stack + base;
  goto enter;

do_call:
  /* callee, cbase (relative to fp) and ip (the return address) are set.
  ** One test covers both rare cases, so a call to a compiled body costs
  ** no more than it did before bodies were compiled lazily. */
  cf = callee->code;
  if (cf == NULL) {
    if (callee->host) {
      size_t at = (size_t)(fp - s->stack) + cbase;
      size_t fpo = (size_t)(fp - s->stack);
      s->stack_top = (size_t)(fp - s->stack) + cur->code->frame_size;
      s->fuel = fuel;
      status = call_host(s, callee, inst, at, err);
      fuel = s->fuel;
      fp = s->stack + fpo;
      RELOAD_MEM();
      if (status != INTERP_OK)
        goto failed;
      NEXT();
    }
    /* The first call of this body: compiling touches neither stack. */
    if ((status = rt_func_compile(callee, err)) != INTERP_OK)
      goto failed;
    cf = callee->code;
  }
  {
    size_t nfp = (size_t)(fp - s->stack) + cbase;
    if (nfp + cf->frame_size > s->stack_cap) {
      size_t fpo = (size_t)(fp - s->stack);
      if ((trap = grow_stack(s, nfp + cf->frame_size, &nomem)))
        goto trapped;
      fp = s->stack + fpo;
    }
    if (s->depth + 1 >= s->frames_cap && (trap = grow_frames(s, &nomem)))
      goto trapped;
    rt_frame *fr = &s->frames[s->depth++];
    fr->ip = ip;
    fr->fp = (size_t)(fp - s->stack);
    fr->fn = cur;
    fp = s->stack + nfp;
  }
  cur = callee;
  inst = callee->inst;
enter:
  /* Plain loops: the counts are small, and a libc call per wasm call
  ** costs more than the copy. */
  for (uint32_t i = cf->nparams; i < cf->nlocals; i++)
    fp[i] = 0;
  for (uint32_t i = 0; i < cf->nconsts; i++)
    fp[cf->nlocals + i] = cf->consts[i];
  ip = cf->code;
  RELOAD_MEM();

  DISPATCH_START

  /* ---- internal: moves and control ---- */
  OP(MOV, 3, R(1) = R(2))
  CASE(BR) { FUEL(ip[2]); JUMP(1); NEXT(); }
  CASE(BR_IF) {
    FUEL(ip[3]);
    if (U32(1)) JUMP(2); else ip += 4;
    NEXT();
  }
  CASE(BR_UNLESS) {
    FUEL(ip[3]);
    if (!U32(1)) JUMP(2); else ip += 4;
    NEXT();
  }
  CASE(BR_TABLE) {
    uint32_t i = U32(1), n = ip[2];
    FUEL(ip[3]);
    ip += 4 + (i < n ? i : n);
    JUMP(0);
    NEXT();
  }
  BR_CMP(BR_I32_EQ, a == b)
  BR_CMP(BR_I32_NE, a != b)
  BR_CMP(BR_I32_LT_S, (int32_t)a < (int32_t)b)
  BR_CMP(BR_I32_LT_U, a < b)
  BR_CMP(BR_I32_GT_S, (int32_t)a > (int32_t)b)
  BR_CMP(BR_I32_GT_U, a > b)
  BR_CMP(BR_I32_LE_S, (int32_t)a <= (int32_t)b)
  BR_CMP(BR_I32_LE_U, a <= b)
  BR_CMP(BR_I32_GE_S, (int32_t)a >= (int32_t)b)
  BR_CMP(BR_I32_GE_U, a >= b)
  BR_TEST(BR_I32_EQZ, a == 0)
  BR_TEST(BR_I32_NEZ, a != 0)
  BR_CMP64(BR_I64_EQ, a == b)
  BR_CMP64(BR_I64_NE, a != b)
  BR_CMP64(BR_I64_LT_S, (int64_t)a < (int64_t)b)
  BR_CMP64(BR_I64_LT_U, a < b)
  BR_CMP64(BR_I64_GT_S, (int64_t)a > (int64_t)b)
  BR_CMP64(BR_I64_GT_U, a > b)
  BR_CMP64(BR_I64_LE_S, (int64_t)a <= (int64_t)b)
  BR_CMP64(BR_I64_LE_U, a <= b)
  BR_CMP64(BR_I64_GE_S, (int64_t)a >= (int64_t)b)
  BR_CMP64(BR_I64_GE_U, a >= b)
  BR_TEST64(BR_I64_EQZ, a == 0)
  BR_TEST64(BR_I64_NEZ, a != 0)
  CASE(CALL) {
    FUEL(ip[3]);
    callee = inst->funcs[ip[1]];
    cbase = ip[2];
    ip += 4;
    goto do_call;
  }
  CASE(CALL_INDIRECT) {
    FUEL(ip[5]);
    interp_table *t = inst->tables[ip[2]];
    uint32_t i = U32(3);
    if (i >= t->size)
      TRAP(INTERP_TRAP_UNDEFINED_ELEMENT);
    callee = t->elems[i];
    if (callee == NULL) {
      trap_index = i;
      TRAP(INTERP_TRAP_UNINITIALIZED_ELEMENT);
    }
    if (callee->type != inst->types[ip[1]])
      TRAP(INTERP_TRAP_INDIRECT_MISMATCH);
    cbase = ip[4];
    ip += 6;
    goto do_call;
  }
  CASE(RETURN1) { FUEL(ip[2]); fp[0] = R(1); goto do_return; }
  CASE(RETURN) {
    FUEL(ip[1]);
  do_return:
    if (s->depth == entry_depth)
      goto done;
    {
      rt_frame *fr = &s->frames[--s->depth];
      ip = fr->ip;
      fp = s->stack + fr->fp;
      cur = fr->fn;
      inst = cur->inst;
      RELOAD_MEM();
    }
    NEXT();
  }
  CASE(UNREACHABLE) { TRAP(INTERP_TRAP_UNREACHABLE); }
  OP(SELECT, 5, R(1) = U32(4) ? R(2) : R(3))
  SEL_CMP(SEL_I32_EQ, a == b)
  SEL_CMP(SEL_I32_NE, a != b)
  SEL_CMP(SEL_I32_LT_S, (int32_t)a < (int32_t)b)
  SEL_CMP(SEL_I32_LT_U, a < b)
  SEL_CMP(SEL_I32_GT_S, (int32_t)a > (int32_t)b)
  SEL_CMP(SEL_I32_GT_U, a > b)
  SEL_CMP(SEL_I32_LE_S, (int32_t)a <= (int32_t)b)
  SEL_CMP(SEL_I32_LE_U, a <= b)
  SEL_CMP(SEL_I32_GE_S, (int32_t)a >= (int32_t)b)
  SEL_CMP(SEL_I32_GE_U, a >= b)

  /* ---- variables and references ---- */
  OP(GLOBAL_GET, 3, R(1) = inst->globals[ip[2]]->bits)
  OP(GLOBAL_SET, 3, inst->globals[ip[1]]->bits = R(2))
  OP(REF_FUNC, 3, R(1) = (uint64_t)(uintptr_t)inst->funcs[ip[2]])
  OP(REF_IS_NULL, 3, R(1) = R(2) == 0)
  CASE(TABLE_GET) {
    interp_table *t = inst->tables[ip[2]];
    if (U32(3) >= t->size)
      TRAP(INTERP_TRAP_TABLE_OOB);
    R(1) = (uint64_t)(uintptr_t)t->elems[U32(3)];
    ip += 4;
    NEXT();
  }
  CASE(TABLE_SET) {
    interp_table *t = inst->tables[ip[1]];
    if (U32(2) >= t->size)
      TRAP(INTERP_TRAP_TABLE_OOB);
    t->elems[U32(2)] = (void *)(uintptr_t)R(3);
    ip += 4;
    NEXT();
  }
  OP(TABLE_SIZE, 3, R(1) = inst->tables[ip[2]]->size)
  CASE(TABLE_GROW) {
    FUEL(table_grow_fuel(inst->tables[ip[2]], U32(4)));
    int64_t r = rt_table_grow(s, inst->tables[ip[2]], U32(4),
                              (void *)(uintptr_t)R(3));
    R(1) = (uint32_t)r;
    ip += 5;
    NEXT();
  }
  CASE(TABLE_FILL) {
    FUEL(elems_fuel(U32(4)));
    if ((trap = table_fill(inst->tables[ip[1]], U32(2),
                           (void *)(uintptr_t)R(3), U32(4))))
      goto trapped;
    ip += 5;
    NEXT();
  }
  CASE(TABLE_COPY) {
    FUEL(elems_fuel(U32(5)));
    if ((trap = table_copy(inst->tables[ip[1]], inst->tables[ip[2]], U32(3),
                           U32(4), U32(5))))
      goto trapped;
    ip += 6;
    NEXT();
  }
  CASE(TABLE_INIT) {
    FUEL(elems_fuel(U32(5)));
    if ((trap = rt_table_init(inst->tables[ip[1]], &inst->elems[ip[2]],
                              U32(3), U32(4), U32(5))))
      goto trapped;
    ip += 6;
    NEXT();
  }
  OP(ELEM_DROP, 2, inst->elems[ip[1]].count = 0)

  /* ---- memory ---- */
  LOAD_OPS(LOAD)
  LOAD_OPS(LOAD_RR)
  LOAD_OPS(LOAD_RI)
  STORE_OPS(STORE)
  STORE_OPS(STORE_RR)
  STORE_OPS(STORE_RI)
  OP(MEMORY_SIZE, 2, R(1) = inst->mem->pages)
  CASE(MEMORY_GROW) {
    FUEL(memory_grow_fuel(inst->mem, U32(2)));
    R(1) = (uint32_t)rt_memory_grow(s, inst->mem, U32(2));
    RELOAD_MEM();
    ip += 3;
    NEXT();
  }
  CASE(MEMORY_FILL) {
    uint32_t d = U32(1), n = U32(3);
    FUEL(bytes_fuel(n));
    if ((uint64_t)d + n > msize)
      TRAP(INTERP_TRAP_MEMORY_OOB);
    if (n)
      memset(mbase + d, (int)(uint8_t)U32(2), n);
    ip += 4;
    NEXT();
  }
  CASE(MEMORY_COPY) {
    uint32_t d = U32(1), src = U32(2), n = U32(3);
    FUEL(bytes_fuel(n));
    if ((uint64_t)d + n > msize || (uint64_t)src + n > msize)
      TRAP(INTERP_TRAP_MEMORY_OOB);
    if (n)
      memmove(mbase + d, mbase + src, n);
    ip += 4;
    NEXT();
  }
  CASE(MEMORY_INIT) {
    uint32_t seg = ip[1];
    FUEL(bytes_fuel(U32(4)));
    if ((trap = rt_memory_init(inst->mem, inst->mod->datas[seg].bytes,
                               inst->data_len[seg], U32(2), U32(3), U32(4))))
      goto trapped;
    ip += 5;
    NEXT();
  }
  OP(DATA_DROP, 2, inst->data_len[ip[1]] = 0)

  /* ---- constants (the compiler normally folds them into slots) ---- */
  OP(I32_CONST, 4, R(1) = ip[2] | (uint64_t)ip[3] << 32)
  OP(I64_CONST, 4, R(1) = ip[2] | (uint64_t)ip[3] << 32)
  OP(F32_CONST, 4, R(1) = ip[2] | (uint64_t)ip[3] << 32)
  OP(F64_CONST, 4, R(1) = ip[2] | (uint64_t)ip[3] << 32)

  /* ---- i32 ---- */
  I32_UN(I32_EQZ, a == 0)
  I32_BIN(I32_EQ, a == b)
  I32_BIN(I32_NE, a != b)
  I32_BIN(I32_LT_S, (int32_t)a < (int32_t)b)
  I32_BIN(I32_LT_U, a < b)
  I32_BIN(I32_GT_S, (int32_t)a > (int32_t)b)
  I32_BIN(I32_GT_U, a > b)
  I32_BIN(I32_LE_S, (int32_t)a <= (int32_t)b)
  I32_BIN(I32_LE_U, a <= b)
  I32_BIN(I32_GE_S, (int32_t)a >= (int32_t)b)
  I32_BIN(I32_GE_U, a >= b)
  I32_UN(I32_CLZ, n_clz32(a))
  I32_UN(I32_CTZ, n_ctz32(a))
  I32_UN(I32_POPCNT, n_pop32(a))
  I32_BIN(I32_ADD, a + b)
  I32_BIN(I32_SUB, a - b)
  I32_BIN(I32_MUL, a * b)
  I32_DIV(I32_DIV_S, (int32_t)a / (int32_t)b, 1)
  I32_DIV(I32_DIV_U, a / b, 0)
  I32_DIV(I32_REM_S, b == 0xffffffffu ? 0 : (int32_t)a % (int32_t)b, 0)
  I32_DIV(I32_REM_U, a % b, 0)
  I32_BIN(I32_AND, a & b)
  I32_BIN(I32_OR, a | b)
  I32_BIN(I32_XOR, a ^ b)
  I32_BIN(I32_SHL, a << (b & 31))
  I32_BIN(I32_SHR_S, n_shr_s32(a, b))
  I32_BIN(I32_SHR_U, a >> (b & 31))
  I32_BIN(I32_ROTL, n_rotl32(a, b))
  I32_BIN(I32_ROTR, n_rotr32(a, b))
  I32_BIN_I(I32_ADD_I, a + b)
  I32_BIN_I(I32_SUB_I, a - b)
  I32_BIN_I(I32_MUL_I, a * b)
  I32_BIN_I(I32_AND_I, a & b)
  I32_BIN_I(I32_OR_I, a | b)
  I32_BIN_I(I32_XOR_I, a ^ b)
  I32_BIN_I(I32_SHL_I, a << (b & 31))
  I32_BIN_I(I32_SHR_S_I, n_shr_s32(a, b))
  I32_BIN_I(I32_SHR_U_I, a >> (b & 31))

  /* ---- i64 ---- */
  OP(I64_EQZ, 3, R(1) = U64(2) == 0)
  I64_CMP(I64_EQ, a == b)
  I64_CMP(I64_NE, a != b)
  I64_CMP(I64_LT_S, (int64_t)a < (int64_t)b)
  I64_CMP(I64_LT_U, a < b)
  I64_CMP(I64_GT_S, (int64_t)a > (int64_t)b)
  I64_CMP(I64_GT_U, a > b)
  I64_CMP(I64_LE_S, (int64_t)a <= (int64_t)b)
  I64_CMP(I64_LE_U, a <= b)
  I64_CMP(I64_GE_S, (int64_t)a >= (int64_t)b)
  I64_CMP(I64_GE_U, a >= b)
  I64_UN(I64_CLZ, n_clz64(a))
  I64_UN(I64_CTZ, n_ctz64(a))
  I64_UN(I64_POPCNT, n_pop64(a))
  I64_BIN(I64_ADD, a + b)
  I64_BIN(I64_SUB, a - b)
  I64_BIN(I64_MUL, a * b)
  I64_DIV(I64_DIV_S, (int64_t)a / (int64_t)b, 1)
  I64_DIV(I64_DIV_U, a / b, 0)
  I64_DIV(I64_REM_S, b == ~0ull ? 0 : (int64_t)a % (int64_t)b, 0)
  I64_DIV(I64_REM_U, a % b, 0)
  I64_BIN(I64_AND, a & b)
  I64_BIN(I64_OR, a | b)
  I64_BIN(I64_XOR, a ^ b)
  I64_BIN(I64_SHL, a << (b & 63))
  I64_BIN(I64_SHR_S, n_shr_s64(a, b))
  I64_BIN(I64_SHR_U, a >> (b & 63))
  I64_BIN(I64_ROTL, n_rotl64(a, b))
  I64_BIN(I64_ROTR, n_rotr64(a, b))
  I64_BIN_I(I64_ADD_I, a + b)
  I64_BIN_I(I64_SUB_I, a - b)
  I64_BIN_I(I64_MUL_I, a * b)
  I64_BIN_I(I64_AND_I, a & b)
  I64_BIN_I(I64_OR_I, a | b)
  I64_BIN_I(I64_XOR_I, a ^ b)
  I64_BIN_I(I64_SHL_I, a << (b & 63))
  I64_BIN_I(I64_SHR_S_I, n_shr_s64(a, b))
  I64_BIN_I(I64_SHR_U_I, a >> (b & 63))

  /* ---- f32 ---- */
  F32_CMP(F32_EQ, a == b)
  F32_CMP(F32_NE, a != b)
  F32_CMP(F32_LT, a < b)
  F32_CMP(F32_GT, a > b)
  F32_CMP(F32_LE, a <= b)
  F32_CMP(F32_GE, a >= b)
  F32_BITS_UN(F32_ABS, a & ~F32_SIGN)
  F32_BITS_UN(F32_NEG, a ^ F32_SIGN)
  F32_UN(F32_CEIL, f32_ceil(a))
  F32_UN(F32_FLOOR, f32_floor(a))
  F32_UN(F32_TRUNC, f32_trunc(a))
  F32_BITS_UN(F32_NEAREST, f32_nearest(a))
  F32_UN(F32_SQRT, sqrtf(a))
  F32_BIN(F32_ADD, a + b)
  F32_BIN(F32_SUB, a - b)
  F32_BIN(F32_MUL, a * b)
  F32_BIN(F32_DIV, a / b)
  F32_BITS_BIN(F32_MIN, f32_min(a, b))
  F32_BITS_BIN(F32_MAX, f32_max(a, b))
  F32_BITS_BIN(F32_COPYSIGN, (a & ~F32_SIGN) | (b & F32_SIGN))

  /* ---- f64 ---- */
  F64_CMP(F64_EQ, a == b)
  F64_CMP(F64_NE, a != b)
  F64_CMP(F64_LT, a < b)
  F64_CMP(F64_GT, a > b)
  F64_CMP(F64_LE, a <= b)
  F64_CMP(F64_GE, a >= b)
  F64_BITS_UN(F64_ABS, a & ~F64_SIGN)
  F64_BITS_UN(F64_NEG, a ^ F64_SIGN)
  F64_UN(F64_CEIL, f64_ceil(a))
  F64_UN(F64_FLOOR, f64_floor(a))
  F64_UN(F64_TRUNC, f64_trunc(a))
  F64_BITS_UN(F64_NEAREST, f64_nearest(a))
  F64_UN(F64_SQRT, sqrt(a))
  F64_BIN(F64_ADD, a + b)
  F64_BIN(F64_SUB, a - b)
  F64_BIN(F64_MUL, a * b)
  F64_BIN(F64_DIV, a / b)
  F64_BITS_BIN(F64_MIN, f64_min(a, b))
  F64_BITS_BIN(F64_MAX, f64_max(a, b))
  F64_BITS_BIN(F64_COPYSIGN, (a & ~F64_SIGN) | (b & F64_SIGN))

  /* ---- conversions ---- */
  OP(I32_WRAP_I64, 3, R(1) = (uint32_t)R(2))
  TRUNC(I32_TRUNC_F32_S, trunc_f32_i32, int32_t, AS_U32)
  TRUNC(I32_TRUNC_F32_U, trunc_f32_u32, uint32_t, AS_U32)
  TRUNC(I32_TRUNC_F64_S, trunc_f64_i32, int32_t, AS_U32)
  TRUNC(I32_TRUNC_F64_U, trunc_f64_u32, uint32_t, AS_U32)
  OP(I64_EXTEND_I32_S, 3, R(1) = SX32L(R(2)))
  OP(I64_EXTEND_I32_U, 3, R(1) = (uint32_t)R(2))
  TRUNC(I64_TRUNC_F32_S, trunc_f32_i64, int64_t, AS_U64)
  TRUNC(I64_TRUNC_F32_U, trunc_f32_u64, uint64_t, AS_U64)
  TRUNC(I64_TRUNC_F64_S, trunc_f64_i64, int64_t, AS_U64)
  TRUNC(I64_TRUNC_F64_U, trunc_f64_u64, uint64_t, AS_U64)
  OP(F32_CONVERT_I32_S, 3, R(1) = bits_f32((float)S32(2)))
  OP(F32_CONVERT_I32_U, 3, R(1) = bits_f32((float)U32(2)))
  OP(F32_CONVERT_I64_S, 3, R(1) = bits_f32((float)S64(2)))
  OP(F32_CONVERT_I64_U, 3, R(1) = bits_f32((float)U64(2)))
  OP(F32_DEMOTE_F64, 3, R(1) = bits_f32((float)F64(2)))
  OP(F64_CONVERT_I32_S, 3, R(1) = bits_f64((double)S32(2)))
  OP(F64_CONVERT_I32_U, 3, R(1) = bits_f64((double)U32(2)))
  OP(F64_CONVERT_I64_S, 3, R(1) = bits_f64((double)S64(2)))
  OP(F64_CONVERT_I64_U, 3, R(1) = bits_f64((double)U64(2)))
  OP(F64_PROMOTE_F32, 3, R(1) = bits_f64((double)F32(2)))
  OP(I32_REINTERPRET_F32, 3, R(1) = (uint32_t)R(2))
  OP(I64_REINTERPRET_F64, 3, R(1) = R(2))
  OP(F32_REINTERPRET_I32, 3, R(1) = (uint32_t)R(2))
  OP(F64_REINTERPRET_I64, 3, R(1) = R(2))
  OP(I32_EXTEND8_S, 3, R(1) = SX8(R(2)))
  OP(I32_EXTEND16_S, 3, R(1) = SX16(R(2)))
  OP(I64_EXTEND8_S, 3, R(1) = SX8L(R(2)))
  OP(I64_EXTEND16_S, 3, R(1) = SX16L(R(2)))
  OP(I64_EXTEND32_S, 3, R(1) = SX32L(R(2)))
  SAT(I32_TRUNC_SAT_F32_S, sat_f32_i32, AS_U32)
  SAT(I32_TRUNC_SAT_F32_U, sat_f32_u32, AS_U32)
  SAT(I32_TRUNC_SAT_F64_S, sat_f64_i32, AS_U32)
  SAT(I32_TRUNC_SAT_F64_U, sat_f64_u32, AS_U32)
  SAT(I64_TRUNC_SAT_F32_S, sat_f32_i64, AS_U64)
  SAT(I64_TRUNC_SAT_F32_U, sat_f32_u64, AS_U64)
  SAT(I64_TRUNC_SAT_F64_S, sat_f64_i64, AS_U64)
  SAT(I64_TRUNC_SAT_F64_U, sat_f64_u64, AS_U64)

  DISPATCH_END

trapped:
  s->depth = entry_depth;
  s->fuel = fuel;
  if (nomem)
    return ialloc_fail(&s->alloc, err,
                       trap == INTERP_TRAP_CALL_STACK_EXHAUSTED
                           ? "growing the call stack"
                           : "growing the value stack");
  if (trap_index >= 0) {
    ip_fail(err, INTERP_TRAP, "%s %u", interp_trap_message(trap),
            (unsigned)trap_index);
    if (err)
      err->trap = trap;
    return INTERP_TRAP;
  }
  return ip_trap(err, trap);
failed:
  s->depth = entry_depth;
  s->fuel = fuel;
  return status;
done:
  s->fuel = fuel;
  return INTERP_OK;
}

/* Copy args in, run, copy results out. */
interp_status rt_invoke(interp_store *s, interp_func *f, uint64_t *slots,
                        interp_error *err) {
  const rt_type *t = f->type;
  size_t n = t->nparams > t->nresults ? t->nparams : t->nresults;
  size_t base = s->stack_top, saved_top = s->stack_top;
  bool nomem = false;
  interp_status st;
  if (s->nesting >= MAX_NESTING)
    return ip_trap(err, INTERP_TRAP_CALL_STACK_EXHAUSTED);
  /* Compile first: a body that does not fit the budget fails the call
  ** before the stack has grown for it. */
  if (!f->host && f->code == NULL &&
      (st = rt_func_compile(f, err)) != INTERP_OK)
    return st;
  interp_trap trap = grow_stack(s, base + n + 1, &nomem);
  if (trap != INTERP_TRAP_NONE)
    return nomem ? ialloc_fail(&s->alloc, err, "for the stack")
                 : ip_trap(err, trap);
  if (s->depth + 1 >= s->cfg.max_call_depth)
    return ip_trap(err, INTERP_TRAP_CALL_STACK_EXHAUSTED);
  if (t->nparams)
    memcpy(s->stack + base, slots, t->nparams * sizeof *slots);
  s->nesting++;
  if (f->host) {
    s->stack_top = base + n;
    st = call_host(s, f, NULL, base, err);
  } else {
    st = rt_run(s, f, base, err, NULL);
  }
  s->nesting--;
  s->stack_top = saved_top;
  if (s->nesting == 0 && s->fuel_unlimited) {
    /* Unlimited runs count down from UINT64_MAX too; refill. */
    s->fuel_used += UINT64_MAX - s->fuel;
    s->fuel = UINT64_MAX;
  }
  if (st == INTERP_OK && t->nresults)
    memcpy(slots, s->stack + base, t->nresults * sizeof *slots);
  return st;
}

const int32_t *code_thread_table(void) {
  const int32_t *t = NULL;
  rt_run(NULL, NULL, 0, NULL, &t);
  return t;
}
