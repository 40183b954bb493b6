/* tests/cu_fed.c — SPIRE, federated (spire/fed.h), each against something
 * independent:
 *  - FedAvg with one client = that client's local training, bit for bit
 *    (re-run with spire_train_step of spire/train.h and batches drawn here
 *    from the documented streams);
 *  - the server's new backbone = the data-size-weighted mean of the
 *    clients' backbones, elementwise (each client's backbone from a round in
 *    which it trains alone);
 *  - embeddings stay on the client: a client that is not selected keeps its
 *    embedding and does not influence the server;
 *  - resume from a checkpoint is bit-identical to an uninterrupted run, and a
 *    checkpoint of another configuration is refused; a damaged one is refused
 *    with the reason of its damage (truncated, checksum, version, size, NaN);
 *  - SPIRE freezes the backbone (bytes unchanged), starts at the mean of the
 *    known embeddings; last-layer fine-tuning changes only wo, bo; the LoRA
 *    update W_eff − W has rank ≤ r (GSL SVD); trainable counts = closed forms;
 *  - the mixing weights implied by samples of the EXACT score (THEORY.md §2)
 *    recover π within Monte Carlo error, the nearest-component
 *    misclassification Φ(−Δ/2) accounted for in closed form;
 *  - the leave-one-out probe: exact linear embeddings pass, random fail;
 *  - clients: the gmm2 weights formula, Dirichlet rows sum to 1, the digits
 *    label-skew partition (s labels per client) and the new-client pick. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include "common/spl.h"
#include "common/spl_file.h"
#include "spire/fed.h"
#include "spire/train.h"
#include "tests/cu_util.h"

static spire_config small_cfg(size_t C)
{
    spire_config c = { .D = 2, .E = 8, .H = 16, .L = 2, .embed_at = SPIRE_EMBED_TIME, .C = C };
    return c;
}

static spire_fed_data *small_data(size_t C, size_t n)
{
    spire_fed_data_opts o;
    spire_fed_data_opts_default(&o, SPIRE_FED_GMM2);
    o.C = C;
    o.n = n;
    o.seed = cu_seed(3);
    spire_fed_data *d = NULL;
    char err[256];
    d = spire_fed_data_make(&o, NULL, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    return d;
}

static void test_one_client_is_local(void)
{
    size_t C = 3, R = 3;
    spire_fed_data *d = small_data(C, 200);
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_LINEAR, 100, NULL);
    spire_config cfg = small_cfg(C);
    spire_fed_opts fo;
    spire_fed_opts_default(&fo);
    fo.local_steps = 4; fo.batch = 16; fo.frac = 1.0; fo.seed = cu_seed(5);
    spire_fed_run *r = spire_fed_run_alloc(&cfg, 7, NULL);
    int elig[3] = { 1, 0, 0 };
    for (size_t k = 0; k < R; k++) CU_ASSERT_EQUAL(spire_fed_round(r, s, d, elig, &fo), GSL_SUCCESS);

    /* independent: client 0 trained alone with spire_train_step, Adam reset per round */
    spire_model *m = spire_model_alloc(&cfg, NULL);
    spire_model_init(m, 7);
    spire_train_opts to;
    spire_train_opts_default(&to);
    size_t B = fo.batch, D = cfg.D;
    float *xt = malloc(B * D * sizeof *xt), *eps = malloc(B * D * sizeof *eps), *t = malloc(B * sizeof *t);
    gsl_rng *g = spl_rng_alloc(0, 0, 0);
    for (size_t round = 1; round <= R; round++) {
        spire_adam *adam = spire_adam_alloc(m->n_params, m->n_embed);
        uint64_t rs = spl_stream_seed(fo.seed, SPIRE_FED_STREAM_LOCAL, round);
        for (size_t k = 1; k <= fo.local_steps; k++) {
            spl_rng_seed(g, rs, 0, k);
            for (size_t row = 0; row < B; row++) {
                size_t idx = gsl_rng_uniform_int(g, d->n_train[0]);
                size_t i = 1 + gsl_rng_uniform_int(g, s->T);
                t[row] = (float)i;
                for (size_t j = 0; j < D; j++) {
                    double z = gsl_ran_gaussian_ziggurat(g, 1.0);
                    eps[row * D + j] = (float)z;
                    xt[row * D + j] = (float)(s->a[i - 1] * d->train[0][idx * D + j] + s->b[i - 1] * z);
                }
            }
            to.lr = fo.lr;
            CU_ASSERT_EQUAL(spire_train_step(m, adam, xt, t, eps, B, fo.lr, &to, NULL), GSL_SUCCESS);
        }
        spire_adam_free(adam);
    }
    CU_ASSERT_EQUAL(memcmp(m->params, r->srv.backbone, m->n_params * sizeof(float)), 0);
    CU_ASSERT_EQUAL(memcmp(m->embed, r->embed, r->ee * sizeof(float)), 0);
    CU_ASSERT_EQUAL(r->srv.round, R);
    free(xt); free(eps); free(t); gsl_rng_free(g);
    spire_model_free(m);
    spire_fed_run_free(r);
    ddpm_schedule_free(s);
    spire_fed_data_free(d);
}

