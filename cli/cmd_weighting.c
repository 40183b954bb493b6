/* cli/cmd_weighting.c — spirelab weighting: for one mixture and schedule,
 * the efficiency of the DDPM estimator of the mixing weight under each loss
 * weighting of THEORY.md §9 against the MLE, and the best single step.
 * Parsing, validation, library calls, CSV; the mathematics is in ddpm/weighting.c. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <gsl/gsl_errno.h>
#include "cli/cli.h"
#include "cli/opts.h"
#include "ddpm/weighting.h"

enum { OPT_SUM = OPT_COMMON_END };

static const struct option longopts[] = {
    OPT_LONG_HELP, OPT_LONG_MIXTURE,
    { "schedule", required_argument, NULL, OPT_SCHEDULE },
    { "T", required_argument, NULL, OPT_TT },
    { "sum", required_argument, NULL, OPT_SUM },
    { NULL, 0, NULL, 0 }
};

static void usage(FILE *f, const opt_common *o)
{
    fprintf(f,
"usage: spirelab weighting [options]\n"
"\n"
"Efficiency of the DDPM estimator of the mixing weight under each loss\n"
"weighting (THEORY.md s9, docs/weighting.md): t uniform over the schedule's\n"
"steps and each sample's loss weighted by lambda_t, n Var(w_hat) -> A/B^2 with\n"
"A = sum_t q_t lambda_t^2 A_t, B = sum_t q_t lambda_t B_t; efficiency = (1/I_w)/(A/B^2)\n"
"against the maximum-likelihood estimator (1 = as good as the MLE).\n"
"CSV on stdout, one row per weighting (eps, x0, v, elbo, minsnr:5, optimal):\n"
"  weighting,efficiency,efficiency_err,nvar_p,nvar_p_err,best_level,best_efficiency,best_efficiency_err\n"
"nvar_p: the predicted n Var(p_hat).  best_level: the step t maximising B_t^2/A_t\n"
"(the best single step, q concentrated there; the same on every row) and its efficiency.\n"
"\n");
    opt_common_usage(f, o, OPT_G_MIXTURE);
    fprintf(f,
"schedule:\n"
"  --schedule linear|cosine  the noise schedule (default linear)\n"
"  --T N                steps of the schedule, integer in [2, %u] (default %u)\n"
"  --sum fast|full      sums over steps from far fewer steps with an error estimate,\n"
"                       or step by step (the reference) (default fast)\n"
"  --help               this text\n",
            (unsigned)OPT_T_MAX, (unsigned)OPT_T_DEFAULT);
}

int cmd_weighting(int argc, char **argv)
{
    opt_common o;
    opt_common_init(&o, "weighting", 1);
    int full = 0;

    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        if (c == OPT_HELP) { usage(stdout, &o); return 0; }
        if (c == OPT_SUM) {
            if (opt_choice(o.cmd, "--sum", optarg, "fast|full", &full)) return 2;
            continue;
        }
        if (opt_common_handle(&o, c, optarg, argv, longopts)) return 2;
    }
    o.given_avg = 1;   /* the schedule is averaged over */
    if (opt_no_positional(o.cmd, argc, argv) || opt_common_check(&o)) return 2;
    if (!(o.sep > 0)) {
        fprintf(stderr, "spirelab weighting: --sep must be a number in (0, inf) for an efficiency (at 0 there is no information), got 0\n");
        return 2;
    }

    opt_model m;
    if (opt_model_build(&o, &m)) return 1;
    ddpm_quad *q = ddpm_quad_alloc();
    ddpm_efficiency ef[DDPM_W_NAMED];
    int rc = 1;
    if (!q) { opt_lib_error(o.cmd, "ddpm_quad_alloc", GSL_ENOMEM); goto done; }
    for (int i = 0; i < DDPM_W_NAMED; i++) {
        int st;
        ddpm_wplan *p = ddpm_wplan_alloc(m.s, &ddpm_weighting_named[i], full ? DDPM_WSUM_FULL : DDPM_WSUM_FAST, 0, &st);
        if (!p) { opt_lib_error(o.cmd, "ddpm_wplan_alloc", st); goto done; }
        st = ddpm_wplan_efficiency(q, p, m.g, i == 0, &ef[i]);
        ddpm_wplan_free(p);
        if (st) { opt_lib_error(o.cmd, "ddpm_wplan_efficiency", st); goto done; }
    }
    double pq2 = o.pi * (1 - o.pi) * o.pi * (1 - o.pi);
    printf("weighting,efficiency,efficiency_err,nvar_p,nvar_p_err,best_level,best_efficiency,best_efficiency_err\n");
    for (int i = 0; i < DDPM_W_NAMED; i++) {
        char name[32];
        ddpm_weighting_name(&ddpm_weighting_named[i], name, sizeof name);
        printf("%s,%.10g,%.3g,%.10g,%.3g,%zu,%.10g,%.3g\n", name, ef[i].eff.val, ef[i].eff.err,
               ef[i].sw.nvar_p, pq2 * ef[i].sw.err, ef[0].best_level, ef[0].best_eff.val, ef[0].best_eff.err);
    }
    rc = 0;
done:
    ddpm_quad_free(q);
    opt_model_free(&m);
    return rc;
}
