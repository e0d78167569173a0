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
#include "simd.h"

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

void rt_slots_to_value(const uint64_t *p, uint8_t type, interp_value *v) {
  memset(v, 0, sizeof *v);
  v->type = (interp_valtype)type;
  switch (v->type) {
  case INTERP_I32: case INTERP_F32: v->of.i32 = (uint32_t)p[0]; break;
  case INTERP_I64: case INTERP_F64: v->of.i64 = p[0]; break;
  case INTERP_V128: memcpy(v->of.v128, p, 16); break;
  default: v->of.ref = (void *)(uintptr_t)p[0]; break;
  }
}

void rt_value_to_slots(const interp_value *v, uint64_t *p) {
  switch (v->type) {
  case INTERP_I32: case INTERP_F32: p[0] = v->of.i32; break;
  case INTERP_I64: case INTERP_F64: p[0] = v->of.i64; break;
  case INTERP_V128: memcpy(p, v->of.v128, 16); break;
  default: p[0] = (uint64_t)(uintptr_t)v->of.ref; break;
  }
}

/* Call host function f with arguments in slots from 'base', results
** written back over them. The caller has synced s->depth and
** s->stack_top, which leaves room for max(param_slots, result_slots). */
static interp_status call_host(interp_store *s, interp_func *f,
                               interp_instance *inst, size_t base,
                               interp_error *err) {
  const rt_type *t = f->type;
  interp_value small[16], *vals = small;
  size_t n = (size_t)t->nparams + t->nresults;
  interp_status st = INTERP_NOMEM;
  uint64_t zero[2] = {0, 0};
  if (n > 16 && (vals = ialloc_array(&s->alloc, n, sizeof *vals)) == NULL)
    return ialloc_fail(&s->alloc, err, "calling a host function");
  for (uint32_t i = 0, at = 0; i < t->nparams; at += mod_slots(t->types[i++]))
    rt_slots_to_value(s->stack + base + at, t->types[i], &vals[i]);
  for (uint32_t i = t->nparams; i < n; i++)
    rt_slots_to_value(zero, t->types[i], &vals[i]);
  interp_caller caller = {.store = s, .inst = inst};
  st = f->host(&caller, f->ud, vals, vals + t->nparams);
  if (st == INTERP_OK) {
    for (uint32_t i = t->nparams, at = 0; i < n; at += mod_slots(t->types[i++])) {
      /* Each result is read as its declared type, whatever the host
      ** left in 'type'. */
      vals[i].type = (interp_valtype)t->types[i];
      rt_value_to_slots(&vals[i], s->stack + base + at);
    }
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

/* v128 operands: the first of two slots (code.h). Operands are read
** before the result is written, so dst may be an operand. */
#define VGET(k) v_get(&R(k))
#define VPUT(k, v) v_put(&R(k), (v))
#define V_UN(name, fn) OP(name, 3, VPUT(1, fn(VGET(2))))
#define V_BIN(name, fn) OP(name, 4, { v128 a = VGET(2), b = VGET(3); VPUT(1, fn(a, b)); })
#define V_SHIFT(name, fn) OP(name, 4, VPUT(1, fn(VGET(2), U32(3))))
#define V_TEST(name, fn) OP(name, 3, R(1) = fn(VGET(2)))
#define V_SPLAT(name, fn) OP(name, 3, VPUT(1, fn(R(2))))
/* [op dst v lane] and [op dst v x lane], lanes of 'n' bytes. */
#define V_EXTRACT(name, n, conv) OP(name, 4, R(1) = conv(v_lane(VGET(2), n, ip[3])))
#define V_REPLACE(name, n) OP(name, 5, VPUT(1, v_replace(VGET(2), n, ip[4], R(3))))
/* The address in operand k plus the offset in word o, 'n' bytes. */
#define V_ADDR(k, o, n) uint64_t ea = (uint64_t)U32(k) + ip[o];                \
    if (ea + (n) > msize) TRAP(INTERP_TRAP_MEMORY_OOB)
/* Memory [op dst addr offset] / [op addr v offset]. */
#define V_LOAD(name, n, e) OP(name, 4, { V_ADDR(2, 3, n); const uint8_t *p = mbase + ea; VPUT(1, e); })
/* Lanes [op dst addr v offset lane] / [op addr v offset lane]. */
#define V_LOAD_LANE(name, n) OP(name, 6, { V_ADDR(2, 4, n);                     \
    uint64_t x = 0; memcpy(&x, mbase + ea, n);                                \
    VPUT(1, v_replace(VGET(3), n, ip[5], x)); })
