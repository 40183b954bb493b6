/* ddpm/kmix.h — the DDPM loss in the mixing logits of a K-component mixture
 * with known means (THEORY.md §10).
 *
 *   p0 = Σ_k π_k N(μ_k, I_d),  θ*_k = log(π_k/π_K)  (gauge θ*_K = 0)
 *
 * The model frees the logits w = (w_1, …, w_{K−1}), w_K = 0, p = softmax(w).
 * Every array of logits in this module holds the K−1 free entries only.
 * At a noise level (a, b), a² + b² = 1, the loss ℓ(w) = E||ε + b s_w(x_t)||²
 * depends on x_t only through y = Uᵀ(x_t − a μ̄), the coordinates of x_t in an
 * orthonormal basis U (r × d) of the span of the centred means μ_k − μ̄
 * (r ≤ K − 1), with z_k = Uᵀ(μ_k − μ̄), y ~ Σ_k π_k N(a z_k, I_r):
 *
 *   ρ_k(y)    = softmax_k( w_k + a z_k·y − a²|z_k|²/2 ),   z̄_w = Σ_k ρ_k z_k
 *   loss(w)   = a²d + a²b² E[ Σ_k ρ*_k |z_k − z̄*|² + |z̄_w − z̄*|² ]
 *   excess(w) = a²b² E|z̄_w − z̄*|²
 *   grad_j    = 2a²b² E[ ρ_j (z_j − z̄_w)·(z̄_w − z̄*) ]
 *   hess_ij   = 2a²b² E[ ρ_iρ_j (z_i − z̄_w)·(z_j − z̄_w)
 *                        + (δ_ij ρ_j g_j − ρ_iρ_j (g_i + g_j)) ],  g_j = (z_j − z̄_w)·(z̄_w − z̄*)
 *
 * (K = 2 gives ddpm/ddpm.h's ddpm_loss_level.)  Values carry error
 * estimates: the quadrature's (difference of two Gauss–Hermite orders plus a
 * rounding term) or the Monte Carlo standard error.  Functions return GSL
 * status codes and never print; each one's codes are listed with it, by the
 * convention of common/spl.h (pointers first: GSL_EINVAL; then values:
 * GSL_EDOM).  Void functions and the *_free do nothing on NULL.
 */
#ifndef DDPM_KMIX_H
#define DDPM_KMIX_H

#include <stddef.h>
#include <stdint.h>
#include "gmm/gmm.h"
#include "ddpm/ddpm.h"

#define KMIX_KMAX 16   /* largest K supported */
#define KMIX_NMAX (KMIX_KMAX - 1)

/* ---- the mixture, reduced to the span of its means --------------------- */
typedef struct {
    size_t K, d, r;     /* components, dimension, rank of the centred means */
    gmmk *g;            /* weights π (g->w), means (g->mu, (K, d)), σ = 1 */
    double theta[KMIX_KMAX];            /* θ*_k = log(π_k/π_K) */
    double *cbar;       /* (d) centroid μ̄ of the means */
    double *U;          /* (r, d) orthonormal rows spanning {μ_k − μ̄} */
    double *z;          /* (K, r) z_k = U(μ_k − μ̄) */
    double gram[KMIX_KMAX * KMIX_KMAX]; /* z_k·z_l */
    double *mc;         /* (K, d) centred means μ_k − μ̄ (explicit Monte Carlo) */
    double gram_d[KMIX_KMAX * KMIX_KMAX]; /* (μ_k − μ̄)·(μ_l − μ̄) computed in R^d */
} kmix;

/* Allocate for K ∈ [2, KMIX_KMAX] components in R^d (d ≥ 1); unusable until
 * kmix_set.  NULL on failure, with *status (if status is not NULL):
 * GSL_EDOM for a bad K or d, GSL_ENOMEM. */
kmix *kmix_alloc(size_t K, size_t d, int *status);
void kmix_free(kmix *m);   /* NULL is fine */
/* Weights pi (K), each in (0, 1), summing to 1 within 1e-12; means mu (K, d)
 * row-major, finite, pairwise distinct (distance > 1e-9·(1 + max |μ_k|)).
 * Computes θ*, the basis U by an SVD of the centred means (LAPACKE_dgesvd;
 * rank r = number of singular values > 1e-10 × the largest).  GSL_EINVAL
 * for m, pi or mu NULL; GSL_EDOM, with a reason in err (if not NULL), for a
 * value outside these ranges; GSL_ENOMEM; GSL_EFAILED if the SVD fails.  On
 * failure m is unusable until a successful kmix_set. */
