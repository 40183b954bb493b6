/* tests/cu_plots.c — the gnuplot pipe (plots/): probing, terminals and
 * their fallback, atomic writes, images of the requested size (PNG read
 * through its IHDR chunk, GIF frames counted by walking its blocks), a
 * gnuplot error reported through pclose's status with nothing left behind,
 * a gnuplot that dies early (SIGPIPE), and the gnuplot-missing path (PATH
 * without gnuplot).  Tests that need gnuplot print "skipped" and pass when it
 * is not installed. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gsl/gsl_errno.h>
#include "plots/plots.h"
#include "tests/cu_util.h"

static plots_caps caps;
static int have_gnuplot = -1;

static int gnuplot_here(void)
{
    if (have_gnuplot < 0) {
        plots_probe(NULL, &caps);
        have_gnuplot = caps.found;
    }
    if (!have_gnuplot) fprintf(stderr, " skipped (gnuplot 5.4+ not found) ");
    return have_gnuplot;
}

static size_t count_suffix(const char *d, const char *suffix)
{
    DIR *D = opendir(d);
    struct dirent *e;
    size_t n = 0, ls = strlen(suffix);
    while (D && (e = readdir(D))) {
        size_t l = strlen(e->d_name);
        if (l >= ls && !strcmp(e->d_name + l - ls, suffix)) n++;
    }
    if (D) closedir(D);
    return n;
}

/* PNG: the 8-byte signature, then the IHDR chunk: length 13, "IHDR",
 * width and height as big-endian 32-bit integers.  1 if valid. */

/* GIF: "GIF89a", the logical screen (width, height little-endian), then
 * blocks until the trailer 0x3B; returns the number of image descriptors
 * (frames), or −1 if the file is not a well-formed GIF. */
static long gif_frames(const char *d, const char *name, unsigned *w, unsigned *h)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", d, name);
    FILE *f = fopen(p, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    unsigned char *b = malloc((size_t)n);
    size_t got = b ? fread(b, 1, (size_t)n, f) : 0;
    fclose(f);
    long frames = -1, i = 13;
    if (!b || got != (size_t)n || n < 14 || memcmp(b, "GIF89a", 6)) goto out;
    *w = b[6] | b[7] << 8;
    *h = b[8] | b[9] << 8;
    if (b[10] & 0x80) i += 3L << ((b[10] & 7) + 1);
    frames = 0;
    while (i < n && b[i] != 0x3B) {
        if (b[i] == 0x21) i += 2;                    /* extension: introducer, label */
        else if (b[i] == 0x2C) {                     /* image descriptor */
            if (i + 10 > n) { frames = -1; goto out; }
            unsigned char fl = b[i + 9];
            i += 10;
            if (fl & 0x80) i += 3L << ((fl & 7) + 1);
            i += 1;                                  /* LZW minimum code size */
            frames++;
        } else { frames = -1; goto out; }
        while (i < n && b[i]) i += b[i] + 1;         /* data sub-blocks */
        i++;                                         /* block terminator */
    }
    if (i >= n) frames = -1;
out:
    free(b);
    return frames;
}

static plots_fig *demo_fig(void)
{
    plots_fig *f = plots_fig_alloc();
    plots_fig_comment(f, "a test figure");
    plots_fig_data(f, "x,y,series\n");
    for (int i = 0; i <= 20; i++) plots_fig_data(f, "%g,%g,%s\n", i / 10.0, (i / 10.0) * (i / 10.0), i % 2 ? "odd" : "even");
    plots_fig_body(f, "set title 'y = x^2'\nset xlabel 'x (dimensionless)'\nset ylabel 'y (dimensionless)'\n"
                      "plot DATA using (column('x')):(strcol('series') eq 'even' ? column('y') : NaN) with linespoints title 'even', \\\n"
                      "     DATA using 'x':'y' with lines title 'all'\n");
    return f;
}

