/* paper_figs/figs_fed.c — the federated figures F12–F17, F21 (see figs_fed.h).
 *
 * Each renderer draws one panel per pf_fed_view (preset) from the numbers of
 * the experiment (spire/experiment.h): a CSV with a `preset` column, a
 * gnuplot body with one plot per panel, a caption with the numbers.  Axes
 * whose values are signed and span decades (paired differences, forgetting)
 * use an asinh scale (linear near 0, logarithmic beyond a scale S) so that
 * no method's outlier flattens the others; KID axes are logarithmic when
 * every value is positive. */
#include "paper_figs/figs_fed.h"
#include "paper_figs/figs_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <omp.h>
#include <gsl/gsl_errno.h>
#include "spire/experiment.h"

#define LEN(x) (sizeof(x) / sizeof((x)[0]))

static int ok_views(const pf_opts *o, const pf_fed_view *v, size_t nv, pf_result *r)
{
    return o && v && r && nv >= 1 && nv <= 3;
}

static int isfin(double x) { return isfinite(x); }

/* A number for the CSV: NaN as "nan" (gnuplot skips the point). */
static void num(plots_fig *f, double x) { plots_fig_data(f, isfinite(x) ? "%.6g" : "nan", x); }
/* mean,lo,hi; bounds that are not there (one seed) written as the mean, so
 * that the point is drawn without a bar (the seeds column says why). */
static void ci3(plots_fig *f, pf_ci c)
{
    num(f, c.mean); plots_fig_data(f, ",");
    num(f, isfinite(c.lo) ? c.lo : c.mean); plots_fig_data(f, ",");
    num(f, isfinite(c.hi) ? c.hi : c.mean);
}

/* A gnuplot label as caption text: without the braces of enhanced text. */
static void plain(const char *s, char *buf, size_t len)
{
    size_t k = 0;
    for (; *s && k + 1 < len; s++)
        if (*s != '{' && *s != '}') buf[k++] = *s;
    buf[k] = '\0';
}

/* "1.23 [0.9, 1.5]" into buf. */
static const char *ci_text(pf_ci c, char *buf, size_t len)
{
    if (!isfin(c.mean)) snprintf(buf, len, "n/a");
    else if (isfin(c.lo) && isfin(c.hi)) snprintf(buf, len, "%.3g [%.3g, %.3g]", c.mean, c.lo, c.hi);
    else snprintf(buf, len, "%.3g", c.mean);
    return buf;
}

/* ---- axes ------------------------------------------------------------------------ */
typedef struct { double lo, hi, amax, amin, scale; size_t n; int pos; } span;   /* scale: of an asinh axis (0: from amin) */
static void span_init(span *s) { s->lo = INFINITY; s->hi = -INFINITY; s->amax = 0; s->amin = INFINITY; s->scale = 0; s->n = 0; s->pos = 1; }
static void span_add(span *s, double x)
{
    if (!isfin(x)) return;
    s->lo = fmin(s->lo, x);
    s->hi = fmax(s->hi, x);
    s->amax = fmax(s->amax, fabs(x));
    if (x != 0) s->amin = fmin(s->amin, fabs(x));
    if (x <= 0) s->pos = 0;
    s->n++;
}
static void span_ci(span *s, pf_ci c) { span_add(s, c.mean); span_add(s, c.lo); span_add(s, c.hi); }

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
/* The scale of an asinh axis for signed values: the smallest nonzero |mean|,
 * but not below 1/300 of the largest value (tics closer than that crowd at 0). */
static void span_scale(span *s, const pf_ci *c, size_t n)
{
    double a = INFINITY;
    for (size_t i = 0; i < n; i++)
        if (isfin(c[i].mean) && c[i].mean != 0) a = fmin(a, fabs(c[i].mean));
    if (a == INFINITY) return;
    s->scale = fmax(a, s->amax / 300);
}

/* A tic step of 1, 2 or 5 × 10^k near x (> 0). */
static double nice_step(double x)
{
    if (!(x > 0) || !isfinite(x)) return 1;
    double d = pow(10, floor(log10(x))), m = x / d;
    return d * (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10);
}

/* Tics at 1, 2, 5 × 10^k in [lo, hi] (a log axis spanning few decades). */
static void log_tics(plots_fig *f, char ax, double lo, double hi)
{
    plots_fig_body(f, "set %ctics (", ax);
    int first = 1;
    for (double d = pow(10, floor(log10(lo))); d <= hi; d *= 10)
        for (int k = 0; k < 3; k++) {
            double t = d * (k == 0 ? 1 : k == 1 ? 2 : 5);
            if (t < lo || t > hi) continue;
            plots_fig_body(f, "%s'%g' %g", first ? "" : ", ", t, t);
            first = 0;
        }
    plots_fig_body(f, ")\n");
}

/* The axis settings for the values of s: logarithmic when all positive and
 * spanning more than a factor 20; an asinh scale when signed and spanning
 * more than two decades; else linear.  Range with a margin. */
static void axis(plots_fig *f, char ax, const span *s)
{
    plots_fig_body(f, "unset logscale %c\nunset nonlinear %c\nset %ctics auto\n", ax, ax, ax);
    if (!s->n) { plots_fig_body(f, "set %crange [*:*]\n", ax); return; }
    if (s->pos && s->hi / s->lo > 20) {
        plots_fig_body(f, "set logscale %c\nset %crange [%.6g:%.6g]\n", ax, ax, s->lo / 1.5, s->hi * 1.5);
        if (s->hi / s->lo < 1000) log_tics(f, ax, s->lo / 1.5, s->hi * 1.5);
        return;
    }
    double S = s->scale > 0 ? s->scale : s->amin < INFINITY ? s->amin : 1;
    if (S < s->amax * 1e-4) S = s->amax * 1e-4;
    S = pow(10, floor(log10(S)));
    if (!s->pos && s->amax / S > 30) {
        double lo = s->lo < 0 ? s->lo * 1.6 : -S, hi = s->hi > 0 ? s->hi * 1.6 : S;
        plots_fig_body(f, "S%c = %.6g\nset nonlinear %c via asinh(%c/S%c) inverse S%c*sinh(%c)\nset %crange [%.6g:%.6g]\nset %ctics (",
                       ax, S, ax, ax, ax, ax, ax, ax, lo, hi, ax);
        plots_fig_body(f, "'0' 0");
        for (double t = S; t <= s->amax * 1.6; t *= 10) {
            if (t <= hi) plots_fig_body(f, ", '%g' %g", t, t);
            if (-t >= lo) plots_fig_body(f, ", '−%g' %g", t, -t);
        }
        plots_fig_body(f, ")\n");
        return;
    }
    double pad = 0.08 * (s->hi - s->lo);
    if (pad == 0) pad = fmax(fabs(s->hi) * 0.1, 1e-3);
    plots_fig_body(f, "set %crange [%.6g:%.6g]\n", ax, s->lo - pad, s->hi + pad);
}

/* A KID axis for intervals c[n] whose means are all positive: logarithmic
 * from the smallest positive mean or bound / 2 to the largest bound × 1.5;
 * a lower bound below that (a t-interval of a heavy-tailed, nonnegative
 * quantity can reach below 0) is drawn at the bottom of the axis, the
 * returned floor.  Otherwise (a mean ≤ 0, or none): −∞, and the caller uses
 * axis(). */
