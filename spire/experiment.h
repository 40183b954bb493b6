/* spire/experiment.h — the federated experiment of THEORY.md §8 (issue 11):
 * the protocol per seed, seeds run concurrently, paired statistics over
 * seeds, the sample-size curve, the robustness grid, the embedding probe
 * (E5), the verdicts E1–E5 and the tables.  docs/federated.md states every
 * choice (the lab's, not the paper's).
 *
 * The protocol of one seed s (everything random from (s, stream, index),
 * spire/fed.h; never from a thread id):
 *   1. clients: spire_fed_data_make (data seed s), new clients spire_fed_pick_new(s);
 *   2. pre-training on the other clients: SPIRE (FedAvg of the backbone, private
 *      embeddings) and plain FedAvg (no embeddings), R rounds each, both from the
 *      same initial backbone (stream (s, SPIRE_FED_STREAM_INIT, 1000000));
 *   3. KID of every pre-training client under each pre-trained model;
 *   4. every adaptation method of the table (spire_fed_method_get) on every new
 *      client, from the pre-trained model the method's row names (SPIRE's or
 *      FedAvg's), on the same training rows; KID against the same held-out rows
 *      (and, for digits with a classifier, feature-space KID and classified
 *      label-histogram TV; for gmm, the implied-weight TV);
 *   5. forgetting: methods whose row adapts the shared backbone (new clients in
 *      turn) — KID of the pre-training clients afterwards minus before;
 *   6. E5 probe: leave-one-out ridge probe (spire_fed_probe_loo) from the
 *      embeddings (pre-training clients: learned in pre-training; new clients:
 *      SPIRE-adapted) to the client's statistics: gmm2 logit π_c (one output);
 *      gmmK the K weights and digits the 10 label shares d->w (one probe per
 *      component; the measure is the Pearson correlation of all C·K predictions
 *      with the truths, pooled);
 *   7. robustness: every method with a pre-trained start and trainable
 *      parameters over the lr × steps grid, KID of the new clients per cell
 *      (a run whose loss turns non-finite, or whose samples leave
 *      |x| ≤ SPIRE_EXP_BLOWUP, is "diverged": NaN, counted);
 *   8. sample-size curve: for each size n, every new client's training rows are
 *      replaced by the first min(n, n_train) rows of a permutation (stream
 *      (s, SPIRE_EXP_STREAM_SIZES, c)), held-out rows unchanged, every method
 *      (a diverged run, as in 7: NaN, left out of the interval).
 * Seeds run concurrently on `threads` workers (each single-threaded BLAS,
 * inner parallel loops off); with one worker the inner loops (clients of a
 * round, clients' KID) use the threads.  Results are bit-identical whatever
 * `threads`.  With an MPI hook the seeds run one after the other (the hook's
 * collectives are per round).
 *
 * The wrong models (mutant = 1; docs/claims.md, "Wrong models of E1–E5"),
 * computed after everything the true model draws (its verdicts and tables
 * are bit-identical with mutant 0).  "SPIRE with another client's
 * embedding": a random order o of the seed's C clients (stream
 * (s, SPIRE_EXP_STREAM_MUTANT, 0)) and its C − 1 shifts σ_k(o[i]) =
 * o[(i + k) mod C], k = 1..C−1, each a derangement; over k every client
 * gets every other client's embedding once, and the wrong model's value of
 * a seed is the mean over k (the expectation over a uniformly random other
 * client).  Used by E2 and E5:
 *   E1 (not the shifts): SPIRE's KID on the pre-training clients, client c
 *       generated from the embedding of the pre-training client farthest
 *       from c (total variation of the true weights or label shares; ties:
 *       smallest index), same evaluation streams as the true KID, by the
 *       SPIRE of the same pre-training after the share mutant_early of its
 *       rounds (rounded up, at least 1): the final one on the mixtures; a
 *       quarter of the rounds on the digits, where the embedding alone
 *       hardly moves the KID (docs/claims.md).  Pre-training clients only:
 *       in this snapshot a new client's embedding is its untrained initial
 *       one, which generates near the pooled mixture (FedAvg's model), and
 *       the wrong model then escaped (docs/claims.md);
 *   E2: SPIRE's KID (and feature KID) on the new clients, the same way (the
 *       embeddings: pre-trained and SPIRE-adapted);
 *   E3: SPIRE's forgetting replaced by full fine-tuning's of the same seed
 *       (SPIRE's backbone drifting as a fine-tuned one does);
 *   E4: SPIRE's grid spread replaced by SPIRE_EXP_MUTANT_SPREAD × the largest
 *       finite baseline spread of the seed (verdict level);
 *   E5: the probe on the deranged embeddings (row c: σ_k(c)'s), r = tanh of
 *       the mean over k of atanh r.
 * Under each the claim is false: E3 and E4 by construction, E1, E2 and E5
 * by the margins measured in docs/claims.md.
 *
 * Statistics over seeds: spire_exp_ci_t (mean and t-interval; E2, E3, E5),
 * spire_exp_signed_rank_ci (E1), spire_exp_sign_ci (E4).  Tables at
 * 95%; the verdicts use 98% intervals (1% per side) so that a false
 * NOT REPRODUCED has probability ≤ 1% when the claim holds (Bonferroni over
 * the comparisons a claim makes; each claim's text states its null model).
 *
 * Library rules: nothing prints or exits; GSL codes (common/spl.h). */
