/* ddpm/weighting.c — weighted DDPM objectives, their sandwich variance and
 * efficiency (THEORY.md §9), and the fast sum over levels.  See weighting.h.
 *
 * The fast sum.  A panel [lo, hi] of L integer levels gets NODES nodes
 * t_j = lo + round((1 − cos(jπ/(NODES−1)))/2 · (L − 1)) (Chebyshev–Lobatto
 * points rounded to levels; the panel is summed level by level if two
 * coincide).  The interpolating polynomial p of the summand through them is
 * summed exactly over the panel: Σ_{t=lo}^{hi} p(t) = Σ_j W_j f(t_j),
 * W_j = Σ_t ℓ_j(t), ℓ_j the Lagrange basis (barycentric form, O(L·NODES) once
 * per plan).  W^lo is the same without the middle node.  Panels are graded
 * geometrically away from a singular end (elbo's λ_t ~ 1/(t−1)), else equal.
 */
#include "ddpm/weighting.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include "common/ksum.h"
#include "common/spl.h"
#include "ddpm/draw.h"

#define NODES 25              /* nodes per interpolated panel (odd) */
#define PANEL_MIN 48          /* narrower panels are summed level by level; wider ones are halved down to it */
#define ROOTS_PER_T 2         /* the first cover: panels of at most T/2 levels */
#define GRADE 1.0             /* graded panels: width ≤ GRADE × distance to the singular level */
#define NQ_MAX 4              /* quantities summed at once */

const ddpm_weighting ddpm_weighting_named[DDPM_W_NAMED] = {
    { DDPM_W_EPS, 0, 0 }, { DDPM_W_X0, 0, 0 }, { DDPM_W_V, 0, 0 }, { DDPM_W_ELBO, 0, 0 },
    { DDPM_W_MINSNR, DDPM_MINSNR_GAMMA, 0 }, { DDPM_W_OPTIMAL, 0, 0 },
};

static const char *kind_names[DDPM_W_NKIND] = { "eps", "x0", "v", "elbo", "minsnr", "level", "optimal" };

/* ---- names --------------------------------------------------------------- */

int ddpm_weighting_parse(const char *name, ddpm_weighting *wt)
{
    if (!name || !wt) return GSL_EINVAL;
    const char *colon = strchr(name, ':');
    size_t len = colon ? (size_t)(colon - name) : strlen(name);
    int k = -1;
    for (int i = 0; i < DDPM_W_NKIND; i++)
        if (strlen(kind_names[i]) == len && strncmp(name, kind_names[i], len) == 0) k = i;
    if (k < 0) return GSL_EINVAL;
    ddpm_weighting r = { (ddpm_weighting_kind)k, DDPM_MINSNR_GAMMA, 0 };
    if (k == DDPM_W_MINSNR && colon) {
        char *end;
        double gm = strtod(colon + 1, &end);
        if (end == colon + 1 || *end || !isfinite(gm) || !(gm > 0)) return GSL_EDOM;
        r.gamma = gm;
    } else if (k == DDPM_W_LEVEL) {
        if (!colon) return GSL_EDOM;
        char *end;
        double t = strtod(colon + 1, &end);
        if (end == colon + 1 || *end || !(t >= 1) || t > 1e15 || t != floor(t)) return GSL_EDOM;
        r.level = (size_t)t;
    } else if (colon) {
        return GSL_EINVAL;   /* "eps:3" */
    }
    *wt = r;
    return GSL_SUCCESS;
}

void ddpm_weighting_name(const ddpm_weighting *wt, char *buf, size_t n)
{
    if (!buf || n == 0) return;
    if (!wt || wt->kind < 0 || wt->kind >= DDPM_W_NKIND) { snprintf(buf, n, "?"); return; }
    if (wt->kind == DDPM_W_MINSNR) snprintf(buf, n, "minsnr:%g", wt->gamma);
    else if (wt->kind == DDPM_W_LEVEL) snprintf(buf, n, "level:%zu", wt->level);
    else snprintf(buf, n, "%s", kind_names[wt->kind]);
}

int ddpm_weighting_check(const ddpm_weighting *wt, const ddpm_schedule *s)
{
    if (!wt || !s) return GSL_EINVAL;
    if (wt->kind < 0 || wt->kind >= DDPM_W_NKIND) return GSL_EINVAL;   /* an unknown kind */
    if (wt->kind == DDPM_W_MINSNR && !(wt->gamma > 0 && isfinite(wt->gamma))) return GSL_EDOM;
    if (wt->kind == DDPM_W_LEVEL && !(wt->level >= 1 && wt->level <= s->T)) return GSL_EDOM;
    return GSL_SUCCESS;
}

/* ---- per-level terms ----------------------------------------------------- */

