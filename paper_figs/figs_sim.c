/* paper_figs/figs_sim.c — the simulation figures F3–F6 and F9 (see figs.h):
 * replicate fits of the mixing-weight estimators (THEORY.md §6) against the
 * quadrature predictions (sandwich variance, Cramér–Rao bound).
 *
 * The replicates are cells of parameter sweeps (proofs_check/sweep.h): each
 * figure builds its grid from the same list texts `spirelab sweep` parses, so
 * the numbers behind a figure are exactly the rows of the `spirelab sweep`
 * command its caption and script name (replicate r of cell i draws from
 * stream (seed, i, r); the DDPM fit and the MLE as in sweep.h).  Only the joint
 * fit of weight and means in F9 is computed here. */
#include "paper_figs/figs.h"
#include "paper_figs/figs_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include "common/spl.h"
#include "ddpm/ddpm.h"
#include "gmm/gmm.h"
#include "proofs_check/sweep.h"

#define PI0   0.3
#define SEP0  2.0
#define A0    0.7
#define LEN(x) (sizeof(x) / sizeof((x)[0]))

/* A sweep as on the command line: list texts for each axis. */
typedef struct {
    const char *d, *sep, *pi, *alpha, *n;
    unsigned est;              /* PC_SWEEP_DDPM | PC_SWEEP_MLE */
    ddpm_mc_mode mc;
    size_t reps;
} sim_grid;

/* Run every cell of the grid: *rows (caller frees) gets the rows in grid
 * order, estimators ddpm then mle within a cell; cmd the equivalent
 * `spirelab sweep` command. */
static int sweep(const pf_opts *o, const sim_grid *s, pc_sweep_row **rows, size_t *nrows, char *cmd, size_t cmdlen)
{
    pc_sweep_spec sp;
    pc_sweep_spec_init(&sp);
    char why[PC_SWEEP_WHY];
    int st = pc_sweep_list_parse(s->d, &pc_sweep_dom_d, &sp.d, why, sizeof why);
    if (!st) st = pc_sweep_list_parse(s->sep, &pc_sweep_dom_sep, &sp.sep, why, sizeof why);
    if (!st) st = pc_sweep_list_parse(s->pi, &pc_sweep_dom_pi, &sp.pi, why, sizeof why);
    if (!st) st = pc_sweep_list_parse(s->alpha, &pc_sweep_dom_alpha, &sp.alpha, why, sizeof why);
    if (!st) st = pc_sweep_list_parse(s->n, &pc_sweep_dom_n, &sp.n, why, sizeof why);
    sp.level = PC_SWEEP_LEVEL_ALPHA;
    sp.estimators = s->est;
    sp.mc = s->mc;
    sp.reps = s->reps;
    sp.seed = o->seed;
    pc_sweep_grid *G = st ? NULL : pc_sweep_grid_alloc(&sp, &st, why, sizeof why);
    size_t nest = (s->est & PC_SWEEP_DDPM ? 1 : 0) + (s->est & PC_SWEEP_MLE ? 1 : 0);
    size_t nc = G ? pc_sweep_grid_ncells(G) : 0;
    *rows = NULL;
    *nrows = 0;
    if (G && !(*rows = calloc(nc * nest, sizeof(pc_sweep_row)))) st = GSL_ENOMEM;
    for (size_t i = 0; i < nc && !st; i++) {
        size_t nr = 0;
        st = pc_sweep_cell_run(G, i, NULL, NULL, *rows + *nrows, &nr);
        *nrows += nr;
    }
    pc_sweep_grid_free(G);
    pc_sweep_spec_free(&sp);
    snprintf(cmd, cmdlen, "spirelab sweep --d %s --sep %s --pi %s --alpha %s --n %s --estimator %s --mc %s --reps %zu --seed %llu",
             s->d, s->sep, s->pi, s->alpha, s->n, s->est == (PC_SWEEP_DDPM | PC_SWEEP_MLE) ? "ddpm,mle" : s->est == PC_SWEEP_MLE ? "mle" : "ddpm",
             ddpm_mc_name(s->mc), s->reps, (unsigned long long)o->seed);
    if (st) { free(*rows); *rows = NULL; *nrows = 0; }
    return st;
}

/* "v1,v2,…" from numbers (%.15g, as sweep lists print and re-read). */
static void list_text(char *buf, size_t len, const double *v, size_t n)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && off + 1 < len; i++)
        off += (size_t)snprintf(buf + off, len - off, "%s%.15g", i ? "," : "", v[i]);
}

/* Mean square error about the truth and its standard error; the RMSE and
 * its SE by the delta method. */
static void rmse_of(const double *p, size_t R, double truth, double *rmse, double *se)
{
    double m = 0, m2 = 0;
    for (size_t i = 0; i < R; i++) {
        double e2 = (p[i] - truth) * (p[i] - truth), dlt = e2 - m;
        m += dlt / (double)(i + 1);
        m2 += dlt * (e2 - m);
    }
    double se_mse = R > 1 ? sqrt(m2 / (double)(R - 1) / (double)R) : NAN;
    *rmse = sqrt(m);
    *se = m > 0 ? se_mse / (2 * sqrt(m)) : NAN;
}

/* ====================================================================================
 * F3 — dimension-free: quantiles of |p̂ − π| against d (THEORY.md §6; C5)
 * ==================================================================================== */
