/* spire/model_body.h — body of the score network of spire/model.h, written
 * once for a real type.  Not a public header: included by spire/model.c
 * (float) and spire/model_d.c (double), which define first
 *   REAL       the element type
 *   NN(name)   the public name (name, or name##_d)
 *   MODEL      spire_model or spire_model_d
 *   PARAMS     spire_params or spire_params_d
 * and, once only (model.c), the config helpers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include "common/spl.h"
#include "spire/nn.h"

/* Point the named views into a block laid out as spire_params documents. */
static void NN(params_views)(PARAMS *p, REAL *base, const spire_config *c)
{
    size_t D = c->D, E = c->E, H = c->H, L = c->L;
    p->w1 = base;            base += H * (D + E);
    p->b1 = base;            base += H;
    p->wh = base;            base += (L - 1) * H * H;
    p->bh = base;            base += (L - 1) * H;
    p->wo = base;            base += D * H;
    p->bo = base;
}

MODEL *NN(spire_model_alloc)(const spire_config *cfg)
{
    if (!cfg || spire_config_check(cfg) != GSL_SUCCESS) return NULL;
    MODEL *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->cfg = *cfg;
    m->n_params = spire_config_n_params(cfg);
    m->ee = spire_config_embed_width(cfg);
    m->n_embed = cfg->C * m->ee;
    m->params = calloc(m->n_params, sizeof(REAL));
    m->grads = calloc(m->n_params, sizeof(REAL));
    m->embed = calloc(m->n_embed, sizeof(REAL));
    m->gembed = calloc(m->n_embed, sizeof(REAL));
    if (!m->params || !m->grads || !m->embed || !m->gembed) {
        NN(spire_model_free)(m);
        return NULL;
    }
    NN(params_views)(&m->p, m->params, cfg);
    NN(params_views)(&m->g, m->grads, cfg);
    m->loss = -1;
    return m;
}

void NN(spire_model_free)(MODEL *m)
{
    if (!m) return;
    free(m->params); free(m->grads); free(m->embed); free(m->gembed);
    free(m->acts); free(m->client);
    free(m);
}

/* U(−1/√fan_in, 1/√fan_in) for n values. */
static void NN(uniform_fill)(REAL *w, size_t n, size_t fan_in, gsl_rng *r)
{
    double k = 1.0 / sqrt((double)fan_in);
    for (size_t i = 0; i < n; i++) w[i] = (REAL)(k * (2.0 * gsl_rng_uniform(r) - 1.0));
}

int NN(spire_model_init)(MODEL *m, uint64_t seed)
{
    gsl_rng *r = spl_rng_alloc(seed, SPIRE_STREAM_INIT, 0);
    if (!r) return GSL_ENOMEM;
    size_t D = m->cfg.D, E = m->cfg.E, H = m->cfg.H, L = m->cfg.L;
    NN(uniform_fill)(m->p.w1, H * (D + E), D + E, r);
    NN(uniform_fill)(m->p.b1, H, D + E, r);
    NN(uniform_fill)(m->p.wh, (L - 1) * H * H, H, r);
    NN(uniform_fill)(m->p.bh, (L - 1) * H, H, r);
    NN(uniform_fill)(m->p.wo, D * H, H, r);
    NN(uniform_fill)(m->p.bo, D, H, r);
    memset(m->embed, 0, m->n_embed * sizeof(REAL));
    gsl_rng_free(r);
    return GSL_SUCCESS;
}

/* Grow the activation block to hold B rows. */
static int NN(ensure_acts)(MODEL *m, size_t B)
{
    if (B <= m->bmax) return GSL_SUCCESS;
    size_t D = m->cfg.D, E = m->cfg.E, H = m->cfg.H, L = m->cfg.L;
    size_t per_row = 1 + E + 2 * (D + E) + 2 * L * H + 3 * D + 2 * H;
    REAL *a = malloc(B * per_row * sizeof(REAL));
    int *c = malloc(B * sizeof(int));
    if (!a || !c) { free(a); free(c); return GSL_ENOMEM; }
    free(m->acts); free(m->client);
    m->acts = a; m->client = c; m->bmax = B;
    m->t = a;                   a += B;
    m->temb = a;                a += B * E;
    m->in1 = a;                 a += B * (D + E);
    m->pre = a;                 a += L * B * H;
    m->hid = a;                 a += L * B * H;
    m->out = a;                 a += B * D;
    m->target = a;              a += B * D;
    m->dout = a;                a += B * D;
    m->dh = a;                  a += B * H;
    m->dpre = a;                a += B * H;
    m->din1 = a;
    return GSL_SUCCESS;
}

