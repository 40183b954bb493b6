/* cli/cmd_gd.c — spirelab gd: gradient descent on the mixing weight
 * (THEORY.md §5), on the population loss (quadrature) or on the empirical
 * loss of one sample set.  One CSV row per iterate; a summary on stderr.
 * Parsing, validation, library calls, CSV; the mathematics is in ddpm/. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <gsl/gsl_errno.h>
#include "cli/cli.h"
#include "cli/opts.h"
#include "cli/kopts.h"
#include "ddpm/ddpm.h"

enum { OPT_INIT = OPT_COMMON_END, OPT_LR, OPT_STEPS, OPT_PARAM, OPT_TOL, OPT_CLIP, OPT_KP };

static const struct option longopts[] = {
    OPT_LONG_HELP, OPT_LONG_MIXTURE, OPT_LONG_NOISE, OPT_LONG_WEIGHTING, OPT_LONG_METHOD, OPT_LONG_MC,
    { "init", required_argument, NULL, OPT_INIT },
    { "lr", required_argument, NULL, OPT_LR },
    { "steps", required_argument, NULL, OPT_STEPS },
    { "param", required_argument, NULL, OPT_PARAM },
    { "tol", required_argument, NULL, OPT_TOL },
    { "clip", required_argument, NULL, OPT_CLIP },
    { "p", required_argument, NULL, OPT_KP },
    KOPT_LONG,
    { NULL, 0, NULL, 0 }
};

#define GD_N_DEFAULT     100000u
#define GD_INIT_DEFAULT  0.5
#define GD_LR_DEFAULT    1.0
#define GD_STEPS_DEFAULT 1000u
#define GD_STEPS_MAX     1000000000u
#define GD_TOL_DEFAULT   1e-10
#define GD_CLIP_DEFAULT  1e-6

typedef struct { double init, lr, tol, clip; size_t steps; ddpm_param param; } gd_opts;

static void usage(FILE *f, const opt_common *o, const gd_opts *g)
{
    fprintf(f,
"usage: spirelab gd [options]\n"
"\n"
"Gradient descent on the mixing weight of the model (THEORY.md s5): on the\n"
"logit, w <- w - lr * dloss/dw, or on p in [clip, 1 - clip] directly.  The\n"
"loss is the population loss by quadrature (--method analytic), or the\n"
"empirical loss of one set of --n samples drawn once (--method mc).\n"
"CSV on stdout, one row per iterate from iterate 0:\n"
"  iter,w,p,loss,grad       (grad in the descended coordinate: w, or p)\n"
"A summary on stderr: converged or not, iterations, final |p - pi|; a note\n"
"when the loss grew (the step --lr is then too large).\n"
"\n");
    opt_common_usage(f, o, OPT_G_MIXTURE | OPT_G_NOISE | OPT_G_WEIGHTING);
    fprintf(f,
"  (with --weighting, the loss descended is the weighted one; with --method mc\n"
"   each sample's loss is weighted by lambda_t of its step)\n");
    kopt_usage(f, 0);
    fprintf(f,
"  --p P1,...,PK        K components: the starting weights (default equal); the\n"
"                       rows are then iter,w_1..w_{K-1},p_1..p_K,loss,grad_norm\n"
"                       (descent on the logits; --param and --clip do not apply)\n"
"descent:\n"
"  --init P0            starting mixing weight, number in (0, 1) (default %g)\n"
"  --lr ETA             step size, number in (0, inf) (default %g)\n"
"  --steps K            at most K steps, integer in [0, %u] (default %zu)\n"
"  --param logit|pi     descend on w = logit p, or on p (default %s)\n"
"  --tol G              stop when |grad| < G, number in [0, inf) (default %g)\n"
"  --clip EPS           --param pi keeps p in [EPS, 1 - EPS], number in (0, 0.5) (default %g)\n",
            g->init, g->lr, (unsigned)GD_STEPS_MAX, g->steps,
            g->param == DDPM_PARAM_PI ? "pi" : "logit", g->tol, g->clip);
    opt_common_usage(f, o, OPT_G_METHOD | OPT_G_MC);
    fprintf(f,
"  (--mc, --n, --seed draw the sample set for --method mc; with --avg each\n"
"   sample has its own step t, uniform over the schedule.)\n"
"  --help               this text\n");
}

int cmd_gd(int argc, char **argv)
{
    opt_common o;
    opt_common_init(&o, "gd", GD_N_DEFAULT);
    gd_opts g = { GD_INIT_DEFAULT, GD_LR_DEFAULT, GD_TOL_DEFAULT, GD_CLIP_DEFAULT,
                  GD_STEPS_DEFAULT, DDPM_PARAM_LOGIT };

    optind = 1;
    opterr = 0;
    int c, idx, given_init = 0, given_param = 0;
    kopt ko;
    kopt_init(&ko);
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case OPT_HELP:
            usage(stdout, &o, &g);
            return 0;
        case OPT_KP:
            bad = kopt_p(&ko, o.cmd, optarg);
            if (bad == 1) {
                fprintf(stderr, "spirelab gd: --p must be a list P1,...,PK (K components; one weight is --init), got '%s'\n", optarg);
                bad = -1;
            }
            break;
        case OPT_INIT:  given_init = 1; bad = opt_double(o.cmd, "--init", optarg, 0.0, OPT_OPEN, 1.0, OPT_OPEN, &g.init); break;
        case OPT_LR:    bad = opt_double(o.cmd, "--lr", optarg, 0.0, OPT_OPEN, INFINITY, OPT_OPEN, &g.lr); break;
        case OPT_STEPS: bad = opt_size(o.cmd, "--steps", optarg, 0, GD_STEPS_MAX, &g.steps); break;
        case OPT_TOL:   bad = opt_double(o.cmd, "--tol", optarg, 0.0, OPT_CLOSED, INFINITY, OPT_OPEN, &g.tol); break;
        case OPT_CLIP:  bad = opt_double(o.cmd, "--clip", optarg, 0.0, OPT_OPEN, 0.5, OPT_OPEN, &g.clip); break;
        case OPT_PARAM:
            given_param = 1;
            bad = opt_choice(o.cmd, "--param", optarg, "logit|pi", &idx);
            if (!bad) g.param = idx == 0 ? DDPM_PARAM_LOGIT : DDPM_PARAM_PI;
            break;
        default:
            bad = kopt_handle(&ko, &o, c, optarg, argv, longopts);
        }
        if (bad) return 2;
    }
    if (opt_no_positional(o.cmd, argc, argv) || opt_common_check(&o) || kopt_check(&ko, &o, &g.init)) return 2;
    if (ko.p_list && given_init) { opt_contradiction(o.cmd, "--init", "--p", "give the start once"); return 2; }
    if (ko.active) {
        if (given_init || (given_param && g.param != DDPM_PARAM_LOGIT)) {
            fprintf(stderr, "spirelab gd: %s needs two components; with --pi P1,...,PK start from --p P1,...,PK (logits)\n",
                    given_init ? "--init" : "--param pi");
            return 2;
        }
        return kcmd_gd(&o, &ko, g.lr, g.steps, g.tol);
    }

    opt_model m;
    ddpm_quad *q = NULL;
    ddpm_sample *S = NULL;
    ddpm_gd *gd = NULL;
    int rc = 1, st;
    if (opt_model_build(&o, &m)) return 1;

    ddpm_objective f;
    void *ctx;
    ddpm_obj_level_ctx lctx;
    ddpm_obj_avg_ctx actx;
    ddpm_obj_wavg_ctx wctx;
    if (!(q = ddpm_quad_alloc())) { opt_lib_error(o.cmd, "ddpm_quad_alloc", GSL_ENOMEM); goto done; }
    if (o.method_mc) {
        S = m.plan ? ddpm_wplan_sample_draw(q, m.plan, m.g, o.n, o.mc, o.seed, &st)
                   : ddpm_sample_draw(m.g, m.avg ? m.s : NULL, m.a, m.b, o.n, o.mc, o.seed, &st);
        if (!S) { opt_lib_error(o.cmd, m.plan ? "ddpm_wplan_sample_draw" : "ddpm_sample_draw", st); goto done; }
        f = ddpm_obj_sample;
        ctx = S;
    } else {
        if (m.plan) {
            wctx = (ddpm_obj_wavg_ctx){ .q = q, .g = m.g, .p = m.plan };
            f = ddpm_obj_wavg;
            ctx = &wctx;
        } else if (m.avg) {
            actx = (ddpm_obj_avg_ctx){ .q = q, .g = m.g, .s = m.s };
            f = ddpm_obj_avg;
            ctx = &actx;
        } else {
            lctx = (ddpm_obj_level_ctx){ .q = q, .g = m.g, .a = m.a, .b = m.b };
            f = ddpm_obj_level;
            ctx = &lctx;
        }
    }
    if (!(gd = ddpm_gd_alloc())) { opt_lib_error(o.cmd, "ddpm_gd_alloc", GSL_ENOMEM); goto done; }
    if ((st = ddpm_gd_set(gd, f, ctx, g.param, g.init, g.lr, g.clip)) != GSL_SUCCESS) {
        opt_lib_error(o.cmd, "ddpm_gd_set", st);
        goto done;
    }

    double loss0 = gd->loss;
    int converged = 0;
    size_t k = 0;   /* iterations done */
    printf("iter,w,p,loss,grad\n");
    printf("%zu,%.17g,%.17g,%.17g,%.17g\n", k, gd->w, gd->p, gd->loss, gd->grad);
    for (;;) {
        if (ddpm_gd_test(gd, g.tol) == GSL_SUCCESS) { converged = 1; break; }
        if (k >= g.steps) break;
        if ((st = ddpm_gd_iterate(gd)) != GSL_SUCCESS) {
            fflush(stdout);
            char buf[64];
            snprintf(buf, sizeof buf, "ddpm_gd_iterate (step %zu)", k + 1);
            opt_lib_error(o.cmd, buf, st);
            goto done;
        }
        k++;
        printf("%zu,%.17g,%.17g,%.17g,%.17g\n", k, gd->w, gd->p, gd->loss, gd->grad);
    }
    fflush(stdout);
    /* |grad| < tol on a plateau far from the minimum is not convergence:
     * the loss must not have grown. */
    int diverged = !isfinite(gd->loss) || !isfinite(gd->w) || gd->loss > loss0;
    fprintf(stderr, "spirelab gd: %s after %zu iteration%s (|grad| = %.3g %s --tol %g%s); p = %.12g, |p - pi| = %.3g\n",
            converged && !diverged ? "converged" : "not converged", k, k == 1 ? "" : "s",
            fabs(gd->grad), converged ? "<" : ">=", g.tol, converged && diverged ? " on a plateau" : "",
            gd->p, fabs(gd->p - o.pi));
    if (diverged)
        fprintf(stderr, "spirelab gd: note: the loss grew from %.6g to %.6g: the iterates diverged, try a smaller --lr (now %g)\n",
                loss0, gd->loss, g.lr);
    rc = 0;
done:
    ddpm_gd_free(gd);
    ddpm_sample_free(S);
    ddpm_quad_free(q);
    opt_model_free(&m);
    return rc;
}