int pf_f3_dimension(const pf_opts *o, pf_result *r)
{
    const char *Dlist = o->quick ? "1,10,100,1000,10000" : "1,3,10,30,100,300,1000,3000,10000";
    const size_t Ns[2] = { 100, o->quick ? 300 : 1000 }, R = pf_pick(o, 200, 60);
    char nlist[64], cmd[512];
    snprintf(nlist, sizeof nlist, "%zu,%zu", Ns[0], Ns[1]);
    sim_grid sg = { Dlist, "2", "0.3", "0.7", nlist, PC_SWEEP_DDPM, DDPM_MC_EXPLICIT, R };
    plots_fig *f = plots_fig_alloc();
    pc_sweep_row *rows = NULL;
    size_t nrows = 0;
    int st = f ? sweep(o, &sg, &rows, &nrows, cmd, sizeof cmd) : GSL_ENOMEM;
    /* |p̂ − π| ≈ |Z|·σ/√n: its p-quantile is z_p σ/√n, z_p = Φ⁻¹((1+p)/2); a sample
     * quantile of R draws has SE √(p(1−p)/R) / f(q_p), f the density of |Z|σ/√n. */
    const double P[2] = { 0.5, 0.9 };
    double z[2], qse[2], sig = NAN;
    for (int k = 0; k < 2; k++) {
        z[k] = gsl_cdf_ugaussian_Pinv(0.5 * (1 + P[k]));
        qse[k] = sqrt(P[k] * (1 - P[k]) / (double)R) / (2 * gsl_ran_ugaussian_pdf(z[k]));   /* in units of σ/√n */
    }
    double worst_z = 0, worst_rel = 0, ld[2][16], lq[2][16], slope[2] = { NAN, NAN }, slope_se[2] = { NAN, NAN };
    size_t total_nc = 0, nd[2] = { 0, 0 };
    double ylo = INFINITY, yhi = 0;
    if (!st) st = plots_fig_data(f, "n,d,reps,q50,q50_se,q90,q90_se,rmse,pred_q50,pred_q90,nonconv\n");
    /* rows come d-major, n fastest; the CSV is n-major so that each n is one line */
    for (size_t in = 0; in < 2 && !st; in++)
        for (size_t k = 0; k < nrows; k++) {
            const pc_sweep_row *w = &rows[k];
            if (w->cell.n != Ns[in]) continue;
            double s = w->sd_sandwich, qq[2] = { w->q50, w->q90 }, pr[2];
            sig = s * sqrt((double)w->cell.n);
            total_nc += w->nonconv;
            for (int j = 0; j < 2; j++) {
                pr[j] = z[j] * s;
                worst_z = fmax(worst_z, fabs(qq[j] - pr[j]) / (qse[j] * s));
                worst_rel = fmax(worst_rel, fabs(qq[j] / pr[j] - 1));
            }
            if (nd[in] < 16) { ld[in][nd[in]] = log((double)w->cell.d); lq[in][nd[in]++] = log(qq[0]); }
            ylo = fmin(ylo, fmin(qq[0], pr[0]));
            yhi = fmax(yhi, fmax(qq[1], pr[1]));
            plots_fig_data(f, "%zu,%zu,%zu,%.8g,%.4g,%.8g,%.4g,%.8g,%.8g,%.8g,%zu\n", w->cell.n, w->cell.d, w->reps,
                           qq[0], qse[0] * s, qq[1], qse[1] * s, w->rmse, pr[0], pr[1], w->nonconv);
        }
    free(rows);
    for (size_t in = 0; in < 2 && !st; in++)
        if (nd[in] > 2) {
            double c0, c00, c01, c11, ss;
            st = gsl_fit_linear(ld[in], 1, lq[in], 1, nd[in], &c0, &slope[in], &c00, &c01, &c11, &ss);
            slope_se[in] = sqrt(c11);
        }
    plots_fig_comment(f, "the numbers are the rows of: %s", cmd);

    plots_fig_body(f, "NS = '%zu %zu'\nYLO = %.4g\nYHI = %.4g\n", Ns[0], Ns[1], 0.5 * ylo, 3.2 * yhi);
    pf_head(f, r, 1, "Error of p̂_n against the dimension d  (π = 0.3, Δ = 2, a = 0.7)");
    plots_fig_body(f,
        "set xlabel 'dimension d of the data'\n"
        "set ylabel '|p̂_n − π|  over replicates  (dimensionless)'\n"
        "set logscale xy\n"
        "set format x '10^{%%L}'\n"
        "set xrange [0.6:16000]\n"
        "set yrange [YLO:YHI]\n"
        "set ytics ('0.005' 0.005, '0.01' 0.01, '0.02' 0.02, '0.05' 0.05, '0.1' 0.1, '0.2' 0.2, '0.5' 0.5, '1' 1)\n"
        "set key inside right top maxrows 3 width 1\n"
        "plot for [i=1:2] DATA using (column('d')):(column('n') == word(NS,i) ? column('pred_q90') : NaN) with lines lt i dt 2 notitle, \\\n"
        "     for [i=1:2] DATA using (column('d')):(column('n') == word(NS,i) ? column('pred_q50') : NaN) with lines lt i dt 2 notitle, \\\n"
        "     for [i=1:2] DATA using (column('d')):(column('n') == word(NS,i) ? column('q90') : NaN):(2*column('q90_se')) \\\n"
        "       with yerrorlines lt i pt 6 ps 1.5 notitle, \\\n"
        "     for [i=1:2] DATA using (column('d')):(column('n') == word(NS,i) ? column('q50') : NaN):(2*column('q50_se')) \\\n"
        "       with yerrorlines lt i pt 7 ps 1.5 title 'n = '.word(NS,i), \\\n"
        "     keyentry with points lt 7 pt 7 ps 1.5 title 'median', \\\n"
        "     keyentry with points lt 7 pt 6 ps 1.5 title '90%% quantile', \\\n"
        "     keyentry with lines lt 7 dt 2 title 'sandwich prediction'\n");

    pf_cap(r, "Median (filled) and 90%% quantile (open) of |p̂_n − π| over R = %zu replicates of the DDPM estimator, each fitted on n samples "
           "drawn explicitly in R^d (x0 and ε both d-dimensional), for d = 1 to 10^4 and n = %zu, %zu; π = 0.3, Δ = 2, a = 0.7. "
           "Dashed: the sandwich prediction z_q·σ/√n with σ = √(n Var p̂) = %.4f (THEORY.md §6); error bars ± 2 SE of a sample "
           "quantile of R draws (from the predicted law). ",
        R, Ns[0], Ns[1], sig);
    pf_cap(r, "The curves are flat in d: fitted log-log slope of the median against d %.3f ± %.3f (n = %zu) and %.3f ± %.3f (n = %zu); "
           "the largest deviation of a measured quantile from its prediction is %.2f SE (%.1f%%) over %zu comparisons "
           "(%zu cells, 2 quantiles each). Fits without a minimiser in |w| ≤ 60: %zu. The numbers are the rows of `%s`.",
        slope[0], slope_se[0], Ns[0], slope[1], slope_se[1], Ns[1], worst_z, 100 * worst_rel, 2 * nrows, nrows, total_nc, cmd);
    return pf_finish(o, r, f, st);
}

