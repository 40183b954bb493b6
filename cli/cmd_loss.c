/* cli/cmd_loss.c — spirelab loss: the mixing-weight DDPM loss, its excess,
 * gradient and Hessian in the logit w, on a grid of w (THEORY.md §3, §4).
 * Parsing, validation, library calls, CSV; the mathematics is in ddpm/. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <gsl/gsl_errno.h>
#include "cli/cli.h"
#include "cli/opts.h"
#include "cli/kopts.h"
#include "common/spl.h"
#include "ddpm/ddpm.h"

enum { OPT_W = OPT_COMMON_END, OPT_P, OPT_GRID };

static const struct option longopts[] = {
    OPT_LONG_HELP, OPT_LONG_MIXTURE, OPT_LONG_NOISE, OPT_LONG_WEIGHTING, OPT_LONG_METHOD, OPT_LONG_MC,
    { "w", required_argument, NULL, OPT_W },
    { "p", required_argument, NULL, OPT_P },
    { "grid", required_argument, NULL, OPT_GRID },
    KOPT_LONG,
    { NULL, 0, NULL, 0 }
};

#define LOSS_N_DEFAULT 100000u
#define LOSS_GRID_DEFAULT "-6:6:13"

static void usage(FILE *f, const opt_common *o)
{
    fprintf(f,
"usage: spirelab loss [options]\n"
"\n"
"The DDPM epsilon-prediction loss of a model whose only parameter is the\n"
"logit w of its mixing weight p = sigmoid(w), at one noise level or averaged\n"
"over a schedule (THEORY.md s3-4): loss, excess over the minimum at\n"
"w = logit(pi), gradient and Hessian in w, each with its error estimate\n"
"(quadrature error for --method analytic, standard error for --method mc).\n"
"CSV on stdout, one row per w:\n"
"  w,p,loss,loss_err,excess,excess_err,grad,grad_err,hess,hess_err\n"
"\n");
    opt_common_usage(f, o, OPT_G_MIXTURE | OPT_G_NOISE | OPT_G_WEIGHTING);
    kopt_usage(f, 1);
    fprintf(f,
"  (with --weighting the columns are the weighted average sum_t q_t lambda_t l_t,\n"
"   by quadrature only: fast sum over far fewer steps, error estimate included)\n"
"parameter -- at most one of (default --grid %s):\n"
"  --w W                one logit, any finite number\n"
"  --p P                one mixing weight, number in (0, 1) (w = logit P)\n"
"  --grid WMIN:WMAX:N   N equally spaced logits, finite WMIN <= WMAX, N in [1, %u]\n",
            LOSS_GRID_DEFAULT, (unsigned)OPT_GRID_MAX);
    opt_common_usage(f, o, OPT_G_METHOD | OPT_G_MC);
    fprintf(f,
"  (--mc, --n, --seed are used with --method mc; every w uses the same draws.\n"
"   --mc projected adds one chi-square draw a^2 chi2_{d-1} per sample, so both\n"
"   modes have the same law.)\n"
"  --help               this text\n");
}

int cmd_loss(int argc, char **argv)
{
    opt_common o;
    opt_common_init(&o, "loss", LOSS_N_DEFAULT);
    opt_grid grid;
    double w_one = 0.0, p_one = 0.5;
    const char *param_flag = NULL;   /* the first of --w, --p, --grid given */
    int param = OPT_GRID;
    kopt ko;
    kopt_init(&ko);
    if (opt_grid_parse(o.cmd, "--grid", LOSS_GRID_DEFAULT, &grid)) return 2;

    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        const char *flag = c == OPT_W ? "--w" : c == OPT_P ? "--p" : "--grid";
        switch (c) {
        case OPT_HELP:
            usage(stdout, &o);
            return 0;
        case OPT_W: case OPT_P: case OPT_GRID:
            if (param_flag && param != c) {
                opt_contradiction(o.cmd, param_flag, flag, "give one of --w, --p, --grid");
                return 2;
            }
            param_flag = flag;
            param = c;
            if (c == OPT_W && opt_double(o.cmd, "--w", optarg, -INFINITY, OPT_OPEN, INFINITY, OPT_OPEN, &w_one))
                return 2;
            if (c == OPT_P) {   /* a list P1,...,PK, or one weight */
                int kp = kopt_p(&ko, o.cmd, optarg);
                if (kp < 0 || (kp == 1 && opt_double(o.cmd, "--p", optarg, 0.0, OPT_OPEN, 1.0, OPT_OPEN, &p_one)))
                    return 2;
            }
            if (c == OPT_GRID && opt_grid_parse(o.cmd, "--grid", optarg, &grid))
                return 2;
            break;
        default:
            if (kopt_handle(&ko, &o, c, optarg, argv, longopts)) return 2;
        }
    }
    if (opt_no_positional(o.cmd, argc, argv) || opt_common_check(&o) || kopt_check(&ko, &o, &p_one)) return 2;
    if (o.given_weighting && o.method_mc) {
        opt_contradiction(o.cmd, "--weighting", "--method mc", "the weighted loss is computed by quadrature (--method analytic)");
        return 2;
    }
    if (ko.active) {
        if (param != OPT_GRID && param != OPT_P) {
            fprintf(stderr, "spirelab loss: %s needs two components; with --pi P1,...,PK give the model as --p P1,...,PK\n", param_flag);
            return 2;
        }
        if (param == OPT_P && !ko.p_list) {
            fprintf(stderr, "spirelab loss: --p must be a list P1,...,PK with --pi P1,...,PK\n");
            return 2;
        }
        return kcmd_loss(&o, &ko);
    }

    size_t nw = param == OPT_GRID ? grid.n : 1;
    double *ws = malloc(nw * sizeof *ws), *ps = malloc(nw * sizeof *ps);
    ddpm_loss_result *res = malloc(nw * sizeof *res);
    ddpm_quad *q = NULL;
    opt_model m = { 0 };
    int rc = 1;
    if (!ws || !ps || !res) { opt_lib_error(o.cmd, "allocating the grid", GSL_ENOMEM); goto done; }
    for (size_t i = 0; i < nw; i++) {
        if (param == OPT_W)      { ws[i] = w_one; ps[i] = spl_sigmoid(w_one); }
        else if (param == OPT_P) { ws[i] = spl_logit(p_one); ps[i] = p_one; }
        else                     { ws[i] = opt_grid_at(&grid, i); ps[i] = spl_sigmoid(ws[i]); }
    }
    if (opt_model_build(&o, &m)) goto done;
    if (!o.method_mc && !(q = ddpm_quad_alloc())) { opt_lib_error(o.cmd, "ddpm_quad_alloc", GSL_ENOMEM); goto done; }

    ddpm_mc_opts mo = { .mode = o.mc, .n = o.n, .seed = o.seed, .draw_chi2 = 1 };
    for (size_t i = 0; i < nw; i++) {
        int st;
        const char *what;
        if (!o.method_mc) {
            what = m.plan ? "ddpm_wplan_loss" : m.avg ? "ddpm_loss_avg" : "ddpm_loss_level";
            st = m.plan ? ddpm_wplan_loss(q, m.plan, m.g, ws[i], &res[i])
               : m.avg ? ddpm_loss_avg(q, m.g, m.s, ws[i], &res[i])
                       : ddpm_loss_level(q, m.g, m.a, m.b, ws[i], &res[i]);
        } else {
            what = m.avg ? "ddpm_mc_avg" : "ddpm_mc_level";
            st = m.avg ? ddpm_mc_avg(m.g, m.s, ws[i], &mo, &res[i])
                       : ddpm_mc_level(m.g, m.a, m.b, ws[i], &mo, &res[i]);
        }
        if (st != GSL_SUCCESS) {
            char buf[96];
            snprintf(buf, sizeof buf, "%s at w = %.17g", what, ws[i]);
            opt_lib_error(o.cmd, buf, st);
            goto done;
        }
    }

    /* everything computed: only now write to stdout */
    printf("w,p,loss,loss_err,excess,excess_err,grad,grad_err,hess,hess_err\n");
    for (size_t i = 0; i < nw; i++) {
        const ddpm_loss_result *r = &res[i];
        printf("%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g\n",
               ws[i], ps[i], r->loss.val, r->loss.err, r->excess.val, r->excess.err,
               r->grad.val, r->grad.err, r->hess.val, r->hess.err);
    }
    rc = 0;
done:
    ddpm_quad_free(q);
    opt_model_free(&m);
    free(ws);
    free(ps);
    free(res);
    return rc;
}
