/* tests/cu_honest.c — every reported error estimate bounds the actual error,
 * and the values meet the accuracy the lab claims (docs/accuracy.md).
 *
 * Reference: an independent computation in quad precision (__float128,
 * libquadmath; 113-bit significand, unit roundoff 1e-34) of the Gaussian-
 * mixture expectations of THEORY.md §3, not the library's code path: for each
 * component, the trapezoidal rule on the real line in z = v − c_j,
 *   E_j[f] = ∫ φ(z) f(c_j + z) dz ≈ h Σ_n φ(z_n) f(c_j + z_n),
 * which converges geometrically for integrands analytic in a strip: the
 * sigmoids' nearest poles lie at Im v = ±π/k, so with δ = min(0.8π/k, 2.5) and
 * h = 2πδ/90 the discretisation error is ~ e^{−90}·e^{δ²/2}·(pole factor) ≈
 * 1e-36 relative (checked below by comparing h with 0.75h).  The range is
 * found by scanning the log-integrands in double outward from the centre until
 * they have fallen 100 e-folds below their maximum beyond |z| > 3k + 2, where
 * every log-integrand's slope (≤ 3k) is beaten by the Gaussian's.  φ and the
 * exponentials along the uniform grid come from multiplicative recurrences in
 * quad precision, reseeded with expq every 32 nodes.
 *
 * Points: the box of issue 9 — a ∈ [1e-3, 1 − 1e-5], Δ ∈ [0.03, 20],
 * π ∈ [1e-6, 1 − 1e-6], |w − θ*| ∈ [1e-4, 25] (either sign), d ∈ [1, 1e6] —
 * its 64 corners and HONEST_NRAND random points (seed printed; set
 * SPIRELAB_TEST_SEED to reproduce), and 16 points with w within 3e-6 of
 * spl_logit(π) (w = θ* up to its rounding included).  Checked at every point: |value − ref| ≤
 * reported error, for loss, excess, grad, hess (w and p = sigmoid(w)
 * coordinates), the sandwich nvar_w and nvar_p, the time average (T up to
 * 1000) and the Fisher information; and |value − ref| within the claimed
 * accuracy (HONEST_REL below, the figure of ddpm/ddpm.h and docs/accuracy.md;
 * in p-coordinates the claims for w carried through the chain rule).
 * The median and worst reported/actual ratios are printed once on stderr.
 */
#include <float.h>
#include <math.h>
#include <quadmath.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include "common/spl.h"
#include "ddpm/ddpm.h"
#include "gmm/gmm.h"
#include "tests/cu_util.h"

typedef __float128 q128;

#define HONEST_NRAND 256
/* The claimed accuracy (docs/accuracy.md, ddpm/ddpm.h): |value − exact| ≤
 * HONEST_REL·|value| for loss, excess, grad (in w and in p), time averages and
 * the Fisher information, with HONEST_NEAR·|value|/|w − θ*| added for excess
 * and grad (the cancellation in ρ_w − ρ* near the minimum); the Hessian, which
 * changes sign, within HONEST_REL of its scale 2a²b²Δ²·E[r_w² + |ρ_w − ρ*| r_w
 * |1 − 2ρ_w|]; the sandwich nvar_w, nvar_p within HONEST_REL_SW·|value|. */
#define HONEST_REL 1e-12
#define HONEST_NEAR 1e-15
#define HONEST_REL_SW 1e-11

/* ---- the quad-precision reference -------------------------------------- */
enum { M_R, M_R2, M_R3, M_DSQ, M_DR, M_H, M_HABS, M_FISH, NM };

typedef struct {
    int fisher;            /* 1: only (ρ* − π)² at k = Δ, a = 1 */
    double kd, thd, wd;    /* double versions, for the scan */
    q128 k, theta, w, em, eD, E0;
} rpar;

static double softplus(double y) { return y > 0 ? y + log1p(exp(-y)) : log1p(exp(y)); }

