/* ddpm/weighting.h — weighted DDPM objectives and the efficiency of the
 * estimator of the mixing weight under each weighting (THEORY.md §9).
 *
 * A weighting draws the level t ~ q (uniform over 1..T, or a point mass for
 * level:t) and weights its ε-prediction loss ℓ_t(w) (ddpm.h) by λ_t ≥ 0:
 *     L_λ(w) = Σ_t q_t λ_t ℓ_t(w).
 * With SNR_t = a_t²/b_t² the weights are
 *     eps       λ = 1                               (L_simple: ddpm_loss_avg)
 *     x0        λ = 1/SNR_t = b_t²/a_t²
 *     v         λ = 1 + 1/SNR_t = 1/a_t²
 *     elbo      λ = SNR_{t−1}/SNR_t − 1 = β_t/((1−β_t) b_{t−1}²), t ≥ 2;  λ_1 = 0
 *     minsnr:γ  λ = min(SNR_t, γ)/SNR_t             (γ > 0, default 5)
 *     level:t   q = δ_t, λ = 1                      (1 ≤ t ≤ T)
 *     optimal   λ = 2B_t/A_t = 1/(a_t²(1 + Δ²b_t² E[r³]/E[r²]))   (∝ B_t/A_t;
 *               scaled so that λ → 1 as b → 0)
 * where A_t, B_t are the per-level sandwich terms of §6 at θ*.  Sandwich:
 *     n·Var(ŵ_n) → A_λ/B_λ²,  A_λ = Σ q λ² A_t,  B_λ = Σ q λ B_t,
 * efficiency = (1/I_w)/(A_λ/B_λ²) ∈ (0, 1], I_w = E[(ρ*(x0) − π)²] the
 * Fisher information for w of one clean point (gmm2_fisher_pi·(π(1−π))²).
 * By Cauchy–Schwarz the optimal weighting attains Σ_t q_t B_t²/A_t / I_w, the
 * best over λ for uniform q; the best single level (max_t B_t²/A_t) is the
 * best over q as well.
 *
 * Errors (common/spl.h): GSL_EINVAL for a NULL pointer (or an unknown kind),
 * GSL_EDOM for a number out of its range, GSL_ENOMEM; the constructors
 * report through a trailing `int *status` (may be NULL).  Functions that
 * return a value instead return 0 / NULL / "?" on NULL.
 *
 * Sums over levels.  Every Σ_t above is computed either level by level (the
 * reference, DDPM_WSUM_FULL) or, by default (DDPM_WSUM_FAST), from far fewer
 * levels: the summand is smooth in t between the weighting's break points
 * (min-SNR's kink, elbo's first level, a clipped cosine β), so the index range
 * is cut into panels (at most T/2 levels to start with); on each panel the
 * summand is interpolated by a polynomial through 25 integer levels near the
 * Chebyshev–Lobatto points and the interpolant is summed exactly over the
 * panel's integers (the weights of that exact sum are computed once, in the
 * plan, and shared by panels of one length).  The sum's own error estimate
 * per panel (ddpm_wsum_info.sum_err): max |S − S'| over the two interpolants
 * one degree lower that drop the first or the last node (the lower rules'
 * error, a bound on the higher one's while the interpolation converges),
 * plus the rounding of the weighted sum, plus DDPM_WSUM_ROUGH × Σ|terms|
 * (the level values are smooth in t only to their own accuracy).  The total
 * err adds the per-level quadrature errors carried through the same weights.
 * While the interpolation estimate of a quantity exceeds tol × Σ|terms|, the
 * worst panel is halved (down to 48 levels, then summed level by level).
 * At T = 1000 the fast path evaluates 50 levels for π = 0.3, Δ = 2 (either
 * schedule; the level-by-level sum 1000) and 135–181 on average over random
 * mixtures, weightings and w (Δ up to 10).  Against the level-by-level sum
 * at 52 random mixtures × 7 weightings, T ∈ {10, 100, 1000, 4000}, both
 * schedules (tests/cu_weighting.c, three seeds): |fast − full| ≤ 0.51 ×
 * sum_err, and sum_err ≤ 5.3e-13 relative for loss, excess and gradient.
 * ddpm_loss_avg is this fast sum for the eps weighting (the schedule owns
 * its plan); ddpm_loss_avg_full the reference.
 *
 * Typical use:
 *     ddpm_weighting wt;  ddpm_weighting_parse("minsnr:5", &wt);
 *     ddpm_wplan *p = ddpm_wplan_alloc(s, &wt, DDPM_WSUM_FAST, 0, &status);
 *     ddpm_wplan_loss(q, p, g, w, &res);   ddpm_wplan_sandwich(q, p, g, &sw);
 *     ddpm_wplan_free(p);
 * The plan keeps a pointer to s (the caller keeps s alive); it is read-only
 * once allocated, so threads may share it.
 */
#ifndef DDPM_WEIGHTING_H
#define DDPM_WEIGHTING_H

