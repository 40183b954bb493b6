/* tests/cu_common.c — common/: logistic helpers, seeds, Welford stats
 * (spl.h); atomic writes (spl_file.h): content, mode, failures that leave the
 * old file and no temporary, a writer killed at random moments never leaves
 * a torn file; the growable buffer (spl_buf.h) against snprintf, and its
 * sticky failure. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_statistics_double.h>
#include "common/spl.h"
#include "common/spl_buf.h"
#include "common/spl_file.h"
#include "tests/cu_util.h"

static void test_sigmoid(void)
{
    /* Closed forms: σ(0) = 1/2, σ(log 3) = 3/4, σ(−x) = 1 − σ(x); no overflow. */
    ASSERT_REL(spl_sigmoid(0.0), 0.5, TOL0);
    ASSERT_REL(spl_sigmoid(log(3.0)), 0.75, TOL1);
    ASSERT_REL(spl_sigmoid(-log(3.0)), 0.25, TOL1);
    ASSERT_REL(spl_sigmoid(-800.0), 0.0, TOL0);
    ASSERT_REL(spl_sigmoid(800.0), 1.0, TOL0);
    ASSERT_REL(spl_sigmoid(-40.0), exp(-40.0) / (1 + exp(-40.0)), TOL1);
    ASSERT_REL(spl_log1pexp(1000.0), 1000.0, TOL0);
    ASSERT_REL(spl_log1pexp(-50.0), exp(-50.0), TOL1);
    ASSERT_REL(spl_log1pexp(0.0), log(2.0), TOL1);
    ASSERT_REL(spl_logit(0.75), log(3.0), TOL1);
    ASSERT_REL(spl_logit(1e-6), log(1e-6 / (1 - 1e-6)), TOL1);
    /* 1 − 1e-6 is not representable: compare with the exact double's logit. */
    double q = 1 - 1e-6;
    ASSERT_REL(spl_logit(q), log(q) - log1p(-q), TOL2);
}

static void test_sigmoid_diff(void)
{
    /* σ(x) − σ(y) for x − y tiny: derivative σ(1−σ)·(x−y) to first order. */
    double y = 0.3, x = y + 1e-12, h = x - y, s = spl_sigmoid(y);  /* h exact */
    ASSERT_REL(spl_sigmoid_diff(x, y), s * (1 - s) * h, 1e-10);
    ASSERT_REL(spl_sigmoid_diff(2.0, -1.0), spl_sigmoid(2.0) - spl_sigmoid(-1.0), TOL1);
    ASSERT_REL(spl_sigmoid_diff(-60.0, 60.0), -1.0, TOL1);
}

static void test_stat(void)
{
    /* Welford + merge against GSL's two-pass mean and sd. */
    double x[1000];
    gsl_rng *r = spl_rng_alloc(cu_seed(12345), 0, 0);
    for (int i = 0; i < 1000; i++) x[i] = 1e6 + gsl_rng_uniform(r);
    gsl_rng_free(r);
    spl_stat a = {0}, b = {0};
    for (int i = 0; i < 377; i++) spl_stat_add(&a, x[i]);
    for (int i = 377; i < 1000; i++) spl_stat_add(&b, x[i]);
    spl_stat_merge(&a, &b);
    ASSERT_REL(a.mean, gsl_stats_mean(x, 1, 1000), TOL1);
    ASSERT_REL(spl_stat_sd(&a), gsl_stats_sd(x, 1, 1000), 1e-9);
    ASSERT_REL(spl_stat_se(&a), gsl_stats_sd(x, 1, 1000) / sqrt(1000.0), 1e-9);
}

static void test_streams(void)
{
    /* The same (seed, i, j) gives the same stream; neighbours differ. */
    gsl_rng *r1 = spl_rng_alloc(7, 3, 4), *r2 = spl_rng_alloc(7, 3, 4), *r3 = spl_rng_alloc(7, 4, 3);
    int same = 1, differ = 0;
    for (int i = 0; i < 100; i++) {
        unsigned long a = gsl_rng_get(r1), b = gsl_rng_get(r2), c = gsl_rng_get(r3);
        same &= (a == b);
        differ += (a != c);
    }
    CU_ASSERT(same);
    CU_ASSERT(differ > 95);
    CU_ASSERT(spl_stream_seed(1, 2, 3) != spl_stream_seed(1, 3, 2));
    gsl_rng_free(r1); gsl_rng_free(r2); gsl_rng_free(r3);
}

