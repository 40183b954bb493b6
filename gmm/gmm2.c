/* gmm/gmm2.c — the two-component mixture of THEORY.md §1: parameters,
 * sampling (full and projected), log-density, posteriors (§2 at a = 1),
 * EM for the weight with the means frozen, and the Fisher information /
 * Cramér–Rao bound for π (§6). */
#include "gmm/gmm.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cblas.h>  /* GSL's CBLAS declarations; the symbols come from OpenBLAS */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>
#include "common/spl.h"

/* log √(2π) */
static const double LOG_SQRT_2PI = 0.91893853320467274178;

/* log(e^a + e^b) without overflow or underflow; −∞ terms are fine. */
static double lse2(double a, double b)
{
    double m = a > b ? a : b;
    if (m == -INFINITY) return -INFINITY;
    return m + log1p(exp(-fabs(a - b)));
}

gmm2 *gmm2_alloc(size_t d, int *status)
{
    if (d < 1) return spl_fail(status, GSL_EDOM);
    gmm2 *g = malloc(sizeof *g);
    if (!g) return spl_fail(status, GSL_ENOMEM);
    g->u = calloc(d, sizeof *g->u);
    if (!g->u) { free(g); return spl_fail(status, GSL_ENOMEM); }
    g->d = d;
    g->u[0] = 1.0;
    g->pi = 0.5;
    g->sep = 2.0;
    g->shift = 0.0;
    spl_status(status, GSL_SUCCESS);
    return g;
}

void gmm2_free(gmm2 *g)
{
    if (!g) return;
    free(g->u);
    free(g);
}

int gmm2_set(gmm2 *g, double pi, double sep, double shift)
{
    if (!g) return GSL_EINVAL;
    if (!(pi > 0.0 && pi < 1.0)) return GSL_EDOM;           /* also NaN */
    if (!(sep >= 0.0) || !isfinite(sep) || !isfinite(shift)) return GSL_EDOM;
    g->pi = pi;
    g->sep = sep;
    g->shift = shift;
    return GSL_SUCCESS;
}

int gmm2_set_direction_random(gmm2 *g, gsl_rng *r)
{
    if (!g || !r) return GSL_EINVAL;
    double nrm;
    do {  /* a zero vector has probability 0; redraw if it ever happens */
        for (size_t j = 0; j < g->d; j++) g->u[j] = gsl_ran_gaussian_ziggurat(r, 1.0);
        nrm = cblas_dnrm2((int)g->d, g->u, 1);
    } while (!(nrm > 0.0));
    cblas_dscal((int)g->d, 1.0 / nrm, g->u, 1);
    return GSL_SUCCESS;
}

double gmm2_m1(const gmm2 *g) { return g ? g->shift + 0.5 * g->sep : GSL_NAN; }
double gmm2_m2(const gmm2 *g) { return g ? g->shift - 0.5 * g->sep : GSL_NAN; }

int gmm2_mean(const gmm2 *g, int k, double *mu)
{
    if (!g || !mu) return GSL_EINVAL;
    double m;
    if (k == 1) m = gmm2_m1(g);
    else if (k == 2) m = gmm2_m2(g);
    else return GSL_EDOM;
    for (size_t j = 0; j < g->d; j++) mu[j] = m * g->u[j];
    return GSL_SUCCESS;
}

int gmm2_sample(const gmm2 *g, gsl_rng *r, size_t n, double *x, int *label)
{
    if (!g || !r || (n > 0 && !x)) return GSL_EINVAL;
    const size_t d = g->d;
    const double m1 = gmm2_m1(g), m2 = gmm2_m2(g);
    for (size_t i = 0; i < n; i++) {
        int k = gsl_ran_bernoulli(r, g->pi) ? 1 : 2;
        double m = k == 1 ? m1 : m2;
        double *xi = x + i * d;
        for (size_t j = 0; j < d; j++) xi[j] = m * g->u[j] + gsl_ran_gaussian_ziggurat(r, 1.0);
        if (label) label[i] = k;
    }
    return GSL_SUCCESS;
}

int gmm2_sample_proj(const gmm2 *g, gsl_rng *r, size_t n, double *xpar, int *label)
{
    if (!g || !r || (n > 0 && !xpar)) return GSL_EINVAL;
    /* x·u = m_k + z·u and z·u ~ N(0, 1) for |u| = 1: exact in law. */
    const double m1 = gmm2_m1(g), m2 = gmm2_m2(g);
    for (size_t i = 0; i < n; i++) {
        int k = gsl_ran_bernoulli(r, g->pi) ? 1 : 2;
        xpar[i] = (k == 1 ? m1 : m2) + gsl_ran_gaussian_ziggurat(r, 1.0);
        if (label) label[i] = k;
    }
    return GSL_SUCCESS;
}

