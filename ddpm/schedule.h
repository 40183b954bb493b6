/* ddpm/schedule.h — variance-preserving noise schedules (THEORY.md §1).
 *
 * x_t = a·x0 + b·ε with a² + b² = 1.  A discrete schedule holds, for steps
 * i = 1..T (stored at index i-1): β_i, ᾱ_i = Π_{j≤i}(1−β_j), a_i = √ᾱ_i and
 * b_i = √(1−ᾱ_i).  ᾱ is accumulated as exp(Σ log1p(−β_j)) and b as
 * √(−expm1(Σ log1p(−β_j))) so that b keeps full relative accuracy where ᾱ ≈ 1.
 *
 *   linear: β_i = 1e-4 + (0.02 − 1e-4)(i−1)/(T−1)                (Ho et al.)
 *   cosine: f(i) = cos²(((i/T)+s)/(1+s)·π/2), s = 0.008,
 *           β_i = min(1 − f(i)/f(i−1), 0.999)                     (Nichol & Dhariwal)
 *   ou:     continuous, a = e^{−τ}, b = √(1−e^{−2τ})  (ddpm_ou_level)
 *
 * Typical use:  ddpm_schedule *s = ddpm_schedule_alloc(DDPM_LINEAR, 1000, NULL);
 *               ... s->a[i-1], s->b[i-1] ...; ddpm_schedule_free(s);
 */
#ifndef DDPM_SCHEDULE_H
#define DDPM_SCHEDULE_H

#include <stddef.h>

struct ddpm_wplan;

typedef enum { DDPM_LINEAR = 0, DDPM_COSINE = 1, DDPM_OU = 2 } ddpm_schedule_kind;

typedef struct {
    ddpm_schedule_kind kind;
    size_t T;
    double *beta;      /* (T) β_i */
    double *alphabar;  /* (T) ᾱ_i */
    double *a;         /* (T) √ᾱ_i */
    double *b;         /* (T) √(1−ᾱ_i) */
    struct ddpm_wplan *plan;   /* the fast sum over levels for L_simple (ddpm/weighting.h), built
                                * with the schedule, read-only: ddpm_loss_avg uses it */
} ddpm_schedule;

/* Allocate and fill a discrete schedule (kind LINEAR or COSINE, T ≥ 2).
 * The caller owns it.  NULL on failure with *status (status may be NULL):
 * GSL_EINVAL for another kind (OU is continuous), GSL_EDOM for T < 2,
 * GSL_ENOMEM. */
ddpm_schedule *ddpm_schedule_alloc(ddpm_schedule_kind kind, size_t T, int *status);
void ddpm_schedule_free(ddpm_schedule *s);   /* NULL is fine */

/* Noise level of the continuous OU process at time τ > 0.
 * GSL_EDOM if τ ≤ 0 or not finite; GSL_EINVAL if a or b is NULL. */
int ddpm_ou_level(double tau, double *a, double *b);

/* b = √(1−a²) computed as √((1−a)(1+a)) (no cancellation as a → 1).
 * GSL_EDOM unless 0 < a < 1; GSL_EINVAL if b is NULL. */
double ddpm_b_of_a(double a);   /* the same, unchecked, for a ∈ [0, 1] (NaN outside [−1, 1]) */
int ddpm_level_from_alpha(double a, double *b);

/* "linear", "cosine", "ou" → kind; GSL_EINVAL for anything else (or NULL). */
int ddpm_schedule_parse(const char *name, ddpm_schedule_kind *kind);
const char *ddpm_schedule_name(ddpm_schedule_kind kind);

#endif
