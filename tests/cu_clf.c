/* tests/cu_clf.c — the digits classifier (spire/clf.h) and its layer, the
 * softmax cross-entropy of spire/nn.h:
 *  - cross-entropy: closed form (equal logits: log K), gradients by central
 *    finite differences in the double twin (alone and through a dense layer),
 *    float against double;
 *  - accuracy: trained on a seeded 75% of the digits, ≥ 95% on the other 25%
 *    (the rows the classifier never saw), reported with its binomial SE;
 *    and as the experiment uses it, trained on the pre-training clients of
 *    the label-skewed federated digits, ≥ 95% on their held-out rows and on
 *    the new clients' rows;
 *  - label histogram of a label-skewed subset of held-out rows against the
 *    subset's true label shares: TV ≤ the subset's misclassified share
 *    (each error moves 1/n of mass), and ≤ (1 − accuracy) + 3 binomial SE;
 *  - feature KID: two random halves of held-out real rows give ≈ 0 within
 *    the subset spread (which bounds the SE of the averaged value from
 *    above), real against uniform noise or 3×3-blurred digits is many
 *    spreads above it; spire_clf_kid is spire_kid on spire_clf_features;
 *  - property tests: same seed → same bytes (and whatever the BLAS thread
 *    count); the features are standardised on the training rows.
 * One classifier, trained once (lazily) on the 75% split, serves the
 * accuracy, histogram and KID tests. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include "common/spl.h"
#include "spire/clf.h"
#include "spire/data.h"
#include "spire/fed.h"
#include "spire/kid.h"
#include "spire/nn.h"
#include "tests/cu_util.h"

/* ---- softmax cross-entropy ---------------------------------------------- */

static void test_xent_fd(void)
{
    enum { B = 3, K = 4, I = 5 };
    int label[B] = { 2, 0, 3 };
    double z[B * K], p[B * K], dz[B * K] = { 0 };
    for (size_t k = 0; k < B * K; k++) z[k] = 1.7 * sin(0.9 * k + 0.3);
    spire_softmax_xent_forward_d(p, z, label, B, K);
    spire_softmax_xent_backward_d(dz, p, label, B, K);
    const double h = 1e-5;
    for (size_t k = 0; k < B * K; k++) {
        double keep = z[k], f[2], q[B * K];
        for (int s = 0; s < 2; s++) {
            z[k] = keep + (s ? -h : h);
            f[s] = spire_softmax_xent_forward_d(q, z, label, B, K);
        }
        z[k] = keep;
        ASSERT_MIXED(dz[k], (f[0] - f[1]) / (2 * h), 1e-10, 1e-7);
    }
    /* each row of the softmax sums to 1; equal logits: L = log K exactly */
    for (size_t r = 0; r < B; r++) {
        double s = 0;
        for (size_t k = 0; k < K; k++) s += p[r * K + k];
        ASSERT_REL(s, 1.0, TOL1);
    }
    double zc[B * K];
    for (size_t k = 0; k < B * K; k++) zc[k] = 3.25;
    ASSERT_REL(spire_softmax_xent_forward_d(p, zc, label, B, K), log((double)K), TOL1);
    /* huge logits do not overflow (max subtracted): L = 1000 − 0 for row 0 */
    double zb[K] = { 0, 0, 1000, 0 }, pb[K];
    ASSERT_MIXED(spire_softmax_xent_forward_d(pb, zb, (int[]){ 0 }, 1, K), 1000.0, 1e-9, TOL1);

    /* through a dense layer: L(W) = xent(x Wᵀ + b), gradient in W and x */
    double x[B * I], W[K * I], b[K], dW[K * I] = { 0 }, db[K] = { 0 }, dx[B * I] = { 0 };
    for (size_t k = 0; k < B * I; k++) x[k] = cos(0.4 * k);
    for (size_t k = 0; k < K * I; k++) W[k] = 0.5 * sin(0.6 * k + 0.2);
    for (size_t k = 0; k < K; k++) b[k] = 0.1 * k;
    double g[B * K] = { 0 };
    spire_dense_forward_d(z, x, W, b, B, I, K);
    spire_softmax_xent_forward_d(p, z, label, B, K);
    spire_softmax_xent_backward_d(g, p, label, B, K);
    spire_dense_backward_d(dx, dW, db, g, x, W, B, I, K);
    double *vars[2] = { W, x }, *grads[2] = { dW, dx };
    size_t nv[2] = { K * I, B * I };
    for (int v = 0; v < 2; v++)
        for (size_t k = 0; k < nv[v]; k++) {
            double keep = vars[v][k], f[2];
            for (int s = 0; s < 2; s++) {
                vars[v][k] = keep + (s ? -h : h);
                spire_dense_forward_d(z, x, W, b, B, I, K);
                f[s] = spire_softmax_xent_forward_d(p, z, label, B, K);
            }
            vars[v][k] = keep;
            ASSERT_MIXED(grads[v][k], (f[0] - f[1]) / (2 * h), 1e-10, 1e-7);
        }
    /* accumulation: a second backward doubles dlogits */
    double g1 = g[5];
    spire_softmax_xent_backward_d(g, p, label, B, K);
    ASSERT_REL(g[5], 2 * g1, TOL1);
}

