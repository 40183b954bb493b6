/* cli/cmd_sweep.c — spirelab sweep: the DDPM and maximum-likelihood
 * estimators of the mixing weight over a grid of (d, sep, pi, noise level, n),
 * `reps` replicates per cell, one CSV row per cell and estimator
 * (THEORY.md §6; the library side is proofs_check/sweep.h).
 * Parsing, validation, the output file (atomic writes, --resume), progress;
 * the mathematics is in ddpm/, gmm/ and proofs_check/sweep.c. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <omp.h>
#include <gsl/gsl_errno.h>
#include "cli/cli.h"
#include "cli/dist.h"
#include "cli/kopts.h"
#include "cli/opts.h"
#include "common/spl_buf.h"
#include "common/spl_file.h"
#include "proofs_check/sweep.h"

enum { OPT_ESTIMATOR = OPT_COMMON_END, OPT_REPS, OPT_THREADS, OPT_OUT, OPT_RESUME, OPT_SHARD, OPT_MERGE, OPT_KPI };

static const struct option longopts[] = {
    OPT_LONG_HELP,
    { "d", required_argument, NULL, OPT_D },
    { "sep", required_argument, NULL, OPT_SEP },
    { "pi", required_argument, NULL, OPT_PI },
    { "kpi", required_argument, NULL, OPT_KPI },
    KOPT_LONG,
    { "n", required_argument, NULL, OPT_N },
    { "shift", required_argument, NULL, OPT_SHIFT },
    { "seed", required_argument, NULL, OPT_SEED },
    { "alpha", required_argument, NULL, OPT_ALPHA },
    { "t", required_argument, NULL, OPT_T },
    { "T", required_argument, NULL, OPT_TT },
    { "schedule", required_argument, NULL, OPT_SCHEDULE },
    { "avg", no_argument, NULL, OPT_AVG },
    OPT_LONG_WEIGHTING,
    { "mc", required_argument, NULL, OPT_MC },
    { "estimator", required_argument, NULL, OPT_ESTIMATOR },
    { "reps", required_argument, NULL, OPT_REPS },
    { "threads", required_argument, NULL, OPT_THREADS },
    { "out", required_argument, NULL, OPT_OUT },
    { "resume", no_argument, NULL, OPT_RESUME },
    { "shard", required_argument, NULL, OPT_SHARD },
    { "merge", no_argument, NULL, OPT_MERGE },
    { NULL, 0, NULL, 0 }
};

#define SWEEP_D_DEFAULT     "1"
#define SWEEP_SEP_DEFAULT   "2"
#define SWEEP_PI_DEFAULT    "0.3"
#define SWEEP_N_DEFAULT     "1000"
#define SWEEP_ALPHA_DEFAULT "0.7"
#define SWEEP_REPS_MAX      10000000u
#define SWEEP_THREADS_MAX   4096u
#define SWEEP_WRITE_EVERY   1.0     /* seconds between rewrites of --out, at least, */
#define SWEEP_WRITE_SHARE   10.0    /* and at least this many times the last write's duration */

static void usage(FILE *f)
{
    fprintf(f,
"usage: spirelab sweep [options]\n"
"\n"
"Sampling distribution of the mixing-weight estimators over a grid (THEORY.md s6).\n"
"Every cell of the grid d x sep x pi x level x n runs --reps replicates; each\n"
"replicate draws n samples (x0, eps) at the cell's noise level and fits, on\n"
"the same sample, the DDPM estimator (minimiser of the empirical loss) and/or\n"
"the maximum-likelihood estimator (EM on x0, means known).  Replicate r of\n"
"cell i (its index in the full grid) draws from stream (seed, i, r): the\n"
"output does not depend on --threads, nor on whether the sweep was resumed.\n"
"\n"
"Lists: LIST is comma-separated items, each X, or A:B:N (N equally spaced\n"
"values from A to B, A <= B; N = 1 gives A), or A:B:Nlog (N log-spaced values\n"
"from A to B, 0 < A <= B).  E.g. --d 1:1000:4log = --d 1,10,100,1000,\n"
"--sep 0.5:4:8, --pi 0.1,0.3.  On the integer axes (d, n, t) range values are\n"
"rounded to integers; real values are rounded to 15 significant digits.  No\n"
"value may repeat.  At most %u cells.\n"
"\n"
"grid:\n"
"  --d LIST             dimensions, integers in [1, %u] (default %s)\n"
"  --sep LIST           separations |mu1 - mu2|, numbers > 0 (default %s;\n"
"                       sep = 0 is not identifiable)\n"
"  --pi LIST            mixing weights, numbers in (0, 1) (default %s)\n"
"  --n LIST             samples per replicate, integers in [1, %u] (default %s)\n"
"K components (THEORY.md s10, docs/kcomponents.md; instead of --sep, --pi, --shift):\n"
"  --kpi 'P1,...,PK;Q1,...,QK'  weight vectors, each K >= 2 numbers in (0, 1)\n"
"                       summing to 1 within 1e-12, ';' between vectors (or the flag\n"
"                       repeated); an axis of the grid in place of --sep x --pi\n"
"  --means m1,...,mK    the means on a line (mu_k = m_k e1), pairwise distinct, or\n"
"  --means-file FILE    K rows of r numbers: means in R^r (the first r coordinates\n"
"                       of R^d; every d >= r, --d defaults to r; '#' lines skipped);\n"
"                       the centred means must span r <= 2 dimensions (the sandwich\n"
"                       is by quadrature)\n"
"  The grid is d x kpi x level x n; each replicate fits w_hat (and/or the MLE)\n"
"  of all K weights at one noise level per cell (--alpha or --t; not --avg).\n"
"  K = 2 prints exactly the rows of --pi P1 --sep |m1 - m2| --shift ((m1+m2)/2).u\n"
"  (u = (m1 - m2)/|m1 - m2|); K >= 3 prints the K-component CSV below.\n"
"noise level x_t = a x0 + b eps -- one of (default --alpha %s):\n"
"  --alpha LIST         levels a in (0, 1), b = sqrt(1 - a^2)\n"
"  --t LIST             steps of a discrete schedule, integers in [1, T]\n"
"  --avg                t uniform over the schedule's steps, drawn per sample\n"
"  --schedule linear|cosine  the schedule for --t and --avg (default linear)\n"
"  --weighting NAME     with --avg: eps|x0|v|elbo|minsnr[:GAMMA]|level:T|optimal,\n"
"                       each sample's loss weighted by lambda_t of its step (level:T:\n"
"                       every sample at step T); sd_sandwich is the weighted sandwich\n"
"                       (THEORY.md s9, docs/weighting.md; default eps)\n"
"  --T N                steps of the schedule, integer in [2, %u] (default 1000)\n"
"estimators and replicates:\n"
"  --estimator LIST     ddpm, mle or both (default ddpm,mle): one row each per cell\n"
"  --mc explicit|projected  draw points in R^d, or only their projections on u\n"
"                       (same law; default projected)\n"
"  --reps R             replicates per cell, integer in [1, %u] (default 100;\n"
"                       p_sd needs R >= 2 and is nan for R = 1)\n"
"  --seed S             random seed, integer in [0, 2^64-1] (default 1)\n"
"  --shift C            common shift c of the means along u (default 0)\n"
"  --threads K          OpenMP threads, integer in [1, %u] (default: all cores)\n"
"output:\n"
"  --out FILE           write the CSV to FILE instead of stdout, atomically\n"
"                       (a temporary .FILE.XXXXXX.tmp beside it, fsync,\n"
"                       rename), rewritten with the rows done so far at most\n"
"                       every %g s (less often for a file so big that writing\n"
"                       it takes over 1/%g of the time) and on Ctrl-C/SIGTERM,\n"
"                       so that FILE is always a valid, complete-row CSV (an\n"
"                       existing FILE is replaced, unless --resume)\n"
"  --resume             with --out: keep the rows FILE already holds (its header\n"
"                       must be this command's, its rows cells of this same\n"
"                       sweep) and compute only the missing ones; a missing or\n"
"                       empty FILE starts afresh\n"
"many machines (docs/mpi.md):\n"
"  --shard I/N          compute only shard I of N (integers, 1 <= I <= N): the\n"
"                       cells i with i mod N = I - 1; the output starts with a\n"
"                       line '# spirelab-sweep-shard I/N id=HASH cells=...' naming\n"
"                       the sweep (a hash of every parameter); works with --out,\n"
"                       --resume; one shard per job-array task\n"
"  --merge FILE...      merge the shard files of one sweep (same id, all N\n"
"                       shards, each complete, none overlapping) into the CSV\n"
"                       one run writes (each row's seconds: as measured where\n"
"                       the cell ran); with --out FILE or on stdout; no other flag\n"
"  under mpirun -np P (build-mpi/spirelab, make MPI=1) the cells are handed\n"
"  out one at a time to whichever rank is free; rank 0 writes the rows, in\n"
"  grid order, and they are the rows of a one-process run (seconds aside)\n"
"  --help               this text\n"
"\n"
"CSV, one row per cell and estimator, cells in grid order (row-major over\n"
"d, sep, pi, level, n; n fastest):\n"
"  %s\n"
"cell: index in the full grid.  level: alpha|t|avg; schedule, T: empty for\n"
"alpha; t: the step (level t only); alpha: a of the level (a_t of the\n"
"schedule for level t; empty for avg).  p_mean, p_sd: mean and sd (divisor\n"
"R - 1) of the R estimates p_hat; rmse: sqrt(mean (p_hat - pi)^2); abserr_qXX: the XX%%\n"
"quantile of |p_hat - pi|; sd_sandwich: sqrt(nvar_p / n), the sandwich\n"
"prediction of sd(p_hat) for ddpm; sd_crlb: the Cramer-Rao bound\n"
"1/sqrt(n I(pi)), the asymptotic sd of mle (both columns on every row);\n"
"nonconv: replicates whose fit did not converge; seconds: wall time of the\n"
"cell (all its estimators).\n"
"K >= 3 components, the same number of fields:\n"
"  %s\n"
"K: components; pi: the cell's weight vector, ';' between weights; means: ';'\n"
"between means, ' ' between coordinates; rmse: sqrt(mean |p_hat - pi|^2) of\n"
"the vector p_hat; rmse_se: its standard error; rmse_sandwich: sqrt(tr Cov_p / n),\n"
"Cov_p = J B^-1 A B^-1 J' the sandwich; rmse_crlb: sqrt(tr CRLB_p / n); p_mean,\n"
"p_sd, sd_sandwich, sd_crlb: per component, ';' between the K values.\n"
"Progress (cells done / total, elapsed, remaining) goes to stderr when it is\n"
"a terminal.  Exit status: 0 done, 1 library or write failure (a cell that\n"
"fails, on any rank: --out is left as it was before the run), 2 bad input\n"
"(also: shards of different sweeps, missing, overlapping or incomplete\n"
"shards), 128+signal when interrupted (the rows done are kept).\n",
            (unsigned)PC_SWEEP_MAX_CELLS,
            (unsigned)PC_SWEEP_D_MAX, SWEEP_D_DEFAULT, SWEEP_SEP_DEFAULT, SWEEP_PI_DEFAULT,
            (unsigned)PC_SWEEP_N_MAX, SWEEP_N_DEFAULT, SWEEP_ALPHA_DEFAULT,
            (unsigned)OPT_T_MAX, (unsigned)SWEEP_REPS_MAX, (unsigned)SWEEP_THREADS_MAX,
            SWEEP_WRITE_EVERY, SWEEP_WRITE_SHARE, pc_sweep_csv_header(), pc_sweep_csv_kheader());
}

