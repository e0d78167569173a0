/*
** abi.c: the byte-call engine (abi.h). The ABIs themselves are rows of
** abi_table.h; nothing below knows one ABI from another except through
** its row.
*/
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi.h"
#include "abi_table.h"
#include "hostfn.h"

#define NONE (-1)

typedef struct abi_export {
  const char *name;
  uint8_t nparams;
  abi_ret ret;
  const char *if_empty;
} abi_export;

/* What the engine does for one ABI, by export index. */
struct abi_def {
  Plugsup__Abi abi;
  const char *name;
  const abi_export *exports;
  int nexports;
  bool pure;             /* any import but plugsup's own breaks the ABI */
  int alloc;             /* CALL: the input goes into a buffer from this
                            allocator; NONE: into pages the host grows,
                            NUL-terminated */
  int entry;             /* CALL: the entry point */
  bool entry_takes_tool; /* entry(tool, ptr), else entry(ptr, len) */
  int dealloc;           /* frees each packed result once read, and the
                            input after the call; NONE: nothing is freed */
  int metadata[3];       /* METADATA: called without arguments, in order */
  int nmetadata;
  int tools_count, tool_name, tool_description; /* NONE: no tool list */
};

static const abi_export process_exports[] = {ABI_PROCESS_EXPORTS(ABI_ROW)};
static const abi_export tool_exports[] = {ABI_TOOL_EXPORTS(ABI_ROW)};
static const abi_export observe_exports[] = {ABI_OBSERVE_EXPORTS(ABI_ROW)};

static const abi_def defs[] = {
    {.abi = PLUGSUP__ABI__ABI_PROCESS, .name = "process",
     .exports = process_exports, .nexports = ABI_PROCESS_N, .pure = true,
     .alloc = ABI_PROCESS_ALLOC, .entry = ABI_PROCESS_PROCESS,
     .dealloc = NONE, .nmetadata = 0,
     .tools_count = NONE, .tool_name = NONE, .tool_description = NONE},
    {.abi = PLUGSUP__ABI__ABI_TOOL, .name = "tool",
     .exports = tool_exports, .nexports = ABI_TOOL_N,
     .alloc = NONE, .entry = ABI_TOOL_TOOL_EXECUTE, .entry_takes_tool = true,
     .dealloc = NONE,
     .metadata = {ABI_TOOL_NAME, ABI_TOOL_VERSION, ABI_TOOL_DESCRIPTION},
     .nmetadata = 3,
     .tools_count = ABI_TOOL_TOOLS_COUNT, .tool_name = ABI_TOOL_TOOL_NAME,
     .tool_description = ABI_TOOL_TOOL_DESCRIPTION},
    {.abi = PLUGSUP__ABI__ABI_OBSERVE, .name = "observe",
     .exports = observe_exports, .nexports = ABI_OBSERVE_N,
     .alloc = ABI_OBSERVE_ALLOCATE, .entry = ABI_OBSERVE_OBSERVE,
     .dealloc = ABI_OBSERVE_DEALLOCATE,
     .metadata = {ABI_OBSERVE_DESCRIBE, ABI_OBSERVE_SCHEMA}, .nmetadata = 2,
     .tools_count = NONE, .tool_name = NONE, .tool_description = NONE},
};

_Static_assert(ABI_PROCESS_N <= 16 && ABI_TOOL_N <= 16 && ABI_OBSERVE_N <= 16,
               "abi_ctx.funcs has room for every export of an ABI");

const abi_def *abi_find(Plugsup__Abi abi) {
  for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++)
    if (defs[i].abi == abi)
      return &defs[i];
  return NULL;
}

const char *abi_name(const abi_def *def) { return def->name; }

int abi_has_metadata(const abi_def *def) {
  return def->nmetadata > 0 || def->tools_count != NONE;
}

/* ---- abi_check: the module against the row ---- */

typedef struct problems {
  Plugsup__AbiMatch *match;
  size_t more;           /* problems past ABI_MAX_PROBLEMS */
  int nomem;
} problems;

/* A malloc'd copy of s, or NULL. */
static char *copy_text(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d != NULL)
    memcpy(d, s, n);
  return d;
}

