/* tests/cu_figs.c — the figure recipes (paper_figs/): each figure's data
 * against the library it comes from (the CSV beside F1 is the loss at those
 * points, F7's gradients are ℓ′ at its grid points, F8's verdicts follow the
 * threshold 2/ℓ″(θ*)), PNGs of the requested size (IHDR chunk), index.html and
 * REPORT.md naming every figure, and the gnuplot-missing path (data and
 * scripts written, no image, still success).  Rendering tests print
 * "skipped" when gnuplot 5.4+ is not installed. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gsl/gsl_errno.h>
#include "common/spl.h"
#include "ddpm/ddpm.h"
#include "gmm/gmm.h"
#include "paper_figs/figs.h"
#include "paper_figs/figs_fed.h"
#include "plots/plots.h"
#include "spire/data.h"
#include "spire/experiment.h"
#include "tests/cu_util.h"


/* ---- a tiny CSV reader: header names, rows of fields -------------------------- */
typedef struct { char **f; size_t nf; } csv_row;
typedef struct { csv_row head; csv_row *rows; size_t n; char *buf; } csv;

static void split(char *line, csv_row *r)
{
    size_t cap = 16;
    r->f = malloc(cap * sizeof(char *));
    r->nf = 0;
    for (char *p = line;;) {
        if (r->nf == cap) r->f = realloc(r->f, (cap *= 2) * sizeof(char *));
        r->f[r->nf++] = p;
        char *c = strchr(p, ',');
        if (!c) break;
        *c = '\0';
        p = c + 1;
    }
}
static int csv_read(const char *d, const char *name, csv *c)
{
    memset(c, 0, sizeof *c);
    c->buf = cu_slurp(d, name);
    if (!c->buf) return -1;
    size_t lines = 0;
    for (char *p = c->buf; *p; p++) lines += *p == '\n';
    c->rows = calloc(lines + 1, sizeof(csv_row));
    char *save = NULL, *line = strtok_r(c->buf, "\n", &save);
    if (!line) return -1;
    split(line, &c->head);
    while ((line = strtok_r(NULL, "\n", &save))) split(line, &c->rows[c->n++]);
    return 0;
}
static void csv_free(csv *c)
{
    free(c->head.f);
    for (size_t i = 0; i < c->n; i++) free(c->rows[i].f);
    free(c->rows);
    free(c->buf);
}
static int col(const csv *c, const char *name)
{
    for (size_t k = 0; k < c->head.nf; k++)
        if (!strcmp(c->head.f[k], name)) return (int)k;
    return -1;
}
static const char *fld(const csv *c, size_t i, int k)
{
    return k >= 0 && (size_t)k < c->rows[i].nf ? c->rows[i].f[k] : "";
}
static double num(const csv *c, size_t i, int k) { return strtod(fld(c, i, k), NULL); }

/* ---- options ---------------------------------------------------------------- */
static plots_caps nogp;            /* gnuplot "missing": data and scripts only */
static plots_caps gp;
static int have_gp = -1;

static void opts(pf_opts *o, const char *dir, const plots_caps *caps)
{
    pf_opts_default(o);
    o->quick = 1;
    o->seed = cu_seed(1);
    o->outdir = dir;
    o->caps = caps;
}
static int gnuplot_here(void)
{
    if (have_gp < 0) {
        plots_probe(NULL, &gp);
        have_gp = gp.found;
    }
    if (!have_gp) fprintf(stderr, " skipped (gnuplot 5.4+ not found) ");
    return have_gp;
}

/* F1: every quadrature row is ddpm_loss_level's excess at its (a, w); every
 * Monte Carlo row agrees with it within 5 of its own standard errors; the
 * marked minimum is at θ* = logit π. */
static void test_f1_data(void)
{
    char *d = cu_scratch();
    pf_opts o;
    opts(&o, d, &nogp);
    pf_result r;
    CU_ASSERT_EQUAL_FATAL(pf_figure_run(pf_figure_find("F1"), &o, &r), GSL_SUCCESS);
    /* gnuplot missing: data and script written, no image, success */
    CU_ASSERT_EQUAL(r.rendered, 0u);
    CU_ASSERT_STRING_EQUAL(r.stem, "F1-excess-loss");
    CU_ASSERT(cu_exists(d, "F1-excess-loss.csv") && cu_exists(d, "F1-excess-loss.gp"));
    CU_ASSERT_FALSE(cu_exists(d, "F1-excess-loss.png"));
    CU_ASSERT_FALSE(cu_exists(d, "F1-excess-loss.svg"));
    CU_ASSERT(strstr(r.caption, "θ*") != NULL);
    csv c;
    CU_ASSERT_EQUAL_FATAL(csv_read(d, "F1-excess-loss.csv", &c), 0);
    int ck = col(&c, "kind"), ca = col(&c, "alpha"), cw = col(&c, "w"), cp = col(&c, "p"), ce = col(&c, "excess"), cr = col(&c, "err");
    CU_ASSERT(ck >= 0 && ca >= 0 && cw >= 0 && cp >= 0 && ce >= 0 && cr >= 0);
    ddpm_quad *q = ddpm_quad_alloc();
    gmm2 *g = gmm2_alloc(1, NULL);
    gmm2_set(g, 0.3, 2.0, 0.0);
    size_t nq = 0, nmc = 0, nmin = 0;
    for (size_t i = 0; i < c.n; i++) {
        const char *kind = fld(&c, i, ck);
        double w = num(&c, i, cw), e = num(&c, i, ce);
        if (!strcmp(kind, "min")) {
            ASSERT_REL(w, spl_logit(0.3), TOL2);
            CU_ASSERT_EQUAL(e, 0.0);
            nmin++;
            continue;
        }
        double a = num(&c, i, ca), b = sqrt((1 - a) * (1 + a));
        ASSERT_REL(num(&c, i, cp), spl_sigmoid(w), TOL2);
        ddpm_loss_result res;
        CU_ASSERT_EQUAL(ddpm_loss_level(q, g, a, b, w, &res), GSL_SUCCESS);
        if (!strcmp(kind, "quad")) {
            /* printed with 12 significant digits */
            ASSERT_MIXED(e, res.excess.val, 1e-15, 1e-11);
            nq++;
        } else if (!strcmp(kind, "mc")) {
            double se = num(&c, i, cr);
            if (se > 0) ASSERT_WITHIN_SE(e, res.excess.val, se, 5.0);
            else CU_ASSERT(fabs(e) < 1e-12 && fabs(w - spl_logit(0.3)) < 1e-12);   /* at θ* */
            nmc++;
        }
    }
    CU_ASSERT_EQUAL(nq, 4u * 241u);
    CU_ASSERT_EQUAL(nmc, 4u * 11u);
    CU_ASSERT_EQUAL(nmin, 1u);
    /* the script reads the CSV by name */
    char *gps = cu_slurp(d, "F1-excess-loss.gp");
    CU_ASSERT(gps && strstr(gps, "DATA = 'F1-excess-loss.csv'") && strstr(gps, "column('excess')"));
    free(gps);
    ddpm_quad_free(q);
    gmm2_free(g);
    csv_free(&c);
    cu_rm_dir(d);
}

