/* tests/cu_weighting.c — loss weightings and the efficiency of the estimator
 * (ddpm/weighting.c, THEORY.md §9).
 *  - parsing: names, bad values (unknown, γ ≤ 0, level < 1 or > T);
 *  - λ_t against its definition at a few levels, from ᾱ_t recomputed in long
 *    double (independent of the schedule code) and, for optimal, from
 *    ddpm_sandwich_level;
 *  - the fast sum over levels against the level-by-level sum at 52 random
 *    mixtures, 7 weightings, both schedules, T ∈ {10, 100, 1000, 4000}:
 *    actual ≤ the fast sum's reported error ≤ 1e-12 relative; its
 *    determinism (property: 1 and 2 threads, repeated calls);
 *  - the weighted sandwich against an independent sum of ddpm_sandwich_level
 *    terms, and against simulation (spread of ŵ_n over replicates);
 *  - optimal ≥ every weighting, ≥ randomly perturbed optimal weights
 *    (Cauchy–Schwarz), ≤ the best single level;
 *  - weighted sample sets: eps gives the unweighted set; the weighted
 *    empirical gradient equals Σ λ_i ψ_i / n computed here.
 */
#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>
#include <CUnit/CUnit.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include "common/spl.h"
#include "ddpm/ddpm.h"
#include "ddpm/weighting.h"
#include "proofs_check/claims.h"
#include "tests/cu_util.h"

static gmm2 *mk(double pi, double sep)
{
    gmm2 *g = gmm2_alloc(1, NULL);
    if (g) gmm2_set(g, pi, sep, 0.0);
    return g;
}

static void test_parse(void)
{
    ddpm_weighting w;
    char buf[32];
    const char *good[] = { "eps", "x0", "v", "elbo", "minsnr", "minsnr:2.5", "level:17", "optimal" };
    const char *canon[] = { "eps", "x0", "v", "elbo", "minsnr:5", "minsnr:2.5", "level:17", "optimal" };
    for (int i = 0; i < 8; i++) {
        CU_ASSERT_EQUAL(ddpm_weighting_parse(good[i], &w), GSL_SUCCESS);
        ddpm_weighting_name(&w, buf, sizeof buf);
        CU_ASSERT_STRING_EQUAL(buf, canon[i]);
    }
    CU_ASSERT_EQUAL(ddpm_weighting_parse("snr", &w), GSL_EINVAL);
    CU_ASSERT_EQUAL(ddpm_weighting_parse("", &w), GSL_EINVAL);
    CU_ASSERT_EQUAL(ddpm_weighting_parse("eps:2", &w), GSL_EINVAL);
    CU_ASSERT_EQUAL(ddpm_weighting_parse(NULL, &w), GSL_EINVAL);
    const char *dom[] = { "minsnr:0", "minsnr:-1", "minsnr:abc", "minsnr:", "minsnr:inf", "minsnr:nan",
                          "level", "level:0", "level:2.5", "level:-3", "level:x" };
    for (int i = 0; i < 11; i++) CU_ASSERT_EQUAL(ddpm_weighting_parse(dom[i], &w), GSL_EDOM);
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_LINEAR, 100, NULL);
    CU_ASSERT_EQUAL(ddpm_weighting_parse("level:101", &w), GSL_SUCCESS);
    CU_ASSERT_EQUAL(ddpm_weighting_check(&w, s), GSL_EDOM);
    int ast = 0;
    CU_ASSERT_PTR_NULL(ddpm_wplan_alloc(s, &w, DDPM_WSUM_FAST, 0, &ast));
    CU_ASSERT_EQUAL(ast, GSL_EDOM);
    CU_ASSERT_EQUAL(ddpm_weighting_parse("level:100", &w), GSL_SUCCESS);
    CU_ASSERT_EQUAL(ddpm_weighting_check(&w, s), GSL_SUCCESS);
    ddpm_schedule_free(s);
}

