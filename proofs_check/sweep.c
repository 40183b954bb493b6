/* proofs_check/sweep.c — parameter sweeps of the mixing-weight estimators
 * (see sweep.h; THEORY.md §6).  Lists, the grid and its cells, one cell's
 * replicates, and the CSV text of a row.  Nothing is printed here. */
#include "proofs_check/sweep.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>
#include <zlib.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include "common/spl.h"
#include "gmm/gmm.h"

const pc_sweep_domain pc_sweep_dom_d     = { 1.0, PC_SWEEP_D_MAX, 0, 0, 1 };
const pc_sweep_domain pc_sweep_dom_sep   = { 0.0, INFINITY, 1, 1, 0 };
const pc_sweep_domain pc_sweep_dom_pi    = { 0.0, 1.0, 1, 1, 0 };
const pc_sweep_domain pc_sweep_dom_n     = { 1.0, PC_SWEEP_N_MAX, 0, 0, 1 };
const pc_sweep_domain pc_sweep_dom_alpha = { 0.0, 1.0, 1, 1, 0 };

pc_sweep_domain pc_sweep_dom_t(size_t T)
{
    pc_sweep_domain dom = { 1.0, (double)T, 0, 0, 1 };
    return dom;
}

static void say(char *why, size_t len, const char *fmt, ...)
{
    if (!why || !len) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
}

static void interval_text(char *buf, size_t len, const pc_sweep_domain *dom)
{
    int lo_open = dom->lo_open || isinf(dom->lo), hi_open = dom->hi_open || isinf(dom->hi);
    snprintf(buf, len, "%c%.15g, %.15g%c", lo_open ? '(' : '[', dom->lo, dom->hi, hi_open ? ')' : ']');
}

static int in_domain(const pc_sweep_domain *dom, double x)
{
    return isfinite(x) && (dom->lo_open ? x > dom->lo : x >= dom->lo)
           && (dom->hi_open ? x < dom->hi : x <= dom->hi);
}

static int is_integer(double x)
{
    return isfinite(x) && x == floor(x) && fabs(x) <= 9007199254740992.0;
}

/* x rounded to 15 significant digits: prints and re-reads exactly with %.15g. */
static double canon15(double x)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%.15g", x);
    return strtod(buf, NULL);
}

/* The number in s[0..len): the whole text, finite, no leading blank. */
static int parse_number(const char *s, size_t len, double *x)
{
    char buf[128];
    if (len == 0 || len >= sizeof buf) return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (isspace((unsigned char)buf[0])) return -1;
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (*end != '\0' || errno == ERANGE || !isfinite(v)) return -1;
    *x = v;
    return 0;
}

/* One item of a list, s[0..len): X, A:B:N or A:B:Nlog. */
typedef struct { double A, B; size_t N; int log; } item;

static int item_parse(const char *s, size_t len, const pc_sweep_domain *dom, item *it,
                      char *why, size_t whylen)
{
    const char *c1 = memchr(s, ':', len);
    if (!c1) {
        if (parse_number(s, len, &it->A)) {
            say(why, whylen, "'%.*s' is not a finite number", (int)len, s);
            return GSL_EINVAL;
        }
        it->B = it->A;
        it->N = 1;
        it->log = 0;
        return GSL_SUCCESS;
    }
    const char *c2 = memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - s));
    if (!c2 || memchr(c2 + 1, ':', len - (size_t)(c2 + 1 - s))) {
        say(why, whylen, "'%.*s' is neither a number nor a range A:B:N or A:B:Nlog", (int)len, s);
        return GSL_EINVAL;
    }
    if (parse_number(s, (size_t)(c1 - s), &it->A) || parse_number(c1 + 1, (size_t)(c2 - c1 - 1), &it->B)) {
        say(why, whylen, "the ends A, B of the range '%.*s' must be finite numbers", (int)len, s);
        return GSL_EINVAL;
    }
    const char *np = c2 + 1, *end = s + len;
    size_t nl = (size_t)(end - np);
    it->log = nl > 3 && memcmp(end - 3, "log", 3) == 0;
    if (it->log) nl -= 3;
    int ok = nl > 0 && nl <= 9;   /* at most 999999999: enough to exceed the limit */
    unsigned long long N = 0;
    for (size_t k = 0; ok && k < nl; k++) {
        ok = isdigit((unsigned char)np[k]);
        N = 10 * N + (unsigned long long)(np[k] - '0');
    }
    if (!ok || N < 1 || N > PC_SWEEP_MAX_CELLS) {
        say(why, whylen, "N of A:B:N must be an integer in [1, %u], got '%.*s' in '%.*s'",
            (unsigned)PC_SWEEP_MAX_CELLS, (int)(end - np), np, (int)len, s);
        return GSL_EINVAL;
    }
    it->N = (size_t)N;
    if (it->A > it->B) {
        say(why, whylen, "a range A:B:N needs A <= B, got '%.*s'", (int)len, s);
        return GSL_EINVAL;
    }
    if (it->log && !(it->A > 0)) {
        say(why, whylen, "a log range A:B:Nlog needs A > 0, got '%.*s'", (int)len, s);
        return GSL_EINVAL;
    }
    if (dom->integer && (!is_integer(it->A) || !is_integer(it->B))) {
        say(why, whylen, "the ends of '%.*s' must be integers", (int)len, s);
        return GSL_EDOM;
    }
    return GSL_SUCCESS;
}

static double item_value(const item *it, size_t k)
{
    if (it->N == 1 || k == 0) return it->A;
    if (k + 1 == it->N) return it->B;
    double f = (double)k / (double)(it->N - 1);
    if (it->log) return exp(log(it->A) + (log(it->B) - log(it->A)) * f);
    return it->A + (it->B - it->A) * f;
}

/* Each value in its domain, integers where needed, none repeated. */
static int check_values(const double *v, size_t n, const pc_sweep_domain *dom, char *why, size_t whylen)
{
    char range[96];
    for (size_t i = 0; i < n; i++) {
        if (!in_domain(dom, v[i])) {
            interval_text(range, sizeof range, dom);
            say(why, whylen, "value %.15g is outside %s", v[i], range);
            return GSL_EDOM;
        }
        if (dom->integer && !is_integer(v[i])) {
            say(why, whylen, "value %.15g is not an integer", v[i]);
            return GSL_EDOM;
        }
    }
    double *s = malloc(n * sizeof *s);
    if (!s) { say(why, whylen, "out of memory"); return GSL_ENOMEM; }
    memcpy(s, v, n * sizeof *s);
    gsl_sort(s, 1, n);
    for (size_t i = 1; i < n; i++) {
        if (s[i] == s[i - 1]) {
            say(why, whylen, "value %.15g occurs more than once%s", s[i],
                dom->integer ? " (after rounding a range to integers)" : "");
            free(s);
            return GSL_EDOM;
        }
    }
    free(s);
    return GSL_SUCCESS;
}

void pc_sweep_list_free(pc_sweep_list *L)
{
    if (!L) return;
    free(L->v);
    L->v = NULL;
    L->n = 0;
}

