/* spire/fed.c — clients, federated averaging with private embeddings,
 * checkpoints of a run, new-client adaptation (spire/fed.h). */
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "common/spl.h"
#include "common/spl_buf.h"
#include "common/spl_file.h"
#include "spire/data.h"
#include "spire/fed.h"
#include "spire/nn.h"

#define BETA1 0.9
#define BETA2 0.999
#define ADAM_EPS 1e-8

/* ---- clients ------------------------------------------------------------------- */

void spire_fed_data_opts_default(spire_fed_data_opts *o, spire_fed_kind kind)
{
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->C = 8;
    o->D = 2;
    o->K = kind == SPIRE_FED_GMM2 ? 2 : kind == SPIRE_FED_DIGITS ? 10 : 4;
    o->sep = 4;
    o->radius = 3;
    o->sigma = 0.5;
    o->alpha = 0.5;
    o->s = 0;
    o->n = 500;
    o->holdout = 0.25;
    o->path = NULL;
    o->seed = 1;
    if (kind == SPIRE_FED_DIGITS) o->D = 64;
}

void spire_fed_data_free(spire_fed_data *d)
{
    if (!d) return;
    for (size_t c = 0; c < d->C; c++) {
        if (d->train) free(d->train[c]);
        if (d->test) free(d->test[c]);
        if (d->lab_train) free(d->lab_train[c]);
        if (d->lab_test) free(d->lab_test[c]);
    }
    free(d->train); free(d->test); free(d->lab_train); free(d->lab_test);
    free(d->n_train); free(d->n_test); free(d->w); free(d->mu);
    free(d);
}

static spire_fed_data *data_alloc(spire_fed_kind kind, size_t C, size_t D, size_t K)
{
    spire_fed_data *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->kind = kind; d->C = C; d->D = D; d->K = K;
    d->n_train = calloc(C, sizeof *d->n_train);
    d->n_test = calloc(C, sizeof *d->n_test);
    d->train = calloc(C, sizeof *d->train);
    d->test = calloc(C, sizeof *d->test);
    d->lab_train = calloc(C, sizeof *d->lab_train);
    d->lab_test = calloc(C, sizeof *d->lab_test);
    d->w = calloc(C * K, sizeof *d->w);
    if (!d->n_train || !d->n_test || !d->train || !d->test || !d->lab_train || !d->lab_test ||
        !d->w) {
        d->C = 0;
        spire_fed_data_free(d);
        return NULL;
    }
    return d;
}

/* Client c's n rows x (n, D) with labels: the last round(holdout·n) rows
 * (at least 1, at most n − 1) are held out. */
static int set_client(spire_fed_data *d, size_t c, const float *x, const int *lab, size_t n,
                      double holdout)
{
    size_t D = d->D, nt = (size_t)lround(holdout * (double)n);
    if (nt < 1) nt = 1;
    if (nt > n - 1) nt = n - 1;
    size_t ntr = n - nt;
    d->train[c] = malloc(ntr * D * sizeof(float));
    d->test[c] = malloc(nt * D * sizeof(float));
    d->lab_train[c] = malloc(ntr * sizeof(int));
    d->lab_test[c] = malloc(nt * sizeof(int));
    if (!d->train[c] || !d->test[c] || !d->lab_train[c] || !d->lab_test[c]) return GSL_ENOMEM;
    memcpy(d->train[c], x, ntr * D * sizeof(float));
    memcpy(d->test[c], x + ntr * D, nt * D * sizeof(float));
    memcpy(d->lab_train[c], lab, ntr * sizeof(int));
    memcpy(d->lab_test[c], lab + ntr, nt * sizeof(int));
    d->n_train[c] = ntr;
    d->n_test[c] = nt;
    return GSL_SUCCESS;
}

static int make_synthetic(const spire_fed_data_opts *o, spire_fed_data *d, char *err,
                          size_t errlen)
{
    size_t C = o->C, D = o->D, K = d->K;
    d->mu = calloc(K * D, sizeof *d->mu);
    float *x = malloc(o->n * D * sizeof *x);
    int *lab = malloc(o->n * sizeof *lab);
    gsl_rng *r = spl_rng_alloc(o->seed, SPIRE_FED_STREAM_DATA, 1000000);
    int st = (d->mu && x && lab && r) ? GSL_SUCCESS : GSL_ENOMEM;
    if (st == GSL_SUCCESS) {
        if (o->kind == SPIRE_FED_GMM2) {
            d->sigma = 1.0;
            d->mu[0] = o->sep / 2;
            d->mu[D] = -o->sep / 2;
            for (size_t c = 0; c < C; c++) {
                double pi = 0.05 + 0.9 * ((double)c + 0.5) / (double)C;
                d->w[c * 2] = pi;
                d->w[c * 2 + 1] = 1 - pi;
            }
        } else {
            d->sigma = o->sigma;
            for (size_t k = 0; k < K; k++) {
                d->mu[k * D] = o->radius * cos(2 * M_PI * (double)k / (double)K);
                d->mu[k * D + 1] = o->radius * sin(2 * M_PI * (double)k / (double)K);
            }
            double *alpha = malloc(K * sizeof *alpha);
            if (!alpha) st = GSL_ENOMEM;
            else {
                for (size_t k = 0; k < K; k++) alpha[k] = o->alpha;
                for (size_t c = 0; c < C; c++) {
                    gsl_ran_dirichlet(r, K, alpha, d->w + c * K);
                    /* tiny α can underflow every draw: fall back to uniform */
                    double s = 0;
                    for (size_t k = 0; k < K; k++) s += d->w[c * K + k];
                    if (!(s > 0))
                        for (size_t k = 0; k < K; k++) d->w[c * K + k] = 1.0 / (double)K;
                }
                free(alpha);
            }
        }
    }
    for (size_t c = 0; st == GSL_SUCCESS && c < C; c++) {
        gsl_ran_discrete_t *g = gsl_ran_discrete_preproc(K, d->w + c * K);
        if (!g) { st = GSL_ENOMEM; break; }
        spl_rng_seed(r, o->seed, SPIRE_FED_STREAM_DATA, c);
        for (size_t i = 0; i < o->n; i++) {
            size_t k = gsl_ran_discrete(r, g);
            lab[i] = (int)k;
            for (size_t j = 0; j < D; j++)
                x[i * D + j] = (float)(d->mu[k * D + j] + d->sigma * gsl_ran_gaussian_ziggurat(r, 1.0));
        }
        gsl_ran_discrete_free(g);
        st = set_client(d, c, x, lab, o->n, o->holdout);
    }
    free(x); free(lab);
    if (r) gsl_rng_free(r);
    if (st == GSL_ENOMEM) return spl_errf(st, err, errlen, "out of memory");
    return st;
}

