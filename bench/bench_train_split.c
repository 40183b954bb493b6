/* bench/bench_train_split.c — the data-parallel trainer step (spire/train.h)
 * by slice size and thread count.
 *
 * The network of the issue (H = 128, L = 3, E = 32, batch 256) on a K = 8
 * mixture in D = 2 and D = 64.  Checks first, for every slice size: the
 * network after 20 steps is the same byte for byte with 1 and 2 threads,
 * and within float rounding of the unsliced trainer (one slice of 256 rows)
 * (max |Δθ| / max |θ| below 1e-4).  Then every step is timed on its own
 * (configurations interleaved, ROUNDS rounds of STEPS steps each, so that a
 * change of machine load hits all of them): the median step time and its
 * 10th percentile (the step undisturbed by other processes), in µs, and
 * steps/s = 1 / median.  The trainer runs every step on all the threads
 * (adapt = 0: it would otherwise fall back to one worker when the second
 * core does not pay, as `spirelab train` does).  CSV on stdout.
 * Argument: the rounds (default 5). */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include "common/spl.h"
#include "ddpm/schedule.h"
#include "spire/data.h"
#include "spire/model.h"
#include "spire/train.h"

enum { NSLICE = 4, NTHREAD = 2, STEPS = 100, CHECK_STEPS = 20 };
static const size_t slices[NSLICE] = { 256, 128, 64, 32 };

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct { spire_model *m; spire_trainer *tr; } run;

static int run_alloc(run *r, const spire_config *cfg, const ddpm_schedule *s, const spire_data *d,
                     size_t slice)
{
    spire_train_opts o;
    spire_train_opts_default(&o);
    o.batch = 256; o.lr = 1e-3; o.slice = slice;
    int st;
    r->m = spire_model_alloc(cfg, &st);
    r->tr = NULL;
    if (r->m && (st = spire_model_init(r->m, 1)) == GSL_SUCCESS)
        r->tr = spire_trainer_alloc(r->m, s, d->train, d->n_train, &o, &st);
    if (r->tr) r->tr->adapt = 0;   /* all the threads at every step: what they give */
    return r->tr ? GSL_SUCCESS : st;
}

static void run_free(run *r) { spire_trainer_free(r->tr); spire_model_free(r->m); }

/* CHECK_STEPS steps with th threads; the parameters in out (n_params). */
static int train_params(const spire_config *cfg, const ddpm_schedule *s, const spire_data *d,
                        size_t slice, int th, float *out)
{
    run r;
    int st = run_alloc(&r, cfg, s, d, slice);
    omp_set_num_threads(th);
    for (int k = 0; st == GSL_SUCCESS && k < CHECK_STEPS; k++) st = spire_trainer_iterate(r.tr);
    if (st == GSL_SUCCESS) memcpy(out, r.m->params, r.m->n_params * sizeof(float));
    run_free(&r);
    return st;
}

static int bench_dim(size_t D, int rounds)
{
    char spec[128], err[256];
    snprintf(spec, sizeof spec, "gmm:K=8,D=%zu,means=%s,n=20000,holdout=0", D, D == 2 ? "circle" : "random");
    spire_data *d = spire_data_load(spec, NULL, err, sizeof err);
    if (!d) { fprintf(stderr, "bench_train_split: %s\n", err); return 1; }
    spire_config cfg = { .D = D, .E = 32, .H = 128, .L = 3, .embed_at = SPIRE_EMBED_TIME, .C = 1 };
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_LINEAR, 1000, NULL);
    size_t np = spire_config_n_params(&cfg);
    float *ref = malloc(np * sizeof *ref), *p1 = malloc(np * sizeof *p1), *p2 = malloc(np * sizeof *p2);
    int rc = !s || !ref || !p1 || !p2;
    /* checks before timing */
    if (!rc) rc = train_params(&cfg, s, d, 256, 1, ref) != GSL_SUCCESS;
    double big = 0;
    for (size_t i = 0; !rc && i < np; i++) big = fmax(big, fabs(ref[i]));
    for (int j = 0; !rc && j < NSLICE; j++) {
        rc = train_params(&cfg, s, d, slices[j], 1, p1) || train_params(&cfg, s, d, slices[j], 2, p2);
        if (rc) break;
        double diff = 0;
        for (size_t i = 0; i < np; i++) diff = fmax(diff, fabs(p1[i] - ref[i]));
        if (memcmp(p1, p2, np * sizeof *p1) || !(diff <= 1e-4 * big)) {
            fprintf(stderr, "bench_train_split: D = %zu, slice %zu: 1 and 2 threads %s, sliced vs unsliced %.3g\n",
                    D, slices[j], memcmp(p1, p2, np * sizeof *p1) ? "differ" : "agree", diff / big);
            rc = 1;
        }
    }
    /* timing, interleaved */
    run r[NSLICE][NTHREAD];
    double *t = malloc((size_t)NSLICE * NTHREAD * (size_t)rounds * STEPS * sizeof *t);
    memset(r, 0, sizeof r);
    for (int j = 0; !rc && j < NSLICE; j++)
        for (int th = 0; !rc && th < NTHREAD; th++) rc = run_alloc(&r[j][th], &cfg, s, d, slices[j]) || !t;
    for (int round = 0; !rc && round < rounds; round++)
        for (int j = 0; !rc && j < NSLICE; j++)
            for (int th = 0; !rc && th < NTHREAD; th++) {
                omp_set_num_threads(th + 1);
                double *tt = t + (((size_t)j * NTHREAD + (size_t)th) * (size_t)rounds + (size_t)round) * STEPS;
                for (int k = 0; !rc && k < STEPS; k++) {
                    double t0 = omp_get_wtime();
                    rc = spire_trainer_iterate(r[j][th].tr) != GSL_SUCCESS;
                    tt[k] = omp_get_wtime() - t0;
                }
            }
    for (int j = 0; !rc && j < NSLICE; j++)
        for (int th = 0; th < NTHREAD; th++) {
            double *tt = t + ((size_t)j * NTHREAD + (size_t)th) * (size_t)rounds * STEPS;
            size_t n = (size_t)rounds * STEPS;
            qsort(tt, n, sizeof *tt, cmp_double);
            printf("%zu,%zu,%zu,%d,%.1f,%.1f,%.1f\n", D, slices[j], r[j][th].tr->slices, th + 1,
                   1e6 * tt[n / 2], 1e6 * tt[n / 10], 1.0 / tt[n / 2]);
        }
    for (int j = 0; j < NSLICE; j++)
        for (int th = 0; th < NTHREAD; th++) run_free(&r[j][th]);
    free(t); free(ref); free(p1); free(p2);
    ddpm_schedule_free(s);
    spire_data_free(d);
    return rc;
}

int main(int argc, char **argv)
{
    spl_init();
    int rounds = argc > 1 ? atoi(argv[1]) : 5;
    if (rounds < 1) rounds = 1;
    printf("D,slice_rows,slices,threads,step_us_median,step_us_p10,steps_per_s\n");
    if (bench_dim(2, rounds) || bench_dim(64, rounds)) return 1;
    return 0;
}