int pc_sweep_list_set(pc_sweep_list *L, const double *v, size_t n)
{
    if (!L || (n && !v)) return GSL_EINVAL;
    double *c = n ? malloc(n * sizeof *c) : NULL;
    if (n && !c) return GSL_ENOMEM;
    if (n) memcpy(c, v, n * sizeof *c);
    L->v = c;
    L->n = n;
    return GSL_SUCCESS;
}

int pc_sweep_list_parse(const char *text, const pc_sweep_domain *dom, pc_sweep_list *L,
                        char *why, size_t whylen)
{
    if (!L || !dom) return GSL_EINVAL;
    L->n = 0;
    L->v = NULL;
    if (!text || !*text) {
        say(why, whylen, "the list is empty");
        return GSL_EINVAL;
    }
    /* pass 1: syntax and the number of values */
    size_t total = 0;
    int st;
    for (const char *p = text; ; ) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == 0) {
            say(why, whylen, "empty item in the list '%s'", text);
            return GSL_EINVAL;
        }
        item it;
        if ((st = item_parse(p, len, dom, &it, why, whylen)) != GSL_SUCCESS) return st;
        total += it.N;
        if (total > PC_SWEEP_MAX_CELLS) {
            say(why, whylen, "the list has more than %u values", (unsigned)PC_SWEEP_MAX_CELLS);
            return GSL_EINVAL;
        }
        if (!comma) break;
        p = comma + 1;
    }
    /* pass 2: the values */
    double *v = malloc(total * sizeof *v);
    if (!v) { say(why, whylen, "out of memory"); return GSL_ENOMEM; }
    size_t k = 0;
    for (const char *p = text; ; ) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        item it;
        item_parse(p, len, dom, &it, NULL, 0);
        for (size_t j = 0; j < it.N; j++) {
            double x = item_value(&it, j);
            if (it.N > 1 && dom->integer) x = round(x);   /* a range on an integer axis */
            else if (!dom->integer) x = canon15(x);
            v[k++] = x;
        }
        if (!comma) break;
        p = comma + 1;
    }
    if ((st = check_values(v, total, dom, why, whylen)) != GSL_SUCCESS) { free(v); return st; }
    L->v = v;
    L->n = total;
    return GSL_SUCCESS;
}

/* ---- estimators -------------------------------------------------------------- */

const char *pc_sweep_estimator_name(unsigned estimator)
{
    return estimator == PC_SWEEP_DDPM ? "ddpm" : estimator == PC_SWEEP_MLE ? "mle" : NULL;
}

int pc_sweep_estimators_parse(const char *text, unsigned *set, char *why, size_t whylen)
{
    if (!set) return GSL_EINVAL;
    if (!text || !*text) { say(why, whylen, "the list is empty"); return GSL_EINVAL; }
    unsigned s = 0;
    for (const char *p = text; ; ) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        unsigned e = (len == 4 && !memcmp(p, "ddpm", 4)) ? PC_SWEEP_DDPM
                   : (len == 3 && !memcmp(p, "mle", 3)) ? PC_SWEEP_MLE : 0;
        if (!e) { say(why, whylen, "'%.*s' is not an estimator (ddpm, mle)", (int)len, p); return GSL_EINVAL; }
        if (s & e) { say(why, whylen, "'%.*s' is given twice", (int)len, p); return GSL_EINVAL; }
        s |= e;
        if (!comma) break;
        p = comma + 1;
    }
    *set = s;
    return GSL_SUCCESS;
}

/* ---- the grid ------------------------------------------------------------------ */

struct pc_sweep_grid {
    pc_sweep_spec spec;       /* owns copies of the lists */
    ddpm_schedule *sched;     /* STEP, AVG */
    kmix_quad *q;             /* K components: the sandwich's quadrature (read-only) */
    size_t nsep, npi;         /* positions on the sep and pi axes (K components: 1, vectors) */
    size_t nlevel, ncells;
};

void pc_sweep_spec_init(pc_sweep_spec *sp)
{
    if (!sp) return;
    memset(sp, 0, sizeof *sp);
    sp->level = PC_SWEEP_LEVEL_ALPHA;
    sp->schedule = DDPM_LINEAR;
    sp->T = 1000;
    sp->estimators = PC_SWEEP_DDPM | PC_SWEEP_MLE;
    sp->mc = DDPM_MC_PROJECTED;
    sp->reps = 100;
    sp->seed = 1;
    sp->shift = 0.0;
    sp->weighting = ddpm_weighting_named[0];   /* eps */
}

void pc_sweep_spec_free(pc_sweep_spec *sp)
{
    if (!sp) return;
    pc_sweep_list_free(&sp->d);
    pc_sweep_list_free(&sp->sep);
    pc_sweep_list_free(&sp->pi);
    pc_sweep_list_free(&sp->n);
    pc_sweep_list_free(&sp->alpha);
    pc_sweep_list_free(&sp->t);
    pc_sweep_list_free(&sp->kmix.pi);
    pc_sweep_list_free(&sp->kmix.means);
}

static size_t spec_nlevel(const pc_sweep_spec *sp)
{
    switch (sp->level) {
    case PC_SWEEP_LEVEL_ALPHA: return sp->alpha.n;
    case PC_SWEEP_LEVEL_STEP:  return sp->t.n;
    default:                   return 1;
    }
}

/* Positions on the sep and pi axes: the lists', or 1 and the number of
 * weight vectors of a K-component grid. */
static size_t spec_nsep(const pc_sweep_spec *sp) { return sp->kmix.K ? 1 : sp->sep.n; }
static size_t spec_npi(const pc_sweep_spec *sp) { return sp->kmix.K ? sp->kmix.pi.n / sp->kmix.K : sp->pi.n; }

double pc_sweep_spec_ncells(const pc_sweep_spec *sp)
{
    if (!sp) return NAN;
    return (double)sp->d.n * (double)spec_nsep(sp) * (double)spec_npi(sp) * (double)spec_nlevel(sp)
           * (double)sp->n.n;
}

void pc_sweep_grid_free(pc_sweep_grid *G)
{
    if (!G) return;
    pc_sweep_spec_free(&G->spec);
    ddpm_schedule_free(G->sched);
    kmix_quad_free(G->q);
    free(G);
}

static int check_list(const char *name, const pc_sweep_list *L, const pc_sweep_domain *dom,
                      char *why, size_t whylen)
{
    if (L->n == 0 || !L->v) { say(why, whylen, "the list of %s is empty", name); return GSL_EINVAL; }
    char inner[PC_SWEEP_WHY];
    int st = check_values(L->v, L->n, dom, inner, sizeof inner);
    if (st) say(why, whylen, "%s: %s", name, inner);
    return st;
}

/* Two weight vectors in lexicographic order (qsort: equal vectors adjacent). */
typedef struct { const double *v; size_t K; } kvec;
static int kvec_cmp(const void *a, const void *b)
{
    const kvec *x = a, *y = b;
    for (size_t k = 0; k < x->K; k++)
        if (x->v[k] != y->v[k]) return x->v[k] < y->v[k] ? -1 : 1;
    return 0;
}