/* The §6 sandwich terms at level (a, b), θ*: A = 4a⁴b²Δ² E[r²(1 + rΔ²b²)],
 * B = 2a²b²Δ² E[r²], with their quadrature errors. */
static int sandwich_terms(ddpm_quad *q, const gmm2 *g, double a, double b, double *A, double *B,
                          double *Ae, double *Be, double *lam_opt)
{
    ddpm_moments m;
    double theta = spl_logit(g->pi), D = g->sep;
    int st = ddpm_moments_eval(q, a * D, theta, theta, &m);
    if (st) return st;
    double c = a * a * b * b * D * D;
    *A = 4 * a * a * c * (m.r2.val + D * D * b * b * m.r3.val);
    *Ae = 4 * a * a * c * (m.r2.err + D * D * b * b * m.r3.err) + 6 * DBL_EPSILON * *A;
    *B = 2 * c * m.r2.val;
    *Be = 2 * c * m.r2.err + 4 * DBL_EPSILON * *B;
    /* 2B/A without the common factor (no underflow where c is tiny) */
    *lam_opt = m.r2.val / (a * a * (m.r2.val + D * D * b * b * m.r3.val));
    return GSL_SUCCESS;
}

int ddpm_weighting_lambda(ddpm_quad *q, const ddpm_weighting *wt, const gmm2 *g,
                          const ddpm_schedule *s, size_t t, double *lambda, double *qt)
{
    if (!wt || !s || !lambda) return GSL_EINVAL;
    int st = ddpm_weighting_check(wt, s);
    if (st) return st;
    if (t < 1 || t > s->T) return GSL_EDOM;
    double a = s->a[t - 1], b = s->b[t - 1], lam = 1.0;
    switch (wt->kind) {
    case DDPM_W_EPS: case DDPM_W_LEVEL: lam = 1.0; break;
    case DDPM_W_X0: lam = (b * b) / (a * a); break;
    case DDPM_W_V: lam = 1.0 / (a * a); break;
    case DDPM_W_ELBO: {
        /* SNR_{t−1}/SNR_t − 1 = β_t/((1−β_t) b_{t−1}²): no cancellation */
        if (t == 1) { lam = 0.0; break; }
        double beta = s->beta[t - 1], bp = s->b[t - 2];
        lam = beta / ((1.0 - beta) * bp * bp);
        break;
    }
    case DDPM_W_MINSNR: lam = fmin(1.0, wt->gamma * (b * b) / (a * a)); break;
    case DDPM_W_OPTIMAL: {
        if (!q || !g) return GSL_EINVAL;
        double A, B, Ae, Be;
        if ((st = sandwich_terms(q, g, a, b, &A, &B, &Ae, &Be, &lam))) return st;
        break;
    }
    }
    *lambda = lam;
    if (qt) *qt = wt->kind == DDPM_W_LEVEL ? (t == wt->level ? 1.0 : 0.0) : 1.0 / (double)s->T;
    return GSL_SUCCESS;
}

/* ---- plans ---------------------------------------------------------------- */

typedef struct {
    size_t lo, hi;            /* levels, 1-based, inclusive */
    int direct;               /* a leaf summed level by level */
    int child[2];             /* the two halves (−1: none) */
    size_t node[NODES];
    double whi[NODES];        /* exact-sum weights of the interpolant through all nodes */
    double wa[NODES], wb[NODES];   /* the same without the first / the last node */
} wpanel;

struct ddpm_wplan {
    const ddpm_schedule *s;
    ddpm_weighting wt;
    ddpm_wsum_mode mode;
    double tol;
    size_t np, cap;
    wpanel *pan;              /* every panel of the trees */
    size_t nroot;
    int *root;                /* the first cover of the levels, in order */
    size_t nnodes;            /* levels the first cover evaluates */
};

/* Exact sums over the panel's integers of the Lagrange bases: through all
 * nodes (whi), without the first (wa), without the last (wb).  Barycentric
 * form on u ∈ [−1, 1], one pass: dropping node m multiplies the other
 * barycentric weights by (u_j − u_m). */
