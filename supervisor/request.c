/*
** request.c: the job's own copy of a run's options, and the Run frame
** built from it.
*/
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "internal.h"
#include "policy.h"

extern char **environ;

static uint64_t pick(uint64_t asked, uint64_t dflt) {
  return asked ? asked : dflt;
}

static bool copy_argv(sup_request *dst, const plugsup_run_options *o) {
  if (o->argc == 0)
    return true;
  dst->argv = calloc(o->argc, sizeof *dst->argv);
  if (!dst->argv)
    return false;
  dst->argc = o->argc;
  for (size_t i = 0; i < o->argc; i++)
    if (!(dst->argv[i] = strdup(o->argv[i])))
      return false;
  return true;
}

static bool copy_args(sup_request *dst, const plugsup_run_options *o) {
  if (o->nargs == 0)
    return true;
  dst->args = malloc(o->nargs * sizeof *dst->args);
  if (!dst->args)
    return false;
  memcpy(dst->args, o->args, o->nargs * sizeof *dst->args);
  dst->nargs = o->nargs;
  return true;
}

static bool copy_input(sup_request *dst, const plugsup_run_options *o) {
  if (o->input_len == 0)
    return true;
  if (!(dst->input = malloc(o->input_len)))
    return false;
  memcpy(dst->input, o->input, o->input_len);
  dst->input_len = o->input_len;
  return true;
}

/* ---- the environment ---- */

static bool push(char ***list, size_t *n, const char *name, size_t len,
                 const char *value) {
  char **l = realloc(*list, (*n + 1) * sizeof *l);
  if (!l)
    return false;
  *list = l;
  size_t vlen = value ? strlen(value) : 0;
  char *s = malloc(len + vlen + 2);
  if (!s)
    return false;
  memcpy(s, name, len);
  s[len] = '\0';
  if (value) {
    s[len] = '=';
    memcpy(s + len + 1, value, vlen + 1);
  }
  l[(*n)++] = s;
  return true;
}

static bool has_name(char *const *list, size_t n, const char *name,
                     size_t len) {
  for (size_t i = 0; i < n; i++)
    if (strncmp(list[i], name, len) == 0 && list[i][len] == '=')
      return true;
  return false;
}

/* What the plugin sees: the policy's explicit variables (a NULL value is
** the host's, if it has one), then the host's variables its env:
** patterns grant. The host's others are noted for the audit. */
static bool copy_env(sup_request *dst, const policy *rules) {
  size_t n = rules ? policy_env_count(rules) : 0;
  for (size_t i = 0; i < n; i++) {
    const policy_env_var *v = policy_env_at(rules, i);
    const char *value = v->value ? v->value : getenv(v->name);
    size_t len = strlen(v->name);
    if (value && !has_name(dst->env, dst->nenv, v->name, len) &&
        !push(&dst->env, &dst->nenv, v->name, len, value))
      return false;
  }
  for (char **e = environ; e && *e; e++) {
    const char *eq = strchr(*e, '=');
    char name[256], cap[300];
    size_t len = eq ? (size_t)(eq - *e) : strlen(*e);
    if (!eq || len >= sizeof name || has_name(dst->env, dst->nenv, *e, len))
      continue;
    memcpy(name, *e, len);
    name[len] = '\0';
    if (rules && policy_may_env(rules, name, cap, sizeof cap)) {
      if (!push(&dst->env, &dst->nenv, name, len, eq + 1))
        return false;
    } else if (dst->on_audit &&
               !push(&dst->env_denied, &dst->nenv_denied, name, len, NULL)) {
      return false;
    }
  }
  return true;
}

/* Run options' limits, else the policy's, else the supervisor's. */
static void pick_limits(sup_request *dst, const plugsup_limits *asked,
                        const policy *rules, const plugsup_limits *dflt) {
  const policy_limits *pl = rules ? policy_get_limits(rules) : NULL;
  plugsup_limits from = pl ? (plugsup_limits){pl->memory_bytes, pl->fuel,
                                              pl->wall_ms, pl->output_bytes}
                           : (plugsup_limits){0, 0, 0, 0};
  dst->limits.memory_bytes = pick(asked->memory_bytes,
                                  pick(from.memory_bytes, dflt->memory_bytes));
  dst->limits.fuel = pick(asked->fuel, pick(from.fuel, dflt->fuel));
  dst->limits.wall_ms = pick(asked->wall_ms, pick(from.wall_ms, dflt->wall_ms));
  dst->limits.output_bytes = pick(asked->output_bytes,
                                  pick(from.output_bytes, dflt->output_bytes));
}

