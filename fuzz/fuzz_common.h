/*
** fuzz_common.h: what the interpreter harnesses share.
**
** Each harness defines LLVMFuzzerTestOneInput. It is linked either with
** libFuzzer (-DPLUGSUP_FUZZ=ON, clang) or with replay_main.c, which feeds it
** files so the corpus and fuzz/regressions/ run as ordinary ctest tests.
*/
#ifndef PLUGSUP_FUZZ_COMMON_H
#define PLUGSUP_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "interp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A realloc-shaped allocator that refuses to hold more than 'cap' live
** bytes, so a module that declares a billion functions ends as
** INTERP_NOMEM instead of exhausting the fuzzer's RSS limit. */
typedef struct fuzz_heap {
  size_t live, cap;
} fuzz_heap;

void *fuzz_alloc(void *ud, void *ptr, size_t osize, size_t nsize);

/* Stop the run loudly: libFuzzer reports it as a crash with the input. */
void fuzz_fail(const char *what, interp_status s, const interp_error *err);

/* A failed call must say why: the error's status matches and the message
** is not empty. */
void fuzz_check_error(const char *what, interp_status s,
                      const interp_error *err);

#endif
