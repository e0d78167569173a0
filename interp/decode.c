/*
** decode.c: the binary format, from bytes to the module model of module.h.
**
** The decoder says MALFORMED for everything the spec's binary grammar
** rejects, with the spec suite's wording; typing and index rules are left to
** validate.c. It reads the way the spec's reference decoder does: one
** stream over the whole module, where a section or a function body that
** claims fewer bytes than its contents need is caught afterwards as
** "section size mismatch" rather than cut short. That is what makes, for
** instance, a body without its final 'end' read into the next body and fail
** with "END opcode expected", as the spec suite expects.
**
** Hostile input: no allocation is sized by a count larger than the bytes
** left to read (each item takes at least one byte), expressions are scanned
** with an explicit stack, and every size is checked before it is used.
*/
#include <string.h>

#include "error.h"
#include "module.h"
#include "reader.h"

/* Implementation limits on declared locals: per function (as the major
** engines) and per module, so a small module cannot make the decoder
** allocate gigabytes of local types. */
#define MAX_FUNC_LOCALS 50000u
#define MAX_MODULE_LOCALS (1u << 24)

enum section_id {
  SEC_CUSTOM = 0, SEC_TYPE, SEC_IMPORT, SEC_FUNC, SEC_TABLE, SEC_MEMORY,
  SEC_GLOBAL, SEC_EXPORT, SEC_START, SEC_ELEM, SEC_CODE, SEC_DATA,
  SEC_DATACOUNT, SEC_LAST = SEC_DATACOUNT
};

typedef struct dec {
  interp_module *m;
  reader r;
  interp_error *err;
  int last_rank;             /* order of the last non-custom section */
  bool spaces_open;          /* imported entries placed in the index spaces */
  uint32_t ndeclared;        /* entries of the function section */
  uint32_t ncodes;           /* entries of the code section */
  uint64_t total_locals;
  uint8_t *blocks;           /* kinds of the open blocks while scanning */
  size_t blocks_cap;
  size_t names_at, names_len;/* payload of the 'name' section, if any */
  bool has_names;
  bool has_data_section;
  bool uses_data_index;      /* a body has memory.init or data.drop ... */
  size_t data_index_at;      /* ... first at this offset */
  mod_depth depth;
} dec;

static bool fail_nomem(dec *d) {
  ialloc_fail(d->m->alloc, d->err, "while decoding the module");
  return false;
}

static bool fail_at(dec *d, size_t offset, const char *msg) {
  return rd_fail_at(&d->r, offset, msg);
}

/* Room for 'count' items of 'size' bytes. Every item of a vector takes at
** least one byte, so a count beyond the bytes left cannot be honest: the
** allocation stops there and the reading fails on its own, with the same
** message the spec's decoder gives. */
static bool alloc_items(dec *d, uint32_t count, size_t size, void **out,
                        uint32_t *cap) {
  size_t left = rd_left(&d->r);
  uint32_t n = count <= left ? count : (uint32_t)left;
  *out = NULL;
  *cap = n;
  if (n == 0)
    return true;
  *out = ialloc_array(d->m->alloc, n, size);
  if (*out == NULL) {
    *cap = 0;
    return fail_nomem(d);
  }
  return true;
}

/* Entries of a space defined by the module itself. A module that failed
** inside its import section counted imports it never placed. */
static uint32_t defined(uint32_t n, uint32_t nimported) {
  return n > nimported ? n - nimported : 0;
}

/* Item i of a vector allocated with room for 'cap' items. Unreachable while
** items take a byte each; kept so that no write can pass the allocation. */
static bool vec_room(dec *d, uint32_t i, uint32_t cap) {
  return i < cap || rd_fail(&d->r, RD_EOF_MESSAGE);
}

/* ---- names ---- */

static size_t utf8_sequence_length(const uint8_t *p, size_t left) {
  uint8_t b = p[0];
  uint8_t lo = 0x80, hi = 0xbf;
  size_t n;
  if (b < 0x80)
    return 1;
  if (b >= 0xc2 && b <= 0xdf)
    n = 2;
  else if (b >= 0xe0 && b <= 0xef)
    n = 3;
  else if (b >= 0xf0 && b <= 0xf4)
    n = 4;
  else
    return 0;
  /* Overlong forms, surrogates and code points above U+10FFFF are ruled
  ** out by the range of the second byte. */
  if (b == 0xe0)
    lo = 0xa0;
  else if (b == 0xed)
    hi = 0x9f;
  else if (b == 0xf0)
    lo = 0x90;
  else if (b == 0xf4)
    hi = 0x8f;
  if (n > left || p[1] < lo || p[1] > hi)
    return 0;
  for (size_t i = 2; i < n; i++)
    if (p[i] < 0x80 || p[i] > 0xbf)
      return 0;
  return n;
}

static bool utf8_valid(const uint8_t *p, size_t len) {
  size_t i = 0;
  while (i < len) {
    size_t n = utf8_sequence_length(p + i, len - i);
    if (n == 0)
      return false;
    i += n;
  }
  return true;
}

