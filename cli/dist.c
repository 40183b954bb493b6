/* cli/dist.c — the distribution layer (cli/dist.h; docs/mpi.md).  With
 * -DSPL_MPI (make MPI=1) it runs over MPI; without, every function is the
 * one-process stub. */
#include "cli/dist.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include "spire/fed.h"

#ifndef SPL_MPI

void dist_init(int *argc, char ***argv) { (void)argc; (void)argv; }
int dist_finish(int rc) { return rc; }
int dist_rank(void) { return 0; }
int dist_size(void) { return 1; }
int dist_mpi_built(void) { return 0; }
int dist_agree(int rc) { return rc; }
void dist_bcast(void *buf, size_t len) { (void)buf; (void)len; }
void dist_poll(void) { }
const struct spire_fed_hook *dist_fed_hook(void) { return NULL; }

int dist_farm(size_t n, const unsigned char *skip, dist_run_fn run, dist_take_fn take,
              void *ctx, volatile sig_atomic_t *stop, char *why, size_t whylen)
{
    for (size_t t = 0; t < n && !(stop && *stop); t++) {
        if (skip && skip[t]) continue;
        char *res = NULL, inner[512] = "";
        size_t len = 0;
        if (run(ctx, t, &res, &len, inner, sizeof inner)) {
            free(res);
            snprintf(why, whylen, "%s", inner);
            return DIST_FAILED;
        }
        int tk = take(ctx, t, res, len);
        free(res);
        if (tk) return DIST_TAKE;
    }
    return stop && *stop ? DIST_STOPPED : DIST_OK;
}

#else /* SPL_MPI */

#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <mpi.h>

static int g_rank = 0, g_size = 1, g_serial = 0, g_abort = 0;

void dist_init(int *argc, char ***argv)
{
    int provided = MPI_THREAD_SINGLE;
    MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided);
    g_serial = provided >= MPI_THREAD_SERIALIZED;
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    if (g_rank > 0) {   /* workers are silent: rank 0 speaks for the run */
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) {
            fflush(stdout);
            fflush(stderr);
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
    }
}

int dist_finish(int rc)
{
    if (g_abort) MPI_Abort(MPI_COMM_WORLD, rc ? rc : 1);
    MPI_Finalize();
    return rc;
}

int dist_rank(void) { return g_rank; }
int dist_size(void) { return g_size; }
int dist_mpi_built(void) { return 1; }

