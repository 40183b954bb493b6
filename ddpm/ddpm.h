/* ddpm/ddpm.h — the mixing-weight DDPM loss of THEORY.md §3–§6.
 *
 * The data model is a gmm2 (gmm/gmm.h); the model's mixing weight is the
 * logit w (p = sigmoid(w)), the true one θ* = logit π.  At a noise level
 * (a, b), a² + b² = 1, write k = aΔ and let v ~ π N(k/2,1) + (1−π) N(−k/2,1)
 * be the centred projection of x_t on u (the shift c drops out exactly), and
 *   ρ_w(v) = sigmoid(w + k v),  ρ* = ρ_θ*,  r = ρ*(1−ρ*),  r_w = ρ_w(1−ρ_w).
 * Then, per sample and in the units of ||ε − ε̂||² (ε̂ = −b·s_w):
 *   loss(w)   = a²[ d + b²Δ²( E r + E(ρ_w − ρ*)² ) ]
 *   excess(w) = a²b²Δ² E(ρ_w − ρ*)²
 *   grad(w)   = 2a²b²Δ² E[(ρ_w − ρ*) r_w]
 *   hess(w)   = 2a²b²Δ² E[ r_w² + (ρ_w − ρ*) r_w (1 − 2ρ_w) ]
 * Every value carries an error estimate: the quadrature error (analytic) or
 * the standard error (Monte Carlo).  Functions return GSL status codes.
 *
 * Accuracy of the analytic values (docs/accuracy.md; tests/cu_honest.c
 * checks it against quad precision at the corners and 256 random points of
 * a ∈ [1e-3, 1 − 1e-5], Δ ∈ [0.03, 20], π ∈ [1e-6, 1 − 1e-6],
 * |w − θ*| ∈ [1e-4, 25], d ≤ 1e6, and time averages up to T = 1000).
 * "Exact" is the value at the double arguments as given:
 *   - the reported err bounds the actual error, |val − exact| ≤ err: it adds
 *     to the quadrature error a rounding term (DBL_EPSILON times the
 *     magnitudes summed, weighted by each term's argument sizes), carried
 *     through every formula below;
 *   - loss, excess, grad (in w and in p), their time averages and the Fisher
 *     information (gmm.h) are within 1e-12·|val| of exact, excess and grad
 *     within (1e-12 + 1e-15/|w − θ*|)·|val| (near the minimum they are
 *     formed by a cancellation: ρ_w − ρ* ∝ w − θ*);
 *   - hess within 1e-12·2a²b²Δ²·E[r_w² + |ρ_w − ρ*| r_w |1 − 2ρ_w|], i.e.
 *     1e-12 relative away from its sign changes (the inflection points);
 *   - the sandwich nvar_w, nvar_p within 1e-11·|val|.
 * The estimates are conservative: reported/actual is ≥ 2.8 and ~200 in the
 * median, up to 1e9 where the quadrature's two-rule difference dominates.
 *
 * Errors (the convention of common/spl.h): every function returning int
 * returns GSL_EINVAL for a NULL pointer argument (and for an unknown mode,
 * parameterisation or name), GSL_EDOM for a number outside the range its
 * comment states (a, b ∉ (0,1), a² + b² ≠ 1, a non-finite w, n = 0, tol ≤ 0,
 * Δ = 0 where Δ > 0 is needed), GSL_ENOMEM, and GSL_EMAXITER where noted.
 * Constructors that can refuse their arguments take a trailing int *status.
 */
#ifndef DDPM_H
#define DDPM_H

#include <stddef.h>
#include <stdint.h>
#include "gmm/gmm.h"
#include "ddpm/schedule.h"

typedef struct { double val, err; } ddpm_val;

typedef struct {
    ddpm_val loss, excess, grad, hess;
} ddpm_loss_result;

/* ---- quadrature (§3) ----------------------------------------------------
 * For k = aΔ ≤ 0.7, Gauss–Hermite sums over each Gaussian component (GSL's
 * gsl_integration_fixed_hermite); otherwise composite Gauss–Legendre (GSL's
 * glfixed nodes) on panels placed around the two components and graded
 * towards the sigmoid transitions v = −w/k and v = −(θ*)/k.  Every value is
 * computed with two rules of different order; the error estimate is their
 * difference (the lower rule's error: a conservative bound) plus the
 * rounding bound (above).  Relative accuracy ≤ 1e-11 against GSL's adaptive
 * integrators over Δ ∈ [0, 12], π ∈ [1e-6, 1−1e-6], a ∈ [1e-4, 1−1e-10],
 * |w| ≤ 50 (tests/cu_ddpm.c); 1e-12 against quad precision (above).
 * The workspace only holds the rules' nodes: read-only once allocated, so
 * one may be shared by threads. */
