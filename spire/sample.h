/* spire/sample.h — generating samples with a trained score network
 * (THEORY.md §8; Ho et al. 2020, Song et al. 2021).
 *
 * With ε̂ = ε̂(x, i, e_c) and the schedule's β_i, ᾱ_i (ᾱ_0 = 1), a_i = √ᾱ_i,
 * b_i = √(1−ᾱ_i):
 *
 * ancestral DDPM, all T steps, x_T ~ N(0, I):
 *   x_{i−1} = (x_i − β_i/b_i · ε̂) / √(1−β_i) + σ_i z,   z ~ N(0, I),
 *   σ_i² = β̃_i = β_i (1−ᾱ_{i−1})/(1−ᾱ_i)  (the posterior variance), σ_1 = 0.
 *
 * DDIM with S steps τ_k = ⌊kT/S⌋, k = S..1, τ_0 = 0, and η ∈ [0, 1] (Song
 * et al. 2021, eq. 12 and 16); with a = a_τk, ᾱ = ᾱ_τk and primes for τ_(k−1):
 *   x̂_0 = (x − b ε̂)/a,   x ← a' x̂_0 + √(1 − ᾱ' − σ_k²) ε̂ + σ_k z,  z ~ N(0, I),
 *   σ_k = η √((1 − ᾱ')/(1 − ᾱ)) √(1 − ᾱ/ᾱ')
 * (σ_1 = 0: the last step returns x̂_0).  η = 0 is deterministic DDIM,
 * x ← a' x̂_0 + b' ε̂.  With S = T and η = 1, σ_k² = β̃_i and the mean is the
 * DDPM posterior mean below: ancestral DDPM in law (not in bits: the two
 * round differently).  η > 0 shrinks the ε̂ term (coefficient below b') and
 * puts fresh noise in its place, so part of an ε-error is forgotten at every
 * step, as in ancestral sampling; η = 0 is neutrally stable at high noise
 * (docs/cli/sample.md).
 *
 * clip > 0 (for data known to lie in [−clip, clip], e.g. images in [−1, 1]):
 * x̂_0 is clamped to [−clip, clip] at every step (as diffusers' clip_sample);
 * DDIM then re-noises with the ε consistent with the clamped x̂_0,
 * ε = (x − a_τk x̂_0)/b_τk (GLIDE; diffusers' use_clipped_model_output), not
 * with the raw ε̂ (which put the clamped-away error back: KID 0.85 instead of
 * 0.13 on a digits network, docs/cli/sample.md); DDPM uses the posterior-mean form
 *   x_{i−1} = [√ᾱ_{i−1} β_i x̂_0 + √(1−β_i)(1−ᾱ_{i−1}) x_i]/(1−ᾱ_i) + σ_i z,
 * equal to the ε form above when nothing is clamped.  The last step returns
 * x̂_0 itself, so every sample lies in [−clip, clip].  clip = 0: no clamping.
 *
 * Rows are generated in blocks of SPIRE_SAMPLE_BLOCK; block j draws only
 * from stream spl_rng_alloc(seed, SPIRE_STREAM_SAMPLE, j), so the result
 * does not depend on how blocks are scheduled.
 *
 * Typical use:
 *     float *x = malloc(n * D * sizeof *x);
 *     spire_sample(m, sched, SPIRE_SAMPLER_DDIM, 100, 0.0, 0.0, 0, n, seed, x);
 */
#ifndef SPIRE_SAMPLE_H
#define SPIRE_SAMPLE_H

#include <stddef.h>
#include <stdint.h>
#include "ddpm/schedule.h"
#include "spire/model.h"

#define SPIRE_STREAM_SAMPLE 0x5103u
#define SPIRE_SAMPLE_BLOCK 1024

typedef enum { SPIRE_SAMPLER_DDPM = 0, SPIRE_SAMPLER_DDIM = 1 } spire_sampler;

/* n samples into x (n, D) for client `client`.  S: DDIM steps, 1 ≤ S ≤ T
 * (ignored by DDPM, which takes all T); clip ≥ 0 as above; eta ∈ [0, 1]
 * (ignored by DDPM; DDIM's noise z is drawn from the block's stream after its
 * initial noise).  GSL_EDOM for S out of range, a negative or non-finite
 * clip, eta ∉ [0, 1] (also NaN), a client out of range or n = 0; GSL_EINVAL
 * for a NULL pointer or an unknown sampler; GSL_ENOMEM.
 * Blocks run concurrently on omp_get_max_threads() workers, each with its
 * own copy of the network (the first uses m's activation buffers: not
 * thread-safe on one model); the samples do not depend on the count.
 * SPIRE_SAMPLE_BLOCK is a block size, not a limit on n. */
int spire_sample(spire_model *m, const ddpm_schedule *s, spire_sampler sampler, size_t S,
                 double clip, double eta, int client, size_t n, uint64_t seed, float *x);

/* The same samplers on any ε-predictor: eps(ctx, x, i, nb, out) writes
 * ε̂(x_r, i) for the nb rows x (nb, D) into out (nb, D) and returns a GSL
 * status.  Tests use it with the exact predictor of a Gaussian.  The codes
 * of spire_sample (D = 0: GSL_EDOM), or eps's own. */
typedef int (*spire_eps_fn)(void *ctx, const float *x, size_t i, size_t nb, float *out);
int spire_sample_fn(spire_eps_fn eps, void *ctx, size_t D, const ddpm_schedule *s,
                    spire_sampler sampler, size_t S, double clip, double eta, size_t n,
                    uint64_t seed, float *x);

/* The coefficients of one DDIM step from τ = i to τ' = ip (0 ≤ ip < i ≤ T)
 * with η = eta: x' = ca x̂_0 + ce ε + sigma z, i.e. ca = a' (1 at ip = 0),
 * ce = √(1 − ᾱ' − σ²), sigma = σ as above (ᾱ' = 1 at ip = 0, so ce = sigma
 * = 0 there).  η = 0 gives ce = b' exactly.  GSL_EINVAL for a NULL pointer;
 * GSL_EDOM for i ∉ [1, T], ip ≥ i or eta ∉ [0, 1]. */
int spire_ddim_coefs(const ddpm_schedule *s, size_t i, size_t ip, double eta, double *ca,
                     double *ce, double *sigma);

/* KID (spire/kid.h) of n samples of client `client` (drawn as spire_sample
 * does, with sample_seed) against the rows test (n_test, D): `subsets` random
 * subsets of size min(n, n_test, 1000), drawn from kid_seed.  GSL_EDOM for
 * n < 2 or n_test < 2, GSL_EINVAL for a NULL pointer, GSL_ENOMEM, or
 * spire_sample's errors. */
int spire_sample_kid(spire_model *m, const ddpm_schedule *s, spire_sampler sampler, size_t S,
                     double clip, double eta, int client, const float *test, size_t n_test, size_t n,
                     size_t subsets, uint64_t sample_seed, uint64_t kid_seed,
                     double *kid_mean, double *kid_std);

/* "ddpm" | "ddim" → value; GSL_EINVAL otherwise (or NULL). */
int spire_sampler_parse(const char *name, spire_sampler *sampler);
const char *spire_sampler_name(spire_sampler sampler);   /* "?" for another value */

#endif
