/* cli/cmd_train.c — spirelab train: train the score network on one data set
 * (THEORY.md §8).  Parsing, validation, the training loop with its logs and
 * checkpoints; the mathematics is in spire/. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gsl/gsl_errno.h>
#include "cli/cli.h"
#include "cli/opts.h"
#include "common/spl.h"
#include "common/spl_buf.h"
#include "spire/ckpt.h"
#include "spire/data.h"
#include "spire/kid.h"
#include "spire/model.h"
#include "spire/sample.h"
#include "spire/train.h"

enum {
    O_DATA = OPT_COMMON_END, O_HIDDEN, O_LAYERS, O_TEMB, O_EMBED_AT, O_STEPS, O_BATCH, O_LR,
    O_WARMUP, O_COSINE, O_LR_MIN, O_WD, O_SEED, O_SCHED, O_TT, O_CKPT, O_LOG, O_SAVE_EVERY,
    O_HELDOUT, O_EVAL_EVERY, O_EVAL_LOG, O_EVAL_N, O_EVAL_STEPS, O_EVAL_CLIP, O_EVAL_ETA, O_EVAL_SAMPLER, O_THREADS
};

static const struct option longopts[] = {
    OPT_LONG_HELP,
    { "data", required_argument, NULL, O_DATA },
    { "hidden", required_argument, NULL, O_HIDDEN },
    { "layers", required_argument, NULL, O_LAYERS },
    { "temb", required_argument, NULL, O_TEMB },
    { "embed-at", required_argument, NULL, O_EMBED_AT },
    { "steps", required_argument, NULL, O_STEPS },
    { "batch", required_argument, NULL, O_BATCH },
    { "lr", required_argument, NULL, O_LR },
    { "warmup", required_argument, NULL, O_WARMUP },
    { "cosine", no_argument, NULL, O_COSINE },
    { "lr-min", required_argument, NULL, O_LR_MIN },
    { "wd", required_argument, NULL, O_WD },
    { "seed", required_argument, NULL, O_SEED },
    { "schedule", required_argument, NULL, O_SCHED },
    { "T", required_argument, NULL, O_TT },
    { "checkpoint", required_argument, NULL, O_CKPT },
    { "log", required_argument, NULL, O_LOG },
    { "save-every", required_argument, NULL, O_SAVE_EVERY },
    { "heldout", required_argument, NULL, O_HELDOUT },
    { "eval-every", required_argument, NULL, O_EVAL_EVERY },
    { "eval-log", required_argument, NULL, O_EVAL_LOG },
    { "eval-n", required_argument, NULL, O_EVAL_N },
    { "eval-steps", required_argument, NULL, O_EVAL_STEPS },
    { "eval-clip", required_argument, NULL, O_EVAL_CLIP },
    { "eval-eta", required_argument, NULL, O_EVAL_ETA },
    { "threads", required_argument, NULL, O_THREADS },
    { "eval-sampler", required_argument, NULL, O_EVAL_SAMPLER },
    { NULL, 0, NULL, 0 }
};

static void usage(FILE *f)
{
    fprintf(f,
"usage: spirelab train --data SPEC --checkpoint FILE [options]\n"
"\n"
"Trains the score network eps(x_t, t, e) (THEORY.md s8) on one data set with\n"
"the DDPM epsilon-MSE loss (t uniform over the schedule) and AdamW, then\n"
"writes a checkpoint.  stdout: one CSV row\n"
"  steps,loss_last,loss_mean_last100,seconds,steps_per_second,checkpoint\n"
"Progress on stderr when it is a terminal.\n"
"\n"
"data:\n"
"  --data SPEC        gmm[:K=8,D=2,means=circle|random,R=2,scale=2,sigma=0.2,\n"
"                     weights=w1:w2:...,n=10000,holdout=0.2,seed=1]\n"
"                     | digits[:path=%s,holdout=0.2,seed=1,labels=0:1:...]\n"
"  --heldout FILE     also write the held-out split as CSV (for spirelab kid)\n"
"network:\n"
"  --hidden H         hidden width, integer in [1, 65536] (default 128)\n"
"  --layers L         hidden layers, integer in [1, 1024] (default 3)\n"
"  --temb E           time-embedding dimension, even integer in [2, 65536] (default 32)\n"
"  --embed-at WHERE   client embedding added to the time embedding (time, default)\n"
"                     or as a bias of the first hidden layer (hidden)\n"
"  --schedule KIND    linear (default) | cosine;  --T N  steps, integer in [2, 1000000] (default 1000)\n"
"optimisation:\n"
"  --steps N          training steps, integer in [0, 1e9] (default 2000; 0 writes the initial network)\n"
"  --batch B          rows per step, integer in [1, 1000000] (default 256)\n"
"  --lr LR            peak learning rate, number in (0, 1e6] (default 1e-3)\n"
"  --warmup W         linear warm-up steps, integer >= 0 (default 0)\n"
"  --cosine           cosine decay to --lr-min after the warm-up (default: constant)\n"
"  --lr-min LR        floor of the cosine decay, number in [0, --lr] (default 0)\n"
"  --wd WD            decoupled weight decay, number in [0, 1] (default 0)\n"
"  --seed S           seed of initialisation and batches (default 1)\n"
"  --threads K        workers of a training step (fixed slices of the batch, each\n"
"                     single-threaded; 1 while the others do not pay, timed) and\n"
"                     of the evaluation samples, integer in [1, 4096] (default 1;\n"
"                     the checkpoint does not depend on it)\n"
"output:\n"
"  --checkpoint FILE  checkpoint, written atomically (required)\n"
"  --save-every N     also write it every N steps (default 0: only at the end)\n"
"  --log FILE         per-step CSV: step,loss,lr\n"
"  --eval-every N     every N steps, KID of --eval-n DDIM samples (--eval-steps steps)\n"
"  --eval-log FILE    against the held-out split, as CSV step,kid_mean,kid_std (needs both)\n"
"  --eval-n N         samples per evaluation (default 1000)\n"
"  --eval-sampler K   ddim (default) | ddpm (all T steps)\n"
"  --eval-steps S     DDIM steps per evaluation (default 50)\n"
"  --eval-clip C      clamp the predicted clean sample to [-C, C] (default 0: off)\n"
"  --eval-eta E       DDIM noise level, number in [0, 1] (default 0; digits: 1)\n"
"Exit status: 0 done, 1 training failure (non-finite loss, I/O), 2 bad input.\n",
            SPIRE_DIGITS_PATH);
}

/* The points x (n × D) as CSV x1,...,xD, written atomically to path. */
static int write_csv(const char *path, const float *x, size_t n, size_t D, char *err, size_t errlen)
{
    spl_buf b = SPL_BUF_INIT;
    for (size_t j = 0; j < D; j++) spl_buf_printf(&b, "%sx%zu", j ? "," : "", j + 1);
    spl_buf_puts(&b, "\n");
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < D; j++) spl_buf_printf(&b, "%.9g%c", x[i * D + j], j + 1 == D ? '\n' : ',');
    int st = spl_buf_write(&b, path, err, errlen);
    spl_buf_release(&b);
    return st;
}