/* One list flag: parse into L (replacing an earlier value). */
static int parse_list(const char *flag, const char *text, const pc_sweep_domain *dom, pc_sweep_list *L)
{
    char why[PC_SWEEP_WHY];
    pc_sweep_list tmp;
    if (pc_sweep_list_parse(text, dom, &tmp, why, sizeof why) != GSL_SUCCESS) {
        fprintf(stderr, "spirelab sweep: %s '%s': %s\n", flag, text, why);
        return -1;
    }
    pc_sweep_list_free(L);
    *L = tmp;
    return 0;
}

/* The CSV header of a grid's rows: two components or K. */
static const char *header_of(const pc_sweep_grid *G)
{
    return pc_sweep_grid_width(G) > 1 ? pc_sweep_csv_kheader() : pc_sweep_csv_header();
}

/* ---- the output: an in-memory copy of the file, written atomically ------------ */

typedef struct {
    const char *path;
    spl_buf text;            /* header and rows, each line ending in '\n' */
} outfile;

static int out_append(outfile *f, const char *line)
{
    spl_buf_puts(&f->text, line);
    return spl_buf_puts(&f->text, "\n") ? -1 : 0;
}

/* Write the whole content to FILE atomically (common/spl_file.h).  0, or −1
 * with the reason in why. */
static int out_write(outfile *f, char *why, size_t len)
{
    return spl_buf_write(&f->text, f->path, why, len) ? -1 : 0;
}

/* ---- the rows: by cell and estimator, whatever order they arrive in ---------- */

/* Rows by (cell, estimator slot: 0 ddpm, 1 mle): the lines live in one text
 * buffer; at[2 cell + slot] is 1 + the line's offset, 0 while absent. */
typedef struct {
    size_t N;
    size_t *at;
    spl_buf text;
} rowstore;

static size_t slot_of(unsigned est) { return est == PC_SWEEP_MLE ? 1 : 0; }

static int store_init(rowstore *s, size_t N)
{
    memset(s, 0, sizeof *s);
    s->N = N;
    s->at = calloc(2 * (N ? N : 1), sizeof *s->at);
    return s->at ? 0 : -1;
}

static void store_free(rowstore *s)
{
    free(s->at);
    spl_buf_release(&s->text);
}

static int store_has(const rowstore *s, size_t cell, unsigned est)
{
    return s->at[2 * cell + slot_of(est)] != 0;
}

/* Every estimator of `ests` present for the cell. */
static int store_complete(const rowstore *s, size_t cell, unsigned ests)
{
    return (!(ests & PC_SWEEP_DDPM) || store_has(s, cell, PC_SWEEP_DDPM))
           && (!(ests & PC_SWEEP_MLE) || store_has(s, cell, PC_SWEEP_MLE));
}

/* Keep line[0..l) (no '\n') as the row (cell, est).  0, or -1 (no memory). */
static int store_put(rowstore *s, size_t cell, unsigned est, const char *line, size_t l)
{
    size_t at = s->text.len;
    spl_buf_append(&s->text, line, l);
    if (spl_buf_append(&s->text, "", 1)) return -1;     /* each line ends in '\0' */
    s->at[2 * cell + slot_of(est)] = at + 1;
    return 0;
}

/* Row k (2 cell + slot) of the store. */
static const char *store_row(const rowstore *s, size_t k)
{
    return s->text.s + s->at[k] - 1;
}

/* The file's content: the shard line (if any), the header, then every row
 * held, in grid order (cell, then ddpm before mle: the order of one run). */
static int out_build(outfile *f, const rowstore *s, const char *shard_line, const char *header)
{
    spl_buf_reset(&f->text);
    if ((shard_line && *shard_line && out_append(f, shard_line)) || out_append(f, header))
        return -1;
    for (size_t k = 0; k < 2 * s->N; k++)
        if (s->at[k] && out_append(f, store_row(s, k))) return -1;
    return 0;
}

/* The shard line of shard I of N of the sweep with this id. */
static void shard_line_of(char *buf, size_t len, size_t I, size_t N, const char *id, size_t ncells,
                          unsigned ests)
{
    snprintf(buf, len, "# spirelab-sweep-shard %zu/%zu id=%s cells=%zu estimators=%s", I, N, id, ncells,
             ests == (PC_SWEEP_DDPM | PC_SWEEP_MLE) ? "ddpm,mle" : pc_sweep_estimator_name(ests));
}

