/* cli/cmd_spire.c — spirelab spire pretrain | adapt | eval | experiment:
 * SPIRE, federated (THEORY.md §8; spire/fed.h).  Parsing, validation,
 * progress lines and output: the experiment's protocol, statistics, verdicts
 * and tables are spire/experiment.c; pretrain/adapt/eval drive spire/fed.h
 * step by step (checkpoint, resume, log). */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <gsl/gsl_errno.h>
#include "cli/cli.h"
#include "cli/dist.h"
#include "cli/opts.h"
#include "common/spl_buf.h"
#include "common/spl_file.h"
#include "common/spl.h"
#include "paper_figs/figs_fed.h"
#include "plots/plots.h"
#include "spire/data.h"
#include "spire/experiment.h"
#include "spire/fed.h"

enum {
    O_PRESET = OPT_COMMON_END, O_QUICK, O_CLIENTS, O_NEW, O_DIM, O_K, O_ALPHA, O_LABELS, O_N,
    O_HOLDOUT, O_SEP, O_HIDDEN, O_LAYERS, O_TEMB, O_EMBED_AT, O_TT, O_ROUNDS, O_FRAC, O_LOCAL,
    O_BATCH, O_LR, O_SEED, O_ASTEPS, O_ALR, O_RANK, O_LSTEPS, O_NGEN, O_DDIM, O_DETA, O_DCLIP, O_KSUB, O_KSIZE,
    O_STATE, O_RESUME, O_SAVE_EVERY, O_LOG, O_KID_EVERY, O_METHOD, O_NO_EMBED, O_OUT, O_SEEDS,
    O_NO_ROBUST, O_THREADS, O_SIZES, O_NO_CLF, O_MUTANT, O_MUTANT_EARLY
};

static const struct option longopts[] = {
    OPT_LONG_HELP,
    { "preset", required_argument, NULL, O_PRESET },
    { "quick", no_argument, NULL, O_QUICK },
    { "clients", required_argument, NULL, O_CLIENTS },
    { "new", required_argument, NULL, O_NEW },
    { "dim", required_argument, NULL, O_DIM },
    { "K", required_argument, NULL, O_K },
    { "alpha", required_argument, NULL, O_ALPHA },
    { "labels-per-client", required_argument, NULL, O_LABELS },
    { "n", required_argument, NULL, O_N },
    { "holdout", required_argument, NULL, O_HOLDOUT },
    { "sep", required_argument, NULL, O_SEP },
    { "hidden", required_argument, NULL, O_HIDDEN },
    { "layers", required_argument, NULL, O_LAYERS },
    { "temb", required_argument, NULL, O_TEMB },
    { "embed-at", required_argument, NULL, O_EMBED_AT },
    { "T", required_argument, NULL, O_TT },
    { "rounds", required_argument, NULL, O_ROUNDS },
    { "frac", required_argument, NULL, O_FRAC },
    { "local-steps", required_argument, NULL, O_LOCAL },
    { "batch", required_argument, NULL, O_BATCH },
    { "lr", required_argument, NULL, O_LR },
    { "seed", required_argument, NULL, O_SEED },
    { "adapt-steps", required_argument, NULL, O_ASTEPS },
    { "adapt-lr", required_argument, NULL, O_ALR },
    { "rank", required_argument, NULL, O_RANK },
    { "local-train-steps", required_argument, NULL, O_LSTEPS },
    { "n-gen", required_argument, NULL, O_NGEN },
    { "ddim-steps", required_argument, NULL, O_DDIM },
    { "ddim-eta", required_argument, NULL, O_DETA },
    { "ddim-clip", required_argument, NULL, O_DCLIP },
    { "kid-subsets", required_argument, NULL, O_KSUB },
    { "kid-size", required_argument, NULL, O_KSIZE },
    { "state", required_argument, NULL, O_STATE },
    { "resume", no_argument, NULL, O_RESUME },
    { "save-every", required_argument, NULL, O_SAVE_EVERY },
    { "log", required_argument, NULL, O_LOG },
    { "kid-every", required_argument, NULL, O_KID_EVERY },
    { "method", required_argument, NULL, O_METHOD },
    { "no-embed", no_argument, NULL, O_NO_EMBED },
    { "out", required_argument, NULL, O_OUT },
    { "seeds", required_argument, NULL, O_SEEDS },
    { "threads", required_argument, NULL, O_THREADS },
    { "no-robust", no_argument, NULL, O_NO_ROBUST },
    { "sizes", required_argument, NULL, O_SIZES },
    { "no-classifier", no_argument, NULL, O_NO_CLF },
    { "mutant", no_argument, NULL, O_MUTANT },
    { "mutant-early", required_argument, NULL, O_MUTANT_EARLY },
    { NULL, 0, NULL, 0 }
};

