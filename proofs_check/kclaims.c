/* proofs_check/kclaims.c — the K-component claims of THEORY.md §7/§10:
 * C12 (landscape) and C13 (dimension-free law of ŵ_n). */
#include "proofs_check/claims.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>
#include <lapacke.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_randist.h>
#include "common/spl.h"
#include "proofs_check/rates.h"
#include "ddpm/schedule.h"

static double thr(const pc_opts *o, double own) { return isnan(o->threshold) ? own : o->threshold; }
static size_t pick(const pc_opts *o, size_t full, size_t quick, size_t tiny)
{
    return o->quick >= 2 ? tiny : o->quick ? quick : full;
}
static pc_kloss_fn kloss_of(const pc_opts *o) { return o->kloss ? o->kloss : kmix_loss_quad; }

/* Šidák-adjusted p-value of the smallest of m independent p-values; a
 * family at level α is passed when it exceeds α.  (Issue 15 builds shared
 * rate helpers; this one stays local until then.) */
static double sidak(double pmin, size_t m) { return 1.0 - pow(1.0 - pmin, (double)m); }

/* ---- C12 landscape -----------------------------------------------------------
 * Random mixtures, K = 3..6, means on a line (r = 1) or in a plane (r = 2),
 * 2 of each (K, geometry) in full mode (16); --quick: lines K = 3..6, planes K = 3, 4:
 * π = 0.8·Dirichlet(2,…,2) + 0.2/K, means N(0, 1.2²) per coordinate, a ~ U(0.4, 0.9),
 * means scaled down when a·max|μ_k − μ_l| > 3.5 (where the r = 2 quadrature
 * is accurate to ~1e-8).  Per mixture, with the quadrature loss:
 *  (i)   ∇²ℓ(θ*) positive definite, certified: λ_min > ||err(H)||_F (Weyl);
 *        (when the default Gauss–Hermite orders cannot certify it, the Hessian is
 *        recomputed at twice the orders before it counts as not PD);
 *  (ii)  GD (step 1/λ_max(∇²ℓ(θ*)), halved if the loss rises) from the K
 *        vertex starts p = 0.9 e_k + 0.1/(K−1) rest, the uniform start and two
 *        random starts θ* + 4u: "reached" when excess ≤ ε_ex = 1e-10·a²b²·max|z_k|²
 *        or |w − θ*|_∞ < 1e-3 within the step budget (600 steps; quick 150);
 *        otherwise "slow" when
 *        ∇ℓ at the end is nonzero beyond 4× its error (GD is still moving),
 *        then damped Newton (descent) continues from there and must reach θ* (same test, or an
 *        excess below 4× its quadrature error: the loss cannot tell the end
 *        point from θ*, as happens along nearly flat directions); a run whose
 *        gradient is still nonzero beyond its error at the end of the budget is
 *        "still descending" (slow, reported with the condition number); a GD end
 *        with ∇ℓ = 0 within error away from θ* is "stuck" (a failure);
 *  (iii) search for other stationary points: from starts θ* + R u (R ∈ {1.5, 3,
 *        4.5}, u random unit; 16 per mixture, quick 6), Newton on ∇ℓ = 0
 *        (LAPACKE_dsysv, steps capped at 1); if that does not converge, minimise
 *        |∇ℓ|² by GSL BFGS2 (gradient 2∇²ℓ ∇ℓ) from the start, then Newton.  An end point is θ* (excess
 *        ≤ ε_ex), SPURIOUS (excess > 4 err; ∇ℓ = 0: every |∂_jℓ| ≤ 4 err_j or the
 *        last Newton step < 1e-8; Hessian nondegenerate: min|λ| > ||err(H)||_F —
 *        then a true zero of ∇ℓ lies within the step; minima and saddles alike), a
 *        plateau (Hessian degenerate within its error, or |w − θ*|_∞ > 10: softmax
 *        saturated, |∇ℓ| exponentially small), or not stationary (a positive
 *        local minimum of |∇ℓ|²).
 * measured: spurious stationary points + stuck GD runs + non-PD Hessians +
 * failed continuations; threshold 0.  The claim line reports the conditioning
 * met (largest λ_max/λ_min), the slow runs, plateaus and non-stationary ends;
 * a counterexample is reported with its mixture index and point. */
typedef struct {
    size_t K, plane;
    kmix *m;
    double a, b, eps_ex;
} c12mix;

