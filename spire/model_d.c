/* spire/model_d.c — the score network of spire/model.h in double (suffix
 * _d), for the finite-difference tests (body: spire/model_body.inc). */
#include "spire/model.h"
#define REAL double
#define NN(name) name##_d
#define MODEL spire_model_d
#define PARAMS spire_params_d
#include "spire/model_body.inc"
