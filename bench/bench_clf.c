/* bench/bench_clf.c — speed of the digits classifier (spire/clf.h).
 *
 * On a seeded 75/25 split of the 8×8 digits (1347 training rows), default
 * options (64 → 128 → 64 → 10, 2000 steps of batch 64):
 *   - checks first that the held-out accuracy is ≥ 0.95;
 *   - training time, median of 3 runs            [a few seconds at most, one core];
 *   - feature KID of two held-out halves (100 subsets of 100), median of 3.
 * The classifier trains on one BLAS thread whatever OPENBLAS_NUM_THREADS.
 * CSV on stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include "common/spl.h"
#include "spire/clf.h"
#include "spire/data.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double median3(double *x) { gsl_sort(x, 1, 3); return gsl_stats_median_from_sorted_data(x, 1, 3); }

int main(void)
{
    spl_init();
    float *x = NULL; int *lab = NULL; size_t n = 0; char err[256];
    if (spire_data_read_digits(SPIRE_DIGITS_PATH, &x, &lab, &n, err, sizeof err)) {
        fprintf(stderr, "bench_clf: %s\n", err);
        return 1;
    }
    size_t *perm = malloc(n * sizeof *perm);
    float *xs = malloc(n * 64 * sizeof *xs);
    int *ls = malloc(n * sizeof *ls);
    gsl_rng *r = spl_rng_alloc(11, 0xC1F, 0);
    if (!perm || !xs || !ls || !r) { fprintf(stderr, "bench_clf: out of memory\n"); return 1; }
    for (size_t i = 0; i < n; i++) perm[i] = i;
    gsl_ran_shuffle(r, perm, n, sizeof *perm);
    for (size_t i = 0; i < n; i++) {
        memcpy(xs + i * 64, x + perm[i] * 64, 64 * sizeof *xs);
        ls[i] = lab[perm[i]];
    }
    size_t ntr = n * 3 / 4, nte = n - ntr, h = nte / 2;
    spire_clf_opts o;
    spire_clf_opts_default(&o);
    o.seed = 11;
    double tt[3], tk[3], acc = 0, se = 0;
    spire_kid_result k = { 0 };
    size_t nparams = 0;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now();
        int st;
        spire_clf *c = spire_clf_train(xs, ls, ntr, 64, 10, &o, &st);
        tt[rep] = now() - t0;
        if (!c) { fprintf(stderr, "bench_clf: training failed (%d)\n", st); return 1; }
        spire_clf_accuracy(c, xs + ntr * 64, ls + ntr, nte, &acc, &se);
        if (!(acc >= 0.95)) { fprintf(stderr, "bench_clf: held-out accuracy %.4f < 0.95\n", acc); return 1; }
        t0 = now();
        spire_clf_kid(c, xs + ntr * 64, h, xs + (ntr + h) * 64, nte - h, 100, 100, 1, &k);
        tk[rep] = now() - t0;
        nparams = spire_clf_nparams(c);
        spire_clf_free(c);
    }
    printf("what,n_train,steps,batch,params,accuracy,accuracy_se,train_s,feature_kid_rr,feature_kid_std,kid_s\n");
    printf("clf_digits,%zu,%zu,%zu,%zu,%.4f,%.4f,%.3f,%.4g,%.4g,%.3f\n", ntr, o.steps, o.batch,
           nparams, acc, se, median3(tt), k.mean,
           k.std, median3(tk));
    free(x); free(lab); free(perm); free(xs); free(ls);
    gsl_rng_free(r);
    return 0;
}