/* log of each integrand (times φ) at z around centre c, in double. */
static void log_integrands(const rpar *P, double c, double z, double lem, double *L)
{
    double v = c + z, xs = P->thd + P->kd * v, xw = P->wd + P->kd * v, g = -0.5 * z * z;
    double lrs = -softplus(-xs), lqs = -softplus(xs), lrw = -softplus(-xw), lqw = -softplus(xw);
    double lr = lrs + lqs, lrww = lrw + lqw, ld = lqs + lrw + lem;
    if (P->fisher) {
        double y = -P->kd * v;   /* log|expm1(y)| without overflow */
        double lem1 = y > 0 ? y + log1p(-exp(-y)) : log(-expm1(y));
        double lf = -P->thd + lem1 - softplus(-xs) - softplus(-P->thd);
        for (int m = 0; m < NM; m++) L[m] = -INFINITY;
        L[M_FISH] = g + 2 * lf;
        return;
    }
    L[M_R] = g + lr; L[M_R2] = g + 2 * lr; L[M_R3] = g + 3 * lr;
    L[M_DSQ] = g + 2 * ld; L[M_DR] = g + ld + lrww;
    L[M_H] = L[M_HABS] = g + fmax(2 * lrww, ld + lrww) + M_LN2;
    L[M_FISH] = -INFINITY;
}

/* Range [zl, zr] where some integrand is within 100 e-folds of its maximum. */
static void scan_range(const rpar *P, double c, double *zl, double *zr)
{
    double lem = P->fisher ? 0.0 : log(fabs((double)P->em));
    double s = fmin(0.25, 0.25 / fmax(P->kd, 1e-300)), zmin = 3 * P->kd + 2;
    double mx[NM], L[NM];
    for (int m = 0; m < NM; m++) mx[m] = -INFINITY;
    /* two passes: the first finds the maxima, the second the range */
    for (int pass = 0; pass < 2; pass++) {
        double lo = 0, hi = 0;
        for (int dir = -1; dir <= 1; dir += 2) {
            for (long n = 0; n < 100000000; n++) {
                double z = dir * n * s;
                log_integrands(P, c, z, lem, L);
                int alive = 0;
                for (int m = 0; m < NM; m++) {
                    if (!(L[m] > -INFINITY)) continue;
                    if (pass == 0 && L[m] > mx[m]) mx[m] = L[m];
                    if (L[m] >= mx[m] - 100) { alive = 1; if (z < lo) lo = z; if (z > hi) hi = z; }
                }
                if (fabs(z) > zmin && !alive) break;
            }
        }
        *zl = lo - 1.0;
        *zr = hi + 1.0;
    }
}

static void node(const rpar *P, q128 E, q128 pw, q128 *acc)
{
    q128 iE = 1 / (1 + E);
    if (P->fisher) {
        q128 dF = (P->E0 - E) * iE / (1 + P->E0);    /* ρ*(v) − π */
        acc[M_FISH] += pw * dF * dF;
        return;
    }
    q128 Ew = E * P->eD, iEw = 1 / (1 + Ew);
    q128 rs = iE, qs = E * iE, rw = iEw, qw = Ew * iEw;
    q128 r = rs * qs, rww = rw * qw, d = -E * P->em * iE * iEw;   /* ρ_w − ρ* */
    acc[M_R] += pw * r;
    acc[M_R2] += pw * r * r;
    acc[M_R3] += pw * r * r * r;
    acc[M_DSQ] += pw * d * d;
    acc[M_DR] += pw * d * rww;
    q128 ha = rww * rww, hb = d * rww * (qw - rw);
    acc[M_H] += pw * (ha + hb);
    acc[M_HABS] += pw * (ha + fabsq(hb));
}

/* Σ over the two components of weight_j·E_j[f], by the trapezoidal rule with
 * step hfac·h. */