static double kid_floor(const pf_ci *c, size_t n, span *s)
{
    double lo = INFINITY, hi = 0;
    span_init(s);
    for (size_t i = 0; i < n; i++) {
        if (!isfin(c[i].mean)) continue;
        if (c[i].mean <= 0) return -INFINITY;
        span_add(s, c[i].mean);
        lo = fmin(lo, c[i].mean);
        hi = fmax(hi, c[i].mean);
        if (isfin(c[i].lo) && c[i].lo > 0) lo = fmin(lo, c[i].lo);
        if (isfin(c[i].hi)) hi = fmax(hi, c[i].hi);
    }
    if (!(hi > 0)) return -INFINITY;
    s->lo = lo / 2;
    s->hi = hi * 1.5;
    return s->lo;
}
/* The log axis of kid_floor's span. */
static void kid_axis(plots_fig *f, char ax, const span *s)
{
    plots_fig_body(f, "unset nonlinear %c\nset logscale %c\nset %ctics auto\nset %crange [%.6g:%.6g]\n", ax, ax, ax, ax, s->lo, s->hi);
    if (s->hi / s->lo < 1000) log_tics(f, ax, s->lo, s->hi);
}
/* A lower bound for the plot: not below the floor. */
static double clip_lo(pf_ci c, double floor) { double lo = isfin(c.lo) ? c.lo : c.mean; return lo < floor ? floor : lo; }

/* The panels of a figure: rows × cols inside the screen margins (left,
 * bottom, top; right 0.97), spacing (sx, sy) between them, each placed by
 * explicit screen margins (so that a legend can span the whole width above
 * them: legend()). */
typedef struct { size_t rows, cols; double l, b, t, sx, sy; } layout;

static layout head(plots_fig *f, const pf_result *r, size_t rows, size_t cols, const char *sub,
                   double left, double bottom, double top, double sx, double sy)
{
    plots_fig_body(f, "set multiplot title '%s  %s' font sprintf(',%%g', FONTSIZE + 2)\n", r->id, sub);
    return (layout){ rows, cols, left, bottom, top, sx, sy };
}
static void tail(plots_fig *f) { plots_fig_body(f, "unset multiplot\n"); }
/* Place panel k (row-major). */
static void panel(plots_fig *f, const layout *L, size_t k)
{
    double w = (0.97 - L->l - (double)(L->cols - 1) * L->sx) / (double)L->cols;
    double h = (L->t - L->b - (double)(L->rows - 1) * L->sy) / (double)L->rows;
    size_t i = k / L->cols, j = k % L->cols;
    double x0 = L->l + (double)j * (w + L->sx), y1 = L->t - (double)i * (h + L->sy);
    plots_fig_body(f, "set lmargin at screen %.4f\nset rmargin at screen %.4f\nset tmargin at screen %.4f\nset bmargin at screen %.4f\n",
                   x0, x0 + w, y1, y1 - h);
}
/* The legend of the whole figure across the top (between the panels and the
 * title), up to `rows` rows: an empty plot whose key the caller fills with
 * ", keyentry ..." clauses and ends with a newline. */
static void legend(plots_fig *f, const layout *L, int rows)
{
    plots_fig_body(f, "# the legend\nset lmargin at screen 0.03\nset rmargin at screen 0.97\nset bmargin at screen %.4f\nset tmargin at screen 0.935\n"
                   "unset border\nunset xtics\nunset ytics\nunset x2tics\nunset y2tics\nunset xlabel\nunset ylabel\nunset title\nunset grid\n"
                   "unset logscale\nunset nonlinear x\nunset nonlinear y\nunset arrow\nunset label\nset size noratio\nset xrange [0:1]\nset yrange [0:1]\n"
                   "set key center center horizontal maxrows %d box opaque samplen 1.5 width 1\nplot 2 notitle",
                   L->t + 0.065, rows);
}
/* The title of a panel: the preset and its seeds */
/* Into the caption: which panels have a single seed (no intervals). */
static void one_seed_note(pf_result *r, const pf_fed_view *v, size_t nv)
{
    size_t n1 = 0;
    for (size_t p = 0; p < nv; p++) n1 += v[p].seeds < 2;
    if (!n1) return;
    pf_cap(r, "%s one seed (a quick run): no intervals, points without bars, nothing decided. ",
           n1 == nv ? "Every panel has" : "Some panels have");
}

static void panel_title(plots_fig *f, const pf_fed_view *v)
{
    plots_fig_body(f, "set title '%s  (%zu seed%s)'\n", v->preset, v->seeds, v->seeds == 1 ? "" : "s");
}

/* ====================================================================================
 * F12 — paired differences to SPIRE (forest plot)
 * ==================================================================================== */
static const char *decide(pf_ci d)
{
    if (!isfin(d.lo) || !isfin(d.hi) || d.n < 2) return "undecided";
    return d.lo > 0 ? "spire_better" : d.hi < 0 ? "method_better" : "undecided";
}

/* The rows of a forest plot of the quantity q (per method) for every view:
 * preset,method,y,mean,lo,hi,class. */
static void forest_data(plots_fig *f, const pf_fed_view *v, size_t nv, int skip_spire, const pf_ci *(*q)(const pf_fed_view *, size_t),
                        const char *(*cls)(pf_ci))
{
    plots_fig_data(f, "preset,method,trainable,y,mean,lo,hi,seeds,class\n");
    for (size_t p = 0; p < nv; p++)
        for (size_t m = skip_spire ? 1 : 0; m < v[p].nm; m++) {
            pf_ci c = *q(&v[p], m);
            plots_fig_data(f, "%s,%s,%zu,%zu,", v[p].preset, v[p].method[m], v[p].trainable[m], v[p].nm - m);
            ci3(f, c);
            plots_fig_data(f, ",%zu,%s\n", c.n, cls(c));
        }
}

/* ytics naming the methods (row y = nm − m) and the y range. */
static void method_ytics(plots_fig *f, const pf_fed_view *v, int skip_spire)
{
    plots_fig_body(f, "set ytics (");
    for (size_t m = skip_spire ? 1 : 0; m < v->nm; m++)
        plots_fig_body(f, "%s'%s' %zu", m > (skip_spire ? 1u : 0u) ? ", " : "", v->method[m], v->nm - m);
    plots_fig_body(f, ")\nset yrange [0.4:%g]\nset grid noytics\n", (double)(v->nm - (skip_spire ? 1 : 0)) + 0.6);
}

static const pf_ci *q_diff(const pf_fed_view *v, size_t m) { return &v->diff[m]; }

/* A class of points in a forest plot: its name in the CSV, point type, colour, legend. */
typedef struct { const char *cls; int pt; const char *rgb, *title; } fclass;
static const fclass F12_CLASSES[] = {
    { "spire_better", 7, "#0072b2", "SPIRE lower" },
    { "method_better", 5, "#d55e00", "baseline lower" },
    { "undecided", 6, "#777777", "undecided (holds 0)" },
};
static const fclass F14_CLASSES[] = {
    { "forgets", 7, "#d55e00", "forgets" },
    { "undecided", 6, "#777777", "undecided (holds 0)" },
    { "improves", 5, "#009e73", "improves" },
    { "none", 4, "#0072b2", "shared weights untouched (0)" },
};
/* One plot of the panel P: a clause per class (horizontal 95% bars). */
static void forest_plot(plots_fig *f, const fclass *c, size_t nc)
{
    plots_fig_body(f, "plot ");
    for (size_t k = 0; k < nc; k++)
        plots_fig_body(f, "%sDATA using (strcol('preset') eq P && strcol('class') eq '%s' ? column('mean') : NaN):'y':'lo':'hi' "
                       "with xerrorbars pt %d ps 1.4 lw 2 lc rgb '%s' notitle", k ? ", \\\n     " : "", c[k].cls, c[k].pt, c[k].rgb);
    plots_fig_body(f, "\n");
}
static void forest_legend(plots_fig *f, const layout *L, const fclass *c, size_t nc)
{
    legend(f, L, 1);
    for (size_t k = 0; k < nc; k++)
        plots_fig_body(f, ", \\\n     keyentry with xerrorbars pt %d ps 1.4 lw 2 lc rgb '%s' title '%s'", c[k].pt, c[k].rgb, c[k].title);
    plots_fig_body(f, "\n");
}

