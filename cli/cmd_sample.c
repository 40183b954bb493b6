/* cli/cmd_sample.c — spirelab sample: draw samples from a trained score
 * network (DDPM ancestral or DDIM), CSV on stdout. */
#include <getopt.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <gsl/gsl_errno.h>
#include "cli/cli.h"
#include "cli/opts.h"
#include "spire/ckpt.h"
#include "spire/sample.h"

enum { O_CKPT = OPT_COMMON_END, O_N, O_SAMPLER, O_STEPS, O_SEED, O_CLIENT, O_CLIP, O_ETA, O_THREADS };

static const struct option longopts[] = {
    OPT_LONG_HELP,
    { "checkpoint", required_argument, NULL, O_CKPT },
    { "n", required_argument, NULL, O_N },
    { "sampler", required_argument, NULL, O_SAMPLER },
    { "steps", required_argument, NULL, O_STEPS },
    { "seed", required_argument, NULL, O_SEED },
    { "client", required_argument, NULL, O_CLIENT },
    { "clip", required_argument, NULL, O_CLIP },
    { "eta", required_argument, NULL, O_ETA },
    { "threads", required_argument, NULL, O_THREADS },
    { NULL, 0, NULL, 0 }
};

static void usage(FILE *f)
{
    fprintf(f,
"usage: spirelab sample --checkpoint FILE [--n N] [--sampler ddpm|ddim] [--steps S] [--eta E] [--seed S]\n"
"                       [--clip C] [--threads K]\n"
"\n"
"Generates samples with the network of a checkpoint written by spirelab train.\n"
"CSV on stdout: a header x1,...,xD, then one sample per row.\n"
"  --checkpoint FILE  the trained network (required)\n"
"  --n N              samples, integer in [1, 100000000] (default 1000)\n"
"  --sampler KIND     ddim (default): --steps strided steps, noise level --eta;\n"
"                     ddpm: ancestral, all T steps of the schedule (--steps ignored)\n"
"  --steps S          DDIM steps, integer in [1, T] (default 100)\n"
"  --eta E            DDIM noise level, number in [0, 1] (default 0: deterministic;\n"
"                     1 with --steps T: ancestral DDPM in law)\n"
"  --seed S           seed of the initial noise and the ancestral noise (default 1)\n"
"  --client C         client embedding to use, integer in [0, C-1] (default 0)\n"
"  --clip C           clamp the predicted clean sample to [-C, C] at every step,\n"
"                     number >= 0 (default 0: no clamping; digits: --clip 1)\n"
"  --threads K        blocks of %u samples generated concurrently, integer in\n"
"                     [1, %u] (default: all cores; the samples do not depend on it)\n",
            (unsigned)SPIRE_SAMPLE_BLOCK, (unsigned)OPT_THREADS_MAX);
}

int cmd_sample(int argc, char **argv)
{
    const char *cmd = "sample", *path = NULL;
    size_t n = 1000, S = 100, client = 0, threads = (size_t)omp_get_num_procs();
    double clip = 0, eta = 0;
    uint64_t seed = 1;
    int smp = 1, steps_given = 0, eta_given = 0, c;   /* index in "ddpm|ddim": ddim by default */
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case O_CKPT: path = optarg; break;
        case O_N: bad = opt_size(cmd, "--n", optarg, 1, 100000000u, &n); break;
        case O_SAMPLER: bad = opt_choice(cmd, "--sampler", optarg, "ddpm|ddim", &smp); break;
        case O_STEPS: bad = opt_size(cmd, "--steps", optarg, 1, SPIRE_CKPT_T_MAX, &S); steps_given = 1; break;
        case O_SEED: bad = opt_u64(cmd, "--seed", optarg, &seed); break;
        case O_CLIENT: bad = opt_size(cmd, "--client", optarg, 0, SPIRE_DIM_MAX, &client); break;
        case O_CLIP: bad = opt_double(cmd, "--clip", optarg, 0, OPT_CLOSED, 1e30, OPT_CLOSED, &clip); break;
        case O_ETA: bad = opt_double(cmd, "--eta", optarg, 0, OPT_CLOSED, 1, OPT_CLOSED, &eta); eta_given = 1; break;
        case O_THREADS: bad = opt_size(cmd, "--threads", optarg, 1, OPT_THREADS_MAX, &threads); break;
        case OPT_HELP: usage(stdout); return 0;
        default: opt_getopt_error(cmd, c, argv, longopts); return 2;
        }
        if (bad) return 2;
    }
    if (opt_no_positional(cmd, argc, argv)) return 2;
    omp_set_num_threads((int)threads);
    if (!path) { fprintf(stderr, "spirelab sample: --checkpoint FILE is required (see spirelab sample --help)\n"); return 2; }
    spire_sampler sampler = smp ? SPIRE_SAMPLER_DDIM : SPIRE_SAMPLER_DDPM;
    if (sampler == SPIRE_SAMPLER_DDPM && eta_given) {
        opt_contradiction(cmd, "--eta", "--sampler ddpm", "eta is DDIM's noise level; ancestral sampling has its own");
        return 2;
    }
    spire_ckpt ck;
    char err[512];
    if (spire_ckpt_load(path, &ck, err, sizeof err)) { fprintf(stderr, "spirelab sample: %s\n", err); return 2; }
    int rc = 0;
    size_t D = ck.model->cfg.D;
    if (sampler == SPIRE_SAMPLER_DDIM && S > ck.sched->T) {
        fprintf(stderr, "spirelab sample: --steps must be an integer in [1, %zu] (the checkpoint's T), got %zu\n",
                ck.sched->T, S);
        rc = 2;
    } else if (client >= ck.model->cfg.C) {
        fprintf(stderr, "spirelab sample: --client must be an integer in [0, %zu] (the checkpoint's clients), got %zu\n",
                ck.model->cfg.C - 1, client);
        rc = 2;
    } else if (sampler == SPIRE_SAMPLER_DDPM && steps_given && S != ck.sched->T) {
        opt_contradiction(cmd, "--steps", "--sampler ddpm", "ancestral sampling takes all T steps");
        rc = 2;
    }
    float *x = rc ? NULL : malloc(n * D * sizeof *x);
    if (!rc && !x) { fprintf(stderr, "spirelab sample: out of memory for %zu samples\n", n); rc = 1; }
    if (!rc) {
        int st = spire_sample(ck.model, ck.sched, sampler, S, clip, eta, (int)client, n, seed, x);
        if (st) { opt_lib_error(cmd, "sampling", st); rc = 1; }
    }
    if (!rc) {
        for (size_t j = 0; j < D; j++) printf("%sx%zu", j ? "," : "", j + 1);
        putchar('\n');
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < D; j++) printf("%.9g%c", x[i * D + j], j + 1 == D ? '\n' : ',');
        if (fflush(stdout) != 0) { fprintf(stderr, "spirelab sample: cannot write the samples\n"); rc = 1; }
    }
    free(x);
    spire_ckpt_clear(&ck);
    return rc;
}
