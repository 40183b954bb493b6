/* proofs_check/rates.h — the false-alarm rate of a random claim, and the
 * seed studies that measure it (docs/claims.md, "Rates").
 *
 * Design rule of spirelab check: a claim whose experiment is random FAILs
 * with probability at most PC_ALPHA (1%) when the claim holds, under a null
 * model stated in the claim's header comment, in every mode (full, --quick).
 * The helpers below turn that rule into thresholds:
 *
 *   max |z| over m comparisons   pc_rate_sidak_z       (Šidák: valid for any
 *                                                       correlation of jointly
 *                                                       normal z's)
 *   min p-value over m tests     pc_rate_bonferroni    (any dependence)
 *   a correlation ≥ ρ0 claimed   pc_rate_fisher_crit   (Fisher z bound)
 *   an estimate within ±tol      pc_rate_tolerance     (tol + z·SE)
 *   of a target (slope, ratio)   pc_rate_slope         (weighted LS slope and
 *                                                       its SE from known
 *                                                       per-point SEs)
 *   a second moment against a    pc_rate_msq_chisq     (Satterthwaite χ²,
 *   predicted one                pc_rate_var_chisq     kurtosis given; about
 *                                                       a known centre / the
 *                                                       sample mean)
 *   a family of them, max |z|    pc_rate_var_family    (z-equivalents of the
 *                                pc_rate_z_of_p         χ² p-values)
 *   SEs of Monte Carlo figures   pc_rate_log_mean, pc_rate_log_rms,
 *                                pc_rate_var_about     (delta method, with
 *                                                       the sample's own
 *                                                       kurtosis)
 * and the seed study (spirelab check --seeds):
 *   pc_rate_binom_ci      Clopper–Pearson interval of a pass fraction
 *   pc_rate_binom_tail    P(X ≥ k), X ~ Binomial(n, p)
 *   pc_rate_seeds_verdict is k failures in n seeds compatible with the
 *                         design rate (tail probability ≥ PC_SEEDS_LEVEL)?
 *
 * Every function returns a GSL status: GSL_EINVAL for a NULL pointer,
 * GSL_EDOM for a rate outside (0, 1), too few points or a non-finite input.
 * Quantiles are GSL's (gsl_cdf_ugaussian_Qinv, gsl_cdf_beta_Pinv,
 * gsl_cdf_binomial_Q).
 */
#ifndef PC_RATES_H
#define PC_RATES_H

#include <stddef.h>

#define PC_ALPHA 0.01          /* design false-alarm rate of every random claim */
#define PC_SEEDS_LEVEL 0.001   /* a seed study FAILs a claim if its failure count has tail probability below this */

/* Šidák per-comparison level 1 − (1 − alpha)^(1/m), and the two-sided normal
 * threshold t = Q⁻¹(level/2): P(max_i |z_i| > t) ≤ alpha for m standard normal
 * z's, independent or (Šidák's inequality) jointly normal with any correlation. */
int pc_rate_sidak_level(double alpha, size_t m, double *level);
int pc_rate_sidak_z(double alpha, size_t m, double *z);

/* Bonferroni per-test level alpha/m for m p-values of any dependence. */
int pc_rate_bonferroni(double alpha, size_t m, double *level);

/* Fisher z: for a Pearson correlation r of n ≥ 4 bivariate-normal pairs,
 * atanh(r) ≈ N(atanh ρ, 1/(n − 3)).  pc_rate_fisher_upper: the one-sided
 * (1 − alpha) upper confidence bound tanh(atanh r + z_{1−α}/√(n−3)).
 * pc_rate_fisher_crit: the smallest r whose upper bound still reaches rho0,
 * tanh(atanh ρ0 − z_{1−α}/√(n−3)): "r ≤ crit" rejects ρ ≥ ρ0 at level alpha. */
int pc_rate_fisher_upper(double r, size_t n, double alpha, double *upper);
int pc_rate_fisher_crit(double rho0, size_t n, double alpha, double *crit);

/* Threshold for |estimate − target| when the claim allows a tolerance tol
 * (the pre-asymptotic slack, stated by the claim) and the estimate has
 * standard error se: tol + z_{1−α/2}·se.  If |true − target| ≤ tol the
 * test FAILs with probability ≤ alpha (normal estimate). */
int pc_rate_tolerance(double tol, double se, double alpha, double *thr);

/* Weighted least-squares slope of y on x with known standard errors sy of
 * the y's (weights 1/sy²; gsl_fit_wlinear) and the slope's SE from those
 * weights (not from the residuals: valid with 3 points).  n ≥ 2. */
int pc_rate_slope(const double *x, const double *y, const double *sy, size_t n,
                  double *slope, double *se);

/* log of the mean of R ≥ 2 positive values and its delta-method SE
 * sd/(mean·√R); log of the root mean square √(Σe²/R) and its SE
 * sd(e²)/(2·mean(e²)·√R). */