/* ---- common/spl_file.h: atomic writes ---------------------------------------------- */

/* Files in d (hidden ones too), and how many of them end in ".tmp". */
static size_t count_entries(const char *d, size_t *ntmp)
{
    DIR *D = opendir(d);
    struct dirent *e;
    size_t n = 0;
    if (ntmp) *ntmp = 0;
    while (D && (e = readdir(D))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        n++;
        size_t l = strlen(e->d_name);
        if (ntmp && l > 4 && !strcmp(e->d_name + l - 4, ".tmp")) (*ntmp)++;
    }
    if (D) closedir(D);
    return n;
}

static void test_file_write(void)
{
    char *d = cu_scratch(), path[512], err[512];
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    snprintf(path, sizeof path, "%s/a.csv", d);
    mode_t old = umask(022);
    CU_ASSERT_EQUAL(spl_file_write(path, "x,y\n1,2\n", 8, err, sizeof err), GSL_SUCCESS);
    char *s = cu_slurp(d, "a.csv");
    CU_ASSERT(s && !strcmp(s, "x,y\n1,2\n"));
    free(s);
    struct stat sb;
    CU_ASSERT(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0644);   /* 0666 less the umask */
    /* overwrite: the new content, still one file, no temporary left */
    umask(077);
    CU_ASSERT_EQUAL(spl_file_write(path, "new", 3, err, sizeof err), GSL_SUCCESS);
    umask(old);
    s = cu_slurp(d, "a.csv");
    CU_ASSERT(s && !strcmp(s, "new"));
    free(s);
    CU_ASSERT(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
    size_t ntmp;
    CU_ASSERT_EQUAL(count_entries(d, &ntmp), 1);
    CU_ASSERT_EQUAL(ntmp, 0);
    /* an empty file, and a name without a directory part */
    CU_ASSERT_EQUAL(spl_file_write(path, NULL, 0, err, sizeof err), GSL_SUCCESS);
    CU_ASSERT(stat(path, &sb) == 0 && sb.st_size == 0);
    char cwd[4096];
    CU_ASSERT_PTR_NOT_NULL_FATAL(getcwd(cwd, sizeof cwd));
    CU_ASSERT_EQUAL_FATAL(chdir(d), 0);
    CU_ASSERT_EQUAL(spl_file_write("b.txt", "b", 1, err, sizeof err), GSL_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(chdir(cwd), 0);
    CU_ASSERT(cu_exists(d, "b.txt"));
    /* bad arguments */
    CU_ASSERT_EQUAL(spl_file_write(NULL, "x", 1, err, sizeof err), GSL_EINVAL);
    CU_ASSERT_EQUAL(spl_file_write("", "x", 1, err, sizeof err), GSL_EINVAL);
    CU_ASSERT_EQUAL(spl_file_write(path, NULL, 1, err, sizeof err), GSL_EINVAL);
    snprintf(path, sizeof path, "%s/", d);
    CU_ASSERT_EQUAL(spl_file_write(path, "x", 1, err, sizeof err), GSL_EINVAL);
    CU_ASSERT(strstr(err, "names a directory") != NULL);
    cu_rm_dir(d);
}

/* Failures leave the old file and no temporary file behind, and say why. */
static void test_file_failures(void)
{
    char *d = cu_scratch(), path[512], err[512];
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    /* a directory that does not exist */
    snprintf(path, sizeof path, "%s/no/such/dir/x.csv", d);
    CU_ASSERT_EQUAL(spl_file_write(path, "x", 1, err, sizeof err), GSL_EFAILED);
    CU_ASSERT(strstr(err, "cannot create a temporary file beside") != NULL && strstr(err, path) != NULL);
    CU_ASSERT_EQUAL(count_entries(d, NULL), 0);
    /* the target is a directory: the rename fails, the temporary file goes */
    snprintf(path, sizeof path, "%s/sub", d);
    CU_ASSERT_EQUAL_FATAL(mkdir(path, 0755), 0);
    CU_ASSERT_EQUAL(spl_file_write(path, "x", 1, err, sizeof err), GSL_EFAILED);
    CU_ASSERT(strstr(err, "cannot rename") != NULL);
    size_t ntmp;
    CU_ASSERT_EQUAL(count_entries(d, &ntmp), 1);
    CU_ASSERT_EQUAL(ntmp, 0);
    /* an unwritable directory (not for root, who may write anywhere) */
    if (geteuid() != 0) {
        CU_ASSERT_EQUAL_FATAL(chmod(path, 0555), 0);
        char p2[600];
        snprintf(p2, sizeof p2, "%s/x.csv", path);
        CU_ASSERT_EQUAL(spl_file_write(p2, "x", 1, err, sizeof err), GSL_EFAILED);
        CU_ASSERT_EQUAL(count_entries(path, NULL), 0);
        chmod(path, 0755);
    }
    rmdir(path);
    /* a write that fails half-way (the file size limit: EFBIG, also for root):
     * the old content stays, whole, and no temporary file is left */
    snprintf(path, sizeof path, "%s/keep.csv", d);
    CU_ASSERT_EQUAL_FATAL(spl_file_write(path, "old\n", 4, err, sizeof err), GSL_SUCCESS);
    char big[8192];
    memset(big, 'n', sizeof big);
    struct rlimit rl, small;
    CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_FSIZE, &rl), 0);
    small = rl;
    small.rlim_cur = 1000;
    void (*h)(int) = signal(SIGXFSZ, SIG_IGN);
    CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_FSIZE, &small), 0);
    int st = spl_file_write(path, big, sizeof big, err, sizeof err);
    setrlimit(RLIMIT_FSIZE, &rl);
    signal(SIGXFSZ, h);
    CU_ASSERT_EQUAL(st, GSL_EFAILED);
    CU_ASSERT(strstr(err, "cannot write") != NULL);
    char *s = cu_slurp(d, "keep.csv");
    CU_ASSERT(s && !strcmp(s, "old\n"));
    free(s);
    CU_ASSERT_EQUAL(count_entries(d, &ntmp), 1);
    CU_ASSERT_EQUAL(ntmp, 0);
    cu_rm_dir(d);
}

