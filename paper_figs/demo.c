/* paper_figs/demo.c — the lecture demos (spirelab demo; see figs.h).
 *
 * Each demo computes every frame first (with the library), then writes
 * one CSV of all frames (a "frame" column) and a gnuplot body that draws
 * frame after frame: one image per frame in an animated GIF, or a live
 * window pausing PAUSE seconds between frames. */
#include "paper_figs/figs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include "common/spl.h"
#include "ddpm/ddpm.h"
#include "ddpm/schedule.h"
#include "gmm/gmm.h"


void pf_demo_opts_default(pf_demo_opts *d)
{
    memset(d, 0, sizeof *d);
    d->pi = 0.3;
    d->sep = 0;          /* 0: the demo's own default (gd, dimension: 2; diffusion: 4) */
    d->alpha = 0.7;
    d->lr = 0;           /* 0: 0.3/ℓ''(θ*) */
    d->init = 0.95;
    d->steps = 30;
    d->wrong_pi = 0.7;
    d->points = 400;
    d->reps = 200;
    d->n = 300;
    d->seed = 1;
}

static int common_ok(const pf_demo_opts *d)
{
    return d && d->pi > 0 && d->pi < 1 && d->sep >= 0 && isfinite(d->sep) && d->alpha > 0 && d->alpha < 1;
}

/* ====================================================================================
 * gd: a ball rolling down the excess-loss curve (THEORY.md §5)
 * ==================================================================================== */
int pf_demo_gd(const pf_demo_opts *d, plots_fig *f, size_t *nframes)
{
    if (!common_ok(d) || !f || !(d->lr >= 0) || !isfinite(d->lr) || !(d->init > 0 && d->init < 1)
        || d->steps < 1 || d->steps > 100000)
        return GSL_EDOM;
    const double sep = d->sep > 0 ? d->sep : 2.0, a = d->alpha, b = ddpm_b_of_a(a), th = spl_logit(d->pi);
    const size_t NC = 400, K = d->steps;
    ddpm_quad *q = ddpm_quad_alloc();
    gmm2 *g = gmm2_alloc(1, NULL);
    ddpm_gd *gd = ddpm_gd_alloc();
    int st = (!q || !g || !gd) ? GSL_ENOMEM : gmm2_set(g, d->pi, sep, 0.0);
    ddpm_loss_result res;
    if (!st) st = ddpm_loss_level(q, g, a, b, th, &res);
    const double h = res.hess.val, eta = d->lr > 0 ? d->lr : 0.3 / h;
    double ymax = 0;
    if (!st) st = plots_fig_data(f, "kind,k,p,excess\n");
    for (size_t i = 0; i < NC && !st; i++) {
        double p = 0.002 + 0.996 * (double)i / (double)(NC - 1);
        if ((st = ddpm_loss_level(q, g, a, b, spl_logit(p), &res))) break;
        ymax = fmax(ymax, res.excess.val);
        plots_fig_data(f, "curve,,%.10g,%.10g\n", p, res.excess.val);
    }
    ddpm_obj_level_ctx ctx = { q, g, a, b };
    if (!st) st = ddpm_gd_set(gd, ddpm_obj_level, &ctx, DDPM_PARAM_LOGIT, d->init, eta, 0);
    for (size_t k = 0; k <= K && !st; k++) {
        if ((st = ddpm_loss_level(q, g, a, b, gd->w, &res))) break;
        plots_fig_data(f, "iter,%zu,%.10g,%.10g\n", k, gd->p, res.excess.val);
        if (k < K && (st = ddpm_gd_iterate(gd))) break;
    }
    ddpm_gd_free(gd);
    ddpm_quad_free(q);
    gmm2_free(g);
    if (st) return st;
    plots_fig_body(f, "K = %zu\nPI = %g\nYMAX = %.6g\nRATE = %.4f\n", K, d->pi, 1.1 * ymax, fabs(1 - eta * h));
    plots_fig_body(f,
        "do for [k=0:K] {\n"
        "  set multiplot layout 1,2 title sprintf('Gradient descent on the mixing weight: step k = %%d   (π = %g, Δ = %g, a = %g, η = %.3g)', k) font sprintf(',%%g', FONTSIZE + 2)\n"
        "  set xlabel 'model mixing weight p  (dimensionless)'\n"
        "  set ylabel 'excess loss ℓ(p) − ℓ(π)  (dimensionless)'\n"
        "  set xrange [0:1]\n"
        "  set yrange [0:YMAX]\n"
        "  set key inside left top\n"
        "  set arrow 1 from PI, graph 0 to PI, graph 1 nohead dt 2 lc rgb '#555555'\n"
        "  plot DATA using (column('p')):(strcol('kind') eq 'curve' ? column('excess') : NaN) with lines lt 1 title 'excess loss (quadrature)', \\\n"
        "       DATA using (column('p')):(strcol('kind') eq 'iter' && column('k') < k ? column('excess') : NaN) with points lt 2 pt 7 ps 0.8 title 'earlier iterates', \\\n"
        "       DATA using (column('p')):(strcol('kind') eq 'iter' && column('k') == k ? column('excess') : NaN) with points lt 2 pt 7 ps 4 title 'p_k'\n"
        "  unset arrow 1\n"
        "  set xlabel 'iteration k'\n"
        "  set ylabel 'p_k  (dimensionless)'\n"
        "  set xrange [0:K]\n"
        "  set yrange [0:1]\n"
        "  set key inside right top\n"
        "  plot DATA using (column('k')):(strcol('kind') eq 'iter' && column('k') <= k ? column('p') : NaN) with linespoints lt 2 pt 7 ps 0.8 title 'p_k', \\\n"
        "       PI with lines lt 7 dt 2 title sprintf('π = %%g', PI)\n"
        "  unset multiplot\n"
        "  if (LIVE) { pause PAUSE }\n"
        "}\n", d->pi, sep, a, eta);
    if (nframes) *nframes = K + 1;
    return GSL_SUCCESS;
}

