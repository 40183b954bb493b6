/* tests/cu_sweep.c — proofs_check/sweep: list and range parsing, the order
 * and count of cells, bit-identical rows whatever the number of threads and
 * whether a cell runs alone or inside its grid (what --resume relies on), the
 * CSV key round trip, and the estimators end to end: over 400 replicates the
 * sd of p̂ matches the sandwich prediction (ddpm) and the Cramér–Rao bound
 * (mle) within its sampling error (THEORY.md §6). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <omp.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_randist.h>
#include "ddpm/schedule.h"
#include "proofs_check/sweep.h"
#include "tests/cu_util.h"

/* ---- helpers -------------------------------------------------------------- */

static int parse(const char *text, const pc_sweep_domain *dom, pc_sweep_list *L)
{
    char why[PC_SWEEP_WHY] = "";
    int st = pc_sweep_list_parse(text, dom, L, why, sizeof why);
    if (st == GSL_SUCCESS) CU_ASSERT(why[0] == '\0');
    return st;
}

/* L holds exactly the n values v (bitwise). */
static int list_is(const pc_sweep_list *L, const double *v, size_t n)
{
    if (L->n != n) {
        fprintf(stderr, "\n  list has %zu values, expected %zu\n", L->n, n);
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        if (L->v[i] != v[i]) {
            fprintf(stderr, "\n  value %zu: %.17g, expected %.17g\n", i, L->v[i], v[i]);
            return 0;
        }
    return 1;
}

static void set_list(pc_sweep_list *L, const double *v, size_t n)
{
    CU_ASSERT_EQUAL_FATAL(pc_sweep_list_set(L, v, n), GSL_SUCCESS);
}

/* Everything but the wall time, bitwise (NaN equal to NaN). */
static int rows_same(const pc_sweep_row *a, const pc_sweep_row *b)
{
    const double x[] = { a->p_mean, a->p_sd, a->rmse, a->q50, a->q90, a->q99, a->sd_sandwich, a->sd_crlb };
    const double y[] = { b->p_mean, b->p_sd, b->rmse, b->q50, b->q90, b->q99, b->sd_sandwich, b->sd_crlb };
    return a->cell.index == b->cell.index && a->estimator == b->estimator && a->reps == b->reps
           && a->nonconv == b->nonconv && memcmp(x, y, sizeof x) == 0;
}

/* ---- lists ------------------------------------------------------------------ */

static void test_list_valid(void)
{
    pc_sweep_list L;
    /* plain lists, in the order given */
    CU_ASSERT_EQUAL(parse("1,10,100,1000", &pc_sweep_dom_d, &L), GSL_SUCCESS);
    CU_ASSERT(list_is(&L, (double[]){ 1, 10, 100, 1000 }, 4));
    pc_sweep_list_free(&L);
    CU_ASSERT(L.n == 0 && L.v == NULL);
    CU_ASSERT_EQUAL(parse("0.3,0.1", &pc_sweep_dom_pi, &L), GSL_SUCCESS);
    CU_ASSERT(list_is(&L, (double[]){ 0.3, 0.1 }, 2));
    pc_sweep_list_free(&L);
    CU_ASSERT_EQUAL(parse("1e3", &pc_sweep_dom_n, &L), GSL_SUCCESS);     /* exponent form of an integer */
    CU_ASSERT(list_is(&L, (double[]){ 1000 }, 1));
    pc_sweep_list_free(&L);
    /* linear ranges: A + (B−A)k/(N−1), the values as the decimal literals */
    CU_ASSERT_EQUAL(parse("0.5:4:8", &pc_sweep_dom_sep, &L), GSL_SUCCESS);
    CU_ASSERT(list_is(&L, (double[]){ 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4 }, 8));
    pc_sweep_list_free(&L);
    CU_ASSERT_EQUAL(parse("0.1:0.7:7", &pc_sweep_dom_alpha, &L), GSL_SUCCESS);
    CU_ASSERT(list_is(&L, (double[]){ 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7 }, 7));
    pc_sweep_list_free(&L);
    /* N = 1 gives A, even when B > A */
    CU_ASSERT_EQUAL(parse("2:5:1", &pc_sweep_dom_sep, &L), GSL_SUCCESS);
    CU_ASSERT(list_is(&L, (double[]){ 2 }, 1));
    pc_sweep_list_free(&L);
    CU_ASSERT_EQUAL(parse("3:3:1", &pc_sweep_dom_d, &L), GSL_SUCCESS);
    CU_ASSERT(list_is(&L, (double[]){ 3 }, 1));
    pc_sweep_list_free(&L);
    /* integer axis: a linear range rounded (1, 5.5 → 6, 10) */
    CU_ASSERT_EQUAL(parse("1:10:3", &pc_sweep_dom_n, &L), GSL_SUCCESS);
    CU_ASSERT(list_is(&L, (double[]){ 1, 6, 10 }, 3));
    pc_sweep_list_free(&L);
    /* log ranges: A (B/A)^(k/(N−1)) */
    CU_ASSERT_EQUAL(parse("1:1000:4log", &pc_sweep_dom_d, &L), GSL_SUCCESS);
    CU_ASSERT(list_is(&L, (double[]){ 1, 10, 100, 1000 }, 4));
    pc_sweep_list_free(&L);
    CU_ASSERT_EQUAL(parse("0.5:4:4log", &pc_sweep_dom_sep, &L), GSL_SUCCESS);
    CU_ASSERT(list_is(&L, (double[]){ 0.5, 1, 2, 4 }, 4));
    pc_sweep_list_free(&L);
    CU_ASSERT_EQUAL(parse("1e-3:1:4log", &pc_sweep_dom_sep, &L), GSL_SUCCESS);
    CU_ASSERT(list_is(&L, (double[]){ 0.001, 0.01, 0.1, 1 }, 4));
    pc_sweep_list_free(&L);
    /* integer log range: round(10^(2 + k/2)) */
    CU_ASSERT_EQUAL(parse("100:10000:5log", &pc_sweep_dom_n, &L), GSL_SUCCESS);
    CU_ASSERT(list_is(&L, (double[]){ 100, 316, 1000, 3162, 10000 }, 5));
    pc_sweep_list_free(&L);
    /* a real log range against pow, to 15 digits */
    CU_ASSERT_EQUAL(parse("0.3:7:6log", &pc_sweep_dom_sep, &L), GSL_SUCCESS);
    CU_ASSERT_EQUAL(L.n, 6);
    for (size_t k = 0; k < L.n; k++) ASSERT_REL(L.v[k], 0.3 * pow(7 / 0.3, k / 5.0), 1e-14);
    pc_sweep_list_free(&L);
    /* items mixed */
    CU_ASSERT_EQUAL(parse("0.1,0.3:0.5:2,0.9", &pc_sweep_dom_pi, &L), GSL_SUCCESS);
    CU_ASSERT(list_is(&L, (double[]){ 0.1, 0.3, 0.5, 0.9 }, 4));
    pc_sweep_list_free(&L);
    /* steps of a schedule of 10 */
    pc_sweep_domain dt = pc_sweep_dom_t(10);
    CU_ASSERT_EQUAL(parse("1:10:10", &dt, &L), GSL_SUCCESS);
    CU_ASSERT(list_is(&L, (double[]){ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, 10));
    pc_sweep_list_free(&L);
}

static void test_list_invalid(void)
{
    static const struct { const char *text; const pc_sweep_domain *dom; int status; } bad[] = {
        /* syntax */
        { "",            &pc_sweep_dom_sep, GSL_EINVAL },
        { ",",           &pc_sweep_dom_sep, GSL_EINVAL },
        { "1,",          &pc_sweep_dom_sep, GSL_EINVAL },
        { ",1",          &pc_sweep_dom_sep, GSL_EINVAL },
        { "1,,2",        &pc_sweep_dom_sep, GSL_EINVAL },
        { "abc",         &pc_sweep_dom_sep, GSL_EINVAL },
        { "1x",          &pc_sweep_dom_sep, GSL_EINVAL },
        { " 1",          &pc_sweep_dom_sep, GSL_EINVAL },
        { "1 ",          &pc_sweep_dom_sep, GSL_EINVAL },
        { "nan",         &pc_sweep_dom_sep, GSL_EINVAL },
        { "inf",         &pc_sweep_dom_sep, GSL_EINVAL },
        { "1e999",       &pc_sweep_dom_sep, GSL_EINVAL },
        { "1:2",         &pc_sweep_dom_sep, GSL_EINVAL },
        { "1:2:3:4",     &pc_sweep_dom_sep, GSL_EINVAL },
        { ":2:3",        &pc_sweep_dom_sep, GSL_EINVAL },
        { "1::3",        &pc_sweep_dom_sep, GSL_EINVAL },
        { "1:2:",        &pc_sweep_dom_sep, GSL_EINVAL },
        { "1:2:0",       &pc_sweep_dom_sep, GSL_EINVAL },   /* N < 1 */
        { "1:2:0log",    &pc_sweep_dom_sep, GSL_EINVAL },
        { "1:2:-3",      &pc_sweep_dom_sep, GSL_EINVAL },
        { "1:2:2.5",     &pc_sweep_dom_sep, GSL_EINVAL },
        { "1:2:1e1",     &pc_sweep_dom_sep, GSL_EINVAL },
        { "1:2:log",     &pc_sweep_dom_sep, GSL_EINVAL },
        { "1:2:3lin",    &pc_sweep_dom_sep, GSL_EINVAL },
        { "1:2:3LOG",    &pc_sweep_dom_sep, GSL_EINVAL },
        { "1:2:10000001", &pc_sweep_dom_sep, GSL_EINVAL },  /* more values than a grid may have */
        { "1:2:6000000,3:4:6000000", &pc_sweep_dom_sep, GSL_EINVAL },
        { "2:1:3",       &pc_sweep_dom_sep, GSL_EINVAL },   /* min > max */
        { "4:0.5:3log",  &pc_sweep_dom_sep, GSL_EINVAL },
        { "0:1:3log",    &pc_sweep_dom_sep, GSL_EINVAL },   /* log needs A > 0 */
        { "-1:1:3log",   &pc_sweep_dom_sep, GSL_EINVAL },
        /* values out of the domain */
        { "0",           &pc_sweep_dom_sep, GSL_EDOM },     /* Δ = 0: not identifiable */
        { "-1",          &pc_sweep_dom_sep, GSL_EDOM },
        { "0:2:3",       &pc_sweep_dom_sep, GSL_EDOM },
        { "0",           &pc_sweep_dom_pi, GSL_EDOM },
        { "1",           &pc_sweep_dom_pi, GSL_EDOM },
        { "0.1:1:4",     &pc_sweep_dom_pi, GSL_EDOM },
        { "1",           &pc_sweep_dom_alpha, GSL_EDOM },
        { "0",           &pc_sweep_dom_d, GSL_EDOM },
        { "2.5",         &pc_sweep_dom_d, GSL_EDOM },       /* not an integer */
        { "1.5:3:2",     &pc_sweep_dom_d, GSL_EDOM },
        { "2e9",         &pc_sweep_dom_n, GSL_EDOM },       /* above the limit */
        { "0",           &pc_sweep_dom_n, GSL_EDOM },
        /* repeated values */
        { "1,2,1",       &pc_sweep_dom_d, GSL_EDOM },
        { "1:1:2",       &pc_sweep_dom_sep, GSL_EDOM },
        { "1:10:20log",  &pc_sweep_dom_n, GSL_EDOM },       /* rounds to repeats */
        { "0.5,0.5:1:2", &pc_sweep_dom_sep, GSL_EDOM },
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        pc_sweep_list L = { 7, (double *)&L };   /* garbage that must be reset */
        char why[PC_SWEEP_WHY] = "";
        int st = pc_sweep_list_parse(bad[k].text, bad[k].dom, &L, why, sizeof why);
        if (st != bad[k].status)
            fprintf(stderr, "\n  '%s': status %d, expected %d (%s)\n", bad[k].text, st, bad[k].status, why);
        CU_ASSERT_EQUAL(st, bad[k].status);
        CU_ASSERT(L.n == 0 && L.v == NULL);
        CU_ASSERT(why[0] != '\0');      /* a reason is given */
    }
    pc_sweep_list L;
    pc_sweep_domain dt = pc_sweep_dom_t(10);
    CU_ASSERT_EQUAL(parse("0", &dt, &L), GSL_EDOM);
    CU_ASSERT_EQUAL(parse("5:11:2", &dt, &L), GSL_EDOM);
    CU_ASSERT_EQUAL(pc_sweep_list_parse(NULL, &dt, &L, NULL, 0), GSL_EINVAL);   /* why may be NULL */

    unsigned e;
    char why[PC_SWEEP_WHY];
    CU_ASSERT(pc_sweep_estimators_parse("ddpm,mle", &e, why, sizeof why) == GSL_SUCCESS && e == (PC_SWEEP_DDPM | PC_SWEEP_MLE));
    CU_ASSERT(pc_sweep_estimators_parse("mle", &e, why, sizeof why) == GSL_SUCCESS && e == PC_SWEEP_MLE);
    CU_ASSERT(pc_sweep_estimators_parse("mle,ddpm", &e, why, sizeof why) == GSL_SUCCESS && e == (PC_SWEEP_DDPM | PC_SWEEP_MLE));
    CU_ASSERT_EQUAL(pc_sweep_estimators_parse("", &e, why, sizeof why), GSL_EINVAL);
    CU_ASSERT_EQUAL(pc_sweep_estimators_parse("ddpm,", &e, why, sizeof why), GSL_EINVAL);
    CU_ASSERT_EQUAL(pc_sweep_estimators_parse("ddpm,ddpm", &e, why, sizeof why), GSL_EINVAL);
    CU_ASSERT_EQUAL(pc_sweep_estimators_parse("em", &e, why, sizeof why), GSL_EINVAL);
}

/* ---- grids and cells ----------------------------------------------------------- */

static void test_cells(void)
{
    const double d[] = { 1, 5 }, sep[] = { 1, 2, 3 }, pi[] = { 0.2, 0.4 }, al[] = { 0.5, 0.9 },
                 n[] = { 10, 20, 30, 40 };
    pc_sweep_spec sp;
    pc_sweep_spec_init(&sp);
    set_list(&sp.d, d, 2); set_list(&sp.sep, sep, 3); set_list(&sp.pi, pi, 2);
    set_list(&sp.alpha, al, 2); set_list(&sp.n, n, 4);
    CU_ASSERT_EQUAL(pc_sweep_spec_ncells(&sp), 96.0);
    int st;
    pc_sweep_grid *G = pc_sweep_grid_alloc(&sp, &st, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(G);
    CU_ASSERT_EQUAL(st, GSL_SUCCESS);
    pc_sweep_spec_free(&sp);     /* the grid owns copies */
    CU_ASSERT_EQUAL(pc_sweep_grid_ncells(G), 96);
    CU_ASSERT_EQUAL(pc_sweep_grid_nlevels(G), 2);
    /* row-major over (d, sep, pi, level, n), n fastest */
    size_t k = 0;
    int order_ok = 1;
    for (size_t a = 0; a < 2; a++)
        for (size_t b = 0; b < 3; b++)
            for (size_t c = 0; c < 2; c++)
                for (size_t l = 0; l < 2; l++)
                    for (size_t m = 0; m < 4; m++, k++) {
                        pc_sweep_cell cell;
                        size_t idx;
                        order_ok &= pc_sweep_cell_at(G, k, &cell) == GSL_SUCCESS;
                        order_ok &= cell.index == k && cell.d == d[a] && cell.sep == sep[b]
                                    && cell.pi == pi[c] && cell.a == al[l] && cell.n == n[m]
                                    && cell.t == 0 && cell.i_d == a && cell.i_sep == b
                                    && cell.i_pi == c && cell.i_level == l && cell.i_n == m;
                        order_ok &= fabs(cell.a * cell.a + cell.b * cell.b - 1) < 1e-15;
                        order_ok &= pc_sweep_cell_index(G, a, b, c, l, m, &idx) == GSL_SUCCESS && idx == k;
                    }
    CU_ASSERT(order_ok);
    pc_sweep_cell cell;
    size_t idx;
    CU_ASSERT_EQUAL(pc_sweep_cell_at(G, 96, &cell), GSL_EDOM);
    CU_ASSERT_EQUAL(pc_sweep_cell_index(G, 0, 0, 0, 2, 0, &idx), GSL_EDOM);
    pc_sweep_grid_free(G);

    /* steps of a schedule: the cell's level is (a_t, b_t) of that schedule */
    pc_sweep_spec_init(&sp);
    set_list(&sp.d, d, 1); set_list(&sp.sep, sep, 1); set_list(&sp.pi, pi, 1); set_list(&sp.n, n, 1);
    set_list(&sp.t, (double[]){ 1, 37, 100 }, 3);
    sp.level = PC_SWEEP_LEVEL_STEP;
    sp.schedule = DDPM_COSINE;
    sp.T = 100;
    G = pc_sweep_grid_alloc(&sp, &st, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(G);
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_COSINE, 100, NULL);
    CU_ASSERT_EQUAL(pc_sweep_grid_ncells(G), 3);
    CU_ASSERT_EQUAL(pc_sweep_cell_at(G, 1, &cell), GSL_SUCCESS);
    CU_ASSERT(cell.t == 37 && cell.a == s->a[36] && cell.b == s->b[36]);
    ddpm_schedule_free(s);
    pc_sweep_grid_free(G);
    /* t uniform: one level, no (a, b) */
    sp.level = PC_SWEEP_LEVEL_AVG;
    G = pc_sweep_grid_alloc(&sp, &st, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(G);
    CU_ASSERT(pc_sweep_grid_ncells(G) == 1 && pc_sweep_grid_nlevels(G) == 1);
    CU_ASSERT(pc_sweep_cell_at(G, 0, &cell) == GSL_SUCCESS && isnan(cell.a) && cell.t == 0);
    pc_sweep_grid_free(G);
    pc_sweep_spec_free(&sp);
}

static void test_grid_invalid(void)
{
    pc_sweep_spec sp;
    int st;
    char why[PC_SWEEP_WHY];
    const double one[] = { 1 }, half[] = { 0.5 };
#define FRESH() do { pc_sweep_spec_free(&sp); pc_sweep_spec_init(&sp); \
        set_list(&sp.d, one, 1); set_list(&sp.sep, one, 1); set_list(&sp.pi, half, 1); \
        set_list(&sp.n, one, 1); set_list(&sp.alpha, half, 1); why[0] = '\0'; } while (0)
#define REFUSED(code) do { CU_ASSERT_PTR_NULL(pc_sweep_grid_alloc(&sp, &st, why, sizeof why)); \
        CU_ASSERT_EQUAL(st, code); CU_ASSERT(why[0] != '\0'); } while (0)
    pc_sweep_spec_init(&sp);
    FRESH();
    pc_sweep_grid *G = pc_sweep_grid_alloc(&sp, &st, why, sizeof why);
    CU_ASSERT_PTR_NOT_NULL(G);
    pc_sweep_grid_free(G);
    FRESH(); pc_sweep_list_free(&sp.n); REFUSED(GSL_EINVAL);                     /* empty list */
    FRESH(); pc_sweep_list_free(&sp.sep); set_list(&sp.sep, (double[]){ 0 }, 1); REFUSED(GSL_EDOM);
    FRESH(); pc_sweep_list_free(&sp.pi); set_list(&sp.pi, (double[]){ 1 }, 1); REFUSED(GSL_EDOM);
    FRESH(); pc_sweep_list_free(&sp.alpha); set_list(&sp.alpha, (double[]){ 0 }, 1); REFUSED(GSL_EDOM);
    FRESH(); pc_sweep_list_free(&sp.d); set_list(&sp.d, (double[]){ 1.5 }, 1); REFUSED(GSL_EDOM);
    FRESH(); sp.reps = 0; REFUSED(GSL_EDOM);
    FRESH(); sp.shift = NAN; REFUSED(GSL_EDOM);
    FRESH(); sp.estimators = 0; REFUSED(GSL_EINVAL);
    FRESH(); sp.level = PC_SWEEP_LEVEL_STEP; sp.T = 10; set_list(&sp.t, (double[]){ 11 }, 1); REFUSED(GSL_EDOM);
    FRESH(); sp.level = PC_SWEEP_LEVEL_AVG; sp.schedule = DDPM_OU; REFUSED(GSL_EINVAL);
    FRESH(); sp.level = PC_SWEEP_LEVEL_AVG; sp.T = 1; REFUSED(GSL_EINVAL);
    /* too many cells: 4000 x 3000 = 1.2e7 > 1e7, and the reason says how many */
    FRESH();
    pc_sweep_list_free(&sp.d);
    pc_sweep_list_free(&sp.n);
    CU_ASSERT_EQUAL(parse("1:4000:4000", &pc_sweep_dom_d, &sp.d), GSL_SUCCESS);
    CU_ASSERT_EQUAL(parse("1:3000:3000", &pc_sweep_dom_n, &sp.n), GSL_SUCCESS);
    CU_ASSERT_EQUAL(pc_sweep_spec_ncells(&sp), 12e6);
    REFUSED(GSL_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "12000000"));
    pc_sweep_spec_free(&sp);
#undef FRESH
#undef REFUSED
}

/* ---- determinism ------------------------------------------------------------------ */

/* A small grid: explicit draws in R^d so that d matters to the code path. */
static pc_sweep_grid *small_grid(const double *n, size_t nn, ddpm_mc_mode mc, pc_sweep_level level)
{
    pc_sweep_spec sp;
    pc_sweep_spec_init(&sp);
    set_list(&sp.d, (double[]){ 1, 4 }, 2);
    set_list(&sp.sep, (double[]){ 1.5 }, 1);
    set_list(&sp.pi, (double[]){ 0.2, 0.6 }, 2);
    set_list(&sp.n, n, nn);
    set_list(&sp.alpha, (double[]){ 0.6 }, 1);
    set_list(&sp.t, (double[]){ 50, 300 }, 2);
    sp.level = level;
    sp.T = 1000;
    sp.mc = mc;
    sp.reps = 13;
    sp.seed = cu_seed(20240611);
    int st;
    pc_sweep_grid *G = pc_sweep_grid_alloc(&sp, &st, NULL, 0);
    pc_sweep_spec_free(&sp);
    return G;
}

static void test_threads(void)
{
    /* The same cell, 1 thread and 2 threads: bit-identical rows. */
    const ddpm_mc_mode modes[] = { DDPM_MC_EXPLICIT, DDPM_MC_PROJECTED };
    const pc_sweep_level levels[] = { PC_SWEEP_LEVEL_STEP, PC_SWEEP_LEVEL_AVG };
    int saved = omp_get_max_threads();
    for (int m = 0; m < 2; m++) {
        pc_sweep_grid *G = small_grid((double[]){ 40, 300 }, 2, modes[m], levels[m]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(G);
        size_t N = pc_sweep_grid_ncells(G);
        for (size_t i = 0; i < N; i += 3) {
            pc_sweep_row r1[PC_SWEEP_NEST], r2[PC_SWEEP_NEST];
            size_t n1 = 0, n2 = 0;
            omp_set_num_threads(1);
            CU_ASSERT_EQUAL(pc_sweep_cell_run(G, i, NULL, NULL, r1, &n1), GSL_SUCCESS);
            omp_set_num_threads(2);
            CU_ASSERT_EQUAL(pc_sweep_cell_run(G, i, NULL, NULL, r2, &n2), GSL_SUCCESS);
            CU_ASSERT_EQUAL(n1, 2);
            CU_ASSERT_EQUAL(n2, 2);
            for (size_t k = 0; k < n1 && k < n2; k++) CU_ASSERT(rows_same(&r1[k], &r2[k]));
            CU_ASSERT(r1[0].estimator == PC_SWEEP_DDPM && r1[1].estimator == PC_SWEEP_MLE);
        }
        pc_sweep_grid_free(G);
    }
    omp_set_num_threads(saved);
}

static void test_blocks_and_id(void)
{
    /* Property test: a cell's replicates computed in uneven blocks (as ranks
     * do under MPI) and reduced by pc_sweep_cell_rows give pc_sweep_cell_run's
     * rows bit for bit (the seconds aside); and the grid id changes with any
     * parameter, not with the object. */
    pc_sweep_grid *G = small_grid((double[]){ 40, 300 }, 2, DDPM_MC_EXPLICIT, PC_SWEEP_LEVEL_AVG);
    CU_ASSERT_PTR_NOT_NULL_FATAL(G);
    const size_t R = pc_sweep_grid_spec(G)->reps, cuts[] = { 0, 1, 5, R };
    CU_ASSERT_FATAL(R > 5);
    double *p = malloc(2 * R * sizeof *p);
    unsigned char *nc = malloc(2 * R);
    CU_ASSERT_FATAL(p && nc);
    for (size_t i = 0; i < pc_sweep_grid_ncells(G); i += 5) {
        pc_sweep_row whole[PC_SWEEP_NEST], parts[PC_SWEEP_NEST];
        size_t n1 = 0, n2 = 0;
        CU_ASSERT_EQUAL(pc_sweep_cell_run(G, i, NULL, NULL, whole, &n1), GSL_SUCCESS);
        for (size_t b = 3; b-- > 0; )    /* blocks in reverse order */
            CU_ASSERT_EQUAL(pc_sweep_cell_reps(G, i, cuts[b], cuts[b + 1], NULL, NULL, p + cuts[b],
                                               p + R + cuts[b], nc + cuts[b], nc + R + cuts[b]), GSL_SUCCESS);
        CU_ASSERT_EQUAL(pc_sweep_cell_rows(G, i, p, p + R, nc, nc + R, whole[0].seconds, parts, &n2), GSL_SUCCESS);
        CU_ASSERT_EQUAL(n1, n2);
        for (size_t k = 0; k < n1 && k < n2; k++) CU_ASSERT(rows_same(&whole[k], &parts[k]));
    }
    /* the cost estimate: reps n (d + 21) explicit, whatever the other axes */
    for (size_t i = 0; i < pc_sweep_grid_ncells(G); i++) {
        pc_sweep_cell c;
        CU_ASSERT_EQUAL_FATAL(pc_sweep_cell_at(G, i, &c), GSL_SUCCESS);
        CU_ASSERT_DOUBLE_EQUAL(pc_sweep_cell_cost(G, i), (double)R * (double)c.n * ((double)c.d + 21.0), 1e-6);
    }
    CU_ASSERT_EQUAL(pc_sweep_cell_cost(G, pc_sweep_grid_ncells(G)), 0.0);
    CU_ASSERT_EQUAL(pc_sweep_cell_reps(G, 0, 3, 2, NULL, NULL, p, p, nc, nc), GSL_EDOM);
    CU_ASSERT_EQUAL(pc_sweep_cell_reps(G, 0, 0, R + 1, NULL, NULL, p, p, nc, nc), GSL_EDOM);
    char a[PC_SWEEP_ID_LEN], b[PC_SWEEP_ID_LEN], c[PC_SWEEP_ID_LEN];
    pc_sweep_grid *H = small_grid((double[]){ 40, 300 }, 2, DDPM_MC_EXPLICIT, PC_SWEEP_LEVEL_AVG);
    pc_sweep_grid *K = small_grid((double[]){ 40, 301 }, 2, DDPM_MC_EXPLICIT, PC_SWEEP_LEVEL_AVG);
    CU_ASSERT_FATAL(H && K);
    CU_ASSERT_EQUAL(pc_sweep_grid_id(G, a), GSL_SUCCESS);
    CU_ASSERT_EQUAL(pc_sweep_grid_id(H, b), GSL_SUCCESS);
    CU_ASSERT_EQUAL(pc_sweep_grid_id(K, c), GSL_SUCCESS);
    CU_ASSERT_EQUAL(strlen(a), PC_SWEEP_ID_LEN - 1);
    CU_ASSERT_STRING_EQUAL(a, b);
    CU_ASSERT_STRING_NOT_EQUAL(a, c);
    CU_ASSERT_EQUAL(pc_sweep_grid_id(NULL, a), GSL_EINVAL);
    free(p);
    free(nc);
    pc_sweep_grid_free(G);
    pc_sweep_grid_free(H);
    pc_sweep_grid_free(K);
}

static size_t progress_calls;
static void count_progress(void *ctx, size_t done, size_t reps)
{
    (void)ctx;
    if (done >= 1 && done <= reps && reps == 13) progress_calls++;
}

static void test_resume_equivalence(void)
{
    /* The whole grid in order, then each cell alone in reverse order from a
     * new grid object (as a resumed run does): identical rows.  And the row
     * of a cell depends on its index, not only on its values. */
    const double n[] = { 30, 120 };
    pc_sweep_grid *G = small_grid(n, 2, DDPM_MC_EXPLICIT, PC_SWEEP_LEVEL_STEP);
    CU_ASSERT_PTR_NOT_NULL_FATAL(G);
    size_t N = pc_sweep_grid_ncells(G);
    CU_ASSERT_EQUAL_FATAL(N, 16);
    pc_sweep_row all[16][PC_SWEEP_NEST];
    for (size_t i = 0; i < N; i++) {
        size_t nr;
        CU_ASSERT_EQUAL(pc_sweep_cell_run(G, i, NULL, NULL, all[i], &nr), GSL_SUCCESS);
    }
    pc_sweep_grid *H = small_grid(n, 2, DDPM_MC_EXPLICIT, PC_SWEEP_LEVEL_STEP);
    CU_ASSERT_PTR_NOT_NULL_FATAL(H);
    progress_calls = 0;
    for (size_t i = N; i-- > 0; ) {
        pc_sweep_row one[PC_SWEEP_NEST];
        size_t nr;
        CU_ASSERT_EQUAL(pc_sweep_cell_run(H, i, count_progress, NULL, one, &nr), GSL_SUCCESS);
        CU_ASSERT(rows_same(&one[0], &all[i][0]) && rows_same(&one[1], &all[i][1]));
    }
    CU_ASSERT_EQUAL(progress_calls, N * 13);    /* once per replicate */
    /* the cell n = 120 of the first (d, sep, pi, level) is cell 1 here, cell 0
     * of a grid with n = {120} only: other streams, other estimates */
    pc_sweep_grid *K = small_grid((double[]){ 120 }, 1, DDPM_MC_EXPLICIT, PC_SWEEP_LEVEL_STEP);
    CU_ASSERT_PTR_NOT_NULL_FATAL(K);
    pc_sweep_row other[PC_SWEEP_NEST];
    size_t nr;
    CU_ASSERT_EQUAL(pc_sweep_cell_run(K, 0, NULL, NULL, other, &nr), GSL_SUCCESS);
    CU_ASSERT(other[0].cell.n == all[1][0].cell.n && other[0].cell.d == all[1][0].cell.d);
    CU_ASSERT(other[0].p_mean != all[1][0].p_mean);

    /* CSV: a row's line matches its own cell, and no other grid's */
    char line[PC_SWEEP_CSV_LINE], key[PC_SWEEP_CSV_LINE];
    size_t idx;
    unsigned est;
    const char *h = pc_sweep_csv_header();
    size_t commas = 0;
    for (const char *p = h; *p; p++) commas += *p == ',';
    CU_ASSERT_EQUAL(commas + 1, PC_SWEEP_CSV_NFIELDS);
    for (size_t i = 0; i < N; i++)
        for (size_t k = 0; k < 2; k++) {
            CU_ASSERT_EQUAL_FATAL(pc_sweep_csv_row(G, &all[i][k], line, sizeof line), GSL_SUCCESS);
            CU_ASSERT(pc_sweep_csv_match(G, line, &idx, &est) == GSL_SUCCESS && idx == i
                      && est == all[i][k].estimator);
            CU_ASSERT_EQUAL(pc_sweep_csv_key(G, i, est, key, sizeof key), GSL_SUCCESS);
            CU_ASSERT(strncmp(line, key, strlen(key)) == 0);
            if (i == 1) CU_ASSERT_EQUAL(pc_sweep_csv_match(K, line, &idx, &est), GSL_EINVAL);
        }
    CU_ASSERT_EQUAL(pc_sweep_csv_row(G, &all[5][1], line, sizeof line), GSL_SUCCESS);
    line[strlen(line) - 1] = '\0';          /* still 25 fields: the key decides */
    CU_ASSERT_EQUAL(pc_sweep_csv_match(G, line, &idx, &est), GSL_SUCCESS);
    char *last = strrchr(line, ',');
    *last = '\0';                             /* 24 fields */
    CU_ASSERT_EQUAL(pc_sweep_csv_match(G, line, &idx, &est), GSL_EINVAL);
    CU_ASSERT_EQUAL(pc_sweep_csv_match(G, h, &idx, &est), GSL_EINVAL);
    CU_ASSERT_EQUAL(pc_sweep_csv_match(G, "", &idx, &est), GSL_EINVAL);
    /* same key text except the seed */
    CU_ASSERT_EQUAL(pc_sweep_csv_row(G, &all[2][0], line, sizeof line), GSL_SUCCESS);
    char edited[PC_SWEEP_CSV_LINE];
    const char *f = line;
    for (int c = 0; c < 13; c++) f = strchr(f, ',') + 1;      /* field 14: seed */
    const char *fe = strchr(f, ',');
    snprintf(edited, sizeof edited, "%.*s%llu%s", (int)(f - line), line,
             (unsigned long long)pc_sweep_grid_spec(G)->seed + 1, fe);
    CU_ASSERT_EQUAL(pc_sweep_csv_match(G, edited, &idx, &est), GSL_EINVAL);
    pc_sweep_grid_free(K);
    pc_sweep_grid_free(H);
    pc_sweep_grid_free(G);
}

/* ---- the estimators end to end ----------------------------------------------------- */

/* One cell of R replicates at n points; returns the rows (ddpm, mle). */
static int one_cell(pc_sweep_level level, double alpha, size_t n, size_t R, uint64_t seed,
                    pc_sweep_row rows[PC_SWEEP_NEST])
{
    pc_sweep_spec sp;
    pc_sweep_spec_init(&sp);
    set_list(&sp.d, (double[]){ 3 }, 1);
    set_list(&sp.sep, (double[]){ 2 }, 1);
    set_list(&sp.pi, (double[]){ 0.3 }, 1);
    set_list(&sp.n, (double[]){ (double)n }, 1);
    set_list(&sp.alpha, (double[]){ alpha }, 1);
    sp.level = level;
    sp.reps = R;
    sp.seed = seed;
    sp.shift = 0.7;    /* c drops out of the law of p̂ (§3) */
    int st;
    pc_sweep_grid *G = pc_sweep_grid_alloc(&sp, &st, NULL, 0);
    pc_sweep_spec_free(&sp);
    if (!G) return st;
    size_t nr;
    st = pc_sweep_cell_run(G, 0, NULL, NULL, rows, &nr);
    pc_sweep_grid_free(G);
    return st;
}

/* Independent predictions by GSL's adaptive quadrature on (−∞, ∞), straight
 * from THEORY.md §6 (not through ddpm/ or gmm/):
 *   v ~ π N(k/2, 1) + (1−π) N(−k/2, 1), k = aΔ,  ρ* = sigmoid(θ* + k v),  r = ρ*(1−ρ*),
 *   n Var(p̂) → (π(1−π))² E[r²(1 + rΔ²b²)] / (b²Δ² (E r²)²)          (sandwich)
 *   n Var(p̂) → 1/I(π),  I(π) = E[(ρ*(x0) − π)²] / (π(1−π))² at a = 1   (Cramér–Rao) */
typedef struct { double pi, k, c; int what; } quad_ctx;   /* what: 0 r², 1 r³, 2 (ρ−π)² */

static double quad_f(double v, void *p)
{
    const quad_ctx *q = p;
    double dens = q->pi * gsl_ran_ugaussian_pdf(v - q->k / 2) + (1 - q->pi) * gsl_ran_ugaussian_pdf(v + q->k / 2);
    double rho = 1 / (1 + exp(-(log(q->pi / (1 - q->pi)) + q->k * v))), r = rho * (1 - rho);
    double f = q->what == 0 ? r * r : q->what == 1 ? r * r * r : (rho - q->pi) * (rho - q->pi);
    return f * dens;
}

static double expect(double pi, double k, int what)
{
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(1000);
    quad_ctx q = { pi, k, 0, what };
    gsl_function F = { quad_f, &q };
    double val = NAN, err;
    gsl_integration_qagi(&F, 0, 1e-11, 1000, w, &val, &err);
    gsl_integration_workspace_free(w);
    return val;
}

static double sd_sandwich_indep(double pi, double sep, double a, size_t n)
{
    double b2 = 1 - a * a, k = a * sep, r2 = expect(pi, k, 0), r3 = expect(pi, k, 1);
    double nvar_w = (r2 + sep * sep * b2 * r3) / (b2 * sep * sep * r2 * r2);
    return pi * (1 - pi) * sqrt(nvar_w / (double)n);
}

static double sd_crlb_indep(double pi, double sep, size_t n)
{
    double info = expect(pi, sep, 2) / (pi * (1 - pi) * pi * (1 - pi));
    return 1 / sqrt((double)n * info);
}

/* The sd s of R normal draws has standard error ≈ σ/√(2(R−1)); the q-quantile
 * of |X|, X ~ N(0, σ²), is σ z with z = Φ⁻¹((1+q)/2), and its sample quantile
 * has standard error √(q(1−q)/R) / (2φ(z)/σ). */
static void check_spread(const pc_sweep_row *r, double sd_pred, size_t R)
{
    const double k = 4.0;
    ASSERT_WITHIN_SE(r->p_sd, sd_pred, sd_pred / sqrt(2.0 * (double)(R - 1)), k);
    ASSERT_WITHIN_SE(r->p_mean, 0.3, sd_pred / sqrt((double)R), k);
    /* rmse² = (R−1)/R sd² + (mean − π)², an identity */
    double e = r->p_mean - 0.3;
    ASSERT_REL(r->rmse * r->rmse, (double)(R - 1) / (double)R * r->p_sd * r->p_sd + e * e, 1e-9);
    const double qs[] = { 0.5, 0.9 }, got[] = { r->q50, r->q90 };
    for (int j = 0; j < 2; j++) {
        double z = gsl_cdf_ugaussian_Pinv((1 + qs[j]) / 2);
        double se = sqrt(qs[j] * (1 - qs[j]) / (double)R) / (2 * gsl_ran_ugaussian_pdf(z) / sd_pred);
        ASSERT_WITHIN_SE(got[j], z * sd_pred, se, k);
    }
    CU_ASSERT(r->q50 <= r->q90 && r->q90 <= r->q99 && r->q99 <= r->rmse * sqrt((double)R));
    CU_ASSERT_EQUAL(r->nonconv, 0);
}

static void test_sd_matches_theory(void)
{
    /* n = 2000, Δ = 2, π = 0.3, 400 replicates: sd(p̂) of the DDPM estimator
     * vs the sandwich, of the MLE vs the Cramér–Rao bound. */
    const size_t R = 400;
    pc_sweep_row rows[PC_SWEEP_NEST];
    CU_ASSERT_EQUAL_FATAL(one_cell(PC_SWEEP_LEVEL_ALPHA, 0.7, 2000, R, cu_seed(20240611), rows), GSL_SUCCESS);
    CU_ASSERT(rows[0].estimator == PC_SWEEP_DDPM && rows[1].estimator == PC_SWEEP_MLE);
    ASSERT_REL(rows[0].sd_crlb, sd_crlb_indep(0.3, 2, 2000), 1e-8);
    ASSERT_REL(rows[0].sd_sandwich, sd_sandwich_indep(0.3, 2, 0.7, 2000), 1e-8);
    CU_ASSERT(rows[1].sd_crlb == rows[0].sd_crlb && rows[1].sd_sandwich == rows[0].sd_sandwich);
    check_spread(&rows[0], rows[0].sd_sandwich, R);
    check_spread(&rows[1], rows[1].sd_crlb, R);
    /* t uniform over the linear schedule: A, B averaged over t (§6) */
    CU_ASSERT_EQUAL_FATAL(one_cell(PC_SWEEP_LEVEL_AVG, 0.7, 1000, 300, cu_seed(20240611) + 1, rows), GSL_SUCCESS);
    check_spread(&rows[0], rows[0].sd_sandwich, 300);
    check_spread(&rows[1], rows[1].sd_crlb, 300);
}

static void test_tiny_samples(void)
{
    /* n = 1: no error, every estimate in [0, 1], failures counted, not fatal */
    pc_sweep_row rows[PC_SWEEP_NEST];
    CU_ASSERT_EQUAL_FATAL(one_cell(PC_SWEEP_LEVEL_ALPHA, 0.7, 1, 50, cu_seed(20240611), rows), GSL_SUCCESS);
    for (int k = 0; k < 2; k++) {
        CU_ASSERT(rows[k].p_mean >= 0 && rows[k].p_mean <= 1);
        CU_ASSERT(rows[k].q99 <= 0.7 + 1e-15);          /* |p̂ − π| ≤ max(π, 1 − π) */
        CU_ASSERT(rows[k].nonconv <= 50);
    }
    /* one replicate: no sd */
    CU_ASSERT_EQUAL_FATAL(one_cell(PC_SWEEP_LEVEL_ALPHA, 0.7, 100, 1, 3, rows), GSL_SUCCESS);
    CU_ASSERT(isnan(rows[0].p_sd) && isfinite(rows[0].p_mean));
    CU_ASSERT_EQUAL(rows[0].q50, fabs(rows[0].p_mean - 0.3));
}

CU_TestInfo cu_sweep_tests[] = {
    { "list_valid", test_list_valid },
    { "list_invalid", test_list_invalid },
    { "cells", test_cells },
    { "grid_invalid", test_grid_invalid },
    { "threads", test_threads },
    { "resume_equivalence", test_resume_equivalence },
    { "blocks_and_id", test_blocks_and_id },
    { "sd_matches_theory", test_sd_matches_theory },
    { "tiny_samples", test_tiny_samples },
    CU_TEST_INFO_NULL
};
