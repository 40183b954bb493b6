/* paper_figs/figs_internal.h — helpers shared by the figure recipes
 * (figs.c, figs_sim.c); not installed, not for other modules. */
#ifndef PF_INTERNAL_H
#define PF_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "paper_figs/figs.h"
#include "plots/plots.h"

/* Start a result: zeroed, with its id, slug, title, claims and stem "ID-slug". */
void pf_result_start(pf_result *r, const char *id, const char *slug, const char *title, const char *claims);
/* A size by mode: full, or --quick. */
size_t pf_pick(const pf_opts *o, size_t full, size_t quick);
/* Seed of replicate r of cell i of figure k: spl_stream_seed(seed, 0xF000·k + i, r). */
uint64_t pf_stream(const pf_opts *o, unsigned k, uint64_t i, uint64_t r);
/* Append to the figure's caption (printf style; silently cut at its size). */
void pf_cap(pf_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Write the figure (data, script, images) unless status is an error; free it. */
int pf_finish(const pf_opts *o, pf_result *r, plots_fig *f, int status);
/* The head of a figure's body: a multiplot of `cols` panels with a title, or a
 * single plot's title. */
void pf_head(plots_fig *f, const pf_result *r, int cols, const char *sub);

#endif
