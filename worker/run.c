/*
** run.c: one Run through the interpreter: load, (validate-only report,)
** instantiate against the WASI resolver, call _start or the named export,
** and describe the ending as a Result.
*/
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "abi.h"
#include "interp.h"
#include "wasi.h"
#include "worker.h"


static int is_empty(const char *s) { return s == NULL || s == protobuf_c_empty_string; }

/* Strings in a Result are malloc'd, or the shared empty string on failure. */
static void free_str(char *s) {
  if (!is_empty(s))
    free(s);
}

/* ---- results ---- */

static void set_outcome(Plugsup__Result *res, Plugsup__Outcome o,
                        const char *message) {
  res->outcome = o;
  free_str(res->message);
  res->message = worker_strdupf("%s", message);
}

static void set_nomem(Plugsup__Result *res) {
  set_outcome(res, PLUGSUP__OUTCOME__OUT_OF_MEMORY,
              "the worker ran out of memory");
}

/* An interpreter failure, as an outcome. */
static void set_failure(Plugsup__Result *res, const interp_error *err) {
  switch (err->status) {
  case INTERP_EXIT:
    set_outcome(res, PLUGSUP__OUTCOME__EXIT, "");
    res->exit_code = err->exit_code;
    return;
  case INTERP_NOMEM:
    set_outcome(res, PLUGSUP__OUTCOME__OUT_OF_MEMORY, err->message);
    return;
  case INTERP_NOT_FOUND:
  case INTERP_BAD_ARGS:
    set_outcome(res, PLUGSUP__OUTCOME__BAD_REQUEST, err->message);
    return;
  case INTERP_TRAP:
  case INTERP_UNINSTANTIABLE:
    if (err->trap == INTERP_TRAP_OUT_OF_FUEL) {
      set_outcome(res, PLUGSUP__OUTCOME__OUT_OF_FUEL, err->message);
      return;
    }
    res->trap_kind = (char *)interp_trap_message(err->trap);
    set_outcome(res, err->status == INTERP_TRAP ? PLUGSUP__OUTCOME__TRAP
                                                : PLUGSUP__OUTCOME__INVALID_MODULE,
                err->message);
    return;
  default: /* malformed, invalid, unlinkable */
    set_outcome(res, PLUGSUP__OUTCOME__INVALID_MODULE, err->message);
    return;
  }
}

/* ---- types and values ---- */

static int valtype_from_proto(Plugsup__ValType t, interp_valtype *out) {
  static const interp_valtype map[] = {0, INTERP_I32, INTERP_I64, INTERP_F32,
                                       INTERP_F64, INTERP_FUNCREF,
                                       INTERP_EXTERNREF, INTERP_V128};
  if ((unsigned)t == 0 || (unsigned)t >= sizeof map / sizeof map[0])
    return -1;
  *out = map[t];
  return 0;
}

static Plugsup__ValType valtype_to_proto(interp_valtype t) {
  switch (t) {
  case INTERP_I32: return PLUGSUP__VAL_TYPE__I32;
  case INTERP_I64: return PLUGSUP__VAL_TYPE__I64;
  case INTERP_F32: return PLUGSUP__VAL_TYPE__F32;
  case INTERP_F64: return PLUGSUP__VAL_TYPE__F64;
  case INTERP_V128: return PLUGSUP__VAL_TYPE__V128;
  case INTERP_FUNCREF: return PLUGSUP__VAL_TYPE__FUNCREF;
  case INTERP_EXTERNREF: return PLUGSUP__VAL_TYPE__EXTERNREF;
  }
  return PLUGSUP__VAL_TYPE__VAL_UNSPECIFIED;
}

char *worker_functype_text(const interp_functype *f) {
  char buf[512];
  size_t n = 0;
  buf[n++] = '(';
  for (uint32_t i = 0; i < f->nparams && n < 400; i++)
    n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", i ? " " : "",
                          interp_valtype_name(f->params[i]));
  n += (size_t)snprintf(buf + n, sizeof buf - n, ") -> (");
  for (uint32_t i = 0; i < f->nresults && n < 500; i++)
    n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", i ? " " : "",
                          interp_valtype_name(f->results[i]));
  snprintf(buf + n, sizeof buf - n, ")");
  return worker_strdupf("%s", buf);
}

static char *limits_text(const char *prefix, interp_limits l) {
  if (l.has_max)
    return worker_strdupf("%smin=%u max=%u", prefix, l.min, l.max);
  return worker_strdupf("%smin=%u", prefix, l.min);
}

