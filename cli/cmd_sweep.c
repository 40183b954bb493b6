/* cli/cmd_sweep.c — spirelab sweep: the DDPM and maximum-likelihood
 * estimators of the mixing weight over a grid of (d, sep, pi, noise level, n),
 * `reps` replicates per cell, one CSV row per cell and estimator
 * (THEORY.md §6; the library side is proofs_check/sweep.h).
 * Parsing, validation, the output file (atomic writes, --resume), progress;
 * the mathematics is in ddpm/, gmm/ and proofs_check/sweep.c. */
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
#include "cli/opts.h"
#include "common/spl_buf.h"
#include "common/spl_file.h"
#include "proofs_check/sweep.h"

enum { OPT_ESTIMATOR = OPT_COMMON_END, OPT_REPS, OPT_THREADS, OPT_OUT, OPT_RESUME };

static const struct option longopts[] = {
    OPT_LONG_HELP,
    { "d", required_argument, NULL, OPT_D },
    { "sep", required_argument, NULL, OPT_SEP },
    { "pi", required_argument, NULL, OPT_PI },
    { "n", required_argument, NULL, OPT_N },
    { "shift", required_argument, NULL, OPT_SHIFT },
    { "seed", required_argument, NULL, OPT_SEED },
    { "alpha", required_argument, NULL, OPT_ALPHA },
    { "t", required_argument, NULL, OPT_T },
    { "T", required_argument, NULL, OPT_TT },
    { "schedule", required_argument, NULL, OPT_SCHEDULE },
    { "avg", no_argument, NULL, OPT_AVG },
    { "mc", required_argument, NULL, OPT_MC },
    { "estimator", required_argument, NULL, OPT_ESTIMATOR },
    { "reps", required_argument, NULL, OPT_REPS },
    { "threads", required_argument, NULL, OPT_THREADS },
    { "out", required_argument, NULL, OPT_OUT },
    { "resume", no_argument, NULL, OPT_RESUME },
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
"noise level x_t = a x0 + b eps -- one of (default --alpha %s):\n"
"  --alpha LIST         levels a in (0, 1), b = sqrt(1 - a^2)\n"
"  --t LIST             steps of a discrete schedule, integers in [1, T]\n"
"  --avg                t uniform over the schedule's steps, drawn per sample\n"
"  --schedule linear|cosine  the schedule for --t and --avg (default linear)\n"
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
"Progress (cells done / total, elapsed, remaining) goes to stderr when it is\n"
"a terminal.  Exit status: 0 done, 1 library or write failure, 2 bad input,\n"
"128+signal when interrupted (the rows done are kept).\n",
            (unsigned)PC_SWEEP_MAX_CELLS,
            (unsigned)PC_SWEEP_D_MAX, SWEEP_D_DEFAULT, SWEEP_SEP_DEFAULT, SWEEP_PI_DEFAULT,
            (unsigned)PC_SWEEP_N_MAX, SWEEP_N_DEFAULT, SWEEP_ALPHA_DEFAULT,
            (unsigned)OPT_T_MAX, (unsigned)SWEEP_REPS_MAX, (unsigned)SWEEP_THREADS_MAX,
            SWEEP_WRITE_EVERY, SWEEP_WRITE_SHARE, pc_sweep_csv_header());
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

/* Read FILE for --resume: check the header, check every row is a cell of G
 * (recording which estimators each cell already has in present[]), keep
 * them in f.  0; 2 after a one-line message. */
