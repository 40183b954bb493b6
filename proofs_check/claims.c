/* proofs_check/claims.c — the experiments behind THEORY.md §7, C1–C9. */
#include "proofs_check/claims.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_roots.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include "common/spl.h"
#include "proofs_check/rates.h"

void pc_opts_default(pc_opts *o)
{
    if (!o) return;
    o->quick = 0;
    o->seed = 1;
    o->loss = NULL;
    o->threshold = NAN;
    o->kloss = NULL;
    o->mutant = 0;
}

int pc_loss_shifted(ddpm_quad *q, const gmm2 *g, double a, double b, double w, ddpm_loss_result *r)
{
    return ddpm_loss_level(q, g, a, b, w - PC_SHIFT, r);
}

int pc_loss_bad_hess(ddpm_quad *q, const gmm2 *g, double a, double b, double w, ddpm_loss_result *r)
{
    if (!r) return GSL_EINVAL;
    int st = ddpm_loss_level(q, g, a, b, w, r);
    r->hess.val *= PC_HESS_FACTOR;
    return st;
}

static pc_loss_fn loss_of(const pc_opts *o) { return o->loss ? o->loss : ddpm_loss_level; }
static double thr(const pc_opts *o, double own) { return isnan(o->threshold) ? own : o->threshold; }
/* The two-sided normal threshold of a max-|z| test over m comparisons at
 * family-wise rate alpha (Šidák); alpha and m are constants of the claim. */
static double sidak(double alpha, size_t m)
{
    double z = INFINITY;
    pc_rate_sidak_z(alpha, m, &z);
    return z;
}
/* A size by mode: full, --quick, or the tiny grids of the unit tests (quick = 2). */
static size_t pick(const pc_opts *o, size_t full, size_t quick, size_t tiny)
{
    return o->quick >= 2 ? tiny : o->quick ? quick : full;
}

/* Shared objects for one claim's run. */
typedef struct { ddpm_quad *q; gmm2 *g; } env;
static int env_open(env *e, size_t d)
{
    e->q = ddpm_quad_alloc();
    e->g = gmm2_alloc(d, NULL);
    if (!e->q || !e->g) { ddpm_quad_free(e->q); gmm2_free(e->g); return GSL_ENOMEM; }
    return GSL_SUCCESS;
}
static void env_close(env *e) { ddpm_quad_free(e->q); gmm2_free(e->g); }

/* ℓ''(θ*) from the analytic loss. */
static int curvature(const pc_opts *o, env *e, double a, double *h)
{
    ddpm_loss_result r;
    int st = loss_of(o)(e->q, e->g, a, ddpm_b_of_a(a), spl_logit(e->g->pi), &r);
    *h = r.hess.val;
    return st;
}

/* ---- C1 identifiability ----------------------------------------------------
 * excess(w) > 0 for w ≠ θ* and excess(θ*) = 0, on a grid over the noise level a,
 * the separation Δ, the shift c, the weight π and offsets w − θ* from 1e-3 to 20.
 * measured: the smallest excess(w)/err(w) over w ≠ θ* — the excess must be
 * positive by more than its own quadrature error estimate (threshold 1), so that
 * "positive" is certified, not round-off; and |excess(θ*)| must not exceed its
 * error estimate. */
static const double C1_A[] = { 1e-3, 0.1, 0.5, 0.9, 0.999 };
static const double C1_D[] = { 0.1, 1, 4, 12 };
static const double C1_C[] = { -3, 0, 2 };
static const double C1_P[] = { 0.01, 0.3, 0.5, 0.9 };
static const double C1_W[] = { -20, -5, -1, -0.1, -1e-3, 1e-3, 0.1, 1, 5, 20 };
#define LEN(x) (sizeof(x) / sizeof(x[0]))

int pc_c1_identifiability(const pc_opts *o, pc_result *r)
{
    if (!o || !r) return GSL_EINVAL;
    double t0 = omp_get_wtime();
    env e;
    if (env_open(&e, 3)) return GSL_ENOMEM;
    double worst = INFINITY, at_opt = 0;
    size_t points = 0, na = o->quick ? 3 : LEN(C1_A);
    int status = GSL_SUCCESS;
    for (size_t ia = 0; ia < LEN(C1_A); ia++) {
        if (o->quick && ia % 2) continue;           /* quick: a ∈ {1e-3, 0.5, 0.999} */
        double a = C1_A[ia], b = ddpm_b_of_a(a);
        for (size_t id = 0; id < LEN(C1_D); id++)
            for (size_t ic = 0; ic < LEN(C1_C); ic++)
                for (size_t ip = 0; ip < LEN(C1_P); ip++) {
                    if ((status = gmm2_set(e.g, C1_P[ip], C1_D[id], C1_C[ic]))) goto out;
                    double th = spl_logit(C1_P[ip]);
                    ddpm_loss_result res;
                    if ((status = loss_of(o)(e.q, e.g, a, b, th, &res))) goto out;
                    at_opt = fmax(at_opt, fabs(res.excess.val) / fmax(res.excess.err, 1e-300));
                    for (size_t iw = 0; iw < LEN(C1_W); iw++) {
                        if ((status = loss_of(o)(e.q, e.g, a, b, th + C1_W[iw], &res))) goto out;
                        worst = fmin(worst, res.excess.val / res.excess.err);
                        points++;
                    }
                }
    }
out:
    env_close(&e);
    if (status) return status;
    r->id = "C1";
    r->measured = worst;
    r->threshold = thr(o, 1.0);
    r->pass = worst > r->threshold && at_opt <= 1.0;
    r->sense = -1;
    snprintf(r->claim, sizeof r->claim,
             "excess(w) > its quadrature error for w != theta* and |excess(theta*)| <= error; "
             "%zu points: a in %zu levels, Delta 0.1..12, c -3..2, pi 0.01..0.9, |w-theta*| 1e-3..20; "
             "measured = min excess/err (at theta*: max |excess|/err = %.2g)", points, na, at_opt);
    r->seconds = omp_get_wtime() - t0;
    return GSL_SUCCESS;
}

/* ---- C2 benign landscape -------------------------------------------------
 * (w − θ*)·ℓ'(w) > 0 on the C1 grid (per noise level), for the time average L
 * over linear and cosine schedules, and for dℓ/dp in p-coordinates.  A point
 * counts only if |ℓ'| also exceeds its quadrature error (a certified sign).
 * measured: the fraction of points with the right certified sign; threshold 1
 * (every point: a single spurious stationary point would be a counterexample). */
