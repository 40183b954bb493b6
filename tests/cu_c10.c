/* tests/cu_c10.c — claim C10 (proofs_check/c10.c) on its tiny grid: the
 * verdict follows the threshold (an impossible threshold 1.01 FAILS, the
 * claim's own is the 1% Fisher bound of ρ ≥ 0.95; the wrong model, shuffled
 * embeddings, FAILS), and the probe it relies on passes exact
 * linear embeddings and FAILS random or shuffled ones (a broken probe: the
 * embeddings of the wrong clients). */
#include <math.h>
#include <stdlib.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include "common/spl.h"
#include "proofs_check/claims.h"
#include "spire/fed.h"
#include "tests/cu_util.h"

static pc_result run(double threshold, int mutant)
{
    pc_opts o;
    pc_opts_default(&o);
    o.quick = 2;
    o.seed = cu_seed(1);
    o.threshold = threshold;
    o.mutant = mutant;
    pc_result r = { 0 };
    CU_ASSERT_EQUAL(pc_c10_embedding_bias(&o, &r), GSL_SUCCESS);
    CU_ASSERT_STRING_EQUAL(r.id, "C10");
    return r;
}

static void test_c10_verdict(void)
{
    pc_result ok = run(NAN, 0);
    /* tiny grid: C = 8 clients; tanh(atanh 0.95 − z_{0.99}/√5) */
    ASSERT_REL(ok.threshold, tanh(atanh(0.95) - 2.3263478740408408 / sqrt(5.0)), 1e-10);
    CU_ASSERT(ok.measured >= -1 && ok.measured <= 1);
    CU_ASSERT_EQUAL(ok.pass, ok.measured > ok.threshold);
    if (!ok.pass) fprintf(stderr, "\n  C10 tiny: measured %g (threshold %g)\n", ok.measured, ok.threshold);
    CU_ASSERT_TRUE(ok.pass);
    pc_result bad = run(1.01, 0);
    CU_ASSERT_FALSE(bad.pass);
    CU_ASSERT_EQUAL(bad.measured, ok.measured);   /* same run, only the threshold differs */
    pc_result mut = run(NAN, 1);                  /* embeddings of the wrong clients */
    if (mut.pass) fprintf(stderr, "\n  C10 tiny mutant: measured %g passed\n", mut.measured);
    CU_ASSERT_FALSE(mut.pass);
}

static void test_c10_table(void)
{
    int found = 0;
    for (size_t i = 0; i < pc_nclaims; i++)
        if (pc_claims[i].run == pc_c10_embedding_bias) found = 1;
    CU_ASSERT_TRUE(found);
}

/* The probe: embeddings exactly linear in logit π (plus noise 1e-3) pass;
 * the same embeddings assigned to the wrong clients (a broken probe input)
 * and pure noise fail. */
static void test_c10_probe(void)
{
    size_t C = 16, p = 8;
    double X[16 * 8], Xs[16 * 8], y[16], pred[16], corr;
    gsl_rng *r = spl_rng_alloc(cu_seed(2), 3, 0);
    double v[8], b[8];
    for (size_t j = 0; j < p; j++) { v[j] = gsl_ran_gaussian(r, 1); b[j] = gsl_ran_gaussian(r, 1); }
    size_t perm[16];
    for (size_t c = 0; c < C; c++) {
        y[c] = spl_logit(0.05 + 0.9 * ((double)c + 0.5) / (double)C);
        for (size_t j = 0; j < p; j++) X[c * p + j] = b[j] + v[j] * y[c] + 1e-3 * gsl_ran_gaussian(r, 1);
        perm[c] = c;
    }
    CU_ASSERT_EQUAL(spire_fed_probe_loo(X, y, C, p, 1e-3, pred, &corr), GSL_SUCCESS);
    CU_ASSERT(corr > 0.99);
    gsl_ran_shuffle(r, perm, C, sizeof *perm);
    for (size_t c = 0; c < C; c++)
        for (size_t j = 0; j < p; j++) Xs[c * p + j] = X[perm[c] * p + j];
    CU_ASSERT_EQUAL(spire_fed_probe_loo(Xs, y, C, p, 1e-3, pred, &corr), GSL_SUCCESS);
    CU_ASSERT(corr < 0.95);
    for (size_t i = 0; i < C * p; i++) Xs[i] = gsl_ran_gaussian(r, 1);
    CU_ASSERT_EQUAL(spire_fed_probe_loo(Xs, y, C, p, 1e-3, pred, &corr), GSL_SUCCESS);
    CU_ASSERT(corr < 0.95);
    gsl_rng_free(r);
}

CU_TestInfo cu_c10_tests[] = {
    { "verdict", test_c10_verdict },
    { "in_table", test_c10_table },
    { "probe", test_c10_probe },
    CU_TEST_INFO_NULL
};