#ifndef SPIRE_EXPERIMENT_H
#define SPIRE_EXPERIMENT_H

#include <stddef.h>
#include <stdint.h>
#include "spire/fed.h"

#define SPIRE_EXP_STREAM_SIZES 0x5401u
#define SPIRE_EXP_STREAM_MUTANT 0x5402u   /* the wrong models' client order: (s, this, 0) */
#define SPIRE_EXP_MUTANT_SPREAD 2.0        /* E4's wrong model: SPIRE's spread = this × the largest finite baseline spread */
#define SPIRE_EXP_SIZES_MAX 16
#define SPIRE_EXP_GRID_MAX 8
#define SPIRE_EXP_NCLAIMS 5
#define SPIRE_EXP_NSHOW 8     /* digits: samples shown per new client and method (first seed) */
#define SPIRE_EXP_BLOWUP 1e4  /* grid and sizes: generated |x| above this = a diverged run */

typedef struct {                 /* everything that determines an experiment */
    spire_fed_kind kind;
    spire_fed_data_opts data;
    spire_config cfg;
    spire_fed_opts fed;          /* pre-training (FedAvg / SPIRE); its seed is replaced per seed */
    spire_fed_adapt_opts adapt;
    spire_fed_eval_opts eval;
    size_t T, n_new, seeds;      /* seeds: seed0 .. seed0 + seeds − 1 */
    uint64_t seed0;
    int robust;                  /* run the learning-rate × steps grid */
    size_t nlr, nsteps;          /* the grid (≤ SPIRE_EXP_GRID_MAX each) */
    double grid_lr[SPIRE_EXP_GRID_MAX];
    size_t grid_steps[SPIRE_EXP_GRID_MAX];
    size_t nsizes;               /* sample-size curve: 0 none */
    size_t sizes[SPIRE_EXP_SIZES_MAX];   /* new client's n_train values, increasing */
    int classifier;              /* digits: train the digits classifier per seed (feature KID, label TV) */
    int threads;                 /* workers (seeds run concurrently); results independent of it */
    int mutant;                  /* 1: also the deliberately wrong models of E1–E5 (below); 0: none */
    double mutant_early;         /* E1's wrong model: the SPIRE backbone after this share of the pre-training
                                    rounds, in (0, 1] (preset: 1, the final backbone; digits 0.25) */
    const spire_fed_hook *hook;  /* MPI (cli/dist.c), or NULL */
    void (*progress)(void *ctx, const char *line);   /* one line, no newline; may be NULL */
    void *progress_ctx;
} spire_exp_opts;

/* The presets (docs/federated.md): kind gmm2 | gmmK | digits, quick 0 or 1.
 * Overwrites every field except threads, hook and progress (set to 1, NULL,
 * NULL when o was zeroed).  GSL_EINVAL for o NULL or an unknown kind. */
int spire_exp_opts_preset(spire_exp_opts *o, spire_fed_kind kind, int quick);

/* Check the options (the sizes together): GSL_EINVAL for o NULL, GSL_EDOM
 * (with err) for seeds = 0, n_new ∉ [1, C), T < 2, sizes not increasing or
 * 0, a grid value ≤ 0, grids larger than SPIRE_EXP_GRID_MAX. */
int spire_exp_opts_check(const spire_exp_opts *o, char *err, size_t errlen);

typedef struct { double mean, lo, hi; size_t n; } spire_exp_ci;   /* NaN bounds if n < 2 */