static int c12_make(const pc_opts *o, size_t idx, size_t K, int plane, c12mix *X)
{
    gsl_rng *r = spl_rng_alloc(o->seed, 0xC12, idx);
    size_t D = plane ? 2 : 1;
    X->m = kmix_alloc(K, D, NULL);
    if (!r || !X->m) { gsl_rng_free(r); kmix_free(X->m); return GSL_ENOMEM; }
    double alpha[KMIX_KMAX], pi[KMIX_KMAX], mu[2 * KMIX_KMAX], s = 0;
    for (size_t k = 0; k < K; k++) alpha[k] = 2.0;
    gsl_ran_dirichlet(r, K, alpha, pi);
    for (size_t k = 0; k < K; k++) { pi[k] = 0.8 * pi[k] + 0.2 / (double)K; s += pi[k]; }
    for (size_t k = 0; k < K; k++) pi[k] /= s;
    for (size_t i = 0; i < K * D; i++) mu[i] = gsl_ran_gaussian(r, 1.2);
    X->a = 0.4 + 0.5 * gsl_rng_uniform(r);
    X->b = ddpm_b_of_a(X->a);
    double dmax = 0;
    for (size_t k = 0; k < K; k++)
        for (size_t l = 0; l < k; l++) {
            double d2 = 0;
            for (size_t i = 0; i < D; i++) d2 += pow(mu[k * D + i] - mu[l * D + i], 2);
            dmax = fmax(dmax, sqrt(d2));
        }
    if (X->a * dmax > 3.5)
        for (size_t i = 0; i < K * D; i++) mu[i] *= 3.5 / (X->a * dmax);
    gsl_rng_free(r);
    X->K = K;
    X->plane = (size_t)plane;
    int st = kmix_set(X->m, pi, mu, NULL, 0);
    double zmax = 0;
    for (size_t k = 0; k < K; k++) zmax = fmax(zmax, X->m->gram[k * K + k]);
    X->eps_ex = 1e-10 * X->a * X->a * X->b * X->b * zmax;
    return st;
}

/* symmetric eigenvalues (ascending) of H (n × n); H unchanged */
static int eig(size_t n, const double *H, double *lam)
{
    double A[KMIX_NMAX * KMIX_NMAX];
    memcpy(A, H, n * n * sizeof *A);
    return LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'N', 'U', (lapack_int)n, A, (lapack_int)n, lam) ? GSL_EFAILED : 0;
}
static double fro(size_t n, const double *E)
{
    double s = 0;
    for (size_t i = 0; i < n * n; i++) s += E[i] * E[i];
    return sqrt(s);
}
static double dist_inf(size_t n, const double *w, const double *t)
{
    double d = 0;
    for (size_t j = 0; j < n; j++) d = fmax(d, fabs(w[j] - t[j]));
    return d;
}

typedef struct { const pc_opts *o; const kmix_quad *q; const c12mix *X; int status; } c12obj;

static int c12_eval(const c12obj *c, const double *w, int what, kmix_result *r)
{
    return kloss_of(c->o)(c->q, c->X->m, c->X->a, c->X->b, w, what, r);
}
static int c12_reached(const c12obj *c, const double *w, const kmix_result *r)
{
    return r->excess.val <= c->X->eps_ex || dist_inf(c->X->K - 1, w, c->X->m->theta) < 1e-3;
}

/* BFGS2 on the loss (continuation of a slow GD run) */
static double lf(const gsl_vector *x, void *p)
{
    c12obj *c = p; kmix_result r;
    c->status |= c12_eval(c, x->data, KMIX_NOERR, &r);
    return r.excess.val;
}
static void lfdf(const gsl_vector *x, void *p, double *f, gsl_vector *g)
{
    c12obj *c = p; kmix_result r;
    c->status |= c12_eval(c, x->data, KMIX_GRAD | KMIX_NOERR, &r);
    *f = r.excess.val;
    for (size_t j = 0; j < g->size; j++) g->data[j] = r.grad[j];
}
static void ldf(const gsl_vector *x, void *p, gsl_vector *g) { double f; lfdf(x, p, &f, g); }

/* BFGS2 on |∇ℓ|² (gradient 2H∇ℓ) */
static double gf(const gsl_vector *x, void *p)
{
    c12obj *c = p; kmix_result r;
    c->status |= c12_eval(c, x->data, KMIX_GRAD | KMIX_NOERR, &r);
    double s = 0;
    for (size_t j = 0; j < x->size; j++) s += r.grad[j] * r.grad[j];
    return s;
}
static void gfdf(const gsl_vector *x, void *p, double *f, gsl_vector *g)
{
    c12obj *c = p; kmix_result r;
    size_t n = x->size;
    c->status |= c12_eval(c, x->data, KMIX_ALL | KMIX_NOERR, &r);
    double s = 0;
    for (size_t j = 0; j < n; j++) s += r.grad[j] * r.grad[j];
    *f = s;
    for (size_t i = 0; i < n; i++) {
        double v = 0;
        for (size_t j = 0; j < n; j++) v += 2 * r.hess[i * n + j] * r.grad[j];
        g->data[i] = v;
    }
}
static void gdf(const gsl_vector *x, void *p, gsl_vector *g) { double f; gfdf(x, p, &f, g); }