int pc_c2_landscape(const pc_opts *o, pc_result *r)
{
    if (!o || !r) return GSL_EINVAL;
    double t0 = omp_get_wtime();
    env e;
    if (env_open(&e, 1)) return GSL_ENOMEM;
    size_t good = 0, total = 0, T = o->quick ? 100 : 1000;
    int status = GSL_SUCCESS;
    ddpm_schedule *sch[2] = { ddpm_schedule_alloc(DDPM_LINEAR, T, NULL), ddpm_schedule_alloc(DDPM_COSINE, T, NULL) };
    if (!sch[0] || !sch[1]) { status = GSL_ENOMEM; goto out; }
    for (size_t ia = 0; ia < LEN(C1_A); ia++) {
        if (o->quick && ia % 2) continue;
        double a = C1_A[ia], b = ddpm_b_of_a(a);
        for (size_t id = 0; id < LEN(C1_D); id++)
            for (size_t ip = 0; ip < LEN(C1_P); ip++) {
                if ((status = gmm2_set(e.g, C1_P[ip], C1_D[id], 0.0))) goto out;
                double th = spl_logit(C1_P[ip]);
                for (size_t iw = 0; iw < LEN(C1_W); iw++) {
                    double w = th + C1_W[iw], p = spl_sigmoid(w);
                    ddpm_loss_result res, rp;
                    if ((status = loss_of(o)(e.q, e.g, a, b, w, &res))) goto out;
                    if ((status = ddpm_loss_to_p(w, &res, &rp))) goto out;
                    good += (w - th) * res.grad.val > 0 && fabs(res.grad.val) > res.grad.err;
                    good += (p - C1_P[ip]) * rp.grad.val > 0 && fabs(rp.grad.val) > rp.grad.err;
                    total += 2;
                }
            }
    }
    /* The time average over the schedules (the library's loss: L is a sum of
     * per-level losses, so a wrong per-level loss shows up above). */
    for (int k = 0; k < 2; k++)
        for (size_t id = 0; id < LEN(C1_D); id++)
            for (size_t ip = 0; ip < LEN(C1_P); ip++) {
                if ((status = gmm2_set(e.g, C1_P[ip], C1_D[id], 0.0))) goto out;
                double th = spl_logit(C1_P[ip]);
                for (size_t iw = 0; iw < LEN(C1_W); iw += o->quick ? 3 : 1) {
                    ddpm_loss_result res;
                    double w = th + C1_W[iw];
                    if ((status = ddpm_loss_avg(e.q, e.g, sch[k], w, &res))) goto out;
                    good += (w - th) * res.grad.val > 0 && fabs(res.grad.val) > res.grad.err;
                    total++;
                }
            }
out:
    ddpm_schedule_free(sch[0]);
    ddpm_schedule_free(sch[1]);
    env_close(&e);
    if (status) return status;
    r->id = "C2";
    r->measured = (double)good / (double)total;
    r->threshold = thr(o, 1.0);
    r->pass = r->measured >= r->threshold;
    r->sense = -1;
    snprintf(r->claim, sizeof r->claim,
             "sign of dl/dw = sign(w-theta*) and of dl/dp = sign(p-pi), certified beyond quadrature error; "
             "%zu checks: per level (C1 grid), in p-coordinates, and time-averaged L (linear and cosine, T=%zu); "
             "measured = fraction right", total, T);
    r->seconds = omp_get_wtime() - t0;
    return GSL_SUCCESS;
}

/* ---- C3 gradient descent converges, at the predicted local rate ------------
 * GD on the logit with η = 0.5/ℓ''(θ*) and η = 1.5/ℓ''(θ*) (predicted local
 * contraction |1 − ηℓ''| = 0.5, monotone and oscillating) from starts p0 ∈
 * {0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99}, three mixtures/levels.  Every run must
 * reach |w − θ*| < 1e-9; the local rate is measured as e_{k+1}/e_k at the first
 * iterate with |e_k| < 1e-4 (the nonlinear correction there is O(1e-4), far
 * below the 1% threshold of THEORY.md §7).  measured: the worst relative
 * deviation of the measured rate from |1 − ηℓ''(θ*)|. */
typedef struct { double a, sep, pi; } cfg;
static const cfg C3_CFG[] = { { 0.7, 2.0, 0.3 }, { 0.5, 4.0, 0.8 }, { 0.9, 1.0, 0.5 } };
static const double C3_P0[] = { 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99 };

typedef struct { const pc_opts *o; env *e; double a; } c3_ctx;
static int c3_obj(void *ctx, double w, double *f, double *df)
{
    c3_ctx *c = ctx;
    ddpm_loss_result r;
    int st = loss_of(c->o)(c->e->q, c->e->g, c->a, ddpm_b_of_a(c->a), w, &r);
    *f = r.loss.val;
    *df = r.grad.val;
    return st;
}

int pc_c3_gd_rate(const pc_opts *o, pc_result *r)
{
    if (!o || !r) return GSL_EINVAL;
    double t0 = omp_get_wtime();
    env e;
    if (env_open(&e, 1)) return GSL_ENOMEM;
    ddpm_gd *gd = ddpm_gd_alloc();
    if (!gd) { env_close(&e); return GSL_ENOMEM; }
    double worst = 0;
    size_t runs = 0, converged = 0, maxsteps = 20000;
    int status = GSL_SUCCESS;
    for (size_t ic = 0; ic < LEN(C3_CFG); ic++) {
        const cfg *c = &C3_CFG[ic];
        if ((status = gmm2_set(e.g, c->pi, c->sep, 0.0))) goto out;
        double th = spl_logit(c->pi), h;
        if ((status = curvature(o, &e, c->a, &h))) goto out;
        for (int k = 0; k < 2; k++) {
            double eta = (k == 0 ? 0.5 : 1.5) / h, pred = fabs(1 - eta * h);
            for (size_t ip = 0; ip < LEN(C3_P0); ip++) {
                if (o->quick && ip % 2) continue;
                c3_ctx ctx = { o, &e, c->a };
                if ((status = ddpm_gd_set(gd, c3_obj, &ctx, DDPM_PARAM_LOGIT, C3_P0[ip], eta, 0))) goto out;
                double rate = NAN;
                runs++;
                for (size_t s = 0; s < maxsteps; s++) {
                    double e0 = gd->w - th;
                    if ((status = ddpm_gd_iterate(gd))) goto out;
                    double e1 = gd->w - th;
                    if (isnan(rate) && fabs(e0) < 1e-4 && fabs(e0) > 1e-12) rate = fabs(e1 / e0);
                    if (fabs(e1) < 1e-9) { converged++; break; }
                }
                if (!isnan(rate)) worst = fmax(worst, fabs(rate / pred - 1));
                else if (fabs(spl_logit(C3_P0[ip]) - th) > 1e-4) worst = INFINITY;  /* never measured */
            }
        }
    }
out:
    ddpm_gd_free(gd);
    env_close(&e);
    if (status) return status;
    r->id = "C3";
    r->measured = worst;
    r->threshold = thr(o, 0.01);
    r->pass = converged == runs && worst <= r->threshold;
    r->sense = 1;
    snprintf(r->claim, sizeof r->claim,
             "GD on the logit converges to theta* from p0 in 0.01..0.99 (%zu/%zu runs, 3 mixtures, "
             "eta = 0.5 and 1.5 over l''(theta*)); measured = worst |rate/|1-eta l''| - 1|", converged, runs);
    r->seconds = omp_get_wtime() - t0;
    return GSL_SUCCESS;
}