/* Read FILE for --resume: check the shard line (if any) and the header, check
 * every row is a cell of G (of this shard: mine[cell]) and keep it in the
 * store.  0; 2 after a one-line message; 1 (no memory). */
static int resume_read(const char *path, const pc_sweep_grid *G, const char *shard_line,
                       const unsigned char *mine, rowstore *rs, size_t *nrows)
{
    *nrows = 0;
    char *text, why[4200];
    size_t len;
    if (spl_file_read(path, &text, &len, why, sizeof why) != GSL_SUCCESS) {
        if (errno == ENOENT) return 0;     /* nothing to resume: start afresh */
        fprintf(stderr, "spirelab sweep: --resume: %s\n", why);
        return 2;
    }
    if (len == 0) { free(text); return 0; }     /* empty file: start afresh */

    char *p = text;
    size_t lineno = 0;
    if (shard_line && *shard_line) {
        size_t sl = strlen(shard_line);
        lineno++;
        if (strncmp(p, shard_line, sl) != 0 || p[sl] != '\n') {
            free(text);
            fprintf(stderr, "spirelab sweep: --resume: the first line of '%s' is not '%s' (a shard of another sweep, or not a shard file)\n",
                    path, shard_line);
            return 2;
        }
        p += sl + 1;
    }
    const char *header = header_of(G);
    size_t hl = strlen(header);
    lineno++;
    if (strncmp(p, header, hl) != 0 || (p[hl] != '\n' && p[hl] != '\0')) {
        free(text);
        fprintf(stderr, "spirelab sweep: --resume: line %zu of '%s' is not the CSV header of spirelab sweep (see --help)\n",
                lineno, path);
        return 2;
    }
    p = p[hl] == '\n' ? p + hl + 1 : p + hl;
    while (*p) {
        char *nl = strchr(p, '\n');
        lineno++;
        if (!nl) {
            /* only a non-atomic writer leaves this: drop it, recompute the cell */
            fprintf(stderr, "spirelab sweep: --resume: dropping the incomplete last line %zu of '%s'\n", lineno, path);
            break;
        }
        *nl = '\0';
        size_t idx;
        unsigned est;
        if (pc_sweep_csv_match(G, p, &idx, &est) != GSL_SUCCESS || !mine[idx]) {
            fprintf(stderr, "spirelab sweep: --resume: line %zu of '%s' is not a row of this sweep%s "
                    "(another grid, --reps, --seed, --mc, --shift or noise level?)\n", lineno, path,
                    shard_line && *shard_line ? " and shard" : "");
            free(text);
            return 2;
        }
        if (store_has(rs, idx, est)) {
            fprintf(stderr, "spirelab sweep: --resume: line %zu of '%s' repeats cell %zu (%s)\n",
                    lineno, path, idx, pc_sweep_estimator_name(est));
            free(text);
            return 2;
        }
        if (store_put(rs, idx, est, p, strlen(p))) {
            free(text);
            fprintf(stderr, "spirelab sweep: out of memory\n");
            return 1;
        }
        (*nrows)++;
        p = nl + 1;
    }
    free(text);
    return 0;
}

/* ---- interruption and progress -------------------------------------------------- */

static volatile sig_atomic_t stop_signal = 0;
static void on_signal(int sig) { stop_signal = sig; }

typedef struct {
    int on;                  /* stderr is a terminal */
    double t0, last;         /* start, last drawn */
    size_t ncells, skipped;  /* cells in the grid, cells already in --out */
    size_t done, todo;       /* cells computed in this run, cells to compute */
} progress;

static void hms(char *buf, size_t len, double s)
{
    if (!isfinite(s) || s < 0) { snprintf(buf, len, "?"); return; }
    unsigned long t = (unsigned long)(s + 0.5);
    snprintf(buf, len, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
}

/* frac: fraction of the current cell done (0 between cells). */
static void progress_draw(progress *pg, double frac, int final)
{
    if (!pg->on) return;
    double now = omp_get_wtime();
    if (!final && now - pg->last < 0.2) return;
    pg->last = now;
    double x = ((double)pg->done + frac) / (double)(pg->todo ? pg->todo : 1);
    double el = now - pg->t0, left = x > 0 ? el * (1 - x) / x : NAN;
    enum { W = 30 };
    char bar[W + 1], e[32], l[32];
    int fill = (int)(x * W);
    for (int i = 0; i < W; i++) bar[i] = i < fill ? '#' : '.';
    bar[W] = '\0';
    hms(e, sizeof e, el);
    hms(l, sizeof l, final ? 0.0 : left);
    fprintf(stderr, "\rsweep [%s] %zu/%zu cells  elapsed %s  left ~%s ", bar,
            pg->skipped + pg->done, pg->ncells, e, l);
    if (final) fputc('\n', stderr);
    fflush(stderr);
}


/* ---- shards: merging ------------------------------------------------------------ */

/* The cell index and estimator of a CSV row of spirelab sweep (no grid at
 * hand: the shard line vouches for the grid).  0, or -1. */
static int row_key(const char *line, size_t *cell, unsigned *est)
{
    size_t commas = 0;
    for (const char *p = line; *p; p++) commas += (*p == ',');
    if (commas + 1 != PC_SWEEP_CSV_NFIELDS || !isdigit((unsigned char)line[0])) return -1;
    errno = 0;
    char *end;
    unsigned long long idx = strtoull(line, &end, 10);
    if (errno == ERANGE || *end != ',') return -1;
    const char *f = line;
    for (int k = 0; k < 10; k++) f = strchr(f, ',') + 1;
    *est = !strncmp(f, "ddpm,", 5) ? PC_SWEEP_DDPM : !strncmp(f, "mle,", 4) ? PC_SWEEP_MLE : 0;
    *cell = (size_t)idx;
    return *est ? 0 : -1;
}

typedef struct { size_t I, N, cells; char id[PC_SWEEP_ID_LEN]; unsigned ests; } shard_head;

/* The shard line at the start of text: 0 and h, or -1. */
static int shard_parse(const char *text, shard_head *h)
{
    char id[PC_SWEEP_ID_LEN + 1] = "", est[16] = "", again[160];
    int used = 0;
    if (sscanf(text, "# spirelab-sweep-shard %zu/%zu id=%16[0-9a-f] cells=%zu estimators=%15[a-z,]%n",
               &h->I, &h->N, id, &h->cells, est, &used) != 5 || used <= 0 || text[used] != '\n')
        return -1;
    if (strlen(id) != PC_SWEEP_ID_LEN - 1 || pc_sweep_estimators_parse(est, &h->ests, NULL, 0)
        || h->N < 1 || h->I < 1 || h->I > h->N)
        return -1;
    memcpy(h->id, id, PC_SWEEP_ID_LEN);
    shard_line_of(again, sizeof again, h->I, h->N, h->id, h->cells, h->ests);
    return strncmp(text, again, (size_t)used) == 0 && strlen(again) == (size_t)used ? 0 : -1;
}

#define MERGE_BAD(...) do { fprintf(stderr, "spirelab sweep: --merge: " __VA_ARGS__); fputc('\n', stderr); \
                            rc = 2; goto done; } while (0)