static void test_xent_float_vs_double(void)
{
    enum { B = 5, K = 10 };
    int label[B] = { 9, 0, 4, 4, 7 };
    float zf[B * K], pf[B * K], gf[B * K] = { 0 };
    double zd[B * K], pd[B * K], gd[B * K] = { 0 };
    for (size_t k = 0; k < B * K; k++) {
        zf[k] = (float)(4.0 * sin(1.3 * k));
        zd[k] = (double)zf[k];
    }
    double lf = spire_softmax_xent_forward(pf, zf, label, B, K);
    double ld = spire_softmax_xent_forward_d(pd, zd, label, B, K);
    ASSERT_REL(lf, ld, TOL2);   /* the float forward sums in double too */
    spire_softmax_xent_backward(gf, pf, label, B, K);
    spire_softmax_xent_backward_d(gd, pd, label, B, K);
    for (size_t k = 0; k < B * K; k++) ASSERT_MIXED((double)gf[k], gd[k], 1e-7, 1e-6);
}

/* ---- the digits, a seeded 75/25 split, one trained classifier ------------ */

typedef struct {
    size_t n_tr, n_te;
    float *x_tr, *x_te;
    int *l_tr, *l_te;
    spire_clf *c;
    spire_clf_opts o;
    double acc, se, seconds;
    int ready;
} split_fx;

static split_fx S;

static void split_free(void)
{
    free(S.x_tr); free(S.l_tr); spire_clf_free(S.c);
    memset(&S, 0, sizeof S);
}

/* Rows shuffled with stream (seed, 0xC1F, 0): the first 75% train, the rest
 * held out.  (The file is ordered by writer: a contiguous split would test
 * writer shift, not held-out rows of the same population.) */
static int split_open(void)
{
    if (S.ready) return S.c != NULL;
    S.ready = 1;
    float *x = NULL; int *lab = NULL; size_t n = 0; char err[256];
    if (spire_data_read_digits(SPIRE_DIGITS_PATH, &x, &lab, &n, err, sizeof err) != GSL_SUCCESS) {
        fprintf(stderr, "\n  cu_clf: %s\n", err);
        return 0;
    }
    uint64_t seed = cu_seed(11);
    size_t *perm = malloc(n * sizeof *perm);
    S.x_tr = malloc(n * 64 * sizeof *S.x_tr);
    S.l_tr = malloc(n * sizeof *S.l_tr);
    gsl_rng *r = spl_rng_alloc(seed, 0xC1F, 0);
    if (perm && S.x_tr && S.l_tr && r) {
        for (size_t i = 0; i < n; i++) perm[i] = i;
        gsl_ran_shuffle(r, perm, n, sizeof *perm);
        for (size_t i = 0; i < n; i++) {
            memcpy(S.x_tr + i * 64, x + perm[i] * 64, 64 * sizeof *x);
            S.l_tr[i] = lab[perm[i]];
        }
        S.n_tr = n * 3 / 4;
        S.n_te = n - S.n_tr;
        S.x_te = S.x_tr + S.n_tr * 64;
        S.l_te = S.l_tr + S.n_tr;
        spire_clf_opts_default(&S.o);
        S.o.seed = seed;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int st;
        S.c = spire_clf_train(S.x_tr, S.l_tr, S.n_tr, 64, 10, &S.o, &st);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        S.seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        CU_ASSERT_EQUAL(st, GSL_SUCCESS);
    }
    free(perm); free(x); free(lab);
    if (r) gsl_rng_free(r);
    if (!S.c) {
        split_free();
        S.ready = 1;
        return 0;
    }
    atexit(split_free);
    return 1;
}

