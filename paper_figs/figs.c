/* paper_figs/figs.c — the figure recipes F1–F9 (see figs.h).
 *
 * Every recipe: compute with the library, put the numbers in a plots_fig
 * (CSV with a header row; a gnuplot body that reads columns by name), say
 * in the caption what the figure shows and the numbers behind it, write.
 * Labels are UTF-8 (gnuplot enhanced text: x_k subscript, 10^4 superscript);
 * primes are ′ and ″ so that labels never need quote escapes. */
#include "paper_figs/figs.h"
#include "paper_figs/figs_internal.h"
#include "paper_figs/figs_fed.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>
#include <gsl/gsl_cblas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include "common/spl.h"
#include "ddpm/ddpm.h"
#include "ddpm/draw.h"
#include "gmm/gmm.h"

/* The model the figures share unless they vary it. */
#define PI0   0.3
#define SEP0  2.0
#define A0    0.7

void pf_opts_default(pf_opts *o)
{
    memset(o, 0, sizeof *o);
    o->quick = 0;
    o->seed = 1;
    o->outdir = "paper_figs/out";
    o->fmts[0] = PLOTS_PNG;
    o->fmts[1] = PLOTS_SVG;
    o->nfmts = 2;
    o->page = (plots_page)PLOTS_PAGE_DEFAULT;
    o->caps = NULL;
}

/* ====================================================================================
 * F1 — the excess loss against w and p (THEORY.md §3, §4)
 * ==================================================================================== */
static const double F1_A[] = { 0.3, 0.5, 0.7, 0.9 };
static const double F1_MCW[] = { -5, -3.5, -2, -1, -0.5, 0, 0.5, 1, 2, 3.5, 5 };   /* w − θ* */
#define LEN(x) (sizeof(x) / sizeof((x)[0]))

