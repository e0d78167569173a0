/*
** json.c: `--json`: one object per run on stdout, built with jansson.
*/
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "options.h"

/* JSON strings must be UTF-8; plugin output need not be. Invalid bytes
** become '?' rather than losing the whole stream. */
static json_t *bytes_string(const char *data, size_t len) {
  json_t *s = json_stringn(data, len);
  if (s)
    return s;
  char *copy = malloc(len + 1);
  if (!copy)
    return NULL;
  for (size_t i = 0; i < len; i++)
    copy[i] = (unsigned char)data[i] < 0x80 ? data[i] : '?';
  s = json_stringn(copy, len);
  free(copy);
  return s;
}

/* JSON integers here are 64-bit signed: a count above INT64_MAX would come
** out negative, so it is given as a number with an exponent instead. */
static json_t *count_json(uint64_t n) {
  return n <= INT64_MAX ? json_integer((json_int_t)n) : json_real((double)n);
}

/* A v128 as its text, and as the shape it is printed in with its lanes
** as numbers. */
static json_t *v128_json(const plugsup_value *v) {
  char buf[CLI_VALUE_TEXT_MAX];
  int32_t l[4];
  cli_format_value(v, buf, sizeof buf);
  cli_v128_i32x4(v, l);
  return json_pack("{s:s, s:s, s:s, s:[i, i, i, i]}", "type", "v128", "value",
                   buf, "shape", "i32x4", "lanes", l[0], l[1], l[2], l[3]);
}

static json_t *value_json(const plugsup_value *v) {
  json_t *num;
  switch (v->type) {
  case PLUGSUP_I32:
    num = json_integer(v->of.i32);
    break;
  case PLUGSUP_I64:
    num = json_integer(v->of.i64);
    break;
  case PLUGSUP_V128:
    return v128_json(v);
  default: {
    /* Floats as text too: JSON has no NaN or infinity. */
    char buf[CLI_VALUE_TEXT_MAX];
    cli_format_value(v, buf, sizeof buf);
    num = json_string(buf);
  }
  }
  return json_pack("{s:s, s:o}", "type", cli_valtype_name(v->type), "value",
                   num);
}

static json_t *values_json(const plugsup_result *r) {
  json_t *a = json_array();
  for (size_t i = 0; a && i < r->value_count; i++)
    if (json_array_append_new(a, value_json(&r->values[i])) != 0) {
      json_decref(a);
      return NULL;
    }
  return a;
}

static json_t *module_json(const plugsup_result *r) {
  json_t *ex = json_array(), *im = json_array();
  for (size_t i = 0; ex && i < r->export_count; i++)
    json_array_append_new(ex, json_pack("{s:s, s:s, s:s}", "name",
                                        r->exports[i].name, "kind",
                                        r->exports[i].kind, "type",
                                        r->exports[i].type));
  for (size_t i = 0; im && i < r->import_count; i++)
    json_array_append_new(im, json_string(r->imports[i]));
  return json_pack("{s:b, s:o, s:o}", "valid",
                   r->outcome == PLUGSUP_OUTCOME_OK, "exports", ex, "imports",
                   im);
}

static json_t *namespaces_json(unsigned ns) {
  char names[64];
  json_t *a = json_array();
  cli_namespace_names(ns, names, sizeof names);
  for (char *p = ns ? strtok(names, ",") : NULL; a && p; p = strtok(NULL, ","))
    json_array_append_new(a, json_string(p));
  return a;
}

json_t *cli_result_json(const plugsup_result *r) {
  json_t *o = json_pack(
      "{s:s, s:s, s:o, s:o, s:b, s:o, s:b, s:o, s:o, s:o, s:o, s:o, s:o}",
      "outcome", plugsup_outcome_name(r->outcome), "message", r->message,
      "values", values_json(r), "stdout", bytes_string(r->out.data, r->out.len),
      "stdout_truncated", r->out.truncated, "stderr",
      bytes_string(r->err.data, r->err.len), "stderr_truncated",
      r->err.truncated, "fuel_used", count_json(r->fuel_used),
      "peak_memory_bytes", count_json(r->peak_memory_bytes), "max_rss_bytes",
      count_json(r->max_rss_bytes), "cpu_us", count_json(r->cpu_usec),
      "wall_us", count_json(r->wall_usec), "namespaces",
      namespaces_json(r->namespaces));
  if (!o)
    return NULL;
  json_object_set_new(o, "worker_uid", json_integer(r->worker_uid));
  json_object_set_new(o, "worker_gid", json_integer(r->worker_gid));
  json_object_set_new(o, "worker_capabilities",
                      count_json(r->worker_capabilities));
  json_object_set_new(o, "host_calls", count_json(r->host_calls));
  json_object_set_new(o, "host_denials", count_json(r->host_denials));
  json_object_set_new(o, "bytes_read", count_json(r->bytes_read));
  json_object_set_new(o, "bytes_written", count_json(r->bytes_written));
  json_object_set_new(o, "net_calls", count_json(r->net_calls));
  json_object_set_new(o, "commands", count_json(r->commands));
  if (r->outcome == PLUGSUP_OUTCOME_EXIT)
    json_object_set_new(o, "exit_code", json_integer(r->exit_code));
  if (r->outcome == PLUGSUP_OUTCOME_TRAP)
    json_object_set_new(o, "trap_kind", json_string(r->trap_kind));
  if (r->outcome == PLUGSUP_OUTCOME_CRASHED)
    json_object_set_new(o, "signal", json_integer(r->signal));
  if (r->outcome == PLUGSUP_OUTCOME_SANDBOX_VIOLATION) {
    json_object_set_new(o, "syscall", json_string(r->syscall));
    json_object_set_new(o, "syscall_number", json_integer(r->syscall_number));
  }
  return o;
}

bool cli_print_object(json_t *o) {
  char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  if (!text)
    return false;
  printf("%s\n", text);
  free(text);
  return true;
}

bool cli_print_json(const plugsup_result *r, bool validate) {
  json_t *o = cli_result_json(r);
  if (o && validate)
    json_object_update_new(o, module_json(r));
  return cli_print_object(o);
}

/* Plugin bytes as a JSON string (invalid UTF-8 as '?'). */
json_t *cli_bytes_json(const char *data, size_t len) {
  return bytes_string(data, len);
}

json_t *cli_module_json(const plugsup_result *r) { return module_json(r); }
