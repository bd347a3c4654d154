// The BLAS the engine multiplies with, loaded at run time so that the right kernel can be chosen first.
//
// Debian's OpenBLAS 0.3.21 reads OPENBLAS_CORETYPE once, when the library is loaded. Linked the usual way, it loads
// before `main` and misdetects newer Intel CPUs as "Prescott" (an SSE3 kernel, ~25 GFLOP/s instead of ~130). Loading
// it with dlopen after choosing the core type from this CPU's own feature bits gets the fast kernel without the user
// setting anything.
#ifndef GAN_CBLAS_H
#define GAN_CBLAS_H

#ifdef __cplusplus
extern "C" {
#endif

/// Loads the BLAS once (thread-safe). Returns 0 when a BLAS library was loaded, 1 when the built-in fallback kernel
/// is used (no OpenBLAS found).
int gc_blas_load(void);

/// A one-line description: library, core type and where the choice came from.
const char *gc_blas_description(void);

/// Row-major single-precision C = alpha * op(A) * op(B) + beta * C, single-threaded.
void gc_sgemm(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
              int ldb, float beta, float *C, int ldc);

/// A parallel loop task: `chunk` in 0..<chunks.
typedef void (*gc_task_fn)(void *context, int chunk);

/// Runs fn(context, 0..<chunks) on the calling thread and the pool's workers (cores - 1 spinning threads), and
/// returns when all chunks are done. Nested calls, and calls while another thread is using the pool, run serially.
void gc_parallel_for(int chunks, gc_task_fn fn, void *context);

/// The number of cores the pool uses (the machine's, unless configured before first use).
int gc_pool_cores(void);
void gc_pool_configure(int cores);

#ifdef __cplusplus
}
#endif
#endif
