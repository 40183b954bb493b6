/* spire/model.h — the score network ε̂(x_t, t, e) of THEORY.md §8.
 *
 * An MLP on [x_t, temb(t)]:
 *   z_0 = [x_t, temb(t) + e_c]               (embed at "time": e_c ∈ R^E)
 *   h_1 = SiLU(W_1 z_0 + b_1 (+ e_c))        (embed at "hidden": e_c ∈ R^H)
 *   h_l = SiLU(W_l h_{l−1} + b_l),  l = 2..L
 *   ε̂   = W_o h_L + b_o                      (linear output in R^D)
 * with x_t ∈ R^D, temb the sinusoidal embedding of spire/nn.h (dimension E),
 * L hidden layers of width H, and e_c the embedding of client c.
 *
 * Memory (llm.c style): the backbone — every weight and bias — lives in ONE
 * allocated block `params` reached through named pointers with their shapes
 * (spire_params); its gradient `grads` has the same layout.  The client
 * embeddings live in a SEPARATE block `embed` (C, ee) with gradient `gembed`,
 * so federated averaging is one loop over params[0..n_params) and the
 * embeddings stay private.  Activations are kept for the backward pass in a
 * third block, grown on demand to the largest batch seen.
 *
 * Precision: spire_model is float (OpenBLAS sgemm); spire_model_d is the
 * same network in double, built from the same source (spire/model_body.inc),
 * for the finite-difference tests.  Every function exists in both, the
 * double one with suffix _d.
 *
 * Typical use (one training step, as in llm.c):
 *     spire_model *m = spire_model_alloc(&cfg, NULL);   spire_model_init(m, seed);
 *     spire_model_forward(m, x, t, NULL, eps, B);  // m->loss, m->out
 *     spire_model_zero_grad(m);  spire_model_backward(m);
 *     spire_adamw_update(m->params, m->grads, ...);  spire_model_free(m);
 * Functions return GSL status codes (common/spl.h: GSL_EINVAL for a NULL
 * pointer, GSL_EDOM for a number out of range); the model owns all its memory.
 */
#ifndef SPIRE_MODEL_H
#define SPIRE_MODEL_H

#include <stddef.h>
#include <stdint.h>

typedef enum { SPIRE_EMBED_TIME = 0, SPIRE_EMBED_HIDDEN = 1 } spire_embed_at;

/* Limits (memory, not mathematics): each size ≤ SPIRE_DIM_MAX, at most
 * SPIRE_LAYERS_MAX hidden layers. */
#define SPIRE_DIM_MAX 65536u
#define SPIRE_LAYERS_MAX 1024u

typedef struct {
    size_t D;                 /* data dimension ≥ 1 */
    size_t E;                 /* time-embedding dimension, even ≥ 2 */
    size_t H;                 /* hidden width ≥ 1 */
    size_t L;                 /* hidden layers ≥ 1 */
    spire_embed_at embed_at;  /* where e_c enters */
    size_t C;                 /* number of client embeddings ≥ 1 (1: one data set) */
} spire_config;

/* GSL_SUCCESS if cfg is valid; GSL_EINVAL for cfg NULL or an unknown
 * embed_at, GSL_EDOM for a size out of range (or E odd). */
int spire_config_check(const spire_config *cfg);
/* Backbone parameter count: H(D+E) + H + (L−1)(H² + H) + DH + D (0 for NULL). */
size_t spire_config_n_params(const spire_config *cfg);
/* Embedding width: E (embed at time) or H (embed at hidden) (0 for NULL). */
size_t spire_config_embed_width(const spire_config *cfg);
/* "time" | "hidden" → value; GSL_EINVAL otherwise (or NULL). */
int spire_embed_at_parse(const char *name, spire_embed_at *at);
const char *spire_embed_at_name(spire_embed_at at);   /* "?" for another value */

/* Named views into the backbone block, in storage order. */
#define SPIRE_PARAMS_FIELDS(R)                                                  \
    R *w1;   /* (H, D+E)     first hidden layer, input [x_t, temb + e] */       \
    R *b1;   /* (H) */                                                          \
    R *wh;   /* (L−1, H, H)  hidden layers 2..L, layer l at wh + (l−2)·H·H */   \
    R *bh;   /* (L−1, H) */                                                     \
    R *wo;   /* (D, H)       output layer */                                    \
    R *bo;   /* (D) */

typedef struct { SPIRE_PARAMS_FIELDS(float) } spire_params;
typedef struct { SPIRE_PARAMS_FIELDS(double) } spire_params_d;