/* A name: a length, then that many bytes of UTF-8. Works on any reader, so
** the lenient 'name' section parser shares it. */
static bool read_name(reader *r, mod_name *out) {
  uint32_t len;
  const uint8_t *p;
  size_t at = rd_offset(r);
  if (!rd_len(r, &len) || !rd_bytes(r, len, &p))
    return false;
  if (!utf8_valid(p, len))
    return rd_fail_at(r, at, "malformed UTF-8 encoding");
  out->bytes = (const char *)p;
  out->len = len;
  return true;
}

/* ---- types ---- */

static bool read_limits(dec *d, mod_limits *out) {
  uint64_t flag;
  if (!rd_uleb(&d->r, 1, &flag) || !rd_u32(&d->r, &out->min))
    return false;
  out->has_max = flag == 1;
  out->max = 0;
  return !out->has_max || rd_u32(&d->r, &out->max);
}

static bool read_tabletype(dec *d, mod_tabletype *out) {
  return rd_reftype(&d->r, &out->elem) && read_limits(d, &out->limits);
}

static bool read_globaltype(dec *d, mod_globaltype *out) {
  uint8_t mut;
  if (!rd_valtype(&d->r, &out->type) || !rd_u8(&d->r, &mut))
    return false;
  if (mut > 1)
    return fail_at(d, rd_offset(&d->r) - 1, "malformed mutability");
  out->mutable_ = mut == 1;
  return true;
}

/* A vector of valtypes, one byte each: checked here, copied by the caller. */
static bool read_valtypes(dec *d, uint32_t *n, const uint8_t **at) {
  uint8_t t;
  if (!rd_u32(&d->r, n))
    return false;
  *at = d->r.pos;
  for (uint32_t i = 0; i < *n; i++)
    if (!rd_valtype(&d->r, &t))
      return false;
  return true;
}

static bool read_functype(dec *d, mod_functype *out) {
  uint8_t form;
  uint32_t np, nr;
  const uint8_t *params, *results;
  if (!rd_u8(&d->r, &form))
    return false;
  if (form != 0x60) {
    /* The form is a one-byte signed LEB128 in the spec's grammar. */
    if (form & 0x80)
      return rd_fail(&d->r, "integer representation too long");
    return fail_at(d, rd_offset(&d->r) - 1, "malformed function type");
  }
  if (!read_valtypes(d, &np, &params) || !read_valtypes(d, &nr, &results))
    return false;
  if (np + (uint64_t)nr == 0)
    return true;
  out->types = ialloc_malloc(d->m->alloc, (size_t)np + nr);
  if (out->types == NULL)
    return fail_nomem(d);
  memcpy(out->types, params, np);
  memcpy(out->types + np, results, nr);
  out->nparams = np;
  out->nresults = nr;
  return true;
}

static bool decode_types(dec *d) {
  uint32_t n;
  interp_module *m = d->m;
  if (!rd_u32(&d->r, &n) ||
      !alloc_items(d, n, sizeof *m->types, (void **)&m->types, &m->ntypes))
    return false;
  for (uint32_t i = 0; i < n; i++)
    if (!vec_room(d, i, m->ntypes) || !read_functype(d, &m->types[i]))
      return false;
  return true;
}

/* ---- imports and index spaces ---- */

static bool read_import_desc(dec *d, mod_import *imp) {
  uint8_t kind;
  if (!rd_u8(&d->r, &kind))
    return false;
  imp->kind = (interp_externkind)kind;
  switch (kind) {
  case INTERP_EXTERN_FUNC:
    d->m->nimported_funcs++;
    return rd_u32(&d->r, &imp->of.func);
  case INTERP_EXTERN_TABLE:
    d->m->nimported_tables++;
    return read_tabletype(d, &imp->of.table);
  case INTERP_EXTERN_MEMORY:
    d->m->nimported_memories++;
    return read_limits(d, &imp->of.memory);
  case INTERP_EXTERN_GLOBAL:
    d->m->nimported_globals++;
    return read_globaltype(d, &imp->of.global);
  default:
    return fail_at(d, rd_offset(&d->r) - 1, "malformed import kind");
  }
}

static bool decode_imports(dec *d) {
  uint32_t n;
  interp_module *m = d->m;
  if (!rd_u32(&d->r, &n))
    return false;
  if (n > INTERP_MAX_IMPORTS)
    return fail_at(d, rd_offset(&d->r), "too many imports");
  if (!alloc_items(d, n, sizeof *m->imports, (void **)&m->imports,
                   &m->nimports))
    return false;
  for (uint32_t i = 0; i < n; i++) {
    if (!vec_room(d, i, m->nimports))
      return false;
    mod_import *imp = &m->imports[i];
    if (!read_name(&d->r, &imp->module) || !read_name(&d->r, &imp->name) ||
        !read_import_desc(d, imp))
      return false;
  }
  return true;
}

