/* proofs_check/joint.c — gradient descent on the empirical DDPM loss over the
 * mixing weight and both means jointly (THEORY.md §6, the contrast of C9 and
 * figure F9). */
#include "proofs_check/claims.h"

#include <math.h>
#include <stdlib.h>
#include <gsl/gsl_cblas.h>
#include <gsl/gsl_errno.h>
#include "common/spl.h"
#include "ddpm/draw.h"


/* Gradient of the empirical DDPM loss (1/n) Σ ||ε_i + b s(x_i)||² in (w, μ1, μ2),
 * s(x) = −x + a(ρμ1 + (1−ρ)μ2), ρ = σ(w + a(μ1−μ2)·x − a²(|μ1|²−|μ2|²)/2),
 * residual R_i = ε_i + b s(x_i), g_i = R_i·(μ1−μ2):
 *   ∂/∂w = (2ab/n) Σ ρ(1−ρ) g
 *   ∇μ1  = (2ab/n) Σ [ ρ R + ρ(1−ρ) g (a x − a² μ1) ]
 *   ∇μ2  = (2ab/n) Σ [ (1−ρ) R + ρ(1−ρ) g (−a x + a² μ2) ]
 * (derived from dR = b·ds, ds = a[dρ(μ1−μ2) + ρ dμ1 + (1−ρ) dμ2],
 *  dρ = ρ(1−ρ)[dw + a x·(dμ1 − dμ2) − a²(μ1·dμ1 − μ2·dμ2)]).
 * Products over the sample with CBLAS. Scratch: rho, c (n), Rm (n, d), dm (d). */
typedef struct {
    size_t n, d;
    double a, b;
    const double *X, *E;     /* (n, d) x_t and ε */
    double *rho, *c, *Rm, *dm;
} pc_joint_work;

static void joint_grad(pc_joint_work *W, double w, const double *m1, const double *m2, double *gw, double *g1, double *g2)
{
    const size_t n = W->n, d = W->d;
    const double a = W->a, b = W->b, s = 2 * a * b / (double)n;
    for (size_t j = 0; j < d; j++) W->dm[j] = m1[j] - m2[j];
    double off = 0.5 * a * a * (cblas_ddot((int)d, m1, 1, m1, 1) - cblas_ddot((int)d, m2, 1, m2, 1));
    cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)d, a, W->X, (int)d, W->dm, 1, 0.0, W->rho, 1);
    double sc = 0;
    for (size_t i = 0; i < n; i++) {
        double rho = spl_sigmoid(w + W->rho[i] - off);
        const double *x = W->X + i * d, *e = W->E + i * d;
        double *R = W->Rm + i * d;
        for (size_t j = 0; j < d; j++) R[j] = e[j] + b * (-x[j] + a * (rho * m1[j] + (1 - rho) * m2[j]));
        double gi = cblas_ddot((int)d, R, 1, W->dm, 1) * rho * (1 - rho);
        W->rho[i] = rho;
        W->c[i] = gi;
        sc += gi;
    }
    *gw = s * sc;
    /* ∇μ1 = s[Rᵀρ + a Xᵀc − a²(Σc) μ1];  ∇μ2 = s[Rᵀ(1−ρ) − a Xᵀc + a²(Σc) μ2] */
    cblas_dgemv(CblasRowMajor, CblasTrans, (int)n, (int)d, s, W->Rm, (int)d, W->rho, 1, 0.0, g1, 1);
    cblas_dgemv(CblasRowMajor, CblasTrans, (int)n, (int)d, s * a, W->X, (int)d, W->c, 1, 1.0, g1, 1);
    for (size_t i = 0; i < n; i++) W->rho[i] = 1 - W->rho[i];
    cblas_dgemv(CblasRowMajor, CblasTrans, (int)n, (int)d, s, W->Rm, (int)d, W->rho, 1, 0.0, g2, 1);
    cblas_dgemv(CblasRowMajor, CblasTrans, (int)n, (int)d, -s * a, W->X, (int)d, W->c, 1, 1.0, g2, 1);
    for (size_t j = 0; j < d; j++) {
        g1[j] -= s * a * a * sc * m1[j];
        g2[j] += s * a * a * sc * m2[j];
    }
}

int pc_joint_fit(const gmm2 *g, double a, size_t n, size_t steps, uint64_t seed, double *mean_err,
                 double *mean_err_u, double *p_hat)
{
    if (!g || !mean_err || !p_hat) return GSL_EINVAL;
    if (!(a > 0 && a < 1) || n == 0) return GSL_EDOM;
    const size_t d = g->d;
    const double b = ddpm_b_of_a(a);
    double *X = malloc(n * d * sizeof(double)), *E = malloc(n * d * sizeof(double));
    double *Rm = malloc(n * d * sizeof(double)), *sc = malloc(2 * n * sizeof(double));
    double *par = malloc(5 * d * sizeof(double));
    gsl_rng *rng = spl_rng_alloc(seed, 0, 0);
    int st = (!X || !E || !Rm || !sc || !par || !rng) ? GSL_ENOMEM : GSL_SUCCESS;
    if (!st) {
        for (size_t i = 0; i < n; i++) ddpm_draw_explicit(g, rng, a, b, X + i * d, E + i * d);
        double *m1 = par, *m2 = par + d, *g1 = par + 2 * d, *g2 = par + 3 * d, gw;
        pc_joint_work W = { n, d, a, b, X, E, sc, sc + n, Rm, par + 4 * d };
        st = gmm2_mean(g, 1, m1);
        if (!st) st = gmm2_mean(g, 2, m2);
        double w = spl_logit(g->pi), eta = 1.0 / (a * a * b * b * (2.0 + g->sep * g->sep / 4.0));
        for (size_t s = 0; s < steps && !st; s++) {
            joint_grad(&W, w, m1, m2, &gw, g1, g2);
            w -= eta * gw;
            for (size_t j = 0; j < d; j++) { m1[j] -= eta * g1[j]; m2[j] -= eta * g2[j]; }
        }
        double e1 = 0, e2 = 0, u1 = 0, u2 = 0;
        for (size_t j = 0; j < d; j++) {
            double u = g->u[j], d1 = m1[j] - gmm2_m1(g) * u, d2 = m2[j] - gmm2_m2(g) * u;
            e1 += d1 * d1;
            e2 += d2 * d2;
            u1 += d1 * u;
            u2 += d2 * u;
        }
        if (!st) {
            *mean_err = sqrt(e1) + sqrt(e2);
            if (mean_err_u) *mean_err_u = fabs(u1) + fabs(u2);
            *p_hat = spl_sigmoid(w);
        }
    }
    free(X); free(E); free(Rm); free(sc); free(par);
    gsl_rng_free(rng);
    return st;
}
