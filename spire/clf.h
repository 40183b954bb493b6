/* spire/clf.h — a small classifier of the 8×8 digits (or of any labelled
 * rows), trained in C with the lab's own layers (spire/nn.h), and the two
 * metrics it gives the federated experiment (issue 11 item 4; docs/classifier.md):
 *   - a feature-space KID: spire/kid.h's KID computed on the classifier's
 *     penultimate-layer activations instead of raw pixels;
 *   - the label histogram of a set of (generated) rows, classified, and its
 *     total variation to a client's true label shares (the digits' implied
 *     mixing weights).
 *
 * Network: an MLP  x (D) → [dense → SiLU] × nhidden → dense → ncls logits,
 * softmax cross-entropy loss (spire_softmax_xent_forward), AdamW
 * (spire_adamw_update) with a cosine learning-rate decay from lr to 0 over
 * `steps` steps; training rows augmented with Gaussian input noise (and
 * optionally pixel shifts).  The features are the last hidden layer's SiLU
 * outputs, standardised with the per-feature mean and standard deviation
 * (ddof 0) of the clean training rows (spire_clf_nfeatures() =
 * hidden[nhidden − 1] values per row): the KID's cubic kernel then sees
 * O(1) coordinates whatever the seed.
 *
 * Randomness: initial weights from stream (seed, SPIRE_STREAM_CLF, 0)
 * (PyTorch's nn.Linear default: U(−1/√I, 1/√I) for weights and biases);
 * the rows of step k = 1, 2, … drawn uniformly with replacement, and their
 * augmentation, from stream (seed, SPIRE_STREAM_CLF, k).  The result is a function of (data, opts)
 * only: the same seed gives the same bytes whatever the thread counts.
 * Training is single-threaded: it sets OpenBLAS to one thread for its
 * duration and restores the previous count (spl_blas_threads, as the
 * federated workers of spire/fed.c do; a no-op inside workers that already
 * run single-threaded BLAS).  Its products are small; one thread is fastest.
 *
 * Typical use:
 *     spire_clf_opts o; spire_clf_opts_default(&o); o.seed = seed;
 *     int st;
 *     spire_clf *c = spire_clf_train(x, label, n, 64, 10, &o, &st);
 *     double acc, se;  spire_clf_accuracy(c, xt, lt, nt, &acc, &se);
 *     double hist[10], tv;  spire_clf_label_hist(c, xgen, ngen, hist);
 *     spire_clf_tv(hist, p_true, 10, &tv);
 *     spire_kid_result k;  spire_clf_kid(c, xgen, ngen, xreal, nreal, 100, 50, seed, &k);
 *     spire_clf_free(c);
 *
 * Errors (common/spl.h): GSL_EINVAL for a NULL pointer, GSL_EDOM for a
 * number out of its documented range, GSL_ENOMEM. */
#ifndef SPIRE_CLF_H
#define SPIRE_CLF_H

#include <stddef.h>
#include <stdint.h>
#include "spire/kid.h"

#define SPIRE_STREAM_CLF 0x5301u
#define SPIRE_CLF_LAYERS_MAX 4

typedef struct {
    size_t nhidden;                        /* hidden layers, 1..SPIRE_CLF_LAYERS_MAX */
    size_t hidden[SPIRE_CLF_LAYERS_MAX];   /* their widths, each ≥ 1 (first nhidden used) */
    size_t steps;                          /* AdamW steps ≥ 1 */
    size_t batch;                          /* rows per step ≥ 1 (drawn with replacement) */
    double lr;                             /* peak learning rate > 0, cosine decay to 0 */
    double wd;                             /* AdamW weight decay ≥ 0 (β1 0.9, β2 0.999, eps 1e-8) */
    size_t shift;                          /* augmentation: rows are side×side images (D = side²)
                                              shifted by −shift..shift pixels in each direction,
                                              uncovered pixels set to the row's minimum (0: off) */
    double noise;                          /* augmentation: N(0, noise²) added to each input ≥ 0 */
    uint64_t seed;
} spire_clf_opts;