/* ---- C4 analytic = Monte Carlo -------------------------------------------
 * loss, excess, grad and hess from the quadrature against both Monte Carlo
 * estimators (explicit d-dimensional draws; projected draws with the
 * chi-square term drawn), d ∈ {1, 10, 1000}, three (a, Δ, π, c, w) settings:
 * 72 comparisons in every mode (n = 200000 draws full, 20000 quick).
 * z = (MC − analytic)/√(SE² + err²), SE the Monte Carlo standard error, err
 * the quadrature error estimate.  measured: max |z|.
 * Null model: the quadrature is right, so each z is (CLT, n ≥ 5000) a
 * standard normal; the 72 are jointly normal (the four figures of one run
 * share draws).  Threshold: Šidák over 72 at 1%, Q⁻¹((1 − 0.99^(1/72))/2)
 * = 3.81: P(FAIL | null) ≤ 1% (Šidák's inequality holds for any
 * correlation).  Wrong model (--mutant): the shifted loss (minimum at θ* + 0.3). */
typedef struct { double a, sep, pi, shift, w; } c4cfg;
static const c4cfg C4_CFG[] = { { 0.7, 2.0, 0.3, 0.0, 0.5 }, { 0.4, 4.0, 0.8, 1.0, -1.0 }, { 0.95, 1.0, 0.5, 0.0, 2.0 } };
static const size_t C4_D[] = { 1, 10, 1000 };

int pc_c4_mc_agreement(const pc_opts *o, pc_result *r)
{
    if (!o || !r) return GSL_EINVAL;
    double t0 = omp_get_wtime();
    double worst = 0;
    size_t n = pick(o, 200000, 20000, 5000), comps = 0;
    pc_loss_fn loss = o->mutant ? pc_loss_shifted : loss_of(o);
    int status = GSL_SUCCESS;
    for (size_t id = 0; id < LEN(C4_D); id++) {
        env e;
        if (env_open(&e, C4_D[id])) return GSL_ENOMEM;
        for (size_t ic = 0; ic < LEN(C4_CFG); ic++) {
            const c4cfg *c = &C4_CFG[ic];
            if ((status = gmm2_set(e.g, c->pi, c->sep, c->shift))) { env_close(&e); return status; }
            double b = ddpm_b_of_a(c->a);
            ddpm_loss_result an, mc;
            if ((status = loss(e.q, e.g, c->a, b, c->w, &an))) { env_close(&e); return status; }
            for (int m = 0; m < 2; m++) {
                ddpm_mc_opts mo = { m == 0 ? DDPM_MC_EXPLICIT : DDPM_MC_PROJECTED, n,
                                    spl_stream_seed(o->seed, 0xC4, id * 16 + ic * 2 + m), 1 };
                if ((status = ddpm_mc_level(e.g, c->a, b, c->w, &mo, &mc))) { env_close(&e); return status; }
                const ddpm_val *A[4] = { &an.loss, &an.excess, &an.grad, &an.hess };
                const ddpm_val *M[4] = { &mc.loss, &mc.excess, &mc.grad, &mc.hess };
                for (int k = 0; k < 4; k++) {
                    double z = fabs(M[k]->val - A[k]->val) / hypot(M[k]->err, A[k]->err);
                    worst = fmax(worst, isfinite(z) ? z : INFINITY);
                    comps++;
                }
            }
        }
        env_close(&e);
    }
    r->id = "C4";
    r->measured = worst;
    r->threshold = thr(o, sidak(PC_ALPHA, LEN(C4_D) * LEN(C4_CFG) * 2 * 4));
    r->pass = worst <= r->threshold && comps == LEN(C4_D) * LEN(C4_CFG) * 2 * 4;
    r->sense = 1;
    snprintf(r->claim, sizeof r->claim,
             "quadrature loss/excess/grad/hess vs Monte Carlo (explicit and projected, n=%zu), "
             "d in {1,10,1000}, 3 settings, %zu comparisons; measured = max |MC-analytic|/SE; "
             "threshold: Sidak over %zu at false-alarm rate 1%%", n, comps, comps);
    r->seconds = omp_get_wtime() - t0;
    return GSL_SUCCESS;
}

