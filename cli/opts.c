/* cli/opts.c — option parsing shared by the spirelab subcommands (see opts.h).
 * Parsing and validation only: every number is handed to the library as is. */
#include "cli/opts.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include "common/spl.h"

/* ---- value parsers ------------------------------------------------------ */

/* strtod over the whole string: no leading blank, nothing after the number. */
static int parse_full_double(const char *arg, double *x)
{
    if (!arg || !*arg || isspace((unsigned char)*arg)) return -1;
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (*end != '\0') return -1;
    *x = v;
    return 0;
}

static void interval_text(char *buf, size_t len, double lo, int lo_open, double hi, int hi_open)
{
    if (isinf(lo)) lo_open = OPT_OPEN;
    if (isinf(hi)) hi_open = OPT_OPEN;
    snprintf(buf, len, "%c%g, %g%c", lo_open ? '(' : '[', lo, hi, hi_open ? ')' : ']');
}

int opt_double(const char *cmd, const char *flag, const char *arg,
               double lo, int lo_open, double hi, int hi_open, double *out)
{
    double x;
    int ok = parse_full_double(arg, &x) == 0 && isfinite(x)
             && (lo_open ? x > lo : x >= lo) && (hi_open ? x < hi : x <= hi);
    if (!ok) {
        char range[96];
        interval_text(range, sizeof range, lo, lo_open, hi, hi_open);
        if (isinf(lo) && isinf(hi))
            fprintf(stderr, "spirelab %s: %s must be a finite number, got '%s'\n", cmd, flag, arg ? arg : "");
        else
            fprintf(stderr, "spirelab %s: %s must be a number in %s, got '%s'\n", cmd, flag, range, arg ? arg : "");
        return -1;
    }
    *out = x;
    return 0;
}

/* Digits only → strtoull; else a finite double that is an exact integer
 * below 2^53 (so that "1e5" works).  -1 if neither. */
static int parse_full_size(const char *arg, unsigned long long *v)
{
    if (!arg || !*arg) return -1;
    if (isdigit((unsigned char)*arg)) {
        const char *p = arg;
        while (isdigit((unsigned char)*p)) p++;
        if (*p == '\0') {
            errno = 0;
            unsigned long long x = strtoull(arg, NULL, 10);
            if (errno == ERANGE) return -1;
            *v = x;
            return 0;
        }
    }
    double x;
    if (parse_full_double(arg, &x) || !isfinite(x) || x < 0 || x > 9007199254740992.0 || x != floor(x))
        return -1;
    *v = (unsigned long long)x;
    return 0;
}

int opt_size(const char *cmd, const char *flag, const char *arg,
             size_t lo, size_t hi, size_t *out)
{
    unsigned long long v;
    if (parse_full_size(arg, &v) || v < lo || v > hi) {
        fprintf(stderr, "spirelab %s: %s must be an integer in [%zu, %zu], got '%s'\n",
                cmd, flag, lo, hi, arg ? arg : "");
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

/* Decimal digits only, no sign, within uint64_t: 0 and *out, else -1. */
static int u64_digits(const char *b, size_t len, uint64_t *out)
{
    if (len == 0 || len > 20) return -1;
    char buf[24];
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)b[i])) return -1;
        buf[i] = b[i];
    }
    buf[len] = '\0';
    errno = 0;
    unsigned long long v = strtoull(buf, NULL, 10);
    if (errno == ERANGE || v > UINT64_MAX) return -1;
    *out = (uint64_t)v;
    return 0;
}

int opt_u64(const char *cmd, const char *flag, const char *arg, uint64_t *out)
{
    if (!arg || u64_digits(arg, strlen(arg), out)) {
        fprintf(stderr, "spirelab %s: %s must be an integer in [0, %llu], got '%s'\n",
                cmd, flag, (unsigned long long)UINT64_MAX, arg ? arg : "");
        return -1;
    }
    return 0;
}