typedef struct {
    const char *cmd;
    int kind, quick;
    spire_exp_opts x;            /* the experiment (its data, network, pre-training, adaptation, evaluation) */
    size_t save_every, kid_every;
    const char *state, *log, *out;
    int resume, no_embed;
    spire_fed_method method;
} job;

static void usage(FILE *f)
{
    fprintf(f,
"usage: spirelab spire pretrain|adapt|eval|experiment [--preset gmm2|gmmK|digits] [options]\n"
"\n"
"SPIRE, federated (THEORY.md s8): FedAvg of the score network's backbone with a\n"
"private embedding per client; new clients adapted by SPIRE (embedding only) or\n"
"by the baselines; KID per client, implied mixing weights, forgetting.\n"
"  pretrain    FedAvg over the pre-training clients; --state FILE (checkpoint,\n"
"              also every --save-every rounds), --resume continues it exactly,\n"
"              --log FILE: round,client,n_train,loss,kid_mean,kid_std (KID every\n"
"              --kid-every rounds); --no-embed: plain FedAvg (no embeddings)\n"
"  adapt       from --state, adapt every new client with --method\n"
"              spire|fedavg|full|last|lora|local; CSV client,kid_mean,... on stdout\n"
"  eval        from --state: KID of every client (its own embedding), CSV\n"
"  experiment  the whole protocol (spire/experiment.h) over --seeds S (default 10;\n"
"              --quick 1), seeds run concurrently, into --out DIR: table.csv,\n"
"              table.md, paired.csv, seeds.csv, clients.csv, sizes.csv,\n"
"              robustness.csv, probe.csv, claims.csv (E1-E5), rounds.csv,\n"
"              bridge.csv (gmm2), digits.csv (digits), figures F12-F16, F21\n"
"              (F17 for digits)\n"
"clients (defaults per preset: docs/cli/spire.md; protocol: docs/federated.md):\n"
"  --preset P          gmm2 (default) | gmmK | digits;  --quick  smaller everything\n"
"  --clients C         clients, integer >= 2;  --new N  new clients, 1 <= N < C\n"
"  --dim D  --K K  --sep S  --alpha A  --labels-per-client S  --n N  --holdout H\n"
"network and pre-training:\n"
"  --hidden H  --layers L  --temb E  --embed-at time|hidden  --T STEPS\n"
"  --rounds R  --frac Q (in (0, 1])  --local-steps E  --batch B  --lr LR  --seed S\n"
"adaptation and evaluation:\n"
"  --adapt-steps N  --adapt-lr LR  --rank R  --local-train-steps N\n"
"  --n-gen N  --ddim-steps S  --kid-subsets N  --kid-size N\n"
"  --ddim-eta E        DDIM noise level of those samples, number in [0, 1] (default 1;\n"
"                      0: deterministic DDIM); --ddim-steps default 25, gmmK 100\n"
"  --ddim-clip C       clamp of their predicted clean sample, number >= 0 (0: off;\n"
"                      default 1 for digits, else 0)\n"
"  --no-robust         experiment: skip the learning-rate x steps grid (E4 UNDECIDED)\n"
"  --sizes LIST        experiment: new clients' training-set sizes of the sample-size\n"
"                      curve, increasing integers in [1, 1000000] (at most 16), or none\n"
"  --no-classifier     experiment, digits: no classifier (no feature KID, no label TV)\n"
"  --mutant            experiment: also the deliberately wrong models of E1-E5 (power;\n"
"                      docs/claims.md): claims.csv then holds the WRONG models'\n"
"                      verdicts, claims_true.csv the true model's\n"
"  --mutant-early F    with --mutant: E1's wrong model on SPIRE's backbone after the\n"
"                      share F of the pre-training rounds, number in (0, 1]\n"
"                      (default 1: the final backbone; digits 0.25)\n"
"  --threads K         workers: seeds of an experiment (or, with one seed, clients of a\n"
"                      round and of an evaluation) run concurrently, integer in [1, 4096]\n"
"                      (default: all cores; results do not depend on it)\n"
"Under mpirun (build-mpi/spirelab, make MPI=1) pretrain and experiment train\n"
"each FedAvg round's clients on several ranks, bit-identical to one process;\n"
"rank 0 writes the files (docs/mpi.md).\n"
"Exit status: 0 done, 1 failure, 2 bad input.\n");
}