static void test_weighted_average(void)
{
    /* unequal client sizes: n = 100, 300, 60 */
    spire_fed_data_opts o;
    spire_fed_data_opts_default(&o, SPIRE_FED_GMM2);
    o.C = 3; o.n = 400; o.seed = 11;
    spire_fed_data *d;
    char err[256];
    d = spire_fed_data_make(&o, NULL, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    d->n_train[0] = 100; d->n_train[2] = 60;
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_LINEAR, 100, NULL);
    spire_config cfg = small_cfg(3);
    spire_fed_opts fo;
    spire_fed_opts_default(&fo);
    fo.local_steps = 3; fo.batch = 8; fo.frac = 1.0;
    size_t P = spire_config_n_params(&cfg);
    float *alone = malloc(3 * P * sizeof *alone);
    for (int c = 0; c < 3; c++) {
        spire_fed_run *r = spire_fed_run_alloc(&cfg, 2, NULL);
        int el[3] = { 0, 0, 0 };
        el[c] = 1;
        CU_ASSERT_EQUAL(spire_fed_round(r, s, d, el, &fo), GSL_SUCCESS);
        memcpy(alone + (size_t)c * P, r->srv.backbone, P * sizeof(float));
        spire_fed_run_free(r);
    }
    spire_fed_run *r = spire_fed_run_alloc(&cfg, 2, NULL);
    int all[3] = { 1, 1, 1 };
    CU_ASSERT_EQUAL(spire_fed_round(r, s, d, all, &fo), GSL_SUCCESS);
    size_t bad = 0;
    for (size_t i = 0; i < P; i++) {
        double e = (100.0 * alone[i] + 300.0 * alone[P + i] + 60.0 * alone[2 * P + i]) / 460.0;
        if (fabs(r->srv.backbone[i] - e) > 1e-6 * (1 + fabs(e))) bad++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    /* and the plain (unweighted) mean is NOT what the server holds */
    size_t differ = 0;
    for (size_t i = 0; i < P; i++) {
        double e = (alone[i] + alone[P + i] + alone[2 * P + i]) / 3.0;
        if (fabs(r->srv.backbone[i] - e) > 1e-6 * (1 + fabs(e))) differ++;
    }
    CU_ASSERT(differ > P / 2);
    double w[2] = { 1, 3 };
    float in[4] = { 1, 2, 5, 6 }, out[2];
    CU_ASSERT_EQUAL(spire_fed_average(out, in, w, 2, 2), GSL_SUCCESS);
    ASSERT_REL(out[0], 4.0, 1e-7);
    ASSERT_REL(out[1], 5.0, 1e-7);
    double w0[2] = { 0, 0 };
    CU_ASSERT_EQUAL(spire_fed_average(out, in, w0, 2, 2), GSL_EDOM);
    free(alone);
    spire_fed_run_free(r);
    ddpm_schedule_free(s);
    spire_fed_data_free(d);
}

static void test_embeddings_private(void)
{
    spire_fed_data *d = small_data(3, 200);
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_LINEAR, 100, NULL);
    spire_config cfg = small_cfg(3);
    spire_fed_opts fo;
    spire_fed_opts_default(&fo);
    fo.local_steps = 3; fo.batch = 8; fo.frac = 1.0;
    spire_fed_run *a = spire_fed_run_alloc(&cfg, 2, NULL), *b = spire_fed_run_alloc(&cfg, 2, NULL);
    for (size_t j = 0; j < a->ee; j++) b->embed[a->ee + j] = 5.0f;   /* client 1's own, differs */
    int el[3] = { 1, 0, 1 };
    CU_ASSERT_EQUAL(spire_fed_round(a, s, d, el, &fo), GSL_SUCCESS);
    CU_ASSERT_EQUAL(spire_fed_round(b, s, d, el, &fo), GSL_SUCCESS);
    CU_ASSERT_EQUAL(memcmp(a->srv.backbone, b->srv.backbone, a->srv.n_params * sizeof(float)), 0);
    CU_ASSERT_EQUAL(b->embed[a->ee], 5.0f);
    /* the selected clients' embeddings moved (they train them), client 1's did not */
    double moved = 0;
    for (size_t j = 0; j < a->ee; j++) moved += fabs(a->embed[j]);
    CU_ASSERT(moved > 0);
    /* plain FedAvg: embeddings stay zero */
    spire_fed_run *z = spire_fed_run_alloc(&cfg, 2, NULL);
    fo.embed = 0;
    CU_ASSERT_EQUAL(spire_fed_round(z, s, d, el, &fo), GSL_SUCCESS);
    for (size_t j = 0; j < 3 * z->ee; j++) CU_ASSERT_EQUAL(z->embed[j], 0.0f);
    spire_fed_run_free(a); spire_fed_run_free(b); spire_fed_run_free(z);
    ddpm_schedule_free(s);
    spire_fed_data_free(d);
}