/* Grow an index space from *n to *n + more entries of 'size' bytes. */
static bool grow_space(dec *d, void **p, uint32_t *n, uint32_t more,
                       size_t size) {
  if (more == 0)
    return true;
  if (more > UINT32_MAX - *n)
    return fail_at(d, rd_offset(&d->r), "too many definitions");
  void *q = ialloc_grow(d->m->alloc, *p, *n, (size_t)*n + more, size);
  if (q == NULL)
    return fail_nomem(d);
  *p = q;
  *n += more;
  return true;
}

static void place_import(interp_module *m, const mod_import *imp,
                         uint32_t *f, uint32_t *t, uint32_t *mem,
                         uint32_t *g) {
  switch (imp->kind) {
  case INTERP_EXTERN_FUNC: m->func_types[(*f)++] = imp->of.func; break;
  case INTERP_EXTERN_TABLE: m->tables[(*t)++] = imp->of.table; break;
  case INTERP_EXTERN_MEMORY: m->memories[(*mem)++] = imp->of.memory; break;
  case INTERP_EXTERN_GLOBAL: m->global_types[(*g)++] = imp->of.global; break;
  }
}

/* Start the four index spaces with the imported entries, once the import
** section (if any) is behind us. */
static bool open_spaces(dec *d) {
  interp_module *m = d->m;
  if (d->spaces_open)
    return true;
  d->spaces_open = true;
  if (!grow_space(d, (void **)&m->func_types, &m->nfuncs, m->nimported_funcs,
                  sizeof *m->func_types) ||
      !grow_space(d, (void **)&m->tables, &m->ntables, m->nimported_tables,
                  sizeof *m->tables) ||
      !grow_space(d, (void **)&m->memories, &m->nmemories,
                  m->nimported_memories, sizeof *m->memories) ||
      !grow_space(d, (void **)&m->global_types, &m->nglobals,
                  m->nimported_globals, sizeof *m->global_types))
    return false;
  uint32_t f = 0, t = 0, mem = 0, g = 0;
  for (uint32_t i = 0; i < m->nimports; i++)
    place_import(m, &m->imports[i], &f, &t, &mem, &g);
  return true;
}

/* ---- definitions ---- */

/* Room for 'count' more entries of an index space, capped like
** alloc_items; returns the index of the first new entry in *first. */
static bool grow_space_for(dec *d, void **p, uint32_t *n, uint32_t count,
                           size_t size, uint32_t *first) {
  size_t left = rd_left(&d->r);
  *first = *n;
  return grow_space(d, p, n, count <= left ? count : (uint32_t)left, size);
}

/* The function section: type indices into the function space, and the
** (still empty) bodies they will pair with. There is one such section, so
** 'funcs' is new here and has as many entries as the space gained. */
static bool decode_funcs(dec *d) {
  interp_module *m = d->m;
  uint32_t n, first, cap;
  if (!rd_u32(&d->r, &n) ||
      !alloc_items(d, n, sizeof *m->funcs, (void **)&m->funcs, &cap))
    return false;
  if (!grow_space(d, (void **)&m->func_types, &m->nfuncs, cap,
                  sizeof *m->func_types)) {
    ialloc_free_array(m->alloc, m->funcs, cap, sizeof *m->funcs);
    m->funcs = NULL;
    return false;
  }
  first = m->nfuncs - cap;
  for (uint32_t i = 0; i < n; i++)
    if (!vec_room(d, i, cap) || !rd_u32(&d->r, &m->func_types[first + i]))
      return false;
  d->ndeclared = n;
  return true;
}

static bool decode_tables(dec *d) {
  interp_module *m = d->m;
  uint32_t n, first;
  if (!rd_u32(&d->r, &n) ||
      !grow_space_for(d, (void **)&m->tables, &m->ntables, n,
                      sizeof *m->tables, &first))
    return false;
  for (uint32_t i = 0; i < n; i++)
    if (!vec_room(d, first + i, m->ntables) ||
        !read_tabletype(d, &m->tables[first + i]))
      return false;
  return true;
}

static bool decode_memories(dec *d) {
  interp_module *m = d->m;
  uint32_t n, first;
  if (!rd_u32(&d->r, &n) ||
      !grow_space_for(d, (void **)&m->memories, &m->nmemories, n,
                      sizeof *m->memories, &first))
    return false;
  for (uint32_t i = 0; i < n; i++)
    if (!vec_room(d, first + i, m->nmemories) ||
        !read_limits(d, &m->memories[first + i]))
      return false;
  return true;
}

/* ---- expressions ---- */

static bool push_block(dec *d, size_t depth, uint8_t op) {
  if (depth == d->blocks_cap) {
    size_t cap = d->blocks_cap ? d->blocks_cap * 2 : 64;
    uint8_t *b = ialloc_grow(d->m->alloc, d->blocks, d->blocks_cap, cap, 1);
    if (b == NULL)
      return fail_nomem(d);
    d->blocks = b;
    d->blocks_cap = cap;
  }
  d->blocks[depth] = op;
  return true;
}

