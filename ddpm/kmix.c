/* ddpm/kmix.c — the K-component mixture reduced to the span of its means,
 * and the loss, its derivatives, the sandwich and the Cramér–Rao bound by
 * Gauss–Hermite quadrature (THEORY.md §10).  See ddpm/kmix.h. */
#include "ddpm/kmix.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_math.h>
#include <lapacke.h>
#include "common/spl.h"
#include "ddpm/draw.h"
#include "ddpm/kmix_internal.h"

/* ---- the mixture --------------------------------------------------------- */

kmix *kmix_alloc(size_t K, size_t d, int *status)
{
    if (K < 2 || K > KMIX_KMAX || d < 1) return spl_fail(status, GSL_EDOM);
    kmix *m = calloc(1, sizeof *m);
    if (!m) return spl_fail(status, GSL_ENOMEM);
    m->K = K;
    m->d = d;
    m->g = gmmk_alloc(K, d, NULL);
    m->cbar = malloc(d * sizeof *m->cbar);
    m->U = malloc((K - 1) * d * sizeof *m->U);
    m->z = malloc(K * (K - 1) * sizeof *m->z);
    m->mc = malloc(K * d * sizeof *m->mc);
    if (!m->g || !m->cbar || !m->U || !m->z || !m->mc) { kmix_free(m); return spl_fail(status, GSL_ENOMEM); }
    spl_status(status, GSL_SUCCESS);
    return m;
}

void kmix_free(kmix *m)
{
    if (!m) return;
    gmmk_free(m->g);
    free(m->cbar);
    free(m->U);
    free(m->z);
    free(m->mc);
    free(m);
}

void kmix_softmax(size_t K, const double *w, double *p)
{
    if (!w || !p || K < 2 || K > KMIX_KMAX) return;
    double mx = 0.0, s = 0.0;
    for (size_t k = 0; k + 1 < K; k++) mx = fmax(mx, w[k]);
    for (size_t k = 0; k < K; k++) { p[k] = exp((k + 1 < K ? w[k] : 0.0) - mx); s += p[k]; }
    for (size_t k = 0; k < K; k++) p[k] /= s;
}

void kmix_logits(size_t K, const double *p, double *w)
{
    if (!p || !w || K < 2 || K > KMIX_KMAX) return;
    for (size_t k = 0; k + 1 < K; k++) w[k] = log(p[k]) - log(p[K - 1]);
}

