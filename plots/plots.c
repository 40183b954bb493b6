/* plots/plots.c — gnuplot through a pipe (see plots.h). */
#include "plots/plots.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <gsl/gsl_errno.h>
#include "common/spl_buf.h"
#include "common/spl_file.h"

const char PLOTS_STYLE[] =
    "set encoding utf8\n"
    "set datafile separator comma\n"
    "set datafile columnheaders\n"
    "set linetype 1 lc rgb '#0072B2' lw 2 pt 7 ps 1.1 dt solid\n"    /* blue */
    "set linetype 2 lc rgb '#D55E00' lw 2 pt 5 ps 1.1 dt solid\n"    /* vermillion */
    "set linetype 3 lc rgb '#009E73' lw 2 pt 9 ps 1.4 dt solid\n"    /* bluish green */
    "set linetype 4 lc rgb '#CC79A7' lw 2 pt 11 ps 1.4 dt solid\n"   /* reddish purple */
    "set linetype 5 lc rgb '#E69F00' lw 2 pt 13 ps 1.4 dt solid\n"   /* orange */
    "set linetype 6 lc rgb '#56B4E9' lw 2 pt 3 ps 1.1 dt solid\n"    /* sky blue */
    "set linetype 7 lc rgb '#000000' lw 2 pt 1 ps 1.1 dt solid\n"    /* black */
    "set linetype 8 lc rgb '#888888' lw 2 pt 2 ps 1.1 dt solid\n"    /* grey */
    "set linetype cycle 8\n"
    "set grid back lc rgb '#dddddd' lw 1 dt solid\n"
    "set key box opaque samplen 2.5 spacing 1.2 width 1\n"
    "set border lw 1.2\n"
    "set tics out nomirror\n";

/* ---- probing ------------------------------------------------------------------ */
static const struct { const char *name; unsigned bit; } TERMS[] = {
    { "pngcairo", PLOTS_TERM_PNGCAIRO }, { "png", PLOTS_TERM_PNG }, { "svg", PLOTS_TERM_SVG },
    { "pdfcairo", PLOTS_TERM_PDFCAIRO }, { "gif", PLOTS_TERM_GIF }, { "qt", PLOTS_TERM_QT },
    { "wxt", PLOTS_TERM_WXT }, { "x11", PLOTS_TERM_X11 },
};
#define NTERMS (sizeof TERMS / sizeof TERMS[0])

/* Run a shell command, read all it prints (at most len − 1 bytes kept).
 * Returns its wait status, or −1 if popen failed. */
static int run_read(const char *cmd, char *out, size_t len)
{
    FILE *fp = popen(cmd, "r");
    if (!fp) return -1;
    size_t n = 0;
    int c;
    while ((c = fgetc(fp)) != EOF)
        if (n + 1 < len) out[n++] = (char)c;
    out[n] = '\0';
    return pclose(fp);
}