static int make_digits(const spire_fed_data_opts *o, spire_fed_data *d, char *err, size_t errlen)
{
    float *x = NULL;
    int *lab = NULL;
    size_t n = 0, C = o->C, K = 10, D = 64;
    char e2[256];
    int st = spire_data_read_digits(o->path ? o->path : SPIRE_DIGITS_PATH, &x, &lab, &n, e2,
                                    sizeof e2);
    if (st) return spl_errf(st, err, errlen, "%s", e2);
    double *q = calloc(C * K, sizeof *q), *alpha = malloc(K * sizeof *alpha);
    int *owner = malloc(n * sizeof *owner);
    size_t *cnt = calloc(C, sizeof *cnt);
    float *buf = malloc(n * D * sizeof *buf);
    int *lbuf = malloc(n * sizeof *lbuf);
    size_t *perm = malloc(n * sizeof *perm);
    gsl_rng *r = spl_rng_alloc(o->seed, SPIRE_FED_STREAM_DATA, 1000000);
    if (!q || !alpha || !owner || !cnt || !buf || !lbuf || !perm || !r) {
        st = spl_errf(GSL_ENOMEM, err, errlen, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < K; k++) alpha[k] = o->alpha;
    for (size_t c = 0; c < C; c++) {
        if (o->s > 0)
            for (size_t j = 0; j < o->s; j++) q[c * K + (c * o->s + j) % K] = 1;
        else
            gsl_ran_dirichlet(r, K, alpha, q + c * K);
    }
    for (size_t i = 0; i < n; i++) {
        int l = lab[i];
        double tot = 0;
        for (size_t c = 0; c < C; c++) tot += q[c * K + (size_t)l];
        owner[i] = -1;
        if (!(tot > 0)) continue;
        double u = gsl_rng_uniform(r) * tot, acc = 0;
        for (size_t c = 0; c < C; c++) {
            acc += q[c * K + (size_t)l];
            if (u < acc || c == C - 1) {
                if (q[c * K + (size_t)l] > 0) { owner[i] = (int)c; break; }
            }
        }
    }
    for (size_t c = 0; c < C; c++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (owner[i] == (int)c) perm[m++] = i;
        if (m < 4) {
            st = spl_errf(GSL_EINVAL, err, errlen,
                      "digits client %zu gets only %zu rows (need 4): use fewer clients or a larger alpha",
                      c, m);
            goto done;
        }
        spl_rng_seed(r, o->seed, SPIRE_FED_STREAM_DATA, c);
        gsl_ran_shuffle(r, perm, m, sizeof *perm);
        for (size_t i = 0; i < m; i++) {
            memcpy(buf + i * D, x + perm[i] * D, D * sizeof(float));
            lbuf[i] = lab[perm[i]];
            d->w[c * K + (size_t)lab[perm[i]]] += 1.0 / (double)m;
        }
        st = set_client(d, c, buf, lbuf, m, o->holdout);
        if (st) { spl_errf(st, err, errlen, "out of memory"); goto done; }
    }
done:
    free(x); free(lab); free(q); free(alpha); free(owner); free(cnt); free(buf); free(lbuf);
    free(perm);
    if (r) gsl_rng_free(r);
    return st;
}

static int data_make(const spire_fed_data_opts *o, spire_fed_data **out, char *err, size_t errlen)
{
    if (!o) return spl_errf(GSL_EINVAL, err, errlen, "no options for the client data");
    if ((unsigned)o->kind > SPIRE_FED_DIGITS)
        return spl_errf(GSL_EINVAL, err, errlen, "unknown kind of client data %d", (int)o->kind);
    if (o->C < 2) return spl_errf(GSL_EDOM, err, errlen, "need at least 2 clients, got %zu", o->C);
    if (o->C > SPIRE_FED_C_MAX) return spl_errf(GSL_EDOM, err, errlen, "at most %u clients, got %zu", SPIRE_FED_C_MAX, o->C);
    if (!(o->holdout > 0 && o->holdout < 1))
        return spl_errf(GSL_EDOM, err, errlen, "holdout must be in (0, 1), got %g", o->holdout);
    size_t K = o->kind == SPIRE_FED_GMM2 ? 2 : o->kind == SPIRE_FED_DIGITS ? 10 : o->K;
    size_t D = o->kind == SPIRE_FED_DIGITS ? 64 : o->D;
    if (o->kind == SPIRE_FED_GMMK) {
        if (K < 2 || K > SPIRE_FED_K_MAX)
            return spl_errf(GSL_EDOM, err, errlen, "K must be in [2, %u], got %zu", SPIRE_FED_K_MAX, K);
        if (D < 2) return spl_errf(GSL_EDOM, err, errlen, "gmmK needs D >= 2, got %zu", D);
        if (!(o->sigma > 0) || !(o->radius > 0))
            return spl_errf(GSL_EDOM, err, errlen, "sigma and R must be positive");
    }
    if (o->kind != SPIRE_FED_DIGITS) {
        if (D < 1 || D > SPIRE_DIM_MAX) return spl_errf(GSL_EDOM, err, errlen, "bad dimension D = %zu", D);
        if (o->n < 4 || o->n > SPIRE_FED_N_MAX)
            return spl_errf(GSL_EDOM, err, errlen, "n must be in [4, 1e7], got %zu", o->n);
        if (o->kind == SPIRE_FED_GMM2 && !(o->sep > 0))
            return spl_errf(GSL_EDOM, err, errlen, "sep must be positive, got %g", o->sep);
    }
    if (o->kind != SPIRE_FED_GMM2 && o->s == 0 && !(o->alpha > 0))
        return spl_errf(GSL_EDOM, err, errlen, "alpha must be positive, got %g", o->alpha);
    if (o->s > 10) return spl_errf(GSL_EDOM, err, errlen, "s labels per client must be <= 10, got %zu", o->s);
    spire_fed_data *d = data_alloc(o->kind, o->C, D, K);
    if (!d) return spl_errf(GSL_ENOMEM, err, errlen, "out of memory");
    int st = o->kind == SPIRE_FED_DIGITS ? make_digits(o, d, err, errlen)
                                         : make_synthetic(o, d, err, errlen);
    if (st) { spire_fed_data_free(d); return st; }
    *out = d;
    return GSL_SUCCESS;
}

spire_fed_data *spire_fed_data_make(const spire_fed_data_opts *o, int *status, char *err, size_t errlen)
{
    spire_fed_data *d = NULL;
    spl_status(status, data_make(o, &d, err, errlen));
    return d;
}

int spire_fed_pick_new(size_t C, size_t n_new, uint64_t seed, int *is_new)
{
    if (!is_new) return GSL_EINVAL;
    if (C < 2 || n_new > C - 1) return GSL_EDOM;
    size_t *perm = malloc(C * sizeof *perm);
    gsl_rng *r = spl_rng_alloc(seed, SPIRE_FED_STREAM_NEW, 0);
    if (!perm || !r) { free(perm); if (r) gsl_rng_free(r); return GSL_ENOMEM; }
    for (size_t c = 0; c < C; c++) { perm[c] = c; is_new[c] = 0; }
    gsl_ran_shuffle(r, perm, C, sizeof *perm);
    for (size_t j = 0; j < n_new; j++) is_new[perm[j]] = 1;
    free(perm);
    gsl_rng_free(r);
    return GSL_SUCCESS;
}

/* ---- federated averaging ------------------------------------------------------- */

void spire_fed_opts_default(spire_fed_opts *o)
{
    if (!o) return;
    o->rounds = 40;
    o->frac = 0.5;
    o->local_steps = 25;
    o->batch = 128;
    o->lr = 2e-3;
    o->embed = 1;
    o->seed = 1;
    o->hook = NULL;
}

spire_fed_run *spire_fed_run_alloc(const spire_config *cfg, uint64_t seed, int *status)
{
    int st = spire_config_check(cfg);
    if (st) return spl_fail(status, st);
    spire_fed_run *r = calloc(1, sizeof *r);
    if (!r) return spl_fail(status, GSL_ENOMEM);
    r->work = spire_model_alloc(cfg, &st);
    if (!r->work) { free(r); return spl_fail(status, st); }
    r->srv.cfg = *cfg;
    r->srv.n_params = r->work->n_params;
    r->ee = r->work->ee;
    r->srv.backbone = malloc(r->srv.n_params * sizeof(float));
    r->embed = calloc(cfg->C * r->ee, sizeof(float));
    r->loss = malloc(cfg->C * sizeof(double));
    if (!r->srv.backbone || !r->embed || !r->loss || spire_model_init(r->work, seed)) {
        spire_fed_run_free(r);
        return spl_fail(status, GSL_ENOMEM);
    }
    memcpy(r->srv.backbone, r->work->params, r->srv.n_params * sizeof(float));
    for (size_t c = 0; c < cfg->C; c++) r->loss[c] = NAN;
    spl_status(status, GSL_SUCCESS);
    return r;
}

static void pool_free(struct spire_fed_pool *p);

void spire_fed_run_free(spire_fed_run *r)
{
    if (!r) return;
    pool_free(r->pool);
    spire_model_free(r->work);
    free(r->srv.backbone); free(r->embed); free(r->loss);
    free(r);
}

int spire_fed_average(float *out, const float *in, const double *w, size_t k, size_t n)
{
    if (!out || !in || !w) return GSL_EINVAL;
    if (k == 0) return GSL_EDOM;
    double tot = 0;
    for (size_t j = 0; j < k; j++) tot += w[j];
    if (!(tot > 0)) return GSL_EDOM;
    /* coordinates on the threads (each one's sum in client order: the same
     * bits whatever the thread count); serial when called inside a worker */
#pragma omp parallel for schedule(static) if (k * n >= 65536 && !omp_in_parallel())
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        for (size_t j = 0; j < k; j++) s += w[j] * (double)in[j * n + i];
        out[i] = (float)(s / tot);
    }
    return GSL_SUCCESS;
}