static int bfgs(c12obj *c, double *w, int on_grad, size_t maxit)
{
    size_t n = c->X->K - 1;
    gsl_multimin_function_fdf F = { on_grad ? gf : lf, on_grad ? gdf : ldf, on_grad ? gfdf : lfdf, n, c };
    gsl_vector_view x = gsl_vector_view_array(w, n);
    gsl_multimin_fdfminimizer *mn = gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, n);
    if (!mn) return GSL_ENOMEM;
    int st = gsl_multimin_fdfminimizer_set(mn, &F, &x.vector, 0.5, 0.1);
    for (size_t it = 0; !st && it < maxit; it++) {
        if (gsl_multimin_test_gradient(mn->gradient, 1e-16) == GSL_SUCCESS) break;
        if (gsl_multimin_fdfminimizer_iterate(mn)) break;   /* no progress: stop where it is */
        if (dist_inf(n, mn->x->data, c->X->m->theta) > 40) break;   /* off to a plateau */
    }
    memcpy(w, mn->x->data, n * sizeof *w);
    gsl_multimin_fdfminimizer_free(mn);
    return st;
}

/* Continuation of a slow GD run: saddle-free Newton steps (eigenvalues of
 * the Hessian by LAPACKE_dsyev, replaced by max(|λ|, 1e-12 max|λ|)), each halved until
 * the loss decreases (a descent method: it cannot jump to another basin's
 * stationary point without a lower loss). */
static void descend_newton(c12obj *c, double *w, size_t maxit)
{
    size_t n = c->X->K - 1;
    kmix_result r;
    c->status |= c12_eval(c, w, KMIX_ALL | KMIX_NOERR, &r);
    for (size_t it = 0; it < maxit && !c12_reached(c, w, &r); it++) {
        /* saddle-free Newton: d = −V diag(1/max(|λ|, δ)) Vᵀ g, δ = 1e-12 max|λ| */
        double V[KMIX_NMAX * KMIX_NMAX], lam[KMIX_NMAX], d[KMIX_NMAX], vg[KMIX_NMAX];
        memcpy(V, r.hess, n * n * sizeof *V);
        if (LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)n, V, (lapack_int)n, lam)) break;
        double lmax = fmax(fabs(lam[0]), fabs(lam[n - 1]));
        for (size_t k = 0; k < n; k++) {   /* columns of V are the eigenvectors */
            double s_ = 0;
            for (size_t j = 0; j < n; j++) s_ += V[j * n + k] * r.grad[j];
            vg[k] = s_ / fmax(fabs(lam[k]), 1e-12 * lmax);
        }
        for (size_t j = 0; j < n; j++) {
            double s_ = 0;
            for (size_t k = 0; k < n; k++) s_ += V[j * n + k] * vg[k];
            d[j] = -s_;
        }
        double t = 1, wn[KMIX_NMAX];
        kmix_result rn;
        int ok = 0;
        for (int h = 0; h < 40 && !ok; h++, t *= 0.5) {
            for (size_t j = 0; j < n; j++) wn[j] = w[j] + t * d[j];
            c->status |= c12_eval(c, wn, KMIX_ALL | KMIX_NOERR, &rn);
            ok = rn.excess.val < r.excess.val;
        }
        if (!ok) break;
        memcpy(w, wn, n * sizeof *w);
        r = rn;
    }
}

/* Newton steps on ∇ℓ = 0 (LAPACKE_dsysv), steps capped at length 1; returns the last step length. */
static double newton(c12obj *c, double *w, int steps)
{
    size_t n = c->X->K - 1;
    double last = INFINITY;
    for (int s = 0; s < steps; s++) {
        kmix_result r;
        c->status |= c12_eval(c, w, KMIX_ALL | KMIX_NOERR, &r);
        double H[KMIX_NMAX * KMIX_NMAX], g[KMIX_NMAX];
        lapack_int ipiv[KMIX_NMAX];
        memcpy(H, r.hess, n * n * sizeof *H);
        for (size_t j = 0; j < n; j++) g[j] = -r.grad[j];
        if (LAPACKE_dsysv(LAPACK_ROW_MAJOR, 'U', (lapack_int)n, 1, H, (lapack_int)n, ipiv, g, 1)) return INFINITY;
        double len = 0;
        for (size_t j = 0; j < n; j++) len += g[j] * g[j];
        len = sqrt(len);
        double sc = len > 1 ? 1 / len : 1;
        for (size_t j = 0; j < n; j++) w[j] += sc * g[j];
        last = len;
        if (!isfinite(len) || len < 1e-12 || dist_inf(n, w, c->X->m->theta) > 40) break;
    }
    return last;
}