int plots_probe(const char *program, plots_caps *caps)
{
    if (!caps) return GSL_EINVAL;
    memset(caps, 0, sizeof *caps);
    if (!program || !*program) program = "gnuplot";
    if (strlen(program) >= sizeof caps->program) return GSL_EINVAL;
    strcpy(caps->program, program);

    char cmd[PLOTS_PROGRAM_MAX + 128], out[8192];
    snprintf(cmd, sizeof cmd, "%s -V </dev/null 2>/dev/null", program);
    int st = run_read(cmd, out, sizeof out);
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || strncmp(out, "gnuplot ", 8) != 0)
        return GSL_SUCCESS;
    out[strcspn(out, "\r\n")] = '\0';
    out[sizeof caps->version - 1] = '\0';
    memcpy(caps->version, out, strlen(out) + 1);
    if (sscanf(out + 8, "%d.%d", &caps->major, &caps->minor) != 2) return GSL_SUCCESS;
    caps->ran = 1;
    if (caps->major < PLOTS_MIN_MAJOR || (caps->major == PLOTS_MIN_MAJOR && caps->minor < PLOTS_MIN_MINOR))
        return GSL_SUCCESS;

    snprintf(cmd, sizeof cmd, "%s -e \"set print '-'; print GPVAL_TERMINALS\" </dev/null 2>/dev/null", program);
    st = run_read(cmd, out, sizeof out);
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) return GSL_SUCCESS;
    for (char *tok = strtok(out, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n"))
        for (size_t k = 0; k < NTERMS; k++)
            if (!strcmp(tok, TERMS[k].name)) caps->terms |= TERMS[k].bit;
    caps->found = 1;
    return GSL_SUCCESS;
}

/* ---- terminals ------------------------------------------------------------------ */
const char *plots_format_ext(plots_format f)
{
    switch (f) {
    case PLOTS_PNG: return "png";
    case PLOTS_SVG: return "svg";
    case PLOTS_PDF: return "pdf";
    case PLOTS_GIF: return "gif";
    default: return NULL;
    }
}

static const plots_page page_default = PLOTS_PAGE_DEFAULT;

static int page_ok(const plots_page *p)
{
    return p->width >= 100 && p->width <= 20000 && p->height >= 100 && p->height <= 20000
           && p->font >= 4 && p->font <= 100 && p->delay >= 0 && p->delay <= 60;
}

/* Terminal command for caps (NULL or not found: as if gnuplot had every terminal). */
static int terminal(const plots_caps *caps, plots_format f, const plots_page *pg, spl_buf *b, int *fallback)
{
    unsigned terms = caps && caps->found ? caps->terms : ~0u;
    if (fallback) *fallback = 0;
    switch (f) {
    case PLOTS_PNG:
        if (terms & PLOTS_TERM_PNGCAIRO)
            return spl_buf_printf(b, "set terminal pngcairo size %d,%d enhanced font 'Sans,%g' linewidth 1.2 background '#ffffff'",
                             pg->width, pg->height, pg->font);
        if (terms & PLOTS_TERM_PNG) {
            if (fallback) *fallback = 1;
            return spl_buf_printf(b, "set terminal png size %d,%d enhanced font 'Sans,%g' background '#ffffff'",
                             pg->width, pg->height, pg->font);
        }
        return GSL_EUNSUP;
    case PLOTS_SVG:
        if (!(terms & PLOTS_TERM_SVG)) return GSL_EUNSUP;
        return spl_buf_printf(b, "set terminal svg size %d,%d dynamic enhanced font 'Sans,%g' linewidth 1.2 background '#ffffff'",
                         pg->width, pg->height, pg->font);
    case PLOTS_PDF:
        if (!(terms & PLOTS_TERM_PDFCAIRO)) return GSL_EUNSUP;
        return spl_buf_printf(b, "set terminal pdfcairo size %.2fin,%.2fin enhanced font 'Sans,%.3g' linewidth 1.2",
                         pg->width / 100.0, pg->height / 100.0, 0.72 * pg->font);
    case PLOTS_GIF:
        if (!(terms & PLOTS_TERM_GIF)) return GSL_EUNSUP;
        return spl_buf_printf(b, "set terminal gif animate delay %d loop 0 size %d,%d enhanced font 'Sans,%g' background '#ffffff'",
                         (int)(pg->delay * 100 + 0.5) > 0 ? (int)(pg->delay * 100 + 0.5) : 1,
                         pg->width, pg->height, pg->font);
    case PLOTS_LIVE: {
        const char *t = (terms & PLOTS_TERM_QT) ? "qt" : (terms & PLOTS_TERM_WXT) ? "wxt"
                      : (terms & PLOTS_TERM_X11) ? "x11" : NULL;
        if (!t) return GSL_EUNSUP;
        return spl_buf_printf(b, "set terminal %s size %d,%d enhanced font 'Sans,%g'", t, pg->width, pg->height, pg->font);
    }
    default:
        return GSL_EINVAL;
    }
}

int plots_terminal(const plots_caps *caps, plots_format f, const plots_page *page,
                   char *buf, size_t len, int *fallback)
{
    if (!page) page = &page_default;
    if (!caps || !buf || !page_ok(page) || (unsigned)f >= PLOTS_NFORMATS) return GSL_EINVAL;
    if (!caps->found) return GSL_EUNSUP;
    spl_buf b = SPL_BUF_INIT;
    int st = terminal(caps, f, page, &b, fallback);
    if (!st && b.len + 1 > len) st = GSL_EINVAL;
    if (!st) memcpy(buf, b.s, b.len + 1);
    spl_buf_release(&b);
    return st;
}

int plots_live_check(const plots_caps *caps, const char **term, const char **why)
{
    const char *t = NULL, *w = NULL;
    const char *disp = getenv("DISPLAY"), *wl = getenv("WAYLAND_DISPLAY");
    if (!caps || !caps->found)
        w = "gnuplot was not found";
    else if ((!disp || !*disp) && (!wl || !*wl))
        w = "no display: DISPLAY and WAYLAND_DISPLAY are not set";
    else if (caps->terms & PLOTS_TERM_QT) t = "qt";
    else if (caps->terms & PLOTS_TERM_WXT) t = "wxt";
    else if (caps->terms & PLOTS_TERM_X11) t = "x11";
    else w = "this gnuplot has no interactive terminal (qt, wxt, x11); install gnuplot-qt or gnuplot-x11";
    if (term) *term = t;
    if (why) *why = w;
    return t ? GSL_SUCCESS : GSL_EUNSUP;
}

/* ---- the pipe ------------------------------------------------------------------------ */
struct plots_pipe {
    FILE *fp;
    int failed;
    struct sigaction old_pipe;
};

plots_pipe *plots_pipe_open(const plots_caps *caps, int *status)
{
    int dummy;
    if (!status) status = &dummy;
    if (!caps || !caps->found) { *status = GSL_EUNSUP; return NULL; }
    plots_pipe *p = calloc(1, sizeof *p);
    if (!p) { *status = GSL_ENOMEM; return NULL; }
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, &p->old_pipe);
    char cmd[PLOTS_PROGRAM_MAX + 32];
    snprintf(cmd, sizeof cmd, "%s >/dev/null", caps->program);
    p->fp = popen(cmd, "w");
    if (!p->fp) {
        sigaction(SIGPIPE, &p->old_pipe, NULL);
        free(p);
        *status = GSL_EFAILED;
        return NULL;
    }
    *status = GSL_SUCCESS;
    return p;
}

