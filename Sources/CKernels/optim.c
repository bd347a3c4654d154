// The Adam update as a C loop (restrict pointers, no errno on sqrt), so that it vectorizes: Swift kept it scalar,
// with a call to sqrtf per element. The arithmetic is NN.Adam's, operation for operation and without contraction
// into fused multiply-adds, so the result is the same bit for bit.
#include "CKernels.h"
#include <math.h>

#pragma clang fp contract(off)

void gc_adam_update(float *restrict theta, const float *restrict g, float *restrict m, float *restrict v, long n,
                    float beta2, float oneMinusBeta1, float oneMinusBeta2, float stepSize, float biasCorrection2Root,
                    float epsilon) {
  const float negativeStep = -stepSize;
  for (long i = 0; i < n; i++) {
    float grad = g[i];
    float mi = m[i] + oneMinusBeta1 * (grad - m[i]);
    float vi = v[i] * beta2 + oneMinusBeta2 * grad * grad;
    m[i] = mi;
    v[i] = vi;
    theta[i] += negativeStep * (mi / (__builtin_sqrtf(vi) / biasCorrection2Root + epsilon));
  }
}