int opt_seed_list(const char *cmd, const char *flag, const char *arg, uint64_t **out, size_t *n)
{
    uint64_t *v = NULL;
    size_t cnt = 0;
    int ok = arg && *arg;
    for (const char *p = arg; ok; ) {
        const char *end = strchr(p, ','), *stop = end ? end : p + strlen(p);
        const char *colon = memchr(p, ':', (size_t)(stop - p));
        uint64_t lo, hi;
        ok = colon ? !u64_digits(p, (size_t)(colon - p), &lo) && !u64_digits(colon + 1, (size_t)(stop - colon - 1), &hi) && lo <= hi
                   : !u64_digits(p, (size_t)(stop - p), &lo) && ((hi = lo), 1);
        ok = ok && hi - lo < OPT_SEEDS_MAX && cnt + (size_t)(hi - lo) + 1 <= OPT_SEEDS_MAX;
        if (ok) {
            uint64_t *nv = realloc(v, (cnt + (size_t)(hi - lo) + 1) * sizeof *v);
            if (!nv) ok = 0;
            else {
                v = nv;
                for (uint64_t s = lo; ; s++) { v[cnt++] = s; if (s == hi) break; }
            }
        }
        if (!end) break;
        p = end + 1;
    }
    if (!ok) {
        free(v);
        fprintf(stderr, "spirelab %s: %s must be a comma list of seeds S and ranges A:B (A <= B, integers, "
                "at most %u seeds), got '%s'\n", cmd, flag, OPT_SEEDS_MAX, arg ? arg : "");
        return -1;
    }
    *out = v;
    *n = cnt;
    return 0;
}

int opt_choice(const char *cmd, const char *flag, const char *arg,
               const char *choices, int *out)
{
    if (arg && *arg && !strchr(arg, '|')) {
        size_t len = strlen(arg);
        int idx = 0;
        for (const char *p = choices; ; idx++) {
            const char *bar = strchr(p, '|');
            size_t wl = bar ? (size_t)(bar - p) : strlen(p);
            if (wl == len && strncmp(p, arg, len) == 0) { *out = idx; return 0; }
            if (!bar) break;
            p = bar + 1;
        }
    }
    fprintf(stderr, "spirelab %s: %s must be one of %s, got '%s'\n", cmd, flag, choices, arg ? arg : "");
    return -1;
}

int opt_grid_parse(const char *cmd, const char *flag, const char *arg, opt_grid *g)
{
    int ok = 0;
    if (arg) {
        const char *c1 = strchr(arg, ':');
        const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c2 && !strchr(c2 + 1, ':')) {
            char a[128], b[128];
            size_t la = (size_t)(c1 - arg), lb = (size_t)(c2 - c1 - 1);
            if (la < sizeof a && lb < sizeof b) {
                memcpy(a, arg, la); a[la] = '\0';
                memcpy(b, c1 + 1, lb); b[lb] = '\0';
                unsigned long long n;
                double lo, hi;
                ok = parse_full_double(a, &lo) == 0 && isfinite(lo)
                     && parse_full_double(b, &hi) == 0 && isfinite(hi)
                     && lo <= hi
                     && parse_full_size(c2 + 1, &n) == 0 && n >= 1 && n <= OPT_GRID_MAX;
                if (ok) { g->min = lo; g->max = hi; g->n = (size_t)n; }
            }
        }
    }
    if (!ok) {
        fprintf(stderr, "spirelab %s: %s must be WMIN:WMAX:N with finite WMIN <= WMAX and N an integer in [1, %u], got '%s'\n",
                cmd, flag, (unsigned)OPT_GRID_MAX, arg ? arg : "");
        return -1;
    }
    return 0;
}

double opt_grid_at(const opt_grid *g, size_t i)
{
    if (g->n < 2) return g->min;
    if (i + 1 == g->n) return g->max;
    return g->min + (g->max - g->min) * (double)i / (double)(g->n - 1);
}

