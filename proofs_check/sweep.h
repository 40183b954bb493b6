/* proofs_check/sweep.h — parameter sweeps of the mixing-weight estimators
 * (THEORY.md §6; the experiments behind claims C5–C7 of §7).
 *
 * A sweep is a grid: every combination of a list of dimensions d, of
 * separations Δ, of weights π, of noise levels and of sample sizes n.  In
 * each cell, `reps` replicates each draw a sample set of n points
 * (ddpm_sample_draw) and fit the DDPM estimator p̂ = sigmoid(ŵ_n)
 * (ddpm_fit_ddpm) and/or the maximum-likelihood estimator (ddpm_fit_mle) on
 * the SAME sample.  A cell gives one row per estimator: the mean and standard
 * deviation of p̂ over the replicates, its RMSE about π, quantiles of |p̂ − π|,
 * and the two predictions of sd(p̂): the sandwich sqrt(nvar_p/n) (§6) and the
 * Cramér–Rao bound 1/sqrt(n I(π)) (gmm2_crlb_sd).  A K-component grid
 * (pc_sweep_kmix below; THEORY.md §10) does the same with the K weights.
 *
 * Reproducibility: replicate r of the cell of index i (its index in the FULL
 * grid) draws its sample from the stream seed spl_stream_seed(seed, i, r).
 * Replicates run in parallel (OpenMP) but each writes only its own slot and
 * the statistics are reduced in replicate order, so a row is bit-identical
 * whatever the number of threads, and whether the cell is run alone or as
 * part of the full grid (which is what makes a resumed sweep equal to an
 * uninterrupted one).
 *
 * Library code: nothing is printed; functions return GSL status codes (the
 * convention of common/spl.h: GSL_EINVAL for a NULL pointer or malformed
 * text, GSL_EDOM for a value or index out of range) and, where a user's text
 * is parsed, a one-phrase reason in a caller's buffer.
 *
 * Typical use:
 *     pc_sweep_spec sp; pc_sweep_spec_init(&sp);
 *     pc_sweep_list_parse("1,10,100", &pc_sweep_dom_d, &sp.d, why, sizeof why);
 *     ... (sep, pi, n, alpha the same way) ...
 *     int st; pc_sweep_grid *G = pc_sweep_grid_alloc(&sp, &st, why, sizeof why);
 *     for (size_t i = 0; i < pc_sweep_grid_ncells(G); i++) {
 *         pc_sweep_row rows[PC_SWEEP_NEST]; size_t nr;
 *         pc_sweep_cell_run(G, i, NULL, NULL, rows, &nr);
 *         ... pc_sweep_csv_row(G, &rows[k], line, sizeof line) ...
 *     }
 *     pc_sweep_grid_free(G); pc_sweep_spec_free(&sp);
 */
#ifndef PC_SWEEP_H
#define PC_SWEEP_H

#include <stddef.h>
#include <stdint.h>
#include "ddpm/ddpm.h"
#include "ddpm/kmix.h"
#include "ddpm/schedule.h"
#include "ddpm/weighting.h"

/* Largest grid (cells) and largest list accepted. */
#define PC_SWEEP_MAX_CELLS 10000000u
/* Upper limits for d and n (memory, not mathematics). */
#define PC_SWEEP_D_MAX 1000000000u
#define PC_SWEEP_N_MAX 1000000000u
/* Room for a reason phrase from the parsers / the grid check. */
#define PC_SWEEP_WHY 256

/* ---- lists of values ------------------------------------------------------
 * The admissible values of one grid axis: the interval lo..hi (each end open
 * or closed) and whether values must be integers. */
typedef struct {
    double lo, hi;
    int lo_open, hi_open;
    int integer;
} pc_sweep_domain;

extern const pc_sweep_domain pc_sweep_dom_d;      /* integer [1, 1e9] */
extern const pc_sweep_domain pc_sweep_dom_sep;    /* (0, inf): Δ = 0 is not identifiable */
extern const pc_sweep_domain pc_sweep_dom_pi;     /* (0, 1) */
extern const pc_sweep_domain pc_sweep_dom_n;      /* integer [1, 1e9] */
extern const pc_sweep_domain pc_sweep_dom_alpha;  /* (0, 1) */
/* Steps t of a schedule of T steps: integer [1, T]. */
pc_sweep_domain pc_sweep_dom_t(size_t T);

typedef struct {
    size_t n;
    double *v;      /* (n) the values, in the order given */
} pc_sweep_list;