/* Batch buffers and one DDPM batch of B rows drawn from x (n, D). */
typedef struct { float *xt, *t, *eps; int *cl; size_t B, D; } batch_buf;

static int batch_alloc(batch_buf *b, size_t B, size_t D)
{
    b->B = B; b->D = D;
    b->xt = malloc(B * D * sizeof(float));
    b->eps = malloc(B * D * sizeof(float));
    b->t = malloc(B * sizeof(float));
    b->cl = malloc(B * sizeof(int));
    return (b->xt && b->eps && b->t && b->cl) ? GSL_SUCCESS : GSL_ENOMEM;
}

static void batch_free(batch_buf *b)
{
    free(b->xt); free(b->eps); free(b->t); free(b->cl);
}

static void batch_draw(batch_buf *b, gsl_rng *r, const ddpm_schedule *s, const float *x,
                       size_t n, int c)
{
    size_t B = b->B, D = b->D, T = s->T;
    for (size_t row = 0; row < B; row++) {
        size_t idx = gsl_rng_uniform_int(r, n);
        size_t i = 1 + gsl_rng_uniform_int(r, T);
        double a = s->a[i - 1], bb = s->b[i - 1];
        b->t[row] = (float)i;
        b->cl[row] = c;
        for (size_t j = 0; j < D; j++) {
            double z = gsl_ran_gaussian_ziggurat(r, 1.0);
            b->eps[row * D + j] = (float)z;
            b->xt[row * D + j] = (float)(a * x[idx * D + j] + bb * z);
        }
    }
}

static int all_finite(const float *p, size_t n)
{
    for (size_t i = 0; i < n; i++) if (!isfinite(p[i])) return 0;
    return 1;
}

/* What one worker needs for a client's local training: its own model (the
 * backbone and the client's embedding are copied in), AdamW moments, batch
 * buffers and generator.  Allocated once per worker and round. */
