/* proofs_check/claims.h — every claim of THEORY.md §7 as a numerical check
 * with a verdict.
 *
 * Each pc_cN function runs its experiment and fills a pc_result: what was
 * checked and on which grid (claim), the measured figure, the threshold it
 * is held to, the verdict and the wall time.  The experiment, its grid, its
 * threshold and why that threshold is right are in the comment above each
 * function in claims.c.  No claim restates the code it checks: each
 * compares two independent computations, or a simulation with a quadrature
 * prediction, or an observed threshold with a formula.
 *
 * Rates (proofs_check/rates.h, docs/claims.md): C1–C3 and C8 are
 * deterministic (quadrature, root finding, GD iterations: no random draw, a
 * FAIL is a counterexample or an error beyond a certified bound; C12, a
 * certified counterexample search, likewise).  C4–C7, C9–C11 and C13 are
 * random: each states its null model (what "the claim holds" means for the
 * random figure it measures) and sets its threshold so that a FAIL has
 * probability at most PC_ALPHA = 1% under it, in full and quick mode.  The
 * claim text printed names the rate.
 *
 * Test hooks (pc_opts): `loss` replaces the analytic loss the claims use (a
 * deliberately wrong loss must make them FAIL), `threshold` (if not NaN)
 * replaces the claim's own threshold, `mutant` = 1 runs a random claim with
 * its deliberately wrong model (named in the claim's header; the power
 * study of `spirelab check --seeds --mutant`).  Functions return a GSL
 * status (failure to run, not failure of the claim: that is res->pass = 0):
 * GSL_EINVAL for a NULL o or r, GSL_ENOMEM, or the first failing status of
 * the computations they run (in the order they run them).
 */
#ifndef PC_CLAIMS_H
#define PC_CLAIMS_H

#include <stddef.h>
#include <stdint.h>
#include "ddpm/ddpm.h"
#include "ddpm/kmix.h"

typedef int (*pc_loss_fn)(ddpm_quad *q, const gmm2 *g, double a, double b, double w,
                          ddpm_loss_result *res);

/* The K-component loss (C12, C13): kmix_loss_quad's signature. */
typedef int (*pc_kloss_fn)(const kmix_quad *q, const kmix *m, double a, double b, const double *w,
                           int what, kmix_result *res);

typedef struct {
    int quick;              /* 0 full, 1 reduced grids and replicates, 2 the tiny grids of the unit tests */
    uint64_t seed;
    pc_loss_fn loss;        /* NULL: ddpm_loss_level */
    double threshold;       /* NaN: the claim's own */
    pc_kloss_fn kloss;      /* NULL: kmix_loss_quad (C12, C13) */
    int mutant;             /* 1: the claim's deliberately wrong model (power studies); 0 default */
} pc_opts;

typedef struct {
    const char *id;         /* "C1" … */
    char claim[320];        /* what was checked, on which grid, secondary figures */
    double measured;
    double threshold;
    int pass;
    double seconds;
    int sense;              /* +1: passes when measured is below the threshold; -1: above (0 unset: +1) */
} pc_result;

void pc_opts_default(pc_opts *o);   /* full mode, seed 1, the library's loss (nothing for NULL) */

int pc_c1_identifiability(const pc_opts *o, pc_result *r);
int pc_c2_landscape(const pc_opts *o, pc_result *r);
int pc_c3_gd_rate(const pc_opts *o, pc_result *r);
int pc_c4_mc_agreement(const pc_opts *o, pc_result *r);
int pc_c5_dimension_free(const pc_opts *o, pc_result *r);
int pc_c6_rate(const pc_opts *o, pc_result *r);
int pc_c7_mle_bridge(const pc_opts *o, pc_result *r);
int pc_c8_step_size(const pc_opts *o, pc_result *r);
int pc_c9_means_contrast(const pc_opts *o, pc_result *r);
int pc_c10_embedding_bias(const pc_opts *o, pc_result *r);   /* proofs_check/c10.c */
int pc_c11_weighting(const pc_opts *o, pc_result *r);        /* proofs_check/c11.c */
int pc_c12_kcomp_landscape(const pc_opts *o, pc_result *r);        /* proofs_check/kclaims.c */
int pc_c13_kcomp_dimension_free(const pc_opts *o, pc_result *r);   /* proofs_check/kclaims.c */

/* The table of claims, in order. */
typedef struct {
    const char *id;
    int (*run)(const pc_opts *o, pc_result *r);
    int random;             /* 1: a random experiment with false-alarm rate PC_ALPHA; 0: deterministic
                               (or, C12, a certified counterexample search: any failure is a finding) */
    int mutant;             /* 1: pc_opts.mutant runs its deliberately wrong model (every random claim) */
} pc_claim;
extern const pc_claim pc_claims[];
extern const size_t pc_nclaims;
/* At most PC_CLAIMS_MAX claims (checked when claims.c compiles): callers
 * keep a bit set of claims in an unsigned int. */