/* Parse a list: comma-separated items, each either
 *   X          one number;
 *   A:B:N      N equally spaced values from A to B (A ≤ B, N ≥ 1; N = 1 gives A):
 *              A + (B − A)·k/(N − 1), k = 0..N−1, the last one exactly B;
 *   A:B:Nlog   N log-spaced values from A to B (0 < A ≤ B):
 *              A·(B/A)^(k/(N−1)), computed as exp of the linear interpolation
 *              of the logs, the ends exactly A and B.
 * e.g. "1,10,100,1000" = "1:1000:4log", "0.5:4:8", "0.1,0.3,0.5:0.9:3".
 * Values are canonicalised: on an integer domain a range's values are rounded
 * to the nearest integer (explicit values and range ends must be integers);
 * on a real domain every value is rounded to 15 significant digits (so that
 * 0.5:4:4log gives exactly 0.5,1,2,4 and every value prints and re-reads
 * exactly with %.15g).  Every value must lie in dom, and no value may occur
 * twice (after rounding).  At most PC_SWEEP_MAX_CELLS values in all.
 * On success L owns a new array (free with pc_sweep_list_free).  Errors:
 * GSL_EINVAL (syntax: empty list or item, bad number, bad N, A > B, A ≤ 0 in
 * a log range, too many values), GSL_EDOM (a value outside dom, a
 * non-integer where integers are needed, a repeated value), GSL_ENOMEM;
 * then L is {0, NULL} and why (if not NULL) holds a short phrase saying what
 * is wrong, e.g. "N of A:B:N must be an integer in [1, 10000000], got '0'". */
int pc_sweep_list_parse(const char *text, const pc_sweep_domain *dom, pc_sweep_list *L,
                        char *why, size_t whylen);
/* L owning a copy of the n values v. */
int pc_sweep_list_set(pc_sweep_list *L, const double *v, size_t n);
void pc_sweep_list_free(pc_sweep_list *L);   /* frees L->v, sets {0, NULL}; NULL is fine */

/* ---- the grid -------------------------------------------------------------- */
typedef enum {
    PC_SWEEP_LEVEL_ALPHA = 0,   /* a list of a = α values, b = √(1 − a²) */
    PC_SWEEP_LEVEL_STEP  = 1,   /* a list of steps t of a schedule: (a_t, b_t) */
    PC_SWEEP_LEVEL_AVG   = 2    /* t uniform over the schedule, drawn per sample */
} pc_sweep_level;

/* Estimators (bits of pc_sweep_spec.estimators; a row's `estimator`). */
enum { PC_SWEEP_DDPM = 1u, PC_SWEEP_MLE = 2u };
#define PC_SWEEP_NEST 2          /* estimators per cell at most */

/* What each replicate's fits use (THEORY.md §6): the lab's one set of fit
 * settings, DDPM_FIT_* of ddpm/ddpm.h (ddpm_fit_ddpm from w0 = 0 to 1e-13 in
 * w, at most 200 Brent steps; ddpm_fit_mle from π = 1/2 to 1e-12, at most
 * 100000 EM steps). */

/* ---- K components (THEORY.md §10) ------------------------------------------
 * A K-component grid (kmix.K ≥ 2) replaces the axes sep and pi and the
 * shift by ONE set of K means and a list of weight vectors: its axes are
 * d × weight vector × level × n (the sep axis counts 1, its list and the pi
 * list are not used).  The means live in the first r coordinates of R^d
 * (every d ≥ r); their centred span must have rank ≤ 2 (the sandwich is by
 * quadrature, kmix_sandwich_level).  Each replicate draws n points
 * (kmix_sample_draw, explicit or projected) and fits ŵ_n (kmix_fit_ddpm)
 * and/or the MLE (kmix_fit_mle) with KMIX_FIT_*; the level is ALPHA or STEP
 * (AVG is refused: kmix has one level).  Weights and means are rounded to 15
 * significant digits (as real list values are); each weight in (0, 1), each
 * vector summing to 1 within 1e-12, no vector twice, the means distinct. */
typedef struct {
    size_t K;               /* 0: the two-component grid; else K in [2, KMIX_KMAX] */
    size_t r;               /* coordinates of each mean, in [1, KMIX_KMAX − 1] */
    pc_sweep_list pi;       /* (nvec·K) the weight vectors, one after the other */
    pc_sweep_list means;    /* (K·r) the means, row-major */
} pc_sweep_kmix;

