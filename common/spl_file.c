/* common/spl_file.c — atomic writes (common/spl_file.h). */
#include "common/spl_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <gsl/gsl_errno.h>
#include "common/spl.h"

/* The process's umask without changing it: Linux reports it in
 * /proc/self/status ("Umask:\t0022"); elsewhere set it and put it back
 * (not thread-safe, hence the first way). */
static mode_t current_umask(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f) {
        char line[256];
        unsigned m;
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "Umask: %o", &m) == 1) { fclose(f); return (mode_t)m & 0777; }
        fclose(f);
    }
    mode_t um = umask(022);
    umask(um);
    return um;
}

/* path split into its directory ("." when it has no '/') and its last part.
 * 0, or −1 (no memory: *dir NULL). */
static int split(const char *path, char **dir, const char **base)
{
    const char *slash = strrchr(path, '/');
    *base = slash ? slash + 1 : path;
    if (!slash) { *dir = strdup("."); return *dir ? 0 : -1; }
    size_t n = slash == path ? 1 : (size_t)(slash - path);   /* "/x": the directory is "/" */
    *dir = malloc(n + 1);
    if (!*dir) return -1;
    memcpy(*dir, path, n);
    (*dir)[n] = '\0';
    return 0;
}

static int path_ok(const char *path, char *err, size_t errlen)
{
    if (!path || !*path) return spl_errf(GSL_EINVAL, err, errlen, "no file name given");
    if (path[strlen(path) - 1] == '/')
        return spl_errf(GSL_EINVAL, err, errlen, "'%s' names a directory, not a file", path);
    return GSL_SUCCESS;
}

/* Create DIR/.BASE.XXXXXX.tmp; its descriptor, or −1 with the reason. */
static int make_temp(const char *path, char **tmp, int *status, char *err, size_t errlen)
{
    char *dir;
    const char *base;
    *tmp = NULL;
    if (split(path, &dir, &base)) { *status = spl_errf(GSL_ENOMEM, err, errlen, "out of memory writing '%s'", path); return -1; }
    size_t n = strlen(dir) + strlen(base) + 16;
    char *t = malloc(n);
    if (!t) { free(dir); *status = spl_errf(GSL_ENOMEM, err, errlen, "out of memory writing '%s'", path); return -1; }
    snprintf(t, n, "%s/.%s.XXXXXX.tmp", dir, base);
    free(dir);
    int fd = mkstemps(t, 4);
    if (fd < 0) {
        *status = spl_errf(GSL_EFAILED, err, errlen, "cannot create a temporary file beside '%s': %s", path, strerror(errno));
        free(t);
        return -1;
    }
    *tmp = t;
    *status = GSL_SUCCESS;
    return fd;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) { if (errno == EINTR) continue; return -1; }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Steps 2–5 on an open descriptor of tmp; closes fd; removes tmp on failure. */
static int finish(int fd, const char *tmp, const char *path, char *err, size_t errlen)
{
    int st = GSL_SUCCESS;
    if (fsync(fd) != 0)
        st = spl_errf(GSL_EFAILED, err, errlen, "cannot flush '%s' to disk: %s", path, strerror(errno));
    else if (fchmod(fd, 0666 & ~current_umask()) != 0)
        st = spl_errf(GSL_EFAILED, err, errlen, "cannot set the mode of '%s': %s", path, strerror(errno));
    if (close(fd) != 0 && st == GSL_SUCCESS)
        st = spl_errf(GSL_EFAILED, err, errlen, "cannot close '%s': %s", path, strerror(errno));
    if (st == GSL_SUCCESS && rename(tmp, path) != 0)
        st = spl_errf(GSL_EFAILED, err, errlen, "cannot rename the temporary file onto '%s': %s", path, strerror(errno));
    if (st != GSL_SUCCESS) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return st;
    }
    char *dir;
    const char *base;
    if (split(path, &dir, &base)) return spl_errf(GSL_ENOMEM, err, errlen, "out of memory writing '%s'", path);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd < 0) {
        st = spl_errf(GSL_EFAILED, err, errlen, "wrote '%s' but cannot open its directory to flush it: %s", path, strerror(errno));
    } else {
        if (fsync(dfd) != 0 && errno != EINVAL)
            st = spl_errf(GSL_EFAILED, err, errlen, "wrote '%s' but cannot flush its directory: %s", path, strerror(errno));
        close(dfd);
    }
    free(dir);
    return st;
}

