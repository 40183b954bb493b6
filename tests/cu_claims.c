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

/* C9's wrong model (the means learned along u only: exponent 0 against ½)
 * in quick mode, where it costs about a second: the tiny grid's 3
 * replicates estimate the slope's SE too poorly to see it every time.  In
 * quick mode 19 of seeds 1–20 detect it (seed 11 does not; full mode: 20/20,
 * docs/claims.md), so the seed is fixed (not SPIRELAB_TEST_SEED). */
static void test_mutant_c9(void)
{
    pc_opts o;
    pc_opts_default(&o);
    o.quick = 1;
    o.seed = 1;
    o.mutant = 1;
    pc_result bad = {0};
    CU_ASSERT_EQUAL(pc_c9_means_contrast(&o, &bad), GSL_SUCCESS);
    CU_ASSERT_FALSE(bad.pass);
    CU_ASSERT(bad.measured > 0.3);      /* |s − ½| with s ≈ 0 */
    if (bad.pass) fprintf(stderr, "\n  C9 mutant passed: %s measured %g threshold %g\n", bad.claim, bad.measured, bad.threshold);
}

/* C11's and C13's wrong model (a sandwich B 20% too large) in quick mode.
 * Their quick-mode power is low (8/20 and about a third of seeds,
 * docs/claims.md; in full mode every seed of 1–20 FAILs), so each runs at
 * a fixed seed where the quick run detects it, together with the true model
 * at the same seed: the same draws PASS with the right prediction and FAIL
 * with the wrong one.  Fixed seeds (not SPIRELAB_TEST_SEED): at another seed
 * the quick grid may miss the wrong model, which is not a defect. */
static void test_mutants_quick(void)
{
    struct { int (*fn)(const pc_opts *, pc_result *); uint64_t seed; } c[] = {
        { pc_c11_weighting, 7 }, { pc_c13_kcomp_dimension_free, 13 } };
    for (size_t i = 0; i < 2; i++) {
        pc_opts o;
        pc_opts_default(&o);
        o.quick = 1;
        o.seed = c[i].seed;
        pc_result ok = {0}, bad = {0};
        CU_ASSERT_EQUAL(c[i].fn(&o, &ok), GSL_SUCCESS);
        o.mutant = 1;
        CU_ASSERT_EQUAL(c[i].fn(&o, &bad), GSL_SUCCESS);
        CU_ASSERT_TRUE(ok.pass);
        CU_ASSERT_FALSE(bad.pass);
        fprintf(stderr, "\n  %s quick seed %llu: true model %s (measured %g), wrong model %s (measured %g; "
                "threshold %g)%s", ok.id ? ok.id : "?", (unsigned long long)c[i].seed, ok.pass ? "passes" : "FAILS",
                ok.measured, bad.pass ? "passes" : "fails", bad.measured, bad.threshold,
                ok.pass && !bad.pass ? ": as expected" : ": UNEXPECTED");
    }
    fputc('\n', stderr);
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
        CU_ASSERT_EQUAL(pc_claims[k].mutant, pc_claims[k].random);   /* every random claim has a wrong model */
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
    { "mutant_C9_quick", test_mutant_c9 },
    { "mutants_c11_c13_quick", test_mutants_quick },
    { "rates", test_rates },
    { "ks_two_sample", test_ks },
    CU_TEST_INFO_NULL
};
