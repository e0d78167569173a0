/*
** filecheck.c: a plugin of the OBSERVE ABI (docs/abi-observe.md), a
** compliance check that a file exists and is at least min_size bytes.
**
** Build (a WASI reactor: no _start; the host calls _initialize first):
**   clang --target=wasm32-wasi -O2 -mexec-model=reactor filecheck.c \
**         -o filecheck.wasm
**
** The contract, from the plugin's side:
**   allocate(len) -> ptr, deallocate(ptr, len)   the plugin's allocator
**   describe() -> JSON   {name, version, description, capabilities}
**   schema()   -> JSON   a JSON Schema of the configuration
**   observe(cfg_ptr, cfg_len) -> JSON evidence {status, data, error}
** Each JSON result here is returned as (uint64)ptr << 32 | len of memory
** from allocate; the host reads it and then calls deallocate on it (and on
** the configuration it wrote, after observe). The host checks the
** configuration against the schema and fills in defaults before observe.
**
** The file is looked at through WASI (stat), so the run needs a grant
** such as fs:read on the file's directory; describe() asks for read access
** everywhere ("read:" then a glob of every path below /), and the host
** gives the plugin no more than both its policy and that request allow.
*/
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- the allocator the host uses ----------------------------------- */

__attribute__((export_name("allocate"))) void *allocate(uint32_t len) {
  return malloc(len ? len : 1);
}

__attribute__((export_name("deallocate"))) void deallocate(void *ptr,
                                                           uint32_t len) {
  (void)len; /* malloc knows the size */
  free(ptr);
}

/* ---- building JSON -------------------------------------------------- */

/* A growing string; on allocation failure it stays NULL. */
typedef struct text {
  char *data;
  size_t len, cap;
} text;

static void add(text *t, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || (t->len > 0 && !t->data))
    return;
  if (t->len + (size_t)n + 1 > t->cap) {
    size_t cap = (t->len + (size_t)n + 1) * 2;
    char *p = realloc(t->data, cap);
    if (!p) {
      free(t->data);
      t->data = NULL;
      t->len = 1; /* stays failed */
      return;
    }
    t->data = p;
    t->cap = cap;
  }
  va_start(ap, fmt);
  vsnprintf(t->data + t->len, t->cap - t->len, fmt, ap);
  va_end(ap);
  t->len += (size_t)n;
}

/* s as a JSON string, quotes included. */
static void add_json_string(text *t, const char *s) {
  add(t, "\"");
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      add(t, "\\%c", c);
    else if (c < 0x20)
      add(t, "\\u%04x", c);
    else
      add(t, "%c", c);
  }
  add(t, "\"");
}

/* The result convention of this plugin: ptr << 32 | len; (0, 0) if out of
** memory, which the host reports as a broken result. */
static uint64_t packed(text *t) {
  if (!t->data)
    return 0;
  return (uint64_t)(uintptr_t)t->data << 32 | (uint32_t)t->len;
}

/* A constant string, copied into memory the host may deallocate. */
static uint64_t packed_copy(const char *s) {
  text t = {0};
  add(&t, "%s", s);
  return packed(&t);
}

/* ---- the metadata calls --------------------------------------------- */

__attribute__((export_name("describe"))) uint64_t describe(void) {
  return packed_copy(
      "{\"name\":\"filecheck\",\"version\":\"1.0.0\","
      "\"description\":\"Checks that a file exists and has a minimum size\","
      "\"capabilities\":[{\"kind\":\"fs\",\"pattern\":\"read:/**\"}]}");
}

__attribute__((export_name("schema"))) uint64_t schema(void) {
  return packed_copy(
      "{\"type\":\"object\","
      "\"properties\":{"
      "\"path\":{\"type\":\"string\",\"description\":\"File to check\"},"
      "\"min_size\":{\"type\":\"integer\",\"minimum\":0,\"default\":0,"
      "\"description\":\"Smallest acceptable size in bytes\"}},"
      "\"required\":[\"path\"]}");
}

/* ---- reading the configuration -------------------------------------- */
/* The host has checked it against the schema, so a small scanner is enough:
** top-level "path" (a string) and "min_size" (an integer); other values are
** skipped. */

typedef struct config {
  char *path;
  long long min_size;
} config;

static const char *skip_space(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    p++;
  return p;
}