static void test_probe(void)
{
    if (!gnuplot_here()) return;
    CU_ASSERT(caps.ran);
    CU_ASSERT(!strncmp(caps.version, "gnuplot ", 8));
    CU_ASSERT(caps.major >= 5);
    CU_ASSERT(caps.terms & (PLOTS_TERM_PNGCAIRO | PLOTS_TERM_PNG));
    CU_ASSERT(caps.terms & PLOTS_TERM_SVG);
    /* a program that is not there is no error: found = 0 */
    plots_caps c;
    CU_ASSERT_EQUAL(plots_probe("/nonexistent/gnuplot-xyz", &c), GSL_SUCCESS);
    CU_ASSERT_FALSE(c.found);
    CU_ASSERT_FALSE(c.ran);
    CU_ASSERT_EQUAL(plots_probe(NULL, NULL), GSL_EINVAL);
    /* "true -V" prints nothing: not a gnuplot */
    CU_ASSERT_EQUAL(plots_probe("true", &c), GSL_SUCCESS);
    CU_ASSERT_FALSE(c.found);
}

/* PATH without gnuplot: the probe says not found; a figure still writes
 * its .csv and .gp, renders nothing, and that is not an error. */
static void test_missing(void)
{
    char *old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
    char *d = cu_scratch();
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    setenv("PATH", d, 1);   /* an empty directory */
    plots_caps c;
    CU_ASSERT_EQUAL(plots_probe(NULL, &c), GSL_SUCCESS);
    if (old) setenv("PATH", old, 1); else unsetenv("PATH");
    free(old);
    CU_ASSERT_FALSE(c.found);
    plots_fig *f = demo_fig();
    plots_format fm[] = { PLOTS_PNG, PLOTS_SVG };
    unsigned done = 99;
    CU_ASSERT_EQUAL(plots_fig_write(f, &c, d, "F0-missing", fm, 2, NULL, &done), GSL_SUCCESS);
    CU_ASSERT_EQUAL(done, 0u);
    CU_ASSERT(cu_exists(d, "F0-missing.csv"));
    CU_ASSERT(cu_exists(d, "F0-missing.gp"));
    CU_ASSERT_FALSE(cu_exists(d, "F0-missing.png"));
    CU_ASSERT_EQUAL(count_suffix(d, ".tmp"), 0u);
    char *csv = cu_slurp(d, "F0-missing.csv");
    CU_ASSERT(csv && !strcmp(csv, plots_fig_csv(f)));
    free(csv);
    char *gp = cu_slurp(d, "F0-missing.gp");
    CU_ASSERT(gp && strstr(gp, "DATA = 'F0-missing.csv'") && strstr(gp, "set terminal pngcairo size 1000,700"));
    free(gp);
    plots_fig_free(f);
    const char *why = NULL;
    CU_ASSERT_EQUAL(plots_live_check(&c, NULL, &why), GSL_EUNSUP);
    CU_ASSERT(why && strstr(why, "not found"));
    CU_ASSERT_PTR_NULL(plots_pipe_open(&c, NULL));
    cu_rm_dir(d);
}

static void test_terminals(void)
{
    plots_caps c = {0};
    char buf[512];
    int fb = -1;
    plots_page pg = { 640, 480, 12, 0.25 };
    CU_ASSERT_EQUAL(plots_terminal(&c, PLOTS_PNG, &pg, buf, sizeof buf, &fb), GSL_EUNSUP);  /* not found */
    c.found = 1;
    c.terms = PLOTS_TERM_PNGCAIRO | PLOTS_TERM_PNG | PLOTS_TERM_SVG | PLOTS_TERM_GIF;
    CU_ASSERT_EQUAL(plots_terminal(&c, PLOTS_PNG, &pg, buf, sizeof buf, &fb), GSL_SUCCESS);
    CU_ASSERT(strstr(buf, "pngcairo size 640,480") != NULL);
    CU_ASSERT_EQUAL(fb, 0);
    c.terms &= ~PLOTS_TERM_PNGCAIRO;
    CU_ASSERT_EQUAL(plots_terminal(&c, PLOTS_PNG, &pg, buf, sizeof buf, &fb), GSL_SUCCESS);
    CU_ASSERT(!strncmp(buf, "set terminal png size 640,480", 29));
    CU_ASSERT_EQUAL(fb, 1);
    CU_ASSERT_EQUAL(plots_terminal(&c, PLOTS_GIF, &pg, buf, sizeof buf, NULL), GSL_SUCCESS);
    CU_ASSERT(strstr(buf, "animate delay 25") != NULL);
    CU_ASSERT_EQUAL(plots_terminal(&c, PLOTS_PDF, &pg, buf, sizeof buf, NULL), GSL_EUNSUP);
    CU_ASSERT_EQUAL(plots_terminal(&c, PLOTS_LIVE, &pg, buf, sizeof buf, NULL), GSL_EUNSUP);
    c.terms |= PLOTS_TERM_PDFCAIRO;
    CU_ASSERT_EQUAL(plots_terminal(&c, PLOTS_PDF, &pg, buf, sizeof buf, NULL), GSL_SUCCESS);
    CU_ASSERT(strstr(buf, "size 6.40in,4.80in") != NULL);
    CU_ASSERT_EQUAL(plots_terminal(&c, PLOTS_PNG, &pg, buf, 10, NULL), GSL_EINVAL);  /* too small */
    plots_page badpg = { 10, 480, 12, 0.1 };
    CU_ASSERT_EQUAL(plots_terminal(&c, PLOTS_PNG, &badpg, buf, sizeof buf, NULL), GSL_EINVAL);
    CU_ASSERT_STRING_EQUAL(plots_format_ext(PLOTS_SVG), "svg");
    CU_ASSERT_PTR_NULL(plots_format_ext(PLOTS_LIVE));
}

