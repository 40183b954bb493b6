/* spire/data.h — data sets for the score network (THEORY.md §8): synthetic
 * Gaussian mixtures (gmm/gmm.h) and the 8×8 handwritten digits, each split
 * into a training part and a held-out part.
 *
 * A data set is named by a spec string:
 *   gmm[:KEY=VALUE,...]     keys (defaults):
 *       K=8            components
 *       D=2            dimension
 *       means=circle   circle (radius R in the first two coordinates, D ≥ 2)
 *                      | random (i.i.d. N(0, scale²) coordinates)
 *       R=2            circle radius;   scale=2   spread of random means
 *       sigma=0.2      common standard deviation of every component
 *       weights=1:1:…  K positive weights separated by ':' (normalised)
 *       n=10000        points drawn;   holdout=0.2   fraction held out
 *       seed=1         data seed (independent of the training seed)
 *   digits[:KEY=VALUE,...]  keys: path=data/digits/digits.csv.gz,
 *       holdout=0.2, seed=1, labels=0:1:…  (keep only these digits)
 *     64 pixels 0..16 scaled to [−1, 1] as x = v/8 − 1.
 *
 * Randomness: points from stream (seed, SPIRE_STREAM_DATA, 0), random means
 * from (seed, SPIRE_STREAM_DATA, 2), the train/held-out permutation from
 * (seed, SPIRE_STREAM_DATA, 1).  Rows are float, row-major (n, D).
 *
 * Typical use:
 *     int st; char err[256];
 *     spire_data *d = spire_data_load("gmm:K=8,D=2", &st, err, sizeof err);
 *     if (!d) ... st, err ...
 *     ... d->train (d->n_train, d->D), d->test (d->n_test, d->D) ...
 *     spire_data_free(d);
 * Errors: GSL_EINVAL for a NULL pointer, a bad spec (syntax, unknown key or a
 * value out of its range: the spec is text, so every fault in it is a
 * malformed-text error) or a malformed file (err says which key or line),
 * GSL_EFAILED if a file cannot be read, GSL_ENOMEM.
 */
#ifndef SPIRE_DATA_H
#define SPIRE_DATA_H

#include <stddef.h>

#define SPIRE_STREAM_DATA 0x5104u
#define SPIRE_DIGITS_PATH "data/digits/digits.csv.gz"
#define SPIRE_DATA_N_MAX 100000000u
/* Fixed sizes of the spec parser and the digits reader: K (and the number
 * of weights) ≤ SPIRE_DATA_K_MAX; one VALUE of a spec, and one line of the
 * digits file, shorter than SPIRE_DATA_VALUE_MAX bytes (a longer one is
 * refused as malformed, never cut); path= shorter than SPIRE_DATA_PATH_MAX. */
#define SPIRE_DATA_K_MAX 4096
#define SPIRE_DATA_VALUE_MAX 4096
#define SPIRE_DATA_PATH_MAX 1024

typedef struct {
    size_t D;
    size_t n_train, n_test;
    float *train;        /* (n_train, D) */
    float *test;         /* (n_test, D) held out */
    int *label_train;    /* (n_train) component 0..K−1 or digit 0..9 */
    int *label_test;     /* (n_test) */
} spire_data;

/* The data set of a spec.  NULL on failure, with *status (may be NULL) and
 * the reason in err (the codes below). */
spire_data *spire_data_load(const char *spec, int *status, char *err, size_t errlen);
void spire_data_free(spire_data *d);   /* NULL is fine */

/* The digits file alone: rows "p0,…,p63,label" (pixels 0..16, label 0..9),
 * gzip-compressed (read with zlib; a plain file also works).  On success *x
 * (n, 64) scaled to [−1, 1] and *label (n) are new arrays the caller frees. */
int spire_data_read_digits(const char *path, float **x, int **label, size_t *n,
                           char *err, size_t errlen);

/* A CSV of samples as `spirelab sample` writes it: one header row, then one
 * sample per row, comma-separated numbers, the same count on every row.  On
 * success *x (n, D) is a new array (double) the caller frees. */
int spire_data_read_csv(const char *path, double **x, size_t *n, size_t *D,
                        char *err, size_t errlen);

#endif