static void test_resume_bit_identical(void)
{
    spire_fed_data *d = small_data(4, 200);
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_LINEAR, 100, NULL);
    spire_config cfg = small_cfg(4);
    spire_fed_opts fo;
    spire_fed_opts_default(&fo);
    fo.local_steps = 3; fo.batch = 8; fo.frac = 0.5;
    int el[4] = { 1, 1, 1, 0 };
    spire_fed_run *a = spire_fed_run_alloc(&cfg, 2, NULL);
    for (int k = 0; k < 4; k++) spire_fed_round(a, s, d, el, &fo);
    spire_fed_run *b = spire_fed_run_alloc(&cfg, 2, NULL);
    for (int k = 0; k < 2; k++) spire_fed_round(b, s, d, el, &fo);
    char path[] = "/tmp/cu_fed_XXXXXX", err[256];
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(spire_fed_save(path, b, "cfg-A", err, sizeof err), GSL_SUCCESS);
    spire_fed_run *c = spire_fed_run_alloc(&cfg, 99, NULL);   /* other init: load must overwrite */
    CU_ASSERT_EQUAL(spire_fed_load(path, c, "cfg-B", err, sizeof err), GSL_EINVAL);
    CU_ASSERT(strstr(err, "different configuration") != NULL);
    CU_ASSERT_EQUAL(spire_fed_load(path, c, "cfg-A", err, sizeof err), GSL_SUCCESS);
    CU_ASSERT_EQUAL(c->srv.round, 2);
    for (int k = 0; k < 2; k++) spire_fed_round(c, s, d, el, &fo);
    CU_ASSERT_EQUAL(memcmp(a->srv.backbone, c->srv.backbone, a->srv.n_params * sizeof(float)), 0);
    CU_ASSERT_EQUAL(memcmp(a->embed, c->embed, 4 * a->ee * sizeof(float)), 0);
    /* a damaged file is refused */
    FILE *f = fopen(path, "r+b");
    fseek(f, 40, SEEK_SET);
    fputc(0x55, f);
    fclose(f);
    CU_ASSERT_EQUAL(spire_fed_load(path, c, "cfg-A", err, sizeof err), GSL_EINVAL);
    /* another network size */
    spire_config cfg2 = cfg;
    cfg2.H = 8;
    spire_fed_run *e = spire_fed_run_alloc(&cfg2, 2, NULL);
    spire_fed_save(path, b, "cfg-A", err, sizeof err);
    CU_ASSERT_EQUAL(spire_fed_load(path, e, "cfg-A", err, sizeof err), GSL_EINVAL);
    remove(path);
    spire_fed_run_free(a); spire_fed_run_free(b); spire_fed_run_free(c); spire_fed_run_free(e);
    ddpm_schedule_free(s);
    spire_fed_data_free(d);
}