static void test_live_check(void)
{
    char *disp = getenv("DISPLAY") ? strdup(getenv("DISPLAY")) : NULL;
    char *wl = getenv("WAYLAND_DISPLAY") ? strdup(getenv("WAYLAND_DISPLAY")) : NULL;
    plots_caps c = {0};
    c.found = 1;
    c.terms = PLOTS_TERM_PNGCAIRO | PLOTS_TERM_QT;
    const char *term = "x", *why = NULL;
    unsetenv("DISPLAY");
    unsetenv("WAYLAND_DISPLAY");
    CU_ASSERT_EQUAL(plots_live_check(&c, &term, &why), GSL_EUNSUP);
    CU_ASSERT_PTR_NULL(term);
    CU_ASSERT(why && strstr(why, "DISPLAY"));
    setenv("DISPLAY", ":99", 1);
    CU_ASSERT_EQUAL(plots_live_check(&c, &term, &why), GSL_SUCCESS);
    CU_ASSERT(term && !strcmp(term, "qt"));
    c.terms = PLOTS_TERM_PNGCAIRO | PLOTS_TERM_X11;
    CU_ASSERT_EQUAL(plots_live_check(&c, &term, &why), GSL_SUCCESS);
    CU_ASSERT(term && !strcmp(term, "x11"));
    c.terms = PLOTS_TERM_PNGCAIRO;
    CU_ASSERT_EQUAL(plots_live_check(&c, &term, &why), GSL_EUNSUP);
    CU_ASSERT(why && strstr(why, "interactive terminal"));
    /* plots_fig_show refuses before starting anything */
    plots_fig *f = demo_fig();
    CU_ASSERT_EQUAL(plots_fig_show(f, &c, NULL), GSL_EUNSUP);
    plots_fig_free(f);
    if (disp) setenv("DISPLAY", disp, 1); else unsetenv("DISPLAY");
    if (wl) setenv("WAYLAND_DISPLAY", wl, 1);
    free(disp);
    free(wl);
}

/* PNG and SVG of the requested size; the .gp beside them re-renders the
 * same PNG from the .csv; no temporary file is left. */