int plots_pipe_write(plots_pipe *p, const char *text, size_t len)
{
    if (!p) return GSL_EINVAL;
    if (p->failed) return GSL_EFAILED;
    if (len && fwrite(text, 1, len, p->fp) != len) p->failed = 1;
    return p->failed ? GSL_EFAILED : GSL_SUCCESS;
}

int plots_pipe_printf(plots_pipe *p, const char *fmt, ...)
{
    if (!p) return GSL_EINVAL;
    if (p->failed) return GSL_EFAILED;
    va_list ap;
    va_start(ap, fmt);
    if (vfprintf(p->fp, fmt, ap) < 0) p->failed = 1;
    va_end(ap);
    return p->failed ? GSL_EFAILED : GSL_SUCCESS;
}

static int name_ok(const char *s)
{
    if (!s || !*s) return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_') return 0;
    return 1;
}

/* Does text have a line that reads exactly "EOD"? */
static int has_eod_line(const char *text)
{
    for (const char *l = text; l && *l; ) {
        const char *e = strchr(l, '\n');
        size_t n = e ? (size_t)(e - l) : strlen(l);
        if (n && l[n - 1] == '\r') n--;
        if (n == 3 && !strncmp(l, "EOD", 3)) return 1;
        l = e ? e + 1 : NULL;
    }
    return 0;
}

int plots_pipe_datablock(plots_pipe *p, const char *name, const char *text)
{
    if (!p || !name_ok(name) || !text || has_eod_line(text)) return GSL_EINVAL;
    size_t n = strlen(text);
    plots_pipe_printf(p, "$%s << EOD\n", name);
    plots_pipe_write(p, text, n);
    if (n && text[n - 1] != '\n') plots_pipe_write(p, "\n", 1);
    return plots_pipe_printf(p, "EOD\n");
}

