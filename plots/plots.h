/* plots/plots.h — figures through a pipe to gnuplot (DESIGN.md: plots/).
 *
 * The library never draws itself: it writes gnuplot commands into a pipe
 * (popen) and checks gnuplot's exit status (pclose).  Three layers:
 *
 *  1. plots_probe: run `gnuplot -V` and `print GPVAL_TERMINALS` once, and
 *     record whether gnuplot (5.4 or later) is there and which terminals it
 *     has.  Everything else takes the resulting plots_caps, so a caller probes
 *     once per run.  A missing gnuplot is not an error: caps.found = 0.
 *  2. plots_pipe: open a gnuplot process, send commands and inline data
 *     (datablocks: `$NAME << EOD … EOD`, no temporary data files), flush,
 *     close; the close reports a non-zero exit status of gnuplot (which it
 *     has after any error in its input) as GSL_EFAILED.
 *  3. plots_fig: a figure is its data (CSV text with a header row) and a
 *     gnuplot body that plots from the data source `DATA` (a file name or a
 *     datablock name: gnuplot accepts either in a string variable).
 *     plots_fig_write always writes DIR/STEM.csv and DIR/STEM.gp (a script
 *     that re-renders the images from the CSV: `cd DIR; gnuplot STEM.gp`),
 *     and, when gnuplot is there, the images DIR/STEM.png/.svg/.pdf/.gif.
 *     plots_fig_show plays the body in a live window (qt, wxt or x11).
 *
 * Terminals: PNG through pngcairo (falling back to gnuplot's libgd png),
 * SVG through svg, PDF through pdfcairo, animated GIF through gif animate
 * (one frame per plot command), live through qt, wxt or x11 — only on
 * request, and only when a display exists (DISPLAY or WAYLAND_DISPLAY).
 *
 * Files are written atomically (common/spl_file.h): each to a temporary name
 * beside it (".STEM.EXT.XXXXXX.tmp"), flushed to disk, renamed into place
 * only once complete; gnuplot itself renders each image into such a
 * temporary file, renamed once gnuplot has exited successfully.  So an
 * interrupted or failed run leaves no half-written figure; the temporary
 * files of a failed render are removed.
 *
 * The script a body runs in: after `reset`, the data settings
 * (`set datafile separator comma`, `set datafile columnheaders`: the CSV's
 * header row names the columns, so a body writes column("w") or using "w":"p"),
 * UTF-8 encoding, the house style (PLOTS_STYLE below: line types 1–8 in the
 * Okabe–Ito colour-blind-safe palette, a light grid, the key in a box), and the
 * variables DATA (data source), FMT ("png", "svg", "pdf", "gif", "live"),
 * LIVE (1 in a live window, else 0), PAUSE (seconds between animation
 * frames in a live window; a body animates with
 * `do for [k=…] { plot …; if (LIVE) { pause PAUSE } }`) and FONTSIZE (the
 * page's font size in points, e.g. for a larger title:
 * `font sprintf(',%g', FONTSIZE + 2)`).
 *
 * Library code: nothing is printed.  gnuplot's own messages (errors in a
 * body, warnings) go to the caller's stderr unless the program string
 * redirects them (e.g. "gnuplot 2>/dev/null").  Errors are GSL status codes.
 * While a pipe is open SIGPIPE is ignored (a gnuplot that dies early makes a
 * write fail instead of killing the caller); the previous action is restored
 * on close.  Not thread-safe: one pipe at a time.
 *
 * Typical use:
 *     plots_caps caps; plots_probe(NULL, &caps);
 *     plots_fig *f = plots_fig_alloc();
 *     plots_fig_data(f, "x,y\n");  for (...) plots_fig_data(f, "%g,%g\n", x, y);
 *     plots_fig_body(f, "plot DATA using \"x\":\"y\" with lines title \"y(x)\"\n");
 *     plots_format fmt[] = { PLOTS_PNG, PLOTS_SVG };
 *     unsigned done; int st = plots_fig_write(f, &caps, "out", "F1-demo", fmt, 2, NULL, &done);
 *     plots_fig_free(f);
 */
#ifndef PLOTS_H
#define PLOTS_H

#include <stddef.h>

/* ---- what gnuplot is there ------------------------------------------------ */

