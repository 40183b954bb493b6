#include "tests/cu_util.h"

#include <math.h>
#include <stdio.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cu_check_mixed(double obt, double exp, double atol, double rtol, const char *what,
                   const char *file, int line)
{
    int ok;
    if (isnan(exp) || isnan(obt)) ok = isnan(exp) && isnan(obt);
    else if (isinf(exp) || isinf(obt)) ok = (obt == exp);
    else ok = fabs(obt - exp) <= atol + rtol * fabs(exp);
    if (!ok) {
        double rel = exp != 0 ? fabs(obt - exp) / fabs(exp) : fabs(obt - exp);
        fprintf(stderr, "\n  %s:%d: %s: expected %.17g, obtained %.17g, rel err %.3g "
                "(atol %.3g, rtol %.3g)\n", file, line, what, exp, obt, rel, atol, rtol);
    }
    return ok;
}

int cu_check_se(double obt, double exp, double se, double k, const char *what,
                const char *file, int line)
{
    int ok = isfinite(obt) && isfinite(se) && fabs(obt - exp) <= k * se;
    if (!ok)
        fprintf(stderr, "\n  %s:%d: %s: expected %.12g, obtained %.12g ± %.3g (%.2f SE, limit %.1f)\n",
                file, line, what, exp, obt, se, se > 0 ? fabs(obt - exp) / se : INFINITY, k);
    return ok;
}

uint64_t cu_seed(uint64_t dflt)
{
    static int printed = 0;
    const char *s = getenv("SPIRELAB_TEST_SEED");
    uint64_t seed = s ? strtoull(s, NULL, 10) : dflt;
    if (!printed) {
        fprintf(stderr, "random tests: SPIRELAB_TEST_SEED=%llu\n", (unsigned long long)seed);
        printed = 1;
    }
    return seed;
}

const char *cu_spirelab_path(void)
{
    const char *p = getenv("SPIRELAB");
    return p ? p : "build/spirelab";
}

/* ---- scratch directories and files ------------------------------------------ */
char *cu_scratch(void)
{
    char *d = strdup("/tmp/spirelab_test.XXXXXX");
    if (d && !mkdtemp(d)) { free(d); d = NULL; }
    return d;
}

void cu_rm_dir(char *d)
{
    if (!d) return;
    DIR *D = opendir(d);
    struct dirent *e;
    char p[4096];
    while (D && (e = readdir(D)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(p, sizeof p, "%s/%s", d, e->d_name);
            unlink(p);
        }
    if (D) closedir(D);
    rmdir(d);
    free(d);
}

char *cu_slurp(const char *d, const char *name)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", d, name);
    FILE *f = fopen(p, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) { free(s); s = NULL; }
    if (s) s[n] = '\0';
    fclose(f);
    return s;
}

int cu_exists(const char *d, const char *name)
{
    char p[4096];
    struct stat sb;
    snprintf(p, sizeof p, "%s/%s", d, name);
    return stat(p, &sb) == 0 && sb.st_size > 0;
}

/* PNG signature and IHDR: width and height (big-endian).  1 if valid. */
int cu_png_size(const char *d, const char *name, unsigned *w, unsigned *h)
{
    static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    char p[4096];
    unsigned char b[24];
    snprintf(p, sizeof p, "%s/%s", d, name);
    FILE *f = fopen(p, "rb");
    if (!f) return 0;
    size_t n = fread(b, 1, sizeof b, f);
    fclose(f);
    if (n != sizeof b || memcmp(b, sig, 8) || memcmp(b + 12, "IHDR", 4)) return 0;
    *w = (unsigned)b[16] << 24 | (unsigned)b[17] << 16 | (unsigned)b[18] << 8 | b[19];
    *h = (unsigned)b[20] << 24 | (unsigned)b[21] << 16 | (unsigned)b[22] << 8 | b[23];
    return 1;
}

