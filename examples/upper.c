/*
** upper.c: a plugin of the PROCESS ABI (docs/abi-process.md) that returns
** its input with the ASCII letters a-z in upper case.
**
** Build (no libc, no entry point, so no imports at all):
**   clang --target=wasm32-wasi -O2 -nostdlib -Wl,--no-entry upper.c \
**         -o upper.wasm
** (export_name below exports the two functions; wasm-ld exports memory.)
**
** The contract, from the plugin's side:
**   alloc(len) -> ptr      the host asks for len bytes and writes the input
**                          there; the plugin owns that memory.
**   process(ptr, len) -> (uint64)out_ptr << 32 | out_len
**                          the output bytes, which must lie inside memory.
** A process plugin may import nothing: not WASI, not env. Each call runs in
** a fresh instance, so memory is never freed: a bump allocator will do.
*/
#include <stdint.h>

/* The first free byte after the module's data and stack, from the linker. */
extern unsigned char __heap_base[];

static uintptr_t heap_top;

/* Returns len bytes of fresh memory, growing the memory when it must, or 0
** (a null pointer, which the host takes as a failure) when it cannot. */
static void *bump(uint32_t len) {
  if (heap_top == 0)
    heap_top = (uintptr_t)__heap_base;
  uintptr_t start = (heap_top + 7) & ~(uintptr_t)7;
  uintptr_t end = start + len;
  uintptr_t have = __builtin_wasm_memory_size(0) * 65536;
  if (end < start)
    return 0;
  if (end > have) {
    uintptr_t pages = (end - have + 65535) / 65536;
    if (__builtin_wasm_memory_grow(0, pages) == (uintptr_t)-1)
      return 0;
  }
  heap_top = end;
  return (void *)start;
}

__attribute__((export_name("alloc"))) uint32_t alloc(uint32_t len) {
  return (uint32_t)(uintptr_t)bump(len);
}

__attribute__((export_name("process"))) uint64_t process(uint32_t ptr,
                                                         uint32_t len) {
  const unsigned char *in = (const unsigned char *)(uintptr_t)ptr;
  unsigned char *out = bump(len);
  if (out == 0 && len > 0)
    return 0; /* (0, 0): no output */
  for (uint32_t i = 0; i < len; i++) {
    unsigned char c = in[i];
    out[i] = (c >= 'a' && c <= 'z') ? (unsigned char)(c - 'a' + 'A') : c;
  }
  return (uint64_t)(uintptr_t)out << 32 | len;
}
