/* tests/cu_kmix.c — the K-component loss of ddpm/kmix.h (THEORY.md §10),
 * tested independently of the implementation:
 *
 *  - the K = 2 reduction against ddpm_loss_level (another implementation);
 *  - a reference written here: GSL adaptive quadrature (qagi) of the loss,
 *    excess and gradient for means on a line, and nested qagi (an inner
 *    adaptive integral inside an outer one) for means in a plane, from the
 *    formulas of §10 evaluated in the original coordinates of the means;
 *  - Monte Carlo (explicit in R^d and projected) within 4 standard errors;
 *  - central finite differences of the loss and gradient;
 *  - invariances: relabelling the gauge component, rotation/translation of
 *    the means, the dimension (only a²d changes);
 *  - the sandwich B⁻¹AB⁻¹ against the spread of ŵ_n over replicates, and the
 *    CRLB against the spread of the EM MLE;
 *  - bit-identical Monte Carlo for 1 and 2 threads; bad input.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_math.h>
#include "common/spl.h"
#include "ddpm/kmix.h"
#include "ddpm/schedule.h"
#include "paper_figs/figs.h"
#include "tests/cu_util.h"

/* ---- reference: the loss from §10 in the means' own coordinates ---------- */
typedef struct {
    size_t K, dim;          /* dim = 1 (line) or 2 (plane) */
    const double *pi, *mu;  /* mu: (K, dim), not centred */
    double a, w[8];         /* w: K logits with w[K−1] = 0 */
    int what;               /* 0 posterior variance + excess, 1 gradient j */
    size_t j;
    double y0;              /* outer variable (plane) */
} ref_par;

static double th_of(const ref_par *p, size_t k) { return log(p->pi[k] / p->pi[p->K - 1]); }

/* integrand at y (dim), times the mixture density of y ~ Σ π_k N(a μ_k, I) */
static double ref_f(const double *y, const ref_par *p)
{
    const size_t K = p->K, D = p->dim;
    double lw[8], ls[8], mw = -INFINITY, ms = -INFINITY, dens = 0.0;
    for (size_t k = 0; k < K; k++) {
        double dot = 0, nn = 0, q = 0;
        for (size_t i = 0; i < D; i++) {
            dot += p->mu[k * D + i] * y[i];
            nn += p->mu[k * D + i] * p->mu[k * D + i];
            q += gsl_pow_2(y[i] - p->a * p->mu[k * D + i]);
        }
        dens += p->pi[k] * exp(-0.5 * q) / pow(2 * M_PI, 0.5 * (double)D);
        lw[k] = p->w[k] + p->a * dot - 0.5 * p->a * p->a * nn;
        ls[k] = th_of(p, k) + p->a * dot - 0.5 * p->a * p->a * nn;
        mw = fmax(mw, lw[k]);
        ms = fmax(ms, ls[k]);
    }
    double sw = 0, ss = 0;
    for (size_t k = 0; k < K; k++) { lw[k] = exp(lw[k] - mw); sw += lw[k]; ls[k] = exp(ls[k] - ms); ss += ls[k]; }
    double mbw[2] = { 0, 0 }, mbs[2] = { 0, 0 };
    for (size_t k = 0; k < K; k++) {
        lw[k] /= sw; ls[k] /= ss;
        for (size_t i = 0; i < D; i++) { mbw[i] += lw[k] * p->mu[k * D + i]; mbs[i] += ls[k] * p->mu[k * D + i]; }
    }
    double v = 0;
    if (p->what == 0) {
        for (size_t k = 0; k < K; k++)
            for (size_t i = 0; i < D; i++) v += ls[k] * gsl_pow_2(p->mu[k * D + i] - mbs[i]);
    } else if (p->what == 1) {
        for (size_t i = 0; i < D; i++) v += gsl_pow_2(mbw[i] - mbs[i]);
    } else {
        for (size_t i = 0; i < D; i++) v += lw[p->j] * (p->mu[p->j * D + i] - mbw[i]) * (mbw[i] - mbs[i]);
    }
    return v * dens;
}

