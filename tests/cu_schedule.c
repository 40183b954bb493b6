/* tests/cu_schedule.c — noise schedules against values computed here
 * independently (direct products in long double, closed forms). */
#include <math.h>
#include <gsl/gsl_errno.h>
#include "ddpm/schedule.h"
#include "tests/cu_util.h"

static void test_linear(void)
{
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_LINEAR, 1000, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    long double ab = 1.0L;
    for (int i = 1; i <= 1000; i++) {
        long double beta = 1e-4L + (0.02L - 1e-4L) * (i - 1) / 999.0L;
        ab *= 1.0L - beta;
        if (i == 1 || i == 10 || i == 500 || i == 1000) {
            ASSERT_REL(s->beta[i - 1], (double)beta, TOL1);
            ASSERT_REL(s->alphabar[i - 1], (double)ab, 1e-13);
            ASSERT_REL(s->a[i - 1], (double)sqrtl(ab), 1e-13);
            ASSERT_REL(s->b[i - 1], (double)sqrtl(1.0L - ab), 1e-12);
        }
    }
    /* First step closed form: ᾱ_1 = 1 − 1e-4, b_1 = 1e-2 exactly. */
    ASSERT_REL(s->b[0], 1e-2, TOL2);
    for (size_t i = 0; i < s->T; i++)
        CU_ASSERT(fabs(s->a[i] * s->a[i] + s->b[i] * s->b[i] - 1.0) < 1e-15);
    ddpm_schedule_free(s);
}

static void test_cosine(void)
{
    const int T = 50;
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_COSINE, T, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    long double ab = 1.0L;
    for (int i = 1; i <= T; i++) {
        long double f1 = cosl((((long double)i / T) + 0.008L) / 1.008L * (M_PI / 2));
        long double f0 = cosl((((long double)(i - 1) / T) + 0.008L) / 1.008L * (M_PI / 2));
        long double beta = 1.0L - (f1 * f1) / (f0 * f0);
        if (beta > 0.999L) beta = 0.999L;
        ab *= 1.0L - beta;
        ASSERT_REL(s->beta[i - 1], (double)beta, 1e-13);
        ASSERT_REL(s->alphabar[i - 1], (double)ab, 1e-12);
    }
    /* Clipping keeps a_T > 0: the last β is clipped at 0.999. */
    ASSERT_REL(s->beta[T - 1], 0.999, TOL1);
    CU_ASSERT(s->a[T - 1] > 0);
    ddpm_schedule_free(s);
}

static void test_ou_alpha(void)
{
    double a, b;
    CU_ASSERT_EQUAL(ddpm_ou_level(0.5, &a, &b), GSL_SUCCESS);
    ASSERT_REL(a, exp(-0.5), TOL1);
    ASSERT_REL(b, sqrt(1 - exp(-1.0)), TOL1);
    CU_ASSERT_EQUAL(ddpm_ou_level(1e-12, &a, &b), GSL_SUCCESS);
    ASSERT_REL(b, sqrt(2e-12), 1e-10);     /* b² = 1 − e^{−2τ} ≈ 2τ */
    CU_ASSERT_EQUAL(ddpm_ou_level(0.0, &a, &b), GSL_EDOM);
    CU_ASSERT_EQUAL(ddpm_ou_level(NAN, &a, &b), GSL_EDOM);
    CU_ASSERT_EQUAL(ddpm_level_from_alpha(1 - 1e-10, &b), GSL_SUCCESS);
    ASSERT_REL(b, sqrt(2e-10 - 1e-20), 1e-6);
    CU_ASSERT_EQUAL(ddpm_level_from_alpha(1.0, &b), GSL_EDOM);
    CU_ASSERT_EQUAL(ddpm_level_from_alpha(0.0, &b), GSL_EDOM);
    CU_ASSERT_PTR_NULL(ddpm_schedule_alloc(DDPM_LINEAR, 1, NULL));
    ddpm_schedule_kind k;
    CU_ASSERT_EQUAL(ddpm_schedule_parse("cosine", &k), GSL_SUCCESS);
    CU_ASSERT_EQUAL(k, DDPM_COSINE);
    CU_ASSERT_EQUAL(ddpm_schedule_parse("quadratic", &k), GSL_EINVAL);
}

CU_TestInfo cu_schedule_tests[] = {
    { "linear", test_linear },
    { "cosine", test_cosine },
    { "ou_and_alpha", test_ou_alpha },
    CU_TEST_INFO_NULL
};