int pf_f1_excess_loss(const pf_opts *o, pf_result *r)
{
    const size_t NW = 241, d_mc = 10, n_mc = pf_pick(o, 100000, 20000);
    const double th = spl_logit(PI0), wspan = 7.0;
    plots_fig *f = plots_fig_alloc();
    ddpm_quad *q = ddpm_quad_alloc();
    gmm2 *g = gmm2_alloc(d_mc, NULL);
    int st = (!f || !q || !g) ? GSL_ENOMEM : gmm2_set(g, PI0, SEP0, 0.0);
    double max_qerr = 0, worst_z = 0;
    size_t sign_changes = 0, changes_at_opt = 0;
    double plateau_lo = NAN, plateau_hi = NAN;
    size_t nz = 0;
    if (!st) st = plots_fig_data(f, "kind,alpha,w,p,excess,err\n");
    for (size_t ia = 0; ia < LEN(F1_A) && !st; ia++) {
        double a = F1_A[ia], b = ddpm_b_of_a(a), prev_w = NAN, prev_g = NAN;
        for (size_t i = 0; i < NW && !st; i++) {
            double w = th - wspan + 2 * wspan * (double)i / (double)(NW - 1);
            ddpm_loss_result res;
            if ((st = ddpm_loss_level(q, g, a, b, w, &res))) break;
            /* stationary points: sign changes of ℓ′ between grid neighbours */
            if (i > 0 && (prev_g < 0) != (res.grad.val < 0)) {
                sign_changes++;
                changes_at_opt += prev_w < th && th <= w;
            }
            prev_w = w;
            prev_g = res.grad.val;
            max_qerr = fmax(max_qerr, res.excess.err);
            if (a == A0 && i == 0) plateau_lo = res.excess.val;
            if (a == A0 && i == NW - 1) plateau_hi = res.excess.val;
            plots_fig_data(f, "quad,%g,%.17g,%.17g,%.12g,%.3g\n", a, w, spl_sigmoid(w), res.excess.val, res.excess.err);
        }
        for (size_t i = 0; i < LEN(F1_MCW) && !st; i++) {
            double w = th + F1_MCW[i];
            ddpm_mc_opts mo = { DDPM_MC_EXPLICIT, n_mc, pf_stream(o, 1, ia * 16 + i, 0), 0 };
            ddpm_loss_result mc, an;
            if ((st = ddpm_mc_level(g, a, b, w, &mo, &mc))) break;
            if ((st = ddpm_loss_level(q, g, a, b, w, &an))) break;
            if (F1_MCW[i] != 0) {   /* at θ* both are exactly 0 */
                worst_z = fmax(worst_z, fabs(mc.excess.val - an.excess.val) / mc.excess.err);
                nz++;
            }
            plots_fig_data(f, "mc,%g,%.17g,%.17g,%.12g,%.3g\n", a, w, spl_sigmoid(w), mc.excess.val, mc.excess.err);
        }
    }
    if (!st) st = plots_fig_data(f, "min,all,%.17g,%.17g,0,0\n", th, PI0);
    ddpm_quad_free(q);
    gmm2_free(g);

    plots_fig_body(f,
        "LEVELS = '0.3 0.5 0.7 0.9'\n"
        "TH = %.17g\nPI = %g\n", th, PI0);
    pf_head(f, r, 2, "Excess DDPM loss against the model’s mixing weight  (π = 0.3, Δ = 2)");
    plots_fig_body(f,
        "set ylabel 'excess loss ℓ(w) − ℓ(θ*)  (dimensionless, per sample)'\n"
        "set key inside left top title 'noise level a = α_t'\n"
        "set yrange [0:*]\n"
        "# left: against the logit w\n"
        "set xlabel 'model logit w = logit p  (dimensionless)'\n"
        "set xrange [TH-7:TH+7]\n"
        "set arrow 1 from TH, graph 0 to TH, graph 1 nohead dt 2 lc rgb '#555555'\n"
        "set label 1 'θ* = logit π' at TH, graph 0.55 right offset -0.6,0\n"
        "plot for [i=1:words(LEVELS)] DATA using (column('w')):(strcol('kind') eq 'quad' && strcol('alpha') eq word(LEVELS,i) ? column('excess') : NaN) \\\n"
        "       with lines lt i title 'a = '.word(LEVELS,i), \\\n"
        "     for [i=1:words(LEVELS)] DATA using (column('w')):(strcol('kind') eq 'mc' && strcol('alpha') eq word(LEVELS,i) ? column('excess') : NaN):(2*column('err')) \\\n"
        "       with yerrorbars lt i pt 7 ps 0.9 notitle, \\\n"
        "     keyentry with yerrorbars lt 7 pt 7 ps 0.9 title 'Monte Carlo ± 2 SE', \\\n"
        "     DATA using (column('w')):(strcol('kind') eq 'min' ? column('excess') : NaN) with points pt 6 ps 3 lw 2 lc rgb '#000000' title 'minimum at θ*'\n"
        "# right: against p = sigmoid(w)\n"
        "set xlabel 'model mixing weight p  (dimensionless)'\n"
        "set xrange [0:1]\n"
        "set arrow 1 from PI, graph 0 to PI, graph 1 nohead dt 2 lc rgb '#555555'\n"
        "set label 1 'π' at PI, graph 0.55 right offset -0.6,0\n"
        "set key inside left top title 'noise level a = α_t'\n"
        "plot for [i=1:words(LEVELS)] DATA using (column('p')):(strcol('kind') eq 'quad' && strcol('alpha') eq word(LEVELS,i) ? column('excess') : NaN) \\\n"
        "       with lines lt i title 'a = '.word(LEVELS,i), \\\n"
        "     for [i=1:words(LEVELS)] DATA using (column('p')):(strcol('kind') eq 'mc' && strcol('alpha') eq word(LEVELS,i) ? column('excess') : NaN):(2*column('err')) \\\n"
        "       with yerrorbars lt i pt 7 ps 0.9 notitle, \\\n"
        "     keyentry with yerrorbars lt 7 pt 7 ps 0.9 title 'Monte Carlo ± 2 SE', \\\n"
        "     DATA using (column('p')):(strcol('kind') eq 'min' ? column('excess') : NaN) with points pt 6 ps 3 lw 2 lc rgb '#000000' title 'minimum at π'\n"
        "unset multiplot\n");

    pf_cap(r, "Excess loss ℓ(w) − ℓ(θ*) = a²b²Δ² E(ρ_w − ρ*)² (THEORY.md §3) against the model’s logit w (left) and "
           "mixing weight p = sigmoid(w) (right), at noise levels a = 0.3, 0.5, 0.7, 0.9 (b = √(1 − a²)), π = 0.3, Δ = 2. "
           "Curves: quadrature at %zu values of w in θ* ± %g (largest quadrature error estimate %.1e). "
           "Points: Monte Carlo with explicit %zu-dimensional draws, n = %zu per point, error bars ± 2 SE. ",
        NW, wspan, max_qerr, d_mc, n_mc);
    pf_cap(r, "Each curve has a single minimum, at the true weight θ* = logit 0.3 = %.4f: along the grid ℓ′ changes sign %zu time%s "
           "in all, %zu of them in the grid interval that contains θ* (one per level), so there is no other stationary point. "
           "It is not convex: it flattens to plateaus (at a = 0.7: %.4f as w → θ* − %g, %.4f as w → θ* + %g). "
           "Monte Carlo agrees with quadrature: max |MC − quadrature| / SE = %.2f over %zu points (w ≠ θ*).",
        th, sign_changes, sign_changes == 1 ? "" : "s", changes_at_opt, plateau_lo, wspan, plateau_hi, wspan, worst_z, nz);
    return pf_finish(o, r, f, st);
}