typedef struct {
    size_t runs, reached, slow, resolved, descending, stuck, cont_fail, notpd, refined, starts, at_opt, spurious, plateau, nonstat;
    double cond, lam_margin, cond_desc;
    char example[160];
} c12stats;

static int c12_one(const pc_opts *o, const kmix_quad *q, size_t idx, size_t K, int plane, c12stats *S)
{
    c12mix X;
    int st = c12_make(o, idx, K, plane, &X);
    if (st) { kmix_free(X.m); return st; }
    c12obj c = { o, q, &X, 0 };
    const size_t n = K - 1;
    const double *th = X.m->theta;
    kmix_result r;
    memset(S, 0, sizeof *S);
    S->lam_margin = INFINITY;
    /* (i) Hessian at θ* */
    double lam[KMIX_NMAX];
    if ((st = c12_eval(&c, th, KMIX_ALL, &r)) || (st = eig(n, r.hess, lam))) { kmix_free(X.m); return st; }
    double herr = fro(n, r.hess_err);
    if (!(lam[0] > herr)) {
        /* not certified at the default orders (a nearly singular Hessian: two
         * close means or a small weight): the Gauss–Hermite rule at twice the
         * orders, whose error estimate |Q_2hi − Q_hi| is far smaller.  Only
         * λ_min ≤ its error at the finer rule counts as "not PD" (full seed
         * 17: λ_min/err 0.51 at the default orders). */
        const int r1 = X.m->r == 1;
        kmix_quad *q2 = kmix_quad_alloc(2 * (r1 ? KMIX_QUAD_HI1 : KMIX_QUAD_HI2),
                                        2 * (r1 ? KMIX_QUAD_LO1 : KMIX_QUAD_LO2), &st);
        c12obj c2 = c;
        c2.q = q2;
        if (q2 && !(st = c12_eval(&c2, th, KMIX_ALL, &r))) st = eig(n, r.hess, lam);
        kmix_quad_free(q2);
        if (st) { kmix_free(X.m); return st; }
        herr = fro(n, r.hess_err);
        S->refined++;
        if (!(lam[0] > herr)) S->notpd++;
    }
    S->cond = lam[n - 1] / lam[0];
    S->lam_margin = lam[0] / herr;
    /* (ii) GD from spread-out starts */
    size_t budget = pick(o, 600, 150, 100), nst = K + 3;
    gsl_rng *rng = spl_rng_alloc(o->seed, 0xC12A, idx);
    if (!rng) { kmix_free(X.m); return GSL_ENOMEM; }
    for (size_t s = 0; s < nst; s++) {
        double w[KMIX_NMAX], p[KMIX_KMAX];
        if (s < K) {
            for (size_t k = 0; k < K; k++) p[k] = k == s ? 0.9 : 0.1 / (double)(K - 1);
            kmix_logits(K, p, w);
        } else if (s == K) {
            for (size_t j = 0; j < n; j++) w[j] = 0;
        } else {
            double u[KMIX_NMAX];
            gsl_ran_dir_nd(rng, n, u);
            for (size_t j = 0; j < n; j++) w[j] = th[j] + 4 * u[j];
        }
        double eta = 1.0 / lam[n - 1], f0;
        c12_eval(&c, w, KMIX_GRAD | KMIX_NOERR, &r);
        f0 = r.excess.val;
        size_t it = 0;
        while (it < budget && !c12_reached(&c, w, &r)) {
            double wn[KMIX_NMAX];
            for (size_t j = 0; j < n; j++) wn[j] = w[j] - eta * r.grad[j];
            kmix_result rn;
            c12_eval(&c, wn, KMIX_GRAD | KMIX_NOERR, &rn);
            if (rn.excess.val > f0) { eta *= 0.5; continue; }
            memcpy(w, wn, n * sizeof *w);
            r = rn;
            f0 = r.excess.val;
            it++;
        }
        S->runs++;
        if (c12_reached(&c, w, &r)) { S->reached++; continue; }
        kmix_result re;
        c12_eval(&c, w, KMIX_ALL, &re);
        int moving = 0;
        for (size_t j = 0; j < n; j++) moving |= fabs(re.grad[j]) > 4 * re.grad_err[j];
        if (!moving) {
            S->stuck++;
            snprintf(S->example, sizeof S->example, "GD stuck: mixture %zu (K=%zu,%s) at w=(%.4g,%.4g,...)",
                     idx, K, plane ? "plane" : "line", w[0], w[1]);
            continue;
        }
        S->slow++;
        descend_newton(&c, w, pick(o, 200, 100, 50));
        c12_eval(&c, w, KMIX_GRAD, &r);
        if (c12_reached(&c, w, &r)) continue;
        /* the loss cannot tell w from θ*: within the quadrature's resolution */
        if (r.excess.val <= 4 * r.excess.err) { S->resolved++; continue; }
        /* still descending at the end of the budget (gradient nonzero beyond
         * its error): slow convergence along a nearly flat valley, not a
         * stationary point — counted and reported with the conditioning */
        int moving2 = 0;
        for (size_t j = 0; j < n; j++) moving2 |= fabs(r.grad[j]) > 4 * r.grad_err[j];
        if (moving2) { S->descending++; S->cond_desc = fmax(S->cond_desc, S->cond); continue; }
        S->cont_fail++;
        snprintf(S->example, sizeof S->example, "continuation short of theta*: mixture %zu (K=%zu,%s) "
                 "excess %.3g +- %.2g, cond %.3g", idx, K, plane ? "plane" : "line", r.excess.val,
                 r.excess.err, S->cond);
    }
    /* (iii) stationary-point search */
    size_t ns = pick(o, 16, 6, 12);
    for (size_t s = 0; s < ns; s++) {
        double w[KMIX_NMAX], u[KMIX_NMAX], R = 1.5 * (double)(1 + s % 3);
        gsl_ran_dir_nd(rng, n, u);
        for (size_t j = 0; j < n; j++) w[j] = th[j] + R * u[j];
        double step = newton(&c, w, 15);
        if (!(step < 1e-8) && dist_inf(n, w, th) <= 40) {
            for (size_t j = 0; j < n; j++) w[j] = th[j] + R * u[j];
            bfgs(&c, w, 1, pick(o, 100, 30, 30));
            step = newton(&c, w, 8);
        }
        S->starts++;
        c12_eval(&c, w, KMIX_ALL, &r);
        if (c12_reached(&c, w, &r)) { S->at_opt++; continue; }
        double lw[KMIX_NMAX];
        int zero = 1;
        for (size_t j = 0; j < n; j++) zero &= fabs(r.grad[j]) <= 4 * r.grad_err[j] + 1e-300;
        zero |= step < 1e-8;   /* Newton converged: a zero of ∇ℓ within the step */
        int degenerate = eig(n, r.hess, lw) != 0;
        double mabs = INFINITY;
        for (size_t j = 0; j < n && !degenerate; j++) mabs = fmin(mabs, fabs(lw[j]));
        degenerate |= !(mabs > fro(n, r.hess_err));
        if (zero && !degenerate && r.excess.val > 4 * r.excess.err) {
            S->spurious++;
            snprintf(S->example, sizeof S->example,
                     "spurious stationary point: mixture %zu (K=%zu,%s,a=%.3f) at w=(%.5g,%.5g,...), excess %.3g",
                     idx, K, plane ? "plane" : "line", X.a, w[0], n > 1 ? w[1] : 0.0, r.excess.val);
        } else if (degenerate || dist_inf(n, w, th) > 10) S->plateau++;
        else S->nonstat++;
    }
    gsl_rng_free(rng);
    kmix_free(X.m);
    return c.status ? GSL_EFAILED : GSL_SUCCESS;
}