static void test_accuracy(void)
{
    CU_ASSERT_FATAL(split_open());
    CU_ASSERT_EQUAL(spire_clf_accuracy(S.c, S.x_te, S.l_te, S.n_te, &S.acc, &S.se), GSL_SUCCESS);
    /* the SE is the binomial one, computed independently here */
    ASSERT_REL(S.se, sqrt(S.acc * (1 - S.acc) / (double)S.n_te), TOL1);
    printf("\n  cu_clf: held-out accuracy %.4f ± %.4f (n_train %zu, n_test %zu, %zu parameters, "
           "trained in %.2f s, final batch loss %.3g)", S.acc, S.se, S.n_tr, S.n_te,
           spire_clf_nparams(S.c), S.seconds, spire_clf_train_loss(S.c));
    CU_ASSERT(S.acc >= 0.95);
    CU_ASSERT_EQUAL(spire_clf_ninputs(S.c), 64);
    CU_ASSERT_EQUAL(spire_clf_nclasses(S.c), 10);
    CU_ASSERT_EQUAL(spire_clf_nfeatures(S.c), S.o.hidden[S.o.nhidden - 1]);
    /* the parameter count of 64 → 128 → 64 → 10 with biases */
    CU_ASSERT_EQUAL(spire_clf_nparams(S.c), 64 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10);
    /* predict agrees with accuracy's count */
    int *lab = malloc(S.n_te * sizeof *lab);
    CU_ASSERT_FATAL(lab != NULL);
    CU_ASSERT_EQUAL(spire_clf_predict(S.c, S.x_te, S.n_te, lab), GSL_SUCCESS);
    size_t hit = 0;
    for (size_t i = 0; i < S.n_te; i++) hit += lab[i] == S.l_te[i];
    ASSERT_REL((double)hit / (double)S.n_te, S.acc, TOL0);
    free(lab);
}

/* Append the rows of client c (train, and test if both) to x, lab at *m. */
static void append_client(const spire_fed_data *d, int c, int both, float *x, int *lab, size_t *m)
{
    memcpy(x + *m * 64, d->train[c], d->n_train[c] * 64 * sizeof *x);
    memcpy(lab + *m, d->lab_train[c], d->n_train[c] * sizeof *lab);
    *m += d->n_train[c];
    if (!both) return;
    memcpy(x + *m * 64, d->test[c], d->n_test[c] * 64 * sizeof *x);
    memcpy(lab + *m, d->lab_test[c], d->n_test[c] * sizeof *lab);
    *m += d->n_test[c];
}

/* As the experiment uses it: the digits shared among 10 label-skewed
 * clients (Dirichlet α = 0.5, the digits preset), 2 of them new; trained
 * on the pre-training clients' training rows only; ≥ 95% on their held-out
 * rows and on every row of the new clients. */
static void test_fed_clients(void)
{
    uint64_t seed = cu_seed(11);
    spire_fed_data_opts dop;
    spire_fed_data_opts_default(&dop, SPIRE_FED_DIGITS);
    dop.C = 10; dop.alpha = 0.5; dop.seed = seed;
    int st, is_new[10];
    spire_fed_data *d = spire_fed_data_make(&dop, &st, NULL, 0);
    CU_ASSERT_FATAL(d != NULL);
    CU_ASSERT_EQUAL(spire_fed_pick_new(10, 2, seed, is_new), GSL_SUCCESS);
    size_t tot = 0;
    for (int c = 0; c < 10; c++) tot += d->n_train[c] + d->n_test[c];
    float *x = malloc(3 * tot * 64 * sizeof *x);
    int *lab = malloc(3 * tot * sizeof *lab);
    CU_ASSERT_FATAL(x && lab);
    float *xt = x + tot * 64, *xn = xt + tot * 64;
    int *lt = lab + tot, *ln = lt + tot;
    size_t ntr = 0, nte = 0, nnew = 0;
    for (int c = 0; c < 10; c++) {
        if (is_new[c]) { append_client(d, c, 1, xn, ln, &nnew); continue; }
        append_client(d, c, 0, x, lab, &ntr);
        memcpy(xt + nte * 64, d->test[c], d->n_test[c] * 64 * sizeof *x);
        memcpy(lt + nte, d->lab_test[c], d->n_test[c] * sizeof *lab);
        nte += d->n_test[c];
    }
    spire_clf_opts o;
    spire_clf_opts_default(&o);
    o.seed = seed;
    spire_clf *c = spire_clf_train(x, lab, ntr, 64, 10, &o, &st);
    CU_ASSERT_FATAL(c != NULL);
    double a1, s1, a2, s2;
    CU_ASSERT_EQUAL(spire_clf_accuracy(c, xt, lt, nte, &a1, &s1), GSL_SUCCESS);
    CU_ASSERT_EQUAL(spire_clf_accuracy(c, xn, ln, nnew, &a2, &s2), GSL_SUCCESS);
    printf("\n  cu_clf: federated digits (C 10, alpha 0.5, 2 new): trained on %zu pre-training rows; "
           "accuracy %.4f ± %.4f on their %zu held-out rows, %.4f ± %.4f on the new clients' %zu rows",
           ntr, a1, s1, nte, a2, s2, nnew);
    CU_ASSERT(a1 >= 0.95);
    CU_ASSERT(a2 >= 0.95);
    spire_clf_free(c);
    spire_fed_data_free(d);
    free(x); free(lab);
}

