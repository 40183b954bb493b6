/* ddpm/blocks.c — the block-parallel random skeleton of ddpm/ (draw.h):
 * samples in blocks of DDPM_MC_BLOCK, block j from stream (seed, j, 0),
 * blocks shared among OpenMP threads; each block writes only its own
 * results, which the caller merges in block order, so a result is
 * bit-identical whatever the number of threads. */
#include "ddpm/draw.h"

#include <stdlib.h>
#include <gsl/gsl_errno.h>
#include "common/spl.h"

int ddpm_blocks_run(size_t n, uint64_t seed, size_t scratch, ddpm_block_fn body, void *ctx)
{
    if (!body) return GSL_EINVAL;
    const size_t nblocks = ddpm_blocks_count(n);
    int *bst = calloc(nblocks ? nblocks : 1, sizeof *bst);
    if (!bst) return GSL_ENOMEM;
    int failed = 0;

    #pragma omp parallel reduction(|:failed)
    {
        gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
        double *buf = scratch ? malloc(scratch * sizeof(double)) : NULL;
        if (!r || (scratch && !buf)) failed = 1;
        #pragma omp for schedule(dynamic, 1)   /* a busy core takes fewer blocks */
        for (size_t j = 0; j < nblocks; j++) {
            if (failed) continue;
            spl_rng_seed(r, seed, j, 0);
            size_t i0 = j * DDPM_MC_BLOCK, i1 = i0 + DDPM_MC_BLOCK < n ? i0 + DDPM_MC_BLOCK : n;
            bst[j] = body(ctx, r, j, i0, i1, buf);
        }
        free(buf);
        gsl_rng_free(r);
    }
    int st = failed ? GSL_ENOMEM : GSL_SUCCESS;
    for (size_t j = 0; j < nblocks && !st; j++) st = bst[j];
    free(bst);
    return st;
}

double ddpm_blocks_mean_free(double *sums, size_t n)
{
    double t = 0.0;
    for (size_t j = 0; j < ddpm_blocks_count(n); j++) t += sums[j];
    free(sums);
    return t / (double)n;
}