/* A forest plot of q (per method; from the second method if skip_spire) with
 * one panel per view, points classed by cls, the x label on the last panel. */
static void forest_figure(plots_fig *f, pf_result *r, const pf_fed_view *v, size_t nv, const char *title, int skip_spire,
                          const pf_ci *(*q)(const pf_fed_view *, size_t), const char *(*cls)(pf_ci), const fclass *classes,
                          size_t nclasses, const char *xlabel)
{
    size_t m0 = skip_spire ? 1 : 0;
    forest_data(f, v, nv, skip_spire, q, cls);
    layout L = head(f, r, nv, 1, title, 0.1, 0.1, 0.78, 0, 0.13);
    for (size_t p = 0; p < nv; p++) {
        span s;
        span_init(&s);
        span_add(&s, 0);
        for (size_t m = m0; m < v[p].nm; m++) span_ci(&s, *q(&v[p], m));
        s.pos = 0;
        span_scale(&s, q(&v[p], m0), v[p].nm - m0);
        panel(f, &L, p);
        panel_title(f, &v[p]);
        axis(f, 'x', &s);
        method_ytics(f, &v[p], skip_spire);
        if (p + 1 == nv) plots_fig_body(f, "set xlabel '%s'\n", xlabel);
        else plots_fig_body(f, "unset xlabel\n");
        plots_fig_body(f, "unset key\n");
        plots_fig_body(f, "set arrow 1 from 0, graph 0 to 0, graph 1 nohead dt 2 lc rgb '#555555'\nP = '%s'\n", v[p].preset);
        forest_plot(f, classes, nclasses);
    }
    forest_legend(f, &L, classes, nclasses);
    tail(f);
}

int pf_fed_f12(const pf_opts *o, const pf_fed_view *v, size_t nv, pf_result *r)
{
    if (!ok_views(o, v, nv, r)) return GSL_EINVAL;
    plots_fig *f = plots_fig_alloc();
    if (!f) return GSL_ENOMEM;
    char xl[256];
    snprintf(xl, sizeof xl, "new-client %s(method) − %s(SPIRE)  (dimensionless; > 0: SPIRE lower)", v[nv - 1].kid_name, v[nv - 1].kid_name);
    forest_figure(f, r, v, nv, "New-client KID of each method minus SPIRE’s, paired over seeds (95% intervals)", 1, q_diff, decide,
                  F12_CLASSES, LEN(F12_CLASSES), xl);
    pf_cap(r, "Forest plot: for each baseline, the new-client %s minus SPIRE’s, paired over seeds (every method sees the same clients, "
           "splits and pre-trained backbone in a seed), mean and 95%% t-interval; right of the dashed line SPIRE is lower (better). "
           "Blue: the interval excludes 0 in SPIRE’s favour; orange: in the baseline’s; grey: undecided. The x axis is asinh-scaled "
           "where the differences span decades. ", v[0].kid_name);
    one_seed_note(r, v, nv);
    for (size_t p = 0; p < nv; p++) {
        pf_cap(r, "%s (%zu seed%s, SPIRE %s ", v[p].preset, v[p].seeds, v[p].seeds == 1 ? "" : "s", v[p].kid_name);
        char b[96];
        pf_cap(r, "%s):", ci_text(v[p].kid_new[0], b, sizeof b));
        for (size_t m = 1; m < v[p].nm; m++)
            pf_cap(r, " %s %s%s", v[p].method[m], ci_text(v[p].diff[m], b, sizeof b), m + 1 < v[p].nm ? ";" : ". ");
    }
    return pf_finish(o, r, f, GSL_SUCCESS);
}

/* ====================================================================================
 * F13 — new-client KID against trainable parameters
 * ==================================================================================== */
int pf_fed_f13(const pf_opts *o, const pf_fed_view *v, size_t nv, pf_result *r)
{
    if (!ok_views(o, v, nv, r)) return GSL_EINVAL;
    plots_fig *f = plots_fig_alloc();
    if (!f) return GSL_ENOMEM;
    plots_fig_data(f, "preset,method,mi,trainable,x,mean,lo,hi,seeds,lo_plot\n");
    size_t pmax = 1;
    double floor[3];
    span sp[3];
    int clipped = 0;
    for (size_t p = 0; p < nv; p++) {
        floor[p] = kid_floor(v[p].kid_new, v[p].nm, &sp[p]);
        if (floor[p] == -INFINITY) {
            span_init(&sp[p]);
            for (size_t m = 0; m < v[p].nm; m++) span_ci(&sp[p], v[p].kid_new[m]);
        }
        for (size_t m = 0; m < v[p].nm; m++) {
            pf_ci c = v[p].kid_new[m];
            plots_fig_data(f, "%s,%s,%zu,%zu,%zu,", v[p].preset, v[p].method[m], m + 1, v[p].trainable[m], v[p].trainable[m] ? v[p].trainable[m] : 1);
            ci3(f, c);
            plots_fig_data(f, ",%zu,", c.n);
            num(f, clip_lo(c, floor[p]));
            plots_fig_data(f, "\n");
            clipped |= isfin(c.lo) && c.lo < floor[p];
            if (v[p].trainable[m] > pmax) pmax = v[p].trainable[m];
        }
    }
    layout L = head(f, r, 1, nv, "New-client KID against trainable parameters per new client", 0.11, 0.12, 0.78, 0.11, 0);
    /* methods with the same count (full and local train every backbone number) would hide
     * each other: each point is drawn shifted by a factor exp(±F13_DODGE·2.5) at most */
    plots_fig_body(f, "F13_DODGE = 0.1\nunset key\nset xlabel 'trainable parameters  (log)'\n"
                   "set logscale x\nset format x '10^{%%L}'\nset xrange [0.5:%g]\n", pmax * 3.0);
    for (size_t p = 0; p < nv; p++) {
        panel(f, &L, p);
        panel_title(f, &v[p]);
        if (floor[p] > -INFINITY) kid_axis(f, 'y', &sp[p]); else axis(f, 'y', &sp[p]);
        plots_fig_body(f, "set ylabel 'new-client %s  (dimensionless)'\nP = '%s'\nplot ", v[p].kid_name, v[p].preset);
        for (size_t m = 0; m < v[p].nm; m++)
            plots_fig_body(f, "%sDATA using (strcol('preset') eq P && column('mi') == %zu ? column('x')*exp(F13_DODGE*(column('mi')-3.5)) : NaN):'mean':'lo_plot':'hi' "
                           "with yerrorbars lt %zu pt 7 ps 1.4 lw 2 notitle", m ? ", \\\n     " : "", m + 1, m + 1);
        plots_fig_body(f, "\n");
    }
    legend(f, &L, 1);
    for (size_t m = 0; m < v[0].nm; m++)
        plots_fig_body(f, ", keyentry with yerrorbars lt %zu pt 7 ps 1.4 lw 2 title '%s'", m + 1, v[0].method[m]);
    plots_fig_body(f, "\n");
    tail(f);
    pf_cap(r, "New-client %s (mean over the new clients, then mean and 95%% t-interval over seeds) against the parameters each method "
           "trains per new client (log scale; FedAvg trains none and is drawn at 1; each method's point is shifted sideways by a "
           "factor of at most 1.28 so that methods with the same count stay visible, the CSV has the exact counts). ", v[0].kid_name);
    if (clipped) pf_cap(r, "Lower bounds below the bottom of a logarithmic axis (the t-interval of a heavy-tailed KID can reach "
                           "below 0) are drawn at the bottom; the CSV has them. ");
    one_seed_note(r, v, nv);
    for (size_t p = 0; p < nv; p++) {
        pf_cap(r, "%s:", v[p].preset);
        char b[96];
        for (size_t m = 0; m < v[p].nm; m++)
            pf_cap(r, " %s (%zu) %s%s", v[p].method[m], v[p].trainable[m], ci_text(v[p].kid_new[m], b, sizeof b), m + 1 < v[p].nm ? ";" : ". ");
    }
    return pf_finish(o, r, f, GSL_SUCCESS);
}

