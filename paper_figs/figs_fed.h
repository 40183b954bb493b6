/* paper_figs/figs_fed.h — the federated figures (THEORY.md §8, issue 11):
 * recipes F12–F17 and F21 of the pf_figures table, drawn from the result of
 * the experiment protocol (spire/experiment.h), and the same figures for one
 * `spirelab spire experiment --out DIR` (pf_fed_render).
 *
 *   F12 paired-kid      forest plot: new-client KID of each method minus
 *                       SPIRE's, paired over seeds, 95% intervals; one panel
 *                       per preset (gmm2, gmmK, digits)
 *   F13 kid-vs-params   new-client KID (95% interval) against the trainable
 *                       parameters per new client (log x); panel per preset
 *   F14 forgetting      ΔKID of the pre-training clients after the new ones
 *                       were adapted (95% interval); panel per preset
 *   F15 robustness      new-client KID over fine-tuning learning rate × steps;
 *                       diverged cells marked, not plotted; panel per preset
 *   F16 embedding-probe E5: the client's statistics against their
 *                       leave-one-out prediction from the embedding; y = x
 *   F17 digits          8 generated 8×8 digits per new client and method
 *                       (first seed) beside 8 real held-out ones
 *   F21 sample-size     new-client KID against the new client's n_train (log
 *                       x), every method, 95% bands; where curves cross
 *
 * The figures read a pf_fed_view: a plain copy of what they need from one
 * preset's result (pf_fed_view_of fills it from a spire_exp_result; tests fill
 * it by hand).  The recipes run each preset's experiment once per process
 * (memoised by preset, quick and seed), write its tables into
 * OUTDIR/spire_<preset>/ (spire_exp_write) and draw from it.
 *
 * Library code: nothing printed; GSL status codes. */
#ifndef PF_FIGS_FED_H
#define PF_FIGS_FED_H

#include <stddef.h>
#include "paper_figs/figs.h"
#include "plots/plots.h"

#define PF_FED_M 12       /* methods at most */
#define PF_FED_S 16       /* sample sizes at most */
#define PF_FED_G 8        /* robustness: learning rates, steps at most */
#define PF_FED_NEW 8      /* new clients shown in F17 at most */
#define PF_FED_E 8        /* claims per preset at most */

typedef struct { double mean, lo, hi; size_t n; } pf_ci;   /* 95% interval; NaN: not measured */

typedef struct {
    char preset[16];          /* "gmm2", "gmmK", "digits" */
    int digits;               /* 1: the digits preset (images in F17) */
    size_t seeds;
    const char *kid_name;     /* what kid_new and diff measure, for labels ("KID" or "feature KID") */
    const char *size_name;    /* what size_kid measures */
    size_t nm;                /* methods, table order; method 0 is SPIRE */
    char method[PF_FED_M][16];
    size_t trainable[PF_FED_M];
    pf_ci kid_new[PF_FED_M], kid_pre[PF_FED_M], forget[PF_FED_M], tv_new[PF_FED_M];
    pf_ci diff[PF_FED_M];     /* paired over seeds: kid_new(method) − kid_new(SPIRE) */
    /* the sample-size curve: kid_new at the new client's n_train = sizes[i] */
    size_t nsizes, sizes[PF_FED_S];
    pf_ci size_kid[PF_FED_M][PF_FED_S];
    /* robustness: methods rob_m[] (indices into method[]) over lr × steps */
    size_t nrm, nlr, nst;
    size_t rob_m[PF_FED_M];
    double lr[PF_FED_G];
    size_t steps[PF_FED_G];
    pf_ci rob[PF_FED_M][PF_FED_G][PF_FED_G];
    size_t rob_div[PF_FED_M][PF_FED_G][PF_FED_G];   /* diverged runs of the cell */
    size_t rob_runs[PF_FED_M][PF_FED_G][PF_FED_G];  /* runs of the cell */
    /* the probe (E5): npr points (seed, client, target), truth and its
     * leave-one-out prediction from the embedding; arrays owned by the caller */
    const char *probe_target; /* e.g. "logit π_c", "mixing weights π_ck", "label shares" */
    size_t npr, pr_q;         /* points; point i belongs to client i / pr_q */
    const double *pr_truth, *pr_pred;
    const int *pr_new;        /* [i / pr_q] 1: a new client (may be NULL) */
    double pr_r, pr_lo, pr_hi;   /* correlation over seeds: tanh of the mean Fisher z and its 95% interval */
    double pr_bound;          /* the smallest per-seed one-sided 99% Fisher-z lower bound of r */
    /* digits: nnew new clients, 8 real held-out rows each and 8 generated rows
     * per method (first seed), 64 pixels in [−1, 1] each; owned by the caller */
    size_t nnew;
    size_t new_client[PF_FED_NEW];
    const float *dg_real;     /* [nnew][8][64] */
    const float *dg_gen;      /* [nm][nnew][8][64] */
    /* the verdicts E1–E5 */
    size_t ne;
    pf_erow e[PF_FED_E];
    double wall;              /* seconds the experiment took */
} pf_fed_view;

