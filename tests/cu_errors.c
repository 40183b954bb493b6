/* tests/cu_errors.c — the error convention of common/spl.h, function by
 * function: every public function of gmm/, ddpm/, spire/ and proofs_check/
 * is called with a NULL pointer and with a number out of its domain, and the
 * status it returns is compared with the code its header documents
 * (GSL_EINVAL for a NULL pointer or an unknown name/kind, GSL_EDOM for a
 * number out of range).  One table row per call: the expected code and the
 * call itself, so a failure prints the exact expression.
 *
 * Conventions of the table:
 *  - constructors are called through ctor_*() wrappers that return the
 *    status they reported, after checking that NULL came back exactly when
 *    the status is not GSL_SUCCESS (-2 otherwise);
 *  - functions that return a value instead of a status are wrapped in
 *    NAN_IS_EINVAL (NaN → GSL_EINVAL) or ZERO_IS_EINVAL (0 → GSL_EINVAL);
 *  - void functions that must accept NULL (the *_free, *_default,
 *    *_zero_grad) are rows `(f(NULL), GSL_SUCCESS)`: they must not crash.
 * test_coverage then reads the public headers and checks that every
 * function they declare appears in the table or in the short list of
 * functions that by design check nothing (the layer kernels of spire/nn.h,
 * whose header says so). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include "common/spl.h"
#include "ddpm/ddpm.h"
#include "ddpm/kmix.h"
#include "ddpm/schedule.h"
#include "ddpm/weighting.h"
#include "gmm/gmm.h"
#include "proofs_check/claims.h"
#include "proofs_check/rates.h"
#include "proofs_check/sweep.h"
#include "spire/ckpt.h"
#include "spire/clf.h"
#include "spire/data.h"
#include "spire/experiment.h"
#include "spire/fed.h"
#include "spire/kid.h"
#include "spire/model.h"
#include "spire/nn.h"
#include "spire/sample.h"
#include "spire/train.h"
#include "tests/cu_util.h"

/* ---- valid objects the rows use ----------------------------------------- */
typedef struct {
    gmm2 *g;
    gmmk *mk;
    gmm_gauss *G;
    ddpm_quad *q;
    ddpm_schedule *s;
    ddpm_sample *S;
    ddpm_gd *gd;
    ddpm_obj_level_ctx lctx;
    gsl_rng *r;
    spire_config cfg;
    spire_model *m, *m2;
    spire_model_d *md;
    spire_adam *adam;
    spire_train_opts to;
    spire_trainer *tr;
    spire_fed_data *fd;
    spire_fed_run *run;
    spire_fed_opts fo;
    spire_fed_adapt_opts ao;
    spire_fed_eval_opts eo;
    spire_fed_exact ex;
    spire_clf_opts co;
    spire_clf *clf;      /* 2 classes, D = 16, trained 2 steps on xf (16 rows) */
    int clab[16];
    pc_opts po;
    pc_sweep_spec sp;
    pc_sweep_grid *grid;
    pc_sweep_row rows[PC_SWEEP_NEST];
    size_t nrows, idx[8];
    double x[64], y[64], w[8], mu[64], out[64], resp[8], cov[4];
    float xf[256], tf[32], ef[256];
    int lab[32], known[3], client[4];
    char err[256], line[PC_SWEEP_CSV_LINE];
    const char *ckpt;    /* a path that does not exist (for the NULL rows only) */
    /* results of the failing calls (never read) */
    ddpm_moments mom;
    ddpm_loss_result lres;
    ddpm_fit_result fit;
    ddpm_sandwich sw;
    spire_kid_result kr;
    spire_fed_bridge br;
    pc_result pr;
    pc_sweep_cell cell;
    pc_sweep_list list;
    pc_sweep_domain dom_t1;
    /* ddpm/kmix.h: K = 3 on a line (d = 1), π = (0.2, 0.3, 0.5), μ = (−1, 0, 2) */
    kmix *km, *kx;       /* set; allocated but never set (the failing kmix_set rows) */
    kmix_quad *kq;
    kmix_sample *kS;
    kmix_gd *kgd;        /* allocated, never set */
    kmix_obj_quad_ctx kctx;
    double kpi[3], kmu[3], kw[2], kA[4], kB[4];
    kmix_result kres;
    kmix_fit_result kfit;
    kmix_sandwich ksw;
    /* ddpm/weighting.h: a plan for eps on F.s (linear, T = 20) */
    ddpm_wplan *wp;
    ddpm_weighting wt;
    ddpm_efficiency eff;
} fixture;

static fixture F;

static int fixture_open(void)
{
    memset(&F, 0, sizeof F);
    int st = GSL_SUCCESS;
    F.g = gmm2_alloc(2, NULL);
    F.mk = gmmk_alloc(3, 2, NULL);
    F.G = gmm_gauss_alloc(2, NULL);
    F.q = ddpm_quad_alloc();
    F.s = ddpm_schedule_alloc(DDPM_LINEAR, 20, NULL);
    F.gd = ddpm_gd_alloc();
    F.r = spl_rng_alloc(1, 2, 3);
    if (!F.g || !F.mk || !F.G || !F.q || !F.s || !F.gd || !F.r) return GSL_ENOMEM;
    F.S = ddpm_sample_draw(F.g, NULL, 0.6, 0.8, 50, DDPM_MC_PROJECTED, 1, &st);
    if (!F.S) return st;
    F.lctx = (ddpm_obj_level_ctx){ F.q, F.g, 0.6, 0.8 };
    F.cfg = (spire_config){ .D = 2, .E = 4, .H = 4, .L = 2, .embed_at = SPIRE_EMBED_TIME, .C = 3 };
    F.m = spire_model_alloc(&F.cfg, &st);
    if (F.m) F.m2 = spire_model_alloc(&F.cfg, &st);
    if (F.m2) F.md = spire_model_alloc_d(&F.cfg, &st);
    if (!F.md) return st;
    F.adam = spire_adam_alloc(F.m->n_params, F.m->n_embed);
    spire_train_opts_default(&F.to);
    F.to.batch = 4;
    for (size_t i = 0; i < 256; i++) { F.xf[i] = (float)(0.01 * (double)(i % 17)); F.ef[i] = 0.1f; }
    for (size_t i = 0; i < 32; i++) F.tf[i] = (float)(1 + i % 20);
    F.tr = spire_trainer_alloc(F.m, F.s, F.xf, 64, &F.to, &st);
    if (!F.adam || !F.tr) return F.tr ? GSL_ENOMEM : st;
    spire_fed_data_opts dop;
    spire_fed_data_opts_default(&dop, SPIRE_FED_GMM2);
    dop.C = 3;
    dop.n = 20;
    if (!(F.fd = spire_fed_data_make(&dop, &st, F.err, sizeof F.err))) return st;
    F.run = spire_fed_run_alloc(&F.cfg, 1, &st);
    if (!F.run) return st;
    spire_fed_opts_default(&F.fo);
    spire_fed_adapt_opts_default(&F.ao);
    F.eo = (spire_fed_eval_opts){ .n_gen = 8, .ddim_steps = 5, .subsets = 2, .subset_size = 4, .clip = 0, .seed = 1 };
    for (size_t i = 0; i < 64; i++) { F.x[i] = 0.1 * (double)(i % 7); F.y[i] = 0.2 * (double)(i % 5); F.mu[i] = (double)(i % 3); }
    F.w[0] = 0.5; F.w[1] = 0.3; F.w[2] = 0.2;
    F.cov[0] = 1; F.cov[1] = 0; F.cov[2] = 0; F.cov[3] = 1;
    F.known[0] = 1; F.known[1] = 1; F.known[2] = 0;
    F.ex = (spire_fed_exact){ 2, 2, F.mu, F.w, 1.0, F.s };
    pc_opts_default(&F.po);
    pc_sweep_spec_init(&F.sp);
    if ((st = pc_sweep_list_parse("1", &pc_sweep_dom_d, &F.sp.d, NULL, 0)) ||
        (st = pc_sweep_list_parse("2", &pc_sweep_dom_sep, &F.sp.sep, NULL, 0)) ||
        (st = pc_sweep_list_parse("0.3", &pc_sweep_dom_pi, &F.sp.pi, NULL, 0)) ||
        (st = pc_sweep_list_parse("20", &pc_sweep_dom_n, &F.sp.n, NULL, 0)) ||
        (st = pc_sweep_list_parse("0.5", &pc_sweep_dom_alpha, &F.sp.alpha, NULL, 0)))
        return st;
    F.sp.reps = 2;
    F.grid = pc_sweep_grid_alloc(&F.sp, &st, NULL, 0);
    if (!F.grid) return st;
    F.ckpt = "cu_errors_no_such_file.bin";
    F.dom_t1 = pc_sweep_dom_t(1);
    F.kpi[0] = 0.2; F.kpi[1] = 0.3; F.kpi[2] = 0.5;
    F.kmu[0] = -1; F.kmu[1] = 0; F.kmu[2] = 2;
    F.kA[0] = F.kA[3] = 1;   /* kB stays 0: not positive definite */
    if (!(F.km = kmix_alloc(3, 1, &st)) || !(F.kx = kmix_alloc(3, 1, &st))) return st;
    if ((st = kmix_set_line(F.km, F.kpi, F.kmu, F.err, sizeof F.err))) return st;
    if (!(F.kq = kmix_quad_alloc(16, 8, &st))) return st;
    if (!(F.kS = kmix_sample_draw(F.km, 0.6, 0.8, 50, DDPM_MC_PROJECTED, 1, &st))) return st;
    if (!(F.kgd = kmix_gd_alloc())) return GSL_ENOMEM;
    F.kctx = (kmix_obj_quad_ctx){ F.kq, F.km, 0.6, 0.8 };
    spire_clf_opts_default(&F.co);
    F.co.nhidden = 1; F.co.hidden[0] = 4; F.co.steps = 2; F.co.batch = 4;
    for (size_t i = 0; i < 16; i++) F.clab[i] = (int)(i % 2);
    if (!(F.clf = spire_clf_train(F.xf, F.clab, 16, 16, 2, &F.co, &st))) return st;
    F.wt = ddpm_weighting_named[0];
    if (!(F.wp = ddpm_wplan_alloc(F.s, &F.wt, DDPM_WSUM_FAST, 0, &st))) return st;
    return GSL_SUCCESS;
}

static void fixture_close(void)
{
    gmm2_free(F.g); gmmk_free(F.mk); gmm_gauss_free(F.G);
    ddpm_quad_free(F.q); ddpm_schedule_free(F.s); ddpm_sample_free(F.S); ddpm_gd_free(F.gd);
    gsl_rng_free(F.r);
    spire_trainer_free(F.tr); spire_adam_free(F.adam);
    spire_model_free(F.m); spire_model_free(F.m2); spire_model_free_d(F.md);
    spire_fed_data_free(F.fd); spire_fed_run_free(F.run);
    pc_sweep_grid_free(F.grid); pc_sweep_spec_free(&F.sp);
    kmix_free(F.km); kmix_free(F.kx); kmix_quad_free(F.kq); kmix_sample_free(F.kS); kmix_gd_free(F.kgd);
    ddpm_wplan_free(F.wp);
    spire_clf_free(F.clf);
}

/* ---- wrappers: constructors, values ------------------------------------- */
#define CTOR_WRAP(name, type, freef, params, args)                              \
    static int ctor_##name params                                               \
    {                                                                           \
        int st = -1;                                                            \
        type *p = name args;                                                    \
        int ok = (p == NULL) == (st != GSL_SUCCESS);                            \
        freef(p);                                                               \
        return ok ? st : -2;                                                    \
    }
