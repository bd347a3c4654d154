// Direct stride-1 convolutions with at most four output channels: CycleGAN's last layer (7 x 7 from 16 channels to
// 3 at 32 x 32 in W6, 64 to 3 at 256 x 256 in the paper). Through im2col its column matrix is 49 times the input
// (3.2 MB per 32 x 32 image) for a product with 3 rows: the copies and OpenBLAS's packing of them cost more than the
// arithmetic (per image, one core: im2col 0.16 ms, product 0.17 ms at 29 GFLOP/s). Here each output row is a few
// 16-lane accumulators that stay in registers while the kernel offsets and input channels go by; nothing is unfolded.
//
// Sums run in a fixed order (input channel, kernel row, kernel column; images in order for the weight gradient), with
// fused multiply-adds, so a result depends on the shapes only: not on the number of cores, which split the work by
// images (forward, input gradient) or input channels (weight gradient), each part written by one core.
//
// AVX-512 only (masked loads make the borders free); without it the engine keeps im2col and GEMM.
#include "CKernels.h"
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq")))

enum { MAX_OUT = 4, MAX_KW = 16 };

// Lanes i in [0, n) with lo <= base + i < hi, as a mask.
static inline __mmask16 lanes(int base, int n, int lo, int hi) {
  int a = lo - base > 0 ? lo - base : 0, b = hi - base < n ? hi - base : n;
  return a < b ? (__mmask16)(((1u << b) - 1) & ~((1u << a) - 1)) : 0;
}

#define INLINE static inline __attribute__((always_inline))

// The loops below are written for constant O (outputs) and R (rows at a time) and instantiated for each O by the
// switches further down, so the R x O accumulators live in registers: that many independent chains of fused
// multiply-adds keep both FMA pipes busy (one chain waits 4 cycles per step).

// y rows [oy0, oy0 + R) of image xj, lanes [ox0, ox0 + 16) (mask[kx]: the lanes whose input column is inside).
AVX512 INLINE void forward_rows(const float *xj, const float *w, const gc_thin_geometry *g, int ox0, int n,
                                const __mmask16 *mask, int oy0, int rows, const int O, const int R, float *yj) {
  const int C = g->in_channels, H = g->h, W = g->w, kh = g->kh, kw = g->kw, pad = g->pad;
  const int ho = H + 2 * pad - kh + 1, wo = W + 2 * pad - kw + 1, plane = H * W, taps = C * kh * kw;
  __m512 acc[R][O];
  for (int r = 0; r < R; r++)
    for (int o = 0; o < O; o++) acc[r][o] = _mm512_setzero_ps();
  for (int c = 0; c < C; c++)
    for (int ky = 0; ky < kh; ky++) {
      const float *line[R];
      int inside[R];
      for (int r = 0; r < R; r++) {
        const int iy = oy0 + r - pad + ky;
        inside[r] = r < rows && iy >= 0 && iy < H;
        line[r] = xj + (long)c * plane + (long)(inside[r] ? iy : 0) * W + ox0 - pad;
      }
      const float *wk = w + ((long)c * kh + ky) * kw;
      for (int kx = 0; kx < kw; kx++) {
        __m512 weight[O];
        for (int o = 0; o < O; o++) weight[o] = _mm512_set1_ps(wk[(long)o * taps + kx]);
        for (int r = 0; r < R; r++) {
          // Masked-off lanes are not read, so a line may start left of the image.
          const __m512 v = _mm512_maskz_loadu_ps(inside[r] ? mask[kx] : 0, line[r] + kx);
          for (int o = 0; o < O; o++) acc[r][o] = _mm512_fmadd_ps(weight[o], v, acc[r][o]);
        }
      }
    }
  const __mmask16 store = (__mmask16)((1u << n) - 1);
  for (int r = 0; r < rows; r++)
    for (int o = 0; o < O; o++) _mm512_mask_storeu_ps(yj + ((long)o * ho + oy0 + r) * wo + ox0, store, acc[r][o]);
}

