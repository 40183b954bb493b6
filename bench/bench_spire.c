/* bench/bench_spire.c — speed of the score-network trainer and samplers.
 *
 * For the network of the issue (H = 128, L = 3, E = 32, batch 256) on a
 * K = 8 mixture in D = 2 and D = 64:
 *   - checks first that the float network agrees with the double build on
 *     one batch and that 200 training steps lower the loss;
 *   - training steps per second (median of 5 runs of 200 steps);
 *   - sampling throughput: samples per second for DDIM with S = 100 steps
 *     (median of 3 runs of 2048 samples);
 *   - peak resident memory of the process.
 * CSV on stdout.  Threads: OpenBLAS's (OPENBLAS_NUM_THREADS).  The PyTorch
 * comparison is bench/spire_vs_torch.sh. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <gsl/gsl_errno.h>
#include "common/spl.h"
#include "ddpm/schedule.h"
#include "spire/data.h"
#include "spire/model.h"
#include "spire/sample.h"
#include "spire/train.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* float vs double network on one batch: max relative output difference. */
static double precision_check(const spire_config *cfg, const spire_data *d)
{
    spire_model *mf = spire_model_alloc(cfg, NULL);
    spire_model_d *md = spire_model_alloc_d(cfg, NULL);
    spire_model_init(mf, 3);
    spire_model_init_d(md, 3);
    for (size_t i = 0; i < mf->n_params; i++) md->params[i] = mf->params[i];
    size_t B = 64, D = cfg->D;
    float *t = malloc(B * sizeof *t);
    double *xd = malloc(B * D * sizeof *xd), *td = malloc(B * sizeof *td);
    for (size_t r = 0; r < B; r++) { t[r] = (float)(1 + 15 * r); td[r] = t[r]; }
    for (size_t k = 0; k < B * D; k++) xd[k] = d->train[k];
    spire_model_forward(mf, d->train, t, NULL, NULL, B);
    spire_model_forward_d(md, xd, td, NULL, NULL, B);
    double worst = 0, scale = 0;
    for (size_t k = 0; k < B * D; k++) scale = fmax(scale, fabs(md->out[k]));
    for (size_t k = 0; k < B * D; k++) worst = fmax(worst, fabs(mf->out[k] - md->out[k]) / scale);
    free(t); free(xd); free(td);
    spire_model_free(mf);
    spire_model_free_d(md);
    return worst;
}

static int bench_dim(size_t D)
{
    char spec[128], err[256];
    snprintf(spec, sizeof spec, "gmm:K=8,D=%zu,means=%s,n=20000,holdout=0", D, D == 2 ? "circle" : "random");
    spire_data *d = spire_data_load(spec, NULL, err, sizeof err);
    if (!d) { fprintf(stderr, "bench_spire: %s\n", err); return 1; }
    spire_config cfg = { .D = D, .E = 32, .H = 128, .L = 3, .embed_at = SPIRE_EMBED_TIME, .C = 1 };
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_LINEAR, 1000, NULL);
    spire_train_opts o;
    spire_train_opts_default(&o);
    o.batch = 256; o.lr = 1e-3;
    enum { RUNS = 5, STEPS = 200, SRUNS = 3, NS = 2048 };

    /* checks before timing */
    double prec = precision_check(&cfg, d);
    if (!(prec < 1e-4)) { fprintf(stderr, "bench_spire: float/double disagree by %g\n", prec); return 1; }
    double sps[RUNS], first = 0, last = 0;
    for (int run = 0; run < RUNS; run++) {
        spire_model *m = spire_model_alloc(&cfg, NULL);
        spire_model_init(m, 1 + run);
        o.seed = 1 + run;
        spire_trainer *tr = spire_trainer_alloc(m, s, d->train, d->n_train, &o, NULL);
        double t0 = now();
        for (int k = 0; k < STEPS; k++) {
            if (spire_trainer_iterate(tr)) { fprintf(stderr, "bench_spire: training failed\n"); return 1; }
            if (run == 0 && k < 20) first += tr->loss / 20;
            if (run == 0 && k >= STEPS - 20) last += tr->loss / 20;
        }
        sps[run] = STEPS / (now() - t0);
        spire_trainer_free(tr);
        spire_model_free(m);
    }
    if (!(last < first)) { fprintf(stderr, "bench_spire: loss did not decrease (%g -> %g)\n", first, last); return 1; }
    double train_sps = median(sps, RUNS);

    spire_model *m = spire_model_alloc(&cfg, NULL);
    spire_model_init(m, 1);
    float *x = malloc(NS * D * sizeof *x);
    double smp[SRUNS];
    for (int run = 0; run < SRUNS; run++) {
        double t0 = now();
        if (spire_sample(m, s, SPIRE_SAMPLER_DDIM, 100, 0.0, 0.0, 0, NS, 1 + run, x)) return 1;
        smp[run] = NS / (now() - t0);
    }
    for (size_t k = 0; k < NS * D; k++)
        if (!isfinite(x[k])) { fprintf(stderr, "bench_spire: non-finite sample\n"); return 1; }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    const char *thr = getenv("OPENBLAS_NUM_THREADS");
    printf("%zu,%zu,%zu,%zu,%s,%.1f,%.3g,%.1f,%.3g,%.1f\n", D, cfg.H, cfg.L, o.batch, thr ? thr : "default",
           train_sps, last / first, median(smp, SRUNS), prec, ru.ru_maxrss / 1024.0);
    free(x);
    spire_model_free(m);
    ddpm_schedule_free(s);
    spire_data_free(d);
    return 0;
}

int main(void)
{
    spl_init();
    printf("D,H,L,batch,blas_threads,train_steps_per_s,loss_ratio_200_steps,ddim100_samples_per_s,float_vs_double,peak_rss_mib\n");
    if (bench_dim(2) || bench_dim(64)) return 1;
    return 0;
}