/* ====================================================================================
 * diffusion: forward noising and reverse sampling in 2-D with the exact score
 * (THEORY.md §2): s_w(x) = −x + a(ρ_w μ1 + (1−ρ_w) μ2),
 * ρ_w = sigmoid(w + a(μ1−μ2)·x − a²(|μ1|²−|μ2|²)/2); here μ1 = −μ2 = (Δ/2) e1,
 * so ρ_w = sigmoid(w + aΔ x_1).  Reverse (DDPM, Ho et al.):
 *   x_{t−1} = (x_t + β_t s_w(x_t)) / √(1−β_t) + √β_t z,   z ~ N(0, I), none at t = 1.
 * ==================================================================================== */
#define DIFF_T 1000
#define DIFF_EVERY 40       /* steps between frames */
#define DIFF_HOLD 8         /* extra frames showing the end */

/* s_w at level (a, b) for μ1 = −μ2 = (Δ/2) e1 in R², weights (sigmoid w, 1 − sigmoid w):
 * gmm_score_noised with σ = 1 (v = a² + b² = 1). */
static int score(double w, double a, double b, double sep, const double *x, double *s)
{
    const double mu[4] = { 0.5 * sep, 0.0, -0.5 * sep, 0.0 };
    const double logw[2] = { -spl_log1pexp(-w), -spl_log1pexp(w) };
    double rho[2];
    return gmm_score_noised(2, 2, logw, mu, 1.0, a, b, x, rho, s);
}

