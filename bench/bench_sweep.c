/* bench/bench_sweep.c — speed of one sweep cell (proofs_check/sweep.h):
 * replicates per second at n = 1000, d = 100 (Δ = 2, π = 0.3, a = 0.7), each
 * replicate = one draw of n samples + the DDPM fit + the MLE fit on it, for
 * --mc explicit (draws in R^d, O(n d)) and projected (O(n)).
 *
 * First checks the result, over 400 replicates per mode: the sd of p̂ within
 * 5 standard errors of the sandwich prediction (ddpm) and of the Cramér–Rao
 * bound (mle), the mean within 5 standard errors of π, every fit converged;
 * exits 1 if not.  Then times the cell with 1 thread and with all threads
 * (median of 3 runs).  CSV on stdout. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <omp.h>
#include <gsl/gsl_errno.h>
#include "common/spl.h"
#include "proofs_check/sweep.h"

#define D     100
#define N     1000
#define CHECK_REPS 400
#define TIME_REPS_EXPLICIT 100
#define TIME_REPS_PROJECTED 400

static pc_sweep_grid *grid(ddpm_mc_mode mc, size_t reps)
{
    pc_sweep_spec sp;
    pc_sweep_spec_init(&sp);
    const double d = D, sep = 2, pi = 0.3, n = N, a = 0.7;
    pc_sweep_list_set(&sp.d, &d, 1);
    pc_sweep_list_set(&sp.sep, &sep, 1);
    pc_sweep_list_set(&sp.pi, &pi, 1);
    pc_sweep_list_set(&sp.n, &n, 1);
    pc_sweep_list_set(&sp.alpha, &a, 1);
    sp.mc = mc;
    sp.reps = reps;
    sp.seed = 2024;
    int st;
    pc_sweep_grid *G = pc_sweep_grid_alloc(&sp, &st, NULL, 0);
    pc_sweep_spec_free(&sp);
    return G;
}

static int within(const char *what, double obt, double exp, double se, double k)
{
    int ok = fabs(obt - exp) <= k * se;
    if (!ok) fprintf(stderr, "bench_sweep: check failed: %s = %.6g, expected %.6g +- %g x %.3g\n",
                     what, obt, exp, k, se);
    return ok;
}

static int check(ddpm_mc_mode mc)
{
    pc_sweep_grid *G = grid(mc, CHECK_REPS);
    pc_sweep_row rows[PC_SWEEP_NEST];
    size_t nr;
    if (!G || pc_sweep_cell_run(G, 0, NULL, NULL, rows, &nr) != GSL_SUCCESS || nr != 2) {
        fprintf(stderr, "bench_sweep: the check cell failed to run\n");
        pc_sweep_grid_free(G);
        return 0;
    }
    pc_sweep_grid_free(G);
    int ok = 1;
    for (size_t k = 0; k < nr; k++) {
        double pred = rows[k].estimator == PC_SWEEP_DDPM ? rows[k].sd_sandwich : rows[k].sd_crlb;
        ok &= within(rows[k].estimator == PC_SWEEP_DDPM ? "sd(p_hat) ddpm vs sandwich" : "sd(p_hat) mle vs CRLB",
                     rows[k].p_sd, pred, pred / sqrt(2.0 * (CHECK_REPS - 1)), 5);
        ok &= within("mean(p_hat)", rows[k].p_mean, 0.3, pred / sqrt((double)CHECK_REPS), 5);
        if (rows[k].nonconv) { fprintf(stderr, "bench_sweep: %zu fits did not converge\n", rows[k].nonconv); ok = 0; }
    }
    return ok;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median wall time of 3 runs of the cell. */
static double time_cell(ddpm_mc_mode mc, size_t reps)
{
    pc_sweep_grid *G = grid(mc, reps);
    if (!G) return NAN;
    double t[3];
    for (int i = 0; i < 3; i++) {
        pc_sweep_row rows[PC_SWEEP_NEST];
        size_t nr;
        double t0 = omp_get_wtime();
        if (pc_sweep_cell_run(G, 0, NULL, NULL, rows, &nr) != GSL_SUCCESS) { pc_sweep_grid_free(G); return NAN; }
        t[i] = omp_get_wtime() - t0;
    }
    pc_sweep_grid_free(G);
    qsort(t, 3, sizeof t[0], cmp_double);
    return t[1];
}

int main(void)
{
    spl_init();
    const ddpm_mc_mode modes[] = { DDPM_MC_EXPLICIT, DDPM_MC_PROJECTED };
    for (int m = 0; m < 2; m++)
        if (!check(modes[m])) return 1;
    int all = omp_get_num_procs();
    printf("mode,d,n,reps,threads,seconds,replicates_per_s,fits_per_s\n");
    for (int m = 0; m < 2; m++) {
        size_t reps = modes[m] == DDPM_MC_EXPLICIT ? TIME_REPS_EXPLICIT : TIME_REPS_PROJECTED;
        int th[2] = { 1, all };
        for (int k = 0; k < (all > 1 ? 2 : 1); k++) {
            omp_set_num_threads(th[k]);
            double s = time_cell(modes[m], reps);
            if (!isfinite(s)) { fprintf(stderr, "bench_sweep: timing run failed\n"); return 1; }
            /* a replicate: one draw and two fits (ddpm, mle) */
            printf("%s,%d,%d,%zu,%d,%.4f,%.1f,%.1f\n", ddpm_mc_name(modes[m]), D, N, reps, th[k], s,
                   (double)reps / s, 2.0 * (double)reps / s);
        }
    }
    return 0;
}