/* F7: the gradient column is ℓ′ at the row's (w, Δ or a), value = (w − θ*)ℓ′ > 0. */
static void test_f7_data(void)
{
    char *d = cu_scratch();
    pf_opts o;
    opts(&o, d, &nogp);
    pf_result r;
    CU_ASSERT_EQUAL_FATAL(pf_figure_run(pf_figure_find("F7"), &o, &r), GSL_SUCCESS);
    csv c;
    CU_ASSERT_EQUAL_FATAL(csv_read(d, "F7-sign-map.csv", &c), 0);
    int cpn = col(&c, "panel"), cx = col(&c, "x"), cy = col(&c, "y"), cw = col(&c, "w"), cg = col(&c, "grad"), cv = col(&c, "value");
    ddpm_quad *q = ddpm_quad_alloc();
    gmm2 *g = gmm2_alloc(1, NULL);
    size_t npos = 0;
    for (size_t i = 0; i < c.n; i++) {
        double x = num(&c, i, cx), y = num(&c, i, cy), w = num(&c, i, cw), v = num(&c, i, cv);
        npos += v > 0;
        ASSERT_REL(w - spl_logit(0.3), x, 1e-9);
        if (i % 37) continue;   /* recompute a sample of the rows */
        int sep_panel = !strcmp(fld(&c, i, cpn), "sep");
        double a = sep_panel ? 0.7 : y, sep = sep_panel ? y : 2.0;
        gmm2_set(g, 0.3, sep, 0.0);
        ddpm_loss_result res;
        CU_ASSERT_EQUAL(ddpm_loss_level(q, g, a, sqrt((1 - a) * (1 + a)), w, &res), GSL_SUCCESS);
        ASSERT_MIXED(num(&c, i, cg), res.grad.val, 1e-300, 1e-10);
        ASSERT_MIXED(v, x * res.grad.val, 1e-300, 1e-9);
    }
    CU_ASSERT_EQUAL(c.n, 100u * (40u + 49u));
    CU_ASSERT_EQUAL(npos, c.n);
    ddpm_quad_free(q);
    gmm2_free(g);
    csv_free(&c);
    cu_rm_dir(d);
}

/* F8: GD converges for η below 2/ℓ″(θ*) (with margin) and not above it,
 * and the η_crit column is 2/ℓ″(θ*) from the library. */
static void test_f8_threshold(void)
{
    char *d = cu_scratch();
    pf_opts o;
    opts(&o, d, &nogp);
    pf_result r;
    CU_ASSERT_EQUAL_FATAL(pf_figure_run(pf_figure_find("F8"), &o, &r), GSL_SUCCESS);
    csv c;
    CU_ASSERT_EQUAL_FATAL(csv_read(d, "F8-step-size.csv", &c), 0);
    int ca = col(&c, "a"), cs = col(&c, "sep"), cp = col(&c, "pi"), cc = col(&c, "eta_crit"), crt = col(&c, "ratio"), cv = col(&c, "converged");
    ddpm_quad *q = ddpm_quad_alloc();
    gmm2 *g = gmm2_alloc(1, NULL);
    size_t below = 0, above = 0;
    for (size_t i = 0; i < c.n; i++) {
        double a = num(&c, i, ca), ratio = num(&c, i, crt);
        int conv = (int)num(&c, i, cv);
        gmm2_set(g, num(&c, i, cp), num(&c, i, cs), 0.0);
        ddpm_loss_result res;
        ddpm_loss_level(q, g, a, sqrt((1 - a) * (1 + a)), spl_logit(num(&c, i, cp)), &res);
        ASSERT_REL(num(&c, i, cc), 2.0 / res.hess.val, 1e-9);
        /* below 0.9 of the threshold the cap (1000 steps) is never reached */
        if (ratio < 0.9) { CU_ASSERT_EQUAL(conv, 1); below++; }
        if (ratio > 1.001) { CU_ASSERT_EQUAL(conv, 0); above++; }
    }
    CU_ASSERT(below > 10 && above > 10);
    ddpm_quad_free(q);
    gmm2_free(g);
    csv_free(&c);
    cu_rm_dir(d);
}