static bool needs_datacount(const rd_insn *in) {
  return in->op == OP_PREFIX_FC &&
         (in->fc == OPFC_MEMORY_INIT || in->fc == OPFC_DATA_DROP);
}

/* Read instructions up to the 'end' that closes the expression, checking
** their encoding and nesting. *first and *count describe what was read
** (the closing 'end' excluded), for constant expressions. */
static bool scan_expr(dec *d, bool body, rd_insn *first, uint32_t *count) {
  size_t depth = 0;
  rd_insn in;
  *count = 0;
  for (;;) {
    if (!rd_insn_next(&d->r, &in))
      return false;
    if (in.op == OP_END && depth == 0)
      return true;
    if (*count == 0)
      *first = in;
    if (*count < UINT32_MAX)
      (*count)++;
    switch (in.op) {
    case OP_BLOCK: case OP_LOOP: case OP_IF:
      if (!push_block(d, depth++, in.op))
        return false;
      break;
    case OP_ELSE:
      if (depth == 0 || d->blocks[depth - 1] != OP_IF)
        return fail_at(d, in.offset, "END opcode expected");
      d->blocks[depth - 1] = OP_ELSE;
      break;
    case OP_END:
      depth--;
      break;
    default:
      if (body && needs_datacount(&in) && !d->uses_data_index) {
        d->uses_data_index = true;
        d->data_index_at = in.offset;
      }
      break;
    }
  }
}

static uint8_t const_type(const dec *d, const rd_insn *in) {
  switch (in->op) {
  case OP_I32_CONST: return INTERP_I32;
  case OP_I64_CONST: return INTERP_I64;
  case OP_F32_CONST: return INTERP_F32;
  case OP_F64_CONST: return INTERP_F64;
  case OP_REF_NULL: return (uint8_t)in->x;
  case OP_REF_FUNC: return INTERP_FUNCREF;
  case OP_PREFIX_FD: return in->fc == OPFD_V128_CONST ? INTERP_V128 : 0;
  case OP_GLOBAL_GET:
    return in->x < d->m->nimported_globals ? d->m->global_types[in->x].type
                                           : 0;
  default: return 0;
  }
}

/* A constant expression: remembered by offset for the validator, and in
** its one-instruction form for everyone else. */
static bool read_constexpr(dec *d, mod_constexpr *c) {
  rd_insn first;
  uint32_t n;
  c->expr = rd_offset(&d->r);
  if (!scan_expr(d, false, &first, &n))
    return false;
  if (n == 1) {
    c->op = first.op;
    c->type = const_type(d, &first);
    c->value = first.imm == IMM_I32 || first.imm == IMM_I64 ||
                       first.imm == IMM_F32 || first.imm == IMM_F64
                   ? first.bits
                   : first.x;
    if (first.imm == IMM_V128) {
      memcpy(&c->value, first.vec, 8);
      memcpy(&c->value_hi, first.vec + 8, 8);
    }
  }
  return true;
}

/* As the function section: one section, so 'globals' is new here. */
static bool decode_globals(dec *d) {
  interp_module *m = d->m;
  uint32_t n, cap;
  if (!rd_u32(&d->r, &n) ||
      !alloc_items(d, n, sizeof *m->globals, (void **)&m->globals, &cap))
    return false;
  if (!grow_space(d, (void **)&m->global_types, &m->nglobals, cap,
                  sizeof *m->global_types)) {
    ialloc_free_array(m->alloc, m->globals, cap, sizeof *m->globals);
    m->globals = NULL;
    return false;
  }
  uint32_t first = m->nglobals - cap;
  for (uint32_t i = 0; i < n; i++) {
    if (!vec_room(d, i, cap))
      return false;
    mod_global *g = &m->globals[i];
    if (!read_globaltype(d, &g->type) || !read_constexpr(d, &g->init))
      return false;
    m->global_types[first + i] = g->type;
  }
  return true;
}

/* ---- exports and start ---- */

static bool decode_exports(dec *d) {
  interp_module *m = d->m;
  uint32_t n;
  uint8_t kind;
  if (!rd_u32(&d->r, &n))
    return false;
  if (n > INTERP_MAX_EXPORTS)
    return fail_at(d, rd_offset(&d->r), "too many exports");
  if (!alloc_items(d, n, sizeof *m->exports, (void **)&m->exports,
                   &m->nexports))
    return false;
  for (uint32_t i = 0; i < n; i++) {
    if (!vec_room(d, i, m->nexports))
      return false;
    mod_export *e = &m->exports[i];
    if (!read_name(&d->r, &e->name) || !rd_u8(&d->r, &kind))
      return false;
    if (kind > INTERP_EXTERN_GLOBAL)
      return fail_at(d, rd_offset(&d->r) - 1, "malformed export kind");
    e->kind = (interp_externkind)kind;
    if (!rd_u32(&d->r, &e->index))
      return false;
  }
  return true;
}

