/* spire/fed.h — SPIRE, federated (THEORY.md §8): clients, federated
 * averaging of the score network's backbone with private client embeddings,
 * new-client adaptation (SPIRE and its baselines), and the measurements
 * (KID per client, implied mixing weights, forgetting, the embedding probe
 * of claim C10, the network denoiser against the exact score of §2).
 *
 * Everything here is the lab's own protocol (sizes, grids, optimiser), not
 * the paper's; docs/cli-spire-fed.md states the choices.
 *
 * Random streams (common/spl.h; never a thread id):
 *   data of client c            (seed, SPIRE_FED_STREAM_DATA, c)
 *   client weights / partition  (seed, SPIRE_FED_STREAM_DATA, 1000000)
 *   which clients are new       (seed, SPIRE_FED_STREAM_NEW, 0)
 *   clients of round r          (seed, SPIRE_FED_STREAM_SELECT, r)
 *   local step k of client c in round r:  (spl_stream_seed(seed, SPIRE_FED_STREAM_LOCAL, r), c, k)
 *   adaptation step k of client c:        (spl_stream_seed(seed, SPIRE_FED_STREAM_ADAPT, c), method, k)
 *   samples of client c for evaluation:    seed spl_stream_seed(seed, SPIRE_FED_STREAM_EVAL, c)
 * so a run is a function of its seed, and a run resumed at a round boundary
 * is bit-identical to an uninterrupted one.
 *
 * Library rules: nothing prints or exits; GSL status codes (common/spl.h):
 * GSL_EINVAL for a NULL pointer, an unknown kind or method, or objects whose
 * sizes do not fit together (a model of another configuration, data of
 * another dimension); GSL_EDOM for a number out of its stated range (a
 * client index, a count, an option field); GSL_ENOMEM; GSL_EFAILED on I/O.
 * The *_default functions do nothing for NULL.
 */
#ifndef SPIRE_FED_H
#define SPIRE_FED_H

#include <stddef.h>
#include <stdint.h>
#include "ddpm/schedule.h"
#include "spire/kid.h"
#include "spire/model.h"
#include "spire/sample.h"

#define SPIRE_FED_STREAM_DATA   0x5201u
#define SPIRE_FED_STREAM_NEW    0x5202u
#define SPIRE_FED_STREAM_SELECT 0x5203u
#define SPIRE_FED_STREAM_LOCAL  0x5204u
#define SPIRE_FED_STREAM_ADAPT  0x5205u
#define SPIRE_FED_STREAM_EVAL   0x5206u
#define SPIRE_FED_STREAM_INIT   0x5207u

/* ---- clients and their data ------------------------------------------------ */

typedef enum { SPIRE_FED_GMM2 = 0, SPIRE_FED_GMMK = 1, SPIRE_FED_DIGITS = 2 } spire_fed_kind;

/* Limits of spire_fed_data_make (memory and run time, not mathematics). */
#define SPIRE_FED_C_MAX 100000u     /* clients */
#define SPIRE_FED_K_MAX 1000u       /* gmmK components */
#define SPIRE_FED_N_MAX 10000000u   /* synthetic points per client */

typedef struct {
    spire_fed_kind kind;
    size_t C;           /* clients ≥ 2 (pre-training + new) */
    size_t D;           /* dimension (synthetic; digits: 64) */
    size_t K;           /* gmmK components ≥ 2 (gmm2: 2; digits: 10 labels) */
    double sep;         /* gmm2: Δ, means ±Δ/2·e1, σ = 1 (THEORY.md §1) */
    double radius;      /* gmmK: means on a circle of radius R in coordinates 1, 2 (D ≥ 2) */
    double sigma;       /* gmmK: component standard deviation */
    double alpha;       /* gmmK: client weights ~ Dirichlet(α); digits: label skew Dirichlet(α) */
    size_t s;           /* digits: s labels per client (0: use Dirichlet(α)) */
    size_t n;           /* synthetic: points per client (train + held out) */
    double holdout;     /* held-out fraction per client, in (0, 1) */
    const char *path;   /* digits file (NULL: SPIRE_DIGITS_PATH) */
    uint64_t seed;
} spire_fed_data_opts;

/* gmm2, C = 8, D = 2, sep = 4, n = 500, holdout 0.25, α = 0.5, K = 4,
 * R = 3, σ = 0.5, s = 0, seed 1 (then adjust kind-specific fields). */
void spire_fed_data_opts_default(spire_fed_data_opts *o, spire_fed_kind kind);