/* ---- C5 dimension-free -------------------------------------------------------
 * R replicates of ŵ_n from explicit d-dimensional draws (n per replicate) for
 * d ∈ {1, 10, 100, 1000, 10000} at a = 0.7, Δ = 2, π = 0.3 (R = 400, n = 1000
 * full; R = 100, n = 300 quick).  The law of √n(p̂ − π) must be the same for
 * every d: pairwise two-sample KS tests (10 pairs), and each d's sample
 * variance (about its own mean) against the sandwich's, a two-sided
 * Satterthwaite χ² (pc_rate_var_chisq, R − 1 degrees of freedom for normal
 * p̂) with the kurtosis pooled over the d's (the laws are equal) and at
 * least 3, through pc_rate_var_family.  measured: the smallest KS p-value.
 * Null model: the laws are equal (they are exactly: ŵ depends on the draws
 * only through their projections) and the variance is the sandwich's up to
 * its sampling error (the finite-n correction: −2% at n = 1000, −4% at
 * n = 300, measured on 8000 replicates, against a relative SE of 7% / 14%).
 * Rate: 1% split in two halves: KS p > 0.005/10 (Bonferroni, any
 * dependence), the sd family's largest z-equivalent of the χ² p-values
 * (pc_rate_z_of_p) below Šidák at 0.5% over the d's: P(FAIL | null) ≤ 1%.
 * Until 2026-11-29 the sd part was a normal z on the sd with the SE from
 * the sample's own kurtosis (pc_rate_var_about): by simulation (40000 checks
 * of resampled replicates, tests/studies/var_rates.c) 0.63% full and 1.07%
 * quick at the 0.5% share; the χ² family measures 0.44% and 0.38%
 * (docs/claims.md, "The variance tests after C13").
 * Wrong model (--mutant): the sandwich sd from a Hessian 20% too large
 * (n·Var = A/B², B → 1.2 B). */
static int replicate_fits(const gmm2 *g, const ddpm_schedule *s, double a, size_t n, size_t R,
                          ddpm_mc_mode mode, uint64_t seed, uint64_t tag, double w_shift, double *phat)
{
    /* each replicate keeps its own status; the first failing one in replicate
     * order is returned (a fit that does not converge counts as a failure) */
    int *rst = calloc(R, sizeof *rst);
    if (!rst) return GSL_ENOMEM;
    #pragma omp parallel for schedule(dynamic)
    for (size_t rep = 0; rep < R; rep++) {
        ddpm_sample *S = ddpm_sample_draw(g, s, a, ddpm_b_of_a(a), n, mode, spl_stream_seed(seed, tag, rep), &rst[rep]);
        if (!S) continue;
        ddpm_fit_result fr;
        rst[rep] = ddpm_fit_ddpm(S, DDPM_FIT_W0, DDPM_FIT_TOL, DDPM_FIT_MAXITER, &fr);
        phat[rep] = w_shift == 0 ? fr.p_hat : spl_sigmoid(fr.w_hat + w_shift);
        ddpm_sample_free(S);
    }
    int status = GSL_SUCCESS;
    for (size_t rep = 0; rep < R && !status; rep++) status = rst[rep];
    free(rst);
    return status;
}

int pc_c5_dimension_free(const pc_opts *o, pc_result *r)
{
    if (!o || !r) return GSL_EINVAL;
    double t0 = omp_get_wtime();
    const size_t D[] = { 1, 10, 100, 1000, 10000 }, nd = pick(o, 5, 5, 4);
    const double a = 0.7, sep = 2.0, pi = 0.3;
    size_t R = pick(o, 400, 100, 50), n = pick(o, 1000, 300, 200);
    double *z = malloc(nd * R * sizeof(double));
    ddpm_quad *q = ddpm_quad_alloc();
    if (!z || !q) { free(z); ddpm_quad_free(q); return GSL_ENOMEM; }
    int status = GSL_SUCCESS;
    double sd_pred = 0, worst_sd = 0;
    for (size_t k = 0; k < nd; k++) {
        gmm2 *g = gmm2_alloc(D[k], NULL);
        if (!g) { status = GSL_ENOMEM; break; }
        if ((status = gmm2_set(g, pi, sep, 0.0))) { gmm2_free(g); break; }
        if (k == 0) {
            ddpm_sandwich sw;
            if ((status = ddpm_sandwich_level(q, g, a, ddpm_b_of_a(a), &sw))) { gmm2_free(g); break; }
            sd_pred = sqrt(sw.nvar_p) / (o->mutant ? PC_HESS_FACTOR : 1.0);
        }
        status = replicate_fits(g, NULL, a, n, R, DDPM_MC_EXPLICIT, o->seed, 0xC5000 + k, 0.0, z + k * R);
        gmm2_free(g);
        if (status) break;
        for (size_t i = 0; i < R; i++) z[k * R + i] = sqrt((double)n) * (z[k * R + i] - pi);
    }
    double v[5], ratio[5], worst_ratio = 1;
    size_t iw = 0;
    for (size_t k = 0; k < nd; k++) v[k] = sd_pred * sd_pred;
    if (!status) status = pc_rate_var_family(z, nd, R, NULL, v, 1, &worst_sd, &iw, ratio);
    if (!status) worst_ratio = ratio[iw];
    double minp = 1.0;
    if (!status)
        for (size_t i = 0; i < nd && !status; i++)
            for (size_t j = i + 1; j < nd && !status; j++) {
                double Dks, p;
                status = pc_ks2(z + i * R, R, z + j * R, R, &Dks, &p);
                minp = fmin(minp, p);
            }
    free(z);
    ddpm_quad_free(q);
    if (status) return status;
    double ks_level = 0, z_sd = INFINITY;
    pc_rate_bonferroni(PC_ALPHA / 2, nd * (nd - 1) / 2, &ks_level);
    pc_rate_sidak_z(PC_ALPHA / 2, nd, &z_sd);
    r->id = "C5";
    r->measured = minp;
    r->threshold = thr(o, ks_level);
    r->pass = minp > r->threshold && worst_sd <= z_sd;
    r->sense = -1;
    snprintf(r->claim, sizeof r->claim,
             "law of sqrt(n)(p_hat-pi) identical for d = 1..%zu (x10 steps; explicit d-dim MC, "
             "R=%zu, n=%zu, a=0.7, Delta=2, pi=0.3); measured = min pairwise KS p-value (Bonferroni 0.5%%); "
             "sd vs sandwich %.4f: variance chi2, worst d=%zu sd ratio %.3f, z %.2f (<= %.2f, Sidak 0.5%%); "
             "false-alarm rate 1%%",
             D[nd - 1], R, n, sd_pred, D[iw], sqrt(worst_ratio), worst_sd, z_sd);
    r->seconds = omp_get_wtime() - t0;
    return GSL_SUCCESS;
}

