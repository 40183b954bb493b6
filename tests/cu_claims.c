/* tests/cu_claims.c — each claim of proofs_check/ on its tiny grid: it must
 * PASS with the library's loss and FAIL when fed a deliberately wrong loss
 * (minimum moved off θ*, or a curvature 20% too large: pc_loss_shifted,
 * pc_loss_bad_hess), its own wrong model (pc_opts.mutant, where the tiny
 * grid has the power to see it) or an impossible threshold; and each random
 * claim's threshold is the one its stated false-alarm rate gives. */
#include <math.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include "common/spl.h"
#include "proofs_check/claims.h"
#include "proofs_check/rates.h"
#include "tests/cu_util.h"

#define loss_shifted pc_loss_shifted
#define loss_bad_hess pc_loss_bad_hess

static pc_result run_m(int (*fn)(const pc_opts *, pc_result *), pc_loss_fn loss, double threshold, int mutant)
{
    pc_opts o;
    pc_opts_default(&o);
    o.quick = 2;
    o.seed = cu_seed(1);
    o.loss = loss;
    o.threshold = threshold;
    o.mutant = mutant;
    pc_result r = {0};
    int st = fn(&o, &r);
    CU_ASSERT_EQUAL(st, GSL_SUCCESS);
    CU_ASSERT(r.id != NULL);
    CU_ASSERT(r.claim[0] != '\0');
    CU_ASSERT(r.sense == 1 || r.sense == -1);
    return r;
}
static pc_result run(int (*fn)(const pc_opts *, pc_result *), pc_loss_fn loss, double threshold)
{
    return run_m(fn, loss, threshold, 0);
}

#define BOTH_WAYS(name, fn, wrong_loss, wrong_thr)                        \
    static void name(void)                                                \
    {                                                                     \
        pc_result ok = run(fn, NULL, NAN);                                \
        CU_ASSERT_TRUE(ok.pass);                                          \
        if (!ok.pass) fprintf(stderr, "\n  %s: %s measured %g threshold %g\n", ok.id, ok.claim, ok.measured, ok.threshold); \
        pc_result bad = run(fn, wrong_loss, wrong_thr);                   \
        CU_ASSERT_FALSE(bad.pass);                                        \
    }

BOTH_WAYS(test_c1, pc_c1_identifiability, loss_shifted, NAN)
BOTH_WAYS(test_c2, pc_c2_landscape, loss_shifted, NAN)
BOTH_WAYS(test_c3_shift, pc_c3_gd_rate, loss_shifted, NAN)
BOTH_WAYS(test_c4, pc_c4_mc_agreement, loss_shifted, NAN)
BOTH_WAYS(test_c5, pc_c5_dimension_free, NULL, 1.0)
BOTH_WAYS(test_c6, pc_c6_rate, NULL, 0.0)
BOTH_WAYS(test_c7, pc_c7_mle_bridge, loss_shifted, NAN)
BOTH_WAYS(test_c8, pc_c8_step_size, loss_bad_hess, NAN)
BOTH_WAYS(test_c9, pc_c9_means_contrast, NULL, 0.0)

static void test_c3_hess(void)
{
    /* A wrong curvature predicts the wrong contraction rate. */
    pc_result bad = run(pc_c3_gd_rate, loss_bad_hess, NAN);
    CU_ASSERT_FALSE(bad.pass);
}

/* The claims' own wrong models, where the tiny grid sees them. */
static void test_mutants(void)
{
    int (*fns[])(const pc_opts *, pc_result *) = { pc_c4_mc_agreement, pc_c6_rate };
    for (size_t i = 0; i < 2; i++) {
        pc_result bad = run_m(fns[i], NULL, NAN, 1);
        CU_ASSERT_FALSE(bad.pass);
        if (bad.pass) fprintf(stderr, "\n  %s mutant passed: measured %g threshold %g\n", bad.id, bad.measured, bad.threshold);
    }
}

/* The thresholds of the random claims are those of their stated 1% rate
 * (the two cheap ones here; tests/cli/check.sh reads the others' from
 * check --quick): C4 Šidák over 72, C7 Šidák over EM + its 2 levels. */
static void test_rates(void)
{
    double z;
    pc_result r = run(pc_c4_mc_agreement, NULL, NAN);
    pc_rate_sidak_z(0.01, 72, &z);
    ASSERT_REL(r.threshold, z, TOL0);
    ASSERT_REL(z, 3.8089, 1e-4);
    CU_ASSERT(strstr(r.claim, "1%") != NULL);
    r = run(pc_c7_mle_bridge, NULL, NAN);
    pc_rate_sidak_z(0.01, 3, &z);                  /* EM + 2 levels (quick and tiny) */
    ASSERT_REL(r.threshold, z, TOL0);
    for (size_t k = 0; k < pc_nclaims; k++) {
        int det = !strcmp(pc_claims[k].id, "C1") || !strcmp(pc_claims[k].id, "C2") ||
                  !strcmp(pc_claims[k].id, "C3") || !strcmp(pc_claims[k].id, "C8") ||
                  !strcmp(pc_claims[k].id, "C12");
        CU_ASSERT_EQUAL(pc_claims[k].random, !det);
        CU_ASSERT(!pc_claims[k].mutant || pc_claims[k].random);
    }
}

static void test_ks(void)
{
    /* Identical samples: D = 0, p = 1.  Disjoint samples: D = 1, p tiny.
     * Two halves of one normal sample: p is not small (seeded). */
    double x[200], y[200];
    for (int i = 0; i < 200; i++) { x[i] = i; y[i] = i; }
    double D, p;
    pc_ks2(x, 200, y, 200, &D, &p);
    ASSERT_REL(D, 0.0, 0.0);
    ASSERT_REL(p, 1.0, TOL0);
    for (int i = 0; i < 200; i++) y[i] = 1000 + i;
    pc_ks2(x, 200, y, 200, &D, &p);
    ASSERT_REL(D, 1.0, TOL0);
    CU_ASSERT(p < 1e-30);
    /* D for a shift by half the range of a uniform grid: exactly 0.5. */
    for (int i = 0; i < 200; i++) { x[i] = i; y[i] = i + 100; }
    pc_ks2(x, 200, y, 200, &D, &p);
    ASSERT_REL(D, 0.5, TOL1);
    /* Kolmogorov Q at λ = (√100 + 0.12 + 0.011)·0.5 = 5.0655: 2Σ(−1)^{k−1}e^{−2k²λ²} */
    double lam = (10.0 + 0.12 + 0.011) * 0.5;
    ASSERT_REL(p, 2 * (exp(-2 * lam * lam) - exp(-8 * lam * lam)), 1e-10);
}

CU_TestInfo cu_claims_tests[] = {
    { "C1_identifiability", test_c1 },
    { "C2_landscape", test_c2 },
    { "C3_rate_shifted_loss", test_c3_shift },
    { "C3_rate_wrong_hessian", test_c3_hess },
    { "C4_mc_agreement", test_c4 },
    { "C5_dimension_free", test_c5 },
    { "C6_rate", test_c6 },
    { "C7_mle_bridge", test_c7 },
    { "C8_step_size", test_c8 },
    { "C9_means_contrast", test_c9 },
    { "mutants", test_mutants },
    { "rates", test_rates },
    { "ks_two_sample", test_ks },
    CU_TEST_INFO_NULL
};