static gsl_integration_workspace *WS_OUT, *WS_IN;

static double ref_line(double y, void *vp) { return ref_f(&y, vp); }
static double ref_inner(double y1, void *vp)
{
    const ref_par *p = vp;
    double y[2] = { p->y0, y1 };
    return ref_f(y, p);
}
static double ref_outer(double y0, void *vp)
{
    ref_par *p = vp;
    p->y0 = y0;
    gsl_function F = { ref_inner, p };
    double v, e;
    gsl_integration_qagi(&F, 1e-13, 1e-11, 1000, WS_IN, &v, &e);
    return v;
}

/* E[integrand] by adaptive quadrature, qagi on a line, nested in a plane. */
static double ref_expect(ref_par *p)
{
    double v, e;
    if (p->dim == 1) {
        gsl_function F = { ref_line, p };
        gsl_integration_qagi(&F, 1e-15, 1e-12, 1000, WS_OUT, &v, &e);
    } else {
        gsl_function F = { ref_outer, p };
        gsl_integration_qagi(&F, 1e-13, 1e-10, 1000, WS_OUT, &v, &e);
    }
    return v;
}

/* reference loss (−a²d), excess and gradient, from §10 */
static void ref_all(size_t K, size_t dim, const double *pi, const double *mu, double a,
                    const double *wfree, double *pv_ex, double *grad)
{
    ref_par p = { K, dim, pi, mu, a, { 0 }, 0, 0, 0 };
    for (size_t k = 0; k + 1 < K; k++) p.w[k] = wfree[k];
    p.w[K - 1] = 0;
    p.what = 0; pv_ex[0] = ref_expect(&p);
    p.what = 1; pv_ex[1] = ref_expect(&p);
    for (size_t j = 0; j + 1 < K; j++) { p.what = 2; p.j = j; grad[j] = ref_expect(&p); }
}

