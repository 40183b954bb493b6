/* ddpm/mc.c — Monte Carlo estimates of the loss and its derivatives (THEORY.md §4).
 *
 * Samples are drawn in blocks of DDPM_MC_BLOCK; block j uses the random
 * stream (seed, j, 0) and its own Welford accumulators, and blocks are merged
 * in index order: the estimate is bit-identical whatever the number of
 * OpenMP threads.  Each value comes with its standard error. */
#include "ddpm/ddpm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include "common/spl.h"
#include "ddpm/draw.h"

typedef struct { spl_stat loss, excess, grad, hess; } block_stats;

static int mc_run(const gmm2 *g, const ddpm_schedule *s, double a0, double b0, double w,
                  const ddpm_mc_opts *o, ddpm_loss_result *res)
{
    if (!g || !o || !res || o->n < 1 || !isfinite(w)) return GSL_EDOM;
    if (o->mode != DDPM_MC_EXPLICIT && o->mode != DDPM_MC_PROJECTED) return GSL_EINVAL;
    size_t nblocks = (o->n + DDPM_MC_BLOCK - 1) / DDPM_MC_BLOCK;
    block_stats *bs = calloc(nblocks, sizeof *bs);
    if (!bs) return GSL_ENOMEM;
    const double theta = spl_logit(g->pi);
    const size_t d = g->d;
    int failed = 0;

    #pragma omp parallel reduction(|:failed)
    {
        gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
        double *buf = o->mode == DDPM_MC_EXPLICIT ? malloc(2 * d * sizeof(double)) : NULL;
        if (!r || (o->mode == DDPM_MC_EXPLICIT && !buf)) failed = 1;
        #pragma omp for schedule(static)
        for (size_t j = 0; j < nblocks; j++) {
            if (failed) continue;
            spl_rng_seed(r, o->seed, j, 0);
            size_t i0 = j * DDPM_MC_BLOCK, i1 = i0 + DDPM_MC_BLOCK < o->n ? i0 + DDPM_MC_BLOCK : o->n;
            block_stats st;
            memset(&st, 0, sizeof st);
            for (size_t i = i0; i < i1; i++) {
                double a = a0, b = b0;
                if (s) {
                    size_t t = gsl_rng_uniform_int(r, s->T);
                    a = s->a[t];
                    b = s->b[t];
                }
                ddpm_terms tm;
                if (o->mode == DDPM_MC_EXPLICIT) {
                    ddpm_draw_explicit(g, r, a, b, buf, buf + d);
                    tm = ddpm_terms_explicit(g, a, b, theta, w, buf, buf + d);
                } else {
                    double x0u, vc, e;
                    ddpm_draw_projected(g, r, a, b, &x0u, &vc, &e);
                    tm = ddpm_terms_projected(g->sep, a, b, theta, w, vc, e);
                    /* the orthogonal part a²·χ²_{d−1}: a draw, or its mean */
                    if (d > 1)
                        tm.loss += a * a * (o->draw_chi2 ? gsl_ran_chisq(r, (double)(d - 1)) : (double)(d - 1));
                }
                spl_stat_add(&st.loss, tm.loss);
                spl_stat_add(&st.excess, tm.excess);
                spl_stat_add(&st.grad, tm.grad);
                spl_stat_add(&st.hess, tm.hess);
            }
            bs[j] = st;
        }
        free(buf);
        gsl_rng_free(r);
    }
    if (failed) { free(bs); return GSL_ENOMEM; }
    block_stats tot;
    memset(&tot, 0, sizeof tot);
    for (size_t j = 0; j < nblocks; j++) {
        spl_stat_merge(&tot.loss, &bs[j].loss);
        spl_stat_merge(&tot.excess, &bs[j].excess);
        spl_stat_merge(&tot.grad, &bs[j].grad);
        spl_stat_merge(&tot.hess, &bs[j].hess);
    }
    free(bs);
    res->loss = (ddpm_val){ tot.loss.mean, spl_stat_se(&tot.loss) };
    res->excess = (ddpm_val){ tot.excess.mean, spl_stat_se(&tot.excess) };
    res->grad = (ddpm_val){ tot.grad.mean, spl_stat_se(&tot.grad) };
    res->hess = (ddpm_val){ tot.hess.mean, spl_stat_se(&tot.hess) };
    return GSL_SUCCESS;
}

int ddpm_mc_level(const gmm2 *g, double a, double b, double w, const ddpm_mc_opts *o,
                  ddpm_loss_result *res)
{
    if (!(a > 0 && a < 1) || !(b > 0 && b < 1) || fabs(a * a + b * b - 1.0) > 1e-9) return GSL_EDOM;
    return mc_run(g, NULL, a, b, w, o, res);
}

int ddpm_mc_avg(const gmm2 *g, const ddpm_schedule *s, double w, const ddpm_mc_opts *o,
                ddpm_loss_result *res)
{
    if (!s) return GSL_EDOM;
    return mc_run(g, s, 0, 0, w, o, res);
}

int ddpm_mc_parse(const char *name, ddpm_mc_mode *mode)
{
    if (name && !strcmp(name, "explicit")) { *mode = DDPM_MC_EXPLICIT; return GSL_SUCCESS; }
    if (name && !strcmp(name, "projected")) { *mode = DDPM_MC_PROJECTED; return GSL_SUCCESS; }
    return GSL_EINVAL;
}

const char *ddpm_mc_name(ddpm_mc_mode mode)
{
    return mode == DDPM_MC_EXPLICIT ? "explicit" : mode == DDPM_MC_PROJECTED ? "projected" : "?";
}
