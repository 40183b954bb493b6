/* tests/cu_shared.c — the numerics ddpm/, spire/ and paper_figs/ share once:
 *  - gmm_score_noised (gmm/gmm.h), the one exact score of a noised mixture,
 *    against central finite differences of the log-density of the noised
 *    mixture written independently with gmmk_logpdf (means aμ_k, σ² → v);
 *    and, for a gmm2, against the closed form s_w of THEORY.md §2;
 *  - the block-parallel skeleton ddpm_blocks_run behind ddpm_mc_* and
 *    ddpm_sample_draw: a PROPERTY (regression) test against values recorded
 *    from the code before the skeleton was factored out (commit 04d89f8,
 *    printed with %a): projected Monte Carlo and every sample set must be
 *    bit-identical; the explicit Monte Carlo, whose per-sample score now
 *    comes from gmm_score_noised (other rounding), within 1e-13 relative;
 *  - bit-identical results with 1 and 2 OpenMP threads (property);
 *  - the explicit Monte Carlo's per-sample terms (ddpm_sample_explicit, the
 *    draw and two 8-lane passes) against the same draw evaluated with the
 *    score vector of gmm_score_noised and sums in long double, for d with
 *    and without a tail of fewer than 8 coordinates; both consume the same
 *    random numbers.  gmm_resp_noised against the responsibilities of
 *    gmm_score_noised from the same distances (other summation order). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>
#include <gsl/gsl_errno.h>
#include "common/spl.h"
#include "ddpm/ddpm.h"
#include "ddpm/draw.h"
#include "gmm/gmm.h"
#include "tests/cu_util.h"

/* ---- gmm_score_noised ----------------------------------------------------- */

