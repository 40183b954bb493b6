/* gmm/gmm.h — Gaussian mixtures: parameters, sampling, log-density,
 * posteriors, EM for the mixing weights with the means frozen, and the
 * Fisher information / Cramér–Rao bound for the weight (THEORY.md §1, §6).
 *
 * Conventions: vectors are double arrays; a set of n points in R^d is an
 * (n, d) row-major array; matrices passed to LAPACK are (d, d) column-major.
 * Functions return a GSL status and never print or exit (the convention of
 * common/spl.h): GSL_EINVAL for a NULL pointer argument (or an object whose
 * dimension does not allow the operation), GSL_EDOM for a number out of its
 * stated range (n = 0 included), GSL_ENOMEM, GSL_EMAXITER.  Functions that
 * return a double return NaN for a NULL argument.  Constructors return NULL
 * on failure and the reason in a trailing int *status (may be NULL).
 * Randomness comes only from the gsl_rng passed in.
 */
#ifndef GMM_H
#define GMM_H

#include <stddef.h>
#include <gsl/gsl_rng.h>

/* ---- the two-component mixture of THEORY.md §1 --------------------------
 *   p0 = π N(μ1, I) + (1−π) N(μ2, I),  μk = mk·u,  |u| = 1,
 *   m1 = c + Δ/2,  m2 = c − Δ/2.
 * Label 1 is the component of weight π, label 2 the other. */
typedef struct {
    size_t d;       /* dimension ≥ 1 */
    double pi;      /* π ∈ (0,1), weight of component 1 */
    double sep;     /* Δ = |μ1 − μ2| ≥ 0 */
    double shift;   /* c, common shift along u */
    double *u;      /* (d) unit direction, e1 after alloc */
} gmm2;

/* Allocate with u = e1, π = 0.5, Δ = 2, c = 0.  NULL with *status GSL_EDOM
 * if d < 1, GSL_ENOMEM if out of memory. */
gmm2 *gmm2_alloc(size_t d, int *status);
void gmm2_free(gmm2 *g);                      /* NULL is fine */
/* Set π, Δ, c.  GSL_EDOM if π ∉ (0,1), Δ < 0, or any value is not finite;
 * GSL_EINVAL if g is NULL (the same for every gmm2 function below). */
int gmm2_set(gmm2 *g, double pi, double sep, double shift);
/* Draw u uniformly on the unit sphere (normalised Gaussian vector). */
int gmm2_set_direction_random(gmm2 *g, gsl_rng *r);
double gmm2_m1(const gmm2 *g);                /* c + Δ/2 */
double gmm2_m2(const gmm2 *g);                /* c − Δ/2 */
/* μ_k = m_k·u into mu (d), k ∈ {1, 2}.  GSL_EDOM for another k. */
int gmm2_mean(const gmm2 *g, int k, double *mu);

/* n points into x (n, d); labels into label (n, values 1 or 2) unless NULL.
 * n = 0 draws nothing (x may then be NULL). */
int gmm2_sample(const gmm2 *g, gsl_rng *r, size_t n, double *x, int *label);
/* Only the projections x0·u (n) of n points: exact in law, O(n). */
int gmm2_sample_proj(const gmm2 *g, gsl_rng *r, size_t n, double *xpar, int *label);

/* log p0(x) for one point x (d), by log-sum-exp (no underflow far out). */
double gmm2_logpdf(const gmm2 *g, const double *x);
/* Posterior probability of component 1 for one point x (d) of p0. */
double gmm2_posterior(const gmm2 *g, const double *x);
/* Same, from the projection xpar = x·u alone:
 *   ρ = sigmoid( logit π + Δ·xpar − (m1² − m2²)/2 ). */
double gmm2_posterior_proj(const gmm2 *g, double xpar);

/* ---- EM for mixing weights with the means frozen ------------------------
 * Result fields mirror scikit-learn's converged_ / n_iter_ / lower_bound_. */
