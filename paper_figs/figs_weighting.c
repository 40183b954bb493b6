/* paper_figs/figs_weighting.c — F18: efficiency of the DDPM estimator of the
 * mixing weight under each loss weighting (THEORY.md §9; claim C11).
 *
 * Four panels: efficiency (1/I_w)/(A_λ/B_λ²) against Δ (π = 0.3) and against
 * π (Δ = 2), linear and cosine schedules (T = 1000): one quadrature curve per
 * weighting (eps, x0, v, elbo, minsnr:5, optimal), the best single level
 * (dashed) and the MLE (= 1, dotted); simulated points ± 2 SE from sweep
 * replicates (pc_sweep with the weighting: t ~ q and λ_t per sample). */
#include "paper_figs/figs.h"
#include "paper_figs/figs_internal.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include "common/spl.h"
#include "ddpm/weighting.h"
#include "proofs_check/sweep.h"

#define NWT DDPM_W_NAMED

/* Efficiency of every named weighting and of the best level at (π, Δ). */
static int f18_eff(ddpm_quad *q, gmm2 *g, const ddpm_schedule *s, double pi, double sep,
                   double eff[NWT], double *best, size_t *best_t)
{
    int st = gmm2_set(g, pi, sep, 0.0);
    for (int i = 0; i < NWT && !st; i++) {
        ddpm_wplan *p = ddpm_wplan_alloc(s, &ddpm_weighting_named[i], DDPM_WSUM_FAST, 0, &st);
        if (!p) return st;
        ddpm_efficiency ef;
        st = ddpm_wplan_efficiency(q, p, g, i == 0, &ef);
        ddpm_wplan_free(p);
        if (st) break;
        eff[i] = ef.eff.val;
        if (i == 0) { *best = ef.best_eff.val; *best_t = ef.best_level; }
    }
    return st;
}

/* Simulated efficiency cells of one weighting and schedule: sep × pi lists. */
static int f18_sim(const pf_opts *o, plots_fig *f, ddpm_schedule_kind sk, const ddpm_weighting *wt,
                   const char *axis, const char *seps, const char *pis, size_t n, size_t R,
                   double *worst, size_t *cells)
{
    pc_sweep_spec sp;
    pc_sweep_spec_init(&sp);
    char why[PC_SWEEP_WHY], nl[32];
    snprintf(nl, sizeof nl, "%zu", n);
    int st = pc_sweep_list_parse("1", &pc_sweep_dom_d, &sp.d, why, sizeof why);
    if (!st) st = pc_sweep_list_parse(seps, &pc_sweep_dom_sep, &sp.sep, why, sizeof why);
    if (!st) st = pc_sweep_list_parse(pis, &pc_sweep_dom_pi, &sp.pi, why, sizeof why);
    if (!st) st = pc_sweep_list_parse(nl, &pc_sweep_dom_n, &sp.n, why, sizeof why);
    sp.level = PC_SWEEP_LEVEL_AVG;
    sp.schedule = sk;
    sp.T = 1000;
    sp.weighting = *wt;
    sp.estimators = PC_SWEEP_DDPM;
    sp.mc = DDPM_MC_PROJECTED;
    sp.reps = R;
    sp.seed = o->seed;
    pc_sweep_grid *G = st ? NULL : pc_sweep_grid_alloc(&sp, &st, why, sizeof why);
    size_t nc = G ? pc_sweep_grid_ncells(G) : 0;
    char name[32];
    ddpm_weighting_name(wt, name, sizeof name);
    for (size_t i = 0; i < nc && !st; i++) {
        pc_sweep_row rows[PC_SWEEP_NEST];
        size_t nr = 0;
        if ((st = pc_sweep_cell_run(G, i, NULL, NULL, rows, &nr))) break;
        const pc_sweep_row row = rows[0];
        double pred = row.sd_crlb * row.sd_crlb / (row.sd_sandwich * row.sd_sandwich);
        double eff = row.sd_crlb * row.sd_crlb / (row.rmse * row.rmse);
        double se = eff * sqrt(2.0 / (double)(row.reps - 1));   /* relative SE of a mean square */
        *worst = fmax(*worst, fabs(eff / pred - 1) / sqrt(2.0 / (double)(row.reps - 1)));
        (*cells)++;
        plots_fig_data(f, "sim,%s,%s,%s,%.10g,%.10g,%.8g,%.4g,%.8g\n", ddpm_schedule_name(sk), axis, name,
                       row.cell.sep, row.cell.pi, eff, se, pred);
    }
    pc_sweep_grid_free(G);
    pc_sweep_spec_free(&sp);
    return st;
}

