/* gmm/gmmk.c — K-component isotropic mixture p = Σ_k w_k N(μ_k, σ² I):
 * sampling, log-density, responsibilities, EM for the weights with the
 * means and σ frozen (used by the trainer's synthetic clients, §8). */
#include "gmm/gmm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>
#include "common/spl.h"

/* log √(2π) */
static const double LOG_SQRT_2PI = 0.91893853320467274178;

gmmk *gmmk_alloc(size_t K, size_t d, int *status)
{
    if (K < 1 || d < 1) return spl_fail(status, GSL_EDOM);
    gmmk *m = calloc(1, sizeof *m);
    if (!m) return spl_fail(status, GSL_ENOMEM);
    m->w = malloc(K * sizeof *m->w);
    m->mu = calloc(K * d, sizeof *m->mu);
    if (!m->w || !m->mu) { gmmk_free(m); return spl_fail(status, GSL_ENOMEM); }
    m->K = K;
    m->d = d;
    for (size_t k = 0; k < K; k++) m->w[k] = 1.0 / (double)K;
    m->sigma = 1.0;
    spl_status(status, GSL_SUCCESS);
    return m;
}

void gmmk_free(gmmk *m)
{
    if (!m) return;
    free(m->w);
    free(m->mu);
    free(m);
}

int gmmk_set_weights(gmmk *m, const double *w)
{
    if (!m || !w) return GSL_EINVAL;
    double s = 0.0;
    for (size_t k = 0; k < m->K; k++) {
        if (!(w[k] > 0.0) || !isfinite(w[k])) return GSL_EDOM;
        s += w[k];
    }
    if (!isfinite(s)) return GSL_EDOM;
    for (size_t k = 0; k < m->K; k++) m->w[k] = w[k] / s;
    return GSL_SUCCESS;
}

int gmmk_set_means_circle(gmmk *m, double R)
{
    if (!m) return GSL_EINVAL;
    if (m->d < 2) return GSL_EINVAL;
    if (!isfinite(R)) return GSL_EDOM;
    for (size_t k = 0; k < m->K; k++) {
        double *mu = m->mu + k * m->d, th = 2.0 * M_PI * (double)k / (double)m->K;
        memset(mu, 0, m->d * sizeof *mu);
        mu[0] = R * cos(th);
        mu[1] = R * sin(th);
    }
    return GSL_SUCCESS;
}

int gmmk_set_means_random(gmmk *m, gsl_rng *r, double scale)
{
    if (!m || !r) return GSL_EINVAL;
    if (!(scale >= 0.0) || !isfinite(scale)) return GSL_EDOM;
    for (size_t i = 0; i < m->K * m->d; i++) m->mu[i] = gsl_ran_gaussian_ziggurat(r, scale);
    return GSL_SUCCESS;
}

static int sigma_ok(const gmmk *m) { return m->sigma > 0.0 && isfinite(m->sigma); }

int gmmk_sample(const gmmk *m, gsl_rng *r, size_t n, double *x, int *label)
{
    if (!m || !r || (n > 0 && !x)) return GSL_EINVAL;
    if (!sigma_ok(m)) return GSL_EDOM;
    if (n == 0) return GSL_SUCCESS;
    gsl_ran_discrete_t *tab = gsl_ran_discrete_preproc(m->K, m->w);
    if (!tab) return GSL_ENOMEM;
    const size_t d = m->d;
    for (size_t i = 0; i < n; i++) {
        size_t k = gsl_ran_discrete(r, tab);
        const double *mu = m->mu + k * d;
        double *xi = x + i * d;
        for (size_t j = 0; j < d; j++) xi[j] = mu[j] + gsl_ran_gaussian_ziggurat(r, m->sigma);
        if (label) label[i] = (int)k;
    }
    gsl_ran_discrete_free(tab);
    return GSL_SUCCESS;
}

/* −|x − μ_k|²/(2σ²), the x-dependent part of log N(x; μ_k, σ² I). */
static double lkern(const gmmk *m, size_t k, const double *x)
{
    const double *mu = m->mu + k * m->d;
    double r = 0.0;
    for (size_t j = 0; j < m->d; j++) {
        double e = x[j] - mu[j];
        r += e * e;
    }
    return -0.5 * r / (m->sigma * m->sigma);
}