static void panel_weights(wpanel *P)
{
    double L1 = (double)(P->hi - P->lo), u[NODES], bw[NODES];
    for (int j = 0; j < NODES; j++) {
        u[j] = 2.0 * (double)(P->node[j] - P->lo) / L1 - 1.0;
        P->whi[j] = P->wa[j] = P->wb[j] = 0.0;
    }
    for (int j = 0; j < NODES; j++) {
        double p = 1.0;
        for (int k = 0; k < NODES; k++) if (k != j) p *= u[j] - u[k];
        bw[j] = 1.0 / p;
    }
    const int last = NODES - 1;
    int next = 0;
    for (size_t t = P->lo; t <= P->hi; t++) {
        while (next < NODES && P->node[next] < t) next++;
        int at = next < NODES && P->node[next] == t ? next : -1;   /* t is node `at` */
        double x = 2.0 * (double)(t - P->lo) / L1 - 1.0, c[NODES], s = 0, sa = 0, sb = 0;
        if (at < 0 || at == 0 || at == last)
            for (int j = 0; j < NODES; j++) {
                if (j == at) continue;
                c[j] = bw[j] / (x - u[j]);
                s += c[j];
                if (j != 0) sa += c[j] * (u[j] - u[0]);
                if (j != last) sb += c[j] * (u[j] - u[last]);
            }
        if (at >= 0) P->whi[at] += 1.0;
        else for (int j = 0; j < NODES; j++) P->whi[j] += c[j] / s;
        if (at > 0) P->wa[at] += 1.0;
        else for (int j = 1; j < NODES; j++) P->wa[j] += c[j] * (u[j] - u[0]) / sa;
        if (at >= 0 && at != last) P->wb[at] += 1.0;
        else for (int j = 0; j < last; j++) P->wb[j] += c[j] * (u[j] - u[last]) / sb;
    }
}

/* A panel and, unless it is a leaf, the tree of its halves.  Returns its
 * index, or −1 out of memory. */
static int add_tree(ddpm_wplan *p, size_t lo, size_t hi, int direct)
{
    if (p->np == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 32;
        wpanel *np = realloc(p->pan, cap * sizeof *np);
        if (!np) return -1;
        p->pan = np;
        p->cap = cap;
    }
    int id = (int)p->np++;
    wpanel *P = &p->pan[id];
    memset(P, 0, sizeof *P);
    P->lo = lo;
    P->hi = hi;
    P->child[0] = P->child[1] = -1;
    P->direct = direct || hi - lo + 1 < PANEL_MIN;
    if (!P->direct) {
        double L1 = (double)(hi - lo);
        for (int j = 0; j < NODES; j++)
            P->node[j] = lo + (size_t)lround(0.5 * (1.0 - cos(M_PI * j / (NODES - 1))) * L1);
        for (int j = 1; j < NODES; j++) if (P->node[j] <= P->node[j - 1]) P->direct = 1;
    }
    if (P->direct) return id;
    /* the weights depend on the panel's length only: reuse a twin's */
    int twin = -1;
    for (int i = 0; i < id && twin < 0; i++)
        if (!p->pan[i].direct && p->pan[i].hi - p->pan[i].lo == hi - lo) twin = i;
    if (twin >= 0) {
        const wpanel *Q = &p->pan[twin];
        memcpy(P->whi, Q->whi, sizeof P->whi);
        memcpy(P->wa, Q->wa, sizeof P->wa);
        memcpy(P->wb, Q->wb, sizeof P->wb);
    } else {
        panel_weights(P);
    }
    if (hi - lo + 1 >= 2 * PANEL_MIN) {
        size_t mid = lo + (hi - lo) / 2;
        int c0 = add_tree(p, lo, mid, 0);
        if (c0 < 0) return -1;
        int c1 = add_tree(p, mid + 1, hi, 0);
        if (c1 < 0) return -1;
        p->pan[id].child[0] = c0;   /* p->pan may have moved */
        p->pan[id].child[1] = c1;
    }
    return id;
}

static int add_root(ddpm_wplan *p, size_t lo, size_t hi, int direct)
{
    int id = add_tree(p, lo, hi, direct);
    if (id < 0) return GSL_ENOMEM;
    int *r = realloc(p->root, (p->nroot + 1) * sizeof *r);
    if (!r) return GSL_ENOMEM;
    p->root = r;
    p->root[p->nroot++] = id;
    p->nnodes += p->pan[id].direct ? hi - lo + 1 : NODES;
    return GSL_SUCCESS;
}

/* Cover [lo, hi]: graded away from level `pole` (< lo) if graded, then one tree. */
static int add_segment(ddpm_wplan *p, size_t lo, size_t hi, int graded, size_t pole)
{
    int st;
    while (graded && lo <= hi) {
        size_t w = (size_t)(GRADE * (double)(lo - pole));
        if (lo + w > hi) break;
        if (w < PANEL_MIN) w = PANEL_MIN;   /* a leaf summed level by level */
        size_t h = lo + w - 1 < hi ? lo + w - 1 : hi;
        if ((st = add_root(p, lo, h, 0))) return st;
        lo = h + 1;
    }
    /* roots of at most ROOTS_PER_T-th of the schedule: ᾱ spans decades over
     * the schedule whatever T, so one polynomial rarely covers more */
    size_t wmax = (p->s->T + ROOTS_PER_T - 1) / ROOTS_PER_T, L = lo <= hi ? hi - lo + 1 : 0;
    size_t n = (L + wmax - 1) / wmax;
    for (size_t i = 0; i < n; i++)
        if ((st = add_root(p, lo + i * L / n, lo + (i + 1) * L / n - 1, 0))) return st;
    return GSL_SUCCESS;
}

