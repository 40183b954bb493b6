/* tests/cu_common.c — common/spl: logistic helpers, seeds, Welford stats. */
#include <math.h>
#include <gsl/gsl_statistics_double.h>
#include "common/spl.h"
#include "tests/cu_util.h"

static void test_sigmoid(void)
{
    /* Closed forms: σ(0) = 1/2, σ(log 3) = 3/4, σ(−x) = 1 − σ(x); no overflow. */
    ASSERT_REL(spl_sigmoid(0.0), 0.5, TOL0);
    ASSERT_REL(spl_sigmoid(log(3.0)), 0.75, TOL1);
    ASSERT_REL(spl_sigmoid(-log(3.0)), 0.25, TOL1);
    ASSERT_REL(spl_sigmoid(-800.0), 0.0, TOL0);
    ASSERT_REL(spl_sigmoid(800.0), 1.0, TOL0);
    ASSERT_REL(spl_sigmoid(-40.0), exp(-40.0) / (1 + exp(-40.0)), TOL1);
    ASSERT_REL(spl_log1pexp(1000.0), 1000.0, TOL0);
    ASSERT_REL(spl_log1pexp(-50.0), exp(-50.0), TOL1);
    ASSERT_REL(spl_log1pexp(0.0), log(2.0), TOL1);
    ASSERT_REL(spl_logit(0.75), log(3.0), TOL1);
    ASSERT_REL(spl_logit(1e-6), log(1e-6 / (1 - 1e-6)), TOL1);
    /* 1 − 1e-6 is not representable: compare with the exact double's logit. */
    double q = 1 - 1e-6;
    ASSERT_REL(spl_logit(q), log(q) - log1p(-q), TOL2);
}

static void test_sigmoid_diff(void)
{
    /* σ(x) − σ(y) for x − y tiny: derivative σ(1−σ)·(x−y) to first order. */
    double y = 0.3, x = y + 1e-12, h = x - y, s = spl_sigmoid(y);  /* h exact */
    ASSERT_REL(spl_sigmoid_diff(x, y), s * (1 - s) * h, 1e-10);
    ASSERT_REL(spl_sigmoid_diff(2.0, -1.0), spl_sigmoid(2.0) - spl_sigmoid(-1.0), TOL1);
    ASSERT_REL(spl_sigmoid_diff(-60.0, 60.0), -1.0, TOL1);
}

static void test_stat(void)
{
    /* Welford + merge against GSL's two-pass mean and sd. */
    double x[1000];
    gsl_rng *r = spl_rng_alloc(cu_seed(12345), 0, 0);
    for (int i = 0; i < 1000; i++) x[i] = 1e6 + gsl_rng_uniform(r);
    gsl_rng_free(r);
    spl_stat a = {0}, b = {0};
    for (int i = 0; i < 377; i++) spl_stat_add(&a, x[i]);
    for (int i = 377; i < 1000; i++) spl_stat_add(&b, x[i]);
    spl_stat_merge(&a, &b);
    ASSERT_REL(a.mean, gsl_stats_mean(x, 1, 1000), TOL1);
    ASSERT_REL(spl_stat_sd(&a), gsl_stats_sd(x, 1, 1000), 1e-9);
    ASSERT_REL(spl_stat_se(&a), gsl_stats_sd(x, 1, 1000) / sqrt(1000.0), 1e-9);
}

static void test_streams(void)
{
    /* The same (seed, i, j) gives the same stream; neighbours differ. */
    gsl_rng *r1 = spl_rng_alloc(7, 3, 4), *r2 = spl_rng_alloc(7, 3, 4), *r3 = spl_rng_alloc(7, 4, 3);
    int same = 1, differ = 0;
    for (int i = 0; i < 100; i++) {
        unsigned long a = gsl_rng_get(r1), b = gsl_rng_get(r2), c = gsl_rng_get(r3);
        same &= (a == b);
        differ += (a != c);
    }
    CU_ASSERT(same);
    CU_ASSERT(differ > 95);
    CU_ASSERT(spl_stream_seed(1, 2, 3) != spl_stream_seed(1, 3, 2));
    gsl_rng_free(r1); gsl_rng_free(r2); gsl_rng_free(r3);
}

CU_TestInfo cu_common_tests[] = {
    { "sigmoid", test_sigmoid },
    { "sigmoid_diff", test_sigmoid_diff },
    { "welford", test_stat },
    { "streams", test_streams },
    CU_TEST_INFO_NULL
};
