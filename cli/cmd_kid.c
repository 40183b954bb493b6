/* cli/cmd_kid.c — spirelab kid: Kernel Inception Distance between two CSV
 * sample files (THEORY.md §8), as torchmetrics computes it on features. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <gsl/gsl_errno.h>
#include "cli/cli.h"
#include "cli/opts.h"
#include "spire/data.h"
#include "spire/kid.h"

enum { O_REAL = OPT_COMMON_END, O_FAKE, O_SUBSETS, O_SIZE, O_SEED };

static const struct option longopts[] = {
    OPT_LONG_HELP,
    { "real", required_argument, NULL, O_REAL },
    { "fake", required_argument, NULL, O_FAKE },
    { "subsets", required_argument, NULL, O_SUBSETS },
    { "subset-size", required_argument, NULL, O_SIZE },
    { "seed", required_argument, NULL, O_SEED },
    { NULL, 0, NULL, 0 }
};

static void usage(FILE *f)
{
    fprintf(f,
"usage: spirelab kid --real FILE --fake FILE [--subsets N] [--subset-size M] [--seed S]\n"
"\n"
"KID: unbiased MMD^2 with the kernel k(x,y) = (x.y/D + 1)^3 between random\n"
"subsets of M rows of each file, mean and standard deviation (ddof 0) over N\n"
"subsets.  Files: CSV with a header row, one sample per row (as spirelab\n"
"sample writes them), the same number of columns D in both.\n"
"CSV on stdout: kid_mean,kid_std,n_real,n_fake,subset_size,subsets\n"
"  --subsets N        integer in [1, 100000] (default 100)\n"
"  --subset-size M    integer in [2, min(rows of each file)] (default min(1000, rows))\n"
"  --seed S           seed of the subsets (default 1)\n");
}

int cmd_kid(int argc, char **argv)
{
    const char *cmd = "kid", *rp = NULL, *fp = NULL;
    size_t subsets = 100, size = 0;
    uint64_t seed = 1;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case O_REAL: rp = optarg; break;
        case O_FAKE: fp = optarg; break;
        case O_SUBSETS: bad = opt_size(cmd, "--subsets", optarg, 1, 100000u, &subsets); break;
        case O_SIZE: bad = opt_size(cmd, "--subset-size", optarg, 2, 100000000u, &size); break;
        case O_SEED: bad = opt_u64(cmd, "--seed", optarg, &seed); break;
        case OPT_HELP: usage(stdout); return 0;
        default: opt_getopt_error(cmd, c, argv, longopts); return 2;
        }
        if (bad) return 2;
    }
    if (opt_no_positional(cmd, argc, argv)) return 2;
    if (!rp) { fprintf(stderr, "spirelab kid: --real FILE is required (see spirelab kid --help)\n"); return 2; }
    if (!fp) { fprintf(stderr, "spirelab kid: --fake FILE is required (see spirelab kid --help)\n"); return 2; }
    char err[512];
    double *real = NULL, *fake = NULL;
    size_t nr, nf, Dr, Df;
    int rc = 0;
    if (spire_data_read_csv(rp, &real, &nr, &Dr, err, sizeof err)) {
        fprintf(stderr, "spirelab kid: --real: %s\n", err);
        return 2;
    }
    if (spire_data_read_csv(fp, &fake, &nf, &Df, err, sizeof err)) {
        fprintf(stderr, "spirelab kid: --fake: %s\n", err);
        free(real);
        return 2;
    }
    size_t nmin = nr < nf ? nr : nf;
    if (Dr != Df) {
        fprintf(stderr, "spirelab kid: dimension mismatch: --real has %zu columns, --fake has %zu\n", Dr, Df);
        rc = 2;
    } else if (size == 0 && nmin < 2) {
        fprintf(stderr, "spirelab kid: --real and --fake need at least 2 rows each (have %zu and %zu)\n", nr, nf);
        rc = 2;
    } else if (size > nmin) {
        fprintf(stderr, "spirelab kid: --subset-size %zu is larger than the data (%zu real, %zu fake rows)\n",
                size, nr, nf);
        rc = 2;
    }
    if (!rc) {
        if (size == 0) size = nmin < 1000 ? nmin : 1000;
        spire_kid_result k;
        int st = spire_kid(real, nr, fake, nf, Dr, subsets, size, seed, &k);
        if (st) { opt_lib_error(cmd, "KID", st); rc = 1; }
        else {
            printf("kid_mean,kid_std,n_real,n_fake,subset_size,subsets\n");
            printf("%.9g,%.9g,%zu,%zu,%zu,%zu\n", k.mean, k.std, nr, nf, k.subset_size, k.subsets);
        }
    }
    free(real); free(fake);
    return rc;
}