static const char *kind_name(interp_externkind k) {
  static const char *const names[] = {"func", "table", "memory", "global"};
  return (unsigned)k < 4 ? names[k] : "?";
}

/* ExportInfo.type: "(i32) -> (i64)", "funcref min=1 max=2", "min=1",
** "mut i32" / "i32". */
static char *externtype_text(const interp_externtype *t) {
  switch (t->kind) {
  case INTERP_EXTERN_FUNC:
    return worker_functype_text(&t->func);
  case INTERP_EXTERN_TABLE: {
    char prefix[16];
    snprintf(prefix, sizeof prefix, "%s ", interp_valtype_name(t->table.elem));
    return limits_text(prefix, t->table.limits);
  }
  case INTERP_EXTERN_MEMORY:
    return limits_text("", t->memory);
  case INTERP_EXTERN_GLOBAL:
    return worker_strdupf("%s%s", t->global.mutable_ ? "mut " : "",
                          interp_valtype_name(t->global.type));
  }
  return worker_strdupf("?");
}

/* ---- VALIDATE: exports and imports, in Report frames ---- */

_Static_assert(INTERP_MAX_EXPORTS == FRAME_REPORT_MAX_EXPORTS &&
                   INTERP_MAX_IMPORTS == FRAME_REPORT_MAX_IMPORTS &&
                   INTERP_MAX_RESULTS == FRAME_RESULT_MAX_VALUES,
               "the supervisor accepts every report the interpreter allows");

/* Entries go out in batches that stay below FRAME_REPLY_MAX however many
** there are; names point into the module, only type texts are copied. The
** largest entry is an import of two names cut at WORKER_TEXT_MAX (an
** export has one name and a type text under 512 bytes), plus its kind
** and the protobuf tags and lengths. */
#define REPORT_BATCH 1024u
#define REPORT_ENTRY_MAX (2 * WORKER_TEXT_MAX + 1024u)

typedef struct report_batch {
  worker_ctx *w;
  Plugsup__ExportInfo exports[REPORT_BATCH];
  Plugsup__ExportInfo *export_ptrs[REPORT_BATCH];
  Plugsup__ImportInfo imports[REPORT_BATCH];
  Plugsup__ImportInfo *import_ptrs[REPORT_BATCH];
  size_t n_exports, n_imports, bytes;
} report_batch;

static int report_flush(report_batch *b) {
  Plugsup__Report rep = PLUGSUP__REPORT__INIT;
  Plugsup__Envelope env = PLUGSUP__ENVELOPE__INIT;
  int rc = 0;

  if (b->n_exports + b->n_imports == 0)
    return 0;
  rep.n_exports = b->n_exports;
  rep.exports = b->export_ptrs;
  rep.n_imports = b->n_imports;
  rep.imports = b->import_ptrs;
  env.msg_case = PLUGSUP__ENVELOPE__MSG_REPORT;
  env.report = &rep;
  rc = worker_send(b->w, &env);
  for (size_t i = 0; i < b->n_exports; i++)
    free_str(b->exports[i].type);
  b->n_exports = b->n_imports = b->bytes = 0;
  return rc;
}

/* Makes room for one more entry of at most REPORT_ENTRY_MAX bytes. */
static int report_room(report_batch *b, size_t n) {
  if (n < REPORT_BATCH && b->bytes + REPORT_ENTRY_MAX <= FRAME_REPLY_MAX)
    return 0;
  return report_flush(b);
}

/* Names longer than WORKER_TEXT_MAX are cut on a character boundary. */
static ProtobufCBinaryData name_bytes(const char *name, size_t len) {
  ProtobufCBinaryData d = {worker_utf8_cut(name, len, WORKER_TEXT_MAX),
                           (uint8_t *)name};
  return d;
}

static int report_exports(report_batch *b, const interp_module *m) {
  uint32_t n = interp_module_export_count(m);
  for (uint32_t i = 0; i < n; i++) {
    interp_export_desc d;
    Plugsup__ExportInfo *e;
    if (report_room(b, b->n_exports) != 0)
      return -1;
    e = &b->exports[b->n_exports];
    plugsup__export_info__init(e);
    interp_module_export(m, i, &d);
    e->name = name_bytes(d.name, d.name_len);
    e->kind = (char *)kind_name(d.type.kind);
    e->type = externtype_text(&d.type);
    if (is_empty(e->type))
      return -1;
    b->export_ptrs[b->n_exports++] = e;
    b->bytes += e->name.len + strlen(e->type) + 32;
  }
  return 0;
}

