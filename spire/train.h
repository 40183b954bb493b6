/* spire/train.h — DDPM training of the score network on one data set
 * (THEORY.md §3, §8), with AdamW (spire/nn.h).
 *
 * One step: draw B rows x0 from the data (uniform, with replacement), t
 * uniform in 1..T, ε ~ N(0, I_D); x_t = a_t x0 + b_t ε (ddpm/schedule.h);
 * loss = (1/(B·D)) Σ (ε̂(x_t, t, e_0) − ε)²; backward; AdamW on the backbone
 * and on the embeddings, learning rate from spire_train_lr.  Row r of step j
 * (1, 2, …) draws only from stream spl_rng_alloc(spl_stream_seed(seed,
 * SPIRE_STREAM_TRAIN, j), 0, r), so a run is reproducible from its seed and
 * the batch does not depend on how it is sliced.
 *
 * Data-parallel step (the trainer): the batch is cut into S fixed slices of
 * consecutive rows, S = min(⌈B / slice⌉, SPIRE_TRAIN_SLICES_MAX), slice s
 * holding rows ⌊sB/S⌋ .. ⌊(s+1)B/S⌋ − 1; every slice is drawn, run forward
 * and backward on its own model view (spire_model_view_alloc) by one of
 * omp_get_max_threads() OpenMP workers (OpenBLAS single-threaded during the
 * step), and the gradients are summed in slice order, slice s weighted by
 * B_s/B, before AdamW (done in fixed chunks of parameters, also on the
 * workers).  Neither the slicing nor the order of any sum depends on the
 * number of threads, so the trained network is the same byte for byte
 * whatever it is; it differs from an unsliced step (spire_train_step on the
 * same batch) only by float rounding (the order of the sums over rows).
 * Workspaces are allocated once, with the trainer.  Two workers pay only
 * when the second core is free, so omp_get_max_threads() is an upper bound:
 * the trainer starts on one worker, times its steps, tries all of them now
 * and then and runs with the faster (spire/train_internal.h: a lost try is
 * repeated 16 steps later, the gap doubling; on a stall it goes back to one
 * worker) — a choice of speed only, which the result does not depend on.
 * The workers of an all-worker step are bound to distinct CPUs of the
 * process for that step (their own CPU sets restored after it).
 *
 * GSL-style driver, the caller owns the loop (and so can log every step):
 *     spire_trainer *tr = spire_trainer_alloc(m, sched, data, n, &opts, NULL);
 *     for (k = 0; k < steps; k++) {
 *         if (spire_trainer_iterate(tr) != GSL_SUCCESS) break;  // tr->loss, tr->lr
 *     }
 *     spire_trainer_free(tr);
 */
#ifndef SPIRE_TRAIN_H
#define SPIRE_TRAIN_H

#include <stddef.h>
#include <stdint.h>
#include "ddpm/schedule.h"
#include "spire/model.h"

#define SPIRE_STREAM_TRAIN 0x5102u

/* Rows per slice of a trainer step (the default of spire_train_opts.slice)
 * and the largest number of slices (bigger batches get bigger slices). */
#define SPIRE_TRAIN_SLICE 128u
#define SPIRE_TRAIN_SLICES_MAX 16u

typedef struct {
    size_t batch;        /* B ≥ 1 */
    size_t steps;        /* planned number of steps (the cosine decay ends there) */
    double lr;           /* peak learning rate > 0 */
    size_t warmup;       /* linear warm-up over the first `warmup` steps (0: none) */
    int cosine;          /* 1: cosine decay from lr to lr_min after warm-up */
    double lr_min;       /* floor of the cosine decay */
    double beta1, beta2, eps, wd;   /* AdamW */
    uint64_t seed;
    size_t slice;        /* rows per slice of a trainer step (0: SPIRE_TRAIN_SLICE);
                            the result depends on it (float rounding), not on threads */
} spire_train_opts;

/* batch 256, steps 1000, lr 1e-3, no warm-up, no decay, lr_min 0,
 * β1 0.9, β2 0.999, eps 1e-8, wd 0, seed 1, slice SPIRE_TRAIN_SLICE. */
