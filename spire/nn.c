/* spire/nn.c — the layers of spire/nn.h in float (body: spire/nn_body.h). */
#include "spire/nn.h"
#define REAL float
#define NN(name) name
#define GEMM cblas_sgemm
#include "spire/nn_body.h"
