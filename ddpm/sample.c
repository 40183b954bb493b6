/* ddpm/sample.c — empirical sample sets, the empirical DDPM estimator ŵ_n,
 * the EM MLE on the same clean points, and the sandwich variance (THEORY.md §6). */
#include "ddpm/ddpm.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>
#include "common/ksum.h"
#include "common/spl.h"
#include "ddpm/draw.h"

void ddpm_sample_free(ddpm_sample *S)
{
    if (!S) return;
    free(S->lam);
    free(S->x0);
    free(S);
}

typedef struct {
    const gmm2 *g;
    const ddpm_schedule *s;   /* NULL: one level (a, b) */
    double a, b;
    ddpm_sample *S;
    double *orth;             /* (blocks) sum of the orthogonal parts per block */
} draw_ctx;

/* One block of the sample set (the skeleton is ddpm_blocks_run); scratch
 * holds x_t and ε (2d) for explicit draws. */
static int draw_block(void *vc, gsl_rng *r, size_t j, size_t i0, size_t i1, double *buf)
{
    const draw_ctx *c = vc;
    const gmm2 *g = c->g;
    ddpm_sample *S = c->S;
    const size_t d = g->d;
    double osum = 0.0;
    for (size_t i = i0; i < i1; i++) {
        double ai = c->a, bi = c->b;
        if (c->s) {
            size_t t = gsl_rng_uniform_int(r, c->s->T);
            ai = c->s->a[t];
            bi = c->s->b[t];
        }
        S->a[i] = ai;
        S->b[i] = bi;
        if (S->mode == DDPM_MC_PROJECTED) {
            ddpm_draw_projected(g, r, ai, bi, &S->x0[i], &S->v[i], &S->e[i]);
            osum += ai * ai * (double)(d - 1);
        } else {
            double *xt = buf, *eps = buf + d;
            S->x0[i] = ddpm_draw_explicit(g, r, ai, bi, xt, eps);
            /* projections, and the orthogonal part of the residual
             * ε + b s_w(x_t), which is (ε − b x_t)⊥ for every w:
             * ||ε − b x_t||² minus its u-part. */
            double xu = 0, eu = 0, nn = 0;
            for (size_t k = 0; k < d; k++) {
                double rk = eps[k] - bi * xt[k];
                xu += xt[k] * g->u[k];
                eu += eps[k] * g->u[k];
                nn += rk * rk;
            }
            double ru = eu - bi * xu;
            S->v[i] = xu - ai * g->shift;
            S->e[i] = eu;
            osum += fmax(nn - ru * ru, 0.0);
        }
    }
    c->orth[j] = osum;
    return GSL_SUCCESS;
}

ddpm_sample *ddpm_sample_draw(const gmm2 *g, const ddpm_schedule *s, double a, double b,
                              size_t n, ddpm_mc_mode mode, uint64_t seed, int *status)
{
    if (!g) return spl_fail(status, GSL_EINVAL);
    if (mode != DDPM_MC_EXPLICIT && mode != DDPM_MC_PROJECTED) return spl_fail(status, GSL_EINVAL);
    if (n < 1) return spl_fail(status, GSL_EDOM);
    if (!s && (!(a > 0 && a < 1) || !(b > 0 && b < 1) || fabs(a * a + b * b - 1.0) > 1e-9))
        return spl_fail(status, GSL_EDOM);
    ddpm_sample *S = calloc(1, sizeof *S);
    if (!S) return spl_fail(status, GSL_ENOMEM);
    S->x0 = malloc(5 * n * sizeof(double));
    if (!S->x0) { free(S); return spl_fail(status, GSL_ENOMEM); }
    S->v = S->x0 + n;
    S->e = S->x0 + 2 * n;
    S->a = S->x0 + 3 * n;
    S->b = S->x0 + 4 * n;
    S->n = n;
    S->sep = g->sep;
    S->mode = mode;
    const size_t nblocks = ddpm_blocks_count(n);
    double *orth = calloc(nblocks, sizeof *orth);
    if (!orth) { ddpm_sample_free(S); return spl_fail(status, GSL_ENOMEM); }
    draw_ctx c = { g, s, a, b, S, orth };
    int st = ddpm_blocks_run(n, seed, mode == DDPM_MC_EXPLICIT ? 2 * g->d : 0, draw_block, &c);
    if (st) { free(orth); ddpm_sample_free(S); return spl_fail(status, st); }
    S->orth = ddpm_blocks_mean_free(orth, n);
    spl_status(status, GSL_SUCCESS);
    return S;
}

