/*
** result.c: every way a worker can end, turned into a typed result.
**
** The order of the checks is the order of trust: what the supervisor did
** itself (deadline, protocol kill) first, then what the kernel says
** (SIGSYS, other signals, exit status), and the worker's own Result frame
** only when the process ended the way an honest worker ends.
*/
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "internal.h"

/* Strings that are not heap-allocated: result_free skips them, so a
** result is still whole when a copy fails for lack of memory. */
static const char empty[] = "";
static const char unknown[] = "unknown";

static const char *dup_or_empty(const char *s) {
  char *d = s ? strdup(s) : NULL;
  return d ? d : empty;
}

static void free_str(const char *s) {
  if (s != empty && s != unknown)
    free((char *)s);
}

/* Worker prose (messages, trap kinds) made safe to print. */
static const char *prose(const char *s) {
  char *d = s ? sup_guest_text(s, strlen(s), SUP_TEXT_PROSE) : NULL;
  return d ? d : empty;
}

plugsup_result *sup_result_alloc(void) {
  plugsup_result *r = calloc(1, sizeof *r);
  if (!r)
    return NULL;
  r->trap_kind = r->message = r->syscall = empty;
  r->out.data = r->err.data = r->abi_output.data = r->manifest = empty;
  r->syscall_number = -1;
  return r;
}

void plugsup_result_free(plugsup_result *r) {
  if (!r)
    return;
  free_str(r->trap_kind);
  free_str(r->message);
  free_str(r->syscall);
  free_str(r->out.data);
  free_str(r->err.data);
  free((void *)r->values);
  for (size_t i = 0; i < r->export_count; i++) {
    free_str(r->exports[i].name);
    free_str(r->exports[i].kind);
    free_str(r->exports[i].type);
  }
  free((void *)r->exports);
  for (size_t i = 0; i < r->import_count; i++)
    free_str(r->imports[i]);
  free((void *)r->imports);
  sup_abi_result_free(r);
  free_str(r->abi_output.data);
  free_str(r->manifest);
  free(r);
}

void sup_result_set_message(plugsup_result *r, const char *fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  free_str(r->message);
  r->message = dup_or_empty(buf);
}

/* ---- from the worker's Result ---- */

/* One Value as the public type; values_typed has checked it. */
static plugsup_value public_value(const Plugsup__Value *w) {
  plugsup_value v = {.type = (plugsup_valtype)w->type};
  uint32_t b32 = (uint32_t)w->bits;
  switch (v.type) {
  case PLUGSUP_F32:
    memcpy(&v.of.f32, &b32, sizeof b32);
    break;
  case PLUGSUP_F64:
    memcpy(&v.of.f64, &w->bits, sizeof w->bits);
    break;
  case PLUGSUP_I32:
    v.of.i32 = (int32_t)b32;
    break;
  case PLUGSUP_V128:
    memcpy(v.of.v128, w->v128.data, sizeof v.of.v128);
    break;
  case PLUGSUP_I64:
  case PLUGSUP_FUNCREF:
  case PLUGSUP_EXTERNREF:
    v.of.ref = w->bits; /* i64 and references share the 64 bits */
    break;
  }
  return v;
}

static bool copy_values(plugsup_result *r, const Plugsup__Result *w) {
  if (w->n_values == 0)
    return true;
  plugsup_value *v = calloc(w->n_values, sizeof *v);
  if (!v)
    return false;
  for (size_t i = 0; i < w->n_values; i++)
    v[i] = public_value(w->values[i]);
  r->values = v;
  r->value_count = w->n_values;
  return true;
}

/* A known type; the 16 bytes of a v128, and no such bytes on the others. */
static bool value_typed(const Plugsup__Value *v) {
  if (v->type < PLUGSUP__VAL_TYPE__I32 || v->type > PLUGSUP__VAL_TYPE__V128)
    return false;
  return v->v128.len == (v->type == PLUGSUP__VAL_TYPE__V128 ? 16 : 0);
}

/* At most a function's results, each well formed. */
static bool values_typed(const Plugsup__Result *w) {
  if (w->n_values > FRAME_RESULT_MAX_VALUES)
    return false;
  for (size_t i = 0; i < w->n_values; i++)
    if (!value_typed(w->values[i]))
      return false;
  return true;
}

