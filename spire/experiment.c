/* spire/experiment.c — the federated experiment (spire/experiment.h): presets,
 * the protocol per seed, seeds on concurrent workers, statistics over seeds,
 * the verdicts E1–E5 and the tables. */
#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort_double.h>
#include <gsl/gsl_statistics_double.h>
#include "common/spl.h"
#include "common/spl_buf.h"
#include "spire/clf.h"
#include "spire/experiment.h"

#define NM SPIRE_FED_NMETHODS

/* ---- presets ------------------------------------------------------------------ */

int spire_exp_opts_preset(spire_exp_opts *o, spire_fed_kind kind, int quick)
{
    if (!o || (unsigned)kind > SPIRE_FED_DIGITS) return GSL_EINVAL;
    int threads = o->threads > 0 ? o->threads : 1;
    const spire_fed_hook *hook = o->hook;
    void (*progress)(void *, const char *) = o->progress;
    void *pctx = o->progress_ctx;
    memset(o, 0, sizeof *o);
    o->threads = threads; o->hook = hook; o->progress = progress; o->progress_ctx = pctx;
    int q = quick != 0;
    o->kind = kind;
    spire_fed_data_opts_default(&o->data, kind);
    spire_fed_opts_default(&o->fed);
    spire_fed_adapt_opts_default(&o->adapt);
    o->T = 1000;
    o->eval = (spire_fed_eval_opts){ .n_gen = q ? 200 : 300, .ddim_steps = 25,
                                     .subsets = 10, .subset_size = 100, .clip = 0, .eta = 1,
                                     .seed = 1 };
    o->cfg = (spire_config){ .D = 2, .E = 16, .H = 64, .L = 2, .embed_at = SPIRE_EMBED_HIDDEN, .C = 10 };
    o->fed.frac = 0.5; o->fed.local_steps = 20; o->fed.batch = 128; o->fed.lr = 3e-3;
    o->adapt.lr = 3e-3; o->adapt.rank = 2;
    o->mutant_early = kind == SPIRE_FED_DIGITS ? 0.25 : 1;
    o->seeds = q ? 1 : 10;
    o->seed0 = 1;
    o->robust = 1;
    static const double lr_full[] = { 1e-4, 1e-3, 1e-2, 1e-1 }, lr_q[] = { 1e-3, 1e-2 };
    static const size_t st_full[] = { 10, 50, 200 }, st_q[] = { 10, 50 };
    o->nlr = q ? 2 : 4; o->nsteps = q ? 2 : 3;
    memcpy(o->grid_lr, q ? lr_q : lr_full, o->nlr * sizeof(double));
    memcpy(o->grid_steps, q ? st_q : st_full, o->nsteps * sizeof(size_t));
    static const size_t sz_gmm[] = { 8, 32, 128, 512 }, sz_digits[] = { 8, 32, 128 };
    if (kind == SPIRE_FED_GMM2) {
        o->data.C = 10; o->data.D = 2; o->data.sep = 4; o->data.n = 700;
        o->n_new = 3;
        o->fed.rounds = q ? 40 : 100;
        o->adapt.steps = q ? 100 : 200; o->adapt.local_steps = q ? 400 : 1000;
    } else if (kind == SPIRE_FED_GMMK) {
        o->data.C = 12; o->data.D = 2; o->data.K = 6; o->data.radius = 3; o->data.sigma = 0.4;
        o->data.alpha = 0.5; o->data.n = 700;
        o->cfg.C = 12;
        o->n_new = 3;
        o->fed.rounds = q ? 40 : 120;
        o->eval.ddim_steps = q ? 25 : 100;   /* 25 stochastic steps are not as good as 1000 on these networks */
        o->adapt.steps = q ? 100 : 200; o->adapt.local_steps = q ? 400 : 1000;
    } else {
        o->data.C = 10; o->data.alpha = 0.5;
        o->cfg = (spire_config){ .D = 64, .E = 32, .H = 128, .L = 2, .embed_at = SPIRE_EMBED_HIDDEN, .C = 10 };
        o->n_new = 2;
        o->fed.batch = 64; o->adapt.batch = 64;
        o->fed.rounds = q ? 8 : 40;
        o->fed.local_steps = q ? 10 : 20;
        o->adapt.steps = q ? 30 : 150; o->adapt.local_steps = q ? 100 : 600;
        o->eval.clip = 1;
        o->eval.n_gen = q ? 100 : 200;
        o->eval.subset_size = 50;
        o->classifier = 1;
    }
    const size_t *sz = kind == SPIRE_FED_DIGITS ? sz_digits : sz_gmm;
    o->nsizes = q ? 2 : (kind == SPIRE_FED_DIGITS ? 3 : 4);
    memcpy(o->sizes, sz, o->nsizes * sizeof(size_t));
    if (q) o->sizes[1] = kind == SPIRE_FED_DIGITS ? 64 : 128;
    o->cfg.C = o->data.C;
    o->cfg.D = kind == SPIRE_FED_DIGITS ? 64 : o->data.D;
    return GSL_SUCCESS;
}

int spire_exp_opts_check(const spire_exp_opts *o, char *err, size_t errlen)
{
    if (!o) return spl_errf(GSL_EINVAL, err, errlen, "no experiment options");
    if (o->seeds < 1) return spl_errf(GSL_EDOM, err, errlen, "need at least one seed");
    if (o->n_new < 1 || o->n_new >= o->data.C)
        return spl_errf(GSL_EDOM, err, errlen, "new clients must be in [1, %zu), got %zu", o->data.C, o->n_new);
    if (o->T < 2) return spl_errf(GSL_EDOM, err, errlen, "T must be >= 2, got %zu", o->T);
    if (o->mutant && !(o->mutant_early > 0 && o->mutant_early <= 1))
        return spl_errf(GSL_EDOM, err, errlen, "the wrong model's share of rounds must be in (0, 1], got %g", o->mutant_early);
    if (o->nsizes > SPIRE_EXP_SIZES_MAX || o->nlr > SPIRE_EXP_GRID_MAX || o->nsteps > SPIRE_EXP_GRID_MAX)
        return spl_errf(GSL_EDOM, err, errlen, "at most %d sizes and %d grid values", SPIRE_EXP_SIZES_MAX, SPIRE_EXP_GRID_MAX);
    for (size_t k = 0; k < o->nsizes; k++)
        if (o->sizes[k] == 0 || (k && o->sizes[k] <= o->sizes[k - 1]))
            return spl_errf(GSL_EDOM, err, errlen, "sample sizes must be positive and increasing");
    for (size_t k = 0; o->robust && k < o->nlr; k++)
        if (!(o->grid_lr[k] > 0)) return spl_errf(GSL_EDOM, err, errlen, "grid learning rates must be positive");
    if (o->robust && (o->nlr == 0 || o->nsteps == 0))
        return spl_errf(GSL_EDOM, err, errlen, "the robustness grid is empty");
    return GSL_SUCCESS;
}

/* ---- statistics --------------------------------------------------------------- */

int spire_exp_ci_t(const double *x, size_t n, double level, spire_exp_ci *ci)
{
    if (!x || !ci) return GSL_EINVAL;
    if (!(level > 0 && level < 1)) return GSL_EDOM;
    double sum = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) if (isfinite(x[i])) { sum += x[i]; k++; }
    ci->n = k;
    ci->mean = k ? sum / (double)k : NAN;
    ci->lo = ci->hi = NAN;
    if (k < 2) return GSL_SUCCESS;
    double ss = 0;
    for (size_t i = 0; i < n; i++) if (isfinite(x[i])) ss += (x[i] - ci->mean) * (x[i] - ci->mean);
    double half = gsl_cdf_tdist_Pinv(0.5 + 0.5 * level, (double)(k - 1)) * sqrt(ss / (double)(k - 1) / (double)k);
    ci->lo = ci->mean - half;
    ci->hi = ci->mean + half;
    return GSL_SUCCESS;
}

const char *spire_exp_verdict(double lo, double hi, double threshold)
{
    if (lo > threshold) return "REPRODUCED";
    if (hi < threshold) return "NOT REPRODUCED";
    return "UNDECIDED";
}

int spire_exp_sign_ci(size_t k, size_t n, double level, spire_exp_ci *ci)
{
    if (!ci) return GSL_EINVAL;
    if (!(level > 0 && level < 1) || k > n) return GSL_EDOM;
    double a = 0.5 * (1 - level);
    ci->n = n;
    ci->mean = n ? (double)k / (double)n : NAN;
    ci->lo = n == 0 ? NAN : k == 0 ? 0 : gsl_cdf_beta_Pinv(a, (double)k, (double)(n - k + 1));
    ci->hi = n == 0 ? NAN : k == n ? 1 : gsl_cdf_beta_Pinv(1 - a, (double)(k + 1), (double)(n - k));
    return GSL_SUCCESS;
}

/* The exact null law of the Wilcoxon signed-rank statistic W+ (the sum of
 * the ranks of the positive values among k with no zeros or ties, each sign
 * a fair coin): P(W+ = w) by the recursion over the ranks
 * p_j(w) = (p_{j−1}(w) + p_{j−1}(w − j)) / 2, kept only for w ≤ k(k+1)/4
 * (the critical value lies below the centre).  Returns the largest c with
 * P(W+ ≤ c) ≤ a, or −1 if even P(W+ = 0) = 2^−k exceeds a; −2 for no memory. */
static long signed_rank_critical(size_t k, double a)
{
    size_t top = k * (k + 1) / 4;
    double *p = calloc(top + 1, sizeof *p);
    if (!p) return -2;
    p[0] = 1;
    for (size_t j = 1; j <= k; j++)
        for (size_t w = top + 1; w-- > 0;) p[w] = 0.5 * (p[w] + (w >= j ? p[w - j] : 0));
    long c = -1;
    double acc = 0;
    for (size_t w = 0; w <= top; w++) {
        acc += p[w];
        if (acc > a) break;
        c = (long)w;
    }
    free(p);
    return c;
}