/* Held-out rows of a label-skewed subset: of digit k keep the first
 * ⌈n_k (k + 1)/10⌉ (shares from 1/55 to 10/55, roughly). */
static void test_label_hist(void)
{
    CU_ASSERT_FATAL(split_open());
    double acc, se;
    CU_ASSERT_EQUAL(spire_clf_accuracy(S.c, S.x_te, S.l_te, S.n_te, &acc, &se), GSL_SUCCESS);
    size_t nk[10] = { 0 }, kept[10] = { 0 }, m = 0;
    for (size_t i = 0; i < S.n_te; i++) nk[S.l_te[i]]++;
    float *xs = malloc(S.n_te * 64 * sizeof *xs);
    int *ls = malloc(S.n_te * sizeof *ls), *pred = malloc(S.n_te * sizeof *pred);
    CU_ASSERT_FATAL(xs && ls && pred);
    for (size_t i = 0; i < S.n_te; i++) {
        int k = S.l_te[i];
        if (kept[k] * 10 < nk[k] * (size_t)(k + 1)) {
            kept[k]++;
            memcpy(xs + m * 64, S.x_te + i * 64, 64 * sizeof *xs);
            ls[m++] = k;
        }
    }
    double truth[10], hist[10], tv;
    for (int k = 0; k < 10; k++) truth[k] = (double)kept[k] / (double)m;
    CU_ASSERT_EQUAL(spire_clf_label_hist(S.c, xs, m, hist), GSL_SUCCESS);
    double sum = 0;
    for (int k = 0; k < 10; k++) sum += hist[k];
    ASSERT_REL(sum, 1.0, TOL2);
    CU_ASSERT_EQUAL(spire_clf_tv(hist, truth, 10, &tv), GSL_SUCCESS);
    /* TV ≤ the subset's misclassified share: an exact inequality */
    CU_ASSERT_EQUAL(spire_clf_predict(S.c, xs, m, pred), GSL_SUCCESS);
    size_t wrong = 0;
    for (size_t i = 0; i < m; i++) wrong += pred[i] != ls[i];
    CU_ASSERT(tv <= (double)wrong / (double)m + 1e-12);
    /* and against the held-out error rate, with 3 binomial SE for the subset */
    double bound = (1 - acc) + 3 * sqrt(acc * (1 - acc) / (double)m);
    printf("\n  cu_clf: skewed subset (n %zu, shares %.3f..%.3f): label TV %.4f "
           "(misclassified %.4f, bound %.4f)", m, truth[0], truth[9], tv,
           (double)wrong / (double)m, bound);
    CU_ASSERT(tv <= bound);
    /* the skew is real: the uniform shares are far from the truth */
    double unif[10], tvu;
    for (int k = 0; k < 10; k++) unif[k] = 0.1;
    spire_clf_tv(unif, truth, 10, &tvu);
    CU_ASSERT(tvu > 5 * bound);
    /* TV closed form: disjoint point masses have TV 1 */
    spire_clf_tv((double[]){ 1, 0 }, (double[]){ 0, 1 }, 2, &tv);
    ASSERT_REL(tv, 1.0, TOL0);
    free(xs); free(ls); free(pred);
}

/* 3×3 box blur of 8×8 images (the mean over the pixels inside). */
static void blur8(float *dst, const float *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (int a = 0; a < 8; a++)
            for (int b = 0; b < 8; b++) {
                double s = 0; int k = 0;
                for (int da = -1; da <= 1; da++)
                    for (int db = -1; db <= 1; db++) {
                        int u = a + da, v = b + db;
                        if (u >= 0 && u < 8 && v >= 0 && v < 8) { s += src[i * 64 + u * 8 + v]; k++; }
                    }
                dst[i * 64 + a * 8 + b] = (float)(s / k);
            }
}