/* ---- fixtures ---------------------------------------------------------- */
static kmix *mk(size_t K, size_t d, const double *pi, const double *mu)
{
    kmix *m = kmix_alloc(K, d, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    char err[128];
    int st = kmix_set(m, pi, mu, err, sizeof err);
    if (st) fprintf(stderr, "kmix_set: %s\n", err);
    CU_ASSERT_EQUAL_FATAL(st, GSL_SUCCESS);
    return m;
}

/* Embed means given in `dim` coordinates into R^d along a random-looking
 * orthonormal frame (rotation) plus a shift: tests that U, z are right. */
static void embed(size_t K, size_t dim, const double *m0, size_t d, double *mu)
{
    for (size_t k = 0; k < K; k++)
        for (size_t j = 0; j < d; j++) {
            double v = 0.3 * (double)(j % 3) - 0.2;     /* common shift */
            if (d == dim) v += m0[k * dim + j];
            else {
                /* two orthonormal directions: e1 cosθ + e2 sinθ, −e1 sinθ + e2 cosθ */
                double c = cos(0.7), s = sin(0.7);
                double u0 = j == 0 ? c : j == 1 ? s : 0, u1 = j == 0 ? -s : j == 1 ? c : 0;
                v += m0[k * dim] * u0 + (dim > 1 ? m0[k * dim + 1] * u1 : 0);
            }
            mu[k * d + j] = v;
        }
}

/* ---- tests ------------------------------------------------------------- */

/* K = 2 with means c ± Δ/2 on a line: the same numbers as ddpm_loss_level, to
 * rounding for k = aΔ ≤ 2.4; beyond (k up to 5.7), within the two error
 * estimates. */
static void test_k2_reduction(void)
{
    ddpm_quad *q2 = ddpm_quad_alloc();
    kmix_quad *q = kmix_quad_alloc(0, 0, NULL);
    gmm2 *g = gmm2_alloc(5, NULL);
    const double A[] = { 0.3, 0.7, 0.95 }, D[] = { 0.5, 2.0, 2.5, 6.0 }, P[] = { 0.2, 0.5, 0.9 }, W[] = { -2, 0.3, 1.5 };
    double worst = 0;
    for (size_t ia = 0; ia < 3; ia++)
        for (size_t id = 0; id < 4; id++)
            for (size_t ip = 0; ip < 3; ip++)
                for (size_t iw = 0; iw < 3; iw++) {
                    double a = A[ia], b = ddpm_b_of_a(a), c = 0.4;
                    gmm2_set(g, P[ip], D[id], c);
                    double pi[2] = { P[ip], 1 - P[ip] }, ml[2] = { c + D[id] / 2, c - D[id] / 2 };
                    kmix *m = kmix_alloc(2, 5, NULL);
                    CU_ASSERT_EQUAL(kmix_set_line(m, pi, ml, NULL, 0), GSL_SUCCESS);
                    ddpm_loss_result r2;
                    kmix_result rk;
                    double w = spl_logit(P[ip]) + W[iw];
                    CU_ASSERT_EQUAL(ddpm_loss_level(q2, g, a, b, w, &r2), GSL_SUCCESS);
                    CU_ASSERT_EQUAL(kmix_loss_quad(q, m, a, b, &w, KMIX_ALL, &rk), GSL_SUCCESS);
                    /* the error estimates are honest */
                    CU_ASSERT(fabs(rk.loss.val - r2.loss.val) <= rk.loss.err + r2.loss.err);
                    CU_ASSERT(fabs(rk.excess.val - r2.excess.val) <= rk.excess.err + r2.excess.err);
                    CU_ASSERT(fabs(rk.grad[0] - r2.grad.val) <= rk.grad_err[0] + r2.grad.err);
                    CU_ASSERT(fabs(rk.hess[0] - r2.hess.val) <= rk.hess_err[0] + r2.hess.err);
                    if (a * D[id] > 2.4) { kmix_free(m); continue; }
                    ASSERT_REL(rk.loss.val, r2.loss.val, 1e-14);
                    ASSERT_MIXED(rk.excess.val, r2.excess.val, 1e-16 * r2.loss.val, 1e-12);
                    ASSERT_MIXED(rk.grad[0], r2.grad.val, 1e-16 * r2.loss.val, 1e-12);
                    ASSERT_MIXED(rk.hess[0], r2.hess.val, 1e-14, 1e-12);
                    worst = fmax(worst, fabs(rk.grad[0] - r2.grad.val) / fabs(r2.grad.val));
                    kmix_free(m);
                }
    fprintf(stderr, "[K=2 worst grad rel %.2e] ", worst);
    gmm2_free(g);
    kmix_quad_free(q);
    ddpm_quad_free(q2);
}

typedef struct { size_t K, dim; double pi[6], mu[12], a, w[5]; } kcase;
static const kcase CASES[] = {
    { 3, 1, { 0.2, 0.5, 0.3 }, { -1.5, 0.2, 2.0 }, 0.8, { 0.4, -0.7 } },
    { 4, 1, { 0.1, 0.4, 0.3, 0.2 }, { -2, -0.5, 0.7, 3 }, 0.6, { 1.0, 0.0, -2.0 } },
    { 3, 2, { 0.3, 0.3, 0.4 }, { 0, 0, 2, 0.5, -0.5, 1.8 }, 0.7, { -0.3, 0.9 } },
    { 4, 2, { 0.15, 0.35, 0.25, 0.25 }, { 1, 1, -1, 0.5, 0.3, -1.2, 2, -0.4 }, 0.9, { 0.5, 1.2, -0.8 } },
};
#define NCASES (sizeof CASES / sizeof CASES[0])

/* Against adaptive (r = 1) and nested adaptive (r = 2) quadrature. */
static void test_reference(void)
{
    kmix_quad *q = kmix_quad_alloc(0, 0, NULL);
    WS_OUT = gsl_integration_workspace_alloc(1000);
    WS_IN = gsl_integration_workspace_alloc(1000);
    for (size_t c = 0; c < NCASES; c++) {
        const kcase *C = &CASES[c];
        size_t d = C->dim + 2;
        double mu[6 * 4];
        embed(C->K, C->dim, C->mu, d, mu);
        kmix *m = mk(C->K, d, C->pi, mu);
        CU_ASSERT_EQUAL(m->r, C->dim);
        double a = C->a, b = ddpm_b_of_a(a), pe[2], gr[5];
        ref_all(C->K, C->dim, C->pi, C->mu, a, C->w, pe, gr);
        kmix_result r;
        CU_ASSERT_EQUAL_FATAL(kmix_loss_quad(q, m, a, b, C->w, KMIX_ALL, &r), GSL_SUCCESS);
        double c2 = a * a * b * b, tol = C->dim == 1 ? 1e-10 : 1e-8;
        ASSERT_REL(r.loss.val, a * a * (double)d + c2 * (pe[0] + pe[1]), tol);
        ASSERT_REL(r.excess.val, c2 * pe[1], tol);
        for (size_t j = 0; j + 1 < C->K; j++) ASSERT_MIXED(r.grad[j], 2 * c2 * gr[j], 1e-12, tol);
        kmix_free(m);
    }
    gsl_integration_workspace_free(WS_OUT);
    gsl_integration_workspace_free(WS_IN);
    kmix_quad_free(q);
}

/* Central differences of the loss (gradient) and of the gradient (Hessian). */
static void test_finite_differences(void)
{
    kmix_quad *q = kmix_quad_alloc(0, 0, NULL);
    for (size_t c = 0; c < NCASES; c++) {
        const kcase *C = &CASES[c];
        kmix *m = mk(C->K, C->dim, C->pi, C->mu);
        double a = C->a, b = ddpm_b_of_a(a), h = 1e-4;
        size_t n = C->K - 1;
        kmix_result r0;
        kmix_loss_quad(q, m, a, b, C->w, KMIX_ALL, &r0);
        for (size_t j = 0; j < n; j++) {
            double wp[5], wm[5];
            memcpy(wp, C->w, sizeof wp);
            memcpy(wm, C->w, sizeof wm);
            wp[j] += h; wm[j] -= h;
            kmix_result rp, rm;
            kmix_loss_quad(q, m, a, b, wp, KMIX_ALL, &rp);
            kmix_loss_quad(q, m, a, b, wm, KMIX_ALL, &rm);
            /* excess differences avoid the large a²d constant */
            ASSERT_MIXED((rp.excess.val - rm.excess.val) / (2 * h), r0.grad[j], 1e-9, 1e-6);
            for (size_t i = 0; i < n; i++)
                ASSERT_MIXED((rp.grad[i] - rm.grad[i]) / (2 * h), r0.hess[i * n + j], 1e-9, 1e-6);
        }
        /* the Hessian is symmetric */
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < i; j++) ASSERT_MIXED(r0.hess[i * n + j], r0.hess[j * n + i], 1e-15, 1e-12);
        kmix_free(m);
    }
    kmix_quad_free(q);
}

