/* spire/fed_eval.c — measurements of a federated run (spire/fed.h): samples
 * and KID per client, implied mixing weights, the exact ε-predictor of a
 * mixture, the leave-one-out embedding probe, the gmm2 bridge. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_statistics_double.h>
#include "common/spl.h"
#include "gmm/gmm.h"
#include "spire/fed.h"

int spire_fed_generate(spire_model *m, const ddpm_schedule *s, int c,
                       const spire_fed_eval_opts *o, float *x)
{
    if (!o) return GSL_EINVAL;
    return spire_sample(m, s, SPIRE_SAMPLER_DDIM, o->ddim_steps, o->clip, o->eta, c, o->n_gen,
                        spl_stream_seed(o->seed, SPIRE_FED_STREAM_EVAL, (uint64_t)c), x);
}

int spire_fed_kid(spire_model *m, const ddpm_schedule *s, const spire_fed_data *d, int c,
                  const spire_fed_eval_opts *o, float *x, spire_kid_result *res)
{
    if (!m || !s || !d || !o || !res) return GSL_EINVAL;
    if (c < 0 || (size_t)c >= d->C || d->n_test[c] < 2 || o->n_gen < 2) return GSL_EDOM;
    size_t D = d->D, nt = d->n_test[c], ng = o->n_gen;
    float *xs = x ? x : malloc(ng * D * sizeof *xs);
    double *fake = malloc(ng * D * sizeof *fake), *real = malloc(nt * D * sizeof *real);
    int st = (xs && fake && real) ? GSL_SUCCESS : GSL_ENOMEM;
    if (st == GSL_SUCCESS) st = spire_fed_generate(m, s, c, o, xs);
    if (st == GSL_SUCCESS) {
        for (size_t i = 0; i < ng * D; i++) fake[i] = xs[i];
        for (size_t i = 0; i < nt * D; i++) real[i] = d->test[c][i];
        size_t size = o->subset_size;
        if (size > nt) size = nt;
        if (size > ng) size = ng;
        st = spire_kid(real, nt, fake, ng, D, o->subsets, size,
                       spl_stream_seed(o->seed, SPIRE_FED_STREAM_EVAL, 1000000 + (uint64_t)c), res);
    }
    if (!x) free(xs);
    free(fake); free(real);
    return st;
}

int spire_fed_kid_clients(spire_model *m, const ddpm_schedule *s, const spire_fed_data *d,
                          const int *mask, int want, const spire_fed_eval_opts *o, double *kid,
                          double *mean)
{
    if (!m || !s || !d || !mask || !o || !kid || !mean) return GSL_EINVAL;
    size_t C = d->C;
    int nt = omp_in_parallel() ? 1 : omp_get_max_threads();
    if (nt > (int)C) nt = (int)C;
    spire_model **mw = calloc((size_t)nt, sizeof *mw);
    int *sts = calloc(C, sizeof *sts);
    int st = (mw && sts) ? GSL_SUCCESS : GSL_ENOMEM;
    /* worker 0 evaluates on m, the others on a copy (activations are per model) */
    for (int k = 0; st == GSL_SUCCESS && k < nt; k++) {
        mw[k] = k ? spire_model_alloc(&m->cfg, &st) : m;
        if (k && mw[k]) st = spire_fed_model_copy(mw[k], m);
    }
    int blas = spl_blas_threads(1);
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (st == GSL_SUCCESS && nt > 1)
    for (size_t c = 0; c < C; c++) {
        if (st != GSL_SUCCESS || mask[c] != want) continue;
        spire_kid_result r;
        sts[c] = spire_fed_kid(mw[omp_get_thread_num()], s, d, (int)c, o, NULL, &r);
        if (sts[c] == GSL_SUCCESS) kid[c] = r.mean;
    }
    spl_blas_threads(blas);
    double acc = 0;
    size_t k = 0;
    for (size_t c = 0; st == GSL_SUCCESS && c < C; c++) {   /* in client order */
        if (mask[c] != want) continue;
        if ((st = sts[c])) break;
        acc += kid[c];
        k++;
    }
    if (st == GSL_SUCCESS) *mean = k ? acc / (double)k : NAN;
    for (int q = 1; mw && q < nt; q++) spire_model_free(mw[q]);
    free(mw); free(sts);
    return st;
}