typedef struct {
    spire_model *w;
    float *am, *av, *em, *ev;
    batch_buf b;
    gsl_rng *rng;
} local_ws;

static void local_ws_free(local_ws *ws)
{
    spire_model_free(ws->w);
    free(ws->am); free(ws->av); free(ws->em); free(ws->ev);
    batch_free(&ws->b);
    if (ws->rng) gsl_rng_free(ws->rng);
    memset(ws, 0, sizeof *ws);
}

static int local_ws_alloc(local_ws *ws, const spire_config *cfg, size_t P, size_t ee, size_t B)
{
    memset(ws, 0, sizeof *ws);
    ws->w = spire_model_alloc(cfg, NULL);
    ws->am = malloc(P * sizeof(float)); ws->av = malloc(P * sizeof(float));
    ws->em = malloc(ee * sizeof(float)); ws->ev = malloc(ee * sizeof(float));
    ws->rng = gsl_rng_alloc(gsl_rng_taus2);
    int st = (ws->w && ws->am && ws->av && ws->em && ws->ev && ws->rng) ? batch_alloc(&ws->b, B, cfg->D)
                                                                         : GSL_ENOMEM;
    if (st) local_ws_free(ws);
    return st;
}

/* What a run keeps from round to round (spire_fed_run.pool): one work space
 * per worker, filled by the worker itself on first use, and the round's
 * buffers for `cap` clients.  Allocating them every round cost page faults
 * and the model's set-up (its time-embedding table) in every round, and
 * the faults of two workers contend in the kernel.  Every buffer is
 * overwritten before it is read (client_local resets the model's
 * parameters, embedding and AdamW moments), so reuse changes no result. */
struct spire_fed_pool {
    local_ws *ws;
    size_t nws;          /* work spaces (entries with w == NULL not filled yet) */
    size_t B;            /* batch rows the work spaces are sized for */
    size_t cap;          /* clients the buffers below hold */
    float *outp, *oute;  /* (cap, P), (cap, ee) */
    double *wts, *lsum;  /* (cap) */
    int *sts;            /* (cap) */
};

static void pool_buffers_free(struct spire_fed_pool *p)
{
    free(p->outp); free(p->oute); free(p->wts); free(p->lsum); free(p->sts);
    p->outp = p->oute = NULL; p->wts = p->lsum = NULL; p->sts = NULL;
    p->cap = 0;
}

static void pool_free(struct spire_fed_pool *p)
{
    if (!p) return;
    for (size_t k = 0; k < p->nws; k++) local_ws_free(&p->ws[k]);
    free(p->ws);
    pool_buffers_free(p);
    free(p);
}

/* The run's pool with room for nt workers (batch B) and m clients. */
static int pool_get(spire_fed_run *r, size_t nt, size_t m, size_t B)
{
    struct spire_fed_pool *p = r->pool;
    if (!p && !(p = r->pool = calloc(1, sizeof *p))) return GSL_ENOMEM;
    if (p->B != B) {   /* another batch size: the work spaces are refilled */
        for (size_t k = 0; k < p->nws; k++) local_ws_free(&p->ws[k]);
        p->B = B;
    }
    if (nt > p->nws) {
        local_ws *ws = realloc(p->ws, nt * sizeof *ws);
        if (!ws) return GSL_ENOMEM;
        memset(ws + p->nws, 0, (nt - p->nws) * sizeof *ws);
        p->ws = ws;
        p->nws = nt;
    }
    if (m > p->cap) {
        pool_buffers_free(p);
        size_t P = r->srv.n_params, ee = r->ee;
        p->outp = malloc(m * P * sizeof(float)); p->oute = malloc(m * ee * sizeof(float));
        p->wts = malloc(m * sizeof(double)); p->lsum = malloc(m * sizeof(double));
        p->sts = malloc(m * sizeof(int));
        if (!p->outp || !p->oute || !p->wts || !p->lsum || !p->sts) { pool_buffers_free(p); return GSL_ENOMEM; }
        p->cap = m;
    }
    return GSL_SUCCESS;
}

/* Client c's local training in round `round_seed`: E AdamW steps from the
 * server's backbone and the client's embedding; the result into
 * outp (P), oute (ee) and the mean loss into *lsum.  Everything random comes
 * from stream (round_seed, c, k): independent of the worker that runs it. */
static int client_local(local_ws *ws, const spire_fed_run *r, const ddpm_schedule *s,
                        const spire_fed_data *d, const spire_fed_opts *o, uint64_t round_seed,
                        int c, float *outp, float *oute, double *lsum)
{
    size_t P = r->srv.n_params, ee = r->ee;
    spire_model *w = ws->w;
    memcpy(w->params, r->srv.backbone, P * sizeof(float));
    memcpy(w->embed + (size_t)c * ee, r->embed + (size_t)c * ee, ee * sizeof(float));
    memset(ws->am, 0, P * sizeof(float)); memset(ws->av, 0, P * sizeof(float));
    memset(ws->em, 0, ee * sizeof(float)); memset(ws->ev, 0, ee * sizeof(float));
    double acc = 0;
    int st = GSL_SUCCESS;
    for (size_t k = 1; k <= o->local_steps; k++) {
        spl_rng_seed(ws->rng, round_seed, (uint64_t)c, k);
        batch_draw(&ws->b, ws->rng, s, d->train[c], d->n_train[c], c);
        st = spire_model_forward(w, ws->b.xt, ws->b.t, ws->b.cl, ws->b.eps, ws->b.B);
        if (st) return st;
        if (!isfinite(w->loss)) return GSL_EDOM;
        acc += w->loss;
        spire_model_zero_grad(w);
        if ((st = spire_model_backward(w))) return st;
        spire_adamw_update(w->params, w->grads, ws->am, ws->av, P, o->lr, BETA1, BETA2, ADAM_EPS, 0, k);
        if (o->embed)
            spire_adamw_update(w->embed + (size_t)c * ee, w->gembed + (size_t)c * ee, ws->em, ws->ev,
                               ee, o->lr, BETA1, BETA2, ADAM_EPS, 0, k);
    }
    if (!all_finite(w->params, P) || !all_finite(w->embed + (size_t)c * ee, ee)) return GSL_EDOM;
    memcpy(outp, w->params, P * sizeof(float));
    memcpy(oute, w->embed + (size_t)c * ee, ee * sizeof(float));
    *lsum = acc;
    return GSL_SUCCESS;
}