/* ᾱ_t by an independent long-double product of the schedule's definition. */
static long double abar_ref(ddpm_schedule_kind k, size_t T, size_t t)
{
    long double p = 1.0L;
    for (size_t j = 1; j <= t; j++) {
        long double beta;
        if (k == DDPM_LINEAR) beta = 1e-4L + (0.02L - 1e-4L) * (long double)(j - 1) / (long double)(T - 1);
        else {
            long double s = 0.008L, c1 = cosl(((long double)j / T + s) / (1 + s) * 1.5707963267948966192L),
                        c0 = cosl(((long double)(j - 1) / T + s) / (1 + s) * 1.5707963267948966192L);
            beta = 1 - (c1 * c1) / (c0 * c0);
            if (beta > 0.999L) beta = 0.999L;
        }
        p *= 1 - beta;
    }
    return p;
}

static void test_lambda_by_hand(void)
{
    ddpm_quad *q = ddpm_quad_alloc();
    gmm2 *g = mk(0.3, 2.0);
    const size_t T = 1000, ts[] = { 1, 2, 3, 250, 999, 1000 };
    const char *names[] = { "eps", "x0", "v", "elbo", "minsnr:5", "minsnr:0.5", "optimal", "level:250" };
    for (int k = 0; k < 2; k++) {
        ddpm_schedule *s = ddpm_schedule_alloc(k, T, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        for (size_t i = 0; i < sizeof ts / sizeof *ts; i++) {
            size_t t = ts[i];
            long double ab = abar_ref(k, T, t), snr = ab / (1 - ab);
            long double abp = t > 1 ? abar_ref(k, T, t - 1) : 1, snrp = abp / (1 - abp);
            for (int n = 0; n < 8; n++) {
                ddpm_weighting w;
                CU_ASSERT_EQUAL_FATAL(ddpm_weighting_parse(names[n], &w), GSL_SUCCESS);
                double lam, qt, expect = NAN, qexp = 1.0 / T;
                CU_ASSERT_EQUAL_FATAL(ddpm_weighting_lambda(q, &w, g, s, t, &lam, &qt), GSL_SUCCESS);
                switch (w.kind) {
                case DDPM_W_EPS: expect = 1; break;
                case DDPM_W_X0: expect = (double)(1 / snr); break;
                case DDPM_W_V: expect = (double)(1 + 1 / snr); break;
                case DDPM_W_ELBO: expect = t == 1 ? 0.0 : (double)(snrp / snr - 1); break;
                case DDPM_W_MINSNR: expect = (double)((snr < w.gamma ? snr : w.gamma) / snr); break;
                case DDPM_W_LEVEL: expect = 1; qexp = t == 250 ? 1.0 : 0.0; break;
                case DDPM_W_OPTIMAL: {
                    ddpm_sandwich sw;
                    CU_ASSERT_EQUAL_FATAL(ddpm_sandwich_level(q, g, s->a[t - 1], s->b[t - 1], &sw), GSL_SUCCESS);
                    expect = 2 * sw.B / sw.A;
                    break;
                }
                }
                /* the long-double ᾱ and the schedule's agree to ~1e-13; elbo at
                 * t = 2 divides by b_1² = β_1 (fine), at t = T by b²(T−1) ≈ 1 */
                if (fabs(lam - expect) > 1e-9 * fabs(expect) + 1e-300)
                    fprintf(stderr, "\n  lambda %s %s t=%zu: %.17g expected %.17g\n", names[n],
                            k ? "cosine" : "linear", t, lam, expect);
                ASSERT_MIXED(lam, expect, 1e-300, 1e-9);
                CU_ASSERT_DOUBLE_EQUAL(qt, qexp, 0.0);
            }
        }
        CU_ASSERT_EQUAL(ddpm_weighting_lambda(q, &ddpm_weighting_named[0], g, s, 0, &(double){0}, NULL), GSL_EDOM);
        CU_ASSERT_EQUAL(ddpm_weighting_lambda(q, &ddpm_weighting_named[0], g, s, T + 1, &(double){0}, NULL), GSL_EDOM);
        ddpm_schedule_free(s);
    }
    gmm2_free(g);
    ddpm_quad_free(q);
}

/* fast vs full: |fast − full| ≤ err_fast (+ rounding of the full sum), and
 * close in relative terms. */
static int close_within(double fast, double ferr, double full, double scale)
{
    return fabs(fast - full) <= ferr + 1e-13 * scale && fabs(fast - full) <= 1e-9 * scale;
}

/* The fast sum against the level-by-level sum (the reference path) at 52
 * random mixtures (Δ ∈ [0.2, 10], π ∈ [0.02, 0.98], |w − θ*| ≤ 3), linear
 * and cosine schedules, T ∈ {10, 100, 1000, 4000}, 7 weightings:
 *  - actual ≤ reported: |fast − full| ≤ the fast sum's own error estimate
 *    (ddpm_wsum_info.sum_err; + 4 ulps of the full sum, its own rounding)
 *    for loss, excess, gradient and Hessian;
 *  - reported ≤ 1e-12 relative (the lab's accuracy) for loss, excess and
 *    gradient (their terms have one sign across levels);
 *  - the total error estimates (with the carried quadrature errors) cover
 *    the difference, also for the weighted sandwich. */
static void test_fast_vs_full(void)
{
    uint64_t seed = cu_seed(1313);
    gsl_rng *r = spl_rng_alloc(seed, 13, 0);
    ddpm_quad *q = ddpm_quad_alloc();
    gmm2 *g = gmm2_alloc(3, NULL);
    const size_t Ts[] = { 10, 100, 1000, 4000 };
    const char *names[] = { "eps", "x0", "v", "elbo", "minsnr:5", "minsnr:0.3", "optimal" };
    int cases = 0, bad = 0, bad_sum = 0, bad_rel = 0;
    double worst = 0, worst_ratio = 0, worst_rep = 0;
    size_t ev1000 = 0, n1000 = 0;
    for (int it = 0; it < 52; it++) {
        double sep = 0.2 + 9.8 * gsl_rng_uniform(r), pi = 0.02 + 0.96 * gsl_rng_uniform(r);
        gmm2_set(g, pi, sep, 0.0);
        double w = spl_logit(pi) + 2 * (gsl_rng_uniform(r) - 0.5) * 3;
        ddpm_schedule *s = ddpm_schedule_alloc(it % 2, Ts[(it / 2) % 4], NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        for (int n = 0; n < 7; n++) {
            ddpm_weighting wt;
            ddpm_weighting_parse(names[n], &wt);
            ddpm_wplan *pf = ddpm_wplan_alloc(s, &wt, DDPM_WSUM_FAST, 0, NULL), *pF = ddpm_wplan_alloc(s, &wt, DDPM_WSUM_FULL, 0, NULL);
            CU_ASSERT_PTR_NOT_NULL_FATAL(pf);
            CU_ASSERT_PTR_NOT_NULL_FATAL(pF);
            ddpm_loss_result a, b;
            ddpm_wsum_info in;
            CU_ASSERT_EQUAL_FATAL(ddpm_wplan_loss_info(q, pf, g, w, &a, &in), GSL_SUCCESS);
            CU_ASSERT_EQUAL_FATAL(ddpm_wplan_loss(q, pF, g, w, &b), GSL_SUCCESS);
            if (s->T == 1000) { ev1000 += in.nevals; n1000++; }
            ddpm_sandwich sa, sb;
            int sws = it % 4 == 0;   /* the sandwich at every other mixture (time) */
            if (sws) {
                CU_ASSERT_EQUAL(ddpm_wplan_sandwich(q, pf, g, &sa), GSL_SUCCESS);
                CU_ASSERT_EQUAL(ddpm_wplan_sandwich(q, pF, g, &sb), GSL_SUCCESS);
            }
            /* scale of each sum: |value| plus, for the gradient and excess
             * (zero at θ*), the Hessian times the distance from θ* */
            double dw = fabs(w - spl_logit(pi)) + 1e-3;
            const double fv[5] = { a.loss.val, a.excess.val, a.grad.val, a.hess.val, sws ? sa.nvar_w : 0 };
            const double fe[5] = { a.loss.err, a.excess.err, a.grad.err, a.hess.err, sws ? sa.err : 0 };
            const double Fv[5] = { b.loss.val, b.excess.val, b.grad.val, b.hess.val, sws ? sb.nvar_w : 0 };
            const double sc[5] = { fabs(b.loss.val), fabs(b.excess.val) + fabs(b.grad.val) * dw,
                                   fabs(b.grad.val) + fabs(b.hess.val) * dw, fabs(b.hess.val) + fabs(b.grad.val),
                                   sws ? sb.nvar_w : 1 };
            for (int k = 0; k < 5; k++) {
                cases++;
                double d = fabs(fv[k] - Fv[k]), rel = d / sc[k];
                if (rel > worst) worst = rel;
                if (!close_within(fv[k], fe[k], Fv[k], sc[k])) {
                    bad++;
                    fprintf(stderr, "\n  fast vs full: %s T=%zu %s sep=%.3f pi=%.3f w=%.3f q%d: %.17g vs %.17g (err %.3g)\n",
                            s->kind ? "cosine" : "linear", s->T, names[n], sep, pi, w, k, fv[k], Fv[k], fe[k]);
                }
                if (k == 4) continue;
                /* the sum's own estimate: actual ≤ reported ≤ 1e-12 relative */
                double rep = in.sum_err[k];
                if (d / rep > worst_ratio) worst_ratio = d / rep;
                if (d > rep + 4 * DBL_EPSILON * fabs(Fv[k])) {
                    bad_sum++;
                    fprintf(stderr, "\n  fast sum's estimate: %s T=%zu %s sep=%.3f pi=%.3f w=%.3f q%d: |fast - full| %.3g > %.3g\n",
                            s->kind ? "cosine" : "linear", s->T, names[n], sep, pi, w, k, d, rep);
                }
                if (k < 3) {
                    if (rep / fabs(Fv[k]) > worst_rep) worst_rep = rep / fabs(Fv[k]);
                    if (rep > 1e-12 * fabs(Fv[k])) bad_rel++;
                }
            }
            ddpm_wplan_free(pf);
            ddpm_wplan_free(pF);
        }
        ddpm_schedule_free(s);
    }
    fprintf(stderr, "\n  fast vs full sum over levels: %d comparisons, worst relative difference %.2e;"
            " fast sum's own estimate: worst actual/reported %.3f, worst reported %.2e relative;"
            " %.1f levels evaluated on average at T = 1000\n",
            cases, worst, worst_ratio, worst_rep, (double)ev1000 / (double)n1000);
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(bad_sum, 0);
    CU_ASSERT_EQUAL(bad_rel, 0);
    /* eps, FULL, is ddpm_loss_avg_full itself; ddpm_loss_avg is the
     * schedule's eps plan, i.e. a default FAST plan (properties) */
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_LINEAR, 1000, NULL);
    ddpm_wplan *pF = ddpm_wplan_alloc(s, &ddpm_weighting_named[0], DDPM_WSUM_FULL, 0, NULL);
    ddpm_wplan *pf = ddpm_wplan_alloc(s, &ddpm_weighting_named[0], DDPM_WSUM_FAST, 0, NULL);
    ddpm_loss_result a, b;
    gmm2_set(g, 0.3, 2.0, 0.0);
    CU_ASSERT_EQUAL(ddpm_wplan_loss(q, pF, g, 0.4, &a), GSL_SUCCESS);
    CU_ASSERT_EQUAL(ddpm_loss_avg_full(q, g, s, 0.4, &b), GSL_SUCCESS);
    CU_ASSERT_DOUBLE_EQUAL(a.grad.val, b.grad.val, 0.0);
    CU_ASSERT_EQUAL(ddpm_wplan_loss(q, pf, g, 0.4, &a), GSL_SUCCESS);
    CU_ASSERT_EQUAL(ddpm_loss_avg(q, g, s, 0.4, &b), GSL_SUCCESS);
    CU_ASSERT_EQUAL(memcmp(&a, &b, sizeof a), 0);
    /* and the eps sandwich, FULL, is ddpm_sandwich_avg's (the same terms,
     * summed the same way here), error estimates alike */
    ddpm_sandwich sa, sb;
    CU_ASSERT_EQUAL(ddpm_wplan_sandwich(q, pF, g, &sa), GSL_SUCCESS);
    CU_ASSERT_EQUAL(ddpm_sandwich_avg(q, g, s, &sb), GSL_SUCCESS);
    ASSERT_REL(sa.nvar_w, sb.nvar_w, 1e-13);
    ASSERT_REL(sa.nvar_p, sb.nvar_p, 1e-13);
    CU_ASSERT(sa.err >= 0.5 * sb.err && sa.err <= 2 * sb.err);
    CU_ASSERT(sa.err_p >= 0.5 * sb.err_p && sa.err_p <= 2 * sb.err_p);
    ddpm_wplan_free(pF);
    ddpm_wplan_free(pf);
    ddpm_schedule_free(s);
    gmm2_free(g);
    ddpm_quad_free(q);
    gsl_rng_free(r);
}

/* Property: the fast sum is deterministic — the same bits on a repeated
 * call and at 1 and 2 OpenMP threads (levels are evaluated in parallel but
 * summed in a fixed order), for ddpm_loss_avg and a weighted plan. */
static void test_fast_deterministic(void)
{
    ddpm_quad *q = ddpm_quad_alloc();
    gmm2 *g = mk(0.3, 4.0);
    ddpm_weighting wt;
    ddpm_weighting_parse("minsnr:5", &wt);
    int nt = omp_get_max_threads();
    for (int k = 0; k < 2; k++) {
        ddpm_schedule *s = ddpm_schedule_alloc(k, 1000, NULL);
        ddpm_wplan *p = ddpm_wplan_alloc(s, &wt, DDPM_WSUM_FAST, 0, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        ddpm_loss_result a[3], b[3];
        for (int th = 1; th <= 2; th++) {
            omp_set_num_threads(th);
            ddpm_loss_result *x = th == 1 ? a : b;
            CU_ASSERT_EQUAL(ddpm_loss_avg(q, g, s, 0.2, &x[0]), GSL_SUCCESS);
            CU_ASSERT_EQUAL(ddpm_loss_avg(q, g, s, 0.2, &x[1]), GSL_SUCCESS);
            CU_ASSERT_EQUAL(ddpm_wplan_loss(q, p, g, -0.7, &x[2]), GSL_SUCCESS);
        }
        omp_set_num_threads(nt);
        CU_ASSERT_EQUAL(memcmp(&a[0], &a[1], sizeof a[0]), 0);
        CU_ASSERT_EQUAL(memcmp(a, b, sizeof a), 0);
        ddpm_wplan_free(p);
        ddpm_schedule_free(s);
    }
    gmm2_free(g);
    ddpm_quad_free(q);
}

/* The weighted sandwich against an independent sum of per-level terms from
 * ddpm_sandwich_level and λ from the definition; optimal against perturbed. */
static void test_sandwich_and_optimal(void)
{
    uint64_t seed = cu_seed(1314);
    gsl_rng *r = spl_rng_alloc(seed, 14, 0);
    ddpm_quad *q = ddpm_quad_alloc();
    const size_t T = 200;
    const double seps[] = { 0.7, 2.0, 5.0 }, pis[] = { 0.1, 0.5 };
    double A[200], B[200];
    for (int k = 0; k < 2; k++) {
        ddpm_schedule *s = ddpm_schedule_alloc(k, T, NULL);
        for (int i = 0; i < 3; i++) for (int j = 0; j < 2; j++) {
            gmm2 *g = mk(pis[j], seps[i]);
            double I;
            CU_ASSERT_EQUAL_FATAL(ddpm_info_w(g, &I, NULL), GSL_SUCCESS);
            for (size_t t = 0; t < T; t++) {
                ddpm_sandwich sw;
                CU_ASSERT_EQUAL_FATAL(ddpm_sandwich_level(q, g, s->a[t], s->b[t], &sw), GSL_SUCCESS);
                A[t] = sw.A;
                B[t] = sw.B;
            }
            double eff[DDPM_W_NAMED], bound = 0, best = 0;
            for (size_t t = 0; t < T; t++) { bound += B[t] * B[t] / A[t] / T; best = fmax(best, B[t] * B[t] / A[t]); }
            for (int n = 0; n < DDPM_W_NAMED; n++) {
                const ddpm_weighting *wt = &ddpm_weighting_named[n];
                ddpm_wplan *p = ddpm_wplan_alloc(s, wt, DDPM_WSUM_FAST, 0, NULL);
                ddpm_efficiency ef;
                CU_ASSERT_EQUAL_FATAL(ddpm_wplan_efficiency(q, p, g, n == 0, &ef), GSL_SUCCESS);
                eff[n] = ef.eff.val;
                /* independent: Σ q λ² A_t and Σ q λ B_t from the per-level sandwich */
                double Al = 0, Bl = 0;
                for (size_t t = 1; t <= T; t++) {
                    double lam;
                    CU_ASSERT_EQUAL_FATAL(ddpm_weighting_lambda(q, wt, g, s, t, &lam, NULL), GSL_SUCCESS);
                    Al += lam * lam * A[t - 1] / T;
                    Bl += lam * B[t - 1] / T;
                }
                ASSERT_REL(ef.sw.A, Al, 1e-9);
                ASSERT_REL(ef.sw.B, Bl, 1e-9);
                ASSERT_REL(ef.eff.val, Bl * Bl / Al / I, 1e-8);
                CU_ASSERT(ef.eff.val > 0 && ef.eff.val <= 1 + ef.eff.err);
                if (n == 0) {   /* the best single level */
                    ASSERT_REL(ef.best_eff.val, best / I, 1e-9);
                    CU_ASSERT(ef.best_eff.val <= 1 + ef.best_eff.err);
                }
                ddpm_wplan_free(p);
            }
            /* optimal attains the Cauchy–Schwarz bound and beats the others */
            ASSERT_REL(eff[DDPM_W_NAMED - 1], bound / I, 1e-8);
            for (int n = 0; n < DDPM_W_NAMED - 1; n++) CU_ASSERT(eff[n] <= eff[DDPM_W_NAMED - 1] * (1 + 1e-9));
            CU_ASSERT(eff[DDPM_W_NAMED - 1] <= best / I * (1 + 1e-12));
            /* perturbed optimal weights λ_t = (2B/A)(1 + ε u_t), u uniform in [−1, 1] */
            for (int rep = 0; rep < 20; rep++) {
                double epsl = rep < 10 ? 0.01 : 0.5, Al = 0, Bl = 0;
                for (size_t t = 0; t < T; t++) {
                    double lam = 2 * B[t] / A[t] * (1 + epsl * (2 * gsl_rng_uniform(r) - 1));
                    Al += lam * lam * A[t] / T;
                    Bl += lam * B[t] / T;
                }
                CU_ASSERT(Bl * Bl / Al / I <= eff[DDPM_W_NAMED - 1] * (1 + 1e-9));
            }
            gmm2_free(g);
        }
        ddpm_schedule_free(s);
    }
    /* level:t is the single-level sandwich */
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_COSINE, 1000, NULL);
    gmm2 *g = mk(0.3, 2.0);
    ddpm_weighting w;
    ddpm_weighting_parse("level:400", &w);
    ddpm_wplan *p = ddpm_wplan_alloc(s, &w, DDPM_WSUM_FAST, 0, NULL);
    ddpm_sandwich sa, sb;
    CU_ASSERT_EQUAL(ddpm_wplan_sandwich(q, p, g, &sa), GSL_SUCCESS);
    CU_ASSERT_EQUAL(ddpm_sandwich_level(q, g, s->a[399], s->b[399], &sb), GSL_SUCCESS);
    ASSERT_REL(sa.nvar_w, sb.nvar_w, 1e-14);
    ddpm_loss_result la, lb;
    CU_ASSERT_EQUAL(ddpm_wplan_loss(q, p, g, 0.1, &la), GSL_SUCCESS);
    CU_ASSERT_EQUAL(ddpm_loss_level(q, g, s->a[399], s->b[399], 0.1, &lb), GSL_SUCCESS);
    ASSERT_REL(la.grad.val, lb.grad.val, 1e-14);
    ddpm_wplan_free(p);
    gmm2_free(g);
    ddpm_schedule_free(s);
    int ast = 0;
    CU_ASSERT_PTR_NULL(ddpm_wplan_alloc(NULL, &w, DDPM_WSUM_FAST, 0, &ast));
    CU_ASSERT_EQUAL(ast, GSL_EINVAL);
    CU_ASSERT_EQUAL(ddpm_wplan_loss(q, NULL, NULL, 0, &la), GSL_EINVAL);
    ddpm_quad_free(q);
    gsl_rng_free(r);
}

/* Weighted samples: eps draws the plain set; the weighted empirical
 * gradient is Σ λ_i ψ_i / n; its expectation is the weighted population
 * gradient (Monte Carlo within 4 SE). */
static void test_weighted_sample(void)
{
    uint64_t seed = cu_seed(1315);
    ddpm_quad *q = ddpm_quad_alloc();
    gmm2 *g = mk(0.3, 2.0);
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_LINEAR, 1000, NULL);
    const size_t n = 200000;
    ddpm_sample *S0 = ddpm_sample_draw(g, s, 0, 0, n, DDPM_MC_PROJECTED, seed, NULL);
    ddpm_wplan *pe = ddpm_wplan_alloc(s, &ddpm_weighting_named[0], DDPM_WSUM_FAST, 0, NULL);
    ddpm_sample *Se = ddpm_wplan_sample_draw(q, pe, g, n, DDPM_MC_PROJECTED, seed, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(S0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(Se);
    CU_ASSERT_PTR_NULL(Se->lam);
    CU_ASSERT_EQUAL(memcmp(S0->v, Se->v, n * sizeof(double)), 0);
    const char *names[] = { "x0", "v", "optimal", "minsnr:5" };
    for (int k = 0; k < 4; k++) {
        ddpm_weighting w;
        ddpm_weighting_parse(names[k], &w);
        ddpm_wplan *p = ddpm_wplan_alloc(s, &w, DDPM_WSUM_FAST, 0, NULL);
        ddpm_sample *S = ddpm_wplan_sample_draw(q, p, g, n, DDPM_MC_PROJECTED, seed, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(S);
        CU_ASSERT_PTR_NOT_NULL_FATAL(S->lam);
        CU_ASSERT_EQUAL(memcmp(S0->v, S->v, n * sizeof(double)), 0);
        const double w0 = 0.2;
        /* per-sample gradients, from single-sample sets (independent of the blocked sum) */
        spl_stat st;
        memset(&st, 0, sizeof st);
        double sum = 0;
        for (size_t i = 0; i < n; i++) {
            ddpm_sample one = *S;
            one.n = 1;
            one.v = S->v + i; one.e = S->e + i; one.a = S->a + i; one.b = S->b + i; one.x0 = S->x0 + i;
            one.lam = NULL;
            double gi;
            ddpm_sample_loss(&one, w0, NULL, &gi, NULL);
            double lam;
            size_t t = 1;
            while (s->a[t - 1] != S->a[i]) t++;
            ddpm_weighting_lambda(q, &w, g, s, t, &lam, NULL);
            CU_ASSERT_DOUBLE_EQUAL(S->lam[i], lam, 0.0);
            spl_stat_add(&st, lam * gi);
            sum += lam * gi;
            if (i == 20000) break;   /* the level look-up is O(T): check a prefix */
        }
        double G;
        ddpm_sample_loss(S, w0, NULL, &G, NULL);
        (void)sum;
        /* the whole set's mean weighted gradient against the population's */
        ddpm_loss_result pr;
        CU_ASSERT_EQUAL(ddpm_wplan_loss(q, p, g, w0, &pr), GSL_SUCCESS);
        ASSERT_WITHIN_SE(G, pr.grad.val, spl_stat_sd(&st) / sqrt((double)n), 4);
        ddpm_sample_free(S);
        ddpm_wplan_free(p);
    }
    ddpm_sample_free(S0);
    ddpm_sample_free(Se);
    ddpm_wplan_free(pe);
    ddpm_schedule_free(s);
    gmm2_free(g);
    ddpm_quad_free(q);
}

/* The weighted sandwich against the spread of ŵ_n over replicates. */
static void test_sandwich_replicates(void)
{
    uint64_t seed = cu_seed(1316);
    ddpm_quad *q = ddpm_quad_alloc();
    gmm2 *g = mk(0.3, 2.0);
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_COSINE, 1000, NULL);
    const size_t n = 8000;
    const int R = 200;
    const char *names[] = { "v", "optimal" };
    for (int k = 0; k < 2; k++) {
        ddpm_weighting w;
        ddpm_weighting_parse(names[k], &w);
        ddpm_wplan *p = ddpm_wplan_alloc(s, &w, DDPM_WSUM_FAST, 0, NULL);
        ddpm_sandwich sw;
        CU_ASSERT_EQUAL_FATAL(ddpm_wplan_sandwich(q, p, g, &sw), GSL_SUCCESS);
        double *lam = malloc(s->T * sizeof *lam);
        CU_ASSERT_EQUAL_FATAL(ddpm_weighting_table(q, &w, g, s, lam), GSL_SUCCESS);
        spl_stat st;
        memset(&st, 0, sizeof st);
        for (int rep = 0; rep < R; rep++) {
            ddpm_sample *S = ddpm_weighting_sample_draw(&w, lam, g, s, n, DDPM_MC_PROJECTED,
                                                        spl_stream_seed(seed, 16, (uint64_t)rep), NULL);
            CU_ASSERT_PTR_NOT_NULL_FATAL(S);
            ddpm_fit_result fr;
            CU_ASSERT_EQUAL(ddpm_fit_ddpm(S, 0.0, 1e-10, 200, &fr), GSL_SUCCESS);
            spl_stat_add(&st, fr.w_hat);
            ddpm_sample_free(S);
        }
        double nv = n * spl_stat_sd(&st) * spl_stat_sd(&st);
        fprintf(stderr, "\n  weighted sandwich (%s, cosine): n·Var(ŵ) over %d replicates %.4g, predicted %.4g (ratio %.3f)\n",
                names[k], R, nv, sw.nvar_w, nv / sw.nvar_w);
        /* relative sd of a sample variance √(2/(R−1)); 4 of them */
        ASSERT_REL(nv, sw.nvar_w, 4 * sqrt(2.0 / (R - 1)));
        free(lam);
        ddpm_wplan_free(p);
    }
    ddpm_schedule_free(s);
    gmm2_free(g);
    ddpm_quad_free(q);
}

/* Claim C11 on its tiny grid: passes; an impossible threshold fails it. */
static void test_c11(void)
{
    pc_opts o;
    pc_opts_default(&o);
    o.quick = 2;
    o.seed = cu_seed(1);
    pc_result r;
    CU_ASSERT_EQUAL_FATAL(pc_c11_weighting(&o, &r), GSL_SUCCESS);
    CU_ASSERT_STRING_EQUAL(r.id, "C11");
    if (!r.pass) fprintf(stderr, "\n  C11 tiny: %s measured %g threshold %g\n", r.claim, r.measured, r.threshold);
    CU_ASSERT(r.pass);
    CU_ASSERT(r.threshold > 3 && r.threshold < 4);   /* Bonferroni over 7 comparisons at 1%: 3.19 */
    o.threshold = 1e-6;
    CU_ASSERT_EQUAL_FATAL(pc_c11_weighting(&o, &r), GSL_SUCCESS);
    CU_ASSERT(!r.pass);
    int found = 0;
    for (size_t i = 0; i < pc_nclaims; i++) found |= pc_claims[i].run == pc_c11_weighting;
    CU_ASSERT(found);
}

CU_TestInfo cu_weighting_tests[] = {
    { "c11", test_c11 },
    { "parse", test_parse },
    { "lambda_by_hand", test_lambda_by_hand },
    { "fast_vs_full", test_fast_vs_full },
    { "fast_deterministic", test_fast_deterministic },
    { "sandwich_and_optimal", test_sandwich_and_optimal },
    { "weighted_sample", test_weighted_sample },
    { "sandwich_replicates", test_sandwich_replicates },
    CU_TEST_INFO_NULL
};
