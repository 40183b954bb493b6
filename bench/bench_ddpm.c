/* bench/bench_ddpm.c — speed of the core lab (issue targets in brackets):
 *   time-averaged analytic loss + gradient, T = 1000, level by level
 *   (ddpm_loss_avg_full; ddpm_loss_avg's fast sum: bench_weighting)   [≤ 1 ms per evaluation, 2 threads]
 *   explicit Monte Carlo, coordinates drawn per second          [≥ 1e8, 2 threads]
 *   projected Monte Carlo, samples per second                   [≥ 2e7, 2 threads]
 * Every result is checked before it is timed: the time average against the
 * mean of per-level losses and one level against GSL's adaptive quadrature;
 * the Monte Carlo estimates against the quadrature within 5 standard errors.
 * Times are medians over repeated runs. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include "common/spl.h"
#include "ddpm/ddpm.h"

static int fails = 0;
static void check(int ok, const char *what)
{
    if (!ok) { fprintf(stderr, "bench_ddpm: CHECK FAILED: %s\n", what); fails++; }
}

/* Reference E_v[ρ*(1−ρ*)] at one level by GSL's adaptive quadrature. */
typedef struct { double k, th, pi; } refp;
static double ref_r(double v, void *p)
{
    refp *r = p;
    double rs = spl_sigmoid(r->th + r->k * v), d1 = v - r->k / 2, d2 = v + r->k / 2;
    double dens = (r->pi * exp(-0.5 * d1 * d1) + (1 - r->pi) * exp(-0.5 * d2 * d2)) / sqrt(2 * M_PI);
    return dens * rs * (1 - rs);
}

static double median(double *x, size_t n) { gsl_sort(x, 1, n); return gsl_stats_median_from_sorted_data(x, 1, n); }

int main(void)
{
    spl_init();
    const double pi = 0.3, sep = 2.0, a = 0.7, b = sqrt(1 - a * a), w = 0.1;
    ddpm_quad *q = ddpm_quad_alloc();
    gmm2 *g = gmm2_alloc(1, NULL);
    gmm2_set(g, pi, sep, 0.0);
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_LINEAR, 1000, NULL);

    /* --- check the time average, then time it */
    ddpm_loss_result avg, lv;
    ddpm_loss_avg_full(q, g, s, w, &avg);
    double sum = 0;
    for (size_t i = 0; i < s->T; i++) { ddpm_loss_level(q, g, s->a[i], s->b[i], w, &lv); sum += lv.grad.val; }
    check(fabs(sum / s->T - avg.grad.val) <= 1e-13 * fabs(avg.grad.val), "time average = mean of levels");
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(1000);
    refp rp = { a * sep, spl_logit(pi), pi };
    gsl_function F = { ref_r, &rp };
    double ref, err;
    gsl_integration_qagi(&F, 0, 1e-13, 1000, ws, &ref, &err);
    ddpm_moments m;
    ddpm_moments_eval(q, a * sep, spl_logit(pi), w, &m);
    check(fabs(m.r.val - ref) <= 1e-11 * ref, "E[rho(1-rho)] against qagi");
    gsl_integration_workspace_free(ws);

    printf("%-44s %12s %14s %10s\n", "benchmark", "threads", "result", "target");
    for (int th = 1; th <= 2; th++) {
        omp_set_num_threads(th);
        double t[15];
        for (int r = 0; r < 15; r++) {
            double t0 = omp_get_wtime();
            for (int k = 0; k < 20; k++) ddpm_loss_avg_full(q, g, s, w + 1e-3 * k, &avg);
            t[r] = (omp_get_wtime() - t0) / 20;
        }
        printf("%-44s %12d %11.3f ms %10s\n", "time-avg loss+grad, T=1000, level by level", th, 1e3 * median(t, 15),
               th == 2 ? "<= 1 ms" : "");
    }

    /* --- Monte Carlo: check against the quadrature, then time */
    ddpm_loss_level(q, g, a, b, w, &lv);
    gmm2 *gd = gmm2_alloc(1000, NULL);
    gmm2_set(gd, pi, sep, 0.0);
    ddpm_loss_result an, mc;
    ddpm_loss_level(q, gd, a, b, w, &an);
    /* the generator alone, one core: GSL ziggurat normals per second (taus2,
     * as the Monte Carlo uses); explicit MC draws two per coordinate (the
     * data noise and ε), so its bound is gen/2 coordinates/s per core */
    double gen;
    {
        enum { NG = 20000000 };
        gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
        double t[5], sink = 0;
        for (int rr = 0; rr < 5; rr++) {
            gsl_rng_set(r, 1 + (unsigned long)rr);
            double t0 = omp_get_wtime();
            for (int k = 0; k < NG; k++) sink += gsl_ran_gaussian_ziggurat(r, 1.0);
            t[rr] = omp_get_wtime() - t0;
        }
        gen = NG / median(t, 5);
        check(fabs(sink / (5.0 * NG)) < 1e-3, "ziggurat normals have mean 0");
        gsl_rng_free(r);
        printf("%-44s %12d %14.3g %10s\n", "GSL ziggurat normals/s (generator alone)", 1, gen, "");
    }
    for (int mode = 0; mode < 2; mode++) {
        size_t n = mode == 0 ? 100000 : 20000000;
        ddpm_mc_opts o = { mode == 0 ? DDPM_MC_EXPLICIT : DDPM_MC_PROJECTED, n, 7, 0 };
        omp_set_num_threads(2);
        ddpm_mc_level(gd, a, b, w, &o, &mc);
        check(fabs(mc.grad.val - an.grad.val) <= 5 * mc.grad.err, "MC gradient within 5 SE of quadrature");
        check(fabs(mc.loss.val - an.loss.val) <= 5 * mc.loss.err + 1e-12, "MC loss within 5 SE of quadrature");
        double rate1 = 0;
        for (int th = 1; th <= 2; th++) {
            omp_set_num_threads(th);
            double t[5];
            for (int r = 0; r < 5; r++) {
                o.seed = 100 + r;
                double t0 = omp_get_wtime();
                ddpm_mc_level(gd, a, b, w, &o, &mc);
                t[r] = omp_get_wtime() - t0;
            }
            double rate = (mode == 0 ? (double)n * gd->d : (double)n) / median(t, 5);
            printf("%-44s %12d %14.3g %10s\n",
                   mode == 0 ? "explicit MC, coordinates/s (d=1000)" : "projected MC, samples/s", th, rate,
                   th == 2 ? (mode == 0 ? ">= 1e8" : ">= 2e7") : "");
            if (th == 1) rate1 = rate;
            if (th == 2)
                printf("%-44s %12d %13.2fx %10s\n", "  speed-up over 1 thread", th, rate / rate1, ">= 1.8x");
            if (mode == 0)
                printf("%-44s %12d %13.0f%% %10s\n", "  of th x the generator bound (gen/2 per core)", th,
                       100 * rate / (th * gen / 2), th == 2 ? ">= 85%" : "");
        }
    }
    gmm2_free(gd);
    gmm2_free(g);
    ddpm_schedule_free(s);
    ddpm_quad_free(q);
    if (fails) { fprintf(stderr, "bench_ddpm: %d checks failed: timings not reported as valid\n", fails); return 1; }
    return 0;
}