void ddpm_wplan_free(ddpm_wplan *p)
{
    if (!p) return;
    free(p->pan);
    free(p->root);
    free(p);
}

ddpm_wplan *ddpm_wplan_alloc(const ddpm_schedule *s, const ddpm_weighting *wt,
                             ddpm_wsum_mode mode, double tol, int *status)
{
    if (!s || !wt || (mode != DDPM_WSUM_FAST && mode != DDPM_WSUM_FULL)) return spl_fail(status, GSL_EINVAL);
    int ck = ddpm_weighting_check(wt, s);
    if (ck) return spl_fail(status, ck);
    if (!(tol >= 0) || !isfinite(tol) || s->T < 2) return spl_fail(status, GSL_EDOM);
    ddpm_wplan *p = calloc(1, sizeof *p);
    if (!p) return spl_fail(status, GSL_ENOMEM);
    p->s = s;
    p->wt = *wt;
    p->mode = mode;
    p->tol = tol > 0 ? tol : DDPM_WSUM_TOL;
    size_t T = s->T;
    int st = GSL_SUCCESS;
    if (wt->kind == DDPM_W_LEVEL) {
        st = add_root(p, wt->level, wt->level, 1);
    } else if (mode == DDPM_WSUM_FULL) {
        st = add_root(p, 1, T, 1);
    } else {
        /* Break points: levels with a clipped β (cosine) at the end are summed
         * one by one; min-SNR's kink splits the range; elbo's λ_1 = 0 and its
         * 1/(t−1) growth near t = 1 grade the panels from level 1. */
        size_t end = T;
        while (end > 1 && s->beta[end - 1] >= 0.999) end--;
        size_t lo = 1;
        int graded = 0;
        if (wt->kind == DDPM_W_ELBO) {
            if (!(st = add_root(p, 1, 1, 1))) { lo = 2; graded = 1; }
        }
        if (!st && wt->kind == DDPM_W_MINSNR) {
            /* last level with SNR_t ≥ γ (SNR decreases with t) */
            size_t k = 0;
            for (size_t t = 1; t <= end; t++)
                if (s->a[t - 1] * s->a[t - 1] >= wt->gamma * s->b[t - 1] * s->b[t - 1]) k = t;
            if (k >= 1 && k < end) {
                st = add_segment(p, 1, k, 0, 0);
                lo = k + 1;
            }
        }
        if (!st && lo <= end) st = add_segment(p, lo, end, graded, 1);
        if (!st && end < T) st = add_root(p, end + 1, T, 1);
    }
    if (st) { ddpm_wplan_free(p); return spl_fail(status, st); }
    spl_status(status, GSL_SUCCESS);
    return p;
}

size_t ddpm_wplan_nodes(const ddpm_wplan *p) { return p ? p->nnodes : 0; }

/* The summand at level t: nq values and their errors (already weighted by λ_t;
 * q is applied at the end). */
typedef int (*level_fn)(void *ctx, size_t t, double *val, double *err);

/* One sum's working state: each level evaluated at most once. */
typedef struct {
    level_fn f;
    void *ctx;
    size_t T;
    double *v;                /* (T, 2 NQ_MAX) values then errors */
    char *done;               /* (T) */
    size_t *todo;             /* (T) levels to evaluate in the next batch */
    size_t ntodo;
    size_t nevals;            /* levels evaluated so far */
    const double *rough;      /* per quantity: its roughness in t, relative to Σ|terms| */
} wcache;

static void want(wcache *c, size_t t)
{
    if (!c->done[t - 1]) { c->done[t - 1] = 2; c->todo[c->ntodo++] = t; }
}

/* Evaluate the batch in parallel (interleaved: the costly levels sit together). */
static int flush(wcache *c)
{
    c->nevals += c->ntodo;
    int status = GSL_SUCCESS;
    size_t n = c->ntodo;
    #pragma omp parallel for schedule(static, 1) reduction(|:status) if (n > 24)
    for (size_t i = 0; i < n; i++) {
        size_t t = c->todo[i];
        int st = c->f(c->ctx, t, c->v + 2 * NQ_MAX * (t - 1), c->v + 2 * NQ_MAX * (t - 1) + NQ_MAX);
        if (st) status |= st;
        c->done[t - 1] = 1;
    }
    c->ntodo = 0;
    return status ? GSL_EDOM : GSL_SUCCESS;
}