int spire_fed_implied_weights(const float *x, size_t n, size_t D, const double *mu, size_t K,
                              double *w)
{
    if (!x || !mu || !w) return GSL_EINVAL;
    if (n == 0 || K == 0 || D == 0) return GSL_EDOM;
    for (size_t k = 0; k < K; k++) w[k] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t best = 0;
        double bd = INFINITY;
        for (size_t k = 0; k < K; k++) {
            double d2 = 0;
            for (size_t j = 0; j < D; j++) {
                double t = (double)x[i * D + j] - mu[k * D + j];
                d2 += t * t;
            }
            if (d2 < bd) { bd = d2; best = k; }
        }
        w[best] += 1.0 / (double)n;
    }
    return GSL_SUCCESS;
}

int spire_fed_exact_eps(void *ctx, const float *x, size_t i, size_t nb, float *out)
{
    const spire_fed_exact *e = ctx;
    if (!e || !e->s || !e->mu || !e->w || !x || !out) return GSL_EINVAL;
    if (i < 1 || i > e->s->T) return GSL_EDOM;
    const double a = e->s->a[i - 1], b = e->s->b[i - 1];
    const size_t K = e->K, D = e->D;
    /* per row: x in double, then ε̂* = −b ∇log p_t(x) (gmm_score_noised) */
    double *lw = malloc(K * sizeof *lw), *resp = malloc(K * sizeof *resp);
    double *xd = malloc(D * sizeof *xd), *sc = malloc(D * sizeof *sc);
    int st = (lw && resp && xd && sc) ? GSL_SUCCESS : GSL_ENOMEM;
    for (size_t k = 0; k < K && !st; k++) lw[k] = e->w[k] > 0 ? log(e->w[k]) : -INFINITY;
    for (size_t r = 0; r < nb && !st; r++) {
        for (size_t j = 0; j < D; j++) xd[j] = x[r * D + j];
        st = gmm_score_noised(K, D, lw, e->mu, e->sigma, a, b, xd, resp, sc);
        for (size_t j = 0; j < D && !st; j++) out[r * D + j] = (float)(-b * sc[j]);
    }
    free(lw); free(resp); free(xd); free(sc);
    return st;
}

int spire_fed_probe_loo(const double *X, const double *y, size_t n, size_t p, double lambda_rel,
                        double *pred, double *corr)
{
    if (!X || !y || !pred || !corr) return GSL_EINVAL;
    if (n < 3 || p < 1 || !(lambda_rel >= 0) || !isfinite(lambda_rel)) return GSL_EDOM;
    size_t m = n - 1;
    /* ridge as ordinary least squares on the augmented system [A; λI] β = [b; 0]
     * (valid for any p, also p > n − 1) */
    gsl_matrix *A = gsl_matrix_alloc(m + p, p), *cov = gsl_matrix_alloc(p, p);
    gsl_vector *b = gsl_vector_alloc(m + p), *beta = gsl_vector_alloc(p);
    gsl_multifit_linear_workspace *w = gsl_multifit_linear_alloc(m + p, p);
    double *mean = malloc(p * sizeof *mean);
    int st = (A && cov && b && beta && w && mean) ? GSL_SUCCESS : GSL_ENOMEM;
    for (size_t i = 0; st == GSL_SUCCESS && i < n; i++) {
        double ym = 0, fro = 0, chisq;
        for (size_t j = 0; j < p; j++) mean[j] = 0;
        for (size_t r = 0; r < n; r++) {
            if (r == i) continue;
            ym += y[r] / (double)m;
            for (size_t j = 0; j < p; j++) mean[j] += X[r * p + j] / (double)m;
        }
        gsl_matrix_set_zero(A);
        gsl_vector_set_zero(b);
        size_t row = 0;
        for (size_t r = 0; r < n; r++) {
            if (r == i) continue;
            for (size_t j = 0; j < p; j++) {
                double v = X[r * p + j] - mean[j];
                gsl_matrix_set(A, row, j, v);
                fro += v * v;
            }
            gsl_vector_set(b, row, y[r] - ym);
            row++;
        }
        double lam = lambda_rel * sqrt(fro);
        for (size_t j = 0; j < p; j++) gsl_matrix_set(A, m + j, j, lam);
        if ((st = gsl_multifit_linear(A, b, beta, cov, &chisq, w))) break;
        double yi = ym;
        for (size_t j = 0; j < p; j++) yi += (X[i * p + j] - mean[j]) * gsl_vector_get(beta, j);
        pred[i] = yi;
    }
    if (st == GSL_SUCCESS) *corr = gsl_stats_correlation(pred, 1, y, 1, n);
    gsl_matrix_free(A); gsl_matrix_free(cov); gsl_vector_free(b); gsl_vector_free(beta);
    if (w) gsl_multifit_linear_free(w);
    free(mean);
    return st;
}