static void test_adapt_freeze_and_counts(void)
{
    spire_fed_data *d = small_data(4, 200);
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_LINEAR, 100, NULL);
    spire_config cfg = small_cfg(4);
    cfg.L = 3;
    spire_model *m0 = spire_model_alloc(&cfg, NULL), *m = spire_model_alloc(&cfg, NULL);
    spire_model_init(m0, 4);
    size_t ee = m0->ee, P = m0->n_params, H = cfg.H;
    for (size_t k = 0; k < 4 * ee; k++) m0->embed[k] = (float)(0.1 * (double)(k % 7) - 0.2);
    int known[4] = { 1, 1, 0, 1 };
    spire_fed_adapt_opts ao;
    spire_fed_adapt_opts_default(&ao);
    ao.batch = 16; ao.steps = 0;
    /* zero steps: e_2 is exactly the mean of e_0, e_1, e_3 */
    spire_fed_model_copy(m, m0);
    CU_ASSERT_EQUAL(spire_fed_adapt(m, s, SPIRE_FED_M_SPIRE, 2, d->train[2], d->n_train[2], known, &ao, NULL), GSL_SUCCESS);
    for (size_t j = 0; j < ee; j++)
        ASSERT_REL(m->embed[2 * ee + j], (m0->embed[j] + m0->embed[ee + j] + m0->embed[3 * ee + j]) / 3.0, 1e-6);
    /* SPIRE with steps: backbone bytes and other embeddings unchanged, e_2 moved */
    ao.steps = 20;
    spire_fed_model_copy(m, m0);
    double loss;
    CU_ASSERT_EQUAL(spire_fed_adapt(m, s, SPIRE_FED_M_SPIRE, 2, d->train[2], d->n_train[2], known, &ao, &loss), GSL_SUCCESS);
    CU_ASSERT(isfinite(loss));
    CU_ASSERT_EQUAL(memcmp(m->params, m0->params, P * sizeof(float)), 0);
    CU_ASSERT_EQUAL(memcmp(m->embed, m0->embed, 2 * ee * sizeof(float)), 0);
    CU_ASSERT_EQUAL(memcmp(m->embed + 3 * ee, m0->embed + 3 * ee, ee * sizeof(float)), 0);
    CU_ASSERT_NOT_EQUAL(memcmp(m->embed + 2 * ee, m0->embed + 2 * ee, ee * sizeof(float)), 0);
    /* last layer: only wo, bo (the last D·H + D numbers) change */
    spire_fed_model_copy(m, m0);
    spire_fed_adapt(m, s, SPIRE_FED_M_LAST, 2, d->train[2], d->n_train[2], known, &ao, NULL);
    size_t nl = spire_fed_trainable(&cfg, SPIRE_FED_M_LAST, 0);
    CU_ASSERT_EQUAL(memcmp(m->params, m0->params, (P - nl) * sizeof(float)), 0);
    size_t changed = 0;
    for (size_t i = P - nl; i < P; i++) changed += m->params[i] != m0->params[i];
    CU_ASSERT(changed > nl / 2);
    CU_ASSERT_EQUAL(memcmp(m->embed, m0->embed, 4 * ee * sizeof(float)), 0);
    /* LoRA rank 2: each hidden W_eff − W has rank ≤ 2 and the rest is untouched */
    ao.rank = 2;
    spire_fed_model_copy(m, m0);
    spire_fed_adapt(m, s, SPIRE_FED_M_LORA, 2, d->train[2], d->n_train[2], known, &ao, NULL);
    for (size_t l = 0; l < cfg.L - 1; l++) {
        gsl_matrix *A = gsl_matrix_alloc(H, H), *V = gsl_matrix_alloc(H, H);
        gsl_vector *S = gsl_vector_alloc(H), *wk = gsl_vector_alloc(H);
        for (size_t i = 0; i < H * H; i++)
            A->data[i] = (double)m->p.wh[l * H * H + i] - (double)m0->p.wh[l * H * H + i];
        gsl_linalg_SV_decomp(A, V, S, wk);
        CU_ASSERT(gsl_vector_get(S, 1) > 1e-4);                      /* it did change (rank ≥ 2) */
        CU_ASSERT(gsl_vector_get(S, 2) < 1e-5 * gsl_vector_get(S, 0) + 1e-6);   /* float rounding */
        gsl_matrix_free(A); gsl_matrix_free(V); gsl_vector_free(S); gsl_vector_free(wk);
    }
    size_t off_wh = (size_t)(m0->p.wh - m0->params), n_wh = (cfg.L - 1) * H * H;
    CU_ASSERT_EQUAL(memcmp(m->params, m0->params, off_wh * sizeof(float)), 0);
    CU_ASSERT_EQUAL(memcmp(m->params + off_wh + n_wh, m0->params + off_wh + n_wh,
                           (P - off_wh - n_wh) * sizeof(float)), 0);
    /* as is: nothing changes */
    spire_fed_model_copy(m, m0);
    spire_fed_adapt(m, s, SPIRE_FED_M_ASIS, 2, d->train[2], d->n_train[2], known, &ao, NULL);
    CU_ASSERT_EQUAL(memcmp(m->params, m0->params, P * sizeof(float)), 0);
    /* closed forms: D=2, E=8, H=16, L=3 */
    size_t np = 16 * (2 + 8) + 16 + 2 * (16 * 16 + 16) + 2 * 16 + 2;
    CU_ASSERT_EQUAL(P, np);
    CU_ASSERT_EQUAL(spire_fed_trainable(&cfg, SPIRE_FED_M_SPIRE, 0), 8);
    CU_ASSERT_EQUAL(spire_fed_trainable(&cfg, SPIRE_FED_M_ASIS, 0), 0);
    CU_ASSERT_EQUAL(spire_fed_trainable(&cfg, SPIRE_FED_M_FULL, 0), np);
    CU_ASSERT_EQUAL(spire_fed_trainable(&cfg, SPIRE_FED_M_LAST, 0), 2 * 16 + 2);
    CU_ASSERT_EQUAL(spire_fed_trainable(&cfg, SPIRE_FED_M_LORA, 3), 2 * 3 * (2 * 16));
    cfg.embed_at = SPIRE_EMBED_HIDDEN;
    CU_ASSERT_EQUAL(spire_fed_trainable(&cfg, SPIRE_FED_M_SPIRE, 0), 16);
    CU_ASSERT_EQUAL(spire_fed_adapt(m, s, SPIRE_FED_M_LORA, 2, d->train[2], 10, known,
                                    &(spire_fed_adapt_opts){ 1, 1e-2, 8, 0, 1, 1 }, NULL), GSL_EDOM);
    spire_model_free(m0); spire_model_free(m);
    ddpm_schedule_free(s);
    spire_fed_data_free(d);
}