/* Excess and gradient vanish at θ*; excess > 0 elsewhere. */
static void test_optimum(void)
{
    kmix_quad *q = kmix_quad_alloc(0, 0, NULL);
    for (size_t c = 0; c < NCASES; c++) {
        const kcase *C = &CASES[c];
        kmix *m = mk(C->K, C->dim, C->pi, C->mu);
        double a = C->a, b = ddpm_b_of_a(a);
        kmix_result r;
        kmix_loss_quad(q, m, a, b, m->theta, KMIX_ALL, &r);
        CU_ASSERT(fabs(r.excess.val) <= 1e-30);
        for (size_t j = 0; j + 1 < C->K; j++) CU_ASSERT(fabs(r.grad[j]) <= 1e-16);
        kmix_loss_quad(q, m, a, b, C->w, KMIX_ALL, &r);
        CU_ASSERT(r.excess.val > 10 * r.excess.err);
        kmix_free(m);
    }
    kmix_quad_free(q);
}

/* Relabelling: the reference (gauge) component K swapped with component 1;
 * w'_k = w_{π(k)} − w_{π(K)} gives the same loss.  Dimension: only a²d moves. */
static void test_invariances(void)
{
    kmix_quad *q = kmix_quad_alloc(0, 0, NULL);
    for (size_t c = 0; c < NCASES; c++) {
        const kcase *C = &CASES[c];
        const size_t K = C->K, D = C->dim;
        kmix *m = mk(K, D, C->pi, C->mu);
        double pi2[6], mu2[12], wf[6], w2[5];
        for (size_t k = 0; k < K; k++) wf[k] = k + 1 < K ? C->w[k] : 0.0;
        /* permutation: swap 0 and K−1 */
        for (size_t k = 0; k < K; k++) {
            size_t s = k == 0 ? K - 1 : k == K - 1 ? 0 : k;
            pi2[k] = C->pi[s];
            for (size_t i = 0; i < D; i++) mu2[k * D + i] = C->mu[s * D + i];
        }
        for (size_t k = 0; k + 1 < K; k++) {
            size_t s = k == 0 ? K - 1 : k;
            w2[k] = wf[s] - wf[0];
        }
        kmix *m2 = mk(K, D, pi2, mu2);
        double a = C->a, b = ddpm_b_of_a(a);
        kmix_result r1, r2;
        kmix_loss_quad(q, m, a, b, C->w, 0, &r1);
        kmix_loss_quad(q, m2, a, b, w2, 0, &r2);
        ASSERT_REL(r2.loss.val, r1.loss.val, 1e-12);
        ASSERT_REL(r2.excess.val, r1.excess.val, 1e-9);
        /* dimension 40, rotated and shifted: loss − a²d unchanged */
        double mu3[6 * 40];
        embed(K, D, C->mu, 40, mu3);
        kmix *m3 = mk(K, 40, C->pi, mu3);
        kmix_loss_quad(q, m3, a, b, C->w, KMIX_ALL, &r2);
        ASSERT_REL(r2.loss.val - a * a * 40, r1.loss.val - a * a * (double)D, 1e-11);
        kmix_loss_quad(q, m, a, b, C->w, KMIX_ALL, &r1);
        for (size_t j = 0; j + 1 < K; j++) ASSERT_MIXED(r2.grad[j], r1.grad[j], 1e-14, 1e-10);
        kmix_free(m); kmix_free(m2); kmix_free(m3);
    }
    kmix_quad_free(q);
}