int spire_exp_signed_rank_ci(const double *x, size_t n, double level, spire_exp_ci *ci)
{
    if (!x || !ci) return GSL_EINVAL;
    if (!(level > 0 && level < 1)) return GSL_EDOM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += isfinite(x[i]) != 0;
    ci->n = k;
    ci->mean = ci->lo = ci->hi = NAN;
    if (k == 0) return GSL_SUCCESS;
    size_t N = k * (k + 1) / 2, u = 0;
    double *y = malloc(k * sizeof *y), *A = malloc(N * sizeof *A);
    if (!y || !A) { free(y); free(A); return GSL_ENOMEM; }
    for (size_t i = 0; i < n; i++) if (isfinite(x[i])) y[u++] = x[i];
    u = 0;
    for (size_t i = 0; i < k; i++)
        for (size_t j = i; j < k; j++) A[u++] = 0.5 * (y[i] + y[j]);   /* the Walsh averages */
    gsl_sort(A, 1, N);
    ci->mean = gsl_stats_median_from_sorted_data(A, 1, N);
    long c = signed_rank_critical(k, 0.5 * (1 - level));
    int st = GSL_SUCCESS;
    if (c == -2) st = GSL_ENOMEM;
    else if (c < 0) { ci->lo = -INFINITY; ci->hi = INFINITY; }
    else { ci->lo = A[c]; ci->hi = A[N - 1 - (size_t)c]; }
    free(y); free(A);
    return st;
}

/* ---- the result ------------------------------------------------------------------ */

void spire_exp_result_free(spire_exp_result *r)
{
    if (!r) return;
    free(r->kid_pre); free(r->kid_new); free(r->fkid_new); free(r->tv_new); free(r->forget);
    free(r->client_kid); free(r->client_tv); free(r->is_new); free(r->w_true);
    free(r->size_kid); free(r->size_tv); free(r->ci_size_kid); free(r->ci_size_tv);
    free(r->rob_kid); free(r->ci_rob); free(r->rob_diverged);
    free(r->probe_truth); free(r->probe_pred); free(r->probe_r); free(r->probe_r_lo);
    free(r->bridge_rel); free(r->bridge_rel05); free(r->bridge_cos); free(r->bridge_ratio);
    free(r->bridge_c); free(r->bridge_c2);
    free(r->show_client); free(r->show_gen); free(r->show_real);
    free(r->clf_acc); free(r->round_loss);
    free(r->mut_kid_pre); free(r->mut_kid_new); free(r->mut_fkid_new); free(r->mut_probe_r); free(r->mut_order);
    free(r);
}

static double *nans(size_t n)
{
    double *p = malloc((n ? n : 1) * sizeof *p);
    if (p) for (size_t i = 0; i < n; i++) p[i] = NAN;
    return p;
}

static spire_exp_result *result_alloc(const spire_exp_opts *o, size_t K, size_t D)
{
    spire_exp_result *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->opts = *o;
    r->opts.hook = NULL; r->opts.progress = NULL; r->opts.progress_ctx = NULL;
    size_t S = o->seeds, C = o->data.C, ns = o->nsizes;
    r->nm = NM; r->seeds = S; r->C = C; r->K = K; r->D = D; r->n_new = o->n_new;
    for (int m = 0; m < NM; m++) {
        r->method[m] = spire_fed_method_name((spire_fed_method)m);
        r->trainable[m] = spire_fed_trainable(&o->cfg, (spire_fed_method)m, o->adapt.rank);
        const spire_fed_method_info *in = spire_fed_method_get((spire_fed_method)m);
        r->rob_in[m] = o->robust && in->start != SPIRE_FED_FROM_SCRATCH && r->trainable[m] > 0;
    }
    r->nsizes = ns;
    memcpy(r->sizes, o->sizes, sizeof r->sizes);
    r->nlr = o->robust ? o->nlr : 0;
    r->nsteps = o->robust ? o->nsteps : 0;
    memcpy(r->grid_lr, o->grid_lr, sizeof r->grid_lr);
    memcpy(r->grid_steps, o->grid_steps, sizeof r->grid_steps);
    size_t G = NM * r->nlr * r->nsteps;
    r->probe_q = o->kind == SPIRE_FED_GMM2 ? 1 : K;
    r->rounds = o->fed.rounds;
    r->kid_pre = nans(S * NM); r->kid_new = nans(S * NM); r->fkid_new = nans(S * NM);
    r->tv_new = nans(S * NM); r->forget = nans(S * NM);
    r->client_kid = nans(S * NM * C); r->client_tv = nans(S * NM * C);
    r->is_new = calloc(S * C, sizeof *r->is_new);
    r->w_true = nans(S * C * K);
    r->size_kid = nans(S * ns * NM); r->size_tv = nans(S * ns * NM);
    r->ci_size_kid = calloc(ns * NM + 1, sizeof *r->ci_size_kid);
    r->ci_size_tv = calloc(ns * NM + 1, sizeof *r->ci_size_tv);
    r->rob_kid = nans(S * G);
    r->ci_rob = calloc(G + 1, sizeof *r->ci_rob);
    r->rob_diverged = calloc(G + 1, sizeof *r->rob_diverged);
    r->probe_truth = nans(S * C * r->probe_q); r->probe_pred = nans(S * C * r->probe_q);
    r->probe_r = nans(S); r->probe_r_lo = nans(S);
    r->bridge_rel = nans(S * 3); r->bridge_rel05 = nans(S * 3); r->bridge_cos = nans(S * 3);
    r->bridge_ratio = nans(S * 3);
    r->bridge_c = calloc(S, sizeof(int)); r->bridge_c2 = calloc(S, sizeof(int));
    r->show_client = calloc(o->n_new, sizeof(int));
    r->show_gen = calloc(NM * o->n_new * SPIRE_EXP_NSHOW * D, sizeof(float));
    r->show_real = calloc(o->n_new * SPIRE_EXP_NSHOW * D, sizeof(float));
    r->clf_acc = nans(S);
    r->round_loss = nans(r->rounds * C);
    r->mut_kid_pre = nans(S); r->mut_kid_new = nans(S); r->mut_fkid_new = nans(S); r->mut_probe_r = nans(S);
    r->mut_order = calloc(S * C + 1, sizeof *r->mut_order);
    if (!r->mut_kid_pre || !r->mut_kid_new || !r->mut_fkid_new || !r->mut_probe_r || !r->mut_order ||
        !r->kid_pre || !r->kid_new || !r->fkid_new || !r->tv_new || !r->forget || !r->client_kid ||
        !r->client_tv || !r->is_new || !r->w_true || !r->size_kid || !r->size_tv ||
        !r->ci_size_kid || !r->ci_size_tv || !r->rob_kid || !r->ci_rob || !r->rob_diverged ||
        !r->probe_truth || !r->probe_pred || !r->probe_r || !r->probe_r_lo || !r->bridge_rel ||
        !r->bridge_rel05 || !r->bridge_cos || !r->bridge_ratio || !r->bridge_c || !r->bridge_c2 ||
        !r->show_client || !r->show_gen || !r->show_real || !r->clf_acc || !r->round_loss) {
        spire_exp_result_free(r);
        return NULL;
    }
    return r;
}

/* ---- one seed ------------------------------------------------------------------- */