/* A JSON string at p (at its opening quote): returns the byte after it and
** sets *out to a malloc'd copy (escapes decoded, \u only for ASCII), or
** returns NULL. */
static const char *read_string(const char *p, const char *end, char **out) {
  char *s = malloc((size_t)(end - p) + 1);
  size_t n = 0;
  if (!s)
    return NULL;
  for (p++; p < end && *p != '"'; p++) {
    char c = *p;
    if (c == '\\' && p + 1 < end) {
      c = *++p;
      if (c == 'n') c = '\n';
      else if (c == 't') c = '\t';
      else if (c == 'r') c = '\r';
      else if (c == 'b') c = '\b';
      else if (c == 'f') c = '\f';
      else if (c == 'u' && p + 4 < end) {
        c = (char)strtol((char[]){p[1], p[2], p[3], p[4], 0}, NULL, 16);
        p += 4;
      }
    }
    s[n++] = c;
  }
  s[n] = '\0';
  if (p >= end) {
    free(s);
    return NULL;
  }
  *out = s;
  return p + 1;
}

/* Skips any JSON value: nested brackets are counted, strings jumped. */
static const char *skip_value(const char *p, const char *end) {
  int depth = 0;
  for (; p < end; p++) {
    if (*p == '"') {
      for (p++; p < end && *p != '"'; p++)
        if (*p == '\\')
          p++;
    } else if (*p == '{' || *p == '[') {
      depth++;
    } else if (*p == '}' || *p == ']') {
      if (depth == 0)
        return p;
      depth--;
    } else if (*p == ',' && depth == 0) {
      return p;
    }
  }
  return p;
}

static int parse_config(const char *p, const char *end, config *cfg) {
  p = skip_space(p, end);
  if (p >= end || *p != '{')
    return -1;
  for (p++;;) {
    p = skip_space(p, end);
    if (p < end && *p == '}')
      return 0;
    char *key;
    if (p >= end || *p != '"' || !(p = read_string(p, end, &key)))
      return -1;
    p = skip_space(p, end);
    if (p >= end || *p != ':') {
      free(key);
      return -1;
    }
    p = skip_space(p + 1, end);
    if (strcmp(key, "path") == 0 && p < end && *p == '"') {
      free(cfg->path);
      cfg->path = NULL;
      p = read_string(p, end, &cfg->path);
    } else if (strcmp(key, "min_size") == 0) {
      cfg->min_size = strtoll(p, NULL, 10);
      p = skip_value(p, end);
    } else {
      p = skip_value(p, end);
    }
    free(key);
    if (!p)
      return -1;
    p = skip_space(p, end);
    if (p < end && *p == ',')
      p++;
  }
}

/* ---- the check ------------------------------------------------------ */

/* Evidence that the check could not be made: status false, and why. */
static uint64_t failure(const char *type, const char *message) {
  text t = {0};
  add(&t, "{\"status\":false,\"error\":{\"type\":\"%s\",\"message\":", type);
  add_json_string(&t, message);
  add(&t, "}}");
  return packed(&t);
}

__attribute__((export_name("observe"))) uint64_t observe(const char *cfg_json,
                                                         uint32_t cfg_len) {
  /* The configuration is cfg_len bytes with no terminator: a copy with one
  ** lets C's string functions (strtoll) stop in time. */
  config cfg = {NULL, 0};
  char *json = malloc((size_t)cfg_len + 1);
  if (!json)
    return failure("internal", "out of memory");
  memcpy(json, cfg_json, cfg_len);
  json[cfg_len] = '\0';
  int bad = parse_config(json, json + cfg_len, &cfg) != 0 || !cfg.path;
  free(json);
  if (bad) {
    free(cfg.path);
    return failure("config", "the configuration needs a \"path\" string");
  }

  struct stat st;
  text t = {0};
  if (stat(cfg.path, &st) == 0) {
    /* The observation: facts, and whether they pass. */
    add(&t, "{\"status\":true,\"data\":{\"path\":");
    add_json_string(&t, cfg.path);
    add(&t,
        ",\"exists\":true,\"is_dir\":%s,\"size\":%lld,\"min_size\":%lld,"
        "\"size_ok\":%s}}",
        S_ISDIR(st.st_mode) ? "true" : "false", (long long)st.st_size,
        cfg.min_size, st.st_size >= cfg.min_size ? "true" : "false");
  } else if (errno == ENOENT) {
    /* A missing file is a fact about the system, not a failed check. */
    add(&t, "{\"status\":true,\"data\":{\"path\":");
    add_json_string(&t, cfg.path);
    add(&t, ",\"exists\":false,\"size_ok\":false}}");
  } else {
    /* Anything else (no grant for the path, say) means no observation. */
    char message[512];
    snprintf(message, sizeof message, "stat %s: %s", cfg.path,
             strerror(errno));
    free(cfg.path);
    return failure("fs", message);
  }
  free(cfg.path);
  return packed(&t);
}