typedef struct {
    pc_sweep_list d, sep, pi, n;
    pc_sweep_kmix kmix;           /* K components (kmix.K ≥ 2) instead of sep, pi, shift */
    pc_sweep_level level;
    pc_sweep_list alpha;          /* LEVEL_ALPHA: the a values */
    pc_sweep_list t;              /* LEVEL_STEP: the steps */
    ddpm_schedule_kind schedule;  /* STEP, AVG: DDPM_LINEAR or DDPM_COSINE */
    size_t T;                     /* STEP, AVG: steps of the schedule, ≥ 2 */
    unsigned estimators;          /* PC_SWEEP_DDPM | PC_SWEEP_MLE, not 0 */
    ddpm_mc_mode mc;              /* how each replicate's sample is drawn */
    size_t reps;                  /* replicates per cell, ≥ 1 (the sd needs ≥ 2) */
    uint64_t seed;
    double shift;                 /* c, finite (THEORY.md §1; drops out of p̂'s law) */
    ddpm_weighting weighting;     /* AVG only (others: eps): t ~ q and loss weight λ_t per
                                   * sample (THEORY.md §9); sd_sandwich is the weighted one */
} pc_sweep_spec;

/* Empty lists, level ALPHA, linear schedule of 1000 steps, both estimators,
 * projected draws, 100 replicates, seed 1, shift 0, weighting eps. */
void pc_sweep_spec_init(pc_sweep_spec *sp);   /* nothing for NULL */
void pc_sweep_spec_free(pc_sweep_spec *sp);   /* frees the lists */

/* Number of cells of a spec: the product of the list lengths (the level list
 * counting 1 for AVG), as a double so that a huge product is still exact
 * enough to report (NaN for NULL). */
double pc_sweep_spec_ncells(const pc_sweep_spec *sp);

/* A checked, ready-to-run copy of a spec (it owns copies of the lists and
 * the schedule).  NULL on error with *status set and a reason in why:
 * GSL_EINVAL (an empty list, no estimator, bad mc, schedule or T, more than
 * PC_SWEEP_MAX_CELLS cells), GSL_EDOM (a value outside its domain — sep ≤ 0,
 * π ∉ (0,1), t > T … —, reps = 0, a non-finite shift), GSL_ENOMEM. */
typedef struct pc_sweep_grid pc_sweep_grid;
pc_sweep_grid *pc_sweep_grid_alloc(const pc_sweep_spec *sp, int *status, char *why, size_t whylen);
void pc_sweep_grid_free(pc_sweep_grid *G);    /* NULL is fine */
const pc_sweep_spec *pc_sweep_grid_spec(const pc_sweep_grid *G);
size_t pc_sweep_grid_ncells(const pc_sweep_grid *G);
/* Number of values on the noise-level axis (1 for AVG). */
size_t pc_sweep_grid_nlevels(const pc_sweep_grid *G);

/* The sweep's identity: 16 hexadecimal digits (and a '\0') into id[17],
 * a hash (zlib's CRC-32 and Adler-32 side by side) of a canonical text of
 * everything that determines the rows but the order of work: every list
 * value (%.17g), the level kind, schedule and T, estimators, mc, reps, seed
 * and shift.  Two grids with the same id write the same rows (the `seconds`
 * column aside).  GSL_EINVAL for NULL arguments, GSL_ENOMEM. */
#define PC_SWEEP_ID_LEN 17
int pc_sweep_grid_id(const pc_sweep_grid *G, char id[PC_SWEEP_ID_LEN]);

/* ---- cells -----------------------------------------------------------------
 * Cells are numbered row-major over (d, sep, pi, level, n), n fastest:
 *   index = (((i_d·N_sep + i_sep)·N_pi + i_pi)·N_level + i_level)·N_n + i_n,
 * i_x the position of the cell's value in the list given for x.  K
 * components: N_sep = 1 and N_pi = the number of weight vectors. */
typedef struct {
    size_t index;
    size_t i_d, i_sep, i_pi, i_level, i_n;   /* positions in the lists */
    size_t d, n;
    double sep, pi;  /* K components: NaN */
    size_t K;        /* 0, or the components of a K-component grid */
    const double *kpi;   /* K components: the cell's weight vector (K; owned by the grid); else NULL */
    size_t t;        /* STEP: the step; else 0 */
    double a, b;     /* ALPHA, STEP: the level; AVG: NaN */
} pc_sweep_cell;

/* The cell of a given index.  GSL_EDOM if index ≥ the number of cells. */
int pc_sweep_cell_at(const pc_sweep_grid *G, size_t index, pc_sweep_cell *c);
/* The index of the cell at list positions (i_d, i_sep, i_pi, i_level, i_n);
 * GSL_EDOM if one is out of range. */