static bool decode_start(dec *d) {
  d->m->has_start = true;
  return rd_u32(&d->r, &d->m->start);
}

/* ---- element and data segments ---- */

/* Flags of an element segment (0..7): bit 0 passive or declarative, bit 1
** explicit table (active) or declarative, bit 2 items are expressions. */
enum { ELEM_NOT_ACTIVE = 1, ELEM_EXPLICIT = 2, ELEM_EXPRS = 4 };

static bool read_elem_head(dec *d, uint32_t flags, mod_elem *e) {
  e->type = INTERP_FUNCREF;
  if (flags & ELEM_NOT_ACTIVE)
    e->mode = flags & ELEM_EXPLICIT ? MOD_SEG_DECLARATIVE : MOD_SEG_PASSIVE;
  else if ((flags & ELEM_EXPLICIT) && !rd_u32(&d->r, &e->table))
    return false;
  if (e->mode == MOD_SEG_ACTIVE && !read_constexpr(d, &e->offset))
    return false;
  if (!(flags & (ELEM_NOT_ACTIVE | ELEM_EXPLICIT)))
    return true;
  if (flags & ELEM_EXPRS)
    return rd_reftype(&d->r, &e->type);
  uint8_t kind;
  if (!rd_u8(&d->r, &kind))
    return false;
  return kind == 0 || fail_at(d, rd_offset(&d->r) - 1,
                              "malformed element kind");
}

static bool read_elem_item(dec *d, bool expr, mod_constexpr *c) {
  uint32_t f;
  if (expr)
    return read_constexpr(d, c);
  if (!rd_u32(&d->r, &f))
    return false;
  c->op = OP_REF_FUNC;
  c->type = INTERP_FUNCREF;
  c->value = f;
  c->expr = 0;
  return true;
}

static bool read_elem(dec *d, mod_elem *e) {
  uint32_t flags, n;
  size_t at = rd_offset(&d->r);
  if (!rd_u32(&d->r, &flags))
    return false;
  if (flags > 7)
    return fail_at(d, at, "malformed elements segment kind");
  if (!read_elem_head(d, flags, e) || !rd_u32(&d->r, &n) ||
      !alloc_items(d, n, sizeof *e->items, (void **)&e->items, &e->count))
    return false;
  for (uint32_t i = 0; i < n; i++)
    if (!vec_room(d, i, e->count) ||
        !read_elem_item(d, flags & ELEM_EXPRS, &e->items[i]))
      return false;
  return true;
}

static bool decode_elems(dec *d) {
  interp_module *m = d->m;
  uint32_t n;
  if (!rd_u32(&d->r, &n) ||
      !alloc_items(d, n, sizeof *m->elems, (void **)&m->elems, &m->nelems))
    return false;
  for (uint32_t i = 0; i < n; i++)
    if (!vec_room(d, i, m->nelems) || !read_elem(d, &m->elems[i]))
      return false;
  return true;
}

static bool read_data(dec *d, mod_data *s) {
  uint32_t flags;
  size_t at = rd_offset(&d->r);
  if (!rd_u32(&d->r, &flags))
    return false;
  if (flags > 2)
    return fail_at(d, at, "malformed data segment kind");
  s->mode = flags == 1 ? MOD_SEG_PASSIVE : MOD_SEG_ACTIVE;
  if (flags == 2 && !rd_u32(&d->r, &s->memory))
    return false;
  if (s->mode == MOD_SEG_ACTIVE && !read_constexpr(d, &s->offset))
    return false;
  return rd_u32(&d->r, &s->len) && rd_bytes(&d->r, s->len, &s->bytes);
}

static bool decode_datas(dec *d) {
  interp_module *m = d->m;
  uint32_t n;
  d->has_data_section = true;
  if (!rd_u32(&d->r, &n) ||
      !alloc_items(d, n, sizeof *m->datas, (void **)&m->datas, &m->ndatas))
    return false;
  for (uint32_t i = 0; i < n; i++)
    if (!vec_room(d, i, m->ndatas) || !read_data(d, &m->datas[i]))
      return false;
  return true;
}

static bool decode_datacount(dec *d) {
  d->m->has_datacount = true;
  return rd_u32(&d->r, &d->m->datacount);
}

/* ---- code ---- */

/* Count the locals of a body (first pass: the groups are re-read to fill
** the types once the total is known to be sane). */
static bool count_locals(dec *d, uint32_t *ngroups, uint32_t *nlocals) {
  size_t at = rd_offset(&d->r);
  uint64_t total = 0;
  uint32_t n;
  uint8_t t;
  if (!rd_u32(&d->r, ngroups))
    return false;
  for (uint32_t i = 0; i < *ngroups; i++) {
    if (!rd_u32(&d->r, &n) || !rd_valtype(&d->r, &t))
      return false;
    total += n;
  }
  if (total > MAX_FUNC_LOCALS ||
      d->total_locals + total > MAX_MODULE_LOCALS)
    return fail_at(d, at, "too many locals");
  d->total_locals += total;
  *nlocals = (uint32_t)total;
  return true;
}

