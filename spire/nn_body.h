/* spire/nn_body.h — body of the layer functions of spire/nn.h, written once
 * for a real type.  Not a public header: included by spire/nn.c (float) and
 * spire/nn_d.c (double), each of which defines first
 *   REAL      the element type
 *   NN(name)  the public name (name, or name##_d)
 *   GEMM      cblas_sgemm or cblas_dgemm
 *   SIMD      _Pragma("omp simd") to vectorise the elementwise loops (float:
 *             expf then comes from glibc's libmvec, ≤ 4 ulp), or nothing
 * <tgmath.h> makes exp/sqrt follow REAL. */
#include <stddef.h>
#include <tgmath.h>
#include <cblas.h>
#undef I   /* <complex.h>'s imaginary unit; I is a size here */

void NN(spire_dense_forward)(REAL *out, const REAL *in, const REAL *W, const REAL *b,
                             size_t B, size_t I, size_t O)
{
    if (b) {
        for (size_t r = 0; r < B; r++)
            for (size_t o = 0; o < O; o++) out[r * O + o] = b[o];
    }
    GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)O, (int)I,
         1, in, (int)I, W, (int)I, b ? 1 : 0, out, (int)O);
}

void NN(spire_dense_backward)(REAL *din, REAL *dW, REAL *db, const REAL *dout,
                              const REAL *in, const REAL *W, size_t B, size_t I, size_t O)
{
    if (din)   /* (B, I) += (B, O) · (O, I) */
        GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)I, (int)O,
             1, dout, (int)O, W, (int)I, 1, din, (int)I);
    if (dW)    /* (O, I) += (B, O)ᵀ · (B, I) */
        GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, (int)O, (int)I, (int)B,
             1, dout, (int)O, in, (int)I, 1, dW, (int)I);
    if (db)
        for (size_t r = 0; r < B; r++)
            for (size_t o = 0; o < O; o++) db[o] += dout[r * O + o];
}

void NN(spire_silu_forward)(REAL *restrict out, const REAL *restrict in, size_t n)
{
    SIMD
    for (size_t i = 0; i < n; i++) {
        REAL x = in[i];
        out[i] = x / (1 + exp(-x));
    }
}

void NN(spire_silu_backward)(REAL *restrict din, const REAL *restrict dout,
                             const REAL *restrict in, size_t n)
{
    SIMD
    for (size_t i = 0; i < n; i++) {
        REAL x = in[i], s = 1 / (1 + exp(-x));
        din[i] += dout[i] * s * (1 + x * (1 - s));
    }
}

void NN(spire_temb_forward)(REAL *out, const REAL *t, size_t B, size_t E)
{
    size_t half = E / 2;
    for (size_t j = 0; j < half; j++) {
        double f = exp(-log(10000.0) * (double)j / (double)half);
        for (size_t r = 0; r < B; r++) {
            double tr = (double)t[r];
            out[r * E + j] = (REAL)sin(tr * f);
            out[r * E + half + j] = (REAL)cos(tr * f);
        }
    }
}

void NN(spire_temb_backward)(REAL *dt, const REAL *dout, const REAL *t, size_t B, size_t E)
{
    size_t half = E / 2;
    for (size_t r = 0; r < B; r++) {
        double tr = (double)t[r], acc = 0;
        for (size_t j = 0; j < half; j++) {
            double f = exp(-log(10000.0) * (double)j / (double)half);
            acc += (double)dout[r * E + j] * f * cos(tr * f)
                 - (double)dout[r * E + half + j] * f * sin(tr * f);
        }
        dt[r] += (REAL)acc;
    }
}

double NN(spire_mse_forward)(const REAL *pred, const REAL *target, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)pred[i] - (double)target[i];
        s += d * d;
    }
    return s / (double)n;
}

void NN(spire_mse_backward)(REAL *dpred, const REAL *pred, const REAL *target, size_t n)
{
    REAL k = (REAL)(2.0 / (double)n);
    for (size_t i = 0; i < n; i++) dpred[i] += k * (pred[i] - target[i]);
}

void NN(spire_adamw_update)(REAL *restrict param, const REAL *restrict grad, REAL *restrict m,
                            REAL *restrict v, size_t n,
                            double lr, double beta1, double beta2, double eps, double wd,
                            size_t step)
{
    /* The scalar factors in double, as PyTorch computes them in Python. */
    double bc1 = 1.0 - pow(beta1, (double)step), bc2 = 1.0 - pow(beta2, (double)step);
    REAL decay = (REAL)(1.0 - lr * wd), step_size = (REAL)(lr / bc1);
    REAL bc2_sqrt = (REAL)sqrt(bc2);
    REAL b1 = (REAL)beta1, b2 = (REAL)beta2, ep = (REAL)eps;
    SIMD
    for (size_t i = 0; i < n; i++) {
        REAL g = grad[i];
        param[i] *= decay;
        m[i] += (1 - b1) * (g - m[i]);
        v[i] = b2 * v[i] + (1 - b2) * g * g;
        REAL denom = sqrt(v[i]) / bc2_sqrt + ep;
        param[i] -= step_size * m[i] / denom;
    }
}
