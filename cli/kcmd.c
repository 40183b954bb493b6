/* cli/kcmd.c — loss, gd and fit for K >= 3 components (THEORY.md §10):
 * library calls and CSV; the mathematics is in ddpm/kmix.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <gsl/gsl_errno.h>
#include "cli/kopts.h"

/* The noise level (a, b) of --alpha, --t or --tau, through the common model
 * builder (its two-component mixture is not used). */
static int level(const opt_common *o, double *a, double *b)
{
    opt_model mm;
    if (opt_model_build(o, &mm)) return 1;
    *a = mm.a;
    *b = mm.b;
    opt_model_free(&mm);
    return 0;
}

static void header_wp(size_t K)
{
    for (size_t j = 0; j + 1 < K; j++) printf("w_%zu,", j + 1);
    for (size_t j = 0; j < K; j++) printf("p_%zu,", j + 1);
}
static void row_wp(size_t K, const double *w)
{
    double p[KMIX_KMAX];
    kmix_softmax(K, w, p);
    for (size_t j = 0; j + 1 < K; j++) printf("%.17g,", w[j]);
    for (size_t j = 0; j < K; j++) printf("%.17g,", p[j]);
}

int kcmd_loss(const opt_common *o, const kopt *k)
{
    double a, b;
    if (level(o, &a, &b)) return 1;
    kmix *m = kopt_build(k, o);
    if (!m) return 1;
    const size_t K = k->K, n = K - 1;
    double w[KMIX_NMAX];
    kopt_model_w(k, w);
    kmix_result r;
    int st, rc = 1;
    kmix_quad *q = NULL;
    if (o->method_mc) {
        ddpm_mc_opts mo = { .mode = o->mc, .n = o->n, .seed = o->seed, .draw_chi2 = 1 };
        st = kmix_loss_mc(m, a, b, w, &mo, &r);
    } else if (m->r > 2) {
        fprintf(stderr, "spirelab %s: the means span r = %zu dimensions; quadrature needs r <= 2: use --method mc\n",
                o->cmd, m->r);
        kmix_free(m);
        return 2;
    } else if (!(q = kmix_quad_alloc(0, 0, NULL))) st = GSL_ENOMEM;
    else st = kmix_loss_quad(q, m, a, b, w, KMIX_ALL, &r);
    if (st) { opt_lib_error(o->cmd, o->method_mc ? "kmix_loss_mc" : "kmix_loss_quad", st); goto done; }
    header_wp(K);
    printf("loss,loss_err,excess,excess_err");
    for (size_t j = 0; j < n; j++) printf(",grad_%zu,grad_%zu_err", j + 1, j + 1);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i; j < n; j++) printf(",hess_%zu_%zu,hess_%zu_%zu_err", i + 1, j + 1, i + 1, j + 1);
    printf("\n");
    row_wp(K, w);
    printf("%.17g,%.17g,%.17g,%.17g", r.loss.val, r.loss.err, r.excess.val, r.excess.err);
    for (size_t j = 0; j < n; j++) printf(",%.17g,%.17g", r.grad[j], r.grad_err[j]);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i; j < n; j++) printf(",%.17g,%.17g", r.hess[i * n + j], r.hess_err[i * n + j]);
    printf("\n");
    rc = 0;
done:
    kmix_quad_free(q);
    kmix_free(m);
    return rc;
}

typedef struct { const kmix *m; const kmix_sample *S; } sample_ctx;
static int obj_sample(void *ctx, const double *w, double *f, double *grad)
{
    const sample_ctx *c = ctx;
    return kmix_sample_loss(c->m, c->S, w, f, grad, NULL);
}