static void test_implied_weights_exact_score(void)
{
    /* gmm2 with Δ = 4, σ = 1, π = 0.3 sampled by DDIM with the exact ε̂* */
    size_t D = 2, n = 4000;
    double mu[4] = { 2, 0, -2, 0 }, w[2] = { 0.3, 0.7 };
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_LINEAR, 1000, NULL);
    spire_fed_exact e = { 2, D, mu, w, 1.0, s };
    float *x = malloc(n * D * sizeof *x);
    CU_ASSERT_EQUAL(spire_sample_fn(spire_fed_exact_eps, &e, D, s, SPIRE_SAMPLER_DDIM, 200, 0, 0, n,
                                    cu_seed(17), x), GSL_SUCCESS);
    double wh[2];
    CU_ASSERT_EQUAL(spire_fed_implied_weights(x, n, D, mu, 2, wh), GSL_SUCCESS);
    double q = gsl_cdf_ugaussian_P(-2.0);             /* nearest-mean error of one component */
    double expect = 0.3 * (1 - q) + 0.7 * q;
    ASSERT_WITHIN_SE(wh[0], expect, sqrt(expect * (1 - expect) / (double)n), 4);
    ASSERT_REL(wh[0] + wh[1], 1.0, 1e-12);
    /* a wrong π is far outside that error */
    CU_ASSERT(fabs(wh[0] - 0.5) > 10 * sqrt(0.25 / (double)n));
    /* the exact ε̂ of a single Gaussian: b x / (a²σ² + b²) at μ = 0 */
    double w1[1] = { 1 }, z[2] = { 0, 0 };
    spire_fed_exact g = { 1, D, z, w1, 1.0, s };
    float xx[2] = { 1.5f, -0.5f }, out[2];
    spire_fed_exact_eps(&g, xx, 500, 1, out);
    ASSERT_REL(out[0], s->b[499] * 1.5, 1e-6);
    free(x);
    ddpm_schedule_free(s);
}

