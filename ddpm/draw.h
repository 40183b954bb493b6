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

/* Terms from a full d-dimensional draw: ||ε + b s_w(x_t)||² in R^d. */
ddpm_terms ddpm_terms_explicit(const gmm2 *g, double a, double b, double theta, double w,
                               const double *xt, const double *eps);

#endif