int spire_fed_round(spire_fed_run *r, const ddpm_schedule *s, const spire_fed_data *d,
                    const int *eligible, const spire_fed_opts *o)
{
    if (!r || !s || !d || !eligible || !o) return GSL_EINVAL;
    size_t C = r->srv.cfg.C, P = r->srv.n_params, ee = r->ee, D = r->srv.cfg.D;
    if (d->C != C || d->D != D) return GSL_EINVAL;
    if (o->batch == 0 || !(o->lr > 0) || !(o->frac > 0 && o->frac <= 1)) return GSL_EDOM;
    size_t round = r->srv.round + 1, n_pre = 0;
    int *list = malloc(C * sizeof *list), *sel = malloc(C * sizeof *sel);
    if (!list || !sel) { free(list); free(sel); return GSL_ENOMEM; }
    for (size_t c = 0; c < C; c++) if (eligible[c]) list[n_pre++] = (int)c;
    if (n_pre == 0) { free(list); free(sel); return GSL_EDOM; }
    size_t m = (size_t)lround(o->frac * (double)n_pre);
    if (m < 1) m = 1;
    if (m > n_pre) m = n_pre;
    gsl_rng *rng = spl_rng_alloc(o->seed, SPIRE_FED_STREAM_SELECT, round);
    int nt = omp_in_parallel() ? 1 : omp_get_max_threads();
    if (nt > (int)m) nt = (int)m;
    int st = rng ? pool_get(r, (size_t)nt, m, o->batch) : GSL_ENOMEM;
    struct spire_fed_pool *pool = r->pool;
    float *outp = st ? NULL : pool->outp, *oute = st ? NULL : pool->oute;
    double *wts = st ? NULL : pool->wts, *lsum = st ? NULL : pool->lsum;
    int *sts = st ? NULL : pool->sts;
    local_ws *ws = st ? NULL : pool->ws;
    if (st == GSL_SUCCESS) gsl_ran_choose(rng, sel, m, list, n_pre, sizeof *list);
    uint64_t round_seed = spl_stream_seed(o->seed, SPIRE_FED_STREAM_LOCAL, round);
    /* the selected clients, concurrently; each worker single-threaded BLAS.
     * With a hook (several processes) only this process's clients are
     * trained here, and the hook shares everyone's before the average. */
    const spire_fed_hook *hk = o->hook;
    int blas = spl_blas_threads(1);
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (st == GSL_SUCCESS && nt > 1)
    for (size_t j = 0; j < m; j++) {
        if (st != GSL_SUCCESS) continue;
        int c = sel[j];
        wts[j] = (double)d->n_train[c];
        sts[j] = GSL_SUCCESS;
        if (hk && !hk->owns(hk->ctx, j, m)) continue;   /* another process trains it */
        local_ws *mine = &ws[omp_get_thread_num()];
        sts[j] = mine->w ? GSL_SUCCESS : local_ws_alloc(mine, &r->srv.cfg, P, ee, o->batch);
        if (sts[j] == GSL_SUCCESS)
            sts[j] = client_local(mine, r, s, d, o, round_seed, c, outp + j * P, oute + j * ee, &lsum[j]);
    }
    spl_blas_threads(blas);
    for (size_t j = 0; st == GSL_SUCCESS && j < m; j++) st = sts[j];   /* the first failure */
    if (hk) st = hk->share(hk->ctx, st, outp, oute, lsum, m, P, ee);
    if (st == GSL_SUCCESS) st = spire_fed_average(r->srv.backbone, outp, wts, m, P);
    if (st == GSL_SUCCESS) {
        for (size_t c = 0; c < C; c++) r->loss[c] = NAN;
        for (size_t j = 0; j < m; j++) {
            memcpy(r->embed + (size_t)sel[j] * ee, oute + j * ee, ee * sizeof(float));
            r->loss[sel[j]] = o->local_steps ? lsum[j] / (double)o->local_steps : NAN;
        }
        r->srv.round = round;
    }
    free(list); free(sel);
    if (rng) gsl_rng_free(rng);
    return st;
}

static int same_cfg(const spire_config *a, const spire_config *b)
{
    return a->D == b->D && a->E == b->E && a->H == b->H && a->L == b->L && a->C == b->C &&
           a->embed_at == b->embed_at;
}

int spire_fed_to_model(const spire_fed_run *r, spire_model *m)
{
    if (!r || !m) return GSL_EINVAL;
    if (!same_cfg(&r->srv.cfg, &m->cfg)) return GSL_EINVAL;
    memcpy(m->params, r->srv.backbone, r->srv.n_params * sizeof(float));
    memcpy(m->embed, r->embed, m->n_embed * sizeof(float));
    return GSL_SUCCESS;
}

int spire_fed_model_copy(spire_model *dst, const spire_model *src)
{
    if (!dst || !src) return GSL_EINVAL;
    if (!same_cfg(&dst->cfg, &src->cfg)) return GSL_EINVAL;
    memcpy(dst->params, src->params, src->n_params * sizeof(float));
    memcpy(dst->embed, src->embed, src->n_embed * sizeof(float));
    return GSL_SUCCESS;
}

/* ---- checkpoints of a run ------------------------------------------------------- */

#define FED_MAGIC "SPIREFED"
#define FED_VERSION 1u

int spire_fed_save(const char *path, const spire_fed_run *r, const char *config, char *err,
                   size_t errlen)
{
    if (!path || !r || !config) return spl_errf(GSL_EINVAL, err, errlen, "spire_fed_save: NULL argument");
    size_t cl = strlen(config);
    if (cl > UINT32_MAX) return spl_errf(GSL_EINVAL, err, errlen, "cannot write %s: configuration text too long", path);
    uint32_t ver = FED_VERSION, clen = (uint32_t)cl;
    uint64_t hdr[3] = { r->srv.round, r->srv.n_params, r->srv.cfg.C * r->ee };
    spl_buf b = SPL_BUF_INIT;
    spl_buf_append(&b, FED_MAGIC, 8);
    spl_buf_append(&b, &ver, 4);
    spl_buf_append(&b, &clen, 4);
    spl_buf_append(&b, config, clen);
    spl_buf_append(&b, hdr, sizeof hdr);
    spl_buf_append(&b, r->srv.backbone, hdr[1] * sizeof(float));
    spl_buf_append(&b, r->embed, hdr[2] * sizeof(float));
    uint32_t c32 = b.status ? 0 : spl_crc32(b.s, b.len);
    spl_buf_append(&b, &c32, 4);
    int st = b.status ? spl_errf(b.status, err, errlen, "out of memory writing %s", path)
                      : spl_file_write(path, b.s, b.len, err, errlen);
    spl_buf_release(&b);
    return st;
}

