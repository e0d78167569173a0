/*
** module.h: the decoded form of a module, shared by the decoder (which
** fills it), the validator (which checks it), the compiler (which turns each
** body into internal code) and instantiation (which reads everything else).
**
** Index spaces follow the spec: imports come first in the function, table,
** memory and global spaces, then the module's own definitions. Names and
** code point into 'bytes', the module's private copy of its binary.
*/
#ifndef PLUGSUP_INTERP_MODULE_H
#define PLUGSUP_INTERP_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "interp.h"

typedef struct mod_name {
  const char *bytes;   /* not NUL-terminated; may contain NUL */
  uint32_t len;
} mod_name;

/* Frame slots (8 bytes each) a value of binary type t takes: a v128 two,
** every other value one (docs/interp.md, "v128 in the slot machine"). */
static inline uint8_t mod_slots(uint8_t t) { return t == INTERP_V128 ? 2 : 1; }

typedef struct mod_functype {
  uint32_t nparams, nresults;
  uint8_t *types;      /* nparams params then nresults results (valtypes) */
} mod_functype;

typedef struct mod_limits {
  uint32_t min, max;
  bool has_max;
} mod_limits;

typedef struct mod_tabletype {
  uint8_t elem;        /* INTERP_FUNCREF or INTERP_EXTERNREF */
  mod_limits limits;
} mod_tabletype;

typedef struct mod_globaltype {
  uint8_t type;        /* valtype */
  bool mutable_;
} mod_globaltype;

/* A constant expression. Wasm 2.0 allows exactly one instruction before
** 'end': t.const (v128.const included), ref.null, ref.func or global.get. */
typedef struct mod_constexpr {
  uint8_t op;          /* OP_I32_CONST ... OP_F64_CONST, OP_REF_NULL,
                          OP_REF_FUNC, OP_GLOBAL_GET, OP_PREFIX_FD for
                          v128.const */
  uint8_t type;        /* the value type it produces */
  uint64_t value;      /* const bits, or the function/global index */
  uint64_t value_hi;   /* v128.const: bytes 8..15 (value has 0..7) */
  size_t expr;         /* offset of the expression in 'bytes', where the
                          validator re-reads it; 0 for an element item given
                          as a bare function index (added by the front end:
                          op/type/value describe only one-instruction
                          expressions, and validation rejects the others) */
} mod_constexpr;

typedef struct mod_import {
  mod_name module, name;
  interp_externkind kind;
  union {
    uint32_t func;     /* type index */
    mod_tabletype table;
    mod_limits memory;
    mod_globaltype global;
  } of;
} mod_import;

typedef struct mod_export {
  mod_name name;
  interp_externkind kind;
  uint32_t index;
} mod_export;

typedef struct mod_global {
  mod_globaltype type;
  mod_constexpr init;
} mod_global;

typedef enum mod_segmode {
  MOD_SEG_ACTIVE,
  MOD_SEG_PASSIVE,
  MOD_SEG_DECLARATIVE  /* element segments only */
} mod_segmode;

typedef struct mod_elem {
  mod_segmode mode;
  uint8_t type;        /* reference type of the items */
  uint32_t table;      /* active only */
  mod_constexpr offset;/* active only */
  uint32_t count;
  mod_constexpr *items;/* each a ref.func or ref.null (or global.get) */
} mod_elem;

typedef struct mod_data {
  mod_segmode mode;
  uint32_t memory;     /* active only */
  mod_constexpr offset;/* active only */
  const uint8_t *bytes;
  uint32_t len;
} mod_data;

struct compiled_func;  /* owned by compile.c */

typedef struct mod_func {
  uint32_t type;           /* type index */
  uint32_t nlocals;        /* declared locals, params excluded */
  uint8_t *local_types;    /* nlocals valtypes */
  const uint8_t *code;     /* the body's instructions, after the locals */
  size_t code_len;         /* up to and including the final 'end' */
  size_t code_offset;      /* offset of 'code' in the binary, for messages */
  struct compiled_func *compiled;
} mod_func;

struct interp_module {
  ialloc *alloc;

  const uint8_t *bytes;    /* its binary: the module's own copy, or the
                              caller's (interp_module_load_static) */
  size_t len;

  mod_functype *types;     uint32_t ntypes;
  mod_import *imports;     uint32_t nimports;

  /* Whole index spaces, imports first. */
  uint32_t *func_types;    uint32_t nfuncs;   /* type index per function */
  uint32_t nimported_funcs;
  uint32_t compile_next;   /* interp_module_compile_some: bodies before
                              this one are compiled or were tried */
  mod_func *funcs;         /* nfuncs - nimported_funcs defined bodies */
  mod_tabletype *tables;   uint32_t ntables;  uint32_t nimported_tables;
  mod_limits *memories;    uint32_t nmemories; uint32_t nimported_memories;
  mod_globaltype *global_types; uint32_t nglobals; uint32_t nimported_globals;
  mod_global *globals;     /* nglobals - nimported_globals definitions */

  mod_export *exports;     uint32_t nexports;
  bool has_start;          uint32_t start;
  mod_elem *elems;         uint32_t nelems;
  mod_data *datas;         uint32_t ndatas;
  bool has_datacount;      uint32_t datacount;

  /* Functions that may be named by ref.func in bodies: those in element
  ** segments, exports and global initialisers (set by the decoder,
  ** nfuncs bits). */
  uint8_t *declared_funcs;

  /* From the 'name' section when present; NULL entries where absent. */
  mod_name *func_names;    /* nfuncs entries, or NULL */
};

/* How far the decoder reads function bodies. MOD_SCAN reads every
** instruction, as the spec's decoder does. MOD_SKIM only notes where each
** body's code lies and leaves its instructions to the validator, which
** reads them anyway: one pass instead of two. A module that fails either
** way is decoded again with MOD_SCAN (mod_first_error), since the spec
** reports a malformed body before anything the validator finds. */
typedef enum mod_depth { MOD_SKIM, MOD_SCAN } mod_depth;

/* Decode 'len' bytes into m (zeroed by the caller, alloc set). m keeps
** pointers into 'bytes', which must outlive it unchanged. On failure
** returns INTERP_MALFORMED with err filled in; m is then freed with
** mod_free. */
interp_status mod_decode(interp_module *m, const uint8_t *bytes, size_t len,
                         mod_depth depth, interp_error *err);

/* After a MOD_SKIM decode or the validation that follows failed with
** 'status' (MALFORMED or INVALID) and 'err': the error the spec's order
** gives, the first malformed part of 'bytes' if a MOD_SCAN decode finds
** one. Returns the status to report, err updated to match. */
interp_status mod_first_error(ialloc *a, const uint8_t *bytes, size_t len,
                              interp_status status, interp_error *err);

/* Check every rule of the validation chapter. INTERP_INVALID on failure. */
interp_status mod_validate(const interp_module *m, interp_error *err);

/* Free everything the decoder allocated for m; safe on partial modules.
** Compiled code is the compiler's to free (compile_free) beforehand. */
void mod_free(interp_module *m);

#endif