/* The canonical description of a pre-training run (everything but --rounds). */
static void config_text(const job *j, int embed, char *buf, size_t len)
{
    const spire_fed_data_opts *d = &j->x.data;
    snprintf(buf, len,
             "kind=%d C=%zu D=%zu K=%zu sep=%.17g R=%.17g sigma=%.17g alpha=%.17g s=%zu n=%zu "
             "holdout=%.17g new=%zu | E=%zu H=%zu L=%zu at=%d T=%zu | q=%.17g local=%zu batch=%zu "
             "lr=%.17g embed=%d seed=%llu",
             j->kind, d->C, d->D, d->K, d->sep, d->radius, d->sigma, d->alpha, d->s, d->n,
             d->holdout, j->x.n_new, j->x.cfg.E, j->x.cfg.H, j->x.cfg.L, (int)j->x.cfg.embed_at, j->x.T,
             j->x.fed.frac, j->x.fed.local_steps, j->x.fed.batch, j->x.fed.lr, embed,
             (unsigned long long)j->x.fed.seed);
}

/* Mean KID over the clients with mask[c] = want (and per client into kid[c]). */
static int kid_clients(spire_model *m, const ddpm_schedule *s, const spire_fed_data *d,
                       const int *mask, int want, const spire_fed_eval_opts *eo, double *kid,
                       double *mean)
{
    return spire_fed_kid_clients(m, s, d, mask, want, eo, kid, mean);
}

#define ROUNDS_HEADER "round,client,n_train,loss,kid_mean,kid_std\n"

/* Drop the rows of a rounds log (ROUNDS_HEADER, then rows in round order)
 * after round `round`: what a resumed run will compute again. */
static void log_keep_rounds(spl_buf *log, size_t round)
{
    char *s = log->s;
    if (!s) return;
    char *p = strchr(s, '\n');
    while (p && p[1]) {
        char *end;
        unsigned long long r = strtoull(p + 1, &end, 10);
        if (end == p + 1 || r > round) { log->len = (size_t)(p + 1 - s); s[log->len] = '\0'; return; }
        p = strchr(p + 1, '\n');
    }
}

/* The checkpoint (state, if not NULL) and then the rounds log (log_path, if
 * not NULL), written by rank 0 only: under mpirun every rank holds the same
 * run and log.  Nonzero on every rank if a write failed (one line said why). */
static int save_root(const job *j, const char *state, const spire_fed_run *r, const char *conf,
                     const spl_buf *log, const char *log_path)
{
    char err[512];
    int bad = 0;
    if (dist_rank() == 0) {
        if (state && spire_fed_save(state, r, conf, err, sizeof err)) {
            fprintf(stderr, "spirelab %s: %s\n", j->cmd, err);
            bad = 1;
        } else if (log_path && spl_buf_write(log, log_path, err, sizeof err)) {
            fprintf(stderr, "spirelab %s: --log: %s\n", j->cmd, err);
            bad = 1;
        }
    }
    return dist_agree(bad);
}

/* FedAvg pre-training with an optional checkpoint (state), resume and log of
 * the rounds (log: appended to; log_path: also written there, atomically,
 * whenever the state is saved and at the end, so that the two agree). */
/* A library refusal of the user's input (a spec, a state file, an option out
 * of range) exits with status 2, any other failure with 1. */
static int bad_input(int st) { return st == GSL_EINVAL || st == GSL_EDOM; }

