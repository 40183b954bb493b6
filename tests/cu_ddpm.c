/* tests/cu_ddpm.c — the mixing-weight DDPM loss of ddpm/ddpm.h, tested
 * against THEORY.md §3–§6 independently of the implementation:
 *
 *  - a reference quadrature written here (GSL qagil/qagp/qagiu at epsrel
 *    1e-13, breakpoints at the component centres, the sigmoid transitions
 *    −w/k, −θ* / k and the exponentially tilted peaks) of every expectation;
 *  - closed forms and exact symmetries (label swap, shift, dimension);
 *  - the small-k Taylor expansion (derived below);
 *  - central finite differences with Richardson extrapolation;
 *  - Monte Carlo with its standard error, and the spread over seeds;
 *  - the empirical loss recomputed here from the stored projections;
 *  - the sandwich variance against the spread of ŵ over replicates;
 *  - gradient descent's local contraction factor |1 − η ℓ''(θ*)|.
 *
 * Notation: k = aΔ, v ~ π N(k/2,1) + (1−π) N(−k/2,1), ρ_w(v) = σ(w + k v),
 * ρ* = ρ_θ*, θ* = logit π, r = ρ*(1−ρ*), r_w = ρ_w(1−ρ_w), S = a²b²Δ².
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include "common/spl.h"
#include "gmm/gmm.h"
#include "ddpm/ddpm.h"
#include "ddpm/schedule.h"
#include "tests/cu_util.h"

#define INV_SQRT_2PI 0.39894228040143267794

/* ======================================================================
 * Reference quadrature (independent of ddpm/): E_v[g(v)] as
 *   π ∫ g(v) φ(v − k/2) dv + (1−π) ∫ g(v) φ(v + k/2) dv,
 * each integral split at sorted breakpoints, tails by qagil/qagiu.
 * ====================================================================== */
enum { G_R, G_R2, G_R3, G_DSQ, G_DR, G_H, G_HABS, G_S2, G_RHO, G_N };

typedef struct {
    int kind;
    double k, th, w;   /* slope, θ*, model logit */
    double m;          /* component centre ±k/2 */
    double amu;        /* G_S2: aμ = k/2 (symmetric case) */
} ref_par;

static double ref_g(double v, const ref_par *p)
{
    double xs = p->th + p->k * v, xw = p->w + p->k * v;
    double r = spl_sigmoid(xs) * spl_sigmoid(-xs);
    switch (p->kind) {
    case G_R: return r;
    case G_R2: return r * r;
    case G_R3: return r * r * r;
    case G_RHO: return spl_sigmoid(xs);
    default: break;
    }
    if (p->kind == G_S2) {
        /* s∥*(v) = −v + aμ tanh(aμ v + θ* / 2), THEORY.md §2 (c = 0) */
        double s = -v + p->amu * tanh(p->amu * v + 0.5 * p->th);
        return s * s;
    }
    double D = spl_sigmoid_diff(xw, xs);            /* ρ_w − ρ* */
    double rw = spl_sigmoid(xw) * spl_sigmoid(-xw);
    double om = -tanh(0.5 * xw);                    /* 1 − 2ρ_w */
    switch (p->kind) {
    case G_DSQ: return D * D;
    case G_DR: return D * rw;
    case G_H: return rw * rw + D * rw * om;
    case G_HABS: return rw * rw + fabs(D * rw * om);
    default: return NAN;
    }
}

static double ref_integrand(double v, void *vp)
{
    const ref_par *p = vp;
    double z = v - p->m;
    return ref_g(v, p) * INV_SQRT_2PI * exp(-0.5 * z * z);
}