/* A writer killed at a random moment (SIGKILL: no clean-up at all) leaves the
 * target either wholly old or wholly new, never torn or empty.  The child
 * rewrites the file with 'a'×N, 'b'×N, 'a'×N, ... */
static void test_file_killed(void)
{
    char *d = cu_scratch(), path[512], err[512];
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    snprintf(path, sizeof path, "%s/t.bin", d);
    enum { N = 1 << 18 };
    char *buf = malloc(N);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    memset(buf, 'a', N);
    CU_ASSERT_EQUAL_FATAL(spl_file_write(path, buf, N, err, sizeof err), GSL_SUCCESS);
    gsl_rng *r = spl_rng_alloc(cu_seed(2024), 9, 0);
    int torn = 0;
    for (int it = 0; it < 12; it++) {
        fflush(NULL);
        pid_t pid = fork();
        CU_ASSERT_FATAL(pid >= 0);
        if (pid == 0) {
            for (unsigned k = 1;; k++) {
                memset(buf, k % 2 ? 'b' : 'a', N);
                spl_file_write(path, buf, N, NULL, 0);
            }
        }
        usleep((useconds_t)(1000 + gsl_rng_uniform_int(r, 20000)));
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        char *s = cu_slurp(d, "t.bin");
        struct stat sb;
        int whole = s && stat(path, &sb) == 0 && sb.st_size == N;
        for (size_t i = 1; whole && i < N; i++) whole = s[i] == s[0];
        torn += !whole || (s[0] != 'a' && s[0] != 'b');
        free(s);
    }
    CU_ASSERT_EQUAL(torn, 0);
    gsl_rng_free(r);
    free(buf);
    cu_rm_dir(d);   /* with the temporary files the killed writers left */
}

