/* gmm/score.c — the exact score of a noised isotropic Gaussian mixture
 * (THEORY.md §2): the one implementation behind the Monte Carlo terms of
 * ddpm/, the reverse-sampling demo of paper_figs/ and the exact
 * ε-predictor of spire/. */
#include "gmm/gmm.h"

#include <math.h>
#include <gsl/gsl_errno.h>

int gmm_resp_noised(size_t K, const double *logw, double v, const double *d2, double *resp)
{
    if (!logw || !d2 || !resp) return GSL_EINVAL;
    if (K < 1 || !(v > 0) || !isfinite(v)) return GSL_EDOM;
    /* log r_k up to a constant, by log-sum-exp (no underflow far out) */
    double mx = -INFINITY;
    for (size_t k = 0; k < K; k++) {
        resp[k] = logw[k] - d2[k] / (2 * v);
        if (resp[k] > mx) mx = resp[k];
    }
    if (!(mx > -INFINITY)) return GSL_EDOM;   /* every weight zero, or NaN */
    double z = 0;
    for (size_t k = 0; k < K; k++) { resp[k] = exp(resp[k] - mx); z += resp[k]; }
    for (size_t k = 0; k < K; k++) resp[k] /= z;
    return GSL_SUCCESS;
}

int gmm_score_noised(size_t K, size_t d, const double *logw, const double *mu, double sigma,
                     double a, double b, const double *x, double *resp, double *score)
{
    if (!logw || !mu || !x || !resp || !score) return GSL_EINVAL;
    if (K < 1 || d < 1 || !(sigma >= 0) || !(a >= 0) || !(b >= 0)) return GSL_EDOM;
    const double v = a * a * sigma * sigma + b * b;
    if (!(v > 0) || !isfinite(v)) return GSL_EDOM;
    /* the squared distances |x − aμ_k|² into resp, then the responsibilities */
    for (size_t k = 0; k < K; k++) {
        double d2 = 0;
        /* vectorised sum (lane partial sums: a fixed order, whatever the threads) */
        #pragma omp simd reduction(+:d2)
        for (size_t j = 0; j < d; j++) {
            double t = x[j] - a * mu[k * d + j];
            d2 += t * t;
        }
        resp[k] = d2;
    }
    int st = gmm_resp_noised(K, logw, v, resp, resp);
    if (st) return st;
    /* score = −(x − a Σ_k r_k μ_k)/v, accumulated component by component so
     * that the loops over coordinates vectorise */
    const double iv = 1.0 / v;
    #pragma omp simd
    for (size_t j = 0; j < d; j++) score[j] = -x[j] * iv;
    for (size_t k = 0; k < K; k++) {
        const double c = a * resp[k] * iv;
        const double *mk = mu + k * d;
        #pragma omp simd
        for (size_t j = 0; j < d; j++) score[j] += c * mk[j];
    }
    return GSL_SUCCESS;
}
