/* cli/opts.h — option parsing shared by the spirelab subcommands.
 *
 * Two layers:
 *  1. Value parsers.  Each one parses one option value, and on bad input
 *     (unparsable, trailing characters, empty, nan/inf, overflow such as
 *     1e999, out of range) prints exactly one line on stderr naming the
 *     command, the flag, the accepted range and the text it got, e.g.
 *       spirelab loss: --pi must be a number in (0, 1), got '1.5'
 *     and returns -1; 0 on success.  The caller then exits with status 2
 *     without writing to stdout.
 *  2. The common flags (mixture, noise level, Monte Carlo), parsed into an
 *     opt_common so that every subcommand shares one parser and one help
 *     text.  A subcommand puts the OPT_LONG_* lists into its getopt_long
 *     table, numbers its own options from OPT_COMMON_END, passes every code
 *     it does not know to opt_common_handle, and after the loop calls
 *     opt_common_check (cross-flag rules) and opt_model_build (the library
 *     objects).
 *
 * Typical use (see cli/cmd_loss.c):
 *     opt_common o; opt_common_init(&o, "loss");
 *     optind = 1; opterr = 0;
 *     while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
 *         switch (c) {
 *         case MY_FLAG: ... opt_double(...) ...; break;
 *         case OPT_HELP: usage(stdout); return 0;
 *         default: if (opt_common_handle(&o, c, optarg, argv, longopts) != 0) return 2;
 *         }
 *     }
 *     if (opt_no_positional(o.cmd, argc, argv) || opt_common_check(&o)) return 2;
 *     opt_model m; if (opt_model_build(&o, &m)) return 1;  ... opt_model_free(&m);
 */
#ifndef CLI_OPTS_H
#define CLI_OPTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <getopt.h>
#include "gmm/gmm.h"
#include "ddpm/ddpm.h"
#include "ddpm/schedule.h"
#include "ddpm/weighting.h"

/* ---- value parsers ------------------------------------------------------ */

/* Interval ends: OPT_OPEN excludes the bound, OPT_CLOSED includes it.
 * Infinite bounds (-INFINITY, INFINITY) are always open; the value itself
 * must be finite. */
enum { OPT_CLOSED = 0, OPT_OPEN = 1 };

/* A finite double in the interval lo..hi (ends open or closed as said). */
int opt_double(const char *cmd, const char *flag, const char *arg,
               double lo, int lo_open, double hi, int hi_open, double *out);
/* An integer in [lo, hi].  Accepts decimal digits, or a number in exponent
 * form that is an exact integer (1e5). */
int opt_size(const char *cmd, const char *flag, const char *arg,
             size_t lo, size_t hi, size_t *out);
/* A 64-bit unsigned integer (decimal digits only), for seeds. */
int opt_u64(const char *cmd, const char *flag, const char *arg, uint64_t *out);
/* A list of seeds: a comma list whose items are a seed S or an inclusive
 * range A:B (A ≤ B), e.g. "1:20" or "1,2,5" or "1:3,10"; at most
 * OPT_SEEDS_MAX seeds.  *out is malloc'ed (the caller frees it), *n ≥ 1. */
#define OPT_SEEDS_MAX 10000u
int opt_seed_list(const char *cmd, const char *flag, const char *arg, uint64_t **out, size_t *n);
/* One of the '|'-separated words in `choices` ("analytic|mc"); its index
 * (0-based, in the order given) into *out. */
int opt_choice(const char *cmd, const char *flag, const char *arg,
               const char *choices, int *out);

/* A grid WMIN:WMAX:N of N equally spaced points from WMIN to WMAX (both
 * finite, WMIN ≤ WMAX, 1 ≤ N ≤ OPT_GRID_MAX).  N = 1 is the single point WMIN. */
#define OPT_GRID_MAX 1000000
typedef struct { double min, max; size_t n; } opt_grid;
int opt_grid_parse(const char *cmd, const char *flag, const char *arg, opt_grid *g);
double opt_grid_at(const opt_grid *g, size_t i);   /* point i, 0 ≤ i < n */

/* getopt_long's '?' (unknown or ambiguous flag) and ':' (missing value):
 * the one-line message.  Call with the code getopt_long returned. */
void opt_getopt_error(const char *cmd, int code, char **argv,
                      const struct option *longopts);
/* Stray positional arguments left after getopt_long (argv[optind..]):
 * message and -1, else 0. */
int opt_no_positional(const char *cmd, int argc, char **argv);
/* A contradiction between two flags: one line, naming both. */
void opt_contradiction(const char *cmd, const char *flag1, const char *flag2,
                       const char *why);

/* ---- the common flags ---------------------------------------------------- */

enum {
    OPT_HELP = 0x100,
    /* mixture */
    OPT_D, OPT_SEP, OPT_SHIFT, OPT_PI, OPT_DIRECTION, OPT_SEED,
    /* noise level */
    OPT_ALPHA, OPT_T, OPT_TT, OPT_SCHEDULE, OPT_AVG, OPT_TAU,
    /* method and Monte Carlo */
    OPT_METHOD, OPT_MC, OPT_N,
    /* loss weighting (with --avg) */
    OPT_WEIGHTING,
    OPT_COMMON_END    /* a subcommand numbers its own options from here */
};

#define OPT_LONG_HELP \
    { "help", no_argument, NULL, OPT_HELP }
