/* common/spl.h — small numerical helpers every spirelab module uses.
 *
 * Stable logistic functions, the seed-derivation rule that makes every random
 * experiment reproducible whatever the number of threads (DESIGN.md: a stream
 * is a function of (seed, index...), never of a thread id), and library set-up.
 *
 * Errors: one convention for every module (gmm/, ddpm/, spire/, proofs_check/).
 * A function that can fail returns a GSL status and hands its results back
 * through trailing pointers; its header lists the codes it returns:
 *   GSL_EINVAL   a NULL pointer argument (or a required pointer member of a
 *                struct argument); an unknown name or enumeration value;
 *                objects whose sizes do not fit together (a model of another
 *                configuration, a data set of another dimension); text or a
 *                file that is malformed (parsers: a reason in err/why; a
 *                spec string's value out of range counts as malformed text,
 *                except that pc_sweep_list_parse reports a grid value
 *                outside its axis's domain as GSL_EDOM);
 *   GSL_EDOM     a number outside the range documented for it: a real
 *                parameter (π ∉ (0,1), a ≤ 0, tol ≤ 0, a non-finite value), a
 *                count or size (n = 0 where n ≥ 1 is needed), an index (a
 *                client ≥ C, a step > T), a numeric field of an options struct;
 *   GSL_ENOMEM   an allocation failed (everything allocated so far is freed);
 *   GSL_EMAXITER an iteration limit was reached (the results are still set);
 *   GSL_EFAILED  a file could not be read or written (reason from errno).
 * Checks run in that order: pointers first (EINVAL), then values (EDOM).
 * When several things fail (a loop over levels, clients, blocks), the status
 * returned is the first failing one in index order, never a combination.
 * Constructors return the new object, or NULL.  One that can fail only for
 * lack of memory (ddpm_quad_alloc) takes no status: NULL means GSL_ENOMEM.
 * One that can also refuse its arguments takes a trailing `int *status`
 * (may be NULL) that receives GSL_SUCCESS or the code above, and, where a
 * reason text helps the user (specs, files, grids), `char *err, size_t
 * errlen` filled by spl_errf.  Functions that return a value instead of a
 * status (gmm2_logpdf, spire_config_n_params, …) return NaN (or 0 for a
 * size) for a NULL argument.  The layer kernels of spire/nn.h check nothing
 * (documented there).  The library never prints or exits; GSL's own error
 * handler is off (spl_init).
 */
#ifndef SPL_H
#define SPL_H

#include <stddef.h>
#include <stdint.h>
#include <gsl/gsl_rng.h>

#define SPL_VERSION "0.1.0"

/* Call once before using the library: turns off GSL's abort-on-error handler
 * (every spirelab function checks and returns GSL status codes instead). */
void spl_init(void);

/* Threads.  Independent work (clients of a round, sample blocks, clients'
 * KID, Monte Carlo blocks) runs on omp_get_max_threads() OpenMP threads
 * (the CLI's --threads K sets it); inside such workers the matrix products
 * run single-threaded: spl_blas_threads(1) returns the previous OpenBLAS
 * thread count, to be restored with spl_blas_threads(prev).  Results never
 * depend on either count. */
int spl_blas_threads(int k);

/* sigmoid(x) = 1/(1+e^-x), accurate and overflow-free for every finite x. */
double spl_sigmoid(double x);
/* log(1+e^x) without overflow. */
double spl_log1pexp(double x);
/* logit(p) = log(p/(1-p)), for p in (0,1); log1p form near p = 1/2 and 1. */
double spl_logit(double p);
/* sigmoid(x) - sigmoid(y) without cancellation when x ≈ y. */
double spl_sigmoid_diff(double x, double y);

/* Seed of the random stream number (i, j) of an experiment seeded with `seed`:
 * a SplitMix64 finaliser applied to the three words in turn.  Streams for
 * different (i, j) are unrelated; the same (seed, i, j) gives the same stream. */
uint64_t spl_stream_seed(uint64_t seed, uint64_t i, uint64_t j);

/* A fresh GSL generator (taus2: fast, period 2^88) seeded with
 * spl_stream_seed(seed, i, j).  NULL if out of memory.  Free with gsl_rng_free. */
gsl_rng *spl_rng_alloc(uint64_t seed, uint64_t i, uint64_t j);
/* Reseed an existing generator as stream (seed, i, j). */
void spl_rng_seed(gsl_rng *r, uint64_t seed, uint64_t i, uint64_t j);

/* Welford accumulator of a mean and its standard error; merged in a fixed
 * order (Chan et al.) so that a blocked parallel sum is bit-identical
 * whatever the number of threads. */
typedef struct { double n, mean, m2; } spl_stat;
void spl_stat_add(spl_stat *s, double x);
void spl_stat_merge(spl_stat *into, const spl_stat *from);
double spl_stat_se(const spl_stat *s);   /* sqrt(var/n); 0 if n < 2 */
double spl_stat_sd(const spl_stat *s);   /* sample standard deviation */

/* Write a printf-style message into err (errlen bytes, if err is not NULL)
 * and return status: the one-liner behind every "status + reason" error
 * path of the library (the caller decides what to print). */
int spl_errf(int status, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Store st in *status (if status is not NULL) and return NULL: the one-liner
 * behind a constructor's failure path (`return spl_fail(status, GSL_EDOM);`).
 * spl_status is the same without the NULL, for the success path. */
void *spl_fail(int *status, int st);
void spl_status(int *status, int st);

#endif
