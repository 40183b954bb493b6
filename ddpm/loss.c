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
 *
 * Rounding (docs/accuracy.md).  Beside each sum the node loops accumulate
 * Σ|term_i|·η_i, where η_i bounds the relative error of term i in units of
 * DBL_EPSILON: the arguments θ* + kv and θ* − w carry absolute errors of a few
 * ulps of |θ*|, |kv|, |θ* − w| (θ* itself is a rounded logit), each term has
 * at most six sigmoid factors, the exponentials are within 4 ulp (libmvec),
 * and GSL's Gauss–Hermite nodes and weights are computed (not tabulated):
 * measured against 40-digit ones, node errors ≤ (2 + 6|x|) eps and relative
 * weight errors ≤ (4 + 3x²) eps.  For the signed moments (dr, h) they also
 * accumulate Σ|term_i| (the magnitude behind a cancelling sum).  The
 * estimate adds: that per-term bound, the summation error (depth·u·Σ|term|),
 * the Gaussian tail cut of the panel regime, and the error of expm1(θ* − w),
 * which enters every ρ_w − ρ* once: it is relative to |w − θ*|, i.e. the
 * cancellation near the minimum (see moments() below).
 */
#include "ddpm/ddpm.h"
#include "ddpm/draw.h"
#include "ddpm/weighting.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_math.h>
#include "common/ksum.h"
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
#define NRND (NMOM + 2)        /* Σ|t|·η for each moment, then Σ|t| for dr and h */
#define TAIL_MASS 6.3e-16      /* Φ̄(DDPM_TAIL) = Φ̄(8) = 6.22e-16, rounded up */

struct ddpm_quad {
    double xhi[NHI], whi[NHI];   /* Gauss–Legendre nodes and weights on [−1, 1] */
    double xlo[NLO], wlo[NLO];
    double ghx[GH_HI], ghw[GH_HI];   /* Gauss–Hermite for E over N(0,1): Σ w_i f(x_i) */
    double glx[GH_LO], glw[GH_LO];
    double glwe[GH_LO];              /* glw·|x|(3|x| + 21): the node-dependent part of η (see gh_sum) */
};

static int fill_rule(size_t n, double *x, double *w)
{
    gsl_integration_glfixed_table *t = gsl_integration_glfixed_table_alloc(n);
    if (!t) return GSL_ENOMEM;
    for (size_t i = 0; i < n; i++) gsl_integration_glfixed_point(-1.0, 1.0, i, &x[i], &w[i], t);
    gsl_integration_glfixed_table_free(t);
    return GSL_SUCCESS;
}

int ddpm_hermite_normal(size_t n, double *x, double *w)
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
        ddpm_hermite_normal(GH_HI, q->ghx, q->ghw) || ddpm_hermite_normal(GH_LO, q->glx, q->glw)) {
        free(q);
        return NULL;
    }
    for (int i = 0; i < GH_LO; i++) {
        double ax = fabs(q->glx[i]);
        q->glwe[i] = q->glw[i] * ax * (3 * ax + 21);
    }
    return q;
}

void ddpm_quad_free(ddpm_quad *q) { free(q); }

/* Parameters of one evaluation. */
typedef struct {
    double k, theta, w, pi;
    double em;          /* expm1(θ* − w) */
    double eD, eDm;     /* e^{θ*−w}, e^{w−θ*} */
    double eta0;        /* the node-independent part of η_i (units of DBL_EPSILON) */
} qparams;

/* Accumulate the six integrands from ρ*, 1−ρ*, ρ_w, 1−ρ_w with weight pw;
 * with mag, also E[r_w²], which bounds the magnitudes behind the two signed
 * ones (dr, h) by Cauchy–Schwarz. */
static inline void accumulate(const qparams *P, double rs, double qs, double rw, double qw,
                              double pw, double *acc, double *mag)
{
    double r = rs * qs, r2 = r * r, rww = rw * qw;
    double d = -rw * qs * P->em;        /* ρ_w − ρ* = σ(w+s) − σ(θ+s) without cancellation */
    double h5a = rww * rww, h5b = d * rww * (qw - rw);
    acc[0] += pw * r;
    acc[1] += pw * r2;
    acc[2] += pw * r2 * r;
    acc[3] += pw * d * d;
    acc[4] += pw * d * rww;
    acc[5] += pw * (h5a + h5b);
    if (mag) mag[0] += pw * h5a;       /* E[r_w²], for the signed moments' magnitudes */
}