double gmm2_logpdf(const gmm2 *g, const double *x)
{
    if (!g || !x) return GSL_NAN;
    /* Squared distances summed directly (no |x|² − 2x·μ + |μ|² cancellation). */
    const double m1 = gmm2_m1(g), m2 = gmm2_m2(g);
    double r1 = 0.0, r2 = 0.0;
    for (size_t j = 0; j < g->d; j++) {
        double e1 = x[j] - m1 * g->u[j], e2 = x[j] - m2 * g->u[j];
        r1 += e1 * e1;
        r2 += e2 * e2;
    }
    double l1 = log(g->pi) - 0.5 * r1, l2 = log1p(-g->pi) - 0.5 * r2;
    return lse2(l1, l2) - (double)g->d * LOG_SQRT_2PI;
}

double gmm2_posterior_proj(const gmm2 *g, double xpar)
{
    /* (m1² − m2²)/2 = (m1 − m2)(m1 + m2)/2 = Δ·c exactly in the parameters;
     * logit π + Δ·xpar − Δc = logit π + Δ(xpar − c). */
    if (!g) return GSL_NAN;
    return spl_sigmoid(spl_logit(g->pi) + g->sep * (xpar - g->shift));
}

double gmm2_posterior(const gmm2 *g, const double *x)
{
    /* (μ1 − μ2)·x = Δ (u·x): the posterior depends on x only through x·u. */
    if (!g || !x) return GSL_NAN;
    return gmm2_posterior_proj(g, cblas_ddot((int)g->d, g->u, 1, x, 1));
}

/* ---- EM for π with the means frozen ------------------------------------ */

int gmm2_em_weight(const gmm2 *g, const double *xpar, size_t n, double pi0,
                   double tol, size_t maxiter, double *pi_hat, gmm_em_result *res)
{
    if (!g || !xpar || !pi_hat) return GSL_EINVAL;
    if (n == 0 || !(pi0 > 0.0 && pi0 < 1.0) || !(tol > 0.0)) return GSL_EDOM;
    const double sep = g->sep, c = g->shift;
    const double m1 = gmm2_m1(g), m2 = gmm2_m2(g);
    double pi = pi0;
    size_t it = 0;
    int converged = 0;
    while (it < maxiter) {
        /* E and M steps in one pass: π ← mean_i ρ(xpar_i; π).  Compensated
         * (Neumaier) sum, so that rounding (~n·ε for a plain sum) does not
         * stand in the way of a small tol for large n. */
        double th = spl_logit(pi), s = 0.0, comp = 0.0;
        for (size_t i = 0; i < n; i++) {
            double v = spl_sigmoid(th + sep * (xpar[i] - c)), t = s + v;
            comp += fabs(s) >= fabs(v) ? (s - t) + v : (v - t) + s;
            s = t;
        }
        double pn = (s + comp) / (double)n;
        it++;
        double change = fabs(pn - pi);
        pi = pn;
        if (change < tol) { converged = 1; break; }
    }
    *pi_hat = pi;
    if (res) {
        /* mean log-likelihood of the projected (1-d) data at the final π */
        double lp = log(pi), lq = log1p(-pi), ll = 0.0;
        for (size_t i = 0; i < n; i++) {
            double e1 = xpar[i] - m1, e2 = xpar[i] - m2;
            ll += lse2(lp - 0.5 * e1 * e1, lq - 0.5 * e2 * e2);
        }
        res->converged = converged;
        res->iterations = it;
        res->tol = tol;
        res->loglik = ll / (double)n - LOG_SQRT_2PI;
    }
    return converged ? GSL_SUCCESS : GSL_EMAXITER;
}

/* ---- Fisher information for π (THEORY.md §6, a = 1) --------------------
 * With c = 0 (it drops out), h = Δ/2, φ1 = φ(x − h), φ2 = φ(x + h),
 * p = πφ1 + (1−π)φ2 and ρ* − π = π(1−π)(φ1 − φ2)/p, so
 *   I(π) = E[(ρ* − π)²]/(π(1−π))² = ∫ (φ1 − φ2)² / p dx.
 * Without cancellation, factoring out the larger Gaussian, for x ≥ 0:
 *   (φ1 − φ2)²/p = φ1 · expm1(−Δx)² / (π + (1−π) e^{−Δx}),
 * and x → −x swaps the components, π ↔ 1−π.  In the coordinate z = x − h
 * centred on the bump (so that a large Δ costs no resolution near it):
 *   I(π) = J(π) + J(1−π),
 *   J(π) = ∫_{−h}^{∞} φ(z) expm1(−Δ(z+h))² / (π + (1−π) e^{−Δ(z+h)}) dz,
 * the integrand evaluated in log space so that nothing underflows before it
 * is negligible. */
typedef struct { double pi, sep; } fisher_par;

