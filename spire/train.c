/* spire/train.c — DDPM training of the score network (spire/train.h). */
#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "common/spl.h"
#include "spire/nn.h"
#include "spire/train.h"
#include "spire/train_internal.h"

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
    o->slice = SPIRE_TRAIN_SLICE;
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

/* The trainer's per-slice workspaces: slice s holds rows lo[s] .. lo[s+1]−1
 * of the batch, runs on its own model view and generator, and enters the
 * gradient with weight wt[s] = B_s/B. */
typedef struct {
    spire_model **view;     /* (S) */
    gsl_rng **rng;          /* (S) */
    size_t *lo;             /* (S + 1) */
    float *wt;              /* (S) */
    double *loss;           /* (S) the slice's own MSE */
    int *st;                /* (S) */
    spire_pick pick;        /* how many workers pay (speed only: the result never depends on it) */
    int cpu[SPIRE_TRAIN_SLICES_MAX];   /* CPUs of the process at allocation (bind_worker) */
    int ncpu;
} slice_ws;

static void slice_ws_free(slice_ws *w, size_t S)
{
    if (!w) return;
    for (size_t s = 0; s < S; s++) {
        if (w->view) spire_model_free(w->view[s]);
        if (w->rng && w->rng[s]) gsl_rng_free(w->rng[s]);
    }
    free(w->view); free(w->rng); free(w->lo); free(w->wt); free(w->loss); free(w->st);
    free(w);
}

