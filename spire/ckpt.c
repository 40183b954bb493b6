/* spire/ckpt.c — versioned, checksummed, atomically written checkpoints
 * (spire/ckpt.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <gsl/gsl_errno.h>
#include "common/spl.h"
#include "spire/ckpt.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "spire/ckpt.c writes little-endian files with native stores; port it first"
#endif

static uint32_t crc_of(const unsigned char *p, size_t n)
{
    uLong c = crc32(0L, Z_NULL, 0);
    while (n > 0) {
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        c = crc32(c, p, k);
        p += k; n -= k;
    }
    return (uint32_t)c;
}

/* A cursor over a byte buffer. */
typedef struct { unsigned char *p; size_t off, len; } cur;

static void put(cur *c, const void *src, size_t n) { memcpy(c->p + c->off, src, n); c->off += n; }
static void put_u64(cur *c, uint64_t v) { put(c, &v, 8); }
static void put_f64(cur *c, double v) { put(c, &v, 8); }
static void get(cur *c, void *dst, size_t n) { memcpy(dst, c->p + c->off, n); c->off += n; }
static uint64_t get_u64(cur *c) { uint64_t v; get(c, &v, 8); return v; }
static double get_f64(cur *c) { double v; get(c, &v, 8); return v; }

static size_t body_bytes(size_t T, size_t np, size_t ne)
{
    return 8 * T + 4 * (3 * np + 3 * ne);
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) { if (errno == EINTR) continue; return -1; }
        p += w; n -= (size_t)w;
    }
    return 0;
}

int spire_ckpt_save(const char *path, const spire_model *m, const ddpm_schedule *s,
                    const spire_adam *adam, const spire_train_opts *o, char *err, size_t errlen)
{
    if (adam && (adam->n_params != m->n_params || adam->n_embed != m->n_embed))
        return spl_errf(GSL_EINVAL, err, errlen, "optimiser state does not match the model's sizes");
    for (size_t i = 0; i < m->n_params; i++)
        if (!isfinite(m->params[i]))
            return spl_errf(GSL_EINVAL, err, errlen, "refusing to write checkpoint '%s': non-finite parameters", path);
    for (size_t i = 0; i < m->n_embed; i++)
        if (!isfinite(m->embed[i]))
            return spl_errf(GSL_EINVAL, err, errlen, "refusing to write checkpoint '%s': non-finite embeddings", path);
    spire_train_opts dflt;
    spire_train_opts_default(&dflt);
    if (!o) o = &dflt;
    size_t np = m->n_params, ne = m->n_embed, T = s->T;
    size_t total = 16 + SPIRE_CKPT_HEADER + body_bytes(T, np, ne) + 4;
    cur c = { malloc(total), 0, total };
    if (!c.p) return spl_errf(GSL_ENOMEM, err, errlen, "out of memory writing checkpoint '%s'", path);
    uint32_t version = SPIRE_CKPT_VERSION, hdr = SPIRE_CKPT_HEADER;
    put(&c, SPIRE_CKPT_MAGIC, 8);
    put(&c, &version, 4);
    put(&c, &hdr, 4);
    put_u64(&c, m->cfg.D); put_u64(&c, m->cfg.E); put_u64(&c, m->cfg.H);
    put_u64(&c, m->cfg.L); put_u64(&c, m->cfg.C); put_u64(&c, (uint64_t)m->cfg.embed_at);
    put_u64(&c, (uint64_t)s->kind); put_u64(&c, T);
    put_u64(&c, np); put_u64(&c, ne);
    put_u64(&c, adam ? adam->step : 0);
    put_u64(&c, o->seed);
    put_f64(&c, o->lr); put_f64(&c, o->beta1); put_f64(&c, o->beta2);
    put_f64(&c, o->eps); put_f64(&c, o->wd);
    put(&c, s->beta, 8 * T);
    put(&c, m->params, 4 * np);
    put(&c, m->embed, 4 * ne);
    if (adam) {
        put(&c, adam->m, 4 * np); put(&c, adam->v, 4 * np);
        put(&c, adam->me, 4 * ne); put(&c, adam->ve, 4 * ne);
    } else {
        memset(c.p + c.off, 0, 4 * (2 * np + 2 * ne));
        c.off += 4 * (2 * np + 2 * ne);
    }
    uint32_t crc = crc_of(c.p, c.off);
    put(&c, &crc, 4);

    /* temporary file next to the target, then rename */
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16), *dir = strdup(path);
    if (!tmp || !dir) { free(c.p); free(tmp); free(dir); return spl_errf(GSL_ENOMEM, err, errlen, "out of memory writing checkpoint '%s'", path); }
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
    int status = GSL_SUCCESS;
    int fd = mkstemp(tmp);
    if (fd < 0) {
        status = spl_errf(GSL_EFAILED, err, errlen, "cannot create checkpoint '%s': %s", path, strerror(errno));
    } else {
        if (fchmod(fd, 0644) != 0)   /* mkstemp makes it 0600; a checkpoint is ordinary data */
            status = spl_errf(GSL_EFAILED, err, errlen, "cannot set mode of checkpoint '%s': %s", path, strerror(errno));
        else if (write_all(fd, c.p, c.off) != 0)
            status = spl_errf(GSL_EFAILED, err, errlen, "cannot write checkpoint '%s': %s", path, strerror(errno));
        else if (fsync(fd) != 0)
            status = spl_errf(GSL_EFAILED, err, errlen, "cannot sync checkpoint '%s': %s", path, strerror(errno));
        if (close(fd) != 0 && status == GSL_SUCCESS)
            status = spl_errf(GSL_EFAILED, err, errlen, "cannot close checkpoint '%s': %s", path, strerror(errno));
        if (status == GSL_SUCCESS && rename(tmp, path) != 0)
            status = spl_errf(GSL_EFAILED, err, errlen, "cannot rename checkpoint into '%s': %s", path, strerror(errno));
        if (status != GSL_SUCCESS) unlink(tmp);
    }
    if (status == GSL_SUCCESS) {   /* make the rename durable */
        int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY);
        if (dfd >= 0) { fsync(dfd); close(dfd); }
    }
    free(c.p); free(tmp); free(dir);
    return status;
}