/* ====================================================================================
 * F4 — RMSE against n, DDPM estimator and MLE (THEORY.md §6; C6)
 * ==================================================================================== */
int pf_f4_rate(const pf_opts *o, pf_result *r)
{
    static const size_t Ds[] = { 1, 10, 100 };
    static const size_t N_full[] = { 100, 316, 1000, 3162, 10000 }, N_quick[] = { 100, 316, 1000, 3162 };
    const size_t *Ns = o->quick ? N_quick : N_full, nn = o->quick ? LEN(N_quick) : LEN(N_full);
    const size_t R = pf_pick(o, 200, 60);
    sim_grid sg = { "1,10,100", "2", "0.3", "0.7", o->quick ? "100,316,1000,3162" : "100,316,1000,3162,10000",
                    PC_SWEEP_DDPM | PC_SWEEP_MLE, DDPM_MC_EXPLICIT, R };
    char cmd[512];
    plots_fig *f = plots_fig_alloc();
    pc_sweep_row *rows = NULL;
    size_t nrows = 0;
    int st = f ? sweep(o, &sg, &rows, &nrows, cmd, sizeof cmd) : GSL_ENOMEM;
    double logn[8], logr[2][LEN(Ds)][8], slope[2][LEN(Ds)], slope_se[2][LEN(Ds)];
    double nvar_p = NAN, crlb_n = NAN;   /* n·(sandwich sd)², n·(CRLB sd)² */
    size_t total_nc = 0;
    if (!st) st = plots_fig_data(f, "estimator,d,n,reps,rmse,rmse_se,pred\n");
    /* estimator-major, then d, then n: each line of the figure is a run of rows */
    for (size_t kk = 0; kk < 2 * nrows && !st; kk++) {
        const pc_sweep_row *w = &rows[kk % nrows];
        int e = w->estimator == PC_SWEEP_MLE;
        if (e != (kk >= nrows)) continue;
        size_t id = 0, in = 0;
        while (id < LEN(Ds) && Ds[id] != w->cell.d) id++;
        while (in < nn && Ns[in] != w->cell.n) in++;
        if (id == LEN(Ds) || in == nn) { st = GSL_ESANITY; break; }
        double pred = e ? w->sd_crlb : w->sd_sandwich;
        /* SE of an RMSE from R replicates: RMSE/√(2R) (normal errors) */
        double se = w->rmse / sqrt(2.0 * (double)w->reps);
        nvar_p = w->sd_sandwich * w->sd_sandwich * (double)w->cell.n;
        crlb_n = w->sd_crlb * w->sd_crlb * (double)w->cell.n;
        total_nc += w->nonconv;
        logn[in] = log((double)w->cell.n);
        logr[e][id][in] = log(w->rmse);
        plots_fig_data(f, "%s,%zu,%zu,%zu,%.8g,%.4g,%.8g\n", e ? "mle" : "ddpm", w->cell.d, w->cell.n, w->reps, w->rmse, se, pred);
    }
    free(rows);
    for (size_t id = 0; id < LEN(Ds) && !st; id++)
        for (int e = 0; e < 2 && !st; e++) {
            double c0, c00, c01, c11, ss;
            st = gsl_fit_linear(logn, 1, logr[e][id], 1, nn, &c0, &slope[e][id], &c00, &c01, &c11, &ss);
            slope_se[e][id] = sqrt(c11);
        }
    plots_fig_comment(f, "the numbers are the rows of: %s", cmd);

    pf_head(f, r, 1, "RMSE of p̂_n against n: slope −1/2, DDPM and MLE  (π = 0.3, Δ = 2, a = 0.7)");
    plots_fig_body(f,
        "DS = '1 10 100'\n"
        "set xlabel 'sample size n'\n"
        "set ylabel 'RMSE of p̂_n  (dimensionless)'\n"
        "set logscale xy\n"
        "set format x '10^{%%L}'\n"
        "set xrange [70:14000]\n"
        "set yrange [0.004:0.3]\n"
        "set ytics ('0.005' 0.005, '0.01' 0.01, '0.02' 0.02, '0.05' 0.05, '0.1' 0.1, '0.2' 0.2)\n"
        "set key inside right top width 1\n"
        "PT(i) = word('7 5 9', i) + 0\n"
        "plot DATA using (column('n')):(strcol('estimator') eq 'ddpm' && column('d') == 1 ? column('pred') : NaN) with lines lt 1 lw 2 \\\n"
        "       title 'DDPM, sandwich prediction', \\\n"
        "     DATA using (column('n')):(strcol('estimator') eq 'mle' && column('d') == 1 ? column('pred') : NaN) with lines lt 2 lw 2 \\\n"
        "       title 'MLE, Cramér–Rao bound', \\\n"
        "     for [i=1:3] DATA using (column('n')*(1+0.04*(i-2))):(strcol('estimator') eq 'ddpm' && column('d') == word(DS,i) ? column('rmse') : NaN):(2*column('rmse_se')) \\\n"
        "       with yerrorbars lt 1 pt PT(i) ps 1.3 notitle, \\\n"
        "     for [i=1:3] DATA using (column('n')*(1+0.04*(i-2))):(strcol('estimator') eq 'mle' && column('d') == word(DS,i) ? column('rmse') : NaN):(2*column('rmse_se')) \\\n"
        "       with yerrorbars lt 2 pt PT(i) ps 1.3 notitle, \\\n"
        "     for [i=1:3] keyentry with points lt 7 pt PT(i) ps 1.3 title 'simulation, d = '.word(DS,i)\n");

    pf_cap(r, "Root-mean-square error of p̂_n over R = %zu replicates (error bars ± 2 SE, normal approximation) against n = %zu…%zu, for d = 1, 10, 100 "
           "(explicit d-dimensional draws; points for different d are shifted by ±4%% in n to stay visible), for the DDPM estimator "
           "(blue) and the maximum-likelihood estimator on the same samples (vermillion); π = 0.3, Δ = 2, a = 0.7. "
           "Lines: the sandwich prediction √(%.4f/n) and the Cramér–Rao bound √(%.4f/n). Fitted log-log slopes: DDPM ",
        R, Ns[0], Ns[nn - 1], nvar_p, crlb_n);
    for (size_t id = 0; id < LEN(Ds); id++) pf_cap(r, "%s%.3f ± %.3f (d = %zu)", id ? ", " : "", slope[0][id], slope_se[0][id], Ds[id]);
    pf_cap(r, "; MLE ");
    for (size_t id = 0; id < LEN(Ds); id++) pf_cap(r, "%s%.3f ± %.3f (d = %zu)", id ? ", " : "", slope[1][id], slope_se[1][id], Ds[id]);
    pf_cap(r, ". The gap between the two lines is the efficiency CRLB/Var = %.3f at this level (F6). Fits without a minimiser: %zu. "
           "The numbers are the rows of `%s`.", crlb_n / nvar_p, total_nc, cmd);
    return pf_finish(o, r, f, st);
}