static void add_problem(problems *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add_problem(problems *p, const char *fmt, ...) {
  char buf[ABI_MESSAGE_MAX];
  va_list ap;
  if (p->match->n_problems == ABI_MAX_PROBLEMS) {
    p->more++;
    return;
  }
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if ((p->match->problems[p->match->n_problems] = copy_text(buf)) == NULL)
    p->nomem = 1;
  else
    p->match->n_problems++;
}

static const char *kind_text(interp_externkind k) {
  static const char *const names[] = {"function", "table", "memory", "global"};
  return (unsigned)k < 4 ? names[k] : "?";
}

static bool module_export(const interp_module *m, const char *name,
                          interp_export_desc *out) {
  size_t len = strlen(name);
  uint32_t n = interp_module_export_count(m);
  for (uint32_t i = 0; i < n; i++) {
    interp_module_export(m, i, out);
    if (out->name_len == len && memcmp(out->name, name, len) == 0)
      return true;
  }
  return false;
}

/* worker_functype_text's answer: malloc'd, or the shared empty string. */
static void free_text(char *s) {
  if (s != protobuf_c_empty_string)
    free(s);
}

/* "(i32 i32) -> (i64)", or "() -> (i32) or () -> (i64)" for ABI_RET_TEXT. */
static void expected_text(const abi_export *e, char *buf, size_t size) {
  static const interp_valtype i32s[2] = {INTERP_I32, INTERP_I32};
  static const interp_valtype i64s[1] = {INTERP_I64};
  interp_functype t = {e->nparams, e->ret != ABI_RET_NONE, i32s,
                       e->ret == ABI_RET_I64 ? i64s : i32s};
  char *a = worker_functype_text(&t), *b = NULL;
  if (e->ret == ABI_RET_TEXT) {
    t.results = i64s;
    b = worker_functype_text(&t);
    snprintf(buf, size, "%s or %s", a, b);
  } else {
    snprintf(buf, size, "%s", a);
  }
  free_text(a);
  if (b != NULL)
    free_text(b);
}

static bool type_fits(const abi_export *e, const interp_functype *t) {
  interp_valtype r = t->nresults == 1 ? t->results[0] : INTERP_F32;
  for (uint32_t i = 0; i < t->nparams; i++)
    if (t->params[i] != INTERP_I32)
      return false;
  if (t->nparams != e->nparams)
    return false;
  switch (e->ret) {
  case ABI_RET_NONE: return t->nresults == 0;
  case ABI_RET_I32: return t->nresults == 1 && r == INTERP_I32;
  case ABI_RET_I64: return t->nresults == 1 && r == INTERP_I64;
  case ABI_RET_TEXT: return t->nresults == 1 && (r == INTERP_I32 || r == INTERP_I64);
  }
  return false;
}

static void check_export(problems *p, const interp_module *m,
                         const abi_export *e) {
  interp_export_desc d;
  char want[128], *have;
  if (!module_export(m, e->name, &d)) {
    add_problem(p, "missing export '%s'", e->name);
    return;
  }
  if (d.type.kind != INTERP_EXTERN_FUNC) {
    add_problem(p, "export '%s' is a %s, expected a function", e->name,
                kind_text(d.type.kind));
    return;
  }
  if (type_fits(e, &d.type.func))
    return;
  expected_text(e, want, sizeof want);
  have = worker_functype_text(&d.type.func);
  add_problem(p, "export '%s' has type %s, expected %s", e->name, have, want);
  free_text(have);
}

static void check_memory(problems *p, const interp_module *m) {
  interp_export_desc d;
  if (!module_export(m, "memory", &d))
    add_problem(p, "missing export 'memory'");
  else if (d.type.kind != INTERP_EXTERN_MEMORY)
    add_problem(p, "export 'memory' is a %s, expected a memory",
                kind_text(d.type.kind));
}

static void check_imports(problems *p, const interp_module *m) {
  uint32_t n = interp_module_import_count(m);
  for (uint32_t i = 0; i < n; i++) {
    interp_import_desc d;
    char mod[WORKER_NAME_TEXT_SIZE], name[WORKER_NAME_TEXT_SIZE];
    interp_module_import(m, i, &d);
    if (hostfn_is_own(&d))
      continue;
    worker_name_text(mod, d.module, d.module_len);
    worker_name_text(name, d.name, d.name_len);
    add_problem(p, "plugin has forbidden import: %s::%s", mod, name);
  }
}

int abi_check(const interp_module *m, const abi_def *def,
              Plugsup__AbiMatch *match) {
  problems p = {match, 0, 0};
  plugsup__abi_match__init(match);
  match->abi = def->abi;
  match->problems = calloc(ABI_MAX_PROBLEMS + 1, sizeof *match->problems);
  if (match->problems == NULL)
    return -1;
  check_memory(&p, m);
  for (int i = 0; i < def->nexports; i++)
    check_export(&p, m, &def->exports[i]);
  if (def->pure)
    check_imports(&p, m);
  if (p.more > 0) {
    char buf[64];
    snprintf(buf, sizeof buf, "... and %zu more problems", p.more);
    if ((match->problems[match->n_problems] = copy_text(buf)) == NULL)
      return -1;
    match->n_problems++;
  }
  return p.nomem ? -1 : 0;
}

void abi_match_free(Plugsup__AbiMatch *match) {
  for (size_t i = 0; i < match->n_problems; i++)
    free(match->problems[i]);
  free(match->problems);
  if (match->error != NULL && match->error != protobuf_c_empty_string)
    free(match->error);
  match->problems = NULL;
  match->n_problems = 0;
  match->error = (char *)protobuf_c_empty_string;
}

/* ---- calls ---- */

static int fail(abi_ctx *c, Plugsup__Outcome o, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(abi_ctx *c, Plugsup__Outcome o, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->message, sizeof c->message, fmt, ap);
  va_end(ap);
  c->outcome = o;
  return -1;
}

/* c->message already says why (abi_read.c). */
static int broke_abi(abi_ctx *c) {
  c->outcome = PLUGSUP__OUTCOME__ABI_ERROR;
  return -1;
}

static const abi_export *export_of(const abi_ctx *c, int idx) {
  return &c->def->exports[idx];
}

/* Call export idx with its first nparams of (a, b); *result when it has one. */
static int call(abi_ctx *c, int idx, uint32_t a, uint32_t b,
                interp_value *result) {
  const abi_export *e = export_of(c, idx);
  interp_value args[2] = {{INTERP_I32, {.i32 = a}}, {INTERP_I32, {.i32 = b}}};
  interp_value res[1];
  uint32_t nres = e->ret == ABI_RET_NONE ? 0 : 1;
  if (interp_call(c->store, c->funcs[idx], args, e->nparams, res, nres,
                  &c->err) != INTERP_OK) {
    c->interp_failed = 1;
    c->where = e->name;
    return -1;
  }
  if (result != NULL)
    *result = res[0];
  return 0;
}

static int send_data(abi_ctx *c, const char *name, uint32_t index,
                     const uint8_t *p, uint64_t len) {
  Plugsup__AbiData d = PLUGSUP__ABI_DATA__INIT;
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT;
  env.msg_case = PLUGSUP__ENVELOPE__MSG_ABI_DATA;
  env.abi_data = &d;
  d.call = (char *)name;
  d.index = index;
  do {
    size_t n = len > FRAME_ABI_PIECE ? FRAME_ABI_PIECE : (size_t)len;
    d.data.data = (uint8_t *)p;
    d.data.len = n;
    d.more = len > n;
    if (worker_send(c->w, &env) != 0)
      return fail(c, PLUGSUP__OUTCOME__OUT_OF_MEMORY,
                  "the worker ran out of memory");
    p += n;
    len -= n;
  } while (len > 0);
  return 0;
}

/* Read what export idx answered (v), send it as AbiData, then free it
** where the ABI frees: a packed result through the deallocator. */
static int take_output(abi_ctx *c, int idx, uint32_t index, interp_value v) {
  const abi_export *e = export_of(c, idx);
  uint8_t *mem = interp_memory_data(c->memory);
  uint64_t size = interp_memory_size(c->memory);
  bool packed = v.type == INTERP_I64;
  abi_span s;

  if ((packed ? abi_read_packed(size, v.of.i64, e->name, &s, c->message)
              : abi_read_string(mem, size, v.of.i32, e->name, &s, c->message)) != 0)
    return broke_abi(c);
  if (s.len == 0 && e->if_empty != NULL)
    return fail(c, PLUGSUP__OUTCOME__ABI_ERROR, "%s: %s", e->name, e->if_empty);
  if (abi_check_limit(s.len, c->sent, c->limit, e->name, c->message) != 0)
    return broke_abi(c);
  if (send_data(c, e->name, index, mem == NULL ? mem : mem + s.at, s.len) != 0)
    return -1;
  c->sent += s.len;
  if (packed && c->def->dealloc != NONE)
    return call(c, c->def->dealloc, (uint32_t)s.at, (uint32_t)s.len, NULL);
  return 0;
}

static int call_and_take(abi_ctx *c, int idx, uint32_t index) {
  interp_value v;
  if (call(c, idx, index, 0, &v) != 0)
    return -1;
  return take_output(c, idx, index, v);
}

/* The input, NUL-terminated, in pages grown at the end of memory. */
static int grow_input(abi_ctx *c, const uint8_t *data, size_t len,
                      uint32_t *ptr) {
  uint64_t need = (uint64_t)len + 1;
  uint64_t pages = (need + WORKER_WASM_PAGE - 1) / WORKER_WASM_PAGE;
  uint32_t old;
  uint8_t *at;
  if (pages > UINT32_MAX ||
      interp_memory_grow(c->store, c->memory, (uint32_t)pages, &old) != INTERP_OK)
    return fail(c, PLUGSUP__OUTCOME__OUT_OF_MEMORY,
                "%s: no room for an input of %zu bytes: memory cannot grow "
                "by %llu KiB", export_of(c, c->def->entry)->name, len,
                (unsigned long long)pages * 64);
  at = interp_memory_data(c->memory) + (uint64_t)old * WORKER_WASM_PAGE;
  if (len > 0)
    memcpy(at, data, len);
  at[len] = 0;
  *ptr = old * WORKER_WASM_PAGE;
  return 0;
}

/* The input in a buffer from the plugin's allocator. */
static int put_input(abi_ctx *c, const uint8_t *data, size_t len,
                     uint32_t *ptr) {
  const abi_export *e;
  interp_value v;
  abi_span s;
  if (c->def->alloc == NONE)
    return grow_input(c, data, len, ptr);
  e = export_of(c, c->def->alloc);
  if (len > UINT32_MAX)
    return fail(c, PLUGSUP__OUTCOME__BAD_REQUEST,
                "an input of %zu bytes does not fit a 32-bit memory", len);
  if (call(c, c->def->alloc, (uint32_t)len, 0, &v) != 0)
    return -1;
  if (abi_read_buffer(interp_memory_size(c->memory), v.of.i32, len, e->name,
                      &s, c->message) != 0)
    return broke_abi(c);
  if (len > 0)
    memcpy(interp_memory_data(c->memory) + s.at, data, len);
  *ptr = v.of.i32;
  return 0;
}

static int tool_count(abi_ctx *c, uint32_t *n) {
  interp_value v;
  int32_t k;
  if (call(c, c->def->tools_count, 0, 0, &v) != 0)
    return -1;
  k = (int32_t)v.of.i32;
  if (k < 0 || (uint32_t)k > FRAME_ABI_MAX_TOOLS)
    return fail(c, PLUGSUP__OUTCOME__ABI_ERROR, "%s: returned %d, expected 0 to %u",
                export_of(c, c->def->tools_count)->name, (int)k,
                FRAME_ABI_MAX_TOOLS);
  *n = (uint32_t)k;
  return 0;
}

/* The index of the tool whose name is want; names are read, not sent. */
static int find_tool(abi_ctx *c, ProtobufCBinaryData want, uint32_t *index) {
  const abi_export *e = export_of(c, c->def->tool_name);
  char text[WORKER_NAME_TEXT_SIZE];
  uint32_t n = 0;
  if (tool_count(c, &n) != 0)
    return -1;
  for (uint32_t i = 0; i < n; i++) {
    interp_value v;
    abi_span s;
    if (call(c, c->def->tool_name, i, 0, &v) != 0)
      return -1;
    if (abi_read_string(interp_memory_data(c->memory),
                        interp_memory_size(c->memory), v.of.i32, e->name, &s,
                        c->message) != 0)
      return broke_abi(c);
    if (s.len == want.len &&
        (s.len == 0 ||
         memcmp(interp_memory_data(c->memory) + s.at, want.data, s.len) == 0)) {
      *index = i;
      return 0;
    }
  }
  worker_name_text(text, (const char *)want.data, want.len);
  return fail(c, PLUGSUP__OUTCOME__BAD_REQUEST, "no tool named '%s'", text);
}

/* ---- the steps ---- */

/* A reactor's _initialize runs first, as reglet's host (and wasmtime)
** do; only the () -> () kind, which is the only kind a reactor has. */
static int initialize(abi_ctx *c) {
  interp_extern ext;
  interp_functype t;
  interp_value none[1];
  if (interp_instance_export(c->instance, "_initialize", 11, &ext) != INTERP_OK ||
      ext.kind != INTERP_EXTERN_FUNC)
    return 0;
  interp_func_type(ext.of.func, &t);
  if (t.nparams != 0 || t.nresults != 0)
    return 0;
  if (interp_call(c->store, ext.of.func, none, 0, none, 0, &c->err) == INTERP_OK)
    return 0;
  c->interp_failed = 1;
  c->where = "_initialize";
  return -1;
}

int abi_open(abi_ctx *c) {
  interp_extern ext;
  if (interp_instance_export(c->instance, "memory", 6, &ext) != INTERP_OK ||
      ext.kind != INTERP_EXTERN_MEMORY)
    return fail(c, PLUGSUP__OUTCOME__ABI_ERROR, "missing export 'memory'");
  c->memory = ext.of.memory;
  for (int i = 0; i < c->def->nexports; i++) {
    const char *name = c->def->exports[i].name;
    if (interp_instance_export(c->instance, name, strlen(name), &ext) != INTERP_OK ||
        ext.kind != INTERP_EXTERN_FUNC)
      return fail(c, PLUGSUP__OUTCOME__ABI_ERROR, "missing export '%s'", name);
    c->funcs[i] = ext.of.func;
  }
  return initialize(c);
}

int abi_metadata(abi_ctx *c) {
  uint32_t n = 0;
  for (int i = 0; i < c->def->nmetadata; i++)
    if (call_and_take(c, c->def->metadata[i], 0) != 0)
      return -1;
  if (c->def->tools_count == NONE)
    return 0;
  if (tool_count(c, &n) != 0)
    return -1;
  for (uint32_t i = 0; i < n; i++)
    if (call_and_take(c, c->def->tool_name, i) != 0 ||
        call_and_take(c, c->def->tool_description, i) != 0)
      return -1;
  return 0;
}

int abi_call(abi_ctx *c, const Plugsup__Run *run) {
  uint32_t tool = 0, ptr = 0, len = (uint32_t)run->input.len;
  interp_value v;
  if (c->def->tools_count != NONE && find_tool(c, run->tool, &tool) != 0)
    return -1;
  if (put_input(c, run->input.data, run->input.len, &ptr) != 0)
    return -1;
  if (c->def->entry_takes_tool ? call(c, c->def->entry, tool, ptr, &v)
                               : call(c, c->def->entry, ptr, len, &v))
    return -1;
  if (take_output(c, c->def->entry, 0, v) != 0)
    return -1;
  if (c->def->dealloc != NONE)
    return call(c, c->def->dealloc, ptr, len, NULL);
  return 0;
}

void abi_failure_text(const abi_ctx *c, char *buf, size_t size) {
  if (!c->interp_failed)
    snprintf(buf, size, "%s", c->message);
  else if (c->err.status == INTERP_EXIT)
    snprintf(buf, size, "%s: exited with code %d", c->where,
             (int)c->err.exit_code);
  else
    snprintf(buf, size, "%s: %s", c->where, c->err.message);
}
