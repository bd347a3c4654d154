// See CKernels.h for why the BLAS is loaded with dlopen.
#define _GNU_SOURCE
#include "CKernels.h"
#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { RowMajor = 101, NoTrans = 111, Trans = 112 };
typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *,
                         int);
typedef void (*set_threads_fn)(int);
typedef char *(*corename_fn)(void);

/// Training allocates and frees the same large buffers (activations, im2col matrices) every step. glibc serves
/// blocks above 128 KiB with mmap and returns them with munmap, so each step pays page faults on fresh pages. Keeping
/// blocks up to 32 MiB on the heap (and not trimming it back eagerly) reuses the same pages step after step.
__attribute__((constructor)) static void gc_tune_allocator(void) {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 20);
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static sgemm_fn blas_sgemm = NULL;
static char description[256] = "not loaded";

/// The OpenBLAS core type for this CPU, from its feature bits (not its model number, which 0.3.21 does not know for
/// newer parts). NULL leaves OpenBLAS's own detection in place.
static const char *core_type_for_this_cpu(void) {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
  return NULL;
}

static void load(void) {
  // GAN_OPENBLAS_CORETYPE overrides our choice; "native" keeps OpenBLAS's own detection.
  const char *chosen = getenv("GAN_OPENBLAS_CORETYPE");
  const char *source = "GAN_OPENBLAS_CORETYPE";
  if (chosen == NULL) {
    chosen = core_type_for_this_cpu();
    source = "CPU features";
  }
  if (chosen != NULL && strcmp(chosen, "native") != 0) setenv("OPENBLAS_CORETYPE", chosen, 1);
  // BLAS runs single-threaded: the engine splits large products across the cores itself.
  setenv("OPENBLAS_NUM_THREADS", "1", 1);

  const char *names[] = {"libopenblas.so.0", "libopenblas.so", "libblas.so.3", NULL};
  for (int i = 0; names[i] != NULL; i++) {
    void *handle = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) continue;
    sgemm_fn f = (sgemm_fn)dlsym(handle, "cblas_sgemm");
    if (f == NULL) continue;
    set_threads_fn threads = (set_threads_fn)dlsym(handle, "openblas_set_num_threads");
    if (threads != NULL) threads(1);
    corename_fn core = (corename_fn)dlsym(handle, "openblas_get_corename");
    snprintf(description, sizeof description, "%s, core %s (%s)", names[i], core ? core() : "unknown",
             chosen ? source : "library's own detection");
    blas_sgemm = f;
    return;
  }
  snprintf(description, sizeof description,
           "built-in fallback kernel (slow): no OpenBLAS found; install it with 'apt-get install libopenblas0'");
}

int gc_blas_load(void) {
  pthread_once(&once, load);
  return blas_sgemm != NULL ? 0 : 1;
}

const char *gc_blas_description(void) {
  gc_blas_load();
  return description;
}

/// Plain blocked loops, used only when no BLAS library can be loaded.
static void fallback_sgemm(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                           const float *B, int ldb, float beta, float *C, int ldc) {
  for (int i = 0; i < M; i++) {
    float *c = C + (size_t)i * ldc;
    for (int j = 0; j < N; j++) c[j] = beta == 0 ? 0 : beta * c[j];
    for (int k = 0; k < K; k++) {
      float a = alpha * (transA ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k]);
      if (transB) {
        for (int j = 0; j < N; j++) c[j] += a * B[(size_t)j * ldb + k];
      } else {
        const float *b = B + (size_t)k * ldb;
        for (int j = 0; j < N; j++) c[j] += a * b[j];
      }
    }
  }
}

static void blas_call(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                      const float *B, int ldb, float beta, float *C, int ldc) {
  blas_sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

// OpenBLAS copies ("packs") both operands of a product into its own layout, unless M·N·K is at most 10⁶: then a
// small-matrix kernel reads them where they are. For a product with few rows (a convolution with 16 or 32 output
// channels) the packing costs as much as the arithmetic: 16 x 1024 x 147 runs at 46 GFLOP/s whole and 111 cut into
// four 256-column products. The cut is a fixed function of the shape, so a product's result depends only on the
// build and the machine's BLAS kernel, as the engine's splits across cores depend only on the thread count.
enum { SMALL_MNK = 1000000, MIN_PIECE = 64 };

/// GAN_GEMM_SPLIT=0 turns the cut off (and the engine's splits of small products, see Kernels.gemm), read once.
static pthread_once_t split_setting_once = PTHREAD_ONCE_INIT;
static int split_enabled = 0;

static void read_split_setting(void) {
  const char *flag = getenv("GAN_GEMM_SPLIT");
  split_enabled = !(flag && strcmp(flag, "0") == 0);
}

int gc_gemm_split_enabled(void) {
  pthread_once(&split_setting_once, read_split_setting);
  return split_enabled;
}

/// The column width to cut this product into, or 0 to run it whole.
static int piece_width(int M, int N, int K) {
  if (K == 0 || (long long)M * N * K <= SMALL_MNK || !gc_gemm_split_enabled()) return 0;
  long long width = SMALL_MNK / ((long long)M * K);
  if (width < MIN_PIECE || width >= N) return 0;
  // Pieces a power of two wide: the width the small kernel's vector lanes divide.
  int w = MIN_PIECE;
  while ((long long)w * 2 <= width) w *= 2;
  return w;
}

void gc_sgemm_whole(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
                    int ldb, float beta, float *C, int ldc) {
  if (M == 0 || N == 0) return;
  gc_blas_load();
  if (blas_sgemm == NULL)
    fallback_sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  else
    blas_call(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void gc_sgemm(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
              int ldb, float beta, float *C, int ldc) {
  if (M == 0 || N == 0) return;
  gc_blas_load();
  if (blas_sgemm == NULL) {
    fallback_sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  int width = piece_width(M, N, K);
  if (width == 0) {
    blas_call(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  for (int start = 0; start < N; start += width) {
    int n = N - start < width ? N - start : width;
    const float *b = transB ? B + (size_t)start * ldb : B + start;
    blas_call(transA, transB, M, n, K, alpha, A, lda, b, ldb, beta, C + start, ldc);
  }
}
