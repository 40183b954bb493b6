/* common/spl_buf.h — the one growable text buffer of spirelab.
 *
 * A CSV, a gnuplot script, a report page or a log is built in memory with
 * printf-style appends, then written in one go (spl_buf_write: atomically,
 * common/spl_file.h).  The buffer remembers its first failure: after an
 * allocation fails every later append does nothing and returns the same
 * status, and spl_buf_write refuses to write — a failed append can never
 * become a truncated file reported as a success.  So a builder may append
 * many times and check once, at the end.
 *
 * The memory: s (NULL until the first append; always '\0'-terminated after
 * one) grows by doubling; the buffer is a plain struct the caller owns (on
 * the stack or inside another object), started with SPL_BUF_INIT (or
 * spl_buf_init) and ended with spl_buf_release, which frees s.
 *
 * Typical use:
 *     spl_buf b = SPL_BUF_INIT;
 *     spl_buf_puts(&b, "x,y\n");
 *     for (...) spl_buf_printf(&b, "%g,%g\n", x, y);
 *     int st = spl_buf_write(&b, "out/xy.csv", err, sizeof err);   (or spl_buf_status(&b))
 *     spl_buf_release(&b);
 */
#ifndef SPL_BUF_H
#define SPL_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct {
    char *s;          /* the text, '\0'-terminated (NULL while empty: use spl_buf_str) */
    size_t len;       /* bytes of text, without the '\0' */
    size_t cap;       /* bytes allocated */
    int status;       /* GSL_SUCCESS, or the first failure (sticky) */
} spl_buf;

#define SPL_BUF_INIT { NULL, 0, 0, 0 }

/* b ← empty (SPL_BUF_INIT); does not free anything. */
void spl_buf_init(spl_buf *b);
/* Free the text and make b empty again (NULL is fine). */
void spl_buf_release(spl_buf *b);
/* Empty the text but keep its memory and its status. */
void spl_buf_reset(spl_buf *b);

/* Append formatted text / n bytes / a C string.  GSL_SUCCESS; GSL_ENOMEM
 * (out of memory or a size that overflows); GSL_EFAILED (vsnprintf failed:
 * an encoding error or more than INT_MAX bytes in one call); GSL_EINVAL (b
 * NULL, or fmt/text NULL).  Once failed, the buffer stays failed. */
int spl_buf_printf(spl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int spl_buf_vprintf(spl_buf *b, const char *fmt, va_list ap);
int spl_buf_append(spl_buf *b, const void *data, size_t n);
int spl_buf_puts(spl_buf *b, const char *text);

/* The text ("" while empty or for NULL); valid until the next append. */
const char *spl_buf_str(const spl_buf *b);
/* GSL_SUCCESS, or the first failure of an append (GSL_EINVAL for NULL). */
int spl_buf_status(const spl_buf *b);
/* Hand the text over (a string the caller frees; a new "" if empty) and
 * leave b empty; NULL (and b released) if an append failed or memory ran out. */
char *spl_buf_take(spl_buf *b);

/* Write the text to path atomically (spl_file_write).  Refuses to write a
 * buffer whose appends failed: returns that status, with the reason. */
int spl_buf_write(const spl_buf *b, const char *path, char *err, size_t errlen);

#endif