#define SPIRE_MODEL_FIELDS(R, P)                                                \
    spire_config cfg;                                                           \
    size_t n_params;   /* backbone size */                                      \
    size_t ee;         /* embedding width (E or H) */                           \
    size_t n_embed;    /* C·ee */                                               \
    R *params;         /* (n_params) the backbone block */                      \
    P p;               /* its named views */                                    \
    R *grads;          /* (n_params) gradient, same layout */                   \
    P g;               /* its named views */                                    \
    R *embed;          /* (C, ee) client embeddings, own block */               \
    R *gembed;         /* (C, ee) their gradient */                             \
    /* activations of the last forward (B rows; capacity bmax rows) */          \
    size_t B, bmax;                                                             \
    R *acts;           /* the activation block */                               \
    R *t;              /* (B) time steps */                                     \
    int *client;       /* (B) client index of each row */                       \
    R *temb;           /* (B, E) sinusoidal embedding */                        \
    R *in1;            /* (B, D+E) first-layer input */                         \
    R *pre;            /* (L, B, H) pre-activations */                          \
    R *hid;            /* (L, B, H) SiLU outputs */                             \
    R *out;            /* (B, D) ε̂ */                                           \
    R *target;         /* (B, D) ε of the last forward with a target */         \
    R *dout, *dh, *dpre, *din1;  /* backward scratch */                         \
    double loss;       /* MSE of the last forward with a target, else −1 */ \
    R *temb_tab;       /* (temb_rows, E) temb of t = 0, 1, …: a cache for  \
                          integer time steps, grown on demand */              \
    size_t temb_rows;                                                           \
    int view;          /* 1: params, p and embed borrowed from another model \
                          (spire_model_view_alloc) */

typedef struct { SPIRE_MODEL_FIELDS(float, spire_params) } spire_model;
typedef struct { SPIRE_MODEL_FIELDS(double, spire_params_d) } spire_model_d;

/* Allocate a model (parameters, gradients and embeddings zeroed).  NULL on
 * failure with *status (may be NULL): spire_config_check's code, or
 * GSL_ENOMEM. */
spire_model *spire_model_alloc(const spire_config *cfg, int *status);
void spire_model_free(spire_model *m);                      /* NULL is fine */

/* PyTorch's nn.Linear default: every weight and bias of a layer with fan-in
 * I drawn U(−1/√I, 1/√I), in storage order, from stream
 * spl_rng_alloc(seed, SPIRE_STREAM_INIT, 0); embeddings set to zero. */
#define SPIRE_STREAM_INIT 0x5101u
int spire_model_init(spire_model *m, uint64_t seed);   /* GSL_EINVAL (m NULL), GSL_ENOMEM */

/* A worker's view of m, for data-parallel training (spire/train.h): it
 * reads m's backbone and embeddings (params, p, embed are m's, borrowed and
 * never written) and owns its gradients (grads, g, gembed: zeroed) and its
 * activations, so that several views can run forward and backward on
 * different rows of one batch at the same time.  Its activation block is
 * reserved for B rows and its time-embedding cache for the steps 0..T, so a
 * forward of at most B rows with integer t ≤ T allocates nothing.  m must
 * outlive the view; spire_model_free(view) frees only what the view owns.
 * NULL on failure with *status (may be NULL): GSL_EINVAL for m NULL, GSL_EDOM
 * for B = 0, GSL_ENOMEM. */
spire_model *spire_model_view_alloc(spire_model *m, size_t B, size_t T, int *status);

/* Forward pass on B rows: x (B, D), t (B) in steps, client (B) indices into
 * [0, C) or NULL (all client 0), target (B, D) = ε or NULL.  Result in m->out
 * (B, D); with a target also m->loss = (1/(B·D)) Σ (ε̂ − ε)².  Keeps what
 * the backward pass needs.  GSL_EINVAL if m, x or t is NULL, GSL_EDOM for
 * B = 0 or a client out of range, GSL_ENOMEM if the activation block cannot
 * grow. */
int spire_model_forward(spire_model *m, const float *x, const float *t, const int *client,
                        const float *target, size_t B);
/* grads = 0, gembed = 0 (nothing for NULL). */
void spire_model_zero_grad(spire_model *m);
/* Back-propagate the loss of the last forward (it must have had a target):
 * grads += ∂loss/∂params, gembed += ∂loss/∂embed.  GSL_EINVAL if there was
 * no forward with a target (or m is NULL). */
int spire_model_backward(spire_model *m);

/* ---- the same network in double precision ------------------------------ */
spire_model_d *spire_model_alloc_d(const spire_config *cfg, int *status);
void spire_model_free_d(spire_model_d *m);
spire_model_d *spire_model_view_alloc_d(spire_model_d *m, size_t B, size_t T, int *status);
int spire_model_init_d(spire_model_d *m, uint64_t seed);
int spire_model_forward_d(spire_model_d *m, const double *x, const double *t,
                          const int *client, const double *target, size_t B);
void spire_model_zero_grad_d(spire_model_d *m);
int spire_model_backward_d(spire_model_d *m);

#endif