int pc_sweep_cell_index(const pc_sweep_grid *G, size_t i_d, size_t i_sep, size_t i_pi,
                        size_t i_level, size_t i_n, size_t *index);

/* One row: a cell and one estimator. */
typedef struct {
    pc_sweep_cell cell;
    unsigned estimator;   /* PC_SWEEP_DDPM or PC_SWEEP_MLE */
    size_t reps;
    double p_mean;        /* mean of p̂ over the replicates */
    double p_sd;          /* its sample standard deviation (divisor reps − 1); NaN if reps = 1 */
    double rmse;          /* sqrt(mean (p̂ − π)²) */
    double q50, q90, q99; /* quantiles of |p̂ − π| (gsl_stats_quantile_from_sorted_data) */
    double sd_sandwich;   /* sqrt(nvar_p / n), ddpm_sandwich_level / _avg */
    double sd_crlb;       /* gmm2_crlb_sd(π, Δ, n) */
    size_t nonconv;       /* replicates whose fit did not converge (p̂ kept: the
                           * last iterate, or 0 / 1 when the empirical loss has
                           * no minimiser in |w| ≤ 60 and p̂ runs to the boundary) */
    double seconds;       /* wall time of the whole cell (all estimators) */
    /* K components (cell.K ≥ 2): p_mean, p_sd, q50..q99 are NaN, and
     *   rmse        = sqrt(mean_r Σ_k (p̂_rk − π_k)²), the error of the vector p̂;
     *   rmse_se     its standard error, se(mse)/(2 rmse), se(mse) = sd_r(e_r)/√R
     *               of the replicates' squared errors e_r (NaN for R = 1);
     *   sd_sandwich = sqrt(tr Cov_p / n), Cov_p = J B⁻¹AB⁻¹ Jᵀ (kmix_sandwich_level):
     *               the sandwich prediction of rmse;
     *   sd_crlb     = sqrt(tr CRLB_p / n), the asymptotic rmse of the MLE;
     * and per component k < K: */
    double rmse_se;
    double kp_mean[KMIX_KMAX], kp_sd[KMIX_KMAX];        /* mean, sd (R − 1) of p̂_k */
    double ksd_sandwich[KMIX_KMAX], ksd_crlb[KMIX_KMAX]; /* sqrt(Cov_p[k][k]/n), sqrt(CRLB_p[k][k]/n) */
} pc_sweep_row;

/* Progress hook: called after each replicate, by the thread that ran it,
 * one call at a time (an OpenMP critical section), with the number of
 * replicates finished so far in this cell.  May be NULL. */
typedef void (*pc_sweep_progress_fn)(void *ctx, size_t reps_done, size_t reps);

/* Run cell `index`: reps replicates in parallel over OpenMP's threads, each
 * drawing its sample from stream spl_stream_seed(seed, index, r) and fitting
 * the chosen estimators on it; then the rows, one per estimator in the order
 * ddpm, mle, into rows[0 .. *nrows−1].  Errors: GSL_EDOM (bad index),
 * GSL_ENOMEM, or a fit's or quadrature's own failure status (a fit that only
 * fails to converge is counted in nonconv, not an error). */
int pc_sweep_cell_run(const pc_sweep_grid *G, size_t index, pc_sweep_progress_fn progress,
                      void *ctx, pc_sweep_row rows[PC_SWEEP_NEST], size_t *nrows);

/* A relative estimate of the work of cell `index`, for ordering and
 * splitting work (cli/dist.c), never for results: reps · n · (d + 21) with
 * explicit draws (a replicate draws n(d + 1) numbers, and its fits make ~20
 * passes over the n points), reps · n · 22 with projected draws (d counts 1).
 * Measured on the F3 grid it is proportional to a cell's time within 25 %
 * for d ≥ 3 (docs/mpi.md).  K components: times K/2.  0 for a NULL grid or
 * a bad index. */
double pc_sweep_cell_cost(const pc_sweep_grid *G, size_t index);

/* The same in two steps, so that a cell's replicates can be computed in
 * blocks on different processes (cli/dist.c) and still give the same rows.
 * pc_sweep_cell_reps: replicates r0 .. r1−1 (0 ≤ r0 ≤ r1 ≤ reps) of cell
 * `index`, replicate r from stream spl_stream_seed(seed, index, r) as in
 * pc_sweep_cell_run; p̂ of each estimator into p_ddpm[r − r0], p_mle[r − r0]
 * (NaN for an estimator not in the spec), 1 in nc_*[r − r0] where that fit
 * did not converge.  K components: p̂ is a vector, W = K values per
 * replicate, p_ddpm[(r − r0)·W + k] (W = 1 otherwise: pc_sweep_grid_width).  pc_sweep_cell_rows: the rows of the cell from all its
 * replicates (arrays of `reps` values, in replicate order) with `seconds`
 * as their wall time — bit-identical to pc_sweep_cell_run's rows.  Errors
 * as pc_sweep_cell_run; GSL_EINVAL for NULL arrays, GSL_EDOM for a bad range. */