static void test_file_temp_commit_read(void)
{
    char *d = cu_scratch(), path[512], err[512];
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    snprintf(path, sizeof path, "%s/F1.png", d);
    char *tmp;
    CU_ASSERT_EQUAL_FATAL(spl_file_temp(path, &tmp, err, sizeof err), GSL_SUCCESS);
    /* beside the target, hidden, ending in .tmp */
    size_t dl = strlen(d), tl = strlen(tmp);
    CU_ASSERT(!strncmp(tmp, d, dl) && !strncmp(tmp + dl, "/.F1.png.", 9) && !strcmp(tmp + tl - 4, ".tmp"));
    FILE *f = fopen(tmp, "w");   /* as another program (gnuplot) would */
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("image", f);
    fclose(f);
    CU_ASSERT_EQUAL(spl_file_commit(tmp, path, err, sizeof err), GSL_SUCCESS);
    free(tmp);
    char *s;
    size_t n;
    CU_ASSERT_EQUAL(spl_file_read(path, &s, &n, err, sizeof err), GSL_SUCCESS);
    CU_ASSERT(n == 5 && s && !strcmp(s, "image"));
    free(s);
    /* discard: the temporary file goes, the target stays */
    CU_ASSERT_EQUAL_FATAL(spl_file_temp(path, &tmp, err, sizeof err), GSL_SUCCESS);
    spl_file_discard(tmp);
    spl_file_discard(NULL);
    size_t ntmp;
    CU_ASSERT_EQUAL(count_entries(d, &ntmp), 1);
    CU_ASSERT_EQUAL(ntmp, 0);
    /* a commit that fails removes the temporary file */
    CU_ASSERT_EQUAL_FATAL(spl_file_temp(path, &tmp, err, sizeof err), GSL_SUCCESS);
    char sub[600];
    snprintf(sub, sizeof sub, "%s/dir", d);
    CU_ASSERT_EQUAL_FATAL(mkdir(sub, 0755), 0);
    CU_ASSERT_EQUAL(spl_file_commit(tmp, sub, err, sizeof err), GSL_EFAILED);
    free(tmp);
    CU_ASSERT_EQUAL(count_entries(d, &ntmp), 2);
    CU_ASSERT_EQUAL(ntmp, 0);
    rmdir(sub);
    /* read: a missing file (errno ENOENT), a directory */
    snprintf(sub, sizeof sub, "%s/missing", d);
    CU_ASSERT_EQUAL(spl_file_read(sub, &s, &n, err, sizeof err), GSL_EFAILED);
    CU_ASSERT_EQUAL(errno, ENOENT);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_EQUAL(spl_file_read(d, &s, &n, err, sizeof err), GSL_EFAILED);
    CU_ASSERT(strstr(err, "not a regular file") != NULL);
    /* CRC-32 check value of the standard ("123456789" → CBF43926) */
    CU_ASSERT_EQUAL(spl_crc32("123456789", 9), 0xCBF43926u);
    CU_ASSERT_EQUAL(spl_crc32("", 0), 0u);
    cu_rm_dir(d);
}

/* ---- common/spl_buf.h: the growable text buffer ------------------------------------ */