typedef struct {
    spire_fed_kind kind;
    size_t C, D, K;
    size_t *n_train, *n_test;    /* (C) */
    float **train, **test;       /* (C) row-major (n, D) */
    int **lab_train, **lab_test; /* (C) component or digit of each row */
    double *w;                   /* (C, K) true mixing weights (synthetic); label shares of the
                                    client's rows (digits) */
    double *mu;                  /* (K, D) component means (synthetic); NULL for digits */
    double sigma;                /* component standard deviation (synthetic) */
} spire_fed_data;

/* Make the clients.
 *   gmm2:   π_c = 0.05 + 0.9 (c + 1/2)/C (spread over (0.05, 0.95)); x ~ π_c N(μ1, I) + (1−π_c) N(μ2, I)
 *   gmmK:   w_c ~ Dirichlet(α·1_K); x ~ Σ_k w_ck N(μ_k, σ² I)
 *   digits: the 8×8 digits (spire/data.h) shared among C clients by label skew: each row
 *           with label l goes to client c with probability q_cl / Σ_c' q_c'l, where q_c ~
 *           Dirichlet(α·1_10) (s = 0), or q_cl = 1 for the s labels (c·s + j) mod 10, j < s.
 * Each client's rows are then split into train / held out (holdout fraction,
 * at least one row each when it has ≥ 2).  NULL on failure, with *status
 * (may be NULL) and the reason in err: GSL_EDOM for C ∉ [2,
 * SPIRE_FED_C_MAX], holdout ∉ (0, 1), n ∉ [4, SPIRE_FED_N_MAX], K ∉ [2,
 * SPIRE_FED_K_MAX], α ≤ 0, s > 10, D < 2 for gmmK, Δ, σ or R ≤ 0; GSL_EINVAL
 * for o NULL, an unknown kind, a digits file that is malformed or a
 * digits client with fewer than 4 rows; GSL_EFAILED if the digits file cannot
 * be read. */
spire_fed_data *spire_fed_data_make(const spire_fed_data_opts *o, int *status, char *err,
                                    size_t errlen);
void spire_fed_data_free(spire_fed_data *d);   /* NULL is fine */

/* The n_new new clients (held out of pre-training): is_new (C) gets 1 for the
 * first n_new entries of a random permutation (stream SPIRE_FED_STREAM_NEW).
 * GSL_EDOM unless C ≥ 2 and n_new ≤ C − 1 (0 allowed: nobody new);
 * GSL_EINVAL if is_new is NULL. */
int spire_fed_pick_new(size_t C, size_t n_new, uint64_t seed, int *is_new);

/* ---- federated averaging ------------------------------------------------------ */

/* Distribution of a round's clients over processes (cli/dist.c fills it
 * with MPI; the library knows nothing of how).  In a round with m selected
 * clients, a process trains the j-th (0-based, in selection order) only if
 * owns(ctx, j, m); then share(ctx, status, outp, oute, lsum, m, P, ee), called
 * by every process with its own status, must fill rows j of outp (m × P
 * backbones), oute (m × ee embeddings) and lsum (m loss sums) of every
 * client from the process that trained it, and return a status common to
 * all processes (nonzero if any failed).  The average is then computed on
 * every process from the same rows in the same order, so every process
 * holds the same, bit-identical, server state as a one-process run. */
typedef struct spire_fed_hook {
    int (*owns)(void *ctx, size_t j, size_t m);
    int (*share)(void *ctx, int status, float *outp, float *oute, double *lsum, size_t m,
                 size_t P, size_t ee);
    void *ctx;
} spire_fed_hook;

typedef struct {
    size_t rounds;       /* R */
    double frac;         /* client fraction q ∈ (0, 1]: max(1, round(q·n_pre)) clients per round */
    size_t local_steps;  /* E local AdamW steps per selected client and round */
    size_t batch;        /* rows per step */
    double lr;           /* AdamW learning rate (β 0.9, 0.999, eps 1e-8, no decay) */
    int embed;           /* 1: each client trains its private embedding (SPIRE);
                            0: embeddings stay zero (plain FedAvg, one global model) */
    uint64_t seed;
    const spire_fed_hook *hook;   /* NULL: every client trained here */
} spire_fed_opts;

/* R 40, q 0.5, E 25, batch 128, lr 2e-3, embed 1, seed 1, no hook. */
void spire_fed_opts_default(spire_fed_opts *o);

/* The server: the shared backbone only.  It has no embedding block: the
 * client embeddings are held by the clients (spire_fed_run.embed). */