static bool read_locals(dec *d, mod_func *f) {
  size_t at = rd_offset(&d->r);
  uint32_t ngroups, nlocals, n = 0;
  uint8_t t = 0;
  if (!count_locals(d, &ngroups, &nlocals))
    return false;
  if (nlocals == 0)
    return true;
  f->local_types = ialloc_malloc(d->m->alloc, nlocals);
  if (f->local_types == NULL)
    return fail_nomem(d);
  f->nlocals = nlocals;
  rd_seek(&d->r, at);
  rd_u32(&d->r, &ngroups);
  for (uint32_t i = 0, k = 0; i < ngroups; i++) {
    rd_u32(&d->r, &n);
    rd_valtype(&d->r, &t);
    memset(f->local_types + k, t, n);
    k += n;
  }
  return true;
}

/* A body left for the validator to read: it holds at least its 'end'. A
** body whose locals fill it has no room for one, and fails as a scan
** would. */
static bool skip_body(dec *d, mod_func *f, size_t start, size_t end) {
  if (f->code_offset >= end)
    return fail_at(d, start, "section size mismatch");
  f->code_len = end - f->code_offset;
  rd_seek(&d->r, end);
  return true;
}

static bool read_body(dec *d, mod_func *f) {
  uint32_t size;
  rd_insn first;
  uint32_t n;
  if (!rd_len(&d->r, &size))
    return false;
  size_t start = rd_offset(&d->r);
  if (!read_locals(d, f))
    return false;
  f->code_offset = rd_offset(&d->r);
  f->code = d->r.pos;
  if (d->depth == MOD_SKIM)
    return skip_body(d, f, start, start + size);
  if (!scan_expr(d, true, &first, &n))
    return false;
  f->code_len = rd_offset(&d->r) - f->code_offset;
  if (rd_offset(&d->r) != start + size)
    return fail_at(d, start, "section size mismatch");
  return true;
}

/* Bodies beyond the function section's count are still read (their errors
** come first, as in the spec's decoder); the count mismatch is reported
** once the whole module has been read. */
static bool decode_code(dec *d) {
  interp_module *m = d->m;
  uint32_t n;
  uint32_t nfuncs = m->nfuncs - m->nimported_funcs;
  if (!rd_u32(&d->r, &n))
    return false;
  for (uint32_t i = 0; i < n; i++) {
    mod_func spare = {0};
    mod_func *f = i < nfuncs ? &m->funcs[i] : &spare;
    bool ok = read_body(d, f);
    ialloc_free(m->alloc, spare.local_types, spare.nlocals);
    if (!ok)
      return false;
  }
  d->ncodes = n;
  return true;
}

/* ---- custom sections ---- */

static bool decode_custom(dec *d, size_t end) {
  reader r = d->r;
  mod_name name;
  r.end = d->r.base + end;
  if (!read_name(&r, &name))
    return false;
  if (name.len == 4 && memcmp(name.bytes, "name", 4) == 0 && !d->has_names) {
    d->has_names = true;
    d->names_at = rd_offset(&r);
    d->names_len = end - d->names_at;
  }
  rd_seek(&d->r, end);
  return true;
}

/* Custom sections are not kept: the module keeps its bytes, which the
** decoder has checked section by section, so a lookup walks them again
** when asked instead of costing every load a list of sections. */
interp_status interp_module_custom_section(const interp_module *m,
                                           const char *name, size_t name_len,
                                           const uint8_t **data, size_t *len) {
  reader r;
  if (m == NULL || (name == NULL && name_len > 0) || data == NULL || len == NULL)
    return INTERP_BAD_ARGS;
  rd_init(&r, m->bytes, m->len, NULL);
  rd_seek(&r, 8);
  while (!rd_at_end(&r)) {
    uint8_t id;
    uint32_t size;
    mod_name sec;
    reader body;
    if (!rd_u8(&r, &id) || !rd_len(&r, &size))
      break; /* cannot happen after a successful decode */
    body = r;
    body.end = r.pos + size;
    r.pos += size;
    if (id != SEC_CUSTOM || !read_name(&body, &sec) || sec.len != name_len ||
        (name_len > 0 && memcmp(sec.bytes, name, name_len) != 0))
      continue;
    *data = body.pos;
    *len = rd_left(&body);
    return INTERP_OK;
  }
  return INTERP_NOT_FOUND;
}

/* The function names subsection. Custom sections are not validated, so a
** malformed one is ignored: this reader reports nothing. */
static bool read_func_names(reader *r, interp_module *m) {
  uint32_t n, idx;
  mod_name name;
  if (!rd_u32(r, &n))
    return false;
  for (uint32_t i = 0; i < n; i++) {
    if (!rd_u32(r, &idx) || !read_name(r, &name))
      return false;
    if (idx < m->nfuncs)
      m->func_names[idx] = name;
  }
  return rd_at_end(r);
}