int pc_c12_kcomp_landscape(const pc_opts *o, pc_result *res)
{
    if (!o || !res) return GSL_EINVAL;
    double t0 = omp_get_wtime();
    /* full: 2 mixtures per (K, geometry); quick: lines K = 3..6 and planes
     * K = 3, 4; unit tests: K = 3, one line and one plane */
    const size_t per = pick(o, 2, 1, 1), Kmin = 3, Kmax = o->quick >= 2 ? 3 : 6;
    size_t nmix = 0, mK[64], mP[64];
    for (size_t K = Kmin; K <= Kmax; K++)
        for (int plane = 0; plane < 2; plane++)
            for (size_t j = 0; j < per; j++) {
                if (o->quick == 1 && plane && K > 4) continue;
                mK[nmix] = K; mP[nmix++] = (size_t)plane;
            }
    kmix_quad *q = kmix_quad_alloc(0, 0, NULL);
    c12stats *S = calloc(nmix, sizeof *S);
    if (!q || !S) { kmix_quad_free(q); free(S); return GSL_ENOMEM; }
    int status = 0;
    #pragma omp parallel for schedule(dynamic) reduction(|:status)
    for (size_t i = 0; i < nmix; i++) {
        status |= c12_one(o, q, i, mK[i], (int)mP[i], &S[i]);
    }
    kmix_quad_free(q);
    if (status) { free(S); return GSL_EFAILED; }
    c12stats T;
    memset(&T, 0, sizeof T);
    T.lam_margin = INFINITY;
    const char *ex = NULL;
    for (size_t i = 0; i < nmix; i++) {
        T.runs += S[i].runs; T.reached += S[i].reached; T.slow += S[i].slow; T.resolved += S[i].resolved; T.descending += S[i].descending;
        T.cond_desc = fmax(T.cond_desc, S[i].cond_desc); T.stuck += S[i].stuck;
        T.cont_fail += S[i].cont_fail; T.notpd += S[i].notpd; T.refined += S[i].refined; T.starts += S[i].starts;
        T.at_opt += S[i].at_opt; T.spurious += S[i].spurious; T.plateau += S[i].plateau;
        T.nonstat += S[i].nonstat;
        T.cond = fmax(T.cond, S[i].cond);
        T.lam_margin = fmin(T.lam_margin, S[i].lam_margin);
        if (!ex && S[i].example[0]) ex = S[i].example;
    }
    double bad = (double)(T.spurious + T.stuck + T.notpd + T.cont_fail);
    res->id = "C12";
    res->measured = bad;
    res->threshold = thr(o, 0.0);
    res->pass = bad <= res->threshold;
    char buf[800];
    snprintf(buf, sizeof buf,
             "%s%sK=3..%zu line+plane, %zu mixtures; GD %zu runs: %zu reached, %zu slow (Newton: %zu reached, %zu to "
             "quad resolution, %zu still descending at cond<=%.2g, %zu failed), %zu stuck; H(theta*) PD (%zu not, %zu refined), min lam_min/err %.2g, max cond %.2g; search %zu "
             "starts: %zu theta*, %zu spurious, %zu plateau, %zu non-stat; measured=failures",
             ex ? ex : "", ex ? "; " : "", Kmax, nmix, T.runs, T.reached, T.slow, T.slow - T.resolved - T.descending - T.cont_fail, T.resolved,
             T.descending, T.cond_desc, T.cont_fail, T.stuck, T.notpd, T.refined, T.lam_margin,
             T.cond, T.starts, T.at_opt, T.spurious, T.plateau, T.nonstat);
    size_t len = strlen(buf) < sizeof res->claim - 1 ? strlen(buf) : sizeof res->claim - 1;
    memcpy(res->claim, buf, len);
    res->claim[len] = '\0';
    free(S);
    res->seconds = omp_get_wtime() - t0;
    return GSL_SUCCESS;
}

