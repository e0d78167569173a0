/*
** fuzz_abi.c: the byte-call engine (worker/abi.c, abi_read.c): what a
** hostile plugin answers, against what its memory holds.
**
** Byte 0 with its high bit set: a module. Bits 0..1 pick the ABI
** (0 and 1 process, 2 tool, 3 observe), bit 2 the step (CALL when set),
** bytes 1..2 the length of the input (also the tool's name) that
** follows, and the rest is the module. It is checked against the ABI;
** when it satisfies it and instantiates (every import refused, so no
** WASI), the step runs under fuel, memory and output limits, its AbiData
** going to /dev/null. Every problem and failure must come with a
** message, and no run may send more than the output limit.
**
** Otherwise, byte 0 picks the reader (low 2 bits) and how large the memory
** is taken to be (bit 2: the image as it is; else the image followed by
** zero pages up to a size from bytes 9..12, so pointers near 4 GiB meet
** a real end of memory without the fuzzer allocating it); bytes 1..8 are
** the plugin's answer (an i64 packed ptr << 32 | len, or an i32 pointer
** in its low half) and bytes 9..16 a length or the output count already
** sent (9..12) and the limit (13..16); the rest is the memory image. Every answer the reader accepts
** must lie inside memory (a string: with its NUL right after it and none
** inside); every refusal must name the export; the limit check must
** agree with exact arithmetic. Contract violations abort.
*/
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "abi.h"
#include "fuzz_common.h"

#define WHERE "observe"
#define HEAD 17u
#define MAX_MEMORY (1u << 20)

static void check(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "fuzz_abi: contract broken: %s\n", what);
    abort();
  }
}

