/* tests/cu_spire_kid.c — KID (spire/kid.h) against
 *  - an independent NumPy implementation (tests/fixtures/kid_numpy.bin,
 *    written by bench/reference/kid_numpy.py): full-set MMD² and KID over
 *    given subsets, to 1e-12 relative;
 *  - the exact population MMD² of two Gaussians N(0, I), N(δ, I) with the
 *    cubic kernel (derived below), which the unbiased estimator has as its
 *    expectation: 0 for identical distributions, positive for shifted ones;
 *    checked within Monte Carlo standard errors over replicate data sets.
 * Also home of the fixture reader shared with cu_spire_ref.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include "common/spl.h"
#include "spire/kid.h"
#include "tests/cu_util.h"

/* ---- fixture reader (format: see bench/reference/kid_numpy.py) ---------- */
typedef struct { char name[33]; size_t n; double *v; } cu_fix_array;
typedef struct { unsigned version; size_t count; cu_fix_array *a; } cu_fix;

void cu_spire_fixture_free(cu_fix *f)
{
    for (size_t i = 0; f->a && i < f->count; i++) free(f->a[i].v);
    free(f->a);
    f->a = NULL; f->count = 0;
}

/* 0 on success; otherwise prints why (with how to regenerate) and returns -1. */
int cu_spire_fixture_load(const char *path, unsigned want_version, cu_fix *f)
{
    f->a = NULL; f->count = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "\n  cannot open fixture %s (run the tests from the project root; "
                        "regenerate with `make reference`)\n", path);
        return -1;
    }
    char magic[8];
    uint32_t hv[2];
    if (fread(magic, 1, 8, fp) != 8 || memcmp(magic, "SPLFIXT", 8) != 0 || fread(hv, 4, 2, fp) != 2) {
        fprintf(stderr, "\n  %s is not a spirelab fixture; regenerate with `make reference`\n", path);
        fclose(fp);
        return -1;
    }
    f->version = hv[0];
    if (hv[0] != want_version) {
        fprintf(stderr, "\n  fixture %s has version %u, this test expects version %u: "
                        "regenerate it with `make reference` (needs /usr/bin/python3 with "
                        "python3-numpy and python3-torch) and commit it\n", path, hv[0], want_version);
        fclose(fp);
        return -1;
    }
    f->a = calloc(hv[1], sizeof *f->a);
    f->count = hv[1];
    for (size_t i = 0; i < f->count; i++) {
        uint64_t n;
        if (fread(f->a[i].name, 1, 32, fp) != 32 || fread(&n, 8, 1, fp) != 1 || n > (1u << 28) ||
            !(f->a[i].v = malloc((n ? n : 1) * sizeof(double))) ||
            fread(f->a[i].v, sizeof(double), n, fp) != n) {
            fprintf(stderr, "\n  fixture %s is truncated at array %zu; regenerate with `make reference`\n", path, i);
            fclose(fp);
            cu_spire_fixture_free(f);
            return -1;
        }
        f->a[i].n = n;
    }
    fclose(fp);
    return 0;
}

/* The array called name, which must have n values (n = 0: any); NULL (and a
 * CUnit failure) otherwise. */
const double *cu_spire_fixture_get(const cu_fix *f, const char *name, size_t n)
{
    for (size_t i = 0; i < f->count; i++)
        if (!strcmp(f->a[i].name, name)) {
            if (n && f->a[i].n != n) {
                fprintf(stderr, "\n  fixture array %s has %zu values, expected %zu\n", name, f->a[i].n, n);
                CU_FAIL("fixture array size");
                return NULL;
            }
            return f->a[i].v;
        }
    fprintf(stderr, "\n  fixture has no array %s\n", name);
    CU_FAIL("fixture array missing");
    return NULL;
}

/* ---- against NumPy -------------------------------------------------------- */
static void test_numpy_fixture(void)
{
    cu_fix f;
    if (cu_spire_fixture_load("tests/fixtures/kid_numpy.bin", 1, &f) != 0) { CU_FAIL("fixture"); return; }
    const double *dims = cu_spire_fixture_get(&f, "dims", 6);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dims);
    size_t D = (size_t)dims[0], nx = (size_t)dims[1], n1 = (size_t)dims[2], n2 = (size_t)dims[3];
    size_t S = (size_t)dims[4], m = (size_t)dims[5];
    const double *X = cu_spire_fixture_get(&f, "X", nx * D), *Y1 = cu_spire_fixture_get(&f, "Y1", n1 * D);
    const double *Y2 = cu_spire_fixture_get(&f, "Y2", n2 * D);
    const double *ir = cu_spire_fixture_get(&f, "idx_real", S * m), *jf = cu_spire_fixture_get(&f, "idx_fake", S * m);
    const double *e1 = cu_spire_fixture_get(&f, "mmd2_xy1", 1), *e2 = cu_spire_fixture_get(&f, "mmd2_xy2", 1);
    const double *km = cu_spire_fixture_get(&f, "kid_mean", 1), *ks = cu_spire_fixture_get(&f, "kid_std", 1);
    CU_ASSERT_FATAL(X && Y1 && Y2 && ir && jf && e1 && e2 && km && ks);
    double v;
    CU_ASSERT_EQUAL(spire_kid_mmd2(X, nx, Y1, n1, D, &v), GSL_SUCCESS);
    ASSERT_MIXED(v, e1[0], 1e-13, 1e-11);
    CU_ASSERT_EQUAL(spire_kid_mmd2(X, nx, Y2, n2, D, &v), GSL_SUCCESS);
    ASSERT_REL(v, e2[0], 1e-11);
    size_t *si = malloc(S * m * sizeof *si), *sj = malloc(S * m * sizeof *sj);
    for (size_t i = 0; i < S * m; i++) { si[i] = (size_t)ir[i]; sj[i] = (size_t)jf[i]; }
    spire_kid_result k;
    CU_ASSERT_EQUAL(spire_kid_idx(X, nx, Y2, n2, D, S, m, si, sj, &k), GSL_SUCCESS);
    ASSERT_REL(k.mean, km[0], 1e-11);
    ASSERT_REL(k.std, ks[0], 1e-10);
    CU_ASSERT_EQUAL(k.subsets, S);
    CU_ASSERT_EQUAL(k.subset_size, m);
    free(si); free(sj);
    cu_spire_fixture_free(&f);
}