/* spirelab sweep --merge FILE... [--out FILE]: 0, 1 (write failure), 2. */
static int merge(char **files, size_t nf, const char *out_path)
{
    int rc = 2;
    rowstore rs = { 0 };
    size_t *owner = NULL;              /* (N) the file holding shard k + 1, or nf */
    char *text = NULL;
    outfile out = { NULL, SPL_BUF_INIT };
    shard_head ref = { 0 };
    const char *header = NULL;     /* the first file's: two components or K */
    size_t hl = 0;
    if (nf == 0) MERGE_BAD("give the shard files to merge (spirelab sweep --merge FILE... [--out FILE])");
    for (size_t f = 0; f < nf; f++) {
        free(text);
        size_t len;
        char rwhy[4200];
        if (spl_file_read(files[f], &text, &len, rwhy, sizeof rwhy) != GSL_SUCCESS) {
            text = NULL;
            MERGE_BAD("cannot read %s", rwhy);
        }
        shard_head h;
        if (shard_parse(text, &h))
            MERGE_BAD("'%s' is not a shard file of spirelab sweep (its first line is not "
                      "'# spirelab-sweep-shard I/N id=... cells=... estimators=...')", files[f]);
        if (f == 0) {
            ref = h;
            if (h.cells > PC_SWEEP_MAX_CELLS || h.N > PC_SWEEP_MAX_CELLS) MERGE_BAD("'%s': the grid is too big", files[f]);
            owner = malloc(h.N * sizeof *owner);
            if (!owner || store_init(&rs, h.cells)) { fprintf(stderr, "spirelab sweep: out of memory\n"); rc = 1; goto done; }
            for (size_t k = 0; k < h.N; k++) owner[k] = nf;
        } else if (strcmp(h.id, ref.id) || h.N != ref.N || h.cells != ref.cells || h.ests != ref.ests) {
            MERGE_BAD("'%s' (sweep %s, %zu shards) and '%s' (sweep %s, %zu shards) are shards of different sweeps",
                      files[f], h.id, h.N, files[0], ref.id, ref.N);
        }
        if (owner[h.I - 1] != nf)
            MERGE_BAD("'%s' and '%s' are both shard %zu/%zu: the shards overlap", files[owner[h.I - 1]], files[f],
                      h.I, h.N);
        owner[h.I - 1] = f;
        char *p = strchr(text, '\n') + 1;
        if (!header) {
            const char *kh = pc_sweep_csv_kheader();
            header = strncmp(p, kh, strlen(kh)) == 0 && p[strlen(kh)] == '\n' ? kh : pc_sweep_csv_header();
            hl = strlen(header);
        }
        if (strncmp(p, header, hl) != 0 || p[hl] != '\n')
            MERGE_BAD("line 2 of '%s' is not the CSV header of spirelab sweep%s", files[f],
                      f ? " (or not the first file's)" : "");
        p += hl + 1;
        for (size_t lineno = 3; *p; lineno++) {
            char *nl = strchr(p, '\n');
            if (!nl) MERGE_BAD("the last line %zu of '%s' is incomplete", lineno, files[f]);
            *nl = '\0';
            size_t cell;
            unsigned est;
            if (row_key(p, &cell, &est) || cell >= h.cells || !(est & h.ests))
                MERGE_BAD("line %zu of '%s' is not a row of this sweep", lineno, files[f]);
            if (cell % h.N != h.I - 1)
                MERGE_BAD("line %zu of '%s': cell %zu is not in shard %zu/%zu (the shards overlap)", lineno,
                          files[f], cell, h.I, h.N);
            if (store_has(&rs, cell, est))
                MERGE_BAD("line %zu of '%s' repeats cell %zu (%s)", lineno, files[f], cell, pc_sweep_estimator_name(est));
            if (store_put(&rs, cell, est, p, (size_t)(nl - p))) { fprintf(stderr, "spirelab sweep: out of memory\n"); rc = 1; goto done; }
            p = nl + 1;
        }
    }
    for (size_t k = 0; k < ref.N; k++)
        if (owner[k] == nf) MERGE_BAD("shard %zu/%zu of sweep %s is missing (%zu files given)", k + 1, ref.N, ref.id, nf);
    for (size_t c = 0; c < ref.cells; c++)
        if (!store_complete(&rs, c, ref.ests))
            MERGE_BAD("shard %zu/%zu ('%s') lacks cell %zu: it is incomplete (finish it with --resume)",
                      c % ref.N + 1, ref.N, files[owner[c % ref.N]], c);
    rc = 1;
    if (out_build(&out, &rs, NULL, header)) { fprintf(stderr, "spirelab sweep: out of memory\n"); goto done; }
    if (out_path) {
        out.path = out_path;
        char wwhy[4200];
        if (out_write(&out, wwhy, sizeof wwhy)) { fprintf(stderr, "spirelab sweep: --out: %s\n", wwhy); rc = 2; goto done; }
    } else if (fwrite(spl_buf_str(&out.text), 1, out.text.len, stdout) != out.text.len || fflush(stdout) != 0) {
        fprintf(stderr, "spirelab sweep: writing to stdout failed: %s\n", strerror(errno));
        goto done;
    }
    rc = 0;
done:
    free(text);
    spl_buf_release(&out.text);
    free(owner);
    store_free(&rs);
    return rc;
}

/* ---- the work: cells over the ranks (cli/dist.h), rows to rank 0 -------------------- */

/* A unit of work: replicates r0 .. r1-1 of a cell, one of nblk blocks. */
typedef struct { size_t cell, r0, r1, nblk; } unit;

/* Rank 0: a cell whose blocks are coming in. */
typedef struct {
    size_t cell, left;           /* blocks still to come */
    double seconds;              /* sum of the blocks' wall times */
    double *p;                   /* (2 reps W) p_hat ddpm, mle (W values each: pc_sweep_grid_width) */
    unsigned char *nc;           /* (2 reps) not converged */
} open_cell;

typedef struct {
    const pc_sweep_grid *G;
    unsigned ests;
    size_t reps;
    int fail;                    /* test hook: every unit of this rank fails */
    progress *pg;
    int hook;                    /* pass the progress hook to the cells */
    const unit *units;
    /* rank 0: the rows and where they go */
    rowstore *rs;
    const unsigned char *mine;
    outfile *out;                /* NULL: stdout */
    const char *shard_line;
    size_t next_print;           /* stdout: cells before this one are printed */
    double last_write, write_cost;
    int dirty;
    open_cell *open;             /* cells split in blocks, not yet complete */
    size_t nopen, capopen;
} sweep_job;

static void cell_progress(void *ctx, size_t reps_done, size_t reps)
{
    dist_poll();                 /* rank 0 under MPI: answer the other ranks */
    progress_draw(ctx, (double)reps_done / (double)reps, 0);
}

/* The rows of a cell as text ('\n' after each) into a new buffer. */
static int rows_text(const sweep_job *J, const pc_sweep_row *rows, size_t nr, char **res, size_t *len)
{
    char *buf = malloc(PC_SWEEP_NEST * PC_SWEEP_CSV_LINE);
    if (!buf) return GSL_ENOMEM;
    size_t k = 0;
    for (size_t r = 0; r < nr; r++) {
        if (pc_sweep_csv_row(J->G, &rows[r], buf + k, PC_SWEEP_CSV_LINE - 1)) { free(buf); return GSL_EFAILED; }
        k += strlen(buf + k);
        buf[k++] = '\n';
    }
    *res = buf;
    *len = k;
    return GSL_SUCCESS;
}

/* dist_run_fn.  A whole cell: its rows as text.  A block of B replicates:
 * its wall time, then p_hat ddpm, p_hat mle (B W doubles each), then the two
 * not-converged flags (B bytes each). */
static int sweep_run(void *ctx, size_t task, char **res, size_t *len, char *why, size_t whylen)
{
    sweep_job *J = ctx;
    const unit *u = &J->units[task];
    if (J->fail) {
        snprintf(why, whylen, "cell %zu failed: injected failure (SPIRELAB_TEST_FAIL_RANK)", u->cell);
        return GSL_EFAILED;
    }
    int st;
    if (u->nblk == 1) {
        pc_sweep_row rows[PC_SWEEP_NEST];
        size_t nr = 0;
        st = pc_sweep_cell_run(J->G, u->cell, J->hook ? cell_progress : NULL, J->pg, rows, &nr);
        if (!st) st = rows_text(J, rows, nr, res, len);
    } else {
        size_t R = u->r1 - u->r0, W = pc_sweep_grid_width(J->G), RW = R * W;
        size_t bytes = sizeof(double) * (1 + 2 * RW) + 2 * R;
        char *buf = malloc(bytes);
        double *p = malloc(2 * RW * sizeof *p);
        double t0 = omp_get_wtime();
        st = buf && p ? pc_sweep_cell_reps(J->G, u->cell, u->r0, u->r1, J->hook ? cell_progress : NULL,
                                           J->pg, p, p + RW, (unsigned char *)buf + sizeof(double) * (1 + 2 * RW),
                                           (unsigned char *)buf + sizeof(double) * (1 + 2 * RW) + R)
                      : GSL_ENOMEM;
        double secs = omp_get_wtime() - t0;
        if (!st) {
            memcpy(buf, &secs, sizeof secs);
            memcpy(buf + sizeof(double), p, 2 * RW * sizeof *p);
            *res = buf;
            *len = bytes;
        } else {
            free(buf);
        }
        free(p);
    }
    if (st) snprintf(why, whylen, "cell %zu failed: %s", u->cell, gsl_strerror(st));
    return st;
}