/* ---- C13 dimension-free -------------------------------------------------------
 * K = 3, means in a plane (z on a circle of radius 1.5 at angles 90°, 210°,
 * 330°, embedded in R^d along two random orthonormal directions — any d ≥ r = 2),
 * π = (0.2, 0.3, 0.5), a = 0.7.  R replicates of ŵ_n from explicit
 * d-dimensional draws (n per replicate) for d ∈ {2, 10, 100, 1000, 10^4}
 * (quick: {2, 100, 10^4}).  Two families of tests, each at level 0.5%
 * (Šidák over its comparisons), so that a false alarm has probability ≤ 1%:
 *  (a) same law: two-sample KS on each coordinate of √n(ŵ − θ*), every pair of d;
 *  (b) covariance: n·Cov(ŵ) against Σ = B⁻¹AB⁻¹ (quadrature) through the mean
 *      squares of three combinations of W = √n(ŵ − θ*) that determine it (W₀,
 *      W₁ and W₀/√Σ₀₀ + W₁/√Σ₁₁), each at every d, by a two-sided
 *      Satterthwaite χ² (pc_rate_msq_chisq) with the kurtosis pooled over d.
 * measured: the smallest Šidák-adjusted p-value over both families, times 2
 * (Bonferroni over the two); threshold 0.01.
 * Until 2026-11-29 (b) was a normal z per entry of n·Cov with the SE from
 * that d's own replicates; that SE shrinks with the sample variance, so the
 * max over 15 entries had a false-alarm rate of 1.6% (full) and 5.3% (quick,
 * n = 200) at a nominal 0.5%, by resampling 8000 replicates (docs/claims.md,
 * "C13's covariance test"); it failed full seed 2.  The χ² family measures
 * 0.47% (full) and 0.49% (quick) on the same resampling.  Quick mode draws
 * n = 1000 (was 200): at n = 200 the finite-n n·Cov exceeds the sandwich by
 * 11% (n = 500: 2.5%, n = 1000: within 1%), enough to lift the family to 1.6%.
 * Wrong model (--mutant): the sandwich with a B PC_HESS_FACTOR (20%) too
 * large (the wrong Hessian of C5, C7 and C11): n·Cov predicted 1.44× too
 * small, a mean-square ratio of 1.44 against a relative SE ≈ √(2/R) = 0.07
 * (full), 0.14 (quick); the KS family is unchanged. */