static void want_panel(wcache *c, const wpanel *P)
{
    if (P->direct) for (size_t t = P->lo; t <= P->hi; t++) want(c, t);
    else for (int j = 0; j < NODES; j++) want(c, P->node[j]);
}

/* Per panel and quantity k, PV_N slots of NQ_MAX: the sum, the carried
 * quadrature error, the interpolation error, the scale Σ|terms| and the
 * rounding of the panel's own sum. */
enum { PV_VAL = 0, PV_QERR, PV_IERR, PV_SCALE, PV_RND, PV_N };
#define PV(pv, i, slot, k) ((pv)[PV_N * NQ_MAX * (size_t)(i) + (slot) * NQ_MAX + (k)])

static void panel_eval(const wcache *c, const wpanel *P, int nq, double *pv, int id)
{
    for (int k = 0; k < nq; k++) {
        double hi = 0, lo = 0, lo2 = 0, qe = 0, sc = 0, rnd;
        if (P->direct) {
            spl_ksum ks = SPL_KSUM_INIT;
            for (size_t t = P->lo; t <= P->hi; t++) {
                const double *x = c->v + 2 * NQ_MAX * (t - 1);
                spl_ksum_add(&ks, x[k]);
                qe += x[NQ_MAX + k];
                sc += fabs(x[k]);
            }
            hi = lo = lo2 = spl_ksum_val(&ks);
            rnd = spl_ksum_err(&ks);
        } else {
            for (int j = 0; j < NODES; j++) {
                const double *x = c->v + 2 * NQ_MAX * (P->node[j] - 1);
                hi += P->whi[j] * x[k];
                lo += P->wa[j] * x[k];
                lo2 += P->wb[j] * x[k];
                qe += fabs(P->whi[j]) * x[NQ_MAX + k];
                sc += fabs(P->whi[j] * x[k]);
            }
            /* the weights' and the weighted sum's rounding, and the level
             * values' roughness in t (see DDPM_WSUM_ROUGH) */
            rnd = (8 * NODES * DBL_EPSILON + c->rough[k]) * sc;
        }
        PV(pv, id, PV_VAL, k) = hi;
        PV(pv, id, PV_QERR, k) = qe;
        /* the lower rules' error (the interpolant without its first or its
         * last node, one degree lower): a bound on the higher one's while the
         * interpolation converges */
        PV(pv, id, PV_IERR, k) = fmax(fabs(hi - lo), fabs(hi - lo2));
        PV(pv, id, PV_SCALE, k) = sc;
        PV(pv, id, PV_RND, k) = rnd;
    }
}

/* Σ_t f(t) over the plan's levels into val, err (nq each); serr (may be
 * NULL): the part of err the sum itself adds (interpolation and rounding);
 * nevals (may be NULL): levels evaluated.  Start from the roots; while the
 * interpolation error of some quantity exceeds tol × its scale Σ|terms|
 * (non-strict plans: max(that, the quadrature errors it carries)), replace
 * the worst panel by its halves (a leaf: level by level). */