#define PC_CLAIMS_MAX 32

/* The wrong models the tests and the mutants use: the true loss with its
 * minimum moved to θ* + PC_SHIFT (0.3), and the true loss with a Hessian
 * PC_HESS_FACTOR (1.2) times too large. */
#define PC_SHIFT 0.3
#define PC_HESS_FACTOR 1.2
int pc_loss_shifted(ddpm_quad *q, const gmm2 *g, double a, double b, double w, ddpm_loss_result *r);
int pc_loss_bad_hess(ddpm_quad *q, const gmm2 *g, double a, double b, double w, ddpm_loss_result *r);

/* A seed study of one claim (spirelab check --seeds): add each seed's
 * result; the verdict compares the failure count with the claim's design
 * rate (PC_ALPHA for a random claim, pc_rate_seeds_verdict at level
 * PC_SEEDS_LEVEL; none allowed for a deterministic one).  worst: the
 * measured value of the seed closest to (or furthest past) its threshold,
 * i.e. the largest sense·(measured − threshold), a failing seed first (a
 * claim may fail on a secondary figure while its measured value is fine). */
typedef struct {
    size_t n, pass;
    double worst, worst_thr, worst_gap;
    double least, least_thr, least_gap;   /* the seed with the smallest sense·(measured − threshold):
                                             in a power study, the weakest detection */
} pc_tally;
void pc_tally_init(pc_tally *t);                        /* NULL: nothing */
void pc_tally_add(pc_tally *t, const pc_result *r);     /* NULL t or r: nothing */
/* Pass fraction with its Clopper–Pearson 95% interval, the tail probability
 * P(X ≥ failures) under the design rate (1 for a deterministic claim with
 * no failure, 0 with one), and ok.  GSL_EDOM if no seed was added. */
int pc_tally_verdict(const pc_tally *t, int random, double *frac, double *lo, double *hi,
                     double *tail, int *ok);
/* The same tally of a power study (every seed run with the claim's wrong
 * model): power = failure fraction with its Clopper–Pearson 95% interval;
 * ok iff power ≥ 0.99 (with 20 seeds: every seed FAILs). */
int pc_tally_power(const pc_tally *t, double *power, double *lo, double *hi, int *ok);

/* One replicate of the joint fit of C9: n explicit d-dimensional draws at level
 * a from the stream `seed`, then `steps` steps of gradient descent on the
 * empirical DDPM loss over (w, μ1, μ2) from the truth, step
 * 1/(a²b²(2 + Δ²/4)).  Returns the mean error ||μ̂1 − μ1|| + ||μ̂2 − μ2||,
 * the same error of the means' components along the separating direction u
 * only (mean_err_u, may be NULL; it grows with d too, like d^0.26 in C9's
 * setting, through the coupling with the other directions) and the fitted
 * weight p̂.  With a one-dimensional g it is the fit of a model that learns
 * the means only along u (C9's wrong model).  GSL_ENOMEM if the (n, d)
 * arrays cannot be had; GSL_EINVAL for a NULL pointer (mean_err_u excepted);
 * GSL_EDOM for a ∉ (0, 1) or n = 0. */
int pc_joint_fit(const gmm2 *g, double a, size_t n, size_t steps, uint64_t seed,
                 double *mean_err, double *mean_err_u, double *p_hat);

/* Two-sample Kolmogorov–Smirnov test: statistic D and asymptotic p-value
 * (Kolmogorov distribution with the Stephens small-sample correction).
 * x and y are sorted in place.  GSL_EINVAL for a NULL pointer, GSL_EDOM if
 * nx or ny is 0. */
int pc_ks2(double *x, size_t nx, double *y, size_t ny, double *D, double *pvalue);
/* C13's covariance family (proofs_check/kclaims.c): W (nd·R rows of 2, the
 * replicates of √n(ŵ − θ*) of nd dimensions, R each) against the predicted
 * n·Cov cov (2 × 2, row-major): the mean squares of W₀, W₁ and
 * W₀/√cov₀₀ + W₁/√cov₁₁ at each dimension, each by pc_rate_msq_chisq with
 * the kurtosis of that combination pooled over all nd·R rows.  *pmin the
 * smallest of the *m = 3·nd p-values, *rmax the mean-square ratio farthest
 * from 1 (in log), *sdrel the largest |√ratio − 1| of W₀ and W₁.
 * GSL_EINVAL for a NULL pointer; GSL_EDOM for nd = 0, R < 2, or a
 * non-positive variance. */
int pc_c13_cov_family(const double *W, size_t nd, size_t R, const double *cov, double *pmin,
                      size_t *m, double *rmax, double *sdrel);

#endif
