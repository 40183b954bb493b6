/* cli/kopts.h — the K-component mixture on the command line (THEORY.md §10),
 * shared by loss, gd, fit and sweep:
 *   --pi P1,...,PK        weights, each in (0, 1), summing to 1 within 1e-12
 *   --means m1,...,mK     means on a line (mu_k = m_k e1), or
 *   --means-file FILE     K rows of r numbers (means in R^r, embedded in the
 *                         first r coordinates of R^d; --d defaults to r)
 *   --p P1,...,PK         the model's weights (a comma list)
 * A single --pi P (no comma) is today's two-component flag.  K = 2 given this
 * way is turned into today's flags (--pi P1, --sep |mu1 - mu2|, --shift), so
 * it prints exactly today's rows; K >= 3 goes to cli/kcmd.c.  Every bad input
 * is one line on stderr naming the flag and the accepted form (exit 2). */
#ifndef CLI_KOPTS_H
#define CLI_KOPTS_H

#include <getopt.h>
#include "cli/opts.h"
#include "ddpm/kmix.h"

enum { KOPT_MEANS = OPT_COMMON_END + 64, KOPT_MEANS_FILE };
#define KOPT_LONG \
    { "means", required_argument, NULL, KOPT_MEANS }, \
    { "means-file", required_argument, NULL, KOPT_MEANS_FILE }

typedef struct {
    int pi_list;                 /* --pi had K >= 2 entries */
    size_t K, r, Kmeans;
    double pi[KMIX_KMAX];
    double means[KMIX_KMAX * KMIX_KMAX];   /* (Kmeans, r) */
    const char *means_flag;      /* "--means" or "--means-file", NULL if none */
    int p_list;                  /* --p had a comma */
    size_t Kp;
    double p[KMIX_KMAX];
    int given_d, given_sep, given_shift, given_direction;
    int active;                  /* set by kopt_check: K >= 3 mode */
} kopt;

void kopt_init(kopt *k);
/* A comma list of 1..KMIX_KMAX finite numbers, each in (lo, hi), into out
 * (*count of them).  0, or -1 after one line naming flag. */
int kopt_list(const char *cmd, const char *flag, const char *arg, double lo, double hi,
              double *out, size_t *count);
/* x (K) sums to 1 within 1e-12: 0, or -1 after one line naming flag. */
int kopt_sums_to_one(const char *cmd, const char *flag, const double *x, size_t K);
/* The Kmeans means pairwise distinct: 0, or -1 after one line naming the flag. */
int kopt_means_distinct(const kopt *k, const char *cmd);
/* K = 2: the two-component flags of the two means, sep = |mu1 - mu2| and
 * shift = ((mu1 + mu2)/2)·u with u = (mu1 - mu2)/sep (the means distinct). */
void kopt_two(const kopt *k, double *sep, double *shift);
/* Take the codes this module owns (OPT_PI with a comma, KOPT_MEANS,
 * KOPT_MEANS_FILE; records OPT_D, OPT_SEP, OPT_SHIFT, OPT_DIRECTION) and pass
 * every other code to opt_common_handle.  0 handled, -1 bad value (printed). */
int kopt_handle(kopt *k, opt_common *o, int code, const char *arg, char **argv,
                const struct option *longopts);
/* --p as a list P1,...,PK (if arg has a comma; returns 1 if it has none, so
 * the caller parses its own single --p). */
int kopt_p(kopt *k, const char *cmd, const char *arg);
/* Cross-flag rules, after opt_common_check.  K = 2: rewrites o (pi, sep,
 * shift) and, with a --p list, *p_single (if not NULL) to P1; active = 0.
 * K >= 3: active = 1, only a single noise level.  0 or -1 (message printed). */
int kopt_check(kopt *k, opt_common *o, double *p_single);
/* The mixture for K >= 3 (d = --d, or r); NULL after one line on stderr. */
kmix *kopt_build(const kopt *k, const opt_common *o);
/* The model logits: from --p if given, else the uniform weights (w = 0). */
void kopt_model_w(const kopt *k, double *w);
void kopt_usage(FILE *f, int with_p);

#endif

/* ---- the K >= 3 commands (cli/kcmd.c): rows on stdout only once all is
 * computed; 0, or 1 after a library failure (one line on stderr). ---- */
/* loss at the model weights: w_1..w_{K-1},p_1..p_K,loss,loss_err,excess,
 * excess_err,grad_j,grad_j_err...,hess_i_j,hess_i_j_err... (i <= j) */
int kcmd_loss(const opt_common *o, const kopt *k);
/* GD on w from the model weights (default equal): iter,w_..,p_..,loss,grad_norm */
int kcmd_gd(const opt_common *o, const kopt *k, double lr, size_t steps, double tol);
/* ddpm and mle estimates on one sample set, per component:
 * estimator,k,p_hat,w_hat,iterations,converged,objective,sd_pred */
int kcmd_fit(const opt_common *o, const kopt *k);