/* ====================================================================================
 * F5 — spread and efficiency against the separation (THEORY.md §6; C7)
 * ==================================================================================== */
static const double F5_A[] = { 0.3, 0.5, 0.7 };
static const double F5_SEP[] = { 0.5, 0.75, 1, 1.5, 2, 3, 4, 6 };

/* Sandwich √(n Var p̂) and efficiency (1/I)/(n Var p̂) at (a, Δ). */
static int predict(ddpm_quad *q, gmm2 *g, double a, double sep, double *sdn, double *eff, double *crlb_sdn)
{
    ddpm_sandwich sw;
    int st = gmm2_set(g, PI0, sep, 0.0);
    if (!st) st = ddpm_sandwich_level(q, g, a, ddpm_b_of_a(a), &sw);
    double info, ierr;
    if (!st) st = gmm2_fisher_pi(PI0, sep, &info, &ierr);
    if (st) return st;
    *sdn = sqrt(sw.nvar_p);
    *eff = (1.0 / info) / sw.nvar_p;
    if (crlb_sdn) *crlb_sdn = sqrt(1.0 / info);
    return GSL_SUCCESS;
}

int pf_f5_separation(const pf_opts *o, pf_result *r)
{
    const size_t n = 2000, R = pf_pick(o, 400, 100), NC = 80;
    plots_fig *f = plots_fig_alloc();
    ddpm_quad *q = ddpm_quad_alloc();
    gmm2 *g = gmm2_alloc(1, NULL);
    int st = (!f || !q || !g) ? GSL_ENOMEM : GSL_SUCCESS;
    double worst_sd = 0, worst_eff = 0, eff_lo = INFINITY, eff_hi = 0;
    size_t total_nc = 0, cells = 0;
    if (!st) st = plots_fig_data(f, "kind,alpha,sep,n,reps,sdn,sdn_se,eff,eff_se,nonconv\n");
    /* curves: quadrature on a fine log grid of Δ */
    for (size_t ia = 0; ia <= LEN(F5_A) && !st; ia++)
        for (size_t i = 0; i < NC && !st; i++) {
            double sep = 0.4 * pow(8.0 / 0.4, (double)i / (double)(NC - 1)), sdn, eff, crlb;
            if (ia == LEN(F5_A)) {   /* the CRLB curve, the same at every level */
                if ((st = predict(q, g, F5_A[0], sep, &sdn, &eff, &crlb))) break;
                plots_fig_data(f, "crlb,,%.8g,,,%.8g,,1,,\n", sep, crlb);
            } else {
                if ((st = predict(q, g, F5_A[ia], sep, &sdn, &eff, NULL))) break;
                plots_fig_data(f, "quad,%g,%.8g,,,%.8g,,%.8g,,\n", F5_A[ia], sep, sdn, eff);
            }
        }
    /* simulation: d = 1, projected draws (the law is the same in every d: F3) */
    char seps[256], levels[128], nlist[32], cmd[512];
    list_text(seps, sizeof seps, F5_SEP, LEN(F5_SEP));
    list_text(levels, sizeof levels, F5_A, LEN(F5_A));
    snprintf(nlist, sizeof nlist, "%zu", n);
    sim_grid sg = { "1", seps, "0.3", levels, nlist, PC_SWEEP_DDPM, DDPM_MC_PROJECTED, R };
    pc_sweep_row *rows = NULL;
    size_t nrows = 0;
    if (!st) st = sweep(o, &sg, &rows, &nrows, cmd, sizeof cmd);
    for (size_t k = 0; k < nrows && !st; k++) {
        const pc_sweep_row *w = &rows[k];
        double sqn = sqrt((double)w->cell.n), sdn_pred = w->sd_sandwich * sqn;
        double eff_pred = (w->sd_crlb * w->sd_crlb) / (w->sd_sandwich * w->sd_sandwich);
        double sdn = w->rmse * sqn;   /* spread about the true π */
        double rel = sqrt(1.0 / (2.0 * (double)(w->reps - 1)));   /* relative SE of an sd */
        double eff = eff_pred * sdn_pred * sdn_pred / (sdn * sdn);
        worst_sd = fmax(worst_sd, fabs(sdn / sdn_pred - 1) / rel);
        worst_eff = fmax(worst_eff, fabs(eff / eff_pred - 1) / (2 * rel));
        eff_lo = fmin(eff_lo, eff);
        eff_hi = fmax(eff_hi, eff);
        total_nc += w->nonconv;
        cells++;
        plots_fig_data(f, "sim,%.15g,%.15g,%zu,%zu,%.8g,%.4g,%.8g,%.4g,%zu\n", w->cell.a, w->cell.sep, w->cell.n, w->reps,
                       sdn, sdn * rel, eff, eff * 2 * rel, w->nonconv);
    }
    free(rows);
    ddpm_quad_free(q);
    gmm2_free(g);
    plots_fig_comment(f, "the simulated points are the rows of: %s", cmd);

    plots_fig_body(f, "LEVELS = '0.3 0.5 0.7'\n");
    pf_head(f, r, 2, "Spread and efficiency of p̂_n against the separation Δ  (π = 0.3, n = 2000)");
    plots_fig_body(f,
        "set xlabel 'separation Δ  (units of the component sd)'\n"
        "set logscale x\n"
        "set xrange [0.4:8]\n"
        "set xtics (0.5, 1, 2, 4, 8)\n"
        "# left: √n · sd(p̂): the levels in the key, lines = sandwich prediction\n"
        "set ylabel '√n · sd(p̂_n)  (dimensionless)'\n"
        "set logscale y\n"
        "set yrange [0.15:6]\n"
        "set ytics (0.2, 0.3, 0.5, 1, 2, 3, 5)\n"
        "set key inside right bottom\n"
        "plot for [i=1:3] DATA using (column('sep')):(strcol('kind') eq 'quad' && strcol('alpha') eq word(LEVELS,i) ? column('sdn') : NaN) \\\n"
        "       with lines lt i title 'noise level a = '.word(LEVELS,i), \\\n"
        "     for [i=1:3] DATA using (column('sep')*(1+0.03*(i-2))):(strcol('kind') eq 'sim' && strcol('alpha') eq word(LEVELS,i) ? column('sdn') : NaN):(2*column('sdn_se')) \\\n"
        "       with yerrorbars lt i pt 7 notitle, \\\n"
        "     DATA using (column('sep')):(strcol('kind') eq 'crlb' ? column('sdn') : NaN) with lines lt 7 dt 2 title 'Cramér–Rao (MLE)'\n"
        "# right: efficiency; the key says what lines and points are\n"
        "set ylabel 'efficiency CRLB / Var(p̂_n)  (dimensionless)'\n"
        "unset logscale y\n"
        "set yrange [0:1.2]\n"
        "set ytics 0.2\n"
        "set key inside right top\n"
        "plot for [i=1:3] DATA using (column('sep')):(strcol('kind') eq 'quad' && strcol('alpha') eq word(LEVELS,i) ? column('eff') : NaN) \\\n"
        "       with lines lt i notitle, \\\n"
        "     for [i=1:3] DATA using (column('sep')*(1+0.03*(i-2))):(strcol('kind') eq 'sim' && strcol('alpha') eq word(LEVELS,i) ? column('eff') : NaN):(2*column('eff_se')) \\\n"
        "       with yerrorbars lt i pt 7 notitle, \\\n"
        "     1 with lines lt 7 lw 1 dt 3 title 'efficient', \\\n"
        "     keyentry with lines lt 8 title 'quadrature', \\\n"
        "     keyentry with yerrorbars lt 8 pt 7 title 'simulation ± 2 SE'\n"
        "unset multiplot\n");

    pf_cap(r, "Left: √n·sd(p̂_n) of the DDPM estimator against Δ at noise levels a = 0.3, 0.5, 0.7 — lines the sandwich "
           "prediction (quadrature, THEORY.md §6), points the spread about π of R = %zu replicates of n = %zu (projected draws; "
           "the law is the same in every d, F3; shifted by ±3%% in Δ to stay apart), error bars ± 2 SE; dashed the Cramér–Rao bound "
           "of the MLE, 1/√I(π). "
           "Right: the efficiency CRLB/Var. π = 0.3. ", R, n);
    pf_cap(r, "Simulation matches the prediction: worst deviation %.2f SE in the spread and %.2f SE in the efficiency over %zu cells; "
           "simulated efficiency ranges %.3f to %.3f. The DDPM estimator is most efficient at high noise (small a) and for "
           "small separations; at low noise and large Δ its variance grows. Fits without a minimiser: %zu. "
           "The simulated points are the rows of `%s`.",
        worst_sd, worst_eff, cells, eff_lo, eff_hi, total_nc, cmd);
    return pf_finish(o, r, f, st);
}

