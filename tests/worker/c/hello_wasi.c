/* An ordinary C program built with clang --target=wasm32-wasi: stdio,
** malloc (memory.grow), clocks and argv through the worker's WASI. Exits
** with 3 when given more than two arguments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv) {
  size_t n = 4u << 20;
  char *buf = malloc(n);
  struct timespec ts;

  if (buf == NULL)
    return 2;
  memset(buf, 'x', n);
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
    return 4;
  printf("hello from %s with %d args\n", argc > 0 ? argv[0] : "?", argc);
  fprintf(stderr, "to stderr\n");
  free(buf);
  return argc > 2 ? 3 : 0;
}