typedef struct ddpm_quad ddpm_quad;
ddpm_quad *ddpm_quad_alloc(void);       /* NULL: GSL_ENOMEM (its only failure) */
void ddpm_quad_free(ddpm_quad *q);

/* The one-dimensional expectations behind every formula, over v as above.
 * Each carries its quadrature error estimate. */
typedef struct {
    ddpm_val r;        /* E[ρ*(1−ρ*)] */
    ddpm_val r2;       /* E[(ρ*(1−ρ*))²] */
    ddpm_val r3;       /* E[(ρ*(1−ρ*))³] */
    ddpm_val dsq;      /* E[(ρ_w − ρ*)²] */
    ddpm_val dr;       /* E[(ρ_w − ρ*) r_w] */
    ddpm_val h;        /* E[r_w² + (ρ_w − ρ*) r_w (1 − 2ρ_w)] */
} ddpm_moments;

/* Moments at k = aΔ ≥ 0, θ* = logit π, model logit w.  The error estimates
 * allow θ* to be a rounded logit (by ≤ (1 + |θ*|) ulps, as spl_logit's);
 * ddpm_loss_level, which knows π, is more accurate near w = θ*.  GSL_EDOM on
 * bad values (k < 0, non-finite), GSL_EINVAL for a NULL q or m. */
int ddpm_moments_eval(ddpm_quad *q, double k, double theta, double w, ddpm_moments *m);

/* Loss, excess, gradient and Hessian in w at one level (a, b), both in (0, 1)
 * with a² + b² = 1 (to 1e-9), b passed separately to keep its relative
 * accuracy.  GSL_EDOM otherwise, or for a non-finite w; GSL_EINVAL for a
 * NULL q, g or res. */
int ddpm_loss_level(ddpm_quad *q, const gmm2 *g, double a, double b, double w,
                    ddpm_loss_result *res);
/* The time average L(w) = (1/T) Σ_i ℓ_i(w) over a discrete schedule, by the
 * fast sum over levels of ddpm/weighting.h through the schedule's own plan
 * (s->plan; about 50 of T = 1000 levels at Δ = 2), whose error estimate
 * (included in each err) stays below 1e-12 relative and bounds its
 * difference from the level-by-level sum (tests/cu_weighting.c).  The
 * levels it needs run in parallel, the result does not depend on the
 * number of threads; a failing level returns GSL_EDOM. */
int ddpm_loss_avg(ddpm_quad *q, const gmm2 *g, const ddpm_schedule *s, double w,
                  ddpm_loss_result *res);
/* The same, level by level (T quadratures, in parallel; a failure returns
 * the status of the first failing level in schedule order): the reference
 * ddpm_loss_avg's fast sum is tested against, and the path without a plan
 * (s->plan NULL). */
int ddpm_loss_avg_full(ddpm_quad *q, const gmm2 *g, const ddpm_schedule *s, double w,
                       ddpm_loss_result *res);
/* The same quantities in p = sigmoid(w) coordinates (THEORY.md §3): loss and
 * excess unchanged, grad = ℓ'(w)/(p(1−p)), hess = (ℓ''(w) + ℓ'(w)(2p−1))/(p(1−p))²,
 * from a result in w (level, average or Monte Carlo); the errors are carried
 * through the chain rule, with the rounding of p(1−p) and 2p−1 (formed from
 * e^{−|w|}, without cancellation).  out may alias in.  GSL_EINVAL for a NULL
 * pointer, GSL_EDOM for a non-finite w; hess overflows to ±inf beyond |w| ≈ 350. */
int ddpm_loss_to_p(double w, const ddpm_loss_result *in, ddpm_loss_result *out);

