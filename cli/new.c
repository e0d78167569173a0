/*
** new.c: `plugsup new NAME --abi ABI`: writes NAME.c, a plugin skeleton in
** C that builds with the line it prints and satisfies its ABI as it is.
** The skeletons are cli/templates/<abi>.c.in, embedded by the build.
*/
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_templates.h"

static const struct {
  const char *abi;
  const char *text;
} templates[] = {
#define X(name, text) {name, text},
    CLI_TEMPLATE_LIST(X)
#undef X
};
#define NTEMPLATES (sizeof templates / sizeof templates[0])

static void new_help(void) {
  printf("usage: plugsup new NAME --abi process|tool|observe\n"
         "\n"
         "Write NAME.c in the current directory: a plugin skeleton in C for\n"
         "the ABI (docs/abi-*.md) that builds with the clang line it prints\n"
         "and passes 'plugsup inspect' as it is. NAME is 1 to 64 letters,\n"
         "digits, '_', '-' or '.', starting with a letter; an existing\n"
         "NAME.c is never overwritten.\n"
         "\n"
         "  --abi ABI     process, tool or observe\n"
         "  -h, --help    this text\n");
}

/* NAME lands in a file name, C string literals and JSON: only characters
** that mean nothing in any of them. */
static const char *bad_name(const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n > 64)
    return "must be 1 to 64 characters long";
  if (!((*name >= 'a' && *name <= 'z') || (*name >= 'A' && *name <= 'Z')))
    return "must start with a letter";
  if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                   "0123456789_-.") != n)
    return "may hold only letters, digits, '_', '-' and '.'";
  return NULL;
}

/* The template with every @NAME@ replaced; malloc'd, NULL if out of
** memory. */
static char *fill(const char *text, const char *name) {
  static const char mark[] = "@NAME@";
  size_t marks = 0, nlen = strlen(name), mlen = sizeof mark - 1;
  for (const char *p = text; (p = strstr(p, mark)); p += mlen)
    marks++;
  char *out = malloc(strlen(text) + marks * nlen + 1), *o = out;
  if (!out)
    return NULL;
  for (const char *p = text, *m; *p; p = m + mlen) {
    if (!(m = strstr(p, mark))) {
      strcpy(o, p);
      return out;
    }
    memcpy(o, p, (size_t)(m - p));
    o += m - p;
    memcpy(o, name, nlen);
    o += nlen;
  }
  *o = '\0';
  return out;
}

/* Writes path exclusively: an existing file is the user's, never ours. */
static int write_new(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  size_t len = strlen(text);
  if (fd < 0) {
    fprintf(stderr, "plugsup new: cannot create '%s': %s\n", path,
            strerror(errno));
    return errno == EEXIST ? CLI_EXIT_USAGE : CLI_EXIT_SYSTEM;
  }
  bool ok = write(fd, text, len) == (ssize_t)len;
  if (close(fd) != 0)
    ok = false;
  if (!ok) {
    fprintf(stderr, "plugsup new: cannot write '%s': %s\n", path,
            strerror(errno));
    unlink(path);
    return CLI_EXIT_SYSTEM;
  }
  return 0;
}

/* The skeleton's "Build: " line, which the tests run as it is. */
static void print_build_line(const char *text) {
  const char *b = strstr(text, "Build: ");
  if (b)
    printf("build:  %.*s\n", (int)strcspn(b + 7, "\n"), b + 7);
}

static int make(const char *name, const char *abi) {
  size_t t = 0;
  while (t < NTEMPLATES && strcmp(templates[t].abi, abi) != 0)
    t++;
  if (t == NTEMPLATES)
    return cli_usage_error("new", "unknown ABI '%s' (process, tool or "
                           "observe)", abi);
  char *text = fill(templates[t].text, name);
  char path[80];
  if (!text) {
    fprintf(stderr, "plugsup: out of memory\n");
    return CLI_EXIT_SYSTEM;
  }
  snprintf(path, sizeof path, "%s.c", name);
  int rc = write_new(path, text);
  if (rc == 0) {
    printf("wrote %s: a plugin of the %s ABI (docs/abi-%s.md)\n", path, abi,
           abi);
    print_build_line(text);
    printf("check:  plugsup inspect %s.wasm\n", name);
  }
  free(text);
  return rc;
}

int cli_new(int argc, char **argv) {
  cli_opts o;
  const char *bad;
  int rc = cli_parse_common("new", CLI_CMD_NEW, argc, argv, &o, new_help);
  if (rc < 0 && o.nrest > 0)
    rc = cli_usage_error("new", "unexpected argument '%s'", o.rest[0]);
  if (rc < 0 && !o.abi)
    rc = cli_usage_error("new", "missing --abi (process, tool or observe)");
  if (rc < 0 && (bad = bad_name(o.plugin)))
    rc = cli_usage_error("new", "NAME '%s' %s", o.plugin, bad);
  if (rc < 0)
    rc = make(o.plugin, o.abi);
  cli_opts_free(&o);
  return rc;
}
