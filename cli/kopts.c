/* cli/kopts.c — parsing and validation of the K-component flags; see kopts.h. */
#include "cli/kopts.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>

void kopt_init(kopt *k) { memset(k, 0, sizeof *k); }

int kopt_list(const char *cmd, const char *flag, const char *arg, double lo, double hi,
                      double *out, size_t *count)
{
    char tok[128];
    size_t n = 0;
    const char *p = arg;
    for (;;) {
        size_t len = strcspn(p, ",");
        if (n == KMIX_KMAX) {
            fprintf(stderr, "spirelab %s: %s takes at most %d comma-separated numbers, got '%s'\n",
                    cmd, flag, KMIX_KMAX, arg);
            return -1;
        }
        if (len == 0 || len >= sizeof tok) {
            fprintf(stderr, "spirelab %s: %s must be a comma list of numbers, got '%s'\n", cmd, flag, arg);
            return -1;
        }
        memcpy(tok, p, len);
        tok[len] = '\0';
        if (opt_double(cmd, flag, tok, lo, OPT_OPEN, hi, OPT_OPEN, &out[n])) return -1;
        n++;
        if (p[len] == '\0') break;
        p += len + 1;
    }
    *count = n;
    return 0;
}

/* K rows of r numbers (spaces, tabs or commas between them; '#' lines skipped). */
static int read_means(kopt *k, const char *cmd, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "spirelab %s: --means-file cannot open '%s': %s\n", cmd, path, strerror(errno));
        return -1;
    }
    char line[4096];
    size_t rows = 0, r = 0, lineno = 0;
    int bad = 0;
    while (!bad && fgets(line, sizeof line, f)) {
        lineno++;
        char *s = line;
        while (*s == ' ' || *s == '\t') s++;
        if (*s == '#' || *s == '\n' || *s == '\r' || *s == '\0') continue;
        if (rows == KMIX_KMAX) {
            fprintf(stderr, "spirelab %s: --means-file '%s' has more than %d rows\n", cmd, path, KMIX_KMAX);
            bad = 1;
            break;
        }
        size_t c = 0;
        for (;;) {
            while (*s == ' ' || *s == '\t' || *s == ',') s++;
            if (*s == '\n' || *s == '\r' || *s == '\0') break;
            char *end;
            errno = 0;
            double v = strtod(s, &end);
            if (end == s || errno || !isfinite(v) || !(*end == ' ' || *end == '\t' || *end == ',' ||
                                                        *end == '\n' || *end == '\r' || *end == '\0')) {
                fprintf(stderr, "spirelab %s: --means-file '%s' line %zu: expected finite numbers\n",
                        cmd, path, lineno);
                bad = 1;
                break;
            }
            if (c == KMIX_KMAX - 1) {
                fprintf(stderr, "spirelab %s: --means-file '%s' line %zu: more than %d numbers\n",
                        cmd, path, lineno, KMIX_KMAX - 1);
                bad = 1;
                break;
            }
            k->means[rows * (KMIX_KMAX - 1) + c++] = v;
            s = end;
        }
        if (bad) break;
        if (rows > 0 && c != r) {
            fprintf(stderr, "spirelab %s: --means-file '%s' line %zu: %zu numbers, the first row has %zu\n",
                    cmd, path, lineno, c, r);
            bad = 1;
            break;
        }
        r = c;
        rows++;
    }
    fclose(f);
    if (bad) return -1;
    if (rows < 2 || r < 1) {
        fprintf(stderr, "spirelab %s: --means-file '%s' must hold K >= 2 rows of r >= 1 numbers\n", cmd, path);
        return -1;
    }
    /* compact (rows, KMIX_KMAX−1) to (rows, r) */
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < r; j++) k->means[i * r + j] = k->means[i * (KMIX_KMAX - 1) + j];
    k->Kmeans = rows;
    k->r = r;
    return 0;
}

