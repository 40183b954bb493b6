/* spire/kid.h — Kernel Inception Distance on raw samples (THEORY.md §8):
 * the unbiased MMD² with the cubic polynomial kernel
 *     k(x, y) = (x·y/D + 1)³,
 *     MMD²_u(X, Y) = Σ_{i≠j} k(x_i,x_j)/(m(m−1)) + Σ_{i≠j} k(y_i,y_j)/(n(n−1))
 *                    − 2 Σ_{i,j} k(x_i,y_j)/(m n)
 * (Gretton et al. 2012; Bińkowski et al. 2018), averaged over random
 * subsets as torchmetrics' KernelInceptionDistance computes it: each subset
 * takes `size` rows of the real set and `size` rows of the generated set
 * uniformly without replacement; the cross term keeps its diagonal; the
 * result is the mean and the population standard deviation (ddof = 0) over
 * subsets.  The std is the spread of the subset values, not a standard
 * error of the mean (the subsets overlap).  E[MMD²_u] = MMD² exactly, so the
 * KID of two samples of one distribution is 0 in expectation and can be
 * negative.  Kernel sums go through BLAS: dsyrk for X Xᵀ and Y Yᵀ, dgemm
 * for X Yᵀ.
 *
 * Typical use:
 *     spire_kid_result k;
 *     spire_kid(real, nr, fake, nf, D, 100, 1000, seed, &k);  // k.mean, k.std
 */
#ifndef SPIRE_KID_H
#define SPIRE_KID_H

#include <stddef.h>
#include <stdint.h>

#define SPIRE_STREAM_KID 0x5105u

typedef struct {
    double mean, std;        /* over subsets; std with ddof = 0 (torchmetrics) */
    size_t subsets, subset_size;
} spire_kid_result;

/* MMD²_u of X (m, D) and Y (n, D), m, n ≥ 2.  GSL_EDOM for m or n < 2 or
 * D = 0, GSL_EINVAL for a NULL pointer, GSL_ENOMEM. */
int spire_kid_mmd2(const double *X, size_t m, const double *Y, size_t n, size_t D,
                   double *mmd2);

/* KID over given subsets: subset s uses rows idx_real[s·size ..] of real and
 * idx_fake[s·size ..] of fake (each index < nr, resp. < nf; distinct within a
 * subset is the caller's business).  GSL_EDOM on a bad index, size < 2,
 * subsets = 0 or D = 0; GSL_EINVAL for a NULL pointer. */
int spire_kid_idx(const double *real, size_t nr, const double *fake, size_t nf, size_t D,
                  size_t subsets, size_t size, const size_t *idx_real, const size_t *idx_fake,
                  spire_kid_result *res);

/* KID over `subsets` random subsets; subset s draws from stream
 * spl_rng_alloc(seed, SPIRE_STREAM_KID, s) (real rows, then fake rows).
 * GSL_EDOM if size < 2, size > nr or size > nf, subsets = 0 or D = 0;
 * GSL_EINVAL for a NULL pointer. */
int spire_kid(const double *real, size_t nr, const double *fake, size_t nf, size_t D,
              size_t subsets, size_t size, uint64_t seed, spire_kid_result *res);

#endif
