/* paper_figs/figs.h — the lab's figures, one recipe each (DESIGN.md:
 * paper_figs/): computation with the library (ddpm/, gmm/) → CSV → gnuplot
 * (plots/) → image, plus the index of all figures (index.html, REPORT.md).
 *
 *   F1 excess-loss    excess loss against w and p at several noise levels:
 *                     quadrature curves, Monte Carlo points (±2 SE), the
 *                     minimum at θ* (THEORY.md §3, §4; claims C1, C4)
 *   F2 gd             gradient descent: p_k from several starts on the
 *                     population and an empirical loss; |p_k − π| against k
 *                     with the predicted rate |1 − ηℓ''(θ*)| (§5; C3)
 *   F3 dimension      |p̂ − π| (median, 90% quantile) against d = 1…10⁴ for
 *                     several n, explicit d-dimensional draws, with the
 *                     sandwich prediction (§6; C5)
 *   F4 rate           RMSE against n (log-log) for several d, DDPM estimator
 *                     and MLE with their predictions (sandwich, CRLB) (§6; C6)
 *   F5 separation     √n·sd(p̂) and the efficiency CRLB/Var against Δ at
 *                     several noise levels (§6; C7)
 *   F6 efficiency     efficiency against the noise level b = σ_t for several
 *                     Δ, quadrature curves and simulation (§6; C7)
 *   F7 sign-map       (w − θ*)·ℓ'(w) over (w, Δ) and over (w, a) (§3; C2)
 *   F8 step-size      steps to converge against η, with 2/ℓ''(θ*) (§5; C8)
 *   F9 means          error against d when the means are learned too, and of
 *                     the mixing weight alone (§6; C9)
 *   F10 network-gmm8  the score network (spire/) on a 2-D 8-component mixture:
 *                     held-out vs generated samples, loss, KID against steps (§8)
 *   F11 network-digits generated 8×8 digits beside real ones, with KID (§8)
 *   F18 weighting     efficiency of ŵ_n under each loss weighting against Δ and
 *                     π, linear and cosine, best single level, MLE (§9; C11)
 *   F19 simplex       K = 3: the excess loss over the probability simplex (a
 *                     ternary map) with GD paths from several starts (§10; C12)
 *   F20 kdimension    error of p̂_n against d for K = 3 and 5, explicit draws,
 *                     beside the sandwich prediction (§10; C13)
 *   F12–F17, F21      the federated experiment (§8; E2–E5), one panel per
 *                     preset: paired KID differences, KID against parameters,
 *                     forgetting, robustness, the embedding probe, generated
 *                     digits, the sample-size curve (paper_figs/figs_fed.h)
 *
 * Each figure writes DIR/F<k>-<slug>.csv and .gp always, and the images
 * (PNG and SVG, or PDF) when gnuplot is there; its caption says what it shows
 * and the numbers behind it.  The model is π = 0.3, Δ = 2, a = 0.7 unless a
 * figure varies it.  Random streams: replicate r of cell i of figure k draws
 * from spl_stream_seed(seed, 0xF000·k + i, r), so a figure's numbers depend
 * only on (seed, quick) — not on the threads, nor on which other figures run.
 *
 * Library code: nothing is printed; GSL status codes.  A missing gnuplot is
 * not an error (pf_result.rendered = 0).
 */
#ifndef PF_FIGS_H
#define PF_FIGS_H

#include <stddef.h>
#include <stdint.h>
#include "plots/plots.h"
#include "proofs_check/claims.h"

typedef struct {
    int quick;                  /* 1: reduced grids and replicates */
    uint64_t seed;
    const char *outdir;         /* existing directory */
    plots_format fmts[4];       /* image formats, e.g. PNG, SVG */
    size_t nfmts;
    plots_page page;
    const plots_caps *caps;     /* from plots_probe; caps->found = 0: data and scripts only */
    /* progress of the long recipes (the federated experiments): one line, no
     * newline; NULL: silent */
    void (*progress)(void *ctx, const char *line);
    void *progress_ctx;
} pf_opts;

/* Full mode, seed 1, PNG + SVG at 1000×700, outdir "paper_figs/out", caps NULL (set it). */
void pf_opts_default(pf_opts *o);

#define PF_CAPTION 2048
typedef struct {
    const char *id, *slug, *title;
    const char *claims;         /* the claims behind it: THEORY.md §7 ("C1,C4"), §8's E1–E5 ("E2"), or "none" */
    char stem[64];              /* "F1-excess-loss" */
    char caption[PF_CAPTION];   /* what it shows and the numbers behind it (UTF-8) */
    unsigned rendered;          /* 1u << plots_format for each image written */
    double seconds;
} pf_result;

typedef struct {
    const char *id, *slug, *title, *claims;
    int (*make)(const pf_opts *o, pf_result *r);
} pf_figure;

extern const pf_figure pf_figures[];
extern const size_t pf_nfigures;
/* At most PF_FIGURES_MAX figures in the table (checked when figs.c compiles):
 * `spirelab figs` keeps one result per figure on the stack. */
#define PF_FIGURES_MAX 64

/* Look a figure up by id ("F3"); NULL if there is none. */
const pf_figure *pf_figure_find(const char *id);

/* Make one figure: fills r (id, slug, title, claims, stem first, so that
 * they are set even on error), computes, writes.  Errors: GSL_EINVAL (bad
 * options), a library failure's status, or plots_fig_write's (GSL_EFAILED:
 * a file could not be written or gnuplot failed). */