static int report_imports(report_batch *b, const interp_module *m) {
  uint32_t n = interp_module_import_count(m);
  for (uint32_t i = 0; i < n; i++) {
    interp_import_desc d;
    Plugsup__ImportInfo *im;
    if (report_room(b, b->n_imports) != 0)
      return -1;
    im = &b->imports[b->n_imports];
    plugsup__import_info__init(im);
    interp_module_import(m, i, &d);
    im->module = name_bytes(d.module, d.module_len);
    im->name = name_bytes(d.name, d.name_len);
    im->kind = (char *)kind_name(d.type.kind);
    b->import_ptrs[b->n_imports++] = im;
    b->bytes += im->module.len + im->name.len + 32;
  }
  return 0;
}

/* Sends the module's exports and imports; -1 when memory or the reply
** pipe failed (w->reply_failed says which). */
static int describe_module(worker_ctx *w, const interp_module *m) {
  report_batch *b = calloc(1, sizeof *b);
  int rc = -1;

  if (b == NULL)
    return -1;
  b->w = w;
  if (report_exports(b, m) == 0 && report_flush(b) == 0 &&
      report_imports(b, m) == 0)
    rc = report_flush(b);
  else
    report_flush(b); /* frees the type texts; the run has failed anyway */
  free(b);
  return rc;
}

/* ---- INVOKE: arguments and results ---- */

/* One Run.arg as a value of type 'want'; NULL, or why not. */
static const char *convert_arg(const Plugsup__Value *v, interp_valtype want,
                               interp_value *out) {
  interp_valtype type;
  if (valtype_from_proto(v->type, &type) != 0 || type != want)
    return "argument type does not match the parameter";
  out->type = type;
  switch (type) {
  case INTERP_FUNCREF:
  case INTERP_EXTERNREF:
    if (v->bits != 0)
      return "only null references can be passed";
    out->of.ref = NULL;
    return NULL;
  case INTERP_I32:
  case INTERP_F32:
    if (v->bits > UINT32_MAX)
      return "32-bit argument has bits above 32";
    out->of.i32 = (uint32_t)v->bits;
    return NULL;
  case INTERP_V128:
    if (v->v128.len != sizeof out->of.v128)
      return "v128 argument is not 16 bytes";
    memcpy(out->of.v128, v->v128.data, sizeof out->of.v128);
    return NULL;
  case INTERP_I64:
  case INTERP_F64:
    break;
  }
  out->of.i64 = v->bits;
  return NULL;
}

/* Check Run.args against the function's parameters and convert them. */
static const char *convert_args(const Plugsup__Run *run,
                                const interp_functype *t, interp_value *out) {
  const char *bad;
  if (run->n_args != t->nparams)
    return "wrong number of arguments";
  for (uint32_t i = 0; i < t->nparams; i++)
    if ((bad = convert_arg(run->args[i], t->params[i], &out[i])) != NULL)
      return bad;
  return NULL;
}

static uint64_t value_bits(const interp_value *v) {
  switch (v->type) {
  case INTERP_I32:
  case INTERP_F32:
    return v->of.i32;
  case INTERP_I64:
  case INTERP_F64:
    return v->of.i64;
  case INTERP_V128:
    return 0; /* its bytes travel in Value.v128 */
  default:
    return v->of.ref != NULL;
  }
}

/* One result as a Value, with a v128's bytes in the same allocation, so
** that worker_result_free's one free() per value releases both. */
static Plugsup__Value *new_value(const interp_value *val) {
  size_t extra = val->type == INTERP_V128 ? sizeof val->of.v128 : 0;
  Plugsup__Value *v = malloc(sizeof *v + extra);
  if (v == NULL)
    return NULL;
  plugsup__value__init(v);
  v->type = valtype_to_proto(val->type);
  v->bits = value_bits(val);
  if (extra != 0) {
    v->v128.data = (uint8_t *)(v + 1);
    v->v128.len = extra;
    memcpy(v->v128.data, val->of.v128, extra);
  }
  return v;
}

static int set_values(Plugsup__Result *res, const interp_value *vals, uint32_t n) {
  if (n == 0)
    return 0;
  if ((res->values = calloc(n, sizeof *res->values)) == NULL)
    return -1;
  for (uint32_t i = 0; i < n; i++) {
    Plugsup__Value *v = new_value(&vals[i]);
    if (v == NULL)
      return -1;
    res->values[res->n_values++] = v;
  }
  return 0;
}

/* ---- the run ---- */

