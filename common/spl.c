#include "common/spl.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <gsl/gsl_errno.h>

void spl_init(void) { gsl_set_error_handler_off(); }

/* OpenBLAS's own controls (declared in its cblas.h, not in GSL's). */
int openblas_get_num_threads(void);
void openblas_set_num_threads(int num_threads);

int spl_blas_threads(int k)
{
    int prev = openblas_get_num_threads();
    if (k >= 1 && k != prev) openblas_set_num_threads(k);
    return prev;
}

double spl_sigmoid(double x)
{
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

double spl_log1pexp(double x)
{
    if (x > 0) return x + log1p(exp(-x));
    return log1p(exp(x));
}

double spl_logit(double p)
{
    if (p < 0.3) return log(p) - log1p(-p);
    if (p > 0.7) return log1p(-(1.0 - p)) - log(1.0 - p);
    return log(p / (1.0 - p));
}

/* σ(x) − σ(y) = σ(x)σ(−y)·(1 − e^{−(x−y)}) = −σ(x)σ(−y)·expm1(y−x). */
double spl_sigmoid_diff(double x, double y)
{
    return -spl_sigmoid(x) * spl_sigmoid(-y) * expm1(y - x);
}

static uint64_t splitmix(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t spl_stream_seed(uint64_t seed, uint64_t i, uint64_t j)
{
    return splitmix(splitmix(splitmix(seed) ^ i) ^ j);
}

void spl_rng_seed(gsl_rng *r, uint64_t seed, uint64_t i, uint64_t j)
{
    /* taus2 needs a nonzero seed; GSL maps 0 to its default, which is fine. */
    gsl_rng_set(r, (unsigned long)spl_stream_seed(seed, i, j));
}

gsl_rng *spl_rng_alloc(uint64_t seed, uint64_t i, uint64_t j)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    if (r) spl_rng_seed(r, seed, i, j);
    return r;
}

void spl_stat_add(spl_stat *s, double x)
{
    s->n += 1.0;
    double d = x - s->mean;
    s->mean += d / s->n;
    s->m2 += d * (x - s->mean);
}

void spl_stat_merge(spl_stat *into, const spl_stat *from)
{
    if (from->n == 0) return;
    if (into->n == 0) { *into = *from; return; }
    double n = into->n + from->n, d = from->mean - into->mean;
    into->mean += d * from->n / n;
    into->m2 += from->m2 + d * d * into->n * from->n / n;
    into->n = n;
}

double spl_stat_sd(const spl_stat *s) { return s->n > 1 ? sqrt(s->m2 / (s->n - 1)) : 0.0; }
double spl_stat_se(const spl_stat *s) { return s->n > 1 ? spl_stat_sd(s) / sqrt(s->n) : 0.0; }

int spl_errf(int status, char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return status;
}

void *spl_fail(int *status, int st)
{
    if (status) *status = st;
    return NULL;
}

void spl_status(int *status, int st)
{
    if (status) *status = st;
}