static int sweep_write(sweep_job *J)
{
    double tw = omp_get_wtime();
    char why[4200] = "out of memory";
    int err = out_build(J->out, J->rs, J->shard_line, header_of(J->G)) || out_write(J->out, why, sizeof why);
    J->write_cost = omp_get_wtime() - tw;
    J->last_write = omp_get_wtime();
    if (err) {
        fprintf(stderr, "spirelab sweep: --out: %s\n", why);
        return -1;
    }
    J->dirty = 0;
    return 0;
}

/* Rank 0: keep the rows of a complete cell; print the grid-order prefix
 * (stdout) or rewrite --out now and then.  0, or -1 after a message. */
static int take_rows(sweep_job *J, size_t cell, const char *res, size_t len)
{
    const char *p = res, *end = res + len;
    const unsigned ests[PC_SWEEP_NEST] = { PC_SWEEP_DDPM, PC_SWEEP_MLE };
    for (size_t e = 0; e < PC_SWEEP_NEST && p < end; e++) {
        if (!(J->ests & ests[e])) continue;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) break;
        if (!store_has(J->rs, cell, ests[e]) && store_put(J->rs, cell, ests[e], p, (size_t)(nl - p))) {
            fprintf(stderr, "spirelab sweep: out of memory\n");
            return -1;
        }
        p = nl + 1;
    }
    J->pg->done++;
    if (!J->out) {
        rowstore *s = J->rs;
        while (J->next_print < s->N && (!J->mine[J->next_print] || store_complete(s, J->next_print, J->ests))) {
            for (size_t k = 2 * J->next_print; k < 2 * J->next_print + 2; k++)
                if (s->at[k]) printf("%s\n", store_row(s, k));
            J->next_print++;
        }
        if (fflush(stdout) != 0) {
            fprintf(stderr, "spirelab sweep: writing to stdout failed: %s\n", strerror(errno));
            return -1;
        }
    } else {
        J->dirty = 1;
        double since = omp_get_wtime() - J->last_write;
        if (since >= SWEEP_WRITE_EVERY && since >= SWEEP_WRITE_SHARE * J->write_cost && sweep_write(J))
            return -1;
    }
    progress_draw(J->pg, 0.0, J->pg->done == J->pg->todo);
    return 0;
}

/* Rank 0: one block of a cell; the rows once its last block is in. */
static int take_block(sweep_job *J, const unit *u, const char *res, size_t len)
{
    size_t R = J->reps, B = u->r1 - u->r0, k, W = pc_sweep_grid_width(J->G), RW = R * W, BW = B * W;
    if (len != sizeof(double) * (1 + 2 * BW) + 2 * B) {
        fprintf(stderr, "spirelab sweep: internal error: a block of cell %zu has %zu bytes\n", u->cell, len);
        return -1;
    }
    for (k = 0; k < J->nopen && J->open[k].cell != u->cell; k++) { }
    if (k == J->nopen) {
        if (J->nopen == J->capopen) {
            size_t cap = J->capopen ? 2 * J->capopen : 16;
            open_cell *o = realloc(J->open, cap * sizeof *o);
            if (!o) { fprintf(stderr, "spirelab sweep: out of memory\n"); return -1; }
            J->open = o;
            J->capopen = cap;
        }
        open_cell *oc = &J->open[J->nopen];
        oc->cell = u->cell;
        oc->left = u->nblk;
        oc->seconds = 0;
        oc->p = malloc(2 * RW * sizeof *oc->p);
        oc->nc = malloc(2 * R);
        if (!oc->p || !oc->nc) { free(oc->p); free(oc->nc); fprintf(stderr, "spirelab sweep: out of memory\n"); return -1; }
        J->nopen++;
    }
    open_cell *oc = &J->open[k];
    double secs;
    memcpy(&secs, res, sizeof secs);
    oc->seconds += secs;
    memcpy(oc->p + u->r0 * W, res + sizeof(double), BW * sizeof(double));
    memcpy(oc->p + RW + u->r0 * W, res + sizeof(double) * (1 + BW), BW * sizeof(double));
    memcpy(oc->nc + u->r0, res + sizeof(double) * (1 + 2 * BW), B);
    memcpy(oc->nc + R + u->r0, res + sizeof(double) * (1 + 2 * BW) + B, B);
    if (--oc->left) return 0;
    pc_sweep_row rows[PC_SWEEP_NEST];
    size_t nr = 0;
    char *text = NULL;
    size_t tl = 0;
    int st = pc_sweep_cell_rows(J->G, u->cell, oc->p, oc->p + RW, oc->nc, oc->nc + R, oc->seconds, rows, &nr);
    if (!st) st = rows_text(J, rows, nr, &text, &tl);
    free(oc->p);
    free(oc->nc);
    J->open[k] = J->open[--J->nopen];
    if (st) {
        fprintf(stderr, "spirelab sweep: rank 0: cell %zu failed: %s\n", u->cell, gsl_strerror(st));
        return -1;
    }
    int rc = take_rows(J, u->cell, text, tl);
    free(text);
    return rc;
}

/* dist_take_fn (rank 0). */
static int sweep_take(void *ctx, size_t task, const char *res, size_t len)
{
    sweep_job *J = ctx;
    const unit *u = &J->units[task];
    return u->nblk == 1 ? take_rows(J, u->cell, res, len) : take_block(J, u, res, len);
}

/* The units of work.  One process: every cell to do, whole, in grid order.
 * Several ranks: the cells in decreasing order of pc_sweep_cell_cost (the
 * longest first, so that no rank starts a long cell at the end), and a cell
 * costing more than 1/8 of a rank's fair share split into blocks of
 * replicates (so that a grid of few cells still spreads).  The estimate only
 * orders and splits the work: the rows never depend on it. */
typedef struct { double cost; size_t cell; } costed;

static int by_cost(const void *a, const void *b)
{
    const costed *x = a, *y = b;
    if (x->cost != y->cost) return x->cost > y->cost ? -1 : 1;
    return x->cell < y->cell ? -1 : x->cell > y->cell;
}

static unit *plan_units(const pc_sweep_grid *G, const unsigned char *skip, size_t todo, int ranks,
                        size_t *nunits)
{
    const pc_sweep_spec *sp = pc_sweep_grid_spec(G);
    size_t N = pc_sweep_grid_ncells(G), R = sp->reps;
    costed *cc = malloc((todo ? todo : 1) * sizeof *cc);
    if (!cc) return NULL;
    size_t k = 0;
    double total = 0;
    for (size_t i = 0; i < N; i++) {
        if (skip[i]) continue;
        cc[k].cost = ranks > 1 ? pc_sweep_cell_cost(G, i) : 0;
        cc[k].cell = i;
        total += cc[k++].cost;
    }
    if (ranks > 1) qsort(cc, todo, sizeof *cc, by_cost);
    double share = ranks > 1 ? total / (8.0 * ranks) : INFINITY;
    size_t n = 0;
    for (size_t j = 0; j < todo; j++) {
        double b = ceil(cc[j].cost / share);
        n += b < 1 ? 1 : b > (double)R ? R : (size_t)b;
    }
    unit *u = malloc((n ? n : 1) * sizeof *u);
    if (!u) { free(cc); return NULL; }
    size_t t = 0;
    for (size_t j = 0; j < todo; j++) {
        double bb = ceil(cc[j].cost / share);
        size_t B = bb < 1 ? 1 : bb > (double)R ? R : (size_t)bb;
        for (size_t b = 0; b < B; b++)
            u[t++] = (unit){ cc[j].cell, R * b / B, R * (b + 1) / B, B };
    }
    free(cc);
    *nunits = n;
    return u;
}

