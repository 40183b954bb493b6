#include "ddpm/draw.h"

#include <math.h>
#include <string.h>
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

/* The random numbers of one explicit draw, in their fixed order: the label,
 * then ξ_j and ε_j for j = 0..d−1 (the generator's loop alone: arithmetic
 * mixed into it slows the generator's calls down).  Returns the component's
 * mean along u. */
static double draw_raw(const gmm2 *g, gsl_rng *r, double *xi, double *eps)
{
    double half;
    const double m = component_mean(g, r, &half);
    for (size_t j = 0; j < g->d; j++) {
        xi[j] = gsl_ran_gaussian_ziggurat(r, 1.0);
        eps[j] = gsl_ran_gaussian_ziggurat(r, 1.0);
    }
    return m;
}

double ddpm_draw_explicit(const gmm2 *g, gsl_rng *r, double a, double b, double *xt, double *eps)
{
    const double m = draw_raw(g, r, xt, eps);   /* ξ into xt, overwritten below */
    const double *u = g->u;
    double x0u = 0.0;
    for (size_t j = 0; j < g->d; j++) {
        double x0 = m * u[j] + xt[j];
        x0u += x0 * u[j];
        xt[j] = a * x0 + b * eps[j];
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

/* ---- explicit draws: the generator's loop, then two vector passes --------
 * The draw loop only calls the generator and stores (any arithmetic mixed
 * into it slows the generator's calls down); the arithmetic over the d
 * coordinates runs afterwards in two passes, each a sum over 8 fixed lanes
 * (lane l takes the coordinates j ≡ l mod 8, the lanes are added in a fixed
 * tree): with 8 independent partial sums the passes are not bound by the
 * latency of one running sum, and the bits do not depend on the vector
 * width the loader picks (AVX-512, AVX2 or SSE2 clones; +, −, × only, and
 * no contraction into FMA under -std=c11). */
typedef double v8d __attribute__((vector_size(8 * sizeof(double))));
#define V8_LOAD(v, p) memcpy(&(v), (p), sizeof(v))
#define V8_STORE(p, v) memcpy((p), &(v), sizeof(v))
#define V8_SUM(v) ((((v)[0] + (v)[1]) + ((v)[2] + (v)[3])) + (((v)[4] + (v)[5]) + ((v)[6] + (v)[7])))
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

/* x_t = a(m u + ξ) + b ε in place of ξ (xt), and the sums Σ|x_t − aμ_k|²
 * (dist, k = 1, 2) and x_t·u (*xu). */
CLONES static void explicit_pass_dist(size_t d, double a, double b, double m, const double *u,
                                      const double *mu1, const double *mu2, double *xt,
                                      const double *eps, double dist[2], double *xu)
{
    v8d s1 = { 0 }, s2 = { 0 }, su = { 0 };
    size_t j = 0;
    for (; j + 8 <= d; j += 8) {
        v8d uj, xi, ej, m1, m2;
        V8_LOAD(uj, u + j); V8_LOAD(xi, xt + j); V8_LOAD(ej, eps + j);
        V8_LOAD(m1, mu1 + j); V8_LOAD(m2, mu2 + j);
        v8d x = a * (m * uj + xi) + b * ej;
        V8_STORE(xt + j, x);
        v8d t1 = x - a * m1, t2 = x - a * m2;
        s1 += t1 * t1;
        s2 += t2 * t2;
        su += x * uj;
    }
    for (size_t l = 0; j < d; j++, l++) {
        double x = a * (m * u[j] + xt[j]) + b * eps[j];
        xt[j] = x;
        double t1 = x - a * mu1[j], t2 = x - a * mu2[j];
        s1[l] += t1 * t1;
        s2[l] += t2 * t2;
        su[l] += x * u[j];
    }
    dist[0] = V8_SUM(s1);
    dist[1] = V8_SUM(s2);
    *xu = V8_SUM(su);
}

/* The residual ε + b s_w(x_t), s_w = −x_t·iv + c1 μ1 + c2 μ2 in
 * gmm_score_noised's order of operations: Σ residual² (*loss) and
 * residual·u (*res_u). */
CLONES static void explicit_pass_res(size_t d, double b, double iv, double c1, double c2,
                                     const double *u, const double *mu1, const double *mu2,
                                     const double *xt, const double *eps, double *loss,
                                     double *res_u)
{
    v8d sl = { 0 }, su = { 0 };
    size_t j = 0;
    for (; j + 8 <= d; j += 8) {
        v8d uj, xj, ej, m1, m2;
        V8_LOAD(uj, u + j); V8_LOAD(xj, xt + j); V8_LOAD(ej, eps + j);
        V8_LOAD(m1, mu1 + j); V8_LOAD(m2, mu2 + j);
        v8d s = -xj * iv;
        s += c1 * m1;
        s += c2 * m2;
        v8d r = ej + b * s;
        sl += r * r;
        su += r * uj;
    }
    for (size_t l = 0; j < d; j++, l++) {
        double s = -xt[j] * iv;
        s += c1 * mu1[j];
        s += c2 * mu2[j];
        double r = eps[j] + b * s;
        sl[l] += r * r;
        su[l] += r * u[j];
    }
    *loss = V8_SUM(sl);
    *res_u = V8_SUM(su);
}

int ddpm_sample_explicit(const gmm2 *g, const double *mu, gsl_rng *r, double a, double b,
                         double theta, double w, double *buf, ddpm_terms *t)
{
    const size_t d = g->d;
    const double *u = g->u, *mu1 = mu, *mu2 = mu + d;
    double *xt = buf, *eps = buf + d;
    const double m = draw_raw(g, r, xt, eps);   /* ddpm_draw_explicit's random numbers */
    double dist[2], xu;
    explicit_pass_dist(d, a, b, m, u, mu1, mu2, xt, eps, dist, &xu);
    /* the model's score s_w(x_t) of the noised mixture with weight sigmoid(w):
     * responsibilities by gmm_resp_noised from the distances (gmm/gmm.h) */
    const double v = a * a + b * b, iv = 1.0 / v;
    double logw[2] = { -spl_log1pexp(-w), -spl_log1pexp(w) }, rho[2];
    int st = gmm_resp_noised(2, logw, v, dist, rho);
    if (st) return st;
    double loss, res_u;
    explicit_pass_res(d, b, iv, a * rho[0] * iv, a * rho[1] * iv, u, mu1, mu2, xt, eps, &loss, &res_u);
    /* ρ_w − ρ* from the two logits (THEORY.md §2), without cancellation:
     * logit ρ = w + a(μ1−μ2)·x − a²(|μ1|² − |μ2|²)/2 */
    double m1 = gmm2_m1(g), m2 = gmm2_m2(g);
    double shift = 0.5 * a * a * (m1 * m1 - m2 * m2);
    double D = spl_sigmoid_diff(w + a * g->sep * xu - shift, theta + a * g->sep * xu - shift);
    *t = finish(a * b * g->sep, res_u, rho[0], D, loss);
    return GSL_SUCCESS;
}