int ddpm_sample_loss(const ddpm_sample *S, double w, double *loss, double *grad, double *hess)
{
    if (!S) return GSL_EINVAL;
    if (!isfinite(w)) return GSL_EDOM;
    /* The true θ* only enters the excess, which is not asked for here. */
    /* Fixed blocks summed in index order: bit-identical for any thread count.
     * Up to NB blocks (NB·DDPM_MC_BLOCK samples) the partial sums live on the
     * stack, beyond on the heap: not a limit, a saving of one malloc per call. */
    enum { NB = 64 };
    size_t nblocks = (S->n + DDPM_MC_BLOCK - 1) / DDPM_MC_BLOCK;
    double stackbuf[3 * NB], *part = nblocks <= NB ? stackbuf : malloc(3 * nblocks * sizeof(double));
    if (!part) return GSL_ENOMEM;
    #pragma omp parallel for schedule(static) if (nblocks > 8)
    for (size_t j = 0; j < nblocks; j++) {
        size_t i0 = j * DDPM_MC_BLOCK, i1 = i0 + DDPM_MC_BLOCK < S->n ? i0 + DDPM_MC_BLOCK : S->n;
        double l = 0, gr = 0, h = 0;
        for (size_t i = i0; i < i1; i++) {
            ddpm_terms t = ddpm_terms_projected(S->sep, S->a[i], S->b[i], w, w, S->v[i], S->e[i]);
            double lw = S->lam ? S->lam[i] : 1.0;
            l += lw * t.loss;
            gr += lw * t.grad;
            h += lw * t.hess;
        }
        part[3 * j] = l;
        part[3 * j + 1] = gr;
        part[3 * j + 2] = h;
    }
    double L = 0, G = 0, H = 0;
    for (size_t j = 0; j < nblocks; j++) { L += part[3 * j]; G += part[3 * j + 1]; H += part[3 * j + 2]; }
    if (part != stackbuf) free(part);
    double inv = 1.0 / (double)S->n;
    if (loss) *loss = L * inv + S->orth;
    if (grad) *grad = G * inv;
    if (hess) *hess = H * inv;
    return GSL_SUCCESS;
}

/* ---- estimators --------------------------------------------------------- */

/* The empirical gradient for GSL's solver; a failure (no memory for the
 * partial sums) is kept in status and turns the gradient into NaN, which
 * the caller checks: it never becomes a gradient of 0. */
typedef struct { const ddpm_sample *S; int status; } grad_ctx;

static double sample_grad(double w, void *p)
{
    grad_ctx *c = p;
    double g = GSL_NAN;
    int st = ddpm_sample_loss(c->S, w, NULL, &g, NULL);
    if (st) {
        if (!c->status) c->status = st;
        return GSL_NAN;
    }
    return g;
}

/* No sign change of the gradient within |w| ≤ WMAX: the empirical loss keeps
 * falling towards p = 0 or 1.  Report the end point, not converged. */
static int no_bracket(const ddpm_sample *S, double w, ddpm_fit_result *res)
{
    res->w_hat = w;
    res->p_hat = spl_sigmoid(w);
    res->iterations = 0;
    res->converged = 0;
    int st = ddpm_sample_loss(S, w, &res->objective, NULL, NULL);
    return st ? st : GSL_EMAXITER;
}

