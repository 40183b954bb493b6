/* spire/model.c — the score network of spire/model.h in float (body:
 * spire/model_body.inc), and the configuration helpers. */
#include <string.h>
#include <gsl/gsl_errno.h>
#include "common/spl.h"
#include "spire/model.h"

int spire_config_check(const spire_config *c)
{
    if (!c) return GSL_EINVAL;
    if (c->embed_at != SPIRE_EMBED_TIME && c->embed_at != SPIRE_EMBED_HIDDEN) return GSL_EINVAL;
    if (c->D < 1 || c->D > SPIRE_DIM_MAX) return GSL_EDOM;
    if (c->E < 2 || c->E > SPIRE_DIM_MAX || c->E % 2) return GSL_EDOM;
    if (c->H < 1 || c->H > SPIRE_DIM_MAX) return GSL_EDOM;
    if (c->L < 1 || c->L > SPIRE_LAYERS_MAX) return GSL_EDOM;
    if (c->C < 1 || c->C > SPIRE_DIM_MAX) return GSL_EDOM;
    return GSL_SUCCESS;
}

size_t spire_config_n_params(const spire_config *c)
{
    if (!c) return 0;
    return c->H * (c->D + c->E) + c->H + (c->L - 1) * (c->H * c->H + c->H) + c->D * c->H + c->D;
}

size_t spire_config_embed_width(const spire_config *c)
{
    if (!c) return 0;
    return c->embed_at == SPIRE_EMBED_HIDDEN ? c->H : c->E;
}

int spire_embed_at_parse(const char *name, spire_embed_at *at)
{
    if (!name || !at) return GSL_EINVAL;
    if (!strcmp(name, "time")) { *at = SPIRE_EMBED_TIME; return GSL_SUCCESS; }
    if (!strcmp(name, "hidden")) { *at = SPIRE_EMBED_HIDDEN; return GSL_SUCCESS; }
    return GSL_EINVAL;
}

const char *spire_embed_at_name(spire_embed_at at)
{
    return at == SPIRE_EMBED_HIDDEN ? "hidden" : at == SPIRE_EMBED_TIME ? "time" : "?";
}

#define REAL float
#define NN(name) name
#define MODEL spire_model
#define PARAMS spire_params
#include "spire/model_body.inc"
