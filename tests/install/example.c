/* tests/install/example.c — a program OUTSIDE the source tree, built by
 * tests/install_check.sh against an installed spirelab only:
 *     cc example.c $(pkg-config --cflags --libs spirelab)
 * It touches each library the .pc file must bring in: LAPACKE (gmm_gauss:
 * Cholesky), GSL (quadrature, rng), OpenBLAS (the score network's GEMM),
 * zlib (the checkpoint's CRC) and the atomic file writer.  Prints:
 *   gauss_logpdf V        log N(x; 0, [[2,1],[1,2]]) at x = (1,1)
 *   excess_at_optimum E R the excess loss at w = θ* (0 in theory) and its error
 *   checkpoint OK|FAIL    a model saved and loaded back bit for bit
 * and exits 0 only if every call succeeded. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/spl.h"
#include "ddpm/ddpm.h"
#include "gmm/gmm.h"
#include "spire/ckpt.h"
#include "spire/model.h"

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    spl_init();
    int bad = 0;

    gmm_gauss *G = gmm_gauss_alloc(2, NULL);
    double mean[2] = { 0, 0 }, cov[4] = { 2, 1, 1, 2 }, x[2] = { 1, 1 };
    bad |= !G || gmm_gauss_set(G, mean, cov);
    printf("gauss_logpdf %.17g\n", G ? gmm_gauss_logpdf(G, x) : NAN);
    gmm_gauss_free(G);

    ddpm_quad *q = ddpm_quad_alloc();
    gmm2 *g = gmm2_alloc(1, NULL);
    ddpm_loss_result r;
    double pi = 0.3, a = 0.6, b = 0.8;
    bad |= !q || !g || gmm2_set(g, pi, 2.0, 0.0) || ddpm_loss_level(q, g, a, b, spl_logit(pi), &r);
    printf("excess_at_optimum %.3g %.3g\n", r.excess.val, r.excess.err);
    ddpm_quad_free(q);
    gmm2_free(g);

    spire_config cfg = { .D = 2, .E = 8, .H = 16, .L = 2, .embed_at = SPIRE_EMBED_TIME, .C = 1 };
    spire_model *m = spire_model_alloc(&cfg, NULL);
    ddpm_schedule *s = ddpm_schedule_alloc(DDPM_LINEAR, 100, NULL);
    char path[4096], err[512];
    snprintf(path, sizeof path, "%s/example.ckpt", dir);
    spire_ckpt ck = { 0 };
    float xs[4] = { 0.1f, -0.2f, 0.3f, 0.4f }, ts[2] = { 10, 50 }, eps[4] = { 1, 0, 0, -1 };
    int same = m && s && !spire_model_init(m, 7) && !spire_model_forward(m, xs, ts, NULL, eps, 2) &&
               !spire_ckpt_save(path, m, s, NULL, NULL, err, sizeof err) &&
               !spire_ckpt_load(path, &ck, err, sizeof err) &&
               !memcmp(ck.model->params, m->params, m->n_params * sizeof(float)) && isfinite(m->loss);
    printf("checkpoint %s\n", same ? "OK" : err);
    bad |= !same;
    spire_ckpt_clear(&ck);
    spire_model_free(m);
    ddpm_schedule_free(s);
    return bad;
}