static void test_write_png_svg(void)
{
    if (!gnuplot_here()) return;
    char *d = cu_scratch();
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    plots_fig *f = demo_fig();
    plots_format fm[] = { PLOTS_PNG, PLOTS_SVG };
    plots_page pg = { 640, 480, 12, 0.1 };
    unsigned done = 0;
    CU_ASSERT_EQUAL(plots_fig_write(f, &caps, d, "F0-test", fm, 2, &pg, &done), GSL_SUCCESS);
    CU_ASSERT_EQUAL(done, (1u << PLOTS_PNG) | (1u << PLOTS_SVG));
    unsigned w = 0, h = 0;
    CU_ASSERT(cu_png_size(d, "F0-test.png", &w, &h));
    CU_ASSERT_EQUAL(w, 640u);
    CU_ASSERT_EQUAL(h, 480u);
    char *svg = cu_slurp(d, "F0-test.svg");
    CU_ASSERT(svg && strstr(svg, "<svg") && strstr(svg, "width=\"640\"") && strstr(svg, "y = x"));
    free(svg);
    char *csv = cu_slurp(d, "F0-test.csv");
    CU_ASSERT(csv && !strcmp(csv, plots_fig_csv(f)));
    free(csv);
    CU_ASSERT_EQUAL(count_suffix(d, ".tmp"), 0u);
    /* re-render by hand from the .gp and .csv */
    char p[4096];
    snprintf(p, sizeof p, "%s/F0-test.png", d);
    unlink(p);
    snprintf(p, sizeof p, "cd '%s' && %s F0-test.gp", d, caps.program);
    CU_ASSERT_EQUAL(system(p), 0);
    w = h = 0;
    CU_ASSERT(cu_png_size(d, "F0-test.png", &w, &h));
    CU_ASSERT(w == 640u && h == 480u);
    /* the libgd fallback gives a valid PNG of the same size */
    plots_caps c = caps;
    c.terms &= ~PLOTS_TERM_PNGCAIRO;
    if (c.terms & PLOTS_TERM_PNG) {
        fm[0] = PLOTS_PNG;
        CU_ASSERT_EQUAL(plots_fig_write(f, &c, d, "F0-gd", fm, 1, &pg, &done), GSL_SUCCESS);
        w = h = 0;
        CU_ASSERT(cu_png_size(d, "F0-gd.png", &w, &h));
        CU_ASSERT(w == 640u && h == 480u);
        char *gp = cu_slurp(d, "F0-gd.gp");
        CU_ASSERT(gp && strstr(gp, "set terminal png size 640,480"));
        free(gp);
    }
    plots_fig_free(f);
    cu_rm_dir(d);
}

/* An animated GIF: one frame per plot command. */
static void test_gif(void)
{
    if (!gnuplot_here() || !(caps.terms & PLOTS_TERM_GIF)) return;
    char *d = cu_scratch();
    plots_fig *f = plots_fig_alloc();
    plots_fig_data(f, "k,x,y\n");
    for (int k = 0; k < 5; k++)
        for (int i = 0; i < 10; i++) plots_fig_data(f, "%d,%d,%d\n", k, i, i * k);
    plots_fig_body(f, "set xrange [0:9]\nset yrange [0:40]\n"
                      "do for [k=0:4] { plot DATA using 'x':(column('k') == k ? column('y') : NaN) with lines title sprintf('frame %%d', k); if (LIVE) { pause PAUSE } }\n");
    plots_format fm[] = { PLOTS_GIF };
    plots_page pg = { 320, 240, 10, 0.2 };
    unsigned done = 0, w = 0, h = 0;
    plots_caps c = caps;   /* without gnuplot's "5 frames in animation sequence" */
    size_t L = strlen(caps.program);
    CU_ASSERT_FATAL(L + 13 <= sizeof c.program);
    memcpy(c.program + L, " 2>/dev/null", 13);
    CU_ASSERT_EQUAL(plots_fig_write(f, &c, d, "anim", fm, 1, &pg, &done), GSL_SUCCESS);
    CU_ASSERT_EQUAL(done, 1u << PLOTS_GIF);
    CU_ASSERT_EQUAL(gif_frames(d, "anim.gif", &w, &h), 5);
    CU_ASSERT(w == 320u && h == 240u);
    char *s = cu_slurp(d, "anim.gif");
    CU_ASSERT(s && memmem(s, 800, "NETSCAPE2.0", 11));   /* the looping extension */
    free(s);
    plots_fig_free(f);
    cu_rm_dir(d);
}

/* A body with an error: gnuplot exits 1, plots_fig_write says GSL_EFAILED,
 * and no image or temporary file is left; the .csv and .gp are written. */