int plots_pipe_close(plots_pipe *p, int *exit_status)
{
    if (exit_status) *exit_status = -1;
    if (!p) return GSL_SUCCESS;
    if (fflush(p->fp) != 0) p->failed = 1;
    int st = pclose(p->fp);
    sigaction(SIGPIPE, &p->old_pipe, NULL);
    int ok = !p->failed && st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    if (exit_status && st != -1 && WIFEXITED(st)) *exit_status = WEXITSTATUS(st);
    free(p);
    return ok ? GSL_SUCCESS : GSL_EFAILED;
}

/* ---- figures ------------------------------------------------------------------------------ */
/* failed: the first failed append (sticky), returned by every later use of
 * the figure, so that a figure that lost data is never written as whole. */
struct plots_fig { spl_buf data, body, comment; int failed; };

plots_fig *plots_fig_alloc(void) { return calloc(1, sizeof(plots_fig)); }

void plots_fig_free(plots_fig *f)
{
    if (!f) return;
    spl_buf_release(&f->data);
    spl_buf_release(&f->body);
    spl_buf_release(&f->comment);
    free(f);
}

int plots_fig_data(plots_fig *f, const char *fmt, ...)
{
    if (!f) return GSL_EINVAL;
    if (f->failed) return f->failed;
    va_list ap;
    va_start(ap, fmt);
    int st = spl_buf_vprintf(&f->data, fmt, ap);
    va_end(ap);
    return f->failed = st;
}

int plots_fig_body(plots_fig *f, const char *fmt, ...)
{
    if (!f) return GSL_EINVAL;
    if (f->failed) return f->failed;
    va_list ap;
    va_start(ap, fmt);
    int st = spl_buf_vprintf(&f->body, fmt, ap);
    va_end(ap);
    return f->failed = st;
}

int plots_fig_comment(plots_fig *f, const char *fmt, ...)
{
    if (!f) return GSL_EINVAL;
    if (f->failed) return f->failed;
    int st = spl_buf_printf(&f->comment, "# ");
    va_list ap;
    va_start(ap, fmt);
    if (!st) st = spl_buf_vprintf(&f->comment, fmt, ap);
    va_end(ap);
    if (!st && (!f->comment.len || f->comment.s[f->comment.len - 1] != '\n')) st = spl_buf_printf(&f->comment, "\n");
    return f->failed = st;
}

const char *plots_fig_csv(const plots_fig *f) { return f ? spl_buf_str(&f->data) : ""; }
const char *plots_fig_gp(const plots_fig *f) { return f ? spl_buf_str(&f->body) : ""; }

static int stem_ok(const char *s)
{
    if (!s || !*s || *s == '.' || strlen(s) > 200) return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("-_.", *s)) return 0;
    return 1;
}

static int dir_ok(const char *d)
{
    return d && *d && strlen(d) < 3000 && !strpbrk(d, "'\"\\\n\r");
}

/* The script: header, variables, then one loop over the formats.
 * dataref: the DATA value; out[k]: output file of format fmts[k]. */
