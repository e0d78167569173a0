/*
** spec_cmd.c: runs the commands of one converted .wast file against one
** interp_store. Each counted command ends as one outcome byte on the
** parent's pipe; with -v each failure is described on stdout.
*/
#define _POSIX_C_SOURCE 200809L  /* strdup */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spec.h"

/* What a command is called in messages, e.g. 'assert_return'. */
static const char *cmd_type(const json_t *cmd) {
  const char *t = json_string_value(json_object_get(cmd, "type"));
  return t ? t : "?";
}

static int cmd_line(const json_t *cmd) {
  return (int)json_integer_value(json_object_get(cmd, "line"));
}

int spec_cmd_counted(const json_t *cmd) {
  return strcmp(cmd_type(cmd), "register") != 0;
}

/* -v: one line per failure, "file.wast:LINE: command: why". */
static void say(const spec_file *sf, const json_t *cmd, const char *fmt, ...) {
  if (!sf->verbose)
    return;
  va_list ap;
  va_start(ap, fmt);
  printf("%s:%d: %s: ", sf->wast, cmd_line(cmd), cmd_type(cmd));
  vprintf(fmt, ap);
  putchar('\n');
  va_end(ap);
}

/* Names may hold NUL or non-ASCII bytes: print them escaped. */
static void escape(const char *s, size_t len, char *buf, size_t cap) {
  size_t o = 0;
  for (size_t i = 0; i < len && o + 5 < cap; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
      buf[o++] = (char)c;
    else
      o += (size_t)snprintf(buf + o, cap - o, "\\%02x", c);
  }
  buf[o] = '\0';
}

static int read_all(const char *path, uint8_t **out, size_t *len) {
  FILE *f = fopen(path, "rb");
  uint8_t *buf = NULL;
  size_t cap = 0, n = 0;
  if (f == NULL)
    return -1;
  for (;;) {
    if (n == cap) {
      uint8_t *nb = realloc(buf, cap ? cap * 2 : 4096);
      if (nb == NULL)
        goto fail;
      buf = nb;
      cap = cap ? cap * 2 : 4096;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0)
      break;
  }
  if (ferror(f))
    goto fail;
  fclose(f);
  *out = buf;
  *len = n;
  return 0;
fail:
  free(buf);
  fclose(f);
  return -1;
}

/* Read and load the command's "filename". A missing file is reported as a
** load failure with status INTERP_BAD_ARGS, which no assertion expects. */
static interp_status load_module(spec_file *sf, const json_t *cmd,
                                 interp_module **mod, interp_error *err) {
  const char *fn = json_string_value(json_object_get(cmd, "filename"));
  char path[4096];
  uint8_t *bytes = NULL;
  size_t len = 0;
  memset(err, 0, sizeof *err);
  snprintf(path, sizeof path, "%s/%s", sf->json_dir, fn ? fn : "");
  if (fn == NULL || read_all(path, &bytes, &len) != 0) {
    /* The path is long; the message keeps its tail, which names the file. */
    size_t plen = strlen(path);
    const char *tail = plen > 160 ? path + plen - 160 : path;
    snprintf(err->message, sizeof err->message, "cannot read %.160s: %.64s",
             tail, strerror(errno));
    return err->status = INTERP_BAD_ARGS;
  }
  interp_status s = interp_module_load(sf->store, bytes, len, mod, err);
  free(bytes);
  return s;
}

static int bind(spec_binding **list, size_t *n, const char *name,
                interp_instance *inst) {
  spec_binding *nl = realloc(*list, (*n + 1) * sizeof **list);
  if (nl == NULL)
    return -1;
  *list = nl;
  nl[*n].name = strdup(name);
  if (nl[*n].name == NULL)
    return -1;
  nl[*n].inst = inst;
  (*n)++;
  return 0;
}

static interp_instance *lookup(const spec_binding *list, size_t n,
                               const char *name) {
  for (size_t i = n; i-- > 0;)
    if (strcmp(list[i].name, name) == 0)
      return list[i].inst;
  return NULL;
}

/* ---- module and register ---- */

static char cmd_module(spec_file *sf, const json_t *cmd) {
  interp_module *mod = NULL;
  interp_error err;
  const char *name = json_string_value(json_object_get(cmd, "name"));
  sf->current = NULL;  /* a failed module must not leave the old one current */
  interp_status s = load_module(sf, cmd, &mod, &err);
  if (s == INTERP_OK)
    s = interp_instantiate(sf->store, mod, spec_resolve, sf, &sf->current, &err);
  if (s != INTERP_OK) {
    sf->current = NULL;
    say(sf, cmd, "module failed: %s: %s", interp_status_name(s), err.message);
    return SPEC_FAIL;
  }
  if (name != NULL && bind(&sf->named, &sf->nnamed, name, sf->current) != 0)
    return SPEC_FAIL;
  return SPEC_PASS;
}