/* The K-component part of a spec: km holds canonical copies (15 digits) of
 * sp->kmix's lists, checked; on failure a reason and the status. */
static int kmix_spec_copy(const pc_sweep_spec *sp, pc_sweep_kmix *km, char *why, size_t whylen)
{
    const pc_sweep_kmix *in = &sp->kmix;
    const size_t K = in->K, r = in->r;
    int st;
    *km = (pc_sweep_kmix){ K, r, { 0, NULL }, { 0, NULL } };
    if (K < 2 || K > KMIX_KMAX) { say(why, whylen, "K must be in [2, %d], got %zu", KMIX_KMAX, K); return GSL_EDOM; }
    if (r < 1 || r > KMIX_KMAX - 1) { say(why, whylen, "the means need r in [1, %d] coordinates, got %zu", KMIX_KMAX - 1, r); return GSL_EDOM; }
    if (!in->means.v || in->means.n != K * r) {
        say(why, whylen, "means: K x r = %zu numbers needed, got %zu", K * r, in->means.n);
        return GSL_EINVAL;
    }
    if (!in->pi.v || in->pi.n == 0 || in->pi.n % K) {
        say(why, whylen, "kpi: weight vectors of K = %zu numbers each needed, got %zu numbers", K, in->pi.n);
        return GSL_EINVAL;
    }
    if (sp->level == PC_SWEEP_LEVEL_AVG) {
        say(why, whylen, "K components need one noise level per cell (alpha or t), not avg");
        return GSL_EINVAL;
    }
    for (size_t i = 0; i < sp->d.n; i++)
        if (sp->d.v[i] < (double)r) {
            say(why, whylen, "d: value %.15g is less than r = %zu, the coordinates of the means", sp->d.v[i], r);
            return GSL_EDOM;
        }
    if ((st = pc_sweep_list_set(&km->pi, in->pi.v, in->pi.n)) || (st = pc_sweep_list_set(&km->means, in->means.v, in->means.n))) {
        say(why, whylen, "out of memory");
        return st;
    }
    for (size_t i = 0; i < K * r; i++) {
        if (!isfinite(km->means.v[i])) { say(why, whylen, "means: %g is not finite", km->means.v[i]); return GSL_EDOM; }
        km->means.v[i] = canon15(km->means.v[i]);
    }
    const size_t nv = km->pi.n / K;
    for (size_t v = 0; v < nv; v++) {
        double *w = km->pi.v + v * K, sum = 0;
        for (size_t k = 0; k < K; k++) {
            if (!in_domain(&pc_sweep_dom_pi, w[k])) {
                say(why, whylen, "kpi: weight %.15g of vector %zu is outside (0, 1)", w[k], v + 1);
                return GSL_EDOM;
            }
            w[k] = canon15(w[k]);
            sum += w[k];
        }
        if (fabs(sum - 1.0) > 1e-12) {
            say(why, whylen, "kpi: the weights of vector %zu sum to %.17g, not 1 within 1e-12", v + 1, sum);
            return GSL_EDOM;
        }
    }
    kvec *sorted = malloc(nv * sizeof *sorted);
    if (!sorted) { say(why, whylen, "out of memory"); return GSL_ENOMEM; }
    for (size_t v = 0; v < nv; v++) sorted[v] = (kvec){ km->pi.v + v * K, K };
    qsort(sorted, nv, sizeof *sorted, kvec_cmp);
    for (size_t v = 1; v < nv; v++)
        if (!kvec_cmp(&sorted[v - 1], &sorted[v])) {
            say(why, whylen, "kpi: the weight vector %zu occurs more than once", (size_t)(sorted[v].v - km->pi.v) / K + 1);
            free(sorted);
            return GSL_EDOM;
        }
    free(sorted);
    /* the means: distinct, and a span of rank <= 2 (kmix_set in R^r) */
    kmix *m = kmix_alloc(K, r, &st);
    char err[160] = "";
    if (m && !(st = kmix_set(m, km->pi.v, km->means.v, err, sizeof err)) && m->r > 2) {
        snprintf(err, sizeof err, "the centred means span r = %zu dimensions; the sandwich needs r <= 2", m->r);
        st = GSL_EDOM;
    }
    kmix_free(m);
    if (st) say(why, whylen, "means: %s", *err ? err : gsl_strerror(st));
    return st;
}

