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
// four 256-column products. Cutting must not change a single result, and for some shapes the small kernel adds in
// another order. So each shape is certified once: the whole product and the cut one on the same pseudo-random data,
// compared bit for bit (the order of a BLAS kernel's operations depends on the shape and on beta, never on the
// values); only shapes that match are ever cut. GAN_GEMM_SPLIT=0 turns the cutting off; GAN_GEMM_SPLIT_LOG=1 prints
// each certificate.
enum { SMALL_MNK = 1000000, MIN_PIECE = 64, CACHE_SIZE = 4096 };
/// kind 0: cut into `width`-wide column pieces; kind 1: split into `width` row blocks, kind 2: into `width` column
/// blocks, at the bounds the engine's parallel loop uses (total * i / parts).
typedef struct {
  int used, kind, transA, transB, M, N, K, width, certified;
  float beta;
} certificate;
static certificate certificates[CACHE_SIZE];
static pthread_mutex_t certificate_lock = PTHREAD_MUTEX_INITIALIZER;
/// GAN_GEMM_SPLIT, read once: pthread_once, because products run on several threads at once and a plain
/// "read it if not read yet" was a data race.
static pthread_once_t split_setting_once = PTHREAD_ONCE_INIT;
static int split_enabled = 0;

static void cut_call(int transA, int transB, int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                     float beta, float *C, int ldc, int width) {
  for (int start = 0; start < N; start += width) {
    int n = N - start < width ? N - start : width;
    const float *b = transB ? B + (size_t)start * ldb : B + start;
    blas_call(transA, transB, M, n, K, 1, A, lda, b, ldb, beta, C + start, ldc);
  }
}

/// The product as the engine's parallel loop runs it: `parts` blocks of rows (byRows) or of columns.
static void split_call(int transA, int transB, int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                       float beta, float *C, int ldc, int parts, int byRows) {
  for (int i = 0; i < parts; i++) {
    int total = byRows ? M : N;
    int start = (int)((long long)total * i / parts), end = (int)((long long)total * (i + 1) / parts);
    if (end == start) continue;
    if (byRows)
      blas_call(transA, transB, end - start, N, K, 1, transA ? A + start : A + (size_t)start * lda, lda, B, ldb, beta,
                C + (size_t)start * ldc, ldc);
    else
      blas_call(transA, transB, M, end - start, K, 1, A, lda, transB ? B + (size_t)start * ldb : B + start, ldb, beta,
                C + start, ldc);
  }
}

static int certify(int kind, int transA, int transB, int M, int N, int K, float beta, int width) {
  size_t sa = (size_t)M * K, sb = (size_t)K * N, sc = (size_t)M * N;
  float *a = malloc(sizeof(float) * sa), *b = malloc(sizeof(float) * sb), *whole = malloc(sizeof(float) * sc),
        *cut = malloc(sizeof(float) * sc);
  int same = 0;
  if (a && b && whole && cut) {
    unsigned long long x = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < sa; i++) { x = x * 6364136223846793005ull + 1442695040888963407ull; a[i] = (float)(x >> 40) / 16777216.0f - 0.5f; }
    for (size_t i = 0; i < sb; i++) { x = x * 6364136223846793005ull + 1442695040888963407ull; b[i] = (float)(x >> 40) / 16777216.0f - 0.5f; }
    for (size_t i = 0; i < sc; i++) { x = x * 6364136223846793005ull + 1442695040888963407ull; whole[i] = cut[i] = (float)(x >> 40) / 16777216.0f - 0.5f; }
    int lda = transA ? M : K, ldb = transB ? K : N;
    blas_call(transA, transB, M, N, K, 1, a, lda, b, ldb, beta, whole, N);
    if (kind == 0)
      cut_call(transA, transB, M, N, K, a, lda, b, ldb, beta, cut, N, width);
    else
      split_call(transA, transB, M, N, K, a, lda, b, ldb, beta, cut, N, width, kind == 1);
    same = memcmp(whole, cut, sizeof(float) * sc) == 0;
  }
  free(a); free(b); free(whole); free(cut);
  return same;
}