#define OPT_LONG_MIXTURE \
    { "d", required_argument, NULL, OPT_D }, \
    { "sep", required_argument, NULL, OPT_SEP }, \
    { "shift", required_argument, NULL, OPT_SHIFT }, \
    { "pi", required_argument, NULL, OPT_PI }, \
    { "direction", required_argument, NULL, OPT_DIRECTION }, \
    { "seed", required_argument, NULL, OPT_SEED }
#define OPT_LONG_NOISE \
    { "alpha", required_argument, NULL, OPT_ALPHA }, \
    { "t", required_argument, NULL, OPT_T }, \
    { "T", required_argument, NULL, OPT_TT }, \
    { "schedule", required_argument, NULL, OPT_SCHEDULE }, \
    { "avg", no_argument, NULL, OPT_AVG }, \
    { "tau", required_argument, NULL, OPT_TAU }
#define OPT_LONG_WEIGHTING \
    { "weighting", required_argument, NULL, OPT_WEIGHTING }
#define OPT_LONG_METHOD \
    { "method", required_argument, NULL, OPT_METHOD }
#define OPT_LONG_MC \
    { "mc", required_argument, NULL, OPT_MC }, \
    { "n", required_argument, NULL, OPT_N }

/* Upper limits (memory and time, not mathematics). */
#define OPT_D_MAX  1000000000u    /* --d */
#define OPT_N_MAX  1000000000u    /* --n */
#define OPT_T_MAX  1000000u       /* --T */
#define OPT_THREADS_MAX 4096u     /* --threads */

/* How the noise level was given. */
typedef enum {
    OPT_NOISE_ALPHA = 0,   /* --alpha A (also the default, A = 0.7) */
    OPT_NOISE_STEP,        /* --t I [--schedule linear|cosine] [--T N] */
    OPT_NOISE_AVG,         /* --avg [--schedule linear|cosine] [--T N] */
    OPT_NOISE_OU           /* --tau X [--schedule ou] */
} opt_noise_kind;

#define OPT_ALPHA_DEFAULT 0.7
#define OPT_T_DEFAULT     1000u

typedef struct {
    const char *cmd;          /* subcommand name, for messages */
    /* mixture (THEORY.md §1) */
    size_t d;                 /* --d, default 1 */
    double sep;               /* --sep Δ, default 2 */
    double shift;             /* --shift c, default 0 */
    double pi;                /* --pi π, default 0.3 */
    int direction_random;     /* --direction e1 (0, default) | random (1) */
    uint64_t seed;            /* --seed, default 1 */
    /* noise level; the given_* flags record what was on the command line */
    int given_alpha, given_t, given_T, given_schedule, given_avg, given_tau;
    double alpha;             /* --alpha */
    const char *t_arg;        /* --t, parsed by opt_common_check once T is known */
    size_t t;                 /* --t after opt_common_check */
    size_t T;                 /* --T, default 1000 */
    ddpm_schedule_kind schedule;  /* --schedule, default linear */
    double tau;               /* --tau */
    opt_noise_kind noise;     /* set by opt_common_check */
    /* method and Monte Carlo */
    int method_mc;            /* --method analytic (0, default) | mc (1) */
    ddpm_mc_mode mc;          /* --mc, default projected */
    size_t n;                 /* --n; the subcommand sets its default */
    /* loss weighting (THEORY.md §9) */
    int given_weighting;
    ddpm_weighting weighting; /* --weighting, default eps; level:t checked against --T */
} opt_common;

/* Defaults as listed above; n = n_default. */
void opt_common_init(opt_common *o, const char *cmd, size_t n_default);
/* Handle one getopt_long code.  0: handled; -1: bad value (message printed);
 * also -1 for '?' and ':' and codes that are not common flags (message
 * printed via opt_getopt_error, or "internal" for a code nobody handles). */
int opt_common_handle(opt_common *o, int code, const char *arg, char **argv,
                      const struct option *longopts);
/* Cross-flag rules: at most one of --alpha, --t, --avg, --tau; --schedule ou
 * only with --tau, --tau only with ou; --schedule linear|cosine and --T only
 * with --t or --avg; 1 ≤ --t ≤ --T.  Sets o->noise and o->t.  0 or -1. */
int opt_common_check(opt_common *o);

/* --weighting given: it needs --avg, and level:t needs t ≤ --T.  0 or -1
 * (one line).  opt_common_check calls it; for subcommands with their own
 * cross-flag rules (sweep). */
int opt_weighting_check(const opt_common *o);

/* Help text of the common flags with the defaults in o. */
#define OPT_G_MIXTURE 1u
#define OPT_G_NOISE   2u
#define OPT_G_METHOD  4u
#define OPT_G_MC      8u
#define OPT_G_WEIGHTING 16u
void opt_common_usage(FILE *f, const opt_common *o, unsigned groups);

/* The library objects the common flags describe. */
typedef struct {
    gmm2 *g;                  /* the mixture */
    ddpm_schedule *s;         /* the schedule for --avg, else NULL */
    double a, b;              /* the level for --alpha, --t, --tau (unset for --avg) */
    int avg;                  /* 1 for --avg */
    ddpm_wplan *plan;         /* --weighting given (with --avg): its plan (fast sums), else NULL */
} opt_model;

/* Build the mixture (random direction from stream (seed, 0xD1, 0)) and the
 * noise level.  0, or 1 after one line on stderr on a library failure
 * (m is then already freed). */
int opt_model_build(const opt_common *o, opt_model *m);
void opt_model_free(opt_model *m);

/* A library failure: "spirelab CMD: WHAT failed: <gsl_strerror(status)>". */
void opt_lib_error(const char *cmd, const char *what, int status);

#endif
