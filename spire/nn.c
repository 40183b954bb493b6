/* spire/nn.c — the layers of spire/nn.h in float (body: spire/nn_body.inc). */
#include "spire/nn.h"
#define REAL float
#define NN(name) name
#define GEMM cblas_sgemm
#define SIMD _Pragma("omp simd")
/* AVX2 and AVX-512 clones of the elementwise functions (GCC function
 * multi-versioning; the loader picks the widest the CPU has).  Only those
 * made of +, −, ×, ÷ and √, which give the same bits at every vector width
 * (no FMA: neither target enables it): results stay those of the SSE2
 * build.  The SiLU functions that call expf are not cloned: libmvec's AVX2
 * and AVX-512 expf round differently from its SSE one (≤ 4 ulp), and cloning
 * them would change every network result (5–9% of a training step,
 * docs/benchmarks.md). */
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
/* glibc's libmvec has vector versions of expf (linked through libm.so); this
 * declaration lets `omp simd` loops use them without -ffast-math. */
#pragma omp declare simd notinbranch
extern float expf(float);
/* Built with -fno-math-errno (Makefile): sqrt never sees a negative
 * argument here (v ≥ 0), and without errno the AdamW loop vectorises
 * (sqrtps) with the same correctly rounded result. */
#include "spire/nn_body.inc"
