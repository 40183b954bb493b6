/* ddpm/kmix_mc.c — the K-component loss by Monte Carlo (explicit in R^d or
 * projected on the means' span), empirical sample sets, the estimator ŵ_n
 * (GSL multimin BFGS2), the EM MLE, and gradient descent on w (THEORY.md §10).
 *
 * Samples are drawn in blocks of DDPM_MC_BLOCK; block j uses the stream
 * (seed, j, 0) and its own accumulators, merged in block order: results are
 * bit-identical whatever the number of OpenMP threads. */
#include "ddpm/kmix.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_randist.h>
#include <lapacke.h>
#include "common/spl.h"
#include "ddpm/draw.h"
#include "ddpm/kmix_internal.h"

/* One draw.  Explicit: x0 = μ_k + ξ, ε in R^d (buf: 2d), projected on U.
 * Fills y (r), e (r), x0p (r), the base logits l (K), s_k = z_k·R_w and
 * |R_w|² (the span part plus, explicit, the exact orthogonal part; projected,
 * nothing: the caller adds a²χ²), and returns the orthogonal part. */
typedef struct {
    const kmix *m;
    const gsl_ran_discrete_t *tab;
    double a, b;
    ddpm_mc_mode mode;
    double *buf;        /* 2d, explicit only */
} drawer;

static size_t draw_label(const drawer *D, gsl_rng *rng) { return gsl_ran_discrete(rng, D->tab); }

/* Explicit draw in R^d: xc = x0 − μ̄ and ε into D->buf (2d). */
static void draw_explicit(const drawer *D, gsl_rng *rng)
{
    const kmix *m = D->m;
    const size_t d = m->d;
    size_t k = draw_label(D, rng);
    double *xc = D->buf, *eps = D->buf + d;
    const double *mu = m->g->mu + k * d;
    for (size_t j = 0; j < d; j++) {
        xc[j] = mu[j] + gsl_ran_gaussian_ziggurat(rng, 1.0) - m->cbar[j];
        eps[j] = gsl_ran_gaussian_ziggurat(rng, 1.0);
    }
}

/* One draw, reduced: y (r), e (r), x0p (r); returns the w-free orthogonal
 * part of the residual (explicit: ||(I − UᵀU)(ε − b(x_t − aμ̄))||², exact;
 * projected: 0, the caller adds a²χ²_{d−r} or its mean). */
static double draw_one(const drawer *D, gsl_rng *rng, double *y, double *e, double *x0p)
{
    const kmix *m = D->m;
    const size_t d = m->d, r = m->r;
    const double a = D->a, b = D->b;
    if (D->mode == DDPM_MC_PROJECTED) {
        size_t k = draw_label(D, rng);
        for (size_t i = 0; i < r; i++) {
            double xi = gsl_ran_gaussian_ziggurat(rng, 1.0), ee = gsl_ran_gaussian_ziggurat(rng, 1.0);
            x0p[i] = m->z[k * r + i] + xi;
            y[i] = a * x0p[i] + b * ee;
            e[i] = ee;
        }
        return 0.0;
    }
    draw_explicit(D, rng);
    const double *xc = D->buf, *eps = D->buf + d;
    for (size_t i = 0; i < r; i++) { y[i] = 0.0; e[i] = 0.0; x0p[i] = 0.0; }
    double nn = 0.0;
    for (size_t j = 0; j < d; j++) {
        double yc = a * xc[j] + b * eps[j];  /* x_t − a μ̄ */
        /* the w-free part of the residual: ε − b x_t + ab μ̄ = ε − b(x_t − aμ̄) */
        double rj = eps[j] - b * yc;
        nn += rj * rj;
        for (size_t i = 0; i < r; i++) {
            double u = m->U[i * d + j];
            x0p[i] += u * xc[j];
            y[i] += u * yc;
            e[i] += u * eps[j];
        }
    }
    double ru = 0.0;
    for (size_t i = 0; i < r; i++) ru += gsl_pow_2(e[i] - b * y[i]);
    return fmax(nn - ru, 0.0);
}

/* A full d-dimensional sample's base logits l_k = a v_k·(x_t − aμ̄) − a²|v_k|²/2,
 * s_k = v_k·R and |R|², R = ε + b(−x_t + a μ̄_w) ∈ R^d, v_k = μ_k − μ̄ (no
 * use of the reduction U, z). */