// y[j, o, oy, ox] = sum over c, ky, kx of w[o, c, ky, kx] x[j, c, oy - pad + ky, ox - pad + kx] for images
// [first, first + count).
AVX512 INLINE void forward(const float *x, const float *w, const gc_thin_geometry *g, int first, int count,
                           const int O, float *y) {
  const int C = g->in_channels, H = g->h, W = g->w, kh = g->kh, kw = g->kw, pad = g->pad;
  const int ho = H + 2 * pad - kh + 1, wo = W + 2 * pad - kw + 1;
  for (int j = first; j < first + count; j++) {
    const float *xj = x + (long)j * C * H * W;
    float *yj = y + (long)j * O * ho * wo;
    for (int ox0 = 0; ox0 < wo; ox0 += 16) {
      const int n = wo - ox0 < 16 ? wo - ox0 : 16;
      __mmask16 mask[MAX_KW];
      for (int kx = 0; kx < kw; kx++) mask[kx] = lanes(ox0 - pad + kx, n, 0, W);
      for (int oy = 0; oy < ho; oy += 4) forward_rows(xj, w, g, ox0, n, mask, oy, ho - oy < 4 ? ho - oy : 4, O, 4, yj);
    }
  }
}

// gx rows [iy0, iy0 + R) of input channels [c, c + K), lanes [ix0, ix0 + 16), from gyp: image j's gy with kh - 1
// zero rows above and below (and R more below) and kw - 1 zero columns left and right (and 16 more right), `stride`
// floats a row and `area` a channel. Each input pixel gathers its terms over ky, kx and o in that order; the zeros
// stand for the taps that fall outside, so the loop has no bounds or masks, and each row of gy loaded serves K
// channels.
AVX512 INLINE void input_rows(const float *gyp, int stride, long area, const float *w, const gc_thin_geometry *g,
                              int c, int ix0, int n, int iy0, int rows, const int O, const int K, const int R,
                              float *gxj) {
  const int C = g->in_channels, H = g->h, W = g->w, kh = g->kh, kw = g->kw, pad = g->pad, taps = C * kh * kw;
  __m512 acc[K][R];
  for (int k = 0; k < K; k++)
    for (int r = 0; r < R; r++) acc[k][r] = _mm512_setzero_ps();
  for (int ky = 0; ky < kh; ky++) {
    // Output row iy + pad - ky is padded row iy + pad - ky + kh - 1.
    const float *top = gyp + (long)(iy0 + pad - ky + kh - 1) * stride + ix0 + pad + kw - 1;
    const float *wk = w + ((long)c * kh + ky) * kw;
    for (int kx = 0; kx < kw; kx++)
      for (int o = 0; o < O; o++) {
        __m512 v[R];
        for (int r = 0; r < R; r++) v[r] = _mm512_loadu_ps(top + o * area - kx + (long)r * stride);
        for (int k = 0; k < K; k++) {
          const __m512 weight = _mm512_set1_ps(wk[(long)o * taps + (long)k * kh * kw + kx]);
          for (int r = 0; r < R; r++) acc[k][r] = _mm512_fmadd_ps(weight, v[r], acc[k][r]);
        }
      }
  }
  const __mmask16 store = (__mmask16)((1u << n) - 1);
  for (int k = 0; k < K; k++)
    for (int r = 0; r < rows; r++)
      _mm512_mask_storeu_ps(gxj + ((long)(c + k) * H + iy0 + r) * W + ix0, store, acc[k][r]);
}

