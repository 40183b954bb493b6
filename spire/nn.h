/* spire/nn.h — the layers of the score network (THEORY.md §8), llm.c style.
 *
 * Every layer is a *_forward / *_backward pair of free functions on raw
 * row-major arrays with explicit sizes: outputs first, then inputs, then
 * dimensions.  Backward functions ACCUMULATE (+=) into the gradients they
 * are given (zero them first); a NULL gradient pointer skips that output.
 * Matrix products go through CBLAS (OpenBLAS): cblas_sgemm for float,
 * cblas_dgemm for the double-precision twin (suffix _d) used by the
 * finite-difference tests.  No function allocates, prints or fails, and
 * none checks its arguments (hot kernels, as in llm.c): a NULL pointer or
 * sizes that do not match the arrays are the caller's error.  The one
 * exception to common/spl.h's error convention, and the only public
 * functions tests/cu_errors.c does not call.
 *
 * Shapes: a batch of B rows; a dense layer maps (B, I) → (B, O) with
 * weights W (O, I) (PyTorch's nn.Linear layout) and bias b (O).
 *
 * Typical use (one dense + SiLU layer, forward then backward):
 *     spire_dense_forward(pre, x, W, b, B, I, O);
 *     spire_silu_forward(h, pre, B * O);
 *     ... dh = dLoss/dh ...
 *     memset(dpre, 0, ...); spire_silu_backward(dpre, dh, pre, B * O);
 *     spire_dense_backward(dx, dW, db, dpre, x, W, B, I, O);
 */
#ifndef SPIRE_NN_H
#define SPIRE_NN_H

#include <stddef.h>

/* out (B, O) = in (B, I) · Wᵀ + b;  b may be NULL (no bias). */
void spire_dense_forward(float *out, const float *in, const float *W, const float *b,
                         size_t B, size_t I, size_t O);
/* Given dout = dL/dout (B, O):
 *   din (B, I) += dout · W,   dW (O, I) += doutᵀ · in,   db (O) += Σ_rows dout.
 * din, dW, db may each be NULL. */
void spire_dense_backward(float *din, float *dW, float *db, const float *dout,
                          const float *in, const float *W, size_t B, size_t I, size_t O);

/* SiLU: out_i = x_i·σ(x_i), elementwise over n values. */
void spire_silu_forward(float *out, const float *in, size_t n);
/* din_i += dout_i · σ(x_i)(1 + x_i(1 − σ(x_i))), x = the forward input. */
void spire_silu_backward(float *din, const float *dout, const float *in, size_t n);

/* The same with the forward output out = SiLU(in) at hand: σ(x) = out/x
 * (1/2 at x = 0), a division instead of an exponential. */
void spire_silu_backward_out(float *din, const float *dout, const float *in, const float *out,
                             size_t n);

/* Sinusoidal time embedding (Vaswani et al.; DDPM), E even, half = E/2:
 *   f_j = 10000^(−j/half),  out[r, j] = sin(t_r f_j),  out[r, half+j] = cos(t_r f_j),
 * j = 0..half−1, t in diffusion steps (1..T).  Evaluated in double, stored as float. */
void spire_temb_forward(float *out, const float *t, size_t B, size_t E);
/* dt (B) += Σ_j dout[r, j] f_j cos(t f_j) − dout[r, half+j] f_j sin(t f_j):
 * the derivative with respect to a continuous t (the embedding has no
 * parameters; the client embedding added to it takes dout unchanged). */
void spire_temb_backward(float *dt, const float *dout, const float *t, size_t B, size_t E);

/* Mean squared error over n values: (1/n) Σ (pred − target)²  (PyTorch's
 * F.mse_loss, reduction "mean").  Summed in double. */
double spire_mse_forward(const float *pred, const float *target, size_t n);
/* dpred += 2 (pred − target) / n. */
void spire_mse_backward(float *dpred, const float *pred, const float *target, size_t n);

/* Softmax cross-entropy over B rows of K logits (PyTorch's F.cross_entropy,
 * reduction "mean"; llm.c's crossentropy_softmax pair):
 *   prob[r, k] = exp(z[r, k] − max_r) / Σ_j exp(z[r, j] − max_r),
 *   L = (1/B) Σ_r (log Σ_j exp(z[r, j] − max_r) + max_r − z[r, label_r]).
 * Each row in double; prob (B, K) receives the softmax, for the backward.
 * Returns L.  label_r must lie in 0..K−1 (not checked). */
double spire_softmax_xent_forward(float *prob, const float *logits, const int *label,
                                  size_t B, size_t K);
/* dlogits[r, k] += (prob[r, k] − [k = label_r]) / B. */
void spire_softmax_xent_backward(float *dlogits, const float *prob, const int *label,
                                 size_t B, size_t K);

/* One AdamW step (Loshchilov & Hutter; PyTorch's torch.optim.AdamW) on n
 * parameters, step = 1, 2, … (the bias corrections use it):
 *   θ ← θ(1 − lr·wd);  m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;
 *   θ ← θ − (lr/(1−β1^step)) · m / (√v/√(1−β2^step) + eps).
 * wd = 0 is plain Adam with bias correction.  m, v start at zero. */
void spire_adamw_update(float *param, const float *grad, float *m, float *v, size_t n,
                        double lr, double beta1, double beta2, double eps, double wd,
                        size_t step);

/* ---- the same in double precision (tests: finite differences) ---------- */
void spire_dense_forward_d(double *out, const double *in, const double *W, const double *b,
                           size_t B, size_t I, size_t O);
void spire_dense_backward_d(double *din, double *dW, double *db, const double *dout,
                            const double *in, const double *W, size_t B, size_t I, size_t O);
void spire_silu_forward_d(double *out, const double *in, size_t n);
void spire_silu_backward_d(double *din, const double *dout, const double *in, size_t n);
void spire_silu_backward_out_d(double *din, const double *dout, const double *in,
                               const double *out, size_t n);
void spire_temb_forward_d(double *out, const double *t, size_t B, size_t E);
void spire_temb_backward_d(double *dt, const double *dout, const double *t, size_t B, size_t E);
double spire_mse_forward_d(const double *pred, const double *target, size_t n);
void spire_mse_backward_d(double *dpred, const double *pred, const double *target, size_t n);
double spire_softmax_xent_forward_d(double *prob, const double *logits, const int *label,
                                    size_t B, size_t K);
void spire_softmax_xent_backward_d(double *dlogits, const double *prob, const int *label,
                                   size_t B, size_t K);
void spire_adamw_update_d(double *param, const double *grad, double *m, double *v, size_t n,
                          double lr, double beta1, double beta2, double eps, double wd,
                          size_t step);

#endif
