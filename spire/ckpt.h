/* spire/ckpt.h — checkpoints of the score network: a versioned binary file.
 *
 * Layout (version 1; every field little-endian, as written by x86-64/ARM64):
 *   char[8]  magic "SPIRECKP"
 *   u32      version (SPIRE_CKPT_VERSION)
 *   u32      header bytes after this field (SPIRE_CKPT_HEADER)
 *   u64 ×6   D, E, H, L, C, embed_at           (spire_config)
 *   u64 ×2   schedule kind, T                 (ddpm/schedule.h)
 *   u64 ×2   n_params, n_embed
 *   u64      optimiser steps taken
 *   u64      seed of the run
 *   f64 ×5   lr, beta1, beta2, eps, wd        (AdamW hyper-parameters)
 *   f64[T]   β_1..β_T of the schedule
 *   f32[n_params]  backbone (spire_params order)
 *   f32[n_embed]   embeddings (C, ee)
 *   f32[n_params] ×2, f32[n_embed] ×2   AdamW m, v of the backbone, then of the embeddings
 *   u32      CRC-32 (zlib) of every byte before it
 *
 * Writing is atomic (common/spl_file.h): a temporary file in the same
 * directory, fsync, rename over the target, fsync of the directory — a crash
 * leaves either the old file or the new one, never a torn one.  Loading
 * verifies the checksum before it trusts any size in the file, then checks
 * every field, and refuses (GSL_EINVAL, with the reason in err):
 *   "truncated"          shorter than its header, or than its header announces
 *   "checksum mismatch"  any damaged byte (a flipped bit, trailing data)
 *   "version N"          another version of the format
 *   "invalid network sizes", "invalid schedule", "do not match", "wrong size"
 *                        sizes out of range or inconsistent (checksum intact)
 *   "schedule differs"   a schedule this build computes differently
 *   "non-finite"         NaN or infinite parameters or hyper-parameters
 * and "not a spirelab checkpoint" for a bad magic; GSL_EFAILED when the file
 * cannot be read or written (reason from errno); GSL_ENOMEM.  GSL_EINVAL also
 * for a NULL path, model, schedule or result (adam, o may be NULL on save).
 *
 * Typical use:
 *     char err[256];
 *     if (spire_ckpt_save(path, m, sched, adam, &opts, err, sizeof err)) ... err ...
 *     spire_ckpt ck;
 *     if (spire_ckpt_load(path, &ck, err, sizeof err)) ... err ...
 *     ... ck.model, ck.sched, ck.adam ...;  spire_ckpt_clear(&ck);
 */
#ifndef SPIRE_CKPT_H
#define SPIRE_CKPT_H

#include <stddef.h>
#include "ddpm/schedule.h"
#include "spire/model.h"
#include "spire/train.h"

#define SPIRE_CKPT_MAGIC "SPIRECKP"
#define SPIRE_CKPT_VERSION 1u
#define SPIRE_CKPT_HEADER 136u      /* 12 u64 + 5 f64 */
#define SPIRE_CKPT_T_MAX 1000000u

/* What a checkpoint holds; the loader allocates each member. */
typedef struct {
    spire_model *model;
    ddpm_schedule *sched;
    spire_adam *adam;
    spire_train_opts opts;   /* lr, betas, eps, wd, seed; other fields default */
} spire_ckpt;

/* Write model, schedule, optimiser state (adam NULL: zero state, step 0) and
 * hyper-parameters (o NULL: spire_train_opts_default) to path, atomically.
 * Refuses (GSL_EINVAL) a model with non-finite parameters. */
int spire_ckpt_save(const char *path, const spire_model *m, const ddpm_schedule *s,
                    const spire_adam *adam, const spire_train_opts *o, char *err, size_t errlen);
/* Read and check a checkpoint; on success ck owns new objects, on failure
 * ck is all NULL and err says why. */
int spire_ckpt_load(const char *path, spire_ckpt *ck, char *err, size_t errlen);
/* Free what a successful load allocated; sets the members to NULL. */
void spire_ckpt_clear(spire_ckpt *ck);

#endif