int NN(spire_model_forward)(MODEL *m, const REAL *x, const REAL *t, const int *client,
                            const REAL *target, size_t B)
{
    if (B == 0) return GSL_EINVAL;
    size_t D = m->cfg.D, E = m->cfg.E, H = m->cfg.H, L = m->cfg.L, C = m->cfg.C;
    if (client)
        for (size_t r = 0; r < B; r++)
            if (client[r] < 0 || (size_t)client[r] >= C) return GSL_EINVAL;
    int st = NN(ensure_acts)(m, B);
    if (st) return st;
    m->B = B;
    m->loss = -1;
    for (size_t r = 0; r < B; r++) m->client[r] = client ? client[r] : 0;
    memcpy(m->t, t, B * sizeof(REAL));

    /* z_0 = [x, temb + e] */
    NN(spire_temb_forward)(m->temb, t, B, E);
    int at_time = m->cfg.embed_at == SPIRE_EMBED_TIME;
    for (size_t r = 0; r < B; r++) {
        REAL *z = m->in1 + r * (D + E);
        const REAL *e = m->embed + (size_t)m->client[r] * m->ee;
        memcpy(z, x + r * D, D * sizeof(REAL));
        for (size_t j = 0; j < E; j++) z[D + j] = m->temb[r * E + j] + (at_time ? e[j] : 0);
    }
    /* h_1 = SiLU(W_1 z_0 + b_1 (+ e)) */
    NN(spire_dense_forward)(m->pre, m->in1, m->p.w1, m->p.b1, B, D + E, H);
    if (!at_time)
        for (size_t r = 0; r < B; r++) {
            const REAL *e = m->embed + (size_t)m->client[r] * m->ee;
            for (size_t j = 0; j < H; j++) m->pre[r * H + j] += e[j];
        }
    NN(spire_silu_forward)(m->hid, m->pre, B * H);
    /* h_l = SiLU(W_l h_{l−1} + b_l) */
    for (size_t l = 1; l < L; l++) {
        REAL *pre = m->pre + l * B * H, *hid = m->hid + l * B * H;
        NN(spire_dense_forward)(pre, m->hid + (l - 1) * B * H, m->p.wh + (l - 1) * H * H,
                                m->p.bh + (l - 1) * H, B, H, H);
        NN(spire_silu_forward)(hid, pre, B * H);
    }
    /* ε̂ = W_o h_L + b_o */
    NN(spire_dense_forward)(m->out, m->hid + (L - 1) * B * H, m->p.wo, m->p.bo, B, H, D);
    if (target) {
        memcpy(m->target, target, B * D * sizeof(REAL));
        m->loss = NN(spire_mse_forward)(m->out, target, B * D);
    }
    return GSL_SUCCESS;
}

void NN(spire_model_zero_grad)(MODEL *m)
{
    memset(m->grads, 0, m->n_params * sizeof(REAL));
    memset(m->gembed, 0, m->n_embed * sizeof(REAL));
}

int NN(spire_model_backward)(MODEL *m)
{
    if (m->loss < 0 || m->B == 0) return GSL_EINVAL;
    size_t B = m->B, D = m->cfg.D, E = m->cfg.E, H = m->cfg.H, L = m->cfg.L;
    memset(m->dout, 0, B * D * sizeof(REAL));
    NN(spire_mse_backward)(m->dout, m->out, m->target, B * D);
    /* output layer: dh = dL/dh_L */
    memset(m->dh, 0, B * H * sizeof(REAL));
    NN(spire_dense_backward)(m->dh, m->g.wo, m->g.bo, m->dout, m->hid + (L - 1) * B * H,
                             m->p.wo, B, H, D);
    for (size_t l = L - 1; l >= 1; l--) {
        memset(m->dpre, 0, B * H * sizeof(REAL));
        NN(spire_silu_backward)(m->dpre, m->dh, m->pre + l * B * H, B * H);
        memset(m->dh, 0, B * H * sizeof(REAL));
        NN(spire_dense_backward)(m->dh, m->g.wh + (l - 1) * H * H, m->g.bh + (l - 1) * H,
                                 m->dpre, m->hid + (l - 1) * B * H, m->p.wh + (l - 1) * H * H,
                                 B, H, H);
    }
    memset(m->dpre, 0, B * H * sizeof(REAL));
    NN(spire_silu_backward)(m->dpre, m->dh, m->pre, B * H);
    if (m->cfg.embed_at == SPIRE_EMBED_HIDDEN) {
        NN(spire_dense_backward)(NULL, m->g.w1, m->g.b1, m->dpre, m->in1, m->p.w1, B, D + E, H);
        for (size_t r = 0; r < B; r++) {
            REAL *ge = m->gembed + (size_t)m->client[r] * m->ee;
            for (size_t j = 0; j < H; j++) ge[j] += m->dpre[r * H + j];
        }
    } else {
        memset(m->din1, 0, B * (D + E) * sizeof(REAL));
        NN(spire_dense_backward)(m->din1, m->g.w1, m->g.b1, m->dpre, m->in1, m->p.w1,
                                 B, D + E, H);
        for (size_t r = 0; r < B; r++) {
            REAL *ge = m->gembed + (size_t)m->client[r] * m->ee;
            for (size_t j = 0; j < E; j++) ge[j] += m->din1[r * (D + E) + D + j];
        }
    }
    return GSL_SUCCESS;
}