/* ---- Monte Carlo (§4) --------------------------------------------------- */
typedef enum { DDPM_MC_EXPLICIT = 0, DDPM_MC_PROJECTED = 1 } ddpm_mc_mode;
typedef struct {
    ddpm_mc_mode mode;
    size_t n;          /* samples ≥ 1 (0: GSL_EDOM) */
    uint64_t seed;
    int draw_chi2;     /* projected: add a²χ²_{d−1} per sample (1) or its mean a²(d−1) (0) */
} ddpm_mc_opts;
/* Samples are drawn in blocks of DDPM_MC_BLOCK, block j from stream
 * (seed, j): results are bit-identical whatever the number of OpenMP threads.
 * A block size, not a limit: n may be any size_t.  ddpm_mc_level: GSL_EDOM
 * unless a, b ∈ (0,1) with a² + b² = 1 (to 1e-9), w finite, n ≥ 1;
 * GSL_EINVAL for a NULL pointer or an unknown mode. */
#define DDPM_MC_BLOCK 1024
int ddpm_mc_level(const gmm2 *g, double a, double b, double w, const ddpm_mc_opts *o,
                  ddpm_loss_result *res);
/* t uniform over the schedule, drawn per sample. */
int ddpm_mc_avg(const gmm2 *g, const ddpm_schedule *s, double w, const ddpm_mc_opts *o,
                ddpm_loss_result *res);
/* "explicit" | "projected" → mode; GSL_EINVAL for anything else (or NULL). */
int ddpm_mc_parse(const char *name, ddpm_mc_mode *mode);
const char *ddpm_mc_name(ddpm_mc_mode mode);

/* ---- an empirical sample set (§6) ---------------------------------------
 * n draws (x0, ε) at one level or with t uniform per sample, kept through the
 * scalars the empirical loss depends on. */
typedef struct {
    size_t n;
    double sep;        /* Δ */
    double *x0;        /* (n) x0·u: projection of the clean point (not centred) */
    double *v;         /* (n) centred projection of x_t */
    double *e;         /* (n) ε·u */
    double *a, *b;     /* (n) each sample's noise level */
    double orth;       /* mean over samples of the w-independent part a²χ²_{d−1} */
    double *lam;       /* (n) per-sample loss weight λ_t (THEORY.md §9), or NULL: all 1.
                        * Owned by the set (ddpm/weighting.h sets it). */
    ddpm_mc_mode mode; /* how it was drawn */
} ddpm_sample;

/* Draw a sample set: at level (a, b) when s is NULL, else t uniform over s.
 * EXPLICIT draws x0, ε in R^d and projects (O(n d)); PROJECTED draws the
 * projections directly (O(n)).  Same law.  NULL on failure, with *status
 * (status may be NULL): GSL_EINVAL (g NULL, unknown mode), GSL_EDOM (n = 0;
 * without s: a, b ∉ (0,1) or a² + b² ≠ 1), GSL_ENOMEM. */
ddpm_sample *ddpm_sample_draw(const gmm2 *g, const ddpm_schedule *s, double a, double b,
                              size_t n, ddpm_mc_mode mode, uint64_t seed, int *status);
void ddpm_sample_free(ddpm_sample *S);
/* Empirical loss, gradient and Hessian in w (loss, grad, hess may each be
 * NULL).  Each sample's terms are weighted by S->lam when set.
 * GSL_EINVAL for S NULL, GSL_EDOM for a non-finite w, GSL_ENOMEM. */
int ddpm_sample_loss(const ddpm_sample *S, double w, double *loss, double *grad, double *hess);

/* ---- estimators (§6) ---------------------------------------------------- */
typedef struct {
    double p_hat, w_hat;
    size_t iterations;
    int converged;
    double objective;   /* ddpm: empirical loss at ŵ; mle: mean log-likelihood */
} ddpm_fit_result;

/* The lab's one set of fit settings (every caller uses these unless it
 * studies the tolerance itself): ddpm_fit_ddpm from w0 = 0 to a bracket
 * width of 1e-13 in w (the round-off floor of the figures that use ŵ as a
 * target) in at most 200 Brent steps; ddpm_fit_mle / gmm2_em_weight (EM from
 * π = 1/2) until |Δπ| < 1e-12, at most 100000 steps. */
#define DDPM_FIT_W0         0.0
#define DDPM_FIT_TOL        1e-13
#define DDPM_FIT_MAXITER    200u
#define DDPM_FIT_MLE_PI0    0.5
#define DDPM_FIT_MLE_TOL    1e-12
#define DDPM_FIT_MLE_MAXITER 100000u

/* ŵ_n = argmin of the empirical loss: a bracket of the gradient's sign change
 * is found by doubling steps out from w0, then GSL's Brent solver narrows it
 * to width tol (absolute, in w).  GSL_EMAXITER if no bracket within |w| ≤ 60
 * or maxiter Brent steps were not enough (res still filled).  GSL_EINVAL for
 * a NULL pointer, GSL_EDOM for a non-finite w0 or tol ≤ 0, GSL_ENOMEM (the
 * solver or a gradient evaluation could not allocate: never a gradient 0). */