/* The defaults (docs/classifier.md says how they were chosen): two hidden
 * layers 128, 64; 2000 steps of batch 64; lr 3e-3; wd 1e-4; no shift;
 * noise 0.3 (inputs in [−1, 1]); seed 1.  Nothing for NULL. */
void spire_clf_opts_default(spire_clf_opts *o);

typedef struct spire_clf spire_clf;   /* opaque */

/* Train on n rows x (n, D) with labels label (n) in 0..ncls−1.  NULL on
 * failure with *status (may be NULL): GSL_EINVAL for a NULL pointer (x,
 * label, o); GSL_EDOM for n < 2, D = 0, ncls < 2, a label outside
 * 0..ncls−1, a non-finite x, an option out of its range above, or a
 * training loss that is not finite; GSL_ENOMEM. */
spire_clf *spire_clf_train(const float *x, const int *label, size_t n, size_t D, size_t ncls,
                           const spire_clf_opts *o, int *status);
void spire_clf_free(spire_clf *c);   /* NULL is fine */

/* Sizes: the input dimension D, the number of classes, the number of
 * features (last hidden width), the number of trainable parameters.
 * 0 for NULL. */
size_t spire_clf_ninputs(const spire_clf *c);
size_t spire_clf_nclasses(const spire_clf *c);
size_t spire_clf_nfeatures(const spire_clf *c);
size_t spire_clf_nparams(const spire_clf *c);

/* Mean cross-entropy of the last training batch (before its update);
 * NaN for NULL. */
double spire_clf_train_loss(const spire_clf *c);

/* label[i] = argmax of the logits of row i of x (n, D) (the first maximum
 * on ties).  GSL_EINVAL for a NULL pointer; GSL_EDOM for n = 0. */
int spire_clf_predict(const spire_clf *c, const float *x, size_t n, int *label);

/* feat (n, nfeatures): the standardised last-hidden-layer SiLU outputs of
 * the rows of x (above).  GSL_EINVAL for a NULL pointer; GSL_EDOM for n = 0. */
int spire_clf_features(const spire_clf *c, const float *x, size_t n, float *feat);

/* Accuracy on n labelled rows: acc = (1/n) #{predict(x_i) = label_i} and
 * its binomial standard error se = √(acc(1 − acc)/n).  GSL_EINVAL for a
 * NULL pointer; GSL_EDOM for n = 0. */
int spire_clf_accuracy(const spire_clf *c, const float *x, const int *label, size_t n,
                       double *acc, double *se);

/* hist (nclasses): the share of the n rows of x predicted as each class
 * (sums to 1).  GSL_EINVAL for a NULL pointer; GSL_EDOM for n = 0. */
int spire_clf_label_hist(const spire_clf *c, const float *x, size_t n, double *hist);

/* Total variation of two distributions on k points:
 *   tv = ½ Σ_j |p_j − q_j|   (in [0, 1] for probability vectors).
 * GSL_EINVAL for a NULL pointer; GSL_EDOM for k = 0 or a non-finite entry. */
int spire_clf_tv(const double *p, const double *q, size_t k, double *tv);

/* Feature-space KID: spire_kid (spire/kid.h) with real = features of x_real
 * (n_real, D), fake = features of x_gen (n_gen, D), in double, dimension
 * nfeatures; the same subsets (stream (seed, SPIRE_STREAM_KID, s)) as a
 * raw-pixel spire_kid with the same sizes and seed.  GSL_EINVAL for a NULL
 * pointer; GSL_EDOM as spire_kid (size < 2, size > n_gen or n_real,
 * subsets = 0); GSL_ENOMEM. */
int spire_clf_kid(const spire_clf *c, const float *x_gen, size_t n_gen, const float *x_real,
                  size_t n_real, size_t subsets, size_t size, uint64_t seed,
                  spire_kid_result *res);

#endif