pc_sweep_grid *pc_sweep_grid_alloc(const pc_sweep_spec *sp, int *status, char *why, size_t whylen)
{
    int dummy, st;
    if (!status) status = &dummy;
    *status = GSL_EINVAL;
    if (!sp) return NULL;
    const int kmode = sp->kmix.K != 0;
    if ((st = check_list("d", &sp->d, &pc_sweep_dom_d, why, whylen))
        || (!kmode && (st = check_list("sep", &sp->sep, &pc_sweep_dom_sep, why, whylen)))
        || (!kmode && (st = check_list("pi", &sp->pi, &pc_sweep_dom_pi, why, whylen)))
        || (st = check_list("n", &sp->n, &pc_sweep_dom_n, why, whylen))) {
        *status = st;
        return NULL;
    }
    if (sp->level == PC_SWEEP_LEVEL_ALPHA) {
        if ((st = check_list("alpha", &sp->alpha, &pc_sweep_dom_alpha, why, whylen))) { *status = st; return NULL; }
    } else if (sp->level == PC_SWEEP_LEVEL_STEP || sp->level == PC_SWEEP_LEVEL_AVG) {
        if (sp->schedule != DDPM_LINEAR && sp->schedule != DDPM_COSINE) {
            say(why, whylen, "the schedule must be linear or cosine");
            return NULL;
        }
        if (sp->T < 2 || sp->T > 100000000u) {
            say(why, whylen, "the schedule needs T in [2, 100000000], got %zu", sp->T);
            return NULL;
        }
        if (sp->level == PC_SWEEP_LEVEL_STEP) {
            pc_sweep_domain dt = pc_sweep_dom_t(sp->T);
            if ((st = check_list("t", &sp->t, &dt, why, whylen))) { *status = st; return NULL; }
        }
    } else {
        say(why, whylen, "unknown kind of noise level %d", (int)sp->level);
        return NULL;
    }
    if (!sp->estimators || (sp->estimators & ~(unsigned)(PC_SWEEP_DDPM | PC_SWEEP_MLE))) {
        say(why, whylen, "the estimators must be a non-empty subset of ddpm, mle");
        return NULL;
    }
    if (sp->mc != DDPM_MC_EXPLICIT && sp->mc != DDPM_MC_PROJECTED) {
        say(why, whylen, "the Monte Carlo mode must be explicit or projected");
        return NULL;
    }
    if (sp->reps < 1) {
        say(why, whylen, "reps must be at least 1 (and at least 2 for a standard deviation)");
        *status = GSL_EDOM;
        return NULL;
    }
    if (!isfinite(sp->shift)) {
        say(why, whylen, "the shift must be finite");
        *status = GSL_EDOM;
        return NULL;
    }
    if (sp->weighting.kind != DDPM_W_EPS) {
        if (sp->level != PC_SWEEP_LEVEL_AVG) {
            say(why, whylen, "a weighting other than eps needs the level avg (t drawn per sample)");
            return NULL;
        }
        if (sp->weighting.kind == DDPM_W_LEVEL && !(sp->weighting.level >= 1 && sp->weighting.level <= sp->T)) {
            say(why, whylen, "the weighting's level must be in [1, T = %zu], got %zu", sp->T, sp->weighting.level);
            *status = GSL_EDOM;
            return NULL;
        }
        if (sp->weighting.kind == DDPM_W_MINSNR && !(sp->weighting.gamma > 0 && isfinite(sp->weighting.gamma))) {
            say(why, whylen, "min-SNR's gamma must be a finite number > 0");
            *status = GSL_EDOM;
            return NULL;
        }
    }
    pc_sweep_kmix km = { 0, 0, { 0, NULL }, { 0, NULL } };
    if (kmode && (st = kmix_spec_copy(sp, &km, why, whylen))) {
        pc_sweep_list_free(&km.pi);
        pc_sweep_list_free(&km.means);
        *status = st;
        return NULL;
    }
    double nc = pc_sweep_spec_ncells(sp);
    if (nc > PC_SWEEP_MAX_CELLS) {
        say(why, whylen, "the grid has %.0f cells (d %zu x sep %zu x pi %zu x level %zu x n %zu), more than %u",
            nc, sp->d.n, spec_nsep(sp), spec_npi(sp), spec_nlevel(sp), sp->n.n, (unsigned)PC_SWEEP_MAX_CELLS);
        pc_sweep_list_free(&km.pi);
        pc_sweep_list_free(&km.means);
        return NULL;
    }

    pc_sweep_grid *G = calloc(1, sizeof *G);
    if (!G) {
        pc_sweep_list_free(&km.pi);
        pc_sweep_list_free(&km.means);
        goto nomem;
    }
    G->spec = *sp;
    G->spec.d = G->spec.sep = G->spec.pi = G->spec.n = G->spec.alpha = G->spec.t = (pc_sweep_list){ 0, NULL };
    G->spec.kmix = km;    /* the grid owns the canonical copies */
    if (kmode && !(G->q = kmix_quad_alloc(0, 0, NULL))) goto nomem;
    if (pc_sweep_list_set(&G->spec.d, sp->d.v, sp->d.n)
        || (!kmode && pc_sweep_list_set(&G->spec.sep, sp->sep.v, sp->sep.n))
        || (!kmode && pc_sweep_list_set(&G->spec.pi, sp->pi.v, sp->pi.n))
        || pc_sweep_list_set(&G->spec.n, sp->n.v, sp->n.n)
        || (sp->level == PC_SWEEP_LEVEL_ALPHA && pc_sweep_list_set(&G->spec.alpha, sp->alpha.v, sp->alpha.n))
        || (sp->level == PC_SWEEP_LEVEL_STEP && pc_sweep_list_set(&G->spec.t, sp->t.v, sp->t.n)))
        goto nomem;
    if (sp->level != PC_SWEEP_LEVEL_ALPHA) {
        G->sched = ddpm_schedule_alloc(sp->schedule, sp->T, NULL);
        if (!G->sched) goto nomem;
    }
    G->nlevel = spec_nlevel(sp);
    G->nsep = spec_nsep(sp);
    G->npi = spec_npi(sp);
    G->ncells = (size_t)nc;
    *status = GSL_SUCCESS;
    return G;
nomem:
    pc_sweep_grid_free(G);
    say(why, whylen, "out of memory");
    *status = GSL_ENOMEM;
    return NULL;
}

const pc_sweep_spec *pc_sweep_grid_spec(const pc_sweep_grid *G) { return G ? &G->spec : NULL; }
size_t pc_sweep_grid_ncells(const pc_sweep_grid *G) { return G ? G->ncells : 0; }
size_t pc_sweep_grid_nlevels(const pc_sweep_grid *G) { return G ? G->nlevel : 0; }
size_t pc_sweep_grid_width(const pc_sweep_grid *G) { return !G ? 0 : G->spec.kmix.K ? G->spec.kmix.K : 1; }

/* ---- identity ---------------------------------------------------------------------- */

typedef struct { uLong crc, adl; } id_hash;