static void cmd_register(spec_file *sf, const json_t *cmd) {
  const char *as = json_string_value(json_object_get(cmd, "as"));
  const char *name = json_string_value(json_object_get(cmd, "name"));
  interp_instance *inst =
      name ? lookup(sf->named, sf->nnamed, name) : sf->current;
  if (as != NULL && inst != NULL)
    bind(&sf->registered, &sf->nregistered, as, inst);
}

/* ---- actions ---- */

/* Results of an action; 'vals' is malloc'd. */
typedef struct action_result {
  interp_value *vals;
  uint32_t n;
  interp_error err;
} action_result;

static interp_instance *action_instance(spec_file *sf, const json_t *action) {
  const char *m = json_string_value(json_object_get(action, "module"));
  return m ? lookup(sf->named, sf->nnamed, m) : sf->current;
}

static interp_status fail_action(action_result *r, interp_status s,
                                 const char *what) {
  r->err.status = s;
  snprintf(r->err.message, sizeof r->err.message, "%s", what);
  return s;
}

static interp_status get_global(interp_instance *inst, const json_t *action,
                                action_result *r) {
  const json_t *field = json_object_get(action, "field");
  interp_extern ext;
  interp_status s = interp_instance_export(inst, json_string_value(field),
                                           json_string_length(field), &ext);
  if (s != INTERP_OK || ext.kind != INTERP_EXTERN_GLOBAL)
    return fail_action(r, INTERP_NOT_FOUND, "no such global export");
  r->vals = malloc(sizeof *r->vals);
  if (r->vals == NULL)
    return fail_action(r, INTERP_NOMEM, "runner out of memory");
  r->vals[0] = interp_global_get(ext.of.global);
  r->n = 1;
  return INTERP_OK;
}

/* Arguments from JSON, checked against the function's parameter types so
** that a conversion slip in the runner is not blamed on the interpreter. */
static interp_status build_args(const json_t *jargs, const interp_functype *ft,
                                interp_value **out, action_result *r) {
  size_t n = json_array_size(jargs);
  if (n != ft->nparams)
    return fail_action(r, INTERP_BAD_ARGS, "argument count differs from export");
  *out = calloc(n ? n : 1, sizeof **out);
  if (*out == NULL)
    return fail_action(r, INTERP_NOMEM, "runner out of memory");
  for (size_t i = 0; i < n; i++)
    if (spec_value_from_json(json_array_get(jargs, i), &(*out)[i]) != 0 ||
        (*out)[i].type != ft->params[i])
      return fail_action(r, INTERP_BAD_ARGS, "argument type differs from export");
  return INTERP_OK;
}

static interp_status invoke(spec_file *sf, interp_instance *inst,
                            const json_t *action, action_result *r) {
  const json_t *field = json_object_get(action, "field");
  interp_extern ext;
  interp_functype ft;
  interp_value *args = NULL;
  interp_status s = interp_instance_export(inst, json_string_value(field),
                                           json_string_length(field), &ext);
  if (s != INTERP_OK || ext.kind != INTERP_EXTERN_FUNC)
    return fail_action(r, INTERP_NOT_FOUND, "no such function export");
  interp_func_type(ext.of.func, &ft);
  s = build_args(json_object_get(action, "args"), &ft, &args, r);
  if (s != INTERP_OK)
    goto done;
  r->vals = calloc(ft.nresults ? ft.nresults : 1, sizeof *r->vals);
  if (r->vals == NULL) {
    s = fail_action(r, INTERP_NOMEM, "runner out of memory");
    goto done;
  }
  r->n = ft.nresults;
  s = interp_call(sf->store, ext.of.func, args, ft.nparams, r->vals, r->n,
                  &r->err);
done:
  free(args);
  return s;
}

static interp_status run_action(spec_file *sf, const json_t *cmd,
                                action_result *r) {
  const json_t *action = json_object_get(cmd, "action");
  const char *type = json_string_value(json_object_get(action, "type"));
  memset(r, 0, sizeof *r);
  interp_instance *inst = action_instance(sf, action);
  if (inst == NULL)
    return fail_action(r, INTERP_NOT_FOUND, "no module to act on");
  if (type != NULL && strcmp(type, "get") == 0)
    return get_global(inst, action, r);
  return invoke(sf, inst, action, r);
}