static bool find_func_names(dec *d, reader *sub) {
  reader r;
  rd_init(&r, d->m->bytes, d->m->len, NULL);
  rd_seek(&r, d->names_at);
  r.end = r.pos + d->names_len;
  while (!rd_at_end(&r)) {
    uint8_t id;
    uint32_t size;
    if (!rd_u8(&r, &id) || !rd_len(&r, &size))
      return false;
    if (id == 1) {
      *sub = r;
      sub->end = r.pos + size;
      return true;
    }
    r.pos += size;
  }
  return false;
}

static bool decode_names(dec *d) {
  interp_module *m = d->m;
  reader sub;
  if (!d->has_names || m->nfuncs == 0 || !find_func_names(d, &sub))
    return true;
  m->func_names = ialloc_array(m->alloc, m->nfuncs, sizeof *m->func_names);
  if (m->func_names == NULL)
    return fail_nomem(d);
  if (!read_func_names(&sub, m)) {
    ialloc_free_array(m->alloc, m->func_names, m->nfuncs,
                      sizeof *m->func_names);
    m->func_names = NULL;
  }
  return true;
}

/* ---- module ---- */

/* Position of each non-custom section in the required order (the data
** count section sits between elements and code). */
static int section_rank(uint8_t id) {
  static const int rank[SEC_LAST + 1] = {
      [SEC_TYPE] = 1,  [SEC_IMPORT] = 2,  [SEC_FUNC] = 3,   [SEC_TABLE] = 4,
      [SEC_MEMORY] = 5, [SEC_GLOBAL] = 6, [SEC_EXPORT] = 7, [SEC_START] = 8,
      [SEC_ELEM] = 9,  [SEC_DATACOUNT] = 10, [SEC_CODE] = 11, [SEC_DATA] = 12};
  return rank[id];
}

static bool decode_section_body(dec *d, uint8_t id, size_t end) {
  if (id > SEC_IMPORT && !open_spaces(d))
    return false;
  switch (id) {
  case SEC_CUSTOM: return decode_custom(d, end);
  case SEC_TYPE: return decode_types(d);
  case SEC_IMPORT: return decode_imports(d);
  case SEC_FUNC: return decode_funcs(d);
  case SEC_TABLE: return decode_tables(d);
  case SEC_MEMORY: return decode_memories(d);
  case SEC_GLOBAL: return decode_globals(d);
  case SEC_EXPORT: return decode_exports(d);
  case SEC_START: return decode_start(d);
  case SEC_ELEM: return decode_elems(d);
  case SEC_CODE: return decode_code(d);
  case SEC_DATA: return decode_datas(d);
  default: return decode_datacount(d);
  }
}

static bool decode_section(dec *d) {
  uint8_t id;
  uint32_t size;
  size_t at = rd_offset(&d->r);
  if (!rd_u8(&d->r, &id))
    return false;
  if (id > SEC_LAST)
    return fail_at(d, at, "malformed section id");
  if (id != SEC_CUSTOM) {
    if (section_rank(id) <= d->last_rank)
      return fail_at(d, at, "unexpected content after last section");
    d->last_rank = section_rank(id);
  }
  if (!rd_len(&d->r, &size))
    return false;
  size_t start = rd_offset(&d->r);
  if (!decode_section_body(d, id, start + size))
    return false;
  if (rd_offset(&d->r) != start + size)
    return fail_at(d, start, "section size mismatch");
  return true;
}

static bool decode_header(dec *d) {
  static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6d};
  static const uint8_t version[4] = {0x01, 0x00, 0x00, 0x00};
  const uint8_t *p = d->m->bytes;
  size_t len = d->m->len;
  if (len < 4)
    return fail_at(d, len, "unexpected end");
  if (memcmp(p, magic, 4) != 0)
    return fail_at(d, 0, "magic header not detected");
  if (len < 8)
    return fail_at(d, len, "unexpected end");
  if (memcmp(p + 4, version, 4) != 0)
    return fail_at(d, 4, "unknown binary version");
  rd_seek(&d->r, 8);
  return true;
}

/* Functions named by ref.func outside function bodies may be named by
** ref.func inside them too. */
static void mark_declared(interp_module *m, const mod_constexpr *c) {
  if (c->op == OP_REF_FUNC && c->value < m->nfuncs)
    m->declared_funcs[c->value / 8] |= (uint8_t)(1u << (c->value % 8));
}

