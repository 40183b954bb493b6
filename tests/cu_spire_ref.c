/* tests/cu_spire_ref.c — the C trainer against its PyTorch twin
 * (tests/fixtures/spire_torch.bin, written by bench/reference/spire_torch.py
 * from weights the C trainer wrote): for both embedding placements, the
 * network output, the loss, every gradient (backbone and embeddings) and the
 * parameters after one AdamW step, in float32 with a mixed tolerance
 * atol + rtol·|ref| (atol scaled to the block's largest value). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include "spire/model.h"
#include "spire/train.h"
#include "tests/cu_util.h"

/* the fixture reader lives in cu_spire_kid.c */
typedef struct { char name[33]; size_t n; double *v; } cu_fix_array;
typedef struct { unsigned version; size_t count; cu_fix_array *a; } cu_fix;
int cu_spire_fixture_load(const char *path, unsigned want_version, cu_fix *f);
const double *cu_spire_fixture_get(const cu_fix *f, const char *name, size_t n);
void cu_spire_fixture_free(cu_fix *f);

#define TORCH_FIXTURE "tests/fixtures/spire_torch.bin"
#define TORCH_FIXTURE_VERSION 1u

static const double *get(const cu_fix *f, const char *tag, const char *name, size_t n)
{
    char full[64];
    snprintf(full, sizeof full, "%s_%s", tag, name);
    return cu_spire_fixture_get(f, full, n);
}

/* Every value of obt (n) against ref within atol_rel·max|ref| + rtol·|ref|;
 * returns the number of mismatches (each reported). */
static int compare(const float *obt, const double *ref, size_t n, double atol_rel, double rtol,
                   const char *what)
{
    double big = 0;
    for (size_t i = 0; i < n; i++) big = fmax(big, fabs(ref[i]));
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        if (!cu_check_mixed(obt[i], ref[i], atol_rel * big, rtol, what, __FILE__, __LINE__)) bad++;
    return bad;
}

static void check_case(const char *tag)
{
    cu_fix f;
    if (cu_spire_fixture_load(TORCH_FIXTURE, TORCH_FIXTURE_VERSION, &f) != 0) {
        CU_FAIL("PyTorch fixture missing or of another version (see message)");
        return;
    }
    const double *dims = get(&f, tag, "dims", 9), *hyper = get(&f, tag, "hyper", 5);
    CU_ASSERT_FATAL(dims && hyper);
    spire_config cfg = { .D = (size_t)dims[0], .E = (size_t)dims[1], .H = (size_t)dims[2],
                         .L = (size_t)dims[3], .C = (size_t)dims[4],
                         .embed_at = (spire_embed_at)dims[5] };
    size_t B = (size_t)dims[7], D = cfg.D;
    spire_model *m = spire_model_alloc(&cfg, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    size_t np = m->n_params, ne = m->n_embed;
    const double *p = get(&f, tag, "params", np), *e = get(&f, tag, "embed", ne);
    const double *am = get(&f, tag, "adam_m", np), *av = get(&f, tag, "adam_v", np);
    const double *ame = get(&f, tag, "adam_me", ne), *ave = get(&f, tag, "adam_ve", ne);
    const double *x = get(&f, tag, "x", B * D), *t = get(&f, tag, "t", B), *eps = get(&f, tag, "eps", B * D);
    const double *out = get(&f, tag, "out", B * D), *loss = get(&f, tag, "loss", 1);
    const double *g = get(&f, tag, "grads", np), *ge = get(&f, tag, "gembed", ne);
    const double *pa = get(&f, tag, "params_after", np), *ea = get(&f, tag, "embed_after", ne);
    if (!(p && e && am && av && ame && ave && x && t && eps && out && loss && g && ge && pa && ea)) {
        spire_model_free(m);
        cu_spire_fixture_free(&f);
        return;
    }
    spire_adam *a = spire_adam_alloc(np, ne);
    for (size_t i = 0; i < np; i++) { m->params[i] = (float)p[i]; a->m[i] = (float)am[i]; a->v[i] = (float)av[i]; }
    for (size_t i = 0; i < ne; i++) { m->embed[i] = (float)e[i]; a->me[i] = (float)ame[i]; a->ve[i] = (float)ave[i]; }
    a->step = (size_t)dims[8];
    float *xf = malloc(B * D * sizeof *xf), *tf = malloc(B * sizeof *tf), *ef = malloc(B * D * sizeof *ef);
    for (size_t i = 0; i < B * D; i++) { xf[i] = (float)x[i]; ef[i] = (float)eps[i]; }
    for (size_t i = 0; i < B; i++) tf[i] = (float)t[i];

    spire_train_opts o;
    spire_train_opts_default(&o);
    o.beta1 = hyper[1]; o.beta2 = hyper[2]; o.eps = hyper[3]; o.wd = hyper[4];
    double l;
    CU_ASSERT_EQUAL_FATAL(spire_train_step(m, a, xf, tf, ef, B, hyper[0], &o, &l), GSL_SUCCESS);
    /* forward and loss */
    CU_ASSERT_EQUAL(compare(m->out, out, B * D, 1e-6, 1e-5, "out"), 0);
    ASSERT_REL(l, loss[0], 1e-5);
    /* gradients of every block */
    CU_ASSERT_EQUAL(compare(m->grads, g, np, 1e-5, 1e-4, "grads"), 0);
    CU_ASSERT_EQUAL(compare(m->gembed, ge, ne, 1e-5, 1e-4, "gembed"), 0);
    /* parameters after one AdamW step from the checkpoint's moments */
    CU_ASSERT_EQUAL(a->step, (size_t)dims[8] + 1);
    CU_ASSERT_EQUAL(compare(m->params, pa, np, 1e-6, 1e-5, "params_after"), 0);
    CU_ASSERT_EQUAL(compare(m->embed, ea, ne, 1e-6, 1e-5, "embed_after"), 0);
    /* the step did move the parameters (so the comparison above is not vacuous) */
    double moved = 0;
    for (size_t i = 0; i < np; i++) moved = fmax(moved, fabs(pa[i] - p[i]));
    CU_ASSERT(moved > 1e-4);

    free(xf); free(tf); free(ef);
    spire_adam_free(a);
    spire_model_free(m);
    cu_spire_fixture_free(&f);
}

static void test_torch_time(void) { check_case("time"); }
static void test_torch_hidden(void) { check_case("hidden"); }

CU_TestInfo cu_spire_ref_tests[] = {
    { "torch_embed_time", test_torch_time },
    { "torch_embed_hidden", test_torch_hidden },
    CU_TEST_INFO_NULL
};