/* ====================================================================================
 * F2 — gradient descent on the logit (THEORY.md §5)
 * ==================================================================================== */
static const double F2_P0[] = { 0.02, 0.1, 0.5, 0.9, 0.98 };

int pf_f2_gd(const pf_opts *o, pf_result *r)
{
    const size_t K = 50, n_emp = 2000;
    const double a = A0, b = ddpm_b_of_a(a), th = spl_logit(PI0);
    plots_fig *f = plots_fig_alloc();
    ddpm_quad *q = ddpm_quad_alloc();
    gmm2 *g = gmm2_alloc(1, NULL);
    ddpm_gd *gd = ddpm_gd_alloc();
    ddpm_sample *S = NULL;
    int st = (!f || !q || !g || !gd) ? GSL_ENOMEM : gmm2_set(g, PI0, SEP0, 0.0);
    ddpm_loss_result at;
    if (!st) st = ddpm_loss_level(q, g, a, b, th, &at);
    const double h = at.hess.val, eta = 0.5 / h, pred = fabs(1 - eta * h);
    ddpm_fit_result fit = {0};
    if (!st) {
        S = ddpm_sample_draw(g, NULL, a, b, n_emp, DDPM_MC_PROJECTED, pf_stream(o, 2, 0, 0), NULL);
        if (!S) st = GSL_ENOMEM;
    }
    if (!st) st = ddpm_fit_ddpm(S, DDPM_FIT_W0, DDPM_FIT_TOL, DDPM_FIT_MAXITER, &fit);
    if (!st) st = plots_fig_data(f, "kind,p0,k,w,p,abserr\n");
    ddpm_obj_level_ctx lctx = { q, g, a, b };
    double rate_lo = INFINITY, rate_hi = 0, worst_final = 0, anchor_k = 0, anchor_e = NAN;
    for (int kind = 0; kind < 2 && !st; kind++) {
        for (size_t i = 0; i < LEN(F2_P0) && !st; i++) {
            const double target = kind == 0 ? PI0 : fit.p_hat, wt = kind == 0 ? th : fit.w_hat;
            st = kind == 0 ? ddpm_gd_set(gd, ddpm_obj_level, &lctx, DDPM_PARAM_LOGIT, F2_P0[i], eta, 0)
                           : ddpm_gd_set(gd, ddpm_obj_sample, S, DDPM_PARAM_LOGIT, F2_P0[i], eta, 0);
            double rate = NAN;
            for (size_t k = 0; k <= K && !st; k++) {
                double e = fabs(gd->p - target);
                /* below 1e-13 the error is round-off: stop the log-scale series there */
                if (e > 1e-13 || k == 0)
                    plots_fig_data(f, "%s,%g,%zu,%.17g,%.17g,%.6g\n", kind ? "empirical" : "population",
                                   F2_P0[i], k, gd->w, gd->p, e);
                if (k == K) break;
                double e0 = gd->w - wt;
                if ((st = ddpm_gd_iterate(gd))) break;
                double e1 = gd->w - wt;
                if (kind == 0 && isnan(rate) && fabs(e0) < 1e-4 && fabs(e0) > 1e-10) rate = fabs(e1 / e0);
                if (kind == 0 && F2_P0[i] == 0.5 && isnan(anchor_e) && fabs(gd->p - PI0) < 1e-3) {
                    anchor_k = (double)k + 1;
                    anchor_e = fabs(gd->p - PI0);
                }
            }
            if (kind == 0 && !st) {
                rate_lo = fmin(rate_lo, rate);
                rate_hi = fmax(rate_hi, rate);
                worst_final = fmax(worst_final, fabs(gd->p - PI0));
            }
        }
    }
    for (size_t k = 0; k <= K && !st; k += 2) {
        double e = anchor_e * pow(pred, (double)k - anchor_k);
        if (e > 1e-13 && e < 2) plots_fig_data(f, "predicted,,%zu,,,%.6g\n", k, e);
    }
    if (!st) plots_fig_data(f, "phat,,,%.17g,%.17g,\n", fit.w_hat, fit.p_hat);
    ddpm_sample_free(S);
    ddpm_gd_free(gd);
    ddpm_quad_free(q);
    gmm2_free(g);

    plots_fig_body(f, "STARTS = '0.02 0.1 0.5 0.9 0.98'\nPI = %g\nPHAT = %.17g\nK = %zu\n", PI0, fit.p_hat, K);
    char sub[200];
    snprintf(sub, sizeof sub, "Gradient descent on the logit, η = 0.5/ℓ″(θ*) = %.3g  (π = 0.3, Δ = 2, a = 0.7)", eta);
    pf_head(f, r, 2, sub);
    plots_fig_body(f,
        "set xlabel 'iteration k'\n"
        "# left: the iterates (the first 24)\n"
        "set xrange [0:24]\n"
        "set ylabel 'model mixing weight p_k  (dimensionless)'\n"
        "set yrange [0:1]\n"
        "set key inside right top\n"
        "plot for [i=1:words(STARTS)] DATA using (column('k')):(strcol('kind') eq 'population' && strcol('p0') eq word(STARTS,i) ? column('p') : NaN) \\\n"
        "       with linespoints lt i pt 7 ps 0.6 notitle, \\\n"
        "     for [i=1:words(STARTS)] DATA using (column('k')):(strcol('kind') eq 'empirical' && strcol('p0') eq word(STARTS,i) ? column('p') : NaN) \\\n"
        "       with lines lt i dt 2 notitle, \\\n"
        "     keyentry with lines lt 7 title 'population', \\\n"
        "     keyentry with lines lt 7 dt 2 title 'empirical', \\\n"
        "     PI with lines lt 7 lw 1 dt 3 title 'π', \\\n"
        "     PHAT with lines lt 8 lw 1 dt 4 title 'p̂_n'\n"
        "# right: the error on a log scale\n"
        "set xrange [0:K]\n"
        "set ylabel 'error |p_k − π|, dashed |p_k − p̂_n|'\n"
        "set logscale y\n"
        "set format y '10^{%%L}'\n"
        "set yrange [1e-13:1]\n"
        "set key inside right top\n"
        "plot for [i=1:words(STARTS)] DATA using (column('k')):(strcol('kind') eq 'population' && strcol('p0') eq word(STARTS,i) ? column('abserr') : NaN) \\\n"
        "       with linespoints lt i pt 7 ps 0.6 title 'p_0 = '.word(STARTS,i), \\\n"
        "     for [i=1:words(STARTS)] DATA using (column('k')):(strcol('kind') eq 'empirical' && strcol('p0') eq word(STARTS,i) ? column('abserr') : NaN) \\\n"
        "       with lines lt i dt 2 notitle, \\\n"
        "     DATA using (column('k')):(strcol('kind') eq 'predicted' ? column('abserr') : NaN) with lines lt 7 lw 3 dt (8,4) \\\n"
        "       title sprintf('predicted %%.2f^k', %.6g)\n"
        "unset multiplot\n", pred);

    pf_cap(r, "Gradient descent w ← w − ηℓ′(w) on the population loss (quadrature; solid) and on the empirical loss of one set of "
           "n = %zu samples (dashed), from p_0 = 0.02, 0.1, 0.5, 0.9, 0.98, with η = 0.5/ℓ″(θ*) = %.4g (ℓ″(θ*) = %.5f), "
           "π = 0.3, Δ = 2, a = 0.7. Left: p_k (first 24 steps); right: the error on a log scale, with the predicted "
           "contraction |1 − ηℓ″(θ*)|^k (black dashed). ",
        n_emp, eta, h);
    pf_cap(r, "Every population run reaches π (largest |p_%zu − π| = %.1e); starts far out first cross the plateau where ℓ′ is small. "
           "Near the optimum the error contracts by the predicted factor |1 − ηℓ″(θ*)| = %.5f per step: measured %.5f to %.5f over the five starts. "
           "The empirical runs converge, at nearly the same rate, to the empirical minimiser p̂_n = %.4f (|p̂_n − π| = %.4f).",
        K, worst_final, pred, rate_lo, rate_hi, fit.p_hat, fabs(fit.p_hat - PI0));
    return pf_finish(o, r, f, st);
}