static int cmp_dbl(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* ∫ g(v) φ(v − m) dv over R. */
static double ref_component(ref_par *p, double *abserr)
{
    gsl_integration_workspace *ref_ws = gsl_integration_workspace_alloc(1000);
    if (!ref_ws) { *abserr = INFINITY; return NAN; }
    double pts[32];
    size_t np = 0;
    const double m = p->m, k = p->k;
    pts[np++] = m;
    pts[np++] = m - 8;
    pts[np++] = m + 8;
    for (int j = 1; j <= 3; j++) {           /* exponentially tilted peaks */
        pts[np++] = m - j * k;
        pts[np++] = m + j * k;
        pts[np++] = m - j * k - 8;
        pts[np++] = m + j * k + 8;
    }
    if (k > 0) {
        double t1 = -p->w / k, t2 = -p->th / k;
        if (fabs(t1) < 1e4) { pts[np++] = t1; pts[np++] = t1 - 1; pts[np++] = t1 + 1; }
        if (fabs(t2) < 1e4) { pts[np++] = t2; pts[np++] = t2 - 1; pts[np++] = t2 + 1; }
    }
    qsort(pts, np, sizeof pts[0], cmp_dbl);
    size_t u = 1;
    for (size_t i = 1; i < np; i++)
        if (pts[i] - pts[u - 1] > 1e-9 * (1 + fabs(pts[i]))) pts[u++] = pts[i];
    np = u;
    gsl_function F = { ref_integrand, p };
    double res, err, total = 0, etot = 0;
    gsl_integration_qagil(&F, pts[0], 0, 1e-13, 1000, ref_ws, &res, &err);
    total += res; etot += err;
    if (np > 1) {
        gsl_integration_qagp(&F, pts, np, 0, 1e-13, 1000, ref_ws, &res, &err);
        total += res; etot += err;
    }
    gsl_integration_qagiu(&F, pts[np - 1], 0, 1e-13, 1000, ref_ws, &res, &err);
    total += res; etot += err;
    gsl_integration_workspace_free(ref_ws);
    *abserr = etot;
    return total;
}

/* E_v[g] for the mixture with weight pi, slope k. */
static double ref_expect(int kind, double k, double pi, double w, double *abserr)
{
    ref_par p = { kind, k, spl_logit(pi), w, 0.5 * k, 0.5 * k };
    double e1, e2;
    double i1 = ref_component(&p, &e1);
    p.m = -0.5 * k;
    double i2 = ref_component(&p, &e2);
    if (abserr) *abserr = pi * e1 + (1 - pi) * e2;
    return pi * i1 + (1 - pi) * i2;
}

typedef struct { double v[G_N], e[G_N]; } ref_mom;

static void ref_moments(double k, double pi, double w, ref_mom *R)
{
    for (int g = 0; g < G_N; g++) {
        if (g == G_S2 || g == G_RHO) { R->v[g] = R->e[g] = 0; continue; }
        R->v[g] = ref_expect(g, k, pi, w, &R->e[g]);
    }
}

static double b_of(double a) { return sqrt((1 - a) * (1 + a)); }

static gmm2 *mk_gmm(size_t d, double pi, double sep, double c)
{
    gmm2 *g = gmm2_alloc(d, NULL);
    if (g && gmm2_set(g, pi, sep, c) != GSL_SUCCESS) { gmm2_free(g); return NULL; }
    return g;
}

/* quiet mixed comparison that records the worst relative error */
static int close_enough(double obt, double ref, double atol, double rtol)
{
    return isfinite(obt) && fabs(obt - ref) <= atol + rtol * fabs(ref);
}

static double relerr(double obt, double ref, double scale)
{
    return fabs(obt - ref) / (scale > 0 ? scale : 1.0);
}

/* ======================================================================
 * 1. Quadrature against the reference over a grid of the box
 * ====================================================================== */
typedef struct {
    double worst[10];      /* worst actual relative error */
    double worst_rep;      /* worst reported relative error (sharpness of the estimates) */
    int nfail, nprint;
} grid_stats;

static const char *qname[10] = {
    "r", "r2", "r3", "dsq", "dr", "h", "loss", "excess", "grad", "hess"
};

static void grid_point(ddpm_quad *q, double sep, double c, double pi, double a, double w,
                       grid_stats *st)
{
    double b = b_of(a), k = a * sep, th = spl_logit(pi);
    ref_mom R;
    ref_moments(k, pi, w, &R);
    ddpm_moments m;
    int rc = ddpm_moments_eval(q, k, th, w, &m);
    gmm2 *g = mk_gmm(1, pi, sep, c);
    ddpm_loss_result L;
    int rc2 = g ? ddpm_loss_level(q, g, a, b, w, &L) : -1;
    gmm2_free(g);
    if (rc != GSL_SUCCESS || rc2 != GSL_SUCCESS) {
        if (st->nprint++ < 8)
            fprintf(stderr, "\n  grid: status %d/%d at Δ=%g c=%g π=%g a=%.17g w=%g\n",
                    rc, rc2, sep, c, pi, a, w);
        st->nfail++;
        return;
    }
    /* THEORY.md §3 from the reference moments */
    double S = a * a * b * b * sep * sep;
    double ref_loss = a * a * (1 + b * b * sep * sep * (R.v[G_R] + R.v[G_DSQ]));
    double ref_exc = S * R.v[G_DSQ];
    double ref_grad = 2 * S * R.v[G_DR];
    double ref_hess = 2 * S * R.v[G_H];
    const ddpm_val got[10] = { m.r, m.r2, m.r3, m.dsq, m.dr, m.h, L.loss, L.excess, L.grad, L.hess };
    const double ref[10] = { R.v[G_R], R.v[G_R2], R.v[G_R3], R.v[G_DSQ], R.v[G_DR], R.v[G_H],
                             ref_loss, ref_exc, ref_grad, ref_hess };
    /* scale of each quantity: |value|, except h/hess (sign change: scale of
     * the integral of |integrand|) and dsq/dr at w = θ* exactly (zero) */
    double hs = R.v[G_HABS];
    double scale[10] = { fabs(ref[0]), fabs(ref[1]), fabs(ref[2]), fabs(ref[3]), fabs(ref[4]), hs,
                         fabs(ref[6]), fabs(ref[7]), fabs(ref[8]), 2 * S * hs };
    /* at w = θ* the model terms vanish: measure them against r² (the Hessian scale) */
    double zscale[10] = { 0, 0, 0, R.v[G_R2], R.v[G_R2], 0, 0, S * R.v[G_R2], 2 * S * R.v[G_R2], 0 };
    for (int i = 0; i < 10; i++) {
        double sc = scale[i] > 0 ? scale[i] : zscale[i];
        double re = relerr(got[i].val, ref[i], sc);
        int ok = (sc == 0) ? fabs(got[i].val) <= 1e-300 : close_enough(got[i].val, ref[i], 1e-10 * sc, 0);
        /* honest error estimate: actual error ≤ 10·max(reported, 1e-13·scale) */
        double actual = fabs(got[i].val - ref[i]);
        int honest = isfinite(got[i].err) && got[i].err >= 0 &&
                     actual <= 10 * fmax(got[i].err, 1e-13 * sc) + 1e-300;
        if (isfinite(re) && re > st->worst[i]) st->worst[i] = re;
        if (sc > 0 && got[i].err / sc > st->worst_rep) st->worst_rep = got[i].err / sc;
        if (!ok || !honest) {
            st->nfail++;
            if (st->nprint++ < 12)
                fprintf(stderr, "\n  grid %s: Δ=%.6g c=%g π=%.17g a=%.17g w=%.17g: expected %.17g "
                        "obtained %.17g (rel %.3g of scale %.3g), reported err %.3g%s\n",
                        qname[i], sep, c, pi, a, w, ref[i], got[i].val, re, sc, got[i].err,
                        ok ? " [error estimate dishonest]" : "");
        }
    }
}

static void test_quadrature_grid(void)
{
    ddpm_quad *q = ddpm_quad_alloc();
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    grid_stats st;
    memset(&st, 0, sizeof st);
    /* deterministic grid: corners of the box, interior values, w = θ* */
    const double seps[] = { 0, 1e-3, 2, 12 };
    const double pis[] = { 1e-6, 0.3, 0.5, 1 - 1e-6 };
    const double as[] = { 1e-4, 0.5, 1 - 1e-10 };
    const double cs[] = { -5, 0, 5 };
    int npt = 0;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            for (int l = 0; l < 3; l++) {
                double th = spl_logit(pis[j]);
                const double ws[] = { -50, th, th + 1e-3, 2, 50 };
                for (int n = 0; n < 5; n++)
                    grid_point(q, seps[i], cs[npt++ % 3], pis[j], as[l], ws[n], &st);
            }
    /* 200 random points in the box */
    gsl_rng *r = spl_rng_alloc(cu_seed(20240601), 101, 0);
    for (int n = 0; n < 200; n++) {
        double sep = gsl_rng_uniform(r) * 12;
        double c = -5 + 10 * gsl_rng_uniform(r);
        double pi = spl_sigmoid(-13.8 + 27.6 * gsl_rng_uniform(r));
        double a = (n % 2) ? 1e-4 + (1 - 2e-4) * gsl_rng_uniform(r)
                           : 1 - pow(10.0, -1 - 9 * gsl_rng_uniform(r));
        double th = spl_logit(pi);
        double w = (n % 3) ? -50 + 100 * gsl_rng_uniform(r) : th + gsl_ran_gaussian(r, 1.0);
        if (w > 50) w = 50;
        if (w < -50) w = -50;
        grid_point(q, sep, c, pi, a, w, &st);
    }
    gsl_rng_free(r);
    fprintf(stderr, "\n  quadrature vs GSL reference, worst relative error:");
    for (int i = 0; i < 10; i++) fprintf(stderr, " %s %.2g", qname[i], st.worst[i]);
    fprintf(stderr, "\n  worst reported relative error estimate: %.2g\n", st.worst_rep);
    CU_ASSERT_EQUAL(st.nfail, 0);
    ddpm_quad_free(q);
}

/* The reference itself: its own error estimates are small, and it satisfies
 * the posterior identities E[ρ*] = π (ρ* is the posterior of component 1)
 * and E[ρ*] − E[ρ*²] = E[r], with E[ρ*²] = E[(ρ_w − ρ*)²] at ρ_w ≡ 0 ... here
 * taken as E[(ρ_w − ρ*)²] at w = θ* − 60 (ρ_w ≤ e^{-46} on the bulk). */
static void test_reference_sanity(void)
{
    const double ks[] = { 0, 0.3, 3, 12 };
    const double pis[] = { 1e-6, 0.3, 0.9 };
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++) {
            double k = ks[i], pi = pis[j], th = spl_logit(pi), e;
            double Er = ref_expect(G_R, k, pi, th, &e);
            CU_ASSERT(e <= 1e-11 * Er + 1e-300);
            double Erho = ref_expect(G_RHO, k, pi, th, &e);
            ASSERT_REL(Erho, pi, 1e-12);
            double Erho2 = ref_expect(G_DSQ, k, pi, th - 60, &e);
            double Eprod = ref_expect(G_DR, k, pi, th - 60, &e);   /* O(e^{-60}) */
            ASSERT_MIXED(Erho2 + Er, pi, 1e-18 + 1e3 * fabs(Eprod), 1e-12);
        }
}

/* ======================================================================
 * 2. At the optimum
 * ====================================================================== */
static void test_optimum(void)
{
    ddpm_quad *q = ddpm_quad_alloc();
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    const double as[] = { 0.05, 0.5, 0.9, 0.999 };
    const double seps[] = { 0.1, 1, 4, 10 };
    const double pis[] = { 1e-4, 0.2, 0.5, 0.95 };
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            for (int l = 0; l < 4; l++) {
                double a = as[i], b = b_of(a), sep = seps[j], pi = pis[l], th = spl_logit(pi);
                double S = a * a * b * b * sep * sep;
                gmm2 *g = mk_gmm(3, pi, sep, 0.7);
                CU_ASSERT_PTR_NOT_NULL_FATAL(g);
                ddpm_loss_result L;
                CU_ASSERT_EQUAL(ddpm_loss_level(q, g, a, b, th, &L), GSL_SUCCESS);
                double Er2 = ref_expect(G_R2, a * sep, pi, th, NULL);
                /* th is θ* rounded (by ≤ (1 + |θ*|) ulps): the exact gradient at
                 * w = th is ≈ 2S·(th − θ*)·E r², not 0 (the excess is its square) */
                double dth = 2 * DBL_EPSILON * (1 + fabs(th));
                CU_ASSERT(fabs(L.excess.val) <= 1e-15 * S * Er2 + 1e-300);
                CU_ASSERT(fabs(L.grad.val) <= (2 * dth + 1e-15) * S * Er2 + 1e-300);
                CU_ASSERT(fabs(L.grad.val) <= L.grad.err + 2 * dth * S * Er2);
                ASSERT_REL(L.hess.val, 2 * S * Er2, 1e-10);
                CU_ASSERT(L.hess.val > 0);
                gmm2_free(g);
            }
    ddpm_quad_free(q);
}

/* ======================================================================
 * 3. Symmetric case: loss(θ*) = a²(d−1) + 1 − b² E[s∥*²] with the tanh score
 * ====================================================================== */
static void test_symmetric_score(void)
{
    ddpm_quad *q = ddpm_quad_alloc();
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    const double as[] = { 0.3, 0.7, 0.95 };
    const double seps[] = { 0.5, 2, 6 };
    const double pis[] = { 0.05, 0.5, 0.8 };
    const size_t ds[] = { 1, 7 };
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            for (int l = 0; l < 3; l++)
                for (int n = 0; n < 2; n++) {
                    double a = as[i], b = b_of(a), sep = seps[j], pi = pis[l];
                    double th = spl_logit(pi), k = a * sep;
                    ref_par p = { G_S2, k, th, th, 0.5 * k, 0.5 * k };
                    double e1, e2;
                    double Es2 = pi * ref_component(&p, &e1);
                    p.m = -0.5 * k;
                    Es2 += (1 - pi) * ref_component(&p, &e2);
                    double d = (double)ds[n];
                    double alt = a * a * (d - 1) + 1 - b * b * Es2;
                    gmm2 *g = mk_gmm(ds[n], pi, sep, 0.0);
                    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
                    ddpm_loss_result L;
                    CU_ASSERT_EQUAL(ddpm_loss_level(q, g, a, b, th, &L), GSL_SUCCESS);
                    ASSERT_MIXED(L.loss.val, alt, 1e-12, 1e-11);
                    gmm2_free(g);
                }
    ddpm_quad_free(q);
}