typedef struct run_state {
  worker_ctx *w;
  const Plugsup__Run *run;
  Plugsup__Result *res;
  interp_store *store;
  interp_module *module;
  interp_instance *instance;
  wasi_env *wasi;          /* what the instance's imports are bound to: */
  wasi_env *own_wasi;      /* this, made when needed (own_env), or the
                              zygote's with its instance */
  uint64_t fuel_spent;     /* INSPECT: by the metadata instances */
  uint64_t peak_spent;     /* ... and their highest memory */
  uint64_t reserved;       /* bytes of the budget another store holds */
  const uint8_t *bytes;    /* the module: the Run's, fd 6's or the */
  size_t len;              /* zygote's (find_module) */
} run_state;

static const char *export_wanted(const Plugsup__Run *run) {
  return run->mode == PLUGSUP__RUN__MODE__START ? "_start" : run->export_name;
}

/* Find the function to call; fills a BAD_REQUEST result if there is none. */
static interp_func *find_func(run_state *rs) {
  const char *name = export_wanted(rs->run);
  interp_extern ext;

  if (is_empty(name)) {
    set_outcome(rs->res, PLUGSUP__OUTCOME__BAD_REQUEST, "no export named in the Run");
    return NULL;
  }
  if (interp_instance_export(rs->instance, name, strlen(name), &ext) != INTERP_OK) {
    rs->res->outcome = PLUGSUP__OUTCOME__BAD_REQUEST;
    rs->res->message = worker_strdupf("the module has no export named '%s'", name);
    return NULL;
  }
  if (ext.kind != INTERP_EXTERN_FUNC) {
    rs->res->outcome = PLUGSUP__OUTCOME__BAD_REQUEST;
    rs->res->message = worker_strdupf("export '%s' is not a function", name);
    return NULL;
  }
  return ext.of.func;
}

/* A call's arguments and results: on the stack when there are few, as
** for most calls, so that a zygote's child allocates nothing for them
** (malloc in a child writes the zygote's pages: faults). */
#define CALL_VALUES_ON_STACK 4u

static interp_value *call_values(interp_value *on_stack, uint32_t n) {
  return n <= CALL_VALUES_ON_STACK ? on_stack : calloc(n, sizeof *on_stack);
}

static void call_func(run_state *rs, interp_func *f) {
  interp_functype t;
  interp_value few_args[CALL_VALUES_ON_STACK], few_results[CALL_VALUES_ON_STACK];
  interp_value *args, *results;
  interp_error err;
  const char *bad = NULL;

  interp_func_type(f, &t);
  memset(few_args, 0, sizeof few_args);
  memset(few_results, 0, sizeof few_results);
  args = call_values(few_args, t.nparams);
  results = call_values(few_results, t.nresults);
  if (args == NULL || results == NULL) {
    set_nomem(rs->res);
    goto done;
  }
  if (rs->run->mode == PLUGSUP__RUN__MODE__INVOKE)
    bad = convert_args(rs->run, &t, args);
  else if (t.nparams != 0)
    bad = "_start takes parameters";
  if (bad != NULL) {
    rs->res->outcome = PLUGSUP__OUTCOME__BAD_REQUEST;
    rs->res->message = worker_strdupf("%s: %s", export_wanted(rs->run), bad);
    goto done;
  }
  if (interp_call(rs->store, f, args, t.nparams, results, t.nresults, &err) != INTERP_OK)
    set_failure(rs->res, &err);
  else if (set_values(rs->res, results, t.nresults) != 0)
    set_nomem(rs->res);
  else
    rs->res->outcome = PLUGSUP__OUTCOME__OK;
done:
  if (args != few_args)
    free(args);
  if (results != few_results)
    free(results);
}

/* The interpreter's memory cap: the lower of the Run's and --memory. */
static uint32_t memory_pages(const worker_ctx *w, const Plugsup__Limits *l) {
  uint64_t bytes = w->memory_cap;
  uint64_t pages;
  if (l != NULL && l->memory_bytes != 0 && l->memory_bytes < bytes)
    bytes = l->memory_bytes;
  pages = bytes / WORKER_WASM_PAGE;
  return pages > WORKER_MAX_PAGES ? WORKER_MAX_PAGES : (uint32_t)pages;
}