static void test_feature_kid(void)
{
    CU_ASSERT_FATAL(split_open());
    size_t h = S.n_te / 2, h2 = S.n_te - h, sub = 100, size = 100;
    float *noise = malloc(h * 64 * sizeof *noise), *blur = malloc(h * 64 * sizeof *blur);
    gsl_rng *r = spl_rng_alloc(cu_seed(11), 0xC1F, 1);
    CU_ASSERT_FATAL(noise && blur && r);
    for (size_t i = 0; i < h * 64; i++) noise[i] = (float)(2 * gsl_rng_uniform(r) - 1);
    blur8(blur, S.x_te + h * 64, h);
    spire_kid_result rr, rn, rb;
    CU_ASSERT_EQUAL(spire_clf_kid(S.c, S.x_te, h, S.x_te + h * 64, h2, sub, size, 1, &rr), GSL_SUCCESS);
    CU_ASSERT_EQUAL(spire_clf_kid(S.c, noise, h, S.x_te, h, sub, size, 1, &rn), GSL_SUCCESS);
    CU_ASSERT_EQUAL(spire_clf_kid(S.c, blur, h, S.x_te, h, sub, size, 1, &rb), GSL_SUCCESS);
    printf("\n  cu_clf: feature KID (%zu subsets of %zu): real/real %.4f ± %.4f, real/noise %.3f ± %.3f, "
           "real/blurred %.3f ± %.3f", sub, size, rr.mean, rr.std, rn.mean, rn.std, rb.mean, rb.std);
    /* E[MMD²_u] = 0 for one population; the subset spread bounds the SE */
    ASSERT_WITHIN_SE(rr.mean, 0.0, rr.std, 3.0);
    CU_ASSERT(rn.mean > rr.mean + 10 * (rr.std + rn.std));
    CU_ASSERT(rb.mean > rr.mean + 5 * (rr.std + rb.std));
    /* property: spire_clf_kid is spire_kid on the features (real first) */
    size_t F = spire_clf_nfeatures(S.c);
    float *fg = malloc(h * F * sizeof *fg), *fr = malloc(h2 * F * sizeof *fr);
    double *dg = malloc(h * F * sizeof *dg), *dr = malloc(h2 * F * sizeof *dr);
    CU_ASSERT_FATAL(fg && fr && dg && dr);
    spire_clf_features(S.c, S.x_te, h, fg);
    spire_clf_features(S.c, S.x_te + h * 64, h2, fr);
    for (size_t i = 0; i < h * F; i++) dg[i] = fg[i];
    for (size_t i = 0; i < h2 * F; i++) dr[i] = fr[i];
    spire_kid_result k2;
    CU_ASSERT_EQUAL(spire_kid(dr, h2, dg, h, F, sub, size, 1, &k2), GSL_SUCCESS);
    CU_ASSERT_EQUAL(memcmp(&k2.mean, &rr.mean, sizeof k2.mean), 0);
    CU_ASSERT_EQUAL(memcmp(&k2.std, &rr.std, sizeof k2.std), 0);
    free(noise); free(blur); free(fg); free(fr); free(dg); free(dr);
    gsl_rng_free(r);
}

/* Property: the features are standardised on the training rows. */
static void test_features_standardised(void)
{
    CU_ASSERT_FATAL(split_open());
    size_t F = spire_clf_nfeatures(S.c);
    float *f = malloc(S.n_tr * F * sizeof *f);
    CU_ASSERT_FATAL(f != NULL);
    CU_ASSERT_EQUAL(spire_clf_features(S.c, S.x_tr, S.n_tr, f), GSL_SUCCESS);
    for (size_t j = 0; j < F; j++) {
        spl_stat st = { 0 };
        for (size_t i = 0; i < S.n_tr; i++) spl_stat_add(&st, f[i * F + j]);
        double sd = sqrt(st.m2 / st.n);
        ASSERT_MIXED(st.mean, 0.0, 1e-4, 0);
        if (sd > 0) ASSERT_MIXED(sd, 1.0, 1e-4, 0);
    }
    free(f);
}

/* Property: the same seed gives the same bytes, whatever the BLAS thread
 * count; another seed gives another network. */