/* Monte Carlo, explicit (d = 30) and projected (chi-square drawn), within 4 SE
 * of the quadrature for loss, excess, gradient and Hessian. */
static void test_mc(void)
{
    kmix_quad *q = kmix_quad_alloc(0, 0, NULL);
    uint64_t seed = cu_seed(14);
    for (size_t c = 0; c < NCASES; c++) {
        const kcase *C = &CASES[c];
        const size_t d = 30, n = C->K - 1;
        double mu[6 * 30];
        embed(C->K, C->dim, C->mu, d, mu);
        kmix *m = mk(C->K, d, C->pi, mu);
        double a = C->a, b = ddpm_b_of_a(a);
        kmix_result an, mc;
        kmix_loss_quad(q, m, a, b, C->w, KMIX_ALL, &an);
        for (int mode = 0; mode < 2; mode++) {
            ddpm_mc_opts o = { mode ? DDPM_MC_PROJECTED : DDPM_MC_EXPLICIT, mode ? 200000 : 40000,
                               spl_stream_seed(seed, c, (uint64_t)mode), 1 };
            CU_ASSERT_EQUAL_FATAL(kmix_loss_mc(m, a, b, C->w, &o, &mc), GSL_SUCCESS);
            ASSERT_WITHIN_SE(mc.loss.val, an.loss.val, mc.loss.err, 4);
            ASSERT_WITHIN_SE(mc.excess.val, an.excess.val, mc.excess.err, 4);
            for (size_t j = 0; j < n; j++) ASSERT_WITHIN_SE(mc.grad[j], an.grad[j], mc.grad_err[j], 4);
            for (size_t j = 0; j < n * n; j++) ASSERT_WITHIN_SE(mc.hess[j], an.hess[j], mc.hess_err[j], 4);
        }
        kmix_free(m);
    }
    kmix_quad_free(q);
}

/* Means in R^4 spanning r = 3: projected and explicit Monte Carlo agree
 * (no quadrature there). */