/* ŵ_n: the root of the empirical gradient.  A bracket [lo, hi] with
 * grad(lo) < 0 < grad(hi) is found by stepping outwards from w0 with doubling
 * steps, then GSL's Brent solver narrows it to |hi − lo| < tol (absolute in w). */
int ddpm_fit_ddpm(const ddpm_sample *S, double w0, double tol, size_t maxiter, ddpm_fit_result *res)
{
    if (!S || !res) return GSL_EINVAL;
    if (!isfinite(w0) || !(tol > 0)) return GSL_EDOM;
    const double WMAX = 60.0;
    grad_ctx gc = { S, GSL_SUCCESS };
    double g0 = sample_grad(w0, &gc);
    if (gc.status) return gc.status;

    double lo = w0, hi = w0, step = 0.5;
    if (g0 == 0) { lo = hi = w0; }
    else if (g0 > 0) {       /* minimum to the left */
        double glo = g0;
        while (glo > 0 && lo > -WMAX) { hi = lo; lo = fmax(lo - step, -WMAX); step *= 2; glo = sample_grad(lo, &gc); }
        if (gc.status) return gc.status;
        if (glo > 0) return no_bracket(S, lo, res);
    } else {
        double ghi = g0;
        while (ghi < 0 && hi < WMAX) { lo = hi; hi = fmin(hi + step, WMAX); step *= 2; ghi = sample_grad(hi, &gc); }
        if (gc.status) return gc.status;
        if (ghi < 0) return no_bracket(S, hi, res);
    }
    double w = 0.5 * (lo + hi);
    int status = GSL_SUCCESS;
    size_t iter = 0;
    if (lo < hi) {
        gsl_function F = { sample_grad, &gc };
        gsl_root_fsolver *sv = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
        if (!sv) return GSL_ENOMEM;
        status = gsl_root_fsolver_set(sv, &F, lo, hi);
        if (status == GSL_SUCCESS) status = GSL_CONTINUE;
        while (status == GSL_CONTINUE && iter < maxiter) {
            iter++;
            status = gsl_root_fsolver_iterate(sv);
            if (status) break;
            w = gsl_root_fsolver_root(sv);
            status = gsl_root_test_interval(gsl_root_fsolver_x_lower(sv), gsl_root_fsolver_x_upper(sv), tol, 0);
        }
        gsl_root_fsolver_free(sv);
        if (gc.status) return gc.status;
    }
    res->w_hat = w;
    res->p_hat = spl_sigmoid(w);
    res->iterations = iter;
    res->converged = status == GSL_SUCCESS;
    int st = ddpm_sample_loss(S, w, &res->objective, NULL, NULL);
    if (st) return st;
    if (status == GSL_CONTINUE) return GSL_EMAXITER;
    return status;
}

int ddpm_fit_mle(const gmm2 *g, const ddpm_sample *S, double tol, size_t maxiter, ddpm_fit_result *res)
{
    if (!g || !S || !res) return GSL_EINVAL;
    gmm_em_result em;
    double pi_hat;
    int st = gmm2_em_weight(g, S->x0, S->n, DDPM_FIT_MLE_PI0, tol, maxiter, &pi_hat, &em);
    if (st != GSL_SUCCESS && st != GSL_EMAXITER) return st;
    res->p_hat = pi_hat;
    res->w_hat = spl_logit(pi_hat);
    res->iterations = em.iterations;
    res->converged = em.converged;
    res->objective = em.loglik;
    return st;
}

/* ---- sandwich variance (§6) ----------------------------------------------
 * Per level: A = 4a⁴b²Δ² E[r²(1 + rΔ²b²)],  B = 2a²b²Δ² E[r²].  Products of
 * positive factors: each rounds by a few ulps (6·eps covers the ≤ 10 operations)
 * on top of the moments' own errors. */