/* ---- C6 rate -------------------------------------------------------------------
 * RMSE of p̂_n over R replicates for n = 10^2 … 10^5 (7 log-spaced values,
 * projected draws, a = 0.9, Δ = 4, π = 0.3: well inside the asymptotic regime
 * already at n = 100; R = 400 full, 100 quick); weighted least-squares slope
 * of log RMSE on log n, each point weighted by its own delta-method SE
 * (pc_rate_log_rms: from the spread of the squared errors), and the slope's
 * SE from those (pc_rate_slope).  measured: |slope + 1/2|.
 * Null model: the true slope of log E[(p̂−π)²]^½ on log n over this range is
 * −1/2 within 0.05 (THEORY.md §7: the pre-asymptotic slack) and the fitted
 * slope is normal about it with its SE.  Threshold: 0.05 + z_{0.995}·SE
 * (pc_rate_tolerance): P(FAIL | null) ≤ 1%.
 * Wrong model (--mutant): the minimiser of the shifted loss, ŵ + 0.3 (a
 * bias that does not vanish with n). */
int pc_c6_rate(const pc_opts *o, pc_result *r)
{
    if (!o || !r) return GSL_EINVAL;
    double t0 = omp_get_wtime();
    const double a = 0.9, sep = 4.0, pi = 0.3, tol = 0.05;
    size_t R = pick(o, 400, 100, 40);
    enum { NN = 7 };
    double logn[NN], logrmse[NN], se[NN];
    double *ph = malloc(R * sizeof(double));
    gmm2 *g = gmm2_alloc(1, NULL);
    if (!ph || !g) { free(ph); gmm2_free(g); return GSL_ENOMEM; }
    int status = gmm2_set(g, pi, sep, 0.0);
    for (int k = 0; k < NN && !status; k++) {
        size_t n = (size_t)llround(pow(10.0, 2.0 + 0.5 * k));
        if ((status = replicate_fits(g, NULL, a, n, R, DDPM_MC_PROJECTED, o->seed, 0xC6000 + k,
                                     o->mutant ? PC_SHIFT : 0.0, ph))) break;
        for (size_t i = 0; i < R; i++) ph[i] -= pi;
        logn[k] = log((double)n);
        if ((status = pc_rate_log_rms(ph, R, &logrmse[k], &se[k]))) break;
    }
    free(ph);
    gmm2_free(g);
    double slope = NAN, slope_se = NAN, t = NAN;
    if (!status) status = pc_rate_slope(logn, logrmse, se, NN, &slope, &slope_se);
    if (!status) status = pc_rate_tolerance(tol, slope_se, PC_ALPHA, &t);
    if (status) return status;
    r->id = "C6";
    r->measured = fabs(slope + 0.5);
    r->threshold = thr(o, t);
    r->pass = r->measured <= r->threshold;
    r->sense = 1;
    snprintf(r->claim, sizeof r->claim,
             "log-log slope of RMSE(p_hat) vs n in [1e2,1e5] (7 sizes, R=%zu, projected, a=0.9, Delta=4, pi=0.3) "
             "is -0.5: slope %.4f, SE %.4f; measured = |slope+0.5|, threshold 0.05 + 2.58 SE "
             "(false-alarm rate 1%%)", R, slope, slope_se);
    r->seconds = omp_get_wtime() - t0;
    return GSL_SUCCESS;
}

/* ---- C7 the MLE bridge ------------------------------------------------------
 * (i) the population minimiser of ℓ (root of the analytic ℓ', Brent) is θ*
 *     to 1e-9; (ii) EM on 10^6 clean points recovers π within 4 CRLB sd;
 * (iii) the efficiency CRLB/Var(p̂_ddpm) predicted by quadrature (sandwich vs
 *     Fisher information) matches simulation (R replicates of n points; R = 500,
 *     n = 4000 at 5 levels full, R = 150, n = 1000 at 2 levels quick) at
 *     several noise levels:
 *     Var_sim, the mean square of p̂ about the true π, against the sandwich
 *     variance Var_pred by a two-sided Satterthwaite χ² (pc_rate_msq_chisq)
 *     with that level's own kurtosis (the levels' laws differ), at least 3,
 *     through pc_rate_var_family; z the normal equivalent of its p-value
 *     (pc_rate_z_of_p).  measured: max z over levels.
 * Null model: EM's π̂ is normal about π with the CRLB sd (10^6 points), and
 * n·Var_sim is a mean square about the sandwich variance (the finite-n
 * correction is far below the relative SE of 6% full, 12% quick: at n = 1000
 * it is −0.3% to −0.9% for a ≤ 0.9 but −3.4% ± 0.6% at a = 0.97, measured on
 * 64000 replicates, enough to lift the full family's rate to 1.27%; hence
 * n = 4000 in full mode, where it is ≈ −1%).  Threshold: the nA + 1 z's (EM and one per level) below Šidák
 * at 1% (3.14 full, 2.94 quick): P(FAIL | null) ≤ 1%; (i) is deterministic.
 * Until 2026-11-29 the levels were tested by a normal z,
 * (Var_sim/Var_pred − 1) over the relative SE from the sample's own fourth
 * moment (pc_rate_var_about): by simulation (40000 checks of resampled
 * replicates, tests/studies/var_rates.c, EM included) 1.22% full and 1.55%
 * quick; the χ² measures 0.90% and 0.94% (docs/claims.md, "The variance
 * tests after C13").  Wrong model (--mutant): the sandwich variance
 * from a Hessian 20% too large (B → 1.2 B), i.e. an efficiency 1.44× too
 * high. */
typedef struct { const pc_opts *o; env *e; double a; int status; } c7_ctx;
/* The gradient for GSL's solver; a failed evaluation is kept in status and
 * returns NaN (GSL then stops with GSL_EBADFUNC), never a made-up value. */
static double c7_grad(double w, void *p)
{
    c7_ctx *c = p;
    ddpm_loss_result r;
    int st = loss_of(c->o)(c->e->q, c->e->g, c->a, ddpm_b_of_a(c->a), w, &r);
    if (st) {
        if (!c->status) c->status = st;
        return GSL_NAN;
    }
    return r.grad.val;
}