static void id_text(id_hash *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void id_text(id_hash *h, const char *fmt, ...)
{
    char buf[128];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (k < 0) return;
    if ((size_t)k >= sizeof buf) k = (int)sizeof buf - 1;
    h->crc = crc32(h->crc, (const Bytef *)buf, (uInt)k);
    h->adl = adler32(h->adl, (const Bytef *)buf, (uInt)k);
}

static void id_list(id_hash *h, const char *name, const pc_sweep_list *L)
{
    id_text(h, "%s=%zu:", name, L->n);
    for (size_t i = 0; i < L->n; i++) id_text(h, "%.17g,", L->v[i]);
    id_text(h, ";");
}

int pc_sweep_grid_id(const pc_sweep_grid *G, char id[PC_SWEEP_ID_LEN])
{
    if (!G || !id) return GSL_EINVAL;
    const pc_sweep_spec *sp = &G->spec;
    id_hash h = { crc32(0L, Z_NULL, 0), adler32(0L, Z_NULL, 0) };
    id_text(&h, "spirelab-sweep-v1;");
    id_list(&h, "d", &sp->d);
    if (sp->kmix.K) {     /* K components: the weight vectors and means instead of sep, pi */
        id_text(&h, "K=%zu;r=%zu;", sp->kmix.K, sp->kmix.r);
        id_list(&h, "kpi", &sp->kmix.pi);
        id_list(&h, "means", &sp->kmix.means);
    } else {
        id_list(&h, "sep", &sp->sep);
        id_list(&h, "pi", &sp->pi);
    }
    id_list(&h, "n", &sp->n);
    id_text(&h, "level=%d;", (int)sp->level);
    if (sp->level == PC_SWEEP_LEVEL_ALPHA) id_list(&h, "alpha", &sp->alpha);
    else id_text(&h, "schedule=%s;T=%zu;", ddpm_schedule_name(sp->schedule), sp->T);
    if (sp->level == PC_SWEEP_LEVEL_STEP) id_list(&h, "t", &sp->t);
    id_text(&h, "est=%u;mc=%s;reps=%zu;seed=%llu;shift=%.17g;", sp->estimators,
            ddpm_mc_name(sp->mc), sp->reps, (unsigned long long)sp->seed, sp->shift);
    snprintf(id, PC_SWEEP_ID_LEN, "%08lx%08lx", (unsigned long)(h.crc & 0xffffffffUL),
             (unsigned long)(h.adl & 0xffffffffUL));
    return GSL_SUCCESS;
}

/* ---- cells ----------------------------------------------------------------------- */

int pc_sweep_cell_index(const pc_sweep_grid *G, size_t i_d, size_t i_sep, size_t i_pi,
                        size_t i_level, size_t i_n, size_t *index)
{
    if (!G || !index) return GSL_EINVAL;
    const pc_sweep_spec *sp = &G->spec;
    if (i_d >= sp->d.n || i_sep >= G->nsep || i_pi >= G->npi || i_level >= G->nlevel || i_n >= sp->n.n)
        return GSL_EDOM;
    *index = (((i_d * G->nsep + i_sep) * G->npi + i_pi) * G->nlevel + i_level) * sp->n.n + i_n;
    return GSL_SUCCESS;
}

int pc_sweep_cell_at(const pc_sweep_grid *G, size_t index, pc_sweep_cell *c)
{
    if (!G || !c) return GSL_EINVAL;
    if (index >= G->ncells) return GSL_EDOM;
    const pc_sweep_spec *sp = &G->spec;
    size_t k = index;
    c->index = index;
    c->i_n = k % sp->n.n;      k /= sp->n.n;
    c->i_level = k % G->nlevel; k /= G->nlevel;
    c->i_pi = k % G->npi;      k /= G->npi;
    c->i_sep = k % G->nsep;    k /= G->nsep;
    c->i_d = k;
    c->d = (size_t)sp->d.v[c->i_d];
    c->n = (size_t)sp->n.v[c->i_n];
    c->K = sp->kmix.K;
    if (c->K) {
        c->sep = c->pi = NAN;
        c->kpi = sp->kmix.pi.v + c->i_pi * c->K;
    } else {
        c->sep = sp->sep.v[c->i_sep];
        c->pi = sp->pi.v[c->i_pi];
        c->kpi = NULL;
    }
    c->t = 0;
    switch (sp->level) {
    case PC_SWEEP_LEVEL_ALPHA:
        c->a = sp->alpha.v[c->i_level];
        return ddpm_level_from_alpha(c->a, &c->b);
    case PC_SWEEP_LEVEL_STEP:
        c->t = (size_t)sp->t.v[c->i_level];
        c->a = G->sched->a[c->t - 1];
        c->b = G->sched->b[c->t - 1];
        return GSL_SUCCESS;
    default:
        c->a = c->b = NAN;
        return GSL_SUCCESS;
    }
}

/* One replicate: draw, fit, keep p̂ and whether the fit converged. */
static int replicate(const gmm2 *g, const ddpm_schedule *s, const ddpm_weighting *wt, const double *lam,
                     double a, double b, size_t n, ddpm_mc_mode mc, uint64_t seed, unsigned est,
                     double *p_ddpm, double *p_mle, unsigned char *nc_ddpm, unsigned char *nc_mle)
{
    int st;
    ddpm_sample *S = s && wt->kind != DDPM_W_EPS ? ddpm_weighting_sample_draw(wt, lam, g, s, n, mc, seed, &st)
                                                 : ddpm_sample_draw(g, s, a, b, n, mc, seed, &st);
    if (!S) return st;
    if (est & PC_SWEEP_DDPM) {
        ddpm_fit_result fr = { .p_hat = NAN, .converged = 0 };
        int sf = ddpm_fit_ddpm(S, DDPM_FIT_W0, DDPM_FIT_TOL, DDPM_FIT_MAXITER, &fr);
        if (sf == GSL_SUCCESS || sf == GSL_EMAXITER) {
            if (isnan(fr.p_hat)) {
                /* No bracket within |w| ≤ 60: the empirical loss decreases
                 * all the way to the boundary, on the side the gradient at
                 * w0 points away from. */
                double g0 = 0;
                st = ddpm_sample_loss(S, DDPM_FIT_W0, NULL, &g0, NULL);
                *p_ddpm = g0 > 0 ? 0.0 : 1.0;
                *nc_ddpm = 1;
            } else {
                *p_ddpm = fr.p_hat;
                *nc_ddpm = !(sf == GSL_SUCCESS && fr.converged);
            }
        } else {
            st = sf;
        }
    }
    if (st == GSL_SUCCESS && (est & PC_SWEEP_MLE)) {
        ddpm_fit_result fr = { .p_hat = NAN, .converged = 0 };
        int sf = ddpm_fit_mle(g, S, DDPM_FIT_MLE_TOL, DDPM_FIT_MLE_MAXITER, &fr);
        if (sf == GSL_SUCCESS || sf == GSL_EMAXITER) {
            *p_mle = fr.p_hat;
            *nc_mle = !(sf == GSL_SUCCESS && fr.converged);
        } else {
            st = sf;
        }
    }
    ddpm_sample_free(S);
    return st;
}

/* K components, one replicate: draw (kmix_sample_draw), fit, keep the
 * vector p̂ (K values) and whether the fit converged. */
static int kreplicate(const kmix *m, double a, double b, size_t n, ddpm_mc_mode mc, uint64_t seed,
                      unsigned est, double *p_ddpm, double *p_mle, unsigned char *nc_ddpm,
                      unsigned char *nc_mle)
{
    int st;
    kmix_sample *S = kmix_sample_draw(m, a, b, n, mc, seed, &st);
    if (!S) return st;
    for (unsigned e = PC_SWEEP_DDPM; e <= PC_SWEEP_MLE && st == GSL_SUCCESS; e <<= 1) {
        if (!(est & e)) continue;
        kmix_fit_result f;
        int sf = e == PC_SWEEP_DDPM ? kmix_fit_ddpm(m, S, NULL, KMIX_FIT_TOL, KMIX_FIT_MAXITER, &f)
                                    : kmix_fit_mle(m, S, KMIX_FIT_MLE_TOL, KMIX_FIT_MLE_MAXITER, &f);
        if (sf == GSL_SUCCESS || sf == GSL_EMAXITER) {
            memcpy(e == PC_SWEEP_DDPM ? p_ddpm : p_mle, f.p, m->K * sizeof(double));
            *(e == PC_SWEEP_DDPM ? nc_ddpm : nc_mle) = !(sf == GSL_SUCCESS && f.converged);
        } else {
            st = sf;
        }
    }
    kmix_sample_free(S);
    return st;
}

/* The cell's mixture for K components: the grid's means in the first r
 * coordinates of R^d, the cell's weights.  NULL with *status. */
static kmix *cell_kmix(const pc_sweep_grid *G, const pc_sweep_cell *c, int *status)
{
    const pc_sweep_kmix *km = &G->spec.kmix;
    kmix *m = kmix_alloc(km->K, c->d, status);
    double *mu = m ? calloc(km->K * c->d, sizeof *mu) : NULL;
    if (!m || !mu) {
        kmix_free(m);
        *status = GSL_ENOMEM;
        return NULL;
    }
    for (size_t k = 0; k < km->K; k++)
        memcpy(mu + k * c->d, km->means.v + k * km->r, km->r * sizeof *mu);
    *status = kmix_set(m, c->kpi, mu, NULL, 0);
    free(mu);
    if (*status) { kmix_free(m); return NULL; }
    return m;
}

/* K components: per-component mean and sd, the RMSE of the vector p̂ and its
 * standard error, from R replicates of K values (work: R doubles). */
static void krow_stats(const double *p, size_t R, size_t K, const double *pi, double *work, pc_sweep_row *row)
{
    row->p_mean = row->p_sd = row->q50 = row->q90 = row->q99 = NAN;
    for (size_t k = 0; k < K; k++) {
        row->kp_mean[k] = gsl_stats_mean(p + k, K, R);
        row->kp_sd[k] = R >= 2 ? gsl_stats_sd_m(p + k, K, R, row->kp_mean[k]) : NAN;
    }
    for (size_t r = 0; r < R; r++) {
        double e2 = 0.0;
        for (size_t k = 0; k < K; k++) e2 += (p[r * K + k] - pi[k]) * (p[r * K + k] - pi[k]);
        work[r] = e2;
    }
    double mse = gsl_stats_mean(work, 1, R);
    row->rmse = sqrt(mse);
    row->rmse_se = R >= 2 ? gsl_stats_sd_m(work, 1, R, mse) / sqrt((double)R) / (2.0 * row->rmse) : NAN;
}

/* Mean, sd, RMSE and quantiles of |p̂ − π| of the R values p, reduced in
 * replicate order (work: R doubles). */
static void row_stats(const double *p, size_t R, double pi, double *work, pc_sweep_row *row)
{
    row->p_mean = gsl_stats_mean(p, 1, R);
    row->p_sd = R >= 2 ? gsl_stats_sd_m(p, 1, R, row->p_mean) : NAN;
    double ss = 0.0;
    for (size_t r = 0; r < R; r++) {
        double e = p[r] - pi;
        ss += e * e;
        work[r] = fabs(e);
    }
    row->rmse = sqrt(ss / (double)R);
    gsl_sort(work, 1, R);
    row->q50 = gsl_stats_quantile_from_sorted_data(work, 1, R, 0.50);
    row->q90 = gsl_stats_quantile_from_sorted_data(work, 1, R, 0.90);
    row->q99 = gsl_stats_quantile_from_sorted_data(work, 1, R, 0.99);
}

double pc_sweep_cell_cost(const pc_sweep_grid *G, size_t index)
{
    pc_sweep_cell c;
    if (!G || pc_sweep_cell_at(G, index, &c) != GSL_SUCCESS) return 0.0;
    double d = G->spec.mc == DDPM_MC_EXPLICIT ? (double)c.d : 1.0;
    /* K components: K logits and residuals per point, for each pass */
    double k = c.K ? (double)c.K / 2.0 : 1.0;
    return (double)G->spec.reps * (double)c.n * (d + 21.0) * k;
}

/* pc_sweep_cell_reps of a K-component cell. */
static int kcell_reps(const pc_sweep_grid *G, const pc_sweep_cell *c, size_t r0, size_t r1,
                      pc_sweep_progress_fn progress, void *ctx, double *p_ddpm, double *p_mle,
                      unsigned char *nc_ddpm, unsigned char *nc_mle)
{
    const pc_sweep_spec *sp = &G->spec;
    const size_t R = r1 - r0, K = c->K;
    int st;
    kmix *m = cell_kmix(G, c, &st);
    int *rst = calloc(R ? R : 1, sizeof *rst);
    if (!m || !rst) { free(rst); kmix_free(m); return m ? GSL_ENOMEM : st; }
    memset(nc_ddpm, 0, R);
    memset(nc_mle, 0, R);
    for (size_t k = 0; k < R * K; k++) p_ddpm[k] = p_mle[k] = NAN;
    size_t done_reps = 0;
    #pragma omp parallel for schedule(dynamic, 1)
    for (size_t k = 0; k < R; k++) {
        rst[k] = kreplicate(m, c->a, c->b, c->n, sp->mc, spl_stream_seed(sp->seed, c->index, r0 + k),
                            sp->estimators, p_ddpm + k * K, p_mle + k * K, &nc_ddpm[k], &nc_mle[k]);
        if (progress) {
            #pragma omp critical (pc_sweep_progress)
            progress(ctx, ++done_reps, R);
        }
    }
    st = GSL_SUCCESS;
    for (size_t k = 0; k < R && !st; k++) st = rst[k];
    free(rst);
    kmix_free(m);
    return st;
}

int pc_sweep_cell_reps(const pc_sweep_grid *G, size_t index, size_t r0, size_t r1,
                       pc_sweep_progress_fn progress, void *ctx, double *p_ddpm, double *p_mle,
                       unsigned char *nc_ddpm, unsigned char *nc_mle)
{
    if (!G || !p_ddpm || !p_mle || !nc_ddpm || !nc_mle) return GSL_EINVAL;
    if (r0 > r1 || r1 > G->spec.reps) return GSL_EDOM;
    const pc_sweep_spec *sp = &G->spec;
    pc_sweep_cell c;
    int st = pc_sweep_cell_at(G, index, &c);
    if (st) return st;
    const size_t R = r1 - r0;
    if (c.K) return kcell_reps(G, &c, r0, r1, progress, ctx, p_ddpm, p_mle, nc_ddpm, nc_mle);
    const ddpm_schedule *s = sp->level == PC_SWEEP_LEVEL_AVG ? G->sched : NULL;
    gmm2 *g = gmm2_alloc(c.d, NULL);
    int *rst = calloc(R ? R : 1, sizeof *rst);
    const ddpm_weighting *wt = &sp->weighting;
    int weighted = s && wt->kind != DDPM_W_EPS;
    double *lam = weighted ? malloc(s->T * sizeof *lam) : NULL;
    ddpm_quad *q = weighted ? ddpm_quad_alloc() : NULL;
    if (!g || !rst || (weighted && (!lam || !q))) { st = GSL_ENOMEM; goto done; }
    if ((st = gmm2_set(g, c.pi, c.sep, sp->shift))) goto done;
    /* each sample's weight λ_t: the table once per cell */
    if (weighted && (st = ddpm_weighting_table(q, wt, g, s, lam))) goto done;
    memset(nc_ddpm, 0, R);
    memset(nc_mle, 0, R);
    for (size_t k = 0; k < R; k++) p_ddpm[k] = p_mle[k] = NAN;

    size_t done_reps = 0;
    #pragma omp parallel for schedule(dynamic, 1)
    for (size_t k = 0; k < R; k++) {
        size_t r = r0 + k;
        rst[k] = replicate(g, s, wt, lam, c.a, c.b, c.n, sp->mc, spl_stream_seed(sp->seed, index, r),
                           sp->estimators, &p_ddpm[k], &p_mle[k], &nc_ddpm[k], &nc_mle[k]);
        if (progress) {
            #pragma omp critical (pc_sweep_progress)
            progress(ctx, ++done_reps, R);
        }
    }
    for (size_t k = 0; k < R; k++)
        if (rst[k]) { st = rst[k]; goto done; }
done:
    ddpm_quad_free(q);
    free(lam);
    free(rst);
    gmm2_free(g);
    return st;
}

/* pc_sweep_cell_rows of a K-component cell: the sandwich and CRLB of p̂
 * (kmix_sandwich_level at the cell's level), the statistics of the vectors. */
static int kcell_rows(const pc_sweep_grid *G, const pc_sweep_cell *c, const double *p_ddpm,
                      const double *p_mle, const unsigned char *nc_ddpm,
                      const unsigned char *nc_mle, double seconds,
                      pc_sweep_row rows[PC_SWEEP_NEST], size_t *nrows)
{
    const pc_sweep_spec *sp = &G->spec;
    const size_t R = sp->reps, K = c->K;
    int st;
    kmix *m = cell_kmix(G, c, &st);
    double *work = malloc(R * sizeof *work);
    if (!m || !work) { free(work); kmix_free(m); return m ? GSL_ENOMEM : st; }
    kmix_sandwich sw;
    if ((st = kmix_sandwich_level(G->q, m, c->a, c->b, &sw))) goto done;
    const double n = (double)c->n;
    double tr = 0, trc = 0, sd_k[KMIX_KMAX], crlb_k[KMIX_KMAX];
    for (size_t k = 0; k < K; k++) {
        tr += sw.cov_p[k * K + k];
        trc += sw.crlb_p[k * K + k];
        sd_k[k] = sqrt(sw.cov_p[k * K + k] / n);
        crlb_k[k] = sqrt(sw.crlb_p[k * K + k] / n);
    }
    size_t j = 0;
    const unsigned ests[PC_SWEEP_NEST] = { PC_SWEEP_DDPM, PC_SWEEP_MLE };
    const double *pe[PC_SWEEP_NEST] = { p_ddpm, p_mle };
    const unsigned char *ne[PC_SWEEP_NEST] = { nc_ddpm, nc_mle };
    for (size_t e = 0; e < PC_SWEEP_NEST; e++) {
        if (!(sp->estimators & ests[e])) continue;
        pc_sweep_row *row = &rows[j++];
        memset(row, 0, sizeof *row);
        row->cell = *c;
        row->estimator = ests[e];
        row->reps = R;
        krow_stats(pe[e], R, K, c->kpi, work, row);
        row->sd_sandwich = sqrt(tr / n);
        row->sd_crlb = sqrt(trc / n);
        memcpy(row->ksd_sandwich, sd_k, K * sizeof *sd_k);
        memcpy(row->ksd_crlb, crlb_k, K * sizeof *crlb_k);
        for (size_t r = 0; r < R; r++) row->nonconv += ne[e][r];
        row->seconds = seconds;
    }
    *nrows = j;
done:
    free(work);
    kmix_free(m);
    return st;
}

int pc_sweep_cell_rows(const pc_sweep_grid *G, size_t index, const double *p_ddpm,
                       const double *p_mle, const unsigned char *nc_ddpm,
                       const unsigned char *nc_mle, double seconds,
                       pc_sweep_row rows[PC_SWEEP_NEST], size_t *nrows)
{
    if (!G || !p_ddpm || !p_mle || !nc_ddpm || !nc_mle || !rows || !nrows) return GSL_EINVAL;
    const pc_sweep_spec *sp = &G->spec;
    pc_sweep_cell c;
    int st = pc_sweep_cell_at(G, index, &c);
    if (st) return st;
    const size_t R = sp->reps;
    if (c.K) return kcell_rows(G, &c, p_ddpm, p_mle, nc_ddpm, nc_mle, seconds, rows, nrows);
    const ddpm_schedule *s = sp->level == PC_SWEEP_LEVEL_AVG ? G->sched : NULL;
    gmm2 *g = gmm2_alloc(c.d, NULL);
    double *work = malloc(R * sizeof *work);
    ddpm_quad *q = ddpm_quad_alloc();
    if (!g || !work || !q) { st = GSL_ENOMEM; goto done; }
    if ((st = gmm2_set(g, c.pi, c.sep, sp->shift))) goto done;

    /* predictions: sandwich (§6) and Cramér–Rao */
    ddpm_sandwich sw;
    if (s && sp->weighting.kind != DDPM_W_EPS) {   /* the weighted sandwich (§9) */
        ddpm_wplan *wp = ddpm_wplan_alloc(s, &sp->weighting, DDPM_WSUM_FAST, 0, &st);
        if (wp) st = ddpm_wplan_sandwich(q, wp, g, &sw);
        ddpm_wplan_free(wp);
    } else {
        st = s ? ddpm_sandwich_avg(q, g, s, &sw) : ddpm_sandwich_level(q, g, c.a, c.b, &sw);
    }
    if (st) goto done;
    double sd_sand = sqrt(sw.nvar_p / (double)c.n), sd_crlb;
    if ((st = gmm2_crlb_sd(c.pi, c.sep, c.n, &sd_crlb))) goto done;

    size_t k = 0;
    const unsigned ests[PC_SWEEP_NEST] = { PC_SWEEP_DDPM, PC_SWEEP_MLE };
    const double *pe[PC_SWEEP_NEST] = { p_ddpm, p_mle };
    const unsigned char *ne[PC_SWEEP_NEST] = { nc_ddpm, nc_mle };
    for (size_t e = 0; e < PC_SWEEP_NEST; e++) {
        if (!(sp->estimators & ests[e])) continue;
        pc_sweep_row *row = &rows[k++];
        memset(row, 0, sizeof *row);
        row->cell = c;
        row->estimator = ests[e];
        row->reps = R;
        row_stats(pe[e], R, c.pi, work, row);
        row->sd_sandwich = sd_sand;
        row->sd_crlb = sd_crlb;
        for (size_t r = 0; r < R; r++) row->nonconv += ne[e][r];
        row->seconds = seconds;
    }
    *nrows = k;
done:
    ddpm_quad_free(q);
    free(work);
    gmm2_free(g);
    return st;
}

int pc_sweep_cell_run(const pc_sweep_grid *G, size_t index, pc_sweep_progress_fn progress,
                      void *ctx, pc_sweep_row rows[PC_SWEEP_NEST], size_t *nrows)
{
    if (!G || !rows || !nrows) return GSL_EINVAL;
    double t0 = omp_get_wtime();
    if (index >= G->ncells) return GSL_EDOM;
    const size_t R = G->spec.reps, W = pc_sweep_grid_width(G);
    double *p = malloc(2 * R * W * sizeof *p);        /* p̂ ddpm, p̂ mle */
    unsigned char *nc = malloc(2 * R);
    int st = (p && nc) ? pc_sweep_cell_reps(G, index, 0, R, progress, ctx, p, p + R * W, nc, nc + R)
                       : GSL_ENOMEM;
    if (!st) {
        /* seconds: the whole cell, replicates and predictions */
        st = pc_sweep_cell_rows(G, index, p, p + R * W, nc, nc + R, 0.0, rows, nrows);
        double secs = omp_get_wtime() - t0;
        for (size_t k = 0; !st && k < *nrows; k++) rows[k].seconds = secs;
    }
    free(nc);
    free(p);
    return st;
}

/* ---- CSV -------------------------------------------------------------------------- */

const char *pc_sweep_csv_header(void)
{
    return "cell,d,sep,pi,n,level,schedule,T,t,alpha,estimator,mc,reps,seed,shift,"
           "p_mean,p_sd,rmse,abserr_q50,abserr_q90,abserr_q99,sd_sandwich,sd_crlb,nonconv,seconds";
}

const char *pc_sweep_csv_kheader(void)
{
    return "cell,d,K,pi,n,level,schedule,T,t,alpha,estimator,mc,reps,seed,means,"
           "rmse,rmse_se,rmse_sandwich,rmse_crlb,p_mean,p_sd,sd_sandwich,sd_crlb,nonconv,seconds";
}

/* n values with format fmt ("%.15g", "%.10g"), ';' between groups of g
 * values, ' ' within a group.  0, or -1 if they do not fit in len. */
static int join(char *buf, size_t len, const char *fmt, const double *v, size_t n, size_t g)
{
    size_t k = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i && (k + 1 >= len)) return -1;
        if (i) buf[k++] = i % g ? ' ' : ';';
        int w = snprintf(buf + k, len - k, fmt, v[i]);
        if (w < 0 || (size_t)w >= len - k) return -1;
        k += (size_t)w;
    }
    return 0;
}