static int sandwich_terms(ddpm_quad *q, double sep, double a, double b, double theta,
                          double *A, double *B, double *Aerr, double *Berr)
{
    ddpm_moments m;
    int st = ddpm_moments_eval(q, a * sep, theta, theta, &m);
    if (st) return st;
    double c = a * a * b * b * sep * sep;
    *A = 4 * a * a * c * (m.r2.val + sep * sep * b * b * m.r3.val);
    *Aerr = 4 * a * a * c * (m.r2.err + sep * sep * b * b * m.r3.err) + 6 * DBL_EPSILON * *A;
    *B = 2 * c * m.r2.val;
    *Berr = 2 * c * m.r2.err + 4 * DBL_EPSILON * *B;
    return GSL_SUCCESS;
}

/* nvar_w = A/B² with A, B known to within Aerr, Berr: the worst case of
 * (A + Aerr)/(B − Berr)² (not only its first order), and 4 ulps for the
 * division and the square; nvar_p = (π(1−π))² nvar_w likewise. */
static void sandwich_finish(const gmm2 *g, double A, double B, double Aerr, double Berr, ddpm_sandwich *sw)
{
    const double eps = DBL_EPSILON;
    sw->A = A;
    sw->B = B;
    sw->A_err = Aerr;
    sw->B_err = Berr;
    sw->nvar_w = A / (B * B);
    double rA = Aerr / A, rB = Berr / B;
    double rel = rB < 1 ? (1 + rA) / ((1 - rB) * (1 - rB)) - 1 : GSL_POSINF;
    sw->err = sw->nvar_w * (rel + 4 * eps);
    double pq = g->pi * (1.0 - g->pi);
    sw->nvar_p = pq * pq * sw->nvar_w;
    sw->err_p = pq * pq * sw->err + 6 * eps * sw->nvar_p;
}

int ddpm_sandwich_level(ddpm_quad *q, const gmm2 *g, double a, double b, ddpm_sandwich *sw)
{
    if (!q || !g || !sw) return GSL_EINVAL;
    if (!(a > 0 && a <= 1) || !(b > 0 && b < 1) || !(g->sep > 0)) return GSL_EDOM;
    double A, B, Ae, Be;
    int st = sandwich_terms(q, g->sep, a, b, spl_logit(g->pi), &A, &B, &Ae, &Be);
    if (st) return st;
    sandwich_finish(g, A, B, Ae, Be, sw);
    return GSL_SUCCESS;
}

int ddpm_sandwich_avg(ddpm_quad *q, const gmm2 *g, const ddpm_schedule *s, ddpm_sandwich *sw)
{
    if (!q || !g || !s || !sw) return GSL_EINVAL;
    if (!(g->sep > 0)) return GSL_EDOM;
    double theta = spl_logit(g->pi), Ae = 0, Be = 0;
    spl_ksum A = SPL_KSUM_INIT, B = SPL_KSUM_INIT;   /* compensated: T levels, an ulp of rounding */
    for (size_t i = 0; i < s->T; i++) {
        double Ai, Bi, Aei, Bei;
        int st = sandwich_terms(q, g->sep, s->a[i], s->b[i], theta, &Ai, &Bi, &Aei, &Bei);
        if (st) return st;
        spl_ksum_add(&A, Ai);
        spl_ksum_add(&B, Bi);
        Ae += Aei; Be += Bei;
    }
    double inv = 1.0 / (double)s->T, c = inv * (1 + 2 * DBL_EPSILON);
    double Am = spl_ksum_val(&A) * inv, Bm = spl_ksum_val(&B) * inv;
    sandwich_finish(g, Am, Bm, (Ae + spl_ksum_err(&A)) * c + DBL_EPSILON * Am,
                    (Be + spl_ksum_err(&B)) * c + DBL_EPSILON * Bm, sw);
    return GSL_SUCCESS;
}
