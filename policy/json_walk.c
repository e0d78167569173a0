/*
** json_walk.c: walking a parsed JSON object field by field against a
** table of handlers, with messages that say where the value is in the
** text: "SOURCE:LINE:COLUMN: FIELD.PATH: what is wrong".
**
** Jansson keeps no position per value, so a message about a value finds
** it again: the text is known to be valid JSON by then, and a small
** scanner walks it along the field path to the value (or, for an unknown
** field, to its key). Line and column count as Jansson's do: from 1, in
** characters.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_walk.h"
#include "policy_internal.h"

/* ---- where a value is in the text ---- */

static char at(const pol_jctx *c, size_t i) {
  return i < c->len ? c->text[i] : 0;
}

static size_t skip_ws(const pol_jctx *c, size_t i) {
  while (at(c, i) == ' ' || at(c, i) == '\t' || at(c, i) == '\r' ||
         at(c, i) == '\n')
    i++;
  return i;
}

static size_t skip_string(const pol_jctx *c, size_t i) {
  for (i++; i < c->len && c->text[i] != '"'; i++)
    if (c->text[i] == '\\')
      i++;
  return i + 1;
}

static size_t skip_value(const pol_jctx *c, size_t i) {
  int depth = 0;
  if (at(c, i) == '"')
    return skip_string(c, i);
  if (at(c, i) != '{' && at(c, i) != '[') {
    while (i < c->len && !strchr(",}] \t\r\n", c->text[i]))
      i++;
    return i;
  }
  while (i < c->len) {
    char ch = c->text[i];
    if (ch == '"') {
      i = skip_string(c, i);
      continue;
    }
    depth += (ch == '{' || ch == '[') - (ch == '}' || ch == ']');
    i++;
    if (depth == 0)
      break;
  }
  return i;
}

/* Past a value and the ',' after it, if any. */
static size_t next_item(const pol_jctx *c, size_t i) {
  i = skip_ws(c, skip_value(c, i));
  return at(c, i) == ',' ? skip_ws(c, i + 1) : i;
}

/* Whether the JSON string at text[i..end) decodes to key. */
static bool key_is(const pol_jctx *c, size_t i, size_t end, const char *key) {
  json_t *s = json_loadb(c->text + i, end - i, JSON_DECODE_ANY, NULL);
  bool same = json_is_string(s) && strcmp(json_string_value(s), key) == 0;
  json_decref(s);
  return same;
}

/* The offset of the value at c's path, or of its last key (at_key). */
static size_t locate(const pol_jctx *c, bool at_key) {
  size_t i = skip_ws(c, 0);
  for (int d = 0; d < c->depth; d++) {
    if (at(c, i) != (c->path[d].key ? '{' : '['))
      return i;
    i = skip_ws(c, i + 1);
    if (!c->path[d].key) {
      for (size_t k = 0; k < c->path[d].index; k++)
        i = next_item(c, i);
      continue;
    }
    for (;;) {
      if (at(c, i) != '"')
        return i;
      size_t key = i, end = skip_string(c, i);
      i = skip_ws(c, skip_ws(c, end) + 1); /* past ':' */
      if (key_is(c, key, end, c->path[d].key)) {
        if (at_key && d == c->depth - 1)
          return key;
        break;
      }
      i = next_item(c, i);
    }
  }
  return i;
}

static void line_column(const pol_jctx *c, size_t off, int *line, int *col) {
  *line = 1;
  *col = 1;
  for (size_t i = 0; i < off && i < c->len; i++) {
    unsigned char ch = (unsigned char)c->text[i];
    if (ch == '\n') {
      (*line)++;
      *col = 1;
    } else if ((ch & 0xC0) != 0x80) {
      (*col)++;
    }
  }
}

/* "filesystem.read[2]", with controls in keys shown as '?'. */
static void path_text(const pol_jctx *c, char *buf, size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  for (int d = 0; d < c->depth && used < size; d++) {
    if (!c->path[d].key) {
      used +=
          (size_t)snprintf(buf + used, size - used, "[%zu]", c->path[d].index);
      continue;
    }
    if (d > 0 && used + 1 < size)
      buf[used++] = '.';
    for (const char *k = c->path[d].key; *k && used + 1 < size; k++)
      buf[used++] = (unsigned char)*k < 0x20 || *k == 0x7f ? '?' : *k;
    buf[used] = '\0';
  }
}

/* "SOURCE:LINE:COLUMN: PATH: message" into c->err; returns -1. */
int pol_jfail(const pol_jctx *c, bool at_key, const char *fmt, ...) {
  char msg[600], path[128];
  int line, col;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  line_column(c, locate(c, at_key), &line, &col);
  path_text(c, path, sizeof path);
  return pol_err(c->err, c->errlen, "%s:%d:%d: %s%s%s", c->source, line, col,
                 path, *path ? ": " : "", msg);
}

void pol_jpush_key(pol_jctx *c, const char *key) {
  c->path[c->depth].key = key;
  c->path[c->depth++].index = 0;
}

void pol_jpush_index(pol_jctx *c, size_t index) {
  c->path[c->depth].key = NULL;
  c->path[c->depth++].index = index;
}

/* Each field of obj through its handler; an unknown one is an error that
** lists the known ones, so a typo never grants or drops anything. */
int pol_jwalk_object(pol_jctx *c, json_t *obj, const pol_jfield *fields,
                     size_t n) {
  const char *key;
  json_t *v;
  if (!json_is_object(obj))
    return pol_jfail(c, false, "expected an object");
  json_object_foreach(obj, key, v) {
    size_t i = 0;
    while (i < n && strcmp(fields[i].name, key) != 0)
      i++;
    pol_jpush_key(c, key);
    if (i == n) {
      char known[256];
      size_t used = 0;
      for (size_t k = 0; k < n && used < sizeof known; k++)
        used += (size_t)snprintf(known + used, sizeof known - used, "%s%s",
                                 k ? ", " : "", fields[k].name);
      return pol_jfail(c, true, "unknown field (known: %s)", known);
    }
    if (fields[i].fn(c, v) < 0)
      return -1;
    c->depth--;
  }
  return 0;
}