typedef struct {
    spire_config cfg;
    size_t n_params;
    size_t round;        /* rounds completed */
    float *backbone;     /* (n_params), spire_params layout */
} spire_fed_server;

/* A federated run: server + client-held embeddings + a work model. */
typedef struct {
    spire_fed_server srv;
    size_t ee;           /* embedding width */
    float *embed;        /* (C, ee) client c's embedding at row c (client-side memory) */
    spire_model *work;   /* a model used for local training (backbone and embeddings copied in) */
    double *loss;        /* (C) mean local loss of the last round, NaN if not selected */
    struct spire_fed_pool *pool;   /* internal (spire/fed.c): the workers' work spaces and the
                                    * round's buffers, kept from round to round */
} spire_fed_run;

/* Allocate with the backbone initialised as spire_model_init(seed) and zero
 * embeddings; cfg.C must equal the number of clients.  NULL on failure with
 * *status (may be NULL): spire_config_check's code, or GSL_ENOMEM. */
spire_fed_run *spire_fed_run_alloc(const spire_config *cfg, uint64_t seed, int *status);
void spire_fed_run_free(spire_fed_run *r);

/* Weighted average (the FedAvg aggregation):
 *   out[i] = Σ_j w_j in_j[i] / Σ_j w_j,  i < n,  accumulated in double.
 * in holds k rows of n floats.  GSL_EDOM if k = 0 or Σ w ≤ 0. */
int spire_fed_average(float *out, const float *in, const double *w, size_t k, size_t n);

/* One round (round number srv.round + 1): choose clients among those with
 * eligible[c] = 1; each starts from the server's backbone and its own
 * embedding, takes E AdamW steps (fresh optimiser state each round) on its
 * training rows; the server replaces its backbone by the average of the
 * returned backbones weighted by n_train; each client keeps its embedding
 * (if o->embed).  r->loss[c] = mean local loss.  GSL_EDOM if a loss is not
 * finite (the run is left as before the round), or for batch = 0, lr ≤ 0,
 * frac ∉ (0, 1], no eligible client; GSL_EINVAL for a NULL pointer or data
 * of another C or D than the run. */
int spire_fed_round(spire_fed_run *r, const ddpm_schedule *s, const spire_fed_data *d,
                    const int *eligible, const spire_fed_opts *o);

/* Copy the run into a model (backbone and every embedding); m->cfg must match
 * (GSL_EINVAL otherwise, or for a NULL pointer). */
int spire_fed_to_model(const spire_fed_run *r, spire_model *m);
/* dst ← src: backbone and embeddings (same config, else GSL_EINVAL). */
int spire_fed_model_copy(spire_model *dst, const spire_model *src);

/* Checkpoint of a run: magic "SPIREFED", u32 version, u32 length and the text
 * `config` (the caller's canonical description of everything that determines
 * the run except the number of rounds), u64 round, u64 n_params, u64 n_embed,
 * f32 backbone, f32 embeddings, u32 CRC-32 of all before.  Written atomically
 * (common/spl_file.h: temporary file, fsync, rename, fsync of the directory).
 * Load verifies the checksum before it believes any size in the file, and
 * refuses (GSL_EINVAL, err says why; the run is left unchanged) a file that
 * is "truncated", damaged ("checksum mismatch"), of another "version", of
 * "the wrong size", of other network sizes or a config text different from
 * the one given ("a different configuration"), or holds "non-finite"
 * parameters.  GSL_EFAILED on I/O. */
int spire_fed_save(const char *path, const spire_fed_run *r, const char *config,
                   char *err, size_t errlen);
int spire_fed_load(const char *path, spire_fed_run *r, const char *config,
                   char *err, size_t errlen);

/* ---- new clients: SPIRE and the baselines ------------------------------------ */

/* The adaptation methods: one table in spire/fed.c (name, start, trainable
 * parameters, init, gradient step); the enum is its row order.  Adding a
 * baseline is one row there and one name here. */
typedef enum {
    SPIRE_FED_M_SPIRE = 0,  /* SPIRE: backbone frozen, train the client's embedding only */
    SPIRE_FED_M_ASIS,       /* FedAvg global model as is (0 trainable parameters) */
    SPIRE_FED_M_FULL,       /* FedAvg + full fine-tune of the backbone */
    SPIRE_FED_M_LAST,       /* FedAvg + fine-tune of the output layer (wo, bo) */
    SPIRE_FED_M_LORA,       /* FedAvg + rank-r adapters W + B·A on the L−1 hidden H×H weights */
    SPIRE_FED_M_LOCAL,      /* local training from scratch on the client's data */
    SPIRE_FED_NMETHODS
} spire_fed_method;

