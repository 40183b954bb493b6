/* spire/sample.c — ancestral DDPM and DDIM (η ∈ [0, 1]) samplers (spire/sample.h). */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "common/spl.h"
#include "spire/sample.h"
#include "spire/kid.h"

int spire_sampler_parse(const char *name, spire_sampler *sampler)
{
    if (!name || !sampler) return GSL_EINVAL;
    if (!strcmp(name, "ddpm")) { *sampler = SPIRE_SAMPLER_DDPM; return GSL_SUCCESS; }
    if (!strcmp(name, "ddim")) { *sampler = SPIRE_SAMPLER_DDIM; return GSL_SUCCESS; }
    return GSL_EINVAL;
}

const char *spire_sampler_name(spire_sampler sampler)
{
    return sampler == SPIRE_SAMPLER_DDIM ? "ddim" : sampler == SPIRE_SAMPLER_DDPM ? "ddpm" : "?";
}

int spire_ddim_coefs(const ddpm_schedule *s, size_t i, size_t ip, double eta, double *ca,
                     double *ce, double *sigma)
{
    if (!s || !ca || !ce || !sigma) return GSL_EINVAL;
    if (i < 1 || i > s->T || ip >= i || !(eta >= 0 && eta <= 1)) return GSL_EDOM;
    double abar = s->alphabar[i - 1], abar_p = ip ? s->alphabar[ip - 1] : 1.0;
    double bp = ip ? s->b[ip - 1] : 0.0;
    /* r = σ²/(η² (1 − ᾱ')) = (1 − ᾱ/ᾱ')/(1 − ᾱ) ∈ [0, 1] (as ᾱ' ≤ 1); kept
     * there against rounding so that √(1 − η² r) is real */
    double r = (1.0 - abar / abar_p) / (s->b[i - 1] * s->b[i - 1]);
    r = r < 0 ? 0 : r > 1 ? 1 : r;
    *ca = ip ? s->a[ip - 1] : 1.0;
    *ce = bp * sqrt(1.0 - eta * eta * r);   /* η = 0: exactly b' */
    *sigma = eta * bp * sqrt(r);
    return GSL_SUCCESS;
}

/* One block of nb rows; e (nb, D) is scratch for ε̂. */
static double clamp(double v, double c) { return v > c ? c : v < -c ? -c : v; }

static int sample_block(spire_eps_fn eps, void *ctx, size_t D, const ddpm_schedule *s,
                        spire_sampler sampler, size_t S, double clip, double eta, size_t nb,
                        gsl_rng *r, float *x, float *e)
{
    size_t T = s->T;
    for (size_t k = 0; k < nb * D; k++) x[k] = (float)gsl_ran_gaussian_ziggurat(r, 1.0);
    if (sampler == SPIRE_SAMPLER_DDPM) {
        for (size_t i = T; i >= 1; i--) {
            int st = eps(ctx, x, i, nb, e);
            if (st) return st;
            double beta = s->beta[i - 1], b = s->b[i - 1];
            double abar = s->alphabar[i - 1], abar_prev = i > 1 ? s->alphabar[i - 2] : 1.0;
            double k1 = 1.0 / sqrt(1.0 - beta), k2 = beta / b;
            double sigma = i > 1 ? sqrt(beta * (1.0 - abar_prev) / (1.0 - abar)) : 0.0;
            double a = s->a[i - 1], c1 = sqrt(abar_prev) * beta / (1.0 - abar);
            double c2 = sqrt(1.0 - beta) * (1.0 - abar_prev) / (1.0 - abar);
            for (size_t q = 0; q < nb * D; q++) {
                double v;
                if (clip > 0) {
                    double x0 = clamp(((double)x[q] - b * (double)e[q]) / a, clip);
                    v = i > 1 ? c1 * x0 + c2 * (double)x[q] : x0;
                } else {
                    v = k1 * ((double)x[q] - k2 * (double)e[q]);
                }
                if (i > 1) v += sigma * gsl_ran_gaussian_ziggurat(r, 1.0);
                x[q] = (float)v;
            }
        }
    } else {
        for (size_t k = S; k >= 1; k--) {
            size_t i = k * T / S, ip = (k - 1) * T / S;
            int st = eps(ctx, x, i, nb, e);
            if (st) return st;
            double a = s->a[i - 1], b = s->b[i - 1], ap, ce, sigma;
            st = spire_ddim_coefs(s, i, ip, eta, &ap, &ce, &sigma);
            if (st) return st;
            for (size_t q = 0; q < nb * D; q++) {
                double xq = (double)x[q], eq = (double)e[q], x0 = (xq - b * eq) / a;
                if (clip > 0 && fabs(x0) > clip) {
                    /* the ε consistent with the clamped x̂_0 (GLIDE, diffusers'
                     * use_clipped_model_output): re-noising with the raw ε̂
                     * would put back the error the clamp removed */
                    x0 = clamp(x0, clip);
                    eq = (xq - a * x0) / b;
                }
                double v = ap * x0 + ce * eq;
                if (sigma > 0) v += sigma * gsl_ran_gaussian_ziggurat(r, 1.0);
                x[q] = (float)v;
            }
        }
    }
    return GSL_SUCCESS;
}