int dist_agree(int rc)
{
    int all = rc;
    if (g_size > 1) MPI_Allreduce(&rc, &all, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return all;
}

void dist_bcast(void *buf, size_t len)
{
    for (size_t off = 0; g_size > 1 && off < len; off += 1u << 30) {
        size_t k = len - off < (1u << 30) ? len - off : 1u << 30;
        MPI_Bcast((char *)buf + off, (int)k, MPI_BYTE, 0, MPI_COMM_WORLD);
    }
}

/* ---- the farm ------------------------------------------------------------------- */

enum { TAG_REPORT = 71, TAG_TASK = 72 };

/* A worker keeps DIST_AHEAD requests in flight (chains: request → task →
 * report, which is the next request → … → −1), so that its next task is
 * already there when one is done: rank 0's answer time is hidden.  With up
 * to DIST_ROOT_COMPUTES ranks rank 0 computes too (one rank is a large share
 * of the machine); with more it only answers, at once. */
#define DIST_AHEAD 2
#define DIST_ROOT_COMPUTES 4

/* A worker's report: the task it did (−1 for its first request), its
 * status, then the result (status 0) or the reason (status ≠ 0). */
typedef struct { int64_t task; int32_t status; int32_t pad; } report_head;

static struct {
    int on;                          /* rank 0 is inside dist_farm */
    size_t n, next;
    const unsigned char *skip;
    dist_take_fn take;
    void *ctx;
    volatile sig_atomic_t *stop;
    int active;                      /* request chains not yet ended */
    int state;                       /* DIST_OK, or why the farm ends */
    char *why;
    size_t whylen;
    char *buf;
    size_t cap;
} F;

/* The next task to hand out, or −1. */
static int64_t next_task(void)
{
    if (F.state != DIST_OK || (F.stop && *F.stop)) return -1;
    while (F.next < F.n && F.skip && F.skip[F.next]) F.next++;
    return F.next < F.n ? (int64_t)F.next++ : -1;
}

/* Receive one report (one is waiting from `src`) and answer it. */
static void serve_one(int src)
{
    MPI_Status ms;
    int count = 0;
    MPI_Probe(src, TAG_REPORT, MPI_COMM_WORLD, &ms);
    MPI_Get_count(&ms, MPI_BYTE, &count);
    if ((size_t)count + 1 > F.cap) {
        char *b = realloc(F.buf, (size_t)count + 1);
        if (b) { F.buf = b; F.cap = (size_t)count + 1; }
    }
    if ((size_t)count + 1 > F.cap) {   /* no memory: drop the message, fail */
        char c;
        MPI_Recv(&c, 0, MPI_BYTE, ms.MPI_SOURCE, TAG_REPORT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (F.state == DIST_OK) {
            F.state = DIST_FAILED;
            snprintf(F.why, F.whylen, "rank 0: out of memory for a report of rank %d", ms.MPI_SOURCE);
        }
    } else {
        MPI_Recv(F.buf, count, MPI_BYTE, ms.MPI_SOURCE, TAG_REPORT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        F.buf[count] = '\0';
        report_head h;
        memcpy(&h, F.buf, sizeof h);
        const char *body = F.buf + sizeof h;
        size_t blen = (size_t)count - sizeof h;
        if (h.task >= 0 && F.state == DIST_OK) {
            if (h.status) {
                F.state = DIST_FAILED;
                snprintf(F.why, F.whylen, "rank %d: %s", ms.MPI_SOURCE, body);
            } else if (F.take(F.ctx, (size_t)h.task, body, blen)) {
                F.state = DIST_TAKE;
            }
        }
    }
    int64_t t = next_task();
    MPI_Send(&t, 1, MPI_INT64_T, ms.MPI_SOURCE, TAG_TASK, MPI_COMM_WORLD);
    if (t < 0) F.active--;
}

void dist_poll(void)
{
    if (!F.on || !g_serial) return;
    int flag = 1;
    while (flag) {
        MPI_Status ms;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_REPORT, MPI_COMM_WORLD, &flag, &ms);
        if (flag) serve_one(ms.MPI_SOURCE);
    }
}

static void nap(void)
{
    struct timespec ts = { 0, 500000 };   /* 0.5 ms: wait without spinning a core */
    nanosleep(&ts, NULL);
}

static int farm_root(size_t n, const unsigned char *skip, dist_run_fn run, dist_take_fn take,
                     void *ctx, volatile sig_atomic_t *stop, char *why, size_t whylen)
{
    F.on = 1; F.n = n; F.next = 0; F.skip = skip; F.take = take; F.ctx = ctx; F.stop = stop;
    F.active = DIST_AHEAD * (g_size - 1); F.state = DIST_OK; F.why = why; F.whylen = whylen;
    int own = g_size <= DIST_ROOT_COMPUTES;
    for (;;) {
        int64_t t = own ? next_task() : -1;
        if (t >= 0) {   /* a task of our own, answering the others around it */
            char *res = NULL, inner[512] = "";
            size_t len = 0;
            int st = run(ctx, (size_t)t, &res, &len, inner, sizeof inner);
            if (st && F.state == DIST_OK) {
                F.state = DIST_FAILED;
                snprintf(why, whylen, "rank 0: %s", inner);
            } else if (!st && F.state == DIST_OK && take(ctx, (size_t)t, res, len)) {
                F.state = DIST_TAKE;
            }
            free(res);
            int save = g_serial;
            g_serial = 1;     /* between tasks any thread level will do */
            dist_poll();
            g_serial = save;
            continue;
        }
        if (stop && *stop) {   /* interrupted: the others are mid-task; end the job */
            g_abort = 1;
            break;
        }
        if (F.active == 0) break;
        int flag = 0;
        MPI_Status ms;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_REPORT, MPI_COMM_WORLD, &flag, &ms);
        if (flag) serve_one(ms.MPI_SOURCE);
        else nap();
    }
    F.on = 0;
    free(F.buf);
    F.buf = NULL;
    F.cap = 0;
    if (F.state == DIST_OK && stop && *stop) return DIST_STOPPED;
    return F.state;
}

/* Send one report: the task (−1: a first request), its status, then the
 * result or, after a failure, the reason.  Each report asks for a task. */
static void send_report(int64_t task, int status, const char *body, size_t len)
{
    report_head h = { task, status, 0 };
    char *msg = malloc(sizeof h + len);
    if (!msg) {   /* no memory: a bare report with a failure status */
        h.status = status ? status : GSL_ENOMEM;
        MPI_Send(&h, (int)sizeof h, MPI_BYTE, 0, TAG_REPORT, MPI_COMM_WORLD);
        return;
    }
    memcpy(msg, &h, sizeof h);
    if (len) memcpy(msg + sizeof h, body, len);
    MPI_Send(msg, (int)(sizeof h + len), MPI_BYTE, 0, TAG_REPORT, MPI_COMM_WORLD);
    free(msg);
}

static int farm_worker(dist_run_fn run, void *ctx, char *why, size_t whylen)
{
    int rc = DIST_OK, chains = DIST_AHEAD;
    int64_t queue[DIST_AHEAD];
    int nq = 0;
    for (int k = 0; k < DIST_AHEAD; k++) send_report(-1, 0, NULL, 0);
    for (;;) {
        /* answers: wait (napping, not spinning) only when there is nothing to do */
        while (chains > 0) {
            int flag = 0;
            MPI_Iprobe(0, TAG_TASK, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
            if (!flag) {
                if (nq) break;
                nap();
                continue;
            }
            int64_t t;
            MPI_Recv(&t, 1, MPI_INT64_T, 0, TAG_TASK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            if (t < 0) chains--;
            else queue[nq++] = t;
        }
        if (nq == 0) break;   /* every chain ended */
        int64_t t = queue[0];
        for (int k = 1; k < nq; k++) queue[k - 1] = queue[k];
        nq--;
        if (rc != DIST_OK) {  /* after a failure: do no more, just close the chain */
            send_report(t, GSL_EFAILED, "", 1);
            continue;
        }
        char *res = NULL, inner[512] = "";
        size_t len = 0;
        int st = run(ctx, (size_t)t, &res, &len, inner, sizeof inner);
        if (st) {
            rc = DIST_FAILED;
            snprintf(why, whylen, "%s", inner);
            send_report(t, st, inner, strlen(inner) + 1);
        } else {
            send_report(t, 0, res, len);
        }
        free(res);
    }
    return rc;
}

int dist_farm(size_t n, const unsigned char *skip, dist_run_fn run, dist_take_fn take,
              void *ctx, volatile sig_atomic_t *stop, char *why, size_t whylen)
{
    if (g_rank == 0) return farm_root(n, skip, run, take, ctx, stop, why, whylen);
    return farm_worker(run, ctx, why, whylen);
}

/* ---- FedAvg over ranks ------------------------------------------------------------ */

static int fed_owns(void *ctx, size_t j, size_t m)
{
    (void)ctx; (void)m;
    return (int)(j % (size_t)g_size) == g_rank;
}

static int fed_share(void *ctx, int status, float *outp, float *oute, double *lsum, size_t m,
                     size_t P, size_t ee)
{
    (void)ctx;
    int all = status;
    MPI_Allreduce(&status, &all, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (all) return all;
    for (size_t j = 0; j < m; j++) {
        int owner = (int)(j % (size_t)g_size);
        MPI_Bcast(outp + j * P, (int)P, MPI_FLOAT, owner, MPI_COMM_WORLD);
        MPI_Bcast(oute + j * ee, (int)ee, MPI_FLOAT, owner, MPI_COMM_WORLD);
        MPI_Bcast(lsum + j, 1, MPI_DOUBLE, owner, MPI_COMM_WORLD);
    }
    return GSL_SUCCESS;
}

static const spire_fed_hook fed_hook = { fed_owns, fed_share, NULL };

const struct spire_fed_hook *dist_fed_hook(void)
{
    return g_size > 1 ? &fed_hook : NULL;
}

#endif
