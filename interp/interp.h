/*
** interp.h: the embedding API of plugsup's WebAssembly interpreter.
**
** Lifecycle:
**   interp_store_new        one store per plugin run (or per test); owns every
**                           object below and carries the limits and the fuel.
**   interp_module_load      decode + validate bytes into a module (each
**                           function body is compiled on its first call).
**   interp_instantiate      link imports (through a resolver) and run the
**                           data/elem segments and the start function.
**   interp_instance_export  look up an export by name.
**   interp_call             invoke a function with typed values.
**   interp_store_free       frees everything the store owns, in one go.
**
** Rules: no global state, no I/O, no signals. Many stores may live in one
** process; a store and everything it owns must be used by one thread at a
** time. Every fallible call returns an interp_status and, where it takes an
** interp_error, fills it with a message that names the problem. Objects are
** owned by their store: nothing returned here is freed by the caller except
** the store itself.
*/
#ifndef PLUGSUP_INTERP_H
#define PLUGSUP_INTERP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Status of every fallible call. */
#define INTERP_STATUS_LIST(X)                                                  \
  X(INTERP_OK, "ok")                                                           \
  X(INTERP_MALFORMED, "malformed module")       /* decoder said no */          \
  X(INTERP_INVALID, "invalid module")           /* validator said no */        \
  X(INTERP_UNLINKABLE, "unlinkable")            /* an import did not match */  \
  X(INTERP_UNINSTANTIABLE, "uninstantiable")    /* segment or start trapped */ \
  X(INTERP_TRAP, "trap")                        /* see interp_error.trap */    \
  X(INTERP_EXIT, "exit")                        /* host asked to exit */       \
  X(INTERP_NOMEM, "out of memory")              /* allocator said no */        \
  X(INTERP_NOT_FOUND, "not found")              /* no such export */           \
  X(INTERP_BAD_ARGS, "bad arguments")           /* caller misused the API */

typedef enum interp_status {
#define X(name, text) name,
  INTERP_STATUS_LIST(X)
#undef X
} interp_status;

/* Trap kinds. The text is the spec suite's wording where the spec has one. */
#define INTERP_TRAP_LIST(X)                                                   \
  X(INTERP_TRAP_NONE, "no trap")                                              \
  X(INTERP_TRAP_UNREACHABLE, "unreachable")                                   \
  X(INTERP_TRAP_DIV_ZERO, "integer divide by zero")                           \
  X(INTERP_TRAP_INT_OVERFLOW, "integer overflow")                             \
  X(INTERP_TRAP_INVALID_CONVERSION, "invalid conversion to integer")          \
  X(INTERP_TRAP_MEMORY_OOB, "out of bounds memory access")                    \
  X(INTERP_TRAP_TABLE_OOB, "out of bounds table access")                      \
  X(INTERP_TRAP_UNDEFINED_ELEMENT, "undefined element")                       \
  X(INTERP_TRAP_UNINITIALIZED_ELEMENT, "uninitialized element")               \
  X(INTERP_TRAP_INDIRECT_MISMATCH, "indirect call type mismatch")             \
  X(INTERP_TRAP_CALL_STACK_EXHAUSTED, "call stack exhausted")                 \
  X(INTERP_TRAP_VALUE_STACK_EXHAUSTED, "value stack exhausted")               \
  X(INTERP_TRAP_OUT_OF_FUEL, "out of fuel")                                   \
  X(INTERP_TRAP_HOST, "host function trapped")

typedef enum interp_trap {
#define X(name, text) name,
  INTERP_TRAP_LIST(X)
#undef X
} interp_trap;

const char *interp_status_name(interp_status s);
const char *interp_trap_message(interp_trap t);

/* Value types, numbered as in the binary format. */
typedef enum interp_valtype {
  INTERP_I32 = 0x7f,
  INTERP_I64 = 0x7e,
  INTERP_F32 = 0x7d,
  INTERP_F64 = 0x7c,
  INTERP_V128 = 0x7b,
  INTERP_FUNCREF = 0x70,
  INTERP_EXTERNREF = 0x6f
} interp_valtype;

/* "i32", "funcref", ...; "unknown type" for anything else. */
const char *interp_valtype_name(interp_valtype t);

typedef struct interp_func interp_func;

