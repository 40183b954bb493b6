/* cli/cmd_spire.c — spirelab spire pretrain | adapt | eval | experiment:
 * SPIRE, federated (THEORY.md §8; spire/fed.h).  Parsing, validation, the
 * protocol's loops and its CSV / Markdown / figure output; the mathematics
 * is in spire/fed*.c. */
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
#include "plots/plots.h"
#include "spire/data.h"
#include "spire/fed.h"

enum {
    O_PRESET = OPT_COMMON_END, O_QUICK, O_CLIENTS, O_NEW, O_DIM, O_K, O_ALPHA, O_LABELS, O_N,
    O_HOLDOUT, O_SEP, O_HIDDEN, O_LAYERS, O_TEMB, O_EMBED_AT, O_TT, O_ROUNDS, O_FRAC, O_LOCAL,
    O_BATCH, O_LR, O_SEED, O_ASTEPS, O_ALR, O_RANK, O_LSTEPS, O_NGEN, O_DDIM, O_KSUB, O_KSIZE,
    O_STATE, O_RESUME, O_SAVE_EVERY, O_LOG, O_KID_EVERY, O_METHOD, O_NO_EMBED, O_OUT, O_SEEDS,
    O_NO_ROBUST, O_THREADS
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
    { NULL, 0, NULL, 0 }
};

typedef struct {
    const char *cmd;
    int kind, quick;
    spire_fed_data_opts dop;
    spire_config cfg;
    spire_fed_opts fo;
    spire_fed_adapt_opts ao;
    spire_fed_eval_opts eo;
    size_t n_new, T, save_every, kid_every, seeds;
    const char *state, *log, *out;
    int resume, robust, no_embed;
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
"  experiment  the whole protocol over --seeds S (default 3) into --out DIR:\n"
"              clients.csv, table.csv, table.md, robustness.csv, probe.csv,\n"
"              bridge.csv (gmm2), rounds.csv, figures F12-F17\n"
"clients (defaults per preset: docs/cli/spire.md; protocol: docs/federated.md):\n"
"  --preset P          gmm2 (default) | gmmK | digits;  --quick  smaller everything\n"
"  --clients C         clients, integer >= 2;  --new N  new clients, 1 <= N < C\n"
"  --dim D  --K K  --sep S  --alpha A  --labels-per-client S  --n N  --holdout H\n"
"network and pre-training:\n"
"  --hidden H  --layers L  --temb E  --embed-at time|hidden  --T STEPS\n"
"  --rounds R  --frac Q (in (0, 1])  --local-steps E  --batch B  --lr LR  --seed S\n"
"adaptation and evaluation:\n"
"  --adapt-steps N  --adapt-lr LR  --rank R  --local-train-steps N\n"
"  --n-gen N  --ddim-steps S  --kid-subsets N  --kid-size N  --no-robust\n"
"  --threads K         clients of a round and of an evaluation run concurrently,\n"
"                      integer in [1, 4096] (default: all cores; results do not depend on it)\n"
"Under mpirun (build-mpi/spirelab, make MPI=1) pretrain and experiment train\n"
"each FedAvg round's clients on several ranks, bit-identical to one process;\n"
"rank 0 writes the files (docs/mpi.md).\n"
"Exit status: 0 done, 1 failure, 2 bad input.\n");
}

static void set_preset(job *j)
{
    spire_fed_data_opts_default(&j->dop, (spire_fed_kind)j->kind);
    spire_fed_opts_default(&j->fo);
    spire_fed_adapt_opts_default(&j->ao);
    int q = j->quick;
    j->T = 1000;
    j->eo = (spire_fed_eval_opts){ .n_gen = q ? 200 : 500, .ddim_steps = q ? 25 : 50,
                                   .subsets = 10, .subset_size = 100, .clip = 0, .seed = 1 };
    j->cfg = (spire_config){ .D = 2, .E = 16, .H = 64, .L = 2, .embed_at = SPIRE_EMBED_HIDDEN, .C = 10 };
    j->fo.frac = 0.5; j->fo.local_steps = 20; j->fo.batch = 128; j->fo.lr = 3e-3;
    j->ao.lr = 3e-3; j->ao.rank = 2;
    j->seeds = q ? 1 : 3;
    if (j->kind == SPIRE_FED_GMM2) {
        j->dop.C = 10; j->dop.D = 2; j->dop.sep = 4; j->dop.n = 500;
        j->n_new = 3;
        j->fo.rounds = q ? 40 : 200;
        j->ao.steps = q ? 100 : 300; j->ao.local_steps = q ? 400 : 1500;
    } else if (j->kind == SPIRE_FED_GMMK) {
        j->dop.C = 12; j->dop.D = 2; j->dop.K = 6; j->dop.radius = 3; j->dop.sigma = 0.4;
        j->dop.alpha = 0.5; j->dop.n = 500;
        j->cfg.C = 12;
        j->n_new = 3;
        j->fo.rounds = q ? 40 : 300;
        j->ao.steps = q ? 100 : 300; j->ao.local_steps = q ? 400 : 1500;
    } else {
        j->dop.C = 10; j->dop.alpha = 0.5;
        j->cfg = (spire_config){ .D = 64, .E = 32, .H = 256, .L = 3, .embed_at = SPIRE_EMBED_HIDDEN, .C = 10 };
        j->n_new = 2;
        j->fo.rounds = q ? 8 : 150;
        j->fo.local_steps = q ? 10 : 20;
        j->ao.steps = q ? 30 : 300; j->ao.local_steps = q ? 100 : 1500;
        j->eo.clip = 1;
        j->eo.n_gen = q ? 100 : 300;
        j->eo.subset_size = 50;
    }
    j->kid_every = 0;
}

