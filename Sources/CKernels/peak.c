// The floating-point ceiling of one core: twelve independent chains of fused multiply-adds kept in registers (enough
// to cover the FMA latency on both pipes), the widest vectors this CPU has. `gan-bench --kernels` reports it beside
// the GEMM rates, so the arithmetic of what a workload could reach rests on a number measured on the machine.
#include "CKernels.h"
#include <time.h>

#if defined(__x86_64__)
#include <immintrin.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

#define CHAINS 12
#define FMA_LOOP(TYPE, SET1, FMA, LANES)                                                                              \
  TYPE acc[CHAINS], b = SET1(0.999999f), c = SET1(1e-7f);                                                            \
  for (int i = 0; i < CHAINS; i++) acc[i] = SET1((float)i);                                                          \
  long rounds = 0;                                                                                                    \
  double start = now(), elapsed = 0;                                                                                  \
  while (elapsed < seconds) {                                                                                         \
    for (int k = 0; k < 1000000; k++)                                                                                 \
      for (int i = 0; i < CHAINS; i++) acc[i] = FMA(acc[i], b, c);                                                    \
    rounds += 1000000;                                                                                                \
    elapsed = now() - start;                                                                                          \
  }                                                                                                                   \
  float sink[LANES];                                                                                                  \
  for (int i = 1; i < CHAINS; i++) acc[0] = FMA(acc[0], b, acc[i]);                                                   \
  memcpy(sink, &acc[0], sizeof sink);                                                                                 \
  *checksum = sink[0];                                                                                                \
  return (double)rounds * CHAINS * LANES * 2 / elapsed / 1e9;

#include <string.h>

__attribute__((target("avx512f"))) static double peak512(double seconds, float *checksum) {
  FMA_LOOP(__m512, _mm512_set1_ps, _mm512_fmadd_ps, 16)
}

__attribute__((target("avx2,fma"))) static double peak256(double seconds, float *checksum) {
  FMA_LOOP(__m256, _mm256_set1_ps, _mm256_fmadd_ps, 8)
}
#endif

double gc_fma_peak_gflops(double seconds, int *vectorBits) {
#if defined(__x86_64__)
  float checksum = 0;
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) {
    *vectorBits = 512;
    return peak512(seconds, &checksum) + 0 * checksum;
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    *vectorBits = 256;
    return peak256(seconds, &checksum) + 0 * checksum;
  }
#endif
  (void)seconds;
  *vectorBits = 0;
  return 0;
}