/* ---- getopt_long diagnostics -------------------------------------------- */

static const char *long_name(const struct option *longopts, int val)
{
    for (const struct option *o = longopts; o && o->name; o++)
        if (o->val == val && !o->flag) return o->name;
    return NULL;
}

void opt_getopt_error(const char *cmd, int code, char **argv, const struct option *longopts)
{
    const char *name = optopt ? long_name(longopts, optopt) : NULL;
    if (code == ':') {
        if (name) fprintf(stderr, "spirelab %s: --%s needs a value (see spirelab %s --help)\n", cmd, name, cmd);
        else fprintf(stderr, "spirelab %s: option '-%c' needs a value\n", cmd, optopt);
        return;
    }
    if (name) {   /* a no_argument flag given a value (--avg=1) */
        fprintf(stderr, "spirelab %s: --%s takes no value\n", cmd, name);
    } else if (optopt) {
        fprintf(stderr, "spirelab %s: unknown option '-%c' (options are long: --name, see spirelab %s --help)\n",
                cmd, optopt, cmd);
    } else {
        const char *w = (optind > 0) ? argv[optind - 1] : "";
        size_t len = strcspn(w, "=");
        fprintf(stderr, "spirelab %s: unknown or ambiguous option '%.*s' (see spirelab %s --help)\n",
                cmd, (int)len, w, cmd);
    }
}

int opt_no_positional(const char *cmd, int argc, char **argv)
{
    if (optind < argc) {
        fprintf(stderr, "spirelab %s: unexpected argument '%s' (every option is a --flag, see spirelab %s --help)\n",
                cmd, argv[optind], cmd);
        return -1;
    }
    return 0;
}

void opt_contradiction(const char *cmd, const char *flag1, const char *flag2, const char *why)
{
    fprintf(stderr, "spirelab %s: %s contradicts %s: %s\n", cmd, flag1, flag2, why);
}

void opt_lib_error(const char *cmd, const char *what, int status)
{
    fprintf(stderr, "spirelab %s: %s failed: %s\n", cmd, what, gsl_strerror(status));
}

/* ---- the common flags ---------------------------------------------------- */

void opt_common_init(opt_common *o, const char *cmd, size_t n_default)
{
    memset(o, 0, sizeof *o);
    o->cmd = cmd;
    o->d = 1;
    o->sep = 2.0;
    o->shift = 0.0;
    o->pi = 0.3;
    o->direction_random = 0;
    o->seed = 1;
    o->alpha = OPT_ALPHA_DEFAULT;
    o->T = OPT_T_DEFAULT;
    o->schedule = DDPM_LINEAR;
    o->noise = OPT_NOISE_ALPHA;
    o->method_mc = 0;
    o->mc = DDPM_MC_PROJECTED;
    o->n = n_default;
    o->weighting = ddpm_weighting_named[0];   /* eps */
}