/* The store's config for this run; -1 with the result set when the
** Run's limits leave no room. */
static int store_config(run_state *rs, interp_config *out) {
  const Plugsup__Limits *l = rs->run->limits;
  interp_config cfg;

  memset(&cfg, 0, sizeof cfg);
  cfg.max_memory_pages = memory_pages(rs->w, l);
  cfg.max_bytes = (uint64_t)cfg.max_memory_pages * WORKER_WASM_PAGE; /* all of it */
  /* ... but what another store of the run holds (INSPECT's metadata). */
  cfg.max_bytes = cfg.max_bytes > rs->reserved ? cfg.max_bytes - rs->reserved : 1;
  if (cfg.max_memory_pages == 0) {
    /* 0 would mean "the default" to the interpreter: never that. */
    set_outcome(rs->res, PLUGSUP__OUTCOME__BAD_REQUEST,
                "memory limit is below one wasm page (65536 bytes)");
    return -1;
  }
  if (l != NULL) {
    cfg.fuel = l->fuel;
    cfg.max_call_depth = l->max_call_depth;
  }
  *out = cfg;
  return 0;
}

static int open_store(run_state *rs) {
  interp_config cfg;
  if (store_config(rs, &cfg) != 0)
    return -1;
  if (interp_store_new(&cfg, &rs->store) != INTERP_OK) {
    set_nomem(rs->res);
    return -1;
  }
  return 0;
}

/* A zygote's child takes the store its zygote loaded the module into,
** under this run's limits (the module itself is not charged to them). */
static int adopt_preloaded(run_state *rs) {
  interp_config cfg;
  if (store_config(rs, &cfg) != 0)
    return -1;
  if (interp_store_relimit(rs->w->preload_store, &cfg) != INTERP_OK) {
    set_outcome(rs->res, PLUGSUP__OUTCOME__BAD_REQUEST,
                "the preloaded store cannot take this run's limits");
    return -1;
  }
  rs->store = rs->w->preload_store;
  rs->module = rs->w->preload_module;
  return 0;
}

static bool runs_preloaded(const run_state *rs) {
  return rs->w->preload_store != NULL && rs->run->module.len == 0 &&
         rs->run->module_fd_len == 0;
}

/* Where the module is: in the Run, on fd 6 when the Run says so (and
** then exactly the size it says), else its zygote's. 0, or -1 with a
** BAD_REQUEST result saying why: a supervisor that gave no fd 6, or one
** of another size, is out of step, and the worker guesses nothing. */
static int find_module(run_state *rs) {
  const Plugsup__Run *run = rs->run;
  const worker_ctx *w = rs->w;
  rs->bytes = run->module.data;
  rs->len = run->module.len;
  if (run->module_fd_len == 0) {
    if (rs->len == 0 && w->preload_bytes != NULL) {
      rs->bytes = w->preload_bytes;
      rs->len = w->preload_len;
    }
    return 0;
  }
  if (rs->len == 0 && w->module_map != NULL &&
      run->module_fd_len == w->module_map_len) {
    rs->bytes = w->module_map;
    rs->len = w->module_map_len;
    return 0;
  }
  rs->res->outcome = PLUGSUP__OUTCOME__BAD_REQUEST;
  if (rs->len != 0)
    rs->res->message = worker_strdupf(
        "the Run carries the module and says it is on fd %d too",
        PLUGSUP_WORKER_MODULE_FD);
  else if (w->module_map == NULL)
    rs->res->message = worker_strdupf(
        "the Run says the module is on fd %d, but no module was mapped "
        "from it", PLUGSUP_WORKER_MODULE_FD);
  else
    rs->res->message = worker_strdupf(
        "the Run says the module on fd %d is %llu bytes, but it is %zu",
        PLUGSUP_WORKER_MODULE_FD, (unsigned long long)run->module_fd_len,
        w->module_map_len);
  return -1;
}

/* The sealed mapping of fd 6 outlives every store and cannot change: it
** is read in place. Bytes that came in the Run are copied. */
static int load_module(run_state *rs) {
  interp_error err;
  interp_status st =
      rs->bytes == rs->w->module_map
          ? interp_module_load_static(rs->store, rs->bytes, rs->len,
                                      &rs->module, &err)
          : interp_module_load(rs->store, rs->bytes, rs->len, &rs->module,
                               &err);
  if (st == INTERP_OK)
    return 0;
  set_failure(rs->res, &err);
  return -1;
}

/* A zygote's child starts from the instance its zygote made, once: it is
** what instantiating here would make (no code ran to make it), its bytes
** are charged to the run as they would be, and its pages are copied only
** where the run writes. Not when this run's limits would have refused to
** make it: then the run instantiates, and fails, as an exec'd one does. */
static bool adopt_instance(run_state *rs) {
  worker_ctx *w = rs->w;
  if (w->preload_instance == NULL || rs->store != w->preload_store ||
      rs->module != w->preload_module ||
      !interp_store_within_limits(rs->store) ||
      interp_store_charge(rs->store, w->preload_instance_bytes) != INTERP_OK)
    return false;
  rs->instance = w->preload_instance;
  rs->wasi = w->preload_env;
  w->preload_instance = NULL;
  return true;
}