/* Terminals plots_probe looks for (bits of plots_caps.terms). */
enum {
    PLOTS_TERM_PNGCAIRO = 1u << 0,
    PLOTS_TERM_PNG      = 1u << 1,   /* libgd */
    PLOTS_TERM_SVG      = 1u << 2,
    PLOTS_TERM_PDFCAIRO = 1u << 3,
    PLOTS_TERM_GIF      = 1u << 4,   /* libgd, supports "animate" */
    PLOTS_TERM_QT       = 1u << 5,
    PLOTS_TERM_WXT      = 1u << 6,
    PLOTS_TERM_X11      = 1u << 7
};

#define PLOTS_PROGRAM_MAX 512
/* The oldest gnuplot the scripts work with (datafile columnheaders). */
#define PLOTS_MIN_MAJOR 5
#define PLOTS_MIN_MINOR 4

typedef struct {
    int found;              /* 1: a usable gnuplot (ran, printed a version ≥ 5.4) */
    int ran;                /* 1: `PROGRAM -V` printed a gnuplot version (maybe too old) */
    char program[PLOTS_PROGRAM_MAX];   /* the shell command that starts gnuplot */
    char version[64];       /* first line of `gnuplot -V`, e.g. "gnuplot 5.4 patchlevel 4" */
    int major, minor;
    unsigned terms;         /* PLOTS_TERM_* bits available */
} plots_caps;

/* Run `PROGRAM -V` and `PROGRAM -e "set print '-'; print GPVAL_TERMINALS"`
 * through popen (PROGRAM NULL or "" means "gnuplot", found on PATH; it is
 * passed to the shell as is, so it may carry redirections).  Fills caps.
 * A gnuplot that is missing, fails to run or is older than 5.4 is not an
 * error: GSL_SUCCESS with caps->found = 0 (caps->ran tells "too old" from
 * "missing").  GSL_EINVAL if caps is NULL or PROGRAM is too long. */
int plots_probe(const char *program, plots_caps *caps);

/* ---- output formats -------------------------------------------------------- */
typedef enum { PLOTS_PNG = 0, PLOTS_SVG, PLOTS_PDF, PLOTS_GIF, PLOTS_LIVE, PLOTS_NFORMATS } plots_format;

/* File extension ("png", "svg", "pdf", "gif"); NULL for PLOTS_LIVE or a bad value. */
const char *plots_format_ext(plots_format f);

/* Page geometry and type.  width, height in pixels (PDF: 100 px per inch);
 * font in points for the raster and SVG terminals (PDF uses 0.72×);
 * delay: seconds per frame of an animated GIF, and the PAUSE of a live window. */
typedef struct { int width, height; double font, delay; } plots_page;
#define PLOTS_PAGE_DEFAULT { 1000, 700, 14.0, 0.1 }

/* The `set terminal …` command for format f on this gnuplot into buf:
 * PNG pngcairo, else png; SVG svg; PDF pdfcairo; GIF gif animate; LIVE the
 * first of qt, wxt, x11.  page NULL: PLOTS_PAGE_DEFAULT.  *fallback (may be
 * NULL) is set to 1 when PNG falls back to libgd.  GSL_EUNSUP if gnuplot is
 * not found or has no terminal for f; GSL_EINVAL for a bad f or page, or if
 * buf is too small. */
int plots_terminal(const plots_caps *caps, plots_format f, const plots_page *page,
                   char *buf, size_t len, int *fallback);

/* Can a live window open?  GSL_SUCCESS with *term = "qt", "wxt" or "x11";
 * else GSL_EUNSUP with *why a phrase saying what is missing ("gnuplot was
 * not found", "no display: DISPLAY and WAYLAND_DISPLAY are not set",
 * "this gnuplot has no interactive terminal (qt, wxt, x11); install
 * gnuplot-qt or gnuplot-x11").  term and why may be NULL. */
int plots_live_check(const plots_caps *caps, const char **term, const char **why);

/* ---- the pipe ---------------------------------------------------------------- */
typedef struct plots_pipe plots_pipe;

/* Start gnuplot (caps->program) with its stdin on a pipe.  NULL on failure,
 * with *status (may be NULL) GSL_EUNSUP (gnuplot not found), GSL_EFAILED
 * (popen failed) or GSL_ENOMEM. */