int pf_demo_diffusion(const pf_demo_opts *d, plots_fig *f, size_t *nframes)
{
    if (!common_ok(d) || !f || !(d->wrong_pi > 0 && d->wrong_pi < 1) || d->points < 10 || d->points > 100000)
        return GSL_EDOM;
    const double sep = d->sep > 0 ? d->sep : 4.0;
    const size_t N = d->points, NF = 2 * (DIFF_T / DIFF_EVERY) + 1;   /* forward 0..T, reverse T..0 */
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_LINEAR, DIFF_T, NULL);
    double *x0 = malloc(2 * N * sizeof(double)), *eps = malloc(2 * N * sizeof(double));
    double *xr = malloc(2 * 2 * N * sizeof(double));   /* reverse states, true and wrong weight */
    int *lab = malloc(N * sizeof(int));
    double *frac = malloc(2 * NF * sizeof(double));
    int *fin = malloc(2 * N * sizeof(int));
    gsl_rng *r = spl_rng_alloc(d->seed, 0xD1FF, 0), *rz = spl_rng_alloc(d->seed, 0xD1FF, 1);
    int st = (!s || !x0 || !eps || !xr || !lab || !frac || !fin || !r || !rz) ? GSL_ENOMEM : GSL_SUCCESS;
    if (!st) {
        /* data: component 1 (weight π) at +Δ/2 e1 */
        for (size_t i = 0; i < N; i++) {
            lab[i] = gsl_rng_uniform(r) < d->pi ? 1 : 2;
            x0[2 * i] = (lab[i] == 1 ? 0.5 : -0.5) * sep + gsl_ran_gaussian_ziggurat(r, 1.0);
            x0[2 * i + 1] = gsl_ran_gaussian_ziggurat(r, 1.0);
            eps[2 * i] = gsl_ran_gaussian_ziggurat(r, 1.0);
            eps[2 * i + 1] = gsl_ran_gaussian_ziggurat(r, 1.0);
        }
        /* reverse runs: both from the same x_T and the same noise z */
        for (size_t i = 0; i < N; i++)
            for (int c = 0; c < 2; c++) xr[4 * i + c] = xr[4 * i + 2 + c] = gsl_ran_gaussian_ziggurat(r, 1.0);
        const double w[2] = { spl_logit(d->pi), spl_logit(d->wrong_pi) };
        /* run the reverse chains once to know each point's final component (its colour) */
        double *xs = malloc(4 * N * sizeof(double));
        double **traj = calloc(NF, sizeof(double *));
        if (!xs || !traj) st = GSL_ENOMEM;
        size_t fr = DIFF_T / DIFF_EVERY + 1;   /* first reverse frame after the forward ones */
        if (!st) {
            memcpy(xs, xr, 4 * N * sizeof(double));
            for (size_t t = DIFF_T; t >= 1 && !st; t--) {
                double beta = s->beta[t - 1], a = s->a[t - 1], b = s->b[t - 1];
                double sc = 1.0 / sqrt(1.0 - beta), sb = sqrt(beta);
                for (size_t i = 0; i < N; i++) {
                    double z[2] = { t > 1 ? gsl_ran_gaussian_ziggurat(rz, 1.0) : 0, t > 1 ? gsl_ran_gaussian_ziggurat(rz, 1.0) : 0 };
                    for (int m = 0; m < 2; m++) {
                        double *x = xs + 4 * i + 2 * m, sv[2];
                        if (!st) st = score(w[m], a, b, sep, x, sv);
                        for (int c = 0; c < 2; c++) x[c] = (x[c] + beta * sv[c]) * sc + sb * z[c];
                    }
                }
                if ((t - 1) % DIFF_EVERY == 0) {
                    size_t k = fr + (DIFF_T - (t - 1)) / DIFF_EVERY - 1;
                    if (k < NF) {
                        traj[k] = malloc(4 * N * sizeof(double));
                        if (!traj[k]) st = GSL_ENOMEM;
                        else memcpy(traj[k], xs, 4 * N * sizeof(double));
                    }
                }
            }
            for (size_t i = 0; i < N; i++)
                for (int m = 0; m < 2; m++) fin[2 * i + m] = xs[4 * i + 2 * m] > 0 ? 1 : 2;
        }
        /* rows: frame, panel (0 true weight, 1 wrong weight), then the points */
        if (!st) st = plots_fig_data(f, "frame,panel,t,x,y,component\n");
        for (size_t k = 0; k < NF && !st; k++) {
            int forward = k < fr;
            size_t t = forward ? k * DIFF_EVERY : DIFF_T - (k - fr + 1) * DIFF_EVERY;
            double a = t == 0 ? 1.0 : s->a[t - 1], b = t == 0 ? 0.0 : s->b[t - 1];
            for (int m = 0; m < 2; m++) {
                size_t in1 = 0;
                for (size_t i = 0; i < N; i++) {
                    double x, y;
                    int c;
                    if (forward) {
                        x = a * x0[2 * i] + b * eps[2 * i];
                        y = a * x0[2 * i + 1] + b * eps[2 * i + 1];
                        c = lab[i];
                    } else {
                        const double *src = traj[k] ? traj[k] : xr;
                        x = src[4 * i + 2 * m];
                        y = src[4 * i + 2 * m + 1];
                        c = fin[2 * i + m];
                    }
                    in1 += x > 0;
                    plots_fig_data(f, "%zu,%d,%zu,%.5f,%.5f,%d\n", k, m, t, x, y, c);
                }
                frac[2 * k + m] = (double)in1 / (double)N;
            }
        }
        for (size_t k = 0; traj && k < NF; k++) free(traj[k]);
        free(traj);
        free(xs);
    }
    if (!st) {
        plots_fig_body(f, "N = %zu\nNF = %zu\nFR = %zu\nHOLD = %d\nEVERY = %d\nT = %d\nSEP = %g\n",
                       N, NF, (size_t)(DIFF_T / DIFF_EVERY + 1), DIFF_HOLD, DIFF_EVERY, DIFF_T, sep);
        plots_fig_body(f, "array FRAC[%zu] = [", 2 * NF);
        for (size_t k = 0; k < 2 * NF; k++) plots_fig_body(f, "%s%.4f", k ? "," : "", frac[k]);
        plots_fig_body(f, "]\n");
        plots_fig_body(f,
            "PANEL(m) = m == 0 ? 'model weight %g (the true π)' : 'model weight %g (wrong)'\n"
            "do for [kk=0:NF+HOLD-1] {\n"
            "  k = kk < NF ? kk : NF - 1\n"
            "  fwd = k < FR\n"
            "  t = fwd ? k*EVERY : T - (k - FR + 1)*EVERY\n"
            "  set multiplot layout 1,2 title (fwd ? sprintf('Forward noising x_t = a_t x_0 + b_t ε of data with π = %g:  t = %%d of %%d', t, T) \\\n"
            "                                     : sprintf('Reverse sampling with the exact score s_w (THEORY.md §2):  t = %%d of %%d', t, T)) font sprintf(',%%g', FONTSIZE + 2)\n"
            "  set size ratio -1\n"
            "  set xrange [-SEP/2-3.5:SEP/2+3.5]\n"
            "  set yrange [-SEP/2-3.5:SEP/2+3.5]\n"
            "  set xlabel 'x_1 (along μ_1 − μ_2; units of the component sd)'\n"
            "  set ylabel 'x_2'\n"
            "  set key inside left top\n"
            "  do for [m=0:1] {\n"
            "    set title (fwd ? 'data (both panels)' : PANEL(m)).sprintf(\"\\nfraction with x_1 > 0: %%.2f\", FRAC[2*k+m+1])\n"
            "    r0 = (2*k + m)*N\n"
            "    plot DATA every ::r0::(r0+N-1) using (column('x')):(column('component') == 1 ? column('y') : NaN) with points lt 1 pt 7 ps 0.6 \\\n"
            "           title (fwd ? 'component 1 (π)' : 'ends x_1 > 0'), \\\n"
            "         DATA every ::r0::(r0+N-1) using (column('x')):(column('component') == 2 ? column('y') : NaN) with points lt 2 pt 7 ps 0.6 \\\n"
            "           title (fwd ? 'component 2' : 'ends x_1 < 0')\n"
            "  }\n"
            "  unset multiplot\n"
            "  if (LIVE) { pause PAUSE }\n"
            "}\n", d->pi, d->wrong_pi, d->pi);
        if (nframes) *nframes = NF + DIFF_HOLD;
    }
    ddpm_schedule_free(s);
    free(x0); free(eps); free(xr); free(lab); free(frac); free(fin);
    gsl_rng_free(r);
    gsl_rng_free(rz);
    return st;
}

