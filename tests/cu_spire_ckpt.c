/* tests/cu_spire_ckpt.c — checkpoints: exact round trip, and refusal of
 * truncated, corrupt, wrong-version, wrong-size and non-finite files (each
 * crafted here byte by byte, with the checksum recomputed by zlib where the
 * test wants only one defect). */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <gsl/gsl_errno.h>
#include "spire/ckpt.h"
#include "tests/cu_util.h"

static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/cu_spire_ckpt.XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
}

static void remove_dir(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[512];
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
    if (d) closedir(d);
    rmdir(dir);
}

static size_t count_files(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0;
    while (d && (e = readdir(d))) n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");   /* temporaries are hidden */
    if (d) closedir(d);
    return n;
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    rewind(f);
    unsigned char *b = malloc(*n);
    if (fread(b, 1, *n, f) != *n) { free(b); b = NULL; }
    fclose(f);
    return b;
}

static void spit(const char *path, const unsigned char *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fwrite(b, 1, n, f), n);
    fclose(f);
}

static void fix_crc(unsigned char *b, size_t n)
{
    uint32_t c = (uint32_t)crc32(crc32(0L, Z_NULL, 0), b, (uInt)(n - 4));
    memcpy(b + n - 4, &c, 4);
}

/* Load must fail with status st and a message containing word (and, if
 * not NULL, not containing unlike: the reason, not just any refusal). */
static void expect_reason(const char *path, int st, const char *word, const char *unlike)
{
    spire_ckpt ck;
    char err[512] = "";
    int got = spire_ckpt_load(path, &ck, err, sizeof err);
    CU_ASSERT_EQUAL(got, st);
    CU_ASSERT_PTR_NULL(ck.model);
    if (!strstr(err, word) || (unlike && strstr(err, unlike))) {
        fprintf(stderr, "\n  message '%s' does not contain '%s'%s%s\n", err, word,
                unlike ? " or contains " : "", unlike ? unlike : "");
        CU_FAIL("message");
    }
}

static void expect_refused(const char *path, int st, const char *word) { expect_reason(path, st, word, NULL); }

/* A small trained-looking model with a nonzero optimiser state. */
static void fill(spire_model **mp, ddpm_schedule **sp, spire_adam **ap)
{
    spire_config cfg = { .D = 3, .E = 8, .H = 16, .L = 2, .embed_at = SPIRE_EMBED_HIDDEN, .C = 3 };
    spire_model *m = spire_model_alloc(&cfg, NULL);
    spire_model_init(m, 4);
    for (size_t i = 0; i < m->n_embed; i++) m->embed[i] = (float)sin(1.0 + i);
    spire_adam *a = spire_adam_alloc(m->n_params, m->n_embed);
    for (size_t i = 0; i < m->n_params; i++) { a->m[i] = (float)(1e-3 * i); a->v[i] = (float)(1e-6 * i); }
    for (size_t i = 0; i < m->n_embed; i++) { a->me[i] = (float)i; a->ve[i] = (float)(2 * i); }
    a->step = 1234;
    *mp = m; *sp = ddpm_schedule_alloc(DDPM_COSINE, 50, NULL); *ap = a;
}