static double fisher_half(double z, void *vp)
{
    const fisher_par *p = vp;
    const double D = p->sep, pi = p->pi, x = z + 0.5 * D;
    double em = expm1(-D * x);
    if (em == 0.0) return 0.0;
    double den = pi + (1.0 - pi) * exp(-D * x);
    return exp(-0.5 * z * z - LOG_SQRT_2PI + 2.0 * log(fabs(em)) - log(den));
}

/* The rounding of fisher_half at z, as a bound on its absolute error:
 * f(z)·η(z)·DBL_EPSILON.  f = exp(A), A = −z²/2 − log√(2π) + 2 log|em| − log den:
 * the exponential turns A's absolute error into a relative one.  A's terms
 * round by ulps of their magnitudes; em = expm1(−Δx) and e^{−Δx} see the
 * rounding of x = z + h (ulps of |z| + h, times Δ), amplified in em by
 * e^{−Δx}/|em| (≈ 1/(Δx): x's relative error, near the bump's edge x → 0,
 * where f ∝ x² vanishes). */
static double fisher_round(double z, void *vp)
{
    const fisher_par *p = vp;
    const double D = p->sep, x = z + 0.5 * D;
    double f = fisher_half(z, vp);
    if (f == 0.0) return 0.0;
    double ey = exp(-D * x), em = expm1(-D * x), den = p->pi + (1.0 - p->pi) * ey;
    double eta = 8 + z * z + 2 * fabs(log(fabs(em))) + fabs(log(den))
                 + (2 * ey / fabs(em) + 1) * D * (fabs(x) + fabs(z) + 0.5 * D);
    return f * eta;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* J(π) by qagp over z ∈ [−h, 40]: beyond 40 standard deviations the integrand
 * is below e^{-800}/π ≤ e^{-90}: zero in double.  Breakpoints at the bump
 * (z = 0), 40 below it when that is above −h, and where πφ1 = (1−π)φ2
 * (x = −logit π / Δ), the denominator's transition. */
static int fisher_J(double pi, double sep, gsl_integration_workspace *ws, size_t limit,
                    double *val, double *err)
{
    /* *err: qagp's estimate (truncation and the rounding of its sums) plus the
     * integrand's own rounding, ∫ f·η·eps by a second, coarse qagp. */
    const double h = 0.5 * sep, top = 40.0;
    double cand[5] = { -h, -40.0, 0.0, -spl_logit(pi) / sep - h, top };
    qsort(cand, 5, sizeof cand[0], cmp_double);
    double pts[5];
    size_t np = 0;
    for (size_t k = 0; k < 5; k++) {
        if (!(cand[k] >= -h && cand[k] <= top)) continue;       /* also NaN */
        if (np > 0 && !(cand[k] > pts[np - 1])) continue;       /* strictly increasing */
        pts[np++] = cand[k];
    }
    fisher_par par = { pi, sep };
    gsl_function F = { fisher_half, &par };
    int st = gsl_integration_qagp(&F, pts, np, 0.0, 1e-12, limit, ws, val, err);
    if (st) return st;
    double rnd, rerr;
    gsl_function R = { fisher_round, &par };
    st = gsl_integration_qagp(&R, pts, np, 0.0, 1e-3, limit, ws, &rnd, &rerr);
    *err += DBL_EPSILON * (rnd + rerr);
    return st;
}

int gmm2_fisher_pi(double pi, double sep, double *info, double *abserr)
{
    if (!info) return GSL_EINVAL;
    if (!(pi > 0.0 && pi < 1.0) || !(sep >= 0.0) || !isfinite(sep)) return GSL_EDOM;
    if (!(0.5 * sep > 0.0)) {  /* Δ = 0 (or Δ/2 underflows): φ1 ≡ φ2, no information */
        *info = 0.0;
        if (abserr) *abserr = 0.0;
        return GSL_SUCCESS;
    }
    const size_t limit = 1000;
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(limit);
    if (!ws) return GSL_ENOMEM;
    double j1 = 0.0, e1 = 0.0, j2 = 0.0, e2 = 0.0;
    int s1 = fisher_J(pi, sep, ws, limit, &j1, &e1);
    int s2 = fisher_J(1.0 - pi, sep, ws, limit, &j2, &e2);
    gsl_integration_workspace_free(ws);
    *info = j1 + j2;
    if (abserr) *abserr = e1 + e2 + DBL_EPSILON * *info;
    return s1 ? s1 : s2;
}

int gmm2_crlb_sd(double pi, double sep, size_t n, double *sd)
{
    if (!sd) return GSL_EINVAL;
    if (n == 0) return GSL_EDOM;
    double info;
    int status = gmm2_fisher_pi(pi, sep, &info, NULL);
    if (status) return status;
    *sd = info > 0.0 ? 1.0 / sqrt((double)n * info) : GSL_POSINF;
    return GSL_SUCCESS;
}
