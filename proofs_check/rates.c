/* proofs_check/rates.c — thresholds with a stated false-alarm rate and the
 * binomial summaries of a seed study (proofs_check/rates.h). */
#include "proofs_check/rates.h"

#include <math.h>
#include <stdlib.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_statistics_double.h>

static int rate_ok(double alpha) { return alpha > 0 && alpha < 1; }

int pc_rate_sidak_level(double alpha, size_t m, double *level)
{
    if (!level) return GSL_EINVAL;
    if (!rate_ok(alpha) || m == 0) return GSL_EDOM;
    *level = -expm1(log1p(-alpha) / (double)m);
    return GSL_SUCCESS;
}

int pc_rate_sidak_z(double alpha, size_t m, double *z)
{
    if (!z) return GSL_EINVAL;
    double level;
    int st = pc_rate_sidak_level(alpha, m, &level);
    if (st) return st;
    *z = gsl_cdf_ugaussian_Qinv(0.5 * level);
    return GSL_SUCCESS;
}

int pc_rate_bonferroni(double alpha, size_t m, double *level)
{
    if (!level) return GSL_EINVAL;
    if (!rate_ok(alpha) || m == 0) return GSL_EDOM;
    *level = alpha / (double)m;
    return GSL_SUCCESS;
}

int pc_rate_fisher_upper(double r, size_t n, double alpha, double *upper)
{
    if (!upper) return GSL_EINVAL;
    if (!rate_ok(alpha) || n < 4 || !(r > -1 && r < 1)) return GSL_EDOM;
    *upper = tanh(atanh(r) + gsl_cdf_ugaussian_Qinv(alpha) / sqrt((double)n - 3));
    return GSL_SUCCESS;
}

int pc_rate_fisher_crit(double rho0, size_t n, double alpha, double *crit)
{
    if (!crit) return GSL_EINVAL;
    if (!rate_ok(alpha) || n < 4 || !(rho0 > -1 && rho0 < 1)) return GSL_EDOM;
    *crit = tanh(atanh(rho0) - gsl_cdf_ugaussian_Qinv(alpha) / sqrt((double)n - 3));
    return GSL_SUCCESS;
}

int pc_rate_tolerance(double tol, double se, double alpha, double *thr)
{
    if (!thr) return GSL_EINVAL;
    if (!rate_ok(alpha) || !(tol >= 0) || !(se >= 0) || !isfinite(tol) || !isfinite(se)) return GSL_EDOM;
    *thr = tol + gsl_cdf_ugaussian_Qinv(0.5 * alpha) * se;
    return GSL_SUCCESS;
}

int pc_rate_slope(const double *x, const double *y, const double *sy, size_t n, double *slope, double *se)
{
    if (!x || !y || !sy || !slope || !se) return GSL_EINVAL;
    if (n < 2) return GSL_EDOM;
    double w[64];
    if (n > 64) return GSL_EDOM;
    for (size_t i = 0; i < n; i++) {
        if (!(sy[i] > 0) || !isfinite(sy[i]) || !isfinite(x[i]) || !isfinite(y[i])) return GSL_EDOM;
        w[i] = 1.0 / (sy[i] * sy[i]);
    }
    double c0, cov00, cov01, cov11, chisq;
    int st = gsl_fit_wlinear(x, 1, w, 1, y, 1, n, &c0, slope, &cov00, &cov01, &cov11, &chisq);
    if (st) return st;
    *se = sqrt(cov11);
    return GSL_SUCCESS;
}

int pc_rate_log_mean(const double *x, size_t R, double *logmean, double *se)
{
    if (!x || !logmean || !se) return GSL_EINVAL;
    if (R < 2) return GSL_EDOM;
    double m = gsl_stats_mean(x, 1, R);
    if (!(m > 0)) return GSL_EDOM;
    *logmean = log(m);
    *se = gsl_stats_sd_m(x, 1, R, m) / (m * sqrt((double)R));
    return GSL_SUCCESS;
}

int pc_rate_log_rms(const double *e, size_t R, double *logrms, double *se)
{
    if (!e || !logrms || !se) return GSL_EINVAL;
    if (R < 2) return GSL_EDOM;
    double s1 = 0, s2 = 0;               /* mean of e² and of e⁴ */
    for (size_t i = 0; i < R; i++) {
        double q = e[i] * e[i];
        s1 += q;
        s2 += q * q;
    }
    s1 /= (double)R;
    s2 /= (double)R;
    if (!(s1 > 0) || !isfinite(s2)) return GSL_EDOM;
    double var_q = fmax(s2 - s1 * s1, 0.0) * (double)R / (double)(R - 1);
    *logrms = 0.5 * log(s1);
    *se = sqrt(var_q / (double)R) / (2.0 * s1);
    return GSL_SUCCESS;
}

int pc_rate_var_about(const double *x, size_t R, double m, double *var, double *rel_se)
{
    if (!x || !var || !rel_se) return GSL_EINVAL;
    if (R < 2 || !isfinite(m)) return GSL_EDOM;
    double m2 = 0, m4 = 0;
    for (size_t i = 0; i < R; i++) {
        double q = (x[i] - m) * (x[i] - m);
        m2 += q;
        m4 += q * q;
    }
    m2 /= (double)R;
    m4 /= (double)R;
    if (!(m2 > 0) || !isfinite(m4)) return GSL_EDOM;
    *var = m2;
    *rel_se = sqrt(fmax(m4 / (m2 * m2) - 1.0, 0.0) / (double)R);
    return GSL_SUCCESS;
}