/* ====================================================================================
 * F7 — the sign of (w − θ*)·ℓ′(w) over (w, Δ) and (w, a) (THEORY.md §3; C2)
 * ==================================================================================== */
int pf_f7_sign_map(const pf_opts *o, pf_result *r)
{
    (void)o;
    const size_t NX = 100, NS = 40, NA = 49;
    const double th = spl_logit(PI0), dx = 0.2;
    plots_fig *f = plots_fig_alloc();
    ddpm_quad *q = ddpm_quad_alloc();
    gmm2 *g = gmm2_alloc(1, NULL);
    int st = (!f || !q || !g) ? GSL_ENOMEM : GSL_SUCCESS;
    size_t total = 0, positive = 0, certified = 0, pos[2] = { 0, 0 }, cnt[2] = { 0, 0 };
    double vmin = INFINITY, vmax = 0, at_x = 0, at_y = 0;
    const char *at_panel = "";
    if (!st) st = plots_fig_data(f, "panel,x,y,w,grad,grad_err,value\n");
    for (int panel = 0; panel < 2 && !st; panel++) {
        size_t ny = panel == 0 ? NS : NA;
        for (size_t j = 0; j < ny && !st; j++) {
            double y = panel == 0 ? 0.2 * (double)(j + 1) : 0.02 * (double)(j + 1);
            double sep = panel == 0 ? y : SEP0, a = panel == 0 ? A0 : y;
            st = gmm2_set(g, PI0, sep, 0.0);
            for (size_t i = 0; i < NX && !st; i++) {
                double x = -0.5 * dx * (double)(NX - 1) + dx * (double)i, w = th + x;
                ddpm_loss_result res;
                if ((st = ddpm_loss_level(q, g, a, ddpm_b_of_a(a), w, &res))) break;
                double v = x * res.grad.val;
                total++;
                cnt[panel]++;
                pos[panel] += v > 0;
                positive += v > 0;
                certified += v > 0 && fabs(res.grad.val) > res.grad.err;
                if (v < vmin) { vmin = v; at_x = x; at_y = y; at_panel = panel == 0 ? "Δ" : "a"; }
                vmax = fmax(vmax, v);
                plots_fig_data(f, "%s,%.10g,%.10g,%.17g,%.12g,%.3g,%.12g\n", panel == 0 ? "sep" : "alpha",
                               x, y, w, res.grad.val, res.grad.err, v);
            }
        }
    }
    ddpm_quad_free(q);
    gmm2_free(g);
    plots_fig_body(f, "LAST_SEP = %zu\nLAST_ALPHA = %zu\n", cnt[0] - 1, total - 1);
    /* A non-positive point would be a counterexample to THEORY.md §3: marked in red (never expected). */
    const char *ov_sep = ", \\\n     DATA every ::0::LAST_SEP using (column('x')):(column('value') <= 0 ? column('y') : NaN) "
                         "with points pt 5 ps 1.5 lc rgb '#d00000'";
    const char *ov_alpha = ", \\\n     DATA every ::(LAST_SEP+1)::LAST_ALPHA using (column('x')):(column('value') <= 0 ? column('y') : NaN) "
                           "with points pt 5 ps 1.5 lc rgb '#d00000'";
    pf_head(f, r, 2, "Sign of (w − θ*)·ℓ′(w) over the landscape  (π = 0.3)");
    plots_fig_body(f,
        "set palette defined (0 '#440154', 1 '#3b528b', 2 '#21918c', 3 '#5ec962', 4 '#fde725')\n"
        "set cblabel 'log_{10} of (w − θ*)·ℓ′(w)' offset 0.5,0\n"
        "set xlabel 'w − θ*  (logit, dimensionless)'\n"
        "set xrange [-10:10]\n"
        "unset key\n"
        "set grid front lc rgb '#ffffff' lw 0.5\n"
        "# left: over (w, Δ) at a = 0.7.  Rows 0..LAST_SEP of the data.\n"
        "set ylabel 'separation Δ = |μ_1 − μ_2|  (units of the component sd)'\n"
        "set yrange [0.1:8.1]\n"
        "set title 'a = 0.7:  positive at %zu of %zu points'\n"
        "plot DATA every ::0::LAST_SEP using (column('x')):(column('y')):(log10(column('value'))) with image%s\n"
        "# right: over (w, a) at Δ = 2.  Rows LAST_SEP+1..LAST_ALPHA.\n"
        "set ylabel 'noise level a = α_t  (dimensionless)'\n"
        "set yrange [0.01:0.99]\n"
        "set title 'Δ = 2:  positive at %zu of %zu points'\n"
        "plot DATA every ::(LAST_SEP+1)::LAST_ALPHA using (column('x')):(column('y')):(log10(column('value'))) with image%s\n"
        "unset multiplot\n",
        pos[0], cnt[0], pos[0] < cnt[0] ? ov_sep : "", pos[1], cnt[1], pos[1] < cnt[1] ? ov_alpha : "");

    pf_cap(r, "The product (w − θ*)·ℓ′(w), colour on a log scale, on a grid of %zu points: %zu values of w − θ* in [−9.9, 9.9] "
           "against Δ = 0.2…8 at a = 0.7 (left) and against a = 0.02…0.98 at Δ = 2 (right), π = 0.3 (quadrature). "
           "Positive at %zu of %zu points (%zu certified: |ℓ′| above its quadrature error), so sign ℓ′(w) = sign(w − θ*) "
           "(THEORY.md §3): no spurious stationary point. ",
        total, NX, positive, total, certified);
    pf_cap(r, "Smallest value %.2e, at w − θ* = %.1f, %s = %.2f (the product is small where aΔ is small, and near w = θ* where it "
           "vanishes quadratically); largest %.3f.", vmin, at_x, at_panel, at_y, vmax);
    return pf_finish(o, r, f, st);
}