/* The checks shared by spire_sample and spire_sample_fn. */
static int sample_args(const ddpm_schedule *s, spire_sampler sampler, size_t S, double clip,
                       double eta, size_t n, const float *x)
{
    if (!s || !x) return GSL_EINVAL;
    if (sampler != SPIRE_SAMPLER_DDIM && sampler != SPIRE_SAMPLER_DDPM) return GSL_EINVAL;
    if (n == 0 || !(clip >= 0) || !isfinite(clip) || !(eta >= 0 && eta <= 1)) return GSL_EDOM;
    if (sampler == SPIRE_SAMPLER_DDIM && (S < 1 || S > s->T)) return GSL_EDOM;
    return GSL_SUCCESS;
}

int spire_sample_fn(spire_eps_fn eps, void *ctx, size_t D, const ddpm_schedule *s,
                    spire_sampler sampler, size_t S, double clip, double eta, size_t n,
                    uint64_t seed, float *x)
{
    if (!eps) return GSL_EINVAL;
    int st = sample_args(s, sampler, S, clip, eta, n, x);
    if (st) return st;
    if (D == 0) return GSL_EDOM;
    size_t blk = SPIRE_SAMPLE_BLOCK;
    float *e = malloc(blk * D * sizeof(float));
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    st = (e && r) ? GSL_SUCCESS : GSL_ENOMEM;
    for (size_t j = 0; st == GSL_SUCCESS && j * blk < n; j++) {
        size_t nb = n - j * blk < blk ? n - j * blk : blk;
        spl_rng_seed(r, seed, SPIRE_STREAM_SAMPLE, j);
        st = sample_block(eps, ctx, D, s, sampler, S, clip, eta, nb, r, x + j * blk * D, e);
    }
    free(e);
    if (r) gsl_rng_free(r);
    return st;
}

/* The network as an ε-predictor for one client. */
typedef struct { spire_model *m; int client; float *t; int *c; } model_ctx;

static int model_eps(void *ctx, const float *x, size_t i, size_t nb, float *out)
{
    model_ctx *mc = ctx;
    for (size_t r = 0; r < nb; r++) { mc->t[r] = (float)i; mc->c[r] = mc->client; }
    int st = spire_model_forward(mc->m, x, mc->t, mc->c, NULL, nb);
    if (st) return st;
    memcpy(out, mc->m->out, nb * mc->m->cfg.D * sizeof(float));
    return GSL_SUCCESS;
}

/* A worker: its own copy of the network (activations are per model), ε̂
 * buffer and generator. */
typedef struct { model_ctx mc; float *e; gsl_rng *r; } sample_ws;

static void sample_ws_free(sample_ws *w, const spire_model *shared)
{
    if (w->mc.m != shared) spire_model_free(w->mc.m);
    free(w->mc.t); free(w->mc.c); free(w->e);
    if (w->r) gsl_rng_free(w->r);
}

