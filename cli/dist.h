/* cli/dist.h — the distribution layer: the only place that knows about MPI
 * (docs/mpi.md).  cli/dist.c is compiled with -DSPL_MPI in the MPI build
 * (`make MPI=1`, build-mpi/spirelab) and without it everywhere else, where
 * every function below is the one-process stub: one rank, rank 0, a farm
 * that runs its tasks in order.  The library (common/, ddpm/, spire/,
 * proofs_check/ ...) never sees MPI: it offers hooks (spire_fed_hook) that
 * this layer fills.
 *
 * Ranks other than 0 are silent: dist_init points their stdout and stderr
 * to /dev/null, so that a message every rank would print (a bad flag) is
 * printed once, and everything a worker has to say travels to rank 0 (a
 * failed task's reason, dist_farm). */
#ifndef CLI_DIST_H
#define CLI_DIST_H

#include <signal.h>
#include <stddef.h>

/* Start (MPI_Init_thread, MPI_THREAD_SERIALIZED wanted) and stop.  Under
 * MPI, dist_finish(rc) calls MPI_Finalize, or MPI_Abort(rc) when a
 * collective was left half done (dist_farm interrupted by a signal). */
void dist_init(int *argc, char ***argv);
int dist_finish(int rc);
int dist_rank(void);               /* 0 .. dist_size() − 1 */
int dist_size(void);               /* 1 without MPI */
int dist_mpi_built(void);          /* 1 in the MPI build */

/* Every rank calls it with its own rc; all get the largest.  A rank whose
 * setup failed (rank 0 reads --out, say) makes every rank stop together. */
int dist_agree(int rc);

/* Rank 0's len bytes at buf, to every rank (collective). */
void dist_bcast(void *buf, size_t len);

/* ---- a farm of independent tasks 0 .. n−1 -------------------------------------
 * Dynamic self-scheduling: rank 0 hands the next task not skipped to
 * whichever rank asks, in increasing order, and computes tasks itself too
 * (it answers the others between tasks and whenever the running task calls
 * dist_poll); workers ask again as soon as they are done.  Every task's
 * result reaches `take` on rank 0, in completion order.
 *   run(ctx, task, &res, &len, why, whylen): compute the task; 0 and a
 *       malloc'd result (res, len), or a nonzero status and a reason in why.
 *   take(ctx, task, res, len): rank 0 only; 0, or nonzero to stop the farm
 *       (a write failed: it has printed its message).
 * `stop` (may be NULL): when it becomes nonzero rank 0 hands out no more
 * tasks and returns at once.
 * Returns DIST_OK; DIST_FAILED (a task failed: why holds "rank R:
 * reason" under MPI, "reason" alone without; the others were drained, nothing more was taken);
 * DIST_TAKE (take refused); DIST_STOPPED.  Workers return DIST_OK unless
 * their own task failed. */
enum { DIST_OK = 0, DIST_FAILED = 1, DIST_TAKE = 2, DIST_STOPPED = 3 };
typedef int (*dist_run_fn)(void *ctx, size_t task, char **res, size_t *len, char *why,
                           size_t whylen);
typedef int (*dist_take_fn)(void *ctx, size_t task, const char *res, size_t len);
int dist_farm(size_t n, const unsigned char *skip, dist_run_fn run, dist_take_fn take,
              void *ctx, volatile sig_atomic_t *stop, char *why, size_t whylen);
/* Serve the other ranks' requests now (rank 0, inside a long task); else
 * nothing.  Safe to call from any thread, one at a time. */
void dist_poll(void);

/* ---- FedAvg over ranks -------------------------------------------------------------
 * A spire_fed_hook (spire/fed.h) that trains the j-th selected client of a
 * round on rank j mod size and shares every client's result with every rank
 * (one broadcast per client, from its owner).  NULL with one rank. */
struct spire_fed_hook;
const struct spire_fed_hook *dist_fed_hook(void);

#endif
