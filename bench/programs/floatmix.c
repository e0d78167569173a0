/*
** floatmix: double-precision floating point.
**
** A softened-gravity n-body simulation (sqrt and division in the inner loop),
** a Mandelbrot iteration count over a grid (multiply/add chains and float
** compares deciding branches) and an explicit 1-D heat-diffusion stencil
** (streaming loads and stores of doubles). Only +, -, *, / and sqrt are
** used: IEEE 754 makes those bit-exact everywhere, so the checksum over the
** bit patterns is the same natively and in wasm (no libm differences).
*/
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "harness.h"

#define EXPECTED 0xea6462b0u

#define NBODIES 12
#define NBODY_STEPS 45000
#define MANDEL_W 320
#define MANDEL_H 240
#define MANDEL_ITERS 600
#define HEAT_CELLS 32768
#define HEAT_STEPS 300

typedef struct body {
  double x, y, z, vx, vy, vz, mass;
} body;

static body bodies[NBODIES];
static double heat_a[HEAT_CELLS], heat_b[HEAT_CELLS];
static uint32_t rng_state = 0x9e3779b9u;

/* A uniform double in [lo, hi): 24 random bits keep the conversion exact. */
static double rnd(double lo, double hi) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return lo + (hi - lo) * ((double)(rng_state >> 8) / 16777216.0);
}

static uint32_t fold_double(uint32_t acc, double d) {
  uint64_t bits;
  memcpy(&bits, &d, sizeof bits);
  return (acc * 31u) ^ (uint32_t)bits ^ (uint32_t)(bits >> 32);
}

static void nbody_init(void) {
  for (int i = 0; i < NBODIES; i++) {
    body *b = &bodies[i];
    b->x = rnd(-4, 4); b->y = rnd(-4, 4); b->z = rnd(-1, 1);
    b->vx = rnd(-0.1, 0.1); b->vy = rnd(-0.1, 0.1); b->vz = rnd(-0.01, 0.01);
    b->mass = rnd(0.5, 2.0);
  }
}

/* One symplectic-Euler step over every pair. */
static void nbody_step(double dt) {
  for (int i = 0; i < NBODIES; i++) {
    body *a = &bodies[i];
    for (int j = i + 1; j < NBODIES; j++) {
      body *b = &bodies[j];
      double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
      double d2 = dx * dx + dy * dy + dz * dz + 0.01;
      double mag = dt / (d2 * sqrt(d2));
      a->vx -= dx * b->mass * mag; a->vy -= dy * b->mass * mag;
      a->vz -= dz * b->mass * mag;
      b->vx += dx * a->mass * mag; b->vy += dy * a->mass * mag;
      b->vz += dz * a->mass * mag;
    }
  }
  for (int i = 0; i < NBODIES; i++) {
    body *b = &bodies[i];
    b->x += dt * b->vx; b->y += dt * b->vy; b->z += dt * b->vz;
  }
}

static uint32_t nbody(void) {
  nbody_init();
  for (int s = 0; s < NBODY_STEPS; s++)
    nbody_step(0.001);
  uint32_t acc = 0;
  for (int i = 0; i < NBODIES; i++)
    acc = fold_double(fold_double(acc, bodies[i].x), bodies[i].vy);
  return acc;
}

/* Escape-time count for one point of the plane. */
static uint32_t mandel_point(double cr, double ci) {
  double zr = 0, zi = 0;
  uint32_t n = 0;
  while (n < MANDEL_ITERS) {
    double zr2 = zr * zr, zi2 = zi * zi;
    if (zr2 + zi2 > 4.0)
      break;
    zi = 2.0 * zr * zi + ci;
    zr = zr2 - zi2 + cr;
    n++;
  }
  return n;
}

static uint32_t mandelbrot(void) {
  uint32_t acc = 0;
  for (int y = 0; y < MANDEL_H; y++) {
    double ci = -1.2 + 2.4 * y / MANDEL_H;
    for (int x = 0; x < MANDEL_W; x++) {
      double cr = -2.1 + 3.0 * x / MANDEL_W;
      acc = acc * 17u + mandel_point(cr, ci);
    }
  }
  return acc;
}

/* Fixed-temperature ends, diffusion in between, ping-ponging two arrays. */
static uint32_t heat(void) {
  for (int i = 0; i < HEAT_CELLS; i++)
    heat_a[i] = (i % 97 == 0) ? 100.0 : rnd(0, 1);
  double *cur = heat_a, *next = heat_b;
  next[0] = cur[0];
  next[HEAT_CELLS - 1] = cur[HEAT_CELLS - 1];
  for (int s = 0; s < HEAT_STEPS; s++) {
    for (int i = 1; i < HEAT_CELLS - 1; i++)
      next[i] = cur[i] + 0.24 * (cur[i - 1] - 2.0 * cur[i] + cur[i + 1]);
    double *t = cur; cur = next; next = t;
  }
  double sum = 0;
  for (int i = 0; i < HEAT_CELLS; i++)
    sum += cur[i] * (double)(i & 15);
  return fold_double(0, sum);
}

static uint32_t compute(void) {
  uint32_t sum = nbody();
  sum = sum * 7u + mandelbrot();
  sum = sum * 7u + heat();
  return sum;
}

BENCH_MAIN("floatmix", EXPECTED, compute)
