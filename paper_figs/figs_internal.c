#include "paper_figs/figs_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include "common/spl.h"

size_t pf_pick(const pf_opts *o, size_t full, size_t quick) { return o->quick ? quick : full; }

uint64_t pf_stream(const pf_opts *o, unsigned k, uint64_t i, uint64_t r)
{
    return spl_stream_seed(o->seed, 0xF000u * k + i, r);
}

void pf_cap(pf_result *r, const char *fmt, ...)
{
    size_t len = strlen(r->caption);
    if (len + 1 >= sizeof r->caption) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->caption + len, sizeof r->caption - len, fmt, ap);
    va_end(ap);
}

int pf_finish(const pf_opts *o, pf_result *r, plots_fig *f, int status)
{
    if (status == GSL_SUCCESS) {
        plots_fig_comment(f, "%s %s", r->id, r->title);
        status = plots_fig_write(f, o->caps, o->outdir, r->stem, o->fmts, o->nfmts, &o->page, &r->rendered);
    }
    plots_fig_free(f);
    return status;
}

void pf_head(plots_fig *f, const pf_result *r, int cols, const char *sub)
{
    if (cols > 1)
        plots_fig_body(f, "set multiplot layout 1,%d title '%s  %s' font sprintf(',%%g', FONTSIZE + 2)\n", cols, r->id, sub);
    else
        plots_fig_body(f, "set title '%s  %s' font sprintf(',%%g', FONTSIZE + 2)\n", r->id, sub);
}

void pf_result_start(pf_result *r, const char *id, const char *slug, const char *title, const char *claims)
{
    memset(r, 0, sizeof *r);
    r->id = id;
    r->slug = slug;
    r->title = title;
    r->claims = claims;
    snprintf(r->stem, sizeof r->stem, "%s-%s", id, slug);
}
