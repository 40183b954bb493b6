/* tests/cu_gmm.c — gmm/: mixtures against closed forms, direct formulas,
 * independent quadrature and Monte Carlo with its standard error.
 *
 * References used here (THEORY.md §1, §2, §6):
 *  - along u, x0·u ~ π N(m1,1) + (1−π) N(m2,1): mean π m1 + (1−π) m2,
 *    variance 1 + π(1−π)Δ²; orthogonal to u: N(0, 1) per direction;
 *  - I(π) = E[(ρ* − π)²]/(π(1−π))² = ∫ (φ1 − φ2)²/p; as Δ → 0,
 *    φ1 − φ2 ≈ Δ x φ(x) so I ≈ Δ² ∫ x² φ = Δ² (moment matching: the mean
 *    moves by Δ per unit of π, variance 1); as Δ → ∞, I → 1/π + 1/(1−π);
 *  - the MLE of π (EM) has sd ≈ 1/√(n I(π)).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>
#include "common/spl.h"
#include "gmm/gmm.h"
#include "tests/cu_util.h"

/* ---- helpers ------------------------------------------------------------ */

/* Mean, its SE, unbiased variance and the SE of the variance (fourth
 * moment) of x[0], x[s], …, x[(n−1)s]. */
typedef struct { double mean, se_mean, var, se_var; } moms;

static moms moments(const double *x, size_t n, size_t s)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) m += x[i * s];
    m /= (double)n;
    double m2 = 0.0, m4 = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = x[i * s] - m, e2 = e * e;
        m2 += e2;
        m4 += e2 * e2;
    }
    m2 /= (double)n;
    m4 /= (double)n;
    moms r = { m, sqrt(m2 / (double)n), m2 * (double)n / (double)(n - 1),
               sqrt((m4 - m2 * m2) / (double)n) };
    return r;
}

static double dot(const double *a, const double *b, size_t d)
{
    double s = 0.0;
    for (size_t j = 0; j < d; j++) s += a[j] * b[j];
    return s;
}

/* A unit vector orthogonal to u (Gram–Schmidt on the axis where |u_j| is least). */
static void orthogonal_unit(const double *u, size_t d, double *v)
{
    size_t jm = 0;
    for (size_t j = 1; j < d; j++) if (fabs(u[j]) < fabs(u[jm])) jm = j;
    for (size_t j = 0; j < d; j++) v[j] = -u[jm] * u[j];
    v[jm] += 1.0;
    double nv = sqrt(dot(v, v, d));
    for (size_t j = 0; j < d; j++) v[j] /= nv;
}

static double lse2(double a, double b)
{
    double m = fmax(a, b);
    return m + log(exp(a - m) + exp(b - m));
}

static gmm2 *make_gmm2(size_t d, double pi, double sep, double shift, gsl_rng *r)
{
    gmm2 *g = gmm2_alloc(d, NULL);
    if (!g) return NULL;
    if (gmm2_set(g, pi, sep, shift) != GSL_SUCCESS) { gmm2_free(g); return NULL; }
    if (r && d > 1) gmm2_set_direction_random(g, r);
    return g;
}

/* ---- parameters and bad inputs ----------------------------------------- */