static void read_split_setting(void) {
  const char *flag = getenv("GAN_GEMM_SPLIT");
  split_enabled = !(flag && strcmp(flag, "0") == 0);
}

/// Whether a way of running the product in pieces (see `certificate`) gives the whole product's results bit for bit;
/// certified on first use, then looked up.
static int certified(int kind, int transA, int transB, int M, int N, int K, float beta, int width) {
  pthread_once(&split_setting_once, read_split_setting);
  if (!split_enabled) return 0;
  // Certifying allocates both operands and two results: not for products beyond 32 M floats.
  if ((long long)M * K + (long long)K * N + 2LL * M * N > (32LL << 20)) return 0;
  unsigned h = (unsigned)(kind * 31 + transA * 7 + transB * 13 + width * 101) ^ ((unsigned)M * 2654435761u) ^
               ((unsigned)N * 40503u) ^ ((unsigned)K * 69069u);
  int ok = 0;
  pthread_mutex_lock(&certificate_lock);
  for (unsigned probe = 0; probe < CACHE_SIZE; probe++) {
    certificate *c = &certificates[(h + probe) % CACHE_SIZE];
    if (c->used && c->kind == kind && c->transA == transA && c->transB == transB && c->M == M && c->N == N &&
        c->K == K && c->width == width && c->beta == beta) {
      ok = c->certified;
      break;
    }
    if (!c->used) {
      ok = certify(kind, transA, transB, M, N, K, beta, width);
      *c = (certificate){1, kind, transA, transB, M, N, K, width, ok, beta};
      if (getenv("GAN_GEMM_SPLIT_LOG"))
        fprintf(stderr, "certify %s t%d%d M%d N%d K%d beta%g %s%d -> %d\n", kind == 0 ? "cut" : "split", transA,
                transB, M, N, K, beta, kind == 0 ? "width" : kind == 1 ? "row blocks " : "column blocks ", width, ok);
      break;
    }
  }  // a full table leaves ok = 0: run whole
  pthread_mutex_unlock(&certificate_lock);
  return ok;
}

/// The column width to cut this product into, or 0 to run it whole.
static int piece_width(int transA, int transB, int M, int N, int K, float beta) {
  if (K == 0 || (long long)M * N * K <= SMALL_MNK) return 0;
  long long width = SMALL_MNK / ((long long)M * K);
  if (width < MIN_PIECE || width >= N) return 0;
  // Pieces a power of two wide (the width the small kernel's lanes divide; measured to certify more often).
  int w = MIN_PIECE;
  while ((long long)w * 2 <= width) w *= 2;
  return certified(0, transA, transB, M, N, K, beta, w) ? w : 0;
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
  int width = alpha == 1 ? piece_width(transA, transB, M, N, K, beta) : 0;
  if (width > 0)
    cut_call(transA, transB, M, N, K, A, lda, B, ldb, beta, C, ldc, width);
  else
    blas_call(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

/// A certificate for the engine's own pieces of a product. The fallback's loops add every element in the same order
/// however a product is cut or split, so without a BLAS every way is certified.
static int certified_for_engine(int kind, int transA, int transB, int M, int N, int K, float beta, int width) {
  gc_blas_load();
  return blas_sgemm == NULL ? 1 : certified(kind, transA, transB, M, N, K, beta, width);
}

int gc_sgemm_split_certified(int transA, int transB, int M, int N, int K, float beta, int parts, int byRows) {
  return parts >= 2 && certified_for_engine(byRows ? 1 : 2, transA, transB, M, N, K, beta, parts);
}

int gc_sgemm_cut_certified(int transA, int transB, int M, int N, int K, float beta, int width) {
  return width > 0 && width < N && certified_for_engine(0, transA, transB, M, N, K, beta, width);
}