/* ====================================================================================
 * F6 — efficiency against the noise level (THEORY.md §6; C7)
 * ==================================================================================== */
static const double F6_SEP[] = { 1, 2, 4 };
static const double F6_B[] = { 0.3, 0.45, 0.6, 0.75, 0.9, 0.97 };

int pf_f6_efficiency(const pf_opts *o, pf_result *r)
{
    const size_t n = pf_pick(o, 4000, 2000), R = pf_pick(o, 300, 80), NC = 120;
    const double sd_max = 0.06;   /* simulate only where the predicted sd of p̂ is below this */
    plots_fig *f = plots_fig_alloc();
    ddpm_quad *q = ddpm_quad_alloc();
    gmm2 *g = gmm2_alloc(1, NULL);
    int st = (!f || !q || !g) ? GSL_ENOMEM : GSL_SUCCESS;
    double worst = 0, peak_b[LEN(F6_SEP)], peak_eff[LEN(F6_SEP)];
    int at_end[LEN(F6_SEP)];
    size_t cells = 0, skipped = 0, total_nc = 0;
    if (!st) st = plots_fig_data(f, "kind,sep,b,alpha,n,reps,eff,eff_se,nonconv\n");
    for (size_t is = 0; is < LEN(F6_SEP) && !st; is++) {
        peak_eff[is] = 0;
        peak_b[is] = NAN;
        for (size_t i = 0; i < NC && !st; i++) {
            double bb = 0.05 + (0.995 - 0.05) * (double)i / (double)(NC - 1), a = ddpm_b_of_a(bb), sdn, eff;
            if ((st = predict(q, g, a, F6_SEP[is], &sdn, &eff, NULL))) break;
            if (eff > peak_eff[is]) { peak_eff[is] = eff; peak_b[is] = bb; at_end[is] = i == NC - 1; }
            plots_fig_data(f, "quad,%g,%.8g,%.10g,,,%.8g,,\n", F6_SEP[is], bb, a, eff);
        }
    }
    /* simulation: one sweep per Δ over the levels where the predicted sd is small enough */
    char cmds[LEN(F6_SEP)][512];
    for (size_t is = 0; is < LEN(F6_SEP) && !st; is++) {
        double as[LEN(F6_B)];
        size_t na = 0;
        for (size_t ib = 0; ib < LEN(F6_B) && !st; ib++) {
            double a = ddpm_b_of_a(F6_B[ib]), sdn, eff_pred;
            if ((st = predict(q, g, a, F6_SEP[is], &sdn, &eff_pred, NULL))) break;
            if (sdn / sqrt((double)n) > sd_max) skipped++;
            else as[na++] = a;
        }
        cmds[is][0] = '\0';
        if (st || na == 0) continue;
        char levels[256], sep[32], nlist[32];
        list_text(levels, sizeof levels, as, na);
        snprintf(sep, sizeof sep, "%g", F6_SEP[is]);
        snprintf(nlist, sizeof nlist, "%zu", n);
        sim_grid sg = { "1", sep, "0.3", levels, nlist, PC_SWEEP_DDPM, DDPM_MC_PROJECTED, R };
        pc_sweep_row *rows = NULL;
        size_t nrows = 0;
        if ((st = sweep(o, &sg, &rows, &nrows, cmds[is], sizeof cmds[is]))) break;
        for (size_t k = 0; k < nrows; k++) {
            const pc_sweep_row *w = &rows[k];
            double eff_pred = (w->sd_crlb * w->sd_crlb) / (w->sd_sandwich * w->sd_sandwich);
            double eff = (w->sd_crlb * w->sd_crlb) / (w->rmse * w->rmse);   /* CRLB / variance about π */
            double se = eff * sqrt(2.0 / (double)(w->reps - 1));
            worst = fmax(worst, fabs(eff - eff_pred) / se);
            total_nc += w->nonconv;
            cells++;
            plots_fig_data(f, "sim,%g,%.10g,%.15g,%zu,%zu,%.8g,%.4g,%zu\n", F6_SEP[is], w->cell.b, w->cell.a, w->cell.n, w->reps,
                           eff, se, w->nonconv);
        }
        free(rows);
        plots_fig_comment(f, "the simulated points for Δ = %g are the rows of: %s", F6_SEP[is], cmds[is]);
    }
    ddpm_quad_free(q);
    gmm2_free(g);

    plots_fig_body(f, "SEPS = '1 2 4'\n");
    pf_head(f, r, 1, "Efficiency of the DDPM estimator against the noise level  (π = 0.3)");
    plots_fig_body(f,
        "set xlabel 'noise level b = σ_t = √(1 − a^2)  (dimensionless; 0 = clean data, 1 = pure noise)'\n"
        "set ylabel 'efficiency CRLB / Var(p̂_n)  (dimensionless)'\n"
        "set xrange [0:1]\n"
        "set yrange [0:1.05]\n"
        "set key inside left top title 'separation'\n"
        "plot for [i=1:3] DATA using (column('b')):(strcol('kind') eq 'quad' && strcol('sep') eq word(SEPS,i) ? column('eff') : NaN) \\\n"
        "       with lines lt i title 'Δ = '.word(SEPS,i), \\\n"
        "     for [i=1:3] DATA using (column('b')):(strcol('kind') eq 'sim' && strcol('sep') eq word(SEPS,i) ? column('eff') : NaN):(2*column('eff_se')) \\\n"
        "       with yerrorbars lt i pt 7 ps 1.2 notitle, \\\n"
        "     keyentry with lines lt 8 title 'quadrature (sandwich vs Fisher)', \\\n"
        "     keyentry with yerrorbars lt 8 pt 7 title sprintf('simulation, n = %zu, ± 2 SE', %zu), \\\n"
        "     1 with lines lt 7 lw 1 dt 3 title 'efficient (= MLE)'\n", n, n);

    pf_cap(r, "Efficiency of the DDPM estimator, CRLB/Var(p̂_n) = (1/I(π)) / (n Var), against the noise level b = σ_t, for Δ = 1, 2, 4 "
           "(π = 0.3). Lines: quadrature (sandwich variance, THEORY.md §6, against the Fisher information); points: R = %zu replicates "
           "of n = %zu (projected draws), ± 2 SE, at b = 0.3…0.97 where the predicted sd of p̂ is below %.2f (%zu cell%s skipped). ",
        R, n, sd_max, skipped, skipped == 1 ? "" : "s");
    pf_cap(r, "Simulation matches quadrature within %.2f SE over %zu cells. As b → 0 the variance blows up like 1/b² (efficiency → 0); "
           "the efficiency is largest ", worst, cells);
    int all_end = 1;
    for (size_t is = 0; is < LEN(F6_SEP); is++) all_end &= at_end[is];
    if (all_end) {
        pf_cap(r, "at the noisiest level drawn, b = %.3f: ", peak_b[0]);
        for (size_t is = 0; is < LEN(F6_SEP); is++) pf_cap(r, "%s%.3f (Δ = %g)", is ? ", " : "", peak_eff[is], F6_SEP[is]);
    } else
        for (size_t is = 0; is < LEN(F6_SEP); is++)
            pf_cap(r, "%s%.3f at b = %.3f (Δ = %g)", is ? ", " : "", peak_eff[is], peak_b[is], F6_SEP[is]);
    pf_cap(r, "; as b → 1 the estimator becomes moment matching of the mean along u. Fits without a minimiser: %zu. "
           "The simulated points are the rows of", total_nc);
    for (size_t is = 0; is < LEN(F6_SEP); is++)
        if (cmds[is][0]) pf_cap(r, "%s `%s`", is ? ";" : "", cmds[is]);
    pf_cap(r, ".");
    return pf_finish(o, r, f, st);
}