static void test_deterministic(void)
{
    CU_ASSERT_FATAL(split_open());
    spire_clf_opts o = S.o;
    o.steps = 200;
    size_t n = 600, F = spire_clf_nfeatures(S.c), m = 100;
    int prev = spl_blas_threads(1);
    spire_clf *a = spire_clf_train(S.x_tr, S.l_tr, n, 64, 10, &o, NULL);
    spl_blas_threads(2);
    spire_clf *b = spire_clf_train(S.x_tr, S.l_tr, n, 64, 10, &o, NULL);
    o.seed++;
    spire_clf *c = spire_clf_train(S.x_tr, S.l_tr, n, 64, 10, &o, NULL);
    spl_blas_threads(prev);
    CU_ASSERT_FATAL(a && b && c);
    float *fa = malloc(3 * m * F * sizeof *fa), *fb = fa + m * F, *fc = fb + m * F;
    CU_ASSERT_FATAL(fa != NULL);
    spire_clf_features(a, S.x_te, m, fa);
    spire_clf_features(b, S.x_te, m, fb);
    spire_clf_features(c, S.x_te, m, fc);
    CU_ASSERT_EQUAL(memcmp(fa, fb, m * F * sizeof *fa), 0);
    /* inference too: features of 300 rows (two chunks) under 1 and 2 BLAS threads */
    size_t m3 = 300;
    float *g1 = malloc(2 * m3 * F * sizeof *g1), *g2 = g1 ? g1 + m3 * F : NULL;
    CU_ASSERT_FATAL(g1 != NULL);
    prev = spl_blas_threads(1);
    spire_clf_features(a, S.x_te, m3, g1);
    spl_blas_threads(2);
    spire_clf_features(a, S.x_te, m3, g2);
    spl_blas_threads(prev);
    CU_ASSERT_EQUAL(memcmp(g1, g2, m3 * F * sizeof *g1), 0);
    free(g1);
    CU_ASSERT_NOT_EQUAL(memcmp(fa, fc, m * F * sizeof *fa), 0);
    double la = spire_clf_train_loss(a), lb = spire_clf_train_loss(b);
    CU_ASSERT_EQUAL(memcmp(&la, &lb, sizeof la), 0);
    free(fa);
    spire_clf_free(a); spire_clf_free(b); spire_clf_free(c);
}

/* Bad arguments beyond cu_errors' one row per function: each option. */
static void test_bad_opts(void)
{
    float x[4 * 4] = { 0 };
    int lab[4] = { 0, 1, 0, 1 }, st = 0;
    spire_clf_opts o;
    spire_clf_opts_default(&o);
    spire_clf_opts bad[7];
    for (int i = 0; i < 7; i++) bad[i] = o;
    bad[0].nhidden = 0;
    bad[1].nhidden = SPIRE_CLF_LAYERS_MAX + 1;
    bad[2].steps = 0;
    bad[3].lr = NAN;
    bad[4].wd = -1;
    bad[5].shift = 2;   /* D = 4: 2×2 images, shift ≤ 1 */
    bad[6].noise = -0.1;
    for (int i = 0; i < 7; i++) {
        CU_ASSERT_PTR_NULL(spire_clf_train(x, lab, 4, 4, 2, &bad[i], &st));
        CU_ASSERT_EQUAL(st, GSL_EDOM);
    }
    lab[3] = 2;
    CU_ASSERT_PTR_NULL(spire_clf_train(x, lab, 4, 4, 2, &o, &st));
    CU_ASSERT_EQUAL(st, GSL_EDOM);
    lab[3] = 1;
    x[5] = INFINITY;
    CU_ASSERT_PTR_NULL(spire_clf_train(x, lab, 4, 4, 2, &o, &st));
    CU_ASSERT_EQUAL(st, GSL_EDOM);
    x[5] = 0;
    o.steps = 3;
    o.shift = 1;
    spire_clf *c = spire_clf_train(x, lab, 4, 4, 2, &o, &st);
    CU_ASSERT_PTR_NOT_NULL(c);
    CU_ASSERT_EQUAL(st, GSL_SUCCESS);
    spire_clf_free(c);
}

CU_TestInfo cu_clf_tests[] = {
    { "xent_fd", test_xent_fd },
    { "xent_float_vs_double", test_xent_float_vs_double },
    { "accuracy", test_accuracy },
    { "fed_clients", test_fed_clients },
    { "label_hist", test_label_hist },
    { "feature_kid", test_feature_kid },
    { "features_standardised", test_features_standardised },
    { "deterministic", test_deterministic },
    { "bad_opts", test_bad_opts },
    CU_TEST_INFO_NULL
};