int pc_rate_log_mean(const double *x, size_t R, double *logmean, double *se);
int pc_rate_log_rms(const double *e, size_t R, double *logrms, double *se);

/* Variance about a known centre m, v = Σ(x − m)²/R, and its relative SE
 * √((m4/v² − 1)/R) with the sample's fourth moment m4 about m (no normality
 * assumed: for normal x it is √(2/R)). */
int pc_rate_var_about(const double *x, size_t R, double m, double *var, double *rel_se);

/* Mean square s2 = Σx²/R of R ≥ 2 values against its predicted value
 * v = E[x²] (x about a known centre), when x has kurtosis
 * kappa = E[x⁴]/E[x²]² > 1: T = ν·s2/v with ν = 2R/(κ − 1) is referred to
 * χ²_ν (Satterthwaite: T has the mean ν and the variance 2ν of χ²_ν; exact
 * for normal x, κ = 3, ν = R).  *p = the two-sided p-value
 * 2·min(P(χ²_ν ≤ T), P(χ²_ν ≥ T)), capped at 1.  The χ² keeps the skewness of
 * a mean square that a normal z = (s2 − v)/SE ignores: with z and the SE from
 * the sample itself, C13's max over 15 entries had a 1.6% false-alarm rate
 * at a nominal 0.5% (docs/claims.md, "C13's covariance test"). */
int pc_rate_msq_chisq(double s2, size_t R, double v, double kappa, double *p);

/* The same for a variance about the SAMPLE mean: s2 = Σ(x − x̄)²/(R − 1) of
 * R ≥ 2 values against its predicted value v = Var x, x of kurtosis
 * kappa > 1.  Var(s2) = v²(2/(R − 1) + (κ − 3)/R) (exact for any law), so
 * T = ν·s2/v with ν = 2/(2/(R − 1) + (κ − 3)/R) is referred to χ²_ν
 * (Satterthwaite; exact for normal x: ν = R − 1).  *p the two-sided p-value
 * as pc_rate_msq_chisq.  Codes as pc_rate_msq_chisq. */
int pc_rate_var_chisq(double s2, size_t R, double v, double kappa, double *p);

/* The two-sided normal equivalent of a p-value, z = Q⁻¹(p/2) (+∞ for
 * p = 0), so that a claim whose figure is "max |z|" can test a χ² p-value
 * against its Šidák or Bonferroni z threshold: |z| > t iff p < 2Q(t).
 * GSL_EINVAL for z NULL; GSL_EDOM for p outside [0, 1]. */
int pc_rate_z_of_p(double p, double *z);

/* A family of m variance tests (C5's sd, C7's variances, C11's
 * efficiencies): x holds m groups of R ≥ 2 values (group i at x + i·R), v[i]
 * the predicted variance of group i.  With centre NULL each group's sample
 * variance about its own mean is tested by pc_rate_var_chisq; otherwise its
 * mean square about centre[i] by pc_rate_msq_chisq.  The kurtosis: each
 * group's own m4/m2² (about the same centre) when pool is 0; their average
 * over the m groups when pool is 1 (groups whose laws differ only in scale,
 * as C5's dimensions: less noise); either way at least 3, so a tail lighter
 * than the normal's is not credited (the estimate's own noise, SE ≈ √(24/R),
 * would otherwise lift the family's false-alarm rate to 1.1–2.1% at a
 * nominal 1% in C7 and C11: docs/claims.md, "The variance tests after
 * C13").  *zmax the largest z-equivalent
 * (pc_rate_z_of_p) over the groups, *iworst its group, ratio[i] (may be
 * NULL) each group's s2/v[i].  GSL_EINVAL for a NULL pointer (centre and
 * ratio excepted); GSL_EDOM for m = 0, R < 2, a non-positive v[i] or a
 * group without spread; GSL_ENOMEM if its 2m doubles of work space cannot
 * be allocated. */
int pc_rate_var_family(const double *x, size_t m, size_t R, const double *centre, const double *v,
                       int pool, double *zmax, size_t *iworst, double *ratio);

/* Clopper–Pearson interval [lo, hi] of a binomial proportion, k successes in
 * n ≥ 1 trials, confidence conf ∈ (0, 1) (beta quantiles). */
int pc_rate_binom_ci(size_t k, size_t n, double conf, double *lo, double *hi);
/* P(X ≥ k) for X ~ Binomial(n, p), k ≤ n. */
int pc_rate_binom_tail(size_t k, size_t n, double p, double *tail);
/* The seed-study verdict of one claim: with `fails` failures in n seeds and
 * a design false-alarm rate alpha, ok = 1 iff P(X ≥ fails | Binomial(n,
 * alpha)) ≥ level (PC_SEEDS_LEVEL): a failure count that is merely unlucky
 * passes, one that the design rate makes improbable fails.  For n = 20 and
 * alpha = 1%: up to 2 failures pass, 3 fail (P(X ≥ 3) = 0.0010). */
int pc_rate_seeds_verdict(size_t fails, size_t n, double alpha, double level, int *ok,
                          double *tail);

#endif
