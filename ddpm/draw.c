#include "ddpm/draw.h"

#include <math.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include "common/spl.h"

static double component_mean(const gmm2 *g, gsl_rng *r, double *half)
{
    /* label 1 (weight π): centred mean +Δ/2; label 2: −Δ/2 */
    *half = gsl_rng_uniform(r) < g->pi ? 0.5 * g->sep : -0.5 * g->sep;
    return g->shift + *half;
}

void ddpm_draw_projected(const gmm2 *g, gsl_rng *r, double a, double b,
                         double *x0u, double *vc, double *e)
{
    double half;
    double m = component_mean(g, r, &half);
    double z = gsl_ran_gaussian_ziggurat(r, 1.0);
    double ee = gsl_ran_gaussian_ziggurat(r, 1.0);
    *x0u = m + z;
    *vc = a * (half + z) + b * ee;
    *e = ee;
}

double ddpm_draw_explicit(const gmm2 *g, gsl_rng *r, double a, double b, double *xt, double *eps)
{
    double half;
    double m = component_mean(g, r, &half);
    const double *u = g->u;
    double x0u = 0.0;
    for (size_t j = 0; j < g->d; j++) {
        double x0 = m * u[j] + gsl_ran_gaussian_ziggurat(r, 1.0);
        double ej = gsl_ran_gaussian_ziggurat(r, 1.0);
        x0u += x0 * u[j];
        xt[j] = a * x0 + b * ej;
        eps[j] = ej;
    }
    return x0u;
}

/* With k = aΔ, D = ρ_w − ρ*, r∥ the residual along u and r_w = ρ_w(1−ρ_w):
 *   excess = bkD(2r∥ − bkD),  grad = 2bk r∥ r_w,
 *   hess = 2b²k² r_w² + 2bk r∥ r_w (1 − 2ρ_w)             (THEORY.md §3–§4) */
static ddpm_terms finish(double bk, double res_u, double rho_w, double D, double loss)
{
    double rw = rho_w * (1.0 - rho_w);
    ddpm_terms t;
    t.loss = loss;
    t.excess = bk * D * (2.0 * res_u - bk * D);
    t.grad = 2.0 * bk * res_u * rw;
    t.hess = 2.0 * bk * bk * rw * rw + 2.0 * bk * res_u * rw * (1.0 - 2.0 * rho_w);
    return t;
}

ddpm_terms ddpm_terms_projected(double sep, double a, double b, double theta, double w,
                                double vc, double e)
{
    double k = a * sep;
    double rho_w = spl_sigmoid(w + k * vc);
    double D = spl_sigmoid_diff(w + k * vc, theta + k * vc);
    double res = e + b * (-vc + k * (rho_w - 0.5));
    return finish(b * k, res, rho_w, D, res * res);
}

int ddpm_terms_explicit(const gmm2 *g, const double *mu, double a, double b, double theta,
                        double w, const double *xt, const double *eps, double *score,
                        ddpm_terms *t)
{
    const double *u = g->u;
    double m1 = gmm2_m1(g), m2 = gmm2_m2(g);
    /* the model's score s_w(x_t) of the noised mixture with weight sigmoid(w) */
    double logw[2] = { -spl_log1pexp(-w), -spl_log1pexp(w) }, rho[2];
    int st = gmm_score_noised(2, g->d, logw, mu, 1.0, a, b, xt, rho, score);
    if (st) return st;
    /* ρ_w − ρ* from the two logits (THEORY.md §2), without cancellation:
     * logit ρ = w + a(μ1−μ2)·x − a²(|μ1|² − |μ2|²)/2 */
    double xu = 0.0;
    #pragma omp simd reduction(+:xu)   /* lane partial sums: a fixed order */
    for (size_t j = 0; j < g->d; j++) xu += xt[j] * u[j];
    double shift = 0.5 * a * a * (m1 * m1 - m2 * m2);
    double D = spl_sigmoid_diff(w + a * g->sep * xu - shift, theta + a * g->sep * xu - shift);
    double loss = 0.0, res_u = 0.0;
    #pragma omp simd reduction(+:loss, res_u)
    for (size_t j = 0; j < g->d; j++) {
        double rj = eps[j] + b * score[j];
        loss += rj * rj;
        res_u += rj * u[j];
    }
    *t = finish(a * b * g->sep, res_u, rho[0], D, loss);
    return GSL_SUCCESS;
}