int opt_common_handle(opt_common *o, int code, const char *arg, char **argv,
                      const struct option *longopts)
{
    const char *c = o->cmd;
    int idx;
    switch (code) {
    case OPT_D:     return opt_size(c, "--d", arg, 1, OPT_D_MAX, &o->d);
    case OPT_SEP:   return opt_double(c, "--sep", arg, 0.0, OPT_CLOSED, INFINITY, OPT_OPEN, &o->sep);
    case OPT_SHIFT: return opt_double(c, "--shift", arg, -INFINITY, OPT_OPEN, INFINITY, OPT_OPEN, &o->shift);
    case OPT_PI:    return opt_double(c, "--pi", arg, 0.0, OPT_OPEN, 1.0, OPT_OPEN, &o->pi);
    case OPT_DIRECTION:
        if (opt_choice(c, "--direction", arg, "e1|random", &idx)) return -1;
        o->direction_random = idx;
        return 0;
    case OPT_SEED:  return opt_u64(c, "--seed", arg, &o->seed);
    case OPT_ALPHA:
        o->given_alpha = 1;
        return opt_double(c, "--alpha", arg, 0.0, OPT_OPEN, 1.0, OPT_OPEN, &o->alpha);
    case OPT_T:
        o->given_t = 1;
        o->t_arg = arg;   /* its upper end is --T: checked in opt_common_check */
        return 0;
    case OPT_TT:
        o->given_T = 1;
        return opt_size(c, "--T", arg, 2, OPT_T_MAX, &o->T);
    case OPT_SCHEDULE:
        if (opt_choice(c, "--schedule", arg, "linear|cosine|ou", &idx)) return -1;
        o->given_schedule = 1;
        o->schedule = idx == 0 ? DDPM_LINEAR : idx == 1 ? DDPM_COSINE : DDPM_OU;
        return 0;
    case OPT_AVG:
        o->given_avg = 1;
        return 0;
    case OPT_TAU:
        o->given_tau = 1;
        return opt_double(c, "--tau", arg, 0.0, OPT_OPEN, INFINITY, OPT_OPEN, &o->tau);
    case OPT_METHOD:
        if (opt_choice(c, "--method", arg, "analytic|mc", &idx)) return -1;
        o->method_mc = idx;
        return 0;
    case OPT_MC:
        if (opt_choice(c, "--mc", arg, "explicit|projected", &idx)) return -1;
        o->mc = idx == 0 ? DDPM_MC_EXPLICIT : DDPM_MC_PROJECTED;
        return 0;
    case OPT_N:     return opt_size(c, "--n", arg, 1, OPT_N_MAX, &o->n);
    case OPT_WEIGHTING: {
        int st = ddpm_weighting_parse(arg, &o->weighting);
        if (st == GSL_EINVAL) {
            fprintf(stderr, "spirelab %s: --weighting must be one of eps|x0|v|elbo|minsnr[:GAMMA]|level:T|optimal, got '%s'\n",
                    c, arg ? arg : "");
            return -1;
        }
        if (st) {
            fprintf(stderr, "spirelab %s: --weighting: minsnr:GAMMA needs GAMMA a number in (0, inf), "
                    "level:T an integer T in [1, --T], got '%s'\n", c, arg);
            return -1;
        }
        o->given_weighting = 1;
        return 0;
    }
    case '?': case ':':
        opt_getopt_error(c, code, argv, longopts);
        return -1;
    default:
        fprintf(stderr, "spirelab %s: internal error: option code %d not handled\n", c, code);
        return -1;
    }
}

int opt_common_check(opt_common *o)
{
    const char *c = o->cmd;
    /* at most one way of giving the noise level */
    const char *given[4];
    size_t ng = 0;
    if (o->given_alpha) given[ng++] = "--alpha";
    if (o->given_t)     given[ng++] = "--t";
    if (o->given_avg)   given[ng++] = "--avg";
    if (o->given_tau)   given[ng++] = "--tau";
    if (ng > 1) {
        opt_contradiction(c, given[0], given[1], "give one noise level (--alpha, --t, --avg or --tau)");
        return -1;
    }
    if (o->given_schedule) {
        const char *sname = o->schedule == DDPM_LINEAR ? "--schedule linear"
                          : o->schedule == DDPM_COSINE ? "--schedule cosine" : "--schedule ou";
        if (o->schedule == DDPM_OU) {
            if (o->given_alpha || o->given_t || o->given_avg) {
                opt_contradiction(c, sname, given[0], "--schedule ou goes with --tau X only");
                return -1;
            }
            if (!o->given_tau) {
                fprintf(stderr, "spirelab %s: --schedule ou needs --tau X (the OU time, > 0)\n", c);
                return -1;
            }
            if (o->given_T) {
                opt_contradiction(c, "--T", sname, "the OU process is continuous (--T is for linear|cosine)");
                return -1;
            }
        } else {
            if (o->given_tau) {
                opt_contradiction(c, "--tau", sname, "--tau goes with --schedule ou");
                return -1;
            }
            if (o->given_alpha) {
                opt_contradiction(c, sname, "--alpha", "--schedule linear|cosine goes with --t I or --avg");
                return -1;
            }
            if (!o->given_t && !o->given_avg) {
                fprintf(stderr, "spirelab %s: %s needs --t I or --avg (the default level is --alpha %g)\n",
                        c, sname, OPT_ALPHA_DEFAULT);
                return -1;
            }
        }
    }
    if (o->given_T && !o->given_t && !o->given_avg) {
        if (ng == 1) opt_contradiction(c, "--T", given[0], "--T goes with --t I or --avg");
        else fprintf(stderr, "spirelab %s: --T needs --t I or --avg\n", c);
        return -1;
    }
    if (o->given_t) {
        if (opt_size(c, "--t", o->t_arg, 1, o->T, &o->t)) return -1;
        o->noise = OPT_NOISE_STEP;
    } else if (o->given_avg) {
        o->noise = OPT_NOISE_AVG;
    } else if (o->given_tau) {
        o->noise = OPT_NOISE_OU;
    } else {
        o->noise = OPT_NOISE_ALPHA;
    }
    return opt_weighting_check(o);
}