/* A typed value. Floats travel as bit patterns so NaN payloads survive.
** funcref: 'ref' is an interp_func* or NULL (null). externref: 'ref' is an
** opaque host pointer, NULL meaning null. v128: the 16 bytes in memory
** order (lane 0 first, each lane little endian), as v128.store writes them. */
typedef struct interp_value {
  interp_valtype type;
  union {
    uint32_t i32;
    uint64_t i64;
    uint32_t f32;
    uint64_t f64;
    void *ref;
    uint8_t v128[16];
  } of;
} interp_value;

/* Why a call failed: filled by every call that takes one. */
typedef struct interp_error {
  interp_status status;
  interp_trap trap;       /* for INTERP_TRAP and INTERP_UNINSTANTIABLE */
  int32_t exit_code;      /* for INTERP_EXIT */
  uint64_t offset;        /* byte offset in the module, when decoding */
  char message[256];      /* full sentence, never empty on failure */
} interp_error;

/* Realloc-shaped allocator (as lua_Alloc): nsize 0 frees and returns NULL;
** otherwise returns the block or NULL on failure, leaving ptr untouched.
** osize is the old size (0 when ptr is NULL). */
typedef void *(*interp_alloc_fn)(void *ud, void *ptr, size_t osize, size_t nsize);

typedef struct interp_config {
  uint64_t fuel;              /* instruction budget; 0 = unlimited */
  uint32_t max_memory_pages;  /* cap on every memory's size; 0 = 65536 */
  uint32_t max_table_elems;   /* cap on every table's size; 0 = 10,000,000 */
  uint32_t max_call_depth;    /* wasm frames; 0 = 10,000 */
  uint32_t max_stack_slots;   /* value stack, 8-byte slots; 0 = 1,048,576 */
  interp_alloc_fn alloc;      /* NULL = malloc/realloc/free */
  void *alloc_ud;
  /* Memory budget: every byte the store allocates counts (linear memory,
  ** tables, globals, the value and call stacks, modules and their compiled
  ** code, the store itself); 0 = no budget. Going over it fails as running
  ** out of memory would: INTERP_NOMEM at load or instantiation, -1 from
  ** memory.grow and table.grow, INTERP_NOMEM from a call when a stack
  ** must grow or a body reached for the first time cannot be compiled. */
  uint64_t max_bytes;
  /* Nonzero: compile every function body at load, as one step, instead of
  ** each on its first call (the default). Loading then takes longer and
  ** holds all the code, but no call can fail for want of memory to
  ** compile its callee. fuzz_module uses it to compile bodies that no
  ** export reaches (a zygote compiles ahead between forks instead:
  ** interp_module_compile_some). */
  int compile_eagerly;
} interp_config;

typedef struct interp_store interp_store;
typedef struct interp_module interp_module;
typedef struct interp_instance interp_instance;
typedef struct interp_memory interp_memory;
typedef struct interp_table interp_table;
typedef struct interp_global interp_global;

/* cfg may be NULL for defaults. */
interp_status interp_store_new(const interp_config *cfg, interp_store **out);
void interp_store_free(interp_store *store);

/* Give a store the limits of cfg, as a fork server does before each run
** from the modules it loaded (and perhaps instantiated) once: fuel, pages,
** table and stack sizes and depth are cfg's; the memory budget and the
** peak count from now, so what the store already holds is not charged to
** the run (its allocator and compile_eagerly stay). Memories and tables
** already made keep their size, and may grow only as far as cfg allows.
** INTERP_BAD_ARGS once a stack exists (code has run). */
interp_status interp_store_relimit(interp_store *store, const interp_config *cfg);
/* Charge to the budget bytes the store held before its relimit, as if
** allocated now (what an instance made before the relimit holds, for a
** run that takes it): INTERP_NOMEM, changing nothing, when the budget
** cannot take them; INTERP_BAD_ARGS for more than the store held. */
interp_status interp_store_charge(interp_store *store, uint64_t bytes);
/* Whether every memory and table of the store is within its page and
** element limits: false when a relimit left one larger than it could
** have been made under them. */
bool interp_store_within_limits(const interp_store *store);

/* Fuel: the budget left, and a new budget (0 = unlimited). */
uint64_t interp_store_fuel_left(const interp_store *store);
void interp_store_set_fuel(interp_store *store, uint64_t fuel);

