/* common/ksum.h — a compensated (Neumaier) sum that also keeps Σ|x|, with a
 * bound on its own rounding error: sums of many terms (time averages over T
 * levels) stay accurate to a few ulps of the result instead of T ulps of Σ|x|.
 *
 *   spl_ksum k = SPL_KSUM_INIT;
 *   for (...) spl_ksum_add(&k, x);
 *   double s = spl_ksum_val(&k), e = spl_ksum_err(&k);   // |s − Σx| ≤ e
 *
 * Bound (Higham, Accuracy and Stability of Numerical Algorithms, §4.3):
 * |ŝ − s| ≤ 2u|s| + O(n u²) Σ|x|, u = DBL_EPSILON/2; spl_ksum_err returns
 * DBL_EPSILON·|ŝ| + 4n·DBL_EPSILON²·Σ|x| (≥ the bound for n ≤ 1e12). */
#ifndef SPL_KSUM_H
#define SPL_KSUM_H

#include <float.h>
#include <math.h>
#include <stddef.h>

typedef struct { double s, c, abs; size_t n; } spl_ksum;
#define SPL_KSUM_INIT { 0.0, 0.0, 0.0, 0 }

static inline void spl_ksum_add(spl_ksum *k, double x)
{
    double t = k->s + x;
    k->c += fabs(k->s) >= fabs(x) ? (k->s - t) + x : (x - t) + k->s;
    k->s = t;
    k->abs += fabs(x);
    k->n++;
}

static inline double spl_ksum_val(const spl_ksum *k) { return k->s + k->c; }

static inline double spl_ksum_err(const spl_ksum *k)
{
    return DBL_EPSILON * fabs(k->s + k->c) + 4.0 * (double)k->n * DBL_EPSILON * DBL_EPSILON * k->abs;
}

#endif