static void progress(const spire_exp_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(const spire_exp_opts *o, const char *fmt, ...)
{
    if (!o->progress) return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
#pragma omp critical(spire_exp_progress)
    o->progress(o->progress_ctx, line);
}

static double tv_dist(const double *a, const double *b, size_t K)
{
    double s = 0;
    for (size_t k = 0; k < K; k++) s += fabs(a[k] - b[k]);
    return 0.5 * s;
}

/* What a seed's worker holds. */
typedef struct {
    const spire_exp_opts *o;
    const ddpm_schedule *s;
    spire_fed_data *d;
    uint64_t seed;
    int *known;
    spire_model *base[2];        /* pre-trained: SPIRE's, FedAvg's */
    spire_model *early;          /* opts.mutant with a share opts.mutant_early of the rounds that ends before the
                                    last round: SPIRE after it (E1's wrong model); NULL else (then base[0]: E1's
                                    wrong model reads only the backbone and the pre-training clients' embeddings,
                                    which the new clients' adaptation leaves as they were) */
    spire_model *shared, *W;
    spire_fed_eval_opts eo;
    float *xg;                   /* (n_gen, D) */
    double *wi;                  /* (K) */
    spire_clf *clf;
} seed_ws;

/* Client c's evaluation under model M (samples into ws->xg): KID into *kid,
 * TV into *tv (gmm: implied weights; digits with a classifier: label
 * histogram), feature KID into *fkid (digits with a classifier; fkid may be
 * NULL).  blowup = 1: samples leaving |x| ≤ SPIRE_EXP_BLOWUP are a diverged
 * run (GSL_EDOM). */
static int eval_client(seed_ws *w, spire_model *M, size_t c, double *kid, double *tv, double *fkid, int blowup)
{
    const spire_fed_data *d = w->d;
    size_t D = d->D, K = d->K, ng = w->eo.n_gen;
    spire_kid_result kr;
    int st = spire_fed_kid(M, w->s, d, (int)c, &w->eo, w->xg, &kr);
    if (!st && blowup)
        for (size_t i = 0; i < ng * D; i++)
            if (!(fabs(w->xg[i]) <= SPIRE_EXP_BLOWUP)) return GSL_EDOM;
    if (st) return st;
    *kid = kr.mean;
    if (d->mu) {
        if ((st = spire_fed_implied_weights(w->xg, ng, D, d->mu, K, w->wi))) return st;
        *tv = tv_dist(w->wi, d->w + c * K, K);
    } else if (w->clf) {
        spire_kid_result fk;
        size_t size = w->eo.subset_size;
        if (size > d->n_test[c]) size = d->n_test[c];
        if (size > ng) size = ng;
        st = spire_clf_label_hist(w->clf, w->xg, ng, w->wi);
        if (!st) st = spire_clf_tv(w->wi, d->w + c * K, K, tv);
        if (!st && fkid) st = spire_clf_kid(w->clf, w->xg, ng, d->test[c], d->n_test[c], w->eo.subsets, size,
                                            spl_stream_seed(w->eo.seed, SPIRE_FED_STREAM_EVAL, 1000000 + c), &fk);
        if (st) return st;
        if (fkid) *fkid = fk.mean;
    }
    return GSL_SUCCESS;
}

/* Every new client adapted by method m from the start model (new clients in
 * turn through ws->shared when the method adapts the shared backbone), its
 * training rows xtr[c] (ntr[c]); per client KID, TV and feature KID into
 * kid[c], tv[c], fkid[c] (may be NULL).  show (may be NULL): where the first
 * NSHOW samples of the j-th new client go.  main_run = 1: SPIRE's
 * adapted embeddings are kept in ws->base[0] (for the probe); main_run = 0 (grid,
 * sizes): a run whose samples leave |x| ≤ SPIRE_EXP_BLOWUP also counts as
 * diverged.  GSL_EDOM for a diverged run (non-finite loss, or so). */
static int adapt_all(seed_ws *w, spire_fed_method m, const spire_fed_adapt_opts *ao,
                     float *const *xtr, const size_t *ntr, double *kid, double *tv, double *fkid,
                     float *show, int main_run)
{
    const spire_fed_method_info *in = spire_fed_method_get(m);
    const spire_fed_data *d = w->d;
    spire_model *start = w->base[in->start == SPIRE_FED_FROM_SPIRE ? 0 : 1];
    size_t D = d->D, ng = w->eo.n_gen, j = 0;
    int st = spire_fed_model_copy(w->shared, start);
    for (size_t c = 0; st == GSL_SUCCESS && c < d->C; c++) {
        if (w->known[c]) continue;
        st = spire_fed_model_copy(w->W, w->shared);
        if (!st) st = spire_fed_adapt(w->W, w->s, m, (int)c, xtr[c], ntr[c], w->known, ao, NULL);
        if (!st) st = eval_client(w, w->W, c, &kid[c], &tv[c], fkid ? &fkid[c] : NULL, !main_run);
        if (st) break;
        if (show)
            for (size_t i = 0; i < SPIRE_EXP_NSHOW && i < ng; i++)
                memcpy(show + (j * SPIRE_EXP_NSHOW + i) * D, w->xg + i * D, D * sizeof(float));
        if (main_run && m == SPIRE_FED_M_SPIRE)   /* the adapted embedding, for the probe */
            memcpy(w->base[0]->embed + c * w->W->ee, w->W->embed + c * w->W->ee, w->W->ee * sizeof(float));
        if (in->shared) st = spire_fed_model_copy(w->shared, w->W);
        j++;
    }
    return st;
}

static double mean_new(const double *v, const int *known, size_t C)
{
    double acc = 0;
    size_t n = 0;
    for (size_t c = 0; c < C; c++) if (!known[c]) { acc += v[c]; n++; }
    return n ? acc / (double)n : NAN;
}

/* SPIRE (embed 1) or FedAvg (embed 0) pre-training on the known clients;
 * early (may be NULL): the state after early_round(opts.mutant_early,
 * rounds) rounds (read only: the run goes on unchanged). */
static size_t early_round(double share, size_t rounds)
{
    size_t k = (size_t)ceil(share * (double)rounds);
    return k < 1 ? 1 : k;
}

static int pretrain(seed_ws *w, int embed, double *round_loss, spire_model *out, spire_model *early)
{
    const spire_exp_opts *o = w->o;
    int st;
    spire_fed_run *run = spire_fed_run_alloc(&o->cfg, spl_stream_seed(w->seed, SPIRE_FED_STREAM_INIT, 1000000), &st);
    if (!run) return st;
    spire_fed_opts fo = o->fed;
    fo.seed = w->seed; fo.embed = embed; fo.hook = o->hook;
    while (st == GSL_SUCCESS && run->srv.round < fo.rounds) {
        st = spire_fed_round(run, w->s, w->d, w->known, &fo);
        if (!st && round_loss)
            memcpy(round_loss + (run->srv.round - 1) * w->d->C, run->loss, w->d->C * sizeof(double));
        if (!st && early && run->srv.round == early_round(o->mutant_early, fo.rounds)) st = spire_fed_to_model(run, early);
    }
    if (!st) st = spire_fed_to_model(run, out);
    spire_fed_run_free(run);
    return st;
}

/* The digits classifier of this seed: trained on the pre-training clients'
 * training rows, accuracy on their held-out rows. */
static int train_clf(seed_ws *w, double *acc)
{
    const spire_fed_data *d = w->d;
    size_t n = 0, nt = 0, D = d->D;
    for (size_t c = 0; c < d->C; c++) if (w->known[c]) { n += d->n_train[c]; nt += d->n_test[c]; }
    float *x = malloc(n * D * sizeof *x), *xt = malloc(nt * D * sizeof *xt);
    int *l = malloc(n * sizeof *l), *lt = malloc(nt * sizeof *lt);
    int st = (x && xt && l && lt) ? GSL_SUCCESS : GSL_ENOMEM;
    size_t i = 0, it = 0;
    for (size_t c = 0; st == GSL_SUCCESS && c < d->C; c++) {
        if (!w->known[c]) continue;
        memcpy(x + i * D, d->train[c], d->n_train[c] * D * sizeof(float));
        memcpy(l + i, d->lab_train[c], d->n_train[c] * sizeof(int));
        memcpy(xt + it * D, d->test[c], d->n_test[c] * D * sizeof(float));
        memcpy(lt + it, d->lab_test[c], d->n_test[c] * sizeof(int));
        i += d->n_train[c]; it += d->n_test[c];
    }
    if (st == GSL_SUCCESS) {
        spire_clf_opts co;
        spire_clf_opts_default(&co);
        co.seed = spl_stream_seed(w->seed, SPIRE_STREAM_CLF, 1000000);
        w->clf = spire_clf_train(x, l, n, D, d->K, &co, &st);
    }
    double se;
    if (st == GSL_SUCCESS) st = spire_clf_accuracy(w->clf, xt, lt, nt, acc, &se);
    free(x); free(xt); free(l); free(lt);
    return st;
}

/* The E5 probe of one seed from the embeddings E (C, ee): truth and
 * leave-one-out prediction of every client's q outputs into tr, pr
 * ([c * q + j]), the pooled Pearson r into *rr and its one-sided 99%
 * Fisher-z lower bound into *rlo (NaN if undefined). */
static int probe(const seed_ws *w, const float *E, size_t q, double *tr, double *pr, double *rr, double *rlo)
{
    const spire_fed_data *d = w->d;
    size_t C = d->C, K = d->K, ee = w->base[0]->ee;
    double *X = malloc(C * ee * sizeof *X), *y = malloc(C * sizeof *y), *p = malloc(C * sizeof *p), corr;
    int st = (X && y && p) ? GSL_SUCCESS : GSL_ENOMEM;
    for (size_t i = 0; !st && i < C * ee; i++) X[i] = E[i];
    for (size_t j = 0; !st && j < q; j++) {
        for (size_t c = 0; c < C; c++) y[c] = q == 1 ? spl_logit(d->w[c * K]) : d->w[c * K + j];
        st = spire_fed_probe_loo(X, y, C, ee, 1e-3, p, &corr);
        for (size_t c = 0; !st && c < C; c++) { tr[c * q + j] = y[c]; pr[c * q + j] = p[c]; }
    }
    if (!st) {
        size_t n = C * q;
        *rr = gsl_stats_correlation(pr, 1, tr, 1, n);
        *rlo = n > 3 && fabs(*rr) < 1 ? tanh(atanh(*rr) - gsl_cdf_ugaussian_Qinv(0.01) / sqrt((double)n - 3)) : NAN;
    }
    free(X); free(y); free(p);
    return st;
}

/* The wrong models of seed si (spire/experiment.h): a random order o of the
 * C clients (stream (seed, SPIRE_EXP_STREAM_MUTANT, 0)) and its C − 1 shifts
 * σ_k(o[i]) = o[(i + k) mod C], k = 1..C−1 — each a derangement, and over k
 * every client meets every other client's embedding once.  For each k,
 * SPIRE (pre-trained, new clients adapted) with client c generated from the
 * embedding of σ_k(c): KID and feature KID of the new clients, the probe
 * from the deranged embeddings; per seed the means over k (the probe: tanh
 * of the mean atanh r).  E1: the KID of the pre-training clients, each
 * generated from the embedding of the pre-training client farthest from it
 * (true weights, TV), by ws->early (the pre-training after the share
 * opts.mutant_early of its rounds; base[0] when that is all of them).  Works
 * in ws->W and ws->shared; the base models are untouched. */
static int run_mutant(seed_ws *w, spire_exp_result *r, size_t si)
{
    const spire_fed_data *d = w->d;
    size_t C = d->C, q = r->probe_q, *ord = r->mut_order + si * C;
    spire_model *B = w->base[0], *W = w->W, *E = w->early ? w->early : B, *WE = w->shared;
    size_t ee = B->ee;
    gsl_rng *rng = spl_rng_alloc(w->seed, SPIRE_EXP_STREAM_MUTANT, 0);
    double *kc = nans(C), *tc = nans(C), *fc = nans(C), *tr = nans(C * q), *pr = nans(C * q), rk, lo, kpre;
    int st = (rng && kc && tc && fc && tr && pr) ? GSL_SUCCESS : GSL_ENOMEM;
    if (!st) {
        for (size_t c = 0; c < C; c++) ord[c] = c;
        gsl_ran_shuffle(rng, ord, C, sizeof *ord);
        st = spire_fed_model_copy(W, B);
        if (!st) st = spire_fed_model_copy(WE, E);
    }
    /* E1: every client generated from the embedding of the pre-training
     * client whose true weights (label shares) are farthest from its own in
     * total variation (ties: the smallest index), on the early backbone.
     * Pre-training clients only: a new client's embedding in the snapshot is
     * its untrained initial one, which generates something near the pooled
     * mixture, FedAvg's model (a wrong model that escaped in 2026-11-29's
     * study when the extreme clients were the new ones) */
    for (size_t c = 0; !st && c < C; c++) {
        if (!w->known[c]) continue;   /* not evaluated */
        size_t far = c;
        double best = -1;
        for (size_t c2 = 0; c2 < C; c2++) {
            double t = (c2 == c || !w->known[c2]) ? -1 : tv_dist(d->w + c * d->K, d->w + c2 * d->K, d->K);
            if (t > best) { best = t; far = c2; }
        }
        memcpy(WE->embed + c * ee, E->embed + far * ee, ee * sizeof *WE->embed);
    }
    if (!st) st = spire_fed_kid_clients(WE, w->s, d, w->known, 1, &w->eo, kc, &kpre);
    if (!st) r->mut_kid_pre[si] = kpre;
    double anew = 0, afeat = 0, az = 0;
    size_t nz = 0;
    for (size_t k = 1; !st && k < C; k++) {
        for (size_t i = 0; i < C; i++)
            memcpy(W->embed + ord[i] * ee, B->embed + ord[(i + k) % C] * ee, ee * sizeof *W->embed);
        for (size_t c = 0; !st && c < C; c++)
            if (!w->known[c]) st = eval_client(w, W, c, &kc[c], &tc[c], &fc[c], 0);
        if (st) break;
        anew += mean_new(kc, w->known, C);
        afeat += mean_new(fc, w->known, C);
        if (C >= 3 && !(st = probe(w, W->embed, q, tr, pr, &rk, &lo)) && fabs(rk) < 1) { az += atanh(rk); nz++; }
    }
    if (!st) {
        double K1 = (double)(C - 1);
        r->mut_kid_new[si] = anew / K1;
        r->mut_fkid_new[si] = afeat / K1;
        r->mut_probe_r[si] = nz ? tanh(az / (double)nz) : NAN;
    }
    gsl_rng_free(rng);
    free(kc); free(tc); free(fc); free(tr); free(pr);
    return st;
}

static int run_seed(const spire_exp_opts *o, const ddpm_schedule *sch, size_t si, spire_exp_result *r,
                    double t0, char *err, size_t errlen)
{
    seed_ws w = { .o = o, .s = sch, .seed = o->seed0 + si };
    uint64_t seed = w.seed;
    spire_fed_data_opts dop = o->data;
    dop.kind = o->kind; dop.seed = seed;
    int st;
    w.d = spire_fed_data_make(&dop, &st, err, errlen);
    if (!w.d) return st;
    spire_fed_data *d = w.d;
    size_t C = d->C, K = d->K, D = d->D, S = r->seeds, ns = r->nsizes;
    spire_fed_adapt_opts ao = o->adapt;
    ao.seed = seed;
    w.eo = o->eval; w.eo.seed = seed;
    int *is_new = r->is_new + si * C;
    w.known = malloc(C * sizeof *w.known);
    double *kpre = malloc(2 * C * sizeof *kpre), *kc = nans(C), *tc = nans(C), *fc = nans(C);
    w.xg = malloc(w.eo.n_gen * D * sizeof *w.xg);
    w.wi = malloc(K * sizeof *w.wi);
    float **xsub = calloc(C, sizeof *xsub);
    size_t *nsub = calloc(C, sizeof *nsub);
    for (int b = 0; b < 2; b++) w.base[b] = spire_model_alloc(&o->cfg, NULL);
    int need_early = o->mutant && early_round(o->mutant_early, o->fed.rounds) < o->fed.rounds;
    if (need_early) w.early = spire_model_alloc(&o->cfg, NULL);
    w.shared = spire_model_alloc(&o->cfg, NULL);
    w.W = spire_model_alloc(&o->cfg, NULL);
    st = (w.known && kpre && kc && tc && fc && w.xg && w.wi && xsub && nsub && w.base[0] && w.base[1] &&
          w.shared && w.W && (w.early || !need_early)) ? GSL_SUCCESS : GSL_ENOMEM;
    if (!st && (d->C != o->cfg.C || d->D != o->cfg.D))
        st = spl_errf(GSL_EINVAL, err, errlen, "the network's C, D (%zu, %zu) do not fit the data (%zu, %zu)",
                      o->cfg.C, o->cfg.D, d->C, d->D);
    if (!st) st = spire_fed_pick_new(C, o->n_new, seed, is_new);
    for (size_t c = 0; !st && c < C; c++) {
        w.known[c] = !is_new[c];
        for (size_t k = 0; k < K; k++) r->w_true[(si * C + c) * K + k] = d->w[c * K + k];
    }
    /* 1. pre-training, 2. the pre-training clients' KID */
    if (!st) st = pretrain(&w, 1, si == 0 ? r->round_loss : NULL, w.base[0], w.early);
    if (!st) st = pretrain(&w, 0, NULL, w.base[1], NULL);
    double pre[2] = { NAN, NAN };
    for (int b = 0; !st && b < 2; b++)
        st = spire_fed_kid_clients(w.base[b], sch, d, w.known, 1, &w.eo, kpre + b * C, &pre[b]);
    if (!st) progress(o, "seed %llu: pre-trained; pre-training clients' KID: spire %.4g, fedavg %.4g (%.0f s)",
                      (unsigned long long)seed, pre[0], pre[1], omp_get_wtime() - t0);
    if (!st && o->classifier && o->kind == SPIRE_FED_DIGITS) {
        st = train_clf(&w, &r->clf_acc[si]);
        if (!st) progress(o, "seed %llu: digits classifier held-out accuracy %.3f", (unsigned long long)seed, r->clf_acc[si]);
    }
    /* 3. every method on the new clients, 4. forgetting */
    for (int m = 0; !st && m < NM; m++) {
        const spire_fed_method_info *in = spire_fed_method_get((spire_fed_method)m);
        int b = in->start == SPIRE_FED_FROM_SPIRE ? 0 : 1;
        for (size_t c = 0; c < C; c++) kc[c] = tc[c] = fc[c] = NAN;
        float *show = si == 0 && o->kind == SPIRE_FED_DIGITS ? r->show_gen + (size_t)m * o->n_new * SPIRE_EXP_NSHOW * D : NULL;
        st = adapt_all(&w, (spire_fed_method)m, &ao, d->train, d->n_train, kc, tc, fc, show, 1);
        if (st) break;
        size_t i = si * NM + (size_t)m;
        r->kid_new[i] = mean_new(kc, w.known, C);
        r->tv_new[i] = mean_new(tc, w.known, C);
        r->fkid_new[i] = mean_new(fc, w.known, C);
        r->kid_pre[i] = in->start == SPIRE_FED_FROM_SCRATCH ? NAN : pre[b];
        for (size_t c = 0; c < C; c++) {
            r->client_kid[i * C + c] = w.known[c] ? (in->start == SPIRE_FED_FROM_SCRATCH ? NAN : kpre[b * C + c]) : kc[c];
            r->client_tv[i * C + c] = w.known[c] ? NAN : tc[c];
        }
        double fg = 0;
        if (in->shared && memcmp(w.shared->params, w.base[b]->params, w.base[b]->n_params * sizeof(float))) {
            double after;
            st = spire_fed_kid_clients(w.shared, sch, d, w.known, 1, &w.eo, kc, &after);
            fg = after - pre[b];
        }
        r->forget[i] = fg;
        if (!st) progress(o, "seed %llu: %-6s new-client KID %.4g, forgetting %.3g (%.0f s)", (unsigned long long)seed,
                          in->name, r->kid_new[i], fg, omp_get_wtime() - t0);
    }
    if (!st && si == 0 && o->kind == SPIRE_FED_DIGITS)
        for (size_t c = 0, j = 0; c < C; c++) {
            if (w.known[c]) continue;
            r->show_client[j] = (int)c;
            for (size_t i = 0; i < SPIRE_EXP_NSHOW && i < d->n_test[c]; i++)
                memcpy(r->show_real + (j * SPIRE_EXP_NSHOW + i) * D, d->test[c] + i * D, D * sizeof(float));
            j++;
        }
    /* 5. the E5 probe: embeddings → the client's statistics */
    if (!st && C >= 3)
        st = probe(&w, w.base[0]->embed, r->probe_q, r->probe_truth + si * C * r->probe_q,
                   r->probe_pred + si * C * r->probe_q, &r->probe_r[si], &r->probe_r_lo[si]);
    /* the wrong models (after everything the true model draws from the seed's streams) */
    if (!st && o->mutant) st = run_mutant(&w, r, si);
    /* the gmm2 bridge to THEORY.md §2 */
    if (!st && o->kind == SPIRE_FED_GMM2) {
        int lo = -1, hi = -1;
        for (size_t c = 0; c < C; c++) if (w.known[c]) { if (lo < 0) lo = (int)c; hi = (int)c; }
        r->bridge_c[si] = lo; r->bridge_c2[si] = hi;
        size_t steps[3] = { o->T / 10, o->T / 4, o->T / 2 };
        for (int k = 0; !st && k < 3; k++) {
            spire_fed_bridge br;
            if (steps[k] < 1) steps[k] = 1;
            st = spire_fed_bridge_gmm2(w.base[0], sch, d, lo, hi, steps[k], 4000, seed, &br);
            if (st) break;
            r->bridge_rel[si * 3 + k] = br.rel_err; r->bridge_rel05[si * 3 + k] = br.rel_err05;
            r->bridge_cos[si * 3 + k] = br.swap_cos; r->bridge_ratio[si * 3 + k] = br.swap_ratio;
        }
    }
    /* 6. robustness: lr × steps */
    for (int m = 0; !st && m < NM; m++) {
        if (!r->rob_in[m]) continue;
        for (size_t a = 0; !st && a < r->nlr; a++)
            for (size_t b = 0; !st && b < r->nsteps; b++) {
                spire_fed_adapt_opts a2 = ao;
                a2.lr = r->grid_lr[a]; a2.steps = r->grid_steps[b];
                for (size_t c = 0; c < C; c++) kc[c] = tc[c] = NAN;
                st = adapt_all(&w, (spire_fed_method)m, &a2, d->train, d->n_train, kc, tc, NULL, NULL, 0);
                double v = NAN;
                if (st == GSL_EDOM) st = GSL_SUCCESS;   /* diverged: NaN */
                else if (!st) v = mean_new(kc, w.known, C);
                r->rob_kid[((si * NM + (size_t)m) * r->nlr + a) * r->nsteps + b] = v;
            }
    }
    if (!st && r->nlr) progress(o, "seed %llu: robustness grid done (%.0f s)", (unsigned long long)seed, omp_get_wtime() - t0);
    /* 7. sample-size curve: the first n rows of a permutation of each new client's training rows */
    gsl_rng *rng = ns ? spl_rng_alloc(seed, SPIRE_EXP_STREAM_SIZES, 0) : NULL;
    if (ns && !rng && !st) st = GSL_ENOMEM;
    for (size_t c = 0; !st && ns && c < C; c++) {
        if (w.known[c]) continue;
        size_t n = d->n_train[c];
        size_t *perm = malloc(n * sizeof *perm);
        xsub[c] = malloc(n * D * sizeof(float));
        if (!perm || !xsub[c]) { free(perm); st = GSL_ENOMEM; break; }
        for (size_t i = 0; i < n; i++) perm[i] = i;
        spl_rng_seed(rng, seed, SPIRE_EXP_STREAM_SIZES, c);
        gsl_ran_shuffle(rng, perm, n, sizeof *perm);
        for (size_t i = 0; i < n; i++) memcpy(xsub[c] + i * D, d->train[c] + perm[i] * D, D * sizeof(float));
        free(perm);
    }
    if (rng) gsl_rng_free(rng);
    for (size_t k = 0; !st && k < ns; k++) {
        for (size_t c = 0; c < C; c++) nsub[c] = w.known[c] ? 0 : (r->sizes[k] < d->n_train[c] ? r->sizes[k] : d->n_train[c]);
        for (int m = 0; !st && m < NM; m++) {
            for (size_t c = 0; c < C; c++) kc[c] = tc[c] = NAN;
            st = adapt_all(&w, (spire_fed_method)m, &ao, xsub, nsub, kc, tc, NULL, NULL, 0);
            double v = NAN, t = NAN;
            if (st == GSL_EDOM) st = GSL_SUCCESS;   /* diverged: NaN */
            else if (!st) { v = mean_new(kc, w.known, C); t = mean_new(tc, w.known, C); }
            r->size_kid[(si * ns + k) * NM + (size_t)m] = v;
            r->size_tv[(si * ns + k) * NM + (size_t)m] = t;
        }
    }
    if (!st && ns) progress(o, "seed %llu: sample-size curve done (%.0f s)", (unsigned long long)seed, omp_get_wtime() - t0);
    if (st && err && !err[0]) spl_errf(st, err, errlen, "seed %llu: %s", (unsigned long long)seed, gsl_strerror(st));
    (void)S;
    for (size_t c = 0; c < C; c++) free(xsub[c]);
    free(xsub); free(nsub);
    spire_clf_free(w.clf);
    for (int b = 0; b < 2; b++) spire_model_free(w.base[b]);
    spire_model_free(w.early);
    spire_model_free(w.shared); spire_model_free(w.W);
    free(w.known); free(kpre); free(kc); free(tc); free(fc); free(w.xg); free(w.wi);
    spire_fed_data_free(d);
    return st;
}

/* ---- statistics over seeds ---------------------------------------------------------- */

/* column m of a (S, stride) table, offset off, into buf (S) */
static const double *column(const double *v, size_t S, size_t stride, size_t off, double *buf)
{
    for (size_t s = 0; s < S; s++) buf[s] = v[s * stride + off];
    return buf;
}

static void summarise(spire_exp_result *r)
{
    size_t S = r->seeds, ns = r->nsizes, G = r->nlr * r->nsteps;
    double *buf = malloc((S ? S : 1) * sizeof *buf), *dif = malloc((S ? S : 1) * sizeof *dif);
    if (!buf || !dif) { free(buf); free(dif); return; }
    for (size_t m = 0; m < NM; m++) {
        spire_exp_ci_t(column(r->kid_pre, S, NM, m, buf), S, 0.95, &r->ci_kid_pre[m]);
        spire_exp_ci_t(column(r->kid_new, S, NM, m, buf), S, 0.95, &r->ci_kid_new[m]);
        spire_exp_ci_t(column(r->fkid_new, S, NM, m, buf), S, 0.95, &r->ci_fkid_new[m]);
        spire_exp_ci_t(column(r->tv_new, S, NM, m, buf), S, 0.95, &r->ci_tv_new[m]);
        spire_exp_ci_t(column(r->forget, S, NM, m, buf), S, 0.95, &r->ci_forget[m]);
        for (size_t s = 0; s < S; s++) dif[s] = r->kid_new[s * NM + m] - r->kid_new[s * NM];
        spire_exp_ci_t(dif, S, 0.95, &r->ci_diff[m]);
        for (size_t s = 0; s < S; s++) dif[s] = r->fkid_new[s * NM + m] - r->fkid_new[s * NM];
        spire_exp_ci_t(dif, S, 0.95, &r->ci_fdiff[m]);
        for (size_t k = 0; k < ns; k++) {
            spire_exp_ci_t(column(r->size_kid, S, ns * NM, k * NM + m, buf), S, 0.95, &r->ci_size_kid[k * NM + m]);
            spire_exp_ci_t(column(r->size_tv, S, ns * NM, k * NM + m, buf), S, 0.95, &r->ci_size_tv[k * NM + m]);
        }
        for (size_t g = 0; g < G; g++) {
            size_t cnt = 0;
            column(r->rob_kid, S, NM * G, m * G + g, buf);
            for (size_t s = 0; r->rob_in[m] && s < S; s++) cnt += !isfinite(buf[s]);
            spire_exp_ci_t(buf, S, 0.95, &r->ci_rob[m * G + g]);
            r->rob_diverged[m * G + g] = cnt;
        }
    }
    for (size_t s = 0; s < S; s++) buf[s] = fabs(r->probe_r[s]) < 1 ? atanh(r->probe_r[s]) : NAN;
    spire_exp_ci_t(buf, S, 0.95, &r->ci_probe_z);
    spire_exp_ci_t(r->clf_acc, S, 0.95, &r->ci_clf_acc);
    free(buf); free(dif);
}

/* ---- the verdicts E1–E5 ------------------------------------------------------------ */

static const double DEFAULT_THR[SPIRE_EXP_NCLAIMS] = { -0.10, 0, 0, 0.5, 0.5 };

static const char *CLAIM_TEXT[SPIRE_EXP_NCLAIMS] = {
    "E1 pre-training: SPIRE's KID on the pre-training clients is no worse than FedAvg's. Measured per seed: the "
    "relative advantage d = (KID_FedAvg - KID_SPIRE)/mean KID_FedAvg; its pseudo-median (Hodges-Lehmann) with the "
    "exact 98% Wilcoxon signed-rank interval over seeds (at least 7 seeds; fewer: UNDECIDED); REPRODUCED if the "
    "interval lies above the threshold (SPIRE at most 10% worse), NOT REPRODUCED if below. Null model: seeds "
    "independent, d continuous and symmetric about a centre >= the threshold; false NOT REPRODUCED <= 1% (one side "
    "of 98%, exact), whatever the tails of d.",
    "E2 new clients: SPIRE (embedding only) reaches lower new-client KID than every baseline (feature-space KID "
    "for digits when the classifier runs). Measured: paired KID_baseline - KID_SPIRE over seeds for each baseline; "
    "REPRODUCED if every interval lies above 0, NOT REPRODUCED if some baseline's "
    "lies below 0; measured/lo/hi: the comparison that decides. Null: every difference >= 0; t-intervals at "
    "1 - 2(0.01/B) (Bonferroni over B baselines): false NOT REPRODUCED <= 1%.",
    "E3 forgetting: adapting the new clients leaves the pre-training clients' KID unchanged with SPIRE (backbone "
    "frozen: exactly 0 by construction, checked) while full fine-tuning of the shared backbone changes it. Measured: "
    "paired forgetting(full) - forgetting(SPIRE); REPRODUCED if the 98% interval lies above 0, NOT REPRODUCED if "
    "below or SPIRE's forgetting is not 0. Null: forgetting(full) >= forgetting(SPIRE); false NOT REPRODUCED <= 1%.",
    "E4 robustness: new-client KID varies less over the fine-tuning lr x steps grid for SPIRE than for each "
    "baseline in the grid. Measured per seed: spread = max - min of the grid's new-client KID (infinite if a cell "
    "diverged); per baseline the share of seeds in which its spread exceeds SPIRE's (sign test, ties dropped) with "
    "a Clopper-Pearson interval. REPRODUCED if every share lies above 1/2, NOT REPRODUCED if one lies below. Null: "
    "P(baseline spread > SPIRE's) >= 1/2 for every baseline; Bonferroni over the baselines: false NOT REPRODUCED "
    "<= 1%.",
    "E5 the embedding encodes the client's statistics: a leave-one-out ridge probe from the learned embeddings "
    "predicts logit pi (gmm2), the K weights (gmmK) or the label shares (digits) (one probe per component; pooled "
    "Pearson r). Measured: tanh of the mean of atanh r over seeds with its 98% t-interval; REPRODUCED if above the "
    "threshold r = 0.5, NOT REPRODUCED if below. Null: r >= 0.5 in every seed; false NOT REPRODUCED <= 1%.",
};

/* The wrong models (opts.mutant; spire/experiment.h): each makes its claim
 * false; the margins measured over repeated experiments are in docs/claims.md. */
static const char *MUTANT_TEXT[SPIRE_EXP_NCLAIMS] = {
    "WRONG MODEL (--mutant), not a result. E1 with each pre-training client generated from the embedding of the "
    "pre-training client whose true weights (digits: label shares) are farthest from its own in total variation (same "
    "evaluation streams): a SPIRE that generates the most different client's data, worse than FedAvg's pooled "
    "model on gmm2 and gmmK; on the digits, where the embedding hardly moves the KID, by SPIRE's backbone after "
    "a quarter of the pre-training rounds (--mutant-early). Expected: NOT REPRODUCED.",
    "WRONG MODEL (--mutant), not a result. E2 with SPIRE's new clients generated from another client's embedding "
    "(the same shifts; the new clients' embeddings SPIRE-adapted): worse than the baselines that see the "
    "client's data. Expected: NOT REPRODUCED.",
    "WRONG MODEL (--mutant), not a result. E3 with SPIRE's forgetting replaced by full fine-tuning's of the same "
    "seed (a SPIRE whose backbone drifts as a fine-tuned one does): SPIRE's forgetting is not 0, the claim is "
    "false by construction. Expected: NOT REPRODUCED in every run where full fine-tuning forgets at all.",
    "WRONG MODEL (--mutant), not a result. E4 with SPIRE's grid spread in each seed replaced by 2 x the largest "
    "finite spread of the baselines in the grid: every baseline with a finite spread varies less than SPIRE, "
    "P(baseline spread > SPIRE's) = 0 < 1/2. Expected: NOT REPRODUCED when a baseline has a finite spread in "
    "enough seeds (>= 9 of 10 at B = 3 baselines).",
    "WRONG MODEL (--mutant), not a result. E5 with the probe's inputs deranged (client c's row is another client's "
    "embedding, the same shifts; the seed's r is tanh of the mean atanh r over them): the embedding then carries "
    "another client's statistics, r near 0 < 0.5. Expected: NOT REPRODUCED.",
};

static void set_claim(spire_exp_claim *cl, int i, double meas, double lo, double hi, double thr)
{
    static const char *ids[SPIRE_EXP_NCLAIMS] = { "E1", "E2", "E3", "E4", "E5" };
    cl->id = ids[i];
    cl->claim = CLAIM_TEXT[i];
    cl->measured = meas; cl->lo = lo; cl->hi = hi; cl->threshold = thr;
    cl->verdict = spire_exp_verdict(lo, hi, thr);
}

static void append(char *s, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char *s, size_t len, const char *fmt, ...)
{
    size_t u = strlen(s);
    if (u + 1 >= len) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s + u, len - u, fmt, ap);
    va_end(ap);
}