int pf_figure_run(const pf_figure *F, const pf_opts *o, pf_result *r);

/* The individual recipes (also reachable through pf_figures). */
int pf_f1_excess_loss(const pf_opts *o, pf_result *r);
int pf_f2_gd(const pf_opts *o, pf_result *r);
int pf_f3_dimension(const pf_opts *o, pf_result *r);
int pf_f4_rate(const pf_opts *o, pf_result *r);
int pf_f5_separation(const pf_opts *o, pf_result *r);
int pf_f6_efficiency(const pf_opts *o, pf_result *r);
int pf_f7_sign_map(const pf_opts *o, pf_result *r);
int pf_f8_step_size(const pf_opts *o, pf_result *r);
int pf_f9_means(const pf_opts *o, pf_result *r);
int pf_f10_network_gmm(const pf_opts *o, pf_result *r);      /* paper_figs/figs_net.c */
int pf_f11_network_digits(const pf_opts *o, pf_result *r);
int pf_f18_weighting(const pf_opts *o, pf_result *r);         /* paper_figs/figs_weighting.c */
int pf_f19_simplex(const pf_opts *o, pf_result *r);          /* paper_figs/figs_kmix.c */
int pf_f20_kdimension(const pf_opts *o, pf_result *r);

/* One verdict of the federated experiments (E1–E5 of THEORY.md §8, from
 * spire/experiment.h) for the index: strings are borrowed, NaN where a
 * number was not measured. */
typedef struct {
    const char *preset, *id, *claim;
    double measured, lo, hi, threshold;
    const char *verdict;        /* "REPRODUCED", "NOT REPRODUCED", "UNDECIDED" */
    const char *detail;         /* what decided it (may be NULL) */
} pf_erow;

/* ---- the index ------------------------------------------------------------
 * DIR/index.html and DIR/REPORT.md (each written atomically): a header (mode,
 * seed, spirelab and gnuplot versions, total time), every figure of figs[]
 * with its image (or a note that it was not rendered), its caption, the
 * verdicts of its claims and links to its .csv/.gp/.svg; then the table of
 * claims (the `spirelab check` table: id, claim, measured, threshold,
 * verdict, seconds).  claims may be NULL (nclaims 0): "claims not run".
 * Then the table of the federated experiments' verdicts E1–E5 (preset, id,
 * claim, measured, 95% interval, threshold, verdict); erows may be NULL
 * (nerows 0): "not run".
 * total_seconds < 0: not printed.  GSL_EFAILED if a file cannot be written. */
int pf_index_write(const pf_opts *o, const pf_result *figs, size_t nfigs,
                   const pc_result *claims, size_t nclaims,
                   const pf_erow *erows, size_t nerows, double total_seconds);

/* ---- lecture demos (spirelab demo) ----------------------------------------
 * Each builds an animation as a plots_fig (data: every frame's rows with a
 * "frame" column; body: one plot per frame, pausing PAUSE seconds in a live
 * window), to be written as a GIF (plots_fig_write with PLOTS_GIF, which
 * also writes the .csv and .gp) or played live (plots_fig_show).  *nframes
 * (may be NULL) is the number of frames.  GSL_EDOM for parameters out of
 * range. */
typedef struct {
    double pi, sep, alpha;   /* π ∈ (0,1), Δ > 0, noise level a ∈ (0,1) */
    double lr;               /* gd: η > 0; 0: 1/ℓ''(θ*) */
    double init;             /* gd: p0 ∈ (0,1) */
    size_t steps;            /* gd: iterations (frames − 1) */
    double wrong_pi;         /* diffusion: the model's wrong mixing weight ∈ (0,1) */
    size_t points;           /* diffusion: points per cloud */
    size_t reps;             /* dimension: replicates per d */
    size_t n;                /* dimension: samples per replicate */
    uint64_t seed;
} pf_demo_opts;

/* π 0.3, Δ 2 (diffusion: 4), a 0.7, η auto, p0 0.95, 30 steps, wrong π 0.7,
 * 400 points, 200 replicates of n 500, seed 1. */
void pf_demo_opts_default(pf_demo_opts *d);

/* GD on the population loss: the ball rolling down the excess-loss curve
 * (against p) beside p_k against k (THEORY.md §5). */
int pf_demo_gd(const pf_demo_opts *d, plots_fig *f, size_t *nframes);
/* A 2-D two-component mixture (means ±Δ/2 on the first axis): forward
 * noising of a cloud, then reverse DDPM sampling with the exact score
 * (THEORY.md §2) for the true weight π beside the same sampler with the
 * wrong weight (same noise), with the fraction of points in each component. */
int pf_demo_diffusion(const pf_demo_opts *d, plots_fig *f, size_t *nframes);
/* K = 3 (the F19 mixture, a = alpha): gradient descent on the logits from the
 * three corners of the simplex over the ternary map of the excess loss;
 * `steps` frames, each advancing ⌈600/steps⌉ GD steps of size lr (0: 1/λ_max
 * of ∇²ℓ(θ*)) (THEORY.md §10; paper_figs/figs_kmix.c). */
int pf_demo_simplex(const pf_demo_opts *d, plots_fig *f, size_t *nframes);
/* Histograms of p̂ for d = 1, 100, 10⁴ filling in as replicates arrive
 * (explicit d-dimensional draws), with the sandwich normal density. */
int pf_demo_dimension(const pf_demo_opts *d, plots_fig *f, size_t *nframes);

#endif