/* ====================================================================================
 * F14 — forgetting
 * ==================================================================================== */
static const pf_ci *q_forget(const pf_fed_view *v, size_t m) { return &v->forget[m]; }
static const char *forget_class(pf_ci c)
{
    if (isfin(c.mean) && c.mean == 0 && (!isfin(c.hi) || c.hi == c.lo)) return "none";
    if (!isfin(c.lo) || !isfin(c.hi) || c.n < 2) return "undecided";
    return c.lo > 0 ? "forgets" : c.hi < 0 ? "improves" : "undecided";
}

int pf_fed_f14(const pf_opts *o, const pf_fed_view *v, size_t nv, pf_result *r)
{
    if (!ok_views(o, v, nv, r)) return GSL_EINVAL;
    plots_fig *f = plots_fig_alloc();
    if (!f) return GSL_ENOMEM;
    forest_figure(f, r, v, nv, "Forgetting: pre-training clients’ KID after the new clients were adapted, minus before", 0, q_forget,
                  forget_class, F14_CLASSES, LEN(F14_CLASSES), "ΔKID of the pre-training clients  (dimensionless; > 0: forgetting)");
    pf_cap(r, "Forgetting: KID of the pre-training clients with the shared model after the new clients were adapted, minus before "
           "(mean and 95%% t-interval over seeds). Methods that leave the shared weights untouched (SPIRE trains only the new "
           "client’s embedding) forget exactly nothing (squares at 0). ");
    one_seed_note(r, v, nv);
    for (size_t p = 0; p < nv; p++) {
        pf_cap(r, "%s:", v[p].preset);
        char b[96];
        for (size_t m = 0; m < v[p].nm; m++)
            pf_cap(r, " %s %s%s", v[p].method[m], ci_text(v[p].forget[m], b, sizeof b), m + 1 < v[p].nm ? ";" : ". ");
    }
    return pf_finish(o, r, f, GSL_SUCCESS);
}

/* ====================================================================================
 * F15 — robustness over learning rate × steps
 * ==================================================================================== */
static const int F15_PT[] = { 6, 4, 8, 12 };   /* open circle, square, triangle, diamond */
#define F15_OFFSCALE 100.0   /* a cell above this × the panel's median is drawn as off scale */

/* The state of robustness cell (q, a, b) of w: 0 plotted, 1 diverged (some
 * run), 2 off scale (mean above F15_OFFSCALE × med), 3 not measured. */
static int f15_state(const pf_fed_view *w, size_t q, size_t a, size_t b, double med)
{
    pf_ci c = w->rob[q][a][b];
    if (w->rob_div[q][a][b]) return 1;
    if (!isfin(c.mean)) return 3;
    return med > 0 && c.mean > F15_OFFSCALE * med ? 2 : 0;
}

/* The median of the finite, non-diverged cells of w (NaN if none). */
static double f15_median(const pf_fed_view *w)
{
    double a[PF_FED_M * PF_FED_G * PF_FED_G];
    size_t k = 0;
    for (size_t q = 0; q < w->nrm; q++)
        for (size_t i = 0; i < w->nlr; i++)
            for (size_t b = 0; b < w->nst; b++)
                if (!w->rob_div[q][i][b] && isfin(w->rob[q][i][b].mean)) a[k++] = w->rob[q][i][b].mean;
    if (!k) return NAN;
    qsort(a, k, sizeof a[0], cmp_double);
    return a[k / 2];
}

int pf_fed_f15(const pf_opts *o, const pf_fed_view *v, size_t nv, pf_result *r)
{
    if (!ok_views(o, v, nv, r)) return GSL_EINVAL;
    plots_fig *f = plots_fig_alloc();
    if (!f) return GSL_ENOMEM;
    plots_fig_data(f, "preset,method,mi,lr,steps,si,mean,lo,hi,diverged,runs,offscale,plot,mark,mark_off\n");
    double ytop[3], med[3];
    span sp[3];
    size_t ndiv_cells = 0, noff_cells = 0, ncells = 0;
    for (size_t p = 0; p < nv; p++) {
        const pf_fed_view *w = &v[p];
        med[p] = f15_median(w);
        span *s = &sp[p];
        span_init(s);
        int marks = 0;
        for (size_t q = 0; q < w->nrm; q++)
            for (size_t a = 0; a < w->nlr; a++)
                for (size_t b = 0; b < w->nst; b++) {
                    int stt = f15_state(w, q, a, b, med[p]);
                    if (stt == 0) span_add(s, w->rob[q][a][b].mean);   /* only the means are drawn */
                    marks |= stt == 1 || stt == 2;
                }
        /* the marks above the plotted cells, inside the range */
        ytop[p] = !s->n ? 1 : s->pos && s->hi / s->lo > 20 ? s->hi * 3 : s->hi + 0.2 * (s->hi - s->lo + 1e-12);
        if (marks || !s->n) span_add(s, ytop[p]);
        for (size_t q = 0; q < w->nrm; q++)   /* a series (method, steps) in consecutive rows */
            for (size_t b = 0; b < w->nst; b++)
                for (size_t a = 0; a < w->nlr; a++) {
                    pf_ci c = w->rob[q][a][b];
                    int stt = f15_state(w, q, a, b, med[p]);
                    ncells++;
                    ndiv_cells += stt == 1;
                    noff_cells += stt == 2;
                    plots_fig_data(f, "%s,%s,%zu,%g,%zu,%zu,", w->preset, w->method[w->rob_m[q]], q + 1, w->lr[a], w->steps[b], b + 1);
                    ci3(f, c);
                    plots_fig_data(f, ",%zu,%zu,%d,", w->rob_div[q][a][b], w->rob_runs[q][a][b], stt == 2);
                    num(f, stt == 0 ? c.mean : NAN);
                    plots_fig_data(f, ",");
                    num(f, stt == 1 ? ytop[p] : NAN);
                    plots_fig_data(f, ",");
                    num(f, stt == 2 ? ytop[p] : NAN);
                    plots_fig_data(f, "\n");
                }
    }
    const char *kid = v[0].size_name ? v[0].size_name : "KID";
    layout L = head(f, r, 1, nv, "New-client KID over fine-tuning learning rate × steps", 0.11, 0.12, 0.74, 0.11, 0);
    plots_fig_body(f, "set xlabel 'fine-tuning learning rate  (log)'\nset logscale x\nset format x '10^{%%L}'\n");
    for (size_t p = 0; p < nv; p++) {
        const pf_fed_view *w = &v[p];
        double lo = w->nlr ? w->lr[0] : 1e-3, hi = w->nlr ? w->lr[w->nlr - 1] : 1e-1;
        panel(f, &L, p);
        panel_title(f, w);
        plots_fig_body(f, "set xrange [%g:%g]\n", lo / 1.6, hi * 1.6);
        axis(f, 'y', &sp[p]);
        plots_fig_body(f, "set ylabel 'new-client %s  (dimensionless)'\nP = '%s'\nunset key\nplot ", w->size_name ? w->size_name : "KID", w->preset);
        for (size_t q = 0; q < w->nrm; q++)
            for (size_t b = 0; b < w->nst; b++)
                plots_fig_body(f, "DATA using (strcol('preset') eq P && column('mi') == %zu && column('si') == %zu ? column('lr') : NaN):'plot' "
                               "with linespoints lt %zu dt %zu pt %d ps 1.2 lw 2 notitle, \\\n     ",
                               q + 1, b + 1, q + 1, b + 1, F15_PT[b % LEN(F15_PT)]);
        plots_fig_body(f, "DATA using (strcol('preset') eq P ? column('lr') : NaN):'mark' with points pt 2 ps 2.2 lw 3 lc rgb '#cc0000' notitle, \\\n"
                       "     DATA using (strcol('preset') eq P ? column('lr') : NaN):'mark_off' with points pt 9 ps 2 lc rgb '#cc0000' notitle\n");
    }
    /* the legend: colour = method, dash and point = steps */
    legend(f, &L, 2);
    for (size_t q = 0; q < v[0].nrm; q++)
        plots_fig_body(f, ", \\\n     keyentry with lines lt %zu lw 3 title '%s'", q + 1, v[0].method[v[0].rob_m[q]]);
    for (size_t b = 0; b < v[0].nst; b++)
        plots_fig_body(f, ", \\\n     keyentry with linespoints lc rgb '#444444' dt %zu pt %d lw 2 title '%zu steps'", b + 1,
                       F15_PT[b % LEN(F15_PT)], v[0].steps[b]);
    plots_fig_body(f, ", \\\n     keyentry with points pt 2 ps 2 lw 3 lc rgb '#cc0000' title 'diverged'"
                   ", \\\n     keyentry with points pt 9 ps 2 lc rgb '#cc0000' title 'off scale'\n");
    tail(f);
    pf_cap(r, "New-client %s (mean over seeds) after fine-tuning with each learning rate and number of steps; one line per method and "
           "step count. A cell in which a run diverged in some seed (non-finite loss or exploded samples) is not plotted as a value "
           "but marked by a red × above the others; a cell whose mean exceeds %g× the panel's median is marked off scale (▲, its "
           "value below and in the CSV); the y range comes from the other cells. %zu of %zu cells diverged, %zu off scale. ",
           kid, F15_OFFSCALE, ndiv_cells, ncells, noff_cells);
    one_seed_note(r, v, nv);
    for (size_t p = 0; p < nv; p++) {
        const pf_fed_view *w = &v[p];
        pf_cap(r, "%s:", w->preset);
        for (size_t q = 0; q < w->nrm; q++) {
            double best = INFINITY, worst = -INFINITY, offmax = -INFINITY;
            size_t nd = 0, no = 0;
            for (size_t a = 0; a < w->nlr; a++)
                for (size_t b = 0; b < w->nst; b++) {
                    int stt = f15_state(w, q, a, b, med[p]);
                    double m = w->rob[q][a][b].mean;
                    if (stt == 1) nd++;
                    else if (stt == 2) { no++; offmax = fmax(offmax, m); }
                    else if (stt == 0) { best = fmin(best, m); worst = fmax(worst, m); }
                }
            pf_cap(r, " %s %.3g to %.3g, %zu diverged", w->method[w->rob_m[q]], best, worst, nd);
            if (no) pf_cap(r, ", %zu off scale (up to %.3g)", no, offmax);
            pf_cap(r, "%s", q + 1 < w->nrm ? ";" : ". ");
        }
    }
    return pf_finish(o, r, f, GSL_SUCCESS);
}