/* Paired comparisons "v(b) − v(spire) > thr" for the baselines b with use[b]:
 * the verdict over all of them (Bonferroni: each at one-sided α/B); shown:
 * the comparison that decides it (smallest upper bound if one lies below the
 * threshold, else smallest lower bound). */
static void multi_claim(const spire_exp_result *r, spire_exp_claim *out, int i, const double *v, const int *use,
                        double thr, const double *buf_in, const char *what)
{
    (void)buf_in;
    size_t S = r->seeds, B = 0;
    for (size_t m = 1; m < NM; m++) B += use[m] != 0;
    spire_exp_claim *cl = &out[i];
    double *d = malloc((S ? S : 1) * sizeof *d);
    cl->detail[0] = 0;
    if (!d || B == 0) { set_claim(cl, i, NAN, NAN, NAN, thr); snprintf(cl->detail, sizeof cl->detail, "nothing to compare"); free(d); return; }
    double level = 1 - 2 * 0.01 / (double)B;
    int any_below = 0, all_above = 1;
    spire_exp_ci low = { NAN, NAN, NAN, 0 }, below = low;   /* smallest lo; smallest hi */
    const char *lname = "?", *bname = "?";
    append(cl->detail, sizeof cl->detail, "%s, %zu seeds, intervals at %.4g%%:", what, S, 100 * level);
    for (size_t m = 1; m < NM; m++) {
        if (!use[m]) continue;
        for (size_t s = 0; s < S; s++) d[s] = v[s * NM + m] - v[s * NM];
        spire_exp_ci ci;
        spire_exp_ci_t(d, S, level, &ci);
        append(cl->detail, sizeof cl->detail, " %s %.3g [%.3g, %.3g];", r->method[m], ci.mean, ci.lo, ci.hi);
        if (ci.hi < thr) any_below = 1;
        if (!(ci.lo > thr)) all_above = 0;
        if (isnan(low.mean) || ci.lo < low.lo || (isnan(low.lo) && ci.mean < low.mean)) { low = ci; lname = r->method[m]; }
        if (isnan(below.mean) || ci.hi < below.hi) { below = ci; bname = r->method[m]; }
    }
    /* shown: the comparison that decides the verdict */
    const spire_exp_ci *w = any_below ? &below : &low;
    set_claim(cl, i, w->mean, w->lo, w->hi, thr);
    cl->verdict = all_above ? "REPRODUCED" : any_below ? "NOT REPRODUCED" : "UNDECIDED";
    append(cl->detail, sizeof cl->detail, " shown: %s", any_below ? bname : lname);
    free(d);
}

