/* spire/train_internal.h — the trainer's choice of how many workers run a
 * step (spire/train.c); not installed, for the library and its tests only.
 *
 * A choice of speed only: the trained network never depends on it.  Two
 * workers pay only while the second core is free for them.  It is not on a
 * machine shared with other processes, and it was not in the first ~0.1 s of
 * a process or after a multi-threaded OpenBLAS call either: OpenBLAS's
 * server threads (pthread build) busy-wait with sched_yield for 2^28 TSC
 * cycles after they start or finish a job, Linux then woke the second worker
 * on the first one's CPU, and a step took a time slice (16 ms instead of
 * 0.6 ms, docs/benchmarks.md "the trainer's two workers in a 200-step run").
 * spire/train.c binds the workers of an all-worker step to distinct CPUs,
 * which removes that stall; the timing below protects against the others.
 *
 * So the step times are booked, and the choice follows them:
 *  - a trainer starts on one worker; its first step (cold memory) is not
 *    booked;
 *  - every booked step updates the mean of the last SPIRE_PICK_W steps of
 *    the running choice (free measurement);
 *  - a trial runs the other choice for up to 1 + SPIRE_PICK_W steps and
 *    keeps it if the mean of the last SPIRE_PICK_W is lower than the running
 *    choice's (the first step after a switch is not booked: the team's
 *    start, migration and cold caches); it is cut short as soon as its
 *    booked steps have taken longer than SPIRE_PICK_W steps of the running
 *    choice (one stalled step is enough to lose);
 *  - on one worker, all of them are tried SPIRE_PICK_RETRY steps after a
 *    lost trial, the gap doubling while trials keep losing (a stall that
 *    passes is retried soon, a busy machine rarely); on all workers, one is
 *    tried SPIRE_PICK_GAP steps after the choice, the gap doubling while it
 *    keeps losing; both gaps are capped at SPIRE_PICK_GAP_MAX;
 *  - on all workers, as soon as the mean of the last SPIRE_PICK_W steps is
 *    above the last measured one-worker mean, the trainer goes back to one
 *    worker (a stall that starts while the choice stands). */
#ifndef SPIRE_TRAIN_INTERNAL_H
#define SPIRE_TRAIN_INTERNAL_H

#include <stddef.h>

enum { SPIRE_PICK_W = 8, SPIRE_PICK_RETRY = 16, SPIRE_PICK_GAP = 256, SPIRE_PICK_GAP_MAX = 8192 };

typedef struct {
    int all;                    /* the running choice: 1 all workers, 0 one */
    int trial;                  /* 1: `all` is on trial against est[!all] */
    int cold;                   /* 1: the next step is not booked */
    double t[SPIRE_PICK_W];     /* the last step times of the running choice (ring) */
    size_t n;                   /* steps booked since the choice started */
    double est[2];              /* mean step time of the last full window: [0] one, [1] all; 0 unknown */
    size_t next;                /* step (k) at which the next trial starts */
    size_t gap[2];              /* steps before the next trial: [0] on one worker, [1] on all */
} spire_pick;

/* One worker, nothing measured, the first step not booked. */
void spire_pick_init(spire_pick *p);
/* The choice for step k (1: all workers, 0: one), starting a trial if due. */
int spire_pick_workers(spire_pick *p, size_t k);
/* Book step k, run with the choice spire_pick_workers returned, which took
 * dt seconds. */
void spire_pick_book(spire_pick *p, size_t k, double dt);

#endif
