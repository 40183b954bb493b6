/* ddpm/draw.h — internal to ddpm/: how one training sample (x0, ε) is drawn
 * and what its loss terms are (THEORY.md §4).  Shared by the Monte Carlo
 * estimators (mc.c) and the empirical sample sets (sample.c). */
#ifndef DDPM_DRAW_H
#define DDPM_DRAW_H

#include <gsl/gsl_rng.h>
#include "ddpm/ddpm.h"

/* Per-sample terms: loss ||ε + b s_w||² (parallel part only for projected
 * draws), excess ℓ_w − ℓ_θ* on the same sample, and the first and second
 * w-derivatives of the loss. */
typedef struct { double loss, excess, grad, hess; } ddpm_terms;

/* Projected draw: the clean point's projection x0·u (uncentred), the
 * centred projection vc = a(x0·u − c) + b e of x_t, and e = ε·u. */
void ddpm_draw_projected(const gmm2 *g, gsl_rng *r, double a, double b,
                         double *x0u, double *vc, double *e);

/* Explicit draw in R^d: x_t = a x0 + b ε into xt (d) and ε into eps (d);
 * returns x0·u. */
double ddpm_draw_explicit(const gmm2 *g, gsl_rng *r, double a, double b, double *xt, double *eps);

/* Terms from the projections (vc, e) at level (a, b): the loss is the
 * parallel part (e + b s∥_w(vc))² only. */
ddpm_terms ddpm_terms_projected(double sep, double a, double b, double theta, double w,
                                double vc, double e);

/* One explicit draw and its terms: x_t = a x0 + b ε in R^d as
 * ddpm_draw_explicit draws it (the same random numbers), and the terms of
 * ||ε + b s_w(x_t)||² with the exact score s_w of the noised mixture
 * (gmm/gmm.h: responsibilities by gmm_resp_noised from the distances
 * |x_t − aμ_k|², summed while drawing; the score in gmm_score_noised's order
 * of operations).  mu (2, d): μ1, μ2 of g (gmm2_mean); buf (2d): x_t and ε.
 * The status of gmm_resp_noised. */
int ddpm_sample_explicit(const gmm2 *g, const double *mu, gsl_rng *r, double a, double b,
                         double theta, double w, double *buf, ddpm_terms *t);

/* ---- the block-parallel skeleton (blocks.c) --------------------------------
 * n samples in blocks of DDPM_MC_BLOCK: block j holds samples i0 ≤ i < i1
 * (i0 = j·DDPM_MC_BLOCK) and draws them only from r, seeded as the stream
 * (seed, j, 0).  Blocks run in parallel over OpenMP's threads; body writes
 * only block j's own results (the caller merges them in block order), so
 * the result is bit-identical whatever the number of threads.  scratch:
 * doubles of per-thread work space handed to body (NULL when 0).  Returns
 * the first failing body status in block order, or GSL_ENOMEM if a thread's
 * generator or scratch could not be had. */
typedef int (*ddpm_block_fn)(void *ctx, gsl_rng *r, size_t j, size_t i0, size_t i1,
                             double *scratch);
static inline size_t ddpm_blocks_count(size_t n) { return (n + DDPM_MC_BLOCK - 1) / DDPM_MC_BLOCK; }
/* The mean over the n samples of a per-block sum (one double per block,
 * summed in block order, so independent of the thread count); frees sums. */
double ddpm_blocks_mean_free(double *sums, size_t n);
/* The n-point Gauss–Hermite rule for the N(0,1) expectation (GSL's fixed
 * Hermite rule for the weight e^{−x²/2}, weights divided by √(2π)): nodes x,
 * weights w (n each).  GSL_ENOMEM.  Shared by ddpm/loss.c and ddpm/kmix.c. */
int ddpm_hermite_normal(size_t n, double *x, double *w);

/* Loss, excess, gradient and Hessian at level i (0-based) of schedule s, as
 * ddpm_loss_avg sums them (b_i = 1 to rounding is fine there, unlike
 * ddpm_loss_level); theta = spl_logit(g->pi).  No argument checks: the
 * status of the quadrature only.  Shared by ddpm/loss.c and
 * ddpm/weighting.c. */
int ddpm_loss_sched_level(ddpm_quad *q, const gmm2 *g, double theta, const ddpm_schedule *s, size_t i,
                          double w, ddpm_loss_result *res);

int ddpm_blocks_run(size_t n, uint64_t seed, size_t scratch, ddpm_block_fn body, void *ctx);

#endif
