/*
** abi_json.c: the JSON of observe and tool plugins: describe(), the
** verdict of observe(), and the tool metadata object. Plugins' text is
** untrusted: Jansson parses it (valid UTF-8, bounded depth), and every
** field is checked for its type before use.
*/
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "abi_json.h"
#include "policy_internal.h"

/* ---- describe ---- */

int abi_capability_line(const char *kind, const char *pattern, char *line,
                        size_t size) {
  const char *colon = strchr(pattern, ':');
  int n;
  if (strcmp(kind, "fs") == 0 && colon && colon[1] != '/')
    n = snprintf(line, size, "fs:%.*s:/%s", (int)(colon - pattern), pattern,
                 colon + 1);
  else if (strcmp(kind, "exec") == 0 && strcmp(pattern, "**") == 0)
    n = snprintf(line, size, "exec:*");
  else
    n = snprintf(line, size, "%s%s%s", kind, *pattern ? ":" : "", pattern);
  return n >= 0 && (size_t)n < size ? 0 : -1;
}

/* A string field of obj into *out ("" when absent). */
static int text_field(json_t *obj, const char *key, char **out, char *err,
                      size_t errlen) {
  json_t *v = json_object_get(obj, key);
  if (v && !json_is_string(v))
    return pol_err(err, errlen, "describe: '%s' must be a string", key);
  if (!(*out = strdup(v ? json_string_value(v) : "")))
    return pol_err(err, errlen, "out of memory");
  return 0;
}

static int capability(policy *p, size_t i, json_t *cap, char *err,
                      size_t errlen) {
  char line[2 * POL_MAX_TEXT], why[512];
  json_t *kind = json_object_get(cap, "kind");
  json_t *pattern = json_object_get(cap, "pattern");
  if (!json_is_object(cap) || !json_is_string(kind) ||
      (pattern && !json_is_string(pattern)))
    return pol_err(err, errlen,
                   "describe: capabilities[%zu] must be an "
                   "object with a string 'kind' and 'pattern'",
                   i);
  const char *k = json_string_value(kind);
  const char *pat = pattern ? json_string_value(pattern) : "";
  if (abi_capability_line(k, pat, line, sizeof line) < 0)
    return pol_err(err, errlen,
                   "describe: capabilities[%zu] is longer than "
                   "%d bytes",
                   i, POL_MAX_TEXT);
  if (pol_apply_line(p, line, why, sizeof why) < 0)
    return pol_err(err, errlen, "describe: capabilities[%zu] '%.200s': %s", i,
                   line, why);
  return 0;
}

static int capabilities(policy *p, json_t *root, char *err, size_t errlen) {
  json_t *caps = json_object_get(root, "capabilities"), *cap;
  size_t i;
  if (!caps || json_is_null(caps))
    return 0;
  if (!json_is_array(caps))
    return pol_err(err, errlen, "describe: 'capabilities' must be an array");
  json_array_foreach(caps, i, cap) {
    if (capability(p, i, cap, err, errlen) < 0)
      return -1;
  }
  return 0;
}

void abi_describe_free(abi_describe *d) {
  free(d->name);
  free(d->version);
  free(d->description);
  policy_free(d->capabilities);
  free(d->json);
  memset(d, 0, sizeof *d);
}

int abi_describe_parse(const char *text, size_t len, abi_describe *out,
                       char *err, size_t errlen) {
  json_error_t e;
  json_t *root = NULL;
  memset(out, 0, sizeof *out);
  if (len > ABI_JSON_MAX_BYTES) {
    pol_err(err, errlen, "describe: longer than 1 MiB");
    goto fail;
  }
  if (!(root = json_loadb(text, len, 0, &e))) {
    pol_err(err, errlen, "describe: not JSON: %d:%d: %s", e.line, e.column,
            e.text);
    goto fail;
  }
  if (!json_is_object(root)) {
    pol_err(err, errlen, "describe: not a JSON object");
    goto fail;
  }
  if (text_field(root, "name", &out->name, err, errlen) < 0 ||
      text_field(root, "version", &out->version, err, errlen) < 0 ||
      text_field(root, "description", &out->description, err, errlen) < 0)
    goto fail;
  if (!(out->capabilities = policy_new()) ||
      !(out->json = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS))) {
    pol_err(err, errlen, "out of memory");
    goto fail;
  }
  if (capabilities(out->capabilities, root, err, errlen) < 0)
    goto fail;
  json_decref(root);
  return 0;
fail:
  abi_describe_free(out);
  json_decref(root);
  return -1;
}

/* ---- the verdict of observe() ---- */

