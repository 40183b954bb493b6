/* spire/kid.c — unbiased polynomial-kernel MMD² and KID (spire/kid.h). */
#include <math.h>
#include <stdlib.h>
#include <gsl/gsl_cblas.h>   /* CBLAS prototypes; the symbols come from OpenBLAS */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "common/spl.h"
#include "spire/kid.h"

static double cube(double g, double invD)
{
    double k = g * invD + 1.0;
    return k * k * k;
}

/* Σ_{i≠j} k(x_i, x_j) for X (m, D): the strict upper triangle of X Xᵀ, twice.
 * G (m, m) is scratch. */
static double sum_within(const double *X, size_t m, size_t D, double *G)
{
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)m, (int)D, 1.0, X, (int)D,
                0.0, G, (int)m);
    double invD = 1.0 / (double)D, s = 0;
    for (size_t i = 0; i < m; i++)
        for (size_t j = i + 1; j < m; j++) s += cube(G[i * m + j], invD);
    return 2.0 * s;
}

/* Σ_{i,j} k(x_i, y_j), the diagonal included. G (m, n) is scratch. */
static double sum_cross(const double *X, size_t m, const double *Y, size_t n, size_t D,
                        double *G)
{
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)n, (int)D, 1.0, X,
                (int)D, Y, (int)D, 0.0, G, (int)n);
    double invD = 1.0 / (double)D, s = 0;
    for (size_t i = 0; i < m * n; i++) s += cube(G[i], invD);
    return s;
}

static double mmd2_with(const double *X, size_t m, const double *Y, size_t n, size_t D,
                        double *G)
{
    double kxx = sum_within(X, m, D, G), kyy = sum_within(Y, n, D, G);
    double kxy = sum_cross(X, m, Y, n, D, G);
    return kxx / ((double)m * (double)(m - 1)) + kyy / ((double)n * (double)(n - 1))
         - 2.0 * kxy / ((double)m * (double)n);
}

int spire_kid_mmd2(const double *X, size_t m, const double *Y, size_t n, size_t D,
                   double *mmd2)
{
    if (!X || !Y || !mmd2) return GSL_EINVAL;
    if (m < 2 || n < 2 || D == 0) return GSL_EDOM;
    size_t big = m > n ? m : n;
    double *G = malloc(big * big * sizeof *G);
    if (!G) return GSL_ENOMEM;
    *mmd2 = mmd2_with(X, m, Y, n, D, G);
    free(G);
    return GSL_SUCCESS;
}

int spire_kid_idx(const double *real, size_t nr, const double *fake, size_t nf, size_t D,
                  size_t subsets, size_t size, const size_t *idx_real, const size_t *idx_fake,
                  spire_kid_result *res)
{
    if (!real || !fake || !idx_real || !idx_fake || !res) return GSL_EINVAL;
    if (size < 2 || subsets == 0 || D == 0) return GSL_EDOM;
    for (size_t i = 0; i < subsets * size; i++)
        if (idx_real[i] >= nr || idx_fake[i] >= nf) return GSL_EDOM;
    double *X = malloc(size * D * sizeof *X), *Y = malloc(size * D * sizeof *Y);
    double *G = malloc(size * size * sizeof *G);
    if (!X || !Y || !G) { free(X); free(Y); free(G); return GSL_ENOMEM; }
    spl_stat st = { 0 };
    for (size_t s = 0; s < subsets; s++) {
        for (size_t i = 0; i < size; i++)
            for (size_t j = 0; j < D; j++) {
                X[i * D + j] = real[idx_real[s * size + i] * D + j];
                Y[i * D + j] = fake[idx_fake[s * size + i] * D + j];
            }
        spl_stat_add(&st, mmd2_with(X, size, Y, size, D, G));
    }
    res->mean = st.mean;
    res->std = sqrt(st.m2 / st.n);
    res->subsets = subsets;
    res->subset_size = size;
    free(X); free(Y); free(G);
    return GSL_SUCCESS;
}

int spire_kid(const double *real, size_t nr, const double *fake, size_t nf, size_t D,
              size_t subsets, size_t size, uint64_t seed, spire_kid_result *res)
{
    if (!real || !fake || !res) return GSL_EINVAL;
    if (size < 2 || size > nr || size > nf || subsets == 0 || D == 0) return GSL_EDOM;
    size_t *ir = malloc(subsets * size * sizeof *ir), *jf = malloc(subsets * size * sizeof *jf);
    size_t nmax = nr > nf ? nr : nf;
    size_t *all = malloc(nmax * sizeof *all);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    int st = (ir && jf && all && r) ? GSL_SUCCESS : GSL_ENOMEM;
    if (st == GSL_SUCCESS) {
        for (size_t i = 0; i < nmax; i++) all[i] = i;
        for (size_t s = 0; s < subsets; s++) {
            spl_rng_seed(r, seed, SPIRE_STREAM_KID, s);
            gsl_ran_choose(r, ir + s * size, size, all, nr, sizeof *all);
            gsl_ran_choose(r, jf + s * size, size, all, nf, sizeof *all);
        }
        st = spire_kid_idx(real, nr, fake, nf, D, subsets, size, ir, jf, res);
    }
    free(ir); free(jf); free(all);
    if (r) gsl_rng_free(r);
    return st;
}
