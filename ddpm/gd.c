/* ddpm/gd.c — gradient descent on the mixing weight (THEORY.md §5), in GSL's
 * alloc / set / iterate / test / free style: the caller owns the loop and can
 * log every iterate.  Logit: w ← w − η ℓ'(w).  Pi: p ← clip(p − η dℓ/dp),
 * dℓ/dp = ℓ'(w)/(p(1−p)). */
#include "ddpm/ddpm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include "common/spl.h"

ddpm_gd *ddpm_gd_alloc(void) { return calloc(1, sizeof(ddpm_gd)); }
void ddpm_gd_free(ddpm_gd *gd) { free(gd); }

/* Evaluate at the current w (and p) and set loss and grad in the descended coordinate. */
static int evaluate(ddpm_gd *gd)
{
    double f, df;
    int st = gd->f(gd->ctx, gd->w, &f, &df);
    if (st) return st;
    if (!isfinite(f) || !isfinite(df)) return GSL_EFAILED;
    gd->loss = f;
    gd->grad = gd->param == DDPM_PARAM_LOGIT ? df : df / (gd->p * (1.0 - gd->p));
    return GSL_SUCCESS;
}

int ddpm_gd_set(ddpm_gd *gd, ddpm_objective f, void *ctx, ddpm_param param,
                double p0, double lr, double clip)
{
    if (!gd || !f) return GSL_EINVAL;
    if (param != DDPM_PARAM_LOGIT && param != DDPM_PARAM_PI) return GSL_EINVAL;
    if (!(p0 > 0 && p0 < 1) || !(lr > 0) || !isfinite(lr)) return GSL_EDOM;
    if (param == DDPM_PARAM_PI && !(clip > 0 && clip < 0.5)) return GSL_EDOM;
    gd->f = f;
    gd->ctx = ctx;
    gd->param = param;
    gd->lr = lr;
    gd->clip = clip;
    gd->iter = 0;
    gd->p = param == DDPM_PARAM_PI ? fmin(fmax(p0, clip), 1.0 - clip) : p0;
    gd->w = spl_logit(gd->p);
    return evaluate(gd);
}

int ddpm_gd_iterate(ddpm_gd *gd)
{
    if (!gd || !gd->f) return GSL_EINVAL;
    if (gd->param == DDPM_PARAM_LOGIT) {
        gd->w -= gd->lr * gd->grad;
        if (!isfinite(gd->w)) return GSL_EFAILED;
        gd->p = spl_sigmoid(gd->w);
    } else {
        gd->p = fmin(fmax(gd->p - gd->lr * gd->grad, gd->clip), 1.0 - gd->clip);
        gd->w = spl_logit(gd->p);
    }
    gd->iter++;
    return evaluate(gd);
}

int ddpm_gd_test(const ddpm_gd *gd, double tol)
{
    if (!gd) return GSL_EINVAL;
    if (!(tol >= 0)) return GSL_EDOM;   /* tol = 0: never (run a fixed number of steps) */
    return fabs(gd->grad) < tol ? GSL_SUCCESS : GSL_CONTINUE;
}

int ddpm_param_parse(const char *name, ddpm_param *param)
{
    if (!param) return GSL_EINVAL;
    if (name && !strcmp(name, "logit")) { *param = DDPM_PARAM_LOGIT; return GSL_SUCCESS; }
    if (name && !strcmp(name, "pi")) { *param = DDPM_PARAM_PI; return GSL_SUCCESS; }
    return GSL_EINVAL;
}

int ddpm_obj_level(void *ctx, double w, double *f, double *df)
{
    ddpm_obj_level_ctx *c = ctx;
    if (!c || !f || !df) return GSL_EINVAL;
    ddpm_loss_result r;
    int st = ddpm_loss_level(c->q, c->g, c->a, c->b, w, &r);
    if (st) return st;
    *f = r.loss.val;
    *df = r.grad.val;
    return GSL_SUCCESS;
}

int ddpm_obj_avg(void *ctx, double w, double *f, double *df)
{
    ddpm_obj_avg_ctx *c = ctx;
    if (!c || !f || !df) return GSL_EINVAL;
    ddpm_loss_result r;
    int st = ddpm_loss_avg(c->q, c->g, c->s, w, &r);
    if (st) return st;
    *f = r.loss.val;
    *df = r.grad.val;
    return GSL_SUCCESS;
}

int ddpm_obj_sample(void *ctx, double w, double *f, double *df)
{
    if (!f || !df) return GSL_EINVAL;
    return ddpm_sample_loss(ctx, w, f, df, NULL);
}