/* "I/N" with 1 <= I <= N <= max: 0, or -1 after the one-line message. */
static int parse_shard(const char *arg, size_t *I, size_t *N)
{
    const char *slash = arg ? strchr(arg, '/') : NULL;
    char i_text[32];
    if (!slash || (size_t)(slash - arg) >= sizeof i_text) {
        fprintf(stderr, "spirelab sweep: --shard must be I/N with integers 1 <= I <= N <= %u, got '%s'\n",
                (unsigned)PC_SWEEP_MAX_CELLS, arg ? arg : "");
        return -1;
    }
    memcpy(i_text, arg, (size_t)(slash - arg));
    i_text[slash - arg] = '\0';
    int bad = 0;
    for (const char *q = arg; q < slash + 1 + strlen(slash + 1) && !bad; q++)
        bad = !(isdigit((unsigned char)*q) || q == slash);
    if (bad || !*i_text || !slash[1] || opt_size("sweep", "--shard N of I/N", slash + 1, 1, PC_SWEEP_MAX_CELLS, N)) {
        if (bad || !*i_text || !slash[1])
            fprintf(stderr, "spirelab sweep: --shard must be I/N with integers 1 <= I <= N <= %u, got '%s'\n",
                    (unsigned)PC_SWEEP_MAX_CELLS, arg);
        return -1;
    }
    if (opt_size("sweep", "--shard I of I/N", i_text, 1, *N, I)) return -1;
    return 0;
}

/* ---- K components: --kpi, --means, --means-file ------------------------------------ */

/* The weight vectors of --kpi, one after the other (nv of K values). */
typedef struct { size_t K, nv, cap; double *v; } kweights;

/* --kpi 'P1,...,PK;Q1,...,QK' (the flag may repeat): 0, or -1 after one line. */
static int kweights_add(kweights *kw, const char *arg)
{
    const char *p = arg;
    for (;;) {
        size_t len = strcspn(p, ";");
        char piece[KMIX_KMAX * 64];
        double w[KMIX_KMAX];
        size_t K = 0;
        if (len >= sizeof piece) {
            fprintf(stderr, "spirelab sweep: --kpi: a weight vector is too long in '%s'\n", arg);
            return -1;
        }
        memcpy(piece, p, len);
        piece[len] = '\0';
        if (kopt_list("sweep", "--kpi", piece, 0.0, 1.0, w, &K)) return -1;
        if (K < 2) {
            fprintf(stderr, "spirelab sweep: --kpi needs K >= 2 weights per vector, got '%s'\n", piece);
            return -1;
        }
        if (kw->nv && K != kw->K) {
            fprintf(stderr, "spirelab sweep: --kpi: vector %zu has %zu weights, vector 1 has %zu (every vector needs K)\n",
                    kw->nv + 1, K, kw->K);
            return -1;
        }
        if (kopt_sums_to_one("sweep", "--kpi", w, K)) return -1;
        if (kw->nv == kw->cap) {
            size_t cap = kw->cap ? 2 * kw->cap : 8;
            double *v = cap <= PC_SWEEP_MAX_CELLS ? realloc(kw->v, cap * KMIX_KMAX * sizeof *v) : NULL;
            if (!v) {
                fprintf(stderr, "spirelab sweep: --kpi: too many weight vectors (at most %u)\n", (unsigned)PC_SWEEP_MAX_CELLS);
                return -1;
            }
            kw->v = v;
            kw->cap = cap;
        }
        kw->K = K;
        memcpy(kw->v + kw->nv++ * K, w, K * sizeof *w);
        if (p[len] == '\0') return 0;
        p += len + 1;
    }
}

/* A number rounded to 15 significant digits (re-reads exactly from %.15g). */
static double digits15(double x)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%.15g", x);
    return strtod(buf, NULL);
}

/* The cross-flag rules of --kpi and the means, then the spec: K = 2 as the
 * two-component flags (--pi P1 of each vector, --sep, --shift), K >= 3 as a
 * K-component grid.  0, or -1 after one line on stderr. */
static int kmix_flags(const kweights *kw, kopt *km, opt_common *o, pc_sweep_spec *sp, int given_d,
                      int given_sep, int given_pi, int given_shift)
{
    if (!kw->nv && !km->means_flag) return 0;
    if (!kw->nv) {
        fprintf(stderr, "spirelab sweep: %s needs the weight vectors --kpi 'P1,...,PK;...'\n", km->means_flag);
        return -1;
    }
    if (!km->means_flag) {
        fprintf(stderr, "spirelab sweep: --kpi needs the means: --means m1,...,mK or --means-file FILE\n");
        return -1;
    }
    if (given_pi) {
        opt_contradiction("sweep", "--pi", "--kpi", "--pi LIST sweeps two-component weights, --kpi K-component vectors: give one");
        return -1;
    }
    if (given_sep || given_shift) {
        opt_contradiction("sweep", given_sep ? "--sep" : "--shift", km->means_flag, "the means set the separation and shift");
        return -1;
    }
    if (km->Kmeans != kw->K) {
        fprintf(stderr, "spirelab sweep: --kpi has %zu weights per vector but %s has %zu means\n", kw->K, km->means_flag,
                km->Kmeans);
        return -1;
    }
    if (kopt_means_distinct(km, "sweep")) return -1;
    const size_t K = kw->K, r = km->r;
    if (!given_d) {                  /* --d defaults to r */
        char t[32];
        snprintf(t, sizeof t, "%zu", r);
        if (parse_list("--d", t, &pc_sweep_dom_d, &sp->d)) return -1;
    }
    for (size_t i = 0; i < sp->d.n; i++)
        if (sp->d.v[i] < (double)r) {
            fprintf(stderr, "spirelab sweep: --d must be at least r = %zu (the means' coordinates), got %.15g\n", r, sp->d.v[i]);
            return -1;
        }
    if (K == 2) {
        /* today's grid: --pi P1 of each vector, --sep |m1 - m2|, --shift */
        spl_buf t = SPL_BUF_INIT;
        char num[40];
        for (size_t v = 0; v < kw->nv; v++) {
            snprintf(num, sizeof num, "%s%.17g", v ? "," : "", kw->v[2 * v]);
            spl_buf_puts(&t, num);
        }
        double sep, shift;
        kopt_two(km, &sep, &shift);
        int bad = !spl_buf_str(&t) || parse_list("--kpi", spl_buf_str(&t), &pc_sweep_dom_pi, &sp->pi);
        spl_buf_release(&t);
        snprintf(num, sizeof num, "%.17g", sep);
        if (bad || parse_list(km->means_flag, num, &pc_sweep_dom_sep, &sp->sep)) return -1;
        o->shift = digits15(shift);
        return 0;
    }
    if (o->given_avg) {
        fprintf(stderr, "spirelab sweep: --avg needs two components; with --kpi of K >= 3 give --alpha LIST or --t LIST\n");
        return -1;
    }
    sp->kmix.K = K;
    sp->kmix.r = r;
    if (pc_sweep_list_set(&sp->kmix.pi, kw->v, kw->nv * K) || pc_sweep_list_set(&sp->kmix.means, km->means, K * r)) {
        opt_lib_error("sweep", "allocating the weight vectors", GSL_ENOMEM);
        return -1;
    }
    return 0;
}

/* ---- the command ---------------------------------------------------------------------- */

