#include "ddpm/schedule.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include "common/spl.h"
#include "ddpm/weighting.h"

static double cosine_f(size_t i, size_t T)
{
    const double s = 0.008;
    double c = cos((((double)i / (double)T) + s) / (1.0 + s) * M_PI_2);
    return c * c;
}

ddpm_schedule *ddpm_schedule_alloc(ddpm_schedule_kind kind, size_t T, int *status)
{
    if (kind != DDPM_LINEAR && kind != DDPM_COSINE) return spl_fail(status, GSL_EINVAL);
    if (T < 2) return spl_fail(status, GSL_EDOM);
    ddpm_schedule *s = calloc(1, sizeof *s);
    if (!s) return spl_fail(status, GSL_ENOMEM);
    s->kind = kind;
    s->T = T;
    s->beta = malloc(4 * T * sizeof(double));
    if (!s->beta) { free(s); return spl_fail(status, GSL_ENOMEM); }
    s->alphabar = s->beta + T;
    s->a = s->beta + 2 * T;
    s->b = s->beta + 3 * T;
    double logab = 0.0;   /* Σ log1p(−β_j) = log ᾱ_i */
    for (size_t i = 1; i <= T; i++) {
        double beta;
        if (kind == DDPM_LINEAR)
            beta = 1e-4 + (0.02 - 1e-4) * (double)(i - 1) / (double)(T - 1);
        else
            beta = fmin(1.0 - cosine_f(i, T) / cosine_f(i - 1, T), 0.999);
        logab += log1p(-beta);
        s->beta[i - 1] = beta;
        s->alphabar[i - 1] = exp(logab);
        s->a[i - 1] = exp(0.5 * logab);
        s->b[i - 1] = sqrt(-expm1(logab));
    }
    int st;
    s->plan = ddpm_wplan_alloc(s, &ddpm_weighting_named[0], DDPM_WSUM_FAST, 0, &st);
    if (!s->plan) { ddpm_schedule_free(s); return spl_fail(status, st); }
    spl_status(status, GSL_SUCCESS);
    return s;
}

void ddpm_schedule_free(ddpm_schedule *s)
{
    if (!s) return;
    ddpm_wplan_free(s->plan);
    free(s->beta);
    free(s);
}

int ddpm_ou_level(double tau, double *a, double *b)
{
    if (!a || !b) return GSL_EINVAL;
    if (!(tau > 0) || !isfinite(tau)) return GSL_EDOM;
    *a = exp(-tau);
    *b = sqrt(-expm1(-2.0 * tau));
    return GSL_SUCCESS;
}

double ddpm_b_of_a(double a) { return sqrt((1.0 - a) * (1.0 + a)); }

int ddpm_level_from_alpha(double a, double *b)
{
    if (!b) return GSL_EINVAL;
    if (!(a > 0 && a < 1)) return GSL_EDOM;
    *b = ddpm_b_of_a(a);
    return GSL_SUCCESS;
}

static const char *names[] = { "linear", "cosine", "ou" };

int ddpm_schedule_parse(const char *name, ddpm_schedule_kind *kind)
{
    if (!kind) return GSL_EINVAL;
    for (int k = 0; k < 3; k++)
        if (name && strcmp(name, names[k]) == 0) { *kind = (ddpm_schedule_kind)k; return GSL_SUCCESS; }
    return GSL_EINVAL;
}

const char *ddpm_schedule_name(ddpm_schedule_kind kind)
{
    return (kind >= DDPM_LINEAR && kind <= DDPM_OU) ? names[kind] : "?";
}