/* ====================================================================================
 * F16 — the embedding probe (E5)
 * ==================================================================================== */
int pf_fed_f16(const pf_opts *o, const pf_fed_view *v, size_t nv, pf_result *r)
{
    if (!ok_views(o, v, nv, r)) return GSL_EINVAL;
    plots_fig *f = plots_fig_alloc();
    if (!f) return GSL_ENOMEM;
    plots_fig_data(f, "preset,role,truth,pred\n");
    for (size_t p = 0; p < nv; p++)
        for (size_t i = 0; i < v[p].npr; i++) {
            plots_fig_data(f, "%s,%s,", v[p].preset, v[p].pr_new && v[p].pr_new[i / (v[p].pr_q ? v[p].pr_q : 1)] ? "new" : "pre");
            num(f, v[p].pr_truth[i]);
            plots_fig_data(f, ",");
            num(f, v[p].pr_pred[i]);
            plots_fig_data(f, "\n");
        }
    layout L = head(f, r, 1, nv, "E5: the client’s statistics against their leave-one-out prediction from its embedding", 0.11, 0.13, 0.8, 0.11, 0);
    for (size_t p = 0; p < nv; p++) {
        span s;
        span_init(&s);
        for (size_t i = 0; i < v[p].npr; i++) { span_add(&s, v[p].pr_truth[i]); span_add(&s, v[p].pr_pred[i]); }
        double lo = s.n ? s.lo : 0, hi = s.n ? s.hi : 1, pad = 0.06 * (hi - lo + 1e-12);
        panel(f, &L, p);
        panel_title(f, &v[p]);
        double step = nice_step((hi - lo + 2 * pad) / 3.5);
        plots_fig_body(f, "set xtics %.6g\nset ytics %.6g\nset xrange [%.6g:%.6g]\nset yrange [%.6g:%.6g]\n"
                       "set xlabel 'true %s'\nset ylabel 'predicted from the embedding  (leave-one-out)' offset 1,0\nP = '%s'\n"
                       "set label 1 sprintf('r = %%.3f', %.6g) at graph 0.04, graph 0.93 left front\n"
                       "%s"
                       "plot x with lines dt 2 lc rgb '#555555' notitle, \\\n"
                       "     DATA using (strcol('preset') eq P && strcol('role') eq 'pre' ? column('truth') : NaN):'pred' with points pt 7 ps 0.8 lc rgb '#0072b2' notitle, \\\n"
                       "     DATA using (strcol('preset') eq P && strcol('role') eq 'new' ? column('truth') : NaN):'pred' with points pt 9 ps 1.1 lc rgb '#d55e00' notitle\n"
                       "unset label 1\n",
                       step, step, lo - pad, hi + pad, lo - pad, hi + pad, v[p].probe_target ? v[p].probe_target : "statistic",
                       v[p].preset, v[p].pr_r,
                       "unset key\n");
    }
    legend(f, &L, 1);
    plots_fig_body(f, ", keyentry with lines dt 2 lc rgb '#555555' title 'y = x', "
                   "keyentry with points pt 7 ps 0.8 lc rgb '#0072b2' title 'pre-training clients', "
                   "keyentry with points pt 9 ps 1.1 lc rgb '#d55e00' title 'new clients'\n");
    tail(f);
    pf_cap(r, "The embedding probe (E5, THEORY.md §2 and §8): a ridge regression from the learned client embeddings to each client’s "
           "statistics, fitted leaving that client out; each point is one (seed, client, component). On y = x the embedding "
           "predicts the client exactly. ");
    one_seed_note(r, v, nv);
    for (size_t p = 0; p < nv; p++) {
        char tgt[64];
        plain(v[p].probe_target ? v[p].probe_target : "statistic", tgt, sizeof tgt);
        pf_cap(r, "%s (%s, %zu points over %zu seed%s): correlation r = %.3f", v[p].preset, tgt,
               v[p].npr, v[p].seeds, v[p].seeds == 1 ? "" : "s", v[p].pr_r);
        if (isfin(v[p].pr_lo)) pf_cap(r, ", 95%% interval over seeds (Fisher z) [%.3f, %.3f]", v[p].pr_lo, v[p].pr_hi);
        if (isfin(v[p].pr_bound)) pf_cap(r, "; smallest per-seed one-sided 99%% Fisher-z lower bound %.3f", v[p].pr_bound);
        pf_cap(r, ". ");
    }
    return pf_finish(o, r, f, GSL_SUCCESS);
}

/* ====================================================================================
 * F17 — generated digits per new client beside the real ones
 * ==================================================================================== */
/* A tile grid as a full pixel image: rows × 8 tiles of 8×8, a one-pixel gap
 * between tiles and a two-pixel gap below the first row (the real digits);
 * gap pixels −1 (white).  Pixel values (x + 1)·8 in [0, 16]. */