int spl_file_write(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    int st = path_ok(path, err, errlen);
    if (st) return st;
    if (!data && len) return spl_errf(GSL_EINVAL, err, errlen, "no data to write to '%s'", path);
    char *tmp;
    int fd = make_temp(path, &tmp, &st, err, errlen);
    if (fd < 0) return st;
    if (write_all(fd, data, len) != 0) {
        st = spl_errf(GSL_EFAILED, err, errlen, "cannot write '%s': %s", path, strerror(errno));
        int e = errno;
        close(fd);
        unlink(tmp);
        errno = e;
    } else {
        st = finish(fd, tmp, path, err, errlen);
    }
    free(tmp);
    return st;
}

int spl_file_temp(const char *path, char **tmp, char *err, size_t errlen)
{
    if (!tmp) return spl_errf(GSL_EINVAL, err, errlen, "no place for the temporary file's name");
    *tmp = NULL;
    int st = path_ok(path, err, errlen);
    if (st) return st;
    int fd = make_temp(path, tmp, &st, err, errlen);
    if (fd < 0) return st;
    if (close(fd) != 0) {
        st = spl_errf(GSL_EFAILED, err, errlen, "cannot close the temporary file beside '%s': %s", path, strerror(errno));
        spl_file_discard(*tmp);
        *tmp = NULL;
    }
    return st;
}

int spl_file_commit(const char *tmp, const char *path, char *err, size_t errlen)
{
    int st = path_ok(path, err, errlen);
    if (!tmp) return spl_errf(GSL_EINVAL, err, errlen, "no temporary file to rename onto '%s'", path ? path : "?");
    if (st) { unlink(tmp); return st; }
    int fd = open(tmp, O_RDONLY);
    if (fd < 0) {
        st = spl_errf(GSL_EFAILED, err, errlen, "cannot open the temporary file of '%s': %s", path, strerror(errno));
        unlink(tmp);
        return st;
    }
    return finish(fd, tmp, path, err, errlen);
}

void spl_file_discard(char *tmp)
{
    if (!tmp) return;
    int e = errno;
    unlink(tmp);
    errno = e;
    free(tmp);
}

int spl_file_read(const char *path, char **data, size_t *len, char *err, size_t errlen)
{
    if (!data || !len) return spl_errf(GSL_EINVAL, err, errlen, "no place for the contents of '%s'", path ? path : "?");
    *data = NULL;
    *len = 0;
    int st = path_ok(path, err, errlen);
    if (st) return st;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return spl_errf(GSL_EFAILED, err, errlen, "cannot open '%s': %s", path, strerror(errno));
    struct stat sb;
    int fs = fstat(fd, &sb);
    if (fs != 0 || !S_ISREG(sb.st_mode)) {
        int e = fs != 0 ? errno : EINVAL;
        close(fd);
        errno = e;
        return spl_errf(GSL_EFAILED, err, errlen, "'%s' is not a regular file", path);
    }
    size_t cap = (size_t)sb.st_size + 1, n = 0;   /* grows if the file grows meanwhile */
    char *b = malloc(cap);
    if (!b) { close(fd); return spl_errf(GSL_ENOMEM, err, errlen, "out of memory reading '%s' (%zu bytes)", path, cap - 1); }
    for (;;) {
        if (n + 1 == cap) {
            char *nb = cap > ((size_t)-1) / 2 ? NULL : realloc(b, 2 * cap);
            if (!nb) { free(b); close(fd); return spl_errf(GSL_ENOMEM, err, errlen, "out of memory reading '%s'", path); }
            b = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, b + n, cap - 1 - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            st = spl_errf(GSL_EFAILED, err, errlen, "cannot read '%s': %s", path, strerror(errno));
            int e = errno;
            free(b);
            close(fd);
            errno = e;
            return st;
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    b[n] = '\0';
    *data = b;
    *len = n;
    return GSL_SUCCESS;
}

uint32_t spl_crc32(const void *data, size_t n)
{
    uLong c = crc32(0L, Z_NULL, 0);
    const unsigned char *p = data;
    while (n > 0) {   /* zlib takes at most UINT_MAX bytes a call */
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        c = crc32(c, p, k);
        p += k;
        n -= k;
    }
    return (uint32_t)c;
}
