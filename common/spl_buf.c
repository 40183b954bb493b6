/* common/spl_buf.c — the growable text buffer (common/spl_buf.h). */
#include "common/spl_buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include "common/spl.h"
#include "common/spl_file.h"

#define SPL_BUF_FIRST 256   /* bytes of the first allocation */

void spl_buf_init(spl_buf *b)
{
    if (b) *b = (spl_buf)SPL_BUF_INIT;
}

void spl_buf_release(spl_buf *b)
{
    if (!b) return;
    free(b->s);
    spl_buf_init(b);
}

void spl_buf_reset(spl_buf *b)
{
    if (!b) return;
    b->len = 0;
    if (b->s) b->s[0] = '\0';
}

/* Room for n more bytes and the '\0'; a failure is remembered. */
static int reserve(spl_buf *b, size_t n)
{
    if (b->status) return b->status;
    if (n > (size_t)-1 - 1 - b->len) return b->status = GSL_ENOMEM;
    size_t need = b->len + n + 1;
    if (need <= b->cap) return GSL_SUCCESS;
    size_t cap = b->cap ? b->cap : SPL_BUF_FIRST;
    while (cap < need) {
        if (cap > (size_t)-1 / 2) { cap = need; break; }
        cap *= 2;
    }
    char *s = realloc(b->s, cap);
    if (!s) return b->status = GSL_ENOMEM;
    b->s = s;
    b->cap = cap;
    return GSL_SUCCESS;
}

int spl_buf_vprintf(spl_buf *b, const char *fmt, va_list ap)
{
    if (!b) return GSL_EINVAL;
    if (b->status) return b->status;
    if (!fmt) return b->status = GSL_EINVAL;
    va_list ap2;
    va_copy(ap2, ap);
    int need = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (need < 0) return b->status = GSL_EFAILED;
    int st = reserve(b, (size_t)need);
    if (st) return st;
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    b->len += (size_t)need;
    return GSL_SUCCESS;
}

int spl_buf_printf(spl_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int st = spl_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return st;
}

int spl_buf_append(spl_buf *b, const void *data, size_t n)
{
    if (!b) return GSL_EINVAL;
    if (b->status) return b->status;
    if (!data && n) return b->status = GSL_EINVAL;
    int st = reserve(b, n);
    if (st) return st;
    if (n) memcpy(b->s + b->len, data, n);
    b->len += n;
    b->s[b->len] = '\0';
    return GSL_SUCCESS;
}

int spl_buf_puts(spl_buf *b, const char *text)
{
    if (b && !text && !b->status) return b->status = GSL_EINVAL;
    return spl_buf_append(b, text, text ? strlen(text) : 0);
}

const char *spl_buf_str(const spl_buf *b) { return b && b->s ? b->s : ""; }

int spl_buf_status(const spl_buf *b) { return b ? b->status : GSL_EINVAL; }

char *spl_buf_take(spl_buf *b)
{
    if (!b) return NULL;
    if (b->status) { spl_buf_release(b); return NULL; }
    char *s = b->s ? b->s : calloc(1, 1);
    spl_buf_init(b);
    return s;
}

int spl_buf_write(const spl_buf *b, const char *path, char *err, size_t errlen)
{
    if (!b) return spl_errf(GSL_EINVAL, err, errlen, "no text to write to '%s'", path ? path : "?");
    if (b->status)
        return spl_errf(b->status, err, errlen, "not writing '%s': building its text failed (%s)",
                        path ? path : "?", gsl_strerror(b->status));
    return spl_file_write(path, b->s, b->len, err, errlen);
}