static void embed_plane(const double *z, size_t K, size_t d, gsl_rng *r, double *mu)
{
    double *u0 = malloc(d * sizeof *u0), *u1 = malloc(d * sizeof *u1);
    if (!u0 || !u1) { free(u0); free(u1); return; }
    gsl_ran_dir_nd(r, d, u0);
    double dot = 0, nn = 0;
    for (size_t j = 0; j < d; j++) u1[j] = gsl_ran_gaussian(r, 1.0);
    for (size_t j = 0; j < d; j++) dot += u1[j] * u0[j];
    for (size_t j = 0; j < d; j++) { u1[j] -= dot * u0[j]; nn += u1[j] * u1[j]; }
    for (size_t j = 0; j < d; j++) u1[j] /= sqrt(nn);
    for (size_t k = 0; k < K; k++)
        for (size_t j = 0; j < d; j++) mu[k * d + j] = z[2 * k] * u0[j] + z[2 * k + 1] * u1[j];
    free(u0);
    free(u1);
}

/* C13's family (b): see the header above and claims.h. */
int pc_c13_cov_family(const double *W, size_t nd, size_t R, const double *cov, double *pmin,
                      size_t *m, double *rmax, double *sdrel)
{
    if (!W || !cov || !pmin || !m || !rmax || !sdrel) return GSL_EINVAL;
    if (nd < 1 || R < 2 || !(cov[0] > 0) || !(cov[3] > 0)) return GSL_EDOM;
    const double cf[3][2] = { { 1, 0 }, { 0, 1 }, { 1 / sqrt(cov[0]), 1 / sqrt(cov[3]) } };
    const double vp[3] = { cov[0], cov[3], 2 + 2 * cov[1] / sqrt(cov[0] * cov[3]) };
    *pmin = 1; *m = 0; *rmax = 1; *sdrel = 0;
    for (size_t e = 0; e < 3; e++) {
        double m2 = 0, m4 = 0;
        for (size_t k = 0; k < nd * R; k++) {
            double v = cf[e][0] * W[k * 2] + cf[e][1] * W[k * 2 + 1];
            m2 += v * v;
            m4 += v * v * v * v;
        }
        m2 /= (double)(nd * R);
        m4 /= (double)(nd * R);
        if (!(m2 > 0)) return GSL_EDOM;
        double kappa = m4 / (m2 * m2);
        for (size_t i = 0; i < nd; i++) {
            double s2 = 0, p;
            for (size_t k = 0; k < R; k++) {
                double v = cf[e][0] * W[(i * R + k) * 2] + cf[e][1] * W[(i * R + k) * 2 + 1];
                s2 += v * v;
            }
            s2 /= (double)R;
            int st = pc_rate_msq_chisq(s2, R, vp[e], kappa, &p);
            if (st) return st;
            *pmin = fmin(*pmin, p);
            double ratio = s2 / vp[e];
            if (fabs(log(ratio)) > fabs(log(*rmax))) *rmax = ratio;
            if (e != 2) *sdrel = fmax(*sdrel, fabs(sqrt(ratio) - 1));
            (*m)++;
        }
    }
    return GSL_SUCCESS;
}