int opt_weighting_check(const opt_common *o)
{
    if (!o->given_weighting) return 0;
    if (!o->given_avg) {
        fprintf(stderr, "spirelab %s: --weighting needs --avg (the weights are over the steps t of the schedule)\n", o->cmd);
        return -1;
    }
    if (o->weighting.kind == DDPM_W_LEVEL && o->weighting.level > o->T) {
        fprintf(stderr, "spirelab %s: --weighting level:T needs T an integer in [1, --T = %zu], got %zu\n",
                o->cmd, o->T, o->weighting.level);
        return -1;
    }
    return 0;
}

void opt_common_usage(FILE *f, const opt_common *o, unsigned groups)
{
    if (groups & OPT_G_MIXTURE) {
        fprintf(f,
"mixture  p0 = pi N(m1 u, I) + (1-pi) N(m2 u, I),  m1,2 = c +- sep/2  (THEORY.md s1):\n"
"  --d D                dimension, integer in [1, %u] (default %zu)\n"
"  --sep DELTA          separation |mu1 - mu2|, number in [0, inf) (default %g)\n"
"  --shift C            common shift c along u, any finite number (default %g)\n"
"  --pi PI              weight of component 1, number in (0, 1) (default %g)\n"
"  --direction e1|random  direction u: e1, or uniform on the sphere drawn from --seed (default %s)\n"
"  --seed S             random seed, integer in [0, 2^64-1] (default %llu)\n",
                (unsigned)OPT_D_MAX, o->d, o->sep, o->shift, o->pi,
                o->direction_random ? "random" : "e1", (unsigned long long)o->seed);
    }
    if (groups & OPT_G_NOISE) {
        fprintf(f,
"noise level x_t = a x0 + b eps, a^2 + b^2 = 1 -- at most one of (default --alpha %g):\n"
"  --alpha A            a in (0, 1), b = sqrt(1 - a^2)\n"
"  --t I                step I of a discrete schedule, integer in [1, T]\n"
"  --avg                average over the steps 1..T of the schedule (t uniform)\n"
"  --tau X              continuous OU time X in (0, inf): a = exp(-X) (schedule ou)\n"
"  --schedule NAME      linear|cosine with --t or --avg (default linear); ou with --tau\n"
"  --T N                steps of the schedule, integer in [2, %u] (default %u)\n",
                OPT_ALPHA_DEFAULT, (unsigned)OPT_T_MAX, (unsigned)OPT_T_DEFAULT);
    }
    if (groups & (OPT_G_METHOD | OPT_G_MC)) fprintf(f, "method:\n");
    if (groups & OPT_G_METHOD) {
        fprintf(f,
"  --method analytic|mc  quadrature, or Monte Carlo with a standard error (default %s)\n",
                o->method_mc ? "mc" : "analytic");
    }
    if (groups & OPT_G_MC) {
        fprintf(f,
"  --mc explicit|projected  draw points in R^d, or only their projections on u (default %s)\n"
"  --n N                number of samples, integer in [1, %u] (default %zu)\n",
                o->mc == DDPM_MC_EXPLICIT ? "explicit" : "projected", (unsigned)OPT_N_MAX, o->n);
    }
    if (groups & OPT_G_WEIGHTING) {
        fprintf(f,
"loss weighting over the steps, with --avg (THEORY.md s9; default: the plain average):\n"
"  --weighting NAME     eps|x0|v|elbo|minsnr[:GAMMA]|level:T|optimal: lambda_t = 1, 1/SNR,\n"
"                       1 + 1/SNR, SNR_{t-1}/SNR_t - 1, min(SNR, GAMMA)/SNR (GAMMA in\n"
"                       (0, inf), default 5), all weight on step T in [1, --T], or\n"
"                       proportional to B_t/A_t (the most efficient); see docs/weighting.md\n");
    }
}