static int key_of_cell(const pc_sweep_grid *G, const pc_sweep_cell *c, unsigned estimator,
                       char *buf, size_t len)
{
    const pc_sweep_spec *sp = &G->spec;
    const char *ename = pc_sweep_estimator_name(estimator);
    if (!ename || !buf) return GSL_EINVAL;
    const char *level = sp->level == PC_SWEEP_LEVEL_ALPHA ? "alpha"
                      : sp->level == PC_SWEEP_LEVEL_STEP ? "t" : "avg";
    char sched[16] = "", T[32] = "", t[32] = "", alpha[40] = "";
    if (sp->level != PC_SWEEP_LEVEL_ALPHA) {
        snprintf(sched, sizeof sched, "%s", ddpm_schedule_name(sp->schedule));
        snprintf(T, sizeof T, "%zu", sp->T);
    }
    if (sp->level == PC_SWEEP_LEVEL_STEP) snprintf(t, sizeof t, "%zu", c->t);
    if (sp->level != PC_SWEEP_LEVEL_AVG) snprintf(alpha, sizeof alpha, "%.15g", c->a);
    if (c->K) {
        char pi[KMIX_KMAX * 24], mu[KMIX_KMAX * (KMIX_KMAX - 1) * 24];
        if (join(pi, sizeof pi, "%.15g", c->kpi, c->K, 1)
            || join(mu, sizeof mu, "%.15g", sp->kmix.means.v, sp->kmix.means.n, sp->kmix.r))
            return GSL_EINVAL;
        int w = snprintf(buf, len, "%zu,%zu,%zu,%s,%zu,%s,%s,%s,%s,%s,%s,%s,%zu,%llu,%s",
                         c->index, c->d, c->K, pi, c->n, level, sched, T, t, alpha, ename,
                         ddpm_mc_name(sp->mc), sp->reps, (unsigned long long)sp->seed, mu);
        return (w < 0 || (size_t)w >= len) ? GSL_EINVAL : GSL_SUCCESS;
    }
    int w = snprintf(buf, len, "%zu,%zu,%.15g,%.15g,%zu,%s,%s,%s,%s,%s,%s,%s,%zu,%llu,%.15g",
                     c->index, c->d, c->sep, c->pi, c->n, level, sched, T, t, alpha, ename,
                     ddpm_mc_name(sp->mc), sp->reps, (unsigned long long)sp->seed, sp->shift);
    return (w < 0 || (size_t)w >= len) ? GSL_EINVAL : GSL_SUCCESS;
}