int pf_fed_f17(const pf_opts *o, const pf_fed_view *v, size_t nv, pf_result *r)
{
    if (!ok_views(o, v, nv, r)) return GSL_EINVAL;
    const pf_fed_view *w = NULL;
    for (size_t p = 0; p < nv && !w; p++)
        if (v[p].digits && v[p].nnew && v[p].dg_real && v[p].dg_gen) w = &v[p];
    if (!w) return GSL_EINVAL;
    size_t nc = w->nnew < PF_FED_NEW ? w->nnew : PF_FED_NEW, cols = 1 + w->nm;
    size_t W = cols * 9, H = 8 * 9 - 1;   /* columns of 9 (one extra gap pixel after the real column, none after the last) */
    plots_fig *f = plots_fig_alloc();
    if (!f) return GSL_ENOMEM;
    plots_fig_data(f, "client,x,y,value\n");
    for (size_t c = 0; c < nc; c++)
        for (size_t Y = 0; Y < H; Y++)
            for (size_t X = 0; X < W; X++) {
                /* X from the left: column 0 (real) in pixels 0..7, gap 8..9, then columns of 9; Y from the top: tiles of 9 */
                double val = -1;
                size_t col = X < 8 ? 0 : X < 10 ? SIZE_MAX : 1 + (X - 10) / 9, px = X < 8 ? X : (X - 10) % 9;
                size_t t = Y / 9, py = Y % 9;
                if (col != SIZE_MAX && col < cols && px < 8 && py < 8) {
                    const float *img = col == 0 ? w->dg_real + ((c * 8 + t) * 64)
                                                : w->dg_gen + ((((col - 1) * w->nnew + c) * 8 + t) * 64);
                    val = (img[py * 8 + px] + 1.0) * 8.0;
                }
                plots_fig_data(f, "%zu,%zu,%zu,%.4g\n", w->new_client[c], X, H - 1 - Y, val);
            }
    layout L = head(f, r, 1, nc, "Generated 8×8 digits per new client beside its real held-out digits", 0.04, 0.1, 0.88, 0.06, 0);
    plots_fig_body(f, "set size ratio -1\nunset key\nunset ytics\nunset colorbox\nset palette gray negative\nset cbrange [0:16]\n"
                   "set xrange [-0.5:%zu.5]\nset yrange [-0.5:%zu.5]\nset xtics scale 0 rotate by 45 right (", W - 1, H - 1);
    for (size_t col = 0; col < cols; col++)
        plots_fig_body(f, "%s'%s' %g", col ? ", " : "", col == 0 ? "real" : w->method[col - 1], col == 0 ? 3.5 : 10 + 9.0 * (double)(col - 1) + 3.5);
    plots_fig_body(f, ")\nset border 0\n");
    for (size_t c = 0; c < nc; c++) {
        panel(f, &L, c);
        plots_fig_body(f, "set title 'new client %zu'\nplot DATA every ::%zu::%zu using 'x':'y':'value' with image   # rows of client %zu\n",
                       w->new_client[c], c * W * H, (c + 1) * W * H - 1, w->new_client[c]);
    }
    tail(f);
    pf_cap(r, "The digits preset (%s): for each new client, the first column holds 8 of its real held-out digits, the columns to its "
           "right 8 digits generated for it by each method after adaptation (first seed; SPIRE adapts only the client’s embedding). Pixels 0..16, "
           "dark = 16. New-client %s per method:", w->preset, w->kid_name);
    char b[96];
    for (size_t m = 0; m < w->nm; m++)
        pf_cap(r, " %s %s%s", w->method[m], ci_text(w->kid_new[m], b, sizeof b), m + 1 < w->nm ? ";" : ". ");
    int any_tv = 0;
    for (size_t m = 0; m < w->nm; m++) any_tv |= isfin(w->tv_new[m].mean);
    if (any_tv) {
        pf_cap(r, "Total variation between the classified labels of the generated digits and the client’s label distribution:");
        for (size_t m = 0; m < w->nm; m++)
            pf_cap(r, " %s %s%s", w->method[m], ci_text(w->tv_new[m], b, sizeof b), m + 1 < w->nm ? ";" : ".");
    }
    return pf_finish(o, r, f, GSL_SUCCESS);
}

/* ====================================================================================
 * F21 — the sample-size curve
 * ==================================================================================== */
/* Where the mean curve of method m crosses SPIRE's (linear in log n), into
 * the caption. */
static void crossings(pf_result *r, const pf_fed_view *w, size_t m)
{
    size_t nx = 0;
    int first = 0, last = 0;   /* sign of (m − SPIRE) at the first and last finite size */
    double prev_d = NAN, prev_n = NAN;
    char where[256] = "";
    size_t wl = 0;
    for (size_t i = 0; i < w->nsizes; i++) {
        double d = w->size_kid[m][i].mean - w->size_kid[0][i].mean, n = (double)w->sizes[i];
        if (!isfin(d)) continue;
        int sg = d > 0 ? 1 : d < 0 ? -1 : 0;
        if (!first) first = sg;
        last = sg;
        if (isfin(prev_d) && (prev_d > 0) != (d > 0) && prev_d != 0 && d != 0) {
            double t = prev_d / (prev_d - d), ncross = exp(log(prev_n) + t * (log(n) - log(prev_n)));
            if (wl < sizeof where)
                wl += (size_t)snprintf(where + wl, sizeof where - wl, "%s≈ %.0f (between %.0f and %.0f)", nx ? ", " : "", ncross, prev_n, n);
            nx++;
        }
        prev_d = d;
        prev_n = n;
    }
    if (nx) pf_cap(r, " %s crosses SPIRE at n %s;", w->method[m], where);
    else if (first) pf_cap(r, " %s %s SPIRE at every n;", w->method[m], first > 0 && last > 0 ? "above" : "below");
}