/* ---- the library objects ----------------------------------------------- */

void opt_model_free(opt_model *m)
{
    if (!m) return;
    ddpm_wplan_free(m->plan);
    gmm2_free(m->g);
    ddpm_schedule_free(m->s);
    m->plan = NULL;
    m->g = NULL;
    m->s = NULL;
}

int opt_model_build(const opt_common *o, opt_model *m)
{
    const char *c = o->cmd;
    memset(m, 0, sizeof *m);
    int st;
    m->g = gmm2_alloc(o->d, &st);
    if (!m->g) { opt_lib_error(c, "gmm2_alloc", st); return 1; }
    if ((st = gmm2_set(m->g, o->pi, o->sep, o->shift)) != GSL_SUCCESS) {
        opt_lib_error(c, "gmm2_set", st);
        goto fail;
    }
    if (o->direction_random) {
        gsl_rng *r = spl_rng_alloc(o->seed, 0xD1, 0);
        if (!r) { opt_lib_error(c, "spl_rng_alloc", GSL_ENOMEM); goto fail; }
        st = gmm2_set_direction_random(m->g, r);
        gsl_rng_free(r);
        if (st != GSL_SUCCESS) { opt_lib_error(c, "gmm2_set_direction_random", st); goto fail; }
    }
    switch (o->noise) {
    case OPT_NOISE_ALPHA:
        m->a = o->alpha;
        if ((st = ddpm_level_from_alpha(o->alpha, &m->b)) != GSL_SUCCESS) {
            opt_lib_error(c, "ddpm_level_from_alpha", st);
            goto fail;
        }
        break;
    case OPT_NOISE_STEP:
    case OPT_NOISE_AVG: {
        ddpm_schedule *s = ddpm_schedule_alloc(o->schedule, o->T, &st);
        if (!s) { opt_lib_error(c, "ddpm_schedule_alloc", st); goto fail; }
        if (o->noise == OPT_NOISE_AVG) {
            m->s = s;
            m->avg = 1;
            if (o->given_weighting && !(m->plan = ddpm_wplan_alloc(s, &o->weighting, DDPM_WSUM_FAST, 0, &st))) {
                opt_lib_error(c, "ddpm_wplan_alloc", st);
                goto fail;
            }
        } else {
            m->a = s->a[o->t - 1];
            m->b = s->b[o->t - 1];
            ddpm_schedule_free(s);
        }
        break;
    }
    case OPT_NOISE_OU:
        if ((st = ddpm_ou_level(o->tau, &m->a, &m->b)) != GSL_SUCCESS) {
            opt_lib_error(c, "ddpm_ou_level", st);
            goto fail;
        }
        break;
    }
    return 0;
fail:
    opt_model_free(m);
    return 1;
}