/* The figure renderers: one panel per view (preset), written through
 * pf_finish into o->outdir (r is filled as pf_figure_run does).  GSL_EINVAL
 * for NULL or nv = 0 or nv > 3; F17 uses the first view with digits
 * (GSL_EINVAL if none). */
int pf_fed_f12(const pf_opts *o, const pf_fed_view *v, size_t nv, pf_result *r);
int pf_fed_f13(const pf_opts *o, const pf_fed_view *v, size_t nv, pf_result *r);
int pf_fed_f14(const pf_opts *o, const pf_fed_view *v, size_t nv, pf_result *r);
int pf_fed_f15(const pf_opts *o, const pf_fed_view *v, size_t nv, pf_result *r);
int pf_fed_f16(const pf_opts *o, const pf_fed_view *v, size_t nv, pf_result *r);
int pf_fed_f17(const pf_opts *o, const pf_fed_view *v, size_t nv, pf_result *r);
int pf_fed_f21(const pf_opts *o, const pf_fed_view *v, size_t nv, pf_result *r);

/* The recipes of the pf_figures table (all three presets; F17 digits only). */
int pf_f12_paired_kid(const pf_opts *o, pf_result *r);
int pf_f13_kid_params(const pf_opts *o, pf_result *r);
int pf_f14_forgetting(const pf_opts *o, pf_result *r);
int pf_f15_robustness(const pf_opts *o, pf_result *r);
int pf_f16_probe(const pf_opts *o, pf_result *r);
int pf_f17_digits(const pf_opts *o, pf_result *r);
int pf_f21_sample_size(const pf_opts *o, pf_result *r);

/* One preset's experiment as a view (pointers into r, which must outlive
 * it).  Digits with a classifier: kid_new and diff are the feature-space KID.
 * GSL_EINVAL for NULL or more methods, sizes or new clients than the view holds. */
struct spire_exp_result;
int pf_fed_view_of(const struct spire_exp_result *r, pf_fed_view *v);

/* The federated figures of one experiment into dir (what `spirelab spire
 * experiment --out DIR` draws): F12–F16 and F21, and F17 for digits, one
 * panel each, in the formats fmts (caps: plots_probe's; caps->found = 0:
 * data and scripts only).  res (may be NULL) receives up to 7 results (ids,
 * stems, captions), *nres (may be NULL) their number.  The first failing
 * figure's status (GSL_EFAILED: a file could not be written or gnuplot
 * failed), after trying all. */
int pf_fed_render(const struct spire_exp_result *r, const char *dir, const plots_caps *caps,
                  const plots_format *fmts, size_t nfmts, pf_result *res, size_t *nres);

/* The E1–E5 rows of the experiments this process has run for o's quick and
 * seed (by the recipes above), preset by preset, into rows[max]; *n rows. */
void pf_fed_erows(const pf_opts *o, pf_erow *rows, size_t max, size_t *n);
/* Free the memoised experiments (call once at the end; NULL-safe, idempotent). */
void pf_fed_cache_free(void);

#endif