int spire_fed_load(const char *path, spire_fed_run *r, const char *config, char *err,
                   size_t errlen)
{
    if (!path || !r || !config) return spl_errf(GSL_EINVAL, err, errlen, "spire_fed_load: NULL argument");
    char *data;
    size_t n;
    int st = spl_file_read(path, &data, &n, err, errlen);
    if (st) return st;
    const unsigned char *buf = (const unsigned char *)data;
    st = GSL_EINVAL;
    uint32_t ver, clen, c32;
    uint64_t hdr[3];
    size_t ne = r->srv.cfg.C * r->ee;
    if (n < 8) { spl_errf(st, err, errlen, "%s is truncated (%zu bytes, not even a header)", path, n); goto out; }
    if (memcmp(buf, FED_MAGIC, 8)) { spl_errf(st, err, errlen, "%s is not a federated-run checkpoint (bad magic)", path); goto out; }
    if (n < 16 + 24 + 4) { spl_errf(st, err, errlen, "%s is truncated (%zu bytes, header incomplete)", path, n); goto out; }
    memcpy(&ver, buf + 8, 4);
    memcpy(&clen, buf + 12, 4);
    memcpy(&c32, buf + n - 4, 4);
    /* the checksum first: until it holds, no size in the file is believed */
    if (spl_crc32(buf, n - 4) != c32) {
        const uint64_t big = (uint64_t)1 << 40;
        size_t said = SIZE_MAX;   /* what the (untrusted) header announces, if it can be read */
        if ((size_t)clen <= n - 16 - 24 - 4) {
            memcpy(hdr, buf + 16 + clen, sizeof hdr);
            if (hdr[1] < big && hdr[2] < big) said = 16 + clen + 24 + (size_t)(hdr[1] + hdr[2]) * sizeof(float) + 4;
        } else {
            said = 16 + (size_t)clen + 24 + 4;   /* at least */
        }
        if (ver != FED_VERSION)
            spl_errf(st, err, errlen, "%s has version %u (this build reads %u), or is corrupt (checksum mismatch)", path, ver, FED_VERSION);
        else if (said != SIZE_MAX && n < said)
            spl_errf(st, err, errlen, "%s is truncated: %zu bytes where its header announces %s%zu (checksum mismatch)",
                     path, n, (size_t)clen > n - 16 - 24 - 4 ? "at least " : "", said);
        else
            spl_errf(st, err, errlen, "%s is corrupt (checksum mismatch)", path);
        goto out;
    }
    if (ver != FED_VERSION) { spl_errf(st, err, errlen, "%s has version %u, this build reads %u", path, ver, FED_VERSION); goto out; }
    if ((size_t)clen > n - 16 - 24 - 4) { spl_errf(st, err, errlen, "%s has the wrong size: its configuration text runs past the end", path); goto out; }
    memcpy(hdr, buf + 16 + clen, sizeof hdr);
    if (hdr[1] != r->srv.n_params || hdr[2] != ne) {
        spl_errf(st, err, errlen, "%s is a resume file from a different configuration (network sizes differ)", path);
        goto out;
    }
    size_t want = 16 + clen + 24 + (hdr[1] + hdr[2]) * sizeof(float) + 4;
    if (n != want) { spl_errf(st, err, errlen, "%s has the wrong size: %zu bytes, its header's sizes call for %zu", path, n, want); goto out; }
    if (strlen(config) != clen || memcmp(config, buf + 16, clen)) {
        spl_errf(st, err, errlen, "%s is a resume file from a different configuration", path);
        goto out;
    }
    const unsigned char *p = buf + 16 + clen + 24;
    float *bb = malloc(hdr[1] * sizeof(float) + 1), *eb = malloc(ne * sizeof(float) + 1);
    if (!bb || !eb) { free(bb); free(eb); st = spl_errf(GSL_ENOMEM, err, errlen, "out of memory reading %s", path); goto out; }
    memcpy(bb, p, hdr[1] * sizeof(float));
    memcpy(eb, p + hdr[1] * sizeof(float), ne * sizeof(float));
    if (!all_finite(bb, hdr[1]) || !all_finite(eb, ne)) {
        spl_errf(st, err, errlen, "%s holds non-finite parameters", path);
    } else {   /* only a file that passed every check changes the run */
        memcpy(r->srv.backbone, bb, hdr[1] * sizeof(float));
        memcpy(r->embed, eb, ne * sizeof(float));
        r->srv.round = hdr[0];
        st = GSL_SUCCESS;
    }
    free(bb); free(eb);
out:
    free(data);
    return st;
}

/* ---- new clients: the table of methods ------------------------------------------ */

/* One adaptation in progress: the model, the trainable block θ (nt floats)
 * and its gradient, the AdamW moments, and what LoRA keeps besides. */
typedef struct {
    spire_model *m;
    const spire_fed_adapt_opts *o;
    int c;
    const int *known;
    size_t nt, steps;
    float *theta, *grad;        /* θ and ∂loss/∂θ (may alias the model's blocks) */
    float *lora, *lgrad, *w0;   /* LoRA: A then Bᵀ, their gradient, the frozen W */
    size_t L1, H, rk;
    gsl_rng *rng;
} adapt_ctx;

/* A row of the table: trainable parameters (closed form), init (sets θ,
 * grad, nt, steps; nt = 0: nothing to train), before (before each forward;
 * may be NULL), grad (fills a->grad after the backward pass; may be NULL),
 * fini (after the last step; may be NULL). */