/* Panel regime: the integrands times the mixture density at any v (two
 * exponentials, a third only between the two transitions). */
static inline void integrand(const qparams *P, double v, double wt, double *acc, double *mag)
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
    accumulate(P, rs, qs, rw, qw, p * wt, acc, mag);
}

/* η over the panel [x0, x1] (a bound on every node's): the arguments
 * (12|s| = 12k|v|), the density e^{−z²/2}(1 + E) (4 + z² + k|z|, z = v ∓ k/2 on
 * either side of the transition v = −θ* / k, as in integrand), and the node v,
 * rounded by an ulp of |v| and seen through the log-derivative ≤ |z| + 3k.
 * Each term is convex in v: its maximum is at an end of its piece. */
static inline double max2(double a, double b) { return a > b ? a : b; }

static double panel_eta(const qparams *P, double t, double x0, double x1)
{
    const double k = P->k, h = 0.5 * k;
    double vmax = max2(fabs(x0), fabs(x1)), zmax = 0.0;
    if (x1 >= t) { double a = x0 > t ? x0 : t; zmax = max2(fabs(a - h), fabs(x1 - h)); }
    if (x0 < t) { double b = x1 < t ? x1 : t; zmax = max2(zmax, max2(fabs(x0 + h), fabs(b + h))); }
    return P->eta0 + 12 * k * vmax + 4 + zmax * (zmax + k) + 2 * (vmax + 1) * (zmax + 3 * k);
}

/* glibc's vector exp (libmvec, within 4 ulp) for the node loop below. */
#pragma omp declare simd notinbranch
extern double exp(double);

/* Smooth regime: E over each component N(±k/2, 1) by Gauss–Hermite.  The
 * node loop is branch-free, with one exponential and one division per node:
 * here |θ* + kv| ≤ 40 + 9 and |w − θ*| ≤ 200, so E = e^{−(θ*+kv)} and
 * Ew = E·e^{θ*−w} stay far from overflow, and σ, 1 − σ come from them without
 * cancellation. */
/* track = 0: the six sums only (the higher rule, the value); track = 1: also
 * the rounding sums (the lower rule: they are needed to a few per cent, and
 * where the two rules differ by more, |hi − lo| dominates the estimate).
 * Always inlined with a constant track, so the value loop stays as lean as
 * it was. */
static inline __attribute__((always_inline))
void gh_sum(const qparams *P, const double *x, const double *wt, const double *wte, int n, double c,
            double wj, double *acc, double *rnd, const int track)
{
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0;
    double e0 = 0, e1 = 0, e2 = 0, e3 = 0, g0 = 0, g1 = 0;
    const double th = P->theta, k = P->k, eD = P->eD, em = P->em;
    #pragma omp simd reduction(+:a0, a1, a2, a3, a4, a5, e0, e1, e2, e3, g0, g1)
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
        if (track) {
            /* the node-dependent part of η_i, weighted: pe = wj·w_i·|x_i|(3|x_i| + 21) */
            double pe = wj * wte[i], rw2 = rww * rww;
            e0 += pe * r; e1 += pe * r2; e2 += pe * r2 * r; e3 += pe * d * d;
            g0 += pw * rw2; g1 += pe * rw2;
        }
    }
    acc[0] += a0; acc[1] += a1; acc[2] += a2; acc[3] += a3; acc[4] += a4; acc[5] += a5;
    if (track) {
        /* η_i ≤ A + |x_i|(3|x_i| + 21): A = eta0 + 12k|c| (12|s_i| ≤ 12k(|c| + |x_i|),
         * the rule's 3x_i² + 18k|x_i|, and 30k ≤ 21 for k ≤ GH_KMAX) */
        double A = P->eta0 + 12 * k * fabs(c);
        rnd[0] += A * a0 + e0; rnd[1] += A * a1 + e1; rnd[2] += A * a2 + e2; rnd[3] += A * a3 + e3;
        rnd[NRND] += g0; rnd[NRND + 1] += A * g0 + g1;
    }
}