int kopt_handle(kopt *k, opt_common *o, int code, const char *arg, char **argv,
                const struct option *longopts)
{
    const char *c = o->cmd;
    switch (code) {
    case OPT_PI:
        if (!strchr(arg, ',')) { k->pi_list = 0; return opt_common_handle(o, code, arg, argv, longopts); }
        k->pi_list = 1;
        return kopt_list(c, "--pi", arg, 0.0, 1.0, k->pi, &k->K);
    case KOPT_MEANS:
        if (k->means_flag && strcmp(k->means_flag, "--means")) {
            opt_contradiction(c, k->means_flag, "--means", "give the means once");
            return -1;
        }
        k->means_flag = "--means";
        k->r = 1;
        return kopt_list(c, "--means", arg, -INFINITY, INFINITY, k->means, &k->Kmeans);
    case KOPT_MEANS_FILE:
        if (k->means_flag && strcmp(k->means_flag, "--means-file")) {
            opt_contradiction(c, k->means_flag, "--means-file", "give the means once");
            return -1;
        }
        k->means_flag = "--means-file";
        return read_means(k, c, arg);
    case OPT_D: k->given_d = 1; break;
    case OPT_SEP: k->given_sep = 1; break;
    case OPT_SHIFT: k->given_shift = 1; break;
    case OPT_DIRECTION: k->given_direction = 1; break;
    default: break;
    }
    return opt_common_handle(o, code, arg, argv, longopts);
}

int kopt_p(kopt *k, const char *cmd, const char *arg)
{
    if (!strchr(arg, ',')) return 1;
    k->p_list = 1;
    return kopt_list(cmd, "--p", arg, 0.0, 1.0, k->p, &k->Kp);
}

int kopt_sums_to_one(const char *cmd, const char *flag, const double *x, size_t K)
{
    double s = 0;
    for (size_t i = 0; i < K; i++) s += x[i];
    if (fabs(s - 1.0) > 1e-12) {
        fprintf(stderr, "spirelab %s: %s must sum to 1 within 1e-12, sums to %.17g\n", cmd, flag, s);
        return -1;
    }
    return 0;
}

int kopt_means_distinct(const kopt *k, const char *cmd)
{
    const size_t K = k->Kmeans, r = k->r;
    double scale = 0;
    for (size_t i = 0; i < K * r; i++) scale = fmax(scale, fabs(k->means[i]));
    for (size_t i = 0; i < K; i++)
        for (size_t j = i + 1; j < K; j++) {
            double d2 = 0;
            for (size_t t = 0; t < r; t++) d2 += pow(k->means[i * r + t] - k->means[j * r + t], 2);
            if (sqrt(d2) <= 1e-9 * (1 + scale)) {
                fprintf(stderr, "spirelab %s: %s: means %zu and %zu coincide (each component needs its own mean)\n",
                        cmd, k->means_flag, i + 1, j + 1);
                return -1;
            }
        }
    return 0;
}

void kopt_two(const kopt *k, double *sep, double *shift)
{
    /* mu_k = c_k u; Δ = |mu1 − mu2|, u = (mu1 − mu2)/Δ, shift = ((mu1 + mu2)/2)·u */
    const size_t r = k->r;
    double D2 = 0, cu = 0;
    for (size_t t = 0; t < r; t++) D2 += pow(k->means[t] - k->means[r + t], 2);
    double D = sqrt(D2);
    for (size_t t = 0; t < r; t++) cu += 0.5 * (k->means[t] + k->means[r + t]) * (k->means[t] - k->means[r + t]) / D;
    *sep = D;
    *shift = cu;
}

