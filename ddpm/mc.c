/* ddpm/mc.c — Monte Carlo estimates of the loss and its derivatives (THEORY.md §4).
 *
 * Samples are drawn in blocks of DDPM_MC_BLOCK by ddpm_blocks_run (draw.h);
 * block j uses the random stream (seed, j, 0) and its own Welford
 * accumulators, and blocks are merged in index order: the estimate is
 * bit-identical whatever the number of OpenMP threads.  Each value comes with its standard error. */
#include "ddpm/ddpm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include "common/spl.h"
#include "ddpm/draw.h"

typedef struct { spl_stat loss, excess, grad, hess; } block_stats;

typedef struct {
    const gmm2 *g;
    const ddpm_schedule *s;     /* NULL: one level (a0, b0) */
    double a0, b0, w, theta;
    const ddpm_mc_opts *o;
    const double *mu;           /* (2, d) μ1, μ2: explicit draws only */
    block_stats *bs;            /* (blocks) */
} mc_ctx;

/* One block of samples (the skeleton is ddpm_blocks_run); scratch holds
 * x_t and ε (2d) for explicit draws. */
static int mc_block(void *vc, gsl_rng *r, size_t j, size_t i0, size_t i1, double *buf)
{
    const mc_ctx *c = vc;
    const gmm2 *g = c->g;
    const size_t d = g->d;
    block_stats st;
    memset(&st, 0, sizeof st);
    for (size_t i = i0; i < i1; i++) {
        double a = c->a0, b = c->b0;
        if (c->s) {
            size_t t = gsl_rng_uniform_int(r, c->s->T);
            a = c->s->a[t];
            b = c->s->b[t];
        }
        ddpm_terms tm;
        if (c->o->mode == DDPM_MC_EXPLICIT) {
            int e = ddpm_sample_explicit(g, c->mu, r, a, b, c->theta, c->w, buf, &tm);
            if (e) return e;
        } else {
            double x0u, vc, e;
            ddpm_draw_projected(g, r, a, b, &x0u, &vc, &e);
            tm = ddpm_terms_projected(g->sep, a, b, c->theta, c->w, vc, e);
            /* the orthogonal part a²·χ²_{d−1}: a draw, or its mean */
            if (d > 1)
                tm.loss += a * a * (c->o->draw_chi2 ? gsl_ran_chisq(r, (double)(d - 1)) : (double)(d - 1));
        }
        spl_stat_add(&st.loss, tm.loss);
        spl_stat_add(&st.excess, tm.excess);
        spl_stat_add(&st.grad, tm.grad);
        spl_stat_add(&st.hess, tm.hess);
    }
    c->bs[j] = st;
    return GSL_SUCCESS;
}

static int mc_run(const gmm2 *g, const ddpm_schedule *s, double a0, double b0, double w,
                  const ddpm_mc_opts *o, ddpm_loss_result *res)
{
    if (!g || !o || !res) return GSL_EINVAL;
    if (o->mode != DDPM_MC_EXPLICIT && o->mode != DDPM_MC_PROJECTED) return GSL_EINVAL;
    if (o->n < 1 || !isfinite(w)) return GSL_EDOM;
    const size_t d = g->d, nblocks = ddpm_blocks_count(o->n);
    const int expl = o->mode == DDPM_MC_EXPLICIT;
    block_stats *bs = calloc(nblocks, sizeof *bs);
    double *mu = expl ? malloc(2 * d * sizeof *mu) : NULL;
    if (!bs || (expl && !mu)) { free(bs); free(mu); return GSL_ENOMEM; }
    int st = GSL_SUCCESS;
    if (expl && !(st = gmm2_mean(g, 1, mu))) st = gmm2_mean(g, 2, mu + d);
    mc_ctx c = { g, s, a0, b0, w, spl_logit(g->pi), o, mu, bs };
    if (!st) st = ddpm_blocks_run(o->n, o->seed, expl ? 2 * d : 0, mc_block, &c);
    free(mu);
    if (st) { free(bs); return st; }
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
    if (!g || !o || !res) return GSL_EINVAL;
    if (!(a > 0 && a < 1) || !(b > 0 && b < 1) || fabs(a * a + b * b - 1.0) > 1e-9) return GSL_EDOM;
    return mc_run(g, NULL, a, b, w, o, res);
}

int ddpm_mc_avg(const gmm2 *g, const ddpm_schedule *s, double w, const ddpm_mc_opts *o,
                ddpm_loss_result *res)
{
    if (!s) return GSL_EINVAL;
    return mc_run(g, s, 0, 0, w, o, res);
}

int ddpm_mc_parse(const char *name, ddpm_mc_mode *mode)
{
    if (!mode) return GSL_EINVAL;
    if (name && !strcmp(name, "explicit")) { *mode = DDPM_MC_EXPLICIT; return GSL_SUCCESS; }
    if (name && !strcmp(name, "projected")) { *mode = DDPM_MC_PROJECTED; return GSL_SUCCESS; }
    return GSL_EINVAL;
}

const char *ddpm_mc_name(ddpm_mc_mode mode)
{
    return mode == DDPM_MC_EXPLICIT ? "explicit" : mode == DDPM_MC_PROJECTED ? "projected" : "?";
}