static void test_round_trip(void)
{
    make_dir();
    spire_model *m; ddpm_schedule *s; spire_adam *a;
    fill(&m, &s, &a);
    spire_train_opts o;
    spire_train_opts_default(&o);
    o.lr = 3e-4; o.wd = 0.01; o.seed = 99;
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/a.ckpt", dir);
    CU_ASSERT_EQUAL_FATAL(spire_ckpt_save(path, m, s, a, &o, err, sizeof err), GSL_SUCCESS);
    CU_ASSERT_EQUAL(count_files(), 1);   /* no temporary left behind */
    /* save again over it: still one file */
    CU_ASSERT_EQUAL(spire_ckpt_save(path, m, s, a, &o, err, sizeof err), GSL_SUCCESS);
    CU_ASSERT_EQUAL(count_files(), 1);
    size_t n;
    unsigned char *b = slurp(path, &n);
    CU_ASSERT_EQUAL(n, 16 + SPIRE_CKPT_HEADER + 8 * 50 + 4 * (3 * m->n_params + 3 * m->n_embed) + 4);
    CU_ASSERT(memcmp(b, "SPIRECKP", 8) == 0);
    free(b);

    spire_ckpt ck;
    CU_ASSERT_EQUAL_FATAL(spire_ckpt_load(path, &ck, err, sizeof err), GSL_SUCCESS);
    const spire_config *c1 = &ck.model->cfg, *c0 = &m->cfg;   /* field by field: padding */
    CU_ASSERT(c1->D == c0->D && c1->E == c0->E && c1->H == c0->H && c1->L == c0->L &&
              c1->C == c0->C && c1->embed_at == c0->embed_at);
    CU_ASSERT(memcmp(ck.model->params, m->params, m->n_params * 4) == 0);
    CU_ASSERT(memcmp(ck.model->embed, m->embed, m->n_embed * 4) == 0);
    CU_ASSERT(memcmp(ck.adam->v, a->v, m->n_params * 4) == 0);
    CU_ASSERT(memcmp(ck.adam->ve, a->ve, m->n_embed * 4) == 0);
    CU_ASSERT_EQUAL(ck.adam->step, 1234);
    CU_ASSERT_EQUAL(ck.sched->kind, DDPM_COSINE);
    CU_ASSERT_EQUAL(ck.sched->T, 50);
    CU_ASSERT_EQUAL(ck.opts.seed, 99);
    CU_ASSERT_EQUAL(ck.opts.lr, 3e-4);
    CU_ASSERT_EQUAL(ck.opts.wd, 0.01);
    spire_ckpt_clear(&ck);
    spire_ckpt_clear(&ck);   /* twice is fine */

    /* without optimiser state: zeros */
    CU_ASSERT_EQUAL(spire_ckpt_save(path, m, s, NULL, NULL, err, sizeof err), GSL_SUCCESS);
    CU_ASSERT_EQUAL_FATAL(spire_ckpt_load(path, &ck, err, sizeof err), GSL_SUCCESS);
    CU_ASSERT_EQUAL(ck.adam->step, 0);
    CU_ASSERT_EQUAL(ck.adam->m[5], 0.0f);
    spire_ckpt_clear(&ck);
    spire_model_free(m); ddpm_schedule_free(s); spire_adam_free(a);
    remove_dir();
}