typedef struct {
    int converged;        /* 1 if |Δ weights|_∞ < tol before maxiter */
    size_t iterations;    /* EM steps taken */
    double tol;           /* the tolerance used */
    double loglik;        /* mean log-likelihood per point at the final weights */
} gmm_em_result;

/* EM for π of a gmm2 on projected data xpar (n):  π ← mean_i ρ(xpar_i).
 * Starts from pi0 ∈ (0,1); stops when |π_new − π| < tol or after maxiter
 * steps (then GSL_EMAXITER, *pi_hat still set).  g's own π is not used.
 * res (may be NULL): loglik is that of the 1-d data xpar under
 * π̂ N(m1,1) + (1−π̂) N(m2,1).  GSL_EDOM if pi0 ∉ (0,1), tol ≤ 0 or n = 0;
 * GSL_EINVAL if g, xpar or pi_hat is NULL.  The lab's settings:
 * DDPM_FIT_MLE_* (ddpm/ddpm.h). */
int gmm2_em_weight(const gmm2 *g, const double *xpar, size_t n, double pi0,
                   double tol, size_t maxiter, double *pi_hat, gmm_em_result *res);

/* Fisher information for π of one observation at a = 1:
 *   I(π) = E[(ρ*(x0) − π)²] / (π(1−π))²,  x0∥ ~ π N(Δ/2,1) + (1−π) N(−Δ/2,1).
 * By GSL adaptive quadrature (qagp); abserr bounds the error: qagp's estimate
 * plus the integrand's rounding (docs/accuracy.md).  Depends only on
 * (π, Δ).  GSL_EDOM if π ∉ (0,1) or Δ < 0; GSL_EINVAL if info is NULL. */
int gmm2_fisher_pi(double pi, double sep, double *info, double *abserr);
/* Cramér–Rao standard deviation for π from n points: 1/√(n I(π))
 * (+∞ when Δ = 0); its relative error is half that of I(π) (gmm2_fisher_pi's
 * abserr/info) plus two ulps.  GSL_EDOM if n = 0 (or gmm2_fisher_pi's);
 * GSL_EINVAL if sd is NULL. */
int gmm2_crlb_sd(double pi, double sep, size_t n, double *sd);

/* ---- K-component isotropic mixture (used by the trainer) ----------------
 *   p = Σ_k w_k N(μ_k, σ² I) */
typedef struct {
    size_t K, d;
    double *w;      /* (K) weights, positive, sum 1 */
    double *mu;     /* (K, d) means, row k is μ_k */
    double sigma;   /* common standard deviation > 0 */
} gmmk;

/* Allocate with equal weights, zero means, σ = 1.  NULL with *status GSL_EDOM
 * if K < 1 or d < 1, GSL_ENOMEM if out of memory.  Every gmmk function:
 * GSL_EINVAL for a NULL pointer argument, GSL_EDOM if m->sigma ≤ 0. */
gmmk *gmmk_alloc(size_t K, size_t d, int *status);
void gmmk_free(gmmk *m);
/* Copy and normalise weights w (K).  GSL_EDOM if any w_k ≤ 0 or not finite. */
int gmmk_set_weights(gmmk *m, const double *w);
/* Means on a circle of radius R in the first two coordinates (d ≥ 2):
 * μ_k = R(cos 2πk/K, sin 2πk/K, 0, …).  GSL_EINVAL if d < 2. */
int gmmk_set_means_circle(gmmk *m, double R);
/* Means drawn i.i.d. N(0, scale² I).  GSL_EDOM if scale < 0 or not finite. */
int gmmk_set_means_random(gmmk *m, gsl_rng *r, double scale);
int gmmk_sample(const gmmk *m, gsl_rng *r, size_t n, double *x, int *label /* 0..K-1 or NULL */);
double gmmk_logpdf(const gmmk *m, const double *x);
/* Posterior responsibilities resp (K) of one point x (d). */
int gmmk_posterior(const gmmk *m, const double *x, double *resp);
/* EM for the weights with the means and σ frozen, on points x (n, d), from
 * the weights currently in m; result in w_hat (K).  GSL_EDOM if n = 0 or
 * tol ≤ 0; GSL_EMAXITER after maxiter steps (w_hat set). */