static int sample_ws_alloc(sample_ws *w, spire_model *m, int own, int client)
{
    size_t blk = SPIRE_SAMPLE_BLOCK;
    w->mc = (model_ctx){ m, client, malloc(blk * sizeof(float)), malloc(blk * sizeof(int)) };
    if (own && (w->mc.m = spire_model_alloc(&m->cfg, NULL))) {
        memcpy(w->mc.m->params, m->params, m->n_params * sizeof(float));
        memcpy(w->mc.m->embed, m->embed, m->n_embed * sizeof(float));
    }
    w->e = malloc(blk * m->cfg.D * sizeof(float));
    w->r = gsl_rng_alloc(gsl_rng_taus2);
    return (w->mc.m && w->mc.t && w->mc.c && w->e && w->r) ? GSL_SUCCESS : GSL_ENOMEM;
}

int spire_sample(spire_model *m, const ddpm_schedule *s, spire_sampler sampler, size_t S,
                 double clip, double eta, int client, size_t n, uint64_t seed, float *x)
{
    if (!m) return GSL_EINVAL;
    int st = sample_args(s, sampler, S, clip, eta, n, x);
    if (st) return st;
    if (client < 0 || (size_t)client >= m->cfg.C) return GSL_EDOM;
    size_t blk = SPIRE_SAMPLE_BLOCK, nblk = (n + blk - 1) / blk, D = m->cfg.D;
    int nt = omp_in_parallel() ? 1 : omp_get_max_threads();
    if (nt > (int)nblk) nt = (int)nblk;
    sample_ws *ws = calloc((size_t)nt, sizeof *ws);
    int *sts = malloc(nblk * sizeof *sts);
    st = (ws && sts) ? GSL_SUCCESS : GSL_ENOMEM;
    /* worker 0 uses m itself; the others a copy */
    for (int k = 0; st == GSL_SUCCESS && k < nt; k++) st = sample_ws_alloc(&ws[k], m, k > 0, client);
    int blas = spl_blas_threads(1);
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (st == GSL_SUCCESS && nt > 1)
    for (size_t j = 0; j < nblk; j++) {
        if (st != GSL_SUCCESS) continue;
        sample_ws *w = &ws[omp_get_thread_num()];
        size_t nb = n - j * blk < blk ? n - j * blk : blk;
        spl_rng_seed(w->r, seed, SPIRE_STREAM_SAMPLE, j);
        sts[j] = sample_block(model_eps, &w->mc, D, s, sampler, S, clip, eta, nb, w->r, x + j * blk * D, w->e);
    }
    spl_blas_threads(blas);
    for (size_t j = 0; st == GSL_SUCCESS && j < nblk; j++) st = sts[j];
    for (int k = 0; ws && k < nt; k++) sample_ws_free(&ws[k], m);
    free(ws); free(sts);
    return st;
}

int spire_sample_kid(spire_model *m, const ddpm_schedule *s, spire_sampler sampler, size_t S,
                     double clip, double eta, int client, const float *test, size_t n_test, size_t n,
                     size_t subsets, uint64_t sample_seed, uint64_t kid_seed,
                     double *kid_mean, double *kid_std)
{
    if (!m || !s || !test || !kid_mean || !kid_std) return GSL_EINVAL;
    if (n < 2 || n_test < 2) return GSL_EDOM;
    size_t D = m->cfg.D, size = n < n_test ? n : n_test;
    if (size > 1000) size = 1000;
    float *x = malloc(n * D * sizeof *x);
    double *fake = malloc(n * D * sizeof *fake), *real = malloc(n_test * D * sizeof *real);
    int st = (x && fake && real) ? GSL_SUCCESS : GSL_ENOMEM;
    if (st == GSL_SUCCESS) st = spire_sample(m, s, sampler, S, clip, eta, client, n, sample_seed, x);
    if (st == GSL_SUCCESS) {
        for (size_t i = 0; i < n * D; i++) fake[i] = x[i];
        for (size_t i = 0; i < n_test * D; i++) real[i] = test[i];
        spire_kid_result kr;
        st = spire_kid(real, n_test, fake, n, D, subsets, size, kid_seed, &kr);
        if (st == GSL_SUCCESS) { *kid_mean = kr.mean; *kid_std = kr.std; }
    }
    free(x); free(fake); free(real);
    return st;
}