static int plan_sum(const ddpm_wplan *p, level_fn f, void *ctx, int nq, const double *rough,
                    double *val, double *err, double *serr, size_t *nevals)
{
    size_t T = p->s->T, np = p->np;
    wcache c = { f, ctx, T, NULL, NULL, NULL, 0, 0, rough };
    c.v = malloc(2 * NQ_MAX * T * sizeof *c.v);
    c.done = calloc(T, 1);
    c.todo = malloc(T * sizeof *c.todo);
    int *act = malloc(np * sizeof *act);            /* active panels */
    double *pv = malloc(PV_N * NQ_MAX * np * sizeof *pv); /* per panel, by index */
    int st = GSL_ENOMEM;
    if (!c.v || !c.done || !c.todo || !act || !pv) goto done;
    size_t na = p->nroot;
    for (size_t i = 0; i < na; i++) { act[i] = p->root[i]; want_panel(&c, &p->pan[act[i]]); }
    if ((st = flush(&c))) goto done;
    for (size_t i = 0; i < na; i++) panel_eval(&c, &p->pan[act[i]], nq, pv, act[i]);
    for (;;) {
        double ie[NQ_MAX] = {0}, sc[NQ_MAX] = {0}, qe[NQ_MAX] = {0};
        for (size_t i = 0; i < na; i++)
            for (int k = 0; k < nq; k++) {
                ie[k] += PV(pv, act[i], PV_IERR, k);
                sc[k] += PV(pv, act[i], PV_SCALE, k);
                qe[k] += PV(pv, act[i], PV_QERR, k);
            }
        size_t worst = na;
        double wr = 0.0;
        for (int k = 0; k < nq; k++) {
            if (ie[k] <= p->tol * sc[k]) continue;
            for (size_t i = 0; i < na; i++) {
                double r = PV(pv, act[i], PV_IERR, k) / (p->tol * sc[k] + DBL_MIN);
                if (r > wr) { worst = i; wr = r; }
            }
        }
        if (worst == na) break;
        /* refine: the halves take the worst panel's place, in order */
        wpanel *W = &p->pan[act[worst]];
        if (W->child[0] >= 0) {
            int repl[2] = { W->child[0], W->child[1] };
            memmove(act + worst + 2, act + worst + 1, (na - worst - 1) * sizeof *act);
            act[worst] = repl[0];
            act[worst + 1] = repl[1];
            na++;
            for (int r = 0; r < 2; r++) want_panel(&c, &p->pan[repl[r]]);
            if ((st = flush(&c))) goto done;
            for (int r = 0; r < 2; r++) panel_eval(&c, &p->pan[repl[r]], nq, pv, repl[r]);
        } else {   /* a leaf: the same range level by level, as a direct panel */
            wpanel D = *W;
            D.direct = 1;
            want_panel(&c, &D);
            if ((st = flush(&c))) goto done;
            panel_eval(&c, &D, nq, pv, act[worst]);
        }
    }
    for (int k = 0; k < nq; k++) {
        spl_ksum ks = SPL_KSUM_INIT;
        double qe = 0, ie = 0;
        for (size_t i = 0; i < na; i++) {
            spl_ksum_add(&ks, PV(pv, act[i], PV_VAL, k));
            qe += PV(pv, act[i], PV_QERR, k);
            ie += PV(pv, act[i], PV_IERR, k) + PV(pv, act[i], PV_RND, k);
        }
        val[k] = spl_ksum_val(&ks);
        ie = (ie + spl_ksum_err(&ks)) * (1 + 4 * DBL_EPSILON);
        err[k] = (qe + ie) * (1 + 2 * DBL_EPSILON);
        if (serr) serr[k] = ie;
    }
    if (nevals) *nevals = c.nevals;
    st = GSL_SUCCESS;
done:
    free(c.v);
    free(c.done);
    free(c.todo);
    free(act);
    free(pv);
    return st;
}

/* ---- the weighted loss ----------------------------------------------------- */

typedef struct { ddpm_quad *q; const gmm2 *g; const ddpm_wplan *p; double w, theta; } loss_ctx;

static int loss_level_fn(void *vc, size_t t, double *val, double *err)
{
    loss_ctx *c = vc;
    const ddpm_schedule *s = c->p->s;
    double lam = 1.0;
    int st;
    if (c->p->wt.kind != DDPM_W_EPS && c->p->wt.kind != DDPM_W_LEVEL &&
        (st = ddpm_weighting_lambda(c->q, &c->p->wt, c->g, s, t, &lam, NULL)))
        return st;
    ddpm_loss_result r;
    if ((st = ddpm_loss_sched_level(c->q, c->g, c->theta, s, t - 1, c->w, &r))) return st;
    const ddpm_val *v[4] = { &r.loss, &r.excess, &r.grad, &r.hess };
    for (int k = 0; k < 4; k++) { val[k] = lam * v[k]->val; err[k] = lam * v[k]->err; }
    return GSL_SUCCESS;
}

/* The weighted mean over q: uniform q divides by T, a point mass by 1. */
static double q_norm(const ddpm_wplan *p)
{
    return p->wt.kind == DDPM_W_LEVEL ? 1.0 : 1.0 / (double)p->s->T;
}

int ddpm_wplan_loss_info(ddpm_quad *q, const ddpm_wplan *p, const gmm2 *g, double w,
                         ddpm_loss_result *res, ddpm_wsum_info *info)
{
    if (!q || !p || !g || !res) return GSL_EINVAL;
    if (!isfinite(w)) return GSL_EDOM;
    if (p->wt.kind == DDPM_W_EPS && p->mode == DDPM_WSUM_FULL) {
        int st = ddpm_loss_avg_full(q, g, p->s, w, res);
        if (!st && info) {
            info->nevals = p->s->T;
            const ddpm_val *v[4] = { &res->loss, &res->excess, &res->grad, &res->hess };
            for (int k = 0; k < 4; k++) info->sum_err[k] = 2 * DBL_EPSILON * fabs(v[k]->val);
        }
        return st;
    }
    loss_ctx c = { q, g, p, w, spl_logit(g->pi) };
    double val[4], err[4], serr[4];
    size_t nev = 0;
    /* the Hessian's level values are accurate relative to its scale, not its
     * value (it changes sign): four times the roughness */
    static const double rough[4] = { DDPM_WSUM_ROUGH, DDPM_WSUM_ROUGH, DDPM_WSUM_ROUGH, 4 * DDPM_WSUM_ROUGH };
    int st = plan_sum(p, loss_level_fn, &c, 4, rough, val, err, serr, &nev);
    if (st) return st;
    double qn = q_norm(p);
    ddpm_val *out[4] = { &res->loss, &res->excess, &res->grad, &res->hess };
    for (int k = 0; k < 4; k++) {
        out[k]->val = qn * val[k];
        /* (1 + 2 eps): the rounding of qn and of the product */
        out[k]->err = qn * err[k] * (1 + 2 * DBL_EPSILON) + DBL_EPSILON * fabs(out[k]->val);
        if (info) info->sum_err[k] = qn * serr[k] * (1 + 2 * DBL_EPSILON) + DBL_EPSILON * fabs(out[k]->val);
    }
    if (info) info->nevals = nev;
    return GSL_SUCCESS;
}

