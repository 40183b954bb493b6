/* tests/cu_experiment.c — spire/experiment.h: the t-interval against a hand
 * computation, the verdict rule and a claim that flips with its threshold,
 * a tiny experiment (seconds) whose tables agree with its per-seed values,
 * the property that 1 and 2 worker threads give bit-identical results, and
 * the wrong models (mutant): the true model unchanged by them (property),
 * E1–E5 flipped to NOT REPRODUCED. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gsl/gsl_errno.h>
#include "spire/experiment.h"
#include "tests/cu_util.h"

/* x = 1..5: mean 3, sd √2.5, t_{0.975,4} = 2.7764451051977987 (tables),
 * half-width 2.7764451051977987·√(2.5/5). */
static void test_ci_hand(void)
{
    double x[6] = { 1, 2, 3, 4, 5, NAN };
    spire_exp_ci ci;
    CU_ASSERT_EQUAL_FATAL(spire_exp_ci_t(x, 6, 0.95, &ci), GSL_SUCCESS);
    double half = 2.7764451051977987 * sqrt(2.5 / 5);
    CU_ASSERT_EQUAL(ci.n, 5);
    ASSERT_REL(ci.mean, 3.0, 1e-15);
    ASSERT_REL(ci.lo, 3.0 - half, 1e-12);
    ASSERT_REL(ci.hi, 3.0 + half, 1e-12);
    /* 98%: t_{0.99,4} = 3.7469473879791968 */
    CU_ASSERT_EQUAL_FATAL(spire_exp_ci_t(x, 5, 0.98, &ci), GSL_SUCCESS);
    ASSERT_REL(ci.hi - ci.mean, 3.7469473879791968 * sqrt(0.5), 1e-12);
    /* one value: no interval */
    CU_ASSERT_EQUAL(spire_exp_ci_t(x, 1, 0.95, &ci), GSL_SUCCESS);
    CU_ASSERT(ci.mean == 1 && isnan(ci.lo) && isnan(ci.hi));
    CU_ASSERT_EQUAL(spire_exp_ci_t(x, 5, 0.0, &ci), GSL_EDOM);
}

/* Clopper-Pearson by closed forms: k = n gives lo = (a)^(1/n) (a = (1−level)/2),
 * k = 0 gives hi = 1 − a^(1/n); k = 1, n = 2 at 95%: lo = 1 − √0.975, hi = √0.975. */
static void test_sign_ci(void)
{
    spire_exp_ci ci;
    CU_ASSERT_EQUAL_FATAL(spire_exp_sign_ci(10, 10, 0.98, &ci), GSL_SUCCESS);
    ASSERT_REL(ci.lo, pow(0.01, 0.1), 1e-10);
    CU_ASSERT(ci.hi == 1 && ci.mean == 1);
    CU_ASSERT_EQUAL_FATAL(spire_exp_sign_ci(0, 7, 0.95, &ci), GSL_SUCCESS);
    ASSERT_REL(ci.hi, 1 - pow(0.025, 1.0 / 7), 1e-10);
    CU_ASSERT(ci.lo == 0);
    CU_ASSERT_EQUAL_FATAL(spire_exp_sign_ci(1, 2, 0.95, &ci), GSL_SUCCESS);
    ASSERT_REL(ci.lo, 1 - sqrt(0.975), 1e-10);
    ASSERT_REL(ci.hi, sqrt(0.975), 1e-10);
    CU_ASSERT_EQUAL(spire_exp_sign_ci(0, 0, 0.95, &ci), GSL_SUCCESS);
    CU_ASSERT(isnan(ci.lo) && isnan(ci.mean));
}

static void test_verdict(void)
{
    CU_ASSERT_STRING_EQUAL(spire_exp_verdict(0.1, 0.3, 0), "REPRODUCED");
    CU_ASSERT_STRING_EQUAL(spire_exp_verdict(-0.3, -0.1, 0), "NOT REPRODUCED");
    CU_ASSERT_STRING_EQUAL(spire_exp_verdict(-0.1, 0.1, 0), "UNDECIDED");
    CU_ASSERT_STRING_EQUAL(spire_exp_verdict(NAN, NAN, 0), "UNDECIDED");
}

