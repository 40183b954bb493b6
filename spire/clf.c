/* spire/clf.c — an MLP classifier on the lab's layers, feature KID and label
 * histogram (spire/clf.h, docs/classifier.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "common/spl.h"
#include "spire/clf.h"
#include "spire/kid.h"
#include "spire/nn.h"

#define NL_MAX (SPIRE_CLF_LAYERS_MAX + 1)   /* dense layers */
#define CHUNK 256                          /* rows per inference pass */

struct spire_clf {
    size_t nl;                 /* dense layers = nhidden + 1 */
    size_t dim[NL_MAX + 1];    /* dim[0] = D, dim[l + 1] = output width of layer l */
    size_t offW[NL_MAX];       /* W_l (dim[l+1], dim[l]) at params + offW[l] */
    size_t offb[NL_MAX];       /* b_l (dim[l+1]) at params + offb[l] */
    size_t n_params;
    float *params;
    float *fmean, *fscale;     /* (nfeatures): feature = (SiLU output − fmean) · fscale */
    double loss;               /* last training batch */
};

/* Activations of B rows: pre[l] (B, dim[l+1]) for every layer, act[l] =
 * SiLU(pre[l]) for the hidden ones; the logits are pre[nl − 1]. */
typedef struct {
    size_t B;
    float *pre[NL_MAX], *act[NL_MAX];
    float *block;
} acts;

static void acts_free(acts *a) { free(a->block); a->block = NULL; }

static int acts_alloc(acts *a, const spire_clf *c, size_t B)
{
    size_t tot = 0;
    for (size_t l = 0; l < c->nl; l++) tot += B * c->dim[l + 1] * (l + 1 < c->nl ? 2 : 1);
    a->B = B;
    a->block = malloc(tot * sizeof *a->block);
    if (!a->block) return GSL_ENOMEM;
    float *p = a->block;
    for (size_t l = 0; l < c->nl; l++) {
        a->pre[l] = p; p += B * c->dim[l + 1];
        a->act[l] = NULL;
        if (l + 1 < c->nl) { a->act[l] = p; p += B * c->dim[l + 1]; }
    }
    return GSL_SUCCESS;
}

static void forward(const spire_clf *c, const float *params, const float *x, size_t B, acts *a)
{
    const float *in = x;
    for (size_t l = 0; l < c->nl; l++) {
        size_t I = c->dim[l], O = c->dim[l + 1];
        spire_dense_forward(a->pre[l], in, params + c->offW[l], params + c->offb[l], B, I, O);
        if (l + 1 < c->nl) {
            spire_silu_forward(a->act[l], a->pre[l], B * O);
            in = a->act[l];
        }
    }
}

/* grad += dL/dparams for the batch x whose forward pass is in a, given
 * dlogits; d is scratch shaped like a (its contents are overwritten). */
static void backward(const spire_clf *c, const float *params, float *grad, const float *x,
                     const acts *a, acts *d, const float *dlogits)
{
    size_t B = a->B, top = c->nl - 1;
    memcpy(d->pre[top], dlogits, B * c->dim[c->nl] * sizeof *dlogits);
    for (size_t l = c->nl; l-- > 0;) {
        size_t I = c->dim[l], O = c->dim[l + 1];
        const float *in = l ? a->act[l - 1] : x;
        float *din = NULL;
        if (l) { din = d->act[l - 1]; memset(din, 0, B * I * sizeof *din); }
        spire_dense_backward(din, grad + c->offW[l], grad + c->offb[l], d->pre[l], in,
                             params + c->offW[l], B, I, O);
        if (l) {
            memset(d->pre[l - 1], 0, B * I * sizeof *d->pre[l - 1]);
            spire_silu_backward_out(d->pre[l - 1], din, a->pre[l - 1], a->act[l - 1], B * I);
        }
    }
}

void spire_clf_opts_default(spire_clf_opts *o)
{
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->nhidden = 2;
    o->hidden[0] = 128;
    o->hidden[1] = 64;
    o->steps = 2000;
    o->batch = 64;
    o->lr = 3e-3;
    o->wd = 1e-4;
    o->shift = 0;
    o->noise = 0.3;
    o->seed = 1;
}

void spire_clf_free(spire_clf *c)
{
    if (!c) return;
    free(c->params); free(c->fmean); free(c->fscale);
    free(c);
}

static int check_opts(const spire_clf_opts *o)
{
    if (o->nhidden < 1 || o->nhidden > SPIRE_CLF_LAYERS_MAX) return GSL_EDOM;
    for (size_t l = 0; l < o->nhidden; l++)
        if (o->hidden[l] < 1 || o->hidden[l] > 65536) return GSL_EDOM;
    if (o->steps < 1 || o->batch < 1 || o->batch > 1u << 20) return GSL_EDOM;
    if (!(o->lr > 0) || !isfinite(o->lr) || !(o->wd >= 0) || !isfinite(o->wd)) return GSL_EDOM;
    if (!(o->noise >= 0) || !isfinite(o->noise)) return GSL_EDOM;
    return GSL_SUCCESS;
}