/* The verdicts into r->claims (wrong = 0) or, from the wrong models' values,
 * into r->mclaims (wrong = 1; spire/experiment.h): the same rules on
 * SPIRE's column replaced by the wrong model's. */
static int claims_core(spire_exp_result *r, const double *thr, int wrong)
{
    size_t S = r->seeds, G = r->nlr * r->nsteps;
    spire_exp_claim *out = wrong ? r->mclaims : r->claims;
    double *d = malloc((S ? S : 1) * sizeof *d), *v = nans(S * NM);
    double *kp = nans(S * NM), *kn = nans(S * NM), *fk = nans(S * NM), *fg = nans(S * NM);
    if (!d || !v || !kp || !kn || !fk || !fg) { free(d); free(v); free(kp); free(kn); free(fk); free(fg); return GSL_ENOMEM; }
    /* the values the rules see: SPIRE's column (m = 0) is the wrong model's when wrong */
    memcpy(kp, r->kid_pre, S * NM * sizeof *kp); memcpy(kn, r->kid_new, S * NM * sizeof *kn);
    memcpy(fk, r->fkid_new, S * NM * sizeof *fk); memcpy(fg, r->forget, S * NM * sizeof *fg);
    const double *pr = wrong ? r->mut_probe_r : r->probe_r;
    for (size_t s = 0; wrong && s < S; s++) {
        kp[s * NM] = r->mut_kid_pre[s];
        kn[s * NM] = r->mut_kid_new[s];
        fk[s * NM] = r->mut_fkid_new[s];
        fg[s * NM] = r->forget[s * NM + SPIRE_FED_M_FULL];
    }
    spire_exp_ci ci, spk;
    spire_exp_ci_t(column(kp, S, NM, 0, d), S, 0.95, &spk);
    /* E1 */
    double fm = 0;
    size_t nf = 0;
    for (size_t s = 0; s < S; s++) if (isfinite(kp[s * NM + SPIRE_FED_M_ASIS])) { fm += kp[s * NM + SPIRE_FED_M_ASIS]; nf++; }
    fm = nf ? fm / (double)nf : NAN;
    for (size_t s = 0; s < S; s++) d[s] = (kp[s * NM + SPIRE_FED_M_ASIS] - kp[s * NM]) / fm;
    /* decided by the signed-rank interval (robust to a heavy-tailed seed); the mean shown beside */
    spire_exp_ci hl;
    int st = spire_exp_signed_rank_ci(d, S, 0.98, &hl);   /* only GSL_ENOMEM (NaN bounds): returned at the end */
    spire_exp_ci_t(d, S, 0.98, &ci);
    set_claim(&out[0], 0, hl.mean, hl.lo, hl.hi, thr[0]);
    snprintf(out[0].detail, sizeof out[0].detail,
             "%zu seeds: pre-training clients' KID SPIRE %.4g, FedAvg %.4g (means); relative advantage: "
             "pseudo-median %.3g [%.3g, %.3g] (98%%, Wilcoxon signed-rank%s), mean %.3g [%.3g, %.3g] (98%% t)",
             S, spk.mean, r->ci_kid_pre[SPIRE_FED_M_ASIS].mean, hl.mean, hl.lo, hl.hi,
             isinf(hl.lo) ? ": needs >= 7 seeds" : "", ci.mean, ci.lo, ci.hi);
    /* E2: feature KID for digits when present */
    int feat = 0;
    for (size_t s = 0; s < S; s++) feat |= isfinite(fk[s * NM]);
    int use[NM] = { 0 };
    for (size_t m = 1; m < NM; m++) use[m] = 1;
    multi_claim(r, out, 1, feat ? fk : kn, use, thr[1], NULL,
                feat ? "feature-space KID baseline - SPIRE" : "new-client KID baseline - SPIRE");
    if (r->nsizes) {   /* where it holds or fails: the smallest and largest sample size */
        size_t ns = r->nsizes;
        for (size_t k = 0; k < ns; k += (ns > 1 ? ns - 1 : 1)) {
            append(out[1].detail, sizeof out[1].detail, "; n=%zu: SPIRE %.3g", r->sizes[k], r->ci_size_kid[k * NM].mean);
            for (size_t m = 1; m < NM; m++) append(out[1].detail, sizeof out[1].detail, " %s %.3g", r->method[m], r->ci_size_kid[k * NM + m].mean);
            if (ns == 1) break;
        }
    }
    /* E3 */
    int spire_zero = 1;
    for (size_t s = 0; s < S; s++) {
        d[s] = fg[s * NM + SPIRE_FED_M_FULL] - fg[s * NM];
        if (fg[s * NM] != 0) spire_zero = 0;
    }
    spire_exp_ci_t(d, S, 0.98, &ci);
    set_claim(&out[2], 2, ci.mean, ci.lo, ci.hi, thr[2]);
    if (!spire_zero) out[2].verdict = "NOT REPRODUCED";
    snprintf(out[2].detail, sizeof out[2].detail,
             "%zu seeds: forgetting SPIRE %s; full %.3g [%.3g, %.3g], last %.3g (95%%); paired full - SPIRE %.3g [%.3g, %.3g] (98%%)",
             S, spire_zero ? "exactly 0 in every seed" : "NOT 0", r->ci_forget[SPIRE_FED_M_FULL].mean,
             r->ci_forget[SPIRE_FED_M_FULL].lo, r->ci_forget[SPIRE_FED_M_FULL].hi,
             r->ci_forget[SPIRE_FED_M_LAST].mean, ci.mean, ci.lo, ci.hi);
    /* E4: spread over the grid (a diverged cell: infinite spread), sign test per baseline */
    if (G && r->rob_in[0]) {
        for (size_t s = 0; s < S; s++)
            for (size_t m = 0; m < NM; m++) {
                if (!r->rob_in[m]) continue;
                double lo = INFINITY, hi = -INFINITY;
                for (size_t g = 0; g < G; g++) {
                    double x = r->rob_kid[(s * NM + m) * G + g];
                    if (!isfinite(x)) x = INFINITY;
                    if (x < lo) lo = x;
                    if (x > hi) hi = x;
                }
                v[s * NM + m] = isinf(hi) ? INFINITY : hi - lo;
            }
        for (size_t s = 0; wrong && s < S; s++) {   /* SPIRE's spread: a factor above the largest finite baseline's */
            double big = NAN;
            for (size_t m = 1; m < NM; m++)
                if (r->rob_in[m] && isfinite(v[s * NM + m]) && !(v[s * NM + m] <= big)) big = v[s * NM + m];
            v[s * NM] = isnan(big) ? INFINITY : SPIRE_EXP_MUTANT_SPREAD * big;
        }
        size_t B = 0;
        for (size_t m = 1; m < NM; m++) B += r->rob_in[m] != 0;
        double level = 1 - 2 * 0.01 / (double)B;
        spire_exp_claim *cl = &out[3];
        cl->detail[0] = 0;
        append(cl->detail, sizeof cl->detail, "seeds in which the baseline's spread exceeds SPIRE's (ties dropped), %zu seeds, "
               "Clopper-Pearson at %.4g%%:", S, 100 * level);
        int all_above = 1, any_below = 0;
        spire_exp_ci low = { NAN, NAN, NAN, 0 }, below = low;
        const char *lname = "?", *bname = "?";
        for (size_t m = 1; m < NM; m++) {
            if (!r->rob_in[m]) continue;
            size_t k = 0, n = 0, div = 0;
            for (size_t s = 0; s < S; s++) {
                double a = v[s * NM + m], b0 = v[s * NM];
                div += isinf(a);
                if (a == b0) continue;
                n++;
                k += a > b0;
            }
            spire_exp_ci ci;
            spire_exp_sign_ci(k, n, level, &ci);
            append(cl->detail, sizeof cl->detail, " %s %zu/%zu [%.3g, %.3g] (%zu with a diverged cell);",
                   r->method[m], k, n, ci.lo, ci.hi, div);
            if (ci.hi < thr[3]) any_below = 1;
            if (!(ci.lo > thr[3])) all_above = 0;
            if (isnan(low.mean) || ci.lo < low.lo || (isnan(low.lo) && ci.mean < low.mean)) { low = ci; lname = r->method[m]; }
            if (isnan(below.mean) || ci.hi < below.hi) { below = ci; bname = r->method[m]; }
        }
        size_t sdiv = 0;
        for (size_t s = 0; s < S; s++) sdiv += isinf(v[s * NM]);
        const spire_exp_ci *w = any_below ? &below : &low;
        set_claim(cl, 3, w->mean, w->lo, w->hi, thr[3]);
        cl->verdict = all_above ? "REPRODUCED" : any_below ? "NOT REPRODUCED" : "UNDECIDED";
        append(cl->detail, sizeof cl->detail, " SPIRE had a diverged cell in %zu seeds; shown: %s", sdiv,
               any_below ? bname : lname);
    } else {
        set_claim(&out[3], 3, NAN, NAN, NAN, thr[3]);
        snprintf(out[3].detail, sizeof out[3].detail, "the robustness grid was not run");
    }
    /* E5 */
    {
        spire_exp_ci z;
        for (size_t s = 0; s < S; s++) d[s] = fabs(pr[s]) < 1 ? atanh(pr[s]) : NAN;
        spire_exp_ci_t(d, S, 0.98, &z);
        set_claim(&out[4], 4, tanh(z.mean), tanh(z.lo), tanh(z.hi), thr[4]);
        snprintf(out[4].detail, sizeof out[4].detail,
                 "%zu seeds, %zu output(s) per client, C = %zu clients; r per seed from %.3g to %.3g; "
                 "mean r %.3g [%.3g, %.3g] (98%%, Fisher z over seeds)",
                 z.n, r->probe_q, r->C, gsl_stats_min(pr, 1, S), gsl_stats_max(pr, 1, S),
                 tanh(z.mean), tanh(z.lo), tanh(z.hi));
    }
    for (int i = 0; i < SPIRE_EXP_NCLAIMS; i++)
        if (!(isfinite(out[i].lo) && isfinite(out[i].hi)) && strcmp(out[i].verdict, "NOT REPRODUCED"))
            out[i].verdict = "UNDECIDED";
    static const char label[] = "WRONG MODEL: ";
    for (int i = 0; wrong && i < SPIRE_EXP_NCLAIMS; i++) {   /* the label before the detail (its end cut if need be) */
        char *t = out[i].detail;
        size_t p = sizeof label - 1, n = strlen(t);
        if (n > sizeof out[i].detail - 1 - p) n = sizeof out[i].detail - 1 - p;
        memmove(t + p, t, n);
        memcpy(t, label, p);
        t[p + n] = 0;
        out[i].claim = MUTANT_TEXT[i];
    }
    free(d); free(v); free(kp); free(kn); free(fk); free(fg);
    return st;
}