static void hermite(const ddpm_quad *q, const qparams *P, double *val, double *err, double *rnd)
{
    double hi[NMOM] = {0}, lo[NMOM] = {0};   /* rnd: NRND + 2 */
    for (int j = 0; j < 2; j++) {
        double c = j == 0 ? 0.5 * P->k : -0.5 * P->k, wj = j == 0 ? P->pi : 1.0 - P->pi;
        gh_sum(P, q->ghx, q->ghw, NULL, GH_HI, c, wj, hi, NULL, 0);
        gh_sum(P, q->glx, q->glw, q->glwe, GH_LO, c, wj, lo, rnd, 1);
    }
    for (int m = 0; m < NMOM; m++) { val[m] = hi[m]; err[m] = fabs(hi[m] - lo[m]); }
    /* The magnitudes behind the signed moments: Σ|d|·r_w, and Σ r_w² + Σ|d|·r_w
     * for h, with Σ|d|·r_w (η-weighted or not) ≤ √(Σ d² · Σ r_w²) by
     * Cauchy–Schwarz, tight near the minimum where d ∝ r_w. */
    double s4 = sqrt(lo[3] * rnd[NRND]), e4 = sqrt(rnd[3] * rnd[NRND + 1]);
    rnd[4] = e4;
    rnd[5] = rnd[NRND + 1] + e4;
    rnd[6] = s4;
    rnd[7] = rnd[NRND] + s4;
}

/* Integrate over [x0, x1] with both rules; add to val and |hi − lo| to err,
 * and the rounding sums (on the lower rule, as in gh_sum) to rnd. */
static void panel(const ddpm_quad *q, const qparams *P, double t, double x0, double x1, double *val,
                  double *err, double *rnd)
{
    double c = 0.5 * (x0 + x1), h = 0.5 * (x1 - x0);
    double hi[NMOM] = {0}, lo[NMOM] = {0}, rw2 = 0;
    for (int i = 0; i < NHI; i++) integrand(P, c + h * q->xhi[i], h * q->whi[i], hi, NULL);
    for (int i = 0; i < NLO; i++) integrand(P, c + h * q->xlo[i], h * q->wlo[i], lo, &rw2);
    for (int m = 0; m < NMOM; m++) { val[m] += hi[m]; err[m] += fabs(hi[m] - lo[m]); }
    double eta = panel_eta(P, t, x0, x1), s4 = sqrt(lo[3] * rw2);   /* Σ|d|r_w ≤ √(Σd² Σr_w²) */
    for (int m = 0; m < 4; m++) rnd[m] += eta * lo[m];
    rnd[4] += eta * s4; rnd[5] += eta * (rw2 + s4); rnd[6] += s4; rnd[7] += rw2 + s4;
}

/* The moments at (k, θ*, w).  pi > 0: the caller's exact π (θ* = its rounded
 * logit), which lets expm1(θ* − w) be formed from π and e^{∓w} without the
 * rounding of θ* when w is near θ*.  pi ≤ 0: θ* is taken as given, rounded
 * by at most (1 + |θ*|) ulps (as spl_logit does). */