static int pretrain(const job *j, const spire_fed_data *d, const ddpm_schedule *s,
                    const int *is_new, int embed, const char *state, int resume, spl_buf *log,
                    const char *log_path, spire_fed_run **out)
{
    const char *cmd = j->cmd;
    char conf[1024], err[512];
    config_text(j, embed, conf, sizeof conf);
    int ast;
    spire_fed_run *r = spire_fed_run_alloc(&j->x.cfg, spl_stream_seed(j->x.fed.seed, SPIRE_FED_STREAM_INIT, 1000000), &ast);
    int *el = malloc(d->C * sizeof *el);
    double *kid = malloc(d->C * sizeof *kid);
    if (!r || !el || !kid) {
        opt_lib_error(cmd, "spire_fed_run_alloc", r ? GSL_ENOMEM : ast);
        spire_fed_run_free(r); free(el); free(kid);
        return 1;
    }
    for (size_t c = 0; c < d->C; c++) el[c] = !is_new[c];
    if (resume) {
        int st = spire_fed_load(state, r, conf, err, sizeof err);
        if (st) {
            fprintf(stderr, "spirelab %s: --resume: %s\n", cmd, err);
            spire_fed_run_free(r); free(el); free(kid);
            return bad_input(st) ? 2 : 1;
        }
        if (log) log_keep_rounds(log, r->srv.round);
    }
    spire_fed_opts fo = j->x.fed;
    fo.embed = embed;
    fo.hook = dist_fed_hook();   /* under mpirun: the round's clients spread over the ranks */
    spire_model *m = NULL;
    int rc = 0;
    while (r->srv.round < fo.rounds) {
        int st = spire_fed_round(r, s, d, el, &fo);
        if (st) { opt_lib_error(cmd, "federated round", st); rc = 1; break; }
        size_t round = r->srv.round;
        int do_kid = j->kid_every && round % j->kid_every == 0;
        if (do_kid) {
            if (!m && !(m = spire_model_alloc(&j->x.cfg, &st))) { opt_lib_error(cmd, "spire_model_alloc", st); rc = 1; break; }
            double mean;
            if ((st = spire_fed_to_model(r, m))) { opt_lib_error(cmd, "spire_fed_to_model", st); rc = 1; break; }
            if (kid_clients(m, s, d, el, 1, &j->x.eval, kid, &mean)) { rc = 1; break; }
        }
        if (log)
            for (size_t c = 0; c < d->C; c++) {
                if (!el[c]) continue;
                spl_buf_printf(log, "%zu,%zu,%zu,", round, c, d->n_train[c]);
                if (isnan(r->loss[c])) spl_buf_puts(log, ","); else spl_buf_printf(log, "%.6g,", r->loss[c]);
                if (do_kid) spl_buf_printf(log, "%.6g,\n", kid[c]); else spl_buf_puts(log, ",\n");
            }
        if (state && j->save_every && round % j->save_every == 0 &&
            save_root(j, state, r, conf, log, log_path)) {
            rc = 1;
            break;
        }
    }
    if (!rc && state && save_root(j, state, r, conf, NULL, NULL)) rc = 1;
    if (log_path && save_root(j, NULL, r, conf, log, log_path)) rc = 1;   /* also after a failure: what was done */
    spire_model_free(m);
    free(el); free(kid);
    if (rc) { spire_fed_run_free(r); return rc; }
    *out = r;
    return 0;
}

/* ---- the experiment (the protocol is spire/experiment.c) ------------------------------ */

static void progress_line(void *ctx, const char *line)
{
    fprintf(stderr, "spirelab %s: %s\n", (const char *)ctx, line);
}

static int experiment(job *j)
{
    const char *cmd = j->cmd;
    const char *dir = j->out ? j->out : "spire_out";
    /* under mpirun: rank 0 writes; every rank computes (pre-training spread
     * over the ranks by the FedAvg hook, the rest the same on every rank) */
    int root = dist_rank() == 0, nodir = root && mkdir(dir, 0777) != 0 && errno != EEXIST;
    if (nodir) fprintf(stderr, "spirelab %s: cannot create --out directory %s\n", cmd, dir);
    if (dist_agree(nodir)) return 1;
    spire_exp_opts o = j->x;
    o.hook = dist_fed_hook();
    o.progress = root ? progress_line : NULL;
    o.progress_ctx = (void *)cmd;
    spire_exp_result *r = NULL;
    char err[1024];
    int st = spire_exp_run(&o, &r, err, sizeof err);
    if (st) {
        fprintf(stderr, "spirelab %s: %s\n", cmd, err);
        return bad_input(st) ? 2 : 1;
    }
    int rc = 0;
    if (root && (st = spire_exp_write(r, dir, err, sizeof err))) {
        fprintf(stderr, "spirelab %s: %s\n", cmd, err);
        rc = 1;
    }
    /* the figures F12–F16, F21 (F17 for digits): the same renderers as spirelab figs */
    if (!rc && root) {
        plots_caps caps;
        plots_format fmts[] = { PLOTS_PNG, PLOTS_SVG };
        st = plots_probe(NULL, &caps);
        if (!st) st = pf_fed_render(r, dir, &caps, fmts, 2, NULL, NULL);
        if (st == GSL_EUNSUP) st = GSL_SUCCESS;   /* a gnuplot without png/svg: the .csv and .gp are written */
        if (st) {
            fprintf(stderr, "spirelab %s: cannot write the figures into %s: %s\n", cmd, dir, gsl_strerror(st));
            rc = 1;
        }
    }
    if (!rc && root) {
        char path[4096];
        snprintf(path, sizeof path, "%s/table.csv", dir);
        char *t;
        size_t n;
        if (spl_file_read(path, &t, &n, err, sizeof err) == GSL_SUCCESS) { fwrite(t, 1, n, stdout); free(t); }
        for (int i = 0; i < SPIRE_EXP_NCLAIMS; i++)
            fprintf(stderr, "spirelab %s: %s %s: %.4g [%.4g, %.4g] vs %.4g\n", cmd, r->claims[i].id,
                    r->claims[i].verdict, r->claims[i].measured, r->claims[i].lo, r->claims[i].hi,
                    r->claims[i].threshold);
        for (int i = 0; o.mutant && i < SPIRE_EXP_NCLAIMS; i++)
            fprintf(stderr, "spirelab %s: WRONG MODEL (--mutant, not a result) %s %s: %.4g [%.4g, %.4g] vs %.4g\n", cmd,
                    r->mclaims[i].id, r->mclaims[i].verdict, r->mclaims[i].measured, r->mclaims[i].lo,
                    r->mclaims[i].hi, r->mclaims[i].threshold);
        fprintf(stderr, "spirelab %s: wrote %s/table.md, %s (wall time %.1f s)\n", cmd, dir,
                o.mutant ? "claims.csv (the WRONG models' verdicts), claims_true.csv" : "claims.csv", r->wall);
    }
    spire_exp_result_free(r);
    return rc;
}