static void test_params(void)
{
    CU_ASSERT_PTR_NULL(gmm2_alloc(0, NULL));
    gmm2 *g = gmm2_alloc(4, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT(g->d == 4 && g->pi == 0.5 && g->sep == 2.0 && g->shift == 0.0);
    CU_ASSERT(g->u[0] == 1.0 && g->u[1] == 0.0 && g->u[3] == 0.0);
    CU_ASSERT_EQUAL(gmm2_set(g, 0.2, 3.0, -1.0), GSL_SUCCESS);
    ASSERT_REL(gmm2_m1(g), 0.5, TOL0);
    ASSERT_REL(gmm2_m2(g), -2.5, TOL0);
    double mu[4];
    CU_ASSERT_EQUAL(gmm2_mean(g, 2, mu), GSL_SUCCESS);
    CU_ASSERT(mu[0] == -2.5 && mu[1] == 0.0);
    CU_ASSERT_EQUAL(gmm2_mean(g, 3, mu), GSL_EDOM);
    CU_ASSERT_EQUAL(gmm2_mean(g, 0, mu), GSL_EDOM);

    /* Random direction: unit norm, and E[u_j²] = 1/d by symmetry (SE from
     * Var u_j² = 2(d−1)/(d²(d+2)) for u uniform on the sphere). */
    gsl_rng *r = spl_rng_alloc(cu_seed(20260101), 1, 0);
    const int R = 4000;
    double s = 0.0;
    for (int i = 0; i < R; i++) {
        CU_ASSERT_EQUAL(gmm2_set_direction_random(g, r), GSL_SUCCESS);
        ASSERT_REL(dot(g->u, g->u, 4), 1.0, TOL1);
        s += g->u[2] * g->u[2];
    }
    ASSERT_WITHIN_SE(s / R, 0.25, sqrt(2.0 * 3 / (16.0 * 6) / R), 4);
    gsl_rng_free(r);
    gmm2_free(g);
    gmm2_free(NULL);
}

static void test_bad_inputs(void)
{
    gmm2 *g = gmm2_alloc(2, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_EQUAL(gmm2_set(g, 0.0, 1.0, 0.0), GSL_EDOM);
    CU_ASSERT_EQUAL(gmm2_set(g, 1.0, 1.0, 0.0), GSL_EDOM);
    CU_ASSERT_EQUAL(gmm2_set(g, -0.1, 1.0, 0.0), GSL_EDOM);
    CU_ASSERT_EQUAL(gmm2_set(g, NAN, 1.0, 0.0), GSL_EDOM);
    CU_ASSERT_EQUAL(gmm2_set(g, 0.5, -1.0, 0.0), GSL_EDOM);
    CU_ASSERT_EQUAL(gmm2_set(g, 0.5, NAN, 0.0), GSL_EDOM);
    CU_ASSERT_EQUAL(gmm2_set(g, 0.5, INFINITY, 0.0), GSL_EDOM);
    CU_ASSERT_EQUAL(gmm2_set(g, 0.5, 1.0, NAN), GSL_EDOM);
    CU_ASSERT_EQUAL(gmm2_set(g, 0.5, 1.0, -INFINITY), GSL_EDOM);
    /* a rejected set leaves the defaults */
    CU_ASSERT(g->pi == 0.5 && g->sep == 2.0 && g->shift == 0.0);
    CU_ASSERT_EQUAL(gmm2_set(g, 0.5, 0.0, 0.0), GSL_SUCCESS);   /* Δ = 0 is allowed */

    double I, e, sd, ph, x[1] = { 0.0 };
    CU_ASSERT_EQUAL(gmm2_fisher_pi(0.0, 1.0, &I, &e), GSL_EDOM);
    CU_ASSERT_EQUAL(gmm2_fisher_pi(1.0, 1.0, &I, &e), GSL_EDOM);
    CU_ASSERT_EQUAL(gmm2_fisher_pi(NAN, 1.0, &I, &e), GSL_EDOM);
    CU_ASSERT_EQUAL(gmm2_fisher_pi(0.5, -1.0, &I, &e), GSL_EDOM);
    CU_ASSERT_EQUAL(gmm2_fisher_pi(0.5, NAN, &I, &e), GSL_EDOM);
    CU_ASSERT_EQUAL(gmm2_crlb_sd(1.5, 1.0, 100, &sd), GSL_EDOM);
    CU_ASSERT_EQUAL(gmm2_crlb_sd(0.5, 1.0, 0, &sd), GSL_EDOM);
    CU_ASSERT_EQUAL(gmm2_em_weight(g, x, 1, 0.0, 1e-8, 10, &ph, NULL), GSL_EDOM);
    CU_ASSERT_EQUAL(gmm2_em_weight(g, x, 1, NAN, 1e-8, 10, &ph, NULL), GSL_EDOM);
    CU_ASSERT_EQUAL(gmm2_em_weight(g, x, 1, 0.5, -1.0, 10, &ph, NULL), GSL_EDOM);
    CU_ASSERT_EQUAL(gmm2_em_weight(g, x, 0, 0.5, 1e-8, 10, &ph, NULL), GSL_EDOM);
    gmm2_free(g);

    CU_ASSERT_PTR_NULL(gmmk_alloc(0, 2, NULL));
    CU_ASSERT_PTR_NULL(gmmk_alloc(2, 0, NULL));
    gmmk *m = gmmk_alloc(3, 1, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    double w0[3] = { 1, 0, 1 }, wn[3] = { 1, NAN, 1 }, wneg[3] = { 1, -1, 1 }, wi[3] = { 1, INFINITY, 1 };
    CU_ASSERT_EQUAL(gmmk_set_weights(m, w0), GSL_EDOM);
    CU_ASSERT_EQUAL(gmmk_set_weights(m, wn), GSL_EDOM);
    CU_ASSERT_EQUAL(gmmk_set_weights(m, wneg), GSL_EDOM);
    CU_ASSERT_EQUAL(gmmk_set_weights(m, wi), GSL_EDOM);
    ASSERT_REL(m->w[1], 1.0 / 3.0, TOL0);                        /* unchanged */
    CU_ASSERT_EQUAL(gmmk_set_means_circle(m, 1.0), GSL_EINVAL);  /* d = 1 < 2 */
    gmmk_free(m);
    gmmk_free(NULL);
    CU_ASSERT_PTR_NULL(gmm_gauss_alloc(0, NULL));
    gmm_gauss_free(NULL);
}

/* ---- gmm2 sampling ------------------------------------------------------ */

static void test_gmm2_moments(void)
{
    const size_t d = 5, n = 200000;
    const double pi = 0.3, sep = 2.5, c = 0.7;
    gsl_rng *r = spl_rng_alloc(cu_seed(20260101), 2, 0);
    gmm2 *g = make_gmm2(d, pi, sep, c, r);
    double *x = malloc(n * d * sizeof *x), *t = malloc(n * sizeof *t), *o = malloc(n * sizeof *o);
    int *lab = malloc(n * sizeof *lab);
    CU_ASSERT_FATAL(g && x && t && o && lab);
    CU_ASSERT_EQUAL(gmm2_sample(g, r, n, x, lab), GSL_SUCCESS);
    double v[5];
    orthogonal_unit(g->u, d, v);
    size_t n1 = 0;
    double s1 = 0.0, s2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        t[i] = dot(g->u, x + i * d, d);
        o[i] = dot(v, x + i * d, d);
        CU_ASSERT(lab[i] == 1 || lab[i] == 2);
        if (lab[i] == 1) { n1++; s1 += t[i]; } else s2 += t[i];
    }
    /* component frequency: binomial */
    ASSERT_WITHIN_SE((double)n1 / n, pi, sqrt(pi * (1 - pi) / n), 4);
    /* per-label means along u: m1, m2 with SE 1/√n_k */
    ASSERT_WITHIN_SE(s1 / n1, gmm2_m1(g), 1.0 / sqrt((double)n1), 4);
    ASSERT_WITHIN_SE(s2 / (n - n1), gmm2_m2(g), 1.0 / sqrt((double)(n - n1)), 4);
    /* along u: mean π m1 + (1−π) m2, variance 1 + π(1−π)Δ² */
    moms mt = moments(t, n, 1), mo = moments(o, n, 1);
    ASSERT_WITHIN_SE(mt.mean, pi * gmm2_m1(g) + (1 - pi) * gmm2_m2(g), mt.se_mean, 4);
    ASSERT_WITHIN_SE(mt.var, 1 + pi * (1 - pi) * sep * sep, mt.se_var, 4);
    /* orthogonal: N(0, 1) */
    ASSERT_WITHIN_SE(mo.mean, 0.0, mo.se_mean, 4);
    ASSERT_WITHIN_SE(mo.var, 1.0, mo.se_var, 4);
    /* each coordinate: mean (π m1 + (1−π) m2) u_j */
    for (size_t j = 0; j < d; j++) {
        moms mj = moments(x + j, n, d);
        ASSERT_WITHIN_SE(mj.mean, (pi * gmm2_m1(g) + (1 - pi) * gmm2_m2(g)) * g->u[j], mj.se_mean, 4);
        ASSERT_WITHIN_SE(mj.var, 1 + pi * (1 - pi) * sep * sep * g->u[j] * g->u[j], mj.se_var, 4);
    }
    free(x); free(t); free(o); free(lab);
    gmm2_free(g);
    gsl_rng_free(r);
}

static void test_gmm2_proj_law(void)
{
    /* sample_proj and the projection of sample: same law (two-sample
     * comparison of mean, variance and P(x·u > c)), and both the closed form. */
    const size_t d = 7, n = 100000;
    const double pi = 0.8, sep = 3.0, c = -0.4;
    gsl_rng *r = spl_rng_alloc(cu_seed(20260101), 3, 0);
    gmm2 *g = make_gmm2(d, pi, sep, c, r);
    double *x = malloc(n * d * sizeof *x), *t = malloc(n * sizeof *t), *tp = malloc(n * sizeof *tp);
    int *lab = malloc(n * sizeof *lab);
    CU_ASSERT_FATAL(g && x && t && tp && lab);
    CU_ASSERT_EQUAL(gmm2_sample(g, r, n, x, NULL), GSL_SUCCESS);
    CU_ASSERT_EQUAL(gmm2_sample_proj(g, r, n, tp, lab), GSL_SUCCESS);
    double above = 0.0, above_p = 0.0, s1 = 0.0;
    size_t n1 = 0;
    for (size_t i = 0; i < n; i++) {
        t[i] = dot(g->u, x + i * d, d);
        above += t[i] > c;
        above_p += tp[i] > c;
        if (lab[i] == 1) { n1++; s1 += tp[i]; }
    }
    moms a = moments(t, n, 1), b = moments(tp, n, 1);
    ASSERT_WITHIN_SE(b.mean, a.mean, hypot(a.se_mean, b.se_mean), 4);
    ASSERT_WITHIN_SE(b.var, a.var, hypot(a.se_var, b.se_var), 4);
    double q = above / n, qp = above_p / n;
    ASSERT_WITHIN_SE(qp, q, sqrt(q * (1 - q) / n + qp * (1 - qp) / n), 4);
    ASSERT_WITHIN_SE(b.mean, pi * gmm2_m1(g) + (1 - pi) * gmm2_m2(g), b.se_mean, 4);
    ASSERT_WITHIN_SE(b.var, 1 + pi * (1 - pi) * sep * sep, b.se_var, 4);
    /* P(x·u > c) = π Φ(Δ/2) + (1−π) Φ(−Δ/2) */
    double pc = pi * 0.5 * erfc(-sep / 2 / M_SQRT2) + (1 - pi) * 0.5 * erfc(sep / 2 / M_SQRT2);
    ASSERT_WITHIN_SE(qp, pc, sqrt(pc * (1 - pc) / n), 4);
    ASSERT_WITHIN_SE((double)n1 / n, pi, sqrt(pi * (1 - pi) / n), 4);
    ASSERT_WITHIN_SE(s1 / n1, gmm2_m1(g), 1.0 / sqrt((double)n1), 4);
    /* reproducible: the same stream gives the same points */
    double y1[8], y2[8];
    gsl_rng *r1 = spl_rng_alloc(99, 0, 0), *r2 = spl_rng_alloc(99, 0, 0);
    gmm2_sample_proj(g, r1, 8, y1, NULL);
    gmm2_sample_proj(g, r2, 8, y2, NULL);
    CU_ASSERT(memcmp(y1, y2, sizeof y1) == 0);
    gsl_rng_free(r1); gsl_rng_free(r2);
    free(x); free(t); free(tp); free(lab);
    gmm2_free(g);
    gsl_rng_free(r);
}

/* ---- gmm2 log-density and posterior ------------------------------------ */

static double logpdf_1d(double x, void *p) { return exp(gmm2_logpdf(p, &x)); }

static void test_gmm2_logpdf(void)
{
    const size_t d = 3;
    const double pi = 0.35, sep = 1.7, c = 0.4;
    gsl_rng *r = spl_rng_alloc(cu_seed(20260101), 4, 0);
    gmm2 *g = make_gmm2(d, pi, sep, c, r);
    gmm_gauss *G1 = gmm_gauss_alloc(d, NULL), *G2 = gmm_gauss_alloc(d, NULL);
    CU_ASSERT_FATAL(g && G1 && G2);
    double mu1[3], mu2[3], I3[9] = { 1, 0, 0, 0, 1, 0, 0, 0, 1 };
    gmm2_mean(g, 1, mu1);
    gmm2_mean(g, 2, mu2);
    CU_ASSERT_EQUAL(gmm_gauss_set(G1, mu1, I3), GSL_SUCCESS);
    CU_ASSERT_EQUAL(gmm_gauss_set(G2, mu2, I3), GSL_SUCCESS);
    for (int k = 0; k < 20; k++) {
        double x[3];
        for (size_t j = 0; j < d; j++) x[j] = 2.0 * gsl_ran_gaussian_ziggurat(r, 1.0);
        double r1 = 0, r2 = 0;
        for (size_t j = 0; j < d; j++) {
            r1 += (x[j] - mu1[j]) * (x[j] - mu1[j]);
            r2 += (x[j] - mu2[j]) * (x[j] - mu2[j]);
        }
        /* the direct formula (fine for small x) */
        double direct = log((pi * exp(-r1 / 2) + (1 - pi) * exp(-r2 / 2)) / pow(2 * M_PI, 1.5));
        ASSERT_REL(gmm2_logpdf(g, x), direct, TOL2);
        /* log-sum-exp of the two component log-densities (Cholesky path) */
        double byhand = lse2(log(pi) + gmm_gauss_logpdf(G1, x), log(1 - pi) + gmm_gauss_logpdf(G2, x));
        ASSERT_REL(gmm2_logpdf(g, x), byhand, TOL2);
    }
    /* far out: finite, and equal to the dominant component's term */
    double v[3], x[3];
    orthogonal_unit(g->u, d, v);
    for (int s = -1; s <= 1; s += 2) {
        for (size_t j = 0; j < d; j++) x[j] = s * 1e5 * g->u[j] + 30.0 * v[j];
        double lp = gmm2_logpdf(g, x);
        CU_ASSERT(isfinite(lp));
        double m = s > 0 ? gmm2_m1(g) : gmm2_m2(g), w = s > 0 ? pi : 1 - pi;
        double ref = log(w) - 1.5 * log(2 * M_PI) - 0.5 * ((s * 1e5 - m) * (s * 1e5 - m) + 900.0);
        ASSERT_REL(lp, ref, 1e-12);
    }
    gmm_gauss_free(G1);
    gmm_gauss_free(G2);
    gmm2_free(g);

    /* d = 1: the density integrates to 1 (GSL qagi over R) */
    gmm2 *g1 = make_gmm2(1, 0.15, 3.3, -1.2, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g1);
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(1000);
    gsl_function F = { logpdf_1d, g1 };
    double res, err;
    CU_ASSERT_EQUAL(gsl_integration_qagi(&F, 0, 1e-11, 1000, ws, &res, &err), GSL_SUCCESS);
    ASSERT_REL(res, 1.0, 1e-10);
    gsl_integration_workspace_free(ws);
    gmm2_free(g1);
    gsl_rng_free(r);
}

static void test_gmm2_posterior(void)
{
    const size_t d = 4;
    const double pi = 0.3, sep = 1.9, c = 0.6;
    gsl_rng *r = spl_rng_alloc(cu_seed(20260101), 5, 0);
    gmm2 *g = make_gmm2(d, pi, sep, c, r), *gs = gmm2_alloc(d, NULL);
    gmm_gauss *G1 = gmm_gauss_alloc(d, NULL), *G2 = gmm_gauss_alloc(d, NULL);
    CU_ASSERT_FATAL(g && gs && G1 && G2);
    /* label swap: (π, μ1, μ2) ↔ (1−π, μ2, μ1) is (π, Δ, c, u) ↔ (1−π, Δ, −c, −u) */
    CU_ASSERT_EQUAL(gmm2_set(gs, 1 - pi, sep, -c), GSL_SUCCESS);
    for (size_t j = 0; j < d; j++) gs->u[j] = -g->u[j];
    double mu1[4], mu2[4], mu1s[4], mu2s[4], I4[16] = { 0 };
    for (size_t j = 0; j < d; j++) I4[j * d + j] = 1.0;
    gmm2_mean(g, 1, mu1);  gmm2_mean(g, 2, mu2);
    gmm2_mean(gs, 1, mu1s); gmm2_mean(gs, 2, mu2s);
    for (size_t j = 0; j < d; j++) {
        ASSERT_MIXED(mu1s[j], mu2[j], TOL1, TOL1);
        ASSERT_MIXED(mu2s[j], mu1[j], TOL1, TOL1);
    }
    gmm_gauss_set(G1, mu1, I4);
    gmm_gauss_set(G2, mu2, I4);
    for (int k = 0; k < 30; k++) {
        double x[4];
        for (size_t j = 0; j < d; j++) x[j] = 1.5 * gsl_ran_gaussian_ziggurat(r, 1.0);
        double rho = gmm2_posterior(g, x), xpar = dot(g->u, x, d);
        CU_ASSERT(rho > 0.0 && rho < 1.0);
        ASSERT_MIXED(rho + gmm2_posterior(gs, x), 1.0, TOL2, 0.0);
        ASSERT_REL(gmm2_posterior_proj(g, xpar), rho, TOL2);
        /* THEORY.md §2 at a = 1, written out */
        double m1 = gmm2_m1(g), m2 = gmm2_m2(g);
        ASSERT_REL(rho, 1.0 / (1.0 + exp(-(log(pi / (1 - pi)) + sep * xpar - (m1 * m1 - m2 * m2) / 2))), 1e-12);
        /* Bayes' rule with the two Gaussian log-densities */
        double lr = log(pi) + gmm_gauss_logpdf(G1, x) - log(1 - pi) - gmm_gauss_logpdf(G2, x);
        ASSERT_REL(rho, 1.0 / (1.0 + exp(-lr)), 1e-12);
    }
    /* far out and extreme weights: finite, in [0, 1], relative accuracy kept in
     * the tails: ρ = e^z/(1+e^z) with z = logit π + Δ(xpar − c). */
    const double pis[3] = { 1e-300, 0.5, 1 - 1e-15 };
    const double xs[4] = { -300.0, -20.0, 20.0, 300.0 };
    for (int i = 0; i < 3; i++) {
        gmm2_set(g, pis[i], 2.0, 0.0);
        for (int k = 0; k < 4; k++) {
            double rho = gmm2_posterior_proj(g, xs[k]);
            CU_ASSERT(rho >= 0.0 && rho <= 1.0);
            double z = log(pis[i]) - log1p(-pis[i]) + 2.0 * xs[k];
            if (z < 0) ASSERT_REL(rho, exp(z) / (1 + exp(z)), 1e-12);
            else ASSERT_REL(rho, 1.0 / (1 + exp(-z)), 1e-12);
        }
    }
    /* ρ = 1/2 exactly where π N(μ1) = (1−π) N(μ2): logit π + Δ(x − c) = 0 */
    gmm2_set(g, 1e-300, 2.0, 0.0);
    ASSERT_REL(gmm2_posterior_proj(g, -spl_logit(1e-300) / 2.0), 0.5, TOL2);
    gmm_gauss_free(G1); gmm_gauss_free(G2);
    gmm2_free(g); gmm2_free(gs);
    gsl_rng_free(r);
}

/* ---- EM ----------------------------------------------------------------- */

static void test_gmm2_em(void)
{
    const size_t n = 100000;
    const double pi = 0.3, sep = 2.0, c = 0.5;
    gsl_rng *r = spl_rng_alloc(cu_seed(20260101), 6, 0);
    gmm2 *g = make_gmm2(1, pi, sep, c, NULL);
    double *t = malloc(n * sizeof *t);
    CU_ASSERT_FATAL(g && t);
    gmm2_sample_proj(g, r, n, t, NULL);
    double ph, sd;
    gmm_em_result res;
    CU_ASSERT_EQUAL(gmm2_em_weight(g, t, n, 0.8, 1e-12, 1000, &ph, &res), GSL_SUCCESS);
    CU_ASSERT(res.converged == 1);
    CU_ASSERT(res.iterations > 1 && res.iterations < 1000);
    CU_ASSERT(res.tol == 1e-12);
    CU_ASSERT_EQUAL(gmm2_crlb_sd(pi, sep, n, &sd), GSL_SUCCESS);
    ASSERT_WITHIN_SE(ph, pi, sd, 4);
    /* fixed point: π̂ = mean_i ρ(x_i; π̂) (to the EM contraction of tol) */
    gmm2 *gh = make_gmm2(1, ph, sep, c, NULL);
    CU_ASSERT_FATAL(gh != NULL);
    double s = 0.0, ll = 0.0;
    for (size_t i = 0; i < n; i++) {
        s += gmm2_posterior_proj(gh, t[i]);
        ll += gmm2_logpdf(gh, t + i);
    }
    ASSERT_MIXED(s / n, ph, 1e-10, 0.0);
    /* loglik: the mean log-density of the data at π̂ */
    ASSERT_REL(res.loglik, ll / n, 1e-12);
    /* and π̂ is the maximiser: the log-likelihood is lower a little away */
    double llo[2] = { 0, 0 };
    for (int k = 0; k < 2; k++) {
        gmm2_set(gh, ph + (k ? 1e-3 : -1e-3), sep, c);
        for (size_t i = 0; i < n; i++) llo[k] += gmm2_logpdf(gh, t + i);
        CU_ASSERT(llo[k] / n < res.loglik);
    }
    /* too few steps: GSL_EMAXITER, not converged, estimate still set */
    ph = -1.0;
    CU_ASSERT_EQUAL(gmm2_em_weight(g, t, n, 0.8, 1e-12, 2, &ph, &res), GSL_EMAXITER);
    CU_ASSERT(res.converged == 0 && res.iterations == 2);
    CU_ASSERT(ph > 0.0 && ph < 1.0);
    /* Δ = 0: ρ ≡ π, EM stays where it starts and stops at once */
    gmm2_set(g, pi, 0.0, c);
    CU_ASSERT_EQUAL(gmm2_em_weight(g, t, n, 0.42, 1e-12, 100, &ph, &res), GSL_SUCCESS);
    ASSERT_REL(ph, 0.42, TOL1);
    CU_ASSERT(res.iterations == 1);
    gmm2_free(gh);
    gmm2_free(g);
    free(t);
    gsl_rng_free(r);
}

static void test_gmmk(void)
{
    /* moments against the closed forms:
     *   E x = Σ w_k μ_k,  Var x_j = σ² + Σ w_k μ_kj² − (E x_j)². */
    const size_t K = 4, d = 3, n = 200000;
    const double w[4] = { 0.1, 0.2, 0.3, 0.4 };
    gsl_rng *r = spl_rng_alloc(cu_seed(20260101), 7, 0);
    gmmk *m = gmmk_alloc(K, d, NULL);
    double *x = malloc(n * d * sizeof *x);
    int *lab = malloc(n * sizeof *lab);
    CU_ASSERT_FATAL(m && x && lab);
    ASSERT_REL(m->w[2], 0.25, TOL0);
    CU_ASSERT(m->sigma == 1.0 && m->mu[5] == 0.0);
    CU_ASSERT_EQUAL(gmmk_set_weights(m, (double[]){ 1, 2, 3, 4 }), GSL_SUCCESS);
    for (size_t k = 0; k < K; k++) ASSERT_REL(m->w[k], w[k], TOL1);
    CU_ASSERT_EQUAL(gmmk_set_means_random(m, r, 2.0), GSL_SUCCESS);
    m->sigma = 0.7;
    CU_ASSERT_EQUAL(gmmk_sample(m, r, n, x, lab), GSL_SUCCESS);
    size_t cnt[4] = { 0 };
    for (size_t i = 0; i < n; i++) {
        CU_ASSERT_FATAL(lab[i] >= 0 && lab[i] < (int)K);
        cnt[lab[i]]++;
    }
    for (size_t k = 0; k < K; k++)
        ASSERT_WITHIN_SE((double)cnt[k] / n, w[k], sqrt(w[k] * (1 - w[k]) / n), 4);
    for (size_t j = 0; j < d; j++) {
        double mean = 0.0, sq = 0.0;
        for (size_t k = 0; k < K; k++) {
            mean += w[k] * m->mu[k * d + j];
            sq += w[k] * m->mu[k * d + j] * m->mu[k * d + j];
        }
        moms mj = moments(x + j, n, d);
        ASSERT_WITHIN_SE(mj.mean, mean, mj.se_mean, 4);
        ASSERT_WITHIN_SE(mj.var, 0.49 + sq - mean * mean, mj.se_var, 4);
    }
    /* log-density and responsibilities against the per-component Gaussians */
    gmm_gauss *G = gmm_gauss_alloc(d, NULL);
    CU_ASSERT_FATAL(G != NULL);
    double cov[9] = { 0.49, 0, 0, 0, 0.49, 0, 0, 0, 0.49 };
    for (int t = 0; t < 10; t++) {
        const double *xi = x + (size_t)t * 997 * d;
        double lk[4], resp[4], L = -INFINITY;
        for (size_t k = 0; k < K; k++) {
            gmm_gauss_set(G, m->mu + k * d, cov);
            lk[k] = log(w[k]) + gmm_gauss_logpdf(G, xi);
            L = L == -INFINITY ? lk[k] : lse2(L, lk[k]);
        }
        ASSERT_REL(gmmk_logpdf(m, xi), L, TOL3);
        CU_ASSERT_EQUAL(gmmk_posterior(m, xi, resp), GSL_SUCCESS);
        double s = 0.0;
        for (size_t k = 0; k < K; k++) {
            ASSERT_MIXED(resp[k], exp(lk[k] - L), 1e-300, 1e-12);
            s += resp[k];
        }
        ASSERT_REL(s, 1.0, TOL2);
    }
    /* far out: finite */
    double far[3] = { 1e5, -1e5, 3e4 };
    CU_ASSERT(isfinite(gmmk_logpdf(m, far)));
    gmm_gauss_free(G);

    /* circle means: closed form */
    CU_ASSERT_EQUAL(gmmk_set_means_circle(m, 3.0), GSL_SUCCESS);
    ASSERT_REL(m->mu[0], 3.0, TOL0);
    ASSERT_MIXED(m->mu[1 * d + 0], 0.0, TOL1 * 3, 0);
    ASSERT_REL(m->mu[1 * d + 1], 3.0, TOL1);
    ASSERT_REL(m->mu[2 * d + 0], -3.0, TOL1);
    CU_ASSERT(m->mu[3 * d + 2] == 0.0);
    free(x); free(lab);
    gmmk_free(m);
    gsl_rng_free(r);
}

static void test_gmmk_em(void)
{
    /* Well-separated circle (neighbours 6√2 ≈ 8.5 σ apart): the MLE of the
     * weights is the label frequency up to the tiny overlap, so its SE is the
     * multinomial √(w(1−w)/n). */
    const size_t K = 4, d = 2, n = 20000;
    const double w[4] = { 0.1, 0.2, 0.3, 0.4 };
    gsl_rng *r = spl_rng_alloc(cu_seed(20260101), 8, 0);
    gmmk *m = gmmk_alloc(K, d, NULL);
    double *x = malloc(n * d * sizeof *x), wh[4];
    int *lab = malloc(n * sizeof *lab);
    CU_ASSERT_FATAL(m && x && lab);
    gmmk_set_means_circle(m, 6.0);
    gmmk_set_weights(m, w);
    gmmk_sample(m, r, n, x, lab);
    double freq[4] = { 0 };
    for (size_t i = 0; i < n; i++) freq[lab[i]] += 1.0 / n;
    gmmk_set_weights(m, (double[]){ 1, 1, 1, 1 });   /* EM starts from equal weights */
    gmm_em_result res;
    CU_ASSERT_EQUAL(gmmk_em_weights(m, x, n, 1e-12, 1000, wh, &res), GSL_SUCCESS);
    CU_ASSERT(res.converged == 1 && res.iterations < 1000 && res.tol == 1e-12);
    double s = 0.0;
    for (size_t k = 0; k < K; k++) {
        ASSERT_WITHIN_SE(wh[k], w[k], sqrt(w[k] * (1 - w[k]) / n), 4);
        ASSERT_MIXED(wh[k], freq[k], 1e-3, 0.0);
        s += wh[k];
    }
    ASSERT_REL(s, 1.0, TOL2);
    /* loglik: mean of gmmk_logpdf at ŵ */
    gmmk_set_weights(m, wh);
    double ll = 0.0;
    for (size_t i = 0; i < n; i++) ll += gmmk_logpdf(m, x + i * d);
    ASSERT_REL(res.loglik, ll / n, 1e-12);

    /* overlapping components, a harder case: still within a few SE of the
     * truth (SE inflated for the overlap by comparing to label frequencies) */
    gmmk_set_means_circle(m, 2.0);
    gmmk_set_weights(m, w);
    gmmk_sample(m, r, n, x, NULL);
    gmmk_set_weights(m, (double[]){ 1, 1, 1, 1 });
    CU_ASSERT_EQUAL(gmmk_em_weights(m, x, n, 1e-10, 5000, wh, &res), GSL_SUCCESS);
    for (size_t k = 0; k < K; k++)
        ASSERT_WITHIN_SE(wh[k], w[k], 3.0 * sqrt(w[k] * (1 - w[k]) / n), 4);
    CU_ASSERT_EQUAL(gmmk_em_weights(m, x, n, 1e-14, 1, wh, &res), GSL_EMAXITER);
    CU_ASSERT(res.converged == 0 && res.iterations == 1);
    free(x); free(lab);
    gmmk_free(m);
    gsl_rng_free(r);
}

/* ---- Fisher information ------------------------------------------------- */

typedef struct { gmm2 *g; double pi; } fish_ref;

/* The definition, written the naive way: (ρ* − π)² p(x) / (π(1−π))². */
static double fisher_naive(double x, void *vp)
{
    const fish_ref *f = vp;
    double rho = gmm2_posterior_proj(f->g, x), q = f->pi * (1 - f->pi);
    return (rho - f->pi) * (rho - f->pi) * exp(gmm2_logpdf(f->g, &x)) / (q * q);
}

static void test_fisher_quadrature(void)
{
    const double pis[5] = { 0.02, 0.3, 0.5, 0.77, 0.95 };
    const double seps[6] = { 0.3, 1.0, 2.0, 3.5, 6.0, 10.0 };
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(2000);
    CU_ASSERT_FATAL(ws != NULL);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 6; j++) {
            double I, err, ref, rerr;
            CU_ASSERT_EQUAL(gmm2_fisher_pi(pis[i], seps[j], &I, &err), GSL_SUCCESS);
            /* independent: qags over [−40 − Δ/2, 40 + Δ/2] of the naive form,
             * with a nonzero shift (I does not depend on c) */
            gmm2 *g = make_gmm2(1, pis[i], seps[j], 0.9, NULL);
            CU_ASSERT_FATAL(g != NULL);
            fish_ref fr = { g, pis[i] };
            gsl_function F = { fisher_naive, &fr };
            double h = 40.0 + seps[j] / 2;
            CU_ASSERT_EQUAL(gsl_integration_qags(&F, 0.9 - h, 0.9 + h, 0, 1e-11, 2000, ws, &ref, &rerr),
                            GSL_SUCCESS);
            ASSERT_REL(I, ref, 1e-9);
            /* honest error estimate: within the two claimed errors */
            CU_ASSERT(fabs(I - ref) <= 10.0 * (err + rerr) + 1e-14 * ref);
            CU_ASSERT(err <= 1e-11 * I);
            /* label swap x → −x: I(π, Δ) = I(1 − π, Δ) */
            double Is;
            gmm2_fisher_pi(1 - pis[i], seps[j], &Is, NULL);
            ASSERT_REL(Is, I, 1e-11);
            /* 0 < I < 1/(π(1−π)): a mixture observation is worth less than a label */
            CU_ASSERT(I > 0.0 && I < 1.0 / (pis[i] * (1 - pis[i])));
            gmm2_free(g);
        }
    gsl_integration_workspace_free(ws);
}

static void test_fisher_mc(void)
{
    /* Monte Carlo of E[(ρ* − π)²]/(π(1−π))² with its standard error */
    const size_t n = 200000;
    const double cases[3][2] = { { 0.3, 2.0 }, { 0.6, 0.7 }, { 0.1, 4.0 } };
    gsl_rng *r = spl_rng_alloc(cu_seed(20260101), 9, 0);
    double *t = malloc(n * sizeof *t);
    CU_ASSERT_FATAL(t != NULL);
    for (int c = 0; c < 3; c++) {
        double pi = cases[c][0], sep = cases[c][1], q = pi * (1 - pi), I;
        gmm2 *g = make_gmm2(1, pi, sep, -0.3, NULL);
        CU_ASSERT_FATAL(g != NULL);
        gmm2_sample_proj(g, r, n, t, NULL);
        spl_stat st = { 0 };
        for (size_t i = 0; i < n; i++) {
            double e = gmm2_posterior_proj(g, t[i]) - pi;
            spl_stat_add(&st, e * e / (q * q));
        }
        CU_ASSERT_EQUAL(gmm2_fisher_pi(pi, sep, &I, NULL), GSL_SUCCESS);
        ASSERT_WITHIN_SE(st.mean, I, spl_stat_se(&st), 4);
        gmm2_free(g);
    }
    free(t);
    gsl_rng_free(r);
}

static void test_fisher_limits(void)
{
    const double pis[4] = { 1e-6, 0.2, 0.5, 0.9 };
    for (int i = 0; i < 4; i++) {
        double pi = pis[i], I, err;
        /* Δ → 0: I = Δ²(1 + O(Δ²)) */
        CU_ASSERT_EQUAL(gmm2_fisher_pi(pi, 1e-4, &I, &err), GSL_SUCCESS);
        ASSERT_REL(I, 1e-8, 1e-7);
        CU_ASSERT_EQUAL(gmm2_fisher_pi(pi, 1e-3, &I, &err), GSL_SUCCESS);
        ASSERT_REL(I, 1e-6, 1e-5);
        CU_ASSERT_EQUAL(gmm2_fisher_pi(pi, 0.0, &I, &err), GSL_SUCCESS);
        CU_ASSERT(I == 0.0);
        /* Δ → ∞: I → 1/(π(1−π)); the overlap is ~e^{−Δ²/8} */
        const double big[4] = { 40.0, 100.0, 1e4, 1e8 };
        for (int k = 0; k < 4; k++) {
            CU_ASSERT_EQUAL(gmm2_fisher_pi(pi, big[k], &I, &err), GSL_SUCCESS);
            ASSERT_REL(I, 1.0 / (pi * (1 - pi)), 1e-11);
        }
        /* increasing in Δ */
        double prev = 0.0;
        for (double s = 0.25; s <= 12.0; s += 0.25) {
            gmm2_fisher_pi(pi, s, &I, NULL);
            CU_ASSERT(I > prev);
            prev = I;
        }
    }
    double sd;
    CU_ASSERT_EQUAL(gmm2_crlb_sd(0.5, 0.0, 10, &sd), GSL_SUCCESS);
    CU_ASSERT(isinf(sd) && sd > 0);
    CU_ASSERT_EQUAL(gmm2_crlb_sd(0.25, 50.0, 300, &sd), GSL_SUCCESS);
    ASSERT_REL(sd, sqrt(0.25 * 0.75 / 300), 1e-11);   /* labels observed: binomial */
}

static void test_crlb_em_spread(void)
{
    /* sd of the EM estimate over R replicates ≈ CRLB sd; the SE of a sample
     * sd from R draws is ≈ sd/√(2(R−1)). */
    const size_t n = 2000, R = 200;
    const double pi = 0.3, sep = 2.0;
    uint64_t seed = cu_seed(20260101);
    gmm2 *g = make_gmm2(1, pi, sep, 0.25, NULL);
    double *t = malloc(n * sizeof *t), est[200];
    CU_ASSERT_FATAL(g && t);
    for (size_t k = 0; k < R; k++) {
        gsl_rng *r = spl_rng_alloc(seed, 10, k);
        gmm2_sample_proj(g, r, n, t, NULL);
        CU_ASSERT_EQUAL(gmm2_em_weight(g, t, n, 0.5, 1e-10, 1000, est + k, NULL), GSL_SUCCESS);
        gsl_rng_free(r);
    }
    moms me = moments(est, R, 1);
    double sd, sdhat = sqrt(me.var);
    CU_ASSERT_EQUAL(gmm2_crlb_sd(pi, sep, n, &sd), GSL_SUCCESS);
    ASSERT_WITHIN_SE(sdhat, sd, sd / sqrt(2.0 * (R - 1)), 4);
    ASSERT_WITHIN_SE(me.mean, pi, sd / sqrt((double)R), 4);
    free(t);
    gmm2_free(g);
}

/* ---- general-covariance Gaussian --------------------------------------- */

static double det3(const double *a)   /* column-major or not: det Aᵀ = det A */
{
    return a[0] * (a[4] * a[8] - a[5] * a[7]) - a[3] * (a[1] * a[8] - a[2] * a[7])
         + a[6] * (a[1] * a[5] - a[2] * a[4]);
}

static void test_gauss(void)
{
    const size_t d = 3, n = 200000;
    /* SPD: diagonally dominant with positive diagonal (column-major, symmetric) */
    const double S[9] = { 2.0, 0.6, -0.4,
                          0.6, 1.5, 0.3,
                          -0.4, 0.3, 0.8 };
    const double mean[3] = { 1.0, -2.0, 0.5 };
    gmm_gauss *G = gmm_gauss_alloc(d, NULL);
    double *x = malloc(n * d * sizeof *x);
    CU_ASSERT_FATAL(G && x);
    /* defaults: N(0, I) */
    double z3[3] = { 0.3, -1.0, 2.0 };
    ASSERT_REL(gmm_gauss_logpdf(G, z3), -1.5 * log(2 * M_PI) - 0.5 * (0.09 + 1 + 4), TOL1);
    CU_ASSERT_EQUAL(gmm_gauss_set(G, mean, S), GSL_SUCCESS);
    ASSERT_REL(G->logdet, log(det3(S)), TOL2);
    /* L Lᵀ = Σ, L lower */
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) {
            double s = 0.0;
            for (size_t k = 0; k < d; k++) s += G->chol[k * d + i] * G->chol[k * d + j];
            ASSERT_MIXED(s, S[j * d + i], TOL2, TOL2);
            if (j > i) CU_ASSERT(G->chol[j * d + i] == 0.0);
        }
    /* sampling: mean and covariance within SE (Var of a Gaussian sample
     * covariance entry: (Σ_ii Σ_jj + Σ_ij²)/n) */
    gsl_rng *r = spl_rng_alloc(cu_seed(20260101), 11, 0);
    CU_ASSERT_EQUAL(gmm_gauss_sample(G, r, n, x), GSL_SUCCESS);
    double mh[3];
    for (size_t j = 0; j < d; j++) {
        moms mj = moments(x + j, n, d);
        mh[j] = mj.mean;
        ASSERT_WITHIN_SE(mj.mean, mean[j], sqrt(S[j * d + j] / n), 4);
    }
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j <= i; j++) {
            double s = 0.0;
            for (size_t k = 0; k < n; k++) s += (x[k * d + i] - mh[i]) * (x[k * d + j] - mh[j]);
            s /= (double)(n - 1);
            double sij = S[j * d + i];
            ASSERT_WITHIN_SE(s, sij, sqrt((S[i * d + i] * S[j * d + j] + sij * sij) / n), 4);
        }
    /* logpdf against the closed form with the explicit inverse (adjugate / det) */
    double inv[9], dt = det3(S);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            int i1 = (i + 1) % 3, i2 = (i + 2) % 3, j1 = (j + 1) % 3, j2 = (j + 2) % 3;
            /* cofactor of (j, i) in column-major S(r, c) = S[c*3 + r] */
            inv[j * 3 + i] = (S[i1 * 3 + j1] * S[i2 * 3 + j2] - S[i2 * 3 + j1] * S[i1 * 3 + j2]) / dt;
        }
    for (int k = 0; k < 10; k++) {
        const double *xk = x + (size_t)k * 1234 * d;
        double y[3], q = 0.0;
        for (size_t j = 0; j < d; j++) y[j] = xk[j] - mean[j];
        for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j < d; j++) q += y[i] * inv[j * d + i] * y[j];
        ASSERT_REL(gmm_gauss_logpdf(G, xk), -1.5 * log(2 * M_PI) - 0.5 * log(dt) - 0.5 * q, 1e-12);
    }
    /* diagonal Σ: sum of 1-d normal log-densities */
    const double D[9] = { 4.0, 0, 0, 0, 0.25, 0, 0, 0, 9.0 };
    CU_ASSERT_EQUAL(gmm_gauss_set(G, mean, D), GSL_SUCCESS);
    double xd[3] = { 3.0, -1.0, -4.0 }, ref = 0.0;
    for (size_t j = 0; j < d; j++) {
        double v = D[j * d + j], e = xd[j] - mean[j];
        ref += -0.5 * log(2 * M_PI * v) - 0.5 * e * e / v;
    }
    ASSERT_REL(gmm_gauss_logpdf(G, xd), ref, TOL2);
    ASSERT_REL(G->logdet, log(4.0 * 0.25 * 9.0), TOL2);
    /* not positive definite (eigenvalues 3, −1, 1), singular, NaN: GSL_EDOM,
     * and G is left as it was */
    const double B[9] = { 1, 2, 0, 2, 1, 0, 0, 0, 1 };
    const double Z[9] = { 1, 1, 0, 1, 1, 0, 0, 0, 1 };
    double Nn[9];
    memcpy(Nn, S, sizeof Nn);
    Nn[4] = NAN;
    CU_ASSERT_EQUAL(gmm_gauss_set(G, mean, B), GSL_EDOM);
    CU_ASSERT_EQUAL(gmm_gauss_set(G, mean, Z), GSL_EDOM);
    CU_ASSERT_EQUAL(gmm_gauss_set(G, mean, Nn), GSL_EDOM);
    double mn[3] = { 0, NAN, 0 };
    CU_ASSERT_EQUAL(gmm_gauss_set(G, mn, S), GSL_EDOM);
    ASSERT_REL(gmm_gauss_logpdf(G, xd), ref, TOL2);
    free(x);
    gmm_gauss_free(G);
    gsl_rng_free(r);
}

CU_TestInfo cu_gmm_tests[] = {
    { "params", test_params },
    { "bad_inputs", test_bad_inputs },
    { "gmm2_moments", test_gmm2_moments },
    { "gmm2_proj_law", test_gmm2_proj_law },
    { "gmm2_logpdf", test_gmm2_logpdf },
    { "gmm2_posterior", test_gmm2_posterior },
    { "gmm2_em", test_gmm2_em },
    { "gmmk", test_gmmk },
    { "gmmk_em", test_gmmk_em },
    { "fisher_quadrature", test_fisher_quadrature },
    { "fisher_mc", test_fisher_mc },
    { "fisher_limits", test_fisher_limits },
    { "crlb_em_spread", test_crlb_em_spread },
    { "gauss", test_gauss },
    CU_TEST_INFO_NULL
};