int spire_exp_claims(spire_exp_result *r, const double *thresholds)
{
    if (!r) return GSL_EINVAL;
    const double *thr = thresholds ? thresholds : DEFAULT_THR;
    int st = claims_core(r, thr, 0);
    if (!st && r->opts.mutant) st = claims_core(r, thr, 1);
    return st;
}

/* ---- the run --------------------------------------------------------------------- */

int spire_exp_run(const spire_exp_opts *o, spire_exp_result **out, char *err, size_t errlen)
{
    if (err && errlen) err[0] = 0;
    if (!o || !out) return spl_errf(GSL_EINVAL, err, errlen, "spire_exp_run: NULL argument");
    int st = spire_exp_opts_check(o, err, errlen);
    if (st) return st;
    double t0 = omp_get_wtime();
    size_t K = o->kind == SPIRE_FED_GMM2 ? 2 : o->kind == SPIRE_FED_DIGITS ? 10 : o->data.K;
    size_t D = o->kind == SPIRE_FED_DIGITS ? 64 : o->data.D;
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_LINEAR, o->T, &st);
    if (!s) return spl_errf(st, err, errlen, "the noise schedule: %s", gsl_strerror(st));
    spire_exp_result *r = result_alloc(o, K, D);
    size_t S = o->seeds;
    int *sts = calloc(S, sizeof *sts);
    char (*errs)[256] = calloc(S, sizeof *errs);
    if (!r || !sts || !errs) {
        spire_exp_result_free(r); free(sts); free(errs); ddpm_schedule_free(s);
        return spl_errf(GSL_ENOMEM, err, errlen, "out of memory");
    }
    int nw = o->hook ? 1 : o->threads > 0 ? o->threads : 1;
    if ((size_t)nw > S) nw = (int)S;
    int blas = nw > 1 ? spl_blas_threads(1) : 0;