static void ref_moments(const rpar *P, q128 pi, double hfac, q128 *acc)
{
    for (int m = 0; m < NM; m++) acc[m] = 0;
    double delta = fmin(0.8 * M_PI / fmax(P->kd, 1e-300), 2.5);
    q128 h = (q128)(hfac * 2 * M_PI * delta / 90);
    q128 Rq = expq(-h * h), Eq = expq(-P->k * h), isq = 1 / sqrtq(2 * M_PIq);
    for (int j = 0; j < 2; j++) {
        q128 c = j == 0 ? P->k / 2 : -P->k / 2, wj = j == 0 ? pi : 1 - pi;
        double zl, zr;
        scan_range(P, (double)c, &zl, &zr);
        long N = (long)ceil((zr - zl) / (double)h) + 1;
        q128 G = 0, R = 0, E = 0, part[NM] = { 0 };
        for (long n = 0; n < N; n++) {
            if (n % 32 == 0) {
                q128 z = (q128)zl + n * h;
                G = isq * expq(-z * z / 2);
                R = expq(-h * z - h * h / 2);
                E = expq(-(P->theta + P->k * (c + z)));
            }
            node(P, E, h * G, part);
            G *= R; R *= Rq; E *= Eq;
        }
        for (int m = 0; m < NM; m++) acc[m] += wj * part[m];
    }
}

/* Exact values at one level: loss, excess, grad, hess in w; grad, hess in p;
 * nvar_w, nvar_p; the Hessian's scale. */
typedef struct { q128 loss, excess, grad, hess, gradp, hessp, nvw, nvp, hscale, A, B; } ref_level;

static q128 qlogit(double pi) { return logq((q128)pi / (1 - (q128)pi)); }

static void ref_at_level(double a, double b, double sep, double pi, double w, size_t d, double hfac,
                         ref_level *R)
{
    rpar P = { 0 };
    P.k = (q128)a * sep; P.theta = qlogit(pi); P.w = w;
    P.kd = (double)P.k; P.thd = (double)P.theta; P.wd = w;
    P.em = expm1q(P.theta - P.w); P.eD = expq(P.theta - P.w);
    q128 m[NM];
    ref_moments(&P, pi, hfac, m);
    q128 qa = a, qb = b, D = sep, c2 = qa * qa * qb * qb * D * D;
    R->loss = qa * qa * ((q128)d + qb * qb * D * D * (m[M_R] + m[M_DSQ]));
    R->excess = c2 * m[M_DSQ];
    R->grad = 2 * c2 * m[M_DR];
    R->hess = 2 * c2 * m[M_H];
    R->hscale = 2 * c2 * m[M_HABS];
    q128 e = expq(-fabsq(P.w)), pq = e / ((1 + e) * (1 + e)), t = (1 - e) / (1 + e);
    if (w < 0) t = -t;
    R->gradp = R->grad / pq;
    R->hessp = (R->hess + R->grad * t) / (pq * pq);
    R->A = 4 * qa * qa * c2 * (m[M_R2] + D * D * qb * qb * m[M_R3]);
    R->B = 2 * c2 * m[M_R2];
    R->nvw = R->A / (R->B * R->B);
    q128 ppq = (q128)pi * (1 - (q128)pi);
    R->nvp = ppq * ppq * R->nvw;
}

static q128 ref_fisher(double pi, double sep, double hfac)
{
    rpar P = { 0 };
    P.fisher = 1;
    P.k = sep; P.theta = qlogit(pi); P.E0 = expq(-P.theta);
    P.kd = sep; P.thd = (double)P.theta;
    q128 m[NM];
    ref_moments(&P, pi, hfac, m);
    q128 ppq = (q128)pi * (1 - (q128)pi);
    return m[M_FISH] / (ppq * ppq);
}

/* ---- statistics of reported/actual ------------------------------------- */
enum { Q_LOSS, Q_EXCESS, Q_GRAD, Q_HESS, Q_GRADP, Q_HESSP, Q_AVG, Q_NVW, Q_NVP, Q_FISHER, NQ };
static const char *qname[NQ] = { "loss", "excess", "grad", "hess", "grad_p", "hess_p", "average",
                                 "sandwich", "sandwich_p", "fisher" };
