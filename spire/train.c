/* spire/train.c — DDPM training of the score network (spire/train.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "common/spl.h"
#include "spire/nn.h"
#include "spire/train.h"

void spire_train_opts_default(spire_train_opts *o)
{
    if (!o) return;
    o->batch = 256;
    o->steps = 1000;
    o->lr = 1e-3;
    o->warmup = 0;
    o->cosine = 0;
    o->lr_min = 0;
    o->beta1 = 0.9;
    o->beta2 = 0.999;
    o->eps = 1e-8;
    o->wd = 0;
    o->seed = 1;
}

double spire_train_lr(const spire_train_opts *o, size_t k)
{
    if (!o) return NAN;
    if (o->warmup > 0 && k <= o->warmup) return o->lr * (double)k / (double)o->warmup;
    if (!o->cosine || o->steps <= o->warmup) return o->lr;
    double f = (double)(k - o->warmup) / (double)(o->steps - o->warmup);
    if (f > 1) f = 1;
    return o->lr_min + (o->lr - o->lr_min) * 0.5 * (1.0 + cos(M_PI * f));
}

spire_adam *spire_adam_alloc(size_t n_params, size_t n_embed)
{
    spire_adam *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->n_params = n_params;
    a->n_embed = n_embed;
    a->m = calloc(n_params, sizeof(float));
    a->v = calloc(n_params, sizeof(float));
    a->me = calloc(n_embed ? n_embed : 1, sizeof(float));
    a->ve = calloc(n_embed ? n_embed : 1, sizeof(float));
    if (!a->m || !a->v || !a->me || !a->ve) { spire_adam_free(a); return NULL; }
    return a;
}

void spire_adam_free(spire_adam *a)
{
    if (!a) return;
    free(a->m); free(a->v); free(a->me); free(a->ve);
    free(a);
}

int spire_train_step(spire_model *m, spire_adam *adam, const float *xt, const float *t,
                     const float *eps, size_t B, double lr, const spire_train_opts *o,
                     double *loss)
{
    if (!m || !adam || !xt || !t || !eps || !o) return GSL_EINVAL;
    if (adam->n_params != m->n_params || adam->n_embed != m->n_embed) return GSL_EINVAL;
    if (!(lr > 0) || !isfinite(lr)) return GSL_EDOM;
    int st = spire_model_forward(m, xt, t, NULL, eps, B);
    if (st) return st;
    if (loss) *loss = m->loss;
    if (!isfinite(m->loss)) return GSL_EDOM;
    spire_model_zero_grad(m);
    st = spire_model_backward(m);
    if (st) return st;
    adam->step++;
    spire_adamw_update(m->params, m->grads, adam->m, adam->v, m->n_params, lr,
                       o->beta1, o->beta2, o->eps, o->wd, adam->step);
    spire_adamw_update(m->embed, m->gembed, adam->me, adam->ve, m->n_embed, lr,
                       o->beta1, o->beta2, o->eps, o->wd, adam->step);
    for (size_t i = 0; i < m->n_params; i++) if (!isfinite(m->params[i])) return GSL_EOVRFLW;
    for (size_t i = 0; i < m->n_embed; i++) if (!isfinite(m->embed[i])) return GSL_EOVRFLW;
    return GSL_SUCCESS;
}

spire_trainer *spire_trainer_alloc(spire_model *m, const ddpm_schedule *s, const float *data,
                                   size_t n, const spire_train_opts *o, int *status)
{
    if (!m || !s || !data || !o) return spl_fail(status, GSL_EINVAL);
    if (n == 0 || o->batch == 0 || !(o->lr > 0) || !isfinite(o->lr) ||
        !(o->beta1 >= 0 && o->beta1 < 1) || !(o->beta2 >= 0 && o->beta2 < 1) ||
        !(o->eps > 0) || !(o->wd >= 0) || !(o->lr_min >= 0))
        return spl_fail(status, GSL_EDOM);
    spire_trainer *tr = calloc(1, sizeof *tr);
    if (!tr) return spl_fail(status, GSL_ENOMEM);
    tr->m = m; tr->s = s; tr->data = data; tr->n = n; tr->o = *o;
    size_t B = o->batch, D = m->cfg.D;
    tr->adam = spire_adam_alloc(m->n_params, m->n_embed);
    tr->xt = malloc(B * D * sizeof(float));
    tr->eps = malloc(B * D * sizeof(float));
    tr->t = malloc(B * sizeof(float));
    tr->rng = gsl_rng_alloc(gsl_rng_taus2);
    if (!tr->adam || !tr->xt || !tr->eps || !tr->t || !tr->rng) {
        spire_trainer_free(tr);
        return spl_fail(status, GSL_ENOMEM);
    }
    spl_status(status, GSL_SUCCESS);
    return tr;
}

void spire_trainer_free(spire_trainer *tr)
{
    if (!tr) return;
    spire_adam_free(tr->adam);
    free(tr->xt); free(tr->eps); free(tr->t);
    if (tr->rng) gsl_rng_free(tr->rng);
    free(tr);
}

int spire_trainer_set_adam(spire_trainer *tr, const spire_adam *a)
{
    if (!tr || !a) return GSL_EINVAL;
    if (a->n_params != tr->adam->n_params || a->n_embed != tr->adam->n_embed) return GSL_EINVAL;
    memcpy(tr->adam->m, a->m, a->n_params * sizeof(float));
    memcpy(tr->adam->v, a->v, a->n_params * sizeof(float));
    memcpy(tr->adam->me, a->me, a->n_embed * sizeof(float));
    memcpy(tr->adam->ve, a->ve, a->n_embed * sizeof(float));
    tr->adam->step = a->step;
    tr->step = a->step;
    return GSL_SUCCESS;
}

int spire_trainer_iterate(spire_trainer *tr)
{
    if (!tr) return GSL_EINVAL;
    size_t B = tr->o.batch, D = tr->m->cfg.D, T = tr->s->T, k = tr->step + 1;
    gsl_rng *r = tr->rng;
    spl_rng_seed(r, tr->o.seed, SPIRE_STREAM_TRAIN, k);
    for (size_t row = 0; row < B; row++) {
        size_t idx = gsl_rng_uniform_int(r, tr->n);
        size_t i = 1 + gsl_rng_uniform_int(r, T);
        double a = tr->s->a[i - 1], b = tr->s->b[i - 1];
        const float *x0 = tr->data + idx * D;
        float *xt = tr->xt + row * D, *e = tr->eps + row * D;
        tr->t[row] = (float)i;
        for (size_t j = 0; j < D; j++) {
            double z = gsl_ran_gaussian_ziggurat(r, 1.0);
            e[j] = (float)z;
            xt[j] = (float)(a * x0[j] + b * z);
        }
    }
    tr->lr = spire_train_lr(&tr->o, k);
    int st = spire_train_step(tr->m, tr->adam, tr->xt, tr->t, tr->eps, B, tr->lr, &tr->o,
                              &tr->loss);
    if (st == GSL_SUCCESS || st == GSL_EOVRFLW) tr->step = k;
    return st;
}