/* Mean and two-sided `level` t-interval of the finite values of x (n):
 *   mean ± t_{(1+level)/2, k−1} · sd/√k,  k = number of finite values
 * (gsl_cdf_tdist_Pinv; sd the sample standard deviation).  k = 0: all NaN;
 * k = 1: lo = hi = NaN.  GSL_EINVAL for NULL, GSL_EDOM for level ∉ (0, 1). */
int spire_exp_ci_t(const double *x, size_t n, double level, spire_exp_ci *ci);

/* The share k/n and its two-sided `level` Clopper-Pearson interval
 * [B⁻¹(a; k, n−k+1), B⁻¹(1−a; k+1, n−k)], a = (1−level)/2 (lo = 0 for k = 0,
 * hi = 1 for k = n; gsl_cdf_beta_Pinv): the sign test of E4.  n = 0: NaN.
 * GSL_EINVAL for NULL, GSL_EDOM for k > n or level ∉ (0, 1). */
int spire_exp_sign_ci(size_t k, size_t n, double level, spire_exp_ci *ci);

/* The Hodges-Lehmann estimate and the exact two-sided `level` Wilcoxon
 * signed-rank interval of the centre of the finite values of x (n; k of
 * them): with A the k(k+1)/2 Walsh averages (x_i + x_j)/2, i <= j, sorted,
 * mean = their median (the pseudo-median), [lo, hi] = [A_(c+1), A_(N-c)],
 * c the largest w with P(W+ <= w) <= (1 - level)/2 under the signed-rank
 * null law (computed exactly).  Covers the centre of a continuous
 * distribution symmetric about it with probability >= level, whatever its
 * tails (E1).  k too small for the level (k < 7 at 98%): lo = -inf,
 * hi = +inf; k = 0: all NaN.  GSL_EINVAL for NULL, GSL_EDOM for
 * level not in (0, 1), GSL_ENOMEM. */
int spire_exp_signed_rank_ci(const double *x, size_t n, double level, spire_exp_ci *ci);

typedef struct {
    const char *id;              /* "E1".."E5" */
    const char *claim;           /* the claim, its operationalisation, null model and false-alarm rate */
    double measured, lo, hi, threshold;
    const char *verdict;         /* "REPRODUCED", "NOT REPRODUCED", "UNDECIDED" */
    char detail[512];            /* what decided it, with numbers */
} spire_exp_claim;

/* The verdict of an interval against a threshold, for a claim "measured >
 * threshold" (higher = claim holds): REPRODUCED if lo > threshold, NOT
 * REPRODUCED if hi < threshold, UNDECIDED otherwise (also for NaN bounds). */
const char *spire_exp_verdict(double lo, double hi, double threshold);

/* The result.  Arrays indexed as documented; m runs over the method table
 * (spire_fed_method order, nm = SPIRE_FED_NMETHODS), s over seeds, c over
 * clients, k over grid/size entries.  NaN where a value does not apply. */
