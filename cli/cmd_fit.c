/* cli/cmd_fit.c — spirelab fit: the DDPM estimator of the mixing weight and
 * the maximum-likelihood estimator on the same n samples (THEORY.md §6), with
 * their predicted standard deviations (sandwich; Cramér–Rao bound).
 * Parsing, validation, library calls, CSV; the mathematics is in ddpm/, gmm/. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <gsl/gsl_errno.h>
#include "cli/cli.h"
#include "cli/opts.h"
#include "cli/kopts.h"
#include "ddpm/ddpm.h"
#include "gmm/gmm.h"

static const struct option longopts[] = {
    OPT_LONG_HELP, OPT_LONG_MIXTURE, OPT_LONG_NOISE, OPT_LONG_WEIGHTING, OPT_LONG_MC,
    KOPT_LONG,
    { NULL, 0, NULL, 0 }
};

#define FIT_N_DEFAULT   10000u
#define FIT_DDPM_W0     DDPM_FIT_W0
#define FIT_DDPM_TOL    DDPM_FIT_TOL
#define FIT_DDPM_MAXIT  DDPM_FIT_MAXITER
#define FIT_MLE_TOL     DDPM_FIT_MLE_TOL
#define FIT_MLE_MAXIT   DDPM_FIT_MLE_MAXITER

static void usage(FILE *f, const opt_common *o)
{
    fprintf(f,
"usage: spirelab fit [options]\n"
"\n"
"Draw n samples (x0, eps) from the mixture at the noise level (with --avg,\n"
"each sample at its own step t, uniform over the schedule) and estimate the\n"
"mixing weight twice on the same data (THEORY.md s6):\n"
"  ddpm  the minimiser of the empirical DDPM loss in w (ddpm_fit_ddpm from\n"
"        w = %g, tolerance %g on w, at most %u iterations); sd_pred is the\n"
"        sandwich prediction sqrt(nvar_p / n);\n"
"  mle   EM maximum likelihood on the clean points x0 with the means known\n"
"        (tolerance %g, at most %u iterations); sd_pred is the Cramer-Rao bound.\n"
"CSV on stdout:\n"
"  estimator,p_hat,w_hat,iterations,converged,objective,sd_pred\n"
"objective: the empirical loss at w_hat (ddpm), the mean log-likelihood (mle).\n"
"A row that did not converge has converged = 0 and a note on stderr.\n"
"\n",
            FIT_DDPM_W0, FIT_DDPM_TOL, (unsigned)FIT_DDPM_MAXIT, FIT_MLE_TOL, (unsigned)FIT_MLE_MAXIT);
    opt_common_usage(f, o, OPT_G_MIXTURE | OPT_G_NOISE | OPT_G_WEIGHTING);
    fprintf(f,
"  (with --weighting each sample's loss is weighted by lambda_t of its step\n"
"   (level:T draws every sample at step T) and sd_pred of the ddpm row is the\n"
"   weighted sandwich sqrt((pi(1-pi))^2 A_lambda / B_lambda^2 / n))\n");
    kopt_usage(f, 0);
    fprintf(f,
"  with K >= 3 components the rows are, per estimator and component k,\n"
"  estimator,k,p_hat,w_hat,iterations,converged,objective,sd_pred (w_hat by GSL\n"
"  BFGS2 from equal weights; sd_pred from B^-1 A B^-1 and the CRLB, delta method)\n");
    opt_common_usage(f, o, OPT_G_MC);
    fprintf(f,
"  --help               this text\n");
}

int cmd_fit(int argc, char **argv)
{
    opt_common o;
    opt_common_init(&o, "fit", FIT_N_DEFAULT);

    optind = 1;
    opterr = 0;
    int c;
    kopt ko;
    kopt_init(&ko);
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        if (c == OPT_HELP) { usage(stdout, &o); return 0; }
        if (kopt_handle(&ko, &o, c, optarg, argv, longopts)) return 2;
    }
    if (opt_no_positional(o.cmd, argc, argv) || opt_common_check(&o) || kopt_check(&ko, &o, NULL)) return 2;
    if (ko.active) return kcmd_fit(&o, &ko);

    opt_model m;
    ddpm_quad *q = NULL;
    ddpm_sample *S = NULL;
    int rc = 1, st;
    if (opt_model_build(&o, &m)) return 1;

    if (!(q = ddpm_quad_alloc())) { opt_lib_error(o.cmd, "ddpm_quad_alloc", GSL_ENOMEM); goto done; }
    S = m.plan ? ddpm_wplan_sample_draw(q, m.plan, m.g, o.n, o.mc, o.seed, &st)
               : ddpm_sample_draw(m.g, m.avg ? m.s : NULL, m.a, m.b, o.n, o.mc, o.seed, &st);
    if (!S) { opt_lib_error(o.cmd, m.plan ? "ddpm_wplan_sample_draw" : "ddpm_sample_draw", st); goto done; }

    /* a failure before the first iterate leaves res untouched: print nan, not garbage */
    ddpm_fit_result rd = { NAN, NAN, 0, 0, NAN }, rm = rd;
    st = ddpm_fit_ddpm(S, FIT_DDPM_W0, FIT_DDPM_TOL, FIT_DDPM_MAXIT, &rd);
    if (st != GSL_SUCCESS && st != GSL_EMAXITER) { opt_lib_error(o.cmd, "ddpm_fit_ddpm", st); goto done; }
    st = ddpm_fit_mle(m.g, S, FIT_MLE_TOL, FIT_MLE_MAXIT, &rm);
    if (st != GSL_SUCCESS && st != GSL_EMAXITER) { opt_lib_error(o.cmd, "ddpm_fit_mle", st); goto done; }

    ddpm_sandwich sw;
    st = m.plan ? ddpm_wplan_sandwich(q, m.plan, m.g, &sw)
       : m.avg ? ddpm_sandwich_avg(q, m.g, m.s, &sw) : ddpm_sandwich_level(q, m.g, m.a, m.b, &sw);
    if (st != GSL_SUCCESS) {
        opt_lib_error(o.cmd, m.plan ? "ddpm_wplan_sandwich" : m.avg ? "ddpm_sandwich_avg" : "ddpm_sandwich_level", st);
        goto done;
    }
    double sd_ddpm = sqrt(sw.nvar_p / (double)o.n), sd_mle;
    if ((st = gmm2_crlb_sd(o.pi, o.sep, o.n, &sd_mle)) != GSL_SUCCESS) {
        opt_lib_error(o.cmd, "gmm2_crlb_sd", st);
        goto done;
    }

    if (!rd.converged)
        fprintf(stderr, "spirelab fit: note: ddpm_fit_ddpm did not converge (%zu iterations, at most %u; row ddpm, converged = 0)\n",
                rd.iterations, (unsigned)FIT_DDPM_MAXIT);
    if (!rm.converged)
        fprintf(stderr, "spirelab fit: note: ddpm_fit_mle did not converge (%zu iterations, at most %u; row mle, converged = 0)\n",
                rm.iterations, (unsigned)FIT_MLE_MAXIT);

    /* everything computed: only now write to stdout */
    printf("estimator,p_hat,w_hat,iterations,converged,objective,sd_pred\n");
    printf("ddpm,%.17g,%.17g,%zu,%d,%.17g,%.17g\n", rd.p_hat, rd.w_hat, rd.iterations,
           rd.converged, rd.objective, sd_ddpm);
    printf("mle,%.17g,%.17g,%zu,%d,%.17g,%.17g\n", rm.p_hat, rm.w_hat, rm.iterations,
           rm.converged, rm.objective, sd_mle);
    rc = 0;
done:
    ddpm_quad_free(q);
    ddpm_sample_free(S);
    opt_model_free(&m);
    return rc;
}