int pf_fed_f21(const pf_opts *o, const pf_fed_view *v, size_t nv, pf_result *r)
{
    if (!ok_views(o, v, nv, r)) return GSL_EINVAL;
    plots_fig *f = plots_fig_alloc();
    if (!f) return GSL_ENOMEM;
    plots_fig_data(f, "preset,method,mi,n_train,mean,lo,hi,seeds,lo_plot\n");
    double floor[3];
    span sp[3];
    int clipped = 0;
    for (size_t p = 0; p < nv; p++) {
        pf_ci all[PF_FED_M * PF_FED_S];
        size_t k = 0;
        for (size_t m = 0; m < v[p].nm; m++)
            for (size_t i = 0; i < v[p].nsizes; i++) all[k++] = v[p].size_kid[m][i];
        floor[p] = kid_floor(all, k, &sp[p]);
        if (floor[p] == -INFINITY) {
            span_init(&sp[p]);
            for (size_t i = 0; i < k; i++) span_ci(&sp[p], all[i]);
        }
        for (size_t m = 0; m < v[p].nm; m++)
            for (size_t i = 0; i < v[p].nsizes; i++) {
                pf_ci c = v[p].size_kid[m][i];
                plots_fig_data(f, "%s,%s,%zu,%zu,", v[p].preset, v[p].method[m], m + 1, v[p].sizes[i]);
                ci3(f, c);
                plots_fig_data(f, ",%zu,", c.n);
                num(f, clip_lo(c, floor[p]));
                plots_fig_data(f, "\n");
                clipped |= isfin(c.lo) && c.lo < floor[p];
            }
    }
    layout L = head(f, r, 1, nv, "New-client KID against the new client’s number of training samples", 0.11, 0.12, 0.78, 0.11, 0);
    plots_fig_body(f, "set xlabel 'new client’s n_{train}  (log)'\nset logscale x 2\nset style fill transparent solid 0.12 noborder\n");
    for (size_t p = 0; p < nv; p++) {
        const pf_fed_view *w = &v[p];
        panel(f, &L, p);
        panel_title(f, w);
        if (w->nsizes) {
            plots_fig_body(f, "set xrange [%g:%g]\nset xtics (", w->sizes[0] / 1.3, w->sizes[w->nsizes - 1] * 1.3);
            size_t every = w->nsizes > 5 ? 2 : 1;
            for (size_t i = 0; i < w->nsizes; i += every) plots_fig_body(f, "%s%zu", i ? ", " : "", w->sizes[i]);
            plots_fig_body(f, ")\n");
        }
        if (floor[p] > -INFINITY) kid_axis(f, 'y', &sp[p]); else axis(f, 'y', &sp[p]);
        plots_fig_body(f, "set ylabel 'new-client %s  (dimensionless)'\nP = '%s'\n", w->size_name ? w->size_name : "KID", w->preset);
        plots_fig_body(f, "unset key\n");
        plots_fig_body(f, "plot ");
        for (size_t m = 0; m < w->nm; m++)
            plots_fig_body(f, "%sDATA using (strcol('preset') eq P && column('mi') == %zu ? column('n_train') : NaN):'lo_plot':'hi' with filledcurves lt %zu notitle, \\\n"
                           "     DATA using (strcol('preset') eq P && column('mi') == %zu ? column('n_train') : NaN):'mean' with linespoints lt %zu pt 7 ps 0.8 lw %d notitle",
                           m ? ", \\\n     " : "", m + 1, m + 1, m + 1, m + 1, m == 0 ? 4 : 2);
        plots_fig_body(f, "\n");
    }
    legend(f, &L, 1);
    for (size_t m = 0; m < v[0].nm; m++)
        plots_fig_body(f, ", keyentry with linespoints lt %zu pt 7 ps 0.8 lw %d title '%s'", m + 1, m == 0 ? 4 : 2, v[0].method[m]);
    plots_fig_body(f, ", keyentry with filledcurves lc rgb '#888888' title '95%% interval'\n");
    tail(f);
    pf_cap(r, "New-client %s (mean over the new clients; line: mean over seeds, band: 95%% t-interval) after adapting with n training "
           "samples of the new client, for every method (THEORY.md §6: an embedding adapts a handful of mixing-weight-like numbers, "
           "so it should need few samples; full fine-tuning many). Crossings with SPIRE (linear interpolation in log n of the "
           "mean curves):", v[0].size_name ? v[0].size_name : "KID");
    if (clipped) pf_cap(r, " [Lower bounds of the bands below the bottom of a logarithmic axis (the t-interval of a heavy-tailed KID "
                           "can reach below 0) are drawn at the bottom; the CSV has them.]");
    one_seed_note(r, v, nv);
    for (size_t p = 0; p < nv; p++) {
        const pf_fed_view *w = &v[p];
        pf_cap(r, " %s (n = %zu to %zu, %zu seed%s):", w->preset, w->nsizes ? w->sizes[0] : 0, w->nsizes ? w->sizes[w->nsizes - 1] : 0,
               w->seeds, w->seeds == 1 ? "" : "s");
        for (size_t m = 1; m < w->nm; m++) crossings(r, w, m);
        size_t len = strlen(r->caption);
        if (len && r->caption[len - 1] == ';') r->caption[len - 1] = '.';
    }
    return pf_finish(o, r, f, GSL_SUCCESS);
}

/* ====================================================================================
 * From an experiment result
 * ==================================================================================== */
static const char *PRESET_NAME[] = { "gmm2", "gmmK", "digits" };

static pf_ci ci_of(spire_exp_ci c) { return (pf_ci){ c.mean, c.lo, c.hi, c.n }; }

int pf_fed_view_of(const spire_exp_result *r, pf_fed_view *v)
{
    if (!r || !v) return GSL_EINVAL;
    if (r->nm > PF_FED_M || r->nsizes > PF_FED_S || r->nlr > PF_FED_G || r->nsteps > PF_FED_G || (unsigned)r->opts.kind > 2)
        return GSL_EINVAL;
    memset(v, 0, sizeof *v);
    int kind = (int)r->opts.kind;
    snprintf(v->preset, sizeof v->preset, "%s", PRESET_NAME[kind]);
    v->digits = kind == SPIRE_FED_DIGITS;
    v->seeds = r->seeds;
    v->nm = r->nm;
    /* digits with the classifier: the feature-space KID (raw-pixel KID does not tell the methods apart) */
    int feat = v->digits && isfin(r->ci_fkid_new[0].mean);
    v->kid_name = feat ? "feature KID" : "KID";
    v->size_name = "KID";
    for (size_t m = 0; m < r->nm; m++) {
        snprintf(v->method[m], sizeof v->method[m], "%s", r->method[m]);
        v->trainable[m] = r->trainable[m];
        v->kid_new[m] = ci_of(feat ? r->ci_fkid_new[m] : r->ci_kid_new[m]);
        v->diff[m] = ci_of(feat ? r->ci_fdiff[m] : r->ci_diff[m]);
        v->kid_pre[m] = ci_of(r->ci_kid_pre[m]);
        v->forget[m] = ci_of(r->ci_forget[m]);
        v->tv_new[m] = ci_of(r->ci_tv_new[m]);
    }
    v->nsizes = r->nsizes;
    for (size_t k = 0; k < r->nsizes; k++) {
        v->sizes[k] = r->sizes[k];
        for (size_t m = 0; m < r->nm && r->ci_size_kid; m++) v->size_kid[m][k] = ci_of(r->ci_size_kid[k * r->nm + m]);
    }
    v->nlr = r->ci_rob ? r->nlr : 0;
    v->nst = r->ci_rob ? r->nsteps : 0;
    for (size_t a = 0; a < v->nlr; a++) v->lr[a] = r->grid_lr[a];
    for (size_t b = 0; b < v->nst; b++) v->steps[b] = r->grid_steps[b];
    for (size_t m = 0; m < r->nm && v->nlr; m++) {
        if (!r->rob_in[m]) continue;
        size_t q = v->nrm++;
        v->rob_m[q] = m;
        for (size_t a = 0; a < v->nlr; a++)
            for (size_t b = 0; b < v->nst; b++) {
                size_t i = (m * r->nlr + a) * r->nsteps + b;
                v->rob[q][a][b] = ci_of(r->ci_rob[i]);
                v->rob_div[q][a][b] = r->rob_diverged ? r->rob_diverged[i] : 0;
                v->rob_runs[q][a][b] = r->seeds;
            }
    }
    v->probe_target = kind == SPIRE_FED_GMM2 ? "logit π_c" : kind == SPIRE_FED_GMMK ? "mixing weights π_{ck}" : "label shares";
    if (r->probe_truth && r->probe_pred && r->probe_q) {
        v->pr_q = r->probe_q;
        v->npr = r->seeds * r->C * r->probe_q;
        v->pr_truth = r->probe_truth;
        v->pr_pred = r->probe_pred;
        v->pr_new = r->is_new;
    }
    double z = r->ci_probe_z.mean;
    v->pr_r = tanh(z);
    v->pr_lo = tanh(r->ci_probe_z.lo);
    v->pr_hi = tanh(r->ci_probe_z.hi);
    v->pr_bound = NAN;
    for (size_t s = 0; s < r->seeds && r->probe_r_lo; s++)
        if (isfin(r->probe_r_lo[s]) && !(v->pr_bound <= r->probe_r_lo[s])) v->pr_bound = r->probe_r_lo[s];
    if (v->digits && r->show_gen && r->show_real && r->show_client && r->D == 64) {
        if (r->n_new > PF_FED_NEW || SPIRE_EXP_NSHOW != 8) return GSL_EINVAL;
        v->nnew = r->n_new;
        for (size_t j = 0; j < r->n_new; j++) v->new_client[j] = (size_t)r->show_client[j];
        v->dg_real = r->show_real;
        v->dg_gen = r->show_gen;
    }
    v->ne = SPIRE_EXP_NCLAIMS < PF_FED_E ? SPIRE_EXP_NCLAIMS : PF_FED_E;
    for (size_t k = 0; k < v->ne; k++) {
        const spire_exp_claim *c = &r->claims[k];
        v->e[k] = (pf_erow){ PRESET_NAME[kind], c->id, c->claim, c->measured, c->lo, c->hi, c->threshold, c->verdict, c->detail };
    }
    v->wall = r->wall;
    return GSL_SUCCESS;
}