int kmix_set(kmix *m, const double *pi, const double *mu, char *err, size_t errlen)
{
    if (!m || !pi || !mu) return GSL_EINVAL;
    const size_t K = m->K, d = m->d;
    double s = 0.0;
    for (size_t k = 0; k < K; k++) {
        if (!(pi[k] > 0.0 && pi[k] < 1.0))
            return spl_errf(GSL_EDOM, err, errlen, "weight %zu is %g, outside (0,1)", k + 1, pi[k]);
        s += pi[k];
    }
    if (fabs(s - 1.0) > 1e-12)
        return spl_errf(GSL_EDOM, err, errlen, "weights sum to %.17g, not 1 within 1e-12", s);
    double scale = 0.0;
    for (size_t i = 0; i < K * d; i++) {
        if (!isfinite(mu[i])) return spl_errf(GSL_EDOM, err, errlen, "a mean is not finite");
        scale = fmax(scale, fabs(mu[i]));
    }
    for (size_t k = 0; k < K; k++)
        for (size_t l = k + 1; l < K; l++) {
            double dist = 0.0;
            for (size_t j = 0; j < d; j++) dist += gsl_pow_2(mu[k * d + j] - mu[l * d + j]);
            if (sqrt(dist) <= 1e-9 * (1.0 + scale))
                return spl_errf(GSL_EDOM, err, errlen, "means %zu and %zu coincide", k + 1, l + 1);
        }
    int st = gmmk_set_weights(m->g, pi);
    if (st) return spl_errf(st, err, errlen, "weights rejected");
    memcpy(m->g->w, pi, K * sizeof *pi);   /* as given: already sum to 1 within 1e-12 */
    memcpy(m->g->mu, mu, K * d * sizeof *mu);
    m->g->sigma = 1.0;
    for (size_t k = 0; k < K; k++) m->theta[k] = log(pi[k]) - log(pi[K - 1]);

    /* centroid and centred means, (K, d) row-major */
    double *C = malloc(K * d * sizeof *C), *sv = malloc(K * sizeof *sv),
           *vt = malloc(K * d * sizeof *vt), *sup = malloc(K * sizeof *sup);
    if (!C || !sv || !vt || !sup) { free(C); free(sv); free(vt); free(sup); return GSL_ENOMEM; }
    for (size_t j = 0; j < d; j++) {
        double c = 0.0;
        for (size_t k = 0; k < K; k++) c += mu[k * d + j];
        m->cbar[j] = c / (double)K;
    }
    for (size_t k = 0; k < K; k++)
        for (size_t j = 0; j < d; j++) C[k * d + j] = m->mc[k * d + j] = mu[k * d + j] - m->cbar[j];
    for (size_t k = 0; k < K; k++)
        for (size_t l = 0; l < K; l++) {
            double v = 0.0;
            for (size_t j = 0; j < d; j++) v += m->mc[k * d + j] * m->mc[l * d + j];
            m->gram_d[k * K + l] = v;
        }
    /* right singular vectors of the centred means: the basis of their span */
    size_t mn = K < d ? K : d;
    lapack_int info = LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'N', 'S', (lapack_int)K, (lapack_int)d, C,
                                     (lapack_int)d, sv, NULL, 1, vt, (lapack_int)d, sup);
    if (info != 0) { free(C); free(sv); free(vt); free(sup); return spl_errf(GSL_EFAILED, err, errlen, "SVD of the means failed"); }
    size_t r = 0;
    for (size_t i = 0; i < mn; i++) if (sv[i] > 1e-10 * sv[0]) r++;
    if (r > K - 1) r = K - 1;
    m->r = r;
    memcpy(m->U, vt, r * d * sizeof *vt);
    for (size_t k = 0; k < K; k++)
        for (size_t i = 0; i < r; i++) {
            double v = 0.0;
            for (size_t j = 0; j < d; j++) v += m->U[i * d + j] * (mu[k * d + j] - m->cbar[j]);
            m->z[k * r + i] = v;
        }
    for (size_t k = 0; k < K; k++)
        for (size_t l = 0; l < K; l++) {
            double v = 0.0;
            for (size_t i = 0; i < r; i++) v += m->z[k * r + i] * m->z[l * r + i];
            m->gram[k * K + l] = v;
        }
    free(C); free(sv); free(vt); free(sup);
    return GSL_SUCCESS;
}

int kmix_set_line(kmix *m, const double *pi, const double *mline, char *err, size_t errlen)
{
    if (!m || !pi || !mline) return GSL_EINVAL;
    double *mu = calloc(m->K * m->d, sizeof *mu);
    if (!mu) return GSL_ENOMEM;
    for (size_t k = 0; k < m->K; k++) mu[k * m->d] = mline[k];
    int st = kmix_set(m, pi, mu, err, errlen);
    free(mu);
    return st;
}

/* ---- quadrature workspace ------------------------------------------------ */

typedef struct { size_t n; double *x, *w; } rule;   /* x: (n, 2) for 2-d rules */

struct kmix_quad {
    rule r1[2];   /* 1-d rules, orders hi and lo */
    rule r2[2];   /* 2-d tensor rules */
};

static int rule_1d(rule *R, size_t n)
{
    R->n = n;
    R->x = malloc(n * sizeof *R->x);
    R->w = malloc(n * sizeof *R->w);
    if (!R->x || !R->w) return GSL_ENOMEM;
    return ddpm_hermite_normal(n, R->x, R->w);
}