typedef struct interp_stats {
  uint64_t fuel_used;         /* instructions charged so far */
  uint64_t bytes_allocated;   /* live bytes through the allocator */
  uint64_t peak_bytes;        /* high-water mark of the above */
  uint64_t memory_bytes;      /* sum of linear memory sizes now */
} interp_stats;
void interp_store_stats(const interp_store *store, interp_stats *out);

/* ---- modules ---- */

typedef enum interp_externkind {
  INTERP_EXTERN_FUNC = 0,
  INTERP_EXTERN_TABLE = 1,
  INTERP_EXTERN_MEMORY = 2,
  INTERP_EXTERN_GLOBAL = 3
} interp_externkind;

typedef struct interp_functype {
  uint32_t nparams, nresults;
  const interp_valtype *params;
  const interp_valtype *results;
} interp_functype;

typedef struct interp_limits {
  uint32_t min;
  uint32_t max;
  int has_max;
} interp_limits;

/* The type of an import or export. */
typedef struct interp_externtype {
  interp_externkind kind;
  interp_functype func;                              /* FUNC */
  struct { interp_valtype elem; interp_limits limits; } table;  /* TABLE */
  interp_limits memory;                              /* MEMORY (pages) */
  struct { interp_valtype type; int mutable_; } global;        /* GLOBAL */
} interp_externtype;

/* Names are byte strings: they may hold NUL, so lengths travel with them. */
typedef struct interp_import_desc {
  const char *module; size_t module_len;
  const char *name;   size_t name_len;
  interp_externtype type;
} interp_import_desc;

typedef struct interp_export_desc {
  const char *name; size_t name_len;
  interp_externtype type;
} interp_export_desc;

/* Decode and validate, every body included: a module that loads is valid
** throughout. Each body is compiled when it is first called (from the
** host, a start function or other code), unless the store's config says
** compile_eagerly. The bytes are copied where needed; the caller may free
** them after the call. */
interp_status interp_module_load(interp_store *store, const uint8_t *bytes,
                                 size_t len, interp_module **out,
                                 interp_error *err);

/* interp_module_load without the copy, for bytes that are anyway held for
** longer (a sealed mapping, static data): the module reads them in place,
** so they must stay readable and unchanged until the store is freed.
** Bytes that change after the call could make validated code invalid. */
interp_status interp_module_load_static(interp_store *store,
                                        const uint8_t *bytes, size_t len,
                                        interp_module **out,
                                        interp_error *err);

/* Compile up to max bodies not compiled yet, in order, each as its first
** call would: for a host that has time to spare now (a zygote between
** forks) and calls to serve later. *left says how many remain to look
** at; a body that cannot be compiled (INTERP_NOMEM, err says which) is
** passed over, and its first call tries again. */
interp_status interp_module_compile_some(interp_module *module, uint32_t max,
                                         uint32_t *left, interp_error *err);

/* The payload of the first custom section named name (name_len bytes),
** pointing into the module (valid while the store lives): INTERP_OK, or
** INTERP_NOT_FOUND when there is none. Found by walking the module's
** bytes again, so a lookup costs one pass over its section headers. */
interp_status interp_module_custom_section(const interp_module *m,
                                           const char *name, size_t name_len,
                                           const uint8_t **data, size_t *len);

/* Whether instantiating runs code of the module (it has a start function). */
bool interp_module_has_start(const interp_module *m);
uint32_t interp_module_import_count(const interp_module *m);
void interp_module_import(const interp_module *m, uint32_t i,
                          interp_import_desc *out);
uint32_t interp_module_export_count(const interp_module *m);
void interp_module_export(const interp_module *m, uint32_t i,
                          interp_export_desc *out);

/* ---- runtime objects ---- */

typedef struct interp_extern {
  interp_externkind kind;
  union {
    interp_func *func;
    interp_table *table;
    interp_memory *memory;
    interp_global *global;
  } of;
} interp_extern;

/* Implementation limits (the same as V8's): a module with more imports or
** exports is malformed ("too many imports", "too many exports"). They keep
** a description of any module, and any call's results, bounded. */
#define INTERP_MAX_IMPORTS 100000u
#define INTERP_MAX_EXPORTS 100000u
/* ... and a function type with more parameters or results is invalid
** ("type N has more than 1000 parameters or results"). */
#define INTERP_MAX_PARAMS 1000u
#define INTERP_MAX_RESULTS 1000u

