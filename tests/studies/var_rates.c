/* tests/studies/var_rates.c — the false-alarm rates of the variance tests of
 * C5 (sd part), C7 (variances) and C11 (efficiencies), old and new, by
 * simulation under each claim's null model (docs/claims.md, "The variance
 * tests after C13").  Not part of `make test`: `make build/study_var_rates`,
 * then `build/study_var_rates CLAIM MODE TRIALS POOL SEED` (CLAIM C5, C7 or
 * C11; MODE full or quick).
 *
 * A pool of POOL real replicates per group is drawn first, exactly as the
 * claim draws them (the claim's a, Δ, π, n, weighting; streams
 * (SEED, tag, index)); then TRIALS synthetic checks are simulated, each from
 * two nulls:
 *   normal     every group N(0, 1), predicted variance 1 (κ = 3);
 *   resampled  every group R values drawn with replacement from its pool,
 *              predicted = the pool's own variance (C5, about the mean) or
 *              mean square about the centre (C7 π, C11 θ*): the law of the
 *              claim's replicates, with their kurtosis and skewness, and the
 *              prediction exactly right;
 *   resampled vs quadrature  the same resamples against the claim's own
 *              prediction (the sandwich by quadrature): the rate of the
 *              claim as run, finite-n bias included (up to the pool's own
 *              sampling error, SE ≈ √((κ − 1)/POOL) on each ratio).
 * To each the old rule (the normal z with the sample's own SE) and the new
 * one (pc_rate_var_family: χ², kurtosis own or pooled over the groups,
 * at least 3) are
 * applied with the claim's threshold.  C7's EM part (a standard normal z)
 * is drawn too, so the rate printed is the claim's variance part plus EM.
 * For C5 the KS part (10 pairs, Bonferroni at 0.5%) is applied to the same
 * groups too, alone and with each sd rule ("whole claim"; resampled values
 * have ties, which make the KS test conservative).  It also prints each pool's mean square
 * against the quadrature prediction (the finite-n bias the null ignores).
 * CSV on stdout: claim,mode,null,rule,alarms,trials,rate,se. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_statistics_double.h>
#include "common/spl.h"
#include "ddpm/ddpm.h"
#include "ddpm/weighting.h"
#include "proofs_check/claims.h"
#include "proofs_check/rates.h"

#define MAXG 14

typedef struct {
    const char *claim;
    int quick;
    size_t m, R, n;          /* groups, replicates per check, draws per replicate */
    double centre[MAXG];     /* C7, C11: known centre; C5: NaN (sample mean) */
    double pred[MAXG];       /* the claim's predicted variance / mean square per group */
    double *pool;            /* m × P values */
    size_t P;
    double zthr;             /* the claim's z threshold for its variance family */
    int em;                  /* C7: an EM z shares the threshold */
    const char *names[MAXG];
} study;

static void die(const char *what, int st)
{
    fprintf(stderr, "study_var_rates: %s: %s\n", what, gsl_strerror(st));
    exit(1);
}

/* One fitted ŵ from a sample set, kept as p̂ (C5, C7) or ŵ (C11). */
static double fit_one(ddpm_sample *S, int want_w)
{
    ddpm_fit_result fr;
    int st = ddpm_fit_ddpm(S, DDPM_FIT_W0, DDPM_FIT_TOL, DDPM_FIT_MAXITER, &fr);
    if (st && st != GSL_EMAXITER) die("fit", st);
    return want_w ? fr.w_hat : fr.p_hat;
}