int cmd_sweep(int argc, char **argv)
{
    opt_common o;
    opt_common_init(&o, "sweep", 1000);
    pc_sweep_spec sp;
    pc_sweep_spec_init(&sp);
    const char *t_text = NULL, *out_path = NULL;
    int resume = 0, merge_mode = 0, rc = 2, idx, nflags = 0;
    size_t threads = (size_t)omp_get_num_procs(), shard_i = 0, shard_n = 0;
    pc_sweep_grid *G = NULL;
    unsigned char *mine = NULL, *skip = NULL;
    rowstore rs = { 0 };
    outfile out = { NULL, SPL_BUF_INIT };
    char *initial = NULL;            /* --out as it was before the run (restored on failure) */
    char why[PC_SWEEP_WHY + 64];
    struct sigaction old_int, old_term;
    int handlers = 0, root = dist_rank() == 0;
    kopt km;                         /* --means / --means-file */
    kopt_init(&km);
    kweights kw = { 0 };             /* --kpi */
    int given_d = 0, given_sep = 0, given_pi = 0, given_shift = 0;

    if (parse_list("--d", SWEEP_D_DEFAULT, &pc_sweep_dom_d, &sp.d)
        || parse_list("--sep", SWEEP_SEP_DEFAULT, &pc_sweep_dom_sep, &sp.sep)
        || parse_list("--pi", SWEEP_PI_DEFAULT, &pc_sweep_dom_pi, &sp.pi)
        || parse_list("--n", SWEEP_N_DEFAULT, &pc_sweep_dom_n, &sp.n)
        || parse_list("--alpha", SWEEP_ALPHA_DEFAULT, &pc_sweep_dom_alpha, &sp.alpha))
        goto done;

    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        int bad = 0;
        if (c != OPT_OUT && c != OPT_MERGE) nflags++;
        switch (c) {
        case OPT_HELP:
            usage(stdout);
            rc = 0;
            goto done;
        case OPT_D:     given_d = 1; bad = parse_list("--d", optarg, &pc_sweep_dom_d, &sp.d); break;
        case OPT_SEP:   given_sep = 1; bad = parse_list("--sep", optarg, &pc_sweep_dom_sep, &sp.sep); break;
        case OPT_PI:    given_pi = 1; bad = parse_list("--pi", optarg, &pc_sweep_dom_pi, &sp.pi); break;
        case OPT_KPI:   bad = kweights_add(&kw, optarg); break;
        case KOPT_MEANS:
        case KOPT_MEANS_FILE:
            bad = kopt_handle(&km, &o, c, optarg, argv, longopts);
            break;
        case OPT_SHIFT:
            given_shift = 1;
            bad = opt_common_handle(&o, c, optarg, argv, longopts);
            break;
        case OPT_N:     bad = parse_list("--n", optarg, &pc_sweep_dom_n, &sp.n); break;
        case OPT_ALPHA:
            o.given_alpha = 1;
            bad = parse_list("--alpha", optarg, &pc_sweep_dom_alpha, &sp.alpha);
            break;
        case OPT_T:     /* its domain [1, T] needs --T: parsed after the loop */
            o.given_t = 1;
            t_text = optarg;
            break;
        case OPT_SCHEDULE:
            if ((bad = opt_choice(o.cmd, "--schedule", optarg, "linear|cosine", &idx))) break;
            o.given_schedule = 1;
            o.schedule = idx == 0 ? DDPM_LINEAR : DDPM_COSINE;
            break;
        case OPT_ESTIMATOR:
            if (pc_sweep_estimators_parse(optarg, &sp.estimators, why, sizeof why) != GSL_SUCCESS) {
                fprintf(stderr, "spirelab sweep: --estimator '%s': %s\n", optarg, why);
                bad = 1;
            }
            break;
        case OPT_REPS:
            if (optarg && *optarg && strtod(optarg, NULL) == 0.0 && strspn(optarg, "0.e+-") == strlen(optarg)) {
                fprintf(stderr, "spirelab sweep: --reps must be at least 1 (and at least 2 for p_sd), got '%s'\n", optarg);
                bad = 1;
            } else {
                bad = opt_size(o.cmd, "--reps", optarg, 1, SWEEP_REPS_MAX, &sp.reps);
            }
            break;
        case OPT_THREADS:
            bad = opt_size(o.cmd, "--threads", optarg, 1, SWEEP_THREADS_MAX, &threads);
            break;
        case OPT_OUT:
            if (!optarg || !*optarg) {
                fprintf(stderr, "spirelab sweep: --out needs a file name\n");
                bad = 1;
            }
            out_path = optarg;
            break;
        case OPT_RESUME:
            resume = 1;
            break;
        case OPT_SHARD:
            bad = parse_shard(optarg, &shard_i, &shard_n);
            break;
        case OPT_MERGE:
            merge_mode = 1;
            break;
        default:   /* --shift, --seed, --T, --avg, --mc; unknown flags, missing values */
            bad = opt_common_handle(&o, c, optarg, argv, longopts);
        }
        if (bad) goto done;
    }
    if (merge_mode) {
        if (nflags) {
            fprintf(stderr, "spirelab sweep: --merge takes only shard files and --out FILE (the shards know their sweep)\n");
            goto done;
        }
        /* rank 0 merges; under mpirun the others have nothing to do */
        rc = root ? merge(argv + optind, (size_t)(argc - optind), out_path) : 0;
        goto done;
    }
    if (opt_no_positional(o.cmd, argc, argv)) goto done;

    /* cross-flag rules */
    {
        const char *given[3];
        size_t ng = 0;
        if (o.given_alpha) given[ng++] = "--alpha";
        if (o.given_t)     given[ng++] = "--t";
        if (o.given_avg)   given[ng++] = "--avg";
        if (ng > 1) {
            opt_contradiction(o.cmd, given[0], given[1], "give one noise level (--alpha, --t or --avg)");
            goto done;
        }
        const char *sflag = o.given_schedule ? "--schedule" : o.given_T ? "--T" : NULL;
        if (sflag && !o.given_t && !o.given_avg) {
            if (o.given_alpha) opt_contradiction(o.cmd, sflag, "--alpha", "a schedule goes with --t LIST or --avg");
            else fprintf(stderr, "spirelab sweep: %s needs --t LIST or --avg (the default level is --alpha %s)\n",
                         sflag, SWEEP_ALPHA_DEFAULT);
            goto done;
        }
        if (opt_weighting_check(&o)) goto done;
        if (resume && !out_path) {
            fprintf(stderr, "spirelab sweep: --resume needs --out FILE (the file to resume)\n");
            goto done;
        }
    }
    if (kmix_flags(&kw, &km, &o, &sp, given_d, given_sep, given_pi, given_shift)) goto done;
    if (o.given_t) {
        pc_sweep_domain dt = pc_sweep_dom_t(o.T);
        if (parse_list("--t", t_text, &dt, &sp.t)) goto done;
        sp.level = PC_SWEEP_LEVEL_STEP;
    } else if (o.given_avg) {
        sp.level = PC_SWEEP_LEVEL_AVG;
    } else {
        sp.level = PC_SWEEP_LEVEL_ALPHA;
    }
    sp.schedule = o.schedule;
    sp.T = o.T;
    sp.mc = o.mc;
    sp.seed = o.seed;
    sp.shift = o.shift;
    sp.weighting = o.weighting;

    int st;
    double ncells = pc_sweep_spec_ncells(&sp);
    if (ncells > PC_SWEEP_MAX_CELLS && sp.kmix.K) {
        fprintf(stderr, "spirelab sweep: the grid --d x --kpi x level x --n has %.0f cells "
                "(%zu x %zu x %zu x %zu), more than %u: split the sweep\n", ncells, sp.d.n,
                sp.kmix.pi.n / sp.kmix.K, sp.level == PC_SWEEP_LEVEL_ALPHA ? sp.alpha.n : sp.t.n, sp.n.n,
                (unsigned)PC_SWEEP_MAX_CELLS);
        goto done;
    }
    if (ncells > PC_SWEEP_MAX_CELLS) {
        fprintf(stderr, "spirelab sweep: the grid --d x --sep x --pi x level x --n has %.0f cells "
                "(%zu x %zu x %zu x %zu x %zu), more than %u: split the sweep\n",
                ncells, sp.d.n, sp.sep.n, sp.pi.n,
                sp.level == PC_SWEEP_LEVEL_ALPHA ? sp.alpha.n : sp.level == PC_SWEEP_LEVEL_STEP ? sp.t.n : 1,
                sp.n.n, (unsigned)PC_SWEEP_MAX_CELLS);
        goto done;
    }
    G = pc_sweep_grid_alloc(&sp, &st, why, sizeof why);
    if (!G && sp.kmix.K) {           /* the reason names the axis: kpi, means or d */
        const char *flag = !strncmp(why, "means:", 6) ? km.means_flag : !strncmp(why, "kpi:", 4) ? "--kpi"
                         : !strncmp(why, "d:", 2) ? "--d" : NULL;
        const char *colon = strchr(why, ':');
        if (flag && colon) fprintf(stderr, "spirelab sweep: %s%s\n", flag, colon);
        else fprintf(stderr, "spirelab sweep: --kpi: %s\n", why);
        rc = st == GSL_ENOMEM ? 1 : 2;
        goto done;
    }
    if (!G) {
        fprintf(stderr, "spirelab sweep: %s\n", why);
        rc = st == GSL_ENOMEM ? 1 : 2;
        goto done;
    }
    size_t N = pc_sweep_grid_ncells(G);
    char id[PC_SWEEP_ID_LEN], shard_line[160] = "";
    mine = calloc(N, 1);
    skip = calloc(N, 1);
    if (!mine || !skip || store_init(&rs, N) || pc_sweep_grid_id(G, id)) {
        opt_lib_error(o.cmd, "allocating the grid", GSL_ENOMEM);
        rc = 1;
        goto done;
    }
    /* shard I of N: the cells i with i mod N = I - 1 (costs vary along the
     * slow axes, so the shards are interleaved rather than contiguous) */
    for (size_t i = 0; i < N; i++) mine[i] = !shard_n || i % shard_n == shard_i - 1;
    if (shard_n) shard_line_of(shard_line, sizeof shard_line, shard_i, shard_n, id, N, sp.estimators);

    /* the output (rank 0): read what --resume keeps, then write it back at
     * once, which also shows that FILE is writable before any work is done */
    size_t kept = 0;
    if (out_path && root) {
        out.path = out_path;
        char wwhy[4200];
        if (resume && (rc = resume_read(out_path, G, shard_line, mine, &rs, &kept)) != 0) {
            /* message printed */
        } else if (out_build(&out, &rs, shard_line, header_of(G))) {
            opt_lib_error(o.cmd, "allocating the output", GSL_ENOMEM);
            rc = 1;
        } else {
            rc = 2;
            if (out_write(&out, wwhy, sizeof wwhy)) fprintf(stderr, "spirelab sweep: --out: %s\n", wwhy);
            else if (kept && !(initial = strdup(spl_buf_str(&out.text)))) opt_lib_error(o.cmd, "allocating the output", GSL_ENOMEM), rc = 1;
            else rc = 0;
        }
    } else {
        rc = 0;
    }
    if ((rc = dist_agree(rc)) != 0) goto done;   /* every rank stops if rank 0 could not start */
    if (sp.reps == 1)
        fprintf(stderr, "spirelab sweep: note: --reps 1 gives p_sd = nan (a standard deviation needs 2 replicates)\n");

    /* from here on, problems are failures (exit 1), not bad input */
    rc = 1;
    omp_set_num_threads((int)threads);
    omp_set_max_active_levels(1);   /* replicates in parallel; the draws inside each serial */

    size_t skipped = 0, todo = 0;
    for (size_t i = 0; i < N; i++) {
        skip[i] = !mine[i] || store_complete(&rs, i, sp.estimators);
        skipped += mine[i] && skip[i];
        todo += !skip[i];
    }
    size_t nmine = skipped + todo;
    if (resume && kept)
        fprintf(stderr, "spirelab sweep: '%s' already holds %zu of the %zu cells%s; computing the other %zu\n",
                out_path, skipped, nmine, shard_n ? " of the shard" : "", todo);
    if (!out_path) {
        if (shard_n) printf("%s\n", shard_line);
        printf("%s\n", header_of(G));
        fflush(stdout);
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART | SA_RESETHAND;   /* a second Ctrl-C kills at once */
    sigemptyset(&sa.sa_mask);
    stop_signal = 0;
    /* catch SIGINT/SIGTERM unless they are ignored (nohup, a background job) */
    sigaction(SIGINT, NULL, &old_int);
    sigaction(SIGTERM, NULL, &old_term);
    if (old_int.sa_handler != SIG_IGN) sigaction(SIGINT, &sa, NULL);
    if (old_term.sa_handler != SIG_IGN) sigaction(SIGTERM, &sa, NULL);
    handlers = 1;

    /* rank 0 knows which cells --out already holds; the others plan the same units */
    dist_bcast(skip, N);
    todo = 0;
    for (size_t i = 0; i < N; i++) todo += !skip[i];
    size_t nunits = 0;
    unit *units = plan_units(G, skip, todo, dist_size(), &nunits);
    if (dist_agree(!units)) {
        opt_lib_error(o.cmd, "planning the work", GSL_ENOMEM);
        free(units);
        goto done;
    }
    const char *fail_rank = getenv("SPIRELAB_TEST_FAIL_RANK");
    progress pg = { .on = root && isatty(2), .t0 = omp_get_wtime(), .last = -1e9, .ncells = nmine,
                    .skipped = skipped, .done = 0, .todo = todo };
    sweep_job J = { .G = G, .ests = sp.estimators, .reps = sp.reps, .units = units, .pg = &pg,
                    .hook = pg.on || dist_size() > 1,
                    .fail = fail_rank && *fail_rank && atoi(fail_rank) == dist_rank(),
                    .rs = &rs, .mine = mine, .out = out_path ? &out : NULL, .shard_line = shard_line,
                    .last_write = omp_get_wtime() };
    if (pg.todo) progress_draw(&pg, 0.0, 0);
    int frc = dist_farm(nunits, NULL, sweep_run, sweep_take, &J, &stop_signal, why, sizeof why);
    for (size_t k = 0; k < J.nopen; k++) { free(J.open[k].p); free(J.open[k].nc); }
    free(J.open);
    free(units);
    if (!root) {                   /* a worker: rank 0 reports for the run */
        rc = frc == DIST_OK ? 0 : 1;
        goto done;
    }
    if (frc == DIST_FAILED || frc == DIST_TAKE) {
        if (pg.on) fputc('\n', stderr);
        if (frc == DIST_FAILED)    /* (a refused take has said why) */
            fprintf(stderr, "spirelab sweep: %s%s\n", why,
                    out_path ? (initial ? "; --out left as it was before this run" : "; no --out written") : "");
        if (out_path) {            /* no partial --out: the file as it was before */
            if (initial) {
                char wwhy[4200];
                spl_buf_release(&out.text);
                spl_buf_puts(&out.text, initial);
                if (out_write(&out, wwhy, sizeof wwhy)) fprintf(stderr, "spirelab sweep: --out: %s\n", wwhy);
            } else {
                unlink(out_path);
            }
        }
        goto done;
    }
    if (out_path && J.dirty && sweep_write(&J)) goto done;
    if (frc == DIST_STOPPED && pg.done < pg.todo) {
        if (pg.on) fputc('\n', stderr);
        fprintf(stderr, "spirelab sweep: interrupted (%s) after %zu of %zu cells; %s holds them%s\n",
                strsignal(stop_signal), skipped + pg.done, nmine, out_path ? out_path : "stdout",
                out_path ? ": rerun with --resume to finish" : "");
        rc = 128 + stop_signal;
        goto done;
    }
    rc = 0;
done:
    if (handlers) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
    }
    free(initial);
    spl_buf_release(&out.text);
    free(mine);
    free(skip);
    store_free(&rs);
    pc_sweep_grid_free(G);
    pc_sweep_spec_free(&sp);
    free(kw.v);
    return rc;
}