int ddpm_wplan_loss(ddpm_quad *q, const ddpm_wplan *p, const gmm2 *g, double w, ddpm_loss_result *res)
{
    return ddpm_wplan_loss_info(q, p, g, w, res, NULL);
}

int ddpm_obj_wavg(void *ctx, double w, double *f, double *df)
{
    ddpm_obj_wavg_ctx *c = ctx;
    if (!c || !f || !df) return GSL_EINVAL;
    ddpm_loss_result r;
    int st = ddpm_wplan_loss(c->q, c->p, c->g, w, &r);
    if (st) return st;
    *f = r.loss.val;
    *df = r.grad.val;
    return GSL_SUCCESS;
}

/* ---- the weighted sandwich and the efficiency ------------------------------- */

typedef struct { ddpm_quad *q; const gmm2 *g; const ddpm_wplan *p; } sw_ctx;

static int sw_level_fn(void *vc, size_t t, double *val, double *err)
{
    sw_ctx *c = vc;
    const ddpm_schedule *s = c->p->s;
    double A, B, Ae, Be, lopt, lam;
    int st = sandwich_terms(c->q, c->g, s->a[t - 1], s->b[t - 1], &A, &B, &Ae, &Be, &lopt);
    if (st) return st;
    if (c->p->wt.kind == DDPM_W_OPTIMAL) lam = lopt;
    else if ((st = ddpm_weighting_lambda(c->q, &c->p->wt, c->g, s, t, &lam, NULL))) return st;
    val[0] = lam * lam * A; err[0] = lam * lam * Ae;
    val[1] = lam * B;       err[1] = lam * Be;
    return GSL_SUCCESS;
}

int ddpm_wplan_sandwich(ddpm_quad *q, const ddpm_wplan *p, const gmm2 *g, ddpm_sandwich *sw)
{
    if (!q || !p || !g || !sw) return GSL_EINVAL;
    if (!(g->sep > 0)) return GSL_EDOM;
    sw_ctx c = { q, g, p };
    double val[2], err[2];
    static const double rough[2] = { DDPM_WSUM_ROUGH, DDPM_WSUM_ROUGH };
    int st = plan_sum(p, sw_level_fn, &c, 2, rough, val, err, NULL, NULL);
    if (st) return st;
    double qn = q_norm(p), A = qn * val[0], B = qn * val[1];
    if (!(A > 0 && B > 0)) return GSL_EDOM;
    const double eps = DBL_EPSILON;
    sw->A = A;
    sw->B = B;
    sw->A_err = qn * err[0] + 2 * eps * A;
    sw->B_err = qn * err[1] + 2 * eps * B;
    sw->nvar_w = A / (B * B);
    /* worst case of (A + A_err)/(B − B_err)², as ddpm_sandwich_avg does */
    double rA = sw->A_err / A, rB = sw->B_err / B;
    double rel = rB < 1 ? (1 + rA) / ((1 - rB) * (1 - rB)) - 1 : GSL_POSINF;
    sw->err = sw->nvar_w * (rel + 4 * eps);
    double pq = g->pi * (1.0 - g->pi);
    sw->nvar_p = pq * pq * sw->nvar_w;
    sw->err_p = pq * pq * sw->err + 6 * eps * sw->nvar_p;
    return GSL_SUCCESS;
}

int ddpm_info_w(const gmm2 *g, double *info, double *err)
{
    if (!g || !info) return GSL_EINVAL;
    double I, e = 0;
    int st = gmm2_fisher_pi(g->pi, g->sep, &I, &e);
    if (st) return st;
    double pq = g->pi * (1.0 - g->pi);
    *info = I * pq * pq;
    if (err) *err = e * pq * pq;
    return GSL_SUCCESS;
}

