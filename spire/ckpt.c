/* spire/ckpt.c — versioned, checksummed, atomically written checkpoints
 * (spire/ckpt.h). */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include "common/spl.h"
#include "common/spl_file.h"
#include "spire/ckpt.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "spire/ckpt.c writes little-endian files with native stores; port it first"
#endif

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

int spire_ckpt_save(const char *path, const spire_model *m, const ddpm_schedule *s,
                    const spire_adam *adam, const spire_train_opts *o, char *err, size_t errlen)
{
    if (!path || !m || !s) return spl_errf(GSL_EINVAL, err, errlen, "no path, model or schedule");
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
    uint32_t crc = spl_crc32(c.p, c.off);
    put(&c, &crc, 4);

    int status = spl_file_write(path, c.p, c.off, err, errlen);
    free(c.p);
    return status;
}

void spire_ckpt_clear(spire_ckpt *ck)
{
    if (!ck) return;
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

/* The file size a header announces: 16 + header + body + CRC, from fields
 * not yet trusted (SIZE_MAX when they are absurd). */
static size_t announced(uint32_t hdr, uint64_t T, uint64_t np, uint64_t ne)
{
    const uint64_t big = (uint64_t)1 << 40;
    if (T > big || np > big || ne > big) return SIZE_MAX;
    return 16 + (size_t)hdr + body_bytes(T, np, ne) + 4;
}

/* Check the bytes of a checkpoint and build its objects.  The checksum is
 * verified before any size in the file is trusted: a corrupt file is
 * reported as corrupt (its size fields used only to say whether it looks
 * truncated), and only a file whose checksum holds is checked field by field. */
static int parse(const char *path, cur *c, spire_ckpt *ck, char *err, size_t errlen)
{
    size_t n = c->len;
    if (n < 8) return spl_errf(GSL_EINVAL, err, errlen, "checkpoint '%s' is truncated (%zu bytes, not even a header)", path, n);
    char magic[8];
    get(c, magic, 8);
    if (memcmp(magic, SPIRE_CKPT_MAGIC, 8) != 0)
        return spl_errf(GSL_EINVAL, err, errlen, "'%s' is not a spirelab checkpoint (bad magic)", path);
    if (n < 16 + SPIRE_CKPT_HEADER + 4)
        return spl_errf(GSL_EINVAL, err, errlen, "checkpoint '%s' is truncated (%zu bytes, header incomplete)", path, n);
    uint32_t version, hdr;
    get(c, &version, 4); get(c, &hdr, 4);
    uint64_t f[12];
    for (int i = 0; i < 12; i++) f[i] = get_u64(c);
    double hp[5];
    for (int i = 0; i < 5; i++) hp[i] = get_f64(c);
    uint64_t kind = f[6], T = f[7], np = f[8], ne = f[9];

    uint32_t crc;
    memcpy(&crc, c->p + n - 4, 4);
    if (crc != spl_crc32(c->p, n - 4)) {
        size_t said = announced(hdr, T, np, ne);
        if (version != SPIRE_CKPT_VERSION)
            return spl_errf(GSL_EINVAL, err, errlen, "checkpoint '%s' has version %u (this spirelab reads version %u), "
                            "or is corrupt (checksum mismatch)", path, version, SPIRE_CKPT_VERSION);
        if (said != SIZE_MAX && n < said)
            return spl_errf(GSL_EINVAL, err, errlen, "checkpoint '%s' is truncated: %zu bytes where its header announces %zu "
                            "(checksum mismatch)", path, n, said);
        if (said == SIZE_MAX)
            return spl_errf(GSL_EINVAL, err, errlen, "checkpoint '%s' is corrupt (checksum mismatch; absurd sizes in its header)", path);
        if (said != n)
            return spl_errf(GSL_EINVAL, err, errlen, "checkpoint '%s' is corrupt (checksum mismatch; %zu bytes where its header "
                            "announces %zu: damaged sizes or trailing data)", path, n, said);
        return spl_errf(GSL_EINVAL, err, errlen, "checkpoint '%s' is corrupt (checksum mismatch)", path);
    }
    if (version != SPIRE_CKPT_VERSION)
        return spl_errf(GSL_EINVAL, err, errlen, "checkpoint '%s' has version %u, this spirelab reads version %u",
                    path, version, SPIRE_CKPT_VERSION);
    if (hdr != SPIRE_CKPT_HEADER)
        return spl_errf(GSL_EINVAL, err, errlen, "checkpoint '%s' has a %u-byte header, expected %u", path, hdr, SPIRE_CKPT_HEADER);
    spire_config cfg = { .D = f[0], .E = f[1], .H = f[2], .L = f[3], .C = f[4],
                         .embed_at = (spire_embed_at)f[5] };
    if (f[0] > SPIRE_DIM_MAX || f[1] > SPIRE_DIM_MAX || f[2] > SPIRE_DIM_MAX || f[3] > 1024 ||
        f[4] > SPIRE_DIM_MAX || f[5] > 1 || spire_config_check(&cfg) != GSL_SUCCESS)
        return spl_errf(GSL_EINVAL, err, errlen, "checkpoint '%s' has invalid network sizes (D=%llu E=%llu H=%llu L=%llu C=%llu embed_at=%llu)",
                    path, (unsigned long long)f[0], (unsigned long long)f[1], (unsigned long long)f[2],
                    (unsigned long long)f[3], (unsigned long long)f[4], (unsigned long long)f[5]);
    if ((kind != DDPM_LINEAR && kind != DDPM_COSINE) || T < 2 || T > SPIRE_CKPT_T_MAX)
        return spl_errf(GSL_EINVAL, err, errlen, "checkpoint '%s' has an invalid schedule (kind %llu, T=%llu)",
                    path, (unsigned long long)kind, (unsigned long long)T);
    if (np != spire_config_n_params(&cfg) || ne != cfg.C * spire_config_embed_width(&cfg))
        return spl_errf(GSL_EINVAL, err, errlen, "checkpoint '%s': parameter counts %llu + %llu do not match its network sizes (%zu + %zu)",
                    path, (unsigned long long)np, (unsigned long long)ne, spire_config_n_params(&cfg),
                    cfg.C * spire_config_embed_width(&cfg));
    size_t want = announced(hdr, T, np, ne);
    if (n != want)
        return spl_errf(GSL_EINVAL, err, errlen, "checkpoint '%s' has the wrong size: %zu bytes, its header's sizes call for %zu",
                        path, n, want);
    for (int i = 0; i < 5; i++)
        if (!isfinite(hp[i]))
            return spl_errf(GSL_EINVAL, err, errlen, "checkpoint '%s' has a non-finite optimiser hyper-parameter", path);

    ck->sched = ddpm_schedule_alloc((ddpm_schedule_kind)kind, T, NULL);
    ck->model = spire_model_alloc(&cfg, NULL);
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
    if (!path || !ck) return spl_errf(GSL_EINVAL, err, errlen, "no path or no result");
    ck->model = NULL; ck->sched = NULL; ck->adam = NULL;
    char *data;
    size_t n;
    int st = spl_file_read(path, &data, &n, NULL, 0);
    if (st == GSL_EFAILED)
        return spl_errf(st, err, errlen, "cannot read checkpoint '%s': %s", path,
                        errno == EINVAL ? "not a regular file" : strerror(errno));
    if (st) return spl_errf(st, err, errlen, "cannot read checkpoint '%s': %s", path, gsl_strerror(st));
    cur c = { (unsigned char *)data, 0, n };
    st = parse(path, &c, ck, err, errlen);
    free(data);
    return st;
}
