// The engine's C kernels, called only from Autograd's kernel layer (Sources/Autograd/Kernels).
//
// The BLAS the engine multiplies with is loaded at run time so that the right kernel can be chosen first.
// Debian's OpenBLAS 0.3.21 reads OPENBLAS_CORETYPE once, when the library is loaded. Linked the usual way, it loads
// before `main` and misdetects newer Intel CPUs as "Prescott" (an SSE3 kernel, ~25 GFLOP/s instead of ~130). Loading
// it with dlopen after choosing the core type from this CPU's own feature bits gets the fast kernel without the user
// setting anything.
#ifndef GAN_CKERNELS_H
#define GAN_CKERNELS_H

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

/// gc_sgemm without cutting a product for OpenBLAS's small-matrix kernel (see blas.c): what the tests compare with.
void gc_sgemm_whole(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
                    int ldb, float beta, float *C, int ldc);

/// Whether GAN_GEMM_SPLIT leaves the engine's pieces of small products on (anything but "0"): cutting a product
/// with few rows into column pieces for OpenBLAS's small-matrix kernel, splitting products of 0.5-4 MFLOP across
/// the cores, folding convolution gradients block by block. Off, every product runs as one call per core's share.
int gc_gemm_split_enabled(void);

/// A parallel loop task: `chunk` in 0..<chunks.
typedef void (*gc_task_fn)(void *context, int chunk);

/// Runs fn(context, 0..<chunks) on the calling thread and the pool's workers (cores - 1 spinning threads), and
/// returns when all chunks are done. Nested calls, and calls while another thread is using the pool, run serially.
void gc_parallel_for(int chunks, gc_task_fn fn, void *context);

/// The number of cores the pool uses (the machine's, unless configured before first use).
int gc_pool_cores(void);
void gc_pool_configure(int cores);

/// im2col for `count` images starting at x ([count, channels, h, w]) into col ([channels*kh*kw, count*ho*wo]), and
/// its adjoint (adds into x). `plain` = 1 forces the portable loops (tests compare the two paths).
void gc_im2col(const float *x, int channels, int h, int w, int kh, int kw, int stride, int pad, int count, int plain,
               float *col);
void gc_col2im(const float *col, int channels, int h, int w, int kh, int kw, int stride, int pad, int count,
               int plain, float *x);
/// 1 when im2col/col2im with this stride take the AVX-512 path on this CPU.
int gc_im2col_vectorized(int stride);

/// A stride-1 convolution from x [batch, in_channels, h, w] to y [batch, out_channels, ho, wo] with weight
/// [out_channels, in_channels, kh, kw] (ho = h + 2 pad - kh + 1, wo likewise): the direct kernels of thin_conv.c.
typedef struct {
  int in_channels, out_channels, h, w, kh, kw, pad;
} gc_thin_geometry;
/// 1 when this CPU runs the direct kernels (AVX-512); they take 1 to 4 output channels and kernels up to 16 wide.
int gc_thin_conv_available(void);
/// y for images [first, first + count) (overwritten). Returns 1, touching nothing, when the geometry does not fit.
int gc_thin_conv_forward(const float *x, const float *w, const gc_thin_geometry *g, int first, int count, float *y);
/// The gradient with respect to x for images [first, first + count) (overwritten), from gy [batch, out, ho, wo];
/// also returns 1 when its zero-padded copy of an image's gy cannot be allocated.
int gc_thin_conv_input_grad(const float *gy, const float *w, const gc_thin_geometry *g, int first, int count,
                            float *gx);
/// The gradient with respect to w, summed over all `batch` images, for input channels [c0, c1) (overwritten).
int gc_thin_conv_weight_grad(const float *x, const float *gy, const gc_thin_geometry *g, int batch, int c0, int c1,
                             float *gw);

/// One Adam update without weight decay (NN.Adam's arithmetic, vectorized; see optim.c).
void gc_adam_update(float *theta, const float *g, float *m, float *v, long n, float beta2, float oneMinusBeta1,
                    float oneMinusBeta2, float stepSize, float biasCorrection2Root, float epsilon);

/// The fused multiply-add rate of one core in GFLOP/s (2 flops per lane), over about `seconds`, with the widest
/// vectors the CPU has (*vectorBits = 512 or 256; 0 and a rate of 0 where neither AVX-512 nor AVX2+FMA exists).
double gc_fma_peak_gflops(double seconds, int *vectorBits);

/// Two standard normals from two 64-bit draws by Box-Muller (53-bit uniforms, the first kept above 1e-300; Double
/// arithmetic with libm's sincos, each normal rounded to Float): SeededGenerator's sampler.
void gc_box_muller(unsigned long long first, unsigned long long second, float *cosine, float *sine);

/// Standard normals by Box-Muller from pairs of 64-bit draws (bits[2p], bits[2p + 1]) for p in first..<last, scaled
/// to mean + std * z into out[2p] and out[2p + 1]; the sine of a pair whose second slot is `count` goes to *spare
/// unscaled (see SeededGenerator.fillNormal).
void gc_normal_pairs(const unsigned long long *bits, long first, long last, float mean, float std, float *out,
                     long count, float *spare);

#ifdef __cplusplus
}
#endif
#endif