static slice_ws *slice_ws_alloc(spire_model *m, size_t B, size_t S, size_t T)
{
    slice_ws *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->view = calloc(S, sizeof *w->view);
    w->rng = calloc(S, sizeof *w->rng);
    w->lo = malloc((S + 1) * sizeof *w->lo);
    w->wt = malloc(S * sizeof *w->wt);
    w->loss = calloc(S, sizeof *w->loss);
    w->st = malloc(S * sizeof *w->st);
    if (!w->view || !w->rng || !w->lo || !w->wt || !w->loss || !w->st) { slice_ws_free(w, S); return NULL; }
    for (size_t s = 0; s <= S; s++) w->lo[s] = s * B / S;
    spire_pick_init(&w->pick);
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        for (int c = 0; c < CPU_SETSIZE && w->ncpu < (int)SPIRE_TRAIN_SLICES_MAX; c++)
            if (CPU_ISSET(c, &set)) w->cpu[w->ncpu++] = c;
    for (size_t s = 0; s < S; s++) {
        size_t n = w->lo[s + 1] - w->lo[s];
        w->wt[s] = (float)((double)n / (double)B);
        w->view[s] = spire_model_view_alloc(m, n, T, NULL);
        w->rng[s] = gsl_rng_alloc(gsl_rng_taus2);
        if (!w->view[s] || !w->rng[s]) { slice_ws_free(w, S); return NULL; }
    }
    return w;
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
    size_t B = o->batch, D = m->cfg.D, slice = o->slice ? o->slice : SPIRE_TRAIN_SLICE;
    tr->adapt = 1;
    tr->slices = (B + slice - 1) / slice;
    if (tr->slices > SPIRE_TRAIN_SLICES_MAX) tr->slices = SPIRE_TRAIN_SLICES_MAX;
    tr->adam = spire_adam_alloc(m->n_params, m->n_embed);
    tr->xt = malloc(B * D * sizeof(float));
    tr->eps = malloc(B * D * sizeof(float));
    tr->t = malloc(B * sizeof(float));
    tr->ws = slice_ws_alloc(m, B, tr->slices, s->T);
    if (!tr->adam || !tr->xt || !tr->eps || !tr->t || !tr->ws) {
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
    slice_ws_free(tr->ws, tr->slices);
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

/* Draw rows lo..hi−1 of the batch of the step whose stream seed is ks. */
static void draw_rows(spire_trainer *tr, gsl_rng *r, uint64_t ks, size_t lo, size_t hi)
{
    size_t D = tr->m->cfg.D, T = tr->s->T;
    for (size_t row = lo; row < hi; row++) {
        spl_rng_seed(r, ks, 0, row);
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
}

/* Slice s of the step: draw its rows, forward, and (if its loss is finite)
 * backward into its view's gradient. */
static int slice_grad(spire_trainer *tr, size_t s, uint64_t ks)
{
    slice_ws *w = tr->ws;
    size_t lo = w->lo[s], hi = w->lo[s + 1], D = tr->m->cfg.D;
    spire_model *v = w->view[s];
    draw_rows(tr, w->rng[s], ks, lo, hi);
    int st = spire_model_forward(v, tr->xt + lo * D, tr->t + lo, NULL, tr->eps + lo * D, hi - lo);
    if (st) return st;
    w->loss[s] = v->loss;
    if (!isfinite(v->loss)) return GSL_SUCCESS;   /* the step's loss is not finite: no update */
    return spire_model_backward(v);   /* into a zero gradient: reduce_update leaves it so */
}

/* grad[lo..hi) = Σ_s wt[s] · (slice s's gradient)[lo..hi), in slice order,
 * zeroing the slices' gradients for the next step as it reads them; then
 * AdamW on those parameters.  1 if one of them became non-finite. */
static int reduce_update(spire_trainer *tr, float *param, float *grad, float *am, float *av,
                         size_t lo, size_t hi, int embed)
{
    slice_ws *w = tr->ws;
    const spire_train_opts *o = &tr->o;
    size_t n = hi - lo;
    float *restrict g = grad + lo;
    for (size_t s = 0; s < tr->slices; s++) {
        float *restrict gs = (embed ? w->view[s]->gembed : w->view[s]->grads) + lo;
        float ws = w->wt[s];
        if (s == 0) {
#pragma omp simd
            for (size_t i = 0; i < n; i++) { g[i] = ws * gs[i]; gs[i] = 0; }
        } else {
#pragma omp simd
            for (size_t i = 0; i < n; i++) { g[i] += ws * gs[i]; gs[i] = 0; }
        }
    }
    spire_adamw_update(param + lo, g, am + lo, av + lo, n, tr->lr, o->beta1, o->beta2, o->eps,
                       o->wd, tr->adam->step);
    int bad = 0;
#pragma omp simd reduction(|:bad)
    for (size_t i = lo; i < hi; i++) bad |= !isfinite(param[i]);
    return bad;
}

void spire_pick_init(spire_pick *p)
{
    memset(p, 0, sizeof *p);
    p->cold = 1;
    p->gap[0] = SPIRE_PICK_RETRY;
    p->gap[1] = SPIRE_PICK_GAP;
}

int spire_pick_workers(spire_pick *p, size_t k)
{
    if (!p->trial && p->est[p->all] > 0 && k >= p->next) {
        p->all = !p->all;
        p->trial = 1;
        p->cold = 1;   /* a switch's first step (team start, migration, cold caches) */
        p->n = 0;
    }
    return p->all;
}

/* The running choice becomes c; its next trial gap[c] steps after step k.
 * fresh: a new choice (a trial won, or a stall): both gaps start over. */
static void pick_settle(spire_pick *p, int c, size_t k, int fresh)
{
    if (fresh) { p->gap[0] = SPIRE_PICK_RETRY; p->gap[1] = SPIRE_PICK_GAP; }
    p->all = c;
    p->trial = 0;
    p->n = 0;
    p->next = k + p->gap[c];
}

void spire_pick_book(spire_pick *p, size_t k, double dt)
{
    if (p->cold) { p->cold = 0; return; }
    p->t[p->n++ % SPIRE_PICK_W] = dt;
    size_t w = p->n < SPIRE_PICK_W ? p->n : SPIRE_PICK_W;
    double sum = 0;
    for (size_t i = 0; i < w; i++) sum += p->t[i];
    int c = p->all;
    if (p->trial) {
        double other = p->est[!c];
        if (w < SPIRE_PICK_W && sum <= SPIRE_PICK_W * other) return;   /* the trial goes on */
        if (w == SPIRE_PICK_W) p->est[c] = sum / SPIRE_PICK_W;
        if (w == SPIRE_PICK_W && p->est[c] < other) {
            pick_settle(p, c, k, 1);
        } else {   /* lost (or cut short): the running choice stands; the gap after this one doubles */
            pick_settle(p, !c, k, 0);
            p->gap[!c] = 2 * p->gap[!c] < SPIRE_PICK_GAP_MAX ? 2 * p->gap[!c] : SPIRE_PICK_GAP_MAX;
        }
        return;
    }
    if (w < SPIRE_PICK_W) return;
    p->est[c] = sum / SPIRE_PICK_W;
    if (c && p->est[0] > 0 && p->est[1] > p->est[0]) pick_settle(p, 0, k, 1);   /* all workers stall */
}

/* Workers of an all-worker step are bound to distinct CPUs of the
 * process's set (w->cpu) for the step, their own sets restored after it.
 * Unbound, Linux may wake the second worker on the first one's CPU (the
 * other one busy, e.g. with OpenBLAS's spinning server thread, see
 * spire/train_internal.h), where it waits out a time slice; bound, it runs at
 * once.  1 if the calling worker was bound (saved holds its set). */
static int bind_worker(const slice_ws *w, cpu_set_t *saved)
{
    int t = omp_get_thread_num();
    if (t >= w->ncpu) return 0;
    pthread_t self = pthread_self();
    if (pthread_getaffinity_np(self, sizeof *saved, saved)) return 0;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(w->cpu[t], &one);
    return pthread_setaffinity_np(self, sizeof one, &one) == 0;
}

static void unbind_worker(const cpu_set_t *saved) { pthread_setaffinity_np(pthread_self(), sizeof *saved, saved); }

#define UPDATE_CHUNK 4096u   /* parameters per chunk of the reduction and AdamW */

int spire_trainer_iterate(spire_trainer *tr)
{
    if (!tr) return GSL_EINVAL;
    slice_ws *w = tr->ws;
    spire_model *m = tr->m;
    spire_adam *a = tr->adam;
    size_t S = tr->slices, k = tr->step + 1;
    uint64_t ks = spl_stream_seed(tr->o.seed, SPIRE_STREAM_TRAIN, k);
    int nmax = omp_in_parallel() ? 1 : omp_get_max_threads();
    if (nmax > (int)S) nmax = (int)S;
    int timed = nmax > 1 && tr->adapt;
    int nt = nmax > 1 && (!tr->adapt || spire_pick_workers(&w->pick, k)) ? nmax : 1;
    double t0 = omp_get_wtime();
    tr->workers = nt;
    int blas = spl_blas_threads(1);   /* each worker single-threaded */
    int st = GSL_SUCCESS, bad = 0;
    /* one team for the whole step: slices, then (after the loss) the update */
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        cpu_set_t saved;
        int bound = nt > 1 && bind_worker(w, &saved);
#pragma omp for schedule(dynamic, 1)
        for (size_t s = 0; s < S; s++) w->st[s] = slice_grad(tr, s, ks);
#pragma omp single
        {
            double loss = 0;
            for (size_t s = 0; s < S; s++) {
                if (st == GSL_SUCCESS) st = w->st[s];
                if (w->st[s] == GSL_SUCCESS)
                    loss += (double)(w->lo[s + 1] - w->lo[s]) / (double)tr->o.batch * w->loss[s];
            }
            tr->lr = spire_train_lr(&tr->o, k);
            tr->loss = loss;
            if (st == GSL_SUCCESS && !isfinite(loss)) st = GSL_EDOM;
            if (st != GSL_SUCCESS)   /* no update: the slices' gradients back to zero */
                for (size_t s = 0; s < S; s++) spire_model_zero_grad(w->view[s]);
            else
                a->step++;
        }
        if (st == GSL_SUCCESS) {   /* the same for every thread: read after single's barrier */
            size_t np = m->n_params, nc = (np + UPDATE_CHUNK - 1) / UPDATE_CHUNK;
#pragma omp for schedule(static) reduction(|:bad)
            for (size_t c = 0; c < nc; c++) {
                size_t lo = c * UPDATE_CHUNK, hi = lo + UPDATE_CHUNK < np ? lo + UPDATE_CHUNK : np;
                bad |= reduce_update(tr, m->params, m->grads, a->m, a->v, lo, hi, 0);
            }
        }
        if (bound) unbind_worker(&saved);
    }
    if (st == GSL_SUCCESS) {
        bad |= reduce_update(tr, m->embed, m->gembed, a->me, a->ve, 0, m->n_embed, 1);
        tr->step = k;
        if (bad) st = GSL_EOVRFLW;
    }
    spl_blas_threads(blas);
    if (timed) spire_pick_book(&w->pick, k, omp_get_wtime() - t0);
    return st;
}
