// The seeded normal sampler's Box-Muller step, in one place for SeededGenerator.nextNormal and for bulk fills.
// libm's sincos (which Swift's Glibc module does not export) was measured on 2e8 angles in [0, 2π) to give the same
// bits as sin and cos called separately, the sampler's original form, so it draws exactly the numbers it drew before
// (pinned by a test).
#define _GNU_SOURCE
#include "CKernels.h"
#include <math.h>

// Contraction into fused multiply-adds is off: every rounding is the written one.
#pragma STDC FP_CONTRACT OFF

static inline void box_muller(unsigned long long first, unsigned long long second, float *cosine, float *sine) {
  double u1 = (double)(first >> 11) * (1.0 / 9007199254740992.0);
  if (u1 < 1e-300) u1 = 1e-300;
  double u2 = (double)(second >> 11) * (1.0 / 9007199254740992.0);
  double radius = sqrt(-2 * log(u1));
  double angle = 2 * M_PI * u2;
  double s, c;
  sincos(angle, &s, &c);
  *cosine = (float)(radius * c);
  *sine = (float)(radius * s);
}

void gc_box_muller(unsigned long long first, unsigned long long second, float *cosine, float *sine) {
  box_muller(first, second, cosine, sine);
}

// Pairs first..<last of a block of draws (two per pair) into out[2p] (cosine) and out[2p + 1] (sine) as
// mean + std * normal: the normal rounded to Float, then the Float scaling, as `mean + std * nextNormal()`. A pair
// whose sine falls at index `count` stores its unscaled sine in *spare instead.
void gc_normal_pairs(const unsigned long long *bits, long first, long last, float mean, float std, float *out,
                     long count, float *spare) {
  for (long p = first; p < last; p++) {
    float cosine, sine;
    box_muller(bits[2 * p], bits[2 * p + 1], &cosine, &sine);
    out[2 * p] = mean + std * cosine;
    if (2 * p + 1 < count)
      out[2 * p + 1] = mean + std * sine;
    else
      *spare = sine;
  }
}