static void test_refusals(void)
{
    make_dir();
    spire_model *m; ddpm_schedule *s; spire_adam *a;
    fill(&m, &s, &a);
    char path[128], bad[128], err[256];
    snprintf(path, sizeof path, "%s/good.ckpt", dir);
    snprintf(bad, sizeof bad, "%s/bad.ckpt", dir);
    CU_ASSERT_EQUAL_FATAL(spire_ckpt_save(path, m, s, a, NULL, err, sizeof err), GSL_SUCCESS);
    size_t n;
    unsigned char *g = slurp(path, &n), *b = malloc(n + 16);

    /* missing file */
    expect_refused("/nonexistent/dir/x.ckpt", GSL_EFAILED, "cannot read checkpoint");
    /* truncated at several places */
    size_t cuts[] = { 0, 7, 15, 100, 16 + SPIRE_CKPT_HEADER + 10, n / 2, n - 1 };
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
        spit(bad, g, cuts[k]);
        expect_refused(bad, GSL_EINVAL, "truncated");
    }
    /* one flipped bit in the parameters, in the Adam state, in the checksum:
     * corrupt, and not mistaken for a truncation */
    size_t spots[] = { 16 + SPIRE_CKPT_HEADER + 8 * 50 + 17, n - 40, n - 2 };
    for (size_t k = 0; k < 3; k++) {
        memcpy(b, g, n);
        b[spots[k]] ^= 0x10;
        spit(bad, b, n);
        expect_reason(bad, GSL_EINVAL, "is corrupt (checksum mismatch)", "truncated");
    }
    /* a flipped bit in a size field (n_params): the checksum is checked before
     * the size is believed, so the file is refused as damaged, not parsed */
    memcpy(b, g, n); b[16 + 64 + 2] ^= 0x01; spit(bad, b, n);
    expect_refused(bad, GSL_EINVAL, "checksum mismatch");
    /* a flipped bit in the version field: both possibilities named */
    memcpy(b, g, n); b[8] ^= 0x02; spit(bad, b, n);
    expect_refused(bad, GSL_EINVAL, "has version 3");
    expect_refused(bad, GSL_EINVAL, "checksum mismatch");
    /* bad magic */
    memcpy(b, g, n); b[0] = 'X'; spit(bad, b, n);
    expect_refused(bad, GSL_EINVAL, "not a spirelab checkpoint");
    /* another version (checksum fixed: only the version is wrong) */
    memcpy(b, g, n); b[8] = 2; fix_crc(b, n); spit(bad, b, n);
    expect_reason(bad, GSL_EINVAL, "has version 2, this spirelab reads version 1", "checksum");
    /* header claims H = 32, data are for H = 16 (checksum fixed): wrong size */
    memcpy(b, g, n);
    uint64_t H = 32, np = spire_config_n_params(&(spire_config){ .D = 3, .E = 8, .H = 32, .L = 2, .C = 3 });
    uint64_t ne = 3 * 32;
    memcpy(b + 16 + 16, &H, 8); memcpy(b + 16 + 64, &np, 8); memcpy(b + 16 + 72, &ne, 8);
    fix_crc(b, n); spit(bad, b, n);
    expect_reason(bad, GSL_EINVAL, "has the wrong size", "checksum");
    /* counts that do not match the sizes (checksum fixed) */
    memcpy(b, g, n);
    np = 7; memcpy(b + 16 + 64, &np, 8);
    fix_crc(b, n); spit(bad, b, n);
    expect_refused(bad, GSL_EINVAL, "do not match");
    /* odd E (invalid network) */
    memcpy(b, g, n);
    uint64_t E = 7; memcpy(b + 16 + 8, &E, 8);
    fix_crc(b, n); spit(bad, b, n);
    expect_refused(bad, GSL_EINVAL, "invalid network sizes");
    /* trailing bytes (checksum then no longer at the end) */
    memcpy(b, g, n); memset(b + n, 0, 16); spit(bad, b, n + 16);
    expect_reason(bad, GSL_EINVAL, "checksum mismatch", "truncated");
    /* trailing bytes with a consistent checksum: the wrong size */
    memcpy(b, g, n - 4); memset(b + n - 4, 0, 16); fix_crc(b, n + 12); spit(bad, b, n + 12);
    expect_reason(bad, GSL_EINVAL, "has the wrong size", "checksum");
    /* a different schedule under the same kind and T (checksum fixed) */
    memcpy(b, g, n);
    double beta5 = 0.5; memcpy(b + 16 + SPIRE_CKPT_HEADER + 8 * 4, &beta5, 8);
    fix_crc(b, n); spit(bad, b, n);
    expect_refused(bad, GSL_EINVAL, "schedule differs");
    /* a NaN parameter: not written, and not read (crafted, checksum fixed) */
    m->params[3] = NAN;
    CU_ASSERT_EQUAL(spire_ckpt_save(bad, m, s, a, NULL, err, sizeof err), GSL_EINVAL);
    CU_ASSERT(strstr(err, "non-finite") != NULL);
    memcpy(b, g, n);
    float nanf = NAN;
    memcpy(b + 16 + SPIRE_CKPT_HEADER + 8 * 50 + 4 * 3, &nanf, 4);
    fix_crc(b, n); spit(bad, b, n);
    expect_reason(bad, GSL_EINVAL, "holds non-finite parameters", "checksum");
    m->params[3] = 0;
    /* cannot write into a missing directory */
    CU_ASSERT_EQUAL(spire_ckpt_save("/nonexistent/dir/x.ckpt", m, s, a, NULL, err, sizeof err), GSL_EFAILED);
    CU_ASSERT(strstr(err, "cannot create a temporary file") != NULL);
    CU_ASSERT(strstr(err, "/nonexistent/dir/x.ckpt") != NULL);
    /* the good file is still good */
    spire_ckpt ck;
    CU_ASSERT_EQUAL(spire_ckpt_load(path, &ck, err, sizeof err), GSL_SUCCESS);
    spire_ckpt_clear(&ck);
    free(g); free(b);
    spire_model_free(m); ddpm_schedule_free(s); spire_adam_free(a);
    remove_dir();
}

CU_TestInfo cu_spire_ckpt_tests[] = {
    { "round_trip", test_round_trip },
    { "refusals", test_refusals },
    CU_TEST_INFO_NULL
};