typedef struct spire_exp_result {
    spire_exp_opts opts;         /* a copy (hook and progress cleared) */
    size_t nm, seeds, C, K, D, n_new;
    const char *method[SPIRE_FED_NMETHODS];
    size_t trainable[SPIRE_FED_NMETHODS];
    /* per seed × method, [s * nm + m]: means over clients */
    double *kid_pre;             /* pre-training clients, the method's pre-trained model (NaN: local) */
    double *kid_new;             /* new clients after adaptation, raw KID */
    double *fkid_new;            /* feature-space KID (digits with classifier; NaN else) */
    double *tv_new;              /* implied-weight TV (gmm) or classified label-histogram TV (digits) */
    double *forget;              /* KID of pre clients after adapting − before (0 if the backbone is untouched) */
    /* over seeds (95%) */
    spire_exp_ci ci_kid_pre[SPIRE_FED_NMETHODS], ci_kid_new[SPIRE_FED_NMETHODS],
        ci_fkid_new[SPIRE_FED_NMETHODS], ci_tv_new[SPIRE_FED_NMETHODS],
        ci_forget[SPIRE_FED_NMETHODS];
    spire_exp_ci ci_diff[SPIRE_FED_NMETHODS];     /* paired kid_new(m) − kid_new(spire) */
    spire_exp_ci ci_fdiff[SPIRE_FED_NMETHODS];    /* paired fkid_new(m) − fkid_new(spire) */
    /* per client, [(s * nm + m) * C + c]: new clients adapted, pre clients with the
     * method's pre-trained model; and its TV (new clients only) */
    double *client_kid, *client_tv;
    int *is_new;                 /* [s * C + c] */
    double *w_true;              /* [(s * C + c) * K + k] the client's true weights / label shares */
    /* sample-size curve: [(s * nsizes + k) * nm + m] */
    size_t nsizes, sizes[SPIRE_EXP_SIZES_MAX];
    double *size_kid, *size_tv;
    spire_exp_ci *ci_size_kid, *ci_size_tv;      /* [k * nm + m] */
    /* robustness: rob_kid[((s * nm + m) * nlr + a) * nsteps + b] (NaN: not in the grid or diverged) */
    size_t nlr, nsteps;
    double grid_lr[SPIRE_EXP_GRID_MAX];
    size_t grid_steps[SPIRE_EXP_GRID_MAX];
    int rob_in[SPIRE_FED_NMETHODS];              /* method m is in the grid */
    double *rob_kid;
    spire_exp_ci *ci_rob;                        /* [(m * nlr + a) * nsteps + b] over seeds (finite runs) */
    size_t *rob_diverged;                        /* same index: seeds in which some new client diverged */
    /* E5 probe: q outputs per client (gmm2 1: logit π; gmmK K; digits 10) */
    size_t probe_q;
    double *probe_truth, *probe_pred;            /* [(s * C + c) * q + j] */
    double *probe_r;                             /* [s] pooled correlation of the seed */
    double *probe_r_lo;                          /* [s] its one-sided 99% Fisher-z lower bound, n = C·q */
    spire_exp_ci ci_probe_z;                     /* atanh r over seeds (95%) */
    /* gmm2 bridge, [s * 3 + k] at steps T/10, T/4, T/2 */
    double *bridge_rel, *bridge_rel05, *bridge_cos, *bridge_ratio;
    int *bridge_c, *bridge_c2;                   /* [s] the two clients */
    /* digits, first seed: gen [((m * n_new + j) * NSHOW + i) * D + p], real [(j * NSHOW + i) * D + p] */
    int *show_client;                            /* [j] the j-th new client of the first seed */
    float *show_gen, *show_real;
    /* classifier (digits): held-out accuracy per seed (NaN: none) */
    double *clf_acc;
    spire_exp_ci ci_clf_acc;
    /* pre-training log of the first seed (SPIRE): loss [r * C + c], NaN if not selected */
    size_t rounds;
    double *round_loss;
    spire_exp_claim claims[SPIRE_EXP_NCLAIMS];
    /* the wrong models (opts.mutant; NaN / unset otherwise), per seed [s]:
     * SPIRE's mean KID on the pre-training and on the new clients and the new
     * clients' feature KID with the embeddings deranged, the probe's pooled r
     * with the inputs deranged (each the mean over the C − 1 shifts); the
     * random order o of the shifts [s * C + i] = o[i] */
    double *mut_kid_pre, *mut_kid_new, *mut_fkid_new, *mut_probe_r;
    size_t *mut_order;
    spire_exp_claim mclaims[SPIRE_EXP_NCLAIMS];   /* the wrong models' verdicts (opts.mutant) */
    double wall;                 /* seconds */
} spire_exp_result;

/* Run the experiment.  *out on success (free with spire_exp_result_free).
 * GSL_EINVAL for a NULL pointer, spire_exp_opts_check's codes, the first
 * failing seed's code (in seed order).  err (may be NULL) says why. */
int spire_exp_run(const spire_exp_opts *o, spire_exp_result **out, char *err, size_t errlen);
void spire_exp_result_free(spire_exp_result *r);   /* NULL is fine */

/* The verdicts E1–E5 from the per-seed values of r (spire_exp_run calls it;
 * exposed so that a test can flip a verdict with its threshold); with
 * r->opts.mutant also the wrong models' verdicts into r->mclaims.
 * thresholds (5) may be NULL: the fixed defaults (docs/federated.md).
 * GSL_EINVAL for r NULL. */
int spire_exp_claims(spire_exp_result *r, const double *thresholds);

/* All tables as files into dir (atomic writes, common/spl_file.h):
 * clients.csv, table.csv, table.md, paired.csv, sizes.csv, robustness.csv,
 * probe.csv, claims.csv, rounds.csv, bridge.csv (gmm2), digits.csv (digits).
 * With r->opts.mutant: claims.csv holds the WRONG models' verdicts (each
 * claim text begins "WRONG MODEL"), claims_true.csv the true model's (the
 * bytes claims.csv has without mutant), and table.md shows both, labelled.
 * The directory must exist.  GSL_EINVAL for NULL; GSL_EFAILED on I/O
 * (err says which file). */
int spire_exp_write(const spire_exp_result *r, const char *dir, char *err, size_t errlen);

#endif