/* log of the normalising constant (2πσ²)^{-d/2} */
static double lnorm(const gmmk *m)
{
    return -(double)m->d * (LOG_SQRT_2PI + log(m->sigma));
}

/* log Σ_k e^{a_k} over a (K), −∞ entries allowed. */
static double lse(const double *a, size_t K)
{
    double mx = -INFINITY;
    for (size_t k = 0; k < K; k++) if (a[k] > mx) mx = a[k];
    if (mx == -INFINITY) return -INFINITY;
    double s = 0.0;
    for (size_t k = 0; k < K; k++) s += exp(a[k] - mx);
    return mx + log(s);
}

/* a_k = log w_k + lkern_k into a (K); returns log Σ_k e^{a_k}. */
static double log_terms(const gmmk *m, const double *x, double *a)
{
    for (size_t k = 0; k < m->K; k++) a[k] = log(m->w[k]) + lkern(m, k, x);
    return lse(a, m->K);
}

double gmmk_logpdf(const gmmk *m, const double *x)
{
    if (!m || !x || !sigma_ok(m)) return GSL_NAN;
    double *a = malloc(m->K * sizeof *a);
    if (!a) return GSL_NAN;
    double l = log_terms(m, x, a) + lnorm(m);
    free(a);
    return l;
}

int gmmk_posterior(const gmmk *m, const double *x, double *resp)
{
    if (!m || !x || !resp) return GSL_EINVAL;
    if (!sigma_ok(m)) return GSL_EDOM;
    double L = log_terms(m, x, resp);
    for (size_t k = 0; k < m->K; k++) resp[k] = exp(resp[k] - L);
    return GSL_SUCCESS;
}

int gmmk_em_weights(const gmmk *m, const double *x, size_t n, double tol,
                    size_t maxiter, double *w_hat, gmm_em_result *res)
{
    if (!m || !x || !w_hat) return GSL_EINVAL;
    if (n == 0 || !sigma_ok(m) || !(tol > 0.0)) return GSL_EDOM;
    const size_t K = m->K;
    /* The kernels are fixed while only the weights move: compute them once. */
    double *kern = malloc(n * K * sizeof *kern);
    double *lw = malloc(K * sizeof *lw), *wn = malloc(K * sizeof *wn), *a = malloc(K * sizeof *a);
    double *comp = malloc(K * sizeof *comp);
    if (!kern || !lw || !wn || !a || !comp) {
        free(kern); free(lw); free(wn); free(a); free(comp);
        return GSL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < K; k++) kern[i * K + k] = lkern(m, k, x + i * m->d);
    memcpy(w_hat, m->w, K * sizeof *w_hat);
    size_t it = 0;
    int converged = 0;
    while (it < maxiter) {
        for (size_t k = 0; k < K; k++) { lw[k] = log(w_hat[k]); wn[k] = 0.0; comp[k] = 0.0; }
        for (size_t i = 0; i < n; i++) {
            for (size_t k = 0; k < K; k++) a[k] = lw[k] + kern[i * K + k];
            double L = lse(a, K);
            for (size_t k = 0; k < K; k++) {   /* compensated (Neumaier) sum */
                double v = exp(a[k] - L), t = wn[k] + v;
                comp[k] += fabs(wn[k]) >= fabs(v) ? (wn[k] - t) + v : (v - t) + wn[k];
                wn[k] = t;
            }
        }
        double change = 0.0;
        for (size_t k = 0; k < K; k++) {
            double v = (wn[k] + comp[k]) / (double)n;
            if (fabs(v - w_hat[k]) > change) change = fabs(v - w_hat[k]);
            w_hat[k] = v;
        }
        it++;
        if (change < tol) { converged = 1; break; }
    }
    if (res) {
        for (size_t k = 0; k < K; k++) lw[k] = log(w_hat[k]);
        double ll = 0.0;
        for (size_t i = 0; i < n; i++) {
            for (size_t k = 0; k < K; k++) a[k] = lw[k] + kern[i * K + k];
            ll += lse(a, K);
        }
        res->converged = converged;
        res->iterations = it;
        res->tol = tol;
        res->loglik = ll / (double)n + lnorm(m);
    }
    free(kern); free(lw); free(wn); free(a); free(comp);
    return converged ? GSL_SUCCESS : GSL_EMAXITER;
}
