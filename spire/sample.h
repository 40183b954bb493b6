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
 * deterministic DDIM (η = 0) with S steps τ_k = ⌊kT/S⌋, k = S..1, τ_0 = 0:
 *   x̂_0 = (x − b_τk ε̂)/a_τk,   x ← a_τ(k−1) x̂_0 + b_τ(k−1) ε̂.
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
 *     spire_sample(m, sched, SPIRE_SAMPLER_DDIM, 100, 0.0, 0, n, seed, x);
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
 * (ignored by DDPM, which takes all T); clip ≥ 0 as above.  GSL_EDOM for S
 * out of range, a negative or non-finite clip, a client out of range or
 * n = 0; GSL_EINVAL for a NULL pointer or an unknown sampler; GSL_ENOMEM.
 * Blocks run concurrently on omp_get_max_threads() workers, each with its
 * own copy of the network (the first uses m's activation buffers: not
 * thread-safe on one model); the samples do not depend on the count.
 * SPIRE_SAMPLE_BLOCK is a block size, not a limit on n. */
int spire_sample(spire_model *m, const ddpm_schedule *s, spire_sampler sampler, size_t S,
                 double clip, int client, size_t n, uint64_t seed, float *x);

/* The same samplers on any ε-predictor: eps(ctx, x, i, nb, out) writes
 * ε̂(x_r, i) for the nb rows x (nb, D) into out (nb, D) and returns a GSL
 * status.  Tests use it with the exact predictor of a Gaussian.  The codes
 * of spire_sample (D = 0: GSL_EDOM), or eps's own. */
typedef int (*spire_eps_fn)(void *ctx, const float *x, size_t i, size_t nb, float *out);
int spire_sample_fn(spire_eps_fn eps, void *ctx, size_t D, const ddpm_schedule *s,
                    spire_sampler sampler, size_t S, double clip, size_t n, uint64_t seed,
                    float *x);

/* KID (spire/kid.h) of n samples of client `client` (drawn as spire_sample
 * does, with sample_seed) against the rows test (n_test, D): `subsets` random
 * subsets of size min(n, n_test, 1000), drawn from kid_seed.  GSL_EDOM for
 * n < 2 or n_test < 2, GSL_EINVAL for a NULL pointer, GSL_ENOMEM, or
 * spire_sample's errors. */
int spire_sample_kid(spire_model *m, const ddpm_schedule *s, spire_sampler sampler, size_t S,
                     double clip, int client, const float *test, size_t n_test, size_t n,
                     size_t subsets, uint64_t sample_seed, uint64_t kid_seed,
                     double *kid_mean, double *kid_std);

/* "ddpm" | "ddim" → value; GSL_EINVAL otherwise (or NULL). */
int spire_sampler_parse(const char *name, spire_sampler *sampler);
const char *spire_sampler_name(spire_sampler sampler);   /* "?" for another value */

#endif
