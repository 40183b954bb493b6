/* ddpm/kmix_internal.h — internal to ddpm/kmix*.c: the posteriors at one point
 * and one training sample's loss terms (THEORY.md §10). */
#ifndef DDPM_KMIX_INTERNAL_H
#define DDPM_KMIX_INTERNAL_H

#include <math.h>
#include <gsl/gsl_errno.h>
#include "ddpm/kmix.h"

#define KMIX_TERMS_MAX (2 * KMIX_NMAX * KMIX_NMAX + 2)

/* GSL_EDOM if one of the K − 1 logits w is not finite. */
static inline int kmix_check_logits(size_t K, const double *w)
{
    for (size_t k = 0; k + 1 < K; k++) if (!isfinite(w[k])) return GSL_EDOM;
    return GSL_SUCCESS;
}

/* GSL_EDOM unless a, b ∈ (0, 1), a² + b² = 1 (to 1e-9) and the logits w
 * are finite (the pointers are checked by the caller). */
static inline int kmix_check_level(const kmix *m, double a, double b, const double *w)
{
    if (!(a > 0 && a < 1) || !(b > 0 && b < 1) || fabs(a * a + b * b - 1.0) > 1e-9) return GSL_EDOM;
    return kmix_check_logits(m->K, w);
}

/* softmax of (w_k + l_k), w_K = 0, into p (K). */
static inline void kmix_softmax_shift(size_t K, const double *w, const double *l, double *p)
{
    double mx = -INFINITY, s = 0.0;
    for (size_t k = 0; k < K; k++) { p[k] = (k + 1 < K ? w[k] : 0.0) + l[k]; mx = fmax(mx, p[k]); }
    for (size_t k = 0; k < K; k++) { p[k] = exp(p[k] - mx); s += p[k]; }
    for (size_t k = 0; k < K; k++) p[k] /= s;
}

/* Posteriors at a point y (r) of the reduced space, at scale a. */
typedef struct {
    double rw[KMIX_KMAX], rs[KMIX_KMAX];            /* ρ_w, ρ* */
    double zw[KMIX_NMAX], zs[KMIX_NMAX], dz[KMIX_NMAX];  /* z̄_w, z̄*, z̄_w − z̄* */
} kmix_point;

/* ew: e^{θ*_k − w_k} (K, last 1) when every |θ*_k − w_k| ≤ 30, else NULL.
 * With it, ρ*_k ∝ ρ_k e^{θ*_k − w_k} (no exponential per node; an underflowed
 * ρ_k < 1e-308 stands for a ρ*_k < 1e-295); without, a second softmax. */
static inline void kmix_point_eval(const kmix *m, double a, const double *y, const double *w,
                                   const double *ew, kmix_point *P)
{
    const size_t K = m->K, r = m->r;
    double l[KMIX_KMAX];
    for (size_t k = 0; k < K; k++) {
        double s = 0.0;
        for (size_t i = 0; i < r; i++) s += m->z[k * r + i] * y[i];
        l[k] = a * s - 0.5 * a * a * m->gram[k * K + k];
    }
    kmix_softmax_shift(K, w, l, P->rw);
    if (ew) {
        double s = 0.0;
        for (size_t k = 0; k < K; k++) { P->rs[k] = P->rw[k] * ew[k]; s += P->rs[k]; }
        for (size_t k = 0; k < K; k++) P->rs[k] /= s;
    } else
        kmix_softmax_shift(K, m->theta, l, P->rs);
    for (size_t i = 0; i < r; i++) {
        double zw = 0.0, zs = 0.0, dz = 0.0;
        for (size_t k = 0; k < K; k++) {
            double zk = m->z[k * r + i];
            zw += P->rw[k] * zk;
            zs += P->rs[k] * zk;
            dz += (P->rw[k] - P->rs[k]) * zk;
        }
        P->zw[i] = zw; P->zs[i] = zs; P->dz[i] = dz;
    }
}

/* One sample's terms from the base logits l (K, without w), s_k = v_k·R and
 * loss = |R|², where R = ε + b s_w(x_t) is the residual at w and v_k the
 * (centred) means whose Gram matrix is G (K × K):
 *   excess = |R_w|² − |R_*|² = −2ab δ·s − a²b² δᵀGδ,   δ = ρ* − ρ_w
 *   grad_j = 2ab ρ_j t_j,   t_j = s_j − Σ_k ρ_k s_k
 *   hess_ij = 2a²b² ρ_iρ_j C_ij + 2ab (δ_ij ρ_j t_j − ρ_iρ_j (t_i + t_j)),
 *   C_ij = (v_i − v̄)·(v_j − v̄).
 * out: [loss, excess, grad (n), hess (n²)]; hess only when want_hess. */
static inline void kmix_sample_terms(const kmix *m, const double *G, double a, double b, const double *w,
                                     const double *l, const double *s, double loss, int want_hess,
                                     double *out)
{
    const size_t K = m->K, n = K - 1;
    double rw[KMIX_KMAX], rs[KMIX_KMAX], dl[KMIX_KMAX], t[KMIX_KMAX], gb[KMIX_KMAX];
    kmix_softmax_shift(K, w, l, rw);
    kmix_softmax_shift(K, m->theta, l, rs);
    double sbar = 0.0, ds = 0.0, dGd = 0.0;
    for (size_t k = 0; k < K; k++) { sbar += rw[k] * s[k]; dl[k] = rs[k] - rw[k]; ds += dl[k] * s[k]; }
    for (size_t k = 0; k < K; k++)
        for (size_t j = 0; j < K; j++) dGd += dl[k] * G[k * K + j] * dl[j];
    out[0] = loss;
    out[1] = -2 * a * b * ds - a * a * b * b * dGd;
    for (size_t j = 0; j < K; j++) t[j] = s[j] - sbar;
    for (size_t j = 0; j < n; j++) out[2 + j] = 2 * a * b * rw[j] * t[j];
    if (!want_hess) return;
    double gg = 0.0;
    for (size_t i = 0; i < K; i++) {
        double v = 0.0;
        for (size_t j = 0; j < K; j++) v += rw[j] * G[i * K + j];
        gb[i] = v;
        gg += rw[i] * v;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double C = G[i * K + j] - gb[i] - gb[j] + gg;
            double v = 2 * a * a * b * b * rw[i] * rw[j] * C - 2 * a * b * rw[i] * rw[j] * (t[i] + t[j]);
            if (i == j) v += 2 * a * b * rw[j] * t[j];
            out[2 + n + i * n + j] = v;
        }
}

#endif