/* ---- the commands ---------------------------------------------------------------- */

static int cmd_pretrain(job *j, int adapt_eval)
{
    const char *cmd = j->cmd;
    char err[512];
    int st;
    spire_fed_data *d = spire_fed_data_make(&j->x.data, &st, err, sizeof err);
    if (!d) { fprintf(stderr, "spirelab %s: %s\n", cmd, err); return bad_input(st) ? 2 : 1; }
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_LINEAR, j->x.T, &st);
    int *is_new = malloc(d->C * sizeof *is_new), *known = malloc(d->C * sizeof *known);
    int embed = !j->no_embed, rc = 0;
    spire_fed_run *r = NULL;
    spire_model *m = NULL, *W = NULL;
    spl_buf log = SPL_BUF_INIT;
    if (!s || !is_new || !known) { opt_lib_error(cmd, "ddpm_schedule_alloc", s ? GSL_ENOMEM : st); rc = 1; goto out; }
    if ((st = spire_fed_pick_new(d->C, j->x.n_new, j->x.fed.seed, is_new))) {
        opt_lib_error(cmd, "spire_fed_pick_new", st);
        rc = 1;
        goto out;
    }
    for (size_t c = 0; c < d->C; c++) known[c] = !is_new[c];
    if (adapt_eval) {
        /* adapt / eval: the run is read from --state, nothing is trained further */
        char conf[1024];
        config_text(j, embed, conf, sizeof conf);
        if (!(r = spire_fed_run_alloc(&j->x.cfg, 1, &st))) { opt_lib_error(cmd, "spire_fed_run_alloc", st); rc = 1; goto out; }
        if ((st = spire_fed_load(j->state, r, conf, err, sizeof err))) {
            fprintf(stderr, "spirelab %s: --state: %s\n", cmd, err);
            rc = bad_input(st) ? 2 : 1;
            goto out;
        }
    } else {
        if (j->log && j->resume) {   /* keep the rounds already logged (those after the state's round are dropped) */
            char *old;
            size_t n;
            if (spl_file_read(j->log, &old, &n, err, sizeof err) == GSL_SUCCESS) {
                if (!strncmp(old, ROUNDS_HEADER, strlen(ROUNDS_HEADER))) spl_buf_append(&log, old, n);
                free(old);
            } else if (errno != ENOENT) {
                fprintf(stderr, "spirelab %s: --log: %s\n", cmd, err);
                rc = 1;
            }
        }
        if ((rc = dist_agree(rc))) goto out;   /* under mpirun every rank reads it */
        if (j->log && log.len == 0) spl_buf_puts(&log, ROUNDS_HEADER);
        if ((rc = pretrain(j, d, s, is_new, embed, j->state, j->resume, j->log ? &log : NULL, j->log, &r))) goto out;
        printf("rounds,clients,new_clients,embed,n_params,embed_width,state\n%zu,%zu,%zu,%d,%zu,%zu,%s\n",
               r->srv.round, d->C, j->x.n_new, embed, r->srv.n_params, r->ee, j->state);
        goto out;
    }
    m = spire_model_alloc(&j->x.cfg, &st);
    if (m) W = spire_model_alloc(&j->x.cfg, &st);
    if (!W) { opt_lib_error(cmd, "spire_model_alloc", st); rc = 1; goto out; }
    if ((st = spire_fed_to_model(r, m))) { opt_lib_error(cmd, "spire_fed_to_model", st); rc = 1; goto out; }
    if (adapt_eval == 1) {
        printf("client,method,kid_mean,kid_std,trainable,adapt_loss\n");
        for (size_t c = 0; c < d->C && !rc; c++) {
            if (!is_new[c]) continue;
            double loss;
            spire_kid_result kr;
            st = spire_fed_model_copy(W, m);
            if (!st) st = spire_fed_adapt(W, s, j->method, (int)c, d->train[c], d->n_train[c], known, &j->x.adapt, &loss);
            if (!st) st = spire_fed_kid(W, s, d, (int)c, &j->x.eval, NULL, &kr);
            if (st) { opt_lib_error(cmd, "adaptation", st); rc = 1; break; }
            printf("%zu,%s,%.6g,%.6g,%zu,%.6g\n", c, spire_fed_method_name(j->method), kr.mean, kr.std,
                   spire_fed_trainable(&j->x.cfg, j->method, j->x.adapt.rank), loss);
        }
    } else {
        printf("client,role,kid_mean,kid_std\n");
        for (size_t c = 0; c < d->C && !rc; c++) {
            spire_kid_result kr;
            if ((st = spire_fed_kid(m, s, d, (int)c, &j->x.eval, NULL, &kr))) { opt_lib_error(cmd, "KID", st); rc = 1; break; }
            printf("%zu,%s,%.6g,%.6g\n", c, is_new[c] ? "new" : "pre", kr.mean, kr.std);
        }
    }
