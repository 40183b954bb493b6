/* spire/data.c — mixture and digits data sets, CSV reader (spire/data.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "common/spl.h"
#include "gmm/gmm.h"
#include "spire/data.h"

void spire_data_free(spire_data *d)
{
    if (!d) return;
    free(d->train); free(d->test); free(d->label_train); free(d->label_test);
    free(d);
}

/* ---- spec parsing ------------------------------------------------------- */

static int parse_double(const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || errno || !isfinite(x) || x < lo || x > hi) return -1;
    *out = x;
    return 0;
}

static int parse_size(const char *v, size_t lo, size_t hi, size_t *out)
{
    char *end;
    if (*v < '0' || *v > '9') return -1;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (*end || errno || x < lo || x > hi) return -1;
    *out = (size_t)x;
    return 0;
}

/* "a:b:c" → up to max doubles (each > 0 unless allow_zero) into w; count in *k. */
static int parse_list(const char *v, double *w, size_t max, size_t *k, double lo, double hi)
{
    char buf[SPIRE_DATA_VALUE_MAX];
    if ((size_t)snprintf(buf, sizeof buf, "%s", v) >= sizeof buf) return -1;   /* refused, not cut */
    size_t n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
        if (n >= max || parse_double(tok, lo, hi, &w[n]) != 0) return -1;
        n++;
    }
    if (n == 0) return -1;
    *k = n;
    return 0;
}

typedef struct {
    size_t K, D, n;
    int means_random;
    double R, scale, sigma, holdout;
    size_t seed;
    double *weights; size_t nweights;
    char path[SPIRE_DATA_PATH_MAX];
    double labels[10]; size_t nlabels;
} spec_t;

#define MAXW SPIRE_DATA_K_MAX

/* Split `rest` at ',' into KEY=VALUE pairs and store them in sp. */
static int parse_keys(const char *kind, const char *rest, spec_t *sp, char *err, size_t errlen)
{
    char buf[8192];
    if (strlen(rest) >= sizeof buf) return spl_errf(GSL_EINVAL, err, errlen, "data spec is too long");
    snprintf(buf, sizeof buf, "%s", rest);
    int is_gmm = !strcmp(kind, "gmm");
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) return spl_errf(GSL_EINVAL, err, errlen, "data spec %s: '%s' is not KEY=VALUE", kind, tok);
        *eq = '\0';
        const char *k = tok, *v = eq + 1;
        int bad = 0;
        if (!strcmp(k, "holdout")) bad = parse_double(v, 0, 0.9, &sp->holdout);
        else if (!strcmp(k, "seed")) bad = parse_size(v, 0, SIZE_MAX, &sp->seed);
        else if (is_gmm && !strcmp(k, "K")) bad = parse_size(v, 1, MAXW, &sp->K);
        else if (is_gmm && !strcmp(k, "D")) bad = parse_size(v, 1, 65536, &sp->D);
        else if (is_gmm && !strcmp(k, "n")) bad = parse_size(v, 2, SPIRE_DATA_N_MAX, &sp->n);
        else if (is_gmm && !strcmp(k, "R")) bad = parse_double(v, 0, 1e6, &sp->R);
        else if (is_gmm && !strcmp(k, "scale")) bad = parse_double(v, 0, 1e6, &sp->scale);
        else if (is_gmm && !strcmp(k, "sigma")) bad = parse_double(v, 1e-6, 1e6, &sp->sigma) || !(sp->sigma > 0);
        else if (is_gmm && !strcmp(k, "means")) {
            if (!strcmp(v, "circle")) sp->means_random = 0;
            else if (!strcmp(v, "random")) sp->means_random = 1;
            else bad = 1;
        } else if (is_gmm && !strcmp(k, "weights"))
            bad = parse_list(v, sp->weights, MAXW, &sp->nweights, 1e-300, 1e300);
        else if (!is_gmm && !strcmp(k, "path")) {
            if (!*v || strlen(v) >= sizeof sp->path) bad = 1;
            else snprintf(sp->path, sizeof sp->path, "%s", v);
        } else if (!is_gmm && !strcmp(k, "labels")) {
            bad = parse_list(v, sp->labels, 10, &sp->nlabels, 0, 9);
            for (size_t i = 0; !bad && i < sp->nlabels; i++) bad = sp->labels[i] != floor(sp->labels[i]);
        } else
            return spl_errf(GSL_EINVAL, err, errlen, "data spec %s: unknown key '%s'", kind, k);
        if (bad) return spl_errf(GSL_EINVAL, err, errlen, "data spec %s: bad value '%s' for key '%s'", kind, v, k);
    }
    return GSL_SUCCESS;
}