#include <stddef.h>
#include "ddpm/ddpm.h"

typedef enum {
    DDPM_W_EPS = 0, DDPM_W_X0, DDPM_W_V, DDPM_W_ELBO, DDPM_W_MINSNR, DDPM_W_LEVEL, DDPM_W_OPTIMAL
} ddpm_weighting_kind;
#define DDPM_W_NKIND 7
#define DDPM_MINSNR_GAMMA 5.0

typedef struct {
    ddpm_weighting_kind kind;
    double gamma;     /* minsnr: γ > 0 */
    size_t level;     /* level: t ≥ 1 (≤ T checked against a schedule) */
} ddpm_weighting;

/* "eps" | "x0" | "v" | "elbo" | "minsnr" | "minsnr:G" | "level:T" | "optimal".
 * GSL_EINVAL for an unknown name (or NULL); GSL_EDOM for γ not a finite
 * number > 0, or a level that is not an integer ≥ 1. */
int ddpm_weighting_parse(const char *name, ddpm_weighting *wt);
/* The canonical name ("minsnr:5", "level:250") into buf (n bytes); "?" for
 * wt NULL or an unknown kind; nothing for buf NULL or n = 0. */
void ddpm_weighting_name(const ddpm_weighting *wt, char *buf, size_t n);
/* GSL_EINVAL for NULL pointers or an unknown kind; GSL_EDOM for γ not a
 * finite number > 0, or a level outside [1, T]. */
int ddpm_weighting_check(const ddpm_weighting *wt, const ddpm_schedule *s);
/* The canonical weightings of §9 with default parameters, in table order
 * (eps, x0, v, elbo, minsnr:5, optimal; level:t is not listed). */
#define DDPM_W_NAMED 6
extern const ddpm_weighting ddpm_weighting_named[DDPM_W_NAMED];

/* λ_t at level t ∈ [1, T] and its sampling probability q_t.  q and g are
 * used by `optimal` only (may be NULL otherwise; qt may be NULL).  GSL_EINVAL
 * for NULL wt, s, lambda (or q, g for optimal); GSL_EDOM for t outside [1, T]
 * or a weighting that does not fit s. */
int ddpm_weighting_lambda(ddpm_quad *q, const ddpm_weighting *wt, const gmm2 *g,
                          const ddpm_schedule *s, size_t t, double *lambda, double *qt);

/* ---- plans: how the sums over levels are done ---------------------------- */
typedef enum { DDPM_WSUM_FAST = 0, DDPM_WSUM_FULL = 1 } ddpm_wsum_mode;
#define DDPM_WSUM_TOL 2.5e-13 /* default relative tolerance of the interpolation estimate */
/* The computed level values are smooth in t only to about their own
 * accuracy (the quadrature's panels change with k = aΔ): measured 4th
 * differences put the roughness at up to ~8e-13 relative per level (at
 * k ≈ 4, Δ = 5), which an interpolant through 25 levels carries at roughly
 * 1/√25 of it.  The fast sum's estimate adds DDPM_WSUM_ROUGH × Σ|terms| for
 * it (4× for the Hessian, accurate relative to its scale, not its value). */
#define DDPM_WSUM_ROUGH 2.5e-13

typedef struct ddpm_wplan ddpm_wplan;
/* A plan for weighting wt on schedule s (LINEAR or COSINE, any T ≥ 2).
 * tol: relative tolerance of the fast path's interpolation estimate,
 * refined to tol × Σ|terms| of each quantity; 0: DDPM_WSUM_TOL (the lab's
 * accuracy: the sum's own error estimate then stays below 1e-12 relative).  NULL on failure,
 * with *status (status may be NULL): GSL_EINVAL (s or wt NULL, an unknown
 * kind or mode), GSL_EDOM (a weighting that does not fit s — ddpm_weighting_check —,
 * tol negative or not finite, T < 2), GSL_ENOMEM. */
ddpm_wplan *ddpm_wplan_alloc(const ddpm_schedule *s, const ddpm_weighting *wt,
                             ddpm_wsum_mode mode, double tol, int *status);
/* free(NULL) is a no-op. */
void ddpm_wplan_free(ddpm_wplan *p);
/* Number of levels the plan's first cover evaluates per sum (T for FULL;
 * for FAST before any panel is halved); 0 for p NULL. */
size_t ddpm_wplan_nodes(const ddpm_wplan *p);

/* The weighted loss L_λ(w), excess, gradient and Hessian in w, each with its
 * error estimate (per-level quadrature errors + the fast sum's).  For eps
 * with FULL this is ddpm_loss_avg.  GSL_EINVAL for NULL pointers, GSL_EDOM
 * for a bad w or mixture. */
int ddpm_wplan_loss(ddpm_quad *q, const ddpm_wplan *p, const gmm2 *g, double w,
                    ddpm_loss_result *res);