int pc_c13_kcomp_dimension_free(const pc_opts *o, pc_result *res)
{
    if (!o || !res) return GSL_EINVAL;
    double t0 = omp_get_wtime();
    const size_t Dfull[] = { 2, 10, 100, 1000, 10000 }, Dq[] = { 2, 100, 10000 }, Dt[] = { 2, 1000 };
    const size_t *D = o->quick >= 2 ? Dt : o->quick ? Dq : Dfull;
    const size_t nd = pick(o, 5, 3, 2), R = pick(o, 400, 100, 60), n = pick(o, 1000, 1000, 200);
    const double pi[3] = { 0.2, 0.3, 0.5 }, a = 0.7, b = ddpm_b_of_a(a);
    double z[6];
    for (int k = 0; k < 3; k++) { double t = M_PI / 2 + 2 * M_PI * k / 3; z[2 * k] = 1.5 * cos(t); z[2 * k + 1] = 1.5 * sin(t); }
    double *W = malloc(nd * R * 2 * sizeof *W);
    kmix_quad *q = kmix_quad_alloc(0, 0, NULL);
    if (!W || !q) { free(W); kmix_quad_free(q); return GSL_ENOMEM; }
    int status = 0;
    kmix_sandwich sw;
    double cov[4], th[2] = { 0, 0 };
    size_t nonconv = 0;
    for (size_t id = 0; id < nd && !status; id++) {
        size_t d = D[id];
        kmix *m = kmix_alloc(3, d, NULL);
        double *mu = malloc(3 * d * sizeof *mu);
        gsl_rng *r = spl_rng_alloc(o->seed, 0xC13, id);
        if (!m || !mu || !r) { kmix_free(m); free(mu); gsl_rng_free(r); status = GSL_ENOMEM; break; }
        embed_plane(z, 3, d, r, mu);
        gsl_rng_free(r);
        status = kmix_set(m, pi, mu, NULL, 0);
        free(mu);
        if (!status && id == 0) {
            status = kmix_sandwich_level(q, m, a, b, &sw);
            if (!status && o->kloss) {   /* the claim's B from the loss under test */
                kmix_result hr;
                status = o->kloss(q, m, a, b, m->theta, KMIX_ALL, &hr);
                if (!status) memcpy(sw.B, hr.hess, 4 * sizeof(double));
            }
            for (size_t j = 0; j < 4 && o->mutant; j++) sw.B[j] *= PC_HESS_FACTOR;
            if (!status) status = kmix_sandwich_cov(2, sw.A, sw.B, cov);
            th[0] = m->theta[0]; th[1] = m->theta[1];
        }
        size_t nc = 0;
        #pragma omp parallel for schedule(dynamic) reduction(|:status) reduction(+:nc)
        for (size_t k = 0; k < R; k++) {
            if (status) continue;
            int st;
            kmix_sample *S = kmix_sample_draw(m, a, b, n, DDPM_MC_EXPLICIT, spl_stream_seed(o->seed, 0xC13 + id, k), &st);
            kmix_fit_result f;
            if (S) st = kmix_fit_ddpm(m, S, NULL, KMIX_FIT_TOL, KMIX_FIT_MAXITER, &f);
            if (st == GSL_EMAXITER) nc++;          /* kept, and counted in the claim line */
            else if (st) status |= st;
            for (size_t j = 0; j < 2; j++) W[(id * R + k) * 2 + j] = sqrt((double)n) * (f.w[j] - th[j]);
            kmix_sample_free(S);
        }
        nonconv += nc;
        kmix_free(m);
    }
    kmix_quad_free(q);
    if (status) { free(W); return status; }
    /* (a) KS per coordinate per pair */
    double pks = 1, *x = malloc(R * sizeof *x), *y = malloc(R * sizeof *y);
    size_t mks = 0;
    for (size_t i = 0; i < nd; i++)
        for (size_t j = i + 1; j < nd; j++)
            for (size_t c = 0; c < 2; c++) {
                for (size_t k = 0; k < R; k++) { x[k] = W[(i * R + k) * 2 + c]; y[k] = W[(j * R + k) * 2 + c]; }
                double Dks, p;
                pc_ks2(x, R, y, R, &Dks, &p);
                pks = fmin(pks, p);
                mks++;
            }
    free(x); free(y);
    /* (b) n·Cov against the sandwich */
    double pcv = 1, sdrel = 0, rmax = 1;
    size_t mcv = 0;
    status = pc_c13_cov_family(W, nd, R, cov, &pcv, &mcv, &rmax, &sdrel);
    if (status) { free(W); return status; }
    free(W);
    double adj = fmin(1.0, 2 * fmin(sidak(pks, mks), sidak(pcv, mcv)));
    res->id = "C13";
    res->measured = adj;
    res->threshold = thr(o, 0.01);
    res->pass = adj > res->threshold;
    res->sense = -1;
    snprintf(res->claim, sizeof res->claim,
             "K=3 plane, pi=.2/.3/.5, a=0.7: law of sqrt(n)(w-theta*) same for d=2..%zu (%zu dims, "
             "R=%zu, n=%zu; min KS p %.3g of %zu), n*Cov = B^-1AB^-1 (sd_w %.3f,%.3f; "
             "mean squares w0,w1,sum: min chi2 p %.3g of %zu, worst ratio %.3f, sd dev %.3f; "
             "%zu unconverged); measured = Sidak-Bonferroni p (false alarm <= 1%%)",
             D[nd - 1], nd, R, n, pks, mks, sqrt(cov[0]), sqrt(cov[3]), pcv, mcv, rmax, sdrel, nonconv);
    res->seconds = omp_get_wtime() - t0;
    return GSL_SUCCESS;
}
