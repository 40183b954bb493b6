/* cli/cmd_check.c — spirelab check: every claim of THEORY.md §7 as a verdict. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/opts.h"
#include "proofs_check/claims.h"
#include "proofs_check/rates.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: spirelab check [--quick] [--only C3,C5] [--seed S | --seeds LIST] [--mutant]\n"
        "Runs each claim of THEORY.md section 7 and prints one CSV row per claim:\n"
        "  id,claim,measured,threshold,verdict,seconds\n"
        "Exit status 0 only if every selected claim passes, 1 otherwise, 2 on bad input.\n"
        "Every random claim (C4-C7, C9-C11, C13) FAILs with probability <= 1%% when it holds\n"
        "(docs/claims.md).\n"
        "  --quick       reduced grids and replicates (under a minute)\n"
        "  --only LIST   comma-separated claim ids, from C1..C%zu\n"
        "  --seed S      seed of every random experiment (default 1)\n"
        "  --seeds LIST  seed study: each claim for every seed of LIST (1:20, 1,2,5, 1:3,9);\n"
        "                one CSV row per claim:\n"
        "  id,random,seeds,passes,pass_fraction,ci95_low,ci95_high,worst_measured,worst_threshold,tail_p,verdict,seconds\n"
        "                verdict FAIL if the failures are improbable under the design rate\n"
        "                (binomial tail P(X >= failures | 1%%) < 0.001; none for C1-C3, C8, C12)\n"
        "  --mutant      run each random claim with its deliberately wrong model (power\n"
        "                study; the deterministic claims are skipped); with --seeds the\n"
        "                fraction columns are the failure fraction (power), verdict\n"
        "                DETECTS if it is >= 0.99, exit 0 only if every claim DETECTS\n", pc_nclaims);
}

/* Mark the claims named in a comma list; -1 on an unknown or empty id. */
static int select_claims(const char *list, int *sel)
{
    const char *p = list;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p), k = 0;
        while (k < pc_nclaims && !(strlen(pc_claims[k].id) == len && !strncmp(p, pc_claims[k].id, len))) k++;
        if (len == 0 || k == pc_nclaims) return -1;
        sel[k] = 1;
        if (!end) return 0;
        p = end + 1;
    }
}

/* One claim for every seed: the summary row of the seed study. 1 if the
 * claim is compatible with its design rate (or, with --mutant, detected). */
static int seed_study(const pc_claim *cl, pc_opts o, const uint64_t *seeds, size_t ns)
{
    pc_tally t;
    pc_tally_init(&t);
    double secs = 0;
    for (size_t i = 0; i < ns; i++) {
        o.seed = seeds[i];
        pc_result r;
        int st = cl->run(&o, &r);
        if (st) {
            fprintf(stderr, "spirelab check: %s seed %llu could not run (GSL status %d)\n", cl->id,
                    (unsigned long long)seeds[i], st);
            printf("%s,%d,%zu,nan,nan,nan,nan,nan,nan,nan,FAIL,%.2f\n", cl->id, cl->random, ns, secs);
            return 0;
        }
        fprintf(stderr, "spirelab check: %s seed %llu: %.6g (threshold %.6g) %s\n", cl->id,
                (unsigned long long)seeds[i], r.measured, r.threshold, r.pass ? "PASS" : "FAIL");
        pc_tally_add(&t, &r);
        secs += r.seconds;
    }
    double frac, lo, hi, tail = NAN;
    int ok;
    int st = o.mutant ? pc_tally_power(&t, &frac, &lo, &hi, &ok)
                      : pc_tally_verdict(&t, cl->random, &frac, &lo, &hi, &tail, &ok);
    if (st) { ok = 0; frac = lo = hi = NAN; }
    printf("%s,%d,%zu,%zu,%.4f,%.4f,%.4f,%.6g,%.6g,%.4g,%s,%.2f\n", cl->id, cl->random, t.n, t.pass, frac, lo,
           hi, o.mutant ? t.least : t.worst, o.mutant ? t.least_thr : t.worst_thr, tail,
           o.mutant ? (ok ? "DETECTS" : "MISSES") : (ok ? "PASS" : "FAIL"), secs);
    fflush(stdout);
    return ok;
}

int cmd_check(int argc, char **argv)
{
    enum { O_QUICK = 1000, O_ONLY, O_SEED, O_SEEDS, O_MUTANT, O_HELP };
    static const struct option longopts[] = {
        { "quick", no_argument, NULL, O_QUICK },
        { "only", required_argument, NULL, O_ONLY },
        { "seed", required_argument, NULL, O_SEED },
        { "seeds", required_argument, NULL, O_SEEDS },
        { "mutant", no_argument, NULL, O_MUTANT },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 }
    };
    pc_opts o;
    pc_opts_default(&o);
    uint64_t *seeds = NULL;
    size_t ns = 0;
    int sel[PC_CLAIMS_MAX] = {0}, any = 0, c, given_seed = 0;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (c) {
        case O_QUICK: o.quick = 1; break;
        case O_ONLY:
            if (select_claims(optarg, sel)) {
                fprintf(stderr, "spirelab check: --only must be a comma list of claim ids C1..C%zu, got '%s'\n",
                        pc_nclaims, optarg);
                goto bad;
            }
            any = 1;
            break;
        case O_SEED: if (opt_u64("check", "--seed", optarg, &o.seed)) goto bad; given_seed = 1; break;
        case O_SEEDS:
            free(seeds);
            seeds = NULL;
            if (opt_seed_list("check", "--seeds", optarg, &seeds, &ns)) goto bad;
            break;
        case O_MUTANT: o.mutant = 1; break;
        case O_HELP: usage(stdout); free(seeds); return 0;
        default: opt_getopt_error("check", c, argv, longopts); goto bad;
        }
    }
    if (opt_no_positional("check", argc, argv)) goto bad;
    if (given_seed && seeds) {
        opt_contradiction("check", "--seed", "--seeds", "give one seed or a list, not both");
        goto bad;
    }
    int all_pass = 1;
    if (seeds) {
        printf("id,random,seeds,passes,pass_fraction,ci95_low,ci95_high,worst_measured,worst_threshold,tail_p,"
               "verdict,seconds\n");
        fflush(stdout);
        for (size_t k = 0; k < pc_nclaims; k++) {
            if ((any && !sel[k]) || (o.mutant && !pc_claims[k].mutant)) continue;
            all_pass &= seed_study(&pc_claims[k], o, seeds, ns);
        }
        free(seeds);
        return all_pass ? 0 : 1;
    }
    printf("id,claim,measured,threshold,verdict,seconds\n");
    fflush(stdout);
    for (size_t k = 0; k < pc_nclaims; k++) {
        if ((any && !sel[k]) || (o.mutant && !pc_claims[k].mutant)) continue;
        fprintf(stderr, "spirelab check: %s ...\n", pc_claims[k].id);
        pc_result r;
        int st = pc_claims[k].run(&o, &r);
        if (st) {
            fprintf(stderr, "spirelab check: %s could not run (GSL status %d)\n", pc_claims[k].id, st);
            printf("%s,\"could not run\",nan,nan,FAIL,0\n", pc_claims[k].id);
            all_pass = 0;
            continue;
        }
        printf("%s,\"%s\",%.6g,%.6g,%s,%.2f\n", r.id, r.claim, r.measured, r.threshold,
               r.pass ? "PASS" : "FAIL", r.seconds);
        fflush(stdout);
        all_pass &= r.pass;
    }
    return all_pass ? 0 : 1;
bad:
    free(seeds);
    return 2;
}