/* The tiny experiment: gmm2, 5 clients (1 new), H = 16, 4 rounds, seconds. */
static void tiny(spire_exp_opts *o, size_t seeds, int threads)
{
    memset(o, 0, sizeof *o);
    spire_exp_opts_preset(o, SPIRE_FED_GMM2, 1);
    o->data.C = 5; o->data.n = 120; o->cfg.C = 5;
    o->n_new = 2;
    o->cfg.H = 16; o->cfg.E = 8;
    o->T = 100;
    o->fed.rounds = 4; o->fed.local_steps = 3; o->fed.batch = 16;
    o->adapt.steps = 5; o->adapt.local_steps = 10; o->adapt.batch = 16;
    o->eval.n_gen = 30; o->eval.ddim_steps = 5; o->eval.subsets = 2; o->eval.subset_size = 10;
    o->nlr = 2; o->nsteps = 1; o->grid_lr[0] = 1e-3; o->grid_lr[1] = 50; o->grid_steps[0] = 5;
    o->nsizes = 2; o->sizes[0] = 8; o->sizes[1] = 1000;
    o->seeds = seeds;
    o->seed0 = 3;
    o->threads = threads;
}

static spire_exp_result *R1;   /* the tiny run with 1 thread, 3 seeds */

static void test_tiny_tables(void)
{
    spire_exp_opts o;
    tiny(&o, 3, 1);
    char err[256];
    CU_ASSERT_EQUAL_FATAL(spire_exp_run(&o, &R1, err, sizeof err), GSL_SUCCESS);
    spire_exp_result *r = R1;
    size_t S = r->seeds, NM = r->nm, C = r->C;
    CU_ASSERT_EQUAL(S, 3);
    CU_ASSERT_EQUAL(r->trainable[SPIRE_FED_M_SPIRE], 16);
    for (size_t s = 0; s < S; s++) {
        size_t nn = 0;
        for (size_t c = 0; c < C; c++) nn += r->is_new[s * C + c];
        CU_ASSERT_EQUAL(nn, 2);
        for (size_t m = 0; m < NM; m++) {
            /* the seed's value is the mean over its new clients */
            double acc = 0;
            for (size_t c = 0; c < C; c++) if (r->is_new[s * C + c]) acc += r->client_kid[(s * NM + m) * C + c];
            ASSERT_REL(r->kid_new[s * NM + m], acc / 2, 1e-12);
        }
        CU_ASSERT(r->forget[s * NM + SPIRE_FED_M_SPIRE] == 0);   /* backbone frozen */
        CU_ASSERT(isnan(r->kid_pre[s * NM + SPIRE_FED_M_LOCAL]));
    }
    /* the paired interval, by hand: mean ± t_{0.975,2}·sd/√3 of the differences */
    for (size_t m = 0; m < NM; m++) {
        double d[3], mean = 0, ss = 0;
        for (size_t s = 0; s < 3; s++) { d[s] = r->kid_new[s * NM + m] - r->kid_new[s * NM]; mean += d[s] / 3; }
        for (size_t s = 0; s < 3; s++) ss += (d[s] - mean) * (d[s] - mean);
        double half = 4.302652729911275 * sqrt(ss / 2 / 3);
        ASSERT_REL(r->ci_diff[m].mean + 1, mean + 1, 1e-12);
        if (m) { ASSERT_REL(r->ci_diff[m].hi - r->ci_diff[m].lo, 2 * half, 1e-9); }
    }
    /* robustness grid (lr 1e-3 and 50, 5 steps; G = 2 cells): a cell's diverged
     * count is the number of seeds whose value is not finite, its interval
     * uses the others, a method outside the grid has no values; at lr = 1e-3
     * nothing diverges (lr = 50 may or may not: counted, never plotted) */
    const size_t G = r->nlr * r->nsteps;
    CU_ASSERT_EQUAL(G, 2);
    CU_ASSERT_TRUE(r->rob_in[SPIRE_FED_M_SPIRE]);
    for (size_t m = 0; m < NM; m++)
        for (size_t g = 0; g < G; g++) {
            size_t bad = 0;
            for (size_t s = 0; s < S; s++) bad += !isfinite(r->rob_kid[(s * NM + m) * G + g]);
            if (!r->rob_in[m]) { CU_ASSERT_EQUAL(bad, S); CU_ASSERT_EQUAL(r->rob_diverged[m * G + g], 0); continue; }
            CU_ASSERT_EQUAL(r->rob_diverged[m * G + g], bad);
            CU_ASSERT_EQUAL(r->ci_rob[m * G + g].n, S - bad);
            if (g == 0) CU_ASSERT_EQUAL(bad, 0);
        }
    /* sizes: 1000 > n_train: every row used; the curve exists for every method */
    for (size_t m = 0; m < NM; m++) CU_ASSERT(r->ci_size_kid[1 * NM + m].n > 0);
    /* E5 probe: gmm2 has one output per client */
    CU_ASSERT_EQUAL(r->probe_q, 1);
    for (size_t s = 0; s < S; s++) CU_ASSERT(fabs(r->probe_r[s]) <= 1);
    for (int i = 0; i < SPIRE_EXP_NCLAIMS; i++) CU_ASSERT_PTR_NOT_NULL(r->claims[i].verdict);
}