/* The canonical description of a pre-training run (everything but --rounds). */
static void config_text(const job *j, int embed, char *buf, size_t len)
{
    const spire_fed_data_opts *d = &j->dop;
    snprintf(buf, len,
             "kind=%d C=%zu D=%zu K=%zu sep=%.17g R=%.17g sigma=%.17g alpha=%.17g s=%zu n=%zu "
             "holdout=%.17g new=%zu | E=%zu H=%zu L=%zu at=%d T=%zu | q=%.17g local=%zu batch=%zu "
             "lr=%.17g embed=%d seed=%llu",
             j->kind, d->C, d->D, d->K, d->sep, d->radius, d->sigma, d->alpha, d->s, d->n,
             d->holdout, j->n_new, j->cfg.E, j->cfg.H, j->cfg.L, (int)j->cfg.embed_at, j->T,
             j->fo.frac, j->fo.local_steps, j->fo.batch, j->fo.lr, embed,
             (unsigned long long)j->fo.seed);
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
    spire_fed_run *r = spire_fed_run_alloc(&j->cfg, spl_stream_seed(j->fo.seed, SPIRE_FED_STREAM_INIT, 1000000), &ast);
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
    spire_fed_opts fo = j->fo;
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
            if (!m && !(m = spire_model_alloc(&j->cfg, &st))) { opt_lib_error(cmd, "spire_model_alloc", st); rc = 1; break; }
            double mean;
            if ((st = spire_fed_to_model(r, m))) { opt_lib_error(cmd, "spire_fed_to_model", st); rc = 1; break; }
            if (kid_clients(m, s, d, el, 1, &j->eo, kid, &mean)) { rc = 1; break; }
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

/* ---- the experiment ----------------------------------------------------------------- */

#define NM SPIRE_FED_NMETHODS
typedef struct {
    double kid_pre[NM], kid_new[NM], forget[NM], werr[NM];
} seed_row;

static double tv(const double *a, const double *b, size_t K)
{
    double s = 0;
    for (size_t k = 0; k < K; k++) s += fabs(a[k] - b[k]);
    return 0.5 * s;
}

/* Write the text of b to DIR/NAME atomically; 0, or −1 after a one-line message. */
static int write_text(const char *cmd, const char *dir, const char *name, const spl_buf *b)
{
    char path[4096], err[4400];
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof path) { fprintf(stderr, "spirelab %s: --out: the directory name is too long\n", cmd); return -1; }
    if (spl_buf_write(b, path, err, sizeof err) == GSL_SUCCESS) return 0;
    fprintf(stderr, "spirelab %s: %s\n", cmd, err);
    return -1;
}

static const double GRID_LR[] = { 1e-4, 1e-3, 1e-2, 1e-1 };
static const size_t GRID_STEPS[] = { 10, 100, 1000 };
static const double GRID_LR_Q[] = { 1e-3, 1e-2 };
static const size_t GRID_STEPS_Q[] = { 10, 100 };

static int figures(const job *j, const char *dir, const char *clients_csv, const char *table_csv,
                   const char *robust_csv, const char *probe_csv, const char *digits_csv);