/* ====================================================================================
 * F8 — steps to converge against the step size η (THEORY.md §5; C8)
 * ==================================================================================== */
typedef struct { double a, sep, pi; } f8cfg;
static const f8cfg F8_CFG[] = { { 0.7, 2.0, 0.3 }, { 0.5, 4.0, 0.8 }, { 0.9, 1.0, 0.5 } };

int pf_f8_step_size(const pf_opts *o, pf_result *r)
{
    const size_t maxsteps = pf_pick(o, 2000, 1000), NLOG = pf_pick(o, 30, 15), NLIN = pf_pick(o, 31, 16);
    const double tol = 1e-8, start = 1.0;
    plots_fig *f = plots_fig_alloc();
    ddpm_quad *q = ddpm_quad_alloc();
    gmm2 *g = gmm2_alloc(1, NULL);
    ddpm_gd *gd = ddpm_gd_alloc();
    int st = (!f || !q || !g || !gd) ? GSL_ENOMEM : GSL_SUCCESS;
    double crit[LEN(F8_CFG)], first_fail[LEN(F8_CFG)], last_ok[LEN(F8_CFG)];
    if (!st) st = plots_fig_data(f, "config,a,sep,pi,eta,eta_crit,ratio,steps,converged,predicted\n");
    for (size_t c = 0; c < LEN(F8_CFG) && !st; c++) {
        const f8cfg *C = &F8_CFG[c];
        double b = ddpm_b_of_a(C->a), th = spl_logit(C->pi);
        if ((st = gmm2_set(g, C->pi, C->sep, 0.0))) break;
        ddpm_loss_result at;
        if ((st = ddpm_loss_level(q, g, C->a, b, th, &at))) break;
        double h = at.hess.val;
        crit[c] = 2.0 / h;
        first_fail[c] = NAN;
        last_ok[c] = NAN;
        ddpm_obj_level_ctx lctx = { q, g, C->a, b };
        for (size_t i = 0; i < NLOG + NLIN && !st; i++) {
            /* η/η_crit: log-spaced 0.05…0.9, then linear 0.9…1.2 around the threshold */
            double ratio = i < NLOG ? 0.05 * pow(0.9 / 0.05, (double)i / (double)NLOG)
                                    : 0.9 + 0.3 * (double)(i - NLOG) / (double)(NLIN - 1);
            double eta = ratio * crit[c];
            if ((st = ddpm_gd_set(gd, ddpm_obj_level, &lctx, DDPM_PARAM_LOGIT, spl_sigmoid(th + start), eta, 0))) break;
            size_t k = 0;
            int conv = 0;
            while (k < maxsteps) {
                if (fabs(gd->w - th) < tol) { conv = 1; break; }
                if (ddpm_gd_iterate(gd) != GSL_SUCCESS || fabs(gd->w - th) > 100) break;   /* diverged */
                k++;
            }
            if (!conv && fabs(gd->w - th) < tol) conv = 1;
            double rho = fabs(1 - eta * h);
            double pred = rho < 1 - 1e-9 ? ceil(log(tol / start) / log(rho)) : NAN;
            if (!conv && isnan(first_fail[c])) first_fail[c] = ratio;
            if (conv) last_ok[c] = ratio;
            plots_fig_data(f, "%zu,%g,%g,%g,%.10g,%.10g,%.6g,%zu,%d,%.10g\n", c + 1, C->a, C->sep, C->pi,
                           eta, crit[c], ratio, conv ? k : maxsteps, conv, pred);
        }
    }
    ddpm_gd_free(gd);
    ddpm_quad_free(q);
    gmm2_free(g);

    plots_fig_body(f, "MAXSTEPS = %zu\nCRIT1 = %.10g\nCRIT2 = %.10g\nCRIT3 = %.10g\n", maxsteps, crit[0], crit[1], crit[2]);
    pf_head(f, r, 1, "Steps to converge against the step size η; threshold 2/ℓ″(θ*)");
    plots_fig_body(f,
        "NAMES = 'π=0.3,Δ=2,a=0.7 π=0.8,Δ=4,a=0.5 π=0.5,Δ=1,a=0.9'\n"
        "set mytics 10\n"
        "set xlabel 'step size η  (dimensionless: logit per unit loss gradient)'\n"
        "set ylabel 'steps until |w_k − θ*| < 10^{−8}  (from w_0 = θ* + 1)'\n"
        "set logscale xy\n"
        "set yrange [0.1:MAXSTEPS*1.6]\n"
        "set ytics ('1' 1, '10' 10, '100' 100, '1000' 1000, '10^4' 10000)\n"
        "set xrange [1:300]\n"
        "set key inside right bottom width 1\n"
        "do for [c=1:3] { set arrow c from value(sprintf('CRIT%%d', c)), graph 0 to value(sprintf('CRIT%%d', c)), graph 1 nohead lt c dt 2 lw 2 }\n"
        "plot for [c=1:3] DATA using (column('eta')):(column('config') == c && column('converged') == 1 ? column('steps') : NaN) \\\n"
        "       with points lt c pt 7 ps 1.0 title word(NAMES,c), \\\n"
        "     for [c=1:3] DATA using (column('eta')):(column('config') == c && column('converged') == 0 ? MAXSTEPS : NaN) \\\n"
        "       with points lt c pt 2 ps 1.4 lw 2 notitle, \\\n"
        "     for [c=1:3] DATA using (column('eta')):(column('config') == c ? column('predicted') : NaN) \\\n"
        "       with lines lt c lw 1.5 notitle, \\\n"
        "     keyentry with lines lt 7 lw 1.5 title 'linear theory', \\\n"
        "     keyentry with lines lt 7 lw 2 dt 2 title 'threshold 2/ℓ″(θ*)', \\\n"
        "     keyentry with points lt 7 pt 2 ps 1.4 lw 2 title sprintf('not within %%d steps', MAXSTEPS)\n");

    pf_cap(r, "Gradient descent on the logit from w_0 = θ* + 1 until |w_k − θ*| < 1e-8 (at most %zu steps; × marks a run that did not converge), "
           "for step sizes η from 0.05 to 1.2 times the predicted stability threshold 2/ℓ″(θ*) (dashed verticals), in three "
           "mixtures/levels; lines: the linear-theory count ⌈log(1e-8)/log|1 − ηℓ″(θ*)|⌉. ", maxsteps);
    for (size_t c = 0; c < LEN(F8_CFG); c++)
        pf_cap(r, "%sπ = %g, Δ = %g, a = %g: 2/ℓ″(θ*) = %.4g; last converging η at %.3f × that, first failing at %.3f ×",
            c ? "; " : "", F8_CFG[c].pi, F8_CFG[c].sep, F8_CFG[c].a, crit[c], last_ok[c], first_fail[c]);
    pf_cap(r, " (grid step %.2f near the threshold; just below it the contraction |1 − ηℓ″| is close to 1 and the step count exceeds the cap, "
           "as the linear theory predicts).", 0.3 / (double)(NLIN - 1));
    return pf_finish(o, r, f, st);
}

