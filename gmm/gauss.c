/* gmm/gauss.c — a Gaussian N(mean, Σ) with general covariance, held through
 * its lower Cholesky factor L (Σ = L Lᵀ, LAPACKE_dpotrf, column-major):
 * sampling x = mean + L z and log-density by a triangular solve (CBLAS). */
#include "gmm/gmm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cblas.h>  /* GSL's CBLAS declarations; the symbols come from OpenBLAS */
#include <lapacke.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>
#include "common/spl.h"

/* log √(2π) */
static const double LOG_SQRT_2PI = 0.91893853320467274178;

gmm_gauss *gmm_gauss_alloc(size_t d, int *status)
{
    if (d < 1) return spl_fail(status, GSL_EDOM);
    gmm_gauss *G = calloc(1, sizeof *G);
    if (!G) return spl_fail(status, GSL_ENOMEM);
    G->mean = calloc(d, sizeof *G->mean);
    G->chol = calloc(d * d, sizeof *G->chol);
    if (!G->mean || !G->chol) { gmm_gauss_free(G); return spl_fail(status, GSL_ENOMEM); }
    G->d = d;
    for (size_t j = 0; j < d; j++) G->chol[j * d + j] = 1.0;   /* Σ = I */
    G->logdet = 0.0;
    spl_status(status, GSL_SUCCESS);
    return G;
}

void gmm_gauss_free(gmm_gauss *G)
{
    if (!G) return;
    free(G->mean);
    free(G->chol);
    free(G);
}

int gmm_gauss_set(gmm_gauss *G, const double *mean, const double *cov)
{
    if (!G || !mean || !cov) return GSL_EINVAL;
    const size_t d = G->d;
    for (size_t j = 0; j < d; j++) if (!isfinite(mean[j])) return GSL_EDOM;
    for (size_t j = 0; j < d * d; j++) if (!isfinite(cov[j])) return GSL_EDOM;
    /* Factorise a copy so that G is unchanged when Σ is not positive definite. */
    double *L = malloc(d * d * sizeof *L);
    if (!L) return GSL_ENOMEM;
    memcpy(L, cov, d * d * sizeof *L);
    lapack_int info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', (lapack_int)d, L, (lapack_int)d);
    if (info != 0) {
        free(L);
        return info > 0 ? GSL_EDOM : GSL_EINVAL;
    }
    double ld = 0.0;
    for (size_t j = 0; j < d; j++) {
        for (size_t i = 0; i < j; i++) L[j * d + i] = 0.0;   /* upper triangle: dpotrf leaves Σ there */
        ld += log(L[j * d + j]);
    }
    memcpy(G->chol, L, d * d * sizeof *L);
    memcpy(G->mean, mean, d * sizeof *mean);
    G->logdet = 2.0 * ld;
    free(L);
    return GSL_SUCCESS;
}

int gmm_gauss_sample(const gmm_gauss *G, gsl_rng *r, size_t n, double *x)
{
    if (!G || !r || (n > 0 && !x)) return GSL_EINVAL;
    const size_t d = G->d;
    for (size_t i = 0; i < n; i++) {
        double *xi = x + i * d;
        for (size_t j = 0; j < d; j++) xi[j] = gsl_ran_gaussian_ziggurat(r, 1.0);
        cblas_dtrmv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, (int)d, G->chol,
                    (int)d, xi, 1);
        cblas_daxpy((int)d, 1.0, G->mean, 1, xi, 1);
    }
    return GSL_SUCCESS;
}

double gmm_gauss_logpdf(const gmm_gauss *G, const double *x)
{
    /* log N = −d/2 log 2π − ½ log det Σ − ½|y|²,  L y = x − mean. */
    if (!G || !x) return GSL_NAN;
    const size_t d = G->d;
    double *y = malloc(d * sizeof *y);
    if (!y) return GSL_NAN;
    for (size_t j = 0; j < d; j++) y[j] = x[j] - G->mean[j];
    cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, (int)d, G->chol, (int)d,
                y, 1);
    double q = cblas_ddot((int)d, y, 1, y, 1);
    free(y);
    return -(double)d * LOG_SQRT_2PI - 0.5 * G->logdet - 0.5 * q;
}