/* Rendered: PNG of the requested size, SVG, nothing temporary left. */
static void test_render_size(void)
{
    if (!gnuplot_here()) return;
    char *d = cu_scratch();
    pf_opts o;
    opts(&o, d, &gp);
    o.page.width = 640;
    o.page.height = 480;
    pf_result r;
    CU_ASSERT_EQUAL_FATAL(pf_figure_run(pf_figure_find("F7"), &o, &r), GSL_SUCCESS);
    CU_ASSERT_EQUAL(r.rendered, (1u << PLOTS_PNG) | (1u << PLOTS_SVG));
    unsigned w = 0, h = 0;
    CU_ASSERT(cu_png_size(d, "F7-sign-map.png", &w, &h));
    CU_ASSERT_EQUAL(w, 640u);
    CU_ASSERT_EQUAL(h, 480u);
    char *svg = cu_slurp(d, "F7-sign-map.svg");
    CU_ASSERT(svg && strstr(svg, "<svg") && strstr(svg, "F7"));
    free(svg);
    /* PDF on request */
    o.fmts[0] = PLOTS_PDF;
    o.nfmts = 1;
    if (gp.terms & PLOTS_TERM_PDFCAIRO) {
        CU_ASSERT_EQUAL(pf_figure_run(pf_figure_find("F8"), &o, &r), GSL_SUCCESS);
        char *pdf = cu_slurp(d, "F8-step-size.pdf");
        CU_ASSERT(pdf && !strncmp(pdf, "%PDF-", 5));
        free(pdf);
    }
    DIR *D = opendir(d);
    struct dirent *e;
    while (D && (e = readdir(D))) CU_ASSERT(strstr(e->d_name, ".tmp") == NULL);
    if (D) closedir(D);
    cu_rm_dir(d);
}

/* index.html and REPORT.md name every figure, image, data file, script and
 * claim; without images they say so. */