/* ====================================================================================
 * The table and the dispatcher
 * ==================================================================================== */
const pf_figure pf_figures[] = {
    { "F1", "excess-loss", "Excess loss against the model’s mixing weight", "C1,C4", pf_f1_excess_loss },
    { "F2", "gd", "Gradient descent trajectories and their rate", "C3", pf_f2_gd },
    { "F3", "dimension", "The estimator’s error does not depend on the dimension", "C5", pf_f3_dimension },
    { "F4", "rate", "Error against sample size: slope −1/2, DDPM and MLE", "C6", pf_f4_rate },
    { "F5", "separation", "Spread and efficiency against the separation", "C7", pf_f5_separation },
    { "F6", "efficiency", "Efficiency of the DDPM estimator against the noise level", "C7", pf_f6_efficiency },
    { "F7", "sign-map", "Sign map of (w − θ*)·ℓ′(w)", "C2", pf_f7_sign_map },
    { "F8", "step-size", "Step-size robustness of gradient descent", "C8", pf_f8_step_size },
    { "F9", "means", "Means against weights: dimension dependence", "C9", pf_f9_means },
    { "F10", "network-gmm8", "Score network on a 2-D 8-component mixture", "none", pf_f10_network_gmm },
    { "F11", "network-digits", "Generated 8×8 digits beside real ones", "none", pf_f11_network_digits },
    { "F12", "paired-kid", "New-client KID: each method minus SPIRE, paired over seeds", "E2", pf_f12_paired_kid },
    { "F13", "kid-vs-params", "New-client KID against trainable parameters", "E2", pf_f13_kid_params },
    { "F14", "forgetting", "Forgetting of the pre-training clients", "E3", pf_f14_forgetting },
    { "F15", "robustness", "Robustness over fine-tuning learning rate × steps", "E4", pf_f15_robustness },
    { "F16", "embedding-probe", "E5: the embedding predicts the client’s statistics", "E5", pf_f16_probe },
    { "F17", "digits", "Generated digits per new client beside its real ones", "E2", pf_f17_digits },
    { "F18", "weighting", "Efficiency of the estimator under each loss weighting", "C11", pf_f18_weighting },
    { "F19", "simplex", "K = 3: excess loss over the simplex with gradient-descent paths", "C12", pf_f19_simplex },
    { "F20", "kdimension", "K components: the estimator’s error does not depend on the dimension", "C13", pf_f20_kdimension },
    { "F21", "sample-size", "New-client KID against the new client’s sample size", "E2", pf_f21_sample_size },
};
const size_t pf_nfigures = LEN(pf_figures);
_Static_assert(LEN(pf_figures) <= PF_FIGURES_MAX, "more figures than PF_FIGURES_MAX");

const pf_figure *pf_figure_find(const char *id)
{
    for (size_t k = 0; id && k < pf_nfigures; k++)
        if (!strcmp(pf_figures[k].id, id)) return &pf_figures[k];
    return NULL;
}

int pf_figure_run(const pf_figure *F, const pf_opts *o, pf_result *r)
{
    if (!F || !o || !r) return GSL_EINVAL;
    pf_result_start(r, F->id, F->slug, F->title, F->claims);
    if (!o->caps || !o->outdir || o->nfmts < 1 || o->nfmts > 4) return GSL_EINVAL;
    double t0 = omp_get_wtime();
    int st = F->make(o, r);
    r->seconds = omp_get_wtime() - t0;
    return st;
}
