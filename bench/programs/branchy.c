/*
** branchy: unpredictable control flow.
**
** A tiny stack-machine bytecode interpreter (a switch on every opcode, which
** clang lowers to br_table in wasm) running a hand-assembled Collatz
** program; a recursive-descent parser and evaluator over generated
** arithmetic text; and a character-class state machine over the same text.
** What it stresses: br_table, br_if and if/else on data-dependent
** conditions, byte loads, and short basic blocks.
*/
#include <stdint.h>

#include "harness.h"

#define EXPECTED 0x921d4ccbu

#define COLLATZ_LIMIT 25000
#define TEXT_BYTES (1u << 18)
#define PARSE_PASSES 3u
#define SCAN_PASSES 3u

/* ---- the bytecode machine ---- */

enum op {
  OP_PUSH, OP_LOAD, OP_STORE, OP_ADD, OP_SUB, OP_MUL, OP_AND, OP_SHR1,
  OP_LT, OP_JZ, OP_JMP, OP_DUP, OP_DROP, OP_HALT
};

/*
** for (n = 1; n < limit; n++) { x = n; while (x != 1) { x = x & 1 ? 3x+1 : x/2;
** steps++; } }  with registers r0 = n, r1 = x, r2 = steps, r3 = limit.
** Words are (op, operand) pairs; jump operands are word indices.
*/
static const int32_t collatz_code[] = {
  /*  0 */ OP_PUSH, 1,   OP_STORE, 0,
  /*  2 */ OP_LOAD, 0,   OP_LOAD, 3,   OP_LT, 0,   OP_JZ, 32,
  /*  6 */ OP_LOAD, 0,   OP_STORE, 1,
  /*  8 */ OP_LOAD, 1,   OP_PUSH, 1,   OP_SUB, 0,  OP_JZ, 27,
  /* 12 */ OP_LOAD, 1,   OP_PUSH, 1,   OP_AND, 0,  OP_JZ, 22,
  /* 16 */ OP_LOAD, 1,   OP_PUSH, 3,   OP_MUL, 0,  OP_PUSH, 1, OP_ADD, 0,
  /* 21 */ OP_JMP, 24,
  /* 22 */ OP_LOAD, 1,   OP_SHR1, 0,
  /* 24 */ OP_STORE, 1,
  /* 25 */ OP_LOAD, 2,   OP_JMP, 33,
  /* 27 */ OP_LOAD, 0,   OP_PUSH, 1,   OP_ADD, 0,  OP_STORE, 0, OP_JMP, 2,
  /* 32 */ OP_HALT, 0,
  /* 33 */ OP_PUSH, 1,   OP_ADD, 0,    OP_STORE, 2, OP_JMP, 8,
};

static uint32_t run_vm(const int32_t *code, uint32_t *reg) {
  uint32_t stack[64];
  uint32_t sp = 0, pc = 0;
  for (;;) {
    int32_t op = code[2 * pc], arg = code[2 * pc + 1];
    pc++;
    switch (op) {
    case OP_PUSH: stack[sp++] = (uint32_t)arg; break;
    case OP_LOAD: stack[sp++] = reg[arg]; break;
    case OP_STORE: reg[arg] = stack[--sp]; break;
    case OP_ADD: sp--; stack[sp - 1] += stack[sp]; break;
    case OP_SUB: sp--; stack[sp - 1] -= stack[sp]; break;
    case OP_MUL: sp--; stack[sp - 1] *= stack[sp]; break;
    case OP_AND: sp--; stack[sp - 1] &= stack[sp]; break;
    case OP_SHR1: stack[sp - 1] >>= 1; break;
    case OP_LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
    case OP_JZ: if (stack[--sp] == 0) pc = (uint32_t)arg; break;
    case OP_JMP: pc = (uint32_t)arg; break;
    case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
    case OP_DROP: sp--; break;
    case OP_HALT: return pc;
    default: return 0xdeadu;
    }
  }
}

static uint32_t collatz(void) {
  uint32_t reg[4] = {0, 0, 0, COLLATZ_LIMIT};
  uint32_t end = run_vm(collatz_code, reg);
  return reg[2] * 31u + end;
}

/* ---- generated arithmetic text ---- */

static char text[TEXT_BYTES];
static uint32_t text_len;
static uint32_t rng_state = 0x6a09e667u;

static uint32_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state;
}

static void emit(char c) { text[text_len++] = c; }

static void gen_number(void) {
  uint32_t digits = 1 + rnd() % 6;
  for (uint32_t i = 0; i < digits; i++)
    emit((char)('0' + rnd() % 10));
}