static void pool_c5_c7(study *s, uint64_t seed)
{
    const double sep = 2.0, pi = 0.3;
    const double A5[] = { 0.7 }, A7f[] = { 0.3, 0.5, 0.7, 0.9, 0.97 }, A7q[] = { 0.5, 0.9 };
    int c5 = !strcmp(s->claim, "C5");
    const double *A = c5 ? A5 : s->quick ? A7q : A7f;
    size_t nA = c5 ? 1 : s->quick ? 2 : 5;
    gmm2 *g = gmm2_alloc(1, NULL);
    ddpm_quad *q = ddpm_quad_alloc();
    if (!g || !q) die("alloc", GSL_ENOMEM);
    int st = gmm2_set(g, pi, sep, 0.0);
    if (st) die("gmm2_set", st);
    double *pl = malloc(nA * s->P * sizeof *pl);
    if (!pl) die("alloc", GSL_ENOMEM);
    for (size_t k = 0; k < nA; k++) {
        ddpm_sandwich sw;
        if ((st = ddpm_sandwich_level(q, g, A[k], ddpm_b_of_a(A[k]), &sw))) die("sandwich", st);
        #pragma omp parallel for schedule(dynamic, 4)
        for (size_t i = 0; i < s->P; i++) {
            int sd;
            ddpm_sample *S = ddpm_sample_draw(g, NULL, A[k], ddpm_b_of_a(A[k]), s->n, DDPM_MC_PROJECTED,
                                              spl_stream_seed(seed, 0x5A7 + k, i), &sd);
            if (!S) die("draw", sd);
            double ph = fit_one(S, 0);
            pl[k * s->P + i] = c5 ? sqrt((double)s->n) * (ph - pi) : ph;
            ddpm_sample_free(S);
        }
        if (c5) {   /* C5's five dimensions have one law: one pool serves every group */
            for (size_t j = 0; j < s->m; j++) { s->centre[j] = NAN; s->pred[j] = sw.nvar_p; s->names[j] = "d"; }
        } else {
            s->centre[k] = pi;
            s->pred[k] = sw.nvar_p / (double)s->n;
            s->names[k] = "a";
        }
    }
    s->pool = pl;
    gmm2_free(g);
    ddpm_quad_free(q);
}

static void pool_c11(study *s, uint64_t seed)
{
    const double sep = 2.0, pi = 0.3, th = spl_logit(pi);
    const size_t T = 1000;
    gmm2 *g = gmm2_alloc(1, NULL);
    ddpm_quad *q = ddpm_quad_alloc();
    double *lam = malloc(T * sizeof *lam), *pl = malloc(MAXG * s->P * sizeof *pl);
    if (!g || !q || !lam || !pl) die("alloc", GSL_ENOMEM);
    int st = gmm2_set(g, pi, sep, 0.0);
    if (st) die("gmm2_set", st);
    size_t gi = 0;
    for (int k = 0; k < 2; k++) {
        ddpm_schedule *sch = ddpm_schedule_alloc(k == 0 ? DDPM_LINEAR : DDPM_COSINE, T, NULL);
        if (!sch) die("schedule", GSL_ENOMEM);
        size_t best_t = 0;
        for (size_t i = 0; i <= DDPM_W_NAMED; i++, gi++) {
            ddpm_weighting wt = i < DDPM_W_NAMED ? ddpm_weighting_named[i] : (ddpm_weighting){ DDPM_W_LEVEL, 0, best_t };
            ddpm_wplan *p = ddpm_wplan_alloc(sch, &wt, DDPM_WSUM_FAST, 0, &st);
            if (!p) die("wplan", st);
            ddpm_efficiency ef;
            if ((st = ddpm_wplan_efficiency(q, p, g, i == 0, &ef))) die("efficiency", st);
            ddpm_wplan_free(p);
            if (i == 0) best_t = ef.best_level;
            if ((st = ddpm_weighting_table(q, &wt, g, sch, lam))) die("table", st);
            #pragma omp parallel for schedule(dynamic, 4)
            for (size_t r = 0; r < s->P; r++) {
                int sd;
                ddpm_sample *S = ddpm_weighting_sample_draw(&wt, lam, g, sch, s->n, DDPM_MC_PROJECTED,
                                                            spl_stream_seed(seed, 0x11A + gi, r), &sd);
                if (!S) die("draw", sd);
                pl[gi * s->P + r] = fit_one(S, 1);
                ddpm_sample_free(S);
            }
            s->centre[gi] = th;
            s->pred[gi] = 1.0 / (ef.info_w * (double)s->n * ef.eff.val);
            s->names[gi] = k == 0 ? "linear" : "cosine";
        }
        ddpm_schedule_free(sch);
    }
    s->pool = pl;
    free(lam);
    gmm2_free(g);
    ddpm_quad_free(q);
}