CTOR_WRAP(gmm2_alloc, gmm2, gmm2_free, (size_t d), (d, &st))
CTOR_WRAP(gmmk_alloc, gmmk, gmmk_free, (size_t K, size_t d), (K, d, &st))
CTOR_WRAP(gmm_gauss_alloc, gmm_gauss, gmm_gauss_free, (size_t d), (d, &st))
CTOR_WRAP(ddpm_schedule_alloc, ddpm_schedule, ddpm_schedule_free, (ddpm_schedule_kind k, size_t T), (k, T, &st))
CTOR_WRAP(ddpm_sample_draw, ddpm_sample, ddpm_sample_free,
          (const gmm2 *g, const ddpm_schedule *s, double a, double b, size_t n, ddpm_mc_mode mode),
          (g, s, a, b, n, mode, 1, &st))
CTOR_WRAP(spire_model_alloc, spire_model, spire_model_free, (const spire_config *c), (c, &st))
CTOR_WRAP(spire_model_alloc_d, spire_model_d, spire_model_free_d, (const spire_config *c), (c, &st))
CTOR_WRAP(spire_model_view_alloc, spire_model, spire_model_free, (spire_model *m, size_t B), (m, B, 20, &st))
CTOR_WRAP(spire_model_view_alloc_d, spire_model_d, spire_model_free_d, (spire_model_d *m, size_t B),
          (m, B, 20, &st))
CTOR_WRAP(spire_fed_run_alloc, spire_fed_run, spire_fed_run_free, (const spire_config *c), (c, 1, &st))
CTOR_WRAP(spire_trainer_alloc, spire_trainer, spire_trainer_free,
          (spire_model *m, const ddpm_schedule *s, const float *x, size_t n, const spire_train_opts *o),
          (m, s, x, n, o, &st))
CTOR_WRAP(spire_fed_data_make, spire_fed_data, spire_fed_data_free, (const spire_fed_data_opts *o),
          (o, &st, NULL, 0))
CTOR_WRAP(spire_data_load, spire_data, spire_data_free, (const char *spec), (spec, &st, NULL, 0))
CTOR_WRAP(spire_clf_train, spire_clf, spire_clf_free,
          (const float *x, const int *lab, size_t n, size_t ncls, const spire_clf_opts *o),
          (x, lab, n, 16, ncls, o, &st))
CTOR_WRAP(pc_sweep_grid_alloc, pc_sweep_grid, pc_sweep_grid_free, (const pc_sweep_spec *sp),
          (sp, &st, NULL, 0))
CTOR_WRAP(kmix_alloc, kmix, kmix_free, (size_t K, size_t d), (K, d, &st))
CTOR_WRAP(kmix_quad_alloc, kmix_quad, kmix_quad_free, (size_t nhi, size_t nlo), (nhi, nlo, &st))
CTOR_WRAP(kmix_sample_draw, kmix_sample, kmix_sample_free,
          (const kmix *m, double a, double b, size_t n, ddpm_mc_mode mode), (m, a, b, n, mode, 1, &st))
CTOR_WRAP(ddpm_wplan_alloc, ddpm_wplan, ddpm_wplan_free,
          (const ddpm_schedule *s, const ddpm_weighting *wt, ddpm_wsum_mode mode, double tol),
          (s, wt, mode, tol, &st))
CTOR_WRAP(ddpm_weighting_sample_draw, ddpm_sample, ddpm_sample_free,
          (const ddpm_weighting *wt, const double *lam, const gmm2 *g, const ddpm_schedule *s, size_t n),
          (wt, lam, g, s, n, DDPM_MC_PROJECTED, 1, &st))
CTOR_WRAP(ddpm_wplan_sample_draw, ddpm_sample, ddpm_sample_free,
          (ddpm_quad *q, const ddpm_wplan *wp, const gmm2 *g, size_t n, ddpm_mc_mode mode),
          (q, wp, g, n, mode, 1, &st))
/* ENOMEM-only constructors: they succeed here */
static int ctor_plain(void *p, void (*freef)(void *)) { int st = p ? GSL_SUCCESS : GSL_ENOMEM; freef(p); return st; }
static void free_quad(void *p) { ddpm_quad_free(p); }
static void free_gd(void *p) { ddpm_gd_free(p); }
static void free_adam(void *p) { spire_adam_free(p); }
static void free_kgd(void *p) { kmix_gd_free(p); }

#define NAN_IS_EINVAL(v) (isnan(v) ? GSL_EINVAL : GSL_SUCCESS)
#define ZERO_IS_EINVAL(v) ((v) == 0 ? GSL_EINVAL : GSL_SUCCESS)
#define QMARK_IS_EINVAL(s) (strcmp((s), "?") == 0 ? GSL_EINVAL : GSL_SUCCESS)

/* F.cfg with L and embed_at replaced (one at a time: a static copy) */
static const spire_config *cfg_with(size_t L, int embed_at)
{
    static spire_config c;
    c = F.cfg;
    c.L = L;
    c.embed_at = (spire_embed_at)embed_at;
    return &c;
}

static int spec_reps0(void) { pc_sweep_spec s = F.sp; s.reps = 0; return ctor_pc_sweep_grid_alloc(&s); }
static int data_make_C1(void)
{
    spire_fed_data_opts o;
    spire_fed_data_opts_default(&o, SPIRE_FED_GMM2);
    o.C = 1;
    return ctor_spire_fed_data_make(&o);
}
static int data_make_kind(void)
{
    spire_fed_data_opts o;
    spire_fed_data_opts_default(&o, SPIRE_FED_GMM2);
    o.kind = (spire_fed_kind)7;
    return ctor_spire_fed_data_make(&o);
}
static int fed_round_lr0(void) { spire_fed_opts o = F.fo; o.lr = 0; return spire_fed_round(F.run, F.s, F.fd, F.known, &o); }
static int exp_check_seeds0(void)
{
    spire_exp_opts o = { 0 };
    spire_exp_opts_preset(&o, SPIRE_FED_GMM2, 1);
    o.seeds = 0;
    return spire_exp_opts_check(&o, F.err, sizeof F.err);
}
static int exp_run_seeds0(void)
{
    spire_exp_opts o = { 0 };
    spire_exp_opts_preset(&o, SPIRE_FED_GMM2, 1);
    o.seeds = 0;
    spire_exp_result *r = NULL;
    int st = spire_exp_run(&o, &r, F.err, sizeof F.err);
    return r ? -2 : st;
}
static int adapt_lr0(void) { spire_fed_adapt_opts o = F.ao; o.lr = 0; return spire_fed_adapt(F.m2, F.s, SPIRE_FED_M_SPIRE, 2, F.xf, 8, F.known, &o, NULL); }
static int train_opts_lr0(void) { spire_train_opts o = F.to; o.lr = 0; return ctor_spire_trainer_alloc(F.m, F.s, F.xf, 64, &o); }
/* weightings that do not fit F.s (T = 20): level 21, γ < 0; an unknown kind */
#define WT_LEVEL21 (&(ddpm_weighting){ DDPM_W_LEVEL, 0, 21 })
#define WT_GAMMA_NEG (&(ddpm_weighting){ DDPM_W_MINSNR, -1.0, 0 })
#define WT_KIND9 (&(ddpm_weighting){ (ddpm_weighting_kind)9, 0, 0 })
/* F.g with Δ = 0 (which = 0: sandwich, 1: efficiency) or π = 1.5 (info_w) */
static int wplan_sep0(int which)
{
    gmm2 g = *F.g;
    g.sep = 0;
    return which ? ddpm_wplan_efficiency(F.q, F.wp, &g, 0, &F.eff) : ddpm_wplan_sandwich(F.q, F.wp, &g, &F.sw);
}
static int info_w_pi(void) { gmm2 g = *F.g; g.pi = 1.5; return ddpm_info_w(&g, F.out, NULL); }
static int wname(const ddpm_weighting *wt) { ddpm_weighting_name(wt, F.line, sizeof F.line); return QMARK_IS_EINVAL(F.line); }
static int clf_steps0(void) { spire_clf_opts o = F.co; o.steps = 0; return ctor_spire_clf_train(F.xf, F.clab, 16, 2, &o); }
static int exact_bad_step(void) { return spire_fed_exact_eps(&F.ex, F.xf, 0, 1, F.ef); }
static int exact_null_mu(void) { spire_fed_exact e = F.ex; e.mu = NULL; return spire_fed_exact_eps(&e, F.xf, 1, 1, F.ef); }