/* Which pre-trained model a method starts from. */
typedef enum { SPIRE_FED_FROM_SPIRE = 0, SPIRE_FED_FROM_FEDAVG, SPIRE_FED_FROM_SCRATCH } spire_fed_start;

typedef struct {
    const char *name;        /* "spire", "fedavg", "full", "last", "lora", "local" */
    spire_fed_start start;
    int shared;              /* 1: it changes the shared backbone (the new clients adapt it in
                                turn, so the pre-training clients may forget); 0: per-client */
    const char *what;        /* one line for tables and --help */
} spire_fed_method_info;

/* The row of method m; NULL for an unknown m. */
const spire_fed_method_info *spire_fed_method_get(spire_fed_method m);
const char *spire_fed_method_name(spire_fed_method m);       /* "spire", "fedavg", … ("?") */
int spire_fed_method_parse(const char *name, spire_fed_method *m);   /* GSL_EINVAL: unknown/NULL */
/* The names joined by '|' ("spire|fedavg|…") into buf (len); GSL_EINVAL for
 * NULL, GSL_EDOM if len is too small. */
int spire_fed_method_list(char *buf, size_t len);

typedef struct {
    size_t steps;        /* adaptation steps */
    double lr;
    size_t batch;
    size_t rank;         /* LoRA rank r ≥ 1 */
    size_t local_steps;  /* steps of local training from scratch */
    uint64_t seed;
} spire_fed_adapt_opts;

/* steps 300, lr 1e-2, batch 128, rank 2, local_steps 2000, seed 1. */
void spire_fed_adapt_opts_default(spire_fed_adapt_opts *o);

/* Trainable parameters per new client (closed forms):
 *   spire: ee;  fedavg: 0;  full: n_params;  last: D·H + D;
 *   lora: (L−1)·r·2H;  local: n_params.  0 for cfg NULL or an unknown method. */
size_t spire_fed_trainable(const spire_config *cfg, spire_fed_method m, size_t rank);

/* Adapt model m (the pre-trained network; modified in place) to client c
 * from its training rows x (n, D):
 *   spire:  e_c ← mean of the embeddings of the clients with known[c'] = 1,
 *           then `steps` AdamW steps on e_c alone (backbone untouched);
 *   fedavg: nothing;  full / last: AdamW on the backbone / on wo, bo;
 *   lora:   A (r, H) ~ U(±1/√H), B (H, r) = 0 per hidden layer, AdamW on A, B
 *           through W_eff = W + B·A (dB = G Aᵀ, dA = Bᵀ G with G = ∂loss/∂W_eff);
 *           at the end W + B·A is merged into m (a per-client model);
 *   local:  re-initialise the backbone (stream SPIRE_FED_STREAM_INIT, c), zero e_c,
 *           `local_steps` AdamW steps on the backbone.
 * Embeddings are trained only by spire.  *loss (may be NULL): mean loss over
 * the last min(50, steps) steps (NaN if no step).  GSL_EINVAL for a NULL
 * pointer (loss may be NULL) or an unknown method; GSL_EDOM for c ∉ [0, C),
 * n = 0, batch = 0, lr ≤ 0, a LoRA rank ∉ [1, H], or a loss that turns
 * non-finite. */
int spire_fed_adapt(spire_model *m, const ddpm_schedule *s, spire_fed_method method, int c,
                    const float *x, size_t n, const int *known, const spire_fed_adapt_opts *o,
                    double *loss);

/* ---- measurements -------------------------------------------------------------- */

typedef struct {
    size_t n_gen;        /* samples generated per client */
    size_t ddim_steps;   /* DDIM steps */
    size_t subsets, subset_size;   /* KID (subset size capped by the sample sizes) */
    double clip;         /* sampler clamp (digits: 1) */
    double eta;          /* DDIM's η ∈ [0, 1] (spire/sample.h; default 0) */
    uint64_t seed;
} spire_fed_eval_opts;

/* Samples of client c: x (n, D), DDIM (ddim_steps, clip, eta), seed
 * spl_stream_seed(seed, EVAL, c). */
int spire_fed_generate(spire_model *m, const ddpm_schedule *s, int c,
                       const spire_fed_eval_opts *o, float *x);