/* Tensor product of the n-point rule; nodes of weight below 1e-20 of the
 * largest are dropped (the integrands are bounded: a negligible change). */
static int rule_2d(rule *R, size_t n)
{
    double *x = malloc(n * sizeof *x), *w = malloc(n * sizeof *w);
    R->x = malloc(2 * n * n * sizeof *R->x);
    R->w = malloc(n * n * sizeof *R->w);
    if (!x || !w || !R->x || !R->w) { free(x); free(w); return GSL_ENOMEM; }
    int st = ddpm_hermite_normal(n, x, w);
    size_t c = 0;
    double wmax = 0.0;
    for (size_t i = 0; i < n && !st; i++) wmax = fmax(wmax, w[i]);
    for (size_t i = 0; i < n && !st; i++)
        for (size_t j = 0; j < n; j++) {
            double wij = w[i] * w[j];
            if (!(wij > 1e-20 * wmax * wmax)) continue;
            R->x[2 * c] = x[i];
            R->x[2 * c + 1] = x[j];
            R->w[c++] = wij;
        }
    R->n = c;
    free(x);
    free(w);
    return st;
}

kmix_quad *kmix_quad_alloc(size_t nhi, size_t nlo, int *status)
{
    if (nhi == 1 || nlo == 1) return spl_fail(status, GSL_EDOM);
    kmix_quad *q = calloc(1, sizeof *q);
    if (!q) return spl_fail(status, GSL_ENOMEM);
    size_t h1 = nhi ? nhi : KMIX_QUAD_HI1, l1 = nlo ? nlo : KMIX_QUAD_LO1, h2 = nhi ? nhi : KMIX_QUAD_HI2,
           l2 = nlo ? nlo : KMIX_QUAD_LO2;
    if (h1 < 2 || l1 < 2 || rule_1d(&q->r1[0], h1) || rule_1d(&q->r1[1], l1) ||
        rule_2d(&q->r2[0], h2) || rule_2d(&q->r2[1], l2)) {
        kmix_quad_free(q);
        return spl_fail(status, GSL_ENOMEM);
    }
    spl_status(status, GSL_SUCCESS);
    return q;
}

void kmix_quad_free(kmix_quad *q)
{
    if (!q) return;
    for (int i = 0; i < 2; i++) {
        free(q->r1[i].x); free(q->r1[i].w);
        free(q->r2[i].x); free(q->r2[i].w);
    }
    free(q);
}

/* E over y ~ Σ_k π_k N(c z_k, I_r) of f(y) ∈ R^nf, by the rule of order o
 * (0 hi, 1 lo); sums of |terms| into abs_ (if not NULL). */
typedef void (*integrand)(const kmix *m, const double *y, void *ctx, double *out);

static void expect_rule(const kmix_quad *q, const kmix *m, double c, int o, integrand f, void *ctx,
                        size_t nf, double *val, double *abs_)
{
    const rule *R = m->r == 1 ? &q->r1[o] : &q->r2[o];
    const size_t r = m->r;
    double out[KMIX_TERMS_MAX], y[2];
    for (size_t i = 0; i < nf; i++) { val[i] = 0.0; if (abs_) abs_[i] = 0.0; }
    for (size_t k = 0; k < m->K; k++) {
        double pk = m->g->w[k];
        for (size_t t = 0; t < R->n; t++) {
            for (size_t i = 0; i < r; i++) y[i] = c * m->z[k * r + i] + R->x[t * r + i];
            f(m, y, ctx, out);
            double wt = pk * R->w[t];
            for (size_t i = 0; i < nf; i++) {
                val[i] += wt * out[i];
                if (abs_) abs_[i] += fabs(wt * out[i]);
            }
        }
    }
}