/* The run's own WASI state, made when first needed rather than on the
** stack: a zygote's child that takes the zygote's instance takes its state
** too, and every page of stack a child writes is a copy-on-write fault.
** NULL with the result set when out of memory. */
static wasi_env *own_env(run_state *rs) {
  if (rs->own_wasi == NULL && (rs->own_wasi = malloc(sizeof *rs->own_wasi)) == NULL)
    set_nomem(rs->res);
  return rs->own_wasi;
}

static int instantiate(run_state *rs) {
  interp_error err;
  bool adopted = adopt_instance(rs);
  if (!adopted && (rs->wasi = own_env(rs)) == NULL)
    return -1;
  wasi_env_init(rs->wasi, rs->w, rs->store, rs->run);
  /* A byte call's input is written into the plugin: its stdin is empty. */
  if (rs->run->mode == PLUGSUP__RUN__MODE__ABI ||
      rs->run->mode == PLUGSUP__RUN__MODE__INSPECT)
    rs->wasi->input_pos = rs->run->input.len;
  if (adopted || interp_instantiate(rs->store, rs->module, wasi_resolve,
                                    rs->wasi, &rs->instance, &err) == INTERP_OK)
    return 0;
  set_failure(rs->res, &err);
  /* Say which import in our words: the resolver knows, the interp may not. */
  if (err.status == INTERP_UNLINKABLE && rs->wasi->unlinked[0] != '\0')
    set_outcome(rs->res, PLUGSUP__OUTCOME__INVALID_MODULE, rs->wasi->unlinked);
  return -1;
}

static void record_stats(run_state *rs) {
  interp_stats st;
  interp_store_stats(rs->store, &st);
  /* An instance its zygote made ahead that this run did not take (its
  ** limits refused it) is in the store, but not the run's. */
  if (rs->store == rs->w->preload_store && rs->w->preload_instance != NULL)
    st.peak_bytes -= rs->w->preload_instance_bytes;
  rs->res->fuel_used = st.fuel_used + rs->fuel_spent;
  rs->res->peak_memory_bytes =
      st.peak_bytes > rs->peak_spent ? st.peak_bytes : rs->peak_spent;
}

/* A WASI reactor's _initialize (C constructors, Rust statics) runs before
** any export is invoked, as wasmtime does. 0, or -1 with the result set. */
static int initialize_reactor(run_state *rs) {
  interp_extern ext;
  interp_error err;
  interp_value none[1];
  if (rs->run->mode != PLUGSUP__RUN__MODE__INVOKE ||
      strcmp(rs->run->export_name, "_initialize") == 0 ||
      interp_instance_export(rs->instance, "_initialize", 11, &ext) != INTERP_OK ||
      ext.kind != INTERP_EXTERN_FUNC)
    return 0;
  if (interp_call(rs->store, ext.of.func, none, 0, none, 0, &err) == INTERP_OK)
    return 0;
  set_failure(rs->res, &err);
  return -1;
}

/* VALIDATE: would every import link? Each goes through the resolver a
** run instantiates with, so a module that 'run' refuses is refused here
** in the same words; nothing is instantiated and no plugin code runs. */
static void check_links(run_state *rs) {
  uint32_t n = interp_module_import_count(rs->module);
  interp_import_desc d;
  interp_extern ext;
  if ((rs->wasi = own_env(rs)) == NULL)
    return;
  wasi_env_init(rs->wasi, rs->w, rs->store, rs->run);
  for (uint32_t i = 0; i < n; i++) {
    interp_module_import(rs->module, i, &d);
    if (wasi_resolve(rs->wasi, &d, &ext) == INTERP_OK)
      continue;
    if (rs->wasi->unlinked[0] != '\0')
      set_outcome(rs->res, PLUGSUP__OUTCOME__INVALID_MODULE, rs->wasi->unlinked);
    else
      set_nomem(rs->res);
    return;
  }
  rs->res->outcome = PLUGSUP__OUTCOME__OK;
}

/* ---- INSPECT and ABI: byte calls (abi.h) ---- */

/* How a byte call ended, as the Result says it. */
static void abi_outcome(run_state *rs, const abi_ctx *c) {
  if (c->interp_failed)
    set_failure(rs->res, &c->err);
  else
    set_outcome(rs->res, c->outcome, c->message);
}