/* Shuffle rows with stream (seed, DATA, 1) and put the first n_test aside. */
static int split(const double *x, const int *lab, size_t n, size_t D, double holdout,
                 uint64_t seed, spire_data *d)
{
    size_t *perm = malloc(n * sizeof *perm);
    gsl_rng *r = spl_rng_alloc(seed, SPIRE_STREAM_DATA, 1);
    size_t n_test = (size_t)llround(holdout * (double)n);
    if (holdout > 0 && n_test == 0) n_test = 1;
    if (n_test >= n) n_test = n - 1;
    d->D = D; d->n_test = n_test; d->n_train = n - n_test;
    d->train = malloc(d->n_train * D * sizeof(float));
    d->test = malloc((n_test ? n_test : 1) * D * sizeof(float));
    d->label_train = malloc(d->n_train * sizeof(int));
    d->label_test = malloc((n_test ? n_test : 1) * sizeof(int));
    if (!perm || !r || !d->train || !d->test || !d->label_train || !d->label_test) {
        free(perm);
        if (r) gsl_rng_free(r);
        return GSL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) perm[i] = i;
    gsl_ran_shuffle(r, perm, n, sizeof *perm);
    for (size_t i = 0; i < n; i++) {
        int test = i < n_test;
        size_t row = test ? i : i - n_test;
        float *dst = (test ? d->test : d->train) + row * D;
        for (size_t j = 0; j < D; j++) dst[j] = (float)x[perm[i] * D + j];
        (test ? d->label_test : d->label_train)[row] = lab[perm[i]];
    }
    free(perm);
    gsl_rng_free(r);
    return GSL_SUCCESS;
}

static int load_gmm(spec_t *sp, spire_data *d, char *err, size_t errlen)
{
    if (sp->nweights && sp->nweights != sp->K)
        return spl_errf(GSL_EINVAL, err, errlen, "data spec gmm: %zu weights given for K=%zu components", sp->nweights, sp->K);
    if (!sp->means_random && sp->D < 2)
        return spl_errf(GSL_EINVAL, err, errlen, "data spec gmm: means=circle needs D >= 2 (got D=%zu)", sp->D);
    if (sp->n > SPIRE_DATA_N_MAX / sp->D)
        return spl_errf(GSL_EINVAL, err, errlen, "data spec gmm: n*D = %zu*%zu is too large", sp->n, sp->D);
    gmmk *g = gmmk_alloc(sp->K, sp->D, NULL);
    double *x = malloc(sp->n * sp->D * sizeof *x);
    int *lab = malloc(sp->n * sizeof *lab);
    gsl_rng *r = spl_rng_alloc(sp->seed, SPIRE_STREAM_DATA, 0);
    gsl_rng *rm = spl_rng_alloc(sp->seed, SPIRE_STREAM_DATA, 2);
    int st = (g && x && lab && r && rm) ? GSL_SUCCESS : GSL_ENOMEM;
    if (st == GSL_SUCCESS) {
        g->sigma = sp->sigma;
        st = sp->means_random ? gmmk_set_means_random(g, rm, sp->scale) : gmmk_set_means_circle(g, sp->R);
        if (st == GSL_SUCCESS && sp->nweights) st = gmmk_set_weights(g, sp->weights);
        if (st == GSL_SUCCESS) st = gmmk_sample(g, r, sp->n, x, lab);
        if (st != GSL_SUCCESS && st != GSL_ENOMEM)
            st = spl_errf(GSL_EINVAL, err, errlen, "data spec gmm: cannot build the mixture (%s)", gsl_strerror(st));
    }
    if (st == GSL_SUCCESS) st = split(x, lab, sp->n, sp->D, sp->holdout, sp->seed, d);
    if (st == GSL_ENOMEM) spl_errf(st, err, errlen, "out of memory building the gmm data set");
    gmmk_free(g); free(x); free(lab);
    if (r) gsl_rng_free(r);
    if (rm) gsl_rng_free(rm);
    return st;
}