/* The same, and what the sum over levels did (info may be NULL): nevals
 * levels evaluated, and sum_err[k] for loss, excess, grad, hess: the part
 * of each err the sum itself adds (interpolation and rounding; the rest is
 * the per-level quadrature errors carried through).  |fast − level-by-level
 * sum| ≤ sum_err, up to the level values' own (actual) errors. */
typedef struct { size_t nevals; double sum_err[4]; } ddpm_wsum_info;
int ddpm_wplan_loss_info(ddpm_quad *q, const ddpm_wplan *p, const gmm2 *g, double w,
                         ddpm_loss_result *res, ddpm_wsum_info *info);

/* The weighted sandwich at θ*: sw->A = A_λ, sw->B = B_λ, nvar_w = A_λ/B_λ²,
 * nvar_p = (π(1−π))² nvar_w, err = error estimate of nvar_w.  GSL_EINVAL
 * for NULL pointers; GSL_EDOM for Δ = 0 (needs Δ > 0) or a bad mixture. */
int ddpm_wplan_sandwich(ddpm_quad *q, const ddpm_wplan *p, const gmm2 *g, ddpm_sandwich *sw);

/* Efficiency against the MLE, and the best single level. */
typedef struct {
    ddpm_sandwich sw;       /* the weighted sandwich */
    double info_w;          /* I_w = I(π)(π(1−π))², Fisher information for w of one clean point */
    ddpm_val eff;           /* (1/I_w)/(A_λ/B_λ²) */
    size_t best_level;      /* argmax_t B_t²/A_t over 1..T */
    ddpm_val best_eff;      /* its efficiency B_t²/(A_t I_w) */
} ddpm_efficiency;
/* Efficiency of the plan's weighting.  The best level is found over all T
 * levels (T quadratures: level by level whatever the mode).  best may be 0
 * to skip it (best_level = 0, best_eff NaN).  Codes as ddpm_wplan_sandwich. */
int ddpm_wplan_efficiency(ddpm_quad *q, const ddpm_wplan *p, const gmm2 *g, int best,
                          ddpm_efficiency *eff);

/* Fisher information for w of one clean point, I_w = E[(ρ*(x0) − π)²]
 * (err may be NULL).  GSL_EINVAL for g or info NULL; GSL_EDOM for π outside
 * (0, 1) or Δ < 0 (as gmm2_fisher_pi). */
int ddpm_info_w(const gmm2 *g, double *info, double *err);

/* ---- the empirical side (§6 with weights) --------------------------------
 * λ_t for t = 1..T into lam (T doubles): the table the sample sets use.
 * q, g as for ddpm_weighting_lambda.  GSL_EINVAL for NULL wt, s, lam (or q, g
 * for optimal); GSL_EDOM for a weighting that does not fit s. */
int ddpm_weighting_table(ddpm_quad *q, const ddpm_weighting *wt, const gmm2 *g,
                         const ddpm_schedule *s, double *lam);
/* Draw a sample set for the weighting: t ~ q per sample (level:t draws every
 * sample at level t), and set S->lam to each sample's λ_t from the table lam
 * (ddpm_weighting_table; unused, may be NULL, for eps and level:t, whose
 * weights are all 1 and S->lam stays NULL).  Same streams as
 * ddpm_sample_draw, so eps gives the same sample set.  S->orth becomes the
 * mean of λ_t a_t²(d−1) (the expected w-independent part, also for EXPLICIT
 * draws).  NULL on failure, with *status (status may be NULL) as for
 * ddpm_sample_draw: GSL_EINVAL (NULL pointers, lam NULL where needed),
 * GSL_EDOM (a weighting that does not fit s, n = 0), GSL_ENOMEM. */
ddpm_sample *ddpm_weighting_sample_draw(const ddpm_weighting *wt, const double *lam, const gmm2 *g,
                                        const ddpm_schedule *s, size_t n, ddpm_mc_mode mode,
                                        uint64_t seed, int *status);

/* The same for a plan's weighting and schedule (the table built inside:
 * T quadratures for optimal; q may be NULL otherwise).  NULL on failure,
 * with *status (may be NULL): GSL_EINVAL (p or g NULL, q NULL for optimal,
 * an unknown mode), GSL_EDOM (n = 0), GSL_ENOMEM. */
ddpm_sample *ddpm_wplan_sample_draw(ddpm_quad *q, const ddpm_wplan *p, const gmm2 *g, size_t n,
                                    ddpm_mc_mode mode, uint64_t seed, int *status);
/* The plan's weighting; NULL for p NULL. */
const ddpm_weighting *ddpm_wplan_weighting(const ddpm_wplan *p);

/* A ready-made objective for ddpm_gd: L_λ and its gradient through a plan.
 * GSL_EINVAL for ctx, f, df NULL; otherwise the codes of ddpm_wplan_loss. */
typedef struct { ddpm_quad *q; const gmm2 *g; const ddpm_wplan *p; } ddpm_obj_wavg_ctx;
int ddpm_obj_wavg(void *ctx, double w, double *f, double *df);

#endif