static int moments(ddpm_quad *q, double k, double theta, double pi, double w, ddpm_moments *mo)
{
    if (!q || !mo) return GSL_EINVAL;
    if (!(k >= 0) || !isfinite(k) || !isfinite(theta) || !isfinite(w)) return GSL_EDOM;
    const double eps = DBL_EPSILON, x = theta - w;
    /* em = expm1(θ* − w) and a bound Dem on its absolute error. */
    double em, Dem;
    if (pi > 0 && fabs(x) <= 1 && fabs(w) <= 700) {
        /* e^{θ*} = π/(1−π): em = (π e^{−w} − (1−π))/(1−π), or (π − (1−π)e^{w})/((1−π)e^{w});
         * one fma, an exp within an ulp: |δem| ≤ eps(|1 + em| + 1 + 3|em|). */
        double q1 = 1.0 - pi;
        if (w >= 0) em = fma(pi, exp(-w), -q1) / q1;
        else { double E = exp(w); em = fma(-q1, E, pi) / (q1 * E); }
        Dem = eps * (fabs(1.0 + em) + 1 + 3 * fabs(em));
    } else {
        em = expm1(x);
        /* θ* rounded by (1 + |θ*|) ulps, the difference by half an ulp of |x| */
        Dem = eps * fabs(em) + eps * (1 + fabs(theta) + 0.5 * fabs(x)) * exp(x);
    }
    qparams P = { k, theta, w, pi > 0 ? pi : spl_sigmoid(theta), em, exp(x), exp(-x), 0.0 };
    /* η_i = 6 factors × (argument error 2 + 2|θ*| + 2|s| + |θ*−w|, and 5 ulps of
     * arithmetic and exp) + the weights π·w_i (2) + the rule (4 + 6k + …) */
    P.eta0 = 48 + 6 * k + 12 * fabs(theta) + 6 * fabs(x);
    double val[NMOM] = {0}, err[NMOM] = {0}, rnd[NRND + 2] = {0};
    double depth, tail = 0.0;   /* summation depth; relative tail cut */
    if (k <= GH_KMAX && fabs(theta) <= 40 && fabs(w - theta) <= 200) {
        hermite(q, &P, val, err, rnd);
        depth = GH_HI + 2;
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
    double v = lo, tstar = k > 0 ? tr[1] : (theta >= 0 ? -HUGE_VAL : HUGE_VAL);   /* ρ* = 1/2 */
    size_t npanel = 0;
    while (v < hi) {
        double h = DDPM_PANEL;
        if (fine < DDPM_PANEL)
            for (int t = 0; t < 2; t++) {
                double dist = fabs(v - tr[t]);
                /* distance from the nearest point of the panel to come */
                if (tr[t] > v) dist = fmax(0.0, tr[t] - v - fine);
                h = fmin(h, fmax(fine, DDPM_GRADE * dist));
            }
        double v1 = fmin(v + h, hi);
        if (hi - v1 < 0.25 * h) v1 = hi;   /* no sliver at the end */
        panel(q, &P, tstar, v, v1, val, err, rnd);
        npanel++;
        v = v1;
    }
    depth = NHI + (double)npanel;
    tail = 1.5 * TAIL_MASS * sqrt(1 + 0.75 * k * k);
done:;
    ddpm_val *out[NMOM] = { &mo->r, &mo->r2, &mo->r3, &mo->dsq, &mo->dr, &mo->h };
    /* Σ|term| behind each sum: the value itself where every term is ≥ 0 */
    double mag[NMOM] = { val[0], val[1], val[2], val[3], rnd[6], rnd[7] };
    for (int m = 0; m < NMOM; m++)
        out[m]->val = val[m], out[m]->err = err[m] + eps * rnd[m] + (0.5 * eps * depth + tail) * mag[m];
    /* The error of em enters ρ_w − ρ* = −ρ_w(1−ρ*)·em once (twice in dsq).
     * Relative to |em| when |θ* − w| is not tiny; else (em → 0, the cancellation
     * at the minimum) per node |δ(ρ_w − ρ*)| ≤ e^{|x|} ρ*(1−ρ*)·Dem and
     * ρ_w(1−ρ_w) ≤ e^{|x|} ρ*(1−ρ*), against E[(ρ*(1−ρ*))²]. */
    if (fabs(x) >= 1e-3) {
        double rel = Dem / fabs(em);
        mo->dsq.err += 2.01 * rel * mag[3];
        mo->dr.err += 1.01 * rel * mag[4];
        mo->h.err += 1.01 * rel * mag[5];
    } else {
        double r2 = 1.01 * (val[1] + mo->r2.err);
        mo->dsq.err += Dem * (2.05 * fabs(em) + 1.03 * Dem) * r2;
        mo->dr.err += 1.03 * Dem * r2;
        mo->h.err += 1.03 * Dem * r2;
    }
    return GSL_SUCCESS;
}

int ddpm_moments_eval(ddpm_quad *q, double k, double theta, double w, ddpm_moments *mo)
{
    return moments(q, k, theta, 0.0, w, mo);
}

static int check_level(const ddpm_quad *q, const gmm2 *g, double a, double b, double w,
                       const ddpm_loss_result *res)
{
    if (!q || !g || !res) return GSL_EINVAL;
    if (!(a > 0 && a < 1) || !(b > 0 && b < 1) || !isfinite(w)) return GSL_EDOM;
    if (fabs(a * a + b * b - 1.0) > 1e-9) return GSL_EDOM;
    return GSL_SUCCESS;
}

/* Loss pieces at one level from the moments.  Every formula is a product of
 * positive factors with one moment (or the sum of two positive ones), so its
 * rounding is a few ulps of the result: 4·eps·|value| covers the ≤ 7
 * multiplications and additions. */
static void assemble(const gmm2 *g, double a, double b, const ddpm_moments *m, ddpm_loss_result *res)
{
    const double eps = DBL_EPSILON;
    double D = g->sep, c2 = a * a * b * b * D * D;
    double d = (double)g->d;
    double inner = m->r.val + m->dsq.val;
    res->loss.val = a * a * (d + b * b * D * D * inner);
    res->loss.err = c2 * (m->r.err + m->dsq.err) + 4 * eps * res->loss.val;
    res->excess.val = c2 * m->dsq.val;
    res->excess.err = c2 * m->dsq.err + 4 * eps * fabs(res->excess.val);
    res->grad.val = 2 * c2 * m->dr.val;
    res->grad.err = 2 * c2 * m->dr.err + 4 * eps * fabs(res->grad.val);
    res->hess.val = 2 * c2 * m->h.val;
    res->hess.err = 2 * c2 * m->h.err + 4 * eps * fabs(res->hess.val);
}

int ddpm_loss_level(ddpm_quad *q, const gmm2 *g, double a, double b, double w, ddpm_loss_result *res)
{
    int st = check_level(q, g, a, b, w, res);
    if (st) return st;
    ddpm_moments m;
    st = moments(q, a * g->sep, spl_logit(g->pi), g->pi, w, &m);
    if (st) return st;
    assemble(g, a, b, &m, res);
    return GSL_SUCCESS;
}

int ddpm_loss_sched_level(ddpm_quad *q, const gmm2 *g, double theta, const ddpm_schedule *s, size_t i,
                          double w, ddpm_loss_result *res)
{
    ddpm_moments m;
    int st = moments(q, s->a[i] * g->sep, theta, g->pi, w, &m);
    if (!st) assemble(g, s->a[i], s->b[i], &m, res);
    return st;
}

/* One quantity of the time average: compensated sum of the level values
 * (rounding ≤ an ulp of the sum, not T ulps), the level errors summed. */
static ddpm_val average(const ddpm_val *lv, size_t stride, size_t T)
{
    spl_ksum k = SPL_KSUM_INIT;
    double err = 0.0;
    for (size_t i = 0; i < T; i++) {
        const ddpm_val *v = (const ddpm_val *)((const char *)lv + i * stride);
        spl_ksum_add(&k, v->val);
        err += v->err;
    }
    double invT = 1.0 / (double)T, val = spl_ksum_val(&k) * invT;
    /* (1 + 2 eps) for the rounding of err's own sum and of 1/T */
    return (ddpm_val){ val, (err + spl_ksum_err(&k)) * invT * (1 + 2 * DBL_EPSILON) + DBL_EPSILON * fabs(val) };
}

int ddpm_loss_avg_full(ddpm_quad *q, const gmm2 *g, const ddpm_schedule *s, double w, ddpm_loss_result *res)
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
    for (size_t i = 0; i < T; i++) lst[i] = ddpm_loss_sched_level(q, g, theta, s, i, w, &lv[i]);
    int status = GSL_SUCCESS;
    for (size_t i = 0; i < T && !status; i++) status = lst[i];
    free(lst);
    if (status) { free(lv); return status; }
    res->loss = average(&lv[0].loss, sizeof *lv, T);
    res->excess = average(&lv[0].excess, sizeof *lv, T);
    res->grad = average(&lv[0].grad, sizeof *lv, T);
    res->hess = average(&lv[0].hess, sizeof *lv, T);
    free(lv);
    return GSL_SUCCESS;
}