/* Describe a failed action for -v: status and message. */
static void say_action(const spec_file *sf, const json_t *cmd,
                       interp_status s, const action_result *r,
                       const char *expected) {
  const json_t *field = json_object_get(json_object_get(cmd, "action"), "field");
  char name[256];
  escape(json_string_value(field) ? json_string_value(field) : "",
         json_string_length(field), name, sizeof name);
  say(sf, cmd, "\"%s\": expected %s, got %s: %s", name, expected,
      interp_status_name(s), r->err.message);
}

/* ---- assertions on actions ---- */

static char cmd_action(spec_file *sf, const json_t *cmd) {
  action_result r;
  interp_status s = run_action(sf, cmd, &r);
  if (s != INTERP_OK)
    say_action(sf, cmd, s, &r, "success");
  free(r.vals);
  return s == INTERP_OK ? SPEC_PASS : SPEC_FAIL;
}

static int results_match(const spec_file *sf, const json_t *cmd,
                         const action_result *r) {
  const json_t *exp = json_object_get(cmd, "expected");
  char e[128], g[128];
  if (json_array_size(exp) != r->n) {
    say(sf, cmd, "expected %zu results, the export has %u",
        json_array_size(exp), r->n);
    return 0;
  }
  for (uint32_t i = 0; i < r->n; i++) {
    if (spec_value_matches(json_array_get(exp, i), &r->vals[i]))
      continue;
    spec_json_value_format(json_array_get(exp, i), e, sizeof e);
    spec_value_format(&r->vals[i], g, sizeof g);
    say(sf, cmd, "\"%s\" result %u: expected %s, got %s",
        json_string_value(json_object_get(json_object_get(cmd, "action"),
                                          "field")),
        i, e, g);
    return 0;
  }
  return 1;
}

static char cmd_assert_return(spec_file *sf, const json_t *cmd) {
  action_result r;
  char out = SPEC_FAIL;
  interp_status s = run_action(sf, cmd, &r);
  if (s != INTERP_OK)
    say_action(sf, cmd, s, &r, "results");
  else if (results_match(sf, cmd, &r))
    out = SPEC_PASS;
  free(r.vals);
  return out;
}

/* The suite's texts are prefixes of the full message (the reference
** interpreter adds detail after them). */
static int message_matches(const char *expected, const char *got) {
  return expected == NULL || strncmp(got, expected, strlen(expected)) == 0;
}

/* assert_trap: a trap whose message starts with the expected text. */
static char cmd_assert_trap(spec_file *sf, const json_t *cmd) {
  action_result r;
  const char *text = json_string_value(json_object_get(cmd, "text"));
  char out = SPEC_FAIL;
  char want[300];
  interp_status s = run_action(sf, cmd, &r);
  if (s == INTERP_TRAP && message_matches(text, r.err.message)) {
    out = SPEC_PASS;
  } else {
    snprintf(want, sizeof want, "trap \"%s\"", text ? text : "");
    say_action(sf, cmd, s, &r, want);
  }
  free(r.vals);
  return out;
}

/* assert_exhaustion: the suite means "runs out of stack". Our interpreter
** has two stacks (frames and value slots) and a deep call with big frames
** may fill either first, so both kinds pass; the value-stack one counts as
** a different message and -v shows it. */
static char cmd_assert_exhaustion(spec_file *sf, const json_t *cmd) {
  action_result r;
  const char *text = json_string_value(json_object_get(cmd, "text"));
  char out = SPEC_FAIL;
  char want[300];
  interp_status s = run_action(sf, cmd, &r);
  int exhausted = s == INTERP_TRAP &&
                  (r.err.trap == INTERP_TRAP_CALL_STACK_EXHAUSTED ||
                   r.err.trap == INTERP_TRAP_VALUE_STACK_EXHAUSTED);
  if (exhausted && message_matches(text, r.err.message)) {
    out = SPEC_PASS;
  } else if (exhausted) {
    say(sf, cmd, "message differs: expected \"%s\", got \"%s\"", text,
        r.err.message);
    out = SPEC_PASS_MISMATCH;
  } else {
    snprintf(want, sizeof want, "stack exhaustion \"%s\"", text ? text : "");
    say_action(sf, cmd, s, &r, want);
  }
  free(r.vals);
  return out;
}

/* ---- assertions on modules ---- */

/* Right status: pass, but note a different wording for -v and the stats. */
static char pass_with_message(const spec_file *sf, const json_t *cmd,
                              const interp_error *err) {
  const char *text = json_string_value(json_object_get(cmd, "text"));
  if (message_matches(text, err->message))
    return SPEC_PASS;
  say(sf, cmd, "message differs: expected \"%s\", got \"%s\"", text,
      err->message);
  return SPEC_PASS_MISMATCH;
}