static plugsup_status check_options(const plugsup_run_options *o) {
  if (o->size < sizeof *o)
    return sup_fail(PLUGSUP_EINVAL, "plugsup_run_options.size is %zu, "
                    "expected %zu", o->size, sizeof *o);
  if (o->mode > PLUGSUP_MODE_CALL)
    return sup_fail(PLUGSUP_EINVAL, "unknown run mode %d", (int)o->mode);
  if (o->mode == PLUGSUP_MODE_INVOKE && (!o->export_name || !*o->export_name))
    return sup_fail(PLUGSUP_EINVAL, "an INVOKE run needs an export name");
  if ((o->mode == PLUGSUP_MODE_METADATA || o->mode == PLUGSUP_MODE_CALL) &&
      (o->abi <= PLUGSUP_ABI_NONE || o->abi >= PLUGSUP_ABI_COUNT_))
    return sup_fail(PLUGSUP_EINVAL, "a %s run needs an ABI (process, tool "
                    "or observe)", o->mode == PLUGSUP_MODE_CALL ? "CALL"
                                                               : "METADATA");
  if (o->mode == PLUGSUP_MODE_CALL && o->abi == PLUGSUP_ABI_TOOL &&
      (!o->tool || !*o->tool))
    return sup_fail(PLUGSUP_EINVAL, "a CALL of a tool plugin needs a tool "
                    "name");
  if (sup_mode_is_abi(o->mode) && o->input_from_fd)
    return sup_fail(PLUGSUP_EINVAL, "an ABI run takes its input as bytes, "
                    "not from a descriptor");
  if ((o->nargs && !o->args) || (o->argc && !o->argv) ||
      (o->input_len && !o->input))
    return sup_fail(PLUGSUP_EINVAL, "a count is set but its array is NULL");
  for (size_t i = 0; i < o->argc; i++)
    if (!o->argv[i])
      return sup_fail(PLUGSUP_EINVAL, "argv[%zu] is NULL", i);
  for (size_t i = 0; i < o->nargs; i++)
    if (o->args[i].type < PLUGSUP_I32 || o->args[i].type > PLUGSUP_V128)
      return sup_fail(PLUGSUP_EINVAL, "argument %zu has unknown type %d", i,
                      (int)o->args[i].type);
  if (o->input_from_fd && o->input_fd < 0)
    return sup_fail(PLUGSUP_EINVAL, "input_from_fd is set but input_fd is "
                    "%d", o->input_fd);
  return PLUGSUP_OK;
}

plugsup_status sup_request_copy(sup_request *dst, const plugsup_run_options *o,
                                const plugsup_limits *defaults) {
  memset(dst, 0, sizeof *dst);
  plugsup_status st = check_options(o);
  if (st != PLUGSUP_OK)
    return st;
  dst->mode = o->mode;
  dst->on_output = o->on_output;
  dst->on_audit = o->on_audit;
  dst->userdata = o->userdata;
  dst->input_fd = o->input_from_fd ? o->input_fd : -1;
  const policy *rules = o->policy ? o->policy->rules : NULL;
  pick_limits(dst, &o->limits, rules, defaults);
  if (o->policy) {
    sup_policy_ref(o->policy);
    dst->policy = o->policy;
  }
  bool ok = copy_argv(dst, o) && copy_args(dst, o) &&
            (o->input_from_fd || copy_input(dst, o)) && copy_env(dst, rules);
  if (ok && o->mode == PLUGSUP_MODE_INVOKE)
    ok = (dst->export_name = strdup(o->export_name)) != NULL;
  if (o->mode == PLUGSUP_MODE_METADATA || o->mode == PLUGSUP_MODE_CALL)
    dst->abi = o->abi;
  if (ok && o->mode == PLUGSUP_MODE_CALL && o->abi == PLUGSUP_ABI_TOOL)
    ok = (dst->tool = strdup(o->tool)) != NULL;
  if (!ok) {
    sup_request_free(dst);
    return sup_fail(PLUGSUP_ENOMEM, "cannot copy the run options");
  }
  return PLUGSUP_OK;
}

static void free_list(char **l, size_t n) {
  for (size_t i = 0; l && i < n; i++)
    free(l[i]);
  free(l);
}

void sup_request_free(sup_request *r) {
  free_list(r->env, r->nenv);
  free_list(r->env_denied, r->nenv_denied);
  if (r->policy)
    sup_policy_unref(r->policy);
  for (size_t i = 0; r->argv && i < r->argc; i++)
    free(r->argv[i]);
  free(r->argv);
  free(r->args);
  free(r->export_name);
  free(r->tool);
  free(r->input);
  memset(r, 0, sizeof *r);
}