int ddpm_loss_to_p(double w, const ddpm_loss_result *in, ddpm_loss_result *out)
{
    if (!in || !out) return GSL_EINVAL;
    if (!isfinite(w)) return GSL_EDOM;
    const double eps = DBL_EPSILON;
    double e = exp(-fabs(w)), pq = e / ((1 + e) * (1 + e));       /* p(1−p): 3 eps */
    double t = copysign(-expm1(-fabs(w)) / (1 + e), w);           /* 2p − 1: 2 eps */
    ddpm_val g = in->grad, h = in->hess;
    out->loss = in->loss;
    out->excess = in->excess;
    out->grad.val = g.val / pq;
    out->grad.err = g.err / pq * (1 + 4 * eps) + 4 * eps * fabs(out->grad.val);
    double gt = g.val * t, ipq2 = 1.0 / (pq * pq);
    out->hess.val = (h.val + gt) * ipq2;
    out->hess.err = (h.err + g.err * fabs(t) + eps * (fabs(h.val) + 3 * fabs(gt))) * ipq2 * (1 + 8 * eps)
                    + 7 * eps * fabs(out->hess.val);
    return GSL_SUCCESS;
}

int ddpm_loss_avg(ddpm_quad *q, const gmm2 *g, const ddpm_schedule *s, double w, ddpm_loss_result *res)
{
    if (!q || !s || !g || !res) return GSL_EINVAL;
    if (!isfinite(w)) return GSL_EDOM;
    return s->plan ? ddpm_wplan_loss(q, s->plan, g, w, res) : ddpm_loss_avg_full(q, g, s, w, res);
}