/* A verdict flips with its threshold: E5 (r from −1 to 1) against −0.999 and 0.999. */
static void test_claim_flips(void)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(R1);
    spire_exp_result *r = R1;
    double thr[SPIRE_EXP_NCLAIMS] = { -0.1, 0, 0, 0.5, -0.999 };
    CU_ASSERT_EQUAL(spire_exp_claims(r, thr), GSL_SUCCESS);
    if (isfinite(r->claims[4].lo) && r->claims[4].lo > -0.999) CU_ASSERT_STRING_EQUAL(r->claims[4].verdict, "REPRODUCED");
    thr[4] = 0.999999;
    CU_ASSERT_EQUAL(spire_exp_claims(r, thr), GSL_SUCCESS);
    if (isfinite(r->claims[4].hi) && r->claims[4].hi < 0.999999) CU_ASSERT_STRING_EQUAL(r->claims[4].verdict, "NOT REPRODUCED");
    /* E1 with a margin it cannot miss either way */
    thr[0] = -1e9;
    spire_exp_claims(r, thr);
    CU_ASSERT_STRING_EQUAL(r->claims[0].verdict, "REPRODUCED");
    thr[0] = 1e9;
    spire_exp_claims(r, thr);
    CU_ASSERT_STRING_EQUAL(r->claims[0].verdict, "NOT REPRODUCED");
    CU_ASSERT_EQUAL(spire_exp_claims(r, NULL), GSL_SUCCESS);
}

static int same(const double *a, const double *b, size_t n)
{
    return memcmp(a, b, n * sizeof *a) == 0;
}

/* Property test: 2 workers give the bytes of 1 worker (seeds are independent streams). */

/* Property: the per-seed arrays of two runs of the same experiment are the same bytes. */
static void assert_same_results(const spire_exp_result *r, const spire_exp_result *q)
{
    size_t S = r->seeds, NM = r->nm, C = r->C, G = r->nlr * r->nsteps;
    CU_ASSERT(same(r->kid_new, q->kid_new, S * NM));
    CU_ASSERT(same(r->kid_pre, q->kid_pre, S * NM));
    CU_ASSERT(same(r->forget, q->forget, S * NM));
    CU_ASSERT(same(r->tv_new, q->tv_new, S * NM));
    CU_ASSERT(same(r->client_kid, q->client_kid, S * NM * C));
    CU_ASSERT(same(r->size_kid, q->size_kid, S * r->nsizes * NM));
    CU_ASSERT(same(r->rob_kid, q->rob_kid, S * NM * G));
    CU_ASSERT(same(r->probe_pred, q->probe_pred, S * C * r->probe_q));
}
static void test_threads_property(void)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(R1);
    spire_exp_opts o;
    tiny(&o, 3, 2);
    spire_exp_result *r2 = NULL;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(spire_exp_run(&o, &r2, err, sizeof err), GSL_SUCCESS);
    assert_same_results(R1, r2);
    CU_ASSERT(same(R1->round_loss, r2->round_loss, R1->rounds * R1->C));
    spire_exp_result_free(r2);
}

/* The true model's results are the same bytes with and without the wrong
 * models (property test: mutant runs after everything the true model draws). */
static spire_exp_result *RM;   /* the tiny run with the wrong models */

static int same_claims(const spire_exp_claim *a, const spire_exp_claim *b)
{
    for (int i = 0; i < SPIRE_EXP_NCLAIMS; i++)
        if (strcmp(a[i].verdict, b[i].verdict) || strcmp(a[i].detail, b[i].detail) ||
            memcmp(&a[i].measured, &b[i].measured, sizeof(double)) || memcmp(&a[i].lo, &b[i].lo, sizeof(double)) ||
            memcmp(&a[i].hi, &b[i].hi, sizeof(double)))
            return 0;
    return 1;
}