int pf_f18_weighting(const pf_opts *o, pf_result *r)
{
    const size_t NC = pf_pick(o, 40, 20), n = 2000, R = pf_pick(o, 300, 80);
    plots_fig *f = plots_fig_alloc();
    ddpm_quad *q = ddpm_quad_alloc();
    gmm2 *g = gmm2_alloc(1, NULL);
    ddpm_schedule *sch[2] = { ddpm_schedule_alloc(DDPM_LINEAR, 1000, NULL), ddpm_schedule_alloc(DDPM_COSINE, 1000, NULL) };
    int st = (!f || !q || !g || !sch[0] || !sch[1]) ? GSL_ENOMEM : GSL_SUCCESS;
    double at[2][NWT], at_best[2] = { 0, 0 }, worst = 0;
    size_t at_t[2] = { 0, 0 }, cells = 0;
    char names[NWT][32];
    for (int i = 0; i < NWT; i++) ddpm_weighting_name(&ddpm_weighting_named[i], names[i], sizeof names[i]);
    if (!st) st = plots_fig_data(f, "kind,schedule,axis,weighting,sep,pi,eff,eff_se,eff_pred\n");
    double *cv = malloc(2 * (size_t)(NWT + 1) * NC * sizeof *cv);   /* per axis: weighting (and best) × x */
    size_t *bt = malloc(2 * NC * sizeof *bt);
    if (!st && (!cv || !bt)) st = GSL_ENOMEM;
    for (int k = 0; k < 2 && !st; k++) {
        const char *sn = ddpm_schedule_name(sch[k]->kind);
        /* curves, written one weighting at a time (gnuplot breaks a line at a skipped row) */
        for (int ax = 0; ax < 2 && !st; ax++)
            for (size_t j = 0; j < NC && !st; j++) {
                double x = (double)j / (double)(NC - 1), eff[NWT], best;
                double sep = ax == 0 ? 0.3 * pow(8.0 / 0.3, x) : 2.0, pi = ax == 0 ? 0.3 : 0.02 + 0.96 * x;
                if ((st = f18_eff(q, g, sch[k], pi, sep, eff, &best, &bt[ax * NC + j]))) break;
                for (int i = 0; i < NWT; i++) cv[((size_t)ax * (NWT + 1) + (size_t)i) * NC + j] = eff[i];
                cv[((size_t)ax * (NWT + 1) + NWT) * NC + j] = best;
            }
        for (int ax = 0; ax < 2 && !st; ax++)
            for (int i = 0; i <= NWT; i++)
                for (size_t j = 0; j < NC; j++) {
                    double x = (double)j / (double)(NC - 1);
                    double sep = ax == 0 ? 0.3 * pow(8.0 / 0.3, x) : 2.0, pi = ax == 0 ? 0.3 : 0.02 + 0.96 * x;
                    char lv[32];
                    snprintf(lv, sizeof lv, "level:%zu", bt[ax * NC + j]);
                    plots_fig_data(f, "%s,%s,%s,%s,%.10g,%.10g,%.8g,,\n", i < NWT ? "quad" : "best", sn, ax ? "pi" : "sep",
                                   i < NWT ? names[i] : lv, sep, pi, cv[((size_t)ax * (NWT + 1) + (size_t)i) * NC + j]);
                }
        /* the reference point of the caption */
        if (!st) st = f18_eff(q, g, sch[k], 0.3, 2.0, at[k], &at_best[k], &at_t[k]);
        /* simulation: every weighting at Δ = 1, 2, 4 (π = 0.3) and π = 0.1, 0.6 (Δ = 2) */
        for (int i = 0; i < NWT && !st; i++) {
            st = f18_sim(o, f, sch[k]->kind, &ddpm_weighting_named[i], "sep", "1,2,4", "0.3", n, R, &worst, &cells);
            if (!st) st = f18_sim(o, f, sch[k]->kind, &ddpm_weighting_named[i], "pi", "2", "0.1,0.6", n, R, &worst, &cells);
        }
    }
    free(cv);
    free(bt);
    ddpm_schedule_free(sch[0]);
    ddpm_schedule_free(sch[1]);
    ddpm_quad_free(q);
    gmm2_free(g);
    plots_fig_comment(f, "simulated points: spirelab sweep --avg --schedule S --weighting W --sep LIST --pi LIST --n %zu "
                      "--reps %zu --estimator ddpm --seed %llu", n, R, (unsigned long long)o->seed);

    plots_fig_body(f, "WS = 'eps x0 v elbo minsnr:5 optimal'\nSCH = 'linear cosine'\n");
    /* four panels placed by hand and a fifth, full-width, for the key */
    plots_fig_body(f, "set multiplot title '%s  Efficiency (1/I_w)/(A_λ/B_λ²) of ŵ_n under each loss weighting  "
                   "(T = 1000, MLE = 1)' font sprintf(',%%g', FONTSIZE + 2)\n", r->id);
    plots_fig_body(f,
        "set yrange [0:1.1]\n"
        "set ytics 0.2\n"
        "set grid ytics lc rgb '#dddddd'\n"
        "unset key\n"
        "do for [row=1:2] { do for [k=1:2] {\n"
        "  set origin (k-1)*0.5, 0.13 + (2-row)*0.42\n"
        "  set size 0.5, 0.40\n"
        "  if (k == 1) { set ylabel 'efficiency  (dimensionless)' } else { unset ylabel }\n"
        "  if (row == 1) {\n"
        "    set title word(SCH,k).' schedule, π = 0.3'\n"
        "    set xlabel 'separation Δ  (units of the component sd)'\n"
        "    set logscale x\n"
        "    set xrange [0.3:8]\n"
        "    set xtics (0.3, 0.5, 1, 2, 4, 8)\n"
        "    AX = 'sep'; XC = 'sep'\n"
        "  } else {\n"
        "    set title word(SCH,k).' schedule, Δ = 2'\n"
        "    set xlabel 'mixing weight π  (dimensionless)'\n"
        "    unset logscale x\n"
        "    set xrange [0:1]\n"
        "    set xtics 0.2\n"
        "    AX = 'pi'; XC = 'pi'\n"
        "  }\n"
        "  plot for [i=1:6] DATA using (strcol('kind') eq 'quad' && strcol('schedule') eq word(SCH,k) && strcol('axis') eq AX && strcol('weighting') eq word(WS,i) ? column(XC) : NaN):(column('eff')) \\\n"
        "         with lines lt i lw 2, \\\n"
        "       DATA using (strcol('kind') eq 'best' && strcol('schedule') eq word(SCH,k) && strcol('axis') eq AX ? column(XC) : NaN):(column('eff')) with lines lt -1 dt 2, \\\n"
        "       1 with lines lt 0 lw 2, \\\n"
        "       for [i=1:6] DATA using (strcol('kind') eq 'sim' && strcol('schedule') eq word(SCH,k) && strcol('axis') eq AX && strcol('weighting') eq word(WS,i) ? "
        "(row == 1 ? column(XC)*(1+0.025*(i-3.5)) : column(XC)+0.008*(i-3.5)) : NaN):(column('eff')):(2*column('eff_se')) \\\n"
        "         with yerrorbars lt i pt 7 ps 0.6\n"
        "} }\n"
        "# the key, alone in a full-width strip at the bottom\n"
        "set origin 0, 0\n"
        "set size 1, 0.11\n"
        "unset title; unset xlabel; unset ylabel; unset tics; unset border; unset grid; unset logscale x\n"
        "set xrange [0:1]; set yrange [0:1]\n"
        "set key center center horizontal maxrows 2 noopaque nobox\n"
        "plot for [i=1:6] NaN with lines lt i lw 2 title word(WS,i), \\\n"
        "     NaN with lines lt -1 dt 2 title 'best single level', NaN with lines lt 0 lw 2 title 'MLE (= 1)', \\\n"
        "     NaN with yerrorbars lt -1 pt 7 title 'simulation ± 2 SE'\n"
        "unset multiplot\n");

    pf_cap(r, "Efficiency (1/I_w)/(A_λ/B_λ²) of the DDPM estimator of the mixing weight against the MLE (= 1, dotted), "
           "t uniform over T = 1000 steps and each sample's loss weighted by λ_t (THEORY.md §9): lines by quadrature, "
           "dashed the best single level (all samples at the step maximising B_t²/A_t), points the simulated efficiency "
           "(Cramér–Rao variance over the mean square error of p̂ about π, R = %zu replicates of n = %zu, ± 2 SE). "
           "Top: against Δ at π = 0.3; bottom: against π at Δ = 2; left linear, right cosine schedule. ", R, n);
    for (int k = 0; k < 2; k++)
        pf_cap(r, "%s at Δ = 2, π = 0.3: eps (L_simple) %.3f, x0 %.3f, v %.3f, elbo %.3f, minsnr:5 %.3f, optimal %.3f "
               "(%.1f× eps); best single level t = %zu: %.3f. ", k ? "Cosine" : "Linear",
               at[k][0], at[k][1], at[k][2], at[k][3], at[k][4], at[k][5], at[k][5] / at[k][0], at_t[k], at_best[k]);
    pf_cap(r, "L_simple is far from efficient; weightings that put more weight on noisy steps (x0, v) come close to the "
           "optimal λ_t ∝ B_t/A_t, and min-SNR-5 hardly differs from eps. Simulation against quadrature: worst deviation "
           "%.2f SE over %zu cells (threshold for a 1%% family-wise false-alarm rate, Bonferroni: %.2f SE; the cells of one "
           "(Δ, π) share their draws across weightings).", worst, cells, gsl_cdf_ugaussian_Qinv(0.01 / (2.0 * (double)(cells ? cells : 1))));
    return pf_finish(o, r, f, st);
}