int kcmd_gd(const opt_common *o, const kopt *k, double lr, size_t steps, double tol)
{
    double a, b;
    if (level(o, &a, &b)) return 1;
    kmix *m = kopt_build(k, o);
    if (!m) return 1;
    const size_t K = k->K;
    if (!o->method_mc && m->r > 2) {
        fprintf(stderr, "spirelab %s: the means span r = %zu dimensions; quadrature needs r <= 2: use --method mc\n",
                o->cmd, m->r);
        kmix_free(m);
        return 2;
    }
    double w[KMIX_NMAX];
    kopt_model_w(k, w);
    kmix_quad *q = NULL;
    kmix_sample *S = NULL;
    kmix_gd *gd = kmix_gd_alloc();
    kmix_obj_quad_ctx qc;
    sample_ctx sc;
    int rc = 1, st;
    kmix_objective f;
    void *ctx;
    if (o->method_mc) {
        S = kmix_sample_draw(m, a, b, o->n, o->mc, o->seed, &st);
        if (!S) { opt_lib_error(o->cmd, "kmix_sample_draw", st); goto done; }
        sc = (sample_ctx){ m, S };
        f = obj_sample;
        ctx = &sc;
    } else {
        if (!(q = kmix_quad_alloc(0, 0, NULL))) { opt_lib_error(o->cmd, "kmix_quad_alloc", GSL_ENOMEM); goto done; }
        qc = (kmix_obj_quad_ctx){ q, m, a, b };
        f = kmix_obj_quad;
        ctx = &qc;
    }
    if (!gd) { opt_lib_error(o->cmd, "kmix_gd_alloc", GSL_ENOMEM); goto done; }
    if ((st = kmix_gd_set(gd, f, ctx, K, w, lr))) { opt_lib_error(o->cmd, "kmix_gd_set", st); goto done; }
    double loss0 = gd->loss;
    size_t it = 0;
    int converged = 0;
    printf("iter,");
    header_wp(K);
    printf("loss,grad_norm\n");
    for (;;) {
        double gn = 0;
        for (size_t j = 0; j + 1 < K; j++) gn += gd->grad[j] * gd->grad[j];
        printf("%zu,", it);
        row_wp(K, gd->w);
        printf("%.17g,%.17g\n", gd->loss, sqrt(gn));
        if (kmix_gd_test(gd, tol) == GSL_SUCCESS) { converged = 1; break; }
        if (it >= steps) break;
        if ((st = kmix_gd_iterate(gd))) {
            fflush(stdout);
            char buf[64];
            snprintf(buf, sizeof buf, "kmix_gd_iterate (step %zu)", it + 1);
            opt_lib_error(o->cmd, buf, st);
            goto done;
        }
        it++;
    }
    fflush(stdout);
    double p[KMIX_KMAX], dmax = 0;
    kmix_softmax(K, gd->w, p);
    for (size_t j = 0; j < K; j++) dmax = fmax(dmax, fabs(p[j] - k->pi[j]));
    int diverged = !isfinite(gd->loss) || gd->loss > loss0;
    fprintf(stderr, "spirelab gd: %s after %zu iteration%s; max_k |p_k - pi_k| = %.3g\n",
            converged && !diverged ? "converged" : "not converged", it, it == 1 ? "" : "s", dmax);
    if (diverged)
        fprintf(stderr, "spirelab gd: note: the loss grew from %.6g to %.6g: try a smaller --lr (now %g)\n",
                loss0, gd->loss, lr);
    rc = 0;
done:
    kmix_gd_free(gd);
    kmix_sample_free(S);
    kmix_quad_free(q);
    kmix_free(m);
    return rc;
}

int kcmd_fit(const opt_common *o, const kopt *k)
{
    double a, b;
    if (level(o, &a, &b)) return 1;
    kmix *m = kopt_build(k, o);
    if (!m) return 1;
    const size_t K = k->K, n = K - 1;
    if (m->r > 2) {
        fprintf(stderr, "spirelab %s: the means span r = %zu dimensions; the sandwich needs quadrature (r <= 2)\n",
                o->cmd, m->r);
        kmix_free(m);
        return 2;
    }
    kmix_quad *q = kmix_quad_alloc(0, 0, NULL);
    int rc = 1, st;
    kmix_sample *S = kmix_sample_draw(m, a, b, o->n, o->mc, o->seed, &st);
    kmix_fit_result fd, fm;
    kmix_sandwich sw;
    if (!q || !S) { opt_lib_error(o->cmd, q ? "kmix_sample_draw" : "kmix_quad_alloc", q ? st : GSL_ENOMEM); goto done; }
    st = kmix_fit_ddpm(m, S, NULL, KMIX_FIT_TOL, KMIX_FIT_MAXITER, &fd);
    if (st && st != GSL_EMAXITER) { opt_lib_error(o->cmd, "kmix_fit_ddpm", st); goto done; }
    st = kmix_fit_mle(m, S, KMIX_FIT_MLE_TOL, KMIX_FIT_MLE_MAXITER, &fm);
    if (st && st != GSL_EMAXITER) { opt_lib_error(o->cmd, "kmix_fit_mle", st); goto done; }
    if ((st = kmix_sandwich_level(q, m, a, b, &sw))) { opt_lib_error(o->cmd, "kmix_sandwich_level", st); goto done; }
    if (!fd.converged) fprintf(stderr, "spirelab fit: note: kmix_fit_ddpm did not converge (rows ddpm, converged = 0)\n");
    if (!fm.converged) fprintf(stderr, "spirelab fit: note: kmix_fit_mle did not converge (rows mle, converged = 0)\n");
    printf("estimator,k,p_hat,w_hat,iterations,converged,objective,sd_pred\n");
    for (int e = 0; e < 2; e++) {
        const kmix_fit_result *f = e ? &fm : &fd;
        const double *cp = e ? sw.crlb_p : sw.cov_p;
        for (size_t j = 0; j < K; j++)
            printf("%s,%zu,%.17g,%.17g,%zu,%d,%.17g,%.17g\n", e ? "mle" : "ddpm", j + 1, f->p[j],
                   j < n ? f->w[j] : 0.0, f->iterations, f->converged, f->objective,
                   sqrt(cp[j * K + j] / (double)o->n));
    }
    rc = 0;
done:
    kmix_sample_free(S);
    kmix_quad_free(q);
    kmix_free(m);
    return rc;
}