#pragma omp parallel for num_threads(nw) schedule(dynamic, 1) if (nw > 1)
    for (size_t si = 0; si < S; si++)
        sts[si] = run_seed(o, s, si, r, t0, errs[si], sizeof errs[si]);
    if (nw > 1) spl_blas_threads(blas);
    for (size_t si = 0; si < S && !st; si++)
        if ((st = sts[si])) spl_errf(st, err, errlen, "%s", errs[si][0] ? errs[si] : gsl_strerror(st));
    if (!st) {
        summarise(r);
        st = spire_exp_claims(r, NULL);
        r->wall = omp_get_wtime() - t0;
    }
    free(sts); free(errs);
    ddpm_schedule_free(s);
    if (st) { spire_exp_result_free(r); return st; }
    *out = r;
    return GSL_SUCCESS;
}

/* ---- the tables ---------------------------------------------------------------------- */

static void ci_cols(spl_buf *b, const spire_exp_ci *c)
{
    spl_buf_printf(b, ",%.6g,%.6g,%.6g", c->mean, c->lo, c->hi);
}

static int write_one(const spl_buf *b, const char *dir, const char *name, char *err, size_t errlen)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof path) return spl_errf(GSL_EFAILED, err, errlen, "the directory name is too long");
    int st = spl_buf_write(b, path, err, errlen);
    return st == GSL_ENOMEM ? spl_errf(st, err, errlen, "out of memory building %s", name) : st;
}

/* a CSV field in quotes (doubled inner quotes) */
static void csv_quoted(spl_buf *b, const char *s)
{
    spl_buf_puts(b, "\"");
    for (const char *p = s; *p; p++) {
        if (*p == '"') spl_buf_puts(b, "\"\"");
        else spl_buf_append(b, p, 1);
    }
    spl_buf_puts(b, "\"");
}

/* the claims as CSV rows under their header */
static void claims_csv(spl_buf *b, const spire_exp_claim *cls)
{
    spl_buf_puts(b, "id,claim,measured,lo,hi,threshold,verdict,detail\n");
    for (int i = 0; i < SPIRE_EXP_NCLAIMS; i++) {
        const spire_exp_claim *cl = &cls[i];
        spl_buf_printf(b, "%s,", cl->id);
        csv_quoted(b, cl->claim);
        spl_buf_printf(b, ",%.6g,%.6g,%.6g,%.6g,%s,", cl->measured, cl->lo, cl->hi, cl->threshold, cl->verdict);
        csv_quoted(b, cl->detail);
        spl_buf_puts(b, "\n");
    }
}

/* the claims as a markdown table */
static void claim_table(spl_buf *b, const spire_exp_claim *cls)
{
    spl_buf_puts(b, "\n| claim | measured | interval | threshold | verdict |\n|---|---|---|---|---|\n");
    for (int i = 0; i < SPIRE_EXP_NCLAIMS; i++)
        spl_buf_printf(b, "| %s | %.4g | [%.4g, %.4g] | %.4g | %s |\n", cls[i].id, cls[i].measured, cls[i].lo,
                       cls[i].hi, cls[i].threshold, cls[i].verdict);
}

