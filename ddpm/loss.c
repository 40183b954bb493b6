/* ddpm/loss.c — the mixing-weight DDPM loss by quadrature (THEORY.md §3).
 *
 * Every quantity is an expectation over v ~ π N(k/2,1) + (1−π) N(−k/2,1)
 * (k = aΔ) of a bounded function of ρ_w(v) = σ(w + kv) and ρ*(v) = σ(θ* + kv).
 *
 * Where the integrands live.  For each component j (centre c_j = ±k/2) and each
 * integrand g (a product of at most three σ or 1−σ factors of each kind),
 * log(φ(v − c_j)·g(v)) is concave with curvature ≤ −1, so the integrand is
 * unimodal with Gaussian tails around its mode.  The mode lies within 3k of
 * c_j (|(log g)'| ≤ 3k) and within δ of the hull of c_j and the two sigmoid
 * transitions t_w = −w/k, t* = −(θ*)/k (beyond them g is saturated);
 * δ = DDPM_MODE_SLACK covers k(…)e^{−kδ} ≤ δ for all k.  Integrating over the
 * hull of [mode range ± R] loses at most Φ̄(R)·√(1 + 3k²/4) of each
 * component's contribution (R = DDPM_TAIL = 8: ≤ 7e-15 relative for k ≤ 12).
 *
 * Smooth regime (k ≤ GH_KMAX): the sigmoids' poles lie ≥ π/k from the real
 * axis, and each component's expectation is a Gauss–Hermite sum (GSL's
 * gsl_integration_fixed_hermite, weight e^{−x²/2}) at orders 28 and 20; one
 * exponential per node.
 *
 * Otherwise: composite Gauss–Legendre on panels of width ≤ H; within
 * DDPM_GRADE·distance of a transition the panels shrink to 4/k, the scale on
 * which σ(w + kv) has its complex poles (imaginary distance π/k).  Each panel
 * is integrated with GSL's 16- and 10-point Gauss–Legendre rules (nodes from
 * gsl_integration_glfixed); the value is the 16-point sum and the error
 * estimate the sum over panels of |Q16 − Q10| (the error of the 10-point rule,
 * hence a conservative bound for the 16-point one).
 */
#include "ddpm/ddpm.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_math.h>
#include "common/spl.h"

#define NHI 16
#define NLO 10
#define DDPM_TAIL 8.0          /* R: Gaussian tail cut, in standard deviations */
#define DDPM_MODE_SLACK 1.2    /* δ: how far a mode can sit past the hull of centre and transitions */
#define DDPM_PANEL 4.0         /* H: widest panel */
#define DDPM_FINE 4.0          /* fine panel width is DDPM_FINE / k */
#define DDPM_GRADE 0.5         /* panel width ≤ DDPM_GRADE × distance to a transition */
#define NMOM 6
#define GH_HI 28               /* Gauss–Hermite orders for the smooth regime */
#define GH_LO 20
#define GH_KMAX 0.7            /* k ≤ GH_KMAX: Gauss–Hermite per component (tested to 1e-12 against adaptive quadrature) */

struct ddpm_quad {
    double xhi[NHI], whi[NHI];   /* Gauss–Legendre nodes and weights on [−1, 1] */
    double xlo[NLO], wlo[NLO];
    double ghx[GH_HI], ghw[GH_HI];   /* Gauss–Hermite for E over N(0,1): Σ w_i f(x_i) */
    double glx[GH_LO], glw[GH_LO];
};

static int fill_rule(size_t n, double *x, double *w)
{
    gsl_integration_glfixed_table *t = gsl_integration_glfixed_table_alloc(n);
    if (!t) return GSL_ENOMEM;
    for (size_t i = 0; i < n; i++) gsl_integration_glfixed_point(-1.0, 1.0, i, &x[i], &w[i], t);
    gsl_integration_glfixed_table_free(t);
    return GSL_SUCCESS;
}

/* Gauss–Hermite with weight e^{−x²/2}, normalised to the N(0,1) expectation. */
static int fill_hermite(size_t n, double *x, double *w)
{
    gsl_integration_fixed_workspace *t =
        gsl_integration_fixed_alloc(gsl_integration_fixed_hermite, n, 0.0, 0.5, 0.0, 0.0);
    if (!t) return GSL_ENOMEM;
    const double *nx = gsl_integration_fixed_nodes(t), *nw = gsl_integration_fixed_weights(t);
    for (size_t i = 0; i < n; i++) { x[i] = nx[i]; w[i] = nw[i] / sqrt(2 * M_PI); }
    gsl_integration_fixed_free(t);
    return GSL_SUCCESS;
}