static void test_score_fd(void)
{
    enum { K = 3, D = 2 };
    const double mu[K * D] = { 1.0, -0.5, -2.0, 0.3, 0.4, 2.5 }, w[K] = { 0.2, 0.5, 0.3 };
    const double sigma = 0.7, a = 0.8, b = 0.45;
    const double v = a * a * sigma * sigma + b * b;
    /* the noised mixture written out: weights w, means aμ_k, sd √v */
    gmmk *m = gmmk_alloc(K, D, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(gmmk_set_weights(m, w), GSL_SUCCESS);
    for (size_t i = 0; i < K * D; i++) m->mu[i] = a * mu[i];
    m->sigma = sqrt(v);
    double lw[K];
    for (size_t k = 0; k < K; k++) lw[k] = log(w[k]);
    const double pts[4][D] = { { 0.1, 0.2 }, { -2.5, 1.0 }, { 3.0, -4.0 }, { 0.5, 2.0 } };
    for (size_t p = 0; p < 4; p++) {
        double s[D], resp[K], x[D];
        CU_ASSERT_EQUAL(gmm_score_noised(K, D, lw, mu, sigma, a, b, pts[p], resp, s), GSL_SUCCESS);
        double rs = 0;
        for (size_t k = 0; k < K; k++) rs += resp[k];
        ASSERT_REL(rs, 1.0, TOL1);
        for (size_t j = 0; j < D; j++) {
            /* central difference, step h: truncation O(h²), rounding O(ε/h) */
            const double h = 1e-5;
            memcpy(x, pts[p], sizeof x);
            x[j] += h;
            double lp = gmmk_logpdf(m, x);
            x[j] -= 2 * h;
            double lm = gmmk_logpdf(m, x);
            ASSERT_MIXED(s[j], (lp - lm) / (2 * h), 1e-8, 1e-7);
        }
    }
    gmmk_free(m);
}

static void test_score_gmm2_closed_form(void)
{
    /* gmm2 (σ = 1, a² + b² = 1): s_w(x) = −x + a(ρ_w μ1 + (1−ρ_w) μ2),
     * ρ_w = sigmoid(w + a(μ1−μ2)·x − a²(|μ1|² − |μ2|²)/2)   (THEORY.md §2) */
    gmm2 *g = gmm2_alloc(3, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_EQUAL(gmm2_set(g, 0.3, 2.5, 0.4), GSL_SUCCESS);
    gsl_rng *r = spl_rng_alloc(5, 0, 0);
    CU_ASSERT_EQUAL(gmm2_set_direction_random(g, r), GSL_SUCCESS);
    double mu[6];
    gmm2_mean(g, 1, mu);
    gmm2_mean(g, 2, mu + 3);
    const double a = 0.6, b = 0.8, w = -0.7;
    const double lw[2] = { -spl_log1pexp(-w), -spl_log1pexp(w) };
    const double x[3] = { 0.3, -1.2, 2.0 };
    double s[3], rho[2];
    CU_ASSERT_EQUAL(gmm_score_noised(2, 3, lw, mu, 1.0, a, b, x, rho, s), GSL_SUCCESS);
    double m1 = gmm2_m1(g), m2 = gmm2_m2(g), xu = 0;
    for (size_t j = 0; j < 3; j++) xu += x[j] * g->u[j];
    double rw = spl_sigmoid(w + a * g->sep * xu - 0.5 * a * a * (m1 * m1 - m2 * m2));
    ASSERT_REL(rho[0], rw, TOL2);
    for (size_t j = 0; j < 3; j++)
        ASSERT_MIXED(s[j], -x[j] + a * (rw * mu[j] + (1 - rw) * mu[3 + j]), TOL2, TOL2);
    gsl_rng_free(r);
    gmm2_free(g);
}

/* ---- the block-parallel skeleton: values from before the refactoring ------ */

typedef struct { double v[8]; } mc_rec;
typedef struct { double v[6]; } sample_rec;

/* mc[mode][draw_chi2]: level loss, loss_err, excess, grad, hess; avg loss, grad_err, excess */
static const mc_rec MC_BEFORE[2][2] = {
    { { { 0x1.5787e2d1c5662p+0, 0x1.0175645e5ea02p-6, 0x1.7af683b947963p-5, 0x1.6c45f0a83f319p-4,
          0x1.5b86a49f26ed7p-4, 0x1.e8be06405837bp+0, 0x1.d6f10d305076fp-9, 0x1.25e399618187ap-7 } },
      { { 0x1.5787e2d1c5662p+0, 0x1.0175645e5ea02p-6, 0x1.7af683b947963p-5, 0x1.6c45f0a83f319p-4,
          0x1.5b86a49f26ed7p-4, 0x1.e8be06405837bp+0, 0x1.d6f10d305076fp-9, 0x1.25e399618187ap-7 } } },
    { { { 0x1.563b443abf655p+0, 0x1.826c6489c3c11p-7, 0x1.062ee6e100aa1p-4, 0x1.a90a07759fd24p-4,
          0x1.4e2066db94579p-4, 0x1.e974d61453d1ep+0, 0x1.e3168d4d92fbfp-9, 0x1.34c16db6797bap-7 } },
      { { 0x1.5dfd38db6a771p+0, 0x1.0c9590ce11b8p-6, 0x1.ee1e82e433d5bp-5, 0x1.97c9dfc7d6b93p-4,
          0x1.4a2845e98caffp-4, 0x1.f15cb0bea68a2p+0, 0x1.e2031831f75dap-9, 0x1.2239a75fe05f7p-7 } } },
};
/* sample[mode][avg]: Σx0, Σv, Σe, Σ a_i·(i mod 7), orth, x0[n−1] */
static const sample_rec SAMPLE_BEFORE[2][2] = {
    { { { -0x1.650cfe594d234p+8, -0x1.d59ab96ebf919p+9, -0x1.8e443479449c5p+2, 0x1.5146666666679p+12,
          0x1.77696fd11251cp-1, -0x1.d567c109d09cap+0 } },
      { { -0x1.5511b817b07e1p+8, -0x1.0f3d5617a0741p+10, 0x1.4d0e89537422ap+6, 0x1.a31d769d47e5fp+12,
          0x1.31c777575e666p+0, 0x1.141644294ad2fp+1 } } },
    { { { -0x1.5f4d011651a0ap+8, -0x1.dc4b82fefed3ep+9, -0x1.b4306acbfd9cp+4, 0x1.5146666666679p+12,
          0x1.70a3d70a3d7a5p-1, -0x1.7ff383c3f9b1bp-1 } },
      { { -0x1.41923151fd23dp+7, -0x1.f9b6da0aeab68p+9, -0x1.61cb2bcaf8293p+4, 0x1.a2baa386c2da6p+12,
          0x1.2d97f2e657c13p+0, -0x1.ff2fc3c511e1p-4 } } },
};

static int compute(mc_rec mc[2][2], sample_rec smp[2][2])
{
    gmm2 *g = gmm2_alloc(3, NULL);
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_LINEAR, 200, NULL);
    if (!g || !s || gmm2_set(g, 0.3, 2.5, 0.4)) { gmm2_free(g); ddpm_schedule_free(s); return GSL_ENOMEM; }
    int st = GSL_SUCCESS;
    for (int mode = 0; mode < 2 && !st; mode++)
        for (int chi = 0; chi < 2 && !st; chi++) {
            ddpm_mc_opts o = { (ddpm_mc_mode)mode, 5000, 7, chi };
            ddpm_loss_result r1, r2;
            st = ddpm_mc_level(g, 0.6, 0.8, 0.3, &o, &r1);
            if (!st) st = ddpm_mc_avg(g, s, -0.2, &o, &r2);
            mc_rec m = { { r1.loss.val, r1.loss.err, r1.excess.val, r1.grad.val, r1.hess.val, r2.loss.val,
                           r2.grad.err, r2.excess.val } };
            mc[mode][chi] = m;
        }
    for (int mode = 0; mode < 2 && !st; mode++)
        for (int avg = 0; avg < 2 && !st; avg++) {
            ddpm_sample *S = ddpm_sample_draw(g, avg ? s : NULL, 0.6, 0.8, 3000, (ddpm_mc_mode)mode, 11, &st);
            if (!S) break;
            double sx = 0, sv = 0, se = 0, sa = 0;
            for (size_t i = 0; i < S->n; i++) {
                sx += S->x0[i]; sv += S->v[i]; se += S->e[i]; sa += S->a[i] * (double)(i % 7);
            }
            sample_rec r = { { sx, sv, se, sa, S->orth, S->x0[S->n - 1] } };
            smp[mode][avg] = r;
            ddpm_sample_free(S);
        }
    gmm2_free(g);
    ddpm_schedule_free(s);
    return st;
}

static void test_blocks_before(void)
{
    mc_rec mc[2][2];
    sample_rec smp[2][2];
    CU_ASSERT_EQUAL_FATAL(compute(mc, smp), GSL_SUCCESS);
    for (int chi = 0; chi < 2; chi++)
        for (int k = 0; k < 8; k++) {
            /* projected: bit for bit */
            CU_ASSERT(memcmp(&mc[1][chi].v[k], &MC_BEFORE[1][chi].v[k], sizeof(double)) == 0);
            /* explicit: the score is gmm_score_noised now (other rounding) */
            ASSERT_REL(mc[0][chi].v[k], MC_BEFORE[0][chi].v[k], 1e-13);
        }
    for (int mode = 0; mode < 2; mode++)
        for (int avg = 0; avg < 2; avg++)
            CU_ASSERT(memcmp(&smp[mode][avg], &SAMPLE_BEFORE[mode][avg], sizeof(sample_rec)) == 0);
}

static void test_blocks_threads(void)
{
    mc_rec mc1[2][2], mc2[2][2];
    sample_rec s1[2][2], s2[2][2];
    int nt = omp_get_max_threads();
    omp_set_num_threads(1);
    int st1 = compute(mc1, s1);
    omp_set_num_threads(2);
    int st2 = compute(mc2, s2);
    omp_set_num_threads(nt);
    CU_ASSERT_EQUAL_FATAL(st1, GSL_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(st2, GSL_SUCCESS);
    CU_ASSERT(memcmp(mc1, mc2, sizeof mc1) == 0);
    CU_ASSERT(memcmp(s1, s2, sizeof s1) == 0);
}

static void test_sample_explicit(void)
{
    const size_t dims[] = { 1, 3, 8, 13, 1000 };
    const double lv[3][3] = { { 0.6, 0.8, 0.3 }, { 0.05, 0.99874921777190895, -1.5 }, { 0.995, 0.099874921777190895, 2.0 } };
    for (size_t id = 0; id < sizeof dims / sizeof *dims; id++) {
        const size_t d = dims[id];
        gmm2 *g = gmm2_alloc(d, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(g);
        CU_ASSERT_EQUAL(gmm2_set(g, 0.3, 2.5, 0.4), GSL_SUCCESS);
        gsl_rng *r1 = spl_rng_alloc(3, id, 0), *r2 = spl_rng_alloc(3, id, 0);
        CU_ASSERT_EQUAL(gmm2_set_direction_random(g, r1), GSL_SUCCESS);
        CU_ASSERT_EQUAL(gmm2_set_direction_random(g, r2), GSL_SUCCESS);
        double *mu = malloc(2 * d * sizeof *mu), *buf = malloc(5 * d * sizeof *buf);
        CU_ASSERT_PTR_NOT_NULL_FATAL(mu);
        CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
        gmm2_mean(g, 1, mu);
        gmm2_mean(g, 2, mu + d);
        double *xt = buf + 2 * d, *eps = buf + 3 * d, *sc = buf + 4 * d;
        const double theta = spl_logit(g->pi);
        for (int k = 0; k < 3; k++)
            for (int rep = 0; rep < 4; rep++) {
                const double a = lv[k][0], b = lv[k][1], w = lv[k][2];
                ddpm_terms t;
                CU_ASSERT_EQUAL(ddpm_sample_explicit(g, mu, r1, a, b, theta, w, buf, &t), GSL_SUCCESS);
                /* the reference: the same draw, the score vector, long double sums */
                ddpm_draw_explicit(g, r2, a, b, xt, eps);
                const double lw[2] = { -spl_log1pexp(-w), -spl_log1pexp(w) };
                double rho[2];
                CU_ASSERT_EQUAL(gmm_score_noised(2, d, lw, mu, 1.0, a, b, xt, rho, sc), GSL_SUCCESS);
                long double loss = 0, ru = 0;
                for (size_t j = 0; j < d; j++) {
                    long double rj = (long double)eps[j] + (long double)b * sc[j];
                    loss += rj * rj;
                    ru += rj * g->u[j];
                }
                /* ℓ' = 2ab (ε + b s_w)·(μ1 − μ2) ρ_w(1 − ρ_w), μ1 − μ2 = Δu (THEORY.md §4) */
                double grad = (double)(2 * a * b * g->sep * ru) * rho[0] * (1 - rho[0]);
                ASSERT_REL(t.loss, (double)loss, 1e-12);
                ASSERT_MIXED(t.grad, grad, 1e-13, 1e-10);
                /* the same random numbers consumed */
                CU_ASSERT_EQUAL(gsl_rng_get(r1), gsl_rng_get(r2));
            }
        /* gmm_resp_noised: the responsibilities gmm_score_noised computes */
        const double lw[2] = { -0.4, -1.1 }, v = 0.7;
        double d2[2] = { 0, 0 }, rs[2], rho[2];
        for (size_t j = 0; j < d; j++) {
            double t1 = xt[j] - 0.5 * mu[j], t2 = xt[j] - 0.5 * mu[d + j];
            d2[0] += t1 * t1;
            d2[1] += t2 * t2;
        }
        CU_ASSERT_EQUAL(gmm_resp_noised(2, lw, v, d2, rs), GSL_SUCCESS);
        CU_ASSERT_EQUAL(gmm_score_noised(2, d, lw, mu, sqrt(v / 0.25), 0.5, 0.0, xt, rho, sc), GSL_SUCCESS);
        ASSERT_REL(rs[0], rho[0], 1e-12);
        ASSERT_REL(rs[1], rho[1], 1e-12);
        free(mu);
        free(buf);
        gsl_rng_free(r1);
        gsl_rng_free(r2);
        gmm2_free(g);
    }
}

CU_TestInfo cu_shared_tests[] = {
    { "score = finite differences of log p_t", test_score_fd },
    { "score of a gmm2 = s_w of THEORY.md 2", test_score_gmm2_closed_form },
    { "blocks: property, = values before the refactoring", test_blocks_before },
    { "blocks: property, 1 thread = 2 threads", test_blocks_threads },
    { "explicit MC terms = score-vector evaluation", test_sample_explicit },
    CU_TEST_INFO_NULL
};