static void test_buf(void)
{
    spl_buf b = SPL_BUF_INIT;
    CU_ASSERT_STRING_EQUAL(spl_buf_str(&b), "");
    CU_ASSERT_STRING_EQUAL(spl_buf_str(NULL), "");
    /* many appends across several doublings, against snprintf into one big array */
    static char ref[1 << 17];
    size_t rl = 0;
    for (int i = 0; i < 3000; i++) {
        double x = 0.1 * i - 7.25;
        CU_ASSERT_EQUAL(spl_buf_printf(&b, "%d,%.6g,%s\n", i, x, i % 7 ? "a" : "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"), GSL_SUCCESS);
        rl += (size_t)snprintf(ref + rl, sizeof ref - rl, "%d,%.6g,%s\n", i, x, i % 7 ? "a" : "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    }
    CU_ASSERT_EQUAL(b.len, rl);
    CU_ASSERT(b.cap > b.len && b.len == strlen(b.s));
    CU_ASSERT_STRING_EQUAL(spl_buf_str(&b), ref);
    /* one append bigger than the whole buffer so far */
    static char big[50000];
    memset(big, 'z', sizeof big - 1);
    CU_ASSERT_EQUAL(spl_buf_puts(&b, big), GSL_SUCCESS);
    CU_ASSERT_EQUAL(b.len, rl + sizeof big - 1);
    CU_ASSERT(!strncmp(b.s, ref, rl) && !strcmp(b.s + rl, big));
    /* bytes, including a NUL inside */
    spl_buf_reset(&b);
    CU_ASSERT_EQUAL(b.len, 0);
    CU_ASSERT_EQUAL(spl_buf_append(&b, "a\0b", 3), GSL_SUCCESS);
    CU_ASSERT(b.len == 3 && !memcmp(b.s, "a\0b", 4));
    CU_ASSERT_EQUAL(spl_buf_append(&b, NULL, 0), GSL_SUCCESS);
    /* take: the string changes hands, the buffer is empty again */
    char *s = spl_buf_take(&b);
    CU_ASSERT(s && !memcmp(s, "a\0b", 4));
    free(s);
    CU_ASSERT(b.s == NULL && b.len == 0 && b.cap == 0);
    s = spl_buf_take(&b);   /* empty: a new "" */
    CU_ASSERT(s && !*s);
    free(s);
    /* bad arguments */
    CU_ASSERT_EQUAL(spl_buf_printf(NULL, "x"), GSL_EINVAL);
    CU_ASSERT_EQUAL(spl_buf_status(NULL), GSL_EINVAL);
    spl_buf_release(NULL);
    spl_buf_release(&b);
}

/* A failed append is remembered: later appends do nothing, and the text is
 * never written as if it were complete. */
static void test_buf_sticky_failure(void)
{
    char *d = cu_scratch(), path[512], err[512];
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    snprintf(path, sizeof path, "%s/x.csv", d);
    spl_buf b = SPL_BUF_INIT;
    spl_buf_puts(&b, "header\n");
    CU_ASSERT_EQUAL(spl_buf_append(&b, "x", (size_t)-1), GSL_ENOMEM);   /* a size that cannot be met */
    CU_ASSERT_EQUAL(spl_buf_status(&b), GSL_ENOMEM);
    CU_ASSERT_EQUAL(spl_buf_printf(&b, "row %d\n", 1), GSL_ENOMEM);
    CU_ASSERT_STRING_EQUAL(spl_buf_str(&b), "header\n");
    CU_ASSERT_EQUAL(spl_buf_write(&b, path, err, sizeof err), GSL_ENOMEM);
    CU_ASSERT(strstr(err, "building its text failed") != NULL);
    CU_ASSERT(!cu_exists(d, "x.csv"));
    CU_ASSERT_EQUAL(count_entries(d, NULL), 0);
    CU_ASSERT_PTR_NULL(spl_buf_take(&b));   /* and releases */
    CU_ASSERT(b.s == NULL && b.status == 0);
    /* a good buffer is written, atomically */
    spl_buf_printf(&b, "%s,%d\n", "a", 1);
    CU_ASSERT_EQUAL(spl_buf_write(&b, path, err, sizeof err), GSL_SUCCESS);
    char *s = cu_slurp(d, "x.csv");
    CU_ASSERT(s && !strcmp(s, "a,1\n"));
    free(s);
    spl_buf_release(&b);
    cu_rm_dir(d);
}

CU_TestInfo cu_common_tests[] = {
    { "sigmoid", test_sigmoid },
    { "sigmoid_diff", test_sigmoid_diff },
    { "welford", test_stat },
    { "streams", test_streams },
    { "file_write", test_file_write },
    { "file_failures", test_file_failures },
    { "file_killed_writer", test_file_killed },
    { "file_temp_commit_read", test_file_temp_commit_read },
    { "buf", test_buf },
    { "buf_sticky_failure", test_buf_sticky_failure },
    CU_TEST_INFO_NULL
};