plots_pipe *plots_pipe_open(const plots_caps *caps, int *status);
/* Send text (printf-style).  A failed write is remembered and reported by
 * every later call and by close.  GSL_EFAILED on a write error. */
int plots_pipe_printf(plots_pipe *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int plots_pipe_write(plots_pipe *p, const char *text, size_t len);
/* Define datablock $NAME (NAME: letters, digits, '_') holding text (lines;
 * a final newline is added if missing).  GSL_EINVAL for a bad name or a line
 * of text that reads "EOD" (it would end the block early). */
int plots_pipe_datablock(plots_pipe *p, const char *name, const char *text);
/* fflush, pclose, and GSL_SUCCESS only if every write succeeded and gnuplot
 * exited with status 0; else GSL_EFAILED.  *exit_status (may be NULL): the
 * exit status of gnuplot (−1 if it did not exit normally).  NULL is fine. */
int plots_pipe_close(plots_pipe *p, int *exit_status);

/* ---- figures ---------------------------------------------------------------- */
typedef struct plots_fig plots_fig;

plots_fig *plots_fig_alloc(void);          /* NULL if out of memory */
void plots_fig_free(plots_fig *f);         /* NULL is fine */
/* Appends are sticky on failure (like a stream's error flag): once one has
 * failed, every later append, plots_fig_write and plots_fig_show return
 * that status (GSL_ENOMEM) and plots_fig_script NULL, so a figure that lost
 * data is never written as if whole; callers may check only the end.
 * Append to the CSV data (first line: the header).  GSL_ENOMEM. */
int plots_fig_data(plots_fig *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append to the gnuplot body.  GSL_ENOMEM. */
int plots_fig_body(plots_fig *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A comment line for the top of STEM.gp (say what the figure shows). */
int plots_fig_comment(plots_fig *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *plots_fig_csv(const plots_fig *f);    /* the data so far ("" if none) */
const char *plots_fig_gp(const plots_fig *f);     /* the body so far */

/* Write DIR/STEM.csv and DIR/STEM.gp (always, even without gnuplot), then,
 * if caps->found, render the nfmts formats in one gnuplot run into
 * DIR/STEM.EXT.  page NULL: PLOTS_PAGE_DEFAULT.  *rendered (may be NULL):
 * bit (1u << format) for each image written; 0 when gnuplot is missing (not
 * an error: GSL_SUCCESS).  STEM: letters, digits, '-', '_', '.'; DIR must
 * exist and contain no quote, backslash or newline.  Errors: GSL_EINVAL
 * (bad stem, dir, format — PLOTS_LIVE is not a file format — or page),
 * GSL_EUNSUP (gnuplot lacks a terminal for a requested format: nothing is
 * rendered, the .csv and .gp are written), GSL_EFAILED (a file could not
 * be written, or gnuplot failed: no image of this call is left behind),
 * GSL_ENOMEM. */
int plots_fig_write(const plots_fig *f, const plots_caps *caps, const char *dir, const char *stem,
                    const plots_format *fmts, size_t nfmts, const plots_page *page,
                    unsigned *rendered);

/* Play the body in a live window and wait until the viewer closes it
 * (`pause mouse close`).  GSL_EUNSUP when plots_live_check fails;
 * GSL_EFAILED if gnuplot fails. */
int plots_fig_show(const plots_fig *f, const plots_caps *caps, const plots_page *page);

/* The full script plots_fig_write would write to STEM.gp (for tests and
 * for callers that want it elsewhere), into a new string the caller frees;
 * NULL on bad input or no memory. */
char *plots_fig_script(const plots_fig *f, const plots_caps *caps, const char *stem,
                       const plots_format *fmts, size_t nfmts, const plots_page *page);

/* Write text to DIR/NAME atomically (a temporary file beside it, renamed
 * into place; mode 0666 less the umask).  For the pages that go with the
 * figures (an index).  GSL_EINVAL for a bad DIR or NAME (NAME as STEM
 * above), GSL_EFAILED if it cannot be written (nothing is left behind). */
int plots_write_file(const char *dir, const char *name, const char *text);

/* The house style, included by every script after `reset`. */
extern const char PLOTS_STYLE[];

#endif