out:
    spire_model_free(m); spire_model_free(W);
    spl_buf_release(&log);
    spire_fed_run_free(r);
    free(is_new); free(known);
    ddpm_schedule_free(s);
    spire_fed_data_free(d);
    return rc;
}

/* --sizes: "none" or a comma list of increasing integers in [1, 1000000], at most SPIRE_EXP_SIZES_MAX. */
static int parse_sizes(const char *cmd, const char *arg, spire_exp_opts *x)
{
    size_t n = 0, v[SPIRE_EXP_SIZES_MAX];
    int ok = 1;
    if (strcmp(arg, "none")) {
        const char *p = arg;
        while (ok) {
            char *end;
            if (*p < '0' || *p > '9') { ok = 0; break; }
            errno = 0;
            unsigned long long u = strtoull(p, &end, 10);
            ok = !errno && u >= 1 && u <= 1000000 && n < SPIRE_EXP_SIZES_MAX && (n == 0 || u > v[n - 1]) &&
                 (*end == ',' || *end == 0);
            if (ok) v[n++] = (size_t)u;
            if (!ok || *end == 0) break;
            p = end + 1;
        }
    }
    if (!ok) {
        fprintf(stderr, "spirelab %s: --sizes must be 'none' or a comma list of increasing integers in [1, 1000000] "
                "(at most %d), got '%s'\n", cmd, SPIRE_EXP_SIZES_MAX, arg);
        return 1;
    }
    x->nsizes = n;
    memcpy(x->sizes, v, n * sizeof *v);
    return 0;
}