int pc_c7_mle_bridge(const pc_opts *o, pc_result *r)
{
    if (!o || !r) return GSL_EINVAL;
    double t0 = omp_get_wtime();
    const double sep = 2.0, pi = 0.3;
    const double A_full[] = { 0.3, 0.5, 0.7, 0.9, 0.97 }, A_quick[] = { 0.5, 0.9 };
    const double *As = o->quick ? A_quick : A_full;
    size_t nA = o->quick ? 2 : 5, R = pick(o, 500, 150, 60), n = pick(o, 4000, 1000, 1000);
    env e;
    if (env_open(&e, 1)) return GSL_ENOMEM;
    int status = gmm2_set(e.g, pi, sep, 0.0);
    if (status) { env_close(&e); return status; }
    double th = spl_logit(pi), worst_root = 0, worst = 0;
    /* (i) */
    gsl_root_fsolver *sv = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (!sv) status = GSL_ENOMEM;
    for (size_t k = 0; k < nA && !status; k++) {
        c7_ctx ctx = { o, &e, As[k], GSL_SUCCESS };
        gsl_function F = { c7_grad, &ctx };
        status = gsl_root_fsolver_set(sv, &F, th - 7.3, th + 11.1);
        double root = th;
        for (int it = 0; it < 200 && !status; it++) {
            status = gsl_root_fsolver_iterate(sv);
            root = gsl_root_fsolver_root(sv);
            if (gsl_root_test_interval(gsl_root_fsolver_x_lower(sv), gsl_root_fsolver_x_upper(sv), 1e-13, 0) == GSL_SUCCESS) break;
        }
        if (ctx.status) status = ctx.status;
        worst_root = fmax(worst_root, fabs(root - th));
    }
    gsl_root_fsolver_free(sv);
    /* (ii) */
    size_t big = pick(o, 1000000, 1000000, 100000);
    double *x = NULL, pi_em = NAN, crlb = NAN;
    gsl_rng *rng = NULL;
    if (status) {
        /* (i) failed: skip the rest */
    } else if ((x = malloc(big * sizeof(double))) && (rng = spl_rng_alloc(o->seed, 0xC7, 0))) {
        status = gmm2_sample_proj(e.g, rng, big, x, NULL);
        gmm_em_result em;
        if (!status) status = gmm2_em_weight(e.g, x, big, DDPM_FIT_MLE_PI0, DDPM_FIT_MLE_TOL,
                                DDPM_FIT_MLE_MAXITER, &pi_em, &em);
        if (status == GSL_EMAXITER) status = GSL_SUCCESS;   /* π̂ kept: the last iterate */
        if (!status) status = gmm2_crlb_sd(pi, sep, big, &crlb);
    } else status = GSL_ENOMEM;
    free(x);
    gsl_rng_free(rng);
    /* (iii) */
    double info, ierr, eff_sim[5] = { 0 }, var_pred[5], centre[5], ratio[5], *ph = malloc(nA * R * sizeof(double));
    if (!ph) status = GSL_ENOMEM;
    if (!status) status = gmm2_fisher_pi(pi, sep, &info, &ierr);
    for (size_t k = 0; k < nA && !status; k++) {
        ddpm_sandwich sw;
        if ((status = ddpm_sandwich_level(e.q, e.g, As[k], ddpm_b_of_a(As[k]), &sw))) break;
        var_pred[k] = sw.nvar_p / (double)n;
        if (o->mutant) var_pred[k] /= PC_HESS_FACTOR * PC_HESS_FACTOR;
        centre[k] = pi;                                    /* about the true π */
        status = replicate_fits(e.g, NULL, As[k], n, R, DDPM_MC_PROJECTED, o->seed, 0xC7000 + k, 0.0, ph + k * R);
    }
    size_t iw = 0;
    if (!status) status = pc_rate_var_family(ph, nA, R, centre, var_pred, 0, &worst, &iw, ratio);
    for (size_t k = 0; k < nA && !status; k++)
        eff_sim[k] = (1.0 / (info * (double)n)) / (ratio[k] * var_pred[k]);
    free(ph);
    env_close(&e);
    if (status) return status;
    double em_z = fabs(pi_em - pi) / crlb, zt = sidak(PC_ALPHA, nA + 1);
    r->id = "C7";
    r->measured = worst;
    r->threshold = thr(o, zt);
    r->pass = worst <= r->threshold && worst_root <= 1e-9 && em_z <= zt;
    r->sense = 1;
    snprintf(r->claim, sizeof r->claim,
             "argmin = theta* (%.1e <= 1e-9); EM on %zu points within %.2f CRLB sd; CRLB/Var(p_hat) quadrature "
             "vs simulation, %zu levels (R=%zu, n=%zu, eff %.3f..%.3f); measured = max z of the variances' chi2 "
             "(own kurtosis; worst a=%.2f, ratio %.3f); EM, levels Sidak at false-alarm rate 1%%",
             worst_root, big, em_z, nA, R, n, eff_sim[0], eff_sim[nA - 1], As[iw], ratio[iw]);
    r->seconds = omp_get_wtime() - t0;
    return GSL_SUCCESS;
}

/* ---- C8 step size ------------------------------------------------------------
 * The largest stable step of GD on the logit, found by bisection: a step is
 * stable if 400 steps from w0 = θ* + 1e-3 shrink the error.  Compared with the
 * linear-stability prediction 2/ℓ''(θ*) for three mixtures/levels; the
 * nonlinear correction at an error of 1e-3 is O(1e-3), far below 5%.
 * measured: worst |η_crit/(2/ℓ'') − 1|; threshold 0.05 (THEORY.md §7). */
static int c8_stable(const pc_opts *o, env *e, double a, double eta, ddpm_gd *gd, int *stable)
{
    c3_ctx ctx = { o, e, a };
    double th = spl_logit(e->g->pi);
    int st = ddpm_gd_set(gd, c3_obj, &ctx, DDPM_PARAM_LOGIT, spl_sigmoid(th + 1e-3), eta, 0);
    if (st) return st;
    double e0 = fabs(gd->w - th);
    for (int s = 0; s < 400; s++) {
        if ((st = ddpm_gd_iterate(gd))) { *stable = 0; return GSL_SUCCESS; }
        if (fabs(gd->w - th) > 1.0) break;
    }
    *stable = fabs(gd->w - th) < e0;
    return GSL_SUCCESS;
}