/* The seven figures: id, slug, title, renderer, whether it needs digits. */
typedef struct {
    const char *id, *slug, *title, *claims;
    int (*draw)(const pf_opts *, const pf_fed_view *, size_t, pf_result *);
    int digits_only;
} fed_fig;
static const fed_fig FED_FIGS[] = {
    { "F12", "paired-kid", "New-client KID: each method minus SPIRE, paired over seeds", "E2", pf_fed_f12, 0 },
    { "F13", "kid-vs-params", "New-client KID against trainable parameters", "E2", pf_fed_f13, 0 },
    { "F14", "forgetting", "Forgetting of the pre-training clients", "E3", pf_fed_f14, 0 },
    { "F15", "robustness", "Robustness over fine-tuning learning rate × steps", "E4", pf_fed_f15, 0 },
    { "F16", "embedding-probe", "E5: the embedding predicts the client’s statistics", "E5", pf_fed_f16, 0 },
    { "F17", "digits", "Generated digits per new client beside its real ones", "E2", pf_fed_f17, 1 },
    { "F21", "sample-size", "New-client KID against the new client’s sample size", "E2", pf_fed_f21, 0 },
};

int pf_fed_render(const spire_exp_result *res, const char *dir, const plots_caps *caps,
                  const plots_format *fmts, size_t nfmts, pf_result *out, size_t *nout)
{
    if (nout) *nout = 0;
    if (!res || !dir || !caps || !fmts || !nfmts || nfmts > 4) return GSL_EINVAL;
    pf_fed_view *v = malloc(sizeof *v);
    if (!v) return GSL_ENOMEM;
    int st = pf_fed_view_of(res, v), first = GSL_SUCCESS;
    pf_opts o;
    pf_opts_default(&o);
    o.quick = 0;
    o.seed = res->opts.seed0;
    o.outdir = dir;
    o.caps = caps;
    for (size_t k = 0; k < nfmts; k++) o.fmts[k] = fmts[k];
    o.nfmts = nfmts;
    size_t n = 0;
    for (size_t k = 0; k < LEN(FED_FIGS) && !st; k++) {
        if (FED_FIGS[k].digits_only && !(v->digits && v->nnew)) continue;
        pf_result r;
        pf_result_start(&r, FED_FIGS[k].id, FED_FIGS[k].slug, FED_FIGS[k].title, FED_FIGS[k].claims);
        int fs = FED_FIGS[k].draw(&o, v, 1, &r);
        if (fs && !first) first = fs;
        if (!fs && out) out[n] = r;
        n += !fs;
    }
    if (nout) *nout = n;
    free(v);
    return st ? st : first;
}

/* ====================================================================================
 * The recipes: each preset's experiment once per process
 * ==================================================================================== */
typedef struct {
    int used, quick;
    uint64_t seed;
    spire_exp_result *r;
    pf_fed_view v;
} fed_entry;
static fed_entry fed_cache[3];   /* by kind; one (quick, seed) each */

/* The experiment's progress lines, prefixed with the preset, to o->progress. */
typedef struct { const pf_opts *o; const char *preset; } fed_prog;
static void fed_progress(void *ctx, const char *line)
{
    const fed_prog *p = ctx;
    char buf[512];
    snprintf(buf, sizeof buf, "spire experiment %s: %s", p->preset, line);
    p->o->progress(p->o->progress_ctx, buf);
}

/* The experiment of preset `kind` for o's quick and seed: run once (its tables
 * into OUTDIR/spire_<preset>/), then from the cache. */
static int fed_get(const pf_opts *o, int kind, const pf_fed_view **v)
{
    fed_entry *e = &fed_cache[kind];
    if (e->used && e->quick == o->quick && e->seed == o->seed) { *v = &e->v; return GSL_SUCCESS; }
    if (e->used) { spire_exp_result_free(e->r); memset(e, 0, sizeof *e); }
    spire_exp_opts eo;
    memset(&eo, 0, sizeof eo);
    int st = spire_exp_opts_preset(&eo, (spire_fed_kind)kind, o->quick);
    if (st) return st;
    eo.seed0 = o->seed;
    eo.threads = omp_get_max_threads();
    fed_prog fp = { o, PRESET_NAME[kind] };
    if (o->progress) { eo.progress = fed_progress; eo.progress_ctx = &fp; }
    spire_exp_result *r = NULL;
    if ((st = spire_exp_run(&eo, &r, NULL, 0))) return st;
    char dir[4096];
    int len = snprintf(dir, sizeof dir, "%s/spire_%s", o->outdir, PRESET_NAME[kind]);
    if (len < 0 || (size_t)len >= sizeof dir) st = GSL_EINVAL;
    else if (mkdir(dir, 0777) != 0 && errno != EEXIST) st = GSL_EFAILED;
    if (!st) st = spire_exp_write(r, dir, NULL, 0);
    if (!st) st = pf_fed_view_of(r, &e->v);
    if (st) { spire_exp_result_free(r); return st; }
    e->used = 1;
    e->quick = o->quick;
    e->seed = o->seed;
    e->r = r;
    *v = &e->v;
    return GSL_SUCCESS;
}

/* Draw figure k of FED_FIGS from the presets' experiments (digits only for F17). */
static int fed_recipe(const pf_opts *o, pf_result *r, size_t k)
{
    if (!o || !r || !o->outdir) return GSL_EINVAL;
    pf_fed_view v[3];
    size_t nv = 0;
    for (int kind = FED_FIGS[k].digits_only ? SPIRE_FED_DIGITS : SPIRE_FED_GMM2; kind <= SPIRE_FED_DIGITS; kind++) {
        const pf_fed_view *p;
        int st = fed_get(o, kind, &p);
        if (st) return st;
        v[nv++] = *p;
    }
    return FED_FIGS[k].draw(o, v, nv, r);
}

int pf_f12_paired_kid(const pf_opts *o, pf_result *r) { return fed_recipe(o, r, 0); }
int pf_f13_kid_params(const pf_opts *o, pf_result *r) { return fed_recipe(o, r, 1); }
int pf_f14_forgetting(const pf_opts *o, pf_result *r) { return fed_recipe(o, r, 2); }
int pf_f15_robustness(const pf_opts *o, pf_result *r) { return fed_recipe(o, r, 3); }
int pf_f16_probe(const pf_opts *o, pf_result *r) { return fed_recipe(o, r, 4); }
int pf_f17_digits(const pf_opts *o, pf_result *r) { return fed_recipe(o, r, 5); }
int pf_f21_sample_size(const pf_opts *o, pf_result *r) { return fed_recipe(o, r, 6); }

void pf_fed_erows(const pf_opts *o, pf_erow *rows, size_t max, size_t *n)
{
    size_t k = 0;
    for (int kind = 0; kind < 3 && o && rows; kind++) {
        const fed_entry *e = &fed_cache[kind];
        if (!e->used || e->quick != o->quick || e->seed != o->seed) continue;
        for (size_t j = 0; j < e->v.ne && k < max; j++) rows[k++] = e->v.e[j];
    }
    if (n) *n = k;
}

void pf_fed_cache_free(void)
{
    for (int kind = 0; kind < 3; kind++) {
        spire_exp_result_free(fed_cache[kind].r);
        memset(&fed_cache[kind], 0, sizeof fed_cache[kind]);
    }
}