static int experiment(job *j)
{
    const char *cmd = j->cmd;
    const char *dir = j->out ? j->out : "spire_out";
    /* under mpirun: rank 0 writes; every rank computes (pre-training spread
     * over the ranks by the FedAvg hook, the rest the same on every rank) */
    int root = dist_rank() == 0, nodir = root && mkdir(dir, 0777) != 0 && errno != EEXIST;
    if (nodir) fprintf(stderr, "spirelab %s: cannot create --out directory %s\n", cmd, dir);
    if (dist_agree(nodir)) return 1;
    int ast;
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_LINEAR, j->T, &ast);
    seed_row *rows = calloc(j->seeds, sizeof *rows);
    if (!s || !rows) {
        opt_lib_error(cmd, "ddpm_schedule_alloc", s ? GSL_ENOMEM : ast);
        ddpm_schedule_free(s); free(rows);
        return 1;
    }
    spl_buf cl = SPL_BUF_INIT, rb = SPL_BUF_INIT, pb = SPL_BUF_INIT, bb = SPL_BUF_INIT, lg = SPL_BUF_INIT, dg = SPL_BUF_INIT;
    spl_buf_printf(&cl, "seed,method,client,role,pi1,kid_mean,kid_std,trainable,implied_w1,weight_tv,forgetting\n");
    spl_buf_printf(&rb, "method,lr,steps,kid_new_mean\n");
    spl_buf_printf(&pb, "seed,client,role,pi,logit_pi,probe_pred\n");
    spl_buf_printf(&bb, "seed,step,client,client_swap,pi,pi_swap,rel_err,rel_err_pi_half,swap_cos,swap_ratio\n");
    spl_buf_printf(&dg, "client,row,col,value\n");
    double t_start = omp_get_wtime();
    int rc = 0;
    size_t K = 0;
    for (size_t si = 0; si < j->seeds && !rc; si++) {
        uint64_t seed = j->fo.seed + si;
        job js = *j;
        js.dop.seed = seed; js.fo.seed = seed; js.ao.seed = seed; js.eo.seed = seed;
        char err[512];
        spire_fed_data *d = spire_fed_data_make(&js.dop, NULL, err, sizeof err);
        if (!d) {
            fprintf(stderr, "spirelab %s: %s\n", cmd, err);
            rc = 1;
            break;
        }
        K = d->K;
        size_t C = d->C;
        int *is_new = malloc(C * sizeof *is_new), *known = malloc(C * sizeof *known);
        double *kid = malloc(C * sizeof *kid), *kid_before = malloc(C * sizeof *kid_before);
        float *x = malloc(js.eo.n_gen * d->D * sizeof *x);
        spire_fed_run *rs = NULL, *rf = NULL;
        spire_model *Ms = NULL, *Mf = NULL, *shared = NULL, *W = NULL;
        double *kid_pre_s = NULL, *kid_pre_f = NULL, *wi = NULL;
        if (!is_new || !known || !kid || !kid_before || !x) {
            opt_lib_error(cmd, "experiment", GSL_ENOMEM);
            rc = 1;
            goto seed_done;
        }
        int st = spire_fed_pick_new(C, js.n_new, seed, is_new);
        if (st) { opt_lib_error(cmd, "spire_fed_pick_new", st); rc = 1; goto seed_done; }
        for (size_t c = 0; c < C; c++) known[c] = !is_new[c];
        spl_buf *logf = si == 0 ? &lg : NULL;
        if (logf) spl_buf_puts(logf, ROUNDS_HEADER);
        fprintf(stderr, "spirelab %s: seed %llu: pre-training (SPIRE, FedAvg)...\n", cmd, (unsigned long long)seed);
        if ((rc = pretrain(&js, d, s, is_new, 1, NULL, 0, logf, NULL, &rs)) ||
            (rc = pretrain(&js, d, s, is_new, 0, NULL, 0, NULL, NULL, &rf)))
            goto seed_done;
        Ms = spire_model_alloc(&js.cfg, &st);
        if (Ms) Mf = spire_model_alloc(&js.cfg, &st);
        if (Mf) shared = spire_model_alloc(&js.cfg, &st);
        if (shared) W = spire_model_alloc(&js.cfg, &st);
        if (!W) { opt_lib_error(cmd, "spire_model_alloc", st); rc = 1; goto models_done; }
        if ((st = spire_fed_to_model(rs, Ms)) || (st = spire_fed_to_model(rf, Mf))) {
            opt_lib_error(cmd, "spire_fed_to_model", st);
            rc = 1;
            goto models_done;
        }
        double pre_s, pre_f;
        kid_pre_s = malloc(C * sizeof *kid_pre_s);
        kid_pre_f = malloc(C * sizeof *kid_pre_f);
        wi = malloc((K ? K : 1) * sizeof *wi);
        if (!kid_pre_s || !kid_pre_f || !wi) { opt_lib_error(cmd, "experiment", GSL_ENOMEM); rc = 1; goto models_done; }
        if (kid_clients(Ms, s, d, known, 1, &js.eo, kid_pre_s, &pre_s) ||
            kid_clients(Mf, s, d, known, 1, &js.eo, kid_pre_f, &pre_f)) { rc = 1; goto models_done; }
        fprintf(stderr, "spirelab %s: seed %llu: pre-training clients' KID: spire %.4g, fedavg %.4g (%.0f s)\n",
                cmd, (unsigned long long)seed, pre_s, pre_f, omp_get_wtime() - t_start);
        for (int mi = 0; mi < NM && !rc; mi++) {
            spire_fed_method meth = (spire_fed_method)mi;
            spire_model *base = meth == SPIRE_FED_M_SPIRE ? Ms : Mf;
            const double *kpre = meth == SPIRE_FED_M_SPIRE ? kid_pre_s : kid_pre_f;
            if ((st = spire_fed_model_copy(shared, base))) { opt_lib_error(cmd, "spire_fed_model_copy", st); rc = 1; break; }
            double acc = 0, wacc = 0;
            size_t nn = 0;
            for (size_t c = 0; c < C && !rc; c++) {
                if (!is_new[c]) continue;
                st = spire_fed_model_copy(W, shared);
                if (!st) st = spire_fed_adapt(W, s, meth, (int)c, d->train[c], d->n_train[c], known, &js.ao, NULL);
                spire_kid_result kr;
                if (!st) st = spire_fed_kid(W, s, d, (int)c, &js.eo, x, &kr);
                if (st) { opt_lib_error(cmd, "adaptation of a new client", st); rc = 1; break; }
                double t = NAN;
                wi[0] = NAN;
                if (d->mu) {
                    if ((st = spire_fed_implied_weights(x, js.eo.n_gen, d->D, d->mu, K, wi))) {
                        opt_lib_error(cmd, "spire_fed_implied_weights", st);
                        rc = 1;
                        break;
                    }
                    t = tv(wi, d->w + c * K, K);
                    wacc += t;
                }
                spl_buf_printf(&cl, "%llu,%s,%zu,new,%.6g,%.6g,%.6g,%zu,%.6g,%.6g,\n", (unsigned long long)seed,
                          spire_fed_method_name(meth), c, d->w[c * K], kr.mean, kr.std,
                          spire_fed_trainable(&js.cfg, meth, js.ao.rank), d->mu ? wi[0] : NAN, t);
                acc += kr.mean;
                nn++;
                if (meth == SPIRE_FED_M_SPIRE)   /* keep the adapted embedding for the probe */
                    memcpy(Ms->embed + c * Ms->ee, W->embed + c * W->ee, W->ee * sizeof(float));
                if ((meth == SPIRE_FED_M_FULL || meth == SPIRE_FED_M_LAST) && (st = spire_fed_model_copy(shared, W))) {
                    opt_lib_error(cmd, "spire_fed_model_copy", st);
                    rc = 1;
                    break;
                }
                if (d->kind == SPIRE_FED_DIGITS && meth == SPIRE_FED_M_SPIRE && si == 0)
                    for (size_t q = 0; q < 8 && q < js.eo.n_gen; q++)
                        for (size_t p = 0; p < 64; p++)
                            spl_buf_printf(&dg, "%zu,%zu,%zu,%.4g\n", c, q, p, x[q * 64 + p]);
            }
            if (rc) break;
            rows[si].kid_new[mi] = nn ? acc / (double)nn : NAN;
            rows[si].werr[mi] = nn && d->mu ? wacc / (double)nn : NAN;
            rows[si].kid_pre[mi] = meth == SPIRE_FED_M_LOCAL ? NAN
                                 : meth == SPIRE_FED_M_SPIRE ? pre_s : pre_f;
            /* forgetting: pre-training clients with the shared model after adaptation */
            double fg = 0;
            if (memcmp(shared->params, base->params, base->n_params * sizeof(float))) {
                double after;
                if (kid_clients(shared, s, d, known, 1, &js.eo, kid_before, &after)) { rc = 1; break; }
                fg = after - (meth == SPIRE_FED_M_SPIRE ? pre_s : pre_f);
            }
            rows[si].forget[mi] = meth == SPIRE_FED_M_LOCAL ? 0 : fg;
            for (size_t c = 0; c < C; c++)
                if (known[c])
                    spl_buf_printf(&cl, "%llu,%s,%zu,pre,%.6g,%.6g,,%zu,,,%.6g\n", (unsigned long long)seed,
                              spire_fed_method_name(meth), c, d->w[c * K],
                              meth == SPIRE_FED_M_LOCAL ? NAN : kpre[c],
                              spire_fed_trainable(&js.cfg, meth, js.ao.rank), rows[si].forget[mi]);
            fprintf(stderr, "spirelab %s: seed %llu: %-6s new-client KID %.4g, forgetting %.3g (%.0f s)\n",
                    cmd, (unsigned long long)seed, spire_fed_method_name(meth), rows[si].kid_new[mi],
                    rows[si].forget[mi], omp_get_wtime() - t_start);
        }
        /* the bridge to the theory (gmm2): probe and denoiser */
        if (!rc && d->kind == SPIRE_FED_GMM2) {
            size_t ee = Ms->ee;
            double *X = malloc(C * ee * sizeof *X), *y = malloc(C * sizeof *y), *pred = malloc(C * sizeof *pred), corr;
            /* the leave-one-out probe needs C ≥ 3 clients; with 2 it is not run */
            st = (X && y && pred) ? GSL_SUCCESS : GSL_ENOMEM;
            if (!st && C >= 3) {
                for (size_t i = 0; i < C * ee; i++) X[i] = Ms->embed[i];
                for (size_t c = 0; c < C; c++) y[c] = spl_logit(d->w[c * 2]);
                st = spire_fed_probe_loo(X, y, C, ee, 1e-3, pred, &corr);
                for (size_t c = 0; c < C && !st; c++)
                    spl_buf_printf(&pb, "%llu,%zu,%s,%.6g,%.6g,%.6g\n", (unsigned long long)seed, c,
                                   is_new[c] ? "new" : "pre", d->w[c * 2], y[c], pred[c]);
            }
            free(X); free(y); free(pred);
            if (st) { opt_lib_error(cmd, "embedding probe", st); rc = 1; goto models_done; }
            int lo = -1, hi = -1;
            for (size_t c = 0; c < C; c++)
                if (known[c]) { if (lo < 0) lo = (int)c; hi = (int)c; }
            size_t steps[3] = { j->T / 10, j->T / 4, j->T / 2 };
            for (int k = 0; k < 3; k++) {
                spire_fed_bridge br;
                if ((st = spire_fed_bridge_gmm2(Ms, s, d, lo, hi, steps[k], 4000, seed, &br))) {
                    opt_lib_error(cmd, "spire_fed_bridge_gmm2", st);
                    rc = 1;
                    goto models_done;
                }
                spl_buf_printf(&bb, "%llu,%zu,%d,%d,%.4g,%.4g,%.4g,%.4g,%.4g,%.4g\n", (unsigned long long)seed,
                              steps[k], lo, hi, d->w[lo * 2], d->w[hi * 2], br.rel_err, br.rel_err05,
                              br.swap_cos, br.swap_ratio);
            }
        }
        /* robustness (first seed): new-client KID over learning rate × steps */
        if (!rc && si == 0 && j->robust) {
            const double *lrs = j->quick ? GRID_LR_Q : GRID_LR;
            const size_t *sts = j->quick ? GRID_STEPS_Q : GRID_STEPS;
            size_t nl = j->quick ? 2 : 4, ns = j->quick ? 2 : 3;
            spire_fed_method rm[3] = { SPIRE_FED_M_SPIRE, SPIRE_FED_M_FULL, SPIRE_FED_M_LORA };
            for (int q = 0; q < 3 && !rc; q++)
                for (size_t a = 0; a < nl && !rc; a++)
                    for (size_t b = 0; b < ns && !rc; b++) {
                        spire_fed_adapt_opts ao = js.ao;
                        ao.lr = lrs[a]; ao.steps = sts[b];
                        double acc = 0;
                        size_t nn = 0;
                        for (size_t c = 0; c < C; c++) {
                            if (!is_new[c]) continue;
                            spire_kid_result kr;
                            st = spire_fed_model_copy(W, rm[q] == SPIRE_FED_M_SPIRE ? Ms : Mf);
                            if (!st) st = spire_fed_adapt(W, s, rm[q], (int)c, d->train[c], d->n_train[c], known, &ao, NULL);
                            if (!st) st = spire_fed_kid(W, s, d, (int)c, &js.eo, NULL, &kr);
                            /* a diverged run (non-finite loss: GSL_EDOM) shows as NaN; anything else is a failure */
                            if (st && st != GSL_EDOM) { opt_lib_error(cmd, "robustness grid", st); rc = 1; break; }
                            acc += st ? NAN : kr.mean;
                            nn++;
                        }
                        if (rc) break;
                        spl_buf_printf(&rb, "%s,%g,%zu,%.6g\n", spire_fed_method_name(rm[q]), lrs[a], sts[b],
                                  acc / (double)nn);
                    }
            fprintf(stderr, "spirelab %s: robustness grid done (%.0f s)\n", cmd, omp_get_wtime() - t_start);
        }
    models_done:
        free(kid_pre_s); free(kid_pre_f); free(wi);
        spire_model_free(Ms); spire_model_free(Mf); spire_model_free(shared); spire_model_free(W);
    seed_done:
        spire_fed_run_free(rs); spire_fed_run_free(rf);
        free(is_new); free(known); free(kid); free(kid_before); free(x);
        spire_fed_data_free(d);
    }
    double wall = omp_get_wtime() - t_start;
    if (!rc) {
        /* the table: mean ± sd over seeds */
        spl_buf tc = SPL_BUF_INIT, tm = SPL_BUF_INIT;
        spl_buf_printf(&tc, "method,kid_pre_mean,kid_pre_sd,kid_new_mean,kid_new_sd,trainable_per_new_client,"
                       "forgetting_mean,forgetting_sd,weight_tv_new_mean,seeds\n");
        spl_buf_printf(&tm, "| method | KID pre-training clients | KID new clients | trainable / new client | "
                       "forgetting (ΔKID pre) | implied-weight TV (new) |\n|---|---|---|---|---|---|\n");
        for (int mi = 0; mi < NM; mi++) {
            double v[4][2];
            for (int q = 0; q < 4; q++) {
                double sum = 0, sq = 0;
                size_t n = 0;
                for (size_t si = 0; si < j->seeds; si++) {
                    double z = q == 0 ? rows[si].kid_pre[mi] : q == 1 ? rows[si].kid_new[mi]
                             : q == 2 ? rows[si].forget[mi] : rows[si].werr[mi];
                    if (isnan(z)) continue;
                    sum += z; sq += z * z; n++;
                }
                v[q][0] = n ? sum / (double)n : NAN;
                v[q][1] = n > 1 ? sqrt(fmax(0, (sq - sum * sum / (double)n) / (double)(n - 1))) : NAN;
            }
            size_t tr = spire_fed_trainable(&j->cfg, (spire_fed_method)mi, j->ao.rank);
            spl_buf_printf(&tc, "%s,%.6g,%.6g,%.6g,%.6g,%zu,%.6g,%.6g,%.6g,%zu\n", spire_fed_method_name((spire_fed_method)mi),
                      v[0][0], v[0][1], v[1][0], v[1][1], tr, v[2][0], v[2][1], v[3][0], j->seeds);
            spl_buf_printf(&tm, "| %s | %.4f ± %.4f | %.4f ± %.4f | %zu | %.4f ± %.4f | %.3f |\n",
                      spire_fed_method_name((spire_fed_method)mi), v[0][0], v[0][1], v[1][0], v[1][1], tr,
                      v[2][0], v[2][1], v[3][0]);
        }
        spl_buf_printf(&tm, "\n%zu seed(s), wall time %.1f s; KID = unbiased MMD² with the cubic kernel, "
                       "mean over clients, then mean ± sd over seeds.\n", j->seeds, wall);
        if (root && (write_text(cmd, dir, "clients.csv", &cl) || write_text(cmd, dir, "table.csv", &tc) ||
            write_text(cmd, dir, "table.md", &tm) || write_text(cmd, dir, "robustness.csv", &rb) ||
            write_text(cmd, dir, "rounds.csv", &lg) ||
            (j->kind == SPIRE_FED_GMM2 && (write_text(cmd, dir, "probe.csv", &pb) || write_text(cmd, dir, "bridge.csv", &bb)))))
            rc = 1;
        else if (spl_buf_status(&dg)) {
            fprintf(stderr, "spirelab %s: out of memory building the data of F17\n", cmd);
            rc = 1;
        }
        if (!rc && root && figures(j, dir, spl_buf_str(&cl), spl_buf_str(&tc), spl_buf_str(&rb),
                                   j->kind == SPIRE_FED_GMM2 ? spl_buf_str(&pb) : NULL,
                                   j->kind == SPIRE_FED_DIGITS ? spl_buf_str(&dg) : NULL)) {
            fprintf(stderr, "spirelab %s: cannot write the figures into %s\n", cmd, dir);
            rc = 1;
        }
        if (!rc && root) {
            fputs(spl_buf_str(&tc), stdout);
            fprintf(stderr, "spirelab %s: wrote %s/table.md (wall time %.1f s)\n", cmd, dir, omp_get_wtime() - t_start);
        }
        spl_buf_release(&tc); spl_buf_release(&tm);
    }
    spl_buf_release(&cl); spl_buf_release(&rb); spl_buf_release(&pb); spl_buf_release(&bb);
    spl_buf_release(&lg); spl_buf_release(&dg);
    free(rows);
    ddpm_schedule_free(s);
    return rc;
}

