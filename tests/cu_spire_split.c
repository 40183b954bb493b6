/* tests/cu_spire_split.c — the data-parallel trainer step (spire/train.h):
 * the batch cut into fixed slices, each run forward and backward on its own
 * model view, the gradients summed in slice order.
 *  - numerical: the summed gradient and the loss of a sliced step against
 *    the double-precision network on the same batch (an independent,
 *    unsliced computation), for equal slices (weights 1/4, exact) and
 *    unequal ones (33, 33, 34 rows);
 *  - property tests (the program against itself): the same bytes with 1, 2
 *    and 3 workers (and with the trainer choosing them by timing); one slice is exactly spire_train_step on the trainer's
 *    batch; the batch does not depend on the slicing; a step refused for a
 *    non-finite loss leaves nothing behind (the next step equals a fresh
 *    trainer's first);
 *  - the choice of workers (spire/train_internal.h) on given step times,
 *    against the schedule its rules give by hand: a stalled first trial is
 *    retried 16 steps later and won; a stall on all workers goes back to
 *    one; trials that keep losing are spaced 16, 32, 64, ... steps. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include "common/spl.h"
#include "ddpm/schedule.h"
#include "spire/model.h"
#include "spire/train.h"
#include "spire/train_internal.h"
#include "tests/cu_util.h"

enum { N = 300, D = 3, B = 100 };

static const spire_config CFG = { .D = D, .E = 8, .H = 16, .L = 2, .embed_at = SPIRE_EMBED_TIME, .C = 1 };

/* N points of a 3-D Gaussian blob, from a fixed stream. */
static void make_data(float *x, uint64_t seed)
{
    gsl_rng *r = spl_rng_alloc(seed, 0, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    for (size_t i = 0; i < N * D; i++) x[i] = (float)(0.5 * (double)(i % D) + 0.3 * gsl_ran_gaussian(r, 1.0));
    gsl_rng_free(r);
}

typedef struct { spire_model *m; spire_trainer *tr; } run;

static void run_open(run *r, const ddpm_schedule *s, const float *x, size_t slice, uint64_t seed)
{
    spire_train_opts o;
    spire_train_opts_default(&o);
    o.batch = B; o.lr = 3e-3; o.slice = slice; o.seed = seed;
    r->m = spire_model_alloc(&CFG, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r->m);
    CU_ASSERT_EQUAL_FATAL(spire_model_init(r->m, 4), GSL_SUCCESS);
    /* a non-zero embedding, so that its gradient path is exercised */
    for (size_t i = 0; i < r->m->n_embed; i++) r->m->embed[i] = (float)(0.05 * sin(1.0 + (double)i));
    r->tr = spire_trainer_alloc(r->m, s, x, N, &o, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r->tr);
}

static void run_close(run *r) { spire_trainer_free(r->tr); spire_model_free(r->m); }

/* The gradient of a sliced step against the double network on its batch. */
static void check_sliced_gradient(size_t slice, size_t want_slices)
{
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_LINEAR, 100, NULL);
    float *x = malloc(N * D * sizeof *x);
    CU_ASSERT_FATAL(s && x);
    make_data(x, cu_seed(21));
    run r;
    run_open(&r, s, x, slice, 5);
    CU_ASSERT_EQUAL(r.tr->slices, want_slices);
    for (int k = 0; k < 3; k++) CU_ASSERT_EQUAL_FATAL(spire_trainer_iterate(r.tr), GSL_SUCCESS);
    /* the parameters before the next step, in double */
    spire_model_d *md = spire_model_alloc_d(&CFG, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(md);
    for (size_t i = 0; i < md->n_params; i++) md->params[i] = r.m->params[i];
    for (size_t i = 0; i < md->n_embed; i++) md->embed[i] = r.m->embed[i];
    CU_ASSERT_EQUAL_FATAL(spire_trainer_iterate(r.tr), GSL_SUCCESS);
    double *xd = malloc(B * D * sizeof *xd), *td = malloc(B * sizeof *td), *ed = malloc(B * D * sizeof *ed);
    CU_ASSERT_FATAL(xd && td && ed);
    for (size_t i = 0; i < B * D; i++) { xd[i] = r.tr->xt[i]; ed[i] = r.tr->eps[i]; }
    for (size_t i = 0; i < B; i++) td[i] = r.tr->t[i];
    CU_ASSERT_EQUAL(spire_model_forward_d(md, xd, td, NULL, ed, B), GSL_SUCCESS);
    spire_model_zero_grad_d(md);
    CU_ASSERT_EQUAL(spire_model_backward_d(md), GSL_SUCCESS);
    ASSERT_REL(r.tr->loss, md->loss, 1e-5);
    double gmax = 0, emax = 0;
    for (size_t i = 0; i < md->n_params; i++) gmax = fmax(gmax, fabs(md->grads[i]));
    for (size_t i = 0; i < md->n_embed; i++) emax = fmax(emax, fabs(md->gembed[i]));
    CU_ASSERT(gmax > 0 && emax > 0);
    int bad = 0;
    for (size_t i = 0; i < md->n_params; i++)
        bad += !cu_check_mixed(r.m->grads[i], md->grads[i], 1e-5 * gmax, 1e-3, "grad", __FILE__, __LINE__);
    for (size_t i = 0; i < md->n_embed; i++)
        bad += !cu_check_mixed(r.m->gembed[i], md->gembed[i], 1e-5 * emax, 1e-3, "gembed", __FILE__, __LINE__);
    CU_ASSERT_EQUAL(bad, 0);
    free(xd); free(td); free(ed);
    spire_model_free_d(md);
    run_close(&r);
    free(x);
    ddpm_schedule_free(s);
}

static void test_gradient_equal_slices(void) { check_sliced_gradient(25, 4); }
static void test_gradient_unequal_slices(void) { check_sliced_gradient(40, 3); }

/* Property: the network, embeddings and optimiser state after 40 steps are
 * the same bytes with 1, 2 and 3 workers at every step, and with 2 threads
 * left to the trainer's timing (which switches between 1 and 2 workers). */
static void test_threads_identical(void)
{
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_LINEAR, 100, NULL);
    float *x = malloc(N * D * sizeof *x);
    CU_ASSERT_FATAL(s && x);
    make_data(x, cu_seed(22));
    int saved = omp_get_max_threads();
    enum { NR = 4, STEPS = 40 };
    run r[NR];
    for (int j = 0; j < NR; j++) {
        omp_set_num_threads(j < 3 ? j + 1 : 2);
        run_open(&r[j], s, x, 25, 9);
        r[j].tr->adapt = j == 3;   /* else all j + 1 workers at every step */
        for (int k = 0; k < STEPS; k++) {
            CU_ASSERT_EQUAL_FATAL(spire_trainer_iterate(r[j].tr), GSL_SUCCESS);
            if (j < 3) CU_ASSERT_EQUAL(r[j].tr->workers, j + 1);
        }
    }
    omp_set_num_threads(saved);
    size_t np = r[0].m->n_params, ne = r[0].m->n_embed;
    for (int j = 1; j < NR; j++) {
        CU_ASSERT_EQUAL(memcmp(r[0].m->params, r[j].m->params, np * sizeof(float)), 0);
        CU_ASSERT_EQUAL(memcmp(r[0].m->embed, r[j].m->embed, ne * sizeof(float)), 0);
        CU_ASSERT_EQUAL(memcmp(r[0].tr->adam->v, r[j].tr->adam->v, np * sizeof(float)), 0);
        CU_ASSERT_EQUAL(r[0].tr->loss, r[j].tr->loss);
    }
    for (int j = 0; j < NR; j++) run_close(&r[j]);
    free(x);
    ddpm_schedule_free(s);
}