// gx[j, c, iy, ix] = sum over ky, kx, o of w[o, c, ky, kx] gy[j, o, iy + pad - ky, ix + pad - kx]. Returns 1 when
// the scratch copy cannot be allocated.
AVX512 INLINE int input_grad(const float *gy, const float *w, const gc_thin_geometry *g, int first, int count,
                             const int O, float *gx) {
  enum { R = 4 };
  const int C = g->in_channels, H = g->h, W = g->w, kh = g->kh, kw = g->kw, pad = g->pad;
  const int ho = H + 2 * pad - kh + 1, wo = W + 2 * pad - kw + 1;
  const int stride = wo + 2 * (kw - 1) + 16, height = ho + 2 * (kh - 1) + R;
  const long area = (long)height * stride;
  float *gyp = calloc((size_t)O * area, sizeof(float));
  if (gyp == NULL) return 1;
  for (int j = first; j < first + count; j++) {
    const float *gyj = gy + (long)j * O * ho * wo;
    for (int o = 0; o < O; o++)
      for (int oy = 0; oy < ho; oy++)
        memcpy(gyp + o * area + (long)(oy + kh - 1) * stride + kw - 1, gyj + ((long)o * ho + oy) * wo,
               sizeof(float) * wo);
    float *gxj = gx + (long)j * C * H * W;
    for (int ix0 = 0; ix0 < W; ix0 += 16) {
      const int n = W - ix0 < 16 ? W - ix0 : 16;
      for (int iy = 0; iy < H; iy += R) {
        const int rows = H - iy < R ? H - iy : R;
        int c = 0;
        for (; c + 4 <= C; c += 4) input_rows(gyp, stride, area, w, g, c, ix0, n, iy, rows, O, 4, R, gxj);
        for (; c < C; c++) input_rows(gyp, stride, area, w, g, c, ix0, n, iy, rows, O, 1, R, gxj);
      }
    }
  }
  free(gyp);
  return 0;
}

// gw[o, c, ky, kx] = sum over images, oy, ox of gy[j, o, oy, ox] x[j, c, oy - pad + ky, ox - pad + kx], for input
// channels [c0, c1). Each (o, c, ky, kx) keeps R partial sums, one per output row modulo R, added in order at the end.
AVX512 INLINE void weight_grad(const float *x, const float *gy, const gc_thin_geometry *g, int batch, int c0, int c1,
                               const int O, float *gw) {
  enum { R = 4 };
  const int C = g->in_channels, H = g->h, W = g->w, kh = g->kh, kw = g->kw, pad = g->pad;
  const int ho = H + 2 * pad - kh + 1, wo = W + 2 * pad - kw + 1, plane = H * W, pixels = ho * wo;
  for (int c = c0; c < c1; c++)
    for (int ky = 0; ky < kh; ky++)
      for (int kx = 0; kx < kw; kx++) {
        __m512 acc[O][R];
        for (int o = 0; o < O; o++)
          for (int r = 0; r < R; r++) acc[o][r] = _mm512_setzero_ps();
        for (int j = 0; j < batch; j++) {
          const float *xc = x + ((long)j * C + c) * plane, *gyj = gy + (long)j * O * pixels;
          for (int ox0 = 0; ox0 < wo; ox0 += 16) {
            const int n = wo - ox0 < 16 ? wo - ox0 : 16;
            const __mmask16 valid = lanes(ox0 - pad + kx, n, 0, W), all = (__mmask16)((1u << n) - 1);
            for (int oy0 = 0; oy0 < ho; oy0 += R)
              for (int r = 0; r < R; r++) {
                // Rows past the output or whose input row is outside read nothing (zeros).
                const int oy = oy0 + r, iy = oy - pad + ky, inside = oy < ho && iy >= 0 && iy < H;
                const __m512 v = _mm512_maskz_loadu_ps(inside ? valid : 0, xc + (long)(inside ? iy : 0) * W + ox0 - pad + kx);
                for (int o = 0; o < O; o++)
                  acc[o][r] = _mm512_fmadd_ps(
                    _mm512_maskz_loadu_ps(inside ? all : 0, gyj + (long)o * pixels + (long)(inside ? oy : 0) * wo + ox0),
                    v, acc[o][r]);
              }
          }
        }
        for (int o = 0; o < O; o++) {
          __m512 total = acc[o][0];
          for (int r = 1; r < R; r++) total = _mm512_add_ps(total, acc[o][r]);
          gw[(((long)o * C + c) * kh + ky) * kw + kx] = _mm512_reduce_add_ps(total);
        }
      }
}