/* ======================================================================
 * 4. Label swap, 5. shift, 6. dimension
 * ====================================================================== */
static void test_label_swap(void)
{
    ddpm_quad *q = ddpm_quad_alloc();
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    const double pis[] = { 0.125, 0.25, 0.5, 0.9375, 1.0 / 1024 };
    const double as[] = { 0.1, 0.6, 0.99 };
    const double seps[] = { 0.3, 2.5, 9 };
    const double ws[] = { -7.5, -1, 0.25, 3 };
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 3; j++)
            for (int l = 0; l < 3; l++)
                for (int n = 0; n < 4; n++) {
                    double pi = pis[i], a = as[j], b = b_of(a), sep = seps[l], w = ws[n];
                    gmm2 *g1 = mk_gmm(2, pi, sep, 0.4), *g2 = mk_gmm(2, 1 - pi, sep, 0.4);
                    CU_ASSERT_PTR_NOT_NULL_FATAL(g1);
                    CU_ASSERT_PTR_NOT_NULL_FATAL(g2);
                    ddpm_loss_result L1, L2;
                    CU_ASSERT_EQUAL(ddpm_loss_level(q, g1, a, b, w, &L1), GSL_SUCCESS);
                    CU_ASSERT_EQUAL(ddpm_loss_level(q, g2, a, b, -w, &L2), GSL_SUCCESS);
                    double S = a * a * b * b * sep * sep;
                    ASSERT_REL(L2.loss.val, L1.loss.val, 1e-12);
                    ASSERT_REL(L2.excess.val, L1.excess.val, 1e-11);
                    ASSERT_REL(L2.grad.val, -L1.grad.val, 1e-11);
                    ASSERT_MIXED(L2.hess.val, L1.hess.val, 1e-12 * S, 1e-11);
                    gmm2_free(g1);
                    gmm2_free(g2);
                }
    ddpm_quad_free(q);
}

static void test_shift_invariance(void)
{
    ddpm_quad *q = ddpm_quad_alloc();
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    const double cs[] = { -5, -1.3, 0.2, 2.7, 5 };
    const double as[] = { 0.2, 0.8 };
    const double pis[] = { 0.1, 0.6 };
    const double ws[] = { -2, 0.5, 4 };
    for (int j = 0; j < 2; j++)
        for (int l = 0; l < 2; l++)
            for (int n = 0; n < 3; n++) {
                double a = as[j], b = b_of(a), sep = 3.0, S = a * a * b * b * sep * sep;
                gmm2 *g0 = mk_gmm(1, pis[l], sep, 0.0);
                CU_ASSERT_PTR_NOT_NULL_FATAL(g0);
                ddpm_loss_result L0;
                CU_ASSERT_EQUAL(ddpm_loss_level(q, g0, a, b, ws[n], &L0), GSL_SUCCESS);
                for (int i = 0; i < 5; i++) {
                    gmm2 *g = mk_gmm(1, pis[l], sep, cs[i]);
                    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
                    ddpm_loss_result L;
                    CU_ASSERT_EQUAL(ddpm_loss_level(q, g, a, b, ws[n], &L), GSL_SUCCESS);
                    ASSERT_REL(L.loss.val, L0.loss.val, 1e-12);
                    ASSERT_REL(L.excess.val, L0.excess.val, 1e-12);
                    ASSERT_REL(L.grad.val, L0.grad.val, 1e-12);
                    ASSERT_MIXED(L.hess.val, L0.hess.val, 1e-13 * S, 1e-12);
                    gmm2_free(g);
                }
                gmm2_free(g0);
            }
    ddpm_quad_free(q);
}