typedef struct {
    double *ratio[NQ];     /* reported/actual where actual > 0 */
    size_t n[NQ], cap[NQ], exact[NQ], checked[NQ];
    double worst_rel[NQ];  /* worst actual error / claimed bound */
    double worst_rep[NQ];  /* worst reported error / claimed bound */
} stats;

static void record(stats *S, int q, double reported, double actual, double claimed)
{
    S->checked[q]++;
    if (claimed > 0 && actual / claimed > S->worst_rel[q]) S->worst_rel[q] = actual / claimed;
    if (claimed > 0 && reported / claimed > S->worst_rep[q]) S->worst_rep[q] = reported / claimed;
    if (!(actual > 0)) { S->exact[q]++; return; }
    if (S->n[q] == S->cap[q]) {
        size_t c = S->cap[q] ? 2 * S->cap[q] : 256;
        double *p = realloc(S->ratio[q], c * sizeof *p);
        if (!p) return;
        S->ratio[q] = p;
        S->cap[q] = c;
    }
    S->ratio[q][S->n[q]++] = reported / actual;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One check: actual ≤ reported, and actual ≤ claimed; prints the point on failure. */
static int check(stats *S, int q, double val, double err, q128 ref, double claimed, const char *where)
{
    double actual = (double)fabsq((q128)val - ref);
    record(S, q, err, actual, claimed);
    int honest = isfinite(err) && err >= 0 && actual <= err;
    int accurate = actual <= claimed;
    if (!honest || !accurate)
        fprintf(stderr, "\n  %s %s: value %.17g exact %.17g actual error %.3g reported %.3g claimed %.3g%s%s\n",
                qname[q], where, val, (double)ref, actual, err, claimed,
                honest ? "" : " [DISHONEST]", accurate ? "" : " [INACCURATE]");
    return honest && accurate;
}

/* ---- the points -------------------------------------------------------- */
typedef struct { double a, b, sep, pi, w; size_t d; } point;

static double loguni(gsl_rng *r, double lo, double hi) { return lo * pow(hi / lo, gsl_rng_uniform(r)); }

static point random_point(gsl_rng *r)
{
    point P;
    /* a: log-uniform in [1e-3, 1], or 1 − a log-uniform in [1e-5, 1] */
    P.a = gsl_rng_uniform(r) < 0.5 ? loguni(r, 1e-3, 1 - 1e-5) : 1 - loguni(r, 1e-5, 1 - 1e-3);
    P.sep = loguni(r, 0.03, 20);
    double lo = spl_logit(1e-6);
    P.pi = fmin(fmax(spl_sigmoid(lo + 2 * fabs(lo) * gsl_rng_uniform(r)), 1e-6), 1 - 1e-6);
    double dist = loguni(r, 1e-4, 25);
    P.w = spl_logit(P.pi) + (gsl_rng_uniform(r) < 0.5 ? -dist : dist);
    P.d = (size_t)floor(loguni(r, 1, 1e6 + 1));
    P.b = sqrt((1 - P.a) * (1 + P.a));
    return P;
}

static point corner_point(int c)
{
    point P;
    P.a = c & 1 ? 1 - 1e-5 : 1e-3;
    P.sep = c & 2 ? 20 : 0.03;
    P.pi = c & 4 ? 1 - 1e-6 : 1e-6;
    double dist = c & 8 ? 25 : 1e-4;
    P.w = spl_logit(P.pi) + (c & 16 ? -dist : dist);
    P.d = c & 32 ? 1000000 : 1;
    P.b = sqrt((1 - P.a) * (1 + P.a));
    return P;
}

static void describe(const point *P, char *buf, size_t n)
{
    snprintf(buf, n, "at a=%.17g Δ=%.17g π=%.17g w=%.17g d=%zu", P->a, P->sep, P->pi, P->w, P->d);
}

static stats ST;

/* Claimed bound for excess and grad: relative, plus the cancellation term. */
static double claim_near(double val, double w, double pi)
{
    double dist = fabs(w - spl_logit(pi));
    return dist > 0 ? (HONEST_REL + HONEST_NEAR / dist) * fabs(val) : INFINITY;   /* w = θ* up to rounding */
}

static void test_level_points(void)
{
    ddpm_quad *q = ddpm_quad_alloc();
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    gsl_rng *r = spl_rng_alloc(cu_seed(9), 9, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    /* and 16 points closer to the minimum than the box: w = spl_logit(π) + δ */
    const double tiny[8] = { 0, 1e-13, -1e-13, 1e-11, -1e-11, 1e-8, -1e-8, 3e-6 };
    int npts = 64 + HONEST_NRAND + 16, fails = 0;
    for (int i = 0; i < npts; i++) {
        point P = i < 64 ? corner_point(i) : random_point(r);
        if (i >= 64 + HONEST_NRAND) P.w = spl_logit(P.pi) + tiny[i % 8];
        char where[160];
        describe(&P, where, sizeof where);
        gmm2 *g = gmm2_alloc(P.d, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(g);
        CU_ASSERT_EQUAL_FATAL(gmm2_set(g, P.pi, P.sep, 0.0), GSL_SUCCESS);
        ddpm_loss_result L, Lp;
        ddpm_sandwich sw;
        int st = ddpm_loss_level(q, g, P.a, P.b, P.w, &L);
        CU_ASSERT_EQUAL(st, GSL_SUCCESS);
        CU_ASSERT_EQUAL(ddpm_loss_to_p(P.w, &L, &Lp), GSL_SUCCESS);
        CU_ASSERT_EQUAL(ddpm_sandwich_level(q, g, P.a, P.b, &sw), GSL_SUCCESS);
        gmm2_free(g);
        if (st) { fails++; continue; }
        ref_level R;
        ref_at_level(P.a, P.b, P.sep, P.pi, P.w, P.d, 1.0, &R);
        double hsc = HONEST_REL * (double)R.hscale;
        int ok = 1;
        ok &= check(&ST, Q_LOSS, L.loss.val, L.loss.err, R.loss, HONEST_REL * fabs(L.loss.val), where);
        ok &= check(&ST, Q_EXCESS, L.excess.val, L.excess.err, R.excess, claim_near(L.excess.val, P.w, P.pi), where);
        ok &= check(&ST, Q_GRAD, L.grad.val, L.grad.err, R.grad, claim_near(L.grad.val, P.w, P.pi), where);
        ok &= check(&ST, Q_HESS, L.hess.val, L.hess.err, R.hess, hsc, where);
        /* p-coordinates: the same claims carried through the chain rule */
        double e = exp(-fabs(P.w)), pq = e / ((1 + e) * (1 + e));
        ok &= check(&ST, Q_GRADP, Lp.grad.val, Lp.grad.err, R.gradp, claim_near(Lp.grad.val, P.w, P.pi), where);
        ok &= check(&ST, Q_HESSP, Lp.hess.val, Lp.hess.err, R.hessp,
                    (hsc + claim_near(L.grad.val, P.w, P.pi)) / (pq * pq) + HONEST_REL * fabs(Lp.hess.val), where);
        ok &= check(&ST, Q_NVW, sw.nvar_w, sw.err, R.nvw, HONEST_REL_SW * sw.nvar_w, where);
        ok &= check(&ST, Q_NVP, sw.nvar_p, sw.err_p, R.nvp, HONEST_REL_SW * sw.nvar_p, where);
        fails += !ok;
    }
    CU_ASSERT_EQUAL(fails, 0);
    gsl_rng_free(r);
    ddpm_quad_free(q);
}

/* The reference against itself: steps h and 0.75h agree to ~1e-30. */
static void test_reference(void)
{
    gsl_rng *r = spl_rng_alloc(cu_seed(9), 9, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    for (int i = 0; i < 24; i++) {
        point P = i < 8 ? corner_point(i * 8 + 3) : random_point(r);
        ref_level R1, R2;
        ref_at_level(P.a, P.b, P.sep, P.pi, P.w, P.d, 1.0, &R1);
        ref_at_level(P.a, P.b, P.sep, P.pi, P.w, P.d, 0.75, &R2);
        q128 pairs[][2] = { { R1.loss, R2.loss }, { R1.excess, R2.excess }, { R1.grad, R2.grad },
                            { R1.A, R2.A }, { R1.B, R2.B } };
        for (size_t j = 0; j < sizeof pairs / sizeof pairs[0]; j++)
            CU_ASSERT(fabsq(pairs[j][0] - pairs[j][1]) <= 1e-28Q * fabsq(pairs[j][0]));
        CU_ASSERT(fabsq(R1.hess - R2.hess) <= 1e-28Q * R1.hscale);
        q128 F1 = ref_fisher(P.pi, P.sep, 1.0), F2 = ref_fisher(P.pi, P.sep, 0.75);
        CU_ASSERT(fabsq(F1 - F2) <= 1e-28Q * F1);
    }
    gsl_rng_free(r);
}

static void test_average_points(void)
{
    ddpm_quad *q = ddpm_quad_alloc();
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    gsl_rng *r = spl_rng_alloc(cu_seed(9), 9, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    const size_t Ts[] = { 1000, 100, 100, 50, 50, 20, 20, 10 };
    int fails = 0;
    for (size_t i = 0; i < sizeof Ts / sizeof Ts[0]; i++) {
        size_t T = Ts[i];
        point P = random_point(r);
        if (i == 0) P.sep = fmin(P.sep, 3.0);   /* keep the reference's T = 1000 cheap */
        ddpm_schedule *s = ddpm_schedule_alloc(i % 2 ? DDPM_COSINE : DDPM_LINEAR, T, NULL);
        gmm2 *g = gmm2_alloc(P.d, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        CU_ASSERT_PTR_NOT_NULL_FATAL(g);
        CU_ASSERT_EQUAL_FATAL(gmm2_set(g, P.pi, P.sep, 0.0), GSL_SUCCESS);
        ddpm_loss_result L;
        ddpm_sandwich sw;
        CU_ASSERT_EQUAL(ddpm_loss_avg(q, g, s, P.w, &L), GSL_SUCCESS);
        CU_ASSERT_EQUAL(ddpm_sandwich_avg(q, g, s, &sw), GSL_SUCCESS);
        ref_level *lv = malloc(T * sizeof *lv);
        CU_ASSERT_PTR_NOT_NULL_FATAL(lv);
        #pragma omp parallel for schedule(dynamic, 1)
        for (size_t t = 0; t < T; t++)
            ref_at_level(s->a[t], s->b[t], P.sep, P.pi, P.w, P.d, 1.0, &lv[t]);
        q128 loss = 0, ex = 0, gr = 0, he = 0, hs = 0, A = 0, B = 0;
        for (size_t t = 0; t < T; t++) {
            loss += lv[t].loss; ex += lv[t].excess; gr += lv[t].grad; he += lv[t].hess;
            hs += lv[t].hscale; A += lv[t].A; B += lv[t].B;
        }
        q128 iT = 1 / (q128)T;
        loss *= iT; ex *= iT; gr *= iT; he *= iT; hs *= iT; A *= iT; B *= iT;
        q128 nvw = A / (B * B), ppq = (q128)P.pi * (1 - (q128)P.pi);
        char where[200];
        int n = snprintf(where, sizeof where, "T=%zu %s ", T, i % 2 ? "cosine" : "linear");
        describe(&P, where + n, sizeof where - (size_t)n);
        int ok = 1;
        ok &= check(&ST, Q_AVG, L.loss.val, L.loss.err, loss, HONEST_REL * fabs(L.loss.val), where);
        ok &= check(&ST, Q_AVG, L.excess.val, L.excess.err, ex, claim_near(L.excess.val, P.w, P.pi), where);
        ok &= check(&ST, Q_AVG, L.grad.val, L.grad.err, gr, claim_near(L.grad.val, P.w, P.pi), where);
        ok &= check(&ST, Q_AVG, L.hess.val, L.hess.err, he, HONEST_REL * (double)hs, where);
        ok &= check(&ST, Q_NVW, sw.nvar_w, sw.err, nvw, HONEST_REL_SW * sw.nvar_w, where);
        ok &= check(&ST, Q_NVP, sw.nvar_p, sw.err_p, ppq * ppq * nvw, HONEST_REL_SW * sw.nvar_p, where);
        fails += !ok;
        free(lv);
        gmm2_free(g);
        ddpm_schedule_free(s);
    }
    CU_ASSERT_EQUAL(fails, 0);
    gsl_rng_free(r);
    ddpm_quad_free(q);
}

static void test_fisher_points(void)
{
    gsl_rng *r = spl_rng_alloc(cu_seed(9), 9, 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    int fails = 0;
    for (int i = 0; i < 48; i++) {
        point P = i < 4 ? corner_point(2 * i) : random_point(r);
        double info, err;
        CU_ASSERT_EQUAL(gmm2_fisher_pi(P.pi, P.sep, &info, &err), GSL_SUCCESS);
        q128 ref = ref_fisher(P.pi, P.sep, 1.0);
        char where[96];
        snprintf(where, sizeof where, "at π=%.17g Δ=%.17g", P.pi, P.sep);
        fails += !check(&ST, Q_FISHER, info, err, ref, HONEST_REL * info, where);
    }
    CU_ASSERT_EQUAL(fails, 0);
    gsl_rng_free(r);
}

/* Print, once, the median and worst reported/actual per quantity. */
static void test_summary(void)
{
    fprintf(stderr, "\n  honest error estimates: reported/actual (worst = smallest, median, largest);\n"
                    "  actual/claimed and reported/claimed at worst (claimed: the accuracy of docs/accuracy.md)\n");
    double *all = NULL;
    size_t nall = 0;
    for (int qi = 0; qi < NQ; qi++) {
        size_t n = ST.n[qi];
        if (!ST.checked[qi]) continue;
        qsort(ST.ratio[qi], n, sizeof(double), cmp_d);
        double *p = realloc(all, (nall + n) * sizeof *p);
        if (p) { all = p; memcpy(all + nall, ST.ratio[qi], n * sizeof *p); nall += n; }
        fprintf(stderr, "    %-10s %4zu checks (%zu exact): worst %-8.3g median %-8.3g largest %-8.3g"
                        " actual/claimed %-8.2g reported/claimed %.2g\n",
                qname[qi], ST.checked[qi], ST.exact[qi], n ? ST.ratio[qi][0] : NAN,
                n ? ST.ratio[qi][n / 2] : NAN, n ? ST.ratio[qi][n - 1] : NAN, ST.worst_rel[qi], ST.worst_rep[qi]);
        CU_ASSERT(n == 0 || ST.ratio[qi][0] >= 1.0);
    }
    if (nall) {
        qsort(all, nall, sizeof *all, cmp_d);
        fprintf(stderr, "    all        %4zu checks: worst %.3g median %.3g largest %.3g\n", nall, all[0],
                all[nall / 2], all[nall - 1]);
    }
    free(all);
    for (int qi = 0; qi < NQ; qi++) { free(ST.ratio[qi]); ST.ratio[qi] = NULL; ST.n[qi] = ST.cap[qi] = 0; }
}

CU_TestInfo cu_honest_tests[] = {
    { "reference_self_check", test_reference },
    { "level_points", test_level_points },
    { "average_points", test_average_points },
    { "fisher_points", test_fisher_points },
    { "summary", test_summary },
    CU_TEST_INFO_NULL
};