static void test_mc_r3(void)
{
    const double pi[4] = { 0.1, 0.2, 0.3, 0.4 };
    double mu[4 * 6] = { 0 };
    mu[0 * 6 + 0] = 1; mu[1 * 6 + 1] = 1.5; mu[2 * 6 + 2] = -1; mu[3 * 6 + 3] = 0.5;
    kmix *m = mk(4, 6, pi, mu);
    CU_ASSERT_EQUAL(m->r, 3);
    double w[3] = { 0.2, -0.1, 0.4 }, a = 0.8, b = ddpm_b_of_a(a);
    kmix_result e, p;
    ddpm_mc_opts oe = { DDPM_MC_EXPLICIT, 100000, 5, 1 }, op = { DDPM_MC_PROJECTED, 100000, 6, 1 };
    kmix_loss_mc(m, a, b, w, &oe, &e);
    kmix_loss_mc(m, a, b, w, &op, &p);
    ASSERT_WITHIN_SE(e.excess.val, p.excess.val, hypot(e.excess.err, p.excess.err), 4);
    for (size_t j = 0; j < 3; j++) ASSERT_WITHIN_SE(e.grad[j], p.grad[j], hypot(e.grad_err[j], p.grad_err[j]), 4);
    kmix_quad *q = kmix_quad_alloc(0, 0, NULL);
    CU_ASSERT_EQUAL(kmix_loss_quad(q, m, a, b, w, 0, &e), GSL_EDOM);   /* r = 3: no quadrature */
    kmix_quad_free(q);
    kmix_free(m);
}

/* Bit-identical Monte Carlo and sample sets for 1 and 2 threads (property test). */
static void test_threads(void)
{
    const kcase *C = &CASES[3];
    kmix *m = mk(C->K, C->dim, C->pi, C->mu);
    double a = C->a, b = ddpm_b_of_a(a);
    kmix_result r1, r2;
    ddpm_mc_opts o = { DDPM_MC_PROJECTED, 5000, 99, 1 };
    int nt = omp_get_max_threads();
    omp_set_num_threads(1);
    kmix_loss_mc(m, a, b, C->w, &o, &r1);
    kmix_sample *S1 = kmix_sample_draw(m, a, b, 3000, DDPM_MC_EXPLICIT, 7, NULL);
    omp_set_num_threads(2);
    kmix_loss_mc(m, a, b, C->w, &o, &r2);
    kmix_sample *S2 = kmix_sample_draw(m, a, b, 3000, DDPM_MC_EXPLICIT, 7, NULL);
    omp_set_num_threads(nt);
    CU_ASSERT(memcmp(&r1, &r2, sizeof r1) == 0);
    CU_ASSERT(memcmp(S1->y, S2->y, 3 * 3000 * m->r * sizeof(double)) == 0);
    CU_ASSERT(S1->orth == S2->orth);
    kmix_sample_free(S1);
    kmix_sample_free(S2);
    kmix_free(m);
}

/* Empirical loss: its gradient by central differences; its mean over many
 * samples is the population loss (within SE, via one big sample). */