int kmix_set(kmix *m, const double *pi, const double *mu, char *err, size_t errlen);
/* Means on a line: μ_k = m_k e_1 (mline: K).  kmix_set's codes (GSL_EINVAL
 * for mline NULL). */
int kmix_set_line(kmix *m, const double *pi, const double *mline, char *err, size_t errlen);

/* p = softmax(w) with w_K = 0: w (K−1) → p (K).  Does nothing if w or p is
 * NULL or K ∉ [2, KMIX_KMAX]. */
void kmix_softmax(size_t K, const double *w, double *p);
/* w_k = log(p_k/p_K): p (K) → w (K−1).  Does nothing if p or w is NULL or
 * K ∉ [2, KMIX_KMAX]; p ∉ (0, 1) gives non-finite logits. */
void kmix_logits(size_t K, const double *p, double *w);

/* ---- results ------------------------------------------------------------ */
typedef struct {
    size_t n;                           /* K − 1 free logits */
    ddpm_val loss, excess;
    double grad[KMIX_NMAX], grad_err[KMIX_NMAX];
    double hess[KMIX_NMAX * KMIX_NMAX], hess_err[KMIX_NMAX * KMIX_NMAX];   /* row-major */
} kmix_result;

/* ---- quadrature (r ≤ 2) -------------------------------------------------
 * Each component's expectation over y ~ N(a z_k, I_r) is a Gauss–Hermite sum
 * (GSL's gsl_integration_fixed_hermite; tensor product of the 1-d rule for
 * r = 2, nodes of weight < 1e-20 of the largest dropped) at two orders; the
 * value is the higher order's, the error estimate |Q_hi − Q_lo| + 8ε·Σ|terms|
 * (the lower order is half the higher: its error dominates, so the estimate
 * is conservative).  Defaults (orders 0): r = 1: 256 and 128; r = 2: 64 and
 * 32.  Accuracy is set by k = a·max|μ_k − μ_l| (the sigmoids' poles lie π/k
 * off the real axis): for r = 1, ≤ 1e-13 relative up to k ≈ 2.5, 1e-8 at
 * k ≈ 4, 1e-5 at k ≈ 6 (tests/cu_kmix.c, against ddpm_loss_level and GSL
 * adaptive quadrature).  The workspace holds only the nodes: read-only once
 * allocated, shareable between threads. */
typedef struct kmix_quad kmix_quad;
/* The default orders (high, low) for r = 1 and r = 2. */
#define KMIX_QUAD_HI1 256u
#define KMIX_QUAD_LO1 128u
#define KMIX_QUAD_HI2 64u
#define KMIX_QUAD_LO2 32u
/* Orders nhi, nlo: 0 for the defaults, else ≥ 2.  NULL on failure, with
 * *status (if not NULL): GSL_EDOM for an order of 1, GSL_ENOMEM. */
kmix_quad *kmix_quad_alloc(size_t nhi, size_t nlo, int *status);
void kmix_quad_free(kmix_quad *q);   /* NULL is fine */

/* What to compute: KMIX_GRAD and KMIX_HESS add the derivatives (the loss and
 * excess are always computed); KMIX_NOERR skips the lower rule (errors 0). */
enum { KMIX_GRAD = 1, KMIX_HESS = 2, KMIX_NOERR = 4, KMIX_ALL = KMIX_GRAD | KMIX_HESS };

/* Loss, excess, gradient and Hessian in w (K−1) at level (a, b), both in
 * (0, 1) with a² + b² = 1 (to 1e-9).  GSL_EINVAL for q, m, w or res NULL or
 * unknown bits in what; GSL_EDOM for a or b out of range, a non-finite w, or
 * r > 2 (or m not set). */
int kmix_loss_quad(const kmix_quad *q, const kmix *m, double a, double b, const double *w,
                   int what, kmix_result *res);