int pc_sweep_csv_key(const pc_sweep_grid *G, size_t index, unsigned estimator, char *buf, size_t len)
{
    if (!G || !buf) return GSL_EINVAL;
    pc_sweep_cell c;
    int st = pc_sweep_cell_at(G, index, &c);
    if (st) return st;
    return key_of_cell(G, &c, estimator, buf, len);
}

int pc_sweep_csv_row(const pc_sweep_grid *G, const pc_sweep_row *row, char *buf, size_t len)
{
    if (!G || !row || !buf) return GSL_EINVAL;
    int st = key_of_cell(G, &row->cell, row->estimator, buf, len);
    if (st) return st;
    size_t k = strlen(buf);
    if (row->cell.K) {
        const size_t K = row->cell.K;
        char lists[4][KMIX_KMAX * 20];
        const double *v[4] = { row->kp_mean, row->kp_sd, row->ksd_sandwich, row->ksd_crlb };
        for (int i = 0; i < 4; i++)
            if (join(lists[i], sizeof lists[i], "%.10g", v[i], K, 1)) return GSL_EINVAL;
        int w = snprintf(buf + k, len - k, ",%.10g,%.10g,%.10g,%.10g,%s,%s,%s,%s,%zu,%.3f", row->rmse,
                         row->rmse_se, row->sd_sandwich, row->sd_crlb, lists[0], lists[1], lists[2],
                         lists[3], row->nonconv, row->seconds);
        return (w < 0 || (size_t)w >= len - k) ? GSL_EINVAL : GSL_SUCCESS;
    }
    int w = snprintf(buf + k, len - k, ",%.10g,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g,%zu,%.3f",
                     row->p_mean, row->p_sd, row->rmse, row->q50, row->q90, row->q99,
                     row->sd_sandwich, row->sd_crlb, row->nonconv, row->seconds);
    return (w < 0 || (size_t)w >= len - k) ? GSL_EINVAL : GSL_SUCCESS;
}

