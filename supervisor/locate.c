/*
** locate.c: where the library looks for plugsup-worker when the embedder
** names none and $PLUGSUP_WORKER is unset: beside the library itself, so
** that a tree installed under any prefix, or moved after installing,
** still finds its own worker.
*/
#include <dlfcn.h>
#include <limits.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* Cuts path at its last slash; false if it has none. */
static bool to_dir(char *path) {
  char *slash = strrchr(path, '/');
  if (!slash)
    return false;
  *slash = '\0';
  return true;
}

typedef enum self_kind { SELF_UNKNOWN, SELF_LIBRARY, SELF_PROGRAM } self_kind;

/* Whether this code is in a shared library or in the program (linked
** from the static library); for a library, its file into path, resolved. */
static self_kind library_file(char path[PATH_MAX]) {
  Dl_info info;
  struct link_map *map = NULL;
  void *self = (void *)(uintptr_t)plugsup_version;
  if (!dladdr1(self, &info, (void **)&map, RTLD_DL_LINKMAP) || !map ||
      !map->l_name)
    return SELF_UNKNOWN;
  if (map->l_name[0] == '\0')
    return SELF_PROGRAM; /* the main program's link map has no name */
  return realpath(map->l_name, path) ? SELF_LIBRARY : SELF_UNKNOWN;
}

static bool program_file(char path[PATH_MAX]) {
  ssize_t n = readlink("/proc/self/exe", path, PATH_MAX - 1);
  if (n <= 0)
    return false;
  path[n] = '\0';
  return true;
}

bool sup_installed_worker(char *out, size_t size) {
  char file[PATH_MAX];
  const char *to_libexec;
  switch (library_file(file)) {
  case SELF_LIBRARY:
    to_libexec = PLUGSUP_LIB_TO_LIBEXEC;
    break;
  case SELF_PROGRAM:
    if (!program_file(file))
      return false;
    to_libexec = PLUGSUP_BIN_TO_LIBEXEC;
    break;
  default:
    return false;
  }
  if (!to_dir(file))
    return false;
  int n = snprintf(out, size, "%s/%s/plugsup-worker", file, to_libexec);
  return n > 0 && (size_t)n < size && access(out, X_OK) == 0;
}