/* ---- Monte Carlo (any r) ------------------------------------------------
 * EXPLICIT draws x0, ε in R^d (O(n·K·d)); PROJECTED draws y, e in R^r and the
 * orthogonal part a²χ²_{d−r} (drawn, or its mean when o->draw_chi2 = 0).
 * Blocks of DDPM_MC_BLOCK samples on streams (o->seed, block): bit-identical
 * for any number of threads.  Errors are standard errors.  GSL_EINVAL for m,
 * w, o or res NULL or an unknown o->mode; GSL_EDOM for a, b as in
 * kmix_loss_quad, a non-finite w, or o->n = 0; GSL_ENOMEM. */
int kmix_loss_mc(const kmix *m, double a, double b, const double *w, const ddpm_mc_opts *o,
                 kmix_result *res);

/* ---- empirical sample sets and estimators ------------------------------- */
typedef struct {
    size_t n, K, r;
    double a, b;
    double *y;      /* (n, r) U(x_t − a μ̄) */
    double *e;      /* (n, r) Uε */
    double *x0;     /* (n, r) U(x0 − μ̄): the clean points, for the MLE */
    double orth;    /* mean over samples of the w-free part ||(I − UᵀU)(ε − b x_t)||² */
} kmix_sample;

/* n draws at level (a, b), explicit (d-dimensional, then projected) or
 * projected; blocks on streams (seed, block).  NULL on failure, with
 * *status (status may be NULL): GSL_EINVAL (m NULL, unknown mode), GSL_EDOM
 * (n = 0; a, b ∉ (0,1) or a² + b² ≠ 1), GSL_ENOMEM. */
kmix_sample *kmix_sample_draw(const kmix *m, double a, double b, size_t n, ddpm_mc_mode mode,
                              uint64_t seed, int *status);
void kmix_sample_free(kmix_sample *S);   /* NULL is fine */
/* Empirical loss (1/n)Σ||ε_i + b s_w||², gradient (K−1) and Hessian
 * ((K−1)², row-major) in w; any output may be NULL.  GSL_EINVAL for m, S or
 * w NULL or S drawn from a model of another K or r; GSL_EDOM for a
 * non-finite w. */
int kmix_sample_loss(const kmix *m, const kmix_sample *S, const double *w, double *loss,
                     double *grad, double *hess);

/* The lab's one set of K-component fit settings (spirelab fit, C13, F20,
 * sweep): ŵ_n to |∇|_2 < 1e-10 in at most 500 BFGS steps; EM to 1e-12 in at
 * most 100000 steps. */
#define KMIX_FIT_TOL         1e-10
#define KMIX_FIT_MAXITER     500u
#define KMIX_FIT_MLE_TOL     1e-12
#define KMIX_FIT_MLE_MAXITER 100000u

typedef struct {
    double w[KMIX_NMAX], p[KMIX_KMAX];
    size_t iterations;
    int converged;
    double objective;   /* ddpm: empirical loss at ŵ; mle: mean log-likelihood (reduced coordinates) */
} kmix_fit_result;

/* ŵ_n: GSL multimin BFGS2 on the empirical loss from w0 (NULL: w = 0), until
 * |∇|_2 < tol or maxiter steps; when the line search stalls at machine
 * precision (or maxiter is reached), up to 8 Newton steps on the empirical
 * gradient (LAPACKE_dposv).  GSL_EMAXITER if still |∇|_2 ≥ tol (res filled).
 * GSL_EINVAL for m, S or res NULL or S of another model (kmix_sample_loss);
 * GSL_EDOM for tol ≤ 0 or NaN, or a non-finite w0; GSL_ENOMEM; GSL_EFAILED
 * if a loss evaluation failed. */
int kmix_fit_ddpm(const kmix *m, const kmix_sample *S, const double *w0, double tol,
                  size_t maxiter, kmix_fit_result *res);
/* The MLE of the weights by EM on the same clean points (gmmk_em_weights in
 * the reduced coordinates, means known), from equal weights.  GSL_EINVAL for
 * m, S or res NULL or S of another model; GSL_EDOM for tol ≤ 0 or NaN;
 * GSL_ENOMEM; GSL_EMAXITER after maxiter steps (res filled). */
int kmix_fit_mle(const kmix *m, const kmix_sample *S, double tol, size_t maxiter,
                 kmix_fit_result *res);