int pc_sweep_csv_match(const pc_sweep_grid *G, const char *line, size_t *index, unsigned *estimator)
{
    if (!G || !line) return GSL_EINVAL;
    /* field count */
    size_t commas = 0;
    for (const char *p = line; *p; p++) commas += (*p == ',');
    if (commas + 1 != PC_SWEEP_CSV_NFIELDS) return GSL_EINVAL;
    /* cell index: digits only */
    if (!isdigit((unsigned char)line[0])) return GSL_EINVAL;
    errno = 0;
    char *end;
    unsigned long long idx = strtoull(line, &end, 10);
    if (errno == ERANGE || *end != ',' || idx >= G->ncells) return GSL_EINVAL;
    /* estimator: field 11 */
    const char *f = line;
    for (int k = 0; k < 10; k++) f = strchr(f, ',') + 1;
    unsigned est = !strncmp(f, "ddpm,", 5) ? PC_SWEEP_DDPM : !strncmp(f, "mle,", 4) ? PC_SWEEP_MLE : 0;
    if (!est) return GSL_EINVAL;
    char key[PC_SWEEP_CSV_LINE];
    if (pc_sweep_csv_key(G, (size_t)idx, est, key, sizeof key)) return GSL_EINVAL;
    size_t kl = strlen(key);
    if (strncmp(line, key, kl) != 0 || line[kl] != ',') return GSL_EINVAL;
    if (index) *index = (size_t)idx;
    if (estimator) *estimator = est;
    return GSL_SUCCESS;
}