static double explicit_terms(const drawer *D, const double *w, double *l, double *s)
{
    const kmix *m = D->m;
    const size_t K = m->K, d = m->d;
    const double a = D->a, b = D->b, *xc = D->buf, *eps = D->buf + d;
    double rho[KMIX_KMAX];
    for (size_t k = 0; k < K; k++) {
        const double *v = m->mc + k * d;
        double p = 0.0;
        for (size_t j = 0; j < d; j++) p += v[j] * (a * xc[j] + b * eps[j]);
        l[k] = a * p - 0.5 * a * a * m->gram_d[k * K + k];
        s[k] = 0.0;
    }
    kmix_softmax_shift(K, w, l, rho);
    double rr = 0.0;
    for (size_t j = 0; j < d; j++) {
        double mb = 0.0;
        for (size_t k = 0; k < K; k++) mb += rho[k] * m->mc[k * d + j];
        double R = eps[j] + b * (-(a * xc[j] + b * eps[j]) + a * mb);
        rr += R * R;
        for (size_t k = 0; k < K; k++) s[k] += m->mc[k * d + j] * R;
    }
    return rr;
}

/* Base logits and s, |R|² (span part) at w from y, e. */
static double span_terms(const kmix *m, double a, double b, const double *w, const double *y,
                         const double *e, double *l, double *s)
{
    const size_t K = m->K, r = m->r;
    double rho[KMIX_KMAX], R[KMIX_NMAX];
    for (size_t k = 0; k < K; k++) {
        double v = 0.0;
        for (size_t i = 0; i < r; i++) v += m->z[k * r + i] * y[i];
        l[k] = a * v - 0.5 * a * a * m->gram[k * K + k];
    }
    kmix_softmax_shift(K, w, l, rho);
    double rr = 0.0;
    for (size_t i = 0; i < r; i++) {
        double zb = 0.0;
        for (size_t k = 0; k < K; k++) zb += rho[k] * m->z[k * r + i];
        R[i] = e[i] + b * (-y[i] + a * zb);
        rr += R[i] * R[i];
    }
    for (size_t k = 0; k < K; k++) {
        double v = 0.0;
        for (size_t i = 0; i < r; i++) v += m->z[k * r + i] * R[i];
        s[k] = v;
    }
    return rr;
}

/* One block of kmix_loss_mc (ddpm_blocks_run's body): samples i0..i1 from r,
 * their terms accumulated into block j's statistics. */
typedef struct {
    const kmix *m;
    const gsl_ran_discrete_t *tab;
    double a, b;
    const double *w;
    const ddpm_mc_opts *o;
    spl_stat *bs;       /* (nblocks, nf) */
    size_t nf;
} mc_ctx;

static int mc_block(void *ctx, gsl_rng *rng, size_t j, size_t i0, size_t i1, double *buf)
{
    const mc_ctx *c = ctx;
    const kmix *m = c->m;
    const double a = c->a, b = c->b, *w = c->w;
    const size_t d = m->d, r = m->r;
    drawer D = { m, c->tab, a, b, c->o->mode, buf };
    spl_stat *st_ = c->bs + j * c->nf;
    for (size_t i = i0; i < i1; i++) {
        double y[KMIX_NMAX], e[KMIX_NMAX], x0p[KMIX_NMAX], l[KMIX_KMAX], s[KMIX_KMAX];
        double out[KMIX_TERMS_MAX];
        double rr;
        if (c->o->mode == DDPM_MC_EXPLICIT) {
            draw_explicit(&D, rng);
            rr = explicit_terms(&D, w, l, s);
            kmix_sample_terms(m, m->gram_d, a, b, w, l, s, rr, 1, out);
        } else {
            draw_one(&D, rng, y, e, x0p);
            rr = span_terms(m, a, b, w, y, e, l, s);
            if (d > r)
                rr += a * a * (c->o->draw_chi2 ? gsl_ran_chisq(rng, (double)(d - r)) : (double)(d - r));
            kmix_sample_terms(m, m->gram, a, b, w, l, s, rr, 1, out);
        }
        for (size_t f = 0; f < c->nf; f++) spl_stat_add(&st_[f], out[f]);
    }
    return GSL_SUCCESS;
}