static void gen_expr(uint32_t depth) {
  uint32_t r = rnd();
  if (depth == 0 || r % 5 == 0) {
    gen_number();
  } else if (r % 5 == 1) {
    emit('(');
    gen_expr(depth - 1);
    emit(')');
  } else {
    static const char ops[] = "+-*&|^";
    gen_expr(depth - 1);
    if (r & 0x100u)
      emit(' ');
    emit(ops[(r >> 3) % 6]);
    if (r & 0x200u)
      emit(' ');
    gen_expr(depth - 1);
  }
}

/* Statements 'expr;' with line breaks, until the buffer is nearly full. */
static void gen_text(void) {
  text_len = 0;
  while (text_len < TEXT_BYTES - 4096) {
    gen_expr(6);
    emit(';');
    emit((rnd() & 3u) ? ' ' : '\n');
  }
  text[text_len] = 0;
}

/* ---- recursive descent: bits < sum < product < atom ---- */

typedef struct parser {
  const char *p;
} parser;

static uint32_t parse_bits(parser *ps);

static void skip_space(parser *ps) {
  while (*ps->p == ' ' || *ps->p == '\n')
    ps->p++;
}

static uint32_t parse_atom(parser *ps) {
  skip_space(ps);
  if (*ps->p == '(') {
    ps->p++;
    uint32_t v = parse_bits(ps);
    skip_space(ps);
    ps->p++; /* ')' */
    return v;
  }
  uint32_t v = 0;
  while (*ps->p >= '0' && *ps->p <= '9')
    v = v * 10u + (uint32_t)(*ps->p++ - '0');
  return v;
}

static uint32_t parse_product(parser *ps) {
  uint32_t v = parse_atom(ps);
  for (;;) {
    skip_space(ps);
    if (*ps->p != '*')
      return v;
    ps->p++;
    v *= parse_atom(ps);
  }
}

static uint32_t parse_sum(parser *ps) {
  uint32_t v = parse_product(ps);
  for (;;) {
    skip_space(ps);
    char c = *ps->p;
    if (c != '+' && c != '-')
      return v;
    ps->p++;
    uint32_t rhs = parse_product(ps);
    v = c == '+' ? v + rhs : v - rhs;
  }
}

static uint32_t parse_bits(parser *ps) {
  uint32_t v = parse_sum(ps);
  for (;;) {
    skip_space(ps);
    char c = *ps->p;
    if (c != '&' && c != '|' && c != '^')
      return v;
    ps->p++;
    uint32_t rhs = parse_sum(ps);
    v = c == '&' ? v & rhs : c == '|' ? v | rhs : v ^ rhs;
  }
}

static uint32_t parse_all(void) {
  parser ps = {text};
  uint32_t acc = 0, statements = 0;
  while (*ps.p) {
    acc = acc * 33u + parse_bits(&ps);
    skip_space(&ps);
    ps.p++; /* ';' */
    skip_space(&ps);
    statements++;
  }
  return acc ^ statements;
}

/* ---- a lexer-like state machine: counts token kinds and transitions ---- */

enum cls { C_SPACE, C_DIGIT, C_OP, C_PAREN, C_END };

static enum cls classify(char c) {
  if (c == ' ' || c == '\n') return C_SPACE;
  if (c >= '0' && c <= '9') return C_DIGIT;
  if (c == '(' || c == ')') return C_PAREN;
  if (c == ';') return C_END;
  return C_OP;
}

static uint32_t scan(void) {
  uint32_t counts[5] = {0}, longest = 0, run = 0;
  enum cls state = C_SPACE;
  for (uint32_t i = 0; i < text_len; i++) {
    enum cls c = classify(text[i]);
    switch (state) {
    case C_DIGIT:
      if (c == C_DIGIT) { run++; continue; }
      if (run > longest) longest = run;
      break;
    case C_OP:
      if (c == C_OP) counts[C_OP] += 100;
      break;
    case C_END:
      if (c != C_SPACE) counts[C_END] += 7;
      break;
    default:
      break;
    }
    if (c == C_DIGIT) run = 1;
    counts[c]++;
    state = c;
  }
  return counts[0] ^ (counts[1] << 3) ^ (counts[2] << 6) ^ (counts[3] << 9) ^
         (counts[4] << 12) ^ longest;
}

static uint32_t compute(void) {
  uint32_t sum = collatz();
  gen_text();
  for (uint32_t i = 0; i < PARSE_PASSES; i++)
    sum = sum * 7u + parse_all();
  for (uint32_t i = 0; i < SCAN_PASSES; i++)
    sum = sum * 7u + scan();
  return sum;
}

BENCH_MAIN("branchy", EXPECTED, compute)