static void test_mutant_property(void)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(R1);
    spire_exp_opts o;
    tiny(&o, 3, 1);
    o.mutant = 1;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(spire_exp_run(&o, &RM, err, sizeof err), GSL_SUCCESS);
    spire_exp_result *r = R1, *m = RM;
    size_t S = r->seeds, C = r->C;
    assert_same_results(r, m);
    CU_ASSERT(same(r->probe_r, m->probe_r, S));
    CU_ASSERT(same_claims(r->claims, m->claims));
    /* without mutant no wrong model is run */
    CU_ASSERT_PTR_NULL(r->mclaims[0].verdict);
    for (size_t s = 0; s < S; s++) CU_ASSERT(isnan(r->mut_kid_pre[s]) && isnan(m->mut_fkid_new[s]));
    /* with it: per seed a random order of the C clients, finite wrong-model values */
    for (size_t s = 0; s < S; s++) {
        int seen[16] = { 0 };
        for (size_t i = 0; i < C; i++) if (m->mut_order[s * C + i] < C) seen[m->mut_order[s * C + i]]++;
        for (size_t c = 0; c < C; c++) CU_ASSERT_EQUAL(seen[c], 1);
        CU_ASSERT(isfinite(m->mut_kid_pre[s]) && isfinite(m->mut_kid_new[s]) && fabs(m->mut_probe_r[s]) <= 1);
    }
    for (int i = 0; i < SPIRE_EXP_NCLAIMS; i++) {
        CU_ASSERT_PTR_NOT_NULL_FATAL(m->mclaims[i].verdict);
        CU_ASSERT(!strncmp(m->mclaims[i].claim, "WRONG MODEL", 11));
        CU_ASSERT(!strncmp(m->mclaims[i].detail, "WRONG MODEL", 11));
    }
}

/* E3's wrong model (SPIRE given full fine-tuning's forgetting) flips the
 * verdict: the true model's SPIRE forgets exactly 0, the wrong one does not. */
static void test_mutant_e3(void)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(RM);
    spire_exp_result *m = RM;
    size_t S = m->seeds, NM = m->nm, moved = 0;
    for (size_t s = 0; s < S; s++) moved += m->forget[s * NM + SPIRE_FED_M_FULL] != 0;
    CU_ASSERT_FATAL(moved > 0);   /* the fixture's full fine-tuning forgets */
    CU_ASSERT(strcmp(m->claims[2].verdict, "NOT REPRODUCED") != 0);
    CU_ASSERT_STRING_EQUAL(m->mclaims[2].verdict, "NOT REPRODUCED");
    /* the written files: claims.csv the wrong models', claims_true.csv the true model's */
    char dir[] = "/tmp/cu_experiment_XXXXXX", err[512];
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    CU_ASSERT_EQUAL(spire_exp_write(m, dir, err, sizeof err), GSL_SUCCESS);
    char *w = cu_slurp(dir, "claims.csv"), *t = cu_slurp(dir, "claims_true.csv"), *md = cu_slurp(dir, "table.md");
    CU_ASSERT(w && strstr(w, "\nE3,\"WRONG MODEL") && strstr(w, "NOT REPRODUCED"));
    CU_ASSERT(t && !strstr(t, "WRONG MODEL") && !strncmp(t, "id,claim,", 9));
    CU_ASSERT(md && strstr(md, "WRONG MODELS (--mutant), not results"));
    free(w); free(t); free(md);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CU_ASSERT_EQUAL(system(cmd), 0);
    spire_exp_result_free(RM);
    RM = NULL;
}

/* The small fixture that learns its embeddings (gmm2, 6 clients, 2 new, sep 8,
 * H = 32, 100 rounds, 10 seeds; about a second): the true model gives E2 and
 * E5 UNDECIDED here and E4 not NOT REPRODUCED; their wrong models give NOT
 * REPRODUCED.  E4: SPIRE's spread 2 × the largest finite baseline spread,
 * so 0 of n seeds for a baseline with finite spreads, below 1/2 once n ≥ 9
 * (Clopper-Pearson at 1 − 0.02/3).  E1: the true model REPRODUCED, its
 * wrong model (each client from the farthest client's embedding, on the
 * backbone of a quarter of the rounds: the digits' setting) NOT REPRODUCED.
 * (With the final backbone, the mixtures' setting, E1 does not flip on a
 * fixture this cheap: after 100 small rounds its pre-training clients' KID
 * hardly depends on the embedding.) */