static int is_text_module(const json_t *cmd) {
  const char *mt = json_string_value(json_object_get(cmd, "module_type"));
  return mt != NULL && strcmp(mt, "text") == 0;
}

/* assert_malformed / assert_invalid: loading must fail with 'want'. */
static char cmd_assert_load_fails(spec_file *sf, const json_t *cmd,
                                  interp_status want) {
  interp_module *mod = NULL;
  interp_error err;
  if (is_text_module(cmd))
    return SPEC_SKIP;  /* text syntax is wast2json's business, not ours */
  interp_status s = load_module(sf, cmd, &mod, &err);
  if (s == want)
    return pass_with_message(sf, cmd, &err);
  say(sf, cmd, "expected %s \"%s\", got %s%s%s", interp_status_name(want),
      json_string_value(json_object_get(cmd, "text")), interp_status_name(s),
      s == INTERP_OK ? "" : ": ", s == INTERP_OK ? "" : err.message);
  return SPEC_FAIL;
}

/* assert_unlinkable / assert_uninstantiable: the module loads, and
** instantiating it fails with 'want'. */
static char cmd_assert_inst_fails(spec_file *sf, const json_t *cmd,
                                  interp_status want) {
  interp_module *mod = NULL;
  interp_instance *inst = NULL;
  interp_error err;
  if (is_text_module(cmd))
    return SPEC_SKIP;
  interp_status s = load_module(sf, cmd, &mod, &err);
  if (s == INTERP_OK)
    s = interp_instantiate(sf->store, mod, spec_resolve, sf, &inst, &err);
  if (s == want)
    return pass_with_message(sf, cmd, &err);
  say(sf, cmd, "expected %s \"%s\", got %s%s%s", interp_status_name(want),
      json_string_value(json_object_get(cmd, "text")), interp_status_name(s),
      s == INTERP_OK ? "" : ": ", s == INTERP_OK ? "" : err.message);
  return SPEC_FAIL;
}

static char run_one(spec_file *sf, const json_t *cmd) {
  const char *t = cmd_type(cmd);
  if (strcmp(t, "module") == 0) return cmd_module(sf, cmd);
  if (strcmp(t, "action") == 0) return cmd_action(sf, cmd);
  if (strcmp(t, "assert_return") == 0) return cmd_assert_return(sf, cmd);
  if (strcmp(t, "assert_trap") == 0) return cmd_assert_trap(sf, cmd);
  if (strcmp(t, "assert_exhaustion") == 0) return cmd_assert_exhaustion(sf, cmd);
  if (strcmp(t, "assert_malformed") == 0)
    return cmd_assert_load_fails(sf, cmd, INTERP_MALFORMED);
  if (strcmp(t, "assert_invalid") == 0)
    return cmd_assert_load_fails(sf, cmd, INTERP_INVALID);
  if (strcmp(t, "assert_unlinkable") == 0)
    return cmd_assert_inst_fails(sf, cmd, INTERP_UNLINKABLE);
  if (strcmp(t, "assert_uninstantiable") == 0)
    return cmd_assert_inst_fails(sf, cmd, INTERP_UNINSTANTIABLE);
  say(sf, cmd, "unknown command type, skipped");
  return SPEC_SKIP;
}

/* Tell the parent; it only stops reading at EOF, so retry short writes. */
static void report(int fd, char outcome) {
  while (write(fd, &outcome, 1) < 0 && errno == EINTR)
    ;
}

static void free_bindings(spec_binding *list, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(list[i].name);
  free(list);
}

int spec_run_commands(spec_file *sf, const json_t *commands, int out) {
  if (interp_store_new(NULL, &sf->store) != INTERP_OK)
    return -1;
  if (spec_host_new(sf->store, &sf->host) != INTERP_OK) {
    interp_store_free(sf->store);
    return -1;
  }
  for (size_t i = 0; i < json_array_size(commands); i++) {
    const json_t *cmd = json_array_get(commands, i);
    if (!spec_cmd_counted(cmd)) {
      cmd_register(sf, cmd);
      continue;
    }
    char o = run_one(sf, cmd);
    if (sf->verbose)
      fflush(stdout);  /* a crash must not eat the lines before it */
    report(out, o);
  }
  spec_host_free(sf->host);
  free_bindings(sf->named, sf->nnamed);
  free_bindings(sf->registered, sf->nregistered);
  interp_store_free(sf->store);
  return 0;
}