int spire_data_read_digits(const char *path, float **xo, int **labo, size_t *no,
                           char *err, size_t errlen)
{
    if (!path || !xo || !labo || !no) return spl_errf(GSL_EINVAL, err, errlen, "no path or no result pointer");
    gzFile f = gzopen(path, "rb");
    if (!f) return spl_errf(GSL_EFAILED, err, errlen, "cannot open digits file '%s': %s", path,
                        errno ? strerror(errno) : "zlib error");
    size_t cap = 2048, n = 0;
    float *x = malloc(cap * 64 * sizeof *x);
    int *lab = malloc(cap * sizeof *lab);
    char line[SPIRE_DATA_VALUE_MAX];
    int st = (x && lab) ? GSL_SUCCESS : GSL_ENOMEM;
    size_t lineno = 0;
    while (st == GSL_SUCCESS && gzgets(f, line, sizeof line)) {
        lineno++;
        if (line[0] == '\n' || line[0] == '\0') continue;
        if (n == cap) {
            cap *= 2;
            float *nx = realloc(x, cap * 64 * sizeof *x);
            int *nl = realloc(lab, cap * sizeof *lab);
            if (nx) x = nx;
            if (nl) lab = nl;
            if (!nx || !nl) { st = GSL_ENOMEM; break; }
        }
        char *p = line, *end;
        for (int j = 0; j < 65; j++) {
            errno = 0;
            long v = strtol(p, &end, 10);
            int last = j == 64;
            if (end == p || errno || (!last && *end != ',') ||
                (last && *end != '\n' && *end != '\r' && *end != '\0') ||
                v < 0 || v > (last ? 9 : 16)) {
                st = spl_errf(GSL_EINVAL, err, errlen, "digits file '%s' line %zu: field %d is not %s",
                          path, lineno, j + 1, last ? "a label 0..9" : "a pixel 0..16");
                break;
            }
            if (last) lab[n] = (int)v;
            else x[n * 64 + j] = (float)v / 8.0f - 1.0f;
            p = end + 1;
        }
        if (st == GSL_SUCCESS) n++;
    }
    int zerr;
    const char *zmsg = gzerror(f, &zerr);
    if (st == GSL_SUCCESS && zerr != Z_OK && zerr != Z_STREAM_END)
        st = spl_errf(GSL_EFAILED, err, errlen, "cannot read digits file '%s': %s", path, zmsg);
    gzclose(f);
    if (st == GSL_SUCCESS && n == 0)
        st = spl_errf(GSL_EINVAL, err, errlen, "digits file '%s' has no rows", path);
    if (st == GSL_ENOMEM) spl_errf(st, err, errlen, "out of memory reading '%s'", path);
    if (st != GSL_SUCCESS) { free(x); free(lab); return st; }
    *xo = x; *labo = lab; *no = n;
    return GSL_SUCCESS;
}

static int load_digits(spec_t *sp, spire_data *d, char *err, size_t errlen)
{
    float *x; int *lab; size_t n;
    int st = spire_data_read_digits(sp->path, &x, &lab, &n, err, errlen);
    if (st) return st;
    double *xd = malloc(n * 64 * sizeof *xd);
    size_t m = 0;
    if (!xd) { free(x); free(lab); return spl_errf(GSL_ENOMEM, err, errlen, "out of memory"); }
    for (size_t i = 0; i < n; i++) {
        int keep = sp->nlabels == 0;
        for (size_t k = 0; k < sp->nlabels; k++) keep |= lab[i] == (int)sp->labels[k];
        if (!keep) continue;
        for (size_t j = 0; j < 64; j++) xd[m * 64 + j] = x[i * 64 + j];
        lab[m++] = lab[i];
    }
    if (m < 2) st = spl_errf(GSL_EINVAL, err, errlen, "digits: fewer than 2 rows with the labels asked for");
    else st = split(xd, lab, m, 64, sp->holdout, sp->seed, d);
    if (st == GSL_ENOMEM) spl_errf(st, err, errlen, "out of memory splitting the digits");
    free(x); free(lab); free(xd);
    return st;
}