int pc_c8_step_size(const pc_opts *o, pc_result *r)
{
    if (!o || !r) return GSL_EINVAL;
    double t0 = omp_get_wtime();
    env e;
    if (env_open(&e, 1)) return GSL_ENOMEM;
    ddpm_gd *gd = ddpm_gd_alloc();
    double worst = 0;
    int status = gd ? GSL_SUCCESS : GSL_ENOMEM;
    for (size_t ic = 0; ic < LEN(C3_CFG) && !status; ic++) {
        const cfg *c = &C3_CFG[ic];
        if ((status = gmm2_set(e.g, c->pi, c->sep, 0.0))) break;
        double h;
        if ((status = curvature(o, &e, c->a, &h))) break;
        double pred = 2.0 / h, lo = 0.5 * pred, hi = 2.0 * pred;
        for (int it = 0; it < (o->quick ? 20 : 30) && !status; it++) {
            double mid = 0.5 * (lo + hi);
            int stable = 0;
            status = c8_stable(o, &e, c->a, mid, gd, &stable);
            if (stable) lo = mid; else hi = mid;
        }
        worst = fmax(worst, fabs(0.5 * (lo + hi) / pred - 1));
    }
    ddpm_gd_free(gd);
    env_close(&e);
    if (status) return status;
    r->id = "C8";
    r->measured = worst;
    r->threshold = thr(o, 0.05);
    r->pass = worst <= r->threshold;
    r->sense = 1;
    snprintf(r->claim, sizeof r->claim,
             "largest stable GD step (bisection, 400 steps from theta*+1e-3) vs 2/l''(theta*), 3 mixtures; "
             "measured = worst relative deviation");
    r->seconds = omp_get_wtime() - t0;
    return GSL_SUCCESS;
}

/* ---- C9 means against weights ----------------------------------------------
 * On n explicit d-dimensional draws at one level (a = 0.8, Δ = 3, π = 0.3;
 * d = 4..1024 ×4, n = 2000, R = 12 full; d = 4, 32, 256, n = 1000, R = 6 quick),
 * (1) GD on the same empirical DDPM loss over (w, μ1, μ2) jointly, from the
 *     truth, 400 steps: the mean error ||μ̂1 − μ1|| + ||μ̂2 − μ2|| grows like
 *     √(d/n): fitted exponent s in d must be 1/2;
 * (2) the mixing weight alone with the means known (ŵ on the projections of
 *     Rw = 400 (200 quick) other draws): its RMSE must not grow, slope 0.
 * Both slopes are weighted least squares of the log of the mean (of the RMS)
 * over replicates on log d, each point weighted by its delta-method SE
 * (pc_rate_log_mean, pc_rate_log_rms), with the slope's SE (pc_rate_slope).
 * measured: |s − 1/2|.
 * Null model: the true exponents are 1/2 within 0.1 and 0 within 0.15 (the
 * pre-asymptotic slack of 400 GD steps and finite d, n), each fitted slope
 * normal about its true value with its SE.  Threshold: tolerance + z·SE at
 * 0.5% each (pc_rate_tolerance): P(FAIL | null) ≤ 1%.
 * Wrong model (--mutant): "the means, like the weight, are learned at a
 * dimension-free rate" — the errors of a model that learns the means only
 * along the separating direction u: the same joint GD on the draws'
 * projections on u (a one-dimensional problem, whose law is the same for
 * every d), R replicates per d from their own streams.  Its exponent is 0,
 * |s − ½| ≈ 0.5 against a threshold ≈ 0.2.  (The earlier wrong model, the
 * error of the u-component of the d-dimensional joint fit, still grows like
 * d^0.26 through the coupling with the other directions: ~90% power.)
 * The joint fit is pc_joint_fit (proofs_check/joint.c), shared with figure F9. */
int pc_c9_means_contrast(const pc_opts *o, pc_result *r)
{
    if (!o || !r) return GSL_EINVAL;
    double t0 = omp_get_wtime();
    const double a = 0.8, sep = 3.0, pi = 0.3, tol_mean = 0.1, tol_w = 0.15;
    const size_t D_full[] = { 4, 16, 64, 256, 1024 }, D_quick[] = { 4, 32, 256 }, D_tiny[] = { 4, 16, 64 };
    const size_t *Ds = o->quick >= 2 ? D_tiny : o->quick ? D_quick : D_full;
    size_t nd = pick(o, 5, 3, 3), n = pick(o, 2000, 1000, 500), R = pick(o, 12, 6, 3), steps = 400;
    size_t Rw = pick(o, 400, 200, 100);
    double logd[5], logmean[5], se_mean[5], logw[5], se_w[5];
    int status = GSL_SUCCESS;
    double *me = malloc(R * sizeof(double));
    double *pj = malloc(R * sizeof(double)), *ph = malloc(Rw * sizeof(double));
    if (!me || !pj || !ph) status = GSL_ENOMEM;
    gmm2 *g1 = o->mutant ? gmm2_alloc(1, NULL) : NULL;   /* the mutant's one-dimensional model */
    if (o->mutant && !status) status = g1 ? gmm2_set(g1, pi, sep, 0.0) : GSL_ENOMEM;
    for (size_t k = 0; k < nd && !status; k++) {
        gmm2 *g = gmm2_alloc(Ds[k], NULL);
        if (!g) { status = GSL_ENOMEM; break; }
        if ((status = gmm2_set(g, pi, sep, 0.0))) { gmm2_free(g); break; }
        /* (2) weight alone, means known: ŵ from explicit d-dimensional draws.
         * Cheap next to (1), so with more replicates (its RMSE is noisier). */
        status = replicate_fits(g, NULL, a, n, Rw, DDPM_MC_EXPLICIT, o->seed, 0xC9100 + k, 0.0, ph);
        for (size_t rep = 0; rep < Rw && !status; rep++) ph[rep] -= pi;
        if (!status) status = pc_rate_log_rms(ph, Rw, &logw[k], &se_w[k]);
        /* (1) joint GD over (w, μ1, μ2) from the truth (the mutant: on the
         * projections on u only, the one-dimensional problem) */
        for (size_t rep = 0; rep < R && !status; rep++)
            status = o->mutant ? pc_joint_fit(g1, a, n, steps, spl_stream_seed(o->seed, 0xC9200 + k, rep),
                                              &me[rep], NULL, &pj[rep])
                               : pc_joint_fit(g, a, n, steps, spl_stream_seed(o->seed, 0xC9000 + k, rep),
                                              &me[rep], NULL, &pj[rep]);
        if (!status) status = pc_rate_log_mean(me, R, &logmean[k], &se_mean[k]);
        logd[k] = log((double)Ds[k]);
        gmm2_free(g);
    }
    gmm2_free(g1);
    free(me); free(pj); free(ph);
    double sm = NAN, sm_se = NAN, sw = NAN, sw_se = NAN, t_mean = NAN, t_w = NAN;
    if (!status) status = pc_rate_slope(logd, logmean, se_mean, nd, &sm, &sm_se);
    if (!status) status = pc_rate_slope(logd, logw, se_w, nd, &sw, &sw_se);
    if (!status) status = pc_rate_tolerance(tol_mean, sm_se, PC_ALPHA / 2, &t_mean);
    if (!status) status = pc_rate_tolerance(tol_w, sw_se, PC_ALPHA / 2, &t_w);
    if (status) return status;
    r->id = "C9";
    r->measured = fabs(sm - 0.5);
    r->threshold = thr(o, t_mean);
    r->pass = r->measured <= r->threshold && fabs(sw) <= t_w;
    r->sense = 1;
    snprintf(r->claim, sizeof r->claim,
             "joint GD on (w,mu1,mu2), explicit d-dim MC, d=%zu..%zu, n=%zu, R=%zu: mean error ~ d^s, "
             "s = %.3f (SE %.3f), measured = |s-0.5| <= 0.1 + 2.81 SE; weight alone (R=%zu): slope %.3f "
             "(|.| <= %.3f = 0.15 + 2.81 SE); false-alarm rate 1%%",
             Ds[0], Ds[nd - 1], n, R, sm, sm_se, Rw, sw, t_w);
    r->seconds = omp_get_wtime() - t0;
    return GSL_SUCCESS;
}