int kmix_loss_mc(const kmix *m, double a, double b, const double *w, const ddpm_mc_opts *o,
                 kmix_result *res)
{
    if (!m || !w || !o || !res) return GSL_EINVAL;
    if (o->mode != DDPM_MC_EXPLICIT && o->mode != DDPM_MC_PROJECTED) return GSL_EINVAL;
    int st = kmix_check_level(m, a, b, w);
    if (st) return st;
    if (o->n < 1) return GSL_EDOM;
    const size_t K = m->K, n = K - 1, nf = 2 + n + n * n, d = m->d;
    const size_t nblocks = ddpm_blocks_count(o->n);
    spl_stat *bs = calloc(nblocks * nf, sizeof *bs);
    gsl_ran_discrete_t *tab = gsl_ran_discrete_preproc(K, m->g->w);
    if (!bs || !tab) { free(bs); gsl_ran_discrete_free(tab); return GSL_ENOMEM; }
    mc_ctx c = { m, tab, a, b, w, o, bs, nf };
    int bst = ddpm_blocks_run(o->n, o->seed, o->mode == DDPM_MC_EXPLICIT ? 2 * d : 0, mc_block, &c);
    gsl_ran_discrete_free(tab);
    if (bst) { free(bs); return bst; }
    for (size_t j = 1; j < nblocks; j++)
        for (size_t f = 0; f < nf; f++) spl_stat_merge(&bs[f], &bs[j * nf + f]);
    memset(res, 0, sizeof *res);
    res->n = n;
    res->loss = (ddpm_val){ bs[0].mean, spl_stat_se(&bs[0]) };
    res->excess = (ddpm_val){ bs[1].mean, spl_stat_se(&bs[1]) };
    for (size_t j = 0; j < n; j++) { res->grad[j] = bs[2 + j].mean; res->grad_err[j] = spl_stat_se(&bs[2 + j]); }
    for (size_t j = 0; j < n * n; j++) {
        res->hess[j] = bs[2 + n + j].mean;
        res->hess_err[j] = spl_stat_se(&bs[2 + n + j]);
    }
    free(bs);
    return GSL_SUCCESS;
}

/* ---- sample sets --------------------------------------------------------- */

void kmix_sample_free(kmix_sample *S)
{
    if (!S) return;
    free(S->y);
    free(S);
}

/* One block of kmix_sample_draw (ddpm_blocks_run's body): samples i0..i1
 * into the set, block j's w-free orthogonal sum into orth[j]. */
typedef struct {
    const kmix *m;
    const gsl_ran_discrete_t *tab;
    double a, b;
    ddpm_mc_mode mode;
    kmix_sample *S;
    double *orth;
} draw_ctx;

static int draw_block(void *ctx, gsl_rng *rng, size_t j, size_t i0, size_t i1, double *buf)
{
    const draw_ctx *c = ctx;
    const size_t r = c->m->r, d = c->m->d;
    drawer D = { c->m, c->tab, c->a, c->b, c->mode, buf };
    kmix_sample *S = c->S;
    double os = 0.0;
    for (size_t i = i0; i < i1; i++) {
        os += draw_one(&D, rng, S->y + i * r, S->e + i * r, S->x0 + i * r);
        if (c->mode == DDPM_MC_PROJECTED) os += c->a * c->a * (double)(d - r);
    }
    c->orth[j] = os;
    return GSL_SUCCESS;
}

kmix_sample *kmix_sample_draw(const kmix *m, double a, double b, size_t n, ddpm_mc_mode mode,
                              uint64_t seed, int *status)
{
    double w0[KMIX_NMAX] = { 0 };
    if (!m || (mode != DDPM_MC_EXPLICIT && mode != DDPM_MC_PROJECTED)) return spl_fail(status, GSL_EINVAL);
    if (n < 1 || kmix_check_level(m, a, b, w0)) return spl_fail(status, GSL_EDOM);
    const size_t r = m->r, d = m->d, nblocks = ddpm_blocks_count(n);
    kmix_sample *S = calloc(1, sizeof *S);
    if (!S) return spl_fail(status, GSL_ENOMEM);
    S->y = malloc(3 * n * r * sizeof *S->y);
    double *orth = calloc(nblocks, sizeof *orth);
    gsl_ran_discrete_t *tab = gsl_ran_discrete_preproc(m->K, m->g->w);
    if (!S->y || !orth || !tab) {
        free(orth);
        gsl_ran_discrete_free(tab);
        kmix_sample_free(S);
        return spl_fail(status, GSL_ENOMEM);
    }
    S->e = S->y + n * r;
    S->x0 = S->y + 2 * n * r;
    S->n = n; S->K = m->K; S->r = r; S->a = a; S->b = b;
    draw_ctx c = { m, tab, a, b, mode, S, orth };
    int bst = ddpm_blocks_run(n, seed, mode == DDPM_MC_EXPLICIT ? 2 * d : 0, draw_block, &c);
    gsl_ran_discrete_free(tab);
    if (bst) { free(orth); kmix_sample_free(S); return spl_fail(status, bst); }
    S->orth = ddpm_blocks_mean_free(orth, n);
    spl_status(status, GSL_SUCCESS);
    return S;
}