static int script(spl_buf *b, const plots_fig *f, const plots_caps *caps, const char *stem,
                  const char *dataref, const plots_format *fmts, size_t nfmts,
                  char *const *out, const plots_page *pg)
{
    int st = GSL_SUCCESS;
    if (stem) {
        st |= spl_buf_printf(b, "# %s.gp: re-renders", stem);
        for (size_t k = 0; k < nfmts; k++) st |= spl_buf_printf(b, " %s.%s", stem, plots_format_ext(fmts[k]));
        st |= spl_buf_printf(b, " from %s.csv.\n", stem);
        st |= spl_buf_printf(b, "%s", spl_buf_str(&f->comment));
        st |= spl_buf_printf(b, "# Run it in this directory: gnuplot %s.gp   (gnuplot %d.%d or later)\n",
                        stem, PLOTS_MIN_MAJOR, PLOTS_MIN_MINOR);
    }
    st |= spl_buf_printf(b, "DATA = '%s'\nLIVE = 0\nPAUSE = %g\nFONTSIZE = %g\n", dataref, pg->delay, pg->font);
    for (size_t k = 0; k < nfmts; k++) st |= spl_buf_printf(b, "OUT_%s = '%s'\n", plots_format_ext(fmts[k]), out[k]);
    st |= spl_buf_printf(b, "do for [FMT in \"");
    for (size_t k = 0; k < nfmts; k++) st |= spl_buf_printf(b, "%s%s", k ? " " : "", plots_format_ext(fmts[k]));
    st |= spl_buf_printf(b, "\"] {\nreset\n");
    for (size_t k = 0; k < nfmts; k++) {
        st |= spl_buf_printf(b, "if (FMT eq \"%s\") { ", plots_format_ext(fmts[k]));
        int t = terminal(caps, fmts[k], pg, b, NULL);
        if (t) return t;
        st |= spl_buf_printf(b, " }\n");
    }
    st |= spl_buf_printf(b, "set output value('OUT_'.FMT)\n%s%s", PLOTS_STYLE, spl_buf_str(&f->body));
    if (f->body.len && f->body.s[f->body.len - 1] != '\n') st |= spl_buf_printf(b, "\n");
    st |= spl_buf_printf(b, "unset output\n}\n");
    return st ? GSL_ENOMEM : GSL_SUCCESS;
}

static int formats_ok(const plots_format *fmts, size_t nfmts)
{
    if (!fmts || nfmts == 0 || nfmts > 4) return 0;
    for (size_t k = 0; k < nfmts; k++) {
        if (!plots_format_ext(fmts[k])) return 0;
        for (size_t j = 0; j < k; j++)
            if (fmts[j] == fmts[k]) return 0;
    }
    return 1;
}