/* Both orders: value (hi) and error |hi − lo| + 8ε·Σ|terms|. */
static int expect(const kmix_quad *q, const kmix *m, double c, int noerr, integrand f, void *ctx,
                  size_t nf, double *val, double *err)
{
    if (m->r < 1 || m->r > 2 || nf > KMIX_TERMS_MAX) return GSL_EDOM;
    double lo[KMIX_TERMS_MAX], ab[KMIX_TERMS_MAX];
    expect_rule(q, m, c, 0, f, ctx, nf, val, ab);
    if (noerr) { for (size_t i = 0; i < nf; i++) err[i] = 0.0; return GSL_SUCCESS; }
    expect_rule(q, m, c, 1, f, ctx, nf, lo, NULL);
    for (size_t i = 0; i < nf; i++) err[i] = fabs(val[i] - lo[i]) + 8 * DBL_EPSILON * ab[i];
    return GSL_SUCCESS;
}

/* ---- the loss integrand -------------------------------------------------- */
typedef struct { double a; const double *w; const double *ew; int what; } loss_ctx;

/* out: [posterior variance, |z̄_w − z̄*|², grad (n), hess (n²)] */
static void loss_integrand(const kmix *m, const double *y, void *vctx, double *out)
{
    const loss_ctx *c = vctx;
    kmix_point P;
    kmix_point_eval(m, c->a, y, c->w, c->ew, &P);
    const size_t K = m->K, r = m->r, n = K - 1;
    double pv = 0.0, ex = 0.0, g[KMIX_KMAX];
    for (size_t k = 0; k < K; k++) {
        double s = 0.0;
        for (size_t i = 0; i < r; i++) s += gsl_pow_2(m->z[k * r + i] - P.zs[i]);
        pv += P.rs[k] * s;
    }
    for (size_t i = 0; i < r; i++) ex += P.dz[i] * P.dz[i];
    out[0] = pv;
    out[1] = ex;
    if (!(c->what & (KMIX_GRAD | KMIX_HESS))) return;
    for (size_t j = 0; j < K; j++) {
        double s = 0.0;
        for (size_t i = 0; i < r; i++) s += (m->z[j * r + i] - P.zw[i]) * P.dz[i];
        g[j] = s;
    }
    for (size_t j = 0; j < n; j++) out[2 + j] = P.rw[j] * g[j];
    if (!(c->what & KMIX_HESS)) return;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double cij = 0.0;
            for (size_t t = 0; t < r; t++)
                cij += (m->z[i * r + t] - P.zw[t]) * (m->z[j * r + t] - P.zw[t]);
            double v = P.rw[i] * P.rw[j] * (cij - g[i] - g[j]);
            if (i == j) v += P.rw[j] * g[j];
            out[2 + n + i * n + j] = v;
        }
}

int kmix_loss_quad(const kmix_quad *q, const kmix *m, double a, double b, const double *w,
                   int what, kmix_result *res)
{
    if (!q || !m || !w || !res) return GSL_EINVAL;
    if (what & ~(KMIX_ALL | KMIX_NOERR)) return GSL_EINVAL;
    int st = kmix_check_level(m, a, b, w);
    if (st) return st;
    const size_t n = m->K - 1;
    size_t nf = 2 + ((what & (KMIX_GRAD | KMIX_HESS)) ? n : 0) + ((what & KMIX_HESS) ? n * n : 0);
    double ew[KMIX_KMAX], dmax = 0.0;
    for (size_t k = 0; k < m->K; k++) {
        double dk = k < n ? m->theta[k] - w[k] : 0.0;
        dmax = fmax(dmax, fabs(dk));
        ew[k] = exp(dk);
    }
    loss_ctx c = { a, w, dmax <= 30.0 ? ew : NULL, what };
    double val[KMIX_TERMS_MAX], err[KMIX_TERMS_MAX];
    if ((st = expect(q, m, a, what & KMIX_NOERR, loss_integrand, &c, nf, val, err))) return st;
    const double c2 = a * a * b * b, d = (double)m->d;
    memset(res, 0, sizeof *res);
    res->n = n;
    res->loss.val = a * a * d + c2 * (val[0] + val[1]);
    res->loss.err = c2 * (err[0] + err[1]) + 2 * DBL_EPSILON * res->loss.val;
    res->excess.val = c2 * val[1];
    res->excess.err = c2 * err[1];
    if (nf > 2)
        for (size_t j = 0; j < n; j++) { res->grad[j] = 2 * c2 * val[2 + j]; res->grad_err[j] = 2 * c2 * err[2 + j]; }
    if (what & KMIX_HESS)
        for (size_t j = 0; j < n * n; j++) {
            res->hess[j] = 2 * c2 * val[2 + n + j];
            res->hess_err[j] = 2 * c2 * err[2 + n + j];
        }
    return GSL_SUCCESS;
}

