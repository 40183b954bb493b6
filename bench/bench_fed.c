/* bench/bench_fed.c — one FedAvg pre-training round (spire_fed_round) with 1
 * and 2 threads, the digits preset of `spirelab spire pretrain` (H = 128,
 * L = 2, D = 64; 4 of the 8 pre-training clients per round, 20 local AdamW
 * steps of batch 64 each; the clients of a round on concurrent workers,
 * OpenBLAS single-threaded inside).
 *
 * Checked first: CHECK_ROUNDS rounds with 1 and with 2 threads leave the
 * same backbone and embeddings byte for byte.  Then two runs, one per
 * thread count, take ROUNDS rounds each, interleaved round by round (so that
 * a change of machine load hits both), every round timed on its own.
 * Reported: the median round and its 10th percentile (the round undisturbed
 * by other processes) in ms, rounds/s = 1 / median, and the speed-up of 2
 * threads over 1 from the medians and from the 10th percentiles.  Unlike
 * bench/fed_threads.sh (whole `spirelab` processes) this leaves out the
 * process start and the data set-up.  CSV on stdout.
 * Argument: ROUNDS (default 60). */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include "common/spl.h"
#include "ddpm/schedule.h"
#include "spire/experiment.h"
#include "spire/fed.h"

enum { CHECK_ROUNDS = 4 };

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* q-quantile of x (n), sorted in place (nearest rank). */
static double quantile(double *x, size_t n, double q)
{
    qsort(x, n, sizeof *x, cmp_double);
    size_t k = (size_t)floor(q * (double)(n - 1) + 0.5);
    return x[k];
}

typedef struct {
    const spire_exp_opts *o;
    const spire_fed_data *d;
    const ddpm_schedule *s;
    const int *known;
} setup;

static spire_fed_run *run_new(const setup *u, int *st)
{
    return spire_fed_run_alloc(&u->o->cfg, spl_stream_seed(u->o->fed.seed, SPIRE_FED_STREAM_INIT, 1000000), st);
}

/* CHECK_ROUNDS rounds with th threads; the state into *out (caller frees). */
static int check_run(const setup *u, int th, spire_fed_run **out)
{
    int st;
    spire_fed_run *r = run_new(u, &st);
    if (!r) return st;
    omp_set_num_threads(th);
    for (size_t k = 0; k < CHECK_ROUNDS && st == GSL_SUCCESS; k++)
        st = spire_fed_round(r, u->s, u->d, u->known, &u->o->fed);
    if (st) { spire_fed_run_free(r); return st; }
    *out = r;
    return GSL_SUCCESS;
}

int main(int argc, char **argv)
{
    spl_init();
    size_t rounds = argc > 1 ? strtoul(argv[1], NULL, 10) : 60;
    if (rounds < 2) rounds = 2;
    spire_exp_opts o;
    char err[512];
    int st = spire_exp_opts_preset(&o, SPIRE_FED_DIGITS, 0);
    spire_fed_data *d = st ? NULL : spire_fed_data_make(&o.data, &st, err, sizeof err);
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_LINEAR, o.T, &st);
    int *is_new = d ? calloc(d->C, sizeof *is_new) : NULL, *known = d ? calloc(d->C, sizeof *known) : NULL;
    if (!d || !s || !is_new || !known || spire_fed_pick_new(d->C, o.n_new, o.fed.seed, is_new)) {
        fprintf(stderr, "bench_fed: set-up failed (%s)\n", d ? gsl_strerror(st) : err);
        return 1;
    }
    for (size_t c = 0; c < d->C; c++) known[c] = !is_new[c];
    setup u = { &o, d, s, known };
    const int nt0 = omp_get_max_threads();

    /* the check: the same state with 1 and 2 threads */
    spire_fed_run *c1 = NULL, *c2 = NULL;
    if ((st = check_run(&u, 1, &c1)) || (st = check_run(&u, 2, &c2))) {
        fprintf(stderr, "bench_fed: round failed: %s\n", gsl_strerror(st));
        return 1;
    }
    size_t P = c1->srv.n_params, E = d->C * c1->ee;
    int same = !memcmp(c1->srv.backbone, c2->srv.backbone, P * sizeof(float)) &&
               !memcmp(c1->embed, c2->embed, E * sizeof(float));
    spire_fed_run_free(c1);
    spire_fed_run_free(c2);
    if (!same) { fprintf(stderr, "bench_fed: CHECK FAILED: states differ between 1 and 2 threads\n"); return 1; }

    /* the timing: two runs, rounds interleaved */
    spire_fed_run *r[2] = { run_new(&u, &st), run_new(&u, &st) };
    double *t[2] = { malloc(rounds * sizeof(double)), malloc(rounds * sizeof(double)) };
    if (!r[0] || !r[1] || !t[0] || !t[1]) { fprintf(stderr, "bench_fed: out of memory\n"); return 1; }
    for (size_t k = 0; k < rounds && st == GSL_SUCCESS; k++)
        for (int i = 0; i < 2 && st == GSL_SUCCESS; i++) {
            omp_set_num_threads(i + 1);
            double t0 = omp_get_wtime();
            st = spire_fed_round(r[i], s, d, known, &o.fed);
            t[i][k] = omp_get_wtime() - t0;
        }
    omp_set_num_threads(nt0);
    if (st) { fprintf(stderr, "bench_fed: round failed: %s\n", gsl_strerror(st)); return 1; }
    double med[2], p10[2];
    for (int i = 0; i < 2; i++) {
        p10[i] = quantile(t[i], rounds, 0.1);
        med[i] = quantile(t[i], rounds, 0.5);
    }
    printf("preset,rounds,threads,median_ms,p10_ms,rounds_per_s,speedup_median,speedup_p10\n");
    for (int i = 0; i < 2; i++)
        printf("digits,%zu,%d,%.3f,%.3f,%.2f,%.3f,%.3f\n", rounds, i + 1, 1e3 * med[i], 1e3 * p10[i],
               1.0 / med[i], med[0] / med[i], p10[0] / p10[i]);
    for (int i = 0; i < 2; i++) { spire_fed_run_free(r[i]); free(t[i]); }
    free(is_new); free(known);
    ddpm_schedule_free(s);
    spire_fed_data_free(d);
    return 0;
}
