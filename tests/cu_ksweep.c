/* tests/cu_ksweep.c — K-component sweeps (proofs_check/sweep.h, pc_sweep_kmix;
 * THEORY.md §10): a K = 3 cell's error against the sandwich prediction
 * within its sampling error, the statistics recomputed from the raw
 * replicates, the K = 2 reduction against the two-component grid, and the
 * property tests that shards and MPI rely on (threads, blocks, a cell alone
 * or in its grid, the CSV key). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>
#include <gsl/gsl_errno.h>
#include "ddpm/kmix.h"
#include "proofs_check/sweep.h"
#include "tests/cu_util.h"

/* C13's mixture: three means on a circle of radius 1.5 in a plane (r = 2),
 * to 15 significant digits as the grid keeps them (the centred means' two
 * singular values are equal, so the basis U, and with it the tensor
 * quadrature's nodes, turn with any rounding of the means: the quadrature's
 * 1e-9 error would show). */
static void circle(double *mu)
{
    char buf[40];
    for (int k = 0; k < 3; k++) {
        double t = M_PI / 2 + 2 * M_PI * k / 3;
        snprintf(buf, sizeof buf, "%.15g", 1.5 * cos(t));
        mu[2 * k] = strtod(buf, NULL);
        snprintf(buf, sizeof buf, "%.15g", 1.5 * sin(t));
        mu[2 * k + 1] = strtod(buf, NULL);
    }
}

static void set(pc_sweep_list *L, const double *v, size_t n)
{
    CU_ASSERT_EQUAL_FATAL(pc_sweep_list_set(L, v, n), GSL_SUCCESS);
}

/* A K-component spec: means (K x r), nv weight vectors, lists of d, n, alpha. */
static void kspec(pc_sweep_spec *sp, size_t K, size_t r, const double *mu, const double *pi, size_t nv,
                  const double *d, size_t nd, const double *n, size_t nn, const double *alpha, size_t na,
                  size_t reps, ddpm_mc_mode mc, unsigned est)
{
    pc_sweep_spec_init(sp);
    sp->kmix.K = K;
    sp->kmix.r = r;
    set(&sp->kmix.pi, pi, nv * K);
    set(&sp->kmix.means, mu, K * r);
    set(&sp->d, d, nd);
    set(&sp->n, n, nn);
    set(&sp->alpha, alpha, na);
    sp->reps = reps;
    sp->mc = mc;
    sp->estimators = est;
    sp->seed = 14;
}

static pc_sweep_grid *kgrid(pc_sweep_spec *sp)
{
    int st;
    char why[PC_SWEEP_WHY] = "";
    pc_sweep_grid *G = pc_sweep_grid_alloc(sp, &st, why, sizeof why);
    if (!G) fprintf(stderr, "\n  grid refused: %s\n", why);
    pc_sweep_spec_free(sp);
    return G;
}

/* Everything but the wall time, bitwise (NaN equal to NaN). */
static int krows_same(const pc_sweep_row *a, const pc_sweep_row *b)
{
    const size_t K = a->cell.K;
    if (a->cell.index != b->cell.index || a->estimator != b->estimator || a->reps != b->reps
        || a->nonconv != b->nonconv || b->cell.K != K || K < 2)
        return 0;
    const double x[] = { a->rmse, a->rmse_se, a->sd_sandwich, a->sd_crlb };
    const double y[] = { b->rmse, b->rmse_se, b->sd_sandwich, b->sd_crlb };
    return !memcmp(x, y, sizeof x) && !memcmp(a->kp_mean, b->kp_mean, K * sizeof(double))
           && !memcmp(a->kp_sd, b->kp_sd, K * sizeof(double))
           && !memcmp(a->ksd_sandwich, b->ksd_sandwich, K * sizeof(double))
           && !memcmp(a->ksd_crlb, b->ksd_crlb, K * sizeof(double));
}

/* ---- the sandwich: K = 3, one cell, R replicates ---------------------------- */