static void test_mutant_small(void)
{
    spire_exp_opts o;
    memset(&o, 0, sizeof o);
    spire_exp_opts_preset(&o, SPIRE_FED_GMM2, 1);
    o.data.C = 6; o.data.n = 200; o.data.sep = 8; o.cfg.C = 6;
    o.n_new = 2;
    o.cfg.H = 32; o.cfg.E = 8;
    o.T = 100;
    o.fed.rounds = 100; o.fed.local_steps = 10; o.fed.batch = 32;
    o.adapt.steps = 50; o.adapt.local_steps = 10; o.adapt.batch = 32;
    o.eval.n_gen = 60; o.eval.ddim_steps = 5; o.eval.subsets = 2; o.eval.subset_size = 20;
    o.nsizes = 0;
    o.seeds = 10; o.seed0 = 1; o.threads = 2;
    o.mutant = 1;
    o.mutant_early = 0.25;   /* E1 on the backbone of 25 rounds (the digits' setting; with the final backbone E1 does not flip on a fixture this cheap) */
    spire_exp_result *m = NULL;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(spire_exp_run(&o, &m, err, sizeof err), GSL_SUCCESS);
    size_t S = m->seeds, NM = m->nm, G = m->nlr * m->nsteps, finite = 0;
    /* E2, E5: flipped */
    CU_ASSERT_STRING_EQUAL(m->claims[1].verdict, "UNDECIDED");
    CU_ASSERT_STRING_EQUAL(m->mclaims[1].verdict, "NOT REPRODUCED");
    CU_ASSERT_STRING_EQUAL(m->claims[4].verdict, "UNDECIDED");
    CU_ASSERT_STRING_EQUAL(m->mclaims[4].verdict, "NOT REPRODUCED");
    /* E4: flipped once a baseline has finite spreads in >= 9 seeds */
    for (size_t s = 0; s < S; s++) {
        int ok = 1;
        for (size_t g = 0; g < G; g++) ok &= isfinite(m->rob_kid[(s * NM + SPIRE_FED_M_LAST) * G + g]);
        finite += ok;
    }
    CU_ASSERT_FATAL(finite >= 9);
    CU_ASSERT(strcmp(m->claims[3].verdict, "NOT REPRODUCED") != 0);
    CU_ASSERT_STRING_EQUAL(m->mclaims[3].verdict, "NOT REPRODUCED");
    /* E1: flipped (measured 2026-11-29: true 0.085 [0.033, 0.137], wrong -0.193 [-0.247, -0.140]
     * against the threshold -0.10), and the wrong SPIRE worse on the pre-training clients */
    CU_ASSERT_STRING_EQUAL(m->claims[0].verdict, "REPRODUCED");
    CU_ASSERT_STRING_EQUAL(m->mclaims[0].verdict, "NOT REPRODUCED");
    double t = 0, w = 0;
    for (size_t s = 0; s < S; s++) { t += m->kid_pre[s * NM + SPIRE_FED_M_SPIRE]; w += m->mut_kid_pre[s]; }
    CU_ASSERT(w > t);
    spire_exp_result_free(m);
}

static void test_write(void)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(R1);
    char dir[] = "/tmp/cu_experiment_XXXXXX", err[512];
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    CU_ASSERT_EQUAL(spire_exp_write(R1, dir, err, sizeof err), GSL_SUCCESS);
    static const char *files[] = { "clients.csv", "table.csv", "table.md", "paired.csv", "sizes.csv",
                                   "robustness.csv", "probe.csv", "claims.csv", "rounds.csv", "bridge.csv",
                                   "seeds.csv" };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *t = cu_slurp(dir, files[i]);
        CU_ASSERT_PTR_NOT_NULL(t);
        if (t && !strcmp(files[i], "claims.csv")) {
            CU_ASSERT(!strncmp(t, "id,claim,measured,lo,hi,threshold,verdict,detail\nE1,", 52));
            size_t lines = 0;
            for (char *p = t; *p; p++) lines += *p == '\n';
            CU_ASSERT_EQUAL(lines, 6);
        }
        free(t);
        char path[256];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    CU_ASSERT_EQUAL(spire_exp_write(R1, "/nonexistent/dir", err, sizeof err), GSL_EFAILED);
    rmdir(dir);
    spire_exp_result_free(R1);
    R1 = NULL;
}

CU_TestInfo cu_experiment_tests[] = {
    { "t-interval against a hand computation", test_ci_hand },
    { "Clopper-Pearson interval against closed forms", test_sign_ci },
    { "verdict rule", test_verdict },
    { "tiny experiment: tables agree with per-seed values", test_tiny_tables },
    { "a claim verdict flips with its threshold", test_claim_flips },
    { "property: 1 and 2 workers give the same bytes", test_threads_property },
    { "property: the wrong models leave the true model's bytes", test_mutant_property },
    { "wrong model of E3 flips the verdict; claims files", test_mutant_e3 },
    { "wrong models of E1, E2, E4, E5 flip the verdicts (small fixture, 10 seeds)", test_mutant_small },
    { "tables written, claims.csv", test_write },
    CU_TEST_INFO_NULL
};