int gmmk_em_weights(const gmmk *m, const double *x, size_t n, double tol,
                    size_t maxiter, double *w_hat, gmm_em_result *res);

/* ---- a Gaussian with general covariance (sampled via its Cholesky factor) */
typedef struct {
    size_t d;
    double *mean;   /* (d) */
    double *chol;   /* (d, d) column-major lower factor L, Σ = L Lᵀ */
    double logdet;  /* log det Σ */
} gmm_gauss;

/* Σ = I, mean 0.  NULL with *status GSL_EDOM if d < 1, GSL_ENOMEM.  Every
 * gmm_gauss function: GSL_EINVAL for a NULL pointer argument. */
gmm_gauss *gmm_gauss_alloc(size_t d, int *status);
void gmm_gauss_free(gmm_gauss *G);
/* Set mean (d) and covariance cov (d, d) column-major, symmetric.  Factorises
 * with LAPACKE_dpotrf; GSL_EDOM if cov is not positive definite or a value
 * is not finite.
 * Only the lower triangle of cov is read; G is unchanged on error. */
int gmm_gauss_set(gmm_gauss *G, const double *mean, const double *cov);
/* x_i = mean + L z_i, z_i ~ N(0, I): n points into x (n, d). */
int gmm_gauss_sample(const gmm_gauss *G, gsl_rng *r, size_t n, double *x);
/* log N(x; mean, Σ) by a triangular solve with L. */
double gmm_gauss_logpdf(const gmm_gauss *G, const double *x);

/* ---- the exact score of a noised isotropic mixture (THEORY.md §2) ---------
 * If x0 ~ Σ_k w_k N(μ_k, σ² I_d) and x = a x0 + b ε, ε ~ N(0, I_d), then
 *   x ~ Σ_k w_k N(a μ_k, v I),   v = a²σ² + b²,
 *   ∇log p(x) = −(x − a Σ_k r_k(x) μ_k) / v,
 *   r_k(x) = w_k N(x; aμ_k, vI) / Σ_j w_j N(x; aμ_j, vI)  (posterior, by log-sum-exp).
 * For a gmm2 (σ = 1, a² + b² = 1, μ_k = m_k u) this is s_w of §2 with the
 * weights (sigmoid w, 1 − sigmoid w); DDPM's ε-predictor is ε̂ = −b ∇log p.
 * The one implementation used by ddpm/ (Monte Carlo terms), paper_figs/
 * (the reverse-sampling demo) and spire/ (the exact ε-predictor).
 * logw (K): log w_k (unnormalised is fine; −∞ for a zero weight, not all);
 * mu (K, d) row-major; x (d); resp (K) receives r_k(x); score (d).
 * O(K d), no allocation.  GSL_EINVAL for a NULL pointer; GSL_EDOM for K or
 * d = 0, σ, a or b negative or NaN, v = 0 or not finite, or every log-weight
 * −∞. */
int gmm_score_noised(size_t K, size_t d, const double *logw, const double *mu, double sigma,
                     double a, double b, const double *x, double *resp, double *score);
/* The responsibilities r_k alone, from the squared distances d2 (K),
 * d2_k = |x − aμ_k|², and v = a²σ² + b² (log-sum-exp, as gmm_score_noised
 * computes them; resp may be d2).  For callers that accumulate the
 * distances themselves while they draw x (ddpm/ explicit Monte Carlo).
 * GSL_EINVAL for a NULL pointer; GSL_EDOM for K = 0, v ≤ 0 or not finite,
 * or every log-weight −∞ (or a NaN). */
int gmm_resp_noised(size_t K, const double *logw, double v, const double *d2, double *resp);

#endif