/* ---- the Run frame ---- */

/* Everything a Run envelope points at; it lives on the stack while the
** envelope is packed, and borrows the job's strings and module bytes. */
typedef struct run_frame {
  Plugsup__Envelope env;
  Plugsup__Run run;
  Plugsup__Limits limits;
  Plugsup__Value *values;
  Plugsup__Value **value_ptrs;
  ProtobufCBinaryData *argv;
  ProtobufCBinaryData *vars;
  uint8_t seed[32];
} run_frame;

static const Plugsup__Run__Mode proto_modes[] = {
    [PLUGSUP_MODE_START] = PLUGSUP__RUN__MODE__START,
    [PLUGSUP_MODE_INVOKE] = PLUGSUP__RUN__MODE__INVOKE,
    [PLUGSUP_MODE_VALIDATE] = PLUGSUP__RUN__MODE__VALIDATE,
    [PLUGSUP_MODE_INSPECT] = PLUGSUP__RUN__MODE__INSPECT,
    [PLUGSUP_MODE_METADATA] = PLUGSUP__RUN__MODE__ABI,
    [PLUGSUP_MODE_CALL] = PLUGSUP__RUN__MODE__ABI,
};

_Static_assert((int)PLUGSUP_ABI_PROCESS == (int)PLUGSUP__ABI__ABI_PROCESS &&
                   (int)PLUGSUP_ABI_TOOL == (int)PLUGSUP__ABI__ABI_TOOL &&
                   (int)PLUGSUP_ABI_OBSERVE == (int)PLUGSUP__ABI__ABI_OBSERVE &&
                   PLUGSUP_ABI_COUNT_ == 4,
               "the public ABI numbers are the protocol's");

_Static_assert((int)PLUGSUP_I32 == (int)PLUGSUP__VAL_TYPE__I32 &&
                   (int)PLUGSUP_F64 == (int)PLUGSUP__VAL_TYPE__F64 &&
                   (int)PLUGSUP_EXTERNREF == (int)PLUGSUP__VAL_TYPE__EXTERNREF &&
                   (int)PLUGSUP_V128 == (int)PLUGSUP__VAL_TYPE__V128,
               "the public value types are the protocol's");

/* Floats travel as their bit patterns so NaN payloads survive. */
static uint64_t value_bits(const plugsup_value *v) {
  uint32_t b32;
  uint64_t b64;
  switch (v->type) {
  case PLUGSUP_I32:
    return (uint32_t)v->of.i32;
  case PLUGSUP_I64:
    return (uint64_t)v->of.i64;
  case PLUGSUP_F32:
    memcpy(&b32, &v->of.f32, sizeof b32);
    return b32;
  case PLUGSUP_F64:
    memcpy(&b64, &v->of.f64, sizeof b64);
    return b64;
  case PLUGSUP_V128:
    return 0; /* its bytes travel in Value.v128 */
  case PLUGSUP_FUNCREF:
  case PLUGSUP_EXTERNREF:
    break;
  }
  return v->of.ref != 0;
}

static bool fill_values(run_frame *f, const sup_request *r) {
  if (r->nargs == 0)
    return true;
  f->values = calloc(r->nargs, sizeof *f->values);
  f->value_ptrs = calloc(r->nargs, sizeof *f->value_ptrs);
  if (!f->values || !f->value_ptrs)
    return false;
  for (size_t i = 0; i < r->nargs; i++) {
    plugsup__value__init(&f->values[i]);
    f->values[i].type = (Plugsup__ValType)r->args[i].type;
    f->values[i].bits = value_bits(&r->args[i]);
    if (r->args[i].type == PLUGSUP_V128) /* the request outlives the frame */
      f->values[i].v128 = (ProtobufCBinaryData){
          sizeof r->args[i].of.v128, (uint8_t *)r->args[i].of.v128};
    f->value_ptrs[i] = &f->values[i];
  }
  f->run.n_args = r->nargs;
  f->run.args = f->value_ptrs;
  return true;
}