/* A new store and instance of the module, with what the Run's fuel and
** memory budget have left (the first store keeps the module until the
** end); 0, or -1 with fresh->res saying why. */
static int open_fresh(run_state *rs, run_state *fresh) {
  uint64_t fuel = rs->run->limits != NULL ? rs->run->limits->fuel : 0;
  interp_stats st;
  if (fuel != 0 && rs->fuel_spent >= fuel) {
    set_outcome(fresh->res, PLUGSUP__OUTCOME__OUT_OF_FUEL,
                interp_trap_message(INTERP_TRAP_OUT_OF_FUEL));
    return -1;
  }
  interp_store_stats(rs->store, &st);
  fresh->reserved = st.bytes_allocated;
  if (open_store(fresh) != 0 || load_module(fresh) != 0)
    return -1;
  if (fuel != 0)
    interp_store_set_fuel(fresh->store, fuel - rs->fuel_spent);
  return instantiate(fresh);
}

/* INSPECT: the metadata of a satisfied ABI, from a fresh store and
** instance of its own, within what is left of the Run's fuel and output.
** Whatever goes wrong is the AbiMatch's error, not the run's outcome. */
static void inspect_metadata(run_state *rs, const abi_def *def,
                             Plugsup__AbiMatch *m, uint64_t *sent) {
  Plugsup__Result scratch = PLUGSUP__RESULT__INIT;
  run_state fresh = {.w = rs->w, .run = rs->run, .res = &scratch,
                     .bytes = rs->bytes, .len = rs->len};
  abi_ctx c = {.w = rs->w, .def = def, .sent = *sent,
               .limit = rs->w->output_limit};
  char text[ABI_MESSAGE_MAX];
  interp_stats st;

  if (open_fresh(rs, &fresh) != 0)
    m->error = worker_strdupf("%s", scratch.message);
  else {
    c.store = fresh.store;
    c.instance = fresh.instance;
    if (abi_open(&c) != 0 || abi_metadata(&c) != 0) {
      abi_failure_text(&c, text, sizeof text);
      m->error = worker_strdupf("%s", text);
    }
    *sent = c.sent;
  }
  if (fresh.store != NULL) {
    interp_store_stats(fresh.store, &st);
    rs->fuel_spent += st.fuel_used;
    if (st.peak_bytes > rs->peak_spent)
      rs->peak_spent = st.peak_bytes;
    interp_store_free(fresh.store);
  }
  free(fresh.own_wasi);
  worker_result_free(&scratch);
}

/* One AbiMatch per ABI, in Abi order; 0, or -1 when memory ran out. */
static int inspect_abis(run_state *rs) {
  static const Plugsup__Abi order[] = {PLUGSUP__ABI__ABI_PROCESS,
                                       PLUGSUP__ABI__ABI_TOOL,
                                       PLUGSUP__ABI__ABI_OBSERVE};
  const size_t n = sizeof order / sizeof order[0];
  uint64_t sent = 0;
  if ((rs->res->abis = calloc(n, sizeof *rs->res->abis)) == NULL)
    return -1;
  for (size_t i = 0; i < n; i++) {
    const abi_def *def = abi_find(order[i]);
    Plugsup__AbiMatch *m = malloc(sizeof *m);
    if (m == NULL)
      return -1;
    rs->res->abis[rs->res->n_abis++] = m;
    if (abi_check(rs->module, def, m) != 0)
      return -1;
    if (m->n_problems == 0 && abi_has_metadata(def))
      inspect_metadata(rs, def, m, &sent);
    if (rs->w->reply_failed)
      return -1;
  }
  return 0;
}

/* The plugsup.manifest section goes back as it is. One over
** FRAME_MANIFEST_MAX is left out, and an OK Result's message says so:
** the module is still a module, but what it declares cannot be used. */
#define MANIFEST_SECTION "plugsup.manifest"

static int inspect_manifest(run_state *rs) {
  const uint8_t *p;
  size_t n;
  if (interp_module_custom_section(rs->module, MANIFEST_SECTION,
                                   sizeof MANIFEST_SECTION - 1, &p,
                                   &n) != INTERP_OK || n == 0)
    return 0;
  if (n > FRAME_MANIFEST_MAX) {
    if (rs->res->outcome == PLUGSUP__OUTCOME__OK && is_empty(rs->res->message))
      rs->res->message = worker_strdupf(
          "the %s section of %zu bytes is over %u bytes: left out",
          MANIFEST_SECTION, n, FRAME_MANIFEST_MAX);
    return 0;
  }
  if ((rs->res->manifest.data = malloc(n)) == NULL)
    return -1;
  memcpy(rs->res->manifest.data, p, n);
  rs->res->manifest.len = n;
  return 0;
}