typedef struct {
    spire_fed_method_info info;
    size_t (*trainable)(const spire_config *cfg, size_t rank);
    int (*init)(adapt_ctx *a);
    void (*before)(adapt_ctx *a);
    void (*grad)(adapt_ctx *a);
    void (*fini)(adapt_ctx *a);
} method_row;

static size_t tr_embed(const spire_config *cfg, size_t rank) { (void)rank; return spire_config_embed_width(cfg); }
static size_t tr_none(const spire_config *cfg, size_t rank) { (void)cfg; (void)rank; return 0; }
static size_t tr_all(const spire_config *cfg, size_t rank) { (void)rank; return spire_config_n_params(cfg); }
static size_t tr_last(const spire_config *cfg, size_t rank) { (void)rank; return cfg->D * cfg->H + cfg->D; }
static size_t tr_lora(const spire_config *cfg, size_t rank) { return (cfg->L - 1) * rank * 2 * cfg->H; }

/* SPIRE: e_c ← mean of the known clients' embeddings; θ = e_c */
static int init_spire(adapt_ctx *a)
{
    spire_model *m = a->m;
    size_t C = m->cfg.C, ee = m->ee, nk = 0;
    float *emb = m->embed + (size_t)a->c * ee;
    double *acc = calloc(ee, sizeof *acc);
    if (!acc) return GSL_ENOMEM;
    for (size_t k = 0; k < C; k++)
        if (a->known[k] && k != (size_t)a->c) {
            nk++;
            for (size_t j = 0; j < ee; j++) acc[j] += m->embed[k * ee + j];
        }
    for (size_t j = 0; j < ee; j++) emb[j] = nk ? (float)(acc[j] / (double)nk) : 0.0f;
    free(acc);
    a->theta = emb;
    a->grad = m->gembed + (size_t)a->c * ee;
    a->nt = ee;
    return GSL_SUCCESS;
}

static int init_none(adapt_ctx *a) { a->nt = 0; return GSL_SUCCESS; }

static int init_full(adapt_ctx *a)
{
    a->theta = a->m->params; a->grad = a->m->grads; a->nt = a->m->n_params;
    return GSL_SUCCESS;
}

static int init_last(adapt_ctx *a)   /* wo then bo, contiguous */
{
    a->theta = a->m->p.wo; a->grad = a->m->g.wo; a->nt = a->m->cfg.D * a->m->cfg.H + a->m->cfg.D;
    return GSL_SUCCESS;
}

/* local: a fresh backbone from this client's own stream, zero e_c */
static int init_local(adapt_ctx *a)
{
    spire_model *m = a->m;
    int st;
    spire_model *tmp = spire_model_alloc(&m->cfg, &st);
    if (!tmp) return st;
    st = spire_model_init(tmp, spl_stream_seed(a->o->seed, SPIRE_FED_STREAM_INIT, (uint64_t)a->c));
    if (!st) memcpy(m->params, tmp->params, m->n_params * sizeof(float));
    spire_model_free(tmp);
    if (st) return st;
    memset(m->embed + (size_t)a->c * m->ee, 0, m->ee * sizeof(float));
    a->steps = a->o->local_steps;
    return init_full(a);
}

/* W_eff = W0 + B·A for every hidden layer: wh (L−1, H, H), A (L−1, r, H), and
 * B stored transposed, Bt (L−1, r, H).  Bᵀᵀ·A is the weight-gradient product
 * of spire_dense_backward (dW += doutᵀ·in with dout = Bt, in = A). */
static void lora_merge(adapt_ctx *a)
{
    size_t L1 = a->L1, H = a->H, rk = a->rk;
    const float *A = a->lora, *Bt = a->lora + L1 * rk * H;
    memcpy(a->m->p.wh, a->w0, L1 * H * H * sizeof(float));
    for (size_t l = 0; l < L1; l++)
        spire_dense_backward(NULL, a->m->p.wh + l * H * H, NULL, Bt + l * rk * H, A + l * rk * H,
                             NULL, rk, H, H);
}

/* LoRA: A (r, H) ~ U(±1/√H), B = 0 per hidden layer (stream (cseed, method, 0)) */
static int init_lora(adapt_ctx *a)
{
    spire_model *m = a->m;
    a->L1 = m->cfg.L - 1; a->H = m->cfg.H; a->rk = a->o->rank;
    a->nt = a->L1 * 2 * a->rk * a->H;
    if (a->nt == 0) return GSL_SUCCESS;   /* no hidden H×H weight */
    a->lora = calloc(a->nt, sizeof(float));
    a->lgrad = calloc(a->nt, sizeof(float));
    a->w0 = malloc(a->L1 * a->H * a->H * sizeof(float));
    if (!a->lora || !a->lgrad || !a->w0) return GSL_ENOMEM;
    memcpy(a->w0, m->p.wh, a->L1 * a->H * a->H * sizeof(float));
    spl_rng_seed(a->rng, spl_stream_seed(a->o->seed, SPIRE_FED_STREAM_ADAPT, (uint64_t)a->c),
                 (uint64_t)SPIRE_FED_M_LORA, 0);
    double k0 = 1.0 / sqrt((double)a->H);
    for (size_t i = 0; i < a->L1 * a->rk * a->H; i++)
        a->lora[i] = (float)(k0 * (2 * gsl_rng_uniform(a->rng) - 1));
    a->theta = a->lora;
    a->grad = a->lgrad;
    return GSL_SUCCESS;
}

/* dA = Bᵀ G = Bt·G (r, H);  dBt = (G Aᵀ)ᵀ = A·Gᵀ (r, H), G = ∂loss/∂W_eff */
static void grad_lora(adapt_ctx *a)
{
    size_t L1 = a->L1, H = a->H, rk = a->rk;
    const float *A = a->lora, *Bt = a->lora + L1 * rk * H;
    memset(a->lgrad, 0, a->nt * sizeof(float));
    for (size_t l = 0; l < L1; l++) {
        const float *G = a->m->g.wh + l * H * H;
        spire_dense_backward(a->lgrad + l * rk * H, NULL, NULL, Bt + l * rk * H, NULL, G, rk, H, H);
        spire_dense_forward(a->lgrad + L1 * rk * H + l * rk * H, A + l * rk * H, G, NULL, rk, H, H);
    }
}