static bool fill_argv(run_frame *f, const sup_request *r) {
  static const char default_name[] = "plugin";
  size_t n = r->argc ? r->argc : 1;
  f->argv = calloc(n, sizeof *f->argv);
  if (!f->argv)
    return false;
  for (size_t i = 0; i < r->argc; i++)
    f->argv[i] = (ProtobufCBinaryData){strlen(r->argv[i]),
                                       (uint8_t *)r->argv[i]};
  if (r->argc == 0)
    f->argv[0] = (ProtobufCBinaryData){sizeof default_name - 1,
                                       (uint8_t *)default_name};
  f->run.n_argv = n;
  f->run.argv = f->argv;
  return true;
}

static bool fill_env(run_frame *f, const sup_request *r) {
  if (r->nenv == 0)
    return true;
  if (!(f->vars = calloc(r->nenv, sizeof *f->vars)))
    return false;
  for (size_t i = 0; i < r->nenv; i++)
    f->vars[i] = (ProtobufCBinaryData){strlen(r->env[i]), (uint8_t *)r->env[i]};
  f->run.n_env = r->nenv;
  f->run.env = f->vars;
  return true;
}

static bool run_frame_build(run_frame *f, const plugsup_job *job) {
  const sup_request *r = &job->req;
  memset(f, 0, sizeof *f);
  plugsup__envelope__init(&f->env);
  plugsup__run__init(&f->run);
  plugsup__limits__init(&f->limits);
  f->limits.memory_bytes = r->limits.memory_bytes;
  f->limits.fuel = r->limits.fuel == PLUGSUP_FUEL_UNLIMITED ? 0 : r->limits.fuel;
  f->limits.output_bytes = r->limits.output_bytes;
  f->run.mode = proto_modes[r->mode];
  /* A zygote's child has the module already (and a Run without one, from
  ** anyone, only ever runs it there); an exec'd worker has it on fd 6, or
  ** else in the frame. */
  if (job->module_on_fd)
    f->run.module_fd_len = job->plugin->len;
  else if (!job->forked)
    f->run.module = (ProtobufCBinaryData){job->plugin->len,
                                          (uint8_t *)job->plugin->bytes};
  f->run.limits = &f->limits;
  if (r->export_name)
    f->run.export_name = r->export_name;
  f->run.abi = (Plugsup__Abi)r->abi;
  if (r->mode == PLUGSUP_MODE_METADATA || r->mode == PLUGSUP_MODE_CALL)
    f->run.step = r->mode == PLUGSUP_MODE_CALL ? PLUGSUP__RUN__ABI_STEP__CALL
                                               : PLUGSUP__RUN__ABI_STEP__METADATA;
  if (r->tool)
    f->run.tool = (ProtobufCBinaryData){strlen(r->tool), (uint8_t *)r->tool};
  /* With the random capability, a seed the plugin cannot predict (a short
  ** read only weakens the plugin's own randomness, never the sandbox);
  ** without it, a fixed one: the same numbers on every run. */
  bool entropy = r->policy && policy_has(r->policy->rules, POLICY_CAP_RANDOM);
  if (!entropy ||
      getrandom(f->seed, sizeof f->seed, GRND_NONBLOCK) != sizeof f->seed)
    memset(f->seed, 0, sizeof f->seed);
  f->run.random_seed = (ProtobufCBinaryData){sizeof f->seed, f->seed};
  f->run.input = (ProtobufCBinaryData){r->input_len, r->input};
  f->run.stdin_stream = r->input_fd >= 0;
  f->run.clock = r->policy && policy_has(r->policy->rules, POLICY_CAP_CLOCK);
  f->env.msg_case = PLUGSUP__ENVELOPE__MSG_RUN;
  f->env.run = &f->run;
  return fill_values(f, r) && fill_argv(f, r) && fill_env(f, r);
}

static void run_frame_free(run_frame *f) {
  free(f->values);
  free(f->value_ptrs);
  free(f->argv);
  free(f->vars);
}

size_t sup_request_frame_size(const plugsup_job *job) {
  run_frame f;
  size_t n = SIZE_MAX;
  if (run_frame_build(&f, job))
    n = plugsup__envelope__get_packed_size(&f.env);
  run_frame_free(&f);
  return n;
}

plugsup_status sup_request_start_writer(plugsup_job *job) {
  run_frame f;
  plugsup_status st = PLUGSUP_OK;
  if (!run_frame_build(&f, job)) {
    st = PLUGSUP_ENOMEM;
    goto done;
  }
  frame_status fs = frame_writer_start(&job->writer, &f.env, FRAME_DEFAULT_MAX);
  if (fs != FRAME_OK)
    st = fs == FRAME_NOMEM ? PLUGSUP_ENOMEM : PLUGSUP_ETOOBIG;
  else
    job->writing = true;
done:
  run_frame_free(&f);
  return st;
}