static void test_probe(void)
{
    size_t n = 12, p = 8;
    double *X = malloc(n * p * sizeof *X), y[12], pred[12], corr;
    gsl_rng *r = spl_rng_alloc(cu_seed(5), 1, 0);
    double v[8], b0[8];
    for (size_t j = 0; j < p; j++) { v[j] = gsl_ran_gaussian(r, 1); b0[j] = gsl_ran_gaussian(r, 1); }
    for (size_t i = 0; i < n; i++) {
        double pi = 0.05 + 0.9 * ((double)i + 0.5) / (double)n;
        y[i] = spl_logit(pi);
        for (size_t j = 0; j < p; j++) X[i * p + j] = b0[j] + v[j] * y[i];
    }
    CU_ASSERT_EQUAL(spire_fed_probe_loo(X, y, n, p, 1e-3, pred, &corr), GSL_SUCCESS);
    CU_ASSERT(corr > 0.999);
    for (size_t i = 0; i < n * p; i++) X[i] = gsl_ran_gaussian(r, 1);
    CU_ASSERT_EQUAL(spire_fed_probe_loo(X, y, n, p, 1e-3, pred, &corr), GSL_SUCCESS);
    CU_ASSERT(corr < 0.95);
    CU_ASSERT_EQUAL(spire_fed_probe_loo(X, y, 2, p, 1e-3, pred, &corr), GSL_EDOM);
    gsl_rng_free(r);
    free(X);
}