int spire_fed_bridge_gmm2(spire_model *m, const ddpm_schedule *s, const spire_fed_data *d,
                          int c, int c2, size_t i, size_t n, uint64_t seed, spire_fed_bridge *res)
{
    if (!m || !s || !d || !res) return GSL_EINVAL;
    if (d->kind != SPIRE_FED_GMM2 || m->cfg.D != d->D || m->cfg.C < d->C) return GSL_EINVAL;
    if (c < 0 || c2 < 0 || (size_t)c >= d->C || (size_t)c2 >= d->C || i < 1 || i > s->T || n == 0)
        return GSL_EDOM;
    size_t D = d->D;
    float *x = malloc(n * D * sizeof *x), *tt = malloc(n * sizeof *tt);
    float *net1 = malloc(n * D * sizeof *net1), *net2 = malloc(n * D * sizeof *net2);
    float *ex1 = malloc(n * D * sizeof *ex1), *ex2 = malloc(n * D * sizeof *ex2);
    float *ex5 = malloc(n * D * sizeof *ex5);
    int *cl = malloc(n * sizeof *cl);
    gsl_rng *r = spl_rng_alloc(seed, SPIRE_FED_STREAM_EVAL, 2000000 + (uint64_t)c);
    int st = (x && tt && net1 && net2 && ex1 && ex2 && ex5 && cl && r) ? GSL_SUCCESS : GSL_ENOMEM;
    if (st == GSL_SUCCESS) {
        double a = s->a[i - 1], b = s->b[i - 1], pi = d->w[(size_t)c * 2];
        for (size_t row = 0; row < n; row++) {
            int k = gsl_rng_uniform(r) < pi ? 0 : 1;
            for (size_t j = 0; j < D; j++)
                x[row * D + j] = (float)(a * (d->mu[(size_t)k * D + j] +
                                              d->sigma * gsl_ran_gaussian_ziggurat(r, 1.0)) +
                                         b * gsl_ran_gaussian_ziggurat(r, 1.0));
            tt[row] = (float)i;
        }
        double w1[2] = { d->w[(size_t)c * 2], d->w[(size_t)c * 2 + 1] };
        double w2[2] = { d->w[(size_t)c2 * 2], d->w[(size_t)c2 * 2 + 1] };
        double w5[2] = { 0.5, 0.5 };
        spire_fed_exact e1 = { 2, D, d->mu, w1, d->sigma, s }, e2 = e1, e5 = e1;
        e2.w = w2; e5.w = w5;
        st = spire_fed_exact_eps(&e1, x, i, n, ex1);
        if (st == GSL_SUCCESS) st = spire_fed_exact_eps(&e2, x, i, n, ex2);
        if (st == GSL_SUCCESS) st = spire_fed_exact_eps(&e5, x, i, n, ex5);
        for (size_t row = 0; row < n; row++) cl[row] = c;
        if (st == GSL_SUCCESS) st = spire_model_forward(m, x, tt, cl, NULL, n);
        if (st == GSL_SUCCESS) {
            memcpy(net1, m->out, n * D * sizeof(float));
            for (size_t row = 0; row < n; row++) cl[row] = c2;
            st = spire_model_forward(m, x, tt, cl, NULL, n);
        }
        if (st == GSL_SUCCESS) {
            memcpy(net2, m->out, n * D * sizeof(float));
            double e_num = 0, e_den = 0, e5n = 0, dot = 0, nn = 0, ne = 0;
            for (size_t k = 0; k < n * D; k++) {
                double dn = (double)net1[k] - ex1[k];
                e_num += dn * dn;
                e_den += (double)ex1[k] * ex1[k];
                double d5 = (double)ex5[k] - ex1[k];
                e5n += d5 * d5;
                double sn = (double)net2[k] - net1[k], se = (double)ex2[k] - ex1[k];
                dot += sn * se; nn += sn * sn; ne += se * se;
            }
            res->rel_err = sqrt(e_num / e_den);
            res->rel_err05 = sqrt(e5n / e_den);
            res->swap_cos = dot / sqrt(nn * ne);
            res->swap_ratio = sqrt(nn / ne);
        }
    }
    free(x); free(tt); free(net1); free(net2); free(ex1); free(ex2); free(ex5); free(cl);
    if (r) gsl_rng_free(r);
    return st;
}
