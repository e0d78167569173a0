/*
** hello.c: the bundled example plugin, an ordinary WASI command.
** Build: clang --target=wasm32-wasi -O2 hello.c -o hello.wasm
*/
#include <stdio.h>

int main(int argc, char **argv) {
  printf("Hello from a sandboxed plugin!\n");
  for (int i = 1; i < argc; i++)
    printf("arg %d: %s\n", i, argv[i]);
  return 0;
}