static int data_load(const char *spec, spire_data **out, char *err, size_t errlen)
{
    if (!spec) return spl_errf(GSL_EINVAL, err, errlen, "no data spec");
    double w[MAXW];
    spec_t sp = { .K = 8, .D = 2, .n = 10000, .means_random = 0, .R = 2, .scale = 2,
                  .sigma = 0.2, .holdout = 0.2, .seed = 1, .weights = w, .nweights = 0 };
    snprintf(sp.path, sizeof sp.path, "%s", SPIRE_DIGITS_PATH);
    const char *colon = strchr(spec, ':');
    size_t klen = colon ? (size_t)(colon - spec) : strlen(spec);
    char kind[16];
    if (klen == 0 || klen >= sizeof kind)
        return spl_errf(GSL_EINVAL, err, errlen, "data spec '%s': expected gmm[:KEY=VALUE,...] or digits[:KEY=VALUE,...]", spec);
    memcpy(kind, spec, klen); kind[klen] = '\0';
    if (strcmp(kind, "gmm") && strcmp(kind, "digits"))
        return spl_errf(GSL_EINVAL, err, errlen, "data spec '%s': unknown kind '%s' (gmm or digits)", spec, kind);
    int st = parse_keys(kind, colon ? colon + 1 : "", &sp, err, errlen);
    if (st) return st;
    spire_data *d = calloc(1, sizeof *d);
    if (!d) return spl_errf(GSL_ENOMEM, err, errlen, "out of memory");
    st = !strcmp(kind, "gmm") ? load_gmm(&sp, d, err, errlen) : load_digits(&sp, d, err, errlen);
    if (st) { spire_data_free(d); return st; }
    *out = d;
    return GSL_SUCCESS;
}

spire_data *spire_data_load(const char *spec, int *status, char *err, size_t errlen)
{
    spire_data *d = NULL;
    spl_status(status, data_load(spec, &d, err, errlen));
    return d;
}

/* ---- CSV of samples ------------------------------------------------------ */

int spire_data_read_csv(const char *path, double **xo, size_t *no, size_t *Do,
                        char *err, size_t errlen)
{
    if (!path || !xo || !no || !Do) return spl_errf(GSL_EINVAL, err, errlen, "no path or no result pointer");
    FILE *f = fopen(path, "r");
    if (!f) return spl_errf(GSL_EFAILED, err, errlen, "cannot open '%s': %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0, n = 0, D = 0, xcap = 0, lineno = 0;
    double *x = NULL;
    int st = GSL_SUCCESS;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (lineno == 1) {   /* header: count its fields */
            D = 1;
            for (char *p = line; *p; p++) D += *p == ',';
            continue;
        }
        if (len == 0 || line[0] == '\n') continue;
        if (n == xcap) {
            xcap = xcap ? 2 * xcap : 1024;
            double *nx = realloc(x, xcap * D * sizeof *x);
            if (!nx) { st = spl_errf(GSL_ENOMEM, err, errlen, "out of memory reading '%s'", path); break; }
            x = nx;
        }
        char *p = line, *end;
        for (size_t j = 0; j < D; j++) {
            errno = 0;
            double v = strtod(p, &end);
            int last = j + 1 == D;
            if (end == p || errno == ERANGE || !isfinite(v) || (!last && *end != ',')) {
                st = spl_errf(GSL_EINVAL, err, errlen, "'%s' line %zu: field %zu is not a finite number (or the row has fewer than the header's %zu fields)",
                          path, lineno, j + 1, D);
                break;
            }
            if (last && *end == ',') {
                st = spl_errf(GSL_EINVAL, err, errlen, "'%s' line %zu: more fields than the header's %zu", path, lineno, D);
                break;
            }
            if (last && *end != '\n' && *end != '\r' && *end != '\0') {
                st = spl_errf(GSL_EINVAL, err, errlen, "'%s' line %zu: field %zu is not a finite number", path, lineno, j + 1);
                break;
            }
            x[n * D + j] = v;
            p = end + 1;
        }
        if (st) break;
        n++;
    }
    if (st == GSL_SUCCESS && ferror(f)) st = spl_errf(GSL_EFAILED, err, errlen, "cannot read '%s': %s", path, strerror(errno));
    if (st == GSL_SUCCESS && lineno == 0) st = spl_errf(GSL_EINVAL, err, errlen, "'%s' is empty (expected a header row)", path);
    if (st == GSL_SUCCESS && n == 0) st = spl_errf(GSL_EINVAL, err, errlen, "'%s' has a header but no samples", path);
    free(line);
    fclose(f);
    if (st) { free(x); return st; }
    *xo = x; *no = n; *Do = D;
    return GSL_SUCCESS;
}