/* ---- the table: X(expected code, call) ---------------------------------- */
#define ROWS(X)                                                                                    \
    /* gmm/gmm.h */                                                                                \
    X(GSL_EDOM, ctor_gmm2_alloc(0))                                                                \
    X(GSL_SUCCESS, (gmm2_free(NULL), GSL_SUCCESS))                                                 \
    X(GSL_EINVAL, gmm2_set(NULL, 0.5, 1, 0))                                                       \
    X(GSL_EDOM, gmm2_set(F.g, 1.0, 1, 0))                                                          \
    X(GSL_EDOM, gmm2_set(F.g, 0.5, -1, 0))                                                         \
    X(GSL_EDOM, gmm2_set(F.g, 0.5, 1, NAN))                                                        \
    X(GSL_EINVAL, gmm2_set_direction_random(NULL, F.r))                                            \
    X(GSL_EINVAL, gmm2_set_direction_random(F.g, NULL))                                            \
    X(GSL_EINVAL, NAN_IS_EINVAL(gmm2_m1(NULL)))                                                    \
    X(GSL_EINVAL, NAN_IS_EINVAL(gmm2_m2(NULL)))                                                    \
    X(GSL_EINVAL, gmm2_mean(NULL, 1, F.x))                                                         \
    X(GSL_EINVAL, gmm2_mean(F.g, 1, NULL))                                                         \
    X(GSL_EDOM, gmm2_mean(F.g, 3, F.x))                                                            \
    X(GSL_EINVAL, gmm2_sample(NULL, F.r, 2, F.x, NULL))                                            \
    X(GSL_EINVAL, gmm2_sample(F.g, F.r, 2, NULL, NULL))                                            \
    X(GSL_EINVAL, gmm2_sample_proj(F.g, NULL, 2, F.x, NULL))                                       \
    X(GSL_EINVAL, gmm2_sample_proj(F.g, F.r, 2, NULL, NULL))                                       \
    X(GSL_EINVAL, NAN_IS_EINVAL(gmm2_logpdf(NULL, F.x)))                                           \
    X(GSL_EINVAL, NAN_IS_EINVAL(gmm2_logpdf(F.g, NULL)))                                           \
    X(GSL_EINVAL, NAN_IS_EINVAL(gmm2_posterior(F.g, NULL)))                                        \
    X(GSL_EINVAL, NAN_IS_EINVAL(gmm2_posterior_proj(NULL, 0.0)))                                   \
    X(GSL_EINVAL, gmm2_em_weight(NULL, F.x, 4, 0.5, 1e-8, 10, F.out, NULL))                        \
    X(GSL_EINVAL, gmm2_em_weight(F.g, F.x, 4, 0.5, 1e-8, 10, NULL, NULL))                          \
    X(GSL_EDOM, gmm2_em_weight(F.g, F.x, 0, 0.5, 1e-8, 10, F.out, NULL))                           \
    X(GSL_EDOM, gmm2_em_weight(F.g, F.x, 4, 1.5, 1e-8, 10, F.out, NULL))                           \
    X(GSL_EDOM, gmm2_em_weight(F.g, F.x, 4, 0.5, 0.0, 10, F.out, NULL))                            \
    X(GSL_EINVAL, gmm2_fisher_pi(0.5, 1.0, NULL, NULL))                                            \
    X(GSL_EDOM, gmm2_fisher_pi(0.0, 1.0, F.out, NULL))                                             \
    X(GSL_EDOM, gmm2_fisher_pi(0.5, -1.0, F.out, NULL))                                            \
    X(GSL_EINVAL, gmm2_crlb_sd(0.5, 1.0, 10, NULL))                                                \
    X(GSL_EDOM, gmm2_crlb_sd(0.5, 1.0, 0, F.out))                                                  \
    X(GSL_EDOM, gmm2_crlb_sd(2.0, 1.0, 10, F.out))                                                 \
    X(GSL_EDOM, ctor_gmmk_alloc(0, 2))                                                             \
    X(GSL_EDOM, ctor_gmmk_alloc(2, 0))                                                             \
    X(GSL_SUCCESS, (gmmk_free(NULL), GSL_SUCCESS))                                                 \
    X(GSL_EINVAL, gmmk_set_weights(NULL, F.w))                                                     \
    X(GSL_EINVAL, gmmk_set_weights(F.mk, NULL))                                                    \
    X(GSL_EDOM, gmmk_set_weights(F.mk, (double[]){ 1, -1, 1 }))                                    \
    X(GSL_EINVAL, gmmk_set_means_circle(NULL, 1.0))                                                \
    X(GSL_EDOM, gmmk_set_means_circle(F.mk, NAN))                                                  \
    X(GSL_EINVAL, gmmk_set_means_random(F.mk, NULL, 1.0))                                          \
    X(GSL_EDOM, gmmk_set_means_random(F.mk, F.r, -1.0))                                            \
    X(GSL_EINVAL, gmmk_sample(NULL, F.r, 2, F.x, NULL))                                            \
    X(GSL_EINVAL, gmmk_sample(F.mk, F.r, 2, NULL, NULL))                                           \
    X(GSL_EINVAL, NAN_IS_EINVAL(gmmk_logpdf(NULL, F.x)))                                           \
    X(GSL_EINVAL, gmmk_posterior(F.mk, NULL, F.resp))                                              \
    X(GSL_EINVAL, gmmk_em_weights(F.mk, NULL, 4, 1e-8, 10, F.out, NULL))                           \
    X(GSL_EDOM, gmmk_em_weights(F.mk, F.x, 0, 1e-8, 10, F.out, NULL))                              \
    X(GSL_EDOM, gmmk_em_weights(F.mk, F.x, 4, -1.0, 10, F.out, NULL))                              \
    X(GSL_EDOM, ctor_gmm_gauss_alloc(0))                                                           \
    X(GSL_SUCCESS, (gmm_gauss_free(NULL), GSL_SUCCESS))                                            \
    X(GSL_EINVAL, gmm_gauss_set(F.G, NULL, F.cov))                                                 \
    X(GSL_EDOM, gmm_gauss_set(F.G, F.x, (double[]){ 1, 0, 0, -1 }))                                \
    X(GSL_EINVAL, gmm_gauss_sample(F.G, NULL, 2, F.x))                                             \
    X(GSL_EINVAL, NAN_IS_EINVAL(gmm_gauss_logpdf(NULL, F.x)))                                      \
    X(GSL_EINVAL, gmm_score_noised(2, 2, NULL, F.mu, 1, 0.6, 0.8, F.x, F.resp, F.out))             \
    X(GSL_EINVAL, gmm_score_noised(2, 2, F.y, F.mu, 1, 0.6, 0.8, F.x, NULL, F.out))                \
    X(GSL_EDOM, gmm_score_noised(0, 2, F.y, F.mu, 1, 0.6, 0.8, F.x, F.resp, F.out))                \
    X(GSL_EDOM, gmm_score_noised(2, 2, F.y, F.mu, -1, 0.6, 0.8, F.x, F.resp, F.out))               \
    X(GSL_EDOM, gmm_score_noised(2, 2, F.y, F.mu, 1, 0.0, 0.0, F.x, F.resp, F.out))                \
    X(GSL_EDOM, gmm_score_noised(1, 2, (double[]){ -INFINITY }, F.mu, 1, 0.6, 0.8, F.x, F.resp, F.out)) \
    X(GSL_EINVAL, gmm_resp_noised(2, NULL, 1.0, F.x, F.resp))                                     \
    X(GSL_EINVAL, gmm_resp_noised(2, F.y, 1.0, NULL, F.resp))                                      \
    X(GSL_EINVAL, gmm_resp_noised(2, F.y, 1.0, F.x, NULL))                                         \
    X(GSL_EDOM, gmm_resp_noised(0, F.y, 1.0, F.x, F.resp))                                         \
    X(GSL_EDOM, gmm_resp_noised(2, F.y, 0.0, F.x, F.resp))                                         \
    X(GSL_EDOM, gmm_resp_noised(2, F.y, INFINITY, F.x, F.resp))                                    \
    X(GSL_EDOM, gmm_resp_noised(1, (double[]){ -INFINITY }, 1.0, F.x, F.resp))                     \
    /* ddpm/schedule.h */                                                                          \
    X(GSL_EINVAL, ctor_ddpm_schedule_alloc(DDPM_OU, 10))                                           \
    X(GSL_EDOM, ctor_ddpm_schedule_alloc(DDPM_LINEAR, 1))                                          \
    X(GSL_SUCCESS, (ddpm_schedule_free(NULL), GSL_SUCCESS))                                        \
    X(GSL_EINVAL, ddpm_ou_level(1.0, NULL, F.out))                                                 \
    X(GSL_EDOM, ddpm_ou_level(0.0, F.out, F.out + 1))                                              \
    X(GSL_EINVAL, NAN_IS_EINVAL(ddpm_b_of_a(2.0)))                                                 \
    X(GSL_EINVAL, ddpm_level_from_alpha(0.5, NULL))                                                \
    X(GSL_EDOM, ddpm_level_from_alpha(1.0, F.out))                                                 \
    X(GSL_EINVAL, ddpm_schedule_parse(NULL, &(ddpm_schedule_kind){ 0 }))                           \
    X(GSL_EINVAL, ddpm_schedule_parse("quadratic", &(ddpm_schedule_kind){ 0 }))                    \
    X(GSL_EINVAL, QMARK_IS_EINVAL(ddpm_schedule_name((ddpm_schedule_kind)9)))                      \
    /* ddpm/ddpm.h */                                                                              \
    X(GSL_SUCCESS, ctor_plain(ddpm_quad_alloc(), free_quad))                                       \
    X(GSL_SUCCESS, (ddpm_quad_free(NULL), GSL_SUCCESS))                                            \
    X(GSL_EINVAL, ddpm_moments_eval(NULL, 1.0, 0.0, 0.0, &F.mom))             \
    X(GSL_EDOM, ddpm_moments_eval(F.q, -1.0, 0.0, 0.0, &F.mom))               \
    X(GSL_EINVAL, ddpm_loss_level(NULL, F.g, 0.6, 0.8, 0.0, &F.lres))      \
    X(GSL_EINVAL, ddpm_loss_level(F.q, F.g, 0.6, 0.8, 0.0, NULL))                                  \
    X(GSL_EDOM, ddpm_loss_level(F.q, F.g, 0.6, 0.6, 0.0, &F.lres))         \
    X(GSL_EDOM, ddpm_loss_level(F.q, F.g, 0.6, 0.8, NAN, &F.lres))         \
    X(GSL_EINVAL, ddpm_loss_avg(F.q, F.g, NULL, 0.0, &F.lres))             \
    X(GSL_EDOM, ddpm_loss_avg(F.q, F.g, F.s, INFINITY, &F.lres))           \
    X(GSL_EINVAL, ddpm_loss_avg_full(F.q, F.g, NULL, 0.0, &F.lres))        \
    X(GSL_EDOM, ddpm_loss_avg_full(F.q, F.g, F.s, INFINITY, &F.lres))      \
    X(GSL_EINVAL, ddpm_loss_to_p(0.0, NULL, &F.lres))                      \
    X(GSL_EINVAL, ddpm_loss_to_p(0.0, &F.lres, NULL))                      \
    X(GSL_EDOM, ddpm_loss_to_p(NAN, &F.lres, &F.lres))                     \
    X(GSL_EINVAL, ddpm_mc_level(NULL, 0.6, 0.8, 0.0, &(ddpm_mc_opts){ DDPM_MC_PROJECTED, 10, 1, 0 }, &F.lres)) \
    X(GSL_EINVAL, ddpm_mc_level(F.g, 0.6, 0.8, 0.0, &(ddpm_mc_opts){ (ddpm_mc_mode)5, 10, 1, 0 }, &F.lres)) \
    X(GSL_EDOM, ddpm_mc_level(F.g, 0.6, 0.8, 0.0, &(ddpm_mc_opts){ DDPM_MC_PROJECTED, 0, 1, 0 }, &F.lres)) \
    X(GSL_EDOM, ddpm_mc_level(F.g, 1.5, 0.8, 0.0, &(ddpm_mc_opts){ DDPM_MC_PROJECTED, 10, 1, 0 }, &F.lres)) \
    X(GSL_EINVAL, ddpm_mc_avg(F.g, NULL, 0.0, &(ddpm_mc_opts){ DDPM_MC_PROJECTED, 10, 1, 0 }, &F.lres)) \
    X(GSL_EDOM, ddpm_mc_avg(F.g, F.s, NAN, &(ddpm_mc_opts){ DDPM_MC_PROJECTED, 10, 1, 0 }, &F.lres)) \
    X(GSL_EINVAL, ddpm_mc_parse("implicit", &(ddpm_mc_mode){ 0 }))                                 \
    X(GSL_EINVAL, ddpm_mc_parse("explicit", NULL))                                                 \
    X(GSL_EINVAL, QMARK_IS_EINVAL(ddpm_mc_name((ddpm_mc_mode)9)))                                  \
    X(GSL_EINVAL, ctor_ddpm_sample_draw(NULL, NULL, 0.6, 0.8, 10, DDPM_MC_PROJECTED))              \
    X(GSL_EINVAL, ctor_ddpm_sample_draw(F.g, NULL, 0.6, 0.8, 10, (ddpm_mc_mode)5))                 \
    X(GSL_EDOM, ctor_ddpm_sample_draw(F.g, NULL, 0.6, 0.8, 0, DDPM_MC_PROJECTED))                  \
    X(GSL_EDOM, ctor_ddpm_sample_draw(F.g, NULL, 0.6, 0.6, 10, DDPM_MC_PROJECTED))                 \
    X(GSL_SUCCESS, (ddpm_sample_free(NULL), GSL_SUCCESS))                                          \
    X(GSL_EINVAL, ddpm_sample_loss(NULL, 0.0, F.out, NULL, NULL))                                  \
    X(GSL_EDOM, ddpm_sample_loss(F.S, NAN, F.out, NULL, NULL))                                     \
    X(GSL_EINVAL, ddpm_fit_ddpm(NULL, 0.0, 1e-10, 10, &F.fit))                    \
    X(GSL_EINVAL, ddpm_fit_ddpm(F.S, 0.0, 1e-10, 10, NULL))                                        \
    X(GSL_EDOM, ddpm_fit_ddpm(F.S, 0.0, 0.0, 10, &F.fit))                         \
    X(GSL_EDOM, ddpm_fit_ddpm(F.S, NAN, 1e-10, 10, &F.fit))                       \
    X(GSL_EINVAL, ddpm_fit_mle(NULL, F.S, 1e-10, 10, &F.fit))                     \
    X(GSL_EDOM, ddpm_fit_mle(F.g, F.S, -1.0, 10, &F.fit))                         \
    X(GSL_EINVAL, ddpm_sandwich_level(NULL, F.g, 0.6, 0.8, &F.sw))                 \
    X(GSL_EDOM, ddpm_sandwich_level(F.q, F.g, 0.0, 0.8, &F.sw))                    \
    X(GSL_EINVAL, ddpm_sandwich_avg(F.q, F.g, NULL, &F.sw))                        \
    X(GSL_SUCCESS, ctor_plain(ddpm_gd_alloc(), free_gd))                                           \
    X(GSL_SUCCESS, (ddpm_gd_free(NULL), GSL_SUCCESS))                                              \
    X(GSL_EINVAL, ddpm_gd_set(NULL, ddpm_obj_level, &F.lctx, DDPM_PARAM_LOGIT, 0.5, 0.1, 0))       \
    X(GSL_EINVAL, ddpm_gd_set(F.gd, ddpm_obj_level, &F.lctx, (ddpm_param)7, 0.5, 0.1, 0))          \
    X(GSL_EDOM, ddpm_gd_set(F.gd, ddpm_obj_level, &F.lctx, DDPM_PARAM_LOGIT, 1.5, 0.1, 0))         \
    X(GSL_EDOM, ddpm_gd_set(F.gd, ddpm_obj_level, &F.lctx, DDPM_PARAM_PI, 0.5, 0.1, 0.7))          \
    X(GSL_EINVAL, ddpm_gd_iterate(NULL))                                                           \
    X(GSL_EINVAL, ddpm_gd_test(NULL, 1e-6))                                                        \
    X(GSL_EDOM, ddpm_gd_test(F.gd, -1.0))                                                          \
    X(GSL_EINVAL, ddpm_param_parse("sigma", &(ddpm_param){ 0 }))                                   \
    X(GSL_EINVAL, ddpm_obj_level(NULL, 0.0, F.out, F.out + 1))                                     \
    X(GSL_EDOM, ddpm_obj_level(&F.lctx, NAN, F.out, F.out + 1))                                    \
    X(GSL_EINVAL, ddpm_obj_avg(&(ddpm_obj_avg_ctx){ F.q, F.g, F.s }, 0.0, NULL, F.out))            \
    X(GSL_EINVAL, ddpm_obj_sample(NULL, 0.0, F.out, F.out + 1))                                    \
    X(GSL_EDOM, ddpm_obj_sample(F.S, INFINITY, F.out, F.out + 1))                                  \
    /* ddpm/weighting.h */                                                                         \
    X(GSL_EINVAL, ddpm_weighting_parse(NULL, &F.wt))                                               \
    X(GSL_EINVAL, ddpm_weighting_parse("eps", NULL))                                               \
    X(GSL_EINVAL, ddpm_weighting_parse("snr", &F.wt))                                              \
    X(GSL_EDOM, ddpm_weighting_parse("minsnr:0", &F.wt))                                           \
    X(GSL_EDOM, ddpm_weighting_parse("level:0", &F.wt))                                            \
    X(GSL_EINVAL, wname(NULL))                                                                     \
    X(GSL_EINVAL, wname(WT_KIND9))                                                                 \
    X(GSL_SUCCESS, (ddpm_weighting_name(&F.wt, NULL, 8), GSL_SUCCESS))                             \
    X(GSL_EINVAL, ddpm_weighting_check(NULL, F.s))                                                 \
    X(GSL_EINVAL, ddpm_weighting_check(&F.wt, NULL))                                               \
    X(GSL_EINVAL, ddpm_weighting_check(WT_KIND9, F.s))                                             \
    X(GSL_EDOM, ddpm_weighting_check(WT_LEVEL21, F.s))                                             \
    X(GSL_EDOM, ddpm_weighting_check(WT_GAMMA_NEG, F.s))                                           \
    X(GSL_EINVAL, ddpm_weighting_lambda(F.q, &F.wt, F.g, F.s, 1, NULL, NULL))                      \
    X(GSL_EINVAL, ddpm_weighting_lambda(NULL, &ddpm_weighting_named[5], F.g, F.s, 1, F.out, NULL)) \
    X(GSL_EDOM, ddpm_weighting_lambda(F.q, &F.wt, F.g, F.s, 0, F.out, NULL))                       \
    X(GSL_EDOM, ddpm_weighting_lambda(F.q, &F.wt, F.g, F.s, 21, F.out, NULL))                      \
    X(GSL_EINVAL, ctor_ddpm_wplan_alloc(NULL, &F.wt, DDPM_WSUM_FAST, 0))                           \
    X(GSL_EINVAL, ctor_ddpm_wplan_alloc(F.s, NULL, DDPM_WSUM_FAST, 0))                             \
    X(GSL_EINVAL, ctor_ddpm_wplan_alloc(F.s, &F.wt, (ddpm_wsum_mode)5, 0))                         \
    X(GSL_EINVAL, ctor_ddpm_wplan_alloc(F.s, WT_KIND9, DDPM_WSUM_FAST, 0))                         \
    X(GSL_EDOM, ctor_ddpm_wplan_alloc(F.s, WT_LEVEL21, DDPM_WSUM_FAST, 0))                         \
    X(GSL_EDOM, ctor_ddpm_wplan_alloc(F.s, &F.wt, DDPM_WSUM_FAST, -1.0))                           \
    X(GSL_EDOM, ctor_ddpm_wplan_alloc(F.s, &F.wt, DDPM_WSUM_FULL, NAN))                            \
    X(GSL_SUCCESS, (ddpm_wplan_free(NULL), GSL_SUCCESS))                                           \
    X(GSL_EINVAL, ZERO_IS_EINVAL(ddpm_wplan_nodes(NULL)))                                          \
    X(GSL_EINVAL, ddpm_wplan_loss(F.q, NULL, F.g, 0.0, &F.lres))                                   \
    X(GSL_EINVAL, ddpm_wplan_loss(F.q, F.wp, F.g, 0.0, NULL))                                      \
    X(GSL_EDOM, ddpm_wplan_loss(F.q, F.wp, F.g, NAN, &F.lres))                                     \
    X(GSL_EINVAL, ddpm_wplan_loss_info(F.q, NULL, F.g, 0.0, &F.lres, NULL))                        \
    X(GSL_EDOM, ddpm_wplan_loss_info(F.q, F.wp, F.g, NAN, &F.lres, NULL))                          \
    X(GSL_EINVAL, ddpm_wplan_sandwich(F.q, F.wp, NULL, &F.sw))                                     \
    X(GSL_EDOM, wplan_sep0(0))                                                                     \
    X(GSL_EINVAL, ddpm_wplan_efficiency(F.q, F.wp, F.g, 0, NULL))                                  \
    X(GSL_EDOM, wplan_sep0(1))                                                                     \
    X(GSL_EINVAL, ddpm_info_w(NULL, F.out, NULL))                                                  \
    X(GSL_EINVAL, ddpm_info_w(F.g, NULL, NULL))                                                    \
    X(GSL_EDOM, info_w_pi())                                                                       \
    X(GSL_EINVAL, ddpm_weighting_table(F.q, &F.wt, F.g, F.s, NULL))                                \
    X(GSL_EDOM, ddpm_weighting_table(F.q, WT_LEVEL21, F.g, F.s, F.out))                            \
    X(GSL_EINVAL, ctor_ddpm_weighting_sample_draw(NULL, NULL, F.g, F.s, 10))                       \
    X(GSL_EINVAL, ctor_ddpm_weighting_sample_draw(&ddpm_weighting_named[1], NULL, F.g, F.s, 10))   \
    X(GSL_EDOM, ctor_ddpm_weighting_sample_draw(WT_LEVEL21, NULL, F.g, F.s, 10))                   \
    X(GSL_EDOM, ctor_ddpm_weighting_sample_draw(&F.wt, NULL, F.g, F.s, 0))                         \
    X(GSL_EINVAL, ctor_ddpm_wplan_sample_draw(F.q, NULL, F.g, 10, DDPM_MC_PROJECTED))              \
    X(GSL_EINVAL, ctor_ddpm_wplan_sample_draw(F.q, F.wp, F.g, 10, (ddpm_mc_mode)5))                \
    X(GSL_EDOM, ctor_ddpm_wplan_sample_draw(F.q, F.wp, F.g, 0, DDPM_MC_PROJECTED))                 \
    X(GSL_EINVAL, ddpm_wplan_weighting(NULL) ? GSL_SUCCESS : GSL_EINVAL)                           \
    X(GSL_EINVAL, ddpm_obj_wavg(NULL, 0.0, F.out, F.out))                                          \
    X(GSL_EINVAL, ddpm_obj_wavg(&(ddpm_obj_wavg_ctx){ F.q, F.g, F.wp }, 0.0, NULL, F.out))         \
    X(GSL_EDOM, ddpm_obj_wavg(&(ddpm_obj_wavg_ctx){ F.q, F.g, F.wp }, INFINITY, F.out, F.out))     \
    /* ddpm/kmix.h */                                                                              \
    X(GSL_EDOM, ctor_kmix_alloc(1, 1))                                                             \
    X(GSL_EDOM, ctor_kmix_alloc(KMIX_KMAX + 1, 1))                                                 \
    X(GSL_EDOM, ctor_kmix_alloc(3, 0))                                                             \
    X(GSL_SUCCESS, (kmix_free(NULL), GSL_SUCCESS))                                                 \
    X(GSL_EINVAL, kmix_set(NULL, F.kpi, F.kmu, NULL, 0))                                           \
    X(GSL_EINVAL, kmix_set(F.kx, NULL, F.kmu, NULL, 0))                                            \
    X(GSL_EINVAL, kmix_set(F.kx, F.kpi, NULL, NULL, 0))                                            \
    X(GSL_EDOM, kmix_set(F.kx, (double[]){ 0.2, 0.3, 0.6 }, F.kmu, NULL, 0))                       \
    X(GSL_EDOM, kmix_set(F.kx, (double[]){ 0.0, 0.5, 0.5 }, F.kmu, NULL, 0))                       \
    X(GSL_EDOM, kmix_set(F.kx, F.kpi, (double[]){ -1, -1, 2 }, NULL, 0))                           \
    X(GSL_EDOM, kmix_set(F.kx, F.kpi, (double[]){ -1, NAN, 2 }, NULL, 0))                          \
    X(GSL_EINVAL, kmix_set_line(NULL, F.kpi, F.kmu, NULL, 0))                                      \
    X(GSL_EINVAL, kmix_set_line(F.kx, F.kpi, NULL, NULL, 0))                                       \
    X(GSL_EDOM, kmix_set_line(F.kx, (double[]){ 0.2, 1.3, -0.5 }, F.kmu, NULL, 0))                 \
    X(GSL_SUCCESS, (kmix_softmax(3, NULL, F.out), GSL_SUCCESS))                                    \
    X(GSL_SUCCESS, (kmix_softmax(3, F.kw, NULL), GSL_SUCCESS))                                     \
    X(GSL_SUCCESS, (kmix_softmax(KMIX_KMAX + 50, F.kw, F.out), GSL_SUCCESS))                       \
    X(GSL_SUCCESS, (kmix_logits(3, NULL, F.out), GSL_SUCCESS))                                     \
    X(GSL_SUCCESS, (kmix_logits(3, F.kpi, NULL), GSL_SUCCESS))                                     \
    X(GSL_SUCCESS, (kmix_logits(KMIX_KMAX + 50, F.kpi, F.out), GSL_SUCCESS))                       \
    X(GSL_EDOM, ctor_kmix_quad_alloc(1, 0))                                                        \
    X(GSL_EDOM, ctor_kmix_quad_alloc(16, 1))                                                       \
    X(GSL_SUCCESS, (kmix_quad_free(NULL), GSL_SUCCESS))                                            \
    X(GSL_EINVAL, kmix_loss_quad(NULL, F.km, 0.6, 0.8, F.kw, KMIX_ALL, &F.kres))                   \
    X(GSL_EINVAL, kmix_loss_quad(F.kq, NULL, 0.6, 0.8, F.kw, KMIX_ALL, &F.kres))                   \
    X(GSL_EINVAL, kmix_loss_quad(F.kq, F.km, 0.6, 0.8, NULL, KMIX_ALL, &F.kres))                   \
    X(GSL_EINVAL, kmix_loss_quad(F.kq, F.km, 0.6, 0.6, F.kw, KMIX_ALL, NULL))                      \
    X(GSL_EINVAL, kmix_loss_quad(F.kq, F.km, 0.6, 0.8, F.kw, 64, &F.kres))                         \
    X(GSL_EDOM, kmix_loss_quad(F.kq, F.km, 0.6, 0.6, F.kw, KMIX_ALL, &F.kres))                     \
    X(GSL_EDOM, kmix_loss_quad(F.kq, F.km, 0.0, 1.0, F.kw, KMIX_ALL, &F.kres))                     \
    X(GSL_EDOM, kmix_loss_quad(F.kq, F.km, 0.6, 0.8, (double[]){ NAN, 0 }, KMIX_ALL, &F.kres))     \
    X(GSL_EDOM, kmix_loss_quad(F.kq, F.kx, 0.6, 0.8, F.kw, KMIX_ALL, &F.kres))                     \
    X(GSL_EINVAL, kmix_loss_mc(NULL, 0.6, 0.8, F.kw, &(ddpm_mc_opts){ DDPM_MC_PROJECTED, 10, 1, 0 }, &F.kres))\
    X(GSL_EINVAL, kmix_loss_mc(F.km, 0.6, 0.8, F.kw, NULL, &F.kres))                               \
    X(GSL_EINVAL, kmix_loss_mc(F.km, 0.6, 0.8, F.kw, &(ddpm_mc_opts){ (ddpm_mc_mode)5, 0, 1, 0 }, &F.kres))\
    X(GSL_EDOM, kmix_loss_mc(F.km, 0.6, 0.8, F.kw, &(ddpm_mc_opts){ DDPM_MC_PROJECTED, 0, 1, 0 }, &F.kres))\
    X(GSL_EDOM, kmix_loss_mc(F.km, 1.5, 0.8, F.kw, &(ddpm_mc_opts){ DDPM_MC_EXPLICIT, 10, 1, 0 }, &F.kres))\
    X(GSL_EDOM, kmix_loss_mc(F.km, 0.6, 0.8, (double[]){ 0, INFINITY }, &(ddpm_mc_opts){ DDPM_MC_PROJECTED, 10, 1, 0 }, &F.kres))\
    X(GSL_EINVAL, ctor_kmix_sample_draw(NULL, 0.6, 0.8, 10, DDPM_MC_PROJECTED))                    \
    X(GSL_EINVAL, ctor_kmix_sample_draw(F.km, 0.6, 0.8, 0, (ddpm_mc_mode)5))                       \
    X(GSL_EDOM, ctor_kmix_sample_draw(F.km, 0.6, 0.8, 0, DDPM_MC_PROJECTED))                       \
    X(GSL_EDOM, ctor_kmix_sample_draw(F.km, 0.6, 0.6, 10, DDPM_MC_EXPLICIT))                       \
    X(GSL_SUCCESS, ctor_kmix_sample_draw(F.km, 0.6, 0.8, 10, DDPM_MC_EXPLICIT))                    \
    X(GSL_SUCCESS, (kmix_sample_free(NULL), GSL_SUCCESS))                                          \
    X(GSL_EINVAL, kmix_sample_loss(NULL, F.kS, F.kw, F.out, NULL, NULL))                           \
    X(GSL_EINVAL, kmix_sample_loss(F.km, NULL, F.kw, F.out, NULL, NULL))                           \
    X(GSL_EINVAL, kmix_sample_loss(F.km, F.kS, NULL, F.out, NULL, NULL))                           \
    X(GSL_EINVAL, kmix_sample_loss(F.kx, F.kS, F.kw, F.out, NULL, NULL))                           \
    X(GSL_EDOM, kmix_sample_loss(F.km, F.kS, (double[]){ NAN, 0 }, F.out, NULL, NULL))             \
    X(GSL_EINVAL, kmix_fit_ddpm(NULL, F.kS, NULL, 1e-10, 10, &F.kfit))                             \
    X(GSL_EINVAL, kmix_fit_ddpm(F.km, F.kS, NULL, 1e-10, 10, NULL))                                \
    X(GSL_EDOM, kmix_fit_ddpm(F.km, F.kS, NULL, 0.0, 10, &F.kfit))                                 \
    X(GSL_EDOM, kmix_fit_ddpm(F.km, F.kS, (double[]){ 0, NAN }, 1e-10, 10, &F.kfit))               \
    X(GSL_EINVAL, kmix_fit_mle(F.km, NULL, 1e-10, 10, &F.kfit))                                    \
    X(GSL_EINVAL, kmix_fit_mle(F.km, F.kS, 1e-10, 10, NULL))                                       \
    X(GSL_EDOM, kmix_fit_mle(F.km, F.kS, -1.0, 10, &F.kfit))                                       \
    X(GSL_EINVAL, kmix_sandwich_level(NULL, F.km, 0.6, 0.8, &F.ksw))                               \
    X(GSL_EINVAL, kmix_sandwich_level(F.kq, F.km, 0.6, 0.6, NULL))                                 \
    X(GSL_EDOM, kmix_sandwich_level(F.kq, F.km, 0.0, 0.8, &F.ksw))                                 \
    X(GSL_EINVAL, kmix_sandwich_cov(2, NULL, F.kB, F.out))                                         \
    X(GSL_EINVAL, kmix_sandwich_cov(2, F.kA, F.kB, NULL))                                          \
    X(GSL_EDOM, kmix_sandwich_cov(0, F.kA, F.kA, F.out))                                           \
    X(GSL_EDOM, kmix_sandwich_cov(KMIX_NMAX + 1, F.kA, F.kA, F.out))                               \
    X(GSL_EDOM, kmix_sandwich_cov(2, F.kA, F.kB, F.out))                                           \
    X(GSL_SUCCESS, ctor_plain(kmix_gd_alloc(), free_kgd))                                          \
    X(GSL_SUCCESS, (kmix_gd_free(NULL), GSL_SUCCESS))                                              \
    X(GSL_EINVAL, kmix_gd_set(NULL, kmix_obj_quad, &F.kctx, 3, F.kw, 0.1))                         \
    X(GSL_EINVAL, kmix_gd_set(F.kgd, NULL, &F.kctx, 3, F.kw, 0.1))                                 \
    X(GSL_EINVAL, kmix_gd_set(F.kgd, kmix_obj_quad, &F.kctx, 3, NULL, 0.1))                        \
    X(GSL_EDOM, kmix_gd_set(F.kgd, kmix_obj_quad, &F.kctx, 1, F.kw, 0.1))                          \
    X(GSL_EDOM, kmix_gd_set(F.kgd, kmix_obj_quad, &F.kctx, 3, F.kw, -0.1))                         \
    X(GSL_EDOM, kmix_gd_set(F.kgd, kmix_obj_quad, &F.kctx, 3, (double[]){ NAN, 0 }, 0.1))          \
    X(GSL_EINVAL, kmix_gd_iterate(NULL))                                                           \
    X(GSL_EINVAL, kmix_gd_iterate(F.kgd))                                                          \
    X(GSL_EINVAL, kmix_gd_test(NULL, 1e-6))                                                        \
    X(GSL_EDOM, kmix_gd_test(F.kgd, -1.0))                                                         \
    X(GSL_EDOM, kmix_gd_test(F.kgd, NAN))                                                          \
    X(GSL_EINVAL, kmix_obj_quad(NULL, F.kw, F.out, F.out + 2))                                     \
    X(GSL_EINVAL, kmix_obj_quad(&F.kctx, F.kw, NULL, F.out + 2))                                   \
    X(GSL_EINVAL, kmix_obj_quad(&F.kctx, F.kw, F.out, NULL))                                       \
    X(GSL_EDOM, kmix_obj_quad(&F.kctx, (double[]){ NAN, 0 }, F.out, F.out + 2))                    \
    X(GSL_EDOM, kmix_obj_quad(&(kmix_obj_quad_ctx){ F.kq, F.km, 0.8, 0.8 }, F.kw, F.out, F.out + 2))\
    /* spire/model.h */                                                                            \
    X(GSL_EINVAL, spire_config_check(NULL))                                                        \
    X(GSL_EINVAL, spire_config_check(&(spire_config){ 2, 4, 4, 2, (spire_embed_at)5, 1 }))         \
    X(GSL_EDOM, spire_config_check(&(spire_config){ 2, 3, 4, 2, SPIRE_EMBED_TIME, 1 }))            \
    X(GSL_EDOM, spire_config_check(&(spire_config){ 2, 4, 4, SPIRE_LAYERS_MAX + 1, SPIRE_EMBED_TIME, 1 })) \
    X(GSL_EINVAL, ZERO_IS_EINVAL(spire_config_n_params(NULL)))                                     \
    X(GSL_EINVAL, ZERO_IS_EINVAL(spire_config_embed_width(NULL)))                                  \
    X(GSL_EINVAL, spire_embed_at_parse("output", &(spire_embed_at){ 0 }))                          \
    X(GSL_EINVAL, spire_embed_at_parse(NULL, &(spire_embed_at){ 0 }))                              \
    X(GSL_EINVAL, QMARK_IS_EINVAL(spire_embed_at_name((spire_embed_at)9)))                         \
    X(GSL_EINVAL, ctor_spire_model_alloc(NULL))                                                    \
    X(GSL_EDOM, ctor_spire_model_alloc(cfg_with(0, SPIRE_EMBED_TIME)))          \
    X(GSL_EINVAL, ctor_spire_model_alloc(cfg_with(2, 5)))                       \
    X(GSL_SUCCESS, (spire_model_free(NULL), GSL_SUCCESS))                                          \
    X(GSL_EINVAL, spire_model_init(NULL, 1))                                                       \
    X(GSL_EINVAL, spire_model_forward(NULL, F.xf, F.tf, NULL, NULL, 2))                            \
    X(GSL_EINVAL, spire_model_forward(F.m2, NULL, F.tf, NULL, NULL, 2))                            \
    X(GSL_EDOM, spire_model_forward(F.m2, F.xf, F.tf, NULL, NULL, 0))                              \
    X(GSL_EDOM, spire_model_forward(F.m2, F.xf, F.tf, (int[]){ 0, 3 }, NULL, 2))                   \
    X(GSL_SUCCESS, (spire_model_zero_grad(NULL), GSL_SUCCESS))                                     \
    X(GSL_EINVAL, spire_model_backward(NULL))                                                      \
    X(GSL_EINVAL, ctor_spire_model_view_alloc(NULL, 4))                                            \
    X(GSL_EDOM, ctor_spire_model_view_alloc(F.m2, 0))                                              \
    X(GSL_SUCCESS, ctor_spire_model_view_alloc(F.m2, 4))                                           \
    X(GSL_EINVAL, ctor_spire_model_view_alloc_d(NULL, 4))                                          \
    X(GSL_EDOM, ctor_spire_model_view_alloc_d(F.md, 0))                                            \
    X(GSL_EDOM, ctor_spire_model_alloc_d(cfg_with(0, SPIRE_EMBED_TIME)))        \
    X(GSL_SUCCESS, (spire_model_free_d(NULL), GSL_SUCCESS))                                        \
    X(GSL_EINVAL, spire_model_init_d(NULL, 1))                                                     \
    X(GSL_EDOM, spire_model_forward_d(F.md, F.x, F.y, NULL, NULL, 0))                              \
    X(GSL_EINVAL, spire_model_forward_d(F.md, NULL, F.y, NULL, NULL, 2))                           \
    X(GSL_SUCCESS, (spire_model_zero_grad_d(NULL), GSL_SUCCESS))                                   \
    X(GSL_EINVAL, spire_model_backward_d(NULL))                                                    \
    /* spire/train.h */                                                                            \
    X(GSL_SUCCESS, (spire_train_opts_default(NULL), GSL_SUCCESS))                                  \
    X(GSL_EINVAL, NAN_IS_EINVAL(spire_train_lr(NULL, 1)))                                          \
    X(GSL_SUCCESS, ctor_plain(spire_adam_alloc(4, 2), free_adam))                                  \
    X(GSL_SUCCESS, (spire_adam_free(NULL), GSL_SUCCESS))                                           \
    X(GSL_EINVAL, spire_train_step(NULL, F.adam, F.xf, F.tf, F.ef, 2, 1e-3, &F.to, NULL))          \
    X(GSL_EDOM, spire_train_step(F.m2, F.adam, F.xf, F.tf, F.ef, 2, 0.0, &F.to, NULL))             \
    X(GSL_EDOM, spire_train_step(F.m2, F.adam, F.xf, F.tf, F.ef, 0, 1e-3, &F.to, NULL))            \
    X(GSL_EINVAL, ctor_spire_trainer_alloc(F.m, NULL, F.xf, 64, &F.to))                            \
    X(GSL_EDOM, ctor_spire_trainer_alloc(F.m, F.s, F.xf, 0, &F.to))                                \
    X(GSL_EDOM, train_opts_lr0())                                                                  \
    X(GSL_SUCCESS, (spire_trainer_free(NULL), GSL_SUCCESS))                                        \
    X(GSL_EINVAL, spire_trainer_set_adam(F.tr, NULL))                                              \
    X(GSL_EINVAL, spire_trainer_iterate(NULL))                                                     \
    /* spire/sample.h */                                                                           \
    X(GSL_EINVAL, spire_sample(NULL, F.s, SPIRE_SAMPLER_DDIM, 5, 0, 0, 0, 4, 1, F.xf))                \
    X(GSL_EDOM, spire_sample(F.m2, F.s, SPIRE_SAMPLER_DDIM, 5, 0, 0, 3, 4, 1, F.xf))                  \
    X(GSL_EDOM, spire_sample(F.m2, F.s, SPIRE_SAMPLER_DDIM, 21, 0, 0, 0, 4, 1, F.xf))                 \
    X(GSL_EDOM, spire_sample(F.m2, F.s, SPIRE_SAMPLER_DDIM, 5, -1, 0, 0, 4, 1, F.xf))                 \
    X(GSL_EDOM, spire_sample(F.m2, F.s, SPIRE_SAMPLER_DDIM, 5, 0, 1.5, 0, 4, 1, F.xf))                \
    X(GSL_EDOM, spire_sample(F.m2, F.s, SPIRE_SAMPLER_DDPM, 5, 0, NAN, 0, 4, 1, F.xf))                \
    X(GSL_EDOM, spire_sample_fn(spire_fed_exact_eps, &F.ex, 2, F.s, SPIRE_SAMPLER_DDIM, 5, 0, -0.5, 4, 1, F.xf)) \
    X(GSL_EINVAL, spire_ddim_coefs(F.s, 5, 4, 0.5, F.out, F.out + 1, NULL))                       \
    X(GSL_EINVAL, spire_ddim_coefs(NULL, 5, 4, 0.5, F.out, F.out + 1, F.out + 2))                 \
    X(GSL_EDOM, spire_ddim_coefs(F.s, 0, 0, 0.5, F.out, F.out + 1, F.out + 2))                    \
    X(GSL_EDOM, spire_ddim_coefs(F.s, 21, 4, 0.5, F.out, F.out + 1, F.out + 2))                   \
    X(GSL_EDOM, spire_ddim_coefs(F.s, 5, 5, 0.5, F.out, F.out + 1, F.out + 2))                    \
    X(GSL_EDOM, spire_ddim_coefs(F.s, 5, 4, 1.01, F.out, F.out + 1, F.out + 2))                   \
    X(GSL_EDOM, spire_ddim_coefs(F.s, 5, 4, NAN, F.out, F.out + 1, F.out + 2))                    \
    X(GSL_EINVAL, spire_sample(F.m2, F.s, (spire_sampler)7, 5, 0, 0, 0, 4, 1, F.xf))                  \
    X(GSL_EINVAL, spire_sample_fn(NULL, NULL, 2, F.s, SPIRE_SAMPLER_DDIM, 5, 0, 0, 4, 1, F.xf))       \
    X(GSL_EDOM, spire_sample_fn(spire_fed_exact_eps, &F.ex, 0, F.s, SPIRE_SAMPLER_DDIM, 5, 0, 0, 4, 1, F.xf)) \
    X(GSL_EINVAL, spire_sample_kid(F.m2, F.s, SPIRE_SAMPLER_DDIM, 5, 0, 0, 0, NULL, 8, 8, 2, 1, 1, F.out, F.out + 1)) \
    X(GSL_EDOM, spire_sample_kid(F.m2, F.s, SPIRE_SAMPLER_DDIM, 5, 0, 0, 0, F.xf, 1, 8, 2, 1, 1, F.out, F.out + 1)) \
    X(GSL_EINVAL, spire_sampler_parse("euler", &(spire_sampler){ 0 }))                             \
    X(GSL_EINVAL, QMARK_IS_EINVAL(spire_sampler_name((spire_sampler)9)))                           \
    /* spire/kid.h */                                                                              \
    X(GSL_EINVAL, spire_kid_mmd2(NULL, 4, F.y, 4, 2, F.out))                                       \
    X(GSL_EDOM, spire_kid_mmd2(F.x, 1, F.y, 4, 2, F.out))                                          \
    X(GSL_EINVAL, spire_kid_idx(F.x, 8, F.y, 8, 2, 1, 2, NULL, F.idx, &F.kr))   \
    X(GSL_EDOM, spire_kid_idx(F.x, 8, F.y, 8, 2, 1, 2, (size_t[]){ 0, 9 }, F.idx, &F.kr)) \
    X(GSL_EINVAL, spire_kid(F.x, 8, F.y, 8, 2, 2, 4, 1, NULL))                                     \
    X(GSL_EDOM, spire_kid(F.x, 8, F.y, 8, 2, 2, 9, 1, &F.kr))                   \
    X(GSL_EDOM, spire_kid(F.x, 8, F.y, 8, 2, 0, 4, 1, &F.kr))                   \
    /* spire/data.h */                                                                             \
    X(GSL_EINVAL, ctor_spire_data_load(NULL))                                                      \
    X(GSL_EINVAL, ctor_spire_data_load("gmm:K=0"))                                                 \
    X(GSL_SUCCESS, (spire_data_free(NULL), GSL_SUCCESS))                                           \
    X(GSL_EINVAL, spire_data_read_digits(NULL, &(float *){ NULL }, &(int *){ NULL }, &(size_t){ 0 }, NULL, 0)) \
    X(GSL_EINVAL, spire_data_read_csv(F.ckpt, NULL, &(size_t){ 0 }, &(size_t){ 0 }, NULL, 0))     \
    /* spire/clf.h */                                                                              \
    X(GSL_SUCCESS, (spire_clf_opts_default(NULL), GSL_SUCCESS))                                    \
    X(GSL_EINVAL, ctor_spire_clf_train(NULL, F.clab, 16, 2, &F.co))                                \
    X(GSL_EINVAL, ctor_spire_clf_train(F.xf, F.clab, 16, 2, NULL))                                 \
    X(GSL_EDOM, ctor_spire_clf_train(F.xf, F.clab, 1, 2, &F.co))                                   \
    X(GSL_EDOM, ctor_spire_clf_train(F.xf, F.clab, 16, 1, &F.co))                                  \
    X(GSL_EDOM, clf_steps0())                                                                      \
    X(GSL_SUCCESS, (spire_clf_free(NULL), GSL_SUCCESS))                                            \
    X(GSL_EINVAL, ZERO_IS_EINVAL(spire_clf_ninputs(NULL)))                                         \
    X(GSL_EINVAL, ZERO_IS_EINVAL(spire_clf_nclasses(NULL)))                                        \
    X(GSL_EINVAL, ZERO_IS_EINVAL(spire_clf_nfeatures(NULL)))                                       \
    X(GSL_EINVAL, ZERO_IS_EINVAL(spire_clf_nparams(NULL)))                                         \
    X(GSL_EINVAL, NAN_IS_EINVAL(spire_clf_train_loss(NULL)))                                       \
    X(GSL_EINVAL, spire_clf_predict(F.clf, F.xf, 4, NULL))                                         \
    X(GSL_EDOM, spire_clf_predict(F.clf, F.xf, 0, F.lab))                                          \
    X(GSL_EINVAL, spire_clf_features(NULL, F.xf, 4, F.ef))                                         \
    X(GSL_EDOM, spire_clf_features(F.clf, F.xf, 0, F.ef))                                          \
    X(GSL_EINVAL, spire_clf_accuracy(F.clf, F.xf, NULL, 4, F.out, F.out + 1))                      \
    X(GSL_EDOM, spire_clf_accuracy(F.clf, F.xf, F.clab, 0, F.out, F.out + 1))                      \
    X(GSL_EINVAL, spire_clf_label_hist(F.clf, NULL, 4, F.out))                                     \
    X(GSL_EDOM, spire_clf_label_hist(F.clf, F.xf, 0, F.out))                                       \
    X(GSL_EINVAL, spire_clf_tv(F.w, NULL, 2, F.out))                                               \
    X(GSL_EDOM, spire_clf_tv(F.w, F.w, 0, F.out))                                                  \
    X(GSL_EDOM, spire_clf_tv(F.w, (double[]){ 0.5, NAN }, 2, F.out))                              \
    X(GSL_EINVAL, spire_clf_kid(F.clf, F.xf, 8, NULL, 8, 2, 4, 1, &F.kr))                          \
    X(GSL_EDOM, spire_clf_kid(F.clf, F.xf, 8, F.xf, 8, 2, 9, 1, &F.kr))                            \
    X(GSL_EDOM, spire_clf_kid(F.clf, F.xf, 8, F.xf, 8, 0, 4, 1, &F.kr))                            \
    /* spire/ckpt.h */                                                                             \
    X(GSL_EINVAL, spire_ckpt_save(NULL, F.m, F.s, NULL, NULL, NULL, 0))                            \
    X(GSL_EINVAL, spire_ckpt_save(F.ckpt, NULL, F.s, NULL, NULL, NULL, 0))                         \
    X(GSL_EINVAL, spire_ckpt_load(F.ckpt, NULL, NULL, 0))                                          \
    X(GSL_SUCCESS, (spire_ckpt_clear(NULL), GSL_SUCCESS))                                          \
    /* spire/fed.h */                                                                              \
    X(GSL_SUCCESS, (spire_fed_data_opts_default(NULL, SPIRE_FED_GMM2), GSL_SUCCESS))               \
    X(GSL_EINVAL, ctor_spire_fed_data_make(NULL))                                                  \
    X(GSL_EINVAL, data_make_kind())                                                                \
    X(GSL_EDOM, data_make_C1())                                                                    \
    X(GSL_SUCCESS, (spire_fed_data_free(NULL), GSL_SUCCESS))                                       \
    X(GSL_EINVAL, spire_fed_pick_new(3, 1, 1, NULL))                                               \
    X(GSL_EDOM, spire_fed_pick_new(3, 3, 1, (int[3]){ 0 }))                                        \
    X(GSL_SUCCESS, (spire_fed_opts_default(NULL), GSL_SUCCESS))                                    \
    X(GSL_EINVAL, ctor_spire_fed_run_alloc(NULL))                                                  \
    X(GSL_EDOM, ctor_spire_fed_run_alloc(cfg_with(0, SPIRE_EMBED_TIME)))        \
    X(GSL_SUCCESS, (spire_fed_run_free(NULL), GSL_SUCCESS))                                        \
    X(GSL_EINVAL, spire_fed_average(NULL, F.xf, F.w, 2, 2))                                        \
    X(GSL_EDOM, spire_fed_average(F.ef, F.xf, F.w, 0, 2))                                          \
    X(GSL_EDOM, spire_fed_average(F.ef, F.xf, (double[]){ 0, 0 }, 2, 2))                           \
    X(GSL_EINVAL, spire_fed_round(F.run, F.s, NULL, F.known, &F.fo))                               \
    X(GSL_EDOM, fed_round_lr0())                                                                   \
    X(GSL_EDOM, spire_fed_round(F.run, F.s, F.fd, (int[3]){ 0 }, &F.fo))                           \
    X(GSL_EINVAL, spire_fed_to_model(F.run, NULL))                                                 \
    X(GSL_EINVAL, spire_fed_model_copy(NULL, F.m))                                                 \
    X(GSL_EINVAL, spire_fed_save(NULL, F.run, "cfg", NULL, 0))                                     \
    X(GSL_EINVAL, spire_fed_load(F.ckpt, F.run, NULL, NULL, 0))                                    \
    X(GSL_EINVAL, QMARK_IS_EINVAL(spire_fed_method_name((spire_fed_method)99)))                    \
    X(GSL_EINVAL, spire_fed_method_parse("sgd", &(spire_fed_method){ 0 }))                         \
    X(GSL_EINVAL, (spire_fed_method_get((spire_fed_method)99) == NULL ? GSL_EINVAL : GSL_SUCCESS)) \
    X(GSL_EINVAL, spire_fed_method_list(NULL, 10))                                                 \
    X(GSL_EDOM, spire_fed_method_list(F.line, 5))                                                  \
    /* spire/experiment.h */                                                                       \
    X(GSL_EINVAL, spire_exp_opts_preset(NULL, SPIRE_FED_GMM2, 1))                                  \
    X(GSL_EINVAL, spire_exp_opts_preset(&(spire_exp_opts){ 0 }, (spire_fed_kind)7, 1))             \
    X(GSL_EINVAL, spire_exp_opts_check(NULL, NULL, 0))                                             \
    X(GSL_EDOM, exp_check_seeds0())                                                                \
    X(GSL_EINVAL, spire_exp_ci_t(NULL, 2, 0.95, &(spire_exp_ci){ 0 }))                             \
    X(GSL_EDOM, spire_exp_ci_t(F.x, 2, 1.0, &(spire_exp_ci){ 0 }))                                 \
    X(GSL_EINVAL, spire_exp_sign_ci(1, 2, 0.95, NULL))                                             \
    X(GSL_EDOM, spire_exp_sign_ci(3, 2, 0.95, &(spire_exp_ci){ 0 }))                               \
    X(GSL_EINVAL, spire_exp_signed_rank_ci(NULL, 7, 0.98, &(spire_exp_ci){ 0 }))                   \
    X(GSL_EINVAL, spire_exp_signed_rank_ci(F.x, 2, 0.98, NULL))                                    \
    X(GSL_EDOM, spire_exp_signed_rank_ci(F.x, 2, 0.0, &(spire_exp_ci){ 0 }))                       \
    X(GSL_EINVAL, (strcmp(spire_exp_verdict(NAN, NAN, 0), "UNDECIDED") ? GSL_SUCCESS : GSL_EINVAL)) \
    X(GSL_EINVAL, spire_exp_run(NULL, &(spire_exp_result *){ NULL }, NULL, 0))                     \
    X(GSL_EDOM, exp_run_seeds0())                                                                  \
    X(GSL_SUCCESS, (spire_exp_result_free(NULL), GSL_SUCCESS))                                     \
    X(GSL_EINVAL, spire_exp_claims(NULL, NULL))                                                    \
    X(GSL_EINVAL, spire_exp_write(NULL, "/tmp", NULL, 0))                                          \
    X(GSL_SUCCESS, (spire_fed_adapt_opts_default(NULL), GSL_SUCCESS))                              \
    X(GSL_EINVAL, ZERO_IS_EINVAL(spire_fed_trainable(NULL, SPIRE_FED_M_FULL, 2)))                  \
    X(GSL_EINVAL, spire_fed_adapt(NULL, F.s, SPIRE_FED_M_SPIRE, 2, F.xf, 8, F.known, &F.ao, NULL)) \
    X(GSL_EINVAL, spire_fed_adapt(F.m2, F.s, (spire_fed_method)99, 2, F.xf, 8, F.known, &F.ao, NULL)) \
    X(GSL_EDOM, spire_fed_adapt(F.m2, F.s, SPIRE_FED_M_SPIRE, 3, F.xf, 8, F.known, &F.ao, NULL))   \
    X(GSL_EDOM, adapt_lr0())                                                                       \
    X(GSL_EINVAL, spire_fed_generate(F.m2, F.s, 0, NULL, F.xf))                                    \
    X(GSL_EDOM, spire_fed_generate(F.m2, F.s, 5, &F.eo, F.xf))                                     \
    X(GSL_EINVAL, spire_fed_kid(F.m2, F.s, NULL, 0, &F.eo, NULL, &F.kr))        \
    X(GSL_EDOM, spire_fed_kid(F.m2, F.s, F.fd, 3, &F.eo, NULL, &F.kr))          \
    X(GSL_EINVAL, spire_fed_kid_clients(F.m2, F.s, F.fd, NULL, 1, &F.eo, F.out, F.resp))          \
    X(GSL_EDOM, spire_fed_kid_clients(F.m2, F.s, F.fd, (int[3]){ 1, 1, 1 }, 1,                     \
                                      &(spire_fed_eval_opts){ .n_gen = 1, .ddim_steps = 5,        \
                                          .subsets = 2, .subset_size = 4, .seed = 1 },            \
                                      F.out, F.resp))                                             \
    X(GSL_EINVAL, spire_fed_implied_weights(F.xf, 4, 2, NULL, 2, F.out))                           \
    X(GSL_EDOM, spire_fed_implied_weights(F.xf, 0, 2, F.mu, 2, F.out))                             \
    X(GSL_EINVAL, spire_fed_exact_eps(NULL, F.xf, 1, 1, F.ef))                                     \
    X(GSL_EINVAL, exact_null_mu())                                                                 \
    X(GSL_EDOM, exact_bad_step())                                                                  \
    X(GSL_EINVAL, spire_fed_probe_loo(NULL, F.y, 4, 2, 1e-3, F.out, F.resp))                       \
    X(GSL_EDOM, spire_fed_probe_loo(F.x, F.y, 2, 2, 1e-3, F.out, F.resp))                          \
    X(GSL_EDOM, spire_fed_probe_loo(F.x, F.y, 4, 2, -1.0, F.out, F.resp))                          \
    X(GSL_EINVAL, spire_fed_bridge_gmm2(F.m2, F.s, F.fd, 0, 1, 5, 10, 1, NULL))                    \
    X(GSL_EDOM, spire_fed_bridge_gmm2(F.m2, F.s, F.fd, 0, 1, 0, 10, 1, &F.br))  \
    X(GSL_EDOM, spire_fed_bridge_gmm2(F.m2, F.s, F.fd, 0, 7, 5, 10, 1, &F.br))  \
    /* proofs_check/claims.h */                                                                    \
    X(GSL_SUCCESS, (pc_opts_default(NULL), GSL_SUCCESS))                                           \
    X(GSL_EINVAL, pc_c1_identifiability(NULL, &F.pr))                                  \
    X(GSL_EINVAL, pc_c2_landscape(&F.po, NULL))                                                    \
    X(GSL_EINVAL, pc_c3_gd_rate(NULL, &F.pr))                                          \
    X(GSL_EINVAL, pc_c4_mc_agreement(NULL, &F.pr))                                     \
    X(GSL_EINVAL, pc_c5_dimension_free(NULL, &F.pr))                                   \
    X(GSL_EINVAL, pc_c6_rate(NULL, &F.pr))                                             \
    X(GSL_EINVAL, pc_c7_mle_bridge(NULL, &F.pr))                                       \
    X(GSL_EINVAL, pc_c8_step_size(NULL, &F.pr))                                        \
    X(GSL_EINVAL, pc_c9_means_contrast(NULL, &F.pr))                                   \
    X(GSL_EINVAL, pc_c10_embedding_bias(NULL, &F.pr))                                  \
    X(GSL_EINVAL, pc_c11_weighting(NULL, &F.pr))                                       \
    X(GSL_EINVAL, pc_c11_weighting(&F.po, NULL))                                       \
    X(GSL_EINVAL, pc_c12_kcomp_landscape(NULL, &F.pr))                                 \
    X(GSL_EINVAL, pc_c13_kcomp_dimension_free(&F.po, NULL))                            \
    X(GSL_EINVAL, pc_joint_fit(NULL, 0.6, 10, 1, 1, F.out, NULL, F.out + 1))                             \
    X(GSL_EDOM, pc_joint_fit(F.g, 1.5, 10, 1, 1, F.out, NULL, F.out + 1))                                \
    X(GSL_EDOM, pc_joint_fit(F.g, 0.6, 0, 1, 1, F.out, NULL, F.out + 1))                                 \
    X(GSL_EINVAL, pc_ks2(NULL, 2, F.y, 2, F.out, F.out + 1))                                       \
    X(GSL_EINVAL, pc_loss_shifted(F.q, F.g, 0.5, 0.5, 0.0, NULL))                                  \
    X(GSL_EINVAL, pc_loss_bad_hess(F.q, F.g, 0.5, 0.5, 0.0, NULL))                                 \
    X(GSL_SUCCESS, (pc_tally_init(NULL), GSL_SUCCESS))                                             \
    X(GSL_SUCCESS, (pc_tally_add(NULL, &F.pr), GSL_SUCCESS))                                       \
    X(GSL_EINVAL, pc_tally_verdict(NULL, 1, F.out, F.out, F.out, F.out, &(int){ 0 }))              \
    X(GSL_EDOM, tally_empty(0))                                                                    \
    X(GSL_EINVAL, pc_tally_power(NULL, F.out, F.out, F.out, &(int){ 0 }))                          \
    X(GSL_EDOM, tally_empty(1))                                                                    \
    /* proofs_check/rates.h */                                                                     \
    X(GSL_EINVAL, pc_rate_sidak_level(0.01, 2, NULL))                                              \
    X(GSL_EDOM, pc_rate_sidak_level(1.0, 2, F.out))                                                \
    X(GSL_EINVAL, pc_rate_sidak_z(0.01, 2, NULL))                                                  \
    X(GSL_EDOM, pc_rate_sidak_z(0.01, 0, F.out))                                                   \
    X(GSL_EINVAL, pc_rate_bonferroni(0.01, 2, NULL))                                               \
    X(GSL_EDOM, pc_rate_bonferroni(0.0, 2, F.out))                                                 \
    X(GSL_EINVAL, pc_rate_fisher_upper(0.5, 10, 0.01, NULL))                                       \
    X(GSL_EDOM, pc_rate_fisher_upper(1.5, 10, 0.01, F.out))                                        \
    X(GSL_EINVAL, pc_rate_fisher_crit(0.5, 10, 0.01, NULL))                                        \
    X(GSL_EDOM, pc_rate_fisher_crit(0.5, 3, 0.01, F.out))                                          \
    X(GSL_EINVAL, pc_rate_tolerance(0.1, 0.1, 0.01, NULL))                                         \
    X(GSL_EDOM, pc_rate_tolerance(-0.1, 0.1, 0.01, F.out))                                         \
    X(GSL_EINVAL, pc_rate_slope(NULL, F.y, F.y, 2, F.out, F.out))                                  \
    X(GSL_EDOM, pc_rate_slope(F.x, F.y, F.y, 1, F.out, F.out))                                     \
    X(GSL_EINVAL, pc_rate_log_mean(NULL, 2, F.out, F.out))                                         \
    X(GSL_EDOM, pc_rate_log_mean(F.y, 1, F.out, F.out))                                            \
    X(GSL_EINVAL, pc_rate_log_rms(NULL, 2, F.out, F.out))                                          \
    X(GSL_EDOM, pc_rate_log_rms(F.y, 1, F.out, F.out))                                             \
    X(GSL_EINVAL, pc_rate_var_about(NULL, 2, 0.0, F.out, F.out))                                   \
    X(GSL_EDOM, pc_rate_var_about(F.y, 2, NAN, F.out, F.out))                                      \
    X(GSL_EINVAL, pc_rate_msq_chisq(1.0, 10, 1.0, 3.0, NULL))                                      \
    X(GSL_EDOM, pc_rate_msq_chisq(1.0, 10, 1.0, 0.5, F.out))                                       \
    X(GSL_EINVAL, pc_rate_var_chisq(1.0, 10, 1.0, 3.0, NULL))                                      \
    X(GSL_EDOM, pc_rate_var_chisq(1.0, 10, 1.0, 0.5, F.out))                                       \
    X(GSL_EINVAL, pc_rate_z_of_p(0.5, NULL))                                                       \
    X(GSL_EDOM, pc_rate_z_of_p(-0.5, F.out))                                                       \
    X(GSL_EINVAL, pc_rate_var_family(F.y, 1, 2, NULL, F.y, 0, F.out, NULL, NULL))                  \
    X(GSL_EDOM, pc_rate_var_family(F.x, 1, 2, NULL, F.y, 0, F.out, &(size_t){ 0 }, NULL))          \
    X(GSL_EINVAL, pc_c13_cov_family(NULL, 1, 2, F.y, F.out, &(size_t){ 0 }, F.out, F.out))         \
    X(GSL_EDOM, pc_c13_cov_family(F.y, 0, 2, F.y, F.out, &(size_t){ 0 }, F.out, F.out))            \
    X(GSL_EINVAL, pc_rate_binom_ci(1, 2, 0.95, NULL, F.out))                                       \
    X(GSL_EDOM, pc_rate_binom_ci(3, 2, 0.95, F.out, F.out))                                        \
    X(GSL_EINVAL, pc_rate_binom_tail(1, 2, 0.5, NULL))                                             \
    X(GSL_EDOM, pc_rate_binom_tail(1, 2, 1.5, F.out))                                              \
    X(GSL_EINVAL, pc_rate_seeds_verdict(1, 2, 0.01, 0.001, NULL, F.out))                           \
    X(GSL_EDOM, pc_rate_seeds_verdict(1, 0, 0.01, 0.001, &(int){ 0 }, F.out))                      \
    X(GSL_EDOM, pc_ks2(F.x, 0, F.y, 2, F.out, F.out + 1))                                          \
    /* proofs_check/sweep.h */                                                                     \
    X(GSL_SUCCESS, pc_sweep_dom_t(0).hi == 0 ? GSL_SUCCESS : GSL_EFAILED) /* no failure mode */ \
    X(GSL_EDOM, pc_sweep_list_parse("2", &F.dom_t1, &F.list, NULL, 0)) \
    X(GSL_EINVAL, pc_sweep_list_parse("1", &pc_sweep_dom_d, NULL, NULL, 0))                        \
    X(GSL_EINVAL, pc_sweep_list_parse("1,,2", &pc_sweep_dom_d, &F.list, NULL, 0)) \
    X(GSL_EDOM, pc_sweep_list_parse("1.5", &pc_sweep_dom_pi, &F.list, NULL, 0)) \
    X(GSL_EINVAL, pc_sweep_list_set(NULL, F.x, 2))                                                 \
    X(GSL_SUCCESS, (pc_sweep_list_free(NULL), GSL_SUCCESS))                                        \
    X(GSL_SUCCESS, (pc_sweep_spec_init(NULL), GSL_SUCCESS))                                        \
    X(GSL_SUCCESS, (pc_sweep_spec_free(NULL), GSL_SUCCESS))                                        \
    X(GSL_EINVAL, NAN_IS_EINVAL(pc_sweep_spec_ncells(NULL)))                                       \
    X(GSL_EINVAL, ctor_pc_sweep_grid_alloc(NULL))                                                  \
    X(GSL_EDOM, spec_reps0())                                                                      \
    X(GSL_SUCCESS, (pc_sweep_grid_free(NULL), GSL_SUCCESS))                                        \
    X(GSL_EINVAL, pc_sweep_grid_spec(NULL) ? GSL_SUCCESS : GSL_EINVAL)                             \
    X(GSL_EINVAL, ZERO_IS_EINVAL(pc_sweep_grid_ncells(NULL)))                                      \
    X(GSL_EINVAL, ZERO_IS_EINVAL(pc_sweep_grid_nlevels(NULL)))                                     \
    X(GSL_EINVAL, ZERO_IS_EINVAL(pc_sweep_grid_width(NULL)))                                       \
    X(GSL_EINVAL, pc_sweep_cell_at(NULL, 0, &F.cell))                                \
    X(GSL_EDOM, pc_sweep_cell_at(F.grid, 1, &F.cell))                                \
    X(GSL_EINVAL, pc_sweep_cell_index(F.grid, 0, 0, 0, 0, 0, NULL))                                \
    X(GSL_EDOM, pc_sweep_cell_index(F.grid, 0, 1, 0, 0, 0, &(size_t){ 0 }))                        \
    X(GSL_EINVAL, pc_sweep_cell_run(F.grid, 0, NULL, NULL, F.rows, NULL))                          \
    X(GSL_EDOM, pc_sweep_cell_run(F.grid, 5, NULL, NULL, F.rows, &F.nrows))                        \
    X(GSL_EINVAL, pc_sweep_grid_id(NULL, F.line))                                                  \
    X(GSL_EINVAL, ZERO_IS_EINVAL(pc_sweep_cell_cost(NULL, 0)))                                     \
    X(GSL_EINVAL, pc_sweep_cell_reps(F.grid, 0, 0, 1, NULL, NULL, NULL, F.x, (unsigned char[4]){ 0 }, (unsigned char[4]){ 0 })) \
    X(GSL_EDOM, pc_sweep_cell_reps(F.grid, 0, 2, 1, NULL, NULL, F.x, F.x, (unsigned char[4]){ 0 }, (unsigned char[4]){ 0 })) \
    X(GSL_EINVAL, pc_sweep_cell_rows(F.grid, 0, NULL, F.x, (unsigned char[4]){ 0 }, (unsigned char[4]){ 0 }, 0.0, F.rows, &F.nrows)) \
    X(GSL_EDOM, pc_sweep_cell_rows(F.grid, 5, F.x, F.x, (unsigned char[4]){ 0 }, (unsigned char[4]){ 0 }, 0.0, F.rows, &F.nrows)) \
    X(GSL_SUCCESS, pc_sweep_csv_header() ? GSL_SUCCESS : GSL_EFAILED)                                \
    X(GSL_SUCCESS, pc_sweep_csv_kheader() ? GSL_SUCCESS : GSL_EFAILED)                              \
    X(GSL_EINVAL, pc_sweep_csv_key(NULL, 0, PC_SWEEP_DDPM, F.line, sizeof F.line))                 \
    X(GSL_EDOM, pc_sweep_csv_key(F.grid, 3, PC_SWEEP_DDPM, F.line, sizeof F.line))                 \
    X(GSL_EINVAL, pc_sweep_csv_row(F.grid, NULL, F.line, sizeof F.line))                           \
    X(GSL_EINVAL, pc_sweep_csv_match(F.grid, NULL, &(size_t){ 0 }, &(unsigned){ 0 }))              \
    X(GSL_EINVAL, pc_sweep_csv_match(F.grid, "not,a,row", &(size_t){ 0 }, &(unsigned){ 0 }))       \
    X(GSL_EINVAL, pc_sweep_estimator_name(9) ? GSL_SUCCESS : GSL_EINVAL)                           \
    X(GSL_EINVAL, pc_sweep_estimators_parse("mom", &(unsigned){ 0 }, NULL, 0))                     \
    X(GSL_EINVAL, pc_sweep_estimators_parse("ddpm", NULL, NULL, 0))