void spire_ckpt_clear(spire_ckpt *ck)
{
    spire_model_free(ck->model);
    ddpm_schedule_free(ck->sched);
    spire_adam_free(ck->adam);
    ck->model = NULL; ck->sched = NULL; ck->adam = NULL;
}

static int all_finite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) if (!isfinite(x[i])) return 0;
    return 1;
}

/* Check the bytes of a checkpoint and build its objects. */
static int parse(const char *path, cur *c, spire_ckpt *ck, char *err, size_t errlen)
{
    size_t n = c->len;
    if (n < 16) return spl_errf(GSL_EINVAL, err, errlen, "checkpoint '%s' is truncated (%zu bytes, not even a header)", path, n);
    char magic[8];
    uint32_t version, hdr;
    get(c, magic, 8); get(c, &version, 4); get(c, &hdr, 4);
    if (memcmp(magic, SPIRE_CKPT_MAGIC, 8) != 0)
        return spl_errf(GSL_EINVAL, err, errlen, "'%s' is not a spirelab checkpoint (bad magic)", path);
    if (version != SPIRE_CKPT_VERSION)
        return spl_errf(GSL_EINVAL, err, errlen, "checkpoint '%s' has version %u, this spirelab reads version %u",
                    path, version, SPIRE_CKPT_VERSION);
    if (hdr != SPIRE_CKPT_HEADER)
        return spl_errf(GSL_EINVAL, err, errlen, "checkpoint '%s' has a %u-byte header, expected %u", path, hdr, SPIRE_CKPT_HEADER);
    if (n < 16 + (size_t)hdr + 4)
        return spl_errf(GSL_EINVAL, err, errlen, "checkpoint '%s' is truncated (%zu bytes, header incomplete)", path, n);
    /* The checksum covers everything: a corrupt size field is reported as
     * corruption, not as the size problem it would otherwise look like. */
    uint32_t crc;
    memcpy(&crc, c->p + n - 4, 4);
    int crc_ok = crc == crc_of(c->p, n - 4);
#define CORRUPT_OR(...) (crc_ok ? spl_errf(GSL_EINVAL, err, errlen, __VA_ARGS__) \
    : spl_errf(GSL_EINVAL, err, errlen, "checkpoint '%s' is corrupt (checksum mismatch)", path))
    uint64_t f[12];
    for (int i = 0; i < 12; i++) f[i] = get_u64(c);
    double hp[5];
    for (int i = 0; i < 5; i++) hp[i] = get_f64(c);
    spire_config cfg = { .D = f[0], .E = f[1], .H = f[2], .L = f[3], .C = f[4],
                         .embed_at = (spire_embed_at)f[5] };
    if (f[0] > SPIRE_DIM_MAX || f[1] > SPIRE_DIM_MAX || f[2] > SPIRE_DIM_MAX || f[3] > 1024 ||
        f[4] > SPIRE_DIM_MAX || f[5] > 1 || spire_config_check(&cfg) != GSL_SUCCESS)
        return CORRUPT_OR("checkpoint '%s' has invalid network sizes (D=%llu E=%llu H=%llu L=%llu C=%llu embed_at=%llu)",
                    path, (unsigned long long)f[0], (unsigned long long)f[1], (unsigned long long)f[2],
                    (unsigned long long)f[3], (unsigned long long)f[4], (unsigned long long)f[5]);
    uint64_t kind = f[6], T = f[7], np = f[8], ne = f[9];
    if ((kind != DDPM_LINEAR && kind != DDPM_COSINE) || T < 2 || T > SPIRE_CKPT_T_MAX)
        return CORRUPT_OR("checkpoint '%s' has an invalid schedule (kind %llu, T=%llu)",
                    path, (unsigned long long)kind, (unsigned long long)T);
    if (np != spire_config_n_params(&cfg) || ne != cfg.C * spire_config_embed_width(&cfg))
        return CORRUPT_OR("checkpoint '%s': parameter counts %llu + %llu do not match its network sizes (%zu + %zu)",
                    path, (unsigned long long)np, (unsigned long long)ne, spire_config_n_params(&cfg),
                    cfg.C * spire_config_embed_width(&cfg));
    size_t want = 16 + hdr + body_bytes(T, np, ne) + 4;
    if (n < want)
        return spl_errf(GSL_EINVAL, err, errlen, "checkpoint '%s' is truncated (%zu bytes, expected %zu)", path, n, want);
    if (n > want)
        return CORRUPT_OR("checkpoint '%s' is too long (%zu bytes, expected %zu): wrong sizes or trailing data", path, n, want);
    if (!crc_ok)
        return spl_errf(GSL_EINVAL, err, errlen, "checkpoint '%s' is corrupt (checksum mismatch)", path);