static int resume_read(outfile *f, const pc_sweep_grid *G, unsigned char *present, size_t *nrows)
{
    *nrows = 0;
    char *text, why[4200];
    size_t len;
    if (spl_file_read(f->path, &text, &len, why, sizeof why) != GSL_SUCCESS) {
        if (errno == ENOENT) return 0;     /* nothing to resume: start afresh */
        fprintf(stderr, "spirelab sweep: --resume: %s\n", why);
        return 2;
    }
    if (len == 0) { free(text); return 0; }     /* empty file: start afresh */

    const char *header = pc_sweep_csv_header();
    size_t hl = strlen(header);
    if (strncmp(text, header, hl) != 0 || (text[hl] != '\n' && text[hl] != '\0')) {
        free(text);
        fprintf(stderr, "spirelab sweep: --resume: the first line of '%s' is not the CSV header of spirelab sweep (see --help)\n",
                f->path);
        return 2;
    }
    size_t lineno = 1;
    char *p = text[hl] == '\n' ? text + hl + 1 : text + hl;
    while (*p) {
        char *nl = strchr(p, '\n');
        lineno++;
        if (!nl) {
            /* only a non-atomic writer leaves this: drop it, recompute the cell */
            fprintf(stderr, "spirelab sweep: --resume: dropping the incomplete last line %zu of '%s'\n", lineno, f->path);
            break;
        }
        *nl = '\0';
        size_t idx;
        unsigned est;
        if (pc_sweep_csv_match(G, p, &idx, &est) != GSL_SUCCESS) {
            fprintf(stderr, "spirelab sweep: --resume: line %zu of '%s' is not a row of this sweep "
                    "(another grid, --reps, --seed, --mc, --shift or noise level?)\n", lineno, f->path);
            free(text);
            return 2;
        }
        if (present[idx] & est) {
            fprintf(stderr, "spirelab sweep: --resume: line %zu of '%s' repeats cell %zu (%s)\n",
                    lineno, f->path, idx, pc_sweep_estimator_name(est));
            free(text);
            return 2;
        }
        present[idx] |= (unsigned char)est;
        if (out_append(f, p)) { free(text); fprintf(stderr, "spirelab sweep: out of memory\n"); return 1; }
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

static void progress_reps(void *ctx, size_t reps_done, size_t reps)
{
    progress_draw(ctx, (double)reps_done / (double)reps, 0);
}

/* ---- the command ---------------------------------------------------------------------- */

int cmd_sweep(int argc, char **argv)
{
    opt_common o;
    opt_common_init(&o, "sweep", 1000);
    pc_sweep_spec sp;
    pc_sweep_spec_init(&sp);
    const char *t_text = NULL, *out_path = NULL;
    int resume = 0, rc = 2, idx;
    size_t threads = (size_t)omp_get_num_procs();
    pc_sweep_grid *G = NULL;
    unsigned char *present = NULL;
    outfile out = { NULL, SPL_BUF_INIT };
    char why[PC_SWEEP_WHY], wwhy[4200];
    struct sigaction old_int, old_term;
    int handlers = 0;

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
        switch (c) {
        case OPT_HELP:
            usage(stdout);
            rc = 0;
            goto done;
        case OPT_D:     bad = parse_list("--d", optarg, &pc_sweep_dom_d, &sp.d); break;
        case OPT_SEP:   bad = parse_list("--sep", optarg, &pc_sweep_dom_sep, &sp.sep); break;
        case OPT_PI:    bad = parse_list("--pi", optarg, &pc_sweep_dom_pi, &sp.pi); break;
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
        default:   /* --shift, --seed, --T, --avg, --mc; unknown flags, missing values */
            bad = opt_common_handle(&o, c, optarg, argv, longopts);
        }
        if (bad) goto done;
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
        if (resume && !out_path) {
            fprintf(stderr, "spirelab sweep: --resume needs --out FILE (the file to resume)\n");
            goto done;
        }
    }
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

    int st;
    double ncells = pc_sweep_spec_ncells(&sp);
    if (ncells > PC_SWEEP_MAX_CELLS) {
        fprintf(stderr, "spirelab sweep: the grid --d x --sep x --pi x level x --n has %.0f cells "
                "(%zu x %zu x %zu x %zu x %zu), more than %u: split the sweep\n",
                ncells, sp.d.n, sp.sep.n, sp.pi.n,
                sp.level == PC_SWEEP_LEVEL_ALPHA ? sp.alpha.n : sp.level == PC_SWEEP_LEVEL_STEP ? sp.t.n : 1,
                sp.n.n, (unsigned)PC_SWEEP_MAX_CELLS);
        goto done;
    }
    G = pc_sweep_grid_alloc(&sp, &st, why, sizeof why);
    if (!G) {
        fprintf(stderr, "spirelab sweep: %s\n", why);
        rc = st == GSL_ENOMEM ? 1 : 2;
        goto done;
    }
    size_t N = pc_sweep_grid_ncells(G);
    present = calloc(N, 1);
    if (!present) { opt_lib_error(o.cmd, "allocating the grid", GSL_ENOMEM); rc = 1; goto done; }

    /* the output: read what --resume keeps, then write it back at once, which
     * also shows that FILE is writable before any work is done */
    size_t kept = 0;
    if (out_path) {
        out.path = out_path;
        if (out_append(&out, pc_sweep_csv_header())) { opt_lib_error(o.cmd, "allocating the output", GSL_ENOMEM); rc = 1; goto done; }
        if (resume && (rc = resume_read(&out, G, present, &kept)) != 0) goto done;
        rc = 2;
        if (out_write(&out, wwhy, sizeof wwhy)) {
            fprintf(stderr, "spirelab sweep: --out: %s\n", wwhy);
            goto done;
        }
    }
    if (sp.reps == 1)
        fprintf(stderr, "spirelab sweep: note: --reps 1 gives p_sd = nan (a standard deviation needs 2 replicates)\n");

    /* from here on, problems are failures (exit 1), not bad input */
    rc = 1;
    omp_set_num_threads((int)threads);
    omp_set_max_active_levels(1);   /* replicates in parallel; the draws inside each serial */

    size_t skipped = 0;
    for (size_t i = 0; i < N; i++) skipped += (present[i] & sp.estimators) == sp.estimators;
    if (resume && kept)
        fprintf(stderr, "spirelab sweep: '%s' already holds %zu of the %zu cells; computing the other %zu\n",
                out_path, skipped, N, N - skipped);
    if (!out_path) {
        printf("%s\n", pc_sweep_csv_header());
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

    progress pg = { .on = isatty(2), .t0 = omp_get_wtime(), .last = -1e9, .ncells = N,
                    .skipped = skipped, .done = 0, .todo = N - skipped };
    double last_write = omp_get_wtime(), write_cost = 0.0;
    int dirty = 0;
    if (pg.todo) progress_draw(&pg, 0.0, 0);
    for (size_t i = 0; i < N && !stop_signal; i++) {
        if ((present[i] & sp.estimators) == sp.estimators) continue;
        pc_sweep_row rows[PC_SWEEP_NEST];
        size_t nr = 0;
        st = pc_sweep_cell_run(G, i, pg.on ? progress_reps : NULL, &pg, rows, &nr);
        if (st) {
            if (pg.on) fputc('\n', stderr);
            fprintf(stderr, "spirelab sweep: cell %zu failed: %s\n", i, gsl_strerror(st));
            break;
        }
        for (size_t k = 0; k < nr; k++) {
            if (present[i] & rows[k].estimator) continue;   /* already in --out */
            char line[PC_SWEEP_CSV_LINE];
            if (pc_sweep_csv_row(G, &rows[k], line, sizeof line)) {
                fprintf(stderr, "spirelab sweep: internal error: row of cell %zu too long\n", i);
                st = GSL_EFAILED;
                break;
            }
            if (out_path) {
                if (out_append(&out, line)) { opt_lib_error(o.cmd, "appending a row", GSL_ENOMEM); st = GSL_ENOMEM; break; }
            } else {
                printf("%s\n", line);
            }
        }
        if (st) break;
        pg.done++;
        if (out_path) {
            dirty = 1;
            double since = omp_get_wtime() - last_write;
            if (since >= SWEEP_WRITE_EVERY && since >= SWEEP_WRITE_SHARE * write_cost) {
                double tw = omp_get_wtime();
                int err = out_write(&out, wwhy, sizeof wwhy);
                write_cost = omp_get_wtime() - tw;
                if (err) {
                    fprintf(stderr, "spirelab sweep: --out: %s\n", wwhy);
                    st = GSL_EFAILED;
                    break;
                }
                last_write = omp_get_wtime();
                dirty = 0;
            }
        } else if (fflush(stdout) != 0) {
            fprintf(stderr, "spirelab sweep: writing to stdout failed: %s\n", strerror(errno));
            st = GSL_EFAILED;
            break;
        }
        progress_draw(&pg, 0.0, pg.done == pg.todo);
    }
    if (out_path && dirty) {
        if (out_write(&out, wwhy, sizeof wwhy)) {
            fprintf(stderr, "spirelab sweep: --out: %s\n", wwhy);
            goto done;
        }
    }
    if (st) goto done;
    if (stop_signal && pg.done < pg.todo) {
        if (pg.on) fputc('\n', stderr);
        fprintf(stderr, "spirelab sweep: interrupted (%s) after %zu of %zu cells; %s holds them%s\n",
                strsignal(stop_signal), skipped + pg.done, N, out_path ? out_path : "stdout",
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
    spl_buf_release(&out.text);
    free(present);
    pc_sweep_grid_free(G);
    pc_sweep_spec_free(&sp);
    return rc;
}
