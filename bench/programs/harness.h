/*
** harness.h: the entry point every benchmark program shares.
**
** Normal builds (native, and wasm32-wasi for engines with WASI) get a main()
** that checks the checksum and prints "ok <checksum>", or "FAIL ..." and exit
** status 1. With -DBENCH_BARE (no libc, no WASI) the program instead exports
** bench_run() returning the checksum: Debian's wabt wasm-interp is built
** without WASI, so bench/run.sh calls that export and compares the value.
*/
#ifndef BENCH_HARNESS_H
#define BENCH_HARNESS_H

#include <stdint.h>

#ifdef BENCH_BARE
#define BENCH_MAIN(name, expected, compute)                                   \
  __attribute__((export_name("bench_run"))) uint32_t bench_run(void);         \
  uint32_t bench_run(void) { return compute(); }
#else
#include <stdio.h>
#define BENCH_MAIN(name, expected, compute)                                   \
  int main(void) {                                                            \
    uint32_t sum_ = compute();                                                \
    if (sum_ != (uint32_t)(expected)) {                                       \
      printf("FAIL %s %08x expected %08x\n", name, sum_,                      \
             (uint32_t)(expected));                                           \
      return 1;                                                               \
    }                                                                         \
    printf("ok %08x\n", sum_);                                                \
    return 0;                                                                 \
  }
#endif

#endif