/* Property: with one slice (slice ≥ B) a trainer step is spire_train_step
 * on the trainer's batch, byte for byte, step after step. */
static void test_one_slice_is_train_step(void)
{
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_LINEAR, 100, NULL);
    float *x = malloc(N * D * sizeof *x);
    CU_ASSERT_FATAL(s && x);
    make_data(x, cu_seed(23));
    run r;
    run_open(&r, s, x, 1000, 3);
    CU_ASSERT_EQUAL(r.tr->slices, 1);
    spire_model *m2 = spire_model_alloc(&CFG, NULL);
    spire_adam *a2 = spire_adam_alloc(r.m->n_params, r.m->n_embed);
    CU_ASSERT_FATAL(m2 && a2);
    memcpy(m2->params, r.m->params, r.m->n_params * sizeof(float));
    memcpy(m2->embed, r.m->embed, r.m->n_embed * sizeof(float));
    for (int k = 0; k < 4; k++) {
        CU_ASSERT_EQUAL_FATAL(spire_trainer_iterate(r.tr), GSL_SUCCESS);
        double l2;
        CU_ASSERT_EQUAL_FATAL(spire_train_step(m2, a2, r.tr->xt, r.tr->t, r.tr->eps, B, r.tr->lr, &r.tr->o, &l2),
                              GSL_SUCCESS);
        CU_ASSERT_EQUAL(l2, r.tr->loss);
        CU_ASSERT_EQUAL(memcmp(m2->params, r.m->params, r.m->n_params * sizeof(float)), 0);
        CU_ASSERT_EQUAL(memcmp(m2->embed, r.m->embed, r.m->n_embed * sizeof(float)), 0);
        CU_ASSERT_EQUAL(memcmp(m2->grads, r.m->grads, r.m->n_params * sizeof(float)), 0);
    }
    spire_adam_free(a2);
    spire_model_free(m2);
    run_close(&r);
    free(x);
    ddpm_schedule_free(s);
}