/* The network's shape and its parameters, initialised from stream
 * (seed, CLF, 0) as PyTorch's nn.Linear: U(−k, k), k = 1/√I. */
static spire_clf *clf_alloc(size_t D, size_t ncls, const spire_clf_opts *o)
{
    spire_clf *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->nl = o->nhidden + 1;
    c->dim[0] = D;
    for (size_t l = 0; l < o->nhidden; l++) c->dim[l + 1] = o->hidden[l];
    c->dim[c->nl] = ncls;
    size_t off = 0;
    for (size_t l = 0; l < c->nl; l++) {
        c->offW[l] = off; off += c->dim[l + 1] * c->dim[l];
        c->offb[l] = off; off += c->dim[l + 1];
    }
    c->n_params = off;
    c->params = malloc(off * sizeof *c->params);
    gsl_rng *r = spl_rng_alloc(o->seed, SPIRE_STREAM_CLF, 0);
    if (!c->params || !r) {
        if (r) gsl_rng_free(r);
        spire_clf_free(c);
        return NULL;
    }
    for (size_t l = 0; l < c->nl; l++) {
        double k = 1.0 / sqrt((double)c->dim[l]);
        for (size_t i = c->offW[l]; i < c->offb[l] + c->dim[l + 1]; i++)
            c->params[i] = (float)(k * (2.0 * gsl_rng_uniform(r) - 1.0));
    }
    gsl_rng_free(r);
    c->loss = NAN;
    return c;
}

/* One training row: src shifted by (dy, dx) ∈ [−shift, shift]² (side×side
 * image, uncovered pixels = the row's minimum) plus N(0, noise²) per value. */
static void augment(float *dst, const float *src, size_t D, size_t side,
                    const spire_clf_opts *o, gsl_rng *r)
{
    if (o->shift) {
        long s = (long)o->shift, S = (long)side;
        long dy = (long)gsl_rng_uniform_int(r, 2 * o->shift + 1) - s;
        long dx = (long)gsl_rng_uniform_int(r, 2 * o->shift + 1) - s;
        float lo = src[0];
        for (size_t j = 1; j < D; j++) if (src[j] < lo) lo = src[j];
        for (long i = 0; i < S; i++)
            for (long j = 0; j < S; j++) {
                long si = i - dy, sj = j - dx;
                dst[i * S + j] = (si >= 0 && si < S && sj >= 0 && sj < S) ? src[si * S + sj] : lo;
            }
    } else
        memcpy(dst, src, D * sizeof *dst);
    if (o->noise > 0)
        for (size_t j = 0; j < D; j++) dst[j] += (float)gsl_ran_gaussian_ziggurat(r, o->noise);
}

static int feature_moments(spire_clf *c, const float *x, size_t n);