#define V_STORE_LANE(name, n) OP(name, 5, { V_ADDR(1, 3, n);                    \
    uint64_t x = v_lane(VGET(2), n, ip[4]); memcpy(mbase + ea, &x, n); })

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
  OP(MOV_V128, 3, memmove(&R(1), &R(2), 16))
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
  OP(GLOBAL_GET, 3, R(1) = inst->globals[ip[2]]->bits[0])
  OP(GLOBAL_SET, 3, inst->globals[ip[1]]->bits[0] = R(2))
  OP(GLOBAL_GET_V128, 3, memcpy(&R(1), inst->globals[ip[2]]->bits, 16))
  OP(GLOBAL_SET_V128, 3, memcpy(inst->globals[ip[1]]->bits, &R(2), 16))
  OP(SELECT_V128, 5, memmove(&R(1), U32(4) ? &R(2) : &R(3), 16))
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

  /* ---- v128: memory, constants, lanes ---- */
  V_LOAD(V128_LOAD, 16, v_get(p))
  V_LOAD(V128_LOAD8X8_S, 8, v_load8x8_s(p))
  V_LOAD(V128_LOAD8X8_U, 8, v_load8x8_u(p))
  V_LOAD(V128_LOAD16X4_S, 8, v_load16x4_s(p))
  V_LOAD(V128_LOAD16X4_U, 8, v_load16x4_u(p))
  V_LOAD(V128_LOAD32X2_S, 8, v_load32x2_s(p))
  V_LOAD(V128_LOAD32X2_U, 8, v_load32x2_u(p))
  V_LOAD(V128_LOAD8_SPLAT, 1, v_load_splat(p, 1))
  V_LOAD(V128_LOAD16_SPLAT, 2, v_load_splat(p, 2))
  V_LOAD(V128_LOAD32_SPLAT, 4, v_load_splat(p, 4))
  V_LOAD(V128_LOAD64_SPLAT, 8, v_load_splat(p, 8))
  V_LOAD(V128_LOAD32_ZERO, 4, v_load_zero(p, 4))
  V_LOAD(V128_LOAD64_ZERO, 8, v_load_zero(p, 8))
  OP(V128_STORE, 4, { V_ADDR(1, 3, 16); memcpy(mbase + ea, &R(2), 16); })
  V_LOAD_LANE(V128_LOAD8_LANE, 1)
  V_LOAD_LANE(V128_LOAD16_LANE, 2)
  V_LOAD_LANE(V128_LOAD32_LANE, 4)
  V_LOAD_LANE(V128_LOAD64_LANE, 8)
  V_STORE_LANE(V128_STORE8_LANE, 1)
  V_STORE_LANE(V128_STORE16_LANE, 2)
  V_STORE_LANE(V128_STORE32_LANE, 4)
  V_STORE_LANE(V128_STORE64_LANE, 8)
  OP(V128_CONST, 6, memcpy(&R(1), ip + 2, 16))
  OP(I8X16_SHUFFLE, 8, { uint8_t p[16]; memcpy(p, ip + 4, 16);
    v128 a = VGET(2), b = VGET(3); VPUT(1, i8x16_shuffle(a, b, p)); })
  V_BIN(I8X16_SWIZZLE, i8x16_swizzle)
  V_SPLAT(I8X16_SPLAT, i8x16_splat)
  V_SPLAT(I16X8_SPLAT, i16x8_splat)
  V_SPLAT(I32X4_SPLAT, i32x4_splat)
  V_SPLAT(I64X2_SPLAT, i64x2_splat)
  V_SPLAT(F32X4_SPLAT, i32x4_splat)
  V_SPLAT(F64X2_SPLAT, i64x2_splat)
  V_EXTRACT(I8X16_EXTRACT_LANE_S, 1, SX8)
  V_EXTRACT(I8X16_EXTRACT_LANE_U, 1, AS_U64)
  V_REPLACE(I8X16_REPLACE_LANE, 1)
  V_EXTRACT(I16X8_EXTRACT_LANE_S, 2, SX16)
  V_EXTRACT(I16X8_EXTRACT_LANE_U, 2, AS_U64)
  V_REPLACE(I16X8_REPLACE_LANE, 2)
  V_EXTRACT(I32X4_EXTRACT_LANE, 4, AS_U64)
  V_REPLACE(I32X4_REPLACE_LANE, 4)
  V_EXTRACT(I64X2_EXTRACT_LANE, 8, AS_U64)
  V_REPLACE(I64X2_REPLACE_LANE, 8)
  V_EXTRACT(F32X4_EXTRACT_LANE, 4, AS_U64)
  V_REPLACE(F32X4_REPLACE_LANE, 4)
  V_EXTRACT(F64X2_EXTRACT_LANE, 8, AS_U64)
  V_REPLACE(F64X2_REPLACE_LANE, 8)

  /* ---- v128: bitwise and tests ---- */
  V_UN(V128_NOT, v_not)
  V_BIN(V128_AND, v_and)
  V_BIN(V128_ANDNOT, v_andnot)
  V_BIN(V128_OR, v_or)
  V_BIN(V128_XOR, v_xor)
  OP(V128_BITSELECT, 5, { v128 a = VGET(2), b = VGET(3), m = VGET(4);
    VPUT(1, v_bitselect(a, b, m)); })
  V_TEST(V128_ANY_TRUE, v_any_true)
  V_TEST(I8X16_ALL_TRUE, i8x16_all_true)
  V_TEST(I8X16_BITMASK, i8x16_bitmask)
  V_TEST(I16X8_ALL_TRUE, i16x8_all_true)
  V_TEST(I16X8_BITMASK, i16x8_bitmask)
  V_TEST(I32X4_ALL_TRUE, i32x4_all_true)
  V_TEST(I32X4_BITMASK, i32x4_bitmask)
  V_TEST(I64X2_ALL_TRUE, i64x2_all_true)
  V_TEST(I64X2_BITMASK, i64x2_bitmask)

  /* ---- v128: integer comparisons ---- */
  V_BIN(I8X16_EQ, i8x16_eq)
  V_BIN(I8X16_NE, i8x16_ne)
  V_BIN(I8X16_LT_S, i8x16_lt_s)
  V_BIN(I8X16_LT_U, i8x16_lt_u)
  V_BIN(I8X16_GT_S, i8x16_gt_s)
  V_BIN(I8X16_GT_U, i8x16_gt_u)
  V_BIN(I8X16_LE_S, i8x16_le_s)
  V_BIN(I8X16_LE_U, i8x16_le_u)
  V_BIN(I8X16_GE_S, i8x16_ge_s)
  V_BIN(I8X16_GE_U, i8x16_ge_u)
  V_BIN(I16X8_EQ, i16x8_eq)
  V_BIN(I16X8_NE, i16x8_ne)
  V_BIN(I16X8_LT_S, i16x8_lt_s)
  V_BIN(I16X8_LT_U, i16x8_lt_u)
  V_BIN(I16X8_GT_S, i16x8_gt_s)
  V_BIN(I16X8_GT_U, i16x8_gt_u)
  V_BIN(I16X8_LE_S, i16x8_le_s)
  V_BIN(I16X8_LE_U, i16x8_le_u)
  V_BIN(I16X8_GE_S, i16x8_ge_s)
  V_BIN(I16X8_GE_U, i16x8_ge_u)
  V_BIN(I32X4_EQ, i32x4_eq)
  V_BIN(I32X4_NE, i32x4_ne)
  V_BIN(I32X4_LT_S, i32x4_lt_s)
  V_BIN(I32X4_LT_U, i32x4_lt_u)
  V_BIN(I32X4_GT_S, i32x4_gt_s)
  V_BIN(I32X4_GT_U, i32x4_gt_u)
  V_BIN(I32X4_LE_S, i32x4_le_s)
  V_BIN(I32X4_LE_U, i32x4_le_u)
  V_BIN(I32X4_GE_S, i32x4_ge_s)
  V_BIN(I32X4_GE_U, i32x4_ge_u)
  V_BIN(I64X2_EQ, i64x2_eq)
  V_BIN(I64X2_NE, i64x2_ne)
  V_BIN(I64X2_LT_S, i64x2_lt_s)
  V_BIN(I64X2_GT_S, i64x2_gt_s)
  V_BIN(I64X2_LE_S, i64x2_le_s)
  V_BIN(I64X2_GE_S, i64x2_ge_s)

  /* ---- v128: integer arithmetic ---- */
  V_UN(I8X16_ABS, i8x16_abs)
  V_UN(I8X16_NEG, i8x16_neg)
  V_UN(I8X16_POPCNT, i8x16_popcnt)
  V_BIN(I8X16_NARROW_I16X8_S, i8x16_narrow_i16x8_s)
  V_BIN(I8X16_NARROW_I16X8_U, i8x16_narrow_i16x8_u)
  V_SHIFT(I8X16_SHL, i8x16_shl)
  V_SHIFT(I8X16_SHR_S, i8x16_shr_s)
  V_SHIFT(I8X16_SHR_U, i8x16_shr_u)
  V_BIN(I8X16_ADD, i8x16_add)
  V_BIN(I8X16_ADD_SAT_S, i8x16_add_sat_s)
  V_BIN(I8X16_ADD_SAT_U, i8x16_add_sat_u)
  V_BIN(I8X16_SUB, i8x16_sub)
  V_BIN(I8X16_SUB_SAT_S, i8x16_sub_sat_s)
  V_BIN(I8X16_SUB_SAT_U, i8x16_sub_sat_u)
  V_BIN(I8X16_MIN_S, i8x16_min_s)
  V_BIN(I8X16_MIN_U, i8x16_min_u)
  V_BIN(I8X16_MAX_S, i8x16_max_s)
  V_BIN(I8X16_MAX_U, i8x16_max_u)
  V_BIN(I8X16_AVGR_U, i8x16_avgr_u)
  V_UN(I16X8_EXTADD_PAIRWISE_I8X16_S, i16x8_extadd_s)
  V_UN(I16X8_EXTADD_PAIRWISE_I8X16_U, i16x8_extadd_u)
  V_UN(I32X4_EXTADD_PAIRWISE_I16X8_S, i32x4_extadd_s)
  V_UN(I32X4_EXTADD_PAIRWISE_I16X8_U, i32x4_extadd_u)
  V_UN(I16X8_ABS, i16x8_abs)
  V_UN(I16X8_NEG, i16x8_neg)
  V_BIN(I16X8_Q15MULR_SAT_S, i16x8_q15mulr_sat_s)
  V_BIN(I16X8_NARROW_I32X4_S, i16x8_narrow_i32x4_s)
  V_BIN(I16X8_NARROW_I32X4_U, i16x8_narrow_i32x4_u)
  V_UN(I16X8_EXTEND_LOW_I8X16_S, i16x8_extend_low_s)
  V_UN(I16X8_EXTEND_HIGH_I8X16_S, i16x8_extend_high_s)
  V_UN(I16X8_EXTEND_LOW_I8X16_U, i16x8_extend_low_u)
  V_UN(I16X8_EXTEND_HIGH_I8X16_U, i16x8_extend_high_u)
  V_SHIFT(I16X8_SHL, i16x8_shl)
  V_SHIFT(I16X8_SHR_S, i16x8_shr_s)
  V_SHIFT(I16X8_SHR_U, i16x8_shr_u)
  V_BIN(I16X8_ADD, i16x8_add)
  V_BIN(I16X8_ADD_SAT_S, i16x8_add_sat_s)
  V_BIN(I16X8_ADD_SAT_U, i16x8_add_sat_u)
  V_BIN(I16X8_SUB, i16x8_sub)
  V_BIN(I16X8_SUB_SAT_S, i16x8_sub_sat_s)
  V_BIN(I16X8_SUB_SAT_U, i16x8_sub_sat_u)
  V_BIN(I16X8_MUL, i16x8_mul)
  V_BIN(I16X8_MIN_S, i16x8_min_s)
  V_BIN(I16X8_MIN_U, i16x8_min_u)
  V_BIN(I16X8_MAX_S, i16x8_max_s)
  V_BIN(I16X8_MAX_U, i16x8_max_u)
  V_BIN(I16X8_AVGR_U, i16x8_avgr_u)
  V_BIN(I16X8_EXTMUL_LOW_I8X16_S, i16x8_extmul_low_s)
  V_BIN(I16X8_EXTMUL_HIGH_I8X16_S, i16x8_extmul_high_s)
  V_BIN(I16X8_EXTMUL_LOW_I8X16_U, i16x8_extmul_low_u)
  V_BIN(I16X8_EXTMUL_HIGH_I8X16_U, i16x8_extmul_high_u)
  V_UN(I32X4_ABS, i32x4_abs)
  V_UN(I32X4_NEG, i32x4_neg)
  V_UN(I32X4_EXTEND_LOW_I16X8_S, i32x4_extend_low_s)
  V_UN(I32X4_EXTEND_HIGH_I16X8_S, i32x4_extend_high_s)
  V_UN(I32X4_EXTEND_LOW_I16X8_U, i32x4_extend_low_u)
  V_UN(I32X4_EXTEND_HIGH_I16X8_U, i32x4_extend_high_u)
  V_SHIFT(I32X4_SHL, i32x4_shl)
  V_SHIFT(I32X4_SHR_S, i32x4_shr_s)
  V_SHIFT(I32X4_SHR_U, i32x4_shr_u)
  V_BIN(I32X4_ADD, i32x4_add)
  V_BIN(I32X4_SUB, i32x4_sub)
  V_BIN(I32X4_MUL, i32x4_mul)
  V_BIN(I32X4_MIN_S, i32x4_min_s)
  V_BIN(I32X4_MIN_U, i32x4_min_u)
  V_BIN(I32X4_MAX_S, i32x4_max_s)
  V_BIN(I32X4_MAX_U, i32x4_max_u)
  V_BIN(I32X4_DOT_I16X8_S, i32x4_dot_i16x8_s)
  V_BIN(I32X4_EXTMUL_LOW_I16X8_S, i32x4_extmul_low_s)
  V_BIN(I32X4_EXTMUL_HIGH_I16X8_S, i32x4_extmul_high_s)
  V_BIN(I32X4_EXTMUL_LOW_I16X8_U, i32x4_extmul_low_u)
  V_BIN(I32X4_EXTMUL_HIGH_I16X8_U, i32x4_extmul_high_u)
  V_UN(I64X2_ABS, i64x2_abs)
  V_UN(I64X2_NEG, i64x2_neg)
  V_UN(I64X2_EXTEND_LOW_I32X4_S, i64x2_extend_low_s)
  V_UN(I64X2_EXTEND_HIGH_I32X4_S, i64x2_extend_high_s)
  V_UN(I64X2_EXTEND_LOW_I32X4_U, i64x2_extend_low_u)
  V_UN(I64X2_EXTEND_HIGH_I32X4_U, i64x2_extend_high_u)
  V_SHIFT(I64X2_SHL, i64x2_shl)
  V_SHIFT(I64X2_SHR_S, i64x2_shr_s)
  V_SHIFT(I64X2_SHR_U, i64x2_shr_u)
  V_BIN(I64X2_ADD, i64x2_add)
  V_BIN(I64X2_SUB, i64x2_sub)
  V_BIN(I64X2_MUL, i64x2_mul)
  V_BIN(I64X2_EXTMUL_LOW_I32X4_S, i64x2_extmul_low_s)
  V_BIN(I64X2_EXTMUL_HIGH_I32X4_S, i64x2_extmul_high_s)
  V_BIN(I64X2_EXTMUL_LOW_I32X4_U, i64x2_extmul_low_u)
  V_BIN(I64X2_EXTMUL_HIGH_I32X4_U, i64x2_extmul_high_u)

  /* ---- v128: floats ---- */
  V_BIN(F32X4_EQ, f32x4_eq)
  V_BIN(F32X4_NE, f32x4_ne)
  V_BIN(F32X4_LT, f32x4_lt)
  V_BIN(F32X4_GT, f32x4_gt)
  V_BIN(F32X4_LE, f32x4_le)
  V_BIN(F32X4_GE, f32x4_ge)
  V_BIN(F64X2_EQ, f64x2_eq)
  V_BIN(F64X2_NE, f64x2_ne)
  V_BIN(F64X2_LT, f64x2_lt)
  V_BIN(F64X2_GT, f64x2_gt)
  V_BIN(F64X2_LE, f64x2_le)
  V_BIN(F64X2_GE, f64x2_ge)
  V_UN(F32X4_CEIL, f32x4_ceil)
  V_UN(F32X4_FLOOR, f32x4_floor)
  V_UN(F32X4_TRUNC, f32x4_trunc)
  V_UN(F32X4_NEAREST, f32x4_nearest)
  V_UN(F64X2_CEIL, f64x2_ceil)
  V_UN(F64X2_FLOOR, f64x2_floor)
  V_UN(F64X2_TRUNC, f64x2_trunc)
  V_UN(F64X2_NEAREST, f64x2_nearest)
  V_UN(F32X4_ABS, f32x4_abs)
  V_UN(F32X4_NEG, f32x4_neg)
  V_UN(F32X4_SQRT, f32x4_sqrt)
  V_BIN(F32X4_ADD, f32x4_add)
  V_BIN(F32X4_SUB, f32x4_sub)
  V_BIN(F32X4_MUL, f32x4_mul)
  V_BIN(F32X4_DIV, f32x4_div)
  V_BIN(F32X4_MIN, f32x4_min)
  V_BIN(F32X4_MAX, f32x4_max)
  V_BIN(F32X4_PMIN, f32x4_pmin)
  V_BIN(F32X4_PMAX, f32x4_pmax)
  V_UN(F64X2_ABS, f64x2_abs)
  V_UN(F64X2_NEG, f64x2_neg)
  V_UN(F64X2_SQRT, f64x2_sqrt)
  V_BIN(F64X2_ADD, f64x2_add)
  V_BIN(F64X2_SUB, f64x2_sub)
  V_BIN(F64X2_MUL, f64x2_mul)
  V_BIN(F64X2_DIV, f64x2_div)
  V_BIN(F64X2_MIN, f64x2_min)
  V_BIN(F64X2_MAX, f64x2_max)
  V_BIN(F64X2_PMIN, f64x2_pmin)
  V_BIN(F64X2_PMAX, f64x2_pmax)
  V_UN(F32X4_DEMOTE_F64X2_ZERO, f32x4_demote_f64x2_zero)
  V_UN(F64X2_PROMOTE_LOW_F32X4, f64x2_promote_low_f32x4)
  V_UN(I32X4_TRUNC_SAT_F32X4_S, i32x4_trunc_sat_f32x4_s)
  V_UN(I32X4_TRUNC_SAT_F32X4_U, i32x4_trunc_sat_f32x4_u)
  V_UN(F32X4_CONVERT_I32X4_S, f32x4_convert_i32x4_s)
  V_UN(F32X4_CONVERT_I32X4_U, f32x4_convert_i32x4_u)
  V_UN(I32X4_TRUNC_SAT_F64X2_S_ZERO, i32x4_trunc_sat_f64x2_s_zero)
  V_UN(I32X4_TRUNC_SAT_F64X2_U_ZERO, i32x4_trunc_sat_f64x2_u_zero)
  V_UN(F64X2_CONVERT_LOW_I32X4_S, f64x2_convert_low_i32x4_s)
  V_UN(F64X2_CONVERT_LOW_I32X4_U, f64x2_convert_low_i32x4_u)

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
  size_t n = t->param_slots > t->result_slots ? t->param_slots
                                               : t->result_slots;
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
  if (t->param_slots)
    memcpy(s->stack + base, slots, t->param_slots * sizeof *slots);
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
  if (st == INTERP_OK && t->result_slots)
    memcpy(slots, s->stack + base, t->result_slots * sizeof *slots);
  return st;
}

const int32_t *code_thread_table(void) {
  const int32_t *t = NULL;
  rt_run(NULL, NULL, 0, NULL, &t);
  return t;
}
