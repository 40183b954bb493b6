/* common/spl.h — small numerical helpers every spirelab module uses.
 *
 * Stable logistic functions, the seed-derivation rule that makes every random
 * experiment reproducible whatever the number of threads (DESIGN.md: a stream
 * is a function of (seed, index...), never of a thread id), and library set-up.
 * Errors are GSL status codes (GSL_SUCCESS, GSL_EINVAL, GSL_EDOM, GSL_ENOMEM…).
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

#endif
