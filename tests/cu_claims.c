/* tests/cu_claims.c — each claim of proofs_check/ on its tiny grid: it must
 * PASS with the library's loss and FAIL when fed a deliberately wrong loss
 * (minimum moved off θ*, or a curvature 20% too large) or an impossible
 * threshold. */
#include <math.h>
#include <gsl/gsl_errno.h>
#include "common/spl.h"
#include "proofs_check/claims.h"
#include "tests/cu_util.h"

/* The true loss with its minimum moved to θ* + 0.3. */
static int loss_shifted(ddpm_quad *q, const gmm2 *g, double a, double b, double w, ddpm_loss_result *r)
{
    return ddpm_loss_level(q, g, a, b, w - 0.3, r);
}
/* The true loss, but a Hessian 20% too large. */
static int loss_bad_hess(ddpm_quad *q, const gmm2 *g, double a, double b, double w, ddpm_loss_result *r)
{
    int st = ddpm_loss_level(q, g, a, b, w, r);
    r->hess.val *= 1.2;
    return st;
}

static pc_result run(int (*fn)(const pc_opts *, pc_result *), pc_loss_fn loss, double threshold)
{
    pc_opts o;
    pc_opts_default(&o);
    o.quick = 2;
    o.seed = cu_seed(1);
    o.loss = loss;
    o.threshold = threshold;
    pc_result r = {0};
    int st = fn(&o, &r);
    CU_ASSERT_EQUAL(st, GSL_SUCCESS);
    CU_ASSERT(r.id != NULL);
    CU_ASSERT(r.claim[0] != '\0');
    return r;
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
    { "ks_two_sample", test_ks },
    CU_TEST_INFO_NULL
};