static uint64_t le(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

static void check_refusal(const char *msg) {
  check(strncmp(msg, WHERE ": ", sizeof WHERE + 1) == 0,
        "a refusal names the export first");
  check(strlen(msg) < ABI_MESSAGE_MAX, "a refusal fits its buffer");
}

static void fuzz_string(const uint8_t *mem, uint64_t size, uint32_t ptr) {
  char msg[ABI_MESSAGE_MAX];
  abi_span s;
  if (abi_read_string(mem, size, ptr, WHERE, &s, msg) != 0) {
    check_refusal(msg);
    check(ptr >= size || memchr(mem + ptr, 0, (size_t)(size - ptr)) == NULL,
          "a string is refused only when it has no terminator in memory");
    return;
  }
  check(s.at == ptr && s.at < size && s.len < size - s.at,
        "the string and its NUL lie inside memory");
  check(mem[s.at + s.len] == 0, "the string ends at a NUL");
  check(memchr(mem + s.at, 0, (size_t)s.len) == NULL,
        "the string holds no NUL");
}

static void fuzz_span(uint64_t size, uint64_t at, uint64_t len, int ok) {
  unsigned __int128 end = (unsigned __int128)at + len;
  check(ok == (end <= size), "a span is accepted exactly when it fits");
}

static void fuzz_limit(uint64_t len, uint64_t sent, uint64_t limit) {
  char msg[ABI_MESSAGE_MAX];
  int ok = abi_check_limit(len, sent, limit, WHERE, msg) == 0;
  unsigned __int128 total = (unsigned __int128)len + sent;
  check(ok == (limit == 0 || total <= limit),
        "the limit holds exactly when the sum fits");
  if (!ok)
    check_refusal(msg);
}

/* ---- whole byte calls on fuzzed modules ---- */

#define OUTPUT_LIMIT 4096u

static interp_status refuse(void *ud, const interp_import_desc *imp,
                            interp_extern *out) {
  (void)ud, (void)imp, (void)out;
  return INTERP_NOT_FOUND;
}

static void check_match(const Plugsup__AbiMatch *m) {
  check(m->n_problems <= ABI_MAX_PROBLEMS + 1, "problems are capped");
  for (size_t i = 0; i < m->n_problems; i++)
    check(m->problems[i][0] != '\0' &&
              strlen(m->problems[i]) < ABI_MESSAGE_MAX,
          "each problem says something and fits");
}

static void run_step(abi_ctx *c, int call, const uint8_t *in, size_t n) {
  Plugsup__Run run = PLUGSUP__RUN__INIT;
  char text[ABI_MESSAGE_MAX];
  int rc;
  run.input.data = (uint8_t *)in;
  run.input.len = n;
  run.tool.data = (uint8_t *)in;
  run.tool.len = n < 16 ? n : 16;
  rc = abi_open(c);
  if (rc == 0)
    rc = call ? abi_call(c, &run) : abi_metadata(c);
  check(c->sent <= OUTPUT_LIMIT, "no run sends more than the limit");
  if (rc == 0)
    return;
  abi_failure_text(c, text, sizeof text);
  check(text[0] != '\0', "a failure says why");
  check(c->interp_failed || c->outcome != PLUGSUP__OUTCOME__OK,
        "a failure has an outcome");
}

static void fuzz_module(const uint8_t *data, size_t size) {
  static const Plugsup__Abi abis[] = {
      PLUGSUP__ABI__ABI_PROCESS, PLUGSUP__ABI__ABI_PROCESS,
      PLUGSUP__ABI__ABI_TOOL, PLUGSUP__ABI__ABI_OBSERVE};
  static int devnull = -1;
  fuzz_heap heap = {0, 64u << 20};
  interp_config cfg = {.fuel = 100000, .max_memory_pages = 16,
                       .max_call_depth = 200, .max_stack_slots = 1u << 16,
                       .alloc = fuzz_alloc, .max_bytes = 48u << 20};
  worker_ctx w;
  abi_ctx c;
  Plugsup__AbiMatch m;
  interp_store *store = NULL;
  interp_module *mod;
  interp_instance *inst;
  interp_error err;
  size_t n;

  if (size < 3)
    return;
  n = (size_t)le(data + 1, 2);
  if (n > size - 3)
    n = size - 3;
  if (devnull < 0 && (devnull = open("/dev/null", O_WRONLY)) < 0)
    return;
  cfg.alloc_ud = &heap;
  if (interp_store_new(&cfg, &store) != INTERP_OK)
    return;
  memset(&w, 0, sizeof w);
  w.reply_fd = devnull;
  memset(&c, 0, sizeof c);
  c.w = &w;
  c.store = store;
  c.def = abi_find(abis[data[0] & 3]);
  c.limit = OUTPUT_LIMIT;
  if (interp_module_load(store, data + 3 + n, size - 3 - n, &mod, &err) ==
          INTERP_OK &&
      abi_check(mod, c.def, &m) == 0) {
    check_match(&m);
    if (m.n_problems == 0 &&
        interp_instantiate(store, mod, refuse, NULL, &inst, &err) == INTERP_OK) {
      c.instance = inst;
      run_step(&c, data[0] & 4, data + 3, n);
    }
    abi_match_free(&m);
  }
  interp_store_free(store);
}

/* ---- the readers alone ---- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint8_t *mem;
  uint64_t answer, arg, msize, image;
  char msg[ABI_MESSAGE_MAX];
  abi_span s;
  int rc;

  if (size > 0 && (data[0] & 0x80) != 0) {
    fuzz_module(data, size);
    return 0;
  }
  if (size < HEAD)
    return 0;
  answer = le(data + 1, 8);
  arg = le(data + 9, 8);
  image = size - HEAD;
  msize = image;
  if ((data[0] & 4) == 0)
    msize = image + (le(data + 9, 4) % MAX_MEMORY);
  /* One byte more than the memory, so an empty image is not NULL. */
  mem = calloc(1, (size_t)msize + 1);
  if (mem == NULL)
    return 0;
  memcpy(mem, data + HEAD, (size_t)image);
  switch (data[0] & 3) {
  case 0:
    fuzz_string(mem, msize, (uint32_t)answer);
    break;
  case 1:
    rc = abi_read_packed(msize, answer, WHERE, &s, msg);
    fuzz_span(msize, answer >> 32, answer & 0xffffffffu, rc == 0);
    if (rc != 0)
      check_refusal(msg);
    else
      check(s.at == answer >> 32 && s.len == (answer & 0xffffffffu),
            "a packed answer is read as it was packed");
    break;
  case 2:
    rc = abi_read_buffer(msize, (uint32_t)answer, arg, WHERE, &s, msg);
    fuzz_span(msize, (uint32_t)answer, arg, rc == 0);
    if (rc != 0)
      check_refusal(msg);
    break;
  default:
    fuzz_limit(answer, le(data + 9, 4), le(data + 13, 4));
    break;
  }
  free(mem);
  return 0;
}