/* ====================================================================================
 * F9 — learning the means too: error grows like √(d/n); the weight alone does not
 * (THEORY.md §6 end; C9)
 * ==================================================================================== */

int pf_f9_means(const pf_opts *o, pf_result *r)
{
    static const size_t D_full[] = { 4, 16, 64, 256, 1024 }, D_quick[] = { 4, 32, 256 };
    const size_t *Ds = o->quick ? D_quick : D_full, nd = o->quick ? LEN(D_quick) : LEN(D_full);
    const size_t n = pf_pick(o, 2000, 1000), R = pf_pick(o, 8, 6), Rw = pf_pick(o, 300, 100), steps = 400;
    const double a = 0.8, sep = 3.0;
    plots_fig *f = plots_fig_alloc();
    double *me = malloc(R * sizeof(double)), *pj = malloc(R * sizeof(double));
    int st = (!f || !me || !pj) ? GSL_ENOMEM : GSL_SUCCESS;
    /* the weight alone, means known: a sweep over d */
    char dlist[128], nlist[32], cmd[512];
    size_t off = 0;
    for (size_t k = 0; k < nd; k++) off += (size_t)snprintf(dlist + off, sizeof dlist - off, "%s%zu", k ? "," : "", Ds[k]);
    snprintf(nlist, sizeof nlist, "%zu", n);
    sim_grid sg = { dlist, "3", "0.3", "0.8", nlist, PC_SWEEP_DDPM, DDPM_MC_EXPLICIT, Rw };
    pc_sweep_row *rows = NULL;
    size_t nrows = 0;
    if (!st) st = sweep(o, &sg, &rows, &nrows, cmd, sizeof cmd);
    if (!st && nrows != nd) st = GSL_ESANITY;
    double logd[8], logm[8], logw[8], logj[8], sd_pred = NAN, q_err[3][8], q_se[3][8];
    size_t q_reps[3][8];
    if (!st) st = plots_fig_data(f, "quantity,d,n,reps,err,err_se,pred\n");
    for (size_t k = 0; k < nd && !st; k++) {
        size_t d = Ds[k];
        gmm2 *g = gmm2_alloc(d, NULL);
        if (!g) { st = GSL_ENOMEM; break; }
        st = gmm2_set(g, PI0, sep, 0.0);
        /* the weight and both means, jointly (serial: the products run on OpenBLAS's threads) */
        for (size_t rep = 0; rep < R && !st; rep++)
            st = pc_joint_fit(g, a, n, steps, pf_stream(o, 9, k, rep), &me[rep], NULL, &pj[rep]);
        gmm2_free(g);
        if (st) break;
        const pc_sweep_row *w = &rows[k];
        double rw = w->rmse, rw_se = rw / sqrt(2.0 * (double)w->reps), rj, rj_se;
        sd_pred = w->sd_sandwich;
        rmse_of(pj, R, PI0, &rj, &rj_se);
        double mm = gsl_stats_mean(me, 1, R), mse = gsl_stats_sd(me, 1, R) / sqrt((double)R);
        logd[k] = log((double)d);
        logm[k] = log(mm);
        logw[k] = log(rw);
        logj[k] = log(rj);
        q_err[0][k] = mm; q_se[0][k] = mse; q_reps[0][k] = R;
        q_err[1][k] = rj; q_se[1][k] = rj_se; q_reps[1][k] = R;
        q_err[2][k] = rw; q_se[2][k] = rw_se; q_reps[2][k] = w->reps;
    }
    /* quantity-major, so that each quantity is one run of rows (one line in the figure) */
    static const char *QN[3] = { "means", "weight_joint", "weight_alone" };
    for (int qi = 0; qi < 3 && !st; qi++)
        for (size_t k = 0; k < nd; k++) {
            plots_fig_data(f, "%s,%zu,%zu,%zu,%.8g,%.4g,", QN[qi], Ds[k], n, q_reps[qi][k], q_err[qi][k], q_se[qi][k]);
            if (qi == 2) plots_fig_data(f, "%.8g\n", sd_pred);
            else plots_fig_data(f, "\n");
        }
    free(rows);
    free(me); free(pj);
    plots_fig_comment(f, "the weight-alone points are the rows of: %s", cmd);
    double sm = NAN, swl = NAN, sj = NAN, c0m = NAN, c00, c01, c11, ss, c0;
    if (!st) {
        st = gsl_fit_linear(logd, 1, logm, 1, nd, &c0m, &sm, &c00, &c01, &c11, &ss);
        if (!st) st = gsl_fit_linear(logd, 1, logw, 1, nd, &c0, &swl, &c00, &c01, &c11, &ss);
        if (!st) st = gsl_fit_linear(logd, 1, logj, 1, nd, &c0, &sj, &c00, &c01, &c11, &ss);
        /* reference √d line through the geometric centre of the mean errors */
        double cen = 0, lcen = 0;
        for (size_t k = 0; k < nd; k++) { cen += logd[k] / (double)nd; lcen += logm[k] / (double)nd; }
        for (size_t k = 0; k < nd; k++)
            plots_fig_data(f, "sqrt_d_reference,%zu,%zu,,%.8g,,\n", Ds[k], n, exp(lcen + 0.5 * (logd[k] - cen)));
    }

    plots_fig_body(f, "DMAX = %zu\n", Ds[nd - 1]);
    char sub[160];
    snprintf(sub, sizeof sub, "Means against weights: error against the dimension d  (n = %zu)", n);
    pf_head(f, r, 1, sub);
    plots_fig_body(f,
        "set xlabel 'dimension d of the data'\n"
        "set ylabel 'error  (units of the component sd; p̂ dimensionless)'\n"
        "set logscale xy\n"
        "set xrange [3:DMAX*1.4]\n"
        "set yrange [0.01:100]\n"
        "set ytics ('0.01' 0.01, '0.03' 0.03, '0.1' 0.1, '0.3' 0.3, '1' 1, '3' 3, '10' 10)\n"
        "set key inside left top width 1\n"
        "plot DATA using (column('d')):(strcol('quantity') eq 'means' ? column('err') : NaN):(2*column('err_se')) with yerrorbars lt 2 pt 5 ps 1.4 \\\n"
        "       title 'means learned too: ‖μ̂_1 − μ_1‖ + ‖μ̂_2 − μ_2‖', \\\n"
        "     DATA using (column('d')):(strcol('quantity') eq 'means' ? column('err') : NaN) with lines lt 2 notitle, \\\n"
        "     DATA using (column('d')):(strcol('quantity') eq 'sqrt_d_reference' ? column('err') : NaN) with lines lt 7 dt 2 \\\n"
        "       title 'slope 1/2 reference  ∝ √(d/n)', \\\n"
        "     DATA using (column('d')):(strcol('quantity') eq 'weight_joint' ? column('err') : NaN):(2*column('err_se')) with yerrorbars lt 5 pt 9 ps 1.4 \\\n"
        "       title 'mixing weight, fitted jointly with the means: RMSE of p̂', \\\n"
        "     DATA using (column('d')):(strcol('quantity') eq 'weight_alone' ? column('err') : NaN):(2*column('err_se')) with yerrorbars lt 1 pt 7 ps 1.4 \\\n"
        "       title 'mixing weight alone (means known): RMSE of p̂', \\\n"
        "     DATA using (column('d')):(strcol('quantity') eq 'weight_alone' ? column('pred') : NaN) with lines lt 1 dt 2 \\\n"
        "       title 'sandwich prediction for the weight alone'\n");

    pf_cap(r, "Error against the dimension d = %zu…%zu at n = %zu explicit d-dimensional samples (a = 0.8, Δ = 3, π = 0.3), error bars ± 2 SE. "
           "Means learned too: gradient descent on the same empirical DDPM loss over (w, μ1, μ2) jointly, %zu steps from the truth, "
           "R = %zu replicates; the mean error ‖μ̂1 − μ1‖ + ‖μ̂2 − μ2‖ grows like d^%.3f (fitted; √(d/n) predicts 1/2). ",
        Ds[0], Ds[nd - 1], n, steps, R, sm);
    pf_cap(r, "The mixing weight alone, with the means known (DDPM estimator, R = %zu): RMSE slope in d %.3f — flat, at the sandwich "
           "prediction %.4f (the rows of `%s`). Fitted jointly with the means, the weight’s RMSE has slope %.3f.",
        Rw, swl, sd_pred, cmd, sj);
    return pf_finish(o, r, f, st);
}
