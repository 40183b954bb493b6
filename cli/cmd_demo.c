/* cli/cmd_demo.c — spirelab demo: animations for lectures (paper_figs/demo.c),
 * written as an animated GIF (--gif FILE) and/or played in a live gnuplot
 * window (--live).  Parsing, validation, progress; the work is in paper_figs/. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <omp.h>
#include <gsl/gsl_errno.h>
#include "cli/cli.h"
#include "cli/opts.h"
#include "paper_figs/figs.h"
#include "plots/plots.h"

static void usage(FILE *f, const pf_demo_opts *d)
{
    fprintf(f,
"usage: spirelab demo gd|diffusion|dimension|simplex (--gif FILE | --live) [options]\n"
"\n"
"Lecture animations of the mixing-weight theory:\n"
"  gd         a ball rolling down the excess-loss curve as gradient descent runs,\n"
"             beside p_k against k (THEORY.md s5)\n"
"  diffusion  a 2-D two-component mixture: forward noising of a cloud of points,\n"
"             then reverse DDPM sampling with the exact score (THEORY.md s2) for\n"
"             the true mixing weight, beside the same sampler with a wrong weight\n"
"  dimension  histograms of the DDPM estimate p_hat for d = 1, 100, 10^4 filling\n"
"             in as replicates arrive: the same shape in every dimension (s6)\n"
"  simplex    K = 3 components: gradient descent on the logits from the three\n"
"             corners of the simplex over the ternary map of the excess loss\n"
"             (s10; pi = (0.2, 0.3, 0.5), means on a circle; uses --alpha, --lr,\n"
"             --steps = frames, each ceil(600/steps) GD steps)\n"
"--gif FILE writes the animation to FILE (which must end in .gif) and, beside\n"
"it, its data (.csv) and gnuplot script (.gp); without gnuplot only those two\n"
"are written (one line on stderr, exit status 0).  --live plays it in a gnuplot\n"
"window (qt, wxt or x11; needs a display) until the window is closed.\n"
"\n"
"output:\n"
"  --gif FILE           animated GIF to write (a name ending in .gif in an existing directory)\n"
"  --live               play in a live window\n"
"  --speed FPS          frames per second, number in (0, 100] (default 10)\n"
"  --width W            pixels, integer in [300, 4000] (default 1000)\n"
"  --height H           pixels, integer in [200, 4000] (default 700)\n"
"model (all demos):\n"
"  --pi P               true mixing weight, number in (0, 1) (default %g)\n"
"  --sep D              separation |mu1 - mu2|, number in (0, 20] (default 2; diffusion 4)\n"
"  --alpha A            noise level a of gd and dimension, number in (0, 1) (default %g)\n"
"  --seed S             random seed (default %llu)\n"
"gd:\n"
"  --lr ETA             step size, number in (0, inf) (default 0.3/l''(theta*))\n"
"  --init P0            starting weight, number in (0, 1) (default %g)\n"
"  --steps K            iterations, integer in [1, 2000] (default %zu)\n"
"diffusion:\n"
"  --wrong-pi P         the model's wrong mixing weight, number in (0, 1) (default %g)\n"
"  --points N           points per cloud, integer in [10, 5000] (default %zu)\n"
"dimension:\n"
"  --reps R             replicates per d, integer in [20, 100000] (default %zu)\n"
"  --n N                samples per replicate, integer in [10, 100000] (default %zu)\n"
"  --help               this text\n",
            d->pi, d->alpha, (unsigned long long)d->seed, d->init, d->steps, d->wrong_pi, d->points, d->reps, d->n);
}

/* --gif FILE: DIR/STEM.gif with an existing DIR and a stem plots accepts. */
static int split_gif(const char *path, char *dir, size_t dlen, char *stem, size_t slen)
{
    size_t L = strlen(path);
    if (L < 5 || strcmp(path + L - 4, ".gif") || strpbrk(path, "'\"\\\n\r")) return -1;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t bl = strlen(base) - 4;
    if (bl == 0 || bl >= slen || base[0] == '.') return -1;
    for (size_t i = 0; i < bl; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", base[i])) return -1;
    memcpy(stem, base, bl);
    stem[bl] = '\0';
    if (!slash) snprintf(dir, dlen, ".");
    else if (slash == path) snprintf(dir, dlen, "/");
    else {
        size_t n = (size_t)(slash - path);
        if (n >= dlen) return -1;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    return 0;
}

int cmd_demo(int argc, char **argv)
{
    enum { O_GIF = 1000, O_LIVE, O_SPEED, O_WIDTH, O_HEIGHT, O_PI, O_SEP, O_ALPHA, O_SEED, O_LR, O_INIT, O_STEPS,
           O_WRONG, O_POINTS, O_REPS, O_N, O_HELP };
    static const struct option longopts[] = {
        { "gif", required_argument, NULL, O_GIF }, { "live", no_argument, NULL, O_LIVE },
        { "speed", required_argument, NULL, O_SPEED }, { "width", required_argument, NULL, O_WIDTH },
        { "height", required_argument, NULL, O_HEIGHT }, { "pi", required_argument, NULL, O_PI },
        { "sep", required_argument, NULL, O_SEP }, { "alpha", required_argument, NULL, O_ALPHA },
        { "seed", required_argument, NULL, O_SEED }, { "lr", required_argument, NULL, O_LR },
        { "init", required_argument, NULL, O_INIT }, { "steps", required_argument, NULL, O_STEPS },
        { "wrong-pi", required_argument, NULL, O_WRONG }, { "points", required_argument, NULL, O_POINTS },
        { "reps", required_argument, NULL, O_REPS }, { "n", required_argument, NULL, O_N },
        { "help", no_argument, NULL, O_HELP }, { NULL, 0, NULL, 0 }
    };
    pf_demo_opts d;
    pf_demo_opts_default(&d);
    const char *gif = NULL;
    int live = 0, c, bad = 0;
    double speed = 10;
    size_t w = 1000, h = 700;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (c) {
        case O_GIF: gif = optarg; break;
        case O_LIVE: live = 1; break;
        case O_SPEED: bad = opt_double("demo", "--speed", optarg, 0, OPT_OPEN, 100, OPT_CLOSED, &speed); break;
        case O_WIDTH: bad = opt_size("demo", "--width", optarg, 300, 4000, &w); break;
        case O_HEIGHT: bad = opt_size("demo", "--height", optarg, 200, 4000, &h); break;
        case O_PI: bad = opt_double("demo", "--pi", optarg, 0, OPT_OPEN, 1, OPT_OPEN, &d.pi); break;
        case O_SEP: bad = opt_double("demo", "--sep", optarg, 0, OPT_OPEN, 20, OPT_CLOSED, &d.sep); break;
        case O_ALPHA: bad = opt_double("demo", "--alpha", optarg, 0, OPT_OPEN, 1, OPT_OPEN, &d.alpha); break;
        case O_SEED: bad = opt_u64("demo", "--seed", optarg, &d.seed); break;
        case O_LR: bad = opt_double("demo", "--lr", optarg, 0, OPT_OPEN, INFINITY, OPT_OPEN, &d.lr); break;
        case O_INIT: bad = opt_double("demo", "--init", optarg, 0, OPT_OPEN, 1, OPT_OPEN, &d.init); break;
        case O_STEPS: bad = opt_size("demo", "--steps", optarg, 1, 2000, &d.steps); break;
        case O_WRONG: bad = opt_double("demo", "--wrong-pi", optarg, 0, OPT_OPEN, 1, OPT_OPEN, &d.wrong_pi); break;
        case O_POINTS: bad = opt_size("demo", "--points", optarg, 10, 5000, &d.points); break;
        case O_REPS: bad = opt_size("demo", "--reps", optarg, 20, 100000, &d.reps); break;
        case O_N: bad = opt_size("demo", "--n", optarg, 10, 100000, &d.n); break;
        case O_HELP: usage(stdout, &d); return 0;
        default: opt_getopt_error("demo", c, argv, longopts); return 2;
        }
        if (bad) return 2;
    }
    /* the demo's name: one positional argument */
    if (optind >= argc) {
        fprintf(stderr, "spirelab demo: name a demo: gd, diffusion, dimension or simplex (see spirelab demo --help)\n");
        return 2;
    }
    const char *name = argv[optind];
    int which = !strcmp(name, "gd") ? 0 : !strcmp(name, "diffusion") ? 1 : !strcmp(name, "dimension") ? 2
              : !strcmp(name, "simplex") ? 3 : -1;
    if (which < 0) {
        fprintf(stderr, "spirelab demo: unknown demo '%s': choose gd, diffusion, dimension or simplex\n", name);
        return 2;
    }
    if (optind + 1 < argc) {
        fprintf(stderr, "spirelab demo: unexpected argument '%s' after the demo name\n", argv[optind + 1]);
        return 2;
    }
    if (!gif && !live) {
        fprintf(stderr, "spirelab demo: say where the animation goes: --gif FILE, --live, or both\n");
        return 2;
    }
    char dir[4096], stem[256];
    if (gif) {
        if (split_gif(gif, dir, sizeof dir, stem, sizeof stem)) {
            fprintf(stderr, "spirelab demo: --gif must be a file name ending in .gif (letters, digits, '-', '_', '.'; no quotes), got '%s'\n", gif);
            return 2;
        }
        struct stat sb;
        if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
            fprintf(stderr, "spirelab demo: --gif: directory '%s' does not exist\n", dir);
            return 2;
        }
    }
    plots_caps caps;
    int pst = plots_probe(NULL, &caps);
    if (pst) { opt_lib_error("demo", "plots_probe", pst); return 1; }
    if (live) {
        const char *why = NULL;
        if (plots_live_check(&caps, NULL, &why) != GSL_SUCCESS) {
            fprintf(stderr, "spirelab demo: --live needs a gnuplot window: %s\n", why);
            return 2;
        }
    }
    if (gif && caps.found && !(caps.terms & PLOTS_TERM_GIF)) {
        fprintf(stderr, "spirelab demo: --gif: %s has no gif terminal (it comes with gnuplot's libgd build)\n", caps.version);
        return 1;
    }

    plots_fig *f = plots_fig_alloc();
    if (!f) { opt_lib_error("demo", "plots_fig_alloc", GSL_ENOMEM); return 1; }
    size_t nframes = 0;
    double t0 = omp_get_wtime();
    fprintf(stderr, "spirelab demo: computing %s ...\n", name);
    int st = which == 0 ? pf_demo_gd(&d, f, &nframes)
           : which == 1 ? pf_demo_diffusion(&d, f, &nframes)
           : which == 2 ? pf_demo_dimension(&d, f, &nframes)
                        : pf_demo_simplex(&d, f, &nframes);
    if (st) {
        opt_lib_error("demo", name, st);
        plots_fig_free(f);
        return 1;
    }
    plots_page page = { (int)w, (int)h, 14.0, 1.0 / speed };
    int rc = 0;
    if (gif) {
        plots_format fm[] = { PLOTS_GIF };
        unsigned done = 0;
        st = plots_fig_comment(f, "spirelab demo %s", name);
        if (!st) st = plots_fig_write(f, &caps, dir, stem, fm, 1, &page, &done);
        if (st) {
            fprintf(stderr, "spirelab demo: writing %s failed: %s%s\n", gif, gsl_strerror(st),
                    st == GSL_EFAILED ? " (gnuplot's messages, if any, are above)" : "");
            rc = 1;
        } else {
            int base = (int)strlen(gif) - 4;   /* FILE without ".gif" */
            if (!caps.found)
                fprintf(stderr, "spirelab demo: gnuplot not found: %s not rendered; its data and script are %.*s.csv and %.*s.gp\n",
                        gif, base, gif, base, gif);
            else printf("%s\n", gif);
            printf("%.*s.csv\n%.*s.gp\n", base, gif, base, gif);
            fprintf(stderr, "spirelab demo: %s: %zu frames at %g per second, %.1f s\n", name, nframes, speed, omp_get_wtime() - t0);
        }
    }
    if (live && !rc) {
        fprintf(stderr, "spirelab demo: playing %zu frames; close the window to finish\n", nframes);
        st = plots_fig_show(f, &caps, &page);
        if (st) {
            fprintf(stderr, "spirelab demo: the live window failed: %s\n", gsl_strerror(st));
            rc = 1;
        }
    }
    plots_fig_free(f);
    return rc;
}