static void test_dimension(void)
{
    ddpm_quad *q = ddpm_quad_alloc();
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    const size_t ds[] = { 2, 10, 1000, 100000 };
    const double a = 0.6, b = 0.8, w = 1.3;
    gmm2 *g1 = mk_gmm(1, 0.3, 2.0, 1.0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g1);
    ddpm_loss_result L1;
    CU_ASSERT_EQUAL(ddpm_loss_level(q, g1, a, b, w, &L1), GSL_SUCCESS);
    for (int i = 0; i < 4; i++) {
        gmm2 *g = mk_gmm(ds[i], 0.3, 2.0, 1.0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(g);
        ddpm_loss_result L;
        CU_ASSERT_EQUAL(ddpm_loss_level(q, g, a, b, w, &L), GSL_SUCCESS);
        ASSERT_REL(L.loss.val - L1.loss.val, a * a * (double)(ds[i] - 1), 1e-12);
        ASSERT_REL(L.excess.val, L1.excess.val, TOL1);
        ASSERT_REL(L.grad.val, L1.grad.val, TOL1);
        ASSERT_REL(L.hess.val, L1.hess.val, TOL1);
        gmm2_free(g);
    }
    gmm2_free(g1);
    ddpm_quad_free(q);
}

/* ======================================================================
 * 7. Limits.  For k → 0, with σ' = σ(1−σ), σ'' = σ'(1−2σ),
 *   δ = σ(w) − π, δ1 = σ'(w) − σ'(θ*), δ2 = σ''(w) − σ''(θ*),
 * and E v = (2π−1)k/2, E v² = 1 + k²/4, E v³ = O(k):
 *   E(ρ_w − ρ*)² = δ² + k²[(2π−1)δδ1 + δ1² + δδ2] + O(k⁴)
 *   E(ρ_w − ρ*) r_w = δσ'(w) + O(k²)
 *   E[r_w² + (ρ_w−ρ*) r_w (1−2ρ_w)] = σ'(w)² + δσ'(w)(1−2σ(w)) + O(k²)
 *   E r = π(1−π) + O(k²)
 * ====================================================================== */
static double sg1(double x) { return spl_sigmoid(x) * spl_sigmoid(-x); }
static double sg2(double x) { return sg1(x) * (-tanh(0.5 * x)); }

static void test_limits(void)
{
    ddpm_quad *q = ddpm_quad_alloc();
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    /* Δ = 0 exactly: excess, grad, hess vanish, loss = a²d */
    {
        gmm2 *g = mk_gmm(4, 0.3, 0.0, 1.0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(g);
        ddpm_loss_result L;
        CU_ASSERT_EQUAL(ddpm_loss_level(q, g, 0.6, 0.8, 2.0, &L), GSL_SUCCESS);
        CU_ASSERT(L.excess.val == 0);
        CU_ASSERT(L.grad.val == 0);
        CU_ASSERT(L.hess.val == 0);
        ASSERT_REL(L.loss.val, 0.36 * 4, TOL1);
        gmm2_free(g);
    }
    const double pis[] = { 0.3, 0.8 };
    const double ws[] = { -1.5, 1.0, 2.5 };
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++) {
            double pi = pis[i], th = spl_logit(pi), w = ws[j];
            double dl = spl_sigmoid(w) - pi, d1 = sg1(w) - sg1(th), d2 = sg2(w) - sg2(th);
            double C2 = (2 * pi - 1) * dl * d1 + d1 * d1 + dl * d2;
            double g0 = dl * sg1(w);
            double h0 = sg1(w) * sg1(w) + dl * sg1(w) * (-tanh(0.5 * w));
            /* (i) Δ → 0 at a = 0.6, (ii) a → 0 at Δ = 3 */
            for (int mode = 0; mode < 2; mode++)
                for (int e = 0; e < 2; e++) {
                    double k = e ? 1e-3 : 1e-2;
                    double a = mode ? k / 3.0 : 0.6, sep = mode ? 3.0 : k / 0.6;
                    double b = b_of(a);
                    k = a * sep;
                    double S = a * a * b * b * sep * sep;
                    gmm2 *g = mk_gmm(2, pi, sep, -0.5);
                    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
                    ddpm_loss_result L;
                    CU_ASSERT_EQUAL(ddpm_loss_level(q, g, a, b, w, &L), GSL_SUCCESS);
                    /* leading order: ratios → 1 with O(k²) error */
                    ASSERT_REL(L.excess.val / (S * dl * dl), 1.0, 100 * k * k);
                    ASSERT_REL(L.grad.val / (2 * S * g0), 1.0, 100 * k * k);
                    ASSERT_REL(L.hess.val / (2 * S * h0), 1.0, 100 * k * k);
                    ASSERT_REL(L.loss.val / (a * a * (2 + b * b * sep * sep * (pi * (1 - pi) + dl * dl))),
                               1.0, 100 * k * k);
                    /* second order of E(ρ_w − ρ*)²: relative error O(k²) */
                    double c2 = (L.excess.val / S - dl * dl) / (k * k);
                    ASSERT_REL(c2, C2, 1e-3);
                    gmm2_free(g);
                }
        }
    ddpm_quad_free(q);
}

/* ======================================================================
 * 8. Finite differences (Richardson-extrapolated central differences)
 * ====================================================================== */
typedef int (*eval_fn)(void *ctx, double w, double *f, double *g, double *h);

typedef struct { ddpm_quad *q; const gmm2 *g; double a, b; const ddpm_schedule *s; } fd_ctx;

static int ev_level(void *ctx, double w, double *f, double *g, double *h)
{
    fd_ctx *c = ctx;
    ddpm_loss_result L;
    int rc = ddpm_loss_level(c->q, c->g, c->a, c->b, w, &L);
    *f = L.loss.val; *g = L.grad.val; *h = L.hess.val;
    return rc;
}

static int ev_avg(void *ctx, double w, double *f, double *g, double *h)
{
    fd_ctx *c = ctx;
    ddpm_loss_result L;
    int rc = ddpm_loss_avg(c->q, c->g, c->s, w, &L);
    *f = L.loss.val; *g = L.grad.val; *h = L.hess.val;
    return rc;
}

static int ev_sample(void *ctx, double w, double *f, double *g, double *h)
{
    return ddpm_sample_loss(ctx, w, f, g, h);
}

/* Richardson: D(h) = (f(w+h) − f(w−h))/2h, (4D(h/2) − D(h))/3 = f' + O(h⁴). */
static void fd_check(eval_fn fn, void *ctx, double w, double h, double atol, double rtol,
                     const char *what)
{
    double f0, g0, h0, fp, gp, hp, fm, gm, hm, fp2, gp2, hp2, fm2, gm2, hm2;
    int rc = fn(ctx, w, &f0, &g0, &h0) | fn(ctx, w + h, &fp, &gp, &hp) | fn(ctx, w - h, &fm, &gm, &hm)
           | fn(ctx, w + h / 2, &fp2, &gp2, &hp2) | fn(ctx, w - h / 2, &fm2, &gm2, &hm2);
    CU_ASSERT_EQUAL(rc, GSL_SUCCESS);
    double Dg1 = (fp - fm) / (2 * h), Dg2 = (fp2 - fm2) / h;
    double Dh1 = (gp - gm) / (2 * h), Dh2 = (gp2 - gm2) / h;
    double fdg = (4 * Dg2 - Dg1) / 3, fdh = (4 * Dh2 - Dh1) / 3;
    if (!close_enough(g0, fdg, atol, rtol) || !close_enough(h0, fdh, atol, rtol))
        fprintf(stderr, "\n  FD %s at w=%.6g: grad %.15g vs FD %.15g; hess %.15g vs FD %.15g\n",
                what, w, g0, fdg, h0, fdh);
    ASSERT_MIXED(fdg, g0, atol, rtol);
    ASSERT_MIXED(fdh, h0, atol, rtol);
}

static void test_finite_differences(void)
{
    ddpm_quad *q = ddpm_quad_alloc();
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    const double as[] = { 0.2, 0.7, 0.99 };
    const double seps[] = { 0.5, 3, 8 };
    const double pis[] = { 0.1, 0.5, 0.9 };
    const double dws[] = { -2, 0.5, 3 };
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            for (int l = 0; l < 3; l++) {
                gmm2 *g = mk_gmm(1, pis[l], seps[j], 0.3);
                CU_ASSERT_PTR_NOT_NULL_FATAL(g);
                fd_ctx c = { q, g, as[i], b_of(as[i]), NULL };
                double S = as[i] * as[i] * c.b * c.b * seps[j] * seps[j];
                for (int n = 0; n < 3; n++)
                    fd_check(ev_level, &c, spl_logit(pis[l]) + dws[n], 0.02, 1e-8 * S, 1e-6, "level");
                gmm2_free(g);
            }
    /* time averages over short linear and cosine schedules */
    for (int kind = 0; kind < 2; kind++) {
        ddpm_schedule *s = ddpm_schedule_alloc(kind ? DDPM_COSINE : DDPM_LINEAR, 50, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        gmm2 *g = mk_gmm(1, 0.3, 3.0, -1.0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(g);
        fd_ctx c = { q, g, 0, 0, s };
        double Sbar = 0;
        for (size_t i = 0; i < s->T; i++) Sbar += s->a[i] * s->a[i] * s->b[i] * s->b[i] * 9.0 / s->T;
        const double ws[] = { -3, -0.5, 0.8, 2.5 };
        for (int n = 0; n < 4; n++)
            fd_check(ev_avg, &c, ws[n], 0.02, 1e-8 * Sbar, 1e-6, kind ? "avg cosine" : "avg linear");
        gmm2_free(g);
        ddpm_schedule_free(s);
    }
    /* empirical loss on a small sample, one level and t uniform */
    {
        gmm2 *g = mk_gmm(3, 0.4, 2.0, 0.5);
        ddpm_schedule *s = ddpm_schedule_alloc(DDPM_LINEAR, 100, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(g);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        for (int m = 0; m < 2; m++) {
            ddpm_sample *S = ddpm_sample_draw(g, m ? s : NULL, 0.7, b_of(0.7), 200,
                                              DDPM_MC_PROJECTED, cu_seed(20240601) + 17, NULL);
            CU_ASSERT_PTR_NOT_NULL_FATAL(S);
            const double ws[] = { -2, -0.4, 1.1 };
            for (int n = 0; n < 3; n++)
                fd_check(ev_sample, S, ws[n], 1e-2, 1e-10, 1e-6, m ? "sample (t uniform)" : "sample");
            ddpm_sample_free(S);
        }
        ddpm_schedule_free(s);
        gmm2_free(g);
    }
    ddpm_quad_free(q);
}

/* ======================================================================
 * 9. Time average = mean of the levels
 * ====================================================================== */
static void test_time_average(void)
{
    ddpm_quad *q = ddpm_quad_alloc();
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    const ddpm_schedule_kind kinds[] = { DDPM_LINEAR, DDPM_COSINE };
    const size_t Ts[] = { 50, 1000 };
    for (int kk = 0; kk < 2; kk++)
        for (int tt = 0; tt < 2; tt++) {
            ddpm_schedule *s = ddpm_schedule_alloc(kinds[kk], Ts[tt], NULL);
            CU_ASSERT_PTR_NOT_NULL_FATAL(s);
            gmm2 *g = mk_gmm(5, 0.25, 2.5, 0.3);
            CU_ASSERT_PTR_NOT_NULL_FATAL(g);
            const double ws[] = { -1.8, 0.7 };
            for (int n = 0; n < 2; n++) {
                ddpm_loss_result A, L;
                CU_ASSERT_EQUAL(ddpm_loss_avg(q, g, s, ws[n], &A), GSL_SUCCESS);
                long double sl = 0, se = 0, sg = 0, sh = 0;
                for (size_t i = 0; i < s->T; i++) {
                    CU_ASSERT_EQUAL(ddpm_loss_level(q, g, s->a[i], s->b[i], ws[n], &L), GSL_SUCCESS);
                    sl += L.loss.val; se += L.excess.val; sg += L.grad.val; sh += L.hess.val;
                }
                ASSERT_REL(A.loss.val, (double)(sl / s->T), 1e-13);
                ASSERT_REL(A.excess.val, (double)(se / s->T), 1e-13);
                ASSERT_REL(A.grad.val, (double)(sg / s->T), 1e-13);
                ASSERT_REL(A.hess.val, (double)(sh / s->T), 1e-13);
            }
            gmm2_free(g);
            ddpm_schedule_free(s);
        }
    ddpm_quad_free(q);
}

/* ======================================================================
 * 10. Monte Carlo against the analytic values
 * ====================================================================== */
static void mc_compare(const ddpm_loss_result *mc, const ddpm_loss_result *an, double k)
{
    CU_ASSERT(mc->loss.err > 0 && mc->grad.err > 0 && mc->hess.err > 0 && mc->excess.err > 0);
    ASSERT_WITHIN_SE(mc->loss.val, an->loss.val, mc->loss.err, k);
    ASSERT_WITHIN_SE(mc->excess.val, an->excess.val, mc->excess.err, k);
    ASSERT_WITHIN_SE(mc->grad.val, an->grad.val, mc->grad.err, k);
    ASSERT_WITHIN_SE(mc->hess.val, an->hess.val, mc->hess.err, k);
}

static void test_mc_level(void)
{
    ddpm_quad *q = ddpm_quad_alloc();
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    uint64_t seed = cu_seed(20240601);
    gsl_rng *r = spl_rng_alloc(seed, 102, 0);
    const size_t ds[] = { 1, 10, 1000 };
    const double as[] = { 0.7, 0.25 };
    const double ws[] = { 0.4, -2.0 };
    for (int i = 0; i < 3; i++)
        for (int l = 0; l < 2; l++) {
            double a = as[l], b = b_of(a), w = ws[l];
            gmm2 *g = mk_gmm(ds[i], 0.3, 2.5, 1.0);
            CU_ASSERT_PTR_NOT_NULL_FATAL(g);
            if (ds[i] > 1) gmm2_set_direction_random(g, r);
            ddpm_loss_result an, mc;
            CU_ASSERT_EQUAL(ddpm_loss_level(q, g, a, b, w, &an), GSL_SUCCESS);
            for (int mode = 0; mode < 3; mode++) {
                ddpm_mc_opts o = { mode == 0 ? DDPM_MC_EXPLICIT : DDPM_MC_PROJECTED,
                                   mode == 0 ? 20000 : 100000,
                                   seed + 10 * i + l + 100 * mode, mode == 2 };
                CU_ASSERT_EQUAL(ddpm_mc_level(g, a, b, w, &o, &mc), GSL_SUCCESS);
                mc_compare(&mc, &an, 4.0);
            }
            gmm2_free(g);
        }
    gsl_rng_free(r);
    ddpm_quad_free(q);
}

static void test_mc_avg(void)
{
    ddpm_quad *q = ddpm_quad_alloc();
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    uint64_t seed = cu_seed(20240601);
    /* a short schedule too: with T = 5 every level carries weight 1/5, so a
     * wrong law of t (e.g. a level never drawn) is visible */
    const ddpm_schedule_kind kinds[] = { DDPM_LINEAR, DDPM_COSINE, DDPM_COSINE };
    const size_t Ts[] = { 1000, 1000, 5 };
    for (int kk = 0; kk < 3; kk++) {
        ddpm_schedule *s = ddpm_schedule_alloc(kinds[kk], Ts[kk], NULL);
        gmm2 *g = mk_gmm(10, 0.7, 3.0, -2.0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        CU_ASSERT_PTR_NOT_NULL_FATAL(g);
        ddpm_loss_result an, mc;
        const double w = 0.1;
        CU_ASSERT_EQUAL(ddpm_loss_avg(q, g, s, w, &an), GSL_SUCCESS);
        for (int mode = 0; mode < 3; mode++) {
            ddpm_mc_opts o = { mode == 0 ? DDPM_MC_EXPLICIT : DDPM_MC_PROJECTED,
                               mode == 0 ? 20000 : 100000, seed + 7 + mode + 10 * kk, mode == 2 };
            CU_ASSERT_EQUAL(ddpm_mc_avg(g, s, w, &o, &mc), GSL_SUCCESS);
            mc_compare(&mc, &an, 4.0);
        }
        gmm2_free(g);
        ddpm_schedule_free(s);
    }
    ddpm_quad_free(q);
}

/* Spread of the estimates over R seeds against the mean reported SE. */
static void test_mc_se_honest(void)
{
    uint64_t seed = cu_seed(20240601);
    /* R = 100: sd/σ has relative sd ≈ 1/√(2(R−1)) = 0.07, so [0.7, 1.4] is
     * more than 4 of them (χ² tails) while a wrong factor of 2 is far outside */
    const int R = 100;
    gmm2 *g = mk_gmm(10, 0.3, 2.5, 0.5);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    const double a = 0.7, b = b_of(a), w = 0.4;
    for (int mode = 0; mode < 3; mode++) {
        spl_stat est[4], se[4];
        memset(est, 0, sizeof est);
        memset(se, 0, sizeof se);
        for (int rep = 0; rep < R; rep++) {
            ddpm_mc_opts o = { mode == 0 ? DDPM_MC_EXPLICIT : DDPM_MC_PROJECTED,
                               mode == 0 ? 1024 : 2048, spl_stream_seed(seed, 103, (uint64_t)(rep + 100 * mode)),
                               mode == 2 };
            ddpm_loss_result mc;
            CU_ASSERT_EQUAL(ddpm_mc_level(g, a, b, w, &o, &mc), GSL_SUCCESS);
            const ddpm_val *v[4] = { &mc.loss, &mc.excess, &mc.grad, &mc.hess };
            for (int j = 0; j < 4; j++) {
                spl_stat_add(&est[j], v[j]->val);
                spl_stat_add(&se[j], v[j]->err);
            }
        }
        for (int j = 0; j < 4; j++) {
            double ratio = spl_stat_sd(&est[j]) / se[j].mean;
            if (!(ratio >= 0.7 && ratio <= 1.4))
                fprintf(stderr, "\n  MC SE honesty (mode %d, %s): sd over seeds %.4g / mean SE %.4g = %.3f\n",
                        mode, qname[6 + j], spl_stat_sd(&est[j]), se[j].mean, ratio);
            CU_ASSERT(ratio >= 0.7 && ratio <= 1.4);
        }
    }
    gmm2_free(g);
}

/* ======================================================================
 * 11. Reproducibility
 * ====================================================================== */
static void test_mc_threads(void)
{
    uint64_t seed = cu_seed(20240601);
    gmm2 *g = mk_gmm(20, 0.4, 2.0, 0.0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_COSINE, 200, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    int saved = omp_get_max_threads();
    for (int mode = 0; mode < 3; mode++) {
        ddpm_mc_opts o = { mode == 0 ? DDPM_MC_EXPLICIT : DDPM_MC_PROJECTED, 5000, seed + 5, mode == 2 };
        ddpm_loss_result r1, r2, r3, r4, a1, a2;
        memset(&r1, 0, sizeof r1); memset(&r2, 0, sizeof r2);
        memset(&r3, 0, sizeof r3); memset(&r4, 0, sizeof r4);
        memset(&a1, 0, sizeof a1); memset(&a2, 0, sizeof a2);
        omp_set_num_threads(1);
        CU_ASSERT_EQUAL(ddpm_mc_level(g, 0.6, 0.8, 0.3, &o, &r1), GSL_SUCCESS);
        CU_ASSERT_EQUAL(ddpm_mc_avg(g, s, 0.3, &o, &a1), GSL_SUCCESS);
        omp_set_num_threads(2);
        CU_ASSERT_EQUAL(ddpm_mc_level(g, 0.6, 0.8, 0.3, &o, &r2), GSL_SUCCESS);
        CU_ASSERT_EQUAL(ddpm_mc_avg(g, s, 0.3, &o, &a2), GSL_SUCCESS);
        CU_ASSERT_EQUAL(ddpm_mc_level(g, 0.6, 0.8, 0.3, &o, &r3), GSL_SUCCESS);
        CU_ASSERT(memcmp(&r1, &r2, sizeof r1) == 0);
        CU_ASSERT(memcmp(&r2, &r3, sizeof r1) == 0);
        CU_ASSERT(memcmp(&a1, &a2, sizeof a1) == 0);
        o.seed = seed + 6;
        CU_ASSERT_EQUAL(ddpm_mc_level(g, 0.6, 0.8, 0.3, &o, &r4), GSL_SUCCESS);
        CU_ASSERT(r4.loss.val != r1.loss.val);
        CU_ASSERT(r4.grad.val != r1.grad.val);
    }
    omp_set_num_threads(saved);
    ddpm_schedule_free(s);
    gmm2_free(g);
}

/* ======================================================================
 * 12. Empirical sample sets
 * ====================================================================== */

/* Per-sample parallel residual, THEORY.md §3: with x0 = x0·u (uncentred),
 * x_t∥ = a x0 + b e and m_w = ρ_w m1 + (1−ρ_w) m2 = c + Δ(ρ_w − 1/2),
 *   e + b s∥_w = e − b(a x0 + b e) + ab m_w = a² e − ab(x0 − c) + abΔ(ρ_w − 1/2),
 * ρ_w = σ(w + aΔ·(a(x0 − c) + b e)).  Computed from x0 and e, not from S->v. */
static double my_resid(const ddpm_sample *S, size_t i, double w, double c)
{
    double a = S->a[i], b = S->b[i], x0c = S->x0[i] - c;
    double rho = spl_sigmoid(w + a * S->sep * (a * x0c + b * S->e[i]));
    return a * a * S->e[i] - a * b * x0c + a * b * S->sep * (rho - 0.5);
}

static void test_sample_sets(void)
{
    ddpm_quad *q = ddpm_quad_alloc();
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    uint64_t seed = cu_seed(20240601);
    const size_t d = 5;
    const double pi = 0.3, sep = 2.5, c = 1.5, a = 0.7, b = b_of(a), w = -0.2;
    gmm2 *g = mk_gmm(d, pi, sep, c);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    gsl_rng *r = spl_rng_alloc(seed, 104, 0);
    gmm2_set_direction_random(g, r);
    gsl_rng_free(r);
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_LINEAR, 1000, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    ddpm_loss_result an_lvl, an_avg;
    CU_ASSERT_EQUAL(ddpm_loss_level(q, g, a, b, w, &an_lvl), GSL_SUCCESS);
    CU_ASSERT_EQUAL(ddpm_loss_avg(q, g, s, w, &an_avg), GSL_SUCCESS);
    /* a²χ²_{d−1} with t uniform: mean (d−1)E a², variance 2(d−1)E a⁴ + (d−1)²Var a² */
    double ma2 = 0, ma4 = 0;
    for (size_t i = 0; i < s->T; i++) {
        ma2 += s->a[i] * s->a[i] / s->T;
        ma4 += pow(s->a[i], 4) / s->T;
    }
    const double dm1 = (double)(d - 1);
    double orth_avg = dm1 * ma2, orth_var_avg = 2 * dm1 * ma4 + dm1 * dm1 * (ma4 - ma2 * ma2);
    for (int mode = 0; mode < 2; mode++)
        for (int tu = 0; tu < 2; tu++) {
            size_t n = mode == 0 ? 20000 : 100000;
            ddpm_sample *S = ddpm_sample_draw(g, tu ? s : NULL, a, b, n,
                                              mode ? DDPM_MC_PROJECTED : DDPM_MC_EXPLICIT,
                                              seed + 31 + mode + 2 * tu, NULL);
            CU_ASSERT_PTR_NOT_NULL_FATAL(S);
            CU_ASSERT_EQUAL(S->n, n);
            ASSERT_REL(S->sep, sep, TOL0);
            CU_ASSERT(S->mode == (mode ? DDPM_MC_PROJECTED : DDPM_MC_EXPLICIT));
            /* structure: v = a(x0 − c) + b e; levels from the schedule (or the one given) */
            spl_stat sx, se, sres;
            memset(&sx, 0, sizeof sx); memset(&se, 0, sizeof se); memset(&sres, 0, sizeof sres);
            size_t bad = 0;
            for (size_t i = 0; i < n; i++) {
                if (fabs(S->v[i] - (S->a[i] * (S->x0[i] - c) + S->b[i] * S->e[i])) > 1e-13 * (1 + fabs(S->v[i]) + fabs(c)))
                    bad++;
                if (!tu && (S->a[i] != a || S->b[i] != b)) bad++;
                if (fabs(S->a[i] * S->a[i] + S->b[i] * S->b[i] - 1) > 1e-14) bad++;
                spl_stat_add(&sx, S->x0[i]);
                spl_stat_add(&se, S->e[i]);
                double res = my_resid(S, i, w, c);
                spl_stat_add(&sres, res * res);
            }
            CU_ASSERT_EQUAL(bad, 0);
            /* law: x0·u has mean c + (2π−1)Δ/2 (π is the weight of m1 = c + Δ/2)
             * and variance 1 + π(1−π)Δ²; e ~ N(0,1) */
            double vx = 1 + pi * (1 - pi) * sep * sep;
            ASSERT_WITHIN_SE(sx.mean, c + (2 * pi - 1) * sep / 2, sqrt(vx / n), 4);
            ASSERT_WITHIN_SE(spl_stat_sd(&sx) * spl_stat_sd(&sx), vx, sqrt(2.0 * vx * vx / n) * 1.5, 4);
            ASSERT_WITHIN_SE(se.mean, 0.0, sqrt(1.0 / n), 4);
            ASSERT_WITHIN_SE(spl_stat_sd(&se) * spl_stat_sd(&se), 1.0, sqrt(2.0 / n), 4);
            /* orthogonal part: mean of a²χ²_{d−1} */
            double orth_mean = tu ? orth_avg : a * a * (d - 1);
            double orth_se = tu ? sqrt(orth_var_avg / n) : a * a * sqrt(2.0 * dm1 / n);
            ASSERT_WITHIN_SE(S->orth, orth_mean, orth_se, 4);
            /* empirical loss: recomputed here from the projections, and its law */
            double loss, grad, hess;
            CU_ASSERT_EQUAL(ddpm_sample_loss(S, w, &loss, &grad, &hess), GSL_SUCCESS);
            ASSERT_REL(loss, sres.mean + S->orth, 1e-12);
            const ddpm_loss_result *an = tu ? &an_avg : &an_lvl;
            double an_par = an->loss.val - orth_mean;
            ASSERT_WITHIN_SE(sres.mean, an_par, spl_stat_se(&sres), 4);
            /* NULL outputs are allowed */
            double l2;
            CU_ASSERT_EQUAL(ddpm_sample_loss(S, w, &l2, NULL, NULL), GSL_SUCCESS);
            CU_ASSERT(l2 == loss);
            CU_ASSERT_EQUAL(ddpm_sample_loss(S, w, NULL, NULL, NULL), GSL_SUCCESS);
            ddpm_sample_free(S);
        }
    ddpm_sample_free(NULL);
    ddpm_schedule_free(s);
    gmm2_free(g);
    ddpm_quad_free(q);
}

static void test_fits(void)
{
    uint64_t seed = cu_seed(20240601);
    const double pi = 0.3, sep = 2.0, c = 1.5, a = 0.8, b = 0.6;
    gmm2 *g = mk_gmm(3, pi, sep, c);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_COSINE, 100, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    for (int mode = 0; mode < 2; mode++)
        for (int tu = 0; tu < 2; tu++) {
            size_t n = 3000;
            ddpm_sample *S = ddpm_sample_draw(g, tu ? s : NULL, a, b, n,
                                              mode ? DDPM_MC_PROJECTED : DDPM_MC_EXPLICIT,
                                              seed + 41 + mode + 2 * tu, NULL);
            CU_ASSERT_PTR_NOT_NULL_FATAL(S);
            const double w0s[] = { -3, 0, 2.5 };
            for (int k = 0; k < 3; k++) {
                ddpm_fit_result fr;
                CU_ASSERT_EQUAL(ddpm_fit_ddpm(S, w0s[k], 1e-12, 200, &fr), GSL_SUCCESS);
                CU_ASSERT(fr.converged);
                ASSERT_REL(fr.p_hat, spl_sigmoid(fr.w_hat), TOL1);
                double l0, g0, h0, lp, lm;
                CU_ASSERT_EQUAL(ddpm_sample_loss(S, fr.w_hat, &l0, &g0, &h0), GSL_SUCCESS);
                ASSERT_REL(fr.objective, l0, TOL2);
                CU_ASSERT(h0 > 0);
                CU_ASSERT(fabs(g0) <= 1e-10 * h0);     /* Newton step |g/h| below 1e-10 */
                ddpm_sample_loss(S, fr.w_hat + 0.1, &lp, NULL, NULL);
                ddpm_sample_loss(S, fr.w_hat - 0.1, &lm, NULL, NULL);
                CU_ASSERT(lp > l0 && lm > l0);
                /* within a few sandwich SDs of the truth (loose sanity) */
                CU_ASSERT(fabs(fr.w_hat - spl_logit(pi)) < 1.0);
            }
            /* MLE on the clean points against gmm2_em_weight directly */
            ddpm_fit_result fm;
            CU_ASSERT_EQUAL(ddpm_fit_mle(g, S, 1e-13, 10000, &fm), GSL_SUCCESS);
            double *xpar = malloc(n * sizeof *xpar);
            CU_ASSERT_PTR_NOT_NULL_FATAL(xpar);
            for (size_t i = 0; i < n; i++) xpar[i] = S->x0[i];   /* x0·u, uncentred (ddpm.h) */
            double pih;
            gmm_em_result er;
            CU_ASSERT_EQUAL(gmm2_em_weight(g, xpar, n, 0.5, 1e-13, 10000, &pih, &er), GSL_SUCCESS);
            ASSERT_MIXED(fm.p_hat, pih, 1e-10, 0);
            ASSERT_MIXED(fm.w_hat, spl_logit(pih), 1e-9, 0);
            free(xpar);
            ddpm_sample_free(S);
        }
    ddpm_schedule_free(s);
    gmm2_free(g);
}

/* ======================================================================
 * 13. Sandwich variance (THEORY.md §6)
 * ====================================================================== */
static void test_sandwich_quadrature(void)
{
    ddpm_quad *q = ddpm_quad_alloc();
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    const double as[] = { 0.1, 0.6, 0.95 };
    const double seps[] = { 0.7, 2.5, 7 };
    const double pis[] = { 0.05, 0.5, 0.7 };
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            for (int l = 0; l < 3; l++) {
                double a = as[i], b = b_of(a), sep = seps[j], pi = pis[l], k = a * sep;
                gmm2 *g = mk_gmm(4, pi, sep, -0.3);
                CU_ASSERT_PTR_NOT_NULL_FATAL(g);
                ddpm_sandwich sw;
                CU_ASSERT_EQUAL(ddpm_sandwich_level(q, g, a, b, &sw), GSL_SUCCESS);
                double Er2 = ref_expect(G_R2, k, pi, 0, NULL), Er3 = ref_expect(G_R3, k, pi, 0, NULL);
                double A = 4 * pow(a, 4) * b * b * sep * sep * (Er2 + sep * sep * b * b * Er3);
                double B = 2 * a * a * b * b * sep * sep * Er2;
                ASSERT_REL(sw.A, A, 1e-10);
                ASSERT_REL(sw.B, B, 1e-10);
                ASSERT_REL(sw.nvar_w, A / (B * B), 1e-10);
                ASSERT_REL(sw.nvar_p, pi * pi * (1 - pi) * (1 - pi) * A / (B * B), 1e-10);
                /* error estimate: honest, and small enough to be useful */
                CU_ASSERT(fabs(sw.nvar_w - A / (B * B)) <= 10 * fmax(sw.err, 1e-13 * sw.nvar_w));
                CU_ASSERT(sw.err >= 0 && sw.err <= 1e-6 * sw.nvar_w);
                gmm2_free(g);
            }
    /* t uniform over a schedule: A and B are the averages over t */
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_LINEAR, 40, NULL);
    gmm2 *g = mk_gmm(2, 0.35, 3.0, 0.0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    double A = 0, B = 0;
    for (size_t i = 0; i < s->T; i++) {
        double a = s->a[i], b = s->b[i], k = 3.0 * a;
        double Er2 = ref_expect(G_R2, k, 0.35, 0, NULL), Er3 = ref_expect(G_R3, k, 0.35, 0, NULL);
        A += 4 * pow(a, 4) * b * b * 9.0 * (Er2 + 9.0 * b * b * Er3) / s->T;
        B += 2 * a * a * b * b * 9.0 * Er2 / s->T;
    }
    ddpm_sandwich sw;
    CU_ASSERT_EQUAL(ddpm_sandwich_avg(q, g, s, &sw), GSL_SUCCESS);
    ASSERT_REL(sw.A, A, 1e-10);
    ASSERT_REL(sw.B, B, 1e-10);
    ASSERT_REL(sw.nvar_w, A / (B * B), 1e-10);
    gmm2_free(g);
    ddpm_schedule_free(s);
    ddpm_quad_free(q);
}

static void test_sandwich_replicates(void)
{
    ddpm_quad *q = ddpm_quad_alloc();
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    uint64_t seed = cu_seed(20240601);
    const double pi = 0.3, sep = 2.5, a = 0.8, b = 0.6, th = spl_logit(pi);
    const size_t n = 2000;
    const int R = 400;
    gmm2 *g = mk_gmm(1, pi, sep, 0.0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    ddpm_sandwich sw;
    CU_ASSERT_EQUAL(ddpm_sandwich_level(q, g, a, b, &sw), GSL_SUCCESS);
    spl_stat st;
    memset(&st, 0, sizeof st);
    int nconv = 0;
    for (int rep = 0; rep < R; rep++) {
        ddpm_sample *S = ddpm_sample_draw(g, NULL, a, b, n, DDPM_MC_PROJECTED,
                                          spl_stream_seed(seed, 105, (uint64_t)rep), NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(S);
        ddpm_fit_result fr;
        if (ddpm_fit_ddpm(S, 0.0, 1e-10, 200, &fr) == GSL_SUCCESS && fr.converged) nconv++;
        spl_stat_add(&st, fr.w_hat);
        ddpm_sample_free(S);
    }
    CU_ASSERT_EQUAL(nconv, R);
    double nv = n * spl_stat_sd(&st) * spl_stat_sd(&st);
    fprintf(stderr, "\n  sandwich: n·Var(ŵ) over %d replicates %.4g, predicted A/B² %.4g (ratio %.3f)\n",
            R, nv, sw.nvar_w, nv / sw.nvar_w);
    /* sample variance of R near-Gaussian values (kurtosis measured ≈ 3): relative
     * sd √(2/(R−1)) = 0.071; 4 of them (3 gave 1 false alarm in 60 seeds, and
     * the spread over 120 seeds matched √(2/(R−1)) to 1%) */
    ASSERT_REL(nv, sw.nvar_w, 4 * sqrt(2.0 / (R - 1)));
    ASSERT_WITHIN_SE(st.mean, th, sqrt(sw.nvar_w / n / R), 4);
    gmm2_free(g);
    ddpm_quad_free(q);
}

/* ======================================================================
 * 14. Gradient descent (THEORY.md §5)
 * ====================================================================== */
static void test_gd(void)
{
    ddpm_quad *q = ddpm_quad_alloc();
    ddpm_gd *gd = ddpm_gd_alloc();
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    CU_ASSERT_PTR_NOT_NULL_FATAL(gd);
    const double pi = 0.3, sep = 2.0, a = 0.8, b = 0.6, th = spl_logit(pi);
    gmm2 *g = mk_gmm(2, pi, sep, 0.5);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    ddpm_obj_level_ctx ctx = { q, g, a, b };
    double S = a * a * b * b * sep * sep;
    double H = 2 * S * ref_expect(G_R2, a * sep, pi, th, NULL);   /* ℓ''(θ*), independent */
    const double p0s[] = { 0.01, 0.5, 0.99 };
    /* logit: converges from every start */
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL_FATAL(ddpm_gd_set(gd, ddpm_obj_level, &ctx, DDPM_PARAM_LOGIT, p0s[i], 1.0 / H, 0),
                              GSL_SUCCESS);
        ASSERT_REL(gd->w, spl_logit(p0s[i]), TOL1);
        size_t it = 0;
        while (ddpm_gd_test(gd, 1e-13 * S) == GSL_CONTINUE && it++ < 20000)
            CU_ASSERT_EQUAL_FATAL(ddpm_gd_iterate(gd), GSL_SUCCESS);
        ASSERT_MIXED(gd->w, th, 1e-8, 0);
        ASSERT_MIXED(gd->p, pi, 1e-9, 0);
        CU_ASSERT_EQUAL(gd->iter, it);
    }
    /* local contraction |1 − ηH| for η = 0.5/H and 1.5/H, and divergence above 2/H */
    const double etas[] = { 0.5, 1.5, 1.8, 2.2 };
    for (int j = 0; j < 4; j++) {
        double eta = etas[j] / H, rate = fabs(1 - etas[j]);
        double w0 = th + (j < 3 ? 0.5 : 1e-4);
        CU_ASSERT_EQUAL_FATAL(ddpm_gd_set(gd, ddpm_obj_level, &ctx, DDPM_PARAM_LOGIT,
                                          spl_sigmoid(w0), eta, 0), GSL_SUCCESS);
        double eprev = gd->w - th;
        int measured = 0, grew = 1;
        for (int it = 0; it < 400; it++) {
            CU_ASSERT_EQUAL_FATAL(ddpm_gd_iterate(gd), GSL_SUCCESS);
            double e = gd->w - th;
            if (j == 3) {
                if (it < 12 && !(fabs(e) > fabs(eprev))) grew = 0;
            } else if (fabs(eprev) < 1e-5 && fabs(eprev) > 1e-9 && measured < 3) {
                ASSERT_REL(fabs(e / eprev), rate, 0.01);
                measured++;
            }
            eprev = e;
            if (j == 3 && it >= 12) break;
        }
        if (j < 3) {
            CU_ASSERT(measured > 0);
            CU_ASSERT(fabs(gd->w - th) < 1e-9);
        } else {
            CU_ASSERT(grew);
        }
    }
    /* p-coordinates: projected GD stays in [clip, 1 − clip] and converges */
    const double clip = 1e-3;
    for (int i = 0; i < 3; i++) {
        /* local rate 1 − 0.05 in p (d²ℓ/dp² = ℓ''/(π(1−π))² at π); a larger
         * step overshoots from the edges, where dℓ/dp ∝ 1/(p(1−p)) is large */
        double eta = 0.05 * pi * pi * (1 - pi) * (1 - pi) / H;
        CU_ASSERT_EQUAL_FATAL(ddpm_gd_set(gd, ddpm_obj_level, &ctx, DDPM_PARAM_PI, p0s[i], eta, clip),
                              GSL_SUCCESS);
        int inside = 1;
        for (int it = 0; it < 20000 && ddpm_gd_test(gd, 1e-12 * S) == GSL_CONTINUE; it++) {
            CU_ASSERT_EQUAL_FATAL(ddpm_gd_iterate(gd), GSL_SUCCESS);
            if (!(gd->p >= clip && gd->p <= 1 - clip)) inside = 0;
            if (fabs(gd->w - spl_logit(gd->p)) > 1e-9 * (1 + fabs(gd->w))) inside = 0;
        }
        CU_ASSERT(inside);
        ASSERT_MIXED(gd->p, pi, 1e-8, 0);
    }
    /* a huge step in p is clipped, not thrown out of (0,1) */
    CU_ASSERT_EQUAL_FATAL(ddpm_gd_set(gd, ddpm_obj_level, &ctx, DDPM_PARAM_PI, 0.5, 1e6, clip), GSL_SUCCESS);
    for (int it = 0; it < 5; it++) {
        CU_ASSERT_EQUAL(ddpm_gd_iterate(gd), GSL_SUCCESS);
        CU_ASSERT(gd->p >= clip && gd->p <= 1 - clip);
    }
    gmm2_free(g);
    ddpm_gd_free(gd);
    ddpm_gd_free(NULL);
    ddpm_quad_free(q);
    ddpm_quad_free(NULL);
}

/* ======================================================================
 * 15. Bad input
 * ====================================================================== */
static void test_bad_input(void)
{
    ddpm_quad *q = ddpm_quad_alloc();
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    gmm2 *g = mk_gmm(3, 0.3, 2.0, 0.0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_EQUAL(gmm2_set(g, 0.0, 2.0, 0.0), GSL_EDOM);
    CU_ASSERT_EQUAL(gmm2_set(g, 1.0, 2.0, 0.0), GSL_EDOM);
    CU_ASSERT_EQUAL(gmm2_set(g, NAN, 2.0, 0.0), GSL_EDOM);
    CU_ASSERT_EQUAL(gmm2_set(g, 0.3, 2.0, 0.0), GSL_SUCCESS);
    ddpm_loss_result L;
    ddpm_moments m;
    /* noise level: a, b ∈ (0,1], a² + b² = 1 */
    CU_ASSERT_EQUAL(ddpm_loss_level(q, g, 0.0, 1.0, 0.1, &L), GSL_EDOM);
    CU_ASSERT_EQUAL(ddpm_loss_level(q, g, 1.0, 0.0, 0.1, &L), GSL_EDOM);
    CU_ASSERT_EQUAL(ddpm_loss_level(q, g, -0.6, 0.8, 0.1, &L), GSL_EDOM);
    CU_ASSERT_EQUAL(ddpm_loss_level(q, g, 1.2, 0.5, 0.1, &L), GSL_EDOM);
    CU_ASSERT_EQUAL(ddpm_loss_level(q, g, 0.6, 0.6, 0.1, &L), GSL_EDOM);
    CU_ASSERT_EQUAL(ddpm_loss_level(q, g, 0.8, 0.8, 0.1, &L), GSL_EDOM);
    CU_ASSERT_EQUAL(ddpm_loss_level(q, g, NAN, 0.8, 0.1, &L), GSL_EDOM);
    CU_ASSERT_EQUAL(ddpm_loss_level(q, g, 0.6, 0.8, NAN, &L), GSL_EDOM);
    CU_ASSERT_EQUAL(ddpm_loss_level(q, g, 0.6, 0.8, INFINITY, &L), GSL_EDOM);
    CU_ASSERT_EQUAL(ddpm_moments_eval(q, -1.0, 0.0, 0.0, &m), GSL_EDOM);
    CU_ASSERT_EQUAL(ddpm_moments_eval(q, NAN, 0.0, 0.0, &m), GSL_EDOM);
    CU_ASSERT_EQUAL(ddpm_moments_eval(q, 1.0, NAN, 0.0, &m), GSL_EDOM);
    CU_ASSERT_EQUAL(ddpm_moments_eval(q, 1.0, 0.0, NAN, &m), GSL_EDOM);
    /* a mixture whose π was corrupted behind gmm2_set's back */
    g->pi = 1.0;
    CU_ASSERT_NOT_EQUAL(ddpm_loss_level(q, g, 0.6, 0.8, 0.1, &L), GSL_SUCCESS);
    g->pi = 0.3;
    /* Monte Carlo: n = 0, NaN w, bad level */
    ddpm_mc_opts o = { DDPM_MC_PROJECTED, 0, 1, 0 };
    CU_ASSERT_NOT_EQUAL(ddpm_mc_level(g, 0.6, 0.8, 0.1, &o, &L), GSL_SUCCESS);
    o.n = 100;
    CU_ASSERT_NOT_EQUAL(ddpm_mc_level(g, 0.6, 0.8, NAN, &o, &L), GSL_SUCCESS);
    CU_ASSERT_NOT_EQUAL(ddpm_mc_level(g, 0.6, 0.6, 0.1, &o, &L), GSL_SUCCESS);
    CU_ASSERT_EQUAL(ddpm_mc_level(g, 0.6, 0.8, 0.1, &o, &L), GSL_SUCCESS);
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_LINEAR, 10, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    o.n = 0;
    CU_ASSERT_NOT_EQUAL(ddpm_mc_avg(g, s, 0.1, &o, &L), GSL_SUCCESS);
    CU_ASSERT_NOT_EQUAL(ddpm_loss_avg(q, g, s, NAN, &L), GSL_SUCCESS);
    /* sample sets */
    CU_ASSERT_PTR_NULL(ddpm_sample_draw(g, NULL, 0.6, 0.8, 0, DDPM_MC_PROJECTED, 1, NULL));
    CU_ASSERT_PTR_NULL(ddpm_sample_draw(g, NULL, 0.0, 1.0, 10, DDPM_MC_PROJECTED, 1, NULL));
    CU_ASSERT_PTR_NULL(ddpm_sample_draw(g, NULL, 0.6, 0.6, 10, DDPM_MC_EXPLICIT, 1, NULL));
    ddpm_sample *S = ddpm_sample_draw(g, NULL, 0.6, 0.8, 10, DDPM_MC_PROJECTED, 1, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(S);
    double f;
    CU_ASSERT_NOT_EQUAL(ddpm_sample_loss(S, NAN, &f, NULL, NULL), GSL_SUCCESS);
    ddpm_sample_free(S);
    /* gradient descent: p0 ∉ (0,1), η ≤ 0 */
    ddpm_gd *gd = ddpm_gd_alloc();
    CU_ASSERT_PTR_NOT_NULL_FATAL(gd);
    ddpm_obj_level_ctx ctx = { q, g, 0.6, 0.8 };
    CU_ASSERT_NOT_EQUAL(ddpm_gd_set(gd, ddpm_obj_level, &ctx, DDPM_PARAM_LOGIT, 0.0, 0.1, 0), GSL_SUCCESS);
    CU_ASSERT_NOT_EQUAL(ddpm_gd_set(gd, ddpm_obj_level, &ctx, DDPM_PARAM_LOGIT, 1.0, 0.1, 0), GSL_SUCCESS);
    CU_ASSERT_NOT_EQUAL(ddpm_gd_set(gd, ddpm_obj_level, &ctx, DDPM_PARAM_LOGIT, 0.5, 0.0, 0), GSL_SUCCESS);
    CU_ASSERT_NOT_EQUAL(ddpm_gd_set(gd, ddpm_obj_level, &ctx, DDPM_PARAM_LOGIT, 0.5, -1.0, 0), GSL_SUCCESS);
    ddpm_gd_free(gd);
    /* names */
    ddpm_mc_mode mm;
    ddpm_param pp;
    CU_ASSERT_EQUAL(ddpm_mc_parse("explicit", &mm), GSL_SUCCESS);
    CU_ASSERT_EQUAL(mm, DDPM_MC_EXPLICIT);
    CU_ASSERT_EQUAL(ddpm_mc_parse(ddpm_mc_name(DDPM_MC_PROJECTED), &mm), GSL_SUCCESS);
    CU_ASSERT_EQUAL(mm, DDPM_MC_PROJECTED);
    CU_ASSERT_NOT_EQUAL(ddpm_mc_parse("implicit", &mm), GSL_SUCCESS);
    CU_ASSERT_EQUAL(ddpm_param_parse("pi", &pp), GSL_SUCCESS);
    CU_ASSERT_EQUAL(pp, DDPM_PARAM_PI);
    CU_ASSERT_EQUAL(ddpm_param_parse("logit", &pp), GSL_SUCCESS);
    CU_ASSERT_EQUAL(pp, DDPM_PARAM_LOGIT);
    CU_ASSERT_NOT_EQUAL(ddpm_param_parse("p", &pp), GSL_SUCCESS);
    ddpm_schedule_free(s);
    gmm2_free(g);
    ddpm_quad_free(q);
}

CU_TestInfo cu_ddpm_tests[] = {
    { "reference_sanity", test_reference_sanity },
    { "quadrature_grid", test_quadrature_grid },
    { "optimum", test_optimum },
    { "symmetric_score", test_symmetric_score },
    { "label_swap", test_label_swap },
    { "shift_invariance", test_shift_invariance },
    { "dimension", test_dimension },
    { "limits", test_limits },
    { "finite_differences", test_finite_differences },
    { "time_average", test_time_average },
    { "mc_level", test_mc_level },
    { "mc_avg", test_mc_avg },
    { "mc_se_honest", test_mc_se_honest },
    { "mc_threads", test_mc_threads },
    { "sample_sets", test_sample_sets },
    { "fits", test_fits },
    { "sandwich_quadrature", test_sandwich_quadrature },
    { "sandwich_replicates", test_sandwich_replicates },
    { "gd", test_gd },
    { "bad_input", test_bad_input },
    CU_TEST_INFO_NULL
};