/* One figure: data + body, written as DIR/STEM.{csv,gp,png,svg}. */
static int fig(const plots_caps *caps, const char *dir, const char *stem, const char *data,
               const char *comment, const char *body)
{
    plots_fig *f = plots_fig_alloc();
    if (!f) return GSL_ENOMEM;
    int st = plots_fig_comment(f, "%s", comment);
    if (!st) st = plots_fig_data(f, "%s", data);
    if (!st) st = plots_fig_body(f, "%s", body);
    plots_format fmts[] = { PLOTS_PNG, PLOTS_SVG };
    if (!st) st = plots_fig_write(f, caps, dir, stem, fmts, 2, NULL, NULL);
    plots_fig_free(f);
    /* a gnuplot without png/svg renders nothing: the .csv and .gp are written, not an error */
    return st == GSL_EUNSUP ? GSL_SUCCESS : st;
}

#define METHODS "spire fedavg full last lora local"

static int figures(const job *j, const char *dir, const char *clients_csv, const char *table_csv,
                   const char *robust_csv, const char *probe_csv, const char *digits_csv)
{
    (void)j;
    plots_caps caps;
    int st = plots_probe(NULL, &caps);
    if (!st) st = fig(&caps, dir, "F12-client-kid", clients_csv,
        "F12: KID of every client (generated vs held-out), by method; new clients filled, pre-training open",
        "set xlabel 'client'\nset ylabel 'KID, generated vs held-out  (dimensionless, log scale)'\n"
        "set title 'F12: per-client KID by method  (filled: new clients; open: pre-training; KID ≤ 0 not shown)'\n"
        "set logscale y\nset xtics 1\nset key outside right top\n"
        "M = '" METHODS "'\n"
        "plot for [i=1:words(M)] DATA using (column('client')+0.1*(i-3.5)):(strcol('method') eq word(M,i) && strcol('role') eq 'new' && column('kid_mean') > 0 ? column('kid_mean') : NaN) with points pt 7 lc i title word(M,i), \\\n"
        "     for [i=1:words(M)] DATA using (column('client')+0.1*(i-3.5)):(strcol('method') eq word(M,i) && strcol('role') eq 'pre' && column('kid_mean') > 0 ? column('kid_mean') : NaN) with points pt 6 lc i notitle\n");
    if (!st) st = fig(&caps, dir, "F13-kid-vs-params", table_csv,
        "F13: new-client KID (mean ± sd over seeds) against trainable parameters per new client",
        "set logscale x\nset logscale y\nunset key\nset xlabel 'trainable parameters per new client (0 plotted at 1)'\n"
        "set ylabel 'KID, new clients  (dimensionless, log scale; mean ± sd over seeds)'\n"
        "set title 'F13: new-client KID against trainable parameters'\n"
        "plot DATA using (column('trainable_per_new_client')>0?column('trainable_per_new_client'):1):'kid_new_mean':(column('kid_new_sd')==column('kid_new_sd')?column('kid_new_sd'):0) with yerrorbars pt 7 notitle, \\\n"
        "     DATA using (column('trainable_per_new_client')>0?column('trainable_per_new_client'):1):'kid_new_mean':'method' with labels offset 1,1 notitle\n");
    if (!st) st = fig(&caps, dir, "F14-forgetting", table_csv,
        "F14: forgetting = KID of the pre-training clients with the shared model after the new clients were adapted, minus before",
        "set style data histograms\nset style fill solid 0.6\nunset key\nset ylabel 'ΔKID of pre-training clients  (dimensionless)'\n"
        "set title 'F14: forgetting'\nplot DATA using 'forgetting_mean':xtic(1) notitle\n");
    if (!st) st = fig(&caps, dir, "F15-robustness", robust_csv,
        "F15: new-client KID over fine-tuning learning rate × steps, SPIRE, full fine-tune, LoRA",
        "set logscale x\nset logscale y\nset xlabel 'fine-tuning learning rate'\nset ylabel 'new-client KID  (dimensionless, log scale)'\n"
        "set title 'F15: robustness to learning rate and steps'\n"
        "M = 'spire full lora'\n"
        "plot for [i=1:3] for [st in '10 100 1000'] DATA using 'lr':(strcol('method') eq word(M,i) && column('steps')==st+0 && column('kid_new_mean')>0 ? column('kid_new_mean') : NaN) with linespoints lc i title word(M,i).' '.st.' steps'\n");
    if (!st && probe_csv)
        st = fig(&caps, dir, "F16-embedding-probe", probe_csv,
            "F16: leave-one-out linear probe from the learned embedding to logit pi_c (gmm2 clients)",
            "set xlabel 'logit π_c (true)'\nset ylabel 'probe prediction from e_c'\nset title 'F16: embedding against logit π_c'\n"
            "plot DATA using 'logit_pi':(strcol('role') eq 'pre' ? column('probe_pred') : NaN) pt 7 title 'pre-training clients', \\\n"
            "     DATA using 'logit_pi':(strcol('role') eq 'new' ? column('probe_pred') : NaN) pt 9 title 'new clients (SPIRE)', x with lines dt 2 title 'y = x'\n");
    if (!st && digits_csv)
        st = fig(&caps, dir, "F17-digits", digits_csv,
            "F17: generated digits of each new client (SPIRE, first seed), 8 samples per client",
            "set size ratio -1\nunset key\nunset xtics\nunset ytics\nset palette gray negative\nunset colorbox\n"
            "set title 'F17: generated digits per new client (rows: clients)'\n"
            "plot DATA using (column('row')*9 + int(column('col'))%8):(-(column('client')*9 + int(column('col'))/8)):'value' with image\n");
    return st;
}

