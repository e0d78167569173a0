/*
** hostfn.c: the functions of hostfn.h. Each is one forwarder: the
** request's bytes go to the supervisor as they are, and its response
** comes back into memory the plugin gives, by its allocator or its
** buffer.
*/
#include "hostfn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "wasi_impl.h"

typedef struct hostfn_row {
  const char *module, *name;
  hostcall_op op;
  hostfn_style style;
  const char *params, *results;
} hostfn_row;

static const hostfn_row rows[HOSTFN_COUNT] = {
#define HOSTFN_ROW_(module, name, op, style, params, results) \
  {module, #name, op, style, params, results},
    HOSTFN_LIST(HOSTFN_ROW_)
#undef HOSTFN_ROW_
};

bool hostfn_is_module(const char *module, size_t len) {
  for (int i = 0; i < HOSTFN_COUNT; i++)
    if (wasi_name_is(module, len, rows[i].module))
      return true;
  return false;
}

void hostfn_last_free(hostfn_last *last) {
  free(last->data);
  last->data = NULL;
  last->len = 0;
}

static interp_status trap(interp_caller *c, const hostfn_row *row,
                          const char *what) {
  char msg[200];
  snprintf(msg, sizeof msg, "%s.%s: %s", row->module, row->name, what);
  return interp_caller_trap(c, msg);
}

/* Where the response goes: allocate(len) of the calling instance. */
static interp_status allocate(interp_caller *c, interp_store *store,
                              const hostfn_row *row, uint32_t len,
                              uint32_t *ptr) {
  interp_instance *inst = interp_caller_instance(c);
  interp_extern ext;
  interp_functype t;
  interp_value arg = {.type = INTERP_I32, .of.i32 = len}, res;
  interp_error err;
  interp_status st;

  if (!inst || interp_instance_export(inst, "allocate", 8, &ext) != INTERP_OK ||
      ext.kind != INTERP_EXTERN_FUNC)
    return trap(c, row, "the plugin exports no allocate for the response");
  interp_func_type(ext.of.func, &t);
  if (!wasi_types_match(t.nparams, t.params, "i") ||
      !wasi_types_match(t.nresults, t.results, "i"))
    return trap(c, row, "the plugin's allocate is not (i32) -> i32");
  st = interp_call(store, ext.of.func, &arg, 1, &res, 1, &err);
  if (st == INTERP_EXIT)
    return interp_caller_exit(c, err.exit_code);
  if (st != INTERP_OK)
    return interp_caller_trap(c, err.message);
  *ptr = (uint32_t)res.of.i32;
  return INTERP_OK;
}

/* Copies len bytes to [ptr, ptr + len) of the plugin's memory. */
static interp_status put(interp_caller *c, const hostfn_row *row,
                         uint32_t ptr, const uint8_t *data, size_t len) {
  uint8_t *dst;
  interp_status st = wasi_charge_bytes(c, len);
  if (st != INTERP_OK)
    return st;
  if (len && (dst = wasi_mem(c, ptr, len)) == NULL)
    return trap(c, row, "the response's place is outside memory");
  if (len)
    memcpy(dst, data, len);
  return INTERP_OK;
}

static void set_result(interp_value *results, const hostfn_row *row,
                       uint64_t v) {
  bool wide = row->results[0] == 'I';
  results[0].type = wide ? INTERP_I64 : INTERP_I32;
  if (wide)
    results[0].of.i64 = (int64_t)v;
  else
    results[0].of.i32 = (int32_t)(uint32_t)v;
}

/* The response, delivered as the row's style says. */
static interp_status deliver(interp_caller *c, const hostfn_call *call,
                             const interp_value *args, ProtobufCBinaryData d,
                             interp_value *results) {
  const hostfn_row *row = &rows[call->index];
  hostfn_last *last = &call->env->hostfn_last;
  uint32_t ptr = 0, cap;
  interp_status st;

  if (row->style == HOSTFN_PACKED_VOID)
    return INTERP_OK;
  if (row->style == HOSTFN_PACKED) {
    if ((st = allocate(c, call->env->store, row, (uint32_t)d.len, &ptr)) !=
            INTERP_OK ||
        (st = put(c, row, ptr, d.data, d.len)) != INTERP_OK)
      return st;
    set_result(results, row, (uint64_t)ptr << 32 | d.len);
    return INTERP_OK;
  }
  hostfn_last_free(last);
  if (d.len && (last->data = malloc(d.len)) == NULL)
    return trap(c, row, "out of memory keeping the response");
  if (d.len)
    memcpy(last->data, d.data, d.len);
  last->len = d.len;
  cap = (uint32_t)args[3].of.i32;
  if ((st = put(c, row, (uint32_t)args[2].of.i32, d.data,
                d.len < cap ? d.len : cap)) != INTERP_OK)
    return st;
  set_result(results, row, d.len);
  return INTERP_OK;
}

/* plugsup.http_response: the last response again, cut to the buffer. */
static interp_status reread(interp_caller *c, const hostfn_call *call,
                            const interp_value *args, interp_value *results) {
  const hostfn_row *row = &rows[call->index];
  const hostfn_last *last = &call->env->hostfn_last;
  uint32_t cap = (uint32_t)args[1].of.i32;
  interp_status st = put(c, row, (uint32_t)args[0].of.i32, last->data,
                         last->len < cap ? last->len : cap);
  if (st == INTERP_OK)
    set_result(results, row, last->len);
  return st;
}

/* The request's bytes: NULL when they are not all in memory, or more
** than one host call carries. */
static const uint8_t *request(interp_caller *c, const hostfn_row *row,
                              const interp_value *args, uint32_t *len) {
  uint64_t p = (uint64_t)args[0].of.i64;
  bool packed = row->style != HOSTFN_BUFFER;
  uint32_t at = packed ? (uint32_t)(p >> 32) : (uint32_t)args[0].of.i32;
  *len = packed ? (uint32_t)p : (uint32_t)args[1].of.i32;
  return *len <= HOSTCALL_IO_MAX ? wasi_mem(c, at, *len) : NULL;
}

static interp_status forward(interp_caller *c, void *ud,
                             const interp_value *args, interp_value *results) {
  const hostfn_call *call = ud;
  const hostfn_row *row = &rows[call->index];
  worker_ctx *w = call->env->w;
  Plugsup__Value unreadable = PLUGSUP__VALUE__INIT, *argp = &unreadable;
  Plugsup__Envelope *reply = NULL;
  const uint8_t *req;
  uint32_t len;
  interp_status st;

  if (row->style == HOSTFN_REREAD)
    return reread(c, call, args, results);
  req = request(c, row, args, &len);
  if ((st = wasi_charge_bytes(c, req ? len : 0)) != INTERP_OK)
    return st;
  unreadable.type = PLUGSUP__VAL_TYPE__I32;
  unreadable.bits = req == NULL;
  worker_call wc = {row->op, &argp, 1, {req ? len : 0, (uint8_t *)req},
                    {0, NULL}, row->style == HOSTFN_PACKED_VOID ? 0
                                                                : HOSTCALL_IO_MAX,
                    0};
  if (worker_host_call(w, &wc, &reply) != 0)
    return interp_caller_trap(c, w->call_error);
  if (reply->host_reply->error != 0)
    st = trap(c, row, "the supervisor refused the call");
  else
    st = deliver(c, call, args, worker_reply_data(w, reply->host_reply),
                 results);
  frame_free(reply);
  return st;
}

static int find_row(const interp_import_desc *imp) {
  for (int i = 0; i < HOSTFN_COUNT; i++)
    if (wasi_name_is(imp->module, imp->module_len, rows[i].module) &&
        wasi_name_is(imp->name, imp->name_len, rows[i].name))
      return i;
  return -1;
}

bool hostfn_is_own(const interp_import_desc *imp) {
  return wasi_name_is(imp->module, imp->module_len, HOSTFN_OWN_MODULE) &&
         imp->type.kind == INTERP_EXTERN_FUNC && find_row(imp) >= 0;
}

interp_status hostfn_resolve(wasi_env *env, const interp_import_desc *imp,
                             interp_extern *out) {
  const interp_functype *t = &imp->type.func;
  interp_func *f;
  interp_status s;
  int i;

  if (imp->type.kind != INTERP_EXTERN_FUNC || (i = find_row(imp)) < 0)
    return wasi_refuse(env, imp, "unknown import");
  if (!wasi_types_match(t->nparams, t->params, rows[i].params) ||
      !wasi_types_match(t->nresults, t->results, rows[i].results))
    return wasi_refuse(env, imp, "wrong type for import");
  s = interp_host_func_new(env->store, t, forward, &env->hostfn_calls[i], &f);
  if (s != INTERP_OK)
    return s;
  out->kind = INTERP_EXTERN_FUNC;
  out->of.func = f;
  return INTERP_OK;
}