/* obj's member key, else the first whose key matches it case aside. */
static json_t *member(json_t *obj, const char *key) {
  const char *k;
  json_t *v, *exact = json_object_get(obj, key);
  if (exact)
    return exact;
  json_object_foreach(obj, k, v) {
    if (strcasecmp(k, key) == 0)
      return v;
  }
  return NULL;
}

/* text into msg, cut (if it must be) between two UTF-8 characters. */
static abi_verdict verdict(abi_verdict v, char *msg, size_t msglen,
                           const char *text) {
  size_t n = strlen(text);
  if (!msg || !msglen)
    return v;
  if (n >= msglen) {
    n = msglen - 1;
    while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
      n--;
  }
  memcpy(msg, text, n);
  msg[n] = '\0';
  return v;
}

/* The message of a failure: "error" as a string, or its "message". */
static abi_verdict failure(json_t *root, char *msg, size_t msglen) {
  json_t *e = member(root, "error");
  if (json_is_object(e))
    e = member(e, "message");
  if (json_is_string(e) && json_string_length(e) > 0)
    return verdict(ABI_VERDICT_FAILURE, msg, msglen, json_string_value(e));
  return verdict(ABI_VERDICT_FAILURE, msg, msglen,
                 "the plugin reported a failure without a message");
}

abi_verdict abi_verdict_parse(const char *text, size_t len, char *msg,
                              size_t msglen) {
  json_error_t e;
  json_t *root, *status;
  abi_verdict v;
  char why[256];
  if (len > ABI_JSON_MAX_BYTES)
    return verdict(ABI_VERDICT_INVALID, msg, msglen,
                   "the response is longer than 1 MiB");
  if (!(root = json_loadb(text, len, 0, &e))) {
    snprintf(why, sizeof why, "the response is not JSON: %d:%d: %s", e.line,
             e.column, e.text);
    return verdict(ABI_VERDICT_INVALID, msg, msglen, why);
  }
  status = json_is_object(root) ? member(root, "status") : NULL;
  if (!json_is_object(root))
    v = verdict(ABI_VERDICT_INVALID, msg, msglen,
                "the response is not a JSON object");
  else if (!json_is_boolean(status))
    v = verdict(ABI_VERDICT_INVALID, msg, msglen,
                "the response has no boolean 'status'");
  else if (json_is_true(status))
    v = verdict(ABI_VERDICT_SUCCESS, msg, msglen, "");
  else
    v = failure(root, msg, msglen);
  json_decref(root);
  return v;
}

/* ---- tool metadata ---- */

/* The length of the valid UTF-8 character at s (1 to 4), or 0: overlong
** forms, surrogates and code points above U+10FFFF are invalid. */
static size_t utf8_len(const unsigned char *s) {
  unsigned c = s[0], n, cp;
  if (c < 0x80)
    return 1;
  n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
  if (n == 0 || c > 0xF4)
    return 0;
  cp = c & (0x7F >> n);
  for (unsigned i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    cp = cp << 6 | (s[i] & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

/* s as a JSON string, quotes included. */
static void json_text(pol_text *t, const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  pol_text_add(t, "\"");
  while (*p) {
    size_t n = utf8_len(p);
    if (n == 0)
      pol_text_add(t, "\\\\x%02X", *p); /* invalid: the text \xNN */
    else if (*p == '\\')
      pol_text_add(t, "\\\\\\\\"); /* the text \\ */
    else if (*p == '"')
      pol_text_add(t, "\\\"");
    else if (*p < 0x20 || *p == 0x7F)
      pol_text_add(t, "\\u%04X", *p);
    else
      pol_text_add(t, "%.*s", (int)n, (const char *)p);
    p += n ? n : 1;
  }
  pol_text_add(t, "\"");
}

char *abi_tool_metadata(const char *name, const char *version,
                        const char *description, const char *const *tool_names,
                        const char *const *tool_descriptions, size_t n) {
  pol_text t = {0};
  pol_text_add(&t, "{\"name\":");
  json_text(&t, name ? name : "");
  pol_text_add(&t, ",\"version\":");
  json_text(&t, version ? version : "");
  pol_text_add(&t, ",\"description\":");
  json_text(&t, description ? description : "");
  pol_text_add(&t, ",\"tools\":[");
  for (size_t i = 0; i < n; i++) {
    pol_text_add(&t, "%s{\"name\":", i ? "," : "");
    json_text(&t, tool_names[i] ? tool_names[i] : "");
    pol_text_add(&t, ",\"description\":");
    json_text(&t, tool_descriptions[i] ? tool_descriptions[i] : "");
    pol_text_add(&t, "}");
  }
  pol_text_add(&t, "]}");
  if (t.failed) {
    free(t.s);
    return NULL;
  }
  return t.s;
}