/* ---- the commands ---------------------------------------------------------------- */

static int cmd_pretrain(job *j, int adapt_eval)
{
    const char *cmd = j->cmd;
    char err[512];
    int st;
    spire_fed_data *d = spire_fed_data_make(&j->dop, &st, err, sizeof err);
    if (!d) { fprintf(stderr, "spirelab %s: %s\n", cmd, err); return bad_input(st) ? 2 : 1; }
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_LINEAR, j->T, &st);
    int *is_new = malloc(d->C * sizeof *is_new), *known = malloc(d->C * sizeof *known);
    int embed = !j->no_embed, rc = 0;
    spire_fed_run *r = NULL;
    spire_model *m = NULL, *W = NULL;
    spl_buf log = SPL_BUF_INIT;
    if (!s || !is_new || !known) { opt_lib_error(cmd, "ddpm_schedule_alloc", s ? GSL_ENOMEM : st); rc = 1; goto out; }
    if ((st = spire_fed_pick_new(d->C, j->n_new, j->fo.seed, is_new))) {
        opt_lib_error(cmd, "spire_fed_pick_new", st);
        rc = 1;
        goto out;
    }
    for (size_t c = 0; c < d->C; c++) known[c] = !is_new[c];
    if (adapt_eval) {
        /* adapt / eval: the run is read from --state, nothing is trained further */
        char conf[1024];
        config_text(j, embed, conf, sizeof conf);
        if (!(r = spire_fed_run_alloc(&j->cfg, 1, &st))) { opt_lib_error(cmd, "spire_fed_run_alloc", st); rc = 1; goto out; }
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
               r->srv.round, d->C, j->n_new, embed, r->srv.n_params, r->ee, j->state);
        goto out;
    }
    m = spire_model_alloc(&j->cfg, &st);
    if (m) W = spire_model_alloc(&j->cfg, &st);
    if (!W) { opt_lib_error(cmd, "spire_model_alloc", st); rc = 1; goto out; }
    if ((st = spire_fed_to_model(r, m))) { opt_lib_error(cmd, "spire_fed_to_model", st); rc = 1; goto out; }
    if (adapt_eval == 1) {
        printf("client,method,kid_mean,kid_std,trainable,adapt_loss\n");
        for (size_t c = 0; c < d->C && !rc; c++) {
            if (!is_new[c]) continue;
            double loss;
            spire_kid_result kr;
            st = spire_fed_model_copy(W, m);
            if (!st) st = spire_fed_adapt(W, s, j->method, (int)c, d->train[c], d->n_train[c], known, &j->ao, &loss);
            if (!st) st = spire_fed_kid(W, s, d, (int)c, &j->eo, NULL, &kr);
            if (st) { opt_lib_error(cmd, "adaptation", st); rc = 1; break; }
            printf("%zu,%s,%.6g,%.6g,%zu,%.6g\n", c, spire_fed_method_name(j->method), kr.mean, kr.std,
                   spire_fed_trainable(&j->cfg, j->method, j->ao.rank), loss);
        }
    } else {
        printf("client,role,kid_mean,kid_std\n");
        for (size_t c = 0; c < d->C && !rc; c++) {
            spire_kid_result kr;
            if ((st = spire_fed_kid(m, s, d, (int)c, &j->eo, NULL, &kr))) { opt_lib_error(cmd, "KID", st); rc = 1; break; }
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
    j.robust = 1;
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
    set_preset(&j);
    size_t seeds_given = 0, threads = (size_t)omp_get_num_procs();
    /* pass 2: everything else overrides the preset */
    optind = 1;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        int bad = 0, ea = 0;
        switch (c) {
        case O_PRESET: case O_QUICK: break;
        case O_CLIENTS: bad = opt_size(cmd, "--clients", optarg, 2, 100000, &j.dop.C); break;
        case O_NEW: bad = opt_size(cmd, "--new", optarg, 0, 100000, &j.n_new); break;
        case O_DIM: bad = opt_size(cmd, "--dim", optarg, 1, SPIRE_DIM_MAX, &j.dop.D); break;
        case O_K: bad = opt_size(cmd, "--K", optarg, 2, 1000, &j.dop.K); break;
        case O_ALPHA: bad = opt_double(cmd, "--alpha", optarg, 0, OPT_OPEN, 1e6, OPT_CLOSED, &j.dop.alpha); break;
        case O_LABELS: bad = opt_size(cmd, "--labels-per-client", optarg, 0, 10, &j.dop.s); break;
        case O_N: bad = opt_size(cmd, "--n", optarg, 4, 10000000, &j.dop.n); break;
        case O_HOLDOUT: bad = opt_double(cmd, "--holdout", optarg, 0, OPT_OPEN, 1, OPT_OPEN, &j.dop.holdout); break;
        case O_SEP: bad = opt_double(cmd, "--sep", optarg, 0, OPT_OPEN, 1e6, OPT_CLOSED, &j.dop.sep); break;
        case O_HIDDEN: bad = opt_size(cmd, "--hidden", optarg, 1, SPIRE_DIM_MAX, &j.cfg.H); break;
        case O_LAYERS: bad = opt_size(cmd, "--layers", optarg, 1, 1024, &j.cfg.L); break;
        case O_TEMB:
            bad = opt_size(cmd, "--temb", optarg, 2, SPIRE_DIM_MAX, &j.cfg.E);
            if (!bad && j.cfg.E % 2) { fprintf(stderr, "spirelab %s: --temb must be an even integer in [2, %u], got '%s'\n", cmd, SPIRE_DIM_MAX, optarg); bad = 1; }
            break;
        case O_EMBED_AT:
            bad = opt_choice(cmd, "--embed-at", optarg, "time|hidden", &ea);
            j.cfg.embed_at = ea ? SPIRE_EMBED_HIDDEN : SPIRE_EMBED_TIME;
            break;
        case O_TT: bad = opt_size(cmd, "--T", optarg, 2, 1000000, &j.T); break;
        case O_ROUNDS: bad = opt_size(cmd, "--rounds", optarg, 0, 100000000, &j.fo.rounds); break;
        case O_FRAC: bad = opt_double(cmd, "--frac", optarg, 0, OPT_OPEN, 1, OPT_CLOSED, &j.fo.frac); break;
        case O_LOCAL: bad = opt_size(cmd, "--local-steps", optarg, 1, 100000000, &j.fo.local_steps); break;
        case O_BATCH: bad = opt_size(cmd, "--batch", optarg, 1, 1000000, &j.fo.batch); j.ao.batch = j.fo.batch; break;
        case O_LR: bad = opt_double(cmd, "--lr", optarg, 0, OPT_OPEN, 10, OPT_CLOSED, &j.fo.lr); break;
        case O_SEED: bad = opt_u64(cmd, "--seed", optarg, &j.fo.seed); break;
        case O_ASTEPS: bad = opt_size(cmd, "--adapt-steps", optarg, 0, 100000000, &j.ao.steps); break;
        case O_ALR: bad = opt_double(cmd, "--adapt-lr", optarg, 0, OPT_OPEN, 10, OPT_CLOSED, &j.ao.lr); break;
        case O_RANK: bad = opt_size(cmd, "--rank", optarg, 1, SPIRE_DIM_MAX, &j.ao.rank); break;
        case O_LSTEPS: bad = opt_size(cmd, "--local-train-steps", optarg, 1, 100000000, &j.ao.local_steps); break;
        case O_NGEN: bad = opt_size(cmd, "--n-gen", optarg, 2, 10000000, &j.eo.n_gen); break;
        case O_DDIM: bad = opt_size(cmd, "--ddim-steps", optarg, 1, 1000000, &j.eo.ddim_steps); break;
        case O_KSUB: bad = opt_size(cmd, "--kid-subsets", optarg, 1, 100000, &j.eo.subsets); break;
        case O_KSIZE: bad = opt_size(cmd, "--kid-size", optarg, 2, 10000000, &j.eo.subset_size); break;
        case O_STATE: j.state = optarg; break;
        case O_RESUME: j.resume = 1; break;
        case O_SAVE_EVERY: bad = opt_size(cmd, "--save-every", optarg, 0, 100000000, &j.save_every); break;
        case O_LOG: j.log = optarg; break;
        case O_KID_EVERY: bad = opt_size(cmd, "--kid-every", optarg, 0, 100000000, &j.kid_every); break;
        case O_METHOD: {
            int mi;
            bad = opt_choice(cmd, "--method", optarg, "spire|fedavg|full|last|lora|local", &mi);
            j.method = (spire_fed_method)mi;
            break;
        }
        case O_NO_EMBED: j.no_embed = 1; break;
        case O_OUT: j.out = optarg; break;
        case O_SEEDS: bad = opt_size(cmd, "--seeds", optarg, 1, 1000, &seeds_given); break;
        case O_NO_ROBUST: j.robust = 0; break;
        case O_THREADS: bad = opt_size(cmd, "--threads", optarg, 1, OPT_THREADS_MAX, &threads); break;
        default: opt_getopt_error(cmd, c, argv, longopts); return 2;
        }
        if (bad) return 2;
    }
    if (opt_no_positional(cmd, argc, argv)) return 2;
    omp_set_num_threads((int)threads);
    if (seeds_given) j.seeds = seeds_given;
    j.cfg.C = j.dop.C;
    if (j.kind == SPIRE_FED_DIGITS) j.cfg.D = 64; else j.cfg.D = j.dop.D;
    if (j.n_new >= j.dop.C) {
        fprintf(stderr, "spirelab %s: --new must be smaller than --clients (%zu), got %zu\n", cmd, j.dop.C, j.n_new);
        return 2;
    }
    if (j.kind == SPIRE_FED_GMMK && j.dop.D < 2) {
        fprintf(stderr, "spirelab %s: --dim must be >= 2 for gmmK (means on a circle), got %zu\n", cmd, j.dop.D);
        return 2;
    }
    if (action <= 2 && !j.state) {
        fprintf(stderr, "spirelab %s: --state FILE is required\n", cmd);
        return 2;
    }
    if (j.resume && action != 0) { opt_contradiction(cmd, "--resume", argv[0], "only pretrain resumes"); return 2; }
    if (action == 3) return experiment(&j);
    return cmd_pretrain(&j, action);
}