static void test_clients(void)
{
    spire_fed_data *d = small_data(5, 100);
    for (size_t c = 0; c < 5; c++) {
        ASSERT_REL(d->w[c * 2], 0.05 + 0.9 * ((double)c + 0.5) / 5.0, 1e-15);
        CU_ASSERT_EQUAL(d->n_train[c] + d->n_test[c], 100);
        CU_ASSERT_EQUAL(d->n_test[c], 25);
    }
    spire_fed_data_free(d);
    spire_fed_data_opts o;
    spire_fed_data_opts_default(&o, SPIRE_FED_GMMK);
    o.C = 6; o.K = 5;
    char err[256];
    d = spire_fed_data_make(&o, NULL, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    for (size_t c = 0; c < 6; c++) {
        double t = 0;
        for (size_t k = 0; k < 5; k++) t += d->w[c * 5 + k];
        ASSERT_REL(t, 1.0, 1e-12);
    }
    spire_fed_data_free(d);
    spire_fed_data_opts_default(&o, SPIRE_FED_DIGITS);
    o.C = 5; o.s = 2;
    d = spire_fed_data_make(&o, NULL, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    size_t tot = 0;
    for (size_t c = 0; c < 5; c++) {
        tot += d->n_train[c] + d->n_test[c];
        for (size_t i = 0; i < d->n_train[c]; i++) {
            int l = d->lab_train[c][i];
            CU_ASSERT(l == (int)(2 * c) || l == (int)(2 * c + 1));
        }
    }
    CU_ASSERT_EQUAL(tot, 1797);   /* the shipped set: every row to exactly one client */
    spire_fed_data_free(d);
    o.C = 1;
    int st = -1;
    CU_ASSERT_PTR_NULL(spire_fed_data_make(&o, &st, err, sizeof err));
    CU_ASSERT_EQUAL(st, GSL_EDOM);
    CU_ASSERT(strstr(err, "at least 2 clients") != NULL);
    int is_new[7], cnt = 0;
    CU_ASSERT_EQUAL(spire_fed_pick_new(7, 3, 1, is_new), GSL_SUCCESS);
    for (int c = 0; c < 7; c++) cnt += is_new[c];
    CU_ASSERT_EQUAL(cnt, 3);
    CU_ASSERT_EQUAL(spire_fed_pick_new(7, 7, 1, is_new), GSL_EDOM);
}

/* The federated state file refuses each damage with its own reason; the
 * checksum is checked before any size in the file is believed.  Each defect
 * is crafted here byte by byte (the checksum recomputed with zlib where only
 * one defect is wanted).  Layout (spire/fed.h): magic 8, version 4, config
 * length 4, config, round/n_params/n_embed u64 ×3, f32 backbone, f32
 * embeddings, CRC-32. */
static void fed_fix_crc(unsigned char *b, size_t n)
{
    uint32_t c = (uint32_t)crc32(crc32(0L, Z_NULL, 0), b, (uInt)(n - 4));
    memcpy(b + n - 4, &c, 4);
}

static void fed_spit(const char *path, const unsigned char *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fwrite(b, 1, n, f), n);
    fclose(f);
}

/* Load must fail with GSL_EINVAL, say `word` and not say `unlike` (may be
 * NULL), and leave the run as it was. */
static void fed_expect(const char *path, spire_fed_run *r, const char *word, const char *unlike)
{
    char err[512] = "";
    size_t round = r->srv.round;
    float b0 = r->srv.backbone[0];
    CU_ASSERT_EQUAL(spire_fed_load(path, r, "cfg-A", err, sizeof err), GSL_EINVAL);
    CU_ASSERT(r->srv.round == round && r->srv.backbone[0] == b0);
    if (!strstr(err, word) || (unlike && strstr(err, unlike))) {
        fprintf(stderr, "\n  message '%s' does not say '%s'%s%s\n", err, word,
                unlike ? " or says " : "", unlike ? unlike : "");
        CU_FAIL("reason");
    }
}

static void test_state_refusals(void)
{
    spire_config cfg = small_cfg(3);
    spire_fed_run *a = spire_fed_run_alloc(&cfg, 2, NULL), *r = spire_fed_run_alloc(&cfg, 5, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    a->srv.round = 7;
    char dir[] = "/tmp/cu_fed_state_XXXXXX", path[128], bad[128], err[512];
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/good.state", dir);
    snprintf(bad, sizeof bad, "%s/bad.state", dir);
    CU_ASSERT_EQUAL_FATAL(spire_fed_save(path, a, "cfg-A", err, sizeof err), GSL_SUCCESS);
    char *g;
    size_t n;
    CU_ASSERT_EQUAL_FATAL(spl_file_read(path, &g, &n, err, sizeof err), GSL_SUCCESS);
    size_t P = a->srv.n_params, NE = 3 * a->ee, off_hdr = 16 + 5, off_par = off_hdr + 24;
    CU_ASSERT_EQUAL_FATAL(n, off_par + 4 * (P + NE) + 4);
    unsigned char *b = malloc(n + 16);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);

    /* truncation, at several places */
    size_t cuts[] = { 0, 5, 30, off_par + 10, n / 2, n - 1 };
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
        fed_spit(bad, (unsigned char *)g, cuts[k]);
        fed_expect(bad, r, "truncated", NULL);
    }
    /* one flipped bit: in the parameters, the embeddings, the checksum */
    size_t spots[] = { off_par + 9, n - 12, n - 3 };
    for (size_t k = 0; k < 3; k++) {
        memcpy(b, g, n); b[spots[k]] ^= 0x08; fed_spit(bad, b, n);
        fed_expect(bad, r, "is corrupt (checksum mismatch)", "truncated");
    }
    /* a flipped bit in a size field: refused on the checksum, sizes not believed */
    memcpy(b, g, n); b[off_hdr + 8 + 1] ^= 0x01; fed_spit(bad, b, n);
    fed_expect(bad, r, "checksum mismatch", "different configuration");
    /* wrong version (checksum fixed: only the version is wrong) */
    memcpy(b, g, n); b[8] = 2; fed_fix_crc(b, n); fed_spit(bad, b, n);
    fed_expect(bad, r, "has version 2, this build reads 1", "checksum");
    /* wrong size: trailing data under a consistent checksum */
    memcpy(b, g, n - 4); memset(b + n - 4, 0, 16); fed_fix_crc(b, n + 12); fed_spit(bad, b, n + 12);
    fed_expect(bad, r, "has the wrong size", "checksum");
    /* wrong size: the header's n_embed does not match the network (checksum fixed) */
    memcpy(b, g, n);
    uint64_t ne2 = NE + 1;
    memcpy(b + off_hdr + 16, &ne2, 8); fed_fix_crc(b, n); fed_spit(bad, b, n);
    fed_expect(bad, r, "network sizes differ", "checksum");
    /* NaN in the backbone (checksum fixed) */
    memcpy(b, g, n);
    float nanf = NAN;
    memcpy(b + off_par + 4 * 3, &nanf, 4); fed_fix_crc(b, n); fed_spit(bad, b, n);
    fed_expect(bad, r, "non-finite", "checksum");
    /* bad magic */
    memcpy(b, g, n); b[0] = 'X'; fed_spit(bad, b, n);
    fed_expect(bad, r, "bad magic", NULL);
    /* the good file loads */
    CU_ASSERT_EQUAL(spire_fed_load(path, r, "cfg-A", err, sizeof err), GSL_SUCCESS);
    CU_ASSERT_EQUAL(r->srv.round, 7);
    CU_ASSERT_EQUAL(memcmp(r->srv.backbone, a->srv.backbone, P * sizeof(float)), 0);
    /* a directory that does not exist: nothing written, the reason given */
    CU_ASSERT_EQUAL(spire_fed_save("/nonexistent/dir/x.state", a, "cfg-A", err, sizeof err), GSL_EFAILED);
    CU_ASSERT(strstr(err, "cannot create a temporary file") != NULL);
    free(g); free(b);
    remove(path); remove(bad); rmdir(dir);
    spire_fed_run_free(a); spire_fed_run_free(r);
}

CU_TestInfo cu_fed_tests[] = {
    { "one_client_is_local", test_one_client_is_local },
    { "weighted_average", test_weighted_average },
    { "embeddings_private", test_embeddings_private },
    { "resume_bit_identical", test_resume_bit_identical },
    { "state_refusals", test_state_refusals },
    { "adapt_freeze_and_counts", test_adapt_freeze_and_counts },
    { "implied_weights_exact_score", test_implied_weights_exact_score },
    { "probe", test_probe },
    { "clients", test_clients },
    CU_TEST_INFO_NULL
};