ddpm_quad *ddpm_quad_alloc(void)
{
    ddpm_quad *q = malloc(sizeof *q);
    if (!q) return NULL;
    if (fill_rule(NHI, q->xhi, q->whi) || fill_rule(NLO, q->xlo, q->wlo) ||
        fill_hermite(GH_HI, q->ghx, q->ghw) || fill_hermite(GH_LO, q->glx, q->glw)) {
        free(q);
        return NULL;
    }
    return q;
}

void ddpm_quad_free(ddpm_quad *q) { free(q); }

/* Parameters of one evaluation. */
typedef struct {
    double k, theta, w, pi;
    double em;          /* expm1(θ* − w) */
    double eD, eDm;     /* e^{−(w−θ*)}, e^{w−θ*} */
} qparams;

/* Accumulate the six integrands from ρ*, 1−ρ*, ρ_w, 1−ρ_w with weight pw. */
static inline void accumulate(const qparams *P, double rs, double qs, double rw, double qw,
                              double pw, double *acc)
{
    double r = rs * qs, r2 = r * r, rww = rw * qw;
    double d = -rw * qs * P->em;        /* ρ_w − ρ* = σ(w+s) − σ(θ+s) without cancellation */
    acc[0] += pw * r;
    acc[1] += pw * r2;
    acc[2] += pw * r2 * r;
    acc[3] += pw * d * d;
    acc[4] += pw * d * rww;
    acc[5] += pw * (rww * rww + d * rww * (qw - rw));
}

/* Panel regime: the integrands times the mixture density at any v (two
 * exponentials, a third only between the two transitions). */
static inline void integrand(const qparams *P, double v, double wt, double *acc)
{
    const double s = P->k * v, xs = P->theta + s, xw = P->w + s;
    const double c = M_SQRT1_2 * M_2_SQRTPI * 0.5;     /* 1/√(2π) */
    double rs, qs, rw, qw, p;
    if (xs >= 0) {
        /* E = e^{−xs} ≤ 1; p = πφ1/ρ* = πφ1(1 + E) */
        double E = exp(-xs), z = v - 0.5 * P->k;
        rs = 1.0 / (1.0 + E); qs = E * rs;
        p = P->pi * c * exp(-0.5 * z * z) * (1.0 + E);
        double Ew = xw >= 0 ? E * P->eD : exp(xw);   /* e^{−|xw|} */
        if (xw >= 0) { rw = 1.0 / (1.0 + Ew); qw = Ew * rw; }
        else         { qw = 1.0 / (1.0 + Ew); rw = Ew * qw; }
    } else {
        /* F = e^{xs} < 1; p = (1−π)φ2/(1−ρ*) = (1−π)φ2(1 + F) */
        double F = exp(xs), z = v + 0.5 * P->k;
        qs = 1.0 / (1.0 + F); rs = F * qs;
        p = (1.0 - P->pi) * c * exp(-0.5 * z * z) * (1.0 + F);
        double Fw = xw < 0 ? F * P->eDm : exp(-xw);   /* e^{−|xw|} */
        if (xw >= 0) { rw = 1.0 / (1.0 + Fw); qw = Fw * rw; }
        else         { qw = 1.0 / (1.0 + Fw); rw = Fw * qw; }
    }
    accumulate(P, rs, qs, rw, qw, p * wt, acc);
}

/* glibc's vector exp (libmvec, within 4 ulp) for the node loop below. */
#pragma omp declare simd notinbranch
extern double exp(double);

/* Smooth regime: E over each component N(±k/2, 1) by Gauss–Hermite.  The
 * node loop is branch-free, with one exponential and one division per node:
 * here |θ* + kv| ≤ 40 + 9 and |w − θ*| ≤ 200, so E = e^{−(θ*+kv)} and
 * Ew = E·e^{θ*−w} stay far from overflow, and σ, 1 − σ come from them without
 * cancellation. */
static void gh_sum(const qparams *P, const double *x, const double *wt, int n, double c, double wj, double *acc)
{
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0;
    const double th = P->theta, k = P->k, eD = P->eD, em = P->em;
    #pragma omp simd reduction(+:a0, a1, a2, a3, a4, a5)
    for (int i = 0; i < n; i++) {
        double E = exp(-(th + k * (c + x[i]))), Ew = E * eD;
        double inv = 1.0 / ((1.0 + E) * (1.0 + Ew));
        double rs = (1.0 + Ew) * inv, qs = E * rs, rw = (1.0 + E) * inv, qw = Ew * rw;
        double r = rs * qs, r2 = r * r, rww = rw * qw, d = -rw * qs * em, pw = wj * wt[i];
        a0 += pw * r;
        a1 += pw * r2;
        a2 += pw * r2 * r;
        a3 += pw * d * d;
        a4 += pw * d * rww;
        a5 += pw * (rww * rww + d * rww * (qw - rw));
    }
    acc[0] += a0; acc[1] += a1; acc[2] += a2; acc[3] += a3; acc[4] += a4; acc[5] += a5;
}