int ddpm_fit_ddpm(const ddpm_sample *S, double w0, double tol, size_t maxiter,
                  ddpm_fit_result *res);
/* EM maximum-likelihood π̂ on the same clean points (means known), from
 * π = DDPM_FIT_MLE_PI0: gmm2_em_weight's codes (GSL_EMAXITER: res filled). */
int ddpm_fit_mle(const gmm2 *g, const ddpm_sample *S, double tol, size_t maxiter,
                 ddpm_fit_result *res);

/* Sandwich: n·Var(ŵ_n) → A/B² (§6) at one level, or with t uniform over s
 * (A, B averaged over t).  nvar_w for ŵ, nvar_p = (π(1−π))²·nvar_w for p̂.
 * err bounds the error of nvar_w, err_p that of nvar_p, A_err and B_err
 * those of A and B (quadrature and rounding). */
typedef struct { double A, B, nvar_w, nvar_p, err, A_err, B_err, err_p; } ddpm_sandwich;
/* GSL_EINVAL for a NULL pointer; GSL_EDOM for Δ = 0 (no information) or, at
 * one level, a ∉ (0, 1], b ∉ (0, 1). */
int ddpm_sandwich_level(ddpm_quad *q, const gmm2 *g, double a, double b, ddpm_sandwich *sw);
int ddpm_sandwich_avg(ddpm_quad *q, const gmm2 *g, const ddpm_schedule *s, ddpm_sandwich *sw);

/* ---- gradient descent (§5), GSL style: alloc / set / iterate / test / free */
typedef enum { DDPM_PARAM_LOGIT = 0, DDPM_PARAM_PI = 1 } ddpm_param;
/* An objective: value and first derivative in the logit w. */
typedef int (*ddpm_objective)(void *ctx, double w, double *f, double *df);

typedef struct {
    ddpm_objective f;
    void *ctx;
    ddpm_param param;
    double lr;          /* η > 0 */
    double clip;        /* p kept in [clip, 1 − clip] when param = PI */
    size_t iter;
    double w, p, loss, grad;   /* current iterate; grad in the descended coordinate */
} ddpm_gd;

ddpm_gd *ddpm_gd_alloc(void);           /* NULL: GSL_ENOMEM (its only failure) */
void ddpm_gd_free(ddpm_gd *gd);
/* Start at p0 ∈ (0,1) with step η; evaluates the objective at the start.
 * GSL_EINVAL (gd or f NULL, unknown param), GSL_EDOM (p0 ∉ (0,1), η ≤ 0 or
 * not finite, clip ∉ (0, 1/2) for PI), the objective's status, GSL_EFAILED if
 * it returns a non-finite value. */
int ddpm_gd_set(ddpm_gd *gd, ddpm_objective f, void *ctx, ddpm_param param,
                double p0, double lr, double clip);
/* One step: w ← w − η ℓ'(w) (logit), or p ← proj(p − η dℓ/dp) (pi). */
int ddpm_gd_iterate(ddpm_gd *gd);
/* GSL_SUCCESS when |grad| < tol, else GSL_CONTINUE (GSL_EINVAL: gd NULL;
 * GSL_EDOM: tol < 0 or NaN; tol = 0 never succeeds). */
int ddpm_gd_test(const ddpm_gd *gd, double tol);
int ddpm_param_parse(const char *name, ddpm_param *param);  /* "logit" | "pi"; else GSL_EINVAL */

/* Ready-made objectives: GSL_EINVAL if ctx, f or df is NULL, else the status
 * of ddpm_loss_level / ddpm_loss_avg / ddpm_sample_loss. */
typedef struct { ddpm_quad *q; const gmm2 *g; double a, b; } ddpm_obj_level_ctx;
typedef struct { ddpm_quad *q; const gmm2 *g; const ddpm_schedule *s; } ddpm_obj_avg_ctx;
int ddpm_obj_level(void *ctx, double w, double *f, double *df);   /* ctx: ddpm_obj_level_ctx */
int ddpm_obj_avg(void *ctx, double w, double *f, double *df);     /* ctx: ddpm_obj_avg_ctx */
int ddpm_obj_sample(void *ctx, double w, double *f, double *df);  /* ctx: ddpm_sample */

#endif