/* ---- sandwich and Fisher ------------------------------------------------- */
typedef struct { double a, b; } sand_ctx;

/* out: [E GGᵀ (n²), E G(I + b²Σ)Gᵀ (n²)] at θ*. */
static void sand_integrand(const kmix *m, const double *y, void *vctx, double *out)
{
    const sand_ctx *c = vctx;
    kmix_point P;
    kmix_point_eval(m, c->a, y, m->theta, NULL, &P);
    const size_t K = m->K, r = m->r, n = K - 1;
    double G[KMIX_NMAX][2], S[2][2] = { { 0, 0 }, { 0, 0 } }, M[2][2];
    for (size_t k = 0; k < K; k++)
        for (size_t i = 0; i < r; i++)
            for (size_t j = 0; j < r; j++)
                S[i][j] += P.rs[k] * (m->z[k * r + i] - P.zs[i]) * (m->z[k * r + j] - P.zs[j]);
    for (size_t i = 0; i < r; i++)
        for (size_t j = 0; j < r; j++) M[i][j] = (i == j) + c->b * c->b * S[i][j];
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < r; i++) G[k][i] = P.rs[k] * (m->z[k * r + i] - P.zs[i]);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double bb = 0.0, aa = 0.0;
            for (size_t s = 0; s < r; s++) {
                bb += G[i][s] * G[j][s];
                for (size_t t = 0; t < r; t++) aa += G[i][s] * M[s][t] * G[j][t];
            }
            out[i * n + j] = bb;
            out[n * n + i * n + j] = aa;
        }
}

/* out: (ρ_i − π_i)(ρ_j − π_j) at a = 1 (the clean mixture's score outer product). */
static void fisher_integrand(const kmix *m, const double *y, void *vctx, double *out)
{
    (void)vctx;
    kmix_point P;
    kmix_point_eval(m, 1.0, y, m->theta, NULL, &P);
    const size_t n = m->K - 1;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            out[i * n + j] = (P.rs[i] - m->g->w[i]) * (P.rs[j] - m->g->w[j]);
}

/* X ← B⁻¹ X for symmetric positive definite B (n × n), X (n × nrhs); B is
 * overwritten by its Cholesky factor.  GSL_EDOM if B is not PD. */
static int chol_solve(size_t n, double *B, double *X, size_t nrhs)
{
    lapack_int info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)n, B, (lapack_int)n);
    if (info != 0) return GSL_EDOM;
    info = LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'L', (lapack_int)n, (lapack_int)nrhs, B, (lapack_int)n,
                          X, (lapack_int)nrhs);
    return info ? GSL_EFAILED : GSL_SUCCESS;
}

