/*
** runtime.h: the objects a store owns at run time (internal to interp/).
**
**   store ─┬─ modules (module_rec: the decoded module + back-end data)
**          ├─ instances, funcs, memories, tables, globals (singly linked,
**          │  freed together by interp_store_free)
**          ├─ canonical function types (rt_type), interned so that
**          │  call_indirect and import matching compare one pointer
**          └─ the execution stacks: value slots and call frames, grown on
**             demand up to the configured limits.
**
** A value slot is 8 bytes (uint64_t). i32 lives in the low half, floats
** as bit patterns, references as the pointer value (0 = null). A v128
** takes two consecutive slots, its bytes in memory order (docs/interp.md,
** "v128 in the slot machine").
*/
#ifndef PLUGSUP_INTERP_RUNTIME_H
#define PLUGSUP_INTERP_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "error.h"
#include "interp.h"
#include "module.h"

/* A canonical function type: one per distinct signature per store. */
typedef struct rt_type {
  uint32_t nparams, nresults;
  uint32_t param_slots, result_slots; /* slots they take (v128 two) */
  uint8_t *types;            /* nparams + nresults binary valtypes */
  interp_valtype *vtypes;    /* the same as interp_valtype, for the API */
  struct rt_type *next;
} rt_type;

struct interp_memory {
  uint8_t *data;             /* NULL while size is 0 */
  uint64_t size;             /* bytes = pages * 65536 */
  uint32_t pages;
  uint32_t max_pages;        /* effective cap: declared max and store cap */
  interp_limits limits;      /* declared limits (max as declared) */
  interp_store *owner;       /* imports from another store are refused */
  struct interp_memory *next;
};

struct interp_table {
  void **elems;              /* interp_func* or host externref; NULL = null */
  uint32_t size;
  uint32_t max;              /* effective cap */
  interp_limits limits;      /* declared */
  uint8_t elem;              /* INTERP_FUNCREF / INTERP_EXTERNREF */
  interp_store *owner;       /* imports from another store are refused */
  struct interp_table *next;
};

struct interp_global {
  uint64_t bits[2];          /* value in slot form: refs as (uintptr_t);
                                bits[1] is used by v128 only */
  uint8_t type;
  bool mutable_;
  interp_store *owner;       /* imports from another store are refused */
  struct interp_global *next;
};

struct compiled_func;

struct interp_func {
  const rt_type *type;
  interp_instance *inst;               /* NULL for host functions */
  const struct compiled_func *code;    /* NULL for host functions, and for
                                          a body not compiled yet */
  uint32_t body;                       /* index among inst->mod's defined
                                          functions (rt_func_compile) */
  interp_host_fn host;
  void *ud;
  interp_store *owner;       /* imports from another store are refused */
  struct interp_func *next;
};

/* An element segment as instantiated: resolved references. */
typedef struct rt_elem {
  void **refs;
  uint32_t count;            /* 0 once dropped */
  uint32_t cap;              /* allocated count, for freeing */
} rt_elem;

struct interp_instance {
  const interp_module *mod;
  const rt_type **types;     /* canonical, per module type index */
  interp_func **funcs;       /* whole index space */
  interp_table **tables;
  interp_memory *mem;        /* memory 0 or NULL */
  interp_memory **memories;
  interp_global **globals;
  rt_elem *elems;
  uint32_t *data_len;        /* per data segment; 0 once dropped */
  struct interp_instance *next;
};

/* A module plus what the back end derives from it. 'm' comes first so a
** const interp_module* converts back (see module_rec_of). */
typedef struct module_rec {
  interp_module m;
  const rt_type **types;     /* canonical type per module type index */
  uint8_t *copy;             /* m.bytes when the store copied them */
  size_t copy_len;
} module_rec;

static inline module_rec *module_rec_of(const interp_module *m) {
  return (module_rec *)(uintptr_t)m;
}

/* One call frame on the frame stack. Offsets, not pointers, so the value
** stack may move when it grows. */
typedef struct rt_frame {
  const uint32_t *ip;        /* where to continue in the caller */
  size_t fp;                 /* caller's frame base, slot index */
  interp_func *fn;           /* caller */
} rt_frame;

struct interp_store {
  ialloc alloc;
  interp_config cfg;         /* with defaults filled in */
  uint64_t fuel;             /* left (counts down from UINT64_MAX when
                                unlimited, refilled after each call) */
  uint64_t fuel_budget;      /* the last budget set */
  bool fuel_unlimited;
  uint64_t fuel_used;        /* charged before the current budget */
  interp_memory no_memory;   /* memory 0 of instances without one: size 0 */

  uint64_t *stack;           /* value slots */
  size_t stack_cap;
  size_t stack_top;          /* first free slot while a host call runs */
  rt_frame *frames;
  size_t frames_cap;
  size_t depth;              /* frames in use */
  uint32_t nesting;          /* interp_call inside host calls */

  module_rec **modules;
  uint32_t nmodules, modules_cap;
  interp_instance *instances;
  interp_func *funcs;
  interp_memory *memories;
  interp_table *tables;
  interp_global *globals;
  rt_type *types;
};

struct interp_caller {
  interp_store *store;
  interp_instance *inst;
  int32_t exit_code;
  interp_trap trap;          /* OUT_OF_FUEL after a charge failed */
  char message[200];
};

/* Slot form <-> interp_value: p holds mod_slots(type) slots. (exec.c) */
void rt_value_to_slots(const interp_value *v, uint64_t *p);
void rt_slots_to_value(const uint64_t *p, uint8_t type, interp_value *v);

/* ---- store.c, used by exec.c ---- */

/* Grow mem by 'delta' pages; returns the old size in pages or -1. */
int64_t rt_memory_grow(interp_store *s, interp_memory *mem, uint32_t delta);
/* Grow table by 'delta' entries set to 'init'; old size or -1. */
int64_t rt_table_grow(interp_store *s, interp_table *t, uint32_t delta,
                      void *init);
/* Compile the body of wasm function f (f->code NULL) on its first call
** and set f->code. The code belongs to the module, so every instance
** shares it. INTERP_NOMEM with err set when it does not fit. */
interp_status rt_func_compile(interp_func *f, interp_error *err);
/* Intern a type; NULL on allocation failure. */
const rt_type *rt_type_intern(interp_store *s, uint32_t np, uint32_t nr,
                              const uint8_t *types);

/* ---- exec.c ---- */

/* Call f with args as slots (already checked against its type); on OK the
** results are in slots[0..result_slots). 'slots' must hold
** max(param_slots, result_slots) entries. */
interp_status rt_invoke(interp_store *s, interp_func *f, uint64_t *slots,
                        interp_error *err);

/* Helpers shared by exec.c and store.c for bulk operations: return a
** trap kind or INTERP_TRAP_NONE. */
interp_trap rt_table_init(interp_table *t, const rt_elem *e, uint32_t d,
                          uint32_t s, uint32_t n);
interp_trap rt_memory_init(interp_memory *m, const uint8_t *bytes,
                           uint32_t len, uint32_t d, uint32_t s, uint32_t n);

#endif