static bool collect_declared_funcs(dec *d) {
  interp_module *m = d->m;
  if (m->nfuncs == 0)
    return true;
  m->declared_funcs = ialloc_array(m->alloc, (m->nfuncs + 7u) / 8, 1);
  if (m->declared_funcs == NULL)
    return fail_nomem(d);
  for (uint32_t i = 0; i < m->nexports; i++) {
    mod_constexpr ref = {.op = OP_REF_FUNC, .value = m->exports[i].index};
    if (m->exports[i].kind == INTERP_EXTERN_FUNC)
      mark_declared(m, &ref);
  }
  for (uint32_t i = 0; i < defined(m->nglobals, m->nimported_globals); i++)
    mark_declared(m, &m->globals[i].init);
  for (uint32_t i = 0; i < m->nelems; i++)
    for (uint32_t k = 0; k < m->elems[i].count; k++)
      mark_declared(m, &m->elems[i].items[k]);
  return true;
}

/* The checks the spec's decoder makes after the last section. */
static bool check_counts(dec *d) {
  interp_module *m = d->m;
  if (d->ndeclared != d->ncodes)
    return fail_at(d, m->len,
                   "function and code section have inconsistent lengths");
  if (m->has_datacount && m->datacount != m->ndatas)
    return fail_at(d, m->len,
                   "data count and data section have inconsistent lengths");
  /* Without a data section the segment count is known to be zero, and
  ** the validator reports the index as unknown instead. */
  if (d->uses_data_index && !m->has_datacount && d->has_data_section)
    return fail_at(d, d->data_index_at, "data count section required");
  for (uint32_t i = 0; i < d->ndeclared; i++)
    m->funcs[i].type = m->func_types[m->nimported_funcs + i];
  return true;
}

static bool decode_module(dec *d) {
  if (!decode_header(d))
    return false;
  while (!rd_at_end(&d->r))
    if (!decode_section(d))
      return false;
  return open_spaces(d) && check_counts(d) && collect_declared_funcs(d) &&
         decode_names(d);
}

interp_status mod_decode(interp_module *m, const uint8_t *bytes, size_t len,
                         mod_depth depth, interp_error *err) {
  interp_error local;
  dec d = {.m = m, .err = err ? err : &local, .depth = depth};
  ip_clear(d.err);
  if (len == 0)
    return ip_fail(d.err, INTERP_MALFORMED, "unexpected end of the module");
  m->bytes = bytes;
  m->len = len;
  rd_init(&d.r, m->bytes, m->len, d.err);
  bool ok = decode_module(&d);
  ialloc_free(m->alloc, d.blocks, d.blocks_cap);
  return ok ? INTERP_OK : d.err->status;
}

interp_status mod_first_error(ialloc *a, const uint8_t *bytes, size_t len,
                              interp_status status, interp_error *err) {
  interp_module scanned = {.alloc = a};
  interp_error scan_err;
  interp_status st = mod_decode(&scanned, bytes, len, MOD_SCAN, &scan_err);
  mod_free(&scanned);
  if (st != INTERP_MALFORMED)
    return status;
  if (err)
    *err = scan_err;
  return st;
}

/* ---- freeing ---- */

static void free_types(interp_module *m) {
  for (uint32_t i = 0; i < m->ntypes; i++)
    ialloc_free(m->alloc, m->types[i].types,
                (size_t)m->types[i].nparams + m->types[i].nresults);
  ialloc_free_array(m->alloc, m->types, m->ntypes, sizeof *m->types);
}

static void free_funcs(interp_module *m, uint32_t nbodies) {
  for (uint32_t i = 0; i < nbodies; i++)
    ialloc_free(m->alloc, m->funcs[i].local_types, m->funcs[i].nlocals);
  ialloc_free_array(m->alloc, m->funcs, nbodies, sizeof *m->funcs);
}

static void free_elems(interp_module *m) {
  for (uint32_t i = 0; i < m->nelems; i++)
    ialloc_free_array(m->alloc, m->elems[i].items, m->elems[i].count,
                      sizeof *m->elems[i].items);
  ialloc_free_array(m->alloc, m->elems, m->nelems, sizeof *m->elems);
}

void mod_free(interp_module *m) {
  ialloc *a = m->alloc;
  free_types(m);
  ialloc_free_array(a, m->imports, m->nimports, sizeof *m->imports);
  free_funcs(m, defined(m->nfuncs, m->nimported_funcs));
  ialloc_free_array(a, m->func_types, m->nfuncs, sizeof *m->func_types);
  ialloc_free_array(a, m->tables, m->ntables, sizeof *m->tables);
  ialloc_free_array(a, m->memories, m->nmemories, sizeof *m->memories);
  ialloc_free_array(a, m->globals, defined(m->nglobals, m->nimported_globals),
                    sizeof *m->globals);
  ialloc_free_array(a, m->global_types, m->nglobals, sizeof *m->global_types);
  ialloc_free_array(a, m->exports, m->nexports, sizeof *m->exports);
  free_elems(m);
  ialloc_free_array(a, m->datas, m->ndatas, sizeof *m->datas);
  if (m->nfuncs > 0) {
    ialloc_free(a, m->declared_funcs, (m->nfuncs + 7u) / 8);
    ialloc_free_array(a, m->func_names, m->nfuncs, sizeof *m->func_names);
  }
  memset(m, 0, sizeof *m);
  m->alloc = a;
}
