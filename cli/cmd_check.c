/* cli/cmd_check.c — spirelab check: every claim of THEORY.md §7 as a verdict. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/opts.h"
#include "proofs_check/claims.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: spirelab check [--quick] [--only C3,C5] [--seed S]\n"
        "Runs each claim of THEORY.md section 7 and prints one CSV row per claim:\n"
        "  id,claim,measured,threshold,verdict,seconds\n"
        "Exit status 0 only if every selected claim passes, 1 otherwise, 2 on bad input.\n"
        "  --quick      reduced grids and replicates (under a minute)\n"
        "  --only LIST  comma-separated claim ids, from C1..C%zu\n"
        "  --seed S     seed of every random experiment (default 1)\n", pc_nclaims);
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

int cmd_check(int argc, char **argv)
{
    enum { O_QUICK = 1000, O_ONLY, O_SEED, O_HELP };
    static const struct option longopts[] = {
        { "quick", no_argument, NULL, O_QUICK },
        { "only", required_argument, NULL, O_ONLY },
        { "seed", required_argument, NULL, O_SEED },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 }
    };
    pc_opts o;
    pc_opts_default(&o);
    int sel[PC_CLAIMS_MAX] = {0}, any = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (c) {
        case O_QUICK: o.quick = 1; break;
        case O_ONLY:
            if (select_claims(optarg, sel)) {
                fprintf(stderr, "spirelab check: --only must be a comma list of claim ids C1..C%zu, got '%s'\n",
                        pc_nclaims, optarg);
                return 2;
            }
            any = 1;
            break;
        case O_SEED: if (opt_u64("check", "--seed", optarg, &o.seed)) return 2; break;
        case O_HELP: usage(stdout); return 0;
        default: opt_getopt_error("check", c, argv, longopts); return 2;
        }
    }
    if (opt_no_positional("check", argc, argv)) return 2;
    printf("id,claim,measured,threshold,verdict,seconds\n");
    fflush(stdout);
    int all_pass = 1;
    for (size_t k = 0; k < pc_nclaims; k++) {
        if (any && !sel[k]) continue;
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
}