/* Fuel: one unit per Wasm instruction, and for bulk work (memory.fill,
** memory.copy, memory.init, host calls that copy) one more per this many
** bytes, charged before the work. Table bulk ops charge one per 8
** elements (8-byte slots: the same bytes); memory.grow charges the
** bytes it zeroes. docs/interp.md, "Fuel", says why these numbers. */
#define INTERP_FUEL_BULK_BYTES 64

/* Host functions. 'caller' gives access to the calling instance's memory.
** Return INTERP_OK, or INTERP_TRAP / INTERP_EXIT after saying why through
** interp_caller_trap / interp_caller_exit / interp_caller_charge; the call
** then unwinds. */
typedef struct interp_caller interp_caller;
typedef interp_status (*interp_host_fn)(interp_caller *caller, void *ud,
                                        const interp_value *args,
                                        interp_value *results);

interp_status interp_host_func_new(interp_store *store,
                                   const interp_functype *type,
                                   interp_host_fn fn, void *ud,
                                   interp_func **out);
/* The caller instance's memory 0, or NULL if it has none. */
interp_memory *interp_caller_memory(interp_caller *caller);
/* The calling instance, or NULL when the host function was invoked
** directly (interp_call). A host function may call back into it
** (interp_call of one of its exports): such nesting is bounded. */
interp_instance *interp_caller_instance(interp_caller *caller);
interp_status interp_caller_trap(interp_caller *caller, const char *message);
interp_status interp_caller_exit(interp_caller *caller, int32_t code);
/* Charge 'fuel' units for work the host function is about to do on the
** guest's behalf (copies, per-item checks), before doing it. INTERP_OK,
** or INTERP_TRAP when the budget cannot pay: the fuel left is then 0 and
** the host function should return that status as it is, without doing
** the work; the call ends as INTERP_TRAP_OUT_OF_FUEL. */
interp_status interp_caller_charge(interp_caller *caller, uint64_t fuel);

interp_status interp_memory_new(interp_store *store, interp_limits limits,
                                interp_memory **out);
uint8_t *interp_memory_data(interp_memory *mem);
uint64_t interp_memory_size(const interp_memory *mem);   /* in bytes */
/* Grow mem by delta pages from the host's side, as memory.grow would:
** within its declared maximum, the store's max_memory_pages and its byte
** budget, the new pages zeroed, no fuel charged. INTERP_OK with the old
** size in pages in *old_pages (may be NULL); INTERP_NOMEM when it cannot
** grow (mem is then unchanged); INTERP_BAD_ARGS when mem is not the
** store's. Pointers from interp_memory_data are stale after a grow. */
interp_status interp_memory_grow(interp_store *store, interp_memory *mem,
                                 uint32_t delta, uint32_t *old_pages);

interp_status interp_table_new(interp_store *store, interp_valtype elem,
                               interp_limits limits, interp_table **out);
interp_status interp_global_new(interp_store *store, interp_value init,
                                int mutable_, interp_global **out);
interp_value interp_global_get(const interp_global *g);

/* Type of an extern, as an import would see it. */
void interp_extern_type(const interp_extern *ext, interp_externtype *out);

/* ---- instances ---- */

/* Called once per import, in order; fill *out or return a status other than
** INTERP_OK to refuse (instantiation then fails as INTERP_UNLINKABLE). The
** interpreter checks the extern's type against the import itself. */
typedef interp_status (*interp_resolve_fn)(void *ud,
                                           const interp_import_desc *imp,
                                           interp_extern *out);

interp_status interp_instantiate(interp_store *store, const interp_module *m,
                                 interp_resolve_fn resolve, void *ud,
                                 interp_instance **out, interp_error *err);

interp_status interp_instance_export(const interp_instance *inst,
                                     const char *name, size_t name_len,
                                     interp_extern *out);

/* Type of a function, valid as long as the store lives. */
void interp_func_type(const interp_func *f, interp_functype *out);

/* Invoke f. args must match its parameter types; results has room for its
** results. On INTERP_TRAP the store stays usable: later calls may run. So
** it does on INTERP_NOMEM, which may come from compiling a body the call
** reached for the first time ("out of memory compiling function N"). */
interp_status interp_call(interp_store *store, interp_func *f,
                          const interp_value *args, uint32_t nargs,
                          interp_value *results, uint32_t nresults,
                          interp_error *err);

#endif