int spire_exp_write(const spire_exp_result *r, const char *dir, char *err, size_t errlen)
{
    if (!r || !dir) return spl_errf(GSL_EINVAL, err, errlen, "spire_exp_write: NULL argument");
    const spire_exp_opts *o = &r->opts;
    size_t S = r->seeds, C = r->C, K = r->K, D = r->D, ns = r->nsizes, G = r->nlr * r->nsteps, q = r->probe_q;
    enum { CL, TB, MD, PA, SZ, RB, PR, CM, RD, BR, DG, SE, CT, MS, NB };
    static const char *names[NB] = { "clients.csv", "table.csv", "table.md", "paired.csv", "sizes.csv",
                                     "robustness.csv", "probe.csv", "claims.csv", "rounds.csv", "bridge.csv",
                                     "digits.csv", "seeds.csv", "claims_true.csv", "mutant_seeds.csv" };
    spl_buf b[NB];
    for (int i = 0; i < NB; i++) spl_buf_init(&b[i]);
    /* clients.csv */
    spl_buf_puts(&b[CL], "seed,method,client,role,w1,kid,tv,trainable,forgetting\n");
    for (size_t s = 0; s < S; s++)
        for (size_t m = 0; m < NM; m++)
            for (size_t c = 0; c < C; c++) {
                size_t i = (s * NM + m) * C + c;
                spl_buf_printf(&b[CL], "%llu,%s,%zu,%s,%.6g,%.6g,%.6g,%zu,%.6g\n", (unsigned long long)(o->seed0 + s),
                               r->method[m], c, r->is_new[s * C + c] ? "new" : "pre", r->w_true[(s * C + c) * K],
                               r->client_kid[i], r->client_tv[i], r->trainable[m], r->forget[s * NM + m]);
            }
    /* seeds.csv */
    spl_buf_puts(&b[SE], "seed,method,kid_pre,kid_new,fkid_new,tv_new,forgetting\n");
    for (size_t s = 0; s < S; s++)
        for (size_t m = 0; m < NM; m++) {
            size_t i = s * NM + m;
            spl_buf_printf(&b[SE], "%llu,%s,%.6g,%.6g,%.6g,%.6g,%.6g\n", (unsigned long long)(o->seed0 + s), r->method[m],
                           r->kid_pre[i], r->kid_new[i], r->fkid_new[i], r->tv_new[i], r->forget[i]);
        }
    /* mutant_seeds.csv: the wrong models' per-seed values, beside SPIRE's true ones (seeds.csv) */
    spl_buf_puts(&b[MS], "seed,kid_pre,kid_new,fkid_new,probe_r\n");
    for (size_t s = 0; o->mutant && s < S; s++)
        spl_buf_printf(&b[MS], "%llu,%.6g,%.6g,%.6g,%.6g\n", (unsigned long long)(o->seed0 + s), r->mut_kid_pre[s],
                       r->mut_kid_new[s], r->mut_fkid_new[s], r->mut_probe_r[s]);
    /* table.csv, table.md, paired.csv */
    spl_buf_puts(&b[TB], "method,trainable,kid_pre_mean,kid_pre_lo,kid_pre_hi,kid_new_mean,kid_new_lo,kid_new_hi,"
                         "fkid_new_mean,fkid_new_lo,fkid_new_hi,tv_new_mean,tv_new_lo,tv_new_hi,"
                         "forgetting_mean,forgetting_lo,forgetting_hi,diff_mean,diff_lo,diff_hi,seeds\n");
    spl_buf_puts(&b[PA], "method,metric,mean,lo,hi,seeds\n");
    const char *tvname = o->kind == SPIRE_FED_DIGITS ? "classified label-histogram TV" : "implied-weight TV";
    spl_buf_printf(&b[MD], "| method | trainable / new client | KID pre-training clients | KID new clients | "
                           "new − SPIRE (paired) | feature KID new | %s (new) | forgetting (ΔKID pre) |\n"
                           "|---|---|---|---|---|---|---|---|\n", tvname);
    for (size_t m = 0; m < NM; m++) {
        spl_buf_printf(&b[TB], "%s,%zu", r->method[m], r->trainable[m]);
        ci_cols(&b[TB], &r->ci_kid_pre[m]); ci_cols(&b[TB], &r->ci_kid_new[m]); ci_cols(&b[TB], &r->ci_fkid_new[m]);
        ci_cols(&b[TB], &r->ci_tv_new[m]); ci_cols(&b[TB], &r->ci_forget[m]); ci_cols(&b[TB], &r->ci_diff[m]);
        spl_buf_printf(&b[TB], ",%zu\n", S);
        spl_buf_printf(&b[PA], "%s,kid_new%s", r->method[m], ""); ci_cols(&b[PA], &r->ci_diff[m]); spl_buf_printf(&b[PA], ",%zu\n", r->ci_diff[m].n);
        spl_buf_printf(&b[PA], "%s,fkid_new", r->method[m]); ci_cols(&b[PA], &r->ci_fdiff[m]); spl_buf_printf(&b[PA], ",%zu\n", r->ci_fdiff[m].n);
        const spire_exp_ci *c5[6] = { &r->ci_kid_pre[m], &r->ci_kid_new[m], &r->ci_diff[m], &r->ci_fkid_new[m],
                                      &r->ci_tv_new[m], &r->ci_forget[m] };
        spl_buf_printf(&b[MD], "| %s | %zu |", r->method[m], r->trainable[m]);
        for (int k = 0; k < 6; k++) {
            if (isnan(c5[k]->mean)) spl_buf_puts(&b[MD], " — |");
            else spl_buf_printf(&b[MD], " %.4g [%.4g, %.4g] |", c5[k]->mean, c5[k]->lo, c5[k]->hi);
        }
        spl_buf_puts(&b[MD], "\n");
    }
    spl_buf_printf(&b[MD], "\n%zu seed(s) (%llu..%llu); mean over seeds [95%% t-interval]; KID = unbiased MMD² with the "
                           "cubic kernel, mean over the clients of a seed; paired: every method sees the same clients, "
                           "splits and pre-trained backbone in a seed. Wall time %.1f s.\n",
                   S, (unsigned long long)o->seed0, (unsigned long long)(o->seed0 + S - 1), r->wall);
    if (isfinite(r->ci_clf_acc.mean))
        spl_buf_printf(&b[MD], "Digits classifier (pre-training clients' training rows only): held-out accuracy %.4f [%.4f, %.4f].\n",
                       r->ci_clf_acc.mean, r->ci_clf_acc.lo, r->ci_clf_acc.hi);
    if (o->mutant)
        spl_buf_puts(&b[MD], "\n**WRONG MODELS (--mutant), not results**: the verdicts of deliberately wrong models "
                             "(docs/claims.md, \"Wrong models of E1-E5\"); each should be NOT REPRODUCED.\n");
    claim_table(&b[MD], o->mutant ? r->mclaims : r->claims);
    if (o->mutant) {
        spl_buf_puts(&b[MD], "\nThe true model, same run (claims_true.csv):\n");
        claim_table(&b[MD], r->claims);
    }
    /* sizes.csv */
    spl_buf_puts(&b[SZ], "size,method,kid_mean,kid_lo,kid_hi,tv_mean,tv_lo,tv_hi,seeds\n");
    for (size_t k = 0; k < ns; k++)
        for (size_t m = 0; m < NM; m++) {
            spl_buf_printf(&b[SZ], "%zu,%s", r->sizes[k], r->method[m]);
            ci_cols(&b[SZ], &r->ci_size_kid[k * NM + m]); ci_cols(&b[SZ], &r->ci_size_tv[k * NM + m]);
            spl_buf_printf(&b[SZ], ",%zu\n", r->ci_size_kid[k * NM + m].n);
        }
    /* robustness.csv */
    spl_buf_puts(&b[RB], "method,lr,steps,kid_mean,kid_lo,kid_hi,diverged,seeds\n");
    for (size_t m = 0; m < NM; m++)
        for (size_t a = 0; r->rob_in[m] && a < r->nlr; a++)
            for (size_t c = 0; c < r->nsteps; c++) {
                size_t g = (m * r->nlr + a) * r->nsteps + c;
                spl_buf_printf(&b[RB], "%s,%g,%zu", r->method[m], r->grid_lr[a], r->grid_steps[c]);
                ci_cols(&b[RB], &r->ci_rob[g]);
                spl_buf_printf(&b[RB], ",%zu,%zu\n", r->rob_diverged[g], S);
            }
    (void)G;
    /* probe.csv */
    spl_buf_puts(&b[PR], "seed,client,role,output,truth,pred,seed_r,seed_r_lo99\n");
    for (size_t s = 0; s < S; s++)
        for (size_t c = 0; c < C; c++)
            for (size_t j = 0; j < q; j++) {
                size_t i = (s * C + c) * q + j;
                spl_buf_printf(&b[PR], "%llu,%zu,%s,%zu,%.6g,%.6g,%.6g,%.6g\n", (unsigned long long)(o->seed0 + s), c,
                               r->is_new[s * C + c] ? "new" : "pre", j, r->probe_truth[i], r->probe_pred[i],
                               r->probe_r[s], r->probe_r_lo[s]);
            }
    /* claims.csv (with mutant: the wrong models'; claims_true.csv the true model's) */
    claims_csv(&b[CM], o->mutant ? r->mclaims : r->claims);
    if (o->mutant) claims_csv(&b[CT], r->claims);
    /* rounds.csv (first seed, SPIRE) */
    spl_buf_puts(&b[RD], "round,client,loss\n");
    for (size_t t = 0; t < r->rounds; t++)
        for (size_t c = 0; c < C; c++) {
            if (r->is_new[c]) continue;
            double l = r->round_loss[t * C + c];
            if (isnan(l)) spl_buf_printf(&b[RD], "%zu,%zu,\n", t + 1, c);
            else spl_buf_printf(&b[RD], "%zu,%zu,%.6g\n", t + 1, c, l);
        }
    /* bridge.csv (gmm2) */
    spl_buf_puts(&b[BR], "seed,step,client,client_swap,pi,pi_swap,rel_err,rel_err_pi_half,swap_cos,swap_ratio\n");
    for (size_t s = 0; o->kind == SPIRE_FED_GMM2 && s < S; s++) {
        size_t steps[3] = { o->T / 10, o->T / 4, o->T / 2 };
        int c1 = r->bridge_c[s], c2 = r->bridge_c2[s];
        for (int k = 0; k < 3; k++)
            spl_buf_printf(&b[BR], "%llu,%zu,%d,%d,%.4g,%.4g,%.4g,%.4g,%.4g,%.4g\n", (unsigned long long)(o->seed0 + s),
                           steps[k] ? steps[k] : 1, c1, c2, r->w_true[(s * C + (size_t)c1) * K],
                           r->w_true[(s * C + (size_t)c2) * K], r->bridge_rel[s * 3 + k], r->bridge_rel05[s * 3 + k],
                           r->bridge_cos[s * 3 + k], r->bridge_ratio[s * 3 + k]);
    }
    /* digits.csv (first seed) */
    spl_buf_puts(&b[DG], "method,client,source,sample,pixel,value\n");
    for (size_t j = 0; o->kind == SPIRE_FED_DIGITS && j < r->n_new; j++) {
        for (size_t i = 0; i < SPIRE_EXP_NSHOW; i++)
            for (size_t p = 0; p < D; p++)
                spl_buf_printf(&b[DG], "real,%d,real,%zu,%zu,%.4g\n", r->show_client[j], i, p,
                               r->show_real[(j * SPIRE_EXP_NSHOW + i) * D + p]);
        for (size_t m = 0; m < NM; m++)
            for (size_t i = 0; i < SPIRE_EXP_NSHOW; i++)
                for (size_t p = 0; p < D; p++)
                    spl_buf_printf(&b[DG], "%s,%d,generated,%zu,%zu,%.4g\n", r->method[m], r->show_client[j], i, p,
                                   r->show_gen[((m * r->n_new + j) * SPIRE_EXP_NSHOW + i) * D + p]);
    }
    int st = GSL_SUCCESS;
    for (int i = 0; i < NB && !st; i++) {
        if (i == BR && o->kind != SPIRE_FED_GMM2) continue;
        if (i == DG && o->kind != SPIRE_FED_DIGITS) continue;
        if ((i == CT || i == MS) && !o->mutant) continue;
        st = write_one(&b[i], dir, names[i], err, errlen);
    }
    for (int i = 0; i < NB; i++) spl_buf_release(&b[i]);
    return st;
}