// One function per output count, each with its loops unrolled.
#define INSTANTIATE(O)                                                                                                \
  AVX512 static void forward_##O(const float *x, const float *w, const gc_thin_geometry *g, int first, int count,   \
                                 float *y) {                                                                        \
    forward(x, w, g, first, count, O, y);                                                                           \
  }                                                                                                                 \
  AVX512 static int input_grad_##O(const float *gy, const float *w, const gc_thin_geometry *g, int first,           \
                                   int count, float *gx) {                                                          \
    return input_grad(gy, w, g, first, count, O, gx);                                                               \
  }                                                                                                                 \
  AVX512 static void weight_grad_##O(const float *x, const float *gy, const gc_thin_geometry *g, int batch, int c0, \
                                     int c1, float *gw) {                                                           \
    weight_grad(x, gy, g, batch, c0, c1, O, gw);                                                                    \
  }
INSTANTIATE(1)
INSTANTIATE(2)
INSTANTIATE(3)
INSTANTIATE(4)

static int available = -1;
int gc_thin_conv_available(void) {
  if (available < 0) {
    __builtin_cpu_init();
    available = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
  }
  return available;
}

static int fits(const gc_thin_geometry *g) {
  return gc_thin_conv_available() && g->out_channels >= 1 && g->out_channels <= MAX_OUT && g->kw <= MAX_KW;
}

int gc_thin_conv_forward(const float *x, const float *w, const gc_thin_geometry *g, int first, int count, float *y) {
  if (!fits(g)) return 1;
  switch (g->out_channels) {
  case 1: forward_1(x, w, g, first, count, y); break;
  case 2: forward_2(x, w, g, first, count, y); break;
  case 3: forward_3(x, w, g, first, count, y); break;
  default: forward_4(x, w, g, first, count, y); break;
  }
  return 0;
}

int gc_thin_conv_input_grad(const float *gy, const float *w, const gc_thin_geometry *g, int first, int count,
                            float *gx) {
  if (!fits(g)) return 1;
  switch (g->out_channels) {
  case 1: return input_grad_1(gy, w, g, first, count, gx);
  case 2: return input_grad_2(gy, w, g, first, count, gx);
  case 3: return input_grad_3(gy, w, g, first, count, gx);
  default: return input_grad_4(gy, w, g, first, count, gx);
  }
}

int gc_thin_conv_weight_grad(const float *x, const float *gy, const gc_thin_geometry *g, int batch, int c0, int c1,
                             float *gw) {
  if (!fits(g)) return 1;
  switch (g->out_channels) {
  case 1: weight_grad_1(x, gy, g, batch, c0, c1, gw); break;
  case 2: weight_grad_2(x, gy, g, batch, c0, c1, gw); break;
  case 3: weight_grad_3(x, gy, g, batch, c0, c1, gw); break;
  default: weight_grad_4(x, gy, g, batch, c0, c1, gw); break;
  }
  return 0;
}

#else
int gc_thin_conv_available(void) { return 0; }
int gc_thin_conv_forward(const float *x, const float *w, const gc_thin_geometry *g, int first, int count, float *y) {
  return 1;
}
int gc_thin_conv_input_grad(const float *gy, const float *w, const gc_thin_geometry *g, int first, int count,
                            float *gx) {
  return 1;
}
int gc_thin_conv_weight_grad(const float *x, const float *gy, const gc_thin_geometry *g, int batch, int c0, int c1,
                             float *gw) {
  return 1;
}
#endif