/* Write the logs that were asked for (atomically: each file is complete up
 * to the step it was written at).  0, or −1 after a one-line message. */
static int write_logs(const char *logp, const spl_buf *log, const char *evalp, const spl_buf *eval)
{
    char err[4400];
    if (logp && spl_buf_write(log, logp, err, sizeof err)) {
        fprintf(stderr, "spirelab train: --log: %s\n", err);
        return -1;
    }
    if (evalp && spl_buf_write(eval, evalp, err, sizeof err)) {
        fprintf(stderr, "spirelab train: --eval-log: %s\n", err);
        return -1;
    }
    return 0;
}

int cmd_train(int argc, char **argv)
{
    const char *cmd = "train";
    const char *spec = NULL, *ckpt = NULL, *logp = NULL, *heldout = NULL, *evalp = NULL;
    spire_config cfg = { .D = 0, .E = 32, .H = 128, .L = 3, .embed_at = SPIRE_EMBED_TIME, .C = 1 };
    spire_train_opts o;
    spire_train_opts_default(&o);
    o.steps = 2000;
    size_t T = 1000, save_every = 0, eval_every = 0, eval_n = 1000, eval_steps = 50;
    double eval_clip = 0, eval_eta = 0;
    int eval_eta_given = 0;
    size_t threads = 1;
    int eval_sampler = 1;   /* index in "ddpm|ddim" */
    int sched_kind = 0, embed_at = 0;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case O_DATA: spec = optarg; break;
        case O_HIDDEN: bad = opt_size(cmd, "--hidden", optarg, 1, SPIRE_DIM_MAX, &cfg.H); break;
        case O_LAYERS: bad = opt_size(cmd, "--layers", optarg, 1, SPIRE_LAYERS_MAX, &cfg.L); break;
        case O_TEMB:
            bad = opt_size(cmd, "--temb", optarg, 2, SPIRE_DIM_MAX, &cfg.E);
            if (!bad && cfg.E % 2) {
                fprintf(stderr, "spirelab train: --temb must be an even integer in [2, %u], got '%s'\n",
                        SPIRE_DIM_MAX, optarg);
                bad = 1;
            }
            break;
        case O_EMBED_AT:
            bad = opt_choice(cmd, "--embed-at", optarg, "time|hidden", &embed_at);
            cfg.embed_at = embed_at ? SPIRE_EMBED_HIDDEN : SPIRE_EMBED_TIME;
            break;
        case O_STEPS: bad = opt_size(cmd, "--steps", optarg, 0, 1000000000u, &o.steps); break;
        case O_BATCH: bad = opt_size(cmd, "--batch", optarg, 1, 1000000u, &o.batch); break;
        case O_LR: bad = opt_double(cmd, "--lr", optarg, 0, OPT_OPEN, 1e6, OPT_CLOSED, &o.lr); break;
        case O_WARMUP: bad = opt_size(cmd, "--warmup", optarg, 0, 1000000000u, &o.warmup); break;
        case O_COSINE: o.cosine = 1; break;
        case O_LR_MIN: bad = opt_double(cmd, "--lr-min", optarg, 0, OPT_CLOSED, 1e6, OPT_CLOSED, &o.lr_min); break;
        case O_WD: bad = opt_double(cmd, "--wd", optarg, 0, OPT_CLOSED, 1, OPT_CLOSED, &o.wd); break;
        case O_SEED: bad = opt_u64(cmd, "--seed", optarg, &o.seed); break;
        case O_SCHED: bad = opt_choice(cmd, "--schedule", optarg, "linear|cosine", &sched_kind); break;
        case O_TT: bad = opt_size(cmd, "--T", optarg, 2, SPIRE_CKPT_T_MAX, &T); break;
        case O_CKPT: ckpt = optarg; break;
        case O_LOG: logp = optarg; break;
        case O_SAVE_EVERY: bad = opt_size(cmd, "--save-every", optarg, 0, 1000000000u, &save_every); break;
        case O_HELDOUT: heldout = optarg; break;
        case O_EVAL_EVERY: bad = opt_size(cmd, "--eval-every", optarg, 1, 1000000000u, &eval_every); break;
        case O_EVAL_LOG: evalp = optarg; break;
        case O_EVAL_N: bad = opt_size(cmd, "--eval-n", optarg, 2, 10000000u, &eval_n); break;
        case O_EVAL_STEPS: bad = opt_size(cmd, "--eval-steps", optarg, 1, SPIRE_CKPT_T_MAX, &eval_steps); break;
        case O_EVAL_SAMPLER: bad = opt_choice(cmd, "--eval-sampler", optarg, "ddpm|ddim", &eval_sampler); break;
        case O_THREADS: bad = opt_size(cmd, "--threads", optarg, 1, OPT_THREADS_MAX, &threads); break;
        case O_EVAL_CLIP: bad = opt_double(cmd, "--eval-clip", optarg, 0, OPT_CLOSED, 1e30, OPT_CLOSED, &eval_clip); break;
        case O_EVAL_ETA:
            bad = opt_double(cmd, "--eval-eta", optarg, 0, OPT_CLOSED, 1, OPT_CLOSED, &eval_eta);
            eval_eta_given = 1;
            break;
        case OPT_HELP: usage(stdout); return 0;
        default: opt_getopt_error(cmd, c, argv, longopts); return 2;
        }
        if (bad) return 2;
    }
    if (opt_no_positional(cmd, argc, argv)) return 2;
    omp_set_num_threads((int)threads);
    spl_blas_threads((int)threads);   /* KID of the evaluations; a training step sets 1 */
    if (!spec) { fprintf(stderr, "spirelab train: --data SPEC is required (see spirelab train --help)\n"); return 2; }
    if (!ckpt) { fprintf(stderr, "spirelab train: --checkpoint FILE is required (see spirelab train --help)\n"); return 2; }
    if (o.lr_min > o.lr) { opt_contradiction(cmd, "--lr-min", "--lr", "the floor is above the peak"); return 2; }
    if (!!eval_every != !!evalp) {
        opt_contradiction(cmd, "--eval-every", "--eval-log", "give both or neither");
        return 2;
    }
    if (eval_eta_given && !eval_sampler) {
        opt_contradiction(cmd, "--eval-eta", "--eval-sampler ddpm", "eta is DDIM's noise level; ancestral sampling has its own");
        return 2;
    }
    if (eval_every && eval_sampler && eval_steps > T) {
        fprintf(stderr, "spirelab train: --eval-steps must be an integer in [1, --T = %zu], got %zu\n", T, eval_steps);
        return 2;
    }

    char err[512];
    int st;
    spire_data *d = spire_data_load(spec, &st, err, sizeof err);
    if (!d) { fprintf(stderr, "spirelab train: --data: %s\n", err); return st == GSL_ENOMEM ? 1 : 2; }
    if (eval_every && d->n_test < 2) {
        fprintf(stderr, "spirelab train: --eval-every needs a held-out split of at least 2 rows (holdout=... in --data)\n");
        spire_data_free(d);
        return 2;
    }
    cfg.D = d->D;
    int ast = GSL_SUCCESS;
    ddpm_schedule *s = ddpm_schedule_alloc(sched_kind ? DDPM_COSINE : DDPM_LINEAR, T, &ast);
    spire_model *m = s ? spire_model_alloc(&cfg, &ast) : NULL;
    spire_trainer *tr = NULL;
    spl_buf logb = SPL_BUF_INIT, evalb = SPL_BUF_INIT;
    int logs_on = 0;
    int rc = 0;
    if (m) ast = spire_model_init(m, o.seed);
    if (m && !ast) tr = spire_trainer_alloc(m, s, d->train, d->n_train, &o, &ast);
    if (!tr) {
        if (ast == GSL_ENOMEM)
            fprintf(stderr, "spirelab train: out of memory for a network of %zu parameters\n",
                    spire_config_n_params(&cfg));
        else
            opt_lib_error(cmd, "setting up the training", ast);
        rc = 1;
        goto done;
    }
    if (heldout && write_csv(heldout, d->test, d->n_test, d->D, err, sizeof err) != GSL_SUCCESS) {
        fprintf(stderr, "spirelab train: --heldout: %s\n", err);
        rc = 2;
        goto done;
    }
    spl_buf_puts(&logb, "step,loss,lr\n");
    spl_buf_puts(&evalb, "step,kid_mean,kid_std\n");
    /* the logs are written now (a file that cannot be written is bad input),
     * with every checkpoint, and at the end */
    if (write_logs(logp, &logb, evalp, &evalb)) { rc = 2; goto done; }
    logs_on = 1;

    int tty = isatty(STDERR_FILENO);
    double t0 = omp_get_wtime(), tail = 0;
    size_t ntail = 0, saved_at = 0;
    int saved = 0;
    for (size_t k = 1; k <= o.steps; k++) {
        st = spire_trainer_iterate(tr);
        if (st == GSL_EDOM || st == GSL_EOVRFLW) {
            const char *what = st == GSL_EDOM ? "non-finite loss at step" : "non-finite parameters after step";
            if (saved)
                fprintf(stderr, "spirelab train: %s %zu; stopped, kept the last good checkpoint '%s' (step %zu)\n",
                        what, k, ckpt, saved_at);
            else
                fprintf(stderr, "spirelab train: %s %zu; stopped, no checkpoint written (lower --lr?)\n", what, k);
            rc = 1;
            goto done;
        }
        if (st) { opt_lib_error(cmd, "training step", st); rc = 1; goto done; }
        if (logp) spl_buf_printf(&logb, "%zu,%.9g,%.6g\n", k, tr->loss, tr->lr);
        if (k + 100 > o.steps) { tail += tr->loss; ntail++; }
        if (save_every && k % save_every == 0 && k < o.steps) {
            if (spire_ckpt_save(ckpt, m, s, tr->adam, &o, err, sizeof err)) {
                fprintf(stderr, "spirelab train: %s\n", err);
                rc = 1;
                goto done;
            }
            saved = 1; saved_at = k;
            if (write_logs(logp, &logb, evalp, &evalb)) { rc = 1; goto done; }
        }
        if (eval_every && k % eval_every == 0) {
            double kid_mean, kid_std;
            st = spire_sample_kid(m, s, eval_sampler ? SPIRE_SAMPLER_DDIM : SPIRE_SAMPLER_DDPM, eval_steps,
                                  eval_clip, eval_eta, 0, d->test, d->n_test, eval_n, 10, o.seed + k, o.seed,
                                  &kid_mean, &kid_std);
            if (st) { opt_lib_error(cmd, "evaluation", st); rc = 1; goto done; }
            spl_buf_printf(&evalb, "%zu,%.9g,%.9g\n", k, kid_mean, kid_std);
        }
        if (tty && (k % 50 == 0 || k == o.steps))
            fprintf(stderr, "\rspirelab train: step %zu/%zu  loss %.5f  lr %.3g ", k, o.steps, tr->loss, tr->lr);
    }
    if (tty && o.steps) fputc('\n', stderr);
    double secs = omp_get_wtime() - t0;
    if (spire_ckpt_save(ckpt, m, s, tr->adam, &o, err, sizeof err)) {
        fprintf(stderr, "spirelab train: %s\n", err);
        rc = 1;
        goto done;
    }
    printf("steps,loss_last,loss_mean_last100,seconds,steps_per_second,checkpoint\n");
    printf("%zu,%.6g,%.6g,%.3f,%.1f,%s\n", o.steps, o.steps ? tr->loss : NAN,
           ntail ? tail / (double)ntail : NAN, secs, secs > 0 ? (double)o.steps / secs : 0.0, ckpt);
done:
    /* also after a failure: the steps that were done (not after bad input) */
    if (logs_on && write_logs(logp, &logb, evalp, &evalb)) rc = 1;
    spl_buf_release(&logb);
    spl_buf_release(&evalb);
    spire_trainer_free(tr);
    spire_model_free(m);
    ddpm_schedule_free(s);
    spire_data_free(d);
    return rc;
}