/* The empirical loss less its w-free orthogonal part S->orth. */
static int span_loss(const kmix *m, const kmix_sample *S, const double *w, double *loss,
                     double *grad, double *hess)
{
    if (!m || !S || !w || S->K != m->K || S->r != m->r) return GSL_EINVAL;
    const size_t K = m->K, n = K - 1, r = m->r, nf = 2 + n + n * n;
    double acc[KMIX_TERMS_MAX] = { 0 };
    for (size_t i = 0; i < S->n; i++) {
        double l[KMIX_KMAX], s[KMIX_KMAX], out[KMIX_TERMS_MAX];
        double rr = span_terms(m, S->a, S->b, w, S->y + i * r, S->e + i * r, l, s);
        kmix_sample_terms(m, m->gram, S->a, S->b, w, l, s, rr, hess != NULL, out);
        size_t nu = hess ? nf : 2 + n;
        for (size_t f = 0; f < nu; f++) acc[f] += out[f];
    }
    double inv = 1.0 / (double)S->n;
    if (loss) *loss = acc[0] * inv;
    if (grad) for (size_t j = 0; j < n; j++) grad[j] = acc[2 + j] * inv;
    if (hess) for (size_t j = 0; j < n * n; j++) hess[j] = acc[2 + n + j] * inv;
    return GSL_SUCCESS;
}

/* A sample set of this model: GSL_EINVAL for a NULL pointer or another
 * model's set. */
static int check_sample(const kmix *m, const kmix_sample *S)
{
    if (!m || !S || S->K != m->K || S->r != m->r) return GSL_EINVAL;
    return GSL_SUCCESS;
}

int kmix_sample_loss(const kmix *m, const kmix_sample *S, const double *w, double *loss,
                     double *grad, double *hess)
{
    if (check_sample(m, S) || !w) return GSL_EINVAL;
    if (kmix_check_logits(m->K, w)) return GSL_EDOM;
    int st = span_loss(m, S, w, loss, grad, hess);
    if (!st && loss) *loss += S->orth;
    return st;
}

/* ---- ŵ_n by BFGS2 ---------------------------------------------------------- */
typedef struct { const kmix *m; const kmix_sample *S; int status; } fit_ctx;

/* The minimiser sees the loss less its w-free orthogonal part (a large
 * constant for large d would swamp the line search's precision). */
static double fit_f(const gsl_vector *x, void *p)
{
    fit_ctx *c = p;
    double f;
    c->status |= span_loss(c->m, c->S, x->data, &f, NULL, NULL);
    return f;
}
static void fit_df(const gsl_vector *x, void *p, gsl_vector *g)
{
    fit_ctx *c = p;
    c->status |= span_loss(c->m, c->S, x->data, NULL, g->data, NULL);
}
static void fit_fdf(const gsl_vector *x, void *p, double *f, gsl_vector *g)
{
    fit_ctx *c = p;
    c->status |= span_loss(c->m, c->S, x->data, f, g->data, NULL);
}

int kmix_fit_ddpm(const kmix *m, const kmix_sample *S, const double *w0, double tol,
                  size_t maxiter, kmix_fit_result *res)
{
    if (check_sample(m, S) || !res) return GSL_EINVAL;
    if (!(tol > 0) || (w0 && kmix_check_logits(m->K, w0))) return GSL_EDOM;
    const size_t n = m->K - 1;
    fit_ctx c = { m, S, 0 };
    gsl_multimin_function_fdf F = { fit_f, fit_df, fit_fdf, n, &c };
    gsl_vector *x = gsl_vector_calloc(n);
    gsl_multimin_fdfminimizer *mn = gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, n);
    if (!x || !mn) { gsl_vector_free(x); gsl_multimin_fdfminimizer_free(mn); return GSL_ENOMEM; }
    if (w0) for (size_t j = 0; j < n; j++) x->data[j] = w0[j];
    int st = gsl_multimin_fdfminimizer_set(mn, &F, x, 0.1, 0.1);
    size_t it = 0;
    int conv = 0;
    while (!st && it < maxiter) {
        it++;
        if (gsl_multimin_test_gradient(mn->gradient, tol) == GSL_SUCCESS) { conv = 1; break; }
        st = gsl_multimin_fdfminimizer_iterate(mn);
        if (st == GSL_ENOPROG) {   /* the line search is at machine precision: Newton below */
            st = GSL_SUCCESS;
            break;
        }
    }
    memset(res, 0, sizeof *res);
    for (size_t j = 0; j < n; j++) res->w[j] = mn->x->data[j];
    double f = mn->f;
    if (!st && !conv) {
        /* Newton on the empirical gradient (LAPACKE_dposv on its Hessian): the
         * line search cannot resolve loss differences below ~ε·|ℓ|, Newton needs
         * only the gradient; at most 8 steps, while the Hessian is PD */
        for (int k = 0; k < 8 && !conv; k++) {
            double g[KMIX_NMAX], H[KMIX_NMAX * KMIX_NMAX], gn = 0;
            c.status |= span_loss(m, S, res->w, &f, g, H);
            for (size_t j = 0; j < n; j++) gn += g[j] * g[j];
            if (sqrt(gn) < tol) { conv = 1; break; }
            if (LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', (lapack_int)n, 1, H, (lapack_int)n, g, 1)) break;
            for (size_t j = 0; j < n; j++) res->w[j] -= g[j];
            it++;
        }
    }
    kmix_softmax(m->K, res->w, res->p);
    res->iterations = it;
    res->converged = conv;
    res->objective = f + S->orth;
    gsl_vector_free(x);
    gsl_multimin_fdfminimizer_free(mn);
    if (c.status) return GSL_EFAILED;
    if (st) return st;
    return conv ? GSL_SUCCESS : GSL_EMAXITER;
}