static void test_gnuplot_error(void)
{
    if (!gnuplot_here()) return;
    char *d = cu_scratch();
    plots_caps c = caps;
    size_t L = strlen(caps.program);
    CU_ASSERT_FATAL(L + 13 <= sizeof c.program);
    memcpy(c.program + L, " 2>/dev/null", 13);   /* silence the deliberate error */
    plots_fig *f = demo_fig();
    plots_fig_body(f, "plot no_such_function_xyz(x)\n");
    plots_format fm[] = { PLOTS_PNG, PLOTS_SVG };
    unsigned done = 7;
    CU_ASSERT_EQUAL(plots_fig_write(f, &c, d, "bad", fm, 2, NULL, &done), GSL_EFAILED);
    CU_ASSERT_EQUAL(done, 0u);
    CU_ASSERT_FALSE(cu_exists(d, "bad.png"));
    CU_ASSERT_FALSE(cu_exists(d, "bad.svg"));
    CU_ASSERT(cu_exists(d, "bad.csv") && cu_exists(d, "bad.gp"));
    CU_ASSERT_EQUAL(count_suffix(d, ".tmp"), 0u);
    /* the pipe itself: exit status 1 */
    int es = 0;
    plots_pipe *p = plots_pipe_open(&c, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    plots_pipe_printf(p, "print undefined_variable_xyz\n");
    CU_ASSERT_EQUAL(plots_pipe_close(p, &es), GSL_EFAILED);
    CU_ASSERT_EQUAL(es, 1);
    p = plots_pipe_open(&c, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(plots_pipe_datablock(p, "D", "a,b\n1,2\n"), GSL_SUCCESS);
    CU_ASSERT_EQUAL(plots_pipe_datablock(p, "bad name", "1\n"), GSL_EINVAL);
    CU_ASSERT_EQUAL(plots_pipe_datablock(p, "E", "1\nEOD\n2\n"), GSL_EINVAL);
    plots_pipe_printf(p, "stats $D using 1 nooutput\nif (STATS_records != 1) { exit status 3 }\n");
    CU_ASSERT_EQUAL(plots_pipe_close(p, &es), GSL_SUCCESS);
    CU_ASSERT_EQUAL(es, 0);
    plots_fig_free(f);
    cu_rm_dir(d);
}

/* A "gnuplot" that exits without reading: writes fail (EPIPE), the process
 * survives (SIGPIPE ignored while the pipe is open), close says GSL_EFAILED. */
static void test_early_exit(void)
{
    plots_caps c = {0};
    c.found = 1;
    snprintf(c.program, sizeof c.program, "exec true");
    plots_pipe *p = plots_pipe_open(&c, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    static char block[65536];
    memset(block, '#', sizeof block);
    int st = GSL_SUCCESS;
    for (int i = 0; i < 64 && !st; i++) st = plots_pipe_write(p, block, sizeof block);
    CU_ASSERT_EQUAL(plots_pipe_close(p, NULL), GSL_EFAILED);
}

static void test_bad_input(void)
{
    char *d = cu_scratch();
    plots_caps c = {0};   /* not found: validation happens anyway */
    plots_fig *f = demo_fig();
    plots_format fm[] = { PLOTS_PNG }, live[] = { PLOTS_LIVE }, dup[] = { PLOTS_PNG, PLOTS_PNG };
    CU_ASSERT_EQUAL(plots_fig_write(f, &c, d, "../escape", fm, 1, NULL, NULL), GSL_EINVAL);
    CU_ASSERT_EQUAL(plots_fig_write(f, &c, d, "", fm, 1, NULL, NULL), GSL_EINVAL);
    CU_ASSERT_EQUAL(plots_fig_write(f, &c, "/tmp/it's", "x", fm, 1, NULL, NULL), GSL_EINVAL);
    CU_ASSERT_EQUAL(plots_fig_write(f, &c, d, "x", live, 1, NULL, NULL), GSL_EINVAL);
    CU_ASSERT_EQUAL(plots_fig_write(f, &c, d, "x", dup, 2, NULL, NULL), GSL_EINVAL);
    CU_ASSERT_EQUAL(plots_fig_write(f, &c, d, "x", fm, 0, NULL, NULL), GSL_EINVAL);
    /* a directory that does not exist: nothing can be written */
    CU_ASSERT_EQUAL(plots_fig_write(f, &c, "/nonexistent/dir", "x", fm, 1, NULL, NULL), GSL_EFAILED);
    CU_ASSERT_EQUAL(count_suffix(d, ""), 2u);   /* only . and .. */
    plots_fig_free(f);
    plots_fig_free(NULL);
    CU_ASSERT_EQUAL(plots_pipe_close(NULL, NULL), GSL_SUCCESS);
    cu_rm_dir(d);
}

CU_TestInfo cu_plots_tests[] = {
    { "probe", test_probe },
    { "gnuplot missing (PATH without it)", test_missing },
    { "terminals and fallback", test_terminals },
    { "live window needs a display", test_live_check },
    { "PNG and SVG of the requested size, .gp re-renders", test_write_png_svg },
    { "animated GIF frames", test_gif },
    { "gnuplot error: status checked, nothing left", test_gnuplot_error },
    { "gnuplot exits early: no SIGPIPE", test_early_exit },
    { "bad input", test_bad_input },
    CU_TEST_INFO_NULL
};