/* ---- the VALIDATE report ---- */

/* Grows *arr (of *cap elements of size) to hold need; false if it cannot. */
static bool reserve(void *arr, size_t *cap, size_t need, size_t size) {
  if (need <= *cap)
    return true;
  size_t n = *cap ? *cap : 64;
  while (n < need)
    n *= 2;
  void *p = realloc(*(void **)arr, n * size);
  if (!p)
    return false;
  *(void **)arr = p;
  *cap = n;
  return true;
}

static char *name_text(ProtobufCBinaryData d) {
  return sup_guest_text(d.data, d.len, SUP_TEXT_NAME);
}

/* "module.name kind", the form plugsup_result.imports has. */
static char *import_text(const Plugsup__ImportInfo *im) {
  char *m = name_text(im->module), *n = name_text(im->name), *t = NULL;
  char *kind = sup_guest_text(im->kind, strlen(im->kind), SUP_TEXT_NAME);
  if (m && n && kind) {
    size_t len = strlen(m) + strlen(n) + strlen(kind) + 3;
    if ((t = malloc(len)))
      snprintf(t, len, "%s.%s %s", m, n, kind);
  }
  free(m);
  free(n);
  free(kind);
  return t;
}

static bool add_export(plugsup_job *job, const Plugsup__ExportInfo *e) {
  plugsup_export *x = &job->exports[job->n_exports];
  x->name = name_text(e->name);
  x->kind = sup_guest_text(e->kind, strlen(e->kind), SUP_TEXT_NAME);
  x->type = sup_guest_text(e->type, strlen(e->type), SUP_TEXT_PROSE);
  job->n_exports++;
  return x->name && x->kind && x->type;
}

/* A wasm export takes at least 3 bytes of the module (name length, kind,
** index) and an import at least 4, no name is longer than the module, and
** the interpreter allows at most FRAME_REPORT_MAX_* of each: a report that
** claims more cannot describe the plugin it was given. So a report costs
** at most about 4 times the module's size in text, plus its entries. */
const char *sup_job_add_report(plugsup_job *job,
                               Plugsup__ExportInfo *const *exports,
                               size_t n_exports,
                               Plugsup__ImportInfo *const *imports,
                               size_t n_imports) {
  size_t module_len = job->plugin->len;
  if (job->req.mode != PLUGSUP_MODE_VALIDATE &&
      job->req.mode != PLUGSUP_MODE_INSPECT && (n_exports || n_imports))
    return "worker sent a module report for a run that did not ask for one";
  if (job->n_exports + n_exports > module_len / 3 ||
      job->n_imports + n_imports > module_len / 4 ||
      job->n_exports + n_exports > FRAME_REPORT_MAX_EXPORTS ||
      job->n_imports + n_imports > FRAME_REPORT_MAX_IMPORTS)
    return "worker reported more exports or imports than the module can hold";
  for (size_t i = 0; i < n_exports; i++)
    job->report_bytes += exports[i]->name.len;
  for (size_t i = 0; i < n_imports; i++)
    job->report_bytes += imports[i]->module.len + imports[i]->name.len;
  if (job->report_bytes > module_len)
    return "worker reported names longer than the module";
  if (!reserve(&job->exports, &job->cap_exports, job->n_exports + n_exports,
               sizeof *job->exports) ||
      !reserve(&job->imports, &job->cap_imports, job->n_imports + n_imports,
               sizeof *job->imports))
    return "out of memory reading the module report";
  for (size_t i = 0; i < n_exports; i++)
    if (!add_export(job, exports[i]))
      return "out of memory reading the module report";
  for (size_t i = 0; i < n_imports; i++)
    if (!(job->imports[job->n_imports++] = import_text(imports[i])))
      return "out of memory reading the module report";
  return NULL;
}