spire_clf *spire_clf_train(const float *x, const int *label, size_t n, size_t D, size_t ncls,
                           const spire_clf_opts *o, int *status)
{
    if (!x || !label || !o) return spl_fail(status, GSL_EINVAL);
    if (n < 2 || D == 0 || ncls < 2 || ncls > 65536 || check_opts(o)) return spl_fail(status, GSL_EDOM);
    for (size_t i = 0; i < n; i++)
        if (label[i] < 0 || (size_t)label[i] >= ncls) return spl_fail(status, GSL_EDOM);
    for (size_t i = 0; i < n * D; i++)
        if (!isfinite(x[i])) return spl_fail(status, GSL_EDOM);

    size_t side = (size_t)llround(sqrt((double)D));
    if (o->shift && (side * side != D || o->shift >= side)) return spl_fail(status, GSL_EDOM);

    spire_clf *c = clf_alloc(D, ncls, o);
    if (!c) return spl_fail(status, GSL_ENOMEM);
    size_t B = o->batch, P = c->n_params;
    acts a = { 0 }, d = { 0 };
    float *grad = calloc(3 * P, sizeof *grad);   /* grad, m, v */
    float *xb = malloc(B * D * sizeof *xb), *prob = malloc(B * ncls * sizeof *prob);
    float *dlog = malloc(B * ncls * sizeof *dlog);
    int *yb = malloc(B * sizeof *yb);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    int st = (grad && xb && prob && dlog && yb && r) ? GSL_SUCCESS : GSL_ENOMEM;
    if (st == GSL_SUCCESS) st = acts_alloc(&a, c, B);
    if (st == GSL_SUCCESS) st = acts_alloc(&d, c, B);
    int blas = spl_blas_threads(1);   /* small products: one thread is fastest */
    for (size_t k = 1; st == GSL_SUCCESS && k <= o->steps; k++) {
        spl_rng_seed(r, o->seed, SPIRE_STREAM_CLF, k);
        for (size_t b = 0; b < B; b++) {
            size_t i = (size_t)gsl_rng_uniform_int(r, n);
            augment(xb + b * D, x + i * D, D, side, o, r);
            yb[b] = label[i];
        }
        forward(c, c->params, xb, B, &a);
        c->loss = spire_softmax_xent_forward(prob, a.pre[c->nl - 1], yb, B, ncls);
        if (!isfinite(c->loss)) { st = GSL_EDOM; break; }
        memset(dlog, 0, B * ncls * sizeof *dlog);
        spire_softmax_xent_backward(dlog, prob, yb, B, ncls);
        memset(grad, 0, P * sizeof *grad);
        backward(c, c->params, grad, xb, &a, &d, dlog);
        double lr = o->lr * 0.5 * (1.0 + cos(M_PI * (double)(k - 1) / (double)o->steps));
        spire_adamw_update(c->params, grad, grad + P, grad + 2 * P, P, lr, 0.9, 0.999, 1e-8,
                           o->wd, k);
    }
    spl_blas_threads(blas);
    acts_free(&a); acts_free(&d);
    free(grad); free(xb); free(prob); free(dlog); free(yb);
    if (r) gsl_rng_free(r);
    if (st == GSL_SUCCESS) st = feature_moments(c, x, n);
    if (st != GSL_SUCCESS) { spire_clf_free(c); return spl_fail(status, st); }
    spl_status(status, GSL_SUCCESS);
    return c;
}

size_t spire_clf_ninputs(const spire_clf *c) { return c ? c->dim[0] : 0; }
size_t spire_clf_nclasses(const spire_clf *c) { return c ? c->dim[c->nl] : 0; }
size_t spire_clf_nfeatures(const spire_clf *c) { return c ? c->dim[c->nl - 1] : 0; }
size_t spire_clf_nparams(const spire_clf *c) { return c ? c->n_params : 0; }
double spire_clf_train_loss(const spire_clf *c) { return c ? c->loss : NAN; }

/* Run the network over x (n rows) CHUNK rows at a time; for each chunk call
 * take(ctx, first row, rows, activations). */
typedef void (*take_fn)(void *ctx, const spire_clf *c, size_t i0, size_t m, const acts *a);

static int run_chunks(const spire_clf *c, const float *x, size_t n, take_fn take, void *ctx)
{
    acts a = { 0 };
    size_t B = n < CHUNK ? n : CHUNK;
    if (acts_alloc(&a, c, B) != GSL_SUCCESS) return GSL_ENOMEM;
    for (size_t i0 = 0; i0 < n; i0 += B) {
        size_t m = n - i0 < B ? n - i0 : B;
        forward(c, c->params, x + i0 * c->dim[0], m, &a);
        take(ctx, c, i0, m, &a);
    }
    acts_free(&a);
    return GSL_SUCCESS;
}

static void take_labels(void *ctx, const spire_clf *c, size_t i0, size_t m, const acts *a)
{
    int *label = ctx;
    size_t K = c->dim[c->nl];
    const float *z = a->pre[c->nl - 1];
    for (size_t i = 0; i < m; i++) {
        size_t best = 0;
        for (size_t k = 1; k < K; k++) if (z[i * K + k] > z[i * K + best]) best = k;
        label[i0 + i] = (int)best;
    }
}

static void take_features(void *ctx, const spire_clf *c, size_t i0, size_t m, const acts *a)
{
    float *feat = ctx;
    size_t F = c->dim[c->nl - 1];
    const float *h = a->act[c->nl - 2];
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < F; j++)
            feat[(i0 + i) * F + j] = (h[i * F + j] - c->fmean[j]) * c->fscale[j];
}

/* Per-feature mean and standard deviation of the raw features of the n
 * training rows (Welford, row order): fmean, fscale = 1/sd (1 if sd = 0). */
typedef struct { spl_stat *st; } moments_ctx;

static void take_moments(void *ctx, const spire_clf *c, size_t i0, size_t m, const acts *a)
{
    (void)i0;
    spl_stat *st = ((moments_ctx *)ctx)->st;
    size_t F = c->dim[c->nl - 1];
    const float *h = a->act[c->nl - 2];
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < F; j++) spl_stat_add(&st[j], (double)h[i * F + j]);
}