void spire_train_opts_default(spire_train_opts *o);   /* nothing for NULL */

/* Learning rate of step k = 1, 2, …:
 *   k ≤ warmup:        lr·k/warmup
 *   cosine, k > warmup: lr_min + (lr − lr_min)(1 + cos(π·min(1, (k−warmup)/(steps−warmup))))/2
 *   otherwise:          lr.
 * NaN for o NULL. */
double spire_train_lr(const spire_train_opts *o, size_t k);

/* AdamW state of a model: first and second moments of the backbone and of
 * the embeddings, and the number of steps taken (for the bias correction). */
typedef struct {
    size_t n_params, n_embed;
    size_t step;
    float *m, *v;       /* (n_params) */
    float *me, *ve;     /* (n_embed) */
} spire_adam;

spire_adam *spire_adam_alloc(size_t n_params, size_t n_embed);   /* zeroed; NULL: GSL_ENOMEM, its only failure */
void spire_adam_free(spire_adam *a);                             /* NULL is fine */

/* One optimisation step on a given batch: forward on (x_t, t, target ε) with
 * B rows (client 0), zero_grad, backward, AdamW with learning rate lr and the
 * other hyper-parameters of o; adam->step is incremented.  *loss (may be
 * NULL) gets the batch loss before the update.  If that loss is not finite
 * nothing is updated and GSL_EDOM is returned; if the update makes a
 * parameter non-finite, GSL_EOVRFLW (the model is then unusable: reload a
 * checkpoint).  GSL_EINVAL for a NULL pointer (loss may be NULL) or an
 * optimiser state of other sizes than m; GSL_EDOM for lr ≤ 0 or not finite,
 * or spire_model_forward's codes (B = 0). */
int spire_train_step(spire_model *m, spire_adam *adam, const float *xt, const float *t,
                     const float *eps, size_t B, double lr, const spire_train_opts *o,
                     double *loss);

typedef struct {
    spire_model *m;                 /* borrowed */
    const ddpm_schedule *s;         /* borrowed */
    const float *data;              /* (n, D), borrowed */
    size_t n;
    spire_train_opts o;
    spire_adam *adam;               /* owned */
    size_t step;                    /* steps taken */
    double loss, lr;                /* of the last step */
    /* the batch of the last step */
    float *xt, *t, *eps;
    size_t slices;                  /* S, fixed at allocation */
    int adapt;                      /* 1 (set by alloc): 1 or all workers, whichever is
                                       faster (see above); 0: always all (benchmarks) */
    int workers;                    /* workers of the last step */
    void *ws;                       /* per-slice workspaces (internal) */
} spire_trainer;

/* NULL on failure with *status (may be NULL): GSL_EINVAL for a NULL
 * pointer, GSL_EDOM for n = 0, batch = 0, lr ≤ 0, β ∉ [0, 1), eps ≤ 0,
 * wd < 0 or lr_min < 0; GSL_ENOMEM. */
spire_trainer *spire_trainer_alloc(spire_model *m, const ddpm_schedule *s, const float *data,
                                   size_t n, const spire_train_opts *o, int *status);
void spire_trainer_free(spire_trainer *tr);
/* Replace the trainer's optimiser state by a copy of a (resuming from a
 * checkpoint); GSL_EINVAL if the sizes differ or a pointer is NULL.
 * tr->step follows a->step. */
int spire_trainer_set_adam(spire_trainer *tr, const spire_adam *a);
/* One step (step number tr->step + 1), data-parallel as described above;
 * afterwards m->grads and m->gembed hold the step's gradient (before the
 * update) and tr->xt, tr->t, tr->eps its batch.  GSL_EDOM if the loss is not
 * finite (the model is left as it was before this step, tr->step unchanged);
 * GSL_EOVRFLW if the update overflowed a parameter (tr->step counts it);
 * GSL_EINVAL for tr NULL. */
int spire_trainer_iterate(spire_trainer *tr);

#endif