/* An empty tally: verdict (power = 0) or power (1) on no seed is GSL_EDOM. */
static int tally_empty(int power)
{
    pc_tally t;
    double a, b, c, d;
    int ok;
    pc_tally_init(&t);
    return power ? pc_tally_power(&t, &a, &b, &c, &ok) : pc_tally_verdict(&t, 1, &a, &b, &c, &d, &ok);
}

static int run_row(size_t i)
{
    size_t k = 0;
#define X(code, call) if (i == k++) return (call);
    ROWS(X)
#undef X
    return -999;
}

static const struct { int code; const char *call; } rows[] = {
#define X(code, call) { code, #call },
    ROWS(X)
#undef X
};
static const size_t nrows = sizeof rows / sizeof rows[0];

static void test_table(void)
{
    gsl_set_error_handler_off();
    int st = fixture_open();
    if (st) fprintf(stderr, "\n  cu_errors: fixture: %s (%s)\n", gsl_strerror(st), F.err);
    CU_ASSERT_EQUAL_FATAL(st, GSL_SUCCESS);
    size_t bad = 0;
    for (size_t i = 0; i < nrows; i++) {
        int got = run_row(i);
        if (got != rows[i].code) {
            bad++;
            fprintf(stderr, "\n  cu_errors: %s\n    expected %d (%s), got %d (%s)", rows[i].call, rows[i].code,
                    gsl_strerror(rows[i].code), got, got >= 0 ? gsl_strerror(got) : "constructor status and NULL disagree");
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
    fixture_close();
}

/* Every function a public header declares is called in the table, or is one
 * of the kernels that by design check nothing (spire/nn.h says so). */
static void test_coverage(void)
{
    static const char *headers[] = { "gmm/gmm.h", "ddpm/ddpm.h", "ddpm/schedule.h", "spire/ckpt.h",
                                     "spire/data.h", "spire/fed.h", "spire/experiment.h", "spire/kid.h", "spire/clf.h",
                                     "spire/model.h",
                                     "spire/sample.h", "spire/train.h", "proofs_check/claims.h",
                                     "proofs_check/sweep.h", "proofs_check/rates.h", "spire/nn.h", "ddpm/kmix.h",
                                     "ddpm/weighting.h" };
    size_t tlen = 1;
    for (size_t i = 0; i < nrows; i++) tlen += strlen(rows[i].call) + 1;
    char *table = malloc(tlen);
    CU_ASSERT_PTR_NOT_NULL_FATAL(table);
    table[0] = 0;
    for (size_t i = 0; i < nrows; i++) { strcat(table, rows[i].call); strcat(table, " "); }
    size_t checked = 0, missing = 0;
    for (size_t h = 0; h < sizeof headers / sizeof headers[0]; h++) {
        char *text = cu_slurp(".", headers[h]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(text);
        int kernels = strcmp(headers[h], "spire/nn.h") == 0;
        /* declarations: a line starting with a type, then NAME( with a module prefix */
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
            if (!(line[0] >= 'a' && line[0] <= 'z')) continue;
            if (!strncmp(line, "typedef", 7) || !strncmp(line, "extern", 6)) continue;
            char *paren = strchr(line, '(');
            if (!paren) continue;
            char *e = paren;
            while (e > line && (e[-1] == '_' || (e[-1] >= 'a' && e[-1] <= 'z') || (e[-1] >= '0' && e[-1] <= '9'))) e--;
            size_t n = (size_t)(paren - e);
            if (n < 4 || !(strncmp(e, "gmm", 3) == 0 || strncmp(e, "ddpm_", 5) == 0 ||
                           strncmp(e, "spire_", 6) == 0 || strncmp(e, "pc_", 3) == 0 ||
                           strncmp(e, "kmix_", 5) == 0))
                continue;
            char name[128];
            snprintf(name, sizeof name, "%.*s(", (int)n, e);
            checked++;
            if (kernels) continue;   /* spire/nn.h: the kernels check nothing, by design */
            if (!strstr(table, name)) {
                missing++;
                fprintf(stderr, "\n  cu_errors: %s (%s) is not in the table", name, headers[h]);
            }
        }
        free(text);
    }
    free(table);
    CU_ASSERT(checked > 150);
    CU_ASSERT_EQUAL(missing, 0);
}

CU_TestInfo cu_errors_tests[] = {
    { "every public function: documented codes", test_table },
    { "every public function is in the table", test_coverage },
    CU_TEST_INFO_NULL
};
