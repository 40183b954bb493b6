/* tests/cu_util.h — shared CUnit helpers.
 *
 * ASSERT_REL(obtained, expected, rtol): |o − e| ≤ rtol·|e| (NaN/Inf handled:
 *   both NaN, or equal infinities, pass); on failure prints expected,
 *   obtained and relative error with file:line.
 * ASSERT_MIXED(obtained, expected, atol, rtol): |o − e| ≤ atol + rtol·|e|.
 * ASSERT_WITHIN_SE(obtained, expected, se, k): |o − e| ≤ k·se (Monte Carlo).
 * Tolerance ladder in multiples of DBL_EPSILON, as in GSL's tests.
 */
#ifndef CU_UTIL_H
#define CU_UTIL_H

#include <float.h>
#include <stdint.h>
#include <CUnit/CUnit.h>

#define TOL0 (2.0 * DBL_EPSILON)
#define TOL1 (16.0 * DBL_EPSILON)
#define TOL2 (256.0 * DBL_EPSILON)
#define TOL3 (2048.0 * DBL_EPSILON)
#define TOL4 (16384.0 * DBL_EPSILON)
#define TOL5 (131072.0 * DBL_EPSILON)
#define TOL6 (1048576.0 * DBL_EPSILON)

int cu_check_mixed(double obt, double exp, double atol, double rtol, const char *what,
                   const char *file, int line);
int cu_check_se(double obt, double exp, double se, double k, const char *what,
                const char *file, int line);

#define ASSERT_REL(o, e, rtol) \
    CU_assertImplementation(cu_check_mixed((o), (e), 0.0, (rtol), #o, __FILE__, __LINE__), \
                            __LINE__, "ASSERT_REL(" #o ", " #e ")", __FILE__, "", CU_FALSE)
#define ASSERT_MIXED(o, e, atol, rtol) \
    CU_assertImplementation(cu_check_mixed((o), (e), (atol), (rtol), #o, __FILE__, __LINE__), \
                            __LINE__, "ASSERT_MIXED(" #o ", " #e ")", __FILE__, "", CU_FALSE)
#define ASSERT_WITHIN_SE(o, e, se, k) \
    CU_assertImplementation(cu_check_se((o), (e), (se), (k), #o, __FILE__, __LINE__), \
                            __LINE__, "ASSERT_WITHIN_SE(" #o ", " #e ")", __FILE__, "", CU_FALSE)

/* Seed for random tests: SPIRELAB_TEST_SEED from the environment, else the
 * default given; printed once so that a failure can be reproduced. */
uint64_t cu_seed(uint64_t dflt);

/* Path of the spirelab binary under test (SPIRELAB env, else build/spirelab). */
const char *cu_spirelab_path(void);

/* A fresh scratch directory under /tmp (NULL on failure); cu_rm_dir removes
 * it with its (flat) contents and frees the name. */
char *cu_scratch(void);
void cu_rm_dir(char *d);
/* The whole file d/name as a string (caller frees), NULL if unreadable. */
char *cu_slurp(const char *d, const char *name);
/* 1 if d/name exists and is not empty. */
int cu_exists(const char *d, const char *name);
/* 1 if d/name is a PNG (signature and IHDR), with its width and height. */
int cu_png_size(const char *d, const char *name, unsigned *w, unsigned *h);

#endif