/* Property: the batch of a step depends on the seed and the step only (each
 * row its own stream), not on the slicing. */
static void test_batch_independent_of_slicing(void)
{
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_LINEAR, 100, NULL);
    float *x = malloc(N * D * sizeof *x);
    CU_ASSERT_FATAL(s && x);
    make_data(x, cu_seed(24));
    run r1, r4;
    run_open(&r1, s, x, 1000, 11);
    run_open(&r4, s, x, 25, 11);
    CU_ASSERT_EQUAL_FATAL(spire_trainer_iterate(r1.tr), GSL_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(spire_trainer_iterate(r4.tr), GSL_SUCCESS);
    CU_ASSERT_EQUAL(memcmp(r1.tr->xt, r4.tr->xt, B * D * sizeof(float)), 0);
    CU_ASSERT_EQUAL(memcmp(r1.tr->eps, r4.tr->eps, B * D * sizeof(float)), 0);
    CU_ASSERT_EQUAL(memcmp(r1.tr->t, r4.tr->t, B * sizeof(float)), 0);
    /* and the two steps agree to float rounding (sums over rows reordered) */
    ASSERT_REL(r4.tr->loss, r1.tr->loss, 1e-6);
    run_close(&r1);
    run_close(&r4);
    free(x);
    ddpm_schedule_free(s);
}

/* A non-finite loss: GSL_EDOM, nothing updated; once the data are finite
 * again the step (still step 1) equals a fresh trainer's, byte for byte —
 * the refused step left no gradient behind in the slices. */
static void test_nonfinite_leaves_nothing(void)
{
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_LINEAR, 100, NULL);
    float *x = malloc(N * D * sizeof *x), *good = malloc(N * D * sizeof *good);
    CU_ASSERT_FATAL(s && x && good);
    make_data(good, cu_seed(25));
    memcpy(x, good, N * D * sizeof *x);
    for (size_t i = 0; i < N * D; i += 7) x[i] = NAN;
    run r, fresh;
    run_open(&r, s, x, 25, 13);
    size_t np = r.m->n_params;
    float *before = malloc(np * sizeof *before);
    CU_ASSERT_PTR_NOT_NULL_FATAL(before);
    memcpy(before, r.m->params, np * sizeof *before);
    CU_ASSERT_EQUAL(spire_trainer_iterate(r.tr), GSL_EDOM);
    CU_ASSERT_EQUAL(r.tr->step, 0);
    CU_ASSERT_EQUAL(memcmp(before, r.m->params, np * sizeof *before), 0);
    memcpy(x, good, N * D * sizeof *x);
    CU_ASSERT_EQUAL_FATAL(spire_trainer_iterate(r.tr), GSL_SUCCESS);
    run_open(&fresh, s, good, 25, 13);
    CU_ASSERT_EQUAL_FATAL(spire_trainer_iterate(fresh.tr), GSL_SUCCESS);
    CU_ASSERT_EQUAL(memcmp(fresh.m->params, r.m->params, np * sizeof(float)), 0);
    CU_ASSERT_EQUAL(memcmp(fresh.m->grads, r.m->grads, np * sizeof(float)), 0);
    free(before);
    run_close(&r);
    run_close(&fresh);
    free(x); free(good);
    ddpm_schedule_free(s);
}

/* Drive the choice over steps k0..k1 with step time t_one (one worker) or
 * t_all (all) ms; *ntrial counts switches to all workers; the last choice. */
static int pick_run(spire_pick *p, size_t k0, size_t k1, double t_one, double t_all, int *ntrial)
{
    int c = 0;
    for (size_t k = k0; k <= k1; k++) {
        int prev = p->all;
        c = spire_pick_workers(p, k);
        if (c && !prev && ntrial) ++*ntrial;
        spire_pick_book(p, k, 1e-3 * (c ? t_all : t_one));
    }
    return c;
}