static const plugsup_outcome from_worker[] = {
    [PLUGSUP__OUTCOME__OK] = PLUGSUP_OUTCOME_OK,
    [PLUGSUP__OUTCOME__EXIT] = PLUGSUP_OUTCOME_EXIT,
    [PLUGSUP__OUTCOME__TRAP] = PLUGSUP_OUTCOME_TRAP,
    [PLUGSUP__OUTCOME__OUT_OF_FUEL] = PLUGSUP_OUTCOME_OUT_OF_FUEL,
    [PLUGSUP__OUTCOME__OUT_OF_MEMORY] = PLUGSUP_OUTCOME_OUT_OF_MEMORY,
    [PLUGSUP__OUTCOME__INVALID_MODULE] = PLUGSUP_OUTCOME_INVALID_MODULE,
    [PLUGSUP__OUTCOME__BAD_REQUEST] = PLUGSUP_OUTCOME_BAD_REQUEST,
    [PLUGSUP__OUTCOME__ABI_ERROR] = PLUGSUP_OUTCOME_ABI_ERROR,
};

static void from_result(plugsup_result *r, const Plugsup__Result *w) {
  size_t n = sizeof from_worker / sizeof from_worker[0];
  if (w->outcome <= PLUGSUP__OUTCOME__OUTCOME_UNSPECIFIED ||
      (size_t)w->outcome >= n || !values_typed(w)) {
    r->outcome = PLUGSUP_OUTCOME_PROTOCOL_ERROR;
    sup_result_set_message(r, "worker sent a malformed result");
    return;
  }
  r->outcome = from_worker[w->outcome];
  r->exit_code = w->exit_code;
  r->fuel_used = w->fuel_used;
  r->peak_memory_bytes = w->peak_memory_bytes;
  if (r->outcome == PLUGSUP_OUTCOME_TRAP)
    r->trap_kind = prose(w->trap_kind);
  r->message = prose(w->message);
  if (!copy_values(r, w)) {
    r->outcome = PLUGSUP_OUTCOME_WORKER_FAILED;
    sup_result_set_message(r, "out of memory while copying the worker's result");
  }
}

/* ---- from the exit status ---- */

static void from_exit_status(plugsup_result *r, int code) {
  static const struct {
    int code;
    plugsup_outcome outcome;
    const char *text;
  } codes[] = {
      {PLUGSUP_WORKER_EXIT_SANDBOX_SETUP, PLUGSUP_OUTCOME_WORKER_FAILED,
       "worker could not set up its sandbox"},
      {PLUGSUP_WORKER_EXIT_USAGE, PLUGSUP_OUTCOME_WORKER_FAILED,
       "worker refused its command line or descriptors"},
      {PLUGSUP_WORKER_EXIT_ORPHANED, PLUGSUP_OUTCOME_WORKER_FAILED,
       "worker lost its parent while starting"},
      {PLUGSUP_WORKER_EXIT_PROTOCOL, PLUGSUP_OUTCOME_PROTOCOL_ERROR,
       "worker rejected the request stream"},
      {PLUGSUP_WORKER_EXIT_REPLY_IO, PLUGSUP_OUTCOME_PROTOCOL_ERROR,
       "worker could not write its replies"},
      {PLUGSUP_WORKER_EXIT_NOMEM, PLUGSUP_OUTCOME_OUT_OF_MEMORY,
       "worker ran out of memory outside the interpreter"},
  };
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
    if (codes[i].code == code) {
      r->outcome = codes[i].outcome;
      sup_result_set_message(r, "%s (exit status %d)", codes[i].text, code);
      return;
    }
  r->outcome = PLUGSUP_OUTCOME_PROTOCOL_ERROR;
  sup_result_set_message(r, "worker exited with status %d without a result", code);
}

static void violation(plugsup_job *job, plugsup_result *r) {
  r->outcome = PLUGSUP_OUTCOME_SANDBOX_VIOLATION;
  if (job->violation_syscall && *job->violation_syscall) {
    r->syscall = job->violation_syscall;
    job->violation_syscall = NULL;
  } else
    r->syscall = unknown;
  r->syscall_number = job->violation_number;
  sup_result_set_message(r, "worker made a forbidden system call: %s (%ld)", r->syscall,
              r->syscall_number);
}