/* ---- two-sample KS -------------------------------------------------------- */
int pc_ks2(double *x, size_t nx, double *y, size_t ny, double *D, double *pvalue)
{
    if (!x || !y || !D || !pvalue) return GSL_EINVAL;
    if (!nx || !ny) return GSL_EDOM;
    gsl_sort(x, 1, nx);
    gsl_sort(y, 1, ny);
    size_t i = 0, j = 0;
    double dmax = 0;
    while (i < nx && j < ny) {
        double v = x[i] <= y[j] ? x[i] : y[j];
        while (i < nx && x[i] <= v) i++;
        while (j < ny && y[j] <= v) j++;
        dmax = fmax(dmax, fabs((double)i / nx - (double)j / ny));
    }
    double ne = (double)nx * ny / (double)(nx + ny), sq = sqrt(ne);
    double lam = (sq + 0.12 + 0.11 / sq) * dmax;
    /* Q_KS(λ) = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²} */
    double p = 0, sign = 1;
    if (lam < 0.2) p = 1.0;
    else
        for (int k = 1; k <= 100; k++) {
            double t = sign * exp(-2.0 * k * k * lam * lam);
            p += t;
            if (fabs(t) < 1e-12 * fabs(p)) break;
            sign = -sign;
        }
    *D = dmax;
    *pvalue = fmin(1.0, fmax(0.0, 2 * p));
    return GSL_SUCCESS;
}

const pc_claim pc_claims[] = {
    { "C1", pc_c1_identifiability, 0, 0 }, { "C2", pc_c2_landscape, 0, 0 },       { "C3", pc_c3_gd_rate, 0, 0 },
    { "C4", pc_c4_mc_agreement, 1, 1 },    { "C5", pc_c5_dimension_free, 1, 1 },  { "C6", pc_c6_rate, 1, 1 },
    { "C7", pc_c7_mle_bridge, 1, 1 },      { "C8", pc_c8_step_size, 0, 0 },       { "C9", pc_c9_means_contrast, 1, 1 },
    { "C10", pc_c10_embedding_bias, 1, 1 }, { "C11", pc_c11_weighting, 1, 1 },
    { "C12", pc_c12_kcomp_landscape, 0, 0 }, { "C13", pc_c13_kcomp_dimension_free, 1, 1 },
};
const size_t pc_nclaims = sizeof pc_claims / sizeof pc_claims[0];
_Static_assert(sizeof pc_claims / sizeof pc_claims[0] <= PC_CLAIMS_MAX, "more claims than PC_CLAIMS_MAX");

/* ---- seed studies ----------------------------------------------------------- */
void pc_tally_init(pc_tally *t)
{
    if (!t) return;
    t->n = t->pass = 0;
    t->worst = t->worst_thr = t->least = t->least_thr = NAN;
    t->worst_gap = -INFINITY;
    t->least_gap = INFINITY;
}

void pc_tally_add(pc_tally *t, const pc_result *r)
{
    if (!t || !r) return;
    double gap = (r->sense < 0 ? -1 : 1) * (r->measured - r->threshold);
    if (isnan(gap)) gap = INFINITY;                 /* NaN: as bad as it gets */
    if (gap < t->least_gap || t->n == 0) {
        t->least_gap = gap;
        t->least = r->measured;
        t->least_thr = r->threshold;
    }
    /* A failing seed is worse than any passing one, even when it failed on a
     * secondary figure (C5's sd, C7's EM, C9's weight slope). */
    if (!r->pass) gap = 1e300 + (isinf(gap) ? 0 : fmax(gap, 0.0));
    t->n++;
    t->pass += r->pass != 0;
    if (gap > t->worst_gap || t->n == 1) {
        t->worst_gap = gap;
        t->worst = r->measured;
        t->worst_thr = r->threshold;
    }
}

int pc_tally_verdict(const pc_tally *t, int random, double *frac, double *lo, double *hi,
                     double *tail, int *ok)
{
    if (!t || !frac || !lo || !hi || !tail || !ok) return GSL_EINVAL;
    if (t->n == 0) return GSL_EDOM;
    int st = pc_rate_binom_ci(t->pass, t->n, 0.95, lo, hi);
    if (st) return st;
    *frac = (double)t->pass / (double)t->n;
    size_t fails = t->n - t->pass;
    if (random) return pc_rate_seeds_verdict(fails, t->n, PC_ALPHA, PC_SEEDS_LEVEL, ok, tail);
    *tail = fails ? 0.0 : 1.0;
    *ok = fails == 0;
    return GSL_SUCCESS;
}

int pc_tally_power(const pc_tally *t, double *power, double *lo, double *hi, int *ok)
{
    if (!t || !power || !lo || !hi || !ok) return GSL_EINVAL;
    if (t->n == 0) return GSL_EDOM;
    size_t fails = t->n - t->pass;
    int st = pc_rate_binom_ci(fails, t->n, 0.95, lo, hi);
    if (st) return st;
    *power = (double)fails / (double)t->n;
    *ok = *power >= 0.99;
    return GSL_SUCCESS;
}