/* The arguments of a χ² test of a second moment, and its two-sided p-value
 * 2·min(P(χ²_ν ≤ T), P(χ²_ν ≥ T)) capped at 1. */
static int chisq_args_ok(double s2, size_t R, double v, double kappa)
{
    return R >= 2 && s2 >= 0 && isfinite(s2) && v > 0 && isfinite(v) && kappa > 1 && isfinite(kappa);
}
static double chisq_two_sided(double T, double nu)
{
    return fmin(1.0, 2.0 * fmin(gsl_cdf_chisq_P(T, nu), gsl_cdf_chisq_Q(T, nu)));
}

int pc_rate_msq_chisq(double s2, size_t R, double v, double kappa, double *p)
{
    if (!p) return GSL_EINVAL;
    if (!chisq_args_ok(s2, R, v, kappa)) return GSL_EDOM;
    double nu = 2.0 * (double)R / (kappa - 1.0);
    *p = chisq_two_sided(nu * s2 / v, nu);
    return GSL_SUCCESS;
}

int pc_rate_var_chisq(double s2, size_t R, double v, double kappa, double *p)
{
    if (!p) return GSL_EINVAL;
    if (!chisq_args_ok(s2, R, v, kappa)) return GSL_EDOM;
    double dR = (double)R, nu = 2.0 / (2.0 / (dR - 1.0) + (kappa - 3.0) / dR);
    *p = chisq_two_sided(nu * s2 / v, nu);
    return GSL_SUCCESS;
}

int pc_rate_z_of_p(double p, double *z)
{
    if (!z) return GSL_EINVAL;
    if (!(p >= 0 && p <= 1)) return GSL_EDOM;
    *z = p > 0 ? gsl_cdf_ugaussian_Qinv(0.5 * p) : INFINITY;
    return GSL_SUCCESS;
}

/* Second and fourth moment of R values about c (c NaN: their mean). */
static void moments_about(const double *x, size_t R, double c, double *m2, double *m4)
{
    if (isnan(c)) c = gsl_stats_mean(x, 1, R);
    double s2 = 0, s4 = 0;
    for (size_t i = 0; i < R; i++) {
        double q = (x[i] - c) * (x[i] - c);
        s2 += q;
        s4 += q * q;
    }
    *m2 = s2 / (double)R;
    *m4 = s4 / (double)R;
}

int pc_rate_var_family(const double *x, size_t m, size_t R, const double *centre, const double *v,
                       int pool, double *zmax, size_t *iworst, double *ratio)
{
    if (!x || !v || !zmax || !iworst) return GSL_EINVAL;
    if (m == 0 || R < 2) return GSL_EDOM;
    double kpool = 0, *mom = malloc(2 * m * sizeof *mom);   /* each group's m2, m4: computed once */
    if (!mom) return GSL_ENOMEM;
    for (size_t i = 0; i < m; i++) {
        double *m2 = &mom[2 * i], *m4 = &mom[2 * i + 1];
        moments_about(x + i * R, R, centre ? centre[i] : NAN, m2, m4);
        if (!(*m2 > 0) || !isfinite(*m4) || !(v[i] > 0)) { free(mom); return GSL_EDOM; }
        kpool += *m4 / (*m2 * *m2) / (double)m;
    }
    *zmax = 0;
    *iworst = 0;
    int st = GSL_SUCCESS;
    for (size_t i = 0; i < m && !st; i++) {
        double m2 = mom[2 * i], m4 = mom[2 * i + 1], p, z;
        double kappa = fmax(pool ? kpool : m4 / (m2 * m2), 3.0);
        double s2 = centre ? m2 : m2 * (double)R / (double)(R - 1);
        st = centre ? pc_rate_msq_chisq(s2, R, v[i], kappa, &p) : pc_rate_var_chisq(s2, R, v[i], kappa, &p);
        if (!st) st = pc_rate_z_of_p(p, &z);
        if (st) break;
        if (ratio) ratio[i] = s2 / v[i];
        if (z > *zmax) { *zmax = z; *iworst = i; }
    }
    free(mom);
    return st;
}

int pc_rate_binom_ci(size_t k, size_t n, double conf, double *lo, double *hi)
{
    if (!lo || !hi) return GSL_EINVAL;
    if (n == 0 || k > n || !rate_ok(conf)) return GSL_EDOM;
    double a = 0.5 * (1 - conf), dk = (double)k, dn = (double)n;
    *lo = k == 0 ? 0.0 : gsl_cdf_beta_Pinv(a, dk, dn - dk + 1);
    *hi = k == n ? 1.0 : gsl_cdf_beta_Qinv(a, dk + 1, dn - dk);
    return GSL_SUCCESS;
}

int pc_rate_binom_tail(size_t k, size_t n, double p, double *tail)
{
    if (!tail) return GSL_EINVAL;
    if (k > n || !(p >= 0 && p <= 1)) return GSL_EDOM;
    /* gsl_cdf_binomial_Q(k, p, n) = P(X > k) */
    *tail = k == 0 ? 1.0 : gsl_cdf_binomial_Q((unsigned)(k - 1), p, (unsigned)n);
    return GSL_SUCCESS;
}

int pc_rate_seeds_verdict(size_t fails, size_t n, double alpha, double level, int *ok, double *tail)
{
    if (!ok || !tail) return GSL_EINVAL;
    if (!rate_ok(alpha) || !rate_ok(level) || n == 0) return GSL_EDOM;
    int st = pc_rate_binom_tail(fails, n, alpha, tail);
    if (st) return st;
    *ok = *tail >= level;
    return GSL_SUCCESS;
}
