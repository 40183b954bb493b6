/* spire/nn_d.c — the layers of spire/nn.h in double (suffix _d), for the
 * finite-difference tests (body: spire/nn_body.inc). */
#include "spire/nn.h"
#define REAL double
#define NN(name) name##_d
#define GEMM cblas_dgemm
#define SIMD   /* scalar libm exp: full double accuracy for the finite differences */
#define CLONES
#include "spire/nn_body.inc"
