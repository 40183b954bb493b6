/* common/spl_file.h — the one way spirelab writes a file: atomically.
 *
 * Every file the library or the command writes (checkpoints, federated
 * state, sweep CSV, figure data, scripts and images, index pages, logs) goes
 * through here, so that a crash, a full disk or a signal leaves either the
 * old file or the new one, complete, never a torn one:
 *
 *   1. a temporary file is created beside the target, in the SAME directory
 *      (so the rename below stays within one file system): DIR/.NAME.XXXXXX.tmp
 *      (mkstemps; hidden, ends in ".tmp");
 *   2. the bytes are written, then flushed to the disk (fsync);
 *   3. its mode becomes 0666 less the umask (what fopen(…, "w") would give);
 *   4. it is renamed over the target (rename(2) is atomic);
 *   5. the directory is fsynced, so that the rename itself survives a crash
 *      (a file system that cannot fsync a directory, EINVAL, is accepted).
 * On any failure the temporary file is removed and the target is untouched
 * (one exception: when only step 5 fails, the new file is in place, but its
 * rename may not survive a crash; the status says so).
 *
 * Errors are GSL status codes with a reason in err (spl_errf; err may be
 * NULL): GSL_EINVAL for a NULL or empty path or one naming a directory
 * ("DIR/"), GSL_EFAILED when a system call fails (the reason names the step
 * and strerror(errno); errno is left as that call set it), GSL_ENOMEM.
 *
 * Typical use:
 *     char err[256];
 *     if (spl_file_write("out/x.csv", text, strlen(text), err, sizeof err)) ... err ...
 * and, for a file another program writes (gnuplot rendering an image):
 *     char *tmp;
 *     if (spl_file_temp("out/F1.png", &tmp, err, sizeof err)) ...;
 *     ... the program writes tmp ...
 *     if (it succeeded) { st = spl_file_commit(tmp, "out/F1.png", err, sizeof err); free(tmp); }
 *     else spl_file_discard(tmp);   (removes the file and frees the name)
 */
#ifndef SPL_FILE_H
#define SPL_FILE_H

#include <stddef.h>
#include <stdint.h>

/* Write len bytes of data (data may be NULL when len is 0) to path
 * atomically (steps 1–5 above). */
int spl_file_write(const char *path, const void *data, size_t len, char *err, size_t errlen);

/* Create an empty temporary file beside path (step 1) and hand back its name
 * in *tmp (a new string: give it to spl_file_commit, then free it; or to
 * spl_file_discard).  *tmp is NULL on failure. */
int spl_file_temp(const char *path, char **tmp, char *err, size_t errlen);

/* The temporary file tmp (made by spl_file_temp, now complete) becomes path:
 * steps 2–5.  On failure tmp is removed.  tmp is not freed. */
int spl_file_commit(const char *tmp, const char *path, char *err, size_t errlen);

/* Remove the temporary file tmp and free its name (NULL is fine). */
void spl_file_discard(char *tmp);

/* Read the whole regular file path into a new buffer *data (the caller
 * frees it; a '\0' is added after the len bytes, so a text file is a C
 * string).  GSL_EFAILED with errno set when it cannot be opened or read
 * (ENOENT: it does not exist) or is not a regular file; GSL_ENOMEM. */
int spl_file_read(const char *path, char **data, size_t *len, char *err, size_t errlen);

/* CRC-32 (zlib's crc32, the checksum of gzip and PNG) of n bytes: the
 * checksum that ends every binary file spirelab writes (checkpoints). */
uint32_t spl_crc32(const void *data, size_t n);

#endif