/* ---- sandwich and Cramér–Rao (quadrature, r ≤ 2) ------------------------
 *   A = E[ψψᵀ] = 4a⁴b² E[G (I + b² Σ_post) Gᵀ],  B = ∇²ℓ(θ*) = 2a²b² E[G Gᵀ],
 *   G_j = ρ*_j (z_j − z̄*)ᵀ,  Σ_post = Σ_k ρ*_k (z_k − z̄*)(z_k − z̄*)ᵀ;
 *   n·Cov(ŵ_n) → B⁻¹AB⁻¹ (Cholesky of B, LAPACKE_dpotrf/dpotrs);
 *   Fisher information of one clean point, I_ij = E[(ρ_i − π_i)(ρ_j − π_j)] at a = 1,
 *   CRLB = I⁻¹; to p = softmax(w) by the delta method, J_ij = π_i(δ_ij − π_j).
 * GSL_EINVAL for q, m or sw NULL; GSL_EDOM for a, b as in kmix_loss_quad,
 * r > 2, or B or I not positive definite; GSL_EFAILED if LAPACK fails. */
typedef struct {
    size_t n;                                        /* K − 1 */
    double A[KMIX_NMAX * KMIX_NMAX], B[KMIX_NMAX * KMIX_NMAX];
    double cov_w[KMIX_NMAX * KMIX_NMAX];             /* n·Cov(ŵ) → B⁻¹AB⁻¹ */
    double cov_p[KMIX_KMAX * KMIX_KMAX];             /* n·Cov(p̂), K × K */
    double fisher[KMIX_NMAX * KMIX_NMAX];
    double crlb_w[KMIX_NMAX * KMIX_NMAX], crlb_p[KMIX_KMAX * KMIX_KMAX];
    double err;                                      /* largest quadrature error of A, B, I (absolute) */
} kmix_sandwich;
int kmix_sandwich_level(const kmix_quad *q, const kmix *m, double a, double b, kmix_sandwich *sw);
/* cov = B⁻¹AB⁻¹ for n × n row-major A (symmetric) and B (positive definite).
 * GSL_EINVAL for A, B or cov NULL; GSL_EDOM for n ∉ [1, KMIX_NMAX] or B not
 * positive definite; GSL_EFAILED if LAPACK fails. */
int kmix_sandwich_cov(size_t n, const double *A, const double *B, double *cov);

/* ---- gradient descent on w, GSL style ------------------------------------ */
typedef int (*kmix_objective)(void *ctx, const double *w, double *f, double *grad);
typedef struct {
    kmix_objective f;
    void *ctx;
    size_t n;           /* K − 1 */
    double lr;
    size_t iter;
    double w[KMIX_NMAX], grad[KMIX_NMAX], loss;
} kmix_gd;
kmix_gd *kmix_gd_alloc(void);           /* NULL: GSL_ENOMEM (its only failure) */
void kmix_gd_free(kmix_gd *gd);         /* NULL is fine */
/* Start at w0 (K−1 entries) with step η > 0; evaluates the objective.
 * GSL_EINVAL for gd, f or w0 NULL; GSL_EDOM for K ∉ [2, KMIX_KMAX], η ≤ 0
 * or not finite, a non-finite w0; the objective's status; GSL_EFAILED if it
 * returns a non-finite value.  gd is left as it was on GSL_EINVAL and GSL_EDOM. */
int kmix_gd_set(kmix_gd *gd, kmix_objective f, void *ctx, size_t K, const double *w0, double lr);
/* w ← w − η ∇ℓ(w).  GSL_EINVAL for gd NULL (or not set); then as kmix_gd_set. */
int kmix_gd_iterate(kmix_gd *gd);
/* GSL_SUCCESS when |∇ℓ|_2 < tol, else GSL_CONTINUE (GSL_EINVAL: gd NULL;
 * GSL_EDOM: tol < 0 or NaN; tol = 0 never succeeds). */
int kmix_gd_test(const kmix_gd *gd, double tol);

/* Ready-made objective: the quadrature loss at one level.  GSL_EINVAL if
 * ctx, f or grad is NULL, else the status of kmix_loss_quad. */
typedef struct { const kmix_quad *q; const kmix *m; double a, b; } kmix_obj_quad_ctx;
int kmix_obj_quad(void *ctx, const double *w, double *f, double *grad);

#endif