/* KID (spire/kid.h) of n_gen generated samples of client c against its
 * held-out rows; x (n_gen, D) receives the samples (may be NULL).  GSL_EDOM
 * for c out of range, fewer than 2 held-out rows or n_gen < 2; GSL_EINVAL for
 * a NULL pointer. */
int spire_fed_kid(spire_model *m, const ddpm_schedule *s, const spire_fed_data *d, int c,
                  const spire_fed_eval_opts *o, float *x, spire_kid_result *res);

/* spire_fed_kid of every client c with mask[c] == want, concurrently on
 * omp_get_max_threads() workers (a copy of m each, BLAS single-threaded):
 * kid[c] for those clients (the others untouched) and *mean their mean in
 * client order (NaN if none).  The first failing client's code (in client
 * order), GSL_EINVAL for a NULL pointer, GSL_ENOMEM.  Results do not depend
 * on the thread count. */
int spire_fed_kid_clients(spire_model *m, const ddpm_schedule *s, const spire_fed_data *d,
                          const int *mask, int want, const spire_fed_eval_opts *o, double *kid,
                          double *mean);

/* Mixing weights implied by samples x (n, D): the share of rows whose
 * nearest mean (Euclidean) among mu (K, D) is k, into w (K).  GSL_EDOM for
 * n, D or K = 0; GSL_EINVAL for a NULL pointer. */
int spire_fed_implied_weights(const float *x, size_t n, size_t D, const double *mu, size_t K,
                              double *w);

/* The exact ε-predictor of a Gaussian mixture Σ_k w_k N(μ_k, σ² I)
 * (THEORY.md §2 with σ; at σ = 1 and K = 2 exactly s* of §2): x_t at step i
 * has law Σ_k w_k N(a μ_k, v I), v = a²σ² + b², and
 *   ε̂*(x) = −b ∇log p_t(x) = (b/v) (x − a Σ_k r_k(x) μ_k),  r_k the posterior,
 * by gmm_score_noised (gmm/gmm.h; no limit on K).  Context for
 * spire_sample_fn (spire/sample.h).  GSL_EINVAL for a NULL pointer (also in
 * the context), GSL_EDOM for a step i ∉ [1, T], GSL_ENOMEM. */
typedef struct {
    size_t K, D;
    const double *mu;    /* (K, D) */
    const double *w;     /* (K) */
    double sigma;
    const ddpm_schedule *s;
} spire_fed_exact;
int spire_fed_exact_eps(void *ctx, const float *x, size_t i, size_t nb, float *out);

/* Leave-one-out ridge probe: for each i, fit y ≈ β0 + X β on the other n−1
 * rows (columns centred; ridge λ = lambda_rel·‖X_centred‖_F, solved as least
 * squares on [X; λI] β = [y; 0] with gsl_multifit_linear, so p may exceed
 * n − 1), predict pred[i]; *corr = Pearson
 * correlation of pred with y.  X (n, p), n ≥ 3.  GSL_EDOM for n < 3, p = 0
 * or λ < 0; GSL_EINVAL for a NULL pointer. */
int spire_fed_probe_loo(const double *X, const double *y, size_t n, size_t p, double lambda_rel,
                        double *pred, double *corr);

/* The gmm2 bridge (THEORY.md §2): at step i, draw n points x_t from client
 * c's p_t, evaluate the network ε̂(x_t, i, e_c) and the exact ε̂* with π_c.
 *   rel_err   = ‖ε̂_net − ε̂*(π_c)‖ / ‖ε̂*(π_c)‖  (sums over points and coordinates)
 *   rel_err05 = the same against ε̂* with π = 1/2 (what the error would be if the
 *               network ignored the client)
 * Swap with client c2: Δ_net = ε̂(x, i, e_c2) − ε̂(x, i, e_c), Δ* = ε̂*(π_c2) − ε̂*(π_c):
 *   swap_cos = ⟨Δ_net, Δ*⟩/(‖Δ_net‖‖Δ*‖), swap_ratio = ‖Δ_net‖/‖Δ*‖.
 * GSL_EINVAL for a NULL pointer, data that are not gmm2 or a model of
 * another D or fewer clients; GSL_EDOM for c, c2, i or n out of range. */
typedef struct { double rel_err, rel_err05, swap_cos, swap_ratio; } spire_fed_bridge;
int spire_fed_bridge_gmm2(spire_model *m, const ddpm_schedule *s, const spire_fed_data *d,
                          int c, int c2, size_t i, size_t n, uint64_t seed, spire_fed_bridge *res);

#endif