static void run_inspect(run_state *rs) {
  if (describe_module(rs->w, rs->module) != 0) {
    if (!rs->w->reply_failed)
      set_nomem(rs->res);
    return;
  }
  check_links(rs);
  if ((inspect_abis(rs) != 0 || inspect_manifest(rs) != 0) &&
      !rs->w->reply_failed)
    set_nomem(rs->res);
}

/* ABI: one step of one ABI on one instance. A module that does not
** satisfy the ABI is refused with its first problem before any code of
** it runs (a process plugin's forbidden import would not even link). */
static void run_abi(run_state *rs) {
  const abi_def *def = abi_find(rs->run->abi);
  Plugsup__AbiMatch match;
  abi_ctx c = {.w = rs->w, .def = def, .limit = rs->w->output_limit};
  int rc;

  if (abi_check(rs->module, def, &match) != 0) {
    abi_match_free(&match);
    set_nomem(rs->res);
    return;
  }
  if (match.n_problems > 0) {
    set_outcome(rs->res, PLUGSUP__OUTCOME__ABI_ERROR, "");
    free_str(rs->res->message);
    rs->res->message = worker_strdupf("the module does not satisfy the %s ABI: %s",
                                      abi_name(def), match.problems[0]);
  }
  abi_match_free(&match);
  if (rs->res->outcome == PLUGSUP__OUTCOME__ABI_ERROR || instantiate(rs) != 0)
    return;
  c.store = rs->store;
  c.instance = rs->instance;
  rc = abi_open(&c);
  if (rc == 0)
    rc = rs->run->step == PLUGSUP__RUN__ABI_STEP__METADATA ? abi_metadata(&c)
                                                            : abi_call(&c, rs->run);
  if (rc == 0)
    set_outcome(rs->res, PLUGSUP__OUTCOME__OK, "");
  else
    abi_outcome(rs, &c);
}

static void run_mode(run_state *rs) {
  interp_func *f;
  if (rs->module == NULL && load_module(rs) != 0)
    return;
  if (rs->run->mode == PLUGSUP__RUN__MODE__VALIDATE) {
    if (describe_module(rs->w, rs->module) != 0 && !rs->w->reply_failed)
      set_nomem(rs->res);
    else
      check_links(rs);
    return;
  }
  if (rs->run->mode == PLUGSUP__RUN__MODE__INSPECT) {
    run_inspect(rs);
    return;
  }
  if (rs->run->mode == PLUGSUP__RUN__MODE__ABI) {
    run_abi(rs);
    return;
  }
  if (instantiate(rs) != 0 || (f = find_func(rs)) == NULL ||
      initialize_reactor(rs) != 0)
    return;
  call_func(rs, f);
}

/* What a Run asks for, before any of its bytes are read: NULL or why not. */
static const char *bad_request(const Plugsup__Run *run) {
  switch (run->mode) {
  case PLUGSUP__RUN__MODE__VALIDATE:
  case PLUGSUP__RUN__MODE__START:
  case PLUGSUP__RUN__MODE__INVOKE:
  case PLUGSUP__RUN__MODE__INSPECT:
    return NULL;
  case PLUGSUP__RUN__MODE__ABI:
    if (abi_find(run->abi) == NULL)
      return "Run names no valid ABI";
    if (run->step != PLUGSUP__RUN__ABI_STEP__METADATA &&
        run->step != PLUGSUP__RUN__ABI_STEP__CALL)
      return "Run names no valid ABI step";
    return NULL;
  default:
    return "Run has no valid mode";
  }
}

void worker_run(worker_ctx *w, const Plugsup__Run *run, Plugsup__Result *res) {
  run_state rs;
  const char *bad;

  memset(&rs, 0, sizeof rs);
  rs.w = w;
  rs.run = run;
  rs.res = res;
  w->output_limit = run->limits != NULL ? run->limits->output_bytes : 0;
  if ((bad = bad_request(run)) != NULL) {
    set_outcome(res, PLUGSUP__OUTCOME__BAD_REQUEST, bad);
    return;
  }
  if (find_module(&rs) != 0 ||
      (runs_preloaded(&rs) ? adopt_preloaded(&rs) : open_store(&rs)) != 0)
    return;
  run_mode(&rs);
  record_stats(&rs);
  if (rs.wasi != NULL)
    hostfn_last_free(&rs.wasi->hostfn_last);
  free(rs.own_wasi);
  /* The preloaded store is the zygote's, copied on write: the child is
  ** about to exit, and freeing it would only copy its pages. */
  if (rs.store != w->preload_store)
    interp_store_free(rs.store);
}