static void hermite(const ddpm_quad *q, const qparams *P, double *val, double *err)
{
    double hi[NMOM] = {0}, lo[NMOM] = {0};
    for (int j = 0; j < 2; j++) {
        double c = j == 0 ? 0.5 * P->k : -0.5 * P->k, wj = j == 0 ? P->pi : 1.0 - P->pi;
        gh_sum(P, q->ghx, q->ghw, GH_HI, c, wj, hi);
        gh_sum(P, q->glx, q->glw, GH_LO, c, wj, lo);
    }
    for (int m = 0; m < NMOM; m++) { val[m] = hi[m]; err[m] = fabs(hi[m] - lo[m]); }
}

/* Integrate over [x0, x1] with both rules; add to val and |hi − lo| to err. */
static void panel(const ddpm_quad *q, const qparams *P, double x0, double x1, double *val, double *err)
{
    double c = 0.5 * (x0 + x1), h = 0.5 * (x1 - x0);
    double hi[NMOM] = {0}, lo[NMOM] = {0};
    for (int i = 0; i < NHI; i++) integrand(P, c + h * q->xhi[i], h * q->whi[i], hi);
    for (int i = 0; i < NLO; i++) integrand(P, c + h * q->xlo[i], h * q->wlo[i], lo);
    for (int m = 0; m < NMOM; m++) { val[m] += hi[m]; err[m] += fabs(hi[m] - lo[m]); }
}

int ddpm_moments_eval(ddpm_quad *q, double k, double theta, double w, ddpm_moments *mo)
{
    if (!q || !mo) return GSL_EINVAL;
    if (!(k >= 0) || !isfinite(k) || !isfinite(theta) || !isfinite(w)) return GSL_EDOM;
    qparams P = { k, theta, w, spl_sigmoid(theta), expm1(theta - w), exp(theta - w), exp(w - theta) };
    double val[NMOM] = {0}, err[NMOM] = {0};
    if (k <= GH_KMAX && fabs(theta) <= 40 && fabs(w - theta) <= 200) {
        hermite(q, &P, val, err);
        goto done;
    }

    /* Transitions of the two sigmoids (only meaningful when k > 0). */
    double tr[2] = { k > 0 ? -w / k : HUGE_VAL, k > 0 ? -theta / k : HUGE_VAL };
    /* Integration range: hull over components of the mode ranges, ± R. */
    double lo = HUGE_VAL, hi = -HUGE_VAL;
    for (int j = 0; j < 2; j++) {
        double c = j == 0 ? 0.5 * k : -0.5 * k;
        double mlo = c - 3 * k, mhi = c + 3 * k;
        double hlo = c, hhi = c;
        for (int t = 0; t < 2; t++) if (isfinite(tr[t])) { hlo = fmin(hlo, tr[t]); hhi = fmax(hhi, tr[t]); }
        mlo = fmax(mlo, hlo - DDPM_MODE_SLACK);
        mhi = fmin(mhi, hhi + DDPM_MODE_SLACK);
        lo = fmin(lo, mlo - DDPM_TAIL);
        hi = fmax(hi, mhi + DDPM_TAIL);
    }
    double fine = k > 0 ? fmin(DDPM_PANEL, DDPM_FINE / k) : DDPM_PANEL;

    /* March from lo to hi with panels graded towards the transitions. */
    double x = lo;
    while (x < hi) {
        double h = DDPM_PANEL;
        if (fine < DDPM_PANEL)
            for (int t = 0; t < 2; t++) {
                double dist = fabs(x - tr[t]);
                /* distance from the nearest point of the panel to come */
                if (tr[t] > x) dist = fmax(0.0, tr[t] - x - fine);
                h = fmin(h, fmax(fine, DDPM_GRADE * dist));
            }
        double x1 = fmin(x + h, hi);
        if (hi - x1 < 0.25 * h) x1 = hi;   /* no sliver at the end */
        panel(q, &P, x, x1, val, err);
        x = x1;
    }
done:;
    ddpm_val *out[NMOM] = { &mo->r, &mo->r2, &mo->r3, &mo->dsq, &mo->dr, &mo->h };
    for (int m = 0; m < NMOM; m++) {
        out[m]->val = val[m];
        /* round-off floor: a few ulps of the sum of |terms| is not tracked; use the value */
        out[m]->err = err[m] + 4 * DBL_EPSILON * fabs(val[m]);
    }
    return GSL_SUCCESS;
}

