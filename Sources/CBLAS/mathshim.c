// libm's sincos, which Swift's Glibc module does not export. Measured on 2e8 angles in [0, 2π): the same bits as
// sin and cos called separately, so the seeded normal sampler draws exactly the numbers it drew before.
#define _GNU_SOURCE
#include "CBLAS.h"
#include <math.h>

void gc_sincos(double x, double *s, double *c) { sincos(x, s, c); }

// Box-Muller for pairs first..<last of a block of xoshiro draws (two per pair), written to out[2p] (cosine) and
// out[2p + 1] (sine) as mean + std * normal, exactly as SeededGenerator.nextNormal computes it one at a time: Double
// arithmetic, the normal rounded to Float, then the Float scaling (not fused: contraction is off in this file). A
// pair whose sine falls at index `count` stores its unscaled sine in *spare instead.
#pragma STDC FP_CONTRACT OFF
void gc_normal_pairs(const unsigned long long *bits, long first, long last, float mean, float std, float *out,
                     long count, float *spare) {
  for (long p = first; p < last; p++) {
    double u1 = (double)(bits[2 * p] >> 11) * (1.0 / 9007199254740992.0);
    if (u1 < 1e-300) u1 = 1e-300;
    double u2 = (double)(bits[2 * p + 1] >> 11) * (1.0 / 9007199254740992.0);
    double radius = sqrt(-2 * log(u1));
    double angle = 2 * M_PI * u2;
    double s, c;
    sincos(angle, &s, &c);
    float cosine = (float)(radius * c), sine = (float)(radius * s);
    out[2 * p] = mean + std * cosine;
    if (2 * p + 1 < count)
      out[2 * p + 1] = mean + std * sine;
    else
      *spare = sine;
  }
}