int ddpm_wplan_efficiency(ddpm_quad *q, const ddpm_wplan *p, const gmm2 *g, int best, ddpm_efficiency *ef)
{
    if (!q || !p || !g || !ef) return GSL_EINVAL;
    int st = ddpm_wplan_sandwich(q, p, g, &ef->sw);
    double I, Ie;
    if (!st) st = ddpm_info_w(g, &I, &Ie);
    if (st) return st;
    if (!(I > 0)) return GSL_EDOM;
    ef->info_w = I;
    ef->eff.val = 1.0 / (I * ef->sw.nvar_w);
    ef->eff.err = ef->eff.val * (ef->sw.err / ef->sw.nvar_w + Ie / I);
    ef->best_level = 0;
    ef->best_eff.val = ef->best_eff.err = NAN;
    if (!best) return GSL_SUCCESS;
    const ddpm_schedule *s = p->s;
    double bv = -1, be = 0;
    for (size_t t = 1; t <= s->T; t++) {
        double A, B, Ae, Be, lopt;
        if ((st = sandwich_terms(q, g, s->a[t - 1], s->b[t - 1], &A, &B, &Ae, &Be, &lopt))) return st;
        double v = B * B / A;
        if (v > bv) { bv = v; be = v * (Ae / A + 2 * Be / B); ef->best_level = t; }
    }
    ef->best_eff.val = bv / I;
    ef->best_eff.err = be / I + ef->best_eff.val * Ie / I;
    return GSL_SUCCESS;
}

/* ---- sample sets ------------------------------------------------------------- */

int ddpm_weighting_table(ddpm_quad *q, const ddpm_weighting *wt, const gmm2 *g,
                         const ddpm_schedule *s, double *lam)
{
    if (!wt || !s || !lam) return GSL_EINVAL;
    for (size_t t = 1; t <= s->T; t++) {
        int st = ddpm_weighting_lambda(q, wt, g, s, t, &lam[t - 1], NULL);
        if (st) return st;
    }
    return GSL_SUCCESS;
}

ddpm_sample *ddpm_weighting_sample_draw(const ddpm_weighting *wt, const double *lam, const gmm2 *g,
                                        const ddpm_schedule *s, size_t n, ddpm_mc_mode mode,
                                        uint64_t seed, int *status)
{
    int dummy;
    if (!status) status = &dummy;
    if (!wt || !g || !s || (wt->kind != DDPM_W_EPS && wt->kind != DDPM_W_LEVEL && !lam)) {
        *status = GSL_EINVAL;
        return NULL;
    }
    if ((*status = ddpm_weighting_check(wt, s))) return NULL;
    if (wt->kind == DDPM_W_LEVEL)
        return ddpm_sample_draw(g, NULL, s->a[wt->level - 1], s->b[wt->level - 1], n, mode, seed, status);
    ddpm_sample *S = ddpm_sample_draw(g, s, 0, 0, n, mode, seed, status);
    if (!S || wt->kind == DDPM_W_EPS) return S;
    /* each sample's level from its a: the schedule's a_t are strictly
     * decreasing and were copied exactly */
    S->lam = malloc(n * sizeof *S->lam);
    if (!S->lam) { ddpm_sample_free(S); *status = GSL_ENOMEM; return NULL; }
    double orth = 0;
    for (size_t i = 0; i < n; i++) {
        size_t lo = 0, hi = s->T - 1;
        while (lo < hi) {   /* first index with a ≤ S->a[i] */
            size_t mid = lo + (hi - lo) / 2;
            if (s->a[mid] > S->a[i]) lo = mid + 1; else hi = mid;
        }
        if (s->a[lo] != S->a[i]) { ddpm_sample_free(S); *status = GSL_EFAILED; return NULL; }
        S->lam[i] = lam[lo];
        orth += lam[lo] * S->a[i] * S->a[i] * (double)(g->d - 1);
    }
    S->orth = orth / (double)n;
    *status = GSL_SUCCESS;
    return S;
}

ddpm_sample *ddpm_wplan_sample_draw(ddpm_quad *q, const ddpm_wplan *p, const gmm2 *g, size_t n,
                                    ddpm_mc_mode mode, uint64_t seed, int *status)
{
    int dummy;
    if (!status) status = &dummy;
    if (!p || !g) { *status = GSL_EINVAL; return NULL; }
    if (n == 0) { *status = GSL_EDOM; return NULL; }
    double *lam = malloc(p->s->T * sizeof *lam);
    if (!lam) { *status = GSL_ENOMEM; return NULL; }
    ddpm_sample *S = NULL;
    if ((*status = ddpm_weighting_table(q, &p->wt, g, p->s, lam)) == GSL_SUCCESS)
        S = ddpm_weighting_sample_draw(&p->wt, lam, g, p->s, n, mode, seed, status);
    free(lam);
    return S;
}

const ddpm_weighting *ddpm_wplan_weighting(const ddpm_wplan *p) { return p ? &p->wt : NULL; }