static int check_level(const ddpm_quad *q, const gmm2 *g, double a, double b, double w,
                       const ddpm_loss_result *res)
{
    if (!q || !g || !res) return GSL_EINVAL;
    if (!(a > 0 && a < 1) || !(b > 0 && b < 1) || !isfinite(w)) return GSL_EDOM;
    if (fabs(a * a + b * b - 1.0) > 1e-9) return GSL_EDOM;
    return GSL_SUCCESS;
}

/* Loss pieces at one level from the moments. */
static void assemble(const gmm2 *g, double a, double b, const ddpm_moments *m, ddpm_loss_result *res)
{
    double D = g->sep, c2 = a * a * b * b * D * D;
    double d = (double)g->d;
    double inner = m->r.val + m->dsq.val;
    res->loss.val = a * a * (d + b * b * D * D * inner);
    res->loss.err = a * a * b * b * D * D * (m->r.err + m->dsq.err) + 2 * DBL_EPSILON * res->loss.val;
    res->excess.val = c2 * m->dsq.val;
    res->excess.err = c2 * m->dsq.err;
    res->grad.val = 2 * c2 * m->dr.val;
    res->grad.err = 2 * c2 * m->dr.err;
    res->hess.val = 2 * c2 * m->h.val;
    res->hess.err = 2 * c2 * m->h.err;
}

int ddpm_loss_level(ddpm_quad *q, const gmm2 *g, double a, double b, double w, ddpm_loss_result *res)
{
    int st = check_level(q, g, a, b, w, res);
    if (st) return st;
    ddpm_moments m;
    st = ddpm_moments_eval(q, a * g->sep, spl_logit(g->pi), w, &m);
    if (st) return st;
    assemble(g, a, b, &m, res);
    return GSL_SUCCESS;
}

int ddpm_loss_avg(ddpm_quad *q, const gmm2 *g, const ddpm_schedule *s, double w, ddpm_loss_result *res)
{
    if (!q || !s || !g || !res) return GSL_EINVAL;
    if (!isfinite(w)) return GSL_EDOM;
    size_t T = s->T;
    ddpm_loss_result *lv = malloc(T * sizeof *lv);
    int *lst = calloc(T, sizeof *lst);
    if (!lv || !lst) { free(lv); free(lst); return GSL_ENOMEM; }
    double theta = spl_logit(g->pi);
    /* Levels in parallel, interleaved (the costly low-noise levels all sit at
     * one end of the schedule), summed afterwards in index order: the result
     * does not depend on the number of threads.  Each level keeps its own
     * status; the first failing one in index order is returned. */
    #pragma omp parallel for schedule(static, 1)
    for (size_t i = 0; i < T; i++) {
        ddpm_moments m;
        lst[i] = ddpm_moments_eval(q, s->a[i] * g->sep, theta, w, &m);
        if (!lst[i]) assemble(g, s->a[i], s->b[i], &m, &lv[i]);
    }
    int status = GSL_SUCCESS;
    for (size_t i = 0; i < T && !status; i++) status = lst[i];
    free(lst);
    if (status) { free(lv); return status; }
    ddpm_loss_result acc = {{0, 0}, {0, 0}, {0, 0}, {0, 0}};
    for (size_t i = 0; i < T; i++) {
        acc.loss.val += lv[i].loss.val;     acc.loss.err += lv[i].loss.err;
        acc.excess.val += lv[i].excess.val; acc.excess.err += lv[i].excess.err;
        acc.grad.val += lv[i].grad.val;     acc.grad.err += lv[i].grad.err;
        acc.hess.val += lv[i].hess.val;     acc.hess.err += lv[i].hess.err;
    }
    free(lv);
    double invT = 1.0 / (double)T;
    res->loss.val = acc.loss.val * invT;     res->loss.err = acc.loss.err * invT;
    res->excess.val = acc.excess.val * invT; res->excess.err = acc.excess.err * invT;
    res->grad.val = acc.grad.val * invT;     res->grad.err = acc.grad.err * invT;
    res->hess.val = acc.hess.val * invT;     res->hess.err = acc.hess.err * invT;
    return GSL_SUCCESS;
}