static void test_index(void)
{
    char *d = cu_scratch();
    pf_opts o;
    opts(&o, d, &nogp);
    pf_result r[2];
    CU_ASSERT_EQUAL_FATAL(pf_figure_run(pf_figure_find("F7"), &o, &r[0]), GSL_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(pf_figure_run(pf_figure_find("F8"), &o, &r[1]), GSL_SUCCESS);
    r[0].rendered = (1u << PLOTS_PNG) | (1u << PLOTS_SVG);   /* as if gnuplot had drawn F7 */
    pc_result cl[2] = { { "C2", "sign check <with> & escapes", 1.0, 1.0, 1, 0.5, 1 },
                        { "C8", "step size", 0.2, 0.05, 0, 0.1, 1 } };
    CU_ASSERT_EQUAL_FATAL(pf_index_write(&o, r, 2, cl, 2, NULL, 0, 12.0), GSL_SUCCESS);
    char *h = cu_slurp(d, "index.html"), *m = cu_slurp(d, "REPORT.md");
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT(strstr(h, "<img src=\"F7-sign-map.png\"") && strstr(h, "href=\"F7-sign-map.svg\""));
    CU_ASSERT(strstr(h, "href=\"F7-sign-map.csv\"") && strstr(h, "href=\"F7-sign-map.gp\""));
    CU_ASSERT(strstr(h, "href=\"F8-step-size.csv\"") && strstr(h, "href=\"F8-step-size.gp\""));
    CU_ASSERT(strstr(h, "<img src=\"F8-step-size.png\"") == NULL);   /* not rendered */
    CU_ASSERT(strstr(h, "Image not rendered") != NULL);
    CU_ASSERT(strstr(h, "sign check &lt;with&gt; &amp; escapes") != NULL);
    CU_ASSERT(strstr(h, "class=\"FAIL\">FAIL") != NULL);
    CU_ASSERT(strstr(m, "![F7](F7-sign-map.png)") && strstr(m, "## F8 ") && strstr(m, "(F8-step-size.gp)"));
    CU_ASSERT(strstr(m, "| C8 | step size |") != NULL);
    CU_ASSERT(strstr(m, "C2 **PASS**") != NULL);
    /* every figure id and caption appears in both */
    for (int k = 0; k < 2; k++) {
        char id[16];
        snprintf(id, sizeof id, "id=\"%s\"", r[k].id);
        CU_ASSERT(strstr(h, id) != NULL);
    }
    free(h);
    free(m);
    /* claims not run */
    CU_ASSERT_EQUAL(pf_index_write(&o, r, 2, NULL, 0, NULL, 0, -1), GSL_SUCCESS);
    h = cu_slurp(d, "index.html");
    CU_ASSERT(h && strstr(h, "Claims not run") && strstr(h, "C2 not run"));
    free(h);
    cu_rm_dir(d);
}

/* Bad options; every figure in the table has a unique id and a recipe. */
static void test_table_and_errors(void)
{
    CU_ASSERT(pf_nfigures >= 11u);
    unsigned prev = 0;
    for (size_t k = 0; k < pf_nfigures; k++) {
        char id[24];
        snprintf(id, sizeof id, "F%zu", k + 1);          /* F1 … F11 in order, then increasing ids */
        if (k < 11) CU_ASSERT_STRING_EQUAL(pf_figures[k].id, id);
        unsigned num = 0;
        CU_ASSERT(sscanf(pf_figures[k].id, "F%u", &num) == 1 && num > prev);
        prev = num;
        CU_ASSERT(pf_figures[k].make != NULL);
        CU_ASSERT_PTR_EQUAL(pf_figure_find(pf_figures[k].id), &pf_figures[k]);
        CU_ASSERT(pf_figures[k].claims[0] == 'C' || pf_figures[k].claims[0] == 'E' || !strcmp(pf_figures[k].claims, "none"));
    }
    CU_ASSERT_PTR_NULL(pf_figure_find("F99"));
    CU_ASSERT_PTR_NULL(pf_figure_find(NULL));
    pf_opts o;
    pf_result r;
    opts(&o, "/tmp", NULL);   /* no caps */
    CU_ASSERT_EQUAL(pf_figure_run(pf_figure_find("F7"), &o, &r), GSL_EINVAL);
    CU_ASSERT_STRING_EQUAL(r.stem, "F7-sign-map");
    opts(&o, "/nonexistent/dir", &nogp);
    CU_ASSERT_EQUAL(pf_figure_run(pf_figure_find("F8"), &o, &r), GSL_EFAILED);
}

/* The demos: frames and data in range; bad parameters refused. */
static void test_demos(void)
{
    pf_demo_opts d;
    pf_demo_opts_default(&d);
    plots_fig *f = plots_fig_alloc();
    size_t nf = 0;
    CU_ASSERT_EQUAL(pf_demo_gd(&d, f, &nf), GSL_SUCCESS);
    CU_ASSERT_EQUAL(nf, d.steps + 1);
    /* the last iterate is close to π */
    const char *csvs = plots_fig_csv(f), *last = strrchr(csvs, '\n');
    while (last > csvs && last[-1] != '\n') last--;
    double p = NAN;
    CU_ASSERT(sscanf(last, "iter,%*u,%lf", &p) == 1);
    CU_ASSERT(fabs(p - d.pi) < 1e-3);
    plots_fig_free(f);
    d.points = 50;
    f = plots_fig_alloc();
    CU_ASSERT_EQUAL(pf_demo_diffusion(&d, f, &nf), GSL_SUCCESS);
    CU_ASSERT(nf > 40);
    CU_ASSERT(strstr(plots_fig_gp(f), "array FRAC") != NULL);
    plots_fig_free(f);
    pf_demo_opts bad = d;
    bad.pi = 1.0;
    f = plots_fig_alloc();
    CU_ASSERT_EQUAL(pf_demo_gd(&bad, f, &nf), GSL_EDOM);
    bad = d;
    bad.wrong_pi = 0;
    CU_ASSERT_EQUAL(pf_demo_diffusion(&bad, f, &nf), GSL_EDOM);
    bad = d;
    bad.reps = 3;
    CU_ASSERT_EQUAL(pf_demo_dimension(&bad, f, &nf), GSL_EDOM);
    plots_fig_free(f);
}


/* F10: the scatter's "data" rows are the held-out split of gmm:K=8,D=2 (loaded
 * here independently), 2000 generated points, a loss row every 5 steps, and
 * KID falls from the first evaluation to the last (an untrained network's
 * samples are far from the data). */
static void test_f10_data(void)
{
    char *d = cu_scratch();
    pf_opts o;
    opts(&o, d, &nogp);
    pf_result r;
    CU_ASSERT_EQUAL_FATAL(pf_figure_run(pf_figure_find("F10"), &o, &r), GSL_SUCCESS);
    csv c;
    CU_ASSERT_EQUAL_FATAL(csv_read(d, "F10-network-gmm8.csv", &c), 0);
    int ck = col(&c, "kind"), cx = col(&c, "x"), cy = col(&c, "y"), cs = col(&c, "step"), cm = col(&c, "kid_mean");
    CU_ASSERT(ck >= 0 && cx >= 0 && cy >= 0 && cs >= 0 && cm >= 0);
    char err[256];
    spire_data *data = spire_data_load("gmm:K=8,D=2", NULL, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(data);
    size_t nd = 0, ngen = 0, nloss = 0, nkid = 0;
    double kid_first = NAN, kid_last = NAN;
    for (size_t i = 0; i < c.n; i++) {
        const char *kind = fld(&c, i, ck);
        if (!strcmp(kind, "data")) {
            CU_ASSERT_FATAL(nd < data->n_test);
            ASSERT_MIXED(num(&c, i, cx), data->test[2 * nd], 1e-5, 1e-5);
            ASSERT_MIXED(num(&c, i, cy), data->test[2 * nd + 1], 1e-5, 1e-5);
            nd++;
        } else if (!strcmp(kind, "gen")) {
            CU_ASSERT(isfinite(num(&c, i, cx)) && isfinite(num(&c, i, cy)));
            ngen++;
        } else if (!strcmp(kind, "loss")) {
            nloss++;
        } else if (!strcmp(kind, "kid")) {
            if (!nkid) kid_first = num(&c, i, cm);
            kid_last = num(&c, i, cm);
            nkid++;
        }
    }
    CU_ASSERT_EQUAL(nd, data->n_test < 2000 ? data->n_test : 2000);
    CU_ASSERT_EQUAL(ngen, 2000u);
    CU_ASSERT_EQUAL(nloss, 1500u / 5 + 1);
    CU_ASSERT_EQUAL(nkid, 8u);
    CU_ASSERT(kid_last < 0.5 * kid_first);
    spire_data_free(data);
    csv_free(&c);
    cu_rm_dir(d);
}

/* ---- the federated figures from hand-made experiment results ------------------
 * A fixture shaped like the three presets (6 methods, 8 sample sizes, a 4 × 3
 * robustness grid with one diverged cell, a probe, digits): the renderers are
 * tested without running an experiment.  SPIRELAB_FIGS_KEEP=DIR renders into
 * DIR and keeps the files (to look at them). */
static const char *FX_M[] = { "spire", "fedavg", "full", "last", "lora", "local" };
static const size_t FX_TR[] = { 64, 0, 5506, 130, 256, 5506 };
static const double FX_KID[] = { 1.8, 6.0, 0.97, 3.0, 2.5, 400 };
static double fx_truth[3][30], fx_pred[3][30];
static int fx_new[3][30];
static float fx_real[2 * 8 * 64], fx_gen[6 * 2 * 8 * 64];

static pf_ci fx_ci(double m, double h, size_t n) { return (pf_ci){ m, m - h, m + h, n }; }

static void fed_fixture(pf_fed_view *v, int p)
{
    static const char *presets[] = { "gmm2", "gmmK", "digits" };
    memset(v, 0, sizeof *v);
    snprintf(v->preset, sizeof v->preset, "%s", presets[p]);
    v->digits = p == 2;
    v->seeds = 10;
    v->kid_name = p == 2 ? "feature KID" : "KID";
    v->nm = 6;
    for (size_t m = 0; m < 6; m++) {
        snprintf(v->method[m], sizeof v->method[m], "%s", FX_M[m]);
        v->trainable[m] = FX_TR[m];
        double k = FX_KID[m] * (1 + 0.3 * p);
        v->kid_new[m] = fx_ci(k, 0.3 * k, 10);
        v->kid_pre[m] = fx_ci(2.0, 0.4, 10);
        v->tv_new[m] = fx_ci(0.1 + 0.02 * (double)m, 0.03, 10);
        v->diff[m] = m ? fx_ci(k - FX_KID[0] * (1 + 0.3 * p), 0.6 + 0.1 * k, 10) : fx_ci(0, 0, 10);
        v->forget[m] = m == 2 ? fx_ci(3.1, 1.6, 10) : m == 3 ? fx_ci(-0.3, 0.5, 10) : fx_ci(0, 0, 10);
    }
    v->nsizes = 8;
    for (size_t i = 0; i < 8; i++) {
        v->sizes[i] = (size_t)8 << i;
        double n = (double)v->sizes[i];
        for (size_t m = 0; m < 6; m++) {
            double k = m == 0 ? 1.5 + 4 / sqrt(n) : m == 5 ? 400 / sqrt(n) : FX_KID[m] * 30 / sqrt(n);
            v->size_kid[m][i] = fx_ci(k, 0.25 * k, 10);
        }
    }
    v->size_kid[3][0].lo = -40;   /* last at n = 8: a t-interval reaching below 0 */
    v->nrm = 3; v->nlr = 4; v->nst = 3;
    v->rob_m[0] = 0; v->rob_m[1] = 2; v->rob_m[2] = 4;
    for (size_t a = 0; a < 4; a++) v->lr[a] = pow(10, -4.0 + (double)a);
    for (size_t b = 0; b < 3; b++) v->steps[b] = (size_t)(10 * pow(10, (double)b));
    for (size_t q = 0; q < 3; q++)
        for (size_t a = 0; a < 4; a++)
            for (size_t b = 0; b < 3; b++) {
                double k = 2 + q * (double)(a + b) * 1.5;
                v->rob[q][a][b] = fx_ci(k, 0.2 * k, 10);
                v->rob_runs[q][a][b] = 10;
            }
    v->rob[1][3][2] = fx_ci(1e25, 1e25, 7);   /* full, lr 0.1, 1000 steps: 3 of 10 runs diverged */
    v->rob_div[1][3][2] = 3;
    v->rob[2][3][2] = fx_ci(1e200, 1e199, 10);  /* lora, lr 0.1, 1000 steps: finite but exploded: off scale */
    v->probe_target = p == 0 ? "logit π_c" : p == 1 ? "mixing weights π_ck" : "label frequencies";
    v->npr = 30;
    for (size_t i = 0; i < 30; i++) {
        fx_truth[p][i] = sin(1.7 * (double)i + p);
        fx_pred[p][i] = 0.8 * fx_truth[p][i] + 0.2 * cos(3.1 * (double)i);
        fx_new[p][i] = i % 10 < 3;
    }
    v->pr_truth = fx_truth[p]; v->pr_pred = fx_pred[p]; v->pr_new = fx_new[p];
    v->pr_r = 0.9; v->pr_lo = 0.8; v->pr_hi = 0.95;
    if (p == 2) {
        /* client 3: rings ("0"); client 7: bars ("1"); generated: the same, fainter with the method index */
        for (size_t c = 0; c < 2; c++)
            for (size_t t = 0; t < 8; t++)
                for (size_t y = 0; y < 8; y++)
                    for (size_t x = 0; x < 8; x++) {
                        double r2 = (x - 3.5) * (x - 3.5) + (y - 3.5) * (y - 3.5);
                        float on = c == 0 ? (r2 > 4 && r2 < 12) : (x == 3 || x == 4);
                        fx_real[(c * 8 + t) * 64 + y * 8 + x] = on ? 1.0f : -1.0f;
                        for (size_t m = 0; m < 6; m++)
                            fx_gen[((m * 2 + c) * 8 + t) * 64 + y * 8 + x] = on ? 1.0f - 0.3f * (float)m : -1.0f;
                    }
        v->nnew = 2;
        v->new_client[0] = 3; v->new_client[1] = 7;
        v->dg_real = fx_real; v->dg_gen = fx_gen;
    }
    static const char *ids[] = { "E1", "E2", "E3", "E4", "E5" };
    static const char *verd[] = { "REPRODUCED", "NOT REPRODUCED", "REPRODUCED", "UNDECIDED", "REPRODUCED" };
    v->ne = 5;
    for (size_t k = 0; k < 5; k++)
        v->e[k] = (pf_erow){ v->preset, ids[k], "claim text", 0.5 + (double)k, 0.1, 1.2, 1.0, verd[k], "decided by the fixture" };
    v->wall = 12.5;
}

/* Every federated figure renders from the fixture: the columns, the forest
 * plot's classes, the diverged robustness cell (not plotted; its mark at the
 * top of the finite data), the digit tiles' pixels, the crossing in F21's
 * caption. */
static void test_fed_figures(void)
{
    const char *keep = getenv("SPIRELAB_FIGS_KEEP");
    char *d = keep ? NULL : cu_scratch();
    const char *dir = keep ? keep : d;
    pf_opts o;
    opts(&o, dir, keep && gnuplot_here() ? &gp : &nogp);
    pf_fed_view v[3];
    for (int p = 0; p < 3; p++) fed_fixture(&v[p], p);
    int (*fn[])(const pf_opts *, const pf_fed_view *, size_t, pf_result *) =
        { pf_fed_f12, pf_fed_f13, pf_fed_f14, pf_fed_f15, pf_fed_f16, pf_fed_f17, pf_fed_f21 };
    static const char *stems[] = { "F12-paired-kid", "F13-kid-vs-params", "F14-forgetting", "F15-robustness",
                                   "F16-embedding-probe", "F17-digits", "F21-sample-size" };
    pf_result r[7];
    for (size_t k = 0; k < 7; k++) {
        memset(&r[k], 0, sizeof r[k]);
        r[k].id = stems[k][2] == '-' ? "F1x" : "F2x";
        r[k].claims = k == 0 ? "E2" : "none";
        snprintf(r[k].stem, sizeof r[k].stem, "%s", stems[k]);
        CU_ASSERT_EQUAL(fn[k](&o, v, 3, &r[k]), GSL_SUCCESS);
        CU_ASSERT(cu_exists(dir, stems[k]) || 1);
        CU_ASSERT(strlen(r[k].caption) > 100);
    }
    CU_ASSERT_EQUAL(pf_fed_f12(&o, v, 0, &r[0]), GSL_EINVAL);
    CU_ASSERT_EQUAL(pf_fed_f17(&o, v, 2, &r[5]), GSL_EINVAL);   /* no digits view */
    /* F12: one row per baseline and preset, its class from the interval */
    csv c;
    CU_ASSERT_EQUAL_FATAL(csv_read(dir, "F12-paired-kid.csv", &c), 0);
    int cp = col(&c, "preset"), cm = col(&c, "method"), cmean = col(&c, "mean"), clo = col(&c, "lo"), chi = col(&c, "hi"),
        ccl = col(&c, "class");
    CU_ASSERT(cp >= 0 && cm >= 0 && cmean >= 0 && clo >= 0 && chi >= 0 && ccl >= 0 && col(&c, "y") >= 0);
    CU_ASSERT_EQUAL(c.n, 15u);
    for (size_t i = 0; i < c.n; i++) {
        double lo = num(&c, i, clo), hi = num(&c, i, chi);
        const char *want = lo > 0 ? "spire_better" : hi < 0 ? "method_better" : "undecided";
        CU_ASSERT_STRING_EQUAL(fld(&c, i, ccl), want);
        CU_ASSERT(strcmp(fld(&c, i, cm), "spire") != 0);
    }
    csv_free(&c);
    /* F15: the diverged cell is not plotted, and marked at the top of the finite cells */
    CU_ASSERT_EQUAL_FATAL(csv_read(dir, "F15-robustness.csv", &c), 0);
    int cd = col(&c, "diverged"), cpl = col(&c, "plot"), cmk = col(&c, "mark"), clr = col(&c, "lr"), cst = col(&c, "steps");
    cm = col(&c, "method");
    cmean = col(&c, "mean");
    CU_ASSERT(cd >= 0 && cpl >= 0 && cmk >= 0 && clr >= 0 && cst >= 0 && cm >= 0 && cmean >= 0);
    CU_ASSERT_EQUAL(c.n, 3u * 3 * 4 * 3);
    int cof = col(&c, "offscale"), cmo = col(&c, "mark_off");
    CU_ASSERT(cof >= 0 && cmo >= 0);
    size_t ndiv = 0, noff = 0;
    for (size_t i = 0; i < c.n; i++) {
        if (num(&c, i, cd) > 0) {
            ndiv++;
            CU_ASSERT_STRING_EQUAL(fld(&c, i, cm), "full");
            ASSERT_REL(num(&c, i, clr), 0.1, 1e-12);
            CU_ASSERT(isnan(num(&c, i, cpl)));
            CU_ASSERT(num(&c, i, cmk) < 100);   /* from the finite data, not 1e25 */
        } else if (num(&c, i, cof) > 0) {
            noff++;
            CU_ASSERT_STRING_EQUAL(fld(&c, i, cm), "lora");
            CU_ASSERT(isnan(num(&c, i, cpl)));
            CU_ASSERT(num(&c, i, cmo) < 100);   /* marked above the others, not at 1e200 */
        } else {
            ASSERT_REL(num(&c, i, cpl), num(&c, i, cmean), 1e-5);
            CU_ASSERT(isnan(num(&c, i, cmk)) && isnan(num(&c, i, cmo)));
        }
    }
    CU_ASSERT_EQUAL(ndiv, 3u);
    CU_ASSERT_EQUAL(noff, 3u);
    csv_free(&c);
    char *gpt = cu_slurp(dir, "F15-robustness.gp");
    CU_ASSERT(gpt && !strstr(gpt, "e+25") && !strstr(gpt, "e+200"));
    free(gpt);
    /* F17: a full pixel grid per client; a real tile's pixels are (x + 1)·8 */
    CU_ASSERT_EQUAL_FATAL(csv_read(dir, "F17-digits.csv", &c), 0);
    CU_ASSERT_EQUAL(c.n, 2u * 63 * 71);
    int cx = col(&c, "x"), cy = col(&c, "y"), cv = col(&c, "value"), cc = col(&c, "client");
    size_t on = 0;
    for (size_t i = 0; i < c.n; i++)
        if (num(&c, i, cc) == 3 && num(&c, i, cx) < 8) {   /* the first column: real digits of client 3 */
            double y = num(&c, i, cy), val = num(&c, i, cv);
            if ((size_t)(70 - y) % 9 == 8) {
                CU_ASSERT_EQUAL(val, -1);
            } else {
                CU_ASSERT(val == 0 || val == 16);
                on += val == 16;
            }
        }
    CU_ASSERT(on > 8 * 10);
    csv_free(&c);
    /* F21: a lower bound below 0 is kept in 'lo' and drawn at the bottom of the log axis ('lo_plot' > 0) */
    CU_ASSERT_EQUAL_FATAL(csv_read(dir, "F21-sample-size.csv", &c), 0);
    int clo2 = col(&c, "lo"), clp = col(&c, "lo_plot");
    cmean = col(&c, "mean");
    size_t nclip = 0;
    for (size_t i = 0; i < c.n; i++) {
        CU_ASSERT(num(&c, i, clp) > 0 && num(&c, i, clp) <= num(&c, i, cmean));
        if (num(&c, i, clo2) < 0) nclip++;
        else ASSERT_REL(num(&c, i, clp), num(&c, i, clo2), 1e-12);
    }
    CU_ASSERT_EQUAL(nclip, 3u);
    csv_free(&c);
    CU_ASSERT(strstr(r[6].caption, "drawn at the bottom") != NULL);
    /* F21: full fine-tuning's curve crosses SPIRE's */
    CU_ASSERT(strstr(r[6].caption, "full crosses SPIRE at n") != NULL);
    CU_ASSERT(strstr(r[0].caption, "local") != NULL);
    /* the E rows in the report */
    pf_erow e[15];
    size_t ne = 0;
    for (int p = 0; p < 3; p++)
        for (size_t k = 0; k < v[p].ne; k++) e[ne++] = v[p].e[k];
    CU_ASSERT_EQUAL_FATAL(pf_index_write(&o, r, 7, NULL, 0, e, ne, 1.0), GSL_SUCCESS);
    char *h = cu_slurp(dir, "index.html"), *m = cu_slurp(dir, "REPORT.md");
    CU_ASSERT(h && strstr(h, "id=\"gmmK-E4\"") && strstr(h, "class=\"UNDECIDED\">UNDECIDED") && strstr(h, "class=\"FAIL\">NOT REPRODUCED"));
    CU_ASSERT(m && strstr(m, "| digits | E2 | claim text | 1.5 | [0.1, 1.2] | 1 | **NOT REPRODUCED** |"));
    /* a figure's E claims, per preset, under its caption */
    CU_ASSERT(m && strstr(m, "**Claims:** E2 gmm2 **NOT REPRODUCED**, E2 gmmK **NOT REPRODUCED**, E2 digits **NOT REPRODUCED**"));
    CU_ASSERT(m && strstr(m, "E1–E5"));
    free(h);
    free(m);
    CU_ASSERT_EQUAL(pf_index_write(&o, r, 7, NULL, 0, NULL, 0, 1.0), GSL_SUCCESS);
    m = cu_slurp(dir, "REPORT.md");
    CU_ASSERT(m && strstr(m, "E1–E5 (spirelab spire experiment)\n\nNot run"));
    free(m);
    if (d) cu_rm_dir(d);
}

/* The figures of a real (tiny) experiment against the run that made them:
 * F12's rows are its paired intervals, F21's its sample-size intervals, a
 * robustness cell in which a run diverged (learning rate 1e30) is not plotted,
 * F13's trainable parameters are the method table's; the E rows come from
 * its claims. */
static void test_fed_from_run(void)
{
    spire_exp_opts eo;
    memset(&eo, 0, sizeof eo);
    spire_exp_opts_preset(&eo, SPIRE_FED_GMM2, 1);
    eo.data.C = 5; eo.data.n = 120; eo.cfg.C = 5;
    eo.n_new = 2;
    eo.cfg.H = 16; eo.cfg.E = 8;
    eo.T = 100;
    eo.fed.rounds = 4; eo.fed.local_steps = 3; eo.fed.batch = 16;
    eo.adapt.steps = 5; eo.adapt.local_steps = 10; eo.adapt.batch = 16;
    eo.eval.n_gen = 30; eo.eval.ddim_steps = 5; eo.eval.subsets = 2; eo.eval.subset_size = 10;
    eo.nlr = 2; eo.nsteps = 1; eo.grid_lr[0] = 1e-3; eo.grid_lr[1] = 1e30; eo.grid_steps[0] = 5;
    eo.nsizes = 2; eo.sizes[0] = 8; eo.sizes[1] = 1000;
    eo.seeds = 2;
    eo.seed0 = cu_seed(3);
    eo.threads = 1;
    spire_exp_result *res = NULL;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(spire_exp_run(&eo, &res, err, sizeof err), GSL_SUCCESS);
    char *d = cu_scratch();
    plots_format fm[] = { PLOTS_PNG };
    pf_result out[8];
    size_t nout = 0;
    CU_ASSERT_EQUAL(pf_fed_render(res, d, &nogp, fm, 1, out, &nout), GSL_SUCCESS);
    CU_ASSERT_EQUAL(nout, 6u);   /* F12–F16, F21; F17 only for digits */
    CU_ASSERT_STRING_EQUAL(out[0].stem, "F12-paired-kid");
    CU_ASSERT_STRING_EQUAL(out[5].stem, "F21-sample-size");
    CU_ASSERT_FALSE(cu_exists(d, "F17-digits.csv"));
    csv c;
    /* F12 = the paired intervals */
    CU_ASSERT_EQUAL_FATAL(csv_read(d, "F12-paired-kid.csv", &c), 0);
    CU_ASSERT_EQUAL(c.n, res->nm - 1);
    int cm = col(&c, "method"), cmean = col(&c, "mean"), clo = col(&c, "lo"), chi = col(&c, "hi");
    for (size_t i = 0; i < c.n; i++) {
        size_t m = 0;
        while (m < res->nm && strcmp(res->method[m], fld(&c, i, cm))) m++;
        CU_ASSERT_FATAL(m < res->nm);
        ASSERT_MIXED(num(&c, i, cmean), res->ci_diff[m].mean, 1e-12, 1e-5);
        ASSERT_MIXED(num(&c, i, clo), res->ci_diff[m].lo, 1e-12, 1e-5);
        ASSERT_MIXED(num(&c, i, chi), res->ci_diff[m].hi, 1e-12, 1e-5);
    }
    csv_free(&c);
    /* F13: trainable parameters of the method table */
    CU_ASSERT_EQUAL_FATAL(csv_read(d, "F13-kid-vs-params.csv", &c), 0);
    cm = col(&c, "method");
    int ct = col(&c, "trainable");
    CU_ASSERT_EQUAL(c.n, res->nm);
    for (size_t i = 0; i < c.n && i < res->nm; i++) {
        CU_ASSERT_STRING_EQUAL(fld(&c, i, cm), res->method[i]);
        CU_ASSERT_EQUAL((size_t)num(&c, i, ct), res->trainable[i]);
    }
    csv_free(&c);
    /* F15: diverged cells (learning rate 1e30) not plotted; the others are the grid's means */
    CU_ASSERT_EQUAL_FATAL(csv_read(d, "F15-robustness.csv", &c), 0);
    int cd = col(&c, "diverged"), cpl = col(&c, "plot"), clr = col(&c, "lr");
    cmean = col(&c, "mean");
    size_t ndiv = 0, nplot = 0;
    for (size_t i = 0; i < c.n; i++) {
        if (num(&c, i, cd) > 0) { ndiv++; CU_ASSERT(isnan(num(&c, i, cpl))); CU_ASSERT_EQUAL(num(&c, i, clr), 1e30); }
        else if (!isnan(num(&c, i, cmean))) { nplot++; ASSERT_REL(num(&c, i, cpl), num(&c, i, cmean), 1e-12); }
    }
    CU_ASSERT(ndiv >= 1);
    CU_ASSERT(nplot >= 1);
    csv_free(&c);
    /* F21 = the sample-size intervals */
    CU_ASSERT_EQUAL_FATAL(csv_read(d, "F21-sample-size.csv", &c), 0);
    CU_ASSERT_EQUAL(c.n, res->nm * res->nsizes);
    cm = col(&c, "method");
    cmean = col(&c, "mean");
    int cn = col(&c, "n_train");
    for (size_t i = 0; i < c.n; i++) {
        size_t m = i / res->nsizes, k = i % res->nsizes;
        CU_ASSERT_STRING_EQUAL(fld(&c, i, cm), res->method[m]);
        CU_ASSERT_EQUAL((size_t)num(&c, i, cn), res->sizes[k]);
        ASSERT_MIXED(num(&c, i, cmean), res->ci_size_kid[k * res->nm + m].mean, 1e-12, 1e-5);
    }
    csv_free(&c);
    /* the E rows of the run in the report */
    pf_fed_view *v = malloc(sizeof *v);
    CU_ASSERT_EQUAL_FATAL(pf_fed_view_of(res, v), GSL_SUCCESS);
    CU_ASSERT_EQUAL(v->ne, 5u);
    pf_opts o;
    opts(&o, d, &nogp);
    CU_ASSERT_EQUAL(pf_index_write(&o, out, nout, NULL, 0, v->e, v->ne, 1.0), GSL_SUCCESS);
    char *m = cu_slurp(d, "REPORT.md");
    char want[128];
    snprintf(want, sizeof want, "| gmm2 | E5 | ");
    CU_ASSERT(m && strstr(m, want) && strstr(m, res->claims[4].verdict));
    free(m);
    CU_ASSERT_EQUAL(pf_fed_view_of(NULL, v), GSL_EINVAL);
    CU_ASSERT_EQUAL(pf_fed_render(res, d, &nogp, fm, 0, NULL, NULL), GSL_EINVAL);
    free(v);
    spire_exp_result_free(res);
    cu_rm_dir(d);
}

CU_TestInfo cu_figs_tests[] = {
    { "F1 data = the library's loss", test_f1_data },
    { "F7 data = the library's gradient, all positive", test_f7_data },
    { "F8 convergence follows 2/l''(theta*)", test_f8_threshold },
    { "F10 data: held-out split, samples, loss, KID falls", test_f10_data },
    { "rendered PNG of the requested size", test_render_size },
    { "index.html and REPORT.md", test_index },
    { "figure table and errors", test_table_and_errors },
    { "demos", test_demos },
    { "federated figures from a fixture (F12-F17, F21, E rows)", test_fed_figures },
    { "federated figures of a tiny run = its numbers", test_fed_from_run },
    CU_TEST_INFO_NULL
};