static void test_k3_sandwich(void)
{
    /* The cell's mean squared error of p̂ (a vector) against the sandwich
     * prediction tr(J B⁻¹AB⁻¹ Jᵀ)/n, and each component's variance against
     * its diagonal entry, within 4 standard errors of the replicates; the
     * MLE against the CRLB the same way.  The row's statistics are also
     * recomputed here from the raw replicates, and its predictions from
     * kmix_sandwich_level with the delta method written out. */
    const size_t K = 3, R = 300, n = 800;
    const double pi[3] = { 0.2, 0.3, 0.5 }, a = 0.7;
    double mu[6];
    circle(mu);
    pc_sweep_spec sp;
    kspec(&sp, K, 2, mu, pi, 1, (double[]){ 3 }, 1, (double[]){ (double)n }, 1, &a, 1, R, DDPM_MC_PROJECTED,
          PC_SWEEP_DDPM | PC_SWEEP_MLE);
    pc_sweep_grid *G = kgrid(&sp);
    CU_ASSERT_PTR_NOT_NULL_FATAL(G);
    CU_ASSERT_EQUAL(pc_sweep_grid_width(G), K);
    double t0 = omp_get_wtime();
    double *p = malloc(2 * R * K * sizeof *p);
    unsigned char *nc = malloc(2 * R);
    CU_ASSERT_FATAL(p && nc);
    CU_ASSERT_EQUAL_FATAL(pc_sweep_cell_reps(G, 0, 0, R, NULL, NULL, p, p + R * K, nc, nc + R), GSL_SUCCESS);
    pc_sweep_row rows[PC_SWEEP_NEST];
    size_t nr = 0;
    CU_ASSERT_EQUAL_FATAL(pc_sweep_cell_rows(G, 0, p, p + R * K, nc, nc + R, 0.0, rows, &nr), GSL_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(nr, 2);
    double secs = omp_get_wtime() - t0;

    /* the predictions, independently of the row: B⁻¹AB⁻¹ in w, J = ∂p/∂w */
    kmix *m = kmix_alloc(K, 3, NULL);      /* in R^3, as the cell (d = 3) */
    kmix_quad *q = kmix_quad_alloc(0, 0, NULL);
    CU_ASSERT_FATAL(m && q);
    double mu3[9] = { mu[0], mu[1], 0, mu[2], mu[3], 0, mu[4], mu[5], 0 };
    CU_ASSERT_EQUAL_FATAL(kmix_set(m, pi, mu3, NULL, 0), GSL_SUCCESS);
    kmix_sandwich sw;
    CU_ASSERT_EQUAL_FATAL(kmix_sandwich_level(q, m, a, ddpm_b_of_a(a), &sw), GSL_SUCCESS);
    double covp[9] = { 0 }, J[9 * 2];
    for (size_t i = 0; i < K; i++)
        for (size_t j = 0; j + 1 < K; j++) J[i * 2 + j] = pi[i] * ((i == j) - pi[j]);
    for (size_t i = 0; i < K; i++)
        for (size_t l = 0; l < K; l++)
            for (size_t j = 0; j < 2; j++)
                for (size_t k = 0; k < 2; k++) covp[i * K + l] += J[i * 2 + j] * sw.cov_w[j * 2 + k] * J[l * 2 + k];
    double tr = covp[0] + covp[4] + covp[8];
    ASSERT_REL(rows[0].sd_sandwich, sqrt(tr / n), 1e-13);
    for (size_t k = 0; k < K; k++) ASSERT_REL(rows[0].ksd_sandwich[k], sqrt(covp[k * K + k] / n), 1e-13);

    for (size_t e = 0; e < 2; e++) {
        const pc_sweep_row *row = &rows[e];
        const double *pe = p + e * R * K;
        /* statistics from the raw replicates */
        double s = 0, s2 = 0;
        for (size_t r = 0; r < R; r++) {
            double e2 = 0;
            for (size_t k = 0; k < K; k++) e2 += pow(pe[r * K + k] - pi[k], 2);
            s += e2;
            s2 += e2 * e2;
        }
        double mse = s / R, se = sqrt((s2 / R - mse * mse) / (R - 1.0));
        ASSERT_REL(row->rmse, sqrt(mse), 1e-12);
        ASSERT_REL(row->rmse_se, se / (2 * sqrt(mse)), 1e-6);
        /* mean squared error against the prediction: within 4 SE */
        double pred = e == 0 ? tr / n : row->sd_crlb * row->sd_crlb;
        double z = (mse - pred) / se;
        printf("\n  K=3 cell (%s, R=%zu, n=%zu): n*E|p_hat-pi|^2 = %.5f, predicted %.5f (z = %.2f); %.2f s",
               e ? "mle, CRLB" : "ddpm, sandwich", R, n, n * mse, n * pred, z, secs);
        CU_ASSERT(fabs(z) < 4);
        for (size_t k = 0; k < K; k++) {
            double v = row->kp_sd[k] * row->kp_sd[k];
            double pk = e == 0 ? row->ksd_sandwich[k] : row->ksd_crlb[k];
            double zk = (v - pk * pk) / (pk * pk * sqrt(2.0 / (R - 1.0)));
            printf("\n    p_%zu: n*Var %.5f, predicted %.5f (z = %.2f)", k + 1, n * v, n * pk * pk, zk);
            CU_ASSERT(fabs(zk) < 4);
            CU_ASSERT(fabs(row->kp_mean[k] - pi[k]) < 4 * row->kp_sd[k] / sqrt((double)R));
        }
        CU_ASSERT_EQUAL(row->nonconv, 0);
        CU_ASSERT(isnan(row->p_mean) && isnan(row->p_sd));
    }
    /* the MLE is the more efficient: its prediction below the sandwich's */
    CU_ASSERT(rows[0].sd_crlb < rows[0].sd_sandwich);
    kmix_quad_free(q);
    kmix_free(m);
    free(p);
    free(nc);
    pc_sweep_grid_free(G);
}

/* ---- K = 2 against the two-component grid ----------------------------------- */

static void test_k2_reduction(void)
{
    /* Means ±1, weights (0.3, 0.7), against sep 2, pi 0.3: two independent
     * implementations of the predictions (kmix_sandwich_level and
     * ddpm_sandwich_level, gmm2_crlb_sd) agree to 1e-9, and the measured
     * errors (other draws, other fits) agree within their sampling error.
     * (The CLI maps --kpi of K = 2 to the two-component grid itself, whose
     * rows are byte-identical: tests/cli/ksweep.sh.) */
    const size_t R = 200, n = 500;
    const double a = 0.6;
    pc_sweep_spec sp;
    kspec(&sp, 2, 1, (double[]){ 1, -1 }, (double[]){ 0.3, 0.7 }, 1, (double[]){ 2 }, 1,
          (double[]){ (double)n }, 1, &a, 1, R, DDPM_MC_EXPLICIT, PC_SWEEP_DDPM | PC_SWEEP_MLE);
    pc_sweep_grid *G = kgrid(&sp);
    pc_sweep_spec_init(&sp);
    set(&sp.d, (double[]){ 2 }, 1);
    set(&sp.sep, (double[]){ 2 }, 1);
    set(&sp.pi, (double[]){ 0.3 }, 1);
    set(&sp.n, (double[]){ (double)n }, 1);
    set(&sp.alpha, &a, 1);
    sp.reps = R;
    sp.mc = DDPM_MC_EXPLICIT;
    sp.seed = 14;
    pc_sweep_grid *H = kgrid(&sp);
    CU_ASSERT_FATAL(G && H);
    CU_ASSERT_EQUAL(pc_sweep_grid_width(H), 1);
    pc_sweep_row rk[PC_SWEEP_NEST], r2[PC_SWEEP_NEST];
    size_t n1 = 0, n2 = 0;
    CU_ASSERT_EQUAL_FATAL(pc_sweep_cell_run(G, 0, NULL, NULL, rk, &n1), GSL_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(pc_sweep_cell_run(H, 0, NULL, NULL, r2, &n2), GSL_SUCCESS);
    CU_ASSERT_FATAL(n1 == 2 && n2 == 2);
    for (size_t e = 0; e < 2; e++) {
        ASSERT_REL(rk[e].ksd_sandwich[0], r2[e].sd_sandwich, 1e-9);
        ASSERT_REL(rk[e].ksd_sandwich[1], r2[e].sd_sandwich, 1e-9);
        ASSERT_REL(rk[e].sd_sandwich, sqrt(2.0) * r2[e].sd_sandwich, 1e-9);
        ASSERT_REL(rk[e].ksd_crlb[0], r2[e].sd_crlb, 1e-9);
        ASSERT_REL(rk[e].sd_crlb, sqrt(2.0) * r2[e].sd_crlb, 1e-9);
        /* |p̂ − π|² of the vector is twice that of p̂_1: rmse/√2 against the
         * two-component rmse, each with its SE (SE of rmse from its spread) */
        double x = rk[e].rmse / sqrt(2.0), sx = rk[e].rmse_se / sqrt(2.0);
        double y = r2[e].rmse, sy = r2[e].p_sd / sqrt(2.0 * R);
        double z = (x - y) / sqrt(sx * sx + sy * sy);
        printf("\n  K=2 %s: rmse(p1) %.10g (K route) vs %.10g (two-component), z = %.2g", e ? "mle" : "ddpm", x, y, z);
        CU_ASSERT(fabs(z) < 4);
        /* explicit draws from the same streams give the same points (kmix_sample_draw
         * and ddpm_sample_draw draw alike): the two fits of one empirical loss agree
         * to their tolerances, far inside the sampling error */
        ASSERT_REL(x, y, 1e-6);
        ASSERT_REL(rk[e].kp_sd[0], rk[e].kp_sd[1], 1e-9);   /* p̂_2 = 1 − p̂_1 */
    }
    pc_sweep_grid_free(G);
    pc_sweep_grid_free(H);
}

/* ---- properties: threads, blocks, a cell alone, the CSV ---------------------- */

static pc_sweep_grid *small_kgrid(size_t reps, double w0)
{
    /* K = 4 on a line, two weight vectors, d 1 and 5, n 60 and 150: 8 cells */
    pc_sweep_spec sp;
    const double pi[8] = { w0, 0.2, 0.3, 0.5 - w0, 0.25, 0.25, 0.25, 0.25 };
    kspec(&sp, 4, 1, (double[]){ -1.5, -0.5, 0.7, 2 }, pi, 2, (double[]){ 1, 5 }, 2, (double[]){ 60, 150 }, 2,
          (double[]){ 0.8 }, 1, reps, DDPM_MC_EXPLICIT, PC_SWEEP_DDPM | PC_SWEEP_MLE);
    return kgrid(&sp);
}

static void test_k_properties(void)
{
    /* Property tests (the program against itself): 1 and 2 threads, uneven
     * blocks of replicates in reverse order, every cell alone from a new grid
     * object in reverse order: bit-identical rows.  The CSV line of each row
     * matches its own cell and no other grid's. */
    const size_t R = 9, K = 4;
    pc_sweep_grid *G = small_kgrid(R, 0.1), *H = small_kgrid(R, 0.1), *O = small_kgrid(R, 0.15);
    CU_ASSERT_FATAL(G && H && O);
    const size_t N = pc_sweep_grid_ncells(G);
    CU_ASSERT_EQUAL_FATAL(N, 8);
    int saved = omp_get_max_threads();
    pc_sweep_row all[8][PC_SWEEP_NEST];
    double *p = malloc(2 * R * K * sizeof *p);
    unsigned char *nc = malloc(2 * R);
    CU_ASSERT_FATAL(p && nc);
    omp_set_num_threads(1);
    for (size_t i = 0; i < N; i++) {
        size_t nr = 0;
        CU_ASSERT_EQUAL(pc_sweep_cell_run(G, i, NULL, NULL, all[i], &nr), GSL_SUCCESS);
        CU_ASSERT_EQUAL(nr, 2);
    }
    omp_set_num_threads(2);
    const size_t cuts[] = { 0, 2, 7, R };
    char line[PC_SWEEP_CSV_LINE], idh[PC_SWEEP_ID_LEN], ido[PC_SWEEP_ID_LEN];
    for (size_t i = N; i-- > 0; ) {
        pc_sweep_row one[PC_SWEEP_NEST], parts[PC_SWEEP_NEST];
        size_t nr = 0, np = 0;
        CU_ASSERT_EQUAL(pc_sweep_cell_run(H, i, NULL, NULL, one, &nr), GSL_SUCCESS);
        for (size_t b = 3; b-- > 0; )
            CU_ASSERT_EQUAL(pc_sweep_cell_reps(H, i, cuts[b], cuts[b + 1], NULL, NULL, p + cuts[b] * K,
                                               p + R * K + cuts[b] * K, nc + cuts[b], nc + R + cuts[b]), GSL_SUCCESS);
        CU_ASSERT_EQUAL(pc_sweep_cell_rows(H, i, p, p + R * K, nc, nc + R, 0.0, parts, &np), GSL_SUCCESS);
        for (size_t e = 0; e < 2; e++) {
            CU_ASSERT(krows_same(&one[e], &all[i][e]));
            CU_ASSERT(krows_same(&parts[e], &all[i][e]));
            size_t idx;
            unsigned est;
            CU_ASSERT_EQUAL_FATAL(pc_sweep_csv_row(H, &one[e], line, sizeof line), GSL_SUCCESS);
            CU_ASSERT_EQUAL(pc_sweep_csv_match(G, line, &idx, &est), GSL_SUCCESS);
            CU_ASSERT(idx == i && est == one[e].estimator);
            /* O differs in the first weight vector only */
            CU_ASSERT_EQUAL(pc_sweep_csv_match(O, line, &idx, &est), one[e].cell.i_pi == 0 ? GSL_EINVAL : GSL_SUCCESS);
        }
        CU_ASSERT(isfinite(one[0].rmse) && isfinite(one[0].rmse_se) && one[0].cell.K == K);
    }
    omp_set_num_threads(saved);
    /* a line: 25 fields, the header's; the weights and means as printed */
    CU_ASSERT_EQUAL(pc_sweep_csv_row(G, &all[7][0], line, sizeof line), GSL_SUCCESS);
    size_t commas = 0, hcommas = 0;
    for (const char *s = line; *s; s++) commas += *s == ',';
    for (const char *s = pc_sweep_csv_kheader(); *s; s++) hcommas += *s == ',';
    CU_ASSERT(commas + 1 == PC_SWEEP_CSV_NFIELDS && hcommas + 1 == PC_SWEEP_CSV_NFIELDS);
    const char *key = "7,5,4,0.25;0.25;0.25;0.25,150,alpha,,,,0.8,ddpm,explicit,9,14,-1.5;-0.5;0.7;2,";
    CU_ASSERT(strncmp(line, key, strlen(key)) == 0);
    /* the id: same spec same id, another weight another id */
    CU_ASSERT_EQUAL(pc_sweep_grid_id(H, idh), GSL_SUCCESS);
    CU_ASSERT_EQUAL(pc_sweep_grid_id(O, ido), GSL_SUCCESS);
    CU_ASSERT_STRING_NOT_EQUAL(idh, ido);
    /* the cost grows with K: half K times that of a two-component cell */
    pc_sweep_cell c;
    CU_ASSERT_EQUAL(pc_sweep_cell_at(G, 3, &c), GSL_SUCCESS);
    CU_ASSERT_DOUBLE_EQUAL(pc_sweep_cell_cost(G, 3), R * (double)c.n * (c.d + 21.0) * 2.0, 1e-6);
    free(p);
    free(nc);
    pc_sweep_grid_free(G);
    pc_sweep_grid_free(H);
    pc_sweep_grid_free(O);
}

static void test_k_invalid(void)
{
    /* Specs that must be refused, with their status. */
    double mu3[6];
    circle(mu3);
    const double pi3[3] = { 0.2, 0.3, 0.5 }, one = 1, n = 50, alpha = 0.5;
    struct { const char *what; size_t K, r; const double *mu; double pi[6]; size_t nv; double d; int level; int st; } c[] = {
        { "sum 1 + 1e-9", 3, 2, mu3, { 0.2, 0.3, 0.500000001 }, 1, 3, 0, GSL_EDOM },
        { "a weight 0", 3, 2, mu3, { 0, 0.5, 0.5 }, 1, 3, 0, GSL_EDOM },
        { "a vector twice", 3, 2, mu3, { 0.2, 0.3, 0.5, 0.2, 0.3, 0.5 }, 2, 3, 0, GSL_EDOM },
        { "d < r", 3, 2, mu3, { 0.2, 0.3, 0.5 }, 1, 1, 0, GSL_EDOM },
        { "level avg", 3, 2, mu3, { 0.2, 0.3, 0.5 }, 1, 3, 2, GSL_EINVAL },
        { "K = 1", 1, 2, mu3, { 1 }, 1, 3, 0, GSL_EDOM },
        { "repeated means", 3, 1, (double[]){ 1, 2, 1 }, { 0.2, 0.3, 0.5 }, 1, 3, 0, GSL_EDOM },
        { "rank 3", 4, 3, (double[]){ 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1 }, { 0.1, 0.2, 0.3, 0.4 }, 1, 3, 0, GSL_EDOM },
    };
    (void)pi3;
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        pc_sweep_spec sp;
        kspec(&sp, c[i].K, c[i].r, c[i].mu, c[i].pi, c[i].nv, &c[i].d, 1, &n, 1, &alpha, 1, 10, DDPM_MC_PROJECTED,
              PC_SWEEP_DDPM);
        if (c[i].level == 2) sp.level = PC_SWEEP_LEVEL_AVG;
        int st = GSL_SUCCESS;
        char why[PC_SWEEP_WHY] = "";
        pc_sweep_grid *G = pc_sweep_grid_alloc(&sp, &st, why, sizeof why);
        if (G || st != c[i].st) fprintf(stderr, "\n  %s: status %d (%s), expected %d", c[i].what, st, why, c[i].st);
        CU_ASSERT(G == NULL && st == c[i].st && why[0] != '\0');
        pc_sweep_grid_free(G);
        pc_sweep_spec_free(&sp);
    }
    (void)one;
}

CU_TestInfo cu_ksweep_tests[] = {
    { "k3_sandwich", test_k3_sandwich },
    { "k2_reduction", test_k2_reduction },
    { "k_properties", test_k_properties },
    { "k_invalid", test_k_invalid },
    CU_TEST_INFO_NULL
};