/* The old rules, as the claims applied them until 2026-11-29: the largest
 * |z| of the family (the claim's threshold is applied by the caller). */
static double old_rule(const study *s, const double *x)
{
    double worst = 0;
    for (size_t i = 0; i < s->m; i++) {
        const double *g = x + i * s->R;
        double z;
        if (!strcmp(s->claim, "C11")) {
            double m2 = 0;
            for (size_t j = 0; j < s->R; j++) m2 += (g[j] - s->centre[i]) * (g[j] - s->centre[i]);
            m2 /= (double)s->R;
            double kurt = gsl_stats_kurtosis(g, 1, s->R) + 3.0;
            z = (s->pred[i] / m2 - 1.0) / sqrt(fmax(kurt - 1.0, 2.0) / (double)s->R);
        } else {
            double c = isnan(s->centre[i]) ? gsl_stats_mean(g, 1, s->R) : s->centre[i], var, rel;
            if (pc_rate_var_about(g, s->R, c, &var, &rel)) return INFINITY;
            z = isnan(s->centre[i]) ? (sqrt(var / s->pred[i]) - 1) / (0.5 * rel)   /* C5: the sd */
                                    : (var / s->pred[i] - 1) / rel;                 /* C7 */
        }
        worst = fmax(worst, fabs(z));
    }
    return worst;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: %s C5|C7|C11 full|quick TRIALS POOL SEED\n", argv[0]);
        return 2;
    }
    gsl_set_error_handler_off();
    study s = { 0 };
    s.claim = argv[1];
    s.quick = !strcmp(argv[2], "quick");
    size_t trials = strtoul(argv[3], NULL, 10);
    s.P = strtoul(argv[4], NULL, 10);
    uint64_t seed = strtoull(argv[5], NULL, 10);
    if (!strcmp(s.claim, "C5")) {
        s.m = 5; s.R = s.quick ? 100 : 400; s.n = s.quick ? 300 : 1000;
        pc_rate_sidak_z(PC_ALPHA / 2, s.m, &s.zthr);
        pool_c5_c7(&s, seed);
    } else if (!strcmp(s.claim, "C7")) {
        s.m = s.quick ? 2 : 5; s.R = s.quick ? 150 : 500; s.n = s.quick ? 1000 : 4000; s.em = 1;
        pc_rate_sidak_z(PC_ALPHA, s.m + 1, &s.zthr);
        pool_c5_c7(&s, seed);
    } else if (!strcmp(s.claim, "C11")) {
        s.m = 14; s.R = s.quick ? 120 : 400; s.n = s.quick ? 4000 : 5000;
        s.zthr = gsl_cdf_ugaussian_Qinv(PC_ALPHA / (2.0 * (double)s.m));
        pool_c11(&s, seed);
    } else {
        fprintf(stderr, "study_var_rates: unknown claim %s\n", s.claim);
        return 2;
    }
    size_t npool = strcmp(s.claim, "C5") ? s.m : 1;
    /* the pools against the quadrature prediction: ratio and its SE √((κ − 1)/P) */
    for (size_t i = 0; i < npool; i++) {
        const double *pl = s.pool + i * s.P;
        double c = isnan(s.centre[i]) ? gsl_stats_mean(pl, 1, s.P) : s.centre[i], m2 = 0, m4 = 0;
        for (size_t j = 0; j < s.P; j++) { double q = (pl[j] - c) * (pl[j] - c); m2 += q; m4 += q * q; }
        m2 /= (double)s.P; m4 /= (double)s.P;
        fprintf(stderr, "# %s %s pool %zu (%s): mean square / predicted %.4f (SE %.4f), kurtosis %.3f, skewness %.3f\n",
                s.claim, argv[2], i, s.names[i], m2 / s.pred[i], sqrt((m4 / (m2 * m2) - 1) / (double)s.P),
                m4 / (m2 * m2), gsl_stats_skew(pl, 1, s.P));
    }
    double *x = malloc(s.m * s.R * sizeof *x), one[MAXG], vpool[MAXG];
    if (!x) die("alloc", GSL_ENOMEM);
    for (size_t i = 0; i < s.m; i++) {
        one[i] = 1.0;
        const double *pl = s.pool + (npool == 1 ? 0 : i) * s.P;
        double c = isnan(s.centre[i]) ? gsl_stats_mean(pl, 1, s.P) : s.centre[i], m2 = 0;
        for (size_t j = 0; j < s.P; j++) m2 += (pl[j] - c) * (pl[j] - c);
        vpool[i] = m2 / (double)s.P;
    }
    const char *rules[6] = { "old z", "chi2 own kurtosis", "chi2 pooled kurtosis", "KS part",
                             "whole claim old", "whole claim new (pooled)" };
    int c5 = !strcmp(s.claim, "C5");
    double ks_level = 0, *xs = malloc(2 * s.R * sizeof *xs);
    if (!xs) die("alloc", GSL_ENOMEM);
    pc_rate_bonferroni(PC_ALPHA / 2, s.m * (s.m - 1) / 2, &ks_level);
    const char *nulls[3] = { "normal", "resampled", "resampled vs quadrature" };
    printf("claim,mode,null,rule,alarms,trials,rate,se\n");
    for (int null = 0; null < 3; null++) {
        size_t alarms[6] = { 0, 0, 0, 0, 0, 0 };
        int hit[3];
        gsl_rng *r = spl_rng_alloc(seed, 0xFA15E + (null > 0), 0);   /* nulls 1 and 2: the same resamples */
        double zero[MAXG] = { 0 };
        for (size_t t = 0; t < trials; t++) {
            for (size_t i = 0; i < s.m; i++) {
                const double *pl = s.pool + (npool == 1 ? 0 : i) * s.P;
                for (size_t j = 0; j < s.R; j++)
                    x[i * s.R + j] = null == 0 ? gsl_ran_ugaussian(r) : pl[gsl_rng_uniform_int(r, s.P)];
            }
            double em = s.em ? fabs(gsl_ran_ugaussian(r)) : 0;
            const double *cen = null == 0 ? zero : s.centre, *v = null == 0 ? one : null == 1 ? vpool : s.pred;
            study s0 = s;
            memcpy(s0.centre, cen, sizeof s0.centre);
            if (null == 0 && !strcmp(s.claim, "C5"))
                for (size_t i = 0; i < s.m; i++) s0.centre[i] = NAN;
            memcpy(s0.pred, v, s.m * sizeof *v);
            hit[0] = fmax(old_rule(&s0, x), em) > s.zthr;
            alarms[0] += hit[0];
            for (int pool = 0; pool < 2; pool++) {
                double zmax;
                size_t iw;
                int st = pc_rate_var_family(x, s.m, s.R, strcmp(s.claim, "C5") ? s0.centre : NULL, s0.pred, pool,
                                            &zmax, &iw, NULL);
                if (st) die("family", st);
                hit[1 + pool] = fmax(zmax, em) > s.zthr;
                alarms[1 + pool] += hit[1 + pool];
            }
            if (c5) {
                double minp = 1;
                for (size_t i = 0; i < s.m; i++)
                    for (size_t j = i + 1; j < s.m; j++) {
                        double D, p;
                        memcpy(xs, x + i * s.R, s.R * sizeof *xs);
                        memcpy(xs + s.R, x + j * s.R, s.R * sizeof *xs);
                        if (pc_ks2(xs, s.R, xs + s.R, s.R, &D, &p)) die("ks", GSL_EFAILED);
                        minp = fmin(minp, p);
                    }
                int ks = minp <= ks_level;
                alarms[3] += ks;
                alarms[4] += ks || hit[0];
                alarms[5] += ks || hit[2];
            }
        }
        gsl_rng_free(r);
        for (int k = 0; k < (c5 ? 6 : 3); k++) {
            double rate = (double)alarms[k] / (double)trials;
            printf("%s,%s,%s,%s,%zu,%zu,%.5f,%.5f\n", s.claim, argv[2], nulls[null], rules[k],
                   alarms[k], trials, rate, sqrt(rate * (1 - rate) / (double)trials));
        }
    }
    free(x);
    free(xs);
    free(s.pool);
    return 0;
}