/* Delta method: C_p = J C_w Jᵀ, J_ij = π_i(δ_ij − π_j) (K × n). */
static void to_p(const kmix *m, const double *cw, double *cp)
{
    const size_t K = m->K, n = K - 1;
    const double *p = m->g->w;
    double J[KMIX_KMAX * KMIX_NMAX], T[KMIX_KMAX * KMIX_NMAX];
    for (size_t i = 0; i < K; i++)
        for (size_t j = 0; j < n; j++) J[i * n + j] = p[i] * ((i == j) - p[j]);
    for (size_t i = 0; i < K; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0.0;
            for (size_t l = 0; l < n; l++) s += J[i * n + l] * cw[l * n + j];
            T[i * n + j] = s;
        }
    for (size_t i = 0; i < K; i++)
        for (size_t j = 0; j < K; j++) {
            double s = 0.0;
            for (size_t l = 0; l < n; l++) s += T[i * n + l] * J[j * n + l];
            cp[i * K + j] = s;
        }
}

int kmix_sandwich_cov(size_t n, const double *A, const double *B, double *cov)
{
    if (!A || !B || !cov) return GSL_EINVAL;
    if (n < 1 || n > KMIX_NMAX) return GSL_EDOM;
    /* X = B⁻¹A, then B⁻¹Xᵀ = B⁻¹AB⁻¹ (A symmetric) */
    double Bf[KMIX_NMAX * KMIX_NMAX], X[KMIX_NMAX * KMIX_NMAX], Xt[KMIX_NMAX * KMIX_NMAX];
    memcpy(Bf, B, n * n * sizeof *Bf);
    memcpy(X, A, n * n * sizeof *X);
    int st = chol_solve(n, Bf, X, n);
    if (st) return st;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) Xt[i * n + j] = X[j * n + i];
    lapack_int info = LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'L', (lapack_int)n, (lapack_int)n, Bf,
                                     (lapack_int)n, Xt, (lapack_int)n);
    if (info) return GSL_EFAILED;
    for (size_t i = 0; i < n; i++)            /* symmetrise the rounding */
        for (size_t j = 0; j < n; j++) cov[i * n + j] = 0.5 * (Xt[i * n + j] + Xt[j * n + i]);
    return GSL_SUCCESS;
}

int kmix_sandwich_level(const kmix_quad *q, const kmix *m, double a, double b, kmix_sandwich *sw)
{
    if (!q || !m || !sw) return GSL_EINVAL;
    double w0[KMIX_NMAX] = { 0 };
    int st = kmix_check_level(m, a, b, w0);
    if (st) return st;
    const size_t n = m->K - 1, nn = n * n;
    sand_ctx c = { a, b };
    double val[KMIX_TERMS_MAX], err[KMIX_TERMS_MAX], fv[KMIX_TERMS_MAX], fe[KMIX_TERMS_MAX];
    if ((st = expect(q, m, a, 0, sand_integrand, &c, 2 * nn, val, err))) return st;
    if ((st = expect(q, m, 1.0, 0, fisher_integrand, NULL, nn, fv, fe))) return st;
    memset(sw, 0, sizeof *sw);
    sw->n = n;
    double cb = 2 * a * a * b * b, ca = 4 * pow(a, 4) * b * b, e = 0.0;
    for (size_t i = 0; i < nn; i++) {
        sw->B[i] = cb * val[i];
        sw->A[i] = ca * val[nn + i];
        sw->fisher[i] = fv[i];
        e = fmax(e, fmax(cb * err[i], fmax(ca * err[nn + i], fe[i])));
    }
    sw->err = e;
    if ((st = kmix_sandwich_cov(n, sw->A, sw->B, sw->cov_w))) return st;
    /* CRLB = I⁻¹ */
    double F[KMIX_NMAX * KMIX_NMAX], Id[KMIX_NMAX * KMIX_NMAX] = { 0 };
    memcpy(F, sw->fisher, nn * sizeof *F);
    for (size_t i = 0; i < n; i++) Id[i * n + i] = 1.0;
    if ((st = chol_solve(n, F, Id, n))) return st;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) sw->crlb_w[i * n + j] = 0.5 * (Id[i * n + j] + Id[j * n + i]);
    to_p(m, sw->cov_w, sw->cov_p);
    to_p(m, sw->crlb_w, sw->crlb_p);
    return GSL_SUCCESS;
}