/* ====================================================================================
 * dimension: histograms of p̂ for d = 1, 100, 10⁴ filling in (THEORY.md §6)
 * ==================================================================================== */
#define DIM_FRAMES 20
#define DIM_BINS 25

int pf_demo_dimension(const pf_demo_opts *d, plots_fig *f, size_t *nframes)
{
    if (!common_ok(d) || !f || d->reps < DIM_FRAMES || d->reps > 100000 || d->n < 10 || d->n > 10000000)
        return GSL_EDOM;
    static const size_t D[3] = { 1, 100, 10000 };
    const double sep = d->sep > 0 ? d->sep : 2.0, a = d->alpha, b = ddpm_b_of_a(a);
    const size_t R = d->reps, n = d->n;
    double *ph = malloc(3 * R * sizeof(double));
    ddpm_quad *q = ddpm_quad_alloc();
    gmm2 *g1 = gmm2_alloc(1, NULL);
    int st = (!ph || !q || !g1) ? GSL_ENOMEM : gmm2_set(g1, d->pi, sep, 0.0);
    ddpm_sandwich sw = { 0 };
    if (!st) st = ddpm_sandwich_level(q, g1, a, b, &sw);
    const double sd = sqrt(sw.nvar_p / (double)n), lo = d->pi - 4 * sd, hi = d->pi + 4 * sd, bw = (hi - lo) / DIM_BINS;
    for (size_t j = 0; j < 3 && !st; j++) {
        gmm2 *g = gmm2_alloc(D[j], NULL);
        if (!g) { st = GSL_ENOMEM; break; }
        if ((st = gmm2_set(g, d->pi, sep, 0.0))) { gmm2_free(g); break; }
        int *rst = calloc(R, sizeof *rst);   /* each replicate's status; the first failing one counts */
        if (!rst) { gmm2_free(g); st = GSL_ENOMEM; break; }
        #pragma omp parallel for schedule(dynamic)
        for (size_t rep = 0; rep < R; rep++) {
            ddpm_sample *S = ddpm_sample_draw(g, NULL, a, b, n, DDPM_MC_EXPLICIT, spl_stream_seed(d->seed, 0xD1A + j, rep), &rst[rep]);
            ddpm_fit_result fr;
            if (!S) continue;
            int s2 = ddpm_fit_ddpm(S, DDPM_FIT_W0, DDPM_FIT_TOL, DDPM_FIT_MAXITER, &fr);
            ph[j * R + rep] = s2 == GSL_SUCCESS ? fr.p_hat : NAN;   /* no minimiser: not shown */
            if (s2 && s2 != GSL_EMAXITER) rst[rep] = s2;
            ddpm_sample_free(S);
        }
        gmm2_free(g);
        for (size_t rep = 0; rep < R && !st; rep++) st = rst[rep];
        free(rst);
    }
    ddpm_quad_free(q);
    gmm2_free(g1);
    if (!st) st = plots_fig_data(f, "kind,frame,d,reps,x,count\n");
    for (size_t k = 0; k < DIM_FRAMES && !st; k++) {
        size_t upto = (k + 1) * R / DIM_FRAMES;
        for (size_t j = 0; j < 3; j++) {
            size_t cnt[DIM_BINS] = {0};
            for (size_t i = 0; i < upto; i++) {
                double x = ph[j * R + i];
                if (x >= lo && x < hi) cnt[(size_t)((x - lo) / bw)]++;
            }
            for (size_t bin = 0; bin < DIM_BINS; bin++)
                plots_fig_data(f, "hist,%zu,%zu,%zu,%.8g,%zu\n", k, D[j], upto, lo + (bin + 0.5) * bw, cnt[bin]);
            /* the sandwich normal density scaled to counts per bin */
            for (size_t i = 0; i <= 100; i++) {
                double x = lo + (hi - lo) * (double)i / 100.0;
                plots_fig_data(f, "pred,%zu,%zu,%zu,%.8g,%.6g\n", k, D[j], upto, x,
                               (double)upto * bw * gsl_ran_gaussian_pdf(x - d->pi, sd));
            }
        }
    }
    free(ph);
    if (st) return st;
    plots_fig_body(f, "NF = %d\nHOLD = 6\nBW = %.8g\nDS = '1 100 10000'\nPI = %g\n", DIM_FRAMES, bw, d->pi);
    plots_fig_body(f,
        "set style fill solid 0.6 border lc rgb '#333333'\n"
        "do for [kk=0:NF+HOLD-1] {\n"
        "  k = kk < NF ? kk : NF - 1\n"
        "  reps = (k + 1) * %zu / NF\n"
        "  set multiplot layout 1,3 title sprintf(\"The law of p̂_n is the same in every dimension d\\n%%d of %zu replicates of n = %zu   (π = %g, Δ = %g, a = %g)\", reps) font sprintf(',%%g', FONTSIZE + 1)\n"
        "  set xlabel 'p̂_n  (dimensionless)'\n"
        "  set ylabel 'replicates per bin'\n"
        "  set xrange [%.6g:%.6g]\n"
        "  set xtics 0.1 format '%%.1f'\n"
        "  set yrange [0:%.6g]\n"
        "  do for [j=1:3] {\n"
        "    set title sprintf('d = %%s', word(DS,j))\n"
        "    if (j == 1) { set key inside left top } else { unset key }\n"
        "    set arrow 1 from PI, graph 0 to PI, graph 1 nohead dt 2 lc rgb '#555555'\n"
        "    plot DATA using (column('x')):(strcol('kind') eq 'hist' && column('frame') == k && column('d') == word(DS,j) ? column('count') : NaN):(BW) \\\n"
        "           with boxes lt j title 'p̂_n', \\\n"
        "         DATA using (column('x')):(strcol('kind') eq 'pred' && column('frame') == k && column('d') == word(DS,j) ? column('count') : NaN) \\\n"
        "           with lines lt 7 lw 2 title 'theory'\n"
        "  }\n"
        "  unset multiplot\n"
        "  if (LIVE) { pause PAUSE }\n"
        "}\n", R, R, n, d->pi, sep, a, lo, hi, 1.6 * (double)R * bw * gsl_ran_gaussian_pdf(0, sd));
    if (nframes) *nframes = DIM_FRAMES + 6;
    return GSL_SUCCESS;
}