static const method_row METHODS[SPIRE_FED_NMETHODS] = {
    [SPIRE_FED_M_SPIRE] = { { "spire", SPIRE_FED_FROM_SPIRE, 0, "SPIRE: backbone frozen, the client's embedding trained" },
                            tr_embed, init_spire, NULL, NULL, NULL },
    [SPIRE_FED_M_ASIS] = { { "fedavg", SPIRE_FED_FROM_FEDAVG, 0, "FedAvg global model as is" },
                           tr_none, init_none, NULL, NULL, NULL },
    [SPIRE_FED_M_FULL] = { { "full", SPIRE_FED_FROM_FEDAVG, 1, "FedAvg + full fine-tune" },
                           tr_all, init_full, NULL, NULL, NULL },
    [SPIRE_FED_M_LAST] = { { "last", SPIRE_FED_FROM_FEDAVG, 1, "FedAvg + output-layer fine-tune" },
                           tr_last, init_last, NULL, NULL, NULL },
    [SPIRE_FED_M_LORA] = { { "lora", SPIRE_FED_FROM_FEDAVG, 0, "FedAvg + low-rank adapters (merged per client)" },
                           tr_lora, init_lora, lora_merge, grad_lora, lora_merge },
    [SPIRE_FED_M_LOCAL] = { { "local", SPIRE_FED_FROM_SCRATCH, 0, "local training from scratch" },
                            tr_all, init_local, NULL, NULL, NULL },
};

const spire_fed_method_info *spire_fed_method_get(spire_fed_method m)
{
    return (unsigned)m < SPIRE_FED_NMETHODS ? &METHODS[m].info : NULL;
}

const char *spire_fed_method_name(spire_fed_method m)
{
    return (unsigned)m < SPIRE_FED_NMETHODS ? METHODS[m].info.name : "?";
}

int spire_fed_method_parse(const char *name, spire_fed_method *m)
{
    if (!name || !m) return GSL_EINVAL;
    for (int i = 0; i < SPIRE_FED_NMETHODS; i++)
        if (!strcmp(name, METHODS[i].info.name)) { *m = (spire_fed_method)i; return GSL_SUCCESS; }
    return GSL_EINVAL;
}

int spire_fed_method_list(char *buf, size_t len)
{
    if (!buf) return GSL_EINVAL;
    size_t used = 0;
    for (int i = 0; i < SPIRE_FED_NMETHODS; i++) {
        int n = snprintf(buf + used, len > used ? len - used : 0, "%s%s", i ? "|" : "", METHODS[i].info.name);
        if (n < 0 || used + (size_t)n >= len) return GSL_EDOM;
        used += (size_t)n;
    }
    return GSL_SUCCESS;
}

void spire_fed_adapt_opts_default(spire_fed_adapt_opts *o)
{
    if (!o) return;
    o->steps = 300;
    o->lr = 1e-2;
    o->batch = 128;
    o->rank = 2;
    o->local_steps = 2000;
    o->seed = 1;
}

size_t spire_fed_trainable(const spire_config *cfg, spire_fed_method m, size_t rank)
{
    if (!cfg || (unsigned)m >= SPIRE_FED_NMETHODS) return 0;
    return METHODS[m].trainable(cfg, rank);
}

int spire_fed_adapt(spire_model *m, const ddpm_schedule *s, spire_fed_method method, int c,
                    const float *x, size_t n, const int *known, const spire_fed_adapt_opts *o,
                    double *loss)
{
    if (loss) *loss = NAN;
    if (!m || !s || !x || !known || !o) return GSL_EINVAL;
    if ((unsigned)method >= SPIRE_FED_NMETHODS) return GSL_EINVAL;
    size_t C = m->cfg.C, D = m->cfg.D, H = m->cfg.H, ee = m->ee, P = m->n_params;
    if (c < 0 || (size_t)c >= C || n == 0 || o->batch == 0 || !(o->lr > 0) ||
        (method == SPIRE_FED_M_LORA && (o->rank < 1 || o->rank > H)))
        return GSL_EDOM;
    const method_row *row = &METHODS[method];
    adapt_ctx a = { .m = m, .o = o, .c = c, .known = known, .steps = o->steps };
    batch_buf b = { 0 };
    float *am = NULL, *av = NULL;
    a.rng = spl_rng_alloc(o->seed, 0, 0);
    int st = a.rng ? row->init(&a) : GSL_ENOMEM;
    if (st == GSL_SUCCESS && a.nt > 0) {
        am = calloc(a.nt, sizeof(float));
        av = calloc(a.nt, sizeof(float));
        st = (am && av) ? batch_alloc(&b, o->batch, D) : GSL_ENOMEM;
    }
    uint64_t cseed = spl_stream_seed(o->seed, SPIRE_FED_STREAM_ADAPT, (uint64_t)c);
    size_t steps = a.nt ? a.steps : 0, tail = steps < 50 ? steps : 50;
    double lsum = 0;
    for (size_t k = 1; st == GSL_SUCCESS && k <= steps; k++) {
        spl_rng_seed(a.rng, cseed, (uint64_t)method, k);
        batch_draw(&b, a.rng, s, x, n, c);
        if (row->before) row->before(&a);
        if ((st = spire_model_forward(m, b.xt, b.t, b.cl, b.eps, b.B))) break;
        if (!isfinite(m->loss)) { st = GSL_EDOM; break; }
        if (k + tail > steps) lsum += m->loss;
        spire_model_zero_grad(m);
        if ((st = spire_model_backward(m))) break;
        if (row->grad) row->grad(&a);
        spire_adamw_update(a.theta, a.grad, am, av, a.nt, o->lr, BETA1, BETA2, ADAM_EPS, 0, k);
    }
    if (st == GSL_SUCCESS && steps && row->fini) row->fini(&a);
    if (st == GSL_SUCCESS && (!all_finite(m->params, P) || !all_finite(m->embed + (size_t)c * ee, ee))) st = GSL_EDOM;
    if (st == GSL_SUCCESS && loss && tail) *loss = lsum / (double)tail;
    batch_free(&b);
    free(am); free(av); free(a.lora); free(a.lgrad); free(a.w0);
    if (a.rng) gsl_rng_free(a.rng);
    return st;
}
