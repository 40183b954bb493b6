/* cli/cmd_figs.c — spirelab figs: regenerate the figures (paper_figs/) with
 * their data, gnuplot scripts, index.html and REPORT.md, and run the claims
 * behind them.  Parsing, validation, progress; the work is in paper_figs/. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <omp.h>
#include <gsl/gsl_errno.h>
#include "cli/cli.h"
#include "cli/opts.h"
#include "paper_figs/figs.h"
#include "paper_figs/figs_fed.h"
#include "plots/plots.h"
#include "proofs_check/claims.h"

#define FIGS_OUT_DEFAULT "paper_figs/out"

static void usage(FILE *f)
{
    fprintf(f,
"usage: spirelab figs [--quick] [--out DIR] [--only F1,F4] [--formats png,svg] [--seed S]\n"
"                     [--no-check] [--width W] [--height H]\n"
"\n"
"Regenerates the lab's figures into DIR (default %s): for each figure\n"
"F<k>-<slug>.png and .svg (or .pdf), its data .csv and a gnuplot script .gp\n"
"that re-renders it from the data; then index.html and REPORT.md, with a\n"
"caption per figure and the table of the claims behind them (spirelab check;\n"
"without --only, every claim).  The federated figures (F12-F17, F21) run each\n"
"preset's experiment (gmm2, gmmK, digits; F17 digits only) once, write its\n"
"tables into DIR/spire_<preset>/ and add its verdicts E1-E5 to the pages.\n"
"Without gnuplot (5.4+) the images are skipped with one line on stderr; the\n"
"data, scripts and pages are still written and the exit status is 0.\n"
"One progress line per figure and per claim on stderr (and the experiments'\n"
"progress); the paths of the\n"
"files written on stdout.  Exit status 0 if every figure was made and every\n"
"claim run passed, 1 otherwise, 2 on bad input (nothing written).\n"
"\n"
"figures:\n", FIGS_OUT_DEFAULT);
    for (size_t k = 0; k < pf_nfigures; k++)
        fprintf(f, "  %-3s %-12s %s (claims %s)\n", pf_figures[k].id, pf_figures[k].slug, pf_figures[k].title, pf_figures[k].claims);
    fprintf(f,
"\n"
"options:\n"
"  --quick          reduced grids and replicates (under 2 minutes; claims in quick mode)\n"
"  --out DIR        output directory, created if missing (default %s)\n"
"  --only LIST      comma list of figure ids from F1..F%zu (default: all)\n"
"  --formats LIST   image formats, comma list of png, svg, pdf (default png,svg)\n"
"  --seed S         seed of every random experiment (default 1)\n"
"  --no-check       do not run the claims (the pages then say \"not run\")\n"
"  --width W        image width in pixels, integer in [400, 4000] (default 1000)\n"
"  --height H       image height in pixels, integer in [300, 4000] (default 700)\n"
"  --help           this text\n", FIGS_OUT_DEFAULT, pf_nfigures);
}

/* Mark the figures named in a comma list; -1 on an unknown or empty id. */
static int select_figs(const char *list, int *sel)
{
    const char *p = list;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p), k = 0;
        while (k < pf_nfigures && !(strlen(pf_figures[k].id) == len && !strncmp(p, pf_figures[k].id, len))) k++;
        if (len == 0 || k == pf_nfigures) return -1;
        sel[k] = 1;
        if (!end) return 0;
        p = end + 1;
    }
}

/* png,svg,pdf list: each at most once. */
static int parse_formats(const char *list, plots_format *fmts, size_t *n)
{
    static const char *names[] = { "png", "svg", "pdf" };
    *n = 0;
    const char *p = list;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p), k = 0;
        while (k < 3 && !(strlen(names[k]) == len && !strncmp(p, names[k], len))) k++;
        if (len == 0 || k == 3) return -1;
        plots_format fm = (plots_format)k;   /* PLOTS_PNG, PLOTS_SVG, PLOTS_PDF in that order */
        for (size_t j = 0; j < *n; j++)
            if (fmts[j] == fm) return -1;
        fmts[(*n)++] = fm;
        if (!end) return 0;
        p = end + 1;
    }
}

/* Is id an item of the comma list? */
static int list_has(const char *list, const char *id)
{
    size_t L = strlen(id);
    for (const char *p = list; p && *p; ) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == L && !strncmp(p, id, L)) return 1;
        p = e ? e + 1 : NULL;
    }
    return 0;
}