static void test_sample_loss(void)
{
    const kcase *C = &CASES[2];
    kmix *m = mk(C->K, 3, C->pi, (double[]){ 0, 0, 1, 2, 0.5, 0, -0.5, 1.8, 0 });
    double a = C->a, b = ddpm_b_of_a(a);
    kmix_sample *S = kmix_sample_draw(m, a, b, 2000, DDPM_MC_PROJECTED, 3, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(S);
    double f, g[2], H[4], h = 1e-5;
    kmix_sample_loss(m, S, C->w, &f, g, H);
    for (size_t j = 0; j < 2; j++) {
        double wp[2] = { C->w[0], C->w[1] }, wm[2] = { C->w[0], C->w[1] }, fp, fm, gp[2], gm[2];
        wp[j] += h; wm[j] -= h;
        kmix_sample_loss(m, S, wp, &fp, gp, NULL);
        kmix_sample_loss(m, S, wm, &fm, gm, NULL);
        ASSERT_MIXED((fp - fm) / (2 * h), g[j], 1e-8, 1e-5);
        for (size_t i = 0; i < 2; i++) ASSERT_MIXED((gp[i] - gm[i]) / (2 * h), H[i * 2 + j], 1e-8, 1e-5);
    }
    kmix_sample_free(S);
    kmix_free(m);
}

/* Sandwich: the covariance of ŵ_n over R replicates against B⁻¹AB⁻¹/n, and
 * the MLE's against the CRLB; each entry within 4 SE of a covariance. */
static void test_sandwich(void)
{
    const kcase *C = &CASES[0];
    kmix *m = mk(C->K, C->dim, C->pi, C->mu);
    kmix_quad *q = kmix_quad_alloc(0, 0, NULL);
    double a = C->a, b = ddpm_b_of_a(a);
    kmix_sandwich sw;
    CU_ASSERT_EQUAL_FATAL(kmix_sandwich_level(q, m, a, b, &sw), GSL_SUCCESS);
    /* B is the Hessian at θ* */
    kmix_result r;
    kmix_loss_quad(q, m, a, b, m->theta, KMIX_ALL, &r);
    for (size_t i = 0; i < 4; i++) ASSERT_REL(sw.B[i], r.hess[i], 1e-10);
    const size_t R = 400, n = 1000;
    double *wd = malloc(R * 2 * sizeof *wd), *wm = malloc(R * 2 * sizeof *wm);
    uint64_t seed = cu_seed(14);
    int fails = 0;
    #pragma omp parallel for schedule(dynamic) reduction(+:fails)
    for (size_t k = 0; k < R; k++) {
        kmix_sample *S = kmix_sample_draw(m, a, b, n, DDPM_MC_PROJECTED, spl_stream_seed(seed, 0x5A, k), NULL);
        kmix_fit_result f1, f2;
        if (!S || kmix_fit_ddpm(m, S, NULL, 1e-9, 200, &f1) || kmix_fit_mle(m, S, 1e-12, 10000, &f2)) fails++;
        for (size_t j = 0; j < 2; j++) {
            wd[k * 2 + j] = (S ? f1.w[j] : NAN) - m->theta[j];
            wm[k * 2 + j] = (S ? f2.w[j] : NAN) - m->theta[j];
        }
        kmix_sample_free(S);
    }
    CU_ASSERT_EQUAL(fails, 0);
    for (int which = 0; which < 2; which++) {
        const double *x = which ? wm : wd, *pred = which ? sw.crlb_w : sw.cov_w;
        for (size_t i = 0; i < 2; i++)
            for (size_t j = 0; j < 2; j++) {
                double s = 0, s2 = 0;
                for (size_t k = 0; k < R; k++) {
                    double v = x[k * 2 + i] * x[k * 2 + j] * (double)n;
                    s += v; s2 += v * v;
                }
                double mean = s / R, se = sqrt((s2 / R - mean * mean) / (R - 1));
                ASSERT_WITHIN_SE(mean, pred[i * 2 + j], se, 4);
            }
    }
    /* efficiency: the CRLB is below the sandwich (diagonal) */
    for (size_t i = 0; i < 2; i++) CU_ASSERT(sw.crlb_w[i * 3] <= sw.cov_w[i * 3]);
    free(wd);
    free(wm);
    kmix_quad_free(q);
    kmix_free(m);
}

/* Gradient descent from a far start reaches θ*. */
static void test_gd(void)
{
    const kcase *C = &CASES[2];
    kmix *m = mk(C->K, C->dim, C->pi, C->mu);
    kmix_quad *q = kmix_quad_alloc(0, 0, NULL);
    kmix_obj_quad_ctx ctx = { q, m, C->a, ddpm_b_of_a(C->a) };
    kmix_gd *gd = kmix_gd_alloc();
    double w0[2] = { 3, -3 };
    kmix_result r;
    kmix_loss_quad(q, m, ctx.a, ctx.b, m->theta, KMIX_ALL, &r);
    CU_ASSERT_EQUAL_FATAL(kmix_gd_set(gd, kmix_obj_quad, &ctx, 3, w0, 1.0 / r.hess[0]), GSL_SUCCESS);
    for (int i = 0; i < 20000 && kmix_gd_test(gd, 1e-12) == GSL_CONTINUE; i++) kmix_gd_iterate(gd);
    for (size_t j = 0; j < 2; j++) ASSERT_MIXED(gd->w[j], m->theta[j], 1e-6, 0);
    kmix_gd_free(gd);
    kmix_quad_free(q);
    kmix_free(m);
}

static void test_bad_input(void)
{
    kmix *m = kmix_alloc(3, 2, NULL);
    double mu[6] = { 0, 0, 1, 0, 0, 1 }, e[128];
    char err[128];
    (void)e;
    CU_ASSERT_PTR_NULL(kmix_alloc(1, 2, NULL));
    CU_ASSERT_PTR_NULL(kmix_alloc(KMIX_KMAX + 1, 2, NULL));
    CU_ASSERT_EQUAL(kmix_set(m, (double[]){ 0.3, 0.3, 0.3 }, mu, err, sizeof err), GSL_EDOM);
    CU_ASSERT(strstr(err, "sum") != NULL);
    CU_ASSERT_EQUAL(kmix_set(m, (double[]){ 1.2, -0.1, -0.1 }, mu, err, sizeof err), GSL_EDOM);
    CU_ASSERT_EQUAL(kmix_set(m, (double[]){ 0.2, 0.3, 0.5 }, (double[]){ 0, 0, 1, 0, 1, 0 }, err, sizeof err), GSL_EDOM);
    CU_ASSERT(strstr(err, "coincide") != NULL);
    CU_ASSERT_EQUAL(kmix_set(m, (double[]){ 0.2, 0.3, 0.5 }, mu, err, sizeof err), GSL_SUCCESS);
    kmix_result r;
    double w[2] = { 0, 0 };
    CU_ASSERT_EQUAL(kmix_loss_quad(NULL, m, 0.5, ddpm_b_of_a(0.5), w, 0, &r), GSL_EINVAL);
    kmix_quad *q = kmix_quad_alloc(0, 0, NULL);
    CU_ASSERT_EQUAL(kmix_loss_quad(q, m, 1.5, 0.5, w, 0, &r), GSL_EDOM);
    w[0] = NAN;
    CU_ASSERT_EQUAL(kmix_loss_quad(q, m, 0.5, ddpm_b_of_a(0.5), w, 0, &r), GSL_EDOM);
    kmix_quad_free(q);
    kmix_free(m);
    kmix_free(NULL);
}

/* The simplex demo: one frame per step plus the start; GD ends at π (its
 * last iterate row lies on the ternary image of π); bad parameters refused. */
static void test_demo_simplex(void)
{
    pf_demo_opts d;
    pf_demo_opts_default(&d);
    d.steps = 12;
    plots_fig *f = plots_fig_alloc();
    size_t nf = 0;
    CU_ASSERT_EQUAL_FATAL(pf_demo_simplex(&d, f, &nf), GSL_SUCCESS);
    CU_ASSERT_EQUAL(nf, 13u);
    plots_fig_free(f);
    f = plots_fig_alloc();
    d.alpha = 1.0;
    CU_ASSERT_EQUAL(pf_demo_simplex(&d, f, &nf), GSL_EDOM);
    d.alpha = 0.7;
    d.steps = 0;
    CU_ASSERT_EQUAL(pf_demo_simplex(&d, f, &nf), GSL_EDOM);
    plots_fig_free(f);
}

CU_TestInfo cu_kmix_tests[] = {
    { "demo_simplex", test_demo_simplex },
    { "k2_reduction", test_k2_reduction },
    { "reference", test_reference },
    { "finite_differences", test_finite_differences },
    { "optimum", test_optimum },
    { "invariances", test_invariances },
    { "mc", test_mc },
    { "mc_r3", test_mc_r3 },
    { "threads", test_threads },
    { "sample_loss", test_sample_loss },
    { "sandwich", test_sandwich },
    { "gd", test_gd },
    { "bad_input", test_bad_input },
    CU_TEST_INFO_NULL
};