int cmd_spire(int argc, char **argv)
{
    static char cmdname[64];
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        if (argc < 2) { fprintf(stderr, "spirelab spire: expected pretrain|adapt|eval|experiment (see spirelab spire --help)\n"); return 2; }
        usage(stdout);
        return 0;
    }
    int action;
    if (opt_choice("spire", "ACTION", argv[1], "pretrain|adapt|eval|experiment", &action)) return 2;
    snprintf(cmdname, sizeof cmdname, "spire %s", argv[1]);
    job j = { 0 };
    j.cmd = cmdname;
    j.kind = SPIRE_FED_GMM2;
    j.x.robust = 1;
    j.method = SPIRE_FED_M_SPIRE;
    argc--; argv++;
    const char *cmd = cmdname;
    int c;
    /* pass 1: the preset and --quick set the defaults */
    optind = 1; opterr = 0;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        if (c == O_PRESET) { if (opt_choice(cmd, "--preset", optarg, "gmm2|gmmK|digits", &j.kind)) return 2; }
        else if (c == O_QUICK) j.quick = 1;
        else if (c == OPT_HELP) { usage(stdout); return 0; }
        else if (c == '?' || c == ':') { opt_getopt_error(cmd, c, argv, longopts); return 2; }
    }
    spire_exp_opts_preset(&j.x, (spire_fed_kind)j.kind, j.quick);
    j.x.fed.seed = 1;
    int early_given = 0;
    size_t seeds_given = 0, threads = (size_t)omp_get_num_procs();
    char mlist[256];
    spire_fed_method_list(mlist, sizeof mlist);
    /* pass 2: everything else overrides the preset */
    optind = 1;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        int bad = 0, ea = 0;
        switch (c) {
        case O_PRESET: case O_QUICK: break;
        case O_CLIENTS: bad = opt_size(cmd, "--clients", optarg, 2, 100000, &j.x.data.C); break;
        case O_NEW: bad = opt_size(cmd, "--new", optarg, 0, 100000, &j.x.n_new); break;
        case O_DIM: bad = opt_size(cmd, "--dim", optarg, 1, SPIRE_DIM_MAX, &j.x.data.D); break;
        case O_K: bad = opt_size(cmd, "--K", optarg, 2, 1000, &j.x.data.K); break;
        case O_ALPHA: bad = opt_double(cmd, "--alpha", optarg, 0, OPT_OPEN, 1e6, OPT_CLOSED, &j.x.data.alpha); break;
        case O_LABELS: bad = opt_size(cmd, "--labels-per-client", optarg, 0, 10, &j.x.data.s); break;
        case O_N: bad = opt_size(cmd, "--n", optarg, 4, 10000000, &j.x.data.n); break;
        case O_HOLDOUT: bad = opt_double(cmd, "--holdout", optarg, 0, OPT_OPEN, 1, OPT_OPEN, &j.x.data.holdout); break;
        case O_SEP: bad = opt_double(cmd, "--sep", optarg, 0, OPT_OPEN, 1e6, OPT_CLOSED, &j.x.data.sep); break;
        case O_HIDDEN: bad = opt_size(cmd, "--hidden", optarg, 1, SPIRE_DIM_MAX, &j.x.cfg.H); break;
        case O_LAYERS: bad = opt_size(cmd, "--layers", optarg, 1, 1024, &j.x.cfg.L); break;
        case O_TEMB:
            bad = opt_size(cmd, "--temb", optarg, 2, SPIRE_DIM_MAX, &j.x.cfg.E);
            if (!bad && j.x.cfg.E % 2) { fprintf(stderr, "spirelab %s: --temb must be an even integer in [2, %u], got '%s'\n", cmd, SPIRE_DIM_MAX, optarg); bad = 1; }
            break;
        case O_EMBED_AT:
            bad = opt_choice(cmd, "--embed-at", optarg, "time|hidden", &ea);
            j.x.cfg.embed_at = ea ? SPIRE_EMBED_HIDDEN : SPIRE_EMBED_TIME;
            break;
        case O_TT: bad = opt_size(cmd, "--T", optarg, 2, 1000000, &j.x.T); break;
        case O_ROUNDS: bad = opt_size(cmd, "--rounds", optarg, 0, 100000000, &j.x.fed.rounds); break;
        case O_FRAC: bad = opt_double(cmd, "--frac", optarg, 0, OPT_OPEN, 1, OPT_CLOSED, &j.x.fed.frac); break;
        case O_LOCAL: bad = opt_size(cmd, "--local-steps", optarg, 1, 100000000, &j.x.fed.local_steps); break;
        case O_BATCH: bad = opt_size(cmd, "--batch", optarg, 1, 1000000, &j.x.fed.batch); j.x.adapt.batch = j.x.fed.batch; break;
        case O_LR: bad = opt_double(cmd, "--lr", optarg, 0, OPT_OPEN, 10, OPT_CLOSED, &j.x.fed.lr); break;
        case O_SEED: bad = opt_u64(cmd, "--seed", optarg, &j.x.fed.seed); break;
        case O_ASTEPS: bad = opt_size(cmd, "--adapt-steps", optarg, 0, 100000000, &j.x.adapt.steps); break;
        case O_ALR: bad = opt_double(cmd, "--adapt-lr", optarg, 0, OPT_OPEN, 10, OPT_CLOSED, &j.x.adapt.lr); break;
        case O_RANK: bad = opt_size(cmd, "--rank", optarg, 1, SPIRE_DIM_MAX, &j.x.adapt.rank); break;
        case O_LSTEPS: bad = opt_size(cmd, "--local-train-steps", optarg, 1, 100000000, &j.x.adapt.local_steps); break;
        case O_NGEN: bad = opt_size(cmd, "--n-gen", optarg, 2, 10000000, &j.x.eval.n_gen); break;
        case O_DDIM: bad = opt_size(cmd, "--ddim-steps", optarg, 1, 1000000, &j.x.eval.ddim_steps); break;
        case O_DETA: bad = opt_double(cmd, "--ddim-eta", optarg, 0, OPT_CLOSED, 1, OPT_CLOSED, &j.x.eval.eta); break;
        case O_DCLIP: bad = opt_double(cmd, "--ddim-clip", optarg, 0, OPT_CLOSED, 1e30, OPT_CLOSED, &j.x.eval.clip); break;
        case O_KSUB: bad = opt_size(cmd, "--kid-subsets", optarg, 1, 100000, &j.x.eval.subsets); break;
        case O_KSIZE: bad = opt_size(cmd, "--kid-size", optarg, 2, 10000000, &j.x.eval.subset_size); break;
        case O_STATE: j.state = optarg; break;
        case O_RESUME: j.resume = 1; break;
        case O_SAVE_EVERY: bad = opt_size(cmd, "--save-every", optarg, 0, 100000000, &j.save_every); break;
        case O_LOG: j.log = optarg; break;
        case O_KID_EVERY: bad = opt_size(cmd, "--kid-every", optarg, 0, 100000000, &j.kid_every); break;
        case O_METHOD: {
            int mi;
            bad = opt_choice(cmd, "--method", optarg, mlist, &mi);
            j.method = (spire_fed_method)mi;
            break;
        }
        case O_NO_EMBED: j.no_embed = 1; break;
        case O_OUT: j.out = optarg; break;
        case O_SEEDS: bad = opt_size(cmd, "--seeds", optarg, 1, 1000, &seeds_given); break;
        case O_NO_ROBUST: j.x.robust = 0; break;
        case O_SIZES: bad = parse_sizes(cmd, optarg, &j.x); break;
        case O_NO_CLF: j.x.classifier = 0; break;
        case O_MUTANT: j.x.mutant = 1; break;
        case O_MUTANT_EARLY:
            bad = opt_double(cmd, "--mutant-early", optarg, 0, OPT_OPEN, 1, OPT_CLOSED, &j.x.mutant_early);
            early_given = 1;
            break;
        case O_THREADS: bad = opt_size(cmd, "--threads", optarg, 1, OPT_THREADS_MAX, &threads); break;
        default: opt_getopt_error(cmd, c, argv, longopts); return 2;
        }
        if (bad) return 2;
    }
    if (opt_no_positional(cmd, argc, argv)) return 2;
    omp_set_num_threads((int)threads);
    j.x.threads = (int)threads;
    j.x.seed0 = j.x.fed.seed;
    if (seeds_given) j.x.seeds = seeds_given;
    j.x.cfg.C = j.x.data.C;
    if (j.kind == SPIRE_FED_DIGITS) j.x.cfg.D = 64; else j.x.cfg.D = j.x.data.D;
    if (j.x.n_new >= j.x.data.C) {
        fprintf(stderr, "spirelab %s: --new must be smaller than --clients (%zu), got %zu\n", cmd, j.x.data.C, j.x.n_new);
        return 2;
    }
    if (j.kind == SPIRE_FED_GMMK && j.x.data.D < 2) {
        fprintf(stderr, "spirelab %s: --dim must be >= 2 for gmmK (means on a circle), got %zu\n", cmd, j.x.data.D);
        return 2;
    }
    if (action == 3 && j.x.n_new < 1) {
        fprintf(stderr, "spirelab %s: --new must be an integer in [1, %zu) for experiment, got 0\n", cmd, j.x.data.C);
        return 2;
    }
    if (action <= 2 && !j.state) {
        fprintf(stderr, "spirelab %s: --state FILE is required\n", cmd);
        return 2;
    }
    if (j.resume && action != 0) { opt_contradiction(cmd, "--resume", argv[0], "only pretrain resumes"); return 2; }
    if (j.x.mutant && action != 3) { opt_contradiction(cmd, "--mutant", argv[0], "only experiment has wrong models"); return 2; }
    if (early_given && !j.x.mutant) { fprintf(stderr, "spirelab %s: --mutant-early needs --mutant\n", cmd); return 2; }
    if (action == 3) return experiment(&j);
    return cmd_pretrain(&j, action);
}