static void from_signal(plugsup_result *r, int sig) {
  if (sig == SIGXCPU) {
    r->outcome = PLUGSUP_OUTCOME_TIMEOUT;
    sup_result_set_message(r, "worker used up its CPU time limit");
    return;
  }
  r->outcome = PLUGSUP_OUTCOME_CRASHED;
  r->signal = sig;
  sup_result_set_message(r, "worker killed by signal %d (%s)", sig, strsignal(sig));
}

static void classify(plugsup_job *job, int status, plugsup_result *r) {
  bool sigsys = WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS;
  if (job->killed == KILL_TIMEOUT) {
    r->outcome = PLUGSUP_OUTCOME_TIMEOUT;
    sup_result_set_message(r, "wall-clock limit of %llu ms reached",
                (unsigned long long)job->req.limits.wall_ms);
  } else if (job->killed == KILL_PROTOCOL) {
    r->outcome = PLUGSUP_OUTCOME_PROTOCOL_ERROR;
    sup_result_set_message(r, "%s", job->why);
  } else if (job->status_lost) {
    r->outcome = PLUGSUP_OUTCOME_WORKER_FAILED;
    sup_result_set_message(r, "the worker's exit status was lost: this process ignores "
                "SIGCHLD (SIG_IGN or SA_NOCLDWAIT), so the kernel reaped it");
  } else if (job->violation_syscall || sigsys)
    violation(job, r);
  else if (job->result &&
           (job->killed == KILL_LINGER ||
            (WIFEXITED(status) && WEXITSTATUS(status) == 0)))
    from_result(r, job->result);
  else if (WIFSIGNALED(status))
    from_signal(r, WTERMSIG(status));
  else if (WEXITSTATUS(status) == 0) {
    r->outcome = PLUGSUP_OUTCOME_PROTOCOL_ERROR;
    sup_result_set_message(r, "worker ended without a result");
  } else
    from_exit_status(r, WEXITSTATUS(status));
}

static void move_output(sup_buf *b, plugsup_output *o) {
  if (b->data) {
    o->data = b->data;
    o->len = b->len;
    b->data = NULL;
  }
  o->truncated = o->truncated || b->truncated;
}

void sup_job_free_report(plugsup_job *job) {
  for (size_t i = 0; i < job->n_exports; i++) {
    free((char *)job->exports[i].name);
    free((char *)job->exports[i].kind);
    free((char *)job->exports[i].type);
  }
  free(job->exports);
  for (size_t i = 0; i < job->n_imports; i++)
    free((char *)job->imports[i]);
  free(job->imports);
  job->exports = NULL;
  job->imports = NULL;
  job->n_exports = job->n_imports = 0;
}

/* Only a report the run ended well after is shown: every string in it is
** whole then (a failed copy kills the worker). A module whose imports do
** not link ends well too: the worker reported it whole, then refused it,
** and its imports say what it asked for. */
static void move_report(plugsup_job *job, plugsup_result *r) {
  if (r->outcome != PLUGSUP_OUTCOME_OK &&
      r->outcome != PLUGSUP_OUTCOME_INVALID_MODULE)
    return;
  r->exports = job->exports;
  r->export_count = job->n_exports;
  r->imports = job->imports;
  r->import_count = job->n_imports;
  job->exports = NULL;
  job->imports = NULL;
  job->n_exports = job->n_imports = 0;
}

void sup_job_finish(plugsup_job *job, int status) {
  classify(job, status, job->res);
  move_report(job, job->res);
  sup_abi_finish(job, job->res);
  job->res->namespaces = job->namespaces;
  job->res->worker_uid = job->uid;
  job->res->worker_gid = job->gid;
  job->res->worker_capabilities = job->capabilities;
  move_output(&job->out, &job->res->out);
  move_output(&job->err, &job->res->err);
  /* Each stream that was cut said so in an Output frame of its own; the
  ** Result's one flag stands in for both only when neither did. */
  if (job->result && job->result->output_truncated &&
      !job->res->out.truncated && !job->res->err.truncated)
    job->res->out.truncated = job->res->err.truncated = true;
}

void sup_job_spawn_failed(plugsup_job *job) {
  job->res->outcome = PLUGSUP_OUTCOME_WORKER_FAILED;
  sup_result_set_message(job->res, "%s", job->why);
}