int kopt_check(kopt *k, opt_common *o, double *p_single)
{
    const char *c = o->cmd;
    k->active = 0;
    if (!k->pi_list && !k->means_flag) {
        if (k->p_list) {
            fprintf(stderr, "spirelab %s: --p as a list P1,...,PK needs --pi P1,...,PK with --means or --means-file\n", c);
            return -1;
        }
        return 0;
    }
    if (!k->pi_list) {
        fprintf(stderr, "spirelab %s: %s needs the weights as a list --pi P1,...,PK\n", c, k->means_flag);
        return -1;
    }
    if (!k->means_flag) {
        fprintf(stderr, "spirelab %s: --pi P1,...,PK needs the means: --means m1,...,mK or --means-file FILE\n", c);
        return -1;
    }
    if (k->Kmeans != k->K) {
        fprintf(stderr, "spirelab %s: --pi has %zu weights but %s has %zu means\n", c, k->K, k->means_flag, k->Kmeans);
        return -1;
    }
    if (kopt_sums_to_one(c, "--pi", k->pi, k->K)) return -1;
    if (k->p_list) {
        if (k->Kp != k->K) {
            fprintf(stderr, "spirelab %s: --p has %zu weights but --pi has %zu\n", c, k->Kp, k->K);
            return -1;
        }
        if (kopt_sums_to_one(c, "--p", k->p, k->K)) return -1;
    }
    if (k->given_sep || k->given_shift) {
        opt_contradiction(c, k->given_sep ? "--sep" : "--shift", k->means_flag, "the means set the separation and shift");
        return -1;
    }
    const size_t K = k->K, r = k->r;
    if (kopt_means_distinct(k, c)) return -1;
    if (k->given_d && o->d < r) {
        fprintf(stderr, "spirelab %s: --d must be at least r = %zu (the means' coordinates), got %zu\n", c, r, o->d);
        return -1;
    }
    if (!k->given_d) o->d = r;
    if (K == 2) {
        /* today's two-component flags: mu_k = c_k u; Δ = |mu1 − mu2|, u = (mu1 − mu2)/Δ,
         * shift = ((mu1 + mu2)/2)·u (the loss does not depend on u or the shift) */
        o->pi = k->pi[0];
        kopt_two(k, &o->sep, &o->shift);
        if (k->p_list && p_single) *p_single = k->p[0];
        return 0;
    }
    if (o->noise == OPT_NOISE_AVG) {
        fprintf(stderr, "spirelab %s: --avg needs two components; with --pi P1,...,PK give one level (--alpha, --t or --tau)\n", c);
        return -1;
    }
    if (k->given_direction) {
        opt_contradiction(c, "--direction", k->means_flag, "the means set the directions");
        return -1;
    }
    k->active = 1;
    return 0;
}

kmix *kopt_build(const kopt *k, const opt_common *o)
{
    const size_t K = k->K, r = k->r, d = o->d;
    kmix *m = kmix_alloc(K, d, NULL);
    double *mu = calloc(K * d, sizeof *mu);
    if (!m || !mu) {
        opt_lib_error(o->cmd, "kmix_alloc", GSL_ENOMEM);
        kmix_free(m);
        free(mu);
        return NULL;
    }
    for (size_t i = 0; i < K; i++)
        for (size_t t = 0; t < r; t++) mu[i * d + t] = k->means[i * r + t];
    char err[160];
    int st = kmix_set(m, k->pi, mu, err, sizeof err);
    free(mu);
    if (st) {
        fprintf(stderr, "spirelab %s: the mixture is not valid: %s\n", o->cmd, err);
        kmix_free(m);
        return NULL;
    }
    return m;
}

void kopt_model_w(const kopt *k, double *w)
{
    if (k->p_list) kmix_logits(k->K, k->p, w);
    else for (size_t j = 0; j + 1 < k->K; j++) w[j] = 0.0;
}

void kopt_usage(FILE *f, int with_p)
{
    fprintf(f,
"K components (THEORY.md s10; instead of --sep/--shift):\n"
"  --pi P1,...,PK       K >= 2 weights, each in (0, 1), summing to 1 within 1e-12\n"
"  --means m1,...,mK    the means on a line (mu_k = m_k e1), pairwise distinct\n"
"  --means-file FILE    K rows of r numbers: means in R^r (first r coordinates of R^d;\n"
"                       --d defaults to r); '#' lines are skipped\n");
    if (with_p)
        fprintf(f,
"  --p P1,...,PK        the model's weights (default: equal weights 1/K)\n");
    fprintf(f,
"  K = 2 prints exactly the rows of --pi P1 --sep |mu1-mu2|; K >= 3 uses one noise\n"
"  level (--alpha, --t or --tau) and the logits w_k = log(p_k/p_K) (w_K = 0).\n");
}