int pc_sweep_cell_reps(const pc_sweep_grid *G, size_t index, size_t r0, size_t r1,
                       pc_sweep_progress_fn progress, void *ctx, double *p_ddpm, double *p_mle,
                       unsigned char *nc_ddpm, unsigned char *nc_mle);
/* Values of p̂ per replicate and estimator: K for a K-component grid, else 1
 * (0 for NULL). */
size_t pc_sweep_grid_width(const pc_sweep_grid *G);
int pc_sweep_cell_rows(const pc_sweep_grid *G, size_t index, const double *p_ddpm,
                       const double *p_mle, const unsigned char *nc_ddpm,
                       const unsigned char *nc_mle, double seconds,
                       pc_sweep_row rows[PC_SWEEP_NEST], size_t *nrows);

/* ---- CSV -------------------------------------------------------------------
 * Header (one row per cell and estimator):
 *   cell,d,sep,pi,n,level,schedule,T,t,alpha,estimator,mc,reps,seed,shift,
 *   p_mean,p_sd,rmse,abserr_q50,abserr_q90,abserr_q99,sd_sandwich,sd_crlb,
 *   nonconv,seconds
 * level is alpha|t|avg; schedule, T are empty for alpha; t is empty unless
 * level = t; alpha is the a of the level (for t: a_t of the schedule), empty
 * for avg.  The key (cell … shift) is printed with %.15g / %zu so it re-reads
 * exactly; statistics with %.10g, seconds with %.3f.  Lines carry no '\n'.
 * A K-component grid writes the same number of fields, the estimator and
 * seconds in the same places, under pc_sweep_csv_kheader():
 *   cell,d,K,pi,n,level,schedule,T,t,alpha,estimator,mc,reps,seed,means,
 *   rmse,rmse_se,rmse_sandwich,rmse_crlb,p_mean,p_sd,sd_sandwich,sd_crlb,
 *   nonconv,seconds
 * pi: the weight vector, K values joined by ';'; means: the K means joined
 * by ';', the r coordinates of each by ' ' (%.15g); p_mean … sd_crlb: K
 * values joined by ';' (the row's kp_mean, kp_sd, ksd_sandwich, ksd_crlb);
 * rmse_sandwich, rmse_crlb: the row's sd_sandwich, sd_crlb. */
const char *pc_sweep_csv_header(void);
const char *pc_sweep_csv_kheader(void);
#define PC_SWEEP_CSV_NKEY 15        /* fields cell … shift */
#define PC_SWEEP_CSV_NFIELDS 25     /* all fields */
#define PC_SWEEP_CSV_LINE 8192      /* room for one line (K components: K·r means) */
/* The key fields (cell … shift, no trailing comma) of (index, estimator).
 * GSL_EINVAL for G or buf NULL, an unknown estimator or a line longer than
 * len; GSL_EDOM for a bad index. */
int pc_sweep_csv_key(const pc_sweep_grid *G, size_t index, unsigned estimator,
                     char *buf, size_t len);
/* The whole line of a row.  GSL_EINVAL if it does not fit in len. */
int pc_sweep_csv_row(const pc_sweep_grid *G, const pc_sweep_row *row, char *buf, size_t len);
/* Is `line` (no '\n') a row of this grid?  GSL_SUCCESS with its cell index
 * and estimator if it has PC_SWEEP_CSV_NFIELDS fields and its key fields are
 * exactly those this grid prints for that cell and estimator (same grid
 * values at the same index, same reps, seed, mc, shift); else GSL_EINVAL. */
int pc_sweep_csv_match(const pc_sweep_grid *G, const char *line, size_t *index,
                       unsigned *estimator);

/* "ddpm" | "mle"; NULL for anything else. */
const char *pc_sweep_estimator_name(unsigned estimator);
/* A comma list of estimator names ("ddpm,mle", "mle") into a bit set; each
 * at most once.  GSL_EINVAL with a reason otherwise. */
int pc_sweep_estimators_parse(const char *text, unsigned *set, char *why, size_t whylen);

#endif