#undef CORRUPT_OR
    for (int i = 0; i < 5; i++)
        if (!isfinite(hp[i]))
            return spl_errf(GSL_EINVAL, err, errlen, "checkpoint '%s' has a non-finite optimiser hyper-parameter", path);

    ck->sched = ddpm_schedule_alloc((ddpm_schedule_kind)kind, T);
    ck->model = spire_model_alloc(&cfg);
    ck->adam = spire_adam_alloc(np, ne);
    if (!ck->sched || !ck->model || !ck->adam) {
        spire_ckpt_clear(ck);
        return spl_errf(GSL_ENOMEM, err, errlen, "out of memory loading checkpoint '%s'", path);
    }
    for (size_t i = 0; i < T; i++) {
        double b = get_f64(c);
        if (!(fabs(b - ck->sched->beta[i]) <= 1e-12 * fabs(ck->sched->beta[i]))) {
            spire_ckpt_clear(ck);
            return spl_errf(GSL_EINVAL, err, errlen, "checkpoint '%s': its %s schedule differs from this build's at step %zu",
                        path, ddpm_schedule_name((ddpm_schedule_kind)kind), i + 1);
        }
    }
    get(c, ck->model->params, 4 * np);
    get(c, ck->model->embed, 4 * ne);
    get(c, ck->adam->m, 4 * np); get(c, ck->adam->v, 4 * np);
    get(c, ck->adam->me, 4 * ne); get(c, ck->adam->ve, 4 * ne);
    ck->adam->step = f[10];
    if (!all_finite(ck->model->params, np) || !all_finite(ck->model->embed, ne)) {
        spire_ckpt_clear(ck);
        return spl_errf(GSL_EINVAL, err, errlen, "checkpoint '%s' holds non-finite parameters", path);
    }
    spire_train_opts_default(&ck->opts);
    ck->opts.seed = f[11];
    ck->opts.lr = hp[0]; ck->opts.beta1 = hp[1]; ck->opts.beta2 = hp[2];
    ck->opts.eps = hp[3]; ck->opts.wd = hp[4];
    return GSL_SUCCESS;
}

int spire_ckpt_load(const char *path, spire_ckpt *ck, char *err, size_t errlen)
{
    ck->model = NULL; ck->sched = NULL; ck->adam = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) return spl_errf(GSL_EFAILED, err, errlen, "cannot open checkpoint '%s': %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(fp), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(fp);
        return spl_errf(GSL_EFAILED, err, errlen, "checkpoint '%s' is not a regular file", path);
    }
    size_t n = (size_t)sb.st_size;
    cur c = { malloc(n ? n : 1), 0, n };
    if (!c.p) { fclose(fp); return spl_errf(GSL_ENOMEM, err, errlen, "out of memory reading checkpoint '%s'", path); }
    if (fread(c.p, 1, n, fp) != n) {
        int e = errno;
        free(c.p); fclose(fp);
        return spl_errf(GSL_EFAILED, err, errlen, "cannot read checkpoint '%s': %s", path, e ? strerror(e) : "short read");
    }
    fclose(fp);
    int st = parse(path, &c, ck, err, errlen);
    free(c.p);
    return st;
}