/* ---- against the exact population value -----------------------------------
 * x ~ N(μ, I), y ~ N(ν, I) independent, s = x·y, c = μ·ν:
 *   E s = c,  E s² = c² + |μ|² + |ν|² + D,  E s³ = c³ + 3c(|μ|² + |ν|² + D + 2),
 * E k = E s³/D³ + 3 E s²/D² + 3 E s/D + 1.  For P = N(0, I), Q = N(δ, I),
 * q = |δ|²:  MMD² = (q³ + 6q² + 3q(D+2))/D³ + 3q²/D² + 3q/D  (0 at q = 0). */
static double mmd2_exact(double q, double D)
{
    return (q * q * q + 6 * q * q + 3 * q * (D + 2)) / (D * D * D) + 3 * q * q / (D * D) + 3 * q / D;
}

static void replicate_check(double shift)
{
    enum { D = 3, M = 60, R = 300 };
    uint64_t seed = cu_seed(31);
    gsl_rng *r = spl_rng_alloc(seed, 7, (uint64_t)(shift * 1000));
    double X[M * D], Y[M * D];
    spl_stat st = { 0 };
    for (int rep = 0; rep < R; rep++) {
        for (size_t i = 0; i < M * D; i++) {
            X[i] = gsl_ran_gaussian(r, 1);
            Y[i] = gsl_ran_gaussian(r, 1) + shift;
        }
        double v;
        spire_kid_mmd2(X, M, Y, M, D, &v);
        spl_stat_add(&st, v);
    }
    double exact = mmd2_exact(D * shift * shift, D);
    ASSERT_WITHIN_SE(st.mean, exact, spl_stat_se(&st), 4);
    if (shift > 0) CU_ASSERT(st.mean > 4 * spl_stat_se(&st));
    gsl_rng_free(r);
}

static void test_identical_zero(void) { replicate_check(0.0); }
static void test_shifted_positive(void) { replicate_check(0.4); }

/* Random subsets: reproducible from the seed; mean of many subsets close to
 * the full-set value; errors for sizes the data cannot supply. */
static void test_random_subsets(void)
{
    enum { D = 4, N = 300 };
    gsl_rng *r = spl_rng_alloc(5, 0, 0);
    double *X = malloc(N * D * sizeof *X), *Y = malloc(N * D * sizeof *Y);
    for (size_t i = 0; i < N * D; i++) { X[i] = gsl_ran_gaussian(r, 1); Y[i] = gsl_ran_gaussian(r, 1) + 0.3; }
    gsl_rng_free(r);
    spire_kid_result a, b;
    CU_ASSERT_EQUAL(spire_kid(X, N, Y, N, D, 50, 100, 9, &a), GSL_SUCCESS);
    CU_ASSERT_EQUAL(spire_kid(X, N, Y, N, D, 50, 100, 9, &b), GSL_SUCCESS);
    CU_ASSERT_EQUAL(a.mean, b.mean);
    CU_ASSERT_EQUAL(a.std, b.std);
    CU_ASSERT(a.std > 0);
    double full;
    spire_kid_mmd2(X, N, Y, N, D, &full);
    /* the subset mean estimates the same expectation; spread ~ a.std/√50 */
    ASSERT_WITHIN_SE(a.mean, full, a.std / sqrt(50.0), 4);
    /* subset size = whole set: every subset is the full set */
    CU_ASSERT_EQUAL(spire_kid(X, N, Y, N, D, 3, N, 9, &b), GSL_SUCCESS);
    ASSERT_REL(b.mean, full, 1e-10);
    ASSERT_MIXED(b.std, 0.0, 1e-10 * fabs(full), 0);
    CU_ASSERT_EQUAL(spire_kid(X, N, Y, N - 1, D, 3, N, 9, &b), GSL_EDOM);
    CU_ASSERT_EQUAL(spire_kid(X, N, Y, N, D, 3, 1, 9, &b), GSL_EDOM);
    CU_ASSERT_EQUAL(spire_kid(X, N, Y, N, D, 0, 10, 9, &b), GSL_EDOM);
    free(X); free(Y);
}

CU_TestInfo cu_spire_kid_tests[] = {
    { "numpy_fixture", test_numpy_fixture },
    { "identical_zero", test_identical_zero },
    { "shifted_positive", test_shifted_positive },
    { "random_subsets", test_random_subsets },
    CU_TEST_INFO_NULL
};