char *plots_fig_script(const plots_fig *f, const plots_caps *caps, const char *stem,
                       const plots_format *fmts, size_t nfmts, const plots_page *page)
{
    if (!page) page = &page_default;
    if (!f || f->failed || !stem_ok(stem) || !formats_ok(fmts, nfmts) || !page_ok(page)) return NULL;
    char *out[4] = {0}, data[256];
    int st = GSL_SUCCESS;
    for (size_t k = 0; k < nfmts && !st; k++) {
        out[k] = malloc(strlen(stem) + 8);
        if (!out[k]) st = GSL_ENOMEM;
        else sprintf(out[k], "%s.%s", stem, plots_format_ext(fmts[k]));
    }
    snprintf(data, sizeof data, "%s.csv", stem);
    spl_buf b = SPL_BUF_INIT;
    if (!st) st = script(&b, f, caps, stem, data, fmts, nfmts, out, page);
    for (size_t k = 0; k < nfmts; k++) free(out[k]);
    if (st) { spl_buf_release(&b); return NULL; }
    return spl_buf_take(&b);
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Write text to DIR/NAME atomically (common/spl_file.h).  The library does
 * not print: the reason of a failure is dropped, the status kept. */
static int write_atomic(const char *dir, const char *name, const char *text)
{
    char *final = join(dir, name);
    if (!final) return GSL_ENOMEM;
    int st = spl_file_write(final, text, strlen(text), NULL, 0);
    free(final);
    return st == GSL_ENOMEM ? st : st ? GSL_EFAILED : GSL_SUCCESS;
}

int plots_write_file(const char *dir, const char *name, const char *text)
{
    if (!dir_ok(dir) || !stem_ok(name) || !text) return GSL_EINVAL;
    return write_atomic(dir, name, text);
}

int plots_fig_write(const plots_fig *f, const plots_caps *caps, const char *dir, const char *stem,
                    const plots_format *fmts, size_t nfmts, const plots_page *page,
                    unsigned *rendered)
{
    if (rendered) *rendered = 0;
    if (!page) page = &page_default;
    if (!f || !caps || !stem_ok(stem) || !dir_ok(dir) || !formats_ok(fmts, nfmts) || !page_ok(page))
        return GSL_EINVAL;
    if (f->failed) return f->failed;
    char name[256];
    /* Inputs are valid, so a NULL script means a terminal is missing: the
     * script then names the usual terminals (it is for another machine). */
    char *gp = plots_fig_script(f, caps, stem, fmts, nfmts, page);
    if (!gp) gp = plots_fig_script(f, NULL, stem, fmts, nfmts, page);
    if (!gp) return GSL_ENOMEM;
    snprintf(name, sizeof name, "%s.csv", stem);
    int st = write_atomic(dir, name, spl_buf_str(&f->data));
    snprintf(name, sizeof name, "%s.gp", stem);
    if (!st) st = write_atomic(dir, name, gp);
    free(gp);
    if (st || !caps->found) return st;

    /* Every terminal must exist before anything is rendered. */
    spl_buf probe = SPL_BUF_INIT;
    for (size_t k = 0; k < nfmts && !st; k++) st = terminal(caps, fmts[k], page, &probe, NULL);
    spl_buf_release(&probe);
    if (st) return st;

    /* gnuplot writes each image to a temporary file beside it (made here,
     * empty); each is renamed into place (spl_file_commit) only once gnuplot
     * has exited successfully. */
    char *tmp[4] = {0}, *final[4] = {0};
    for (size_t k = 0; k < nfmts && !st; k++) {
        snprintf(name, sizeof name, "%s.%s", stem, plots_format_ext(fmts[k]));
        if (!(final[k] = join(dir, name))) st = GSL_ENOMEM;
        else if (spl_file_temp(final[k], &tmp[k], NULL, 0)) st = GSL_EFAILED;
    }
    spl_buf b = SPL_BUF_INIT;
    if (!st) st = script(&b, f, caps, NULL, "$DATA", fmts, nfmts, tmp, page);
    if (!st) {
        plots_pipe *p = plots_pipe_open(caps, &st);
        if (p) {
            plots_pipe_datablock(p, "DATA", spl_buf_str(&f->data));
            plots_pipe_write(p, b.s, b.len);
            st = plots_pipe_close(p, NULL);
        }
    }
    spl_buf_release(&b);
    /* gnuplot must have written something into every file */
    for (size_t k = 0; k < nfmts && !st; k++) {
        struct stat sb;
        if (stat(tmp[k], &sb) != 0 || sb.st_size == 0) st = GSL_EFAILED;
    }
    for (size_t k = 0; k < nfmts; k++) {
        if (!tmp[k]) { free(final[k]); continue; }
        if (!st && spl_file_commit(tmp[k], final[k], NULL, 0) == GSL_SUCCESS) {
            if (rendered) *rendered |= 1u << fmts[k];
            free(tmp[k]);
        } else {
            if (!st) st = GSL_EFAILED;
            spl_file_discard(tmp[k]);   /* (a failed commit has removed it already) */
        }
        free(final[k]);
    }
    return st;
}

int plots_fig_show(const plots_fig *f, const plots_caps *caps, const plots_page *page)
{
    if (!page) page = &page_default;
    if (!f || !caps || !page_ok(page)) return GSL_EINVAL;
    if (f->failed) return f->failed;
    if (plots_live_check(caps, NULL, NULL)) return GSL_EUNSUP;
    spl_buf b = SPL_BUF_INIT;
    int st = spl_buf_printf(&b, "DATA = '$DATA'\nLIVE = 1\nPAUSE = %g\nFONTSIZE = %g\nFMT = 'live'\nreset\n",
                       page->delay, page->font);
    if (!st) st = terminal(caps, PLOTS_LIVE, page, &b, NULL);
    if (!st) st = spl_buf_printf(&b, "\n%s%s\npause mouse close\n", PLOTS_STYLE, spl_buf_str(&f->body));
    if (st) { spl_buf_release(&b); return st; }
    plots_pipe *p = plots_pipe_open(caps, &st);
    if (p) {
        plots_pipe_datablock(p, "DATA", spl_buf_str(&f->data));
        plots_pipe_write(p, b.s, b.len);
        st = plots_pipe_close(p, NULL);
    }
    spl_buf_release(&b);
    return st;
}