static void test_pick_schedule(void)
{
    spire_pick p;
    spire_pick_init(&p);
    /* steps 1-9 on one worker (step 1 not booked: 8 booked, est 1 ms) */
    CU_ASSERT_EQUAL(pick_run(&p, 1, 9, 1.0, 0.5, NULL), 0);
    CU_ASSERT_DOUBLE_EQUAL(p.est[0], 1e-3, 1e-12);
    /* step 10: trial of all (not booked); step 11 stalls 16 ms > 8 × 1 ms: lost */
    CU_ASSERT_EQUAL(spire_pick_workers(&p, 10), 1);
    spire_pick_book(&p, 10, 16e-3);
    CU_ASSERT_EQUAL(spire_pick_workers(&p, 11), 1);
    spire_pick_book(&p, 11, 16e-3);
    CU_ASSERT_EQUAL(p.all, 0);
    /* one worker until step 26; the retry at 27 (11 + 16), booked 28-35 at 0.5 ms: won */
    CU_ASSERT_EQUAL(pick_run(&p, 12, 26, 1.0, 0.5, NULL), 0);
    CU_ASSERT_EQUAL(pick_run(&p, 27, 34, 1.0, 0.5, NULL), 1);
    CU_ASSERT_EQUAL(p.trial, 1);
    CU_ASSERT_EQUAL(pick_run(&p, 35, 35, 1.0, 0.5, NULL), 1);
    CU_ASSERT_EQUAL(p.trial, 0);
    CU_ASSERT_DOUBLE_EQUAL(p.est[1], 0.5e-3, 1e-12);
    /* all workers until the one-worker trial at 35 + 256 */
    CU_ASSERT_EQUAL(pick_run(&p, 36, 290, 1.0, 0.5, NULL), 1);
    CU_ASSERT_EQUAL(spire_pick_workers(&p, 291), 0);
    spire_pick_book(&p, 291, 1e-3);
    /* the one-worker trial is cut short once its booked steps pass 8 × 0.5 ms (step 296: 5 ms) */
    CU_ASSERT_EQUAL(pick_run(&p, 292, 295, 1.0, 0.5, NULL), 0);
    pick_run(&p, 296, 296, 1.0, 0.5, NULL);
    CU_ASSERT_EQUAL(p.all, 1);
    CU_ASSERT_EQUAL(p.next, 296 + 256);   /* the gap doubles after this one */
    CU_ASSERT_EQUAL(p.gap[1], 512);
    /* a stall on all workers: once 8 steps are booked again, 3 ms steps lift
     * their mean above 1 ms at the second (6 × 0.5 + 2 × 3 = 9 ms > 8 ms) */
    CU_ASSERT_EQUAL(pick_run(&p, 297, 304, 1.0, 0.5, NULL), 1);
    pick_run(&p, 305, 305, 1.0, 3.0, NULL);
    CU_ASSERT_EQUAL(p.all, 1);
    pick_run(&p, 306, 306, 1.0, 3.0, NULL);
    CU_ASSERT_EQUAL(p.all, 0);
    CU_ASSERT_EQUAL(p.next, 306 + 16);
}

/* All workers never pay (20 ms against 1 ms): the trials, each lost at its
 * first booked step, are spaced 16, 32, 64, ... steps (at most 8192). */
static void test_pick_backoff(void)
{
    spire_pick p;
    spire_pick_init(&p);
    int ntrial = 0;
    CU_ASSERT_EQUAL(pick_run(&p, 1, 20000, 1.0, 20.0, &ntrial), 0);
    /* trial j starts at t_j, is lost at t_j + 1, the next starts gap_j later
     * (16, 32, ..., 8192): 10, 27, 60, 125, 254, 511, 1024, 2049, 4098, 8195, 16388 */
    CU_ASSERT_EQUAL(ntrial, 11);
    CU_ASSERT_EQUAL(p.gap[0], SPIRE_PICK_GAP_MAX);
}

CU_TestInfo cu_spire_split_tests[] = {
    { "pick_schedule", test_pick_schedule },
    { "pick_backoff", test_pick_backoff },
    { "gradient_equal_slices", test_gradient_equal_slices },
    { "gradient_unequal_slices", test_gradient_unequal_slices },
    { "threads_identical", test_threads_identical },
    { "one_slice_is_train_step", test_one_slice_is_train_step },
    { "batch_independent_of_slicing", test_batch_independent_of_slicing },
    { "nonfinite_leaves_nothing", test_nonfinite_leaves_nothing },
    CU_TEST_INFO_NULL
};