int kmix_fit_mle(const kmix *m, const kmix_sample *S, double tol, size_t maxiter,
                 kmix_fit_result *res)
{
    if (check_sample(m, S) || !res) return GSL_EINVAL;
    if (!(tol > 0)) return GSL_EDOM;
    gmmk *g = gmmk_alloc(m->K, m->r, NULL);
    if (!g) return GSL_ENOMEM;
    memcpy(g->mu, m->z, m->K * m->r * sizeof *g->mu);   /* equal weights from gmmk_alloc */
    gmm_em_result er;
    double p[KMIX_KMAX];
    int st = gmmk_em_weights(g, S->x0, S->n, tol, maxiter, p, &er);
    gmmk_free(g);
    memset(res, 0, sizeof *res);
    memcpy(res->p, p, m->K * sizeof *p);
    kmix_logits(m->K, p, res->w);
    res->iterations = er.iterations;
    res->converged = er.converged;
    res->objective = er.loglik;
    return st;
}

/* ---- gradient descent ------------------------------------------------------ */

kmix_gd *kmix_gd_alloc(void) { return calloc(1, sizeof(kmix_gd)); }
void kmix_gd_free(kmix_gd *gd) { free(gd); }

static int gd_eval(kmix_gd *gd)
{
    int st = gd->f(gd->ctx, gd->w, &gd->loss, gd->grad);
    if (st) return st;
    if (!isfinite(gd->loss)) return GSL_EFAILED;
    for (size_t j = 0; j < gd->n; j++) if (!isfinite(gd->grad[j])) return GSL_EFAILED;
    return GSL_SUCCESS;
}

int kmix_gd_set(kmix_gd *gd, kmix_objective f, void *ctx, size_t K, const double *w0, double lr)
{
    if (!gd || !f || !w0) return GSL_EINVAL;
    if (K < 2 || K > KMIX_KMAX || !(lr > 0) || !isfinite(lr) || kmix_check_logits(K, w0)) return GSL_EDOM;
    gd->f = f;
    gd->ctx = ctx;
    gd->n = K - 1;
    gd->lr = lr;
    gd->iter = 0;
    for (size_t j = 0; j < gd->n; j++) gd->w[j] = w0[j];
    return gd_eval(gd);
}

int kmix_gd_iterate(kmix_gd *gd)
{
    if (!gd || !gd->f) return GSL_EINVAL;
    for (size_t j = 0; j < gd->n; j++) gd->w[j] -= gd->lr * gd->grad[j];
    gd->iter++;
    return gd_eval(gd);
}

int kmix_gd_test(const kmix_gd *gd, double tol)
{
    if (!gd) return GSL_EINVAL;
    if (!(tol >= 0)) return GSL_EDOM;
    double s = 0.0;
    for (size_t j = 0; j < gd->n; j++) s += gd->grad[j] * gd->grad[j];
    return sqrt(s) < tol ? GSL_SUCCESS : GSL_CONTINUE;
}

int kmix_obj_quad(void *ctx, const double *w, double *f, double *grad)
{
    kmix_obj_quad_ctx *c = ctx;
    if (!c || !f || !grad) return GSL_EINVAL;
    kmix_result r;
    int st = kmix_loss_quad(c->q, c->m, c->a, c->b, w, KMIX_GRAD | KMIX_NOERR, &r);
    if (st) return st;
    *f = r.loss.val;
    for (size_t j = 0; j < r.n; j++) grad[j] = r.grad[j];
    return GSL_SUCCESS;
}