/* mkdir -p; 0 or -1 with errno. */
static int mkdir_p(const char *path)
{
    char buf[4096];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf) { errno = ENAMETOOLONG; return -1; }
    memcpy(buf, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
        buf[i] = c;
    }
    struct stat sb;
    if (stat(path, &sb) != 0) return -1;
    if (!S_ISDIR(sb.st_mode)) { errno = ENOTDIR; return -1; }
    return 0;
}

static void progress_line(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "spirelab figs: %s\n", line);
}

int cmd_figs(int argc, char **argv)
{
    enum { O_QUICK = 1000, O_OUT, O_ONLY, O_FORMATS, O_SEED, O_NOCHECK, O_WIDTH, O_HEIGHT, O_HELP };
    static const struct option longopts[] = {
        { "quick", no_argument, NULL, O_QUICK },
        { "out", required_argument, NULL, O_OUT },
        { "only", required_argument, NULL, O_ONLY },
        { "formats", required_argument, NULL, O_FORMATS },
        { "seed", required_argument, NULL, O_SEED },
        { "no-check", no_argument, NULL, O_NOCHECK },
        { "width", required_argument, NULL, O_WIDTH },
        { "height", required_argument, NULL, O_HEIGHT },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 }
    };
    pf_opts o;
    pf_opts_default(&o);
    o.outdir = FIGS_OUT_DEFAULT;
    int sel[PF_FIGURES_MAX] = {0}, any = 0, check = 1, c;
    size_t w = 1000, h = 700;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (c) {
        case O_QUICK: o.quick = 1; break;
        case O_OUT:
            if (!*optarg || strpbrk(optarg, "'\"\\\n\r")) {
                fprintf(stderr, "spirelab figs: --out must be a directory name without quotes, backslashes or newlines, got '%s'\n", optarg);
                return 2;
            }
            o.outdir = optarg;
            break;
        case O_ONLY:
            if (select_figs(optarg, sel)) {
                fprintf(stderr, "spirelab figs: --only must be a comma list of figure ids F1..F%zu, got '%s'\n", pf_nfigures, optarg);
                return 2;
            }
            any = 1;
            break;
        case O_FORMATS:
            if (parse_formats(optarg, o.fmts, &o.nfmts)) {
                fprintf(stderr, "spirelab figs: --formats must be a comma list of png, svg, pdf (each once), got '%s'\n", optarg);
                return 2;
            }
            break;
        case O_SEED: if (opt_u64("figs", "--seed", optarg, &o.seed)) return 2; break;
        case O_NOCHECK: check = 0; break;
        case O_WIDTH: if (opt_size("figs", "--width", optarg, 400, 4000, &w)) return 2; break;
        case O_HEIGHT: if (opt_size("figs", "--height", optarg, 300, 4000, &h)) return 2; break;
        case O_HELP: usage(stdout); return 0;
        default: opt_getopt_error("figs", c, argv, longopts); return 2;
        }
    }
    if (opt_no_positional("figs", argc, argv)) return 2;
    o.progress = progress_line;
    o.page.width = (int)w;
    o.page.height = (int)h;

    /* gnuplot: once, before anything is written */
    plots_caps caps;
    int pst = plots_probe(NULL, &caps);
    if (pst) { opt_lib_error("figs", "plots_probe", pst); return 1; }
    o.caps = &caps;
    if (!caps.found) {
        if (caps.ran)
            fprintf(stderr, "spirelab figs: %s is older than %d.%d: images skipped; writing the data (.csv), gnuplot scripts (.gp) and pages only\n",
                    caps.version, PLOTS_MIN_MAJOR, PLOTS_MIN_MINOR);
        else
            fprintf(stderr, "spirelab figs: gnuplot not found (gnuplot -V failed): images skipped; writing the data (.csv), gnuplot scripts (.gp) and pages only\n");
    } else {
        for (size_t k = 0; k < o.nfmts; k++) {
            char term[512];
            int fb = 0;
            if (plots_terminal(&caps, o.fmts[k], &o.page, term, sizeof term, &fb) != GSL_SUCCESS) {
                fprintf(stderr, "spirelab figs: %s has no terminal for %s (need %s): choose other --formats\n", caps.version,
                        plots_format_ext(o.fmts[k]), o.fmts[k] == PLOTS_PDF ? "pdfcairo" : o.fmts[k] == PLOTS_SVG ? "svg" : "pngcairo or png");
                return 1;
            }
            if (fb) fprintf(stderr, "spirelab figs: note: gnuplot has no pngcairo terminal; PNG through the libgd png terminal\n");
        }
    }
    if (mkdir_p(o.outdir) != 0) {
        fprintf(stderr, "spirelab figs: --out: cannot create directory '%s': %s\n", o.outdir, strerror(errno));
        return 1;
    }

    double t0 = omp_get_wtime();
    pf_result res[PF_FIGURES_MAX];
    size_t nres = 0;
    int rc = 0;
    /* bit k: claim k is behind a selected figure; the full set runs every claim,
     * so that its pages carry the whole `spirelab check` table */
    unsigned want_claims = any ? 0u : (1u << pc_nclaims) - 1u;
    for (size_t k = 0; k < pf_nfigures; k++) {
        if (any && !sel[k]) continue;
        pf_result *r = &res[nres];
        int st = pf_figure_run(&pf_figures[k], &o, r);
        for (size_t j = 0; j < pc_nclaims; j++)
            if (list_has(pf_figures[k].claims, pc_claims[j].id)) want_claims |= 1u << j;
        if (st) {
            fprintf(stderr, "spirelab figs: %s %s failed: %s%s\n", r->id, r->slug, gsl_strerror(st),
                    st == GSL_EFAILED ? " (gnuplot's messages, if any, are above)" : "");
            rc = 1;
            continue;   /* not in the index */
        }
        char made[64] = "";   /* at most 4 extensions of ≤ 4 letters */
        for (size_t f = 0; f < o.nfmts; f++)
            if (r->rendered & (1u << o.fmts[f])) { strcat(made, plots_format_ext(o.fmts[f])); strcat(made, " "); }
        fprintf(stderr, "spirelab figs: %s %-12s %6.1f s  %scsv gp\n", r->id, r->slug, r->seconds, made);
        for (size_t f = 0; f < o.nfmts; f++)
            if (r->rendered & (1u << o.fmts[f])) printf("%s/%s.%s\n", o.outdir, r->stem, plots_format_ext(o.fmts[f]));
        printf("%s/%s.csv\n%s/%s.gp\n", o.outdir, r->stem, o.outdir, r->stem);
        fflush(stdout);
        nres++;
    }

    pc_result claims[PC_CLAIMS_MAX];
    size_t nclaims = 0, npass = 0;
    if (check) {
        pc_opts po;
        pc_opts_default(&po);
        po.quick = o.quick;
        po.seed = o.seed;
        for (size_t j = 0; j < pc_nclaims; j++) {
            if (!(want_claims & (1u << j))) continue;
            pc_result *cr = &claims[nclaims];
            memset(cr, 0, sizeof *cr);
            int st = pc_claims[j].run(&po, cr);
            if (st) {
                fprintf(stderr, "spirelab figs: claim %s could not run: %s\n", pc_claims[j].id, gsl_strerror(st));
                cr->id = pc_claims[j].id;
                snprintf(cr->claim, sizeof cr->claim, "could not run: %s", gsl_strerror(st));
                cr->measured = cr->threshold = 0.0 / 0.0;
                cr->pass = 0;
            }
            fprintf(stderr, "spirelab figs: claim %s %s %6.1f s\n", cr->id, cr->pass ? "PASS" : "FAIL", cr->seconds);
            npass += cr->pass;
            if (!cr->pass) rc = 1;
            nclaims++;
        }
    }
    double total = omp_get_wtime() - t0;
    pf_erow erows[3 * PF_FED_E];   /* the verdicts of the experiments the federated figures ran */
    size_t nerows = 0;
    pf_fed_erows(&o, erows, sizeof erows / sizeof erows[0], &nerows);
    int st = pf_index_write(&o, res, nres, claims, nclaims, erows, nerows, total);
    pf_fed_cache_free();
    if (st) {
        fprintf(stderr, "spirelab figs: cannot write index.html / REPORT.md in '%s': %s\n", o.outdir, gsl_strerror(st));
        return 1;
    }
    printf("%s/index.html\n%s/REPORT.md\n", o.outdir, o.outdir);
    if (check)
        fprintf(stderr, "spirelab figs: %zu figure%s, claims %zu/%zu PASS, %.0f s; open %s/index.html\n", nres, nres == 1 ? "" : "s",
                npass, nclaims, total, o.outdir);
    else
        fprintf(stderr, "spirelab figs: %zu figure%s, claims not run, %.0f s; open %s/index.html\n", nres, nres == 1 ? "" : "s",
                total, o.outdir);
    return rc;
}