static int feature_moments(spire_clf *c, const float *x, size_t n)
{
    size_t F = c->dim[c->nl - 1];
    moments_ctx mc = { calloc(F, sizeof *mc.st) };
    c->fmean = malloc(F * sizeof *c->fmean);
    c->fscale = malloc(F * sizeof *c->fscale);
    int st = (mc.st && c->fmean && c->fscale) ? GSL_SUCCESS : GSL_ENOMEM;
    if (st == GSL_SUCCESS) st = run_chunks(c, x, n, take_moments, &mc);
    for (size_t j = 0; st == GSL_SUCCESS && j < F; j++) {
        double sd = sqrt(mc.st[j].m2 / mc.st[j].n);
        c->fmean[j] = (float)mc.st[j].mean;
        c->fscale[j] = sd > 0 ? (float)(1.0 / sd) : 1.0f;
    }
    free(mc.st);
    return st;
}

int spire_clf_predict(const spire_clf *c, const float *x, size_t n, int *label)
{
    if (!c || !x || !label) return GSL_EINVAL;
    if (n == 0) return GSL_EDOM;
    return run_chunks(c, x, n, take_labels, label);
}

int spire_clf_features(const spire_clf *c, const float *x, size_t n, float *feat)
{
    if (!c || !x || !feat) return GSL_EINVAL;
    if (n == 0) return GSL_EDOM;
    return run_chunks(c, x, n, take_features, feat);
}

/* The predicted labels of x as a new array (NULL: GSL_ENOMEM). */
static int *predicted(const spire_clf *c, const float *x, size_t n)
{
    int *lab = malloc(n * sizeof *lab);
    if (lab && spire_clf_predict(c, x, n, lab) != GSL_SUCCESS) { free(lab); lab = NULL; }
    return lab;
}

int spire_clf_accuracy(const spire_clf *c, const float *x, const int *label, size_t n,
                       double *acc, double *se)
{
    if (!c || !x || !label || !acc || !se) return GSL_EINVAL;
    if (n == 0) return GSL_EDOM;
    int *lab = predicted(c, x, n);
    if (!lab) return GSL_ENOMEM;
    size_t hit = 0;
    for (size_t i = 0; i < n; i++) hit += lab[i] == label[i];
    free(lab);
    *acc = (double)hit / (double)n;
    *se = sqrt(*acc * (1.0 - *acc) / (double)n);
    return GSL_SUCCESS;
}

int spire_clf_label_hist(const spire_clf *c, const float *x, size_t n, double *hist)
{
    if (!c || !x || !hist) return GSL_EINVAL;
    if (n == 0) return GSL_EDOM;
    int *lab = predicted(c, x, n);
    if (!lab) return GSL_ENOMEM;
    size_t K = c->dim[c->nl];
    for (size_t k = 0; k < K; k++) hist[k] = 0;
    for (size_t i = 0; i < n; i++) hist[lab[i]] += 1.0;
    for (size_t k = 0; k < K; k++) hist[k] /= (double)n;
    free(lab);
    return GSL_SUCCESS;
}

int spire_clf_tv(const double *p, const double *q, size_t k, double *tv)
{
    if (!p || !q || !tv) return GSL_EINVAL;
    if (k == 0) return GSL_EDOM;
    double s = 0;
    for (size_t j = 0; j < k; j++) {
        if (!isfinite(p[j]) || !isfinite(q[j])) return GSL_EDOM;
        s += fabs(p[j] - q[j]);
    }
    *tv = 0.5 * s;
    return GSL_SUCCESS;
}

/* The features of x (n rows) in double, as a new array (NULL: GSL_ENOMEM). */
static double *features_d(const spire_clf *c, const float *x, size_t n)
{
    size_t F = c->dim[c->nl - 1];
    float *f = malloc(n * F * sizeof *f);
    double *fd = malloc(n * F * sizeof *fd);
    if (f && fd && spire_clf_features(c, x, n, f) == GSL_SUCCESS) {
        for (size_t i = 0; i < n * F; i++) fd[i] = (double)f[i];
        free(f);
        return fd;
    }
    free(f); free(fd);
    return NULL;
}

int spire_clf_kid(const spire_clf *c, const float *x_gen, size_t n_gen, const float *x_real,
                  size_t n_real, size_t subsets, size_t size, uint64_t seed,
                  spire_kid_result *res)
{
    if (!c || !x_gen || !x_real || !res) return GSL_EINVAL;
    if (size < 2 || size > n_gen || size > n_real || subsets == 0) return GSL_EDOM;
    double *fg = features_d(c, x_gen, n_gen), *fr = features_d(c, x_real, n_real);
    int st = (fg && fr) ? spire_kid(fr, n_real, fg, n_gen, c->dim[c->nl - 1], subsets, size,
                                    seed, res)
                        : GSL_ENOMEM;
    free(fg); free(fr);
    return st;
}
