/* bench/bench_sgemm.c — the machine's matrix-product peak: GFLOP/s of one
 * large single-precision product C = A·B (OpenBLAS cblas_sgemm, n = 2048,
 * 2n³ flops), the best of 5 after one warm-up, for each thread count given
 * on the command line (default: 1 2).  bench/spire_vs_torch.sh divides the
 * trainer's achieved GFLOP/s by it.  The product is checked first against a
 * few entries summed in double.  CSV on stdout: threads,n,gflops. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <cblas.h>
#include <omp.h>
#include "common/spl.h"

int main(int argc, char **argv)
{
    enum { N = 2048, REPS = 5 };
    float *a = malloc((size_t)N * N * sizeof *a), *b = malloc((size_t)N * N * sizeof *b);
    float *c = malloc((size_t)N * N * sizeof *c);
    if (!a || !b || !c) return 1;
    for (size_t i = 0; i < (size_t)N * N; i++) {
        a[i] = (float)((i * 7919 % 1000) / 1000.0 - 0.5);
        b[i] = (float)((i * 104729 % 1000) / 1000.0 - 0.5);
    }
    printf("threads,n,gflops\n");
    int nth = argc > 1 ? argc - 1 : 2;
    for (int k = 0; k < nth; k++) {
        int th = argc > 1 ? atoi(argv[k + 1]) : k + 1;
        if (th < 1) { fprintf(stderr, "bench_sgemm: thread count must be >= 1\n"); return 2; }
        spl_blas_threads(th);
        double best = 0;
        for (int r = 0; r <= REPS; r++) {
            double t0 = omp_get_wtime();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1, a, N, b, N, 0, c, N);
            double gf = 2.0 * N * N * (double)N / (omp_get_wtime() - t0) / 1e9;
            if (r > 0 && gf > best) best = gf;
        }
        for (int q = 0; q < 4; q++) {   /* check a few entries */
            size_t i = (size_t)(q * 611) % N, j = (size_t)(q * 1013 + 5) % N;
            double s = 0;
            for (size_t l = 0; l < N; l++) s += (double)a[i * N + l] * b[l * N + j];
            if (fabs(s - c[i * N + j]) > 1e-3 * (1 + fabs(s))) {
                fprintf(stderr, "bench_sgemm: wrong product (%g vs %g)\n", c[i * N + j], s);
                return 1;
            }
        }
        printf("%d,%d,%.1f\n", th, N, best);
    }
    free(a); free(b); free(c);
    return 0;
}
